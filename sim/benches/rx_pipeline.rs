//! Receive pipeline figures: clocks per frame against bytes on the wire (the goal is
//! exactly one byte per clock, the PHY's rate), and how many clocks per second the
//! simulation of the whole receive pipeline runs on each back end (Rust model and,
//! when built, the Verilator model of the generated Verilog). Prints figures; asserts
//! nothing about time.
//!
//! `cargo bench -p tcpip-sim --bench rx_pipeline [-- rust|verilator]` (one back end only)
//!
//! Rates are per second of wall time and per second of this thread's CPU time: on a
//! loaded machine the second is the one to compare.

use etherparse::PacketBuilder;
use std::time::Instant;
use tcpip_sim::backend::Backend;
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

/// CPU time of this thread so far, in seconds (Linux; 10 ms resolution).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    if f.len() < 13 {
        return f64::NAN;
    }
    (f[11] + f[12]) / 100.0
}

/// Returns simulated clocks per second of wall time and of CPU time.
fn run(backend: Backend, name: &str, frame: &[u8], count: usize) -> (f64, f64) {
    let config = RxConfig {
        mac: OUR_MAC,
        ip: OUR_IP,
        netmask: [255, 255, 255, 0],
        promiscuous: false,
    };
    let mut sim = RxSim::with_backend(config, backend).unwrap();
    let start = Instant::now();
    let cpu = cpu_seconds();
    for _ in 0..count {
        sim.push_frame(frame, Fcs::Append);
    }
    let push_cycles = sim.cycles();
    sim.flush();
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    let reports = sim.take_reports();
    let accepted = reports.iter().filter(|r| r.verdict == "accept").count();
    let segments = sim.take_segments().len();
    // On the wire: preamble and SFD (8), the frame padded to 60, FCS (4), the gap (12).
    let wire = 8 + frame.len().max(60) + 4 + INTER_FRAME_GAP;
    let rate = sim.cycles() as f64 / elapsed;
    let cpu_rate = sim.cycles() as f64 / cpu;
    println!(
        "[{backend}] {name}: {count} frames of {} bytes back to back: {:.2} clocks per frame for {wire} wire bytes \
         ({:.3} bytes per clock); {accepted} accepted, {segments} segments committed; \
         simulation {rate:.0} clocks/s ({cpu_rate:.0} per CPU second)",
        frame.len(),
        push_cycles as f64 / count as f64,
        wire as f64 * count as f64 / push_cycles as f64,
    );
    (rate, cpu_rate)
}

fn main() {
    let only: Option<Backend> = std::env::args().skip(1).find_map(|a| a.parse().ok());
    let mut backends = vec![Backend::Rust];
    if Backend::verilator_built() {
        backends.push(Backend::Verilator);
    } else {
        println!("!!!! the Verilator back end is not built: only the Rust model is measured !!!!");
    }
    backends.retain(|b| only.is_none_or(|o| o == *b));
    let mut summary = vec![];
    for &backend in &backends {
        // The Verilator model is fast enough for more frames: give both ~1 s.
        let scale = if backend == Backend::Verilator { 20 } else { 1 };
        let small = run(backend, "minimum-size TCP", &tcp_frame(6), 1000 * scale);
        let full = run(backend, "full-size TCP", &tcp_frame(1460), 300 * scale);
        summary.push((backend, small, full));
    }
    println!("whole receive core, simulated clocks per second:");
    for (backend, small, full) in summary {
        println!(
            "  {backend:>9}: {:.2} M/s (minimum-size frames), {:.2} M/s (full-size frames); \
             per CPU second {:.2} M and {:.2} M",
            small.0 / 1e6,
            full.0 / 1e6,
            small.1 / 1e6,
            full.1 / 1e6
        );
    }
}
