//! Consistent Overhead Byte Stuffing: removes every 0x00 from a frame so that 0x00 can
//! delimit frames on the UART. Overhead is one byte per started run of 254 bytes, so a
//! 1500-byte frame grows by 6 bytes at most.
//!
//! [`encode`] produces the canonical encoding; [`decode`] rejects anything that is not
//! a well-formed encoding (a zero inside, or a code byte running past the end) and
//! never panics.

use std::fmt;

/// The input was not a COBS encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CobsError {
    /// Nothing to decode: a COBS encoding is at least one byte.
    Empty,
    /// A 0x00 inside the encoding (it can only be a delimiter).
    ZeroByte { at: usize },
    /// A code byte promised more bytes than the frame holds.
    Truncated { at: usize },
}

impl fmt::Display for CobsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CobsError::Empty => write!(f, "empty COBS frame"),
            CobsError::ZeroByte { at } => write!(f, "zero byte inside a COBS frame at offset {at}"),
            CobsError::Truncated { at } => {
                write!(
                    f,
                    "COBS code byte at offset {at} runs past the end of the frame"
                )
            }
        }
    }
}

impl std::error::Error for CobsError {}

/// Largest encoded length of `n` input bytes (without the delimiter).
pub const fn max_encoded_len(n: usize) -> usize {
    n + n / 254 + 1
}

/// Appends the encoding of `data` to `out` (no delimiter).
pub fn encode_into(data: &[u8], out: &mut Vec<u8>) {
    out.reserve(max_encoded_len(data.len()));
    let mut code_at = out.len();
    out.push(0); // placeholder for the first code byte
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
            // A full block of 254 data bytes: close it; 0xFF means "no zero follows".
            if code == 0xFF {
                out[code_at] = code;
                code_at = out.len();
                out.push(0);
                code = 1;
            }
        }
    }
    out[code_at] = code;
}

/// The encoding of `data` (no delimiter).
pub fn encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(data, &mut out);
    out
}

/// Decodes one frame (the bytes between two delimiters).
pub fn decode(frame: &[u8]) -> Result<Vec<u8>, CobsError> {
    if frame.is_empty() {
        return Err(CobsError::Empty);
    }
    let mut out = Vec::with_capacity(frame.len());
    let mut i = 0;
    while i < frame.len() {
        let code = frame[i] as usize;
        if code == 0 {
            return Err(CobsError::ZeroByte { at: i });
        }
        let block = frame
            .get(i + 1..i + code)
            .ok_or(CobsError::Truncated { at: i })?;
        if let Some(z) = block.iter().position(|&b| b == 0) {
            return Err(CobsError::ZeroByte { at: i + 1 + z });
        }
        out.extend_from_slice(block);
        i += code;
        // Every block but a full one and the last stands for data followed by a zero.
        if code < 0xFF && i < frame.len() {
            out.push(0);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        // From the COBS paper / Wikipedia's table.
        let cases: &[(&[u8], &[u8])] = &[
            (&[], &[0x01]),
            (&[0x00], &[0x01, 0x01]),
            (&[0x00, 0x00], &[0x01, 0x01, 0x01]),
            (&[0x00, 0x11, 0x00], &[0x01, 0x02, 0x11, 0x01]),
            (&[0x11, 0x22, 0x00, 0x33], &[0x03, 0x11, 0x22, 0x02, 0x33]),
            (&[0x11, 0x22, 0x33, 0x44], &[0x05, 0x11, 0x22, 0x33, 0x44]),
            (&[0x11, 0x00, 0x00, 0x00], &[0x02, 0x11, 0x01, 0x01, 0x01]),
        ];
        for (raw, enc) in cases {
            assert_eq!(&encode(raw), enc, "encode {raw:02x?}");
            assert_eq!(&decode(enc).unwrap(), raw, "decode {enc:02x?}");
        }
    }

    #[test]
    fn long_runs() {
        // 254 non-zero bytes fill one block exactly; 255 spill into a second.
        for n in [253usize, 254, 255, 508, 509, 1500] {
            let raw: Vec<u8> = (0..n).map(|i| (i % 255 + 1) as u8).collect();
            let enc = encode(&raw);
            assert!(!enc.contains(&0));
            assert!(enc.len() <= max_encoded_len(n));
            assert_eq!(decode(&enc).unwrap(), raw, "n = {n}");
        }
        let enc = encode(&[7u8; 254]);
        assert_eq!(enc.len(), 256);
        assert_eq!((enc[0], enc[255]), (0xFF, 0x01));
    }

    #[test]
    fn malformed() {
        assert_eq!(decode(&[]), Err(CobsError::Empty));
        assert_eq!(decode(&[0x03, 0x11]), Err(CobsError::Truncated { at: 0 }));
        assert_eq!(
            decode(&[0x02, 0x11, 0x00]),
            Err(CobsError::ZeroByte { at: 2 })
        );
        assert_eq!(
            decode(&[0x03, 0x00, 0x11]),
            Err(CobsError::ZeroByte { at: 1 })
        );
    }
}
