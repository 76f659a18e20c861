//! Streaming frame decoder: bytes from the UART in, in whatever chunks they arrive;
//! messages out.
//!
//! Guarantee: a bad frame (bad COBS, bad CRC, an unknown or malformed message, or one
//! that runs past [`MAX_BUFFERED`] bytes without a delimiter) is dropped and counted
//! in [`DecodeStats`] by reason, and decoding starts afresh at the next 0x00, so every
//! good frame after it is still delivered. Empty frames (0x00 0x00) are ignored: a
//! sender may emit a lone 0x00 to flush a half-received frame at the other end.

use super::cobs::CobsError;
use super::message::DecodeError;
use super::message::{decode_frame, FrameError, Message, MAX_FRAME_LEN};

/// Bytes kept while waiting for a delimiter; a frame longer than this is dropped.
/// The largest legal frame plus a margin for a board a little ahead of us.
pub const MAX_BUFFERED: usize = MAX_FRAME_LEN + 256;

/// Frames seen and dropped, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeStats {
    pub frames_ok: u64,
    pub bad_cobs: u64,
    /// COBS was fine but there were fewer than 5 bytes (type and CRC).
    pub too_short: u64,
    pub bad_crc: u64,
    pub unknown_type: u64,
    pub bad_length: u64,
    pub bad_field: u64,
    /// No delimiter within [`MAX_BUFFERED`] bytes.
    pub oversize: u64,
}

impl DecodeStats {
    /// Every frame dropped, whatever the reason.
    pub fn dropped(&self) -> u64 {
        self.bad_cobs
            + self.too_short
            + self.bad_crc
            + self.unknown_type
            + self.bad_length
            + self.bad_field
            + self.oversize
    }

    fn count(&mut self, e: &FrameError) {
        match e {
            FrameError::Cobs(CobsError::Empty) => {} // cannot happen: empty frames are skipped
            FrameError::Cobs(_) => self.bad_cobs += 1,
            FrameError::TooShort { .. } => self.too_short += 1,
            FrameError::Crc { .. } => self.bad_crc += 1,
            FrameError::Message(DecodeError::UnknownType(_)) => self.unknown_type += 1,
            FrameError::Message(DecodeError::BadLength { .. } | DecodeError::Empty) => {
                self.bad_length += 1
            }
            FrameError::Message(DecodeError::BadField { .. }) => self.bad_field += 1,
        }
    }
}

/// Turns a byte stream into messages. Holds at most [`MAX_BUFFERED`] bytes.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Inside an over-long frame: skip everything up to the next delimiter.
    skipping: bool,
    stats: DecodeStats,
    last_error: Option<FrameError>,
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    pub fn stats(&self) -> DecodeStats {
        self.stats
    }

    /// Forgets a half-received frame without counting it: the line changed its rate,
    /// so what came before is no frame.
    pub fn restart(&mut self) {
        self.buf.clear();
        self.skipping = false;
    }

    /// Why the most recent bad frame was dropped (oversize frames are not recorded here).
    pub fn last_error(&self) -> Option<FrameError> {
        self.last_error
    }

    /// Feeds bytes; appends every message completed by them to `out`.
    pub fn feed_into(&mut self, bytes: &[u8], out: &mut Vec<Message>) {
        for &b in bytes {
            if b != 0 {
                if self.skipping {
                    continue;
                }
                if self.buf.len() == MAX_BUFFERED {
                    self.stats.oversize += 1;
                    self.buf.clear();
                    self.skipping = true;
                    continue;
                }
                self.buf.push(b);
                continue;
            }
            // A delimiter: whatever came before it is one frame.
            if self.skipping {
                self.skipping = false;
                continue;
            }
            if self.buf.is_empty() {
                continue;
            }
            match decode_frame(&self.buf) {
                Ok(msg) => {
                    self.stats.frames_ok += 1;
                    out.push(msg);
                }
                Err(e) => {
                    self.stats.count(&e);
                    self.last_error = Some(e);
                }
            }
            self.buf.clear();
        }
    }

    /// Feeds bytes; returns the messages completed by them.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Message> {
        let mut out = Vec::new();
        self.feed_into(bytes, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::message::encode_frame;

    #[test]
    fn byte_by_byte_and_empty_frames() {
        let a = Message::TxDone { tag: 7 };
        let b = Message::GetCounters;
        let mut stream = vec![0, 0];
        stream.extend(encode_frame(&a).unwrap());
        stream.push(0);
        stream.extend(encode_frame(&b).unwrap());
        let mut d = Decoder::new();
        let got: Vec<Message> = stream.iter().flat_map(|b| d.feed(&[*b])).collect();
        assert_eq!(got, vec![a, b]);
        assert_eq!(d.stats().frames_ok, 2);
        assert_eq!(d.stats().dropped(), 0);
    }

    #[test]
    fn oversize_frame_dropped_then_resync() {
        let mut d = Decoder::new();
        let mut stream = vec![0x55; MAX_BUFFERED + 1000];
        stream.push(0);
        let msg = Message::ArpRequest { ip: [10, 0, 0, 1] };
        stream.extend(encode_frame(&msg).unwrap());
        assert_eq!(d.feed(&stream), vec![msg]);
        assert_eq!(d.stats().oversize, 1);
        assert_eq!(d.stats().dropped(), 1);
    }

    #[test]
    fn longest_legal_frame_is_not_oversize() {
        // A frame of exactly MAX_BUFFERED bytes still decodes (here: as bad COBS/CRC,
        // not as oversize), so the limit sits above every legal frame.
        let mut d = Decoder::new();
        let mut stream = vec![0x01; MAX_BUFFERED];
        stream.push(0);
        assert!(d.feed(&stream).is_empty());
        assert_eq!(d.stats().oversize, 0);
        assert_eq!(d.stats().too_short, 0);
        assert_eq!(d.stats().dropped(), 1);
    }
}
