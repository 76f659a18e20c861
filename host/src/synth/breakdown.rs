//! `tcpip synth --breakdown`: where the logic cells go, part by part and block by block.
//!
//! The same Verilog that the bitstream is built from is synthesized once more with every
//! block kept as a module of its own (yosys's `keep_hierarchy` on it, then
//! `synth_ice40` and `stat`), so each block has its own count of LUT4s, flip-flops,
//! carry cells and block RAMs. rust-hdl writes one module per instance, named by its
//! path (`top$core$rx$mac`), so a module's name says where it sits.
//!
//! Storage is flattened into the block that owns it: rust-hdl writes each register
//! (`DFF`) and memory as a module of its own, and a register that holds (`d.next =
//! q.val()`) is a 2:1 mux in its parent, which yosys folds into the flip-flop's enable
//! only when both are in one module, as in the bitstream's flattened synthesis. Kept
//! apart (`synth_ice40 -noflatten`), every held bit costs a LUT4 the chip never spends
//! (the README's Figures give both counts for the whole board).
//! The counts are before placement: nextpnr packs a LUT and a flip-flop into one
//! logic cell, and nothing is shared across blocks here, so the sum of the parts is
//! still a little above the flattened design's. The part budgets of ../shared/AREA.md
//! were set on the `-noflatten` count, so each part and block also carries that one
//! (`lut_noflatten`, a second yosys run).
//!
//! The parts are fixed by the board's structure, not by block names, so they stay the
//! same when blocks inside them are merged or renamed: everything under the receive
//! pipeline is `receive`, and so on (see [`PARTS`]).

use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

/// The parts, in the order they are printed.
pub const PART_NAMES: [&str; 5] = [
    "receive",
    "transmit",
    "host_link_out",
    "host_link_in",
    "board",
];

/// Instance paths under the top (`$`-separated) and the part each belongs to. `own`
/// names the block of the instance's own logic; with `split`, each child instance is a
/// block of its own, named by its instance name (registers and memories that are the
/// instance's own stay in `own`).
struct PartRoot {
    path: &'static str,
    part: &'static str,
    own: &'static str,
    split: bool,
}

const PARTS: &[PartRoot] = &[
    PartRoot {
        path: "core$rx",
        part: "receive",
        own: "glue",
        split: true,
    },
    PartRoot {
        path: "core$tx",
        part: "transmit",
        own: "glue",
        split: true,
    },
    PartRoot {
        path: "core$link_tx",
        part: "host_link_out",
        own: "link_tx",
        split: false,
    },
    PartRoot {
        path: "core$crc_out",
        part: "host_link_out",
        own: "crc_append",
        split: false,
    },
    PartRoot {
        path: "core$cobs_out",
        part: "host_link_out",
        own: "cobs_encoder",
        split: false,
    },
    PartRoot {
        path: "link_tx",
        part: "host_link_out",
        own: "uart_tx",
        split: false,
    },
    PartRoot {
        path: "link_rx",
        part: "host_link_in",
        own: "uart_rx",
        split: false,
    },
    PartRoot {
        path: "core$host_rx",
        part: "host_link_in",
        own: "host_rx",
        split: true,
    },
];

/// LUT4s, flip-flops, carry cells, block RAMs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    pub lut: u64,
    pub ff: u64,
    pub carry: u64,
    pub ram: u64,
}

impl Cost {
    fn add(&mut self, o: &Cost) {
        self.lut += o.lut;
        self.ff += o.ff;
        self.carry += o.carry;
        self.ram += o.ram;
    }
    fn json(&self) -> Value {
        json!({"lut": self.lut, "ff": self.ff, "carry": self.carry, "ram": self.ram})
    }
}

/// Each module's own cells (not its submodules'), from yosys's `stat` text.
pub fn parse_stat(text: &str) -> HashMap<String, Cost> {
    let mut modules = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("=== ").and_then(|s| s.strip_suffix(" ===")) {
            if name == "design hierarchy" {
                break;
            }
            let name = name.trim_start_matches('\\').to_string();
            modules.insert(name.clone(), Cost::default());
            current = Some(name);
            continue;
        }
        let Some(m) = current.as_ref().and_then(|c| modules.get_mut(c)) else {
            continue;
        };
        let mut words = t.split_whitespace();
        let (Some(cell), Some(n), None) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        match cell {
            "SB_LUT4" => m.lut += n,
            "SB_CARRY" => m.carry += n,
            c if c.starts_with("SB_DFF") => m.ff += n,
            c if c.starts_with("SB_RAM40_4K") => m.ram += n,
            _ => {}
        }
    }
    modules
}

