//! IPv4 transmit (RFC 791): wraps a frame source's stream in a 20-byte IPv4 header
//! when its `wrap_ip` says so; other streams (ARP) pass through untouched.
//!
//! Header: version/IHL 0x45, TOS 0, total length = `l4_len` + 20, identification from
//! a counter that moves on with every wrapped packet, DF set, TTL 64, `protocol`,
//! header checksum, source `our_ip`, destination `dst_ip`. The checksum is summed one
//! word per clock ([`OnesWordSum`], 11 clocks) while the first header bytes go out;
//! byte 10 waits for it, which never stalls behind `MacTx`: it asks for the first L3
//! byte 22 clocks after a frame's start.
//!
//! A frame starts one clock after `valid` rises (the length is latched then); the
//! descriptor toward `MacTx` (`out_dst_mac_*`, `out_ethertype`) is the source's, which
//! it holds until its last byte is taken. The output goes through a two-entry skid
//! buffer ([`StreamSkid`]): `ready` and `out_*` are registers, so `MacTx`'s ready and
//! the arbiter's data meet here, not in one path.

use crate::board::stream_skid::StreamSkid;
use crate::internet::word_sum::OnesWordSum;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct Ipv4Tx {
    pub clock: Signal<In, Clock>,
    pub our_ip: Signal<In, Bits<32>>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    pub ready: Signal<Out, Bit>,
    pub dst_mac_hi: Signal<In, Bits<16>>,
    pub dst_mac_mid: Signal<In, Bits<16>>,
    pub dst_mac_lo: Signal<In, Bits<16>>,
    pub ethertype: Signal<In, Bits<16>>,
    pub wrap_ip: Signal<In, Bit>,
    pub dst_ip: Signal<In, Bits<32>>,
    pub protocol: Signal<In, Bits<8>>,
    pub l4_len: Signal<In, Bits<16>>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_last: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_dst_mac_hi: Signal<Out, Bits<16>>,
    pub out_dst_mac_mid: Signal<Out, Bits<16>>,
    pub out_dst_mac_lo: Signal<Out, Bits<16>>,
    pub out_ethertype: Signal<Out, Bits<16>>,
    sum: OnesWordSum,
    pub outbuf: StreamSkid,
    /// Room in the output buffer.
    room: Signal<Local, Bit>,
    /// Sending the header (byte `index`).
    in_header: DFF<Bit>,
    /// Passing the source's bytes through.
    in_body: DFF<Bit>,
    index: DFF<Bits<5>>,
    step: DFF<Bits<4>>,
    total_len: DFF<Bits<16>>,
    id: DFF<Bits<16>>,
    word_r: DFF<Bits<16>>,
    add_r: DFF<Bit>,
    clear_r: DFF<Bit>,
    checksum: Signal<Local, Bits<16>>,
    header_byte: Signal<Local, Bits<8>>,
}

