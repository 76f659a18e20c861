//! The board's link receiver (hardware, `HostRx`) against the host's link codec
//! (software): every message the host encodes with `encode_frame` comes out of the
//! hardware with every field and every payload byte equal; corrupted frames give error
//! 1 or 2 and never an action; truncated, overlong and unknown-type frames that carry a
//! good CRC give 4 and 3; a busy transmitter gives 5; and the frame after any of them
//! arrives intact.

use rand::{rngs::StdRng, Rng, SeedableRng};
use tcpip_fpga::hdl::board::host_rx::{
    line_rate_clocks, min_clocks_after, receive, receive_at_line_rate, HostRxEvent, TxRequest,
};
use tcpip_fpga::host::link::message::{
    encode_frame, Config, LinkRate, Message, TxIcmp, TxTcp, TxUdp,
};
use tcpip_fpga::host::link::{cobs, crc::crc32};

fn random_payload(rng: &mut StdRng, max: usize) -> Vec<u8> {
    let zeros = [0.0, 0.02, 0.5][rng.gen_range(0..3)];
    let len = if rng.gen_bool(0.2) {
        max
    } else {
        rng.gen_range(0..=max)
    };
    (0..len)
        .map(|_| if rng.gen_bool(zeros) { 0 } else { rng.gen() })
        .collect()
}

fn random_message(rng: &mut StdRng) -> Message {
    match rng.gen_range(0..6) {
        0 => Message::Config(Config {
            mac: rng.gen(),
            ip: rng.gen(),
            netmask: rng.gen(),
            promiscuous: rng.gen(),
            link_rate: if rng.gen() {
                LinkRate::Mbaud12
            } else {
                LinkRate::Mbaud4
            },
        }),
        1 => Message::GetCounters,
        2 => Message::ArpRequest { ip: rng.gen() },
        3 => {
            let options = random_payload(rng, 40);
            let options = options[..options.len() / 4 * 4].to_vec();
            let payload = random_payload(rng, 1480 - options.len());
            Message::TxTcp(TxTcp {
                tag: rng.gen(),
                dst_mac: rng.gen(),
                dst_ip: rng.gen(),
                src_port: rng.gen(),
                dst_port: rng.gen(),
                seq: rng.gen(),
                ack: rng.gen(),
                flags: rng.gen_range(0..0x200),
                window: rng.gen(),
                options,
                payload,
            })
        }
        4 => Message::TxIcmp(TxIcmp {
            tag: rng.gen(),
            dst_mac: rng.gen(),
            dst_ip: rng.gen(),
            message: random_payload(rng, 1480),
        }),
        _ => Message::TxUdp(TxUdp {
            tag: rng.gen(),
            dst_mac: rng.gen(),
            dst_ip: rng.gen(),
            src_port: rng.gen(),
            dst_port: rng.gen(),
            payload: random_payload(rng, 1472),
        }),
    }
}

/// Asserts that `events` are what the hardware must say for the good frame of `msg`:
/// one action, every field and byte equal.
fn assert_delivered(msg: &Message, events: &[HostRxEvent]) {
    assert_eq!(events.len(), 1, "one event for {msg:?}: {events:?}");
    let event = &events[0];
    match (msg, event) {
        (
            Message::Config(c),
            HostRxEvent::Config {
                mac,
                ip,
                netmask,
                promiscuous,
                fast,
            },
        ) => {
            assert_eq!((&c.mac, &c.ip, &c.netmask), (mac, ip, netmask));
            assert_eq!(c.promiscuous, *promiscuous);
            assert_eq!(c.link_rate == LinkRate::Mbaud12, *fast);
        }
        (Message::GetCounters, HostRxEvent::GetCounters) => {}
        (Message::ArpRequest { ip }, HostRxEvent::ArpRequest { ip: got }) => assert_eq!(ip, got),
        (Message::TxTcp(m), HostRxEvent::Tx(t)) => {
            assert!(t.keep && !t.is_udp && !t.is_icmp);
            assert_eq!(
                (t.tag, t.dst_mac, t.dst_ip, t.src_port, t.dst_port),
                (m.tag, m.dst_mac, m.dst_ip, m.src_port, m.dst_port)
            );
            assert_eq!(
                (t.seq, t.ack, t.flags, t.window),
                (m.seq, m.ack, m.flags, m.window)
            );
            assert_eq!(t.options_len as usize, m.options.len());
            assert_eq!(t.data, [&m.options[..], &m.payload[..]].concat());
        }
        (Message::TxUdp(m), HostRxEvent::Tx(t)) => {
            assert!(t.keep && t.is_udp && !t.is_icmp);
            assert_eq!(
                (t.tag, t.dst_mac, t.dst_ip, t.src_port, t.dst_port),
                (m.tag, m.dst_mac, m.dst_ip, m.src_port, m.dst_port)
            );
            assert_eq!(t.options_len, 0);
            assert_eq!(t.data, m.payload);
        }
        (Message::TxIcmp(m), HostRxEvent::Tx(t)) => {
            assert!(t.keep && t.is_icmp && !t.is_udp);
            assert_eq!((t.tag, t.dst_mac, t.dst_ip), (m.tag, m.dst_mac, m.dst_ip));
            assert_eq!(t.options_len, 0);
            assert_eq!(t.data, m.message);
        }
        _ => panic!("{msg:?} gave {event:?}"),
    }
}

