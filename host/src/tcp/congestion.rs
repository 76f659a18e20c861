//! NewReno congestion control (RFC 5681 with the RFC 6582 recovery changes).
//!
//! The connection tells this module what happened (new data acknowledged, a duplicate
//! ACK, a timeout) and asks it how much may be in flight. Deciding *what* to
//! retransmit stays with the connection; this module only answers "retransmit the
//! first unacknowledged segment now" through the return value of its handlers.

#[derive(Clone, Debug)]
pub struct NewReno {
    mss: u32,
    cwnd: u32,
    ssthresh: u32,
    /// Bytes acknowledged in congestion avoidance not yet turned into cwnd growth.
    ack_credit: u32,
    dup_acks: u32,
    /// RFC 6582 "recover": highest sequence sent when recovery began.
    recover: Option<u32>,
    in_recovery: bool,
}

/// What the connection must do after an ACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckAction {
    Nothing,
    /// Retransmit the segment at SND.UNA (fast retransmit, or a partial ACK in recovery).
    RetransmitFirst,
}

fn seq_gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

impl NewReno {
    pub fn new(mss: u32) -> NewReno {
        let mss = mss.max(1);
        NewReno {
            mss,
            // RFC 5681 §3.1 initial window.
            cwnd: if mss > 2190 {
                2 * mss
            } else if mss > 1095 {
                3 * mss
            } else {
                4 * mss
            },
            ssthresh: u32::MAX,
            ack_credit: 0,
            dup_acks: 0,
            recover: None,
            in_recovery: false,
        }
    }

    pub fn set_mss(&mut self, mss: u32) {
        *self = NewReno {
            ssthresh: self.ssthresh,
            ..NewReno::new(mss)
        };
    }

    pub fn cwnd(&self) -> u32 {
        self.cwnd
    }

    pub fn ssthresh(&self) -> u32 {
        self.ssthresh
    }

    pub fn in_recovery(&self) -> bool {
        self.in_recovery
    }

    /// An ACK advanced SND.UNA by `acked` bytes to `ack`; `flight` is what was in
    /// flight before it.
    pub fn on_new_ack(&mut self, ack: u32, acked: u32, flight: u32) -> AckAction {
        self.dup_acks = 0;
        if self.in_recovery {
            let recover = self.recover.unwrap_or(ack);
            if !seq_gt(ack, recover) && ack != recover {
                // Partial ACK (RFC 6582 §3.2 step 5): retransmit the next hole, deflate.
                self.cwnd = self.cwnd.saturating_sub(acked);
                if acked >= self.mss {
                    self.cwnd += self.mss;
                }
                self.cwnd = self.cwnd.max(self.mss);
                return AckAction::RetransmitFirst;
            }
            // Full ACK: leave recovery with cwnd = min(ssthresh, FlightSize + SMSS).
            let remaining = flight.saturating_sub(acked);
            self.cwnd = self.ssthresh.min(remaining.max(self.mss) + self.mss);
            self.in_recovery = false;
            return AckAction::Nothing;
        }
        if self.cwnd < self.ssthresh {
            // Slow start, appropriate byte counting with L = 2*SMSS (RFC 3465).
            self.cwnd = self.cwnd.saturating_add(acked.min(2 * self.mss));
        } else {
            self.ack_credit = self.ack_credit.saturating_add(acked);
            if self.ack_credit >= self.cwnd {
                self.ack_credit -= self.cwnd;
                self.cwnd = self.cwnd.saturating_add(self.mss);
            }
        }
        AckAction::Nothing
    }

    /// A duplicate ACK (RFC 5681 §2 definition) arrived. `snd_max` is the highest
    /// sequence number sent so far, `flight` the bytes outstanding.
    pub fn on_dup_ack(&mut self, ack: u32, snd_max: u32, flight: u32) -> AckAction {
        if self.in_recovery {
            self.cwnd = self.cwnd.saturating_add(self.mss);
            return AckAction::Nothing;
        }
        self.dup_acks += 1;
        if self.dup_acks != 3 {
            return AckAction::Nothing;
        }
        // RFC 6582 §3.2 step 2: only start a new recovery if this ACK covers more than
        // the last recovery point, so one loss event halves cwnd only once.
        if let Some(recover) = self.recover {
            if !seq_gt(ack, recover) {
                return AckAction::Nothing;
            }
        }
        self.ssthresh = (flight / 2).max(2 * self.mss);
        self.cwnd = self.ssthresh + 3 * self.mss;
        self.recover = Some(snd_max);
        self.in_recovery = true;
        AckAction::RetransmitFirst
    }

    /// The retransmission timer expired (RFC 5681 §3.1 eq. 4).
    pub fn on_timeout(&mut self, flight: u32, snd_max: u32) {
        self.ssthresh = (flight / 2).max(2 * self.mss);
        self.cwnd = self.mss;
        self.ack_credit = 0;
        self.dup_acks = 0;
        self.in_recovery = false;
        self.recover = Some(snd_max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_start_grows_by_acked_bytes_then_avoidance_by_one_mss_per_window() {
        let mut c = NewReno::new(1000);
        assert_eq!(c.cwnd(), 4000);
        c.on_new_ack(1000, 1000, 4000);
        assert_eq!(c.cwnd(), 5000);
        c.on_timeout(10_000, 0);
        assert_eq!((c.cwnd(), c.ssthresh()), (1000, 5000));
        for i in 0..4 {
            c.on_new_ack(i, 1000, 1000);
        }
        assert_eq!(c.cwnd(), 5000);
        // Congestion avoidance: a whole cwnd of ACKed bytes buys one MSS.
        for i in 0..5 {
            c.on_new_ack(10 + i, 1000, 5000);
        }
        assert_eq!(c.cwnd(), 6000);
    }

    #[test]
    fn three_dup_acks_enter_fast_recovery_once_partial_ack_retransmits_full_ack_exits() {
        let mut c = NewReno::new(1000);
        assert_eq!(c.on_dup_ack(100, 10_100, 10_000), AckAction::Nothing);
        assert_eq!(c.on_dup_ack(100, 10_100, 10_000), AckAction::Nothing);
        assert_eq!(
            c.on_dup_ack(100, 10_100, 10_000),
            AckAction::RetransmitFirst
        );
        assert!(c.in_recovery());
        assert_eq!((c.ssthresh(), c.cwnd()), (5000, 8000));
        c.on_dup_ack(100, 10_100, 10_000);
        assert_eq!(c.cwnd(), 9000, "inflated by one MSS per further dup ACK");
        assert_eq!(c.on_new_ack(2100, 2000, 10_000), AckAction::RetransmitFirst);
        assert!(c.in_recovery());
        assert_eq!(c.on_new_ack(10_100, 8000, 8000), AckAction::Nothing);
        assert!(!c.in_recovery());
        assert_eq!(c.cwnd(), 1000 + 1000, "min(ssthresh, flight + mss)");
        // Dup ACKs for data below the old recovery point do not halve cwnd again.
        for _ in 0..3 {
            assert_eq!(c.on_dup_ack(10_100, 10_100, 0), AckAction::Nothing);
        }
    }
}
