//! The header of the IP payload, one block for its three cases: TCP (RFC 9293 §3.1),
//! UDP (RFC 768) and ICMP (RFC 792: an internet-layer message, but carried as IP's
//! payload like the other two). Their headers have one shape — two 16-bit words, then
//! a 32-bit one (TCP's sequence number, UDP's length and checksum, ICMP's identifier
//! and sequence) — so one position, one checksum sum and one set of registers serve all
//! three; what differs is the header's length and the checks at the end. The checksum
//! adder here sums what the IP block marks (`sum_*`): the pseudo-header as the IP
//! header passes (none for ICMP), then the message.
//!
//! Registers hold only what decides or what the host's message and the board's echo
//! replies need: the source port (ICMP's type and code), the data offset, the NS
//! flag, the options the message carries, the checksum, the UDP length compared with
//! IP's as it streams past. Where a byte is comes from the header store's count of the
//! IP payload (`pos`), not a counter of its own; whether the header runs beyond the
//! segment, from where the segment ends, not from a compare with IP's length. The rest of the header a report shows (destination port,
//! sequence and acknowledgment numbers, flags, window, urgent pointer, timestamp
//! values) is read from the header store (`crate::rx_header_store`), which this block
//! tells where the timestamp values are (`option_write`). The payload length a report
//! shows follows from the header store too (IP's total length, less IP's header and
//! this one's), so it is not computed here.
//!
//! TCP options parsed: MSS (2), window scale (3), SACK-permitted (4), timestamps (8);
//! each counts only with its exact length. Unknown options are skipped by their
//! length; an end-of-list or a length below 2 stops the parse (the bytes still reach
//! the host). `body` marks what the host receives: TCP's options and payload (so it can
//! read options the hardware does not, SACK blocks), UDP's payload, ICMP's bytes
//! 4..=63 (RxIcmp carries errors: the rest of the header and the quoted datagram). A zero UDP checksum
//! means the sender computed none, and passes.
//!
//! `reason` (final three clocks after `last` until the next frame, valid then only):
//! tcp_header (15: data offset below 5, or beyond the segment) > tcp_checksum (16);
//! udp_length (17: under 8, or not the IP payload length) > udp_checksum (18);
//! icmp_length (19: under the 8-byte header) > icmp_checksum (20).

