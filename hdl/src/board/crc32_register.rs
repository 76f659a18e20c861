//! The host link's CRC-32 register (IEEE 802.3, reflected, polynomial 0xEDB88320), a
//! byte a clock through [`Crc32Table`]: the one register both ends of the board's link
//! keep, [`CrcAppend`] (board → host) to append each message's FCS and [`CrcCheck`]
//! (host → board) to check it.
//!
//! The register holds the complement of the CRC state, so zero (its power-up value) is
//! the fresh start and `fcs` reads as the FCS of the bytes so far at any time (least
//! significant byte first on the wire). In the complement a byte step is
//! `s' = (s >> 8) ^ 0xFF000000 ^ T(!(s[7:0] ^ byte))`. Run over a frame and its FCS, the
//! register ends at [`RESIDUE`], the complement of the residue 0xDEBB20E3.
//!
//! With `shifting`, a step sends the FCS out instead of absorbing `data`: the table's
//! index is forced to zero (T(0) = 0) and the top byte's ones off, so the register
//! shifts right a byte, its low byte is always the next FCS byte, and after four such
//! steps it is zero again, ready for the next frame with no clear. `shifting` chooses the
//! table's input and `step` only enables the register, so whatever decides that a byte
//! moves (a consumer's ready) reaches the flip-flops' enable and not the XOR network.
//!
//! [`CrcAppend`]: super::crc_append::CrcAppend
//! [`CrcCheck`]: super::crc_check::CrcCheck

use crate::link::crc32_table::Crc32Table;
use rust_hdl::prelude::*;

/// What the register holds after a frame and its own FCS have gone through it.
pub const RESIDUE: u32 = !0xDEBB_20E3;

#[derive(LogicBlock)]
pub struct Crc32Register {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    /// Take a step: absorb `data`, or shift a byte out when `shifting`.
    pub step: Signal<In, Bit>,
    pub shifting: Signal<In, Bit>,
    /// The FCS of the bytes absorbed since the last four shifts (or power-up).
    pub fcs: Signal<Out, Bits<32>>,
    /// The complement of the CRC state.
    crc: DFF<Bits<32>>,
    /// The byte step's XOR network, indexed by the register's low byte XOR the byte.
    byte_table: Crc32Table,
    /// The complement's new top byte: ones when absorbing, zeros when shifting out.
    top: Signal<Local, Bits<32>>,
    ones: Constant<Bits<32>>,
}

impl Default for Crc32Register {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            data: Default::default(),
            step: Default::default(),
            shifting: Default::default(),
            fcs: Default::default(),
            crc: Default::default(),
            byte_table: Default::default(),
            top: Default::default(),
            ones: Constant::new(0xFF00_0000_u32.to_bits()),
        }
    }
}

impl Logic for Crc32Register {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, crc);
        self.byte_table.data.next = !(self.crc.q.val().get_bits::<8>(0) ^ self.data.val());
        self.top.next = self.ones.val();
        if self.shifting.val() {
            self.byte_table.data.next = 0.into();
            self.top.next = 0.into();
        }
        if self.step.val() {
            self.crc.d.next =
                (self.crc.q.val() >> 8) ^ (self.byte_table.crc.val() ^ self.top.val());
        }
        self.fcs.next = self.crc.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::crc32::crc32_ieee;

    fn fresh() -> Crc32Register {
        let mut uut = Crc32Register::default();
        uut.connect_all();
        assert!(simulate(&mut uut, 100));
        uut
    }

    /// Steps `bytes` in (or shifts, if `shifting`), one a clock, with `idle` clocks
    /// without a step after each; returns the low byte before each step.
    fn steps(uut: &mut Crc32Register, bytes: &[u8], shifting: bool, idle: usize) -> Vec<u8> {
        let mut low = vec![];
        for &b in bytes {
            low.push(uut.fcs.val().index() as u8);
            uut.data.next = (b as u64).into();
            uut.step.next = true;
            uut.shifting.next = shifting;
            assert!(simulate(uut, 100));
            crate::tick!(*uut);
            for _ in 0..idle {
                uut.step.next = false;
                uut.data.next = 0x5A.into();
                assert!(simulate(uut, 100));
                crate::tick!(*uut);
            }
        }
        uut.step.next = false;
        assert!(simulate(uut, 100));
        low
    }

    fn fcs(uut: &Crc32Register) -> u32 {
        uut.fcs.val().index() as u32
    }

    #[test]
    fn matches_the_software_crc_and_ends_at_the_residue() {
        for idle in [0, 2] {
            let mut uut = fresh();
            steps(&mut uut, b"123456789", false, idle);
            assert_eq!(fcs(&uut), 0xCBF4_3926, "the check value");
        }
        for len in [1, 2, 5, 64, 301] {
            let frame: Vec<u8> = (0..len).map(|i| (i * 97 + 11) as u8).collect();
            let mut uut = fresh();
            steps(&mut uut, &frame, false, 0);
            assert_eq!(fcs(&uut), crc32_ieee(&frame), "len {len}");
            assert_ne!(fcs(&uut), RESIDUE);
            steps(&mut uut, &crc32_ieee(&frame).to_le_bytes(), false, 0);
            assert_eq!(fcs(&uut), RESIDUE, "len {len}");
        }
    }

    #[test]
    fn shifting_sends_the_fcs_out_a_byte_at_a_time_and_leaves_zero() {
        let mut uut = fresh();
        let frame = b"the quick brown fox".to_vec();
        steps(&mut uut, &frame, false, 0);
        // `data` is ignored while shifting.
        let out = steps(&mut uut, &[0xFF, 0x00, 0x12, 0xA5], true, 1);
        assert_eq!(out, crc32_ieee(&frame).to_le_bytes());
        assert_eq!(fcs(&uut), 0, "a fresh start");
        steps(&mut uut, b"123456789", false, 0);
        assert_eq!(fcs(&uut), 0xCBF4_3926, "the next frame starts clean");
    }
}
