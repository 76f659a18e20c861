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
