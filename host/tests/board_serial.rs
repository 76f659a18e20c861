//! The virtual board behind a real serial device: `tcpip board --serial` on one end of a
//! PTY pair, the host's SerialLink on the other. Hello, Config, counters and segments
//! cross the kernel's tty layer exactly as they would cross the Alchitry Cu's UART, at
//! 4 Mbaud and after the switch to 12 Mbaud; `tcpip stats --link serial:…` reads the
//! same counters.

mod pty;

use pty::pty_pair;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tcpip_host::link::message::{named_counters, tcp_flags, LinkRate, TxTcp};
use tcpip_host::link::{Link, Message, SerialLink};
use tcpip_host::netstack::{Session, SessionConfig};
use tcpip_host::tcp::Time;
use tcpip_sim::pcap::read_frames;

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

/// A session through a PTY at `rate`: Session::start configures the board (switching
/// the link to 12 Mbaud after the first Config when asked, and confirming with a
/// second), then the capture's segments arrive, a full-size TxTcp goes out on the
/// board's wire byte-exact, and neither end counted a damaged frame.
fn session_through_a_pty(rate: LinkRate) {
    let Some(pair) = pty_pair() else { return };
    let capture = std::env::temp_dir().join(format!(
        "tcpip-board-serial-{}-{}.pcap",
        std::process::id(),
        rate.baud()
    ));
    let mut board = BoardProcess(
        Command::new(env!("CARGO_BIN_EXE_tcpip"))
            .args([
                "board",
                "--serial",
                &pair.paths[0],
                "--inject",
                &fixture("linux-session.pcap"),
                "--capture",
                capture.to_str().unwrap(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tcpip board"),
    );
    let mut link = SerialLink::open(&pair.paths[1], LinkRate::Mbaud4).unwrap();
    let mut cfg = SessionConfig::new([0x02, 0, 0, 0, 0, 0x02], [192, 0, 2, 2], 24);
    cfg.link_rate = rate;
    let session = Session::start(cfg, &mut link, Duration::from_secs(20), Time::ZERO)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.hello().unwrap().ip, [192, 0, 2, 2]);
    assert_eq!(link.rate(), rate);
    // The capture's segments (it was recorded with the board at this address: a TCP
    // session with the Linux peer), after the board's Hello to the last Config.
    let got = wait_for(
        &mut link,
        60,
        |m| matches!(m, Message::RxTcp(_) | Message::RxUdp(_)),
        6,
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

    // Host → board at the session's rate: a full-size segment, every byte value.
    let payload: Vec<u8> = (0..1440u32).map(|i| (i * 7 + 3) as u8).collect();
    link.send(&Message::TxTcp(TxTcp {
        tag: 9,
        dst_mac: [0x02, 0, 0, 0, 0, 0x09],
        dst_ip: [192, 0, 2, 9],
        src_port: 7,
        dst_port: 40000,
        seq: 1,
        ack: 1,
        flags: tcp_flags::ACK | tcp_flags::PSH,
        window: 1000,
        options: vec![],
        payload: payload.clone(),
    }))
    .unwrap();
    let got = wait_for(
        &mut link,
        30,
        |m| matches!(m, Message::TxDone { tag: 9 }),
        1,
    );
    assert!(
        got.iter().any(|m| matches!(m, Message::TxDone { tag: 9 })),
        "no TxDone: {got:?}"
    );

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
    let count = |name: &str| named.iter().find(|(n, _)| *n == name).unwrap().1;
    assert!(count("accepted_tcp") as usize >= segments.len());
    assert_eq!(
        count("link_bad_frames"),
        0,
        "the board saw no damaged frame"
    );
    assert_eq!(count("link_bad_messages"), 0);
    assert_eq!(link.stats().dropped(), 0, "the host saw no damaged frame");
    drop(link);
    let _ = board.0.kill();
    let mut log = String::new();
    board
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert_eq!(
        log.contains("tcpip board: link at 12000000 baud"),
        rate == LinkRate::Mbaud12,
        "{log}"
    );
    drop(board);
    // The segment left the board's PHY with its payload byte for byte.
    let frames = read_frames(&capture).unwrap();
    std::fs::remove_file(&capture).ok();
    let sent = frames
        .iter()
        .find(|f| f.data.len() >= payload.len() && f.data.ends_with(&payload))
        .unwrap_or_else(|| panic!("the segment is not in the capture: {} frames", frames.len()));
    assert_eq!(sent.data.len(), 14 + 20 + 20 + payload.len());
}

#[test]
fn a_session_at_4_mbaud_through_a_pty() {
    session_through_a_pty(LinkRate::Mbaud4);
}

#[test]
fn a_session_switched_to_12_mbaud_through_a_pty() {
    session_through_a_pty(LinkRate::Mbaud12);
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
