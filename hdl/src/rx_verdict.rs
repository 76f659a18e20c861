//! The verdict on a received frame: which block objected first, in layer order.
//!
//! Each receive block's `reason` is final within two clocks after the frame's last beat
//! left it; the verdict waits three clocks after the last beat leaves the transport
//! blocks, then takes the first non-zero reason from the link layer up, and pulses
//! `done`. Below every block's own reason: TCP to a broadcast or multicast destination
//! (`not_unicast`: IP or MAC) is dropped as tcp_not_unicast, since RFC 1122 4.2.3.10
//! says a SYN to one must be silently discarded; UDP to one passes. That test is taken
//! into a flip-flop every clock and read from it at the verdict: the destination's
//! broadcast flags and the netmask are then not one path with the layer-order choice
//! (it was the critical path on both seeds). Frames are at least
//! 84 clocks apart on the wire, so no block has started on
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
    /// TransportRx's: TCP's, UDP's or ICMP's, by the protocol.
    pub transport_reason: Signal<In, Bits<5>>,
    pub is_arp: Signal<In, Bit>,
    /// The IP protocol, decoded by `Ipv4Rx` as it stored it: TCP, UDP, ICMP.
    pub is_tcp: Signal<In, Bit>,
    pub is_udp: Signal<In, Bit>,
    pub is_icmp: Signal<In, Bit>,
    /// The destination IP or MAC is a broadcast or multicast address.
    pub not_unicast: Signal<In, Bit>,
    /// TransportRx's ICMP type (its source port register's high byte).
    pub icmp_type: Signal<In, Bits<8>>,
    pub done: Signal<Out, Bit>,
    /// `reason`, `class` and `to_fifo` are valid with `done` only.
    pub reason: Signal<Out, Bits<5>>,
    /// 0 ARP, 1 ICMP, 2 TCP, 3 UDP (meaningful for accepted frames).
    pub class: Signal<Out, Bits<2>>,
    /// Accepted TCP or UDP, or an accepted ICMP error (destination unreachable 3, time
    /// exceeded 11, parameter problem 12): it belongs in the receive FIFO.
    pub to_fifo: Signal<Out, Bit>,
    wait1: DFF<Bit>,
    wait2: DFF<Bit>,
    wait3: DFF<Bit>,
    done_r: DFF<Bit>,
    reason_r: DFF<Bits<5>>,
    class_r: DFF<Bits<2>>,
    to_fifo_r: DFF<Bit>,
    /// TCP to a broadcast or multicast destination, a clock late (final by `wait2`).
    tcp_not_unicast: DFF<Bit>,
    first: Signal<Local, Bits<5>>,
    icmp_error: Signal<Local, Bit>,
}

