//! One connection: its transmission control block and RFC 9293 §3.10 event processing.
//!
//! A [`Connection`] is driven from outside: [`Connection::on_segment`] for every
//! segment of its 4-tuple, [`Connection::poll`] to collect what it wants to send now,
//! [`Connection::poll_at`] for its next deadline, and the user calls (`send`, `recv`,
//! `shutdown`, `close`, `abort`). It never looks at a clock of its own.
//!
//! Sequence numbers wrap, so every comparison goes through [`seq_lt`] and friends.
//! Received bytes are stored by 64-bit stream offset, which cannot wrap.

use super::congestion::{AckAction, NewReno};
use super::fifo::RxFifo;
use super::reassembly::Reassembly;
use super::rtt::RttEstimator;
use super::segment::{Flags, Segment, TcpOptions};
use super::state::State;
use super::time::Time;
use std::collections::VecDeque;
use std::time::Duration;

/// Challenge ACKs sent per second at most (RFC 5961 §7 suggests a small number).
pub const CHALLENGE_ACK_LIMIT: u32 = 10;

/// An address and port.
pub type Endpoint = ([u8; 4], u16);

pub fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}
pub fn seq_le(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) <= 0
}
pub fn seq_gt(a: u32, b: u32) -> bool {
    seq_lt(b, a)
}
pub fn seq_ge(a: u32, b: u32) -> bool {
    seq_le(b, a)
}
/// `lo <= x < hi` in sequence space.
fn seq_in(x: u32, lo: u32, hi: u32) -> bool {
    seq_le(lo, x) && seq_lt(x, hi)
}

/// Tunables. The defaults follow the RFCs (RTO 1 s initial and minimum, MSL 2 min
/// would be RFC 9293's; we default to a 30 s MSL like most stacks).
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// MSS we announce: what fits our link MTU.
    pub mss: u16,
    pub rx_buffer: usize,
    pub tx_buffer: usize,
    /// Offer window scaling (RFC 7323); the shift is what our largest window needs
    /// (see [`Config::window_shift`]).
    pub window_scale: bool,
    /// Offer SACK-permitted and report SACK blocks (RFC 2018).
    pub sack: bool,
    /// Maximum segment lifetime; TIME-WAIT lasts twice this.
    pub msl: Duration,
    pub initial_rto: Duration,
    pub min_rto: Duration,
    pub max_rto: Duration,
    /// Retransmissions of one segment before the connection is given up.
    pub max_retries: u32,
    /// Connections in SYN-RECEIVED a stack holds at most; a SYN beyond this evicts
    /// the oldest (stack.rs, `open_passive`, says why eviction and not SYN cookies).
    pub max_half_open: usize,
    /// The board's receive FIFO, when known (from Hello): windows and the MSS we
    /// announce are sized so that what peers may send fits it (see [`super::fifo`]).
    pub rx_fifo: Option<RxFifo>,
}

impl Config {
    /// The MSS our SYNs announce: what fits the link, and a window of it the FIFO.
    pub fn announced_mss(&self) -> u16 {
        match self.rx_fifo {
            Some(f) => f.mss(self.mss),
            None => self.mss,
        }
    }

    /// The window scale we offer: what the largest window we may advertise needs, the
    /// socket buffer or, with the board's FIFO known, the smaller FIFO. A shift the
    /// windows do not need only rounds them down, and rounded below one segment (a
    /// window of one odd-sized MSS at shift 1) a window stalls a Linux sender: it
    /// sends no segment that does not fit and waits for its persist timer instead,
    /// 200 ms a segment.
    pub fn window_shift(&self) -> u8 {
        let largest = match self.rx_fifo {
            Some(f) => self.rx_buffer.min(f.bytes as usize),
            None => self.rx_buffer,
        };
        shift_for(largest)
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            mss: 1460,
            rx_buffer: 64 * 1024,
            tx_buffer: 64 * 1024,
            window_scale: true,
            sack: true,
            msl: Duration::from_secs(30),
            initial_rto: Duration::from_secs(1),
            min_rto: Duration::from_secs(1),
            max_rto: Duration::from_secs(60),
            max_retries: 8,
            max_half_open: 256,
            rx_fifo: None,
        }
    }
}

/// What happened to a connection, for the application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    StateChanged {
        from: State,
        to: State,
    },
    /// New bytes can be read.
    Readable,
    /// Send buffer space was freed.
    Writable,
    /// The peer sent FIN: no more bytes will arrive after those buffered.
    PeerClosed,
    /// The connection ended with an error.
    Error(Error),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// RST in answer to our SYN.
    Refused,
    /// RST received on a synchronized connection.
    Reset,
    /// Retransmission limit reached.
    TimedOut,
    /// The call is not valid in the current state (e.g. send after shutdown).
    InvalidState,
    /// An ICMP hard error (protocol or port unreachable) answered our SYN.
    Unreachable,
}

/// An ICMP error quoting one of our segments (RFC 792, RFC 1122 §4.2.3.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IcmpError {
    /// Destination unreachable (type 3) with its code, but code 4.
    Unreachable(u8),
    /// Destination unreachable, fragmentation needed and DF set (type 3 code 4): the
    /// next-hop MTU (0 from a router older than RFC 1191) and the quoted datagram's
    /// total length.
    FragmentationNeeded { mtu: u16, quoted_len: u16 },
    /// Time exceeded (type 11).
    TimeExceeded,
    /// Parameter problem (type 12).
    ParameterProblem,
}

/// What an ICMP error did to the connection it quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IcmpOutcome {
    /// The quoted sequence number is not one we have sent and not had acknowledged
    /// (RFC 5927 §4.1.1), or the connection has nothing in flight: ignored.
    OutOfWindow,
    /// Recorded as the connection's soft error ([`Connection::soft_error`]).
    Soft,
    /// A hard error in SYN-SENT: the connection is aborted with [`Error::Unreachable`].
    Aborted,
    /// Fragmentation needed: the send MSS was lowered and the data in flight goes again.
    MssLowered,
    /// Fragmentation needed with an MTU that allows no smaller MSS than ours: nothing
    /// to do.
    MssUnchanged,
}

/// RFC 1191 §7's plateaus: a router that reports no next-hop MTU gets the largest
/// below the quoted datagram's length.
const MTU_PLATEAUS: [u16; 10] = [32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Error::Refused => "connection refused",
            Error::Reset => "connection reset",
            Error::TimedOut => "connection timed out",
            Error::InvalidState => "invalid in this connection state",
            Error::Unreachable => "destination unreachable",
        })
    }
}

impl std::error::Error for Error {}

#[derive(Debug)]
pub struct Connection {
    cfg: Config,
    state: State,
    local: Endpoint,
    remote: Endpoint,
    /// Created from a LISTEN socket (matters for RST and SYN in SYN-RECEIVED).
    passive: bool,

