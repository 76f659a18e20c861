//! ARP receive (RFC 826): the fields of an Ethernet/IPv4 ARP message.
//!
//! Only hardware type 1, protocol 0x0800, address lengths 6 and 4, in at least 28 bytes,
//! are accepted; anything else is `arp_malformed` (7). Requests for any address are
//! accepted here: deciding whom to answer is the responder's job.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct ArpRx {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    pub l3: Signal<In, Bit>,
    pub is_arp: Signal<In, Bit>,
    pub op: Signal<Out, Bits<16>>,
    pub sender_mac_hi: Signal<Out, Bits<16>>,
    pub sender_mac_mid: Signal<Out, Bits<16>>,
    pub sender_mac_lo: Signal<Out, Bits<16>>,
    pub sender_ip: Signal<Out, Bits<32>>,
    pub target_mac_hi: Signal<Out, Bits<16>>,
    pub target_mac_mid: Signal<Out, Bits<16>>,
    pub target_mac_lo: Signal<Out, Bits<16>>,
    pub target_ip: Signal<Out, Bits<32>>,
    /// All 28 bytes arrived: the frame reports an ARP layer.
    pub done: Signal<Out, Bit>,
    pub reason: Signal<Out, Bits<5>>,
    offset: DFF<Bits<5>>,
    mid_frame: DFF<Bit>,
    prev: DFF<Bits<8>>,
    format_ok: DFF<Bit>,
    op_r: DFF<Bits<16>>,
    sha_hi: DFF<Bits<16>>,
    sha_mid: DFF<Bits<16>>,
    sha_lo: DFF<Bits<16>>,
    spa: DFF<Bits<32>>,
    tha_hi: DFF<Bits<16>>,
    tha_mid: DFF<Bits<16>>,
    tha_lo: DFF<Bits<16>>,
    tpa: DFF<Bits<32>>,
    done_r: DFF<Bit>,
    reason_r: DFF<Bits<5>>,
    word: Signal<Local, Bits<16>>,
    off: Signal<Local, Bits<5>>,
}

impl Logic for ArpRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, offset, mid_frame, prev, format_ok, op_r, sha_hi, sha_mid, sha_lo, spa,
            tha_hi, tha_mid, tha_lo, tpa, done_r, reason_r
        );
        self.off.next = self.offset.q.val();
        self.word.next =
            (bit_cast::<16, 8>(self.prev.q.val()) << 8) | bit_cast::<16, 8>(self.data.val());
        if self.valid.val() {
            self.mid_frame.d.next = !self.last.val();
        }
        if self.valid.val() & !self.mid_frame.q.val() {
            self.offset.d.next = 0.into();
            self.format_ok.d.next = true;
            self.done_r.d.next = false;
            self.reason_r.d.next = 0.into();
        }
        if self.valid.val() & self.l3.val() {
            self.prev.d.next = self.data.val();
            if self.off.val() != 31 {
                self.offset.d.next = self.off.val() + 1;
            }
            if (self.off.val() == 1) & (self.word.val() != 0x0001) {
                self.format_ok.d.next = false;
            }
            if (self.off.val() == 3) & (self.word.val() != 0x0800) {
                self.format_ok.d.next = false;
            }
            if (self.off.val() == 5) & (self.word.val() != 0x0604) {
                self.format_ok.d.next = false;
            }
            if self.off.val() == 7 {
                self.op_r.d.next = self.word.val();
            }
            if self.off.val() == 9 {
                self.sha_hi.d.next = self.word.val();
            }
            if self.off.val() == 11 {
                self.sha_mid.d.next = self.word.val();
            }
            if self.off.val() == 13 {
                self.sha_lo.d.next = self.word.val();
            }
            if (self.off.val() >= 14) & (self.off.val() < 18) {
                self.spa.d.next = (self.spa.q.val() << 8) | bit_cast::<32, 8>(self.data.val());
            }
            if self.off.val() == 19 {
                self.tha_hi.d.next = self.word.val();
            }
            if self.off.val() == 21 {
                self.tha_mid.d.next = self.word.val();
            }
            if self.off.val() == 23 {
                self.tha_lo.d.next = self.word.val();
            }
            if (self.off.val() >= 24) & (self.off.val() < 28) {
                self.tpa.d.next = (self.tpa.q.val() << 8) | bit_cast::<32, 8>(self.data.val());
            }
            if self.off.val() == 27 {
                self.done_r.d.next = true;
            }
        }
        if self.valid.val() & self.last.val() & self.is_arp.val() {
            // Complete means 28 bytes, counting this last one.
            if !self.format_ok.q.val()
                | !(self.done_r.q.val() | ((self.off.val() == 27) & self.l3.val()))
            {
                self.reason_r.d.next = 7.into(); // arp_malformed
            }
        }
        self.op.next = self.op_r.q.val();
        self.sender_mac_hi.next = self.sha_hi.q.val();
        self.sender_mac_mid.next = self.sha_mid.q.val();
        self.sender_mac_lo.next = self.sha_lo.q.val();
        self.sender_ip.next = self.spa.q.val();
        self.target_mac_hi.next = self.tha_hi.q.val();
        self.target_mac_mid.next = self.tha_mid.q.val();
        self.target_mac_lo.next = self.tha_lo.q.val();
        self.target_ip.next = self.tpa.q.val();
        self.done.next = self.done_r.q.val();
        self.reason.next = self.reason_r.q.val();
    }
}
