//! The end-of-run summary: the JSON written by `--summary-export` (mergeable across pods,
//! histograms included), k6's text summary, and JUnit for CI.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::metrics::{Metrics, Trend};
use super::ranges::RangeSet;
use super::threshold::{Agg, MetricSource, Threshold, Verdict};
use super::yamlcfg::format_duration;

/// Event accounting. `sent = accepted + failed`; `dropped` events were never sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Events {
    /// Events in iterations that started.
    pub sent: u64,
    /// Events whose request got a 2xx.
    pub accepted: u64,
    /// Events whose iteration ended without a 2xx.
    pub failed: u64,
    /// Events of iterations dropped for want of a free VU.
    pub dropped: u64,
    /// Failed events that capture may nevertheless hold (the last attempts ended in a
    /// connection error or 5xx after the request may have arrived).
    pub uncertain: u64,
    /// Accepted events per second.
    pub accepted_per_second: f64,
    /// Failed events by final status or reason.
    pub failed_by_reason: BTreeMap<String, u64>,
}

/// Which sequence numbers the run used and which of them failed, for `verify`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Seqs {
    /// Every sequence number sent.
    pub sent: RangeSet,
    /// The sequence numbers of failed events.
    pub failed: RangeSet,
}

/// One scenario as run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    /// Its name.
    pub name: String,
    /// k6's executor name.
    pub executor: String,
    /// A one-line description like k6's.
    pub description: String,
}

/// The summary of a run, as `--summary-export` writes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The run id every event carries.
    pub run_id: String,
    /// When the run started (RFC 3339).
    pub started_at: String,
    /// Wall time, seconds.
    pub duration_s: f64,
    /// How many shards (pods) contributed.
    pub shards: u64,
    /// Set when the run was cut short: `interrupted` (signal) or `threshold`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Event accounting.
    pub events: Events,
    /// Attempts made.
    pub http_reqs: u64,
    /// Attempts per second.
    pub http_reqs_per_second: f64,
    /// Attempts without a 2xx.
    pub http_req_failed: u64,
    /// Failed attempts by status (`503`) or reason (`connection_refused`, `timeout`, …).
    pub http_req_failed_by_status: BTreeMap<String, u64>,
    /// Attempt latency, ms.
    pub http_req_duration: Trend,
    /// Iteration latency (with retries and backoff), ms.
    pub iteration_duration: Trend,
    /// Iterations finished.
    pub iterations: u64,
    /// Iterations dropped.
    pub dropped_iterations: u64,
    /// Request bytes.
    pub data_sent: u64,
    /// Response bytes.
    pub data_received: u64,
    /// The most VUs allocated at once (summed over shards).
    pub vus_max: u64,
    /// Sequence numbers.
    pub seqs: Seqs,
    /// Scenarios.
    pub scenarios: Vec<ScenarioInfo>,
    /// Threshold verdicts.
    pub thresholds: Vec<Verdict>,
}

impl Summary {
    /// Takes a summary of live metrics. `seq_base..seq_base+seq_count` are the numbers used.
    pub fn from_metrics(
        m: &Metrics,
        run_id: &str,
        started_at: &str,
        elapsed: Duration,
        seq_base: u64,
        seq_count: u64,
    ) -> Summary {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        let accepted = get(&m.events_accepted);
        let http_reqs = get(&m.http_reqs);
        Summary {
            run_id: run_id.to_string(),
            started_at: started_at.to_string(),
            duration_s: elapsed.as_secs_f64(),
            shards: 1,
            stopped: None,
            events: Events {
                sent: get(&m.events_sent),
                accepted,
                failed: get(&m.events_failed),
                dropped: get(&m.events_dropped),
                uncertain: get(&m.events_uncertain),
                accepted_per_second: accepted as f64 / secs,
                failed_by_reason: m.events_failed_by_reason.lock().clone(),
            },
            http_reqs,
            http_reqs_per_second: http_reqs as f64 / secs,
            http_req_failed: get(&m.http_failed),
            http_req_failed_by_status: m.failed_by_status.lock().clone(),
            http_req_duration: Trend::from_histogram(&m.req_duration.merged()),
            iteration_duration: Trend::from_histogram(&m.iter_duration.merged()),
            iterations: get(&m.iterations),
            dropped_iterations: get(&m.dropped_iterations),
            data_sent: get(&m.data_sent),
            data_received: get(&m.data_received),
            vus_max: get(&m.vus_max),
            seqs: Seqs {
                sent: RangeSet::from_range(seq_base, seq_base + seq_count),
                failed: m.failed_seqs.lock().clone(),
            },
            scenarios: Vec::new(),
            thresholds: Vec::new(),
        }
    }

