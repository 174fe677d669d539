//! `e2e`: the chart from a fresh cluster to ingested events, in six timed phases:
//!
//! | phase | what it does |
//! |---|---|
//! | provision | creates the cluster ([`Lifecycle`]), or checks an existing one answers; waits for its nodes |
//! | install | helm install (or the previous chart, then upgrade) with the rollout watch of [`cluster::install`](crate::cluster::install) |
//! | checks | the live checks of [`cluster::check`](crate::cluster::check) |
//! | load | seeds a project token ([`seed`]), then runs the load as a Job inside the cluster against capture's Service ([`jobs`]) |
//! | verify | counts the load's events in ClickHouse through the API server's service proxy |
//! | teardown | deletes the cluster, or for `existing` uninstalls the release and its namespace |
//!
//! Teardown runs whatever happens: after a failed phase, a timeout, SIGINT or SIGTERM. The
//! cluster's teardown is the cluster module's own ([`Lifecycle::run`]); for `existing` it is
//! [`uninstall`](crate::cluster::uninstall), and only of a namespace this run created.
//!
//! How the run reaches the release: everything goes through the kubeconfig's API server. The
//! load Job's pods reach capture by its Service name, as any client inside the cluster would;
//! verify reaches ClickHouse through `/api/v1/namespaces/NS/services/NAME:8123/proxy/`, so no
//! port-forward and no exposed port is needed, and the tests' fake API server serves the same
//! path.

pub mod artifacts;
pub mod jobs;
pub mod phase;
pub mod plan;
pub mod seed;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Secret, Service};
use kube::api::{Api, ListParams};
use kube::Client;
use parking_lot::Mutex;

use crate::cluster::check::{
    find_service, run_checks, CheckOptions, ProbeTarget, Status as CheckStatus,
};
use crate::cluster::client;
use crate::cluster::command::{CommandSpec, Runner};
use crate::cluster::env::Env;
use crate::cluster::helm::{Helm, HelmValues};
use crate::cluster::install::{install, InstallSpec};
use crate::cluster::progress::{Log, ProgressMode};
use crate::cluster::provider::{Cluster, CreateOptions, ProviderKind};
use crate::cluster::rollout::{Thresholds, WatchOptions};
use crate::cluster::signals::{Interrupt, Signals};
use crate::cluster::state::StateFile;
use crate::cluster::teardown::{AfterWork, Lifecycle};
use crate::cluster::uninstall::{uninstall, UninstallOptions};
use crate::load::client::Target;
use crate::load::cluster::{run_in_cluster, JobSpec};
use crate::load::summary::Summary;
use crate::load::threshold::{parse_threshold, Threshold};
use crate::report::{Case, Status, Suite};
use crate::verify::source::{ClickHouse, Source, Transport};
use crate::verify::{Expectation, VerifySummary};
use artifacts::Artifacts;
pub use phase::{Phase, Timeouts};

/// The load scenario `e2e` runs when none is given.
pub const DEFAULT_SCENARIO: &str = include_str!("scenario.yaml");
/// The project token the default run seeds and loads with.
pub const DEFAULT_TOKEN: &str = "phc_charttest_e2e";

/// The load phase's settings.
#[derive(Clone, Debug)]
pub struct LoadSettings {
    /// The scenario: a name for messages and its text.
    pub scenario: (String, String),
    /// Its thresholds (parsed when the options were built).
    pub thresholds: Vec<Threshold>,
    /// The posthog-charttest image the Job runs.
    pub image: String,
    /// Pods of the Job.
    pub pods: u64,
    /// Import the image into the cluster's nodes first (k3s through k3d, kind).
    pub import_image: bool,
    /// The project token.
    pub token: String,
    /// Create a project with the token first.
    pub seed: bool,
}

/// The verify phase's settings.
#[derive(Clone, Debug)]
pub struct VerifySettings {
    /// ClickHouse user.
    pub user: String,
    /// ClickHouse password (default: read from the release's Secret `RELEASE-clickhouse`).
    pub password: Option<String>,
    /// Database.
    pub database: String,
    /// Events table.
    pub table: String,
    /// The stored-time column.
    pub stored_at: String,
    /// Highest acceptable share of missing events.
    pub max_loss: f64,
    /// Highest acceptable p99 ingestion lag.
    pub max_lag_p99: Duration,
}

