//! Builds the Verilator models of the receive path (`tcpip_hdl::rx_pipeline::RxPipeline`)
//! and of the whole board core (`tcpip_hdl::board::board_core::BoardCore`) and links them
//! in, with cfg `verilator_model`; without `verilator` on the PATH (or with
//! TCPIP_VERILATOR=0) it warns and builds without it, and tcpip-sim runs the Rust model
//! only (see `tcpip_sim::backend`).
//!
//! Steps: generate the Verilog with rust-hdl, `verilator --cc --build` it into static
//! archives, compile a small extern "C" shim (generated here from `src/rx_ports.rs`, so
//! its port order is the Rust structs' order) and link them.

use rust_hdl::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use tcpip_hdl::board::board_core::BoardCore;
use tcpip_hdl::rx_pipeline::RxPipeline;

#[allow(dead_code)]
mod ports {
    include!("src/rx_ports.rs");
}

#[allow(dead_code)]
mod board_ports {
    include!("src/board_ports.rs");
}

/// One Verilator model: its Verilog, its C++ class prefix, the prefix of its shim's C
/// symbols, and its ports in the Rust structs' order.
struct Model {
    dir: &'static str,
    class: &'static str,
    symbols: &'static str,
    inputs: &'static [&'static str],
    outputs: &'static [&'static str],
    fields: &'static [&'static str],
}

const MODELS: [Model; 2] = [
    Model {
        dir: "rx_model",
        class: "Vtop",
        symbols: "tcpip_rxm",
        inputs: ports::INPUT_NAMES,
        outputs: ports::OUTPUT_NAMES,
        fields: ports::FIELD_NAMES,
    },
    Model {
        dir: "board_model",
        class: "Vboard",
        symbols: "tcpip_bdm",
        inputs: board_ports::BOARD_INPUT_NAMES,
        outputs: board_ports::BOARD_OUTPUT_NAMES,
        fields: &[],
    },
];

fn main() {
    println!("cargo::rustc-check-cfg=cfg(verilator_model)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/rx_ports.rs");
    println!("cargo::rerun-if-changed=src/board_ports.rs");
    println!("cargo::rerun-if-changed=src/port_value.rs");
    println!("cargo::rerun-if-changed=../hdl/src");
    println!("cargo::rerun-if-env-changed=TCPIP_VERILATOR");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=TCPIP_CXX");
    if std::env::var("TCPIP_VERILATOR").is_ok_and(|v| v == "0") {
        println!("cargo::warning=TCPIP_VERILATOR=0: tcpip-sim is built without the Verilator model (Rust back end only)");
        return;
    }
    let Some(root) = verilator_root() else {
        println!("cargo::warning=`verilator` is not installed: tcpip-sim is built without the Verilator model (Rust back end only); run `apt-get install -y verilator` and rebuild");
        return;
    };
    let start = Instant::now();
    let compiler = model_compiler();
    for model in &MODELS {
        let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join(model.dir);
        std::fs::create_dir_all(&out).unwrap();
        let verilog = match model.dir {
            "rx_model" => rx_pipeline_verilog(),
            _ => board_core_verilog(),
        };
        std::fs::write(out.join("top.v"), verilog).unwrap();
        verilate(&out, model, compiler.as_deref());
        compile_shim(&out, &root, model);
        println!("cargo::rustc-link-search=native={}", out.display());
        println!("cargo::rustc-link-lib=static={}_shim", model.symbols);
        println!("cargo::rustc-link-lib=static={}_model", model.symbols);
    }
    println!("cargo::rustc-link-lib=static=verilated");
    println!("cargo::rustc-link-lib=dylib=stdc++");
    println!("cargo::rustc-cfg=verilator_model");
    // Not a warning: shown with `cargo build -vv`, and kept in the build's output file.
    println!(
        "verilator models built in {:.1}s",
        start.elapsed().as_secs_f64()
    );
}

/// Verilator's include root, or None when it is not installed.
fn verilator_root() -> Option<PathBuf> {
    let out = Command::new("verilator")
        .arg("--getenv")
        .arg("VERILATOR_ROOT")
        .output()
        .ok()?;
    let root = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !root.is_empty()).then(|| PathBuf::from(root))
}

