//! UDP transmit (RFC 768): wraps a staged request's payload in a UDP header and offers
//! the datagram as a frame source (ethertype 0x0800, wrapped in IPv4, protocol 17).
//!
//! Checksum: as in [`TcpTx`](super::tcp_tx::TcpTx), added one word per clock while the
//! stage writes the descriptor: the pseudo-header (our IP, destination IP, 17, UDP
//! length), the header (ports, length) and the payload sum. A computed zero is sent as
//! 0xFFFF (zero means "no checksum").
//!
//! Sending: `valid` two clocks after `req_valid`; 8 header bytes (ports from descriptor
//! words 8-9, length, checksum from word 15), then the payload, through a two-entry
//! skid buffer as in `TcpTx`; `req_done` as the last byte enters it.

use crate::board::stream_skid::StreamSkid;
use crate::internet::word_sum::OnesWordSum;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct UdpTx {
    pub clock: Signal<In, Clock>,
    pub our_ip: Signal<In, Bits<32>>,
    /// The request's first word: its sum starts afresh.
    pub sum_first: Signal<In, Bit>,
    pub sum_step: Signal<In, Bit>,
    pub sum_index: Signal<In, Bits<5>>,
    pub sum_word: Signal<In, Bits<16>>,
    pub checksum: Signal<Out, Bits<16>>,
    pub req_valid: Signal<In, Bit>,
    pub req_dst_mac_hi: Signal<In, Bits<16>>,
    pub req_dst_mac_mid: Signal<In, Bits<16>>,
    pub req_dst_mac_lo: Signal<In, Bits<16>>,
    pub req_dst_ip: Signal<In, Bits<32>>,
    pub req_length: Signal<In, Bits<11>>,
    pub word_index: Signal<Out, Bits<4>>,
    pub word: Signal<In, Bits<16>>,
    pub body_data: Signal<In, Bits<8>>,
    pub body_last: Signal<In, Bit>,
    pub body_ready: Signal<Out, Bit>,
    pub req_done: Signal<Out, Bit>,
    pub data: Signal<Out, Bits<8>>,
    pub valid: Signal<Out, Bit>,
    pub last: Signal<Out, Bit>,
    pub ready: Signal<In, Bit>,
    pub dst_mac_hi: Signal<Out, Bits<16>>,
    pub dst_mac_mid: Signal<Out, Bits<16>>,
    pub dst_mac_lo: Signal<Out, Bits<16>>,
    pub ethertype: Signal<Out, Bits<16>>,
    pub wrap_ip: Signal<Out, Bit>,
    pub dst_ip: Signal<Out, Bits<32>>,
    pub protocol: Signal<Out, Bits<8>>,
    pub l4_len: Signal<Out, Bits<16>>,
    sum: OnesWordSum,
    pub outbuf: StreamSkid,
    byte: Signal<Local, Bits<8>>,
    byte_last: Signal<Local, Bit>,
    /// The payload length (descriptor word 5), summed a second time as the header's.
    length_word: DFF<Bits<16>>,
    armed: DFF<Bit>,
    l4_len_r: DFF<Bits<16>>,
    /// Header byte 0..7; then the body.
    index: DFF<Bits<3>>,
    in_body: DFF<Bit>,
    addend: Signal<Local, Bits<16>>,
    addend_r: DFF<Bits<16>>,
    step_r: DFF<Bit>,
    clear_r: DFF<Bit>,
    take: Signal<Local, Bit>,
    index_next: Signal<Local, Bits<3>>,
    empty: DFF<Bit>,
    ipv4: Constant<Bits<16>>,
}

