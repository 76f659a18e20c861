//! `tcpip synth` and `tcpip flash`: the board's bitstream from the RustHDL top level.
//!
//! synth: Verilog (rust-hdl), constraints (generated from the top level's pin
//! locations, which come from the board's support crate, with a frequency target per
//! clock), yosys `synth_ice40`, nextpnr-ice40 (HX8K, cb132, `--report`),
//! icepack. Every tool's exit code is checked and its log kept in the output folder;
//! utilisation and Fmax per clock come from nextpnr's JSON report. Timing is judged
//! here (nextpnr runs with `--timing-allow-fail` so that a miss still reports): a
//! clock below its target makes the command fail after printing the figures.
//! This replaces rust_hdl_bsp_alchitry_cu's generate_bitstream, which deletes its
//! folder, ignores exit codes and sets no clock target. `--breakdown` adds the cost
//! of each part and block ([`breakdown`]), from a second yosys run beside nextpnr.

pub mod breakdown;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The PHY module's REF_CLK.
const RMII_MHZ: f64 = 50.0;
const DEVICE: &str = "iCE40HX8K-CB132";
pub const DEFAULT_OUT: &str = "build/alchitry_cu";

#[derive(Args, Debug)]
pub struct SynthArgs {
    /// Folder for the Verilog, logs, report and bitstream (kept, not emptied).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_OUT)]
    pub out: PathBuf,
    /// Core clock target in MHz (the board's oscillator is 100 MHz).
    #[arg(long, value_name = "MHZ", default_value_t = 100.0)]
    pub freq: f64,
    /// Placement seed for nextpnr (Fmax moves 5-10% between seeds).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Also print LUT4s, flip-flops, carry cells and block RAMs per part of the design
    /// and per block (yosys without flattening), whether or not timing is met.
    #[arg(long)]
    pub breakdown: bool,
}

#[derive(Args, Debug)]
pub struct FlashArgs {
    /// The bitstream to program.
    #[arg(long, value_name = "FILE", default_value = "build/alchitry_cu/top.bin")]
    pub bitstream: PathBuf,
}

/// The result of a build: what `--json` prints.
pub struct SynthReport {
    pub value: Value,
    pub timing_ok: bool,
}

/// Synthesizes `top.v` in `dir` with each block kept apart and reads each block's cost;
/// then once more without flattening, for each part's and block's `lut_noflatten`.
fn run_breakdown(dir: &Path, verilog: &str) -> Result<Value> {
    std::fs::write(
        dir.join("breakdown.ys"),
        breakdown::yosys_script(verilog, "top"),
    )
    .context("cannot write breakdown.ys")?;
    run_tool(
        dir,
        "yosys",
        &["-q", "-s", "breakdown.ys"],
        "yosys-breakdown.log",
    )?;
    let stat = std::fs::read_to_string(dir.join("breakdown.txt"))
        .context("yosys wrote no breakdown.txt")?;
    // The count the part budgets were set on (../shared/AREA.md), beside it.
    run_tool(
        dir,
        "yosys",
        &[
            "-q",
            "-p",
            "synth_ice40 -noflatten -top top; tee -q -o breakdown-noflatten.txt stat",
            "top.v",
        ],
        "yosys-breakdown-noflatten.log",
    )?;
    let old = std::fs::read_to_string(dir.join("breakdown-noflatten.txt"))
        .context("yosys wrote no breakdown-noflatten.txt")?;
    let mut value = breakdown::breakdown(&stat, verilog, "top");
    breakdown::add_noflatten_luts(&mut value, &breakdown::breakdown(&old, verilog, "top"));
    Ok(value)
}

fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// From nextpnr's "Device utilisation" lines, the resources used beyond 100%, as
/// "7946 of 7680 logic cells (103%)"; None when everything fits.
fn over_capacity(log: &str) -> Option<String> {
    let names = [
        ("ICESTORM_LC:", "logic cells"),
        ("ICESTORM_RAM:", "block RAMs"),
        ("SB_IO:", "I/O cells"),
    ];
    let mut over = vec![];
    for line in log.lines() {
        for (key, name) in names {
            let Some(rest) = line.split(key).nth(1) else {
                continue;
            };
            let nums: Vec<&str> = rest
                .split(|c: char| c == '/' || c.is_whitespace())
                .filter(|w| !w.is_empty())
                .collect();
            if let [used, avail, pct, ..] = nums[..] {
                let (Ok(u), Ok(a)) = (used.parse::<u32>(), avail.parse::<u32>()) else {
                    continue;
                };
                if u > a {
                    over.push(format!("{u} of {a} {name} ({pct})"));
                }
            }
        }
    }
    (!over.is_empty()).then(|| over.join(" and "))
}

