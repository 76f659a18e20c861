//! The socket layer: many connections, listening sockets with a backlog, and the
//! answers for segments that belong to no connection.
//!
//! A [`SocketId`] names a listening socket or a connection. Ids are never reused
//! while a stale copy could be confused with a new socket: each carries a generation.
//! Connections accepted from a listener stay in its backlog until [`Stack::accept`];
//! a SYN arriving while the backlog is full is dropped (the peer retries), as Linux
//! does. Handshakes not yet complete (SYN-RECEIVED) are bounded separately, by
//! [`Config::max_half_open`] for the whole stack: a SYN beyond it evicts the oldest,
//! so a SYN flood cannot lock real clients out. A connection is freed once it is
//! CLOSED and the application has let go of it (closed, aborted, or never accepted).
//!
//! Segments to a broadcast or multicast address are discarded without an answer
//! (RFC 1122 §4.2.3.10), and counted.
//!
//! ICMP errors quoting one of our segments ([`Stack::icmp_error`]) go to the connection
//! the quoted header names; what they do is [`Connection::icmp_error`]'s to decide.

use super::connection::{
    reset_for, Config, Connection, Endpoint, Error, Event, IcmpError, IcmpOutcome,
};
use super::fifo::RxFifo;
use super::isn::IsnGenerator;
use super::segment::Segment;
use super::state::State;
use super::time::Time;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId {
    index: u32,
    generation: u32,
}

impl std::fmt::Display for SocketId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.index)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StackError {
    NoSuchSocket,
    PortInUse,
    NoFreePort,
    NotAListener,
    NotAConnection,
    Connection(Error),
}

impl From<Error> for StackError {
    fn from(e: Error) -> StackError {
        StackError::Connection(e)
    }
}

impl std::fmt::Display for StackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StackError::NoSuchSocket => f.write_str("no such socket"),
            StackError::PortInUse => f.write_str("port in use"),
            StackError::NoFreePort => f.write_str("no free local port"),
            StackError::NotAListener => f.write_str("not a listening socket"),
            StackError::NotAConnection => f.write_str("not a connection"),
            StackError::Connection(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StackError {}

#[derive(Debug)]
struct Listener {
    port: u16,
    backlog: usize,
}

#[derive(Debug)]
enum Socket {
    Listener(Listener),
    /// `from` is the listener whose backlog holds it, until accepted; `born` is when
    /// its SYN arrived (the oldest half-open connection is evicted first).
    Conn {
        conn: Box<Connection>,
        from: Option<SocketId>,
        born: Time,
    },
}

/// What the stack counts beyond single connections.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackCounters {
    /// SYNs dropped unanswered because the listener's accept backlog was full.
    pub syn_dropped: u64,
    /// Half-open (SYN-RECEIVED) connections evicted to make room for a newer SYN.
    pub half_open_evicted: u64,
    /// Segments to a broadcast or multicast destination, discarded unanswered.
    pub non_unicast: u64,
    /// Segments sent again by any connection (timeouts, fast retransmit, SACK holes).
    pub retransmitted: u64,
    /// Data bytes received in order, over all connections (each byte once, however
    /// often the peer sent it).
    pub bytes_received: u64,
    /// ICMP errors recorded as a connection's soft error (RFC 1122 §4.2.3.9).
    pub icmp_soft_errors: u64,
    /// Connections in SYN-SENT aborted by an ICMP hard error (protocol or port
    /// unreachable).
    pub icmp_aborted: u64,
    /// Fragmentation-needed errors that lowered a connection's MSS.
    pub icmp_mss_lowered: u64,
    /// ICMP errors ignored: no connection has the quoted addresses and ports, or the
    /// quoted sequence number is not one in flight (RFC 5927), or fragmentation needed
    /// with an MTU no smaller than the path's.
    pub icmp_ignored: u64,
}

impl StackCounters {
    pub fn named(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("tcp_syn_dropped", self.syn_dropped),
            ("tcp_half_open_evicted", self.half_open_evicted),
            ("tcp_non_unicast", self.non_unicast),
            ("tcp_retransmitted", self.retransmitted),
            ("tcp_bytes_received", self.bytes_received),
            ("icmp_soft_errors", self.icmp_soft_errors),
            ("icmp_aborted", self.icmp_aborted),
            ("icmp_mss_lowered", self.icmp_mss_lowered),
            ("icmp_ignored", self.icmp_ignored),
        ]
    }
}

/// Whether `ip` names a group rather than one host: the limited broadcast, a
/// multicast group (224.0.0.0/4), the reserved 240.0.0.0/4, or the broadcast address
/// of the subnet `netmask` gives `ours` (none for /31 and /32, RFC 3021).
pub fn is_group_address(ip: [u8; 4], ours: [u8; 4], netmask: [u8; 4]) -> bool {
    let (ip, ours, mask) = (
        u32::from_be_bytes(ip),
        u32::from_be_bytes(ours),
        u32::from_be_bytes(netmask),
    );
    let subnet_broadcast = mask.count_zeros() >= 2 && ip == (ours & mask) | !mask;
    ip >> 28 >= 0xe || subnet_broadcast
}

#[derive(Debug)]
struct Slot {
    generation: u32,
    socket: Option<Socket>,
}

/// (local port, remote address, remote port): the local address is the stack's own.
type Tuple = (u16, [u8; 4], u16);

const EPHEMERAL: std::ops::RangeInclusive<u16> = 49152..=65535;

