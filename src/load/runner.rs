//! The executors: arrival-rate scheduling (open model, latency from the intended start, no
//! coordinated omission) and constant VUs (closed model), iterations with retries, and the
//! accounting that makes every event end in exactly one of accepted, failed or dropped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use rand::Rng;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::client::{connect, AttemptError, Conn, RequestHead, Target};
use super::metrics::{status_key, Metrics};
use super::scenario::{Executor, LoadPlan, RetryPolicy, ScenarioSpec};
use super::template::{rfc3339_now, EventVars};

/// Why a run ends before its scenarios do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// It has not been stopped.
    None,
    /// Ctrl-C or SIGTERM.
    Interrupted,
    /// A threshold with `abortOnFail` failed.
    Threshold,
}

/// How long in-flight iterations get after an interrupt before they are cut off.
pub const INTERRUPT_GRACE: Duration = Duration::from_secs(2);

/// Sequence numbers of shard `i` start at `i * SHARD_SEQ_BLOCK`, so shards never collide.
pub const SHARD_SEQ_BLOCK: u64 = 1_000_000_000_000;

/// What is fixed for the whole run.
pub struct Shared {
    /// Counters and histograms.
    pub metrics: Metrics,
    targets: Vec<Target>,
    token: String,
    run_id: String,
    /// The first sequence number of this shard.
    pub seq_base: u64,
    /// The next sequence number, relative to `seq_base`.
    pub next_seq: AtomicU64,
    rr: AtomicU64,
    retries: RetryPolicy,
    next_vu: AtomicU64,
    stop: watch::Receiver<StopReason>,
}

impl Shared {
    /// Prepares a run of `plan` as shard `shard`.
    pub fn new(
        plan: &LoadPlan,
        run_id: &str,
        shard: u64,
        stop: watch::Receiver<StopReason>,
    ) -> Shared {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        Shared {
            metrics: Metrics::new(threads * 2),
            targets: plan
                .targets
                .iter()
                .filter_map(|t| Target::parse(t).ok())
                .collect(),
            token: plan.token.clone(),
            run_id: run_id.to_string(),
            seq_base: shard * SHARD_SEQ_BLOCK,
            next_seq: AtomicU64::new(0),
            rr: AtomicU64::new(0),
            retries: plan.retries,
            next_vu: AtomicU64::new(1),
            stop,
        }
    }

    fn stopped(&self) -> bool {
        *self.stop.borrow() != StopReason::None
    }
}

/// Waits until the run is stopped; never returns when nothing can stop it any more.
pub async fn until_stopped(rx: &mut watch::Receiver<StopReason>) {
    loop {
        if *rx.borrow_and_update() != StopReason::None {
            return;
        }
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// A scenario ready to run: its spec and its request heads, one per target.
struct ScenarioRt {
    spec: ScenarioSpec,
    heads: Vec<RequestHead>,
    wire_extra: Vec<u64>,
}

/// A virtual user: its connections (one per target) and iteration count.
struct Vu {
    id: u64,
    iter: u64,
    conns: Vec<Option<Conn>>,
}

impl Vu {
    fn new(sh: &Shared) -> Vu {
        sh.metrics.vu_started();
        Vu {
            id: sh.next_vu.fetch_add(1, Ordering::Relaxed),
            iter: 0,
            conns: (0..sh.targets.len()).map(|_| None).collect(),
        }
    }

    async fn attempt(
        &mut self,
        sh: &Shared,
        t: usize,
        head: &RequestHead,
        body: Bytes,
        timeout: Duration,
    ) -> Result<(u16, u64), AttemptError> {
        let reusable = match self.conns[t].as_mut() {
            Some(c) => c.ready().await,
            None => false,
        };
        if !reusable {
            self.conns[t] = Some(connect(&sh.targets[t], timeout).await?);
        }
        let Some(conn) = self.conns[t].as_mut() else {
            return Err(AttemptError {
                reason: "connection_error",
                uncertain: false,
                detail: "no connection".into(),
            });
        };
        let r = conn.post(head, body, timeout).await;
        if r.is_err() {
            self.conns[t] = None;
        }
        r
    }
}

/// Ends an iteration's events exactly once: accepted or failed by the iteration, or
/// `interrupted` when the iteration is cut off (its task dropped).
struct Settle<'a> {
    m: &'a Metrics,
    first: u64,
    n: u64,
    open: bool,
}

impl Settle<'_> {
    fn accept(&mut self) {
        self.m.events_accepted.fetch_add(self.n, Ordering::Relaxed);
        self.open = false;
    }

    fn fail(&mut self, reason: &str, uncertain: bool) {
        self.m.events_failed(self.first, self.n, reason, uncertain);
        self.open = false;
    }
}

