//! The Internet checksum (RFC 1071) of a byte stream, one byte per clock: [`OnesCheck`]
//! says whether a received header's or segment's sum is right (`ok`, final two clocks
//! after the last byte was enabled), all a receiver asks. The transmit side sums in
//! words ([`OnesWordSum`](super::word_sum::OnesWordSum) in Ipv4Tx and TransportTx),
//! so there is no byte sum with a fold here.

use rust_hdl::prelude::*;

/// Whether the Internet checksum of a byte stream is right, for a receiver that needs
/// nothing else (`ok`, final two clocks after the last byte was enabled). The enabled bytes must alternate high and low, as a header's or a
/// datagram's do (an even-length gap between them keeps the alternation): the receive
/// path's streams are such.
///
/// The sum is kept as its two bytes, each summed on its own adder with no byte lane to
/// choose (a high byte adds to `hi`, a low one to `lo`), and one carry between them:
/// the carry out of one byte's add is the carry into the next byte's, into the other
/// half (out of `lo` into `hi` is a carry; out of `hi` into `lo` is the end-around
/// carry): no 16-bit add behind a lane choice.
#[derive(LogicBlock, Default)]
pub struct OnesCheck {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub enable: Signal<In, Bit>,
    /// `data` is the high byte of its 16-bit word (an even offset).
    pub high: Signal<In, Bit>,
    /// Start over from zero (a byte enabled in the same clock is added to it).
    pub clear: Signal<In, Bit>,
    pub ok: Signal<Out, Bit>,
    hi: DFF<Bits<8>>,
    lo: DFF<Bits<8>>,
    /// The carry out of the last byte's add, still to add into the other half.
    carry: DFF<Bit>,
    /// The last byte was a high one: the carry is the end-around one (weight 1), not
    /// one into `hi` (weight 256).
    last_high: DFF<Bit>,
    ok_r: DFF<Bit>,
    hi_base: Signal<Local, Bits<8>>,
    lo_base: Signal<Local, Bits<8>>,
    carry_base: Signal<Local, Bit>,
    /// {base, 1} + {data, carry}: bits 9..1 are base + data + carry, the carry riding
    /// in as the carry into bit 1, one carry chain each (a three-operand add would put
    /// a layer of full adders in front of the chain).
    hi_wide: Signal<Local, Bits<10>>,
    lo_wide: Signal<Local, Bits<10>>,
}

