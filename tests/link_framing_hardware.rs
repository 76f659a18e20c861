//! The board's link framing (hardware) against the host's link codec (software): messages
//! go through `CrcAppend` and `CobsEncoder` as the board will send them, and the host's
//! `decode_frame` gets every one of them back, equal, while 0x00 appears on the link only
//! as the delimiter after each frame.

use rand::{rngs::StdRng, Rng, SeedableRng};
use rust_hdl::prelude::*;
use tcpip_fpga::hdl::board::cobs_encoder::CobsEncoder;
use tcpip_fpga::hdl::board::crc_append::CrcAppend;
use tcpip_fpga::hdl::tick;
use tcpip_fpga::host::link::cobs;
use tcpip_fpga::host::link::message::{decode_frame, Hello, Message, RxTcp};

/// Bytes with `last` flags through a block with the data/valid/last/ready in and
/// out_data/out_valid/out_ready out handshake; the consumer is always ready.
macro_rules! stream_through {
    ($uut:expr, $bytes:expr, $out:expr) => {{
        let bytes: &[(u8, bool)] = $bytes;
        $uut.connect_all();
        assert!(simulate(&mut $uut, 100));
        let mut next = 0;
        let mut idle = 0;
        while next < bytes.len() || idle < 2000 {
            let (b, last) = bytes.get(next).copied().unwrap_or((0, false));
            let offer = next < bytes.len();
            $uut.valid.next = offer;
            $uut.data.next = (b as u64).into();
            $uut.last.next = last;
            $uut.out_ready.next = true;
            assert!(simulate(&mut $uut, 100));
            let taken = offer && $uut.ready.val();
            if $uut.out_valid.val() {
                $out($uut.out_data.val().index() as u8, &$uut);
                idle = 0;
            } else if !offer {
                idle += 1;
            }
            tick!($uut);
            next += taken as usize;
        }
    }};
}

fn with_last(messages: &[Vec<u8>]) -> Vec<(u8, bool)> {
    messages
        .iter()
        .flat_map(|m| {
            m.iter()
                .enumerate()
                .map(move |(i, &b)| (b, i + 1 == m.len()))
        })
        .collect()
}

/// The link bytes the board sends for these raw messages (type | body).
fn frame_in_hardware(messages: &[Vec<u8>]) -> Vec<u8> {
    let mut with_crc = vec![];
    let mut crc = CrcAppend::default();
    stream_through!(crc, &with_last(messages), |b, uut: &CrcAppend| with_crc
        .push((b, uut.out_last.val())));
    let mut wire = vec![];
    let mut cobs = CobsEncoder::default();
    stream_through!(cobs, &with_crc, |b, _: &CobsEncoder| wire.push(b));
    wire
}

fn frames(wire: &[u8]) -> Vec<&[u8]> {
    assert_eq!(wire.last(), Some(&0), "the link ends with a delimiter");
    wire.split(|&b| b == 0).filter(|f| !f.is_empty()).collect()
}

#[test]
fn host_decodes_every_message_the_board_frames() {
    let mut rng = StdRng::seed_from_u64(5);
    let mut messages = vec![Message::Hello(Hello {
        version: 2,
        mac: [0x02, 0, 0, 0, 0, 0x02],
        ip: [192, 0, 2, 2],
        build_id: 0x0000_1200,
        rx_fifo_bytes: 2048,
        rx_record_overhead: 35,
    })];
    let mut counters = [0u32; 32];
    counters[1] = 7;
    counters[26] = 0x0100_0000;
    messages.push(Message::Counters(counters));
    for _ in 0..20 {
        let zeros = [0.0, 0.02, 0.5][rng.gen_range(0..3)];
        let payload = (0..rng.gen_range(0..=1460))
            .map(|_| {
                if rng.gen_bool(zeros) {
                    0
                } else {
                    rng.gen_range(1..=255)
                }
            })
            .collect();
        messages.push(Message::RxTcp(RxTcp {
            src_mac: rng.gen(),
            src_ip: rng.gen(),
            src_port: rng.gen(),
            dst_port: rng.gen(),
            seq: rng.gen(),
            ack: rng.gen(),
            flags: rng.gen_range(0..0x200),
            window: rng.gen(),
            mss: 0,
            window_scale: 0xFF,
            option_flags: 0,
            options: vec![],
            payload,
        }));
    }
    let raw: Vec<Vec<u8>> = messages
        .iter()
        .map(|m| {
            let mut bytes = vec![];
            m.encode_into(&mut bytes).unwrap();
            bytes
        })
        .collect();
    let wire = frame_in_hardware(&raw);
    let frames = frames(&wire);
    assert_eq!(frames.len(), messages.len());
    for (frame, message) in frames.iter().zip(&messages) {
        assert_eq!(
            &decode_frame(frame).expect("the host accepts the frame"),
            message
        );
    }
}

#[test]
fn host_cobs_decodes_what_the_hardware_encodes() {
    let mut rng = StdRng::seed_from_u64(11);
    let messages: Vec<Vec<u8>> = (0..60)
        .map(|_| {
            let len = rng.gen_range(1..1600);
            let zeros = [0.0, 0.01, 0.3][rng.gen_range(0..3)];
            (0..len)
                .map(|_| {
                    if rng.gen_bool(zeros) {
                        0
                    } else {
                        rng.gen_range(1..=255)
                    }
                })
                .collect()
        })
        .collect();
    let mut wire = vec![];
    let mut cobs_encoder = CobsEncoder::default();
    stream_through!(cobs_encoder, &with_last(&messages), |b, _: &CobsEncoder| {
        wire.push(b)
    });
    let frames = frames(&wire);
    assert_eq!(frames.len(), messages.len());
    for (frame, message) in frames.iter().zip(&messages) {
        assert_eq!(&cobs::decode(frame).expect("a valid COBS frame"), message);
    }
}
