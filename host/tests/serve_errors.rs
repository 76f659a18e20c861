//! Bad input to `tcpip serve` and `tcpip connect`: one sentence on stderr, exit status
//! 2, no panic, and nothing started.

use std::process::Command;

fn bad_input(args: &[&str]) -> String {
    // Under `timeout`: a mistake that starts serving must fail the test, not hang it.
    let out = Command::new("timeout")
        .arg("30")
        .arg(env!("CARGO_BIN_EXE_tcpip"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "tcpip {args:?}: {stderr:?}");
    assert!(
        out.stdout.is_empty(),
        "tcpip {args:?} printed {:?}",
        out.stdout
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        lines[0].starts_with("tcpip: ") && lines[0].ends_with('.'),
        "{stderr:?}"
    );
    lines[0].to_string()
}

fn serve(extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ["serve", "--app", "echo", "--port", "7"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    if !extra.contains(&"--link") {
        v.extend(["--link".to_string(), "sim".to_string()]);
    }
    v
}

fn run(args: Vec<String>) -> String {
    bad_input(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn bad_address() {
    let line = run(serve(&["--ip", "192.0.2.300/24"]));
    assert_eq!(
        line,
        "tcpip: --ip 192.0.2.300/24 is not an IPv4 address with a prefix length (write it as 192.0.2.2/24)."
    );
    run(serve(&["--ip", "192.0.2.2"]));
    let line = bad_input(&[
        "connect",
        "--link",
        "sim",
        "--ip",
        "192.0.2.2/24",
        "192.0.2.1",
    ]);
    assert!(
        line.contains("192.0.2.1 is not an IPv4 address and port"),
        "{line}"
    );
}

#[test]
fn bad_mac() {
    let line = run(serve(&["--ip", "192.0.2.2/24", "--mac", "02:00:00:00:00"]));
    assert!(line.contains("is not a MAC address"), "{line}");
}

#[test]
fn bad_probability_and_link() {
    run(serve(&["--ip", "192.0.2.2/24", "--loss", "1.5"]));
    let line = run(serve(&["--ip", "192.0.2.2/24", "--link", "usb"]));
    assert!(line.contains("--link usb is not a link"), "{line}");
}

#[test]
fn absent_serial_port() {
    let line = run(serve(&[
        "--ip",
        "192.0.2.2/24",
        "--link",
        "serial:/dev/tcpip-no-such-port@12000000",
    ]));
    assert!(
        line.contains("serial port /dev/tcpip-no-such-port does not exist"),
        "{line}"
    );
}

#[test]
fn a_rate_the_board_does_not_run_at() {
    for link in ["serial:/dev/ttyUSB1@115200", "sim@3000000"] {
        let line = run(serve(&["--ip", "192.0.2.2/24", "--link", link]));
        assert!(
            line.contains("baud, and the board's UART runs at 4000000 or 12000000"),
            "{line}"
        );
    }
}

#[test]
fn tap_name_that_cannot_be_created() {
    // Linux interface names are at most 15 bytes (tun-tap would silently cut it).
    let line = run(serve(&[
        "--ip",
        "192.0.2.2/24",
        "--tap",
        "this-name-is-far-too-long",
    ]));
    assert!(
        line.starts_with("tcpip: cannot create or open TAP device this-name-is-far-too-long: "),
        "{line}"
    );
    let line = run(serve(&["--ip", "192.0.2.2/24", "--tap", "bad/name"]));
    assert!(line.contains("TAP device bad/name"), "{line}");
}