use crate::internet::checksum::OnesCheck;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct TransportRx {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    pub l4: Signal<In, Bit>,
    /// Position of this byte in the IP payload (the header store's count, saturating
    /// at 127): the one count the message writer and the store use too.
    pub pos: Signal<In, Bits<7>>,
    pub l4_parse: Signal<In, Bit>,
    /// The IP protocol, decoded by `Ipv4Rx` as it stored it: TCP, UDP, ICMP.
    pub is_tcp: Signal<In, Bit>,
    pub is_udp: Signal<In, Bit>,
    pub is_icmp: Signal<In, Bit>,
    pub l4_len: Signal<In, Bits<16>>,
    /// The checksum's bytes, decided by the IP block (`Ipv4Rx::sum_add`): the
    /// pseudo-header's as the IP header passes (none for ICMP), then the payload's.
    pub sum_data: Signal<In, Bits<8>>,
    pub sum_add: Signal<In, Bit>,
    pub sum_high: Signal<In, Bit>,
    pub sum_start: Signal<In, Bit>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_last: Signal<Out, Bit>,
    /// This beat goes to the host: TCP options or payload, UDP payload.
    pub body: Signal<Out, Bit>,
    /// Bytes 0–1: the source port (ICMP: type and code).
    pub src_port: Signal<Out, Bits<16>>,
    /// Header length in bytes (data offset × 4).
    pub header_len: Signal<Out, Bits<8>>,
    /// TCP's NS flag (the one flag outside byte 13, for the host's message).
    pub ns: Signal<Out, Bit>,
    pub checksum_ok: Signal<Out, Bit>,
    pub mss: Signal<Out, Bits<16>>,
    pub mss_present: Signal<Out, Bit>,
    pub window_scale: Signal<Out, Bits<8>>,
    pub window_scale_present: Signal<Out, Bit>,
    pub sack_permitted: Signal<Out, Bit>,
    pub timestamps_present: Signal<Out, Bit>,
    /// This beat is byte `option_index` of the timestamps option's value (for the
    /// header store).
    pub option_write: Signal<Out, Bit>,
    pub option_index: Signal<Out, Bits<3>>,
    /// The source port register under ICMP's names.
    pub icmp_type: Signal<Out, Bits<8>>,
    pub icmp_code: Signal<Out, Bits<8>>,
    /// The fixed header arrived (20 bytes for TCP, 8 for UDP and ICMP): the frame
    /// reports this layer.
    pub done: Signal<Out, Bit>,
    pub reason: Signal<Out, Bits<5>>,
    pub sum: OnesCheck,
    /// The next byte is inside the TCP options (20 up to the header length): a
    /// flip-flop, set at byte 19 and cleared at the header's last byte, so the option
    /// walker (on the receive path's longest) starts from it. Still set after the
    /// segment's last byte when the header runs beyond the segment.
    in_opts: DFF<Bit>,
    /// TCP's data offset (the header length in 32-bit words).
    doff: DFF<Bits<4>>,
    mid_frame: DFF<Bit>,
    /// Bytes 0 and 1, each loaded as it passes.
    src_hi: DFF<Bits<8>>,
    src_lo: DFF<Bits<8>>,
    ns_r: DFF<Bit>,
    /// UDP's checksum field is zero: its high byte (the byte before), then both.
    zero_hi: DFF<Bit>,
    no_checksum: DFF<Bit>,
    /// UDP's length field equals IP's payload length: its high byte (the byte
    /// before), then both.
    udp_len_hi_ok: DFF<Bit>,
    udp_len_ok: DFF<Bit>,
    // Option parser: 0 kind, 1 length, 2 data, 3 stopped. The kind is kept only as
    // which of the four parsed ones it is; the value bytes left count down to the
    // option's end, and where they are in the value follows from that.
    opt_state: DFF<Bits<2>>,
    kind_mss: DFF<Bit>,
    kind_ws: DFF<Bit>,
    kind_sack: DFF<Bit>,
    kind_ts: DFF<Bit>,
    opt_left: DFF<Bits<6>>,
    opt_len_ok: DFF<Bit>,
    mss_r: DFF<Bits<16>>,
    mss_p: DFF<Bit>,
    ws_r: DFF<Bits<8>>,
    ws_p: DFF<Bit>,
    sack_p: DFF<Bit>,
    ts_p: DFF<Bit>,
    done_r: DFF<Bit>,
    reason_r: DFF<Bits<5>>,
    out_data_r: DFF<Bits<8>>,
    out_valid_r: DFF<Bit>,
    out_last_r: DFF<Bit>,
    body_r: DFF<Bit>,
    /// The data offset less one, in the position's word units (bits 6..2).
    doff_m1: Signal<Local, Bits<5>>,
    in_options: Signal<Local, Bit>,
}

