//! `tcpip serve` and `tcpip connect`: a board session on wall time, with the
//! simulated board's Ethernet port bridged to a Linux TAP device so that the kernel's
//! own TCP (nc, curl) is the peer.
//!
//! One loop drives everything: frames from the TAP go into the board (through the
//! fault injector), the session handles what the board reports, the application runs,
//! the session hands the board what to send, and the board's frames go out to the TAP.
//! The simulated board runs a slice of clocks a turn (in the session's receive step),
//! so frames and answers go in while earlier ones still cross its link. Between turns,
//! when the board is idle, it sleeps until the TAP has a frame or the engine's next
//! deadline.

use crate::cli::{bad, BackendArg, BadInput};
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tcpip_host::apps::{AppKind, Pipe, Server};
use tcpip_host::link::{Link, LinkSpec, SerialLink};
use tcpip_host::netstack::{Session, SessionConfig};
use tcpip_host::tcp::Time;

/// A board whose Ethernet port this program drives: the simulated board, or the
/// software stand-in. Its link is the host's usual [`Link`].
pub trait EthernetBoard {
    fn link(&mut self) -> &mut dyn Link;
    /// An Ethernet frame (destination MAC .. payload, no FCS) arriving at the port.
    fn push_frame(&mut self, frame: &[u8]);
    /// Frames the board transmitted since the last call.
    fn take_frames(&mut self) -> Vec<Vec<u8>>;
    /// Whether the board is still working on what it was given.
    fn busy(&self) -> bool;
    /// A new turn of the loop: the board may run another slice of clocks.
    fn next_turn(&mut self);
    /// Clocks simulated, and of those evaluated (where idle ones are skipped).
    fn clocks(&mut self) -> (u64, Option<u64>);
}

impl EthernetBoard for tcpip_host::link::sim::SimLink {
    fn link(&mut self) -> &mut dyn Link {
        self
    }
    fn push_frame(&mut self, frame: &[u8]) {
        self.board().push_frame(frame)
    }
    fn take_frames(&mut self) -> Vec<Vec<u8>> {
        self.board().take_frames()
    }
    fn busy(&self) -> bool {
        tcpip_host::link::sim::SimLink::busy(self)
    }
    fn next_turn(&mut self) {
        tcpip_host::link::sim::SimLink::next_turn(self)
    }
    fn clocks(&mut self) -> (u64, Option<u64>) {
        let board = self.board();
        (board.cycles(), board.evaluated())
    }
}

/// Clocks the simulated board runs a turn of the loop at most, unpaced and paced.
/// Short enough that the host's answers and Linux's next segments go in while the
/// earlier ones still cross the link (a full-size segment takes ~1,200 clocks there
/// unpaced, ~150,000 at 4 Mbaud), so the link is not left idle waiting for a turn.
const SLICE_CLOCKS: u64 = 256;
const PACED_SLICE_CLOCKS: u64 = 20_000;

fn simulated_board(
    backend: tcpip_sim::backend::Backend,
    paced: bool,
) -> anyhow::Result<Box<dyn EthernetBoard>> {
    let mut link = tcpip_host::link::sim::SimLink::paced(backend, paced)?;
    let slice = if paced {
        PACED_SLICE_CLOCKS
    } else {
        SLICE_CLOCKS
    };
    link.set_slice(Some(slice));
    Ok(Box::new(link))
}

/// How to reach the board, and the wire to its Ethernet port.
#[derive(Args, Debug)]
pub struct LinkArgs {
    /// sim[@BAUD]: the simulated board (with a rate, its link paced as its UART
    /// carries it at that rate); serial:PATH[@BAUD]: a real board on a serial port.
    /// BAUD is 4000000 (the default, the board's rate from power-up) or 12000000,
    /// which the session selects on the board with its Config.
    #[arg(
        long,
        default_value = "sim",
        value_name = "sim[@BAUD]|serial:PATH[@BAUD]"
    )]
    pub link: String,
    /// Bridge the simulated board's Ethernet port to this TAP device (created if missing).
    #[arg(long, value_name = "IFNAME")]
    pub tap: Option<String>,
    /// The board's address and prefix length, as 192.0.2.2/24.
    #[arg(long, value_name = "A/LEN")]
    pub ip: String,
    /// The board's MAC address.
    #[arg(long, default_value = "02:00:00:00:00:02", value_name = "MAC")]
    pub mac: String,
    /// Probability that a frame on the TAP wire is dropped (each direction).
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pub loss: f64,
    /// Probability that a frame on the TAP wire is delivered after the next one.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pub reorder: f64,
    /// Seed for the loss and reordering draws (and the ISN secret).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Which model of the hardware the simulated board runs.
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub wire: LinkArgs,
    /// The application to serve.
    #[arg(long, value_enum)]
    pub app: AppKind,
    /// The TCP port it listens on.
    #[arg(long)]
    pub port: u16,
}