/// The checks phase's settings.
#[derive(Clone, Debug)]
pub struct CheckSettings {
    /// Checks to skip.
    pub skip: Vec<String>,
    /// Unencrypted storage is a warning (always so on k3s and kind).
    pub allow_unencrypted_storage: bool,
    /// Probe the ingress at this URL.
    pub ingress_url: Option<String>,
    /// Image of the probe pod.
    pub probe_image: String,
}

/// Everything a run needs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Chart directory or `.tgz`.
    pub chart: String,
    /// The cluster (identity resolved by the provider; for `existing`, the kubeconfig).
    pub cluster: Cluster,
    /// What to create.
    pub create: CreateOptions,
    /// The state file of created clusters.
    pub state_file: PathBuf,
    /// Release name.
    pub release: String,
    /// The run's namespace.
    pub namespace: String,
    /// Values for helm.
    pub values: HelmValues,
    /// Install this chart first, then upgrade.
    pub upgrade_from: Option<String>,
    /// helm binary.
    pub helm_bin: String,
    /// Load settings.
    pub load: LoadSettings,
    /// Verify settings.
    pub verify: VerifySettings,
    /// Check settings.
    pub checks: CheckSettings,
    /// Where artifacts go.
    pub artifacts: PathBuf,
    /// Keep the cluster (or namespace) afterwards.
    pub keep: bool,
    /// Time limits.
    pub timeouts: Timeouts,
    /// How rollout progress is shown.
    pub progress: ProgressMode,
    /// How often the load Job and ClickHouse are polled.
    pub poll: Duration,
}

/// How a run ended.
#[derive(Debug)]
pub struct RunOutcome {
    /// One case per phase.
    pub suite: Suite,
    /// The signal that stopped it.
    pub interrupted: Option<Interrupt>,
    /// How to tear down later, with `--keep`.
    pub keep_hint: Option<String>,
}

impl RunOutcome {
    /// 0 when every phase passed, 1 when one failed, the signal's code when interrupted.
    pub fn exit_code(&self) -> i32 {
        match self.interrupted {
            Some(s) => s.exit_code(),
            None if self.suite.passed() => 0,
            None => 1,
        }
    }
}

/// The run's record of its phases, shared with the work that may be dropped by a signal.
#[derive(Default)]
struct Record {
    cases: BTreeMap<Phase, Case>,
    current: Option<(Phase, Instant)>,
    work_ended: Option<Instant>,
    namespace_touched: bool,
}

type Shared = Arc<Mutex<Record>>;

fn case(phase: Phase, status: Status, duration: Duration, detail: &str) -> Case {
    let detail = detail.trim_end();
    let first = detail.lines().next().unwrap_or("").to_string();
    Case {
        name: phase.name().to_string(),
        status,
        duration,
        detail: first.clone(),
        failure: (status == Status::Failed && detail != first).then(|| detail.to_string()),
    }
}

fn begin(rec: &Shared, log: &Log, phase: Phase, limit: Duration) -> Instant {
    let now = Instant::now();
    rec.lock().current = Some((phase, now));
    log.line(format!(
        "▶ {phase} (limit {})",
        crate::report::human_duration(limit)
    ));
    now
}

/// The live line of a phase's end.
fn show(log: &Log, c: &Case) {
    let mark = if c.status == Status::Passed {
        "✔"
    } else {
        "✘"
    };
    log.line(format!(
        "{mark} {} {} in {}: {}",
        c.name,
        c.status,
        crate::report::human_duration(c.duration),
        c.detail
    ));
}

fn end(rec: &Shared, log: &Log, phase: Phase, started: Instant, result: &Result<String, String>) {
    let d = started.elapsed();
    let (status, text) = match result {
        Ok(detail) => (Status::Passed, detail.as_str()),
        Err(e) => (Status::Failed, e.as_str()),
    };
    let c = case(phase, status, d, text);
    show(log, &c);
    let mut r = rec.lock();
    r.current = None;
    r.cases.insert(phase, c);
}

/// Runs one phase under its time limit, recording and showing it.
async fn timed<T, F>(
    rec: &Shared,
    log: &Log,
    phase: Phase,
    limit: Duration,
    fut: F,
) -> Result<T, String>
where
    F: Future<Output = Result<(T, String), String>>,
{
    let started = begin(rec, log, phase, limit);
    settle(rec, log, phase, started, limit, limit, fut).await
}

