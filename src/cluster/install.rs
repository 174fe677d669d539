//! Install and upgrade: a namespace per run, helm for the release, our own watch for the
//! rollout, and a diagnostics bundle when anything fails.
//!
//! `--upgrade-from` first installs the previous chart (a directory, a packaged `.tgz`, or a git
//! ref of the repository the chart lives in), waits for it, then upgrades to the chart under
//! test and waits again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ObjectMeta, PostParams};
use kube::Client;

use super::command::Runner;
use super::diagnostics;
use super::helm::{Helm, HelmValues};
use super::progress::{ProgressMode, RolloutDisplay};
use super::rollout::{wait_rollout, WatchOptions, WorkloadStatus};
use super::{EXPIRES_LABEL, OWNER_LABEL, OWNER_VALUE, RUN_ID_LABEL};

/// What to install.
#[derive(Clone, Debug)]
pub struct InstallSpec {
    /// Chart directory or `.tgz` under test.
    pub chart: String,
    /// Release name.
    pub release: String,
    /// Namespace (created, labelled as ours).
    pub namespace: String,
    /// Values for helm.
    pub values: HelmValues,
    /// The previous chart to install first and upgrade from: a directory, a `.tgz`, or a git
    /// ref.
    pub upgrade_from: Option<String>,
    /// Install into a namespace that exists and is not labelled as ours.
    pub reuse_namespace: bool,
    /// The run id (namespace label).
    pub run_id: String,
    /// Unix seconds after which the namespace may be reaped.
    pub expires_at: i64,
    /// Rollout watch options (thresholds, timeout, log lines).
    pub watch: WatchOptions,
    /// Where the diagnostics bundle goes on failure (`<dir>/<namespace>/`).
    pub artifacts: PathBuf,
    /// How progress is shown.
    pub progress: ProgressMode,
}

/// One helm action and its rollout.
#[derive(Clone, Debug)]
pub struct StepReport {
    /// `install` or `upgrade`.
    pub action: &'static str,
    /// The chart used.
    pub chart: String,
    /// How long helm plus the rollout took.
    pub duration: Duration,
    /// Every workload at the end.
    pub workloads: Vec<WorkloadStatus>,
}

/// A successful install (and upgrade).
#[derive(Clone, Debug)]
pub struct InstallReport {
    /// The namespace.
    pub namespace: String,
    /// Each step.
    pub steps: Vec<StepReport>,
}

/// A failed install.
#[derive(Debug)]
pub struct InstallError {
    /// What failed, with the reason and logs (redacted).
    pub message: String,
    /// The diagnostics bundle, when one was written.
    pub diagnostics: Option<PathBuf>,
}

impl std::fmt::Display for InstallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(d) = &self.diagnostics {
            write!(f, "\ndiagnostics: {}", d.display())?;
        }
        Ok(())
    }
}

