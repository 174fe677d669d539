//! `posthog-charttest load`: runs a k6-style scenario against capture and reports what was
//! accepted, failed and dropped, with k6's summary, thresholds and exit codes.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use tokio::sync::watch;

use super::Outcome;
use crate::load::cluster::{run_in_cluster, JobSpec, Kubectl, SUMMARY_LINE_PREFIX};
use crate::load::runner::StopReason;
use crate::load::scenario::{parse_plan, valid_run_id};
use crate::load::summary::{junit, Summary};
use crate::load::yamlcfg::parse_duration;
use crate::load::{check_reachable, execute, RunOptions};

/// k6's exit code when thresholds fail.
pub const EXIT_THRESHOLDS: i32 = 99;
/// k6's exit code for an invalid configuration.
pub const EXIT_INVALID_CONFIG: i32 = 104;
/// k6's exit code for a run stopped by a signal.
pub const EXIT_INTERRUPTED: i32 = 105;

fn duration_arg(s: &str) -> Result<Duration, String> {
    parse_duration(s).ok_or_else(|| format!("{s:?} is not a duration like 500ms, 30s or 5m"))
}

/// Flags of `load`.
#[derive(Args, Debug, Clone)]
pub struct LoadArgs {
    /// The scenario file (YAML, k6's vocabulary).
    #[arg(long, short = 's')]
    pub scenario: PathBuf,
    /// The run id every event carries (default: the file's `runId`, else generated).
    #[arg(long)]
    pub run_id: Option<String>,
    /// Write the summary as JSON to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub summary_export: Option<PathBuf>,
    /// Write each threshold as a JUnit test case to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// No progress line and no text summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// How often the progress line is refreshed.
    #[arg(long, default_value = "1s", value_parser = duration_arg)]
    pub progress_every: Duration,
    /// Worker threads (default: one per CPU).
    #[arg(long)]
    pub threads: Option<usize>,
    /// This process's shard of the load, 0-based (set by `--in-cluster` pods from
    /// JOB_COMPLETION_INDEX).
    #[arg(long, env = "JOB_COMPLETION_INDEX", default_value_t = 0)]
    pub shard: u64,
    /// How many shards share the load (rates and VUs are divided among them).
    #[arg(long, default_value_t = 1)]
    pub shards: u64,
    /// Print the JSON summary on one `charttest-summary: ` line (what `--in-cluster` collects).
    #[arg(long)]
    pub summary_line: bool,
    /// How long the start-up reachability check waits for each target.
    #[arg(long, default_value = "5s", value_parser = duration_arg)]
    pub connect_timeout: Duration,
    /// Run the load as a Kubernetes Job of N pods and merge their summaries.
    #[arg(long, value_name = "N")]
    pub in_cluster: Option<u64>,
    /// The posthog-charttest image for `--in-cluster` (build it from the repository's
    /// Dockerfile).
    #[arg(long)]
    pub image: Option<String>,
    /// Namespace of the Job for `--in-cluster`.
    #[arg(long, short = 'n', default_value = "default")]
    pub namespace: String,
    /// kubectl binary for `--in-cluster`.
    #[arg(long, default_value = "kubectl")]
    pub kubectl: String,
    /// kubeconfig context for `--in-cluster`.
    #[arg(long)]
    pub context: Option<String>,
    /// How long to wait for the Job's pods.
    #[arg(long, default_value = "1h", value_parser = duration_arg)]
    pub job_timeout: Duration,
    /// Keep the Job and its ConfigMap after the run.
    #[arg(long)]
    pub keep_job: bool,
    /// Send to this capture base URL instead of the scenario's `targets` (repeatable; taken in
    /// turn). `e2e` points its Job's pods at capture's Service this way.
    #[arg(long = "target", value_name = "URL")]
    pub target: Vec<String>,
    /// Use this project token instead of the scenario's `token`.
    #[arg(long)]
    pub token: Option<String>,
}

/// A run id that sorts by time and is a valid Kubernetes name part.
pub fn generate_run_id() -> String {
    let now = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let tail: String = uuid::Uuid::new_v4().simple().to_string()[..6].to_string();
    format!("ct-{now}-{tail}")
}

