//! UART transmitter, 8N1: a start bit, eight data bits LSB first, a stop bit.
//!
//! `CLOCKS_PER_BIT` sets the rate: 25 at 100 MHz is 4 Mbaud, the fastest rate the
//! FT2232H and a 100 MHz clock both hit exactly. A byte is taken when `valid` and
//! `ready` are both high.

use rust_hdl::prelude::*;

/// 100 MHz / 4 Mbaud.
pub const CLOCKS_PER_BIT_4M: u32 = 25;

#[derive(LogicBlock)]
pub struct UartTx<const CLOCKS_PER_BIT: u32> {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    pub ready: Signal<Out, Bit>,
    pub txd: Signal<Out, Bit>,
    // Start, data and stop bits still to send, LSB first; 1s shift in behind.
    shift: DFF<Bits<10>>,
    bits_left: DFF<Bits<4>>,
    divider: DFF<Bits<16>>,
    last_count: Constant<Bits<16>>,
}

impl<const CLOCKS_PER_BIT: u32> Default for UartTx<CLOCKS_PER_BIT> {
    fn default() -> Self {
        assert!(CLOCKS_PER_BIT >= 4);
        Self {
            clock: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            ready: Default::default(),
            txd: Default::default(),
            shift: Default::default(),
            bits_left: Default::default(),
            divider: Default::default(),
            last_count: Constant::new(((CLOCKS_PER_BIT - 1) as u64).into()),
        }
    }
}

impl<const CLOCKS_PER_BIT: u32> Logic for UartTx<CLOCKS_PER_BIT> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, shift, bits_left, divider);
        self.ready.next = self.bits_left.q.val() == 0;
        // The line idles high; while sending, bit 0 of the shift register is on it.
        self.txd.next = true;
        if self.bits_left.q.val() != 0 {
            self.txd.next = self.shift.q.val().get_bit(0);
            if self.divider.q.val() == self.last_count.val() {
                self.divider.d.next = 0.into();
                self.shift.d.next = (self.shift.q.val() >> 1) | 0x200;
                self.bits_left.d.next = self.bits_left.q.val() - 1;
            } else {
                self.divider.d.next = self.divider.q.val() + 1;
            }
        } else if self.valid.val() {
            self.shift.d.next = (bit_cast::<10, 8>(self.data.val()) << 1) | 0x200;
            self.bits_left.d.next = 10.into();
            self.divider.d.next = 0.into();
        }
    }
}
