//! UART receiver, 8N1, at 4 Mbaud or 12 Mbaud from the 100 MHz clock (`fast`),
//! sampling each bit in its middle.
//!
//! The line is first synchronised (two flip-flops: it comes from another chip's clock).
//! A falling edge starts a byte; the start bit is checked half a bit later (a glitch
//! shorter than that is ignored), then each data bit and the stop bit one bit period
//! apart, counted from that edge: every start bit resynchronises the receiver. A bit is
//! 25 clocks at 4 Mbaud; at 12 Mbaud 8⅓, so the bit periods are 8, 8 and 9 clocks in
//! turn from the start bit (9 for data bits 2 and 5 and for the stop bit), which puts
//! every sample within a clock of the bit's exact middle. Sampling mid-bit tolerates a
//! rate error of several percent over the ten bits of a byte at either rate (the tests
//! feed bytes 2% fast and 2% slow). A missing stop bit pulses `framing_error` instead
//! of `valid`.
//!
//! `fast` is read as each period ends; the board changes it only between bytes (when a
//! Config, which the host sends alone on the line, has been applied).

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct UartRx {
    pub clock: Signal<In, Clock>,
    pub rxd: Signal<In, Bit>,
    /// 12 Mbaud when high, 4 Mbaud when low.
    pub fast: Signal<In, Bit>,
    pub data: Signal<Out, Bits<8>>,
    pub valid: Signal<Out, Bit>,
    pub framing_error: Signal<Out, Bit>,
    sync1: DFF<Bit>,
    sync2: DFF<Bit>,
    // 0 idle, 1 start bit, 2 data bits, 3 stop bit.
    state: DFF<Bits<2>>,
    /// Clocks into the current period: at most 24 (4 Mbaud) or 8 (12 Mbaud).
    divider: DFF<Bits<5>>,
    bit_index: DFF<Bits<3>>,
    shift: DFF<Bits<8>>,
    valid_r: DFF<Bit>,
    error_r: DFF<Bit>,
    /// This clock ends half a bit (the start bit's check) or a whole bit (a sample).
    half_end: Signal<Local, Bit>,
    bit_end: Signal<Local, Bit>,
    /// At 12 Mbaud, the period now counted is a 9-clock one.
    long: Signal<Local, Bit>,
}

