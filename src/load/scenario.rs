//! The scenario file: k6's options vocabulary (`scenarios`, `executor`, `rate`, `timeUnit`,
//! `preAllocatedVUs`, `maxVUs`, `stages`, `vus`, `duration`, `startTime`, `gracefulStop`,
//! `thresholds`) plus what a capture request needs (`targets`, `token`, `request`, `event`,
//! `retries`).
//!
//! ```yaml
//! targets: [http://127.0.0.1:3000]
//! token: phc_charttest
//! request: {route: /batch, encoding: gzip, batchSize: 10, timeout: 10s}
//! event:
//!   name: $pageview
//!   distinctIds: {pool: 1000}
//!   properties:
//!     $current_url: 'https://example.com/{{ random_int(min=1, max=50) }}'
//! scenarios:
//!   steady:
//!     executor: constant-arrival-rate
//!     rate: 200
//!     timeUnit: 1s
//!     duration: 1m
//!     preAllocatedVUs: 20
//!     maxVUs: 100
//! thresholds:
//!   http_req_duration: ["p(95)<500"]
//!   http_req_failed: ["rate<0.01"]
//! ```

use std::sync::Arc;
use std::time::Duration;

use super::encode::Encoding;
use super::template::{EventSpec, EventTemplate};
use super::threshold::{parse_threshold, Threshold};
use super::yamlcfg::{ConfigError, Field};
use crate::engine::yaml::parse_nodes;

/// The capture routes a scenario may post to.
pub const ROUTES: [&str; 4] = ["/e", "/i/v0/e", "/batch", "/capture"];

/// One stage of a ramping executor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    /// How long the ramp lasts.
    pub duration: Duration,
    /// The rate (iterations per `timeUnit`) reached at its end.
    pub target: f64,
}

/// How iterations are started.
#[derive(Debug, Clone, PartialEq)]
pub enum Executor {
    /// A fixed number of iterations per `time_unit`, whatever the response times (open
    /// model); an iteration that finds no free VU is dropped and counted.
    ConstantArrivalRate {
        /// Iterations per `time_unit`.
        rate: f64,
        /// The rate's period.
        time_unit: Duration,
        /// How long.
        duration: Duration,
        /// VUs started up front.
        pre_allocated_vus: u64,
        /// The most VUs ever running.
        max_vus: u64,
    },
    /// Rates ramped linearly through stages (open model).
    RampingArrivalRate {
        /// The rate at the start.
        start_rate: f64,
        /// The rates' period.
        time_unit: Duration,
        /// The ramps.
        stages: Vec<Stage>,
        /// VUs started up front.
        pre_allocated_vus: u64,
        /// The most VUs ever running.
        max_vus: u64,
    },
    /// A fixed number of VUs, each running iterations back to back (closed model).
    ConstantVus {
        /// How many VUs.
        vus: u64,
        /// How long.
        duration: Duration,
    },
}

