//! `load`: a k6-style load generator for PostHog's capture service that counts every event.
//!
//! A scenario file ([`scenario`]) names capture targets, an event template ([`template`]),
//! an encoding ([`encode`]) and k6 executors ([`runner`]). Every event carries the run id and
//! its own sequence number in its properties, so `verify` can name exactly which events never
//! reached ClickHouse. Latencies go into HdrHistograms ([`metrics`]); the end-of-run
//! [`summary`] is k6's text, a mergeable JSON export, and JUnit for thresholds
//! ([`threshold`]). [`cluster`] runs the same load as a Kubernetes Job and merges the pods'
//! summaries. [`fake_capture`] is a capture-compatible server for tests and benchmarks,
//! decoding bodies as capture does ([`capture_decode`]).

pub mod capture_decode;
pub mod client;
pub mod cluster;
pub mod encode;
pub mod fake_capture;
pub mod lzstring;
pub mod metrics;
pub mod ranges;
pub mod runner;
pub mod scenario;
pub mod summary;
pub mod template;
pub mod threshold;
pub mod yamlcfg;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use runner::{run_plan, Shared, StopReason};
use scenario::LoadPlan;
use summary::{ScenarioInfo, Summary};
use threshold::MetricSource;

/// How to run a plan.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The run id every event carries.
    pub run_id: String,
    /// This process's shard (0-based) when several share the load.
    pub shard: u64,
    /// How many shards share the load.
    pub shards: u64,
    /// How often progress is reported (and `abortOnFail` thresholds checked).
    pub progress_every: Duration,
    /// How long the reachability check waits for each target.
    pub connect_timeout: Duration,
}

/// A live view of a running load, for the progress line.
#[derive(Debug, Clone)]
pub struct Progress {
    /// Time since the start.
    pub elapsed: Duration,
    /// The planned length (longest scenario, start time included).
    pub planned: Duration,
    /// Attempts so far.
    pub http_reqs: u64,
    /// Accepted events.
    pub accepted: u64,
    /// Failed events.
    pub failed: u64,
    /// Dropped events.
    pub dropped: u64,
    /// VUs allocated now.
    pub vus: u64,
    /// p95 attempt latency, ms.
    pub p95_ms: f64,
    /// Attempts per second over the last interval.
    pub rate: f64,
}

impl Progress {
    /// k6-like one-line progress.
    pub fn line(&self) -> String {
        format!(
            "running ({}/{}) {} VUs, {} reqs ({:.0}/s), events accepted={} failed={} dropped={}, p(95)={}",
            yamlcfg::format_duration(self.elapsed),
            yamlcfg::format_duration(self.planned),
            self.vus,
            self.http_reqs,
            self.rate,
            self.accepted,
            self.failed,
            self.dropped,
            summary::ms(self.p95_ms)
        )
    }
}

/// Checks that every target accepts TCP connections, so a wrong address fails in seconds
/// with the address in the message instead of as a run of connection errors.
pub async fn check_reachable(plan: &LoadPlan, timeout: Duration) -> Result<(), String> {
    for t in &plan.targets {
        let target = client::Target::parse(t)?;
        let addr = target.address();
        match tokio::time::timeout(
            timeout,
            tokio::net::TcpStream::connect((target.host.as_str(), target.port)),
        )
        .await
        {
            Err(_) => {
                return Err(format!(
                    "cannot reach capture at {t} ({addr}): no answer within {}",
                    yamlcfg::format_duration(timeout)
                ))
            }
            Ok(Err(e)) => return Err(format!("cannot reach capture at {t} ({addr}): {e}")),
            Ok(Ok(_)) => {}
        }
    }
    Ok(())
}

