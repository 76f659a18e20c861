//! The link codec: byte layouts pinned against hand-written frames, round trips of
//! every message type, the "decode never panics, re-encodes to the same bytes"
//! guarantee, and recovery from a corrupted stream.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use tcpip_host::link::cobs;
use tcpip_host::link::crc::crc32;
use tcpip_host::link::message::*;
use tcpip_host::link::{DecodeError, Decoder, FrameError, Message};

// ---------------------------------------------------------------- strategies

/// Payloads that stress COBS: random, zero-heavy, long non-zero runs, empty, full.
fn payload(max: usize) -> BoxedStrategy<Vec<u8>> {
    let mut s = vec![
        vec(any::<u8>(), 0..=max.min(200)).boxed(),
        vec(prop_oneof![Just(0u8), any::<u8>()], 0..=max.min(64)).boxed(),
        Just(Vec::new()).boxed(),
        vec(any::<u8>(), max..=max).boxed(),
        vec(1u8..=255, max..=max).boxed(),
    ];
    if max >= 254 {
        // Runs of 254 and more non-zero bytes: exactly a full COBS block, and beyond.
        s.push(vec(1u8..=255, 254..=max).boxed());
    }
    proptest::strategy::Union::new(s).boxed()
}

/// TCP options (a multiple of 4, at most 40) and a payload that fit one segment.
fn tcp_body() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    (0usize..=10).prop_flat_map(|words| {
        (
            vec(any::<u8>(), words * 4),
            payload(MAX_TCP_SEGMENT - words * 4),
        )
    })
}

fn rx_tcp() -> impl Strategy<Value = Message> {
    (
        (
            any::<[u8; 6]>(),
            any::<[u8; 4]>(),
            any::<u16>(),
            any::<u16>(),
        ),
        (any::<u32>(), any::<u32>(), 0u16..0x200, any::<u16>()),
        (any::<u16>(), any::<u8>(), any::<u8>()),
        tcp_body(),
    )
        .prop_map(
            |(
                (src_mac, src_ip, src_port, dst_port),
                (seq, ack, flags, window),
                (mss, window_scale, option_flags),
                (options, payload),
            )| {
                Message::RxTcp(RxTcp {
                    src_mac,
                    src_ip,
                    src_port,
                    dst_port,
                    seq,
                    ack,
                    flags,
                    window,
                    mss,
                    window_scale,
                    option_flags,
                    options,
                    payload,
                })
            },
        )
}

fn tx_tcp() -> impl Strategy<Value = Message> {
    (
        (
            any::<u16>(),
            any::<[u8; 6]>(),
            any::<[u8; 4]>(),
            any::<u16>(),
            any::<u16>(),
        ),
        (any::<u32>(), any::<u32>(), 0u16..0x200, any::<u16>()),
        tcp_body(),
    )
        .prop_map(
            |(
                (tag, dst_mac, dst_ip, src_port, dst_port),
                (seq, ack, flags, window),
                (options, payload),
            )| {
                Message::TxTcp(TxTcp {
                    tag,
                    dst_mac,
                    dst_ip,
                    src_port,
                    dst_port,
                    seq,
                    ack,
                    flags,
                    window,
                    options,
                    payload,
                })
            },
        )
}

