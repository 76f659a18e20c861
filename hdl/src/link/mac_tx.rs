//! Ethernet transmit MAC: from a frame without its source address to PHY bytes.
//!
//! The stream in is the frame from its destination MAC on, as `Ipv4Tx` makes it:
//! destination MAC, EtherType, the L3 bytes. Each frame goes out as preamble
//! (7 × 0x55), SFD (0xD5), the destination MAC, our MAC (`mac_*`), the rest of the
//! stream (EtherType and L3 bytes), zero padding up to 60 bytes, the FCS
//! (CRC-32, least significant byte first), then at least 12 idle clocks: exactly 12 when
//! the next frame is already waiting. `phy_tx_valid` is high from the first preamble
//! byte to the last FCS byte, one byte per clock.
//!
//! The source is a register stage with a same-clock `ready`: its `data`, `valid` and
//! `last` come from flip-flops (Ipv4Tx's output skid buffer, a [`StreamSkid`]), and
//! `ready` is this block's own decode of its state and the PHY's stall, so a stall or
//! this block's state reaches that buffer's registers and no further (the skid
//! buffer's own `ready` is a register). Once the header is out a byte is taken every
//! clock the PHY is not stalled: the source must keep `valid` up until `last` (a
//! missing byte there would put a hole in the frame), which a skid buffer fed a byte
//! every clock its `ready` is high does. A byte is chosen one clock (into `cur`) and
//! is on `phy_tx_data` the next, when the CRC absorbs it: the CRC's logic does not sit
//! behind the source's. `sent` pulses with the last FCS byte.
//!
//! The CRC is this block's own register, a byte a clock through [`Crc32Table`] (the
//! receive side's `Crc32` steps through the same network, with the start-over and the
//! residue check that only it needs). It is zero between frames and takes a frame's
//! first four bytes complemented instead of starting from all ones (no start-over
//! mux), and the FCS leaves by shifting it out, a byte a clock (no byte picked out of
//! 32 bits).
//!
//! [`StreamSkid`]: crate::board::stream_skid::StreamSkid

use crate::link::crc32_table::Crc32Table;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct MacTx {
    pub clock: Signal<In, Clock>,
    pub mac_hi: Signal<In, Bits<16>>,
    pub mac_mid: Signal<In, Bits<16>>,
    pub mac_lo: Signal<In, Bits<16>>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    pub ready: Signal<Out, Bit>,
    pub phy_tx_data: Signal<Out, Bits<8>>,
    pub phy_tx_valid: Signal<Out, Bit>,
    pub sent: Signal<Out, Bit>,
    /// The PHY cannot take a byte this clock (a clock-domain FIFO toward a slower PHY
    /// is full): everything holds, and the byte on `phy_tx_data` waits to be taken.
    pub phy_stall: Signal<In, Bit>,
    in_ready: Signal<Local, Bit>,
    /// The header byte at `count` is there to be sent (ours always; the destination's
    /// when the stream has it).
    advance: Signal<Local, Bit>,
    /// 0 idle, 1 preamble, 2 header, 3 payload, 4 padding, 5 FCS, 6 gap.
    state: DFF<Bits<3>>,
    /// One counter for every state: the byte within the preamble, the FCS and the gap;
    /// from the MAC header to the padding's end, the frame's bytes so far (to 60).
    count: DFF<Bits<6>>,
    // The byte on `phy_tx_data` (chosen a clock ahead), and what it is.
    cur: DFF<Bits<8>>,
    cur_valid: DFF<Bit>,
    cur_crc: DFF<Bit>,
    cur_fcs: DFF<Bit>,
    /// One of the frame's first four bytes: the CRC takes it complemented.
    cur_inv: DFF<Bit>,
    cur_sent: DFF<Bit>,
    header_byte: Signal<Local, Bits<8>>,
    /// The CRC register (not inverted), zero between frames.
    crc: DFF<Bits<32>>,
    /// The byte step's XOR network, indexed by the register's low byte XOR the byte.
    byte_table: Crc32Table,
}

