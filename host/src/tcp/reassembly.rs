//! The out-of-order buffer: received bytes that lie beyond RCV.NXT, kept until the gap
//! before them fills.
//!
//! Positions are 64-bit stream offsets (bytes since the first data byte), so sequence
//! wrap-around never reaches this module. Guarantees: stored ranges never overlap,
//! bytes already stored are never overwritten (the first copy wins, as RFC 9293
//! allows), and [`Reassembly::pop`] only ever returns bytes that start exactly at the
//! offset asked for, so delivery stays in order. At most [`MAX_RANGES`] separate
//! ranges are kept: a peer sending tiny segments into every other gap could
//! otherwise make each insertion cost time proportional to the window.

/// Separate out-of-order ranges kept at most; data that would start another is
/// dropped (the sender retransmits it later).
pub const MAX_RANGES: usize = 64;

#[derive(Clone, Debug, Default)]
pub struct Reassembly {
    /// Sorted by start, non-overlapping, non-adjacent.
    ranges: Vec<(u64, Vec<u8>)>,
    /// Start of the range holding the latest insertion, reported first in SACK (RFC 2018).
    latest: Option<u64>,
}

impl Reassembly {
    pub fn new() -> Reassembly {
        Reassembly::default()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.ranges.iter().map(|(_, d)| d.len()).sum()
    }

    /// Number of separate ranges (holes + 1, roughly).
    pub fn range_count(&self) -> usize {
        self.ranges.len()
    }

    /// Store `data` at stream offset `at`, keeping whatever is already stored.
    /// Returns false if the data was dropped because it would start a new range
    /// beyond [`MAX_RANGES`].
    pub fn insert(&mut self, at: u64, data: &[u8]) -> bool {
        if data.is_empty() {
            return true;
        }
        let end = at + data.len() as u64;
        if self.ranges.len() >= MAX_RANGES
            && !self
                .ranges
                .iter()
                .any(|(s, d)| *s <= end && at <= *s + d.len() as u64)
        {
            return false;
        }
        // Collect the gaps of [at, end) not yet covered, and add each as its own piece.
        let mut cursor = at;
        let mut pieces: Vec<(u64, Vec<u8>)> = Vec::new();
        for (s, d) in &self.ranges {
            let e = *s + d.len() as u64;
            if e <= cursor {
                continue;
            }
            if *s >= end {
                break;
            }
            if *s > cursor {
                pieces.push((
                    cursor,
                    data[(cursor - at) as usize..(*s - at) as usize].to_vec(),
                ));
            }
            cursor = cursor.max(e);
        }
        if cursor < end {
            pieces.push((cursor, data[(cursor - at) as usize..].to_vec()));
        }
        for p in pieces {
            let idx = self.ranges.partition_point(|(s, _)| *s < p.0);
            self.ranges.insert(idx, p);
        }
        self.merge();
        self.latest = self
            .ranges
            .iter()
            .find(|(s, d)| *s <= at && at < *s + d.len() as u64)
            .map(|(s, _)| *s);
        true
    }

    fn merge(&mut self) {
        let mut merged: Vec<(u64, Vec<u8>)> = Vec::with_capacity(self.ranges.len());
        for (s, d) in self.ranges.drain(..) {
            match merged.last_mut() {
                Some((ls, ld)) if *ls + ld.len() as u64 == s => ld.extend_from_slice(&d),
                _ => merged.push((s, d)),
            }
        }
        self.ranges = merged;
    }

    /// Take the stored bytes that start exactly at `at` (the new RCV.NXT), if any.
    /// Bytes before `at` are discarded: they were delivered by another copy.
    pub fn pop(&mut self, at: u64) -> Option<Vec<u8>> {
        while let Some((s, d)) = self.ranges.first() {
            let e = *s + d.len() as u64;
            if e <= at {
                self.ranges.remove(0);
                continue;
            }
            if *s > at {
                return None;
            }
            let (s, mut d) = self.ranges.remove(0);
            if s < at {
                d.drain(..(at - s) as usize);
            }
            if self.latest == Some(s) {
                self.latest = None;
            }
            return Some(d);
        }
        None
    }

    /// The stored ranges as (start, end) offsets, the most recently touched first, at
    /// most `max` of them: the SACK blocks to report (RFC 2018 §4).
    pub fn blocks(&self, max: usize) -> Vec<(u64, u64)> {
        let all = self.ranges.iter().map(|(s, d)| (*s, *s + d.len() as u64));
        let mut out: Vec<(u64, u64)> = Vec::with_capacity(max);
        if let Some(l) = self.latest {
            out.extend(all.clone().filter(|(s, _)| *s == l));
        }
        out.extend(all.filter(|(s, _)| Some(*s) != self.latest));
        out.truncate(max);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_pieces_come_out_in_order_once_the_gap_fills() {
        let mut r = Reassembly::new();
        r.insert(10, b"klmno");
        r.insert(5, b"fghij");
        assert_eq!(r.range_count(), 1, "adjacent ranges merge");
        assert_eq!(r.pop(0), None, "gap at 0..5");
        assert_eq!(r.pop(5).as_deref(), Some(&b"fghijklmno"[..]));
        assert!(r.is_empty());
    }

    #[test]
    fn overlapping_inserts_keep_the_first_copy() {
        let mut r = Reassembly::new();
        r.insert(4, b"XX");
        r.insert(2, b"abcdefgh");
        assert_eq!(r.pop(2).as_deref(), Some(&b"abXXefgh"[..]));
    }

    #[test]
    fn pop_trims_bytes_already_delivered() {
        let mut r = Reassembly::new();
        r.insert(0, b"abcdef");
        r.insert(20, b"zz");
        assert_eq!(r.pop(3).as_deref(), Some(&b"def"[..]));
        assert_eq!(r.pop(6), None);
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn range_count_is_capped_but_gaps_can_still_fill() {
        let mut r = Reassembly::new();
        for i in 0..MAX_RANGES as u64 {
            assert!(r.insert(10 + 2 * i, b"x"));
        }
        assert!(!r.insert(1000, b"y"), "a new separate range is refused");
        assert!(r.insert(11, b"z"), "filling a gap is fine");
        assert_eq!(r.range_count(), MAX_RANGES - 1);
        assert!(r.insert(0, &[b'a'; 10]), "touching the first range is fine");
        assert_eq!(r.pop(0).unwrap().len(), 13);
    }

    #[test]
    fn blocks_report_latest_first() {
        let mut r = Reassembly::new();
        r.insert(10, b"a");
        r.insert(20, b"b");
        r.insert(30, b"c");
        r.insert(21, b"x");
        assert_eq!(r.blocks(3), vec![(20, 22), (10, 11), (30, 31)]);
    }
}
