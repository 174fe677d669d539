//! Thresholds in k6's syntax: `metric: ["p(95)<500", "avg<200"]`, `http_req_failed:
//! ["rate<0.01"]`, `http_reqs: ["count>100"]`. Durations are in milliseconds, rates are
//! fractions for rate metrics and per second for counters, as in k6.

use serde::{Deserialize, Serialize};

/// An aggregation of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Agg {
    /// Mean.
    Avg,
    /// Minimum.
    Min,
    /// Maximum.
    Max,
    /// Median.
    Med,
    /// A percentile, 0 to 100.
    P(f64),
    /// A counter's total.
    Count,
    /// A rate metric's fraction, or a counter's per-second rate.
    Rate,
    /// A gauge's last value.
    Value,
}

impl std::fmt::Display for Agg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Agg::Avg => f.write_str("avg"),
            Agg::Min => f.write_str("min"),
            Agg::Max => f.write_str("max"),
            Agg::Med => f.write_str("med"),
            Agg::P(p) => write!(f, "p({p})"),
            Agg::Count => f.write_str("count"),
            Agg::Rate => f.write_str("rate"),
            Agg::Value => f.write_str("value"),
        }
    }
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==` or `===`
    Eq,
    /// `!=`
    Ne,
}

impl Op {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

/// One threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    /// The metric, e.g. `http_req_duration`.
    pub metric: String,
    /// The expression as written, e.g. `p(95)<500`.
    pub source: String,
    /// The aggregation.
    #[serde(skip)]
    pub agg: Agg,
    /// The comparison.
    #[serde(skip)]
    pub op: Op,
    /// The bound.
    #[serde(skip)]
    pub bound: f64,
    /// Stop the run as soon as it fails (k6's `abortOnFail`).
    pub abort_on_fail: bool,
}

/// What kind of metric a name is, deciding which aggregations apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Durations in ms: avg, min, max, med, p(N).
    Trend,
    /// Counts: count, rate (per second).
    Counter,
    /// Fractions: rate.
    Rate,
    /// Gauges: value, min, max.
    Gauge,
}

/// The metrics `load` and `verify` know, with their kinds.
pub const METRICS: &[(&str, MetricKind)] = &[
    ("http_req_duration", MetricKind::Trend),
    ("iteration_duration", MetricKind::Trend),
    ("http_req_failed", MetricKind::Rate),
    ("http_reqs", MetricKind::Counter),
    ("iterations", MetricKind::Counter),
    ("dropped_iterations", MetricKind::Counter),
    ("data_sent", MetricKind::Counter),
    ("data_received", MetricKind::Counter),
    ("events_sent", MetricKind::Counter),
    ("events_accepted", MetricKind::Counter),
    ("events_failed", MetricKind::Counter),
    ("events_dropped", MetricKind::Counter),
    ("vus_max", MetricKind::Gauge),
    // verify
    ("event_loss", MetricKind::Rate),
    ("events_missing", MetricKind::Counter),
    ("events_duplicated", MetricKind::Counter),
    ("ingestion_lag", MetricKind::Trend),
];

/// The kind of a known metric.
pub fn metric_kind(name: &str) -> Option<MetricKind> {
    METRICS.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
}

/// Parses `expr` (e.g. `p(95) < 500`) for `metric`.
pub fn parse_threshold(metric: &str, expr: &str) -> Result<Threshold, String> {
    let kind = metric_kind(metric).ok_or_else(|| {
        format!(
            "unknown metric `{metric}`; known: {}",
            METRICS
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let s: String = expr.chars().filter(|c| !c.is_whitespace()).collect();
    let op_at = s
        .find(['<', '>', '=', '!'])
        .ok_or_else(|| format!("{expr:?} has no comparison; write e.g. \"p(95)<500\""))?;
    let (agg_text, rest) = s.split_at(op_at);
    let (op, bound_text) = [
        ("===", Op::Eq),
        ("==", Op::Eq),
        ("!=", Op::Ne),
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("<", Op::Lt),
        (">", Op::Gt),
    ]
    .iter()
    .find_map(|(t, op)| rest.strip_prefix(t).map(|b| (*op, b)))
    .ok_or_else(|| format!("{expr:?}: unknown comparison"))?;
    let bound: f64 = bound_text
        .parse()
        .ok()
        .filter(|b: &f64| b.is_finite())
        .ok_or_else(|| format!("{expr:?}: {bound_text:?} is not a number"))?;
    let agg = match agg_text {
        "avg" => Agg::Avg,
        "min" => Agg::Min,
        "max" => Agg::Max,
        "med" => Agg::Med,
        "count" => Agg::Count,
        "rate" => Agg::Rate,
        "value" => Agg::Value,
        p if p.starts_with("p(") && p.ends_with(')') => {
            let n: f64 = p[2..p.len() - 1]
                .parse()
                .map_err(|_| format!("{expr:?}: bad percentile {p:?}"))?;
            if !(0.0..=100.0).contains(&n) {
                return Err(format!("{expr:?}: a percentile is between 0 and 100"));
            }
            Agg::P(n)
        }
        other => return Err(format!("{expr:?}: unknown aggregation {other:?}")),
    };
    let ok = match kind {
        MetricKind::Trend => matches!(agg, Agg::Avg | Agg::Min | Agg::Max | Agg::Med | Agg::P(_)),
        MetricKind::Counter => matches!(agg, Agg::Count | Agg::Rate),
        MetricKind::Rate => matches!(agg, Agg::Rate),
        MetricKind::Gauge => matches!(agg, Agg::Value | Agg::Min | Agg::Max),
    };
    if !ok {
        let allowed = match kind {
            MetricKind::Trend => "avg, min, max, med, p(N)",
            MetricKind::Counter => "count, rate",
            MetricKind::Rate => "rate",
            MetricKind::Gauge => "value, min, max",
        };
        return Err(format!("`{metric}` takes {allowed}, not {agg_text}"));
    }
    Ok(Threshold {
        metric: metric.to_string(),
        source: expr.trim().to_string(),
        agg,
        op,
        bound,
        abort_on_fail: false,
    })
}

/// Gives a metric's aggregation, or `None` when the metric has no data.
pub trait MetricSource {
    /// The value of `agg` over `metric`.
    fn aggregate(&self, metric: &str, agg: Agg) -> Option<f64>;
}

/// A threshold's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// `metric: expression`.
    pub name: String,
    /// Whether it holds.
    pub ok: bool,
    /// The observed value (null without data).
    pub observed: Option<f64>,
}

impl Threshold {
    /// Evaluates it. A metric without data passes for counters (count 0) and fails otherwise,
    /// so a run that sent nothing cannot pass a latency threshold.
    pub fn evaluate(&self, src: &dyn MetricSource) -> Verdict {
        let observed = src.aggregate(&self.metric, self.agg);
        let ok = match observed {
            Some(v) => self.op.holds(v, self.bound),
            None => false,
        };
        Verdict {
            name: format!("{}: {}", self.metric, self.source),
            ok,
            observed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;
    impl MetricSource for Fixed {
        fn aggregate(&self, metric: &str, agg: Agg) -> Option<f64> {
            match (metric, agg) {
                ("http_req_duration", Agg::P(95.0)) => Some(420.0),
                ("http_req_failed", Agg::Rate) => Some(0.02),
                _ => None,
            }
        }
    }

    #[test]
    fn parses_and_evaluates_k6_syntax() {
        let t = parse_threshold("http_req_duration", "p(95) < 500").unwrap();
        assert_eq!((t.agg, t.op, t.bound), (Agg::P(95.0), Op::Lt, 500.0));
        assert!(t.evaluate(&Fixed).ok);
        let t = parse_threshold("http_req_failed", "rate<0.01").unwrap();
        let v = t.evaluate(&Fixed);
        assert!(!v.ok);
        assert_eq!(v.observed, Some(0.02));
        assert!(
            !parse_threshold("http_req_duration", "avg<1")
                .unwrap()
                .evaluate(&Fixed)
                .ok
        );
        assert_eq!(
            parse_threshold("http_reqs", "count>=10").unwrap().op,
            Op::Ge
        );
    }

    #[test]
    fn rejects_bad_expressions() {
        assert!(parse_threshold("nope", "rate<1")
            .unwrap_err()
            .contains("unknown metric"));
        assert!(parse_threshold("http_req_failed", "p(95)<1")
            .unwrap_err()
            .contains("takes rate"));
        assert!(parse_threshold("http_req_duration", "p(95)")
            .unwrap_err()
            .contains("no comparison"));
        assert!(parse_threshold("http_req_duration", "p(101)<3").is_err());
        assert!(parse_threshold("http_req_duration", "p(95)<abc").is_err());
    }
}
