//! Runs the generated Verilog (top module `top`) on the same input vectors as the Rust
//! driver, with a generated testbench, under Icarus Verilog or Verilator.
//!
//! The testbench follows the convention of drive.rs. Cycle i: clock low and inputs of
//! cycle i applied at time 10*i; outputs written at 10*i + 5 (after every combinational
//! path settled); clock rises at 10*i + 5, just after the sample. Register inits in
//! rust-hdl's Verilog are `initial` blocks, which run at time 0, before the first sample.
//!
//! Everything is plain Verilog-2005, as yosys reads it for synthesis (SystemVerilog
//! would reserve names like `byte` or `bit` that are legal in rust-hdl).

use anyhow::{anyhow, bail, Context, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::{require_tool, WorkDir};

/// A Verilog simulator we can run the testbench on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Simulator {
    Icarus,
    Verilator,
}

impl std::fmt::Display for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Simulator::Icarus => "Icarus Verilog",
            Simulator::Verilator => "Verilator",
        })
    }
}

/// The testbench module `cosim_tb` for `top`, reading `inputs.hex` (one line per cycle:
/// the inputs concatenated in order, first input in the most significant bits) and
/// writing `outputs.txt` (one line per cycle: each output in binary, space separated,
/// so that X and Z are visible bit by bit).
pub fn testbench(inputs: &[(&str, usize)], outputs: &[(&str, usize)], cycles: usize) -> String {
    let range = |w: usize| {
        if w == 1 {
            String::new()
        } else {
            format!("[{}:0] ", w - 1)
        }
    };
    let in_width: usize = inputs.iter().map(|(_, w)| w).sum();
    let mut tb = String::new();
    tb.push_str("module cosim_tb;\n  reg clock = 1'b0;\n  integer i, f;\n");
    for (name, w) in inputs {
        writeln!(tb, "  reg {}{name};", range(*w)).unwrap();
    }
    for (name, w) in outputs {
        writeln!(tb, "  wire {}{name};", range(*w)).unwrap();
    }
    if in_width > 0 {
        writeln!(
            tb,
            "  reg [{}:0] vectors [0:{}];",
            in_width - 1,
            cycles.max(1) - 1
        )
        .unwrap();
    }
    let conns: Vec<String> = std::iter::once("clock")
        .chain(inputs.iter().chain(outputs).map(|(n, _)| *n))
        .map(|n| format!(".{n}({n})"))
        .collect();
    writeln!(tb, "  top dut({});", conns.join(", ")).unwrap();
    tb.push_str("  initial begin\n");
    if in_width > 0 {
        tb.push_str("    $readmemh(\"inputs.hex\", vectors);\n");
    }
    tb.push_str("    f = $fopen(\"outputs.txt\", \"w\");\n");
    writeln!(tb, "    for (i = 0; i < {cycles}; i = i + 1) begin").unwrap();
    tb.push_str("      clock = 1'b0;\n");
    if in_width > 0 {
        let names: Vec<&str> = inputs.iter().map(|(n, _)| *n).collect();
        writeln!(tb, "      {{{}}} = vectors[i];", names.join(", ")).unwrap();
    }
    tb.push_str("      #5;\n");
    let fmt = vec!["%b"; outputs.len()].join(" ");
    let args: String = outputs.iter().map(|(n, _)| format!(", {n}")).collect();
    writeln!(tb, "      $fwrite(f, \"{fmt}\\n\"{args});").unwrap();
    tb.push_str("      clock = 1'b1;\n      #5;\n    end\n    $fclose(f);\n    $finish;\n  end\nendmodule\n");
    tb
}

/// One line of `inputs.hex`: the values concatenated, first value most significant.
pub fn pack_hex(values: &[u64], widths: &[usize]) -> String {
    let mut bits = String::new();
    for (&v, &w) in values.iter().zip(widths) {
        for b in (0..w).rev() {
            bits.push(if b < 64 && (v >> b) & 1 == 1 {
                '1'
            } else {
                '0'
            });
        }
    }
    // Left-pad to whole nibbles, then one hex digit per nibble.
    let pad = (4 - bits.len() % 4) % 4;
    let bits = "0".repeat(pad) + &bits;
    bits.as_bytes()
        .chunks(4)
        .map(|n| {
            let d = n.iter().fold(0, |acc, &c| acc * 2 + (c - b'0') as u32);
            char::from_digit(d, 16).unwrap()
        })
        .collect()
}

