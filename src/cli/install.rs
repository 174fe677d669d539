//! `posthog-charttest install` and `uninstall`: helm install or upgrade into a namespace of
//! the run's own, with a live rollout display, fail-fast detection and a diagnostics bundle.

use std::path::PathBuf;

use clap::Args;

use super::cluster::{new_run_id, parse_duration};
use super::Outcome;
use crate::cluster::client;
use crate::cluster::command::Runner;
use crate::cluster::env::Env;
use crate::cluster::helm::{Helm, HelmValues};
use crate::cluster::install::{install, InstallSpec};
use crate::cluster::progress::{Log, ProgressMode};
use crate::cluster::rollout::{Thresholds, WatchOptions};
use crate::cluster::signals::Signals;
use crate::cluster::uninstall::{uninstall, UninstallOptions};

/// How to reach the cluster.
#[derive(Args, Debug, Clone)]
pub struct KubeArgs {
    /// kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// kubeconfig context.
    #[arg(long)]
    pub context: Option<String>,
}

/// The helm binary.
#[derive(Args, Debug, Clone)]
pub struct HelmBinArgs {
    /// helm binary to run.
    #[arg(long = "helm-bin", env = "HELM_BIN", default_value = "helm")]
    pub helm_bin: String,
}

/// Values for helm, as on its command line.
#[derive(Args, Debug, Clone)]
pub struct ValuesArgs {
    /// Values files.
    #[arg(short = 'f', long = "values")]
    pub values: Vec<String>,
    /// Values on the command line.
    #[arg(long)]
    pub set: Vec<String>,
    /// String values on the command line.
    #[arg(long = "set-string")]
    pub set_string: Vec<String>,
    /// Values from files.
    #[arg(long = "set-file")]
    pub set_file: Vec<String>,
    /// JSON values on the command line.
    #[arg(long = "set-json")]
    pub set_json: Vec<String>,
}

impl ValuesArgs {
    /// The values as helm's arguments.
    pub fn helm_values(&self) -> HelmValues {
        HelmValues {
            files: self.values.clone(),
            set: self.set.clone(),
            set_string: self.set_string.clone(),
            set_file: self.set_file.clone(),
            set_json: self.set_json.clone(),
        }
    }
}

/// `install`.
#[derive(Args, Debug)]
pub struct InstallArgs {
    /// Chart directory or packaged `.tgz`.
    pub chart: String,
    /// Release name.
    #[arg(long, default_value = "posthog")]
    pub release: String,
    /// Namespace (default `charttest-<run id>`); created and labelled as this run's.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Install into an existing namespace that posthog-charttest did not create.
    #[arg(long = "reuse-namespace")]
    pub reuse_namespace: bool,
    /// Run id (namespace label; default random).
    #[arg(long = "run-id", env = "CHARTTEST_RUN_ID")]
    pub run_id: Option<String>,
    /// Namespace time to live, recorded in its labels.
    #[arg(long, default_value = "3h")]
    pub ttl: String,
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Install this previous chart first, then upgrade: a git ref, a chart directory or a
    /// `.tgz`.
    #[arg(long = "upgrade-from", value_name = "REF|DIR|TGZ")]
    pub upgrade_from: Option<String>,
    #[command(flatten)]
    pub kube: KubeArgs,
    #[command(flatten)]
    pub helm: HelmBinArgs,
    /// Give up on a rollout after this long.
    #[arg(long, default_value = "20m")]
    pub timeout: String,
    /// Fail when a container restarts more often than this.
    #[arg(long = "max-restarts", default_value_t = 3)]
    pub max_restarts: i32,
    /// How long a container may sit in CreateContainerConfigError.
    #[arg(long = "config-error-grace", default_value = "60s")]
    pub config_error_grace: String,
    /// Log lines shown for a failing container.
    #[arg(long = "log-lines", default_value_t = 30)]
    pub log_lines: i64,
    /// Where the diagnostics bundle goes on failure (`DIR/<namespace>/`).
    #[arg(long, default_value = "artifacts")]
    pub artifacts: PathBuf,
    /// How progress is shown.
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: ProgressMode,
}

