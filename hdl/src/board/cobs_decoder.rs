//! COBS decoder for the link from the host: link bytes in (0x00 delimits frames), the
//! decoded frame bytes out, one per clock at most, never stalling (a UART cannot wait).
//!
//! Nothing is buffered: a data byte comes out the clock after it arrives, and the zero a
//! block stands for comes out when the next block's code byte arrives (so the last
//! block's implied zero, which is not data, never does). `frame_end` pulses for each
//! delimiter that closes a non-empty frame; `cobs_error` beside it says the frame was
//! not a COBS encoding: the delimiter arrived inside a block (a zero where data was due,
//! or a code byte that promised more bytes than the frame held). Empty frames (0x00
//! twice) produce nothing, so the host may send spare delimiters to resynchronise.
//! The decoded bytes of a bad frame still come out; the frame's consumer drops them.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct CobsDecoder {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    /// Valid with `out_valid` only.
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    /// The frame's delimiter arrived (after its last decoded byte, never with one).
    pub frame_end: Signal<Out, Bit>,
    /// With `frame_end`: the frame was not a well-formed COBS encoding.
    pub cobs_error: Signal<Out, Bit>,
    /// Bytes since the delimiter (only whether there were any matters).
    in_frame: DFF<Bit>,
    /// Data bytes left in the current block, plus one: a code byte loads itself, with
    /// no subtraction; 0 or 1: the next byte is a code byte.
    remaining: DFF<Bits<8>>,
    /// The current block stands for its bytes and a zero (its code was not 0xFF).
    zero_after: DFF<Bit>,
    out_data_r: DFF<Bits<8>>,
    out_valid_r: DFF<Bit>,
    frame_end_r: DFF<Bit>,
    cobs_error_r: DFF<Bit>,
    /// The next byte is a code byte.
    code_due: Signal<Local, Bit>,
    /// This byte loads `remaining` (a code byte or the delimiter, whose zero is the
    /// start of a frame), or counts it down: a held bit then costs no LUT4 of its own,
    /// the hold being a count down by zero.
    take: Signal<Local, Bit>,
    step: Signal<Local, Bit>,
}

