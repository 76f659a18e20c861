//! UART receiver, 8N1, sampling each bit in its middle.
//!
//! The line is first synchronised (two flip-flops: it comes from another chip's clock).
//! A falling edge starts a byte; the start bit is checked half a bit later (a glitch
//! shorter than that is ignored), then each data bit and the stop bit one bit period
//! apart. Sampling mid-bit tolerates a rate error of several percent over the ten bits
//! of a byte. A missing stop bit pulses `framing_error` instead of `valid`.

use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct UartRx<const CLOCKS_PER_BIT: u32> {
    pub clock: Signal<In, Clock>,
    pub rxd: Signal<In, Bit>,
    pub data: Signal<Out, Bits<8>>,
    pub valid: Signal<Out, Bit>,
    pub framing_error: Signal<Out, Bit>,
    sync1: DFF<Bit>,
    sync2: DFF<Bit>,
    // 0 idle, 1 start bit, 2 data bits, 3 stop bit.
    state: DFF<Bits<2>>,
    divider: DFF<Bits<16>>,
    bit_index: DFF<Bits<3>>,
    shift: DFF<Bits<8>>,
    valid_r: DFF<Bit>,
    error_r: DFF<Bit>,
    half_count: Constant<Bits<16>>,
    last_count: Constant<Bits<16>>,
}

impl<const CLOCKS_PER_BIT: u32> Default for UartRx<CLOCKS_PER_BIT> {
    fn default() -> Self {
        assert!(CLOCKS_PER_BIT >= 4);
        Self {
            clock: Default::default(),
            rxd: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            framing_error: Default::default(),
            sync1: Default::default(),
            sync2: Default::default(),
            state: Default::default(),
            divider: Default::default(),
            bit_index: Default::default(),
            shift: Default::default(),
            valid_r: Default::default(),
            error_r: Default::default(),
            half_count: Constant::new(((CLOCKS_PER_BIT / 2 - 1) as u64).into()),
            last_count: Constant::new(((CLOCKS_PER_BIT - 1) as u64).into()),
        }
    }
}

impl<const CLOCKS_PER_BIT: u32> Logic for UartRx<CLOCKS_PER_BIT> {
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
        if self.state.q.val() == 0 {
            self.divider.d.next = 0.into();
            if self.sync2.q.val() {
                self.state.d.next = 1.into();
            }
        } else if self.state.q.val() == 1 {
            if self.divider.q.val() == self.half_count.val() {
                self.divider.d.next = 0.into();
                self.bit_index.d.next = 0.into();
                if self.sync2.q.val() {
                    self.state.d.next = 2.into();
                } else {
                    self.state.d.next = 0.into();
                }
            }
        } else if self.state.q.val() == 2 {
            if self.divider.q.val() == self.last_count.val() {
                self.divider.d.next = 0.into();
                self.shift.d.next = (self.shift.q.val() >> 1)
                    | (bit_cast::<8, 1>((!self.sync2.q.val()).into()) << 7);
                self.bit_index.d.next = self.bit_index.q.val() + 1;
                if self.bit_index.q.val() == 7 {
                    self.state.d.next = 3.into();
                }
            }
        } else {
            if self.divider.q.val() == self.last_count.val() {
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

    const CPB: u32 = 25;

    /// The line level at every clock for `bytes` sent at `CPB × (1 + error)` clocks per
    /// bit, with `gap` idle bits between bytes; `stop` is the stop bit's level.
    fn waveform(bytes: &[u8], error: f64, gap: usize, stop: bool) -> Vec<bool> {
        let period = CPB as f64 * (1.0 + error);
        let mut levels: Vec<bool> = vec![];
        let mut bits = vec![true; 3];
        for &b in bytes {
            bits.push(false);
            bits.extend((0..8).map(|i| b >> i & 1 != 0));
            bits.push(stop);
            bits.extend(std::iter::repeat(true).take(gap));
        }
        bits.extend([true; 3]);
        let total = (bits.len() as f64 * period) as usize;
        for clock in 0..total {
            levels.push(bits[((clock as f64) / period) as usize]);
        }
        levels
    }

    fn receive(levels: &[bool]) -> (Vec<u8>, usize) {
        let mut uut = UartRx::<CPB>::default();
        uut.connect_all();
        let (mut got, mut errors) = (vec![], 0);
        for &level in levels {
            uut.rxd.next = level;
            crate::tick!(uut);
            if uut.valid.val() {
                got.push(uut.data.val().index() as u8);
            }
            errors += uut.framing_error.val() as usize;
        }
        (got, errors)
    }

    #[test]
    fn receives_at_the_nominal_rate_and_two_percent_off() {
        let bytes: Vec<u8> = (0..=255u8)
            .step_by(7)
            .chain([0x00, 0xFF, 0x55, 0xAA])
            .collect();
        for error in [0.0, 0.02, -0.02] {
            for gap in [0, 1] {
                let (got, errors) = receive(&waveform(&bytes, error, gap, true));
                assert_eq!(
                    (got.as_slice(), errors),
                    (bytes.as_slice(), 0),
                    "rate error {error}, gap {gap}"
                );
            }
        }
    }

    #[test]
    fn a_missing_stop_bit_is_a_framing_error() {
        let (got, errors) = receive(&waveform(&[0x00, 0x00], 0.0, 2, false));
        assert!(got.is_empty());
        assert_eq!(errors, 2);
    }

    #[test]
    fn a_short_glitch_is_not_a_start_bit() {
        let mut levels = vec![true; 40];
        levels[10] = false;
        levels[11] = false;
        levels.extend(waveform(&[0x42], 0.0, 0, true));
        assert_eq!(receive(&levels), (vec![0x42], 0));
    }

    #[test]
    fn transmitter_loops_back_into_receiver() {
        let mut tx = UartTx::<CPB>::default();
        tx.connect_all();
        assert!(simulate(&mut tx, 100));
        let bytes: Vec<u8> = (0..64).map(|i| (i * 37 + 5) as u8).collect();
        let mut levels = vec![];
        let mut next = 0;
        for _ in 0..(bytes.len() + 2) * 10 * CPB as usize {
            let offer = next < bytes.len();
            tx.valid.next = offer;
            tx.data.next = (*bytes.get(next).unwrap_or(&0) as u64).into();
            let taken = offer && tx.ready.val();
            crate::tick!(tx);
            if taken {
                next += 1;
            }
            levels.push(tx.txd.val());
        }
        assert_eq!(next, bytes.len());
        assert_eq!(receive(&levels), (bytes, 0));
    }
}
