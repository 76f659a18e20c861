//! Scenario tests for data transfer: ordering and reassembly, flow control and window
//! scaling, zero-window probing, retransmission (RFC 6298), fast retransmit and
//! NewReno recovery, SACK reporting, and many connections at once.

mod tcp_harness;

use std::time::Duration;
use tcp_harness::*;
use tcpip_host::tcp::{Config, Error, Event, Flags, State, TcpOptions};

fn data(h: &Harness, seq: u32, bytes: &[u8]) -> tcpip_host::tcp::Segment {
    let mut d = h.seg(Flags::ACK, seq, h.our(1));
    d.payload = bytes.to_vec();
    d
}

// ---- ordering ----------------------------------------------------------------------

#[test]
fn segments_1_3_2_dup_ack_asks_for_2_then_ack_covers_3() {
    let mut h = Harness::established(plain());
    h.send(data(&h, IRS + 1, b"1111"));
    h.expect(h.ours(Flags::ACK, h.our(1), IRS + 5, 8188));
    h.send(data(&h, IRS + 9, b"3333"));
    // The duplicate ACK still asks for byte 5, where segment 2 belongs.
    h.expect(h.ours(Flags::ACK, h.our(1), IRS + 5, 8188));
    h.send(data(&h, IRS + 5, b"2222"));
    h.expect(h.ours(Flags::ACK, h.our(1), IRS + 13, 8192 - 12));
    assert_eq!(h.stack.recv_all(h.sock.unwrap()).unwrap(), b"111122223333");
}

#[test]
fn fin_beyond_a_gap_waits_for_the_gap() {
    let mut h = Harness::established(plain());
    let mut tail = data(&h, IRS + 5, b"tail");
    tail.flags = Flags::FIN | Flags::ACK;
    h.send(tail);
    h.expect(h.ours(Flags::ACK, h.our(1), IRS + 1, 8192));
    assert_eq!(h.state(), State::Established);
    h.send(data(&h, IRS + 1, b"head"));
    h.expect(h.ours(Flags::ACK, h.our(1), IRS + 10, 8192 - 8));
    assert_eq!(h.state(), State::CloseWait);
    assert_eq!(h.stack.recv_all(h.sock.unwrap()).unwrap(), b"headtail");
}

#[test]
fn overlapping_retransmission_never_changes_delivered_bytes() {
    let mut h = Harness::established(plain());
    h.send(data(&h, IRS + 1, b"abcdef"));
    h.recv();
    // A segment overlapping delivered bytes with different content: only new bytes count.
    h.send(data(&h, IRS + 4, b"XYZghi"));
    h.expect(h.ours(Flags::ACK, h.our(1), IRS + 10, 8192 - 9));
    assert_eq!(h.stack.recv_all(h.sock.unwrap()).unwrap(), b"abcdefghi");
}

#[test]
fn sack_blocks_describe_out_of_order_data_when_negotiated() {
    let cfg = Config {
        sack: true,
        ..plain()
    };
    let opts = TcpOptions {
        mss: Some(1460),
        sack_permitted: true,
        ..TcpOptions::default()
    };
    let mut h = Harness::established_opts(cfg, opts);
    h.send(data(&h, IRS + 11, b"later"));
    let mut want = h.ours(Flags::ACK, h.our(1), IRS + 1, 8192);
    want.options.sack_blocks = vec![(IRS + 11, IRS + 16)];
    h.expect(want);
}

// ---- flow control ------------------------------------------------------------------