impl Logic for CobsDecoder {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            in_frame,
            remaining,
            zero_after,
            out_data_r,
            out_valid_r,
            frame_end_r,
            cobs_error_r
        );
        self.out_data.next = self.out_data_r.q.val();
        self.out_valid.next = self.out_valid_r.q.val();
        self.frame_end.next = self.frame_end_r.q.val();
        self.cobs_error.next = self.cobs_error_r.q.val();
        self.out_valid_r.d.next = false;
        self.frame_end_r.d.next = false;
        self.cobs_error_r.d.next = false;
        // Read only with `out_valid`: loaded every clock, it holds nothing (a code
        // byte's data is the zero of the block before it).
        self.code_due.next = self.remaining.q.val().get_bits::<7>(1) == 0;
        self.out_data_r.d.next = self.data.val();
        if self.code_due.val() {
            self.out_data_r.d.next = 0.into();
        }
        self.take.next = false;
        self.step.next = false;
        if self.valid.val() {
            if self.data.val() == 0 {
                // The delimiter: fine only between blocks.
                self.frame_end_r.d.next = self.in_frame.q.val();
                self.cobs_error_r.d.next = self.in_frame.q.val() & !self.code_due.val();
                self.in_frame.d.next = false;
                self.take.next = true;
            } else if self.code_due.val() {
                // A code byte: the previous block's zero (if it had one) is data now.
                self.out_valid_r.d.next = self.in_frame.q.val() & self.zero_after.q.val();
                self.take.next = true;
                self.zero_after.d.next = self.data.val() != 0xFF;
                self.in_frame.d.next = true;
            } else {
                self.out_valid_r.d.next = true;
                self.step.next = true;
            }
        }
        self.remaining.d.next = self.remaining.q.val() - bit_cast::<8, 1>(self.step.val().into());
        if self.take.val() {
            self.remaining.d.next = self.data.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::cobs_encoder::cobs_frame;

    /// One decoded frame: its bytes, and whether the decoder flagged it.
    #[derive(Debug, PartialEq)]
    pub(crate) struct Decoded {
        pub bytes: Vec<u8>,
        pub cobs_error: bool,
    }

    /// Feeds the link bytes, one per clock when `every` is 1 (or with gaps), and collects
    /// the frames between `frame_end` pulses.
    fn decode(link: &[u8], every: usize) -> Vec<Decoded> {
        let mut uut = CobsDecoder::default();
        uut.connect_all();
        assert!(simulate(&mut uut, 100));
        let (mut frames, mut bytes) = (vec![], vec![]);
        let mut next = 0;
        for clock in 0..link.len() * every + 4 {
            let offer = clock % every == 0 && next < link.len();
            uut.valid.next = offer;
            uut.data.next = (*link.get(next).unwrap_or(&0) as u64).into();
            assert!(simulate(&mut uut, 100));
            assert!(!(uut.out_valid.val() && uut.frame_end.val()));
            if uut.out_valid.val() {
                bytes.push(uut.out_data.val().index() as u8);
            }
            if uut.frame_end.val() {
                frames.push(Decoded {
                    bytes: std::mem::take(&mut bytes),
                    cobs_error: uut.cobs_error.val(),
                });
            }
            crate::tick!(uut);
            next += offer as usize;
        }
        frames
    }

    fn good(bytes: &[u8]) -> Decoded {
        Decoded {
            bytes: bytes.to_vec(),
            cobs_error: false,
        }
    }

    #[test]
    fn decodes_zeros_full_blocks_and_back_to_back_frames() {
        let messages: Vec<Vec<u8>> = vec![
            vec![0x11, 0x22, 0x00, 0x33],
            vec![0x00],
            vec![0x00, 0x00],
            vec![0x05, 0x00, 0x00],
            (1..=254).collect(),
            (1..=255).collect(),
            (1..=254).chain([0]).collect(),
            (0..900).map(|i| (i % 255 + 1) as u8).collect(),
            (0..600).map(|i| (i * 7 % 256) as u8).collect(),
        ];
        let link: Vec<u8> = messages.iter().flat_map(|m| cobs_frame(m)).collect();
        let want: Vec<Decoded> = messages.iter().map(|m| good(m)).collect();
        assert_eq!(decode(&link, 1), want);
        assert_eq!(decode(&link, 3), want);
    }

    #[test]
    fn canonical_trailing_empty_block_adds_nothing() {
        // The host's encoder ends a 254-byte run with an empty block (0x01); ours drops it.
        let mut link = vec![0xFF];
        link.extend(1..=254u8);
        link.extend([0x01, 0x00]);
        assert_eq!(
            decode(&link, 1),
            vec![good(&(1..=254).collect::<Vec<u8>>())]
        );
    }

    #[test]
    fn empty_frames_are_silent_and_bad_codes_are_flagged() {
        let link = [
            0x00, 0x00, // empty frames
            0x03, 0x11, 0x00, // delimiter where a data byte was due
            0x02, 0x44, 0x00, // fine
            0x05, 0x01, 0x02, 0x00, // code promises more than the frame holds
            0x00, 0x01, 0x00, // an empty message (one empty block)
            0x02, 0x07, 0x02, 0x08, 0x00, // fine, with a zero inside
        ];
        let got = decode(&link, 1);
        assert_eq!(got.len(), 5);
        assert!(got[0].cobs_error);
        assert_eq!(got[1], good(&[0x44]));
        assert!(got[2].cobs_error);
        assert_eq!(got[3], good(&[]));
        assert_eq!(got[4], good(&[0x07, 0x00, 0x08]));
    }

    #[test]
    fn random_frames_and_garbage_match_the_software_decoder() {
        let mut seed = 0x9E37_79B9u32;
        let mut rand = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let mut link = vec![];
        let mut want = vec![];
        for _ in 0..60 {
            let len = rand() as usize % 700;
            let message: Vec<u8> = (0..len)
                .map(|_| {
                    if rand() % 40 == 0 {
                        0
                    } else {
                        rand() as u8 | 1
                    }
                })
                .collect();
            let mut frame = cobs_frame(&message);
            if rand() % 3 == 0 && frame.len() > 2 {
                // Corrupt one byte; the expectation comes from a plain software decode.
                let at = rand() as usize % (frame.len() - 1);
                frame[at] = rand() as u8;
                for part in frame
                    .split(|&b| b == 0)
                    .take(frame.split(|&b| b == 0).count() - 1)
                {
                    if !part.is_empty() {
                        want.push(software_decode(part));
                    }
                }
            } else {
                want.push(good(&message));
            }
            link.extend(frame);
        }
        assert_eq!(decode(&link, 1), want);
    }

    /// Decodes one frame's bytes (no delimiter) the plain way, for expectations.
    fn software_decode(frame: &[u8]) -> Decoded {
        let (mut out, mut i) = (vec![], 0);
        while i < frame.len() {
            let code = frame[i] as usize;
            if i + code > frame.len() {
                out.extend(&frame[i + 1..]);
                return Decoded {
                    bytes: out,
                    cobs_error: true,
                };
            }
            out.extend(&frame[i + 1..i + code]);
            i += code;
            if code < 0xFF && i < frame.len() {
                out.push(0);
            }
        }
        good(&out)
    }
}