impl Default for UdpTx {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            our_ip: Default::default(),
            sum_first: Default::default(),
            sum_step: Default::default(),
            sum_index: Default::default(),
            sum_word: Default::default(),
            checksum: Default::default(),
            req_valid: Default::default(),
            req_dst_mac_hi: Default::default(),
            req_dst_mac_mid: Default::default(),
            req_dst_mac_lo: Default::default(),
            req_dst_ip: Default::default(),
            req_length: Default::default(),
            word_index: Default::default(),
            word: Default::default(),
            body_data: Default::default(),
            body_last: Default::default(),
            body_ready: Default::default(),
            req_done: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            last: Default::default(),
            ready: Default::default(),
            dst_mac_hi: Default::default(),
            dst_mac_mid: Default::default(),
            dst_mac_lo: Default::default(),
            ethertype: Default::default(),
            wrap_ip: Default::default(),
            dst_ip: Default::default(),
            protocol: Default::default(),
            l4_len: Default::default(),
            sum: Default::default(),
            outbuf: Default::default(),
            byte: Default::default(),
            byte_last: Default::default(),
            length_word: Default::default(),
            armed: Default::default(),
            l4_len_r: Default::default(),
            index: Default::default(),
            in_body: Default::default(),
            addend: Default::default(),
            addend_r: Default::default(),
            step_r: Default::default(),
            clear_r: Default::default(),
            take: Default::default(),
            index_next: Default::default(),
            empty: Default::default(),
            ipv4: Constant::new(0x0800.into()),
        }
    }
}