/// Runs a tool in `dir`, its output into `dir/<log>`; fails with one sentence.
fn run_tool(dir: &Path, tool: &str, args: &[&str], log: &str) -> Result<()> {
    let out = Command::new(tool)
        .current_dir(dir)
        .args(args)
        .output()
        .with_context(|| format!("could not start {tool}"))?;
    let log_path = dir.join(log);
    let mut f = std::fs::File::create(&log_path)?;
    f.write_all(&out.stdout)?;
    f.write_all(&out.stderr)?;
    if !out.status.success() {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if let Some(over) = over_capacity(&text) {
            bail!(
                "the design does not fit the HX8K: it needs {over}; nextpnr's log is {}",
                log_path.display()
            );
        }
        let last = String::from_utf8_lossy(&out.stderr)
            .lines()
            .chain(String::from_utf8_lossy(&out.stdout).lines())
            .rfind(|l| l.contains("rror"))
            .unwrap_or("")
            .trim()
            .to_string();
        bail!(
            "{tool} failed ({}){}; its log is {}",
            out.status,
            if last.is_empty() {
                String::new()
            } else {
                format!(": {last}")
            },
            log_path.display()
        );
    }
    Ok(())
}

/// The constraints: every pin, and one set_frequency line per clock.
pub fn constraints(core_mhz: f64) -> String {
    tcpip_hdl::board::alchitry_cu::pcf(core_mhz, RMII_MHZ)
}

/// A clock net's name as the top level calls it (`clock$SB_IO_IN` → `clock`).
fn clock_name(net: &str) -> String {
    net.split('$').next().unwrap_or(net).to_string()
}

fn utilization(report: &Value, cell: &str) -> Value {
    let u = &report["utilization"][cell];
    json!({"used": u["used"].as_u64().unwrap_or(0), "available": u["available"].as_u64().unwrap_or(0)})
}

/// Builds the bitstream into `args.out` and reads nextpnr's report.
pub fn build(args: &SynthArgs) -> Result<Built> {
    let missing: Vec<&str> = ["yosys", "nextpnr-ice40", "icepack"]
        .into_iter()
        .filter(|t| find_tool(t).is_none())
        .collect();
    if !missing.is_empty() {
        bail!(
            "tcpip synth needs yosys, nextpnr-ice40 and icepack on PATH and {} missing (Debian: apt-get install yosys nextpnr-ice40 fpga-icestorm)",
            missing.join(", ") + if missing.len() == 1 { " is" } else { " are" }
        );
    }
    if !(args.freq > 0.0 && args.freq < 1000.0) {
        bail!(
            "--freq must be a clock rate in MHz between 0 and 1000, not {}",
            args.freq
        );
    }
    let dir = &args.out;
    std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    let verilog = tcpip_hdl::board::alchitry_cu::top_verilog();
    std::fs::write(dir.join("top.v"), &verilog)?;
    std::fs::write(dir.join("top.pcf"), constraints(args.freq))?;
    for stale in [
        "top.json",
        "top.asc",
        "top.bin",
        "report.json",
        "breakdown.txt",
    ] {
        let _ = std::fs::remove_file(dir.join(stale));
    }
    // The breakdown's yosys runs on the second core while the bitstream is built.
    std::thread::scope(|s| {
        let breakdown = args
            .breakdown
            .then(|| s.spawn(|| run_breakdown(dir, &verilog)));
        let placed = place_and_route(args, dir);
        let breakdown = breakdown.map(|h| h.join().expect("the breakdown thread does not panic"));
        Ok(Built {
            breakdown: breakdown.transpose()?,
            placed,
        })
    })
}

