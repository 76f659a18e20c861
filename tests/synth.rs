//! `tcpip synth` runs the whole flow for the Alchitry Cu and reports the result truly
//! (utilisation, Fmax per clock, exit status); `tcpip flash` fails in one sentence
//! without iceprog or a board.
//!
//! The synthesis test needs yosys, nextpnr-ice40 and icepack (CI installs them through
//! .ci/run). Without them it fails, saying so: a missing tool must not pass for a
//! design that meets timing.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Every iCE40 HX8K bitstream from icepack has this size (the CRAM of the whole die).
const HX8K_BITSTREAM_BYTES: u64 = 135_100;

/// The board's targets (README, "On the chip"), met on both placement seeds: at most
/// 60% of the logic cells and 28 of the 32 block RAMs, so a user's block fits beside
/// it; the core clock at 100 MHz; REF_CLK's 50 MHz with a fifth to spare; the board
/// part (RMII adapters, clock crossings, LEDs) within 400 LUT4s.
const SEEDS: [u64; 2] = [1, 2];
const MAX_LOGIC_CELLS: u64 = 4_608;
const MAX_BLOCK_RAMS: u64 = 28;
const MIN_REF_CLK_MHZ: f64 = 60.0;
const MAX_BOARD_LUTS: u64 = 400;

/// The `tcpip` command. It belongs to tcpip-host, so the root package has no
/// CARGO_BIN_EXE for it: cargo builds it (if needed) and says where it is.
fn tcpip() -> Command {
    static EXE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let exe = EXE.get_or_init(|| {
        let out = Command::new(env!("CARGO"))
            .args([
                "build",
                "-q",
                "-p",
                "tcpip-host",
                "--bin",
                "tcpip",
                "--message-format=json",
                "--manifest-path",
            ])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .output()
            .expect("cargo runs");
        assert!(
            out.status.success(),
            "cargo build of tcpip failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|v| v["executable"].as_str().map(std::path::PathBuf::from))
            .last()
            .expect("cargo names the tcpip executable")
    });
    Command::new(exe)
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false)
}

/// The whole flow runs on seeds 1 and 2, `tcpip synth` tells the truth about the
/// result (exit status 0 exactly when every clock meets its target; the JSON has every
/// field and a full-size bitstream; `--breakdown` adds up), and the board meets its
/// targets on both seeds: logic cells, block RAMs, both clocks, the board part.
#[test]
fn synth_runs_the_whole_flow_and_the_board_meets_its_targets() {
    let missing: Vec<&str> = ["yosys", "nextpnr-ice40", "icepack"]
        .into_iter()
        .filter(|t| !on_path(t))
        .collect();
    assert!(
        missing.is_empty(),
        "the synthesis test needs {} on PATH (Debian: apt-get install yosys nextpnr-ice40 fpga-icestorm, or run .ci/run)",
        missing.join(", ")
    );
    for seed in SEEDS {
        // The breakdown (a second synthesis, without flattening) once is enough.
        synth_on_seed(seed, seed == SEEDS[0]);
    }
}

fn synth_on_seed(seed: u64, breakdown: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = tcpip();
    cmd.args(["synth", "--json", "--seed", &seed.to_string(), "--out"])
        .arg(dir.path());
    if breakdown {
        cmd.arg("--breakdown");
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!(
        "tcpip synth --seed {seed}: {}{}",
        stdout.trim(),
        stderr.trim()
    );
    assert!(
        !stderr.contains("does not fit the HX8K"),
        "seed {seed}: the board does not fit: {stderr}"
    );
    let v: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("tcpip synth --json printed no JSON ({e}): {stdout}{stderr}"));

    assert_eq!(v["device"], "iCE40HX8K-CB132");
    let clocks = v["clocks"].as_array().expect("clocks");
    let names: Vec<&str> = clocks.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(
        names.contains(&"clock") && names.contains(&"rmii_ref_clk"),
        "{names:?}"
    );
    for c in clocks {
        assert!(c["fmax_mhz"].as_f64().unwrap() > 0.0);
        assert!(c["target_mhz"].as_f64().unwrap() > 0.0);
        assert!(c["pass"].is_boolean());
    }
    let core = clocks.iter().find(|c| c["name"] == "clock").unwrap();
    assert_eq!(core["target_mhz"].as_f64(), Some(100.0));
    for k in ["lc", "ram", "io"] {
        let u = &v["utilization"][k];
        assert!(u["used"].as_u64().unwrap() > 0, "{k} used");
        assert!(u["used"].as_u64() <= u["available"].as_u64(), "{k}");
    }
    assert_eq!(v["utilization"]["lc"]["available"], 7680);
    assert_eq!(v["utilization"]["ram"]["available"], 32);
    let bitstream = Path::new(v["bitstream"].as_str().unwrap());
    assert_eq!(
        std::fs::metadata(bitstream).unwrap().len(),
        HX8K_BITSTREAM_BYTES
    );
    assert_eq!(v["bitstream_bytes"].as_u64(), Some(HX8K_BITSTREAM_BYTES));
    assert_eq!(v["seed"].as_u64(), Some(seed));
    if breakdown {
        check_breakdown(
            &v["breakdown"],
            v["utilization"]["ram"]["used"].as_u64().unwrap(),
        );
        // The board part's budget is on its flattened count (README: its blocks have
        // no registers of their own kept apart).
        let board = v["breakdown"]["board"]["lut"].as_u64().unwrap();
        assert!(
            board <= MAX_BOARD_LUTS,
            "the board part takes {board} LUT4s, over {MAX_BOARD_LUTS}"
        );
    }
    // The exit status says what the timing figures say.
    let failed: Vec<String> = clocks
        .iter()
        .filter(|c| c["pass"] != true)
        .map(|c| format!("{} {} MHz of {}", c["name"], c["fmax_mhz"], c["target_mhz"]))
        .collect();
    assert_eq!(
        out.status.success(),
        failed.is_empty(),
        "exit status agrees with timing: {stderr}"
    );
    if !failed.is_empty() {
        one_sentence_failure(&out);
    }
    // The targets.
    let cells = v["utilization"]["lc"]["used"].as_u64().unwrap();
    let rams = v["utilization"]["ram"]["used"].as_u64().unwrap();
    assert!(
        cells <= MAX_LOGIC_CELLS,
        "seed {seed}: {cells} logic cells, over {MAX_LOGIC_CELLS} (60%)"
    );
    assert!(
        rams <= MAX_BLOCK_RAMS,
        "seed {seed}: {rams} block RAMs, over {MAX_BLOCK_RAMS}"
    );
    assert!(
        failed.is_empty(),
        "seed {seed}: a clock misses its target: {failed:?}"
    );
    let ref_clk = clocks.iter().find(|c| c["name"] == "rmii_ref_clk").unwrap();
    let ref_mhz = ref_clk["fmax_mhz"].as_f64().unwrap();
    assert!(
        ref_mhz >= MIN_REF_CLK_MHZ,
        "seed {seed}: REF_CLK reaches {ref_mhz} MHz, under {MIN_REF_CLK_MHZ}"
    );
}