#[derive(Debug)]
pub struct Stack {
    cfg: Config,
    addr: [u8; 4],
    isn: IsnGenerator,
    slots: Vec<Slot>,
    free: Vec<u32>,
    conns: HashMap<Tuple, SocketId>,
    listeners: HashMap<u16, SocketId>,
    next_port: u16,
    /// RSTs for segments that found no connection.
    outbox: Vec<Segment>,
    events: Vec<(SocketId, Event)>,
    scratch: Vec<Event>,
    /// The tuple looked up last: bulk traffic hits it almost always.
    last: Option<(Tuple, SocketId)>,
    /// Our subnet, for its broadcast address; /32 (none known) until set.
    netmask: [u8; 4],
    counters: StackCounters,
}

impl Stack {
    /// A stack owning address `addr`. `isn_secret` keys the RFC 6528 ISN hash: pass
    /// random bytes in production, a constant in tests.
    pub fn new(addr: [u8; 4], isn_secret: [u8; 16], cfg: Config) -> Stack {
        Stack {
            cfg,
            addr,
            isn: IsnGenerator::new(isn_secret),
            slots: Vec::new(),
            free: Vec::new(),
            conns: HashMap::new(),
            listeners: HashMap::new(),
            next_port: *EPHEMERAL.start(),
            outbox: Vec::new(),
            events: Vec::new(),
            scratch: Vec::new(),
            last: None,
            netmask: [255; 4],
            counters: StackCounters::default(),
        }
    }

    /// Our subnet's mask: segments to its broadcast address are discarded.
    pub fn set_netmask(&mut self, netmask: [u8; 4]) {
        self.netmask = netmask;
    }

    /// The board's receive FIFO (from its Hello): from now on the windows of all
    /// connections together fit it, and new connections announce an MSS sized to it.
    pub fn set_rx_fifo(&mut self, fifo: RxFifo) {
        self.cfg.rx_fifo = Some(fifo);
    }

    pub fn counters(&self) -> StackCounters {
        self.counters
    }