#[test]
fn receive_window_follows_free_space_closes_and_reopens() {
    let mut h = Harness::established(plain());
    let sock = h.sock.unwrap();
    let mut seq = IRS + 1;
    for chunk in vec![7u8; 8192].chunks(1024) {
        h.send(data(&h, seq, chunk));
        seq += chunk.len() as u32;
        let ack = h.one();
        assert_eq!(
            ack.window as u32,
            8192 - (seq - IRS - 1),
            "window = free buffer space"
        );
    }
    // Window closed: a further byte is not taken.
    h.send(data(&h, seq, b"!"));
    h.expect(h.ours(Flags::ACK, h.our(1), seq, 0));
    // Reading half the buffer is worth a window update.
    let mut buf = vec![0u8; 4096];
    assert_eq!(h.stack.recv(sock, &mut buf).unwrap(), 4096);
    h.expect(h.ours(Flags::ACK, h.our(1), seq, 4096));
}

#[test]
fn zero_window_is_probed_until_it_opens() {
    let mut h = Harness::established(plain());
    let sock = h.sock.unwrap();
    let mut closed = h.seg(Flags::ACK, IRS + 1, h.our(1));
    closed.window = 0;
    h.send(closed.clone());
    h.stack.send(sock, &[1u8; 100]).unwrap();
    h.expect_nothing();
    h.advance(Duration::from_millis(999));
    h.expect_nothing();
    h.advance(Duration::from_millis(1));
    let probe = h.one();
    assert_eq!(
        (probe.seq, probe.payload.len()),
        (h.our(1), 1),
        "one-byte probe"
    );
    // Still closed: the peer drops the byte and says so; we keep the connection.
    h.send(closed);
    for _ in 0..12 {
        h.advance(Duration::from_secs(60));
        h.recv();
    }
    assert_eq!(
        h.state(),
        State::Established,
        "probing never gives up while answered"
    );
    // Window opens: everything goes.
    h.send(h.seg(Flags::ACK, IRS + 1, h.our(1)));
    let segs = h.recv();
    let end = segs
        .iter()
        .map(|s| s.seq.wrapping_add(s.payload.len() as u32))
        .max();
    assert_eq!(end, Some(h.our(101)), "the rest follows the probe byte");
}

#[test]
fn window_scale_is_negotiated_and_applied_both_ways() {
    let cfg = Config {
        window_scale: true,
        rx_buffer: 200_000,
        ..plain()
    };
    let mut h = Harness::listening(cfg, 4);
    let mut syn = h.seg(Flags::SYN, IRS, 0);
    syn.options = TcpOptions {
        mss: Some(1460),
        window_scale: Some(3),
        ..TcpOptions::default()
    };
    h.send(syn);
    let sa = h.one();
    assert_eq!(
        sa.options.window_scale,
        Some(2),
        "200 000 bytes need a shift of 2"
    );
    assert_eq!(sa.window, 65535, "SYN windows are not scaled");
    h.iss = sa.seq;
    let mut ack = h.seg(Flags::ACK, IRS + 1, h.our(1));
    ack.window = 100; // 800 bytes with the peer's shift of 3
    h.send(ack);
    let sock = h.stack.accept(h.listener.unwrap()).unwrap().unwrap();
    h.sock = Some(sock);
    h.stack.send(sock, &[0u8; 2000]).unwrap();
    let segs = h.recv();
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].payload.len(), 800);
    assert_eq!(segs[0].window, (200_000u32 >> 2) as u16);
}

#[test]
fn without_the_peers_window_scale_option_nothing_is_scaled() {
    let cfg = Config {
        window_scale: true,
        rx_buffer: 200_000,
        ..plain()
    };
    let mut h = Harness::listening(cfg, 4);
    h.send(h.seg(Flags::SYN, IRS, 0));
    let sa = h.one();
    assert_eq!(sa.options.window_scale, None, "only echo what was offered");
    h.iss = sa.seq;
    h.send(h.seg(Flags::ACK, IRS + 1, h.our(1)));
    h.send(data(&h, IRS + 1, b"x"));
    assert_eq!(h.one().window, 65535);
}

// ---- retransmission ----------------------------------------------------------------

