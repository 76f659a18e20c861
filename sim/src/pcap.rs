//! Capture files in and out: the Ethernet frames of a pcap or pcapng file, and a pcap
//! of frames the board sent (`tcpip replay --out`).
//!
//! Captures are small, so a file is read whole into memory. Errors are one plain
//! sentence naming the file, because the command line prints them as they are.

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;

/// The shortest frame a MAC puts on the wire, without its FCS: shorter ones are padded.
pub const MIN_FRAME_LEN: usize = 60;

/// One frame of a capture, as captured (no preamble, usually no FCS).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedFrame {
    pub timestamp: Duration,
    pub data: Vec<u8>,
}

#[derive(Debug)]
pub enum CaptureError {
    Missing(PathBuf),
    Unreadable(PathBuf, io::Error),
    NotACapture(PathBuf),
    /// The link type's name as pcap-file spells it, and its number.
    LinkType(PathBuf, String, u32),
    /// The capture breaks off or is damaged at this frame (1-based).
    Damaged(PathBuf, usize),
    Write(PathBuf, String),
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            CaptureError::Missing(p) => write!(f, "{} does not exist.", p.display()),
            CaptureError::Unreadable(p, e) => write!(f, "{} cannot be read: {e}.", p.display()),
            CaptureError::NotACapture(p) => {
                write!(f, "{} is not a pcap or pcapng capture file.", p.display())
            }
            CaptureError::LinkType(p, name, n) => write!(
                f,
                "{} has link type {name} ({n}); only Ethernet (1) captures can be replayed.",
                p.display()
            ),
            CaptureError::Damaged(p, n) => {
                write!(f, "{} is damaged or cut short at frame {n}.", p.display())
            }
            CaptureError::Write(p, e) => write!(f, "{} cannot be written: {e}.", p.display()),
        }
    }
}

impl std::error::Error for CaptureError {}

/// Reads every Ethernet frame of a pcap or pcapng file, in file order.
pub fn read_frames(path: impl AsRef<Path>) -> Result<Vec<CapturedFrame>, CaptureError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => CaptureError::Missing(path.to_owned()),
        _ => CaptureError::Unreadable(path.to_owned(), e),
    })?;
    parse_frames(&bytes, path)
}

/// Like [`read_frames`], from bytes already in memory; `path` only names them in errors.
pub fn parse_frames(bytes: &[u8], path: &Path) -> Result<Vec<CapturedFrame>, CaptureError> {
    const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
    if bytes.starts_with(&PCAPNG_MAGIC) {
        parse_pcapng(bytes, path)
    } else {
        parse_pcap(bytes, path)
    }
}

fn link_type_error(path: &Path, link: DataLink) -> CaptureError {
    CaptureError::LinkType(path.to_owned(), format!("{link:?}"), u32::from(link))
}

fn parse_pcap(bytes: &[u8], path: &Path) -> Result<Vec<CapturedFrame>, CaptureError> {
    let mut reader =
        PcapReader::new(bytes).map_err(|_| CaptureError::NotACapture(path.to_owned()))?;
    let link = reader.header().datalink;
    if link != DataLink::ETHERNET {
        return Err(link_type_error(path, link));
    }
    let mut frames = Vec::new();
    while let Some(packet) = reader.next_packet() {
        let packet =
            packet.map_err(|_| CaptureError::Damaged(path.to_owned(), frames.len() + 1))?;
        frames.push(CapturedFrame {
            timestamp: packet.timestamp,
            data: packet.data.into_owned(),
        });
    }
    Ok(frames)
}

fn parse_pcapng(bytes: &[u8], path: &Path) -> Result<Vec<CapturedFrame>, CaptureError> {
    let mut reader =
        PcapNgReader::new(bytes).map_err(|_| CaptureError::NotACapture(path.to_owned()))?;
    let mut frames = Vec::new();
    while let Some(block) = reader.next_block() {
        let damaged = || CaptureError::Damaged(path.to_owned(), frames.len() + 1);
        let (interface, timestamp, data) = match block.map_err(|_| damaged())? {
            Block::EnhancedPacket(p) => (p.interface_id, p.timestamp, p.data.into_owned()),
            Block::SimplePacket(p) => (0, Duration::ZERO, p.data.into_owned()),
            Block::Packet(p) => (
                u32::from(p.interface_id),
                Duration::from_micros(p.timestamp),
                p.data.into_owned(),
            ),
            _ => continue,
        };
        // Each packet names its interface, and each interface has its own link type.
        let link = reader
            .interfaces()
            .get(interface as usize)
            .map(|i| i.linktype)
            .ok_or_else(|| CaptureError::Damaged(path.to_owned(), frames.len() + 1))?;
        if link != DataLink::ETHERNET {
            return Err(link_type_error(path, link));
        }
        frames.push(CapturedFrame { timestamp, data });
    }
    Ok(frames)
}

