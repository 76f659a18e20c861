//! ICMP receive: type, code, the echo identifier and sequence, checksum over the message.
//!
//! `reason`: icmp_length (19, under the 8-byte header) > icmp_checksum (20).

use crate::internet::checksum::OnesSum;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct IcmpRx {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    pub l4: Signal<In, Bit>,
    pub l4_parse: Signal<In, Bit>,
    pub protocol: Signal<In, Bits<8>>,
    pub icmp_type: Signal<Out, Bits<8>>,
    pub code: Signal<Out, Bits<8>>,
    pub identifier: Signal<Out, Bits<16>>,
    pub sequence: Signal<Out, Bits<16>>,
    pub checksum_ok: Signal<Out, Bit>,
    /// The 8-byte header arrived: the frame reports an ICMP layer.
    pub done: Signal<Out, Bit>,
    pub reason: Signal<Out, Bits<5>>,
    sum: OnesSum,
    offset: DFF<Bits<11>>,
    mid_frame: DFF<Bit>,
    prev: DFF<Bits<8>>,
    type_r: DFF<Bits<8>>,
    code_r: DFF<Bits<8>>,
    ident_r: DFF<Bits<16>>,
    seq_r: DFF<Bits<16>>,
    done_r: DFF<Bit>,
    last_d1: DFF<Bit>,
    last_d2: DFF<Bit>,
    reason_r: DFF<Bits<5>>,
    off: Signal<Local, Bits<11>>,
    word: Signal<Local, Bits<16>>,
}

impl Logic for IcmpRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, offset, mid_frame, prev, type_r, code_r, ident_r, seq_r, done_r, last_d1,
            last_d2, reason_r
        );
        self.off.next = self.offset.q.val();
        self.word.next =
            (bit_cast::<16, 8>(self.prev.q.val()) << 8) | bit_cast::<16, 8>(self.data.val());
        self.sum.clock.next = self.clock.val();
        self.sum.data.next = self.data.val();
        self.sum.high.next = !self.off.val().get_bit(0);
        self.sum.clear.next = self.off.val() == 0;
        self.sum.init.next = 0.into();
        self.sum.enable.next = self.valid.val() & self.l4.val();
        if self.valid.val() {
            self.mid_frame.d.next = !self.last.val();
        }
        if self.valid.val() & !self.mid_frame.q.val() {
            self.offset.d.next = 0.into();
            self.done_r.d.next = false;
            self.reason_r.d.next = 0.into();
        }
        if self.valid.val() & self.l4.val() {
            self.prev.d.next = self.data.val();
            if self.off.val() != 2047 {
                self.offset.d.next = self.off.val() + 1;
            }
            if self.off.val() == 0 {
                self.type_r.d.next = self.data.val();
            }
            if self.off.val() == 1 {
                self.code_r.d.next = self.data.val();
            }
            if self.off.val() == 5 {
                self.ident_r.d.next = self.word.val();
            }
            if self.off.val() == 7 {
                self.seq_r.d.next = self.word.val();
                self.done_r.d.next = true;
            }
        }
        self.last_d1.d.next = self.valid.val() & self.last.val();
        self.last_d2.d.next = self.last_d1.q.val();
        if self.last_d2.q.val() & self.l4_parse.val() & (self.protocol.val() == 1) {
            if !self.done_r.q.val() {
                self.reason_r.d.next = 19.into(); // icmp_length
            } else if !self.sum.ok.val() {
                self.reason_r.d.next = 20.into(); // icmp_checksum
            }
        }
        self.icmp_type.next = self.type_r.q.val();
        self.code.next = self.code_r.q.val();
        self.identifier.next = self.ident_r.q.val();
        self.sequence.next = self.seq_r.q.val();
        self.checksum_ok.next = self.sum.ok.val();
        self.done.next = self.done_r.q.val();
        self.reason.next = self.reason_r.q.val();
    }
}
