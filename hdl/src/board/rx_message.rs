//! Writes the link message of the segment streaming past (RxTcp, RxUdp or RxIcmp,
//! layouts in host/src/link/message.rs) into the receive FIFO, each header byte straight to its
//! place as it passes, so that no header field is held in a register for the host and
//! nothing is copied later: the FIFO's bytes are the message LinkTx sends.
//!
//! It watches the three streams the parsers see: the frame (as EthRx gets it), the
//! Ethernet payload (as Ipv4Rx gets it) and the IP payload (as TransportRx gets it),
//! with each byte's position in its stream as the header store counts it
//! ([`RxHeaderStore`]). Offsets are from the record's start (see
//! [`RxFifo`]: the message starts at 2 for TCP, 4 for UDP, so the source MAC (frame
//! bytes 6..=11, offsets 5..=10) and source IP (IP bytes 12..=15, offsets 11..=14) land
//! right for either before the protocol is known). The message is little-endian, the
//! wire big-endian: ports, seq, ack, flags and window go in byte-reversed. UDP's
//! destination IP (IP bytes 16..=19, offsets 15..=18) is written for TCP too, and TCP's
//! ports, which stream past later, overwrite it.
//!
//! The three streams are one byte stream, each a clock behind the one outside it, so
//! every byte written is taken from the last of them, the IP payload stream: a frame
//! byte's write is decided from its own stream's position as it passes there, and
//! carried along in flip-flops until the byte reaches `l4_data` (the source MAC's two
//! clocks, the IP addresses' one). One data source, not a choice of three.
//!
//! The field port comes from flip-flops: each byte is written a clock after it passed
//! the IP payload stream, and each trailer byte a clock after the FIFO asked for it
//! (the FIFO expects that).
//!
//! Every field of a kept message is written during its frame, or while the FIFO seals
//! it: the type and protocol bytes, TCP's header length, the NS flag and the parsed
//! options (from TransportRx's registers, final by then) come from the trailer table below.
//! ICMP is written as UDP is (RxIcmp has RxUdp's layout, type byte 0x08): its type and
//! code land in the source port's slot, its checksum in the destination port's.
//! Frames that are not TCP, UDP or ICMP write into the uncommitted record too, harmlessly.
//!
//! [`RxFifo`]: super::rx_fifo::RxFifo
//! [`RxHeaderStore`]: crate::rx_header_store::RxHeaderStore

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct RxMessage {
    pub clock: Signal<In, Clock>,
    /// The frame, from its destination MAC on (MacRx's output): its beats.
    pub link_valid: Signal<In, Bit>,
    /// EthRx's output, `l3` marking the Ethernet payload: its beats.
    pub l3_valid: Signal<In, Bit>,
    pub l3: Signal<In, Bit>,
    /// Ipv4Rx's output, `l4` marking the IP payload, and the protocol (decoded there):
    /// the byte every write takes.
    pub l4_data: Signal<In, Bits<8>>,
    pub l4_valid: Signal<In, Bit>,
    pub l4: Signal<In, Bit>,
    pub is_tcp: Signal<In, Bit>,
    pub is_udp: Signal<In, Bit>,
    pub is_icmp: Signal<In, Bit>,
    /// Position of the current byte in each stream (saturating at 31, the IP
    /// payload's at 127).
    pub link_pos: Signal<In, Bits<5>>,
    pub l3_pos: Signal<In, Bits<5>>,
    pub l4_pos: Signal<In, Bits<7>>,
    /// TransportRx's registers, read while sealing.
    pub header_len: Signal<In, Bits<8>>,
    /// TCP's NS flag.
    pub ns: Signal<In, Bit>,
    pub mss: Signal<In, Bits<16>>,
    pub mss_present: Signal<In, Bit>,
    pub window_scale: Signal<In, Bits<8>>,
    pub window_scale_present: Signal<In, Bit>,
    pub sack_permitted: Signal<In, Bit>,
    pub timestamps_present: Signal<In, Bit>,
    /// The FIFO asks for trailer byte `seal_index`.
    pub sealing: Signal<In, Bit>,
    pub seal_index: Signal<In, Bits<3>>,
    pub field_write: Signal<Out, Bit>,
    pub field_offset: Signal<Out, Bits<6>>,
    pub field_data: Signal<Out, Bits<8>>,
    pub udp: Signal<Out, Bit>,
    // The field port comes from flip-flops, a clock after the byte passed (and a clock
    // after `seal_index` asked): the decode of the positions is then off the path into
    // the FIFO's write address (100 MHz).
    write_r: DFF<Bit>,
    offset_r: DFF<Bits<6>>,
    data_r: DFF<Bits<8>>,
    /// A source MAC byte passed the frame stream a clock ago (it is on EthRx's output
    /// now), and its offset.
    mac_write: DFF<Bit>,
    mac_offset: DFF<Bits<6>>,
    /// An address byte (source MAC or IP) passed the Ethernet payload stream a clock
    /// ago (it is on `l4_data` now), and its offset.
    addr_write_r: DFF<Bit>,
    addr_offset_r: DFF<Bits<6>>,
    l4_write: Signal<Local, Bit>,
    l4_offset: Signal<Local, Bits<6>>,
    addr_write: Signal<Local, Bit>,
    /// The chosen address byte's offset: its position less one.
    addr_offset: Signal<Local, Bits<6>>,
}