impl Logic for OnesCheck {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, hi, lo, carry, last_high, ok_r);
        self.hi_base.next = self.hi.q.val();
        self.lo_base.next = self.lo.q.val();
        self.carry_base.next = self.carry.q.val();
        if self.clear.val() {
            self.hi_base.next = 0.into();
            self.lo_base.next = 0.into();
            self.carry_base.next = false;
        }
        self.hi_wide.next = ((bit_cast::<10, 8>(self.hi_base.val()) << 1) | 1)
            + ((bit_cast::<10, 8>(self.data.val()) << 1)
                | bit_cast::<10, 1>(self.carry_base.val().into()));
        self.lo_wide.next = ((bit_cast::<10, 8>(self.lo_base.val()) << 1) | 1)
            + ((bit_cast::<10, 8>(self.data.val()) << 1)
                | bit_cast::<10, 1>(self.carry_base.val().into()));
        self.hi.d.next = self.hi_base.val();
        self.lo.d.next = self.lo_base.val();
        self.carry.d.next = self.carry_base.val();
        self.last_high.d.next = self.last_high.q.val();
        if self.enable.val() {
            self.last_high.d.next = self.high.val();
            if self.high.val() {
                self.hi.d.next = self.hi_wide.val().get_bits::<8>(1);
                self.carry.d.next = self.hi_wide.val().get_bit(9);
            } else {
                self.lo.d.next = self.lo_wide.val().get_bits::<8>(1);
                self.carry.d.next = self.lo_wide.val().get_bit(9);
            }
        }
        // The sum is {hi, lo} plus the carry at its weight; it is all ones (the folded
        // sum 0xFFFF) when {hi, lo} is 0xFFFF with no carry, 0xFFFE with the end-around
        // one, or 0xFEFF with one into `hi`.
        self.ok_r.d.next = (self.hi.q.val().get_bits::<7>(1) == 0x7F)
            & (self.lo.q.val().get_bits::<7>(1) == 0x7F)
            & ((!self.carry.q.val() & self.hi.q.val().get_bit(0) & self.lo.q.val().get_bit(0))
                | (self.carry.q.val()
                    & self.last_high.q.val()
                    & self.hi.q.val().get_bit(0)
                    & !self.lo.q.val().get_bit(0))
                | (self.carry.q.val()
                    & !self.last_high.q.val()
                    & !self.hi.q.val().get_bit(0)
                    & self.lo.q.val().get_bit(0)));
        self.ok.next = self.ok_r.q.val();
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

    #[test]
    fn sums_like_rfc1071() {
        // RFC 1071's example words 0001 f203 f4f5 f6f7 sum to ddf2.
        let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(ones_sum(&bytes), 0xddf2);
        // An odd length pads with a zero low byte; 0xFF bytes carry end-around.
        assert_eq!(ones_sum(&[0xAB]), 0xAB00);
        assert_eq!(ones_sum(&[0xFF; 6]), 0xFFFF);
    }

    /// Bytes through `OnesCheck` from a clear, alternating high and low from `first_high`
    /// with gaps of `gap` clocks (even counts of skipped bytes keep the alternation) after
    /// byte `gap_at`; its `ok` two clocks after the last.
    fn check(bytes: &[u8], first_high: bool, gap_at: usize, gap: usize) -> bool {
        let mut uut = OnesCheck::default();
        uut.connect_all();
        // Garbage first, as the previous frame leaves it.
        for b in [0xFFu64, 0x12, 0xFF] {
            uut.data.next = b.into();
            uut.enable.next = true;
            uut.high.next = b == 0x12;
            crate::tick!(uut);
        }
        uut.enable.next = false;
        uut.clear.next = true;
        crate::tick!(uut);
        uut.clear.next = false;
        let mut high = first_high;
        for (i, &b) in bytes.iter().enumerate() {
            if i == gap_at {
                uut.enable.next = false;
                for _ in 0..gap {
                    crate::tick!(uut);
                }
            }
            uut.data.next = (b as u64).into();
            uut.enable.next = true;
            uut.high.next = high;
            high = !high;
            crate::tick!(uut);
        }
        uut.enable.next = false;
        crate::tick!(uut);
        crate::tick!(uut);
        uut.ok.val()
    }

    /// `OnesCheck` says what the folded sum says, for streams that start on a high byte
    /// or a low one (a pseudo-header's protocol byte), of odd and even length, with and
    /// without a gap (IP options skipped between pseudo-header and payload).
    #[test]
    fn the_check_agrees_with_the_folded_sum() {
        let mut seed = 0x8765_4321u32;
        let mut seen_ok = 0;
        for n in 1..400usize {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let first_high = seed & 0x10000 != 0;
            // Mostly 0xFF bytes, so sums near 0xFFFF with a carry pending are common.
            let mut bytes: Vec<u8> = (0..n % 60 + 1)
                .map(|i| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    if (seed >> 16) % 3 == 0 {
                        (seed >> 20) as u8
                    } else {
                        0xFF ^ (i as u8 & 1)
                    }
                })
                .collect();
            // The word sum with a low first byte: a zero high byte before it.
            let padded = |bytes: &[u8]| {
                let mut p = if first_high { vec![] } else { vec![0] };
                p.extend_from_slice(bytes);
                p
            };
            // Half the streams are fixed up to a right checksum in their last two bytes.
            if n % 2 == 0 && bytes.len() >= 3 {
                let k = bytes.len() - 2 - ((bytes.len() + !first_high as usize) % 2);
                bytes[k] = 0;
                bytes[k + 1] = 0;
                let fix = !ones_sum(&padded(&bytes));
                bytes[k..k + 2].copy_from_slice(&fix.to_be_bytes());
            }
            let want = ones_sum(&padded(&bytes)) == 0xFFFF;
            let gap = 2 * (n % 4);
            assert_eq!(
                check(&bytes, first_high, n % 7, gap),
                want,
                "stream {n}: {bytes:02x?}"
            );
            seen_ok += want as usize;
        }
        assert!(seen_ok > 100, "{seen_ok}");
        // A correct IPv4 header, then one bit off.
        let mut hdr = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        let csum = !ones_sum(&hdr);
        hdr[10..12].copy_from_slice(&csum.to_be_bytes());
        assert!(check(&hdr, true, 0, 0));
        hdr[15] ^= 1;
        assert!(!check(&hdr, true, 0, 0));
        // Two 0xFFFF words, and all zeroes (a sum of +0 is not all ones).
        assert!(check(&[0xFF; 4], true, 0, 0));
        assert!(!check(&[0; 6], true, 0, 0));
    }
}
