//! IPv4 transmit (RFC 791): takes the transmit path's two frame sources in turn and
//! turns each frame's stream into the Ethernet frame from its destination on, wrapping
//! IPv4 messages in a 20-byte header; ARP passes through.
//!
//! The sources: host segments and the board's echo replies (`host_*`, from
//! `TransportTx`, which sends whatever TxStage holds) and ARP (`arp_*`, from `ArpTx`).
//! Each offers one stream (`data`, `valid`, `last`, `ready`) that carries its frame's
//! destination in front of its message, so nothing travels beside it and nothing is
//! copied on the way (the transmit path's source contract):
//!
//! ```text
//! IPv4: kind (the IP protocol: 1, 6, 17) | L4 length (2, big-endian) | destination IP (4)
//!       | destination MAC (6) | total length (2: the L4 length + 20) | destination IP (4)
//!       | the L4 message
//! ARP:  kind 0 | destination MAC (6) | the 28-byte ARP message
//! ```
//!
//! The length and address come first so that the header checksum is made before the
//! MAC header has left; the MAC then goes to the wire as it comes, and the total length
//! and address again where the IPv4 header has them (so no register here keeps them).
//! Once a source raises `valid` it offers a byte on every clock `ready` is high, to its
//! `last`.
//!
//! Round robin: between frames (phase 0) the granted source's kind is taken if it is
//! valid, else the grant goes to the other source if that one is (one clock); after
//! each frame's last byte the grant goes to the other source, so a source never waits
//! more than one frame. A source's `ready` is this block's `ready` (flip-flops and the
//! output buffer's room) and the grant, a flip-flop: it reaches no further than here.
//!
//! Out: the destination MAC (passed through as it comes), the EtherType (0x0800, or
//! 0x0806 for ARP), for IPv4 the header, then the message. `MacTx` puts our MAC after
//! the first six bytes.
//!
//! Header: version/IHL 0x45, TOS 0, total length, identification from a counter that
//! moves on with every wrapped packet, DF set, TTL 64, protocol `kind`, header
//! checksum, source `our_ip`, destination. The total length (bytes 2-3) and the
//! destination (16-19) are the source's second copy, passed on as they come (`ready`
//! is the output buffer's room on those bytes, low on the others): the first copy,
//! ahead of the MAC, is only summed, so no register here keeps a length or an address.
//!
//! The checksum ([`OnesWordSum`], a word per clock) takes the constant rest
//! (0x4500 + 0x4000 (DF) + the header's 20 bytes in the total length) when the kind
//! arrives, the first copy's length and address as they stream in, then, while the MAC
//! and the EtherType go out, the header's own bytes 4, 5, 8, 9 and 12-15
//! (identification, TTL and protocol, our address) as the header's byte mux gives them:
//! every byte as a word of its own (in the word's high half at an even `index`, its
//! low half at an odd one); then zero words fold the carry. It is final three clocks into the header, long
//! before header byte 10. The output goes through a two-entry skid buffer
//! ([`StreamSkid`]), the register stage `MacTx` reads directly: its `ready` and `out_*`
//! are registers, so `MacTx`'s ready and the sources' data meet here, not in one path. This block's own `ready` is one LUT of
//! flip-flops (the phase's decode registered a clock ahead, and the buffer's room).
//! The sources' stream registers (TransportTx's skid buffer, ArpTx's byte register)
//! reach this block's logic through the grant's 2:1 choice, the only buffer between
//! the sources and `MacTx` being this block's (a separate arbiter with a skid buffer of
//! its own cost 49 LUT4s by `-noflatten`).

