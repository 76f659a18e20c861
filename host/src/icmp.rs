//! ICMP messages the host sends through the board (`TxIcmp`: the board wraps them in
//! IPv4, protocol 1, and adds nothing else, so the checksum is computed here). Today
//! one: destination unreachable, port unreachable (RFC 792), the answer to a UDP
//! datagram for a port nobody listens on (RFC 1122 §3.2.2.1, §4.1.3.1).
//!
//! Not every such datagram is answered:
//!
//! - Never one to a broadcast or multicast address (RFC 1122 §3.2.2): only a datagram
//!   to our own address is, so neither the limited nor the subnet broadcast nor a
//!   group. RxUdp does not carry the destination MAC, so a datagram sent to our unicast
//!   IP in a link-layer broadcast frame cannot be told apart and is answered.
//! - Never one whose source names no single host (a group, 0.0.0.0, 127/8): the answer
//!   would go to many hosts or none.
//! - Non-initial fragments never reach the host: the board drops every fragment.
//! - At most [`RateLimit::DEFAULT`] answers: see there why.

use crate::tcp::segment::internet_checksum;
use crate::tcp::{is_group_address, Endpoint, IcmpError, Time};
use crate::udp::Datagram;

/// ICMP type 3, destination unreachable.
pub const DEST_UNREACHABLE: u8 = 3;
/// Code 3 of type 3: port unreachable.
pub const PORT_UNREACHABLE: u8 = 3;
/// What RFC 792 quotes of the original datagram: its internet header (20 bytes, as
/// rebuilt here) and the first 64 bits of its data (the UDP header).
const QUOTED: usize = 20 + 8;

/// An ICMP error the board passed up (RxIcmp): what it says and the datagram it
/// quotes, as far as the quote's first bytes tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceivedError {
    pub error: IcmpError,
    /// The quoted datagram's protocol (6 TCP, 17 UDP, ...).
    pub protocol: u8,
    /// The quoted datagram's source and destination: address and port.
    pub src: Endpoint,
    pub dst: Endpoint,
    /// TCP: the quoted segment's sequence number.
    pub seq: Option<u32>,
}

/// Reads an ICMP error message (type 3, 11 or 12; the board checked its checksum):
/// `None` for another type, or a quote too short to name ports (RFC 792 quotes the
/// IPv4 header and at least 8 bytes, which hold TCP's ports and sequence number).
pub fn parse_error(message: &[u8]) -> Option<ReceivedError> {
    let (&kind, &code) = (message.first()?, message.get(1)?);
    let error = match (kind, code) {
        (DEST_UNREACHABLE, 4) => IcmpError::FragmentationNeeded {
            mtu: u16::from_be_bytes([*message.get(6)?, *message.get(7)?]),
            quoted_len: u16::from_be_bytes([*message.get(10)?, *message.get(11)?]),
        },
        (DEST_UNREACHABLE, c) => IcmpError::Unreachable(c),
        (11, _) => IcmpError::TimeExceeded,
        (12, _) => IcmpError::ParameterProblem,
        _ => return None,
    };
    let ip = message.get(8..)?;
    if ip.first()? >> 4 != 4 {
        return None;
    }
    let ihl = ((ip[0] & 0x0F) as usize) * 4;
    let l4 = ip.get(ihl.max(20)..)?;
    if l4.len() < 8 {
        return None;
    }
    let addr = |at: usize| [ip[at], ip[at + 1], ip[at + 2], ip[at + 3]];
    let port = |at: usize| u16::from_be_bytes([l4[at], l4[at + 1]]);
    let protocol = ip[9];
    Some(ReceivedError {
        error,
        protocol,
        src: (addr(12), port(0)),
        dst: (addr(16), port(2)),
        seq: (protocol == 6).then(|| u32::from_be_bytes([l4[4], l4[5], l4[6], l4[7]])),
    })
}

/// Whether a UDP datagram for a closed port may be answered with port unreachable
/// (see the module doc): addressed to `ours` itself, from a single host.
pub fn may_answer(d: &Datagram, ours: [u8; 4], netmask: [u8; 4]) -> bool {
    let src = d.src_addr;
    d.dst_addr == ours && !is_group_address(src, ours, netmask) && src != [0; 4] && src[0] != 127
}