impl Drop for Settle<'_> {
    fn drop(&mut self) {
        if self.open {
            // The request may have been on the wire when the task was cut off.
            self.m
                .events_failed(self.first, self.n, "interrupted", true);
        }
    }
}

fn backoff(p: &RetryPolicy, attempt: u32) -> Duration {
    let base = p.backoff.as_secs_f64() * 2f64.powi(attempt.min(30) as i32);
    let capped = base.min(p.max_backoff.as_secs_f64());
    // "Equal jitter": between half and all of the capped delay.
    let jittered = capped * rand::thread_rng().gen_range(0.5..=1.0);
    Duration::from_secs_f64(jittered)
}

fn build_body(sh: &Shared, sc: &ScenarioRt, first: u64, vu: &Vu) -> Result<Bytes, String> {
    let req = &sc.spec.request;
    let t = &req.event;
    let n = req.batch_size;
    let ts = rfc3339_now();
    let mut json = Vec::with_capacity(256 * n as usize);
    let batch = req.route.trim_end_matches('/') == "/batch";
    if batch {
        json.extend_from_slice(b"{\"api_key\":");
        serde_json::to_writer(&mut json, &sh.token).map_err(|e| e.to_string())?;
        json.extend_from_slice(b",\"batch\":[");
    } else if n > 1 {
        json.push(b'[');
    }
    let mut rng = rand::thread_rng();
    for i in 0..n {
        if i > 0 {
            json.push(b',');
        }
        let distinct = if t.pool.is_empty() {
            ""
        } else {
            t.pool[rng.gen_range(0..t.pool.len())].as_str()
        };
        let uuid = t.uuid.then(|| super::template::uuid7_now().to_string());
        t.render_event(
            &mut json,
            &EventVars {
                run_id: &sh.run_id,
                seq: first + i,
                scenario: &sc.spec.name,
                vu: vu.id,
                iter: vu.iter,
                index: i,
                distinct_id: distinct,
            },
            (!batch).then_some(sh.token.as_str()),
            &ts,
            uuid.as_deref(),
        )?;
    }
    if batch {
        json.extend_from_slice(b"]}");
    } else if n > 1 {
        json.push(b']');
    }
    Ok(Bytes::from(req.encoding.encode_owned(json)))
}