/// Waits `wait` at most for a phase begun at `started`, then records its end; a timeout is
/// reported against the phase's whole `limit`.
async fn settle<T, F>(
    rec: &Shared,
    log: &Log,
    phase: Phase,
    started: Instant,
    limit: Duration,
    wait: Duration,
    fut: F,
) -> Result<T, String>
where
    F: Future<Output = Result<(T, String), String>>,
{
    let result = match tokio::time::timeout(wait, fut).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "{phase} did not finish within {} (--timeout {phase}=DURATION)",
            crate::report::human_duration(limit)
        )),
    };
    let shown = result
        .as_ref()
        .map(|(_, d)| d.clone())
        .map_err(Clone::clone);
    end(rec, log, phase, started, &shown);
    result.map(|(v, _)| v)
}

/// Runs every phase; teardown whatever happens.
pub async fn run(opts: &Options, env: &Env, log: &Log, signals: &mut Signals) -> RunOutcome {
    let rec: Shared = Arc::new(Mutex::new(Record::default()));
    let artifacts = Artifacts {
        dir: opts.artifacts.clone(),
    };
    artifacts::learn_set_secrets(&opts.values, log);
    let provider = crate::cluster::providers::provider_of(&opts.cluster, env);
    let runner = Runner::new(env.clone(), log.clone());
    let life = Lifecycle {
        provider: provider.as_ref(),
        runner: runner.clone(),
        state: StateFile::new(&opts.state_file),
        keep: opts.keep,
        wait_nodes: None,
        setup_timeout: Some(opts.timeouts.get(Phase::Provision)),
    };
    let started = begin(
        &rec,
        log,
        Phase::Provision,
        opts.timeouts.get(Phase::Provision),
    );
    let work_rec = rec.clone();
    let outcome = life
        .run(opts.cluster.clone(), &opts.create, signals, |c: Cluster| {
            let rec = work_rec.clone();
            let artifacts = artifacts.clone();
            let runner = runner.clone();
            async move {
                let r = phases(opts, &c, &rec, log, &runner, &artifacts, started).await;
                rec.lock().work_ended = Some(Instant::now());
                r.map(|()| ((), AfterWork::Delete))
            }
        })
        .await;
    let life_ended = Instant::now();

    // Whatever the work did not get to record: the phase it was in when it failed or was
    // interrupted, and the phases after it.
    {
        let mut r = rec.lock();
        if let Some((phase, at)) = r.current.take() {
            let why = match (&outcome.interrupted, &outcome.result) {
                (Some(s), _) => format!("interrupted by {s}"),
                (None, Err(e)) if !e.is_empty() => e.clone(),
                _ => "did not finish".to_string(),
            };
            log.line(format!("✘ {phase} failed: {}", log.redact(&why)));
            r.cases
                .insert(phase, case(phase, Status::Failed, at.elapsed(), &why));
        }
        let mut reason: Option<String> = None;
        for p in &Phase::ALL[..5] {
            match r.cases.get(p) {
                Some(c) if c.status == Status::Failed => {
                    reason = Some(format!("{p} failed"));
                }
                Some(_) => {}
                None => {
                    let why = reason
                        .clone()
                        .or_else(|| outcome.interrupted.map(|s| format!("interrupted by {s}")))
                        .unwrap_or_else(|| "not reached".into());
                    r.cases
                        .insert(*p, case(*p, Status::Skipped, Duration::ZERO, &why));
                }
            }
        }
    }

    // Teardown.
    let mut keep_hint = None;
    let teardown = if opts.cluster.provider == ProviderKind::Existing {
        let touched = rec.lock().namespace_touched;
        if !touched {
            Some(case(
                Phase::Teardown,
                Status::Passed,
                Duration::ZERO,
                "nothing to tear down: the run created no namespace",
            ))
        } else if opts.keep {
            keep_hint = Some(format!(
                "posthog-charttest uninstall --release {} -n {} --kubeconfig {}{}",
                opts.release,
                opts.namespace,
                opts.cluster.kubeconfig.display(),
                opts.cluster
                    .context
                    .as_ref()
                    .map(|c| format!(" --context {c}"))
                    .unwrap_or_default()
            ));
            Some(case(
                Phase::Teardown,
                Status::Skipped,
                Duration::ZERO,
                &format!(
                    "--keep: release {} and namespace {} left in place",
                    opts.release, opts.namespace
                ),
            ))
        } else {
            let limit = opts.timeouts.get(Phase::Teardown);
            let t0 = begin(&rec, log, Phase::Teardown, limit);
            let fut = teardown_namespace(opts, log, &runner, limit);
            tokio::pin!(fut);
            // Not raced against signals: a second Ctrl-C must not leave a half-deleted release.
            let result = loop {
                tokio::select! {
                    r = &mut fut => break r,
                    s = signals.recv() => log.line(format!("{s} received: teardown of namespace {} continues", opts.namespace)),
                }
            };
            end(&rec, log, Phase::Teardown, t0, &result);
            None
        }
    } else {
        let from = rec.lock().work_ended.unwrap_or(life_ended);
        let d = life_ended.saturating_duration_since(from);
        let c = &outcome.cluster;
        let (status, detail) = if opts.keep {
            keep_hint = Some(format!(
                "posthog-charttest cluster delete --provider {} --name {}{} --state-file {}",
                c.provider,
                c.name,
                c.region
                    .as_ref()
                    .map(|r| format!(" --region {r}"))
                    .unwrap_or_default(),
                opts.state_file.display()
            ));
            (
                Status::Skipped,
                format!("--keep: cluster {} left running until it expires", c.name),
            )
        } else if let Some(e) = &outcome.delete_error {
            (Status::Failed, e.clone())
        } else if outcome.deleted {
            (
                Status::Passed,
                format!("deleted {} cluster {}", c.provider, c.name),
            )
        } else {
            (
                Status::Passed,
                "nothing to tear down: no cluster was created".to_string(),
            )
        };
        let tc = case(Phase::Teardown, status, d, &detail);
        if status != Status::Skipped {
            show(log, &tc);
        }
        Some(tc)
    };
    if let Some(tc) = teardown {
        rec.lock().cases.insert(Phase::Teardown, tc);
    }
    let r = rec.lock();
    let suite = Suite {
        name: "posthog-charttest e2e".into(),
        properties: properties(opts),
        cases: Phase::ALL
            .iter()
            .filter_map(|p| r.cases.get(p).cloned())
            .map(|mut c| {
                c.detail = log.redact(&c.detail);
                c.failure = c.failure.map(|f| log.redact(&f));
                c
            })
            .collect(),
    };
    RunOutcome {
        suite,
        interrupted: outcome.interrupted,
        keep_hint,
    }
}

