//! Checks the CRC-32 that ends each host link frame (`type | body | crc32 LE`) and
//! removes it from the stream, without buffering the frame and without stalling.
//!
//! Which four bytes are the CRC is only known when the frame ends, so the stream is
//! delayed by four bytes: a byte comes out (in the same clock) when the fourth byte
//! after it arrives, and the four still held when `frame_end` comes are the CRC. The
//! CRC-32 register runs over every byte, CRC included, and the frame is good when it
//! ends at the CRC's fixed residue. `out_end` repeats `frame_end` with `crc_ok` beside
//! it; a frame of fewer than five bytes (no room for a type byte and a CRC) is never ok.
//!
//! Rate: a byte a clock, the CRC in a [`Crc32Register`] (the appender's on the way
//! out), and `frame_end` may come in the clock after the last byte. After `frame_end`
//! the register is flushed back to its fresh start (zero) in 4 clocks, shifting a byte
//! out a clock as the appender sends its FCS: a clear would cost a LUT4 a register bit.
//! So the next frame's first byte comes at least [`MIN_CLOCKS_AFTER_END`] (5) clocks
//! after `frame_end`. The simulated board feeds its link that fast (HostRx adds a gap of
//! 24 after each frame); a real link never comes close: each byte is a UART byte (the
//! COBS decoder passes them on a clock later, one out per byte in at most, and
//! `frame_end` is the delimiter byte's), ten bit times of at least four clocks (`UartRx`
//! needs four), 250 clocks at 4 Mbaud and 83 at 12 Mbaud.
//!
//! The four held bytes are a ring in block RAM (`held`, at a 2-bit slot), not 32
//! flip-flops that each take a logic cell: a new byte is written over the oldest one's
//! slot in the clock the oldest leaves. The RAM's read port reads, on every clock, the
//! slot the next byte will meet (`slot`, one on if a byte is written now), so its read
//! data holds the oldest byte when the new one comes (the slot was last written four
//! bytes ago, never in the clock of the read); the read of the slot being written is
//! never used.

use crate::block_ram::BlockRam;
use crate::board::crc32_register::{Crc32Register, RESIDUE};
use rust_hdl::prelude::*;

/// The closest the next frame's first byte may follow `frame_end`: the flush's 4
/// clocks, then the byte.
pub const MIN_CLOCKS_AFTER_END: usize = 5;

#[derive(LogicBlock)]
pub struct CrcCheck {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    /// The frame is over (never in a clock with `valid`).
    pub frame_end: Signal<In, Bit>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_end: Signal<Out, Bit>,
    /// With `out_end`: at least five bytes and the CRC matched.
    pub crc_ok: Signal<Out, Bit>,
    crc: Crc32Register,
    /// The last four bytes, at slot `slot`, `slot` + 1, ... (the oldest first).
    held: BlockRam<Bits<8>, 4>,
    /// The oldest held byte's slot, where the next byte goes.
    slot: DFF<Bits<2>>,
    /// Bytes of this frame so far, stopping at 5.
    count: DFF<Bits<3>>,
    /// The register is being flushed (after a frame's end), at this clock of four.
    flushing: DFF<Bit>,
    flush_step: DFF<Bits<2>>,
    /// The slot the next byte will meet.
    next_slot: Signal<Local, Bits<2>>,
    count_step: Signal<Local, Bit>,
    residue: Constant<Bits<32>>,
}

impl Default for CrcCheck {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            frame_end: Default::default(),
            out_data: Default::default(),
            out_valid: Default::default(),
            out_end: Default::default(),
            crc_ok: Default::default(),
            // Flushed to zero after each frame's end; never cleared.
            crc: Default::default(),
            // Zeroed, so the Verilog and Rust models read the same before the first
            // bytes (`out_data` is meaningless then).
            held: BlockRam::zeroed(),
            slot: Default::default(),
            count: Default::default(),
            flushing: Default::default(),
            flush_step: Default::default(),
            next_slot: Default::default(),
            count_step: Default::default(),
            residue: Constant::new(RESIDUE.to_bits()),
        }
    }
}