#[test]
fn retransmission_backs_off_exponentially_and_the_retry_limit_ends_the_connection() {
    let mut h = Harness::established(Config {
        max_retries: 3,
        ..plain()
    });
    let sock = h.sock.unwrap();
    h.stack.send(sock, b"data").unwrap();
    let first = h.one();
    for wait in [1u64, 2, 4] {
        h.advance(Duration::from_millis(wait * 1000 - 1));
        let early = h.recv();
        assert!(
            early.is_empty(),
            "before {wait} s: {:?}",
            early
                .iter()
                .map(|s| (s.flags, s.seq.wrapping_sub(h.iss), s.payload.len()))
                .collect::<Vec<_>>()
        );
        h.advance(Duration::from_millis(1));
        assert_eq!(h.one(), first, "same bytes again after {wait} s");
    }
    h.advance(Duration::from_secs(8));
    h.recv();
    assert_eq!(h.state(), State::Closed);
    assert!(h
        .stack
        .events()
        .contains(&(sock, Event::Error(Error::TimedOut))));
}

#[test]
fn rto_follows_the_measured_round_trip() {
    let cfg = Config {
        min_rto: Duration::from_millis(10),
        ..plain()
    };
    let mut h = Harness::syn_sent(cfg);
    h.advance(Duration::from_millis(100));
    h.send(h.seg(Flags::SYN | Flags::ACK, IRS, h.our(1)));
    h.recv();
    let conn = h.stack.connection(h.sock.unwrap()).unwrap();
    assert_eq!(conn.smoothed_rtt(), Some(Duration::from_millis(100)));
    // RTO = SRTT + 4 * RTTVAR = 100 + 4 * 50 ms.
    h.stack.send(h.sock.unwrap(), b"x").unwrap();
    let seg = h.one();
    h.advance(Duration::from_millis(299));
    h.expect_nothing();
    h.advance(Duration::from_millis(1));
    assert_eq!(h.one(), seg);
}

#[test]
fn karn_no_rtt_sample_from_a_retransmitted_segment() {
    let cfg = Config {
        min_rto: Duration::from_millis(10),
        ..plain()
    };
    let mut h = Harness::syn_sent(cfg);
    h.advance(Duration::from_millis(100));
    h.send(h.seg(Flags::SYN | Flags::ACK, IRS, h.our(1)));
    h.recv();
    let sock = h.sock.unwrap();
    h.stack.send(sock, b"x").unwrap();
    h.recv();
    h.advance(Duration::from_millis(300));
    h.recv(); // retransmission
    h.advance(Duration::from_millis(500));
    h.send(h.seg(Flags::ACK, IRS + 1, h.our(2)));
    let srtt = h.stack.connection(sock).unwrap().smoothed_rtt();
    assert_eq!(
        srtt,
        Some(Duration::from_millis(100)),
        "the ambiguous 800 ms was not sampled"
    );
    // A segment sent once is sampled.
    h.stack.send(sock, b"y").unwrap();
    h.recv();
    h.advance(Duration::from_millis(20));
    h.send(h.seg(Flags::ACK, IRS + 1, h.our(3)));
    let srtt = h.stack.connection(sock).unwrap().smoothed_rtt().unwrap();
    assert_eq!(srtt, Duration::from_micros((7 * 100_000 + 20_000) / 8));
}

#[test]
fn three_duplicate_acks_fast_retransmit_and_partial_ack_retransmits_the_next_hole() {
    let mut h = Harness::established(Config {
        tx_buffer: 64 * 1024,
        ..plain()
    });
    let sock = h.sock.unwrap();
    h.stack.send(sock, &[5u8; 3 * 1460]).unwrap();
    let segs = h.recv();
    assert_eq!(segs.len(), 3, "initial window of 3 segments (RFC 5681)");
    let dup = h.seg(Flags::ACK, IRS + 1, h.our(1));
    h.send(dup.clone());
    h.send(dup.clone());
    h.expect_nothing();
    h.send(dup);
    let re = h.one();
    assert_eq!(
        (re.seq, re.payload.len()),
        (h.our(1), 1460),
        "fast retransmit of the first segment"
    );
    // Partial ACK (NewReno): the next hole goes at once, without waiting for more dup ACKs.
    h.send(h.seg(Flags::ACK, IRS + 1, h.our(1 + 1460)));
    let re2 = h.recv();
    assert_eq!((re2[0].seq, re2[0].payload.len()), (h.our(1 + 1460), 1460));
    let conn = h.stack.connection(sock).unwrap();
    assert!(
        conn.congestion_window() < 3 * 1460 + 3 * 1460,
        "cwnd was reduced"
    );
}

