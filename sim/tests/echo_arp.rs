//! The board answers ARP and ping on its own: frames go through the receive pipeline
//! (`RxPipeline`, Rust model) into `ArpTx` and `IcmpEcho` (which writes its replies into
//! `TxStage`, sent by `TransportTx`), driven together clock by clock, and each reply is checked against its request with etherparse and, for real
//! captures, against the reply the real responder sent. What the board learns goes to
//! the host through `LinkTx` (ArpReply), which takes the sender's address from the
//! receive stream itself. The same run's inputs to the blocks then co-simulate their
//! generated Verilog.

mod support;

use etherparse::{
    IcmpEchoHeader, Icmpv4Header, Icmpv4Type, IpNumber, PacketBuilder, SlicedPacket, TransportSlice,
};
use rust_hdl::prelude::*;
use std::path::Path;
use support::who_has_frame;
use tcpip_hdl::board::link_tx::LinkTx;
use tcpip_hdl::internet::arp_tx::ArpTx;
use tcpip_hdl::internet::icmp_echo::IcmpEcho;
use tcpip_hdl::internet::source_sink::{Frame, Sink};
use tcpip_hdl::link::crc32::crc32_ieee;
use tcpip_hdl::link::mac_rx::phy_bytes;
use tcpip_hdl::rx_pipeline::RxPipeline;
use tcpip_hdl::transport::transport_tx::TransportTx;
use tcpip_hdl::transport::tx_stage::TxStage;
use tcpip_sim::cosim::{check_block, Ports};
use tcpip_sim::pcap::{pad_to_minimum, read_frames};

fn word(b: &[u8]) -> u64 {
    b.iter().fold(0, |a, &x| a << 8 | x as u64)
}

/// The arbiter's side of one source: `ready` per clock, frames collected by a [`Sink`].
struct Consumer {
    /// No byte taken before this clock (the arbiter busy with other sources).
    stalled_until: usize,
    /// Clocks without `ready` after each frame: what mac_tx and ipv4_tx add on the wire
    /// around the stream, less the stream's destination bytes (so a reply occupies the
    /// wire as long as its request did).
    gap: usize,
    idle_until: usize,
    sink: Sink,
}

impl Consumer {
    fn new(gap: usize) -> Consumer {
        Consumer {
            stalled_until: 0,
            gap,
            idle_until: 0,
            sink: Sink::default(),
        }
    }
    fn ready(&self, clock: usize) -> bool {
        clock >= self.stalled_until && clock >= self.idle_until
    }
    fn frames(&self) -> &[Frame] {
        &self.sink.frames
    }
    fn sample(&mut self, clock: usize, valid: bool, last: bool, data: u8) {
        let ready = self.ready(clock);
        let done = self.sink.frames.len();
        self.sink.sample(valid, ready, last, data);
        if self.sink.frames.len() > done {
            self.idle_until = clock + 1 + self.gap;
        }
    }
}

/// The echo's way out, as TxPipeline wires it with no host request: `IcmpEcho` writes
/// into `TxStage`, `TransportTx` sends what the stage holds as the arbiter's host source.
#[derive(LogicBlock, Default)]
struct EchoPath {
    clock: Signal<In, Clock>,
    our_ip: Signal<In, Bits<32>>,
    ready: Signal<In, Bit>,
    echo: IcmpEcho,
    stage: TxStage,
    transport: TransportTx,
}

impl Logic for EchoPath {
    fn update(&mut self) {
        let (e, s, t) = (&mut self.echo, &mut self.stage, &mut self.transport);
        e.clock.next = self.clock.val();
        s.clock.next = self.clock.val();
        t.clock.next = self.clock.val();
        e.stage_busy.next = s.tx_busy.val();
        e.host_open.next = false;
        s.tx_write.next = e.write.val();
        s.tx_patch.next = e.patch.val();
        s.tx_patch_at.next = e.patch_at.val();
        s.tx_word_write.next = e.word_write.val();
        s.tx_word_index.next = e.word_index.val();
        s.tx_word.next = e.word.val();
        s.tx_finish.next = e.finish.val();
        s.tx_keep.next = e.keep.val();
        s.tx_is_udp.next = false;
        s.tx_is_icmp.next = e.select.val();
        s.tx_is_reply.next = e.select.val();
        s.tx_flags.next = 0.into();
        s.tx_options_len.next = 0.into();
        t.our_ip.next = self.our_ip.val();
        t.sum_first.next = s.sum_first.val();
        t.sum_step.next = s.sum_step.val();
        t.sum_index.next = s.sum_index.val();
        t.sum_word.next = s.sum_word.val();
        s.sum.next = t.sum.val();
        t.req_valid.next = s.req_valid.val();
        t.req_is_udp.next = s.req_is_udp.val();
        t.req_is_icmp.next = s.req_is_icmp.val();
        t.req_last_at.next = s.req_last_at.val();
        t.word.next = s.word.val();
        t.body_data.next = s.body_data.val();
        t.body_last.next = s.body_last.val();
        s.req_done.next = t.req_done.val();
        s.word_index.next = t.word_index.val();
        s.body_ready.next = t.body_ready.val();
        t.ready.next = self.ready.val();
    }
}