    /// Connections in SYN-RECEIVED now.
    pub fn half_open_count(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| {
                matches!(&s.socket, Some(Socket::Conn { conn, .. }) if conn.state() == State::SynReceived)
            })
            .count()
    }

    pub fn addr(&self) -> [u8; 4] {
        self.addr
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    fn alloc(&mut self, socket: Socket) -> SocketId {
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            slot.socket = Some(socket);
            SocketId {
                index,
                generation: slot.generation,
            }
        } else {
            self.slots.push(Slot {
                generation: 0,
                socket: Some(socket),
            });
            SocketId {
                index: self.slots.len() as u32 - 1,
                generation: 0,
            }
        }
    }

    fn release(&mut self, id: SocketId) {
        if let Some(slot) = self.slots.get_mut(id.index as usize) {
            if slot.generation == id.generation && slot.socket.is_some() {
                slot.socket = None;
                slot.generation = slot.generation.wrapping_add(1);
                self.free.push(id.index);
            }
        }
    }

    fn socket(&self, id: SocketId) -> Option<&Socket> {
        let slot = self.slots.get(id.index as usize)?;
        if slot.generation != id.generation {
            return None;
        }
        slot.socket.as_ref()
    }

    fn socket_mut(&mut self, id: SocketId) -> Option<&mut Socket> {
        let slot = self.slots.get_mut(id.index as usize)?;
        if slot.generation != id.generation {
            return None;
        }
        slot.socket.as_mut()
    }

    fn conn_mut(&mut self, id: SocketId) -> Result<&mut Connection, StackError> {
        match self.socket_mut(id) {
            Some(Socket::Conn { conn, .. }) => Ok(conn),
            Some(Socket::Listener(_)) => Err(StackError::NotAConnection),
            None => Err(StackError::NoSuchSocket),
        }
    }

    /// The connection behind `id`, for inspection.
    pub fn connection(&self, id: SocketId) -> Option<&Connection> {
        match self.socket(id) {
            Some(Socket::Conn { conn, .. }) => Some(conn),
            _ => None,
        }
    }

    /// The RFC 9293 state of a socket; a socket that no longer exists is CLOSED.
    pub fn state(&self, id: SocketId) -> State {
        match self.socket(id) {
            Some(Socket::Listener(_)) => State::Listen,
            Some(Socket::Conn { conn, .. }) => conn.state(),
            None => State::Closed,
        }
    }

    /// Every socket that exists, listeners and connections, in slot order.
    pub fn sockets(&self) -> Vec<SocketId> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.socket.is_some())
            .map(|(i, s)| SocketId {
                index: i as u32,
                generation: s.generation,
            })
            .collect()
    }

    /// Number of live connections (any state but CLOSED-and-freed).
    pub fn connection_count(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| matches!(s.socket, Some(Socket::Conn { .. })))
            .count()
    }

    // ---- user calls --------------------------------------------------------------

    /// Passive open on `port`; at most `backlog` connections wait to be accepted.
    pub fn listen(&mut self, port: u16, backlog: usize) -> Result<SocketId, StackError> {
        if self.listeners.contains_key(&port) {
            return Err(StackError::PortInUse);
        }
        let id = self.alloc(Socket::Listener(Listener {
            port,
            backlog: backlog.max(1),
        }));
        self.listeners.insert(port, id);
        Ok(id)
    }

    /// Take an established connection out of a listener's backlog.
    pub fn accept(&mut self, listener: SocketId) -> Result<Option<SocketId>, StackError> {
        match self.socket(listener) {
            Some(Socket::Listener(_)) => {}
            Some(_) => return Err(StackError::NotAListener),
            None => return Err(StackError::NoSuchSocket),
        }
        // Oldest first: the lowest index is not necessarily the oldest, so look at all.
        let mut found = None;
        for (i, slot) in self.slots.iter().enumerate() {
            if let Some(Socket::Conn {
                conn,
                from: Some(l),
                ..
            }) = &slot.socket
            {
                if *l == listener && conn.state() != State::SynReceived {
                    found = Some(SocketId {
                        index: i as u32,
                        generation: slot.generation,
                    });
                    break;
                }
            }
        }
        if let Some(id) = found {
            if let Some(Socket::Conn { from, .. }) = self.socket_mut(id) {
                *from = None;
            }
        }
        Ok(found)
    }

    /// Active open from an ephemeral port.
    pub fn connect(&mut self, remote: Endpoint, now: Time) -> Result<SocketId, StackError> {
        for _ in EPHEMERAL {
            let port = self.next_port;
            self.next_port = if port == *EPHEMERAL.end() {
                *EPHEMERAL.start()
            } else {
                port + 1
            };
            if !self.conns.contains_key(&(port, remote.0, remote.1))
                && !self.listeners.contains_key(&port)
            {
                return self.connect_from(port, remote, now);
            }
        }
        Err(StackError::NoFreePort)
    }

    /// Active open from a chosen local port (simultaneous open needs both ports known).
    pub fn connect_from(
        &mut self,
        local_port: u16,
        remote: Endpoint,
        now: Time,
    ) -> Result<SocketId, StackError> {
        let tuple = (local_port, remote.0, remote.1);
        if self.conns.contains_key(&tuple) {
            return Err(StackError::PortInUse);
        }
        let local = (self.addr, local_port);
        let iss = self.isn.isn(local, remote, now);
        let conn = Box::new(Connection::connect(self.cfg, local, remote, iss));
        let id = self.alloc(Socket::Conn {
            conn,
            from: None,
            born: now,
        });
        self.conns.insert(tuple, id);
        self.collect(id);
        Ok(id)
    }

    pub fn send(&mut self, id: SocketId, data: &[u8]) -> Result<usize, StackError> {
        Ok(self.conn_mut(id)?.send(data)?)
    }

    pub fn recv(&mut self, id: SocketId, buf: &mut [u8]) -> Result<usize, StackError> {
        Ok(self.conn_mut(id)?.recv(buf)?)
    }

    /// Everything readable now.
    pub fn recv_all(&mut self, id: SocketId) -> Result<Vec<u8>, StackError> {
        Ok(self.conn_mut(id)?.recv_all())
    }

    /// Half-close: send FIN after the queued data; receiving continues.
    pub fn shutdown(&mut self, id: SocketId) -> Result<(), StackError> {
        self.conn_mut(id)?.shutdown()?;
        self.collect(id);
        Ok(())
    }

    /// Close a socket. A connection finishes its close on its own and is freed when
    /// CLOSED; a listener stops listening and resets connections not yet accepted.
    pub fn close(&mut self, id: SocketId) -> Result<(), StackError> {
        match self.socket_mut(id) {
            None => return Err(StackError::NoSuchSocket),
            Some(Socket::Conn { conn, .. }) => conn.close(),
            Some(Socket::Listener(l)) => {
                let port = l.port;
                self.listeners.remove(&port);
                let pending: Vec<SocketId> = self.backlog_of(id);
                for p in pending {
                    if let Ok(c) = self.conn_mut(p) {
                        c.abort();
                    }
                    self.collect(p);
                }
                self.release(id);
                return Ok(());
            }
        }
        self.collect(id);
        Ok(())
    }

    /// Reset the connection now.
    pub fn abort(&mut self, id: SocketId) -> Result<(), StackError> {
        self.conn_mut(id)?.abort();
        self.collect(id);
        Ok(())
    }

    fn backlog_of(&self, listener: SocketId) -> Vec<SocketId> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match &s.socket {
                Some(Socket::Conn { from: Some(l), .. }) if *l == listener => Some(SocketId {
                    index: i as u32,
                    generation: s.generation,
                }),
                _ => None,
            })
            .collect()
    }

    // ---- the wire ----------------------------------------------------------------

    /// Process one received segment.
    pub fn receive(&mut self, seg: &Segment, now: Time) {
        // RFC 1122 §4.2.3.10: a segment to a group is discarded, never answered (a
        // SYN,ACK or RST from every host on the subnet would be a storm).
        if is_group_address(seg.dst_addr, self.addr, self.netmask) {
            self.counters.non_unicast += 1;
            return;
        }
        if seg.dst_addr != self.addr {
            return;
        }
        let tuple = (seg.dst_port, seg.src_addr, seg.src_port);
        let found = match self.last {
            Some((t, id)) if t == tuple => Some(id),
            _ => self.conns.get(&tuple).copied(),
        };
        if let Some(id) = found {
            self.last = Some((tuple, id));
            if let Ok(conn) = self.conn_mut(id) {
                let before = conn.bytes_received();
                conn.on_segment(seg, now);
                let got = conn.bytes_received() - before;
                self.counters.bytes_received += got;
                self.collect(id);
                return;
            }
        }
        let f = seg.flags;
        match self.listeners.get(&seg.dst_port).copied() {
            // LISTEN (RFC 9293 §3.10.7.2): ignore RST, reset an ACK, open on SYN.
            Some(listener) => {
                if f.rst() {
                } else if f.ack() {
                    self.outbox.push(reset_for(seg));
                } else if f.syn() {
                    self.open_passive(listener, seg, now);
                }
            }
            // CLOSED: everything but a RST gets a RST.
            None => {
                if !f.rst() {
                    self.outbox.push(reset_for(seg));
                }
            }
        }
    }

    /// An ICMP error quoting a TCP segment: `src`/`dst` and the ports are the quoted
    /// datagram's (ours is the source), `seq` its sequence number. Given to the
    /// connection with those addresses and ports, if any; counted either way.
    pub fn icmp_error(
        &mut self,
        e: IcmpError,
        src: Endpoint,
        dst: Endpoint,
        seq: u32,
    ) -> IcmpOutcome {
        let found = if src.0 == self.addr {
            self.conns.get(&(src.1, dst.0, dst.1)).copied()
        } else {
            None
        };
        let outcome = match found.map(|id| (id, self.conn_mut(id))) {
            Some((id, Ok(conn))) => {
                let outcome = conn.icmp_error(e, seq);
                self.collect(id);
                outcome
            }
            _ => IcmpOutcome::OutOfWindow,
        };
        match outcome {
            IcmpOutcome::Soft => self.counters.icmp_soft_errors += 1,
            IcmpOutcome::Aborted => self.counters.icmp_aborted += 1,
            IcmpOutcome::MssLowered => self.counters.icmp_mss_lowered += 1,
            IcmpOutcome::OutOfWindow | IcmpOutcome::MssUnchanged => self.counters.icmp_ignored += 1,
        }
        outcome
    }

    /// A SYN on a listener: a new connection in SYN-RECEIVED, room permitting.
    ///
    /// Under a SYN flood the half-open connections are bounded by evicting the oldest
    /// (RFC 4987 §3.4), not by SYN cookies (§3.6). Eviction keeps every connection's
    /// negotiated options (a cookie has no room for window scaling and SACK without
    /// timestamps, which this engine does not do) and needs no second code path for
    /// the handshake. It fails only when the flood replaces the whole queue within
    /// one round trip of a real client, and the board's link caps the flood: a SYN
    /// costs about 60 bytes on the 4 Mbaud UART, so at most ~6,700 reach us a second,
    /// and 256 entries then last ≥ 38 ms, well above a LAN round trip. The memory
    /// bound is the same either way: `max_half_open` connections without buffers.
    fn open_passive(&mut self, listener: SocketId, seg: &Segment, now: Time) {
        let Some(Socket::Listener(l)) = self.socket(listener) else {
            return;
        };
        let backlog = l.backlog;
        // The accept queue full: the application is not keeping up, and a new
        // connection would only wait; the peer retries (as Linux does).
        let queued = self
            .backlog_of(listener)
            .into_iter()
            .filter(|&id| self.state(id) != State::SynReceived)
            .count();
        if queued >= backlog {
            self.counters.syn_dropped += 1;
            return;
        }
        if self.half_open_count() >= self.cfg.max_half_open.max(1) {
            self.evict_oldest_half_open();
        }
        let iss = self.isn.isn(
            (seg.dst_addr, seg.dst_port),
            (seg.src_addr, seg.src_port),
            now,
        );
        let conn = Box::new(Connection::accept_syn(self.cfg, seg, iss));
        let id = self.alloc(Socket::Conn {
            conn,
            from: Some(listener),
            born: now,
        });
        self.conns
            .insert((seg.dst_port, seg.src_addr, seg.src_port), id);
        self.collect(id);
    }

    /// Forgets the half-open connection whose SYN came first, without a RST (its
    /// source is most likely forged: a RST would only add to the flood).
    fn evict_oldest_half_open(&mut self) {
        let oldest = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match &s.socket {
                Some(Socket::Conn { conn, born, .. }) if conn.state() == State::SynReceived => {
                    Some((*born, i, s.generation, conn.local().1, conn.remote()))
                }
                _ => None,
            })
            .min();
        let Some((_, index, generation, port, (addr, rport))) = oldest else {
            return;
        };
        let tuple = (port, addr, rport);
        self.conns.remove(&tuple);
        if self.last.map(|(t, _)| t) == Some(tuple) {
            self.last = None;
        }
        self.release(SocketId {
            index: index as u32,
            generation,
        });
        self.counters.half_open_evicted += 1;
    }

    /// Move a connection's events to the stack queue, and free it if it is done.
    fn collect(&mut self, id: SocketId) {
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut established_in_backlog = None;
        let mut done = false;
        let mut tuple = None;
        if let Some(Socket::Conn { conn, from, .. }) = self.socket_mut(id) {
            conn.drain_events_into(&mut scratch);
            if conn.state() == State::Closed {
                tuple = Some((conn.local().1, conn.remote().0, conn.remote().1));
                done = conn.is_released() || from.is_some();
            }
            if let Some(l) = from {
                if scratch.iter().any(|e| {
                    matches!(
                        e,
                        Event::StateChanged {
                            from: State::SynReceived,
                            ..
                        }
                    )
                }) {
                    established_in_backlog = Some(*l);
                }
            }
        }
        for e in scratch.drain(..) {
            self.events.push((id, e));
        }
        self.scratch = scratch;
        if let Some(l) = established_in_backlog {
            if !done {
                // A listener is "readable" when accept() has something to return.
                self.events.push((l, Event::Readable));
            }
        }
        if let Some(t) = tuple {
            if self.conns.get(&t) == Some(&id) {
                self.conns.remove(&t);
            }
            if self.last.map(|(lt, _)| lt) == Some(t) {
                self.last = None;
            }
        }
        if done {
            // Its last words (an RST from abort) still go out.
            if let Some(Socket::Conn { conn, .. }) = self.socket_mut(id) {
                let mut last = Vec::new();
                conn.poll(Time::ZERO, &mut last);
                self.outbox.append(&mut last);
            }
            self.release(id);
        }
    }

    /// What the promises of the connections still receiving cost in the board's
    /// receive FIFO, and how many such connections there are.
    fn fifo_promised(&self, fifo: &RxFifo) -> (u32, usize) {
        let mut cost = 0u32;
        let mut receivers = 0;
        for slot in &self.slots {
            if let Some(Socket::Conn { conn, .. }) = &slot.socket {
                if conn.receives() {
                    receivers += 1;
                    let c = fifo.cost(conn.rcv_promise(), conn.rcv_mss(), conn.rcv_options());
                    cost = cost.saturating_add(c);
                }
            }
        }
        (cost, receivers)
    }

    /// Segments to send now, appended to `out`.
    ///
    /// With the board's receive FIFO known, each connection's window limit is set
    /// just before it is polled (the only time it advertises a window) from what the
    /// others have been promised by then, so the promises never add up to more than
    /// the FIFO holds (see [`super::fifo`]).
    pub fn poll_into(&mut self, now: Time, out: &mut Vec<Segment>) {
        out.append(&mut self.outbox);
        let fifo = self.cfg.rx_fifo;
        let (mut promised, receivers) = match &fifo {
            Some(f) => self.fifo_promised(f),
            None => (0, 0),
        };
        for i in 0..self.slots.len() {
            let slot = &mut self.slots[i];
            let id = SocketId {
                index: i as u32,
                generation: slot.generation,
            };
            if let Some(Socket::Conn { conn, .. }) = &mut slot.socket {
                let own = |c: &Connection| match &fifo {
                    Some(f) => f.cost(c.rcv_promise(), c.rcv_mss(), c.rcv_options()),
                    None => 0,
                };
                let before_cost = own(conn);
                if let (Some(f), true) = (&fifo, conn.receives()) {
                    let others = promised.saturating_sub(before_cost);
                    let (mss, options) = (conn.rcv_mss(), conn.rcv_options());
                    let budget = f.budget(receivers, others, mss, options);
                    conn.set_window_limit(f.window_for(budget, mss, options));
                }
                let due = conn.poll_at().map(|t| t <= now).unwrap_or(false);
                if due {
                    let before = conn.retransmitted();
                    conn.poll(now, out);
                    self.counters.retransmitted += conn.retransmitted() - before;
                    promised = promised
                        .saturating_sub(before_cost)
                        .saturating_add(own(conn));
                    self.collect(id);
                }
            }
        }
        out.append(&mut self.outbox);
    }

    /// Segments to send now.
    pub fn poll(&mut self, now: Time) -> Vec<Segment> {
        let mut out = Vec::new();
        self.poll_into(now, &mut out);
        out
    }

    /// The earliest time `poll` has something to do; `Time::ZERO` means now.
    pub fn poll_at(&self) -> Option<Time> {
        if !self.outbox.is_empty() {
            return Some(Time::ZERO);
        }
        self.slots
            .iter()
            .filter_map(|s| match &s.socket {
                Some(Socket::Conn { conn, .. }) => conn.poll_at(),
                _ => None,
            })
            .min()
    }

    /// Events since the last call, oldest first.
    pub fn events(&mut self) -> Vec<(SocketId, Event)> {
        std::mem::take(&mut self.events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tcp::Flags;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use std::collections::VecDeque;
    use std::time::Duration;

    const US: [u8; 4] = [192, 0, 2, 2];
    const CLIENT: ([u8; 4], u16) = ([192, 0, 2, 9], 40000);

    fn stack() -> Stack {
        let mut s = Stack::new(US, [7; 16], Config::default());
        s.set_netmask([255, 255, 255, 0]);
        s
    }

    fn syn(from: ([u8; 4], u16), to: [u8; 4], port: u16) -> Segment {
        let mut s = Segment::new(from, (to, port));
        s.seq = 1000;
        s.flags = Flags::SYN;
        s.window = 65535;
        s
    }

    /// The SYN,ACK among `out` for `to`, if any.
    fn syn_ack_to(out: &[Segment], to: ([u8; 4], u16)) -> Option<Segment> {
        out.iter()
            .find(|s| (s.dst_addr, s.dst_port) == to && s.flags == Flags::SYN | Flags::ACK)
            .cloned()
    }

    #[test]
    fn a_client_gets_through_a_flood_of_1000_syns_a_second() {
        let mut s = stack();
        let listener = s.listen(80, 64).unwrap();
        let limit = s.config().max_half_open;
        let mut rng = StdRng::seed_from_u64(20);
        let rtt = Duration::from_millis(10);
        let client_syn_at = Time::from_millis(1000);
        let mut synack: Option<(Segment, Time)> = None;
        let mut established_at = None;
        let mut flood = 0u64;
        let mut most_half_open = 0;
        // One forged SYN every millisecond for 2 s, from random addresses and ports
        // (never completed); the client's SYN after the first 1,000 of them.
        for ms in 0..2000u64 {
            let now = Time::from_millis(ms);
            let forged = (
                [10, rng.gen(), rng.gen(), rng.gen()],
                rng.gen_range(1024..=65535),
            );
            s.receive(&syn(forged, US, 80), now);
            flood += 1;
            if now == client_syn_at {
                s.receive(&syn(CLIENT, US, 80), now);
            }
            let out = s.poll(now);
            if let Some(sa) = syn_ack_to(&out, CLIENT) {
                synack.get_or_insert((sa, now));
            }
            // The client's ACK arrives one round trip after the SYN,ACK left.
            if let Some((sa, sent)) = &synack {
                if established_at.is_none() && now.since(*sent) >= rtt {
                    let mut ack = Segment::new(CLIENT, (US, 80));
                    ack.seq = 1001;
                    ack.ack = sa.seq.wrapping_add(1);
                    ack.flags = Flags::ACK;
                    ack.window = 65535;
                    s.receive(&ack, now);
                    if let Some(id) = s.accept(listener).unwrap() {
                        assert_eq!(s.state(id), State::Established);
                        established_at = Some(now);
                    }
                }
            }
            most_half_open = most_half_open.max(s.half_open_count());
            assert!(s.connection_count() <= limit + 1, "memory stays bounded");
        }
        let took = established_at.expect("the client's handshake completed") - client_syn_at;
        assert!(took <= Duration::from_secs(1), "{took:?}");
        assert_eq!(took, rtt, "no delay beyond the round trip");
        assert_eq!(most_half_open, limit);
        let c = s.counters();
        // Every forged SYN made a half-open connection; all but those still held
        // were evicted, none dropped, and the client's own never was.
        assert_eq!(c.half_open_evicted, flood - s.half_open_count() as u64);
        assert_eq!(c.syn_dropped, 0);
        assert_eq!(c.non_unicast, 0);
    }

    #[test]
    fn a_full_accept_backlog_drops_syns_and_counts_them() {
        let mut s = stack();
        let listener = s.listen(80, 1).unwrap();
        s.receive(&syn(CLIENT, US, 80), Time::ZERO);
        let sa = syn_ack_to(&s.poll(Time::ZERO), CLIENT).unwrap();
        let mut ack = Segment::new(CLIENT, (US, 80));
        ack.seq = 1001;
        ack.ack = sa.seq.wrapping_add(1);
        ack.flags = Flags::ACK;
        s.receive(&ack, Time::ZERO);
        // Established, not accepted: the backlog of one is full.
        let other = ([192, 0, 2, 10], 40001);
        s.receive(&syn(other, US, 80), Time::ZERO);
        assert_eq!(syn_ack_to(&s.poll(Time::ZERO), other), None);
        assert_eq!(s.counters().syn_dropped, 1);
        // Accepting makes room again.
        assert!(s.accept(listener).unwrap().is_some());
        s.receive(&syn(other, US, 80), Time::ZERO);
        assert!(syn_ack_to(&s.poll(Time::ZERO), other).is_some());
        assert_eq!(s.counters().syn_dropped, 1);
    }

    #[test]
    fn segments_to_groups_are_discarded_unanswered() {
        let mut s = stack();
        s.listen(80, 8).unwrap();
        let groups = [
            [255, 255, 255, 255],
            [192, 0, 2, 255],
            [224, 0, 0, 1],
            [239, 255, 255, 250],
        ];
        for g in groups {
            // To the listening port (would be a SYN,ACK) and a closed one (a RST).
            s.receive(&syn(CLIENT, g, 80), Time::ZERO);
            s.receive(&syn(CLIENT, g, 81), Time::ZERO);
        }
        assert_eq!(s.poll(Time::ZERO), vec![]);
        assert_eq!(s.connection_count(), 0);
        assert_eq!(s.counters().non_unicast, 8);
        // Our own address still answers.
        s.receive(&syn(CLIENT, US, 80), Time::ZERO);
        assert!(syn_ack_to(&s.poll(Time::ZERO), CLIENT).is_some());
    }

    #[test]
    fn group_addresses() {
        let m24 = [255, 255, 255, 0];
        assert!(is_group_address([192, 0, 2, 255], US, m24));
        assert!(
            !is_group_address([192, 0, 3, 255], US, m24),
            "another subnet"
        );
        assert!(!is_group_address([192, 0, 2, 1], US, m24));
        assert!(is_group_address([224, 0, 0, 0], US, m24));
        assert!(!is_group_address([223, 255, 255, 255], US, m24));
        // /31 and /32 have no broadcast address of their own.
        assert!(!is_group_address([192, 0, 2, 3], US, [255, 255, 255, 254]));
        assert!(!is_group_address([192, 0, 2, 2], US, [255; 4]));
        assert!(is_group_address([255; 4], US, [255; 4]));
    }

    /// A peer of the FIFO model below: sends as far as our window lets it.
    struct Peer {
        addr: ([u8; 4], u16),
        seq: u32,
        ack: u32,
        /// Right edge of our window as it last heard it, and its scale.
        edge: u32,
        shift: u8,
        mss: u32,
        max_window: u32,
        sent: u64,
        /// Its last data segment, until a tail-loss probe repeats it.
        last: Option<Segment>,
    }

    /// Four peers send as fast as the windows we advertise let them (and now and then
    /// a tail-loss probe of their last segment), into a model of the board's receive
    /// FIFO (records of 35 + options + payload bytes) that drains into the stack only
    /// now and then. The FIFO never holds more than its 2 KiB, whatever the order;
    /// every byte arrives; and the MSS we announce fits it.
    #[test]
    fn windows_never_promise_more_than_the_board_fifo_holds() {
        let fifo = RxFifo {
            bytes: 2048,
            record_overhead: 35,
        };
        let mut rng = StdRng::seed_from_u64(19);
        for round in 0..4 {
            let mut s = stack();
            s.set_rx_fifo(fifo);
            let listener = s.listen(9, 8).unwrap();
            let total: u64 = 40_000;
            let mut peers: Vec<Peer> = (0..4)
                .map(|i| Peer {
                    addr: ([192, 0, 2, 10 + i], 40000 + i as u16),
                    seq: 1000,
                    ack: 0,
                    edge: 0,
                    shift: 0,
                    mss: 1460,
                    max_window: 0,
                    sent: 0,
                    last: None,
                })
                .collect();
            // (record bytes, the segment) in the FIFO, oldest first.
            let mut queue: VecDeque<(u32, Segment)> = VecDeque::new();
            let mut accepted = vec![];
            let mut now = Time::ZERO;
            for p in &peers {
                let mut syn = syn(p.addr, US, 9);
                syn.options.mss = Some(1460);
                syn.options.window_scale = Some(7);
                s.receive(&syn, now);
            }
            for step in 0..200_000 {
                now = Time::from_millis(step / 10);
                // The stack answers; peers hear our windows.
                for seg in s.poll(now) {
                    let Some(p) = peers
                        .iter_mut()
                        .find(|p| p.addr == (seg.dst_addr, seg.dst_port))
                    else {
                        continue;
                    };
                    if seg.flags.syn() {
                        let mss = seg.options.mss.unwrap() as u32;
                        assert_eq!(mss, fifo.mss(1460) as u32, "round {round}");
                        p.mss = mss;
                        p.seq = 1001;
                        p.ack = seg.seq.wrapping_add(1);
                        p.shift = seg.options.window_scale.unwrap_or(0);
                        p.edge = 1001 + seg.window as u32;
                        p.max_window = seg.window as u32;
                        // The handshake's ACK.
                        let mut a = Segment::new(p.addr, (US, 9));
                        a.seq = p.seq;
                        a.ack = p.ack;
                        a.flags = Flags::ACK;
                        a.window = 65535;
                        queue.push_back((35, a));
                    } else if seg.flags.ack() {
                        let w = (seg.window as u32) << p.shift;
                        let edge = seg.ack.wrapping_add(w);
                        if (edge.wrapping_sub(p.edge) as i32) > 0 {
                            p.edge = edge;
                        }
                        p.max_window = p.max_window.max(w);
                    }
                }
                while let Some(id) = s.accept(listener).unwrap() {
                    accepted.push(id);
                }
                for id in &accepted {
                    let _ = s.recv_all(*id);
                }
                // A random peer sends what its window allows: full segments, cut to half
                // its largest window as Linux does in round 1 and 3.
                let i = rng.gen_range(0..peers.len());
                let p = &mut peers[i];
                let room = p.edge.wrapping_sub(p.seq);
                if p.ack != 0 && (room as i32) > 0 && p.sent < total {
                    let mut size = p.mss;
                    if round % 2 == 1 && p.max_window > 536 {
                        size = size.min(p.max_window / 2);
                    }
                    let len = size.min(room).min((total - p.sent) as u32);
                    let mut d = Segment::new(p.addr, (US, 9));
                    d.seq = p.seq;
                    d.ack = p.ack;
                    d.flags = Flags::ACK;
                    d.window = 65535;
                    d.payload = vec![i as u8; len as usize];
                    p.seq = p.seq.wrapping_add(len);
                    p.sent += len as u64;
                    p.last = Some(d.clone());
                    queue.push_back((35 + len, d));
                } else if rng.gen_bool(0.05) {
                    // An ACK is late: a tail-loss probe sends the last segment again.
                    if let Some(d) = p.last.take() {
                        queue.push_back((35 + d.payload.len() as u32, d));
                    }
                }
                let held: u32 = queue.iter().map(|(b, _)| b).sum();
                assert!(
                    held <= fifo.bytes,
                    "round {round} step {step}: {held} bytes in the FIFO"
                );
                // The link drains a record now and then, in a burst at times.
                let drain = match rng.gen_range(0..10) {
                    0..=5 => 0,
                    6..=8 => 1,
                    _ => 4,
                };
                for _ in 0..drain {
                    if let Some((_, seg)) = queue.pop_front() {
                        s.receive(&seg, now);
                    }
                }
                if peers.iter().all(|p| p.sent == total) && queue.is_empty() {
                    break;
                }
            }
            assert!(
                peers.iter().all(|p| p.sent == total),
                "round {round}: stalled"
            );
            assert_eq!(s.counters().bytes_received, 4 * total, "round {round}");
        }
    }

    /// A connection that sends as well as receives (an echo) is offered windows of
    /// whole segments, never one rounded below its segment by a window scale the
    /// windows do not need: a Linux sender sends nothing into such a window and waits
    /// for its persist timer instead, 200 ms a segment. Each FIFO size here gives an
    /// odd MSS (341 for 2 KiB, 579, 853 for 4 KiB).
    #[test]
    fn an_echo_connection_gets_windows_of_whole_segments() {
        for bytes in [2048, 3000, 4096] {
            let fifo = RxFifo {
                bytes,
                record_overhead: 35,
            };
            let mut s = stack();
            s.set_rx_fifo(fifo);
            let listener = s.listen(7, 8).unwrap();
            let mut peer_syn = syn(CLIENT, US, 7);
            peer_syn.options.mss = Some(1460);
            peer_syn.options.window_scale = Some(7);
            peer_syn.options.sack_permitted = true;
            s.receive(&peer_syn, Time::ZERO);
            let syn_ack = syn_ack_to(&s.poll(Time::ZERO), CLIENT).unwrap();
            let mss = syn_ack.options.mss.unwrap() as u32;
            let shift = syn_ack.options.window_scale.unwrap();
            assert_eq!(mss, fifo.mss(1460) as u32);
            // A full segment at a time, each echoed back with our ACK and window: the
            // handshake's promise first, then windows for a connection that sends.
            let mut seq = 1001u32;
            let mut acked = syn_ack.seq.wrapping_add(1);
            let mut id = None;
            for round in 0..6u64 {
                let mut data = Segment::new(CLIENT, (US, 7));
                data.seq = seq;
                data.ack = acked;
                data.flags = Flags::ACK;
                data.window = 65535;
                data.payload = vec![round as u8; mss as usize];
                s.receive(&data, Time::from_millis(1 + 2 * round));
                seq = seq.wrapping_add(mss);
                if id.is_none() {
                    id = s.accept(listener).unwrap();
                }
                let id = id.unwrap();
                let got = s.recv_all(id).unwrap();
                assert_eq!(got.len(), mss as usize);
                s.send(id, &got).unwrap();
                let out = s.poll(Time::from_millis(2 + 2 * round));
                let echo = out.iter().find(|x| !x.payload.is_empty()).unwrap();
                assert_eq!(echo.ack, seq);
                acked = echo.seq.wrapping_add(echo.payload.len() as u32);
                let window = (echo.window as u32) << shift;
                assert!(
                    window >= mss && window % mss == 0,
                    "FIFO {bytes}, round {round}: window {window} (shift {shift}) for MSS {mss}"
                );
            }
        }
    }

    #[test]
    fn retransmissions_are_counted() {
        let mut s = stack();
        s.connect(CLIENT, Time::ZERO).unwrap();
        assert_eq!(s.poll(Time::ZERO).len(), 1);
        assert_eq!(s.counters().retransmitted, 0);
        // RTO 1 s, then 2 s: two more SYNs.
        assert_eq!(s.poll(Time::from_millis(1000)).len(), 1);
        assert_eq!(s.poll(Time::from_millis(3000)).len(), 1);
        assert_eq!(s.counters().retransmitted, 2);
    }

    /// A connection of ours to CLIENT, established (the peer offers MSS 1460 and a
    /// large window), and the stack.
    fn established() -> (Stack, SocketId, Segment) {
        let mut s = stack();
        let id = s.connect(CLIENT, Time::ZERO).unwrap();
        let our_syn = s.poll(Time::ZERO).remove(0);
        let mut syn_ack = Segment::new(CLIENT, (US, our_syn.src_port));
        syn_ack.seq = 5000;
        syn_ack.ack = our_syn.seq.wrapping_add(1);
        syn_ack.flags = Flags::SYN | Flags::ACK;
        syn_ack.window = 65535;
        syn_ack.options.mss = Some(1460);
        s.receive(&syn_ack, Time::from_millis(1));
        s.poll(Time::from_millis(1));
        assert_eq!(s.state(id), State::Established);
        (s, id, our_syn)
    }

    #[test]
    fn port_unreachable_for_our_syn_aborts_the_connection() {
        let mut s = stack();
        let id = s.connect(CLIENT, Time::ZERO).unwrap();
        let syn = s.poll(Time::ZERO).remove(0);
        let us = (US, syn.src_port);
        // A sequence number we never sent, and another connection's ports: ignored.
        for (seq, to) in [(syn.seq.wrapping_add(1), CLIENT), (syn.seq, (CLIENT.0, 1))] {
            let o = s.icmp_error(IcmpError::Unreachable(3), us, to, seq);
            assert_eq!(o, IcmpOutcome::OutOfWindow);
        }
        assert_eq!(s.state(id), State::SynSent);
        assert_eq!(s.counters().icmp_ignored, 2);
        // Net unreachable is soft: recorded, the SYN keeps being retransmitted.
        let o = s.icmp_error(IcmpError::Unreachable(0), us, CLIENT, syn.seq);
        assert_eq!(o, IcmpOutcome::Soft);
        assert_eq!(s.state(id), State::SynSent);
        assert_eq!(
            s.connection(id).unwrap().soft_error(),
            Some(IcmpError::Unreachable(0))
        );
        assert_eq!(s.counters().icmp_soft_errors, 1);
        // Port unreachable is hard in SYN-SENT: aborted, and the application told.
        let o = s.icmp_error(IcmpError::Unreachable(3), us, CLIENT, syn.seq);
        assert_eq!(o, IcmpOutcome::Aborted);
        assert_eq!(s.state(id), State::Closed);
        assert!(s.events().contains(&(id, Event::Error(Error::Unreachable))));
        assert_eq!(s.counters().icmp_aborted, 1);
        assert!(
            s.poll(Time::from_millis(5000)).is_empty(),
            "no SYN after it"
        );
    }

    #[test]
    fn port_unreachable_on_an_established_connection_is_soft() {
        let (mut s, id, syn) = established();
        s.send(id, &[1; 100]).unwrap();
        let data = s.poll(Time::from_millis(2)).remove(0);
        let us = (US, syn.src_port);
        let o = s.icmp_error(IcmpError::Unreachable(3), us, CLIENT, data.seq);
        assert_eq!(o, IcmpOutcome::Soft);
        assert_eq!(s.state(id), State::Established);
        // Acknowledged data is outside the window (RFC 5927).
        let o = s.icmp_error(
            IcmpError::TimeExceeded,
            us,
            CLIENT,
            data.seq.wrapping_sub(1),
        );
        assert_eq!(o, IcmpOutcome::OutOfWindow);
    }

    #[test]
    fn fragmentation_needed_lowers_the_mss_and_resends_smaller() {
        let (mut s, id, syn) = established();
        s.send(id, &[7; 3000]).unwrap();
        let sent = s.poll(Time::from_millis(2));
        let mss = s.connection(id).unwrap().send_mss();
        assert!(sent.iter().all(|x| x.payload.len() <= mss as usize));
        assert!(sent[0].payload.len() > 536, "{}", sent[0].payload.len());
        let us = (US, syn.src_port);
        let fn_error = |mtu| IcmpError::FragmentationNeeded {
            mtu,
            quoted_len: 1500,
        };
        // An MTU above ours changes nothing.
        let o = s.icmp_error(fn_error(9000), us, CLIENT, sent[0].seq);
        assert_eq!(o, IcmpOutcome::MssUnchanged);
        let o = s.icmp_error(fn_error(576), us, CLIENT, sent[0].seq);
        assert_eq!(o, IcmpOutcome::MssLowered);
        assert_eq!(s.connection(id).unwrap().send_mss(), 536);
        assert_eq!(s.counters().icmp_mss_lowered, 1);
        // Everything in flight goes again, from SND.UNA, at most 536 bytes a segment.
        let again = s.poll(Time::from_millis(3));
        assert_eq!(again[0].seq, sent[0].seq);
        assert!(again.iter().all(|x| x.payload.len() <= 536));
        assert!(s.counters().retransmitted >= 1);
        // Never below 68 − 40; an MTU of 0 (a pre-RFC 1191 router) takes the plateau
        // below the quoted length.
        let old_router = IcmpError::FragmentationNeeded {
            mtu: 0,
            quoted_len: 576,
        };
        let o = s.icmp_error(old_router, us, CLIENT, sent[0].seq);
        assert_eq!(o, IcmpOutcome::MssLowered);
        assert_eq!(s.connection(id).unwrap().send_mss(), 508 - 40);
        let o = s.icmp_error(fn_error(20), us, CLIENT, sent[0].seq);
        assert_eq!(o, IcmpOutcome::MssLowered);
        assert_eq!(s.connection(id).unwrap().send_mss(), 28);
    }
}
