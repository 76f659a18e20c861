//! Test support: a consumer for a transmit frame source (the stream of the transmit
//! path's contract, see [`Ipv4Tx`](crate::internet::ipv4_tx::Ipv4Tx)), which
//! collects each frame, takes its destination apart from the stream's first bytes, and
//! checks that `valid` stays high from its first byte to its last.

/// A frame's destination, as the source put it in front of its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub dst_mac: [u8; 6],
    pub ethertype: u16,
    pub wrap_ip: bool,
    pub dst_ip: [u8; 4],
    pub protocol: u8,
    pub l4_len: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub desc: Descriptor,
    /// The message after the destination: the L4 message, or ARP's.
    pub bytes: Vec<u8>,
}

/// Splits a source's stream into its destination and its message: `kind` (the IP
/// protocol, 0 for ARP), for IPv4 the L4 length and the destination IP, then the
/// destination MAC, for IPv4 then the total length and the destination IP again
/// (checked to agree).
pub fn parse_source_frame(stream: &[u8]) -> Frame {
    let kind = stream[0];
    let wrap_ip = kind != 0;
    let (l4_len, dst_ip, rest) = if wrap_ip {
        let ip: [u8; 4] = stream[3..7].try_into().unwrap();
        (u16::from_be_bytes([stream[1], stream[2]]), ip, &stream[7..])
    } else {
        (0, [0; 4], &stream[1..])
    };
    let dst_mac: [u8; 6] = rest[..6].try_into().unwrap();
    let rest = &rest[6..];
    let rest = if wrap_ip {
        let total = u16::from_be_bytes([rest[0], rest[1]]);
        assert_eq!(total, l4_len + 20, "the total length is the L4 length + 20");
        assert_eq!(rest[2..6], dst_ip, "the destination IP, twice");
        &rest[6..]
    } else {
        rest
    };
    let bytes = rest.to_vec();
    if wrap_ip {
        assert_eq!(
            l4_len as usize,
            bytes.len(),
            "the L4 length is the message's"
        );
    }
    Frame {
        desc: Descriptor {
            dst_mac,
            ethertype: if wrap_ip { 0x0800 } else { 0x0806 },
            wrap_ip,
            dst_ip,
            protocol: kind,
            l4_len: if wrap_ip { l4_len } else { bytes.len() as u16 },
        },
        bytes,
    }
}

/// Samples a frame source once per clock, before the rising edge:
/// `sink.sample(uut.valid.val(), uut.ready.val(), uut.last.val(), data)`.
#[derive(Default)]
pub struct Sink {
    current: Option<Vec<u8>>,
    pub frames: Vec<Frame>,
}

impl Sink {
    pub fn sample(&mut self, valid: bool, ready: bool, last: bool, data: u8) {
        if !valid {
            // mac_tx cannot stall mid-frame: once started, a byte on every clock.
            assert!(self.current.is_none(), "valid dropped mid-frame");
            return;
        }
        let cur = self.current.get_or_insert_with(Vec::new);
        if ready {
            cur.push(data);
            if last {
                let stream = self.current.take().unwrap();
                self.frames.push(parse_source_frame(&stream));
            }
        }
    }
}
