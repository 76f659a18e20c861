//! The transmit pipeline as a whole, driven through `TxSim`: random TxTcp/TxUdp
//! requests (and TxIcmp messages) in, every frame on the wire checked by independent oracles (etherparse for
//! the headers and checksums, crc32_ieee for the FCS), then fed back into the receive
//! pipeline, which must accept each one.

use etherparse::{Ethernet2Header, Icmpv4Slice, Icmpv4Type, Ipv4Header, TcpHeader, UdpHeader};
use rand::{rngs::StdRng, Rng, SeedableRng};
use tcpip_hdl::internet::checksum::ones_sum;
use tcpip_hdl::link::crc32::crc32_ieee;
use tcpip_sim::rx::{Fcs, RxConfig, RxSim};
use tcpip_sim::tx::{TxRequest, TxSim, WireFrame};

const OUR_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x12, 0x34, 0x56];
const OUR_IP: [u8; 4] = [10, 0, 0, 2];
const PEER_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0xAB, 0xCD, 0xEF];
const PEER_IP: [u8; 4] = [10, 0, 0, 1];
const MSS: usize = 1460;

/// A request with random fields; `len` bytes of options+payload (options only for TCP,
/// as many whole words of 0..40 bytes as fit).
fn request(rng: &mut StdRng, tag: u16, udp: bool, len: usize) -> TxRequest {
    let options_len = if udp {
        0
    } else {
        (rng.gen_range(0..=10usize) * 4).min(len / 4 * 4)
    };
    let options: Vec<u8> = (0..options_len).map(|_| rng.gen()).collect();
    let payload: Vec<u8> = (0..len - options_len).map(|_| rng.gen()).collect();
    TxRequest {
        is_udp: udp,
        is_icmp: false,
        tag,
        dst_mac: PEER_MAC,
        dst_ip: PEER_IP,
        src_port: rng.gen(),
        dst_port: rng.gen(),
        seq: rng.gen(),
        ack: rng.gen(),
        flags: rng.gen_range(0..512),
        window: rng.gen(),
        options,
        payload,
    }
}

/// Checks one frame from the wire against its request: preamble, FCS, minimum size,
/// every header field, both checksums, payload byte for byte. Returns the frame without
/// preamble and FCS.
fn check_frame(f: &WireFrame, req: &TxRequest) -> Vec<u8> {
    let b = &f.bytes;
    assert_eq!(
        b[..8],
        [0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0xD5],
        "preamble"
    );
    let frame = &b[8..b.len() - 4];
    let fcs = u32::from_le_bytes(b[b.len() - 4..].try_into().unwrap());
    assert_eq!(fcs, crc32_ieee(frame), "FCS");
    assert!(frame.len() >= 60, "padded to 60 bytes");
    let (eth, rest) = Ethernet2Header::from_slice(frame).unwrap();
    assert_eq!((eth.destination, eth.source), (req.dst_mac, OUR_MAC));
    assert_eq!(eth.ether_type.0, 0x0800);
    let (ip, rest) = Ipv4Header::from_slice(rest).unwrap();
    assert_eq!(
        ip.header_checksum,
        ip.calc_header_checksum(),
        "IPv4 header checksum"
    );
    assert_eq!((ip.source, ip.destination), (OUR_IP, req.dst_ip));
    assert_eq!(
        (ip.time_to_live, ip.dont_fragment, ip.more_fragments),
        (64, true, false)
    );
    assert_eq!(ip.fragment_offset.value(), 0);
    assert_eq!(ip.dscp.value(), 0);
    let l4_len = ip.total_len as usize - 20;
    let header_len = if req.is_icmp {
        0
    } else if req.is_udp {
        8
    } else {
        20 + req.options.len()
    };
    assert_eq!(l4_len, header_len + req.payload.len());
    let segment = &rest[..l4_len];
    assert!(rest[l4_len..].iter().all(|&x| x == 0), "padding is zeros");
    if req.is_icmp {
        // The message as the host made it, its checksum the host's.
        assert_eq!(ip.protocol.0, 1);
        assert_eq!(segment, &req.payload[..]);
        let icmp = Icmpv4Slice::from_slice(segment).unwrap();
        assert_eq!(
            icmp.checksum(),
            icmp.icmp_type().calc_checksum(icmp.payload()),
            "ICMP checksum"
        );
        return frame.to_vec();
    }
    // The pseudo-header and segment sum to 0xFFFF (independently of etherparse).
    let mut pseudo = [OUR_IP, req.dst_ip].concat();
    pseudo.extend([0, if req.is_udp { 17 } else { 6 }]);
    pseudo.extend((l4_len as u16).to_be_bytes());
    pseudo.extend(segment);
    assert_eq!(ones_sum(&pseudo), 0xFFFF, "L4 checksum");
    if req.is_udp {
        assert_eq!(ip.protocol.0, 17);
        let (udp, data) = UdpHeader::from_slice(segment).unwrap();
        assert_eq!(
            (udp.source_port, udp.destination_port),
            (req.src_port, req.dst_port)
        );
        assert_eq!(udp.length as usize, l4_len);
        assert_eq!(udp.checksum, udp.calc_checksum_ipv4(&ip, data).unwrap());
        assert_ne!(udp.checksum, 0);
        assert_eq!(data, &req.payload[..]);
    } else {
        assert_eq!(ip.protocol.0, 6);
        let (tcp, data) = TcpHeader::from_slice(segment).unwrap();
        assert_eq!(
            (tcp.source_port, tcp.destination_port),
            (req.src_port, req.dst_port)
        );
        assert_eq!(
            (tcp.sequence_number, tcp.acknowledgment_number),
            (req.seq, req.ack)
        );
        let flags = [
            tcp.ns, tcp.cwr, tcp.ece, tcp.urg, tcp.ack, tcp.psh, tcp.rst, tcp.syn, tcp.fin,
        ]
        .iter()
        .fold(0u16, |acc, &f| acc << 1 | f as u16);
        assert_eq!(flags, req.flags);
        assert_eq!((tcp.window_size, tcp.urgent_pointer), (req.window, 0));
        assert_eq!(tcp.options.as_slice(), &req.options[..]);
        assert_eq!(tcp.checksum, tcp.calc_checksum_ipv4(&ip, data).unwrap());
        assert_eq!(data, &req.payload[..]);
    }
    frame.to_vec()
}

