//! Drives the receive pipeline hardware ([`RxPipeline`]) cycle by cycle, as a PHY and a
//! host would: PHY bytes in at one per clock, reports and committed segments out.
//!
//! Everything returned here is read off the hardware's own registers and FIFO ports; no
//! software parser is involved.

use crate::report::*;
use rust_hdl::prelude::*;
use tcpip_hdl::board::rx_fifo::DESCRIPTOR_WORDS;
use tcpip_hdl::link::mac_rx::phy_bytes;
use tcpip_hdl::rx_pipeline::RxPipeline;

/// The board's identity as the receive path's filters see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RxConfig {
    pub mac: [u8; 6],
    pub ip: [u8; 4],
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

/// A segment as the hardware committed it to the receive FIFO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RxSegment {
    /// 6 (TCP) or 17 (UDP).
    pub protocol: u8,
    pub src_mac: [u8; 6],
    pub src_ip: [u8; 4],
    pub dst_ip: [u8; 4],
    pub src_port: u16,
    pub dst_port: u16,
    /// UDP: the UDP length field.
    pub seq: u32,
    pub ack: u32,
    pub flags: u16,
    pub window: u16,
    pub urgent: u16,
    /// TCP header length in bytes; 8 for UDP.
    pub header_len: u8,
    pub mss: Option<u16>,
    pub window_scale: Option<u8>,
    pub sack_permitted: bool,
    pub timestamps: Option<(u32, u32)>,
    /// TCP: the option bytes then the payload; UDP: the payload.
    pub body: Vec<u8>,
}

impl RxSegment {
    /// Decodes the FIFO's descriptor words (layout in `tcpip_hdl::rx_pipeline`).
    pub fn from_descriptor(w: &[u16], body: Vec<u8>) -> Self {
        let word32 = |i: usize| (w[i] as u32) << 16 | w[i + 1] as u32;
        let mac = [
            (w[2] >> 8) as u8,
            w[2] as u8,
            (w[3] >> 8) as u8,
            w[3] as u8,
            (w[4] >> 8) as u8,
            w[4] as u8,
        ];
        let protocol = (w[0] >> 8) as u8;
        let tcp = protocol == 6;
        let present = w[19] >> 8;
        RxSegment {
            protocol,
            src_mac: mac,
            src_ip: word32(5).to_be_bytes(),
            dst_ip: word32(7).to_be_bytes(),
            src_port: w[9],
            dst_port: w[10],
            seq: if tcp { word32(11) } else { w[11] as u32 },
            ack: word32(13),
            flags: w[15],
            window: w[16],
            urgent: w[17],
            header_len: w[0] as u8,
            mss: (present & 1 != 0).then_some(w[18]),
            window_scale: (present & 2 != 0).then_some(w[19] as u8),
            sack_permitted: present & 4 != 0,
            timestamps: (present & 8 != 0).then(|| (word32(20), word32(22))),
            body,
        }
    }
}

/// Counter values by name, read from the hardware's counter RAM.
pub type RxCounters = Vec<(&'static str, u32)>;

pub struct RxSim {
    uut: Box<RxPipeline>,
    cycles: u64,
    frames_pushed: usize,
    frames_reported: usize,
    reports: Vec<FrameReport>,
    segments: Vec<RxSegment>,
    desc_words: Vec<u16>,
    body: Vec<u8>,
    probe: Option<Probe>,
}

/// Called on every clock with the pipeline settled just before the rising edge: what
/// every block is about to clock in.
pub type Probe = Box<dyn FnMut(&RxPipeline)>;

impl RxSim {
    pub fn new(config: RxConfig) -> Self {
        let mut uut = Box::new(RxPipeline::default());
        let m = config.mac;
        uut.mac_hi.next = ((m[0] as u64) << 8 | m[1] as u64).into();
        uut.mac_mid.next = ((m[2] as u64) << 8 | m[3] as u64).into();
        uut.mac_lo.next = ((m[4] as u64) << 8 | m[5] as u64).into();
        uut.our_ip.next = (u32::from_be_bytes(config.ip) as u64).into();
        uut.promiscuous.next = config.promiscuous;
        uut.connect_all();
        // Settle once, so outputs (FIFO empty flags) are valid before the first clock.
        assert!(simulate(&mut *uut, 200), "receive pipeline did not settle");
        RxSim {
            uut,
            cycles: 0,
            frames_pushed: 0,
            frames_reported: 0,
            reports: vec![],
            segments: vec![],
            desc_words: vec![],
            body: vec![],
            probe: None,
        }
    }

    /// Watches every clock (to record vectors for co-simulating single blocks).
    pub fn set_probe(&mut self, probe: Probe) {
        self.probe = Some(probe);
    }

    /// Sends one frame as a PHY would: preamble, SFD, the frame, FCS, then the 12-byte
    /// gap, one byte per clock. With [`Fcs::Append`] a frame shorter than 60 bytes is
    /// first padded with zeros, as the sending MAC would (captures taken on the sending
    /// host hold frames before that padding); with [`Fcs::Present`] the bytes are sent as
    /// they are.
    pub fn push_frame(&mut self, frame: &[u8], fcs: Fcs) {
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
            let busy = !self.uut.desc_empty.val() || !self.uut.body_empty.val();
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
            self.uut.counter_index.next = (index as u64).into();
            self.cycle(None);
            self.cycle(None);
            assert!(self.uut.counter_valid.val());
            out.push((name, self.uut.counter_value.val().index() as u32));
        }
        out
    }

    /// One clock: a PHY byte (or idle) in; FIFO words taken out as fast as they come.
    fn cycle(&mut self, phy: Option<u8>) {
        let uut = &mut self.uut;
        uut.phy_valid.next = phy.is_some();
        uut.phy_data.next = (phy.unwrap_or(0) as u64).into();
        let take_desc = !uut.desc_empty.val();
        if take_desc {
            self.desc_words.push(uut.desc_data.val().index() as u16);
        }
        let take_body = !uut.body_empty.val();
        if take_body {
            self.body.push(uut.body_data.val().index() as u8);
        }
        uut.desc_read.next = take_desc;
        uut.body_read.next = take_body;
        uut.clock.next = false.into();
        assert!(simulate(&mut **uut, 200), "receive pipeline did not settle");
        if let Some(probe) = &mut self.probe {
            probe(uut);
        }
        uut.clock.next = true.into();
        assert!(simulate(&mut **uut, 200), "receive pipeline did not settle");
        self.cycles += 1;
        if self.desc_words.len() >= DESCRIPTOR_WORDS {
            let body_len = self.desc_words[1] as usize;
            if self.body.len() >= body_len {
                let words: Vec<u16> = self.desc_words.drain(..DESCRIPTOR_WORDS).collect();
                let body = self.body.drain(..body_len).collect();
                self.segments.push(RxSegment::from_descriptor(&words, body));
            }
        }
        if self.uut.report_valid.val() {
            self.frames_reported += 1;
            let report = read_report(&self.uut, self.frames_reported);
            self.reports.push(report);
        }
    }
}

