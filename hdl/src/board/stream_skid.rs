//! A two-entry skid buffer for a data/valid/last/ready stream: `out_*` come from
//! flip-flops and so does `ready` (room in the second entry), so neither the
//! consumer's ready nor the producer's data crosses it in one clock. A byte a clock
//! while the consumer is ready; a byte offered while `ready` is high is never lost.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct StreamSkid {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    pub ready: Signal<Out, Bit>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_last: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    main_valid: DFF<Bit>,
    main_data: DFF<Bits<8>>,
    main_last: DFF<Bit>,
    spare_valid: DFF<Bit>,
    spare_data: DFF<Bits<8>>,
    spare_last: DFF<Bit>,
    /// The main entry is empty or leaves this clock.
    refill: Signal<Local, Bit>,
}

impl Logic for StreamSkid {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            main_valid,
            main_data,
            main_last,
            spare_valid,
            spare_data,
            spare_last
        );
        self.refill.next = !self.main_valid.q.val() | self.out_ready.val();
        if self.refill.val() {
            if self.spare_valid.q.val() {
                // `ready` was low: nothing is offered to take.
                self.main_data.d.next = self.spare_data.q.val();
                self.main_last.d.next = self.spare_last.q.val();
                self.spare_valid.d.next = false;
            } else {
                self.main_valid.d.next = self.valid.val();
                self.main_data.d.next = self.data.val();
                self.main_last.d.next = self.last.val();
            }
        } else if self.valid.val() & !self.spare_valid.q.val() {
            self.spare_valid.d.next = true;
            self.spare_data.d.next = self.data.val();
            self.spare_last.d.next = self.last.val();
        }
        self.ready.next = !self.spare_valid.q.val();
        self.out_data.next = self.main_data.q.val();
        self.out_valid.next = self.main_valid.q.val();
        self.out_last.next = self.main_last.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_every_byte_once_in_order_and_ready_is_a_register() {
        let mut uut = StreamSkid::default();
        uut.connect_all();
        let bytes: Vec<(u8, bool)> = (0..600u32)
            .map(|i| ((i * 37) as u8, i % 50 == 49))
            .collect();
        let (mut next, mut out) = (0, vec![]);
        let mut full_rate = 0;
        for clock in 0..3000usize {
            // A stretch with both sides always willing, then random stalls on both.
            let free = clock < 200;
            let ready = free || (clock % 3 != 1 && clock % 7 != 2);
            let offer = next < bytes.len() && (free || clock % 5 != 3);
            let (b, last) = bytes.get(next).copied().unwrap_or((0, false));
            uut.data.next = (b as u64).into();
            uut.valid.next = offer;
            uut.last.next = last;
            // `ready` must not depend on the consumer this clock.
            uut.out_ready.next = !ready;
            assert!(simulate(&mut uut, 100));
            let other = uut.ready.val();
            uut.out_ready.next = ready;
            assert!(simulate(&mut uut, 100));
            assert_eq!(
                uut.ready.val(),
                other,
                "ready follows out_ready at clock {clock}"
            );
            if uut.out_valid.val() && ready {
                out.push((uut.out_data.val().index() as u8, uut.out_last.val()));
                if free && clock > 2 {
                    full_rate += 1;
                }
            }
            let taken = offer && uut.ready.val();
            crate::tick!(uut);
            next += taken as usize;
        }
        assert_eq!(out, bytes);
        assert_eq!(full_rate, 197, "a byte a clock when nothing stalls");
    }
}
