//! The TCP segment as the engine consumes and produces it, and its wire form.
//!
//! [`Segment`] carries exactly what the hardware receive pipeline reports for a TCP
//! segment: addresses, ports, sequence and acknowledgement numbers, flags, the raw
//! 16-bit window, the urgent pointer, the options already parsed, and the payload.
//!
//! [`Segment::parse_tcp`] and [`Segment::emit_tcp`] convert to and from raw TCP bytes
//! (header, options, payload, with the pseudo-header checksum);
//! [`Segment::parse_ipv4`] and [`Segment::emit_ipv4`] add a minimal IPv4 header, which
//! is what IP-level peers such as smoltcp exchange. Parsing never panics: any byte
//! string either yields a segment or an error, and an option that lies about its
//! length ends option parsing rather than reading past the header.

use std::fmt;

/// TCP control bits, in their wire positions.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u8);

impl Flags {
    pub const FIN: Flags = Flags(0x01);
    pub const SYN: Flags = Flags(0x02);
    pub const RST: Flags = Flags(0x04);
    pub const PSH: Flags = Flags(0x08);
    pub const ACK: Flags = Flags(0x10);
    pub const URG: Flags = Flags(0x20);
    pub const ECE: Flags = Flags(0x40);
    pub const CWR: Flags = Flags(0x80);
    pub const NONE: Flags = Flags(0);

    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
    pub fn fin(self) -> bool {
        self.contains(Flags::FIN)
    }
    pub fn syn(self) -> bool {
        self.contains(Flags::SYN)
    }
    pub fn rst(self) -> bool {
        self.contains(Flags::RST)
    }
    pub fn ack(self) -> bool {
        self.contains(Flags::ACK)
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, o: Flags) -> Flags {
        Flags(self.0 | o.0)
    }
}

impl fmt::Display for Flags {
    /// Names joined by commas in the order people say them: "SYN,ACK", "FIN,PSH,ACK".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const ORDER: [(Flags, &str); 8] = [
            (Flags::SYN, "SYN"),
            (Flags::RST, "RST"),
            (Flags::FIN, "FIN"),
            (Flags::PSH, "PSH"),
            (Flags::URG, "URG"),
            (Flags::ECE, "ECE"),
            (Flags::CWR, "CWR"),
            (Flags::ACK, "ACK"),
        ];
        let names: Vec<&str> = ORDER
            .iter()
            .filter(|(b, _)| self.contains(*b))
            .map(|(_, n)| *n)
            .collect();
        let s = if names.is_empty() {
            "-".to_string()
        } else {
            names.join(",")
        };
        f.pad(&s)
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{self}]")
    }
}

/// TCP options as the hardware parser reports them.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TcpOptions {
    pub mss: Option<u16>,
    pub window_scale: Option<u8>,
    pub sack_permitted: bool,
    pub timestamps: Option<(u32, u32)>,
    /// At most four (left, right) blocks.
    pub sack_blocks: Vec<(u32, u32)>,
}

impl TcpOptions {
    pub fn is_empty(&self) -> bool {
        *self == TcpOptions::default()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub src_addr: [u8; 4],
    pub dst_addr: [u8; 4],
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: Flags,
    /// The window field exactly as on the wire (not yet scaled).
    pub window: u16,
    pub urgent: u16,
    pub options: TcpOptions,
    pub payload: Vec<u8>,
}

/// Why bytes were not a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    Truncated,
    BadHeaderLength,
    BadChecksum,
    NotIpv4,
    NotTcp,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            ParseError::Truncated => "truncated",
            ParseError::BadHeaderLength => "bad header length",
            ParseError::BadChecksum => "bad checksum",
            ParseError::NotIpv4 => "not IPv4",
            ParseError::NotTcp => "not TCP",
        };
        f.write_str(s)
    }
}

impl std::error::Error for ParseError {}

const IPPROTO_TCP: u8 = 6;