impl Logic for Ipv4Tx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, in_header, in_body, index, step, total_len, id, word_r, add_r, clear_r
        );
        self.out_dst_mac_hi.next = self.dst_mac_hi.val();
        self.out_dst_mac_mid.next = self.dst_mac_mid.val();
        self.out_dst_mac_lo.next = self.dst_mac_lo.val();
        self.out_ethertype.next = self.ethertype.val();
        // Header checksum, a word per clock from the frame's start.
        self.sum.clock.next = self.clock.val();
        // The word is chosen one clock and added the next (decode and add are not one
        // path): the sum is final at step 10.
        self.clear_r.d.next = self.step.q.val() == 0;
        self.add_r.d.next = self.in_header.q.val() & (self.step.q.val() < 9);
        self.sum.clear.next = self.clear_r.q.val();
        self.sum.add.next = self.add_r.q.val();
        self.sum.word.next = self.word_r.q.val();
        if self.in_header.q.val() & (self.step.q.val() < 10) {
            self.step.d.next = self.step.q.val() + 1;
        }
        self.word_r.d.next = 0.into();
        match self.step.q.val().index() {
            // 0x4500 + 0x4000 (DF) + TTL 64 << 8 + protocol.
            0 => self.word_r.d.next = bit_cast::<16, 8>(self.protocol.val()) + 0xC500,
            1 => self.word_r.d.next = self.total_len.q.val(),
            2 => self.word_r.d.next = self.id.q.val(),
            3 => self.word_r.d.next = self.our_ip.val().get_bits::<16>(16),
            4 => self.word_r.d.next = self.our_ip.val().get_bits::<16>(0),
            5 => self.word_r.d.next = self.dst_ip.val().get_bits::<16>(16),
            6 => self.word_r.d.next = self.dst_ip.val().get_bits::<16>(0),
            _ => {}
        }
        self.checksum.next = !self.sum.sum.val();
        self.header_byte.next = 0.into();
        match self.index.q.val().index() {
            0 => self.header_byte.next = 0x45.into(),
            2 => self.header_byte.next = self.total_len.q.val().get_bits::<8>(8),
            3 => self.header_byte.next = self.total_len.q.val().get_bits::<8>(0),
            4 => self.header_byte.next = self.id.q.val().get_bits::<8>(8),
            5 => self.header_byte.next = self.id.q.val().get_bits::<8>(0),
            6 => self.header_byte.next = 0x40.into(),
            8 => self.header_byte.next = 64.into(),
            9 => self.header_byte.next = self.protocol.val(),
            10 => self.header_byte.next = self.checksum.val().get_bits::<8>(8),
            11 => self.header_byte.next = self.checksum.val().get_bits::<8>(0),
            12 => self.header_byte.next = self.our_ip.val().get_bits::<8>(24),
            13 => self.header_byte.next = self.our_ip.val().get_bits::<8>(16),
            14 => self.header_byte.next = self.our_ip.val().get_bits::<8>(8),
            15 => self.header_byte.next = self.our_ip.val().get_bits::<8>(0),
            16 => self.header_byte.next = self.dst_ip.val().get_bits::<8>(24),
            17 => self.header_byte.next = self.dst_ip.val().get_bits::<8>(16),
            18 => self.header_byte.next = self.dst_ip.val().get_bits::<8>(8),
            19 => self.header_byte.next = self.dst_ip.val().get_bits::<8>(0),
            _ => {}
        }
        self.outbuf.clock.next = self.clock.val();
        self.room.next = self.outbuf.ready.val();
        self.outbuf.data.next = self.data.val();
        self.outbuf.valid.next = false;
        self.outbuf.last.next = false;
        self.ready.next = false;
        if self.in_header.q.val() {
            self.outbuf.data.next = self.header_byte.val();
            self.outbuf.valid.next = (self.index.q.val() < 10) | (self.step.q.val() == 10);
            if self.outbuf.valid.val() & self.room.val() {
                self.index.d.next = self.index.q.val() + 1;
                if self.index.q.val() == 19 {
                    self.in_header.d.next = false;
                    self.in_body.d.next = true;
                    self.id.d.next = self.id.q.val() + 1;
                }
            }
        } else if self.in_body.q.val() {
            self.outbuf.valid.next = self.valid.val();
            self.outbuf.last.next = self.last.val();
            self.ready.next = self.room.val();
            if self.valid.val() & self.room.val() & self.last.val() {
                self.in_body.d.next = false;
            }
        } else if self.valid.val() {
            // A new frame: wrap it, or pass it through.
            self.total_len.d.next = self.l4_len.val() + 20;
            self.index.d.next = 0.into();
            self.step.d.next = 0.into();
            self.in_header.d.next = self.wrap_ip.val();
            self.in_body.d.next = !self.wrap_ip.val();
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
    use crate::internet::checksum::ones_sum;

    /// Offers `l4` as one stream with `wrap_ip`, the consumer ready on the clocks `ready`
    /// says; returns what came out and whether `last` marked its final byte.
    fn run(uut: &mut Ipv4Tx, l4: &[u8], wrap: bool, ready: impl Fn(usize) -> bool) -> Vec<u8> {
        uut.wrap_ip.next = wrap;
        uut.protocol.next = 17.into();
        uut.l4_len.next = (l4.len() as u64).into();
        uut.dst_ip.next = 0x0A00_0001.into();
        uut.our_ip.next = 0x0A00_0002.into();
        uut.ethertype.next = 0x0800.into();
        let (mut pos, mut out, mut lasts) = (0, vec![], vec![]);
        for clock in 0..l4.len() * 3 + 100 {
            uut.valid.next = pos < l4.len();
            uut.data.next = (l4.get(pos).copied().unwrap_or(0) as u64).into();
            uut.last.next = pos + 1 == l4.len();
            uut.out_ready.next = ready(clock);
            uut.clock.next = false.into();
            assert!(simulate(uut, 200));
            if uut.out_valid.val() && ready(clock) {
                out.push(uut.out_data.val().index() as u8);
                lasts.push(uut.out_last.val());
            }
            if uut.valid.val() && uut.ready.val() {
                pos += 1;
            }
            crate::tick!(*uut);
        }
        assert_eq!(pos, l4.len());
        assert_eq!(
            lasts.iter().position(|&l| l),
            Some(out.len() - 1),
            "last on the final byte only"
        );
        out
    }

    #[test]
    fn wraps_in_a_checked_header_and_passes_arp_through() {
        let mut uut = Ipv4Tx::default();
        uut.connect_all();
        let l4: Vec<u8> = (0..37).map(|i| i * 3).collect();
        let mut ids = vec![];
        for (k, ready) in [|_: usize| true, |c: usize| c % 3 != 1]
            .into_iter()
            .enumerate()
        {
            let out = run(&mut uut, &l4, true, ready);
            let (hdr, body) = out.split_at(20);
            assert_eq!(body, &l4[..], "pass {k}");
            assert_eq!(ones_sum(hdr), 0xFFFF, "header checksum");
            assert_eq!(hdr[..4], [0x45, 0, 0, 57]);
            assert_eq!(hdr[6..10], [0x40, 0, 64, 17]);
            assert_eq!(hdr[12..20], [10, 0, 0, 2, 10, 0, 0, 1]);
            ids.push(u16::from_be_bytes([hdr[4], hdr[5]]));
        }
        assert_eq!(ids[1], ids[0] + 1);
        // Not wrapped: the bytes as they are.
        assert_eq!(run(&mut uut, &l4, false, |_| true), l4);
    }
}