    /// Evaluates thresholds into `self.thresholds`; true when all hold.
    pub fn apply_thresholds(&mut self, thresholds: &[Threshold]) -> bool {
        self.thresholds = thresholds.iter().map(|t| t.evaluate(self)).collect();
        self.thresholds.iter().all(|v| v.ok)
    }

    /// Merges the summaries of the shards of one run (counters added, histograms merged,
    /// sequence ranges united). The run id must agree.
    pub fn merge(parts: &[Summary]) -> Result<Summary, String> {
        let Some(first) = parts.first() else {
            return Err("no summaries to merge".into());
        };
        if let Some(other) = parts.iter().find(|p| p.run_id != first.run_id) {
            return Err(format!(
                "summaries of different runs: {} and {}",
                first.run_id, other.run_id
            ));
        }
        let mut out = Summary {
            run_id: first.run_id.clone(),
            started_at: parts
                .iter()
                .map(|p| p.started_at.clone())
                .min()
                .unwrap_or_default(),
            duration_s: parts.iter().map(|p| p.duration_s).fold(0.0, f64::max),
            scenarios: first.scenarios.clone(),
            ..Summary::default()
        };
        let add = |m: &mut BTreeMap<String, u64>, o: &BTreeMap<String, u64>| {
            for (k, v) in o {
                *m.entry(k.clone()).or_insert(0) += v;
            }
        };
        for p in parts {
            out.shards += p.shards.max(1);
            if p.stopped.is_some() && out.stopped.is_none() {
                out.stopped = p.stopped.clone();
            }
            out.events.sent += p.events.sent;
            out.events.accepted += p.events.accepted;
            out.events.failed += p.events.failed;
            out.events.dropped += p.events.dropped;
            out.events.uncertain += p.events.uncertain;
            add(&mut out.events.failed_by_reason, &p.events.failed_by_reason);
            out.http_reqs += p.http_reqs;
            out.http_req_failed += p.http_req_failed;
            add(
                &mut out.http_req_failed_by_status,
                &p.http_req_failed_by_status,
            );
            out.iterations += p.iterations;
            out.dropped_iterations += p.dropped_iterations;
            out.data_sent += p.data_sent;
            out.data_received += p.data_received;
            out.vus_max += p.vus_max;
            out.seqs.sent.extend(&p.seqs.sent);
            out.seqs.failed.extend(&p.seqs.failed);
        }
        out.http_req_duration = Trend::merge(parts.iter().map(|p| &p.http_req_duration))?;
        out.iteration_duration = Trend::merge(parts.iter().map(|p| &p.iteration_duration))?;
        let secs = out.duration_s.max(1e-9);
        out.events.accepted_per_second = out.events.accepted as f64 / secs;
        out.http_reqs_per_second = out.http_reqs as f64 / secs;
        Ok(out)
    }

    fn trend_agg(t: &Trend, agg: Agg) -> Option<f64> {
        if t.count == 0 {
            return None;
        }
        match agg {
            Agg::Avg => Some(t.avg),
            Agg::Min => Some(t.min),
            Agg::Max => Some(t.max),
            Agg::Med => Some(t.med),
            Agg::P(p) => t.percentile(p),
            _ => None,
        }
    }

    fn counter_agg(&self, v: u64, agg: Agg) -> Option<f64> {
        match agg {
            Agg::Count => Some(v as f64),
            Agg::Rate => Some(v as f64 / self.duration_s.max(1e-9)),
            _ => None,
        }
    }

