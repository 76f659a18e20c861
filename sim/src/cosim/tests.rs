//! Tests of the harness on tiny blocks defined here.

use super::*;
use crate::cosim_ports;
use rust_hdl::prelude::*;

/// An 8-bit counter with enable, and a combinational `wrap` flag (same-cycle path from
/// the input `enable` to an output).
#[derive(LogicBlock, Default)]
struct Counter {
    clock: Signal<In, Clock>,
    enable: Signal<In, Bit>,
    count: Signal<Out, Bits<8>>,
    wrap: Signal<Out, Bit>,
    state: DFF<Bits<8>>,
}

impl Logic for Counter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state);
        if self.enable.val() {
            self.state.d.next = self.state.q.val() + 1;
        }
        self.count.next = self.state.q.val();
        self.wrap.next = self.enable.val() & (self.state.q.val() == 255);
    }
}

cosim_ports!(Counter {
    inputs: [enable],
    outputs: [count, wrap]
});

/// RUSTHDL.md trap 2: `(a + 1) == 0` is true for a = 0xFF in Rust (8-bit wrap) and
/// false in Verilog (the sum is 32 bits wide).
#[derive(LogicBlock, Default)]
struct WidthTrap {
    clock: Signal<In, Clock>,
    a: Signal<In, Bits<8>>,
    z: Signal<Out, Bit>,
}

impl Logic for WidthTrap {
    #[hdl_gen]
    fn update(&mut self) {
        self.z.next = (self.a.val() + 1) == 0;
    }
}

cosim_ports!(WidthTrap {
    inputs: [a],
    outputs: [z]
});

/// `q` is written only when `en` is high: a latch in Verilog.
#[derive(LogicBlock, Default)]
struct Latch {
    clock: Signal<In, Clock>,
    en: Signal<In, Bit>,
    d: Signal<In, Bits<4>>,
    q: Signal<Out, Bits<4>>,
}

impl Logic for Latch {
    #[hdl_gen]
    fn update(&mut self) {
        if self.en.val() {
            self.q.next = self.d.val();
        }
    }
}

cosim_ports!(Latch {
    inputs: [en, d],
    outputs: [q]
});

/// `cosim_ports!` forgets the output `y`.
#[derive(LogicBlock, Default)]
struct Forgotten {
    clock: Signal<In, Clock>,
    a: Signal<In, Bits<8>>,
    x: Signal<Out, Bits<8>>,
    y: Signal<Out, Bits<8>>,
}

impl Logic for Forgotten {
    #[hdl_gen]
    fn update(&mut self) {
        self.x.next = self.a.val();
        self.y.next = !self.a.val();
    }
}

cosim_ports!(Forgotten {
    inputs: [a],
    outputs: [x]
});

fn counter_vectors() -> Vec<Vec<u64>> {
    // Long enough to wrap the counter twice; enable off every third cycle.
    (0..700).map(|i| vec![(i % 3 != 0) as u64]).collect()
}

#[test]
fn ports_come_from_the_macro() {
    assert_eq!(Counter::inputs(), vec![("enable", 1)]);
    assert_eq!(Counter::outputs(), vec![("count", 8), ("wrap", 1)]);
    assert_eq!(Latch::inputs(), vec![("en", 1), ("d", 4)]);
}

#[test]
fn rust_driver_follows_the_timing_convention() {
    let vectors: Vec<Vec<u64>> = vec![vec![1], vec![1], vec![0], vec![1]];
    let out = run_rust(&mut Counter::default(), &vectors).unwrap();
    // Cycle i samples the count after i rising edges, before the edge of cycle i.
    assert_eq!(out, vec![vec![0, 0], vec![1, 0], vec![2, 0], vec![2, 0]]);
    // 255 enabled cycles bring the count to 255; `wrap` follows `enable` on that cycle.
    let mut vectors = vec![vec![1]; 255];
    vectors.push(vec![0]);
    vectors.push(vec![1]);
    let out = run_rust(&mut Counter::default(), &vectors).unwrap();
    assert_eq!(out[255], vec![255, 0]);
    assert_eq!(out[256], vec![255, 1]);
}

#[test]
fn vectors_that_do_not_fit_are_rejected() {
    let err = run_rust(&mut Counter::default(), &[vec![2]])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`enable`") && err.contains("does not fit in 1 bits"),
        "{err}"
    );
    let err = run_rust(&mut Counter::default(), &[vec![1, 1]])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("has 2 values but the block has 1 inputs"),
        "{err}"
    );
}

