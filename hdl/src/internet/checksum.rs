//! The Internet checksum (RFC 1071) of a byte stream, one byte per clock.
//!
//! The sum is kept in 17 bits with the end-around carry folded back on the next byte,
//! so each clock is one add (the carry as its carry-in) rather than a 16-bit add plus a carry ripple.
//! [`OnesSum`] says whether the sum is right (`ok`, sum == 0xFFFF, final two clocks
//! after the last byte was enabled): all a receiver asks. A sender folds the
//! accumulator into the 16-bit sum with [`OnesFold`] (pipelined, final two clocks after
//! the last byte too), so that the receivers carry no fold.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct OnesSum {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub enable: Signal<In, Bit>,
    /// `data` is the high byte of its 16-bit word (an even offset).
    pub high: Signal<In, Bit>,
    /// Start over from `init` (a byte enabled in the same clock is added to it).
    pub clear: Signal<In, Bit>,
    pub init: Signal<In, Bits<17>>,
    /// The running sum, unfolded: can seed another sum (the pseudo-header), or be
    /// folded ([`OnesFold`]).
    pub acc: Signal<Out, Bits<17>>,
    pub ok: Signal<Out, Bit>,
    accumulator: DFF<Bits<17>>,
    /// `ok`, decided from the accumulator a clock ahead (in step with `OnesFold`'s
    /// first fold).
    ok_r: DFF<Bit>,
    base: Signal<Local, Bits<17>>,
    addend: Signal<Local, Bits<17>>,
    /// {base, 1} + {addend, end-around bit}: bits 17..1 are base + addend + that bit,
    /// the bit riding in as the carry into bit 1, so the add is one carry chain (a
    /// three-operand add is a layer of full adders in front of a chain).
    wide: Signal<Local, Bits<18>>,
}

impl Logic for OnesSum {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, accumulator, ok_r);
        self.base.next = self.accumulator.q.val();
        if self.clear.val() {
            self.base.next = self.init.val();
        }
        self.addend.next = bit_cast::<17, 8>(self.data.val());
        if self.high.val() {
            self.addend.next = bit_cast::<17, 8>(self.data.val()) << 8;
        }
        self.wide.next = ((bit_cast::<18, 16>(self.base.val().get_bits::<16>(0)) << 1) | 1)
            + ((bit_cast::<18, 17>(self.addend.val()) << 1)
                | bit_cast::<18, 1>(self.base.val().get_bits::<1>(16)));
        if self.enable.val() {
            self.accumulator.d.next = self.wide.val().get_bits::<17>(1);
        } else {
            self.accumulator.d.next = self.base.val();
        }
        self.acc.next = self.accumulator.q.val();
        // The same as the folded sum == 0xFFFF, with no adder in front (it was the
        // receive path's longest at 100 MHz) and no fold at all: the first fold is at
        // most 0x10000, which folds to 1, so the folded sum is all ones exactly when the
        // first fold is 0xFFFF, that is when the accumulator is 0xFFFF, or 0xFFFE with
        // the carry (bit 16) to add.
        self.ok_r.d.next = (self.accumulator.q.val().get_bits::<15>(1) == 0x7FFF)
            & (self.accumulator.q.val().get_bit(0) != self.accumulator.q.val().get_bit(16));
        self.ok.next = self.ok_r.q.val();
    }
}

/// The 16-bit sum of an [`OnesSum`]'s accumulator, folded in two pipelined steps: a
/// clock behind `acc`, so final when `ok` is.
#[derive(LogicBlock, Default)]
pub struct OnesFold {
    pub clock: Signal<In, Clock>,
    pub acc: Signal<In, Bits<17>>,
    pub sum: Signal<Out, Bits<16>>,
    fold1: DFF<Bits<17>>,
}

impl Logic for OnesFold {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, fold1);
        self.fold1.d.next = bit_cast::<17, 16>(self.acc.val().get_bits::<16>(0))
            + bit_cast::<17, 1>(self.acc.val().get_bits::<1>(16));
        self.sum.next = self.fold1.q.val().get_bits::<16>(0)
            + bit_cast::<16, 1>(self.fold1.q.val().get_bits::<1>(16));
    }
}

