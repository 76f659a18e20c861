//! Store-and-forward buffer between the RMII receiver (REF_CLK, a byte every 4 or 40
//! clocks) and the receive pipeline (core clock, which needs a frame's bytes on
//! consecutive clocks, `phy_valid` high from the SFD to the last FCS byte).
//!
//! One dual-clock block RAM array (2 KiB, four block RAMs) is both the clock-domain
//! crossing and the frame store, so no separate CDC FIFO is needed. The write side
//! (REF_CLK) stores each frame behind a two-byte header slot, and at the frame's end
//! writes its length and flags into the slot and then commits it. The read side (core
//! clock) releases committed frames one at a time, whole, a byte per clock, with at
//! least `GAP` idle clocks between frames (the pipeline assumes a frame start at most
//! every 84 clocks, as on the wire).
//!
//! Crossing: only two pointers cross, each with a toggle: the write side's commit
//! pointer (after a frame) and the read side's free pointer (after a release). A
//! pointer changes in the same clock as its toggle and then holds for at least a frame
//! (hundreds of clocks), so when the far side sees the toggle change through two
//! synchronising flip-flops the pointer has long been stable: no Gray code needed.
//! The commit pointer is the next frame's header slot, which the write side keeps
//! anyway; the read side's own read address stands in for its position between
//! frames, so neither side keeps a second copy of a pointer.
//!
//! Header: byte 0 = length bits 7..0, byte 1 = bit 7 PHY error (RX_ER), bit 6
//! truncated, bits 2..0 = length bits 10..8. The length counts the SFD and every byte
//! after it. The write side reserves the next frame's header slot as it commits a
//! frame (at power-up, the first), so every address it writes is a pointer it holds or
//! that pointer plus one: one incrementer, no adders in front of the RAM. A frame
//! longer than 1536 bytes (the longest legal one, SFD included, is 1523), or one that
//! finds the buffer full (room kept for the next header slot), has its tail cut and is
//! released with `phy_error`, so the pipeline drops and counts it; one that finds no
//! room even for its SFD is dropped here with an `overrun` pulse (REF_CLK domain).
//! Since no frame takes more than 1538 of the 2048 bytes and the core drains 8
//! (100 Mbit) or 80 (10 Mbit) times faster than the wire fills, neither happens to a
//! legal frame.

use rust_hdl::prelude::*;

/// Idle core clocks between released frames: with the 65-byte minimum (SFD + 64) a
/// frame starts at most every 89 clocks.
const GAP: u64 = 24;