/// The receive pipeline, the two responders and the link's message builder, wired as
/// the board core wires them.
struct Board {
    rx: Box<RxPipeline>,
    arp: Box<ArpTx>,
    echo: Box<EchoPath>,
    link: Box<LinkTx>,
    clock: usize,
    arp_out: Consumer,
    echo_out: Consumer,
    /// LinkTx's output is taken on every `link_every`-th clock (the link is slow).
    link_every: usize,
    link_bytes: Vec<u8>,
    /// The ArpReply messages to the host: (MAC, IP).
    learned: Vec<([u8; 6], [u8; 4])>,
    /// `arp_learned` pulses.
    learned_pulses: usize,
    echo_dropped: usize,
    arp_dropped: usize,
    /// (reason, class) of every frame the pipeline reported.
    reports: Vec<(u64, u64)>,
    /// Each block's inputs on every clock, for the co-simulation.
    arp_vectors: Vec<Vec<u64>>,
    echo_vectors: Vec<Vec<u64>>,
    stage_vectors: Vec<Vec<u64>>,
    link_vectors: Vec<Vec<u64>>,
    record: bool,
}

impl Board {
    fn new(mac: [u8; 6], ip: [u8; 4]) -> Board {
        let mut rx = Box::new(RxPipeline::default());
        let mut arp = Box::new(ArpTx::default());
        let mut echo = Box::new(EchoPath::default());
        let mut link = Box::new(LinkTx::default());
        rx.connect_all();
        arp.connect_all();
        echo.connect_all();
        link.connect_all();
        // Nothing but ArpReply: the FIFO is drained below, no other event comes.
        link.fifo_empty.next = true;
        rx.mac_hi.next = word(&mac[0..2]).into();
        rx.mac_mid.next = word(&mac[2..4]).into();
        rx.mac_lo.next = word(&mac[4..6]).into();
        rx.our_ip.next = word(&ip).into();
        arp.mac_hi.next = word(&mac[0..2]).into();
        arp.mac_mid.next = word(&mac[2..4]).into();
        arp.mac_lo.next = word(&mac[4..6]).into();
        arp.our_ip.next = word(&ip).into();
        echo.our_ip.next = word(&ip).into();
        assert!(simulate(&mut *rx, 200));
        Board {
            rx,
            arp,
            echo,
            link,
            clock: 0,
            link_every: 1,
            link_bytes: vec![],
            learned_pulses: 0,
            // ARP: mac_tx adds 14 header, 18 padding, 4 FCS, 8 preamble, 12 idle; the
            // stream has 7 bytes of destination.
            arp_out: Consumer::new(56 - 7),
            // ICMP: ipv4_tx adds 20, mac_tx 14 + 4 + 8 + 12; the stream has 13 bytes of
            // destination.
            echo_out: Consumer::new(58 - 13),
            learned: vec![],
            echo_dropped: 0,
            arp_dropped: 0,
            reports: vec![],
            arp_vectors: vec![],
            echo_vectors: vec![],
            stage_vectors: vec![],
            link_vectors: vec![],
            record: false,
        }
    }

