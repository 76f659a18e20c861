//! The board → host link, end to end in hardware: frames into the receive pipeline
//! (`RxPipeline`), its FIFO and counters read by `LinkTx`, framed by `CrcAppend` and
//! `CobsEncoder`, with a consumer that is ready on random clocks; the bytes on the link
//! are decoded by the host's own codec (`decode_frame`) and every message is compared
//! with what independent sources say it must be: etherparse's parse of each injected
//! frame (through the oracle in tests/support), the values given with each event pulse,
//! the sender of each ARP frame for us (an ArpReply, whose address LinkTx takes from the
//! receive stream itself), and a tally of the pipeline's frame reports for the counters.
//!
//! The same run's `LinkTx` inputs, clock by clock, are the co-simulation vectors: the
//! generated Verilog (Icarus and Verilator) must give the same outputs.

mod support;

use rand::{Rng, SeedableRng};
use rust_hdl::prelude::*;
use std::sync::OnceLock;
use support::{expect, ipv4_frame, pad, ExpectedSegment, FrameGen, Ipv4Spec, Transport, BOARD};
use tcpip_fpga::hdl::board::board_core::{RX_FIFO_BYTES, RX_RECORD_OVERHEAD};
use tcpip_fpga::hdl::board::cobs_encoder::CobsEncoder;
use tcpip_fpga::hdl::board::crc_append::CrcAppend;
use tcpip_fpga::hdl::board::link_tx::{LinkTx, LINK_VERSION};
use tcpip_fpga::hdl::link::mac_rx::phy_bytes;
use tcpip_fpga::hdl::rx_pipeline::RxPipeline;
use tcpip_fpga::host::link::message::{decode_frame, ErrorCode, Hello, Message, RxTcp, RxUdp};
use tcpip_fpga::sim::cosim::{check_block, Ports};

const BUILD_ID: u32 = 0x2026_1125;

/// The receive pipeline and the link transmit path, wired as the board core wires them.
#[derive(LogicBlock, Default)]
struct LinkPath {
    clock: Signal<In, Clock>,
    phy_data: Signal<In, Bits<8>>,
    phy_valid: Signal<In, Bit>,
    hello: Signal<In, Bit>,
    get_counters: Signal<In, Bit>,
    tx_done: Signal<In, Bit>,
    tx_done_tag: Signal<In, Bits<16>>,
    error: Signal<In, Bit>,
    error_code: Signal<In, Bits<3>>,
    arp_learned: Signal<In, Bit>,
    link_ready: Signal<In, Bit>,
    link_data: Signal<Out, Bits<8>>,
    link_valid: Signal<Out, Bit>,
    rx: RxPipeline,
    tx: LinkTx,
    crc: CrcAppend,
    cobs: CobsEncoder,
}

/// LinkTx with `BOARD`'s address in its Hello from the start (the board's has it once a
/// Config gave it).
fn board_link_tx() -> LinkTx {
    LinkTx::new(
        BOARD.mac,
        BOARD.ip,
        BUILD_ID,
        RX_FIFO_BYTES,
        RX_RECORD_OVERHEAD,
    )
}

fn mac3(mac: [u8; 6]) -> [u64; 3] {
    [0, 2, 4].map(|i| u16::from_be_bytes([mac[i], mac[i + 1]]) as u64)
}

impl Logic for LinkPath {
    fn update(&mut self) {
        let clock = self.clock.val();
        self.rx.clock.next = clock;
        self.tx.clock.next = clock;
        self.crc.clock.next = clock;
        self.cobs.clock.next = clock;
        let [hi, mid, lo] = mac3(BOARD.mac);
        let ip = u32::from_be_bytes(BOARD.ip) as u64;
        self.rx.phy_data.next = self.phy_data.val();
        self.rx.phy_valid.next = self.phy_valid.val();
        self.rx.phy_error.next = false;
        self.rx.mac_hi.next = hi.into();
        self.rx.mac_mid.next = mid.into();
        self.rx.mac_lo.next = lo.into();
        self.rx.our_ip.next = ip.into();
        self.rx.promiscuous.next = false;
        self.rx.fifo_read.next = self.tx.fifo_read.val();
        self.rx.counter_index.next = self.tx.counter_index.val();
        self.tx.config_index.next = 0.into();
        self.tx.config_byte.next = 0.into();
        self.tx.hello.next = self.hello.val();
        self.tx.fifo_data.next = self.rx.fifo_data.val();
        self.tx.fifo_empty.next = self.rx.fifo_empty.val();
        self.tx.get_counters.next = self.get_counters.val();
        self.tx.counter_value.next = self.rx.counter_value.val();
        self.tx.counter_valid.next = self.rx.counter_valid.val();
        self.tx.tx_done.next = self.tx_done.val();
        self.tx.tx_done_tag.next = self.tx_done_tag.val();
        self.tx.error.next = self.error.val();
        self.tx.error_code.next = self.error_code.val();
        self.tx.arp_learned.next = self.arp_learned.val();
        self.tx.l3_data.next = self.rx.l3_data.val();
        self.tx.l3_valid.next = self.rx.l3_valid.val();
        self.tx.l3.next = self.rx.l3.val();
        self.tx.l3_pos.next = self.rx.l3_pos.val();
        self.tx.out_ready.next = self.crc.ready.val();
        self.crc.data.next = self.tx.out_data.val();
        self.crc.valid.next = self.tx.out_valid.val();
        self.crc.last.next = self.tx.out_last.val();
        self.crc.out_ready.next = self.cobs.ready.val();
        self.cobs.data.next = self.crc.out_data.val();
        self.cobs.valid.next = self.crc.out_valid.val();
        self.cobs.last.next = self.crc.out_last.val();
        self.cobs.out_ready.next = self.link_ready.val();
        self.link_data.next = self.cobs.out_data.val();
        self.link_valid.next = self.cobs.out_valid.val();
    }
}

