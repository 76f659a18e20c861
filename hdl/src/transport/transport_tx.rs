//! TCP and UDP transmit, two cases of one block: wraps a staged request's bytes in a
//! TCP header (RFC 9293 §3.1; the bytes are options+payload) or a UDP header (RFC 768;
//! the payload) and offers the segment as a frame source for IPv4, protocol 6 or 17.
//! A third case adds nothing: an ICMP request's bytes are the whole message, checksum
//! included (the host computes it: ICMP has no pseudo-header), sent as protocol 1.
//!
//! Checksum: as [`TxStage`](super::tx_stage::TxStage) writes a request's descriptor
//! words, in whatever order they come, and each staged byte as a word of its own on
//! its `sum_*` bus, this block adds them up, with our IP in place of the destination
//! MAC's words (the pseudo-header's source address): its high half starts the sum at
//! `sum_first` (the tag, always a request's first word, not summed), its low half is
//! added with the tag. Ones'-complement addition does not care in which order, so what
//! depends on the kind comes after the length (word 5): word 7 (TCP's data offset and
//! flags; bit 11 says UDP, whose word 7 is not summed) and, at index 16, the
//! protocol's part the stage makes (TCP: 6 and the 20 header bytes in the TCP length;
//! UDP: 17 and the 8 header bytes twice, pseudo-header and header length; the stage
//! offers a UDP request's length doubled for the same reason). A UDP request writes no
//! seq, ack or window words (10-14), so they are not summed; urgent pointer and UDP's
//! checksum slot are zero. One 16-bit add per clock
//! ([`OnesWordSum`](crate::internet::word_sum::OnesWordSum), from our IP's high half at
//! `sum_first`; it adds a zero word when there is nothing to add, so its `add` is
//! always high and no choice sits in front of the word); `sum` is final two clocks after the last word, where the stage stores its
//! complement, the checksum, in the descriptor. A UDP checksum that computes to zero is
//! sent as 0xFFFF (zero means "no checksum"): the stage's last two words for UDP make
//! a zero sum come out +0, whose complement that is. An ICMP request's words are
//! summed as a TCP request's would be, and the checksum stored for it is never sent.
//!
//! Sending: `valid` rises two clocks after `req_valid`; the stream is the frame source's
//! (see [`Ipv4Tx`]): the kind (6, 17 or 1), the L4 length (header + staged bytes), the
//! destination IP and MAC, the IPv4 total length (the L4 length + 20) and the
//! destination IP again (IPv4's header bytes 2-3 and 16-19, which `Ipv4Tx` passes on
//! as they come rather than keep), then the header (TCP: 20 bytes; UDP: 8 bytes, the
//! length made here; ICMP: none), then the staged bytes, one per clock as `ready`
//! allows, through a two-entry skid buffer ([`StreamSkid`]: `ready` reaches no further
//! than it). The addresses and header words come from the stage's descriptor port as
//! they go out, not from registers: 3-4 the IP (twice), 0-2 the MAC, 8-9 ports, 10-13
//! seq and ack, 7 data offset and flags, 14 window, 15 the checksum. Stream byte
//! 19 + 2w is header word w's high byte, and every descriptor word starts on an odd
//! stream byte.
//! `req_done` pulses as the last byte enters the buffer; from the last byte made here
//! on the port reads word 6, so `word` is the request's tag the clock after it.
//!
//! [`Ipv4Tx`]: crate::internet::ipv4_tx::Ipv4Tx

