//! `posthog-charttest e2e`: provision a cluster, install the chart, check it, load it from
//! inside the cluster, verify every event reached ClickHouse, and tear down whatever happens;
//! each phase timed and reported (table, JSON, JUnit, GitHub step summary).
//!
//! Exit codes: 0 every phase passed; 1 a phase failed; 2 a usage error (bad flags, an
//! unreadable scenario); 130 or 143 when SIGINT or SIGTERM stopped the run (after teardown).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::cluster::{new_run_id, now_from, parse_duration, target_cluster, StateArgs, TargetArgs};
use super::install::ValuesArgs;
use super::Outcome;
use crate::cluster::env::Env;
use crate::cluster::progress::{Log, ProgressMode};
use crate::cluster::provider::{Cluster, CreateOptions};
use crate::cluster::providers::provider_for;
use crate::cluster::signals::Signals;
use crate::cluster::state::StateFile;
use crate::e2e::{
    artifacts, plan, CheckSettings, LoadSettings, Options, Timeouts, VerifySettings,
    DEFAULT_SCENARIO, DEFAULT_TOKEN,
};
use crate::report::{self, Suite};

/// Exit code for a usage error.
pub const EXIT_USAGE: i32 = 2;

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// JUnit XML: a test case per phase.
    Junit,
    /// JSON.
    Json,
}

