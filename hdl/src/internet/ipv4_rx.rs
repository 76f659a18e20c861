//! IPv4 receive: header fields, header checksum, lengths, fragments, address filter.
//!
//! Works on the Ethernet payload beats (`l3`) of frames whose ethertype is IPv4. Options
//! (IHL > 5) are skipped, not rejected. The datagram ends at its total length: Ethernet
//! padding after it is not passed on (`l4` is low there). Besides the header fields it
//! produces, for the transport checksums, the pseudo-header sum (addresses, protocol,
//! transport length) and the transport length itself.
//!
//! `reason`, final three clocks after `last`: ipv4_version (8) > ipv4_ihl (9) >
//! ipv4_checksum (10) > ipv4_length (11: total length beyond the frame or below the
//! header) > fragment (12) > ip_filter (13: not our address, not 255.255.255.255, not
//! promiscuous) > ip_protocol (14: not ICMP, TCP or UDP).

use crate::internet::checksum::OnesSum;
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
    pub promiscuous: Signal<In, Bit>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_last: Signal<Out, Bit>,
    /// This beat is transport (IP payload) data.
    pub l4: Signal<Out, Bit>,
    pub version: Signal<Out, Bits<4>>,
    pub ihl: Signal<Out, Bits<4>>,
    pub total_len: Signal<Out, Bits<16>>,
    pub id: Signal<Out, Bits<16>>,
    pub flags_fragment: Signal<Out, Bits<16>>,
    pub ttl: Signal<Out, Bits<8>>,
    pub protocol: Signal<Out, Bits<8>>,
    pub src: Signal<Out, Bits<32>>,
    pub dst: Signal<Out, Bits<32>>,
    pub header_ok: Signal<Out, Bit>,
    /// Total length minus header length: the TCP/UDP/ICMP message length.
    pub l4_len: Signal<Out, Bits<16>>,
    /// Pseudo-header sum (unfolded), final before the first transport byte.
    pub pseudo_sum: Signal<Out, Bits<17>>,
    /// Not a fragment, header sane: the transport blocks may parse this datagram.
    pub l4_parse: Signal<Out, Bit>,
    /// The 20-byte fixed header arrived: the frame reports an IPv4 layer.
    pub header_done: Signal<Out, Bit>,
    pub reason: Signal<Out, Bits<5>>,
    pub header_sum: OnesSum,
    pseudo: OnesSum,
    offset: DFF<Bits<11>>,
    mid_frame: DFF<Bit>,
    prev: DFF<Bits<8>>,
    version_r: DFF<Bits<4>>,
    ihl_r: DFF<Bits<4>>,
    header_len: DFF<Bits<8>>,
    total_len_r: DFF<Bits<16>>,
    total_minus_1: DFF<Bits<16>>,
    id_r: DFF<Bits<16>>,
    frag_r: DFF<Bits<16>>,
    ttl_r: DFF<Bits<8>>,
    protocol_r: DFF<Bits<8>>,
    src_r: DFF<Bits<32>>,
    dst_r: DFF<Bits<32>>,
    l4_len_r: DFF<Bits<16>>,
    covered: DFF<Bit>,
    dst_ours: DFF<Bit>,
    dst_broadcast: DFF<Bit>,
    done_r: DFF<Bit>,
    last_d1: DFF<Bit>,
    last_d2: DFF<Bit>,
    reason_r: DFF<Bits<5>>,
    out_data_r: DFF<Bits<8>>,
    out_valid_r: DFF<Bit>,
    out_last_r: DFF<Bit>,
    l4_r: DFF<Bit>,
    off: Signal<Local, Bits<11>>,
    word: Signal<Local, Bits<16>>,
    our_byte: Signal<Local, Bits<8>>,
    beat: Signal<Local, Bit>,
}

