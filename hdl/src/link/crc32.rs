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

/// T(`data`): one byte into a zero register, a bit at a time (no register, no enable:
/// each user keeps its own).
#[derive(LogicBlock)]
pub struct Crc32Table {
    pub data: Signal<In, Bits<8>>,
    pub crc: Signal<Out, Bits<32>>,
    // The eight bit-serial steps of one byte, unrolled.
    s0: Signal<Local, Bits<32>>,
    s1: Signal<Local, Bits<32>>,
    s2: Signal<Local, Bits<32>>,
    s3: Signal<Local, Bits<32>>,
    s4: Signal<Local, Bits<32>>,
    s5: Signal<Local, Bits<32>>,
    s6: Signal<Local, Bits<32>>,
    s7: Signal<Local, Bits<32>>,
    s8: Signal<Local, Bits<32>>,
    poly: Constant<Bits<32>>,
}

impl Default for Crc32Table {
    fn default() -> Self {
        Self {
            data: Default::default(),
            crc: Default::default(),
            s0: Default::default(),
            s1: Default::default(),
            s2: Default::default(),
            s3: Default::default(),
            s4: Default::default(),
            s5: Default::default(),
            s6: Default::default(),
            s7: Default::default(),
            s8: Default::default(),
            poly: Constant::new(0xEDB8_8320_u32.to_bits()),
        }
    }
}

impl Logic for Crc32Table {
    #[hdl_gen]
    fn update(&mut self) {
        self.s0.next = 0.into();
        self.s1.next = self.s0.val() >> 1;
        if self.s0.val().get_bit(0) ^ self.data.val().get_bit(0) {
            self.s1.next = (self.s0.val() >> 1) ^ self.poly.val();
        }
        self.s2.next = self.s1.val() >> 1;
        if self.s1.val().get_bit(0) ^ self.data.val().get_bit(1) {
            self.s2.next = (self.s1.val() >> 1) ^ self.poly.val();
        }
        self.s3.next = self.s2.val() >> 1;
        if self.s2.val().get_bit(0) ^ self.data.val().get_bit(2) {
            self.s3.next = (self.s2.val() >> 1) ^ self.poly.val();
        }
        self.s4.next = self.s3.val() >> 1;
        if self.s3.val().get_bit(0) ^ self.data.val().get_bit(3) {
            self.s4.next = (self.s3.val() >> 1) ^ self.poly.val();
        }
        self.s5.next = self.s4.val() >> 1;
        if self.s4.val().get_bit(0) ^ self.data.val().get_bit(4) {
            self.s5.next = (self.s4.val() >> 1) ^ self.poly.val();
        }
        self.s6.next = self.s5.val() >> 1;
        if self.s5.val().get_bit(0) ^ self.data.val().get_bit(5) {
            self.s6.next = (self.s5.val() >> 1) ^ self.poly.val();
        }
        self.s7.next = self.s6.val() >> 1;
        if self.s6.val().get_bit(0) ^ self.data.val().get_bit(6) {
            self.s7.next = (self.s6.val() >> 1) ^ self.poly.val();
        }
        self.s8.next = self.s7.val() >> 1;
        if self.s7.val().get_bit(0) ^ self.data.val().get_bit(7) {
            self.s8.next = (self.s7.val() >> 1) ^ self.poly.val();
        }
        self.crc.next = self.s8.val();
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

    /// Every row of the table, against the software CRC of one byte: from all ones, a
    /// byte b leaves (all ones >> 8) ^ T(0xFF ^ b), complemented.
    #[test]
    fn the_table_is_the_byte_step_from_zero() {
        let mut uut = Crc32Table::default();
        uut.connect_all();
        for x in 0..=255u8 {
            uut.data.next = (x as u64).into();
            assert!(simulate(&mut uut, 100));
            let want = !crc32_ieee(&[x ^ 0xFF]) ^ 0x00FF_FFFF;
            assert_eq!(uut.crc.val().index() as u32, want, "row {x:#04x}");
        }
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