/// Submits every request (each as soon as the stage has room) and runs the wire dry.
fn send(reqs: &[TxRequest]) -> (TxSim, Vec<WireFrame>) {
    let mut sim = TxSim::new(OUR_MAC, OUR_IP);
    for r in reqs {
        sim.submit(r, true);
    }
    sim.run_idle(100);
    let frames = sim.take_frames();
    assert_eq!(frames.len(), reqs.len(), "one frame per request");
    (sim, frames)
}

/// Options+payload lengths around the 60-byte pad boundary (TCP: 6 bytes fill the frame
/// to 60; UDP: 18), the extremes, and random ones.
fn lengths(rng: &mut StdRng, udp: bool) -> Vec<usize> {
    let edge = if udp { 18 } else { 6 };
    let mut v: Vec<usize> = vec![
        0,
        1,
        2,
        3,
        edge - 1,
        edge,
        edge + 1,
        edge + 2,
        40,
        41,
        MSS,
        MSS - 1,
    ];
    v.extend((0..8).map(|_| rng.gen_range(0..=MSS)));
    v
}

#[test]
fn every_frame_is_well_formed_and_says_what_was_asked() {
    let mut rng = StdRng::seed_from_u64(1);
    let mut reqs = vec![];
    for udp in [false, true] {
        for len in lengths(&mut rng, udp) {
            let tag = reqs.len() as u16 * 7 + 3;
            reqs.push(request(&mut rng, tag, udp, len));
        }
    }
    // Shuffle TCP and UDP together.
    for i in (1..reqs.len()).rev() {
        reqs.swap(i, rng.gen_range(0..=i));
    }
    let (sim, frames) = send(&reqs);
    for (f, r) in frames.iter().zip(&reqs) {
        check_frame(f, r);
    }
    // One TxDone per request, in order, once its frame is out.
    let tags: Vec<u16> = sim.done.iter().map(|d| d.1).collect();
    assert_eq!(tags, reqs.iter().map(|r| r.tag).collect::<Vec<_>>());
    for ((clock, _), f) in sim.done.iter().zip(&frames) {
        assert!(
            *clock >= f.last_clock && *clock <= f.last_clock + 2,
            "tx_done with the last byte"
        );
    }
}

/// A TxIcmp request with a checksummed ICMP message (destination unreachable, port
/// unreachable) quoting `quoted` bytes.
fn icmp_request(tag: u16, quoted: &[u8]) -> TxRequest {
    let kind = Icmpv4Type::DestinationUnreachable(etherparse::icmpv4::DestUnreachableHeader::Port);
    let header = etherparse::Icmpv4Header::with_checksum(kind, quoted);
    let mut payload = header.to_bytes().to_vec();
    payload.extend(quoted);
    TxRequest {
        is_udp: false,
        is_icmp: true,
        tag,
        dst_mac: PEER_MAC,
        dst_ip: PEER_IP,
        src_port: 0,
        dst_port: 0,
        seq: 0,
        ack: 0,
        flags: 0,
        window: 0,
        options: vec![],
        payload,
    }
}

/// ICMP messages among TCP and UDP requests go out as the host made them, with
/// protocol 1 and their own length, each with its TxDone; the longest one (1,480 bytes)
/// and one short enough to be padded included.
#[test]
fn icmp_messages_go_out_as_the_host_made_them() {
    let mut rng = StdRng::seed_from_u64(6);
    let quoted: Vec<u8> = (0..1472).map(|_| rng.gen()).collect();
    let reqs = vec![
        request(&mut rng, 1, false, 30),
        icmp_request(2, &quoted[..28]),
        request(&mut rng, 3, true, 10),
        icmp_request(4, &[]),
        icmp_request(5, &quoted),
        request(&mut rng, 6, false, 0),
    ];
    let (sim, frames) = send(&reqs);
    for (f, r) in frames.iter().zip(&reqs) {
        check_frame(f, r);
    }
    let tags: Vec<u16> = sim.done.iter().map(|d| d.1).collect();
    assert_eq!(tags, vec![1, 2, 3, 4, 5, 6]);
}

