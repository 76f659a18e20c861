//! Bad input to the `tcpip` command: one plain sentence on stderr, exit status 2, no
//! panic and no backtrace, nothing on stdout.

use std::path::PathBuf;
use std::process::Command;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/linux-session.pcap")
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("tcpip-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Runs `tcpip` and checks the failure shape; returns the sentence it printed.
fn fails_with_one_sentence(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_tcpip"))
        .args(args)
        .env("RUST_BACKTRACE", "1") // a panic would show one: there must be none
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "tcpip {args:?}: stderr {stderr:?}"
    );
    assert!(output.stdout.is_empty(), "tcpip {args:?} printed to stdout");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line, got {stderr:?}");
    let line = lines[0];
    assert!(
        line.starts_with("tcpip: ") && line.ends_with('.'),
        "a sentence: {line:?}"
    );
    line.to_string()
}

#[test]
fn missing_file() {
    let line = fails_with_one_sentence(&["replay", "/nonexistent/capture.pcap"]);
    assert_eq!(line, "tcpip: /nonexistent/capture.pcap does not exist.");
}

#[test]
fn file_that_is_not_a_capture() {
    let path = temp_file("notes.txt", b"these are notes, not packets\n");
    let line = fails_with_one_sentence(&["replay", path.to_str().unwrap()]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        line,
        format!(
            "tcpip: {} is not a pcap or pcapng capture file.",
            path.display()
        )
    );
}

#[test]
fn capture_of_another_link_type() {
    // A pcap header for Linux cooked captures (link type 113), as `tcpdump -i any` writes.
    let mut header = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    header.extend_from_slice(&[0; 8]); // time zone, accuracy
    header.extend_from_slice(&65535u32.to_le_bytes());
    header.extend_from_slice(&113u32.to_le_bytes());
    let path = temp_file("any.pcap", &header);
    let line = fails_with_one_sentence(&["replay", path.to_str().unwrap()]);
    std::fs::remove_file(&path).unwrap();
    assert!(line.contains("has link type LINUX_SLL (113)"), "{line}");
    assert!(line.contains("only Ethernet (1)"), "{line}");
}

#[test]
fn bad_mac_and_ip_syntax() {
    let capture = fixture();
    let capture = capture.to_str().unwrap();
    for mac in ["02:00:00:00:00", "02:00:00:00:00:zz", "0200.0000.0002"] {
        let line = fails_with_one_sentence(&["replay", capture, "--mac", mac]);
        assert_eq!(
            line,
            format!("tcpip: --mac {mac} is not a MAC address (write it as 02:00:00:00:00:02).")
        );
    }
    for ip in ["192.0.2", "192.0.2.256", "board"] {
        let line = fails_with_one_sentence(&["replay", capture, "--ip", ip]);
        assert_eq!(
            line,
            format!("tcpip: --ip {ip} is not an IPv4 address (write it as 192.0.2.2).")
        );
    }
}

#[test]
fn both_backends_report_the_same() {
    let capture = fixture();
    let run = |backend: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_tcpip"))
            .args(["replay", capture.to_str().unwrap(), "--backend", backend])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let rust = run("rust");
    assert_eq!(rust.0, Some(0), "{}", rust.2);
    let verilator = run("verilator");
    if tcpip_sim::backend::Backend::verilator_built() {
        assert_eq!(verilator.0, Some(0), "{}", verilator.2);
        assert_eq!(verilator.1, rust.1);
    } else {
        // Without the model, one sentence saying so, exit 2.
        assert_eq!(verilator.0, Some(2));
        assert_eq!(verilator.2.lines().count(), 1, "{}", verilator.2);
    }
}

#[test]
fn usage_errors_exit_2() {
    // clap's own messages (unknown flags, missing FILE) keep clap's format but exit 2.
    for args in [
        &["replay"][..],
        &["replay", "x.pcap", "--fcs", "maybe"],
        &["frobnicate"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_tcpip"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "tcpip {args:?}");
        assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    }
}

#[test]
fn bench_with_nothing_to_move() {
    let line = fails_with_one_sentence(&["bench", "--bytes", "0"]);
    assert_eq!(
        line,
        "tcpip: --bytes 0 moves nothing to measure: give at least 1."
    );
    let line = fails_with_one_sentence(&["bench", "--segments", "0"]);
    assert_eq!(
        line,
        "tcpip: --segments 0 moves nothing to measure: give at least 1."
    );
}
