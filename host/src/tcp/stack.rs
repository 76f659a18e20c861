//! The socket layer: many connections, listening sockets with a backlog, and the
//! answers for segments that belong to no connection.
//!
//! A [`SocketId`] names a listening socket or a connection. Ids are never reused
//! while a stale copy could be confused with a new socket: each carries a generation.
//! Connections accepted from a listener stay in its backlog until [`Stack::accept`];
//! a SYN arriving while the backlog is full is dropped (the peer retries), as Linux
//! does. A connection is freed once it is CLOSED and the application has let go of
//! it (closed, aborted, or never accepted).

use super::connection::{reset_for, Config, Connection, Endpoint, Error, Event};
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
    /// `from` is the listener whose backlog holds it, until accepted.
    Conn {
        conn: Box<Connection>,
        from: Option<SocketId>,
    },
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
        }
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
        let id = self.alloc(Socket::Conn { conn, from: None });
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
                conn.on_segment(seg, now);
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
                    let Some(Socket::Listener(l)) = self.socket(listener) else {
                        return;
                    };
                    if self.backlog_of(listener).len() >= l.backlog {
                        return;
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
                    });
                    self.conns.insert(tuple, id);
                    self.collect(id);
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

    /// Move a connection's events to the stack queue, and free it if it is done.
    fn collect(&mut self, id: SocketId) {
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut established_in_backlog = None;
        let mut done = false;
        let mut tuple = None;
        if let Some(Socket::Conn { conn, from }) = self.socket_mut(id) {
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

    /// Segments to send now, appended to `out`.
    pub fn poll_into(&mut self, now: Time, out: &mut Vec<Segment>) {
        out.append(&mut self.outbox);
        for i in 0..self.slots.len() {
            let slot = &mut self.slots[i];
            let id = SocketId {
                index: i as u32,
                generation: slot.generation,
            };
            if let Some(Socket::Conn { conn, .. }) = &mut slot.socket {
                let due = conn.poll_at().map(|t| t <= now).unwrap_or(false);
                if due {
                    conn.poll(now, out);
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