    // Send sequence space (RFC 9293 §3.3.1), plus SND.MAX: highest sequence sent,
    // which stays put when the retransmission timer rewinds SND.NXT.
    iss: u32,
    snd_una: u32,
    snd_nxt: u32,
    snd_max: u32,
    snd_wnd: u32,
    max_snd_wnd: u32,
    snd_wl1: u32,
    snd_wl2: u32,
    snd_shift: u8,
    send_mss: u32,
    /// The path's MSS as ICMP fragmentation-needed taught it (RFC 1191), u32::MAX
    /// until one came: the send MSS never exceeds it.
    path_mss: u32,
    /// The last ICMP soft error about this connection (RFC 1122 §4.2.3.9: reported,
    /// never fatal by itself).
    soft_error: Option<IcmpError>,
    sack_ok: bool,
    /// Unacknowledged and unsent bytes; `tx[0]` is the byte at `tx_seq`.
    tx: VecDeque<u8>,
    tx_seq: u32,
    /// The user has no more to send: a FIN follows the last byte of `tx`.
    tx_closed: bool,

    // Receive sequence space.
    irs: u32,
    rcv_nxt: u32,
    /// Right edge of the window we last advertised; never moves left.
    rcv_adv: u32,
    rcv_shift: u8,
    /// The window the last SYN we sent offered (its edge counts from the peer's ISN,
    /// unknown until its SYN arrives).
    syn_window: u32,
    /// The largest segment the peer sends us: our announced MSS, or its own if smaller.
    rcv_mss: u32,
    /// The most this connection may advertise, set by the stack from its part of the
    /// board's receive FIFO (`u32::MAX`: no limit but the socket buffer).
    window_limit: u32,
    /// Stream offset of RCV.NXT (data bytes received in order so far).
    rx_off: u64,
    rx: VecDeque<u8>,
    reasm: Reassembly,
    /// Stream offset of the peer's FIN, once seen (possibly ahead of a gap).
    rx_fin: Option<u64>,
    rx_eof: bool,
    /// Options of the peer's SYN, echoed in our SYN,ACK.
    peer_syn_options: TcpOptions,
    /// The user closed the socket: received bytes are acknowledged and dropped.
    released: bool,

    rtt: RttEstimator,
    /// The segment being timed: (sequence number whose ACK ends the sample, sent at).
    timing: Option<(u32, Time)>,
    cc: NewReno,
    rto_at: Option<Time>,
    retries: u32,
    persist_at: Option<Time>,
    persist_backoff: u32,
    probe_now: bool,
    time_wait_at: Option<Time>,
    ack_now: bool,
    retransmit_first: bool,
    /// SACK scoreboard (RFC 6675, simplified): ranges above SND.UNA the peer holds,
    /// sorted, merged.
    sacked: Vec<(u32, u32)>,
    /// Everything below this was retransmitted in the current loss recovery.
    rexmit_high: u32,
    /// Retransmit the next hole the scoreboard shows.
    retransmit_hole: bool,
    /// Start and count of the current challenge-ACK second (RFC 5961 §7).
    challenge_since: Time,
    challenge_count: u32,
    /// Segments sent again (sequence space already sent once): SYN, SYN,ACK, data, FIN.
    retransmitted: u64,
    /// Control segments decided during input processing (RST answers).
    outbox: Vec<Segment>,
    events: Vec<Event>,
    readable_signalled: bool,
    writable_signalled: bool,
    error: Option<Error>,
}

fn shift_for(buffer: usize) -> u8 {
    let mut s = 0u8;
    while (buffer >> s) > 0xffff && s < 14 {
        s += 1;
    }
    s
}

impl Connection {
    fn blank(
        cfg: Config,
        local: Endpoint,
        remote: Endpoint,
        iss: u32,
        passive: bool,
    ) -> Connection {
        Connection {
            cfg,
            state: State::Closed,
            local,
            remote,
            passive,
            iss,
            snd_una: iss,
            snd_nxt: iss,
            snd_max: iss,
            snd_wnd: 0,
            max_snd_wnd: 0,
            snd_wl1: 0,
            snd_wl2: 0,
            snd_shift: 0,
            send_mss: 536,
            path_mss: u32::MAX,
            soft_error: None,
            sack_ok: false,
            tx: VecDeque::new(),
            tx_seq: iss.wrapping_add(1),
            tx_closed: false,
            irs: 0,
            rcv_nxt: 0,
            rcv_adv: 0,
            rcv_shift: 0,
            syn_window: 0,
            rcv_mss: cfg.announced_mss() as u32,
            window_limit: u32::MAX,
            rx_off: 0,
            rx: VecDeque::new(),
            reasm: Reassembly::new(),
            rx_fin: None,
            rx_eof: false,
            peer_syn_options: TcpOptions::default(),
            released: false,
            rtt: RttEstimator::new(cfg.initial_rto, cfg.min_rto, cfg.max_rto),
            timing: None,
            cc: NewReno::new(536),
            rto_at: None,
            retries: 0,
            persist_at: None,
            persist_backoff: 0,
            probe_now: false,
            time_wait_at: None,
            ack_now: false,
            retransmit_first: false,
            sacked: Vec::new(),
            rexmit_high: iss,
            retransmit_hole: false,
            challenge_since: Time::ZERO,
            challenge_count: 0,
            retransmitted: 0,
            outbox: Vec::new(),
            events: Vec::new(),
            readable_signalled: false,
            writable_signalled: false,
            error: None,
        }
    }

    /// Active open: a connection in SYN-SENT whose SYN goes out on the next poll.
    pub fn connect(cfg: Config, local: Endpoint, remote: Endpoint, iss: u32) -> Connection {
        let mut c = Connection::blank(cfg, local, remote, iss, false);
        c.set_state(State::SynSent);
        c
    }

    /// Passive open: `syn` arrived on a LISTEN socket (the caller checked it is a SYN
    /// without RST or ACK). The connection is in SYN-RECEIVED; the SYN,ACK goes out on
    /// the next poll.
    pub fn accept_syn(cfg: Config, syn: &Segment, iss: u32) -> Connection {
        let local = (syn.dst_addr, syn.dst_port);
        let remote = (syn.src_addr, syn.src_port);
        let mut c = Connection::blank(cfg, local, remote, iss, true);
        c.state = State::Listen;
        c.take_syn(syn);
        c.set_state(State::SynReceived);
        c
    }

    // ---- accessors ---------------------------------------------------------------

