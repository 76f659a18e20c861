//! The virtual board: the whole board core ([`BoardCore`]) simulated clock by clock,
//! with its two byte streams brought out: the PHY side (Ethernet frames) and the link
//! side (the host's COBS frames). It skips only the pins: no RMII dibits, no UART bit
//! timing; bytes go straight into the link framer, host → board as fast as the board
//! takes them ([`min_clocks_after`]: a byte a clock, 24 clocks after a frame's
//! delimiter; any UART is slower), board → host one per clock, or, paced
//! ([`VirtualBoard::set_uart_pace`]), a byte each way as the board's UART carries them
//! at the rate it runs (`link_fast`: 4 or 12 Mbaud, as the last Config chose).
//!
//! The host's end of the line has a rate too ([`VirtualBoard::set_host_rate`]): a byte
//! that crosses between ends running at different rates is lost (a UART at the other
//! rate reads framing errors and junk, never the byte), and counted
//! ([`VirtualBoard::link_garbled`]), so a host that switches at the wrong moment loses
//! frames here as it would on the wire.
//!
//! Two models, as for the receive pipeline ([`crate::backend`]): rust-hdl's simulation
//! of the Rust description, and the Verilator model of the Verilog it generates (the
//! default when built; two orders of magnitude faster).

use crate::backend::Backend;
#[cfg(not(verilator_model))]
use crate::backend::NOT_BUILT;
use crate::board_vcd::PortTrace;
use crate::rx::{INTER_FRAME_GAP, MIN_FRAME};
use anyhow::{bail, Context, Result};
use rust_hdl::prelude::*;
use std::collections::VecDeque;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use tcpip_hdl::board::board_core::BoardCore;
use tcpip_hdl::board::host_rx::min_clocks_after;
use tcpip_hdl::link::crc32::crc32_ieee;

pub use crate::board_ports::{BoardInputs, BoardOutputs, BOARD_INPUT_NAMES, BOARD_OUTPUT_NAMES};
pub use tcpip_hdl::board::board_core::{DEFAULT_IP, DEFAULT_MAC};
/// Preamble, SFD, the frame and (optionally) its FCS, as a PHY sends them.
pub use tcpip_hdl::link::mac_rx::phy_bytes;

/// Clocks with nothing going in or out after which the board counts as idle: longer
/// than anything the core does between an input and its first output byte. The longest
/// is the COBS encoder collecting a 254-byte block before its code byte, which CrcAppend
/// passes at a byte a clock (254 clocks; 508 when it took 2 clocks a byte, 2,032 when
/// the CRC took a bit a clock, and the bound is kept), plus the message builder's start.
const QUIET_CLOCKS: u64 = 2_700;

/// One model of the board core, driven a clock at a time with plain integers.
pub trait BoardModel {
    fn backend(&self) -> Backend;
    /// Applies `inputs`, clocks once, and returns the outputs after the rising edge.
    fn cycle(&mut self, inputs: &BoardInputs) -> BoardOutputs;
    /// The outputs now.
    fn outputs(&self) -> BoardOutputs;
    /// Up to `max` clocks on `inputs`, stopping after the first clock whose outputs
    /// differ from those before the call: returns the clocks run and the outputs after
    /// the last. Lets a model run idle stretches without a call per clock.
    fn run(&mut self, inputs: &BoardInputs, max: u64) -> (u64, BoardOutputs) {
        let before = self.outputs();
        for n in 1..=max {
            let out = self.cycle(inputs);
            if out != before {
                return (n, out);
            }
        }
        (max, before)
    }
    /// Clocks the model has evaluated since it was opened, where it can skip clocks
    /// (the Verilator model's `run`); None where every clock run is evaluated.
    fn evaluated(&self) -> Option<u64> {
        None
    }
}

/// Opens a fresh board model; errors when `backend` is not built.
pub fn open_board(backend: Backend) -> Result<Box<dyn BoardModel>> {
    Ok(match backend {
        Backend::Rust => Box::new(RustBoard::new()),
        Backend::Verilator => Box::new(VerilatorBoard::new()?),
    })
}