// ---- many connections --------------------------------------------------------------

#[test]
fn seventy_connections_at_once_each_get_their_own_bytes() {
    let mut h = Harness::listening(plain(), 100);
    let n = 70u16;
    let mut isn = Vec::new();
    for i in 0..n {
        let mut syn = h.seg(Flags::SYN, IRS + i as u32, 0);
        syn.src_port = 30000 + i;
        h.send(syn);
        isn.push(h.one().seq);
    }
    for i in 0..n {
        let mut ack = h.seg(
            Flags::ACK | Flags::PSH,
            IRS + i as u32 + 1,
            isn[i as usize].wrapping_add(1),
        );
        ack.src_port = 30000 + i;
        ack.payload = format!("connection {i}").into_bytes();
        h.send(ack);
    }
    assert_eq!(h.recv().len(), n as usize, "one ACK per connection");
    assert_eq!(h.stack.connection_count(), n as usize);
    let mut seen = Vec::new();
    while let Some(s) = h.stack.accept(h.listener.unwrap()).unwrap() {
        let c = h.stack.connection(s).unwrap();
        let port = c.remote().1;
        let got = h.stack.recv_all(s).unwrap();
        assert_eq!(got, format!("connection {}", port - 30000).into_bytes());
        seen.push(port);
    }
    assert_eq!(seen.len(), n as usize);
}

#[test]
fn connect_picks_distinct_ephemeral_ports() {
    let mut h = Harness::new(plain());
    let a = h.stack.connect((PEER, 80), h.now).unwrap();
    let b = h.stack.connect((PEER, 80), h.now).unwrap();
    let pa = h.stack.connection(a).unwrap().local().1;
    let pb = h.stack.connection(b).unwrap().local().1;
    assert_ne!(pa, pb);
    assert!(pa >= 49152 && pb >= 49152);
}

// ---- events ------------------------------------------------------------------------

#[test]
fn events_report_state_changes_readable_writable_and_peer_close() {
    use tcpip_host::tcp::Event::*;
    let mut h = Harness::syn_sent(plain());
    let sock = h.sock.unwrap();
    h.send(h.seg(Flags::SYN | Flags::ACK, IRS, h.our(1)));
    h.recv();
    assert_eq!(
        h.stack.events(),
        vec![
            (
                sock,
                StateChanged {
                    from: State::Closed,
                    to: State::SynSent
                }
            ),
            (
                sock,
                StateChanged {
                    from: State::SynSent,
                    to: State::Established
                }
            ),
        ]
    );
    h.stack.send(sock, b"abc").unwrap();
    h.recv();
    let mut d = h.seg(Flags::ACK, IRS + 1, h.our(4));
    d.payload = b"xyz".to_vec();
    h.send(d);
    assert_eq!(h.stack.events(), vec![(sock, Writable), (sock, Readable)]);
    h.send(h.seg(Flags::FIN | Flags::ACK, IRS + 4, h.our(4)));
    assert_eq!(
        h.stack.events(),
        vec![
            (sock, PeerClosed),
            (
                sock,
                StateChanged {
                    from: State::Established,
                    to: State::CloseWait
                }
            )
        ]
    );
}

