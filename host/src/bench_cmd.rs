//! `tcpip bench`: the simulated board's throughput figures in one run.
//!
//! - Through a TAP device, with Linux's own TCP as the peer: a bulk transfer from Linux
//!   to the discard server (`nc -N`), and the same amount through the echo server and
//!   back, each timed, with Linux's retransmissions (`nstat` in the namespace: all of
//!   them, and how many were tail-loss probes, which repeat data that was not lost),
//!   the host's (`tcp_retransmitted`) and the board's `fifo_full` drops.
//! - The link-paced goodput at 4 and 12 Mbaud (see [`tcpip_sim::goodput`]): what share
//!   of the UART's payload capacity full-size segments get, in simulated time.
//!
//! Each TAP run gets a network namespace of its own (`tcpip-bench-<pid>-<n>`), made and
//! deleted here, with `tcpip serve` on a TAP device in it and 192.0.2.1/24 on the Linux
//! side: no traffic leaves the namespace. It needs root, `ip`, `nc` (netcat-openbsd)
//! and `nstat` (iproute2). A transfer that loses or changes a byte is an error, not a
//! figure.

use crate::cli::{bad, BackendArg};
use anyhow::{anyhow, bail, ensure, Context};
use clap::Args;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Instant;
use tcpip_host::apps::AppKind;
use tcpip_sim::backend::Backend;
use tcpip_sim::goodput::{paced_goodput, Goodput};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Bytes Linux sends to the discard server, and through the echo server.
    #[arg(long, default_value_t = 1 << 20)]
    pub bytes: usize,
    /// Full-size segments in each link-paced goodput run.
    #[arg(long, default_value_t = 100)]
    pub segments: usize,
    /// Which model of the hardware the simulated board runs (default: verilator when
    /// built).
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

const BOARD: &str = "192.0.2.2";
const LINUX: &str = "192.0.2.1";
/// The TAP figure the project aims at (TARGETS.md), KiB/s.
const TAP_GOAL_KIB_S: f64 = 1024.0;
/// The link-paced goodput goal, as a share of the UART's payload capacity.
const GOODPUT_GOAL: f64 = 0.9;

/// One TAP transfer's figures.
#[derive(Debug)]
struct Transfer {
    bytes: usize,
    seconds: f64,
    linux_retransmitted: u64,
    linux_loss_probes: u64,
    host_retransmitted: u64,
    fifo_full: u64,
    /// Clocks the board's model evaluated in the whole run (Verilator), the figure
    /// that does not depend on the machine's speed.
    evaluated: Option<u64>,
}

impl Transfer {
    fn kib_per_s(&self) -> f64 {
        self.bytes as f64 / 1024.0 / self.seconds
    }

    /// Clocks evaluated per byte sent (each way, for the echo).
    fn clocks_per_byte(&self) -> Option<f64> {
        self.evaluated.map(|e| e as f64 / self.bytes as f64)
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "bytes": self.bytes,
            "seconds": self.seconds,
            "kib_per_s": self.kib_per_s(),
            "linux_retransmitted": self.linux_retransmitted,
            "linux_loss_probes": self.linux_loss_probes,
            "host_retransmitted": self.host_retransmitted,
            "fifo_full": self.fifo_full,
            "clocks_evaluated": self.evaluated,
        })
    }
}