fn write_file(path: &PathBuf, text: &str) -> Result<(), String> {
    if path.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(text.as_bytes())
            .and_then(|_| out.flush())
            .map_err(|e| format!("writing the summary to standard output: {e}"));
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// What a command reports at its end (shared by `load` and `verify`).
pub struct Report<'a> {
    /// The JSON summary.
    pub summary_json: &'a str,
    /// The text summary.
    pub text: &'a str,
    /// Whether every threshold holds.
    pub thresholds_ok: bool,
    /// The JUnit document.
    pub junit_xml: String,
    /// `--summary-export`.
    pub summary_export: Option<&'a PathBuf>,
    /// `--junit`.
    pub junit_path: Option<&'a PathBuf>,
    /// Whether a signal stopped the run.
    pub interrupted: bool,
    /// `--quiet`.
    pub quiet: bool,
}

/// Writes `--summary-export` and `--junit` and decides the exit code.
pub fn finish(r: Report<'_>) -> Outcome {
    let mut out = Outcome::default();
    if !r.quiet {
        out.stdout.push_str(r.text);
    }
    if let Some(p) = r.summary_export {
        if let Err(e) = write_file(p, &format!("{}\n", r.summary_json)) {
            out.stderr.push_str(&format!("Error: {e}\n"));
            out.exit = 1;
        }
    }
    if let Some(p) = r.junit_path {
        if let Err(e) = write_file(p, &r.junit_xml) {
            out.stderr.push_str(&format!("Error: {e}\n"));
            out.exit = 1;
        }
    }
    if out.exit == 0 {
        out.exit = if r.interrupted {
            EXIT_INTERRUPTED
        } else if !r.thresholds_ok {
            out.stderr.push_str("Error: thresholds crossed\n");
            EXIT_THRESHOLDS
        } else {
            0
        };
    }
    out
}

/// Runs `load`.
pub fn run(args: &LoadArgs) -> Outcome {
    let file = args.scenario.display().to_string();
    let src = match std::fs::read_to_string(&args.scenario) {
        Ok(s) => s,
        Err(e) => {
            let mut o = Outcome::error(format!("cannot read scenario {file}: {e}"));
            o.exit = EXIT_INVALID_CONFIG;
            return o;
        }
    };
    if let Some(id) = &args.run_id {
        if !valid_run_id(id) {
            let mut o = Outcome::error(format!(
                "--run-id {id:?}: use letters, digits, `-` and `_` only (at most 64)"
            ));
            o.exit = EXIT_INVALID_CONFIG;
            return o;
        }
    }
    if args.shards == 0 || args.shard >= args.shards {
        let mut o = Outcome::error(format!(
            "--shard {} must be below --shards {}",
            args.shard, args.shards
        ));
        o.exit = EXIT_INVALID_CONFIG;
        return o;
    }
    // The file's runId only decides when no --run-id is given; parse once to learn it.
    let run_id = match &args.run_id {
        Some(id) => id.clone(),
        None => match parse_plan(&file, &src, None) {
            Ok(p) => p.run_id.unwrap_or_else(generate_run_id),
            Err(e) => {
                let mut o = Outcome::error(e.to_string());
                o.exit = EXIT_INVALID_CONFIG;
                return o;
            }
        },
    };
    let mut plan = match parse_plan(&file, &src, Some(&run_id)) {
        Ok(p) => p,
        Err(e) => {
            let mut o = Outcome::error(e.to_string());
            o.exit = EXIT_INVALID_CONFIG;
            return o;
        }
    };
    if !args.target.is_empty() {
        for t in &args.target {
            if let Err(e) = crate::load::client::Target::parse(t) {
                let mut o = Outcome::error(format!("--target: {e}"));
                o.exit = EXIT_INVALID_CONFIG;
                return o;
            }
        }
        plan.targets = args.target.clone();
    }
    if let Some(t) = &args.token {
        plan.token = t.clone();
    }

    if let Some(n) = args.in_cluster {
        return run_cluster(args, n, &src, &run_id, &plan.thresholds);
    }

    // One thread: a current-thread runtime, without the work-stealing scheduler's overhead.
    let mut builder = if args.threads == Some(1) {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    builder.enable_all();
    if let Some(t) = args.threads.filter(|t| *t > 1) {
        builder.worker_threads(t);
    }
    let rt = match builder.build() {
        Ok(rt) => rt,
        Err(e) => return Outcome::error(format!("cannot start the runtime: {e}")),
    };
    let opts = RunOptions {
        run_id: run_id.clone(),
        shard: args.shard,
        shards: args.shards,
        progress_every: args.progress_every,
        connect_timeout: args.connect_timeout,
    };
    let result = rt.block_on(async {
        check_reachable(&plan, opts.connect_timeout).await?;
        let (stop_tx, _) = watch::channel(StopReason::None);
        let signal_tx = stop_tx.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            let _ = signal_tx.send(StopReason::Interrupted);
        });
        let tty = std::io::stderr().is_terminal();
        let quiet = args.quiet;
        let mut ticks = 0u64;
        // Off a terminal, one line every ten refreshes keeps CI logs readable.
        let (summary, reason) = execute(&plan, &opts, stop_tx, |p| {
            ticks += 1;
            if quiet {
                return;
            }
            let mut err = std::io::stderr().lock();
            if tty {
                let _ = write!(err, "\r\x1b[2K{}", p.line());
            } else if ticks % 10 == 0 {
                let _ = writeln!(err, "{}", p.line());
            }
            let _ = err.flush();
        })
        .await;
        if tty && !quiet {
            let _ = writeln!(std::io::stderr());
        }
        Ok::<_, String>((summary, reason))
    });
    // Stop the runtime without waiting for connection tasks still open.
    rt.shutdown_background();
    let (summary, reason) = match result {
        Ok(r) => r,
        Err(e) => return Outcome::error(e),
    };
    report(args, &summary, reason == StopReason::Interrupted)
}