/// rust-hdl's simulation of [`BoardCore`], driven directly.
pub struct RustBoard {
    uut: Box<BoardCore>,
}

impl RustBoard {
    pub fn new() -> Self {
        let mut uut = Box::new(BoardCore::default());
        uut.connect_all();
        assert!(simulate(&mut *uut, 200), "board core did not settle");
        RustBoard { uut }
    }

    /// The design itself, for a waveform dump.
    pub fn core(&self) -> &BoardCore {
        &self.uut
    }
}

impl Default for RustBoard {
    fn default() -> Self {
        Self::new()
    }
}

impl BoardModel for RustBoard {
    fn backend(&self) -> Backend {
        Backend::Rust
    }

    fn cycle(&mut self, inputs: &BoardInputs) -> BoardOutputs {
        let uut = &mut self.uut;
        inputs.apply(uut);
        uut.clock.next = false.into();
        assert!(simulate(&mut **uut, 200), "board core did not settle");
        uut.clock.next = true.into();
        assert!(simulate(&mut **uut, 200), "board core did not settle");
        BoardOutputs::of_board(uut)
    }

    fn outputs(&self) -> BoardOutputs {
        BoardOutputs::of_board(&self.uut)
    }
}

#[cfg(verilator_model)]
mod ffi {
    use std::ffi::c_void;
    extern "C" {
        pub fn tcpip_bdm_layout() -> u32;
        pub fn tcpip_bdm_new() -> *mut c_void;
        pub fn tcpip_bdm_free(model: *mut c_void);
        pub fn tcpip_bdm_cycle(model: *mut c_void, inputs: *const u32, outputs: *mut u32);
        pub fn tcpip_bdm_outputs(model: *mut c_void, outputs: *mut u32);
        pub fn tcpip_bdm_run(
            model: *mut c_void,
            inputs: *const u32,
            max: u32,
            outputs: *mut u32,
        ) -> u32;
        pub fn tcpip_bdm_evaluated(model: *const c_void) -> u64;
    }
}

/// The Verilator model of the board core's generated Verilog.
pub struct VerilatorBoard {
    #[cfg(verilator_model)]
    model: std::ptr::NonNull<std::ffi::c_void>,
}

impl VerilatorBoard {
    #[cfg(verilator_model)]
    pub fn new() -> Result<Self> {
        use std::mem::size_of;
        let (i, o) = (BOARD_INPUT_NAMES.len(), BOARD_OUTPUT_NAMES.len());
        assert_eq!(size_of::<BoardInputs>(), 4 * i);
        assert_eq!(size_of::<BoardOutputs>(), 4 * o);
        let layout = unsafe { ffi::tcpip_bdm_layout() } as usize;
        if layout != i * 10000 + o * 100 {
            bail!("the board model's shim has {layout} as port layout, the Rust side {}: rebuild tcpip-sim", i * 10000 + o * 100);
        }
        let model = unsafe { ffi::tcpip_bdm_new() };
        let model = std::ptr::NonNull::new(model).expect("tcpip_bdm_new returned null");
        Ok(VerilatorBoard { model })
    }

    #[cfg(not(verilator_model))]
    pub fn new() -> Result<Self> {
        bail!("{NOT_BUILT}")
    }
}

#[cfg(verilator_model)]
impl Drop for VerilatorBoard {
    fn drop(&mut self) {
        unsafe { ffi::tcpip_bdm_free(self.model.as_ptr()) }
    }
}

// Safety: the model is owned by this value alone and Verilator keeps no thread-local
// state between calls; it may move to another thread (the serial board runs in one).
#[cfg(verilator_model)]
unsafe impl Send for VerilatorBoard {}

impl BoardModel for VerilatorBoard {
    fn backend(&self) -> Backend {
        Backend::Verilator
    }

