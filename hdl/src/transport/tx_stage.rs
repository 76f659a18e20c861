//! The transmit stage: the host's TxTcp/TxUdp/TxIcmp requests and the board's echo
//! replies held in block RAM until they go on the wire, so that one request can arrive
//! (slowly, over the UART, or as a ping streams in) while the previous one is being sent.
//!
//! Two writers drive the write side, one at a time (TxPipeline chooses; the rule is in
//! [`IcmpEcho`](crate::internet::icmp_echo::IcmpEcho)): HostRx, and the echo responder,
//! which writes a reply as an ICMP request with `tx_is_reply` set and, because the
//! reply's checksum is known only after its bytes have passed, patches bytes 2 and 3
//! (`tx_patch`) just before its finish.
//!
//! Write side. The options+payload bytes (`tx_write`; the byte is `tx_word`'s low
//! half, as both writers give it) go into one of two 1,536-byte buffers (ping-pong). The header fields come as words (`tx_word_write`,
//! from HostRx as each field's second byte arrives) and go straight into the free
//! buffer's 16-word descriptor: no copy of a request is held in registers. At
//! `tx_finish` with `tx_keep` the stage adds the length (word 5) and, a clock later,
//! word 7; a request not kept rolls its bytes back and its words are overwritten by the
//! next. Every word is also offered on the `sum_*` bus to
//! [`TransportTx`](super::transport_tx::TransportTx), in any order (`sum_first` with
//! the tag, always a request's first word, restarts its sum; a UDP request's length
//! doubled, as its checksum counts it twice), and so is every byte as it is written, as
//! a word of its own at index 15 (byte k of the segment in the high half when k is
//! even: the TCP header is 20 bytes and options a multiple of 4, so options+payload
//! start on an even offset, as the UDP payload does; an ICMP request's bytes are its
//! whole message, their sum unused): the transport block's one adder sums header and
//! payload, and the stage has none. Its checksum is written as the descriptor's last
//! word, 7 clocks after `tx_finish` (the bus leaves through registers). `tx_busy` is high
//! while both buffers are taken and during those 7 clocks (a request that starts then
//! is refused whole, so no word of it lands in a taken buffer or on the bus). A
//! request longer than a buffer (1,536 bytes; HostRx passes at most 1,480, a TxTcp's
//! options+payload or a TxIcmp's message) stops writing at the buffer's end and is
//! rolled back at `tx_finish` whatever `tx_keep` says.
//!
//! Descriptor words: 0-2 dst MAC, 3-4 dst IP, 5 length of options+payload, 6 tag,
//! 7 {data offset (bits 15-12), is_udp (11), is_reply (10), is_icmp (9), flags (8-0)}:
//! for a TCP request, whose bits 11-9 are zero, the TCP header's word 6 as sent;
//! 8 src port, 9 dst port, 10-11 seq, 12-13 ack, 14 window, 15 the L4 checksum. On the
//! `sum_*` bus, index 15 carries the bytes instead, and after word 7 comes index 16,
//! the protocol's part of the sum (TCP 26: protocol 6 and the 20 header bytes in the
//! TCP length; UDP 33: 17 and 8 header bytes twice), a constant the stage makes from
//! the kind it alone knows before the sum is final.
//!
//! Read side. The oldest staged request becomes the current one: its length (word 5,
//! kept as the last byte's offset) and kind (word 7) are loaded into registers (4
//! clocks), then `req_valid` rises. The sender reads every other word, the tag too,
//! through `word_index`/`word` when it needs it (one clock of latency; `word` already
//! holds word `word_index` of the previous clock) and the bytes as a
//! first-word-fall-through stream (`body_data`, `body_last`, taken by `body_ready`;
//! a byte every clock). `req_done` hands the buffer back (the clock after it) and loads
//! the next request; `word_index` at `req_done` still reads the buffer handed back
//! (the tag, for TxDone: a request written into it writes no word before the next
//! clock).
//!
//! Cost: the two buffers are 3 KiB in 6 of the iCE40's 4 Kbit block RAMs (the echo
//! replies' too: the echo has none of its own): a buffer's bytes 0..1023 in
//! `payload` (2 KiB for both, 4 block RAMs) and 1024..1535 in `tail` (512 bytes a
//! buffer, 2), the read data chosen by a flip-flop loaded with the read address's bit
//! 10; the descriptors 32 words of 16 bits, one more. No adder for the payload sum
//! (the bytes go on the sum bus; a sum unit and its fold here were about 90 LUT4s).