/// Every module in the Verilog: its name and its port list.
fn modules(verilog: &str) -> impl Iterator<Item = (String, &str)> {
    verilog
        .lines()
        .filter_map(|l| l.strip_prefix("module "))
        .filter_map(|l| {
            let (name, rest) = l.split_once('(')?;
            let ports = rest.split(')').next()?;
            Some((name.trim().trim_start_matches('\\').to_string(), ports))
        })
}

/// Modules that are storage of their parent rather than blocks: rust-hdl's DFF (ports
/// d, q, clock) and its memories (read and write ports), by the port lists in the Verilog.
fn storage_modules(verilog: &str) -> Vec<String> {
    modules(verilog)
        .filter(|(_, ports)| *ports == "d,q,clock" || ports.contains("write_address"))
        .map(|(name, _)| name)
        .collect()
}

/// The yosys script of the breakdown: `keep_hierarchy` on every module but storage,
/// so storage flattens into its block and blocks stay apart; `stat` to `breakdown.txt`.
pub fn yosys_script(verilog: &str, top: &str) -> String {
    let storage = storage_modules(verilog);
    let mut script = format!("read_verilog top.v\nhierarchy -top {top}\n");
    for (name, _) in modules(verilog) {
        if !storage.contains(&name) {
            script += &format!("setattr -mod -set keep_hierarchy 1 {name}\n");
        }
    }
    script += &format!("synth_ice40 -top {top}\ntee -q -o breakdown.txt stat\n");
    script
}

/// The part and block a module (by its path under the top) belongs to.
fn place(path: &str, storage: &dyn Fn(&str) -> bool) -> (&'static str, String) {
    let under = |root: &str| path == root || path.starts_with(&format!("{root}$"));
    for root in PARTS {
        if !under(root.path) {
            continue;
        }
        if !root.split || path == root.path {
            return (root.part, root.own.to_string());
        }
        let child = path[root.path.len() + 1..].split('$').next().unwrap_or("");
        if storage(&format!("{}${child}", root.path)) {
            return (root.part, root.own.to_string());
        }
        return (root.part, child.to_string());
    }
    // The board: each instance of the top (and of the core) that no part claims is a
    // block of its own; the top's and the core's own logic and registers are glue.
    let first = path.split('$').next().unwrap_or("");
    let block = match first {
        "" => "glue".to_string(),
        "core" => {
            let child = path.split('$').nth(1).unwrap_or("");
            if child.is_empty() || storage(&format!("core${child}")) {
                "glue".to_string()
            } else {
                child.to_string()
            }
        }
        f if storage(f) => "glue".to_string(),
        f => f.to_string(),
    };
    ("board", block)
}

/// The breakdown as `--json` prints it: `{part: {lut, ff, carry, ram, blocks: {block:
/// {lut, ff, carry, ram}}}}`, every part present.
pub fn breakdown(stat_text: &str, verilog: &str, top: &str) -> Value {
    let modules = parse_stat(stat_text);
    let storage: Vec<String> = storage_modules(verilog);
    let is_storage = |p: &str| storage.iter().any(|s| s == &format!("{top}${p}"));
    let mut parts: BTreeMap<&str, BTreeMap<String, Cost>> = BTreeMap::new();
    for (name, cost) in &modules {
        let path = if name == top {
            ""
        } else if let Some(p) = name.strip_prefix(&format!("{top}$")) {
            p
        } else {
            continue;
        };
        let (part, block) = place(path, &is_storage);
        parts
            .entry(part)
            .or_default()
            .entry(block)
            .or_default()
            .add(cost);
    }
    let mut out = Map::new();
    for part in PART_NAMES {
        let blocks = parts.remove(part).unwrap_or_default();
        let mut total = Cost::default();
        let mut b = Map::new();
        for (name, cost) in &blocks {
            total.add(cost);
            b.insert(name.clone(), cost.json());
        }
        let mut v = total.json();
        v["blocks"] = Value::Object(b);
        out.insert(part.to_string(), v);
    }
    Value::Object(out)
}

/// Adds `lut_noflatten` to every part and block of `breakdown`: its LUT4s in `old`, the
/// same Verilog synthesized by `synth_ice40 -noflatten`, which charges every held bit a
/// LUT4. The part budgets of ../shared/AREA.md were set on that count.
pub fn add_noflatten_luts(breakdown: &mut Value, old: &Value) {
    for part in PART_NAMES {
        let o = &old[part];
        let p = &mut breakdown[part];
        p["lut_noflatten"] = o["lut"].clone();
        if let Some(blocks) = p["blocks"].as_object_mut() {
            for (name, b) in blocks.iter_mut() {
                b["lut_noflatten"] = o["blocks"][name]["lut"].clone();
            }
        }
    }
}