use crate::board::stream_skid::StreamSkid;
use crate::internet::word_sum::OnesWordSum;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct Ipv4Tx {
    pub clock: Signal<In, Clock>,
    pub our_ip: Signal<In, Bits<32>>,
    pub host_data: Signal<In, Bits<8>>,
    pub host_valid: Signal<In, Bit>,
    pub host_last: Signal<In, Bit>,
    pub host_ready: Signal<Out, Bit>,
    pub arp_data: Signal<In, Bits<8>>,
    pub arp_valid: Signal<In, Bit>,
    pub arp_last: Signal<In, Bit>,
    pub arp_ready: Signal<Out, Bit>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_last: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    sum: OnesWordSum,
    pub outbuf: StreamSkid,
    /// The granted source's byte.
    data: Signal<Local, Bits<8>>,
    /// The granted source is ARP (else the host's).
    grant_arp: DFF<Bit>,
    /// The granted source's `valid` and `last`.
    valid: Signal<Local, Bit>,
    last: Signal<Local, Bit>,
    /// This block's readiness for the granted source (from flip-flops).
    ready: Signal<Local, Bit>,
    /// The other source has a frame waiting.
    other_valid: Signal<Local, Bit>,
    /// The byte, as a kind, is an IP protocol (not 0, ARP): the kinds are 0, 1, 6 and
    /// 17, told apart by bits 0 and 1 (one LUT behind the grant's choice, not eight
    /// bits' compare).
    kind_ip: Signal<Local, Bit>,
    /// Room in the output buffer.
    room: Signal<Local, Bit>,
    /// A byte goes into the output buffer this clock.
    taken: Signal<Local, Bit>,
    /// 0 kind, 1 length and address (taken in), 2 destination MAC (passed on),
    /// 3 EtherType, 4 IPv4 header, 5 the message.
    phase: DFF<Bits<3>>,
    phase_next: Signal<Local, Bits<3>>,
    /// `ready` is low (phase 3, the EtherType, and the header's own bytes).
    stall: DFF<Bit>,
    /// `ready` is the output buffer's room (phases 2 and 5 and the header's bytes 2, 3
    /// and 16-19: bytes passed on); else high.
    paced: DFF<Bit>,
    /// The header byte at `index` is the source's (2, 3, 16-19).
    from_src: DFF<Bit>,
    index: DFF<Bits<5>>,
    /// The frame is IPv4 (its kind is not 0).
    wrap: DFF<Bit>,
    /// The kind's bits 4, 2, 1 and 0, the only ones the IP kinds (1, 6, 17) set.
    protocol: DFF<Bits<4>>,
    id: DFF<Bits<16>>,
    word_r: DFF<Bits<16>>,
    add_r: DFF<Bit>,
    clear_r: DFF<Bit>,
    checksum: Signal<Local, Bits<16>>,
    /// `index` + 1, or from an odd `index` on the MAC's bytes to the next multiple of 4.
    index_next: Signal<Local, Bits<5>>,
    /// 2 where `index_next` skips two (odd `index` on the MAC's bytes but 13), else 0.
    index_skip: Signal<Local, Bits<5>>,
    /// `index` moves on this clock (in phase 0 it is loaded).
    index_step: Signal<Local, Bit>,
    /// `index`'s next value.
    index_after: Signal<Local, Bits<5>>,
    /// The next clock's header byte is the source's.
    src_next: Signal<Local, Bit>,
    header_byte: Signal<Local, Bits<8>>,
    /// The byte the checksum takes: the header's, or in phase 1 the source's.
    sum_byte: Signal<Local, Bits<8>>,
}

