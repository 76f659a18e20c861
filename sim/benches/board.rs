//! Whole-board figures, on each back end in one run:
//! - simulated clocks per second of the whole board core (BoardCore: receive and
//!   transmit pipelines, link framing both ways), full-size TCP segments flowing from
//!   the wire to the link;
//! - link efficiency: payload bytes per link byte for full-size segments, measured on
//!   the bytes the hardware framer produced (goal ≥ 0.97);
//! - echo replies at line rate: clocks per echo exchange when the board answers
//!   back-to-back pings on its own;
//! - link-paced goodput at 4 and 12 Mbaud: full-size segments wire → link with the
//!   link paced as the board's UART runs it (12 Mbaud selected by a Config), a new
//!   segment on the wire whenever the receive FIFO has room for it, so the link never
//!   waits for the wire: TCP payload bytes a second as a fraction of the UART's payload
//!   capacity (baud / 10 bytes a second, 8N1) (goal ≥ 0.9).
//!
//! `cargo bench -p tcpip-sim --bench board [-- rust|verilator]`. Prints figures; asserts
//! nothing about time.

use etherparse::PacketBuilder;
use std::time::Instant;
use tcpip_sim::backend::Backend;
use tcpip_sim::board::{VirtualBoard, DEFAULT_IP, DEFAULT_MAC};
use tcpip_sim::goodput::{self, tcp_frame};

const PEER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
const PEER_IP: [u8; 4] = [192, 0, 2, 1];

fn ping_frame(payload_len: usize, seq: u16) -> Vec<u8> {
    let mut f = vec![];
    PacketBuilder::ethernet2(PEER_MAC, DEFAULT_MAC)
        .ipv4(PEER_IP, DEFAULT_IP, 64)
        .icmpv4_echo_request(0x1234, seq)
        .write(&mut f, &vec![0xC3; payload_len])
        .unwrap();
    f
}

/// This thread's CPU time (Linux), so the figure holds on a machine shared with other
/// jobs, where wall time also counts the time they take.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command's closing parenthesis; utime and stime are 14th and 15th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Segments wire → link. Unpaced (`pace` 1), the link takes a byte whenever the framer
/// offers one (every 2-3 clocks: the CRC takes four bits a clock), so nearly every clock is busy and
/// the figure is the simulator's, not the UART's. At the UART's pace (250 clocks a byte)
/// the board waits between link bytes, and those idle clocks are skipped.
fn segments_to_link(backend: Backend, count: usize, pace: u64) -> (f64, Option<f64>, f64) {
    let mut board = VirtualBoard::new(backend).unwrap();
    board.set_link_pace(pace);
    board.run_until_idle(100_000);
    board.read_link();
    let (start, cpu_start) = (Instant::now(), cpu_seconds());
    let clocks_start = board.cycles();
    let evaluated_start = board.evaluated();
    for k in 0..count {
        board.push_frame(&tcp_frame(1460, 1 + 1460 * k as u32));
        board.run_until_idle(10_000_000);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = cpu_start.zip(cpu_seconds()).map(|(a, b)| b - a);
    let link = board.read_link();
    let payload = 1460 * count;
    let clocks = (board.cycles() - clocks_start) as f64;
    // Clocks the model evaluated: the rest it skipped as idle.
    let evaluated = evaluated_start.zip(board.evaluated()).map(|(a, b)| {
        format!(
            " ({:.0} evaluated, the rest skipped as idle)",
            (b - a) as f64 / count as f64
        )
    });
    let rate = clocks / elapsed;
    let cpu_rate = cpu.map(|c| clocks / c);
    let efficiency = payload as f64 / link.len() as f64;
    println!(
        "[{backend}] {count} full-size segments wire → link{}: {} link bytes for {payload} payload bytes \
         ({efficiency:.4} payload per link byte); {:.0} clocks per segment{}; simulation {:.2} M clocks/s{}",
        if pace > 1 { format!(" paced at {pace} clocks a byte") } else { String::new() },
        link.len(),
        clocks / count as f64,
        evaluated.unwrap_or_default(),
        rate / 1e6,
        cpu_rate.map_or(String::new(), |r| format!(" ({:.2} M per CPU second)", r / 1e6))
    );
    (rate, cpu_rate, efficiency)
}

/// Full-size segments wire → link at the UART's pace, 12 Mbaud if `fast`; returns the
/// goodput as a fraction of the UART's payload capacity.
fn paced_goodput(backend: Backend, fast: bool, count: usize) -> f64 {
    let g = goodput::paced_goodput(backend, fast, count).unwrap();
    println!(
        "[{backend}] {count} full-size segments wire → link paced at {} Mbaud: {} link bytes \
         ({:.4} payload per link byte) in {} clocks; goodput {:.0} payload bytes/s, {:.3} \
         of the UART's {:.0} (goal ≥ 0.9)",
        g.baud / 1_000_000,
        g.link_bytes,
        g.payload_bytes as f64 / g.link_bytes as f64,
        g.clocks,
        g.bytes_per_second(),
        g.fraction(),
        g.capacity()
    );
    g.fraction()
}

fn echo_line_rate(backend: Backend, payload_len: usize, count: usize) {
    let mut board = VirtualBoard::new(backend).unwrap();
    board.run_until_idle(100_000);
    let start = board.cycles();
    for k in 0..count {
        board.push_frame(&ping_frame(payload_len, k as u16));
    }
    board.run_until_idle(10_000_000);
    let replies = board.take_frames();
    let clocks = board.cycles() - start;
    let wire = 8 + (14 + 20 + 8 + payload_len).max(60) + 4 + 12;
    println!(
        "[{backend}] {count} back-to-back pings of {payload_len} bytes: {} replies, {:.1} clocks per request \
         ({wire} wire bytes each way); tx: {:?}",
        replies.len(),
        clocks as f64 / count as f64,
        board.tx_stats()
    );
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
    let mut goodput = vec![];
    for &backend in &backends {
        let scale = if backend == Backend::Verilator { 50 } else { 1 };
        summary.push((backend, "", segments_to_link(backend, 20 * scale, 1)));
        if backend == Backend::Verilator {
            // 376,000 clocks a segment: too slow on the Rust model.
            let paced = segments_to_link(backend, 100, 250);
            summary.push((backend, ", link at 4 Mbaud", paced));
            for fast in [false, true] {
                goodput.push((fast, paced_goodput(backend, fast, 100)));
            }
        }
        echo_line_rate(backend, 1472, 10 * scale);
        echo_line_rate(backend, 18, 10 * scale);
    }
    println!("whole board core, simulated clocks per second:");
    for (backend, what, (rate, cpu_rate, efficiency)) in summary {
        let cpu = cpu_rate.map_or(String::new(), |r| {
            format!(" ({:.2} M per CPU second)", r / 1e6)
        });
        println!(
            "  {backend:>9}{what}: {:.2} M/s{cpu}; link efficiency {efficiency:.4}",
            rate / 1e6
        );
    }
    for (fast, fraction) in goodput {
        println!(
            "link-paced goodput at {} Mbaud: {fraction:.3} of the UART's payload capacity (goal ≥ 0.9)",
            if fast { 12 } else { 4 }
        );
    }
}