impl Logic for TransportRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            in_opts,
            doff,
            mid_frame,
            src_hi,
            src_lo,
            ns_r,
            zero_hi,
            no_checksum,
            udp_len_hi_ok,
            udp_len_ok,
            opt_state,
            kind_mss,
            kind_ws,
            kind_sack,
            kind_ts,
            opt_left,
            opt_len_ok,
            mss_r,
            mss_p,
            ws_r,
            ws_p,
            sack_p,
            ts_p,
            done_r,
            reason_r,
            out_data_r,
            out_valid_r,
            out_last_r,
            body_r
        );
        self.doff_m1.next = bit_cast::<5, 4>(self.doff.q.val()) - 1;
        self.in_options.next = self.in_opts.q.val() & self.is_tcp.val();
        self.sum.clock.next = self.clock.val();
        self.sum.data.next = self.sum_data.val();
        self.sum.high.next = self.sum_high.val();
        self.sum.clear.next = self.sum_start.val();
        self.sum.enable.next = self.sum_add.val();
        self.out_data_r.d.next = self.data.val();
        self.out_valid_r.d.next = self.valid.val();
        self.out_last_r.d.next = self.valid.val() & self.last.val();
        self.body_r.d.next = false;
        self.option_write.next = self.valid.val()
            & self.l4.val()
            & self.in_options.val()
            & (self.opt_state.q.val() == 2)
            & self.opt_len_ok.q.val()
            & self.kind_ts.q.val();
        // The timestamps' value is 8 bytes: byte 8 − (bytes left).
        self.option_index.next = (!self.opt_left.q.val().get_bits::<3>(0)) + 1;
        if self.valid.val() {
            self.mid_frame.d.next = !self.last.val();
        }
        // The high bytes' compares, loaded every clock (not held): read only at the
        // next byte, positions 5 and 7, a clock later on a frame's consecutive beats.
        self.udp_len_hi_ok.d.next = self.data.val() == self.l4_len.val().get_bits::<8>(8);
        self.zero_hi.d.next = self.data.val() == 0;
        // The value bytes left: loaded from the length byte (state 1), counted down in
        // the value (state 2). Not held: what it holds outside an option's value is
        // never read (an option's bytes are consecutive beats).
        if self.opt_state.q.val() == 2 {
            self.opt_left.d.next = self.opt_left.q.val() - 1;
        } else {
            self.opt_left.d.next = self.data.val().get_bits::<6>(0) - 2;
        }
        if self.valid.val() & !self.mid_frame.q.val() {
            self.in_opts.d.next = false;
            self.done_r.d.next = false;
        }
        if self.valid.val() & self.l4.val() {
            // Options begin after byte 19 when the data offset is above 5, and end with
            // the header's last byte, 4 × data offset − 1. The data offset is known from
            // byte 12 on.
            if self.pos.val() == 19 {
                // > 5, from bits (compares with a constant are carry chains).
                self.in_opts.d.next =
                    self.doff.q.val().get_bit(3) | (self.doff.q.val().get_bits::<2>(1) == 3);
            } else if (self.pos.val().get_bits::<2>(0) == 3)
                & (self.pos.val().get_bits::<5>(2) == self.doff_m1.val())
            {
                self.in_opts.d.next = false;
            }
            // Option results are cleared where the segment starts, not where the frame
            // starts: the FIFO reads them while it seals the message, up to 15 clocks
            // after the frame ends, when the next frame may already have begun.
            if self.pos.val() == 0 {
                self.opt_state.d.next = 0.into();
                self.mss_p.d.next = false;
                self.ws_p.d.next = false;
                self.sack_p.d.next = false;
                self.ts_p.d.next = false;
                self.src_hi.d.next = self.data.val();
            }
            if self.pos.val() == 1 {
                self.src_lo.d.next = self.data.val();
            }
            if self.pos.val() == 5 {
                self.udp_len_ok.d.next = self.udp_len_hi_ok.q.val()
                    & (self.data.val() == self.l4_len.val().get_bits::<8>(0));
            }
            if self.pos.val() == 7 {
                self.no_checksum.d.next = self.zero_hi.q.val() & (self.data.val() == 0);
                if !self.is_tcp.val() {
                    self.done_r.d.next = true;
                }
            }
            if self.pos.val() == 12 {
                self.doff.d.next = self.data.val().get_bits::<4>(4);
                self.ns_r.d.next = self.data.val().get_bit(0);
            }
            if self.pos.val() == 19 {
                self.done_r.d.next = true;
            }
            if self.in_options.val() {
                if self.opt_state.q.val() == 0 {
                    // Kind: 0 ends the list, 1 is a one-byte NOP.
                    if self.data.val() == 0 {
                        self.opt_state.d.next = 3.into();
                    } else if self.data.val() != 1 {
                        self.kind_mss.d.next = self.data.val() == 2;
                        self.kind_ws.d.next = self.data.val() == 3;
                        self.kind_sack.d.next = self.data.val() == 4;
                        self.kind_ts.d.next = self.data.val() == 8;
                        self.opt_state.d.next = 1.into();
                    }
                } else if self.opt_state.q.val() == 1 {
                    self.opt_len_ok.d.next = (self.kind_mss.q.val() & (self.data.val() == 4))
                        | (self.kind_ws.q.val() & (self.data.val() == 3))
                        | (self.kind_ts.q.val() & (self.data.val() == 10));
                    if self.data.val().get_bits::<7>(1) == 0 {
                        self.opt_state.d.next = 3.into();
                    } else if self.data.val() == 2 {
                        if self.kind_sack.q.val() {
                            self.sack_p.d.next = true;
                        }
                        self.opt_state.d.next = 0.into();
                    } else if self.data.val().get_bits::<2>(6) != 0 {
                        // 64 bytes or more cannot end inside the options (40 at
                        // most): nothing after it is parsed, as if walked to the end.
                        self.opt_state.d.next = 3.into();
                    } else {
                        self.opt_state.d.next = 2.into();
                    }
                } else if self.opt_state.q.val() == 2 {
                    if self.opt_left.q.val() == 1 {
                        self.opt_state.d.next = 0.into();
                    }
                    if self.opt_len_ok.q.val() {
                        if self.kind_mss.q.val() {
                            self.mss_r.d.next =
                                (self.mss_r.q.val() << 8) | bit_cast::<16, 8>(self.data.val());
                            if self.opt_left.q.val() == 1 {
                                self.mss_p.d.next = true;
                            }
                        }
                        if self.kind_ws.q.val() {
                            self.ws_r.d.next = self.data.val();
                            self.ws_p.d.next = true;
                        }
                        if self.kind_ts.q.val() & (self.opt_left.q.val() == 1) {
                            self.ts_p.d.next = true;
                        }
                    }
                }
            }
            // ICMP: the message's bytes 4..=63 (an error's next-hop MTU, then the
            // datagram it quotes; type, code and checksum go where UDP's ports do, as
            // fields, which a body byte in the same clock would overwrite). Bounded so
            // that the host can keep one RxIcmp record aside in the FIFO.
            self.body_r.d.next = self.l4_parse.val()
                & ((self.is_tcp.val()
                    & ((self.pos.val().get_bits::<2>(5) != 0)
                        | (self.pos.val().get_bit(4) & (self.pos.val().get_bits::<2>(2) != 0))))
                    | (self.is_udp.val() & (self.pos.val().get_bits::<4>(3) != 0))
                    | (self.is_icmp.val()
                        & !self.pos.val().get_bit(6)
                        & (self.pos.val().get_bits::<4>(2) != 0)));
        }
        // Loaded every clock, not held (a held bit costs a LUT where blocks are
        // synthesized apart): valid from two clocks after the last beat until the next
        // frame, what it decides on being final by then, which is when the verdict
        // reads it (three clocks after `out_last`).
        self.reason_r.d.next = 0.into();
        if self.l4_parse.val() {
            if self.is_tcp.val() {
                // The header beyond the segment: still inside the options at its end.
                if !self.done_r.q.val()
                    | !(self.doff.q.val().get_bit(3)
                        | (self.doff.q.val().get_bit(2)
                            & (self.doff.q.val().get_bits::<2>(0) != 0)))
                    | self.in_opts.q.val()
                {
                    self.reason_r.d.next = 15.into(); // tcp_header
                } else if !self.sum.ok.val() {
                    self.reason_r.d.next = 16.into(); // tcp_checksum
                }
            }
            if self.is_udp.val() {
                // Done means 8 bytes arrived, so a length equal to IP's is at least 8.
                if !self.done_r.q.val() | !self.udp_len_ok.q.val() {
                    self.reason_r.d.next = 17.into(); // udp_length
                } else if !self.sum.ok.val() & !self.no_checksum.q.val() {
                    self.reason_r.d.next = 18.into(); // udp_checksum
                }
            }
            if self.is_icmp.val() {
                if !self.done_r.q.val() {
                    self.reason_r.d.next = 19.into(); // icmp_length
                } else if !self.sum.ok.val() {
                    self.reason_r.d.next = 20.into(); // icmp_checksum
                }
            }
        }
        self.out_data.next = self.out_data_r.q.val();
        self.out_valid.next = self.out_valid_r.q.val();
        self.out_last.next = self.out_last_r.q.val();
        self.body.next = self.body_r.q.val();
        self.src_port.next =
            (bit_cast::<16, 8>(self.src_hi.q.val()) << 8) | bit_cast::<16, 8>(self.src_lo.q.val());
        self.header_len.next = bit_cast::<8, 4>(self.doff.q.val()) << 2;
        self.ns.next = self.ns_r.q.val();
        self.checksum_ok.next = self.sum.ok.val() | (self.is_udp.val() & self.no_checksum.q.val());
        self.mss.next = self.mss_r.q.val();
        self.mss_present.next = self.mss_p.q.val();
        self.window_scale.next = self.ws_r.q.val();
        self.window_scale_present.next = self.ws_p.q.val();
        self.sack_permitted.next = self.sack_p.q.val();
        self.timestamps_present.next = self.ts_p.q.val();
        self.icmp_type.next = self.src_hi.q.val();
        self.icmp_code.next = self.src_lo.q.val();
        self.done.next = self.done_r.q.val();
        self.reason.next = self.reason_r.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::internet::checksum::ones_sum;

    /// One block, frames back to back: what one case leaves in the shared registers
    /// (options, header length, the UDP length in `seq`) must not leak into the next.
    #[test]
    fn the_three_cases_back_to_back_in_one_block() {
        let tcp_opts = tcp::segment(10, 0x002, &tcp::ALL_OPTIONS, &[7; 9]);
        let udp = udp::datagram(&[1, 2, 3, 4, 5]);
        let icmp = icmp::echo(&[9; 20]);
        let tcp_plain = tcp::segment(5, 0x010, &[], &[0x55; 30]);
        let icmp_long = icmp::echo(&[7; 100]);
        let frames: [(u8, &[u8], u64); 6] = [
            (6, &tcp_opts, ones_sum(&tcp::pseudo(tcp_opts.len())) as u64),
            (17, &udp, ones_sum(&udp::pseudo(udp.len())) as u64),
            (1, &icmp, 0),
            (
                6,
                &tcp_plain,
                ones_sum(&tcp::pseudo(tcp_plain.len())) as u64,
            ),
            (17, &udp, ones_sum(&udp::pseudo(udp.len())) as u64),
            (1, &icmp_long, 0),
        ];
        let mut uut = TransportRx::default();
        uut.connect_all();
        uut.l4_parse.next = true;
        for (k, (protocol, l4, pseudo_sum)) in frames.iter().enumerate() {
            uut.is_tcp.next = *protocol == 6;
            uut.is_udp.next = *protocol == 17;
            uut.is_icmp.next = *protocol == 1;
            uut.l4_len.next = (l4.len() as u64).into();
            let n = 34 + l4.len();
            let mut body = 0;
            for i in 0..n + 4 {
                uut.valid.next = i < n;
                uut.data.next = (if i < 34 {
                    i as u64
                } else {
                    l4.get(i - 34).map_or(0, |&b| b as u64)
                })
                .into();
                uut.l4.next = (34..n).contains(&i);
                uut.pos.next = position(uut.l4.next, i);
                uut.last.next = i + 1 == n;
                drive_sum(&mut uut, i, *pseudo_sum, l4);
                crate::tick!(uut);
                body += uut.body.val() as usize;
            }
            assert_eq!(uut.reason.val().index(), 0, "frame {k}");
            assert!(uut.done.val() && uut.checksum_ok.val(), "frame {k}");
            match k {
                0 => {
                    assert!(uut.mss_present.val() && uut.timestamps_present.val());
                    assert_eq!(body, 20 + 9);
                }
                1 | 4 => {
                    assert_eq!(uut.src_port.val().index(), 12345);
                    assert_eq!(body, 5);
                }
                2 => {
                    assert_eq!(uut.icmp_type.val().index(), 8);
                    // The message after its first four bytes (RxIcmp's body).
                    assert_eq!(body, 24);
                }
                5 => {
                    // Bounded: bytes 4..=63 of 108.
                    assert_eq!(uut.icmp_type.val().index(), 8);
                    assert_eq!(body, 60);
                }
                _ => {
                    assert_eq!(uut.header_len.val().index(), 20);
                    assert!(!uut.mss_present.val() && !uut.timestamps_present.val());
                    assert!(!uut.window_scale_present.val() && !uut.sack_permitted.val());
                    assert_eq!(body, 30);
                }
            }
        }
    }

    /// The IP payload position of beat `i` as the header store counts it (payload from
    /// beat 34, saturating at 127; 0 outside it).
    fn position(l4: bool, i: usize) -> Bits<7> {
        (if l4 { (i - 34).min(127) as u64 } else { 0 }).into()
    }

    /// The checksum bus as the IP block drives it, for 34 header beats and then the
    /// IP payload `l4` from beat 34: starting at beat 0, `pseudo` (the pseudo-header's
    /// sum, 0 for ICMP; unfolded is fine) as one word at beats 1 and 2, then every
    /// payload byte.
    fn drive_sum(uut: &mut TransportRx, i: usize, pseudo: u64, l4: &[u8]) {
        let mut folded = pseudo;
        while folded > 0xFFFF {
            folded = (folded & 0xFFFF) + (folded >> 16);
        }
        uut.sum_start.next = i == 0;
        uut.sum_add.next = (i == 1) | (i == 2) | (34..34 + l4.len()).contains(&i);
        uut.sum_high.next = i == 1 || (i >= 34 && (i - 34) % 2 == 0);
        let byte = match i {
            1 => folded >> 8,
            2 => folded & 0xFF,
            _ => i
                .checked_sub(34)
                .and_then(|k| l4.get(k))
                .map_or(0, |&b| b as u64),
        };
        uut.sum_data.next = byte.into();
    }

    pub(super) struct Run {
        pub uut: TransportRx,
        /// Offsets (in the IP payload) of the beats marked `body`.
        pub body: Vec<usize>,
        /// Offsets of the beats marked `option_write`, with their `option_index`.
        pub timestamps: Vec<(usize, u8)>,
    }

    /// Runs an IP payload through a fresh block: 34 header beats (not l4), the payload
    /// as l4, then `pad` padding beats (not l4), checking that every beat passes
    /// through unchanged.
    pub(super) fn run(
        l4: &[u8],
        protocol: u8,
        l4_parse: bool,
        l4_len: usize,
        pseudo_sum: u64,
        pad: usize,
    ) -> Run {
        let mut uut = TransportRx::default();
        uut.connect_all();
        uut.l4_parse.next = l4_parse;
        uut.is_tcp.next = protocol == 6;
        uut.is_udp.next = protocol == 17;
        uut.is_icmp.next = protocol == 1;
        uut.l4_len.next = (l4_len as u64).into();
        let mut beats: Vec<(u8, bool)> = (0..34).map(|i| (i as u8, false)).collect();
        beats.extend(l4.iter().map(|&b| (b, true)));
        beats.extend((0..pad).map(|_| (0xEE, false)));
        let n = beats.len();
        let mut body = vec![];
        let mut timestamps = vec![];
        let mut k = 0;
        for i in 0..n + 4 {
            uut.valid.next = i < n;
            uut.data.next = (beats.get(i).map_or(0, |b| b.0) as u64).into();
            uut.l4.next = beats.get(i).is_some_and(|b| b.1);
            uut.pos.next = position(uut.l4.next, i);
            uut.last.next = i + 1 == n;
            drive_sum(&mut uut, i, pseudo_sum, l4);
            // Settle before the edge: `option_write` describes the beat going in.
            uut.clock.next = false.into();
            assert!(simulate(&mut uut, 200));
            if uut.option_write.val() {
                timestamps.push((i - 34, uut.option_index.val().index() as u8));
            }
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
        Run {
            uut,
            body,
            timestamps,
        }
    }

    mod tcp {
        use super::{run, Run};
        use crate::internet::checksum::ones_sum;

        const SRC_IP: [u8; 4] = [10, 0, 0, 7];
        const DST_IP: [u8; 4] = [192, 168, 1, 10];

        pub(super) fn pseudo(len: usize) -> Vec<u8> {
            let mut p = SRC_IP.to_vec();
            p.extend_from_slice(&DST_IP);
            p.extend_from_slice(&[0, 6, (len >> 8) as u8, len as u8]);
            p
        }

        /// A segment with data offset `doff` (options padded with zeros to fill it, or cut).
        pub(super) fn segment(doff: u8, flags: u16, options: &[u8], payload: &[u8]) -> Vec<u8> {
            let mut s = vec![0x04, 0xD2, 0x1F, 0x90]; // ports 1234 -> 8080
            s.extend_from_slice(&0x0102_0304u32.to_be_bytes());
            s.extend_from_slice(&0xA0B0_C0D0u32.to_be_bytes());
            s.push(doff << 4 | (flags >> 8) as u8 & 1);
            s.push(flags as u8);
            s.extend_from_slice(&[0xFA, 0xF0, 0, 0, 0x00, 0x2A]); // window, checksum, urgent
            let hlen = (doff as usize * 4).max(20);
            let mut opts = options.to_vec();
            opts.resize(hlen - 20, 0);
            s.extend_from_slice(&opts);
            s.extend_from_slice(payload);
            let mut all = pseudo(s.len());
            all.extend_from_slice(&s);
            let csum = !ones_sum(&all);
            s[16..18].copy_from_slice(&csum.to_be_bytes());
            s
        }

        fn receive_with(
            seg: &[u8],
            l4_len: usize,
            pseudo_sum: u64,
            protocol: u8,
            pad: usize,
        ) -> Run {
            run(seg, protocol, true, l4_len, pseudo_sum, pad)
        }

        fn receive(seg: &[u8]) -> Run {
            receive_with(seg, seg.len(), ones_sum(&pseudo(seg.len())) as u64, 6, 0)
        }

        pub(super) const ALL_OPTIONS: [u8; 20] = [
            2, 4, 0x05, 0xB4, // MSS 1460
            1,    // NOP
            3, 3, 7, // window scale 7
            4, 2, // SACK permitted
            8, 10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, // timestamps
        ];

        #[test]
        fn fields_and_payload() {
            let payload: Vec<u8> = (0..13).collect();
            let r = receive(&segment(5, 0x018, &[], &payload));
            let u = &r.uut;
            assert_eq!(u.src_port.val().index(), 1234);
            assert_eq!(u.header_len.val().index(), 20);
            assert!(!u.ns.val());
            assert!(u.checksum_ok.val());
            assert!(u.done.val());
            assert!(!u.mss_present.val() && !u.window_scale_present.val());
            assert!(!u.sack_permitted.val() && !u.timestamps_present.val());
            assert_eq!(u.reason.val().index(), 0);
            assert_eq!(r.body, (20..33).collect::<Vec<_>>());
        }

        #[test]
        fn each_flag_bit() {
            // NS, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN from bit 8 down to bit 0: NS
            // (in byte 12) is kept for the host's message, the others reach it in place.
            for bit in 0..9 {
                let r = receive(&segment(5, 1 << bit, &[], &[]));
                assert_eq!(r.uut.ns.val(), bit == 8);
                assert_eq!(r.uut.reason.val().index(), 0);
                assert_eq!(r.uut.header_len.val().index(), 20);
            }
            let r = receive(&segment(5, 0x1FF, &[], &[]));
            assert!(r.uut.ns.val());
        }

        #[test]
        fn options_are_parsed_and_reach_the_host() {
            let payload = [0xAB; 5];
            let r = receive(&segment(10, 0x002, &ALL_OPTIONS, &payload));
            let u = &r.uut;
            assert_eq!(u.header_len.val().index(), 40);
            assert!(u.mss_present.val());
            assert_eq!(u.mss.val().index(), 1460);
            assert!(u.window_scale_present.val());
            assert_eq!(u.window_scale.val().index(), 7);
            assert!(u.sack_permitted.val());
            assert!(u.timestamps_present.val());
            assert_eq!(u.reason.val().index(), 0);
            // Options and payload are body.
            assert_eq!(r.body, (20..45).collect::<Vec<_>>());
            // The timestamps' value bytes (after MSS, NOP, window scale, SACK-permitted
            // and the option's kind and length) are marked for the header store.
            assert_eq!(r.timestamps, (32..40).zip(0..8).collect::<Vec<_>>());
        }

        #[test]
        fn unknown_options_are_skipped_by_length() {
            // An unknown kind 30 of length 6, a SACK block (kind 5, length 10), then MSS.
            let opts = [
                30, 6, 2, 4, 0x12, 0x34, 5, 10, 3, 3, 9, 9, 9, 9, 9, 9, 1, 1, 1, 1, 2, 4, 0x02,
                0x18,
            ];
            let r = receive(&segment(11, 0x010, &opts, &[]));
            assert!(r.uut.mss_present.val());
            assert_eq!(r.uut.mss.val().index(), 0x0218);
            assert!(!r.uut.window_scale_present.val());
            assert_eq!(r.uut.reason.val().index(), 0);
            assert_eq!(r.body, (20..44).collect::<Vec<_>>());
        }

        #[test]
        fn end_of_list_and_short_length_stop_the_parse() {
            let r = receive(&segment(7, 0x002, &[0, 0, 0, 0, 2, 4, 0x05, 0xB4], &[]));
            assert!(!r.uut.mss_present.val());
            assert_eq!(r.uut.reason.val().index(), 0);
            assert_eq!(r.body, (20..28).collect::<Vec<_>>());
            let r = receive(&segment(7, 0x002, &[30, 1, 1, 1, 2, 4, 0x05, 0xB4], &[]));
            assert!(!r.uut.mss_present.val());
            let r = receive(&segment(7, 0x002, &[1, 1, 1, 1, 2, 4, 0x05, 0xB4], &[]));
            assert!(r.uut.mss_present.val());
        }

        #[test]
        fn options_count_only_with_their_exact_length() {
            let opts = [
                2, 5, 0x05, 0xB4, 0x00, 3, 4, 7, 7, 4, 3, 0, 8, 9, 1, 2, 3, 4, 5, 6, 7, 1, 1, 1,
            ];
            let r = receive(&segment(11, 0x002, &opts, &[]));
            let u = &r.uut;
            assert!(!u.mss_present.val());
            assert!(!u.window_scale_present.val());
            assert!(!u.sack_permitted.val());
            assert!(!u.timestamps_present.val());
            assert!(r.timestamps.is_empty());
            assert_eq!(u.reason.val().index(), 0);
        }

        #[test]
        fn checksum() {
            let payload: Vec<u8> = (0..31u8).map(|i| i.wrapping_mul(9)).collect();
            let good = segment(8, 0x018, &ALL_OPTIONS[..10], &payload);
            assert!(receive(&good).uut.checksum_ok.val());
            // A flipped payload bit, option bit or header bit.
            for at in [0, 13, 25, good.len() - 1] {
                let mut bad = good.clone();
                bad[at] ^= 0x04;
                let r = receive(&bad);
                assert!(!r.uut.checksum_ok.val());
                assert_eq!(r.uut.reason.val().index(), 16, "byte {at}");
            }
            // A pseudo-header naming another address fails too.
            let mut other = SRC_IP.to_vec();
            other.extend_from_slice(&[192, 168, 1, 11, 0, 6, 0, good.len() as u8]);
            let r = receive_with(&good, good.len(), ones_sum(&other) as u64, 6, 0);
            assert_eq!(r.uut.reason.val().index(), 16);
            // The pseudo sum may arrive unfolded (17 bits): v + 0xFFFF folds to v.
            let v = ones_sum(&pseudo(good.len())) as u64;
            let r = receive_with(&good, good.len(), v + 0xFFFF, 6, 0);
            assert_eq!(r.uut.reason.val().index(), 0);
            // Ethernet padding after the segment (not l4) is not summed.
            let r = receive_with(&good, good.len(), v, 6, 10);
            assert_eq!(r.uut.reason.val().index(), 0);
            assert_eq!(r.body, (20..good.len()).collect::<Vec<_>>());
        }

        #[test]
        fn header_errors() {
            for doff in [0, 4] {
                let r = receive(&segment(doff, 0x010, &[], &[1, 2, 3, 4]));
                assert_eq!(r.uut.reason.val().index(), 15, "data offset {doff}");
            }
            // Data offset beyond the segment.
            let mut seg = segment(5, 0x010, &[], &[]);
            seg[12] = 6 << 4;
            let r = receive(&seg);
            assert_eq!(r.uut.reason.val().index(), 15);
            // A segment shorter than the fixed header.
            let seg = segment(5, 0x010, &[], &[]);
            let l4 = &seg[..19];
            let r = receive_with(l4, 19, ones_sum(&pseudo(19)) as u64, 6, 0);
            assert_eq!(r.uut.reason.val().index(), 15);
            assert!(!r.uut.done.val());
            // tcp_header wins over a bad checksum.
            let mut seg = segment(4, 0x010, &[], &[1, 2, 3, 4]);
            seg[17] ^= 1;
            assert_eq!(receive(&seg).uut.reason.val().index(), 15);
        }

        #[test]
        fn other_protocols_are_left_alone() {
            let mut seg = segment(4, 0x010, &[], &[1, 2, 3, 4]);
            seg[17] ^= 1;
            // GRE: not parsed here.
            let r = receive_with(&seg, seg.len(), 0, 47, 0);
            assert_eq!(r.uut.reason.val().index(), 0);
            assert!(r.body.is_empty());
        }
    }

    mod udp {
        use super::{run, Run};
        use crate::internet::checksum::ones_sum;

        pub(super) fn pseudo(len: usize) -> Vec<u8> {
            let mut p = vec![10, 0, 0, 7, 192, 168, 1, 10, 0, 17];
            p.extend_from_slice(&(len as u16).to_be_bytes());
            p
        }

        pub(super) fn datagram(payload: &[u8]) -> Vec<u8> {
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

        fn receive_with(d: &[u8], l4_len: usize, protocol: u8, pad: usize) -> Run {
            run(
                d,
                protocol,
                true,
                l4_len,
                ones_sum(&pseudo(l4_len)) as u64,
                pad,
            )
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
            let r = receive_with(&d, d.len(), 47, 0);
            assert_eq!(r.uut.reason.val().index(), 0);
            assert!(r.body.is_empty());
        }
    }

    mod icmp {
        use super::run;
        use crate::internet::checksum::ones_sum;
        use crate::transport::transport_rx::TransportRx;

        pub(super) fn echo(payload: &[u8]) -> Vec<u8> {
            let mut m = vec![8, 0, 0, 0, 0x12, 0x34, 0x00, 0x07];
            m.extend_from_slice(payload);
            let csum = !ones_sum(&m);
            m[2..4].copy_from_slice(&csum.to_be_bytes());
            m
        }

        fn receive_with(m: &[u8], protocol: u8, l4_parse: bool, pad: usize) -> TransportRx {
            // ICMP has no pseudo-header: the IP block marks none of it.
            run(m, protocol, l4_parse, m.len(), 0, pad).uut
        }

        fn receive(m: &[u8]) -> TransportRx {
            receive_with(m, 1, true, 0)
        }

        #[test]
        fn echo_request_fields() {
            let payload: Vec<u8> = (0..56).collect();
            let u = receive(&echo(&payload));
            assert_eq!(u.icmp_type.val().index(), 8);
            assert_eq!(u.icmp_code.val().index(), 0);
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
            assert_eq!(
                (u.icmp_type.val().index(), u.icmp_code.val().index()),
                (3, 4)
            );
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
            assert_eq!(receive_with(&bad, 47, true, 0).reason.val().index(), 0);
            assert_eq!(receive_with(&bad, 1, false, 0).reason.val().index(), 0);
            assert_eq!(receive_with(&bad[..5], 50, true, 0).reason.val().index(), 0);
        }
    }
}
