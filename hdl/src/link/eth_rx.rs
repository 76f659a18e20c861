//! Ethernet header: addresses, ethertype, one optional 802.1Q tag; demux by ethertype.
//!
//! One 802.1Q tag is parsed and its VLAN id reported (the board serves every VLAN it
//! hears: filtering by VLAN is the switch's job); the ethertype after it decides. Only
//! IPv4 and ARP go on; anything else (IPv6, a second tag, LLC) is dropped as `ethertype`
//! (6). The stream leaves one clock later with `l3` marking the Ethernet payload.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct EthRx {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_last: Signal<Out, Bit>,
    /// This beat is Ethernet payload (after the header and any tag).
    pub l3: Signal<Out, Bit>,
    pub dst_hi: Signal<Out, Bits<16>>,
    pub dst_mid: Signal<Out, Bits<16>>,
    pub dst_lo: Signal<Out, Bits<16>>,
    pub src_hi: Signal<Out, Bits<16>>,
    pub src_mid: Signal<Out, Bits<16>>,
    pub src_lo: Signal<Out, Bits<16>>,
    pub ethertype: Signal<Out, Bits<16>>,
    pub tagged: Signal<Out, Bit>,
    pub vlan_id: Signal<Out, Bits<12>>,
    pub is_ipv4: Signal<Out, Bit>,
    pub is_arp: Signal<Out, Bit>,
    /// The whole header (with tag) arrived: the frame reports an Ethernet layer.
    pub header_done: Signal<Out, Bit>,
    pub reason: Signal<Out, Bits<5>>,
    offset: DFF<Bits<5>>,
    mid_frame: DFF<Bit>,
    prev: DFF<Bits<8>>,
    dst_hi_r: DFF<Bits<16>>,
    dst_mid_r: DFF<Bits<16>>,
    dst_lo_r: DFF<Bits<16>>,
    src_hi_r: DFF<Bits<16>>,
    src_mid_r: DFF<Bits<16>>,
    src_lo_r: DFF<Bits<16>>,
    ethertype_r: DFF<Bits<16>>,
    tagged_r: DFF<Bit>,
    vlan_r: DFF<Bits<12>>,
    ipv4_r: DFF<Bit>,
    arp_r: DFF<Bit>,
    done_r: DFF<Bit>,
    reason_r: DFF<Bits<5>>,
    out_data_r: DFF<Bits<8>>,
    out_valid_r: DFF<Bit>,
    out_last_r: DFF<Bit>,
    l3_r: DFF<Bit>,
    word: Signal<Local, Bits<16>>,
    off: Signal<Local, Bits<5>>,
}

impl Logic for EthRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            offset,
            mid_frame,
            prev,
            dst_hi_r,
            dst_mid_r,
            dst_lo_r,
            src_hi_r,
            src_mid_r,
            src_lo_r,
            ethertype_r,
            tagged_r,
            vlan_r,
            ipv4_r,
            arp_r,
            done_r,
            reason_r,
            out_data_r,
            out_valid_r,
            out_last_r,
            l3_r
        );
        // The 16-bit field ending with this byte.
        self.word.next =
            (bit_cast::<16, 8>(self.prev.q.val()) << 8) | bit_cast::<16, 8>(self.data.val());
        self.off.next = self.offset.q.val();
        if !self.mid_frame.q.val() {
            self.off.next = 0.into();
        }
        self.out_data_r.d.next = self.data.val();
        self.out_valid_r.d.next = self.valid.val();
        self.out_last_r.d.next = self.valid.val() & self.last.val();
        self.l3_r.d.next = false;
        if self.valid.val() {
            self.prev.d.next = self.data.val();
            self.mid_frame.d.next = !self.last.val();
            if self.off.val() != 31 {
                self.offset.d.next = self.off.val() + 1;
            } else {
                self.offset.d.next = self.off.val();
            }
            if self.off.val() == 0 {
                self.tagged_r.d.next = false;
                self.vlan_r.d.next = 0.into();
                self.ipv4_r.d.next = false;
                self.arp_r.d.next = false;
                self.done_r.d.next = false;
                self.reason_r.d.next = 6.into(); // ethertype, until one we take is seen
            }
            if self.off.val() == 1 {
                self.dst_hi_r.d.next = self.word.val();
            }
            if self.off.val() == 3 {
                self.dst_mid_r.d.next = self.word.val();
            }
            if self.off.val() == 5 {
                self.dst_lo_r.d.next = self.word.val();
            }
            if self.off.val() == 7 {
                self.src_hi_r.d.next = self.word.val();
            }
            if self.off.val() == 9 {
                self.src_mid_r.d.next = self.word.val();
            }
            if self.off.val() == 11 {
                self.src_lo_r.d.next = self.word.val();
            }
            if self.off.val() == 13 {
                self.ethertype_r.d.next = self.word.val();
                if self.word.val() == 0x8100 {
                    self.tagged_r.d.next = true;
                } else {
                    self.done_r.d.next = true;
                    self.ipv4_r.d.next = self.word.val() == 0x0800;
                    self.arp_r.d.next = self.word.val() == 0x0806;
                    if (self.word.val() == 0x0800) | (self.word.val() == 0x0806) {
                        self.reason_r.d.next = 0.into();
                    }
                }
            }
            if (self.off.val() == 15) & self.tagged_r.q.val() {
                self.vlan_r.d.next = self.word.val().get_bits::<12>(0);
            }
            if (self.off.val() == 17) & self.tagged_r.q.val() {
                self.ethertype_r.d.next = self.word.val();
                self.done_r.d.next = true;
                self.ipv4_r.d.next = self.word.val() == 0x0800;
                self.arp_r.d.next = self.word.val() == 0x0806;
                if (self.word.val() == 0x0800) | (self.word.val() == 0x0806) {
                    self.reason_r.d.next = 0.into();
                }
            }
            self.l3_r.d.next =
                (self.off.val() >= 18) | ((self.off.val() >= 14) & !self.tagged_r.q.val());
        }
        self.out_data.next = self.out_data_r.q.val();
        self.out_valid.next = self.out_valid_r.q.val();
        self.out_last.next = self.out_last_r.q.val();
        self.l3.next = self.l3_r.q.val();
        self.dst_hi.next = self.dst_hi_r.q.val();
        self.dst_mid.next = self.dst_mid_r.q.val();
        self.dst_lo.next = self.dst_lo_r.q.val();
        self.src_hi.next = self.src_hi_r.q.val();
        self.src_mid.next = self.src_mid_r.q.val();
        self.src_lo.next = self.src_lo_r.q.val();
        self.ethertype.next = self.ethertype_r.q.val();
        self.tagged.next = self.tagged_r.q.val();
        self.vlan_id.next = self.vlan_r.q.val();
        self.is_ipv4.next = self.ipv4_r.q.val();
        self.is_arp.next = self.arp_r.q.val();
        self.header_done.next = self.done_r.q.val();
        self.reason.next = self.reason_r.q.val();
    }
}