impl Logic for UartRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, sync1, sync2, state, divider, bit_index, shift, valid_r, error_r);
        // The flip-flops start at 0, which would read as a start bit: invert the line
        // through the synchroniser so that its reset state means idle (high).
        self.sync1.d.next = !self.rxd.val();
        self.sync2.d.next = self.sync1.q.val();
        self.valid_r.d.next = false;
        self.error_r.d.next = false;
        self.divider.d.next = self.divider.q.val() + 1;
        // The divider only reaches the values it counts to, so its ends are bit tests
        // (11 = 01011 and 24 = 11000 at 4 Mbaud; 3, 7 and 8 at 12 Mbaud).
        self.long.next = (self.state.q.val() == 3)
            | (self.bit_index.q.val() == 2)
            | (self.bit_index.q.val() == 5);
        self.half_end.next = self.divider.q.val().get_bits::<4>(0) == 11;
        self.bit_end.next = self.divider.q.val().get_bit(4) & self.divider.q.val().get_bit(3);
        if self.fast.val() {
            self.half_end.next = self.divider.q.val().get_bits::<2>(0) == 3;
            self.bit_end.next = self.divider.q.val().get_bit(3)
                | ((self.divider.q.val().get_bits::<3>(0) == 7) & !self.long.val());
        }
        if self.state.q.val() == 0 {
            self.divider.d.next = 0.into();
            if self.sync2.q.val() {
                self.state.d.next = 1.into();
            }
        } else if self.state.q.val() == 1 {
            if self.half_end.val() {
                self.divider.d.next = 0.into();
                self.bit_index.d.next = 0.into();
                if self.sync2.q.val() {
                    self.state.d.next = 2.into();
                } else {
                    self.state.d.next = 0.into();
                }
            }
        } else if self.state.q.val() == 2 {
            if self.bit_end.val() {
                self.divider.d.next = 0.into();
                self.shift.d.next = (self.shift.q.val() >> 1)
                    | (bit_cast::<8, 1>((!self.sync2.q.val()).into()) << 7);
                self.bit_index.d.next = self.bit_index.q.val() + 1;
                if self.bit_index.q.val() == 7 {
                    self.state.d.next = 3.into();
                }
            }
        } else {
            if self.bit_end.val() {
                self.state.d.next = 0.into();
                if self.sync2.q.val() {
                    self.error_r.d.next = true;
                } else {
                    self.valid_r.d.next = true;
                }
            }
        }
        self.data.next = self.shift.q.val();
        self.valid.next = self.valid_r.q.val();
        self.framing_error.next = self.error_r.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::uart_tx::UartTx;

    /// Clocks a bit at each rate: 4 Mbaud, then 12 Mbaud.
    const RATES: [(bool, f64); 2] = [(false, 25.0), (true, 25.0 / 3.0)];

    /// The line level at every clock for `bytes` sent at `bit × (1 + error)` clocks a
    /// bit, with `gap` idle bits between bytes; `stop` is the stop bit's level.
    fn waveform(bytes: &[u8], bit: f64, error: f64, gap: usize, stop: bool) -> Vec<bool> {
        shifted_waveform(bytes, bit, error, gap, stop, 0.5)
    }

    /// [`waveform`] with the sender's bit edges `offset` of a clock after ours.
    fn shifted_waveform(
        bytes: &[u8],
        bit: f64,
        error: f64,
        gap: usize,
        stop: bool,
        offset: f64,
    ) -> Vec<bool> {
        let period = bit * (1.0 + error);
        let mut bits = vec![true; 3];
        for &b in bytes {
            bits.push(false);
            bits.extend((0..8).map(|i| b >> i & 1 != 0));
            bits.push(stop);
            bits.extend(std::iter::repeat(true).take(gap));
        }
        bits.extend([true; 3]);
        let total = (bits.len() as f64 * period) as usize;
        (0..total)
            .map(|clock| {
                bits[(((clock as f64 + 1.0 - offset) / period) as usize).min(bits.len() - 1)]
            })
            .collect()
    }

    fn receive(levels: &[bool], fast: bool) -> (Vec<u8>, usize) {
        let mut uut = UartRx::default();
        uut.connect_all();
        let (mut got, mut errors) = (vec![], 0);
        for &level in levels {
            uut.rxd.next = level;
            uut.fast.next = fast;
            crate::tick!(uut);
            if uut.valid.val() {
                got.push(uut.data.val().index() as u8);
            }
            errors += uut.framing_error.val() as usize;
        }
        (got, errors)
    }

    #[test]
    fn receives_at_both_rates_nominal_and_two_percent_off() {
        let bytes: Vec<u8> = (0..=255u8)
            .step_by(7)
            .chain([0x00, 0xFF, 0x55, 0xAA])
            .collect();
        for (fast, bit) in RATES {
            for error in [0.0, 0.02, -0.02] {
                for (gap, offset) in [(0, 0.0), (0, 0.5), (1, 0.25), (1, 0.75)] {
                    let line = shifted_waveform(&bytes, bit, error, gap, true, offset);
                    let (got, errors) = receive(&line, fast);
                    assert_eq!(
                        (got.as_slice(), errors),
                        (bytes.as_slice(), 0),
                        "fast {fast}, rate error {error}, gap {gap}, offset {offset}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_receiver_at_the_other_rate_never_takes_a_byte_for_what_was_sent() {
        let bytes: Vec<u8> = (0..64).map(|i| (i * 37 + 5) as u8).collect();
        for (fast, bit) in RATES {
            let (got, _) = receive(&waveform(&bytes, bit, 0.0, 0, true), !fast);
            assert_ne!(got, bytes, "sent fast {fast}, received at the other rate");
        }
    }

    #[test]
    fn a_missing_stop_bit_is_a_framing_error() {
        for (fast, bit) in RATES {
            let (got, errors) = receive(&waveform(&[0x00, 0x00], bit, 0.0, 2, false), fast);
            assert!(got.is_empty());
            assert_eq!(errors, 2);
        }
    }

    #[test]
    fn a_short_glitch_is_not_a_start_bit() {
        for (fast, bit) in RATES {
            let mut levels = vec![true; 40];
            // Shorter than half a bit: 2 clocks at 12 Mbaud, 10 at 4 Mbaud.
            let glitch = if fast { 2 } else { 10 };
            levels[10..10 + glitch].fill(false);
            levels.extend(waveform(&[0x42], bit, 0.0, 0, true));
            assert_eq!(receive(&levels, fast), (vec![0x42], 0), "fast {fast}");
        }
    }

    #[test]
    fn transmitter_loops_back_into_receiver_at_both_rates() {
        for (fast, _) in RATES {
            let mut tx = UartTx::default();
            tx.connect_all();
            assert!(simulate(&mut tx, 100));
            let bytes: Vec<u8> = (0..64).map(|i| (i * 37 + 5) as u8).collect();
            let mut levels = vec![];
            let mut next = 0;
            for _ in 0..(bytes.len() + 2) * 250 {
                let offer = next < bytes.len();
                tx.valid.next = offer;
                tx.fast.next = fast;
                tx.data.next = (*bytes.get(next).unwrap_or(&0) as u64).into();
                let taken = offer && tx.ready.val();
                crate::tick!(tx);
                if taken {
                    next += 1;
                }
                levels.push(tx.txd.val());
            }
            assert_eq!(next, bytes.len());
            assert_eq!(receive(&levels, fast), (bytes, 0), "fast {fast}");
        }
    }
}
