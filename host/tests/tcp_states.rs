//! Scenario tests of RFC 9293 §3.10 event processing, grouped by the state the
//! connection is in when the event arrives. Each test sends segments from a scripted
//! peer and expects exactly the segments an RFC-conforming TCP answers with.

mod tcp_harness;

use std::time::Duration;
use tcp_harness::*;
use tcpip_host::tcp::{Config, Error, Event, Flags, State, TcpOptions};

fn mss_only() -> TcpOptions {
    TcpOptions {
        mss: Some(1460),
        ..TcpOptions::default()
    }
}

/// The state of the connection still sitting in the listen backlog.
fn backlog_state(h: &Harness) -> State {
    h.stack
        .sockets()
        .into_iter()
        .map(|s| h.stack.state(s))
        .find(|s| *s != State::Listen)
        .unwrap_or(State::Closed)
}

// ---- CLOSED ------------------------------------------------------------------------

#[test]
fn closed_port_answers_syn_with_rst_ack() {
    let mut h = Harness::new(plain());
    h.send(h.seg(Flags::SYN, IRS, 0));
    h.expect(h.ours(Flags::RST | Flags::ACK, 0, IRS + 1, 0));
}

#[test]
fn closed_port_answers_ack_with_rst_at_its_ack_number() {
    let mut h = Harness::new(plain());
    let mut s = h.seg(Flags::ACK | Flags::PSH, IRS, 12345);
    s.payload = b"data".to_vec();
    h.send(s);
    h.expect(h.ours(Flags::RST, 12345, 0, 0));
}

#[test]
fn closed_port_never_answers_a_rst() {
    let mut h = Harness::new(plain());
    h.send(h.seg(Flags::RST, IRS, 0));
    h.send(h.seg(Flags::RST | Flags::ACK, IRS, 5));
    h.expect_nothing();
}

// ---- LISTEN ------------------------------------------------------------------------

#[test]
fn listen_answers_syn_with_syn_ack_acking_isn_plus_one() {
    let mut h = Harness::listening(plain(), 4);
    assert_eq!(h.stack.state(h.listener.unwrap()), State::Listen);
    let mut syn = h.seg(Flags::SYN, IRS, 0);
    syn.options.mss = Some(1200);
    h.send(syn);
    let sa = h.one();
    let mut want = h.ours(Flags::SYN | Flags::ACK, sa.seq, IRS + 1, 8192);
    want.options = mss_only();
    assert_eq!(sa, want);
    assert_eq!(backlog_state(&h), State::SynReceived);
}

#[test]
fn listen_resets_an_ack_and_ignores_a_rst() {
    let mut h = Harness::listening(plain(), 4);
    h.send(h.seg(Flags::ACK, IRS, 777));
    h.expect(h.ours(Flags::RST, 777, 0, 0));
    h.send(h.seg(Flags::RST, IRS, 0));
    h.expect_nothing();
    assert_eq!(h.stack.connection_count(), 0);
}

#[test]
fn listen_backlog_full_drops_further_syns() {
    // The backlog bounds connections waiting for accept(), not handshakes under way
    // (those have their own bound, max_half_open): a SYN flood must not fill it.
    let mut h = Harness::listening(plain(), 1);
    h.send(h.seg(Flags::SYN, IRS, 0));
    let synack = h.one();
    assert_eq!(synack.flags, Flags::SYN | Flags::ACK);
    h.send(h.seg(Flags::ACK, IRS.wrapping_add(1), synack.seq.wrapping_add(1)));
    h.expect_nothing();
    let mut other = h.seg(Flags::SYN, IRS, 0);
    other.src_port = PEER_PORT + 1;
    h.send(other);
    h.expect_nothing();
    assert_eq!(h.stack.connection_count(), 1);
    assert_eq!(h.stack.counters().syn_dropped, 1);
}

