//! Interoperability: our engine against smoltcp 0.14 over a simulated wire that
//! loses, duplicates and reorders packets. Both sides exchange real IPv4+TCP bytes
//! (checksums checked by both), so this also proves our wire format.
//!
//! Every run moves 1 MiB in each direction at the same time, then both sides close;
//! the bytes must arrive exactly, and the connection must end as RFC 9293 says: the
//! side that closed first in TIME-WAIT, the other CLOSED (both TIME-WAIT if the FINs
//! crossed).
//!
//! Set TCP_INTEROP_TRACE=1 (with `--nocapture`) to print every segment.

mod tcp_harness;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use smoltcp::socket::tcp as smol_tcp;
use std::time::Duration;
use tcp_harness::smol::{LossyWire, SmolPeer};
use tcpip_host::tcp::{Config, Event, Segment, Stack, State, Time};

const US: [u8; 4] = [192, 168, 7, 1];
const PEER: [u8; 4] = [192, 168, 7, 2];
const MIB: usize = 1 << 20;

fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    StdRng::seed_from_u64(seed).fill_bytes(&mut v);
    v
}

struct Outcome {
    ours_got: Vec<u8>,
    smol_got: Vec<u8>,
    our_state: State,
    smol_state: smol_tcp::State,
    our_time_wait: bool,
    lost: u64,
    reordered: u64,
    elapsed: Time,
    /// Segments advertising a zero window, sent by us and by smoltcp.
    zero_windows: (u64, u64),
}

/// `slow_readers`: both applications read at most 4 KiB every 20 ms, so both
/// receive windows close and each side must probe the other's zero window.
fn run(
    seed: u64,
    we_connect: bool,
    ours_len: usize,
    smol_len: usize,
    loss: f64,
    reorder: f64,
) -> (Outcome, Vec<u8>, Vec<u8>) {
    run_with(seed, we_connect, ours_len, smol_len, loss, reorder, false)
}

fn run_with(
    seed: u64,
    we_connect: bool,
    ours_len: usize,
    smol_len: usize,
    loss: f64,
    reorder: f64,
    slow_readers: bool,
) -> (Outcome, Vec<u8>, Vec<u8>) {
    let cfg = Config {
        rx_buffer: 128 * 1024,
        tx_buffer: 128 * 1024,
        msl: Duration::from_secs(1),
        min_rto: Duration::from_millis(200),
        ..Config::default()
    };
    let mut secret = [0u8; 16];
    secret[..8].copy_from_slice(&seed.to_le_bytes());
    let mut us = Stack::new(US, secret, cfg);
    let mut smol = SmolPeer::new(PEER, 128 * 1024);
    let mut wire = LossyWire::new(seed, loss, 0.01, reorder);
    let our_data = pattern(seed * 2 + 1, ours_len);
    let smol_data = pattern(seed * 2 + 2, smol_len);
    let mut now = Time::ZERO;

    let mut listener = None;
    let mut sock = None;
    if we_connect {
        smol.socket().listen(5000).unwrap();
        sock = Some(us.connect((PEER, 5000), now).unwrap());
    } else {
        listener = Some(us.listen(80, 4).unwrap());
        smol.connect((US, 80), 49500);
    }

    let (mut our_sent, mut smol_sent) = (0usize, 0usize);
    let (mut ours_got, mut smol_got) = (Vec::new(), Vec::new());
    let (mut our_shut, mut smol_closed) = (false, false);
    let mut our_time_wait = false;
    let mut idle_rounds = 0;
    let mut last_read = Time::ZERO;
    let mut zero_windows = (0u64, 0u64);
    let mut buf = vec![0u8; 4096];
    for _ in 0..20_000_000u64 {
        for (to_b, p) in wire.due(now) {
            if to_b {
                smol.dev.rx.push_back(p);
            } else {
                let s = Segment::parse_ipv4(&p).expect("smoltcp sent a packet we cannot parse");
                if s.window == 0 && !s.flags.rst() {
                    zero_windows.1 += 1;
                }
                if std::env::var("TCP_INTEROP_TRACE").is_ok() {
                    eprintln!(
                        "{now} smol->us {:?} seq {} ack {} len {} win {} {:?}",
                        s.flags,
                        s.seq,
                        s.ack,
                        s.payload.len(),
                        s.window,
                        s.options
                    );
                }
                us.receive(&s, now);
            }
        }
        // Applications on both sides: write what fits, read what is there, close when done.
        if sock.is_none() {
            sock = us.accept(listener.unwrap()).unwrap();
        }
        if let Some(s) = sock {
            if our_sent < ours_len {
                if let Ok(n) = us.send(s, &our_data[our_sent..]) {
                    our_sent += n;
                }
            }
            if !slow_readers {
                ours_got.extend(us.recv_all(s).unwrap());
            } else if now >= last_read + Duration::from_millis(20) {
                let n = us.recv(s, &mut buf).unwrap_or(0);
                ours_got.extend_from_slice(&buf[..n]);
            }
            if our_sent == ours_len && !our_shut && us.state(s) != State::SynSent {
                us.shutdown(s).unwrap();
                our_shut = true;
            }
        }
        for (_, e) in us.events() {
            if e == (Event::StateChanged {
                from: State::FinWait2,
                to: State::TimeWait,
            }) || e
                == (Event::StateChanged {
                    from: State::Closing,
                    to: State::TimeWait,
                })
            {
                our_time_wait = true;
            }
        }
        let sk = smol.socket();
        if sk.can_send() && smol_sent < smol_len {
            smol_sent += sk.send_slice(&smol_data[smol_sent..]).unwrap();
        }
        if !slow_readers {
            while sk.can_recv() {
                sk.recv(|b| {
                    smol_got.extend_from_slice(b);
                    (b.len(), ())
                })
                .unwrap();
            }
        } else if now >= last_read + Duration::from_millis(20) {
            let n = sk.recv_slice(&mut buf).unwrap_or(0);
            smol_got.extend_from_slice(&buf[..n]);
            last_read = now;
        }
        if smol_sent == smol_len && !smol_closed && sk.may_send() {
            sk.close();
            smol_closed = true;
        }

        for s in us.poll(now) {
            if s.window == 0 && !s.flags.rst() {
                zero_windows.0 += 1;
            }
            if std::env::var("TCP_INTEROP_TRACE").is_ok() {
                eprintln!(
                    "{now} us->smol {:?} seq {} ack {} len {} win {} {:?}",
                    s.flags,
                    s.seq,
                    s.ack,
                    s.payload.len(),
                    s.window,
                    s.options
                );
            }
            wire.send(now, true, s.emit_ipv4());
        }
        for p in smol.poll(now) {
            wire.send(now, false, p);
        }

        let our_state = sock.map(|s| us.state(s)).unwrap_or(State::Listen);
        let smol_state = smol.socket().state();
        let settled = |o: State, s: smol_tcp::State| {
            matches!(o, State::Closed | State::TimeWait)
                && matches!(s, smol_tcp::State::Closed | smol_tcp::State::TimeWait)
        };
        if ours_got.len() == smol_len
            && smol_got.len() == ours_len
            && settled(our_state, smol_state)
        {
            let o = Outcome {
                ours_got,
                smol_got,
                our_state,
                smol_state,
                our_time_wait,
                lost: wire.lost,
                reordered: wire.reordered,
                elapsed: now,
                zero_windows,
            };
            return (o, our_data, smol_data);
        }
        assert!(
            now < Time::from_millis(3_600_000),
            "seed {seed}: no progress after an hour of simulated time: \
            ours {our_state} got {} of {smol_len}, smoltcp {smol_state} got {} of {ours_len}",
            ours_got.len(),
            smol_got.len()
        );

        let reader_wakeup = slow_readers.then(|| last_read + Duration::from_millis(20));
        let next = [
            wire.next_at(),
            us.poll_at(),
            smol.poll_at(now),
            reader_wakeup,
        ]
        .into_iter()
        .flatten()
        .min();
        // Nothing scheduled: the applications may still have work (the last poll may
        // have opened a window), so go round again, but not forever.
        idle_rounds = if next.is_none() { idle_rounds + 1 } else { 0 };
        match next {
            Some(t) if t > now => now = t,
            Some(_) => {}
            None if idle_rounds < 3 => {}
            None => panic!(
                "seed {seed}: both sides idle before finishing: ours {our_state} sent {our_sent} got {}, \
                 smoltcp {smol_state} sent {smol_sent} got {}; {:?}",
                ours_got.len(),
                smol_got.len(),
                sock.and_then(|s| us.connection(s).map(|c| c.error()))
            ),
        }
    }
    panic!("seed {seed}: iteration limit");
}