    fn cycle(&mut self, phy: Option<u8>) {
        let (rx, arp, echo, link) = (&mut self.rx, &mut self.arp, &mut self.echo, &mut self.link);
        rx.phy_valid.next = phy.is_some();
        rx.phy_data.next = (phy.unwrap_or(0) as u64).into();
        // Drain the host FIFO, as LinkTx would.
        rx.fifo_read.next = !rx.fifo_empty.val();
        rx.clock.next = false.into();
        assert!(simulate(&mut **rx, 200));
        // The taps, same names on both sides.
        arp.report_valid.next = rx.report_valid.val();
        arp.report_reason.next = rx.report_reason.val();
        arp.report_class.next = rx.report_class.val();
        arp.eth_tagged.next = rx.eth_tagged.val();
        arp.arp_op_request.next = rx.arp_op_request.val();
        arp.arp_op_reply.next = rx.arp_op_reply.val();
        arp.l3_data.next = rx.l3_data.val();
        arp.l3_valid.next = rx.l3_valid.val();
        arp.l3.next = rx.l3.val();
        arp.l3_pos.next = rx.l3_pos.val();
        arp.arp_target_ours.next = rx.arp_target_ours.val();
        arp.ready.next = self.arp_out.ready(self.clock);
        echo.echo.icmp_data.next = rx.icmp_data.val();
        echo.echo.icmp_valid.next = rx.icmp_valid.val();
        echo.echo.icmp_type.next = rx.icmp_type.val();
        echo.echo.icmp_code.next = rx.icmp_code.val();
        echo.echo.link_data.next = rx.link_data.val();
        echo.echo.link_valid.next = rx.link_valid.val();
        echo.echo.link_pos.next = rx.link_pos.val();
        echo.echo.l3_data.next = rx.l3_data.val();
        echo.echo.l3_valid.next = rx.l3_valid.val();
        echo.echo.l3.next = rx.l3.val();
        echo.echo.l3_pos.next = rx.l3_pos.val();
        echo.echo.ipv4_dst_ours.next = rx.ipv4_dst_ours.val();
        echo.echo.eth_tagged.next = rx.eth_tagged.val();
        echo.echo.report_valid.next = rx.report_valid.val();
        echo.echo.report_reason.next = rx.report_reason.val();
        echo.echo.report_class.next = rx.report_class.val();
        echo.ready.next = self.echo_out.ready(self.clock);
        arp.clock.next = false.into();
        echo.clock.next = false.into();
        assert!(simulate(&mut **arp, 200));
        assert!(simulate(&mut **echo, 200));
        link.arp_learned.next = arp.arp_learned.val();
        link.l3_data.next = rx.l3_data.val();
        link.l3_valid.next = rx.l3_valid.val();
        link.l3.next = rx.l3.val();
        link.l3_pos.next = rx.l3_pos.val();
        link.out_ready.next = self.clock % self.link_every == 0;
        link.clock.next = false.into();
        assert!(simulate(&mut **link, 200));
        if link.out_valid.val() && link.out_ready.val() {
            self.link_bytes.push(link.out_data.val().index() as u8);
            if link.out_last.val() {
                let m = std::mem::take(&mut self.link_bytes);
                assert_eq!((m[0], m.len()), (0x07, 11), "an ArpReply: {m:02x?}");
                self.learned
                    .push((m[5..11].try_into().unwrap(), m[1..5].try_into().unwrap()));
            }
        }
        if rx.report_valid.val() {
            self.reports.push((
                rx.report_reason.val().index() as u64,
                rx.report_class.val().index() as u64,
            ));
        }
        let a = &**arp;
        self.arp_out.sample(
            self.clock,
            a.valid.val(),
            a.last.val(),
            a.data.val().index() as u8,
        );
        let e = &echo.transport;
        self.echo_out.sample(
            self.clock,
            e.valid.val(),
            e.last.val(),
            e.data.val().index() as u8,
        );
        self.learned_pulses += a.arp_learned.val() as usize;
        self.arp_dropped += a.reply_dropped.val() as usize;
        self.echo_dropped += echo.echo.dropped.val() as usize;
        if self.record {
            self.arp_vectors.push(a.get_inputs());
            self.echo_vectors.push(echo.echo.get_inputs());
            self.stage_vectors.push(echo.stage.get_inputs());
            self.link_vectors.push(link.get_inputs());
        }
        rx.clock.next = true.into();
        arp.clock.next = true.into();
        echo.clock.next = true.into();
        link.clock.next = true.into();
        assert!(simulate(&mut **rx, 200));
        assert!(simulate(&mut **arp, 200));
        assert!(simulate(&mut **echo, 200));
        assert!(simulate(&mut **link, 200));
        self.clock += 1;
    }

    /// A frame on the wire: preamble, SFD, the frame (padded to 60), its FCS unless
    /// `fcs_present`, then the 12-byte inter-frame gap.
    fn push(&mut self, frame: &[u8], fcs_present: bool) {
        self.push_then_idle(frame, fcs_present, 12);
    }

    /// The same, then `gap` idle clocks (1 is the least that ends a frame).
    fn push_then_idle(&mut self, frame: &[u8], fcs_present: bool, gap: usize) {
        let f = if fcs_present {
            frame.to_vec()
        } else {
            pad_to_minimum(frame)
        };
        for b in phy_bytes(&f, !fcs_present) {
            self.cycle(Some(b));
        }
        self.idle(gap);
    }

    fn idle(&mut self, clocks: usize) {
        for _ in 0..clocks {
            self.cycle(None);
        }
    }
}

