//! The transmit crossing: mac_tx's bytes (core clock) into a small asynchronous FIFO
//! that [`crate::link::rmii_tx::RmiiTx`] empties on REF_CLK.
//!
//! `phy_tx_ready` (the PHY takes a byte this clock) is "the FIFO had room for two a
//! clock ago", from a flip-flop, so mac_tx runs at the wire's pace and its clock enable
//! does not start in the FIFO's pointer compare. Entries are 9 bits: a byte, or (bit 8) an end
//! marker, written when the frame is over, that is on the first clock `phy_tx_valid`
//! is low while `phy_tx_ready` is high: mac_tx never pauses inside a frame on its own.
//! 32 entries of 9 bits: one block RAM (256 × 16) at most.

use rust_hdl::prelude::*;

declare_async_fifo!(TxPhyCdc, Bits<9>, 32, 1);

#[derive(LogicBlock, Default)]
pub struct TxPhyFifo {
    /// Core clock.
    pub clock: Signal<In, Clock>,
    pub phy_tx_data: Signal<In, Bits<8>>,
    pub phy_tx_valid: Signal<In, Bit>,
    pub phy_tx_ready: Signal<Out, Bit>,
    /// REF_CLK, and the read side for RmiiTx.
    pub ref_clock: Signal<In, Clock>,
    pub data: Signal<Out, Bits<9>>,
    pub empty: Signal<Out, Bit>,
    pub read: Signal<In, Bit>,
    fifo: TxPhyCdc,
    in_frame: DFF<Bit>,
    end_pending: DFF<Bit>,
    /// At most 30 entries were held a clock ago: one written now still finds room.
    room: DFF<Bit>,
    ready: Signal<Local, Bit>,
}

impl Logic for TxPhyFifo {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, in_frame, end_pending, room);
        self.fifo.write_clock.next = self.clock.val();
        self.fifo.read_clock.next = self.ref_clock.val();
        self.room.d.next = !self.fifo.almost_full.val();
        self.ready.next = self.room.q.val() & !self.end_pending.q.val();
        self.fifo.write.next = false;
        self.fifo.data_in.next = bit_cast::<9, 8>(self.phy_tx_data.val());
        if self.end_pending.q.val() {
            if !self.fifo.full.val() {
                self.fifo.write.next = true;
                self.fifo.data_in.next = 0x100.into();
                self.end_pending.d.next = false;
            }
        } else if self.ready.val() {
            if self.phy_tx_valid.val() {
                self.fifo.write.next = true;
                self.in_frame.d.next = true;
            } else if self.in_frame.q.val() {
                self.in_frame.d.next = false;
                self.end_pending.d.next = true;
            }
        }
        self.phy_tx_ready.next = self.ready.val();
        self.fifo.read.next = self.read.val();
        self.data.next = self.fifo.data_out.val();
        self.empty.next = self.fifo.empty.val();
    }
}
