//! `verify`: proves which events of a `load` run reached ClickHouse. It counts delivered,
//! missing and duplicated sequence numbers against what the run sent, measures ingestion lag
//! (stored time minus event time), and polls until the count is complete or a timeout.

pub mod source;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::load::metrics::{new_histogram, Trend};
use crate::load::ranges::RangeSet;
use crate::load::runner::SHARD_SEQ_BLOCK;
use crate::load::summary::ms;
use crate::load::threshold::{Agg, MetricSource, Threshold, Verdict};
use crate::load::yamlcfg::format_duration;
use source::Row;

/// What the run is expected to have delivered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expectation {
    /// Sequence numbers capture accepted (sent minus failed).
    pub expected: RangeSet,
    /// Sequence numbers that failed at load time (not expected, but may land).
    pub failed: RangeSet,
    /// Where the expectation came from, for the report.
    pub basis: String,
}

impl Expectation {
    /// From a `load --summary-export` file.
    pub fn from_summary(s: &crate::load::summary::Summary) -> Expectation {
        Expectation {
            expected: s.seqs.sent.difference(&s.seqs.failed),
            failed: s.seqs.failed.clone(),
            basis: "load summary".into(),
        }
    }

    /// The first `n` sequence numbers.
    pub fn first(n: u64) -> Expectation {
        Expectation {
            expected: RangeSet::from_range(0, n),
            failed: RangeSet::default(),
            basis: format!("--expected {n}"),
        }
    }
}

/// Counts of one poll.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Expected events.
    pub expected: u64,
    /// Distinct expected sequence numbers found.
    pub delivered: u64,
    /// Expected sequence numbers not found.
    pub missing: u64,
    /// Extra copies (rows beyond the first per sequence number).
    pub duplicated: u64,
    /// Sequence numbers found that load counted as failed (capture took them after all).
    pub delivered_after_failure: u64,
    /// Sequence numbers found that the run never sent.
    pub unexpected: u64,
    /// Rows read.
    pub rows: u64,
}

/// The verdict of `verify`, as `--summary-export` writes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VerifySummary {
    /// The run.
    pub run_id: String,
    /// Where the events were read (no credentials).
    pub source: String,
    /// Where the expectation came from.
    pub expectation: String,
    /// Whether every expected event was found.
    pub complete: bool,
    /// Seconds spent polling.
    pub waited_s: f64,
    /// Counts.
    pub events: Counts,
    /// `missing / expected`.
    pub event_loss: f64,
    /// The missing sequence numbers.
    pub missing_seqs: RangeSet,
    /// The duplicated sequence numbers.
    pub duplicated_seqs: RangeSet,
    /// Ingestion lag, ms.
    pub ingestion_lag: Trend,
    /// Threshold verdicts.
    pub thresholds: Vec<Verdict>,
    /// Set when polling was stopped by a signal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

/// Tallies rows against the expectation.
pub fn analyze(exp: &Expectation, rows: &[Row]) -> (Counts, RangeSet, RangeSet, Trend) {
    let mut seqs: Vec<u64> = rows.iter().map(|r| r.seq).collect();
    seqs.sort_unstable();
    let mut found = RangeSet::default();
    let mut dup_set = RangeSet::default();
    let mut duplicated = 0u64;
    let mut prev: Option<u64> = None;
    for &s in &seqs {
        if prev == Some(s) {
            duplicated += 1;
            dup_set.insert(s, s + 1);
        } else {
            found.insert(s, s + 1);
        }
        prev = Some(s);
    }
    let missing = exp.expected.difference(&found);
    let extra = found.difference(&exp.expected);
    let after_failure = extra.len() - extra.difference(&exp.failed).len();
    let mut h = new_histogram();
    for r in rows {
        if let Some(l) = r.lag_ms {
            // Lag below zero (clock skew) is recorded as the smallest value.
            h.saturating_record(((l.max(0.0)) * 1000.0) as u64);
        }
    }
    let counts = Counts {
        expected: exp.expected.len(),
        delivered: exp.expected.len() - missing.len(),
        missing: missing.len(),
        duplicated,
        delivered_after_failure: after_failure,
        unexpected: extra.len() - after_failure,
        rows: rows.len() as u64,
    };
    (counts, missing, dup_set, Trend::from_histogram(&h))
}

