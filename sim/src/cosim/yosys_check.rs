//! Our own yosys check of generated Verilog. rust-hdl's `yosys_validate` panics and
//! hides yosys's output; this returns an error quoting yosys's relevant lines.

use anyhow::{bail, Context, Result};
use rust_hdl::prelude::*;
use std::process::Command;

use super::{require_tool, WorkDir};

/// What yosys runs after reading `top.v`:
/// - `hierarchy -check` fails on missing modules;
/// - `proc` turns processes into cells (and latches into $dlatch cells);
/// - `check -assert` fails on undriven wires, conflicting drivers and logic loops;
/// - `select -assert-none` fails if `proc` inferred any latch.
///
/// Implicitly declared nets are only a warning in yosys: `-e` turns them into errors.
const SCRIPT: &str = "read_verilog top.v; hierarchy -check -top top; proc; check -assert; \
    select -assert-none t:$dlatch t:$adlatch t:$dlatchsr t:$sr";

/// The generated Verilog of a connected block, after rust-hdl's own checks passed
/// (see `drive::connect`), and checked by yosys.
pub fn checked_verilog<B: Block>(uut: &B) -> Result<String> {
    if let Err(e) = check_all(uut) {
        bail!("rust-hdl's check of the block failed: {e:?}");
    }
    let verilog = generate_verilog(uut)?;
    yosys_check(&verilog)?;
    Ok(verilog)
}

/// rust-hdl's Verilog generation, with its panics (e.g. on an array of signals indexed
/// by a signal, RUSTHDL.md trap 4) turned into an error.
fn generate_verilog<B: Block>(uut: &B) -> Result<String> {
    let generated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        generate_verilog_unchecked(uut)
    }));
    generated.map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        anyhow::anyhow!(
            "rust-hdl panicked while generating the Verilog: {message} (an array of signals indexed by a signal, RUSTHDL.md trap 4, does this)"
        )
    })
}

/// Fails unless yosys elaborates `verilog` (top module `top`) with no latch, no
/// undriven wire, no conflicting drivers, no logic loop and no implicitly declared net.
pub fn yosys_check(verilog: &str) -> Result<()> {
    require_tool("yosys")?;
    let dir = WorkDir::new("yosys")?;
    std::fs::write(dir.path().join("top.v"), verilog)?;
    let out = Command::new("yosys")
        .current_dir(dir.path())
        .args([
            "-q",
            "-l",
            "yosys.log",
            "-e",
            "is implicitly declared",
            "-p",
            SCRIPT,
        ])
        .output()
        .context("could not run yosys")?;
    if out.status.success() {
        return Ok(());
    }
    let log = std::fs::read_to_string(dir.path().join("yosys.log")).unwrap_or_default();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    bail!(
        "yosys rejected the generated Verilog:\n{}\n({})",
        relevant_lines(&text, &log),
        dir.hint()
    )
}

/// Keeps the lines that say what is wrong: warnings, errors, and the names of inferred
/// latches (which `select -assert-none` reports only as cell names), at most 40 lines.
fn relevant_lines(output: &str, log: &str) -> String {
    let mut lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Latch inferred for signal"))
        .map(str::trim)
        .collect();
    lines.extend(
        output
            .lines()
            .filter(|l| l.contains("Warning:") || l.contains("ERROR:")),
    );
    lines.dedup();
    let more = lines.len().saturating_sub(40);
    let mut text = lines.into_iter().take(40).collect::<Vec<_>>().join("\n");
    if more > 0 {
        text.push_str(&format!("\n... and {more} more lines"));
    }
    text
}
