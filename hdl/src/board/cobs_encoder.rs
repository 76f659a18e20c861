//! COBS encoder for the link to the host: a message in, its COBS encoding and the 0x00
//! delimiter out, so that 0x00 appears on the UART only between frames.
//!
//! COBS needs the distance to the next zero before it can write a block's code byte, so
//! each block (at most 254 non-zero bytes) is collected in block RAM first, then sent
//! as its code and its bytes. The RAM holds two blocks (512 bytes, the one iCE40 block
//! RAM it takes anyway): the next block is collected in one half while the last goes
//! out of the other, so the UART never waits for a collection (254 bytes at the CRC's
//! byte a clock, 3 byte times at 12 Mbaud). With a ready consumer it takes a byte a
//! clock but for the clock after each block's final byte, and sends one a clock but
//! for two clocks between blocks, so the simulated board's unpaced link runs at close
//! to a byte a clock through it. A message that ends with a zero ends
//! with an empty block (code 0x01), as COBS requires: it is written into the next half
//! as a block of its own (`ready` stays low until that half is free), so the reader
//! sends it as any other.
//!
//! Each block's code byte is written into the RAM ahead of its bytes when the block
//! completes (a clock later when a non-zero byte completed it: `ready` is low for that
//! clock), and read back from there, so no register per half holds its length. A
//! block's bytes end at 254, so byte 255 of each half is never written and stays at its
//! initial zero: the delimiter is read from there, and every byte out is the RAM's.

use crate::block_ram::BlockRam;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct CobsEncoder {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    /// With the message's final byte.
    pub last: Signal<In, Bit>,
    /// Low while the half being written is full, and for the clock after a block's final
    /// non-zero byte (its code byte is written then).
    pub ready: Signal<Out, Bit>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    /// Two block buffers: the half is the address's top bit. In each, the block's code
    /// byte at 0 and its bytes from 1 on, so the block's length is in the RAM, not in a
    /// register per half.
    block: BlockRam<Bits<8>, 9>,
    // Collecting: into half `wr_half`, `count` bytes so far.
    wr_half: DFF<Bit>,
    count: DFF<Bits<8>>,
    /// The block's final byte was written last clock (the 254th, or the message's
    /// last): its code byte is written this clock. Or the message ended with a zero:
    /// the empty block after it is written as soon as the next half is free.
    /// `closing_last`: the block closing ends the message.
    closing: DFF<Bit>,
    closing_last: DFF<Bit>,
    // Each half's block, once its code byte is written: full, and whether it ends the
    // message.
    full0: DFF<Bit>,
    full1: DFF<Bit>,
    ends0: DFF<Bit>,
    ends1: DFF<Bit>,
    // Sending half `rd_half`. 0 wait for a block, 1 code byte, 2 block bytes,
    // 4 delimiter, 3 block out (no output): an encoding that takes fewest LUT4s.
    rd_half: DFF<Bit>,
    state: DFF<Bits<3>>,
    /// The address of the byte on the read port.
    index: DFF<Bits<8>>,
    /// The block's code byte (its length plus one), taken as it goes out: the byte at
    /// `index` is the last when `index + 1` equals it.
    code: DFF<Bits<8>>,
    wr_full: Signal<Local, Bit>,
    rd_full: Signal<Local, Bit>,
    rd_ends: Signal<Local, Bit>,
    /// `count + 1`: the next byte's address, and the code byte of a block of `count`.
    count_next: Signal<Local, Bits<8>>,
    /// The code byte is written this clock: the block is complete.
    code_write: Signal<Local, Bit>,
    done_ends: Signal<Local, Bit>,
    index_next: Signal<Local, Bits<8>>,
    taken: Signal<Local, Bit>,
}

impl Default for CobsEncoder {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            last: Default::default(),
            ready: Default::default(),
            out_data: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            block: BlockRam::zeroed(),
            wr_half: Default::default(),
            count: Default::default(),
            closing: Default::default(),
            closing_last: Default::default(),
            full0: Default::default(),
            full1: Default::default(),
            ends0: Default::default(),
            ends1: Default::default(),
            rd_half: Default::default(),
            state: Default::default(),
            index: Default::default(),
            code: Default::default(),
            wr_full: Default::default(),
            rd_full: Default::default(),
            rd_ends: Default::default(),
            count_next: Default::default(),
            code_write: Default::default(),
            done_ends: Default::default(),
            index_next: Default::default(),
            taken: Default::default(),
        }
    }
}

