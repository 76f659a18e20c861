//! Test harnesses for the TCP engine.
//!
//! [`Harness`]: our stack against a scripted peer, smoltcp style: send it a segment,
//! expect exactly this answer, or expect nothing.
//! [`Pair`]: two of our stacks over a simulated wire, recording the ladder trace.
#![allow(dead_code)]

pub mod smol;

use std::time::Duration;
use tcpip_host::tcp::{
    Config, Direction, Flags, Segment, SocketId, Stack, State, TcpOptions, Time, Tracer,
};

pub const US: [u8; 4] = [10, 0, 0, 1];
pub const PEER: [u8; 4] = [10, 0, 0, 2];
pub const US_PORT: u16 = 80;
pub const PEER_PORT: u16 = 40000;
/// The scripted peer's ISN.
pub const IRS: u32 = 1_000_000;
pub const SECRET: [u8; 16] = *b"tcpip-fpga tests";

/// Plain options: no window scaling or SACK, so expected segments stay short.
pub fn plain() -> Config {
    Config {
        window_scale: false,
        sack: false,
        rx_buffer: 8192,
        tx_buffer: 8192,
        ..Config::default()
    }
}

pub struct Harness {
    pub stack: Stack,
    pub now: Time,
    /// Our ISN, once known.
    pub iss: u32,
    pub sock: Option<SocketId>,
    pub listener: Option<SocketId>,
}

impl Harness {
    pub fn new(cfg: Config) -> Harness {
        Harness {
            stack: Stack::new(US, SECRET, cfg),
            now: Time::from_millis(1),
            iss: 0,
            sock: None,
            listener: None,
        }
    }

    /// A segment from the peer: `seq` and `ack` are absolute.
    pub fn seg(&self, flags: Flags, seq: u32, ack: u32) -> Segment {
        let mut s = Segment::new((PEER, PEER_PORT), (US, US_PORT));
        s.flags = flags;
        s.seq = seq;
        s.ack = ack;
        s.window = 8192;
        s
    }

    /// A segment we are expected to send: `seq`/`ack` absolute, window as given.
    pub fn ours(&self, flags: Flags, seq: u32, ack: u32, window: u16) -> Segment {
        let mut s = Segment::new((US, US_PORT), (PEER, PEER_PORT));
        s.flags = flags;
        s.seq = seq;
        s.ack = ack;
        s.window = window;
        s
    }

    pub fn send(&mut self, s: Segment) {
        self.stack.receive(&s, self.now);
    }

    pub fn recv(&mut self) -> Vec<Segment> {
        self.stack.poll(self.now)
    }

    #[track_caller]
    pub fn expect(&mut self, want: Segment) {
        let got = self.recv();
        assert_eq!(got, vec![want], "expected exactly one segment");
    }

    #[track_caller]
    pub fn expect_nothing(&mut self) {
        let got = self.recv();
        assert!(got.is_empty(), "expected nothing, got {got:#?}");
    }

    /// One segment, whatever it is.
    #[track_caller]
    pub fn one(&mut self) -> Segment {
        let mut got = self.recv();
        assert_eq!(got.len(), 1, "expected one segment, got {got:#?}");
        got.remove(0)
    }

    pub fn advance(&mut self, d: Duration) {
        self.now = self.now + d;
    }

    pub fn state(&self) -> State {
        self.sock
            .map(|s| self.stack.state(s))
            .unwrap_or(State::Closed)
    }

    /// LISTEN on port 80 and complete a passive open with the scripted peer.
    pub fn established(cfg: Config) -> Harness {
        let opts = TcpOptions {
            mss: Some(1460),
            ..TcpOptions::default()
        };
        Harness::established_opts(cfg, opts)
    }

    /// As `established`, with the peer's SYN carrying `opts`.
    pub fn established_opts(cfg: Config, opts: TcpOptions) -> Harness {
        let mut h = Harness::listening(cfg, 4);
        let mut syn = h.seg(Flags::SYN, IRS, 0);
        syn.options = opts;
        h.send(syn);
        let synack = h.one();
        assert_eq!(synack.flags, Flags::SYN | Flags::ACK);
        assert_eq!(synack.ack, IRS + 1);
        h.iss = synack.seq;
        h.send(h.seg(Flags::ACK, IRS + 1, h.iss + 1));
        h.expect_nothing();
        let l = h.listener.unwrap();
        h.sock = h.stack.accept(l).unwrap();
        assert_eq!(h.state(), State::Established);
        h
    }

    pub fn listening(cfg: Config, backlog: usize) -> Harness {
        let mut h = Harness::new(cfg);
        h.listener = Some(h.stack.listen(US_PORT, backlog).unwrap());
        h
    }

    /// Active open towards the peer; returns after the SYN went out.
    pub fn syn_sent(cfg: Config) -> Harness {
        let mut h = Harness::new(cfg);
        let s = h
            .stack
            .connect_from(US_PORT, (PEER, PEER_PORT), h.now)
            .unwrap();
        h.sock = Some(s);
        let syn = h.one();
        assert_eq!(syn.flags, Flags::SYN);
        h.iss = syn.seq;
        assert_eq!(h.state(), State::SynSent);
        h
    }

