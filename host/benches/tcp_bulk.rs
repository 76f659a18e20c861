//! Bulk transfer benchmark: segments processed per second, our engine against smoltcp.
//!
//! Each iteration moves `BYTES` from one endpoint to another over a perfect in-memory
//! wire and counts every segment delivered (data and ACKs, both directions):
//!
//! - `ours/segments`: two of our stacks exchanging `Segment` values, as in production
//!   where the board's hardware parses and checksums the headers;
//! - `ours/ipv4_bytes`: the same, but every segment is emitted to IPv4+TCP bytes and
//!   parsed back with checksums, the work smoltcp must always do;
//! - `smoltcp`: two smoltcp 0.14 interfaces with one TCP socket each.
//!
//! Run: `cargo bench -p tcpip-host --bench tcp_bulk`. Criterion prints elements/s;
//! an element is one processed segment.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;
use tcpip_host::tcp::{Config, Segment, Stack, Time};

#[path = "../tests/tcp_harness/smol.rs"]
mod smol;

const BYTES: usize = 4 << 20;
const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];

/// Transfer with our engines; returns segments delivered.
fn ours(through_bytes: bool) -> u64 {
    let cfg = Config {
        rx_buffer: 128 * 1024,
        tx_buffer: 128 * 1024,
        ..Config::default()
    };
    let mut a = Stack::new(A, [1; 16], cfg);
    let mut b = Stack::new(B, [2; 16], cfg);
    let mut now = Time::ZERO;
    let l = b.listen(80, 1).unwrap();
    let sa = a.connect((B, 80), now).unwrap();
    let mut sb = None;
    let chunk = vec![0x5au8; 64 * 1024];
    let (mut sent, mut got) = (0usize, 0usize);
    let mut segments = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::new();
    while got < BYTES {
        if sent < BYTES {
            let n = (BYTES - sent).min(chunk.len());
            sent += a.send(sa, &chunk[..n]).unwrap_or(0);
        }
        if sb.is_none() {
            sb = b.accept(l).unwrap();
        }
        if let Some(s) = sb {
            loop {
                let n = b.recv(s, &mut buf).unwrap();
                if n == 0 {
                    break;
                }
                got += n;
            }
        }
        let mut moved = false;
        for from_a in [true, false] {
            out.clear();
            if from_a {
                a.poll_into(now, &mut out)
            } else {
                b.poll_into(now, &mut out)
            }
            for s in out.drain(..) {
                moved = true;
                segments += 1;
                let s = if through_bytes {
                    Segment::parse_ipv4(&s.emit_ipv4()).unwrap()
                } else {
                    s
                };
                if from_a {
                    b.receive(&s, now)
                } else {
                    a.receive(&s, now)
                }
            }
        }
        let _ = a.events();
        let _ = b.events();
        if !moved {
            let next = [a.poll_at(), b.poll_at()].into_iter().flatten().min();
            now = match next {
                Some(t) if t > now => t,
                _ => now + Duration::from_micros(100),
            };
        }
    }
    segments
}

/// The same transfer between two smoltcp sockets.
fn smoltcp() -> u64 {
    let mut a = smol::SmolPeer::new(A, 128 * 1024);
    let mut b = smol::SmolPeer::new(B, 128 * 1024);
    b.socket().listen(80).unwrap();
    a.connect((B, 80), 49152);
    let mut now = Time::ZERO;
    let chunk = vec![0x5au8; 64 * 1024];
    let (mut sent, mut got) = (0usize, 0usize);
    let mut segments = 0u64;
    while got < BYTES {
        let sk = a.socket();
        if sk.can_send() && sent < BYTES {
            let n = (BYTES - sent).min(chunk.len());
            sent += sk.send_slice(&chunk[..n]).unwrap();
        }
        let sk = b.socket();
        while sk.can_recv() {
            got += sk.recv(|d| (d.len(), d.len())).unwrap();
        }
        let mut moved = false;
        for p in a.poll(now) {
            moved = true;
            segments += 1;
            b.dev.rx.push_back(p);
        }
        for p in b.poll(now) {
            moved = true;
            segments += 1;
            a.dev.rx.push_back(p);
        }
        if !moved && a.dev.rx.is_empty() && b.dev.rx.is_empty() {
            let next = [a.poll_at(now), b.poll_at(now)].into_iter().flatten().min();
            now = match next {
                Some(t) if t > now => t,
                _ => now + Duration::from_micros(100),
            };
        }
    }
    segments
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("tcp_bulk_4MiB");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    let n_ours = ours(false);
    let n_bytes = ours(true);
    let n_smol = smoltcp();
    eprintln!(
        "segments per 4 MiB transfer: ours {n_ours}, ours via bytes {n_bytes}, smoltcp {n_smol}"
    );
    g.throughput(Throughput::Elements(n_ours));
    g.bench_function("ours/segments", |b| b.iter(|| ours(false)));
    g.throughput(Throughput::Elements(n_bytes));
    g.bench_function("ours/ipv4_bytes", |b| b.iter(|| ours(true)));
    g.throughput(Throughput::Elements(n_smol));
    g.bench_function("smoltcp", |b| b.iter(smoltcp));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
