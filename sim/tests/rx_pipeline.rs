//! The receive pipeline as a whole, driven through `RxSim`: hand-made frames with
//! known fields, checked field by field.

use etherparse::PacketBuilder;
use tcpip_sim::report::DropReason;
use tcpip_sim::rx::{Fcs, RxConfig, RxSim};

const OUR_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const PEER_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
const OUR_IP: [u8; 4] = [10, 0, 0, 2];
const PEER_IP: [u8; 4] = [10, 0, 0, 1];

fn sim() -> RxSim {
    RxSim::new(RxConfig {
        mac: OUR_MAC,
        ip: OUR_IP,
        netmask: [255, 255, 255, 0],
        promiscuous: false,
    })
}

fn tcp_frame(payload: &[u8]) -> Vec<u8> {
    let builder = PacketBuilder::ethernet2(PEER_MAC, OUR_MAC)
        .ipv4(PEER_IP, OUR_IP, 64)
        .tcp(40000, 80, 0x1234_5678, 4096)
        .syn()
        .ack(0x0BAD_F00D)
        .options(&[
            etherparse::TcpOptionElement::MaximumSegmentSize(1460),
            etherparse::TcpOptionElement::WindowScale(7),
            etherparse::TcpOptionElement::SelectiveAcknowledgementPermitted,
            etherparse::TcpOptionElement::Timestamp(111, 222),
        ])
        .unwrap();
    let mut out = Vec::new();
    builder.write(&mut out, payload).unwrap();
    out
}

fn udp_frame(payload: &[u8]) -> Vec<u8> {
    let builder = PacketBuilder::ethernet2(PEER_MAC, OUR_MAC)
        .ipv4(PEER_IP, OUR_IP, 17)
        .udp(5353, 9);
    let mut out = Vec::new();
    builder.write(&mut out, payload).unwrap();
    out
}

#[test]
fn a_tcp_segment_is_parsed_and_committed() {
    let mut sim = sim();
    sim.push_frame(&tcp_frame(b"hello, board"), Fcs::Append);
    sim.flush();
    let reports = sim.take_reports();
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert_eq!((r.verdict, r.drop_reason), ("accept", None));
    let tcp = r.tcp.as_ref().expect("tcp layer");
    assert_eq!(
        (tcp.src_port, tcp.dst_port, tcp.seq, tcp.ack),
        (40000, 80, 0x1234_5678, 0x0BAD_F00D)
    );
    assert_eq!(tcp.flags, vec!["ack", "syn"]);
    assert_eq!(
        (tcp.window, tcp.mss, tcp.window_scale, tcp.sack_permitted),
        (4096, Some(1460), Some(7), true)
    );
    assert_eq!(tcp.timestamps, Some((111, 222)));
    assert_eq!(tcp.payload_len, 12);
    assert!(tcp.checksum_ok);
    let ipv4 = r.ipv4.as_ref().unwrap();
    assert_eq!(
        (
            ipv4.src.as_str(),
            ipv4.dst.as_str(),
            ipv4.ttl,
            ipv4.protocol
        ),
        ("10.0.0.1", "10.0.0.2", 64, 6)
    );
    let segments = sim.take_segments();
    assert_eq!(segments.len(), 1);
    let s = &segments[0];
    assert_eq!(
        (s.src_port, s.dst_port, s.seq, s.ack, s.window),
        (40000, 80, 0x1234_5678, 0x0BAD_F00D, 4096)
    );
    assert_eq!(s.src_mac, PEER_MAC);
    assert_eq!((s.src_ip, s.dst_ip), (PEER_IP, None));
    assert_eq!(s.header_len as usize, 20 + s.body.len() - 12);
    assert!(s.body.ends_with(b"hello, board"));
    // The FIFO keeps only the presence bit; the values are in the report (above).
    assert!(s.timestamps_present);
}

