//! Property tests: whatever segments arrive, in whatever order, with whatever flags,
//! numbers, windows and options, the engine does not panic, and the bytes it
//! delivers are always an in-order prefix of what the honest peer sent.

mod tcp_harness;

use proptest::prelude::*;
use std::time::Duration;
use tcp_harness::*;
use tcpip_host::tcp::{Config, Flags, Segment, State, TcpOptions};

/// The peer's byte stream: byte `o` of the stream, for any 32-bit offset.
fn stream_byte(o: u32) -> u8 {
    (o.wrapping_mul(31) ^ (o >> 9)) as u8
}

#[derive(Clone, Debug)]
enum Step {
    Segment {
        flags: u8,
        /// Sequence offset from the peer's first data byte.
        seq_off: u32,
        ack_off: u32,
        window: u16,
        options: TcpOptions,
        len: usize,
    },
    Wait(u64),
    AppSend(usize),
    AppRead,
    AppShutdown,
}

fn options() -> impl Strategy<Value = TcpOptions> {
    (
        proptest::option::of(any::<u16>()),
        proptest::option::of(any::<u8>()),
        any::<bool>(),
        proptest::option::of(any::<(u32, u32)>()),
        proptest::collection::vec(any::<(u32, u32)>(), 0..4),
    )
        .prop_map(
            |(mss, window_scale, sack_permitted, timestamps, sack_blocks)| TcpOptions {
                mss,
                window_scale,
                sack_permitted,
                timestamps,
                sack_blocks,
            },
        )
}

fn near_or_any() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => 0u32..20_000,
        1 => (0u32..3000).prop_map(|x| x.wrapping_neg()),
        1 => any::<u32>(),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (any::<u8>(), near_or_any(), near_or_any(), any::<u16>(), options(), 0usize..1600).prop_map(
            |(flags, seq_off, ack_off, window, options, len)| Step::Segment { flags, seq_off, ack_off, window, options, len }
        ),
        // Mostly-valid data segments keep the stream moving so delivery gets exercised.
        6 => (0u32..12_000, 1usize..1460).prop_map(|(seq_off, len)| Step::Segment {
            flags: Flags::ACK.0, seq_off, ack_off: 0, window: 8192, options: TcpOptions::default(), len
        }),
        1 => (0u64..5_000).prop_map(Step::Wait),
        1 => (0usize..5000).prop_map(Step::AppSend),
        2 => Just(Step::AppRead),
        1 => Just(Step::AppShutdown),
    ]
}

fn run(cfg: Config, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let mut h = Harness::established(cfg);
    let sock = h.sock.unwrap();
    let mut delivered: Vec<u8> = Vec::new();
    for st in steps {
        match st {
            Step::Segment {
                flags,
                seq_off,
                ack_off,
                window,
                options,
                len,
            } => {
                let seq = IRS.wrapping_add(1).wrapping_add(seq_off);
                let mut s = h.seg(Flags(flags), seq, h.our(1).wrapping_add(ack_off));
                s.window = window;
                s.options = options;
                // A SYN occupies the first sequence number; its data starts after it.
                let first = seq_off.wrapping_add(Flags(flags).syn() as u32);
                s.payload = (0..len as u32)
                    .map(|i| stream_byte(first.wrapping_add(i)))
                    .collect();
                h.send(s);
            }
            Step::Wait(ms) => h.advance(Duration::from_millis(ms)),
            Step::AppSend(n) => {
                let _ = h.stack.send(sock, &vec![9u8; n]);
            }
            Step::AppRead => {
                if let Ok(v) = h.stack.recv_all(sock) {
                    delivered.extend(v);
                }
            }
            Step::AppShutdown => {
                let _ = h.stack.shutdown(sock);
            }
        }
        for out in h.recv() {
            prop_assert!(out.payload.len() <= 1460, "segment larger than the MSS");
            prop_assert_eq!(out.src_addr, US);
        }
        let _ = h.stack.events();
    }
    if let Ok(v) = h.stack.recv_all(sock) {
        delivered.extend(v);
    }
    let honest: Vec<u8> = (0..delivered.len() as u32).map(stream_byte).collect();
    prop_assert!(
        delivered == honest,
        "delivered bytes are not a prefix of the peer's stream"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_segments_never_panic_or_corrupt_delivery(steps in proptest::collection::vec(step(), 1..80)) {
        run(plain(), steps)?;
    }

    #[test]
    fn same_with_window_scaling_and_sack(steps in proptest::collection::vec(step(), 1..80)) {
        run(Config { window_scale: true, sack: true, rx_buffer: 100_000, ..plain() }, steps)?;
    }

    #[test]
    fn arbitrary_bytes_as_a_packet_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut h = Harness::established(plain());
        let l = h.stack.listen(81, 2).unwrap();
        let _ = Segment::parse_tcp(PEER, US, &bytes);
        if let Ok(s) = Segment::parse_ipv4(&bytes) {
            h.send(s);
        }
        // Force a valid checksum so the header fields themselves get exercised.
        let mut tcp = bytes.clone();
        if tcp.len() >= 20 {
            tcp[16] = 0;
            tcp[17] = 0;
            let c = tcpip_host::tcp::segment::transport_checksum(PEER, US, 6, &tcp);
            tcp[16..18].copy_from_slice(&c.to_be_bytes());
            if let Ok(s) = Segment::parse_tcp(PEER, US, &tcp) {
                h.send(s);
            }
        }
        h.recv();
        prop_assert!(h.stack.state(l) == State::Listen);
    }

    #[test]
    fn emit_then_parse_is_identity(
        seq in any::<u32>(), ack in any::<u32>(), flags in any::<u8>(), window in any::<u16>(),
        urgent in any::<u16>(), mss in proptest::option::of(any::<u16>()),
        ws in proptest::option::of(any::<u8>()), sack_ok in any::<bool>(),
        blocks in proptest::collection::vec(any::<(u32, u32)>(), 0..4),
        payload in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut s = Segment::new((PEER, 1), (US, 2));
        s.seq = seq; s.ack = ack; s.flags = Flags(flags); s.window = window; s.urgent = urgent;
        // Options space is 40 bytes: with MSS, WS and SACK-permitted (12 bytes) at most
        // three SACK blocks fit; emit keeps as many as fit.
        let fit = blocks.len().min(3);
        s.options = TcpOptions { mss, window_scale: ws, sack_permitted: sack_ok, timestamps: None, sack_blocks: blocks[..fit].to_vec() };
        s.payload = payload;
        let parsed = Segment::parse_ipv4(&s.emit_ipv4());
        prop_assert_eq!(parsed, Ok(s));
    }
}

