//! Every message of the board link, as it travels inside a frame: a type byte and a
//! fixed little-endian body. Addresses (MAC, IPv4) are kept in network order, exactly
//! as on the Ethernet wire.
//!
//! Guarantee: [`Message::decode`] never panics, whatever the bytes; it returns a typed
//! [`DecodeError`] for an unknown type, a wrong length or an out-of-range field. A
//! decoded message re-encodes to the same bytes, and every message that
//! [`Message::encode`] accepts decodes back to itself.
//!
//! Frames ([`encode_frame`], [`decode_frame`]) wrap a message as
//! `COBS( type u8 | body | crc32 LE over type+body ) 0x00`.
//!
//! Layouts (offsets within the body, after the type byte; all integers little-endian):
//!
//! | type | message | body |
//! |---|---|---|
//! | **board → host** | | |
//! | 0x01 | Hello | 0 version u8 (=4), 1 mac \[6\], 7 ip \[4\], 11 build_id u32, 15 rx_fifo_bytes u16 (the receive FIFO's size), 17 rx_record_overhead u8 (what one TCP segment's record takes in it beyond its option and payload bytes) — 18 bytes; a version 1 board's Hello is the first 15 |
//! | 0x02 | RxTcp | 0 protocol u8 (=6), 1 header_len u8 (20..=60, multiple of 4), 2 src_mac \[6\], 8 src_ip \[4\], 12 src_port u16, 14 dst_port u16, 16 seq u32, 20 ack u32, 24 flags u16, 26 window u16 (unscaled), 28 mss u16 (0 = none), 30 window_scale u8 (0xFF = none), 31 option_flags u8 (bit 0 SACK-permitted, bit 1 timestamps) — 32 bytes, then header_len − 20 option bytes, then the payload to the end |
//! | 0x03 | RxUdp | 0 src_mac \[6\], 6 src_ip \[4\], 10 dst_ip \[4\], 14 src_port u16, 16 dst_port u16 — 18 bytes, then the payload to the end |
//! | 0x04 | Counters | 32 × u32, indexed by counter slot — 128 bytes |
//! | 0x05 | TxDone | 0 tag u16 — 2 bytes; the request with this tag has left, and so has every request sent before it (the board sends its requests in order and keeps one TxDone to send, so one may replace another) |
//! | 0x06 | Error | 0 code u8 (1 bad CRC from host, 2 bad COBS, 3 unknown type, 4 bad length, 5 transmit busy) — 1 byte |
//! | 0x07 | ArpReply | 0 ip \[4\], 4 mac \[6\] — 10 bytes |
//! | 0x08 | RxIcmp | 0 src_mac \[6\], 6 src_ip \[4\], 10 dst_ip \[4\], 14 type_code u16 (type in the high byte, code in the low), 16 checksum u16 — 18 bytes (RxUdp's layout: the board writes ICMP's first four bytes where UDP's ports go), then the ICMP message from its byte 4 on (the rest of its header, then the datagram it quotes), so that type, code, checksum and the rest make the message's first [`MAX_RX_ICMP_MESSAGE`] bytes at most. Only errors with a good checksum come: destination unreachable (3), time exceeded (11), parameter problem (12) |
//! | **host → board** | | |
//! | 0x81 | Config | 0 mac \[6\], 6 ip \[4\], 10 netmask \[4\], 14 promiscuous u8 (0/1), 15 link_rate u8 (0 4 Mbaud, 1 12 Mbaud: the board's UART from the Hello that answers on; see [`LinkRate`]) — 16 bytes |
//! | 0x82 | TxTcp | 0 tag u16, 2 dst_mac \[6\], 8 dst_ip \[4\], 12 src_port u16, 14 dst_port u16, 16 seq u32, 20 ack u32, 24 flags u16, 26 window u16, 28 options_len u8 (multiple of 4, ≤ 40) — 29 bytes, then the options, then the payload to the end |
//! | 0x83 | TxUdp | 0 tag u16, 2 dst_mac \[6\], 8 dst_ip \[4\], 12 src_port u16, 14 dst_port u16 — 16 bytes, then the payload to the end |
//! | 0x84 | ArpRequest | 0 ip \[4\] — 4 bytes |
//! | 0x85 | GetCounters | empty |
//! | 0x86 | TxIcmp | 0 tag u16, 2 dst_mac \[6\], 8 dst_ip \[4\] — 12 bytes, then the whole ICMP message to the end (at most [`MAX_ICMP_MESSAGE`] bytes, its checksum already computed: the board adds the IPv4 header, protocol 1, and nothing else) |
//!
//! TCP flags (u16): bit 0 FIN, 1 SYN, 2 RST, 3 PSH, 4 ACK, 5 URG, 6 ECE, 7 CWR, 8 NS.
//! The urgent pointer is not carried: the host ignores URG.
//!
//! Sizes are bounded by a 1500-byte IPv4 MTU: TCP options plus payload at most
//! [`MAX_TCP_SEGMENT`] bytes, a UDP payload at most [`MAX_UDP_PAYLOAD`], an ICMP message
//! at most [`MAX_ICMP_MESSAGE`]. Longer bodies are refused both ways, which bounds
//! [`MAX_FRAME_LEN`].
//!
//! Versions (`Hello.version`): 2 added the receive FIFO's size and record overhead to
//! Hello, 3 the TxIcmp message, 4 the RxIcmp message, 5 Config's link rate. A board of
//! another version is refused by the host.

