//! [`Link`] to the virtual board: the whole board design simulated in this process
//! (tcpip-sim's [`VirtualBoard`]), reached through the same frames a UART would carry.
//! The board's Ethernet side is open to the caller ([`SimLink::board`]): push frames
//! in as the wire would, take the frames it transmits.

use super::codec::{DecodeStats, Decoder};
use super::message::{encode_frame_into, LinkRate, Message};
use super::Link;
use anyhow::Context;
use std::collections::VecDeque;
use std::time::Duration;
use tcpip_sim::backend::Backend;
use tcpip_sim::board::VirtualBoard;

/// Clocks simulated per step while waiting for a message.
const STEP_CLOCKS: u64 = 2_000;

pub struct SimLink {
    board: VirtualBoard,
    decoder: Decoder,
    ready: VecDeque<Message>,
    frame: Vec<u8>,
    rate: LinkRate,
    /// Clocks the board may run a turn for `recv`s that may not wait (see
    /// [`SimLink::set_slice`]), and what is left of this turn's.
    slice: Option<u64>,
    slice_left: u64,
}

impl SimLink {
    /// A powered-up virtual board on `backend`, its link as fast as the simulation
    /// goes. The host's end starts at 4 Mbaud, as the board's UART does: bytes cross
    /// only while both ends run at the same rate.
    pub fn new(backend: Backend) -> anyhow::Result<SimLink> {
        let mut board = VirtualBoard::new(backend)?;
        board.set_host_rate(Some(false));
        Ok(SimLink {
            board,
            decoder: Decoder::new(),
            ready: VecDeque::new(),
            frame: vec![],
            rate: LinkRate::Mbaud4,
            slice: None,
            slice_left: 0,
        })
    }

    /// A powered-up virtual board whose link runs at the pace of its UART (`paced`:
    /// 4 Mbaud, or 12 once a Config selects it), or as fast as the simulation goes.
    pub fn paced(backend: Backend, paced: bool) -> anyhow::Result<SimLink> {
        let mut link = SimLink::new(backend)?;
        if paced {
            link.board.set_uart_pace();
        }
        Ok(link)
    }

    /// The board itself: its Ethernet side, clock count and statistics.
    pub fn board(&mut self) -> &mut VirtualBoard {
        &mut self.board
    }

    /// The `recv`s that may not wait (a zero timeout) between two [`SimLink::next_turn`]
    /// simulate at most `clocks` clocks in all, and return nothing once those are run
    /// though the board is still busy (`None`, the default: each simulates until a
    /// message or until the board is idle). A caller that also drives the board's
    /// Ethernet side then gets its turn while the board works: it can hand the board
    /// the next frame and the host's answers while earlier ones still cross the link,
    /// as they would on a real wire.
    pub fn set_slice(&mut self, clocks: Option<u64>) {
        self.slice = clocks;
        self.next_turn();
    }

    /// A new turn: the board may run another slice.
    pub fn next_turn(&mut self) {
        self.slice_left = self.slice.unwrap_or(0);
    }

    /// Whether the board still has input queued or has moved lately.
    pub fn busy(&self) -> bool {
        self.board.busy()
    }

    /// Frames from the board dropped by the host's decoder, by reason.
    pub fn stats(&self) -> DecodeStats {
        self.decoder.stats()
    }

    /// Decodes whatever link bytes the board has produced.
    fn drain(&mut self) {
        let bytes = self.board.read_link();
        if !bytes.is_empty() {
            let msgs = self.decoder.feed(&bytes);
            self.ready.extend(msgs);
        }
    }

    /// Runs the board until it is idle, collecting what it sends.
    pub fn settle(&mut self) {
        while self.board.busy() {
            self.board.run(STEP_CLOCKS);
            self.drain();
        }
        self.drain();
    }
}

impl Link for SimLink {
    fn send(&mut self, msg: &Message) -> anyhow::Result<()> {
        self.frame.clear();
        encode_frame_into(msg, &mut self.frame)
            .with_context(|| format!("cannot encode a message of type 0x{:02x}", msg.kind()))?;
        self.board.write_link(&self.frame);
        Ok(())
    }

    /// Switches once the board has taken every byte sent (the drain); the board's
    /// bytes lost meanwhile to a rate mismatch are counted in
    /// [`VirtualBoard::link_garbled`].
    fn set_rate(&mut self, rate: LinkRate) -> anyhow::Result<()> {
        self.board.set_host_rate(Some(rate == LinkRate::Mbaud12));
        self.rate = rate;
        self.drain();
        self.decoder.restart();
        Ok(())
    }

    fn rate(&self) -> LinkRate {
        self.rate
    }

    /// Simulates until a message arrives or the board has nothing left to do; the
    /// timeout is not wall time here: a simulated board that is idle sends nothing.
    /// With a zero timeout and a slice set, at most what is left of the turn's slice.
    fn recv(&mut self, timeout: Duration) -> anyhow::Result<Option<Message>> {
        let sliced = self.slice.is_some() && timeout.is_zero();
        loop {
            if let Some(m) = self.ready.pop_front() {
                return Ok(Some(m));
            }
            if !self.board.busy() || (sliced && self.slice_left == 0) {
                self.drain();
                return Ok(self.ready.pop_front());
            }
            let most = if sliced {
                STEP_CLOCKS.min(self.slice_left)
            } else {
                STEP_CLOCKS
            };
            let ran = self.board.run_until_link_output(most);
            if sliced {
                self.slice_left -= ran;
            }
            self.drain();
        }
    }
}