/// What a build gives: the breakdown when asked for, made even when the design does
/// not fit or place (that is when it is needed most), and the placed design's report.
pub struct Built {
    pub breakdown: Option<Value>,
    pub placed: Result<SynthReport>,
}

/// yosys (flattened, as the bitstream is built), nextpnr and icepack; the report.
fn place_and_route(args: &SynthArgs, dir: &Path) -> Result<SynthReport> {
    run_tool(
        dir,
        "yosys",
        &["-q", "-p", "synth_ice40 -top top -json top.json", "top.v"],
        "yosys.log",
    )?;
    let seed = args.seed.to_string();
    run_tool(
        dir,
        "nextpnr-ice40",
        &[
            "--hx8k",
            "--package",
            "cb132",
            "--json",
            "top.json",
            "--pcf",
            "top.pcf",
            "--asc",
            "top.asc",
            "--report",
            "report.json",
            "--seed",
            &seed,
            "--timing-allow-fail",
        ],
        "nextpnr.log",
    )?;
    run_tool(dir, "icepack", &["top.asc", "top.bin"], "icepack.log")?;

    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("report.json"))
            .context("nextpnr wrote no report.json")?,
    )
    .context("nextpnr's report.json is not JSON")?;
    let mut clocks = vec![];
    let mut timing_ok = true;
    if let Some(fmax) = report["fmax"].as_object() {
        for (net, v) in fmax {
            let achieved = v["achieved"].as_f64().unwrap_or(0.0);
            let target = v["constraint"].as_f64().unwrap_or(0.0);
            let pass = achieved >= target;
            timing_ok &= pass;
            clocks.push(json!({
                "name": clock_name(net),
                "fmax_mhz": (achieved * 100.0).round() / 100.0,
                "target_mhz": target,
                "pass": pass,
            }));
        }
    }
    if clocks.is_empty() {
        bail!("nextpnr's report names no clock, so timing cannot be judged");
    }
    let packing = lc_use(&std::fs::read_to_string(dir.join("nextpnr.log")).unwrap_or_default());
    let bitstream = dir.join("top.bin");
    let bytes = std::fs::metadata(&bitstream)
        .context("icepack wrote no top.bin")?
        .len();
    let value = json!({
        "device": DEVICE,
        "seed": args.seed,
        "clocks": clocks,
        "utilization": {
            "lc": utilization(&report, "ICESTORM_LC"),
            "ram": utilization(&report, "ICESTORM_RAM"),
            "io": utilization(&report, "SB_IO"),
        },
        "lc_use": packing,
        "bitstream": bitstream.display().to_string(),
        "bitstream_bytes": bytes,
    });
    Ok(SynthReport { value, timing_ok })
}

/// What nextpnr packed into the logic cells, from its log: each cell is a LUT4 and a
/// flip-flop, so a flip-flop with no LUT in front of it (a copy, a shift chain, a
/// register loaded from block RAM) costs a whole cell, as a LUT does. Fields
/// `lut_only`, `lut_and_ff`, `ff_only`, `carry_only`; null when the log has no count.
fn lc_use(log: &str) -> Value {
    let count = |what: &str| -> Value {
        log.lines()
            .find(|l| l.trim_end().ends_with(&format!("LCs used as {what}")))
            .and_then(|l| {
                l.trim_start_matches("Info:")
                    .split_whitespace()
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .map_or(Value::Null, Value::from)
    };
    json!({
        "lut_only": count("LUT4 only"),
        "lut_and_ff": count("LUT4 and DFF"),
        "ff_only": count("DFF only"),
        "carry_only": count("CARRY only"),
    })
}

/// Raised when the design was built but a clock missed its target.
#[derive(Debug)]
pub struct TimingFailed(pub String);
impl std::fmt::Display for TimingFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "timing failed: {}", self.0)
    }
}
impl std::error::Error for TimingFailed {}