/// The outcome of a run whose provider refused the cluster before anything ran (no region,
/// an unreadable kubeconfig): provision failed, nothing to tear down.
pub fn refused(opts: &Options, why: &str, log: &Log) -> RunOutcome {
    log.line(format!("✘ provision failed: {}", log.redact(why)));
    let mut cases = vec![case(Phase::Provision, Status::Failed, Duration::ZERO, why)];
    for p in &Phase::ALL[1..5] {
        cases.push(case(
            *p,
            Status::Skipped,
            Duration::ZERO,
            "provision failed",
        ));
    }
    cases.push(case(
        Phase::Teardown,
        Status::Passed,
        Duration::ZERO,
        "nothing to tear down: nothing was created",
    ));
    RunOutcome {
        suite: Suite {
            name: "posthog-charttest e2e".into(),
            properties: properties(opts),
            cases,
        },
        interrupted: None,
        keep_hint: None,
    }
}

/// The facts shown with the report.
pub fn properties(opts: &Options) -> Vec<(String, String)> {
    let c = &opts.cluster;
    let mut p = vec![
        ("provider".to_string(), c.provider.to_string()),
        ("run_id".to_string(), c.run_id.clone()),
    ];
    if c.provider != ProviderKind::Existing {
        p.push(("cluster".into(), c.name.clone()));
    }
    if let Some(v) = &opts.create.kube_version {
        p.push(("kube_version".into(), v.clone()));
    }
    p.push(("chart".into(), opts.chart.clone()));
    if let Some(f) = &opts.upgrade_from {
        p.push(("upgrade_from".into(), f.clone()));
    }
    p.push(("release".into(), opts.release.clone()));
    p.push(("namespace".into(), opts.namespace.clone()));
    p.push(("artifacts".into(), opts.artifacts.display().to_string()));
    p
}

