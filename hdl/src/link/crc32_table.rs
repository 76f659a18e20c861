//! The CRC-32 byte step's XOR network (IEEE 802.3, reflected polynomial 0xEDB88320):
//! T(`data`), one byte into a zero register. A byte step of any CRC register is
//! `(crc >> 8) ^ T(crc[7:0] ^ byte)`, so this is the one definition that the receive
//! side's [`Crc32`](super::crc32::Crc32) and [`MacTx`](super::mac_tx::MacTx) each wrap
//! in a register of their own.

use rust_hdl::prelude::*;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::crc32::crc32_ieee;

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
}