/// Ones'-complement sum of big-endian 16-bit words (odd length padded with zero),
/// added to `acc` and not yet folded to 16 bits. The bytes are summed as native
/// 64-bit words and the result byte-swapped at the end, which RFC 1071 §2 shows is
/// the same sum: a quarter of the additions of a 16-bit loop, and no shuffling.
fn sum16(acc: u32, bytes: &[u8]) -> u32 {
    let mut wide: u128 = 0;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        wide += u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as u128;
    }
    let rest = chunks.remainder();
    let mut tail = [0u8; 8];
    tail[..rest.len()].copy_from_slice(rest);
    wide += u64::from_ne_bytes(tail) as u128;
    // Fold with end-around carries down to 16 bits, still in native byte order.
    let mut w = (wide as u64 as u128) + (wide >> 64);
    while w > 0xffff {
        w = (w & 0xffff) + (w >> 16);
    }
    acc + u16::from_be(w as u16) as u32
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

fn pseudo_header_sum(src: [u8; 4], dst: [u8; 4], proto: u8, len: usize) -> u32 {
    let acc = sum16(0, &src);
    let acc = sum16(acc, &dst);
    acc + proto as u32 + len as u32
}

/// The Internet checksum (RFC 1071) of `bytes` alone: an IPv4 header's, an ICMP
/// message's.
pub fn internet_checksum(bytes: &[u8]) -> u16 {
    !fold(sum16(0, bytes))
}

/// The Internet checksum of a TCP or UDP datagram with its IPv4 pseudo-header.
pub fn transport_checksum(src: [u8; 4], dst: [u8; 4], proto: u8, bytes: &[u8]) -> u16 {
    !fold(sum16(
        pseudo_header_sum(src, dst, proto, bytes.len()),
        bytes,
    ))
}

impl Segment {
    /// A segment with no flags, options or payload; fill in what you need.
    pub fn new(src: ([u8; 4], u16), dst: ([u8; 4], u16)) -> Segment {
        Segment {
            src_addr: src.0,
            dst_addr: dst.0,
            src_port: src.1,
            dst_port: dst.1,
            seq: 0,
            ack: 0,
            flags: Flags::NONE,
            window: 0,
            urgent: 0,
            options: TcpOptions::default(),
            payload: Vec::new(),
        }
    }

    /// Sequence space the segment occupies: payload plus one each for SYN and FIN.
    pub fn seq_len(&self) -> u32 {
        self.payload.len() as u32 + self.flags.syn() as u32 + self.flags.fin() as u32
    }

    /// The option bytes `emit_tcp` writes, padded to a multiple of 4 (what a `TxTcp` carries).
    pub fn options_bytes(&self) -> Vec<u8> {
        let o = &self.options;
        let mut b = Vec::new();
        if let Some(mss) = o.mss {
            b.extend_from_slice(&[2, 4]);
            b.extend_from_slice(&mss.to_be_bytes());
        }
        if let Some(ws) = o.window_scale {
            b.extend_from_slice(&[1, 3, 3, ws]);
        }
        if o.sack_permitted {
            b.extend_from_slice(&[1, 1, 4, 2]);
        }
        if let Some((val, ecr)) = o.timestamps {
            b.extend_from_slice(&[1, 1, 8, 10]);
            b.extend_from_slice(&val.to_be_bytes());
            b.extend_from_slice(&ecr.to_be_bytes());
        }
        // Options space is 40 bytes; keep as many SACK blocks as fit.
        let room = (40usize.saturating_sub(b.len() + 4)) / 8;
        let blocks = &o.sack_blocks[..o.sack_blocks.len().min(room).min(4)];
        if !blocks.is_empty() {
            b.extend_from_slice(&[1, 1, 5, 2 + 8 * blocks.len() as u8]);
            for (l, r) in blocks {
                b.extend_from_slice(&l.to_be_bytes());
                b.extend_from_slice(&r.to_be_bytes());
            }
        }
        while b.len() % 4 != 0 {
            b.push(0);
        }
        b
    }

    /// The TCP header, options and payload, checksum filled in.
    pub fn emit_tcp(&self) -> Vec<u8> {
        let mut b = Vec::new();
        self.emit_tcp_into(&mut b, &self.options_bytes());
        b
    }

