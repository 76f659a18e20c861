//! The whole Alchitry Cu top level, from the RMII pins to the UART pin: a UDP frame
//! driven onto the PHY's receive pins (REF_CLK 50 MHz, core clock 100 MHz, both clocks
//! simulated) comes out of `uart_tx` as a link frame that the host's own codec decodes
//! into the datagram that was sent; at 100 and 10 Mbit, with CRS_DV toggling at the
//! frame's end. The frame is built with etherparse, and the UART line is decoded here
//! in software (8N1, 4 Mbaud), so neither end trusts the hardware under test.

use etherparse::PacketBuilder;
use rust_hdl::prelude::*;
use tcpip_fpga::hdl::board::alchitry_cu::AlchitryCuTop;
use tcpip_fpga::hdl::link::mac_rx::phy_bytes;
use tcpip_fpga::hdl::link::rmii_rx::{rmii_waveform, RmiiPins};
use tcpip_fpga::host::link::message::{decode_frame, Message, RxUdp};

const SRC_MAC: [u8; 6] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
/// The board's own address until a host configures another (BoardCore's defaults).
const DST_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
const DST_IP: [u8; 4] = [192, 0, 2, 2];

fn udp_frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![];
    PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
        .ipv4([10, 0, 0, 1], DST_IP, 64)
        .udp(40000, 7)
        .write(&mut frame, payload)
        .unwrap();
    frame
}

/// Runs the top level in 5 ns steps (core clock 10 ns, REF_CLK 20 ns) with `pins` on
/// the RMII inputs, one per REF_CLK, and returns `uart_tx` at every core clock.
fn run_top(pins: &[RmiiPins], core_clocks: usize) -> Vec<bool> {
    let mut top = AlchitryCuTop::default();
    top.clock.connect();
    top.reset_n.connect();
    top.uart_rx.connect();
    top.rmii_ref_clk.connect();
    top.rmii_crs_dv.connect();
    top.rmii_rxd.connect();
    top.rmii_rx_er.connect();
    top.connect_all();
    top.reset_n.next = true;
    top.uart_rx.next = true;
    let mut line = vec![];
    let mut next_pin = 0;
    for step in 0..core_clocks * 2 {
        // Step k is t = 5k ns: the core clock rises on even steps, REF_CLK every 4th.
        let core_high = step % 2 == 0;
        let ref_phase = step % 4;
        if ref_phase == 2 {
            // REF_CLK falls: the PHY drives the next dibit.
            let p = pins.get(next_pin).copied().unwrap_or(RmiiPins {
                crs_dv: false,
                rxd: 0,
                rx_er: false,
            });
            next_pin += 1;
            top.rmii_crs_dv.next = p.crs_dv;
            top.rmii_rxd.next = (p.rxd as u64).into();
            top.rmii_rx_er.next = p.rx_er;
        }
        top.clock.next = core_high.into();
        top.rmii_ref_clk.next = (ref_phase < 2).into();
        assert!(simulate(&mut top, 200), "circuit did not settle");
        if core_high {
            line.push(top.uart_tx.val());
        }
    }
    line
}

/// 8N1 at 25 clocks a bit: the bytes on the line.
fn uart_bytes(line: &[bool]) -> Vec<u8> {
    let mut bytes = vec![];
    let mut i = 1;
    while i < line.len() {
        if line[i - 1] && !line[i] {
            // Start bit's first clock: sample each bit in its middle.
            let mid = |bit: usize| i + 12 + 25 * bit;
            if mid(9) >= line.len() {
                break;
            }
            assert!(!line[mid(0)], "start bit");
            let byte = (0..8).fold(0u8, |b, k| b | ((line[mid(1 + k)] as u8) << k));
            assert!(line[mid(9)], "stop bit");
            bytes.push(byte);
            i = mid(9);
        }
        i += 1;
    }
    bytes
}

fn link_messages(bytes: &[u8]) -> Vec<Message> {
    bytes
        .split(|&b| b == 0)
        .filter(|f| !f.is_empty())
        .map(|f| decode_frame(f).expect("a valid link frame"))
        .collect()
}

#[test]
fn a_udp_frame_on_the_rmii_pins_comes_out_of_the_uart_as_a_link_frame() {
    let payload: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(7) ^ 0x5a).collect();
    let frame = udp_frame(&payload);
    let wire = phy_bytes(&frame, true);
    let want = Message::RxUdp(RxUdp {
        src_mac: SRC_MAC,
        src_ip: [10, 0, 0, 1],
        dst_ip: DST_IP,
        src_port: 40000,
        dst_port: 7,
        payload: payload.clone(),
    });
    for ten in [false, true] {
        let pins = rmii_waveform(&wire, ten, 2, 3, 100);
        // Wire time (REF_CLK = 2 core clocks), then the power-up Hello and the message
        // at 250 clocks a byte.
        let clocks = pins.len() * 2 + 120 * 250;
        let got: Vec<Message> = link_messages(&uart_bytes(&run_top(&pins, clocks)))
            .into_iter()
            .filter(|m| !matches!(m, Message::Hello(_)))
            .collect();
        assert_eq!(got, vec![want.clone()], "10 Mbit: {ten}");
    }
}