#[test]
fn pack_hex_puts_the_first_input_in_the_high_bits() {
    assert_eq!(pack_hex(&[1, 0x5], &[1, 4]), "15");
    assert_eq!(pack_hex(&[0xAB, 1], &[8, 1]), "157");
    assert_eq!(pack_hex(&[u64::MAX], &[64]), "ffffffffffffffff");
    assert_eq!(pack_hex(&[], &[]), "");
}

#[test]
fn counter_matches_in_icarus_and_verilator() {
    let report = check_block(Counter::default, &counter_vectors()).unwrap();
    println!("{report}");
    assert_eq!(report.cycles, 700);
    let expected = if verilator_wanted() {
        vec![Simulator::Icarus, Simulator::Verilator]
    } else {
        vec![Simulator::Icarus]
    };
    assert_eq!(report.simulators, expected);
}

#[test]
fn width_trap_is_caught_on_the_cycle_where_a_is_ff() {
    let vectors: Vec<Vec<u64>> = (0..300u64).map(|i| vec![(i + 0xF0) & 0xFF]).collect();
    // Rust says (0xFF + 1) == 0 on cycle 15.
    let rust = run_rust(&mut WidthTrap::default(), &vectors).unwrap();
    assert_eq!(rust[15], vec![1]);
    let err = check_block(WidthTrap::default, &vectors)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Rust and Icarus Verilog disagree on cycle 15: output `z` is 0x1 in Rust and 0x0 in Icarus Verilog (inputs on that cycle: a=0xff)"),
        "{err}"
    );
}

#[test]
fn width_trap_is_caught_by_verilator_too() {
    if !tool_exists("verilator") {
        panic!("{}", require_tool("verilator").unwrap_err());
    }
    let mut uut = WidthTrap::default();
    connect(&mut uut).unwrap();
    let verilog = checked_verilog(&uut).unwrap();
    let vectors = vec![vec![0xFE], vec![0xFF], vec![0x00]];
    let got = run_verilog(
        Simulator::Verilator,
        &verilog,
        &WidthTrap::inputs(),
        &WidthTrap::outputs(),
        &vectors,
    )
    .unwrap();
    let got: Vec<Vec<u64>> = got
        .iter()
        .map(|row| row.iter().map(|s| s.value).collect())
        .collect();
    assert_eq!(got, vec![vec![0], vec![0], vec![0]]);
    assert_eq!(
        run_rust(&mut WidthTrap::default(), &vectors).unwrap(),
        vec![vec![0], vec![1], vec![0]]
    );
}

#[test]
fn latch_block_fails_the_yosys_check() {
    let vectors = vec![vec![1, 3]; 4];
    let err = check_block(Latch::default, &vectors)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("yosys rejected") && err.contains("Latch inferred for signal"),
        "{err}"
    );
}

#[test]
fn a_port_missing_from_cosim_ports_is_an_error() {
    let err = check_block(Forgotten::default, &[vec![1]])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "ports of the block missing from its cosim_ports! list: y"
    );
}

