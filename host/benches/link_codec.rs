//! Link codec throughput (encode, decode, both) over a realistic mix of frames, and
//! the link's efficiency for bulk TCP: payload bytes per byte on the UART.

use criterion::{black_box, criterion_group, BenchmarkId, Criterion, Throughput};
use tcpip_host::link::message::*;
use tcpip_host::link::{Decoder, Message};

fn full_segment(payload: Vec<u8>) -> Message {
    Message::RxTcp(RxTcp {
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
        payload,
    })
}

fn ack(seq: u32) -> Message {
    Message::TxTcp(TxTcp {
        tag: seq as u16,
        dst_mac: [2, 0, 0, 0, 0, 9],
        dst_ip: [10, 0, 0, 9],
        src_port: 80,
        dst_port: 40000,
        seq,
        ack: seq.wrapping_mul(1460),
        flags: tcp_flags::ACK,
        window: 65535,
        options: vec![],
        payload: vec![],
    })
}

/// Bulk transfer as the link sees it: a full segment, then an ACK going back.
fn mix() -> Vec<Message> {
    let mut state = 0x1234_5678u32;
    (0..64)
        .flat_map(|i| {
            let payload = (0..1460)
                .map(|_| {
                    // xorshift: incompressible bytes, zeros included.
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state as u8
                })
                .collect();
            [full_segment(payload), ack(i)]
        })
        .collect()
}

fn print_efficiency() {
    for (what, fill) in [("non-zero payload", 0xA5u8), ("all-zero payload", 0x00)] {
        let frame = encode_frame(&full_segment(vec![fill; 1460])).unwrap();
        println!(
            "link efficiency, RxTcp with 1460 bytes ({what}), no options: 1460 / {} = {:.4}",
            frame.len(),
            1460.0 / frame.len() as f64
        );
    }
}

fn codec(c: &mut Criterion) {
    let msgs = mix();
    let mut stream = Vec::new();
    for m in &msgs {
        encode_frame_into(m, &mut stream).unwrap();
    }
    let mut group = c.benchmark_group("link_codec");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.bench_function(BenchmarkId::new("encode", "bulk mix"), |b| {
        let mut out = Vec::with_capacity(stream.len());
        b.iter(|| {
            out.clear();
            for m in &msgs {
                encode_frame_into(black_box(m), &mut out).unwrap();
            }
            out.len()
        })
    });
    group.bench_function(BenchmarkId::new("decode", "bulk mix"), |b| {
        b.iter(|| {
            let mut d = Decoder::new();
            let got = d.feed(black_box(&stream));
            assert_eq!(got.len(), msgs.len());
            got
        })
    });
    group.bench_function(BenchmarkId::new("encode+decode", "bulk mix"), |b| {
        let mut out = Vec::with_capacity(stream.len());
        b.iter(|| {
            out.clear();
            for m in &msgs {
                encode_frame_into(black_box(m), &mut out).unwrap();
            }
            Decoder::new().feed(&out)
        })
    });
    group.finish();
}

criterion_group!(benches, codec);

fn main() {
    print_efficiency();
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