impl Logic for MacTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, count, cur, cur_valid, cur_crc, cur_fcs, cur_inv, cur_sent, crc
        );
        // Our MAC, after the destination's six bytes.
        self.header_byte.next = 0.into();
        match self.count.q.val().get_bits::<4>(0).index() {
            6 => self.header_byte.next = self.mac_hi.val().get_bits::<8>(8),
            7 => self.header_byte.next = self.mac_hi.val().get_bits::<8>(0),
            8 => self.header_byte.next = self.mac_mid.val().get_bits::<8>(8),
            9 => self.header_byte.next = self.mac_mid.val().get_bits::<8>(0),
            10 => self.header_byte.next = self.mac_lo.val().get_bits::<8>(8),
            11 => self.header_byte.next = self.mac_lo.val().get_bits::<8>(0),
            _ => {}
        }
        // Choose the next byte.
        self.cur_valid.d.next = false;
        self.cur_crc.d.next = false;
        self.cur_fcs.d.next = false;
        self.cur_inv.d.next = false;
        self.cur_sent.d.next = false;
        self.cur.d.next = 0.into();
        self.in_ready.next = false;
        self.advance.next = false;
        match self.state.q.val().index() {
            0 => {
                if self.valid.val() {
                    self.cur.d.next = 0x55.into();
                    self.cur_valid.d.next = true;
                    self.state.d.next = 1.into();
                    self.count.d.next = 1.into();
                }
            }
            1 => {
                self.cur.d.next = 0x55.into();
                self.cur_valid.d.next = true;
                self.count.d.next = self.count.q.val() + 1;
                if self.count.q.val() == 7 {
                    self.cur.d.next = 0xD5.into();
                    self.state.d.next = 2.into();
                    self.count.d.next = 0.into();
                }
            }
            2 => {
                // Destination (the stream's first six bytes), then ours.
                self.cur.d.next = self.header_byte.val();
                self.advance.next = true;
                // count < 6 and < 4 from bits: compares with a constant would be carry
                // chains in front of `ready`, which reaches the source's buffer (a
                // critical path).
                if (self.count.q.val().get_bits::<3>(3) == 0)
                    & !(self.count.q.val().get_bit(2) & self.count.q.val().get_bit(1))
                {
                    self.in_ready.next = true;
                    self.cur.d.next = self.data.val();
                    self.advance.next = self.valid.val();
                }
                self.cur_valid.d.next = self.advance.val();
                self.cur_crc.d.next = self.advance.val();
                self.cur_inv.d.next =
                    self.advance.val() & (self.count.q.val().get_bits::<4>(2) == 0);
                if self.advance.val() {
                    self.count.d.next = self.count.q.val() + 1;
                    if self.count.q.val() == 11 {
                        self.state.d.next = 3.into();
                    }
                }
            }
            3 => {
                self.in_ready.next = true;
                self.cur.d.next = self.data.val();
                self.cur_valid.d.next = self.valid.val();
                self.cur_crc.d.next = self.valid.val();
                if self.valid.val() {
                    if self.count.q.val() != 60 {
                        self.count.d.next = self.count.q.val() + 1;
                    }
                    if self.last.val() {
                        self.state.d.next = 4.into();
                        // At least 59 (it stops at 60).
                        if (self.count.q.val() == 59) | (self.count.q.val() == 60) {
                            self.state.d.next = 5.into();
                            self.count.d.next = 0.into();
                        }
                    }
                }
            }
            4 => {
                self.cur_valid.d.next = true;
                self.cur_crc.d.next = true;
                self.count.d.next = self.count.q.val() + 1;
                if self.count.q.val() == 59 {
                    self.state.d.next = 5.into();
                    self.count.d.next = 0.into();
                }
            }
            5 => {
                self.cur_valid.d.next = true;
                self.cur_fcs.d.next = true;
                self.count.d.next = self.count.q.val() + 1;
                if self.count.q.val() == 3 {
                    self.cur_sent.d.next = true;
                    self.state.d.next = 6.into();
                    self.count.d.next = 0.into();
                }
            }
            _ => {
                self.count.d.next = self.count.q.val() + 1;
                if self.count.q.val() == 11 {
                    self.state.d.next = 0.into();
                }
            }
        }
        // Send it, through the CRC: a byte step is the register shifted right by a byte,
        // XOR the table's row for x (its low byte XOR the byte). The CRC never starts
        // over (no all-ones mux in front of its XOR network): it is zero between frames
        // (below), and a CRC from all ones is the same as one from zero over the frame
        // with its first 32 bits complemented (IEEE 802.3 defines the FCS that way).
        self.byte_table.data.next = self.crc.q.val().get_bits::<8>(0) ^ self.cur.q.val();
        if self.cur_inv.q.val() {
            self.byte_table.data.next = !(self.crc.q.val().get_bits::<8>(0) ^ self.cur.q.val());
        }
        self.phy_tx_data.next = self.cur.q.val();
        if self.cur_fcs.q.val() {
            // The FCS is the register's complement, low byte first: with x zero (the
            // byte taken is the register's own low byte) the register shifts right by a
            // byte, so the next FCS byte is always its low byte, not a byte picked out of
            // 32 bits, and after the fourth the register is zero for the next frame.
            self.byte_table.data.next = 0.into();
            self.phy_tx_data.next = !self.crc.q.val().get_bits::<8>(0);
        }
        self.crc.d.next = self.crc.q.val();
        if (self.cur_crc.q.val() | self.cur_fcs.q.val()) & !self.phy_stall.val() {
            self.crc.d.next = (self.crc.q.val() >> 8) ^ self.byte_table.crc.val();
        }
        self.phy_tx_valid.next = self.cur_valid.q.val();
        self.sent.next = self.cur_sent.q.val() & !self.phy_stall.val();
        // A stall freezes the whole block (a clock enable): no byte taken, none chosen,
        // none absorbed by the CRC.
        if self.phy_stall.val() {
            self.in_ready.next = false;
            self.state.d.next = self.state.q.val();
            self.count.d.next = self.count.q.val();
            self.cur.d.next = self.cur.q.val();
            self.cur_valid.d.next = self.cur_valid.q.val();
            self.cur_crc.d.next = self.cur_crc.q.val();
            self.cur_fcs.d.next = self.cur_fcs.q.val();
            self.cur_inv.d.next = self.cur_inv.q.val();
            self.cur_sent.d.next = self.cur_sent.q.val();
        }
        self.ready.next = self.in_ready.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::stream_skid::StreamSkid;
    use crate::link::crc32::crc32_ieee;
    use crate::link::mac_rx::phy_bytes;

    const OURS: [u8; 6] = [0x02, 0x00, 0x00, 0x12, 0x34, 0x56];
    const PEER: [u8; 6] = [0x02, 0x00, 0x00, 0xAB, 0xCD, 0xEF];

    fn words(mac: [u8; 6]) -> [u64; 3] {
        [0, 2, 4].map(|i| (mac[i] as u64) << 8 | mac[i + 1] as u64)
    }

    /// Offers the payloads (L3 bytes) back to back, each byte as soon as the buffer in
    /// front of the MAC takes one, behind the destination and EtherType as `Ipv4Tx`
    /// gives them; returns the PHY bytes with their clocks, and the clocks `sent` was
    /// up.
    fn run(payloads: &[Vec<u8>]) -> (Vec<(usize, u8)>, Vec<usize>) {
        run_stalled(payloads, |_| false)
    }

    /// As [`run`], with the PHY stalling on the clocks `stall` picks; the clocks of the
    /// bytes taken are counted in clocks the PHY was ready. The MAC is fed as in the
    /// pipeline, from a register stage: a skid buffer, whose `ready` is what the logic
    /// in front of it sees.
    fn run_stalled(
        payloads: &[Vec<u8>],
        mut stall: impl FnMut(usize) -> bool,
    ) -> (Vec<(usize, u8)>, Vec<usize>) {
        let mut uut = MacTx::default();
        uut.connect_all();
        let mut skid = StreamSkid::default();
        skid.connect_all();
        let [h, m, l] = words(OURS);
        uut.mac_hi.next = h.into();
        uut.mac_mid.next = m.into();
        uut.mac_lo.next = l.into();
        // What Ipv4Tx hands on: the destination, the EtherType, the L3 bytes.
        let payloads: Vec<Vec<u8>> = payloads
            .iter()
            .map(|p| [&PEER[..], &[0x08, 0x00], p].concat())
            .collect();
        let (mut frame, mut pos) = (0, 0);
        let (mut out, mut sent) = (vec![], vec![]);
        let clocks: usize = payloads.iter().map(|p| p.len().max(46) + 40).sum::<usize>() + 20;
        let mut clock = 0;
        let mut raw = 0;
        // The MAC's `ready` into the buffer, then the buffer's own.
        let settle = |uut: &mut MacTx, skid: &mut StreamSkid, stalled: bool| {
            uut.phy_stall.next = stalled;
            uut.data.next = skid.out_data.val();
            uut.valid.next = skid.out_valid.val();
            uut.last.next = skid.out_last.val();
            assert!(simulate(uut, 200));
            skid.out_ready.next = uut.ready.val();
            assert!(simulate(skid, 200));
            assert!(!(stalled && uut.ready.val()), "a byte taken in a stall");
            skid.ready.val()
        };
        while clock < clocks {
            raw += 1;
            let stalled = stall(raw);
            let p = payloads.get(frame).cloned().unwrap_or_default();
            let offer = frame < payloads.len();
            skid.valid.next = offer;
            skid.data.next = (p.get(pos).copied().unwrap_or(0) as u64).into();
            skid.last.next = pos + 1 == p.len();
            uut.clock.next = false.into();
            skid.clock.next = false.into();
            let other = settle(&mut uut, &mut skid, !stalled);
            let ready = settle(&mut uut, &mut skid, stalled);
            // The stall reaches the buffer's registers, not the logic in front of it.
            assert_eq!(ready, other, "ready follows the stall");
            // The buffer takes bytes whether the PHY stalls or not.
            if offer && ready {
                pos += 1;
                if pos == p.len() {
                    frame += 1;
                    pos = 0;
                }
            }
            if !stalled {
                if uut.phy_tx_valid.val() {
                    out.push((clock, uut.phy_tx_data.val().index() as u8));
                }
                if uut.sent.val() {
                    sent.push(clock);
                }
                clock += 1;
            }
            uut.clock.next = true.into();
            skid.clock.next = true.into();
            assert!(simulate(&mut uut, 200));
            assert!(simulate(&mut skid, 200));
        }
        assert_eq!(frame, payloads.len(), "not every payload was taken");
        (out, sent)
    }

    /// The wire bytes of one frame as the standard has them.
    fn expected(payload: &[u8]) -> Vec<u8> {
        let mut f = [PEER, OURS].concat();
        f.extend([0x08, 0x00]);
        f.extend(payload);
        f.resize(f.len().max(60), 0);
        phy_bytes(&f, true)
    }

    #[test]
    fn frames_are_framed_padded_and_checked() {
        let payloads: Vec<Vec<u8>> = [1usize, 2, 45, 46, 47, 300]
            .iter()
            .map(|&n| (0..n).map(|i| (i * 7 + n) as u8).collect())
            .collect();
        let (out, sent) = run(&payloads);
        let want: Vec<u8> = payloads.iter().flat_map(|p| expected(p)).collect();
        assert_eq!(out.iter().map(|o| o.1).collect::<Vec<_>>(), want);
        // Back to back: exactly 12 idle clocks between frames, `sent` on each last byte.
        let mut starts = vec![0];
        for w in out.windows(2) {
            if w[1].0 != w[0].0 + 1 {
                assert_eq!(w[1].0 - w[0].0 - 1, 12, "inter-frame gap");
                starts.push(out.iter().position(|o| o.0 == w[1].0).unwrap());
            }
        }
        assert_eq!(starts.len(), payloads.len());
        let ends: Vec<usize> = starts[1..]
            .iter()
            .map(|&s| out[s - 1].0)
            .chain([out.last().unwrap().0])
            .collect();
        assert_eq!(sent, ends);
        // The FCS is over the frame as sent (padding included).
        let first = &want[8..8 + 60];
        assert_eq!(want[68..72], crc32_ieee(first).to_le_bytes());
    }

    /// A PHY that stalls at random gets the very same bytes, at the same ready clocks, and
    /// `ready` never follows the stall in the same clock.
    #[test]
    fn stalls_change_nothing_but_time() {
        let payloads: Vec<Vec<u8>> = [1usize, 30, 46, 47, 200]
            .iter()
            .map(|&n| (0..n).map(|i| (i * 7 + 3) as u8).collect())
            .collect();
        let plain = run(&payloads);
        let mut x = 12345u32;
        let stalled = run_stalled(&payloads, |_| {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            (x >> 16) % 3 == 0
        });
        assert_eq!(plain, stalled);
    }
}
