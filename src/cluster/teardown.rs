//! A cluster's life with guaranteed teardown: record, create, fetch the kubeconfig, wait for
//! nodes, run the work, delete. Every phase races SIGINT and SIGTERM; whichever way the run
//! ends (success, failure, signal) the cluster is deleted unless the caller keeps it, and the
//! state file is updated at each step so `cluster reap` can finish what a killed run could not.

use std::future::Future;
use std::time::Duration;

use super::client;
use super::command::{Plan, Runner};
use super::provider::{missing_message, Cluster, CreateOptions, Provider};
use super::signals::{Interrupt, Signals};
use super::state::{Entry, Phase, StateFile};

/// How a cluster's life is run.
pub struct Lifecycle<'a> {
    /// The provider that creates and deletes it.
    pub provider: &'a dyn Provider,
    /// Runs the provider's commands.
    pub runner: Runner,
    /// Records the cluster while it exists.
    pub state: StateFile,
    /// Never delete the cluster (`--keep`): it is handed over and left to its expiry.
    pub keep: bool,
    /// Wait this long for every node to be Ready before the work starts (`None`: don't wait).
    pub wait_nodes: Option<Duration>,
    /// Give up on create, kubeconfig and nodes together after this long (`None`: no limit);
    /// the cluster is then torn down as after any other failure.
    pub setup_timeout: Option<Duration>,
}

/// The phase a run was in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Checking prerequisites and recording the cluster.
    Prepare,
    /// The provider's create commands.
    Create,
    /// Writing the kubeconfig.
    Kubeconfig,
    /// Waiting for nodes.
    Nodes,
    /// The caller's work.
    Work,
    /// Deleting.
    Delete,
    /// All done.
    Done,
}

impl Stage {
    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Prepare => "prepare",
            Stage::Create => "create",
            Stage::Kubeconfig => "kubeconfig",
            Stage::Nodes => "wait for nodes",
            Stage::Work => "work",
            Stage::Delete => "delete",
            Stage::Done => "done",
        }
    }
}

/// How a run ended.
#[derive(Debug)]
pub struct LifeOutcome<T> {
    /// The cluster as recorded.
    pub cluster: Cluster,
    /// The work's result, or the error of the phase that failed.
    pub result: Result<T, String>,
    /// The stage the run ended in (where the error or signal happened).
    pub stage: Stage,
    /// The signal that interrupted it.
    pub interrupted: Option<Interrupt>,
    /// Whether the cluster was deleted.
    pub deleted: bool,
    /// Why deleting failed (the state file keeps the entry for `cluster reap`).
    pub delete_error: Option<String>,
}

impl<T> LifeOutcome<T> {
    /// The process exit code: the signal's code, 1 on any failure, else 0.
    pub fn exit_code(&self) -> i32 {
        match self.interrupted {
            Some(s) => s.exit_code(),
            None if self.result.is_err() || self.delete_error.is_some() => 1,
            None => 0,
        }
    }
}

/// What the work asks for after it finished successfully.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterWork {
    /// Delete the cluster (unless `keep`).
    Delete,
    /// Hand the cluster over: keep it, recorded with its expiry (plain `cluster create`).
    HandOver,
}