use super::{cobs, crc::crc32};
use std::fmt;

/// TCP options plus payload in one segment: 1500 (MTU) − 20 (IPv4) − 20 (TCP header).
pub const MAX_TCP_SEGMENT: usize = 1480;
/// UDP payload in one datagram: 1500 − 20 (IPv4) − 8 (UDP header).
pub const MAX_UDP_PAYLOAD: usize = 1472;
/// ICMP message (header included) in one packet: 1500 − 20 (IPv4).
pub const MAX_ICMP_MESSAGE: usize = 1480;
/// What RxIcmp carries of an ICMP message at most: its first 64 bytes (the 8-byte
/// header, then 56 of the datagram it quotes: an IPv4 header without options and 36
/// bytes of its payload, TCP's or UDP's header included). Bounded so that the host can
/// keep one record's worth of the board's receive FIFO aside for it.
pub const MAX_RX_ICMP_MESSAGE: usize = 64;
/// Longest type + body of any message (RxTcp with a full segment).
pub const MAX_MESSAGE_LEN: usize = 1 + RX_TCP_FIXED + MAX_TCP_SEGMENT;
/// Longest frame on the wire, COBS overhead and the 0x00 delimiter included.
pub const MAX_FRAME_LEN: usize = cobs::max_encoded_len(MAX_MESSAGE_LEN + 4) + 1;
/// The protocol version this code speaks (`Hello.version`). Version 2 added the
/// receive FIFO's size and record overhead to Hello, version 3 TxIcmp, version 4
/// RxIcmp, version 5 Config's link rate.
pub const LINK_VERSION: u8 = 5;

const HELLO_LEN: usize = 18;
/// A version 1 board's Hello: no FIFO fields. Decoded (with them zero) so that the
/// host can say which version the board speaks.
const HELLO_V1_LEN: usize = 15;
const RX_TCP_FIXED: usize = 32;
const RX_UDP_FIXED: usize = 18;
const COUNTERS_LEN: usize = 128;
const CONFIG_LEN: usize = 16;
const TX_TCP_FIXED: usize = 29;
const TX_UDP_FIXED: usize = 16;
const TX_ICMP_FIXED: usize = 12;
const IPPROTO_TCP: u8 = 6;

/// Message type bytes.
pub mod kind {
    pub const HELLO: u8 = 0x01;
    pub const RX_TCP: u8 = 0x02;
    pub const RX_UDP: u8 = 0x03;
    pub const COUNTERS: u8 = 0x04;
    pub const TX_DONE: u8 = 0x05;
    pub const ERROR: u8 = 0x06;
    pub const ARP_REPLY: u8 = 0x07;
    pub const RX_ICMP: u8 = 0x08;
    pub const CONFIG: u8 = 0x81;
    pub const TX_TCP: u8 = 0x82;
    pub const TX_UDP: u8 = 0x83;
    pub const ARP_REQUEST: u8 = 0x84;
    pub const GET_COUNTERS: u8 = 0x85;
    pub const TX_ICMP: u8 = 0x86;
}