async fn iteration(sh: &Shared, sc: &ScenarioRt, vu: &mut Vu, intended: Option<Instant>) {
    let m = &sh.metrics;
    let n = sc.spec.request.batch_size;
    let first = sh.seq_base + sh.next_seq.fetch_add(n, Ordering::Relaxed);
    m.events_sent.fetch_add(n, Ordering::Relaxed);
    let mut settle = Settle {
        m,
        first,
        n,
        open: true,
    };
    let start = intended.unwrap_or_else(Instant::now);
    let body = match build_body(sh, sc, first, vu) {
        Ok(b) => b,
        Err(_) => {
            settle.fail("template_error", false);
            return;
        }
    };
    vu.iter += 1;
    let t = (sh.rr.fetch_add(1, Ordering::Relaxed) % sh.targets.len() as u64) as usize;
    let timeout = sc.spec.request.timeout;
    let mut attempt = 0u32;
    let mut uncertain = false;
    loop {
        let t0 = if attempt == 0 { start } else { Instant::now() };
        let res = vu.attempt(sh, t, &sc.heads[t], body.clone(), timeout).await;
        m.req_duration.record(vu.id, t0.elapsed());
        m.http_reqs.fetch_add(1, Ordering::Relaxed);
        let (reason, retryable) = match res {
            Ok((status, received)) => {
                m.data_sent
                    .fetch_add(sc.wire_extra[t] + body.len() as u64, Ordering::Relaxed);
                m.data_received.fetch_add(received, Ordering::Relaxed);
                if (200..300).contains(&status) {
                    settle.accept();
                    break;
                }
                // capture may have published part of a batch before a 5xx.
                uncertain |= status >= 500;
                (status_key(status), matches!(status, 408 | 500 | 503))
            }
            Err(e) => {
                if e.uncertain {
                    m.data_sent
                        .fetch_add(sc.wire_extra[t] + body.len() as u64, Ordering::Relaxed);
                }
                uncertain |= e.uncertain;
                (e.reason.to_string(), true)
            }
        };
        m.attempt_failed(&reason);
        if !retryable || attempt >= sh.retries.max {
            settle.fail(&reason, uncertain);
            break;
        }
        let mut stop = sh.stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(backoff(&sh.retries, attempt)) => {}
            _ = until_stopped(&mut stop) => {
                settle.fail("interrupted", uncertain);
                break;
            }
        }
        attempt += 1;
    }
    m.iter_duration.record(vu.id, start.elapsed());
    m.iterations.fetch_add(1, Ordering::Relaxed);
}

/// When each iteration of an arrival-rate executor is due, as an offset from its start.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// `count` iterations, `interval` seconds apart, the first at 0.
    Constant {
        /// Seconds between iterations.
        interval: f64,
        /// How many.
        count: u64,
    },
    /// Linear ramps; each stage `(start s, duration s, rate/s at start, rate/s at end,
    /// iterations before it)`.
    Ramping {
        /// The stages.
        stages: Vec<(f64, f64, f64, f64, f64)>,
        /// Iterations in all.
        count: u64,
    },
}

impl Schedule {
    /// The schedule of an arrival-rate executor (`None` for constant-vus).
    pub fn of(e: &Executor) -> Option<Schedule> {
        match e {
            Executor::ConstantArrivalRate {
                rate,
                time_unit,
                duration,
                ..
            } => {
                let per_sec = rate / time_unit.as_secs_f64();
                let count = (per_sec * duration.as_secs_f64() + 1e-9).floor() as u64;
                Some(Schedule::Constant {
                    interval: 1.0 / per_sec,
                    count,
                })
            }
            Executor::RampingArrivalRate {
                start_rate,
                time_unit,
                stages,
                ..
            } => {
                let unit = time_unit.as_secs_f64();
                let mut out = Vec::new();
                let mut t = 0.0;
                let mut from = start_rate / unit;
                let mut before = 0.0;
                for s in stages {
                    let d = s.duration.as_secs_f64();
                    let to = s.target / unit;
                    if d > 0.0 {
                        out.push((t, d, from, to, before));
                        before += (from + to) / 2.0 * d;
                    }
                    t += d;
                    from = to;
                }
                Some(Schedule::Ramping {
                    stages: out,
                    count: (before + 1e-9).floor() as u64,
                })
            }
            Executor::ConstantVus { .. } => None,
        }
    }

    /// How many iterations it starts.
    pub fn count(&self) -> u64 {
        match self {
            Schedule::Constant { count, .. } | Schedule::Ramping { count, .. } => *count,
        }
    }

    /// When iteration `i` is due; `None` past the last.
    pub fn offset(&self, i: u64) -> Option<Duration> {
        if i >= self.count() {
            return None;
        }
        let secs = match self {
            Schedule::Constant { interval, .. } => i as f64 * interval,
            Schedule::Ramping { stages, .. } => {
                let k = i as f64;
                let idx = stages.partition_point(|s| s.4 <= k).max(1) - 1;
                let (start, d, r0, r1, before) = stages[idx];
                let m = k - before;
                let a = (r1 - r0) / (2.0 * d);
                let local = if a.abs() < 1e-12 {
                    if r0 > 0.0 {
                        m / r0
                    } else {
                        0.0
                    }
                } else {
                    (-r0 + (r0 * r0 + 4.0 * a * m).max(0.0).sqrt()) / (2.0 * a)
                };
                start + local.clamp(0.0, d)
            }
        };
        Some(Duration::from_secs_f64(secs.max(0.0)))
    }
}

