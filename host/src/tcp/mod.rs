//! The host TCP engine: RFC 9293 connections, sans-IO.
//!
//! What the engine guarantees:
//!
//! - **No I/O, no hidden inputs.** It never reads a clock, a port or a random source.
//!   Time arrives as [`Time`] arguments, the ISN secret at construction
//!   ([`Stack::new`]). The same inputs always give the same segments, events and
//!   deadlines, so every scenario replays exactly.
//! - **Driving it.** Feed every received segment to [`Stack::receive`], call
//!   [`Stack::poll`] to collect segments to send, and call it again no later than
//!   [`Stack::poll_at`]. Events (state changes, readable, writable, errors) come out
//!   of [`Stack::events`].
//! - **The whole state machine.** All eleven states of RFC 9293 with the event
//!   processing of §3.10, simultaneous open and close included; ISNs per RFC 6528;
//!   retransmission per RFC 6298; NewReno per RFC 5681/6582; window scaling and MSS;
//!   zero-window probing; RFC 5961 checks against blind RST, SYN and data injection,
//!   with challenge ACKs rate-limited.
//! - **Floods.** Handshakes under way are bounded (`Config::max_half_open`); under a
//!   SYN flood the oldest is evicted, so a real client still gets through. Segments to
//!   broadcast or multicast addresses are discarded unanswered (RFC 1122 §4.2.3.10).
//! - **Any input is safe.** No segment, however malformed, panics the engine or
//!   changes bytes already delivered to the application: data is delivered in
//!   order, exactly once, and only from inside the receive window.
//!
//! Deliberately left out, for now: the timestamp option (RFC 7323 §3, neither
//! offered nor used), urgent data (the URG bit and pointer are ignored, the bytes
//! delivered as ordinary data), delayed ACKs (every poll that received data sends
//! one ACK), reopening a connection from TIME-WAIT on a new SYN (RFC 6191), and
//! randomised ephemeral ports (RFC 6056).
//! SACK is negotiated, reported to the peer and used during loss recovery, in a
//! simplified form of RFC 6675 (one hole per incoming ACK, no pipe estimate).
//!
//! Windows: with the board's receive FIFO known ([`Config::rx_fifo`], from Hello),
//! the window each connection advertises is the smaller of its socket buffer's free
//! space and its part of the FIFO, so that what peers may send fits the FIFO
//! ([`fifo`] gives the accounting); the MSS we announce is sized to it too.

pub mod congestion;
pub mod connection;
pub mod fifo;
pub mod isn;
pub mod reassembly;
pub mod rtt;
pub mod segment;
pub mod stack;
pub mod state;
pub mod time;
pub mod trace;

pub use connection::{Config, Connection, Endpoint, Error, Event, IcmpError, IcmpOutcome};
pub use fifo::RxFifo;
pub use segment::{Flags, ParseError, Segment, TcpOptions};
pub use stack::{is_group_address, SocketId, Stack, StackCounters, StackError};
pub use state::State;
pub use time::Time;
pub use trace::{Direction, Tracer};