fn rx_pipeline_verilog() -> String {
    let mut uut = RxPipeline::default();
    // A top-level block's inputs are driven from outside: say so, or the check fails.
    uut.clock.connect();
    uut.phy_data.connect();
    uut.phy_valid.connect();
    uut.phy_error.connect();
    uut.mac_hi.connect();
    uut.mac_mid.connect();
    uut.mac_lo.connect();
    uut.our_ip.connect();
    uut.netmask.connect();
    uut.promiscuous.connect();
    uut.fifo_read.connect();
    uut.counter_index.connect();
    uut.event_bump.connect();
    uut.event_index.connect();
    uut.connect_all();
    if let Err(e) = check_all(&uut) {
        panic!("rust-hdl's check of RxPipeline failed: {e:?}");
    }
    generate_verilog(&uut)
}

fn board_core_verilog() -> String {
    let mut uut = BoardCore::default();
    uut.clock.connect();
    uut.phy_rx_data.connect();
    uut.phy_rx_valid.connect();
    uut.phy_rx_error.connect();
    uut.phy_tx_ready.connect();
    uut.link_in_data.connect();
    uut.link_in_valid.connect();
    uut.link_out_ready.connect();
    uut.connect_all();
    if let Err(e) = check_all(&uut) {
        panic!("rust-hdl's check of BoardCore failed: {e:?}");
    }
    generate_verilog(&uut)
}

fn run(what: &str, cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    if !out.status.success() {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<&str> = text.lines().collect();
        panic!(
            "{what} failed ({}):\n{}",
            out.status,
            lines[lines.len().saturating_sub(40)..].join("\n")
        );
    }
}

/// Verilator's options shared by the lint rounds and the build.
const VERILATOR_FLAGS: [&str; 8] = [
    "-Wno-fatal",
    "-Wno-lint",
    "-Wno-style",
    "--default-language",
    "1364-2005",
    "--top-module",
    "top",
    "top.v",
];

/// rust-hdl writes each block's combinational logic as one `always @(*)`, so a block
/// that both drives a child's input and reads a child's output looks like a loop to
/// Verilator (UNOPTFLAT: the tx pipeline's `tcp$req_valid` → `tcp$valid` → ...). The
/// model then re-evaluates that logic until it settles and triggers on those signals,
/// which costs ~20% and rules out the one-edge clock (see `fast_edge`). Marking the
/// signals `isolate_assignments` lets Verilator order their assignments on their own;
/// the logic is unchanged. Each lint round may reveal the next signal of the same loop.
fn isolate_false_loops(out: &Path) {
    for _ in 0..4 {
        let lint = Command::new("verilator")
            .current_dir(out)
            .arg("--lint-only")
            .args(VERILATOR_FLAGS)
            .output()
            .expect("cannot run verilator --lint-only");
        let text = String::from_utf8_lossy(&lint.stderr);
        let lines: Vec<usize> = text
            .lines()
            .filter_map(|l| l.strip_prefix("%Warning-UNOPTFLAT: top.v:"))
            .filter_map(|l| l.split(':').next()?.parse().ok())
            .collect();
        let verilog = std::fs::read_to_string(out.join("top.v")).unwrap();
        let mut source: Vec<String> = verilog.lines().map(String::from).collect();
        let mut marked = 0;
        for n in lines {
            // Only `reg`s assigned in an always block can be isolated. A loop named by a
            // wire between blocks (`host_rx$tx_open`) is isolated at its driver: the
            // child block's `output reg`.
            let target = if source[n - 1].trim_start().starts_with("reg ") {
                Some(n - 1)
            } else {
                child_output_reg(&source, n - 1)
            };
            if let Some(i) = target {
                let line = &mut source[i];
                if !line.contains("isolate_assignments") {
                    *line = line.replacen(';', " /*verilator isolate_assignments*/;", 1);
                    marked += 1;
                }
            }
        }
        if marked == 0 {
            return;
        }
        std::fs::write(out.join("top.v"), source.join("\n") + "\n").unwrap();
    }
}