#[derive(Args, Debug)]
pub struct ConnectArgs {
    #[command(flatten)]
    pub wire: LinkArgs,
    /// The peer, as A.B.C.D:PORT.
    #[arg(value_name = "HOST:PORT")]
    pub target: String,
}

/// `A/LEN` as address and prefix length.
pub fn parse_cidr(text: &str) -> Result<([u8; 4], u8), BadInput> {
    let bad = || {
        BadInput(format!(
            "--ip {text} is not an IPv4 address with a prefix length (write it as 192.0.2.2/24)."
        ))
    };
    let (a, len) = text.split_once('/').ok_or_else(bad)?;
    let ip: std::net::Ipv4Addr = a.parse().map_err(|_| bad())?;
    let len: u8 = len.parse().map_err(|_| bad())?;
    if len == 0 || len > 32 {
        return Err(bad());
    }
    Ok((ip.octets(), len))
}

/// Drops and reorders frames on one direction of the wire, from a seeded generator.
pub struct FaultyWire {
    loss: f64,
    reorder: f64,
    rng: StdRng,
    /// A frame held back to go after the next one, and since when.
    held: Option<(Vec<u8>, Instant)>,
    pub dropped: u64,
    pub reordered: u64,
}

/// A held frame goes out alone if no other frame comes to overtake it by then.
const HOLD_LIMIT: Duration = Duration::from_millis(5);

impl FaultyWire {
    pub fn new(loss: f64, reorder: f64, seed: u64) -> FaultyWire {
        FaultyWire {
            loss,
            reorder,
            rng: StdRng::seed_from_u64(seed),
            held: None,
            dropped: 0,
            reordered: 0,
        }
    }

    /// The frames to deliver now, given one arriving.
    pub fn pass(&mut self, frame: Vec<u8>, now: Instant, out: &mut Vec<Vec<u8>>) {
        if self.loss > 0.0 && self.rng.gen_bool(self.loss) {
            self.dropped += 1;
            return;
        }
        if self.held.is_none() && self.reorder > 0.0 && self.rng.gen_bool(self.reorder) {
            self.reordered += 1;
            self.held = Some((frame, now));
            return;
        }
        out.push(frame);
        if let Some((h, _)) = self.held.take() {
            out.push(h);
        }
    }

    /// Releases a held frame that waited long enough.
    pub fn tick(&mut self, now: Instant, out: &mut Vec<Vec<u8>>) {
        if self
            .held
            .as_ref()
            .is_some_and(|(_, t)| now.duration_since(*t) >= HOLD_LIMIT)
        {
            out.extend(self.held.take().map(|(f, _)| f));
        }
    }
}

/// A TAP device, non-blocking.
struct Tap {
    iface: tun_tap::Iface,
    buf: Vec<u8>,
}

impl Tap {
    fn open(name: &str) -> anyhow::Result<Tap> {
        // Linux's rule (dev_valid_name); tun-tap would silently cut a long name.
        let valid = !name.is_empty()
            && name.len() <= 15
            && name != "."
            && name != ".."
            && !name.contains(|c: char| c == '/' || c == ':' || c.is_whitespace());
        if !valid {
            return bad(format!(
                "cannot create or open TAP device {name}: interface names are 1 to 15 characters without '/', ':' or spaces."
            ));
        }
        let iface = tun_tap::Iface::without_packet_info(name, tun_tap::Mode::Tap)
            .or_else(|e| bad(format!("cannot create or open TAP device {name}: {e}.")))?;
        let fd = iface.as_raw_fd();
        // SAFETY: fcntl on a descriptor we own; no memory is passed.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
        Ok(Tap {
            iface,
            buf: vec![0; 65536],
        })
    }

