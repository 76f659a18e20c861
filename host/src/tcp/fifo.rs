//! Flow control across the board's receive FIFO: how much window the host may promise.
//!
//! Every byte a peer sends inside the window we advertise crosses the board's receive
//! FIFO before the host sees it. The FIFO fills at wire speed and drains only as fast
//! as the link to the host; what does not fit is dropped as `fifo_full`. So the window
//! is not only the socket buffer's free space: the promises of all connections
//! together must fit the FIFO even if the link drained nothing while they are kept.
//!
//! The accounting, per connection:
//!
//! - A promise is the sequence space from RCV.NXT to the right edge we advertised
//!   (RCV.ADV, which never moves left). Only segments not yet handed to the host can
//!   be in the FIFO, so a promise bounds the data the connection can have in it.
//! - Bytes are not all it costs: each segment is a record, the FIFO's record
//!   overhead (header, type byte, fixed part: Hello says how much) plus its TCP
//!   options plus its payload. Options: we never offer timestamps, so a peer's data
//!   segments carry only SACK blocks, and only about data we sent; a connection that
//!   has sent (or queued) data is counted with [`MAX_OPTION_BYTES`] a record, one
//!   that has not with none (`options` below).
//! - How many records carry a window `w`? The peer's segments are at most `mss` (the
//!   smaller of the MSS we announced and the peer's own) and a sender fills them when
//!   it has the data and the window: RFC 9293 §3.8.6.2.1 (sender silly window
//!   avoidance, Nagle's rule as Linux applies it) lets at most one short segment be
//!   unacknowledged at a time. Linux also cuts its segments to half the largest
//!   window it has seen (`tcp_bound_to_half_wnd`), so a window of one MSS comes as two
//!   segments. So `max(ceil(w / mss), 2)` full segments, one short one, and one that
//!   carries no data (a FIN, a pure ACK): [`EXTRA_RECORDS`].
//! - One segment may come twice: when an ACK is late, the sender's tail-loss probe
//!   (RFC 8985 §7, on by default in Linux) repeats its last segment while the first
//!   copy may still wait in the FIFO (the simulated board stalls with its host
//!   process, so its FIFO does not drain meanwhile). So one more segment of up to
//!   `min(mss, w)` bytes and its record.
//! - `cost(w) = w + min(mss, w) + (max(ceil(w / mss), 2) + EXTRA_RECORDS + 1) × record`.
//! - Segments that no window covers (SYNs of new connections, zero-window probes, a
//!   peer's ACKs of data we send) get [`RESERVED_RECORDS`] records kept aside.
//! - ICMP errors (RxIcmp, link version 4) take FIFO space too, and no window covers
//!   them: one record's worth, [`ICMP_RECORD_BYTES`], is kept aside as well, so one
//!   error (a router's fragmentation-needed in the middle of a window, say) costs no
//!   segment inside the window. The board bounds an RxIcmp record at that size (it
//!   passes the message's first 64 bytes). More errors at once than that may take
//!   segments' room; those segments are dropped as `fifo_full` and retransmitted.
//!
//! The shared part of the FIFO ([`RxFifo::shared`]) is split among the connections
//! that may still send us data: each gets at most an equal share, and never more
//! than the FIFO minus what the others have been promised already, so a new
//! connection waits for the others' old promises to be used up rather than
//! overcommitting. A window is the largest whose cost fits ([`RxFifo::window_for`]),
//! and no larger than the socket buffer's free space.
//!
//! What this does not cover: a peer that sends many short segments (no Nagle, say
//! TCP_NODELAY with small writes) can still fill the FIFO with records faster than
//! with bytes, and so can one that pads its segments with options; a connection that
//! starts sending holds a promise costed without options until its next window, which
//! the reserve absorbs for one or two connections at a time. What does not fit is
//! dropped as `fifo_full` and retransmitted as before.

/// TCP options a segment may carry: the header's 40-byte limit (SACK blocks, mostly).
pub const MAX_OPTION_BYTES: u32 = 40;
/// Records per window beyond its full segments: one short segment, one without data.
pub const EXTRA_RECORDS: u32 = 2;
/// A segment that may come twice (a tail-loss probe).
pub const PROBE_RECORDS: u32 = 1;
/// Segments a window of one connection holds (see [`RxFifo::mss`]). Three, not two:
/// while the link carries one segment to the host and a second waits in the FIFO, the
/// peer can already send the third on the ACK of the first, so the link does not wait
/// for it; and an echo, whose answers and ACKs share the host → board link, still
/// keeps a segment coming. (Two segments of 546 bytes moved an echo through the
/// simulated board at ~7 board clocks a payload byte, three of 341 at ~3.)
pub const MSS_SEGMENTS: u32 = 3;
/// Records kept aside for segments no window covers (counted with full options).
pub const RESERVED_RECORDS: u32 = 2;
/// One RxIcmp record in the board's FIFO at its largest: 2 header bytes, 2 filler
/// bytes, the type byte, RxUdp's 18-byte fixed part (which holds the ICMP message's
/// first 4 bytes), and the rest of its first
/// [`MAX_RX_ICMP_MESSAGE`](crate::link::message::MAX_RX_ICMP_MESSAGE) bytes.
pub const ICMP_RECORD_BYTES: u32 =
    2 + 2 + 1 + 18 + crate::link::message::MAX_RX_ICMP_MESSAGE as u32 - 4;