impl Logic for Ipv4Rx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            offset,
            mid_frame,
            prev,
            version_r,
            ihl_r,
            header_len,
            total_len_r,
            total_minus_1,
            id_r,
            frag_r,
            ttl_r,
            protocol_r,
            src_r,
            dst_r,
            l4_len_r,
            covered,
            dst_ours,
            dst_broadcast,
            done_r,
            last_d1,
            last_d2,
            reason_r,
            out_data_r,
            out_valid_r,
            out_last_r,
            l4_r
        );
        self.header_sum.clock.next = self.clock.val();
        self.pseudo.clock.next = self.clock.val();
        self.beat.next = self.valid.val() & self.l3.val();
        self.off.next = self.offset.q.val();
        self.word.next =
            (bit_cast::<16, 8>(self.prev.q.val()) << 8) | bit_cast::<16, 8>(self.data.val());
        // Byte of our address compared at offsets 16..19.
        self.our_byte.next = self.our_ip.val().get_bits::<8>(0);
        if self.off.val() == 16 {
            self.our_byte.next = self.our_ip.val().get_bits::<8>(24);
        }
        if self.off.val() == 17 {
            self.our_byte.next = self.our_ip.val().get_bits::<8>(16);
        }
        if self.off.val() == 18 {
            self.our_byte.next = self.our_ip.val().get_bits::<8>(8);
        }
        // Header checksum: every header byte, words aligned on even offsets.
        self.header_sum.data.next = self.data.val();
        self.header_sum.high.next = !self.off.val().get_bit(0);
        self.header_sum.clear.next = self.off.val() == 0;
        self.header_sum.init.next = 0.into();
        self.header_sum.enable.next = self.beat.val()
            & ((self.off.val() == 0)
                | (bit_cast::<11, 8>(self.header_len.q.val()) > self.off.val()));
        // Pseudo-header: addresses (12..19), protocol (9, low byte) and the transport
        // length, added as two bytes at offsets 10 and 11 once it is known.
        self.pseudo.clear.next = self.off.val() == 0;
        self.pseudo.init.next = 0.into();
        self.pseudo.data.next = self.data.val();
        self.pseudo.high.next = !self.off.val().get_bit(0);
        self.pseudo.enable.next = self.beat.val()
            & ((self.off.val() == 9) | ((self.off.val() >= 12) & (self.off.val() < 20)));
        if self.off.val() == 10 {
            self.pseudo.data.next = self.l4_len_r.q.val().get_bits::<8>(8);
            self.pseudo.high.next = true;
            self.pseudo.enable.next = self.beat.val();
        }
        if self.off.val() == 11 {
            self.pseudo.data.next = self.l4_len_r.q.val().get_bits::<8>(0);
            self.pseudo.high.next = false;
            self.pseudo.enable.next = self.beat.val();
        }
        self.out_data_r.d.next = self.data.val();
        self.out_valid_r.d.next = self.valid.val();
        self.out_last_r.d.next = self.valid.val() & self.last.val();
        self.l4_r.d.next = false;
        if self.valid.val() {
            self.mid_frame.d.next = !self.last.val();
        }
        // A frame's first beat is never IP: reset here, count IP bytes from zero.
        if self.valid.val() & !self.mid_frame.q.val() {
            self.offset.d.next = 0.into();
            self.covered.d.next = false;
            self.dst_ours.d.next = true;
            self.dst_broadcast.d.next = true;
            self.done_r.d.next = false;
            self.reason_r.d.next = 0.into();
        }
        if self.beat.val() {
            self.prev.d.next = self.data.val();
            if self.off.val() != 2047 {
                self.offset.d.next = self.off.val() + 1;
            } else {
                self.offset.d.next = self.off.val();
            }
            if self.off.val() == 0 {
                self.version_r.d.next = self.data.val().get_bits::<4>(4);
                self.ihl_r.d.next = self.data.val().get_bits::<4>(0);
                self.header_len.d.next = bit_cast::<8, 4>(self.data.val().get_bits::<4>(0)) << 2;
            }
            if self.off.val() == 3 {
                self.total_len_r.d.next = self.word.val();
                self.total_minus_1.d.next = self.word.val() - 1;
            }
            if self.off.val() == 4 {
                self.l4_len_r.d.next =
                    self.total_len_r.q.val() - bit_cast::<16, 8>(self.header_len.q.val());
            }
            if self.off.val() == 5 {
                self.id_r.d.next = self.word.val();
            }
            if self.off.val() == 7 {
                self.frag_r.d.next = self.word.val();
            }
            if self.off.val() == 8 {
                self.ttl_r.d.next = self.data.val();
            }
            if self.off.val() == 9 {
                self.protocol_r.d.next = self.data.val();
            }
            if (self.off.val() >= 12) & (self.off.val() < 16) {
                self.src_r.d.next = (self.src_r.q.val() << 8) | bit_cast::<32, 8>(self.data.val());
            }
            if (self.off.val() >= 16) & (self.off.val() < 20) {
                self.dst_r.d.next = (self.dst_r.q.val() << 8) | bit_cast::<32, 8>(self.data.val());
                if self.data.val() != self.our_byte.val() {
                    self.dst_ours.d.next = false;
                }
                if self.data.val() != 0xFF {
                    self.dst_broadcast.d.next = false;
                }
            }
            if self.off.val() == 19 {
                self.done_r.d.next = true;
            }
            // The datagram's last byte: what follows is padding.
            if (self.off.val() >= 4)
                & (bit_cast::<16, 11>(self.off.val()) == self.total_minus_1.q.val())
            {
                self.covered.d.next = true;
            }
            self.l4_r.d.next = (self.off.val() >= bit_cast::<11, 8>(self.header_len.q.val()))
                & !self.covered.q.val()
                & (self.off.val() >= 4);
        }
        // The checksum fold needs two clocks after the last header byte.
        self.last_d1.d.next = self.valid.val() & self.last.val();
        self.last_d2.d.next = self.last_d1.q.val();
        if self.last_d2.q.val() & self.is_ipv4.val() {
            if self.version_r.q.val() != 4 {
                self.reason_r.d.next = 8.into(); // ipv4_version
            } else if self.ihl_r.q.val() < 5 {
                self.reason_r.d.next = 9.into(); // ipv4_ihl
            } else if !self.header_sum.ok.val() {
                self.reason_r.d.next = 10.into(); // ipv4_checksum
            } else if !self.covered.q.val()
                | (self.total_len_r.q.val() < bit_cast::<16, 8>(self.header_len.q.val()))
            {
                self.reason_r.d.next = 11.into(); // ipv4_length
            } else if self.frag_r.q.val().get_bits::<14>(0) != 0 {
                self.reason_r.d.next = 12.into(); // fragment
            } else if !(self.promiscuous.val() | self.dst_ours.q.val() | self.dst_broadcast.q.val())
            {
                self.reason_r.d.next = 13.into(); // ip_filter
            } else if (self.protocol_r.q.val() != 1)
                & (self.protocol_r.q.val() != 6)
                & (self.protocol_r.q.val() != 17)
            {
                self.reason_r.d.next = 14.into(); // ip_protocol
            }
        }
        self.out_data.next = self.out_data_r.q.val();
        self.out_valid.next = self.out_valid_r.q.val();
        self.out_last.next = self.out_last_r.q.val();
        self.l4.next = self.l4_r.q.val();
        self.version.next = self.version_r.q.val();
        self.ihl.next = self.ihl_r.q.val();
        self.total_len.next = self.total_len_r.q.val();
        self.id.next = self.id_r.q.val();
        self.flags_fragment.next = self.frag_r.q.val();
        self.ttl.next = self.ttl_r.q.val();
        self.protocol.next = self.protocol_r.q.val();
        self.src.next = self.src_r.q.val();
        self.dst.next = self.dst_r.q.val();
        self.header_ok.next = self.header_sum.ok.val();
        self.l4_len.next = self.l4_len_r.q.val();
        self.pseudo_sum.next = self.pseudo.acc.val();
        self.l4_parse.next = self.is_ipv4.val()
            & (self.version_r.q.val() == 4)
            & (self.ihl_r.q.val() >= 5)
            & (self.frag_r.q.val().get_bits::<14>(0) == 0);
        self.header_done.next = self.done_r.q.val();
        self.reason.next = self.reason_r.q.val();
    }
}