    #[cfg(verilator_model)]
    fn cycle(&mut self, inputs: &BoardInputs) -> BoardOutputs {
        let mut out = BoardOutputs::default();
        // Safety: repr(C) runs of u32 of the lengths the shim uses (checked in `new`).
        unsafe {
            ffi::tcpip_bdm_cycle(
                self.model.as_ptr(),
                inputs as *const BoardInputs as *const u32,
                &mut out as *mut BoardOutputs as *mut u32,
            )
        };
        out
    }

    #[cfg(verilator_model)]
    fn outputs(&self) -> BoardOutputs {
        let mut out = BoardOutputs::default();
        unsafe {
            ffi::tcpip_bdm_outputs(
                self.model.as_ptr(),
                &mut out as *mut BoardOutputs as *mut u32,
            )
        };
        out
    }

    /// In C++, which also ends the run at once when a clock leaves the whole model
    /// state unchanged (it would stay so): idle stretches cost next to nothing.
    #[cfg(verilator_model)]
    fn run(&mut self, inputs: &BoardInputs, max: u64) -> (u64, BoardOutputs) {
        let mut out = BoardOutputs::default();
        let max = max.min(u32::MAX as u64) as u32;
        let n = unsafe {
            ffi::tcpip_bdm_run(
                self.model.as_ptr(),
                inputs as *const BoardInputs as *const u32,
                max,
                &mut out as *mut BoardOutputs as *mut u32,
            )
        };
        (n as u64, out)
    }

    #[cfg(verilator_model)]
    fn evaluated(&self) -> Option<u64> {
        Some(unsafe { ffi::tcpip_bdm_evaluated(self.model.as_ptr()) })
    }

    #[cfg(not(verilator_model))]
    fn cycle(&mut self, _inputs: &BoardInputs) -> BoardOutputs {
        unreachable!("{NOT_BUILT}")
    }

    #[cfg(not(verilator_model))]
    fn outputs(&self) -> BoardOutputs {
        unreachable!("{NOT_BUILT}")
    }
}

/// What the board sent on its PHY side that was not a well-formed frame.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxStats {
    pub frames: u64,
    /// Bursts without 7 × 0x55 + 0xD5 in front.
    pub bad_preamble: u64,
    /// Frames whose FCS does not match.
    pub bad_fcs: u64,
    /// Frames that followed the previous one with less than the 12-byte gap.
    pub short_gap: u64,
}

/// What a [`VirtualBoard`] timeline records: everything the board puts out, each with
/// the clock it came in (see [`VirtualBoard::record_timeline`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// A byte the host side took off the link.
    Link(u8),
    /// A byte on the PHY side (preamble, frame and FCS as sent).
    Phy(u8),
    /// The event outputs, on each clock where they change: rx_frame, rx_drop, tx_frame,
    /// link_error as bits 0 to 3.
    Events(u8),
}

/// How the link's bytes are paced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pace {
    /// A byte each way every so many clocks at most (1: as fast as the core goes).
    Fixed(u64),
    /// As the board's UART carries them at the rate it runs.
    Uart,
}

/// Clocks a byte takes on the board's UART (8N1): 250 at 4 Mbaud, and at 12 Mbaud 83,
/// 83, 84 in turn (`thirds` counts the turn), 83⅓ on average as the UART's fractional
/// divider makes it.
fn uart_byte_clocks(fast: bool, thirds: &mut u8) -> u64 {
    if !fast {
        return 250;
    }
    *thirds = (*thirds + 1) % 3;
    83 + (*thirds == 0) as u64
}

/// One clock's inputs with the PHY taking every byte; `link_out_ready` as the UART allows.
fn board_inputs(phy: Option<u8>, link: Option<u8>, link_out_ready: bool) -> BoardInputs {
    BoardInputs {
        phy_rx_data: phy.unwrap_or(0) as u32,
        phy_rx_valid: phy.is_some() as u32,
        phy_rx_error: 0,
        phy_tx_ready: 1,
        link_in_data: link.unwrap_or(0) as u32,
        link_in_valid: link.is_some() as u32,
        link_out_ready: link_out_ready as u32,
    }
}