/// The board's receive FIFO, as its Hello describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RxFifo {
    /// Capacity in bytes.
    pub bytes: u32,
    /// Bytes one TCP record takes beyond its option and payload bytes.
    pub record_overhead: u32,
}

impl RxFifo {
    /// What one record takes beyond its payload, with `options` option bytes.
    pub fn record(&self, options: u32) -> u32 {
        self.record_overhead + options
    }

    /// What the windows of all connections together may cost.
    pub fn shared(&self) -> u32 {
        self.bytes
            .saturating_sub(RESERVED_RECORDS * self.record(MAX_OPTION_BYTES) + ICMP_RECORD_BYTES)
    }

    /// Records a window of `segments` full segments may come in.
    fn records(segments: u32) -> u32 {
        segments.max(2) + EXTRA_RECORDS + PROBE_RECORDS
    }

    /// The most a promise of `window` bytes can take in the FIFO when the peer's
    /// segments are at most `mss` bytes with `options` option bytes each. Nothing
    /// promised, nothing taken (what comes then is the reserve's).
    pub fn cost(&self, window: u32, mss: u32, options: u32) -> u32 {
        if window == 0 {
            return 0;
        }
        let mss = mss.max(1);
        let records = Self::records(window.div_ceil(mss));
        window
            .saturating_add(mss.min(window))
            .saturating_add(records.saturating_mul(self.record(options)))
    }

    /// The largest window whose [`cost`](Self::cost) fits `budget` bytes, in whole
    /// segments once it holds one: a window that ends a few bytes past a segment only
    /// invites a short segment (and costs a record for it).
    pub fn window_for(&self, budget: u32, mss: u32, options: u32) -> u32 {
        let mss = mss.max(1);
        let mut best = 0;
        // With k segments: at most k × mss bytes, and what the probe and the records
        // leave: w + min(mss, w) fits `room`.
        for k in 1u32.. {
            let Some(room) = budget.checked_sub(Self::records(k) * self.record(options)) else {
                break;
            };
            let w = if room >= 2 * mss {
                room - mss
            } else {
                room / 2
            };
            best = best.max(w.min(k * mss));
            if w <= k * mss {
                break;
            }
        }
        if best >= mss {
            best - best % mss
        } else {
            best
        }
    }

    /// The MSS to announce: a connection that has the FIFO to itself gets a window of
    /// [`MSS_SEGMENTS`] such segments even once it sends data (its peer's segments then
    /// counted with SACK options), capped by what the link carries (`link_mss`).
    pub fn mss(&self, link_mss: u16) -> u16 {
        let room = self
            .shared()
            .saturating_sub(Self::records(MSS_SEGMENTS) * self.record(MAX_OPTION_BYTES));
        (room / (MSS_SEGMENTS + 1)).clamp(64, link_mss as u32) as u16
    }