impl Logic for Ipv4Tx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, grant_arp, phase, stall, paced, from_src, index, wrap, protocol, id,
            word_r, add_r, clear_r
        );
        // The granted source.
        self.data.next = self.host_data.val();
        self.valid.next = self.host_valid.val();
        self.last.next = self.host_last.val();
        self.other_valid.next = self.arp_valid.val();
        if self.grant_arp.q.val() {
            self.data.next = self.arp_data.val();
            self.valid.next = self.arp_valid.val();
            self.last.next = self.arp_last.val();
            self.other_valid.next = self.host_valid.val();
        }
        self.kind_ip.next = self.data.val().get_bit(0) | self.data.val().get_bit(1);
        self.outbuf.clock.next = self.clock.val();
        self.room.next = self.outbuf.ready.val();
        // The header's byte mux is also read by the checksum while the MAC and the
        // EtherType go out: `index` counts the MAC's bytes as header bytes 4, 5, 8, 9,
        // 12, 13 and the EtherType's as 14, 15, so the mux needs no other select.
        // 5 and 9 skip to 8 and 12 by setting bit 1 (clear on those), 13 goes on to 14:
        // one adder, no compare in front of it.
        self.index_skip.next = 0.into();
        if (self.phase.q.val() == 2)
            & self.index.q.val().get_bit(0)
            & !(self.index.q.val().get_bit(2) & self.index.q.val().get_bit(3))
        {
            self.index_skip.next = 2.into();
        }
        self.index_next.next = (self.index.q.val() | self.index_skip.val()) + 1;
        self.checksum.next = !self.sum.sum.val();
        // Bytes 2, 3 and 16-19 are the source's (see `from_src`): so `index`'s bit 4
        // selects nothing here (16-19 read as 0-3, never sent or summed).
        self.header_byte.next = 0.into();
        match self.index.q.val().get_bits::<4>(0).index() {
            0 => self.header_byte.next = 0x45.into(),
            4 => self.header_byte.next = self.id.q.val().get_bits::<8>(8),
            5 => self.header_byte.next = self.id.q.val().get_bits::<8>(0),
            6 => self.header_byte.next = 0x40.into(),
            8 => self.header_byte.next = 64.into(),
            9 => {
                self.header_byte.next = (bit_cast::<8, 1>(self.protocol.q.val().get_bit(3).into())
                    << 4)
                    | bit_cast::<8, 3>(self.protocol.q.val().get_bits::<3>(0));
            }
            10 => self.header_byte.next = self.checksum.val().get_bits::<8>(8),
            11 => self.header_byte.next = self.checksum.val().get_bits::<8>(0),
            12 => self.header_byte.next = self.our_ip.val().get_bits::<8>(24),
            13 => self.header_byte.next = self.our_ip.val().get_bits::<8>(16),
            14 => self.header_byte.next = self.our_ip.val().get_bits::<8>(8),
            15 => self.header_byte.next = self.our_ip.val().get_bits::<8>(0),
            _ => {}
        }
        // `index` moves on each byte taken in (phases 0 and 1) or out (2 to 4; in 5 it
        // is not read), from the registered phase decodes, not the phase's own.
        self.index_step.next = self.valid.val();
        if self.stall.q.val() {
            self.index_step.next = self.room.val();
        }
        if self.paced.q.val() {
            self.index_step.next = self.valid.val() & self.room.val();
        }
        // Header checksum: the word is chosen one clock and added the next (decode and
        // add are not one path). Each byte is a word of its own, in its high half at an
        // even `index`.
        self.sum.clock.next = self.clock.val();
        self.clear_r.d.next = false;
        self.add_r.d.next = false;
        self.sum.clear.next = self.clear_r.q.val();
        self.sum.start.next = 0.into();
        self.sum.add.next = self.add_r.q.val();
        self.sum.word.next = self.word_r.q.val();
        self.sum_byte.next = self.header_byte.val();
        if self.phase.q.val() == 1 {
            self.sum_byte.next = self.data.val();
        }
        self.word_r.d.next = bit_cast::<16, 8>(self.sum_byte.val()) << 8;
        if self.index.q.val().get_bit(0) {
            self.word_r.d.next = bit_cast::<16, 8>(self.sum_byte.val());
        }
        self.outbuf.data.next = self.data.val();
        self.outbuf.valid.next = false;
        self.outbuf.last.next = false;
        self.taken.next = false;
        self.phase_next.next = self.phase.q.val();
        match self.phase.q.val().index() {
            0 => {
                // The kind: IPv4 takes its length and address in next; ARP goes on.
                // The sum starts over with the header's constants; the kind comes
                // back as header byte 9.
                self.word_r.d.next = 0x8514.into();
                self.clear_r.d.next = true;
                self.add_r.d.next = self.valid.val();
                // The kind's bits are loaded on every clock of phase 0, valid or not:
                // the last load is the kind's, as the phase moves on with it.
                self.protocol.d.next = (bit_cast::<4, 1>(self.data.val().get_bit(4).into()) << 3)
                    | bit_cast::<4, 3>(self.data.val().get_bits::<3>(0));
                self.wrap.d.next = self.kind_ip.val();
                if self.valid.val() {
                    self.phase_next.next = 2.into();
                    if self.kind_ip.val() {
                        self.phase_next.next = 1.into();
                    }
                } else if self.other_valid.val() {
                    self.grant_arp.d.next = !self.grant_arp.q.val();
                }
            }
            1 => {
                // L4 length (2 bytes), then the destination IP (4), summed as they come,
                // `index` from 30 so that it reaches 4 (the MAC's first) as the last
                // comes in.
                self.add_r.d.next = self.valid.val();
                if self.valid.val() & (self.index.q.val() == 3) {
                    self.phase_next.next = 2.into();
                }
            }
            2 => {
                // The destination MAC, on as it comes.
                self.outbuf.valid.next = self.valid.val();
                self.taken.next = self.valid.val() & self.room.val();
                if self.taken.val() & (self.index.q.val() == 13) {
                    self.phase_next.next = 3.into();
                }
            }
            3 => {
                self.outbuf.valid.next = true;
                self.outbuf.data.next = 0x08.into();
                if self.index.q.val().get_bit(0) {
                    self.outbuf.data.next = 0x06.into();
                    if self.wrap.q.val() {
                        self.outbuf.data.next = 0x00.into();
                    }
                }
                self.taken.next = self.room.val();
                if self.room.val() {
                    if self.index.q.val().get_bit(0) {
                        self.phase_next.next = 5.into();
                        if self.wrap.q.val() {
                            self.phase_next.next = 4.into();
                        }
                    }
                }
            }
            4 => {
                self.outbuf.data.next = self.header_byte.val();
                self.outbuf.valid.next = true;
                if self.from_src.q.val() {
                    self.outbuf.data.next = self.data.val();
                    self.outbuf.valid.next = self.valid.val();
                }
                // Zero words: the sum's carry folds (more folds change nothing).
                self.word_r.d.next = 0.into();
                self.add_r.d.next = true;
                if self.index_step.val() & (self.index.q.val() == 19) {
                    self.phase_next.next = 5.into();
                    self.id.d.next = self.id.q.val() + 1;
                }
            }
            _ => {
                // The message, on as it comes, to its last byte.
                self.outbuf.valid.next = self.valid.val();
                self.outbuf.last.next = self.last.val();
                if self.valid.val() & self.room.val() & self.last.val() {
                    self.phase_next.next = 0.into();
                    // The other source's turn.
                    self.grant_arp.d.next = !self.grant_arp.q.val();
                }
            }
        }
        // `index`'s next value is the adder's, cleared after the EtherType, loaded in
        // phase 0.
        self.index_after.next = self.index.q.val();
        if self.index_step.val() {
            self.index_after.next = self.index_next.val();
            if (self.phase.q.val() == 3) & self.index.q.val().get_bit(0) {
                self.index_after.next = 0.into();
            }
            if self.phase.q.val() == 0 {
                self.index_after.next = 4.into();
                if self.kind_ip.val() {
                    self.index_after.next = 30.into();
                }
            }
        }
        self.index.d.next = self.index_after.val();
        // `ready` from flip-flops: decoded from the next phase (and in the header the
        // next index: 2, 3 and 16-19 are the source's), so the sources' logic
        // meets two flip-flops and the buffer's room, not this block's phase decode
        // (that was the board's longest path). Power-up (all low) is phase 0.
        // From the index register and the step alone, not `index_after` (whose load in
        // phase 0 comes from the source's kind byte: that path was too long): in the
        // header the next index is 2, 3 or 16-19 when this one is 1, 2 or 15-18 and
        // steps, or 2, 3 or 16-19 and does not (into phase 5 from 19 the step goes to
        // 20; from phase 3 the header starts at 0).
        self.src_next.next =
            (self.index.q.val().get_bits::<4>(1) == 1) | (self.index.q.val().get_bits::<3>(2) == 4);
        if self.index_step.val() {
            self.src_next.next = (self.index.q.val() == 1)
                | (self.index.q.val() == 2)
                | (self.index.q.val() == 15)
                | (self.index.q.val() == 16)
                | (self.index.q.val() == 17)
                | (self.index.q.val() == 18);
        }
        if self.phase.q.val() != 4 {
            self.src_next.next = false;
        }
        self.phase.d.next = self.phase_next.val();
        self.from_src.d.next = self.src_next.val();
        self.stall.d.next =
            (self.phase_next.val() == 3) | ((self.phase_next.val() == 4) & !self.src_next.val());
        self.paced.d.next =
            (self.phase_next.val() == 2) | (self.phase_next.val() == 5) | self.src_next.val();
        self.ready.next = !self.stall.q.val() & (!self.paced.q.val() | self.room.val());
        self.host_ready.next = self.ready.val() & !self.grant_arp.q.val();
        self.arp_ready.next = self.ready.val() & self.grant_arp.q.val();
        // While the MAC and the EtherType go out, the checksum reads header bytes one
        // at a time. The word is loaded every clock it is not otherwise set (it is read
        // only with `add_r`), so it holds nothing.
        if self.taken.val() {
            self.add_r.d.next = true;
        }
        self.out_data.next = self.outbuf.out_data.val();
        self.out_valid.next = self.outbuf.out_valid.val();
        self.out_last.next = self.outbuf.out_last.val();
        self.outbuf.out_ready.next = self.out_ready.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::internet::checksum::ones_sum;

    const DST_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0xAB, 0xCD, 0xEF];

    /// A source's stream for `l4`: IPv4 (protocol 17, to 10.0.0.1), or ARP.
    fn stream(l4: &[u8], wrap: bool) -> Vec<u8> {
        let mut s = vec![if wrap { 17 } else { 0 }];
        if wrap {
            s.extend_from_slice(&(l4.len() as u16).to_be_bytes());
            s.extend_from_slice(&[10, 0, 0, 1]);
        }
        s.extend_from_slice(&DST_MAC);
        if wrap {
            s.extend_from_slice(&(l4.len() as u16 + 20).to_be_bytes());
            s.extend_from_slice(&[10, 0, 0, 1]);
        }
        s.extend_from_slice(l4);
        s
    }

    /// Offers `l4` as one source stream, on ARP's port (`arp`) or the host's, the
    /// consumer ready on the clocks `ready` says; returns what came out, having checked
    /// that `last` marked its final byte.
    fn run(
        uut: &mut Ipv4Tx,
        l4: &[u8],
        wrap: bool,
        arp: bool,
        ready: impl Fn(usize) -> bool,
    ) -> Vec<u8> {
        let input = stream(l4, wrap);
        uut.our_ip.next = 0x0A00_0002.into();
        let (mut pos, mut out, mut lasts) = (0, vec![], vec![]);
        for clock in 0..input.len() * 3 + 100 {
            let valid = pos < input.len();
            let data = (input.get(pos).copied().unwrap_or(0) as u64).into();
            let last = pos + 1 == input.len();
            uut.host_valid.next = valid && !arp;
            uut.host_data.next = data;
            uut.host_last.next = last;
            uut.arp_valid.next = valid && arp;
            uut.arp_data.next = data;
            uut.arp_last.next = last;
            uut.out_ready.next = ready(clock);
            uut.clock.next = false.into();
            assert!(simulate(uut, 200));
            if uut.out_valid.val() && ready(clock) {
                out.push(uut.out_data.val().index() as u8);
                lasts.push(uut.out_last.val());
            }
            if valid
                && (if arp {
                    uut.arp_ready.val()
                } else {
                    uut.host_ready.val()
                })
            {
                pos += 1;
            }
            crate::tick!(*uut);
        }
        assert_eq!(pos, input.len());
        assert_eq!(
            lasts.iter().position(|&l| l),
            Some(out.len() - 1),
            "last on the final byte only"
        );
        out
    }

    /// Both sources with three frames waiting (the host's IPv4 with 3 bytes of 0xA0,
    /// ARP's 28 bytes of 0xB0): the frames come out whole, in turn, and each source's
    /// `ready` is a register (it does not follow `out_ready` within the clock) and high
    /// for one source at a time.
    #[test]
    fn takes_the_sources_in_turn_frame_by_frame() {
        let mut uut = Ipv4Tx::default();
        uut.connect_all();
        uut.our_ip.next = 0x0A00_0002.into();
        let inputs = [stream(&[0xA0; 3], true), stream(&[0xB0; 28], false)];
        let mut pos = [0usize; 2];
        let mut frames_left = [3usize, 3];
        let (mut out, mut frames) = (vec![], vec![]);
        for clock in 0..600 {
            let ready = clock % 4 != 3;
            let offer = |k: usize| {
                let valid = frames_left[k] > 0;
                let data: Bits<8> = (inputs[k][pos[k]] as u64).into();
                (valid, data, pos[k] + 1 == inputs[k].len())
            };
            (uut.host_valid.next, uut.host_data.next, uut.host_last.next) = offer(0);
            (uut.arp_valid.next, uut.arp_data.next, uut.arp_last.next) = offer(1);
            uut.out_ready.next = ready;
            uut.clock.next = false.into();
            assert!(simulate(&mut uut, 200));
            let before = (uut.host_ready.val(), uut.arp_ready.val());
            uut.out_ready.next = !ready;
            assert!(simulate(&mut uut, 200));
            assert_eq!((uut.host_ready.val(), uut.arp_ready.val()), before);
            uut.out_ready.next = ready;
            assert!(simulate(&mut uut, 200));
            if uut.out_valid.val() && ready {
                out.push(uut.out_data.val().index() as u8);
                if uut.out_last.val() {
                    frames.push(std::mem::take(&mut out));
                }
            }
            let readies = [uut.host_ready.val(), uut.arp_ready.val()];
            assert!(!(readies[0] && readies[1]));
            for k in 0..2 {
                if readies[k] && frames_left[k] > 0 {
                    pos[k] += 1;
                    if pos[k] == inputs[k].len() {
                        pos[k] = 0;
                        frames_left[k] -= 1;
                    }
                }
            }
            crate::tick!(uut);
        }
        let kinds: Vec<u8> = frames.iter().map(|f| f[7]).collect();
        assert_eq!(kinds, vec![0x00, 0x06, 0x00, 0x06, 0x00, 0x06]);
        for f in &frames {
            if f[7] == 0x06 {
                assert_eq!(f[8..], [0xB0; 28]);
            } else {
                assert_eq!(f[28..], [0xA0; 3]);
            }
        }
    }

    #[test]
    fn wraps_in_a_checked_header_and_passes_arp_through() {
        let mut uut = Ipv4Tx::default();
        uut.connect_all();
        let l4: Vec<u8> = (0..37).map(|i| i * 3).collect();
        let mut ids = vec![];
        // 37 bytes, and 240 (+ 20 carries out of the total length's low byte).
        for len in [37usize, 240] {
            let l4: Vec<u8> = (0..len).map(|i| (i * 3) as u8).collect();
            for (k, ready) in [|_: usize| true, |c: usize| c % 3 != 1]
                .into_iter()
                .enumerate()
            {
                let out = run(&mut uut, &l4, true, false, ready);
                assert_eq!(out[..6], DST_MAC, "pass {k}");
                assert_eq!(out[6..8], [0x08, 0x00], "pass {k}");
                let (hdr, body) = out[8..].split_at(20);
                assert_eq!(body, &l4[..], "pass {k}");
                assert_eq!(ones_sum(hdr), 0xFFFF, "header checksum");
                assert_eq!(hdr[..2], [0x45, 0]);
                assert_eq!(hdr[2..4], ((len + 20) as u16).to_be_bytes());
                assert_eq!(hdr[6..10], [0x40, 0, 64, 17]);
                assert_eq!(hdr[12..20], [10, 0, 0, 2, 10, 0, 0, 1]);
                ids.push(u16::from_be_bytes([hdr[4], hdr[5]]));
            }
        }
        assert!(ids.windows(2).all(|w| w[1] == w[0] + 1));
        // ARP: the destination, its EtherType, the bytes as they are.
        let out = run(&mut uut, &l4, false, true, |_| true);
        assert_eq!(out[..6], DST_MAC);
        assert_eq!(out[6..8], [0x08, 0x06]);
        assert_eq!(out[8..], l4[..]);
    }
}
