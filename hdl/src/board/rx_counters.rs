//! Frame counters, one 32-bit count per drop reason and per accepted protocol, kept in
//! one block RAM (32 × 32 bits) rather than in 900 logic cells.
//!
//! A bump is a read-modify-write over three clocks: read, add one into a register,
//! write. The register is there for timing: the RAM's read data comes late in the
//! clock, and through the 32-bit carry chain and on to the RAM's write data it was the
//! chip's longest path (91.9 MHz on seed 1). Bumps of different counters may come on
//! consecutive clocks (a frame's verdict, then one of the board's own events), so each
//! carries its counter's index along to its own write (`pending_index`, then
//! `write_index`); a bump of the same counter comes no sooner than the clock after the
//! last one's write (verdicts are a frame apart, the board's events two clocks apart at
//! least and each a frame apart from its like). The host side reads `read_index`: `read_value` holds that counter one
//! clock later, when `read_valid` says no bump took the RAM's read port and the counter
//! was not being written in that clock (a [`BlockRam`]: the chip's read of the address
//! being written is undefined, so it is not offered).

use crate::block_ram::BlockRam;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct RxCounters {
    pub clock: Signal<In, Clock>,
    pub bump: Signal<In, Bit>,
    pub index: Signal<In, Bits<5>>,
    pub read_index: Signal<In, Bits<5>>,
    pub read_value: Signal<Out, Bits<32>>,
    pub read_valid: Signal<Out, Bit>,
    ram: BlockRam<Bits<32>, 5>,
    /// The bump's read data is out of the RAM (this clock).
    pending: DFF<Bit>,
    /// The counter being bumped, in the clock after its read.
    pending_index: DFF<Bits<5>>,
    /// The counter written this clock (`writing`): a bump in the clock after another
    /// moves `pending_index` on before the first's write.
    write_index: DFF<Bits<5>>,
    /// The bumped count, written back this clock when `writing`.
    sum: DFF<Bits<32>>,
    writing: DFF<Bit>,
    valid_r: DFF<Bit>,
}

impl Default for RxCounters {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            bump: Default::default(),
            index: Default::default(),
            read_index: Default::default(),
            read_value: Default::default(),
            read_valid: Default::default(),
            // Initialised to zero: the FPGA loads block RAM contents with the bitstream.
            ram: BlockRam::zeroed(),
            pending: Default::default(),
            pending_index: Default::default(),
            write_index: Default::default(),
            sum: Default::default(),
            writing: Default::default(),
            valid_r: Default::default(),
        }
    }
}

impl Logic for RxCounters {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            pending,
            pending_index,
            write_index,
            sum,
            writing,
            valid_r
        );
        self.ram.read_clock.next = self.clock.val();
        self.ram.write_clock.next = self.clock.val();
        self.ram.read_address.next = self.read_index.val();
        self.write_index.d.next = self.pending_index.q.val();
        self.ram.write_address.next = self.write_index.q.val();
        // Loaded every clock: written only with `writing`, the clock after `pending`.
        self.sum.d.next = self.ram.read_data.val() + 1;
        self.ram.write_data.next = self.sum.q.val();
        self.ram.write_enable.next = self.writing.q.val();
        self.pending.d.next = self.bump.val();
        self.writing.d.next = self.pending.q.val();
        self.valid_r.d.next = !self.bump.val()
            & !(self.writing.q.val() & (self.read_index.val() == self.write_index.q.val()));
        if self.bump.val() {
            self.ram.read_address.next = self.index.val();
            self.pending_index.d.next = self.index.val();
        }
        self.read_value.next = self.ram.read_data.val();
        self.read_valid.next = self.valid_r.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(uut: &mut RxCounters, index: u64) -> u64 {
        uut.bump.next = false;
        uut.read_index.next = index.into();
        crate::tick!(*uut);
        assert!(uut.read_valid.val());
        uut.read_value.val().index() as u64
    }

    #[test]
    fn counts_each_index_separately() {
        let mut uut = RxCounters::default();
        uut.connect_all();
        for (index, times) in [(1u64, 3), (21, 1), (26, 5), (1, 2)] {
            for _ in 0..times {
                uut.bump.next = true;
                uut.index.next = index.into();
                crate::tick!(uut);
                uut.bump.next = false;
                crate::tick!(uut);
                crate::tick!(uut);
                crate::tick!(uut);
            }
        }
        assert_eq!(read(&mut uut, 1), 5);
        assert_eq!(read(&mut uut, 21), 1);
        assert_eq!(read(&mut uut, 26), 5);
        assert_eq!(read(&mut uut, 2), 0);
    }

    /// A frame's verdict and a board event in the next clock, to different counters
    /// (the receive pipeline lets an event in the clock after a verdict): both count.
    /// Before `write_index`, the second bump's index took the first's write, and the
    /// first count was lost.
    #[test]
    fn bumps_on_consecutive_clocks_both_count() {
        let mut uut = RxCounters::default();
        uut.connect_all();
        for round in 1..=3u64 {
            for index in [26u64, 28] {
                uut.bump.next = true;
                uut.index.next = index.into();
                crate::tick!(uut);
            }
            uut.bump.next = false;
            for _ in 0..3 {
                crate::tick!(uut);
            }
            assert_eq!(read(&mut uut, 26), round, "the verdict's counter");
            assert_eq!(read(&mut uut, 28), round, "the event's counter");
        }
    }

    /// The host reads the counter a bump is writing: not offered in that clock (the
    /// chip's read data is undefined then), offered the clock after with the new count.
    #[test]
    fn a_read_of_the_counter_being_written_waits_a_clock() {
        let mut uut = RxCounters::default();
        uut.connect_all();
        uut.read_index.next = 7.into();
        uut.bump.next = true;
        uut.index.next = 7.into();
        crate::tick!(uut); // the bump reads counter 7
        assert!(!uut.read_valid.val(), "the port was the bump's");
        uut.bump.next = false;
        crate::tick!(uut); // adds one
        assert!(
            uut.read_valid.val(),
            "the old count, as if read a clock sooner"
        );
        assert_eq!(uut.read_value.val().index(), 0);
        crate::tick!(uut); // and writes it back, while the host reads it
        assert!(!uut.read_valid.val(), "the counter was being written");
        crate::tick!(uut);
        assert!(uut.read_valid.val());
        assert_eq!(uut.read_value.val().index(), 1);
    }
}