/// The simulated board: [`BoardCore`] on either model, with queues on both sides.
pub struct VirtualBoard {
    model: Box<dyn BoardModel>,
    out: BoardOutputs,
    cycles: u64,
    /// PHY bytes to send, `None` for an idle clock.
    phy_in: VecDeque<Option<u8>>,
    link_in: VecDeque<u8>,
    link_out: Vec<u8>,
    /// The burst the board is transmitting on its PHY side.
    tx_burst: Vec<u8>,
    tx_idle: u64,
    frames_out: Vec<Vec<u8>>,
    tx_stats: TxStats,
    /// Clocks since the last byte went in or came out.
    quiet: u64,
    trace: Option<PortTrace<BufWriter<File>>>,
    pace: Pace,
    /// Where the 12 Mbaud byte pattern stands, each way.
    in_thirds: u8,
    out_thirds: u8,
    link_in_wait: u64,
    link_out_wait: u64,
    /// The rate the host's end of the line runs at (12 Mbaud when true); `None`, at
    /// whatever the board's does (a PTY carries bytes at any rate).
    host_fast: Option<bool>,
    /// Bytes lost because the two ends ran at different rates.
    garbled: u64,
    /// Whether runs of clocks on unchanged inputs go to the model in one call (which may
    /// skip the clocks where its state stands still); off, every clock is a call.
    skip_idle: bool,
    timeline: Option<Vec<(u64, Seen)>>,
}

impl VirtualBoard {
    /// A freshly configured (powered-up) board on `backend`: MAC [`DEFAULT_MAC`], IP
    /// [`DEFAULT_IP`] until a host sends Config.
    pub fn new(backend: Backend) -> Result<VirtualBoard> {
        let model = open_board(backend)?;
        let out = model.outputs();
        Ok(VirtualBoard {
            model,
            out,
            cycles: 0,
            phy_in: VecDeque::new(),
            link_in: VecDeque::new(),
            link_out: vec![],
            tx_burst: vec![],
            tx_idle: u64::MAX,
            frames_out: vec![],
            tx_stats: TxStats::default(),
            quiet: 0,
            trace: None,
            pace: Pace::Fixed(1),
            in_thirds: 0,
            out_thirds: 0,
            link_in_wait: 0,
            host_fast: None,
            garbled: 0,
            link_out_wait: 0,
            skip_idle: true,
            timeline: None,
        })
    }

    /// Records every clock's ports from now on as a VCD waveform in `path`.
    pub fn trace_to(&mut self, path: &Path) -> Result<()> {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        self.trace = Some(PortTrace::new(BufWriter::new(file))?);
        Ok(())
    }

    /// Ends the waveform (the file is flushed and closed).
    pub fn end_trace(&mut self) {
        self.trace = None;
    }

    pub fn backend(&self) -> Backend {
        self.model.backend()
    }

    /// On (the default), runs of clocks whose inputs do not change go to the model in
    /// one call, and the Verilator model skips those where its whole state stands
    /// still; off, every clock is evaluated on its own. Nothing seen from outside
    /// differs (tests/board_lock_step.rs holds the two to the same timeline).
    pub fn set_skip_idle(&mut self, on: bool) {
        self.skip_idle = on;
    }

    /// Clocks the model evaluated, where it skips (the Verilator model); None otherwise.
    pub fn evaluated(&self) -> Option<u64> {
        self.model.evaluated()
    }

    /// From now on, records every byte put out on the link and the PHY side and every
    /// event pulse with its clock (see [`VirtualBoard::take_timeline`]).
    pub fn record_timeline(&mut self) {
        self.timeline.get_or_insert_with(Vec::new);
    }

