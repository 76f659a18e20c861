//! Ethernet receive MAC: from the PHY's byte stream to frame beats.
//!
//! Input is what a PHY delivers a byte at a time (`phy_valid` high from the first
//! preamble byte to the last FCS byte, like GMII's RX_DV). The block waits for the SFD
//! (0xD5), runs the CRC over the frame and its FCS, and emits the frame without
//! preamble, SFD and FCS. The FCS is only known to be the FCS when the frame ends, so
//! bytes leave five clocks late (held in a ring of block RAM, see `held`): the last one
//! out is the byte before the FCS, flagged `last`, and `reason` (valid until the next
//! SFD only) is set in the same clock: fcs (1) > runt (2, under 64 bytes with FCS) >
//! giant (3, over 1518, or 1522 when 802.1Q-tagged) > phy_error (4) > mac_filter (5,
//! not our unicast, not broadcast, not promiscuous). Whether the frame is tagged is
//! EthRx's flag (`tagged`), final long before a frame can reach 1518 bytes, not a second
//! decode of the same bytes here. A frame of fewer than five bytes still ends with a
//! `last` beat (its data is meaningless) so that it is counted.

use crate::block_ram::BlockRam;
use crate::link::crc32::Crc32;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct MacRx {
    pub clock: Signal<In, Clock>,
    pub phy_data: Signal<In, Bits<8>>,
    pub phy_valid: Signal<In, Bit>,
    pub phy_error: Signal<In, Bit>,
    /// Our MAC address, first byte in the high half of `mac_hi`.
    pub mac_hi: Signal<In, Bits<16>>,
    pub mac_mid: Signal<In, Bits<16>>,
    pub mac_lo: Signal<In, Bits<16>>,
    pub promiscuous: Signal<In, Bit>,
    /// The frame carries an 802.1Q tag (EthRx's flag, from the frame's bytes 12 and 13).
    pub tagged: Signal<In, Bit>,
    pub data: Signal<Out, Bits<8>>,
    pub valid: Signal<Out, Bit>,
    pub last: Signal<Out, Bit>,
    pub reason: Signal<Out, Bits<5>>,
    pub crc: Crc32,
    in_frame: DFF<Bit>,
    /// The newest bytes, a ring of eight slots in block RAM (not 40 flip-flops that
    /// each take a logic cell): byte n of the frame at slot n mod 8 (`slot`). A frame's
    /// bytes come on consecutive clocks, so the byte five back, the one that leaves, is
    /// at `slot` + 3, read a clock ahead at `slot` + 4 (bit 2 flipped): never the slot
    /// being written, and written four clocks before.
    held: BlockRam<Bits<8>, 4>,
    slot: DFF<Bits<3>>,
    count: DFF<Bits<11>>,
    reached_64: DFF<Bit>,
    over_1518: DFF<Bit>,
    over_1522: DFF<Bit>,
    phy_err: DFF<Bit>,
    dst_ours: DFF<Bit>,
    dst_broadcast: DFF<Bit>,
    out_data: DFF<Bits<8>>,
    out_valid: DFF<Bit>,
    out_last: DFF<Bit>,
    out_reason: DFF<Bits<5>>,
    /// The byte of our address the next destination byte must equal: chosen a byte
    /// ahead, so that one compare is all that stands in front of `dst_ours` and
    /// `dst_broadcast`.
    our_byte: DFF<Bits<8>>,
    /// `count` while it is below 7, then 7: picks the next byte of our address from
    /// three bits, not from a compare of all eleven (it was a critical path), says
    /// whether the byte is a destination byte, and when the delay line is full.
    dst_index: DFF<Bits<3>>,
    /// The byte is one of the destination's six (`dst_index` below 6).
    in_dst: Signal<Local, Bit>,
    next_our_byte: Signal<Local, Bits<8>>,
}

impl Default for MacRx {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            phy_data: Default::default(),
            phy_valid: Default::default(),
            phy_error: Default::default(),
            mac_hi: Default::default(),
            mac_mid: Default::default(),
            mac_lo: Default::default(),
            promiscuous: Default::default(),
            tagged: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            last: Default::default(),
            reason: Default::default(),
            crc: Default::default(),
            in_frame: Default::default(),
            // Zeroed, so the Verilog and Rust models read the same before the first
            // bytes (the data of a frame under five bytes is meaningless anyway).
            held: BlockRam::zeroed(),
            slot: Default::default(),
            count: Default::default(),
            reached_64: Default::default(),
            over_1518: Default::default(),
            over_1522: Default::default(),
            phy_err: Default::default(),
            dst_ours: Default::default(),
            dst_broadcast: Default::default(),
            out_data: Default::default(),
            out_valid: Default::default(),
            out_last: Default::default(),
            out_reason: Default::default(),
            our_byte: Default::default(),
            dst_index: Default::default(),
            in_dst: Default::default(),
            next_our_byte: Default::default(),
        }
    }
}

