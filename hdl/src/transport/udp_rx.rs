//! UDP receive (RFC 768): ports, length, checksum over pseudo-header and datagram.
//!
//! A zero checksum means the sender computed none, and passes. `body` marks the payload
//! beats, which go to the receive FIFO. `reason`: udp_length (17: under 8, or not the IP
//! payload length) > udp_checksum (18).

use crate::internet::checksum::OnesSum;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct UdpRx {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    pub l4: Signal<In, Bit>,
    pub l4_parse: Signal<In, Bit>,
    pub protocol: Signal<In, Bits<8>>,
    pub l4_len: Signal<In, Bits<16>>,
    pub pseudo_sum: Signal<In, Bits<17>>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_last: Signal<Out, Bit>,
    /// This beat is UDP payload (of a datagram this block parses).
    pub body: Signal<Out, Bit>,
    pub src_port: Signal<Out, Bits<16>>,
    pub dst_port: Signal<Out, Bits<16>>,
    pub length: Signal<Out, Bits<16>>,
    pub checksum_ok: Signal<Out, Bit>,
    /// The 8-byte header arrived: the frame reports a UDP layer.
    pub done: Signal<Out, Bit>,
    pub reason: Signal<Out, Bits<5>>,
    sum: OnesSum,
    offset: DFF<Bits<11>>,
    mid_frame: DFF<Bit>,
    prev: DFF<Bits<8>>,
    src_r: DFF<Bits<16>>,
    dst_r: DFF<Bits<16>>,
    length_r: DFF<Bits<16>>,
    no_checksum: DFF<Bit>,
    done_r: DFF<Bit>,
    last_d1: DFF<Bit>,
    last_d2: DFF<Bit>,
    reason_r: DFF<Bits<5>>,
    out_data_r: DFF<Bits<8>>,
    out_valid_r: DFF<Bit>,
    out_last_r: DFF<Bit>,
    body_r: DFF<Bit>,
    off: Signal<Local, Bits<11>>,
    word: Signal<Local, Bits<16>>,
    selected: Signal<Local, Bit>,
}

impl Logic for UdpRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            offset,
            mid_frame,
            prev,
            src_r,
            dst_r,
            length_r,
            no_checksum,
            done_r,
            last_d1,
            last_d2,
            reason_r,
            out_data_r,
            out_valid_r,
            out_last_r,
            body_r
        );
        self.selected.next = self.l4_parse.val() & (self.protocol.val() == 17);
        self.off.next = self.offset.q.val();
        self.word.next =
            (bit_cast::<16, 8>(self.prev.q.val()) << 8) | bit_cast::<16, 8>(self.data.val());
        self.sum.clock.next = self.clock.val();
        self.sum.data.next = self.data.val();
        self.sum.high.next = !self.off.val().get_bit(0);
        self.sum.clear.next = self.off.val() == 0;
        self.sum.init.next = self.pseudo_sum.val();
        self.sum.enable.next = self.valid.val() & self.l4.val();
        self.out_data_r.d.next = self.data.val();
        self.out_valid_r.d.next = self.valid.val();
        self.out_last_r.d.next = self.valid.val() & self.last.val();
        self.body_r.d.next = false;
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
            if self.off.val() == 1 {
                self.src_r.d.next = self.word.val();
            }
            if self.off.val() == 3 {
                self.dst_r.d.next = self.word.val();
            }
            if self.off.val() == 5 {
                self.length_r.d.next = self.word.val();
            }
            if self.off.val() == 7 {
                self.no_checksum.d.next = self.word.val() == 0;
                self.done_r.d.next = true;
            }
            self.body_r.d.next = self.selected.val() & (self.off.val() >= 8);
        }
        self.last_d1.d.next = self.valid.val() & self.last.val();
        self.last_d2.d.next = self.last_d1.q.val();
        if self.last_d2.q.val() & self.selected.val() {
            if !self.done_r.q.val()
                | (self.length_r.q.val() < 8)
                | (self.length_r.q.val() != self.l4_len.val())
            {
                self.reason_r.d.next = 17.into(); // udp_length
            } else if !self.sum.ok.val() & !self.no_checksum.q.val() {
                self.reason_r.d.next = 18.into(); // udp_checksum
            }
        }
        self.out_data.next = self.out_data_r.q.val();
        self.out_valid.next = self.out_valid_r.q.val();
        self.out_last.next = self.out_last_r.q.val();
        self.body.next = self.body_r.q.val();
        self.src_port.next = self.src_r.q.val();
        self.dst_port.next = self.dst_r.q.val();
        self.length.next = self.length_r.q.val();
        self.checksum_ok.next = self.sum.ok.val() | self.no_checksum.q.val();
        self.done.next = self.done_r.q.val();
        self.reason.next = self.reason_r.q.val();
    }
}
