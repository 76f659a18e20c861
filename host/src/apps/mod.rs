//! Applications on the host's TCP sockets: the servers `tcpip serve` runs and the
//! byte pipe behind `tcpip connect`.
//!
//! A [`Server`] listens on one port and serves any number of connections at once with
//! one [`Protocol`] each. Every turn of the caller's loop it accepts, reads, answers and
//! closes: reading stops while an answer is waiting for send-buffer space, so a slow
//! peer fills its own receive window rather than our memory. A connection is closed
//! (FIN) once its protocol is done and everything it answered is queued; it disappears
//! when the engine frees it.

pub mod discard;
pub mod echo;
pub mod http;
pub mod pipe;

use crate::tcp::{SocketId, Stack, StackError, State};
use std::collections::BTreeMap;

pub use pipe::Pipe;

/// Answers queued beyond this stop reading from the peer until they drain.
const MAX_PENDING: usize = 64 * 1024;

/// What one connection does with the bytes it receives.
pub trait Protocol {
    /// Bytes from the peer; the answer is appended to `out`.
    fn input(&mut self, data: &[u8], out: &mut Vec<u8>);
    /// The peer has finished sending (its FIN, all bytes read); last words go to `out`.
    fn peer_closed(&mut self, _out: &mut Vec<u8>) {}
    /// Whether to close once `out` is sent, without waiting for the peer's FIN.
    fn done(&self) -> bool {
        false
    }
}

/// Which application `tcpip serve` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AppKind {
    /// RFC 862: every byte comes back.
    Echo,
    /// RFC 863: every byte is read and dropped.
    Discard,
    /// HTTP/1.1: GET / answers a page, then the server closes.
    Http,
}

impl AppKind {
    pub fn name(self) -> &'static str {
        match self {
            AppKind::Echo => "echo",
            AppKind::Discard => "discard",
            AppKind::Http => "http",
        }
    }

    pub fn protocol(self) -> Box<dyn Protocol> {
        match self {
            AppKind::Echo => Box::new(echo::Echo),
            AppKind::Discard => Box::new(discard::Discard),
            AppKind::Http => Box::new(http::Http::default()),
        }
    }
}

struct Conn {
    protocol: Box<dyn Protocol>,
    pending: Vec<u8>,
    eof: bool,
    closed: bool,
}

/// A listening port and its connections.
pub struct Server {
    kind: AppKind,
    listener: SocketId,
    conns: BTreeMap<SocketId, Conn>,
    buf: Vec<u8>,
    /// Connections accepted so far.
    pub accepted: u64,
}

impl Server {
    pub fn listen(stack: &mut Stack, kind: AppKind, port: u16) -> Result<Server, StackError> {
        Ok(Server {
            kind,
            listener: stack.listen(port, 64)?,
            conns: BTreeMap::new(),
            buf: vec![0; 16 * 1024],
            accepted: 0,
        })
    }

    /// Connections the application still serves (TIME-WAIT ones are the engine's).
    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    /// One turn: accept, read, answer, close.
    pub fn run(&mut self, stack: &mut Stack) {
        while let Ok(Some(id)) = stack.accept(self.listener) {
            self.accepted += 1;
            self.conns.insert(
                id,
                Conn {
                    protocol: self.kind.protocol(),
                    pending: Vec::new(),
                    eof: false,
                    closed: false,
                },
            );
        }
        let buf = &mut self.buf;
        self.conns.retain(|&id, c| {
            if stack.state(id) == State::Closed {
                // Reset, timed out, or finished and freed: nothing more to do.
                if !c.closed {
                    let _ = stack.close(id);
                }
                return false;
            }
            if c.closed && stack.state(id) == State::TimeWait {
                // Closed first (http): the engine keeps TIME-WAIT; the app is done.
                return false;
            }
            serve(stack, id, c, buf);
            true
        });
    }
}

fn flush(stack: &mut Stack, id: SocketId, pending: &mut Vec<u8>) {
    if pending.is_empty() {
        return;
    }
    match stack.send(id, pending) {
        Ok(n) => {
            pending.drain(..n);
        }
        // The connection can no longer send (reset, or the peer went away).
        Err(_) => pending.clear(),
    }
}

