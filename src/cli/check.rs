//! `posthog-charttest check`: the live checks of an installed release, each reported pass,
//! warn or fail.

use clap::{Args, ValueEnum};

use super::cluster::parse_duration;
use super::install::KubeArgs;
use super::Outcome;
use crate::cluster::check::{run_checks, CheckOptions, ProbeTarget, Status};
use crate::cluster::client;
use crate::cluster::progress::Log;
use crate::cluster::signals::Signals;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// One line per check.
    Text,
    /// JSON.
    Json,
}

/// `check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Namespace of the release.
    #[arg(short = 'n', long, required = true)]
    pub namespace: String,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Restarts above this fail `pods-ready`.
    #[arg(long = "max-restarts", default_value_t = 3)]
    pub max_restarts: i32,
    /// Skip a check (`reach` skips all reachability checks, `reach/kafka` one).
    #[arg(long)]
    pub skip: Vec<String>,
    /// Add or replace a reachability target: `NAME=HOST:PORT/PATH` (HTTP) or
    /// `NAME=tcp://HOST:PORT`.
    #[arg(long = "probe", value_name = "NAME=TARGET")]
    pub probe: Vec<String>,
    /// Only probe the `--probe` targets, not the PostHog defaults.
    #[arg(long = "no-default-probes")]
    pub no_default_probes: bool,
    /// Image of the ephemeral probe pod (needs sh, wget and nc).
    #[arg(long = "probe-image", default_value = "busybox:1.36")]
    pub probe_image: String,
    /// How long the probe pod may take.
    #[arg(long = "probe-timeout", default_value = "2m")]
    pub probe_timeout: String,
    /// Probe the ingress at this URL (e.g. a local port mapping) instead of its address.
    #[arg(long = "ingress-url")]
    pub ingress_url: Option<String>,
    /// How long to wait for an Ingress address.
    #[arg(long = "ingress-timeout", default_value = "2m")]
    pub ingress_timeout: String,
    /// Report storage known to be unencrypted as a warning, not a failure (local clusters).
    #[arg(long = "allow-unencrypted-storage")]
    pub allow_unencrypted_storage: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckFormat,
}

/// Runs `check`.
pub fn run(args: CheckArgs) -> Outcome {
    run_with(args, Log::stderr())
}

/// Runs `check` with an explicit log (tests).
pub fn run_with(a: CheckArgs, log: Log) -> Outcome {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return Outcome::error(format!("cannot start the async runtime: {e}")),
    };
    rt.block_on(async {
        let go = async {
            let mut targets = if a.no_default_probes {
                Vec::new()
            } else {
                ProbeTarget::posthog_defaults()
            };
            for p in &a.probe {
                let t = ProbeTarget::parse(p)?;
                targets.retain(|x| x.name != t.name);
                targets.push(t);
            }
            let opts = CheckOptions {
                namespace: a.namespace.clone(),
                max_restarts: a.max_restarts,
                skip: a.skip.clone(),
                probe_image: a.probe_image.clone(),
                targets,
                probe_timeout: parse_duration(&a.probe_timeout)?,
                ingress_url: a.ingress_url.clone(),
                ingress_timeout: parse_duration(&a.ingress_timeout)?,
                unencrypted_storage: if a.allow_unencrypted_storage {
                    Status::Warn
                } else {
                    Status::Fail
                },
            };
            let kube = client::client(
                a.kube.kubeconfig.as_deref(),
                a.kube.context.as_deref(),
                &log,
            )
            .await?;
            let mut signals =
                Signals::install().map_err(|e| format!("cannot handle signals: {e}"))?;
            let results = match signals.guard(run_checks(&kube, &opts, &log)).await {
                Ok(r) => r,
                Err(sig) => {
                    return Ok(Outcome {
                        exit: sig.exit_code(),
                        stdout: String::new(),
                        stderr: format!("Error: interrupted by {sig}\n"),
                    })
                }
            };
            let failed = results.iter().filter(|r| r.status == Status::Fail).count();
            let warned = results.iter().filter(|r| r.status == Status::Warn).count();
            let passed = results.len() - failed - warned;
            let stdout = match a.format {
                CheckFormat::Json => {
                    serde_json::to_string_pretty(&serde_json::json!({
                        "namespace": a.namespace,
                        "checks": results,
                        "passed": passed, "warned": warned, "failed": failed,
                    }))
                    .map_err(|e| e.to_string())?
                        + "\n"
                }
                CheckFormat::Text => {
                    let width = results.iter().map(|r| r.name.len()).max().unwrap_or(0);
                    let mut out = String::new();
                    for r in &results {
                        out.push_str(&format!(
                            "{:<4}  {:<width$}  {}\n",
                            r.status, r.name, r.detail
                        ));
                    }
                    out.push_str(&format!(
                        "checks: {passed} passed, {warned} warned, {failed} failed\n"
                    ));
                    out
                }
            };
            Ok::<Outcome, String>(Outcome {
                exit: i32::from(failed > 0),
                stdout: log.redact(&stdout),
                stderr: String::new(),
            })
        };
        go.await.unwrap_or_else(|e| Outcome::error(log.redact(&e)))
    })
}