/// A frame with a corrupted FCS (the frame itself intact).
fn with_bad_fcs(frame: &[u8]) -> Vec<u8> {
    let mut f = pad_to_minimum(frame);
    let fcs = crc32_ieee(&f) ^ 1;
    f.extend_from_slice(&fcs.to_le_bytes());
    f
}

const OUR_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const OUR_IP: [u8; 4] = [10, 0, 0, 2];
const PEER_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
const PEER_IP: [u8; 4] = [10, 0, 0, 1];

fn echo_request_frame(dst_ip: [u8; 4], id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    echo_request_from(PEER_MAC, PEER_IP, dst_ip, id, seq, payload)
}

fn echo_request_from(
    src_mac: [u8; 6],
    src_ip: [u8; 4],
    dst_ip: [u8; 4],
    id: u16,
    seq: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut f = vec![];
    PacketBuilder::ethernet2(src_mac, OUR_MAC)
        .ipv4(src_ip, dst_ip, 64)
        .icmpv4_echo_request(id, seq)
        .write(&mut f, payload)
        .unwrap();
    f
}

/// The reply as it will leave the board (ipv4_tx and mac_tx add these headers), parsed
/// by etherparse and checked against the request frame: an echo reply with the same
/// identifier, sequence and payload, a correct checksum, to the requester.
fn check_echo_reply(request: &[u8], reply: &Frame, our_mac: [u8; 6], our_ip: [u8; 4]) {
    let q = SlicedPacket::from_ethernet(request).unwrap();
    let (req_src_mac, req_src_ip) = match (&q.link, &q.net) {
        (Some(etherparse::LinkSlice::Ethernet2(e)), Some(etherparse::NetSlice::Ipv4(ip))) => {
            (e.source(), ip.header().source())
        }
        _ => panic!("request is not Ethernet II + IPv4"),
    };
    let Some(TransportSlice::Icmpv4(qi)) = q.transport else {
        panic!("request is not ICMP")
    };
    assert_eq!(
        (
            reply.desc.ethertype,
            reply.desc.wrap_ip,
            reply.desc.protocol
        ),
        (0x0800, true, 1)
    );
    assert_eq!(reply.desc.l4_len as usize, reply.bytes.len());
    assert_eq!(reply.desc.dst_mac, req_src_mac, "to the requester's MAC");
    assert_eq!(reply.desc.dst_ip, req_src_ip, "to the requester's IP");
    let mut frame = vec![];
    PacketBuilder::ethernet2(our_mac, reply.desc.dst_mac)
        .ipv4(our_ip, reply.desc.dst_ip, 64)
        .write(&mut frame, IpNumber::ICMP, &reply.bytes)
        .unwrap();
    let p = SlicedPacket::from_ethernet(&frame).expect("etherparse reads the reply frame");
    let Some(TransportSlice::Icmpv4(pi)) = p.transport else {
        panic!("reply is not ICMP")
    };
    let Icmpv4Type::EchoRequest(asked) = qi.icmp_type() else {
        panic!("request is not an echo request")
    };
    assert_eq!(pi.icmp_type(), Icmpv4Type::EchoReply(asked));
    assert_eq!(pi.payload(), qi.payload());
    // Etherparse's own checksum of the reply. The one case where two checksums are
    // right, an all-zero message, has 0xFFFF (the sum that verifies) on both sides.
    let want = Icmpv4Header::with_checksum(pi.icmp_type(), pi.payload()).checksum;
    assert_eq!(pi.checksum(), want, "reply checksum");
}

/// ../shared/pcaps from the project root (/work/main next to /work/shared), or from a
/// worktree one level further down.
fn shared_pcaps() -> Option<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates = [
        root.join("../shared/pcaps"),
        root.join("../../shared/pcaps"),
    ];
    if let Some(dir) = candidates.iter().find(|d| d.is_dir()) {
        return Some(dir.clone());
    }
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!(
            "\n!!!!! {} does not exist: captures NOT replayed !!!!!\n\n",
            candidates[0].display()
        )
        .as_bytes(),
    );
    None
}

/// Replays a capture with the board in the place of one of its hosts.
fn replay(file: &str, mac: [u8; 6], ip: [u8; 4]) -> Option<(Board, Vec<Vec<u8>>)> {
    let dir = shared_pcaps()?;
    let frames: Vec<Vec<u8>> = read_frames(dir.join(file))
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|f| f.data)
        .collect();
    let mut b = Board::new(mac, ip);
    for f in &frames {
        b.push(f, false);
        b.idle(200);
    }
    b.idle(300);
    assert_eq!(b.reports.len(), frames.len());
    Some((b, frames))
}

