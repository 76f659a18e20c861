//! ICMP port unreachable through the simulated board: UDP datagrams built here with
//! etherparse (not by Linux, not by this crate's own wrappers) go through the whole
//! board design and the link into a host session, and what the board puts on the wire
//! in answer is taken apart by etherparse again: Ethernet, IPv4, ICMPv4 and its
//! checksum, the quoted IPv4 header and UDP header.

use etherparse::icmpv4::DestUnreachableHeader;
use etherparse::{Icmpv4Type, Ipv4Header, NetSlice, PacketBuilder, SlicedPacket, TransportSlice};
use etherparse::{IpNumber, UdpHeader};
use std::time::Duration;
use tcpip_host::icmp::RateLimit;
use tcpip_host::link::sim::SimLink;
use tcpip_host::netstack::{Session, SessionConfig};
use tcpip_host::tcp::Time;
use tcpip_sim::backend::Backend;

const MAC: [u8; 6] = [2, 0, 0, 0, 0, 2];
const IP: [u8; 4] = [192, 0, 2, 2];
const PEER_MAC: [u8; 6] = [2, 0, 0, 0, 0, 9];
const PEER: [u8; 4] = [192, 0, 2, 9];
/// The peer's TTL, not 64, so the test sees which header fields the host rebuilt.
const PEER_TTL: u8 = 17;

/// A UDP datagram from the peer (port 40000) as an Ethernet frame, checksum and all.
fn udp_frame(dst_mac: [u8; 6], dst: [u8; 4], dst_port: u16, payload: &[u8]) -> Vec<u8> {
    let builder = PacketBuilder::ethernet2(PEER_MAC, dst_mac)
        .ipv4(PEER, dst, PEER_TTL)
        .udp(40000, dst_port);
    let mut frame = Vec::with_capacity(builder.size(payload.len()));
    builder.write(&mut frame, payload).unwrap();
    frame
}

struct Bench {
    link: SimLink,
    session: Session,
}

impl Bench {
    fn new() -> Bench {
        let mut link = SimLink::new(Backend::from_env().unwrap()).unwrap();
        let cfg = SessionConfig::new(MAC, IP, 24);
        let session = Session::start(cfg, &mut link, Duration::from_secs(5), Time::ZERO).unwrap();
        Bench { link, session }
    }

    /// Frames onto the board's wire, then the session at `now` until it has nothing
    /// left for the board.
    fn push(&mut self, frames: &[Vec<u8>], now: Time) {
        for f in frames {
            self.link.board().push_frame(f);
        }
        for _ in 0..400 {
            self.session.poll(&mut self.link, now).unwrap();
            if !self.session.has_pending() {
                return;
            }
        }
        panic!("the session still has messages for the board after 400 turns");
    }

    fn counter(&mut self, name: &str) -> u64 {
        let all = self
            .session
            .counters(&mut self.link, Duration::from_secs(5), Time::ZERO)
            .unwrap();
        all.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("no counter {name}"))
    }
}

/// What an answer on the wire says: the quoted IPv4 header and UDP header.
#[derive(Debug)]
struct Unreachable {
    quoted_ip: Ipv4Header,
    quoted_udp: UdpHeader,
}

