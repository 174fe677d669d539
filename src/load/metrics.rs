//! Run metrics: counters and HdrHistograms (bounded memory however long the run), shared by
//! every VU, and their mergeable snapshot.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};
use hdrhistogram::Histogram;
use parking_lot::Mutex;

use super::ranges::RangeSet;

/// The longest latency a histogram records, in microseconds (one hour); longer values are
/// recorded as this.
pub const MAX_MICROS: u64 = 3_600_000_000;

/// A new latency histogram: microseconds, 1 µs to 1 h, three significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("constant histogram bounds are valid")
}

/// Histograms split over a few locks so VUs on different threads rarely contend.
pub struct ShardedHistogram {
    shards: Vec<Mutex<Histogram<u64>>>,
}

impl ShardedHistogram {
    /// `n` shards.
    pub fn new(n: usize) -> Self {
        ShardedHistogram {
            shards: (0..n.max(1)).map(|_| Mutex::new(new_histogram())).collect(),
        }
    }

    /// Records a duration from shard `key % n`.
    pub fn record(&self, key: u64, d: Duration) {
        let micros = (d.as_micros() as u64).clamp(1, MAX_MICROS);
        self.shards[(key % self.shards.len() as u64) as usize]
            .lock()
            .saturating_record(micros);
    }

    /// All shards merged.
    pub fn merged(&self) -> Histogram<u64> {
        let mut h = new_histogram();
        for s in &self.shards {
            // Same bounds on every shard, so adding cannot fail.
            let _ = h.add(&*s.lock());
        }
        h
    }
}

/// Why an attempt or an event failed: an HTTP status, or a connection-level reason.
pub fn status_key(status: u16) -> String {
    status.to_string()
}

/// Live counters of a run.
pub struct Metrics {
    /// Per-attempt latency.
    pub req_duration: ShardedHistogram,
    /// Per-iteration latency (from the intended start to the final outcome).
    pub iter_duration: ShardedHistogram,
    /// Attempts made.
    pub http_reqs: AtomicU64,
    /// Attempts that did not get a 2xx.
    pub http_failed: AtomicU64,
    /// Failed attempts by status or reason.
    pub failed_by_status: Mutex<BTreeMap<String, u64>>,
    /// Iterations finished (any outcome).
    pub iterations: AtomicU64,
    /// Iterations not started for want of a free VU.
    pub dropped_iterations: AtomicU64,
    /// Events in started iterations.
    pub events_sent: AtomicU64,
    /// Events whose request got a 2xx.
    pub events_accepted: AtomicU64,
    /// Events whose iteration ended without a 2xx.
    pub events_failed: AtomicU64,
    /// Events in dropped iterations.
    pub events_dropped: AtomicU64,
    /// Failed events whose last attempt ended in a connection error after the request may have
    /// reached the server: capture may hold them.
    pub events_uncertain: AtomicU64,
    /// Failed events by final status or reason.
    pub events_failed_by_reason: Mutex<BTreeMap<String, u64>>,
    /// Sequence numbers of failed events.
    pub failed_seqs: Mutex<RangeSet>,
    /// Request bytes written.
    pub data_sent: AtomicU64,
    /// Response bytes read.
    pub data_received: AtomicU64,
    /// VUs currently allocated.
    pub vus: AtomicU64,
    /// The most VUs allocated at once.
    pub vus_max: AtomicU64,
}

impl Metrics {
    /// Empty metrics; `shards` histogram shards.
    pub fn new(shards: usize) -> Self {
        Metrics {
            req_duration: ShardedHistogram::new(shards),
            iter_duration: ShardedHistogram::new(shards),
            http_reqs: AtomicU64::new(0),
            http_failed: AtomicU64::new(0),
            failed_by_status: Mutex::new(BTreeMap::new()),
            iterations: AtomicU64::new(0),
            dropped_iterations: AtomicU64::new(0),
            events_sent: AtomicU64::new(0),
            events_accepted: AtomicU64::new(0),
            events_failed: AtomicU64::new(0),
            events_dropped: AtomicU64::new(0),
            events_uncertain: AtomicU64::new(0),
            events_failed_by_reason: Mutex::new(BTreeMap::new()),
            failed_seqs: Mutex::new(RangeSet::default()),
            data_sent: AtomicU64::new(0),
            data_received: AtomicU64::new(0),
            vus: AtomicU64::new(0),
            vus_max: AtomicU64::new(0),
        }
    }