/// The breakdown as a table: each part, then its blocks from the largest down.
pub fn table(breakdown: &Value) -> String {
    let num = |v: &Value, k: &str| v[k].as_u64().unwrap_or(0);
    let old = |v: &Value| match v["lut_noflatten"].as_u64() {
        Some(n) => format!("{n:>10}"),
        None => format!("{:>10}", "-"),
    };
    let row = |name: &str, v: &Value| {
        format!(
            "{name:<24} {:>6} {:>6} {:>6} {:>5} {}\n",
            num(v, "lut"),
            num(v, "ff"),
            num(v, "carry"),
            num(v, "ram"),
            old(v)
        )
    };
    let mut s = format!(
        "{:<24} {:>6} {:>6} {:>6} {:>5} {:>10}\n",
        "part / block", "LUT4", "FF", "carry", "BRAM", "-noflatten"
    );
    let mut total = Cost::default();
    let mut total_old = 0;
    for part in PART_NAMES {
        let p = &breakdown[part];
        total.add(&Cost {
            lut: num(p, "lut"),
            ff: num(p, "ff"),
            carry: num(p, "carry"),
            ram: num(p, "ram"),
        });
        total_old += num(p, "lut_noflatten");
        s += &row(part, p);
        let mut blocks: Vec<(&String, &Value)> =
            p["blocks"].as_object().into_iter().flatten().collect();
        blocks.sort_by_key(|(n, v)| (std::cmp::Reverse(num(v, "lut")), n.to_string()));
        for (name, v) in blocks {
            s += &row(&format!("  {name}"), v);
        }
    }
    let mut t = total.json();
    t["lut_noflatten"] = json!(total_old);
    s += &row("total (blocks apart)", &t);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERILOG: &str = "module top(clock,x);\nmodule top$core(clock,x);\nmodule top$core$rx(clock,x);\n\
module top$core$rx$mac(clock,x);\nmodule top$core$rx$mac$state(d,q,clock);\nmodule top$core$rx$valid_r(d,q,clock);\n\
module top$core$host_rx(clock,x);\nmodule top$core$host_rx$decoder(clock,x);\nmodule top$core$host_rx$flags(d,q,clock);\n\
module top$core$link_tx(clock,x);\nmodule top$core$started(d,q,clock);\nmodule top$rx_buffer(clock,x);\n\
module top$rx_buffer$ram(read_address,read_clock,read_data,write_address,write_clock,write_data,write_enable);\nmodule top$reset_s1(d,q,clock);\n";

    fn section(name: &str, cells: &[(&str, u64)]) -> String {
        let mut s = format!("=== {name} ===\n\n   Number of wires:   3\n   Number of cells:   9\n");
        for (c, n) in cells {
            s += &format!("     {c:<30} {n}\n");
        }
        s + "\n"
    }

    fn stat() -> String {
        [
            section("top", &[("SB_LUT4", 1), ("SB_IO", 20), ("top$core", 1)]),
            section("top$core", &[("SB_LUT4", 2), ("SB_CARRY", 1)]),
            section("top$core$rx", &[("SB_LUT4", 4), ("SB_RAM40_4K", 2)]),
            section("top$core$rx$mac", &[("SB_LUT4", 8), ("SB_CARRY", 3)]),
            section("top$core$rx$mac$state", &[("SB_DFFE", 5)]),
            section("top$core$rx$valid_r", &[("SB_DFF", 1)]),
            section("top$core$host_rx", &[("SB_LUT4", 16)]),
            section(
                "top$core$host_rx$decoder",
                &[("SB_LUT4", 32), ("SB_DFFESR", 2)],
            ),
            section("top$core$host_rx$flags", &[("SB_DFFE", 9)]),
            section("top$core$link_tx", &[("SB_LUT4", 64)]),
            section("top$core$started", &[("SB_DFF", 1)]),
            section("top$rx_buffer", &[("SB_LUT4", 128)]),
            section("top$rx_buffer$ram", &[("SB_RAM40_4K", 4)]),
            section("top$reset_s1", &[("SB_DFF", 1)]),
            "=== design hierarchy ===\n\n   top   1\n     SB_LUT4   999\n".to_string(),
        ]
        .concat()
    }

    #[test]
    fn counts_each_module_alone_and_stops_at_the_hierarchy() {
        let m = parse_stat(&stat());
        assert_eq!(
            m["top$core$rx$mac"],
            Cost {
                lut: 8,
                ff: 0,
                carry: 3,
                ram: 0
            }
        );
        assert_eq!(m["top$core$host_rx$decoder"].ff, 2);
        assert_eq!(m["top"].lut, 1, "the hierarchy's totals are not a module");
        assert_eq!(m.len(), 14);
    }

    #[test]
    fn every_module_lands_in_its_part_and_block() {
        let b = breakdown(&stat(), VERILOG, "top");
        let rx = &b["receive"];
        assert_eq!(
            rx["blocks"]["mac"],
            json!({"lut": 8, "ff": 5, "carry": 3, "ram": 0})
        );
        assert_eq!(
            rx["blocks"]["glue"],
            json!({"lut": 4, "ff": 1, "carry": 0, "ram": 2})
        );
        assert_eq!(
            (rx["lut"].as_u64(), rx["ff"].as_u64(), rx["ram"].as_u64()),
            (Some(12), Some(6), Some(2))
        );
        let link_in = &b["host_link_in"];
        assert_eq!(
            link_in["blocks"]["host_rx"],
            json!({"lut": 16, "ff": 9, "carry": 0, "ram": 0})
        );
        assert_eq!(link_in["blocks"]["decoder"]["lut"], 32);
        assert_eq!(b["host_link_out"]["blocks"]["link_tx"]["lut"], 64);
        let board = &b["board"];
        assert_eq!(
            board["blocks"]["rx_buffer"],
            json!({"lut": 128, "ff": 0, "carry": 0, "ram": 4})
        );
        assert_eq!(
            board["blocks"]["glue"],
            json!({"lut": 3, "ff": 2, "carry": 1, "ram": 0})
        );
        assert_eq!(
            b["transmit"],
            json!({"lut": 0, "ff": 0, "carry": 0, "ram": 0, "blocks": {}})
        );
        // Nothing counted twice or lost: the parts add up to every module's cells.
        let sum: u64 = PART_NAMES
            .iter()
            .map(|p| b[p]["lut"].as_u64().unwrap())
            .sum();
        assert_eq!(
            sum,
            parse_stat(&stat()).values().map(|c| c.lut).sum::<u64>()
        );
        let t = table(&b);
        assert!(
            t.lines()
                .any(|l| l.starts_with("receive") && l.contains(" 12 ")),
            "{t}"
        );
        assert!(
            t.lines()
                .last()
                .unwrap()
                .starts_with("total (blocks apart)"),
            "{t}"
        );
    }

    #[test]
    fn the_script_keeps_blocks_apart_and_flattens_storage_into_them() {
        let script = yosys_script(VERILOG, "top");
        let kept: Vec<&str> = script
            .lines()
            .filter_map(|l| l.strip_prefix("setattr -mod -set keep_hierarchy 1 "))
            .collect();
        assert_eq!(
            kept,
            [
                "top",
                "top$core",
                "top$core$rx",
                "top$core$rx$mac",
                "top$core$host_rx",
                "top$core$host_rx$decoder",
                "top$core$link_tx",
                "top$rx_buffer"
            ]
        );
        assert!(script.contains("synth_ice40 -top top\n"), "{script}");
        assert!(!script.contains("-noflatten"), "{script}");
    }

    #[test]
    fn the_noflatten_count_stands_beside_each_part_and_block() {
        let mut b = breakdown(&stat(), VERILOG, "top");
        let old_stat = stat().replace(
            "     SB_LUT4                        8\n",
            "     SB_LUT4                        20\n",
        );
        assert_ne!(old_stat, stat(), "the mac's count was changed");
        add_noflatten_luts(&mut b, &breakdown(&old_stat, VERILOG, "top"));
        assert_eq!(b["receive"]["lut"], 12);
        assert_eq!(b["receive"]["lut_noflatten"], 24);
        assert_eq!(b["receive"]["blocks"]["mac"]["lut_noflatten"], 20);
        assert_eq!(b["board"]["lut_noflatten"], b["board"]["lut"]);
        let t = table(&b);
        let rx = t.lines().find(|l| l.starts_with("receive")).unwrap();
        assert!(rx.trim_end().ends_with(" 24"), "{t}");
        let total = t.lines().last().unwrap();
        let sum: u64 = PART_NAMES
            .iter()
            .map(|p| b[p]["lut_noflatten"].as_u64().unwrap())
            .sum();
        assert!(total.trim_end().ends_with(&format!(" {sum}")), "{t}");
    }
}
