//! ICMP echo (RFC 792): answers echo requests addressed to our IP, at line rate, without
//! the host.
//!
//! A frame source for the transmit arbiter (see [`TxArbiter`]): the stream is kind 1
//! (ICMP), the message's length, the requester's IP and MAC, then the ICMP echo reply
//! message; ipv4_tx adds the IP header (to the requester's IP) and mac_tx the Ethernet
//! header (to the requester's MAC).
//!
//! Staging: the request's ICMP bytes (`icmp_data`/`icmp_valid`, tapped from the receive
//! pipeline, taken through a register) are written to block RAM as they stream past, already turned into the
//! reply: type 8 becomes 0, and the checksum is updated incrementally (RFC 1624 eqn. 3,
//! HC' = ~(~HC + ~0x0800 + 0x0000)). Everything else (identifier, sequence, payload)
//! is echoed as received. The update needs no adder over the message, only the two
//! checksum bytes, because the receive pipeline has already proved the request's
//! checksum right (a bad one is dropped as icmp_checksum, and the frame is then not
//! answered). Byte-serially: low' = low + b and high' = high + 8 + (b & low == 0xFF),
//! where b = (HC >= 0xF7FF) is the end-around carry, worked out the clock after the low
//! byte arrives, from flip-flops (the byte's compare and the adders are not one path
//! with the receive pipeline's route here). Eqn. 3 assumes the rest of the
//! message is not all zero: for a reply that is all zero but its checksum (identifier 0,
//! sequence 0, payload empty or zeros) it gives 0x0000, which sums to +0 and fails the
//! receiver's check (Linux compares the sum with 0xFFFF); the right checksum is 0xFFFF,
//! so a flag watches for a non-zero byte and the checksum is 0xFFFF without one. The
//! two checksum bytes are written after the message, at the report and the clock after
//! (the write port is idle then), since they depend on bytes that follow them.
//!
//! Replies from what is stored: the reply's destination is written into the buffer's
//! last 12 bytes, the requester's MAC and IP as they stream past (the source MAC at
//! frame byte 6..11, `link_*`; the source IP at IPv4 header byte 12..15, `l3_*`; both
//! counted by the header store's positions), the message's length in the two clocks
//! after the low checksum byte. Nothing of the address is kept in registers, here or
//! in the receive pipeline. The stream then reads the buffer from its kind byte at
//! 0x7F3 to the end and on, the address wrapping, through the message, so the whole
//! stream comes out of block RAM.
//!
//! Commit: at the receive pipeline's report the reply is committed only if the frame
//! was accepted (FCS, IPv4 header, ICMP checksum all good: `report_reason` 0, class 1
//! ICMP), is an echo request (type 8, code 0), untagged (mac_tx sends untagged frames),
//! and addressed to our IP exactly (broadcast pings and, in promiscuous mode, others'
//! pings are accepted by the pipeline but not answered). Other ICMP (echo replies,
//! unreachables, ...) is staged the same way but never committed: no answer; the
//! pipeline counts it among accepted ICMP frames.
//!
//! Ping-pong: two buffers, each addressed as 2 KiB (`{buffer, 11 bits}`), in 6 block RAMs:
//! the longest ICMP message in a 1518-byte frame is 1480 bytes, so a buffer's bytes
//! 0..1023 are in one RAM (`ram`, 2 KiB for both), and 1024 on in another (`tail`, 512
//! bytes a buffer), where the top 512 bytes of the 2 KiB alias the 512 above 1024: the
//! reply's destination at 0x7F3..0x7FF lands at 0x5F3..0x5FF, past any message we
//! answer (a longer one is in a giant frame, dropped, and writes only its own buffer).
//! A reply can go out of one buffer while the next request fills the other. Replies
//! leave in arrival order: a staged reply (`s_*`) waits until the one being sent (`t_*`)
//! is done. Whether a frame is staged is decided at its last destination MAC byte,
//! before its source MAC is written: a frame that then finds both buffers holding
//! replies is not staged; if it turns out to be an echo request for us, `dropped`
//! pulses for the counters. The previous frame's report, its commit and the four
//! writes after it come before that byte: at the receive pipeline's least spacing (one
//! idle clock, then the next preamble) the report comes 10 clocks after a frame's last
//! byte and the next frame's byte 5 reaches the link stream 11 clocks after the report
//! (the commit is a clock after the report and the last of its writes reaches the
//! block RAM five clocks after it, both through flip-flops;
//! `echo_requests_from_many_peers_closest_together` in `sim/tests/echo_arp.rs`).
//!
//! [`TxArbiter`]: crate::board::tx_arbiter::TxArbiter