/// The line declaring the `output reg` that drives the wire declared on line `at`:
/// rust-hdl names a child's port wire `child$port` in the parent module `M`, and the
/// child's module `M$child`.
fn child_output_reg(source: &[String], at: usize) -> Option<usize> {
    let name = source[at]
        .trim()
        .strip_prefix("wire")?
        .trim()
        .trim_end_matches(';');
    let name = name.rsplit(' ').next()?;
    let (child, port) = name.rsplit_once('$')?;
    let parent = source[..at]
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("module "))?
        .split('(')
        .next()?;
    let module = format!("module {parent}${child}(");
    let start = source.iter().position(|l| l.starts_with(&module))?;
    let end = start
        + source[start..]
            .iter()
            .position(|l| l.starts_with("endmodule"))?;
    let ending = format!(" {port};");
    (start..end).find(|&i| {
        let line = source[i].trim();
        line.starts_with("output reg") && line.ends_with(&ending)
    })
}

/// The C++ compiler for the model itself: `TCPIP_CXX` if set, else clang++ when it is
/// installed, else Verilator's default (g++). clang 14's model of the board core runs
/// ~14% faster than gcc 12's (`cargo bench -p tcpip-sim --bench board`: 5.02 against
/// 4.39 M clocks/s, one after the other on the same machine); the shim and Verilator's
/// runtime are not in the loop that matters and stay on g++.
fn model_compiler() -> Option<String> {
    if let Ok(cxx) = std::env::var("TCPIP_CXX") {
        return Some(cxx);
    }
    let clang = Command::new("clang++").arg("--version").output();
    clang
        .is_ok_and(|o| o.status.success())
        .then(|| "clang++".to_string())
}

fn verilate(out: &Path, model: &Model, compiler: Option<&str>) {
    let _ = std::fs::remove_dir_all(out.join("obj"));
    isolate_false_loops(out);
    run(
        &format!("verilator (building {})", model.dir),
        Command::new("verilator")
            .current_dir(out)
            .args([
                "--cc",
                "--build",
                "-j",
                "2",
                "-O3",
                // No X in a 2-state model: X assignments become 0, and registers and
                // memories without an `initial` start at 0, as in the Rust simulation and on
                // the iCE40 after configuration. Zero as a constant, not `unique` (a reset
                // value read at run time from whichever context the thread last used: models
                // built in parallel test threads started from garbage).
                "--x-assign",
                "0",
                "--x-initial",
                "0",
                "--noassert",
                "--prefix",
                model.class,
                "-Mdir",
                "obj",
                "-MAKEFLAGS",
                "OPT_FAST=-O2",
                "-MAKEFLAGS",
                "OPT_SLOW=-O1",
            ])
            .args(
                compiler
                    .map(|c| format!("CXX={c}"))
                    .iter()
                    .flat_map(|c| ["-MAKEFLAGS", c]),
            )
            .args(VERILATOR_FLAGS),
    );
    // Archives named lib*.a, so rustc can link them by name.
    std::fs::copy(
        out.join(format!("obj/{}__ALL.a", model.class)),
        out.join(format!("lib{}_model.a", model.symbols)),
    )
    .expect("verilator built no model archive");
    runtime_library(out, model);
}

/// Verilator's runtime (verilated.cpp, verilated_threads.cpp) as `libverilated.a` in
/// `out`. It is the same for every model built with these flags, so it is cached per
/// Verilator version beside the co-simulation's cache in the temp dir (saves ~5 s).
fn runtime_library(out: &Path, model: &Model) {
    let lib = out.join("libverilated.a");
    let cache = verilator_version().map(|v| {
        std::env::temp_dir()
            .join(format!("tcpip-cosim-verilator-{v}"))
            .join("libverilated_cc.a")
    });
    if let Some(cache) = &cache {
        if std::fs::copy(cache, &lib).is_ok() {
            return;
        }
    }
    let objects = ["verilated.o", "verilated_threads.o"];
    run(
        "make (compiling Verilator's runtime)",
        Command::new("make")
            .current_dir(out.join("obj"))
            .args(["-s", "-f", &format!("{}.mk", model.class), "OPT_GLOBAL=-O2"])
            .args(objects),
    );
    let _ = std::fs::remove_file(&lib);
    run(
        "ar (archiving Verilator's runtime)",
        Command::new("ar")
            .current_dir(out.join("obj"))
            .arg("rcs")
            .arg(&lib)
            .args(objects),
    );
    if let Some(cache) = cache {
        // Best effort, atomic (parallel builds may race): a miss only costs time.
        let tmp = cache.with_extension(format!("tmp{}", std::process::id()));
        let _ = std::fs::create_dir_all(cache.parent().unwrap());
        if std::fs::copy(&lib, &tmp).is_ok() {
            let _ = std::fs::rename(&tmp, &cache);
        }
    }
}

