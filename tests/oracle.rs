//! The oracle in tests/support is only worth its verdicts if it is right: these tests
//! check it against hand-built frames with known answers, against etherparse's own
//! full-packet parser, and check that every bad-frame generator makes the fault it names.

mod support;

use etherparse::{PacketBuilder, SlicedPacket, TransportSlice};
use support::*;
use tcpip_sim::report::{
    ArpReport, DropReason, EthReport, FrameReport, IcmpReport, Ipv4Report, TcpReport, UdpReport,
};

const PEER_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const PEER_IP: [u8; 4] = [10, 0, 0, 1];

fn board_eth(ethertype: u16) -> Option<EthReport> {
    Some(EthReport {
        dst: "02:00:5e:10:00:01".into(),
        src: "52:54:00:12:34:56".into(),
        ethertype,
        vlan: None,
    })
}

fn empty(frame: usize, verdict: &'static str, drop_reason: Option<DropReason>) -> FrameReport {
    FrameReport {
        frame,
        verdict,
        drop_reason,
        eth: None,
        arp: None,
        ipv4: None,
        icmp: None,
        tcp: None,
        udp: None,
    }
}

/// A SYN to the board with MSS 1460, SACK permitted, timestamps, NOP, window scale 7:
/// the option set Linux sends.
fn linux_syn() -> Vec<u8> {
    use etherparse::TcpOptionElement::*;
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(PEER_MAC, BOARD.mac)
        .ipv4(PEER_IP, BOARD.ip, 64)
        .tcp(40000, 80, 0x1000_0000, 64240)
        .syn()
        .options(&[
            MaximumSegmentSize(1460),
            SelectiveAcknowledgementPermitted,
            Timestamp(111, 0),
            Noop,
            WindowScale(7),
        ])
        .unwrap()
        .write(&mut frame, &[])
        .unwrap();
    frame
}

#[test]
fn crc32_matches_the_standard_check_value() {
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    let wire = with_fcs(&linux_syn());
    assert_eq!(split_fcs(&wire), (&linux_syn()[..], true));
}

#[test]
fn tcp_syn_with_linux_options_is_reported_field_by_field() {
    let frame = linux_syn();
    let got = expect(1, &frame, &BOARD, true);
    let mut want = empty(1, "accept", None);
    want.eth = board_eth(0x0800);
    want.ipv4 = Some(Ipv4Report {
        src: "10.0.0.1".into(),
        dst: "10.0.0.2".into(),
        protocol: 6,
        ttl: 64,
        total_len: 60,
        id: 0,
        header_checksum_ok: true,
    });
    want.tcp = Some(TcpReport {
        src_port: 40000,
        dst_port: 80,
        seq: 0x1000_0000,
        ack: 0,
        flags: vec!["syn"],
        window: 64240,
        urgent: 0,
        header_len: 40,
        payload_len: 0,
        checksum_ok: true,
        mss: Some(1460),
        window_scale: Some(7),
        sack_permitted: true,
        timestamps: Some((111, 0)),
    });
    assert_eq!(got.report, want);
    let segment = got
        .segment
        .expect("an accepted TCP segment goes to the FIFO");
    assert_eq!(
        segment.body,
        frame[54..74].to_vec(),
        "body is the 20 option bytes"
    );
    assert_eq!(
        (segment.flags, segment.header_len, segment.src_mac),
        (0x002, 40, PEER_MAC)
    );
}

#[test]
fn json_of_a_report_has_the_documented_shape() {
    let json = serde_json::to_value(expect(3, &linux_syn(), &BOARD, true).report).unwrap();
    assert_eq!(json["frame"], 3);
    assert_eq!(json["verdict"], "accept");
    assert!(json["drop_reason"].is_null());
    assert_eq!(json["tcp"]["flags"], serde_json::json!(["syn"]));
    assert!(
        json.get("udp").is_none() && json.get("arp").is_none(),
        "absent layers omitted"
    );
}

#[test]
fn udp_without_checksum_and_padding_is_accepted_and_trimmed() {
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(PEER_MAC, BOARD.mac)
        .ipv4(PEER_IP, BOARD.ip, 17)
        .udp(53, 5353)
        .write(&mut frame, b"hi")
        .unwrap();
    frame[40..42].copy_from_slice(&[0, 0]); // UDP checksum 0: none
    let frame = pad(frame);
    assert_eq!(frame.len(), 60);
    let got = expect(1, &frame, &BOARD, true);
    assert_eq!(got.report.drop_reason, None);
    assert_eq!(
        got.report.udp,
        Some(UdpReport {
            src_port: 53,
            dst_port: 5353,
            length: 10,
            checksum_ok: true
        })
    );
    assert_eq!(
        got.segment.unwrap().body,
        b"hi".to_vec(),
        "padding is not payload"
    );
}

