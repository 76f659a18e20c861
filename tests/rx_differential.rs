//! Differential test of the receive pipeline: thousands of random frames through the
//! simulated hardware, every report and every FIFO segment compared with the etherparse
//! oracle in tests/support. Seed and count can be changed with RX_SEED and RX_FRAMES
//! to explore further; the defaults run in CI.

#[path = "support/rx.rs"]
mod rx_support;
mod support;

use rx_support::*;
use support::*;
use tcpip_sim::rx::RxSim;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `count` random frames in batches and returns every disagreement.
fn differential(config: Config, seed: u64, count: usize) -> (Vec<String>, usize, usize) {
    let mut gen = FrameGen::new(seed, config);
    let mut sim = RxSim::new(rx_config(&config));
    let (mut problems, mut accepted, mut segments) = (Vec::new(), 0, 0);
    let mut number = 1;
    while number <= count {
        let batch: Vec<(Vec<u8>, FcsMode)> = (0..200.min(count + 1 - number))
            .map(|_| (gen.frame(), FcsMode::Append))
            .collect();
        let expected = expectations(&config, &batch, number);
        let run = run(&mut sim, &batch);
        problems.extend(disagreements(&run, &expected, &batch));
        // A second judge that knows nothing of the oracle's rules: whatever etherparse
        // finds complete, addressed to us and with right checksums, the board accepts.
        for ((frame, _), report) in batch.iter().zip(&run.reports) {
            if etherparse_accepts(&pad(frame.clone()), &config) && report.verdict != "accept" {
                problems.push(format!(
                    "frame {} is good but was dropped: {:?}",
                    report.frame, report.drop_reason
                ));
            }
        }
        accepted += run.reports.iter().filter(|r| r.verdict == "accept").count();
        segments += run.segments.len();
        number += batch.len();
    }
    (problems, accepted, segments)
}

#[test]
fn random_frames_match_the_oracle() {
    let seed = env_or("RX_SEED", 0x7c91_2026);
    let count = env_or("RX_FRAMES", 2000) as usize;
    eprintln!("rx_differential: seed {seed}, {count} frames");
    let (problems, accepted, segments) = differential(BOARD, seed, count);
    assert_agree(&format!("seed {seed}"), &problems);
    // The generator addresses most frames to us; a pipeline that agreed by dropping
    // everything would fail here.
    assert!(
        accepted > count / 2,
        "only {accepted} of {count} frames accepted"
    );
    assert!(
        segments > count / 3,
        "only {segments} segments for {count} frames"
    );
}

#[test]
fn random_frames_match_the_oracle_when_promiscuous() {
    let config = Config {
        promiscuous: true,
        ..BOARD
    };
    let seed = env_or("RX_SEED", 0x7c91_2026) + 1;
    let (problems, accepted, _) = differential(config, seed, 500);
    assert_agree(&format!("promiscuous, seed {seed}"), &problems);
    assert!(
        accepted > 350,
        "only {accepted} of 500 frames accepted when promiscuous"
    );
}