/// `e2e`.
#[derive(Args, Debug)]
pub struct E2eArgs {
    /// Chart directory or packaged `.tgz`.
    #[arg(default_value = "charts/posthog")]
    pub chart: String,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub state: StateArgs,
    /// Kubernetes version (`1.31` for clouds; a full `1.31.4` for kind and k3s).
    #[arg(long = "kube-version")]
    pub kube_version: Option<String>,
    /// Number of nodes (default 1 locally, 3 in clouds).
    #[arg(long)]
    pub nodes: Option<u32>,
    /// Machine type, VM size or droplet size.
    #[arg(long = "node-size")]
    pub node_size: Option<String>,
    /// Node image (kind, k3d).
    #[arg(long = "node-image")]
    pub node_image: Option<String>,
    /// Time to live of the cluster and namespace (`cluster reap` deletes them after it).
    #[arg(long, default_value = "3h")]
    pub ttl: String,
    /// Run id: cluster name, namespace, labels and the load's events carry it (default:
    /// random).
    #[arg(long = "run-id", env = "CHARTTEST_RUN_ID")]
    pub run_id: Option<String>,
    /// Release name.
    #[arg(long, default_value = "posthog")]
    pub release: String,
    /// Namespace (default `charttest-<run id>`); created by the run and labelled as its own.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Install this previous chart first, then upgrade to CHART: a git ref, a chart
    /// directory or a `.tgz`.
    #[arg(long = "upgrade-from", value_name = "REF|DIR|TGZ")]
    pub upgrade_from: Option<String>,
    /// helm binary to run.
    #[arg(long = "helm-bin", env = "HELM_BIN", default_value = "helm")]
    pub helm_bin: String,
    /// The load scenario (default: 6,000 events over 30 s; see the README). Its targets and
    /// token are replaced by capture's Service and `--token`.
    #[arg(long, short = 's')]
    pub scenario: Option<PathBuf>,
    /// The posthog-charttest image the load Job runs (build it from the repository's
    /// Dockerfile).
    #[arg(long = "load-image", default_value = concat!("posthog-charttest:", env!("CARGO_PKG_VERSION")))]
    pub load_image: String,
    /// Pods of the load Job.
    #[arg(long = "load-pods", default_value_t = 1)]
    pub load_pods: u64,
    /// Copy the load image from the local Docker into the cluster's nodes (k3s through k3d,
    /// kind), for an image that is in no registry.
    #[arg(long = "import-image")]
    pub import_image: bool,
    /// The project token the load sends with.
    #[arg(long, default_value = DEFAULT_TOKEN)]
    pub token: String,
    /// Don't create a project with the token before the load (it already has one).
    #[arg(long = "no-seed")]
    pub no_seed: bool,
    /// Skip a live check (`reach` skips all reachability checks, `reach/kafka` one).
    #[arg(long = "skip-check", value_name = "CHECK")]
    pub skip_check: Vec<String>,
    /// Report storage known to be unencrypted as a warning, not a failure (always so on k3s
    /// and kind).
    #[arg(long = "allow-unencrypted-storage")]
    pub allow_unencrypted_storage: bool,
    /// Probe the ingress at this URL instead of its load balancer address.
    #[arg(long = "ingress-url")]
    pub ingress_url: Option<String>,
    /// Image of the reachability probe pod (needs sh, wget and nc).
    #[arg(long = "probe-image", default_value = "busybox:1.36")]
    pub probe_image: String,
    /// ClickHouse user for verify.
    #[arg(long = "clickhouse-user", default_value = "posthog")]
    pub clickhouse_user: String,
    /// ClickHouse password (default: from the release's Secret; never printed).
    #[arg(
        long = "clickhouse-password",
        env = "CLICKHOUSE_PASSWORD",
        hide_env_values = true
    )]
    pub clickhouse_password: Option<String>,
    /// ClickHouse database.
    #[arg(long, default_value = "posthog")]
    pub database: String,
    /// The events table.
    #[arg(long, default_value = "events")]
    pub table: String,
    /// The column with the time ClickHouse stored an event.
    #[arg(long = "stored-at", default_value = "inserted_at")]
    pub stored_at: String,
    /// Highest acceptable share of missing events (0: every event must arrive).
    #[arg(long = "max-loss", default_value_t = 0.0)]
    pub max_loss: f64,
    /// Highest acceptable p99 ingestion lag.
    #[arg(long = "max-lag-p99", default_value = "2m")]
    pub max_lag_p99: String,
    /// Where the manifests, diagnostics, summaries and reports go (default
    /// `target/e2e/<run id>`).
    #[arg(long)]
    pub artifacts: Option<PathBuf>,
    /// Also write the report in this format to `--report-file` (both formats are always in
    /// the artifacts directory).
    #[arg(long, value_enum)]
    pub report: Option<ReportFormat>,
    /// Where `--report` goes (default: `report.json` or `junit.xml` in the artifacts).
    #[arg(long = "report-file")]
    pub report_file: Option<PathBuf>,
    /// Leave the cluster (or, for `existing`, the release and namespace) in place and print
    /// how to tear it down later.
    #[arg(long)]
    pub keep: bool,
    /// Print every phase's commands and API actions; do nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// A phase's time limit, `PHASE=DURATION` (repeatable): provision (30m), install (20m),
    /// checks (5m), load (15m), verify (10m), teardown (20m).
    #[arg(long = "timeout", value_name = "PHASE=DURATION")]
    pub timeout: Vec<String>,
    /// How rollout progress is shown.
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: ProgressMode,
    /// How often the load Job and ClickHouse are polled.
    #[arg(long = "poll-interval", default_value = "5s", hide = true)]
    pub poll_interval: String,
    /// Current time (RFC 3339), for reproducible plans.
    #[arg(long, hide = true)]
    pub now: Option<String>,
}

fn usage(msg: impl AsRef<str>) -> Outcome {
    let mut o = Outcome::error(msg);
    o.exit = EXIT_USAGE;
    o
}