#[test]
fn a_missing_tool_says_how_to_install_it() {
    let err = require_tool("no-such-simulator-xyz")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`no-such-simulator-xyz`, which is not installed: run `apt-get install -y"),
        "{err}"
    );
}

/// Hand-written Verilog for each fault the yosys check must reject.
#[test]
fn yosys_check_rejects_each_kind_of_fault() {
    let good =
        "module top(clock, d, q);\ninput wire clock;\ninput wire [7:0] d;\noutput reg [7:0] q;\n\
                initial begin q = 8'h0; end\nalways @(posedge clock) q <= d;\nendmodule\n";
    yosys_check(good).unwrap();
    let bad = [
        ("latch", "module top(input wire clock, input wire en, input wire [7:0] d, output reg [7:0] q);\n\
                   always @(*) begin if (en) q = d; end\nendmodule\n", "Latch inferred for signal"),
        ("undriven", "module top(input wire clock, input wire [7:0] d, output reg [7:0] q);\nwire [7:0] w;\n\
                      always @(*) q = d + w;\nendmodule\n", "is used but has no driver"),
        ("two drivers", "module top(input wire clock, input wire [7:0] d, input wire [7:0] e, output wire [7:0] q);\n\
                         wire [7:0] w;\nassign w = d;\nassign w = e;\nassign q = w;\nendmodule\n", "multiple conflicting drivers"),
        ("implicit net", "module sub(input wire [7:0] a, output wire [7:0] b);\nassign b = a;\nendmodule\n\
                          module top(input wire clock, input wire [7:0] d, output reg [7:0] q);\nsub s(.a(d), .b(bb));\n\
                          always @(*) q = bb;\nendmodule\n", "is implicitly declared"),
        ("undefined identifier", "module top(input wire clock, input wire [7:0] d, output reg [7:0] q);\n\
                                  always @(*) q = d + FOO;\nendmodule\n", "is implicitly declared"),
        ("missing module", "module top(input wire clock, input wire [7:0] d, output wire [7:0] q);\n\
                            nosuch s(.a(d), .b(q));\nendmodule\n", "nosuch"),
        ("syntax error", "module top(input wire clock, output wire q);\nassign q = ;\nendmodule\n", "ERROR"),
    ];
    for (what, verilog, expected) in bad {
        let err = yosys_check(verilog).expect_err(what).to_string();
        assert!(
            err.contains("yosys rejected") && err.contains(expected),
            "{what}: {err}"
        );
    }
}

declare_sync_fifo!(Fifo16, Bits<8>, 16, 1);
cosim_ports!(Fifo16 {
    inputs: [read, write, data_in],
    outputs: [
        data_out,
        empty,
        almost_empty,
        underflow,
        full,
        almost_full,
        overflow
    ],
});

/// A rust-hdl widget (FIFO over a RAM, sub-blocks) goes through the whole harness.
#[test]
fn widget_fifo_matches() {
    let mut rng = 0x1234_5678_u64;
    let mut next = move || {
        // xorshift: deterministic vectors without a dependency.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let vectors: Vec<Vec<u64>> = (0..3000)
        .map(|_| {
            let r = next();
            vec![(r & 3 == 0) as u64, (r & 4 != 0) as u64, (r >> 8) & 0xFF]
        })
        .collect();
    let report = check_block(Fifo16::default, &vectors).unwrap();
    println!("fifo: {report}");
    // The RAM behind the FIFO starts unknown in Icarus: `data_out` on cycle 0.
    assert_eq!(report.first_x, Some((0, "data_out")));
}

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
enum Phase {
    Idle,
    Load,
    Hold,
}

/// An enum state machine, a `Local` temporary, and wide ports (33 and 64 bits).
#[derive(LogicBlock, Default)]
struct Wide {
    clock: Signal<In, Clock>,
    go: Signal<In, Bit>,
    x: Signal<In, Bits<64>>,
    y: Signal<In, Bits<33>>,
    sum: Signal<Out, Bits<64>>,
    low: Signal<Out, Bits<33>>,
    busy: Signal<Out, Bit>,
    tmp: Signal<Local, Bits<64>>,
    phase: DFF<Phase>,
    acc: DFF<Bits<64>>,
}

impl Logic for Wide {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, phase, acc);
        self.tmp.next = self.x.val() ^ bit_cast::<64, 33>(self.y.val());
        match self.phase.q.val() {
            Phase::Idle => {
                if self.go.val() {
                    self.phase.d.next = Phase::Load;
                }
            }
            Phase::Load => {
                self.acc.d.next = self.acc.q.val() + self.tmp.val();
                self.phase.d.next = Phase::Hold;
            }
            _ => {
                self.phase.d.next = Phase::Idle;
            }
        }
        self.sum.next = self.acc.q.val();
        self.low.next = bit_cast::<33, 64>(self.tmp.val());
        self.busy.next = self.phase.q.val() != Phase::Idle;
    }
}

cosim_ports!(Wide {
    inputs: [go, x, y],
    outputs: [sum, low, busy]
});

#[test]
fn enum_state_machine_and_wide_ports_match() {
    let vectors: Vec<Vec<u64>> = (0..200u64)
        .map(|i| {
            let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            vec![(i % 5 != 0) as u64, x, (x >> 7) & ((1 << 33) - 1)]
        })
        .collect();
    let report = check_block(Wide::default, &vectors).unwrap();
    println!("wide: {report}");
}

/// RUSTHDL.md trap 1: `a & 0x0F == 3` is `(a & 0x0F) == 3` in Rust and
/// `a & (0x0F == 3)` in Verilog.
#[derive(LogicBlock, Default)]
struct PrecedenceTrap {
    clock: Signal<In, Clock>,
    a: Signal<In, Bits<8>>,
    z: Signal<Out, Bit>,
}

impl Logic for PrecedenceTrap {
    #[hdl_gen]
    fn update(&mut self) {
        self.z.next = self.a.val() & 0x0F == 3;
    }
}

cosim_ports!(PrecedenceTrap {
    inputs: [a],
    outputs: [z]
});

#[test]
fn precedence_trap_is_caught() {
    let vectors: Vec<Vec<u64>> = (0..64u64).map(|i| vec![i]).collect();
    let err = check_block(PrecedenceTrap::default, &vectors)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("disagree on cycle 3: output `z` is 0x1 in Rust and 0x0 in"),
        "{err}"
    );
}

const FIVE: usize = 5;

/// RUSTHDL.md trap 3: a named `const` in a `match` arm becomes an undefined identifier.
#[derive(LogicBlock, Default)]
struct ConstTrap {
    clock: Signal<In, Clock>,
    a: Signal<In, Bits<8>>,
    z: Signal<Out, Bit>,
}

#[allow(clippy::single_match)] // the trap needs a `match`
impl Logic for ConstTrap {
    #[hdl_gen]
    fn update(&mut self) {
        self.z.next = false;
        match self.a.val().index() {
            FIVE => {
                self.z.next = true;
            }
            _ => {}
        }
    }
}

cosim_ports!(ConstTrap {
    inputs: [a],
    outputs: [z]
});

#[test]
fn const_trap_fails_the_yosys_check() {
    let vectors: Vec<Vec<u64>> = (0..8u64).map(|i| vec![i]).collect();
    // The Rust simulation itself is fine...
    assert_eq!(
        run_rust(&mut ConstTrap::default(), &vectors).unwrap()[5],
        vec![1]
    );
    // ...the Verilog is not.
    let err = check_block(ConstTrap::default, &vectors)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("yosys rejected") && err.contains("FIVE"),
        "{err}"
    );
}

#[test]
fn sample_compares_only_known_bits() {
    let s = Sample {
        value: 0b1000,
        unknown: 0b0011,
    };
    assert!(s.matches(0b1000) && s.matches(0b1011));
    assert!(!s.matches(0b0000) && !s.matches(0b1100));
    assert_eq!(s.to_string(), "0b10xx");
    assert_eq!(
        Sample {
            value: 0xAB,
            unknown: 0
        }
        .to_string(),
        "0xab"
    );
}

/// A register without `initial`: X in Icarus until its first clock, 0 in Verilator.
const NO_INIT: &str = "module top(clock, d, q, n);\ninput wire clock;\ninput wire [3:0] d;\n\
    output reg [3:0] q;\noutput wire n;\nalways @(posedge clock) q <= d;\nendmodule\n";

#[test]
fn unknown_bits_are_reported_bit_by_bit_and_undriven_outputs_fail() {
    let inputs = [("d", 4)];
    let vectors = vec![vec![5], vec![6]];
    // `n` is undriven: Z in Icarus, an error whatever the Rust side says.
    let err = run_verilog(
        Simulator::Icarus,
        NO_INIT,
        &inputs,
        &[("q", 4), ("n", 1)],
        &vectors,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("output `n` is z (Z bits) on cycle 0: an undriven net"),
        "{err}"
    );
    let got = run_verilog(Simulator::Icarus, NO_INIT, &inputs, &[("q", 4)], &vectors).unwrap();
    assert_eq!(
        got[0][0],
        Sample {
            value: 0,
            unknown: 0xF
        }
    );
    assert_eq!(
        got[1][0],
        Sample {
            value: 5,
            unknown: 0
        }
    );
}

#[test]
fn verilator_starts_registers_at_zero() {
    if !tool_exists("verilator") {
        panic!("{}", require_tool("verilator").unwrap_err());
    }
    let got = run_verilog(
        Simulator::Verilator,
        NO_INIT,
        &[("d", 4)],
        &[("q", 4)],
        &[vec![5], vec![6]],
    )
    .unwrap();
    assert_eq!(
        got,
        vec![
            vec![Sample {
                value: 0,
                unknown: 0
            }],
            vec![Sample {
                value: 5,
                unknown: 0
            }]
        ]
    );
}

/// A port named after a Verilog keyword (legal in Rust).
#[derive(LogicBlock, Default)]
struct Keyword {
    clock: Signal<In, Clock>,
    event: Signal<In, Bit>,
    seen: Signal<Out, Bit>,
}

impl Logic for Keyword {
    #[hdl_gen]
    fn update(&mut self) {
        self.seen.next = self.event.val();
    }
}

cosim_ports!(Keyword {
    inputs: [event],
    outputs: [seen]
});

#[test]
fn a_port_named_after_a_verilog_keyword_is_named_in_the_error() {
    let err = check_block(Keyword::default, &[vec![1]])
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("port `event` is a Verilog keyword"),
        "{err}"
    );
}

#[test]
fn no_vectors_is_an_error() {
    let err = check_block(Counter::default, &[]).unwrap_err().to_string();
    assert!(err.contains("no input vectors"), "{err}");
}

/// A free-running counter: a block with no input but the clock.
#[derive(LogicBlock, Default)]
struct FreeRun {
    clock: Signal<In, Clock>,
    count: Signal<Out, Bits<4>>,
    state: DFF<Bits<4>>,
}

impl Logic for FreeRun {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state);
        self.state.d.next = self.state.q.val() + 1;
        self.count.next = self.state.q.val();
    }
}

cosim_ports!(FreeRun {
    inputs: [],
    outputs: [count]
});

#[test]
fn a_block_without_inputs_matches() {
    let vectors = vec![vec![]; 40];
    let out = run_rust(&mut FreeRun::default(), &vectors).unwrap();
    assert_eq!(out[17], vec![1]);
    let report = check_block(FreeRun::default, &vectors).unwrap();
    assert_eq!(report.cycles, 40);
}

/// RUSTHDL.md trap 4: an array of signals indexed by a signal simulates in Rust, and
/// rust-hdl panics when it generates the Verilog.
#[derive(LogicBlock, Default)]
struct IndexTrap {
    clock: Signal<In, Clock>,
    idx: Signal<In, Bits<2>>,
    d: Signal<In, Bits<4>>,
    z: Signal<Out, Bit>,
    flags: [Signal<Local, Bit>; 4],
}

impl Logic for IndexTrap {
    #[hdl_gen]
    fn update(&mut self) {
        for i in 0..4 {
            self.flags[i].next = self.d.val().get_bit(i);
        }
        self.z.next = self.flags[self.idx.val().index()].val();
    }
}

cosim_ports!(IndexTrap {
    inputs: [idx, d],
    outputs: [z]
});

#[test]
fn index_trap_is_an_error_not_a_panic() {
    let vectors = vec![vec![2, 0b0100]];
    assert_eq!(
        run_rust(&mut IndexTrap::default(), &vectors).unwrap(),
        vec![vec![1]]
    );
    let err = check_block(IndexTrap::default, &vectors)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("rust-hdl panicked while generating the Verilog") && err.contains("$index"),
        "{err}"
    );
}

/// Custom Verilog whose register has no `initial`, while the Rust model starts it at 1:
/// Icarus gives X on cycle 0 (not compared), Verilator gives 0 (compared).
#[derive(LogicBlock)]
struct NoInit {
    clock: Signal<In, Clock>,
    d: Signal<In, Bit>,
    q: Signal<Out, Bit>,
}

impl Default for NoInit {
    fn default() -> Self {
        NoInit {
            clock: Default::default(),
            d: Default::default(),
            q: Signal::new_with_default(true),
        }
    }
}

impl Logic for NoInit {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self.q.next = self.d.val();
        }
    }
    fn connect(&mut self) {
        self.q.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom("always @(posedge clock) q <= d;".into())
    }
}

cosim_ports!(NoInit {
    inputs: [d],
    outputs: [q]
});

#[test]
fn verilator_catches_what_icarus_leaves_unknown() {
    if !tool_exists("verilator") {
        panic!("{}", require_tool("verilator").unwrap_err());
    }
    if !verilator_wanted() {
        eprintln!("COSIM_VERILATOR=0: check_block runs no Verilator, nothing to test");
        return;
    }
    let vectors = vec![vec![0], vec![1], vec![0]];
    let err = check_block(NoInit::default, &vectors)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Rust and Verilator disagree on cycle 0: output `q` is 0x1 in Rust and 0x0 in Verilator"),
        "{err}"
    );
}
