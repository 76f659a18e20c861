//! `tcpip demo`: the whole TCP/IP story through the simulated board, as a ladder diagram.
//!
//! Two computers share one Ethernet cable. On the left, a client in software (its own
//! TCP engine, wrapping segments in IPv4 and Ethernet itself). On the right, the board:
//! the FPGA design simulated clock by clock (Ethernet, ARP, ping, IPv4, checksums in
//! hardware) with the host's TCP engine behind its link. The client resolves the
//! board's MAC (ARP, answered by the hardware), pings it (answered by the hardware),
//! opens a connection (3-way handshake), sends three segments that the wire delivers
//! out of order (1, 3, 2: the board asks again from 2 with a duplicate ACK), gets data
//! back, half-closes (the board keeps sending from CLOSE-WAIT), and both sides finish
//! the 4-way close, the client through TIME-WAIT. Time is the board's own clock.

use crate::cli::{BackendArg, BadInput};
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;
use tcpip_host::link::SimLink;
use tcpip_host::netstack::{Session, SessionConfig};
use tcpip_host::peer::{self, Received};
use tcpip_host::tcp::{Config as TcpConfig, Direction, SocketId, Stack, State, Time, Tracer};
use tcpip_sim::board::{DEFAULT_IP, DEFAULT_MAC};
use tcpip_sim::pcap::{write_frames, CapturedFrame};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Write every frame on the wire (both directions) to this pcap for Wireshark.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Write the board's ports, clock by clock, to this VCD for a waveform viewer.
    #[arg(long, value_name = "FILE")]
    pub vcd: Option<PathBuf>,
    /// Seeds the initial sequence numbers (the same seed gives the same run).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Which model of the hardware runs (default: verilator when built).
    #[arg(long, value_enum)]
    pub backend: Option<crate::cli::BackendArg>,
}

const CLIENT_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const CLIENT_IP: [u8; 4] = [192, 0, 2, 1];
const CLIENT_PORT: u16 = 40000;
const SERVER_PORT: u16 = 7;
/// The client's segments are kept small so one write makes three of them.
const CLIENT_MSS: u16 = 16;

fn ip(a: [u8; 4]) -> String {
    format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])
}