    /// k6's text summary (with our event lines), thresholds marked ✓/✗.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  scenarios: {} scenario{}, {} max VUs, {} duration{}",
            self.scenarios.len(),
            if self.scenarios.len() == 1 { "" } else { "s" },
            self.vus_max,
            format_duration(Duration::from_secs_f64(self.duration_s)),
            if self.shards > 1 {
                format!(", {} pods", self.shards)
            } else {
                String::new()
            }
        );
        for s in &self.scenarios {
            let _ = writeln!(out, "           * {}: {}", s.name, s.description);
        }
        let _ = writeln!(out, "  run_id: {}", self.run_id);
        if let Some(s) = &self.stopped {
            let _ = writeln!(out, "  stopped early: {s}");
        }
        let _ = writeln!(out);
        let mark = |metric: &str| -> &'static str {
            let vs: Vec<&Verdict> = self
                .thresholds
                .iter()
                .filter(|v| v.name.split(':').next() == Some(metric))
                .collect();
            if vs.is_empty() {
                "  "
            } else if vs.iter().all(|v| v.ok) {
                "✓ "
            } else {
                "✗ "
            }
        };
        let secs = self.duration_s.max(1e-9);
        let mut line = |name: &str, value: String| {
            let dots = 32usize.saturating_sub(name.chars().count());
            let _ = writeln!(
                out,
                "   {}{}{}: {}",
                mark(name),
                name,
                ".".repeat(dots),
                value
            );
        };
        let trend = |t: &Trend| {
            format!(
                "avg={} min={} med={} max={} p(90)={} p(95)={} p(99)={}",
                ms(t.avg),
                ms(t.min),
                ms(t.med),
                ms(t.max),
                ms(t.p90),
                ms(t.p95),
                ms(t.p99)
            )
        };
        line(
            "data_received",
            format!(
                "{} {}/s",
                bytes(self.data_received as f64),
                bytes(self.data_received as f64 / secs)
            ),
        );
        line(
            "data_sent",
            format!(
                "{} {}/s",
                bytes(self.data_sent as f64),
                bytes(self.data_sent as f64 / secs)
            ),
        );
        line(
            "dropped_iterations",
            format!(
                "{:<8} {:.2}/s",
                self.dropped_iterations,
                self.dropped_iterations as f64 / secs
            ),
        );
        line(
            "events_accepted",
            format!(
                "{:<8} {:.2}/s",
                self.events.accepted, self.events.accepted_per_second
            ),
        );
        line("events_dropped", format!("{}", self.events.dropped));
        let reasons = if self.events.failed_by_reason.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                self.events
                    .failed_by_reason
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        line(
            "events_failed",
            format!(
                "{}{} uncertain={}",
                self.events.failed, reasons, self.events.uncertain
            ),
        );
        line(
            "events_sent",
            format!(
                "{:<8} {:.2}/s",
                self.events.sent,
                self.events.sent as f64 / secs
            ),
        );
        line("http_req_duration", trend(&self.http_req_duration));
        let rate = if self.http_reqs == 0 {
            0.0
        } else {
            self.http_req_failed as f64 / self.http_reqs as f64
        };
        let statuses = if self.http_req_failed_by_status.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                self.http_req_failed_by_status
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        line(
            "http_req_failed",
            format!(
                "{:.2}%  ✓ {:<6} ✗ {}{}",
                rate * 100.0,
                self.http_req_failed,
                self.http_reqs - self.http_req_failed.min(self.http_reqs),
                statuses
            ),
        );
        line(
            "http_reqs",
            format!("{:<8} {:.2}/s", self.http_reqs, self.http_reqs_per_second),
        );
        line("iteration_duration", trend(&self.iteration_duration));
        line(
            "iterations",
            format!(
                "{:<8} {:.2}/s",
                self.iterations,
                self.iterations as f64 / secs
            ),
        );
        line("vus_max", format!("{}", self.vus_max));
        if !self.thresholds.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "  thresholds:");
            for v in &self.thresholds {
                let _ = writeln!(
                    out,
                    "   {} {} (observed {})",
                    if v.ok { "✓" } else { "✗" },
                    v.name,
                    v.observed
                        .map_or("no data".to_string(), |o| format!("{o:.4}")
                            .trim_end_matches('0')
                            .trim_end_matches('.')
                            .to_string())
                );
            }
        }
        out
    }
}

impl MetricSource for Summary {
    fn aggregate(&self, metric: &str, agg: Agg) -> Option<f64> {
        match metric {
            "http_req_duration" => Self::trend_agg(&self.http_req_duration, agg),
            "iteration_duration" => Self::trend_agg(&self.iteration_duration, agg),
            "http_req_failed" => (agg == Agg::Rate && self.http_reqs > 0)
                .then(|| self.http_req_failed as f64 / self.http_reqs as f64),
            "http_reqs" => self.counter_agg(self.http_reqs, agg),
            "iterations" => self.counter_agg(self.iterations, agg),
            "dropped_iterations" => self.counter_agg(self.dropped_iterations, agg),
            "data_sent" => self.counter_agg(self.data_sent, agg),
            "data_received" => self.counter_agg(self.data_received, agg),
            "events_sent" => self.counter_agg(self.events.sent, agg),
            "events_accepted" => self.counter_agg(self.events.accepted, agg),
            "events_failed" => self.counter_agg(self.events.failed, agg),
            "events_dropped" => self.counter_agg(self.events.dropped, agg),
            "vus_max" => match agg {
                Agg::Value | Agg::Max | Agg::Min => Some(self.vus_max as f64),
                _ => None,
            },
            _ => None,
        }
    }
}