/// "5.006" from `verilator --version`, kept to safe file-name characters.
fn verilator_version() -> Option<String> {
    let out = Command::new("verilator").arg("--version").output().ok()?;
    let v: String = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)?
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    (!v.is_empty()).then_some(v)
}

/// The extern "C" shim: new, free, one clock with inputs in and outputs out, a run of
/// clocks on constant inputs (`run`), the count of clocks evaluated, and reads of the
/// outputs and report fields, each as an array of u32 in the ports file's order. `{sym}`
/// and `{cls}` in the template become the model's symbol prefix and class.
fn shim_source(model: &Model, fast_edge: bool, first_memory: Option<&str>) -> String {
    let (ni, no, nf) = (model.inputs.len(), model.outputs.len(), model.fields.len());
    let mut s = format!(
        "// Generated by tcpip-sim's build.rs from src/rx_ports.rs / src/board_ports.rs.\n\
         #include <cstdint>\n#include <cstring>\n\
         #include \"{{cls}}.h\"\n#include \"{{cls}}___024root.h\"\n#include \"verilated.h\"\n\n\
         namespace {{\nstruct Model {{\n  VerilatedContext ctx;\n  {{cls}}* top;\n  \
         // The inputs of the last clock; ~0 before the first.\n  uint32_t last[{ni}];\n  \
         // Clocks evaluated (not skipped) since `new`.\n  uint64_t evaluated;\n  \
         // `run`'s copy of the model state, kept to compare the next clock's with.\n  \
         alignas(64) char state[sizeof({{cls}}___024root)];\n  \
         // The bytes of the state in front of the memories: the registers.\n  \
         size_t registers;\n}};\n}}\n\n"
    );
    if fast_edge {
        // Verilator's own eval (5.x) without its input-combinational ("ico") region.
        // That region recomputes the logic fed by the top-level inputs; the previous
        // eval left it settled, so with the same inputs it would compute the same values.
        // Skipping it saves ~20% on clocks whose inputs did not change (idle, link out).
        s += "void {cls}___024root___eval_triggers__act({cls}___024root*);\n\
              void {cls}___024root___eval_act({cls}___024root*);\n\
              void {cls}___024root___eval_nba({cls}___024root*);\n\n\
              static void eval_same_inputs({cls}___024root* r) {\n  bool nba = true;\n  \
              while (nba) {\n    nba = false;\n    r->__VnbaTriggered.clear();\n    \
              r->__VactContinue = 1;\n    while (r->__VactContinue) {\n      \
              r->__VactContinue = 0;\n      {cls}___024root___eval_triggers__act(r);\n      \
              if (r->__VactTriggered.any()) {\n        r->__VactContinue = 1;\n        \
              r->__VnbaTriggered.set(r->__VactTriggered);\n        \
              {cls}___024root___eval_act(r);\n      }\n    }\n    \
              if (r->__VnbaTriggered.any()) {\n      nba = true;\n      \
              {cls}___024root___eval_nba(r);\n    }\n  }\n}\n\n";
    }
    s += "extern \"C\" {\n";
    s += &format!(
        "uint32_t {{sym}}_layout() {{ return {}; }}\n\n",
        ni * 10000 + no * 100 + nf
    );
    s += "void* {sym}_new() {\n  Model* m = new Model;\n  m->ctx.randReset(0);\n  \
          m->top = new {cls}{&m->ctx, \"top\"};\n  m->top->clock = 0;\n  m->top->eval();\n  \
          memset(m->last, 0xff, sizeof m->last);\n  m->evaluated = 0;\n  \
          m->registers = {registers};\n  return m;\n}\n\n";
    s += "void {sym}_free(void* p) {\n  Model* m = static_cast<Model*>(p);\n  \
          m->top->final();\n  delete m->top;\n  delete m;\n}\n\n";
    s += "static void outputs({cls}* t, uint32_t* out) {\n";
    for (k, n) in model.outputs.iter().enumerate() {
        s += &format!("  out[{k}] = t->{n};\n");
    }
    s += "}\n\nvoid {sym}_outputs(void* p, uint32_t* out) {\n  outputs(static_cast<Model*>(p)->top, out);\n}\n\n";
    s += "void {sym}_fields(void* p, uint32_t* out) {\n  {cls}* t = static_cast<Model*>(p)->top;\n";
    for (k, n) in model.fields.iter().enumerate() {
        s += &format!("  out[{k}] = t->{n};\n");
    }
    s += "}\n\n// One rising edge of the clock with `in` applied.\n\
          static void clock_edge(Model* m, const uint32_t* in) {\n  {cls}* t = m->top;\n  m->evaluated++;\n";
    for (k, n) in model.inputs.iter().enumerate() {
        s += &format!("  t->{n} = in[{k}];\n");
    }
    if fast_edge {
        // Every register is on the rising edge of `clock`, so evaluating the model with
        // the clock low only recomputes the input logic, which the rising-edge eval
        // does again first (Verilator's input-combo region) before the registers
        // clock. Marking the clock as seen low saves that eval: ~10% of the time.
        // The lock-step tests (tests/backends.rs, tests/board_lock_step.rs) hold this
        // to the Rust model.
        s += "  bool same = memcmp(in, m->last, sizeof m->last) == 0;\n  \
              memcpy(m->last, in, sizeof m->last);\n  \
              t->rootp->__Vtrigrprev__TOP__clock = 0;\n  t->clock = 1;\n  \
              if (same) eval_same_inputs(t->rootp); else t->eval();\n}\n\n";
    } else {
        s += "  t->clock = 0;\n  t->eval();\n  t->clock = 1;\n  t->eval();\n}\n\n";
    }
    s += "void {sym}_cycle(void* p, const uint32_t* in, uint32_t* out) {\n  \
          Model* m = static_cast<Model*>(p);\n  clock_edge(m, in);\n  outputs(m->top, out);\n}\n\n";
    // Idle stretches in one call. The whole model state is the root struct, and a clock
    // is a function of it and the inputs: a clock that leaves the state as it was leaves
    // it so forever on the same inputs, and the rest of the run is skipped, exactly.
    // The registers (the state in front of the memories, about a tenth of the board's
    // 10.5 KiB) are compared on clocks 8, 16, 32, ... of a run; where they stood still, the
    // whole state is compared on the next clock, and only that decides. A busy stretch
    // (the CRC's bits change every clock) never copies the memories, and an idle one is
    // found on clock 9 when it settled within 8.
    s += &format!(
        "// Up to `max` clocks on `in`; stops after the first clock whose outputs differ\n\
         // from those before the call. Returns the clocks run; `out` holds the outputs.\n\
         uint32_t {{sym}}_run(void* p, const uint32_t* in, uint32_t max, uint32_t* out) {{\n  \
         Model* m = static_cast<Model*>(p);\n  uint32_t before[{no}], now[{no}];\n  \
         outputs(m->top, before);\n  uint32_t check = 8;\n  size_t size = m->registers;\n  \
         for (uint32_t n = 1; n <= max; n++) {{\n    \
         bool look = n == check;\n    \
         if (look) {{\n      check *= 2;\n      \
         memcpy(m->state, m->top->rootp, size);\n    }}\n    \
         clock_edge(m, in);\n    outputs(m->top, now);\n    \
         if (memcmp(now, before, sizeof now) != 0) {{\n      \
         memcpy(out, now, sizeof now);\n      return n;\n    }}\n    \
         if (!look) continue;\n    \
         bool still = memcmp(m->state, m->top->rootp, size) == 0;\n    \
         if (still && size == sizeof m->state) break;\n    \
         if (still) {{\n      size = sizeof m->state;\n      check = n + 1;\n    }} \
         else size = m->registers;\n  }}\n  \
         memcpy(out, before, sizeof before);\n  return max;\n}}\n\n\
         // Clocks evaluated since `new`: the clocks run less those `run` skipped.\n\
         uint64_t {{sym}}_evaluated(void* p) {{\n  \
         return static_cast<Model*>(p)->evaluated;\n}}\n}}\n"
    );
    // The registers' bytes: those in front of the first memory, or the whole state.
    let registers = match first_memory {
        Some(name) => format!(
            "static_cast<size_t>(reinterpret_cast<char*>(&m->top->rootp->{name}) - reinterpret_cast<char*>(m->top->rootp))"
        ),
        None => "sizeof m->state".to_string(),
    };
    s.replace("{sym}", model.symbols)
        .replace("{cls}", model.class)
        .replace("{registers}", &registers)
}

