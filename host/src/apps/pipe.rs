//! A byte pipe over one connection, the application side of `tcpip connect`: bytes
//! written go to the peer in order, bytes received are collected for the caller;
//! [`Pipe::finish`] half-closes once everything written has been queued.

use crate::tcp::{Event, SocketId, Stack, State};

pub struct Pipe {
    id: SocketId,
    to_send: Vec<u8>,
    received: Vec<u8>,
    finish: bool,
    shut: bool,
    buf: Vec<u8>,
}

impl Pipe {
    pub fn new(id: SocketId) -> Pipe {
        Pipe {
            id,
            to_send: Vec::new(),
            received: Vec::new(),
            finish: false,
            shut: false,
            buf: vec![0; 16 * 1024],
        }
    }

    pub fn id(&self) -> SocketId {
        self.id
    }

    /// Bytes for the peer.
    pub fn write(&mut self, data: &[u8]) {
        self.to_send.extend_from_slice(data);
    }

    /// No more bytes will be written: FIN after the last one.
    pub fn finish(&mut self) {
        self.finish = true;
    }

    /// Bytes waiting for send-buffer space (write less while this is large).
    pub fn backlog(&self) -> usize {
        self.to_send.len()
    }

    /// Received bytes since the last call.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.received)
    }

    /// One turn: queue what fits, read what arrived, half-close when asked.
    pub fn run(&mut self, stack: &mut Stack) {
        if !self.to_send.is_empty() {
            match stack.send(self.id, &self.to_send) {
                Ok(n) => {
                    self.to_send.drain(..n);
                }
                Err(_) => self.to_send.clear(),
            }
        }
        while let Ok(n) = stack.recv(self.id, &mut self.buf) {
            if n == 0 {
                break;
            }
            self.received.extend_from_slice(&self.buf[..n]);
        }
        // The engine takes CLOSE in SYN-SENT as "give up": wait for the handshake.
        let opening = matches!(stack.state(self.id), State::SynSent | State::SynReceived);
        if self.finish && self.to_send.is_empty() && !self.shut && !opening {
            self.shut = stack.shutdown(self.id).is_ok();
        }
    }

    /// Whether the peer has sent its FIN and every byte has been read.
    pub fn peer_finished(&self, stack: &Stack) -> bool {
        match stack.connection(self.id) {
            Some(c) => c.peer_closed() && c.recv_queue() == 0,
            None => true,
        }
    }

    /// Both directions finished (or the connection is gone).
    pub fn is_done(&self, stack: &Stack) -> bool {
        let state = stack.state(self.id);
        state == State::Closed
            || (self.shut
                && self.to_send.is_empty()
                && self.peer_finished(stack)
                && matches!(state, State::TimeWait | State::Closed | State::LastAck))
    }

    /// Why the connection ended badly, from the engine's events, if it did.
    pub fn error_in(&self, events: &[(SocketId, Event)]) -> Option<crate::tcp::Error> {
        events.iter().find_map(|(id, e)| match e {
            Event::Error(err) if *id == self.id => Some(*err),
            _ => None,
        })
    }
}