/// Provision's end (client, API, nodes), then install, checks, load and verify.
async fn phases(
    opts: &Options,
    c: &Cluster,
    rec: &Shared,
    log: &Log,
    runner: &Runner,
    artifacts: &Artifacts,
    provision_started: Instant,
) -> Result<(), String> {
    // Provision, continued: the API answers and the nodes are Ready.
    let limit = opts.timeouts.get(Phase::Provision);
    let remaining = limit.saturating_sub(provision_started.elapsed());
    let provision = async {
        let kube = client::client(Some(&c.kubeconfig), c.context.as_deref(), log).await?;
        if c.provider == ProviderKind::Existing {
            // An existing cluster must answer now: fail fast rather than wait.
            kube.apiserver_version().await.map_err(|e| {
                format!(
                    "the cluster at {} does not answer: {}",
                    c.kubeconfig.display(),
                    log.redact(&e.to_string())
                )
            })?;
        }
        let nodes = client::wait_nodes_ready(&kube, remaining, log).await?;
        let version = kube
            .apiserver_version()
            .await
            .map(|v| v.git_version)
            .unwrap_or_else(|_| "unknown version".into());
        let what = if c.provider == ProviderKind::Existing {
            format!(
                "existing cluster{}",
                c.context
                    .as_ref()
                    .map(|x| format!(" (context {x})"))
                    .unwrap_or_default()
            )
        } else {
            format!("{} cluster {}", c.provider, c.name)
        };
        Ok::<_, String>((
            kube,
            format!(
                "{what}: Kubernetes {version}, {nodes} node{} Ready",
                if nodes == 1 { "" } else { "s" }
            ),
        ))
    };
    let kube = settle(
        rec,
        log,
        Phase::Provision,
        provision_started,
        limit,
        remaining,
        provision,
    )
    .await?;

    let helm = Helm {
        bin: opts.helm_bin.clone(),
        kubeconfig: Some(c.kubeconfig.clone()),
        context: c.context.clone(),
    };
    rec.lock().namespace_touched = true;
    timed(
        rec,
        log,
        Phase::Install,
        opts.timeouts.get(Phase::Install),
        install_phase(opts, c, &kube, &helm, runner, artifacts, log),
    )
    .await?;
    timed(
        rec,
        log,
        Phase::Checks,
        opts.timeouts.get(Phase::Checks),
        checks_phase(opts, &kube, artifacts, log),
    )
    .await?;
    let summary = timed(
        rec,
        log,
        Phase::Load,
        opts.timeouts.get(Phase::Load),
        load_phase(opts, c, &kube, runner, artifacts, log),
    )
    .await?;
    timed(
        rec,
        log,
        Phase::Verify,
        opts.timeouts.get(Phase::Verify),
        verify_phase(opts, &kube, &summary, artifacts, log),
    )
    .await?;
    Ok(())
}

async fn install_phase(
    opts: &Options,
    c: &Cluster,
    kube: &Client,
    helm: &Helm,
    runner: &Runner,
    artifacts: &Artifacts,
    log: &Log,
) -> Result<((), String), String> {
    if let Some(from) = &opts.upgrade_from {
        if let Ok((path, _guard)) =
            crate::cluster::install::resolve_previous(&opts.chart, from).await
        {
            artifacts::render_manifests(artifacts, "previous", &path, opts, log);
        }
    }
    let name = std::path::Path::new(&opts.chart)
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".tgz").to_string())
        .unwrap_or_else(|| "chart".into());
    artifacts::render_manifests(artifacts, &name, &opts.chart, opts, log);
    let spec = InstallSpec {
        chart: opts.chart.clone(),
        release: opts.release.clone(),
        namespace: opts.namespace.clone(),
        values: opts.values.clone(),
        upgrade_from: opts.upgrade_from.clone(),
        reuse_namespace: false,
        run_id: c.run_id.clone(),
        expires_at: c.expires_at,
        watch: WatchOptions {
            thresholds: Thresholds::default(),
            timeout: opts.timeouts.get(Phase::Install),
            log_lines: 30,
        },
        artifacts: artifacts.path("diagnostics"),
        progress: opts.progress,
    };
    let report = install(kube, helm, runner, &spec)
        .await
        .map_err(|e| e.to_string())?;
    let steps: Vec<String> = report
        .steps
        .iter()
        .map(|s| {
            format!(
                "{} {:.1}s ({} workloads)",
                s.action,
                s.duration.as_secs_f64(),
                s.workloads.len()
            )
        })
        .collect();
    Ok((
        (),
        format!(
            "release {} in namespace {}: {}",
            opts.release,
            report.namespace,
            steps.join(", then ")
        ),
    ))
}

