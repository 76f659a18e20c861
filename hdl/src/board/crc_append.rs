//! Appends the CRC-32 of each message to it (four bytes, least significant first), as
//! the host link's frames carry it: `type | body | crc32 (LE)`, before COBS encoding.
//!
//! The message passes through untouched, with the same handshake (`ready` is
//! `out_ready` while the message passes: no register, no stall), a byte a clock; its
//! final byte loses `last`, which moves to the final CRC byte. The four CRC bytes
//! follow, one a clock while the consumer is ready, and the next message's first byte
//! may pass in the clock after the last of them. The simulated board's unpaced link
//! runs at that rate; a 12 Mbaud UART takes 83 clocks a byte.
//!
//! The CRC is a byte a clock in a [`Crc32Register`], the one [`CrcCheck`] keeps on
//! the way in: it reads as the FCS at any time, and shifting sends the FCS out a byte a
//! clock, its low byte first, and leaves it at zero for the next message, with no clear.
//!
//! [`CrcCheck`]: super::crc_check::CrcCheck

use crate::board::crc32_register::Crc32Register;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct CrcAppend {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    pub ready: Signal<Out, Bit>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_last: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    /// Back at zero after the four CRC bytes leave.
    crc: Crc32Register,
    step: Signal<Local, Bit>,
    /// Sending the CRC.
    appending: DFF<Bit>,
    /// CRC bytes sent.
    index: DFF<Bits<2>>,
}

impl Default for CrcAppend {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            last: Default::default(),
            ready: Default::default(),
            out_data: Default::default(),
            out_valid: Default::default(),
            out_last: Default::default(),
            out_ready: Default::default(),
            crc: Default::default(),
            step: Default::default(),
            appending: Default::default(),
            index: Default::default(),
        }
    }
}

impl Logic for CrcAppend {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, appending, index);
        self.crc.clock.next = self.clock.val();
        self.crc.data.next = self.data.val();
        // Sending the FCS: its low byte is the next to go, and a step brings the next down.
        self.crc.shifting.next = self.appending.q.val();
        self.out_data.next = self.data.val();
        self.out_valid.next = self.valid.val();
        self.out_last.next = false;
        self.ready.next = self.out_ready.val();
        if self.appending.q.val() {
            self.out_data.next = self.crc.fcs.val().get_bits::<8>(0);
            self.out_valid.next = true;
            self.out_last.next = self.index.q.val() == 3;
            self.ready.next = false;
        }
        // A byte leaves: the register absorbs it, or shifts the CRC byte out.
        self.step.next = self.out_valid.val() & self.out_ready.val();
        self.crc.step.next = self.step.val();
        if self.step.val() {
            if self.appending.q.val() {
                self.index.d.next = self.index.q.val() + 1;
                if self.index.q.val() == 3 {
                    self.appending.d.next = false;
                }
            } else if self.last.val() {
                self.appending.d.next = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::crc32::crc32_ieee;

    /// Messages in, everything out, with the consumer ready on the clocks `ready` says;
    /// also the clocks the bytes left on.
    fn run(messages: &[Vec<u8>], ready: impl Fn(usize) -> bool) -> (Vec<(u8, bool)>, Vec<usize>) {
        let mut uut = CrcAppend::default();
        uut.connect_all();
        assert!(simulate(&mut uut, 100));
        let bytes: Vec<(u8, bool)> = messages
            .iter()
            .flat_map(|m| {
                m.iter()
                    .enumerate()
                    .map(move |(i, &b)| (b, i + 1 == m.len()))
            })
            .collect();
        let (mut next, mut out, mut clocks) = (0, vec![], vec![]);
        for clock in 0..bytes.len() * 12 + messages.len() * 50 + 50 {
            let (b, last) = bytes.get(next).copied().unwrap_or((0, false));
            let offer = next < bytes.len();
            uut.valid.next = offer;
            uut.data.next = (b as u64).into();
            uut.last.next = last;
            uut.out_ready.next = ready(clock);
            assert!(simulate(&mut uut, 100));
            if uut.out_valid.val() && ready(clock) {
                out.push((uut.out_data.val().index() as u8, uut.out_last.val()));
                clocks.push(clock);
            }
            let taken = offer && uut.ready.val();
            crate::tick!(uut);
            next += taken as usize;
        }
        assert_eq!(next, bytes.len(), "stopped taking input");
        (out, clocks)
    }

    #[test]
    fn each_message_gets_its_crc_and_last_moves_to_it() {
        let messages = vec![
            b"123456789".to_vec(),
            vec![0x01],
            (0..300).map(|i| (i * 13) as u8).collect(),
            vec![0x00; 5],
        ];
        let mut want = vec![];
        for m in &messages {
            let mut framed: Vec<u8> = m.clone();
            framed.extend_from_slice(&crc32_ieee(m).to_le_bytes());
            let n = framed.len();
            want.extend(framed.into_iter().enumerate().map(|(i, b)| (b, i + 1 == n)));
        }
        let (out, clocks) = run(&messages, |_| true);
        assert_eq!(out, want);
        // A byte a clock, CRC bytes and the next message included: no idle clock.
        assert_eq!(clocks, (0..want.len()).collect::<Vec<_>>());
        assert_eq!(run(&messages, |c| c % 4 != 1).0, want);
    }
}
