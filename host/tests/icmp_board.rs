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

// ---- ICMP errors received (issue 20, step 2) ----------------------------------------

/// An ICMP error from the peer (a router on its way, as far as we can tell) quoting
/// `quoted` (an IPv4 datagram of ours, from its header on): the first 28 bytes, as
/// routers quote, or all of it when `all`.
fn icmp_error_frame(kind: Icmpv4Type, quoted: &[u8], all: bool) -> Vec<u8> {
    let quote = if all { quoted } else { &quoted[..28] };
    let builder = PacketBuilder::ethernet2(PEER_MAC, MAC)
        .ipv4(PEER, IP, PEER_TTL)
        .icmpv4(kind);
    let mut frame = Vec::with_capacity(builder.size(quote.len()));
    builder.write(&mut frame, quote).unwrap();
    frame
}

/// The TCP segments among the board's frames: (IPv4 datagram from its header on,
/// TCP header, payload length).
fn tcp_segments(frames: &[Vec<u8>]) -> Vec<(Vec<u8>, etherparse::TcpHeader, usize)> {
    frames
        .iter()
        .filter_map(|f| {
            let p = SlicedPacket::from_ethernet(f).ok()?;
            let Some(TransportSlice::Tcp(t)) = &p.transport else {
                return None;
            };
            Some((f[14..].to_vec(), t.to_header(), t.payload().len()))
        })
        .collect()
}

impl Bench {
    /// The host learns the peer's MAC from a datagram (no ARP round on the wire).
    fn learn_peer(&mut self) {
        self.push(&[udp_frame(MAC, IP, 9, b"hello")], Time::ZERO);
        self.link.board().take_frames();
    }

    /// Polls the session a few more times at `now` (the board answers in its own time).
    fn settle(&mut self, now: Time) -> Vec<Vec<u8>> {
        for _ in 0..20 {
            self.session.poll(&mut self.link, now).unwrap();
        }
        self.link.board().take_frames()
    }
}

/// Port unreachable answering our SYN aborts the connection (a hard error in SYN-SENT,
/// RFC 1122 §4.2.3.9) and the application sees the error; the same error quoting a
/// sequence number we never sent is ignored and counted (RFC 5927).
#[test]
fn a_syn_answered_with_port_unreachable_aborts_the_connection() {
    use tcpip_host::tcp::{Error, State};
    let mut b = Bench::new();
    b.learn_peer();
    let id = b.session.stack().connect((PEER, 80), Time::ZERO).unwrap();
    let frames = b.settle(Time::ZERO);
    let segs = tcp_segments(&frames);
    assert_eq!(segs.len(), 1, "our SYN");
    let (syn_ip, syn, _) = &segs[0];
    assert!(syn.syn && !syn.ack);
    let port = Icmpv4Type::DestinationUnreachable(DestUnreachableHeader::Port);
    // A blind attacker's guess: the right ports, a sequence number off by 1,000.
    let mut forged = syn_ip.clone();
    let seq = (syn.sequence_number.wrapping_add(1000)).to_be_bytes();
    forged[24..28].copy_from_slice(&seq);
    b.push(
        &[icmp_error_frame(port.clone(), &forged, false)],
        Time::ZERO,
    );
    b.settle(Time::ZERO);
    assert_eq!(b.session.host_counters().icmp_errors_received, 1);
    assert_eq!(b.session.stack().state(id), State::SynSent);
    assert_eq!(b.counter("icmp_ignored"), 1);
    // The real one.
    b.push(&[icmp_error_frame(port, syn_ip, false)], Time::ZERO);
    b.settle(Time::ZERO);
    assert_eq!(b.session.host_counters().icmp_errors_received, 2);
    assert_eq!(b.session.stack().state(id), State::Closed);
    assert_eq!(
        b.session.stack().connection(id).unwrap().error(),
        Some(Error::Unreachable)
    );
    assert_eq!(b.counter("icmp_aborted"), 1);
    assert_eq!(b.counter("icmp_errors_received"), 2);
    // No SYN goes again when the retransmission timer would have fired.
    let later = b.settle(Time::from_millis(5000));
    assert!(tcp_segments(&later).is_empty());
}