impl Logic for RxMessage {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            write_r,
            offset_r,
            data_r,
            mac_write,
            mac_offset,
            addr_write_r,
            addr_offset_r
        );
        // ICMP's record is UDP's (RxIcmp has RxUdp's layout): its first four bytes,
        // type, code and checksum, land in the ports' slots, byte-swapped alike.
        self.udp.next = self.is_udp.val() | self.is_icmp.val();
        // Where a transport header byte goes: TCP bytes 0..=15 but 12 (data offset and
        // NS, from the trailer); UDP bytes 0..=3 (the ports). A balanced case on the
        // position, each arm a constant.
        self.l4_write.next = true;
        self.l4_offset.next = 0.into();
        match self.l4_pos.val().get_bits::<4>(0).index() {
            0 => {
                self.l4_offset.next = 16.into();
                if self.udp.val() {
                    self.l4_offset.next = 20.into();
                }
            }
            1 => {
                self.l4_offset.next = 15.into();
                if self.udp.val() {
                    self.l4_offset.next = 19.into();
                }
            }
            2 => {
                self.l4_offset.next = 18.into();
                if self.udp.val() {
                    self.l4_offset.next = 22.into();
                }
            }
            3 => {
                self.l4_offset.next = 17.into();
                if self.udp.val() {
                    self.l4_offset.next = 21.into();
                }
            }
            4 => {
                self.l4_offset.next = 22.into();
            }
            5 => {
                self.l4_offset.next = 21.into();
            }
            6 => {
                self.l4_offset.next = 20.into();
            }
            7 => {
                self.l4_offset.next = 19.into();
            }
            8 => {
                self.l4_offset.next = 26.into();
            }
            9 => {
                self.l4_offset.next = 25.into();
            }
            10 => {
                self.l4_offset.next = 24.into();
            }
            11 => {
                self.l4_offset.next = 23.into();
            }
            13 => {
                self.l4_offset.next = 27.into();
            }
            14 => {
                self.l4_offset.next = 30.into();
            }
            15 => {
                self.l4_offset.next = 29.into();
            }
            _ => {
                self.l4_write.next = false;
            }
        }
        if (self.l4_pos.val().get_bits::<3>(4) != 0)
            | (self.udp.val() & (self.l4_pos.val().get_bits::<2>(2) != 0))
        {
            self.l4_write.next = false;
        }
        if !(self.is_tcp.val() | self.udp.val()) {
            self.l4_write.next = false;
        }
        // The source MAC (frame bytes 6..=11) and the IP addresses (IP bytes 12..=19)
        // go to their position less one: each position's decrement made beside the
        // range decode, and the ranges decoded from the positions' bits (6..=11: 0011x
        // or 010xx; 12..=19: 011xx or 100xx), not compared on carry chains (a compare,
        // then a decrement behind the choice, was a critical path). Each is decided in
        // its own stream and carried to the IP payload stream's clock; the two never
        // fall in one clock (the IP addresses are frame bytes 26 and later).
        self.mac_write.d.next = self.link_valid.val()
            & ((self.link_pos.val().get_bits::<4>(1) == 3)
                | (self.link_pos.val().get_bits::<3>(2) == 2));
        self.mac_offset.d.next = bit_cast::<6, 5>(self.link_pos.val()) - 1;
        self.addr_write.next = self.mac_write.q.val();
        self.addr_offset.next = self.mac_offset.q.val();
        if self.l3_valid.val()
            & self.l3.val()
            & ((self.l3_pos.val().get_bits::<3>(2) == 3)
                | (self.l3_pos.val().get_bits::<3>(2) == 4))
        {
            self.addr_write.next = true;
            self.addr_offset.next = bit_cast::<6, 5>(self.l3_pos.val()) - 1;
        }
        self.addr_write_r.d.next = self.addr_write.val();
        self.addr_offset_r.d.next = self.addr_offset.val();
        // Offset and data matter only with `write_r`: no zeroes as their defaults.
        self.write_r.d.next = self.addr_write_r.q.val();
        self.offset_r.d.next = self.addr_offset_r.q.val();
        self.data_r.d.next = self.l4_data.val();
        if self.l4_valid.val() & self.l4.val() & self.l4_write.val() {
            self.write_r.d.next = true;
            self.offset_r.d.next = self.l4_offset.val();
        }
        // The trailer: fields known only at the end (offsets as above; UDP has only its
        // type byte, written eight times).
        if self.sealing.val() {
            self.write_r.d.next = true;
            self.offset_r.d.next = 4.into();
            self.data_r.d.next = 0x03.into();
            // RxIcmp (0x08) where the protocol is 1, not 17.
            if self.is_icmp.val() {
                self.data_r.d.next = 0x08.into();
            }
            if self.is_tcp.val() {
                match self.seal_index.val().index() {
                    0 => {
                        self.offset_r.d.next = 2.into();
                        self.data_r.d.next = 0x02.into();
                    }
                    1 => {
                        self.offset_r.d.next = 3.into();
                        self.data_r.d.next = 6.into();
                    }
                    2 => {
                        self.data_r.d.next = self.header_len.val();
                    }
                    3 => {
                        self.offset_r.d.next = 28.into();
                        self.data_r.d.next = bit_cast::<8, 1>(self.ns.val().into());
                    }
                    4 => {
                        self.offset_r.d.next = 31.into();
                        self.data_r.d.next = 0.into();
                        if self.mss_present.val() {
                            self.data_r.d.next = self.mss.val().get_bits::<8>(0);
                        }
                    }
                    5 => {
                        self.offset_r.d.next = 32.into();
                        self.data_r.d.next = 0.into();
                        if self.mss_present.val() {
                            self.data_r.d.next = self.mss.val().get_bits::<8>(8);
                        }
                    }
                    6 => {
                        self.offset_r.d.next = 33.into();
                        self.data_r.d.next = 0xFF.into();
                        if self.window_scale_present.val() {
                            self.data_r.d.next = self.window_scale.val();
                        }
                    }
                    _ => {
                        self.offset_r.d.next = 34.into();
                        self.data_r.d.next = bit_cast::<8, 1>(self.sack_permitted.val().into())
                            | (bit_cast::<8, 1>(self.timestamps_present.val().into()) << 1);
                    }
                }
            }
        }
        self.field_write.next = self.write_r.q.val();
        self.field_offset.next = self.offset_r.q.val();
        self.field_data.next = self.data_r.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends a frame's three streams as the pipeline does (the Ethernet payload one
    /// clock behind the frame, the IP payload one more), with each stream's positions
    /// counted as the header store counts them, then the trailer; returns each record
    /// offset written, with its last value.
    fn message(
        frame: &[u8],
        protocol: u8,
        l4_at: usize,
        opts: (u16, u8, bool, bool),
    ) -> [Option<u8>; 64] {
        let mut uut = RxMessage::default();
        uut.connect_all();
        uut.is_tcp.next = protocol == 6;
        uut.is_udp.next = protocol == 17;
        uut.is_icmp.next = protocol == 1;
        uut.header_len.next = 32u64.into();
        uut.ns.next = true;
        uut.mss.next = (opts.0 as u64).into();
        uut.mss_present.next = opts.0 != 0;
        uut.window_scale.next = (opts.1 as u64).into();
        uut.window_scale_present.next = opts.1 != 0xFF;
        uut.sack_permitted.next = opts.2;
        uut.timestamps_present.next = opts.3;
        let mut record = [None; 64];
        let n = frame.len();
        let pos = |k: usize, start: usize| (k.saturating_sub(start)).min(31) as u64;
        let write = |uut: &mut RxMessage, record: &mut [Option<u8>; 64]| {
            uut.clock.next = false.into();
            assert!(simulate(&mut *uut, 200));
            if uut.field_write.val() {
                record[uut.field_offset.val().index()] = Some(uut.field_data.val().index() as u8);
            }
            crate::tick!(*uut);
        };
        for i in 0..n + 2 {
            let link = frame.get(i);
            uut.link_valid.next = link.is_some();
            uut.link_pos.next = pos(i, 0).into();
            let l3 = i.checked_sub(1).and_then(|k| frame.get(k).map(|b| (k, b)));
            uut.l3_valid.next = l3.is_some();
            uut.l3.next = l3.is_some_and(|(k, _)| k >= 14);
            uut.l3_pos.next = l3.map_or(0, |(k, _)| pos(k, 14)).into();
            let l4 = i.checked_sub(2).and_then(|k| frame.get(k).map(|b| (k, b)));
            uut.l4_valid.next = l4.is_some();
            uut.l4.next = l4.is_some_and(|(k, _)| k >= l4_at);
            uut.l4_data.next = (*l4.map_or(&0, |l| l.1) as u64).into();
            let l4_pos = l4.map_or(0, |(k, _)| k.saturating_sub(l4_at).min(127) as u64);
            uut.l4_pos.next = l4_pos.into();
            write(&mut uut, &mut record);
        }
        uut.link_valid.next = false;
        uut.l3_valid.next = false;
        uut.l4_valid.next = false;
        uut.sealing.next = true;
        for k in 0..8u64 {
            uut.seal_index.next = k.into();
            write(&mut uut, &mut record);
        }
        // The field port is registered: the last answer comes a clock later.
        uut.sealing.next = false;
        write(&mut uut, &mut record);
        record
    }

    /// An Ethernet + IPv4 (IHL 5) frame with `l4` as its payload.
    fn frame(protocol: u8, l4: &[u8]) -> Vec<u8> {
        let mut f = vec![
            0x02, 0, 0, 0, 0, 1, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 8, 0,
        ];
        f.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0, 0, 64, protocol, 0, 0]);
        f.extend_from_slice(&[10, 0, 0, 7, 10, 0, 0, 2]);
        f.extend_from_slice(l4);
        f
    }

    #[test]
    fn a_tcp_segment_becomes_an_rx_tcp_message_in_place() {
        let mut tcp = vec![0x04, 0xD2, 0x1F, 0x90, 1, 2, 3, 4, 0xA, 0xB, 0xC, 0xD];
        tcp.extend_from_slice(&[0x81, 0x12, 0xFA, 0xF0, 0x55, 0x55, 0, 0]);
        tcp.extend_from_slice(&[0xEE; 12]);
        let r = message(&frame(6, &tcp), 6, 34, (1460, 7, true, false));
        let mut want = [None; 64];
        // Type, protocol, header length; source MAC and IP as they were on the wire.
        for (at, b) in [(2, 0x02), (3, 6), (4, 32)] {
            want[at] = Some(b);
        }
        for (k, b) in [0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 10, 0, 0, 7]
            .into_iter()
            .enumerate()
        {
            want[5 + k] = Some(b);
        }
        // Ports, seq, ack, flags (NS from the trailer), window: little-endian.
        let le: [(usize, &[u8]); 6] = [
            (15, &[0xD2, 0x04]),
            (17, &[0x90, 0x1F]),
            (19, &[4, 3, 2, 1]),
            (23, &[0xD, 0xC, 0xB, 0xA]),
            (27, &[0x12, 1]),
            (29, &[0xF0, 0xFA]),
        ];
        for (at, bytes) in le {
            for (k, &b) in bytes.iter().enumerate() {
                want[at + k] = Some(b);
            }
        }
        // MSS (little-endian), window scale, SACK-permitted and timestamps bits.
        for (at, b) in [(31, 0xB4), (32, 0x05), (33, 7), (34, 1)] {
            want[at] = Some(b);
        }
        // The UDP destination IP's slots (15..=18) were written first and overwritten
        // by the ports; nothing else is written.
        assert_eq!(r, want);
    }

    #[test]
    fn a_udp_datagram_becomes_an_rx_udp_message_in_place() {
        let udp = [0x30, 0x39, 0x00, 0x35, 0, 12, 0xAB, 0xCD, 1, 2, 3, 4];
        let r = message(&frame(17, &udp), 17, 34, (0, 0xFF, false, false));
        let mut want = [None; 64];
        want[4] = Some(0x03);
        let fields = [0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 10, 0, 0, 7, 10, 0, 0, 2];
        for (k, b) in fields.into_iter().enumerate() {
            want[5 + k] = Some(b);
        }
        for (at, b) in [(19, 0x39), (20, 0x30), (21, 0x35), (22, 0x00)] {
            want[at] = Some(b);
        }
        assert_eq!(r, want);
    }

    #[test]
    fn an_icmp_message_becomes_an_rx_icmp_message_in_place() {
        let icmp = [3, 3, 0xAB, 0xCD, 0, 0, 0x02, 0x40, 0x45, 0];
        let r = message(&frame(1, &icmp), 1, 34, (0, 0xFF, false, false));
        let mut want = [None; 64];
        want[4] = Some(0x08);
        let fields = [0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 10, 0, 0, 7, 10, 0, 0, 2];
        for (k, b) in fields.into_iter().enumerate() {
            want[5 + k] = Some(b);
        }
        // Code, type, checksum as UDP's ports go: little-endian 16-bit words.
        for (at, b) in [(19, 3), (20, 3), (21, 0xCD), (22, 0xAB)] {
            want[at] = Some(b);
        }
        assert_eq!(r, want);
    }

    #[test]
    fn other_protocols_write_only_the_shared_fields() {
        let r = message(
            &frame(2, &[0x11, 0, 0, 0, 0, 1, 0, 2]),
            2,
            34,
            (0, 0xFF, false, false),
        );
        assert!(
            r[15..].iter().take(4).all(|b| b.is_some()),
            "destination IP slots"
        );
        assert!(r[19..].iter().all(Option::is_none), "{r:?}");
    }
}
