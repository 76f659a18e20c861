//! The verdict on a received frame: which block objected first, in layer order.
//!
//! Each receive block's `reason` is final within two clocks after the frame's last beat
//! left it; the verdict waits three clocks after the last beat leaves the transport
//! blocks, then takes the first non-zero reason from the link layer up, and pulses
//! `done`. Frames are at least 84 clocks apart on the wire, so no block has started on
//! the next frame by then.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct RxVerdict {
    pub clock: Signal<In, Clock>,
    /// The last beat of a frame leaving the transport blocks.
    pub last: Signal<In, Bit>,
    pub mac_reason: Signal<In, Bits<5>>,
    pub eth_reason: Signal<In, Bits<5>>,
    pub arp_reason: Signal<In, Bits<5>>,
    pub ipv4_reason: Signal<In, Bits<5>>,
    pub icmp_reason: Signal<In, Bits<5>>,
    pub udp_reason: Signal<In, Bits<5>>,
    pub tcp_reason: Signal<In, Bits<5>>,
    pub is_arp: Signal<In, Bit>,
    pub protocol: Signal<In, Bits<8>>,
    pub done: Signal<Out, Bit>,
    pub reason: Signal<Out, Bits<5>>,
    /// 0 ARP, 1 ICMP, 2 TCP, 3 UDP (meaningful for accepted frames).
    pub class: Signal<Out, Bits<2>>,
    /// Accepted TCP or UDP: the segment belongs in the receive FIFO.
    pub to_fifo: Signal<Out, Bit>,
    wait1: DFF<Bit>,
    wait2: DFF<Bit>,
    wait3: DFF<Bit>,
    done_r: DFF<Bit>,
    reason_r: DFF<Bits<5>>,
    class_r: DFF<Bits<2>>,
    to_fifo_r: DFF<Bit>,
    first: Signal<Local, Bits<5>>,
}

impl Logic for RxVerdict {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, wait1, wait2, wait3, done_r, reason_r, class_r, to_fifo_r);
        self.wait1.d.next = self.last.val();
        self.wait2.d.next = self.wait1.q.val();
        self.wait3.d.next = self.wait2.q.val();
        self.first.next = self.tcp_reason.val();
        if self.udp_reason.val() != 0 {
            self.first.next = self.udp_reason.val();
        }
        if self.icmp_reason.val() != 0 {
            self.first.next = self.icmp_reason.val();
        }
        if self.ipv4_reason.val() != 0 {
            self.first.next = self.ipv4_reason.val();
        }
        if self.arp_reason.val() != 0 {
            self.first.next = self.arp_reason.val();
        }
        if self.eth_reason.val() != 0 {
            self.first.next = self.eth_reason.val();
        }
        if self.mac_reason.val() != 0 {
            self.first.next = self.mac_reason.val();
        }
        self.done_r.d.next = self.wait3.q.val();
        if self.wait3.q.val() {
            self.reason_r.d.next = self.first.val();
            self.class_r.d.next = 0.into();
            if !self.is_arp.val() {
                if self.protocol.val() == 1 {
                    self.class_r.d.next = 1.into();
                } else if self.protocol.val() == 6 {
                    self.class_r.d.next = 2.into();
                } else {
                    self.class_r.d.next = 3.into();
                }
            }
            self.to_fifo_r.d.next = (self.first.val() == 0)
                & !self.is_arp.val()
                & ((self.protocol.val() == 6) | (self.protocol.val() == 17));
        }
        self.done.next = self.done_r.q.val();
        self.reason.next = self.reason_r.q.val();
        self.class.next = self.class_r.q.val();
        self.to_fifo.next = self.to_fifo_r.q.val();
    }
}
