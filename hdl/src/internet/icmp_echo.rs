//! ICMP echo (RFC 792): answers echo requests addressed to our IP, at line rate, without
//! the host.
//!
//! No buffer of its own: the reply is written into [`TxStage`]'s free buffer, through
//! the same write side HostRx drives (bytes, descriptor words, finish), and leaves as an
//! ICMP request does: `TransportTx` sends the message after kind 1 and the destination,
//! `Ipv4Tx` adds the IP header, `MacTx` the MAC header. Every output to the stage is a
//! register.
//!
//! Staging: the requester's MAC and IP are the reply's destination, descriptor words 0-2
//! and 3-4, each written as its second byte streams past (the source MAC at frame bytes
//! 6..11, `link_*`; the source IP at IPv4 header bytes 12..15, `l3_*`; both counted by
//! the header store's positions). The request's ICMP bytes (`icmp_data`/`icmp_valid`,
//! tapped from the receive pipeline, taken through a register) are written as they
//! stream past, already turned into the reply: type 8 becomes 0, and the checksum is
//! updated incrementally (RFC 1624 eqn. 3, HC' = ~(~HC + ~0x0800 + 0x0000)). Everything
//! else (identifier, sequence, payload) is echoed as received. The update needs no
//! adder over the message, only the two checksum bytes, because the receive pipeline
//! has already proved the request's checksum right (a bad one is dropped as
//! icmp_checksum, and the frame is then not answered). Byte-serially: low' = low + b and
//! high' = high + 8 + (b & low == 0xFF), where b = (HC >= 0xF7FF) is the end-around
//! carry, worked out the clock after the low byte arrives, from flip-flops. Eqn. 3
//! assumes the rest of the message is not all zero: for a reply that is all zero but its
//! checksum (identifier 0, sequence 0, payload empty or zeros) it gives 0x0000, which
//! sums to +0 and fails the receiver's check (Linux compares the sum with 0xFFFF); the
//! right checksum is 0xFFFF, so a flag watches for a non-zero byte and the checksum is
//! 0xFFFF without one.
//!
//! The checksum's two bytes depend on bytes that follow them, so the bytes written as
//! they pass are the request's, and the reply's two are patched over them at the report
//! (`patch`, byte 2 then byte 3, the stage's write port being idle then), just before
//! the finish. Chosen over letting TxStage/TransportTx compute an ICMP checksum from the
//! payload sum: that would take a second kind of checksum there (an ICMP sum has no
//! pseudo-header, and the stored checksum would have to be sent in place of two body
//! bytes), while the patch is a 2-bit address choice in the stage and the update here
//! is a few flip-flops.
//!
//! Commit: at the receive pipeline's report the reply is finished with `keep` only if
//! the frame was accepted (FCS, IPv4 header, ICMP checksum all good: `report_reason` 0,
//! class 1 ICMP), is an echo request (type 8, code 0), untagged (mac_tx sends untagged
//! frames), and addressed to our IP exactly (broadcast pings and, in promiscuous mode,
//! others' pings are accepted by the pipeline but not answered); anything else the
//! echo wrote is rolled back by a finish without `keep`. The finish carries `is_reply`
//! (descriptor word 7's bit 10, ICMP having no options): TxPipeline sends no `tx_done`
//! to the host for it, and counts it as a reply sent.
//!
//! Sharing the write side with the host (exclusive, decided before the first byte is
//! written): at each frame's last destination MAC byte the echo takes the write side
//! (`busy` and `select` rise) only if the stage has a free buffer (`stage_busy` low) and
//! no host request is being written (`host_open` low: HostRx's `tx_open`, or its
//! finish). `busy` joins the stage's `tx_busy` toward HostRx, combinationally on the
//! deciding clock, so a host request whose type byte comes then or later is refused
//! (error 5; the host resends), and one that came earlier keeps the echo off. The echo
//! lets go as soon as the frame is not IPv4 protocol 1 (IPv4 header byte 9), else the
//! clock after its finish (the stage reads word 7's fields then). A frame that finds no
//! room is not written; if it turns out to be an echo request for us, `dropped` pulses
//! for the counters. At the receive pipeline's least spacing (one idle clock, then the
//! next preamble) the next frame's byte 5 comes 11 clocks after the report; the finish
//! reaches the stage two clocks after the report and its seven clocks of descriptor
//! work are over by then (`echo_requests_from_many_peers_closest_together` in
//! `sim/tests/echo_arp.rs`).
//!
//! [`TxStage`]: crate::transport::tx_stage::TxStage

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
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
    // The stage's write side.
    /// The stage has no free buffer (its `tx_busy`).
    pub stage_busy: Signal<In, Bit>,
    /// A host request is being written, or finishes this clock.
    pub host_open: Signal<In, Bit>,
    /// The write side is taken (or taken this clock): refuse a host request now.
    pub busy: Signal<Out, Bit>,
    /// The write side's inputs are this block's, to the clock after its finish.
    pub select: Signal<Out, Bit>,
    /// A byte (`word`'s low byte) to append.
    pub write: Signal<Out, Bit>,
    /// `word`'s low byte over byte 2 (`patch_at` low) or 3: the reply's checksum.
    pub patch: Signal<Out, Bit>,
    pub patch_at: Signal<Out, Bit>,
    /// Descriptor word `word_index` (0-4: the destination MAC and IP).
    pub word_write: Signal<Out, Bit>,
    pub word_index: Signal<Out, Bits<4>>,
    pub word: Signal<Out, Bits<16>>,
    pub finish: Signal<Out, Bit>,
    pub keep: Signal<Out, Bit>,
    /// An echo request for us was not answered: no free buffer, or the host writing.
    pub dropped: Signal<Out, Bit>,
    /// This frame's writes go to the stage (decided at its destination's last byte).
    owns: DFF<Bit>,
    claim: Signal<Local, Bit>,
    /// Offset of the next ICMP byte in this frame, 0..3 and then 4 for the rest.
    offset: DFF<Bits<3>>,
    /// The request's checksum, high byte; then the reply's.
    csum_hi: DFF<Bits<8>>,
    /// The request's checksum, low byte; then the reply's.
    csum_lo: DFF<Bits<8>>,
    /// The held high byte is above 0xF7, or is 0xF7: decoded as it is stored, so the
    /// carry's compare is off the adders' path.
    hi_above_f7: DFF<Bit>,
    hi_is_f7: DFF<Bit>,
    /// The request's low checksum byte is held in `csum_lo` (and is 0xFF): the update
    /// is made the clock after, from registers alone.
    fold: DFF<Bit>,
    lo_is_ff: DFF<Bit>,
    /// A byte other than the type and the checksum is not zero.
    nonzero: DFF<Bit>,
    carry: Signal<Local, Bit>,
    /// The receive report, and whether it is an echo request to answer, a clock late.
    reported: DFF<Bit>,
    echo: DFF<Bit>,
    /// `icmp_data` / `icmp_valid` a clock late.
    icmp_byte: DFF<Bits<8>>,
    icmp_strobe: DFF<Bit>,
    // The outputs, from flip-flops.
    write_r: DFF<Bit>,
    patch_r: DFF<Bit>,
    patch_at_r: DFF<Bit>,
    word_write_r: DFF<Bit>,
    word_index_r: DFF<Bits<3>>,
    word_hi: DFF<Bits<8>>,
    word_lo: DFF<Bits<8>>,
    finish_r: DFF<Bit>,
    keep_r: DFF<Bit>,
    /// The finish was last clock: the stage reads word 7's inputs now, then let go.
    finished: DFF<Bit>,
    dropped_r: DFF<Bit>,
    /// The patched checksum byte: 0xFF for an all-zero message.
    patch_byte: Signal<Local, Bits<8>>,
    /// Frame bytes 6..=11 (the source MAC) and payload bytes 12..=15 (the source IP),
    /// decoded from the positions' bits (no compare on a carry chain).
    at_mac: Signal<Local, Bit>,
    at_ip: Signal<Local, Bit>,
    addr_byte: Signal<Local, Bit>,
    addr_data: Signal<Local, Bits<8>>,
    addr_odd: Signal<Local, Bit>,
}

