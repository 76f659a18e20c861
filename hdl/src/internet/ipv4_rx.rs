//! IPv4 receive: header fields, header checksum, lengths, fragments, address filter.
//!
//! Works on the Ethernet payload beats (`l3`) of frames whose ethertype is IPv4, a frame's
//! beats on consecutive clocks (`valid` high from its first beat to `last`, as MacRx and
//! EthRx deliver them). Options
//! (IHL > 5) are skipped, not rejected. The datagram ends at its total length: Ethernet
//! padding after it is not passed on (`l4` is low there). Besides the header fields it
//! produces, for the transport checksums, the bytes they cover (below) and the transport
//! length itself. Fields are kept only as what decides on them (version 4, IHL, a
//! fragment, a total length below the header, the destination's flags, the protocol):
//! the version, lengths, flags, TTL, identification and addresses a report shows are
//! read from the header store (`crate::rx_header_store`).
//!
//! `reason`, final three clocks after `last` until the next frame (valid then only):
//! ipv4_version (8) > ipv4_ihl (9) > ipv4_checksum (10) > ipv4_length (11: total
//! length beyond the frame or below the header) > fragment (12) > ip_filter (13: not
//! our address, not 255.255.255.255, not promiscuous) > ip_protocol (14: not ICMP, TCP
//! or UDP).
//!
//! The transport checksum is summed by the transport block's one adder, but what it
//! covers is decided here, where the pseudo-header streams past: `sum_add` marks the
//! bytes to add, in step with `out_data` — the protocol (offset 9), the transport
//! length in place of the header checksum (offsets 10 and 11, `sum_data`), the
//! addresses (12..19), then the whole IP payload. ICMP has no pseudo-header: for
//! protocol 1 only the payload is marked. `sum_start` marks a datagram's first byte,
//! where the sum starts from zero. One adder instead of a second one for the
//! pseudo-header alone.
//!
//! `dst_not_unicast` says the destination is a broadcast or multicast address
//! (255.255.255.255, 224.0.0.0/4, or the broadcast address of our subnet, from
//! `netmask`), compared a byte at a time as the address streams past; the verdict
//! drops TCP to such a destination (RFC 1122 4.2.3.10), UDP may pass.