#[derive(LogicBlock)]
pub struct RxFrameBuffer {
    // Write side, REF_CLK domain: the RMII receiver's outputs.
    pub ref_clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    pub start: Signal<In, Bit>,
    pub frame_end: Signal<In, Bit>,
    pub error: Signal<In, Bit>,
    pub overrun: Signal<Out, Bit>,
    // Read side, core clock domain.
    pub clock: Signal<In, Clock>,
    pub phy_data: Signal<Out, Bits<8>>,
    pub phy_valid: Signal<Out, Bit>,
    pub phy_error: Signal<Out, Bit>,
    ram: RAM<Bits<8>, 11>,
    // Write side.
    /// The next data address, held XOR 2: it powers up at 2, behind the first frame's
    /// header slot (a register powers up at zero; the XOR folds into the LUTs).
    wr_x: DFF<Bits<12>>,
    wr: Signal<Local, Bits<12>>,
    wr_1: Signal<Local, Bits<12>>,
    wr_next: Signal<Local, Bits<12>>,
    /// The current (or next) frame's header slot; also the commit pointer the read side
    /// takes, as it holds from one commit to the next frame's end.
    head: DFF<Bits<12>>,
    /// `head` + 1, its second byte, held XOR 1 (it powers up at 1).
    head_hi_x: DFF<Bits<11>>,
    len: DFF<Bits<11>>,
    in_frame: DFF<Bit>,
    err: DFF<Bit>,
    trunc: DFF<Bit>,
    /// 0 none, 1 writing the header's low byte, 2 its high byte, committing and
    /// reserving the next slot's first byte, 3 reserving its second.
    header: DFF<Bits<2>>,
    commit_toggle: DFF<Bit>,
    freed_s1: DFF<Bit>,
    freed_s2: DFF<Bit>,
    freed_s3: DFF<Bit>,
    rd_seen: DFF<Bits<12>>,
    overrun_r: DFF<Bit>,
    used: Signal<Local, Bits<12>>,
    /// No room for a data byte: at most two bytes left, kept for the next header slot.
    full: Signal<Local, Bit>,
    two: Constant<Bits<12>>,
    one: Constant<Bits<11>>,
    // Read side.
    commit_s1: DFF<Bit>,
    commit_s2: DFF<Bit>,
    commit_s3: DFF<Bit>,
    avail: DFF<Bits<12>>,
    /// The read address; between frames, the next frame's header.
    ra: DFF<Bits<12>>,
    /// 0 idle, 1 header low byte on its way, 2 header high byte, 3 streaming.
    state: DFF<Bits<2>>,
    /// Bytes left of the frame while streaming; idle clocks left of the gap between.
    count: DFF<Bits<11>>,
    /// `count` is 1: the byte on its way out is the frame's last. Registered (a clock
    /// ahead, from `count` == 2) so the 11-bit compare is not in front of the state
    /// and `ra` enables.
    last: DFF<Bit>,
    /// Counting the gap down: set as a frame ends, cleared as `count` leaves 1 (zero
    /// at power-up, when `count` is zero too), so no 11-bit zero test is in front of
    /// `count`'s enable (it was a critical path).
    in_gap: DFF<Bit>,
    /// A committed frame waits (`avail` != `ra`), a clock late: the gap after each
    /// frame covers it.
    waiting: DFF<Bit>,
    flag: DFF<Bit>,
    freed: DFF<Bits<12>>,
    freed_toggle: DFF<Bit>,
    out_data: DFF<Bits<8>>,
    out_valid: DFF<Bit>,
    out_error: DFF<Bit>,
    gap_clocks: Constant<Bits<11>>,
}

impl Default for RxFrameBuffer {
    fn default() -> Self {
        Self {
            ref_clock: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            start: Default::default(),
            frame_end: Default::default(),
            error: Default::default(),
            overrun: Default::default(),
            clock: Default::default(),
            phy_data: Default::default(),
            phy_valid: Default::default(),
            phy_error: Default::default(),
            ram: RAM::new(
                (0..2048u64)
                    .map(|i| (Bits::<11>::from(i), Bits::<8>::default()))
                    .collect(),
            ),
            wr_x: Default::default(),
            wr: Default::default(),
            wr_1: Default::default(),
            wr_next: Default::default(),
            head: Default::default(),
            head_hi_x: Default::default(),
            len: Default::default(),
            in_frame: Default::default(),
            err: Default::default(),
            trunc: Default::default(),
            header: Default::default(),
            commit_toggle: Default::default(),
            freed_s1: Default::default(),
            freed_s2: Default::default(),
            freed_s3: Default::default(),
            rd_seen: Default::default(),
            overrun_r: Default::default(),
            used: Default::default(),
            full: Default::default(),
            two: Constant::new(2.into()),
            one: Constant::new(1.into()),
            commit_s1: Default::default(),
            commit_s2: Default::default(),
            commit_s3: Default::default(),
            avail: Default::default(),
            ra: Default::default(),
            state: Default::default(),
            count: Default::default(),
            last: Default::default(),
            in_gap: Default::default(),
            waiting: Default::default(),
            flag: Default::default(),
            freed: Default::default(),
            freed_toggle: Default::default(),
            out_data: Default::default(),
            out_valid: Default::default(),
            out_error: Default::default(),
            gap_clocks: Constant::new(GAP.into()),
        }
    }
}