    /// Counts a failed attempt.
    pub fn attempt_failed(&self, reason: &str) {
        self.http_failed.fetch_add(1, Ordering::Relaxed);
        *self
            .failed_by_status
            .lock()
            .entry(reason.to_string())
            .or_insert(0) += 1;
    }

    /// Counts failed events.
    pub fn events_failed(&self, first_seq: u64, n: u64, reason: &str, uncertain: bool) {
        self.events_failed.fetch_add(n, Ordering::Relaxed);
        if uncertain {
            self.events_uncertain.fetch_add(n, Ordering::Relaxed);
        }
        *self
            .events_failed_by_reason
            .lock()
            .entry(reason.to_string())
            .or_insert(0) += n;
        self.failed_seqs.lock().insert(first_seq, first_seq + n);
    }

    /// A VU was allocated.
    pub fn vu_started(&self) {
        let now = self.vus.fetch_add(1, Ordering::Relaxed) + 1;
        self.vus_max.fetch_max(now, Ordering::Relaxed);
    }
}

/// A histogram in a summary: its percentiles in milliseconds and, for merging, the histogram
/// itself (HdrHistogram's V2 compressed format, base64).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Trend {
    /// Mean, ms.
    pub avg: f64,
    /// Minimum, ms.
    pub min: f64,
    /// Median, ms.
    pub med: f64,
    /// Maximum, ms.
    pub max: f64,
    /// 50th percentile, ms.
    pub p50: f64,
    /// 90th percentile, ms.
    pub p90: f64,
    /// 95th percentile, ms.
    pub p95: f64,
    /// 99th percentile, ms.
    pub p99: f64,
    /// Samples.
    pub count: u64,
    /// The histogram (microseconds), V2-deflate, base64.
    pub histogram: String,
}

impl Trend {
    /// Summarises a microsecond histogram.
    pub fn from_histogram(h: &Histogram<u64>) -> Trend {
        let ms = |v: u64| v as f64 / 1000.0;
        let mut bytes = Vec::new();
        let _ = V2DeflateSerializer::new().serialize(h, &mut bytes);
        if h.is_empty() {
            return Trend {
                histogram: base64::engine::general_purpose::STANDARD.encode(&bytes),
                ..Trend::default()
            };
        }
        Trend {
            avg: h.mean() / 1000.0,
            min: ms(h.min()),
            med: ms(h.value_at_quantile(0.5)),
            max: ms(h.max()),
            p50: ms(h.value_at_quantile(0.5)),
            p90: ms(h.value_at_quantile(0.9)),
            p95: ms(h.value_at_quantile(0.95)),
            p99: ms(h.value_at_quantile(0.99)),
            count: h.len(),
            histogram: base64::engine::general_purpose::STANDARD.encode(&bytes),
        }
    }

    /// The histogram back, for merging and arbitrary percentiles.
    pub fn histogram(&self) -> Result<Histogram<u64>, String> {
        if self.histogram.is_empty() {
            return Ok(new_histogram());
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.histogram)
            .map_err(|e| format!("histogram is not base64: {e}"))?;
        let h: Histogram<u64> = Deserializer::new()
            .deserialize(&mut &bytes[..])
            .map_err(|e| format!("histogram does not decode: {e:?}"))?;
        Ok(h)
    }

    /// A percentile in ms (0–100), from the histogram.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        let h = self.histogram().ok()?;
        (!h.is_empty()).then(|| h.value_at_quantile(p / 100.0) as f64 / 1000.0)
    }

    /// Merges trends through their histograms.
    pub fn merge<'a>(items: impl IntoIterator<Item = &'a Trend>) -> Result<Trend, String> {
        let mut h = new_histogram();
        for t in items {
            let other = t.histogram()?;
            h.add(&other)
                .map_err(|e| format!("cannot merge histograms: {e:?}"))?;
        }
        Ok(Trend::from_histogram(&h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend_round_trips_and_merges() {
        let s = ShardedHistogram::new(3);
        for i in 1..=1000u64 {
            s.record(i, Duration::from_micros(i * 1000));
        }
        let t = Trend::from_histogram(&s.merged());
        assert_eq!(t.count, 1000);
        assert!((t.p50 - 500.0).abs() < 1.0, "{}", t.p50);
        assert!((t.max - 1000.0).abs() < 1.0);
        let back = t.histogram().unwrap();
        assert_eq!(back.len(), 1000);
        let m = Trend::merge([&t, &t]).unwrap();
        assert_eq!(m.count, 2000);
        assert!((m.p99 - t.p99).abs() < 0.01);
        assert!((t.percentile(10.0).unwrap() - 100.0).abs() < 0.5);
    }
}