#[test]
fn capture_arp_and_ping_answered_as_the_real_host_did() {
    // suricata-arp: who-has 10.10.10.1 (frame 0, answered in frame 1), an echo request
    // to it (2, answered in 3), its own who-has (4) and the reply to that (5).
    let them = [0x00, 0x1a, 0x6b, 0x6c, 0x0c, 0xcc];
    let Some((b, frames)) = replay(
        "suricata-arp.pcap",
        [0x00, 0x1d, 0x09, 0xf0, 0x92, 0xab],
        [10, 10, 10, 1],
    ) else {
        return;
    };
    assert_eq!(b.arp_out.frames().len(), 1);
    let arp = &b.arp_out.frames()[0];
    assert_eq!(
        arp.bytes,
        frames[1][14..42],
        "ARP reply as the real host sent it"
    );
    assert_eq!(arp.desc.dst_mac, frames[1][0..6]);
    assert_eq!((arp.desc.ethertype, arp.desc.wrap_ip), (0x0806, false));
    assert_eq!(b.echo_out.frames().len(), 1);
    let echo = &b.echo_out.frames()[0];
    assert_eq!(
        echo.bytes,
        frames[3][34..],
        "echo reply as the real host sent it"
    );
    check_echo_reply(
        &frames[2],
        echo,
        [0x00, 0x1d, 0x09, 0xf0, 0x92, 0xab],
        [10, 10, 10, 1],
    );
    // Learned from the who-has for us and from the reply to our own who-has.
    assert_eq!(
        b.learned,
        vec![(them, [10, 10, 10, 2]), (them, [10, 10, 10, 2])]
    );
}

#[test]
fn capture_five_pings() {
    let Some((b, frames)) = replay(
        "zeek-icmp-5-pings.pcap",
        [0xa6, 0x83, 0xe7, 0x0c, 0x90, 0x64],
        [172, 217, 11, 78],
    ) else {
        return;
    };
    assert_eq!(b.echo_out.frames().len(), 5);
    for (k, reply) in b.echo_out.frames().iter().enumerate() {
        assert_eq!(
            reply.bytes,
            frames[2 * k + 1][34..],
            "reply {k} as the real host sent it"
        );
        check_echo_reply(
            &frames[2 * k],
            reply,
            [0xa6, 0x83, 0xe7, 0x0c, 0x90, 0x64],
            [172, 217, 11, 78],
        );
    }
    assert!(b.arp_out.frames().is_empty());
}

#[test]
fn capture_who_has() {
    let Some((b, frames)) = replay(
        "zeek-arp-who-has.pcap",
        [0xf8, 0xed, 0xa5, 0xc0, 0xa4, 0xf1],
        [10, 0, 0, 1],
    ) else {
        return;
    };
    assert_eq!(b.arp_out.frames().len(), 1);
    assert_eq!(b.arp_out.frames()[0].bytes, frames[1][14..42]);
    assert_eq!(b.arp_out.frames()[0].desc.dst_mac, frames[1][0..6]);
    assert_eq!(
        b.learned,
        vec![([0x78, 0x31, 0xc1, 0xc6, 0x3f, 0xc2], [10, 0, 0, 2])]
    );
}

#[test]
fn capture_checksums_and_vlan() {
    let me = ([0x00, 0x10, 0xdb, 0x88, 0xd2, 0xef], [192, 168, 1, 101]);
    // An all-zero echo request (id 0, seq 0, no payload): the reply's checksum is 0xFFFF.
    let Some((b, frames)) = replay("zeek-chksums-ip4-icmp-good-chksum.pcap", me.0, me.1) else {
        return;
    };
    assert_eq!(b.echo_out.frames().len(), 1);
    check_echo_reply(&frames[0], &b.echo_out.frames()[0], me.0, me.1);
    assert_eq!(b.echo_out.frames()[0].bytes, [0, 0, 0xFF, 0xFF, 0, 0, 0, 0]);
    // The same with a bad ICMP checksum: dropped by the pipeline, not answered.
    let (b, _) = replay("zeek-chksums-ip4-icmp-bad-chksum.pcap", me.0, me.1).unwrap();
    assert_eq!(b.reports, vec![(20, 1)]);
    assert!(b.echo_out.frames().is_empty());
    assert_eq!(b.echo_dropped, 0);
    // Pings and who-has inside 802.1Q tags: not answered (mac_tx sends untagged).
    let (b, _) = replay(
        "zeek-icmp_dot1q.pcap",
        [0x00, 0x19, 0x06, 0xea, 0xb8, 0xc1],
        [192, 168, 123, 1],
    )
    .unwrap();
    assert!(
        b.reports.iter().any(|r| r.0 == 0),
        "tagged frames are accepted"
    );
    assert!(
        b.echo_out.frames().is_empty() && b.arp_out.frames().is_empty() && b.learned.is_empty()
    );
}

