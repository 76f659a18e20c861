//! `tcpip serve --tap` with the Linux kernel as the peer, end to end.
//!
//! Each test makes its own network namespace (`tcpip-test-<pid>-<n>`), runs `tcpip
//! serve` inside it on a TAP device, gives the Linux side 192.0.2.1/24, and drives
//! `nc` and `curl` there. No traffic leaves the namespace. Without root the tests say
//! so loudly and pass, except under CI=true where they fail.
//!
//! Every scenario runs on the simulated board (`--link sim`: the whole board design,
//! on the Verilator model when it is built).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const BOARD: &str = "192.0.2.2";
const LINUX: &str = "192.0.2.1";

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A namespace with `tcpip serve` running in it; both go away on drop.
struct Served {
    ns: String,
    serve: Child,
    /// What serve prints after its ready line (the counters, when it ends).
    out: BufReader<std::process::ChildStdout>,
    dir: std::path::PathBuf,
}

fn sh(args: &[&str]) -> std::process::Output {
    Command::new(args[0]).args(&args[1..]).output().unwrap()
}

fn can_make_namespaces() -> bool {
    // One probe name per call: the tests run in parallel threads of one process.
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let probe = format!("tcpip-probe-{}-{n}", std::process::id());
    let out = sh(&["ip", "netns", "add", &probe]);
    if out.status.success() {
        sh(&["ip", "netns", "del", &probe]);
        return true;
    }
    let msg = format!(
        "!!! NOT RUN: tap_serve needs root to create network namespaces and TAP devices ({}) !!!",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (CI=true: this must run)");
    }
    eprintln!("\n{msg}\n");
    false
}