/// A small event given to LinkTx, and what the host must receive for it.
struct Event {
    clock: usize,
    /// LinkTx messages whose first byte had gone out by then.
    started: usize,
    message: Message,
}

/// One LinkTx message as it left the block: its type byte and first-byte clock.
struct Sent {
    kind: u8,
    clock: usize,
}

/// Everything one run produced.
struct Run {
    vectors: Vec<Vec<u64>>,
    wire: Vec<u8>,
    /// The oracle's segment per frame the hardware accepted into the FIFO, in order.
    segments: Vec<ExpectedSegment>,
    frames_full: usize,
    events: Vec<Event>,
    /// ArpReply candidates: an `arp_learned` pulse for each accepted ARP frame for us
    /// (as ArpTx gives it), with its sender. LinkTx sends those whose frame found its
    /// latch free (none pending or in flight), in order, whole.
    arp_events: Vec<Event>,
    sent: Vec<Sent>,
    /// Counters messages: the tally of frame reports when asked and when sent.
    counters: Vec<([u32; 32], [u32; 32])>,
}

/// Payload bytes: all non-zero, mostly zeros, or anything.
fn payload(rng: &mut impl Rng, len: usize) -> Vec<u8> {
    let style = rng.gen_range(0..3);
    (0..len)
        .map(|_| match style {
            0 => rng.gen_range(1..=255),
            1 => [0, 0, 0, 0x41][rng.gen_range(0..4)],
            _ => rng.gen(),
        })
        .collect()
}

fn payload_len(rng: &mut impl Rng, max: usize) -> usize {
    match rng.gen_range(0..6) {
        0 => 0,
        1 => rng.gen_range(0..8),
        2 => max,
        _ => rng.gen_range(0..=max),
    }
}

/// A TCP segment to us: random fields, options (MSS, window scale, SACK, timestamps in
/// any mix) and a payload of 0..=1460 bytes.
fn tcp_frame(gen: &mut FrameGen) -> Vec<u8> {
    let tcp = gen.tcp_header();
    let options = tcp.header_len() - 20;
    let rng = &mut gen.rng;
    let len = payload_len(rng, 1460.min(1480 - options));
    let body = payload(rng, len);
    let ip = Ipv4Spec {
        src: rng.gen(),
        dst: BOARD.ip,
        ttl: 64,
        id: rng.gen(),
        options: vec![],
    };
    let src = [0x02, rng.gen(), rng.gen(), rng.gen(), rng.gen(), rng.gen()];
    let vlan = rng.gen_bool(0.1).then(|| rng.gen_range(1..4095));
    ipv4_frame(src, BOARD.mac, vlan, &ip, Transport::Tcp(tcp), &body).bytes
}

fn udp_frame(gen: &mut FrameGen) -> Vec<u8> {
    let rng = &mut gen.rng;
    let len = payload_len(rng, 1472);
    let body = payload(rng, len);
    let ip = Ipv4Spec {
        src: rng.gen(),
        dst: if rng.gen_bool(0.2) {
            [255; 4]
        } else {
            BOARD.ip
        },
        ttl: 64,
        id: rng.gen(),
        options: vec![],
    };
    let src = [0x02, rng.gen(), rng.gen(), rng.gen(), rng.gen(), rng.gen()];
    let udp = Transport::Udp {
        src_port: rng.gen(),
        dst_port: rng.gen(),
        checksum: rng.gen_bool(0.8),
    };
    ipv4_frame(src, BOARD.mac, None, &ip, udp, &body).bytes
}