/// Writes frames as an Ethernet pcap (microsecond timestamps), replacing any file there.
pub fn write_frames(path: impl AsRef<Path>, frames: &[CapturedFrame]) -> Result<(), CaptureError> {
    let path = path.as_ref();
    let fail = |e: &dyn fmt::Display| CaptureError::Write(path.to_owned(), e.to_string());
    let file = File::create(path).map_err(|e| fail(&e))?;
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        ..PcapHeader::default()
    };
    let mut writer = PcapWriter::with_header(BufWriter::new(file), header).map_err(|e| fail(&e))?;
    for frame in frames {
        let packet = PcapPacket::new(frame.timestamp, frame.data.len() as u32, &frame.data);
        writer.write_packet(&packet).map_err(|e| fail(&e))?;
    }
    // Flush explicitly: BufWriter's drop would swallow a failed last write.
    io::Write::flush(&mut writer.into_writer()).map_err(|e| fail(&e))
}

/// Pads a frame with zeros to the 60-byte minimum, as the sending MAC did on the wire.
/// Captures taken on the sending host hold the frame before that padding.
pub fn pad_to_minimum(frame: &[u8]) -> Vec<u8> {
    let mut padded = frame.to_vec();
    if padded.len() < MIN_FRAME_LEN {
        padded.resize(MIN_FRAME_LEN, 0);
    }
    padded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("tcpip-sim-pcap-{}-{name}", std::process::id()))
    }

    fn frames() -> Vec<CapturedFrame> {
        vec![
            CapturedFrame {
                timestamp: Duration::from_micros(1_500_000),
                data: vec![0xff; 60],
            },
            CapturedFrame {
                timestamp: Duration::from_micros(1_500_042),
                data: (0..=255).collect(),
            },
        ]
    }

    #[test]
    fn written_pcap_reads_back_identical() {
        let path = temp_path("roundtrip.pcap");
        write_frames(&path, &frames()).unwrap();
        let back = read_frames(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(back, frames());
    }

    #[test]
    fn missing_file_is_named() {
        let err = read_frames("/nonexistent/dir/x.pcap").unwrap_err();
        assert_eq!(err.to_string(), "/nonexistent/dir/x.pcap does not exist.");
    }

    #[test]
    fn text_file_is_not_a_capture() {
        let err = parse_frames(
            b"hello, this is not a capture file at all",
            Path::new("a.txt"),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a.txt is not a pcap or pcapng capture file."
        );
        let err = parse_frames(b"", Path::new("empty.pcap")).unwrap_err();
        assert!(matches!(err, CaptureError::NotACapture(_)), "{err}");
    }

    #[test]
    fn other_link_type_is_named() {
        let mut bytes = Vec::new();
        let header = PcapHeader {
            datalink: DataLink::LINUX_SLL,
            ..PcapHeader::default()
        };
        PcapWriter::with_header(&mut bytes, header).unwrap();
        let err = parse_frames(&bytes, Path::new("sll.pcap")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sll.pcap has link type LINUX_SLL (113); only Ethernet (1) captures can be replayed."
        );
    }

    #[test]
    fn cut_short_capture_names_the_frame() {
        let path = temp_path("cut.pcap");
        write_frames(&path, &frames()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let err = parse_frames(&bytes[..bytes.len() - 10], Path::new("cut.pcap")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cut.pcap is damaged or cut short at frame 2."
        );
    }

    #[test]
    fn pcapng_frames_are_read() {
        use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
        use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;
        use pcap_file::pcapng::PcapNgWriter;
        let mut writer = PcapNgWriter::new(Vec::new()).unwrap();
        let interface = InterfaceDescriptionBlock::new(DataLink::ETHERNET, 65535);
        writer.write_pcapng_block(interface).unwrap();
        for frame in frames() {
            let packet = EnhancedPacketBlock {
                interface_id: 0,
                timestamp: frame.timestamp,
                original_len: frame.data.len() as u32,
                data: frame.data.into(),
                options: vec![],
            };
            writer.write_pcapng_block(packet).unwrap();
        }
        let bytes = writer.into_inner();
        let back = parse_frames(&bytes, Path::new("x.pcapng")).unwrap();
        assert_eq!(back, frames());
    }

    #[test]
    fn pcapng_with_other_link_type_is_refused() {
        use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
        use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;
        use pcap_file::pcapng::PcapNgWriter;
        let mut writer = PcapNgWriter::new(Vec::new()).unwrap();
        writer
            .write_pcapng_block(InterfaceDescriptionBlock::new(DataLink::RAW, 65535))
            .unwrap();
        let packet = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::ZERO,
            original_len: 20,
            data: vec![0x45; 20].into(),
            options: vec![],
        };
        writer.write_pcapng_block(packet).unwrap();
        let err = parse_frames(&writer.into_inner(), Path::new("raw.pcapng")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("raw.pcapng has link type RAW ("),
            "{err}"
        );
    }

    #[test]
    fn padding_reaches_the_minimum_and_keeps_longer_frames() {
        assert_eq!(
            pad_to_minimum(&[1, 2, 3]),
            [&[1u8, 2, 3][..], &[0; 57]].concat()
        );
        assert_eq!(pad_to_minimum(&[7; 61]), vec![7; 61]);
    }
}