/// When nothing says what was sent: every number from each shard's block start to the
/// highest seen in it (trailing losses are invisible this way).
pub fn infer_expectation(rows: &[Row]) -> Expectation {
    let mut top: std::collections::BTreeMap<u64, u64> = std::collections::BTreeMap::new();
    for r in rows {
        let block = r.seq / SHARD_SEQ_BLOCK;
        let e = top.entry(block).or_insert(0);
        *e = (*e).max(r.seq);
    }
    let mut expected = RangeSet::default();
    for (block, max) in top {
        expected.insert(block * SHARD_SEQ_BLOCK, max + 1);
    }
    Expectation {
        expected,
        failed: RangeSet::default(),
        basis: "inferred from the highest sequence number seen (no load summary given)".into(),
    }
}

impl MetricSource for VerifySummary {
    fn aggregate(&self, metric: &str, agg: Agg) -> Option<f64> {
        match (metric, agg) {
            ("event_loss", Agg::Rate) => (self.events.expected > 0).then_some(self.event_loss),
            ("events_missing", Agg::Count) => Some(self.events.missing as f64),
            ("events_duplicated", Agg::Count) => Some(self.events.duplicated as f64),
            ("ingestion_lag", a) => {
                let t = &self.ingestion_lag;
                if t.count == 0 {
                    return None;
                }
                match a {
                    Agg::Avg => Some(t.avg),
                    Agg::Min => Some(t.min),
                    Agg::Max => Some(t.max),
                    Agg::Med => Some(t.med),
                    Agg::P(p) => t.percentile(p),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

impl VerifySummary {
    /// Builds the summary of one poll.
    pub fn new(
        run_id: &str,
        source: &str,
        exp: &Expectation,
        rows: &[Row],
        waited: Duration,
    ) -> Self {
        let (events, missing_seqs, duplicated_seqs, lag) = analyze(exp, rows);
        VerifySummary {
            run_id: run_id.to_string(),
            source: source.to_string(),
            expectation: exp.basis.clone(),
            complete: events.missing == 0,
            waited_s: waited.as_secs_f64(),
            event_loss: if events.expected == 0 {
                0.0
            } else {
                events.missing as f64 / events.expected as f64
            },
            events,
            missing_seqs,
            duplicated_seqs,
            ingestion_lag: lag,
            thresholds: Vec::new(),
            stopped: None,
        }
    }

    /// Evaluates thresholds; true when all hold.
    pub fn apply_thresholds(&mut self, thresholds: &[Threshold]) -> bool {
        self.thresholds = thresholds.iter().map(|t| t.evaluate(self)).collect();
        self.thresholds.iter().all(|v| v.ok)
    }

    /// A one-line progress report.
    pub fn progress_line(&self, timeout: Duration) -> String {
        format!(
            "verify {}: delivered {}/{} ({:.2}%), missing {}, duplicated {}, lag p(99)={} [{}/{}]",
            self.run_id,
            self.events.delivered,
            self.events.expected,
            if self.events.expected == 0 {
                100.0
            } else {
                self.events.delivered as f64 * 100.0 / self.events.expected as f64
            },
            self.events.missing,
            self.events.duplicated,
            ms(self.ingestion_lag.p99),
            format_duration(Duration::from_secs_f64(self.waited_s)),
            format_duration(timeout)
        )
    }

    /// The text report.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let e = &self.events;
        out.push_str(&format!(
            "\n  run_id: {}\n  source: {}\n  expected: {} events ({})\n\n",
            self.run_id, self.source, e.expected, self.expectation
        ));
        let line = |out: &mut String, name: &str, v: String| {
            let mark = {
                let vs: Vec<&Verdict> = self
                    .thresholds
                    .iter()
                    .filter(|t| t.name.split(':').next() == Some(name))
                    .collect();
                if vs.is_empty() {
                    "  "
                } else if vs.iter().all(|v| v.ok) {
                    "✓ "
                } else {
                    "✗ "
                }
            };
            out.push_str(&format!(
                "   {mark}{name}{}: {v}\n",
                ".".repeat(32usize.saturating_sub(name.len()))
            ));
        };
        line(
            &mut out,
            "events_delivered",
            format!("{} of {}", e.delivered, e.expected),
        );
        line(
            &mut out,
            "events_missing",
            format!(
                "{}{}",
                e.missing,
                if e.missing > 0 {
                    format!(" (seq {})", self.missing_seqs.describe(20))
                } else {
                    String::new()
                }
            ),
        );
        line(
            &mut out,
            "events_duplicated",
            format!(
                "{}{}",
                e.duplicated,
                if e.duplicated > 0 {
                    format!(" (seq {})", self.duplicated_seqs.describe(20))
                } else {
                    String::new()
                }
            ),
        );
        line(
            &mut out,
            "event_loss",
            format!("{:.4}%", self.event_loss * 100.0),
        );
        if e.delivered_after_failure > 0 {
            line(
                &mut out,
                "delivered_after_failure",
                format!(
                    "{} (load counted them failed; capture took them)",
                    e.delivered_after_failure
                ),
            );
        }
        if e.unexpected > 0 {
            line(
                &mut out,
                "unexpected",
                format!("{} (sequence numbers the run never sent)", e.unexpected),
            );
        }
        let t = &self.ingestion_lag;
        line(
            &mut out,
            "ingestion_lag",
            format!(
                "avg={} min={} med={} max={} p(50)={} p(99)={}",
                ms(t.avg),
                ms(t.min),
                ms(t.med),
                ms(t.max),
                ms(t.p50),
                ms(t.p99)
            ),
        );
        out.push_str(&format!(
            "\n  {} after {}\n",
            if self.complete {
                "complete"
            } else {
                "INCOMPLETE"
            },
            format_duration(Duration::from_secs_f64(self.waited_s))
        ));
        if !self.thresholds.is_empty() {
            out.push_str("\n  thresholds:\n");
            for v in &self.thresholds {
                out.push_str(&format!(
                    "   {} {} (observed {})\n",
                    if v.ok { "✓" } else { "✗" },
                    v.name,
                    v.observed.map_or("no data".into(), |o| format!("{o}"))
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(seqs: &[u64]) -> Vec<Row> {
        seqs.iter()
            .map(|&s| Row {
                seq: s,
                lag_ms: Some(s as f64 * 10.0),
            })
            .collect()
    }

    #[test]
    fn counts_missing_duplicates_and_late_failures() {
        let mut exp = Expectation::first(10);
        exp.expected = exp.expected.difference(&RangeSet::from_range(8, 9));
        exp.failed = RangeSet::from_range(8, 9);
        let r = rows(&[0, 1, 1, 2, 4, 5, 6, 7, 8, 9, 9, 9, 42]);
        let (c, missing, dups, lag) = analyze(&exp, &r);
        assert_eq!(c.expected, 9);
        assert_eq!(missing.iter().collect::<Vec<_>>(), vec![3]);
        assert_eq!(c.delivered, 8);
        assert_eq!(c.duplicated, 3);
        assert_eq!(dups.iter().collect::<Vec<_>>(), vec![1, 9]);
        assert_eq!(c.delivered_after_failure, 1);
        assert_eq!(c.unexpected, 1);
        assert_eq!(lag.count, 13);
        assert!((lag.max - 420.0).abs() < 1.0);
    }

    #[test]
    fn infers_per_shard_blocks() {
        let r = rows(&[0, 5, SHARD_SEQ_BLOCK + 2]);
        let e = infer_expectation(&r);
        assert_eq!(e.expected.len(), 6 + 3);
    }
}