pub fn run(args: &SynthArgs, out: &mut impl Write) -> Result<()> {
    let built = build(args)?;
    if let (Some(b), false) = (&built.breakdown, args.json) {
        write!(out, "{}", breakdown::table(b))?;
    }
    let mut r = built.placed?;
    if let Some(b) = built.breakdown {
        r.value["breakdown"] = b;
    }
    let v = &r.value;
    if args.json {
        writeln!(out, "{v}")?;
    } else {
        writeln!(out, "device   {}", v["device"].as_str().unwrap_or(""))?;
        for k in ["lc", "ram", "io"] {
            let u = &v["utilization"][k];
            let (used, avail) = (
                u["used"].as_u64().unwrap_or(0),
                u["available"].as_u64().unwrap_or(1),
            );
            let label = match k {
                "lc" => "logic cells",
                "ram" => "block RAM",
                _ => "I/O",
            };
            writeln!(
                out,
                "{label:<12} {used:>5} / {avail:<5} ({:.1}%)",
                100.0 * used as f64 / avail as f64
            )?;
        }
        let u = &v["lc_use"];
        if u["ff_only"].is_u64() {
            writeln!(
                out,
                "  by use     {} LUT only, {} LUT and flip-flop, {} flip-flop only, {} carry only",
                u["lut_only"], u["lut_and_ff"], u["ff_only"], u["carry_only"]
            )?;
        }
        for c in v["clocks"].as_array().into_iter().flatten() {
            writeln!(
                out,
                "clock {:<14} Fmax {:>7.2} MHz  target {:>6.2} MHz  {}",
                c["name"].as_str().unwrap_or(""),
                c["fmax_mhz"].as_f64().unwrap_or(0.0),
                c["target_mhz"].as_f64().unwrap_or(0.0),
                if c["pass"].as_bool() == Some(true) {
                    "pass"
                } else {
                    "FAIL"
                }
            )?;
        }
        writeln!(
            out,
            "bitstream {} ({} bytes)",
            v["bitstream"].as_str().unwrap_or(""),
            v["bitstream_bytes"]
        )?;
    }
    if !r.timing_ok {
        let failed: Vec<String> = v["clocks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["pass"].as_bool() != Some(true))
            .map(|c| {
                format!(
                    "{} reached {} MHz of {} MHz",
                    c["name"].as_str().unwrap_or("?"),
                    c["fmax_mhz"],
                    c["target_mhz"]
                )
            })
            .collect();
        return Err(TimingFailed(failed.join(", ")).into());
    }
    Ok(())
}

/// `tcpip flash`: programs the board's flash with iceprog.
pub fn flash(args: &FlashArgs) -> Result<()> {
    if find_tool("iceprog").is_none() {
        bail!("iceprog is not on PATH, so the board cannot be flashed (Debian: apt-get install fpga-icestorm)");
    }
    if !args.bitstream.is_file() {
        bail!(
            "there is no bitstream at {}: run `tcpip synth` first",
            args.bitstream.display()
        );
    }
    let out = Command::new("iceprog")
        .arg(&args.bitstream)
        .output()
        .context("could not start iceprog")?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr)
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or("no message")
            .to_string();
        bail!("iceprog could not program the board (is the Alchitry Cu plugged in?): {why}");
    }
    Ok(())
}

#[cfg(test)]
mod capacity_tests {
    use super::{lc_use, over_capacity};
    use serde_json::json;

    #[test]
    fn reads_how_the_cells_are_used() {
        let log = "Info: Packing LUT-FFs..\nInfo:     3270 LCs used as LUT4 only\n\
                   Info:     1202 LCs used as LUT4 and DFF\nInfo: Packing non-LUT FFs..\n\
                   Info:     1599 LCs used as DFF only\nInfo:      275 LCs used as CARRY only\n";
        let u = lc_use(log);
        assert_eq!(
            (
                &u["lut_only"],
                &u["lut_and_ff"],
                &u["ff_only"],
                &u["carry_only"]
            ),
            (&json!(3270), &json!(1202), &json!(1599), &json!(275))
        );
        assert!(lc_use("no packing here")["ff_only"].is_null());
    }

    #[test]
    fn names_what_overflows() {
        let log = "Info: \t         ICESTORM_LC:  7946/ 7680   103%\nInfo: \t        ICESTORM_RAM:    35/   32   109%\nInfo: \t               SB_IO:    20/  256     7%\n";
        assert_eq!(
            over_capacity(log).as_deref(),
            Some("7946 of 7680 logic cells (103%) and 35 of 32 block RAMs (109%)")
        );
        assert_eq!(over_capacity("Info: ICESTORM_LC:  3710/ 7680    48%"), None);
    }
}
