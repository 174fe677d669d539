//! `posthog-charttest verify`: counts a load run's events in ClickHouse (or through PostHog's
//! query API), names the missing ones, measures ingestion lag, and applies thresholds.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use clap::Args;
use tokio::time::Instant;

use super::load::{finish, wait_for_signal, Report, EXIT_INVALID_CONFIG};
use super::Outcome;
use crate::load::client::Target;
use crate::load::scenario::valid_run_id;
use crate::load::summary::{junit, Summary};
use crate::load::threshold::parse_threshold;
use crate::load::yamlcfg::parse_duration;
use crate::verify::source::{ClickHouse, HogQl, Source};
use crate::verify::{infer_expectation, Expectation, VerifySummary};

fn duration_arg(s: &str) -> Result<Duration, String> {
    parse_duration(s).ok_or_else(|| format!("{s:?} is not a duration like 500ms, 30s or 5m"))
}

/// Flags of `verify`.
#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    /// The run to verify (default: the run id of `--summary`).
    #[arg(long)]
    pub run_id: Option<String>,
    /// The `load --summary-export` file: which sequence numbers were sent and which failed.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Without a summary: expect sequence numbers 0..N.
    #[arg(long, value_name = "N")]
    pub expected: Option<u64>,
    /// ClickHouse's HTTP interface, e.g. http://127.0.0.1:8123.
    #[arg(long, value_name = "URL")]
    pub clickhouse_url: Option<String>,
    /// ClickHouse user.
    #[arg(long, default_value = "default")]
    pub clickhouse_user: String,
    /// ClickHouse password (sent as X-ClickHouse-Key; never printed).
    #[arg(long, env = "CLICKHOUSE_PASSWORD", hide_env_values = true)]
    pub clickhouse_password: Option<String>,
    /// ClickHouse database.
    #[arg(long, default_value = "posthog")]
    pub database: String,
    /// The events table.
    #[arg(long, default_value = "events")]
    pub table: String,
    /// The column with the time an event was stored (ClickHouse: `inserted_at`, or
    /// `_timestamp` on older schemas; PostHog API: `created_at`).
    #[arg(long)]
    pub stored_at: Option<String>,
    /// Only events of this team.
    #[arg(long)]
    pub team_id: Option<u64>,
    /// Reach ClickHouse through `kubectl port-forward` to this service (`svc/NAME[:PORT]`,
    /// port 8123 by default).
    #[arg(long, value_name = "SVC")]
    pub port_forward: Option<String>,
    /// Namespace of the port-forwarded service.
    #[arg(long, short = 'n', default_value = "default")]
    pub namespace: String,
    /// kubectl binary for `--port-forward`.
    #[arg(long, default_value = "kubectl")]
    pub kubectl: String,
    /// kubeconfig context for `--port-forward`.
    #[arg(long)]
    pub context: Option<String>,
    /// Query PostHog's API instead of ClickHouse: its base URL.
    #[arg(long, value_name = "URL")]
    pub posthog_url: Option<String>,
    /// PostHog project id (with `--posthog-url`).
    #[arg(long)]
    pub project: Option<u64>,
    /// PostHog personal API key (with `--posthog-url`; never printed).
    #[arg(long, env = "POSTHOG_PERSONAL_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Rows per page of PostHog's query API.
    #[arg(long, default_value_t = 50_000)]
    pub hogql_page: u64,
    /// Keep polling until every expected event is found or this long has passed.
    #[arg(long, default_value = "5m", value_parser = duration_arg)]
    pub timeout: Duration,
    /// Time between polls.
    #[arg(long, default_value = "5s", value_parser = duration_arg)]
    pub interval: Duration,
    /// Highest acceptable share of missing events (threshold `event_loss: rate<X`).
    #[arg(long, default_value_t = 0.001)]
    pub max_loss: f64,
    /// Highest acceptable p99 ingestion lag (threshold `ingestion_lag: p(99)<X`).
    #[arg(long, default_value = "60s", value_parser = duration_arg)]
    pub max_lag_p99: Duration,
    /// More thresholds in k6's syntax, `METRIC: EXPR` (e.g. `events_duplicated: count<1`).
    #[arg(long = "threshold", value_name = "METRIC: EXPR")]
    pub thresholds: Vec<String>,
    /// Write the result as JSON to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub summary_export: Option<PathBuf>,
    /// Write each threshold as a JUnit test case to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// No progress and no text report.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

fn invalid(msg: impl AsRef<str>) -> Outcome {
    let mut o = Outcome::error(msg);
    o.exit = EXIT_INVALID_CONFIG;
    o
}

