//! Round-robin arbiter between the two frame sources of the transmit path: host
//! segments and the board's echo replies (`host_*`, from `TransportTx`, which sends
//! whatever TxStage holds) and ARP (`arp_*`), toward `Ipv4Tx`.
//!
//! Each source offers one stream (`data`, `valid`, `last`, `ready`) that carries its
//! frame's destination in front of the message, so nothing travels beside it and
//! nothing is copied here (the transmit path's source contract):
//!
//! ```text
//! IPv4: kind (the IP protocol: 1, 6, 17) | L4 length (2, big-endian) | destination IP (4)
//!       | destination MAC (6) | total length (2: the L4 length + 20) | destination IP (4)
//!       | the L4 message
//! ARP:  kind 0 | destination MAC (6) | the 28-byte ARP message
//! ```
//!
//! The length and address come first so that `Ipv4Tx` has its header checksum before
//! the MAC header has left; the MAC then goes to the wire as it comes, and the total
//! length and address again where the IPv4 header has them (so `Ipv4Tx` keeps none). Once a source
//! raises `valid` it offers a byte on every clock `ready` is high, to its `last`.
//!
//! When no frame is in progress the arbiter grants the other source if it is valid,
//! else the one it granted last (one clock), and passes that source through until its
//! `last` is taken: a source never waits more than one frame. Registered both ways: the
//! stream leaves through a two-entry skid buffer ([`StreamSkid`]) and a source's
//! `ready` is made of this block's registers only.

use crate::board::stream_skid::StreamSkid;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct TxArbiter {
    pub clock: Signal<In, Clock>,
    pub host_data: Signal<In, Bits<8>>,
    pub host_valid: Signal<In, Bit>,
    pub host_last: Signal<In, Bit>,
    pub host_ready: Signal<Out, Bit>,
    pub arp_data: Signal<In, Bits<8>>,
    pub arp_valid: Signal<In, Bit>,
    pub arp_last: Signal<In, Bit>,
    pub arp_ready: Signal<Out, Bit>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_last: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    /// The granted source is ARP (else the host's).
    grant_arp: DFF<Bit>,
    /// A granted frame is in progress.
    locked: DFF<Bit>,
    pub outbuf: StreamSkid,
    /// The granted source's stream.
    in_data: Signal<Local, Bits<8>>,
    in_valid: Signal<Local, Bit>,
    in_last: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
}

impl Logic for TxArbiter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, grant_arp, locked);
        self.outbuf.clock.next = self.clock.val();
        // Only this block's registers: the skid buffer's room, the grant, the lock.
        self.take.next = self.locked.q.val() & self.outbuf.ready.val();
        self.host_ready.next = false;
        self.arp_ready.next = false;
        if self.grant_arp.q.val() {
            self.in_data.next = self.arp_data.val();
            self.in_valid.next = self.arp_valid.val();
            self.in_last.next = self.arp_last.val();
            self.arp_ready.next = self.take.val();
        } else {
            self.in_data.next = self.host_data.val();
            self.in_valid.next = self.host_valid.val();
            self.in_last.next = self.host_last.val();
            self.host_ready.next = self.take.val();
        }
        self.outbuf.data.next = self.in_data.val();
        self.outbuf.valid.next = self.take.val() & self.in_valid.val();
        self.outbuf.last.next = self.in_last.val();
        if !self.locked.q.val() {
            // Round robin: the other source first.
            if self.grant_arp.q.val() {
                if self.host_valid.val() {
                    self.grant_arp.d.next = false;
                }
            } else if self.arp_valid.val() {
                self.grant_arp.d.next = true;
            }
            self.locked.d.next = self.host_valid.val() | self.arp_valid.val();
        } else if self.take.val() & self.in_valid.val() & self.in_last.val() {
            self.locked.d.next = false;
        }
        self.out_data.next = self.outbuf.out_data.val();
        self.out_valid.next = self.outbuf.out_valid.val();
        self.out_last.next = self.outbuf.out_last.val();
        self.outbuf.out_ready.next = self.out_ready.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both sources with frames waiting (source k's frames are k+1 bytes long and carry
    /// k in every byte; ARP is source 1): the frames come out whole, in turn.
    #[test]
    fn grants_in_turn_and_switches_only_after_last() {
        let mut uut = TxArbiter::default();
        uut.connect_all();
        let mut pos = [0usize; 2];
        let mut frames_left = [3usize, 3];
        let mut out: Vec<(u8, bool)> = vec![];
        for clock in 0..200 {
            let len = |k: usize| k + 1;
            uut.host_valid.next = frames_left[0] > 0;
            uut.host_data.next = 0.into();
            uut.host_last.next = pos[0] + 1 == len(0);
            uut.arp_valid.next = frames_left[1] > 0;
            uut.arp_data.next = 1.into();
            uut.arp_last.next = pos[1] + 1 == len(1);
            uut.out_ready.next = clock % 4 != 3;
            uut.clock.next = false.into();
            assert!(simulate(&mut uut, 200));
            // The arbiter's outputs and readies are registers: they do not follow
            // `out_ready` or the sources within the clock.
            let before = (
                uut.host_ready.val(),
                uut.arp_ready.val(),
                uut.out_valid.val(),
            );
            uut.out_ready.next = !uut.out_ready.val();
            assert!(simulate(&mut uut, 200));
            uut.out_ready.next = clock % 4 != 3;
            assert!(simulate(&mut uut, 200));
            let after = (
                uut.host_ready.val(),
                uut.arp_ready.val(),
                uut.out_valid.val(),
            );
            assert_eq!(before, after);
            if uut.out_valid.val() && uut.out_ready.val() {
                out.push((uut.out_data.val().index() as u8, uut.out_last.val()));
            }
            let readies = [uut.host_ready.val(), uut.arp_ready.val()];
            assert!(readies.iter().filter(|&&r| r).count() <= 1);
            for k in 0..2 {
                if readies[k] {
                    pos[k] += 1;
                    if pos[k] == len(k) {
                        pos[k] = 0;
                        frames_left[k] -= 1;
                    }
                }
            }
            crate::tick!(uut);
        }
        let order: Vec<u8> = out.iter().filter(|o| o.1).map(|o| o.0).collect();
        assert_eq!(order, vec![1, 0, 1, 0, 1, 0]);
        assert_eq!(out.len(), 3 * (1 + 2));
    }
}
