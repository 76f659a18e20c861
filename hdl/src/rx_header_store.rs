//! The header bytes of the last four frames, in one block RAM: what the receive path
//! parsed that only a report needs (`tcpip replay`, the receive tests) is read from
//! here, through `read_address`/`read_data`, instead of being held in flip-flops.
//!
//! Each layer's header bytes go to a fixed place in the frame's bank (128 bytes) as
//! they stream past, counted by the position of the byte in its layer's stream; these
//! positions are the receive path's one count of where a byte is, which the message
//! writer ([`RxMessage`]), ArpRx and TransportRx use too:
//!
//! | bank offset | bytes |
//! |---|---|
//! | 0..=17 | the frame from its destination MAC: addresses, tag, ethertype |
//! | 32..=59 | the Ethernet payload's first 28 bytes: the ARP packet, the IPv4 header |
//! | 64..=83 | the IP payload's first 20 bytes: the TCP, UDP or ICMP header |
//! | 84..=91 | TCP's timestamps option value (TSval, TSecr), wherever it was |
//!
//! One write per clock, so where two streams offer a byte one wins: the Ethernet
//! payload's first 20 bytes (28 for ARP) over the IP payload, which Ipv4Rx also marks
//! in frames it does not take (ARP, a header length below 5: nothing parses those
//! bytes as a transport header then); the IP payload over the link stream. The link
//! bytes lost are past the Ethernet header, the Ethernet payload's past the IPv4
//! header: each stream is one clock behind the one outside it. The bank moves
//! on when a frame ends: `bank` (out) names the frame that ended last, whose bytes stay
//! until three more frames have ended.
//!
//! [`RxMessage`]: crate::board::rx_message::RxMessage

use crate::block_ram::BlockRam;
use rust_hdl::prelude::*;

/// Where each layer starts in a frame's bank.
pub const LINK_BASE: usize = 0;
pub const L3_BASE: usize = 32;
pub const L4_BASE: usize = 64;
pub const TIMESTAMPS_BASE: usize = 84;
/// Bytes per bank; a frame's bytes are at `bank * BANK_BYTES + offset`.
pub const BANK_BYTES: usize = 128;

#[derive(LogicBlock)]
pub struct RxHeaderStore {
    pub clock: Signal<In, Clock>,
    /// The frame, from its destination MAC on (MacRx's output).
    pub link_data: Signal<In, Bits<8>>,
    pub link_valid: Signal<In, Bit>,
    pub link_last: Signal<In, Bit>,
    /// EthRx's output, `l3` marking the Ethernet payload.
    pub l3_data: Signal<In, Bits<8>>,
    pub l3_valid: Signal<In, Bit>,
    pub l3: Signal<In, Bit>,
    /// The frame is ARP (EthRx's flag): its packet is 28 bytes.
    pub arp: Signal<In, Bit>,
    /// Ipv4Rx's output, `l4` marking the IP payload.
    pub l4_data: Signal<In, Bits<8>>,
    pub l4_valid: Signal<In, Bit>,
    pub l4: Signal<In, Bit>,
    /// TransportRx: this IP payload byte is byte `option_index` of the timestamps
    /// option's value.
    pub option_write: Signal<In, Bit>,
    pub option_index: Signal<In, Bits<3>>,
    /// Position of the current byte in each stream (saturating at 31; the IP
    /// payload's at 127, far enough for TransportRx: TCP options, ICMP's first 64 bytes).
    pub link_pos: Signal<Out, Bits<5>>,
    pub l3_pos: Signal<Out, Bits<5>>,
    pub l4_pos: Signal<Out, Bits<7>>,
    /// The bank of the frame that ended last.
    pub bank: Signal<Out, Bits<2>>,
    /// Read port: bank × 128 + offset in, the byte one clock later.
    pub read_address: Signal<In, Bits<9>>,
    pub read_data: Signal<Out, Bits<8>>,
    /// A block RAM without rust-hdl's read-during-write logic around it: a bank is
    /// read (for a report) only after its frame has ended, while the next frame writes
    /// another bank.
    ram: BlockRam<Bits<8>, 9>,
    write_bank: DFF<Bits<2>>,
    /// The link stream ended one and two clocks ago: the IP payload stream, two
    /// clocks behind it, ends with the second.
    ended_d1: DFF<Bit>,
    ended_d2: DFF<Bit>,
    link_pos_r: DFF<Bits<5>>,
    l3_pos_r: DFF<Bits<5>>,
    l4_pos_r: DFF<Bits<7>>,
    offset: Signal<Local, Bits<7>>,
    l3_write: Signal<Local, Bit>,
}