/// Lets in-flight iterations finish within `grace` (shortened to [`INTERRUPT_GRACE`] by a
/// stop), then cuts the rest off.
async fn drain(tasks: &mut JoinSet<()>, grace: Duration, stop: &mut watch::Receiver<StopReason>) {
    let already = *stop.borrow() != StopReason::None;
    let mut deadline = Instant::now()
        + if already {
            grace.min(INTERRUPT_GRACE)
        } else {
            grace
        };
    let mut watching = !already;
    loop {
        tokio::select! {
            r = tasks.join_next() => if r.is_none() { return },
            _ = tokio::time::sleep_until(deadline) => break,
            _ = until_stopped(stop), if watching => {
                watching = false;
                deadline = deadline.min(Instant::now() + INTERRUPT_GRACE);
            }
        }
    }
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
}

async fn run_arrival(sh: Arc<Shared>, sc: Arc<ScenarioRt>, schedule: Schedule, pre: u64, max: u64) {
    let mut stop = sh.stop.clone();
    let idle: Arc<Mutex<Vec<Vu>>> = Arc::new(Mutex::new((0..pre).map(|_| Vu::new(&sh)).collect()));
    let mut allocated = pre;
    let mut tasks = JoinSet::new();
    let start = Instant::now();
    let batch = sc.spec.request.batch_size;
    let mut i = 0u64;
    'outer: while let Some(first_due) = schedule.offset(i) {
        let due = start + first_due;
        if due > Instant::now() {
            tokio::select! {
                _ = tokio::time::sleep_until(due) => {}
                _ = until_stopped(&mut stop) => break 'outer,
            }
        }
        let now = Instant::now();
        while let Some(off) = schedule.offset(i) {
            let due = start + off;
            if due > now {
                break;
            }
            let vu = idle.lock().pop().or_else(|| {
                (allocated < max).then(|| {
                    allocated += 1;
                    Vu::new(&sh)
                })
            });
            match vu {
                Some(mut vu) => {
                    let (sh2, sc2, idle2) = (sh.clone(), sc.clone(), idle.clone());
                    tasks.spawn(async move {
                        iteration(&sh2, &sc2, &mut vu, Some(due)).await;
                        idle2.lock().push(vu);
                    });
                }
                None => {
                    sh.metrics
                        .dropped_iterations
                        .fetch_add(1, Ordering::Relaxed);
                    sh.metrics
                        .events_dropped
                        .fetch_add(batch, Ordering::Relaxed);
                }
            }
            i += 1;
        }
        while tasks.try_join_next().is_some() {}
        if sh.stopped() {
            break;
        }
    }
    drain(&mut tasks, sc.spec.graceful_stop, &mut stop).await;
}

async fn run_vus(sh: Arc<Shared>, sc: Arc<ScenarioRt>, vus: u64, duration: Duration) {
    let mut stop = sh.stop.clone();
    let deadline = Instant::now() + duration;
    let mut tasks = JoinSet::new();
    for _ in 0..vus {
        let mut vu = Vu::new(&sh);
        let (sh2, sc2) = (sh.clone(), sc.clone());
        tasks.spawn(async move {
            while Instant::now() < deadline && !sh2.stopped() {
                iteration(&sh2, &sc2, &mut vu, None).await;
            }
        });
    }
    tokio::select! {
        _ = tokio::time::sleep_until(deadline) => {}
        _ = until_stopped(&mut stop) => {}
    }
    drain(&mut tasks, sc.spec.graceful_stop, &mut stop).await;
}