#[test]
fn isn_differs_per_connection_and_is_not_a_counter() {
    let mut h = Harness::listening(plain(), 8);
    let mut isns = Vec::new();
    for i in 0..4u16 {
        let mut syn = h.seg(Flags::SYN, IRS, 0);
        syn.src_port = PEER_PORT + i;
        h.send(syn);
        isns.push(h.one().seq);
    }
    for w in isns.windows(2) {
        let gap = w[1].wrapping_sub(w[0]);
        assert!(
            gap > 1000 && gap < u32::MAX - 1000,
            "ISNs {isns:?} look sequential"
        );
    }
}

// ---- SYN-SENT ----------------------------------------------------------------------

#[test]
fn syn_sent_syn_ack_establishes_and_acks() {
    let mut h = Harness::syn_sent(plain());
    let mut sa = h.seg(Flags::SYN | Flags::ACK, IRS, h.our(1));
    sa.options.mss = Some(1000);
    h.send(sa);
    h.expect(h.ours(Flags::ACK, h.our(1), IRS + 1, 8192));
    assert_eq!(h.state(), State::Established);
    // The peer's MSS bounds our segments.
    h.stack.send(h.sock.unwrap(), &[7u8; 1500]).unwrap();
    let segs = h.recv();
    assert_eq!(
        segs.iter().map(|s| s.payload.len()).collect::<Vec<_>>(),
        vec![1000, 500]
    );
}

#[test]
fn syn_sent_unacceptable_ack_gets_rst_and_state_stays() {
    let mut h = Harness::syn_sent(plain());
    h.send(h.seg(Flags::SYN | Flags::ACK, IRS, h.our(2)));
    h.expect(h.ours(Flags::RST, h.our(2), 0, 0));
    h.send(h.seg(Flags::ACK, IRS, h.our(0)));
    h.expect(h.ours(Flags::RST, h.our(0), 0, 0));
    assert_eq!(h.state(), State::SynSent);
}

#[test]
fn syn_sent_rst_with_acceptable_ack_refuses_the_connection() {
    let mut h = Harness::syn_sent(plain());
    // Without an acceptable ACK a RST is ignored (blind reset protection).
    h.send(h.seg(Flags::RST, IRS, 0));
    h.send(h.seg(Flags::RST | Flags::ACK, 0, h.our(5)));
    assert_eq!(h.state(), State::SynSent);
    h.send(h.seg(Flags::RST | Flags::ACK, 0, h.our(1)));
    h.expect_nothing();
    assert_eq!(h.state(), State::Closed);
    let sock = h.sock.unwrap();
    assert!(h
        .stack
        .events()
        .contains(&(sock, Event::Error(Error::Refused))));
    let mut buf = [0u8; 4];
    assert_eq!(h.stack.recv(sock, &mut buf), Err(Error::Refused.into()));
}

#[test]
fn syn_sent_segment_without_syn_or_rst_is_dropped() {
    let mut h = Harness::syn_sent(plain());
    h.send(h.seg(Flags::ACK, IRS, h.our(1)));
    h.expect_nothing();
    assert_eq!(h.state(), State::SynSent);
}

#[test]
fn simultaneous_open_goes_through_syn_received() {
    let mut h = Harness::syn_sent(plain());
    // The peer's SYN crosses ours.
    let mut syn = h.seg(Flags::SYN, IRS, 0);
    syn.options.mss = Some(1460);
    h.send(syn);
    let mut want = h.ours(Flags::SYN | Flags::ACK, h.our(0), IRS + 1, 8192);
    want.options = mss_only();
    h.expect(want);
    assert_eq!(h.state(), State::SynReceived);
    // Its SYN,ACK for our SYN completes the open; both sides already acked: no reply.
    h.send(h.seg(Flags::SYN | Flags::ACK, IRS, h.our(1)));
    h.expect_nothing();
    assert_eq!(h.state(), State::Established);
}

