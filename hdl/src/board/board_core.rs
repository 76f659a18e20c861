//! TEMPORARY BoardCore (branch `board`): the ports of the real one (written by the
//! integrator in main, see plan/board_core_contract.md), with just enough inside to
//! synthesise the board and carry a received frame to the UART: RxPipeline
//! (promiscuous), a minimal message builder that sends each committed UDP segment as
//! an RxUdp message (type 0x03: src_mac, src_ip, dst_ip, ports little-endian, payload),
//! CrcAppend and CobsEncoder. Nothing is transmitted and link_in is ignored. The
//! integrator's BoardCore replaces this file at merge; the top level does not change.

use crate::board::cobs_encoder::CobsEncoder;
use crate::board::crc_append::CrcAppend;
use crate::board::stream_register::StreamRegister;
use crate::rx_pipeline::RxPipeline;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct BoardCore {
    pub clock: Signal<In, Clock>,
    pub phy_rx_data: Signal<In, Bits<8>>,
    pub phy_rx_valid: Signal<In, Bit>,
    pub phy_rx_error: Signal<In, Bit>,
    pub phy_tx_data: Signal<Out, Bits<8>>,
    pub phy_tx_valid: Signal<Out, Bit>,
    pub phy_tx_ready: Signal<In, Bit>,
    pub link_in_data: Signal<In, Bits<8>>,
    pub link_in_valid: Signal<In, Bit>,
    pub link_out_data: Signal<Out, Bits<8>>,
    pub link_out_valid: Signal<Out, Bit>,
    pub link_out_ready: Signal<In, Bit>,
    pub rx_frame: Signal<Out, Bit>,
    pub rx_drop: Signal<Out, Bit>,
    pub tx_frame: Signal<Out, Bit>,
    pub link_error: Signal<Out, Bit>,
    rx: RxPipeline,
    crc: CrcAppend,
    /// Cuts CrcAppend's output mux from CobsEncoder's input logic (91 MHz without).
    slice: StreamRegister,
    cobs: CobsEncoder,
    // 0 idle, 1 type byte, 2 descriptor words, 3 body.
    state: DFF<Bits<2>>,
    word: DFF<Bits<5>>,
    low_half: DFF<Bit>,
    remaining: DFF<Bits<16>>,
    // One register stage before CrcAppend: the FIFO's RAM output would otherwise run
    // combinationally through CrcAppend into CobsEncoder (73 MHz).
    hold_valid: DFF<Bit>,
    hold_data: DFF<Bits<8>>,
    hold_last: DFF<Bit>,
    take: Signal<Local, Bit>,
    e_valid: Signal<Local, Bit>,
    e_data: Signal<Local, Bits<8>>,
    e_last: Signal<Local, Bit>,
}

impl Logic for BoardCore {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, word, low_half, remaining, hold_valid, hold_data, hold_last);
        self.rx.clock.next = self.clock.val();
        self.crc.clock.next = self.clock.val();
        self.slice.clock.next = self.clock.val();
        self.cobs.clock.next = self.clock.val();
        self.rx.phy_data.next = self.phy_rx_data.val();
        self.rx.phy_valid.next = self.phy_rx_valid.val();
        self.rx.phy_error.next = self.phy_rx_error.val();
        self.rx.mac_hi.next = 0.into();
        self.rx.mac_mid.next = 0.into();
        self.rx.mac_lo.next = 0.into();
        self.rx.our_ip.next = 0.into();
        self.rx.promiscuous.next = true;
        self.rx.counter_index.next = 0.into();
        self.rx.desc_read.next = false;
        self.rx.body_read.next = false;
        self.take.next = !self.hold_valid.q.val() | self.crc.ready.val();
        self.e_data.next = 0.into();
        self.e_valid.next = false;
        self.e_last.next = false;
        if self.state.q.val() == 0 {
            if !self.rx.desc_empty.val() {
                self.state.d.next = 1.into();
                self.word.d.next = 0.into();
                self.low_half.d.next = false;
            }
        } else if self.state.q.val() == 1 {
            self.e_data.next = 0x03.into();
            self.e_valid.next = true;
            if self.take.val() {
                self.state.d.next = 2.into();
            }
        } else if self.state.q.val() == 2 {
            if (self.word.q.val() == 0) | (self.word.q.val() >= 11) {
                self.rx.desc_read.next = true;
                self.word.d.next = self.word.q.val() + 1;
                if self.word.q.val() == 23 {
                    self.state.d.next = 3.into();
                }
            } else if self.word.q.val() == 1 {
                self.remaining.d.next = self.rx.desc_data.val();
                self.rx.desc_read.next = true;
                self.word.d.next = 2.into();
            } else {
                self.e_valid.next = true;
                // Addresses in network order; the ports (words 9, 10) little-endian.
                if self.low_half.q.val() ^ (self.word.q.val() >= 9) {
                    self.e_data.next = self.rx.desc_data.val().get_bits::<8>(0);
                } else {
                    self.e_data.next = self.rx.desc_data.val().get_bits::<8>(8);
                }
                self.e_last.next = (self.word.q.val() == 10)
                    & self.low_half.q.val()
                    & (self.remaining.q.val() == 0);
                if self.take.val() {
                    self.low_half.d.next = !self.low_half.q.val();
                    if self.low_half.q.val() {
                        self.rx.desc_read.next = true;
                        self.word.d.next = self.word.q.val() + 1;
                    }
                }
            }
        } else {
            if self.remaining.q.val() == 0 {
                self.state.d.next = 0.into();
            } else {
                self.e_data.next = self.rx.body_data.val();
                self.e_valid.next = true;
                self.e_last.next = self.remaining.q.val() == 1;
                if self.take.val() {
                    self.rx.body_read.next = true;
                    self.remaining.d.next = self.remaining.q.val() - 1;
                }
            }
        }
        if self.take.val() {
            self.hold_valid.d.next = self.e_valid.val();
            self.hold_data.d.next = self.e_data.val();
            self.hold_last.d.next = self.e_last.val();
        }
        self.crc.data.next = self.hold_data.q.val();
        self.crc.valid.next = self.hold_valid.q.val();
        self.crc.last.next = self.hold_last.q.val();
        self.slice.data.next = self.crc.out_data.val();
        self.slice.valid.next = self.crc.out_valid.val();
        self.slice.last.next = self.crc.out_last.val();
        self.crc.out_ready.next = self.slice.ready.val();
        self.cobs.data.next = self.slice.out_data.val();
        self.cobs.valid.next = self.slice.out_valid.val();
        self.cobs.last.next = self.slice.out_last.val();
        self.slice.out_ready.next = self.cobs.ready.val();
        self.cobs.out_ready.next = self.link_out_ready.val();
        self.link_out_data.next = self.cobs.out_data.val();
        self.link_out_valid.next = self.cobs.out_valid.val();
        self.rx_frame.next = self.rx.report_valid.val() & (self.rx.report_reason.val() == 0);
        self.rx_drop.next = self.rx.report_valid.val() & (self.rx.report_reason.val() != 0);
        self.tx_frame.next = false;
        self.link_error.next = false;
        self.phy_tx_data.next = 0.into();
        self.phy_tx_valid.next = false;
    }
}
