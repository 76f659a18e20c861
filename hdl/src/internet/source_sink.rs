//! Test support: a consumer for a transmit frame source (the board core contract's
//! data/valid/last/ready stream and its descriptor), which collects each frame and
//! checks that the descriptor holds still and `valid` stays high from its first byte to
//! its last.

/// The descriptor of a frame, as it was on the frame's first byte.
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
    pub bytes: Vec<u8>,
}

/// Reads the descriptor ports of a frame source (any block with the contract's names).
#[macro_export]
macro_rules! source_descriptor {
    ($u:expr) => {{
        let mut dst_mac = [0u8; 6];
        for (k, v) in [&$u.dst_mac_hi, &$u.dst_mac_mid, &$u.dst_mac_lo]
            .iter()
            .enumerate()
        {
            dst_mac[2 * k..2 * k + 2].copy_from_slice(&(v.val().index() as u16).to_be_bytes());
        }
        $crate::internet::source_sink::Descriptor {
            dst_mac,
            ethertype: $u.ethertype.val().index() as u16,
            wrap_ip: $u.wrap_ip.val(),
            dst_ip: ($u.dst_ip.val().index() as u32).to_be_bytes(),
            protocol: $u.protocol.val().index() as u8,
            l4_len: $u.l4_len.val().index() as u16,
        }
    }};
}

/// Samples a frame source once per clock, before the rising edge:
/// `sink.sample(uut.valid.val(), uut.ready.val(), uut.last.val(), data, source_descriptor!(uut))`.
#[derive(Default)]
pub struct Sink {
    current: Option<Frame>,
    pub frames: Vec<Frame>,
}

impl Sink {
    pub fn sample(&mut self, valid: bool, ready: bool, last: bool, data: u8, desc: Descriptor) {
        if !valid {
            // mac_tx cannot stall mid-frame: once started, a byte on every clock.
            assert!(self.current.is_none(), "valid dropped mid-frame");
            return;
        }
        let cur = self.current.get_or_insert(Frame {
            desc: desc.clone(),
            bytes: vec![],
        });
        assert_eq!(cur.desc, desc, "descriptor moved mid-frame");
        if ready {
            cur.bytes.push(data);
            if last {
                self.frames.push(self.current.take().unwrap());
            }
        }
    }
}
