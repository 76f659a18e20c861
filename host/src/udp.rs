//! UDP sockets: bind a port, send datagrams to anyone, receive from anyone.
//!
//! Like the TCP engine this is sans-IO: [`UdpSockets::receive`] takes datagrams the
//! board reported, [`UdpSockets::poll`] hands back datagrams to transmit. Each socket
//! queues at most `queue_limit` datagrams; beyond that new ones are dropped and
//! counted, so a flood cannot grow memory without bound.

use crate::tcp::segment::{ipv4_header, parse_ipv4_header, transport_checksum, ParseError};
use crate::tcp::Endpoint;
use std::collections::{HashMap, VecDeque};

const IPPROTO_UDP: u8 = 17;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    pub src_addr: [u8; 4],
    pub dst_addr: [u8; 4],
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: Vec<u8>,
}

impl Datagram {
    /// UDP header and payload with the checksum filled in (0 is sent as 0xffff).
    pub fn emit_udp(&self) -> Vec<u8> {
        let len = (8 + self.payload.len()) as u16;
        let mut b = Vec::with_capacity(len as usize);
        b.extend_from_slice(&self.src_port.to_be_bytes());
        b.extend_from_slice(&self.dst_port.to_be_bytes());
        b.extend_from_slice(&len.to_be_bytes());
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&self.payload);
        let c = transport_checksum(self.src_addr, self.dst_addr, IPPROTO_UDP, &b);
        let c = if c == 0 { 0xffff } else { c };
        b[6..8].copy_from_slice(&c.to_be_bytes());
        b
    }

    /// Parse UDP bytes; a zero checksum means "not computed" and is accepted.
    pub fn parse_udp(src: [u8; 4], dst: [u8; 4], b: &[u8]) -> Result<Datagram, ParseError> {
        if b.len() < 8 {
            return Err(ParseError::Truncated);
        }
        let len = u16::from_be_bytes([b[4], b[5]]) as usize;
        if len < 8 || len > b.len() {
            return Err(ParseError::BadHeaderLength);
        }
        let b = &b[..len];
        let stored = u16::from_be_bytes([b[6], b[7]]);
        if stored != 0 && transport_checksum(src, dst, IPPROTO_UDP, b) != 0 {
            return Err(ParseError::BadChecksum);
        }
        Ok(Datagram {
            src_addr: src,
            dst_addr: dst,
            src_port: u16::from_be_bytes([b[0], b[1]]),
            dst_port: u16::from_be_bytes([b[2], b[3]]),
            payload: b[8..].to_vec(),
        })
    }

    pub fn emit_ipv4(&self) -> Vec<u8> {
        let udp = self.emit_udp();
        let mut p = ipv4_header(self.src_addr, self.dst_addr, IPPROTO_UDP, udp.len());
        p.extend_from_slice(&udp);
        p
    }

    pub fn parse_ipv4(p: &[u8]) -> Result<Datagram, ParseError> {
        let (src, dst, proto, body) = parse_ipv4_header(p)?;
        if proto != IPPROTO_UDP {
            return Err(ParseError::NotTcp);
        }
        Datagram::parse_udp(src, dst, body)
    }
}

/// A bound UDP port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UdpSocket(u16);

impl UdpSocket {
    pub fn port(self) -> u16 {
        self.0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UdpError {
    PortInUse,
    NotBound,
    TooLarge,
}

/// What happened to a received datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Queued,
    /// Nobody listens on that port, or the datagram is not for our address (a board
    /// session answers the first with ICMP port unreachable: see `crate::icmp`).
    NoSocket,
    /// The socket's queue is full.
    Dropped,
}

#[derive(Debug)]
pub struct UdpSockets {
    addr: [u8; 4],
    queue_limit: usize,
    bound: HashMap<u16, VecDeque<Datagram>>,
    tx: Vec<Datagram>,
    pub dropped: u64,
}

/// Largest payload that fits an IPv4 datagram.
const MAX_PAYLOAD: usize = 65535 - 20 - 8;

impl UdpSockets {
    pub fn new(addr: [u8; 4], queue_limit: usize) -> UdpSockets {
        UdpSockets {
            addr,
            queue_limit,
            bound: HashMap::new(),
            tx: Vec::new(),
            dropped: 0,
        }
    }