#[test]
fn syn_is_retransmitted_with_back_off_and_gives_up_after_the_retry_limit() {
    let mut h = Harness::syn_sent(Config {
        max_retries: 2,
        ..plain()
    });
    let mut syn = h.ours(Flags::SYN, h.our(0), 0, 8192);
    syn.options = mss_only();
    h.advance(Duration::from_millis(999));
    h.expect_nothing();
    h.advance(Duration::from_millis(1));
    h.expect(syn.clone());
    h.advance(Duration::from_millis(1999));
    h.expect_nothing();
    h.advance(Duration::from_millis(1));
    h.expect(syn);
    h.advance(Duration::from_secs(4));
    h.expect_nothing();
    assert_eq!(h.state(), State::Closed);
    let sock = h.sock.unwrap();
    assert!(h
        .stack
        .events()
        .contains(&(sock, Event::Error(Error::TimedOut))));
}

// ---- SYN-RECEIVED ------------------------------------------------------------------

fn syn_received() -> (Harness, u32) {
    let mut h = Harness::listening(plain(), 4);
    h.send(h.seg(Flags::SYN, IRS, 0));
    let sa = h.one();
    h.iss = sa.seq;
    (h, sa.seq)
}

#[test]
fn syn_received_ack_establishes_and_accept_returns_it() {
    let (mut h, iss) = syn_received();
    let l = h.listener.unwrap();
    assert_eq!(h.stack.accept(l).unwrap(), None, "not yet established");
    h.send(h.seg(Flags::ACK, IRS + 1, iss + 1));
    h.expect_nothing();
    let s = h.stack.accept(l).unwrap().expect("established connection");
    assert_eq!(h.stack.state(s), State::Established);
}

#[test]
fn syn_received_bad_ack_gets_rst() {
    let (mut h, iss) = syn_received();
    h.send(h.seg(Flags::ACK, IRS + 1, iss + 9));
    h.expect(h.ours(Flags::RST, iss + 9, 0, 0));
    assert_eq!(backlog_state(&h), State::SynReceived);
}

#[test]
fn syn_received_duplicate_syn_resends_syn_ack() {
    let (mut h, iss) = syn_received();
    h.send(h.seg(Flags::SYN, IRS, 0));
    let mut want = h.ours(Flags::SYN | Flags::ACK, iss, IRS + 1, 8192);
    want.options = mss_only();
    h.expect(want);
}

#[test]
fn syn_received_rst_returns_to_listen() {
    let (mut h, _) = syn_received();
    h.send(h.seg(Flags::RST, IRS + 1, 0));
    h.expect_nothing();
    assert_eq!(h.stack.connection_count(), 0);
    assert_eq!(h.stack.state(h.listener.unwrap()), State::Listen);
    // The listener still answers.
    h.send(h.seg(Flags::SYN, IRS + 5000, 0));
    assert_eq!(h.one().flags, Flags::SYN | Flags::ACK);
}

#[test]
fn syn_received_retransmits_syn_ack_on_timeout() {
    let (mut h, iss) = syn_received();
    h.advance(Duration::from_secs(1));
    let s = h.one();
    assert_eq!(
        (s.flags, s.seq, s.ack),
        (Flags::SYN | Flags::ACK, iss, IRS + 1)
    );
}

// ---- ESTABLISHED -------------------------------------------------------------------

#[test]
fn established_data_is_acked_and_delivered() {
    let mut h = Harness::established(plain());
    let mut d = h.seg(Flags::ACK | Flags::PSH, IRS + 1, h.our(1));
    d.payload = b"hello".to_vec();
    h.send(d);
    h.expect(h.ours(Flags::ACK, h.our(1), IRS + 6, 8192 - 5));
    assert_eq!(h.stack.recv_all(h.sock.unwrap()).unwrap(), b"hello");
}

#[test]
fn established_duplicate_data_is_acked_and_delivered_once() {
    let mut h = Harness::established(plain());
    let mut d = h.seg(Flags::ACK, IRS + 1, h.our(1));
    d.payload = b"once".to_vec();
    h.send(d.clone());
    h.recv();
    h.send(d);
    h.expect(h.ours(Flags::ACK, h.our(1), IRS + 5, 8192 - 4));
    assert_eq!(h.stack.recv_all(h.sock.unwrap()).unwrap(), b"once");
}