    /// Our sequence number `n` bytes after the ISN.
    pub fn our(&self, n: u32) -> u32 {
        self.iss.wrapping_add(n)
    }
    /// The peer's sequence number `n` bytes after its ISN.
    pub fn their(&self, n: u32) -> u32 {
        IRS.wrapping_add(n)
    }
}

/// Two of our stacks over a wire with a fixed one-way delay, a drop filter and a
/// trace of every segment.
pub struct Pair {
    pub a: Stack,
    pub b: Stack,
    pub now: Time,
    pub delay: Duration,
    in_flight: Vec<(Time, u64, Direction, Segment)>,
    sent: u64,
    /// Called for every segment sent; true drops it.
    pub drop: DropFn,
    /// Called for every segment sent; returns extra delay (to reorder).
    pub hold: HoldFn,
    tracer: Tracer,
    pub trace: Vec<String>,
}

pub type DropFn = Box<dyn FnMut(Direction, &Segment) -> bool>;
pub type HoldFn = Box<dyn FnMut(Direction, &Segment) -> Duration>;

pub const A_ADDR: [u8; 4] = [10, 0, 0, 1];
pub const B_ADDR: [u8; 4] = [10, 0, 0, 2];

impl Pair {
    pub fn new(cfg_a: Config, cfg_b: Config) -> Pair {
        let tracer = Tracer::new();
        let header = tracer.header("A 10.0.0.1", "B 10.0.0.2");
        Pair {
            a: Stack::new(A_ADDR, *b"secret of side A", cfg_a),
            b: Stack::new(B_ADDR, *b"secret of side B", cfg_b),
            now: Time::ZERO,
            delay: Duration::from_millis(10),
            in_flight: Vec::new(),
            sent: 0,
            drop: Box::new(|_, _| false),
            hold: Box::new(|_, _| Duration::ZERO),
            tracer,
            trace: vec![header],
        }
    }

    /// The state to show for a side: its first connection, else its listener.
    fn side_state(stack: &Stack) -> State {
        let socks = stack.sockets();
        let states: Vec<State> = socks.iter().map(|s| stack.state(*s)).collect();
        states
            .iter()
            .copied()
            .find(|s| *s != State::Listen)
            .or(states.first().copied())
            .unwrap_or(State::Closed)
    }

    fn states(&self) -> (State, State) {
        (Pair::side_state(&self.a), Pair::side_state(&self.b))
    }

    fn send_out(&mut self) {
        for (dir, segs) in [
            (Direction::AtoB, self.a.poll(self.now)),
            (Direction::BtoA, self.b.poll(self.now)),
        ] {
            for s in segs {
                self.sent += 1;
                if (self.drop)(dir, &s) {
                    let (sa, sb) = self.states();
                    let line = self.tracer.line(self.now, dir, &s, sa, sb, true);
                    self.trace.push(line);
                    continue;
                }
                let extra = (self.hold)(dir, &s);
                self.in_flight
                    .push((self.now + self.delay + extra, self.sent, dir, s));
            }
        }
    }

    /// Run until `until`, or until nothing is left to do if `until` is None.
    pub fn run(&mut self, until: Option<Time>) {
        for _ in 0..100_000 {
            self.send_out();
            let next_wire = self.in_flight.iter().map(|(t, n, ..)| (*t, *n)).min();
            let next_timer = [self.a.poll_at(), self.b.poll_at()]
                .into_iter()
                .flatten()
                .min();
            let next = match (next_wire.map(|w| w.0), next_timer) {
                (Some(w), Some(t)) => w.min(t),
                (Some(w), None) => w,
                (None, Some(t)) => t,
                (None, None) => return,
            };
            let next = next.max(self.now);
            if let Some(u) = until {
                if next > u {
                    self.now = u;
                    return;
                }
            }
            self.now = next;
            if let Some((t, n)) = next_wire {
                if t <= self.now {
                    let i = self
                        .in_flight
                        .iter()
                        .position(|(_, m, ..)| *m == n)
                        .unwrap();
                    let (_, _, dir, s) = self.in_flight.remove(i);
                    match dir {
                        Direction::AtoB => self.b.receive(&s, self.now),
                        Direction::BtoA => self.a.receive(&s, self.now),
                    }
                    let (sa, sb) = self.states();
                    let line = self.tracer.line(self.now, dir, &s, sa, sb, false);
                    self.trace.push(line);
                }
            }
        }
        panic!("pair did not settle");
    }

    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        self.run(Some(until));
    }

    /// A line without a segment: an application call or a timer, with both states.
    pub fn mark(&mut self, what: &str) {
        let (sa, sb) = self.states();
        let line = self.tracer.note(self.now, sa, sb, what);
        self.trace.push(line);
    }

    pub fn trace_text(&self) -> String {
        self.trace.join("\n") + "\n"
    }
}