impl Executor {
    /// k6's name for it.
    pub fn name(&self) -> &'static str {
        match self {
            Executor::ConstantArrivalRate { .. } => "constant-arrival-rate",
            Executor::RampingArrivalRate { .. } => "ramping-arrival-rate",
            Executor::ConstantVus { .. } => "constant-vus",
        }
    }

    /// How long it schedules iterations (without graceful stop).
    pub fn duration(&self) -> Duration {
        match self {
            Executor::ConstantArrivalRate { duration, .. }
            | Executor::ConstantVus { duration, .. } => *duration,
            Executor::RampingArrivalRate { stages, .. } => stages.iter().map(|s| s.duration).sum(),
        }
    }

    /// The most VUs it may run.
    pub fn max_vus(&self) -> u64 {
        match self {
            Executor::ConstantArrivalRate { max_vus, .. }
            | Executor::RampingArrivalRate { max_vus, .. } => *max_vus,
            Executor::ConstantVus { vus, .. } => *vus,
        }
    }

    /// Whether latency is measured from the intended start (arrival-rate executors).
    pub fn is_open(&self) -> bool {
        !matches!(self, Executor::ConstantVus { .. })
    }

    /// This shard's part of the load when `shards` pods share it: rates divided, VUs split
    /// (the first `vus % shards` shards take one more).
    pub fn shard(&self, shard: u64, shards: u64) -> Executor {
        let split = |n: u64| n / shards + u64::from(shard < n % shards);
        let split_min1 = |n: u64| (n.div_ceil(shards)).max(1);
        let k = shards as f64;
        match self.clone() {
            Executor::ConstantArrivalRate {
                rate,
                time_unit,
                duration,
                pre_allocated_vus,
                max_vus,
            } => Executor::ConstantArrivalRate {
                rate: rate / k,
                time_unit,
                duration,
                pre_allocated_vus: split_min1(pre_allocated_vus),
                max_vus: split_min1(max_vus),
            },
            Executor::RampingArrivalRate {
                start_rate,
                time_unit,
                stages,
                pre_allocated_vus,
                max_vus,
            } => Executor::RampingArrivalRate {
                start_rate: start_rate / k,
                time_unit,
                stages: stages
                    .into_iter()
                    .map(|s| Stage {
                        duration: s.duration,
                        target: s.target / k,
                    })
                    .collect(),
                pre_allocated_vus: split_min1(pre_allocated_vus),
                max_vus: split_min1(max_vus),
            },
            Executor::ConstantVus { vus, duration } => Executor::ConstantVus {
                vus: split(vus),
                duration,
            },
        }
    }
}

/// What each iteration sends.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// The capture route.
    pub route: String,
    /// The body encoding.
    pub encoding: Encoding,
    /// Events per request.
    pub batch_size: u64,
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// The events.
    pub event: Arc<EventTemplate>,
}

/// One named scenario.
#[derive(Debug, Clone)]
pub struct ScenarioSpec {
    /// Its name.
    pub name: String,
    /// How it starts iterations.
    pub executor: Executor,
    /// Delay from the start of the run.
    pub start_time: Duration,
    /// How long in-flight iterations may finish after the scenario's duration.
    pub graceful_stop: Duration,
    /// What it sends.
    pub request: RequestSpec,
}

/// When and how often failed attempts are retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max: u32,
    /// The first backoff; it doubles per retry, with jitter.
    pub backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max: 3,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// A parsed scenario file.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// The run id from the file, if it names one.
    pub run_id: Option<String>,
    /// Base URLs; iterations take them in turn.
    pub targets: Vec<String>,
    /// The project token.
    pub token: String,
    /// Retry policy.
    pub retries: RetryPolicy,
    /// Scenarios, in file order.
    pub scenarios: Vec<ScenarioSpec>,
    /// Thresholds, in file order.
    pub thresholds: Vec<Threshold>,
}

const TOP_KEYS: &[&str] = &[
    "runId",
    "targets",
    "token",
    "request",
    "event",
    "retries",
    "scenarios",
    "thresholds",
];
const REQUEST_KEYS: &[&str] = &["route", "encoding", "batchSize", "timeout"];
const EVENT_KEYS: &[&str] = &[
    "name",
    "distinctId",
    "distinctIds",
    "properties",
    "uuid",
    "timestamp",
];
const SCENARIO_KEYS: &[&str] = &[
    "executor",
    "rate",
    "timeUnit",
    "duration",
    "preAllocatedVUs",
    "maxVUs",
    "startRate",
    "stages",
    "vus",
    "startTime",
    "gracefulStop",
    "request",
    "event",
];