/// The ICMP port unreachable message answering `d`, checksum included: type 3, code 3,
/// four unused zero bytes, then the datagram's IPv4 header and the first 8 bytes of
/// its payload, the UDP header (RFC 792).
///
/// RxUdp carries the datagram's addresses, ports and payload but not the rest of its IP
/// header, so the quoted header is rebuilt, as faithfully as those allow: version 4, a
/// 20-byte header (options, if the datagram had any, are lost, and the total length is
/// then short by their size), total length from the UDP length, protocol 17, the
/// addresses, and a correct header checksum; the fields the board does not pass on are
/// this host's own defaults (TOS 0, identification 0, DF set, TTL 64), not the
/// sender's. The UDP header is rebuilt from the ports and payload, its checksum
/// computed again: the sender's unless it sent none (zero). A peer matches an error to
/// its socket by addresses, protocol and ports, which are all exact.
pub fn port_unreachable(d: &Datagram) -> Vec<u8> {
    let mut message = vec![DEST_UNREACHABLE, PORT_UNREACHABLE, 0, 0, 0, 0, 0, 0];
    message.extend_from_slice(&d.emit_ipv4()[..QUOTED]);
    let checksum = internet_checksum(&message);
    message[2..4].copy_from_slice(&checksum.to_be_bytes());
    message
}

/// A token bucket: `burst` answers at once, then one every `1 / per_second` s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: u32,
    pub burst: u32,
}

impl RateLimit {
    /// At most 100 port unreachables a second, 20 at once. Each is a TxIcmp of about 55
    /// link bytes (49 and CRC and COBS) and a 70-byte frame: at the limit they take
    /// 1.4% of the 4 Mbaud host → board link (400 kB/s), so a flood of datagrams to
    /// closed ports cannot crowd TCP's segments off the link or out of the board's two
    /// transmit buffers; and since a UDP source address is not verified, a forger who
    /// aims our answers at a victim gets at most 7 kB/s of them out of us, whatever it
    /// sends. The burst answers a traceroute's probes in flight (Linux's sends up to 16
    /// at once) or a short scan without delay. (Linux limits per destination, one a
    /// second after a burst of 6, and 1,000 a second in all; one bucket for everyone is
    /// enough here: an error answer is advisory.)
    pub const DEFAULT: RateLimit = RateLimit {
        per_second: 100,
        burst: 20,
    };
}