/// Takes one frame from the board apart: to the peer, from us, ICMP destination
/// unreachable / port unreachable with a good checksum, quoting a valid IPv4 header
/// and 8 bytes (the UDP header) and nothing more.
fn unreachable(frame: &[u8]) -> Unreachable {
    let p = SlicedPacket::from_ethernet(frame).expect("an Ethernet frame");
    let eth = p.link.as_ref().unwrap().to_header().unwrap();
    let eth = match eth {
        etherparse::LinkHeader::Ethernet2(e) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!((eth.destination, eth.source), (PEER_MAC, MAC));
    let Some(NetSlice::Ipv4(ip)) = &p.net else {
        panic!("not IPv4: {:?}", p.net);
    };
    let h = ip.header().to_header();
    assert_eq!(h.header_checksum, h.calc_header_checksum(), "IPv4 checksum");
    assert_eq!((h.source, h.destination), (IP, PEER));
    assert_eq!(h.protocol, IpNumber::ICMP);
    let Some(TransportSlice::Icmpv4(icmp)) = &p.transport else {
        panic!("not ICMPv4: {:?}", p.transport);
    };
    assert_eq!(
        icmp.icmp_type(),
        Icmpv4Type::DestinationUnreachable(DestUnreachableHeader::Port)
    );
    assert_eq!(
        icmp.checksum(),
        icmp.icmp_type().calc_checksum(icmp.payload()),
        "ICMP checksum"
    );
    assert_eq!(icmp.bytes5to8(), [0; 4], "unused, zero");
    let quoted = icmp.payload();
    assert_eq!(quoted.len(), 28, "the IP header and 64 bits of data");
    let (quoted_ip, rest) = Ipv4Header::from_slice(quoted).unwrap();
    assert_eq!(
        quoted_ip.header_checksum,
        quoted_ip.calc_header_checksum(),
        "the quoted header's checksum"
    );
    let (quoted_udp, rest) = UdpHeader::from_slice(rest).unwrap();
    assert!(rest.is_empty());
    Unreachable {
        quoted_ip,
        quoted_udp,
    }
}

/// A datagram to a closed port is answered with port unreachable quoting it; one to
/// a bound port and one to the limited broadcast (which the board passes up: of the
/// group addresses only 255.255.255.255 gets past its address filter) are not.
#[test]
fn udp_to_a_closed_port_gets_port_unreachable() {
    let mut b = Bench::new();
    let socket = b.session.udp().bind(7).unwrap();
    let payload = b"anyone on port 9999?";
    let sent = udp_frame(MAC, IP, 9999, payload);
    b.push(
        &[
            udp_frame(MAC, IP, 7, b"for the socket"),
            sent.clone(),
            udp_frame([0xff; 6], [255; 4], 9999, payload),
        ],
        Time::ZERO,
    );
    assert_eq!(
        b.session.host_counters().rx_udp,
        3,
        "all three reached the host"
    );
    assert_eq!(
        b.session.udp().recv_from(socket).unwrap(),
        Some(((PEER, 40000), b"for the socket".to_vec()))
    );
    let frames = b.link.board().take_frames();
    assert_eq!(frames.len(), 1, "one answer, to the closed port");
    let u = unreachable(&frames[0]);
    // The datagram as the peer sent it, taken apart by etherparse.
    let original = SlicedPacket::from_ethernet(&sent).unwrap();
    let Some(NetSlice::Ipv4(ip)) = &original.net else {
        unreachable!()
    };
    let sent_ip = ip.header().to_header();
    let Some(TransportSlice::Udp(udp)) = &original.transport else {
        unreachable!()
    };
    // Exact: the addresses, protocol and lengths, and the whole UDP header.
    assert_eq!((u.quoted_ip.source, u.quoted_ip.destination), (PEER, IP));
    assert_eq!(u.quoted_ip.protocol, IpNumber::UDP);
    assert_eq!(u.quoted_ip.total_len, sent_ip.total_len);
    assert_eq!(u.quoted_ip.ihl(), 5);
    assert_eq!(u.quoted_udp, udp.to_header());
    // Rebuilt, not the sender's: RxUdp does not carry the TTL (see tcpip_host::icmp).
    assert_ne!(u.quoted_ip.time_to_live, PEER_TTL);
    let c = b.session.host_counters();
    assert_eq!((c.icmp_port_unreachable_sent, c.tx_icmp), (1, 1));
    assert_eq!(c.icmp_port_unreachable_rate_limited, 0);
    // The board counts it with the host's segments.
    assert_eq!(b.counter("tx_sent"), 1);
    assert_eq!(b.counter("icmp_port_unreachable_sent"), 1);
}

/// A burst of datagrams to closed ports, more than the bucket holds, all at once: only
/// the burst is answered, the rest counted as rate-limited; once a token is earned
/// again, the next datagram is answered.
#[test]
fn a_burst_beyond_the_rate_limit_is_answered_up_to_the_limit() {
    let burst = RateLimit::DEFAULT.burst as usize;
    let extra = 10;
    let mut b = Bench::new();
    let frames: Vec<Vec<u8>> = (0..burst + extra)
        .map(|i| udp_frame(MAC, IP, 20000 + i as u16, &[i as u8; 12]))
        .collect();
    b.push(&frames, Time::ZERO);
    let answers = b.link.board().take_frames();
    assert_eq!(answers.len(), burst);
    let mut ports: Vec<u16> = answers
        .iter()
        .map(|f| unreachable(f).quoted_udp.destination_port)
        .collect();
    ports.sort();
    // The first `burst` datagrams, each answered once.
    let want: Vec<u16> = (0..burst as u16).map(|i| 20000 + i).collect();
    assert_eq!(ports, want);
    let c = b.session.host_counters();
    assert_eq!(c.rx_udp, (burst + extra) as u64);
    assert_eq!(c.icmp_port_unreachable_sent, burst as u64);
    assert_eq!(c.icmp_port_unreachable_rate_limited, extra as u64);
    assert_eq!(b.counter("tx_sent"), burst as u64);
    // One token a 1/per_second: the next datagram, that much later, is answered.
    let later =
        Time::ZERO + Duration::from_micros(1_000_000 / RateLimit::DEFAULT.per_second as u64);
    b.push(&[udp_frame(MAC, IP, 30000, b"later")], later);
    let answers = b.link.board().take_frames();
    assert_eq!(answers.len(), 1);
    assert_eq!(unreachable(&answers[0]).quoted_udp.destination_port, 30000);
    assert_eq!(b.counter("icmp_port_unreachable_sent"), burst as u64 + 1);
    assert_eq!(
        b.counter("icmp_port_unreachable_rate_limited"),
        extra as u64
    );
}