#[test]
fn established_exact_rst_resets() {
    let mut h = Harness::established(plain());
    h.send(h.seg(Flags::RST, IRS + 1, 0));
    h.expect_nothing();
    assert_eq!(h.state(), State::Closed);
    assert!(h
        .stack
        .events()
        .contains(&(h.sock.unwrap(), Event::Error(Error::Reset))));
}

#[test]
fn established_in_window_rst_gets_challenge_ack_rfc5961() {
    let mut h = Harness::established(plain());
    h.send(h.seg(Flags::RST, IRS + 100, 0));
    h.expect(h.ours(Flags::ACK, h.our(1), IRS + 1, 8192));
    assert_eq!(h.state(), State::Established);
}

#[test]
fn established_out_of_window_rst_is_ignored() {
    let mut h = Harness::established(plain());
    h.send(h.seg(Flags::RST, IRS + 1_000_000, 0));
    h.send(h.seg(Flags::RST, IRS - 10, 0));
    h.expect_nothing();
    assert_eq!(h.state(), State::Established);
}

#[test]
fn established_syn_gets_challenge_ack_rfc5961() {
    let mut h = Harness::established(plain());
    h.send(h.seg(Flags::SYN, IRS + 10, 0));
    h.expect(h.ours(Flags::ACK, h.our(1), IRS + 1, 8192));
    h.send(h.seg(Flags::SYN, IRS + 900_000, 0));
    h.expect(h.ours(Flags::ACK, h.our(1), IRS + 1, 8192));
    assert_eq!(h.state(), State::Established);
}

#[test]
fn established_ack_of_unsent_data_is_answered_and_its_data_dropped() {
    let mut h = Harness::established(plain());
    let mut d = h.seg(Flags::ACK, IRS + 1, h.our(500));
    d.payload = b"bogus".to_vec();
    h.send(d);
    h.expect(h.ours(Flags::ACK, h.our(1), IRS + 1, 8192));
    assert_eq!(h.stack.connection(h.sock.unwrap()).unwrap().recv_queue(), 0);
}

#[test]
fn established_blind_data_injection_with_old_ack_gets_challenge_ack() {
    let mut h = Harness::established(plain());
    let mut d = h.seg(Flags::ACK, IRS + 1, h.our(1).wrapping_sub(200_000));
    d.payload = b"evil".to_vec();
    h.send(d);
    h.expect(h.ours(Flags::ACK, h.our(1), IRS + 1, 8192));
    assert_eq!(h.stack.connection(h.sock.unwrap()).unwrap().recv_queue(), 0);
}

#[test]
fn established_segment_without_ack_is_dropped() {
    let mut h = Harness::established(plain());
    let mut d = h.seg(Flags::PSH, IRS + 1, 0);
    d.payload = b"noack".to_vec();
    h.send(d);
    h.expect_nothing();
    assert_eq!(h.stack.connection(h.sock.unwrap()).unwrap().recv_queue(), 0);
}

#[test]
fn established_fin_moves_to_close_wait_and_we_keep_sending() {
    let mut h = Harness::established(plain());
    let sock = h.sock.unwrap();
    h.send(h.seg(Flags::FIN | Flags::ACK, IRS + 1, h.our(1)));
    h.expect(h.ours(Flags::ACK, h.our(1), IRS + 2, 8192));
    assert_eq!(h.state(), State::CloseWait);
    assert!(h.stack.events().contains(&(sock, Event::PeerClosed)));
    // CLOSE-WAIT carrying data: our direction is still open.
    h.stack.send(sock, b"still talking").unwrap();
    let mut d = h.ours(Flags::ACK | Flags::PSH, h.our(1), IRS + 2, 8192);
    d.payload = b"still talking".to_vec();
    h.expect(d);
    h.send(h.seg(Flags::ACK, IRS + 2, h.our(14)));
    h.stack.close(sock).unwrap();
    h.expect(h.ours(Flags::FIN | Flags::ACK, h.our(14), IRS + 2, 8192));
    assert_eq!(h.state(), State::LastAck);
    h.send(h.seg(Flags::ACK, IRS + 2, h.our(15)));
    h.expect_nothing();
    assert_eq!(h.state(), State::Closed);
    assert_eq!(h.stack.connection_count(), 0, "closed and released: freed");
}