/// A `kubectl port-forward` child, stopped when dropped.
struct PortForward {
    child: Child,
}

impl Drop for PortForward {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn port_forward(args: &VerifyArgs, svc: &str) -> Result<(PortForward, u16), String> {
    let (name, port) = match svc.rsplit_once(':') {
        Some((n, p)) => (
            n,
            p.parse::<u16>()
                .map_err(|_| format!("--port-forward {svc:?}: bad port"))?,
        ),
        None => (svc, 8123),
    };
    let name = if name.contains('/') {
        name.to_string()
    } else {
        format!("svc/{name}")
    };
    let mut cmd = Command::new(&args.kubectl);
    if let Some(ctx) = &args.context {
        cmd.arg("--context").arg(ctx);
    }
    cmd.args([
        "port-forward",
        "-n",
        &args.namespace,
        &name,
        &format!(":{port}"),
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", args.kubectl))?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let mut pf = PortForward { child };
    let (tx, rx) = std::sync::mpsc::channel::<Result<u16, String>>();
    if let Some(out) = stdout {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                // "Forwarding from 127.0.0.1:43125 -> 8123"
                if let Some(rest) = line.strip_prefix("Forwarding from 127.0.0.1:") {
                    if let Some(p) = rest.split_whitespace().next().and_then(|p| p.parse().ok()) {
                        let _ = tx.send(Ok(p));
                    }
                }
            }
        });
    }
    if let Some(err) = stderr {
        std::thread::spawn(move || {
            let text: Vec<String> = std::io::BufReader::new(err)
                .lines()
                .map_while(Result::ok)
                .collect();
            let _ = tx.send(Err(text.join("\n")));
        });
    }
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(p)) => Ok((pf, p)),
        Ok(Err(e)) => {
            let _ = pf.child.kill();
            Err(format!(
                "kubectl port-forward {name} in {}: {}",
                args.namespace,
                e.trim()
            ))
        }
        Err(_) => Err(format!(
            "kubectl port-forward {name} in {}: no port after 30s",
            args.namespace
        )),
    }
}