#[test]
fn built_echo_requests_of_every_size_and_the_ones_not_answered() {
    let mut b = Board::new(OUR_MAC, OUR_IP);
    let mut answered = vec![];
    for (i, len) in [0usize, 1, 3, 57, 999, 1472].into_iter().enumerate() {
        let payload: Vec<u8> = (0..len).map(|k| (k * 31 + i) as u8).collect();
        let f = echo_request_frame(OUR_IP, 0x4000 + i as u16, i as u16, &payload);
        // Not answered: bad FCS; for another address; to broadcast.
        b.push(&with_bad_fcs(&f), true);
        b.push(&echo_request_frame([10, 0, 0, 9], 1, 1, &payload), false);
        b.push(&echo_request_frame([255; 4], 1, 1, &payload), false);
        b.push(&f, false);
        answered.push(f);
        b.idle(100);
    }
    // Not an echo request: an echo reply to us.
    let mut f = vec![];
    PacketBuilder::ethernet2(PEER_MAC, OUR_MAC)
        .ipv4(PEER_IP, OUR_IP, 64)
        .icmpv4(Icmpv4Type::EchoReply(IcmpEchoHeader { id: 1, seq: 1 }))
        .write(&mut f, b"pong")
        .unwrap();
    b.push(&f, false);
    b.idle(2000);
    assert_eq!(
        b.echo_out.frames().len(),
        answered.len(),
        "one reply per request to us"
    );
    for (req, reply) in answered.iter().zip(b.echo_out.frames()) {
        check_echo_reply(req, reply, OUR_MAC, OUR_IP);
    }
    assert_eq!(b.echo_dropped, 0);
    // The pipeline saw: 6 bad FCS, 6 ip_filter, 6 + 6 + 1 accepted ICMP.
    let count = |r: (u64, u64)| b.reports.iter().filter(|&&x| x == r).count();
    assert_eq!(count((1, 1)) + count((1, 0)), 6);
    assert_eq!(count((13, 1)), 6);
    assert_eq!(count((0, 1)), 13);
}

/// The responder writes each requester's addresses into its reply's buffer as they
/// stream past, and commits a reply at its report: requests from different peers
/// with the receive pipeline's least spacing (one idle clock, then the next preamble)
/// each get their reply at their own requester, or are dropped and counted when both
/// buffers hold replies; none is sent to another request's peer.
#[test]
fn echo_requests_from_many_peers_closest_together() {
    let reqs: Vec<Vec<u8>> = (0..16u16)
        .map(|i| {
            let mut mac = PEER_MAC;
            mac[5] ^= i as u8 + 1;
            let mut ip = PEER_IP;
            ip[3] = 100 + i as u8;
            let payload = vec![i as u8; 18 + 5 * (i as usize % 3)];
            echo_request_from(mac, ip, OUR_IP, 9, i, &payload)
        })
        .collect();
    let mut b = Board::new(OUR_MAC, OUR_IP);
    for r in &reqs {
        b.push_then_idle(r, false, 1);
    }
    b.idle(1000);
    let replies = b.echo_out.frames();
    assert!(replies.len() >= 2, "{} replies", replies.len());
    assert_eq!(replies.len() + b.echo_dropped, reqs.len());
    println!(
        "{} of {} answered, {} dropped",
        replies.len(),
        reqs.len(),
        b.echo_dropped
    );
    for reply in replies {
        let seq = u16::from_be_bytes([reply.bytes[6], reply.bytes[7]]);
        check_echo_reply(&reqs[seq as usize], reply, OUR_MAC, OUR_IP);
    }
}

