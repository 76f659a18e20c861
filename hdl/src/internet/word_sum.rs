//! A ones'-complement sum of 16-bit words, one word per clock: the small sequential
//! adder the transmit blocks use for the checksums they generate (Ipv4Tx's header
//! checksum; TransportTx's TCP and UDP checksum, which starts from our IP's high half
//! as `start` and keeps `add` high, giving a zero word when there is nothing to add),
//! instead of one wide single-cycle sum of every field.
//!
//! The sum is kept in 17 bits and its end-around carry is added with the next word, so
//! each clock is a single 16-bit add with carry-in. After the last word, two more adds
//! of a zero word fold the carry away; `sum` is then the 16-bit ones'-complement sum.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct OnesWordSum {
    pub clock: Signal<In, Clock>,
    pub word: Signal<In, Bits<16>>,
    /// Add `word` this clock.
    pub add: Signal<In, Bit>,
    /// Start over from `start` (a word added in the same clock is added to it).
    pub clear: Signal<In, Bit>,
    pub start: Signal<In, Bits<16>>,
    pub sum: Signal<Out, Bits<16>>,
    acc: DFF<Bits<17>>,
    base: Signal<Local, Bits<17>>,
    /// {base, 1} + {word, end-around bit}: bits 17..1 are the sum with that bit as the
    /// carry in, one carry chain (a three-operand add would put a layer of full
    /// adders in front of it).
    wide: Signal<Local, Bits<18>>,
}

impl Logic for OnesWordSum {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, acc);
        self.base.next = self.acc.q.val();
        if self.clear.val() {
            self.base.next = bit_cast::<17, 16>(self.start.val());
        }
        self.acc.d.next = self.base.val();
        self.wide.next = ((bit_cast::<18, 16>(self.base.val().get_bits::<16>(0)) << 1) | 1)
            + ((bit_cast::<18, 16>(self.word.val()) << 1)
                | bit_cast::<18, 1>(self.base.val().get_bits::<1>(16)));
        if self.add.val() {
            self.acc.d.next = self.wide.val().get_bits::<17>(1);
        }
        self.sum.next = self.acc.q.val().get_bits::<16>(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::internet::checksum::ones_sum;

    #[test]
    fn sums_words_like_rfc1071() {
        let words: Vec<u16> = vec![
            0xFFFF, 0xFFFF, 0x0001, 0xf203, 0xf4f5, 0xf6f7, 0x8000, 0x8000,
        ];
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        let mut uut = OnesWordSum::default();
        uut.connect_all();
        // Garbage first, then a clear from zero with the first word.
        uut.add.next = true;
        uut.word.next = 0x1234.into();
        crate::tick!(uut);
        for (i, &w) in words.iter().chain([0, 0].iter()).enumerate() {
            uut.clear.next = i == 0;
            uut.word.next = (w as u64).into();
            crate::tick!(uut);
        }
        assert_eq!(uut.sum.val().index() as u16, ones_sum(&bytes));
        // Without `add` the sum holds.
        uut.add.next = false;
        crate::tick!(uut);
        assert_eq!(uut.sum.val().index() as u16, ones_sum(&bytes));
        // From `start`: the same as if it were the first word.
        uut.add.next = true;
        uut.start.next = 0xF00D.into();
        for (i, &w) in words.iter().chain([0, 0].iter()).enumerate() {
            uut.clear.next = i == 0;
            uut.word.next = (w as u64).into();
            crate::tick!(uut);
        }
        let with_start: Vec<u8> = [0xF0, 0x0D].iter().chain(&bytes).copied().collect();
        assert_eq!(uut.sum.val().index() as u16, ones_sum(&with_start));
    }
}
