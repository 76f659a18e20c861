//! `tcpip demo`, seeded: the ladder diagram is the same on every run and on both models
//! of the hardware, and it shows the story the demo promises.

use std::process::Command;

fn demo(backend: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tcpip"))
        .args(["demo", "--seed", "7", "--backend", backend])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The first line names the model; the rest must not depend on it.
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn demo_ladder_snapshot() {
    let text = demo(tcpip_sim::backend::Backend::preferred().name());
    for must in [
        "ARP who-has 192.0.2.2",
        "is-at 02:00:00:00:00:02 [hardware]",
        "ICMP echo reply id=1 seq=1",
        "SYN-SENT",
        "SYN-RECEIVED",
        "<sack 33-42>",
        "CLOSE-WAIT",
        "FIN-WAIT-2",
        "LAST-ACK",
        "TIME-WAIT",
    ] {
        assert!(text.contains(must), "the demo lacks `{must}`:\n{text}");
    }
    insta::assert_snapshot!(text);
}

#[test]
fn demo_is_the_same_on_the_rust_model() {
    if !tcpip_sim::backend::Backend::verilator_built() {
        panic!("the Verilator model is not built; the comparison needs both models");
    }
    assert_eq!(demo("rust"), demo("verilator"));
}

#[test]
fn demo_writes_a_pcap_wireshark_reads() {
    let dir = std::env::temp_dir().join(format!("tcpip-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("demo.pcap");
    let vcd = dir.join("demo.vcd");
    let out = Command::new(env!("CARGO_BIN_EXE_tcpip"))
        .args(["demo", "--pcap"])
        .arg(&pcap)
        .arg("--vcd")
        .arg(&vcd)
        .output()
        .unwrap();
    assert!(out.status.success());
    let frames = tcpip_sim::pcap::read_frames(&pcap).unwrap();
    assert!(frames.len() >= 20);
    for f in &frames {
        etherparse::SlicedPacket::from_ethernet(&f.data).expect("every frame on the wire parses");
    }
    let vcd_text = std::fs::read_to_string(&vcd).unwrap();
    assert!(vcd_text.contains("$var wire 8") && vcd_text.contains("phy_tx_valid"));
    std::fs::remove_dir_all(&dir).unwrap();
}
