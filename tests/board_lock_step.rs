//! The whole board core on both models, clock by clock: rust-hdl's simulation of the
//! Rust description and the Verilator model of the Verilog it generates give the same
//! outputs on every port, every clock, for the differential frame mix, the bad-input
//! set, and host traffic on the link (Config, GetCounters, ArpRequest, TxTcp, TxUdp,
//! a damaged frame), so the receive path, the transmit path, ARP, echo and both link
//! directions are all compared. Then the virtual board, which runs idle stretches in
//! one call to the model (the Verilator model skips them once its state stops
//! changing), gives the same bytes, frames and clock counts on both models.

mod support;

use support::*;
use tcpip_fpga::host::link::message::{encode_frame, Message, TxUdp};
use tcpip_fpga::sim::backend::Backend;
use tcpip_fpga::sim::board::{board_lock_step, phy_bytes, BoardStep, VirtualBoard};

fn phy(frame: &[u8], append_fcs: bool) -> Vec<BoardStep> {
    let mut f = frame.to_vec();
    if append_fcs && f.len() < 60 {
        f.resize(60, 0);
    }
    let mut steps: Vec<BoardStep> = phy_bytes(&f, append_fcs)
        .into_iter()
        .map(|b| BoardStep {
            phy: Some(b),
            link: None,
        })
        .collect();
    steps.extend(std::iter::repeat_n(BoardStep::default(), 12));
    steps
}

fn link(msg: &Message) -> Vec<BoardStep> {
    encode_frame(msg)
        .unwrap()
        .into_iter()
        .map(|b| BoardStep {
            phy: None,
            link: Some(b),
        })
        .collect()
}

fn idle(n: usize) -> Vec<BoardStep> {
    vec![BoardStep::default(); n]
}

#[test]
fn board_core_rust_and_verilator_agree_clock_for_clock() {
    if !Backend::verilator_built() {
        panic!("the Verilator model is not built (install verilator and rebuild): the lock-step test needs both models");
    }
    let mut steps = vec![];
    steps.extend(link(&board_config_message()));
    steps.extend(idle(300));
    let mut gen = FrameGen::new(0xB0A2D, BOARD);
    for n in 0..120 {
        steps.extend(phy(&gen.frame(), true));
        if n % 10 == 0 {
            steps.extend(idle(2000));
        }
    }
    for bad in gen.bad_frames().iter().take(40) {
        steps.extend(phy(&bad.bytes, matches!(bad.fcs, FcsMode::Append)));
    }
    steps.extend(idle(3000));
    steps.extend(link(&Message::ArpRequest { ip: [10, 0, 0, 1] }));
    for k in 0..6u32 {
        let options = if k % 2 == 0 {
            vec![]
        } else {
            vec![2, 4, 5, 0xb4]
        };
        let segment = numbered_tx_tcp(k, [10, 0, 0, 1], options, (k * 97 % 700) as usize);
        steps.extend(link(&segment));
        steps.extend(idle(1600));
    }
    steps.extend(link(&Message::TxUdp(TxUdp {
        tag: 99,
        dst_mac: [2, 0, 0, 0, 0, 9],
        dst_ip: [10, 0, 0, 1],
        src_port: 53,
        dst_port: 5353,
        payload: b"hello".to_vec(),
    })));
    let mut damaged = encode_frame(&Message::GetCounters).unwrap();
    damaged[1] ^= 0x20;
    steps.extend(damaged.into_iter().map(|b| BoardStep {
        phy: None,
        link: Some(b),
    }));
    steps.extend(link(&Message::GetCounters));
    steps.extend(idle(4000));
    let clocks = board_lock_step(&steps).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(clocks as usize, steps.len());
}

/// Everything a virtual board run shows from outside: link bytes, frames, PHY checks
/// and clocks, after each burst of input.
fn virtual_board_run(backend: Backend) -> Vec<String> {
    let mut board = VirtualBoard::new(backend).unwrap();
    // Paced as the UART: the board waits between link bytes, which the idle runs cover.
    board.set_link_pace(250);
    let mut seen = vec![];
    let mut look = |board: &mut VirtualBoard, what: &str| {
        seen.push(format!(
            "{what}: {} clocks, link {:?}, frames {:?}, {:?}",
            board.cycles(),
            board.read_link(),
            board.take_frames(),
            board.tx_stats()
        ));
    };
    board.run_until_idle(100_000);
    look(&mut board, "start");
    board.write_link(&encode_frame(&board_config_message()).unwrap());
    board.run_until_idle(100_000);
    look(&mut board, "config");
    let mut gen = FrameGen::new(0x1D1E, BOARD);
    board.push_frame(&gen.ping_to_us(40).bytes);
    board.run(3000);
    look(&mut board, "ping, 3000 clocks");
    board.push_frame(&gen.udp_to_us(30).bytes);
    board.run_until_link_output(100_000);
    look(&mut board, "udp, to the first link byte");
    board.write_link(&encode_frame(&Message::GetCounters).unwrap());
    board.run_until_idle(200_000);
    look(&mut board, "counters");
    seen
}

#[test]
fn virtual_board_gives_the_same_on_both_models() {
    if !Backend::verilator_built() {
        panic!("the Verilator model is not built (install verilator and rebuild): this test needs both models");
    }
    let (rust, veri) = (
        virtual_board_run(Backend::Rust),
        virtual_board_run(Backend::Verilator),
    );
    for (r, v) in rust.iter().zip(&veri) {
        assert_eq!(r, v, "Rust model, then Verilator model");
    }
    // The run did something: the ping was answered and the UDP datagram reached the link.
    assert!(rust[2].contains("frames [["), "{}", rust[2]);
    assert!(!rust[3].contains("link []"), "{}", rust[3]);
}