/// Builds the run's options from the flags; `Err` is a usage error. The second value is the
/// provider's objection to the cluster (no region, an unreadable kubeconfig): in a run that is
/// a failed provision phase, in a dry run a usage error.
pub fn options(a: &E2eArgs, env: &Env) -> Result<(Options, Option<String>), String> {
    let timeouts = Timeouts::parse(&a.timeout)?;
    let now = now_from(&a.now)?;
    let ttl = parse_duration(&a.ttl).map_err(|e| format!("--ttl: {e}"))?;
    let run_id = a.run_id.clone().unwrap_or_else(new_run_id);
    if !crate::load::scenario::valid_run_id(&run_id) {
        return Err(format!(
            "--run-id {run_id:?}: use letters, digits, `-` and `_` only"
        ));
    }
    if !crate::e2e::seed::valid_token(&a.token) {
        return Err(format!(
            "--token {:?}: use letters, digits, `_` and `-` only",
            a.token
        ));
    }
    if a.load_pods == 0 {
        return Err("--load-pods must be at least 1".into());
    }
    if !(0.0..=1.0).contains(&a.max_loss) {
        return Err("--max-loss is a share between 0 and 1".into());
    }
    let max_lag_p99 = parse_duration(&a.max_lag_p99).map_err(|e| format!("--max-lag-p99: {e}"))?;
    let poll = crate::load::yamlcfg::parse_duration(&a.poll_interval)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("--poll-interval {:?} is not a duration", a.poll_interval))?;
    let scenario = match &a.scenario {
        Some(p) => (
            p.display().to_string(),
            std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read scenario {}: {e}", p.display()))?,
        ),
        None => (
            "built-in e2e scenario".to_string(),
            DEFAULT_SCENARIO.to_string(),
        ),
    };
    let plan = crate::load::scenario::parse_plan(&scenario.0, &scenario.1, Some(&run_id))
        .map_err(|e| e.to_string())?;
    let state = StateFile::new(&a.state.state_file);
    let provider = provider_for(a.target.provider, env);
    let expires_at = now + ttl.as_secs() as i64;
    let (cluster, objection) = match target_cluster(
        &a.target,
        &state,
        env,
        provider.as_ref(),
        &run_id,
        expires_at,
    ) {
        Ok(c) => (c, None),
        Err(e) => (
            Cluster {
                provider: a.target.provider,
                name: a
                    .target
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("charttest-{run_id}")),
                region: a.target.region.clone(),
                project: a.target.project.clone(),
                resource_group: a.target.resource_group.clone(),
                resource_group_owned: false,
                run_id: run_id.clone(),
                expires_at,
                kubeconfig: a.target.kubeconfig.clone().unwrap_or_default(),
                context: a.target.context.clone(),
                backend: None,
                pid: None,
                data_dir: None,
            },
            Some(e),
        ),
    };
    let local = a.target.provider.is_local();
    let create = CreateOptions {
        kube_version: a.kube_version.clone(),
        nodes: a.nodes.unwrap_or(if local { 1 } else { 3 }),
        node_size: a.node_size.clone(),
        image: a.node_image.clone(),
    };
    let artifacts = a
        .artifacts
        .clone()
        .unwrap_or_else(|| artifacts::default_dir(&run_id));
    Ok((
        Options {
            chart: a.chart.clone(),
            namespace: a.namespace.clone().unwrap_or_else(|| {
                format!(
                    "charttest-{}",
                    run_id.to_ascii_lowercase().replace('_', "-")
                )
            }),
            cluster,
            create,
            state_file: a.state.state_file.clone(),
            release: a.release.clone(),
            values: a.values.helm_values(),
            upgrade_from: a.upgrade_from.clone(),
            helm_bin: a.helm_bin.clone(),
            load: LoadSettings {
                scenario,
                thresholds: plan.thresholds,
                image: a.load_image.clone(),
                pods: a.load_pods,
                import_image: a.import_image,
                token: a.token.clone(),
                seed: !a.no_seed,
            },
            verify: VerifySettings {
                user: a.clickhouse_user.clone(),
                password: a.clickhouse_password.clone(),
                database: a.database.clone(),
                table: a.table.clone(),
                stored_at: a.stored_at.clone(),
                max_loss: a.max_loss,
                max_lag_p99,
            },
            checks: CheckSettings {
                skip: a.skip_check.clone(),
                allow_unencrypted_storage: a.allow_unencrypted_storage,
                ingress_url: a.ingress_url.clone(),
                probe_image: a.probe_image.clone(),
            },
            artifacts,
            keep: a.keep,
            timeouts,
            progress: a.progress,
            poll,
        },
        objection,
    ))
}

