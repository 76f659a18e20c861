//! The transmit crossing: mac_tx's bytes (core clock) into a 16-entry dual-clock FIFO
//! that [`crate::link::rmii_tx::RmiiTx`] empties on REF_CLK.
//!
//! Entries are 9 bits: a byte, or (bit 8) an end marker, written when the frame is
//! over, that is on the first clock `phy_tx_valid` is low while `phy_tx_ready` is high
//! (mac_tx never pauses inside a frame on its own). A marker's low 8 bits are whatever
//! `phy_tx_data` held: RmiiTx looks only at bit 8 of it. The read side is first-word
//! fall-through: `data` is the head entry whenever `empty` is low; `read` takes it.
//!
//! `phy_tx_ready` (the PHY takes a byte this clock) is a flip-flop: "at most 14 entries
//! were held a clock ago", so whatever is written this clock (a byte or the marker)
//! finds room, and mac_tx's clock enable does not start in the pointer compare. The
//! fill the write side sees can only overstate the truth (the read pointer reaches it
//! late), so nothing is ever written to a full FIFO; no byte is lost or duplicated.
//!
//! The classic dual-clock FIFO (Cummings): a block RAM with separate clocks, 5-bit
//! pointers (4 address bits and a lap bit), each crossing as a Gray code from a
//! flip-flop through two synchronising flip-flops, so a pointer caught mid-change is
//! either its old or its new value, never a third. The read side sees a write only two
//! REF_CLK edges after it, by when the RAM holds it: the head the RAM reads at that
//! edge is the new entry.
//!
//! Depth: RmiiTx takes a byte every 4 REF_CLK clocks (8 core clocks; 80 at 10 Mbit),
//! and a read reaches `phy_tx_ready` within about 5 core clocks (two synchronising
//! flip-flops, the fill compare, the ready flip-flop), so the FIFO refills long before
//! the wire's next byte: once RmiiTx has started a frame (16 REF_CLK clocks after the
//! first byte, with the FIFO full) it cannot run dry while mac_tx keeps up. 16 × 9 bits
//! fills one block RAM (256 × 16) as 32 entries did.

use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct TxPhyFifo {
    /// Core clock.
    pub clock: Signal<In, Clock>,
    pub phy_tx_data: Signal<In, Bits<8>>,
    pub phy_tx_valid: Signal<In, Bit>,
    pub phy_tx_ready: Signal<Out, Bit>,
    /// REF_CLK, and the read side for RmiiTx.
    pub ref_clock: Signal<In, Clock>,
    pub data: Signal<Out, Bits<9>>,
    pub empty: Signal<Out, Bit>,
    pub read: Signal<In, Bit>,
    ram: RAM<Bits<9>, 4>,
    // Write side (core clock).
    wr: DFF<Bits<5>>,
    wr_gray: DFF<Bits<5>>,
    rd_gray_s1: DFF<Bits<5>>,
    rd_gray_s2: DFF<Bits<5>>,
    in_frame: DFF<Bit>,
    room: DFF<Bit>,
    write: Signal<Local, Bit>,
    wr_next: Signal<Local, Bits<5>>,
    /// The read pointer as the write side last saw it, in binary.
    rd_seen: Signal<Local, Bits<5>>,
    fill: Signal<Local, Bits<5>>,
    // Read side (REF_CLK).
    rd: DFF<Bits<5>>,
    rd_gray: DFF<Bits<5>>,
    wr_gray_s1: DFF<Bits<5>>,
    wr_gray_s2: DFF<Bits<5>>,
    rd_next: Signal<Local, Bits<5>>,
    is_empty: Signal<Local, Bit>,
}