impl Default for RxHeaderStore {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            link_data: Default::default(),
            link_valid: Default::default(),
            link_last: Default::default(),
            l3_data: Default::default(),
            l3_valid: Default::default(),
            l3: Default::default(),
            arp: Default::default(),
            l4_data: Default::default(),
            l4_valid: Default::default(),
            l4: Default::default(),
            option_write: Default::default(),
            option_index: Default::default(),
            link_pos: Default::default(),
            l3_pos: Default::default(),
            l4_pos: Default::default(),
            bank: Default::default(),
            read_address: Default::default(),
            read_data: Default::default(),
            // Zeroed, so the Verilog and Rust models read the same before the first write.
            ram: BlockRam::zeroed(),
            write_bank: Default::default(),
            ended_d1: Default::default(),
            ended_d2: Default::default(),
            link_pos_r: Default::default(),
            l3_pos_r: Default::default(),
            l4_pos_r: Default::default(),
            offset: Default::default(),
            l3_write: Default::default(),
        }
    }
}

impl Logic for RxHeaderStore {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, write_bank, ended_d1, ended_d2, link_pos_r, l3_pos_r, l4_pos_r);
        self.ram.read_clock.next = self.clock.val();
        self.ram.write_clock.next = self.clock.val();
        if self.link_valid.val() {
            if self.link_last.val() {
                self.link_pos_r.d.next = 0.into();
            } else if self.link_pos_r.q.val() != 31 {
                self.link_pos_r.d.next = self.link_pos_r.q.val() + 1;
            }
        }
        self.ended_d1.d.next = self.link_valid.val() & self.link_last.val();
        self.ended_d2.d.next = self.ended_d1.q.val();
        if self.ended_d2.q.val() {
            self.write_bank.d.next = self.write_bank.q.val() + 1;
        }
        if self.l3_valid.val() {
            if !self.l3.val() {
                self.l3_pos_r.d.next = 0.into();
            } else if self.l3_pos_r.q.val() != 31 {
                self.l3_pos_r.d.next = self.l3_pos_r.q.val() + 1;
            }
        }
        if self.l4_valid.val() {
            if !self.l4.val() {
                self.l4_pos_r.d.next = 0.into();
            } else if self.l4_pos_r.q.val() != 127 {
                self.l4_pos_r.d.next = self.l4_pos_r.q.val() + 1;
            }
        }
        self.ram.write_enable.next = false;
        self.offset.next = bit_cast::<7, 5>(self.link_pos_r.q.val());
        self.ram.write_data.next = self.link_data.val();
        // The position bounds as logic on the bits (< 18, < 20, < 28), and the bases ORed
        // in where the position cannot reach them: no carry chains.
        if self.link_valid.val()
            & (!self.link_pos_r.q.val().get_bit(4)
                | (self.link_pos_r.q.val().get_bits::<3>(1) == 0))
        {
            self.ram.write_enable.next = true;
        }
        if self.l4_valid.val()
            & self.l4.val()
            & (self.l4_pos_r.q.val().get_bits::<2>(5) == 0)
            & (!self.l4_pos_r.q.val().get_bit(4) | (self.l4_pos_r.q.val().get_bits::<2>(2) == 0))
        {
            self.ram.write_enable.next = true;
            self.offset.next = self.l4_pos_r.q.val() | 64;
            self.ram.write_data.next = self.l4_data.val();
        }
        if self.l4_valid.val() & self.l4.val() & self.option_write.val() {
            self.ram.write_enable.next = true;
            self.offset.next = bit_cast::<7, 3>(self.option_index.val()) + 84;
            self.ram.write_data.next = self.l4_data.val();
        }
        self.l3_write.next = self.l3_valid.val()
            & self.l3.val()
            & (!self.l3_pos_r.q.val().get_bit(4)
                | (self.l3_pos_r.q.val().get_bits::<2>(2) == 0)
                | (self.arp.val() & (self.l3_pos_r.q.val().get_bits::<2>(2) != 3)));
        if self.l3_write.val() {
            self.ram.write_enable.next = true;
            self.offset.next = bit_cast::<7, 5>(self.l3_pos_r.q.val()) | 32;
            self.ram.write_data.next = self.l3_data.val();
        }
        self.ram.write_address.next =
            (bit_cast::<9, 2>(self.write_bank.q.val()) << 7) | bit_cast::<9, 7>(self.offset.val());
        self.ram.read_address.next = self.read_address.val();
        self.read_data.next = self.ram.read_data.val();
        self.link_pos.next = self.link_pos_r.q.val();
        self.l3_pos.next = self.l3_pos_r.q.val();
        self.l4_pos.next = self.l4_pos_r.q.val();
        self.bank.next = self.write_bank.q.val() - 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Streams `frame` as the three layers see it: the link stream from byte 0, the
    /// Ethernet payload from `l3_at` one clock later, the IP payload from `l4_at` one
    /// clock after that (as EthRx and Ipv4Rx delay it), with the timestamp option's
    /// value bytes marked at `ts_at`. ARP if the ethertype before `l3_at` says so.
    fn stream(uut: &mut RxHeaderStore, frame: &[u8], l3_at: usize, l4_at: usize, ts_at: usize) {
        let n = frame.len();
        uut.arp.next = u16::from_be_bytes([frame[l3_at - 2], frame[l3_at - 1]]) == 0x0806;
        for i in 0..n + 2 {
            let byte = |k: Option<usize>| k.and_then(|k| frame.get(k).copied());
            let link = byte(Some(i));
            let l3 = byte(i.checked_sub(1));
            let l4 = byte(i.checked_sub(2));
            uut.link_valid.next = link.is_some();
            uut.link_data.next = (link.unwrap_or(0) as u64).into();
            uut.link_last.next = i + 1 == n;
            uut.l3_valid.next = l3.is_some();
            uut.l3_data.next = (l3.unwrap_or(0) as u64).into();
            uut.l3.next = i >= l3_at + 1 && l3.is_some();
            uut.l4_valid.next = l4.is_some();
            uut.l4_data.next = (l4.unwrap_or(0) as u64).into();
            uut.l4.next = i >= l4_at + 2 && l4.is_some();
            let ts = (i >= ts_at + 2) && (i < ts_at + 10);
            uut.option_write.next = ts;
            uut.option_index.next = (i.saturating_sub(ts_at + 2) as u64 & 7).into();
            crate::tick!(*uut);
        }
        for _ in 0..3 {
            uut.link_valid.next = false;
            uut.l3_valid.next = false;
            uut.l4_valid.next = false;
            uut.option_write.next = false;
            crate::tick!(*uut);
        }
    }

    fn read(uut: &mut RxHeaderStore, bank: u64, offset: usize, len: usize) -> Vec<u8> {
        (0..len)
            .map(|k| {
                uut.read_address.next = (bank * BANK_BYTES as u64 + (offset + k) as u64).into();
                crate::tick!(*uut);
                uut.read_data.val().index() as u8
            })
            .collect()
    }

    #[test]
    fn each_layer_lands_at_its_base_and_the_last_four_frames_stay() {
        let mut uut = RxHeaderStore::default();
        uut.connect_all();
        let mut frames = vec![];
        for k in 0..5u8 {
            // IPv4 (IHL 5), tagged or not, a TCP header with timestamps at 24.
            let tagged = k % 2 == 1;
            let l3_at = if tagged { 18 } else { 14 };
            let l4_at = l3_at + 20;
            let mut f: Vec<u8> = (0..l4_at + 60)
                .map(|i| (i as u8).wrapping_mul(7) ^ (k * 40))
                .collect();
            f[l3_at - 2..l3_at].copy_from_slice(&[0x08, 0x00]);
            // Frame 2's timestamps end the frame: its last bytes, two clocks after the
            // link stream ended, still land in its own bank.
            let ts_at = if k == 2 { f.len() - 8 } else { l4_at + 24 };
            stream(&mut uut, &f, l3_at, l4_at, ts_at);
            frames.push((f, l3_at, l4_at, ts_at));
            assert_eq!(uut.bank.val().index() as u8, k % 4, "frame {k}");
        }
        // Frames 1..=4 are held (frame 0's bank went to frame 4).
        for k in 1..5usize {
            let (f, l3_at, l4_at, ts) = &frames[k];
            let bank = (k % 4) as u64;
            assert_eq!(
                read(&mut uut, bank, LINK_BASE, *l3_at),
                f[..*l3_at],
                "frame {k} link"
            );
            assert_eq!(
                read(&mut uut, bank, L3_BASE, 20),
                f[*l3_at..l3_at + 20],
                "frame {k} l3"
            );
            assert_eq!(
                read(&mut uut, bank, L4_BASE, 20),
                f[*l4_at..l4_at + 20],
                "frame {k} l4"
            );
            assert_eq!(
                read(&mut uut, bank, TIMESTAMPS_BASE, 8),
                f[*ts..ts + 8],
                "frame {k} ts"
            );
        }
    }

    #[test]
    fn an_arp_packet_is_kept_whole_and_positions_count_each_stream() {
        let mut uut = RxHeaderStore::default();
        uut.connect_all();
        let mut f: Vec<u8> = (0..60).map(|i| 100 + i as u8).collect();
        f[12..14].copy_from_slice(&[0x08, 0x06]);
        // Ipv4Rx marks an IP payload in an ARP frame too (its "IHL" is 0): from
        // the packet's byte 4 on.
        stream(&mut uut, &f, 14, 18, 1000);
        assert_eq!(read(&mut uut, 0, LINK_BASE, 14), f[..14]);
        assert_eq!(read(&mut uut, 0, L3_BASE, 28), f[14..42]);
        // After the frame: the link position is back at 0, the others saturate.
        assert_eq!(uut.link_pos.val().index(), 0);
        assert_eq!(uut.l3_pos.val().index(), 31);
    }

    #[test]
    fn an_ipv4_header_length_below_5_keeps_the_header() {
        let mut uut = RxHeaderStore::default();
        uut.connect_all();
        let mut f: Vec<u8> = (0..80).map(|i| 3 * i as u8).collect();
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        stream(&mut uut, &f, 14, 18, 1000);
        assert_eq!(read(&mut uut, 0, L3_BASE, 20), f[14..34]);
    }
}