/// Bits of the 16-bit TCP flags field.
pub mod tcp_flags {
    pub const FIN: u16 = 1 << 0;
    pub const SYN: u16 = 1 << 1;
    pub const RST: u16 = 1 << 2;
    pub const PSH: u16 = 1 << 3;
    pub const ACK: u16 = 1 << 4;
    pub const URG: u16 = 1 << 5;
    pub const ECE: u16 = 1 << 6;
    pub const CWR: u16 = 1 << 7;
    pub const NS: u16 = 1 << 8;
}

/// Bits of `RxTcp::option_flags`.
pub mod option_flags {
    pub const SACK_PERMITTED: u8 = 1 << 0;
    pub const TIMESTAMPS: u8 = 1 << 1;
}

/// The board announces itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    /// Reported as received; the caller compares it with [`LINK_VERSION`].
    pub version: u8,
    pub mac: [u8; 6],
    pub ip: [u8; 4],
    pub build_id: u32,
    /// The board's receive FIFO, in bytes (0 from a version 1 board).
    pub rx_fifo_bytes: u16,
    /// Bytes one TCP segment's record takes in that FIFO beyond its option and
    /// payload bytes (0 from a version 1 board).
    pub rx_record_overhead: u8,
}

/// A TCP segment the board received, checked and parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RxTcp {
    pub src_mac: [u8; 6],
    pub src_ip: [u8; 4],
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u16,
    /// As received, before window scaling.
    pub window: u16,
    /// The MSS option's value; 0 when the segment carried none.
    pub mss: u16,
    /// The window scale option's shift; 0xFF when the segment carried none.
    pub window_scale: u8,
    /// See [`option_flags`].
    pub option_flags: u8,
    /// The raw TCP option bytes (header length − 20 of them).
    pub options: Vec<u8>,
    pub payload: Vec<u8>,
}

impl RxTcp {
    pub fn mss_option(&self) -> Option<u16> {
        (self.mss != 0).then_some(self.mss)
    }
    pub fn window_scale_option(&self) -> Option<u8> {
        (self.window_scale != 0xFF).then_some(self.window_scale)
    }
    /// TCP header length in bytes, as the data offset field said.
    pub fn header_len(&self) -> usize {
        20 + self.options.len()
    }
}

/// A UDP datagram the board received, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RxUdp {
    pub src_mac: [u8; 6],
    pub src_ip: [u8; 4],
    pub dst_ip: [u8; 4],
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: Vec<u8>,
}

/// An ICMP error the board received, its checksum checked: its first bytes, header
/// included (the quoted datagram follows the 8-byte header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RxIcmp {
    pub src_mac: [u8; 6],
    pub src_ip: [u8; 4],
    pub dst_ip: [u8; 4],
    /// The ICMP message from its type byte on, at least 4 and at most
    /// [`MAX_RX_ICMP_MESSAGE`] bytes (the link carries its first four bytes in the
    /// fixed part, the rest after it).
    pub message: Vec<u8>,
}

impl RxIcmp {
    /// The fixed part's last four bytes as the board writes them: the message's first
    /// two 16-bit words, little-endian (type and code, then the checksum).
    fn header_words(&self) -> [u8; 4] {
        let b = |i: usize| self.message.get(i).copied().unwrap_or(0);
        [b(1), b(0), b(3), b(2)]
    }
}

/// The board's interface configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub mac: [u8; 6],
    pub ip: [u8; 4],
    pub netmask: [u8; 4],
    pub promiscuous: bool,
    /// The rate the board's UART runs at from this Config on.
    pub link_rate: LinkRate,
}

/// The rates the board's UART runs at, from its 100 MHz clock: 4 Mbaud (25 clocks a
/// bit, from power-up) and 12 Mbaud (8⅓ clocks a bit on average, the FT2232H's
/// fastest). Config's `link_rate` byte is 0 or 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LinkRate {
    #[default]
    Mbaud4,
    Mbaud12,
}

