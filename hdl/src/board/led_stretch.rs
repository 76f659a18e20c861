//! Makes one-clock pulses visible on the eight LEDs: each pulse lights its LED for
//! 3 to 4 ticks of a shared prescaler (2^22 clocks, 42 ms at 100 MHz), so about 0.15 s.
//! `level` inputs are shown as they are (OR-ed with their pulse).
//! One 22-bit prescaler and a 2-bit count per LED instead of eight wide counters.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct LedStretch {
    pub clock: Signal<In, Clock>,
    pub pulses: Signal<In, Bits<8>>,
    pub levels: Signal<In, Bits<8>>,
    pub leds: Signal<Out, Bits<8>>,
    prescaler: DFF<Bits<22>>,
    tick: DFF<Bit>,
    c0: DFF<Bits<2>>,
    c1: DFF<Bits<2>>,
    c2: DFF<Bits<2>>,
    c3: DFF<Bits<2>>,
    c4: DFF<Bits<2>>,
    c5: DFF<Bits<2>>,
    c6: DFF<Bits<2>>,
    c7: DFF<Bits<2>>,
    lit: DFF<Bits<8>>,
}

impl Logic for LedStretch {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, prescaler, tick, c0, c1, c2, c3, c4, c5, c6, c7, lit);
        self.prescaler.d.next = self.prescaler.q.val() + 1;
        self.tick.d.next = self.prescaler.q.val() == 0;
        if self.pulses.val().get_bit(0) {
            self.c0.d.next = 3.into();
        } else if self.tick.q.val() & (self.c0.q.val() != 0) {
            self.c0.d.next = self.c0.q.val() - 1;
        }
        if self.pulses.val().get_bit(1) {
            self.c1.d.next = 3.into();
        } else if self.tick.q.val() & (self.c1.q.val() != 0) {
            self.c1.d.next = self.c1.q.val() - 1;
        }
        if self.pulses.val().get_bit(2) {
            self.c2.d.next = 3.into();
        } else if self.tick.q.val() & (self.c2.q.val() != 0) {
            self.c2.d.next = self.c2.q.val() - 1;
        }
        if self.pulses.val().get_bit(3) {
            self.c3.d.next = 3.into();
        } else if self.tick.q.val() & (self.c3.q.val() != 0) {
            self.c3.d.next = self.c3.q.val() - 1;
        }
        if self.pulses.val().get_bit(4) {
            self.c4.d.next = 3.into();
        } else if self.tick.q.val() & (self.c4.q.val() != 0) {
            self.c4.d.next = self.c4.q.val() - 1;
        }
        if self.pulses.val().get_bit(5) {
            self.c5.d.next = 3.into();
        } else if self.tick.q.val() & (self.c5.q.val() != 0) {
            self.c5.d.next = self.c5.q.val() - 1;
        }
        if self.pulses.val().get_bit(6) {
            self.c6.d.next = 3.into();
        } else if self.tick.q.val() & (self.c6.q.val() != 0) {
            self.c6.d.next = self.c6.q.val() - 1;
        }
        if self.pulses.val().get_bit(7) {
            self.c7.d.next = 3.into();
        } else if self.tick.q.val() & (self.c7.q.val() != 0) {
            self.c7.d.next = self.c7.q.val() - 1;
        }
        self.lit.d.next = self.levels.val()
            | bit_cast::<8, 1>((self.c0.q.val() != 0).into())
            | (bit_cast::<8, 1>((self.c1.q.val() != 0).into()) << 1)
            | (bit_cast::<8, 1>((self.c2.q.val() != 0).into()) << 2)
            | (bit_cast::<8, 1>((self.c3.q.val() != 0).into()) << 3)
            | (bit_cast::<8, 1>((self.c4.q.val() != 0).into()) << 4)
            | (bit_cast::<8, 1>((self.c5.q.val() != 0).into()) << 5)
            | (bit_cast::<8, 1>((self.c6.q.val() != 0).into()) << 6)
            | (bit_cast::<8, 1>((self.c7.q.val() != 0).into()) << 7);
        self.leds.next = self.lit.q.val();
    }
}