/// `--breakdown`: every part is there and costs something, each part is the sum of its
/// blocks, the receive and transmit pipelines are split into their blocks, and the
/// block RAMs add up to what nextpnr placed (the one count flattening cannot change),
/// but for the receive path's header store: its read port serves a simulator's reports
/// and is left unread on the board, so the flattened design has no use for it.
fn check_breakdown(b: &Value, placed_ram: u64) {
    let parts = [
        "receive",
        "transmit",
        "host_link_out",
        "host_link_in",
        "board",
    ];
    assert_eq!(b.as_object().map(|o| o.len()), Some(parts.len()), "{b}");
    let mut ram = 0;
    for part in parts {
        let p = &b[part];
        let blocks = p["blocks"]
            .as_object()
            .unwrap_or_else(|| panic!("{part} has blocks: {b}"));
        for k in ["lut", "ff", "carry", "ram"] {
            let sum: u64 = blocks.values().map(|v| v[k].as_u64().unwrap()).sum();
            assert_eq!(
                p[k].as_u64(),
                Some(sum),
                "{part}.{k} is the sum of its blocks"
            );
        }
        assert!(
            p["lut"].as_u64().unwrap() > 0 && p["ff"].as_u64().unwrap() > 0,
            "{part}: {p}"
        );
        // The count the budgets were set on, from the second synthesis.
        assert!(
            p["lut_noflatten"].as_u64().is_some_and(|n| n > 0),
            "{part}: {p}"
        );
        ram += p["ram"].as_u64().unwrap();
    }
    for part in ["receive", "transmit"] {
        assert!(
            b[part]["blocks"].as_object().unwrap().len() >= 4,
            "{part} by block: {b}"
        );
    }
    let store = b["receive"]["blocks"]["header"]["ram"].as_u64();
    assert_eq!(store, Some(1), "the header store is one block RAM: {b}");
    assert_eq!(
        ram - 1,
        placed_ram,
        "block RAMs in the breakdown (but the header store) and in nextpnr's placement"
    );
}

/// One line on stderr, non-zero exit.
fn one_sentence_failure(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert!(!out.status.success(), "exit status {}", out.status);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("tcpip: ") && stderr.ends_with(|c: char| c != '\n'));
    stderr
}

#[test]
fn flash_without_iceprog_says_so_in_one_sentence() {
    let empty = tempfile::tempdir().unwrap();
    let out = tcpip()
        .args(["flash", "--bitstream", "/nonexistent/top.bin"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    let msg = one_sentence_failure(&out);
    assert!(msg.contains("iceprog"), "{msg}");
}

#[test]
fn flash_without_a_bitstream_or_a_board_says_so_in_one_sentence() {
    // A stand-in iceprog that fails the way the real one does with no board attached,
    // so that this runs the same with or without a board on the machine.
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("iceprog");
    std::fs::write(&fake, "#!/bin/sh\necho 'init..'\necho \"Can't find iCE FTDI USB device (vendor_id 0x0403, device_id 0x6010 or 0x6014).\" >&2\nexit 2\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = std::env::join_paths([dir.path()]).unwrap();
    let out = tcpip()
        .args(["flash", "--bitstream"])
        .arg(dir.path().join("missing.bin"))
        .env("PATH", &path)
        .output()
        .unwrap();
    let msg = one_sentence_failure(&out);
    assert!(msg.contains("tcpip synth"), "{msg}");

    let bin = dir.path().join("top.bin");
    std::fs::write(&bin, [0u8; 16]).unwrap();
    let out = tcpip()
        .args(["flash", "--bitstream"])
        .arg(&bin)
        .env("PATH", &path)
        .output()
        .unwrap();
    let msg = one_sentence_failure(&out);
    assert!(msg.contains("could not program the board"), "{msg}");
}
