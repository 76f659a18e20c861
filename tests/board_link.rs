//! The board link end to end, through the whole simulated board design (BoardCore:
//! receive pipeline, link framer, host-frame decoder): frames injected on the board's
//! Ethernet side reach the host as RxTcp / RxUdp messages equal to what an independent
//! parser (etherparse, through tests/support) says they carry; Config, GetCounters and
//! Hello work; bytes flipped on the link in either direction are caught by the CRC and
//! counted, and the next message arrives intact; a slow link drops whole segments
//! (counted as fifo_full) and never wedges; a session at either rate, the link paced as
//! the board's UART runs it, switches without losing or damaging a byte, and a host
//! that does not follow the switch hears nothing.

mod support;

use std::time::Duration;
use support::*;
use tcpip_fpga::host::link::message::{
    named_counters, Config as LinkConfig, LinkRate, Message, RxTcp, RxUdp,
};
use tcpip_fpga::host::link::{Link, SimLink};
use tcpip_fpga::host::netstack::{Session, SessionConfig};
use tcpip_fpga::host::tcp::Time;
use tcpip_fpga::sim::backend::Backend;
use tcpip_fpga::sim::board::{DEFAULT_IP, DEFAULT_MAC};
use tcpip_fpga::sim::report::DropReason;

fn board() -> SimLink {
    let backend = Backend::from_env().expect("TCPIP_BACKEND");
    SimLink::new(backend).expect("virtual board")
}

/// Every message the board sends until it is idle.
fn drain(link: &mut SimLink) -> Vec<Message> {
    let mut out = vec![];
    while let Some(m) = link.recv(Duration::ZERO).unwrap() {
        out.push(m);
    }
    out
}

fn configure(link: &mut SimLink, config: &Config) {
    link.send(&Message::Config(LinkConfig {
        mac: config.mac,
        ip: config.ip,
        netmask: [255, 255, 255, 0],
        promiscuous: config.promiscuous,
        link_rate: Default::default(),
    }))
    .unwrap();
}

fn hello_of(msgs: &[Message]) -> Vec<([u8; 6], [u8; 4])> {
    msgs.iter()
        .filter_map(|m| match m {
            Message::Hello(h) => Some((h.mac, h.ip)),
            _ => None,
        })
        .collect()
}

fn counters(link: &mut SimLink) -> Vec<(&'static str, u32)> {
    link.send(&Message::GetCounters).unwrap();
    let values = drain(link)
        .into_iter()
        .find_map(|m| match m {
            Message::Counters(v) => Some(v),
            _ => None,
        })
        .expect("no Counters answer");
    named_counters(&values)
}