/// Runs `e2e`.
pub fn run(args: E2eArgs) -> Outcome {
    run_with(args, Env::from_process(), Log::stderr())
}

/// Runs `e2e` with an explicit environment and log (tests).
pub fn run_with(a: E2eArgs, env: Env, log: Log) -> Outcome {
    let (opts, objection) = match options(&a, &env) {
        Ok(o) => o,
        Err(e) => return usage(log.redact(&e)),
    };
    if let Some(e) = objection {
        if a.dry_run {
            return usage(log.redact(&e));
        }
        let outcome = crate::e2e::refused(&opts, &e, &log);
        return finish(
            &a,
            &opts,
            &env,
            &log,
            &outcome.suite,
            None,
            outcome.exit_code(),
        );
    }
    if a.dry_run {
        return match plan::describe(&opts, &env) {
            Ok(text) => Outcome {
                exit: 0,
                stdout: text,
                stderr: String::new(),
            },
            Err(e) => usage(log.redact(&e)),
        };
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return Outcome::error(format!("cannot start the async runtime: {e}")),
    };
    let outcome = rt.block_on(async {
        let mut signals = Signals::install().map_err(|e| format!("cannot handle signals: {e}"))?;
        Ok::<_, String>(crate::e2e::run(&opts, &env, &log, &mut signals).await)
    });
    rt.shutdown_background();
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => return Outcome::error(e),
    };
    finish(
        &a,
        &opts,
        &env,
        &log,
        &outcome.suite,
        outcome.keep_hint.as_deref(),
        outcome.exit_code(),
    )
}

/// Writes the reports, the GitHub step summary and annotations, and builds the outcome.
fn finish(
    a: &E2eArgs,
    opts: &Options,
    env: &Env,
    log: &Log,
    suite: &Suite,
    keep_hint: Option<&str>,
    exit: i32,
) -> Outcome {
    let art = artifacts::Artifacts {
        dir: opts.artifacts.clone(),
    };
    let table = report::table::write(suite);
    let json = report::json::write(suite);
    let junit = report::junit::write(suite);
    art.write("report.json", &json, log);
    art.write("junit.xml", &junit, log);
    art.write("summary.txt", &table, log);
    let mut out = Outcome {
        exit,
        stdout: String::new(),
        stderr: String::new(),
    };
    if let Some(fmt) = a.report {
        let (text, default) = match fmt {
            ReportFormat::Junit => (&junit, "junit.xml"),
            ReportFormat::Json => (&json, "report.json"),
        };
        let path = a.report_file.clone().unwrap_or_else(|| art.path(default));
        let written = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|_| std::fs::write(&path, log.redact(text)));
        if let Err(e) = written {
            out.stderr
                .push_str(&format!("Error: cannot write {}: {e}\n", path.display()));
        }
    }
    out.stdout.push_str(&table);
    if let Some(h) = keep_hint {
        out.stdout
            .push_str(&format!("kept; tear down later with:\n  {h}\n"));
    }
    out.stdout
        .push_str(&format!("artifacts: {}\n", opts.artifacts.display()));
    if report::github::active(env) {
        out.stdout
            .push_str(&log.redact(&report::github::annotations(suite)));
        if let Some(path) = env.get("GITHUB_STEP_SUMMARY") {
            use std::io::Write as _;
            let appended = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| {
                    f.write_all(log.redact(&report::github::step_summary(suite)).as_bytes())
                });
            if let Err(e) = appended {
                out.stderr.push_str(&format!(
                    "warning: cannot write the step summary {path}: {e}\n"
                ));
            }
        }
    }
    for c in suite.failed() {
        out.stderr.push_str(&format!(
            "Error: {} failed: {}\n",
            c.name,
            c.failure.as_deref().unwrap_or(&c.detail)
        ));
    }
    out
}
