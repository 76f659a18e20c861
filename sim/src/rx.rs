//! Drives the receive pipeline hardware ([`RxPipeline`]) cycle by cycle, as a PHY and a
//! host would: PHY bytes in at one per clock, reports and committed segments out.
//!
//! Everything returned here is read off the hardware's own registers, its header store
//! and its FIFO ports; no software parser is involved. The hardware is either rust-hdl's simulation or the
//! Verilator model of the generated Verilog (see [`crate::backend`]); both give the
//! same results clock for clock.

use crate::backend::{self, Backend, RxBackend, RxFields, RxInputs, RxOutputs};
use crate::report::*;
use anyhow::Result;
use std::collections::VecDeque;
use tcpip_hdl::link::mac_rx::phy_bytes;
use tcpip_hdl::rx_header_store::{BANK_BYTES, L3_BASE, L4_BASE, LINK_BASE, TIMESTAMPS_BASE};
use tcpip_hdl::rx_pipeline::RxPipeline;

/// The board's identity as the receive path's filters see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RxConfig {
    pub mac: [u8; 6],
    pub ip: [u8; 4],
    /// Our subnet's mask (its broadcast address is not unicast).
    pub netmask: [u8; 4],
    pub promiscuous: bool,
}

/// Whether frames handed to [`RxSim::push_frame`] still need their FCS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fcs {
    /// The driver computes and appends the FCS.
    Append,
    /// The frame bytes already end with one (as in captures taken with FCS).
    Present,
}

/// The shortest frame a MAC sends, without FCS: shorter ones are padded.
pub const MIN_FRAME: usize = 60;

/// The minimum inter-frame gap, in byte times.
pub const INTER_FRAME_GAP: usize = 12;

/// A segment as the hardware committed it to the receive FIFO: the RxTcp, RxUdp or RxIcmp link
/// message there, decoded (layouts in host/src/link/message.rs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RxSegment {
    /// 6 (TCP), 17 (UDP) or 1 (an ICMP error, RxIcmp: `src_port` is its type and
    /// code, `dst_port` its checksum, `body` the message from its byte 4 on).
    pub protocol: u8,
    pub src_mac: [u8; 6],
    pub src_ip: [u8; 4],
    /// UDP only: RxTcp carries no destination address.
    pub dst_ip: Option<[u8; 4]>,
    pub src_port: u16,
    pub dst_port: u16,
    /// TCP only (0 for UDP), as are the fields down to `timestamps_present`.
    pub seq: u32,
    pub ack: u32,
    pub flags: u16,
    pub window: u16,
    /// TCP header length in bytes; 8 for UDP.
    pub header_len: u8,
    pub mss: Option<u16>,
    pub window_scale: Option<u8>,
    pub sack_permitted: bool,
    /// The segment carried a timestamps option. The message keeps only this bit (the
    /// values, like the urgent pointer, are in the frame's report, read from the
    /// header store, and in the option bytes of `body`).
    pub timestamps_present: bool,
    /// TCP: the option bytes then the payload; UDP: the payload.
    pub body: Vec<u8>,
}

