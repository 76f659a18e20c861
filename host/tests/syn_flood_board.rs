//! The listener under a SYN flood, through the simulated board: forged SYNs and a
//! real client's handshake, as frames built here (not Linux's TCP), through the whole
//! board design and the link into a host session.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Duration;
use tcpip_host::link::sim::SimLink;
use tcpip_host::netstack::{Session, SessionConfig};
use tcpip_host::peer::{parse, tcp_frame, Received};
use tcpip_host::tcp::{Flags, Segment, State, Time};
use tcpip_sim::backend::Backend;

const MAC: [u8; 6] = [2, 0, 0, 0, 0, 2];
const IP: [u8; 4] = [192, 0, 2, 2];
const CLIENT_MAC: [u8; 6] = [2, 0, 0, 0, 0, 9];
const CLIENT: ([u8; 4], u16) = ([192, 0, 2, 9], 40000);
/// Small, so a short flood through the (slow) simulated board overflows it.
const HALF_OPEN: usize = 8;

fn syn(from: ([u8; 4], u16), to: [u8; 4]) -> Segment {
    let mut s = Segment::new(from, (to, 80));
    s.seq = 1000;
    s.flags = Flags::SYN;
    s.window = 65535;
    s
}

/// The TCP segments the board put on the wire since the last call.
fn wire_segments(link: &mut SimLink) -> Vec<Segment> {
    link.board()
        .take_frames()
        .iter()
        .filter_map(|f| match parse(f) {
            Received::Tcp { segment, .. } => Some(segment),
            _ => None,
        })
        .collect()
}

struct Bench {
    link: SimLink,
    session: Session,
    rng: StdRng,
    forged: u64,
}

impl Bench {
    fn new() -> Bench {
        let mut link = SimLink::new(Backend::from_env().unwrap()).unwrap();
        let mut cfg = SessionConfig::new(MAC, IP, 24);
        cfg.tcp.max_half_open = HALF_OPEN;
        let session = Session::start(cfg, &mut link, Duration::from_secs(5), Time::ZERO).unwrap();
        Bench {
            link,
            session,
            rng: StdRng::seed_from_u64(19),
            forged: 0,
        }
    }

    /// One frame onto the board's wire, and the session until the board has sent
    /// the answers: at 1,000 SYNs a second the 4 Mbaud link carries each SYN and its
    /// SYN,ACK well within the millisecond between them (about 60 bytes each way).
    fn push(&mut self, from_mac: [u8; 6], seg: &Segment, now: Time) {
        self.link.board().push_frame(&tcp_frame(from_mac, MAC, seg));
        for _ in 0..100 {
            self.session.poll(&mut self.link, now).unwrap();
            if !self.session.has_pending() {
                return;
            }
        }
        panic!("the session still has segments for the board after 100 turns");
    }

    /// A SYN from a random address of the subnet and a random port, never completed.
    fn forge(&mut self, now: Time) {
        let from = (
            [192, 0, 2, self.rng.gen_range(10..=250)],
            self.rng.gen_range(1024..=65535),
        );
        let mac = [2, 0xee, 0, 0, 0, from.0[3]];
        self.push(mac, &syn(from, IP), now);
        self.forged += 1;
    }
}

#[test]
fn a_client_completes_its_handshake_during_a_syn_flood() {
    let mut b = Bench::new();
    // A backlog smaller than the flood: half-open connections must not count in it.
    let listener = b.session.stack().listen(80, 16).unwrap();
    // A forged SYN every millisecond: five times the half-open bound before the client.
    let mut ms = 0;
    while ms < 5 * HALF_OPEN as u64 {
        b.forge(Time::from_millis(ms));
        ms += 1;
    }
    wire_segments(&mut b.link);
    let client_syn_at = Time::from_millis(ms);
    b.push(CLIENT_MAC, &syn(CLIENT, IP), client_syn_at);
    let synack = wire_segments(&mut b.link)
        .into_iter()
        .find(|s| (s.dst_addr, s.dst_port) == CLIENT && s.flags == Flags::SYN | Flags::ACK)
        .expect("the client's SYN is answered during the flood");
    // The flood goes on while the SYN,ACK travels (fewer than the bound, so the
    // client's entry is not the oldest when it matters).
    for _ in 0..HALF_OPEN / 2 {
        ms += 1;
        b.forge(Time::from_millis(ms));
    }
    ms += 1;
    let mut ack = Segment::new(CLIENT, (IP, 80));
    ack.seq = 1001;
    ack.ack = synack.seq.wrapping_add(1);
    ack.flags = Flags::ACK;
    ack.window = 65535;
    let acked_at = Time::from_millis(ms);
    b.push(CLIENT_MAC, &ack, acked_at);
    let id = b
        .session
        .stack()
        .accept(listener)
        .unwrap()
        .expect("established");
    assert_eq!(b.session.stack().state(id), State::Established);
    assert!(acked_at - client_syn_at <= Duration::from_secs(1));

    let stack = b.session.stack();
    let half_open = stack.half_open_count();
    // Full to the bound, less the client's place, which it left by completing.
    assert_eq!(half_open, HALF_OPEN - 1);
    let c = stack.counters();
    assert_eq!(c.half_open_evicted, b.forged - half_open as u64);
    assert_eq!(c.syn_dropped, 0);
    // Every frame crossed the board and the link: none lost on the way.
    assert_eq!(b.session.host_counters().rx_tcp, b.forged + 2);
}

/// RFC 1122 4.2.3.10: a SYN to 255.255.255.255 (and to the broadcast MAC) must be
/// silently discarded. The board drops it in hardware, counted as tcp_not_unicast, so
/// the host never sees it and nothing answers. (RxTcp does not carry the destination,
/// so the host's own refusal of group destinations is proved in the engine's tests.)
#[test]
fn a_syn_to_the_broadcast_address_is_not_answered() {
    let mut b = Bench::new();
    b.session.stack().listen(80, 16).unwrap();
    let seg = syn(CLIENT, [255; 4]);
    b.link
        .board()
        .push_frame(&tcp_frame(CLIENT_MAC, [0xff; 6], &seg));
    for _ in 0..10 {
        b.session.poll(&mut b.link, Time::ZERO).unwrap();
    }
    assert_eq!(b.session.host_counters().rx_tcp, 0, "the board dropped it");
    assert_eq!(wire_segments(&mut b.link), vec![], "no SYN,ACK, no RST");
    let counters = b
        .session
        .counters(&mut b.link, Duration::from_secs(5), Time::ZERO)
        .unwrap();
    let count = |name: &str| counters.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    assert_eq!(count("tcp_not_unicast"), Some(1));
    assert_eq!(count("accepted_tcp"), Some(0));
}
