//! Receive pipeline figures: clocks per frame against bytes on the wire (the goal is
//! exactly one byte per clock, the PHY's rate), and how many clocks per second the
//! simulation of the whole receive pipeline runs. Prints figures; asserts nothing
//! about time.
//!
//! `cargo bench -p tcpip-sim --bench rx_pipeline`

use etherparse::PacketBuilder;
use std::time::Instant;
use tcpip_sim::rx::{Fcs, RxConfig, RxSim, INTER_FRAME_GAP};

const OUR_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
const OUR_IP: [u8; 4] = [10, 0, 0, 2];

fn tcp_frame(payload_len: usize) -> Vec<u8> {
    let mut f = vec![];
    PacketBuilder::ethernet2([0x02, 0, 0, 0, 0, 2], OUR_MAC)
        .ipv4([10, 0, 0, 1], OUR_IP, 64)
        .tcp(1234, 80, 1, 4096)
        .ack(1)
        .write(&mut f, &vec![0xA5; payload_len])
        .unwrap();
    f
}

fn run(name: &str, frame: &[u8], count: usize) {
    let mut sim = RxSim::new(RxConfig { mac: OUR_MAC, ip: OUR_IP, promiscuous: false });
    let start = Instant::now();
    for _ in 0..count {
        sim.push_frame(frame, Fcs::Append);
    }
    let push_cycles = sim.cycles();
    sim.flush();
    let elapsed = start.elapsed().as_secs_f64();
    let reports = sim.take_reports();
    let accepted = reports.iter().filter(|r| r.verdict == "accept").count();
    let segments = sim.take_segments().len();
    // On the wire: preamble and SFD (8), the frame padded to 60, FCS (4), the gap (12).
    let wire = 8 + frame.len().max(60) + 4 + INTER_FRAME_GAP;
    println!(
        "{name}: {count} frames of {} bytes back to back: {:.2} clocks per frame for {wire} wire bytes \
         ({:.3} bytes per clock); {accepted} accepted, {segments} segments committed; \
         simulation {:.0} clocks/s",
        frame.len(),
        push_cycles as f64 / count as f64,
        wire as f64 * count as f64 / push_cycles as f64,
        sim.cycles() as f64 / elapsed,
    );
}

fn main() {
    run("minimum-size TCP", &tcp_frame(6), 1000);
    run("full-size TCP", &tcp_frame(1460), 300);
}
