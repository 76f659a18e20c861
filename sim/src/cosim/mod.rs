//! Co-simulation: proves that the Verilog rust-hdl generates for a block passes
//! yosys's check and computes, cycle by cycle, the same outputs as the Rust simulation.
//!
//! A block test (in tcpip-hdl, with `tcpip-sim` as a dev-dependency; the dev-dependency
//! cycle hdl -> sim -> hdl is allowed by cargo):
//! ```text
//! tcpip_sim::cosim_ports!(Counter { inputs: [enable], outputs: [count] });
//! let vectors: Vec<Vec<u64>> = (0..1000).map(|i| vec![(i % 3 != 0) as u64]).collect();
//! let report = tcpip_sim::cosim::check_block(Counter::default, &vectors).unwrap();
//! ```
//! One `Vec` per clock cycle, one value per input in the order of `inputs: [...]`.
//! Every port of the block except `clock` must be listed, with a `bool` or `Bits<N>`
//! (N <= 64) type.
//!
//! Timing convention (drive.rs): on cycle i the inputs `vectors[i]` are applied with
//! the clock low, outputs are sampled, then the clock rises.
//!
//! Unknown values: Icarus is 4-state, so a RAM word never written, or a RAM's read
//! register before its first clock, reads as X (e.g. `data_out` of an empty FIFO),
//! where the Rust simulation reads 0. On the iCE40, configuration clears the
//! flip-flops and loads block RAM with its initial contents (zero when none is given),
//! so 0 is what the hardware does: X bits from Icarus are not compared (they are
//! counted in the report), and Verilator, which starts every register and memory at 0,
//! compares those bits exactly. Z bits (undriven nets) are always errors.
//!
//! Environment: `COSIM_VERILATOR=0` skips Verilator (Icarus only); `COSIM_KEEP=1`
//! keeps every scratch directory (Verilog, testbench, vectors, logs) in the temp dir.

mod drive;
mod ports;
mod verilog_sim;
mod yosys_check;

#[cfg(test)]
mod tests;

pub use drive::{check_vectors, connect, run_rust};
pub use ports::{__Logic, signal_width, PortValue, Ports};
pub use verilog_sim::{pack_hex, run_verilog, testbench, Sample, Simulator};
pub use yosys_check::{checked_verilog, yosys_check};

use anyhow::{bail, Result};
use rust_hdl::prelude::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a successful `check_block` ran.
#[derive(Debug, Clone)]
pub struct CosimReport {
    pub cycles: usize,
    /// The Verilog simulators whose outputs matched the Rust simulation on every cycle.
    pub simulators: Vec<Simulator>,
    /// How many (cycle, output) samples had X bits in Icarus; those bits were not
    /// compared there (see the module documentation).
    pub x_samples: usize,
    /// The first of them: (cycle, output name).
    pub first_x: Option<(usize, &'static str)>,
    /// Wall-clock time of each stage: ("yosys", ..), ("rust", ..), ("Icarus Verilog", ..).
    pub times: Vec<(String, Duration)>,
}

impl std::fmt::Display for CosimReport {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let sims: Vec<String> = self.simulators.iter().map(|s| s.to_string()).collect();
        let times: Vec<String> = self
            .times
            .iter()
            .map(|(n, d)| format!("{n} {:.2}s", d.as_secs_f64()))
            .collect();
        write!(
            f,
            "{} cycles identical in Rust and {} ({})",
            self.cycles,
            sims.join(" and "),
            times.join(", ")
        )?;
        if let Some((cycle, port)) = self.first_x {
            write!(
                f,
                "; {} samples had X bits in Icarus, first `{port}` on cycle {cycle}",
                self.x_samples
            )?;
        }
        Ok(())
    }
}

