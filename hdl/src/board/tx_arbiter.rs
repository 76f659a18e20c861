//! Round-robin arbiter among the three frame sources of the transmit path: host
//! segments (`host_*`, from `TransportTx`), ICMP echo replies (`echo_*`) and ARP
//! (`arp_*`), toward `Ipv4Tx`.
//!
//! Each source offers a stream (`data`, `valid`, `last`, `ready`) and the frame's
//! descriptor (`dst_mac_*`, `ethertype`, `wrap_ip`, `dst_ip`, `protocol`, `l4_len`),
//! held from its first `valid` until its last byte is taken. When no frame is in
//! progress the arbiter grants the first valid source after the one it granted last
//! (one clock), and passes that source through until its `last` is taken: a source
//! never waits more than two frames.
//!
//! Registered both ways: the stream leaves through a two-entry skid buffer
//! ([`StreamSkid`]) and a source's `ready` is made of this block's registers only; the
//! descriptor is copied into registers on the frame's first granted clock (so a source
//! need hold it only until then) and held until the next frame's.

use crate::board::stream_skid::StreamSkid;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct TxArbiter {
    pub clock: Signal<In, Clock>,
    pub host_data: Signal<In, Bits<8>>,
    pub host_valid: Signal<In, Bit>,
    pub host_last: Signal<In, Bit>,
    pub host_dst_mac_hi: Signal<In, Bits<16>>,
    pub host_dst_mac_mid: Signal<In, Bits<16>>,
    pub host_dst_mac_lo: Signal<In, Bits<16>>,
    pub host_ethertype: Signal<In, Bits<16>>,
    pub host_wrap_ip: Signal<In, Bit>,
    pub host_dst_ip: Signal<In, Bits<32>>,
    pub host_protocol: Signal<In, Bits<8>>,
    pub host_l4_len: Signal<In, Bits<16>>,
    pub host_ready: Signal<Out, Bit>,
    pub echo_data: Signal<In, Bits<8>>,
    pub echo_valid: Signal<In, Bit>,
    pub echo_last: Signal<In, Bit>,
    pub echo_dst_mac_hi: Signal<In, Bits<16>>,
    pub echo_dst_mac_mid: Signal<In, Bits<16>>,
    pub echo_dst_mac_lo: Signal<In, Bits<16>>,
    pub echo_ethertype: Signal<In, Bits<16>>,
    pub echo_wrap_ip: Signal<In, Bit>,
    pub echo_dst_ip: Signal<In, Bits<32>>,
    pub echo_protocol: Signal<In, Bits<8>>,
    pub echo_l4_len: Signal<In, Bits<16>>,
    pub echo_ready: Signal<Out, Bit>,
    pub arp_data: Signal<In, Bits<8>>,
    pub arp_valid: Signal<In, Bit>,
    pub arp_last: Signal<In, Bit>,
    pub arp_dst_mac_hi: Signal<In, Bits<16>>,
    pub arp_dst_mac_mid: Signal<In, Bits<16>>,
    pub arp_dst_mac_lo: Signal<In, Bits<16>>,
    pub arp_ethertype: Signal<In, Bits<16>>,
    pub arp_wrap_ip: Signal<In, Bit>,
    pub arp_dst_ip: Signal<In, Bits<32>>,
    pub arp_protocol: Signal<In, Bits<8>>,
    pub arp_l4_len: Signal<In, Bits<16>>,
    pub arp_ready: Signal<Out, Bit>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_last: Signal<Out, Bit>,
    pub out_dst_mac_hi: Signal<Out, Bits<16>>,
    pub out_dst_mac_mid: Signal<Out, Bits<16>>,
    pub out_dst_mac_lo: Signal<Out, Bits<16>>,
    pub out_ethertype: Signal<Out, Bits<16>>,
    pub out_wrap_ip: Signal<Out, Bit>,
    pub out_dst_ip: Signal<Out, Bits<32>>,
    pub out_protocol: Signal<Out, Bits<8>>,
    pub out_l4_len: Signal<Out, Bits<16>>,
    pub out_ready: Signal<In, Bit>,
    /// The granted source: 0 host, 1 echo, 2 ARP.
    grant: DFF<Bits<2>>,
    /// A granted frame is in progress.
    locked: DFF<Bit>,
    /// The granted frame's descriptor is in the registers.
    loaded: DFF<Bit>,
    pub outbuf: StreamSkid,
    dst_mac_hi: DFF<Bits<16>>,
    dst_mac_mid: DFF<Bits<16>>,
    dst_mac_lo: DFF<Bits<16>>,
    ethertype: DFF<Bits<16>>,
    wrap_ip: DFF<Bit>,
    dst_ip: DFF<Bits<32>>,
    protocol: DFF<Bits<8>>,
    l4_len: DFF<Bits<16>>,
    /// The granted source's stream.
    in_data: Signal<Local, Bits<8>>,
    in_valid: Signal<Local, Bit>,
    in_last: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
}