    pub fn bind(&mut self, port: u16) -> Result<UdpSocket, UdpError> {
        if self.bound.contains_key(&port) {
            return Err(UdpError::PortInUse);
        }
        self.bound.insert(port, VecDeque::new());
        Ok(UdpSocket(port))
    }

    pub fn unbind(&mut self, s: UdpSocket) {
        self.bound.remove(&s.0);
    }

    /// Whether a socket listens on `port`.
    pub fn is_bound(&self, port: u16) -> bool {
        self.bound.contains_key(&port)
    }

    pub fn send_to(&mut self, s: UdpSocket, to: Endpoint, payload: &[u8]) -> Result<(), UdpError> {
        if !self.bound.contains_key(&s.0) {
            return Err(UdpError::NotBound);
        }
        if payload.len() > MAX_PAYLOAD {
            return Err(UdpError::TooLarge);
        }
        self.tx.push(Datagram {
            src_addr: self.addr,
            dst_addr: to.0,
            src_port: s.0,
            dst_port: to.1,
            payload: payload.to_vec(),
        });
        Ok(())
    }

    pub fn recv_from(&mut self, s: UdpSocket) -> Result<Option<(Endpoint, Vec<u8>)>, UdpError> {
        let q = self.bound.get_mut(&s.0).ok_or(UdpError::NotBound)?;
        Ok(q.pop_front().map(|d| ((d.src_addr, d.src_port), d.payload)))
    }

    pub fn receive(&mut self, d: Datagram) -> Delivery {
        if d.dst_addr != self.addr {
            return Delivery::NoSocket;
        }
        match self.bound.get_mut(&d.dst_port) {
            None => Delivery::NoSocket,
            Some(q) if q.len() >= self.queue_limit => {
                self.dropped += 1;
                Delivery::Dropped
            }
            Some(q) => {
                q.push_back(d);
                Delivery::Queued
            }
        }
    }

    /// Datagrams to transmit, in the order they were sent.
    pub fn poll(&mut self) -> Vec<Datagram> {
        std::mem::take(&mut self.tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: [u8; 4] = [10, 0, 0, 1];
    const B: [u8; 4] = [10, 0, 0, 2];

    #[test]
    fn send_to_then_recv_from_across_two_stacks() {
        let mut a = UdpSockets::new(A, 4);
        let mut b = UdpSockets::new(B, 4);
        let sa = a.bind(5000).unwrap();
        let sb = b.bind(53).unwrap();
        a.send_to(sa, (B, 53), b"query").unwrap();
        for d in a.poll() {
            // Through the wire format, checksum and all.
            let d = Datagram::parse_ipv4(&d.emit_ipv4()).unwrap();
            assert_eq!(b.receive(d), Delivery::Queued);
        }
        assert_eq!(
            b.recv_from(sb).unwrap(),
            Some(((A, 5000), b"query".to_vec()))
        );
        assert_eq!(b.recv_from(sb).unwrap(), None);
    }

    #[test]
    fn unbound_port_full_queue_and_double_bind() {
        let mut b = UdpSockets::new(B, 1);
        let d = Datagram {
            src_addr: A,
            dst_addr: B,
            src_port: 1,
            dst_port: 9,
            payload: vec![1],
        };
        assert_eq!(b.receive(d.clone()), Delivery::NoSocket);
        let s = b.bind(9).unwrap();
        assert_eq!(b.bind(9), Err(UdpError::PortInUse));
        assert_eq!(b.receive(d.clone()), Delivery::Queued);
        assert_eq!(b.receive(d), Delivery::Dropped);
        assert_eq!(b.dropped, 1);
        b.unbind(s);
        assert_eq!(b.recv_from(s), Err(UdpError::NotBound));
    }

    #[test]
    fn corrupted_datagram_is_refused() {
        let d = Datagram {
            src_addr: A,
            dst_addr: B,
            src_port: 1,
            dst_port: 9,
            payload: b"abc".to_vec(),
        };
        let mut bytes = d.emit_udp();
        bytes[9] ^= 1;
        assert_eq!(
            Datagram::parse_udp(A, B, &bytes),
            Err(ParseError::BadChecksum)
        );
        assert_eq!(
            Datagram::parse_udp(A, B, &bytes[..5]),
            Err(ParseError::Truncated)
        );
    }
}