#[test]
fn udp_and_bad_checksums() {
    let mut sim = sim();
    sim.push_frame(&udp_frame(b"datagram"), Fcs::Append);
    let mut bad = udp_frame(b"datagram");
    let n = bad.len();
    bad[n - 1] ^= 0x40;
    sim.push_frame(&bad, Fcs::Append);
    let mut bad_tcp = tcp_frame(b"x");
    let n = bad_tcp.len();
    bad_tcp[n - 1] ^= 1;
    sim.push_frame(&bad_tcp, Fcs::Append);
    sim.push_frame(&tcp_frame(&[7u8; 1400]), Fcs::Append);
    sim.flush();
    let reasons: Vec<_> = sim.take_reports().iter().map(|r| r.drop_reason).collect();
    assert_eq!(
        reasons,
        vec![
            None,
            Some(DropReason::UdpChecksum),
            Some(DropReason::TcpChecksum),
            None
        ]
    );
    let segments = sim.take_segments();
    assert_eq!(segments.len(), 2);
    assert_eq!(segments[0].body, b"datagram");
    assert!(segments[1].body.ends_with(&[7u8; 1400]));
    let counters = sim.counters();
    let get = |name: &str| counters.iter().find(|c| c.0 == name).unwrap().1;
    assert_eq!(
        (
            get("udp_checksum"),
            get("tcp_checksum"),
            get("accepted_udp"),
            get("accepted_tcp")
        ),
        (1, 1, 1, 1)
    );
}

/// A frame of nothing but an FCS, a good datagram, a runt, another good datagram: both
/// good datagrams reach the FIFO whole (a rollback must not undo a commit in progress).
#[test]
fn tiny_frames_and_runts_do_not_disturb_commits() {
    let mut sim = sim();
    sim.push_frame(&[0, 0, 0, 0], Fcs::Present);
    sim.push_frame(&udp_frame(b"first"), Fcs::Append);
    let mut runt = tcp_frame(b"");
    runt.truncate(42);
    let fcs = tcpip_hdl::link::crc32::crc32_ieee(&runt);
    runt.extend_from_slice(&fcs.to_le_bytes());
    sim.push_frame(&runt, Fcs::Present);
    sim.push_frame(&udp_frame(b"second"), Fcs::Append);
    sim.flush();
    let reasons: Vec<_> = sim.take_reports().iter().map(|r| r.drop_reason).collect();
    assert_eq!(
        reasons,
        vec![Some(DropReason::Runt), None, Some(DropReason::Runt), None]
    );
    let bodies: Vec<Vec<u8>> = sim.take_segments().into_iter().map(|s| s.body).collect();
    assert_eq!(bodies, vec![b"first".to_vec(), b"second".to_vec()]);
}

#[test]
fn unpadded_udp_runt_between_good_datagrams() {
    let mut sim = sim();
    sim.push_frame(&udp_frame(b"first"), Fcs::Append);
    let mut runt = udp_frame(&[9u8; 10]);
    let fcs = tcpip_hdl::link::crc32::crc32_ieee(&runt);
    runt.extend_from_slice(&fcs.to_le_bytes());
    sim.push_frame(&runt, Fcs::Present);
    sim.push_frame(&udp_frame(b"second"), Fcs::Append);
    sim.flush();
    let reasons: Vec<_> = sim.take_reports().iter().map(|r| r.drop_reason).collect();
    assert_eq!(reasons, vec![None, Some(DropReason::Runt), None]);
    let bodies: Vec<Vec<u8>> = sim.take_segments().into_iter().map(|s| s.body).collect();
    assert_eq!(bodies, vec![b"first".to_vec(), b"second".to_vec()]);
}

#[test]
fn options_after_an_unpadded_udp_runt() {
    for len in 0..18 {
        let mut sim = sim();
        let mut runt = udp_frame(&vec![9u8; len]);
        let fcs = tcpip_hdl::link::crc32::crc32_ieee(&runt);
        runt.extend_from_slice(&fcs.to_le_bytes());
        sim.push_frame(&runt, Fcs::Present);
        sim.push_frame(&tcp_frame(b"after"), Fcs::Append);
        sim.flush();
        let reports = sim.take_reports();
        let tcp = reports[1].tcp.as_ref().unwrap();
        assert_eq!(
            (tcp.mss, tcp.window_scale, tcp.timestamps),
            (Some(1460), Some(7), Some((111, 222))),
            "runt payload {len}"
        );
    }
}