#[test]
fn listener_becomes_readable_when_a_connection_is_ready_to_accept() {
    let mut h = Harness::listening(plain(), 4);
    let l = h.listener.unwrap();
    h.send(h.seg(Flags::SYN, IRS, 0));
    let iss = h.one().seq;
    assert!(!h.stack.events().contains(&(l, Event::Readable)));
    h.send(h.seg(Flags::ACK, IRS + 1, iss + 1));
    assert!(h.stack.events().contains(&(l, Event::Readable)));
}

#[test]
fn sack_scoreboard_retransmits_the_second_hole_without_waiting_for_a_partial_ack() {
    let cfg = Config {
        sack: true,
        tx_buffer: 64 * 1024,
        ..plain()
    };
    let opts = TcpOptions {
        mss: Some(1460),
        sack_permitted: true,
        ..TcpOptions::default()
    };
    let mut h = Harness::established_opts(cfg, opts);
    let sock = h.sock.unwrap();
    // Grow cwnd to six segments: three segments acknowledged one by one.
    h.stack.send(sock, &[1u8; 3 * 1460]).unwrap();
    assert_eq!(h.recv().len(), 3);
    for k in 1..=3u32 {
        let mut a = h.seg(Flags::ACK, IRS + 1, h.our(1 + k * 1460));
        a.window = 65535;
        h.send(a);
    }
    h.recv();
    let base = 1 + 3 * 1460;
    let iss = h.iss;
    let s = move |k: u32| iss.wrapping_add(base + (k - 1) * 1460);
    h.stack.send(sock, &[2u8; 6 * 1460]).unwrap();
    assert_eq!(h.recv().len(), 6);
    // Segments 1 and 3 are lost; the peer reports what it holds.
    let dup = |h: &Harness, blocks: Vec<(u32, u32)>| {
        let mut d = h.seg(Flags::ACK, IRS + 1, s(1));
        d.window = 65535;
        d.options.sack_blocks = blocks;
        d
    };
    h.send(dup(&h, vec![(s(2), s(3))]));
    h.send(dup(&h, vec![(s(4), s(5)), (s(2), s(3))]));
    h.expect_nothing();
    h.send(dup(&h, vec![(s(4), s(6)), (s(2), s(3))]));
    let fr = h.one();
    assert_eq!(
        (fr.seq, fr.payload.len()),
        (s(1), 1460),
        "fast retransmit of the first hole"
    );
    h.send(dup(&h, vec![(s(4), s(7)), (s(2), s(3))]));
    let hole = h.one();
    assert_eq!(
        (hole.seq, hole.payload.len()),
        (s(3), 1460),
        "second hole, from the scoreboard"
    );
    // A further duplicate ACK finds no hole left to resend.
    h.send(dup(&h, vec![(s(4), s(7)), (s(2), s(3))]));
    h.expect_nothing();
}

#[test]
fn a_retransmission_carrying_newly_queued_bytes_counts_them_as_sent() {
    let mut h = Harness::established(plain());
    let sock = h.sock.unwrap();
    let ack = |h: &Harness, n: u32| {
        let mut a = h.seg(Flags::ACK, IRS + 1, h.our(n));
        a.window = 100;
        a
    };
    h.send(ack(&h, 1));
    h.stack.send(sock, &[3u8; 100]).unwrap();
    assert_eq!(h.one().payload.len(), 100);
    h.stack.send(sock, b"!").unwrap();
    h.expect_nothing(); // the window is full
    for _ in 0..3 {
        h.send(ack(&h, 1));
    }
    let re = h.one();
    assert_eq!(
        (re.seq, re.payload.len()),
        (h.our(1), 101),
        "resent with the queued byte"
    );
    // The peer acknowledges all 101 bytes: that is not an ACK of unsent data.
    h.send(ack(&h, 102));
    h.expect_nothing();
    assert_eq!(h.stack.connection(sock).unwrap().send_queue(), 0);
}
