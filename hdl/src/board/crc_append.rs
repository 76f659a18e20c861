//! Appends the CRC-32 of each message to it (four bytes, least significant first), as
//! the host link's frames carry it: `type | body | crc32 (LE)`, before COBS encoding.
//!
//! The message passes through untouched, with the same handshake; its final byte loses
//! `last`, which moves to the final CRC byte. The CRC takes four bits a clock
//! ([`Crc32Serial`]), so a byte goes through at most every 2 clocks: `ready` and
//! `out_valid` stay low while it is absorbed, and the four CRC bytes leave one every 2
//! clocks too (each is shifted out of the register). That is forty times the rate of a
//! 12 Mbaud UART (83 clocks a byte), and the COBS encoder and UART behind are slower;
//! the simulated board's unpaced link runs at it.
//! One idle clock follows each message.

use crate::board::crc32_serial::Crc32Serial;
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
    /// Back at zero after the four CRC bytes are flushed out: no start-of-message reset.
    crc: Crc32Serial,
    /// Sending the CRC.
    appending: DFF<Bit>,
    /// CRC bytes sent; 4: waiting for the last to leave the register.
    index: DFF<Bits<3>>,
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
            // Flushes the FCS out; never cleared.
            crc: Crc32Serial::new(true, false),
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
        self.crc.start.next = false;
        // Not while the message's last byte is still going in (index 0 and busy).
        self.crc.flush.next =
            self.appending.q.val() & ((self.index.q.val() != 0) | !self.crc.busy.val());
        self.crc.clear.next = false;
        self.out_last.next = false;
        if !self.appending.q.val() {
            self.out_data.next = self.data.val();
            self.out_valid.next = self.valid.val() & !self.crc.busy.val();
            self.ready.next = self.out_ready.val() & !self.crc.busy.val();
            if self.valid.val() & self.out_ready.val() & !self.crc.busy.val() {
                self.crc.start.next = true;
                if self.last.val() {
                    self.appending.d.next = true;
                    self.index.d.next = 0.into();
                }
            }
        } else {
            self.ready.next = false;
            // The FCS's low byte is the next to go: flushing it brings the next one down.
            self.out_data.next = self.crc.fcs.val().get_bits::<8>(0);
            self.out_valid.next = !self.crc.busy.val() & !self.index.q.val().get_bit(2);
            self.out_last.next = self.index.q.val() == 3;
            if self.out_ready.val() & !self.crc.busy.val() & !self.index.q.val().get_bit(2) {
                self.crc.start.next = true;
                self.index.d.next = self.index.q.val() + 1;
            }
            if self.index.q.val().get_bit(2) & !self.crc.busy.val() {
                self.appending.d.next = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::crc32::crc32_ieee;

    /// Messages in, everything out, with the consumer ready on the clocks `ready` says.
    fn run(messages: &[Vec<u8>], ready: impl Fn(usize) -> bool) -> Vec<(u8, bool)> {
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
        let (mut next, mut out) = (0, vec![]);
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
            }
            let taken = offer && uut.ready.val();
            crate::tick!(uut);
            next += taken as usize;
        }
        assert_eq!(next, bytes.len(), "stopped taking input");
        out
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
        assert_eq!(run(&messages, |_| true), want);
        assert_eq!(run(&messages, |c| c % 4 != 1), want);
    }
}