async fn checks_phase(
    opts: &Options,
    kube: &Client,
    artifacts: &Artifacts,
    log: &Log,
) -> Result<((), String), String> {
    let limit = opts.timeouts.get(Phase::Checks);
    let local = opts.cluster.provider.is_local();
    let check_opts = CheckOptions {
        namespace: opts.namespace.clone(),
        max_restarts: 3,
        skip: opts.checks.skip.clone(),
        probe_image: opts.checks.probe_image.clone(),
        targets: ProbeTarget::posthog_defaults(),
        probe_timeout: limit.min(Duration::from_secs(120)),
        ingress_url: opts.checks.ingress_url.clone(),
        ingress_timeout: limit.min(Duration::from_secs(120)),
        unencrypted_storage: if local || opts.checks.allow_unencrypted_storage {
            CheckStatus::Warn
        } else {
            CheckStatus::Fail
        },
    };
    let results = run_checks(kube, &check_opts, log).await;
    for r in &results {
        log.line(format!("  {:<4}  {}  {}", r.status, r.name, r.detail));
    }
    artifacts.write(
        "checks.json",
        &(serde_json::to_string_pretty(&results).unwrap_or_default() + "\n"),
        log,
    );
    let failed: Vec<_> = results
        .iter()
        .filter(|r| r.status == CheckStatus::Fail)
        .collect();
    let warned = results
        .iter()
        .filter(|r| r.status == CheckStatus::Warn)
        .count();
    let counts = format!(
        "{} passed, {warned} warned, {} failed",
        results.len() - failed.len() - warned,
        failed.len()
    );
    if failed.is_empty() {
        Ok(((), format!("{} checks: {counts}", results.len())))
    } else {
        let mut msg = format!(
            "{} failed: {}",
            failed
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            counts
        );
        for r in &failed {
            msg.push_str(&format!("\n{}: {}", r.name, r.detail));
        }
        Err(msg)
    }
}

/// Services of the namespace without the headless ones (the service proxy needs a ClusterIP).
async fn services(kube: &Client, ns: &str) -> Result<Vec<Service>, String> {
    Ok(Api::<Service>::namespaced(kube.clone(), ns)
        .list(&ListParams::default())
        .await
        .map_err(|e| format!("listing Services in {ns}: {e}"))?
        .items
        .into_iter()
        .filter(|s| s.spec.as_ref().and_then(|sp| sp.cluster_ip.as_deref()) != Some("None"))
        .collect())
}

fn service_target(name: &str, port: u16) -> ProbeTarget {
    ProbeTarget {
        name: name.into(),
        host: None,
        port,
        kind: crate::cluster::check::ProbeKind::Tcp,
    }
}

/// The command that copies the load image into a local cluster's nodes.
pub fn import_image_cmd(c: &Cluster, image: &str) -> Option<CommandSpec> {
    match (c.provider, c.backend.as_deref()) {
        (ProviderKind::K3s, Some("k3d")) => Some(
            CommandSpec::new(
                "k3d",
                ["image", "import", image, "--cluster", c.name.as_str()],
            )
            .purpose("copy the load image into the k3d cluster's nodes"),
        ),
        (ProviderKind::Kind, _) => Some(
            CommandSpec::new(
                "kind",
                ["load", "docker-image", image, "--name", c.name.as_str()],
            )
            .purpose("copy the load image into the kind cluster's nodes"),
        ),
        _ => None,
    }
}

/// The load Job of a run.
pub fn load_job(opts: &Options, capture_url: &str) -> JobSpec {
    let run_id = &opts.cluster.run_id;
    JobSpec {
        name: format!(
            "charttest-load-{}",
            run_id.to_ascii_lowercase().replace('_', "-")
        ),
        namespace: opts.namespace.clone(),
        image: opts.load.image.clone(),
        shards: opts.load.pods,
        scenario: opts.load.scenario.1.clone(),
        run_id: run_id.clone(),
        threads: 0,
        extra_args: crate::cli::load::target_args(
            &[capture_url.to_string()],
            Some(&opts.load.token),
        ),
    }
}