impl Logic for UdpTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            length_word,
            armed,
            l4_len_r,
            index,
            in_body,
            addend_r,
            step_r,
            clear_r,
            empty
        );
        // Checksum: ports and payload sum from the stage; pseudo-header and length here.
        self.sum.clock.next = self.clock.val();
        // The addend is chosen one clock and added the next: the index decode and the
        // 16-bit add are not one path.
        self.step_r.d.next = self.sum_step.val();
        self.clear_r.d.next = self.sum_first.val();
        self.sum.add.next = self.step_r.q.val();
        self.sum.clear.next = self.clear_r.q.val();
        self.addend.next = 0.into();
        match self.sum_index.val().index() {
            0 => self.addend.next = self.our_ip.val().get_bits::<16>(16),
            1 => self.addend.next = self.our_ip.val().get_bits::<16>(0),
            2 => self.addend.next = 17.into(),
            3 => self.addend.next = self.sum_word.val(),
            4 => self.addend.next = self.sum_word.val(),
            5 => self.addend.next = self.sum_word.val(),
            6 => self.addend.next = 16.into(), // twice the 8-byte header
            7 => self.addend.next = self.length_word.q.val(),
            8 => self.addend.next = self.sum_word.val(),
            9 => self.addend.next = self.sum_word.val(),
            15 => self.addend.next = self.sum_word.val(),
            _ => {}
        }
        if self.sum_index.val() == 5 {
            self.length_word.d.next = self.sum_word.val();
        }
        self.addend_r.d.next = self.addend.val();
        self.sum.word.next = self.addend_r.q.val();
        self.checksum.next = !self.sum.sum.val();
        if self.sum.sum.val() == 0xFFFF {
            self.checksum.next = 0xFFFF.into();
        }
        // Sending.
        self.l4_len_r.d.next = bit_cast::<16, 11>(self.req_length.val()) + 8;
        // The segment leaves through a skid buffer: `take` sees its register, not the
        // arbiter's ready.
        self.outbuf.clock.next = self.clock.val();
        self.outbuf.valid.next = self.req_valid.val() & self.armed.q.val();
        self.take.next = self.req_valid.val() & self.armed.q.val() & self.outbuf.ready.val();
        // Registered (settled by the time `valid` rises): keeps the length compare off
        // the `last` path into the arbiter and MacTx.
        self.empty.d.next = self.req_length.val() == 0;
        self.req_done.next = false;
        self.body_ready.next = false;
        self.index_next.next = self.index.q.val();
        if self.in_body.q.val() {
            self.byte.next = self.body_data.val();
            self.byte_last.next = self.body_last.val();
            self.body_ready.next = self.take.val();
            if self.take.val() & self.body_last.val() {
                self.req_done.next = true;
            }
        } else {
            self.byte.next = self.word.val().get_bits::<8>(8);
            if self.index.q.val().get_bit(0) {
                self.byte.next = self.word.val().get_bits::<8>(0);
            }
            if self.index.q.val() == 4 {
                self.byte.next = self.l4_len_r.q.val().get_bits::<8>(8);
            }
            if self.index.q.val() == 5 {
                self.byte.next = self.l4_len_r.q.val().get_bits::<8>(0);
            }
            self.byte_last.next = (self.index.q.val() == 7) & self.empty.q.val();
            if self.take.val() {
                self.index_next.next = self.index.q.val() + 1;
                if self.index.q.val() == 7 {
                    self.in_body.d.next = true;
                    if self.empty.q.val() {
                        self.req_done.next = true;
                    }
                }
            }
        }
        self.index.d.next = self.index_next.val();
        if self.req_done.val() {
            self.index.d.next = 0.into();
            self.in_body.d.next = false;
        }
        // Descriptor word 8 + header word (ports), 15 for the checksum (header word 3).
        self.word_index.next = bit_cast::<4, 2>(self.index_next.val().get_bits::<2>(1)) + 8;
        if self.index_next.val().get_bits::<2>(1) == 3 {
            self.word_index.next = 15.into();
        }
        if self.req_done.val() {
            self.word_index.next = 8.into();
        }
        self.outbuf.data.next = self.byte.val();
        self.outbuf.last.next = self.byte_last.val();
        self.outbuf.out_ready.next = self.ready.val();
        self.data.next = self.outbuf.out_data.val();
        self.valid.next = self.outbuf.out_valid.val();
        self.last.next = self.outbuf.out_last.val();
        self.dst_mac_hi.next = self.req_dst_mac_hi.val();
        self.dst_mac_mid.next = self.req_dst_mac_mid.val();
        self.dst_mac_lo.next = self.req_dst_mac_lo.val();
        self.ethertype.next = self.ipv4.val();
        self.wrap_ip.next = true;
        self.dst_ip.next = self.req_dst_ip.val();
        self.protocol.next = 17.into();
        self.l4_len.next = self.l4_len_r.q.val();
        self.armed.d.next = self.req_valid.val() & !self.req_done.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::internet::checksum::ones_sum;

    fn checksum(payload: &[u8]) -> u16 {
        let mut uut = UdpTx::default();
        uut.connect_all();
        uut.our_ip.next = 0x0A00_0002.into();
        // Descriptor words as TxStage writes them (seq, ack, window are not UDP's: junk).
        let mut bus: Vec<u16> = vec![
            0x0200,
            0,
            1,
            0x0A00,
            0x0001,
            payload.len() as u16,
            0x7A01,
            0x8000,
        ];
        bus.extend([
            53,
            5353,
            0xDEAD,
            0xBEEF,
            0xDEAD,
            0xBEEF,
            0x5555,
            ones_sum(payload),
            0,
            0,
        ]);
        // In the order TxStage offers them: the header words as the host's message
        // brings them (the tag first), then length, word 7, payload sum, two zeros.
        let order = [6, 0, 1, 2, 3, 4, 8, 9, 11, 10, 13, 12, 14, 5, 7, 15, 16, 17];
        for (k, &i) in order.iter().enumerate() {
            uut.sum_first.next = k == 0;
            uut.sum_step.next = true;
            uut.sum_index.next = (i as u64).into();
            uut.sum_word.next = (bus.get(i).copied().unwrap_or(0) as u64).into();
            crate::tick!(uut);
        }
        uut.sum_first.next = false;
        uut.sum_step.next = false;
        crate::tick!(uut);
        uut.checksum.val().index() as u16
    }

    fn expected(payload: &[u8], csum: u16) -> Vec<u8> {
        let len = (8 + payload.len()) as u16;
        let mut seg = vec![10, 0, 0, 2, 10, 0, 0, 1, 0, 17];
        seg.extend(len.to_be_bytes());
        seg.extend([0, 53, 0x14, 0xE9]);
        seg.extend(len.to_be_bytes());
        seg.extend(csum.to_be_bytes());
        seg.extend(payload);
        seg
    }

    #[test]
    fn checksum_covers_pseudo_header_header_and_payload_and_is_never_zero() {
        let payload = [1u8, 2, 3, 4, 5];
        let c = checksum(&payload);
        assert_eq!(ones_sum(&expected(&payload, c)), 0xFFFF);
        // Two payload bytes chosen so the checksum computes to zero: sent as 0xFFFF.
        let mut p = vec![1u8, 2, 3, 4, 0, 0];
        let fill = !ones_sum(&expected(&p, 0));
        p[4..6].copy_from_slice(&fill.to_be_bytes());
        assert_eq!(ones_sum(&expected(&p, 0)), 0xFFFF);
        assert_eq!(checksum(&p), 0xFFFF);
    }
}