    /// The initial send sequence number this side chose.
    pub fn iss(&self) -> u32 {
        self.iss
    }
    pub fn state(&self) -> State {
        self.state
    }
    pub fn local(&self) -> Endpoint {
        self.local
    }
    pub fn remote(&self) -> Endpoint {
        self.remote
    }
    pub fn is_passive(&self) -> bool {
        self.passive
    }
    pub fn error(&self) -> Option<Error> {
        self.error
    }
    /// The last ICMP soft error about this connection, if any came.
    pub fn soft_error(&self) -> Option<IcmpError> {
        self.soft_error
    }
    /// The largest segment this connection sends.
    pub fn send_mss(&self) -> u32 {
        self.send_mss
    }
    pub fn is_released(&self) -> bool {
        self.released
    }
    /// Bytes waiting to be read.
    pub fn recv_queue(&self) -> usize {
        self.rx.len()
    }
    /// Bytes not yet acknowledged by the peer (sent or not).
    pub fn send_queue(&self) -> usize {
        self.tx.len()
    }
    /// The peer's FIN has been received and every byte before it is in the receive buffer.
    pub fn peer_closed(&self) -> bool {
        self.rx_eof
    }
    pub fn congestion_window(&self) -> u32 {
        self.cc.cwnd()
    }
    pub fn smoothed_rtt(&self) -> Option<Duration> {
        self.rtt.srtt()
    }
    /// Segments sent again so far (timeouts, fast retransmit, SACK holes).
    pub fn retransmitted(&self) -> u64 {
        self.retransmitted
    }
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
    pub fn drain_events_into(&mut self, out: &mut Vec<Event>) {
        out.append(&mut self.events);
    }

    fn set_state(&mut self, to: State) {
        if to == self.state {
            return;
        }
        let from = self.state;
        self.state = to;
        self.events.push(Event::StateChanged { from, to });
        if to == State::Closed {
            self.rto_at = None;
            self.persist_at = None;
            self.time_wait_at = None;
            self.ack_now = false;
            self.retransmit_first = false;
            self.retransmit_hole = false;
        }
    }

    fn fail(&mut self, e: Error) {
        self.error = Some(e);
        self.events.push(Event::Error(e));
        self.set_state(State::Closed);
    }

    // ---- user calls --------------------------------------------------------------