#[test]
fn abort_sends_rst_and_closes() {
    let mut h = Harness::established(plain());
    h.stack.abort(h.sock.unwrap()).unwrap();
    h.expect(h.ours(Flags::RST, h.our(1), 0, 0));
    assert_eq!(h.state(), State::Closed);
    // Later segments of that connection find a closed port.
    h.send(h.seg(Flags::ACK, IRS + 1, h.our(1)));
    h.expect(h.ours(Flags::RST, h.our(1), 0, 0));
}

// ---- FIN-WAIT-1, FIN-WAIT-2, CLOSING, TIME-WAIT, LAST-ACK ---------------------------

#[test]
fn fin_wait_1_ack_of_fin_goes_to_fin_wait_2_and_half_close_still_receives() {
    let mut h = Harness::established(plain());
    let sock = h.sock.unwrap();
    h.stack.shutdown(sock).unwrap();
    h.expect(h.ours(Flags::FIN | Flags::ACK, h.our(1), IRS + 1, 8192));
    assert_eq!(h.state(), State::FinWait1);
    h.send(h.seg(Flags::ACK, IRS + 1, h.our(2)));
    h.expect_nothing();
    assert_eq!(h.state(), State::FinWait2);
    let mut d = h.seg(Flags::ACK | Flags::PSH, IRS + 1, h.our(2));
    d.payload = b"more".to_vec();
    h.send(d);
    h.expect(h.ours(Flags::ACK, h.our(2), IRS + 5, 8192 - 4));
    assert_eq!(h.stack.recv_all(sock).unwrap(), b"more");
    assert_eq!(h.state(), State::FinWait2);
    h.send(h.seg(Flags::FIN | Flags::ACK, IRS + 5, h.our(2)));
    h.expect(h.ours(Flags::ACK, h.our(2), IRS + 6, 8192));
    assert_eq!(h.state(), State::TimeWait);
}

#[test]
fn fin_wait_1_fin_with_ack_of_our_fin_goes_straight_to_time_wait() {
    let mut h = Harness::established(plain());
    h.stack.shutdown(h.sock.unwrap()).unwrap();
    h.recv();
    h.send(h.seg(Flags::FIN | Flags::ACK, IRS + 1, h.our(2)));
    h.expect(h.ours(Flags::ACK, h.our(2), IRS + 2, 8192));
    assert_eq!(h.state(), State::TimeWait);
}

#[test]
fn simultaneous_close_goes_through_closing() {
    let mut h = Harness::established(plain());
    h.stack.shutdown(h.sock.unwrap()).unwrap();
    h.expect(h.ours(Flags::FIN | Flags::ACK, h.our(1), IRS + 1, 8192));
    // The peer's FIN crosses ours: it does not ack our FIN yet.
    h.send(h.seg(Flags::FIN | Flags::ACK, IRS + 1, h.our(1)));
    h.expect(h.ours(Flags::ACK, h.our(2), IRS + 2, 8192));
    assert_eq!(h.state(), State::Closing);
    h.send(h.seg(Flags::ACK, IRS + 2, h.our(2)));
    h.expect_nothing();
    assert_eq!(h.state(), State::TimeWait);
}

#[test]
fn fin_wait_1_retransmits_fin_until_acked() {
    let mut h = Harness::established(plain());
    h.stack.shutdown(h.sock.unwrap()).unwrap();
    let fin = h.ours(Flags::FIN | Flags::ACK, h.our(1), IRS + 1, 8192);
    h.expect(fin.clone());
    h.advance(Duration::from_secs(1));
    h.expect(fin);
}

