//! Real traffic through the simulated receive pipeline: every frame of every capture is
//! compared with the oracle. The project's own capture (tests/fixtures) always runs; the
//! public captures are read in place from ../shared/pcaps (never copied into the repo).

#[path = "support/rx.rs"]
mod rx_support;
mod support;

use std::path::{Path, PathBuf};

use rx_support::*;
use support::*;
use tcpip_sim::pcap::{pad_to_minimum, read_frames};
use tcpip_sim::rx::RxSim;

fn captures_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng")
            )
        })
        .collect();
    files.sort();
    files
}

/// Replays one capture under `config` (as `tcpip replay` does: padded, FCS appended)
/// and returns the disagreements and the number of frames.
fn replay(path: &Path, config: &Config) -> (Vec<String>, usize) {
    let frames: Vec<(Vec<u8>, FcsMode)> = read_frames(path)
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|f| (pad_to_minimum(&f.data), FcsMode::Append))
        .collect();
    let expected = expectations(config, &frames, 1);
    let mut sim = RxSim::new(rx_config(config));
    let run = run(&mut sim, &frames);
    let name = path.file_name().unwrap().to_string_lossy();
    let problems = disagreements(&run, &expected, &frames)
        .into_iter()
        .map(|p| format!("{name}: {p}"))
        .collect();
    (problems, frames.len())
}

fn replay_all(files: &[PathBuf]) -> Vec<String> {
    let promiscuous = Config {
        promiscuous: true,
        ..BOARD
    };
    let mut problems = Vec::new();
    for file in files {
        // Promiscuous reaches every layer; the board's own identity exercises the filters.
        for config in [promiscuous, BOARD] {
            let (found, frames) = replay(file, &config);
            assert!(frames > 0, "{} holds no frames", file.display());
            problems.extend(found);
        }
    }
    problems
}

#[test]
fn project_capture_matches_the_oracle() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let files = captures_in(&dir);
    assert!(!files.is_empty(), "no capture in {}", dir.display());
    assert_agree("tests/fixtures", &replay_all(&files));
}

#[test]
fn public_captures_match_the_oracle() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/pcaps");
    if !dir.is_dir() {
        eprintln!(
            "\n!!!!! rx_captures: {} does not exist: the public captures were NOT replayed !!!!!\n",
            dir.display()
        );
        assert!(
            std::env::var_os("CI").is_none(),
            "the public captures are required in CI"
        );
        return;
    }
    let files = captures_in(&dir);
    assert!(
        files.len() >= 20,
        "only {} captures in {}",
        files.len(),
        dir.display()
    );
    assert_agree("../shared/pcaps", &replay_all(&files));
}

#[test]
fn public_captures_hold_the_documented_frame_counts() {
    // Cross-checks the capture reader against the counts in ../shared/pcaps/README.md.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/pcaps");
    if !dir.is_dir() {
        eprintln!(
            "\n!!!!! rx_captures: {} does not exist: frame counts NOT checked !!!!!\n",
            dir.display()
        );
        assert!(
            std::env::var_os("CI").is_none(),
            "the public captures are required in CI"
        );
        return;
    }
    for (file, count) in [
        ("zeek-http-get.pcap", 14),
        ("zeek-tcp-reassembly.pcap", 117),
        ("tcpdump-print-flags.pcap", 10),
        ("zeek-icmp_dot1q.pcap", 15),
        ("zeek-wikipedia.pcap", 136),
    ] {
        let frames = read_frames(dir.join(file)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(frames.len(), count, "{file}");
    }
}
