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
        .prop_map(|(mss, window_scale, sack_permitted, timestamps, sack_blocks)| TcpOptions {
            mss,
            window_scale,
            sack_permitted,
            timestamps,
            sack_blocks,
        })
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
            Step::Segment { flags, seq_off, ack_off, window, options, len } => {
                let seq = IRS.wrapping_add(1).wrapping_add(seq_off);
                let mut s = h.seg(Flags(flags), seq, h.our(1).wrapping_add(ack_off));
                s.window = window;
                s.options = options;
                // A SYN occupies the first sequence number; its data starts after it.
                let first = seq_off.wrapping_add(Flags(flags).syn() as u32);
                s.payload = (0..len as u32).map(|i| stream_byte(first.wrapping_add(i))).collect();
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
    prop_assert!(delivered == honest, "delivered bytes are not a prefix of the peer's stream");
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