async fn run_scenario(sh: Arc<Shared>, spec: ScenarioSpec, executor: Executor) {
    let mut stop = sh.stop.clone();
    if !spec.start_time.is_zero() {
        tokio::select! {
            _ = tokio::time::sleep(spec.start_time) => {}
            _ = until_stopped(&mut stop) => return,
        }
    }
    let req = &spec.request;
    let query = req.encoding.query();
    let heads: Vec<RequestHead> = sh
        .targets
        .iter()
        .map(|t| {
            RequestHead::new(
                if query.is_empty() {
                    format!("{}{}", t.base_path, req.route)
                } else {
                    format!("{}{}?{}", t.base_path, req.route, query)
                },
                t.authority.clone(),
                req.encoding.content_type(),
            )
        })
        .collect();
    // Header bytes for a typical body; exact to a digit or two of Content-Length.
    let wire_extra = heads.iter().map(|h| h.wire_len(1000)).collect();
    let sc = Arc::new(ScenarioRt {
        spec: spec.clone(),
        heads,
        wire_extra,
    });
    match executor {
        Executor::ConstantVus { vus, duration } => run_vus(sh, sc, vus, duration).await,
        Executor::ConstantArrivalRate {
            pre_allocated_vus,
            max_vus,
            ..
        }
        | Executor::RampingArrivalRate {
            pre_allocated_vus,
            max_vus,
            ..
        } => {
            if let Some(schedule) = Schedule::of(&executor) {
                run_arrival(sh, sc, schedule, pre_allocated_vus, max_vus).await;
            }
        }
    }
}

/// Runs every scenario of `plan` concurrently (shard `shard` of `shards`) until they end or
/// the run is stopped.
pub async fn run_plan(sh: Arc<Shared>, plan: &LoadPlan, shard: u64, shards: u64) {
    let mut set = JoinSet::new();
    for spec in &plan.scenarios {
        let executor = spec.executor.shard(shard, shards.max(1));
        set.spawn(run_scenario(sh.clone(), spec.clone(), executor));
    }
    while set.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::scenario::Stage;

    #[test]
    fn constant_schedule() {
        let s = Schedule::of(&Executor::ConstantArrivalRate {
            rate: 10.0,
            time_unit: Duration::from_secs(1),
            duration: Duration::from_secs(3),
            pre_allocated_vus: 1,
            max_vus: 1,
        })
        .unwrap();
        assert_eq!(s.count(), 30);
        assert_eq!(s.offset(0), Some(Duration::ZERO));
        assert_eq!(s.offset(29).unwrap().as_millis(), 2900);
        assert_eq!(s.offset(30), None);
    }

    #[test]
    fn ramping_schedule_follows_the_integral() {
        // 0 → 10/s over 10 s (50 iterations), then 10/s for 5 s (50 more).
        let s = Schedule::of(&Executor::RampingArrivalRate {
            start_rate: 0.0,
            time_unit: Duration::from_secs(1),
            stages: vec![
                Stage {
                    duration: Duration::from_secs(10),
                    target: 10.0,
                },
                Stage {
                    duration: Duration::from_secs(5),
                    target: 10.0,
                },
            ],
            pre_allocated_vus: 1,
            max_vus: 1,
        })
        .unwrap();
        assert_eq!(s.count(), 100);
        // n(t) = t²/2 on the ramp: iteration 18 at t = 6 s.
        assert!((s.offset(18).unwrap().as_secs_f64() - 6.0).abs() < 1e-6);
        assert!((s.offset(50).unwrap().as_secs_f64() - 10.0).abs() < 1e-6);
        assert!((s.offset(75).unwrap().as_secs_f64() - 12.5).abs() < 1e-6);
        let mut last = Duration::ZERO;
        for i in 0..100 {
            let o = s.offset(i).unwrap();
            assert!(o >= last);
            last = o;
        }
    }

    #[test]
    fn backoff_grows_and_caps() {
        let p = RetryPolicy {
            max: 5,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
        };
        let b0 = backoff(&p, 0);
        assert!(b0 >= Duration::from_millis(50) && b0 <= Duration::from_millis(100));
        let b5 = backoff(&p, 5);
        assert!(b5 >= Duration::from_millis(150) && b5 <= Duration::from_millis(300));
    }
}