    /// What was recorded since the last call: (clock, what), in order. The clock is
    /// [`VirtualBoard::cycles`] once that clock has run.
    pub fn take_timeline(&mut self) -> Vec<(u64, Seen)> {
        self.timeline
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Paces the link as a UART would: one byte each way every `clocks` clocks (250
    /// is the board's 4 Mbaud at 100 MHz). The default, 1, skips the UART's pace (host →
    /// board bytes still come no closer than [`min_clocks_after`] says).
    pub fn set_link_pace(&mut self, clocks: u64) {
        self.pace = Pace::Fixed(clocks.max(1));
    }

    /// Paces the link as the board's UART carries it, at the rate it runs: 250 clocks a
    /// byte at 4 Mbaud (from power-up), 83⅓ at 12 Mbaud (once a Config chose it).
    pub fn set_uart_pace(&mut self) {
        self.pace = Pace::Uart;
    }

    /// Whether the board's UART runs at 12 Mbaud (its `link_fast` output).
    pub fn link_fast(&self) -> bool {
        self.out.link_fast != 0
    }

    /// The host's end of the line runs at 12 Mbaud (`Some(true)`), 4 Mbaud
    /// (`Some(false)`) or whatever the board's does (`None`, the default) from now on,
    /// once every byte written so far has gone in (as a serial port's drain before a
    /// rate change): bytes crossing between ends at different rates are lost.
    pub fn set_host_rate(&mut self, fast: Option<bool>) {
        while !self.link_in.is_empty() {
            self.run(self.link_in_wait.max(1));
        }
        self.host_fast = fast;
    }

    /// Link bytes lost, either way, because the two ends ran at different rates.
    pub fn link_garbled(&self) -> u64 {
        self.garbled
    }

    /// Whether a byte crossing the line now would be lost to a rate mismatch.
    fn rates_differ(&self) -> bool {
        self.host_fast.is_some_and(|h| h != self.link_fast())
    }

    /// Host → board link bytes (COBS frames), fed at the link's pace.
    pub fn write_link(&mut self, bytes: &[u8]) {
        self.link_in.extend(bytes);
    }

    /// Board → host link bytes produced since the last call.
    pub fn read_link(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.link_out)
    }

    /// An Ethernet frame (destination MAC to the end of the payload, no FCS) arriving
    /// at the PHY: padded to 60 bytes, with preamble, SFD and FCS, then the 12-byte gap.
    pub fn push_frame(&mut self, frame: &[u8]) {
        let mut f = frame.to_vec();
        if f.len() < MIN_FRAME {
            f.resize(MIN_FRAME, 0);
        }
        self.push_phy_bytes(&phy_bytes(&f, true));
    }

    /// Raw PHY bytes (preamble to FCS, as they are), then the 12-byte gap: for frames
    /// with a deliberately wrong FCS or preamble.
    pub fn push_phy_bytes(&mut self, bytes: &[u8]) {
        self.phy_in.extend(bytes.iter().map(|&b| Some(b)));
        self.phy_in
            .extend(std::iter::repeat_n(None, INTER_FRAME_GAP));
    }

    /// Frames the board transmitted (destination MAC to the end of the payload,
    /// padding included), each with a good preamble and FCS, which are stripped.
    pub fn take_frames(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.frames_out)
    }

    /// What went out on the PHY side, good and bad.
    pub fn tx_stats(&self) -> &TxStats {
        &self.tx_stats
    }

    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Whether input is still queued or the board has been busy lately.
    pub fn busy(&self) -> bool {
        !self.phy_in.is_empty() || !self.link_in.is_empty() || self.quiet < QUIET_CLOCKS
    }

    /// Runs `clocks` clocks.
    pub fn run(&mut self, clocks: u64) {
        let end = self.cycles + clocks;
        while self.cycles < end {
            self.step(end - self.cycles);
        }
    }

    /// Runs until every queued input has gone in and nothing has moved for a while
    /// (or `max_clocks`); returns the clocks run.
    pub fn run_until_idle(&mut self, max_clocks: u64) -> u64 {
        let start = self.cycles;
        while self.busy() && self.cycles - start < max_clocks {
            self.step(self.idle_limit(max_clocks - (self.cycles - start)));
        }
        self.cycles - start
    }

