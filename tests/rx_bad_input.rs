//! Bad frames through the simulated receive pipeline: each must be dropped under the
//! reason it was built to trigger, and the good frame sent right after it must come
//! through whole, so no error leaves the pipeline in a bad state.

#[path = "support/rx.rs"]
mod rx_support;
mod support;

use rx_support::*;
use support::*;
use tcpip_sim::rx::RxSim;

const ROUNDS: usize = 20;

/// Pairs of (bad frame, good frame) for `ROUNDS` rounds of every bad-frame kind.
fn pairs(gen: &mut FrameGen) -> Vec<(BadFrame, Vec<u8>)> {
    let mut pairs = Vec::new();
    for _ in 0..ROUNDS {
        for bad in gen.bad_frames() {
            let good = good_follower(gen);
            pairs.push((bad, good));
        }
    }
    pairs
}

#[test]
fn each_bad_frame_is_dropped_for_its_reason_and_the_next_frame_survives() {
    let mut gen = FrameGen::new(0xbad, BOARD);
    let pairs = pairs(&mut gen);
    let frames: Vec<(Vec<u8>, FcsMode)> = pairs
        .iter()
        .flat_map(|(bad, good)| {
            [
                (bad.bytes.clone(), bad.fcs),
                (good.clone(), FcsMode::Append),
            ]
        })
        .collect();
    let expected = expectations(&BOARD, &frames, 1);
    let mut sim = RxSim::new(rx_config(&BOARD));
    let run = run(&mut sim, &frames);
    assert_eq!(run.reports.len(), frames.len(), "one report per frame");

    let mut problems = Vec::new();
    for (i, (bad, _)) in pairs.iter().enumerate() {
        let (bad_report, good_report) = (&run.reports[2 * i], &run.reports[2 * i + 1]);
        if bad_report.verdict != "drop" || bad_report.drop_reason != Some(bad.reason) {
            problems.push(format!(
                "frame {} ({}): expected drop for {:?}, hardware said {} {:?}",
                bad_report.frame, bad.what, bad.reason, bad_report.verdict, bad_report.drop_reason
            ));
        }
        if *good_report != expected[2 * i + 1].report {
            problems.push(format!(
                "frame {} (good, after {}): hardware {}, oracle {}",
                good_report.frame,
                bad.what,
                serde_json::to_string(good_report).unwrap(),
                serde_json::to_string(&expected[2 * i + 1].report).unwrap()
            ));
        }
    }
    // Only the good frames reach the FIFO, each whole.
    let want: Vec<&ExpectedSegment> = expected.iter().filter_map(|e| e.segment.as_ref()).collect();
    assert_eq!(
        want.len(),
        pairs.len(),
        "the oracle queues exactly the good frames"
    );
    if run.segments.len() != want.len() {
        problems.push(format!(
            "{} segments in the FIFO, expected {}",
            run.segments.len(),
            want.len()
        ));
    }
    for (i, (got, want)) in run.segments.iter().zip(want).enumerate() {
        for diff in segment_differences(got, want) {
            problems.push(format!(
                "segment {} (after {}): {diff}",
                i + 1,
                pairs[i].0.what
            ));
        }
    }
    assert_agree("bad input", &problems);
}

#[test]
fn bad_frames_report_the_same_fields_as_the_oracle() {
    // Beyond the reason: which layers a dropped frame reports, and their fields.
    let mut gen = FrameGen::new(0xbad + 1, BOARD);
    let frames: Vec<(Vec<u8>, FcsMode)> = (0..5)
        .flat_map(|_| gen.bad_frames())
        .map(|bad| (bad.bytes, bad.fcs))
        .collect();
    let expected = expectations(&BOARD, &frames, 1);
    let mut sim = RxSim::new(rx_config(&BOARD));
    let run = run(&mut sim, &frames);
    assert_agree(
        "bad frames, field by field",
        &disagreements(&run, &expected, &frames),
    );
}

/// RFC 1122 4.2.3.10: TCP to a broadcast or multicast destination is dropped as
/// tcp_not_unicast and counted; UDP to the same destination passes, and so does TCP to a
/// unicast neighbour (promiscuous, so the IP filter lets every destination through).
#[test]
fn tcp_to_broadcast_or_multicast_is_dropped_udp_passes() {
    let config = Config {
        promiscuous: true,
        ..BOARD
    };
    let mut gen = FrameGen::new(0xb0ad, config);
    let multicast_mac = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];
    let destinations: [([u8; 6], [u8; 4], bool); 6] = [
        (BROADCAST_MAC, BROADCAST_IP, true),
        (multicast_mac, [224, 0, 0, 1], true),
        (BROADCAST_MAC, [10, 0, 0, 255], true), // BOARD's subnet is 10.0.0.0/24
        (BOARD.mac, [10, 0, 0, 255], true),
        (BROADCAST_MAC, BOARD.ip, true),
        ([0x02, 0, 0, 0, 0, 7], [10, 0, 0, 7], false),
    ];
    let mut frames = vec![];
    for (mac, ip, _) in destinations {
        frames.push((pad(gen.tcp_to(mac, ip, None).bytes), FcsMode::Append));
        frames.push((pad(gen.udp_to(mac, ip, 40).bytes), FcsMode::Append));
    }
    let expected = expectations(&config, &frames, 1);
    let mut sim = RxSim::new(rx_config(&config));
    let got = run(&mut sim, &frames);
    for (i, (mac, ip, group)) in destinations.iter().enumerate() {
        let (tcp, udp) = (&got.reports[2 * i], &got.reports[2 * i + 1]);
        let want_tcp = group.then_some(tcpip_sim::report::DropReason::TcpNotUnicast);
        assert_eq!(tcp.drop_reason, want_tcp, "TCP to {mac:02x?} {ip:?}");
        assert_eq!(udp.drop_reason, None, "UDP to {mac:02x?} {ip:?}");
    }
    // The oracle agrees field for field, and only the passing frames reach the FIFO.
    assert_agree(
        "broadcast destinations",
        &disagreements(&got, &expected, &frames),
    );
    assert_eq!(
        got.segments.len(),
        destinations.len() + 1,
        "every UDP and one TCP"
    );
    let counters = sim.counters();
    let count = |name: &str| counters.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    assert_eq!(count("tcp_not_unicast"), Some(5));
    assert_eq!(count("accepted_udp"), Some(6));
    assert_eq!(count("accepted_tcp"), Some(1));
}