/// `uninstall`.
#[derive(Args, Debug)]
pub struct UninstallArgs {
    /// Release name.
    #[arg(long, default_value = "posthog")]
    pub release: String,
    /// Namespace.
    #[arg(short = 'n', long, required = true)]
    pub namespace: String,
    /// Leave the namespace (by default it is deleted when posthog-charttest created it).
    #[arg(long = "keep-namespace")]
    pub keep_namespace: bool,
    /// Delete the namespace even if posthog-charttest did not create it.
    #[arg(long = "force-namespace")]
    pub force_namespace: bool,
    /// How long objects may hang in deletion before their finalizers are cleared.
    #[arg(long = "finalizer-grace", default_value = "30s")]
    pub finalizer_grace: String,
    /// Give up after this long.
    #[arg(long, default_value = "10m")]
    pub timeout: String,
    #[command(flatten)]
    pub kube: KubeArgs,
    #[command(flatten)]
    pub helm: HelmBinArgs,
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Runs `install`.
pub fn run(args: InstallArgs) -> Outcome {
    run_with(args, Env::from_process(), Log::stderr())
}

/// Runs `install` with an explicit environment and log (tests).
pub fn run_with(a: InstallArgs, env: Env, log: Log) -> Outcome {
    let rt = match runtime() {
        Ok(r) => r,
        Err(e) => return Outcome::error(e),
    };
    rt.block_on(async {
        let go = async {
            let timeout = parse_duration(&a.timeout)?;
            let ttl = parse_duration(&a.ttl)?;
            let run_id = a.run_id.clone().unwrap_or_else(new_run_id);
            let namespace = a.namespace.clone().unwrap_or_else(|| format!("charttest-{run_id}"));
            let spec = InstallSpec {
                chart: a.chart.clone(),
                release: a.release.clone(),
                namespace,
                values: a.values.helm_values(),
                upgrade_from: a.upgrade_from.clone(),
                reuse_namespace: a.reuse_namespace,
                run_id,
                expires_at: chrono::Utc::now().timestamp() + ttl.as_secs() as i64,
                watch: WatchOptions {
                    thresholds: Thresholds {
                        max_restarts: a.max_restarts,
                        config_error_grace: parse_duration(&a.config_error_grace)?,
                    },
                    timeout,
                    log_lines: a.log_lines,
                },
                artifacts: a.artifacts.clone(),
                progress: a.progress,
            };
            let kube = client::client(a.kube.kubeconfig.as_deref(), a.kube.context.as_deref(), &log).await?;
            let helm = Helm {
                bin: a.helm.helm_bin.clone(),
                kubeconfig: a.kube.kubeconfig.clone(),
                context: a.kube.context.clone(),
            };
            let runner = Runner::new(env.clone(), log.clone());
            let mut signals = Signals::install().map_err(|e| format!("cannot handle signals: {e}"))?;
            let result = signals.guard(install(&kube, &helm, &runner, &spec)).await;
            Ok::<Outcome, String>(match result {
                Err(sig) => Outcome {
                    exit: sig.exit_code(),
                    stdout: String::new(),
                    stderr: format!("Error: interrupted by {sig}; helm was stopped, namespace {} left as it is\n", spec.namespace),
                },
                Ok(Err(e)) => Outcome::error(e.to_string()),
                Ok(Ok(report)) => {
                    let mut out = format!("installed release {} in namespace {}\n", spec.release, report.namespace);
                    for s in &report.steps {
                        out.push_str(&format!(
                            "  {} {}: {:.1}s, {} workloads rolled out\n",
                            s.action,
                            s.chart,
                            s.duration.as_secs_f64(),
                            s.workloads.len()
                        ));
                    }
                    Outcome {
                        exit: 0,
                        stdout: out,
                        stderr: String::new(),
                    }
                }
            })
        };
        go.await.unwrap_or_else(|e| Outcome::error(log.redact(&e)))
    })
}

/// Runs `uninstall`.
pub fn run_uninstall(args: UninstallArgs) -> Outcome {
    run_uninstall_with(args, Env::from_process(), Log::stderr())
}

/// Runs `uninstall` with an explicit environment and log (tests).
pub fn run_uninstall_with(a: UninstallArgs, env: Env, log: Log) -> Outcome {
    let rt = match runtime() {
        Ok(r) => r,
        Err(e) => return Outcome::error(e),
    };
    rt.block_on(async {
        let go = async {
            let opts = UninstallOptions {
                release: a.release.clone(),
                namespace: a.namespace.clone(),
                delete_namespace: !a.keep_namespace,
                force_namespace: a.force_namespace,
                finalizer_grace: parse_duration(&a.finalizer_grace)?,
                timeout: parse_duration(&a.timeout)?,
            };
            let kube = client::client(
                a.kube.kubeconfig.as_deref(),
                a.kube.context.as_deref(),
                &log,
            )
            .await?;
            let helm = Helm {
                bin: a.helm.helm_bin.clone(),
                kubeconfig: a.kube.kubeconfig.clone(),
                context: a.kube.context.clone(),
            };
            let runner = Runner::new(env.clone(), log.clone());
            let mut signals =
                Signals::install().map_err(|e| format!("cannot handle signals: {e}"))?;
            match signals.guard(uninstall(&kube, &helm, &runner, &opts)).await {
                Err(sig) => Ok(Outcome {
                    exit: sig.exit_code(),
                    stdout: String::new(),
                    stderr: format!("Error: interrupted by {sig}\n"),
                }),
                Ok(Err(e)) => Err(e),
                Ok(Ok(r)) => {
                    let mut out = format!(
                        "uninstalled release {} from namespace {}\n",
                        opts.release, opts.namespace
                    );
                    if r.namespace_deleted {
                        out.push_str(&format!("  namespace {} deleted\n", opts.namespace));
                    }
                    for c in &r.cleared {
                        out.push_str(&format!("  cleared finalizers of {c}\n"));
                    }
                    Ok(Outcome {
                        exit: i32::from(r.helm_error.is_some()),
                        stdout: out,
                        stderr: r
                            .helm_error
                            .map(|e| format!("Error: {e}\n"))
                            .unwrap_or_default(),
                    })
                }
            }
        };
        go.await
            .unwrap_or_else(|e: String| Outcome::error(log.redact(&e)))
    })
}