    /// Runs until some link bytes have come out, the board is idle, or `max_clocks`.
    pub fn run_until_link_output(&mut self, max_clocks: u64) -> u64 {
        let start = self.cycles;
        while self.link_out.is_empty() && self.busy() && self.cycles - start < max_clocks {
            self.step(self.idle_limit(max_clocks - (self.cycles - start)));
        }
        self.cycles - start
    }

    /// At most `left` clocks, and no further than where the board counts as idle.
    fn idle_limit(&self, left: u64) -> u64 {
        left.min(QUIET_CLOCKS.saturating_sub(self.quiet))
    }

    /// Runs one clock, or, while the inputs stay the same (no PHY byte, no link byte due,
    /// the UART's readiness unchanged), nothing is taken off the link and nobody watches
    /// the ports, up to `limit` clocks in one call to the model, up to the first that
    /// changes an output. The clocks before it are booked as `cycle` books them, so the
    /// result is the same as clock by clock.
    fn step(&mut self, limit: u64) {
        let ready = self.link_out_wait <= 1;
        let ready_changes = if ready {
            u64::MAX
        } else {
            self.link_out_wait - 1
        };
        let link_in_due = if self.link_in.is_empty() {
            u64::MAX
        } else {
            self.link_in_wait.saturating_sub(1)
        };
        let limit = limit.min(ready_changes).min(link_in_due);
        let same_inputs = self.trace.is_none()
            && self.phy_in.is_empty()
            && self.out.phy_tx_valid == 0
            && !(ready && self.out.link_out_valid != 0);
        if !same_inputs || limit < 2 || !self.skip_idle {
            return self.cycle();
        }
        let (n, out) = self.model.run(&board_inputs(None, None, ready), limit);
        // The first n - 1 clocks kept the outputs as they were.
        let kept = n - 1;
        self.cycles += kept;
        self.quiet = if self.out.link_out_valid != 0 {
            0
        } else {
            self.quiet + kept
        };
        self.tx_idle = self.tx_idle.saturating_add(kept);
        self.link_in_wait = self.link_in_wait.saturating_sub(n);
        self.link_out_wait = self.link_out_wait.saturating_sub(n);
        self.clocked(out, false, None);
    }

    fn cycle(&mut self) {
        let phy = self.phy_in.pop_front().flatten();
        // The UART's pace: a byte each way at most every so many clocks.
        self.link_in_wait = self.link_in_wait.saturating_sub(1);
        self.link_out_wait = self.link_out_wait.saturating_sub(1);
        let mut link = if self.link_in_wait == 0 {
            self.link_in.pop_front()
        } else {
            None
        };
        if let Some(byte) = link {
            let least = min_clocks_after(byte) as u64;
            self.link_in_wait = self.byte_clocks(true).max(least);
            if self.rates_differ() {
                self.garbled += 1;
                link = None;
            }
        }
        let out_ready = self.link_out_wait == 0;
        let inputs = board_inputs(phy, link, out_ready);
        let moved_in = phy.is_some() || link.is_some();
        // The link byte on offer before this edge (the framer's outputs are registered)
        // is taken at this edge if the UART is ready for it.
        let taken =
            (self.out.link_out_valid != 0 && out_ready).then_some(self.out.link_out_data as u8);
        let out = self.model.cycle(&inputs);
        if let Some(trace) = &mut self.trace {
            if trace.sample(self.cycles, &inputs, &out).is_err() {
                // A full disk ends the waveform, not the simulation.
                self.trace = None;
            }
        }
        self.clocked(out, moved_in, taken);
    }