impl LinkRate {
    pub const ALL: [LinkRate; 2] = [LinkRate::Mbaud4, LinkRate::Mbaud12];

    pub fn baud(self) -> u32 {
        match self {
            LinkRate::Mbaud4 => 4_000_000,
            LinkRate::Mbaud12 => 12_000_000,
        }
    }

    /// The rate `baud` names, if the board's UART runs at it.
    pub fn from_baud(baud: u32) -> Option<LinkRate> {
        LinkRate::ALL.into_iter().find(|r| r.baud() == baud)
    }
}

/// A TCP segment for the board to send; it fills in the checksums and IPv4 header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxTcp {
    /// Echoed in `TxDone` once the frame has left.
    pub tag: u16,
    pub dst_mac: [u8; 6],
    pub dst_ip: [u8; 4],
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u16,
    pub window: u16,
    /// Raw option bytes, padded to a multiple of 4, at most 40.
    pub options: Vec<u8>,
    pub payload: Vec<u8>,
}

/// A UDP datagram for the board to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxUdp {
    pub tag: u16,
    pub dst_mac: [u8; 6],
    pub dst_ip: [u8; 4],
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: Vec<u8>,
}

/// An ICMP message for the board to send in an IPv4 packet (protocol 1). The host
/// computes the message's checksum (ICMP has no pseudo-header): the board adds only the
/// IPv4 and Ethernet headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxIcmp {
    pub tag: u16,
    pub dst_mac: [u8; 6],
    pub dst_ip: [u8; 4],
    /// Type, code, checksum, the rest of the header and the data.
    pub message: Vec<u8>,
}

/// What the board's `Error` message reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    BadCrc,
    BadCobs,
    UnknownType,
    BadLength,
    TransmitBusy,
    /// A code this host does not know (a newer board); kept so it re-encodes.
    Other(u8),
}

impl ErrorCode {
    pub fn from_u8(code: u8) -> ErrorCode {
        match code {
            1 => ErrorCode::BadCrc,
            2 => ErrorCode::BadCobs,
            3 => ErrorCode::UnknownType,
            4 => ErrorCode::BadLength,
            5 => ErrorCode::TransmitBusy,
            c => ErrorCode::Other(c),
        }
    }
    pub fn to_u8(self) -> u8 {
        match self {
            ErrorCode::BadCrc => 1,
            ErrorCode::BadCobs => 2,
            ErrorCode::UnknownType => 3,
            ErrorCode::BadLength => 4,
            ErrorCode::TransmitBusy => 5,
            ErrorCode::Other(c) => c,
        }
    }
}

/// One link message, either direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    // Board → host.
    Hello(Hello),
    RxTcp(RxTcp),
    RxUdp(RxUdp),
    RxIcmp(RxIcmp),
    /// Counter values by slot; see [`named_counters`].
    Counters([u32; 32]),
    /// Request `tag` has left, and every request sent before it too (the board
    /// keeps one TxDone to send: a later one replaces an unsent one).
    TxDone {
        tag: u16,
    },
    Error {
        code: ErrorCode,
    },
    ArpReply {
        ip: [u8; 4],
        mac: [u8; 6],
    },
    // Host → board.
    Config(Config),
    TxTcp(TxTcp),
    TxUdp(TxUdp),
    ArpRequest {
        ip: [u8; 4],
    },
    GetCounters,
    TxIcmp(TxIcmp),
}