#[test]
fn arp_request_and_vlan_tag_are_reported() {
    let built = arp_frame(
        PEER_MAC,
        BROADCAST_MAC,
        Some(42),
        true,
        (PEER_MAC, PEER_IP),
        ([0; 6], BOARD.ip),
    );
    let got = expect(1, &pad(built.bytes), &BOARD, true);
    let mut want = empty(1, "accept", None);
    want.eth = Some(EthReport {
        dst: "ff:ff:ff:ff:ff:ff".into(),
        src: "52:54:00:12:34:56".into(),
        ethertype: 0x0806,
        vlan: Some(42),
    });
    want.arp = Some(ArpReport {
        op: 1,
        sender_mac: "52:54:00:12:34:56".into(),
        sender_ip: "10.0.0.1".into(),
        target_mac: "00:00:00:00:00:00".into(),
        target_ip: "10.0.0.2".into(),
    });
    assert_eq!(got.report, want);
    assert_eq!(
        got.segment, None,
        "ARP is answered by hardware, never queued"
    );
}

#[test]
fn ping_is_accepted_without_a_segment() {
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(PEER_MAC, BOARD.mac)
        .ipv4(PEER_IP, BOARD.ip, 64)
        .icmpv4_echo_request(7, 1)
        .write(&mut frame, &[0xab; 56])
        .unwrap();
    let got = expect(1, &frame, &BOARD, true);
    assert_eq!(got.report.verdict, "accept");
    assert_eq!(
        got.report.icmp,
        Some(IcmpReport {
            icmp_type: 8,
            code: 0,
            checksum_ok: true
        })
    );
    assert_eq!(got.segment, None);
}

#[test]
fn frame_level_errors_win_but_keep_the_parsed_layers() {
    let frame = linux_syn();
    let bad_fcs = expect(1, &frame, &BOARD, false);
    assert_eq!(
        (bad_fcs.report.verdict, bad_fcs.report.drop_reason),
        ("drop", Some(DropReason::Fcs))
    );
    assert!(bad_fcs.report.tcp.is_some() && bad_fcs.segment.is_none());

    // A bad FCS comes before the MAC filter, and neither stops the parsers.
    let mut other = frame.clone();
    other[0..6].copy_from_slice(&PEER_MAC);
    let got = expect(1, &other, &BOARD, false);
    assert_eq!(got.report.drop_reason, Some(DropReason::Fcs));
    assert!(got.report.ipv4.is_some() && got.report.tcp.is_some());
    let got = expect(1, &other, &BOARD, true);
    assert_eq!(got.report.drop_reason, Some(DropReason::MacFilter));
    assert_eq!(got.report.tcp, expect(1, &frame, &BOARD, true).report.tcp);
    assert_eq!(got.segment, None, "a dropped frame never reaches the FIFO");

    // A fragment reports IPv4 but no transport: only a first, whole datagram has one.
    let mut fragment = frame.clone();
    fragment[20] = 0x20; // more fragments
    fragment[24..26].copy_from_slice(&[0, 0]);
    let sum = etherparse::checksum::Sum16BitWords::new().add_slice(&fragment[14..34]);
    fragment[24..26].copy_from_slice(&sum.ones_complement().to_ne_bytes());
    let got = expect(1, &fragment, &BOARD, true);
    assert_eq!(got.report.drop_reason, Some(DropReason::Fragment));
    assert!(got.report.ipv4.is_some() && got.report.tcp.is_none());
}

#[test]
fn promiscuous_accepts_other_macs_and_ips() {
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(PEER_MAC, PEER_MAC)
        .ipv4(PEER_IP, [192, 0, 2, 1], 64)
        .udp(1, 2)
        .write(&mut frame, &[1; 100])
        .unwrap();
    let promiscuous = Config {
        promiscuous: true,
        ..BOARD
    };
    assert_eq!(
        expect(1, &frame, &promiscuous, true).report.verdict,
        "accept"
    );
    assert_eq!(
        expect(1, &frame, &BOARD, true).report.drop_reason,
        Some(DropReason::MacFilter)
    );
    let mut to_board_mac = frame.clone();
    to_board_mac[0..6].copy_from_slice(&BOARD.mac);
    assert_eq!(
        expect(1, &to_board_mac, &BOARD, true).report.drop_reason,
        Some(DropReason::IpFilter)
    );
}

