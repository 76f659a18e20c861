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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::internet::checksum::ones_sum;

    fn echo(payload: &[u8]) -> Vec<u8> {
        let mut m = vec![8, 0, 0, 0, 0x12, 0x34, 0x00, 0x07];
        m.extend_from_slice(payload);
        let csum = !ones_sum(&m);
        m[2..4].copy_from_slice(&csum.to_be_bytes());
        m
    }

    /// 34 header beats (not l4), the message as l4, then `pad` padding beats.
    fn receive_with(m: &[u8], protocol: u8, l4_parse: bool, pad: usize) -> IcmpRx {
        let mut uut = IcmpRx::default();
        uut.connect_all();
        uut.l4_parse.next = l4_parse;
        uut.protocol.next = (protocol as u64).into();
        let mut beats: Vec<(u8, bool)> = (0..34).map(|i| (i as u8, false)).collect();
        beats.extend(m.iter().map(|&b| (b, true)));
        beats.extend((0..pad).map(|_| (0xEE, false)));
        let n = beats.len();
        for i in 0..n + 4 {
            uut.valid.next = i < n;
            uut.data.next = (beats.get(i).map_or(0, |b| b.0) as u64).into();
            uut.l4.next = beats.get(i).is_some_and(|b| b.1);
            uut.last.next = i + 1 == n;
            crate::tick!(uut);
        }
        uut
    }

    fn receive(m: &[u8]) -> IcmpRx {
        receive_with(m, 1, true, 0)
    }

    #[test]
    fn echo_request_fields() {
        let payload: Vec<u8> = (0..56).collect();
        let u = receive(&echo(&payload));
        assert_eq!(u.icmp_type.val().index(), 8);
        assert_eq!(u.code.val().index(), 0);
        assert_eq!(u.identifier.val().index(), 0x1234);
        assert_eq!(u.sequence.val().index(), 7);
        assert!(u.checksum_ok.val());
        assert!(u.done.val());
        assert_eq!(u.reason.val().index(), 0);
        // Odd length, then padding that is not l4.
        let u = receive_with(&echo(&[9, 9, 9]), 1, true, 7);
        assert_eq!(u.reason.val().index(), 0);
        let mut m = echo(&[]);
        m[0] = 3;
        m[1] = 4;
        m[2..4].copy_from_slice(&(!ones_sum(&[3, 4, 0, 0, 0x12, 0x34, 0, 7])).to_be_bytes());
        let u = receive(&m);
        assert_eq!((u.icmp_type.val().index(), u.code.val().index()), (3, 4));
        assert_eq!(u.reason.val().index(), 0);
    }

    #[test]
    fn bad_checksum() {
        let good = echo(&[1, 2, 3, 4, 5]);
        for at in [0, 3, 6, 12] {
            let mut bad = good.clone();
            bad[at] ^= 0x80;
            let u = receive(&bad);
            assert!(!u.checksum_ok.val());
            assert_eq!(u.reason.val().index(), 20, "byte {at}");
        }
    }

    #[test]
    fn short_message() {
        let m = echo(&[]);
        let u = receive(&m[..7]);
        assert!(!u.done.val());
        assert_eq!(u.reason.val().index(), 19);
        assert_eq!(receive(&m[..1]).reason.val().index(), 19);
        // Exactly the header is enough.
        assert_eq!(receive(&m).reason.val().index(), 0);
    }

    #[test]
    fn not_icmp_or_not_parsed_is_left_alone() {
        let mut bad = echo(&[1, 2]);
        bad[9] ^= 1;
        assert_eq!(receive_with(&bad, 17, true, 0).reason.val().index(), 0);
        assert_eq!(receive_with(&bad, 1, false, 0).reason.val().index(), 0);
        assert_eq!(receive_with(&bad[..5], 6, true, 0).reason.val().index(), 0);
    }
}