/// The bucket's state: tokens left, and when the last one was earned.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    limit: RateLimit,
    tokens: u32,
    earned_at: Time,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(limit: RateLimit) -> TokenBucket {
        TokenBucket {
            limit,
            tokens: limit.burst,
            earned_at: Time::ZERO,
        }
    }

    /// Takes a token if there is one at `now`.
    pub fn take(&mut self, now: Time) -> bool {
        let interval = 1_000_000 / self.limit.per_second.max(1) as u64;
        let earned = now.micros().saturating_sub(self.earned_at.micros()) / interval.max(1);
        if earned > 0 {
            let tokens = (self.tokens as u64 + earned).min(self.limit.burst as u64);
            self.tokens = tokens as u32;
            // A full bucket earns nothing more; otherwise the part of an interval
            // already waited counts toward the next token.
            self.earned_at = if self.tokens == self.limit.burst {
                now
            } else {
                Time(self.earned_at.micros() + earned * interval)
            };
        }
        if self.tokens == 0 {
            return false;
        }
        self.tokens -= 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tcp::segment::transport_checksum;

    const US: [u8; 4] = [192, 0, 2, 2];
    const PEER: [u8; 4] = [192, 0, 2, 9];
    const MASK: [u8; 4] = [255, 255, 255, 0];

    fn datagram(src: [u8; 4], dst: [u8; 4]) -> Datagram {
        Datagram {
            src_addr: src,
            dst_addr: dst,
            src_port: 40000,
            dst_port: 9999,
            payload: b"probe payload".to_vec(),
        }
    }

    #[test]
    fn the_message_quotes_the_datagram_and_checks() {
        let d = datagram(PEER, US);
        let m = port_unreachable(&d);
        assert_eq!(m.len(), 8 + 28);
        assert_eq!(m[..2], [3, 3]);
        assert_eq!(m[4..8], [0; 4]);
        assert_eq!(internet_checksum(&m), 0, "the checksum covers the message");
        let (ip, udp) = (&m[8..28], &m[28..36]);
        assert_eq!(ip[0], 0x45);
        assert_eq!(u16::from_be_bytes([ip[2], ip[3]]), 20 + 8 + 13);
        assert_eq!(ip[9], 17);
        assert_eq!((&ip[12..16], &ip[16..20]), (&PEER[..], &US[..]));
        assert_eq!(internet_checksum(ip), 0, "the quoted header's checksum");
        assert_eq!(u16::from_be_bytes([udp[0], udp[1]]), 40000);
        assert_eq!(u16::from_be_bytes([udp[2], udp[3]]), 9999);
        assert_eq!(u16::from_be_bytes([udp[4], udp[5]]), 8 + 13);
        // The UDP checksum, computed again, checks over the datagram as it was.
        let whole = [udp, &d.payload[..]].concat();
        assert_ne!(udp[6..8], [0, 0]);
        assert_eq!(transport_checksum(PEER, US, 17, &whole), 0);
    }

    #[test]
    fn only_unicast_datagrams_from_one_host_are_answered() {
        assert!(may_answer(&datagram(PEER, US), US, MASK));
        for dst in [
            [255, 255, 255, 255],
            [192, 0, 2, 255],
            [224, 0, 0, 251],
            [239, 1, 2, 3],
            [192, 0, 2, 3],
        ] {
            assert!(!may_answer(&datagram(PEER, dst), US, MASK), "to {dst:?}");
        }
        for src in [
            [0, 0, 0, 0],
            [127, 0, 0, 1],
            [255, 255, 255, 255],
            [192, 0, 2, 255],
            [224, 0, 0, 1],
            [240, 0, 0, 1],
        ] {
            assert!(!may_answer(&datagram(src, US), US, MASK), "from {src:?}");
        }
    }

    #[test]
    fn the_bucket_gives_its_burst_then_its_rate() {
        let mut b = TokenBucket::new(RateLimit {
            per_second: 100,
            burst: 5,
        });
        let t = Time::from_millis(1000);
        assert_eq!((0..8).filter(|_| b.take(t)).count(), 5);
        // 10 ms a token: none after 9 ms, one at 10, two more by 30.
        assert!(!b.take(t + std::time::Duration::from_millis(9)));
        assert!(b.take(t + std::time::Duration::from_millis(10)));
        assert!(!b.take(t + std::time::Duration::from_millis(19)));
        assert!(b.take(t + std::time::Duration::from_millis(25)));
        assert!(b.take(t + std::time::Duration::from_millis(30)));
        assert!(!b.take(t + std::time::Duration::from_millis(30)));
        // A long quiet time refills it to the burst, no more.
        let later = t + std::time::Duration::from_secs(60);
        assert_eq!((0..8).filter(|_| b.take(later)).count(), 5);
    }

    #[test]
    fn received_errors_name_the_datagram_they_quote() {
        // Our own port unreachable reads back as what it quotes.
        let d = datagram(PEER, US);
        let e = parse_error(&port_unreachable(&d)).unwrap();
        assert_eq!(e.error, IcmpError::Unreachable(3));
        assert_eq!(e.protocol, 17);
        assert_eq!(
            (e.src, e.dst),
            ((d.src_addr, d.src_port), (d.dst_addr, d.dst_port))
        );
        assert_eq!(e.seq, None);
        // Fragmentation needed quoting TCP: MTU, quoted length, ports and sequence.
        let mut m = vec![3, 4, 0, 0, 0, 0, 0x02, 0x40];
        m.extend([0x45, 0, 0x05, 0xDC, 0, 0, 0x40, 0, 64, 6, 0, 0]);
        m.extend(US);
        m.extend(PEER);
        m.extend([0xC0, 0x00, 0x00, 0x50, 1, 2, 3, 4]);
        let e = parse_error(&m).unwrap();
        assert_eq!(
            e.error,
            IcmpError::FragmentationNeeded {
                mtu: 576,
                quoted_len: 1500
            }
        );
        assert_eq!((e.src, e.dst), ((US, 0xC000), (PEER, 80)));
        assert_eq!(e.seq, Some(0x01020304));
        // A quote too short for the ports, or another type, names nothing.
        assert_eq!(parse_error(&m[..m.len() - 1]), None);
        m[0] = 5;
        assert_eq!(parse_error(&m), None);
    }
}