use crate::board::stream_skid::StreamSkid;
use crate::internet::word_sum::OnesWordSum;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct TransportTx {
    pub clock: Signal<In, Clock>,
    pub our_ip: Signal<In, Bits<32>>,
    /// The request's first word: its sum starts afresh.
    pub sum_first: Signal<In, Bit>,
    pub sum_step: Signal<In, Bit>,
    pub sum_index: Signal<In, Bits<5>>,
    pub sum_word: Signal<In, Bits<16>>,
    /// The ones'-complement sum of the request on the bus (the stage stores its
    /// complement, the checksum).
    pub sum: Signal<Out, Bits<16>>,
    pub req_valid: Signal<In, Bit>,
    pub req_is_udp: Signal<In, Bit>,
    /// The bytes are a whole ICMP message: no header here (overrides `req_is_udp`).
    pub req_is_icmp: Signal<In, Bit>,
    /// The staged bytes less one (all ones when there are none).
    pub req_last_at: Signal<In, Bits<11>>,
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
    sum_unit: OnesWordSum,
    /// The bus word is summed as it is (not the MAC's words or the tag, nor UDP's word 7).
    word_in: Signal<Local, Bit>,
    pub outbuf: StreamSkid,
    byte: Signal<Local, Bits<8>>,
    byte_last: Signal<Local, Bit>,
    armed: DFF<Bit>,
    /// The L4 length, or around stream bytes 13 and 14 the IPv4 total length (the L4
    /// length + 20): one adder for both, its operand chosen by the index a clock
    /// before the byte is made.
    len_r: DFF<Bits<11>>,
    /// Stream byte: 0..18 the destination, 19..38 (TCP) or 19..26 (UDP) the header
    /// (ICMP: none); then the body.
    index: DFF<Bits<6>>,
    in_body: DFF<Bit>,
    addend: Signal<Local, Bits<16>>,
    addend_r: DFF<Bits<16>>,
    clear_r: DFF<Bit>,
    /// The header's length and one (the staged bytes' count is `req_last_at` + 1), and
    /// 20 more for the IPv4 total length.
    header_len: Signal<Local, Bits<11>>,
    header_end: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    index_next: Signal<Local, Bits<6>>,
    /// The descriptor word of the byte after `index`.
    next_word: Signal<Local, Bits<4>>,
    /// The descriptor word the port read last clock: `word` is its, the word of byte
    /// `index` (loaded every clock).
    word_at: DFF<Bits<4>>,
    empty: DFF<Bit>,
    /// Where the next clock's byte comes from (0 the descriptor word's low byte, 1 its
    /// high byte, 2 `made`, 3 the staged bytes), and the byte made here for it: chosen
    /// a clock ahead from the index and phase it will have, so the stage's block RAM
    /// read data passes one 4:1 choice on its way to the skid buffer, not the index
    /// decode (that was the board's critical path).
    pick: DFF<Bits<2>>,
    made: DFF<Bits<8>>,
    /// The index and phase the next clock has (`index`'s and `in_body`'s inputs but at
    /// the request's end, which starts them over).
    index_after: Signal<Local, Bits<6>>,
    body_after: Signal<Local, Bit>,
}

impl Default for TransportTx {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            our_ip: Default::default(),
            sum_first: Default::default(),
            sum_step: Default::default(),
            sum_index: Default::default(),
            sum_word: Default::default(),
            sum: Default::default(),
            req_valid: Default::default(),
            req_is_udp: Default::default(),
            req_is_icmp: Default::default(),
            req_last_at: Default::default(),
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
            sum_unit: Default::default(),
            word_in: Default::default(),
            outbuf: Default::default(),
            byte: Default::default(),
            byte_last: Default::default(),
            armed: Default::default(),
            len_r: Default::default(),
            index: Default::default(),
            in_body: Default::default(),
            addend: Default::default(),
            addend_r: Default::default(),
            clear_r: Default::default(),
            header_len: Default::default(),
            header_end: Default::default(),
            take: Default::default(),
            index_next: Default::default(),
            next_word: Default::default(),
            word_at: Default::default(),
            empty: Default::default(),
            pick: Default::default(),
            made: Default::default(),
            index_after: Default::default(),
            body_after: Default::default(),
        }
    }
}