/// Runs yosys's check on the block's generated Verilog, then the vectors (one `Vec` per
/// cycle, one value per input in `Ports::inputs()` order) through the Rust simulation,
/// Icarus Verilog, and Verilator when it is installed (set `COSIM_VERILATOR=0` to skip
/// it), and requires identical outputs on every cycle. `make` builds a fresh block.
///
/// Errors name the first differing cycle, port, both values and that cycle's inputs.
pub fn check_block<B: Block + Ports>(
    make: impl Fn() -> B,
    vectors: &[Vec<u64>],
) -> Result<CosimReport> {
    for tool in ["yosys", "iverilog", "vvp"] {
        require_tool(tool)?;
    }
    if vectors.is_empty() {
        bail!(
            "check_block was given no input vectors: a co-simulation of zero cycles proves nothing"
        );
    }
    check_vectors::<B>(vectors)?;
    let (inputs, outputs) = (B::inputs(), B::outputs());
    check_port_names(inputs.iter().chain(&outputs).map(|(n, _)| *n))?;
    let mut times = Vec::new();

    let t = Instant::now();
    let mut uut = make();
    connect(&mut uut)?;
    let verilog = checked_verilog(&uut)?;
    check_top_ports::<B>(&verilog)?;
    times.push(("yosys".to_string(), t.elapsed()));

    let t = Instant::now();
    let expected = run_rust(&mut make(), vectors)?;
    times.push(("rust".to_string(), t.elapsed()));

    let mut simulators = vec![Simulator::Icarus];
    if verilator_wanted() {
        simulators.push(Simulator::Verilator);
    } else {
        verilator_skipped()?;
    }
    let (mut x_samples, mut first_x) = (0, None);
    for &sim in &simulators {
        let t = Instant::now();
        let got = run_verilog(sim, &verilog, &inputs, &outputs, vectors)?;
        times.push((sim.to_string(), t.elapsed()));
        compare::<B>(sim, vectors, &expected, &got)?;
        for (cycle, row) in got.iter().enumerate() {
            for (k, sample) in row.iter().enumerate() {
                if sample.unknown != 0 {
                    x_samples += 1;
                    first_x = first_x.or(Some((cycle, outputs[k].0)));
                }
            }
        }
    }
    Ok(CosimReport {
        cycles: vectors.len(),
        simulators,
        x_samples,
        first_x,
        times,
    })
}

/// Verilator runs when installed unless `COSIM_VERILATOR=0`.
fn verilator_wanted() -> bool {
    std::env::var("COSIM_VERILATOR").map_or(true, |v| v != "0") && tool_exists("verilator")
}

/// Verilator is not run: fine when COSIM_VERILATOR=0 asks so; a missing `verilator`
/// fails under CI (env CI set) rather than passing on Icarus alone, and says so loudly
/// elsewhere.
fn verilator_skipped() -> Result<()> {
    if std::env::var("COSIM_VERILATOR").is_ok_and(|v| v == "0") {
        return Ok(());
    }
    if std::env::var_os("CI").is_some() {
        require_tool("verilator")?;
    }
    // Straight to the stream: eprintln! would be captured and hidden for a passing test.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        b"\n!!!! verilator is not installed: co-simulation compared Rust with Icarus only !!!!\n\n",
    );
    Ok(())
}

/// Fails on the first cycle where `got` differs from the Rust outputs `expected`.
fn compare<B: Ports>(
    sim: Simulator,
    vectors: &[Vec<u64>],
    expected: &[Vec<u64>],
    got: &[Vec<Sample>],
) -> Result<()> {
    let (inputs, outputs) = (B::inputs(), B::outputs());
    for (cycle, (e, g)) in expected.iter().zip(got).enumerate() {
        if let Some(k) = (0..outputs.len()).find(|&k| !g[k].matches(e[k])) {
            let ins: Vec<String> = inputs
                .iter()
                .zip(&vectors[cycle])
                .map(|((n, _), v)| format!("{n}={v:#x}"))
                .collect();
            bail!(
                "Rust and {sim} disagree on cycle {cycle}: output `{}` is {:#x} in Rust and {} in {sim} (inputs on that cycle: {}); {KEEP_HINT}",
                outputs[k].0,
                e[k],
                g[k],
                if ins.is_empty() { "none".to_string() } else { ins.join(", ") }
            );
        }
    }
    if expected.len() != got.len() {
        bail!(
            "Rust gave {} cycles of outputs and {sim} {}",
            expected.len(),
            got.len()
        );
    }
    Ok(())
}

/// The ports of module `top` must be exactly `clock` plus the ports listed in
/// `cosim_ports!`; otherwise the testbench would leave a port unconnected.
fn check_top_ports<B: Ports>(verilog: &str) -> Result<()> {
    let Some(start) = verilog.find("module top(") else {
        bail!("the generated Verilog has no `module top(`");
    };
    let rest = &verilog[start + "module top(".len()..];
    let args = &rest[..rest.find(')').unwrap_or(0)];
    let actual: Vec<&str> = args
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let listed: Vec<&str> = std::iter::once("clock")
        .chain(B::inputs().into_iter().chain(B::outputs()).map(|(n, _)| n))
        .collect();
    let unlisted: Vec<&str> = actual
        .iter()
        .filter(|p| !listed.contains(p))
        .copied()
        .collect();
    let absent: Vec<&str> = listed
        .iter()
        .filter(|p| !actual.contains(p))
        .copied()
        .collect();
    if !unlisted.is_empty() {
        bail!(
            "ports of the block missing from its cosim_ports! list: {}",
            unlisted.join(", ")
        );
    }
    if !absent.is_empty() {
        bail!("ports listed in cosim_ports! (or the clock) that the generated module top does not have: {}", absent.join(", "));
    }
    Ok(())
}