    /// The window budget for one connection: an equal share among `receivers`
    /// connections (at least a 64-byte window's worth, so that very many connections
    /// take turns rather than all stalling), never more than what `others` (the costs
    /// of the other connections' promises) leave.
    pub fn budget(&self, receivers: usize, others: u32, mss: u32, options: u32) -> u32 {
        let share = self.shared() / receivers.max(1) as u32;
        let floor = self.cost(mss.clamp(1, 64), mss, options);
        share.max(floor).min(self.shared().saturating_sub(others))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The board's FIFO until issue 19's last step: 2 KiB, 35 bytes of record overhead.
    const BOARD: RxFifo = RxFifo {
        bytes: 2048,
        record_overhead: 35,
    };

    /// Every way of cutting `window` bytes into segments of at most `mss` (or half
    /// the window, as Linux does) with at most one short one, one segment twice, plus
    /// a segment without data: the bytes those records take.
    fn worst_case_bytes(fifo: &RxFifo, window: u32, mss: u32, options: u32) -> u32 {
        let mut worst = 0;
        for size in [mss, mss.min(window.div_ceil(2))] {
            // A short segment of `short` bytes, the rest in segments of `size`.
            for short in 0..=size.min(window) {
                let rest = window - short;
                let records = rest.div_ceil(size) + (short > 0) as u32 + 1 + 1;
                let probe = size.min(window);
                worst = worst.max(window + probe + records * fifo.record(options));
            }
        }
        worst
    }

    #[test]
    fn cost_covers_every_cut_with_one_short_segment_and_a_probe() {
        for options in [0, MAX_OPTION_BYTES] {
            for mss in [1, 7, 100, 536, 574, 1440] {
                for window in [1, 2, 99, 100, 101, 535, 1000, 1148, 1149, 3000] {
                    assert!(
                        BOARD.cost(window, mss, options)
                            >= worst_case_bytes(&BOARD, window, mss, options),
                        "window {window} mss {mss} options {options}"
                    );
                }
            }
        }
        assert_eq!(BOARD.cost(0, 1440, 40), 0);
    }

    #[test]
    fn window_for_is_the_largest_that_fits() {
        for options in [0, MAX_OPTION_BYTES] {
            for mss in [1, 64, 100, 536, 574, 1440] {
                for budget in (0..3000).step_by(7) {
                    let w = BOARD.window_for(budget, mss, options);
                    let what = format!("budget {budget} mss {mss} options {options}: {w}");
                    assert!(BOARD.cost(w, mss, options) <= budget, "{what}");
                    // The largest, or the largest in whole segments.
                    let next = if w >= mss { w + mss } else { w + 1 };
                    assert!(
                        BOARD.cost(next, mss, options) > budget,
                        "{what} is not the largest"
                    );
                    assert!(w < mss || w % mss == 0, "{what}");
                }
            }
        }
    }

    #[test]
    fn the_board_fifo_gives_three_segments_to_one_connection() {
        // 2048 − 2 reserved records of 75 − an ICMP record of 83 = 1815 shared; three
        // segments, a probe of one, six records of 75 (with SACK options):
        // 4 × 341 + 450 = 1814.
        assert_eq!(BOARD.record(MAX_OPTION_BYTES), 75);
        assert_eq!(ICMP_RECORD_BYTES, 83);
        assert_eq!(BOARD.shared(), 1815);
        let mss = BOARD.mss(1440) as u32;
        assert_eq!(mss, 341);
        assert_eq!(BOARD.window_for(BOARD.shared(), mss, 40), 3 * mss);
        // Without options too: a fourth segment would need 5 × 341 + 7 × 35 = 1950.
        assert_eq!(BOARD.window_for(BOARD.shared(), mss, 0), 3 * mss);
        // A link MSS below that wins.
        assert_eq!(BOARD.mss(300), 300);
        // A bigger FIFO, the link's limit, and many segments to a window.
        let big = RxFifo {
            bytes: 16384,
            record_overhead: 35,
        };
        assert_eq!(big.mss(1440), 1440);
        assert!(big.window_for(big.shared(), 1440, 40) >= 8 * 1440);
    }

    #[test]
    fn shares_never_add_up_to_more_than_the_fifo() {
        let mss = BOARD.mss(1440) as u32;
        for options in [0, MAX_OPTION_BYTES] {
            for n in 1..=8usize {
                // Connections asking in turn, each given its budget at once.
                let mut promised = vec![0u32; n];
                for round in 0..3 {
                    for i in 0..n {
                        let others: u32 = (0..n)
                            .filter(|&j| j != i)
                            .map(|j| BOARD.cost(promised[j], mss, options))
                            .sum();
                        let budget = BOARD.budget(n, others, mss, options);
                        let w = BOARD.window_for(budget, mss, options);
                        // A promise is never taken back: it is used up by data arriving.
                        promised[i] = promised[i].max(w);
                        let total: u32 =
                            promised.iter().map(|&p| BOARD.cost(p, mss, options)).sum();
                        assert!(total <= BOARD.shared(), "{n} connections, round {round}");
                    }
                }
                let least = *promised.iter().min().unwrap();
                if n <= 4 && options == 0 {
                    // Four connections that only receive get over a hundred bytes each.
                    assert!(least > 100, "{n} connections: {promised:?}");
                }
            }
        }
    }

    #[test]
    fn the_equal_share_is_the_limit_when_nothing_is_promised() {
        let mss = 546;
        let one = BOARD.window_for(BOARD.budget(1, 0, mss, 0), mss, 0);
        let four = BOARD.window_for(BOARD.budget(4, 0, mss, 0), mss, 0);
        assert_eq!(one, 1092);
        assert_eq!(BOARD.budget(4, 0, mss, 0), 1815 / 4);
        assert_eq!(four, (1815 / 4 - 5 * 35) / 2);
        // Everything promised elsewhere: nothing left.
        assert_eq!(BOARD.budget(2, BOARD.shared(), mss, 0), 0);
    }
}