/// The same sum in software (ones' complement sum of 16-bit big-endian words, folded).
pub fn ones_sum(bytes: &[u8]) -> u16 {
    let mut sum = 0u32;
    for chunk in bytes.chunks(2) {
        let word = (chunk[0] as u32) << 8 | chunk.get(1).copied().unwrap_or(0) as u32;
        sum += word;
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    sum as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 16-bit sum of an accumulator, as `OnesFold` folds it.
    fn fold(acc: usize) -> usize {
        let f = (acc & 0xFFFF) + (acc >> 16);
        (f & 0xFFFF) + (f >> 16)
    }

    fn run(bytes: &[u8]) -> OnesSum {
        let mut uut = OnesSum::default();
        uut.connect_all();
        for (i, &b) in bytes.iter().enumerate() {
            uut.data.next = (b as u64).into();
            uut.enable.next = true;
            uut.high.next = i % 2 == 0;
            uut.clear.next = i == 0;
            crate::tick!(uut);
        }
        uut.enable.next = false;
        uut.clear.next = false;
        crate::tick!(uut);
        crate::tick!(uut);
        uut
    }

    #[test]
    fn sums_like_rfc1071() {
        // RFC 1071's example words 0001 f203 f4f5 f6f7 sum to ddf2.
        let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(ones_sum(&bytes), 0xddf2);
        assert_eq!(fold(run(&bytes).acc.val().index()), 0xddf2);
        // Many 0xFF bytes exercise the end-around carry on every clock.
        let ones = vec![0xFFu8; 301];
        assert_eq!(fold(run(&ones).acc.val().index()) as u16, ones_sum(&ones));
    }

    #[test]
    fn the_fold_is_two_clocks_behind() {
        let mut uut = OnesFold::default();
        uut.connect_all();
        for acc in [0usize, 0x1FFFF, 0x1FFFE, 0x10000, 0xFFFF, 0x1_2345, 0xABCD] {
            uut.acc.next = (acc as u64).into();
            crate::tick!(uut);
            crate::tick!(uut);
            assert_eq!(uut.sum.val().index(), fold(acc), "{acc:#x}");
        }
    }

    #[test]
    fn a_correct_checksum_sums_to_ffff() {
        let mut hdr = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        let csum = !ones_sum(&hdr);
        hdr[10..12].copy_from_slice(&csum.to_be_bytes());
        assert!(run(&hdr).ok.val());
        hdr[15] ^= 1;
        assert!(!run(&hdr).ok.val());
    }

    /// `ok` is decided from the unfolded accumulator: at every clock it must say what
    /// the folded sum of the accumulator a clock before says, the carry still to fold
    /// (0xFFFE + 1) included.
    #[test]
    fn ok_agrees_with_the_folded_sum_at_every_clock() {
        let mut uut = OnesSum::default();
        uut.connect_all();
        let mut seed = 0x1234_5678u32;
        let mut seen_ok = 0;
        let mut before = 0;
        for i in 0..4000 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let r = seed >> 16;
            // Mostly 0xFF bytes, so sums near 0xFFFF with a carry pending are common.
            uut.data.next = (if r % 4 == 0 { (r >> 2) & 0xFF } else { 0xFF } as u64).into();
            uut.enable.next = r % 5 != 0;
            uut.high.next = i % 2 == 0;
            uut.clear.next = r % 37 == 0;
            crate::tick!(uut);
            assert_eq!(uut.ok.val(), fold(before) == 0xFFFF, "clock {i}");
            before = uut.acc.val().index();
            seen_ok += uut.ok.val() as usize;
        }
        assert!(seen_ok > 10, "{seen_ok}");
        // Two 0xFFFF words: the accumulator holds 0x1FFFE.
        assert!(run(&[0xFF; 4]).ok.val());
    }
}