fn describe_scenarios(plan: &LoadPlan, shard: u64, shards: u64) -> Vec<ScenarioInfo> {
    plan.scenarios
        .iter()
        .map(|s| {
            let e = s.executor.shard(shard, shards.max(1));
            let fd = yamlcfg::format_duration;
            let description = match &e {
                scenario::Executor::ConstantArrivalRate {
                    rate,
                    time_unit,
                    duration,
                    pre_allocated_vus,
                    max_vus,
                } => format!(
                    "{:.2} iterations/{} for {} (maxVUs: {}-{}, gracefulStop: {})",
                    rate,
                    fd(*time_unit),
                    fd(*duration),
                    pre_allocated_vus,
                    max_vus,
                    fd(s.graceful_stop)
                ),
                scenario::Executor::RampingArrivalRate {
                    start_rate,
                    stages,
                    pre_allocated_vus,
                    max_vus,
                    time_unit,
                } => format!(
                    "Up to {:.2} iterations/{} over {} stages from {:.2} (maxVUs: {}-{}, gracefulStop: {})",
                    stages.iter().map(|x| x.target).fold(*start_rate, f64::max),
                    fd(*time_unit),
                    stages.len(),
                    start_rate,
                    pre_allocated_vus,
                    max_vus,
                    fd(s.graceful_stop)
                ),
                scenario::Executor::ConstantVus { vus, duration } => format!(
                    "{} looping VUs for {} (gracefulStop: {})",
                    vus,
                    fd(*duration),
                    fd(s.graceful_stop)
                ),
            };
            ScenarioInfo {
                name: s.name.clone(),
                executor: e.name().to_string(),
                description: format!(
                    "{description}, {} {} × {} event{}",
                    s.request.encoding.name(),
                    s.request.route,
                    s.request.batch_size,
                    if s.request.batch_size == 1 { "" } else { "s" }
                ),
            }
        })
        .collect()
}

/// Runs `plan` to its end or until `stop` says otherwise, reporting progress to
/// `on_progress`; gives the summary (thresholds evaluated) and why it stopped.
pub async fn execute(
    plan: &LoadPlan,
    opts: &RunOptions,
    stop_tx: watch::Sender<StopReason>,
    mut on_progress: impl FnMut(&Progress) + Send,
) -> (Summary, StopReason) {
    let stop_rx = stop_tx.subscribe();
    let started_at = template::rfc3339_now();
    let sh = Arc::new(Shared::new(plan, &opts.run_id, opts.shard, stop_rx));
    let start = Instant::now();
    let planned = plan
        .scenarios
        .iter()
        .map(|s| s.start_time + s.executor.duration())
        .max()
        .unwrap_or_default();
    let work = run_plan(sh.clone(), plan, opts.shard, opts.shards);
    tokio::pin!(work);
    let mut tick = tokio::time::interval(opts.progress_every);
    tick.tick().await;
    let mut last_reqs = 0u64;
    let mut last_at = start;
    let abort_thresholds: Vec<_> = plan
        .thresholds
        .iter()
        .filter(|t| t.abort_on_fail)
        .cloned()
        .collect();
    loop {
        tokio::select! {
            _ = &mut work => break,
            _ = tick.tick() => {
                let m = &sh.metrics;
                let reqs = m.http_reqs.load(Ordering::Relaxed);
                let now = Instant::now();
                let p = Progress {
                    elapsed: start.elapsed(),
                    planned,
                    http_reqs: reqs,
                    accepted: m.events_accepted.load(Ordering::Relaxed),
                    failed: m.events_failed.load(Ordering::Relaxed),
                    dropped: m.events_dropped.load(Ordering::Relaxed),
                    vus: m.vus.load(Ordering::Relaxed),
                    p95_ms: m.req_duration.merged().value_at_quantile(0.95) as f64 / 1000.0,
                    rate: (reqs - last_reqs) as f64 / (now - last_at).as_secs_f64().max(1e-9),
                };
                last_reqs = reqs;
                last_at = now;
                on_progress(&p);
                if !abort_thresholds.is_empty() && *stop_tx.borrow() == StopReason::None {
                    let live = Summary::from_metrics(m, &opts.run_id, &started_at, start.elapsed(), 0, 0);
                    if abort_thresholds.iter().any(|t| live.aggregate(&t.metric, t.agg).is_some() && !t.evaluate(&live).ok) {
                        let _ = stop_tx.send(StopReason::Threshold);
                    }
                }
            }
        }
    }
    let reason = *stop_tx.borrow();
    let mut summary = Summary::from_metrics(
        &sh.metrics,
        &opts.run_id,
        &started_at,
        start.elapsed(),
        sh.seq_base,
        sh.next_seq.load(Ordering::Relaxed),
    );
    summary.scenarios = describe_scenarios(plan, opts.shard, opts.shards);
    summary.stopped = match reason {
        StopReason::None => None,
        StopReason::Interrupted => Some("interrupted".into()),
        StopReason::Threshold => Some("threshold".into()),
    };
    summary.apply_thresholds(&plan.thresholds);
    (summary, reason)
}
