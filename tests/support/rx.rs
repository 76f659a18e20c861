//! Runs frames through the simulated receive pipeline (tcpip_sim::rx) and compares what
//! the hardware reported with the oracle. Kept apart from `support/mod.rs` so the
//! oracle's own tests do not need the hardware. Include with:
//! `#[path = "support/rx.rs"] mod rx_support;` after `mod support;`.

#![allow(dead_code)]

use crate::support::{expect, Config, Expected, ExpectedSegment, FcsMode};
use tcpip_sim::report::FrameReport;
use tcpip_sim::rx::{Fcs, RxConfig, RxSegment, RxSim};

pub fn rx_config(config: &Config) -> RxConfig {
    RxConfig {
        mac: config.mac,
        ip: config.ip,
        netmask: config.netmask,
        promiscuous: config.promiscuous,
    }
}

pub fn fcs(mode: FcsMode) -> Fcs {
    match mode {
        FcsMode::Append => Fcs::Append,
        FcsMode::Present => Fcs::Present,
    }
}

/// What the hardware said about a batch of frames.
pub struct Run {
    pub reports: Vec<FrameReport>,
    pub segments: Vec<RxSegment>,
    pub cycles: u64,
}

/// Pushes the frames back to back, flushes, and collects every report and segment.
pub fn run(sim: &mut RxSim, frames: &[(Vec<u8>, FcsMode)]) -> Run {
    for (bytes, mode) in frames {
        sim.push_frame(bytes, fcs(*mode));
    }
    sim.flush();
    Run {
        reports: sim.take_reports(),
        segments: sim.take_segments(),
        cycles: sim.cycles(),
    }
}

/// The oracle's view of frames numbered from `first`.
pub fn expectations(config: &Config, frames: &[(Vec<u8>, FcsMode)], first: usize) -> Vec<Expected> {
    frames
        .iter()
        .enumerate()
        .map(|(i, (bytes, mode))| match mode {
            // The driver pads what it appends an FCS to, as a sending MAC does.
            FcsMode::Append => expect(first + i, &crate::support::pad(bytes.clone()), config, true),
            FcsMode::Present => {
                let (frame, ok) = crate::support::split_fcs(bytes);
                expect(first + i, frame, config, ok)
            }
        })
        .collect()
}

/// The fields of a FIFO segment the oracle predicts; TCP-only fields only for TCP.
pub fn segment_differences(got: &RxSegment, want: &ExpectedSegment) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut check = |name: &str, g: String, w: String| {
        if g != w {
            diffs.push(format!("{name}: hardware {g}, oracle {w}"));
        }
    };
    check(
        "protocol",
        got.protocol.to_string(),
        want.protocol.to_string(),
    );
    check(
        "src_mac",
        format!("{:02x?}", got.src_mac),
        format!("{:02x?}", want.src_mac),
    );
    check(
        "src_ip",
        format!("{:?}", got.src_ip),
        format!("{:?}", want.src_ip),
    );
    // RxTcp carries no destination address (the filter checked it); RxUdp and RxIcmp do.
    let want_dst = (want.protocol != 6).then_some(want.dst_ip);
    check(
        "dst_ip",
        format!("{:?}", got.dst_ip),
        format!("{:?}", want_dst),
    );
    check(
        "src_port",
        got.src_port.to_string(),
        want.src_port.to_string(),
    );
    check(
        "dst_port",
        got.dst_port.to_string(),
        want.dst_port.to_string(),
    );
    if want.protocol == 6 {
        check("seq", got.seq.to_string(), want.seq.to_string());
        check("ack", got.ack.to_string(), want.ack.to_string());
        check(
            "flags",
            format!("{:#05x}", got.flags),
            format!("{:#05x}", want.flags),
        );
        check("window", got.window.to_string(), want.window.to_string());
        check(
            "header_len",
            got.header_len.to_string(),
            want.header_len.to_string(),
        );
        check("mss", format!("{:?}", got.mss), format!("{:?}", want.mss));
        // RxTcp's window_scale byte is 0xFF for "none", so a (meaningless: over 14)
        // shift of 255 on the wire reads as none; the option bytes still carry it.
        check(
            "window_scale",
            format!("{:?}", got.window_scale),
            format!("{:?}", want.window_scale.filter(|&v| v != 0xFF)),
        );
        check(
            "sack_permitted",
            got.sack_permitted.to_string(),
            want.sack_permitted.to_string(),
        );
        // The FIFO keeps whether timestamps were present, not their values (nor the
        // urgent pointer): the frame's report carries those, and `disagreements`
        // compares reports whole.
        check(
            "timestamps_present",
            got.timestamps_present.to_string(),
            want.timestamps.is_some().to_string(),
        );
    }
    if got.body != want.body {
        let at = got.body.iter().zip(&want.body).position(|(g, w)| g != w);
        diffs.push(format!(
            "body: hardware {} bytes, oracle {} bytes, first difference at {:?}",
            got.body.len(),
            want.body.len(),
            at
        ));
    }
    diffs
}

/// Every disagreement between hardware and oracle, one line each, frames and segments.
/// `frames` are only used to print the bytes of a disagreeing frame.
pub fn disagreements(
    run: &Run,
    expected: &[Expected],
    frames: &[(Vec<u8>, FcsMode)],
) -> Vec<String> {
    let mut out = Vec::new();
    if run.reports.len() != expected.len() {
        out.push(format!(
            "{} reports for {} frames",
            run.reports.len(),
            expected.len()
        ));
    }
    for ((got, want), (bytes, mode)) in run.reports.iter().zip(expected).zip(frames) {
        if *got != want.report {
            out.push(format!(
                "frame {} ({:?}, {} bytes {}):\n  hardware {}\n  oracle   {}",
                want.report.frame,
                mode,
                bytes.len(),
                crate::support::describe(bytes),
                serde_json::to_string(got).unwrap(),
                serde_json::to_string(&want.report).unwrap(),
            ));
        }
    }
    let want_segments: Vec<(usize, &ExpectedSegment)> = expected
        .iter()
        .filter_map(|e| e.segment.as_ref().map(|s| (e.report.frame, s)))
        .collect();
    if run.segments.len() != want_segments.len() {
        out.push(format!(
            "{} segments in the FIFO, oracle expects {}",
            run.segments.len(),
            want_segments.len()
        ));
    }
    for (got, (frame, want)) in run.segments.iter().zip(&want_segments) {
        for diff in segment_differences(got, want) {
            out.push(format!("segment of frame {frame}: {diff}"));
        }
    }
    out
}

/// Fails with the first disagreements listed, if there are any.
pub fn assert_agree(what: &str, problems: &[String]) {
    if !problems.is_empty() {
        // RX_SHOW_ALL=1 lists every disagreement instead of the first few.
        let count = if std::env::var_os("RX_SHOW_ALL").is_some() {
            problems.len()
        } else {
            8
        };
        let shown: Vec<&str> = problems.iter().take(count).map(String::as_str).collect();
        panic!(
            "{what}: {} disagreements between hardware and oracle; the first:\n{}",
            problems.len(),
            shown.join("\n")
        );
    }
}