/// Whether the model's only clock trigger is the rising edge of the top `clock`, under
/// the name this Verilator version gives its previous value, and its scheduler is the
/// one `eval_same_inputs` copies (checked, since these are internal names); otherwise
/// the shim evaluates both edges with Verilator's own eval.
fn fast_edge(out: &Path, model: &Model) -> bool {
    let root = std::fs::read_to_string(out.join(format!("obj/{}___024root.h", model.class)))
        .unwrap_or_default();
    let verilog = std::fs::read_to_string(out.join("top.v")).unwrap_or_default();
    let triggers: Vec<&str> = root
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("__Vtrigrprev__"))
        .collect();
    // The scheduler's members `eval_same_inputs` uses (Verilator 5's names).
    let scheduler = ["__VactContinue", "__VactTriggered", "__VnbaTriggered"]
        .iter()
        .all(|m| root.contains(m));
    // What the model triggers on, for a test to hold at the clock alone.
    let names: Vec<&str> = triggers
        .iter()
        .map(|t| t.trim_start_matches("__Vtrigrprev__TOP__"))
        .collect();
    println!(
        "cargo::rustc-env=TCPIP_{}_TRIGGERS={}",
        model.dir.to_uppercase(),
        names.join(",")
    );
    let fast =
        triggers == ["__Vtrigrprev__TOP__clock"] && !verilog.contains("negedge") && scheduler;
    if !fast {
        println!("cargo::warning=the Verilator model {} evaluates both clock edges and every input each clock (no single rising-edge trigger, or not Verilator 5's scheduler): it runs ~30% slower", model.dir);
    }
    fast
}

