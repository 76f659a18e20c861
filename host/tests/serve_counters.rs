//! `tcpip serve` prints every counter when it ends: the board's drop reasons
//! (fifo_full among them), segments in and out, retransmissions, the SYN-flood and
//! non-unicast counters, and the ICMP port unreachables sent and rate-limited, so a
//! user sees what was lost.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts serve on the simulated board (no TAP: no peer is needed to end it), waits
/// for its ready line, sends `signal`, and returns (exit code, stdout after the ready
/// line, stderr).
fn serve_until(signal: libc::c_int) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tcpip"))
        .args(["serve", "--link", "sim", "--ip", "192.0.2.2/24"])
        .args(["--app", "echo", "--port", "7", "--seed", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut ready = String::new();
    stdout.read_line(&mut ready).unwrap();
    assert!(
        ready.starts_with("serving echo on 192.0.2.2:7"),
        "{ready:?}"
    );
    // SAFETY: a signal to the child we started, by its pid.
    unsafe {
        libc::kill(child.id() as libc::pid_t, signal);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("serve did not end within 30 s of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code(), rest, err)
}

fn counter(out: &str, name: &str) -> Option<u64> {
    out.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        (w.next() == Some(name)).then(|| w.next()?.parse().ok())?
    })
}

fn check(signal: libc::c_int) {
    let (code, out, err) = serve_until(signal);
    assert_eq!(code, Some(0), "stdout {out:?} stderr {err:?}");
    assert!(err.is_empty(), "{err}");
    assert!(out.starts_with("counters:\n"), "{out}");
    // The board answered GetCounters (its names), and the host's own follow.
    for name in [
        "fifo_full",
        "fcs",
        "host_rx_tcp",
        "host_tx_tcp",
        "tcp_retransmitted",
        "tcp_syn_dropped",
        "tcp_half_open_evicted",
        "tcp_non_unicast",
        "host_tx_icmp",
        "icmp_port_unreachable_sent",
        "icmp_port_unreachable_rate_limited",
    ] {
        assert_eq!(counter(&out, name), Some(0), "{name} in {out}");
    }
}

#[test]
fn sigterm_prints_the_counters() {
    check(libc::SIGTERM);
}

#[test]
fn sigint_prints_the_counters() {
    check(libc::SIGINT);
}