    /// Books a clock that gave `out`, took `taken` off the link, and had input if `moved_in`.
    fn clocked(&mut self, out: BoardOutputs, moved_in: bool, taken: Option<u8>) {
        let before = std::mem::replace(&mut self.out, out);
        self.cycles += 1;
        // A byte is taken in the clock where valid and ready are both high.
        let moved_out = self.out.link_out_valid != 0 || self.out.phy_tx_valid != 0;
        if let Some(b) = taken {
            // The byte went out at the board's rate before this edge.
            if self.host_fast.is_none_or(|h| h == (before.link_fast != 0)) {
                self.link_out.push(b);
            } else {
                self.garbled += 1;
            }
            self.link_out_wait = self.byte_clocks(false);
        }
        if let Some(timeline) = &mut self.timeline {
            if let Some(b) = taken {
                timeline.push((self.cycles, Seen::Link(b)));
            }
            if out.phy_tx_valid != 0 {
                timeline.push((self.cycles, Seen::Phy(out.phy_tx_data as u8)));
            }
            let events = |o: &BoardOutputs| {
                (o.rx_frame | o.rx_drop << 1 | o.tx_frame << 2 | o.link_error << 3) as u8
            };
            if events(&out) != events(&before) {
                timeline.push((self.cycles, Seen::Events(events(&out))));
            }
        }
        self.watch_phy_tx();
        self.quiet = if moved_in || moved_out {
            0
        } else {
            self.quiet + 1
        };
    }

    /// Clocks the next link byte takes into the board (`inward`) or out of it.
    fn byte_clocks(&mut self, inward: bool) -> u64 {
        let fast = self.link_fast();
        let thirds = if inward {
            &mut self.in_thirds
        } else {
            &mut self.out_thirds
        };
        match self.pace {
            Pace::Fixed(clocks) => clocks,
            Pace::Uart => uart_byte_clocks(fast, thirds),
        }
    }

    /// Collects the PHY-side bursts into frames and checks each as a receiver would.
    fn watch_phy_tx(&mut self) {
        if self.out.phy_tx_valid != 0 {
            if self.tx_burst.is_empty() && self.tx_idle < INTER_FRAME_GAP as u64 {
                self.tx_stats.short_gap += 1;
            }
            self.tx_burst.push(self.out.phy_tx_data as u8);
            self.tx_idle = 0;
            return;
        }
        self.tx_idle = self.tx_idle.saturating_add(1);
        if self.tx_burst.is_empty() {
            return;
        }
        let burst = std::mem::take(&mut self.tx_burst);
        let preamble = [0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0xD5];
        if burst.len() < 8 + 4 || burst[..8] != preamble {
            self.tx_stats.bad_preamble += 1;
            return;
        }
        let (frame, fcs) = burst[8..].split_at(burst.len() - 12);
        if crc32_ieee(frame).to_le_bytes() != fcs {
            self.tx_stats.bad_fcs += 1;
            return;
        }
        self.tx_stats.frames += 1;
        self.frames_out.push(frame.to_vec());
    }
}

/// One clock's inputs for [`board_lock_step`]: PHY bytes (`None` idle) and link bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct BoardStep {
    pub phy: Option<u8>,
    pub link: Option<u8>,
}

/// Runs both models of the board core on the same inputs, clock by clock, and fails on
/// the first clock where any output differs, naming it. The link and the PHY are always
/// ready. Returns the clocks run.
pub fn board_lock_step(steps: &[BoardStep]) -> Result<u64> {
    let mut rust = open_board(Backend::Rust)?;
    let mut veri = open_board(Backend::Verilator)?;
    if rust.outputs() != veri.outputs() {
        bail!("the outputs differ before the first clock");
    }
    for (cycle, step) in steps.iter().enumerate() {
        let inputs = board_inputs(step.phy, step.link, true);
        let (a, b) = (rust.cycle(&inputs), veri.cycle(&inputs));
        if a != b {
            let (wa, wb) = (a.words(), b.words());
            let k = (0..wa.len()).find(|&k| wa[k] != wb[k]).unwrap();
            bail!(
                "cycle {cycle} of {}: output `{}` is {:#x} in Rust and {:#x} in Verilator",
                steps.len(),
                BOARD_OUTPUT_NAMES[k],
                wa[k],
                wb[k]
            );
        }
    }
    Ok(steps.len() as u64)
}