use crate::block_ram::BlockRam;
use rust_hdl::prelude::*;

/// Where each buffer's stream starts: the kind byte, then the length, the IP and the
/// MAC up to the buffer's end; the read address then wraps to the message at 0.
const KIND_AT: usize = 0x7F3;

#[derive(LogicBlock)]
pub struct IcmpEcho {
    pub clock: Signal<In, Clock>,
    // Receive taps (RxPipeline ports of the same names).
    /// A byte of the ICMP message of the frame being received, with its strobe.
    pub icmp_data: Signal<In, Bits<8>>,
    pub icmp_valid: Signal<In, Bit>,
    pub icmp_type: Signal<In, Bits<8>>,
    pub icmp_code: Signal<In, Bits<8>>,
    /// The frame from its destination MAC (the header store's link stream), with each
    /// byte's position (saturating at 31).
    pub link_data: Signal<In, Bits<8>>,
    pub link_valid: Signal<In, Bit>,
    pub link_pos: Signal<In, Bits<5>>,
    /// The Ethernet payload (`l3`), with each byte's position in it.
    pub l3_data: Signal<In, Bits<8>>,
    pub l3_valid: Signal<In, Bit>,
    pub l3: Signal<In, Bit>,
    pub l3_pos: Signal<In, Bits<5>>,
    /// The destination IP is ours (ipv4_rx compares it as it passes).
    pub ipv4_dst_ours: Signal<In, Bit>,
    pub eth_tagged: Signal<In, Bit>,
    pub report_valid: Signal<In, Bit>,
    pub report_reason: Signal<In, Bits<5>>,
    pub report_class: Signal<In, Bits<2>>,
    // Frame source.
    pub data: Signal<Out, Bits<8>>,
    pub valid: Signal<Out, Bit>,
    pub last: Signal<Out, Bit>,
    pub ready: Signal<In, Bit>,
    /// An echo request for us was not answered: both buffers were full.
    pub dropped: Signal<Out, Bit>,
    ram: BlockRam<Bits<8>, 11>,
    tail: BlockRam<Bits<8>, 10>,
    /// The byte being read is in `tail` (the read address's bit 10, a clock later).
    tail_read: DFF<Bit>,
    /// Write and read ports as one 4 KiB space (buffer, 11 bits), split below.
    wa: Signal<Local, Bits<12>>,
    wd: Signal<Local, Bits<8>>,
    we: Signal<Local, Bit>,
    /// The write port a clock late, from flip-flops: the choice among the writes above
    /// (positions, the checksum, the destination) is then not one path with the block
    /// RAM's setup. Every write moves by the same clock, and nothing reads a buffer
    /// within two clocks of its last write (see `written`).
    wa_r: DFF<Bits<12>>,
    wd_r: DFF<Bits<8>>,
    we_r: DFF<Bit>,
    ra: Signal<Local, Bits<12>>,
    // Staging the frame being received.
    /// Offset of the next ICMP byte in this frame.
    wcount: DFF<Bits<11>>,
    /// This frame's bytes go to buffer `fill` (decided at its destination's last byte).
    storing: DFF<Bit>,
    fill: DFF<Bit>,
    /// The request's checksum, high byte; then the reply's, written at the report.
    csum_hi: DFF<Bits<8>>,
    /// The reply's checksum, low byte, written the clock after the report.
    csum_lo: DFF<Bits<8>>,
    /// The held high byte is above 0xF7, or is 0xF7: decoded as it is stored, so the
    /// carry's compare is off the adders' path.
    hi_above_f7: DFF<Bit>,
    hi_is_f7: DFF<Bit>,
    /// The request's low checksum byte is held in `csum_lo` (and is 0xFF): the update
    /// is made the clock after, from registers alone.
    fold: DFF<Bit>,
    lo_is_ff: DFF<Bit>,
    lo_write: DFF<Bit>,
    /// A byte other than the type and the checksum is not zero.
    nonzero: DFF<Bit>,
    // A committed reply waiting for the sender.
    s_pending: DFF<Bit>,
    s_buf: DFF<Bit>,
    s_len: DFF<Bits<11>>,
    // The reply being sent.
    t_pending: DFF<Bit>,
    t_buf: DFF<Bit>,
    t_final: DFF<Bits<11>>,
    rd: DFF<Bits<11>>,
    /// Writing the committed reply's length into its buffer: the byte at 0x7F0 +
    /// `wlow`, 5 (low) then 4 (high).
    writing: DFF<Bit>,
    wlow: DFF<Bits<4>>,
    /// The RAM's read register holds byte `rd`: one clock after the reply was loaded.
    warm: DFF<Bit>,
    dropped_r: DFF<Bit>,
    room: Signal<Local, Bit>,
    store: Signal<Local, Bit>,
    carry: Signal<Local, Bit>,
    /// The receive report, and whether it is an echo request to answer, a clock late:
    /// the report's decode is then not one path with the commit and its writes.
    reported: DFF<Bit>,
    echo: DFF<Bit>,
    /// `icmp_data` / `icmp_valid` a clock late.
    icmp_byte: DFF<Bits<8>>,
    icmp_strobe: DFF<Bit>,
    commit: Signal<Local, Bit>,
    taken: Signal<Local, Bit>,
    finish: Signal<Local, Bit>,
    rd_next: Signal<Local, Bits<11>>,
    /// The committed buffer's destination is written: the reply is staged.
    written: Signal<Local, Bit>,
    reply_len: Signal<Local, Bits<11>>,
    /// The low four bits of position + 0x7F4 (source MAC byte 0 at 0x7FA) and of
    /// position + 0x7EA (source IP byte 0 at 0x7F6): 4-bit locals, so the Verilog wraps
    /// as Rust does.
    mac_at: Signal<Local, Bits<4>>,
    ip_at: Signal<Local, Bits<4>>,
    /// Frame bytes 6..=11 (the source MAC) and payload bytes 12..=15 (the source IP),
    /// decoded from the positions' bits (no compare on a carry chain).
    at_mac: Signal<Local, Bit>,
    at_ip: Signal<Local, Bit>,
}