pub fn run(args: &BenchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let backend = BackendArg::resolve(args.backend)?;
    if args.bytes == 0 {
        return bad("--bytes 0 moves nothing to measure: give at least 1.".into());
    }
    if args.segments == 0 {
        return bad("--segments 0 moves nothing to measure: give at least 1.".into());
    }
    let bulk = tap_transfer(backend, AppKind::Discard, args.bytes)?;
    let echo = tap_transfer(backend, AppKind::Echo, args.bytes)?;
    let goodput = [false, true]
        .into_iter()
        .map(|fast| paced_goodput(backend, fast, args.segments))
        .collect::<anyhow::Result<Vec<Goodput>>>()?;
    if args.json {
        let rates: Vec<_> = goodput
            .iter()
            .map(|g| {
                serde_json::json!({
                    "baud": g.baud,
                    "segments": g.segments,
                    "payload_bytes": g.payload_bytes,
                    "link_bytes": g.link_bytes,
                    "clocks": g.clocks,
                    "bytes_per_s": g.bytes_per_second(),
                    "fraction": g.fraction(),
                })
            })
            .collect();
        let all = serde_json::json!({
            "backend": backend.to_string(),
            "bulk": bulk.json(),
            "echo": echo.json(),
            "goodput": rates,
        });
        writeln!(out, "{all}")?;
        return Ok(());
    }
    let goal = |met: bool| if met { "met" } else { "not met" };
    writeln!(
        out,
        "Linux's TCP through a TAP device to the simulated board ({backend}), {} KiB each:",
        args.bytes / 1024
    )?;
    writeln!(
        out,
        "  {:<16} {:>7} {:>8} {:>22} {:>14} {:>10} {:>13}",
        "transfer",
        "KiB/s",
        "seconds",
        "Linux retransmitted",
        "host retrans.",
        "fifo_full",
        "clocks/byte"
    )?;
    for (what, t) in [("bulk to discard", &bulk), ("echo, each way", &echo)] {
        writeln!(
            out,
            "  {what:<16} {:>7.0} {:>8.1} {:>22} {:>14} {:>10} {:>13}",
            t.kib_per_s(),
            t.seconds,
            format!(
                "{} ({} loss probes)",
                t.linux_retransmitted, t.linux_loss_probes
            ),
            t.host_retransmitted,
            t.fifo_full,
            t.clocks_per_byte()
                .map_or("-".to_string(), |c| format!("{c:.2}"))
        )?;
    }
    writeln!(
        out,
        "  (clocks/byte: the board's clocks the model evaluated in the run, per byte sent)"
    )?;
    let lossless = |t: &Transfer| t.linux_retransmitted + t.host_retransmitted + t.fifo_full == 0;
    writeln!(
        out,
        "  goal ≥ {TAP_GOAL_KIB_S:.0} KiB/s each, no retransmission: {}",
        goal(
            [&bulk, &echo]
                .iter()
                .all(|t| t.kib_per_s() >= TAP_GOAL_KIB_S && lossless(t))
        )
    )?;
    writeln!(out, "link-paced goodput, full-size segments wire → link:")?;
    for g in &goodput {
        writeln!(
            out,
            "  {:>2} Mbaud  {:.3} of the UART's payload capacity ({:.0} of {:.0} bytes/s; goal ≥ {GOODPUT_GOAL}: {})",
            g.baud / 1_000_000,
            g.fraction(),
            g.bytes_per_second(),
            g.capacity(),
            goal(g.fraction() >= GOODPUT_GOAL)
        )?;
    }
    Ok(())
}

/// The port `app` is served on here: its well-known one.
fn port_of(app: AppKind) -> u16 {
    match app {
        AppKind::Echo => 7,
        AppKind::Discard => 9,
        AppKind::Http => 80,
    }
}

/// A namespace with `tcpip serve` on a TAP device in it; both go away on drop.
struct Namespace {
    name: String,
    serve: Option<Child>,
    serve_out: Option<BufReader<ChildStdout>>,
}