fn counter(named: &[(&'static str, u32)], name: &str) -> u32 {
    named
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("no counter {name}"))
}

/// The RxTcp / RxUdp message the host should get for an accepted segment.
fn message_for(seg: &ExpectedSegment) -> Message {
    if seg.protocol == 6 {
        let options_len = seg.header_len as usize - 20;
        Message::RxTcp(RxTcp {
            src_mac: seg.src_mac,
            src_ip: seg.src_ip,
            src_port: seg.src_port,
            dst_port: seg.dst_port,
            seq: seg.seq,
            ack: seg.ack,
            flags: seg.flags,
            window: seg.window,
            mss: seg.mss.unwrap_or(0),
            window_scale: seg.window_scale.unwrap_or(0xFF),
            option_flags: seg.sack_permitted as u8 | (seg.timestamps.is_some() as u8) << 1,
            options: seg.body[..options_len].to_vec(),
            payload: seg.body[options_len..].to_vec(),
        })
    } else {
        Message::RxUdp(RxUdp {
            src_mac: seg.src_mac,
            src_ip: seg.src_ip,
            dst_ip: seg.dst_ip,
            src_port: seg.src_port,
            dst_port: seg.dst_port,
            payload: seg.body.clone(),
        })
    }
}

#[test]
fn hello_at_power_up_and_after_config() {
    let mut link = board();
    let first = drain(&mut link);
    assert_eq!(hello_of(&first), vec![(DEFAULT_MAC, DEFAULT_IP)]);
    // Link version 2: the receive FIFO the board really has, for the host's windows.
    let Some(Message::Hello(h)) = first.iter().find(|m| matches!(m, Message::Hello(_))) else {
        unreachable!()
    };
    assert_eq!(h.version, tcpip_fpga::host::link::message::LINK_VERSION);
    assert_eq!(h.rx_fifo_bytes, 4096);
    assert_eq!(h.rx_record_overhead, 35);
    configure(&mut link, &BOARD);
    assert_eq!(hello_of(&drain(&mut link)), vec![(BOARD.mac, BOARD.ip)]);
}

#[test]
fn injected_frames_arrive_as_rx_messages_with_their_fields() {
    let mut link = board();
    drain(&mut link);
    configure(&mut link, &BOARD);
    drain(&mut link);
    let mut gen = FrameGen::new(0x5eed, BOARD);
    let mut want = vec![];
    let mut reports = vec![];
    for n in 0..300 {
        let frame = gen.frame();
        let expected = expect(n + 1, &frame, &BOARD, true);
        if let Some(seg) = &expected.segment {
            want.push(message_for(seg));
        }
        reports.push(expected.report);
        link.board().push_frame(&frame);
        // Give the link time to drain, so nothing is dropped for lack of room here
        // (the slow-link test below drops on purpose).
        link.board().run_until_idle(1_000_000);
    }
    let got: Vec<Message> = drain(&mut link)
        .into_iter()
        .filter(|m| matches!(m, Message::RxTcp(_) | Message::RxUdp(_)))
        .collect();
    assert!(
        want.len() > 100,
        "the generator made too few segments to mean much"
    );
    assert_eq!(got.len(), want.len(), "segments delivered");
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "segment {k}");
    }
    // The counters agree with the oracle's verdicts.
    let named = counters(&mut link);
    let tcp = want
        .iter()
        .filter(|m| matches!(m, Message::RxTcp(_)))
        .count() as u32;
    let udp = want.len() as u32 - tcp;
    assert_eq!(counter(&named, "accepted_tcp"), tcp);
    assert_eq!(counter(&named, "accepted_udp"), udp);
    let dropped = reports.iter().filter(|r| r.verdict == "drop").count() as u32;
    let reasons: Vec<&str> = DropReason::ALL.iter().map(|r| r.name()).collect();
    let counted: u32 = named
        .iter()
        .filter(|(n, _)| reasons.contains(n))
        .map(|(_, v)| *v)
        .sum();
    assert_eq!(counted, dropped, "drops counted under their reasons");
}

#[test]
fn flipped_bytes_toward_the_host_are_caught_and_the_next_message_is_intact() {
    let mut link = board();
    drain(&mut link);
    let mut gen = FrameGen::new(
        9,
        Config {
            mac: DEFAULT_MAC,
            ip: DEFAULT_IP,
            netmask: [255, 255, 255, 0],
            promiscuous: false,
        },
    );
    let mut decoder = tcpip_fpga::host::link::Decoder::new();
    let mut delivered = 0;
    for round in 0..20 {
        let built = gen.tcp_to_us(Some(100 + round * 37));
        link.board().push_frame(&built.bytes);
        link.board().push_frame(&gen.tcp_to_us(Some(50)).bytes);
        link.board().run_until_idle(1_000_000);
        let mut bytes = link.board().read_link();
        // Flip one bit inside the first frame (before its delimiter), never making a
        // 0x00 (that would split it into two damaged frames).
        let end = bytes.iter().position(|&b| b == 0).unwrap();
        let mut at = end / 2;
        while bytes[at] == 1 << (round % 8) {
            at += 1;
        }
        bytes[at] ^= 1 << (round % 8);
        let msgs = decoder.feed(&bytes);
        assert_eq!(
            msgs.len(),
            1,
            "round {round}: the damaged frame is dropped, the next one kept"
        );
        assert!(matches!(&msgs[0], Message::RxTcp(m) if m.payload.len() == 50));
        delivered += 1;
    }
    assert_eq!(delivered, 20);
    assert_eq!(decoder.stats().dropped(), 20, "every damaged frame counted");
}