impl Default for IcmpEcho {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            icmp_data: Default::default(),
            icmp_valid: Default::default(),
            icmp_type: Default::default(),
            icmp_code: Default::default(),
            link_data: Default::default(),
            link_valid: Default::default(),
            link_pos: Default::default(),
            l3_data: Default::default(),
            l3_valid: Default::default(),
            l3: Default::default(),
            l3_pos: Default::default(),
            ipv4_dst_ours: Default::default(),
            eth_tagged: Default::default(),
            report_valid: Default::default(),
            report_reason: Default::default(),
            report_class: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            last: Default::default(),
            ready: Default::default(),
            dropped: Default::default(),
            // Zeroed, so the Verilog and Rust models read the same before the first write,
            // but for each buffer's kind byte (ICMP), which nothing writes.
            ram: BlockRam::zeroed(),
            tail: BlockRam::new(
                (0..1u64 << 10)
                    .map(|i| {
                        let kind = if i & 0x1FF == (KIND_AT & 0x1FF) as u64 {
                            1u64
                        } else {
                            0
                        };
                        (Bits::<10>::from(i), Bits::<8>::from(kind))
                    })
                    .collect(),
            ),
            tail_read: Default::default(),
            wa: Default::default(),
            wd: Default::default(),
            we: Default::default(),
            wa_r: Default::default(),
            wd_r: Default::default(),
            we_r: Default::default(),
            ra: Default::default(),
            wcount: Default::default(),
            storing: Default::default(),
            fill: Default::default(),
            csum_hi: Default::default(),
            csum_lo: Default::default(),
            hi_above_f7: Default::default(),
            hi_is_f7: Default::default(),
            fold: Default::default(),
            lo_is_ff: Default::default(),
            lo_write: Default::default(),
            nonzero: Default::default(),
            s_pending: Default::default(),
            s_buf: Default::default(),
            s_len: Default::default(),
            t_pending: Default::default(),
            t_buf: Default::default(),
            t_final: Default::default(),
            rd: Default::default(),
            writing: Default::default(),
            wlow: Default::default(),
            warm: Default::default(),
            dropped_r: Default::default(),
            room: Default::default(),
            store: Default::default(),
            carry: Default::default(),
            reported: Default::default(),
            echo: Default::default(),
            icmp_byte: Default::default(),
            icmp_strobe: Default::default(),
            commit: Default::default(),
            taken: Default::default(),
            finish: Default::default(),
            rd_next: Default::default(),
            written: Default::default(),
            reply_len: Default::default(),
            mac_at: Default::default(),
            ip_at: Default::default(),
            at_mac: Default::default(),
            at_ip: Default::default(),
        }
    }
}