/// Parses a scenario file. `file` names it in errors; `run_id` (the command line's, or
/// generated) is used when the file has none, and is what the distinct id pool sees.
pub fn parse_plan(
    file: &str,
    src: &str,
    run_id_override: Option<&str>,
) -> Result<LoadPlan, ConfigError> {
    let docs = parse_nodes(src).map_err(|e| ConfigError {
        file: file.to_string(),
        line: e.line().unwrap_or(0),
        column: 0,
        path: String::new(),
        message: e.message().to_string(),
    })?;
    let Some(doc) = docs.first() else {
        return Err(ConfigError {
            file: file.to_string(),
            line: 0,
            column: 0,
            path: String::new(),
            message: "the scenario file is empty".into(),
        });
    };
    let root = Field::root(file, doc);
    let top = root.entries(TOP_KEYS)?;
    let get = |k: &str| top.iter().find(|(n, _)| n == k).map(|(_, f)| f);
    let file_run_id = get("runId").map(|f| f.string()).transpose()?;
    if let Some(id) = &file_run_id {
        if !valid_run_id(id) {
            return Err(get("runId")
                .map(|f| f.error("use letters, digits, `-` and `_` only (at most 64)"))
                .unwrap_or_else(|| root.error("bad runId")));
        }
    }
    let run_id = run_id_override
        .map(str::to_string)
        .or(file_run_id.clone())
        .unwrap_or_default();

    let targets_field = get("targets").ok_or_else(|| {
        root.error(
            "missing `targets`: the capture base URLs, e.g. targets: [http://127.0.0.1:3000]",
        )
    })?;
    let targets = match targets_field.node().as_scalar() {
        Some(_) => vec![targets_field.string()?],
        None => targets_field
            .items()?
            .iter()
            .map(|f| f.string())
            .collect::<Result<Vec<_>, _>>()?,
    };
    if targets.is_empty() {
        return Err(targets_field.error("give at least one base URL"));
    }
    for (i, t) in targets.iter().enumerate() {
        if let Err(msg) = super::client::Target::parse(t) {
            let at = targets_field
                .items()
                .ok()
                .and_then(|items| items.into_iter().nth(i));
            return Err(match at {
                Some(f) => f.error(msg),
                None => targets_field.error(msg),
            });
        }
    }
    let token = match get("token") {
        Some(f) => f.string()?,
        None => return Err(root.error("missing `token`: the project API key capture expects")),
    };

    let retries = match get("retries") {
        None => RetryPolicy::default(),
        Some(f) => {
            let mut r = RetryPolicy::default();
            for (k, v) in f.entries(&["max", "backoff", "maxBackoff"])? {
                match k.as_str() {
                    "max" => r.max = v.count(0)?.min(100) as u32,
                    "backoff" => r.backoff = v.duration()?,
                    _ => r.max_backoff = v.duration()?,
                }
            }
            r
        }
    };

    let default_request = get("request");
    let default_event = get("event");

    let scenarios_field = get("scenarios").ok_or_else(|| {
        root.error("missing `scenarios`: name at least one, e.g. scenarios: {steady: {executor: constant-vus, vus: 1, duration: 10s}}")
    })?;
    let mut scenarios = Vec::new();
    for (name, f) in scenarios_field.entries(&[])? {
        scenarios.push(parse_scenario(
            &name,
            &f,
            default_request,
            default_event,
            &run_id,
        )?);
    }
    if scenarios.is_empty() {
        return Err(scenarios_field.error("name at least one scenario"));
    }

    let mut thresholds = Vec::new();
    if let Some(f) = get("thresholds") {
        for (metric, v) in f.entries(&[])? {
            let items = match v.node().as_scalar() {
                Some(_) => vec![v],
                None => v.items()?,
            };
            for item in items {
                let (text, abort) = match item.node().as_scalar() {
                    Some(_) => (item.string()?, false),
                    None => {
                        let mut text = None;
                        let mut abort = false;
                        for (k, x) in
                            item.entries(&["threshold", "abortOnFail", "delayAbortEval"])?
                        {
                            match k.as_str() {
                                "threshold" => text = Some(x.string()?),
                                "abortOnFail" => abort = x.boolean()?,
                                _ => {
                                    x.duration()?;
                                }
                            }
                        }
                        (
                            text.ok_or_else(|| item.error("missing `threshold`"))?,
                            abort,
                        )
                    }
                };
                let mut t = parse_threshold(&metric, &text).map_err(|m| item.error(m))?;
                t.abort_on_fail = abort;
                thresholds.push(t);
            }
        }
    }

    Ok(LoadPlan {
        run_id: file_run_id,
        targets,
        token,
        retries,
        scenarios,
        thresholds,
    })
}