#[test]
fn flipped_bytes_toward_the_board_are_caught_and_the_next_message_is_intact() {
    let mut link = board();
    drain(&mut link);
    let config = board_config_message();
    let frame = tcpip_fpga::host::link::message::encode_frame(&config).unwrap();
    for k in 0..frame.len() - 1 {
        let mut bad = frame.clone();
        bad[k] ^= 0x10;
        if bad[k] == 0 {
            bad[k] = 0x01;
        }
        link.board().write_link(&bad);
        let msgs = drain(&mut link);
        // Not applied: no Hello with the new address; an Error instead (bad CRC or COBS).
        assert!(
            hello_of(&msgs).is_empty(),
            "byte {k}: a damaged Config was applied"
        );
        assert!(
            msgs.iter().any(|m| matches!(m, Message::Error { .. })),
            "byte {k}: no Error for a damaged frame: {msgs:?}"
        );
    }
    link.board().write_link(&frame);
    assert_eq!(hello_of(&drain(&mut link)), vec![(BOARD.mac, BOARD.ip)]);
    let named = counters(&mut link);
    assert!(counter(&named, "link_bad_frames") as usize >= frame.len() - 1);
}

#[test]
fn a_slow_link_drops_whole_segments_and_never_wedges() {
    let mut link = board();
    drain(&mut link);
    // The UART's pace: 4 Mbaud 8N1 at 100 MHz, ten times slower than the wire.
    link.board().set_link_pace(250);
    let config = Config {
        mac: DEFAULT_MAC,
        ip: DEFAULT_IP,
        netmask: [255, 255, 255, 0],
        promiscuous: false,
    };
    let mut gen = FrameGen::new(3, config);
    let mut payloads = vec![];
    for n in 0..60 {
        let built = gen.tcp_to_us(Some(1000));
        let seg = expect(n + 1, &built.bytes, &config, true)
            .segment
            .expect("a segment to us");
        payloads.push(seg.body[seg.header_len as usize - 20..].to_vec());
        link.board().push_frame(&built.bytes);
    }
    let got: Vec<RxTcp> = drain(&mut link)
        .into_iter()
        .filter_map(|m| match m {
            Message::RxTcp(m) => Some(m),
            _ => None,
        })
        .collect();
    let named = counters(&mut link);
    let dropped = counter(&named, "fifo_full");
    assert!(
        dropped > 0,
        "a line-rate burst into a 4 Mbaud link must overflow the FIFO"
    );
    assert_eq!(
        got.len() as u32 + dropped,
        60,
        "every segment delivered or counted"
    );
    // Whatever arrived is whole, in order, from the frames sent.
    let mut next = 0;
    for m in &got {
        let k = payloads[next..]
            .iter()
            .position(|p| *p == m.payload)
            .expect("a segment that was not sent, or out of order");
        next += k + 1;
    }
    // And the link still works.
    configure(&mut link, &BOARD);
    assert_eq!(hello_of(&drain(&mut link)), vec![(BOARD.mac, BOARD.ip)]);
}

/// A session at `rate` over the link paced as the board's UART runs it: Session::start
/// selects the rate (at 12 Mbaud: Config at 4, the switch, Config again at 12), then
/// segments both ways right after the switch arrive byte for byte, no byte is lost to
/// the ends running at different rates, no frame is damaged, and a full-size segment
/// takes the link's time at that rate. Returns the clocks per segment toward the host.
fn paced_session(rate: LinkRate) -> f64 {
    let backend = Backend::from_env().expect("TCPIP_BACKEND");
    let mut link = SimLink::paced(backend, true).unwrap();
    drain(&mut link);
    let mut cfg = SessionConfig::new(BOARD.mac, BOARD.ip, 24);
    cfg.link_rate = rate;
    let session = Session::start(cfg, &mut link, Duration::from_secs(5), Time::ZERO)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.hello().unwrap().ip, BOARD.ip);
    assert_eq!(link.board().link_fast(), rate == LinkRate::Mbaud12);
    drain(&mut link);
    // Board → host: full-size segments, one after the other.
    let mut gen = FrameGen::new(7, BOARD);
    let mut want = vec![];
    let start = link.board().cycles();
    for n in 0..8 {
        let built = gen.tcp_to_us(Some(1460));
        let seg = expect(n + 1, &built.bytes, &BOARD, true)
            .segment
            .expect("a segment to us");
        want.push(message_for(&seg));
        link.board().push_frame(&built.bytes);
        link.board().run_until_idle(10_000_000);
    }
    let per_segment = (link.board().cycles() - start) as f64 / 8.0;
    let got: Vec<Message> = drain(&mut link)
        .into_iter()
        .filter(|m| matches!(m, Message::RxTcp(_)))
        .collect();
    assert_eq!(got, want, "segments toward the host at {rate:?}");
    // Host → board: full-size segments out on the wire with their payloads.
    for k in 0..4 {
        link.send(&numbered_tx_tcp(k, [10, 0, 0, 9], vec![], 1440))
            .unwrap();
        drain(&mut link);
    }
    let frames = link.board().take_frames();
    assert_eq!(frames.len(), 4);
    for f in &frames {
        assert_eq!(
            &f[f.len() - 1440..],
            &(0..1440).map(|i| i as u8).collect::<Vec<_>>()[..]
        );
    }
    let named = counters(&mut link);
    assert_eq!(counter(&named, "link_bad_frames"), 0);
    assert_eq!(counter(&named, "link_bad_messages"), 0);
    assert_eq!(counter(&named, "tx_sent"), 4);
    assert_eq!(link.stats().dropped(), 0, "frames the host dropped");
    assert_eq!(
        link.board().link_garbled(),
        0,
        "bytes lost to a rate mismatch"
    );
    per_segment
}