/// Verilog-2005 keywords (IEEE 1364-2005 annex B) are legal Rust field names, but a
/// port named after one makes the generated Verilog unreadable by every tool, with a
/// bare "syntax error" from yosys.
const VERILOG_KEYWORDS: &[&str] = &[
    "always",
    "and",
    "assign",
    "automatic",
    "begin",
    "buf",
    "bufif0",
    "bufif1",
    "case",
    "casex",
    "casez",
    "cell",
    "cmos",
    "config",
    "deassign",
    "default",
    "defparam",
    "design",
    "disable",
    "edge",
    "else",
    "end",
    "endcase",
    "endconfig",
    "endfunction",
    "endgenerate",
    "endmodule",
    "endprimitive",
    "endspecify",
    "endtable",
    "endtask",
    "event",
    "for",
    "force",
    "forever",
    "fork",
    "function",
    "generate",
    "genvar",
    "highz0",
    "highz1",
    "if",
    "ifnone",
    "incdir",
    "include",
    "initial",
    "inout",
    "input",
    "instance",
    "integer",
    "join",
    "large",
    "liblist",
    "library",
    "localparam",
    "macromodule",
    "medium",
    "module",
    "nand",
    "negedge",
    "nmos",
    "nor",
    "noshowcancelled",
    "not",
    "notif0",
    "notif1",
    "or",
    "output",
    "parameter",
    "pmos",
    "posedge",
    "primitive",
    "pull0",
    "pull1",
    "pulldown",
    "pullup",
    "pulsestyle_onevent",
    "pulsestyle_ondetect",
    "rcmos",
    "real",
    "realtime",
    "reg",
    "release",
    "repeat",
    "rnmos",
    "rpmos",
    "rtran",
    "rtranif0",
    "rtranif1",
    "scalared",
    "showcancelled",
    "signed",
    "small",
    "specify",
    "specparam",
    "strong0",
    "strong1",
    "supply0",
    "supply1",
    "table",
    "task",
    "time",
    "tran",
    "tranif0",
    "tranif1",
    "tri",
    "tri0",
    "tri1",
    "triand",
    "trior",
    "trireg",
    "unsigned",
    "use",
    "uwire",
    "vectored",
    "wait",
    "wand",
    "weak0",
    "weak1",
    "while",
    "wire",
    "wor",
    "xnor",
    "xor",
];

/// Fails on a port named after a Verilog keyword, naming it.
fn check_port_names<'a>(names: impl Iterator<Item = &'a str>) -> Result<()> {
    for name in names {
        if VERILOG_KEYWORDS.contains(&name) {
            bail!("port `{name}` is a Verilog keyword: rename the field (the generated Verilog cannot be read)");
        }
    }
    Ok(())
}

fn tool_exists(tool: &str) -> bool {
    std::process::Command::new("which")
        .arg(tool)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Fails with how to install `tool` when it is not on the PATH.
pub fn require_tool(tool: &str) -> Result<()> {
    if tool_exists(tool) {
        return Ok(());
    }
    let package = match tool {
        "iverilog" | "vvp" => "iverilog",
        other => other,
    };
    bail!("co-simulation needs `{tool}`, which is not installed: run `apt-get install -y {package}` (as root)")
}

/// A scratch directory, removed when dropped. With `COSIM_KEEP=1` every directory is
/// kept (and its path printed) for a post-mortem; by default nothing is left in /tmp,
/// also by the tests that expect a failure.
pub struct WorkDir {
    path: PathBuf,
    keep: bool,
}

/// The hint errors end with.
pub const KEEP_HINT: &str = "set COSIM_KEEP=1 to keep the Verilog, testbench and logs";

impl WorkDir {
    pub fn new(what: &str) -> Result<WorkDir> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .subsec_nanos();
        let path = std::env::temp_dir().join(format!(
            "tcpip-cosim-{what}-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path)?;
        let keep = std::env::var("COSIM_KEEP").is_ok_and(|v| v == "1");
        if keep {
            eprintln!("cosim: keeping {}", path.display());
        }
        Ok(WorkDir { path, keep })
    }
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// For an error message: where the files are, or how to keep them.
    pub fn hint(&self) -> String {
        if self.keep {
            format!("files kept in {}", self.path.display())
        } else {
            KEEP_HINT.to_string()
        }
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
