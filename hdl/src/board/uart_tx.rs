//! UART transmitter, 8N1: a start bit, eight data bits LSB first, a stop bit, at
//! 4 Mbaud or 12 Mbaud from the 100 MHz clock (`fast`).
//!
//! 4 Mbaud is 25 clocks a bit. 12 Mbaud, the FT2232H's fastest, is 8⅓ clocks a bit:
//! a fractional divider gives bits of 8, 8 and 9 clocks in turn, 25 clocks every three
//! bits, so the rate is exact on average; the pattern runs on across bytes (`phase`),
//! so back-to-back bytes take 250 clocks every three (83⅓ each, no gap between them:
//! the next byte starts in the stop bit's last clock). Each bit edge falls within ⅔
//! of a clock (8% of a bit) of where an exact 12 MHz bit clock would put it, far inside
//! what a receiver that samples mid-bit needs.
//!
//! `ready` and the bit's end are flip-flops, worked out a clock ahead from the values
//! the counters take next, so the consumer's handshake starts from a register (the
//! divider's decode in front of the COBS encoder's state was a critical path).
//!
//! `fast` is read a clock before every bit's end, so the rate changes at the next bit edge; the
//! board changes it only when a Config says so (see `BoardCore::link_fast`).
//!
//! The byte is sent from `data` as it is offered, not from a copy: a byte starts when
//! `valid` is high while the line is idle or in a stop bit's last clock, and it is taken
//! (`ready` high, for one clock) in its stop bit's first clock, once its data bits are
//! out. So the sender must hold `data` and `valid` from the start until `ready`, as a
//! valid/ready stream does anyway (the COBS encoder reads its byte from block RAM at an
//! address that moves only when a byte is taken); no shift register copies it.

use rust_hdl::prelude::*;

/// 100 MHz / 4 Mbaud: clocks a bit at 4 Mbaud. 12 Mbaud is a third of it.
pub const CLOCKS_PER_BIT_4M: u32 = 25;

#[derive(LogicBlock, Default)]
pub struct UartTx {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    /// 12 Mbaud when high, 4 Mbaud when low.
    pub fast: Signal<In, Bit>,
    pub ready: Signal<Out, Bit>,
    pub txd: Signal<Out, Bit>,
    /// Bits still to send: 10 the start bit, 9 to 2 data bits 0 to 7, 1 the stop bit.
    bits_left: DFF<Bits<4>>,
    /// Clocks into the current bit: 0 to 24 at 4 Mbaud, 0 to 7 or 8 at 12 Mbaud.
    divider: DFF<Bits<5>>,
    /// At 12 Mbaud, which bit of the 8, 8, 9 pattern this is (0, 1, 2).
    phase: DFF<Bits<2>>,
    /// This clock is the current bit's last.
    bit_end: DFF<Bit>,
    /// `ready`: the stop bit's first clock.
    ready_r: DFF<Bit>,
    /// The line is low, from a flip-flop (a clock behind the counters), so no
    /// multiplexer glitch reaches the pin; inverted, so the line powers up idle (high).
    txd_low: DFF<Bit>,
    line: Signal<Local, Bit>,
    frame: Signal<Local, Bits<16>>,
    frame_at: Signal<Local, Bits<16>>,
    // What the counters take at the clock's end.
    bits_next: Signal<Local, Bits<4>>,
    divider_next: Signal<Local, Bits<5>>,
    phase_next: Signal<Local, Bits<2>>,
    bit_end_next: Signal<Local, Bit>,
    /// A byte starts: offered while idle or in the stop bit's last clock.
    start: Signal<Local, Bit>,
}