#[test]
fn tcp_options_walk_agrees_with_etherparse_on_generated_options() {
    use etherparse::TcpOptionElement::*;
    let mut gen = FrameGen::new(11, BOARD);
    for _ in 0..2000 {
        let options = gen.tcp_options();
        let mut want = TcpOptionsSeen::default();
        for element in etherparse::TcpOptionsIterator::from_slice(&options) {
            match element.expect("generated options are well formed") {
                MaximumSegmentSize(mss) => want.mss = Some(mss),
                WindowScale(ws) => want.window_scale = Some(ws),
                SelectiveAcknowledgementPermitted => want.sack_permitted = true,
                Timestamp(a, b) => want.timestamps = Some((a, b)),
                Noop | SelectiveAcknowledgement(..) => {}
            }
        }
        assert_eq!(
            walk_tcp_options(&options),
            want,
            "options {}",
            describe(&options)
        );
    }
    // Unknown kinds are skipped by length; a zero length stops the walk.
    assert_eq!(
        walk_tcp_options(&[30, 4, 0, 0, 2, 4, 5, 180]).mss,
        Some(1460)
    );
    assert_eq!(walk_tcp_options(&[30, 0, 2, 4, 5, 180]).mss, None);
}

#[test]
fn random_frames_agree_with_etherparse() {
    // Every generated frame is well formed, so whenever etherparse parses it completely
    // and it is addressed to us, the oracle must accept it and queue the same payload.
    let mut gen = FrameGen::new(2024, BOARD);
    let mut accepted = 0;
    for n in 1..=5000 {
        let frame = gen.frame();
        let got = expect(n, &frame, &BOARD, true);
        let parsed = match SlicedPacket::from_ethernet(&frame) {
            Ok(parsed) => parsed,
            Err(e) => panic!("frame {n} does not parse: {e} {}", describe(&frame)),
        };
        let expect_accept = etherparse_accepts(&frame, &BOARD);
        assert_eq!(
            got.report.verdict == "accept",
            expect_accept,
            "frame {n}: {:?} {}",
            got.report,
            describe(&frame)
        );
        if expect_accept {
            accepted += 1;
        }
        match (&got.segment, &parsed.transport) {
            (Some(seg), Some(TransportSlice::Tcp(tcp))) => {
                assert_eq!(seg.body[usize::from(seg.header_len) - 20..], *tcp.payload());
                assert_eq!(
                    (seg.seq, seg.ack, seg.window),
                    (
                        tcp.sequence_number(),
                        tcp.acknowledgment_number(),
                        tcp.window_size()
                    )
                );
            }
            (Some(seg), Some(TransportSlice::Udp(udp))) => {
                assert_eq!(seg.body, udp.payload());
                assert_eq!(
                    (seg.src_port, seg.dst_port),
                    (udp.source_port(), udp.destination_port())
                );
            }
            (Some(seg), Some(TransportSlice::Icmpv4(icmp))) => {
                // An error: RxIcmp, the message's bytes 4..=63.
                assert!(matches!(icmp.type_u8(), 3 | 11 | 12), "frame {n}");
                let m = icmp.slice();
                assert_eq!(seg.body, m[4..m.len().min(64)]);
                assert_eq!(seg.src_port, u16::from_be_bytes([m[0], m[1]]));
            }
            (Some(seg), other) => panic!("frame {n}: segment {seg:?} for {other:?}"),
            (None, _) => {}
        }
    }
    assert!(
        accepted > 2000,
        "the generator should mostly address us ({accepted} accepted)"
    );
}

#[test]
fn every_bad_frame_generator_makes_the_fault_it_names() {
    let mut gen = FrameGen::new(99, BOARD);
    let mut seen = std::collections::HashSet::new();
    for round in 0..300 {
        for bad in gen.bad_frames() {
            let (frame, fcs_ok) = bad.for_oracle();
            let got = expect(1, &frame, &BOARD, fcs_ok);
            assert_eq!(
                got.report.drop_reason,
                Some(bad.reason),
                "round {round}: {}: {}",
                bad.what,
                describe(&bad.bytes)
            );
            seen.insert(bad.reason);
        }
    }
    // Every reason a frame on the wire can cause (not the PHY's or a full FIFO).
    for reason in [
        DropReason::Fcs,
        DropReason::Runt,
        DropReason::Giant,
        DropReason::MacFilter,
        DropReason::Ethertype,
        DropReason::ArpMalformed,
        DropReason::Ipv4Version,
        DropReason::Ipv4Ihl,
        DropReason::Ipv4Checksum,
        DropReason::Ipv4Length,
        DropReason::Fragment,
        DropReason::IpFilter,
        DropReason::IpProtocol,
        DropReason::TcpHeader,
        DropReason::TcpChecksum,
        DropReason::UdpLength,
        DropReason::UdpChecksum,
        DropReason::IcmpLength,
        DropReason::IcmpChecksum,
    ] {
        assert!(seen.contains(&reason), "no bad frame for {reason:?}");
    }
}

#[test]
fn good_followers_are_accepted_with_a_segment() {
    let mut gen = FrameGen::new(5, BOARD);
    for _ in 0..500 {
        let frame = good_follower(&mut gen);
        let got = expect(1, &frame, &BOARD, true);
        assert_eq!(got.report.verdict, "accept", "{:?}", got.report);
        assert!(got.segment.is_some());
    }
}