impl Logic for IcmpEcho {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            wcount,
            storing,
            fill,
            csum_hi,
            csum_lo,
            hi_above_f7,
            hi_is_f7,
            fold,
            lo_is_ff,
            lo_write,
            nonzero,
            s_pending,
            s_buf,
            s_len,
            t_pending,
            t_buf,
            t_final,
            rd,
            writing,
            wlow,
            tail_read,
            warm,
            dropped_r,
            wa_r,
            wd_r,
            we_r,
            reported,
            echo,
            icmp_byte,
            icmp_strobe
        );
        // The ICMP bytes enter through flip-flops: the receive pipeline's protocol
        // decode and the route here are not one path with this block's decodes.
        self.icmp_byte.d.next = self.icmp_data.val();
        self.icmp_strobe.d.next = self.icmp_valid.val();
        self.ram.read_clock.next = self.clock.val();
        self.ram.write_clock.next = self.clock.val();
        self.tail.read_clock.next = self.clock.val();
        self.tail.write_clock.next = self.clock.val();
        // Replies held: one being sent and one staged (or being written) fill both buffers.
        self.room.next = !((self.s_pending.q.val() | self.lo_write.q.val() | self.writing.q.val())
            & self.t_pending.q.val());
        // --- Staging: the requester's addresses and each ICMP byte into buffer `fill`,
        // the ICMP bytes as the reply's.
        if self.link_valid.val() & (self.link_pos.val() == 5) {
            self.storing.d.next = self.room.val();
        }
        self.store.next = self.storing.q.val();
        // End-around carry of the checksum update: HC >= 0xF7FF (high byte held).
        self.carry.next =
            self.hi_above_f7.q.val() | (self.hi_is_f7.q.val() & self.lo_is_ff.q.val());
        self.fold.d.next = false;
        if self.fold.q.val() {
            self.csum_lo.d.next = self.csum_lo.q.val() + bit_cast::<8, 1>(self.carry.val().into());
            self.csum_hi.d.next = self.csum_hi.q.val()
                + 8
                + bit_cast::<8, 1>((self.carry.val() & self.lo_is_ff.q.val()).into());
        }
        self.wa.next = (bit_cast::<12, 1>(self.fill.q.val().into()) << 11)
            | bit_cast::<12, 11>(self.wcount.q.val());
        self.wd.next = self.icmp_byte.q.val();
        self.we.next = false;
        // Both land in 0x7F0..0x7FF: only the low four bits are added (6..11 + 4 is
        // 0xA..0xF, 12..15 + 10 wraps to 6..9).
        // The two adds written as their bits' XORs (+4: bit 2 flips, bit 3 takes its
        // carry; +10: bits 1 and 3 flip, with the carries out of bits 1 and 2), not carry
        // chains behind the positions (one was a critical path).
        self.mac_at.next = self.link_pos.val().get_bits::<4>(0)
            ^ 4
            ^ (bit_cast::<4, 1>(self.link_pos.val().get_bit(2).into()) << 3);
        self.ip_at.next = self.l3_pos.val().get_bits::<4>(0)
            ^ 10
            ^ (bit_cast::<4, 1>(self.l3_pos.val().get_bit(1).into()) << 2)
            ^ (bit_cast::<4, 1>(
                (self.l3_pos.val().get_bit(2) & self.l3_pos.val().get_bit(1)).into(),
            ) << 3);
        self.at_mac.next = !self.link_pos.val().get_bit(4)
            & ((self.link_pos.val().get_bits::<3>(1) == 3)
                | (self.link_pos.val().get_bits::<3>(1) == 4)
                | (self.link_pos.val().get_bits::<3>(1) == 5));
        self.at_ip.next = self.l3_pos.val().get_bits::<3>(2) == 3;
        if self.link_valid.val() & self.at_mac.val() {
            self.we.next = self.store.val();
            self.wa.next = (bit_cast::<12, 1>(self.fill.q.val().into()) << 11)
                | 0x7F0
                | bit_cast::<12, 4>(self.mac_at.val());
            self.wd.next = self.link_data.val();
        }
        if self.l3_valid.val() & self.l3.val() & self.at_ip.val() {
            self.we.next = self.store.val();
            self.wa.next = (bit_cast::<12, 1>(self.fill.q.val().into()) << 11)
                | 0x7F0
                | bit_cast::<12, 4>(self.ip_at.val());
            self.wd.next = self.l3_data.val();
        }
        if self.icmp_strobe.q.val() {
            self.we.next = self.store.val();
            if self.wcount.q.val() == 0 {
                self.wd.next = 0.into(); // echo reply
            }
            if self.wcount.q.val() == 2 {
                self.csum_hi.d.next = self.icmp_byte.q.val();
                self.hi_above_f7.d.next = self.icmp_byte.q.val().get_bits::<5>(3) == 0x1F; // > 0xF7
                self.hi_is_f7.d.next = self.icmp_byte.q.val() == 0xF7;
            }
            if (self.wcount.q.val() == 1) | (self.wcount.q.val().get_bits::<9>(2) != 0) {
                if self.icmp_byte.q.val() != 0 {
                    self.nonzero.d.next = true;
                }
            }
            if self.wcount.q.val() == 3 {
                self.csum_lo.d.next = self.icmp_byte.q.val();
                self.lo_is_ff.d.next = self.icmp_byte.q.val() == 0xFF;
                self.fold.d.next = true;
            }
            if self.wcount.q.val() != 2047 {
                self.wcount.d.next = self.wcount.q.val() + 1;
            }
        }
        // --- The report: commit the staged reply, or let the next frame overwrite it.
        self.reported.d.next = self.report_valid.val();
        self.echo.d.next = self.report_valid.val()
            & (self.report_reason.val() == 0)
            & (self.report_class.val() == 1)
            & (self.icmp_type.val() == 8)
            & (self.icmp_code.val() == 0)
            & !self.eth_tagged.val()
            & self.ipv4_dst_ours.val();
        // One reply's destination is written at a time (the write port has one).
        self.commit.next = self.echo.q.val()
            & self.storing.q.val()
            & !self.lo_write.q.val()
            & !self.writing.q.val();
        self.dropped_r.d.next = self.echo.q.val() & !self.commit.val();
        if self.reported.q.val() {
            self.wcount.d.next = 0.into();
            self.storing.d.next = false;
            self.nonzero.d.next = false;
        }
        // The checksum, high byte now, low byte in the next clock (`fill` has moved on);
        // then the length, low byte first.
        self.lo_write.d.next = self.commit.val();
        if self.lo_write.q.val() {
            self.we.next = true;
            self.wa.next = (bit_cast::<12, 1>(self.s_buf.q.val().into()) << 11) | 3;
            self.wd.next = self.csum_lo.q.val();
            self.writing.d.next = true;
            self.wlow.d.next = 5.into();
        }
        self.written.next = self.writing.q.val() & (self.wlow.q.val() == 4);
        if self.writing.q.val() {
            self.we.next = true;
            self.wa.next = (bit_cast::<12, 1>(self.s_buf.q.val().into()) << 11)
                | 0x7F0
                | bit_cast::<12, 4>(self.wlow.q.val());
            self.wlow.d.next = self.wlow.q.val() - 1;
            if self.written.val() {
                self.writing.d.next = false;
            }
            // 5: the length's low byte, 4: its high bits.
            self.wd.next = self.s_len.q.val().get_bits::<8>(0);
            if !self.wlow.q.val().get_bit(0) {
                self.wd.next = bit_cast::<8, 3>(self.s_len.q.val().get_bits::<3>(8));
            }
        }
        if self.commit.val() {
            self.we.next = true;
            self.wa.next = (bit_cast::<12, 1>(self.fill.q.val().into()) << 11) | 2;
            self.wd.next = self.csum_hi.q.val();
            if !self.nonzero.q.val() {
                self.wd.next = 0xFF.into();
                self.csum_lo.d.next = 0xFF.into();
            }
            self.fill.d.next = !self.fill.q.val();
            self.s_buf.d.next = self.fill.q.val();
            self.s_len.d.next = self.wcount.q.val();
        }
        // --- Sending: the staged reply moves on once the sender is free. Its stream (see
        // TxArbiter) is the buffer from the kind byte on, through the destination at its
        // end and, the address wrapping, the message from 0.
        self.taken.next = self.warm.q.val() & self.ready.val();
        self.finish.next = self.taken.val() & (self.rd.q.val() == self.t_final.q.val());
        self.s_pending.d.next =
            self.written.val() | (self.s_pending.q.val() & self.t_pending.q.val());
        self.reply_len.next = self.s_len.q.val() - 1;
        if self.s_pending.q.val() & !self.t_pending.q.val() {
            self.t_pending.d.next = true;
            self.t_buf.d.next = self.s_buf.q.val();
            self.t_final.d.next = self.reply_len.val();
        }
        self.rd_next.next = self.rd.q.val();
        if self.taken.val() {
            self.rd_next.next = self.rd.q.val() + 1;
        }
        self.rd.d.next = self.rd_next.val();
        if !self.t_pending.q.val() {
            self.rd.d.next = 0x7F3.into(); // KIND_AT (a named const is no Verilog)
        }
        self.warm.d.next = self.t_pending.q.val() & !self.finish.val();
        if self.finish.val() {
            self.t_pending.d.next = false;
        }
        // First-word-fall-through: the RAM reads the byte after the one being taken.
        self.ra.next = (bit_cast::<12, 1>(self.t_buf.q.val().into()) << 11)
            | bit_cast::<12, 11>(self.rd_next.val());
        // The two RAMs: bits 0..9 address `ram`, 0..8 `tail`, the buffer bit on top.
        self.wa_r.d.next = self.wa.val();
        self.wd_r.d.next = self.wd.val();
        self.we_r.d.next = self.we.val();
        self.ram.write_address.next = (bit_cast::<11, 1>(self.wa_r.q.val().get_bit(11).into())
            << 10)
            | bit_cast::<11, 10>(self.wa_r.q.val().get_bits::<10>(0));
        self.tail.write_address.next = (bit_cast::<10, 1>(self.wa_r.q.val().get_bit(11).into())
            << 9)
            | bit_cast::<10, 9>(self.wa_r.q.val().get_bits::<9>(0));
        self.ram.write_data.next = self.wd_r.q.val();
        self.tail.write_data.next = self.wd_r.q.val();
        self.ram.write_enable.next = self.we_r.q.val() & !self.wa_r.q.val().get_bit(10);
        self.tail.write_enable.next = self.we_r.q.val() & self.wa_r.q.val().get_bit(10);
        self.ram.read_address.next = (bit_cast::<11, 1>(self.ra.val().get_bit(11).into()) << 10)
            | bit_cast::<11, 10>(self.ra.val().get_bits::<10>(0));
        self.tail.read_address.next = (bit_cast::<10, 1>(self.ra.val().get_bit(11).into()) << 9)
            | bit_cast::<10, 9>(self.ra.val().get_bits::<9>(0));
        self.tail_read.d.next = self.ra.val().get_bit(10);
        self.data.next = self.ram.read_data.val();
        if self.tail_read.q.val() {
            self.data.next = self.tail.read_data.val();
        }
        self.valid.next = self.warm.q.val();
        self.last.next = self.rd.q.val() == self.t_final.q.val();
        self.dropped.next = self.dropped_r.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::internet::source_sink::{Frame, Sink};
    use etherparse::checksum::Sum16BitWords;
    use etherparse::{IcmpEchoHeader, Icmpv4Header, Icmpv4Slice, Icmpv4Type};

    const OUR_IP: [u8; 4] = [192, 168, 1, 10];
    const PEER_MAC: [u8; 6] = [0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f];
    const PEER_IP: [u8; 4] = [192, 168, 1, 77];

    /// An echo request built by etherparse (checksum included).
    fn request(id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
        let t = Icmpv4Type::EchoRequest(IcmpEchoHeader { id, seq });
        let mut m = Icmpv4Header::with_checksum(t, payload).to_bytes().to_vec();
        m.extend_from_slice(payload);
        m
    }

    /// What the receive pipeline reports for a frame.
    #[derive(Clone)]
    struct Report {
        reason: u8,
        class: u8,
        dst_ip: [u8; 4],
        tagged: bool,
    }

    const GOOD: Report = Report {
        reason: 0,
        class: 1,
        dst_ip: OUR_IP,
        tagged: false,
    };

    struct Bench {
        uut: IcmpEcho,
        sink: Sink,
        dropped: usize,
        /// The consumer's ready, per clock.
        ready: Box<dyn Fn(usize) -> bool>,
        clock: usize,
    }

    impl Bench {
        fn new() -> Bench {
            let mut uut = IcmpEcho::default();
            uut.connect_all();
            Bench {
                uut,
                sink: Sink::default(),
                dropped: 0,
                ready: Box::new(|_| true),
                clock: 0,
            }
        }

        fn tick(&mut self) {
            self.uut.ready.next = (self.ready)(self.clock);
            simulate(&mut self.uut, 200);
            let u = &self.uut;
            let data = u.data.val().index() as u8;
            self.sink
                .sample(u.valid.val(), u.ready.val(), u.last.val(), data);
            self.dropped += u.dropped.val() as usize;
            crate::tick!(self.uut);
            self.clock += 1;
        }

        fn idle(&mut self, clocks: usize) {
            for _ in 0..clocks {
                self.tick();
            }
        }

        /// A frame as the receive pipeline passes it: the Ethernet header on the link
        /// stream, the IPv4 header on the `l3` stream (the requester's addresses in
        /// both), the ICMP message's bytes on `icmp_valid` (a byte every `every`
        /// clocks), then its report `gap` clocks later; the header registers hold
        /// throughout.
        fn receive(&mut self, m: &[u8], every: usize, gap: usize, r: &Report) {
            let mut eth = vec![0x02, 0, 0, 0x12, 0x34, 0x56];
            eth.extend_from_slice(&PEER_MAC);
            eth.extend_from_slice(&[0x08, 0x00]);
            for (pos, &b) in eth.iter().enumerate() {
                self.uut.link_data.next = (b as u64).into();
                self.uut.link_valid.next = true;
                self.uut.link_pos.next = (pos as u64).into();
                self.tick();
            }
            self.uut.link_valid.next = false;
            let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 1, 0, 0];
            ip.extend_from_slice(&PEER_IP);
            ip.extend_from_slice(&r.dst_ip);
            for (pos, &b) in ip.iter().enumerate() {
                self.uut.l3_data.next = (b as u64).into();
                self.uut.l3_valid.next = true;
                self.uut.l3.next = true;
                self.uut.l3_pos.next = (pos as u64).into();
                self.tick();
            }
            self.uut.l3_valid.next = false;
            self.uut.l3.next = false;
            let u = &mut self.uut;
            u.icmp_type.next = (m[0] as u64).into();
            u.icmp_code.next = (m[1] as u64).into();
            u.ipv4_dst_ours.next = r.dst_ip == OUR_IP;
            u.eth_tagged.next = r.tagged;
            u.report_reason.next = (r.reason as u64).into();
            u.report_class.next = (r.class as u64).into();
            for &b in m {
                self.uut.icmp_data.next = (b as u64).into();
                self.uut.icmp_valid.next = true;
                self.tick();
                self.uut.icmp_valid.next = false;
                self.idle(every - 1);
            }
            self.idle(gap);
            self.uut.report_valid.next = true;
            self.tick();
            self.uut.report_valid.next = false;
        }
    }

    /// The reply answers the request: an echo reply with the same identifier, sequence
    /// and payload, a checksum that sums right (etherparse's sum, not ours), addressed
    /// to the requester.
    fn check_reply(req: &[u8], f: &Frame) {
        let q = Icmpv4Slice::from_slice(req).unwrap();
        let p = Icmpv4Slice::from_slice(&f.bytes).expect("etherparse reads the reply");
        let Icmpv4Type::EchoRequest(asked) = q.icmp_type() else {
            panic!("not a request")
        };
        assert_eq!(p.icmp_type(), Icmpv4Type::EchoReply(asked));
        assert_eq!(p.payload(), q.payload());
        let sum = Sum16BitWords::new().add_slice(&f.bytes).ones_complement();
        assert_eq!(
            sum,
            0,
            "reply checksum {:#06x} does not sum right",
            p.checksum()
        );
        let d = &f.desc;
        assert_eq!(d.dst_mac, PEER_MAC);
        assert_eq!(d.dst_ip, PEER_IP);
        assert_eq!((d.ethertype, d.wrap_ip, d.protocol), (0x0800, true, 1));
        assert_eq!(d.l4_len as usize, req.len());
    }

    #[test]
    fn answers_echo_requests_of_every_size() {
        let mut b = Bench::new();
        let mut reqs = vec![];
        for (i, len) in [0usize, 1, 2, 3, 7, 56, 57, 555, 1472]
            .into_iter()
            .enumerate()
        {
            let payload: Vec<u8> = (0..len).map(|k| (k * 7 + i) as u8).collect();
            let req = request(0x1234 + i as u16, i as u16, &payload);
            b.receive(&req, 1, 6, &GOOD);
            b.idle(60);
            reqs.push(req);
        }
        b.idle(1600);
        assert_eq!(b.sink.frames.len(), reqs.len());
        for (req, f) in reqs.iter().zip(&b.sink.frames) {
            check_reply(req, f);
        }
        assert_eq!(b.dropped, 0);
    }

    /// Request checksums around the end-around carry of the update (HC >= 0xF7FF) and
    /// the low byte 0xFF, chosen through a two-byte payload.
    #[test]
    fn checksum_update_corners() {
        let mut b = Bench::new();
        b.ready = Box::new(|c| c % 2 == 0);
        let mut reqs = vec![];
        for hc in [
            0x0000u16, 0x0001, 0x00FF, 0x07FF, 0x0800, 0xF6FF, 0xF7FE, 0xF7FF, 0xF800, 0xF8FF,
            0xFEFF, 0xFF00, 0xFFFE,
        ] {
            let w = (0..=0xFFFFu16)
                .find(|w| {
                    Icmpv4Slice::from_slice(&request(0, 0, &w.to_be_bytes()))
                        .unwrap()
                        .checksum()
                        == hc
                })
                .unwrap();
            let req = request(0, 0, &w.to_be_bytes());
            b.receive(&req, 1, 6, &GOOD);
            b.idle(60); // a reply streams at half rate: 2 × (13 + its length) clocks
            reqs.push(req);
        }
        // All zero but the checksum, where eqn. 3 alone would give 0x0000 (+0); and
        // the same checksum over non-zero data, where 0x0000 is right.
        for req in [
            request(0, 0, &[]),
            request(0, 0, &[0; 5]),
            request(0xFFFF, 0, &[]),
        ] {
            b.receive(&req, 1, 6, &GOOD);
            b.idle(60); // a reply streams at half rate: 2 × (13 + its length) clocks
            reqs.push(req);
        }
        assert_eq!(b.sink.frames.len(), reqs.len());
        for (req, f) in reqs.iter().zip(&b.sink.frames) {
            check_reply(req, f);
        }
        let n = reqs.len();
        assert_eq!(&b.sink.frames[n - 3].bytes[2..4], &[0xFF, 0xFF]);
        assert_eq!(&b.sink.frames[n - 1].bytes[2..4], &[0, 0]);
    }

    #[test]
    fn only_accepted_echo_requests_for_us_are_answered() {
        let mut b = Bench::new();
        let req = request(1, 2, b"abcdefgh");
        for r in [
            Report { reason: 1, ..GOOD },  // FCS
            Report { reason: 20, ..GOOD }, // icmp_checksum
            Report { class: 2, ..GOOD },
            Report {
                dst_ip: [255; 4],
                ..GOOD
            },
            Report {
                dst_ip: [192, 168, 1, 11],
                ..GOOD
            },
            Report {
                tagged: true,
                ..GOOD
            },
        ] {
            b.receive(&req, 1, 6, &r);
            b.idle(60);
        }
        // Other ICMP: an echo reply, a destination unreachable.
        let t = Icmpv4Type::EchoReply(IcmpEchoHeader { id: 1, seq: 2 });
        let reply = Icmpv4Header::with_checksum(t, &[]).to_bytes().to_vec();
        b.receive(&reply, 1, 6, &GOOD);
        let mut unreachable = reply.clone();
        unreachable[0] = 3;
        b.receive(&unreachable, 1, 6, &GOOD);
        b.idle(60);
        assert!(b.sink.frames.is_empty());
        assert_eq!(b.dropped, 0);
        // Then a good one is answered, from whatever buffer is next.
        b.receive(&req, 1, 6, &GOOD);
        b.idle(60);
        assert_eq!(b.sink.frames.len(), 1);
        check_reply(&req, &b.sink.frames[0]);
    }

    #[test]
    fn bytes_with_gaps_and_a_slow_consumer() {
        // The PHY may deliver a byte every few clocks; the consumer may stall.
        let mut b = Bench::new();
        b.ready = Box::new(|c| c % 5 < 2);
        let reqs: Vec<Vec<u8>> = (0..4)
            .map(|i| request(i, i, &vec![0xA5 ^ i as u8; 100 + i as usize]))
            .collect();
        for r in &reqs {
            b.receive(r, 4, 10, &GOOD);
        }
        b.idle(2000);
        assert_eq!(b.sink.frames.len(), 4);
        for (req, f) in reqs.iter().zip(&b.sink.frames) {
            check_reply(req, f);
        }
    }

    #[test]
    fn both_buffers_full_drops_and_counts() {
        let mut b = Bench::new();
        b.ready = Box::new(|_| false);
        let reqs: Vec<Vec<u8>> = (0..5).map(|i| request(7, i, &[i as u8; 64])).collect();
        for r in &reqs {
            b.receive(r, 1, 6, &GOOD);
            b.idle(30);
        }
        // Two staged, three dropped; release the consumer: exactly the first two leave.
        assert_eq!(b.dropped, 3);
        b.ready = Box::new(|_| true);
        b.idle(400);
        assert_eq!(b.sink.frames.len(), 2);
        check_reply(&reqs[0], &b.sink.frames[0]);
        check_reply(&reqs[1], &b.sink.frames[1]);
        // Room again.
        b.receive(&reqs[4], 1, 6, &GOOD);
        b.idle(100);
        assert_eq!(b.sink.frames.len(), 3);
        check_reply(&reqs[4], &b.sink.frames[2]);
    }
}