impl Default for TxPhyFifo {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            phy_tx_data: Default::default(),
            phy_tx_valid: Default::default(),
            phy_tx_ready: Default::default(),
            ref_clock: Default::default(),
            data: Default::default(),
            empty: Default::default(),
            read: Default::default(),
            // Zeroed, as the iCE40's configuration leaves it, so the generated Verilog
            // shows the same head entry as the Rust model before the first write.
            ram: RAM::new(
                (0..16u64)
                    .map(|i| (i.into(), Bits::<9>::default()))
                    .collect(),
            ),
            wr: Default::default(),
            wr_gray: Default::default(),
            rd_gray_s1: Default::default(),
            rd_gray_s2: Default::default(),
            in_frame: Default::default(),
            room: Default::default(),
            write: Default::default(),
            wr_next: Default::default(),
            rd_seen: Default::default(),
            fill: Default::default(),
            rd: Default::default(),
            rd_gray: Default::default(),
            wr_gray_s1: Default::default(),
            wr_gray_s2: Default::default(),
            rd_next: Default::default(),
            is_empty: Default::default(),
        }
    }
}

impl Logic for TxPhyFifo {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, wr, wr_gray, rd_gray_s1, rd_gray_s2, in_frame, room);
        dff_setup!(self, ref_clock, rd, rd_gray, wr_gray_s1, wr_gray_s2);
        self.ram.write_clock.next = self.clock.val();
        self.ram.read_clock.next = self.ref_clock.val();
        // Write side.
        self.rd_gray_s1.d.next = self.rd_gray.q.val();
        self.rd_gray_s2.d.next = self.rd_gray_s1.q.val();
        self.rd_seen.next = self.rd_gray_s2.q.val()
            ^ (self.rd_gray_s2.q.val() >> 1)
            ^ (self.rd_gray_s2.q.val() >> 2)
            ^ (self.rd_gray_s2.q.val() >> 3)
            ^ (self.rd_gray_s2.q.val() >> 4);
        self.fill.next = self.wr.q.val() - self.rd_seen.val();
        // At most 14: neither 15 nor 16 (bit 4 is set only at 16).
        self.room.d.next = !self.fill.val().get_bit(4) & (self.fill.val().get_bits::<4>(0) != 15);
        self.write.next = self.room.q.val() & (self.phy_tx_valid.val() | self.in_frame.q.val());
        self.wr_next.next = self.wr.q.val() + 1;
        if self.room.q.val() {
            self.in_frame.d.next = self.phy_tx_valid.val();
        }
        if self.write.val() {
            self.wr.d.next = self.wr_next.val();
            self.wr_gray.d.next = self.wr_next.val() ^ (self.wr_next.val() >> 1);
        }
        self.ram.write_enable.next = self.write.val();
        self.ram.write_address.next = self.wr.q.val().get_bits::<4>(0);
        self.ram.write_data.next = bit_cast::<9, 8>(self.phy_tx_data.val())
            | (bit_cast::<9, 1>((!self.phy_tx_valid.val()).into()) << 8);
        self.phy_tx_ready.next = self.room.q.val();
        // Read side.
        self.wr_gray_s1.d.next = self.wr_gray.q.val();
        self.wr_gray_s2.d.next = self.wr_gray_s1.q.val();
        self.is_empty.next = self.rd_gray.q.val() == self.wr_gray_s2.q.val();
        self.rd_next.next = self.rd.q.val() + 1;
        // The RAM reads the head-to-be, so `data` is the head after every edge.
        self.ram.read_address.next = self.rd.q.val().get_bits::<4>(0);
        if self.read.val() & !self.is_empty.val() {
            self.rd.d.next = self.rd_next.val();
            self.rd_gray.d.next = self.rd_next.val() ^ (self.rd_next.val() >> 1);
            self.ram.read_address.next = self.rd_next.val().get_bits::<4>(0);
        }
        self.data.next = self.ram.read_data.val();
        self.empty.next = self.is_empty.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*: the crate has no `rand`.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) % n
        }
    }

    /// How the REF_CLK side empties the FIFO.
    #[derive(Clone, Copy)]
    enum Reader {
        /// Reads when not empty with a probability (in sixteenths) that changes at
        /// random, 0 (a long stall) among them.
        Random,
        /// RmiiTx's schedule: a frame starts after 16 clocks of data, then takes an
        /// entry every `4 * n` clocks (n = 1 at 100 Mbit, 10 at 10 Mbit), which must
        /// be there.
        Wire(u32),
    }

    struct Run {
        /// The frames as the read side got them, split at the end markers.
        frames: Vec<Vec<u8>>,
        /// Entries the wire wanted and did not find.
        underruns: usize,
    }

    /// Sends `frames` from a MacTx-like source (a byte every clock `phy_tx_ready` is
    /// high, frozen while it is low, `gaps[i % len]` ready clocks of idle before frame
    /// i) through the FIFO to `reader`. Times in ps; the two clocks are independent,
    /// each edge simulated where it falls, coinciding edges together. Checks on the
    /// way that `phy_tx_ready` changes only at core clock edges and `empty` and the
    /// head entry only at REF_CLK edges.
    fn run(
        frames: &[Vec<u8>],
        gaps: &[u32],
        core_ps: u64,
        ref_ps: u64,
        reader: Reader,
        seed: u64,
    ) -> Run {
        let mut uut = TxPhyFifo::default();
        uut.connect_all();
        let mut rng = Rng(seed | 1);
        let (mut t_core, mut t_ref) = (core_ps / 2, 1 + rng.below(ref_ps));
        let (mut core_high, mut ref_high) = (false, false);
        let (mut f, mut pos, mut idle) = (0usize, 0usize, gaps[0]);
        let (mut p16, mut active, mut hold, mut div) = (16u64, false, 0u32, 0u32);
        let mut got: Vec<Vec<u8>> = vec![vec![]];
        let mut underruns = 0;
        let bytes: u64 = frames.iter().map(|f| f.len() as u64 + 20).sum();
        let end = bytes * ref_ps * 400 + 1_000_000;
        let mut drained_at = None;
        assert!(simulate(&mut uut, 100));
        loop {
            let t = t_core.min(t_ref);
            if t > end || drained_at.is_some_and(|d| t > d + 100 * ref_ps) {
                break;
            }
            let core_rise = t == t_core && !core_high;
            let ref_rise = t == t_ref && !ref_high;
            // What each rising edge commits, from the values settled before it.
            if core_rise && uut.phy_tx_ready.val() {
                if uut.phy_tx_valid.val() {
                    pos += 1;
                    if pos == frames[f].len() {
                        f += 1;
                        pos = 0;
                        idle = gaps[f % gaps.len()];
                    }
                } else if idle > 0 {
                    idle -= 1;
                }
            }
            if ref_rise && uut.read.val() {
                assert!(!uut.empty.val(), "read while empty");
                let e = uut.data.val().index() as u64;
                if e & 0x100 != 0 {
                    assert!(
                        !got.last().unwrap().is_empty(),
                        "an end marker with no frame"
                    );
                    got.push(vec![]);
                } else {
                    got.last_mut().unwrap().push(e as u8);
                }
            }
            if t == t_core {
                core_high = !core_high;
                t_core += core_ps / 2;
            }
            if t == t_ref {
                ref_high = !ref_high;
                t_ref += ref_ps / 2;
            }
            let (ready, empty, data) = (uut.phy_tx_ready.val(), uut.empty.val(), uut.data.val());
            uut.clock.next = core_high.into();
            uut.ref_clock.next = ref_high.into();
            assert!(simulate(&mut uut, 100));
            if !core_rise {
                assert_eq!(
                    ready,
                    uut.phy_tx_ready.val(),
                    "phy_tx_ready moved off a core edge"
                );
            }
            if !ref_rise {
                assert_eq!(empty, uut.empty.val(), "empty moved off a REF_CLK edge");
                assert!(
                    empty || data == uut.data.val(),
                    "the head moved off a REF_CLK edge"
                );
            }
            // The inputs for the next edge of each domain that just ticked.
            if core_rise {
                let valid = f < frames.len() && idle == 0;
                uut.phy_tx_valid.next = valid;
                uut.phy_tx_data.next = if valid {
                    frames[f][pos] as u64
                } else {
                    rng.below(256)
                }
                .into();
            }
            if ref_rise {
                let empty = uut.empty.val();
                let head_marker = uut.data.val().get_bit(8);
                uut.read.next = match reader {
                    Reader::Random => {
                        if rng.below(1000) == 0 {
                            p16 = rng.below(17);
                        }
                        !empty && rng.below(16) < p16
                    }
                    Reader::Wire(n) => {
                        let mut read = false;
                        if !active {
                            if empty {
                                hold = 0;
                            } else if head_marker {
                                read = true;
                            } else if hold == 16 {
                                (read, active, hold, div) = (true, true, 0, 0);
                            } else {
                                hold += 1;
                            }
                        } else {
                            div += 1;
                            if div == 4 * n {
                                div = 0;
                                if empty {
                                    underruns += 1;
                                    active = false;
                                } else {
                                    read = true;
                                    active = !head_marker;
                                }
                            }
                        }
                        read
                    }
                };
                assert!(simulate(&mut uut, 100));
            }
            if drained_at.is_none() && f == frames.len() && uut.empty.val() && !active {
                drained_at = Some(t);
            } else if !uut.empty.val() {
                drained_at = None;
            }
        }
        assert_eq!(
            f,
            frames.len(),
            "the source was not drained (ready stuck low?)"
        );
        assert!(
            got.pop().unwrap().is_empty(),
            "a frame without its end marker"
        );
        Run {
            frames: got,
            underruns,
        }
    }

    /// Fails at the first frame that differs, without printing them all.
    fn same_frames(got: &[Vec<u8>], sent: &[Vec<u8>], what: &str) {
        for (i, (g, s)) in got.iter().zip(sent).enumerate() {
            assert!(g == s, "{what}: frame {i}: got {g:02x?}, sent {s:02x?}");
        }
        assert_eq!(got.len(), sent.len(), "{what}: frames");
    }

    fn frames(rng: &mut Rng, n: usize, long: bool) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| {
                let len = match i % 9 {
                    0 => 1,
                    1 if long => 1526,
                    2 => 2,
                    _ => 1 + rng.below(if long { 300 } else { 40 }) as usize,
                };
                (0..len).map(|_| rng.below(256) as u8).collect()
            })
            .collect()
    }

    /// Random frames, idle gaps of 1 to 60 clocks and a reader that stalls at random:
    /// every byte and every frame boundary arrives exactly once, in order, whichever
    /// clock is faster and however their phases drift.
    #[test]
    fn random_frames_and_stalls_arrive_whole_and_in_order() {
        // (core period, REF_CLK period) in ps: the board's 100 and ~50 MHz both ways
        // of exact, a REF_CLK faster than the core clock, one much slower.
        for (k, (core_ps, ref_ps)) in [
            (10_000, 19_994),
            (10_000, 20_006),
            (10_000, 7_018),
            (10_000, 61_234),
        ]
        .into_iter()
        .enumerate()
        {
            let mut rng = Rng(0x5EED + k as u64);
            let sent = frames(&mut rng, 120, false);
            let gaps: Vec<u32> = (0..37).map(|_| 1 + rng.below(60) as u32).collect();
            let r = run(&sent, &gaps, core_ps, ref_ps, Reader::Random, 7 + k as u64);
            same_frames(&r.frames, &sent, &format!("clocks {core_ps}/{ref_ps} ps"));
        }
    }

    /// At the wire's pace, behind a source that only pauses between frames (12 idle
    /// clocks, MacTx's gap, or 1), a frame never runs dry once RmiiTx has started it,
    /// at 100 and at 10 Mbit, with REF_CLK a little fast or a little slow.
    #[test]
    fn the_wire_never_runs_dry_mid_frame() {
        for (k, (ref_ps, n)) in [(19_990, 1), (20_010, 1), (19_990, 10)]
            .into_iter()
            .enumerate()
        {
            let mut rng = Rng(0xFEED + k as u64);
            let sent = frames(&mut rng, if n == 1 { 40 } else { 12 }, true);
            let r = run(
                &sent,
                &[12, 1, 12],
                10_000,
                ref_ps,
                Reader::Wire(n),
                3 + k as u64,
            );
            assert_eq!(r.underruns, 0, "REF_CLK {ref_ps} ps, {n}");
            same_frames(&r.frames, &sent, &format!("REF_CLK {ref_ps} ps, {n}"));
        }
    }
}