impl Logic for TransportTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, armed, len_r, index, in_body, addend_r, clear_r, empty, word_at, pick,
            made
        );
        // Checksum: the stage's words, but our IP for the MAC's, nothing for the tag, and
        // for UDP nothing for word 7 (its protocol's part comes at index 16 as for TCP).
        // The addend is chosen one clock and added the next: the index decode and the
        // 16-bit add are not one path.
        self.clear_r.d.next = self.sum_first.val();
        self.word_in.next = self.sum_step.val();
        match self.sum_index.val().index() {
            0 => self.word_in.next = false,
            1 => self.word_in.next = false,
            2 => self.word_in.next = false,
            6 => self.word_in.next = false,
            7 => {
                if self.sum_word.val().get_bit(11) {
                    self.word_in.next = false;
                }
            }
            _ => {}
        }
        // Our IP: its low half with the tag (the first word), its high half as the sum's
        // start (`start`), in place of the destination MAC's three words.
        self.addend.next = 0.into();
        if self.word_in.val() {
            self.addend.next = self.sum_word.val();
        }
        if self.sum_first.val() {
            self.addend.next = self.our_ip.val().get_bits::<16>(0);
        }
        self.addend_r.d.next = self.addend.val();
        self.sum_unit.clock.next = self.clock.val();
        self.sum_unit.add.next = true;
        self.sum_unit.clear.next = self.clear_r.q.val();
        self.sum_unit.start.next = self.our_ip.val().get_bits::<16>(16);
        self.sum_unit.word.next = self.addend_r.q.val();
        self.sum.next = self.sum_unit.sum.val();
        // Sending.
        // The header's length, then one adder (not one per kind and a choice); 11 bits
        // wrap an empty request's all-ones to the header's length. Bytes 13 and 14 (the
        // total length) are made while the index was in 11..14 a clock before, bytes
        // 1, 2 and UDP's 23, 24 (the L4 length) while it was not in 8..15.
        self.header_len.next = 21.into();
        if self.req_is_udp.val() {
            self.header_len.next = 9.into();
        }
        if self.req_is_icmp.val() {
            self.header_len.next = 1.into();
        }
        if self.index.q.val().get_bits::<3>(3) == 1 {
            self.header_len.next = 41.into();
            if self.req_is_udp.val() {
                self.header_len.next = 29.into();
            }
            if self.req_is_icmp.val() {
                self.header_len.next = 21.into();
            }
        }
        self.len_r.d.next = self.req_last_at.val() + self.header_len.val();
        // The segment leaves through a skid buffer: `take` sees its register, not the
        // Ipv4Tx's ready.
        self.outbuf.clock.next = self.clock.val();
        self.outbuf.valid.next = self.req_valid.val() & self.armed.q.val();
        self.take.next = self.req_valid.val() & self.armed.q.val() & self.outbuf.ready.val();
        // Registered (settled by the time `valid` rises): keeps the length compare off
        // the `last` path into Ipv4Tx and MacTx.
        self.empty.d.next = self.req_last_at.val().all();
        self.header_end.next = self.index.q.val() == 38;
        if self.req_is_udp.val() {
            self.header_end.next = self.index.q.val() == 26;
        }
        // ICMP: the destination's last byte (the second IP's) ends the part made here.
        if self.req_is_icmp.val() {
            self.header_end.next = self.index.q.val() == 18;
        }
        self.req_done.next = false;
        self.body_ready.next = false;
        self.index_next.next = self.index.q.val();
        self.body_after.next = self.in_body.q.val();
        // The byte, from the choice made a clock ago.
        self.byte.next = self.body_data.val();
        if self.pick.q.val() == 0 {
            self.byte.next = self.word.val().get_bits::<8>(0);
        }
        if self.pick.q.val() == 1 {
            self.byte.next = self.word.val().get_bits::<8>(8);
        }
        if self.pick.q.val() == 2 {
            self.byte.next = self.made.q.val();
        }
        if self.in_body.q.val() {
            self.byte_last.next = self.body_last.val();
            self.body_ready.next = self.take.val();
            if self.take.val() & self.body_last.val() {
                self.req_done.next = true;
            }
        } else {
            self.byte_last.next = self.header_end.val() & self.empty.q.val();
            if self.take.val() {
                self.index_next.next = self.index.q.val() + 1;
                if self.header_end.val() {
                    self.body_after.next = true;
                    if self.empty.q.val() {
                        self.req_done.next = true;
                    }
                }
            }
        }
        self.index_after.next = self.index_next.val();
        self.index.d.next = self.index_after.val();
        self.in_body.d.next = self.body_after.val();
        // The request's end starts the next from byte 0. The choice below does not see
        // it (the stage's last-byte compare through `req_done` into the index decode
        // was the board's longest path): the clock after `req_done` sends nothing
        // (`armed` is low) and chooses again from index 0.
        if self.req_done.val() {
            self.index.d.next = 0.into();
            self.in_body.d.next = false;
        }
        // The next clock's byte: a descriptor word's (read one clock ahead: odd bytes
        // are high), or made here, or a staged byte.
        self.pick.d.next = bit_cast::<2, 1>(self.index_after.val().get_bit(0).into());
        self.made.d.next = 0.into(); // urgent pointer
        if self.index_after.val() == 0 {
            self.pick.d.next = 2.into();
            self.made.d.next = 6.into();
            if self.req_is_udp.val() {
                self.made.d.next = 17.into();
            }
            if self.req_is_icmp.val() {
                self.made.d.next = 1.into();
            }
        }
        if (self.index_after.val() == 1)
            | (self.index_after.val() == 13)
            | (self.req_is_udp.val() & (self.index_after.val() == 23))
        {
            self.pick.d.next = 2.into();
            self.made.d.next = bit_cast::<8, 3>(self.len_r.q.val().get_bits::<3>(8));
        }
        if (self.index_after.val() == 2)
            | (self.index_after.val() == 14)
            | (self.req_is_udp.val() & (self.index_after.val() == 24))
        {
            self.pick.d.next = 2.into();
            self.made.d.next = self.len_r.q.val().get_bits::<8>(0);
        }
        if !self.req_is_udp.val() {
            // 37 and 38 (the index goes no further), from bits.
            if self.index_after.val().get_bit(5)
                & self.index_after.val().get_bit(2)
                & (self.index_after.val().get_bit(1) | self.index_after.val().get_bit(0))
            {
                self.pick.d.next = 2.into();
            }
        }
        if self.body_after.val() {
            self.pick.d.next = 3.into();
        }
        // Stream bytes 3-6 and 15-18 are words 3-4 (the IP), 7-12 words 0-2 (the MAC),
        // and header word w (bytes 19 + 2w on) is descriptor word 8 + w (ports, seq,
        // ack), but TCP's data offset and flags (w 6) are word 7, its window (w 7) word
        // 14, and the checksum (TCP w 8, UDP w 3) word 15.
        // Looked up for the byte after `index` from the index register (a table of its
        // six bits: LUTs, no adder) and chosen when a byte is taken; else the port
        // reads again the word it read (`word_at`): `ready` reaches the stage's read
        // address through one multiplexer. Bytes 0..2, 13, 14 and TCP's 37, 38 are
        // made here; their word is any.
        self.next_word.next = 0.into();
        match self.index.q.val().index() {
            2 => self.next_word.next = 3.into(),
            3 => self.next_word.next = 3.into(),
            4 => self.next_word.next = 4.into(),
            5 => self.next_word.next = 4.into(),
            8 => self.next_word.next = 1.into(),
            9 => self.next_word.next = 1.into(),
            10 => self.next_word.next = 2.into(),
            11 => self.next_word.next = 2.into(),
            14 => self.next_word.next = 3.into(),
            15 => self.next_word.next = 3.into(),
            16 => self.next_word.next = 4.into(),
            17 => self.next_word.next = 4.into(),
            18 => self.next_word.next = 8.into(),
            19 => self.next_word.next = 8.into(),
            20 => self.next_word.next = 9.into(),
            21 => self.next_word.next = 9.into(),
            22 => self.next_word.next = 10.into(),
            23 => self.next_word.next = 10.into(),
            24 => self.next_word.next = 11.into(),
            25 => self.next_word.next = 11.into(),
            26 => self.next_word.next = 12.into(),
            27 => self.next_word.next = 12.into(),
            28 => self.next_word.next = 13.into(),
            29 => self.next_word.next = 13.into(),
            30 => self.next_word.next = 7.into(),
            31 => self.next_word.next = 7.into(),
            32 => self.next_word.next = 14.into(),
            33 => self.next_word.next = 14.into(),
            34 => self.next_word.next = 15.into(),
            35 => self.next_word.next = 15.into(),
            _ => {}
        }
        // UDP's checksum (its header word 3) is word 15.
        if self.req_is_udp.val() & ((self.index.q.val() == 24) | (self.index.q.val() == 25)) {
            self.next_word.next = 15.into();
        }
        // From the last byte made here on, word 6: the clock after `req_done`, `word`
        // is the request's tag (for TxDone).
        if self.header_end.val() {
            self.next_word.next = 6.into();
        }
        self.word_index.next = self.word_at.q.val();
        if self.take.val() & !self.in_body.q.val() {
            self.word_index.next = self.next_word.val();
        }
        self.word_at.d.next = self.word_index.val();
        self.outbuf.data.next = self.byte.val();
        self.outbuf.last.next = self.byte_last.val();
        self.outbuf.out_ready.next = self.ready.val();
        self.data.next = self.outbuf.out_data.val();
        self.valid.next = self.outbuf.out_valid.val();
        self.last.next = self.outbuf.out_last.val();
        self.armed.d.next = self.req_valid.val() & !self.req_done.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::internet::checksum::ones_sum;

    /// Feeds descriptor words on the sum bus in the order TxStage offers them (the
    /// header words as the host's message brings them, the tag first; then length,
    /// the payload as one word at index 15, as its bytes sum; word 7 and the three
    /// words of the protocol's part) and returns the checksum as the stage stores it.
    fn checksum(bus: &[(usize, u16)]) -> u16 {
        let mut uut = TransportTx::default();
        uut.connect_all();
        uut.our_ip.next = 0x0A00_0002.into();
        for (k, &(i, w)) in bus.iter().enumerate() {
            uut.sum_first.next = k == 0;
            uut.sum_step.next = true;
            uut.sum_index.next = (i as u64).into();
            uut.sum_word.next = (w as u64).into();
            crate::tick!(uut);
        }
        uut.sum_first.next = false;
        uut.sum_step.next = false;
        crate::tick!(uut);
        !uut.sum.val().index() as u16
    }

    /// The words a request's message writes, then the stage's own (`length` as the
    /// stage offers it: doubled for UDP).
    fn bus(header: &[(usize, u16)], length: usize, word7: u16, body: &[u8]) -> Vec<(usize, u16)> {
        let mut bus = vec![
            (6, 0x7A01),
            (0, 0x0200),
            (1, 0x0000),
            (2, 0x0001),
            (3, 0x0A00),
        ];
        bus.push((4, 0x0001));
        bus.extend(header);
        bus.extend([(5, length as u16), (15, ones_sum(body)), (7, word7)]);
        if word7 & 0x800 != 0 {
            bus.extend([(16, 33), (16, 1), (16, 0xFFFF)]);
        } else {
            bus.extend([(16, 26), (16, 0), (16, 0)]);
        }
        bus
    }

    /// TCP's checksum equals RFC 1071's over the pseudo-header and the segment as it
    /// will be sent.
    #[test]
    fn tcp_checksum_covers_pseudo_header_header_and_payload() {
        let options = [2u8, 4, 5, 0xB4, 1, 1, 4, 2];
        let payload = [0xFFu8, 0xFE, 0x01, 0x80, 0x7F];
        let body: Vec<u8> = options.iter().chain(&payload).copied().collect();
        let flags = 0x1D3u16;
        let header = [
            (8, 443),
            (9, 51000),
            (11, 0x5678),
            (10, 0x1234),
            (13, 0xDEF0),
            (12, 0x9ABC),
            (14, 0x7210),
        ];
        let word7 = (5 + options.len() as u16 / 4) << 12 | flags;
        let c = checksum(&bus(&header, body.len(), word7, &body));
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
        assert_eq!(c, !ones_sum(&seg));
    }

    fn udp_checksum(payload: &[u8]) -> u16 {
        checksum(&bus(
            &[(8, 53), (9, 5353)],
            2 * payload.len(),
            0x0800,
            payload,
        ))
    }

    fn udp_datagram(payload: &[u8], csum: u16) -> Vec<u8> {
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
    fn udp_checksum_covers_pseudo_header_header_and_payload_and_is_never_zero() {
        let payload = [1u8, 2, 3, 4, 5];
        let c = udp_checksum(&payload);
        assert_eq!(ones_sum(&udp_datagram(&payload, c)), 0xFFFF);
        // Two payload bytes chosen so the checksum computes to zero: sent as 0xFFFF.
        let mut p = vec![1u8, 2, 3, 4, 0, 0];
        let fill = !ones_sum(&udp_datagram(&p, 0));
        p[4..6].copy_from_slice(&fill.to_be_bytes());
        assert_eq!(ones_sum(&udp_datagram(&p, 0)), 0xFFFF);
        assert_eq!(udp_checksum(&p), 0xFFFF);
    }

    /// Sends one request of `protocol` (6, 17 or 1) as the stage would present it and
    /// returns the message after its destination, with the L4 length and protocol the
    /// stream gave; the descriptor port reads the tag (word 6) as the request is done.
    fn send(protocol: u8, body: &[u8], options_len: u64, flags: u64) -> (Vec<u8>, u16, u8) {
        let mut uut = TransportTx::default();
        uut.connect_all();
        // Descriptor words 0-4 (MAC, IP), 7 (TCP's data offset and flags; the kind's
        // bits are zero for TCP) and 8-15, as the stage's port gives them a clock later.
        let word7 = (5 + options_len / 4) << 12 | flags;
        let words: [u64; 16] = [
            0x0200, 0x0000, 0x0001, 0x0A00, 0x0001, 0, 0x7A6, word7, 443, 51000, 0x1234, 0x5678,
            0x9ABC, 0xDEF0, 0x7210, 0xC5C5,
        ];
        uut.req_valid.next = true;
        uut.req_is_udp.next = protocol == 17;
        uut.req_is_icmp.next = protocol == 1;
        uut.req_last_at.next = ((body.len() as u64 + 2047) % 2048).into();
        let mut word_index = 0usize;
        let mut done = false;
        let mut pos = 0usize;
        let mut out = vec![];
        for _ in 0..200 {
            uut.word.next = words[word_index].into();
            uut.body_data.next = (*body.get(pos).unwrap_or(&0) as u64).into();
            uut.body_last.next = pos + 1 == body.len();
            uut.ready.next = true;
            assert!(
                rust_hdl::prelude::simulate(&mut uut, 200),
                "circuit did not settle"
            );
            let req_done = uut.req_done.val();
            if uut.body_ready.val() {
                pos += 1;
            }
            word_index = uut.word_index.val().index();
            if req_done {
                assert_eq!(word_index, 6, "the tag is read as the request is done");
                done = true;
            }
            if uut.valid.val() {
                out.push(uut.data.val().index() as u8);
                if uut.last.val() {
                    break;
                }
            }
            crate::tick!(uut);
            if req_done {
                uut.req_valid.next = false;
            }
        }
        assert!(done);
        let frame = crate::internet::source_sink::parse_source_frame(&out);
        assert_eq!(frame.desc.dst_mac, [2, 0, 0, 0, 0, 1]);
        assert_eq!(frame.desc.dst_ip, [10, 0, 0, 1]);
        (frame.bytes, frame.desc.l4_len, frame.desc.protocol)
    }

    #[test]
    fn tcp_and_udp_headers_from_the_descriptor_and_the_request() {
        let body = [0xAAu8, 0xBB, 0xCC, 0xDD, 1, 2, 3];
        let (tcp, len, proto) = send(6, &body, 4, 0x112);
        assert_eq!((len, proto), (27, 6));
        let mut want = vec![0x01, 0xBB, 0xC7, 0x38, 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC];
        want.extend([0xDE, 0xF0, 0x61, 0x12, 0x72, 0x10, 0xC5, 0xC5, 0, 0]);
        want.extend(body);
        assert_eq!(tcp, want);
        let (udp, len, proto) = send(17, &body, 0, 0);
        assert_eq!((len, proto), (15, 17));
        let mut want = vec![0x01, 0xBB, 0xC7, 0x38, 0, 15, 0xC5, 0xC5];
        want.extend(body);
        assert_eq!(udp, want);
        let (empty, len, _) = send(17, &[], 0, 0);
        assert_eq!((len, empty.len()), (8, 8));
    }

    /// An ICMP request goes out as it was staged, after its destination: protocol 1,
    /// the L4 length its own, no header and no checksum added.
    #[test]
    fn icmp_messages_go_out_as_staged() {
        let message: Vec<u8> = (0..36).map(|i| (i * 13 + 5) as u8).collect();
        assert_eq!(send(1, &message, 0, 0x1FF), (message.clone(), 36, 1));
        assert_eq!(send(1, &message[..1], 0, 0), (message[..1].to_vec(), 1, 1));
        assert_eq!(send(1, &[], 0, 0), (vec![], 0, 1));
    }
}