impl Logic for CobsEncoder {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            wr_half,
            count,
            closing,
            closing_last,
            full0,
            full1,
            ends0,
            ends1,
            rd_half,
            state,
            index,
            code
        );
        self.block.read_clock.next = self.clock.val();
        self.block.write_clock.next = self.clock.val();
        self.count_next.next = self.count.q.val() + 1;
        // A byte at `count + 1`; the code byte at 0.
        self.block.write_address.next = (bit_cast::<9, 1>(self.wr_half.q.val().into()) << 8)
            | bit_cast::<9, 8>(self.count_next.val());
        self.block.write_data.next = self.data.val();
        self.block.write_enable.next = false;

        // Collect into the half being written, while it is free.
        self.wr_full.next = self.full0.q.val();
        if self.wr_half.q.val() {
            self.wr_full.next = self.full1.q.val();
        }
        self.ready.next = !self.wr_full.val() & !self.closing.q.val();
        // Closing waits only for the empty block's half; a block's own half is free.
        self.closing.d.next = self.closing.q.val() & self.wr_full.val();
        self.code_write.next = self.closing.q.val() & !self.wr_full.val();
        self.done_ends.next = self.closing_last.q.val();
        if self.valid.val() & self.ready.val() {
            if self.data.val() == 0 {
                // The zero is implied by the block's code, written in its place; if it
                // was the message's last, an empty block ends the message.
                self.code_write.next = true;
                self.done_ends.next = false;
                self.closing.d.next = self.last.val();
                self.closing_last.d.next = true;
            } else {
                self.block.write_enable.next = true;
                self.count.d.next = self.count_next.val();
                self.closing.d.next = (self.count.q.val() == 253) | self.last.val();
                self.closing_last.d.next = self.last.val();
            }
        }
        if self.code_write.val() {
            self.block.write_enable.next = true;
            self.block.write_address.next = bit_cast::<9, 1>(self.wr_half.q.val().into()) << 8;
            self.block.write_data.next = self.count_next.val();
            self.count.d.next = 0.into();
            self.wr_half.d.next = !self.wr_half.q.val();
            if self.wr_half.q.val() {
                self.full1.d.next = true;
                self.ends1.d.next = self.done_ends.val();
            } else {
                self.full0.d.next = true;
                self.ends0.d.next = self.done_ends.val();
            }
        }

        // Send the half being read, once it is full: its code byte, then its bytes, all
        // from the RAM's read port, and after the message's last block the delimiter
        // (byte 255).
        self.rd_full.next = self.full0.q.val();
        self.rd_ends.next = self.ends0.q.val();
        if self.rd_half.q.val() {
            self.rd_full.next = self.full1.q.val();
            self.rd_ends.next = self.ends1.q.val();
        }
        self.out_valid.next = (self.state.q.val() != 0) & (self.state.q.val() != 3);
        self.out_data.next = self.block.read_data.val();
        self.taken.next = self.out_valid.val() & self.out_ready.val();
        self.index_next.next = self.index.q.val();
        if self.state.q.val() == 0 {
            self.index_next.next = 0.into();
            if self.rd_full.val() {
                self.state.d.next = 1.into();
            }
        } else if self.state.q.val() == 1 {
            self.code.d.next = self.block.read_data.val();
            if self.taken.val() {
                self.index_next.next = 1.into();
                if self.block.read_data.val() == 1 {
                    self.state.d.next = 3.into();
                } else {
                    self.state.d.next = 2.into();
                }
            }
        } else if self.state.q.val() == 2 {
            if self.taken.val() {
                self.index_next.next = self.index.q.val() + 1;
                if self.index_next.val() == self.code.q.val() {
                    self.state.d.next = 3.into();
                }
            }
        } else if self.state.q.val() == 4 {
            if self.taken.val() {
                self.state.d.next = 0.into();
            }
        } else {
            // A block is out: its half is free again; what follows it? The delimiter's
            // address, in case it is the message's last.
            self.index_next.next = 255.into();
            self.rd_half.d.next = !self.rd_half.q.val();
            if self.rd_half.q.val() {
                self.full1.d.next = false;
            } else {
                self.full0.d.next = false;
            }
            if !self.rd_ends.val() {
                self.state.d.next = 0.into();
            } else {
                self.state.d.next = 4.into();
            }
        }
        self.index.d.next = self.index_next.val();
        self.block.read_address.next = (bit_cast::<9, 1>(self.rd_half.q.val().into()) << 8)
            | bit_cast::<9, 8>(self.index_next.val());
    }
}