#[test]
fn last_ack_retransmits_fin_and_closes_on_its_ack() {
    let mut h = Harness::established(plain());
    h.send(h.seg(Flags::FIN | Flags::ACK, IRS + 1, h.our(1)));
    h.recv();
    h.stack.close(h.sock.unwrap()).unwrap();
    let fin = h.ours(Flags::FIN | Flags::ACK, h.our(1), IRS + 2, 8192);
    h.expect(fin.clone());
    h.advance(Duration::from_secs(1));
    h.expect(fin);
    assert_eq!(h.state(), State::LastAck);
    h.send(h.seg(Flags::ACK, IRS + 2, h.our(2)));
    assert_eq!(h.state(), State::Closed);
}

#[test]
fn time_wait_acks_a_retransmitted_fin_and_lasts_two_msl() {
    let cfg = Config {
        msl: Duration::from_secs(5),
        ..plain()
    };
    let mut h = Harness::established(cfg);
    h.stack.shutdown(h.sock.unwrap()).unwrap();
    h.recv();
    h.send(h.seg(Flags::FIN | Flags::ACK, IRS + 1, h.our(2)));
    let ack = h.ours(Flags::ACK, h.our(2), IRS + 2, 8192);
    h.expect(ack.clone());
    assert_eq!(h.state(), State::TimeWait);
    h.advance(Duration::from_secs(4));
    // Our ACK was lost: the peer sends its FIN again, we answer and restart 2 MSL.
    h.send(h.seg(Flags::FIN | Flags::ACK, IRS + 1, h.our(2)));
    h.expect(ack);
    h.advance(Duration::from_millis(9_999));
    h.expect_nothing();
    assert_eq!(h.state(), State::TimeWait);
    h.advance(Duration::from_millis(1));
    h.expect_nothing();
    assert_eq!(h.state(), State::Closed);
}

#[test]
fn time_wait_rst_closes() {
    let mut h = Harness::established(plain());
    h.stack.shutdown(h.sock.unwrap()).unwrap();
    h.recv();
    h.send(h.seg(Flags::FIN | Flags::ACK, IRS + 1, h.our(2)));
    h.recv();
    h.send(h.seg(Flags::RST, IRS + 2, 0));
    assert_eq!(h.state(), State::Closed);
}

#[test]
fn state_names_are_printed_as_rfc_9293_writes_them() {
    let names: Vec<&str> = [
        State::Closed,
        State::Listen,
        State::SynSent,
        State::SynReceived,
        State::Established,
        State::FinWait1,
        State::FinWait2,
        State::CloseWait,
        State::Closing,
        State::LastAck,
        State::TimeWait,
    ]
    .iter()
    .map(|s| s.name())
    .collect();
    assert_eq!(
        names,
        [
            "CLOSED",
            "LISTEN",
            "SYN-SENT",
            "SYN-RECEIVED",
            "ESTABLISHED",
            "FIN-WAIT-1",
            "FIN-WAIT-2",
            "CLOSE-WAIT",
            "CLOSING",
            "LAST-ACK",
            "TIME-WAIT"
        ]
    );
}

#[test]
fn established_fin_carrying_data_delivers_it_and_acks_the_fin() {
    let mut h = Harness::established(plain());
    let mut d = h.seg(Flags::FIN | Flags::PSH | Flags::ACK, IRS + 1, h.our(1));
    d.payload = b"bye".to_vec();
    h.send(d);
    h.expect(h.ours(Flags::ACK, h.our(1), IRS + 5, 8192 - 3));
    assert_eq!(h.state(), State::CloseWait);
    assert_eq!(h.stack.recv_all(h.sock.unwrap()).unwrap(), b"bye");
}

// ---- every synchronized state against RST and SYN ------------------------------------