async fn load_phase(
    opts: &Options,
    c: &Cluster,
    kube: &Client,
    runner: &Runner,
    artifacts: &Artifacts,
    log: &Log,
) -> Result<(Summary, String), String> {
    let limit = opts.timeouts.get(Phase::Load);
    let started = Instant::now();
    let svcs = services(kube, &opts.namespace).await?;
    let capture = find_service(&service_target("capture", 3000), &svcs).ok_or_else(|| {
        format!(
            "no capture Service with port 3000 in namespace {} (is capture.enabled false?)",
            opts.namespace
        )
    })?;
    let capture_url = format!("http://{capture}.{}.svc:3000", opts.namespace);
    if opts.load.import_image {
        match import_image_cmd(c, &opts.load.image) {
            Some(cmd) => {
                runner.run(&cmd).await.map_err(|e| e.to_string())?;
            }
            None => log.line(format!(
                "--import-image: the {} provider has no image import; the nodes pull {}",
                c.provider, opts.load.image
            )),
        }
    }
    if opts.load.seed {
        let msg = seed::run(
            kube,
            &opts.namespace,
            &c.run_id,
            &opts.load.token,
            limit.saturating_sub(started.elapsed()),
            opts.poll,
        )
        .await
        .map_err(|e| format!("seeding the project token failed: {e}"))?;
        log.line(msg);
    }
    let spec = load_job(opts, &capture_url);
    let cancel = Arc::new(AtomicBool::new(false));
    // Stops the blocking wait when this phase is dropped (timeout or signal).
    struct Stop(Arc<AtomicBool>);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let _stop = Stop(cancel.clone());
    let backend = jobs::KubeJobs {
        client: kube.clone(),
        handle: tokio::runtime::Handle::current(),
        cancel,
    };
    let job_log = log.clone();
    let poll = opts.poll;
    let job_limit = limit.saturating_sub(started.elapsed());
    log.line(format!(
        "load: {} pod{} of {} against {capture_url}",
        spec.shards,
        if spec.shards == 1 { "" } else { "s" },
        spec.image
    ));
    let merged = tokio::task::spawn_blocking(move || {
        run_in_cluster(&backend, &spec, job_limit, poll, false, |m| job_log.line(m))
    })
    .await
    .map_err(|e| format!("the load task failed: {e}"))?;
    let mut summary = merged?;
    let ok = summary.apply_thresholds(&opts.load.thresholds);
    artifacts.write(
        "load-summary.json",
        &(serde_json::to_string_pretty(&summary).unwrap_or_default() + "\n"),
        log,
    );
    artifacts.write("load.txt", &summary.text(), log);
    let e = &summary.events;
    let p95 = summary.http_req_duration.p95;
    let detail = format!(
        "{} of {} events accepted ({} failed, {} dropped), p(95)={}",
        e.accepted,
        e.sent,
        e.failed,
        e.dropped,
        crate::load::summary::ms(p95)
    );
    if !ok {
        let crossed: Vec<String> = summary
            .thresholds
            .iter()
            .filter(|v| !v.ok)
            .map(|v| {
                format!(
                    "{} (observed {})",
                    v.name,
                    v.observed.map_or("no data".into(), |o| format!("{o:.4}"))
                )
            })
            .collect();
        return Err(format!(
            "thresholds crossed: {}; {detail}\n{}",
            crossed.join(", "),
            summary.text().trim_end()
        ));
    }
    if e.accepted == 0 {
        return Err(format!("capture accepted no events; {detail}"));
    }
    Ok((summary, detail))
}