    /// Append the TCP bytes to `out`; `opts` is `self.options_bytes()`.
    fn emit_tcp_into(&self, out: &mut Vec<u8>, opts: &[u8]) {
        let start = out.len();
        let hlen = 20 + opts.len();
        out.reserve(hlen + self.payload.len());
        let b = out;
        b.extend_from_slice(&self.src_port.to_be_bytes());
        b.extend_from_slice(&self.dst_port.to_be_bytes());
        b.extend_from_slice(&self.seq.to_be_bytes());
        b.extend_from_slice(&self.ack.to_be_bytes());
        b.push(((hlen / 4) as u8) << 4);
        b.push(self.flags.0);
        b.extend_from_slice(&self.window.to_be_bytes());
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&self.urgent.to_be_bytes());
        b.extend_from_slice(opts);
        b.extend_from_slice(&self.payload);
        let c = transport_checksum(self.src_addr, self.dst_addr, IPPROTO_TCP, &b[start..]);
        b[start + 16..start + 18].copy_from_slice(&c.to_be_bytes());
    }

    /// Parse raw TCP bytes that travelled between `src` and `dst`, checking the checksum.
    pub fn parse_tcp(src: [u8; 4], dst: [u8; 4], b: &[u8]) -> Result<Segment, ParseError> {
        if b.len() < 20 {
            return Err(ParseError::Truncated);
        }
        let hlen = (b[12] >> 4) as usize * 4;
        if hlen < 20 || hlen > b.len() {
            return Err(ParseError::BadHeaderLength);
        }
        if fold(sum16(pseudo_header_sum(src, dst, IPPROTO_TCP, b.len()), b)) != 0xffff {
            return Err(ParseError::BadChecksum);
        }
        let be16 = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        let be32 = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Ok(Segment {
            src_addr: src,
            dst_addr: dst,
            src_port: be16(0),
            dst_port: be16(2),
            seq: be32(4),
            ack: be32(8),
            flags: Flags(b[13]),
            window: be16(14),
            urgent: be16(18),
            options: parse_options(&b[20..hlen]),
            payload: b[hlen..].to_vec(),
        })
    }

    /// A minimal IPv4 packet (no options, DF set, TTL 64) carrying this segment.
    pub fn emit_ipv4(&self) -> Vec<u8> {
        let opts = self.options_bytes();
        let tcp_len = 20 + opts.len() + self.payload.len();
        let mut p = Vec::with_capacity(20 + tcp_len);
        write_ipv4_header(&mut p, self.src_addr, self.dst_addr, IPPROTO_TCP, tcp_len);
        self.emit_tcp_into(&mut p, &opts);
        p
    }

    /// Parse an IPv4 packet carrying TCP. IP options are skipped, fragments refused.
    pub fn parse_ipv4(p: &[u8]) -> Result<Segment, ParseError> {
        let (src, dst, proto, body) = parse_ipv4_header(p)?;
        if proto != IPPROTO_TCP {
            return Err(ParseError::NotTcp);
        }
        Segment::parse_tcp(src, dst, body)
    }
}

/// An IPv4 header for a payload of `len` bytes, header checksum filled in.
pub fn ipv4_header(src: [u8; 4], dst: [u8; 4], proto: u8, len: usize) -> Vec<u8> {
    let mut h = Vec::with_capacity(20 + len);
    write_ipv4_header(&mut h, src, dst, proto, len);
    h
}

fn write_ipv4_header(out: &mut Vec<u8>, src: [u8; 4], dst: [u8; 4], proto: u8, len: usize) {
    let start = out.len();
    let total = (20 + len) as u16;
    out.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0]);
    out[start + 2..start + 4].copy_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&src);
    out.extend_from_slice(&dst);
    let c = internet_checksum(&out[start..start + 20]);
    out[start + 10..start + 12].copy_from_slice(&c.to_be_bytes());
}

/// Source address, destination address, protocol and payload of an IPv4 packet.
pub type Ipv4Parts<'a> = ([u8; 4], [u8; 4], u8, &'a [u8]);

/// Split an IPv4 packet into its addresses, protocol and payload.
pub fn parse_ipv4_header(p: &[u8]) -> Result<Ipv4Parts<'_>, ParseError> {
    if p.len() < 20 {
        return Err(ParseError::Truncated);
    }
    if p[0] >> 4 != 4 {
        return Err(ParseError::NotIpv4);
    }
    let ihl = (p[0] & 0x0f) as usize * 4;
    let total = u16::from_be_bytes([p[2], p[3]]) as usize;
    if ihl < 20 || total < ihl || total > p.len() {
        return Err(ParseError::BadHeaderLength);
    }
    if fold(sum16(0, &p[..ihl])) != 0xffff {
        return Err(ParseError::BadChecksum);
    }
    let frag = u16::from_be_bytes([p[6], p[7]]);
    if frag & 0x3fff != 0 {
        return Err(ParseError::NotTcp);
    }
    let src = [p[12], p[13], p[14], p[15]];
    let dst = [p[16], p[17], p[18], p[19]];
    Ok((src, dst, p[9], &p[ihl..total]))
}

