//! Drives a block cycle by cycle in rust-hdl's own simulation, without the threaded
//! `Simulation` (far too slow for long vectors).
//!
//! Timing convention, shared with the Verilog testbench (verilog_sim.rs). Cycle i:
//!   1. the clock is low; the inputs take the values of `vectors[i]`; the logic settles;
//!   2. the outputs are sampled: `outputs[i]` = f(register state after i rising edges,
//!      `vectors[i]`), i.e. combinational paths from inputs to outputs are visible in
//!      the same cycle;
//!   3. the clock rises; registers capture; the logic settles.

use anyhow::{bail, Result};
use rust_hdl::prelude::*;

use super::Ports;

/// How many settle iterations an edge may take before we call the logic unstable.
const MAX_SETTLE: usize = 100;

/// Checks that every vector has one value per input and each value fits its width.
pub fn check_vectors<B: Ports>(vectors: &[Vec<u64>]) -> Result<()> {
    let inputs = B::inputs();
    for (cycle, v) in vectors.iter().enumerate() {
        if v.len() != inputs.len() {
            bail!(
                "input vector for cycle {cycle} has {} values but the block has {} inputs ({})",
                v.len(),
                inputs.len(),
                inputs
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        for (&value, &(name, width)) in v.iter().zip(&inputs) {
            if width < 64 && value >> width != 0 {
                bail!("input `{name}` on cycle {cycle} is {value:#x}, which does not fit in {width} bits");
            }
        }
    }
    Ok(())
}

/// Marks the inputs driven, wires the block up, and runs rust-hdl's checks (every
/// signal driven, no logic loop, no write to an input), as an error instead of the
/// panic of `generate_verilog`. Call once on a fresh block.
pub fn connect<B: Block + Ports>(uut: &mut B) -> Result<()> {
    uut.connect_inputs();
    uut.connect_all();
    if let Err(e) = check_all(uut) {
        bail!("rust-hdl's check of the block failed (an input not listed in cosim_ports!, an undriven signal, a logic loop or a write to an input): {e:?}");
    }
    Ok(())
}

/// Runs the vectors through a fresh block (as returned by its constructor) and returns
/// the outputs of every cycle, sampled as described at the top of this file.
pub fn run_rust<B: Block + Ports>(uut: &mut B, vectors: &[Vec<u64>]) -> Result<Vec<Vec<u64>>> {
    check_vectors::<B>(vectors)?;
    connect(uut)?;
    let mut outputs = Vec::with_capacity(vectors.len());
    for (cycle, v) in vectors.iter().enumerate() {
        uut.set_inputs(v);
        uut.set_clock(false);
        if !simulate(uut, MAX_SETTLE) {
            bail!("the Rust simulation did not settle after applying the inputs of cycle {cycle} (combinational loop or oscillation?)");
        }
        outputs.push(uut.get_outputs());
        uut.set_clock(true);
        if !simulate(uut, MAX_SETTLE) {
            bail!("the Rust simulation did not settle after the rising clock edge of cycle {cycle} (combinational loop or oscillation?)");
        }
    }
    Ok(outputs)
}