    fn read_all(&mut self, out: &mut Vec<Vec<u8>>) -> anyhow::Result<()> {
        loop {
            match self.iface.recv(&mut self.buf) {
                Ok(n) => out.push(self.buf[..n].to_vec()),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Ok(()),
                Err(e) => anyhow::bail!("cannot read from TAP device {}: {e}.", self.iface.name()),
            }
        }
    }

    fn write(&mut self, frame: &[u8]) {
        // A full or down interface drops the frame, as a wire would.
        let _ = self.iface.send(frame);
    }

    /// Waits until a frame can be read, at most `timeout`.
    fn wait(&self, timeout: Duration) {
        let mut pfd = libc::pollfd {
            fd: self.iface.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.as_millis().min(1000) as libc::c_int;
        // SAFETY: one valid pollfd for the duration of the call.
        unsafe {
            libc::poll(&mut pfd, 1, ms);
        }
    }
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// SIGINT and SIGTERM end the loop cleanly (exit status 0).
fn catch_signals() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
}

/// Where the session's link goes. One per process, so its size does not matter.
#[allow(clippy::large_enum_variant)]
enum Wire {
    Board {
        board: Box<dyn EthernetBoard>,
        tap: Option<Tap>,
        inbound: FaultyWire,
        outbound: FaultyWire,
    },
    Serial(SerialLink),
}

impl Wire {
    fn link(&mut self) -> &mut dyn Link {
        match self {
            Wire::Board { board, .. } => board.link(),
            Wire::Serial(s) => s,
        }
    }
}

/// The session, its wire and the clock: one turn of the loop at a time.
struct Runtime {
    session: Session,
    wire: Wire,
    start: Instant,
    frames: Vec<Vec<u8>>,
    pub description: String,
}

impl Runtime {
    fn open(args: &LinkArgs) -> anyhow::Result<Runtime> {
        let (ip, prefix_len) = parse_cidr(&args.ip)?;
        let mac = crate::replay::parse_mac(&args.mac)?;
        for (name, p) in [("--loss", args.loss), ("--reorder", args.reorder)] {
            if !(0.0..=1.0).contains(&p) {
                return bad(format!("{name} {p} is not a probability between 0 and 1."));
            }
        }
        let choice: LinkSpec = args
            .link
            .parse()
            .map_err(|e| BadInput(format!("--link {e}.")))?;
        let seed = args.seed.unwrap_or_else(|| rand::thread_rng().gen());
        let mut cfg = SessionConfig::new(mac, ip, prefix_len);
        cfg.link_rate = choice.rate();
        StdRng::seed_from_u64(seed ^ 0x5eed).fill(&mut cfg.isn_secret);
        let (wire, description) = match choice {
            LinkSpec::Serial { path, rate } => {
                if args.tap.is_some() {
                    return bad(
                        "--tap bridges the simulated board's Ethernet port; a real board has its own (use --link sim)."
                            .into(),
                    );
                }
                let link = SerialLink::open(&path, rate).or_else(|e| {
                    if std::path::Path::new(&path).exists() {
                        Err(e)
                    } else {
                        bad(e.to_string())
                    }
                })?;
                (Wire::Serial(link), format!("serial:{path}"))
            }
            LinkSpec::Sim { rate } => {
                let backend = BackendArg::resolve(args.backend)?;
                // The TAP first: a bad name is bad input, found before any slow start.
                let tap = args.tap.as_deref().map(Tap::open).transpose()?;
                let board: Box<dyn EthernetBoard> = simulated_board(backend, rate.is_some())?;
                let description = match &tap {
                    Some(t) => t.iface.name().to_string(),
                    None => "the simulated board (no Ethernet peer)".to_string(),
                };
                (
                    Wire::Board {
                        board,
                        tap,
                        inbound: FaultyWire::new(args.loss, args.reorder, seed),
                        outbound: FaultyWire::new(args.loss, args.reorder, seed.wrapping_add(1)),
                    },
                    description,
                )
            }
        };
        let mut rt = Runtime {
            session: tcpip_host::netstack::Session::new(cfg.clone()),
            wire,
            start: Instant::now(),
            frames: Vec::new(),
            description,
        };
        let now = rt.now();
        rt.session = Session::start(cfg, rt.link(), Duration::from_secs(3), now)?;
        Ok(rt)
    }

    fn now(&self) -> Time {
        Time(self.start.elapsed().as_micros() as u64)
    }

