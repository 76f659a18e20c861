//! A register slice for a data/valid/last/ready stream: the data, valid and last
//! outputs come from flip-flops, so a long combinational chain (CrcAppend's output
//! mux into CobsEncoder's zero test and RAM write, 91 MHz) is cut in two. Full
//! throughput while the consumer is ready; `ready` is combinational (from `out_ready`
//! and the slice's own state), which is short.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct StreamRegister {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    pub ready: Signal<Out, Bit>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_last: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    full: DFF<Bit>,
    held_data: DFF<Bits<8>>,
    held_last: DFF<Bit>,
    take: Signal<Local, Bit>,
}

impl Logic for StreamRegister {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, full, held_data, held_last);
        self.take.next = !self.full.q.val() | self.out_ready.val();
        if self.take.val() {
            self.full.d.next = self.valid.val();
            self.held_data.d.next = self.data.val();
            self.held_last.d.next = self.last.val();
        }
        self.ready.next = self.take.val();
        self.out_data.next = self.held_data.q.val();
        self.out_valid.next = self.full.q.val();
        self.out_last.next = self.held_last.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_every_byte_once_in_order_whatever_the_consumer_does() {
        let mut uut = StreamRegister::default();
        uut.connect_all();
        let bytes: Vec<(u8, bool)> = (0..500u32)
            .map(|i| ((i * 37) as u8, i % 50 == 49))
            .collect();
        let (mut next, mut out) = (0, vec![]);
        for clock in 0..3000usize {
            let ready = clock % 3 != 1 && clock % 7 != 2;
            let offer = next < bytes.len() && clock % 5 != 3;
            let (b, last) = bytes.get(next).copied().unwrap_or((0, false));
            uut.data.next = (b as u64).into();
            uut.valid.next = offer;
            uut.last.next = last;
            uut.out_ready.next = ready;
            assert!(simulate(&mut uut, 100));
            if uut.out_valid.val() && ready {
                out.push((uut.out_data.val().index() as u8, uut.out_last.val()));
            }
            let taken = offer && uut.ready.val();
            crate::tick!(uut);
            next += taken as usize;
        }
        assert_eq!(out, bytes);
    }
}