impl Served {
    /// `tcpip serve` in a fresh namespace; None when namespaces cannot be made here.
    fn start(link: &str, app: &str, port: u16, extra: &[&str]) -> Option<Served> {
        if !can_make_namespaces() {
            return None;
        }
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let ns = format!("tcpip-test-{}-{n}", std::process::id());
        assert!(sh(&["ip", "netns", "add", &ns]).status.success());
        let dir = std::env::temp_dir().join(&ns);
        std::fs::create_dir_all(&dir).unwrap();
        let port_s = port.to_string();
        let ip = format!("{BOARD}/24");
        let mut args = vec![
            "netns",
            "exec",
            &ns,
            env!("CARGO_BIN_EXE_tcpip"),
            "serve",
            "--link",
            link,
            "--tap",
            "tap0",
            "--ip",
            &ip,
            "--app",
            app,
            "--port",
            &port_s,
        ];
        args.extend_from_slice(extra);
        let mut serve = Command::new("ip")
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        let mut out = BufReader::new(serve.stdout.take().unwrap());
        out.read_line(&mut line).unwrap();
        let served = Served {
            ns,
            serve,
            out,
            dir,
        };
        assert_eq!(
            line.trim_end(),
            format!("serving {app} on {BOARD}:{port} via tap0")
        );
        served.exec_ok(&["ip", "link", "set", "lo", "up"]);
        served.exec_ok(&["ip", "addr", "add", &format!("{LINUX}/24"), "dev", "tap0"]);
        served.exec_ok(&["ip", "link", "set", "tap0", "up"]);
        Some(served)
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns]).args(args);
        c
    }

    fn exec_ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// A capture of the TAP, running until `stop_capture`.
    fn capture(&self) -> (Child, std::path::PathBuf) {
        let file = self.dir.join("wire.pcap");
        let mut child = self
            .cmd(&[
                "tcpdump",
                "-i",
                "tap0",
                "-B",
                "16384",
                "-U",
                "-n",
                "-w",
                file.to_str().unwrap(),
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // tcpdump says "listening on" once it captures; keep draining its stderr after.
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        err.read_line(&mut line).unwrap();
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
        (child, file)
    }

    /// Sends `data` through `nc` to the echo port and returns what came back.
    fn nc(&self, port: u16, data: &[u8], timeout: Duration) -> Vec<u8> {
        let mut child = self
            .cmd(&[
                "timeout",
                &timeout.as_secs().to_string(),
                "nc",
                "-N",
                BOARD,
                &port.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let data = data.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
        });
        let mut out = Vec::new();
        child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
        writer.join().unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "nc: {status}");
        out
    }

    /// Stops `tcpip serve` the way a user does; it must exit cleanly. Returns what
    /// it printed after its ready line (the counters).
    fn stop(mut self) -> String {
        let pid = self.serve.id().to_string();
        // `ip netns exec` execs tcpip, so the child is tcpip itself.
        assert!(sh(&["kill", "-TERM", &pid]).status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.serve.try_wait().unwrap() {
                assert_eq!(status.code(), Some(0), "tcpip serve on SIGTERM: {status}");
                let mut rest = String::new();
                self.out.read_to_string(&mut rest).unwrap();
                return rest;
            }
            assert!(Instant::now() < deadline, "tcpip serve ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.serve.kill();
        let _ = self.serve.wait();
        sh(&["ip", "netns", "del", &self.ns]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    use rand::{RngCore, SeedableRng};
    let mut v = vec![0; n];
    rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut v);
    v
}

/// RST segments in a capture.
fn resets(pcap: &std::path::Path) -> usize {
    let out = sh(&["tcpdump", "-r", pcap.to_str().unwrap(), "-n", "tcp"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split("Flags [").nth(1)?.split(']').next())
        .filter(|flags| flags.contains('R'))
        .count()
}

/// Generous: the Rust model (TCPIP_BACKEND=rust) is two orders of magnitude slower.
fn timeout_for(_link: &str) -> Duration {
    Duration::from_secs(600)
}

fn echo_256k(link: &str, extra: &[&str]) {
    let Some(s) = Served::start(link, "echo", 7, extra) else {
        return;
    };
    let (mut tcpdump, pcap) = s.capture();
    let data = random_bytes(256 * 1024, 7);
    let t = Instant::now();
    let back = s.nc(7, &data, timeout_for(link));
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(back.len(), data.len());
    assert!(back == data, "echo not byte-exact");
    eprintln!(
        "echo 256 KiB via --link {link} {extra:?}: {:.0} KiB/s",
        256.0 / secs
    );
    // The board's FIN follows the echo; let its last ACK be captured.
    std::thread::sleep(Duration::from_millis(300));
    sh(&["kill", "-INT", &tcpdump.id().to_string()]);
    let _ = tcpdump.wait();
    // FIN both ways: Linux, which closed first, reached TIME-WAIT (it sent its FIN,
    // and received and acknowledged the board's). The capture can miss packets when
    // the machine is busy, so it is not the witness for FINs.
    let ss = s.exec_ok(&["ss", "-tanH", "state", "time-wait"]);
    assert!(
        ss.contains(&format!("{BOARD}:7")),
        "Linux side not in TIME-WAIT: {ss:?}"
    );
    // No RST either way: none captured, none counted by Linux.
    let rst = resets(&pcap);
    assert_eq!(rst, 0, "RST on the wire");
    let nstat = s.exec_ok(&[
        "nstat",
        "-asz",
        "TcpOutRsts",
        "TcpEstabResets",
        "TcpAttemptFails",
    ]);
    assert_eq!(
        nstat.lines().filter(|l| l.starts_with("Tcp")).count(),
        3,
        "{nstat}"
    );
    for line in nstat.lines().filter(|l| l.starts_with("Tcp")) {
        let v: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert_eq!(v, 0, "{line}");
    }
    s.stop();
}

fn http_page(link: &str) {
    let Some(s) = Served::start(link, "http", 80, &[]) else {
        return;
    };
    let t = timeout_for(link).as_secs().to_string();
    let head = s.exec_ok(&[
        "curl",
        "-sS",
        "-D",
        "-",
        "-o",
        "/dev/null",
        "-m",
        &t,
        &format!("http://{BOARD}/"),
    ]);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Connection: close"), "{head}");
    let body = s.exec_ok(&["curl", "-sS", "-m", &t, &format!("http://{BOARD}/")]);
    assert!(body.contains("<h1>tcpip-fpga</h1>"), "{body}");
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(len, body.len());
    let missing = s
        .cmd(&[
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-m",
            &t,
            &format!("http://{BOARD}/nope"),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&missing.stdout), "404");
    s.stop();
}

fn many_at_once(link: &str) {
    let Some(s) = Served::start(link, "echo", 7, &[]) else {
        return;
    };
    let s = std::sync::Arc::new(s);
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let s = s.clone();
            let link = link.to_string();
            std::thread::spawn(move || {
                let data = random_bytes(48 * 1024, 100 + i);
                let back = s.nc(7, &data, timeout_for(&link));
                assert!(back == data, "connection {i}: {} bytes back", back.len());
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let s = std::sync::Arc::into_inner(s).unwrap();
    s.stop();
}

/// Data segments sent more than once, as a capture shows them: the same source port
/// and sequence range seen again.
fn duplicate_segments(pcap: &std::path::Path) -> usize {
    let out = sh(&["tcpdump", "-r", pcap.to_str().unwrap(), "-n", "-S", "tcp"]);
    let mut seen = std::collections::HashSet::new();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let src = l.split_whitespace().nth(2)?;
            let range = l.split(", seq ").nth(1)?.split(',').next()?;
            range
                .contains(':')
                .then(|| (src.to_string(), range.to_string()))
        })
        .filter(|k| !seen.insert(k.clone()))
        .count()
}

/// The value of a counter in what serve printed when it ended.
fn counter(out: &str, name: &str) -> Option<u64> {
    out.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        (w.next() == Some(name)).then(|| w.next()?.parse().ok())?
    })
}

/// Bulk transfers from Linux's TCP (`nc -N`, `conns` of them at once, `bytes` each) to
/// the discard server, with no loss injected: every byte arrives (the engine counts
/// each once), the board drops nothing for lack of FIFO room, and Linux never
/// retransmits a lost segment. Linux may still send a tail-loss probe (RFC 8985 §7)
/// when an ACK is late (the simulated board stalls when the machine is busy): a probe
/// repeats data that was not lost, so probes are allowed, and only probes.
fn bulk_discard(link: &str, conns: usize, bytes: usize) {
    let Some(s) = Served::start(link, "discard", 9, &[]) else {
        return;
    };
    let (mut tcpdump, pcap) = s.capture();
    let s = std::sync::Arc::new(s);
    let t = Instant::now();
    let senders: Vec<_> = (0..conns)
        .map(|i| {
            let s = s.clone();
            let link = link.to_string();
            std::thread::spawn(move || {
                let data = random_bytes(bytes, 900 + i as u64);
                let back = s.nc(9, &data, timeout_for(&link));
                assert!(back.is_empty(), "discard answered {} bytes", back.len());
            })
        })
        .collect();
    for h in senders {
        h.join().unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    let s = std::sync::Arc::into_inner(s).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    sh(&["kill", "-INT", &tcpdump.id().to_string()]);
    let _ = tcpdump.wait();
    let nstat = s.exec_ok(&[
        "nstat",
        "-asz",
        "TcpRetransSegs",
        "TcpExtTCPLossProbes",
        "TcpExtTCPTimeouts",
        "TcpExtTCPLostRetransmit",
    ]);
    let linux = |name: &str| -> u64 {
        nstat
            .lines()
            .find_map(|l| {
                let mut w = l.split_whitespace();
                (w.next() == Some(name)).then(|| w.next()?.parse().ok())?
            })
            .unwrap_or_else(|| panic!("{name} missing from {nstat}"))
    };
    let duplicates = duplicate_segments(&pcap);
    let out = s.stop();
    let board = |name: &str| counter(&out, name).unwrap_or_else(|| panic!("{name} in {out}"));
    let total = (conns * bytes) as u64;
    eprintln!(
        "discard {conns} × {} KiB via --link {link}: {:.0} KiB/s, {} retransmissions ({} loss probes), {} duplicates captured, fifo_full {}",
        bytes / 1024,
        total as f64 / 1024.0 / secs,
        linux("TcpRetransSegs"),
        linux("TcpExtTCPLossProbes"),
        duplicates,
        board("fifo_full"),
    );
    assert_eq!(board("tcp_bytes_received"), total, "bytes received");
    assert_eq!(
        board("fifo_full"),
        0,
        "segments dropped for lack of FIFO room"
    );
    assert_eq!(
        board("host_rx_tcp"),
        board("accepted_tcp"),
        "kept but lost on the link"
    );
    assert_eq!(board("tcp_retransmitted"), 0, "the host sent nothing again");
    assert_eq!(
        board("host_tx_done_timeouts"),
        0,
        "a request whose TxDone never came"
    );
    assert_eq!(linux("TcpExtTCPTimeouts"), 0, "Linux timed out");
    assert_eq!(linux("TcpExtTCPLostRetransmit"), 0);
    assert_eq!(
        linux("TcpRetransSegs"),
        linux("TcpExtTCPLossProbes"),
        "Linux retransmitted more than probes"
    );
    // The capture can miss frames on a busy machine, never invent them.
    assert!(
        duplicates as u64 <= linux("TcpRetransSegs"),
        "{duplicates} duplicates"
    );
}

const FAULTS: &[&str] = &["--loss", "0.02", "--reorder", "0.02", "--seed", "1"];

/// The board's UART rate, as the simulated link's pace.
const PACED: &str = "sim@4000000";

#[test]
fn sim_bulk_discard_one_connection_no_fifo_full() {
    bulk_discard("sim", 1, 1024 * 1024);
}

#[test]
fn sim_bulk_discard_four_connections_no_fifo_full() {
    bulk_discard("sim", 4, 256 * 1024);
}

#[test]
fn paced_bulk_discard_one_connection_no_fifo_full() {
    bulk_discard(PACED, 1, 256 * 1024);
}

/// The UART at 12 Mbaud, selected by the session's Config: the same bytes, nothing lost
/// on the link around the switch or after it.
#[test]
fn paced_12_mbaud_bulk_discard_one_connection_no_fifo_full() {
    bulk_discard("sim@12000000", 1, 256 * 1024);
}

#[test]
fn paced_bulk_discard_four_connections_no_fifo_full() {
    bulk_discard(PACED, 4, 32 * 1024);
}

#[test]
fn sim_echo_256k_fin_both_ways() {
    echo_256k("sim", &[]);
}

#[test]
fn sim_echo_256k_with_loss_and_reordering() {
    echo_256k("sim", FAULTS);
}

#[test]
fn sim_http_page() {
    http_page("sim");
}

#[test]
fn sim_many_connections_at_once() {
    many_at_once("sim");
}

/// `tcpip connect` as the client and `nc -l` on Linux as the server, on a TAP that
/// exists before tcpip opens it (the persistent kind `ip tuntap add` makes).
fn connect_both_ways(link: &str) {
    if !can_make_namespaces() {
        return;
    }
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let ns = format!("tcpip-test-{}-{n}", std::process::id());
    assert!(sh(&["ip", "netns", "add", &ns]).status.success());
    struct Cleanup(String);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            sh(&["ip", "netns", "del", &self.0]);
        }
    }
    let _cleanup = Cleanup(ns.clone());
    let exec = |args: &[&str]| {
        let out = Command::new("ip")
            .args(["netns", "exec", &ns])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    exec(&["ip", "tuntap", "add", "dev", "tap0", "mode", "tap"]);
    exec(&["ip", "addr", "add", &format!("{LINUX}/24"), "dev", "tap0"]);
    exec(&["ip", "link", "set", "tap0", "up"]);
    let greeting = random_bytes(20_000, 3);
    let upload = random_bytes(100_000, 4);
    let dir = std::env::temp_dir().join(&ns);
    std::fs::create_dir_all(&dir).unwrap();
    let greeting_file = dir.join("greeting");
    std::fs::write(&greeting_file, &greeting).unwrap();
    let secs = timeout_for(link).as_secs().to_string();
    // Without -N, nc sends its file and keeps reading until tcpip's FIN, then closes.
    let server = Command::new("ip")
        .args([
            "netns", "exec", &ns, "timeout", &secs, "nc", "-l", LINUX, "5000",
        ])
        .stdin(std::fs::File::open(&greeting_file).unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Connect only once nc listens (an early SYN would be refused).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(
        &Command::new("ip")
            .args(["netns", "exec", &ns, "ss", "-ltnH"])
            .output()
            .unwrap()
            .stdout,
    )
    .contains(":5000")
    {
        assert!(Instant::now() < deadline, "nc -l never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut client = Command::new("ip")
        .args(["netns", "exec", &ns, "timeout", &secs])
        .arg(env!("CARGO_BIN_EXE_tcpip"))
        .args(["connect", "--link", link, "--tap", "tap0", "--ip"])
        .arg(format!("{BOARD}/24"))
        .arg(format!("{LINUX}:5000"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = client.stdin.take().unwrap();
    let up = upload.clone();
    let writer = std::thread::spawn(move || stdin.write_all(&up).unwrap());
    // Both outputs are read as they come: a full pipe would stall the transfer.
    let server = std::thread::spawn(move || server.wait_with_output().unwrap());
    let client_out = client.wait_with_output().unwrap();
    writer.join().unwrap();
    let server_out = server.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        client_out.status.success(),
        "tcpip connect: {}",
        client_out.status
    );
    assert!(server_out.status.success(), "nc -l: {}", server_out.status);
    assert!(
        server_out.stdout == upload,
        "upload: {} bytes arrived",
        server_out.stdout.len()
    );
    assert!(
        client_out.stdout == greeting,
        "download: {} bytes arrived",
        client_out.stdout.len()
    );
}

#[test]
fn sim_connect_both_ways() {
    connect_both_ways("sim");
}