/// The message the host must get for a segment, from the oracle's parse.
fn rx_message(s: &ExpectedSegment) -> Message {
    if s.protocol == 6 {
        let options = s.header_len as usize - 20;
        Message::RxTcp(RxTcp {
            src_mac: s.src_mac,
            src_ip: s.src_ip,
            src_port: s.src_port,
            dst_port: s.dst_port,
            seq: s.seq,
            ack: s.ack,
            flags: s.flags,
            window: s.window,
            mss: s.mss.unwrap_or(0),
            window_scale: s.window_scale.unwrap_or(0xFF),
            option_flags: s.sack_permitted as u8 | (s.timestamps.is_some() as u8) << 1,
            options: s.body[..options].to_vec(),
            payload: s.body[options..].to_vec(),
        })
    } else {
        Message::RxUdp(RxUdp {
            src_mac: s.src_mac,
            src_ip: s.src_ip,
            dst_ip: s.dst_ip,
            src_port: s.src_port,
            dst_port: s.dst_port,
            payload: s.body.clone(),
        })
    }
}

/// The counter slot a frame report bumps (as `RxPipeline` maps it).
fn slot(reason: u64, class: u64) -> usize {
    if reason == 0 {
        24 + class as usize
    } else {
        reason as usize
    }
}

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(record)
}

