//! TCP transmit (RFC 9293 §3.1): wraps a staged request's options+payload in a TCP
//! header and offers the segment as a frame source (ethertype 0x0800, wrapped in IPv4,
//! protocol 6).
//!
//! Checksum: as [`TxStage`](super::tx_stage::TxStage) writes a request's descriptor
//! words, in whatever order they come, on its `sum_*` bus, this block adds to the
//! payload sum what remains: the pseudo-header (our IP, destination IP, protocol, TCP
//! length) and the header words (ports, seq, ack, data offset and flags, window; the
//! urgent pointer is zero). One 16-bit add per clock ([`OnesWordSum`]), restarted by
//! `sum_first`; `checksum` is final two clocks after the last word, where the stage
//! stores it in the descriptor.
//!
//! Sending: `valid` rises two clocks after `req_valid`, with the descriptor (`dst_*`,
//! `l4_len` = 20 + options + payload); then 20 header bytes (data offset from
//! `req_options_len`, flags NS..FIN from `req_flags`), then the staged bytes, one per
//! clock as `ready` allows, through a two-entry skid buffer ([`StreamSkid`]: `ready`
//! reaches no further than it). Header words come from the stage's descriptor port;
//! `req_done` pulses as the last byte enters the buffer: the descriptor holds until the
//! arbiter has taken the first byte, which a segment of at least 20 bytes ensures.

use crate::board::stream_skid::StreamSkid;
use crate::internet::word_sum::OnesWordSum;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct TcpTx {
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
    pub req_options_len: Signal<In, Bits<6>>,
    pub req_flags: Signal<In, Bits<9>>,
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
    armed: DFF<Bit>,
    l4_len_r: DFF<Bits<16>>,
    /// Header byte 0..19; then the body.
    index: DFF<Bits<5>>,
    in_body: DFF<Bit>,
    addend: Signal<Local, Bits<16>>,
    addend_r: DFF<Bits<16>>,
    step_r: DFF<Bit>,
    clear_r: DFF<Bit>,
    data_offset: Signal<Local, Bits<4>>,
    take: Signal<Local, Bit>,
    index_next: Signal<Local, Bits<5>>,
    header_word: Signal<Local, Bits<4>>,
    empty: DFF<Bit>,
    ipv4: Constant<Bits<16>>,
}

impl Default for TcpTx {
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
            req_options_len: Default::default(),
            req_flags: Default::default(),
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
            armed: Default::default(),
            l4_len_r: Default::default(),
            index: Default::default(),
            in_body: Default::default(),
            addend: Default::default(),
            addend_r: Default::default(),
            step_r: Default::default(),
            clear_r: Default::default(),
            data_offset: Default::default(),
            take: Default::default(),
            index_next: Default::default(),
            header_word: Default::default(),
            empty: Default::default(),
            ipv4: Constant::new(0x0800.into()),
        }
    }
}

