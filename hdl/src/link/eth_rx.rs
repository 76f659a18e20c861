//! Ethernet header: addresses, ethertype, one optional 802.1Q tag; demux by ethertype.
//!
//! One 802.1Q tag is parsed and its VLAN id reported (the board serves every VLAN it
//! hears: filtering by VLAN is the switch's job); the ethertype after it decides. Only
//! IPv4 and ARP go on; anything else (IPv6, a second tag, LLC) is dropped as `ethertype`
//! (6). The stream leaves one clock later with `l3` marking the Ethernet payload.
//!
//! Registers hold only what decides: the tag flag, the ethertype's verdict, whether the
//! destination is a group address. The addresses, ethertype and VLAN id a report shows
//! are read from the header store (`crate::rx_header_store`); the echo responder takes
//! the source MAC from the stream as it passes.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct EthRx {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    /// Position of this byte in the frame (the header store's count, saturating at
    /// 31): the receive path's one count of the link stream, not a counter of its own.
    pub pos: Signal<In, Bits<5>>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_last: Signal<Out, Bit>,
    /// This beat is Ethernet payload (after the header and any tag).
    pub l3: Signal<Out, Bit>,
    /// The destination is a group address (broadcast or multicast): its first byte's
    /// low bit.
    pub dst_group: Signal<Out, Bit>,
    pub tagged: Signal<Out, Bit>,
    pub is_ipv4: Signal<Out, Bit>,
    pub is_arp: Signal<Out, Bit>,
    /// The whole header (with tag) arrived: the frame reports an Ethernet layer.
    pub header_done: Signal<Out, Bit>,
    pub reason: Signal<Out, Bits<5>>,
    dst_group_r: DFF<Bit>,
    tagged_r: DFF<Bit>,
    ipv4_r: DFF<Bit>,
    arp_r: DFF<Bit>,
    done_r: DFF<Bit>,
    /// No ethertype we take yet: the reason is ethertype (6). A flag, not the
    /// reason's five bits.
    bad_type: DFF<Bit>,
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
            dst_group_r,
            tagged_r,
            ipv4_r,
            arp_r,
            done_r,
            bad_type,
            out_data_r,
            out_valid_r,
            out_last_r,
            l3_r
        );
        // The 16-bit field ending with this byte. The previous byte is `out_data_r`: a
        // frame's beats come on consecutive clocks (as MacRx sends them).
        self.word.next =
            (bit_cast::<16, 8>(self.out_data_r.q.val()) << 8) | bit_cast::<16, 8>(self.data.val());
        self.off.next = self.pos.val();
        self.out_data_r.d.next = self.data.val();
        self.out_valid_r.d.next = self.valid.val();
        self.out_last_r.d.next = self.valid.val() & self.last.val();
        self.l3_r.d.next = false;
        if self.valid.val() {
            if self.off.val() == 0 {
                self.tagged_r.d.next = false;
                self.dst_group_r.d.next = self.data.val().get_bit(0);
                self.ipv4_r.d.next = false;
                self.arp_r.d.next = false;
                self.done_r.d.next = false;
                self.bad_type.d.next = true; // ethertype, until one we take is seen
            }
            if self.off.val() == 13 {
                if self.word.val() == 0x8100 {
                    self.tagged_r.d.next = true;
                } else {
                    self.done_r.d.next = true;
                    self.ipv4_r.d.next = self.word.val() == 0x0800;
                    self.arp_r.d.next = self.word.val() == 0x0806;
                    if (self.word.val() == 0x0800) | (self.word.val() == 0x0806) {
                        self.bad_type.d.next = false;
                    }
                }
            }
            if (self.off.val() == 17) & self.tagged_r.q.val() {
                self.done_r.d.next = true;
                self.ipv4_r.d.next = self.word.val() == 0x0800;
                self.arp_r.d.next = self.word.val() == 0x0806;
                if (self.word.val() == 0x0800) | (self.word.val() == 0x0806) {
                    self.bad_type.d.next = false;
                }
            }
            // off >= 18, or off >= 14 untagged, from its bits (no compare on a carry chain).
            self.l3_r.d.next = (self.off.val().get_bit(4) & (self.off.val().get_bits::<3>(1) != 0))
                | ((self.off.val().get_bit(4) | (self.off.val().get_bits::<3>(1) == 7))
                    & !self.tagged_r.q.val());
        }
        self.out_data.next = self.out_data_r.q.val();
        self.out_valid.next = self.out_valid_r.q.val();
        self.out_last.next = self.out_last_r.q.val();
        self.l3.next = self.l3_r.q.val();
        self.dst_group.next = self.dst_group_r.q.val();
        self.tagged.next = self.tagged_r.q.val();
        self.is_ipv4.next = self.ipv4_r.q.val();
        self.is_arp.next = self.arp_r.q.val();
        self.header_done.next = self.done_r.q.val();
        self.reason.next = 0.into();
        if self.bad_type.q.val() {
            self.reason.next = 6.into(); // ethertype
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Seen {
        /// (data, l3, last) of each beat leaving the block.
        beats: Vec<(u8, bool, bool)>,
        /// `header_done` as each beat left.
        done_at: Vec<bool>,
    }

    fn run(uut: &mut EthRx, frame: &[u8]) -> Seen {
        let mut seen = Seen {
            beats: vec![],
            done_at: vec![],
        };
        let n = frame.len();
        for i in 0..n + 4 {
            uut.valid.next = i < n;
            uut.data.next = (frame.get(i).copied().unwrap_or(0) as u64).into();
            uut.last.next = i + 1 == n;
            // The header store's position: from 0 at the frame's first byte, held at 31.
            uut.pos.next = (i.min(31) as u64).into();
            crate::tick!(*uut);
            if uut.out_valid.val() {
                seen.beats.push((
                    uut.out_data.val().index() as u8,
                    uut.l3.val(),
                    uut.out_last.val(),
                ));
                seen.done_at.push(uut.header_done.val());
            }
        }
        seen
    }

    fn new() -> EthRx {
        let mut uut = EthRx::default();
        uut.connect_all();
        uut
    }

    fn frame(ethertype: u16, tag: Option<u16>, payload: usize) -> Vec<u8> {
        let mut f = vec![
            0x02, 0x00, 0x00, 0x12, 0x34, 0x56, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f,
        ];
        if let Some(tci) = tag {
            f.extend_from_slice(&[0x81, 0x00]);
            f.extend_from_slice(&tci.to_be_bytes());
        }
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend((0..payload).map(|i| (i * 3 + 1) as u8));
        f
    }

    fn l3_start(seen: &Seen) -> Vec<usize> {
        seen.beats
            .iter()
            .enumerate()
            .filter(|(_, b)| b.1)
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn ipv4_frame_addresses_ethertype_and_l3() {
        let mut uut = new();
        let f = frame(0x0800, None, 46);
        let seen = run(&mut uut, &f);
        // The stream passes unchanged, one `last`, on the final byte.
        let data: Vec<u8> = seen.beats.iter().map(|b| b.0).collect();
        assert_eq!(data, f);
        let lasts: Vec<usize> = (0..seen.beats.len()).filter(|&i| seen.beats[i].2).collect();
        assert_eq!(lasts, vec![f.len() - 1]);
        assert_eq!(l3_start(&seen), (14..f.len()).collect::<Vec<_>>());
        assert!(!uut.dst_group.val());
        assert!(uut.is_ipv4.val() && !uut.is_arp.val() && !uut.tagged.val());
        assert!(uut.header_done.val());
        assert_eq!(uut.reason.val().index(), 0);
        // header_done rises as the ethertype's second byte leaves (beat 13).
        assert!(!seen.done_at[12] && seen.done_at[13]);
    }

    #[test]
    fn a_group_destination_is_flagged() {
        // Broadcast, IPv4 multicast, IPv6 multicast; then a unicast address.
        for (first, group) in [(0xFF, true), (0x01, true), (0x33, true), (0x02, false)] {
            let mut uut = new();
            let mut f = frame(0x0800, None, 46);
            f[0] = first;
            run(&mut uut, &f);
            assert_eq!(uut.dst_group.val(), group, "{first:02x}");
        }
    }

    #[test]
    fn arp_frame() {
        let mut uut = new();
        let seen = run(&mut uut, &frame(0x0806, None, 46));
        assert!(uut.is_arp.val() && !uut.is_ipv4.val());
        assert_eq!(uut.reason.val().index(), 0);
        assert_eq!(l3_start(&seen)[0], 14);
    }

    #[test]
    fn vlan_tag_is_parsed_and_l3_starts_at_18() {
        let mut uut = new();
        // PCP 5, DEI 1, VLAN 0xABC.
        let f = frame(0x0800, Some(0xB000 | 0x0ABC), 46);
        let seen = run(&mut uut, &f);
        assert!(uut.tagged.val());
        assert!(uut.is_ipv4.val());
        assert!(uut.header_done.val());
        assert_eq!(uut.reason.val().index(), 0);
        assert_eq!(l3_start(&seen), (18..f.len()).collect::<Vec<_>>());
        assert!(!seen.done_at[13] && !seen.done_at[16] && seen.done_at[17]);

        let mut uut = new();
        run(&mut uut, &frame(0x0806, Some(7), 46));
        assert!(uut.tagged.val() && uut.is_arp.val());
        assert_eq!(uut.reason.val().index(), 0);
    }

    #[test]
    fn other_ethertypes_are_dropped_as_ethertype() {
        for (ethertype, tag) in [
            (0x86DD, None),    // IPv6
            (0x86DD, Some(5)), // IPv6 behind a tag
            (0x8100, Some(5)), // a second tag
            (0x002E, None),    // LLC length
        ] {
            let mut uut = new();
            run(&mut uut, &frame(ethertype, tag, 46));
            assert_eq!(uut.reason.val().index(), 6, "{ethertype:04x} {tag:?}");
            assert!(!uut.is_ipv4.val() && !uut.is_arp.val());
        }
        // A frame cut inside the header never names an ethertype.
        let mut uut = new();
        run(&mut uut, &frame(0x0800, None, 0)[..13]);
        assert_eq!(uut.reason.val().index(), 6);
        assert!(!uut.header_done.val());
    }

    #[test]
    fn each_frame_starts_afresh() {
        let mut uut = new();
        run(&mut uut, &frame(0x86DD, Some(0x123), 46));
        assert_eq!(uut.reason.val().index(), 6);
        let seen = run(&mut uut, &frame(0x0800, None, 46));
        assert_eq!(uut.reason.val().index(), 0);
        assert!(!uut.tagged.val());
        assert_eq!(l3_start(&seen)[0], 14);
        // Back to back, with no idle clock between frames.
        let mut uut = new();
        let mut both = frame(0x86DD, None, 46);
        let n = both.len();
        both.extend(frame(0x0806, None, 46));
        for (i, &b) in both.iter().enumerate() {
            uut.valid.next = true;
            uut.data.next = (b as u64).into();
            uut.last.next = i + 1 == n || i + 1 == both.len();
            let pos = if i < n { i } else { i - n };
            uut.pos.next = (pos.min(31) as u64).into();
            crate::tick!(uut);
            if i == n + 1 {
                assert_eq!(uut.reason.val().index(), 6);
            }
        }
        uut.valid.next = false;
        uut.last.next = false;
        crate::tick!(uut);
        assert!(uut.is_arp.val());
        assert_eq!(uut.reason.val().index(), 0);
    }
}