/// A duration in ms as k6 prints it (`812µs`, `12.3ms`, `1.52s`).
pub fn ms(v: f64) -> String {
    if v < 1.0 {
        format!("{:.0}µs", v * 1000.0)
    } else if v < 1000.0 {
        format!("{:.2}ms", v)
    } else {
        format!("{:.2}s", v / 1000.0)
    }
}

fn bytes(v: f64) -> String {
    if v < 1000.0 {
        format!("{v:.0} B")
    } else if v < 1e6 {
        format!("{:.1} kB", v / 1e3)
    } else if v < 1e9 {
        format!("{:.1} MB", v / 1e6)
    } else {
        format!("{:.1} GB", v / 1e9)
    }
}

use crate::report::xml_escape;

/// JUnit XML with one test case per threshold verdict (`suite` names the test suite).
pub fn junit(suite: &str, verdicts: &[Verdict], duration_s: f64) -> String {
    let failures = verdicts.iter().filter(|v| !v.ok).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites tests=\"{}\" failures=\"{failures}\" time=\"{duration_s:.3}\">",
        verdicts.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" time=\"{duration_s:.3}\">",
        xml_escape(suite),
        verdicts.len()
    );
    for v in verdicts {
        let observed = v.observed.map_or("no data".to_string(), |o| o.to_string());
        if v.ok {
            let _ = writeln!(
                out,
                "    <testcase classname=\"thresholds\" name=\"{}\"/>",
                xml_escape(&v.name)
            );
        } else {
            let _ = writeln!(
                out,
                "    <testcase classname=\"thresholds\" name=\"{}\">\n      <failure message=\"{} crossed: observed {}\"/>\n    </testcase>",
                xml_escape(&v.name),
                xml_escape(&v.name),
                xml_escape(&observed)
            );
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::threshold::parse_threshold;

    fn summary(accepted: u64, lat_ms: u64) -> Summary {
        let m = Metrics::new(1);
        m.events_sent.store(accepted + 2, Ordering::Relaxed);
        m.events_accepted.store(accepted, Ordering::Relaxed);
        m.events_failed(accepted, 2, "503", true);
        m.http_reqs.store(10, Ordering::Relaxed);
        m.attempt_failed("503");
        m.req_duration.record(0, Duration::from_millis(lat_ms));
        Summary::from_metrics(&m, "r1", "t", Duration::from_secs(2), 0, accepted + 2)
    }

    #[test]
    fn merges_counters_histograms_and_ranges() {
        let a = summary(10, 5);
        let mut b = summary(20, 500);
        b.seqs.sent = RangeSet::from_range(1000, 1022);
        let m = Summary::merge(&[a.clone(), b]).unwrap();
        assert_eq!(m.events.accepted, 30);
        assert_eq!(m.events.failed, 4);
        assert_eq!(m.http_req_failed_by_status["503"], 2);
        assert_eq!(m.http_req_duration.count, 2);
        assert!(m.http_req_duration.max >= 499.0);
        assert_eq!(m.seqs.sent.len(), 12 + 22);
        assert_eq!(m.shards, 2);
        let mut other = a.clone();
        other.run_id = "r2".into();
        assert!(Summary::merge(&[a, other]).is_err());
    }

    #[test]
    fn thresholds_text_and_junit() {
        let mut s = summary(10, 5);
        let ok = s.apply_thresholds(&[
            parse_threshold("http_req_duration", "p(95)<100").unwrap(),
            parse_threshold("http_req_failed", "rate<0.01").unwrap(),
        ]);
        assert!(!ok);
        assert!(s.thresholds[0].ok);
        assert!(!s.thresholds[1].ok);
        let text = s.text();
        assert!(text.contains("✗ http_req_failed"), "{text}");
        assert!(text.contains("✓ http_req_duration"), "{text}");
        let x = junit("load", &s.thresholds, 2.0);
        assert!(x.contains("failures=\"1\""));
        assert!(x.contains("name=\"http_req_failed: rate&lt;0.01\""));
        let back: Summary = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }
}