/// Simulates `verilog` on the vectors and returns the outputs of every cycle.
pub fn run_verilog(
    sim: Simulator,
    verilog: &str,
    inputs: &[(&str, usize)],
    outputs: &[(&str, usize)],
    vectors: &[Vec<u64>],
) -> Result<Vec<Vec<Sample>>> {
    let dir = WorkDir::new(match sim {
        Simulator::Icarus => "icarus",
        Simulator::Verilator => "verilator",
    })?;
    let p = dir.path();
    std::fs::write(p.join("top.v"), verilog)?;
    std::fs::write(p.join("tb.v"), testbench(inputs, outputs, vectors.len()))?;
    let widths: Vec<usize> = inputs.iter().map(|(_, w)| *w).collect();
    let hex: String = vectors
        .iter()
        .map(|v| pack_hex(v, &widths) + "\n")
        .collect();
    std::fs::write(p.join("inputs.hex"), hex)?;
    let result = match sim {
        Simulator::Icarus => run_icarus(p),
        Simulator::Verilator => run_verilator(p),
    }
    .and_then(|()| read_outputs(sim, &p.join("outputs.txt"), outputs, vectors.len()));
    match result {
        Ok(out) => Ok(out),
        // One flat message, so that `{}` shows the cause as well as `{:?}` does.
        Err(e) => Err(anyhow!(
            "{sim} co-simulation failed: {e:#} ({})",
            dir.hint()
        )),
    }
}

/// Runs a command in `dir`; on failure the error quotes the end of its output.
fn run(dir: &Path, what: &str, cmd: &mut Command) -> Result<()> {
    let out = cmd
        .current_dir(dir)
        .output()
        .with_context(|| format!("could not start {what}"))?;
    if !out.status.success() {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        bail!("{what} failed ({}):\n{tail}", out.status);
    }
    Ok(())
}

fn run_icarus(dir: &Path) -> Result<()> {
    require_tool("iverilog")?;
    require_tool("vvp")?;
    run(
        dir,
        "iverilog (compiling the testbench)",
        Command::new("iverilog").args([
            "-g2005", "-Wall", "-s", "cosim_tb", "-o", "tb.vvp", "tb.v", "top.v",
        ]),
    )?;
    run(
        dir,
        "vvp (running the testbench)",
        Command::new("vvp").args(["-n", "tb.vvp"]),
    )
}

fn run_verilator(dir: &Path) -> Result<()> {
    require_tool("verilator")?;
    // --binary builds a main that runs the testbench's delays (--timing is implied).
    // Lint warnings are not our check (yosys is): they must not stop the build.
    let args: Vec<String> = [
        "--binary",
        "-j",
        "2",
        "-Wno-fatal",
        "-Wno-lint",
        "-Wno-style",
        "--default-language",
        "1364-2005",
        "--top-module",
        "cosim_tb",
        "-Mdir",
        "obj",
        "-o",
        "Vcosim_tb",
        "tb.v",
        "top.v",
    ]
    .map(String::from)
    .to_vec();
    let build = |args: &[String]| {
        run(
            dir,
            "verilator (building the model)",
            Command::new("verilator").args(args),
        )
    };
    let runtime = runtime_library();
    let cached = match &runtime {
        Some(lib) if lib.exists() => {
            // Link the cached runtime instead of compiling it again.
            let mut fast = args.clone();
            fast.extend(["-MAKEFLAGS".into(), "VK_GLOBAL_OBJS=".into()]);
            fast.extend(["-MAKEFLAGS".into(), format!("LIBS={}", lib.display())]);
            build(&fast).is_ok()
        }
        _ => false,
    };
    if !cached {
        // No cache yet, or a build with it failed (a bad cache must not fail a
        // block): build everything, and (re)fill the cache from this build.
        let _ = std::fs::remove_dir_all(dir.join("obj"));
        build(&args)?;
        if let Some(lib) = runtime {
            // Best effort: a failure here only means the next build is slow too.
            let _ = save_runtime_library(&dir.join("obj"), &lib);
        }
    }
    // Registers and memories without an `initial` start at 0, as the Rust simulation
    // and the iCE40 (configuration clears flip-flops and block RAM) do.
    run(
        dir,
        "the Verilator model",
        Command::new(dir.join("obj").join("Vcosim_tb")).arg("+verilator+rand+reset+0"),
    )
}