#[test]
fn a_paced_session_at_4_and_at_12_mbaud_switches_without_losing_a_byte() {
    let slow = paced_session(LinkRate::Mbaud4);
    let fast = paced_session(LinkRate::Mbaud12);
    // A segment's 1,504 link bytes at 250 clocks each, or 83⅓. Not quite a third: the
    // wire, the first block's collection by the COBS encoder and the board's idle tail
    // (2,700 clocks) take as many clocks at either rate.
    let ratio = slow / fast;
    assert!(
        (2.7..=3.05).contains(&ratio),
        "4 Mbaud {slow}, 12 Mbaud {fast} clocks a segment"
    );
}

#[test]
fn a_host_that_does_not_follow_the_switch_hears_nothing() {
    let backend = Backend::from_env().expect("TCPIP_BACKEND");
    let mut link = SimLink::paced(backend, true).unwrap();
    drain(&mut link);
    let mut config = match board_config_message() {
        Message::Config(c) => c,
        _ => unreachable!(),
    };
    config.link_rate = LinkRate::Mbaud12;
    // Config selects 12 Mbaud, and the host stays at 4: the board's Hello is lost.
    link.send(&Message::Config(config.clone())).unwrap();
    assert!(hello_of(&drain(&mut link)).is_empty());
    assert!(link.board().link_fast());
    assert!(link.board().link_garbled() > 0);
    // Following the switch late, it is heard again.
    link.set_rate(LinkRate::Mbaud12).unwrap();
    link.send(&Message::Config(config)).unwrap();
    assert_eq!(hello_of(&drain(&mut link)), vec![(BOARD.mac, BOARD.ip)]);
}

/// Echo replies go out through the same staging as the host's requests: a ping before
/// and after a host TxUdp is answered on its own, and the host hears one TxDone, its
/// UDP request's, none for the replies; the counters tell replies from host frames.
#[test]
fn echo_replies_give_the_host_no_tx_done() {
    let mut link = board();
    drain(&mut link);
    let ping = |seq: u16| {
        let mut f = vec![];
        etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 0x77], DEFAULT_MAC)
            .ipv4([192, 0, 2, 77], DEFAULT_IP, 64)
            .icmpv4_echo_request(0x4242, seq)
            .write(&mut f, &[0x5A; 40])
            .unwrap();
        f
    };
    link.board().push_frame(&ping(1));
    link.board().run_until_idle(1_000_000);
    link.send(&Message::TxUdp(tcpip_fpga::host::link::message::TxUdp {
        tag: 0x0107,
        dst_mac: [2, 0, 0, 0, 0, 0x77],
        dst_ip: [192, 0, 2, 77],
        src_port: 7,
        dst_port: 4000,
        payload: b"from the host".to_vec(),
    }))
    .unwrap();
    link.board().run_until_idle(1_000_000);
    link.board().push_frame(&ping(2));
    link.board().run_until_idle(1_000_000);
    let done: Vec<u16> = drain(&mut link)
        .iter()
        .filter_map(|m| match m {
            Message::TxDone { tag } => Some(*tag),
            _ => None,
        })
        .collect();
    assert_eq!(done, vec![0x0107]);
    let frames = link.board().take_frames();
    assert_eq!(frames.len(), 3);
    let protocols: Vec<u8> = frames.iter().map(|f| f[23]).collect();
    assert_eq!(protocols, vec![1, 17, 1]);
    let named = counters(&mut link);
    assert_eq!(counter(&named, "tx_sent"), 1);
    assert_eq!(counter(&named, "replies_sent"), 2);
    assert_eq!(counter(&named, "replies_dropped"), 0);
}