#[test]
fn ip_identification_moves_on_per_packet() {
    let mut rng = StdRng::seed_from_u64(2);
    let reqs: Vec<TxRequest> = (0..4)
        .map(|i| request(&mut rng, i, i % 2 == 0, 30))
        .collect();
    let (_, frames) = send(&reqs);
    let ids: Vec<u16> = frames
        .iter()
        .map(|f| {
            Ipv4Header::from_slice(&f.bytes[22..])
                .unwrap()
                .0
                .identification
        })
        .collect();
    for w in ids.windows(2) {
        assert_eq!(w[1], w[0].wrapping_add(1));
    }
}

#[test]
fn a_rolled_back_request_leaves_no_trace() {
    let mut rng = StdRng::seed_from_u64(3);
    let a = request(&mut rng, 1, false, 100);
    let b = request(&mut rng, 2, true, 300);
    let c = request(&mut rng, 3, true, 7);
    let mut sim = TxSim::new(OUR_MAC, OUR_IP);
    sim.submit(&a, true);
    sim.submit(&b, false);
    sim.submit(&c, true);
    sim.run_idle(100);
    let frames = sim.take_frames();
    assert_eq!(frames.len(), 2);
    check_frame(&frames[0], &a);
    check_frame(&frames[1], &c);
    assert_eq!(sim.done.iter().map(|d| d.1).collect::<Vec<_>>(), vec![1, 3]);
}

/// Requests staged while the previous frame is on the wire leave exactly 12 idle clocks
/// between frames, for full-size and minimum-size frames.
#[test]
fn back_to_back_frames_keep_exactly_the_inter_frame_gap() {
    let mut rng = StdRng::seed_from_u64(4);
    for (udp, len) in [(false, MSS), (true, MSS), (false, 0), (true, 0), (false, 6)] {
        let reqs: Vec<TxRequest> = (0..5).map(|i| request(&mut rng, i, udp, len)).collect();
        let (_, frames) = send(&reqs);
        for (f, r) in frames.iter().zip(&reqs) {
            check_frame(f, r);
        }
        // Small requests are staged faster than they are sent only after the first two.
        for w in frames[1..].windows(2) {
            assert_eq!(
                w[1].first_clock - w[0].last_clock - 1,
                12,
                "gap, {udp} {len}"
            );
        }
    }
}

/// What the transmit MAC sends, the receive pipeline accepts, field for field: every
/// size of options+payload from 0 to the MSS, TCP and UDP alternating.
#[test]
fn the_receive_pipeline_accepts_what_is_sent() {
    let mut rng = StdRng::seed_from_u64(5);
    let sizes: Vec<usize> = (0..=MSS).collect();
    let reqs: Vec<TxRequest> = sizes
        .iter()
        .enumerate()
        .map(|(i, &len)| {
            let mut r = request(&mut rng, i as u16, i % 2 == 1, len);
            // Addressed to the receiver, from it as "peer".
            r.dst_mac = OUR_MAC;
            r.dst_ip = OUR_IP;
            r
        })
        .collect();
    let (_, frames) = send(&reqs);
    let mut rx = RxSim::new(RxConfig {
        mac: OUR_MAC,
        ip: OUR_IP,
        netmask: [255, 255, 255, 0],
        promiscuous: false,
    });
    for f in &frames {
        let frame = &f.bytes[8..];
        assert_eq!(
            f.bytes[..8],
            [0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0xD5]
        );
        rx.push_frame(frame, Fcs::Present);
    }
    rx.flush();
    let reports = rx.take_reports();
    assert_eq!(reports.len(), reqs.len());
    for (rep, r) in reports.iter().zip(&reqs) {
        assert_eq!(
            (rep.verdict, rep.drop_reason),
            ("accept", None),
            "{} bytes, udp {}",
            r.payload.len(),
            r.is_udp
        );
    }
    let segments = rx.take_segments();
    assert_eq!(segments.len(), reqs.len());
    for (s, r) in segments.iter().zip(&reqs) {
        assert_eq!(s.protocol, if r.is_udp { 17 } else { 6 });
        assert_eq!((s.src_port, s.dst_port), (r.src_port, r.dst_port));
        assert_eq!(s.src_ip, OUR_IP);
        let body: Vec<u8> = r.options.iter().chain(&r.payload).copied().collect();
        assert_eq!(s.body, body);
        if !r.is_udp {
            assert_eq!(
                (s.seq, s.ack, s.flags, s.window),
                (r.seq, r.ack, r.flags, r.window)
            );
        }
    }
}
