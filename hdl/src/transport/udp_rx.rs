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
    /// `offset` is not 0: a flip-flop, so the checksum's clear is not a compare
    /// in front of its adder (the receive path's longest at 100 MHz).
    past_start: DFF<Bit>,
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
            past_start,
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
        self.sum.clear.next = !self.past_start.q.val();
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
            self.past_start.d.next = false;
            self.done_r.d.next = false;
            self.reason_r.d.next = 0.into();
        }
        if self.valid.val() & self.l4.val() {
            self.prev.d.next = self.data.val();
            if self.off.val() != 2047 {
                self.offset.d.next = self.off.val() + 1;
                self.past_start.d.next = true;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::internet::checksum::ones_sum;

    fn pseudo(len: usize) -> Vec<u8> {
        let mut p = vec![10, 0, 0, 7, 192, 168, 1, 10, 0, 17];
        p.extend_from_slice(&(len as u16).to_be_bytes());
        p
    }

    fn datagram(payload: &[u8]) -> Vec<u8> {
        let len = 8 + payload.len();
        let mut d = vec![0x30, 0x39, 0x00, 0x35, (len >> 8) as u8, len as u8, 0, 0];
        d.extend_from_slice(payload);
        let mut all = pseudo(len);
        all.extend_from_slice(&d);
        let mut csum = !ones_sum(&all);
        if csum == 0 {
            csum = 0xFFFF;
        }
        d[6..8].copy_from_slice(&csum.to_be_bytes());
        d
    }

    struct Run {
        uut: UdpRx,
        body: Vec<usize>,
    }

    /// 34 header beats (not l4), the datagram as l4, then `pad` padding beats.
    fn receive_with(d: &[u8], l4_len: usize, protocol: u8, pad: usize) -> Run {
        let mut uut = UdpRx::default();
        uut.connect_all();
        uut.l4_parse.next = true;
        uut.protocol.next = (protocol as u64).into();
        uut.l4_len.next = (l4_len as u64).into();
        uut.pseudo_sum.next = (ones_sum(&pseudo(l4_len)) as u64).into();
        let mut beats: Vec<(u8, bool)> = (0..34).map(|i| (i as u8, false)).collect();
        beats.extend(d.iter().map(|&b| (b, true)));
        beats.extend((0..pad).map(|_| (0xEE, false)));
        let n = beats.len();
        let mut body = vec![];
        let mut k = 0;
        for i in 0..n + 4 {
            uut.valid.next = i < n;
            uut.data.next = (beats.get(i).map_or(0, |b| b.0) as u64).into();
            uut.l4.next = beats.get(i).is_some_and(|b| b.1);
            uut.last.next = i + 1 == n;
            crate::tick!(uut);
            if uut.out_valid.val() {
                assert_eq!(uut.out_data.val().index() as u8, beats[k].0);
                assert_eq!(uut.out_last.val(), k + 1 == n);
                if uut.body.val() {
                    body.push(k - 34);
                }
                k += 1;
            }
        }
        Run { uut, body }
    }

    fn receive(d: &[u8]) -> Run {
        receive_with(d, d.len(), 17, 0)
    }

    #[test]
    fn fields_and_body() {
        let payload: Vec<u8> = (0..11).map(|i| i * 5 + 1).collect();
        let r = receive(&datagram(&payload));
        let u = &r.uut;
        assert_eq!(u.src_port.val().index(), 12345);
        assert_eq!(u.dst_port.val().index(), 53);
        assert_eq!(u.length.val().index(), 19);
        assert!(u.checksum_ok.val());
        assert!(u.done.val());
        assert_eq!(u.reason.val().index(), 0);
        assert_eq!(r.body, (8..19).collect::<Vec<_>>());
        // Padding after it (not l4) is neither body nor summed.
        let r = receive_with(&datagram(&payload), 19, 17, 27);
        assert_eq!(r.uut.reason.val().index(), 0);
        assert_eq!(r.body, (8..19).collect::<Vec<_>>());
        // An empty datagram.
        let r = receive(&datagram(&[]));
        assert_eq!(r.uut.reason.val().index(), 0);
        assert!(r.body.is_empty());
    }

    #[test]
    fn zero_checksum_passes() {
        let mut d = datagram(&[1, 2, 3, 4, 5]);
        d[6..8].copy_from_slice(&[0, 0]);
        d[10] ^= 0x55; // would be wrong if it were checked
        let r = receive(&d);
        assert!(r.uut.checksum_ok.val());
        assert_eq!(r.uut.reason.val().index(), 0);
    }

    #[test]
    fn a_computed_zero_sent_as_ffff_passes() {
        // Choose the last two payload bytes so the datagram's sum is 0xFFFF: its
        // checksum computes to 0 and is sent as 0xFFFF (RFC 768).
        let mut d = datagram(&[1, 2, 3, 4, 0, 0]);
        d[6..8].copy_from_slice(&[0, 0]);
        let mut all = pseudo(d.len());
        all.extend_from_slice(&d);
        let fill = !ones_sum(&all);
        d[12..14].copy_from_slice(&fill.to_be_bytes());
        let mut all = pseudo(d.len());
        all.extend_from_slice(&d);
        assert_eq!(ones_sum(&all), 0xFFFF);
        d[6..8].copy_from_slice(&[0xFF, 0xFF]);
        let r = receive(&d);
        assert!(r.uut.checksum_ok.val());
        assert_eq!(r.uut.reason.val().index(), 0);
    }

    #[test]
    fn bad_checksum() {
        let good = datagram(&[1, 2, 3, 4, 5, 6, 7]);
        for at in [0, 3, 7, 8, 14] {
            let mut bad = good.clone();
            bad[at] ^= 0x20;
            let r = receive(&bad);
            assert!(!r.uut.checksum_ok.val());
            assert_eq!(r.uut.reason.val().index(), 18, "byte {at}");
        }
    }

    #[test]
    fn length_mismatch() {
        // The UDP length says 7 bytes of payload; the IP payload carries 8.
        let mut d = datagram(&[1, 2, 3, 4, 5, 6, 7, 8]);
        d[5] -= 1;
        assert_eq!(receive(&d).uut.reason.val().index(), 17);
        // Longer than the IP payload.
        let mut d = datagram(&[1, 2, 3, 4]);
        d[5] += 1;
        assert_eq!(receive(&d).uut.reason.val().index(), 17);
        // Below the header, with l4_len agreeing.
        let mut d = datagram(&[]);
        d[5] = 7;
        let r = receive_with(&d[..7], 7, 17, 0);
        assert_eq!(r.uut.reason.val().index(), 17);
        assert!(!r.uut.done.val());
        // udp_length wins over a bad checksum.
        let mut d = datagram(&[1, 2, 3]);
        d[5] += 2;
        d[9] ^= 1;
        assert_eq!(receive(&d).uut.reason.val().index(), 17);
    }

    #[test]
    fn other_protocols_are_left_alone() {
        let mut d = datagram(&[1, 2, 3]);
        d[5] += 2;
        let r = receive_with(&d, d.len(), 6, 0);
        assert_eq!(r.uut.reason.val().index(), 0);
        assert!(r.body.is_empty());
    }
}
