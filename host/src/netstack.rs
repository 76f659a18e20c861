//! The host side of a board session: the TCP and UDP engines driven over any [`Link`].
//!
//! The board does Ethernet, IPv4, checksums, ARP answers and ping; this module does
//! the rest, sans-IO in time like the engine itself: every call takes `now`, so the
//! same code runs on wall time (`tcpip serve`) and on simulated time (`tcpip demo`).
//!
//! What a [`Session`] guarantees:
//!
//! - **Start.** [`Session::start`] sends `Config` and waits for the board's `Hello`,
//!   failing with one sentence if none comes in time or it speaks another link version.
//!   The Config selects the link's rate ([`SessionConfig::link_rate`]); when that is
//!   not the rate the board runs at, the host switches its end after the Config has
//!   left and takes the Hello to a second Config, sent at the new rate, as the proof.
//!   The Hello's receive FIFO size bounds every window the engine advertises from
//!   then on (`tcp::fifo`), so a peer never sends more than the board can hold.
//! - **Receive.** `RxTcp` becomes a [`Segment`] for [`Stack::receive`] (options from the
//!   hardware's parsed fields, SACK blocks from the raw option bytes); `RxUdp` goes to
//!   the UDP sockets, or, for a port nobody listens on, is answered with ICMP port
//!   unreachable (`TxIcmp`; who is answered and how often: [`crate::icmp`]).
//! - **Transmit.** What the engines emit becomes `TxTcp`/`TxUdp`/`TxIcmp` addressed to the peer's
//!   MAC from a neighbour cache (filled by `ArpReply`, and by the source MAC of on-link
//!   senders). A segment for an unknown MAC waits while `ArpRequest` is retried
//!   [`SessionConfig::arp_tries`] times, then is dropped and counted.
//! - **Flow to the board.** At most [`TX_WINDOW`] requests are outstanding until their
//!   `TxDone` (the board stages two). `Error` 5 (transmit busy) sends the newest
//!   outstanding request again later; a request whose `TxDone` never comes (the frame
//!   was corrupted on the link) frees its place after [`SessionConfig::tx_done_timeout`],
//!   and TCP retransmits whatever it carried.
//!
//! Loop: [`Session::receive`] (link → engines), run the application on
//! [`Session::stack`], [`Session::transmit`] (engines → link), then wait no later
//! than [`Session::poll_at`]. [`Session::poll`] does receive and transmit in one call.

use crate::icmp::{self, RateLimit, TokenBucket};
use crate::link::message::{
    option_flags, Config as LinkConfig, ErrorCode, Hello, LinkRate, RxTcp, RxUdp, TxIcmp, TxTcp,
    TxUdp, LINK_VERSION, MAX_TCP_SEGMENT,
};
use crate::link::{Link, Message};
use crate::tcp::segment::parse_options;
use crate::tcp::{Config as TcpConfig, Flags, RxFifo, Segment, Stack, Time};
use crate::udp::{Datagram, UdpSockets};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

/// Requests the board can hold at once (its transmit stage is a ping-pong pair).
pub const TX_WINDOW: usize = 2;
/// Segments held per unresolved neighbour; older ones are dropped beyond this.
const ARP_HOLD: usize = 64;

/// Everything a session needs to know before it starts.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    pub mac: [u8; 6],
    pub ip: [u8; 4],
    pub prefix_len: u8,
    pub tcp: TcpConfig,
    /// Keys the ISN hash (RFC 6528): random in production, fixed in tests.
    pub isn_secret: [u8; 16],
    /// ARP requests sent for one address before its held segments are dropped.
    pub arp_tries: u32,
    pub arp_interval: Duration,
    /// How long to wait after `Error` 5 before sending again.
    pub busy_backoff: Duration,
    pub tx_done_timeout: Duration,
    pub udp_queue: usize,
    /// How many ICMP port unreachables may go out (see [`RateLimit::DEFAULT`]).
    pub icmp_limit: RateLimit,
    /// The rate the session runs the link at (the board's UART and the host's end).
    pub link_rate: LinkRate,
}

impl SessionConfig {
    pub fn new(mac: [u8; 6], ip: [u8; 4], prefix_len: u8) -> SessionConfig {
        SessionConfig {
            mac,
            ip,
            prefix_len,
            tcp: TcpConfig {
                // Options (up to 40 bytes with SACK blocks) and payload share the
                // link's 1480-byte segment limit.
                mss: (MAX_TCP_SEGMENT - 40) as u16,
                ..TcpConfig::default()
            },
            isn_secret: [0; 16],
            arp_tries: 3,
            arp_interval: Duration::from_secs(1),
            busy_backoff: Duration::from_millis(1),
            tx_done_timeout: Duration::from_millis(500),
            udp_queue: 64,
            icmp_limit: RateLimit::DEFAULT,
            link_rate: LinkRate::Mbaud4,
        }
    }

    pub fn netmask(&self) -> [u8; 4] {
        let bits = u32::MAX
            .checked_shl(32 - self.prefix_len.min(32) as u32)
            .unwrap_or(0);
        bits.to_be_bytes()
    }

    fn on_link(&self, ip: [u8; 4]) -> bool {
        let m = u32::from_be_bytes(self.netmask());
        u32::from_be_bytes(ip) & m == u32::from_be_bytes(self.ip) & m
    }
}