fn u(bits: impl Into<u64>) -> u64 {
    bits.into()
}

fn mac3(hi: Bits<16>, mid: Bits<16>, lo: Bits<16>) -> String {
    let v = u(hi) << 32 | u(mid) << 16 | u(lo);
    mac_string(v.to_be_bytes()[2..8].try_into().unwrap())
}

fn ip(bits: Bits<32>) -> String {
    ip_string((u(bits) as u32).to_be_bytes())
}

/// The report of the frame whose `report_valid` pulse is up, from the blocks' registers.
fn read_report(p: &RxPipeline, frame: usize) -> FrameReport {
    let reason = p.report_reason.val().index() as u8;
    let eth = p.eth.header_done.val().then(|| EthReport {
        dst: mac3(p.eth.dst_hi.val(), p.eth.dst_mid.val(), p.eth.dst_lo.val()),
        src: mac3(p.eth.src_hi.val(), p.eth.src_mid.val(), p.eth.src_lo.val()),
        ethertype: u(p.eth.ethertype.val()) as u16,
        vlan: p.eth.tagged.val().then(|| u(p.eth.vlan_id.val()) as u16),
    });
    let arp = (p.eth.is_arp.val() && p.arp.done.val()).then(|| ArpReport {
        op: u(p.arp.op.val()) as u16,
        sender_mac: mac3(
            p.arp.sender_mac_hi.val(),
            p.arp.sender_mac_mid.val(),
            p.arp.sender_mac_lo.val(),
        ),
        sender_ip: ip(p.arp.sender_ip.val()),
        target_mac: mac3(
            p.arp.target_mac_hi.val(),
            p.arp.target_mac_mid.val(),
            p.arp.target_mac_lo.val(),
        ),
        target_ip: ip(p.arp.target_ip.val()),
    });
    let ipv4_present = p.eth.is_ipv4.val() && p.ipv4.header_done.val();
    let ipv4 = ipv4_present.then(|| Ipv4Report {
        src: ip(p.ipv4.src.val()),
        dst: ip(p.ipv4.dst.val()),
        protocol: u(p.ipv4.protocol.val()) as u8,
        ttl: u(p.ipv4.ttl.val()) as u8,
        total_len: u(p.ipv4.total_len.val()) as u16,
        id: u(p.ipv4.id.val()) as u16,
        header_checksum_ok: p.ipv4.header_ok.val(),
    });
    let transport = ipv4_present && p.ipv4.l4_parse.val();
    let protocol = u(p.ipv4.protocol.val());
    let icmp = (transport && protocol == 1 && p.icmp.done.val()).then(|| IcmpReport {
        icmp_type: u(p.icmp.icmp_type.val()) as u8,
        code: u(p.icmp.code.val()) as u8,
        checksum_ok: p.icmp.checksum_ok.val(),
    });
    let tcp = (transport && protocol == 6 && p.tcp.done.val()).then(|| {
        let t = &p.tcp;
        TcpReport {
            src_port: u(t.src_port.val()) as u16,
            dst_port: u(t.dst_port.val()) as u16,
            seq: u(t.seq.val()) as u32,
            ack: u(t.ack.val()) as u32,
            flags: flag_names(u(t.flags.val()) as u16),
            window: u(t.window.val()) as u16,
            urgent: u(t.urgent.val()) as u16,
            header_len: u(t.header_len.val()) as u8,
            payload_len: u(t.payload_len.val()) as u16,
            checksum_ok: t.checksum_ok.val(),
            mss: t.mss_present.val().then(|| u(t.mss.val()) as u16),
            window_scale: t
                .window_scale_present
                .val()
                .then(|| u(t.window_scale.val()) as u8),
            sack_permitted: t.sack_permitted.val(),
            timestamps: t
                .timestamps_present
                .val()
                .then(|| (u(t.ts_val.val()) as u32, u(t.ts_ecr.val()) as u32)),
        }
    });
    let udp = (transport && protocol == 17 && p.udp.done.val()).then(|| UdpReport {
        src_port: u(p.udp.src_port.val()) as u16,
        dst_port: u(p.udp.dst_port.val()) as u16,
        length: u(p.udp.length.val()) as u16,
        checksum_ok: p.udp.checksum_ok.val(),
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
    ]);
    names
}