/// A router's fragmentation-needed with a next-hop MTU of 576, quoting our first
/// full-size data segment, lowers the connection's MSS to 536, and what goes again
/// fits the path: every retransmitted datagram is at most 576 bytes.
#[test]
fn fragmentation_needed_lowers_the_mss_and_the_retransmission_fits() {
    use etherparse::TcpOptionElement;
    let mut b = Bench::new();
    b.learn_peer();
    let id = b.session.stack().connect((PEER, 80), Time::ZERO).unwrap();
    let segs = tcp_segments(&b.settle(Time::ZERO));
    let syn = &segs[0].1;
    let builder = PacketBuilder::ethernet2(PEER_MAC, MAC)
        .ipv4(PEER, IP, PEER_TTL)
        .tcp(80, syn.source_port, 70000, 65535)
        .syn()
        .ack(syn.sequence_number.wrapping_add(1))
        .options(&[TcpOptionElement::MaximumSegmentSize(1460)])
        .unwrap();
    let mut syn_ack = Vec::new();
    builder.write(&mut syn_ack, &[]).unwrap();
    b.push(&[syn_ack], Time::from_millis(1));
    b.settle(Time::from_millis(1));
    let data: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
    b.session.stack().send(id, &data).unwrap();
    let first = tcp_segments(&b.settle(Time::from_millis(2)));
    let (big_ip, big, big_len) = first
        .iter()
        .find(|(_, _, n)| *n > 536)
        .expect("a data segment larger than 536 bytes")
        .clone();
    assert!(big_ip.len() > 576);
    let frag = Icmpv4Type::DestinationUnreachable(DestUnreachableHeader::FragmentationNeeded {
        next_hop_mtu: 576,
    });
    b.push(
        &[icmp_error_frame(frag, &big_ip, false)],
        Time::from_millis(3),
    );
    let again = tcp_segments(&b.settle(Time::from_millis(3)));
    assert_eq!(b.counter("icmp_mss_lowered"), 1);
    assert_eq!(b.session.stack().connection(id).unwrap().send_mss(), 536);
    assert!(!again.is_empty(), "the segment goes again");
    assert_eq!(again[0].1.sequence_number, big.sequence_number);
    for (ip, _, n) in &again {
        assert!(ip.len() <= 576 && *n <= 536, "{} bytes", ip.len());
    }
    assert!(again.iter().map(|s| s.2).sum::<usize>() >= big_len.min(536));
}

/// What the board hands the host of an ICMP error is the message itself, byte for
/// byte: RxIcmp's addresses, then the message from its type byte on, its first 64
/// bytes when it is longer (here a router that quotes the whole datagram).
#[test]
fn the_board_passes_an_icmp_error_byte_exact() {
    use tcpip_host::link::{Link, Message};
    let mut link = SimLink::new(Backend::from_env().unwrap()).unwrap();
    let cfg = SessionConfig::new(MAC, IP, 24);
    let mut session = Session::start(cfg, &mut link, Duration::from_secs(5), Time::ZERO).unwrap();
    let _ = &mut session;
    // Some datagram of ours, 120 bytes from its IP header on.
    let ours = {
        let builder = PacketBuilder::ipv4(IP, PEER, 64).udp(5000, 53);
        let mut d = Vec::new();
        builder.write(&mut d, &[0x5A; 92]).unwrap();
        d
    };
    let exceeded =
        Icmpv4Type::TimeExceeded(etherparse::icmpv4::TimeExceededCode::TtlExceededInTransit);
    let short = icmp_error_frame(exceeded.clone(), &ours, false);
    let long = icmp_error_frame(exceeded, &ours, true);
    // And an echo reply, which is no error and stays on the board.
    let echo_reply = {
        let builder = PacketBuilder::ethernet2(PEER_MAC, MAC)
            .ipv4(PEER, IP, 64)
            .icmpv4_echo_reply(1, 2);
        let mut f = Vec::new();
        builder.write(&mut f, b"pong").unwrap();
        f
    };
    for f in [&short, &echo_reply, &long] {
        link.board().push_frame(f);
    }
    let mut got = vec![];
    for _ in 0..50 {
        while let Some(m) = link.recv(Duration::from_millis(10)).unwrap() {
            if let Message::RxIcmp(m) = m {
                got.push(m);
            }
        }
    }
    assert_eq!(got.len(), 2, "two errors, no echo reply");
    for (m, frame) in got.iter().zip([&short, &long]) {
        assert_eq!((m.src_mac, m.src_ip, m.dst_ip), (PEER_MAC, PEER, IP));
        let icmp = &frame[34..];
        assert_eq!(m.message, icmp[..icmp.len().min(64)]);
    }
    assert_eq!(got[0].message.len(), 8 + 28);
    assert_eq!(got[1].message.len(), 64);
}
