//! Whole conversations between two of our engines, recorded in the ladder format that
//! `tcpip demo` prints and pinned with insta snapshots. A snapshot diff shows exactly
//! which segment or state changed.

mod tcp_harness;

use std::time::Duration;
use tcp_harness::*;
use tcpip_host::tcp::{Config, Direction, Segment, State};

fn cfg() -> Config {
    Config {
        rx_buffer: 16384,
        tx_buffer: 16384,
        window_scale: false,
        sack: true,
        mss: 1000,
        msl: Duration::from_millis(500),
        ..Config::default()
    }
}

fn data_seg(s: &Segment) -> bool {
    !s.payload.is_empty()
}

#[test]
fn handshake_transfer_and_four_way_close() {
    let mut p = Pair::new(cfg(), cfg());
    let l = p.b.listen(80, 4).unwrap();
    let a = p.a.connect_from(50000, (B_ADDR, 80), p.now).unwrap();
    p.mark("A connect, B listen");
    p.run(None);
    let b = p.b.accept(l).unwrap().unwrap();
    p.a.send(a, b"hello").unwrap();
    p.run(None);
    assert_eq!(p.b.recv_all(b).unwrap(), b"hello");
    p.b.send(b, b"world").unwrap();
    p.run(None);
    assert_eq!(p.a.recv_all(a).unwrap(), b"world");
    p.a.close(a).unwrap();
    p.mark("A close");
    p.run_for(Duration::from_millis(50));
    assert_eq!(p.b.state(b), State::CloseWait);
    p.b.close(b).unwrap();
    p.mark("B close");
    p.run_for(Duration::from_millis(50));
    assert_eq!(p.a.state(a), State::TimeWait);
    p.run(None);
    p.mark("2 MSL over");
    assert_eq!(p.a.state(a), State::Closed);
    insta::assert_snapshot!(p.trace_text());
}

#[test]
fn simultaneous_open() {
    let mut p = Pair::new(cfg(), cfg());
    let a = p.a.connect_from(5000, (B_ADDR, 6000), p.now).unwrap();
    let b = p.b.connect_from(6000, (A_ADDR, 5000), p.now).unwrap();
    p.mark("both connect");
    p.run(None);
    assert_eq!(
        (p.a.state(a), p.b.state(b)),
        (State::Established, State::Established)
    );
    insta::assert_snapshot!(p.trace_text());
}

#[test]
fn simultaneous_close() {
    let mut p = Pair::new(cfg(), cfg());
    let l = p.b.listen(80, 4).unwrap();
    let a = p.a.connect_from(50000, (B_ADDR, 80), p.now).unwrap();
    p.run(None);
    let b = p.b.accept(l).unwrap().unwrap();
    p.a.close(a).unwrap();
    p.b.close(b).unwrap();
    p.mark("both close");
    p.run_for(Duration::from_millis(50));
    assert_eq!(
        (p.a.state(a), p.b.state(b)),
        (State::TimeWait, State::TimeWait)
    );
    p.run(None);
    p.mark("2 MSL over");
    insta::assert_snapshot!(p.trace_text());
}

#[test]
fn half_close_peer_keeps_sending_from_close_wait() {
    let mut p = Pair::new(cfg(), cfg());
    let l = p.b.listen(80, 4).unwrap();
    let a = p.a.connect_from(50000, (B_ADDR, 80), p.now).unwrap();
    p.run(None);
    let b = p.b.accept(l).unwrap().unwrap();
    p.a.shutdown(a).unwrap();
    p.mark("A shutdown(write)");
    p.run_for(Duration::from_millis(50));
    assert_eq!(
        (p.a.state(a), p.b.state(b)),
        (State::FinWait2, State::CloseWait)
    );
    p.b.send(b, &[b'x'; 2500]).unwrap();
    p.mark("B sends 2500 bytes");
    p.run_for(Duration::from_millis(50));
    assert_eq!(p.a.recv_all(a).unwrap().len(), 2500);
    p.b.close(b).unwrap();
    p.mark("B close");
    p.run(None);
    insta::assert_snapshot!(p.trace_text());
}

#[test]
fn lost_data_segment_is_retransmitted_after_rto() {
    let mut p = Pair::new(cfg(), cfg());
    let l = p.b.listen(80, 4).unwrap();
    let a = p.a.connect_from(50000, (B_ADDR, 80), p.now).unwrap();
    p.run(None);
    let b = p.b.accept(l).unwrap().unwrap();
    let mut dropped = false;
    p.drop = Box::new(move |dir, s| {
        if dir == Direction::AtoB && data_seg(s) && !dropped {
            dropped = true;
            return true;
        }
        false
    });
    p.a.send(a, b"important").unwrap();
    p.mark("A sends 9 bytes");
    p.run(None);
    assert_eq!(p.b.recv_all(b).unwrap(), b"important");
    insta::assert_snapshot!(p.trace_text());
}