/// COBS in software (for tests): the encoding of `data` followed by the delimiter.
pub fn cobs_frame(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0];
    let mut code_at = 0;
    let mut code = 1u8;
    for &b in data {
        if b == 0 {
            out[code_at] = code;
            code_at = out.len();
            out.push(0);
            code = 1;
        } else {
            out.push(b);
            code += 1;
            if code == 0xFF {
                out[code_at] = code;
                code_at = out.len();
                out.push(0);
                code = 1;
            }
        }
    }
    out[code_at] = code;
    // A final 0xFF block needs no empty block after it.
    if code == 1 && code_at == out.len() - 1 && data.last().is_some_and(|&b| b != 0) {
        out.pop();
    }
    out.push(0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Offers each message a byte per clock (when ready), takes output only on clocks
    /// where `accept(clock)` is true; returns everything that came out.
    fn encode(messages: &[Vec<u8>], accept: impl Fn(usize) -> bool) -> Vec<u8> {
        let mut uut = CobsEncoder::default();
        uut.connect_all();
        assert!(simulate(&mut uut, 100));
        let bytes: Vec<(u8, bool)> = messages
            .iter()
            .flat_map(|m| {
                m.iter()
                    .enumerate()
                    .map(move |(i, &b)| (b, i + 1 == m.len()))
            })
            .collect();
        let (mut next, mut out) = (0, vec![]);
        for clock in 0..bytes.len() * 4 + 2000 {
            let offer = next < bytes.len();
            let (b, last) = bytes.get(next).copied().unwrap_or((0, false));
            uut.valid.next = offer;
            uut.data.next = (b as u64).into();
            uut.last.next = last;
            let take = accept(clock);
            uut.out_ready.next = take;
            let taken_in = offer && uut.ready.val();
            if take && uut.out_valid.val() {
                out.push(uut.out_data.val().index() as u8);
            }
            crate::tick!(uut);
            if taken_in {
                next += 1;
            }
        }
        assert_eq!(next, bytes.len(), "encoder stopped taking input");
        out
    }

    #[test]
    fn software_reference_matches_known_encodings() {
        assert_eq!(cobs_frame(&[0x00]), vec![0x01, 0x01, 0x00]);
        assert_eq!(
            cobs_frame(&[0x11, 0x22, 0x00, 0x33]),
            vec![0x03, 0x11, 0x22, 0x02, 0x33, 0x00]
        );
        assert_eq!(
            cobs_frame(&[0x11, 0x00, 0x00]),
            vec![0x02, 0x11, 0x01, 0x01, 0x00]
        );
        let run: Vec<u8> = (1..=254).collect();
        let mut want = vec![0xFF];
        want.extend(&run);
        want.push(0x00);
        assert_eq!(cobs_frame(&run), want);
    }

    #[test]
    fn encodes_zeros_long_runs_and_back_to_back_messages() {
        let messages = vec![
            vec![0x02, 0x11, 0x00, 0x33],
            vec![0x00],
            vec![0x05, 0x00, 0x00],
            (1..=254).collect::<Vec<u8>>(),
            (0..700).map(|i| (i % 255 + 1) as u8).collect(),
            (0..600).map(|i| (i * 7 % 256) as u8).collect(),
            vec![0x04; 3],
            (1..=254).chain([0]).collect(),
            (1..=254).chain([0, 0]).collect(),
            (1..=255).collect(),
        ];
        let want: Vec<u8> = messages.iter().flat_map(|m| cobs_frame(m)).collect();
        assert_eq!(encode(&messages, |_| true), want);
        // A slow reader (a UART) sees the same bytes.
        assert_eq!(encode(&messages, |c| c % 3 == 0), want);
    }

    /// With a ready consumer, a byte a clock in and out: a 1,500-byte message (six
    /// blocks) offered a byte a clock is taken but for a clock per block, and its
    /// encoding leaves with two idle clocks between blocks.
    #[test]
    fn a_byte_a_clock_in_and_out() {
        let mut uut = CobsEncoder::default();
        uut.connect_all();
        assert!(simulate(&mut uut, 100));
        let message: Vec<u8> = (0..1500).map(|i| (i % 255 + 1) as u8).collect();
        let want = cobs_frame(&message);
        let (mut next, mut out, mut last_in, mut first_out) = (0, vec![], 0, None::<usize>);
        for clock in 0..4000 {
            let offer = next < message.len();
            uut.valid.next = offer;
            uut.data.next = (message.get(next).copied().unwrap_or(0) as u64).into();
            uut.last.next = next + 1 == message.len();
            uut.out_ready.next = true;
            assert!(simulate(&mut uut, 100));
            if offer && uut.ready.val() {
                next += 1;
                last_in = clock;
            }
            if uut.out_valid.val() {
                out.push(uut.out_data.val().index() as u8);
                first_out.get_or_insert(clock);
                if out.len() == want.len() {
                    // 1,512 and 256..=1,773 (1,507 bytes).
                    assert!(last_in <= message.len() + 2 * 6, "in by {last_in}");
                    let span = clock + 1 - first_out.unwrap();
                    assert!(span <= want.len() + 2 * 6, "out in {span}");
                }
            }
            crate::tick!(uut);
        }
        assert_eq!(out, want);
    }

    #[test]
    fn random_messages_match_the_software_encoding() {
        let mut seed = 0x1234_5678u32;
        let mut rand = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let messages: Vec<Vec<u8>> = (0..40)
            .map(|_| {
                let len = 1 + rand() as usize % 600;
                // Mostly non-zero, so that long blocks occur.
                (0..len)
                    .map(|_| {
                        if rand() % 50 == 0 {
                            0
                        } else {
                            rand() as u8 | 1
                        }
                    })
                    .collect()
            })
            .collect();
        let want: Vec<u8> = messages.iter().flat_map(|m| cobs_frame(m)).collect();
        assert_eq!(encode(&messages, |c| c % 2 == 0), want);
    }
}