/// Installs (and upgrades) the chart and waits for every workload.
pub async fn install(
    client: &Client,
    helm: &Helm,
    runner: &Runner,
    spec: &InstallSpec,
) -> Result<InstallReport, InstallError> {
    let log = runner.log().clone();
    let plain = |message: String| InstallError {
        message,
        diagnostics: None,
    };
    ensure_namespace(client, spec).await.map_err(plain)?;

    let mut charts: Vec<(&'static str, String)> = Vec::new();
    let _previous_dir;
    if let Some(from) = &spec.upgrade_from {
        let (path, guard) = resolve_previous(&spec.chart, from).await.map_err(plain)?;
        _previous_dir = guard;
        charts.push(("install", path));
        charts.push(("upgrade", spec.chart.clone()));
    } else {
        charts.push(("install", spec.chart.clone()));
    }

    let mut steps = Vec::new();
    for (action, chart) in charts {
        log.line(format!(
            "{action}: {chart} as {} in namespace {}",
            spec.release, spec.namespace
        ));
        let started = Instant::now();
        let cmd = helm.install_cmd(
            action == "upgrade",
            &spec.release,
            &chart,
            &spec.namespace,
            &spec.values,
            spec.watch.timeout,
        );
        let helm_run = async {
            runner
                .run(&cmd)
                .await
                .map(|_| ())
                .map_err(|e| format!("helm {action} failed: {e}"))
        };
        let mut display = RolloutDisplay::new(&log, spec.progress);
        let result = wait_rollout(
            client,
            &spec.namespace,
            &spec.watch,
            &mut display,
            &log,
            helm_run,
        )
        .await;
        display.finish();
        match result {
            Ok(workloads) => {
                log.line(format!(
                    "{action} done in {:.1}s: {} workloads rolled out",
                    started.elapsed().as_secs_f64(),
                    workloads.len()
                ));
                steps.push(StepReport {
                    action,
                    chart,
                    duration: started.elapsed(),
                    workloads,
                });
            }
            Err(failure) => {
                // Learn the namespace's Secret values before anything is printed or written.
                diagnostics::learn_namespace_secrets(client, &spec.namespace, &log).await;
                let message = log.redact(&format!("{action} of {chart} failed: {failure}"));
                let dir = spec.artifacts.join(&spec.namespace);
                let diagnostics =
                    match diagnostics::collect(client, &spec.namespace, &dir, &message, &log, 200)
                        .await
                    {
                        Ok(b) => Some(b.dir),
                        Err(e) => {
                            log.line(format!("could not write diagnostics: {e}"));
                            None
                        }
                    };
                return Err(InstallError {
                    message,
                    diagnostics,
                });
            }
        }
    }
    Ok(InstallReport {
        namespace: spec.namespace.clone(),
        steps,
    })
}

/// The namespace labels of a run.
pub fn namespace_labels(run_id: &str, expires_at: i64) -> BTreeMap<String, String> {
    BTreeMap::from([
        (OWNER_LABEL.to_string(), OWNER_VALUE.to_string()),
        (RUN_ID_LABEL.to_string(), run_id.to_string()),
        (EXPIRES_LABEL.to_string(), expires_at.to_string()),
    ])
}

async fn ensure_namespace(client: &Client, spec: &InstallSpec) -> Result<(), String> {
    let api: Api<Namespace> = Api::all(client.clone());
    match api
        .get_opt(&spec.namespace)
        .await
        .map_err(|e| format!("reading namespace {}: {e}", spec.namespace))?
    {
        Some(ns) => {
            let ours = ns
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(OWNER_LABEL))
                .map(String::as_str)
                == Some(OWNER_VALUE);
            if ns.metadata.deletion_timestamp.is_some() {
                return Err(format!(
                    "namespace {} is being deleted; pick another --namespace",
                    spec.namespace
                ));
            }
            if !ours && !spec.reuse_namespace {
                return Err(format!(
                    "namespace {} exists and was not created by posthog-charttest; pick another --namespace or pass --reuse-namespace",
                    spec.namespace
                ));
            }
            Ok(())
        }
        None => {
            let ns = Namespace {
                metadata: ObjectMeta {
                    name: Some(spec.namespace.clone()),
                    labels: Some(namespace_labels(&spec.run_id, spec.expires_at)),
                    ..ObjectMeta::default()
                },
                ..Namespace::default()
            };
            api.create(&PostParams::default(), &ns)
                .await
                .map(|_| ())
                .map_err(|e| format!("creating namespace {}: {e}", spec.namespace))
        }
    }
}

/// Removes a directory when dropped (the extracted previous chart).
pub struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The previous chart as a path helm can install: a directory or `.tgz` as given, or a git ref
/// extracted from the repository that holds `chart`.
pub async fn resolve_previous(
    chart: &str,
    from: &str,
) -> Result<(String, Option<TempDir>), String> {
    if Path::new(from).exists() {
        return Ok((from.to_string(), None));
    }
    let chart_dir = Path::new(chart);
    if !chart_dir.is_dir() {
        return Err(format!(
            "--upgrade-from {from}: no such file or directory, and a git ref needs CHART to be a directory in a git work tree"
        ));
    }
    let git = |dir: PathBuf, args: Vec<String>| async move {
        let out = tokio::process::Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(&args)
            .output()
            .await
            .map_err(|e| format!("git: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "git {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(out.stdout)
    };
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).trim().to_string();
    let here = chart_dir.to_path_buf();
    let verified = git(
        here.clone(),
        vec![
            "rev-parse".into(),
            "--verify".into(),
            "--quiet".into(),
            format!("{from}^{{commit}}"),
        ],
    )
    .await;
    if verified.is_err() {
        return Err(format!(
            "--upgrade-from {from}: not a file, a directory, or a git ref of the chart's repository"
        ));
    }
    let top = PathBuf::from(text(
        git(
            here.clone(),
            vec!["rev-parse".into(), "--show-toplevel".into()],
        )
        .await?,
    ));
    let prefix = text(git(here, vec!["rev-parse".into(), "--show-prefix".into()]).await?);
    // `REF:PATH` archives that tree with paths relative to it. Run from the top: from a
    // subdirectory git would also filter the tree by that subdirectory's path.
    let tar_bytes = git(
        top,
        vec![
            "archive".into(),
            "--format=tar".into(),
            format!("{from}:{prefix}"),
        ],
    )
    .await?;
    let dir = std::env::temp_dir().join(format!(
        "charttest-previous-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let guard = TempDir(dir.clone());
    tar::Archive::new(&tar_bytes[..])
        .unpack(&dir)
        .map_err(|e| format!("extracting {from}: {e}"))?;
    let path = dir;
    if !path.join("Chart.yaml").is_file() {
        return Err(format!(
            "--upgrade-from {from}: the chart has no Chart.yaml at that ref ({prefix})"
        ));
    }
    Ok((path.display().to_string(), Some(guard)))
}