#[test]
fn segments_1_3_2_reassembled_with_dup_ack_and_sack() {
    let mut p = Pair::new(cfg(), cfg());
    let l = p.b.listen(80, 4).unwrap();
    let a = p.a.connect_from(50000, (B_ADDR, 80), p.now).unwrap();
    p.run(None);
    let b = p.b.accept(l).unwrap().unwrap();
    let mut n = 0;
    p.hold = Box::new(move |dir, s| {
        if dir == Direction::AtoB && data_seg(s) {
            n += 1;
            if n == 2 {
                return Duration::from_millis(5);
            }
        }
        Duration::ZERO
    });
    p.a.send(a, &[b'y'; 3000]).unwrap();
    p.mark("A sends 3 x 1000 bytes");
    p.run(None);
    assert_eq!(p.b.recv_all(b).unwrap().len(), 3000);
    insta::assert_snapshot!(p.trace_text());
}

#[test]
fn connect_to_a_closed_port_is_refused_by_rst() {
    let mut p = Pair::new(cfg(), cfg());
    let a = p.a.connect_from(50000, (B_ADDR, 81), p.now).unwrap();
    p.mark("A connect to a port nobody listens on");
    p.run(None);
    assert_eq!(p.a.state(a), State::Closed);
    insta::assert_snapshot!(p.trace_text());
}

#[test]
fn fast_retransmit_after_three_duplicate_acks() {
    let mut p = Pair::new(cfg(), cfg());
    let l = p.b.listen(80, 4).unwrap();
    let a = p.a.connect_from(50000, (B_ADDR, 80), p.now).unwrap();
    p.run(None);
    let b = p.b.accept(l).unwrap().unwrap();
    // Grow the congestion window first so enough segments follow the loss.
    p.a.send(a, &[b'w'; 6000]).unwrap();
    p.run(None);
    assert_eq!(p.b.recv_all(b).unwrap().len(), 6000);
    p.trace.clear();
    let mut n = 0;
    p.drop = Box::new(move |dir, s| {
        if dir == Direction::AtoB && data_seg(s) {
            n += 1;
            return n == 2;
        }
        false
    });
    p.a.send(a, &[b'z'; 6000]).unwrap();
    p.mark("A sends 6 x 1000 bytes, the 2nd is lost");
    p.run(None);
    assert_eq!(p.b.recv_all(b).unwrap().len(), 6000);
    let t = p.trace_text();
    assert!(
        !t.contains("1010.000"),
        "recovered without waiting for the RTO"
    );
    insta::assert_snapshot!(t);
}

#[test]
fn zero_window_then_probe_then_window_update() {
    let small = Config {
        rx_buffer: 2000,
        ..cfg()
    };
    let mut p = Pair::new(cfg(), small);
    let l = p.b.listen(80, 4).unwrap();
    let a = p.a.connect_from(50000, (B_ADDR, 80), p.now).unwrap();
    p.run(None);
    let b = p.b.accept(l).unwrap().unwrap();
    p.a.send(a, &[b'q'; 3000]).unwrap();
    p.mark("A sends 3000 bytes, B reads nothing");
    p.run_for(Duration::from_millis(1500));
    p.mark("B reads 2000 bytes");
    assert_eq!(p.b.recv_all(b).unwrap().len(), 2000);
    p.run(None);
    assert_eq!(p.b.recv_all(b).unwrap().len(), 1000);
    insta::assert_snapshot!(p.trace_text());
}

#[test]
fn time_wait_answers_a_retransmitted_fin() {
    let mut p = Pair::new(cfg(), cfg());
    let l = p.b.listen(80, 4).unwrap();
    let a = p.a.connect_from(50000, (B_ADDR, 80), p.now).unwrap();
    p.run(None);
    let b = p.b.accept(l).unwrap().unwrap();
    p.a.close(a).unwrap();
    p.run_for(Duration::from_millis(50));
    // A's ACK of B's FIN is lost: B sends its FIN again, A (in TIME-WAIT) answers.
    let mut dropped = false;
    p.drop = Box::new(move |dir, s| {
        if dir == Direction::AtoB && !dropped && s.flags == tcpip_host::tcp::Flags::ACK {
            dropped = true;
            return true;
        }
        false
    });
    p.b.close(b).unwrap();
    p.mark("B close");
    p.run(None);
    p.mark("both done");
    assert_eq!((p.a.state(a), p.b.state(b)), (State::Closed, State::Closed));
    insta::assert_snapshot!(p.trace_text());
}