fn board_to_host() -> impl Strategy<Value = Message> {
    prop_oneof![
        (
            any::<u8>(),
            any::<[u8; 6]>(),
            any::<[u8; 4]>(),
            any::<u32>(),
            any::<u16>(),
            any::<u8>()
        )
            .prop_map(
                |(version, mac, ip, build_id, rx_fifo_bytes, rx_record_overhead)| {
                    // A version 1 Hello has no FIFO fields.
                    let v1 = version == 1;
                    Message::Hello(Hello {
                        version,
                        mac,
                        ip,
                        build_id,
                        rx_fifo_bytes: if v1 { 0 } else { rx_fifo_bytes },
                        rx_record_overhead: if v1 { 0 } else { rx_record_overhead },
                    })
                }
            ),
        rx_tcp(),
        (
            (any::<[u8; 6]>(), any::<[u8; 4]>(), any::<[u8; 4]>()),
            (any::<u16>(), any::<u16>()),
            payload(MAX_UDP_PAYLOAD)
        )
            .prop_map(
                |((src_mac, src_ip, dst_ip), (src_port, dst_port), payload)| {
                    Message::RxUdp(RxUdp {
                        src_mac,
                        src_ip,
                        dst_ip,
                        src_port,
                        dst_port,
                        payload,
                    })
                }
            ),
        (
            (any::<[u8; 6]>(), any::<[u8; 4]>(), any::<[u8; 4]>()),
            any::<[u8; 4]>(),
            payload(MAX_RX_ICMP_MESSAGE - 4)
        )
            .prop_map(|((src_mac, src_ip, dst_ip), head, rest)| {
                let message = [&head[..], &rest].concat();
                Message::RxIcmp(RxIcmp {
                    src_mac,
                    src_ip,
                    dst_ip,
                    message,
                })
            }),
        any::<[u32; 32]>().prop_map(Message::Counters),
        any::<u16>().prop_map(|tag| Message::TxDone { tag }),
        any::<u8>().prop_map(|c| Message::Error {
            code: ErrorCode::from_u8(c)
        }),
        (any::<[u8; 4]>(), any::<[u8; 6]>()).prop_map(|(ip, mac)| Message::ArpReply { ip, mac }),
    ]
}