fn check(seed: u64, we_connect: bool, loss: f64, reorder: f64) -> Outcome {
    let (o, our_data, smol_data) = run(seed, we_connect, MIB, MIB, loss, reorder);
    assert!(
        o.smol_got == our_data,
        "seed {seed}: smoltcp received corrupted data"
    );
    assert!(
        o.ours_got == smol_data,
        "seed {seed}: we received corrupted data"
    );
    // RFC 9293: the side whose FIN went first waits in TIME-WAIT; the other side
    // reaches CLOSED from LAST-ACK, or also TIME-WAIT when the FINs crossed.
    let smol_tw = o.smol_state == smol_tcp::State::TimeWait;
    assert!(
        o.our_time_wait || smol_tw,
        "seed {seed}: nobody went through TIME-WAIT (ours {}, smoltcp {})",
        o.our_state,
        o.smol_state
    );
    o
}

#[test]
fn one_mib_each_way_over_a_clean_wire() {
    for (seed, we_connect) in [(1, true), (2, false)] {
        let o = check(seed, we_connect, 0.0, 0.0);
        assert_eq!(o.lost, 0);
    }
}

#[test]
fn one_mib_each_way_with_5_percent_loss_and_reordering_many_seeds() {
    let mut lost = 0;
    let mut reordered = 0;
    for seed in 100..164u64 {
        let o = check(seed, seed % 2 == 0, 0.05, 0.05);
        lost += o.lost;
        reordered += o.reordered;
        assert!(o.elapsed > Time::ZERO);
    }
    // The faults really happened.
    assert!(
        lost > 2000 && reordered > 2000,
        "lost {lost}, reordered {reordered}"
    );
}

#[test]
fn heavy_loss_still_delivers_exactly() {
    for seed in 200..203u64 {
        let (o, our_data, smol_data) = run(seed, seed % 2 == 0, 200 * 1024, 200 * 1024, 0.15, 0.10);
        assert!(
            o.smol_got == our_data && o.ours_got == smol_data,
            "seed {seed}"
        );
    }
}

#[test]
fn slow_readers_on_both_sides_close_the_windows_and_probing_recovers() {
    let mut zero = (0, 0);
    for seed in 300..304u64 {
        let (o, our_data, smol_data) = run_with(
            seed,
            seed % 2 == 0,
            300 * 1024,
            300 * 1024,
            0.02,
            0.02,
            true,
        );
        assert!(
            o.smol_got == our_data && o.ours_got == smol_data,
            "seed {seed}"
        );
        zero = (zero.0 + o.zero_windows.0, zero.1 + o.zero_windows.1);
    }
    // Both implementations really did close their windows at some point.
    assert!(
        zero.0 > 0 && zero.1 > 0,
        "zero windows advertised (ours, smoltcp): {zero:?}"
    );
}