impl Namespace {
    fn make() -> anyhow::Result<Namespace> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "tcpip-bench-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let made = Command::new("ip")
            .args(["netns", "add", &name])
            .output()
            .map_err(|e| {
                anyhow!("tcpip bench needs `ip` (iproute2) to make a network namespace: {e}.")
            })?;
        if !made.status.success() {
            bail!(
                "tcpip bench needs root to make a network namespace and a TAP device (ip netns add: {}).",
                String::from_utf8_lossy(&made.stderr).trim()
            );
        }
        Ok(Namespace {
            name,
            serve: None,
            serve_out: None,
        })
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }

    /// Runs a command in the namespace; its standard output, or an error naming it.
    fn exec(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = self
            .command(args[0])
            .args(&args[1..])
            .output()
            .with_context(|| format!("running {}", args[0]))?;
        ensure!(
            out.status.success(),
            "`{}` failed in the namespace: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `tcpip serve` with `app` on tap0, and the Linux side of the TAP configured.
    fn serve(&mut self, backend: Backend, app: AppKind) -> anyhow::Result<()> {
        let exe = std::env::current_exe().context("finding the tcpip executable")?;
        let port = port_of(app).to_string();
        let mut child = self
            .command(
                exe.to_str()
                    .context("the tcpip executable's path is not UTF-8")?,
            )
            .args(["serve", "--link", "sim", "--backend", &backend.to_string()])
            .args(["--tap", "tap0", "--ip", &format!("{BOARD}/24")])
            .args(["--app", app.name(), "--port", &port])
            .stdout(Stdio::piped())
            .spawn()
            .context("starting tcpip serve")?;
        let mut out = BufReader::new(child.stdout.take().context("serve's output")?);
        self.serve = Some(child);
        let mut line = String::new();
        out.read_line(&mut line)?;
        self.serve_out = Some(out);
        ensure!(
            line.starts_with("serving"),
            "tcpip serve did not start (it printed {:?})",
            line.trim_end()
        );
        self.exec(&["ip", "link", "set", "lo", "up"])?;
        self.exec(&["ip", "addr", "add", &format!("{LINUX}/24"), "dev", "tap0"])?;
        self.exec(&["ip", "link", "set", "tap0", "up"])?;
        Ok(())
    }

    /// Ends `tcpip serve` as a user does (SIGTERM) and returns the counters it printed.
    fn stop_serve(&mut self) -> anyhow::Result<String> {
        let mut child = self.serve.take().context("serve is not running")?;
        // `ip netns exec` execs tcpip, so the child is tcpip itself.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let status = child.wait()?;
        ensure!(
            status.success(),
            "tcpip serve ended with {status} on SIGTERM"
        );
        let mut rest = String::new();
        if let Some(mut out) = self.serve_out.take() {
            out.read_to_string(&mut rest)?;
        }
        Ok(rest)
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        if let Some(mut child) = self.serve.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// The value of `name` in `name value` lines.
fn value_of(text: &str, name: &str) -> anyhow::Result<u64> {
    text.lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some(name)).then(|| w.next()?.parse().ok())?
        })
        .ok_or_else(|| anyhow!("no {name} in {text:?}"))
}

/// Bytes that are not all alike, so a byte out of place shows.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// `bytes` from Linux's TCP to `app` on the simulated board and, for echo, back.
fn tap_transfer(backend: Backend, app: AppKind, bytes: usize) -> anyhow::Result<Transfer> {
    let mut ns = Namespace::make()?;
    ns.serve(backend, app)?;
    let sent = pattern(bytes);
    let data = sent.clone();
    let start = Instant::now();
    // A generous bound: the figure is a few hundred KiB/s on a busy machine.
    let limit = 60 + bytes / 16_384;
    let mut nc = ns
        .command("timeout")
        .args([
            &limit.to_string(),
            "nc",
            "-N",
            BOARD,
            &port_of(app).to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("starting nc (netcat-openbsd)")?;
    let mut stdin = nc.stdin.take().context("nc's input")?;
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let mut back = Vec::new();
    nc.stdout
        .take()
        .context("nc's output")?
        .read_to_end(&mut back)?;
    let written = writer
        .join()
        .map_err(|_| anyhow!("the writer to nc panicked"))?;
    let status = nc.wait()?;
    let seconds = start.elapsed().as_secs_f64();
    ensure!(
        status.success() && written.is_ok(),
        "nc to the {} server ended with {status} after {seconds:.0} s",
        app.name()
    );
    let nstat = ns.exec(&["nstat", "-asz", "TcpRetransSegs", "TcpExtTCPLossProbes"])?;
    let counters = ns.stop_serve()?;
    let received = value_of(&counters, "tcp_bytes_received")?;
    ensure!(
        received == bytes as u64,
        "the board's host received {received} of {bytes} bytes"
    );
    if app == AppKind::Echo {
        ensure!(
            back.len() == bytes,
            "the echo came back as {} bytes, not the {bytes} sent",
            back.len()
        );
        if let Some(k) = (0..bytes).find(|&k| back[k] != sent[k]) {
            bail!("the echo came back changed, from byte {k} on");
        }
    } else {
        ensure!(back.is_empty(), "discard answered {} bytes", back.len());
    }
    Ok(Transfer {
        bytes,
        seconds,
        linux_retransmitted: value_of(&nstat, "TcpRetransSegs")?,
        linux_loss_probes: value_of(&nstat, "TcpExtTCPLossProbes")?,
        host_retransmitted: value_of(&counters, "tcp_retransmitted")?,
        fifo_full: value_of(&counters, "fifo_full")?,
        evaluated: value_of(&counters, "sim_clocks_evaluated").ok(),
    })
}
