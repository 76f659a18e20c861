//! COBS encoder for the link to the host: a message in, its COBS encoding and the 0x00
//! delimiter out, so that 0x00 appears on the UART only between frames.
//!
//! COBS needs the distance to the next zero before it can write a block's code byte, so
//! each block (at most 254 non-zero bytes) is collected in a 256-byte block RAM first,
//! then sent as its code and its bytes. The UART is ten times slower than this, so the
//! collect-then-send rhythm costs no throughput. A message that ends with a zero ends
//! with an empty block (code 0x01), as COBS requires.

use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct CobsEncoder {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    /// With the message's final byte.
    pub last: Signal<In, Bit>,
    pub ready: Signal<Out, Bit>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    block: RAM<Bits<8>, 8>,
    // 0 collect, 1 code byte, 2 block bytes, 3 empty final block, 4 delimiter.
    state: DFF<Bits<3>>,
    count: DFF<Bits<8>>,
    index: DFF<Bits<8>>,
    message_ends: DFF<Bit>,
    ends_with_zero: DFF<Bit>,
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
            block: RAM::new(
                (0..256u64)
                    .map(|i| (Bits::<8>::from(i), Bits::<8>::default()))
                    .collect(),
            ),
            state: Default::default(),
            count: Default::default(),
            index: Default::default(),
            message_ends: Default::default(),
            ends_with_zero: Default::default(),
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
            state,
            count,
            index,
            message_ends,
            ends_with_zero
        );
        self.block.read_clock.next = self.clock.val();
        self.block.write_clock.next = self.clock.val();
        self.block.write_address.next = self.count.q.val();
        self.block.write_data.next = self.data.val();
        self.block.write_enable.next = false;
        self.ready.next = self.state.q.val() == 0;
        self.out_valid.next = self.state.q.val() != 0;
        self.out_data.next = 0.into();
        self.taken.next = (self.state.q.val() != 0) & self.out_ready.val();
        self.index_next.next = self.index.q.val();
        if self.state.q.val() == 0 {
            if self.valid.val() {
                if self.data.val() == 0 {
                    // The zero is implied by the block's code.
                    self.state.d.next = 1.into();
                    self.message_ends.d.next = self.last.val();
                    self.ends_with_zero.d.next = self.last.val();
                } else {
                    self.block.write_enable.next = true;
                    self.count.d.next = self.count.q.val() + 1;
                    if (self.count.q.val() == 253) | self.last.val() {
                        self.state.d.next = 1.into();
                        self.message_ends.d.next = self.last.val();
                        self.ends_with_zero.d.next = false;
                    }
                }
            }
        } else if self.state.q.val() == 1 {
            self.out_data.next = self.count.q.val() + 1;
            if self.taken.val() {
                self.index_next.next = 0.into();
                if self.count.q.val() == 0 {
                    self.state.d.next = 5.into();
                } else {
                    self.state.d.next = 2.into();
                }
            }
        } else if self.state.q.val() == 2 {
            self.out_data.next = self.block.read_data.val();
            if self.taken.val() {
                self.index_next.next = self.index.q.val() + 1;
                if self.index.q.val() == (self.count.q.val() - 1) {
                    self.state.d.next = 5.into();
                }
            }
        } else if self.state.q.val() == 3 {
            self.out_data.next = 1.into();
            if self.taken.val() {
                self.state.d.next = 4.into();
            }
        } else if self.state.q.val() == 4 {
            self.out_data.next = 0.into();
            if self.taken.val() {
                self.state.d.next = 0.into();
            }
        }
        // State 5: a block is out; decide what follows (no output this clock).
        if self.state.q.val() == 5 {
            self.out_valid.next = false;
            self.count.d.next = 0.into();
            if !self.message_ends.q.val() {
                self.state.d.next = 0.into();
            } else if self.ends_with_zero.q.val() {
                self.state.d.next = 3.into();
            } else {
                self.state.d.next = 4.into();
            }
        }
        self.index.d.next = self.index_next.val();
        self.block.read_address.next = self.index_next.val();
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