impl Logic for TxArbiter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            grant,
            locked,
            loaded,
            dst_mac_hi,
            dst_mac_mid,
            dst_mac_lo,
            ethertype,
            wrap_ip,
            dst_ip,
            protocol,
            l4_len
        );
        self.outbuf.clock.next = self.clock.val();
        // Only this block's registers: the skid buffer's room, the grant, the lock.
        self.take.next = self.locked.q.val() & self.outbuf.ready.val();
        self.host_ready.next = false;
        self.echo_ready.next = false;
        self.arp_ready.next = false;
        if self.grant.q.val() == 0 {
            self.in_data.next = self.host_data.val();
            self.in_valid.next = self.host_valid.val();
            self.in_last.next = self.host_last.val();
            self.host_ready.next = self.take.val();
        } else if self.grant.q.val() == 1 {
            self.in_data.next = self.echo_data.val();
            self.in_valid.next = self.echo_valid.val();
            self.in_last.next = self.echo_last.val();
            self.echo_ready.next = self.take.val();
        } else {
            self.in_data.next = self.arp_data.val();
            self.in_valid.next = self.arp_valid.val();
            self.in_last.next = self.arp_last.val();
            self.arp_ready.next = self.take.val();
        }
        if self.locked.q.val() & !self.loaded.q.val() {
            self.loaded.d.next = true;
            if self.grant.q.val() == 0 {
                self.dst_mac_hi.d.next = self.host_dst_mac_hi.val();
                self.dst_mac_mid.d.next = self.host_dst_mac_mid.val();
                self.dst_mac_lo.d.next = self.host_dst_mac_lo.val();
                self.ethertype.d.next = self.host_ethertype.val();
                self.wrap_ip.d.next = self.host_wrap_ip.val();
                self.dst_ip.d.next = self.host_dst_ip.val();
                self.protocol.d.next = self.host_protocol.val();
                self.l4_len.d.next = self.host_l4_len.val();
            } else if self.grant.q.val() == 1 {
                self.dst_mac_hi.d.next = self.echo_dst_mac_hi.val();
                self.dst_mac_mid.d.next = self.echo_dst_mac_mid.val();
                self.dst_mac_lo.d.next = self.echo_dst_mac_lo.val();
                self.ethertype.d.next = self.echo_ethertype.val();
                self.wrap_ip.d.next = self.echo_wrap_ip.val();
                self.dst_ip.d.next = self.echo_dst_ip.val();
                self.protocol.d.next = self.echo_protocol.val();
                self.l4_len.d.next = self.echo_l4_len.val();
            } else {
                self.dst_mac_hi.d.next = self.arp_dst_mac_hi.val();
                self.dst_mac_mid.d.next = self.arp_dst_mac_mid.val();
                self.dst_mac_lo.d.next = self.arp_dst_mac_lo.val();
                self.ethertype.d.next = self.arp_ethertype.val();
                self.wrap_ip.d.next = self.arp_wrap_ip.val();
                self.dst_ip.d.next = self.arp_dst_ip.val();
                self.protocol.d.next = self.arp_protocol.val();
                self.l4_len.d.next = self.arp_l4_len.val();
            }
        }
        self.outbuf.data.next = self.in_data.val();
        self.outbuf.valid.next = self.take.val() & self.in_valid.val();
        self.outbuf.last.next = self.in_last.val();
        if !self.locked.q.val() {
            // Round robin: look at the sources after the last granted one first.
            if self.grant.q.val() == 0 {
                if self.echo_valid.val() {
                    self.grant.d.next = 1.into();
                } else if self.arp_valid.val() {
                    self.grant.d.next = 2.into();
                }
            } else if self.grant.q.val() == 1 {
                if self.arp_valid.val() {
                    self.grant.d.next = 2.into();
                } else if self.host_valid.val() {
                    self.grant.d.next = 0.into();
                }
            } else {
                if self.host_valid.val() {
                    self.grant.d.next = 0.into();
                } else if self.echo_valid.val() {
                    self.grant.d.next = 1.into();
                }
            }
            self.locked.d.next =
                self.host_valid.val() | self.echo_valid.val() | self.arp_valid.val();
        } else if self.take.val() & self.in_valid.val() & self.in_last.val() {
            self.locked.d.next = false;
            self.loaded.d.next = false;
        }
        self.out_data.next = self.outbuf.out_data.val();
        self.out_valid.next = self.outbuf.out_valid.val();
        self.out_last.next = self.outbuf.out_last.val();
        self.outbuf.out_ready.next = self.out_ready.val();
        self.out_dst_mac_hi.next = self.dst_mac_hi.q.val();
        self.out_dst_mac_mid.next = self.dst_mac_mid.q.val();
        self.out_dst_mac_lo.next = self.dst_mac_lo.q.val();
        self.out_ethertype.next = self.ethertype.q.val();
        self.out_wrap_ip.next = self.wrap_ip.q.val();
        self.out_dst_ip.next = self.dst_ip.q.val();
        self.out_protocol.next = self.protocol.q.val();
        self.out_l4_len.next = self.l4_len.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three sources each with frames waiting (source k's frames are k+1 bytes long and
    /// carry k in every byte): the frames come out whole, in turn, each with its source's
    /// descriptor on its first byte.
    #[test]
    fn grants_in_turn_and_switches_only_after_last() {
        let mut uut = TxArbiter::default();
        uut.connect_all();
        let mut pos = [0usize; 3];
        let mut frames_left = [3usize, 3, 3];
        let mut out: Vec<(u8, bool)> = vec![];
        for clock in 0..200 {
            let len = |k: usize| k + 1;
            uut.host_valid.next = frames_left[0] > 0;
            uut.host_data.next = 0.into();
            uut.host_last.next = pos[0] + 1 == len(0);
            uut.host_l4_len.next = 100.into();
            uut.echo_valid.next = frames_left[1] > 0;
            uut.echo_data.next = 1.into();
            uut.echo_last.next = pos[1] + 1 == len(1);
            uut.echo_l4_len.next = 101.into();
            uut.arp_valid.next = frames_left[2] > 0;
            uut.arp_data.next = 2.into();
            uut.arp_last.next = pos[2] + 1 == len(2);
            uut.arp_l4_len.next = 102.into();
            uut.out_ready.next = clock % 4 != 3;
            uut.clock.next = false.into();
            assert!(simulate(&mut uut, 200));
            // The arbiter's outputs and readies are registers: they do not follow
            // `out_ready` or the sources within the clock.
            let before = (
                uut.host_ready.val(),
                uut.echo_ready.val(),
                uut.arp_ready.val(),
                uut.out_valid.val(),
            );
            uut.out_ready.next = !uut.out_ready.val();
            assert!(simulate(&mut uut, 200));
            uut.out_ready.next = clock % 4 != 3;
            assert!(simulate(&mut uut, 200));
            let after = (
                uut.host_ready.val(),
                uut.echo_ready.val(),
                uut.arp_ready.val(),
                uut.out_valid.val(),
            );
            assert_eq!(before, after);
            if uut.out_valid.val() && uut.out_ready.val() {
                let d = uut.out_data.val().index() as u8;
                if out.last().map_or(true, |o: &(u8, bool)| o.1) {
                    assert_eq!(
                        uut.out_l4_len.val().index(),
                        100 + d as usize,
                        "descriptor follows the grant"
                    );
                }
                out.push((d, uut.out_last.val()));
            }
            let readies = [
                uut.host_ready.val(),
                uut.echo_ready.val(),
                uut.arp_ready.val(),
            ];
            assert!(readies.iter().filter(|&&r| r).count() <= 1);
            for k in 0..3 {
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
        assert_eq!(order, vec![1, 2, 0, 1, 2, 0, 1, 2, 0]);
        assert_eq!(out.len(), 3 * (1 + 2 + 3));
    }
}
