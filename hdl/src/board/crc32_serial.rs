//! Ethernet CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) one bit per clock, for
//! the host link, whose bytes come at most one every 40 clocks (a UART byte is ten bit
//! times of at least four clocks): a byte taken with `start` is absorbed in 8 clocks,
//! its bit 0 at the `start` edge, and `busy` is high for the 7 clocks after it. A `start`
//! while `busy` is not allowed. So: 32 flip-flops, a shift and ~14 XORs, where the
//! byte-per-clock [`crate::link::crc32::Crc32`] needs a 40-input XOR tree per bit.
//!
//! The register holds the complement of the CRC state, so it reads as the FCS at any
//! time (the FCS of the bytes so far is `fcs`, least significant byte first on the
//! wire) and zero, the power-up value, is the fresh start: `clear` returns to it.
//! Run over a frame and its FCS, it ends at the complement of the residue 0xDEBB20E3;
//! `residue_ok` says so.
//!
//! `flush`, held for a whole byte from its `start`, shifts the register down eight bits
//! without feedback instead of absorbing `data`: `fcs` bits 7..0 leave and zeros come in
//! at the top. Four flushed bytes send the FCS out a byte at a time and leave the
//! register at zero, ready for the next frame without a `clear`.

use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct Crc32Serial {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    /// Take `data` (only when not `busy`).
    pub start: Signal<In, Bit>,
    /// Shift out instead of absorbing (held through the byte).
    pub flush: Signal<In, Bit>,
    /// Start over (never with `start` nor while `busy`).
    pub clear: Signal<In, Bit>,
    /// Still absorbing the last byte taken.
    pub busy: Signal<Out, Bit>,
    pub fcs: Signal<Out, Bits<32>>,
    pub residue_ok: Signal<Out, Bit>,
    /// The complement of the CRC state.
    state: DFF<Bits<32>>,
    /// The byte's bits still to absorb, the next in bit 0.
    pending: DFF<Bits<7>>,
    /// Bits still to absorb.
    left: DFF<Bits<3>>,
    bit: Signal<Local, Bit>,
    /// The polynomial goes in on this step.
    feedback: Signal<Local, Bit>,
    shifted: Signal<Local, Bits<32>>,
    poly: Constant<Bits<32>>,
    residue: Constant<Bits<32>>,
}

impl Default for Crc32Serial {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            data: Default::default(),
            start: Default::default(),
            flush: Default::default(),
            clear: Default::default(),
            busy: Default::default(),
            fcs: Default::default(),
            residue_ok: Default::default(),
            state: Default::default(),
            pending: Default::default(),
            left: Default::default(),
            bit: Default::default(),
            feedback: Default::default(),
            shifted: Default::default(),
            // Bit 31 is left out: the top bit is written on its own.
            poly: Constant::new(0x6DB8_8320_u32.to_bits()),
            residue: Constant::new((!0xDEBB_20E3_u32).to_bits()),
        }
    }
}

impl Logic for Crc32Serial {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, pending, left);
        self.busy.next = self.left.q.val() != 0;
        self.fcs.next = self.state.q.val();
        self.residue_ok.next = self.state.q.val() == self.residue.val();
        self.bit.next = self.pending.q.val().get_bit(0);
        if self.start.val() {
            self.bit.next = self.data.val().get_bit(0);
        }
        // In the complement the feedback is taken when bit 0 equals the data bit.
        self.feedback.next = !(self.flush.val() | (self.state.q.val().get_bit(0) ^ self.bit.val()));
        self.shifted.next = self.state.q.val() >> 1;
        if self.feedback.val() {
            self.shifted.next = (self.state.q.val() >> 1) ^ self.poly.val();
        }
        if self.start.val() | (self.left.q.val() != 0) {
            // The shifted-in top bit is the complement's feedback, zero when flushing.
            self.state.d.next = self
                .shifted
                .val()
                .replace_bit(31, !(self.flush.val() | self.feedback.val()));
            self.pending.d.next = self.pending.q.val() >> 1;
            self.left.d.next = self.left.q.val() - 1;
        }
        if self.start.val() {
            self.pending.d.next = self.data.val().get_bits::<7>(1);
            self.left.d.next = 7.into();
        }
        if self.clear.val() {
            self.state.d.next = 0.into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::crc32::crc32_ieee;

    /// Bytes in, one every `every` clocks (at least 8), each due when `busy` is low;
    /// returns once the last is absorbed.
    fn absorb(uut: &mut Crc32Serial, bytes: &[u8], flush: bool, every: usize) {
        for &b in bytes {
            assert!(!uut.busy.val(), "busy when a byte is due");
            uut.data.next = (b as u64).into();
            uut.start.next = true;
            uut.flush.next = flush;
            crate::tick!(*uut);
            uut.start.next = false;
            uut.data.next = 0xA5.into();
            for _ in 1..every {
                assert!(simulate(&mut *uut, 100));
                crate::tick!(*uut);
            }
        }
        uut.flush.next = false;
        assert!(simulate(&mut *uut, 100));
        assert!(!uut.busy.val());
    }

    fn fresh() -> Crc32Serial {
        let mut uut = Crc32Serial::default();
        uut.connect_all();
        assert!(simulate(&mut uut, 100));
        uut
    }

    fn fcs(uut: &Crc32Serial) -> u32 {
        uut.fcs.val().index() as u32
    }

    #[test]
    fn matches_the_check_value_at_the_fastest_rate_and_slower() {
        for every in [8, 9, 83] {
            let mut uut = fresh();
            absorb(&mut uut, b"123456789", false, every);
            assert_eq!(fcs(&uut), 0xCBF4_3926);
        }
    }

    #[test]
    fn matches_the_software_crc_busy_for_seven_clocks_and_ends_at_the_residue() {
        let mut uut = fresh();
        for len in [0usize, 1, 2, 5, 64, 301] {
            let message: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
            absorb(&mut uut, &message, false, 8);
            assert_eq!(fcs(&uut), crc32_ieee(&message), "len {len}");
            assert!(!uut.residue_ok.val());
            absorb(&mut uut, &crc32_ieee(&message).to_le_bytes(), false, 8);
            assert!(uut.residue_ok.val(), "len {len}");
            uut.clear.next = true;
            crate::tick!(uut);
            uut.clear.next = false;
            assert!(simulate(&mut uut, 100));
            assert_eq!(fcs(&uut), 0);
        }
        // busy exactly for the seven clocks after start.
        uut.data.next = 0x31.into();
        uut.start.next = true;
        crate::tick!(uut);
        uut.start.next = false;
        for k in 1..=8 {
            assert!(simulate(&mut uut, 100));
            assert_eq!(uut.busy.val(), k < 8, "clock {k}");
            crate::tick!(uut);
        }
    }

    #[test]
    fn flushing_sends_the_fcs_out_a_byte_at_a_time_and_leaves_zero() {
        let mut uut = fresh();
        for message in [b"123456789".to_vec(), vec![0x00], vec![0xFF; 40]] {
            absorb(&mut uut, &message, false, 8);
            let mut out = vec![];
            for _ in 0..4 {
                out.push(fcs(&uut) as u8);
                // What goes in while flushing does not matter.
                absorb(&mut uut, &[0x5C], true, 8);
            }
            assert_eq!(out, crc32_ieee(&message).to_le_bytes());
            assert_eq!(fcs(&uut), 0);
        }
    }
}