    fn link(&mut self) -> &mut dyn Link {
        self.wire.link()
    }

    /// Frames from the TAP into the board, and the session's receive step.
    fn receive(&mut self) -> anyhow::Result<()> {
        let wall = Instant::now();
        if let Wire::Board {
            board,
            tap,
            inbound,
            ..
        } = &mut self.wire
        {
            board.next_turn();
            if let Some(tap) = tap {
                let mut raw = Vec::new();
                tap.read_all(&mut raw)?;
                for f in raw {
                    inbound.pass(f, wall, &mut self.frames);
                }
                inbound.tick(wall, &mut self.frames);
                for f in self.frames.drain(..) {
                    board.push_frame(&f);
                }
            }
        }
        let now = self.now();
        let Runtime { session, wire, .. } = self;
        let link = wire.link();
        session.receive(link, now)
    }

    /// The session's transmit step, the board's answers, and its frames to the TAP.
    fn transmit(&mut self) -> anyhow::Result<()> {
        let now = self.now();
        let Runtime { session, wire, .. } = self;
        let link = wire.link();
        session.transmit(link, now)?;
        if let Wire::Board {
            board,
            tap,
            outbound,
            ..
        } = &mut self.wire
        {
            let wall = Instant::now();
            let mut out = Vec::new();
            for f in board.take_frames() {
                outbound.pass(f, wall, &mut out);
            }
            outbound.tick(wall, &mut out);
            if let Some(tap) = tap {
                for f in &out {
                    tap.write(f);
                }
            }
        }
        Ok(())
    }

    /// Sleeps until there may be work: a frame, a board message, or a deadline.
    fn wait(&mut self, max: Duration) -> anyhow::Result<()> {
        let now = self.now();
        let mut timeout = match self.session.poll_at() {
            Some(t) => t.since(now),
            None => max,
        }
        .min(max);
        let held = matches!(&self.wire, Wire::Board { inbound, outbound, .. }
            if inbound.held.is_some() || outbound.held.is_some());
        if held {
            timeout = timeout.min(HOLD_LIMIT);
        }
        if matches!(&self.wire, Wire::Board { board, .. } if board.busy()) {
            // The board's next slice is the wait.
            return Ok(());
        }
        let now = self.now();
        match &mut self.wire {
            Wire::Board { tap: Some(tap), .. } => tap.wait(timeout),
            Wire::Board { tap: None, .. } => std::thread::sleep(timeout),
            Wire::Serial(s) => {
                self.session.wait(s, timeout, now)?;
            }
        }
        Ok(())
    }

    /// Lets the simulated board finish what it was given (it runs in slices, so it may
    /// still hold a frame or a message), handling what it reports, so that the counters
    /// read next count every frame that went in.
    fn settle(&mut self) -> anyhow::Result<()> {
        let now = self.now();
        if let Wire::Board { board, .. } = &mut self.wire {
            while self
                .session
                .wait(board.link(), Duration::from_secs(1), now)?
            {}
        }
        Ok(())
    }

    /// Prints every counter, the board's and the host's, zeros included, so that what
    /// was lost shows. A board that does not answer still leaves the host's.
    fn print_counters(&mut self) -> anyhow::Result<()> {
        let now = self.now();
        let Runtime { session, wire, .. } = self;
        let mut rows = match session.counters(wire.link(), Duration::from_secs(2), now) {
            Ok(rows) => rows,
            Err(e) => {
                eprintln!("tcpip: no board counters: {e}");
                session.host_named_counters()
            }
        };
        if let Wire::Board { board, .. } = wire {
            // What the simulation cost: every clock the board ran, and those the model
            // evaluated (it skips clocks where nothing moves).
            let (clocks, evaluated) = board.clocks();
            rows.push(("sim_clocks".into(), clocks));
            if let Some(e) = evaluated {
                rows.push(("sim_clocks_evaluated".into(), e));
            }
        }
        let mut out = std::io::stdout().lock();
        let printed = writeln!(out, "counters:")
            .and_then(|()| crate::stats_cmd::write_table(&mut out, &rows, true))
            .and_then(|()| out.flush());
        match printed {
            // Nobody reads stdout any more (`tcpip serve | head -1`): nothing was lost.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            r => Ok(r?),
        }
    }
}

/// `tcpip serve`: runs until SIGINT or SIGTERM, then prints the counters (also when
/// the loop fails: the counters say what was lost before).
pub fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    catch_signals();
    let mut rt = Runtime::open(&args.wire)?;
    let mut server = Server::listen(rt.session.stack(), args.app, args.port)
        .map_err(|e| BadInput(format!("cannot listen on port {}: {e}.", args.port)))?;
    let ip = std::net::Ipv4Addr::from(rt.session.config().ip);
    println!(
        "serving {} on {ip}:{} via {}",
        args.app.name(),
        args.port,
        rt.description
    );
    std::io::stdout().flush()?;
    let mut run = || -> anyhow::Result<()> {
        while !STOP.load(Ordering::SeqCst) {
            rt.receive()?;
            server.run(rt.session.stack());
            rt.transmit()?;
            rt.wait(Duration::from_millis(50))?;
        }
        Ok(())
    };
    let result = run().and_then(|()| rt.settle());
    let printed = rt.print_counters();
    result.and(printed)
}

