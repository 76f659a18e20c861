//! Makes one-clock pulses visible on the eight LEDs: each pulse lights its LED for
//! one to two ticks of a shared prescaler (8,388,607 clocks, 84 ms at 100 MHz), so
//! 0.08 to 0.17 s. Levels are the top level's to OR in (only two LEDs have one).
//!
//! Cheap by construction, since nothing here is timing-critical: the prescaler is a
//! 23-bit maximal-length LFSR (a shift and one XNOR, no carry chain; XNOR so that the
//! all-zero power-up state is on the cycle), ticking when it passes zero; each LED is
//! its own output flip-flop plus one `hold` flip-flop that lets the first tick after a
//! pulse pass, two LUTs a lane.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct LedStretch {
    pub clock: Signal<In, Clock>,
    pub pulses: Signal<In, Bits<8>>,
    pub leds: Signal<Out, Bits<8>>,
    lfsr: DFF<Bits<23>>,
    tick: DFF<Bit>,
    lit: DFF<Bits<8>>,
    hold: DFF<Bits<8>>,
    feedback: Signal<Local, Bit>,
    /// All ones on a tick.
    ticks: Signal<Local, Bits<8>>,
}

impl Logic for LedStretch {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, lfsr, tick, lit, hold);
        // Taps 23 and 18 (x^23 + x^18 + 1): period 2^23 - 1.
        self.feedback.next = !(self.lfsr.q.val().get_bit(22) ^ self.lfsr.q.val().get_bit(17));
        self.lfsr.d.next = (self.lfsr.q.val() << 1) | bit_cast::<23, 1>(self.feedback.val().into());
        self.tick.d.next = self.lfsr.q.val() == 0;
        self.ticks.next = 0.into();
        if self.tick.q.val() {
            self.ticks.next = 0xFF.into();
        }
        // A pulse sets both; a tick clears `hold` if set, else `lit`.
        self.lit.d.next =
            self.pulses.val() | (self.lit.q.val() & !(self.ticks.val() & !self.hold.q.val()));
        self.hold.d.next = self.pulses.val() | (self.hold.q.val() & !self.ticks.val());
        self.leds.next = self.lit.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pulse lights its LED for at least one whole prescaler period and less than two,
    /// and the prescaler's ticks are a period apart.
    #[test]
    fn a_pulse_lights_its_led_for_one_to_two_periods() {
        const PERIOD: usize = (1 << 23) - 1;
        let mut uut = LedStretch::default();
        uut.connect_all();
        let clock = |uut: &mut LedStretch, pulses: u64| {
            uut.pulses.next = pulses.into();
            uut.clock.next = false.into();
            assert!(simulate(uut, 100));
            uut.clock.next = true.into();
            assert!(simulate(uut, 100));
            uut.pulses.next = 0.into();
        };
        let mut ticks = vec![];
        let mut lit = vec![];
        let mut started = None;
        for t in 0..3 * PERIOD {
            let p = match t {
                1000 => 0x01,
                1_000_000 => 0x80,
                _ => 0,
            };
            clock(&mut uut, p);
            if uut.tick.q.val() {
                ticks.push(t);
            }
            let on = uut.leds.val().index() as u64;
            match (started, on & 0x81 != 0) {
                (None, true) => started = Some((t, on)),
                (Some((s, was)), true) if on != was => {
                    lit.push((was, t - s));
                    started = Some((t, on));
                }
                (Some((s, was)), false) => {
                    lit.push((was, t - s));
                    started = None;
                }
                _ => {}
            }
        }
        assert!(ticks.windows(2).all(|w| w[1] - w[0] == PERIOD), "{ticks:?}");
        // LED 0 alone, both, then LED 7 alone; each lit at least a period.
        let on_for = |mask: u64| -> usize {
            lit.iter()
                .filter(|(m, _)| m & mask != 0)
                .map(|(_, d)| d)
                .sum()
        };
        for mask in [0x01, 0x80] {
            let d = on_for(mask);
            assert!(
                d >= PERIOD && d < 2 * PERIOD + 2,
                "LED {mask:#x}: {d} clocks"
            );
        }
    }
}