/// Parse the option bytes of a TCP header. Unknown options are skipped by their
/// length; an option whose length is impossible ends parsing (what follows cannot be
/// located), keeping whatever was parsed before it.
pub fn parse_options(mut b: &[u8]) -> TcpOptions {
    let mut o = TcpOptions::default();
    while let Some(&kind) = b.first() {
        match kind {
            0 => break,
            1 => {
                b = &b[1..];
                continue;
            }
            _ => {}
        }
        let Some(&len) = b.get(1) else { break };
        let len = len as usize;
        if len < 2 || len > b.len() {
            break;
        }
        let body = &b[2..len];
        match (kind, body.len()) {
            (2, 2) => o.mss = Some(u16::from_be_bytes([body[0], body[1]])),
            (3, 1) => o.window_scale = Some(body[0]),
            (4, 0) => o.sack_permitted = true,
            (5, n) if n % 8 == 0 && n > 0 => {
                o.sack_blocks = body
                    .chunks_exact(8)
                    .take(4)
                    .map(|c| {
                        (
                            u32::from_be_bytes([c[0], c[1], c[2], c[3]]),
                            u32::from_be_bytes([c[4], c[5], c[6], c[7]]),
                        )
                    })
                    .collect();
            }
            (8, 8) => {
                o.timestamps = Some((
                    u32::from_be_bytes([body[0], body[1], body[2], body[3]]),
                    u32::from_be_bytes([body[4], body[5], body[6], body[7]]),
                ))
            }
            _ => {}
        }
        b = &b[len..];
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Segment {
        let mut s = Segment::new(([10, 0, 0, 1], 1234), ([10, 0, 0, 2], 80));
        s.seq = 0xdead_beef;
        s.ack = 7;
        s.flags = Flags::SYN | Flags::ACK;
        s.window = 1000;
        s.options = TcpOptions {
            mss: Some(1460),
            window_scale: Some(7),
            sack_permitted: true,
            timestamps: Some((1, 2)),
            sack_blocks: vec![(10, 20)],
        };
        s.payload = b"hello".to_vec();
        s
    }

    #[test]
    fn emit_then_parse_round_trips_through_tcp_and_ipv4() {
        let s = sample();
        assert_eq!(
            Segment::parse_tcp(s.src_addr, s.dst_addr, &s.emit_tcp()),
            Ok(s.clone())
        );
        assert_eq!(Segment::parse_ipv4(&s.emit_ipv4()), Ok(s));
    }

    #[test]
    fn flipped_bit_fails_the_checksum() {
        let s = sample();
        let mut b = s.emit_tcp();
        b[25] ^= 0x10;
        assert_eq!(
            Segment::parse_tcp(s.src_addr, s.dst_addr, &b),
            Err(ParseError::BadChecksum)
        );
    }

    #[test]
    fn options_that_lie_about_their_length_stop_parsing_without_panic() {
        // MSS ok, then window scale claiming 40 bytes.
        let o = parse_options(&[2, 4, 0x05, 0xb4, 3, 40, 7]);
        assert_eq!(o.mss, Some(1460));
        assert_eq!(o.window_scale, None);
        // Length 0 and 1 would loop forever or underflow if trusted.
        assert_eq!(parse_options(&[8, 0, 1, 1]), TcpOptions::default());
        assert_eq!(parse_options(&[8, 1]), TcpOptions::default());
        // A wrong-size MSS is ignored, the rest still parsed.
        let o = parse_options(&[2, 3, 9, 4, 2]);
        assert_eq!((o.mss, o.sack_permitted), (None, true));
    }

    #[test]
    fn flags_print_in_conventional_order() {
        assert_eq!((Flags::ACK | Flags::SYN).to_string(), "SYN,ACK");
        assert_eq!(
            (Flags::FIN | Flags::ACK | Flags::PSH).to_string(),
            "FIN,PSH,ACK"
        );
        assert_eq!(Flags::NONE.to_string(), "-");
    }
}