use crate::block_ram::BlockRam;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct TxStage {
    pub clock: Signal<In, Clock>,
    pub tx_write: Signal<In, Bit>,
    /// Closes the request being written: at least two clocks after its last
    /// `tx_write` (its length word must not meet a byte on the sum bus; HostRx's finish
    /// comes five or more clocks after, behind the CRC check's four held bytes and the
    /// frame's end; the echo's after the receive report, behind the frame's FCS).
    pub tx_finish: Signal<In, Bit>,
    pub tx_keep: Signal<In, Bit>,
    pub tx_is_udp: Signal<In, Bit>,
    /// The request is an ICMP message: no transport header, no checksum of ours.
    /// Valid with `tx_finish` and the clock after.
    pub tx_is_icmp: Signal<In, Bit>,
    /// A header word of the request being written: descriptor word `tx_word_index`.
    pub tx_word_write: Signal<In, Bit>,
    pub tx_word_index: Signal<In, Bits<4>>,
    pub tx_word: Signal<In, Bits<16>>,
    /// Valid with `tx_finish` and the clock after.
    pub tx_flags: Signal<In, Bits<9>>,
    pub tx_options_len: Signal<In, Bits<6>>,
    /// The request is the board's own echo reply (word 7's bit 10): no `tx_done` for it.
    /// Valid with `tx_finish` and the clock after.
    pub tx_is_reply: Signal<In, Bit>,
    /// Writes `tx_word`'s low byte over byte 2 (`tx_patch_at` low) or 3 of the request being
    /// written, without counting or summing it: an echo reply's checksum, known only
    /// after its bytes have passed.
    pub tx_patch: Signal<In, Bit>,
    pub tx_patch_at: Signal<In, Bit>,
    pub tx_busy: Signal<Out, Bit>,
    /// The descriptor words as they are written, for the transport block's checksum; `sum_first`
    /// marks a request's first word (the tag, word 6), which restarts its sum.
    pub sum_first: Signal<Out, Bit>,
    pub sum_step: Signal<Out, Bit>,
    pub sum_index: Signal<Out, Bits<5>>,
    pub sum_word: Signal<Out, Bits<16>>,
    /// The transport block's sum of the request on the bus (its complement is the
    /// checksum).
    pub sum: Signal<In, Bits<16>>,
    /// The current request (fields hold until `req_done`).
    pub req_valid: Signal<Out, Bit>,
    pub req_is_udp: Signal<Out, Bit>,
    pub req_is_icmp: Signal<Out, Bit>,
    /// The current request is the board's echo reply.
    pub req_is_reply: Signal<Out, Bit>,
    /// Bytes of options+payload less one: the last byte's offset (all ones when there
    /// are none).
    pub req_last_at: Signal<Out, Bits<11>>,
    pub word_index: Signal<In, Bits<4>>,
    pub word: Signal<Out, Bits<16>>,
    pub body_data: Signal<Out, Bits<8>>,
    pub body_last: Signal<Out, Bit>,
    pub body_ready: Signal<In, Bit>,
    pub req_done: Signal<In, Bit>,
    /// Each buffer's bytes 0..1023, at {buffer, 10 bits}.
    payload: BlockRam<Bits<8>, 11>,
    /// Each buffer's bytes 1024..1535, at {buffer, 9 bits}.
    tail: BlockRam<Bits<8>, 10>,
    /// The byte being read is in `tail` (the read address's bit 10, a clock later).
    tail_read: DFF<Bit>,
    desc: BlockRam<Bits<16>, 5>,
    wr_buf: DFF<Bit>,
    /// Bytes of the request being written so far; stops at 1,536, the buffer's end.
    wr_count: DFF<Bits<11>>,
    overflow: DFF<Bit>,
    /// Buffers committed and not yet released (0, 1 or 2).
    held: DFF<Bits<2>>,
    serializing: DFF<Bit>,
    /// Clocks since the commit while serializing, else 0 (loaded every clock).
    ser_index: DFF<Bits<3>>,
    ser_buf: DFF<Bit>,
    ser_udp: DFF<Bit>,
    rd_buf: DFF<Bit>,
    loading: DFF<Bit>,
    load_index: DFF<Bits<4>>,
    current: DFF<Bit>,
    /// `req_done` of the current request, a clock late: the buffer is handed back from
    /// a flip-flop, so the sender's last-byte logic and this block's buffer count are
    /// not one path (it was the chip's longest on seed 2). The sender takes nothing in
    /// that clock: it disarms at `req_done`.
    done_r: DFF<Bit>,
    rd_ptr: DFF<Bits<11>>,
    last_at: DFF<Bits<11>>,
    udp_r: DFF<Bit>,
    icmp_r: DFF<Bit>,
    reply_r: DFF<Bit>,
    /// The sum bus a clock late, from flip-flops: the choice among HostRx's words, the
    /// length at a commit and the words after it is then not one path with the
    /// transport block's decode of the index.
    sum_first_r: DFF<Bit>,
    sum_step_r: DFF<Bit>,
    sum_index_r: DFF<Bits<5>>,
    sum_word_r: DFF<Bits<16>>,
    bus_first: Signal<Local, Bit>,
    bus_step: Signal<Local, Bit>,
    bus_index: Signal<Local, Bits<5>>,
    bus_word: Signal<Local, Bits<16>>,
    commit: Signal<Local, Bit>,
    available: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    /// The buffer is full: `wr_count` is 1,536 (its bits 10 and 9, no compare).
    full: Signal<Local, Bit>,
    rd_next: Signal<Local, Bits<11>>,
    /// Descriptor word 7: {data offset, is_udp, is_reply, is_icmp, flags}.
    word7: Signal<Local, Bits<16>>,
    /// The length on the sum bus: doubled for UDP, whose checksum counts it twice.
    sum_length: Signal<Local, Bits<16>>,
    /// The byte being written as a word of the sum: in its high half at an even offset.
    byte_word: Signal<Local, Bits<16>>,
    /// The TCP header's data offset: 5 words and the options'.
    data_offset: Signal<Local, Bits<4>>,
}

