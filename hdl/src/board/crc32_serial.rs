//! Ethernet CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) four bits per clock,
//! for the host link's check ([`CrcCheck`], host → board), whose bytes come at most one
//! every 40 clocks on the chip (a UART byte is ten bit times of at least four clocks): a byte taken with `start` is absorbed
//! in 2 clocks, its low nibble at the `start` edge, and `busy` is high for the clock
//! after it. A `start` while `busy` is not allowed. So: 32 flip-flops and one to three
//! XORs a bit, where the byte-per-clock [`crate::link::crc32::Crc32`] needs a 40-input
//! XOR tree per bit. Four bits, not one: the simulated board's link, which runs as fast
//! as the hardware lets it, moves a byte every 2 clocks instead of every 8. (The board →
//! host appender, `CrcAppend`, takes a byte a clock through `Crc32Table` instead.)
//!
//! Four steps at once: the polynomial's low five bits are zero, so each step's feedback
//! is its register bit xor its data bit, `t_k = c_k ^ d_k`, unchanged by the steps
//! before it, and `c' = (c >> 4) ^ t0·(P >> 3) ^ t1·(P >> 2) ^ t2·(P >> 1) ^ t3·P`.
//!
//! The register holds the complement of the CRC state, so it reads as the FCS at any
//! time (the FCS of the bytes so far is `fcs`, least significant byte first on the
//! wire) and zero, the power-up value, is the fresh start: `clear` returns to it.
//! Run over a frame and its FCS, it ends at the complement of the residue 0xDEBB20E3
//! ([`RESIDUE`]; the checker compares).
//!
//! `flush`, held for a whole byte from its `start`, shifts the register down eight bits
//! without feedback instead of absorbing `data`: `fcs` bits 7..0 leave and zeros come in
//! at the top. Four flushed bytes send the FCS out a byte at a time and leave the
//! register at zero, ready for the next frame without a `clear`.
//!
//! [`CrcCheck`]: super::crc_check::CrcCheck

use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct Crc32Serial {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    /// Take `data` (only when not `busy`).
    pub start: Signal<In, Bit>,
    /// Shift out instead of absorbing (held through the byte).
    pub flush: Signal<In, Bit>,
    /// Start over (never with `start` nor while `busy`).
    pub clear: Signal<In, Bit>,
    /// Still absorbing the last byte taken.
    pub busy: Signal<Out, Bit>,
    pub fcs: Signal<Out, Bits<32>>,
    /// The complement of the CRC state.
    state: DFF<Bits<32>>,
    /// The byte's high nibble, absorbed the clock after `start`: loaded every clock (it
    /// is read only in the clock after a `start`), so it needs no enable.
    pending: DFF<Bits<4>>,
    /// The high nibble is still to absorb.
    left: DFF<Bit>,
    nibble: Signal<Local, Bits<4>>,
    /// The four steps' feedbacks (zero when flushing): `t_k` = CRC bit k xor data bit k,
    /// in the complement: its bit k equals the data bit.
    feedback: Signal<Local, Bits<4>>,
    /// Each feedback's share of the polynomial, and their sum: one term a bit, so each
    /// bit of the register takes a LUT4 (its hold, itself four up, the term).
    mix: Signal<Local, Bits<32>>,
    mix0: Signal<Local, Bits<32>>,
    mix1: Signal<Local, Bits<32>>,
    mix2: Signal<Local, Bits<32>>,
    mix3: Signal<Local, Bits<32>>,
    /// The complement's four new top bits: ones (the complement of the zeros the CRC
    /// shifts in), zeros when flushing.
    top: Signal<Local, Bits<32>>,
    poly0: Constant<Bits<32>>,
    poly1: Constant<Bits<32>>,
    poly2: Constant<Bits<32>>,
    poly3: Constant<Bits<32>>,
    ones: Constant<Bits<32>>,
    /// Whether this instance uses `flush` and `clear`: an unused input is tied low by
    /// its user, but a block synthesized apart (`tcpip synth --breakdown`) does not
    /// know that, and a `clear` costs a LUT4 a bit there.
    flushes: Constant<Bit>,
    clears: Constant<Bit>,
}

const POLY: u32 = 0xEDB8_8320;

/// `fcs` after a frame and its own FCS: the complement of the CRC-32 residue 0xDEBB20E3.
pub const RESIDUE: u32 = !0xDEBB_20E3;

/// Both `flush` and `clear` in use.
impl Default for Crc32Serial {
    fn default() -> Self {
        Self::new(true, true)
    }
}

impl Crc32Serial {
    /// `flushes`, `clears`: whether `flush` and `clear` are used (if not, they must be
    /// held low, and are ignored).
    pub fn new(flushes: bool, clears: bool) -> Self {
        Self {
            clock: Default::default(),
            data: Default::default(),
            start: Default::default(),
            flush: Default::default(),
            clear: Default::default(),
            busy: Default::default(),
            fcs: Default::default(),
            state: Default::default(),
            pending: Default::default(),
            left: Default::default(),
            nibble: Default::default(),
            feedback: Default::default(),
            mix: Default::default(),
            mix0: Default::default(),
            mix1: Default::default(),
            mix2: Default::default(),
            mix3: Default::default(),
            top: Default::default(),
            poly0: Constant::new((POLY >> 3).to_bits()),
            poly1: Constant::new((POLY >> 2).to_bits()),
            poly2: Constant::new((POLY >> 1).to_bits()),
            poly3: Constant::new(POLY.to_bits()),
            ones: Constant::new(0xF000_0000_u32.to_bits()),
            flushes: Constant::new(flushes),
            clears: Constant::new(clears),
        }
    }
}