impl Logic for MacRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            in_frame,
            slot,
            count,
            reached_64,
            over_1518,
            over_1522,
            phy_err,
            dst_ours,
            dst_broadcast,
            out_data,
            out_valid,
            out_last,
            out_reason,
            our_byte,
            dst_index
        );
        self.crc.clock.next = self.clock.val();
        self.crc.data.next = self.phy_data.val();
        self.crc.enable.next = false;
        self.crc.init.next = false;
        self.held.read_clock.next = self.clock.val();
        self.held.write_clock.next = self.clock.val();
        self.held.write_address.next = bit_cast::<4, 3>(self.slot.q.val());
        self.held.write_data.next = self.phy_data.val();
        self.held.write_enable.next = false;
        self.held.read_address.next = bit_cast::<4, 3>(self.slot.q.val() ^ 4);
        // Loaded every clock, not held: a held register costs a LUT a bit where the
        // blocks are synthesized apart, and the data matters only with `valid`.
        self.out_data.d.next = self.held.read_data.val();
        self.out_valid.d.next = false;
        self.out_last.d.next = false;
        self.in_dst.next = !(self.dst_index.q.val().get_bit(2) & self.dst_index.q.val().get_bit(1));
        // The byte of our address after the one at `count` (`dst_index`).
        self.next_our_byte.next = self.mac_lo.val().get_bits::<8>(0);
        if self.dst_index.q.val() == 0 {
            self.next_our_byte.next = self.mac_hi.val().get_bits::<8>(0);
        }
        if self.dst_index.q.val() == 1 {
            self.next_our_byte.next = self.mac_mid.val().get_bits::<8>(8);
        }
        if self.dst_index.q.val() == 2 {
            self.next_our_byte.next = self.mac_mid.val().get_bits::<8>(0);
        }
        if self.dst_index.q.val() == 3 {
            self.next_our_byte.next = self.mac_lo.val().get_bits::<8>(8);
        }
        // Loaded every clock (the SFD's clock sets the first byte), not held.
        self.our_byte.d.next = self.next_our_byte.val();
        if self.phy_valid.val() {
            if !self.in_frame.q.val() {
                if self.phy_data.val() == 0xD5 {
                    self.in_frame.d.next = true;
                    self.count.d.next = 0.into();
                    self.dst_index.d.next = 0.into();
                    self.reached_64.d.next = false;
                    self.over_1518.d.next = false;
                    self.over_1522.d.next = false;
                    self.phy_err.d.next = false;
                    self.dst_ours.d.next = true;
                    self.dst_broadcast.d.next = true;
                    self.our_byte.d.next = self.mac_hi.val().get_bits::<8>(8);
                }
            } else {
                self.crc.enable.next = true;
                self.crc.init.next = self.dst_index.q.val() == 0;
                self.held.write_enable.next = true;
                self.slot.d.next = self.slot.q.val() + 1;
                // Five bytes held (`dst_index` ≥ 5): the oldest leaves.
                if self.dst_index.q.val().get_bit(2)
                    & (self.dst_index.q.val().get_bit(1) | self.dst_index.q.val().get_bit(0))
                {
                    self.out_valid.d.next = true;
                }
                // Not saturated: past 2047 the count wraps, harmlessly, since the flags
                // it sets are only ever set within a frame and `over_1522` already is.
                self.count.d.next = self.count.q.val() + 1;
                if self.count.q.val() == 63 {
                    self.reached_64.d.next = true;
                }
                if self.count.q.val() == 1518 {
                    self.over_1518.d.next = true;
                }
                if self.count.q.val() == 1522 {
                    self.over_1522.d.next = true;
                }
                if self.dst_index.q.val() != 7 {
                    self.dst_index.d.next = self.dst_index.q.val() + 1;
                }
                if self.in_dst.val() {
                    if self.phy_data.val() != self.our_byte.q.val() {
                        self.dst_ours.d.next = false;
                    }
                    if self.phy_data.val() != 0xFF {
                        self.dst_broadcast.d.next = false;
                    }
                }
                if self.phy_error.val() {
                    self.phy_err.d.next = true;
                }
            }
        } else if self.in_frame.q.val() {
            self.in_frame.d.next = false;
            self.out_valid.d.next = true;
            self.out_last.d.next = true;
        }
        // Loaded every clock, not held (a held bit costs a LUT where blocks are
        // synthesized apart): valid from the clock after the frame's end until its next
        // SFD (what it decides on is final from the end), where the verdict reads it.
        self.out_reason.d.next = 0.into();
        if !self.crc.residue_ok.val() {
            self.out_reason.d.next = 1.into(); // fcs
        } else if !self.reached_64.q.val() {
            self.out_reason.d.next = 2.into(); // runt
        } else if self.over_1522.q.val() | (self.over_1518.q.val() & !self.tagged.val()) {
            self.out_reason.d.next = 3.into(); // giant
        } else if self.phy_err.q.val() {
            self.out_reason.d.next = 4.into(); // phy_error
        } else if !(self.promiscuous.val() | self.dst_ours.q.val() | self.dst_broadcast.q.val()) {
            self.out_reason.d.next = 5.into(); // mac_filter
        }
        self.data.next = self.out_data.q.val();
        self.valid.next = self.out_valid.q.val();
        self.last.next = self.out_last.q.val();
        self.reason.next = self.out_reason.q.val();
    }
}