impl Logic for CrcCheck {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, slot, count, flushing, flush_step);
        self.crc.clock.next = self.clock.val();
        self.crc.data.next = self.data.val();
        // Each frame starts from a flushed register (zero at power-up too): four
        // shifted bytes send it out. The step wraps to 0 as the flush ends.
        self.crc.step.next = self.valid.val() | self.flushing.q.val();
        self.crc.shifting.next = self.flushing.q.val();
        // The counters count by one or by zero: the hold is the adder's, no LUT4 a bit.
        self.flush_step.d.next =
            self.flush_step.q.val() + bit_cast::<2, 1>(self.flushing.q.val().into());
        if self.flushing.q.val() & (self.flush_step.q.val() == 3) {
            self.flushing.d.next = false;
        }
        self.next_slot.next = self.slot.q.val() + bit_cast::<2, 1>(self.valid.val().into());
        self.slot.d.next = self.next_slot.val();
        self.count_step.next = self.valid.val() & (self.count.q.val() != 5);
        self.count.d.next = self.count.q.val() + bit_cast::<3, 1>(self.count_step.val().into());
        self.held.read_clock.next = self.clock.val();
        self.held.write_clock.next = self.clock.val();
        self.held.read_address.next = bit_cast::<4, 2>(self.next_slot.val());
        self.held.write_address.next = bit_cast::<4, 2>(self.slot.q.val());
        self.held.write_data.next = self.data.val();
        self.held.write_enable.next = self.valid.val();
        self.out_data.next = self.held.read_data.val();
        // Four bytes held: the oldest leaves as each new one arrives.
        self.out_valid.next = self.valid.val() & self.count.q.val().get_bit(2);
        self.out_end.next = self.frame_end.val();
        self.crc_ok.next = (self.count.q.val() == 5) & (self.crc.fcs.val() == self.residue.val());
        if self.frame_end.val() {
            self.count.d.next = 0.into();
            self.flushing.d.next = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::crc32::crc32_ieee;

    /// Frames (raw bytes, CRC included) in, at the fastest rate allowed (a byte or the
    /// frame's end every clock, the next frame `MIN_CLOCKS_AFTER_END` after the end) or
    /// with `gap` idle clocks after each byte; out: each frame's passed bytes and its
    /// verdict.
    fn check_paced(frames: &[Vec<u8>], gap: usize) -> Vec<(Vec<u8>, bool)> {
        let mut uut = CrcCheck::default();
        uut.connect_all();
        assert!(simulate(&mut uut, 100));
        let mut stimulus: Vec<(Option<u8>, bool)> = vec![];
        for f in frames {
            for &b in f {
                stimulus.push((Some(b), false));
                stimulus.extend(std::iter::repeat((None, false)).take(gap));
            }
            stimulus.push((None, true));
            stimulus.extend([(None, false); MIN_CLOCKS_AFTER_END - 1]);
        }
        let (mut got, mut bytes) = (vec![], vec![]);
        for (byte, end) in stimulus {
            uut.valid.next = byte.is_some();
            uut.data.next = (byte.unwrap_or(0) as u64).into();
            uut.frame_end.next = end;
            assert!(simulate(&mut uut, 100));
            if uut.out_valid.val() {
                bytes.push(uut.out_data.val().index() as u8);
            }
            if uut.out_end.val() {
                got.push((std::mem::take(&mut bytes), uut.crc_ok.val()));
            }
            crate::tick!(uut);
        }
        got
    }

    fn check(frames: &[Vec<u8>]) -> Vec<(Vec<u8>, bool)> {
        let got = check_paced(frames, 0);
        assert_eq!(
            check_paced(frames, 1),
            got,
            "the same at a byte every other clock"
        );
        got
    }

    fn framed(message: &[u8]) -> Vec<u8> {
        let mut f = message.to_vec();
        f.extend(crc32_ieee(message).to_le_bytes());
        f
    }

    #[test]
    fn passes_the_message_and_drops_the_crc() {
        let messages: Vec<Vec<u8>> = vec![
            b"123456789".to_vec(),
            vec![0x85],
            vec![0x00],
            (0..1500).map(|i| (i * 31) as u8).collect(),
        ];
        let frames: Vec<Vec<u8>> = messages.iter().map(|m| framed(m)).collect();
        let want: Vec<(Vec<u8>, bool)> = messages.iter().map(|m| (m.clone(), true)).collect();
        assert_eq!(check(&frames), want);
    }

    #[test]
    fn any_flipped_bit_and_short_frames_fail() {
        let message = b"\x81abcdefghijklmno".to_vec();
        let good = framed(&message);
        for at in 0..good.len() {
            for bit in 0..8 {
                let mut bad = good.clone();
                bad[at] ^= 1 << bit;
                let got = check(&[bad, good.clone()]);
                assert!(!got[0].1, "flip at {at} bit {bit} passed");
                assert_eq!(got[1], (message.clone(), true), "the next frame is intact");
            }
        }
        // Four bytes that are the CRC of nothing: the residue matches, the length does not.
        let empty = framed(&[]);
        let got = check(&[vec![], vec![0x42], empty, framed(&[0x85])]);
        assert_eq!(
            got,
            vec![
                (vec![], false),
                (vec![], false),
                (vec![], false),
                (vec![0x85], true)
            ]
        );
    }
}