fn mac(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A 16-byte secret from the seed (splitmix64), for the RFC 6528 ISN hash.
fn secret(seed: u64, side: u64) -> [u8; 16] {
    let mut x = seed ^ side.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut out = [0u8; 16];
    for chunk in out.chunks_mut(8) {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out
}

/// Both computers, the wire between them, and what the demo prints and records.
struct World<'a> {
    link: SimLink,
    board: Session,
    client: Stack,
    tracer: Tracer,
    out: &'a mut dyn Write,
    wire: Vec<CapturedFrame>,
    client_conn: Option<SocketId>,
    board_listener: SocketId,
    board_conn: Option<SocketId>,
    /// Client frames kept off the wire (to deliver them out of order).
    held: Vec<Vec<u8>>,
    hold_data: bool,
}

impl World<'_> {
    /// The board's clock, in microseconds: 100 clocks each.
    fn now(&mut self) -> Time {
        Time(self.link.board().cycles() / 100)
    }

    fn states(&mut self) -> (State, State) {
        let a = self
            .client_conn
            .map_or(State::Closed, |c| self.client.state(c));
        // Before accept, the connection the listener is building (SYN-RECEIVED).
        let listener = self.board_listener;
        let b = match self.board_conn {
            Some(c) => self.board.stack().state(c),
            None => {
                let stack = self.board.stack();
                let pending = stack
                    .sockets()
                    .into_iter()
                    .find(|&s| s != listener && stack.state(s) != State::Listen);
                stack.state(pending.unwrap_or(listener))
            }
        };
        (a, b)
    }

    fn note(&mut self, what: &str) -> anyhow::Result<()> {
        let now = self.now();
        let (a, b) = self.states();
        writeln!(self.out, "{}", self.tracer.note(now, a, b, what))?;
        Ok(())
    }

    fn record(&mut self, frame: &[u8]) {
        let timestamp = Duration::from_nanos(self.link.board().cycles() * 10);
        self.wire.push(CapturedFrame {
            timestamp,
            data: frame.to_vec(),
        });
    }

    /// A client frame onto the wire and into the board's PHY.
    fn client_sends(&mut self, frame: Vec<u8>) -> anyhow::Result<()> {
        self.record(&frame);
        self.link.board().push_frame(&frame);
        let now = self.now();
        let (a, b) = self.states();
        let line = match peer::parse(&frame) {
            Received::Arp { target_ip, .. } => Tracer::arrow(
                now,
                Direction::AtoB,
                &format!("ARP who-has {} tell {}", ip(target_ip), ip(CLIENT_IP)),
                a,
                b,
                false,
            ),
            Received::Echo {
                id, seq, payload, ..
            } => Tracer::arrow(
                now,
                Direction::AtoB,
                &format!("ICMP echo request id={id} seq={seq} len={}", payload.len()),
                a,
                b,
                false,
            ),
            // TCP lines are printed once the board has taken the segment in.
            _ => return Ok(()),
        };
        writeln!(self.out, "{line}")?;
        Ok(())
    }

    /// Runs everything until nothing moves: the board's hardware, the host session
    /// behind it, the client, and the wire between them.
    fn settle(&mut self) -> anyhow::Result<()> {
        for _ in 0..10_000 {
            let mut moved = false;
            // Client segments due (retransmissions, ACKs, data).
            let now = self.now();
            for seg in self.client.poll(now) {
                let frame = peer::tcp_frame(CLIENT_MAC, DEFAULT_MAC, &seg);
                if self.hold_data && !seg.payload.is_empty() {
                    self.held.push(frame);
                } else {
                    self.deliver_to_board(frame)?;
                }
                moved = true;
            }
            // The board: hardware until idle, then the host's session.
            self.link.settle();
            let now = self.now();
            self.board.receive(&mut self.link, now)?;
            self.accept();
            let now = self.now();
            self.board.transmit(&mut self.link, now)?;
            self.link.settle();
            let now = self.now();
            self.board.receive(&mut self.link, now)?;
            for frame in self.link.board().take_frames() {
                self.client_receives(frame)?;
                moved = true;
            }
            if !moved && !self.link.board().busy() {
                return Ok(());
            }
        }
        anyhow::bail!("the demo did not settle")
    }

    fn accept(&mut self) {
        if self.board_conn.is_none() {
            if let Ok(Some(c)) = self.board.stack().accept(self.board_listener) {
                self.board_conn = Some(c);
            }
        }
    }

    /// A TCP segment from the client reaches the board; the ladder shows it with the
    /// states after the board's host has handled it.
    fn deliver_to_board(&mut self, frame: Vec<u8>) -> anyhow::Result<()> {
        self.record(&frame);
        self.link.board().push_frame(&frame);
        self.link.settle();
        let now = self.now();
        self.board.receive(&mut self.link, now)?;
        self.accept();
        if let Received::Tcp { segment, .. } = peer::parse(&frame) {
            let (a, b) = self.states();
            let line = self
                .tracer
                .line(now, Direction::AtoB, &segment, a, b, false);
            writeln!(self.out, "{line}")?;
        }
        Ok(())
    }

    /// A frame the board sent reaches the client.
    fn client_receives(&mut self, frame: Vec<u8>) -> anyhow::Result<()> {
        self.record(&frame);
        let now = self.now();
        let label = match peer::parse(&frame) {
            Received::Arp {
                op: 2,
                sender_mac,
                sender_ip,
                ..
            } => {
                format!("ARP {} is-at {} [hardware]", ip(sender_ip), mac(sender_mac))
            }
            Received::Echo {
                reply: true,
                id,
                seq,
                payload,
                checksum_ok,
                ..
            } => format!(
                "ICMP echo reply id={id} seq={seq} len={}{} [hardware]",
                payload.len(),
                if checksum_ok { "" } else { " BAD CHECKSUM" }
            ),
            Received::Tcp { segment, .. } => {
                self.client.receive(&segment, now);
                let (a, b) = self.states();
                let line = self
                    .tracer
                    .line(now, Direction::BtoA, &segment, a, b, false);
                writeln!(self.out, "{line}")?;
                return Ok(());
            }
            other => format!("{other:?}"),
        };
        let (a, b) = self.states();
        writeln!(
            self.out,
            "{}",
            Tracer::arrow(now, Direction::BtoA, &label, a, b, false)
        )?;
        Ok(())
    }

    fn board_sends(&mut self, data: &[u8]) -> anyhow::Result<()> {
        let c = self.board_conn.context("the board has no connection")?;
        self.board
            .stack()
            .send(c, data)
            .map_err(|e| anyhow::anyhow!("board send: {e:?}"))?;
        Ok(())
    }
}