/// Two of our engines over a wire that drops and delays segments at random: both byte
/// streams arrive exactly and both sides end CLOSED (TIME-WAIT having expired).
fn lossy_pair(seed: u64, loss: u32, a_len: usize, b_len: usize) -> Result<(), TestCaseError> {
    use rand::{Rng, SeedableRng};
    // Generous retries and a low RTO ceiling: this property is about delivery, and
    // a run of losses must not end the connection (the retry limit has its own test).
    let cfg = Config {
        msl: Duration::from_millis(200),
        min_rto: Duration::from_millis(50),
        max_rto: Duration::from_secs(2),
        max_retries: 40,
        sack: true,
        ..plain()
    };
    let mut p = Pair::new(cfg, cfg);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut rng2 = rand::rngs::StdRng::seed_from_u64(seed ^ 0x55);
    p.drop = Box::new(move |_, _| rng.gen_range(0..100) < loss);
    p.hold = Box::new(move |_, _| Duration::from_micros(rng2.gen_range(0..8000)));
    let l = p.b.listen(80, 1).unwrap();
    let a = p.a.connect((B_ADDR, 80), p.now).unwrap();
    let a_data: Vec<u8> = (0..a_len as u32).map(stream_byte).collect();
    let b_data: Vec<u8> = (0..b_len as u32).map(|i| stream_byte(i ^ 0xabcd)).collect();
    let (mut a_sent, mut b_sent, mut a_got, mut b_got) = (0, 0, Vec::new(), Vec::new());
    let mut b = None;
    let (mut a_closed, mut b_closed) = (false, false);
    for _ in 0..36_000 {
        p.run_for(Duration::from_millis(100));
        if b.is_none() {
            b = p.b.accept(l).unwrap();
        }
        if a_sent < a_len {
            a_sent += p.a.send(a, &a_data[a_sent..]).unwrap_or(0);
        } else if !a_closed && p.a.state(a) != State::SynSent {
            p.a.shutdown(a).unwrap();
            a_closed = true;
        }
        a_got.extend(p.a.recv_all(a).unwrap_or_default());
        if let Some(b) = b {
            if b_sent < b_len {
                b_sent += p.b.send(b, &b_data[b_sent..]).unwrap_or(0);
            } else if !b_closed {
                p.b.shutdown(b).unwrap();
                b_closed = true;
            }
            b_got.extend(p.b.recv_all(b).unwrap_or_default());
            if a_closed
                && b_closed
                && p.a.state(a) == State::Closed
                && p.b.state(b) == State::Closed
            {
                prop_assert!(a_got == b_data, "A got {} of {} bytes", a_got.len(), b_len);
                prop_assert!(b_got == a_data, "B got {} of {} bytes", b_got.len(), a_len);
                return Ok(());
            }
        }
    }
    prop_assert!(
        false,
        "did not finish: A {} B {:?}",
        p.a.state(a),
        b.map(|b| p.b.state(b))
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn two_engines_over_a_lossy_reordering_wire_deliver_exactly_and_close(
        seed in any::<u64>(), loss in 0u32..20, a_len in 0usize..100_000, b_len in 0usize..100_000,
    ) {
        lossy_pair(seed, loss, a_len, b_len)?;
    }
}