/// Why a session could not start.
#[derive(Debug)]
pub enum StartError {
    NoHello(Duration),
    Version(u8),
    /// The board answered Config with a bad-length Error: its Config is shorter.
    OlderBoard,
    Link(anyhow::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::NoHello(t) => write!(
                f,
                "the board did not answer Config with Hello within {} ms; is it programmed and connected?",
                t.as_millis()
            ),
            StartError::Version(v) => write!(
                f,
                "the board speaks link version {v} and this host speaks {LINK_VERSION}; rebuild one of them."
            ),
            StartError::OlderBoard => write!(
                f,
                "the board refused Config as malformed, so it speaks a link version older than this host's {LINK_VERSION}; rebuild one of them."
            ),
            StartError::Link(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// What the host side counts (the board's own counters come from `GetCounters`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostCounters {
    pub rx_tcp: u64,
    pub rx_udp: u64,
    pub tx_tcp: u64,
    pub tx_udp: u64,
    pub tx_icmp: u64,
    pub tx_done: u64,
    pub arp_requests: u64,
    /// Segments and datagrams dropped because their neighbour never answered ARP.
    pub arp_drops: u64,
    /// Requests sent again after `Error` 5.
    pub busy_resends: u64,
    /// Requests confirmed by a later request's `TxDone` (the board keeps one TxDone to
    /// send, so a second frame that leaves while the link is busy replaces the first's).
    pub tx_done_implied: u64,
    /// Requests whose `TxDone` never came.
    pub tx_done_timeouts: u64,
    /// `Error` messages other than 5 (the board refused a corrupt frame of ours).
    pub link_errors: u64,
    /// Segments too large for one `TxTcp` (a bug if ever non-zero).
    pub oversize: u64,
    /// UDP datagrams to a closed port answered with ICMP port unreachable.
    pub icmp_port_unreachable_sent: u64,
    /// ... and the ones the rate limit left unanswered.
    pub icmp_port_unreachable_rate_limited: u64,
    /// ICMP errors the board passed up (RxIcmp); what the TCP engine did with those
    /// that quote TCP is in its `icmp_*` counters.
    pub icmp_errors_received: u64,
    /// ... of which quoted a UDP datagram of ours (port unreachable and others: UDP
    /// sockets here are connectionless, so they are only counted).
    pub icmp_errors_udp: u64,
}

impl HostCounters {
    pub fn named(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("host_rx_tcp", self.rx_tcp),
            ("host_rx_udp", self.rx_udp),
            ("host_tx_tcp", self.tx_tcp),
            ("host_tx_udp", self.tx_udp),
            ("host_tx_icmp", self.tx_icmp),
            ("host_tx_done", self.tx_done),
            ("host_arp_requests", self.arp_requests),
            ("host_arp_drops", self.arp_drops),
            ("host_busy_resends", self.busy_resends),
            ("host_tx_done_implied", self.tx_done_implied),
            ("host_tx_done_timeouts", self.tx_done_timeouts),
            ("host_link_errors", self.link_errors),
            ("host_oversize", self.oversize),
            (
                "icmp_port_unreachable_sent",
                self.icmp_port_unreachable_sent,
            ),
            (
                "icmp_port_unreachable_rate_limited",
                self.icmp_port_unreachable_rate_limited,
            ),
            ("icmp_errors_received", self.icmp_errors_received),
            ("icmp_errors_udp", self.icmp_errors_udp),
        ]
    }
}

/// Something the engines want sent, not yet addressed to a MAC.
#[derive(Clone, Debug)]
enum Outgoing {
    Tcp(Segment),
    Udp(Datagram),
    Icmp { dst: [u8; 4], message: Vec<u8> },
}

impl Outgoing {
    fn dst(&self) -> [u8; 4] {
        match self {
            Outgoing::Tcp(s) => s.dst_addr,
            Outgoing::Udp(d) => d.dst_addr,
            Outgoing::Icmp { dst, .. } => *dst,
        }
    }
}

#[derive(Debug)]
struct ArpWait {
    held: VecDeque<Outgoing>,
    tries: u32,
    next_try: Time,
}

#[derive(Debug)]
struct InFlight {
    tag: u16,
    msg: Message,
    sent: Time,
}

/// A board session: the engines, the neighbour cache and the transmit window.
pub struct Session {
    cfg: SessionConfig,
    stack: Stack,
    udp: UdpSockets,
    /// ICMP messages made since the last transmit.
    icmp_out: Vec<Outgoing>,
    icmp_bucket: TokenBucket,
    hello: Option<Hello>,
    neighbours: HashMap<[u8; 4], [u8; 6]>,
    arp: HashMap<[u8; 4], ArpWait>,
    /// Addressed requests waiting for a place in the window.
    ready: VecDeque<Message>,
    in_flight: VecDeque<InFlight>,
    /// No sending before this (set by `Error` 5).
    hold_until: Time,
    next_tag: u16,
    counters: HostCounters,
    board_counters: Option<[u32; 32]>,
    scratch: Vec<Segment>,
}

/// `RxTcp` as the engine's segment. The hardware's parsed MSS, window scale and
/// SACK-permitted win; SACK blocks (and anything the hardware does not parse) come
/// from the raw option bytes.
pub fn segment_from_rx(rx: &RxTcp, our_ip: [u8; 4]) -> Segment {
    let mut options = parse_options(&rx.options);
    options.mss = rx.mss_option().or(options.mss);
    options.window_scale = rx.window_scale_option().or(options.window_scale);
    options.sack_permitted |= rx.option_flags & option_flags::SACK_PERMITTED != 0;
    Segment {
        src_addr: rx.src_ip,
        dst_addr: our_ip,
        src_port: rx.src_port,
        dst_port: rx.dst_port,
        seq: rx.seq,
        ack: rx.ack,
        // Bits 0..7 are the wire's flag byte; NS (bit 8) the engine does not use.
        flags: Flags((rx.flags & 0xff) as u8),
        window: rx.window,
        urgent: 0,
        options,
        payload: rx.payload.clone(),
    }
}

/// The engine's segment as a `TxTcp` to `dst_mac` (the urgent pointer is not carried).
pub fn tx_from_segment(seg: &Segment, dst_mac: [u8; 6], tag: u16) -> TxTcp {
    TxTcp {
        tag,
        dst_mac,
        dst_ip: seg.dst_addr,
        src_port: seg.src_port,
        dst_port: seg.dst_port,
        seq: seg.seq,
        ack: seg.ack,
        flags: seg.flags.0 as u16,
        window: seg.window,
        options: seg.options_bytes(),
        payload: seg.payload.clone(),
    }
}

fn datagram_from_rx(rx: RxUdp) -> Datagram {
    Datagram {
        src_addr: rx.src_ip,
        dst_addr: rx.dst_ip,
        src_port: rx.src_port,
        dst_port: rx.dst_port,
        payload: rx.payload,
    }
}

impl Session {
    /// A session that has not talked to the board yet (tests drive it message by message).
    pub fn new(cfg: SessionConfig) -> Session {
        let mut stack = Stack::new(cfg.ip, cfg.isn_secret, cfg.tcp);
        stack.set_netmask(cfg.netmask());
        Session {
            stack,
            udp: UdpSockets::new(cfg.ip, cfg.udp_queue),
            icmp_out: Vec::new(),
            icmp_bucket: TokenBucket::new(cfg.icmp_limit),
            cfg,
            hello: None,
            neighbours: HashMap::new(),
            arp: HashMap::new(),
            ready: VecDeque::new(),
            in_flight: VecDeque::new(),
            hold_until: Time::ZERO,
            next_tag: 1,
            counters: HostCounters::default(),
            board_counters: None,
            scratch: Vec::new(),
        }
    }

