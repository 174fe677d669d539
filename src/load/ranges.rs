//! Sets of sequence numbers as sorted half-open ranges, so a run of millions of events is
//! described in a few bytes (`[[0, 1000000]]`) and failures stay compact.

use serde::{Deserialize, Serialize};

/// Sorted, disjoint, non-adjacent `[start, end)` ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RangeSet {
    ranges: Vec<(u64, u64)>,
}

impl RangeSet {
    /// The set `[start, end)`.
    pub fn from_range(start: u64, end: u64) -> RangeSet {
        let mut s = RangeSet::default();
        s.insert(start, end);
        s
    }

    /// Adds `[start, end)`.
    pub fn insert(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        // Fast path: appending after the last range (the common, in-order case).
        if let Some(last) = self.ranges.last_mut() {
            if start > last.1 {
                self.ranges.push((start, end));
                return;
            }
            if start >= last.0 {
                last.1 = last.1.max(end);
                return;
            }
        } else {
            self.ranges.push((start, end));
            return;
        }
        let i = self.ranges.partition_point(|r| r.1 < start);
        let mut j = i;
        let mut s = start;
        let mut e = end;
        while j < self.ranges.len() && self.ranges[j].0 <= e {
            s = s.min(self.ranges[j].0);
            e = e.max(self.ranges[j].1);
            j += 1;
        }
        self.ranges.splice(i..j, [(s, e)]);
    }

    /// Adds every range of `other`.
    pub fn extend(&mut self, other: &RangeSet) {
        for &(s, e) in &other.ranges {
            self.insert(s, e);
        }
    }

    /// Whether `v` is in the set.
    pub fn contains(&self, v: u64) -> bool {
        let i = self.ranges.partition_point(|r| r.1 <= v);
        i < self.ranges.len() && self.ranges[i].0 <= v
    }

    /// How many numbers the set holds.
    pub fn len(&self) -> u64 {
        self.ranges.iter().map(|(s, e)| e - s).sum()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The ranges.
    pub fn ranges(&self) -> &[(u64, u64)] {
        &self.ranges
    }

    /// This set without the numbers of `other`.
    pub fn difference(&self, other: &RangeSet) -> RangeSet {
        let mut out = RangeSet::default();
        let mut j = 0;
        for &(s, e) in &self.ranges {
            let mut cur = s;
            while j < other.ranges.len() && other.ranges[j].1 <= cur {
                j += 1;
            }
            let mut k = j;
            while cur < e {
                match other.ranges.get(k) {
                    Some(&(os, oe)) if os < e => {
                        if os > cur {
                            out.insert(cur, os);
                        }
                        cur = cur.max(oe);
                        k += 1;
                    }
                    _ => {
                        out.insert(cur, e);
                        cur = e;
                    }
                }
            }
        }
        out
    }

    /// Every number, in order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.ranges.iter().flat_map(|&(s, e)| s..e)
    }

    /// Compact text: `3, 7-9, 12` (inclusive ends), at most `limit` ranges then `…`.
    pub fn describe(&self, limit: usize) -> String {
        let mut parts: Vec<String> = self
            .ranges
            .iter()
            .take(limit)
            .map(|&(s, e)| {
                if e - s == 1 {
                    s.to_string()
                } else {
                    format!("{s}-{}", e - 1)
                }
            })
            .collect();
        if self.ranges.len() > limit {
            parts.push(format!("… ({} more ranges)", self.ranges.len() - limit));
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_merge_and_difference() {
        let mut s = RangeSet::default();
        s.insert(10, 20);
        s.insert(0, 5);
        s.insert(5, 7);
        s.insert(30, 31);
        s.insert(15, 32);
        assert_eq!(s.ranges(), &[(0, 7), (10, 32)]);
        assert_eq!(s.len(), 29);
        assert!(s.contains(0) && s.contains(31) && !s.contains(7) && !s.contains(32));
        let mut o = RangeSet::default();
        o.insert(2, 3);
        o.insert(12, 14);
        o.insert(31, 40);
        let d = s.difference(&o);
        assert_eq!(d.ranges(), &[(0, 2), (3, 7), (10, 12), (14, 31)]);
        assert_eq!(d.describe(10), "0-1, 3-6, 10-11, 14-30");
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            "[[0,2],[3,7],[10,12],[14,31]]"
        );
    }
}