/// Why bytes are not a message (or a message cannot be encoded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Not even a type byte.
    Empty,
    UnknownType(u8),
    /// The body is not a length this type can have.
    BadLength {
        kind: u8,
        len: usize,
    },
    /// A field is outside its range (protocol, header length, options length, flag).
    BadField {
        kind: u8,
        field: &'static str,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => write!(f, "empty message"),
            DecodeError::UnknownType(t) => write!(f, "unknown message type 0x{t:02x}"),
            DecodeError::BadLength { kind, len } => {
                write!(f, "message type 0x{kind:02x} cannot have a {len}-byte body")
            }
            DecodeError::BadField { kind, field } => {
                write!(f, "message type 0x{kind:02x} has an invalid {field}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Why a frame (the bytes between two 0x00 delimiters) yielded no message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    Cobs(cobs::CobsError),
    /// Shorter than a type byte and a CRC.
    TooShort {
        len: usize,
    },
    Crc {
        computed: u32,
        received: u32,
    },
    Message(DecodeError),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Cobs(e) => write!(f, "bad COBS: {e}"),
            FrameError::TooShort { len } => write!(f, "frame of {len} bytes is too short"),
            FrameError::Crc { computed, received } => {
                write!(
                    f,
                    "bad CRC: computed {computed:08x}, frame says {received:08x}"
                )
            }
            FrameError::Message(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Counter values with their names from the hardware's slot map; unnamed slots skipped.
pub fn named_counters(values: &[u32; 32]) -> Vec<(&'static str, u32)> {
    tcpip_sim::rx::counter_names()
        .into_iter()
        .filter_map(|(slot, name)| values.get(slot as usize).map(|v| (name, *v)))
        .collect()
}

/// Little-endian field reader over a body whose length was already checked; every
/// read is still bounds-checked so that a mistake is an error, not a panic.
struct Reader<'a> {
    b: &'a [u8],
    kind: u8,
    /// The whole body's length, for the error.
    len: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.b.len() < n {
            return Err(DecodeError::BadLength {
                kind: self.kind,
                len: self.len,
            });
        }
        let (head, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn rest(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.b).to_vec()
    }
}

/// TCP options fill whole 32-bit words, at most 10 of them (data offset ≤ 15).
fn valid_options_len(n: usize) -> bool {
    n <= 40 && n.is_multiple_of(4)
}

fn fixed_len(kind: u8, body: &[u8], len: usize) -> Result<(), DecodeError> {
    if body.len() == len {
        Ok(())
    } else {
        Err(DecodeError::BadLength {
            kind,
            len: body.len(),
        })
    }
}

fn bounded_len(kind: u8, body: &[u8], fixed: usize, max_rest: usize) -> Result<(), DecodeError> {
    if body.len() >= fixed && body.len() - fixed <= max_rest {
        Ok(())
    } else {
        Err(DecodeError::BadLength {
            kind,
            len: body.len(),
        })
    }
}

impl Message {
    pub fn kind(&self) -> u8 {
        match self {
            Message::Hello(_) => kind::HELLO,
            Message::RxTcp(_) => kind::RX_TCP,
            Message::RxUdp(_) => kind::RX_UDP,
            Message::RxIcmp(_) => kind::RX_ICMP,
            Message::Counters(_) => kind::COUNTERS,
            Message::TxDone { .. } => kind::TX_DONE,
            Message::Error { .. } => kind::ERROR,
            Message::ArpReply { .. } => kind::ARP_REPLY,
            Message::Config(_) => kind::CONFIG,
            Message::TxTcp(_) => kind::TX_TCP,
            Message::TxUdp(_) => kind::TX_UDP,
            Message::ArpRequest { .. } => kind::ARP_REQUEST,
            Message::GetCounters => kind::GET_COUNTERS,
            Message::TxIcmp(_) => kind::TX_ICMP,
        }
    }

    /// Checks the fields that the layout constrains, so that encoding cannot produce
    /// bytes that [`Message::decode`] would refuse.
    pub fn check(&self) -> Result<(), DecodeError> {
        let kind = self.kind();
        let bad = |field| Err(DecodeError::BadField { kind, field });
        if let Message::Hello(h) = self {
            // Version 1's layout has no FIFO fields to carry them in.
            if h.version == 1 && (h.rx_fifo_bytes, h.rx_record_overhead) != (0, 0) {
                return bad("rx_fifo_bytes");
            }
        }
        let (options, payload, max) = match self {
            Message::RxTcp(m) => (m.options.len(), m.payload.len(), MAX_TCP_SEGMENT),
            Message::TxTcp(m) => (m.options.len(), m.payload.len(), MAX_TCP_SEGMENT),
            Message::RxUdp(m) => (0, m.payload.len(), MAX_UDP_PAYLOAD),
            Message::RxIcmp(m) if m.message.len() < 4 => return bad("message length"),
            Message::RxIcmp(m) => (0, m.message.len(), MAX_RX_ICMP_MESSAGE),
            Message::TxUdp(m) => (0, m.payload.len(), MAX_UDP_PAYLOAD),
            Message::TxIcmp(m) => (0, m.message.len(), MAX_ICMP_MESSAGE),
            _ => return Ok(()),
        };
        if !valid_options_len(options) {
            return bad(if kind == kind::RX_TCP {
                "header_len"
            } else {
                "options_len"
            });
        }
        if options + payload > max {
            return bad("payload length");
        }
        Ok(())
    }

    /// Appends type and body to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        self.check()?;
        out.push(self.kind());
        match self {
            Message::Hello(m) => {
                out.push(m.version);
                out.extend_from_slice(&m.mac);
                out.extend_from_slice(&m.ip);
                out.extend_from_slice(&m.build_id.to_le_bytes());
                if m.version != 1 {
                    out.extend_from_slice(&m.rx_fifo_bytes.to_le_bytes());
                    out.push(m.rx_record_overhead);
                }
            }
            Message::RxTcp(m) => {
                out.push(IPPROTO_TCP);
                out.push(m.header_len() as u8);
                out.extend_from_slice(&m.src_mac);
                out.extend_from_slice(&m.src_ip);
                out.extend_from_slice(&m.src_port.to_le_bytes());
                out.extend_from_slice(&m.dst_port.to_le_bytes());
                out.extend_from_slice(&m.seq.to_le_bytes());
                out.extend_from_slice(&m.ack.to_le_bytes());
                out.extend_from_slice(&m.flags.to_le_bytes());
                out.extend_from_slice(&m.window.to_le_bytes());
                out.extend_from_slice(&m.mss.to_le_bytes());
                out.push(m.window_scale);
                out.push(m.option_flags);
                out.extend_from_slice(&m.options);
                out.extend_from_slice(&m.payload);
            }
            Message::RxUdp(m) => {
                out.extend_from_slice(&m.src_mac);
                out.extend_from_slice(&m.src_ip);
                out.extend_from_slice(&m.dst_ip);
                out.extend_from_slice(&m.src_port.to_le_bytes());
                out.extend_from_slice(&m.dst_port.to_le_bytes());
                out.extend_from_slice(&m.payload);
            }
            Message::RxIcmp(m) => {
                out.extend_from_slice(&m.src_mac);
                out.extend_from_slice(&m.src_ip);
                out.extend_from_slice(&m.dst_ip);
                out.extend_from_slice(&m.header_words());
                out.extend_from_slice(&m.message[4..]);
            }
            Message::Counters(values) => {
                for v in values {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            Message::TxDone { tag } => out.extend_from_slice(&tag.to_le_bytes()),
            Message::Error { code } => out.push(code.to_u8()),
            Message::ArpReply { ip, mac } => {
                out.extend_from_slice(ip);
                out.extend_from_slice(mac);
            }
            Message::Config(m) => {
                out.extend_from_slice(&m.mac);
                out.extend_from_slice(&m.ip);
                out.extend_from_slice(&m.netmask);
                out.push(m.promiscuous as u8);
                out.push(m.link_rate as u8);
            }
            Message::TxTcp(m) => {
                out.extend_from_slice(&m.tag.to_le_bytes());
                out.extend_from_slice(&m.dst_mac);
                out.extend_from_slice(&m.dst_ip);
                out.extend_from_slice(&m.src_port.to_le_bytes());
                out.extend_from_slice(&m.dst_port.to_le_bytes());
                out.extend_from_slice(&m.seq.to_le_bytes());
                out.extend_from_slice(&m.ack.to_le_bytes());
                out.extend_from_slice(&m.flags.to_le_bytes());
                out.extend_from_slice(&m.window.to_le_bytes());
                out.push(m.options.len() as u8);
                out.extend_from_slice(&m.options);
                out.extend_from_slice(&m.payload);
            }
            Message::TxUdp(m) => {
                out.extend_from_slice(&m.tag.to_le_bytes());
                out.extend_from_slice(&m.dst_mac);
                out.extend_from_slice(&m.dst_ip);
                out.extend_from_slice(&m.src_port.to_le_bytes());
                out.extend_from_slice(&m.dst_port.to_le_bytes());
                out.extend_from_slice(&m.payload);
            }
            Message::ArpRequest { ip } => out.extend_from_slice(ip),
            Message::GetCounters => {}
            Message::TxIcmp(m) => {
                out.extend_from_slice(&m.tag.to_le_bytes());
                out.extend_from_slice(&m.dst_mac);
                out.extend_from_slice(&m.dst_ip);
                out.extend_from_slice(&m.message);
            }
        }
        Ok(())
    }

    /// Type and body.
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// Parses type and body (no CRC). Never panics.
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        let (&kind, body) = bytes.split_first().ok_or(DecodeError::Empty)?;
        let mut r = Reader {
            b: body,
            kind,
            len: body.len(),
        };
        let bad = |field| DecodeError::BadField { kind, field };
        let msg = match kind {
            kind::HELLO => {
                let v1 = body.first() == Some(&1);
                fixed_len(kind, body, if v1 { HELLO_V1_LEN } else { HELLO_LEN })?;
                Message::Hello(Hello {
                    version: r.u8()?,
                    mac: r.array()?,
                    ip: r.array()?,
                    build_id: r.u32()?,
                    rx_fifo_bytes: if v1 { 0 } else { r.u16()? },
                    rx_record_overhead: if v1 { 0 } else { r.u8()? },
                })
            }
            kind::RX_TCP => {
                bounded_len(kind, body, RX_TCP_FIXED, MAX_TCP_SEGMENT)?;
                if r.u8()? != IPPROTO_TCP {
                    return Err(bad("protocol"));
                }
                let header_len = r.u8()? as usize;
                if header_len < 20 || !valid_options_len(header_len - 20) {
                    return Err(bad("header_len"));
                }
                let mut m = RxTcp {
                    src_mac: r.array()?,
                    src_ip: r.array()?,
                    src_port: r.u16()?,
                    dst_port: r.u16()?,
                    seq: r.u32()?,
                    ack: r.u32()?,
                    flags: r.u16()?,
                    window: r.u16()?,
                    mss: r.u16()?,
                    window_scale: r.u8()?,
                    option_flags: r.u8()?,
                    options: Vec::new(),
                    payload: Vec::new(),
                };
                m.options = r.take(header_len - 20)?.to_vec();
                m.payload = r.rest();
                Message::RxTcp(m)
            }
            kind::RX_UDP => {
                bounded_len(kind, body, RX_UDP_FIXED, MAX_UDP_PAYLOAD)?;
                Message::RxUdp(RxUdp {
                    src_mac: r.array()?,
                    src_ip: r.array()?,
                    dst_ip: r.array()?,
                    src_port: r.u16()?,
                    dst_port: r.u16()?,
                    payload: r.rest(),
                })
            }
            kind::RX_ICMP => {
                bounded_len(kind, body, RX_UDP_FIXED, MAX_RX_ICMP_MESSAGE - 4)?;
                let (src_mac, src_ip, dst_ip) = (r.array()?, r.array()?, r.array()?);
                // The message's first two words, little-endian.
                let [code, kind, sum_lo, sum_hi]: [u8; 4] = r.array()?;
                let mut message = vec![kind, code, sum_hi, sum_lo];
                message.extend(r.rest());
                Message::RxIcmp(RxIcmp {
                    src_mac,
                    src_ip,
                    dst_ip,
                    message,
                })
            }
            kind::COUNTERS => {
                fixed_len(kind, body, COUNTERS_LEN)?;
                let mut values = [0u32; 32];
                for v in &mut values {
                    *v = r.u32()?;
                }
                Message::Counters(values)
            }
            kind::TX_DONE => {
                fixed_len(kind, body, 2)?;
                Message::TxDone { tag: r.u16()? }
            }
            kind::ERROR => {
                fixed_len(kind, body, 1)?;
                Message::Error {
                    code: ErrorCode::from_u8(r.u8()?),
                }
            }
            kind::ARP_REPLY => {
                fixed_len(kind, body, 10)?;
                Message::ArpReply {
                    ip: r.array()?,
                    mac: r.array()?,
                }
            }
            kind::CONFIG => {
                fixed_len(kind, body, CONFIG_LEN)?;
                let (mac, ip, netmask) = (r.array()?, r.array()?, r.array()?);
                let promiscuous = match r.u8()? {
                    0 => false,
                    1 => true,
                    _ => return Err(bad("promiscuous")),
                };
                let link_rate = match r.u8()? {
                    0 => LinkRate::Mbaud4,
                    1 => LinkRate::Mbaud12,
                    _ => return Err(bad("link_rate")),
                };
                Message::Config(Config {
                    mac,
                    ip,
                    netmask,
                    promiscuous,
                    link_rate,
                })
            }
            kind::TX_TCP => {
                bounded_len(kind, body, TX_TCP_FIXED, MAX_TCP_SEGMENT)?;
                let mut m = TxTcp {
                    tag: r.u16()?,
                    dst_mac: r.array()?,
                    dst_ip: r.array()?,
                    src_port: r.u16()?,
                    dst_port: r.u16()?,
                    seq: r.u32()?,
                    ack: r.u32()?,
                    flags: r.u16()?,
                    window: r.u16()?,
                    options: Vec::new(),
                    payload: Vec::new(),
                };
                let options_len = r.u8()? as usize;
                if !valid_options_len(options_len) {
                    return Err(bad("options_len"));
                }
                m.options = r.take(options_len)?.to_vec();
                m.payload = r.rest();
                Message::TxTcp(m)
            }
            kind::TX_UDP => {
                bounded_len(kind, body, TX_UDP_FIXED, MAX_UDP_PAYLOAD)?;
                Message::TxUdp(TxUdp {
                    tag: r.u16()?,
                    dst_mac: r.array()?,
                    dst_ip: r.array()?,
                    src_port: r.u16()?,
                    dst_port: r.u16()?,
                    payload: r.rest(),
                })
            }
            kind::ARP_REQUEST => {
                fixed_len(kind, body, 4)?;
                Message::ArpRequest { ip: r.array()? }
            }
            kind::GET_COUNTERS => {
                fixed_len(kind, body, 0)?;
                Message::GetCounters
            }
            kind::TX_ICMP => {
                bounded_len(kind, body, TX_ICMP_FIXED, MAX_ICMP_MESSAGE)?;
                Message::TxIcmp(TxIcmp {
                    tag: r.u16()?,
                    dst_mac: r.array()?,
                    dst_ip: r.array()?,
                    message: r.rest(),
                })
            }
            other => return Err(DecodeError::UnknownType(other)),
        };
        Ok(msg)
    }
}

/// Appends the whole frame for `msg` to `out`: COBS(type | body | crc32 LE) then 0x00.
pub fn encode_frame_into(msg: &Message, out: &mut Vec<u8>) -> Result<(), DecodeError> {
    let mut raw = Vec::with_capacity(MAX_MESSAGE_LEN + 4);
    msg.encode_into(&mut raw)?;
    let crc = crc32(&raw);
    raw.extend_from_slice(&crc.to_le_bytes());
    cobs::encode_into(&raw, out);
    out.push(0);
    Ok(())
}

/// The whole frame for `msg`, delimiter included.
pub fn encode_frame(msg: &Message) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    encode_frame_into(msg, &mut out)?;
    Ok(out)
}

/// Decodes the bytes between two delimiters (neither delimiter included).
pub fn decode_frame(frame: &[u8]) -> Result<Message, FrameError> {
    let raw = cobs::decode(frame).map_err(FrameError::Cobs)?;
    if raw.len() < 5 {
        return Err(FrameError::TooShort { len: raw.len() });
    }
    let (content, crc) = raw.split_at(raw.len() - 4);
    let received = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let computed = crc32(content);
    if computed != received {
        return Err(FrameError::Crc { computed, received });
    }
    Message::decode(content).map_err(FrameError::Message)
}