    /// Configures the board and waits (wall time) up to `timeout` for its `Hello`.
    /// Messages before the `Hello` are handled as usual.
    ///
    /// The link's rate: the board's UART runs at 4 Mbaud from power-up, or at the rate
    /// the last Config chose. The host sends Config at the rate it takes the board to
    /// run at; when the Config selects another rate ([`SessionConfig::link_rate`]), the
    /// board switches as it applies it, and the host, which sends nothing meanwhile,
    /// switches its own end once the Config has left ([`Link::set_rate`]: drained,
    /// then the port switched, what arrived at the other rate discarded) and sends
    /// Config again at the new rate. The Hello that answers it, received at the new
    /// rate, is the confirmation. Without a Hello within half the timeout, the board
    /// ran at the other rate (a session before this one chose it): the same again
    /// from there.
    pub fn start(
        cfg: SessionConfig,
        link: &mut dyn Link,
        timeout: Duration,
        now: Time,
    ) -> Result<Session, StartError> {
        let mut s = Session::new(cfg);
        let config = Message::Config(s.link_config());
        let target = s.cfg.link_rate;
        // The rate from power-up first.
        for from in LinkRate::ALL {
            link.set_rate(from).map_err(StartError::Link)?;
            link.send(&config).map_err(StartError::Link)?;
            if from != target {
                link.set_rate(target).map_err(StartError::Link)?;
                link.send(&config).map_err(StartError::Link)?;
            }
            if s.await_hello(link, timeout / LinkRate::ALL.len() as u32, now)? {
                return Ok(s);
            }
        }
        Err(StartError::NoHello(timeout))
    }