/// `tcpip connect`: standard input to the peer, the peer to standard output.
pub fn connect(args: &ConnectArgs) -> anyhow::Result<()> {
    let target: std::net::SocketAddrV4 = args.target.parse().or_else(|_| {
        bad(format!(
            "{} is not an IPv4 address and port (write it as 192.0.2.1:7).",
            args.target
        ))
    })?;
    catch_signals();
    let mut rt = Runtime::open(&args.wire)?;
    let now = rt.now();
    let id = rt
        .session
        .stack()
        .connect((target.ip().octets(), target.port()), now)?;
    let mut pipe = Pipe::new(id);
    let (tx, rx) = mpsc::channel::<Option<Vec<u8>>>();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0; 16 * 1024];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(None);
                    return;
                }
                Ok(n) => {
                    if tx.send(Some(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let mut stdout = std::io::stdout().lock();
    let mut input_open = true;
    while !STOP.load(Ordering::SeqCst) {
        rt.receive()?;
        while input_open && pipe.backlog() < 256 * 1024 {
            match rx.try_recv() {
                Ok(Some(data)) => pipe.write(&data),
                Ok(None) | Err(mpsc::TryRecvError::Disconnected) => {
                    input_open = false;
                    pipe.finish();
                }
                Err(mpsc::TryRecvError::Empty) => break,
            }
        }
        pipe.run(rt.session.stack());
        let events = rt.session.stack().events();
        let out = pipe.take_output();
        if !out.is_empty() {
            stdout.write_all(&out)?;
            stdout.flush()?;
        }
        if let Some(e) = pipe.error_in(&events) {
            anyhow::bail!("connection to {target}: {e}.");
        }
        rt.transmit()?;
        if pipe.is_done(rt.session.stack()) {
            // Our last ACK must reach the wire before we go.
            for _ in 0..3 {
                rt.receive()?;
                rt.transmit()?;
                rt.settle()?;
            }
            return rt.transmit();
        }
        rt.wait(Duration::from_millis(if input_open { 5 } else { 50 }))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(parse_cidr("192.0.2.2/24").unwrap(), ([192, 0, 2, 2], 24));
        for b in [
            "192.0.2.2",
            "192.0.2.2/33",
            "192.0.2.2/0",
            "x/24",
            "192.0.2.2/a",
        ] {
            assert!(parse_cidr(b).is_err(), "{b}");
        }
    }

    #[test]
    fn faulty_wire_is_seeded_and_loses_about_what_it_is_told() {
        let run = |seed| {
            let mut w = FaultyWire::new(0.1, 0.1, seed);
            let now = Instant::now();
            let mut out = Vec::new();
            for i in 0..10_000u32 {
                w.pass(i.to_be_bytes().to_vec(), now, &mut out);
            }
            w.tick(now + HOLD_LIMIT, &mut out);
            (out, w.dropped, w.reordered)
        };
        let (a, dropped, reordered) = run(1);
        assert_eq!(a, run(1).0, "same seed, same faults");
        assert_ne!(a, run(2).0);
        assert!((800..1200).contains(&dropped), "{dropped}");
        assert!((600..1000).contains(&reordered), "{reordered}");
        assert_eq!(
            a.len() as u64,
            10_000 - dropped,
            "nothing lost but the drops"
        );
        let mut sorted = a.clone();
        sorted.sort();
        assert_ne!(sorted, a, "some frames out of order");
    }
}