async fn verify_phase(
    opts: &Options,
    kube: &Client,
    load: &Summary,
    artifacts: &Artifacts,
    log: &Log,
) -> Result<((), String), String> {
    let limit = opts.timeouts.get(Phase::Verify);
    let svcs = services(kube, &opts.namespace).await?;
    let ch = find_service(&service_target("clickhouse", 8123), &svcs).ok_or_else(|| {
        format!(
            "no ClickHouse Service with port 8123 in namespace {} (with an external ClickHouse, run `posthog-charttest verify` against it)",
            opts.namespace
        )
    })?;
    let password = match &opts.verify.password {
        Some(p) => Some(p.clone()),
        None => clickhouse_password(kube, &opts.namespace, &opts.release).await,
    };
    if let Some(p) = &password {
        log.learn(|r| r.add(p));
    }
    let url = Target::parse(&format!("http://{ch}.{}.svc:8123", opts.namespace))?;
    let source = Source::ClickHouse(ClickHouse {
        url,
        transport: Transport::KubeProxy {
            client: kube.clone(),
            prefix: Transport::proxy_prefix(&opts.namespace, &ch, 8123),
        },
        database: opts.verify.database.clone(),
        table: opts.verify.table.clone(),
        user: opts.verify.user.clone(),
        password,
        stored_at: opts.verify.stored_at.clone(),
        team_id: None,
        timeout: Duration::from_secs(60).min(limit),
    });
    let thresholds = vec![
        parse_threshold("event_loss", &format!("rate<={}", opts.verify.max_loss))?,
        parse_threshold(
            "ingestion_lag",
            &format!("p(99)<{}", opts.verify.max_lag_p99.as_secs_f64() * 1000.0),
        )?,
    ];
    let progress_log = log.clone();
    // Leave a little of the phase for the report after the last poll.
    let poll_for = limit
        .saturating_sub(Duration::from_secs(1))
        .max(Duration::from_secs(1));
    let mut summary = crate::cli::verify::poll(
        &source,
        &load.run_id,
        Some(Expectation::from_summary(load)),
        poll_for,
        opts.poll,
        |s: &VerifySummary| progress_log.line(s.progress_line(poll_for)),
    )
    .await?;
    let ok = summary.apply_thresholds(&thresholds);
    artifacts.write(
        "verify-summary.json",
        &(serde_json::to_string_pretty(&summary).unwrap_or_default() + "\n"),
        log,
    );
    artifacts.write("verify.txt", &summary.text(), log);
    let e = &summary.events;
    let detail = format!(
        "{} of {} events in ClickHouse ({} missing, {} duplicated), lag p(99)={}",
        e.delivered,
        e.expected,
        e.missing,
        e.duplicated,
        crate::load::summary::ms(summary.ingestion_lag.p99)
    );
    if ok && summary.complete {
        Ok(((), detail))
    } else {
        let mut msg = detail.clone();
        if e.missing > 0 {
            msg = format!(
                "{} events missing from ClickHouse (seq {}); {detail}",
                e.missing,
                summary.missing_seqs.describe(20)
            );
        }
        for v in summary.thresholds.iter().filter(|v| !v.ok) {
            msg.push_str(&format!(
                "\nthreshold crossed: {} (observed {})",
                v.name,
                v.observed.map_or("no data".into(), |o| format!("{o:.4}"))
            ));
        }
        Err(msg)
    }
}

/// The ClickHouse password from the release's Secret, when it has one.
async fn clickhouse_password(kube: &Client, ns: &str, release: &str) -> Option<String> {
    let secrets: Api<Secret> = Api::namespaced(kube.clone(), ns);
    let name = if release.contains("posthog") {
        format!("{release}-clickhouse")
    } else {
        format!("{release}-posthog-clickhouse")
    };
    let s = secrets.get_opt(&name).await.ok()??;
    let v = s.data?.get("clickhouse-password")?.0.clone();
    String::from_utf8(v).ok()
}

async fn teardown_namespace(
    opts: &Options,
    log: &Log,
    runner: &Runner,
    limit: Duration,
) -> Result<String, String> {
    let c = &opts.cluster;
    let go = async {
        let kube = client::client(Some(&c.kubeconfig), c.context.as_deref(), log).await?;
        let helm = Helm {
            bin: opts.helm_bin.clone(),
            kubeconfig: Some(c.kubeconfig.clone()),
            context: c.context.clone(),
        };
        let uo = UninstallOptions {
            release: opts.release.clone(),
            namespace: opts.namespace.clone(),
            delete_namespace: true,
            force_namespace: false,
            finalizer_grace: Duration::from_secs(30).min(limit / 2),
            timeout: limit,
        };
        let r = uninstall(&kube, &helm, runner, &uo).await?;
        if let Some(e) = r.helm_error {
            return Err(format!(
                "helm uninstall failed: {e}; namespace {} {}",
                opts.namespace,
                if r.namespace_deleted {
                    "was deleted all the same"
                } else {
                    "is still there"
                }
            ));
        }
        let mut detail = format!(
            "uninstalled release {} and deleted namespace {}",
            opts.release, opts.namespace
        );
        if !r.cleared.is_empty() {
            detail.push_str(&format!(
                " (cleared stuck finalizers of {})",
                r.cleared.join(", ")
            ));
        }
        Ok(detail)
    };
    match tokio::time::timeout(limit, go).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "teardown did not finish within {} (--timeout teardown=DURATION); namespace {} may remain",
            crate::report::human_duration(limit),
            opts.namespace
        )),
    }
}