use crate::internet::checksum::OnesCheck;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct Ipv4Rx {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    pub l3: Signal<In, Bit>,
    pub is_ipv4: Signal<In, Bit>,
    pub our_ip: Signal<In, Bits<32>>,
    pub netmask: Signal<In, Bits<32>>,
    pub promiscuous: Signal<In, Bit>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_last: Signal<Out, Bit>,
    /// This beat is transport (IP payload) data.
    pub l4: Signal<Out, Bit>,
    /// The protocol is TCP (6), UDP (17), ICMP (1): decoded once as it passes, so no
    /// block downstream compares eight bits on its paths, and the byte itself is not
    /// kept (a report reads it from the header store).
    pub is_tcp: Signal<Out, Bit>,
    pub is_udp: Signal<Out, Bit>,
    pub is_icmp: Signal<Out, Bit>,
    /// The destination is `our_ip` (compared a byte at a time: the address itself is
    /// not kept; a report reads it from the header store).
    pub dst_ours: Signal<Out, Bit>,
    pub header_ok: Signal<Out, Bit>,
    /// The byte of `our_ip` for the position of the Ethernet payload byte in this
    /// clock (high byte first at positions 0 mod 4), picked a clock ahead: what the
    /// destination address is compared with here, and ArpRx's target address.
    pub our_byte: Signal<Out, Bits<8>>,
    /// Total length minus header length: the TCP/UDP/ICMP message length.
    pub l4_len: Signal<Out, Bits<16>>,
    /// The transport checksum's bytes, in step with `out_data`: add `sum_data` (the
    /// high byte of its word when `sum_high`) when `sum_add`; start from zero at
    /// `sum_start`.
    pub sum_data: Signal<Out, Bits<8>>,
    pub sum_add: Signal<Out, Bit>,
    pub sum_high: Signal<Out, Bit>,
    pub sum_start: Signal<Out, Bit>,
    /// Not a fragment, header sane, total length covers the header: the transport
    /// blocks may parse this datagram.
    pub l4_parse: Signal<Out, Bit>,
    /// The 20-byte fixed header arrived: the frame reports an IPv4 layer.
    pub header_done: Signal<Out, Bit>,
    /// Broadcast or multicast destination (final with `header_done`).
    pub dst_not_unicast: Signal<Out, Bit>,
    pub reason: Signal<Out, Bits<5>>,
    pub header_sum: OnesCheck,
    offset: DFF<Bits<11>>,
    // Decodes of `offset` kept in flip-flops, updated with it, so that the two checksum
    // adders' controls are not 11-bit compares in front of them (100 MHz): offset is
    // not 0; is 9; 10; 11; in 12..19. All but the first are loaded every clock (a
    // beat's offset is the previous beat's plus one: a frame's beats are consecutive),
    // not held.
    at_nz: DFF<Bit>,
    at_9: DFF<Bit>,
    at_10: DFF<Bit>,
    at_11: DFF<Bit>,
    at_addr: DFF<Bit>,
    mid_frame: DFF<Bit>,
    // What decides, as flags: the fields themselves a report reads from the header store.
    version_ok: DFF<Bit>,
    ihl_r: DFF<Bits<4>>,
    /// The total length, as it came at offsets 2 and 3: the datagram ends where
    /// `off_inc` equals it (its high four bits zero, as the offset saturates at 2047),
    /// an equality, not a subtraction and a 16-bit compare; the transport length is it
    /// less the header (`l4_diff`), not a register of its own.
    total_r: DFF<Bits<16>>,
    /// The offset is inside the header (below IHL × 4), kept as a flag: set at a frame's
    /// start, cleared where the next offset reaches the header length (an equality on
    /// the counter's increment, not a compare against IHL).
    in_hdr: DFF<Bit>,
    /// More fragments, or a fragment offset: a fragment.
    fragmented: DFF<Bit>,
    tcp_r: DFF<Bit>,
    udp_r: DFF<Bit>,
    icmp_r: DFF<Bit>,
    covered: DFF<Bit>,
    dst_ours_r: DFF<Bit>,
    dst_broadcast: DFF<Bit>,
    dst_multicast: DFF<Bit>,
    /// Every host bit of the destination is one, and its network bits are ours.
    dst_host_ones: DFF<Bit>,
    /// The netmask has a broadcast address (not a /31 or /32: RFC 3021), registered:
    /// the configuration is not on the path from the flags to the verdict.
    mask_bcast: DFF<Bit>,
    /// The bytes the next IP byte is compared with (at offsets 16..19), picked a clock
    /// ahead: the compares start from flip-flops, not from the configuration through a
    /// 4-way selection. Our address's byte, and the byte of our subnet's broadcast
    /// address (`host_byte`: our bits under the mask, ones elsewhere), so that both
    /// checks are plain byte equalities.
    our_byte_r: DFF<Bits<8>>,
    host_byte: DFF<Bits<8>>,
    done_r: DFF<Bit>,
    reason_r: DFF<Bits<5>>,
    out_data_r: DFF<Bits<8>>,
    out_valid_r: DFF<Bit>,
    out_last_r: DFF<Bit>,
    l4_r: DFF<Bit>,
    sum_data_r: DFF<Bits<8>>,
    sum_add_r: DFF<Bit>,
    sum_high_r: DFF<Bit>,
    sum_start_r: DFF<Bit>,
    /// `l4_parse`, registered: its compares are off the path into the transport block
    /// and the echo responder (the fields it reads are final by offset 8, the first
    /// transport byte comes at 20 or later).
    l4_parse_r: DFF<Bit>,
    l4_next: Signal<Local, Bit>,
    /// This beat is one of the pseudo-header's (offsets 9..19) and the protocol has one.
    pseudo_next: Signal<Local, Bit>,
    off: Signal<Local, Bits<11>>,
    /// The offset plus one, 12 bits wide: the counter's next value, and what the
    /// datagram's end and the header's end are compared with.
    off_inc: Signal<Local, Bits<12>>,
    /// The offset is 4 or more: the total length is in.
    at_4: Signal<Local, Bit>,
    ihl_ok: Signal<Local, Bit>,
    word: Signal<Local, Bits<16>>,
    beat: Signal<Local, Bit>,
    /// IHL × 4.
    header_len: Signal<Local, Bits<8>>,
    /// Total length − header length, with the borrow in bit 16: a total below the
    /// header (`too_short`).
    l4_diff: Signal<Local, Bits<17>>,
    too_short: Signal<Local, Bit>,
    /// The bytes of our address and of the netmask picked for the next offset.
    our_sel: Signal<Local, Bits<8>>,
    mask_sel: Signal<Local, Bits<8>>,
}

