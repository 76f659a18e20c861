//! A one-line-per-segment trace, laid out as a two-column ladder diagram:
//!
//! ```text
//!      t (ms)  A 10.0.0.1                                                        B 10.0.0.2
//!      10.000  SYN-SENT     ──SYN seq=0 win=16384 <mss 1000,sackOK>───────────▶  SYN-RECEIVED
//!      20.000  ESTABLISHED  ◀──SYN,ACK seq=0 ack=1 win=16384 <mss 1000,sackOK>─  SYN-RECEIVED
//!      30.000  ESTABLISHED  ──ACK seq=1 ack=1 win=16384───────────────────────▶  ESTABLISHED
//!      30.000  ESTABLISHED                (A sends 9 bytes)                      ESTABLISHED
//!      30.000  ESTABLISHED  ──PSH,ACK seq=1 ack=1 len=9 win=16384─────────────✗  ESTABLISHED
//!    1040.000  ESTABLISHED  ──PSH,ACK seq=1 ack=1 len=9 win=16384─────────────▶  ESTABLISHED
//! ```
//!
//! Each line shows the time, the state of side A after the event, the segment as
//! an arrow in its direction of travel, and the state of side B (the arrows are
//! padded to 64 columns; shortened above). Sequence numbers
//! are relative to each sender's ISN once its SYN has been seen (as Wireshark
//! prints them), so traces read the same whatever the ISN secret. A segment lost on
//! the wire ends in `✗` instead of reaching the other column. `tcpip demo` prints
//! this format.

use super::segment::Segment;
use super::state::State;
use super::time::Time;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    AtoB,
    BtoA,
}

/// Width of the arrow column, in characters.
const ARROW: usize = 64;

#[derive(Clone, Debug, Default)]
pub struct Tracer {
    isn_a: Option<u32>,
    isn_b: Option<u32>,
}

impl Tracer {
    pub fn new() -> Tracer {
        Tracer::default()
    }

    pub fn header(&self, a: &str, b: &str) -> String {
        format!("{:>11}  {:<12} {:ARROW$}  {}", "t (ms)", a, "", b)
    }

    /// The segment alone: `SYN,ACK seq=0 ack=1 len=0 win=65535 <mss 1460>`.
    pub fn describe(&mut self, dir: Direction, seg: &Segment) -> String {
        let (own, other) = match dir {
            Direction::AtoB => (&mut self.isn_a, self.isn_b),
            Direction::BtoA => (&mut self.isn_b, self.isn_a),
        };
        if seg.flags.syn() {
            *own = Some(seg.seq);
        }
        let rel = |v: u32, base: Option<u32>| match base {
            Some(b) => v.wrapping_sub(b),
            None => v,
        };
        let mut s = format!("{} seq={}", seg.flags, rel(seg.seq, *own));
        if seg.flags.ack() {
            s += &format!(" ack={}", rel(seg.ack, other));
        }
        if !seg.payload.is_empty() {
            s += &format!(" len={}", seg.payload.len());
        }
        s += &format!(" win={}", seg.window);
        let o = &seg.options;
        let mut opts = Vec::new();
        if let Some(m) = o.mss {
            opts.push(format!("mss {m}"));
        }
        if let Some(w) = o.window_scale {
            opts.push(format!("ws {w}"));
        }
        if o.sack_permitted {
            opts.push("sackOK".to_string());
        }
        if let Some((v, e)) = o.timestamps {
            opts.push(format!("ts {v} {e}"));
        }
        for (l, r) in &o.sack_blocks {
            opts.push(format!("sack {}-{}", rel(*l, other), rel(*r, other)));
        }
        if !opts.is_empty() {
            s += &format!(" <{}>", opts.join(","));
        }
        s
    }

    /// One ladder line. `lost` marks a segment the wire dropped.
    pub fn line(
        &mut self,
        now: Time,
        dir: Direction,
        seg: &Segment,
        state_a: State,
        state_b: State,
        lost: bool,
    ) -> String {
        let label = self.describe(dir, seg);
        Self::arrow(now, dir, &label, state_a, state_b, lost)
    }

    /// One ladder line for any message on the wire (ARP, ICMP), labelled `label`.
    pub fn arrow(
        now: Time,
        dir: Direction,
        label: &str,
        state_a: State,
        state_b: State,
        lost: bool,
    ) -> String {
        let body = format!("──{label}──");
        let pad = ARROW.saturating_sub(body.chars().count() + 1);
        let arrow = match (dir, lost) {
            (Direction::AtoB, false) => format!("{body}{}▶", "─".repeat(pad)),
            (Direction::AtoB, true) => format!("{body}{}✗", "─".repeat(pad)),
            (Direction::BtoA, false) => format!("◀{body}{}", "─".repeat(pad)),
            (Direction::BtoA, true) => format!("✗{body}{}", "─".repeat(pad)),
        };
        format!(
            "{:>11}  {:<12} {}  {}",
            now.to_string(),
            state_a.name(),
            arrow,
            state_b.name()
        )
    }

    /// A line without a segment (an application call, a timer), centred in the arrow
    /// column between the two states.
    pub fn note(&self, now: Time, state_a: State, state_b: State, what: &str) -> String {
        let label = format!("({what})");
        let line = format!(
            "{:>11}  {:<12} {:^ARROW$}  {}",
            now.to_string(),
            state_a.name(),
            label,
            state_b.name()
        );
        line.trim_end().to_string()
    }
}