/// Runs `verify`.
pub fn run(args: &VerifyArgs) -> Outcome {
    let load_summary: Option<Summary> = match &args.summary {
        None => None,
        Some(p) => {
            let text = match std::fs::read_to_string(p) {
                Ok(t) => t,
                Err(e) => return invalid(format!("cannot read {}: {e}", p.display())),
            };
            match serde_json::from_str(&text) {
                Ok(s) => Some(s),
                Err(e) => return invalid(format!("{}: not a load summary: {e}", p.display())),
            }
        }
    };
    let run_id = match (&args.run_id, &load_summary) {
        (Some(r), Some(s)) if *r != s.run_id => {
            return invalid(format!(
                "--run-id {r} but the summary is of run {}",
                s.run_id
            ))
        }
        (Some(r), _) => r.clone(),
        (None, Some(s)) => s.run_id.clone(),
        (None, None) => return invalid("give --run-id, or --summary with a load summary"),
    };
    if !valid_run_id(&run_id) {
        return invalid(format!(
            "run id {run_id:?}: letters, digits, `-` and `_` only"
        ));
    }
    let mut thresholds = Vec::new();
    let mut add = |metric: &str, expr: &str| -> Result<(), String> {
        thresholds.push(parse_threshold(metric, expr)?);
        Ok(())
    };
    if let Err(e) = add("event_loss", &format!("rate<{}", args.max_loss)) {
        return invalid(format!("--max-loss: {e}"));
    }
    if let Err(e) = add(
        "ingestion_lag",
        &format!("p(99)<{}", args.max_lag_p99.as_secs_f64() * 1000.0),
    ) {
        return invalid(format!("--max-lag-p99: {e}"));
    }
    for t in &args.thresholds {
        let Some((m, e)) = t.split_once(':') else {
            return invalid(format!(
                "--threshold {t:?}: write METRIC: EXPR, e.g. 'events_duplicated: count<1'"
            ));
        };
        if let Err(err) = add(m.trim(), e.trim()) {
            return invalid(format!("--threshold {t:?}: {err}"));
        }
    }

    let mut _forward = None;
    let source = if let Some(url) = &args.posthog_url {
        let target = match Target::parse(url) {
            Ok(t) => t,
            Err(e) => return invalid(format!("--posthog-url: {e}")),
        };
        let (Some(project), Some(key)) = (args.project, &args.api_key) else {
            return invalid("--posthog-url needs --project and a personal API key (--api-key or POSTHOG_PERSONAL_API_KEY)");
        };
        Source::HogQl(HogQl {
            url: target,
            project,
            api_key: key.clone(),
            stored_at: args
                .stored_at
                .clone()
                .unwrap_or_else(|| "created_at".into()),
            page: args.hogql_page.max(1),
            timeout: Duration::from_secs(60),
        })
    } else {
        let url = match (&args.clickhouse_url, &args.port_forward) {
            (Some(u), None) => u.clone(),
            (None, Some(svc)) => match port_forward(args, svc) {
                Ok((pf, port)) => {
                    _forward = Some(pf);
                    format!("http://127.0.0.1:{port}")
                }
                Err(e) => return Outcome::error(e),
            },
            (Some(_), Some(_)) => return invalid("give --clickhouse-url or --port-forward, not both"),
            (None, None) => {
                return invalid("say where the events are: --clickhouse-url URL, --port-forward svc/NAME, or --posthog-url URL")
            }
        };
        let target = match Target::parse(&url) {
            Ok(t) => t,
            Err(e) => return invalid(format!("--clickhouse-url: {e}")),
        };
        Source::ClickHouse(ClickHouse {
            url: target,
            transport: Default::default(),
            database: args.database.clone(),
            table: args.table.clone(),
            user: args.clickhouse_user.clone(),
            password: args.clickhouse_password.clone(),
            stored_at: args
                .stored_at
                .clone()
                .unwrap_or_else(|| "inserted_at".into()),
            team_id: args.team_id,
            timeout: Duration::from_secs(60),
        })
    };
    let expectation = match (&load_summary, args.expected) {
        (Some(s), _) => Some(Expectation::from_summary(s)),
        (None, Some(n)) => Some(Expectation::first(n)),
        (None, None) => None,
    };

    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return Outcome::error(format!("cannot start the runtime: {e}")),
    };
    let quiet = args.quiet;
    let tty = std::io::stderr().is_terminal();
    let result = rt.block_on(poll(
        &source,
        &run_id,
        expectation,
        args.timeout,
        args.interval,
        |s: &VerifySummary| {
            if quiet {
                return;
            }
            let mut err = std::io::stderr().lock();
            if tty {
                let _ = write!(err, "\r\x1b[2K{}", s.progress_line(args.timeout));
            } else {
                let _ = writeln!(err, "{}", s.progress_line(args.timeout));
            }
            let _ = err.flush();
        },
    ));
    if tty && !quiet {
        eprintln!();
    }
    let mut summary = match result {
        Ok(s) => s,
        Err(e) => return Outcome::error(e),
    };
    let ok = summary.apply_thresholds(&thresholds);
    let json = match serde_json::to_string(&summary) {
        Ok(j) => j,
        Err(e) => return Outcome::error(format!("cannot serialise the result: {e}")),
    };
    finish(Report {
        summary_json: &json,
        text: &summary.text(),
        thresholds_ok: ok,
        junit_xml: junit(
            "posthog-charttest verify",
            &summary.thresholds,
            summary.waited_s,
        ),
        summary_export: args.summary_export.as_ref(),
        junit_path: args.junit.as_ref(),
        interrupted: summary.stopped.is_some(),
        quiet: args.quiet,
    })
}

/// Polls `source` until every expected event is found, `timeout` passes, or a signal.
pub async fn poll(
    source: &Source,
    run_id: &str,
    expectation: Option<Expectation>,
    timeout: Duration,
    interval: Duration,
    mut progress: impl FnMut(&VerifySummary),
) -> Result<VerifySummary, String> {
    let start = Instant::now();
    let deadline = start + timeout;
    let signal = wait_for_signal();
    tokio::pin!(signal);
    let mut last_error: Option<String>;
    let mut last: Option<VerifySummary> = None;
    loop {
        match source.fetch(run_id).await {
            Ok(rows) => {
                last_error = None;
                let exp = expectation
                    .clone()
                    .unwrap_or_else(|| infer_expectation(&rows));
                let s =
                    VerifySummary::new(run_id, &source.describe(), &exp, &rows, start.elapsed());
                progress(&s);
                let done = s.complete && s.events.expected > 0;
                last = Some(s);
                if done {
                    break;
                }
            }
            Err(e) => last_error = Some(e),
        }
        if Instant::now() + interval > deadline {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = &mut signal => {
                if let Some(s) = last.as_mut() {
                    s.stopped = Some("interrupted".into());
                }
                break;
            }
        }
    }
    match (last, last_error) {
        (Some(mut s), _) => {
            s.waited_s = start.elapsed().as_secs_f64();
            Ok(s)
        }
        (None, Some(e)) => Err(e),
        (None, None) => Err("no answer from the event source".into()),
    }
}