impl Logic for Crc32Serial {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, pending, left);
        self.busy.next = self.left.q.val();
        self.fcs.next = self.state.q.val();
        self.nibble.next = self.pending.q.val();
        if self.start.val() {
            self.nibble.next = self.data.val().get_bits::<4>(0);
        }
        // In the complement a step's feedback is taken when its bit equals the data bit.
        self.feedback.next = !(self.state.q.val().get_bits::<4>(0) ^ self.nibble.val());
        self.top.next = self.ones.val();
        if self.flush.val() & self.flushes.val() {
            self.feedback.next = 0.into();
            self.top.next = 0.into();
        }
        self.mix0.next = 0.into();
        if self.feedback.val().get_bit(0) {
            self.mix0.next = self.poly0.val();
        }
        self.mix1.next = 0.into();
        if self.feedback.val().get_bit(1) {
            self.mix1.next = self.poly1.val();
        }
        self.mix2.next = 0.into();
        if self.feedback.val().get_bit(2) {
            self.mix2.next = self.poly2.val();
        }
        self.mix3.next = 0.into();
        if self.feedback.val().get_bit(3) {
            self.mix3.next = self.poly3.val();
        }
        self.mix.next = self.top.val()
            ^ (self.mix0.val() ^ self.mix1.val() ^ self.mix2.val() ^ self.mix3.val());
        if self.start.val() | self.left.q.val() {
            self.state.d.next = (self.state.q.val() >> 4) ^ self.mix.val();
            self.left.d.next = false;
        }
        self.pending.d.next = self.data.val().get_bits::<4>(4);
        if self.start.val() {
            self.left.d.next = true;
        }
        if self.clear.val() & self.clears.val() {
            self.state.d.next = 0.into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::crc32::crc32_ieee;

    /// Bytes in, one every `every` clocks (at least 2), each due when `busy` is low;
    /// returns once the last is absorbed.
    fn absorb(uut: &mut Crc32Serial, bytes: &[u8], flush: bool, every: usize) {
        for &b in bytes {
            assert!(!uut.busy.val(), "busy when a byte is due");
            uut.data.next = (b as u64).into();
            uut.start.next = true;
            uut.flush.next = flush;
            crate::tick!(*uut);
            uut.start.next = false;
            uut.data.next = 0xA5.into();
            for _ in 1..every {
                assert!(simulate(&mut *uut, 100));
                crate::tick!(*uut);
            }
        }
        uut.flush.next = false;
        assert!(simulate(&mut *uut, 100));
        assert!(!uut.busy.val());
    }

    fn fresh() -> Crc32Serial {
        let mut uut = Crc32Serial::default();
        uut.connect_all();
        assert!(simulate(&mut uut, 100));
        uut
    }

    fn fcs(uut: &Crc32Serial) -> u32 {
        uut.fcs.val().index() as u32
    }

    #[test]
    fn matches_the_check_value_at_the_fastest_rate_and_slower() {
        for every in [2, 3, 8, 83] {
            let mut uut = fresh();
            absorb(&mut uut, b"123456789", false, every);
            assert_eq!(fcs(&uut), 0xCBF4_3926);
        }
    }

    #[test]
    fn matches_the_software_crc_busy_for_one_clock_and_ends_at_the_residue() {
        let mut uut = fresh();
        for len in [0usize, 1, 2, 5, 64, 301] {
            let message: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
            absorb(&mut uut, &message, false, 2);
            assert_eq!(fcs(&uut), crc32_ieee(&message), "len {len}");
            assert_ne!(fcs(&uut), RESIDUE);
            absorb(&mut uut, &crc32_ieee(&message).to_le_bytes(), false, 2);
            assert_eq!(fcs(&uut), RESIDUE, "len {len}");
            uut.clear.next = true;
            crate::tick!(uut);
            uut.clear.next = false;
            assert!(simulate(&mut uut, 100));
            assert_eq!(fcs(&uut), 0);
        }
        // busy exactly for the clock after start.
        uut.data.next = 0x31.into();
        uut.start.next = true;
        crate::tick!(uut);
        uut.start.next = false;
        for k in 1..=3 {
            assert!(simulate(&mut uut, 100));
            assert_eq!(uut.busy.val(), k < 2, "clock {k}");
            crate::tick!(uut);
        }
    }

    #[test]
    fn flushing_sends_the_fcs_out_a_byte_at_a_time_and_leaves_zero() {
        let mut uut = fresh();
        for message in [b"123456789".to_vec(), vec![0x00], vec![0xFF; 40]] {
            absorb(&mut uut, &message, false, 2);
            let mut out = vec![];
            for _ in 0..4 {
                out.push(fcs(&uut) as u8);
                // What goes in while flushing does not matter.
                absorb(&mut uut, &[0x5C], true, 2);
            }
            assert_eq!(out, crc32_ieee(&message).to_le_bytes());
            assert_eq!(fcs(&uut), 0);
        }
    }
}