fn record() -> Run {
    let mut gen = FrameGen::new(2026, BOARD);
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut frames = vec![];
    for i in 0..70 {
        let f = match i % 10 {
            0..=5 => tcp_frame(&mut gen),
            6..=7 => udp_frame(&mut gen),
            8 => gen.frame(), // anything: pings, ARP, other hosts, IPv6, ...
            _ => {
                // ARP for us: a who-has or an is-at, now and then tagged (not learned).
                let sender = (
                    [0x02, rng.gen(), rng.gen(), rng.gen(), rng.gen(), rng.gen()],
                    rng.gen(),
                );
                let vlan = rng.gen_bool(0.2).then_some(5);
                support::arp_frame(
                    sender.0,
                    BOARD.mac,
                    vlan,
                    rng.gen(),
                    sender,
                    (BOARD.mac, BOARD.ip),
                )
                .bytes
            }
        };
        frames.push(pad(f));
    }
    let mut phy: Vec<Option<u8>> = vec![None; 20];
    for f in &frames {
        phy.extend(phy_bytes(f, true).into_iter().map(Some));
        // Sometimes back to back, sometimes long enough for the link (a byte a clock
        // through CrcAppend) to catch up.
        let gap = if rng.gen_bool(0.5) {
            12
        } else {
            rng.gen_range(12..16_000)
        };
        phy.extend(std::iter::repeat_n(None, gap));
    }

    let mut uut = LinkPath {
        tx: board_link_tx(),
        ..Default::default()
    };
    uut.connect_all();
    let mut run = Run {
        vectors: vec![],
        wire: vec![],
        segments: vec![],
        frames_full: 0,
        events: vec![],
        arp_events: vec![],
        sent: vec![],
        counters: vec![],
    };
    let mut tally = [0u32; 32];
    let mut reports = 0;
    let mut outstanding = [false; 8];
    let mut counters_asked: Vec<[u32; 32]> = vec![];
    let mut at_first_byte = true;
    let mut clock = 0;
    let mut quiet = 0;
    let mut hello_sent = false;
    let mut final_counters = false;
    let mut arp_learned: Option<Message> = None;
    loop {
        let phy_byte = phy.get(clock).copied().flatten();
        uut.phy_data.next = (phy_byte.unwrap_or(0) as u64).into();
        uut.phy_valid.next = phy_byte.is_some();
        // A slow stretch fills the FIFO: whole segments are dropped (fifo_full), never
        // part of one.
        let slow = (40_000..90_000).contains(&clock);
        uut.link_ready.next = rng.gen_bool(if slow { 0.02 } else { 0.6 });
        uut.hello.next = false;
        uut.get_counters.next = false;
        uut.tx_done.next = false;
        uut.error.next = false;
        // ArpTx's pulse: a clock after the report of an accepted, untagged ARP request
        // or reply for our address.
        uut.arp_learned.next = false;
        if let Some(message) = arp_learned.take() {
            uut.arp_learned.next = true;
            run.arp_events.push(Event {
                clock,
                started: run.sent.len(),
                message,
            });
        }
        // Values change every clock: LinkTx must latch them with the pulse.
        uut.tx_done_tag.next = (rng.gen::<u16>() as u64).into();
        uut.error_code.next = (rng.gen_range(0..8u64)).into();
        let mut event: Option<Message> = None;
        if clock == 30 && !hello_sent {
            hello_sent = true;
            uut.hello.next = true;
            event = Some(Message::Hello(Hello {
                version: LINK_VERSION,
                mac: BOARD.mac,
                ip: BOARD.ip,
                build_id: BUILD_ID,
                rx_fifo_bytes: RX_FIFO_BYTES,
                rx_record_overhead: RX_RECORD_OVERHEAD,
            }));
        } else if clock < phy.len() && rng.gen_bool(1.0 / 2500.0) {
            // One event of a kind at a time, so none is replaced before it is sent.
            match rng.gen_range(0..3) {
                0 if !outstanding[5] => {
                    uut.tx_done.next = true;
                    let tag = uut.tx_done_tag.next.index() as u16;
                    event = Some(Message::TxDone { tag });
                }
                1 if !outstanding[6] => {
                    uut.error.next = true;
                    let code = ErrorCode::from_u8(uut.error_code.next.index() as u8);
                    event = Some(Message::Error { code });
                }
                2 if !outstanding[4] => {
                    uut.get_counters.next = true;
                    outstanding[4] = true;
                    counters_asked.push(tally);
                }
                _ => {}
            }
        }
        if let Some(message) = event {
            outstanding[message.kind() as usize] = true;
            run.events.push(Event {
                clock,
                started: run.sent.len(),
                message,
            });
        }
        let drained = clock > phy.len() && quiet > 3000;
        if drained && !final_counters {
            final_counters = true;
            quiet = 0;
            uut.get_counters.next = true;
            outstanding[4] = true;
            counters_asked.push(tally);
        } else if drained {
            break;
        }
        uut.clock.next = false.into();
        assert!(simulate(&mut uut, 200));
        run.vectors.push(uut.tx.get_inputs());
        // What LinkTx hands on this clock.
        if uut.tx.out_valid.val() && uut.tx.out_ready.val() {
            let byte = uut.tx.out_data.val().index() as u8;
            if at_first_byte {
                run.sent.push(Sent { kind: byte, clock });
            }
            at_first_byte = uut.tx.out_last.val();
            if at_first_byte {
                let kind = run.sent.last().unwrap().kind as usize;
                if kind < 8 {
                    outstanding[kind] = false;
                }
                if kind == 4 {
                    run.counters
                        .push((counters_asked[run.counters.len()], tally));
                }
            }
        }
        if uut.link_valid.val() && uut.link_ready.val() {
            run.wire.push(uut.link_data.val().index() as u8);
            quiet = 0;
        } else {
            quiet += 1;
        }
        if uut.rx.report_valid.val() {
            let (reason, class) = (
                uut.rx.report_reason.val().index() as u64,
                uut.rx.report_class.val().index() as u64,
            );
            tally[slot(reason, class)] += 1;
            let frame = &frames[reports];
            let want = expect(reports + 1, frame, &BOARD, true);
            let arp = &frame[14..];
            if (reason, class) == (0, 0)
                && frame[12..14] == [0x08, 0x06]
                && (arp[6..8] == [0, 1] || arp[6..8] == [0, 2])
                && arp[24..28] == BOARD.ip
            {
                arp_learned = Some(Message::ArpReply {
                    ip: arp[14..18].try_into().unwrap(),
                    mac: arp[8..14].try_into().unwrap(),
                });
            }
            reports += 1;
            match (reason, want.segment) {
                (0, Some(s)) => run.segments.push(s),
                (21, Some(_)) => run.frames_full += 1,
                (reason, s) => assert_eq!(
                    (reason == 0, s.is_some()),
                    (want.report.verdict == "accept", false),
                    "frame {reports}: hardware reason {reason}, oracle {:?}",
                    want.report.drop_reason
                ),
            }
        }
        uut.clock.next = true.into();
        assert!(simulate(&mut uut, 200));
        clock += 1;
        assert!(clock < 3_000_000, "the link never drained");
    }
    assert_eq!(reports, frames.len(), "every frame reported");
    run
}

fn decoded(wire: &[u8]) -> Vec<Message> {
    assert_eq!(wire.last(), Some(&0), "the link ends with a delimiter");
    wire.split(|&b| b == 0)
        .filter(|f| !f.is_empty())
        .map(|f| decode_frame(f).expect("the host accepts every frame"))
        .collect()
}