impl Logic for UartTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, bits_left, divider, phase, bit_end, ready_r, txd_low);
        self.ready.next = self.ready_r.q.val();
        self.txd.next = !self.txd_low.q.val();
        // The frame's bits in the order they go out: start (0), data LSB first, stop and
        // idle (1); bit `10 - bits_left` is on the line, brought to bit 10 by a shift.
        self.frame.next = (bit_cast::<16, 8>(self.data.val()) << 1) | 0x600;
        self.frame_at.next = self.frame.val() << self.bits_left.q.val();
        self.line.next = self.frame_at.val().get_bit(10);
        self.bits_next.next = self.bits_left.q.val();
        self.divider_next.next = self.divider.q.val();
        self.phase_next.next = self.phase.q.val();
        self.txd_low.d.next = !self.line.val();
        // The divider runs while the line is idle too (a start sets it to 0, and idle
        // bit ends move nothing): no enable in front of it.
        self.divider_next.next = self.divider.q.val() + 1;
        if self.bit_end.q.val() {
            self.divider_next.next = 0.into();
        }
        if self.bits_left.q.val() != 0 {
            if self.bit_end.q.val() {
                self.bits_next.next = self.bits_left.q.val() - 1;
                self.phase_next.next = self.phase.q.val() + 1;
                if self.phase.q.val() == 2 {
                    self.phase_next.next = 0.into();
                }
            }
        }
        self.start.next = self.valid.val()
            & ((self.bits_left.q.val() == 0)
                | ((self.bits_left.q.val() == 1) & self.bit_end.q.val()));
        if self.start.val() {
            self.bits_next.next = 10.into();
            self.divider_next.next = 0.into();
        }
        self.bits_left.d.next = self.bits_next.val();
        self.divider.d.next = self.divider_next.val();
        self.phase.d.next = self.phase_next.val();
        // The divider only reaches the values it counts to, so its ends are bit tests:
        // 24 is the only value with bits 4 and 3 set, 8 (the long bit's end) the only
        // one with bit 3 set at 12 Mbaud, 7 the only one with bits 2..0 set below it.
        self.bit_end_next.next =
            self.divider_next.val().get_bit(4) & self.divider_next.val().get_bit(3);
        if self.fast.val() {
            self.bit_end_next.next = self.divider_next.val().get_bit(3)
                | ((self.divider_next.val().get_bits::<3>(0) == 7) & (self.phase_next.val() != 2));
        }
        self.bit_end.d.next = self.bit_end_next.val();
        // Ready: the stop bit's first clock (the byte's bits are out; the next one, if it
        // is offered by the stop bit's last clock, follows without a gap).
        self.ready_r.d.next = (self.bits_left.q.val() == 2) & self.bit_end.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line at every clock while `bytes` are offered back to back at `fast`'s rate,
    /// and for a while after.
    fn send(bytes: &[u8], fast: bool) -> Vec<bool> {
        let mut tx = UartTx::default();
        tx.connect_all();
        assert!(simulate(&mut tx, 100));
        let (mut line, mut next) = (vec![], 0);
        for _ in 0..(bytes.len() + 1) * 250 {
            tx.fast.next = fast;
            tx.valid.next = next < bytes.len();
            tx.data.next = (*bytes.get(next).unwrap_or(&0) as u64).into();
            let taken = next < bytes.len() && tx.ready.val();
            crate::tick!(tx);
            next += taken as usize;
            line.push(tx.txd.val());
        }
        assert_eq!(next, bytes.len());
        line
    }

    /// (clocks between the starts of consecutive bytes, clocks each byte's line is low).
    fn byte_timing(line: &[bool]) -> (Vec<usize>, Vec<usize>) {
        // The line was idle (high) before the first clock.
        let falls: Vec<usize> = (0..line.len())
            .filter(|&i| (i == 0 || line[i - 1]) && !line[i])
            .collect();
        let lows = falls
            .iter()
            .map(|&f| line[f..].iter().take_while(|&&l| !l).count())
            .collect();
        (falls.windows(2).map(|w| w[1] - w[0]).collect(), lows)
    }

    #[test]
    fn back_to_back_bytes_take_exactly_ten_bit_times_each() {
        // 0x00 bytes: a start bit and eight data bits low, then the stop bit high.
        let (starts, lows) = byte_timing(&send(&[0; 7], false));
        assert_eq!(starts, vec![250; 6]);
        assert_eq!(lows, vec![225; 7]);
        // 12 Mbaud: bytes of 83 or 84 clocks, every three exactly 250 (the 8, 8, 9
        // pattern runs on across bytes), and any nine bits exactly 75 clocks.
        let (starts, lows) = byte_timing(&send(&[0; 7], true));
        assert!(starts.iter().all(|&s| s == 83 || s == 84), "{starts:?}");
        assert!(
            starts.windows(3).all(|w| w.iter().sum::<usize>() == 250),
            "{starts:?}"
        );
        assert_eq!(lows, vec![75; 7]);
    }
}
