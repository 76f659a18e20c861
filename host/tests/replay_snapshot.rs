//! The output of `tcpip replay` on the project's own capture, pinned: any change in what
//! the hardware reports about a real Linux session shows up as a snapshot diff.
//! (tests/rx_captures.rs checks the same capture against the independent oracle.)

use std::process::Command;

fn replay(args: &[&str]) -> String {
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/linux-session.pcap"
    );
    let output = Command::new(env!("CARGO_BIN_EXE_tcpip"))
        .arg("replay")
        .arg(capture)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    // One JSON object per frame, numbered in capture order.
    for (i, line) in stdout.lines().enumerate() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(value["frame"], i + 1);
    }
    assert_eq!(stdout.lines().count(), 19, "the capture holds 19 frames");
    stdout
}

#[test]
fn promiscuous_by_default() {
    let stdout = replay(&[]);
    // Everything in this clean session is accepted when the board listens to all of it.
    assert!(
        stdout.lines().all(|l| l.contains(r#""verdict":"accept""#)),
        "{stdout}"
    );
    insta::assert_snapshot!(stdout);
}

#[test]
fn as_the_board_at_192_0_2_2() {
    // The board's default MAC is the capture's board side: the frames it sent to the
    // peer are dropped by the MAC filter, the ones to it accepted.
    let stdout = replay(&["--ip", "192.0.2.2"]);
    insta::assert_snapshot!(stdout);
}