#[test]
fn host_decodes_every_message_with_the_right_fields() {
    let run = run();
    let messages = decoded(&run.wire);
    println!(
        "{} clocks, {} link bytes, {} messages, {} segments forwarded, {} dropped as fifo_full",
        run.vectors.len(),
        run.wire.len(),
        messages.len(),
        run.segments.len(),
        run.frames_full
    );
    assert_eq!(messages.len(), run.sent.len());
    // Segments: every field and byte, in order.
    let segments: Vec<&Message> = messages
        .iter()
        .filter(|m| matches!(m, Message::RxTcp(_) | Message::RxUdp(_)))
        .collect();
    let want: Vec<Message> = run.segments.iter().map(rx_message).collect();
    assert_eq!(segments.len(), want.len());
    for (i, (got, want)) in segments.iter().zip(&want).enumerate() {
        assert_eq!(*got, want, "segment {i}");
    }
    assert!(want.len() >= 40, "too few segments to prove much");
    assert!(run.frames_full > 0, "the FIFO never filled");
    assert!(want.iter().any(
        |m| matches!(m, Message::RxTcp(t) if t.payload.len() >= 1000 && !t.options.is_empty())
    ));
    assert!(want.iter().any(|m| matches!(m, Message::RxUdp(_))));
    // Events: each kind's messages in the order of their pulses, values as given.
    for kind in [1u8, 5, 6] {
        let got: Vec<&Message> = messages.iter().filter(|m| m.kind() == kind).collect();
        let given: Vec<&Message> = run
            .events
            .iter()
            .map(|e| &e.message)
            .filter(|m| m.kind() == kind)
            .collect();
        assert_eq!(got, given, "messages of type {kind}");
        assert!(!given.is_empty(), "no event of type {kind} in the run");
    }
    // ArpReply: the senders of ARP frames for us, in order, each whole; those whose
    // frame found the latch busy are left out.
    let arp_sent = arp_sent(run, &messages);
    let got = messages.iter().filter(|m| m.kind() == 7).count();
    assert_eq!(
        arp_sent.len(),
        got,
        "every ArpReply is an ARP sender's, in order"
    );
    println!(
        "{got} of {} ARP frames for us reported",
        run.arp_events.len()
    );
    assert!(got >= 3 && 2 * got >= run.arp_events.len());
    // Counters: each value between the report tally when asked and when sent.
    let counters: Vec<&[u32; 32]> = messages
        .iter()
        .filter_map(|m| match m {
            Message::Counters(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(counters.len(), run.counters.len());
    assert!(counters.len() >= 2);
    for (got, (asked, sent)) in counters.iter().zip(&run.counters) {
        for slot in 0..32 {
            assert!(
                asked[slot] <= got[slot] && got[slot] <= sent[slot],
                "counter {slot}: {} not in {}..={}",
                got[slot],
                asked[slot],
                sent[slot]
            );
        }
    }
    assert_eq!(counters.last().unwrap(), &&run.counters.last().unwrap().1);
}

/// The ARP events whose ArpReply went out: `messages`' ArpReplies matched in order
/// with the candidates (a candidate left out is one whose frame found the latch busy).
fn arp_sent<'a>(run: &'a Run, messages: &[Message]) -> Vec<&'a Event> {
    let mut got = messages.iter().filter(|m| m.kind() == 7).peekable();
    let mut sent = vec![];
    for e in &run.arp_events {
        if got.peek() == Some(&&e.message) {
            got.next();
            sent.push(e);
        }
    }
    sent
}

/// An event's message follows the message in flight: at most one segment (the one
/// starting in the very clock of the pulse) goes out between the pulse and it.
#[test]
fn events_overtake_waiting_segments() {
    let run = run();
    let messages = decoded(&run.wire);
    for e in run.events.iter().chain(arp_sent(run, &messages)) {
        let kind = e.message.kind();
        let at = e.started
            + run.sent[e.started..]
                .iter()
                .position(|s| s.kind == kind)
                .expect("the event's message went out");
        let segments_between = run.sent[e.started..at]
            .iter()
            .filter(|s| s.kind == 2 || s.kind == 3)
            .count();
        assert!(
            segments_between <= 1,
            "{segments_between} segments went out between the pulse at clock {} and its message",
            e.clock
        );
        assert!(run.sent[at].clock > e.clock);
    }
}

/// The generated Verilog of LinkTx passes yosys's check and gives the Rust outputs on
/// every clock of the run above.
#[test]
fn link_tx_verilog_matches_rust() {
    let run = run();
    let report =
        check_block(board_link_tx, &run.vectors).unwrap_or_else(|e| panic!("link_tx: {e:#}"));
    println!("link_tx: {report}");
}