/// The first memory (`VlUnpacked` member) of the model's root struct, if the memories
/// come after every other member but Verilator's own (`__V...`), as Verilator 5 lays them
/// out; otherwise None, and `run` compares the whole state each time.
fn first_memory(out: &Path, model: &Model) -> Option<String> {
    let root =
        std::fs::read_to_string(out.join(format!("obj/{}___024root.h", model.class))).ok()?;
    let members: Vec<(bool, &str)> = root
        .lines()
        .map(str::trim)
        .filter(|l| l.ends_with(';') && !l.contains('('))
        .filter_map(|l| {
            let name = l
                .trim_end_matches(';')
                .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()?;
            Some((l.starts_with("VlUnpacked<"), name))
        })
        .filter(|(_, name)| name.starts_with("top__DOT__"))
        .collect();
    let first = members.iter().position(|(memory, _)| *memory)?;
    // Nothing but memories from the first one on.
    members[first..]
        .iter()
        .all(|(memory, _)| *memory)
        .then(|| members[first].1.to_string())
}

fn compile_shim(out: &Path, root: &Path, model: &Model) {
    std::fs::write(
        out.join("shim.cpp"),
        shim_source(
            model,
            fast_edge(out, model),
            first_memory(out, model).as_deref(),
        ),
    )
    .unwrap();
    let include = root.join("include");
    run(
        "g++ (compiling the Verilator shim)",
        Command::new("g++").current_dir(out).args([
            "-O2".to_string(),
            "-std=c++17".to_string(),
            "-c".to_string(),
            "shim.cpp".to_string(),
            "-o".to_string(),
            "shim.o".to_string(),
            "-Iobj".to_string(),
            format!("-I{}", include.display()),
            format!("-I{}", include.join("vltstd").display()),
        ]),
    );
    let archive = format!("lib{}_shim.a", model.symbols);
    let _ = std::fs::remove_file(out.join(&archive));
    run(
        "ar (archiving the Verilator shim)",
        Command::new("ar")
            .current_dir(out)
            .args(["rcs", &archive, "shim.o"]),
    );
}