impl Default for TxStage {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            tx_write: Default::default(),
            tx_finish: Default::default(),
            tx_keep: Default::default(),
            tx_is_udp: Default::default(),
            tx_is_icmp: Default::default(),
            tx_flags: Default::default(),
            tx_options_len: Default::default(),
            tx_is_reply: Default::default(),
            tx_patch: Default::default(),
            tx_patch_at: Default::default(),
            tx_word_write: Default::default(),
            tx_word_index: Default::default(),
            tx_word: Default::default(),
            sum_first: Default::default(),
            tx_busy: Default::default(),
            sum_step: Default::default(),
            sum_index: Default::default(),
            sum_word: Default::default(),
            sum: Default::default(),
            req_valid: Default::default(),
            req_is_udp: Default::default(),
            req_is_icmp: Default::default(),
            req_is_reply: Default::default(),
            req_last_at: Default::default(),
            word_index: Default::default(),
            word: Default::default(),
            body_data: Default::default(),
            body_last: Default::default(),
            body_ready: Default::default(),
            req_done: Default::default(),
            // Zeroed, so the Verilog and Rust models read the same before the first write.
            payload: BlockRam::zeroed(),
            tail: BlockRam::zeroed(),
            tail_read: Default::default(),
            desc: BlockRam::zeroed(),
            wr_buf: Default::default(),
            wr_count: Default::default(),
            overflow: Default::default(),
            held: Default::default(),
            serializing: Default::default(),
            ser_index: Default::default(),
            ser_buf: Default::default(),
            ser_udp: Default::default(),
            rd_buf: Default::default(),
            loading: Default::default(),
            load_index: Default::default(),
            current: Default::default(),
            done_r: Default::default(),
            rd_ptr: Default::default(),
            last_at: Default::default(),
            udp_r: Default::default(),
            icmp_r: Default::default(),
            reply_r: Default::default(),
            sum_first_r: Default::default(),
            sum_step_r: Default::default(),
            sum_index_r: Default::default(),
            sum_word_r: Default::default(),
            bus_first: Default::default(),
            bus_step: Default::default(),
            bus_index: Default::default(),
            bus_word: Default::default(),
            commit: Default::default(),
            available: Default::default(),
            take: Default::default(),
            full: Default::default(),
            rd_next: Default::default(),
            word7: Default::default(),
            sum_length: Default::default(),
            byte_word: Default::default(),
            data_offset: Default::default(),
        }
    }
}