impl Logic for RxVerdict {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            wait1,
            wait2,
            wait3,
            tcp_not_unicast,
            done_r,
            reason_r,
            class_r,
            to_fifo_r
        );
        self.wait1.d.next = self.last.val();
        self.wait2.d.next = self.wait1.q.val();
        self.wait3.d.next = self.wait2.q.val();
        self.first.next = 0.into();
        // 3, 11 or 12: 0000_0011, 0000_1011, 0000_1100.
        self.icmp_error.next = (self.icmp_type.val() == 3)
            | (self.icmp_type.val() == 11)
            | (self.icmp_type.val() == 12);
        self.tcp_not_unicast.d.next =
            self.not_unicast.val() & self.is_tcp.val() & !self.is_arp.val();
        if self.tcp_not_unicast.q.val() {
            self.first.next = 22.into(); // tcp_not_unicast
        }
        if self.transport_reason.val() != 0 {
            self.first.next = self.transport_reason.val();
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
        // Loaded every clock, not held (a held bit costs a LUT where blocks are
        // synthesized apart): reason, class and to_fifo are valid with `done` only.
        self.reason_r.d.next = self.first.val();
        self.class_r.d.next = 0.into();
        if !self.is_arp.val() {
            if self.is_icmp.val() {
                self.class_r.d.next = 1.into();
            } else if self.is_tcp.val() {
                self.class_r.d.next = 2.into();
            } else {
                self.class_r.d.next = 3.into();
            }
        }
        self.to_fifo_r.d.next = (self.first.val() == 0)
            & !self.is_arp.val()
            & (self.is_tcp.val()
                | self.is_udp.val()
                | (self.is_icmp.val() & self.icmp_error.val()));
        self.done.next = self.done_r.q.val();
        self.reason.next = self.reason_r.q.val();
        self.class.next = self.class_r.q.val();
        self.to_fifo.next = self.to_fifo_r.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reasons in layer order: mac, eth, arp, ipv4, transport.
    fn verdict(
        uut: &mut RxVerdict,
        reasons: [u8; 5],
        is_arp: bool,
        protocol: u8,
    ) -> (u64, u64, bool) {
        uut.mac_reason.next = (reasons[0] as u64).into();
        uut.eth_reason.next = (reasons[1] as u64).into();
        uut.arp_reason.next = (reasons[2] as u64).into();
        uut.ipv4_reason.next = (reasons[3] as u64).into();
        uut.transport_reason.next = (reasons[4] as u64).into();
        uut.is_arp.next = is_arp;
        uut.is_tcp.next = protocol == 6;
        uut.is_udp.next = protocol == 17;
        uut.is_icmp.next = protocol == 1;
        uut.last.next = true;
        crate::tick!(*uut);
        uut.last.next = false;
        let mut done_at = vec![];
        for clock in 1..8 {
            crate::tick!(*uut);
            if uut.done.val() {
                done_at.push(clock);
            }
        }
        // One pulse, three clocks after the clock that saw `last`.
        assert_eq!(done_at, vec![3]);
        (
            uut.reason.val().index() as u64,
            uut.class.val().index() as u64,
            uut.to_fifo.val(),
        )
    }

    fn new() -> RxVerdict {
        let mut uut = RxVerdict::default();
        uut.connect_all();
        uut
    }

    #[test]
    fn first_reason_in_layer_order() {
        let mut uut = new();
        assert_eq!(verdict(&mut uut, [1, 6, 7, 10, 16], false, 6).0, 1);
        assert_eq!(verdict(&mut uut, [0, 6, 7, 10, 16], false, 6).0, 6);
        assert_eq!(verdict(&mut uut, [0, 0, 7, 10, 16], false, 6).0, 7);
        assert_eq!(verdict(&mut uut, [0, 0, 0, 10, 20], false, 1).0, 10);
        assert_eq!(verdict(&mut uut, [0, 0, 0, 0, 20], false, 1).0, 20);
        assert_eq!(verdict(&mut uut, [0, 0, 0, 0, 18], false, 17).0, 18);
        assert_eq!(verdict(&mut uut, [0, 0, 0, 0, 16], false, 6).0, 16);
        assert_eq!(verdict(&mut uut, [0; 5], false, 6).0, 0);
        assert_eq!(verdict(&mut uut, [0, 0, 0, 13, 15], false, 6).0, 13);
    }

    #[test]
    fn class_and_to_fifo() {
        let mut uut = new();
        assert_eq!(verdict(&mut uut, [0; 5], true, 6), (0, 0, false));
        assert_eq!(verdict(&mut uut, [0; 5], false, 1), (0, 1, false));
        assert_eq!(verdict(&mut uut, [0; 5], false, 6), (0, 2, true));
        assert_eq!(verdict(&mut uut, [0; 5], false, 17), (0, 3, true));
        // Dropped segments do not go to the FIFO.
        assert_eq!(
            verdict(&mut uut, [0, 0, 0, 0, 16], false, 6),
            (16, 2, false)
        );
        assert_eq!(
            verdict(&mut uut, [0, 0, 0, 0, 17], false, 17),
            (17, 3, false)
        );
        assert_eq!(verdict(&mut uut, [5, 0, 0, 0, 0], false, 17), (5, 3, false));
        // ICMP errors go to the FIFO (RxIcmp); echo, its reply and the rest do not.
        for (t, kept) in [(3, true), (11, true), (12, true), (8, false), (0, false)] {
            uut.icmp_type.next = (t as u64).into();
            assert_eq!(
                verdict(&mut uut, [0; 5], false, 1),
                (0, 1, kept),
                "type {t}"
            );
            assert_eq!(
                verdict(&mut uut, [0, 0, 0, 0, 20], false, 1),
                (20, 1, false)
            );
        }
        uut.icmp_type.next = 3u64.into();
        assert_eq!(verdict(&mut uut, [0; 5], true, 1), (0, 0, false));
        assert_eq!(verdict(&mut uut, [0; 5], false, 2), (0, 3, false));
    }

    #[test]
    fn tcp_to_a_broadcast_or_multicast_destination_is_dropped_udp_is_not() {
        let mut uut = new();
        uut.not_unicast.next = true;
        assert_eq!(verdict(&mut uut, [0; 5], false, 6), (22, 2, false));
        assert_eq!(verdict(&mut uut, [0; 5], false, 17), (0, 3, true));
        assert_eq!(verdict(&mut uut, [0; 5], false, 1), (0, 1, false));
        assert_eq!(verdict(&mut uut, [0; 5], true, 6), (0, 0, false));
        // A block's own reason comes first.
        assert_eq!(verdict(&mut uut, [0, 0, 0, 0, 16], false, 6).0, 16);
        assert_eq!(verdict(&mut uut, [0, 0, 0, 13, 0], false, 6).0, 13);
        uut.not_unicast.next = false;
        assert_eq!(verdict(&mut uut, [0; 5], false, 6), (0, 2, true));
    }

    #[test]
    fn reasons_are_sampled_when_done_is_decided() {
        // Reasons that settle two clocks after `last` still count.
        let mut uut = new();
        uut.is_udp.next = true;
        uut.last.next = true;
        crate::tick!(uut);
        uut.last.next = false;
        crate::tick!(uut);
        uut.transport_reason.next = 18u64.into();
        crate::tick!(uut);
        assert!(!uut.done.val());
        crate::tick!(uut);
        assert!(uut.done.val());
        assert_eq!(uut.reason.val().index(), 18);
        assert!(!uut.to_fifo.val());
        // The verdict is valid with `done` only: after it, it follows the inputs.
        uut.transport_reason.next = 0u64.into();
        for _ in 0..5 {
            crate::tick!(uut);
        }
        assert!(!uut.done.val());
        assert_eq!(uut.reason.val().index(), 0);
    }
}