    /// Queue bytes for sending; returns how many fit in the send buffer.
    pub fn send(&mut self, data: &[u8]) -> Result<usize, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let open = matches!(
            self.state,
            State::SynSent | State::SynReceived | State::Established | State::CloseWait
        );
        if !open || self.tx_closed {
            return Err(Error::InvalidState);
        }
        let n = data
            .len()
            .min(self.cfg.tx_buffer.saturating_sub(self.tx.len()));
        self.tx.extend(&data[..n]);
        self.writable_signalled = false;
        Ok(n)
    }

    /// Read received bytes in order. `Ok(0)` with `peer_closed()` means end of stream.
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let n = buf.len().min(self.rx.len());
        if n == 0 {
            if let Some(e) = self.error {
                return Err(e);
            }
            return Ok(0);
        }
        let (a, b) = self.rx.as_slices();
        let from_a = n.min(a.len());
        buf[..from_a].copy_from_slice(&a[..from_a]);
        buf[from_a..n].copy_from_slice(&b[..n - from_a]);
        self.rx.drain(..n);
        self.readable_signalled = false;
        self.maybe_window_update();
        Ok(n)
    }

    /// Read everything buffered.
    pub fn recv_all(&mut self) -> Vec<u8> {
        let v: Vec<u8> = self.rx.drain(..).collect();
        self.readable_signalled = false;
        if !v.is_empty() {
            self.maybe_window_update();
        }
        v
    }

    /// Announce a larger window once reading has freed enough space to be worth a
    /// segment (receiver-side silly window avoidance, RFC 9293 §3.8.6.2.2).
    fn maybe_window_update(&mut self) {
        if !self.state.is_synchronized() || self.rx_eof {
            return;
        }
        let free = self.rcv_avail();
        let edge = self
            .rcv_nxt
            .wrapping_add(((free >> self.rcv_shift) << self.rcv_shift) as u32);
        let gain = edge.wrapping_sub(self.rcv_adv);
        // Worth it: half the buffer (the FIFO's part, when that is the smaller), or two
        // segments.
        let buffer = self.cfg.rx_buffer.min(self.window_limit as usize);
        if seq_gt(edge, self.rcv_adv)
            && gain as usize
                >= (buffer / 2)
                    .min(2 * self.cfg.announced_mss() as usize)
                    .max(1)
        {
            self.ack_now = true;
        }
    }

    /// Sets the most this connection may advertise (the stack's share of the board's
    /// receive FIFO for it); a window update goes out if the window can open by enough.
    pub fn set_window_limit(&mut self, limit: u32) {
        if limit == self.window_limit {
            return;
        }
        let grew = limit > self.window_limit;
        self.window_limit = limit;
        if grew {
            self.maybe_window_update();
        }
    }

    /// Whether the peer may still send us data (so its window takes part of the FIFO).
    pub fn receives(&self) -> bool {
        matches!(
            self.state,
            State::SynSent
                | State::SynReceived
                | State::Established
                | State::FinWait1
                | State::FinWait2
        ) && self.rx_fin.is_none()
    }

    /// The sequence space we have promised the peer and not yet received: from
    /// RCV.NXT to the right edge of the window we advertised.
    pub fn rcv_promise(&self) -> u32 {
        if !self.receives() {
            return 0;
        }
        if self.state == State::SynSent {
            return self.syn_window;
        }
        if seq_gt(self.rcv_adv, self.rcv_nxt) {
            self.rcv_adv.wrapping_sub(self.rcv_nxt)
        } else {
            0
        }
    }

    /// Data bytes received in order so far (delivered, or discarded after `close`).
    pub fn bytes_received(&self) -> u64 {
        self.rx_off
    }

    /// The largest segment the peer sends us (for the FIFO's record count).
    pub fn rcv_mss(&self) -> u32 {
        self.rcv_mss
    }

    /// Option bytes the peer's segments may carry (for the FIFO's records): SACK
    /// blocks, about data we sent, once we send any (we never offer timestamps).
    pub fn rcv_options(&self) -> u32 {
        let sending = seq_gt(self.snd_max, self.iss.wrapping_add(1)) || !self.tx.is_empty();
        if self.sack_ok && sending {
            super::fifo::MAX_OPTION_BYTES
        } else {
            0
        }
    }

    /// No more data will be sent: a FIN follows what is queued (RFC 9293 CLOSE call).
    pub fn shutdown(&mut self) -> Result<(), Error> {
        match self.state {
            State::SynSent => {
                self.set_state(State::Closed);
            }
            State::SynReceived | State::Established => {
                self.tx_closed = true;
                self.set_state(State::FinWait1);
            }
            State::CloseWait => {
                self.tx_closed = true;
                self.set_state(State::LastAck);
            }
            State::Closed | State::Listen => return Err(Error::InvalidState),
            // Already closing.
            _ => {}
        }
        Ok(())
    }

    /// Shut down the sending side and give the connection up: it finishes closing on
    /// its own; bytes still arriving are acknowledged and discarded.
    pub fn close(&mut self) {
        let _ = self.shutdown();
        self.released = true;
        self.rx.clear();
    }

    /// Reset the connection (RFC 9293 ABORT): RST to the peer if it knows us.
    pub fn abort(&mut self) {
        if matches!(
            self.state,
            State::SynReceived
                | State::Established
                | State::FinWait1
                | State::FinWait2
                | State::CloseWait
        ) {
            let rst = self.segment(self.ack_seq(), Flags::RST);
            self.outbox.push(rst);
        }
        self.released = true;
        self.set_state(State::Closed);
    }

    // ---- segments out ------------------------------------------------------------

    fn rx_free(&self) -> usize {
        self.cfg.rx_buffer.saturating_sub(self.rx.len())
    }

    /// What the next window may offer: the socket buffer's free space within the
    /// FIFO's limit. A promise already made is not taken back (RFC 9293 §3.8.6: a
    /// receiver should not shrink the window): it was counted in the FIFO when made.
    fn rcv_avail(&self) -> usize {
        let free = self.rx_free();
        let promised = (self.rcv_promise() as usize).min(free);
        free.min(self.window_limit as usize).max(promised)
    }

    /// A segment from us with the current ACK and window.
    fn segment(&self, seq: u32, flags: Flags) -> Segment {
        let mut s = Segment::new(self.local, self.remote);
        s.seq = seq;
        s.flags = flags;
        if flags.ack() {
            s.ack = self.rcv_nxt;
        }
        s
    }

    /// Sequence number for a segment without data (ACK, RST). After the retransmission
    /// timer rewinds SND.NXT the peer may already hold bytes beyond it, and an empty
    /// segment from before its RCV.NXT would be refused, ACK and all; SND.MAX is
    /// never behind the peer's RCV.NXT nor past its window.
    fn ack_seq(&self) -> u32 {
        if seq_gt(self.snd_max, self.snd_nxt) {
            self.snd_max
        } else {
            self.snd_nxt
        }
    }

    /// Fill in the window field and remember the edge it promises.
    fn stamp_window(&mut self, s: &mut Segment) {
        let free = self.rcv_avail();
        if s.flags.syn() {
            // Windows in SYN segments are never scaled (RFC 7323 §2.2).
            s.window = free.min(0xffff) as u16;
            self.syn_window = self.syn_window.max(s.window as u32);
        } else {
            s.window = (free >> self.rcv_shift).min(0xffff) as u16;
        }
        if s.flags.ack() || s.flags.syn() {
            let shift = if s.flags.syn() { 0 } else { self.rcv_shift };
            let edge = self.rcv_nxt.wrapping_add((s.window as u32) << shift);
            if seq_gt(edge, self.rcv_adv) {
                self.rcv_adv = edge;
            }
        }
        if s.flags.ack() && self.sack_ok && !self.reasm.is_empty() {
            s.options.sack_blocks = self
                .reasm
                .blocks(3)
                .into_iter()
                .map(|(a, b)| {
                    let base = self.rcv_nxt.wrapping_sub(self.rx_off as u32);
                    (base.wrapping_add(a as u32), base.wrapping_add(b as u32))
                })
                .collect();
        }
    }

    fn syn_options(&self, answering: Option<&TcpOptions>) -> TcpOptions {
        let mut o = TcpOptions {
            mss: Some(self.cfg.announced_mss()),
            ..TcpOptions::default()
        };
        // On a SYN,ACK only echo what the peer offered (RFC 7323 §1.3, RFC 2018 §2).
        let peer_ws = answering.map(|p| p.window_scale.is_some()).unwrap_or(true);
        let peer_sack = answering.map(|p| p.sack_permitted).unwrap_or(true);
        if self.cfg.window_scale && peer_ws {
            o.window_scale = Some(self.cfg.window_shift());
        }
        o.sack_permitted = self.cfg.sack && peer_sack;
        o
    }

    /// Sequence number of `tx[0]`.
    fn tx_base(&self) -> u32 {
        self.tx_seq
    }

    /// Sequence number just past the last queued data byte (where a FIN goes).
    fn data_end(&self) -> u32 {
        self.tx_base().wrapping_add(self.tx.len() as u32)
    }

    fn fin_acked(&self) -> bool {
        self.tx_closed && self.snd_una == self.data_end().wrapping_add(1)
    }

    fn flight(&self) -> u32 {
        self.snd_max.wrapping_sub(self.snd_una)
    }

    /// A data (and maybe FIN) segment starting at `seq` with up to `max` bytes.
    fn data_segment(&mut self, seq: u32, max: u32, now: Time) -> Segment {
        let off = seq.wrapping_sub(self.tx_base()) as usize;
        let avail = self.tx.len().saturating_sub(off);
        let len = (max as usize).min(avail);
        let mut s = self.segment(seq, Flags::ACK);
        if len > 0 {
            let (a, b) = self.tx.as_slices();
            let mut p = Vec::with_capacity(len);
            let end = off + len;
            if off < a.len() {
                p.extend_from_slice(&a[off..end.min(a.len())]);
            }
            if end > a.len() {
                p.extend_from_slice(&b[off.max(a.len()) - a.len()..end - a.len()]);
            }
            s.payload = p;
            if off + len == self.tx.len() {
                s.flags = s.flags | Flags::PSH;
            }
        }
        let sends_fin = self.tx_closed && off + len == self.tx.len();
        if sends_fin {
            s.flags = s.flags | Flags::FIN;
        }
        self.stamp_window(&mut s);
        // RFC 6298 §5.1: the timer runs whenever data is outstanding.
        if self.rto_at.is_none() {
            self.rto_at = Some(now + self.rtt.rto());
        }
        s
    }

    /// Everything the connection wants to send at `now`, appended to `out`.
    pub fn poll(&mut self, now: Time, out: &mut Vec<Segment>) {
        self.on_timers(now);
        out.append(&mut self.outbox);
        let before = out.len();
        match self.state {
            State::Closed | State::Listen | State::TimeWait => {}
            State::SynSent | State::SynReceived => {
                if self.snd_nxt == self.iss {
                    let flags = if self.state == State::SynSent {
                        Flags::SYN
                    } else {
                        Flags::SYN | Flags::ACK
                    };
                    let mut s = self.segment(self.iss, flags);
                    let peer = if self.state == State::SynReceived {
                        Some(self.peer_syn_options.clone())
                    } else {
                        None
                    };
                    s.options = self.syn_options(peer.as_ref());
                    self.stamp_window(&mut s);
                    if self.snd_max != self.iss {
                        self.retransmitted += 1;
                    }
                    self.snd_nxt = self.iss.wrapping_add(1);
                    if seq_gt(self.snd_nxt, self.snd_max) || self.snd_max == self.iss {
                        self.snd_max = self.snd_nxt;
                    }
                    if self.retries == 0 {
                        self.timing = Some((self.snd_nxt, now));
                    }
                    if self.rto_at.is_none() {
                        self.rto_at = Some(now + self.rtt.rto());
                    }
                    out.push(s);
                }
            }
            _ => self.poll_data(now, out),
        }
        if self.ack_now && out.len() == before && self.state != State::Closed {
            let mut s = self.segment(self.ack_seq(), Flags::ACK);
            self.stamp_window(&mut s);
            out.push(s);
        }
        self.ack_now = false;
    }

    fn poll_data(&mut self, now: Time, out: &mut Vec<Segment>) {
        if self.retransmit_first && seq_lt(self.snd_una, self.snd_max) {
            let s = self.data_segment(self.snd_una, self.send_mss, now);
            if s.seq_len() > 0 {
                // Karn's rule: a sample must not come from a retransmitted segment.
                if self
                    .timing
                    .map(|(t, _)| seq_le(t, s.seq.wrapping_add(s.seq_len())))
                    .unwrap_or(false)
                {
                    self.timing = None;
                }
                let end = s.seq.wrapping_add(s.seq_len());
                self.note_sent(end);
                if seq_gt(end, self.rexmit_high) {
                    self.rexmit_high = end;
                }
                self.retransmitted += 1;
                out.push(s);
            }
        }
        self.retransmit_first = false;
        if self.retransmit_hole {
            self.retransmit_hole = false;
            if let Some((seq, len)) = self.next_hole() {
                let s = self.data_segment(seq, len, now);
                let end = seq.wrapping_add(s.seq_len());
                if self.timing.map(|(t, _)| seq_le(t, end)).unwrap_or(false) {
                    self.timing = None;
                }
                self.note_sent(end);
                self.rexmit_high = end;
                self.retransmitted += 1;
                out.push(s);
            }
        }

        while let Some(len) = self.next_send() {
            let s = self.data_segment(self.snd_nxt, len, now);
            let seq_len = s.seq_len();
            if seq_len == 0 {
                break;
            }
            let end = self.snd_nxt.wrapping_add(seq_len);
            if seq_ge(self.snd_nxt, self.snd_max) {
                if self.timing.is_none() {
                    self.timing = Some((end, now));
                }
            } else {
                self.retransmitted += 1;
            }
            self.snd_nxt = end;
            if seq_gt(end, self.snd_max) {
                self.snd_max = end;
            }
            out.push(s);
        }
        self.probe_now = false;
        if self.window_stalled() {
            if self.persist_at.is_none() {
                let d = self.rtt.rto() * (1u32 << self.persist_backoff.min(6));
                self.persist_at = Some(now + d.min(self.cfg.max_rto));
            }
        } else {
            self.persist_at = None;
            self.persist_backoff = 0;
        }
    }

    /// A retransmission may carry bytes queued since the original was sent (it takes
    /// up to an MSS of what is there): keep SND.NXT and SND.MAX past them, or the
    /// peer's ACK of those bytes would look like an ACK of unsent data.
    fn note_sent(&mut self, end: u32) {
        if seq_gt(end, self.snd_nxt) {
            self.snd_nxt = end;
        }
        if seq_gt(end, self.snd_max) {
            self.snd_max = end;
        }
    }

    /// The first stretch below the highest SACKed byte that the peer lacks and we have
    /// not yet retransmitted in this recovery: (sequence, length up to one MSS).
    fn next_hole(&self) -> Option<(u32, u32)> {
        let mut start = if seq_gt(self.rexmit_high, self.snd_una) {
            self.rexmit_high
        } else {
            self.snd_una
        };
        for &(l, r) in &self.sacked {
            if seq_lt(start, l) {
                return Some((start, l.wrapping_sub(start).min(self.send_mss)));
            }
            if seq_lt(start, r) {
                start = r;
            }
        }
        None
    }

    /// Merge the peer's SACK blocks into the scoreboard, ignoring any that are not
    /// strictly inside (SND.UNA, SND.MAX] (stale, D-SACK or forged).
    fn take_sack(&mut self, blocks: &[(u32, u32)]) {
        for &(l, r) in blocks {
            if !seq_lt(l, r) || !seq_gt(r, self.snd_una) || seq_gt(r, self.snd_max) {
                continue;
            }
            let l = if seq_lt(l, self.snd_una) {
                self.snd_una
            } else {
                l
            };
            self.sacked.push((l, r));
        }
        let base = self.snd_una;
        self.sacked.sort_by_key(|&(l, _)| l.wrapping_sub(base));
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(self.sacked.len());
        for (l, r) in self.sacked.drain(..) {
            match merged.last_mut() {
                Some((_, mr)) if seq_le(l, *mr) => {
                    if seq_gt(r, *mr) {
                        *mr = r;
                    }
                }
                _ => merged.push((l, r)),
            }
        }
        self.sacked = merged;
    }

    /// Nothing in flight, data waiting, window closed: the persist timer must run.
    fn window_stalled(&self) -> bool {
        self.state.is_synchronized()
            && seq_lt(self.snd_nxt, self.data_end())
            && self.snd_nxt == self.snd_una
            && self.snd_wnd == 0
    }

    /// Length of the next new segment `poll` may send now (`Some(0)`: a bare FIN),
    /// or None. `poll` and `poll_at` both ask this, so they never disagree.
    fn next_send(&self) -> Option<u32> {
        let unsent = self.data_end().wrapping_sub(self.snd_nxt) as i32;
        let fin_done = !self.tx_closed || seq_gt(self.snd_nxt, self.data_end());
        if unsent < 0 || (unsent == 0 && fin_done) {
            return None;
        }
        let unsent = unsent as u32;
        let wnd = self.snd_wnd.min(self.cc.cwnd());
        let in_flight = self.snd_nxt.wrapping_sub(self.snd_una);
        let mut room = wnd.saturating_sub(in_flight);
        if room == 0 && unsent > 0 {
            if self.probe_now && in_flight == 0 {
                // Zero-window probe: one byte past the window (RFC 9293 §3.8.6.1).
                room = 1;
            } else {
                return None;
            }
        }
        let len = unsent.min(room).min(self.send_mss);
        // Sender-side silly window avoidance: hold back a small segment while earlier
        // data is unacknowledged and more window may open (RFC 9293 §3.8.6.2.1).
        if len < self.send_mss && len < unsent && in_flight > 0 {
            return None;
        }
        Some(len)
    }

    fn on_timers(&mut self, now: Time) {
        if let Some(t) = self.time_wait_at {
            if now >= t {
                self.set_state(State::Closed);
                return;
            }
        }
        if let Some(t) = self.persist_at {
            if now >= t {
                self.persist_at = None;
                self.persist_backoff += 1;
                self.probe_now = true;
            }
        }
        if let Some(t) = self.rto_at {
            if now >= t {
                self.rto_at = None;
                self.retries += 1;
                if self.retries > self.cfg.max_retries {
                    self.fail(Error::TimedOut);
                    return;
                }
                self.rtt.back_off();
                self.timing = None;
                if self.state.is_synchronized() {
                    self.cc.on_timeout(self.flight(), self.snd_max);
                    // The peer may renege on SACKed data (RFC 2018 §8): start afresh.
                    self.sacked.clear();
                    self.rexmit_high = self.snd_una;
                    // Go back N: everything after SND.UNA is sent again as the window allows.
                    self.snd_nxt = self.snd_una;
                } else {
                    self.snd_nxt = self.iss;
                }
            }
        }
    }

    /// When `poll` next has something to do: `Some(Time::ZERO)` means now.
    pub fn poll_at(&self) -> Option<Time> {
        if self.state == State::Closed {
            return if self.outbox.is_empty() {
                None
            } else {
                Some(Time::ZERO)
            };
        }
        if self.ack_now || self.retransmit_first || self.retransmit_hole || !self.outbox.is_empty()
        {
            return Some(Time::ZERO);
        }
        if matches!(self.state, State::SynSent | State::SynReceived) && self.snd_nxt == self.iss {
            return Some(Time::ZERO);
        }
        if self.state.is_synchronized()
            && self.state != State::TimeWait
            && self.next_send().is_some()
        {
            return Some(Time::ZERO);
        }
        if self.persist_at.is_none() && self.window_stalled() {
            // `poll` arms the persist timer.
            return Some(Time::ZERO);
        }
        [self.rto_at, self.persist_at, self.time_wait_at]
            .into_iter()
            .flatten()
            .min()
    }

    // ---- ICMP errors in ------------------------------------------------------------

    /// An ICMP error quoting a segment of ours with sequence number `quoted_seq`.
    ///
    /// RFC 5927 §4.1.1: only a sequence number we sent and have not seen acknowledged
    /// (SND.UNA ≤ seq < SND.MAX) counts; anything else may be a blind attack and is
    /// ignored. Then (RFC 1122 §4.2.3.9, RFC 5461):
    ///
    /// - Protocol and port unreachable (codes 2 and 3) are hard errors: in SYN-SENT
    ///   the peer's host says nobody listens, so the connection is aborted and the
    ///   application told ([`Error::Unreachable`]). In a synchronized state they are
    ///   taken as soft, as RFC 5461 §4 advises (an attacker who guesses the window
    ///   could otherwise reset a connection, and a real peer that lost the connection
    ///   answers with an RST anyway).
    /// - Net and host unreachable (0, 1) and every other code, time exceeded and
    ///   parameter problem are soft: routing may recover, so the connection keeps
    ///   retransmitting and the error is recorded ([`Connection::soft_error`]). RFC 1122
    ///   lets a SYN-SENT connection be aborted when such errors persist; here the
    ///   retransmission limit ends it as for silence.
    /// - Fragmentation needed (code 4, RFC 1191): the send MSS drops to the next-hop
    ///   MTU less 40 (20 IPv4 + 20 TCP), never below 68 − 40 = 28 (RFC 791's minimum
    ///   MTU) and never up; everything in flight is sent again at the new size (it was
    ///   dropped on the way), without counting it as congestion.
    pub fn icmp_error(&mut self, e: IcmpError, quoted_seq: u32) -> IcmpOutcome {
        let active = !matches!(self.state, State::Closed | State::Listen | State::TimeWait);
        if !active || !(seq_le(self.snd_una, quoted_seq) && seq_lt(quoted_seq, self.snd_max)) {
            return IcmpOutcome::OutOfWindow;
        }
        match e {
            IcmpError::Unreachable(2 | 3) if self.state == State::SynSent => {
                self.fail(Error::Unreachable);
                IcmpOutcome::Aborted
            }
            IcmpError::FragmentationNeeded { mtu, quoted_len } => {
                let mtu = if mtu == 0 {
                    // The largest plateau below the datagram that did not pass.
                    MTU_PLATEAUS
                        .into_iter()
                        .find(|&p| p < quoted_len)
                        .unwrap_or(68)
                } else {
                    mtu
                };
                let mss = (mtu.max(68) - 40) as u32;
                self.path_mss = self.path_mss.min(mss);
                if mss >= self.send_mss {
                    return IcmpOutcome::MssUnchanged;
                }
                self.send_mss = mss;
                self.cc.set_mss(mss);
                if self.state.is_synchronized() {
                    // Go back to SND.UNA: every segment past it was too big.
                    self.sacked.clear();
                    self.rexmit_high = self.snd_una;
                    self.snd_nxt = self.snd_una;
                    self.timing = None;
                }
                IcmpOutcome::MssLowered
            }
            _ => {
                self.soft_error = Some(e);
                IcmpOutcome::Soft
            }
        }
    }

    // ---- segments in -------------------------------------------------------------

    /// Record the peer's SYN: its ISN and options.
    fn take_syn(&mut self, seg: &Segment) {
        self.irs = seg.seq;
        self.rcv_nxt = seg.seq.wrapping_add(1);
        // Our SYN, if sent, offered an unscaled window from here; a SYN,ACK not yet
        // sent promises nothing until it is (`stamp_window`).
        self.rcv_adv = self.rcv_nxt.wrapping_add(self.syn_window);
        self.peer_syn_options = seg.options.clone();
        let peer_mss = seg.options.mss.unwrap_or(536).max(64) as u32;
        self.send_mss = peer_mss.min(self.cfg.mss as u32).min(self.path_mss);
        // Its segments really are this small, however small: they fill the FIFO's records.
        let peer_sends = seg.options.mss.unwrap_or(536).max(1) as u32;
        self.rcv_mss = peer_sends.min(self.cfg.announced_mss() as u32);
        self.cc = NewReno::new(self.send_mss);
        // Scaling applies only if both SYNs carry the option; we know the peer's now,
        // and ours is sent iff configured (and, answering, iff the peer offered).
        match seg.options.window_scale {
            Some(ws) if self.cfg.window_scale => {
                self.snd_shift = ws.min(14);
                self.rcv_shift = self.cfg.window_shift();
            }
            _ => {
                self.snd_shift = 0;
                self.rcv_shift = 0;
            }
        }
        self.sack_ok = self.cfg.sack && seg.options.sack_permitted;
        self.snd_wnd = seg.window as u32;
        self.max_snd_wnd = self.snd_wnd;
        self.snd_wl1 = seg.seq;
    }

    /// Process one segment addressed to this connection (RFC 9293 §3.10.7).
    pub fn on_segment(&mut self, seg: &Segment, now: Time) {
        match self.state {
            State::Closed | State::Listen => {}
            State::SynSent => self.on_segment_syn_sent(seg, now),
            _ => self.on_segment_synchronized(seg, now),
        }
    }

    fn send_rst_for(&mut self, seg: &Segment) {
        if seg.flags.rst() {
            return;
        }
        self.outbox.push(reset_for(seg));
    }

    fn on_segment_syn_sent(&mut self, seg: &Segment, now: Time) {
        let f = seg.flags;
        let ack_ok = f.ack() && seq_gt(seg.ack, self.iss) && seq_le(seg.ack, self.snd_nxt);
        if f.ack() && !ack_ok {
            self.send_rst_for(seg);
            return;
        }
        if f.rst() {
            if ack_ok {
                self.fail(Error::Refused);
            }
            return;
        }
        if !f.syn() {
            return;
        }
        self.take_syn(seg);
        if ack_ok {
            self.snd_una = seg.ack;
            self.snd_wl2 = seg.ack;
            self.snd_wnd = (seg.window as u32) << self.snd_shift;
            self.max_snd_wnd = self.snd_wnd;
            self.rtt_sample(seg.ack, now);
            self.rto_at = None;
            self.retries = 0;
            self.set_state(State::Established);
            self.ack_now = true;
        } else {
            // Simultaneous open: answer with SYN,ACK from our ISN.
            self.set_state(State::SynReceived);
            self.snd_nxt = self.iss;
        }
    }

    fn rtt_sample(&mut self, ack: u32, now: Time) {
        if let Some((t, sent)) = self.timing {
            if seq_ge(ack, t) {
                self.rtt.sample(now.since(sent));
                self.timing = None;
            }
        }
    }

    fn on_segment_synchronized(&mut self, seg: &Segment, now: Time) {
        let f = seg.flags;
        let mut seq = seg.seq;
        let mut payload: &[u8] = &seg.payload;
        let mut syn = f.syn();
        let mut fin = f.fin();

        // SYN-RECEIVED: the peer's SYN again. With ACK it is the SYN,ACK of a
        // simultaneous open, whose SYN we already hold: drop the SYN, use the rest.
        // Without ACK our SYN,ACK was lost: send it again.
        if self.state == State::SynReceived && syn && seq == self.irs && !f.rst() {
            if !f.ack() {
                self.snd_nxt = self.iss;
                return;
            }
            syn = false;
            seq = seq.wrapping_add(1);
        }

        // RFC 5961 §4: a SYN is answered with a challenge ACK whatever its sequence
        // number, so remember it before trimming can strip an old one.
        let had_syn = syn;

        // Step 1: sequence number check, against the window we advertised.
        let wnd = self.rcv_adv.wrapping_sub(self.rcv_nxt);
        let len = payload.len() as u32 + syn as u32 + fin as u32;
        let wnd_end = self.rcv_nxt.wrapping_add(wnd);
        // RFC 9293's table, except that an empty segment sitting exactly on the right
        // edge counts as in the window (as in Linux): a peer that filled our window
        // sends its ACKs from there, and refusing them deadlocks both directions.
        let acceptable = if len == 0 {
            seq_le(self.rcv_nxt, seq) && seq_le(seq, wnd_end)
        } else {
            seq == self.rcv_nxt
                || (wnd > 0
                    && (seq_in(seq, self.rcv_nxt, wnd_end)
                        || seq_in(seq.wrapping_add(len - 1), self.rcv_nxt, wnd_end)))
        };
        if !acceptable {
            if !f.rst() {
                self.ack_now = true;
                // A retransmitted FIN in TIME-WAIT restarts the 2 MSL wait.
                if self.state == State::TimeWait && fin {
                    self.time_wait_at = Some(now + self.cfg.msl * 2);
                }
            }
            return;
        }
        // Trim to the window: bytes before RCV.NXT are old, bytes past the edge unwanted.
        if seq_lt(seq, self.rcv_nxt) {
            let mut d = self.rcv_nxt.wrapping_sub(seq);
            if syn {
                // The SYN takes the first old sequence number; data starts after it.
                d -= 1;
            }
            let n = (d as usize).min(payload.len());
            payload = &payload[n..];
            if d as usize > n {
                fin = false;
            }
            seq = self.rcv_nxt;
        }
        let room = wnd_end.wrapping_sub(seq) as usize;
        if payload.len() > room {
            payload = &payload[..room];
            fin = false;
            // Bytes were refused: tell the peer where the window really ends.
            self.ack_now = true;
        }

        // Step 2: RST. Only an exact match resets; anything else in the window gets a
        // challenge ACK (RFC 5961 §3.2), so a blind attacker must guess RCV.NXT exactly.
        if f.rst() {
            if seg.seq != self.rcv_nxt {
                self.challenge_ack(now);
                return;
            }
            match self.state {
                State::SynReceived if self.passive => {
                    // Back to LISTEN: the listener still exists, this TCB goes.
                    self.set_state(State::Closed);
                }
                State::SynReceived => self.fail(Error::Refused),
                State::Established | State::FinWait1 | State::FinWait2 | State::CloseWait => {
                    self.fail(Error::Reset)
                }
                _ => self.set_state(State::Closed),
            }
            return;
        }

        // Step 4: a SYN here is either an attack or a confused peer: challenge ACK
        // (RFC 5961 §4). A passive SYN-RECEIVED connection goes back to LISTEN.
        if had_syn {
            if self.state == State::SynReceived && self.passive {
                self.set_state(State::Closed);
            } else {
                self.challenge_ack(now);
            }
            return;
        }

        // Step 5: ACK.
        if !f.ack() {
            return;
        }
        if self.state == State::SynReceived {
            if seq_gt(seg.ack, self.snd_una) && seq_le(seg.ack, self.snd_max) {
                self.set_state(State::Established);
                self.snd_wnd = (seg.window as u32) << self.snd_shift;
                self.max_snd_wnd = self.max_snd_wnd.max(self.snd_wnd);
                self.snd_wl1 = seg.seq;
                self.snd_wl2 = seg.ack;
            } else {
                self.outbox.push(reset_for(seg));
                return;
            }
        }
        if seq_gt(seg.ack, self.snd_max) {
            // Acknowledges something never sent.
            self.ack_now = true;
            return;
        }
        if seq_lt(seg.ack, self.snd_una.wrapping_sub(self.max_snd_wnd)) {
            // Too old to be a real duplicate: challenge ACK (RFC 5961 §5.2).
            self.challenge_ack(now);
            return;
        }
        self.process_ack(seg, payload.is_empty() && !fin, now);
        if self.state == State::Closed {
            return;
        }

        // Step 7: segment text. (The FIN's stream offset is taken before the data
        // moves RCV.NXT.)
        if fin && self.state.can_receive_data() {
            let fin_off =
                self.rx_off + seq.wrapping_sub(self.rcv_nxt) as u64 + payload.len() as u64;
            self.rx_fin = Some(fin_off);
            self.ack_now = true;
        }
        if !payload.is_empty() && self.state.can_receive_data() {
            self.take_data(seq, payload);
            self.ack_now = true;
        }
        // Step 8: FIN, once every byte before it has arrived.
        if !self.rx_eof && self.rx_fin == Some(self.rx_off) && self.state.can_receive_data() {
            self.rcv_nxt = self.rcv_nxt.wrapping_add(1);
            self.rx_eof = true;
            self.ack_now = true;
            self.events.push(Event::PeerClosed);
            match self.state {
                State::SynReceived | State::Established => self.set_state(State::CloseWait),
                State::FinWait1 => {
                    if self.fin_acked() {
                        self.enter_time_wait(now);
                    } else {
                        self.set_state(State::Closing);
                    }
                }
                State::FinWait2 => self.enter_time_wait(now),
                _ => {}
            }
        }
    }

    /// Answer a suspicious segment with an ACK, at most `CHALLENGE_ACK_LIMIT` per
    /// second (RFC 5961 §7), so a flood of forged segments cannot turn us into a
    /// flood of ACKs.
    fn challenge_ack(&mut self, now: Time) {
        if now.since(self.challenge_since) >= Duration::from_secs(1) {
            self.challenge_since = now;
            self.challenge_count = 0;
        }
        if self.challenge_count < CHALLENGE_ACK_LIMIT {
            self.challenge_count += 1;
            self.ack_now = true;
        }
    }

    fn enter_time_wait(&mut self, now: Time) {
        self.set_state(State::TimeWait);
        self.rto_at = None;
        self.persist_at = None;
        self.time_wait_at = Some(now + self.cfg.msl * 2);
    }

    /// ACK processing of step 5 for synchronized states. `pure` tells whether the
    /// segment carries nothing but the ACK (a candidate duplicate ACK).
    fn process_ack(&mut self, seg: &Segment, pure: bool, now: Time) {
        let ack = seg.ack;
        let seq = seg.seq;
        let wnd = (seg.window as u32) << self.snd_shift;
        if self.sack_ok && !seg.options.sack_blocks.is_empty() && seq_le(ack, self.snd_max) {
            let una = if seq_gt(ack, self.snd_una) {
                ack
            } else {
                self.snd_una
            };
            let saved = self.snd_una;
            self.snd_una = una;
            self.take_sack(&seg.options.sack_blocks);
            self.snd_una = saved;
        }
        if seq_gt(ack, self.snd_una) {
            let acked = ack.wrapping_sub(self.snd_una);
            let flight = self.flight();
            // Data bytes acknowledged: not our SYN before them nor our FIN after.
            let data = if seq_gt(ack, self.tx_seq) {
                (ack.wrapping_sub(self.tx_seq) as usize).min(self.tx.len())
            } else {
                0
            };
            self.tx.drain(..data);
            self.tx_seq = self.tx_seq.wrapping_add(data as u32);
            self.snd_una = ack;
            if seq_lt(self.snd_nxt, ack) {
                self.snd_nxt = ack;
            }
            self.rtt_sample(ack, now);
            self.retries = 0;
            self.persist_backoff = 0;
            // RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, else restart.
            self.rto_at = if ack == self.snd_max {
                None
            } else {
                Some(now + self.rtt.rto())
            };
            self.sacked.retain(|&(_, r)| seq_gt(r, ack));
            if let Some(first) = self.sacked.first_mut() {
                if seq_lt(first.0, ack) {
                    first.0 = ack;
                }
            }
            if self.cc.on_new_ack(ack, acked, flight) == AckAction::RetransmitFirst {
                // Partial ACK: with a scoreboard, the next hole not yet resent;
                // without, the segment at SND.UNA (RFC 6582).
                if self.sacked.is_empty() {
                    self.retransmit_first = true;
                } else {
                    self.retransmit_hole = true;
                }
            }
            if data > 0 && !self.writable_signalled && !self.tx_closed {
                self.writable_signalled = true;
                self.events.push(Event::Writable);
            }
        } else if ack == self.snd_una
            && pure
            && self.snd_max != self.snd_una
            && wnd == self.snd_wnd
            && self.state.is_synchronized()
        {
            match self.cc.on_dup_ack(ack, self.snd_max, self.flight()) {
                AckAction::RetransmitFirst => {
                    // Fast retransmit starts a recovery episode.
                    self.rexmit_high = self.snd_una;
                    self.retransmit_first = true;
                }
                // Each further duplicate ACK in recovery clocks out one more hole.
                AckAction::Nothing if self.cc.in_recovery() && !self.sacked.is_empty() => {
                    self.retransmit_hole = true;
                }
                AckAction::Nothing => {}
            }
        }
        // A zero-window answer to our probe proves the peer alive: keep probing.
        if ack == self.snd_una && wnd == 0 {
            self.retries = 0;
        }
        // Window update (RFC 9293 step 5, SND.WL1/WL2 guard against old segments).
        if seq_le(self.snd_una, ack)
            && (seq_lt(self.snd_wl1, seq) || (self.snd_wl1 == seq && seq_le(self.snd_wl2, ack)))
        {
            // The window reopened without taking our probe byte: it was dropped, so
            // send it again now rather than after a retransmission timeout.
            if self.snd_wnd == 0
                && wnd > 0
                && self.snd_nxt.wrapping_sub(self.snd_una) == 1
                && ack == self.snd_una
            {
                self.snd_nxt = self.snd_una;
                self.timing = None;
            }
            self.snd_wnd = wnd;
            self.max_snd_wnd = self.max_snd_wnd.max(wnd);
            self.snd_wl1 = seq;
            self.snd_wl2 = ack;
        }
        if self.fin_acked() {
            match self.state {
                State::FinWait1 => self.set_state(State::FinWait2),
                State::Closing => self.enter_time_wait(now),
                State::LastAck => self.set_state(State::Closed),
                _ => {}
            }
        }
    }

    /// Step 7 for bytes that fit the window: in order straight into the receive
    /// buffer, out of order into the reassembly buffer.
    fn take_data(&mut self, seq: u32, payload: &[u8]) {
        let off = self.rx_off + seq.wrapping_sub(self.rcv_nxt) as u64;
        let before = self.rx_off;
        if off == self.rx_off {
            self.deliver(payload);
            while let Some(more) = self.reasm.pop(self.rx_off) {
                self.deliver(&more);
            }
        } else {
            // Past the range limit the bytes are dropped unacknowledged: the peer resends.
            let _ = self.reasm.insert(off, payload);
        }
        if self.rx_off != before && !self.readable_signalled && !self.released {
            self.readable_signalled = true;
            self.events.push(Event::Readable);
        }
    }

    fn deliver(&mut self, bytes: &[u8]) {
        if !self.released {
            self.rx.extend(bytes);
        }
        self.rx_off += bytes.len() as u64;
        self.rcv_nxt = self.rcv_nxt.wrapping_add(bytes.len() as u32);
    }
}

/// The RST answering a segment that has no connection to go to (RFC 9293 §3.10.7.1):
/// with ACK, `<SEQ=SEG.ACK><CTL=RST>`; without, `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`.
/// The caller must not answer a RST with a RST.
pub fn reset_for(seg: &Segment) -> Segment {
    let mut r = Segment::new((seg.dst_addr, seg.dst_port), (seg.src_addr, seg.src_port));
    if seg.flags.ack() {
        r.seq = seg.ack;
        r.flags = Flags::RST;
    } else {
        r.seq = 0;
        r.ack = seg.seq.wrapping_add(seg.seq_len());
        r.flags = Flags::RST | Flags::ACK;
    }
    r
}