impl RxSegment {
    /// Decodes a message as the FIFO holds it, type byte first; None if it is neither
    /// RxTcp nor RxUdp or is too short.
    pub fn from_message(m: &[u8]) -> Option<Self> {
        let u16_at = |i: usize| u16::from_le_bytes([m[i], m[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes(m[i..i + 4].try_into().unwrap());
        match m.first() {
            Some(0x02) if m.len() >= 33 => {
                let f = &m[1..];
                Some(RxSegment {
                    protocol: f[0],
                    header_len: f[1],
                    src_mac: f[2..8].try_into().unwrap(),
                    src_ip: f[8..12].try_into().unwrap(),
                    dst_ip: None,
                    src_port: u16_at(13),
                    dst_port: u16_at(15),
                    seq: u32_at(17),
                    ack: u32_at(21),
                    flags: u16_at(25),
                    window: u16_at(27),
                    mss: Some(u16_at(29)).filter(|&v| v != 0),
                    window_scale: Some(f[30]).filter(|&v| v != 0xFF),
                    sack_permitted: f[31] & 1 != 0,
                    timestamps_present: f[31] & 2 != 0,
                    body: m[33..].to_vec(),
                })
            }
            // RxIcmp (0x08) has RxUdp's layout: the ICMP type and code where the source
            // port goes, the checksum where the destination port does, then the message
            // from its byte 4 on.
            Some(&kind @ (0x03 | 0x08)) if m.len() >= 19 => {
                let f = &m[1..];
                Some(RxSegment {
                    protocol: if kind == 0x03 { 17 } else { 1 },
                    header_len: 8,
                    src_mac: f[0..6].try_into().unwrap(),
                    src_ip: f[6..10].try_into().unwrap(),
                    dst_ip: Some(f[10..14].try_into().unwrap()),
                    src_port: u16_at(15),
                    dst_port: u16_at(17),
                    seq: 0,
                    ack: 0,
                    flags: 0,
                    window: 0,
                    mss: None,
                    window_scale: None,
                    sack_permitted: false,
                    timestamps_present: false,
                    body: m[19..].to_vec(),
                })
            }
            _ => None,
        }
    }
}

/// Counter values by name, read from the hardware's counter RAM.
pub type RxCounters = Vec<(&'static str, u32)>;

pub struct RxSim {
    model: Box<dyn RxBackend>,
    /// What the PHY and host drive on the next clock.
    inputs: RxInputs,
    /// The outputs after the last clock.
    out: RxOutputs,
    cycles: u64,
    frames_pushed: usize,
    frames_reported: usize,
    reports: Vec<FrameReport>,
    segments: Vec<RxSegment>,
    /// FIFO bytes read and not yet a whole record.
    fifo_bytes: Vec<u8>,
    /// Reported frames whose header bytes are still being read from the header store,
    /// oldest first.
    pending: VecDeque<PendingReport>,
}

/// What a report reads of its frame's bank in the header store (offsets from
/// `RxHeaderStore`): the link header, the Ethernet payload's first 28 bytes, the IP
/// payload's first 20 and the timestamps option's value.
const STORE_READS: [(usize, usize); 3] = [
    (LINK_BASE, 18),
    (L3_BASE, 28),
    (L4_BASE, TIMESTAMPS_BASE + 8 - L4_BASE),
];

/// A frame's report while its bytes come out of the header store, one per clock.
struct PendingReport {
    reason: u8,
    fields: RxFields,
    bank: usize,
    frame: usize,
    offsets: Vec<usize>,
    bytes: [u8; BANK_BYTES],
    next: usize,
}

impl PendingReport {
    fn new(reason: u8, fields: RxFields, bank: usize, frame: usize) -> Self {
        let offsets = STORE_READS.iter().flat_map(|&(at, n)| at..at + n).collect();
        PendingReport {
            reason,
            fields,
            bank,
            frame,
            offsets,
            bytes: [0; BANK_BYTES],
            next: 0,
        }
    }

    fn address(&self) -> u32 {
        (self.bank * BANK_BYTES + self.offsets[self.next]) as u32
    }

    /// The byte read at `address()` this clock; true when the last one is in.
    fn take(&mut self, byte: u8) -> bool {
        self.bytes[self.offsets[self.next]] = byte;
        self.next += 1;
        self.next == self.offsets.len()
    }
}

/// Called on every clock with the pipeline settled just before the rising edge: what
/// every block is about to clock in.
pub type Probe = Box<dyn FnMut(&RxPipeline)>;

impl RxSim {
    /// The receive pipeline on the default back end: the one env TCPIP_BACKEND names,
    /// else the Verilator model when this build has it, else the Rust model
    /// ([`Backend::from_env`]). Panics if TCPIP_BACKEND names an unknown or unbuilt one.
    pub fn new(config: RxConfig) -> Self {
        match Backend::from_env().and_then(|b| Self::with_backend(config, b)) {
            Ok(sim) => sim,
            Err(e) => panic!("{e:#}"),
        }
    }

    /// The receive pipeline on `backend`; errors when that back end is not built.
    pub fn with_backend(config: RxConfig, backend: Backend) -> Result<Self> {
        let model = backend::open(backend)?;
        let inputs = RxInputs::configured(config);
        let out = model.outputs();
        Ok(RxSim {
            model,
            inputs,
            out,
            cycles: 0,
            frames_pushed: 0,
            frames_reported: 0,
            reports: vec![],
            segments: vec![],
            fifo_bytes: vec![],
            pending: VecDeque::new(),
        })
    }

    /// Which model of the hardware runs.
    pub fn backend(&self) -> Backend {
        self.model.backend()
    }

    /// Watches every clock (to record vectors for co-simulating single blocks). Rust
    /// back end only (the Verilator model's internals are not visible): panics on the
    /// Verilator one, so create the simulator with `with_backend(config, Backend::Rust)`.
    pub fn set_probe(&mut self, probe: Probe) {
        if let Err(e) = self.model.set_probe(probe) {
            panic!("{e}");
        }
    }

    /// Sends one frame as a PHY would: preamble, SFD, the frame, FCS, then the 12-byte
    /// gap, one byte per clock. With [`Fcs::Append`] a frame shorter than 60 bytes is
    /// first padded with zeros, as the sending MAC would (captures taken on the sending
    /// host hold frames before that padding); with [`Fcs::Present`] the bytes are sent as
    /// they are.
    ///
    /// The header store holds the last four frames: a frame is not started while the
    /// report of the frame four before it is still being read (never, at line rate,
    /// for frames of 60 bytes or more; only runts back to back wait).
    pub fn push_frame(&mut self, frame: &[u8], fcs: Fcs) {
        let mut waited = 0;
        while self.frames_reported + 3 < self.frames_pushed {
            self.cycle(None);
            waited += 1;
            assert!(waited < 100_000, "receive pipeline never reported a frame");
        }
        let mut padded;
        let mut frame = frame;
        if fcs == Fcs::Append && frame.len() < MIN_FRAME {
            padded = frame.to_vec();
            padded.resize(MIN_FRAME, 0);
            frame = &padded;
        }
        for b in phy_bytes(frame, fcs == Fcs::Append) {
            self.cycle(Some(b));
        }
        for _ in 0..INTER_FRAME_GAP {
            self.cycle(None);
        }
        self.frames_pushed += 1;
    }

    /// Runs idle clocks until every pushed frame is reported and the FIFO is drained.
    pub fn flush(&mut self) {
        let mut idle = 0;
        while self.frames_reported < self.frames_pushed || idle < 64 {
            let busy = self.out.fifo_empty == 0;
            self.cycle(None);
            idle = if busy { 0 } else { idle + 1 };
            assert!(idle < 100_000, "receive pipeline never reported a frame");
        }
    }

    pub fn take_reports(&mut self) -> Vec<FrameReport> {
        std::mem::take(&mut self.reports)
    }

    pub fn take_segments(&mut self) -> Vec<RxSegment> {
        std::mem::take(&mut self.segments)
    }

    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Reads every counter through the hardware's counter port (after a flush).
    pub fn counters(&mut self) -> RxCounters {
        let mut out = vec![];
        for (index, name) in counter_names() {
            self.inputs.counter_index = index as u32;
            self.cycle(None);
            self.cycle(None);
            assert!(self.out.counter_valid != 0);
            out.push((name, self.out.counter_value));
        }
        out
    }

    /// One clock: a PHY byte (or idle) in; FIFO bytes taken out as fast as they come.
    fn cycle(&mut self, phy: Option<u8>) {
        let out = self.out;
        self.inputs.phy_valid = phy.is_some() as u32;
        self.inputs.phy_data = phy.unwrap_or(0) as u32;
        let take = out.fifo_empty == 0;
        if take {
            self.fifo_bytes.push(out.fifo_data as u8);
        }
        self.inputs.fifo_read = take as u32;
        let reading = self.pending.front().map(PendingReport::address);
        self.inputs.header_read = reading.unwrap_or(0);
        self.out = self.model.cycle(&self.inputs);
        self.cycles += 1;
        if reading.is_some() {
            let p = self.pending.front_mut().unwrap();
            if p.take(self.out.header_data as u8) {
                let p = self.pending.pop_front().unwrap();
                self.frames_reported += 1;
                self.reports
                    .push(read_report(p.reason, &p.fields, &p.bytes, p.frame));
            }
        }
        if let Some(record) = take_record(&mut self.fifo_bytes) {
            let segment = RxSegment::from_message(&record)
                .unwrap_or_else(|| panic!("the receive FIFO holds a bad record: {record:02x?}"));
            self.segments.push(segment);
        }
        if self.out.report_valid != 0 {
            let frame = self.frames_reported + self.pending.len() + 1;
            self.pending.push_back(PendingReport::new(
                self.out.report_reason as u8,
                self.model.fields(),
                self.out.header_bank as usize,
                frame,
            ));
        }
    }
}

/// A whole record off the front of `bytes` (layout: `RxFifo`), as its message.
fn take_record(bytes: &mut Vec<u8>) -> Option<Vec<u8>> {
    let (&lo, &hi) = (bytes.first()?, bytes.get(1)?);
    let len = (hi as usize & 7) << 8 | lo as usize;
    let skip = if hi & 0x80 != 0 { 4 } else { 2 };
    if bytes.len() < skip + len {
        return None;
    }
    let record: Vec<u8> = bytes.drain(..skip + len).collect();
    Some(record[skip..].to_vec())
}

fn ip(bits: u32) -> String {
    ip_string(bits.to_be_bytes())
}

/// The report of a frame: from the blocks' registers as its `report_valid` pulse was
/// up, and from its bank `h` of the header store, where each layer's header bytes were
/// put as they streamed past (offsets in `RxHeaderStore`).
fn read_report(reason: u8, p: &RxFields, h: &[u8; BANK_BYTES], frame: usize) -> FrameReport {
    let be16 = |at: usize| u16::from_be_bytes([h[at], h[at + 1]]);
    let be32 = |at: usize| u32::from_be_bytes(h[at..at + 4].try_into().unwrap());
    let mac_at = |at: usize| mac_string(h[at..at + 6].try_into().unwrap());
    let tagged = p.eth_tagged != 0;
    let eth = (p.eth_header_done != 0).then(|| EthReport {
        dst: mac_at(LINK_BASE),
        src: mac_at(LINK_BASE + 6),
        ethertype: be16(LINK_BASE + if tagged { 16 } else { 12 }),
        vlan: tagged.then(|| be16(LINK_BASE + 14) & 0x0FFF),
    });
    let arp = (p.eth_is_arp != 0 && p.arp_done != 0).then(|| ArpReport {
        op: be16(L3_BASE + 6),
        sender_mac: mac_at(L3_BASE + 8),
        sender_ip: ip(be32(L3_BASE + 14)),
        target_mac: mac_at(L3_BASE + 18),
        target_ip: ip(be32(L3_BASE + 24)),
    });
    let ipv4_present = p.eth_is_ipv4 != 0 && p.ipv4_header_done != 0;
    let protocol = h[L3_BASE + 9];
    let ipv4 = ipv4_present.then(|| Ipv4Report {
        src: ip(be32(L3_BASE + 12)),
        dst: ip(be32(L3_BASE + 16)),
        protocol,
        ttl: h[L3_BASE + 8],
        total_len: be16(L3_BASE + 2),
        id: be16(L3_BASE + 4),
        header_checksum_ok: p.ipv4_header_ok != 0,
    });
    let transport = ipv4_present && p.ipv4_l4_parse != 0;
    let icmp = (transport && protocol == 1 && p.icmp_done != 0).then_some(IcmpReport {
        icmp_type: p.icmp_type as u8,
        code: p.icmp_code as u8,
        checksum_ok: p.icmp_checksum_ok != 0,
    });
    let tcp = (transport && protocol == 6 && p.tcp_done != 0).then(|| TcpReport {
        src_port: p.tcp_src_port as u16,
        dst_port: be16(L4_BASE + 2),
        seq: be32(L4_BASE + 4),
        ack: be32(L4_BASE + 8),
        flags: flag_names(be16(L4_BASE + 12) & 0x1FF),
        window: be16(L4_BASE + 14),
        urgent: be16(L4_BASE + 18),
        header_len: p.tcp_header_len as u8,
        // IP's total length less both headers (as the hardware's 16-bit registers
        // would wrap): from the header store, not a register of its own.
        payload_len: be16(L3_BASE + 2)
            .wrapping_sub(u16::from(h[L3_BASE] & 0x0F) * 4)
            .wrapping_sub(p.tcp_header_len as u16),
        checksum_ok: p.tcp_checksum_ok != 0,
        mss: (p.tcp_mss_present != 0).then_some(p.tcp_mss as u16),
        window_scale: (p.tcp_window_scale_present != 0).then_some(p.tcp_window_scale as u8),
        sack_permitted: p.tcp_sack_permitted != 0,
        timestamps: (p.tcp_timestamps_present != 0)
            .then(|| (be32(TIMESTAMPS_BASE), be32(TIMESTAMPS_BASE + 4))),
    });
    let udp = (transport && protocol == 17 && p.udp_done != 0).then(|| UdpReport {
        src_port: p.udp_src_port as u16,
        dst_port: be16(L4_BASE + 2),
        length: be16(L4_BASE + 4),
        checksum_ok: p.udp_checksum_ok != 0,
    });
    FrameReport {
        frame,
        verdict: if reason == 0 { "accept" } else { "drop" },
        drop_reason: DropReason::from_code(reason),
        eth,
        arp,
        ipv4,
        icmp,
        tcp,
        udp,
    }
}
/// TCP flag names in header order, most significant first.
pub fn flag_names(flags: u16) -> Vec<&'static str> {
    const NAMES: [&str; 9] = ["ns", "cwr", "ece", "urg", "ack", "psh", "rst", "syn", "fin"];
    (0..9)
        .filter(|i| flags & (1 << (8 - i)) != 0)
        .map(|i| NAMES[i])
        .collect()
}

/// Counter slots and their names: every drop reason, then accepted frames per protocol.
pub fn counter_names() -> Vec<(u8, &'static str)> {
    let mut names: Vec<(u8, &'static str)> = DropReason::ALL
        .iter()
        .map(|r| (*r as u8, r.name()))
        .collect();
    names.extend([
        (tcpip_hdl::reason::ACCEPTED_ARP, "accepted_arp"),
        (tcpip_hdl::reason::ACCEPTED_ICMP, "accepted_icmp"),
        (tcpip_hdl::reason::ACCEPTED_TCP, "accepted_tcp"),
        (tcpip_hdl::reason::ACCEPTED_UDP, "accepted_udp"),
        (tcpip_hdl::reason::LINK_BAD_FRAME, "link_bad_frames"),
        (tcpip_hdl::reason::LINK_BAD_MESSAGE, "link_bad_messages"),
        (tcpip_hdl::reason::TX_SENT, "tx_sent"),
        (tcpip_hdl::reason::TX_BUSY, "tx_busy"),
        (tcpip_hdl::reason::REPLIES_SENT, "replies_sent"),
        (tcpip_hdl::reason::REPLIES_DROPPED, "replies_dropped"),
    ]);
    names
}