#[test]
fn echo_requests_back_to_back_at_line_rate() {
    let reqs: Vec<Vec<u8>> = (0..12u16)
        .map(|i| echo_request_frame(OUR_IP, 7, i, &vec![i as u8; 64 + 3 * i as usize]))
        .collect();
    // The replies leave as fast as the requests came (the consumer adds the wire's
    // overhead after each): every one answered.
    let mut b = Board::new(OUR_MAC, OUR_IP);
    for r in &reqs {
        b.push(r, false);
    }
    b.idle(600);
    assert_eq!(b.echo_out.frames().len(), reqs.len());
    for (req, reply) in reqs.iter().zip(b.echo_out.frames()) {
        check_echo_reply(req, reply, OUR_MAC, OUR_IP);
    }
    assert_eq!(b.echo_dropped, 0);
    // Full-size requests back to back: the same.
    let big: Vec<Vec<u8>> = (0..4u16)
        .map(|i| echo_request_frame(OUR_IP, 8, i, &vec![0x5A ^ i as u8; 1472]))
        .collect();
    for r in &big {
        b.push(r, false);
    }
    b.idle(1600);
    assert_eq!(b.echo_out.frames().len(), reqs.len() + big.len());
    for (req, reply) in big.iter().zip(&b.echo_out.frames()[reqs.len()..]) {
        check_echo_reply(req, reply, OUR_MAC, OUR_IP);
    }
    assert_eq!(b.echo_dropped, 0);
    // The transmitter busy elsewhere for the whole burst: the ping-pong holds two
    // replies, the other ten are dropped and counted; the two leave once it is free.
    let mut b = Board::new(OUR_MAC, OUR_IP);
    b.echo_out.stalled_until = usize::MAX;
    for r in &reqs {
        b.push(r, false);
    }
    b.idle(20);
    assert_eq!(b.echo_dropped, reqs.len() - 2);
    assert!(b.echo_out.frames().is_empty());
    b.echo_out.stalled_until = 0;
    b.idle(600);
    assert_eq!(b.echo_out.frames().len(), 2);
    check_echo_reply(&reqs[0], &b.echo_out.frames()[0], OUR_MAC, OUR_IP);
    check_echo_reply(&reqs[1], &b.echo_out.frames()[1], OUR_MAC, OUR_IP);
    assert_eq!(
        b.reports.iter().filter(|r| **r == (0, 1)).count(),
        reqs.len()
    );
}

#[test]
fn who_has_back_to_back_at_line_rate() {
    let mut b = Board::new(OUR_MAC, OUR_IP);
    let peers: Vec<([u8; 6], [u8; 4])> = (1..=10u8)
        .map(|i| ([0x02, 0, 0, 0, 1, i], [10, 0, 0, 100 + i]))
        .collect();
    for (mac, ip) in &peers {
        b.push(&who_has_frame(*mac, *ip, OUR_IP), false);
        // For someone else, and with a bad FCS: not answered.
        b.push(&who_has_frame(*mac, *ip, [10, 0, 0, 3]), false);
        b.push(&with_bad_fcs(&who_has_frame(*mac, *ip, OUR_IP)), true);
    }
    b.idle(200);
    assert_eq!(b.arp_out.frames().len(), peers.len());
    for ((mac, ip), reply) in peers.iter().zip(b.arp_out.frames()) {
        let a = etherparse::ArpPacketSlice::from_slice(&reply.bytes).unwrap();
        assert_eq!(a.operation(), etherparse::ArpOperation::REPLY);
        assert_eq!(
            (a.sender_hw_addr(), a.sender_protocol_addr()),
            (&OUR_MAC[..], &OUR_IP[..])
        );
        assert_eq!(
            (a.target_hw_addr(), a.target_protocol_addr()),
            (&mac[..], &ip[..])
        );
        assert_eq!(reply.desc.dst_mac, *mac);
    }
    assert_eq!(b.learned, peers);
    assert_eq!(b.arp_dropped, 0);
}

/// An ARP reply (is-at) from `sender` to us.
fn is_at_frame(sender_mac: [u8; 6], sender_ip: [u8; 4], target_ip: [u8; 4]) -> Vec<u8> {
    let mut f = who_has_frame(sender_mac, sender_ip, target_ip);
    f[..6].copy_from_slice(&OUR_MAC);
    f[21] = 2;
    f[32..38].copy_from_slice(&OUR_MAC);
    f
}