/// What a PHY delivers for `frame`: seven preamble bytes, the SFD, the frame, and its
/// FCS unless the frame already ends with one.
pub fn phy_bytes(frame: &[u8], append_fcs: bool) -> Vec<u8> {
    let mut bytes = vec![0x55; 7];
    bytes.push(0xD5);
    bytes.extend_from_slice(frame);
    if append_fcs {
        bytes.extend_from_slice(&crate::link::crc32::crc32_ieee(frame).to_le_bytes());
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: [u8; 6] = [0x02, 0x00, 0x00, 0x12, 0x34, 0x56];

    struct Out {
        bytes: Vec<u8>,
        lasts: usize,
        reason: u64,
    }

    fn receive(phy: &[u8], promiscuous: bool) -> Out {
        let mut uut = MacRx::default();
        uut.connect_all();
        uut.mac_hi.next = 0x0200u64.into();
        uut.mac_mid.next = 0x0012u64.into();
        uut.mac_lo.next = 0x3456u64.into();
        uut.promiscuous.next = promiscuous;
        // EthRx's flag, as it would be by the frame's end.
        uut.tagged.next = phy.len() > 21 && phy[20..22] == [0x81, 0x00];
        let mut out = Out {
            bytes: vec![],
            lasts: 0,
            reason: 0,
        };
        let idle = [None; 16];
        for b in phy.iter().map(|&b| Some(b)).chain(idle) {
            uut.phy_valid.next = b.is_some();
            uut.phy_data.next = (b.unwrap_or(0) as u64).into();
            crate::tick!(uut);
            if uut.valid.val() {
                out.bytes.push(uut.data.val().index() as u8);
                if uut.last.val() {
                    out.lasts += 1;
                    out.reason = uut.reason.val().index() as u64;
                }
            }
        }
        out
    }

    fn frame(dst: [u8; 6], len: usize) -> Vec<u8> {
        let mut f = dst.to_vec();
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
        f.extend((0..len - 14).map(|i| (i * 7) as u8));
        f
    }

    #[test]
    fn strips_preamble_and_fcs_of_a_good_frame() {
        let f = frame(OURS, 60);
        let out = receive(&phy_bytes(&f, true), false);
        assert_eq!(out.bytes, f);
        assert_eq!((out.lasts, out.reason), (1, 0));
    }

    #[test]
    fn names_each_reason() {
        let mut bad_fcs = phy_bytes(&frame(OURS, 60), true);
        *bad_fcs.last_mut().unwrap() ^= 1;
        assert_eq!(receive(&bad_fcs, false).reason, 1);
        assert_eq!(receive(&phy_bytes(&frame(OURS, 59), true), false).reason, 2);
        assert_eq!(
            receive(&phy_bytes(&frame(OURS, 1515), true), false).reason,
            3
        );
        assert_eq!(
            receive(&phy_bytes(&frame(OURS, 1514), true), false).reason,
            0
        );
        let mut tagged = frame(OURS, 1518);
        tagged[12..14].copy_from_slice(&[0x81, 0x00]);
        assert_eq!(receive(&phy_bytes(&tagged, true), false).reason, 0);
        let other = frame([0x02, 0, 0, 0x12, 0x34, 0x57], 60);
        assert_eq!(receive(&phy_bytes(&other, true), false).reason, 5);
        assert_eq!(receive(&phy_bytes(&other, true), true).reason, 0);
        assert_eq!(
            receive(&phy_bytes(&frame([0xFF; 6], 60), true), false).reason,
            0
        );
        // Four bytes after the SFD: still one `last`, counted as a bad frame.
        let tiny = receive(&[0x55, 0xD5, 1, 2, 3, 4], false);
        assert_eq!((tiny.lasts, tiny.reason), (1, 1));
    }

    #[test]
    fn each_destination_byte_is_compared() {
        for i in 0..6 {
            let mut dst = OURS;
            dst[i] ^= 0x01;
            let got = receive(&phy_bytes(&frame(dst, 60), true), false).reason;
            assert_eq!(got, 5, "destination byte {i} differs");
            let mut almost_broadcast = [0xFF; 6];
            almost_broadcast[i] = 0xFE;
            let got = receive(&phy_bytes(&frame(almost_broadcast, 60), true), false).reason;
            assert_eq!(got, 5, "broadcast but byte {i}");
        }
        // The byte after the destination (the source's first) is not compared.
        let mut ours = frame(OURS, 60);
        ours[6] = 0x00;
        assert_eq!(receive(&phy_bytes(&ours, true), false).reason, 0);
    }
}