pub fn run(args: &DemoArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let backend = BackendArg::resolve(args.backend)?;
    let mut link = SimLink::new(backend).map_err(|e| BadInput(format!("{e:#}")))?;
    if let Some(path) = &args.vcd {
        link.board()
            .trace_to(path)
            .map_err(|e| BadInput(format!("{e:#}")))?;
    }
    let mut cfg = SessionConfig::new(DEFAULT_MAC, DEFAULT_IP, 24);
    cfg.isn_secret = secret(args.seed, 2);
    let mut board = Session::start(cfg, &mut link, Duration::from_secs(10), Time::ZERO)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let board_listener = board
        .stack()
        .listen(SERVER_PORT, 4)
        .map_err(|e| anyhow::anyhow!("listen: {e:?}"))?;
    let client_cfg = TcpConfig {
        mss: CLIENT_MSS,
        ..TcpConfig::default()
    };
    let client = Stack::new(CLIENT_IP, secret(args.seed, 1), client_cfg);
    let mut w = World {
        link,
        board,
        client,
        tracer: Tracer::new(),
        out,
        wire: vec![],
        client_conn: None,
        board_listener,
        board_conn: None,
        held: vec![],
        hold_data: false,
    };

    writeln!(
        w.out,
        "tcpip demo: a client in software and the board ({backend} model of the FPGA + host TCP) on one Ethernet wire\n"
    )?;
    let header = w.tracer.header(
        &format!("client {}", ip(CLIENT_IP)),
        &format!("board {}:{SERVER_PORT}", ip(DEFAULT_IP)),
    );
    writeln!(w.out, "{header}")?;
    w.note("link: ARP resolves the board's MAC; the FPGA answers on its own")?;
    w.client_sends(peer::arp_request(CLIENT_MAC, CLIENT_IP, DEFAULT_IP))?;
    w.settle()?;
    w.note("internet: ping; the FPGA answers on its own")?;
    w.client_sends(peer::echo_request(
        CLIENT_MAC,
        CLIENT_IP,
        DEFAULT_MAC,
        DEFAULT_IP,
        1,
        1,
        b"tcpip-fpga demo ping 0123456789",
    ))?;
    w.settle()?;

    w.note("transport: 3-way handshake (SYN with a random ISN, SYN,ACK acks ISN+1, ACK)")?;
    let now = w.now();
    let conn = w
        .client
        .connect_from(CLIENT_PORT, (DEFAULT_IP, SERVER_PORT), now)
        .map_err(|e| anyhow::anyhow!("connect: {e:?}"))?;
    w.client_conn = Some(conn);
    w.settle()?;
    let client_isn = w.client.connection(conn).map(|c| c.iss());
    let board_isn = w
        .board_conn
        .and_then(|c| w.board.stack().connection(c).map(|c| c.iss()));
    if let (Some(a), Some(b)) = (client_isn, board_isn) {
        w.note(&format!(
            "ISNs: client {a}, board {b}; SYN,ACK carried ack={} = client ISN+1",
            a.wrapping_add(1)
        ))?;
    }

    w.note("client writes 48 bytes: three segments; the wire delivers 1, 3, 2")?;
    w.hold_data = true;
    w.client
        .send(conn, b"segment one, ")
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    w.client
        .send(conn, b"segment two, ")
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    w.client
        .send(conn, b"segment three!\n")
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    w.settle()?;
    w.hold_data = false;
    let held = std::mem::take(&mut w.held);
    let order: Vec<usize> = if held.len() == 3 {
        vec![0, 2, 1]
    } else {
        (0..held.len()).collect()
    };
    for k in order {
        w.deliver_to_board(held[k].clone())?;
        w.settle()?;
    }
    let got = w
        .board_conn
        .map(|c| w.board.stack().recv_all(c).unwrap_or_default())
        .unwrap_or_default();
    w.note(&format!(
        "the board's host reads {} bytes, in order: {:?}",
        got.len(),
        String::from_utf8_lossy(&got).trim_end()
    ))?;

    w.note("the board answers")?;
    w.board_sends(b"hello, client\n")?;
    w.settle()?;
    let read = w.client.recv_all(conn).unwrap_or_default();
    w.note(&format!(
        "client reads {:?}",
        String::from_utf8_lossy(&read).trim_end()
    ))?;

    w.note("client half-closes: FIN; the board may still send (CLOSE-WAIT)")?;
    w.client
        .shutdown(conn)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    w.settle()?;
    w.board_sends(b"still sending\n")?;
    w.settle()?;
    let read = w.client.recv_all(conn).unwrap_or_default();
    w.note(&format!(
        "client reads {:?} in FIN-WAIT-2",
        String::from_utf8_lossy(&read).trim_end()
    ))?;
    w.note("the board closes: FIN, ACK; the client waits in TIME-WAIT")?;
    let bc = w.board_conn.context("no board connection")?;
    w.board
        .stack()
        .close(bc)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    w.settle()?;
    // TIME-WAIT lasts 2 MSL; jump the client's clock past it.
    let later = w.now() + Duration::from_secs(61);
    w.client.poll(later);
    let (a, b) = (w.client.state(conn), w.board.stack().state(bc));
    writeln!(
        w.out,
        "{}",
        w.tracer.note(later, a, b, "2 MSL later: TIME-WAIT over")
    )?;

    let counters = w
        .board
        .counters(&mut w.link, Duration::from_secs(5), later)?;
    let shown: Vec<String> = counters
        .iter()
        .filter(|(n, v)| *v != 0 && !n.starts_with("host_"))
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    let cycles = w.link.board().cycles();
    writeln!(
        w.out,
        "\nboard: {cycles} clocks simulated ({:.2} ms at 100 MHz), {} frames on the wire; counters: {}",
        cycles as f64 / 1e5,
        w.wire.len(),
        shown.join(" ")
    )?;
    if let Some(path) = &args.pcap {
        write_frames(path, &w.wire).map_err(|e| BadInput(e.to_string()))?;
        writeln!(w.out, "wire written to {}", path.display())?;
    }
    if let Some(path) = &args.vcd {
        w.link.board().end_trace();
        writeln!(w.out, "waveform written to {}", path.display())?;
    }
    Ok(())
}