impl Logic for Ipv4Rx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            offset,
            at_nz,
            at_9,
            at_10,
            at_11,
            at_addr,
            mid_frame,
            version_ok,
            ihl_r,
            total_r,
            in_hdr,
            fragmented,
            tcp_r,
            udp_r,
            icmp_r,
            covered,
            dst_ours_r,
            dst_broadcast,
            dst_multicast,
            dst_host_ones,
            mask_bcast,
            done_r,
            reason_r,
            out_data_r,
            out_valid_r,
            out_last_r,
            l4_r,
            sum_data_r,
            sum_add_r,
            sum_high_r,
            sum_start_r,
            l4_parse_r,
            our_byte_r,
            host_byte
        );
        self.header_sum.clock.next = self.clock.val();
        self.beat.next = self.valid.val() & self.l3.val();
        self.header_len.next = bit_cast::<8, 4>(self.ihl_r.q.val()) << 2;
        self.off.next = self.offset.q.val();
        self.off_inc.next = bit_cast::<12, 11>(self.off.val()) + 1;
        self.at_4.next = self.off.val().get_bits::<9>(2) != 0;
        // IHL ≥ 5 as logic: a 4-bit compare would take a carry chain.
        self.ihl_ok.next = self.ihl_r.q.val().get_bit(3)
            | (self.ihl_r.q.val().get_bit(2)
                & (self.ihl_r.q.val().get_bit(1) | self.ihl_r.q.val().get_bit(0)));
        // The previous byte is `out_data_r`: a frame's beats come on consecutive clocks
        // (as MacRx sends them), so no second copy of it is kept.
        self.word.next =
            (bit_cast::<16, 8>(self.out_data_r.q.val()) << 8) | bit_cast::<16, 8>(self.data.val());
        self.l4_diff.next =
            bit_cast::<17, 16>(self.total_r.q.val()) - bit_cast::<17, 8>(self.header_len.val());
        self.too_short.next = self.l4_diff.val().get_bit(16);
        // Bytes of our address and of the netmask compared at offsets 16..19, high byte
        // first, picked for the next byte's offset: the offset's low bits select it
        // directly (a frame's beats are consecutive, so the next byte's offset is this
        // one's plus one), with no increment and no valid in front of the mux (the
        // offset's increment and its route were the board's longest path).
        self.our_sel.next = self.our_ip.val().get_bits::<8>(0);
        self.mask_sel.next = self.netmask.val().get_bits::<8>(0);
        if self.off.val().get_bits::<2>(0) == 3 {
            self.our_sel.next = self.our_ip.val().get_bits::<8>(24);
            self.mask_sel.next = self.netmask.val().get_bits::<8>(24);
        }
        if self.off.val().get_bits::<2>(0) == 0 {
            self.our_sel.next = self.our_ip.val().get_bits::<8>(16);
            self.mask_sel.next = self.netmask.val().get_bits::<8>(16);
        }
        if self.off.val().get_bits::<2>(0) == 1 {
            self.our_sel.next = self.our_ip.val().get_bits::<8>(8);
            self.mask_sel.next = self.netmask.val().get_bits::<8>(8);
        }
        self.our_byte_r.d.next = self.our_sel.val();
        self.host_byte.d.next = self.our_sel.val() | (!self.mask_sel.val());
        // Header checksum: every header byte, words aligned on even offsets.
        self.header_sum.data.next = self.data.val();
        self.header_sum.high.next = !self.off.val().get_bit(0);
        self.header_sum.clear.next = !self.at_nz.q.val();
        // `in_hdr` is set at offset 0, where IHL is not in yet.
        self.header_sum.enable.next = self.beat.val() & self.in_hdr.q.val();
        // The transport checksum's bytes: the pseudo-header's as they pass (none for
        // ICMP; at offset 9 the protocol is the byte itself), the transport length in
        // the header checksum's place at 10 and 11, then the payload (`l4_next`).
        self.pseudo_next.next = (self.at_9.q.val() & (self.data.val() != 1))
            | ((self.at_10.q.val() | self.at_11.q.val() | self.at_addr.q.val())
                & !self.icmp_r.q.val());
        self.sum_data_r.d.next = self.data.val();
        if self.at_10.q.val() {
            self.sum_data_r.d.next = self.l4_diff.val().get_bits::<8>(8);
        }
        if self.at_11.q.val() {
            self.sum_data_r.d.next = self.l4_diff.val().get_bits::<8>(0);
        }
        self.sum_high_r.d.next = !self.off.val().get_bit(0);
        self.l4_next.next = !self.in_hdr.q.val() & !self.covered.q.val() & self.at_4.val();
        self.sum_add_r.d.next = self.beat.val() & (self.pseudo_next.val() | self.l4_next.val());
        self.sum_start_r.d.next = self.beat.val() & !self.at_nz.q.val();
        self.out_data_r.d.next = self.data.val();
        self.out_valid_r.d.next = self.valid.val();
        self.out_last_r.d.next = self.valid.val() & self.last.val();
        self.l4_r.d.next = false;
        if self.valid.val() {
            self.mid_frame.d.next = !self.last.val();
        }
        // A frame's first beat is never IP: reset here, count IP bytes from zero.
        // Loaded every clock, not held (a held bit costs a LUT where blocks are
        // synthesized apart): zero but on an IP beat, where every reader takes it (the
        // Ethernet payload's beats are consecutive and after the header's, so its first
        // finds it zero). Its byte pick for `our_byte` is read at an IP beat too.
        self.offset.d.next = 0.into();
        if self.valid.val() & !self.mid_frame.q.val() {
            self.at_nz.d.next = false;
            self.covered.d.next = false;
            self.in_hdr.d.next = true;
            self.dst_ours_r.d.next = true;
            self.dst_broadcast.d.next = true;
            self.dst_multicast.d.next = false;
            self.dst_host_ones.d.next = true;
            self.done_r.d.next = false;
        }
        self.at_9.d.next = self.beat.val() & (self.off.val() == 8);
        self.at_10.d.next = self.beat.val() & (self.off.val() == 9);
        self.at_11.d.next = self.beat.val() & (self.off.val() == 10);
        // 12..19 next: set at 11, kept to 18; equalities, not two carry-chain compares.
        self.at_addr.d.next = self.beat.val()
            & ((self.off.val() == 11) | (self.at_addr.q.val() & (self.off.val() != 19)));
        if self.beat.val() {
            if self.off.val() != 2047 {
                self.offset.d.next = self.off_inc.val().get_bits::<11>(0);
                self.at_nz.d.next = true;
            } else {
                self.offset.d.next = self.off.val();
            }
            // Offset k + 1 is inside the header if k is and k + 1 is not IHL × 4 (at 0:
            // if IHL is not 0).
            if (self.off_inc.val().get_bits::<2>(0) == 0)
                & (self.off_inc.val().get_bits::<4>(2) == self.ihl_r.q.val())
                & (self.off_inc.val().get_bits::<6>(6) == 0)
            {
                self.in_hdr.d.next = false;
            }
            if self.off.val() == 0 {
                self.version_ok.d.next = self.data.val().get_bits::<4>(4) == 4;
                self.ihl_r.d.next = self.data.val().get_bits::<4>(0);
                self.in_hdr.d.next = self.data.val().get_bits::<4>(0) != 0;
            }
            // The total length (IHL is in since offset 0): what the datagram's end, the
            // transport length and the length check need.
            if self.off.val() == 3 {
                self.total_r.d.next = self.word.val();
            }
            if self.off.val() == 7 {
                self.fragmented.d.next = self.word.val().get_bits::<14>(0) != 0;
            }
            if self.off.val() == 9 {
                self.tcp_r.d.next = self.data.val() == 6;
                self.udp_r.d.next = self.data.val() == 17;
                self.icmp_r.d.next = self.data.val() == 1;
            }
            if self.off.val().get_bits::<9>(2) == 4 {
                // 16..19
                if self.data.val() != self.our_byte_r.q.val() {
                    self.dst_ours_r.d.next = false;
                }
                if self.data.val() != 0xFF {
                    self.dst_broadcast.d.next = false;
                }
                // Host bits all ones and network bits ours: one byte equality (a compare
                // of masked bytes was eight LUT levels deep, the critical path).
                if self.data.val() != self.host_byte.q.val() {
                    self.dst_host_ones.d.next = false;
                }
            }
            if (self.off.val() == 16) & (self.data.val().get_bits::<4>(4) == 0xE) {
                self.dst_multicast.d.next = true;
            }
            if self.off.val() == 19 {
                self.done_r.d.next = true;
            }
            // The datagram's last byte: what follows is padding.
            if self.at_4.val()
                & (self.total_r.q.val().get_bits::<4>(12) == 0)
                & (self.off_inc.val() == self.total_r.q.val().get_bits::<12>(0))
            {
                self.covered.d.next = true;
            }
            self.l4_r.d.next = self.l4_next.val();
        }
        // The checksum fold needs two clocks after the last header byte.
        // Loaded every clock, not held (a held bit costs a LUT where blocks are
        // synthesized apart): valid from two clocks after the last beat until the next
        // frame, what it decides on being final by then, which is when the verdict
        // reads it.
        self.reason_r.d.next = 0.into();
        if self.is_ipv4.val() {
            if !self.version_ok.q.val() {
                self.reason_r.d.next = 8.into(); // ipv4_version
            } else if !self.ihl_ok.val() {
                self.reason_r.d.next = 9.into(); // ipv4_ihl
            } else if !self.header_sum.ok.val() {
                self.reason_r.d.next = 10.into(); // ipv4_checksum
            } else if !self.covered.q.val() | self.too_short.val() {
                self.reason_r.d.next = 11.into(); // ipv4_length
            } else if self.fragmented.q.val() {
                self.reason_r.d.next = 12.into(); // fragment
            } else if !(self.promiscuous.val()
                | self.dst_ours_r.q.val()
                | self.dst_broadcast.q.val())
            {
                self.reason_r.d.next = 13.into(); // ip_filter
            } else if !(self.tcp_r.q.val() | self.udp_r.q.val() | self.icmp_r.q.val()) {
                self.reason_r.d.next = 14.into(); // ip_protocol
            }
        }
        self.out_data.next = self.out_data_r.q.val();
        self.out_valid.next = self.out_valid_r.q.val();
        self.out_last.next = self.out_last_r.q.val();
        self.l4.next = self.l4_r.q.val();
        self.is_tcp.next = self.tcp_r.q.val();
        self.is_udp.next = self.udp_r.q.val();
        self.is_icmp.next = self.icmp_r.q.val();
        self.dst_ours.next = self.dst_ours_r.q.val();
        self.header_ok.next = self.header_sum.ok.val();
        self.our_byte.next = self.our_byte_r.q.val();
        self.l4_len.next = self.l4_diff.val().get_bits::<16>(0);
        self.sum_data.next = self.sum_data_r.q.val();
        self.sum_add.next = self.sum_add_r.q.val();
        self.sum_high.next = self.sum_high_r.q.val();
        self.sum_start.next = self.sum_start_r.q.val();
        // A total length below the header leaves no transport message to parse.
        self.l4_parse_r.d.next = self.is_ipv4.val()
            & self.version_ok.q.val()
            & self.ihl_ok.val()
            & !self.fragmented.q.val()
            & !self.too_short.val();
        self.l4_parse.next = self.l4_parse_r.q.val();
        self.header_done.next = self.done_r.q.val();
        self.mask_bcast.d.next = self.netmask.val().get_bits::<7>(1) != 0x7F;
        self.dst_not_unicast.next = self.done_r.q.val()
            & (self.dst_broadcast.q.val()
                | self.dst_multicast.q.val()
                | (self.dst_host_ones.q.val() & self.mask_bcast.q.val()));
        self.reason.next = self.reason_r.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::internet::checksum::ones_sum;

    const OUR_IP: [u8; 4] = [192, 168, 1, 10];
    const PEER: [u8; 4] = [10, 0, 0, 7];

    struct Dgram {
        version: u8,
        ihl: u8,
        total_len: Option<u16>,
        flags_fragment: u16,
        protocol: u8,
        dst: [u8; 4],
        payload: usize,
        corrupt_checksum: bool,
    }

    impl Default for Dgram {
        fn default() -> Self {
            Dgram {
                version: 4,
                ihl: 5,
                total_len: None,
                flags_fragment: 0x4000,
                protocol: 17,
                dst: OUR_IP,
                payload: 30,
                corrupt_checksum: false,
            }
        }
    }

    /// The IPv4 datagram bytes (header with correct checksum unless corrupted).
    fn datagram(d: &Dgram) -> Vec<u8> {
        let hlen = d.ihl as usize * 4;
        let total = d.total_len.unwrap_or((hlen.max(20) + d.payload) as u16);
        let mut h = vec![
            d.version << 4 | d.ihl,
            0x00,
            (total >> 8) as u8,
            total as u8,
            0xBE,
            0xEF,
            (d.flags_fragment >> 8) as u8,
            d.flags_fragment as u8,
            63,
            d.protocol,
            0,
            0,
        ];
        h.extend_from_slice(&PEER);
        h.extend_from_slice(&d.dst);
        // Options: NOPs, then an end-of-list byte.
        while h.len() < hlen {
            h.push(if h.len() + 1 == hlen { 0 } else { 1 });
        }
        let csum = !ones_sum(&h[..hlen.max(20).min(h.len())]);
        let mut c = csum.to_be_bytes();
        if d.corrupt_checksum {
            c[1] ^= 0x40;
        }
        h[10..12].copy_from_slice(&c);
        h.extend((0..d.payload).map(|i| (0x80 + i) as u8));
        h
    }

    struct Run {
        uut: Ipv4Rx,
        /// IP offsets of the beats marked `l4`.
        l4: Vec<usize>,
        /// The bytes marked for the transport checksum since `sum_start`, with
        /// `sum_high`.
        summed: Vec<(u8, bool)>,
    }

    /// An Ethernet frame: 14 header beats, then the datagram and padding to 46 as `l3`.
    fn receive(ip: &[u8], promiscuous: bool) -> Run {
        let mut uut = Ipv4Rx::default();
        uut.connect_all();
        receive_into(uut, ip, promiscuous)
    }

    fn receive_into(mut uut: Ipv4Rx, ip: &[u8], promiscuous: bool) -> Run {
        uut.our_ip.next = (u32::from_be_bytes(OUR_IP) as u64).into();
        uut.promiscuous.next = promiscuous;
        uut.is_ipv4.next = true;
        let mut payload = ip.to_vec();
        while payload.len() < 46 {
            payload.push(0xEE);
        }
        let mut beats: Vec<(u8, bool)> = (0..14).map(|i| (i as u8, false)).collect();
        beats.extend(payload.iter().map(|&b| (b, true)));
        let n = beats.len();
        let mut run = Run {
            uut,
            l4: vec![],
            summed: vec![],
        };
        let mut k = 0;
        for i in 0..n + 4 {
            let uut = &mut run.uut;
            uut.valid.next = i < n;
            uut.data.next = (beats.get(i).map_or(0, |b| b.0) as u64).into();
            let l3 = beats.get(i).is_some_and(|b| b.1);
            uut.l3.next = l3;
            uut.last.next = i + 1 == n;
            crate::tick!(*uut);
            if uut.sum_start.val() {
                run.summed.clear();
            }
            if uut.sum_add.val() {
                let byte = uut.sum_data.val().index() as u8;
                run.summed.push((byte, uut.sum_high.val()));
            }
            if uut.out_valid.val() {
                assert_eq!(uut.out_data.val().index() as u8, beats[k].0);
                assert_eq!(uut.out_last.val(), k + 1 == n);
                if uut.l4.val() {
                    run.l4.push(k - 14);
                }
                k += 1;
            }
        }
        assert_eq!(k, n);
        run
    }

    /// The ones' complement sum of the marked bytes, each in its half of a word.
    fn sum_of(summed: &[(u8, bool)]) -> u16 {
        let mut v: u64 = summed
            .iter()
            .map(|&(b, high)| if high { (b as u64) << 8 } else { b as u64 })
            .sum();
        while v > 0xFFFF {
            v = (v & 0xFFFF) + (v >> 16);
        }
        v as u16
    }

    fn reason(d: Dgram) -> u64 {
        receive(&datagram(&d), false).uut.reason.val().index() as u64
    }

    #[test]
    fn fields_checksum_bytes_and_l4() {
        let ip = datagram(&Dgram::default());
        let r = receive(&ip, false);
        let u = &r.uut;
        assert!(u.is_udp.val() && !u.is_tcp.val() && !u.is_icmp.val());
        assert!(u.dst_ours.val());
        assert!(u.header_ok.val());
        assert!(u.header_done.val());
        assert!(u.l4_parse.val());
        assert_eq!(u.l4_len.val().index(), 30);
        assert_eq!(u.reason.val().index(), 0);
        assert_eq!(r.l4, (20..50).collect::<Vec<_>>());
        // The transport checksum covers the pseudo-header (src, dst, zero, protocol,
        // transport length) and the payload, and no padding.
        let mut covered = PEER.to_vec();
        covered.extend_from_slice(&OUR_IP);
        covered.extend_from_slice(&[0, 17, 0, 30]);
        covered.extend_from_slice(&ip[20..]);
        assert_eq!(sum_of(&r.summed), ones_sum(&covered));
        // The pseudo-header's bytes but its zero (protocol and addresses as they pass,
        // the length's two), then the payload's 30.
        assert_eq!(r.summed.len(), 9 + 2 + 30);
    }

    #[test]
    fn icmp_checksum_covers_the_message_alone() {
        let ip = datagram(&Dgram {
            protocol: 1,
            payload: 12,
            ..Default::default()
        });
        let r = receive(&ip, false);
        let payload: Vec<(u8, bool)> = ip[20..]
            .iter()
            .enumerate()
            .map(|(i, &b)| (b, i % 2 == 0))
            .collect();
        assert_eq!(r.summed, payload);
    }

    #[test]
    fn ethernet_padding_is_not_l4() {
        // 20 + 8 bytes: the frame carries 18 bytes of padding after the datagram.
        let r = receive(
            &datagram(&Dgram {
                payload: 8,
                ..Default::default()
            }),
            false,
        );
        assert_eq!(r.l4, (20..28).collect::<Vec<_>>());
        assert_eq!(r.uut.reason.val().index(), 0);
        assert_eq!(r.uut.l4_len.val().index(), 8);
    }

    #[test]
    fn options_are_skipped() {
        let d = Dgram {
            ihl: 7,
            payload: 12,
            ..Default::default()
        };
        let r = receive(&datagram(&d), false);
        assert!(r.uut.header_ok.val());
        assert_eq!(r.uut.l4_len.val().index(), 12);
        assert_eq!(r.l4, (28..40).collect::<Vec<_>>());
        assert_eq!(r.uut.reason.val().index(), 0);
        // The option bytes are covered by the header checksum.
        let mut ip = datagram(&d);
        ip[22] ^= 0x10;
        assert_eq!(receive(&ip, false).uut.reason.val().index(), 10);
    }

    #[test]
    fn header_checksum() {
        let r = receive(
            &datagram(&Dgram {
                corrupt_checksum: true,
                ..Default::default()
            }),
            false,
        );
        assert!(!r.uut.header_ok.val());
        assert_eq!(r.uut.reason.val().index(), 10);
        // A payload byte is not the header's business.
        let mut ip = datagram(&Dgram::default());
        ip[25] ^= 0xFF;
        assert_eq!(receive(&ip, false).uut.reason.val().index(), 0);
    }

    #[test]
    fn each_reason() {
        assert_eq!(
            reason(Dgram {
                version: 6,
                ..Default::default()
            }),
            8
        );
        assert_eq!(
            reason(Dgram {
                ihl: 4,
                ..Default::default()
            }),
            9
        );
        // Total length beyond the frame (46 bytes of payload carry 20 + 30 only).
        assert_eq!(
            reason(Dgram {
                total_len: Some(51),
                ..Default::default()
            }),
            11
        );
        assert_eq!(
            reason(Dgram {
                total_len: Some(200),
                payload: 80,
                ..Default::default()
            }),
            11
        );
        // Below the header.
        assert_eq!(
            reason(Dgram {
                total_len: Some(19),
                ..Default::default()
            }),
            11
        );
        // Exactly the frame: fine.
        assert_eq!(
            reason(Dgram {
                total_len: Some(50),
                ..Default::default()
            }),
            0
        );
        // More fragments, or a fragment offset: 12. DF alone or no flags: fine.
        assert_eq!(
            reason(Dgram {
                flags_fragment: 0x2000,
                ..Default::default()
            }),
            12
        );
        assert_eq!(
            reason(Dgram {
                flags_fragment: 0x0001,
                ..Default::default()
            }),
            12
        );
        assert_eq!(
            reason(Dgram {
                flags_fragment: 0x0000,
                ..Default::default()
            }),
            0
        );
        let other = Dgram {
            dst: [192, 168, 1, 11],
            ..Default::default()
        };
        assert_eq!(reason(other), 13);
        assert_eq!(
            reason(Dgram {
                dst: [10, 168, 1, 10],
                ..Default::default()
            }),
            13
        );
        assert_eq!(
            reason(Dgram {
                dst: [255; 4],
                ..Default::default()
            }),
            0
        );
        assert_eq!(
            reason(Dgram {
                dst: [192, 168, 1, 255],
                ..Default::default()
            }),
            13
        );
        let promisc = datagram(&Dgram {
            dst: [1, 2, 3, 4],
            ..Default::default()
        });
        assert_eq!(receive(&promisc, true).uut.reason.val().index(), 0);
        for (protocol, want) in [(1, 0), (6, 0), (17, 0), (47, 14), (58, 14)] {
            assert_eq!(
                reason(Dgram {
                    protocol,
                    ..Default::default()
                }),
                want,
                "{protocol}"
            );
        }
    }

    #[test]
    fn lower_codes_win() {
        let d = Dgram {
            version: 6,
            corrupt_checksum: true,
            dst: [1, 2, 3, 4],
            protocol: 47,
            ..Default::default()
        };
        assert_eq!(reason(d), 8);
        let d = Dgram {
            corrupt_checksum: true,
            flags_fragment: 0x2000,
            dst: [1, 2, 3, 4],
            ..Default::default()
        };
        assert_eq!(reason(d), 10);
        let d = Dgram {
            flags_fragment: 0x2000,
            dst: [1, 2, 3, 4],
            protocol: 47,
            ..Default::default()
        };
        assert_eq!(reason(d), 12);
        let d = Dgram {
            dst: [1, 2, 3, 4],
            protocol: 47,
            ..Default::default()
        };
        assert_eq!(reason(d), 13);
    }

    #[test]
    fn fragments_are_not_parsed_and_reason_clears_on_the_next_frame() {
        let r = receive(
            &datagram(&Dgram {
                flags_fragment: 0x2000,
                ..Default::default()
            }),
            false,
        );
        assert!(!r.uut.l4_parse.val());
        assert_eq!(r.uut.reason.val().index(), 12);
        let r = receive_into(r.uut, &datagram(&Dgram::default()), false);
        assert_eq!(r.uut.reason.val().index(), 0);
        assert!(r.uut.l4_parse.val());
        assert_eq!(r.l4, (20..50).collect::<Vec<_>>());
    }

    /// Broadcast, multicast and our subnet's broadcast are not unicast; our address, a
    /// peer's, and the host-ones address of a /31, /32 or another subnet are. The flag
    /// is the frame's own: a unicast frame after a broadcast one clears it.
    #[test]
    fn broadcast_and_multicast_destinations_are_flagged() {
        let cases: [([u8; 4], [u8; 4], bool); 10] = [
            ([255, 255, 255, 255], [255, 255, 255, 0], true),
            ([224, 0, 0, 1], [255, 255, 255, 0], true),
            ([239, 255, 255, 250], [255, 255, 255, 0], true),
            ([192, 168, 1, 255], [255, 255, 255, 0], true),
            ([192, 168, 255, 255], [255, 255, 0, 0], true),
            (OUR_IP, [255, 255, 255, 0], false),
            ([192, 168, 1, 7], [255, 255, 255, 0], false),
            ([10, 0, 0, 255], [255, 255, 255, 0], false),
            ([192, 168, 1, 11], [255, 255, 255, 254], false),
            (OUR_IP, [255, 255, 255, 255], false),
        ];
        let mut uut = Ipv4Rx::default();
        uut.connect_all();
        for (dst, mask, flagged) in cases {
            uut.netmask.next = (u32::from_be_bytes(mask) as u64).into();
            let r = receive_into(
                uut,
                &datagram(&Dgram {
                    dst,
                    ..Default::default()
                }),
                true,
            );
            assert_eq!(
                r.uut.dst_not_unicast.val(),
                flagged,
                "{dst:?} under {mask:?}"
            );
            uut = r.uut;
        }
    }

    #[test]
    fn not_ipv4_is_no_objection() {
        let mut uut = Ipv4Rx::default();
        uut.connect_all();
        uut.is_ipv4.next = false;
        let ip = datagram(&Dgram {
            version: 6,
            ..Default::default()
        });
        // receive_into sets is_ipv4; drive by hand here.
        uut.our_ip.next = (u32::from_be_bytes(OUR_IP) as u64).into();
        let beats: Vec<(u8, bool)> = (0..14)
            .map(|i| (i as u8, false))
            .chain(ip.iter().map(|&b| (b, true)))
            .collect();
        for i in 0..beats.len() + 4 {
            uut.valid.next = i < beats.len();
            uut.data.next = (beats.get(i).map_or(0, |b| b.0) as u64).into();
            uut.l3.next = beats.get(i).is_some_and(|b| b.1);
            uut.last.next = i + 1 == beats.len();
            crate::tick!(uut);
        }
        assert_eq!(uut.reason.val().index(), 0);
        assert!(!uut.l4_parse.val());
    }
}