/// A connection driven into `want` by the scripted peer; returns the harness and the
/// peer's next sequence number (RCV.NXT as we see it).
fn in_state(want: State) -> (Harness, u32) {
    let mut h = Harness::established(plain());
    let sock = h.sock.unwrap();
    let fin = |h: &Harness, ack: u32| h.seg(Flags::FIN | Flags::ACK, IRS + 1, ack);
    let rcv_nxt = match want {
        State::Established => IRS + 1,
        State::FinWait1 => {
            h.stack.shutdown(sock).unwrap();
            IRS + 1
        }
        State::FinWait2 => {
            h.stack.shutdown(sock).unwrap();
            h.recv();
            h.send(h.seg(Flags::ACK, IRS + 1, h.our(2)));
            IRS + 1
        }
        State::CloseWait => {
            h.send(fin(&h, h.our(1)));
            IRS + 2
        }
        State::Closing => {
            h.stack.shutdown(sock).unwrap();
            h.recv();
            h.send(fin(&h, h.our(1)));
            IRS + 2
        }
        State::LastAck => {
            h.send(fin(&h, h.our(1)));
            h.recv();
            h.stack.shutdown(sock).unwrap();
            IRS + 2
        }
        State::TimeWait => {
            h.stack.shutdown(sock).unwrap();
            h.recv();
            h.send(fin(&h, h.our(2)));
            IRS + 2
        }
        other => panic!("not a synchronized state: {other}"),
    };
    h.recv();
    let _ = h.stack.events();
    assert_eq!(h.state(), want);
    (h, rcv_nxt)
}

const SYNCHRONIZED: [State; 7] = [
    State::Established,
    State::FinWait1,
    State::FinWait2,
    State::CloseWait,
    State::Closing,
    State::LastAck,
    State::TimeWait,
];

#[test]
fn exact_rst_closes_every_synchronized_state_with_the_rfc_error() {
    for st in SYNCHRONIZED {
        let (mut h, rcv_nxt) = in_state(st);
        h.send(h.seg(Flags::RST, rcv_nxt, 0));
        h.expect_nothing();
        assert_eq!(h.state(), State::Closed, "RST in {st}");
        let err = h.stack.connection(h.sock.unwrap()).and_then(|c| c.error());
        // RFC 9293 §3.10.7.4: the user is told of a reset in ESTABLISHED, FIN-WAIT-1,
        // FIN-WAIT-2 and CLOSE-WAIT; CLOSING, LAST-ACK and TIME-WAIT just close.
        let told = matches!(
            st,
            State::Established | State::FinWait1 | State::FinWait2 | State::CloseWait
        );
        assert_eq!(
            err,
            if told { Some(Error::Reset) } else { None },
            "error after RST in {st}"
        );
    }
}

#[test]
fn in_window_rst_and_any_syn_get_a_challenge_ack_in_every_synchronized_state() {
    for st in SYNCHRONIZED {
        let (mut h, rcv_nxt) = in_state(st);
        h.send(h.seg(Flags::RST, rcv_nxt + 10, 0));
        let ack = h.one();
        assert_eq!(
            (ack.flags, ack.ack),
            (Flags::ACK, rcv_nxt),
            "challenge ACK for RST in {st}"
        );
        h.send(h.seg(Flags::SYN, rcv_nxt + 10, 0));
        let ack = h.one();
        assert_eq!(
            (ack.flags, ack.ack),
            (Flags::ACK, rcv_nxt),
            "challenge ACK for SYN in {st}"
        );
        assert_eq!(h.state(), st, "{st} unchanged");
    }
}

#[test]
fn challenge_acks_are_rate_limited_rfc5961_section_7() {
    let mut h = Harness::established(plain());
    let mut answered = 0;
    for i in 0..50 {
        h.send(h.seg(Flags::RST, IRS + 100 + i, 0));
        answered += h.recv().len();
    }
    assert_eq!(
        answered,
        tcpip_host::tcp::connection::CHALLENGE_ACK_LIMIT as usize
    );
    // A second later the budget is back.
    h.advance(Duration::from_secs(1));
    h.send(h.seg(Flags::SYN, IRS + 7, 0));
    assert_eq!(h.recv().len(), 1);
    assert_eq!(h.state(), State::Established);
}
