//! The board link: messages between the host and the board over its UART.
//!
//! - [`cobs`] and [`crc`]: framing and integrity, as the FPGA framer does them.
//! - [`message`]: every message and its byte layout (the contract with the hardware).
//! - [`codec`]: a streaming decoder that survives corruption.
//! - [`serial`]: [`Link`] over a real serial port.
//! - [`sim`]: [`Link`] to the virtual board (the board design simulated in-process).
//!
//! Links are meant to be wrapped (fault injection, tracing, capture) the way smoltcp's
//! `phy/` wraps devices, so the trait stays small.

pub mod cobs;
pub mod codec;
pub mod crc;
pub mod message;
pub mod serial;
pub mod sim;
pub mod spec;

pub use codec::{DecodeStats, Decoder};
pub use message::{DecodeError, FrameError, LinkRate, Message};
pub use serial::SerialLink;
pub use sim::SimLink;
pub use spec::LinkSpec;

use std::time::Duration;

/// A bidirectional message link to a board (real or simulated).
pub trait Link {
    /// Sends one message; returns once it has been handed to the transport.
    fn send(&mut self, msg: &Message) -> anyhow::Result<()>;
    /// The next message, waiting at most `timeout`; `None` if none arrived in time.
    /// Bad frames are dropped and counted, never returned.
    fn recv(&mut self, timeout: Duration) -> anyhow::Result<Option<Message>>;
    /// Runs the host's end of the link at `rate` from now on, once everything sent so
    /// far has left; what the board sent meanwhile at the other rate is discarded.
    /// A session calls it after a Config that changes the board's rate (see
    /// `Session::start`).
    fn set_rate(&mut self, rate: LinkRate) -> anyhow::Result<()>;
    /// The rate the host's end runs at.
    fn rate(&self) -> LinkRate;
}