impl Lifecycle<'_> {
    /// The plan of the whole life, for `--dry-run`. `work_deletes`: the work ends with deleting
    /// the cluster (a command to run), rather than handing it over.
    pub fn describe(
        &self,
        cluster: &Cluster,
        opts: &CreateOptions,
        work_deletes: bool,
    ) -> Result<String, String> {
        let mut out = String::new();
        let prereqs = self.provider.prerequisites(self.runner.env());
        if !prereqs.is_empty() {
            out.push_str("# prerequisites\n");
            for p in &prereqs {
                if p.ok {
                    out.push_str(&format!("#   ok       {}\n", p.what));
                } else {
                    out.push_str(&format!("#   MISSING  {}: {}\n", p.what, p.hint));
                }
            }
        }
        let sections: [(&str, Plan); 2] = [
            ("create", self.provider.create_plan(cluster, opts)?),
            ("kubeconfig", self.provider.kubeconfig_plan(cluster)),
        ];
        for (name, plan) in sections {
            if !plan.is_empty() {
                out.push_str(&format!("# --- {name} ---\n{plan}"));
            }
        }
        if let Some(t) = self.wait_nodes {
            out.push_str(&format!(
                "# --- nodes ---\n# wait until every node is Ready (Kubernetes API, up to {}s)\n",
                t.as_secs()
            ));
        }
        let delete = self.provider.delete_plan(cluster);
        if self.provider.deletes() && !delete.is_empty() {
            out.push_str(if self.keep {
                "# --- teardown: none (--keep); `cluster reap` deletes it after it expires, with ---\n"
            } else if work_deletes {
                "# --- teardown: after the command, and on failure, SIGINT or SIGTERM ---\n"
            } else {
                "# --- teardown: on failure, SIGINT or SIGTERM (after success the cluster stays until `cluster reap` finds it expired) ---\n"
            });
            out.push_str(&delete.to_string());
        } else {
            out.push_str("# --- teardown: none (this provider never deletes clusters) ---\n");
        }
        Ok(out)
    }

    /// Runs the cluster's life: creates it, runs `work` with it, then deletes it (or hands it
    /// over when `work` asks and succeeded, or when `keep` is set).
    pub async fn run<T, F, Fut>(
        &self,
        mut cluster: Cluster,
        opts: &CreateOptions,
        signals: &mut Signals,
        work: F,
    ) -> LifeOutcome<T>
    where
        F: FnOnce(Cluster) -> Fut,
        Fut: Future<Output = Result<(T, AfterWork), String>>,
    {
        let log = self.runner.log().clone();
        let key = cluster.key();
        let mut outcome = LifeOutcome {
            cluster: cluster.clone(),
            result: Err(String::new()),
            stage: Stage::Prepare,
            interrupted: None,
            deleted: false,
            delete_error: None,
        };
        if let Some(msg) = missing_message(
            cluster.provider,
            &self.provider.prerequisites(self.runner.env()),
        ) {
            outcome.result = Err(msg);
            return outcome;
        }
        let create = match self.provider.create_plan(&cluster, opts) {
            Ok(p) => p,
            Err(e) => {
                outcome.result = Err(e);
                return outcome;
            }
        };
        if self.provider.deletes() {
            let entry = Entry {
                cluster: cluster.clone(),
                phase: Phase::Creating,
                owner_pid: Some(std::process::id()),
                created_at: chrono::Utc::now().timestamp(),
            };
            if let Err(e) = self.state.upsert(entry) {
                outcome.result = Err(e);
                return outcome;
            }
        }

        // Create, kubeconfig, nodes: any failure or signal goes straight to teardown.
        let setup_timeout = self.setup_timeout;
        let stage_at_timeout = std::sync::Arc::new(parking_lot::Mutex::new(Stage::Create));
        let stage_seen = stage_at_timeout.clone();
        let setup = async {
            outcome.stage = Stage::Create;
            if !create.is_empty() {
                log.line(format!(
                    "creating {} cluster {}",
                    cluster.provider, cluster.name
                ));
            }
            let outs = signals
                .guard(self.runner.run_plan(&create))
                .await
                .map_err(|s| {
                    outcome.interrupted = Some(s);
                    String::new()
                })?
                .map_err(|e| e.to_string())?;
            if let Some(pid) = outs.iter().find_map(|o| o.pid) {
                cluster.pid = Some(pid);
                outcome.cluster.pid = Some(pid);
                self.state.modify(&key, |e| e.cluster.pid = Some(pid))?;
            }

            outcome.stage = Stage::Kubeconfig;
            *stage_seen.lock() = Stage::Kubeconfig;
            let fetch = async {
                self.runner
                    .run_plan(&self.provider.kubeconfig_plan(&cluster))
                    .await
                    .map_err(|e| e.to_string())?;
                wait_for_file(&cluster.kubeconfig, Duration::from_secs(120)).await?;
                if self.provider.deletes() {
                    restrict(&cluster.kubeconfig);
                }
                Ok::<(), String>(())
            };
            signals.guard(fetch).await.map_err(|s| {
                outcome.interrupted = Some(s);
                String::new()
            })??;

            if let Some(timeout) = self.wait_nodes {
                outcome.stage = Stage::Nodes;
                *stage_seen.lock() = Stage::Nodes;
                let wait = async {
                    let c =
                        client::client(Some(&cluster.kubeconfig), cluster.context.as_deref(), &log)
                            .await?;
                    client::wait_nodes_ready(&c, timeout, &log).await
                };
                signals.guard(wait).await.map_err(|s| {
                    outcome.interrupted = Some(s);
                    String::new()
                })??;
            }
            Ok::<(), String>(())
        };
        let setup: Result<(), String> = match setup_timeout {
            None => setup.await,
            Some(limit) => match tokio::time::timeout(limit, setup).await {
                Ok(r) => r,
                Err(_) => {
                    let stage = *stage_at_timeout.lock();
                    outcome.stage = stage;
                    Err(format!(
                        "the cluster was not ready after {}s (still in {})",
                        limit.as_secs(),
                        stage.name()
                    ))
                }
            },
        };

        let mut after = AfterWork::Delete;
        match setup {
            Err(e) => outcome.result = Err(e),
            Ok(()) => {
                if self.provider.deletes() {
                    if let Err(e) = self.state.modify(&key, |e| e.phase = Phase::Ready) {
                        log.line(format!("warning: {e}"));
                    }
                }
                outcome.stage = Stage::Work;
                match signals.guard(work(cluster.clone())).await {
                    Err(s) => {
                        outcome.interrupted = Some(s);
                        outcome.result = Err(String::new());
                    }
                    Ok(Err(e)) => outcome.result = Err(e),
                    Ok(Ok((value, a))) => {
                        after = a;
                        outcome.result = Ok(value);
                        outcome.stage = Stage::Done;
                    }
                }
            }
        }
        if let Some(s) = outcome.interrupted {
            outcome.result = Err(format!(
                "interrupted by {s} during {}",
                outcome.stage.name()
            ));
        }

        if !self.provider.deletes() {
            return outcome;
        }
        let hand_over = self.keep
            || (outcome.interrupted.is_none()
                && outcome.result.is_ok()
                && after == AfterWork::HandOver);
        if hand_over {
            if let Err(e) = self.state.modify(&key, |e| e.owner_pid = None) {
                log.line(format!("warning: {e}"));
            }
            log.line(format!(
                "keeping cluster {} (recorded in {}; `cluster reap` deletes it after it expires)",
                cluster.name,
                self.state.path().display()
            ));
            return outcome;
        }
        if let Err(e) = &outcome.result {
            if !e.is_empty() {
                log.line(format!("error: {e}"));
            }
        }
        log.line(format!(
            "deleting {} cluster {}",
            cluster.provider, cluster.name
        ));
        let _ = self.state.modify(&key, |e| e.phase = Phase::Deleting);
        // Teardown is not raced against signals: a second Ctrl-C must not leave a half-deleted
        // cluster. Further signals are reported and otherwise ignored.
        let delete_plan = self.provider.delete_plan(&cluster);
        let delete = self.runner.run_plan(&delete_plan);
        tokio::pin!(delete);
        let result = loop {
            tokio::select! {
                r = &mut delete => break r,
                s = signals.recv() => log.line(format!("{s} received: teardown of {} continues", cluster.name)),
            }
        };
        match result {
            Ok(_) => {
                outcome.deleted = true;
                if let Err(e) = self.state.remove(&key) {
                    log.line(format!("warning: {e}"));
                }
                let _ = std::fs::remove_file(&cluster.kubeconfig);
                log.line(format!("deleted cluster {}", cluster.name));
            }
            Err(e) => {
                let msg = format!(
                    "deleting cluster {} failed: {e}; it stays in {} and `posthog-charttest cluster reap` will retry",
                    cluster.name,
                    self.state.path().display()
                );
                log.line(&msg);
                outcome.delete_error = Some(msg);
            }
        }
        outcome
    }
}

/// Deletes one recorded or listed cluster (reap, `cluster delete`), keeping the state file in
/// step.
pub async fn delete(
    provider: &dyn Provider,
    runner: &Runner,
    state: &StateFile,
    cluster: &Cluster,
) -> Result<(), String> {
    if !provider.deletes() {
        return Err(format!(
            "the {} provider never deletes clusters",
            cluster.provider
        ));
    }
    let key = cluster.key();
    let _ = state.modify(&key, |e| e.phase = Phase::Deleting);
    runner
        .run_plan(&provider.delete_plan(cluster))
        .await
        .map_err(|e| e.to_string())?;
    state.remove(&key)?;
    let _ = std::fs::remove_file(&cluster.kubeconfig);
    Ok(())
}

async fn wait_for_file(path: &std::path::Path, timeout: Duration) -> Result<(), String> {
    let start = std::time::Instant::now();
    while !path.is_file() {
        if start.elapsed() > timeout {
            return Err(format!("kubeconfig {} was not written", path.display()));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

/// Makes a kubeconfig readable by its owner only (some CLIs write it world-readable).
fn restrict(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
}