/// Whether a run id is safe to embed in queries and Kubernetes names.
pub fn valid_run_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn parse_request(
    fields: &[Option<&Field<'_>>],
    event: &Field<'_>,
    event_template: Arc<EventTemplate>,
) -> Result<RequestSpec, ConfigError> {
    let mut r = RequestSpec {
        route: "/e".into(),
        encoding: Encoding::Json,
        batch_size: 1,
        timeout: Duration::from_secs(60),
        event: event_template,
    };
    let _ = event;
    // Later sections (the scenario's) override earlier ones (the file's defaults).
    for f in fields.iter().flatten() {
        for (k, v) in f.entries(REQUEST_KEYS)? {
            match k.as_str() {
                "route" => {
                    let route = v.string()?;
                    let bare = route.trim_end_matches('/');
                    if !ROUTES.contains(&bare) {
                        return Err(v.error(format!(
                            "unknown capture route {route:?}; use one of {}",
                            ROUTES.join(", ")
                        )));
                    }
                    r.route = route;
                }
                "encoding" => {
                    let e = v.string()?;
                    r.encoding = Encoding::parse(&e).ok_or_else(|| {
                        v.error(format!(
                            "unknown encoding {e:?}; use one of json, gzip, base64, lz64, form"
                        ))
                    })?;
                }
                "batchSize" => r.batch_size = v.count(1)?,
                _ => r.timeout = v.duration()?,
            }
        }
    }
    Ok(r)
}

fn parse_event(
    f: Option<&Field<'_>>,
    at: &Field<'_>,
    run_id: &str,
) -> Result<EventTemplate, ConfigError> {
    let entries = match f {
        Some(f) => f.entries(EVENT_KEYS)?,
        None => Vec::new(),
    };
    let get = |k: &str| entries.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let mut spec = EventSpec {
        name: get("name"),
        distinct_id: get("distinctId"),
        properties: get("properties"),
        pool: 1000,
        pool_format: None,
        uuid: true,
        timestamp: true,
    };
    if let Some(u) = get("uuid") {
        spec.uuid = u.boolean()?;
    }
    if let Some(t) = get("timestamp") {
        spec.timestamp = t.boolean()?;
    }
    if let Some(d) = get("distinctIds") {
        for (k, v) in d.entries(&["pool", "format"])? {
            match k.as_str() {
                "pool" => spec.pool = v.count(1)?.min(10_000_000),
                _ => spec.pool_format = Some(v),
            }
        }
    }
    let site = f.unwrap_or(at);
    EventTemplate::compile(spec, site, run_id)
}

fn parse_scenario(
    name: &str,
    f: &Field<'_>,
    default_request: Option<&Field<'_>>,
    default_event: Option<&Field<'_>>,
    run_id: &str,
) -> Result<ScenarioSpec, ConfigError> {
    if !valid_run_id(name) {
        return Err(f.error("scenario names use letters, digits, `-` and `_` only"));
    }
    let entries = f.entries(SCENARIO_KEYS)?;
    let get = |k: &str| entries.iter().find(|(n, _)| n == k).map(|(_, v)| v);
    let need =
        |k: &str, what: &str| get(k).ok_or_else(|| f.error(format!("missing `{k}` ({what})")));
    let executor_field = need(
        "executor",
        "constant-arrival-rate, ramping-arrival-rate or constant-vus",
    )?;
    let executor_name = executor_field.string()?;
    let time_unit = match get("timeUnit") {
        Some(v) => {
            let d = v.duration()?;
            if d.is_zero() {
                return Err(v.error("must be longer than 0"));
            }
            d
        }
        None => Duration::from_secs(1),
    };
    let positive_duration = |v: &Field<'_>| -> Result<Duration, ConfigError> {
        let d = v.duration()?;
        if d.is_zero() {
            Err(v.error("must be longer than 0"))
        } else {
            Ok(d)
        }
    };
    let vus_pair = || -> Result<(u64, u64), ConfigError> {
        let pre = need("preAllocatedVUs", "VUs started up front")?.count(1)?;
        let max = match get("maxVUs") {
            Some(v) => {
                let m = v.count(1)?;
                if m < pre {
                    return Err(v.error(format!("must be at least preAllocatedVUs ({pre})")));
                }
                m
            }
            None => pre,
        };
        Ok((pre, max))
    };
    let allowed_for = |exec: &str| -> &'static [&'static str] {
        match exec {
            "constant-arrival-rate" => {
                &["rate", "timeUnit", "duration", "preAllocatedVUs", "maxVUs"]
            }
            "ramping-arrival-rate" => &[
                "startRate",
                "timeUnit",
                "stages",
                "preAllocatedVUs",
                "maxVUs",
            ],
            _ => &["vus", "duration"],
        }
    };
    let executor = match executor_name.as_str() {
        "constant-arrival-rate" => {
            let (pre_allocated_vus, max_vus) = vus_pair()?;
            Executor::ConstantArrivalRate {
                rate: need("rate", "iterations per timeUnit")?.positive()?,
                time_unit,
                duration: positive_duration(need("duration", "how long, e.g. 30s")?)?,
                pre_allocated_vus,
                max_vus,
            }
        }
        "ramping-arrival-rate" => {
            let (pre_allocated_vus, max_vus) = vus_pair()?;
            let start_rate = match get("startRate") {
                Some(v) => {
                    let r = v.number()?;
                    if r < 0.0 {
                        return Err(v.error("must not be negative"));
                    }
                    r
                }
                None => 0.0,
            };
            let stages_field = need("stages", "a list of {duration, target}")?;
            let mut stages = Vec::new();
            for s in stages_field.items()? {
                let mut duration = None;
                let mut target = None;
                for (k, v) in s.entries(&["duration", "target"])? {
                    if k == "duration" {
                        duration = Some(v.duration()?);
                    } else {
                        let t = v.number()?;
                        if t < 0.0 {
                            return Err(v.error("must not be negative"));
                        }
                        target = Some(t);
                    }
                }
                stages.push(Stage {
                    duration: duration.ok_or_else(|| s.error("missing `duration`"))?,
                    target: target.ok_or_else(|| s.error("missing `target`"))?,
                });
            }
            if stages.iter().all(|s| s.duration.is_zero()) {
                return Err(stages_field.error("give at least one stage with a duration"));
            }
            Executor::RampingArrivalRate {
                start_rate,
                time_unit,
                stages,
                pre_allocated_vus,
                max_vus,
            }
        }
        "constant-vus" => Executor::ConstantVus {
            vus: match get("vus") {
                Some(v) => v.count(1)?,
                None => 1,
            },
            duration: positive_duration(need("duration", "how long, e.g. 30s")?)?,
        },
        "ramping-vus" | "shared-iterations" | "per-vu-iterations" | "externally-controlled" => {
            return Err(executor_field.error(format!(
                "k6's {executor_name} is not supported; use constant-arrival-rate, ramping-arrival-rate or constant-vus"
            )))
        }
        other => {
            return Err(executor_field.error(format!(
                "unknown executor {other:?}; use constant-arrival-rate, ramping-arrival-rate or constant-vus"
            )))
        }
    };
    // A field of another executor is almost always a mistake (k6 rejects it too).
    let common = ["executor", "startTime", "gracefulStop", "request", "event"];
    let allowed = allowed_for(&executor_name);
    for (k, v) in &entries {
        if !common.contains(&k.as_str()) && !allowed.contains(&k.as_str()) && k != "timeUnit" {
            return Err(v.error(format!(
                "`{k}` does not apply to {executor_name} (it takes {})",
                allowed.join(", ")
            )));
        }
        if k == "timeUnit" && !allowed.contains(&"timeUnit") {
            return Err(v.error(format!("`timeUnit` does not apply to {executor_name}")));
        }
    }
    let start_time = get("startTime")
        .map(|v| v.duration())
        .transpose()?
        .unwrap_or_default();
    let graceful_stop = get("gracefulStop")
        .map(|v| v.duration())
        .transpose()?
        .unwrap_or(Duration::from_secs(30));
    let event_field = get("event").or(default_event);
    let event = Arc::new(parse_event(event_field, f, run_id)?);
    let request = parse_request(&[default_request, get("request")], f, event)?;
    Ok(ScenarioSpec {
        name: name.to_string(),
        executor,
        start_time,
        graceful_stop,
        request,
    })
}
