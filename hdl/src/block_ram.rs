//! A block RAM for buffers: rust-hdl's `RAM` (one write port, one registered read
//! port) with its memory marked `(* no_rw_check *)` in the Verilog, so that yosys maps
//! it onto the iCE40's SB_RAM40_4K as it is.
//!
//! rust-hdl's `RAM` reads the old byte when its read port reads the address written in
//! the same clock (the Verilog's two `always` blocks). The SB_RAM40_4K does not promise
//! that, so yosys builds it around every such memory: a copy of the write address, data
//! and enable, an address compare and a multiplexer on the read data (about 20
//! flip-flops and 15 LUTs a memory, and a path from the write port into the read data):
//! 279 logic cells of the whole board when the buffers' memories were marked (5,888 ->
//! 5,609, seed 1), 73 more for the counters'.
//!
//! Use it where such a read is never used: buffers and FIFOs whose bytes are read only
//! once they were written in an earlier clock (a first-word-fall-through port that
//! reads the head every clock reads it again the clock after), or a read-modify-write
//! that does not offer the read of the word being written (the frame counters, see
//! [`RxCounters`](crate::board::rx_counters::RxCounters)). On the chip the read data of
//! that clock is undefined; the simulation still gives the old word, which the block
//! must not depend on either.

use rust_hdl::core::timing::TimingInfo;
use rust_hdl::prelude::*;
use std::collections::BTreeMap;

#[derive(LogicBlock, Default)]
pub struct BlockRam<D: Synth, const N: usize> {
    pub read_address: Signal<In, Bits<N>>,
    pub read_clock: Signal<In, Clock>,
    pub read_data: Signal<Out, D>,
    pub write_address: Signal<In, Bits<N>>,
    pub write_clock: Signal<In, Clock>,
    pub write_data: Signal<In, D>,
    pub write_enable: Signal<In, bool>,
    _sim: Box<BTreeMap<Bits<N>, D>>,
}

impl<D: Synth, const N: usize> BlockRam<D, N> {
    /// With these initial contents (the rest zero in the Rust model, undefined in the
    /// Verilog: initialize every word a block reads before writing it).
    pub fn new(values: BTreeMap<Bits<N>, D>) -> Self {
        Self {
            _sim: Box::new(values),
            ..Default::default()
        }
    }

    /// Every word zero, so the Verilog and Rust models read the same before the first
    /// write.
    pub fn zeroed() -> Self {
        Self {
            _sim: Box::new(
                (0..1u64 << N)
                    .map(|i| (Bits::<N>::from(i), D::default()))
                    .collect(),
            ),
            ..Default::default()
        }
    }
}

impl<D: Synth, const N: usize> Logic for BlockRam<D, N> {
    fn update(&mut self) {
        if self.read_clock.pos_edge() {
            self.read_data.next = *self
                ._sim
                .get(&self.read_address.val())
                .unwrap_or(&D::default());
        }
        if self.write_clock.pos_edge() && self.write_enable.val() {
            self._sim
                .insert(self.write_address.val(), self.write_data.val());
        }
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        let init = self
            ._sim
            .iter()
            .map(|(a, d)| format!("mem[{}] = {};", a.verilog(), d.verilog()))
            .collect::<Vec<_>>()
            .join("\n");
        Verilog::Custom(format!(
            "\
(* no_rw_check *)
reg[{top}:0] mem[{last}:0];

initial begin
{init}
end

always @(posedge read_clock) begin
   read_data <= mem[read_address];
end

always @(posedge write_clock) begin
   if (write_enable) begin
      mem[write_address] <= write_data;
   end
end
",
            top = D::BITS - 1,
            last = (1u64 << N) - 1,
        ))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![
            TimingInfo {
                name: "ram_read".into(),
                clock: "read_clock".into(),
                inputs: vec!["read_address".into()],
                outputs: vec!["read_data".into()],
            },
            TimingInfo {
                name: "ram_write".into(),
                clock: "write_clock".into(),
                inputs: vec![
                    "write_address".into(),
                    "write_data".into(),
                    "write_enable".into(),
                ],
                outputs: vec![],
            },
        ]
    }
}