impl Logic for TxStage {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            wr_buf,
            wr_count,
            overflow,
            held,
            serializing,
            ser_index,
            ser_buf,
            ser_udp,
            rd_buf,
            loading,
            load_index,
            current,
            done_r,
            rd_ptr,
            tail_read,
            last_at,
            udp_r,
            icmp_r,
            reply_r,
            sum_first_r,
            sum_step_r,
            sum_index_r,
            sum_word_r
        );
        self.payload.read_clock.next = self.clock.val();
        self.payload.write_clock.next = self.clock.val();
        self.tail.read_clock.next = self.clock.val();
        self.tail.write_clock.next = self.clock.val();
        self.desc.read_clock.next = self.clock.val();
        self.desc.write_clock.next = self.clock.val();
        self.tx_busy.next = (self.held.q.val() == 2) | self.serializing.q.val();
        // Staging the bytes: bytes 0..1023 of buffer `wr_buf` to `payload`,
        // 1024..1535 to `tail`.
        self.payload.write_address.next = (bit_cast::<11, 1>(self.wr_buf.q.val().into()) << 10)
            | bit_cast::<11, 10>(self.wr_count.q.val().get_bits::<10>(0));
        self.tail.write_address.next = (bit_cast::<10, 1>(self.wr_buf.q.val().into()) << 9)
            | bit_cast::<10, 9>(self.wr_count.q.val().get_bits::<9>(0));
        self.payload.write_data.next = self.tx_word.val().get_bits::<8>(0);
        self.tail.write_data.next = self.tx_word.val().get_bits::<8>(0);
        self.payload.write_enable.next = false;
        self.tail.write_enable.next = false;
        // A patch: byte 2 or 3 of the buffer being written (in `payload`).
        if self.tx_patch.val() {
            self.payload.write_address.next = (bit_cast::<11, 1>(self.wr_buf.q.val().into()) << 10)
                | 2
                | bit_cast::<11, 1>(self.tx_patch_at.val().into());
            self.payload.write_enable.next = true;
        }
        self.full.next = self.wr_count.q.val().get_bit(10) & self.wr_count.q.val().get_bit(9);
        if self.tx_write.val() {
            if self.full.val() {
                self.overflow.d.next = true;
            } else {
                self.payload.write_enable.next = !self.wr_count.q.val().get_bit(10);
                self.tail.write_enable.next = self.wr_count.q.val().get_bit(10);
                self.wr_count.d.next = self.wr_count.q.val() + 1;
            }
        }
        self.commit.next = self.tx_finish.val()
            & self.tx_keep.val()
            & !self.overflow.q.val()
            & (self.held.q.val() != 2)
            & !self.serializing.q.val();
        if self.tx_finish.val() {
            self.wr_count.d.next = 0.into();
            self.overflow.d.next = false;
        }
        // The header fields: HostRx's words go into the free buffer's descriptor as they
        // arrive (a request that finds both buffers taken writes none); at the commit
        // the stage adds word 5 (the length), the next clock word 7 ({data offset,
        // is_udp, is_reply, is_icmp, flags}), and the transport block gets the protocol's
        // part of the sum (below); the checksum goes in as word 15 six clocks later.
        self.data_offset.next = self.tx_options_len.val().get_bits::<4>(2) + 5;
        self.word7.next = (bit_cast::<16, 4>(self.data_offset.val()) << 12)
            | (bit_cast::<16, 1>(self.ser_udp.q.val().into()) << 11)
            | (bit_cast::<16, 1>(self.tx_is_reply.val().into()) << 10)
            | (bit_cast::<16, 1>(self.tx_is_icmp.val().into()) << 9)
            | bit_cast::<16, 9>(self.tx_flags.val());
        self.ser_index.d.next = 0.into();
        self.sum_length.next = bit_cast::<16, 11>(self.wr_count.q.val());
        if self.tx_is_udp.val() {
            self.sum_length.next = bit_cast::<16, 11>(self.wr_count.q.val()) << 1;
        }
        self.desc.write_address.next = (bit_cast::<5, 1>(self.wr_buf.q.val().into()) << 4)
            | bit_cast::<5, 4>(self.tx_word_index.val());
        self.desc.write_data.next = self.tx_word.val();
        self.desc.write_enable.next = self.tx_word_write.val();
        self.bus_first.next = self.tx_word_write.val() & (self.tx_word_index.val() == 6);
        self.bus_step.next = self.tx_word_write.val();
        self.bus_index.next = bit_cast::<5, 4>(self.tx_word_index.val());
        self.bus_word.next = self.tx_word.val();
        // Each byte goes on the bus as it is written, as a word of its own (index 15,
        // which the transport block adds as it comes): no sum unit here. HostRx writes
        // a request's words before its bytes (the tag first), the echo its words on
        // header bytes and its bytes after them, so a byte never meets a word. Summed
        // unconditionally (an overflowing request is dropped anyway).
        self.byte_word.next = bit_cast::<16, 8>(self.tx_word.val().get_bits::<8>(0));
        if !self.wr_count.q.val().get_bit(0) {
            self.byte_word.next = bit_cast::<16, 8>(self.tx_word.val().get_bits::<8>(0)) << 8;
        }
        if self.tx_write.val() {
            self.bus_step.next = true;
            self.bus_index.next = 15.into();
            self.bus_word.next = self.byte_word.val();
        }
        // The length word goes with any finish; only a commit writes and adds it. Its
        // data and address are chosen by `tx_finish` and `serializing` alone, so the
        // commit's conditions (keep, overflow, both buffers taken) reach the RAM's write
        // enable and the sum's step, not its 16 data bits (100 MHz). A commit is never
        // while serializing, and a rolled-back request's words go nowhere that is read.
        if self.commit.val() {
            self.serializing.d.next = true;
            self.ser_buf.d.next = self.wr_buf.q.val();
            self.ser_udp.d.next = self.tx_is_udp.val();
            self.wr_buf.d.next = !self.wr_buf.q.val();
        }
        if self.tx_finish.val() & !self.serializing.q.val() {
            self.desc.write_address.next = (bit_cast::<5, 1>(self.wr_buf.q.val().into()) << 4) | 5;
            self.desc.write_data.next = bit_cast::<16, 11>(self.wr_count.q.val());
            self.desc.write_enable.next = self.commit.val();
            self.bus_step.next = self.commit.val();
            self.bus_index.next = 5.into();
            self.bus_word.next = self.sum_length.val();
        } else if self.serializing.q.val() {
            self.ser_index.d.next = self.ser_index.q.val() + 1;
            if self.ser_index.q.val() == 6 {
                self.serializing.d.next = false;
            }
            self.desc.write_address.next = (bit_cast::<5, 1>(self.ser_buf.q.val().into()) << 4) | 7;
            self.desc.write_data.next = self.word7.val();
            self.desc.write_enable.next = self.ser_index.q.val() == 0;
            // Word 7, then the protocol's part of the sum (index 16): TCP 6 and its
            // header's 20 bytes, then two zero words (the carry folds); UDP 17 and its
            // header's 8 bytes twice (pseudo-header and header length), then 1 and
            // 0xFFFF. The sum read three clocks after the last word (its carry not
            // added back) is then the sum plus one less one, and a UDP sum of zero
            // comes out +0, not -0: its checksum is 0xFFFF, never "no checksum" (RFC
            // 768); a TCP sum of zero stays -0 (checksum 0).
            self.bus_step.next = !self.ser_index.q.val().get_bit(2);
            self.bus_index.next = 16.into();
            self.bus_word.next = 0.into();
            match self.ser_index.q.val().index() {
                0 => {
                    self.bus_index.next = 7.into();
                    self.bus_word.next = self.word7.val();
                }
                1 => {
                    self.bus_word.next = 26.into();
                    if self.ser_udp.q.val() {
                        self.bus_word.next = 33.into();
                    }
                }
                2 => {
                    if self.ser_udp.q.val() {
                        self.bus_word.next = 1.into();
                    }
                }
                3 => {
                    if self.ser_udp.q.val() {
                        self.bus_word.next = 0xFFFF.into();
                    }
                }
                _ => {}
            }
            if self.ser_index.q.val() == 6 {
                self.desc.write_address.next =
                    (bit_cast::<5, 1>(self.ser_buf.q.val().into()) << 4) | 15;
                self.desc.write_data.next = !self.sum.val();
                self.desc.write_enable.next = true;
            }
        }
        self.sum_first_r.d.next = self.bus_first.val();
        self.sum_step_r.d.next = self.bus_step.val();
        self.sum_index_r.d.next = self.bus_index.val();
        self.sum_word_r.d.next = self.bus_word.val();
        self.sum_first.next = self.sum_first_r.q.val();
        self.sum_step.next = self.sum_step_r.q.val();
        self.sum_index.next = self.sum_index_r.q.val();
        self.sum_word.next = self.sum_word_r.q.val();
        // Read side: the oldest fully written request becomes current.
        self.available.next =
            (self.held.q.val() == 2) | ((self.held.q.val() == 1) & !self.serializing.q.val());
        // Words 5 and 7 (the rest is read as it is sent): the index is 5 whenever the
        // stage is not loading, so it is loaded every clock and holds nothing.
        self.load_index.d.next = 5.into();
        if !self.current.q.val() & !self.loading.q.val() & self.available.val() {
            self.loading.d.next = true;
        }
        self.desc.read_address.next = (bit_cast::<5, 1>(self.rd_buf.q.val().into()) << 4)
            | bit_cast::<5, 4>(self.word_index.val());
        if self.loading.q.val() {
            self.load_index.d.next = self.load_index.q.val() + 1;
            if self.load_index.q.val() != 8 {
                self.desc.read_address.next = (bit_cast::<5, 1>(self.rd_buf.q.val().into()) << 4)
                    | bit_cast::<5, 4>(self.load_index.q.val());
            }
            if self.load_index.q.val() == 6 {
                self.last_at.d.next = self.desc.read_data.val().get_bits::<11>(0) - 1;
            }
            if self.load_index.q.val() == 8 {
                self.udp_r.d.next = self.desc.read_data.val().get_bit(11);
                self.icmp_r.d.next = self.desc.read_data.val().get_bit(9);
                self.reply_r.d.next = self.desc.read_data.val().get_bit(10);
                self.loading.d.next = false;
                self.current.d.next = true;
            }
        }
        self.word.next = self.desc.read_data.val();
        // The bytes, first word fall through.
        self.take.next = self.current.q.val() & self.body_ready.val();
        self.rd_next.next = self.rd_ptr.q.val();
        if self.take.val() {
            self.rd_next.next = self.rd_ptr.q.val() + 1;
        }
        self.rd_ptr.d.next = self.rd_next.val();
        self.payload.read_address.next = (bit_cast::<11, 1>(self.rd_buf.q.val().into()) << 10)
            | bit_cast::<11, 10>(self.rd_next.val().get_bits::<10>(0));
        self.tail.read_address.next = (bit_cast::<10, 1>(self.rd_buf.q.val().into()) << 9)
            | bit_cast::<10, 9>(self.rd_next.val().get_bits::<9>(0));
        self.tail_read.d.next = self.rd_next.val().get_bit(10);
        self.body_data.next = self.payload.read_data.val();
        if self.tail_read.q.val() {
            self.body_data.next = self.tail.read_data.val();
        }
        self.body_last.next = self.rd_ptr.q.val() == self.last_at.q.val();
        // Buffers in use: one more at a commit, one fewer at a release.
        self.done_r.d.next = self.req_done.val() & self.current.q.val();
        if self.done_r.q.val() {
            self.current.d.next = false;
            self.rd_ptr.d.next = 0.into();
            self.rd_buf.d.next = !self.rd_buf.q.val();
            if !self.commit.val() {
                self.held.d.next = self.held.q.val() - 1;
            }
        } else if self.commit.val() {
            self.held.d.next = self.held.q.val() + 1;
        }
        self.req_valid.next = self.current.q.val();
        self.req_is_udp.next = self.udp_r.q.val();
        self.req_is_icmp.next = self.icmp_r.q.val();
        self.req_is_reply.next = self.reply_r.q.val();
        self.req_last_at.next = self.last_at.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::internet::checksum::ones_sum;

    /// What the sum bus offered: the ones'-complement sum of its words at index 15 (the
    /// bytes), the length word (index 5, a commit's) and the protocol's words (16).
    #[derive(Default)]
    struct Bus {
        sum: u32,
        length: Option<usize>,
        protocol: Vec<usize>,
    }

    /// Ticks the clock and takes the bus word of the clock that ended.
    fn tick_bus(uut: &mut TxStage, bus: &mut Bus) {
        crate::tick!(*uut);
        if uut.sum_step.val() && uut.sum_index.val().index() == 15 {
            bus.sum += uut.sum_word.val().index() as u32;
            bus.sum = (bus.sum & 0xFFFF) + (bus.sum >> 16);
        }
        if uut.sum_step.val() && uut.sum_index.val().index() == 5 {
            bus.length = Some(uut.sum_word.val().index());
        }
        if uut.sum_step.val() && uut.sum_index.val().index() == 16 {
            bus.protocol.push(uut.sum_word.val().index());
        }
    }

    /// Stages `bytes` with a request whose fields derive from `k`; returns the payload
    /// sum the sum bus offered at index 15 if the request was committed (a length word
    /// offered). The transport block answers 0xC000 + k.
    fn stage(uut: &mut TxStage, bytes: &[u8], k: u64, keep: bool) -> Option<u64> {
        stage_with(uut, bytes, k, keep, 0)
    }

    /// [`stage`] with an options length (`tx_is_icmp` is left as the caller set it).
    fn stage_with(
        uut: &mut TxStage,
        bytes: &[u8],
        k: u64,
        keep: bool,
        options_len: u64,
    ) -> Option<u64> {
        // The header words in the order HostRx gives them (the tag first).
        let words = [
            (6, 0x7A00 + k),
            (0, 0x0200 + k),
            (1, 0x1111),
            (2, 0x2222),
            (3, 0x0A00),
            (4, k),
            (8, 1000 + k),
            (9, 2000 + k),
            (11, 0x5678),
            (10, 0x1234),
            (13, 0xDEF0),
            (12, 0x9ABC),
            (14, 3000 + k),
        ];
        let mut bus = Bus::default();
        for (i, w) in words {
            uut.tx_word_write.next = true;
            uut.tx_word_index.next = i.into();
            uut.tx_word.next = w.into();
            tick_bus(uut, &mut bus);
        }
        uut.tx_word_write.next = false;
        for &b in bytes {
            uut.tx_write.next = true;
            uut.tx_word.next = (b as u64).into();
            tick_bus(uut, &mut bus);
        }
        uut.tx_write.next = false;
        tick_bus(uut, &mut bus);
        uut.tx_finish.next = true;
        uut.tx_keep.next = keep;
        uut.tx_is_udp.next = k % 2 == 1;
        uut.tx_flags.next = 0x1FF.into();
        uut.tx_options_len.next = options_len.into();
        uut.sum.next = (!(0xC000 + k) & 0xFFFF).into();
        tick_bus(uut, &mut bus);
        uut.tx_finish.next = false;
        for _ in 0..25 {
            tick_bus(uut, &mut bus);
        }
        // UDP's length counts twice in its checksum: offered doubled.
        let length = bus.length?;
        assert_eq!(length, bytes.len() << (k % 2));
        // TCP: 6 + 20, then the carry folds; UDP: 17 + 8 + 8, then one and 0xFFFF, so
        // that a sum of zero comes out +0 (see the serializer).
        let protocol = if k % 2 == 1 {
            [33, 1, 0xFFFF]
        } else {
            [26, 0, 0]
        };
        assert_eq!(bus.protocol, protocol);
        Some(bus.sum as u64)
    }

    /// Runs until a request is current (at most 20 clocks).
    fn wait_current(uut: &mut TxStage) {
        for _ in 0..20 {
            if uut.req_valid.val() {
                break;
            }
            crate::tick!(*uut);
        }
        assert!(uut.req_valid.val());
    }

    /// Reads the current request: descriptor words 8-15 and the bytes; then `req_done`,
    /// with word 6 (the tag) read as it is handed back.
    fn take(uut: &mut TxStage) -> (u64, Vec<u64>, Vec<u8>) {
        wait_current(uut);
        let mut words = vec![];
        for i in 8..16u64 {
            uut.word_index.next = i.into();
            crate::tick!(*uut);
            words.push(uut.word.val().index() as u64);
        }
        let mut bytes = vec![];
        let n = (uut.req_last_at.val().index() + 1) % 2048;
        for i in 0..n {
            bytes.push(uut.body_data.val().index() as u8);
            assert_eq!(uut.body_last.val(), i + 1 == n);
            uut.body_ready.next = true;
            crate::tick!(*uut);
        }
        uut.body_ready.next = false;
        uut.req_done.next = true;
        uut.word_index.next = 6.into();
        crate::tick!(*uut);
        uut.req_done.next = false;
        uut.word_index.next = 0.into();
        let tag = uut.word.val().index() as u64;
        // The buffer is handed back the clock after `req_done`.
        assert!(uut.req_valid.val());
        crate::tick!(*uut);
        assert!(!uut.req_valid.val());
        (tag, words, bytes)
    }

    #[test]
    fn ping_pong_stages_two_and_rolls_back_the_rest() {
        let mut uut = TxStage::default();
        uut.connect_all();
        crate::tick!(uut);
        let a: Vec<u8> = (0..9).map(|i| i * 17 + 1).collect();
        let c: Vec<u8> = vec![0xEE; 4];
        assert!(!uut.tx_busy.val());
        assert_eq!(stage(&mut uut, &a, 0, true), Some(ones_sum(&a) as u64));
        assert!(!uut.tx_busy.val(), "one buffer still free");
        // A rolled-back request in between leaves nothing.
        stage(&mut uut, &c, 5, false);
        assert_eq!(stage(&mut uut, &[], 1, true), Some(0));
        assert!(uut.tx_busy.val(), "both buffers taken");
        let (tag, words, bytes) = take(&mut uut);
        assert_eq!(tag, 0x7A00);
        assert_eq!(
            words,
            vec![1000, 2000, 0x1234, 0x5678, 0x9ABC, 0xDEF0, 3000, 0xC000]
        );
        assert_eq!(bytes, a);
        assert!(!uut.tx_busy.val(), "a buffer is free again");
        let (tag, words, bytes) = take(&mut uut);
        assert_eq!(tag, 0x7A01);
        assert_eq!(words[7], 0xC001);
        assert!(bytes.is_empty());
        for _ in 0..20 {
            crate::tick!(uut);
        }
        assert!(!uut.req_valid.val(), "nothing else staged");
    }

    /// The longest request HostRx passes (1,480 bytes) and a buffer's capacity (1,536)
    /// are staged and read back whole, across the two block RAMs of a buffer; one byte
    /// more is refused whole though kept (no sum on the bus, nothing to send), and the
    /// request after it, in the buffer it was writing, comes out intact.
    #[test]
    fn longest_request_fits_and_one_over_the_buffer_is_refused() {
        let mut uut = TxStage::default();
        uut.connect_all();
        crate::tick!(uut);
        let pattern = |n: usize, k: usize| -> Vec<u8> {
            (0..n)
                .map(|i| ((i * 7 + k + i / 256) % 256) as u8)
                .collect()
        };
        let longest = pattern(1480, 1);
        let over = pattern(1537, 2);
        let next = pattern(1100, 3);
        let capacity = pattern(1536, 4);
        assert_eq!(
            stage(&mut uut, &longest, 0, true),
            Some(ones_sum(&longest) as u64)
        );
        assert_eq!(stage(&mut uut, &over, 6, true), None, "refused");
        assert!(!uut.tx_busy.val(), "the refused request took no buffer");
        assert_eq!(
            stage(&mut uut, &next, 1, true),
            Some(ones_sum(&next) as u64)
        );
        assert!(uut.tx_busy.val());
        let (tag, words, bytes) = take(&mut uut);
        assert_eq!((tag, words[7]), (0x7A00, 0xC000));
        assert!(bytes == longest, "the longest request intact");
        assert_eq!(
            stage(&mut uut, &capacity, 2, true),
            Some(ones_sum(&capacity) as u64)
        );
        let (tag, words, bytes) = take(&mut uut);
        assert_eq!((tag, words[7]), (0x7A01, 0xC001));
        assert!(bytes == next, "the request after the refused one intact");
        let (tag, _, bytes) = take(&mut uut);
        assert_eq!(tag, 0x7A02);
        assert!(bytes == capacity, "a request filling the buffer intact");
        for _ in 0..20 {
            crate::tick!(uut);
        }
        assert!(!uut.req_valid.val(), "nothing else staged");
    }

    /// A patch overwrites byte 2 or 3 of the request being written, without counting
    /// or summing it; the reply mark comes out with the request, and only with it.
    #[test]
    fn patches_and_the_reply_mark() {
        let mut uut = TxStage::default();
        uut.connect_all();
        crate::tick!(uut);
        let message: Vec<u8> = (0..12).map(|i| i * 3 + 1).collect();
        for &b in &message {
            uut.tx_write.next = true;
            uut.tx_word.next = (b as u64).into();
            crate::tick!(uut);
        }
        uut.tx_write.next = false;
        for (at, b) in [(false, 0xAB), (true, 0xCD)] {
            uut.tx_patch.next = true;
            uut.tx_patch_at.next = at;
            uut.tx_word.next = b.into();
            crate::tick!(uut);
        }
        uut.tx_patch.next = false;
        uut.tx_finish.next = true;
        uut.tx_keep.next = true;
        uut.tx_is_icmp.next = true;
        uut.tx_is_reply.next = true;
        crate::tick!(uut);
        uut.tx_finish.next = false;
        crate::tick!(uut);
        uut.tx_is_reply.next = false;
        uut.tx_is_icmp.next = false;
        let mut patched = message.clone();
        patched[2] = 0xAB;
        patched[3] = 0xCD;
        wait_current(&mut uut);
        assert!(uut.req_is_reply.val() && uut.req_is_icmp.val());
        let (_, _, bytes) = take(&mut uut);
        assert_eq!(bytes, patched);
        stage(&mut uut, b"host", 2, true);
        wait_current(&mut uut);
        assert!(!uut.req_is_reply.val());
        let (tag, _, bytes) = take(&mut uut);
        assert_eq!((tag, bytes), (0x7A02, b"host".to_vec()));
    }

    /// An ICMP request comes out as one; the TCP request after it is TCP again, and
    /// its word 7 is the TCP header's word 6 (data offset, zero bits, flags).
    #[test]
    fn icmp_requests_are_told_apart_from_tcp_and_udp() {
        let mut uut = TxStage::default();
        uut.connect_all();
        crate::tick!(uut);
        let message: Vec<u8> = (0..36).map(|i| i * 5 + 1).collect();
        uut.tx_is_icmp.next = true;
        stage_with(&mut uut, &message, 2, true, 0);
        uut.tx_is_icmp.next = false;
        stage_with(&mut uut, b"tcp!", 4, true, 4);
        wait_current(&mut uut);
        assert!(uut.req_is_icmp.val() && !uut.req_is_udp.val());
        let (tag, _, bytes) = take(&mut uut);
        assert_eq!((tag, bytes), (0x7A02, message));
        wait_current(&mut uut);
        assert!(!uut.req_is_icmp.val() && !uut.req_is_udp.val());
        uut.word_index.next = 7.into();
        crate::tick!(uut);
        assert_eq!(uut.word.val().index(), 0x61FF, "data offset 6, flags 0x1FF");
        let (tag, _, bytes) = take(&mut uut);
        assert_eq!((tag, bytes), (0x7A04, b"tcp!".to_vec()));
    }
}