impl Logic for IcmpEcho {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            owns,
            offset,
            csum_hi,
            csum_lo,
            hi_above_f7,
            hi_is_f7,
            fold,
            lo_is_ff,
            nonzero,
            reported,
            echo,
            icmp_byte,
            icmp_strobe,
            write_r,
            patch_r,
            patch_at_r,
            word_write_r,
            word_index_r,
            word_hi,
            word_lo,
            finish_r,
            keep_r,
            finished,
            dropped_r
        );
        // The ICMP bytes enter through flip-flops: the receive pipeline's protocol
        // decode and the route here are not one path with this block's decodes.
        self.icmp_byte.d.next = self.icmp_data.val();
        self.icmp_strobe.d.next = self.icmp_valid.val();
        // --- Taking the write side, at the destination MAC's last byte.
        self.claim.next = self.link_valid.val()
            & (self.link_pos.val() == 5)
            & !self.owns.q.val()
            & !self.stage_busy.val()
            & !self.host_open.val();
        if self.claim.val() {
            self.owns.d.next = true;
        }
        // Not ICMP (IPv4 header byte 9): nothing to write, the host may go on.
        if self.l3_valid.val()
            & self.l3.val()
            & (self.l3_pos.val() == 9)
            & (self.l3_data.val() != 1)
        {
            self.owns.d.next = false;
        }
        self.busy.next = self.owns.q.val() | self.claim.val();
        self.select.next = self.owns.q.val();
        // --- The requester's addresses: descriptor words 0-2 (MAC) and 3-4 (IP), each
        // written as its second byte passes.
        self.at_mac.next = !self.link_pos.val().get_bit(4)
            & ((self.link_pos.val().get_bits::<3>(1) == 3)
                | (self.link_pos.val().get_bits::<3>(1) == 4)
                | (self.link_pos.val().get_bits::<3>(1) == 5));
        self.at_ip.next = self.l3_pos.val().get_bits::<3>(2) == 3;
        self.addr_byte.next = false;
        self.addr_data.next = self.link_data.val();
        self.addr_odd.next = self.link_pos.val().get_bit(0);
        if self.link_valid.val() & self.at_mac.val() {
            self.addr_byte.next = true;
        }
        if self.l3_valid.val() & self.l3.val() & self.at_ip.val() {
            self.addr_byte.next = true;
            self.addr_data.next = self.l3_data.val();
            self.addr_odd.next = self.l3_pos.val().get_bit(0);
        }
        self.word_write_r.d.next = false;
        // The word's low byte is read only on the strobe loaded with it (`word_write`,
        // `write`, `patch`), so it is loaded every clock and holds nothing.
        self.word_lo.d.next = self.addr_data.val();
        if self.addr_byte.val() {
            if self.addr_odd.val() {
                self.word_write_r.d.next = self.owns.q.val();
            } else {
                self.word_hi.d.next = self.addr_data.val();
            }
        }
        // The words come in order (MAC bytes 7, 9, 11, then IP bytes 13, 15), so the
        // index counts the words written since the write side was taken: a counter off
        // the address decode (a decode of the pair's position was the board's longest
        // path, through the link/l3 position mux into this register's enable).
        self.word_index_r.d.next =
            self.word_index_r.q.val() + bit_cast::<3, 1>(self.word_write_r.q.val().into());
        if !self.owns.q.val() {
            self.word_index_r.d.next = 0.into();
        }
        // --- The ICMP bytes, as the reply's.
        self.carry.next =
            self.hi_above_f7.q.val() | (self.hi_is_f7.q.val() & self.lo_is_ff.q.val());
        self.fold.d.next = false;
        if self.fold.q.val() {
            self.csum_lo.d.next = self.csum_lo.q.val() + bit_cast::<8, 1>(self.carry.val().into());
            self.csum_hi.d.next = self.csum_hi.q.val()
                + 8
                + bit_cast::<8, 1>((self.carry.val() & self.lo_is_ff.q.val()).into());
        }
        self.write_r.d.next = false;
        if self.icmp_strobe.q.val() {
            self.write_r.d.next = self.owns.q.val();
            self.word_lo.d.next = self.icmp_byte.q.val();
            if self.offset.q.val() == 0 {
                self.word_lo.d.next = 0.into(); // echo reply
            }
            if self.offset.q.val() == 2 {
                self.csum_hi.d.next = self.icmp_byte.q.val();
                self.hi_above_f7.d.next = self.icmp_byte.q.val().get_bits::<5>(3) == 0x1F; // > 0xF7
                self.hi_is_f7.d.next = self.icmp_byte.q.val() == 0xF7;
            }
            if (self.offset.q.val() == 1) | self.offset.q.val().get_bit(2) {
                if self.icmp_byte.q.val() != 0 {
                    self.nonzero.d.next = true;
                }
            }
            if self.offset.q.val() == 3 {
                self.csum_lo.d.next = self.icmp_byte.q.val();
                self.lo_is_ff.d.next = self.icmp_byte.q.val() == 0xFF;
                self.fold.d.next = true;
            }
            if !self.offset.q.val().get_bit(2) {
                self.offset.d.next = self.offset.q.val() + 1;
            }
        }
        // --- The report: the checksum's high byte as it comes, its low byte and the
        // finish (kept for an echo request to answer) the clock after.
        self.reported.d.next = self.report_valid.val();
        self.echo.d.next = self.report_valid.val()
            & (self.report_reason.val() == 0)
            & (self.report_class.val() == 1)
            & (self.icmp_type.val() == 8)
            & (self.icmp_code.val() == 0)
            & !self.eth_tagged.val()
            & self.ipv4_dst_ours.val();
        self.patch_r.d.next = false;
        self.finish_r.d.next = false;
        self.patch_byte.next = self.csum_hi.q.val();
        if self.reported.q.val() {
            self.patch_byte.next = self.csum_lo.q.val();
        }
        if !self.nonzero.q.val() {
            self.patch_byte.next = 0xFF.into();
        }
        if (self.report_valid.val() | self.reported.q.val()) & self.owns.q.val() {
            self.patch_r.d.next = true;
            self.patch_at_r.d.next = self.reported.q.val();
            self.word_lo.d.next = self.patch_byte.val();
        }
        if self.reported.q.val() {
            self.finish_r.d.next = self.owns.q.val();
            self.keep_r.d.next = self.echo.q.val();
            self.offset.d.next = 0.into();
            self.nonzero.d.next = false;
        }
        self.dropped_r.d.next = self.echo.q.val() & !self.owns.q.val();
        self.finished.d.next = self.finish_r.q.val();
        if self.finished.q.val() {
            self.owns.d.next = false;
        }
        self.write.next = self.write_r.q.val();
        self.patch.next = self.patch_r.q.val();
        self.patch_at.next = self.patch_at_r.q.val();
        self.word_write.next = self.word_write_r.q.val();
        self.word_index.next = bit_cast::<4, 3>(self.word_index_r.q.val());
        self.word.next = (bit_cast::<16, 8>(self.word_hi.q.val()) << 8)
            | bit_cast::<16, 8>(self.word_lo.q.val());
        self.finish.next = self.finish_r.q.val();
        self.keep.next = self.keep_r.q.val();
        self.dropped.next = self.dropped_r.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::internet::source_sink::{Descriptor, Frame};
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

    /// TxStage's write side as a model: the words and bytes of the request being
    /// written, the requests kept (as the frames TransportTx would send for them), and
    /// how many buffers they hold until the test lets them go.
    #[derive(Default)]
    struct Stage {
        words: [u16; 16],
        bytes: Vec<u8>,
        kept: Vec<Frame>,
        held: usize,
    }

    impl Stage {
        fn clock(&mut self, u: &IcmpEcho) {
            if u.word_write.val() {
                self.words[u.word_index.val().index()] = u.word.val().index() as u16;
            }
            let byte = u.word.val().get_bits::<8>(0).index() as u8;
            assert!(!(u.write.val() && u.patch.val()));
            if u.write.val() {
                self.bytes.push(byte);
            }
            if u.patch.val() {
                let at = 2 + u.patch_at.val() as usize;
                self.bytes[at] = byte;
            }
            if u.finish.val() {
                if u.keep.val() {
                    let w = |i: usize| self.words[i].to_be_bytes();
                    let (m, i) = ([w(0), w(1), w(2)].concat(), [w(3), w(4)].concat());
                    self.kept.push(Frame {
                        desc: Descriptor {
                            dst_mac: m.try_into().unwrap(),
                            ethertype: 0x0800,
                            wrap_ip: true,
                            dst_ip: i.try_into().unwrap(),
                            protocol: 1,
                            l4_len: self.bytes.len() as u16,
                        },
                        bytes: std::mem::take(&mut self.bytes),
                    });
                    self.held += 1;
                    assert!(self.held <= 2, "a reply kept with no free buffer");
                }
                self.bytes.clear();
            }
        }
    }

    struct Bench {
        uut: IcmpEcho,
        stage: Stage,
        dropped: usize,
        /// The stage sends a held reply on this clock.
        release: Box<dyn Fn(usize) -> bool>,
        host_open: Box<dyn Fn(usize) -> bool>,
        clock: usize,
        /// Clocks on which the echo held the write side.
        selected: usize,
    }

    impl Bench {
        fn new() -> Bench {
            let mut uut = IcmpEcho::default();
            uut.connect_all();
            Bench {
                uut,
                stage: Stage::default(),
                dropped: 0,
                release: Box::new(|c| c % 100 == 0),
                host_open: Box::new(|_| false),
                clock: 0,
                selected: 0,
            }
        }

        fn tick(&mut self) {
            if (self.release)(self.clock) && self.stage.held > 0 {
                self.stage.held -= 1;
            }
            self.uut.stage_busy.next = self.stage.held == 2;
            self.uut.host_open.next = (self.host_open)(self.clock);
            simulate(&mut self.uut, 200);
            let u = &self.uut;
            assert!(!(u.host_open.val() && u.select.val() && u.word_write.val()));
            self.selected += u.select.val() as usize;
            self.stage.clock(u);
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
        /// both; protocol 1), the ICMP message's bytes on `icmp_valid` (a byte every
        /// `every` clocks), then its report `gap` clocks later; the header registers
        /// hold throughout.
        fn receive(&mut self, m: &[u8], every: usize, gap: usize, r: &Report) {
            self.receive_protocol(m, every, gap, r, 1)
        }

        fn receive_protocol(&mut self, m: &[u8], every: usize, gap: usize, r: &Report, p: u8) {
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
            let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, p, 0, 0];
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
                self.uut.icmp_valid.next = p == 1;
                self.tick();
                self.uut.icmp_valid.next = false;
                self.idle(every - 1);
            }
            self.idle(gap);
            self.uut.report_valid.next = true;
            self.tick();
            self.uut.report_valid.next = false;
        }

        fn replies(&self) -> &[Frame] {
            &self.stage.kept
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
        assert_eq!(b.replies().len(), reqs.len());
        for (req, f) in reqs.iter().zip(b.replies()) {
            check_reply(req, f);
        }
        assert_eq!(b.dropped, 0);
    }

    /// Request checksums around the end-around carry of the update (HC >= 0xF7FF) and
    /// the low byte 0xFF, chosen through a two-byte payload.
    #[test]
    fn checksum_update_corners() {
        let mut b = Bench::new();
        b.release = Box::new(|_| true);
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
            b.idle(20);
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
            b.idle(20);
            reqs.push(req);
        }
        assert_eq!(b.replies().len(), reqs.len());
        for (req, f) in reqs.iter().zip(b.replies()) {
            check_reply(req, f);
        }
        let n = reqs.len();
        assert_eq!(&b.replies()[n - 3].bytes[2..4], &[0xFF, 0xFF]);
        assert_eq!(&b.replies()[n - 1].bytes[2..4], &[0, 0]);
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
        assert!(b.replies().is_empty());
        assert_eq!(b.dropped, 0);
        // Then a good one is answered.
        b.receive(&req, 1, 6, &GOOD);
        b.idle(60);
        assert_eq!(b.replies().len(), 1);
        check_reply(&req, &b.replies()[0]);
    }

    #[test]
    fn bytes_with_gaps() {
        // The PHY may deliver a byte every few clocks.
        let mut b = Bench::new();
        let reqs: Vec<Vec<u8>> = (0..4)
            .map(|i| request(i, i, &vec![0xA5 ^ i as u8; 100 + i as usize]))
            .collect();
        for r in &reqs {
            b.receive(r, 4, 10, &GOOD);
        }
        b.idle(200);
        assert_eq!(b.replies().len(), 4);
        for (req, f) in reqs.iter().zip(b.replies()) {
            check_reply(req, f);
        }
    }

    #[test]
    fn both_buffers_full_drops_and_counts() {
        let mut b = Bench::new();
        b.release = Box::new(|_| false);
        let reqs: Vec<Vec<u8>> = (0..5).map(|i| request(7, i, &[i as u8; 64])).collect();
        for r in &reqs {
            b.receive(r, 1, 6, &GOOD);
            b.idle(30);
        }
        // Two staged, three dropped, and the write side never taken for them.
        assert_eq!(b.dropped, 3);
        assert_eq!(b.replies().len(), 2);
        check_reply(&reqs[0], &b.replies()[0]);
        check_reply(&reqs[1], &b.replies()[1]);
        // Room again.
        b.release = Box::new(|_| true);
        b.receive(&reqs[4], 1, 6, &GOOD);
        b.idle(100);
        assert_eq!(b.replies().len(), 3);
        check_reply(&reqs[4], &b.replies()[2]);
    }

    /// A host request being written keeps the echo off the write side (the request is
    /// dropped and counted); the echo refuses the host (`busy`) from the clock it takes
    /// the side, and lets go at once for a frame that is not ICMP.
    #[test]
    fn the_host_and_the_echo_take_turns() {
        let mut b = Bench::new();
        let req = request(3, 4, b"turns");
        b.host_open = Box::new(|_| true);
        b.receive(&req, 1, 6, &GOOD);
        b.idle(30);
        assert_eq!((b.replies().len(), b.dropped, b.selected), (0, 1, 0));
        b.host_open = Box::new(|_| false);
        b.receive(&req, 1, 6, &GOOD);
        b.idle(30);
        assert_eq!((b.replies().len(), b.dropped), (1, 1));
        check_reply(&req, &b.replies()[0]);
        // The write side held from the destination's last byte to the clock after the
        // finish: the header, the message, the report's three clocks.
        let held = b.selected;
        assert!(held > req.len() && held < req.len() + 40, "{held}");
        // A UDP frame: taken at its destination, let go at the IP protocol byte.
        b.selected = 0;
        b.receive_protocol(&req, 1, 6, &Report { class: 2, ..GOOD }, 17);
        b.idle(30);
        assert_eq!(b.selected, 8 + 10);
        assert_eq!((b.replies().len(), b.dropped), (1, 1));
        // `busy` on the deciding clock itself.
        b.uut.link_valid.next = true;
        b.uut.link_pos.next = 5.into();
        simulate(&mut b.uut, 200);
        assert!(b.uut.busy.val() && !b.uut.select.val());
    }
}