/// The responder and LinkTx take each sender's address from the receive stream as it
/// passes, and commit at the frame's report: ARP frames from different peers with the
/// receive pipeline's least spacing (one idle clock, then the next preamble), who-has
/// for us among is-at replies to us and who-has for others, each who-has for us
/// answered to its own requester or dropped and counted, and what the host learns never
/// one peer's MAC with another's IP, over a fast and a slow link.
#[test]
fn arp_from_many_peers_closest_together() {
    let peer = |i: usize| {
        let mut mac = PEER_MAC;
        mac[4] = 0x10 + i as u8;
        mac[5] ^= i as u8 + 1;
        (mac, [10, 0, 1, 100 + i as u8])
    };
    let frames: Vec<Vec<u8>> = (0..30)
        .map(|i| {
            let (mac, ip) = peer(i);
            match i % 5 {
                0 | 2 | 3 => who_has_frame(mac, ip, OUR_IP),
                1 => is_at_frame(mac, ip, OUR_IP),
                _ => who_has_frame(mac, ip, [10, 0, 0, 3]),
            }
        })
        .collect();
    let who_has_for_us = frames.iter().filter(|f| f[21] == 1 && f[38..42] == OUR_IP);
    let asked = who_has_for_us.count();
    for link_every in [1, 8] {
        let mut b = Board::new(OUR_MAC, OUR_IP);
        b.link_every = link_every;
        for f in &frames {
            b.push_then_idle(f, false, 1);
        }
        b.idle(3000);
        let replies = b.arp_out.frames();
        assert!(replies.len() >= 2, "{} replies", replies.len());
        assert_eq!(replies.len() + b.arp_dropped, asked);
        let mut last = None;
        for reply in replies {
            let a = etherparse::ArpPacketSlice::from_slice(&reply.bytes).unwrap();
            assert_eq!(a.operation(), etherparse::ArpOperation::REPLY);
            let i = (a.target_protocol_addr()[3] - 100) as usize;
            assert!(
                i % 5 != 1 && i % 5 != 4,
                "answered frame {i}: not a who-has for us"
            );
            assert!(last < Some(i), "frame {i} answered out of order");
            last = Some(i);
            let (mac, ip) = peer(i);
            assert_eq!(
                (a.target_hw_addr(), a.target_protocol_addr()),
                (&mac[..], &ip[..]),
                "frame {i}'s reply"
            );
            assert_eq!(
                reply.desc.dst_mac, mac,
                "frame {i}'s reply goes to its sender"
            );
        }
        // Learned: every who-has and is-at for us pulses; the host hears from some
        // of them, each its own MAC with its own IP, in order.
        assert_eq!(b.learned_pulses, 24);
        assert!(!b.learned.is_empty());
        let mut last = None;
        for (mac, ip) in &b.learned {
            let i = (ip[3] - 100) as usize;
            assert!(i % 5 != 4, "learned from frame {i}, which is not for us");
            assert!(last < Some(i), "frame {i} learned out of order");
            last = Some(i);
            assert_eq!((*mac, *ip), peer(i), "frame {i} learned whole");
        }
        println!(
            "link every {link_every} clocks: {} of {asked} who-has answered, {} of 24 learned",
            replies.len(),
            b.learned.len()
        );
    }
}

/// Both blocks' generated Verilog, on the inputs they saw in a run of captures, built
/// requests, bad frames, a stalled and a slow consumer and host who-has requests.
#[test]
fn cosim_arp_tx_and_icmp_echo() {
    let mut b = Board::new(OUR_MAC, OUR_IP);
    b.record = true;
    let mut frames = vec![];
    for i in 0..6u16 {
        let payload: Vec<u8> = (0..(i as usize * 37) % 200)
            .map(|k| (k as u16 * i) as u8)
            .collect();
        frames.push((echo_request_frame(OUR_IP, i, i, &payload), false));
        frames.push((
            who_has_frame([2, 0, 0, 0, 7, i as u8], [10, 0, 0, 50 + i as u8], OUR_IP),
            false,
        ));
        frames.push((
            with_bad_fcs(&echo_request_frame(OUR_IP, 1, 1, &payload)),
            true,
        ));
        frames.push((echo_request_frame([10, 0, 0, 9], 1, 1, &payload), false));
    }
    if let Some(dir) = shared_pcaps() {
        for f in read_frames(dir.join("suricata-arp.pcap")).unwrap() {
            frames.push((f.data, false));
        }
    }
    b.echo_out.stalled_until = 1500;
    b.arp_out.stalled_until = 700;
    for (k, (f, fcs)) in frames.iter().enumerate() {
        b.push(f, *fcs);
        if k % 5 == 0 {
            // A host who-has, sometimes while a reply is pending.
            b.arp.arp_request.next = true;
            b.cycle(None);
            b.arp.arp_request.next = false;
            // Its IP a byte a clock from the second clock after, as HostRx gives it.
            b.cycle(None);
            for byte in (0x0a00_0000 + k as u32).to_be_bytes() {
                b.arp.arp_request_byte.next = (byte as u64).into();
                b.cycle(None);
            }
            b.arp.arp_request_byte.next = 0.into();
        }
    }
    b.idle(2000);
    assert!(b.echo_dropped > 0 && !b.echo_out.frames().is_empty());
    assert!(!b.arp_out.frames().is_empty());
    assert!(!b.learned.is_empty());
    for (name, result) in [
        ("arp_tx", check_block(ArpTx::default, &b.arp_vectors)),
        ("icmp_echo", check_block(IcmpEcho::default, &b.echo_vectors)),
        ("tx_stage", check_block(TxStage::default, &b.stage_vectors)),
        ("link_tx", check_block(LinkTx::default, &b.link_vectors)),
    ] {
        match result {
            Ok(report) => println!("{name}: {report}"),
            Err(e) => panic!("{name}: {e:#}"),
        }
    }
}