impl Logic for RxFrameBuffer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            ref_clock,
            wr_x,
            head,
            head_hi_x,
            len,
            in_frame,
            err,
            trunc,
            header,
            commit_toggle,
            freed_s1,
            freed_s2,
            freed_s3,
            rd_seen,
            overrun_r
        );
        dff_setup!(
            self,
            clock,
            commit_s1,
            commit_s2,
            commit_s3,
            avail,
            ra,
            state,
            count,
            last,
            in_gap,
            waiting,
            flag,
            freed,
            freed_toggle,
            out_data,
            out_valid,
            out_error
        );
        self.ram.write_clock.next = self.ref_clock.val();
        self.ram.read_clock.next = self.clock.val();

        // ---- Write side (REF_CLK) ----
        self.freed_s1.d.next = self.freed_toggle.q.val();
        self.freed_s2.d.next = self.freed_s1.q.val();
        self.freed_s3.d.next = self.freed_s2.q.val();
        if self.freed_s2.q.val() != self.freed_s3.q.val() {
            self.rd_seen.d.next = self.freed.q.val();
        }
        self.wr.next = self.wr_x.q.val() ^ self.two.val();
        self.wr_1.next = self.wr.val() + 1;
        self.wr_next.next = self.wr.val();
        self.used.next = self.wr.val() - self.rd_seen.q.val();
        self.full.next = self.used.val().get_bit(11) | (self.used.val().get_bits::<10>(1) == 0x3FF);
        self.overrun_r.d.next = false;
        self.ram.write_enable.next = false;
        self.ram.write_address.next = self.wr.val().get_bits::<11>(0);
        self.ram.write_data.next = self.data.val();
        if self.header.q.val() == 1 {
            self.ram.write_enable.next = true;
            self.ram.write_address.next = self.head.q.val().get_bits::<11>(0);
            self.ram.write_data.next = self.len.q.val().get_bits::<8>(0);
            self.header.d.next = 2.into();
        } else if self.header.q.val() == 2 {
            self.ram.write_enable.next = true;
            self.ram.write_address.next = self.head_hi_x.q.val() ^ self.one.val();
            self.ram.write_data.next = (bit_cast::<8, 1>(self.err.q.val().into()) << 7)
                | (bit_cast::<8, 1>(self.trunc.q.val().into()) << 6)
                | bit_cast::<8, 3>(self.len.q.val().get_bits::<3>(8));
            self.head.d.next = self.wr.val();
            self.wr_next.next = self.wr_1.val();
            self.commit_toggle.d.next = !self.commit_toggle.q.val();
            self.header.d.next = 3.into();
        } else if self.header.q.val() == 3 {
            self.head_hi_x.d.next = self.wr.val().get_bits::<11>(0) ^ self.one.val();
            self.wr_next.next = self.wr_1.val();
            self.header.d.next = 0.into();
        } else if self.valid.val() & self.start.val() {
            // Room for the SFD, or the frame is not stored at all.
            if !self.full.val() {
                self.in_frame.d.next = true;
                self.ram.write_enable.next = true;
                self.wr_next.next = self.wr_1.val();
                self.len.d.next = 1.into();
                self.err.d.next = false;
                self.trunc.d.next = false;
            } else {
                self.in_frame.d.next = false;
                self.overrun_r.d.next = true;
            }
        } else if self.valid.val() & self.in_frame.q.val() {
            if self.full.val() | (self.len.q.val() == 1536) {
                self.trunc.d.next = true;
            } else {
                self.ram.write_enable.next = true;
                self.wr_next.next = self.wr_1.val();
                self.len.d.next = self.len.q.val() + 1;
            }
        } else if self.frame_end.val() & self.in_frame.q.val() {
            self.in_frame.d.next = false;
            self.err.d.next = self.error.val();
            self.header.d.next = 1.into();
        }
        self.wr_x.d.next = self.wr_next.val() ^ self.two.val();
        self.overrun.next = self.overrun_r.q.val();

        // ---- Read side (core clock) ----
        self.commit_s1.d.next = self.commit_toggle.q.val();
        self.commit_s2.d.next = self.commit_s1.q.val();
        self.commit_s3.d.next = self.commit_s2.q.val();
        if self.commit_s2.q.val() != self.commit_s3.q.val() {
            self.avail.d.next = self.head.q.val();
        }
        self.ram.read_address.next = self.ra.q.val().get_bits::<11>(0);
        self.waiting.d.next = self.avail.q.val() != self.ra.q.val();
        self.last.d.next = self.count.q.val() == 2;
        self.in_gap.d.next = self.in_gap.q.val() & (self.count.q.val().get_bits::<10>(1) != 0);
        self.out_valid.d.next = false;
        self.out_error.d.next = false;
        if self.state.q.val() == 0 {
            if self.in_gap.q.val() {
                self.count.d.next = self.count.q.val() - 1;
            } else if self.waiting.q.val() {
                // The RAM is reading the header's low byte (at `ra`) this clock.
                self.ra.d.next = self.ra.q.val() + 1;
                self.state.d.next = 1.into();
            }
        } else if self.state.q.val() == 1 {
            self.count.d.next = bit_cast::<11, 8>(self.ram.read_data.val());
            self.ra.d.next = self.ra.q.val() + 1;
            self.state.d.next = 2.into();
        } else if self.state.q.val() == 2 {
            self.count.d.next = self.count.q.val()
                | (bit_cast::<11, 3>(self.ram.read_data.val().get_bits::<3>(0)) << 8);
            // A frame of one byte (the SFD alone).
            self.last.d.next =
                (self.count.q.val() == 1) & (self.ram.read_data.val().get_bits::<3>(0) == 0);
            self.flag.d.next = self.ram.read_data.val().get_bits::<2>(6) != 0;
            self.ra.d.next = self.ra.q.val() + 1;
            self.state.d.next = 3.into();
        } else {
            self.out_valid.d.next = true;
            self.out_data.d.next = self.ram.read_data.val();
            self.out_error.d.next = self.flag.q.val();
            self.count.d.next = self.count.q.val() - 1;
            self.ra.d.next = self.ra.q.val() + 1;
            if self.last.q.val() {
                // `ra` has just passed the frame's last byte: the next header is there.
                self.ra.d.next = self.ra.q.val();
                self.freed.d.next = self.ra.q.val();
                self.freed_toggle.d.next = !self.freed_toggle.q.val();
                self.count.d.next = self.gap_clocks.val();
                self.in_gap.d.next = true;
                self.state.d.next = 0.into();
            }
        }
        self.phy_data.next = self.out_data.q.val();
        self.phy_valid.next = self.out_valid.q.val();
        self.phy_error.next = self.out_error.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One event on the write side, at a REF_CLK edge.
    #[derive(Clone, Copy)]
    enum W {
        Idle,
        Start,
        Byte(u8),
        End(bool),
    }

    /// What the pipeline sees: frames (bytes, error; a frame split by a drop of
    /// `phy_valid` shows up as two), the shortest idle run between frames, overruns.
    struct Released {
        frames: Vec<(Vec<u8>, bool)>,
        min_gap: usize,
        overruns: usize,
    }

    /// Runs the write events at one REF_CLK edge each (period `ref_ns`), with the core
    /// clock at period `core_ns`, in 1 ns steps, until everything has come out.
    fn run(events: &[W], ref_ns: usize, core_ns: usize, tail_ns: usize) -> Released {
        let mut uut = RxFrameBuffer::default();
        uut.connect_all();
        let (mut next, mut ref_high, mut core_high) = (0, false, false);
        let mut frames: Vec<(Vec<u8>, bool)> = vec![];
        let (mut prev_valid, mut errors_agree) = (false, true);
        let (mut idle, mut min_gap, mut overruns) = (0usize, usize::MAX, 0);
        let total = events.len() * ref_ns + tail_ns;
        for t in 0..total {
            let r = t % ref_ns < ref_ns / 2;
            let c = (t + 3) % core_ns < core_ns / 2;
            if r && !ref_high {
                // Inputs change just after the previous edge; set them before this one.
                let e = events.get(next).copied().unwrap_or(W::Idle);
                next += 1;
                uut.valid.next = matches!(e, W::Start | W::Byte(_));
                uut.start.next = matches!(e, W::Start);
                uut.data.next = match e {
                    W::Start => 0xD5u64,
                    W::Byte(b) => b as u64,
                    _ => 0,
                }
                .into();
                uut.frame_end.next = matches!(e, W::End(_));
                uut.error.next = matches!(e, W::End(true));
            }
            uut.ref_clock.next = r.into();
            uut.clock.next = c.into();
            assert!(simulate(&mut uut, 100));
            if r && !ref_high {
                overruns += uut.overrun.val() as usize;
            }
            if c && !core_high {
                let v = uut.phy_valid.val();
                if v && !prev_valid {
                    if !frames.is_empty() {
                        min_gap = min_gap.min(idle);
                    }
                    frames.push((vec![], uut.phy_error.val()));
                }
                if v {
                    let f = frames.last_mut().unwrap();
                    f.0.push(uut.phy_data.val().index() as u8);
                    errors_agree &= f.1 == uut.phy_error.val();
                    idle = 0;
                } else {
                    idle += 1;
                }
                prev_valid = v;
            }
            ref_high = r;
            core_high = c;
        }
        assert!(errors_agree, "phy_error changed within a frame");
        Released {
            frames,
            min_gap,
            overruns,
        }
    }

    /// Write events for a frame as RmiiRx delivers them at 100 Mbit (a byte every 4
    /// clocks) or 10 Mbit (every 40), with `ifg` idle clocks after it.
    fn frame_events(body: &[u8], every: usize, error: bool, ifg: usize) -> Vec<W> {
        let mut e = vec![W::Start];
        for &b in body {
            e.extend(std::iter::repeat(W::Idle).take(every - 1));
            e.push(W::Byte(b));
        }
        e.push(W::End(error));
        e.extend(std::iter::repeat(W::Idle).take(ifg));
        e
    }

    fn body(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(13) ^ seed)
            .collect()
    }

    fn with_sfd(b: &[u8]) -> Vec<u8> {
        let mut v = vec![0xD5];
        v.extend_from_slice(b);
        v
    }

    #[test]
    fn frames_come_out_whole_on_consecutive_core_clocks() {
        // Back to back at 100 Mbit (12-byte gap = 48 REF_CLKs, plus the preamble), a
        // full-size frame among minimum ones, an errored frame; core at 100 and 125 MHz.
        let sizes = [
            (68usize, false),
            (1522, false),
            (68, true),
            (68, false),
            (700, false),
        ];
        for core_ns in [10, 8] {
            for every in [4, 40] {
                let mut events = vec![];
                let mut want = vec![];
                for (i, &(len, err)) in sizes.iter().enumerate() {
                    let b = body(len, i as u8);
                    events.extend(frame_events(&b, every, err, 80));
                    want.push((with_sfd(&b), err));
                }
                let got = run(&events, 20, core_ns, 50_000);
                assert_eq!(got.overruns, 0);
                assert_eq!(
                    got.frames.len(),
                    want.len(),
                    "core {core_ns} ns, every {every}"
                );
                for (g, w) in got.frames.iter().zip(&want) {
                    assert_eq!(g, w, "core {core_ns} ns, byte every {every} REF_CLKs");
                }
                assert!(got.min_gap >= GAP as usize, "gap {}", got.min_gap);
            }
        }
    }

    #[test]
    fn a_frame_longer_than_the_buffer_is_cut_and_marked() {
        let long = body(2100, 9);
        let short = body(100, 3);
        let mut events = frame_events(&long, 4, false, 60);
        events.extend(frame_events(&short, 4, false, 60));
        let got = run(&events, 20, 10, 100_000);
        assert_eq!(got.frames.len(), 2);
        assert!(got.frames[0].1, "the cut frame carries phy_error");
        assert_eq!(got.frames[0].0.len(), 1536);
        assert_eq!(got.overruns, 0);
        assert_eq!(got.frames[0].0[..100], with_sfd(&long)[..100]);
        assert_eq!(got.frames[1], (with_sfd(&short), false));
    }

    #[test]
    fn a_core_too_slow_to_keep_up_sees_whole_frames_cut_ones_marked_the_rest_counted() {
        // The core clock at 200 ns drains a byte while the wire brings 2.5: the buffer
        // fills, so frames are cut (marked) or dropped (counted), never mixed up.
        let sent: Vec<Vec<u8>> = (0..12).map(|i| body(300, i as u8)).collect();
        let mut events = vec![];
        for b in &sent {
            events.extend(frame_events(b, 4, false, 80));
        }
        let got = run(&events, 20, 200, 1_000_000);
        assert!(got.overruns > 0, "the buffer never filled");
        let mut cut = 0;
        let mut next = sent.iter().map(|b| with_sfd(b));
        for (bytes, error) in &got.frames {
            let w = next
                .by_ref()
                .find(|w| w.starts_with(bytes))
                .expect("a released frame that was not sent, or out of order");
            if *error {
                cut += 1;
                assert!(bytes.len() < w.len(), "marked but whole");
            } else {
                assert_eq!(bytes, &w, "cut but not marked");
            }
        }
        assert_eq!(got.frames.len() + got.overruns, sent.len());
        assert!(
            got.frames.len() - cut >= 6,
            "{} whole frames",
            got.frames.len() - cut
        );
    }
}
