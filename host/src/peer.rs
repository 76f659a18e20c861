//! A computer on the board's Ethernet wire, in software: what `tcpip demo` puts on the
//! other end of the cable. It wraps its own TCP segments layer by layer (TCP, then
//! IPv4, then Ethernet) and unwraps what the board sends in the same order, and it
//! speaks ARP and ICMP echo so the board's hardware has someone to answer.

use crate::tcp::segment::{ipv4_header, parse_ipv4_header, Segment};

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
const IPPROTO_ICMP: u8 = 1;
const IPPROTO_TCP: u8 = 6;

/// What a frame from the wire turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    /// An ARP packet: op 1 request, 2 reply.
    Arp {
        op: u16,
        sender_mac: [u8; 6],
        sender_ip: [u8; 4],
        target_ip: [u8; 4],
    },
    /// An ICMP echo reply (type 0) or request (type 8); `checksum_ok` over the message.
    Echo {
        reply: bool,
        src_ip: [u8; 4],
        id: u16,
        seq: u16,
        payload: Vec<u8>,
        checksum_ok: bool,
    },
    Tcp {
        src_mac: [u8; 6],
        segment: Segment,
    },
    /// Anything else, with the reason it was not understood.
    Other(&'static str),
}

/// The Ethernet header: destination, source, ethertype.
pub fn ethernet(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An ARP request (who-has `target_ip`, tell `ip`), broadcast.
pub fn arp_request(mac: [u8; 6], ip: [u8; 4], target_ip: [u8; 4]) -> Vec<u8> {
    let mut a = vec![0, 1, 0x08, 0x00, 6, 4, 0, 1];
    a.extend_from_slice(&mac);
    a.extend_from_slice(&ip);
    a.extend_from_slice(&[0; 6]);
    a.extend_from_slice(&target_ip);
    ethernet([0xff; 6], mac, ETHERTYPE_ARP, &a)
}

pub use crate::tcp::segment::internet_checksum;

/// An ICMP echo request from (`mac`, `ip`) to (`dst_mac`, `dst_ip`).
pub fn echo_request(
    mac: [u8; 6],
    ip: [u8; 4],
    dst_mac: [u8; 6],
    dst_ip: [u8; 4],
    id: u16,
    seq: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut icmp = vec![8, 0, 0, 0];
    icmp.extend_from_slice(&id.to_be_bytes());
    icmp.extend_from_slice(&seq.to_be_bytes());
    icmp.extend_from_slice(payload);
    let c = internet_checksum(&icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    let mut packet = ipv4_header(ip, dst_ip, IPPROTO_ICMP, icmp.len());
    packet.extend_from_slice(&icmp);
    ethernet(dst_mac, mac, ETHERTYPE_IPV4, &packet)
}

/// A TCP segment wrapped for the wire: segment → IPv4 packet → Ethernet frame.
pub fn tcp_frame(mac: [u8; 6], dst_mac: [u8; 6], seg: &Segment) -> Vec<u8> {
    ethernet(dst_mac, mac, ETHERTYPE_IPV4, &seg.emit_ipv4())
}

/// Unwraps a frame: Ethernet, then ARP or IPv4, then ICMP or TCP.
pub fn parse(frame: &[u8]) -> Received {
    if frame.len() < 14 {
        return Received::Other("runt");
    }
    let src_mac: [u8; 6] = frame[6..12].try_into().unwrap();
    let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
    let body = &frame[14..];
    match ethertype {
        ETHERTYPE_ARP if body.len() >= 28 => Received::Arp {
            op: u16::from_be_bytes([body[6], body[7]]),
            sender_mac: body[8..14].try_into().unwrap(),
            sender_ip: body[14..18].try_into().unwrap(),
            target_ip: body[24..28].try_into().unwrap(),
        },
        ETHERTYPE_IPV4 => {
            let Ok((src, _dst, proto, l4)) = parse_ipv4_header(body) else {
                return Received::Other("bad IPv4 header");
            };
            match proto {
                IPPROTO_ICMP if l4.len() >= 8 && (l4[0] == 0 || l4[0] == 8) => Received::Echo {
                    reply: l4[0] == 0,
                    src_ip: src,
                    id: u16::from_be_bytes([l4[4], l4[5]]),
                    seq: u16::from_be_bytes([l4[6], l4[7]]),
                    payload: l4[8..].to_vec(),
                    checksum_ok: internet_checksum(l4) == 0,
                },
                IPPROTO_TCP => match Segment::parse_ipv4(body) {
                    Ok(segment) => Received::Tcp { src_mac, segment },
                    Err(_) => Received::Other("bad TCP segment"),
                },
                _ => Received::Other("another IP protocol"),
            }
        }
        _ => Received::Other("another ethertype"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_request_parses_back_with_a_good_checksum() {
        let f = echo_request(
            [2, 0, 0, 0, 0, 1],
            [192, 0, 2, 1],
            [2; 6],
            [192, 0, 2, 2],
            7,
            9,
            b"abc",
        );
        match parse(&f) {
            Received::Echo {
                reply,
                id,
                seq,
                payload,
                checksum_ok,
                ..
            } => {
                assert!(!reply && checksum_ok);
                assert_eq!((id, seq, payload.as_slice()), (7, 9, &b"abc"[..]));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn arp_request_parses_back() {
        let f = arp_request([2, 0, 0, 0, 0, 1], [192, 0, 2, 1], [192, 0, 2, 2]);
        assert_eq!(
            parse(&f),
            Received::Arp {
                op: 1,
                sender_mac: [2, 0, 0, 0, 0, 1],
                sender_ip: [192, 0, 2, 1],
                target_ip: [192, 0, 2, 2]
            }
        );
    }
}
