//! RMII transmit: bytes from the transmit FIFO to TX_EN and TXD[1:0] (REF_CLK domain).
//!
//! The FIFO (first-word fall-through, filled from the core clock by
//! [`crate::board::tx_phy_fifo::TxPhyFifo`]) holds 9-bit entries: a byte of the frame
//! (preamble, SFD, frame, FCS, as mac_tx emits them) with bit 8 clear, or an end marker
//! with bit 8 set, written when the frame is over. Each byte goes out LSB first, a dibit
//! a clock at 100 Mbit, each dibit held ten clocks at 10 Mbit (`speed_10`, sampled when
//! a frame starts).
//!
//! A frame starts only once the FIFO has held data for `START_DELAY` clocks: the core
//! side writes eight bytes per byte sent, so by then the FIFO is as full as its
//! pointer crossing lets it be, and the frame cannot run dry. If it does run dry
//! (the core stopped mid-frame), TX_EN falls at the byte boundary and `underrun` pulses:
//! the peer sees a short frame and drops it on its FCS.
//!
//! TXD and TX_EN come straight from flip-flops.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct RmiiTx {
    /// REF_CLK.
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<9>>,
    pub empty: Signal<In, Bit>,
    pub read: Signal<Out, Bit>,
    pub speed_10: Signal<In, Bit>,
    pub tx_en: Signal<Out, Bit>,
    pub txd: Signal<Out, Bits<2>>,
    pub underrun: Signal<Out, Bit>,
    active: DFF<Bit>,
    ten: DFF<Bit>,
    /// The byte going out; its next dibit in bits 1..0.
    cur: DFF<Bits<8>>,
    phase: DFF<Bits<2>>,
    div: DFF<Bits<4>>,
    hold_off: DFF<Bits<5>>,
    underrun_r: DFF<Bit>,
    /// The current dibit's last clock.
    step: Signal<Local, Bit>,
}

impl Logic for RmiiTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, active, ten, cur, phase, div, hold_off, underrun_r);
        self.read.next = false;
        self.underrun_r.d.next = false;
        self.step.next = !self.ten.q.val() | (self.div.q.val() == 9);
        if !self.active.q.val() {
            self.hold_off.d.next = 0.into();
            if !self.empty.val() {
                if self.data.val().get_bit(8) {
                    // An end marker with no frame before it (an aborted frame): skip it.
                    self.read.next = true;
                } else if self.hold_off.q.val() == 16 {
                    self.read.next = true;
                    self.active.d.next = true;
                    self.ten.d.next = self.speed_10.val();
                    self.cur.d.next = self.data.val().get_bits::<8>(0);
                    self.phase.d.next = 0.into();
                    self.div.d.next = 0.into();
                } else {
                    self.hold_off.d.next = self.hold_off.q.val() + 1;
                }
            }
        } else {
            if self.ten.q.val() {
                self.div.d.next = self.div.q.val() + 1;
                if self.div.q.val() == 9 {
                    self.div.d.next = 0.into();
                }
            }
            if self.step.val() {
                self.phase.d.next = self.phase.q.val() + 1;
                self.cur.d.next = self.cur.q.val() >> 2;
                if self.phase.q.val() == 3 {
                    if self.empty.val() {
                        self.active.d.next = false;
                        self.underrun_r.d.next = true;
                    } else {
                        self.read.next = true;
                        if self.data.val().get_bit(8) {
                            self.active.d.next = false;
                        } else {
                            self.cur.d.next = self.data.val().get_bits::<8>(0);
                        }
                    }
                }
            }
        }
        self.tx_en.next = self.active.q.val();
        self.txd.next = self.cur.q.val().get_bits::<2>(0);
        self.underrun.next = self.underrun_r.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::mac_rx::phy_bytes;
    use crate::link::rmii_rx::{receive_rmii, RmiiPins, RmiiRxFrame};
    use std::collections::VecDeque;

    /// Sends the entries through `RmiiTx` from a FIFO that is filled before the frame
    /// starts (as the core side does), returning the pins clock by clock.
    fn transmit(entries: &[u16], ten: bool) -> (Vec<RmiiPins>, usize) {
        let mut uut = RmiiTx::default();
        uut.connect_all();
        let mut fifo: VecDeque<u16> = entries.iter().copied().collect();
        let (mut pins, mut underruns) = (vec![], 0);
        for _ in 0..(entries.len() + 10) * 4 * if ten { 10 } else { 1 } + 100 {
            uut.empty.next = fifo.is_empty();
            uut.data.next = (*fifo.front().unwrap_or(&0) as u64).into();
            uut.speed_10.next = ten;
            assert!(simulate(&mut uut, 100));
            let read = uut.read.val();
            crate::tick!(uut);
            if read {
                fifo.pop_front();
            }
            underruns += uut.underrun.val() as usize;
            pins.push(RmiiPins {
                crs_dv: uut.tx_en.val(),
                rxd: uut.txd.val().index() as u8,
                rx_er: false,
            });
        }
        assert!(fifo.is_empty());
        (pins, underruns)
    }

    fn entries(frames: &[Vec<u8>]) -> Vec<u16> {
        let mut e = vec![];
        for f in frames {
            e.extend(f.iter().map(|&b| b as u16));
            e.push(0x100);
        }
        e
    }

    #[test]
    fn loops_back_through_rmii_rx_at_100_and_10_mbit() {
        let a = phy_bytes(&(0..60).map(|i| i as u8).collect::<Vec<_>>(), true);
        let b = phy_bytes(&(0..200).map(|i| (i * 7) as u8).collect::<Vec<_>>(), true);
        for ten in [false, true] {
            let (pins, underruns) = transmit(&entries(&[a.clone(), b.clone()]), ten);
            assert_eq!(underruns, 0);
            // TX_EN is high for exactly the frames' dibits.
            let hold = if ten { 10 } else { 1 };
            let high = pins.iter().filter(|p| p.crs_dv).count();
            assert_eq!(high, (a.len() + b.len()) * 4 * hold);
            let got = receive_rmii(&pins);
            let want: Vec<RmiiRxFrame> = [&a, &b]
                .iter()
                .map(|f| RmiiRxFrame {
                    bytes: f[7..].to_vec(),
                    error: false,
                    speed_10: ten,
                })
                .collect();
            assert_eq!(got, want, "10 Mbit {ten}");
        }
    }

    #[test]
    fn running_dry_mid_frame_ends_it_with_an_underrun() {
        let a = phy_bytes(&[0x11; 60], true);
        let cut: Vec<u16> = a[..40].iter().map(|&b| b as u16).collect();
        let (pins, underruns) = transmit(&cut, false);
        assert_eq!(underruns, 1);
        assert_eq!(pins.iter().filter(|p| p.crs_dv).count(), 40 * 4);
    }
}
