//! A waveform of the virtual board's ports (both byte streams and the status pulses),
//! clock by clock, as a VCD file for GTKWave or Surfer. It works on either model, since
//! it only needs the ports; 10 ns a clock, as on the board.

use crate::board_ports::{BoardInputs, BoardOutputs, BOARD_INPUT_NAMES, BOARD_OUTPUT_NAMES};
use std::io::{self, Write};
use vcd::{IdCode, TimescaleUnit, Value};

pub struct PortTrace<W: Write> {
    vcd: vcd::Writer<W>,
    clock: IdCode,
    ids: Vec<IdCode>,
    widths: Vec<u32>,
    last: Vec<Option<u32>>,
}

/// The byte ports are 8 bits wide, the rest single bits.
fn width(name: &str) -> u32 {
    if name.ends_with("_data") {
        8
    } else {
        1
    }
}

impl<W: Write> PortTrace<W> {
    pub fn new(out: W) -> io::Result<PortTrace<W>> {
        let mut vcd = vcd::Writer::new(out);
        vcd.timescale(1, TimescaleUnit::NS)?;
        vcd.add_module("board_core")?;
        let clock = vcd.add_wire(1, "clock")?;
        let names = BOARD_INPUT_NAMES.iter().chain(BOARD_OUTPUT_NAMES);
        let mut ids = vec![];
        let mut widths = vec![];
        for name in names {
            ids.push(vcd.add_wire(width(name), name)?);
            widths.push(width(name));
        }
        vcd.upscope()?;
        vcd.enddefinitions()?;
        let last = vec![None; ids.len()];
        Ok(PortTrace {
            vcd,
            clock,
            ids,
            widths,
            last,
        })
    }

    /// Records clock `cycle`: the inputs applied before its rising edge and the outputs
    /// after it.
    pub fn sample(
        &mut self,
        cycle: u64,
        inputs: &BoardInputs,
        outputs: &BoardOutputs,
    ) -> io::Result<()> {
        self.vcd.timestamp(cycle * 10)?;
        self.vcd.change_scalar(self.clock, Value::V1)?;
        let words = inputs.words().into_iter().chain(outputs.words());
        for (k, w) in words.enumerate() {
            if self.last[k] == Some(w) {
                continue;
            }
            self.last[k] = Some(w);
            if self.widths[k] == 1 {
                self.vcd.change_scalar(self.ids[k], w != 0)?;
            } else {
                let bits: Vec<Value> = (0..self.widths[k])
                    .rev()
                    .map(|b| {
                        if w >> b & 1 != 0 {
                            Value::V1
                        } else {
                            Value::V0
                        }
                    })
                    .collect();
                self.vcd.change_vector(self.ids[k], &bits)?;
            }
        }
        self.vcd.timestamp(cycle * 10 + 5)?;
        self.vcd.change_scalar(self.clock, Value::V0)
    }
}