fn report(args: &LoadArgs, summary: &Summary, interrupted: bool) -> Outcome {
    let json = match serde_json::to_string(summary) {
        Ok(j) => j,
        Err(e) => return Outcome::error(format!("cannot serialise the summary: {e}")),
    };
    let ok = summary.thresholds.iter().all(|v| v.ok);
    let mut out = finish(Report {
        summary_json: &json,
        text: &summary.text(),
        thresholds_ok: ok,
        junit_xml: junit(
            "posthog-charttest load",
            &summary.thresholds,
            summary.duration_s,
        ),
        summary_export: args.summary_export.as_ref(),
        junit_path: args.junit.as_ref(),
        interrupted,
        quiet: args.quiet,
    });
    if args.summary_line {
        out.stdout
            .push_str(&format!("{SUMMARY_LINE_PREFIX}{json}\n"));
    }
    out
}

fn run_cluster(
    args: &LoadArgs,
    n: u64,
    src: &str,
    run_id: &str,
    thresholds: &[crate::load::threshold::Threshold],
) -> Outcome {
    if n == 0 {
        return Outcome::error("--in-cluster needs at least 1 pod");
    }
    let Some(image) = &args.image else {
        let mut o = Outcome::error(
            "--in-cluster needs --image: build the tool's image with `docker build -t REGISTRY/posthog-charttest:TAG .` from the repository and push it",
        );
        o.exit = EXIT_INVALID_CONFIG;
        return o;
    };
    let spec = JobSpec {
        name: format!(
            "charttest-load-{}",
            run_id.to_ascii_lowercase().replace('_', "-")
        ),
        namespace: args.namespace.clone(),
        image: image.clone(),
        shards: n,
        scenario: src.to_string(),
        run_id: run_id.to_string(),
        threads: args.threads.unwrap_or(0),
        extra_args: target_args(&args.target, args.token.as_deref()),
    };
    let backend = Kubectl {
        bin: args.kubectl.clone(),
        context: args.context.clone(),
    };
    let quiet = args.quiet;
    let merged = run_in_cluster(
        &backend,
        &spec,
        args.job_timeout,
        Duration::from_secs(5),
        args.keep_job,
        |m| {
            if !quiet {
                eprintln!("{m}");
            }
        },
    );
    match merged {
        Ok(mut summary) => {
            summary.apply_thresholds(thresholds);
            let interrupted = summary.stopped.as_deref() == Some("interrupted");
            report(args, &summary, interrupted)
        }
        Err(e) => Outcome::error(e),
    }
}

/// The `--target` and `--token` arguments that hand overrides on to the Job's pods.
pub fn target_args(targets: &[String], token: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for t in targets {
        out.push("--target".to_string());
        out.push(t.clone());
    }
    if let Some(t) = token {
        out.push("--token".to_string());
        out.push(t.to_string());
    }
    out
}

/// Resolves on Ctrl-C, or SIGTERM (a pod being stopped).
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
