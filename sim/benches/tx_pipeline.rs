//! Transmit pipeline figures: clocks per frame for full-size and minimum-size TCP
//! segments staged ahead and sent back to back (the goal: the frame's wire bytes plus
//! the 12-byte gap, i.e. one byte per clock), and how fast the Rust simulation of the
//! whole transmit pipeline runs. Prints figures; asserts nothing about time.
//!
//! `cargo bench -p tcpip-sim --bench tx_pipeline`

use std::time::Instant;
use tcpip_sim::tx::{TxRequest, TxSim};

fn request(len: usize, tag: u16) -> TxRequest {
    TxRequest {
        is_udp: false,
        is_icmp: false,
        tag,
        dst_mac: [0x02, 0, 0, 0, 0, 2],
        dst_ip: [10, 0, 0, 1],
        src_port: 80,
        dst_port: 40000,
        seq: 1000 * tag as u32,
        ack: 1,
        flags: 0x018,
        window: 4096,
        options: vec![],
        payload: vec![0xA5; len],
    }
}

fn run(name: &str, len: usize, count: usize) {
    let mut sim = TxSim::new([0x02, 0, 0, 0, 0, 1], [10, 0, 0, 2]);
    let start = Instant::now();
    for i in 0..count {
        sim.submit(&request(len, i as u16), true);
    }
    sim.run_idle(50);
    let elapsed = start.elapsed().as_secs_f64();
    let frames = sim.take_frames();
    assert_eq!(frames.len(), count);
    // Skip the first two: they were staged before anything was on the wire.
    let steady = &frames[2..];
    let clocks = (steady.last().unwrap().first_clock - steady[0].first_clock) as f64
        / (steady.len() - 1) as f64;
    let wire = frames[0].bytes.len() + 12;
    let gaps: Vec<u64> = steady
        .windows(2)
        .map(|w| w[1].first_clock - w[0].last_clock - 1)
        .collect();
    println!(
        "{name}: {} wire bytes per frame (preamble to FCS) + 12-byte gap = {wire}; \
         {clocks:.2} clocks per frame back to back ({:.3} bytes per clock), gaps {}..{} clocks; \
         simulation {:.0} clocks/s",
        frames[0].bytes.len(),
        wire as f64 / clocks,
        gaps.iter().min().unwrap(),
        gaps.iter().max().unwrap(),
        sim.clocks() as f64 / elapsed,
    );
}

fn main() {
    run("full-size TCP (1460 payload bytes)", 1460, 12);
    run("minimum-size TCP (no payload, padded to 60)", 0, 40);
}
