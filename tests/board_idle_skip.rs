//! The virtual board skips idle clocks (runs of clocks on unchanged inputs go to the
//! model in one call, and the Verilator model stops evaluating once its whole state
//! stands still) without changing anything seen from outside: the same run with the
//! skipping on and off gives the same link bytes, PHY bytes and event pulses, each at
//! the same clock, the same frames, PHY checks and clock counts, whether the link runs
//! unpaced or at the UART's pace (4 Mbaud, or 12 once the Config selects it), through
//! frames from the wire, host messages, link errors and idle stretches.

mod support;

use support::*;
use tcpip_fpga::host::link::message::{encode_frame, LinkRate, Message};
use tcpip_fpga::sim::backend::Backend;
use tcpip_fpga::sim::board::{phy_bytes, Seen, VirtualBoard};

/// `pace` for the link at the board's UART's pace, switched to 12 Mbaud by the Config.
const UART_12_MBAUD: u64 = 0;

/// Everything the run shows from outside, the clocks the model evaluated and the clocks
/// run.
fn run(skip: bool, pace: u64) -> (Vec<String>, Vec<(u64, Seen)>, u64, u64) {
    let mut board = VirtualBoard::new(Backend::Verilator).unwrap();
    board.set_skip_idle(skip);
    let mut config = board_config_message();
    if pace == UART_12_MBAUD {
        board.set_uart_pace();
        if let Message::Config(c) = &mut config {
            c.link_rate = LinkRate::Mbaud12;
        }
    } else {
        board.set_link_pace(pace);
    }
    board.record_timeline();
    let mut seen = vec![];
    let mut look = |board: &mut VirtualBoard, what: &str, ran: u64| {
        seen.push(format!(
            "{what}: ran {ran}, at {} clocks, busy {}, link {:?}, frames {:?}, {:?}",
            board.cycles(),
            board.busy(),
            board.read_link(),
            board.take_frames(),
            board.tx_stats()
        ));
    };
    let ran = board.run_until_idle(100_000);
    look(&mut board, "start", ran);
    board.write_link(&encode_frame(&config).unwrap());
    let ran = board.run_until_idle(200_000);
    assert_eq!(board.link_fast(), pace == UART_12_MBAUD);
    look(&mut board, "config", ran);
    let mut gen = FrameGen::new(0x5EED, BOARD);
    // Frames of every kind, some back to back, some with idle stretches between.
    for n in 0..24 {
        board.push_frame(&gen.frame());
        if n % 4 == 0 {
            board.push_frame(&gen.ping_to_us(n * 37).bytes);
        }
        if n % 3 == 0 {
            let ran = board.run_until_link_output(100_000);
            look(&mut board, "to the first link byte", ran);
        }
        if n % 5 == 0 {
            let ran = board.run_until_idle(300_000);
            look(&mut board, "frames, to idle", ran);
        }
    }
    for bad in gen.bad_frames().iter().take(12) {
        board.push_phy_bytes(&phy_bytes(&bad.bytes, matches!(bad.fcs, FcsMode::Append)));
    }
    board.run(5_000);
    look(&mut board, "bad frames, 5000 clocks", 5_000);
    let ran = board.run_until_idle(300_000);
    look(&mut board, "bad frames, to idle", ran);
    // Host messages: segments to send, a damaged frame (a link error), counters.
    for k in 0..3u32 {
        let segment = numbered_tx_tcp(k, [192, 0, 2, 9], vec![], (k * 211) as usize);
        board.write_link(&encode_frame(&segment).unwrap());
    }
    let mut damaged = encode_frame(&Message::GetCounters).unwrap();
    damaged[1] ^= 0x20;
    board.write_link(&damaged);
    board.write_link(&encode_frame(&Message::GetCounters).unwrap());
    let ran = board.run_until_idle(2_000_000);
    look(&mut board, "host messages, to idle", ran);
    // A long idle stretch, then one more frame.
    board.run(50_000);
    look(&mut board, "idle 50000", 50_000);
    board.push_frame(&gen.ping_to_us(100).bytes);
    let ran = board.run_until_idle(300_000);
    look(&mut board, "last ping, to idle", ran);
    let timeline = board.take_timeline();
    let evaluated = board
        .evaluated()
        .expect("the Verilator model counts its clocks");
    (seen, timeline, evaluated, board.cycles())
}

fn same_with_and_without_skipping(pace: u64) {
    if !Backend::verilator_built() {
        panic!(
            "the Verilator model is not built (install verilator and rebuild): this test needs it"
        );
    }
    let (seen_on, timeline_on, evaluated_on, clocks) = run(true, pace);
    let (seen_off, timeline_off, evaluated_off, clocks_off) = run(false, pace);
    for (on, off) in seen_on.iter().zip(&seen_off) {
        assert_eq!(on, off, "skipping on, then off");
    }
    assert_eq!(seen_on.len(), seen_off.len());
    assert_eq!(timeline_on.len(), timeline_off.len(), "timeline lengths");
    if let Some(k) = (0..timeline_on.len()).find(|&k| timeline_on[k] != timeline_off[k]) {
        panic!(
            "timeline entry {k}: {:?} with skipping, {:?} without",
            timeline_on[k], timeline_off[k]
        );
    }
    // The run did something on every port, and skipping skipped.
    let count = |f: fn(&Seen) -> bool| timeline_on.iter().filter(|(_, s)| f(s)).count();
    assert!(count(|s| matches!(s, Seen::Link(_))) > 1000);
    assert!(count(|s| matches!(s, Seen::Phy(_))) > 1000);
    assert!(
        count(|s| matches!(s, Seen::Events(e) if e & 8 != 0)) > 0,
        "a link error"
    );
    println!("link paced at {pace}: {clocks} clocks, {evaluated_on} evaluated with skipping");
    assert_eq!(clocks, clocks_off);
    // Without skipping every clock is evaluated; with it, most idle ones are not.
    assert_eq!(evaluated_off, clocks);
    assert!(
        evaluated_on < clocks / 2,
        "{evaluated_on} of {clocks} evaluated"
    );
}

#[test]
fn idle_skipping_changes_nothing_seen_unpaced() {
    same_with_and_without_skipping(1);
}

#[test]
fn idle_skipping_changes_nothing_seen_at_the_uart_pace() {
    same_with_and_without_skipping(250);
}

#[test]
fn idle_skipping_changes_nothing_seen_at_the_uart_pace_at_12_mbaud() {
    same_with_and_without_skipping(UART_12_MBAUD);
}