fn host_to_board() -> impl Strategy<Value = Message> {
    prop_oneof![
        (
            any::<[u8; 6]>(),
            any::<[u8; 4]>(),
            any::<[u8; 4]>(),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(
                |(mac, ip, netmask, promiscuous, fast)| Message::Config(Config {
                    mac,
                    ip,
                    netmask,
                    promiscuous,
                    link_rate: if fast {
                        LinkRate::Mbaud12
                    } else {
                        LinkRate::Mbaud4
                    },
                })
            ),
        tx_tcp(),
        (
            (any::<u16>(), any::<[u8; 6]>(), any::<[u8; 4]>()),
            (any::<u16>(), any::<u16>()),
            payload(MAX_UDP_PAYLOAD)
        )
            .prop_map(|((tag, dst_mac, dst_ip), (src_port, dst_port), payload)| {
                Message::TxUdp(TxUdp {
                    tag,
                    dst_mac,
                    dst_ip,
                    src_port,
                    dst_port,
                    payload,
                })
            }),
        any::<[u8; 4]>().prop_map(|ip| Message::ArpRequest { ip }),
        Just(Message::GetCounters),
        (
            (any::<u16>(), any::<[u8; 6]>(), any::<[u8; 4]>()),
            payload(MAX_ICMP_MESSAGE)
        )
            .prop_map(|((tag, dst_mac, dst_ip), message)| {
                Message::TxIcmp(TxIcmp {
                    tag,
                    dst_mac,
                    dst_ip,
                    message,
                })
            }),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![board_to_host(), host_to_board()]
}

/// Feeds `stream` to a fresh decoder in chunks of the given sizes (cycled).
fn decode_in_chunks(stream: &[u8], chunks: &[usize]) -> (Vec<Message>, Decoder) {
    let mut d = Decoder::new();
    let mut out = Vec::new();
    let mut rest = stream;
    for &n in chunks.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (now, later) = rest.split_at(n.min(rest.len()));
        d.feed_into(now, &mut out);
        rest = later;
    }
    (out, d)
}

fn is_subsequence(sub: &[Message], of: &[Message]) -> bool {
    let mut it = of.iter();
    sub.iter().all(|m| it.any(|o| o == m))
}

// ---------------------------------------------------------------- properties

proptest! {
    // No regression files: failures print their minimal input instead.
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Every message type survives encode → frame → streaming decode unchanged, its
    /// frame holds no 0x00 but the delimiter, and it fits the decoder's bound.
    #[test]
    fn round_trip(msg in message(), chunks in vec(1usize..400, 1..8)) {
        let bytes = msg.encode().unwrap();
        prop_assert_eq!(Message::decode(&bytes).unwrap(), msg.clone());

        let frame = encode_frame(&msg).unwrap();
        prop_assert_eq!(frame.iter().position(|&b| b == 0), Some(frame.len() - 1));
        prop_assert!(frame.len() <= MAX_FRAME_LEN);
        let (got, d) = decode_in_chunks(&frame, &chunks);
        prop_assert_eq!(got, vec![msg]);
        prop_assert_eq!(d.stats().frames_ok, 1);
    }

    /// Whatever the bytes, `decode` returns (never panics), and whatever it accepts
    /// re-encodes to exactly those bytes. Bodies have the lengths real types use, so a
    /// good share of the inputs decode.
    #[test]
    fn decode_accepts_only_what_reencodes_identically(
        kind in prop::sample::select(vec![0x00u8, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                          0x08, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
                                          0xFF]),
        body in prop_oneof![
            vec(any::<u8>(), 0..200),
            prop::sample::select(vec![0usize, 1, 2, 4, 10, 15, 16, 18, 29, 32, 33, 60, 128])
                .prop_flat_map(|n| vec(any::<u8>(), n..=n)),
            // RxTcp with a sane protocol and header length, so option/payload splits run.
            (0u8..=10, vec(any::<u8>(), 30..120)).prop_map(|(w, rest)| {
                let mut b = vec![6u8, 20 + 4 * w];
                b.extend(rest);
                b
            }),
        ],
    ) {
        let mut bytes = vec![kind];
        bytes.extend(&body);
        if let Ok(msg) = Message::decode(&bytes) {
            prop_assert_eq!(msg.encode().unwrap(), bytes);
        }
    }

    /// Arbitrary frames never panic the frame decoder, and anything it accepts is a
    /// frame our encoder would produce for that message (CRC included).
    #[test]
    fn decode_frame_total(frame in vec(1u8..=255, 0..300)) {
        if let Ok(msg) = decode_frame(&frame) {
            let mut again = encode_frame(&msg).unwrap();
            again.pop();
            prop_assert_eq!(cobs::decode(&again).unwrap(), cobs::decode(&frame).unwrap());
        }
    }

    /// Corrupt a stream of frames (bit flips, dropped bytes, inserted garbage, anywhere,
    /// delimiters included). The decoder yields only messages that were sent, in order,
    /// and every frame the corruption did not reach arrives intact: a frame is lost
    /// only if its own bytes were hit, or the delimiter in front of it.
    #[test]
    fn corruption_loses_only_the_frames_it_touches(
        msgs in vec(message(), 2..8),
        ops in vec((0u8..3, any::<Index>(), any::<u8>(), 0u8..8), 1..5),
        chunks in vec(1usize..600, 1..8),
    ) {
        // The stream as (byte, frame number, is delimiter).
        let mut stream: Vec<(u8, usize, bool)> = Vec::new();
        for (i, m) in msgs.iter().enumerate() {
            let f = encode_frame(m).unwrap();
            let last = f.len() - 1;
            stream.extend(f.into_iter().enumerate().map(|(j, b)| (b, i, j == last)));
        }
        let mut ruined = vec![false; msgs.len() + 1];
        for (op, at, byte, bit) in ops {
            let i = at.index(stream.len());
            let (_, frame, delimiter) = stream[i];
            ruined[frame] = true;
            // Hitting a delimiter merges this frame with the next one.
            ruined[frame + 1] |= delimiter;
            match op {
                0 => stream[i].0 ^= 1 << bit,
                1 => { stream.remove(i); }
                _ => stream.insert(i, (byte, frame, false)),
            }
            if stream.is_empty() {
                break;
            }
        }
        let mut bytes: Vec<u8> = stream.iter().map(|e| e.0).collect();
        // Later traffic would end a last frame whose delimiter was hit; so does a 0x00.
        bytes.push(0);
        let (got, d) = decode_in_chunks(&bytes, &chunks);

        prop_assert!(is_subsequence(&got, &msgs), "a message that was not sent: {:?}", got);
        let must_arrive: Vec<Message> = msgs
            .iter()
            .enumerate()
            .filter(|(i, _)| !ruined[*i])
            .map(|(_, m)| m.clone())
            .collect();
        prop_assert!(is_subsequence(&must_arrive, &got), "lost an untouched frame");
        if got.len() < msgs.len() {
            prop_assert!(d.stats().dropped() > 0, "a frame vanished without being counted");
        }
    }
}

// ---------------------------------------------------------------- fixed cases

fn raw_frame(content: &[u8]) -> Vec<u8> {
    let mut raw = content.to_vec();
    raw.extend_from_slice(&crc32(content).to_le_bytes());
    let mut f = cobs::encode(&raw);
    f.push(0);
    f
}

/// The byte layouts are the contract with the hardware framer: pin them against
/// frames written out by hand from the table in the module doc.
#[test]
fn layouts_match_the_contract() {
    let hello = Message::Hello(Hello {
        version: 2,
        mac: [0x02, 0, 0, 0, 0, 0x01],
        ip: [192, 168, 1, 2],
        build_id: 0x1234_5678,
        rx_fifo_bytes: 2048,
        rx_record_overhead: 35,
    });
    let want = [
        0x01, 2, 0x02, 0, 0, 0, 0, 0x01, 192, 168, 1, 2, 0x78, 0x56, 0x34, 0x12, 0x00, 0x08, 35,
    ];
    assert_eq!(hello.encode().unwrap(), want);
    assert_eq!(encode_frame(&hello).unwrap(), raw_frame(&want));
    // A version 1 board's Hello (no FIFO fields) still decodes, so the host can name
    // the version it speaks; version 2's length is refused for it and vice versa.
    let v1 = [
        0x01, 1, 0x02, 0, 0, 0, 0, 0x01, 192, 168, 1, 2, 0x78, 0x56, 0x34, 0x12,
    ];
    let old = Message::decode(&v1).unwrap();
    assert_eq!(
        old,
        Message::Hello(Hello {
            version: 1,
            mac: [0x02, 0, 0, 0, 0, 0x01],
            ip: [192, 168, 1, 2],
            build_id: 0x1234_5678,
            rx_fifo_bytes: 0,
            rx_record_overhead: 0,
        })
    );
    assert_eq!(old.encode().unwrap(), v1);
    assert!(Message::decode(&want[..16]).is_err());
    let mut v1_long = v1.to_vec();
    v1_long.extend([0, 8, 35]);
    assert!(Message::decode(&v1_long).is_err());

    let rx = Message::RxTcp(RxTcp {
        src_mac: [0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF],
        src_ip: [10, 0, 0, 1],
        src_port: 0x1234,
        dst_port: 80,
        seq: 0x0102_0304,
        ack: 0xA0B0_C0D0,
        flags: tcp_flags::SYN | tcp_flags::ACK,
        window: 0xFFFF,
        mss: 1460,
        window_scale: 7,
        option_flags: option_flags::SACK_PERMITTED,
        options: vec![2, 4, 0x05, 0xB4],
        payload: b"hi".to_vec(),
    });
    #[rustfmt::skip]
    let want = [
        0x02, 6, 24,
        0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 10, 0, 0, 1,
        0x34, 0x12, 80, 0,
        0x04, 0x03, 0x02, 0x01, 0xD0, 0xC0, 0xB0, 0xA0,
        0x12, 0x00, 0xFF, 0xFF, 0xB4, 0x05, 7, 0x01,
        2, 4, 0x05, 0xB4, b'h', b'i',
    ];
    assert_eq!(rx.encode().unwrap(), want);
    assert_eq!(want.len(), 1 + 32 + 4 + 2);

    let tx = Message::TxTcp(TxTcp {
        tag: 0xBEEF,
        dst_mac: [1, 2, 3, 4, 5, 6],
        dst_ip: [10, 0, 0, 2],
        src_port: 80,
        dst_port: 0x1234,
        seq: 1,
        ack: 2,
        flags: tcp_flags::FIN | tcp_flags::ACK | tcp_flags::NS,
        window: 512,
        options: vec![1, 1, 1, 0],
        payload: vec![0],
    });
    #[rustfmt::skip]
    let want = [
        0x82, 0xEF, 0xBE, 1, 2, 3, 4, 5, 6, 10, 0, 0, 2,
        80, 0, 0x34, 0x12, 1, 0, 0, 0, 2, 0, 0, 0,
        0x11, 0x01, 0x00, 0x02, 4,
        1, 1, 1, 0, 0,
    ];
    assert_eq!(tx.encode().unwrap(), want);

    let small: [(Message, &[u8]); 10] = [
        (
            // The type and code, then the checksum, as little-endian words (as the
            // board writes them, where UDP's ports go), then the rest of the message.
            Message::RxIcmp(RxIcmp {
                src_mac: [1; 6],
                src_ip: [2; 4],
                dst_ip: [3; 4],
                message: vec![3, 4, 0xAB, 0xCD, 0, 0, 2, 0x40],
            }),
            &[
                0x08, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 3, 0xCD, 0xAB, 0, 0, 2, 0x40,
            ],
        ),
        (
            Message::RxUdp(RxUdp {
                src_mac: [1; 6],
                src_ip: [2; 4],
                dst_ip: [3; 4],
                src_port: 0x0102,
                dst_port: 53,
                payload: vec![9],
            }),
            &[
                0x03, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 0x02, 0x01, 53, 0, 9,
            ],
        ),
        (Message::TxDone { tag: 0x0102 }, &[0x05, 0x02, 0x01]),
        (
            Message::Error {
                code: ErrorCode::TransmitBusy,
            },
            &[0x06, 5],
        ),
        (
            Message::ArpReply {
                ip: [10, 0, 0, 9],
                mac: [6, 5, 4, 3, 2, 1],
            },
            &[0x07, 10, 0, 0, 9, 6, 5, 4, 3, 2, 1],
        ),
        (
            Message::Config(Config {
                mac: [2, 0, 0, 0, 0, 1],
                ip: [10, 0, 0, 2],
                netmask: [255, 255, 255, 0],
                promiscuous: true,
                link_rate: LinkRate::Mbaud12,
            }),
            &[0x81, 2, 0, 0, 0, 0, 1, 10, 0, 0, 2, 255, 255, 255, 0, 1, 1],
        ),
        (
            Message::TxUdp(TxUdp {
                tag: 3,
                dst_mac: [7; 6],
                dst_ip: [8; 4],
                src_port: 1,
                dst_port: 2,
                payload: vec![],
            }),
            &[0x83, 3, 0, 7, 7, 7, 7, 7, 7, 8, 8, 8, 8, 1, 0, 2, 0],
        ),
        (
            Message::ArpRequest { ip: [10, 0, 0, 1] },
            &[0x84, 10, 0, 0, 1],
        ),
        (Message::GetCounters, &[0x85]),
        (
            Message::TxIcmp(TxIcmp {
                tag: 0x0403,
                dst_mac: [7; 6],
                dst_ip: [8; 4],
                message: vec![3, 3, 0xAB, 0xCD],
            }),
            &[0x86, 3, 4, 7, 7, 7, 7, 7, 7, 8, 8, 8, 8, 3, 3, 0xAB, 0xCD],
        ),
    ];
    for (msg, want) in small {
        assert_eq!(msg.encode().unwrap(), want, "{msg:?}");
        assert_eq!(Message::decode(want).unwrap(), msg);
    }

    let mut counters = [0u32; 32];
    counters[1] = 0x0A0B_0C0D;
    counters[31] = 7;
    let bytes = Message::Counters(counters).encode().unwrap();
    assert_eq!(bytes.len(), 129);
    assert_eq!(&bytes[..1], &[0x04]);
    assert_eq!(&bytes[5..9], &[0x0D, 0x0C, 0x0B, 0x0A]);
    assert_eq!(&bytes[125..], &[7, 0, 0, 0]);
}

#[test]
fn malformed_messages_get_typed_errors() {
    assert_eq!(Message::decode(&[]), Err(DecodeError::Empty));
    assert_eq!(
        Message::decode(&[0x42]),
        Err(DecodeError::UnknownType(0x42))
    );
    assert_eq!(
        Message::decode(&[0x01; 15]),
        Err(DecodeError::BadLength {
            kind: 0x01,
            len: 14
        })
    );
    assert_eq!(
        Message::decode(&[0x85, 0]),
        Err(DecodeError::BadLength { kind: 0x85, len: 1 })
    );
    // RxTcp: not TCP, a header length that is not a word multiple, options missing.
    let mut rx = vec![0x02, 6, 20];
    rx.extend([0u8; 30]);
    assert!(Message::decode(&rx).is_ok());
    rx[1] = 17;
    assert_eq!(
        Message::decode(&rx),
        Err(DecodeError::BadField {
            kind: 0x02,
            field: "protocol"
        })
    );
    rx[1] = 6;
    rx[2] = 22;
    assert_eq!(
        Message::decode(&rx),
        Err(DecodeError::BadField {
            kind: 0x02,
            field: "header_len"
        })
    );
    rx[2] = 60;
    assert_eq!(
        Message::decode(&rx),
        Err(DecodeError::BadLength {
            kind: 0x02,
            len: 32
        })
    );
    // TxTcp: options_len beyond 40.
    let mut tx = vec![0x82];
    tx.extend([0u8; 28]);
    tx.push(44);
    assert_eq!(
        Message::decode(&tx),
        Err(DecodeError::BadField {
            kind: 0x82,
            field: "options_len"
        })
    );
    // A segment larger than the MTU allows, both ways.
    let mut big = vec![0x83];
    big.extend(vec![0u8; 16 + MAX_UDP_PAYLOAD + 1]);
    assert!(matches!(
        Message::decode(&big),
        Err(DecodeError::BadLength { kind: 0x83, .. })
    ));
    let too_big = Message::TxUdp(TxUdp {
        tag: 0,
        dst_mac: [0; 6],
        dst_ip: [0; 4],
        src_port: 0,
        dst_port: 0,
        payload: vec![0; MAX_UDP_PAYLOAD + 1],
    });
    assert!(too_big.encode().is_err());
    assert!(encode_frame(&too_big).is_err());
    // An ICMP message longer than an IPv4 packet holds, both ways; the fixed part cut.
    let mut big = vec![0x86];
    big.extend(vec![0u8; 12 + MAX_ICMP_MESSAGE + 1]);
    assert!(matches!(
        Message::decode(&big),
        Err(DecodeError::BadLength { kind: 0x86, .. })
    ));
    assert!(Message::decode(&big[..1 + 12 + MAX_ICMP_MESSAGE]).is_ok());
    assert_eq!(
        Message::decode(&big[..12]),
        Err(DecodeError::BadLength {
            kind: 0x86,
            len: 11
        })
    );
    let too_big = Message::TxIcmp(TxIcmp {
        tag: 0,
        dst_mac: [0; 6],
        dst_ip: [0; 4],
        message: vec![0; MAX_ICMP_MESSAGE + 1],
    });
    assert!(too_big.encode().is_err());
    // Config's promiscuous flag is 0 or 1, and so is its link rate.
    let mut cfg = vec![0x81];
    cfg.extend([0u8; 14]);
    cfg.extend([2, 0]);
    assert_eq!(
        Message::decode(&cfg),
        Err(DecodeError::BadField {
            kind: 0x81,
            field: "promiscuous"
        })
    );
    cfg[15..].copy_from_slice(&[0, 2]);
    assert_eq!(
        Message::decode(&cfg),
        Err(DecodeError::BadField {
            kind: 0x81,
            field: "link_rate"
        })
    );
}

#[test]
fn bad_frames_are_counted_by_reason_and_the_next_frame_arrives() {
    let good = Message::TxDone { tag: 1 };
    let mut bad_crc = raw_frame(&[0x05, 1, 0]);
    bad_crc[2] ^= 0x40;
    let bad_cobs = vec![0x05, 0x11, 0]; // code byte runs past the end
    let short = raw_frame(&[])[..0]
        .iter()
        .copied()
        .chain([0x02, 0x11, 0])
        .collect::<Vec<_>>();
    let unknown = raw_frame(&[0x42, 1, 2]);
    let bad_len = raw_frame(&[0x05, 1]);
    let bad_field = raw_frame(&[0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0]);
    let mut stream = Vec::new();
    for f in [&bad_crc, &bad_cobs, &short, &unknown, &bad_len, &bad_field] {
        stream.extend(f);
        stream.extend(encode_frame(&good).unwrap());
    }
    let mut d = Decoder::new();
    assert_eq!(d.feed(&stream), vec![good; 6]);
    let s = d.stats();
    assert_eq!(
        (
            s.bad_crc,
            s.bad_cobs,
            s.too_short,
            s.unknown_type,
            s.bad_length,
            s.bad_field
        ),
        (1, 1, 1, 1, 1, 1)
    );
    assert_eq!((s.frames_ok, s.dropped(), s.oversize), (6, 6, 0));
    assert_eq!(
        d.last_error(),
        Some(FrameError::Message(DecodeError::BadField {
            kind: 0x81,
            field: "promiscuous"
        }))
    );
}

#[test]
fn max_size_messages_round_trip() {
    let full_tcp = Message::RxTcp(RxTcp {
        src_mac: [0xFF; 6],
        src_ip: [0xFF; 4],
        src_port: 0xFFFF,
        dst_port: 0xFFFF,
        seq: u32::MAX,
        ack: u32::MAX,
        flags: 0x1FF,
        window: 0xFFFF,
        mss: 0xFFFF,
        window_scale: 0xFF,
        option_flags: 0xFF,
        options: vec![0xFF; 40],
        payload: vec![0xFF; MAX_TCP_SEGMENT - 40],
    });
    let full_tx = Message::TxTcp(TxTcp {
        tag: 0,
        dst_mac: [0; 6],
        dst_ip: [0; 4],
        src_port: 0,
        dst_port: 0,
        seq: 0,
        ack: 0,
        flags: 0,
        window: 0,
        options: vec![0; 40],
        payload: vec![0; MAX_TCP_SEGMENT - 40],
    });
    let mut stream = Vec::new();
    for m in [&full_tcp, &full_tx] {
        let f = encode_frame(m).unwrap();
        assert!(f.len() <= MAX_FRAME_LEN, "{} > {MAX_FRAME_LEN}", f.len());
        stream.extend(f);
    }
    assert_eq!(MAX_MESSAGE_LEN, full_tcp.encode().unwrap().len());
    assert_eq!(Decoder::new().feed(&stream), vec![full_tcp, full_tx]);
}

/// The link's cost for bulk TCP: a full-size segment (1460 bytes, no options) takes
/// 1 type + 32 descriptor + 1460 + 4 CRC = 1497 bytes, 6 COBS code bytes and the
/// delimiter: 1504 bytes on the UART, whatever the payload bytes are.
#[test]
fn full_segment_efficiency() {
    for fill in [0x00u8, 0x5A, 0xFF] {
        let msg = Message::RxTcp(RxTcp {
            src_mac: [2, 0, 0, 0, 0, 1],
            src_ip: [10, 0, 0, 1],
            src_port: 40000,
            dst_port: 80,
            seq: 1,
            ack: 1,
            flags: tcp_flags::ACK,
            window: 64240,
            mss: 0,
            window_scale: 0xFF,
            option_flags: 0,
            options: vec![],
            payload: vec![fill; 1460],
        });
        let link_bytes = encode_frame(&msg).unwrap().len();
        assert!(link_bytes <= 1504, "fill {fill:#x}: {link_bytes} bytes");
        assert!(1460.0 / link_bytes as f64 >= 0.97);
    }
}

#[test]
fn counter_names_cover_the_drop_and_accept_slots() {
    let mut values = [0u32; 32];
    for (i, v) in values.iter_mut().enumerate() {
        *v = 1000 + i as u32;
    }
    let named = named_counters(&values);
    let slots = tcpip_sim::rx::counter_names();
    assert_eq!(named.len(), slots.len());
    for ((slot, name), (got_name, value)) in slots.iter().zip(&named) {
        assert_eq!((name, 1000 + *slot as u32), (got_name, *value));
    }
    assert!(named
        .iter()
        .any(|(n, v)| *n == "accepted_tcp" && *v == 1026));
}
