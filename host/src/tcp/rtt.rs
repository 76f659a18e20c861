//! Retransmission timeout per RFC 6298.
//!
//! SRTT and RTTVAR follow §2 with alpha = 1/8 and beta = 1/4; the RTO is clamped to
//! [min_rto, max_rto] and doubled on every timeout (§5.5) until a new sample arrives.
//! Karn's rule (no samples from retransmitted segments) is the caller's part: it only
//! times segments sent once.

use std::time::Duration;

#[derive(Clone, Debug)]
pub struct RttEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
    base_rto: Duration,
    backoff: u32,
    min_rto: Duration,
    max_rto: Duration,
}

/// Clock granularity G of RFC 6298 §2: our clock is in microseconds, so 1 ms is ample.
const GRANULARITY: Duration = Duration::from_millis(1);

impl RttEstimator {
    pub fn new(initial_rto: Duration, min_rto: Duration, max_rto: Duration) -> RttEstimator {
        RttEstimator {
            srtt: None,
            rttvar: Duration::ZERO,
            base_rto: initial_rto,
            backoff: 0,
            min_rto,
            max_rto,
        }
    }

    pub fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    /// Feed one round-trip measurement (RFC 6298 §2.2 and §2.3).
    pub fn sample(&mut self, r: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(srtt) => {
                let diff = srtt.abs_diff(r);
                self.rttvar = (self.rttvar * 3 + diff) / 4;
                self.srtt = Some((srtt * 7 + r) / 8);
            }
        }
        let srtt = self.srtt.unwrap_or(r);
        self.base_rto = srtt + (self.rttvar * 4).max(GRANULARITY);
        // A fresh sample ends the back-off (§5.7 lets the RTO be recomputed).
        self.backoff = 0;
    }

    /// The timeout to arm now: clamped to the minimum first (§2.4), then doubled per
    /// expiry (§5.5), so back-off works even when the measured RTT is tiny.
    pub fn rto(&self) -> Duration {
        self.base_rto
            .clamp(self.min_rto, self.max_rto)
            .checked_mul(1u32 << self.backoff.min(16))
            .unwrap_or(self.max_rto)
            .min(self.max_rto)
    }

    /// The timer expired: double the timeout (§5.5).
    pub fn back_off(&mut self) {
        if self.rto() < self.max_rto {
            self.backoff += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est() -> RttEstimator {
        RttEstimator::new(
            Duration::from_secs(1),
            Duration::from_millis(200),
            Duration::from_secs(60),
        )
    }

    #[test]
    fn first_sample_sets_srtt_and_rttvar() {
        let mut e = est();
        assert_eq!(e.rto(), Duration::from_secs(1));
        e.sample(Duration::from_millis(100));
        assert_eq!(e.srtt(), Some(Duration::from_millis(100)));
        // RTO = 100 + 4 * 50 = 300 ms
        assert_eq!(e.rto(), Duration::from_millis(300));
    }

    #[test]
    fn later_samples_are_smoothed() {
        let mut e = est();
        e.sample(Duration::from_millis(100));
        e.sample(Duration::from_millis(200));
        // RTTVAR = 3/4*50 + 1/4*100 = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5
        assert_eq!(e.srtt(), Some(Duration::from_micros(112_500)));
        assert_eq!(e.rto(), Duration::from_micros(112_500 + 250_000));
    }

    #[test]
    fn back_off_doubles_up_to_the_maximum_and_min_clamps() {
        let mut e = est();
        e.sample(Duration::from_millis(10));
        assert_eq!(e.rto(), Duration::from_millis(200), "clamped to min_rto");
        e.back_off();
        assert_eq!(
            e.rto(),
            Duration::from_millis(400),
            "doubling starts from the clamped value"
        );
        for _ in 0..20 {
            e.back_off();
        }
        assert_eq!(e.rto(), Duration::from_secs(60));
        e.sample(Duration::from_millis(100));
        assert_eq!(
            e.rto(),
            Duration::from_millis(200),
            "a new sample ends the back-off"
        );
    }
}