fn serve(stack: &mut Stack, id: SocketId, c: &mut Conn, buf: &mut [u8]) {
    flush(stack, id, &mut c.pending);
    while !c.eof && c.pending.len() < MAX_PENDING && !c.protocol.done() {
        match stack.recv(id, buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                c.protocol.input(&buf[..n], &mut c.pending);
                flush(stack, id, &mut c.pending);
            }
        }
    }
    let peer_done = stack
        .connection(id)
        .is_some_and(|conn| conn.peer_closed() && conn.recv_queue() == 0);
    if peer_done && !c.eof {
        c.eof = true;
        c.protocol.peer_closed(&mut c.pending);
        flush(stack, id, &mut c.pending);
    }
    if (c.eof || c.protocol.done()) && c.pending.is_empty() && !c.closed {
        c.closed = true;
        let _ = stack.close(id);
    }
}

#[cfg(test)]
pub(crate) mod testnet {
    //! Two engines wired back to back, for testing applications without a board.
    use crate::tcp::{Config, Stack, Time};

    pub const SERVER: [u8; 4] = [10, 0, 0, 2];
    pub const CLIENT: [u8; 4] = [10, 0, 0, 1];

    pub struct Net {
        pub server: Stack,
        pub client: Stack,
        pub now: Time,
    }

    impl Net {
        pub fn new() -> Net {
            Net {
                server: Stack::new(SERVER, [1; 16], Config::default()),
                client: Stack::new(CLIENT, [2; 16], Config::default()),
                now: Time::ZERO,
            }
        }

        /// Moves segments both ways until neither side has anything to send.
        pub fn exchange(&mut self) {
            for _ in 0..10_000 {
                let a = self.client.poll(self.now);
                let b = self.server.poll(self.now);
                if a.is_empty() && b.is_empty() {
                    return;
                }
                for s in &a {
                    self.server.receive(s, self.now);
                }
                for s in &b {
                    self.client.receive(s, self.now);
                }
                self.now = Time(self.now.0 + 100);
            }
            panic!("the engines never went quiet");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testnet::*;
    use super::*;
    use crate::tcp::Time;

    /// Sends `data` from a client, half-closes, and returns everything the server
    /// sent back once both sides are done.
    fn session(kind: AppKind, clients: usize, data: &[u8]) -> (Vec<Vec<u8>>, Net) {
        let mut net = Net::new();
        let mut server = Server::listen(&mut net.server, kind, 7).unwrap();
        let mut ids = Vec::new();
        for _ in 0..clients {
            ids.push(net.client.connect((SERVER, 7), Time::ZERO).unwrap());
        }
        let mut pipes: Vec<Pipe> = ids.iter().map(|&id| Pipe::new(id)).collect();
        for p in &mut pipes {
            p.write(data);
            p.finish();
        }
        for _ in 0..100_000 {
            server.run(&mut net.server);
            for p in &mut pipes {
                p.run(&mut net.client);
            }
            net.exchange();
            if pipes.iter().all(|p| p.is_done(&net.client)) && server.connections() == 0 {
                break;
            }
        }
        assert_eq!(server.accepted, clients as u64);
        assert_eq!(server.connections(), 0, "server side freed");
        let out = pipes.iter_mut().map(|p| p.take_output()).collect();
        (out, net)
    }

    fn random_bytes(n: usize) -> Vec<u8> {
        let mut x: u32 = 0x1234_5678;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    }

    #[test]
    fn echo_returns_every_byte_to_many_clients() {
        let data = random_bytes(256 * 1024);
        let (out, _) = session(AppKind::Echo, 4, &data);
        for o in out {
            assert!(o == data, "echo differs: {} bytes back", o.len());
        }
    }

    #[test]
    fn discard_answers_nothing_and_closes() {
        let (out, _) = session(AppKind::Discard, 2, &random_bytes(100_000));
        assert!(out.iter().all(|o| o.is_empty()));
    }

    #[test]
    fn http_answers_get_and_closes_first() {
        let req = b"GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n";
        let (out, _) = session(AppKind::Http, 3, req);
        for o in out {
            let text = String::from_utf8(o).unwrap();
            let (head, body) = text.split_once("\r\n\r\n").unwrap();
            assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
            assert!(head.contains("\r\nConnection: close"), "{head}");
            assert!(
                head.contains(&format!("\r\nContent-Length: {}", body.len())),
                "{head}"
            );
            assert!(body.contains("tcpip-fpga"), "{body}");
        }
    }
}
