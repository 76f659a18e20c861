//! The virtual board behind a real serial device: `tcpip board --serial` on one end of a
//! PTY pair, the host's SerialLink on the other. Hello, Config, counters and segments
//! cross the kernel's tty layer exactly as they would cross the Alchitry Cu's UART;
//! `tcpip stats --link serial:…` reads the same counters.

mod pty;

use pty::pty_pair;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tcpip_host::link::message::{named_counters, Config};
use tcpip_host::link::{Link, Message, SerialLink};

/// The `tcpip board` process; killed when dropped.
struct BoardProcess(Child);

impl Drop for BoardProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn fixture(name: &str) -> String {
    format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Messages until `want` of them match `pred`, or the deadline.
fn wait_for(
    link: &mut SerialLink,
    secs: u64,
    mut pred: impl FnMut(&Message) -> bool,
    want: usize,
) -> Vec<Message> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut got = vec![];
    while got.iter().filter(|m| pred(m)).count() < want && Instant::now() < deadline {
        if let Some(m) = link.recv(Duration::from_millis(100)).unwrap() {
            got.push(m);
        }
    }
    got
}

#[test]
fn hello_config_counters_and_segments_through_a_pty() {
    let Some(pair) = pty_pair() else { return };
    let board = BoardProcess(
        Command::new(env!("CARGO_BIN_EXE_tcpip"))
            .args([
                "board",
                "--serial",
                &pair.paths[0],
                "--inject",
                &fixture("linux-session.pcap"),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("tcpip board"),
    );
    let mut link = SerialLink::open(&pair.paths[1], 4_000_000).unwrap();
    link.send(&Message::Config(Config {
        mac: [0x02, 0, 0, 0, 0, 0x02],
        ip: [192, 0, 2, 2],
        netmask: [255, 255, 255, 0],
        promiscuous: false,
    }))
    .unwrap();
    // The Hello that answers Config, then the capture's segments (it was recorded with
    // the board at this address: a TCP session with the Linux peer).
    let got = wait_for(
        &mut link,
        60,
        |m| matches!(m, Message::RxTcp(_) | Message::RxUdp(_)),
        6,
    );
    assert!(
        got.iter()
            .any(|m| matches!(m, Message::Hello(h) if h.ip == [192, 0, 2, 2])),
        "no Hello: {got:?}"
    );
    let segments: Vec<_> = got
        .iter()
        .filter_map(|m| match m {
            Message::RxTcp(s) => Some(s),
            _ => None,
        })
        .collect();
    // The capture holds five TCP segments and one UDP datagram for the board.
    assert_eq!(segments.len(), 5, "segments");
    assert_eq!(
        got.iter()
            .filter(|m| matches!(m, Message::RxUdp(_)))
            .count(),
        1,
        "datagrams"
    );
    assert!(
        segments[0].flags & 0x02 != 0,
        "the session starts with a SYN"
    );
    assert!(segments.iter().all(|s| s.src_ip != [192, 0, 2, 2]));

    link.send(&Message::GetCounters).unwrap();
    let got = wait_for(&mut link, 30, |m| matches!(m, Message::Counters(_)), 1);
    let values = got
        .iter()
        .find_map(|m| match m {
            Message::Counters(v) => Some(*v),
            _ => None,
        })
        .expect("Counters");
    let named = named_counters(&values);
    let tcp = named.iter().find(|(n, _)| *n == "accepted_tcp").unwrap().1;
    assert!(tcp as usize >= segments.len());
    assert_eq!(link.stats().dropped(), 0, "no damaged frames on a PTY");
    drop(link);
    drop(board);
}

#[test]
fn stats_reads_the_counters_over_a_serial_link() {
    let Some(pair) = pty_pair() else { return };
    let _board = BoardProcess(
        Command::new(env!("CARGO_BIN_EXE_tcpip"))
            .args(["board", "--serial", &pair.paths[0]])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("tcpip board"),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_tcpip"))
        .args([
            "stats",
            "--all",
            "--json",
            "--link",
            &format!("serial:{}", pair.paths[1]),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["fcs"], 0);
    assert_eq!(json["accepted_tcp"], 0);
    assert_eq!(
        json.as_object().unwrap().len(),
        32,
        "every named counter (all 32 slots): {json}"
    );
}

#[test]
fn board_on_an_absent_device_is_one_sentence_and_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_tcpip"))
        .args(["board", "--serial", "/dev/does-not-exist-tcpip"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/dev/does-not-exist-tcpip"));
}