/// The events up to and including the first action of each good frame: splits the
/// event list at the events a good frame causes, so `chunks[i]` ends with frame i's.
fn split_after_actions(events: &[HostRxEvent]) -> Vec<Vec<HostRxEvent>> {
    let mut chunks = vec![];
    let mut current = vec![];
    for e in events {
        current.push(e.clone());
        let action = match e {
            HostRxEvent::Error { .. } => false,
            HostRxEvent::Tx(t) => t.keep,
            _ => true,
        };
        if action {
            chunks.push(std::mem::take(&mut current));
        }
    }
    assert!(
        current.is_empty(),
        "events after the last action: {current:?}"
    );
    chunks
}

#[test]
fn every_message_the_host_encodes_arrives_with_every_field() {
    let mut rng = StdRng::seed_from_u64(41);
    let messages: Vec<Message> = (0..150).map(|_| random_message(&mut rng)).collect();
    let link: Vec<u8> = messages
        .iter()
        .flat_map(|m| encode_frame(m).unwrap())
        .collect();
    // Bytes as close as HostRx takes them (`min_clocks_after` the byte before), and at
    // an irregular pace (gaps of 0 to 12 clocks more).
    let gaps: Vec<usize> = (0..link.len())
        .map(|i| {
            let least = i.checked_sub(1).map_or(0, |p| min_clocks_after(link[p]));
            least + rng.gen_range(0..=12)
        })
        .collect();
    let at: Vec<usize> = gaps
        .iter()
        .scan(0, |t, g| {
            *t += g;
            Some(*t)
        })
        .collect();
    for events in [
        receive_at_line_rate(&link),
        receive(&link, |i| at[i], |_| false),
    ] {
        assert_eq!(events.len(), messages.len(), "one event per message");
        for (msg, event) in messages.iter().zip(&events) {
            assert_delivered(msg, std::slice::from_ref(event));
        }
    }
}

#[test]
fn flipped_bytes_give_crc_or_cobs_errors_and_the_next_frame_arrives() {
    let mut rng = StdRng::seed_from_u64(42);
    let mut link = vec![];
    let mut plan = vec![];
    for _ in 0..200 {
        let bad_msg = random_message(&mut rng);
        let mut bad = encode_frame(&bad_msg).unwrap();
        // Anywhere but the delimiter (losing it merges two frames: the next is lost).
        let at = rng.gen_range(0..bad.len() - 1);
        bad[at] ^= rng.gen_range(1..=255u8);
        let good = random_message(&mut rng);
        link.extend(bad);
        link.extend(encode_frame(&good).unwrap());
        plan.push(good);
    }
    let events = receive_at_line_rate(&link);
    let chunks = split_after_actions(&events);
    assert_eq!(chunks.len(), plan.len(), "every good frame acted on, once");
    for (good, chunk) in plan.iter().zip(&chunks) {
        let (before, last) = chunk.split_at(chunk.len() - 1);
        assert!(
            before
                .iter()
                .any(|e| matches!(e, HostRxEvent::Error { code: 1 | 2 })),
            "the corrupted frame before {good:?} was reported: {before:?}"
        );
        for e in before {
            match e {
                HostRxEvent::Error { code: 1 | 2 } => {}
                HostRxEvent::Tx(TxRequest { keep: false, .. }) => {}
                e => panic!("a corrupted frame caused {e:?}"),
            }
        }
        assert_delivered(good, last);
    }
}

