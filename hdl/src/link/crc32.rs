//! Ethernet CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), one byte per clock.
//!
//! `crc` holds the running register (not inverted). Run over a frame *and* its FCS, the
//! register ends at the fixed residue 0xDEBB20E3 when the FCS is right, so the receiver
//! needs no knowledge of where the FCS starts: `residue_ok` says it.
//!
//! The byte step's XOR network is [`Crc32Table`], the one definition of it: a byte step
//! of any CRC register is `(crc >> 8) ^ T(crc[7:0] ^ byte)`. `Crc32` (the receive
//! side's) is the register, its start-over, its enable and the residue check around
//! it; `MacTx` keeps a register of its own around the same table, without what only
//! the receiver needs.

use crate::link::crc32_table::Crc32Table;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct Crc32 {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    /// Absorb `data` this clock.
    pub enable: Signal<In, Bit>,
    /// Start over from 0xFFFFFFFF (a byte enabled in the same clock is the first one).
    pub init: Signal<In, Bit>,
    pub crc: Signal<Out, Bits<32>>,
    pub residue_ok: Signal<Out, Bit>,
    state: DFF<Bits<32>>,
    /// The register to step from: `state`, or all ones at `init`.
    s0: Signal<Local, Bits<32>>,
    byte_table: Crc32Table,
}

impl Logic for Crc32 {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state);
        self.crc.next = self.state.q.val();
        self.residue_ok.next = self.state.q.val() == 0xDEBB_20E3_u64;
        self.s0.next = self.state.q.val();
        if self.init.val() {
            self.s0.next = 0xFFFF_FFFF_u64.into();
        }
        // The table's index from the register itself, not from `s0`: Verilator sees a
        // child's input computed from a signal that its output also feeds as a loop.
        self.byte_table.data.next = self.state.q.val().get_bits::<8>(0) ^ self.data.val();
        if self.init.val() {
            self.byte_table.data.next = !self.data.val();
        }
        if self.enable.val() {
            self.state.d.next = (self.s0.val() >> 8) ^ self.byte_table.crc.val();
        } else {
            self.state.d.next = self.s0.val();
        }
    }
}

/// The same CRC in software, for tests and for the simulation driver that appends FCSs.
pub fn crc32_ieee(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bytes: &[u8]) -> Crc32 {
        let mut uut = Crc32::default();
        uut.connect_all();
        for (i, &b) in bytes.iter().enumerate() {
            uut.data.next = (b as u64).into();
            uut.enable.next = true;
            uut.init.next = i == 0;
            crate::tick!(uut);
        }
        uut
    }

    #[test]
    fn matches_the_check_value_and_residue() {
        // The standard check value of CRC-32 over "123456789".
        assert_eq!(crc32_ieee(b"123456789"), 0xCBF4_3926);
        let uut = run(b"123456789");
        assert_eq!(!(uut.crc.val().index() as u32), 0xCBF4_3926);
        let mut frame = b"123456789".to_vec();
        frame.extend_from_slice(&crc32_ieee(&frame).to_le_bytes());
        assert!(run(&frame).residue_ok.val());
        frame[3] ^= 0x10;
        assert!(!run(&frame).residue_ok.val());
    }
}