impl Logic for TcpTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, armed, l4_len_r, index, in_body, addend_r, step_r, clear_r, empty);
        // Checksum: the stage's words, with the pseudo-header in the slots it does not sum.
        self.sum.clock.next = self.clock.val();
        // The addend is chosen one clock and added the next: the index decode and the
        // 16-bit add are not one path.
        self.step_r.d.next = self.sum_step.val();
        self.clear_r.d.next = self.sum_first.val();
        self.sum.add.next = self.step_r.q.val();
        self.sum.clear.next = self.clear_r.q.val();
        self.addend.next = self.sum_word.val();
        match self.sum_index.val().index() {
            0 => self.addend.next = self.our_ip.val().get_bits::<16>(16),
            1 => self.addend.next = self.our_ip.val().get_bits::<16>(0),
            2 => self.addend.next = 6.into(),
            6 => self.addend.next = 20.into(), // TCP length = 20 + word 5
            7 => {
                // Data offset and flags, from {is_udp, options_len, flags}.
                self.addend.next = ((bit_cast::<16, 4>(self.sum_word.val().get_bits::<4>(11)) + 5)
                    << 12)
                    | bit_cast::<16, 9>(self.sum_word.val().get_bits::<9>(0));
            }
            16 => self.addend.next = 0.into(),
            17 => self.addend.next = 0.into(),
            _ => {}
        }
        self.addend_r.d.next = self.addend.val();
        self.sum.word.next = self.addend_r.q.val();
        self.checksum.next = !self.sum.sum.val();
        // Sending.
        self.l4_len_r.d.next = bit_cast::<16, 11>(self.req_length.val()) + 20;
        // The segment leaves through a skid buffer: `take` sees its register, not the
        // arbiter's ready.
        self.outbuf.clock.next = self.clock.val();
        self.outbuf.valid.next = self.req_valid.val() & self.armed.q.val();
        self.take.next = self.req_valid.val() & self.armed.q.val() & self.outbuf.ready.val();
        // Registered (settled by the time `valid` rises): keeps the length compare off
        // the `last` path into the arbiter and MacTx.
        self.empty.d.next = self.req_length.val() == 0;
        self.data_offset.next = bit_cast::<4, 4>(self.req_options_len.val().get_bits::<4>(2)) + 5;
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
            // Header word index/2 from the descriptor (one clock ahead), or made here.
            self.byte.next = self.word.val().get_bits::<8>(8);
            if self.index.q.val().get_bit(0) {
                self.byte.next = self.word.val().get_bits::<8>(0);
            }
            if self.index.q.val() == 12 {
                self.byte.next = (bit_cast::<8, 4>(self.data_offset.val()) << 4)
                    | bit_cast::<8, 1>(self.req_flags.val().get_bit(8).into());
            }
            if self.index.q.val() == 13 {
                self.byte.next = self.req_flags.val().get_bits::<8>(0);
            }
            if self.index.q.val() >= 18 {
                self.byte.next = 0.into(); // urgent pointer
            }
            self.byte_last.next = (self.index.q.val() == 19) & self.empty.q.val();
            if self.take.val() {
                self.index_next.next = self.index.q.val() + 1;
                if self.index.q.val() == 19 {
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
        // Descriptor words 8-13 are ports, seq, ack; 14 the window, 15 the checksum.
        self.header_word.next = bit_cast::<4, 4>(self.index_next.val().get_bits::<4>(1)) + 8;
        if self.index_next.val().get_bits::<4>(1) == 7 {
            self.header_word.next = 14.into();
        }
        if self.index_next.val().get_bits::<4>(1) == 8 {
            self.header_word.next = 15.into();
        }
        self.word_index.next = self.header_word.val();
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
        self.protocol.next = 6.into();
        self.l4_len.next = self.l4_len_r.q.val();
        self.armed.d.next = self.req_valid.val() & !self.req_done.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::internet::checksum::ones_sum;

    /// The checksum over the stage's sum bus equals RFC 1071's over the pseudo-header
    /// and the segment as it will be sent.
    #[test]
    fn checksum_covers_pseudo_header_header_and_payload() {
        let mut uut = TcpTx::default();
        uut.connect_all();
        uut.our_ip.next = 0x0A00_0002.into();
        let options = [2u8, 4, 5, 0xB4, 1, 1, 4, 2];
        let payload = [0xFFu8, 0xFE, 0x01, 0x80, 0x7F];
        let body: Vec<u8> = options.iter().chain(&payload).copied().collect();
        let flags = 0x1D3u16;
        // Descriptor words as TxStage writes them, the payload sum at 15, zeros after.
        let mut bus: Vec<u16> = vec![
            0x0200,
            0x0000,
            0x0001,
            0x0A00,
            0x0001,
            body.len() as u16,
            0x7A01,
        ];
        bus.push((options.len() as u16) << 9 | flags);
        bus.extend([
            443,
            51000,
            0x1234,
            0x5678,
            0x9ABC,
            0xDEF0,
            0x7210,
            ones_sum(&body),
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
        let len = 20 + body.len() as u16;
        let mut seg = vec![10, 0, 0, 2, 10, 0, 0, 1, 0, 6];
        seg.extend(len.to_be_bytes());
        seg.extend([
            0x01, 0xBB, 0xC7, 0x38, 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0,
        ]);
        seg.extend([
            ((5 + options.len() / 4) << 4) as u8 | (flags >> 8) as u8,
            flags as u8,
        ]);
        seg.extend([0x72, 0x10, 0, 0, 0, 0]);
        seg.extend(&body);
        assert_eq!(uut.checksum.val().index() as u16, !ones_sum(&seg));
    }
}