/// COBS(raw | CRC LE) and 0x00: a frame with a good CRC around any bytes at all.
fn frame_raw(raw: &[u8]) -> Vec<u8> {
    let mut with_crc = raw.to_vec();
    with_crc.extend(crc32(raw).to_le_bytes());
    let mut f = cobs::encode(&with_crc);
    f.push(0);
    f
}

#[test]
fn wrong_lengths_and_unknown_types_with_good_crcs() {
    let mut rng = StdRng::seed_from_u64(43);
    for _ in 0..150 {
        let msg = random_message(&mut rng);
        let raw = msg.encode().unwrap();
        // Message lengths (type byte included): the fixed part, the shortest legal
        // message and the longest.
        let (fixed, min, max) = match &msg {
            Message::TxTcp(m) => (30, 30 + m.options.len(), 1510),
            Message::TxUdp(_) => (17, 17, 1489),
            Message::TxIcmp(_) => (13, 13, 1493),
            _ => (raw.len(), raw.len(), raw.len()),
        };
        let mut bad = raw.clone();
        let code = match rng.gen_range(0..3) {
            0 if min > 1 => {
                bad.truncate(rng.gen_range(1..min));
                4
            }
            0 | 1 => {
                bad.resize(max + rng.gen_range(1..=300), rng.gen());
                4
            }
            _ => {
                let unknown: Vec<u8> = (0..=255u8).filter(|t| !(0x81..=0x86).contains(t)).collect();
                bad[0] = unknown[rng.gen_range(0..unknown.len())];
                3
            }
        };
        let next = random_message(&mut rng);
        let mut link = frame_raw(&bad);
        link.extend(encode_frame(&next).unwrap());
        let events = receive_at_line_rate(&link);
        let (last, before) = events.split_last().unwrap();
        let what = format!("{msg:?} made {} bytes long", bad.len());
        match (&msg, code, before) {
            (
                Message::TxTcp(_) | Message::TxUdp(_) | Message::TxIcmp(_),
                4,
                [HostRxEvent::Tx(t), error],
            ) => {
                assert!(!t.keep, "{what}");
                // What came after the fixed part, never beyond the longest message.
                assert_eq!(
                    t.data,
                    bad[fixed.min(bad.len())..bad.len().min(max)],
                    "{what}"
                );
                assert_eq!(error, &HostRxEvent::Error { code: 4 }, "{what}");
            }
            (Message::TxTcp(_) | Message::TxUdp(_) | Message::TxIcmp(_), 4, _) => {
                panic!("{what}: {before:?}")
            }
            _ => assert_eq!(before, [HostRxEvent::Error { code }], "{what}"),
        }
        assert_delivered(&next, std::slice::from_ref(last));
    }
}

#[test]
fn a_busy_transmitter_gets_error_5_and_no_bytes() {
    let mut rng = StdRng::seed_from_u64(44);
    let mut link = vec![];
    let mut starts = vec![];
    let mut messages = vec![];
    while messages.len() < 40 {
        let m = random_message(&mut rng);
        if matches!(
            m,
            Message::TxTcp(_) | Message::TxUdp(_) | Message::TxIcmp(_)
        ) {
            starts.push(link.len());
            link.extend(encode_frame(&m).unwrap());
            messages.push(m);
        }
    }
    // Busy through every even-numbered message's first bytes (its type byte reaches
    // the dispatcher a few bytes after its first link byte), free otherwise.
    let at = line_rate_clocks(&link);
    let busy = |clock: usize| {
        starts
            .iter()
            .enumerate()
            .any(|(k, &s)| k % 2 == 0 && clock >= at[s] && clock < at[s + 12])
    };
    let events = receive_at_line_rate(&link);
    assert_eq!(events.len(), messages.len());
    let events = receive(&link, |i| at[i], busy);
    let mut k = 0;
    for (n, msg) in messages.iter().enumerate() {
        if n % 2 == 0 {
            match (&events[k], &events[k + 1]) {
                (HostRxEvent::Tx(t), HostRxEvent::Error { code: 5 }) => {
                    assert!(!t.keep && t.data.is_empty(), "{t:?}")
                }
                e => panic!("busy for {msg:?}, got {e:?}"),
            }
            k += 2;
        } else {
            assert_delivered(msg, &events[k..k + 1]);
            k += 1;
        }
    }
    assert_eq!(k, events.len());
}