/// Where Verilator's runtime (verilated.cpp, verilated_timing.cpp, verilated_threads.cpp)
/// is cached, per Verilator version. Compiling it takes ~8 of the ~9 s of building a
/// small model, and it is the same for every model, so we compile it once per machine.
/// None (no cache, every build compiles it) if the path would not survive make.
fn runtime_library() -> Option<PathBuf> {
    static LIB: OnceLock<Option<PathBuf>> = OnceLock::new();
    LIB.get_or_init(|| {
        let out = Command::new("verilator").arg("--version").output().ok()?;
        let version: String = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .nth(1)?
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        let lib = std::env::temp_dir()
            .join(format!("tcpip-cosim-verilator-{version}"))
            .join("libverilated_rt.a");
        let plain = lib
            .to_str()?
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c));
        plain.then_some(lib)
    })
    .clone()
}

/// Archives the runtime objects of a full build into `lib`, atomically (concurrent
/// tests may race to do it; the rename makes the last one win with a whole file).
fn save_runtime_library(obj: &Path, lib: &Path) -> Result<()> {
    let objects = ["verilated.o", "verilated_timing.o", "verilated_threads.o"];
    let parent = lib.parent().context("runtime library path has no parent")?;
    std::fs::create_dir_all(parent)?;
    let tmp = parent.join(
        format!(
            "tmp-{}-{:?}.a",
            std::process::id(),
            std::thread::current().id()
        )
        .replace(['(', ')'], ""),
    );
    let status = Command::new("ar")
        .arg("rcs")
        .arg(&tmp)
        .args(objects.map(|o| obj.join(o)))
        .status()?;
    if !status.success() {
        let _ = std::fs::remove_file(&tmp);
        bail!("ar failed to archive Verilator's runtime");
    }
    std::fs::rename(&tmp, lib)?;
    Ok(())
}

/// One output on one cycle of a Verilog simulation: `value` holds the known bits,
/// `unknown` has a 1 for each X bit (Icarus is 4-state; Verilator never gives X).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    pub value: u64,
    pub unknown: u64,
}

impl Sample {
    /// True when every known bit equals the same bit of `v`.
    pub fn matches(&self, v: u64) -> bool {
        (self.value ^ v) & !self.unknown == 0
    }
}

impl std::fmt::Display for Sample {
    /// Hex when fully known, else binary with `x` for the unknown bits.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        if self.unknown == 0 {
            return write!(f, "{:#x}", self.value);
        }
        let top = 64 - (self.value | self.unknown).leading_zeros().min(63) as usize;
        let bits: String = (0..top)
            .rev()
            .map(|b| {
                if self.unknown >> b & 1 == 1 {
                    'x'
                } else if self.value >> b & 1 == 1 {
                    '1'
                } else {
                    '0'
                }
            })
            .collect();
        write!(f, "0b{bits}")
    }
}

/// Parses `outputs.txt` (each output in binary, `%b`). A Z bit is an error (an
/// undriven net); X bits are kept in `Sample::unknown`.
fn read_outputs(
    sim: Simulator,
    path: &Path,
    outputs: &[(&str, usize)],
    cycles: usize,
) -> Result<Vec<Vec<Sample>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("{sim} wrote no outputs file"))?;
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() != cycles {
        bail!(
            "{sim} wrote {} output lines for {cycles} cycles",
            lines.len()
        );
    }
    let mut result = Vec::with_capacity(cycles);
    for (cycle, line) in lines.iter().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() != outputs.len() {
            bail!(
                "{sim} output line for cycle {cycle} has {} fields, expected {}: {line:?}",
                fields.len(),
                outputs.len()
            );
        }
        let mut row = Vec::with_capacity(outputs.len());
        for (field, (name, width)) in fields.iter().zip(outputs) {
            if field.len() != *width {
                bail!("{sim}: output `{name}` on cycle {cycle} is {field:?}, expected {width} binary digits");
            }
            let mut s = Sample {
                value: 0,
                unknown: 0,
            };
            for c in field.chars() {
                s.value <<= 1;
                s.unknown <<= 1;
                match c {
                    '0' => {}
                    '1' => s.value |= 1,
                    'x' | 'X' => s.unknown |= 1,
                    'z' | 'Z' => bail!("{sim}: output `{name}` is {field} (Z bits) on cycle {cycle}: an undriven net in the Verilog"),
                    _ => bail!("{sim}: cannot parse output `{name}` = {field:?} on cycle {cycle}"),
                }
            }
            row.push(s);
        }
        result.push(row);
    }
    Ok(result)
}