    /// Handles messages until a Hello (true) or `timeout` (wall time) has passed.
    fn await_hello(
        &mut self,
        link: &mut dyn Link,
        timeout: Duration,
        now: Time,
    ) -> Result<bool, StartError> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            match link.recv(left).map_err(StartError::Link)? {
                Some(Message::Error {
                    code: ErrorCode::BadLength,
                }) => return Err(StartError::OlderBoard),
                Some(msg) => self.handle(msg, now),
                None => {}
            }
            if let Some(h) = &self.hello {
                if h.version != LINK_VERSION {
                    return Err(StartError::Version(h.version));
                }
                return Ok(true);
            }
        }
    }

    pub fn link_config(&self) -> LinkConfig {
        LinkConfig {
            mac: self.cfg.mac,
            ip: self.cfg.ip,
            netmask: self.cfg.netmask(),
            promiscuous: false,
            link_rate: self.cfg.link_rate,
        }
    }

    pub fn config(&self) -> &SessionConfig {
        &self.cfg
    }
    pub fn hello(&self) -> Option<&Hello> {
        self.hello.as_ref()
    }
    pub fn stack(&mut self) -> &mut Stack {
        &mut self.stack
    }
    pub fn udp(&mut self) -> &mut UdpSockets {
        &mut self.udp
    }
    pub fn host_counters(&self) -> HostCounters {
        self.counters
    }
    pub fn neighbour(&self, ip: [u8; 4]) -> Option<[u8; 6]> {
        self.neighbours.get(&ip).copied()
    }
    /// Requests sent and not yet confirmed by `TxDone`.
    pub fn outstanding(&self) -> usize {
        self.in_flight.len()
    }
    /// Whether anything waits to go to the board (addressed, or waiting on ARP).
    pub fn has_pending(&self) -> bool {
        !self.ready.is_empty()
            || !self.in_flight.is_empty()
            || !self.arp.is_empty()
            || !self.icmp_out.is_empty()
    }

    /// One message from the board.
    pub fn handle(&mut self, msg: Message, now: Time) {
        match msg {
            Message::Hello(h) => {
                // The receive FIFO bounds the windows we may advertise (tcp::fifo).
                if h.version == LINK_VERSION && h.rx_fifo_bytes > 0 {
                    self.stack.set_rx_fifo(RxFifo {
                        bytes: h.rx_fifo_bytes as u32,
                        record_overhead: h.rx_record_overhead as u32,
                    });
                }
                self.hello = Some(h);
            }
            Message::RxTcp(rx) => {
                // RxTcp (link version 1) carries neither destination address nor
                // destination MAC, so the segment goes to the engine as addressed to
                // us; the engine discards what it knows to be for a group.
                self.counters.rx_tcp += 1;
                self.learn_from(rx.src_ip, rx.src_mac);
                let seg = segment_from_rx(&rx, self.cfg.ip);
                self.stack.receive(&seg, now);
            }
            Message::RxUdp(rx) => {
                self.counters.rx_udp += 1;
                self.learn_from(rx.src_ip, rx.src_mac);
                let d = datagram_from_rx(rx);
                if self.udp.is_bound(d.dst_port) {
                    self.udp.receive(d);
                } else {
                    self.port_unreachable(&d, now);
                }
            }
            Message::RxIcmp(rx) => {
                self.counters.icmp_errors_received += 1;
                match icmp::parse_error(&rx.message) {
                    Some(e) if e.protocol == 6 => {
                        let seq = e.seq.unwrap_or_default();
                        self.stack.icmp_error(e.error, e.src, e.dst, seq);
                    }
                    Some(e) if e.protocol == 17 => self.counters.icmp_errors_udp += 1,
                    _ => {}
                }
            }
            Message::Counters(values) => self.board_counters = Some(values),
            Message::TxDone { tag } => {
                self.counters.tx_done += 1;
                // The board sends its staged requests in the order they came and keeps
                // one TxDone to send (a second replaces the first while the link is
                // busy), so a TxDone confirms every request sent before its own too.
                if let Some(at) = self.in_flight.iter().position(|f| f.tag == tag) {
                    self.in_flight.drain(..=at);
                    self.counters.tx_done_implied += at as u64;
                }
            }
            Message::Error {
                code: ErrorCode::TransmitBusy,
            } => {
                // The board refused the request that arrived while both stages were
                // full: with the window at two, the newest outstanding one.
                if let Some(f) = self.in_flight.pop_back() {
                    self.counters.busy_resends += 1;
                    self.ready.push_front(f.msg);
                }
                self.hold_until = now + self.cfg.busy_backoff;
            }
            Message::Error { .. } => self.counters.link_errors += 1,
            Message::ArpReply { ip, mac } => self.resolved(ip, mac),
            // Host → board messages never come this way; a confused link is ignored.
            _ => {}
        }
    }

    /// RFC 1122 §3.2.2.1: a datagram for a closed port is answered with ICMP port
    /// unreachable, when [`icmp::may_answer`] and the rate limit allow.
    fn port_unreachable(&mut self, d: &Datagram, now: Time) {
        if !icmp::may_answer(d, self.cfg.ip, self.cfg.netmask()) {
            return;
        }
        if !self.icmp_bucket.take(now) {
            self.counters.icmp_port_unreachable_rate_limited += 1;
            return;
        }
        self.counters.icmp_port_unreachable_sent += 1;
        self.icmp_out.push(Outgoing::Icmp {
            dst: d.src_addr,
            message: icmp::port_unreachable(d),
        });
    }

    /// A sender on our subnet: its source MAC is where replies go.
    fn learn_from(&mut self, ip: [u8; 4], mac: [u8; 6]) {
        if self.cfg.on_link(ip) && !self.neighbours.contains_key(&ip) {
            self.resolved(ip, mac);
        }
    }

    fn resolved(&mut self, ip: [u8; 4], mac: [u8; 6]) {
        self.neighbours.insert(ip, mac);
        if let Some(wait) = self.arp.remove(&ip) {
            for out in wait.held {
                self.address(out, mac);
            }
        }
    }

    fn address(&mut self, out: Outgoing, mac: [u8; 6]) {
        // Tags are placeholders here; the real one is given when the request is sent.
        let msg = match out {
            Outgoing::Tcp(seg) => Message::TxTcp(tx_from_segment(&seg, mac, 0)),
            Outgoing::Udp(d) => Message::TxUdp(TxUdp {
                tag: 0,
                dst_mac: mac,
                dst_ip: d.dst_addr,
                src_port: d.src_port,
                dst_port: d.dst_port,
                payload: d.payload,
            }),
            Outgoing::Icmp { dst, message } => Message::TxIcmp(TxIcmp {
                tag: 0,
                dst_mac: mac,
                dst_ip: dst,
                message,
            }),
        };
        if msg.check().is_err() {
            self.counters.oversize += 1;
            return;
        }
        self.ready.push_back(msg);
    }

    fn route(&mut self, out: Outgoing, link: &mut dyn Link, now: Time) -> anyhow::Result<()> {
        let ip = out.dst();
        if let Some(mac) = self.neighbours.get(&ip).copied() {
            self.address(out, mac);
            return Ok(());
        }
        let wait = self.arp.entry(ip).or_insert(ArpWait {
            held: VecDeque::new(),
            tries: 0,
            next_try: now,
        });
        if wait.held.len() >= ARP_HOLD {
            wait.held.pop_front();
            self.counters.arp_drops += 1;
        }
        wait.held.push_back(out);
        self.arp_retries(link, now)
    }

    /// ARP requests that are due, and the give-ups.
    fn arp_retries(&mut self, link: &mut dyn Link, now: Time) -> anyhow::Result<()> {
        let mut gone = Vec::new();
        for (ip, wait) in self.arp.iter_mut() {
            if wait.next_try > now {
                continue;
            }
            if wait.tries >= self.cfg.arp_tries {
                gone.push(*ip);
                continue;
            }
            link.send(&Message::ArpRequest { ip: *ip })?;
            self.counters.arp_requests += 1;
            wait.tries += 1;
            wait.next_try = now + self.cfg.arp_interval;
        }
        for ip in gone {
            if let Some(wait) = self.arp.remove(&ip) {
                self.counters.arp_drops += wait.held.len() as u64;
            }
        }
        Ok(())
    }

    /// Handles every message the link has ready (without waiting), then lets the
    /// engines see the time.
    pub fn receive(&mut self, link: &mut dyn Link, now: Time) -> anyhow::Result<()> {
        while let Some(msg) = link.recv(Duration::ZERO)? {
            self.handle(msg, now);
        }
        Ok(())
    }

    /// Waits up to `timeout` for one message and handles it, then any others ready.
    /// Returns whether anything arrived.
    pub fn wait(
        &mut self,
        link: &mut dyn Link,
        timeout: Duration,
        now: Time,
    ) -> anyhow::Result<bool> {
        let Some(msg) = link.recv(timeout)? else {
            return Ok(false);
        };
        self.handle(msg, now);
        self.receive(link, now)?;
        Ok(true)
    }

    /// Collects what the engines want to send and hands the board as much as the
    /// window allows.
    pub fn transmit(&mut self, link: &mut dyn Link, now: Time) -> anyhow::Result<()> {
        let mut segs = std::mem::take(&mut self.scratch);
        self.stack.poll_into(now, &mut segs);
        for seg in segs.drain(..) {
            self.route(Outgoing::Tcp(seg), link, now)?;
        }
        self.scratch = segs;
        for d in self.udp.poll() {
            self.route(Outgoing::Udp(d), link, now)?;
        }
        for out in std::mem::take(&mut self.icmp_out) {
            self.route(out, link, now)?;
        }
        self.arp_retries(link, now)?;
        // A TxDone lost with its frame must not close the window for good.
        let timeout = self.cfg.tx_done_timeout;
        let before = self.in_flight.len();
        self.in_flight.retain(|f| now.since(f.sent) < timeout);
        self.counters.tx_done_timeouts += (before - self.in_flight.len()) as u64;
        if now < self.hold_until {
            return Ok(());
        }
        while self.in_flight.len() < TX_WINDOW {
            let Some(mut msg) = self.ready.pop_front() else {
                break;
            };
            let tag = self.next_tag;
            // Tag 0 is never used, so a stray TxDone{0} matches nothing.
            self.next_tag = self.next_tag.checked_add(1).unwrap_or(1);
            match &mut msg {
                Message::TxTcp(m) => {
                    m.tag = tag;
                    self.counters.tx_tcp += 1;
                }
                Message::TxUdp(m) => {
                    m.tag = tag;
                    self.counters.tx_udp += 1;
                }
                Message::TxIcmp(m) => {
                    m.tag = tag;
                    self.counters.tx_icmp += 1;
                }
                _ => {}
            }
            link.send(&msg)?;
            self.in_flight.push_back(InFlight {
                tag,
                msg,
                sent: now,
            });
        }
        Ok(())
    }

    /// [`Session::receive`] then [`Session::transmit`].
    pub fn poll(&mut self, link: &mut dyn Link, now: Time) -> anyhow::Result<()> {
        self.receive(link, now)?;
        self.transmit(link, now)
    }

    /// The latest time the caller may wait before the next [`Session::poll`]
    /// (`None`: only a message from the board can make work).
    pub fn poll_at(&self) -> Option<Time> {
        let mut at = self.stack.poll_at();
        let mut earliest = |t: Time| at = Some(at.map_or(t, |a| a.min(t)));
        for w in self.arp.values() {
            earliest(w.next_try);
        }
        if !self.icmp_out.is_empty() {
            // Made while receiving: due at once.
            earliest(Time::ZERO);
        }
        if !self.ready.is_empty() && self.in_flight.len() < TX_WINDOW {
            earliest(self.hold_until);
        }
        if let Some(f) = self.in_flight.front() {
            earliest(f.sent + self.cfg.tx_done_timeout);
        }
        at
    }

    /// The board's counters by name, then the host's. Waits (wall time) up to
    /// `timeout` for the answer, handling other messages meanwhile.
    pub fn counters(
        &mut self,
        link: &mut dyn Link,
        timeout: Duration,
        now: Time,
    ) -> anyhow::Result<Vec<(String, u64)>> {
        self.board_counters = None;
        link.send(&Message::GetCounters)?;
        let deadline = Instant::now() + timeout;
        while self.board_counters.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                anyhow::bail!(
                    "the board did not answer GetCounters within {} ms.",
                    timeout.as_millis()
                );
            }
            self.wait(link, left, now)?;
        }
        let board = self.board_counters.unwrap_or([0; 32]);
        let mut all: Vec<(String, u64)> = crate::link::message::named_counters(&board)
            .into_iter()
            .map(|(n, v)| (n.to_string(), v as u64))
            .collect();
        all.extend(self.host_named_counters());
        Ok(all)
    }

    /// The host's own counters by name: the session's, then the TCP engine's.
    pub fn host_named_counters(&self) -> Vec<(String, u64)> {
        let stack = self.stack.counters();
        self.counters
            .named()
            .into_iter()
            .chain(stack.named())
            .map(|(n, v)| (n.to_string(), v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::message::tcp_flags;
    use crate::tcp::{State, TcpOptions};

    const OUR_MAC: [u8; 6] = [2, 0, 0, 0, 0, 2];
    const OUR_IP: [u8; 4] = [192, 0, 2, 2];
    const PEER_MAC: [u8; 6] = [2, 0, 0, 0, 0, 9];
    const PEER_IP: [u8; 4] = [192, 0, 2, 9];

    /// A link whose far end is the test: messages to deliver, messages sent.
    #[derive(Default)]
    struct MockLink {
        inbox: VecDeque<Message>,
        sent: Vec<Message>,
        rate: LinkRate,
        /// Each rate change, with the messages sent before it.
        switches: Vec<(usize, LinkRate)>,
    }

    impl Link for MockLink {
        fn send(&mut self, msg: &Message) -> anyhow::Result<()> {
            msg.check()?;
            self.sent.push(msg.clone());
            Ok(())
        }
        fn recv(&mut self, _: Duration) -> anyhow::Result<Option<Message>> {
            Ok(self.inbox.pop_front())
        }
        fn set_rate(&mut self, rate: LinkRate) -> anyhow::Result<()> {
            if rate != self.rate {
                self.switches.push((self.sent.len(), rate));
            }
            self.rate = rate;
            Ok(())
        }
        fn rate(&self) -> LinkRate {
            self.rate
        }
    }

    impl MockLink {
        fn take(&mut self) -> Vec<Message> {
            std::mem::take(&mut self.sent)
        }
    }

    fn session() -> Session {
        Session::new(SessionConfig::new(OUR_MAC, OUR_IP, 24))
    }

    fn syn_from_peer(port: u16) -> RxTcp {
        RxTcp {
            src_mac: PEER_MAC,
            src_ip: PEER_IP,
            src_port: port,
            dst_port: 7,
            seq: 1000,
            ack: 0,
            flags: tcp_flags::SYN,
            window: 65535,
            mss: 1460,
            window_scale: 7,
            option_flags: option_flags::SACK_PERMITTED,
            options: vec![2, 4, 5, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2],
            payload: vec![],
        }
    }

    fn tx_tcps(msgs: &[Message]) -> Vec<&TxTcp> {
        msgs.iter()
            .filter_map(|m| match m {
                Message::TxTcp(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    /// Session::start's error on `link`, which has 20 ms to answer.
    fn start_error(cfg: &SessionConfig, link: &mut MockLink) -> StartError {
        Session::start(cfg.clone(), link, Duration::from_millis(20), Time::ZERO)
            .err()
            .unwrap()
    }

    /// The Hello of a board of this link version at our address.
    fn our_hello(build_id: u32) -> Message {
        Message::Hello(Hello {
            version: LINK_VERSION,
            mac: OUR_MAC,
            ip: OUR_IP,
            build_id,
            rx_fifo_bytes: 2048,
            rx_record_overhead: 35,
        })
    }

    #[test]
    fn start_sends_config_and_waits_for_hello() {
        let mut link = MockLink::default();
        link.inbox.push_back(our_hello(7));
        let cfg = SessionConfig::new(OUR_MAC, OUR_IP, 24);
        let s = Session::start(
            cfg.clone(),
            &mut link,
            Duration::from_millis(50),
            Time::ZERO,
        )
        .unwrap();
        assert_eq!(s.hello().unwrap().build_id, 7);
        assert_eq!(
            link.sent,
            vec![Message::Config(LinkConfig {
                mac: OUR_MAC,
                ip: OUR_IP,
                netmask: [255, 255, 255, 0],
                promiscuous: false,
                link_rate: LinkRate::Mbaud4,
            })]
        );
        assert!(link.switches.is_empty());

        let mut silent = MockLink::default();
        let e = start_error(&cfg, &mut silent);
        assert!(matches!(e, StartError::NoHello(_)), "{e}");

        // A version 3 board (no RxIcmp) and one from the future are refused alike.
        for version in [3, 9] {
            let mut other = MockLink::default();
            other.inbox.push_back(Message::Hello(Hello {
                version,
                mac: OUR_MAC,
                ip: OUR_IP,
                build_id: 0,
                rx_fifo_bytes: 2048,
                rx_record_overhead: 35,
            }));
            let e = start_error(&cfg, &mut other);
            assert!(matches!(e, StartError::Version(v) if v == version), "{e}");
            assert_eq!(
                e.to_string(),
                format!(
                    "the board speaks link version {version} and this host speaks 5; rebuild one of them."
                )
            );
        }

        // A version 4 board finds the longer Config malformed.
        let mut older = MockLink::default();
        older.inbox.push_back(Message::Error {
            code: ErrorCode::BadLength,
        });
        let e = start_error(&cfg, &mut older);
        assert_eq!(
            e.to_string(),
            "the board refused Config as malformed, so it speaks a link version older than this host's 5; rebuild one of them."
        );
    }

    #[test]
    fn start_at_12_mbaud_switches_after_the_config_and_configures_again() {
        let mut cfg = SessionConfig::new(OUR_MAC, OUR_IP, 24);
        cfg.link_rate = LinkRate::Mbaud12;
        let mut link = MockLink::default();
        link.inbox.push_back(our_hello(7));
        Session::start(
            cfg.clone(),
            &mut link,
            Duration::from_millis(50),
            Time::ZERO,
        )
        .unwrap();
        let config = Message::Config(Session::new(cfg.clone()).link_config());
        assert_eq!(link.sent, vec![config.clone(), config.clone()]);
        // At 4 Mbaud the first, then the switch, then the second at 12.
        assert_eq!(link.switches, vec![(1, LinkRate::Mbaud12)]);

        // A board that never answers: tried from 4 Mbaud, then from 12 (where a
        // previous session may have left it), each time ending at 12.
        let mut silent = MockLink::default();
        let e = start_error(&cfg, &mut silent);
        assert!(matches!(e, StartError::NoHello(_)), "{e}");
        assert_eq!(silent.sent, vec![config.clone(), config.clone(), config]);
        assert_eq!(silent.switches, vec![(1, LinkRate::Mbaud12)]);
    }

    #[test]
    fn rx_tcp_options_reach_the_engine() {
        let mut rx = syn_from_peer(40000);
        // SACK blocks come only from the raw bytes: two NOPs then a one-block SACK.
        rx.options = vec![1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 0];
        let seg = segment_from_rx(&rx, OUR_IP);
        assert_eq!(
            seg.options,
            TcpOptions {
                mss: Some(1460),
                window_scale: Some(7),
                sack_permitted: true,
                timestamps: None,
                sack_blocks: vec![(1, 9)],
            }
        );
        assert_eq!((seg.src_addr, seg.dst_addr), (PEER_IP, OUR_IP));
        assert_eq!(seg.flags, Flags::SYN);
        // NS is not a flag the engine knows; it must not leak into other bits.
        rx.flags = tcp_flags::NS | tcp_flags::ACK;
        assert_eq!(segment_from_rx(&rx, OUR_IP).flags, Flags::ACK);
    }

    #[test]
    fn syn_is_answered_to_the_senders_mac_without_arp() {
        let mut s = session();
        let l = s.stack().listen(7, 8).unwrap();
        let mut link = MockLink::default();
        link.inbox.push_back(Message::RxTcp(syn_from_peer(40000)));
        s.poll(&mut link, Time::ZERO).unwrap();
        let sent = link.take();
        let tx = tx_tcps(&sent);
        assert_eq!(tx.len(), 1, "{sent:?}");
        assert_eq!(tx[0].dst_mac, PEER_MAC);
        assert_eq!(tx[0].flags, tcp_flags::SYN | tcp_flags::ACK);
        assert_eq!(tx[0].ack, 1001);
        assert_ne!(tx[0].tag, 0);
        assert!(s.stack().accept(l).unwrap().is_none()); // SYN-RECEIVED, not yet accepted
    }

    #[test]
    fn unknown_mac_holds_segments_retries_arp_then_drops() {
        let mut s = session();
        let mut link = MockLink::default();
        let id = s.stack().connect((PEER_IP, 80), Time::ZERO).unwrap();
        s.poll(&mut link, Time::ZERO).unwrap();
        assert_eq!(link.take(), vec![Message::ArpRequest { ip: PEER_IP }]);
        // Not due yet: nothing more.
        s.poll(&mut link, Time::from_millis(500)).unwrap();
        assert_eq!(link.take(), vec![]);
        assert_eq!(s.poll_at(), Some(Time::from_millis(1000)));
        s.poll(&mut link, Time::from_millis(1000)).unwrap();
        // The SYN's own retransmission (RTO 1 s) joins the held queue.
        assert_eq!(link.take(), vec![Message::ArpRequest { ip: PEER_IP }]);
        s.poll(&mut link, Time::from_millis(2000)).unwrap();
        assert_eq!(link.take(), vec![Message::ArpRequest { ip: PEER_IP }]);
        s.poll(&mut link, Time::from_millis(2999)).unwrap();
        assert_eq!(link.take(), vec![]);
        // Third try unanswered: held segments go, counted.
        s.poll(&mut link, Time::from_millis(3000)).unwrap();
        let c = s.host_counters();
        assert_eq!(c.arp_requests, 3);
        assert!(c.arp_drops >= 2, "{c:?}");
        assert!(!s.has_pending());
        // A later segment starts ARP again, and a reply releases it at once.
        s.stack().abort(id).ok();
        let id = s
            .stack()
            .connect((PEER_IP, 81), Time::from_millis(3000))
            .unwrap();
        s.poll(&mut link, Time::from_millis(3000)).unwrap();
        assert_eq!(link.take(), vec![Message::ArpRequest { ip: PEER_IP }]);
        link.inbox.push_back(Message::ArpReply {
            ip: PEER_IP,
            mac: PEER_MAC,
        });
        s.poll(&mut link, Time::from_millis(3001)).unwrap();
        let sent = link.take();
        let tx: Vec<&TxTcp> = tx_tcps(&sent)
            .into_iter()
            .filter(|t| t.dst_port == 81)
            .collect();
        assert_eq!(tx.len(), 1, "{sent:?}");
        assert_eq!(tx[0].dst_mac, PEER_MAC);
        assert_eq!(tx[0].flags, tcp_flags::SYN);
        assert_eq!(s.stack().state(id), State::SynSent);
    }

    /// Establishes a connection to port 9 from the peer; returns the accepted socket
    /// and the peer's next sequence number, with the link's sent list cleared.
    fn established(s: &mut Session, link: &mut MockLink) -> (crate::tcp::SocketId, u32, u32) {
        let l = s.stack().listen(9, 8).unwrap();
        let mut syn = syn_from_peer(40001);
        syn.dst_port = 9;
        link.inbox.push_back(Message::RxTcp(syn));
        s.poll(link, Time::ZERO).unwrap();
        let synack = tx_tcps(&link.sent)[0].clone();
        link.inbox.push_back(Message::TxDone { tag: synack.tag });
        link.inbox.push_back(Message::RxTcp(RxTcp {
            seq: 1001,
            ack: synack.seq.wrapping_add(1),
            flags: tcp_flags::ACK,
            mss: 0,
            window_scale: 0xff,
            option_flags: 0,
            options: vec![],
            dst_port: 9,
            ..syn_from_peer(40001)
        }));
        s.poll(link, Time::ZERO).unwrap();
        link.take();
        let id = s.stack().accept(l).unwrap().unwrap();
        (id, 1001, synack.seq.wrapping_add(1))
    }

    #[test]
    fn at_most_two_requests_outstanding_until_tx_done() {
        let mut s = session();
        let mut link = MockLink::default();
        let (id, _, _) = established(&mut s, &mut link);
        // Three segments: what the initial congestion window allows.
        let data = vec![7u8; 3 * 1440];
        assert_eq!(s.stack().send(id, &data).unwrap(), data.len());
        s.poll(&mut link, Time::ZERO).unwrap();
        let first = link.take();
        assert_eq!(tx_tcps(&first).len(), 2, "window of two");
        assert_eq!(s.outstanding(), 2);
        s.poll(&mut link, Time::ZERO).unwrap();
        assert!(link.take().is_empty(), "nothing more until TxDone");
        // One TxDone frees one place.
        let t0 = tx_tcps(&first)[0].tag;
        link.inbox.push_back(Message::TxDone { tag: t0 });
        s.poll(&mut link, Time::ZERO).unwrap();
        let next = link.take();
        assert_eq!(tx_tcps(&next).len(), 1);
        // Payload goes out in order, byte-exact.
        let seqs: Vec<u32> = tx_tcps(&first)
            .iter()
            .chain(tx_tcps(&next).iter())
            .map(|t| t.seq)
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0].wrapping_add(1440)),
            "{seqs:?}"
        );
        // A TxDone that never comes frees its place after the timeout.
        s.poll(&mut link, Time::from_millis(499)).unwrap();
        assert_eq!(s.outstanding(), 2);
        s.poll(&mut link, Time::from_millis(500)).unwrap();
        assert_eq!(s.outstanding(), 0);
        assert_eq!(s.host_counters().tx_done_timeouts, 2);
    }

    #[test]
    fn a_tx_done_confirms_the_requests_before_it() {
        let mut s = session();
        let mut link = MockLink::default();
        let (id, _, _) = established(&mut s, &mut link);
        s.stack().send(id, &[5u8; 3 * 1440]).unwrap();
        s.poll(&mut link, Time::ZERO).unwrap();
        let sent = link.take();
        let first = tx_tcps(&sent);
        assert_eq!(first.len(), 2);
        // The first frame's TxDone was replaced by the second's on the board.
        link.inbox.push_back(Message::TxDone { tag: first[1].tag });
        s.poll(&mut link, Time::ZERO).unwrap();
        assert_eq!(
            tx_tcps(&link.take()).len(),
            1,
            "both places free: the third goes"
        );
        assert_eq!(s.outstanding(), 1);
        let c = s.host_counters();
        // The handshake's SYN+ACK had its own.
        assert_eq!(
            (c.tx_done, c.tx_done_implied, c.tx_done_timeouts),
            (2, 1, 0)
        );
        // A TxDone for a tag no longer outstanding (a late duplicate) frees nothing.
        link.inbox.push_back(Message::TxDone { tag: first[0].tag });
        s.poll(&mut link, Time::ZERO).unwrap();
        assert_eq!(s.outstanding(), 1);
    }

    #[test]
    fn transmit_busy_resends_the_refused_request_later() {
        let mut s = session();
        let mut link = MockLink::default();
        let (id, _, _) = established(&mut s, &mut link);
        s.stack().send(id, &[1u8; 2 * 1440]).unwrap();
        s.poll(&mut link, Time::ZERO).unwrap();
        let sent = link.take();
        let refused = tx_tcps(&sent)[1].clone();
        link.inbox.push_back(Message::Error {
            code: ErrorCode::TransmitBusy,
        });
        s.poll(&mut link, Time::ZERO).unwrap();
        assert!(link.take().is_empty(), "backs off");
        assert_eq!(s.outstanding(), 1);
        s.poll(&mut link, Time(1000)).unwrap();
        let again = link.take();
        let again = tx_tcps(&again);
        assert_eq!(again.len(), 1);
        assert_eq!(
            (again[0].seq, &again[0].payload),
            (refused.seq, &refused.payload)
        );
        assert_ne!(again[0].tag, refused.tag);
        assert_eq!(s.host_counters().busy_resends, 1);
    }

    #[test]
    fn udp_both_ways() {
        let mut s = session();
        let mut link = MockLink::default();
        let sock = s.udp().bind(53).unwrap();
        link.inbox.push_back(Message::RxUdp(RxUdp {
            src_mac: PEER_MAC,
            src_ip: PEER_IP,
            dst_ip: OUR_IP,
            src_port: 5353,
            dst_port: 53,
            payload: b"q".to_vec(),
        }));
        s.poll(&mut link, Time::ZERO).unwrap();
        let (from, p) = s.udp().recv_from(sock).unwrap().unwrap();
        assert_eq!((from, p.as_slice()), ((PEER_IP, 5353), &b"q"[..]));
        s.udp().send_to(sock, from, b"a").unwrap();
        s.poll(&mut link, Time::ZERO).unwrap();
        match link.take().as_slice() {
            [Message::TxUdp(u)] => {
                assert_eq!(
                    (u.dst_mac, u.dst_port, u.payload.as_slice()),
                    (PEER_MAC, 5353, &b"a"[..])
                )
            }
            other => panic!("{other:?}"),
        }
    }

    fn udp_from(src_ip: [u8; 4], dst_ip: [u8; 4], dst_port: u16) -> Message {
        Message::RxUdp(RxUdp {
            src_mac: PEER_MAC,
            src_ip,
            dst_ip,
            src_port: 5353,
            dst_port,
            payload: b"are you there".to_vec(),
        })
    }

    fn tx_icmps(msgs: &[Message]) -> Vec<&TxIcmp> {
        msgs.iter()
            .filter_map(|m| match m {
                Message::TxIcmp(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn udp_to_a_closed_port_is_answered_with_port_unreachable() {
        let mut s = session();
        let mut link = MockLink::default();
        s.udp().bind(53).unwrap();
        link.inbox.push_back(udp_from(PEER_IP, OUR_IP, 53));
        link.inbox.push_back(udp_from(PEER_IP, OUR_IP, 54));
        // Not answered: to the subnet's and the limited broadcast, to a group, not to
        // us, from no single host.
        link.inbox
            .push_back(udp_from(PEER_IP, [192, 0, 2, 255], 54));
        link.inbox.push_back(udp_from(PEER_IP, [255; 4], 54));
        link.inbox
            .push_back(udp_from(PEER_IP, [224, 0, 0, 251], 54));
        link.inbox.push_back(udp_from(PEER_IP, [192, 0, 2, 77], 54));
        link.inbox.push_back(udp_from([0; 4], OUR_IP, 54));
        s.poll(&mut link, Time::ZERO).unwrap();
        let sent = link.take();
        let icmp = tx_icmps(&sent);
        assert_eq!(icmp.len(), 1, "{sent:?}");
        assert_eq!((icmp[0].dst_ip, icmp[0].dst_mac), (PEER_IP, PEER_MAC));
        assert_ne!(icmp[0].tag, 0);
        let quoted = crate::udp::Datagram {
            src_addr: PEER_IP,
            dst_addr: OUR_IP,
            src_port: 5353,
            dst_port: 54,
            payload: b"are you there".to_vec(),
        };
        assert_eq!(icmp[0].message, crate::icmp::port_unreachable(&quoted));
        let c = s.host_counters();
        assert_eq!((c.icmp_port_unreachable_sent, c.tx_icmp), (1, 1));
        assert_eq!(c.icmp_port_unreachable_rate_limited, 0);
        assert_eq!(c.rx_udp, 7);
    }

    #[test]
    fn port_unreachables_are_rate_limited() {
        let mut cfg = SessionConfig::new(OUR_MAC, OUR_IP, 24);
        cfg.icmp_limit = RateLimit {
            per_second: 10,
            burst: 3,
        };
        let mut s = Session::new(cfg);
        let mut link = MockLink::default();
        // Handles what the link holds at `now` and confirms every TxIcmp sent (so the
        // transmit window never holds one back); returns how many were sent.
        let answers = |s: &mut Session, link: &mut MockLink, now: Time| {
            let mut n = 0;
            s.poll(link, now).unwrap();
            loop {
                let sent = link.take();
                let icmp = tx_icmps(&sent);
                if icmp.is_empty() {
                    return n;
                }
                n += icmp.len();
                for t in icmp {
                    link.inbox.push_back(Message::TxDone { tag: t.tag });
                }
                s.poll(link, now).unwrap();
            }
        };
        // Ten datagrams at once, then one 100 ms later (one token earned by then).
        for _ in 0..10 {
            link.inbox.push_back(udp_from(PEER_IP, OUR_IP, 9));
        }
        let mut answered = answers(&mut s, &mut link, Time::ZERO);
        assert_eq!(answered, 3);
        link.inbox.push_back(udp_from(PEER_IP, OUR_IP, 9));
        answered += answers(&mut s, &mut link, Time::from_millis(100));
        assert_eq!(answered, 4);
        let c = s.host_counters();
        assert_eq!(c.icmp_port_unreachable_sent, 4);
        assert_eq!(c.icmp_port_unreachable_rate_limited, 7);
    }

    #[test]
    fn counters_are_named() {
        let mut s = session();
        let mut link = MockLink::default();
        let mut values = [0u32; 32];
        let (slot, name) = tcpip_sim::rx::counter_names()[0];
        values[slot as usize] = 42;
        link.inbox.push_back(Message::Counters(values));
        let c = s
            .counters(&mut link, Duration::from_millis(50), Time::ZERO)
            .unwrap();
        assert_eq!(link.sent, vec![Message::GetCounters]);
        assert!(c.iter().any(|(n, v)| n == "host_rx_tcp" && *v == 0));
        assert!(c
            .iter()
            .any(|(n, v)| n == "tcp_half_open_evicted" && *v == 0));
        assert!(c.iter().any(|(n, v)| n == name && *v == 42), "{c:?}");
        let mut silent = MockLink::default();
        assert!(s
            .counters(&mut silent, Duration::from_millis(10), Time::ZERO)
            .is_err());
    }
}
