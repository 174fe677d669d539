//! Watching a release roll out: every Deployment, StatefulSet, DaemonSet, Job and bare Pod of
//! the namespace, kept current from list + watch streams, judged on each event.
//!
//! Judging is pure ([`Snapshot`]), so the rules are unit-tested without a server; the watch
//! loop ([`wait_rollout`]) only feeds it. A problem (CrashLoopBackOff, an image pull back-off,
//! restarts over the threshold, a failed Job, a Deployment past its progress deadline) ends the
//! wait at the event that shows it, with the container's last log lines.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use kube::api::{Api, ListParams, LogParams, WatchEvent, WatchParams};
use kube::{Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::progress::{Log, RolloutDisplay};

/// When a pod counts as failing.
#[derive(Clone, Debug)]
pub struct Thresholds {
    /// A container restarting more often than this fails the rollout.
    pub max_restarts: i32,
    /// How long a container may stay in CreateContainerConfigError (a Secret or ConfigMap key
    /// that a hook may still create) before it fails the rollout.
    pub config_error_grace: Duration,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            max_restarts: 3,
            config_error_grace: Duration::from_secs(60),
        }
    }
}

/// One workload's rollout state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadStatus {
    /// `Deployment`, `StatefulSet`, `DaemonSet`, `Job` or `Pod`.
    pub kind: &'static str,
    /// Object name.
    pub name: String,
    /// Ready (available, succeeded) count.
    pub ready: i32,
    /// Wanted count.
    pub desired: i32,
    /// Whether it has finished rolling out.
    pub done: bool,
    /// What it is waiting for.
    pub note: String,
}

impl WorkloadStatus {
    /// `Kind/name`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

impl fmt::Display for WorkloadStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.key(), self.ready, self.desired)?;
        if self.done {
            f.write_str(" done")
        } else if self.note.is_empty() {
            Ok(())
        } else {
            write!(f, " ({})", self.note)
        }
    }
}

/// What kind of failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// A container is in CrashLoopBackOff.
    CrashLoopBackOff,
    /// An image cannot be pulled (ImagePullBackOff, InvalidImageName, ErrImageNeverPull).
    ImagePull,
    /// A container restarted more than the threshold.
    Restarts,
    /// A container cannot be configured (missing Secret or ConfigMap key) past the grace.
    ConfigError,
    /// A Job failed (back-off limit or deadline).
    JobFailed,
    /// A Deployment exceeded its progress deadline.
    ProgressDeadline,
}

/// Something that fails the rollout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// What kind.
    pub kind: ProblemKind,
    /// `Pod/name`, `Job/name` or `Deployment/name`.
    pub object: String,
    /// The pod whose logs explain it.
    pub pod: Option<String>,
    /// The container concerned.
    pub container: Option<String>,
    /// Kubernetes' reason (`CrashLoopBackOff`, `BackoffLimitExceeded`).
    pub reason: String,
    /// Kubernetes' message.
    pub message: String,
    /// The container's last log lines, when fetched.
    pub logs: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.object)?;
        if let Some(c) = &self.container {
            write!(f, " container {c}")?;
        }
        write!(f, ": {}", self.reason)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(logs) = &self.logs {
            let logs = logs.trim_end();
            if logs.is_empty() {
                f.write_str("\n  (no log output)")?;
            } else {
                f.write_str("\n  last log lines:")?;
                for l in logs.lines() {
                    write!(f, "\n    {l}")?;
                }
            }
        }
        Ok(())
    }
}

/// An object as watched.
#[derive(Clone, Debug)]
pub enum Object {
    /// A Deployment.
    Deployment(Box<Deployment>),
    /// A StatefulSet.
    StatefulSet(Box<StatefulSet>),
    /// A DaemonSet.
    DaemonSet(Box<DaemonSet>),
    /// A Job.
    Job(Box<Job>),
    /// A Pod.
    Pod(Box<Pod>),
}

/// A change to the snapshot.
#[derive(Clone, Debug)]
pub enum Change {
    /// Added or modified.
    Upsert(Object),
    /// Deleted.
    Delete(&'static str, String),
    /// A fresh list of one kind replaces what we had.
    Reset(&'static str, Vec<Object>),
}

/// The namespace's workloads as last seen.
#[derive(Default, Debug)]
pub struct Snapshot {
    deployments: BTreeMap<String, Deployment>,
    statefulsets: BTreeMap<String, StatefulSet>,
    daemonsets: BTreeMap<String, DaemonSet>,
    jobs: BTreeMap<String, Job>,
    pods: BTreeMap<String, Pod>,
    /// When each (pod, container, reason) waiting state was first seen.
    first_seen: HashMap<(String, String, String), Instant>,
}

impl Snapshot {
    /// Applies a change.
    pub fn apply(&mut self, change: Change) {
        match change {
            Change::Upsert(o) => self.upsert(o),
            Change::Delete(kind, name) => {
                match kind {
                    "Deployment" => self.deployments.remove(&name).map(|_| ()),
                    "StatefulSet" => self.statefulsets.remove(&name).map(|_| ()),
                    "DaemonSet" => self.daemonsets.remove(&name).map(|_| ()),
                    "Job" => self.jobs.remove(&name).map(|_| ()),
                    _ => self.pods.remove(&name).map(|_| ()),
                };
            }
            Change::Reset(kind, objects) => {
                match kind {
                    "Deployment" => self.deployments.clear(),
                    "StatefulSet" => self.statefulsets.clear(),
                    "DaemonSet" => self.daemonsets.clear(),
                    "Job" => self.jobs.clear(),
                    _ => self.pods.clear(),
                }
                for o in objects {
                    self.upsert(o);
                }
            }
        }
    }

    fn upsert(&mut self, o: Object) {
        match o {
            Object::Deployment(d) => {
                self.deployments.insert(d.name_any(), *d);
            }
            Object::StatefulSet(s) => {
                self.statefulsets.insert(s.name_any(), *s);
            }
            Object::DaemonSet(d) => {
                self.daemonsets.insert(d.name_any(), *d);
            }
            Object::Job(j) => {
                self.jobs.insert(j.name_any(), *j);
            }
            Object::Pod(p) => {
                self.pods.insert(p.name_any(), *p);
            }
        }
    }

    /// The pods, for diagnostics and log lookups.
    pub fn pods(&self) -> impl Iterator<Item = &Pod> {
        self.pods.values()
    }

    /// Every workload's state, in kind then name order.
    pub fn statuses(&self) -> Vec<WorkloadStatus> {
        let mut out = Vec::new();
        out.extend(self.deployments.values().map(deployment_status));
        out.extend(self.statefulsets.values().map(statefulset_status));
        out.extend(self.daemonsets.values().map(daemonset_status));
        out.extend(self.jobs.values().map(job_status));
        out.extend(
            self.pods
                .values()
                .filter(|p| {
                    p.metadata
                        .owner_references
                        .as_ref()
                        .is_none_or(|o| o.is_empty())
                })
                .filter(|p| p.metadata.deletion_timestamp.is_none())
                .map(bare_pod_status),
        );
        out
    }

    /// Whether every workload has rolled out.
    pub fn all_done(&self) -> bool {
        self.statuses().iter().all(|s| s.done)
    }

    /// Everything that fails the rollout now (first is reported).
    pub fn problems(&mut self, th: &Thresholds, now: Instant) -> Vec<Problem> {
        let mut out = Vec::new();
        for j in self.jobs.values() {
            if let Some(c) = condition(
                j.status.as_ref().and_then(|s| s.conditions.as_ref()),
                "Failed",
            ) {
                let pod = self.latest_pod_of_job(&j.name_any());
                out.push(Problem {
                    kind: ProblemKind::JobFailed,
                    object: format!("Job/{}", j.name_any()),
                    container: pod.as_ref().and_then(first_container),
                    pod: pod.map(|p| p.name_any()),
                    reason: c.0.unwrap_or_else(|| "Failed".into()),
                    message: c.1.unwrap_or_default(),
                    logs: None,
                });
            }
        }
        for d in self.deployments.values() {
            let conds = d.status.as_ref().and_then(|s| s.conditions.as_ref());
            if let Some(c) = conds.and_then(|cs| {
                cs.iter().find(|c| {
                    c.type_ == "Progressing"
                        && c.status == "False"
                        && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
                })
            }) {
                out.push(Problem {
                    kind: ProblemKind::ProgressDeadline,
                    object: format!("Deployment/{}", d.name_any()),
                    pod: None,
                    container: None,
                    reason: "ProgressDeadlineExceeded".into(),
                    message: c.message.clone().unwrap_or_default(),
                    logs: None,
                });
            }
        }
        let mut seen_now = HashMap::new();
        for p in self.pods.values() {
            if p.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let status = p.status.as_ref();
            let all: Vec<&ContainerStatus> = status
                .into_iter()
                .flat_map(|s| {
                    s.init_container_statuses
                        .iter()
                        .flatten()
                        .chain(s.container_statuses.iter().flatten())
                })
                .collect();
            for cs in all {
                let object = format!("Pod/{}", p.name_any());
                let waiting = cs.state.as_ref().and_then(|s| s.waiting.as_ref());
                let reason = waiting.and_then(|w| w.reason.clone()).unwrap_or_default();
                let message = waiting.and_then(|w| w.message.clone()).unwrap_or_default();
                let mk = |kind, reason: String, message: String| Problem {
                    kind,
                    object: object.clone(),
                    pod: Some(p.name_any()),
                    container: Some(cs.name.clone()),
                    reason,
                    message,
                    logs: None,
                };
                match reason.as_str() {
                    "CrashLoopBackOff" => out.push(mk(
                        ProblemKind::CrashLoopBackOff,
                        reason,
                        last_termination(cs),
                    )),
                    "ImagePullBackOff" | "InvalidImageName" | "ErrImageNeverPull" => {
                        out.push(mk(ProblemKind::ImagePull, reason, message))
                    }
                    "CreateContainerConfigError" | "CreateContainerError" => {
                        let key = (p.name_any(), cs.name.clone(), reason.clone());
                        let since = *self.first_seen.get(&key).unwrap_or(&now);
                        seen_now.insert(key, since);
                        if now.duration_since(since) >= th.config_error_grace {
                            out.push(mk(ProblemKind::ConfigError, reason, message))
                        }
                    }
                    _ => {
                        if cs.restart_count > th.max_restarts {
                            out.push(mk(
                                ProblemKind::Restarts,
                                format!(
                                    "restarted {} times (more than {})",
                                    cs.restart_count, th.max_restarts
                                ),
                                last_termination(cs),
                            ));
                        }
                    }
                }
            }
        }
        self.first_seen = seen_now;
        out
    }

    fn latest_pod_of_job(&self, job: &str) -> Option<Pod> {
        self.pods
            .values()
            .filter(|p| {
                let l = p.labels();
                l.get("job-name").map(String::as_str) == Some(job)
                    || l.get("batch.kubernetes.io/job-name").map(String::as_str) == Some(job)
            })
            .max_by_key(|p| p.metadata.creation_timestamp.clone().map(|t| t.0))
            .cloned()
    }
}

fn first_container(p: &Pod) -> Option<String> {
    p.spec.as_ref()?.containers.first().map(|c| c.name.clone())
}

/// How the container's last run ended (`exit code 1: Error`).
fn last_termination(cs: &ContainerStatus) -> String {
    cs.last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref())
        .map(|t| {
            let mut s = format!("last exit code {}", t.exit_code);
            if let Some(r) = &t.reason {
                s.push_str(&format!(" ({r})"));
            }
            s
        })
        .unwrap_or_default()
}

/// A condition of this type with status True: (reason, message).
fn condition<C: ConditionLike>(
    conds: Option<&Vec<C>>,
    type_: &str,
) -> Option<(Option<String>, Option<String>)> {
    conds?
        .iter()
        .find(|c| c.type_() == type_ && c.status() == "True")
        .map(|c| (c.reason(), c.message()))
}

trait ConditionLike {
    fn type_(&self) -> &str;
    fn status(&self) -> &str;
    fn reason(&self) -> Option<String>;
    fn message(&self) -> Option<String>;
}

impl ConditionLike for k8s_openapi::api::batch::v1::JobCondition {
    fn type_(&self) -> &str {
        &self.type_
    }
    fn status(&self) -> &str {
        &self.status
    }
    fn reason(&self) -> Option<String> {
        self.reason.clone()
    }
    fn message(&self) -> Option<String> {
        self.message.clone()
    }
}

fn generation_pending(generation: Option<i64>, observed: Option<i64>) -> bool {
    match (generation, observed) {
        (Some(g), Some(o)) => o < g,
        (Some(_), None) => true,
        _ => false,
    }
}

fn deployment_status(d: &Deployment) -> WorkloadStatus {
    let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let st = d.status.clone().unwrap_or_default();
    let updated = st.updated_replicas.unwrap_or(0);
    let replicas = st.replicas.unwrap_or(0);
    let available = st.available_replicas.unwrap_or(0);
    let note = if generation_pending(d.metadata.generation, st.observed_generation) {
        "waiting for the controller".to_string()
    } else if updated < desired {
        format!("{updated} of {desired} updated")
    } else if replicas > updated {
        format!("{} old replicas terminating", replicas - updated)
    } else if available < updated {
        format!("{available} of {updated} available")
    } else {
        String::new()
    };
    WorkloadStatus {
        kind: "Deployment",
        name: d.name_any(),
        ready: available.min(desired),
        desired,
        done: note.is_empty(),
        note,
    }
}

fn statefulset_status(s: &StatefulSet) -> WorkloadStatus {
    let desired = s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let st = s.status.clone().unwrap_or_default();
    let ready = st.ready_replicas.unwrap_or(0);
    let on_delete = s
        .spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|u| u.type_.as_deref())
        == Some("OnDelete");
    let note = if generation_pending(s.metadata.generation, st.observed_generation) {
        "waiting for the controller".to_string()
    } else if ready < desired {
        format!("{ready} of {desired} ready")
    } else if !on_delete
        && st.update_revision.is_some()
        && st.update_revision != st.current_revision
    {
        format!("{} of {desired} updated", st.updated_replicas.unwrap_or(0))
    } else {
        String::new()
    };
    WorkloadStatus {
        kind: "StatefulSet",
        name: s.name_any(),
        ready: ready.min(desired),
        desired,
        done: note.is_empty(),
        note,
    }
}

fn daemonset_status(d: &DaemonSet) -> WorkloadStatus {
    let st = d.status.clone().unwrap_or_default();
    let desired = st.desired_number_scheduled;
    let updated = st.updated_number_scheduled.unwrap_or(0);
    let available = st.number_available.unwrap_or(0);
    let note = if generation_pending(d.metadata.generation, st.observed_generation) {
        "waiting for the controller".to_string()
    } else if updated < desired {
        format!("{updated} of {desired} updated")
    } else if available < desired {
        format!("{available} of {desired} available")
    } else {
        String::new()
    };
    WorkloadStatus {
        kind: "DaemonSet",
        name: d.name_any(),
        ready: available.min(desired),
        desired,
        done: note.is_empty(),
        note,
    }
}

fn job_status(j: &Job) -> WorkloadStatus {
    let completions = j.spec.as_ref().and_then(|s| s.completions).unwrap_or(1);
    let st = j.status.clone().unwrap_or_default();
    let succeeded = st.succeeded.unwrap_or(0);
    let complete = condition(st.conditions.as_ref(), "Complete").is_some();
    let failed = condition(st.conditions.as_ref(), "Failed").is_some();
    let note = if complete {
        String::new()
    } else if failed {
        "failed".into()
    } else {
        let active = st.active.unwrap_or(0);
        format!(
            "running ({active} active, {} failed)",
            st.failed.unwrap_or(0)
        )
    };
    WorkloadStatus {
        kind: "Job",
        name: j.name_any(),
        ready: succeeded.min(completions),
        desired: completions,
        done: complete,
        note,
    }
}

fn bare_pod_status(p: &Pod) -> WorkloadStatus {
    let st = p.status.as_ref();
    let phase = st
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "Pending".into());
    let ready = st
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let done = ready || phase == "Succeeded";
    WorkloadStatus {
        kind: "Pod",
        name: p.name_any(),
        ready: i32::from(done),
        desired: 1,
        done,
        note: if done { String::new() } else { phase },
    }
}

/// A container's last log lines: the previous run's for a restarted container (what crashed),
/// else the current run's. `None` when the API has none.
pub async fn container_logs(
    client: &Client,
    ns: &str,
    pod: &str,
    container: &str,
    lines: i64,
    prefer_previous: bool,
) -> Option<String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let mut lp = LogParams {
        container: Some(container.to_string()),
        tail_lines: Some(lines),
        previous: prefer_previous,
        ..LogParams::default()
    };
    match pods.logs(pod, &lp).await {
        Ok(text) => Some(text),
        Err(_) if prefer_previous => {
            lp.previous = false;
            pods.logs(pod, &lp).await.ok()
        }
        Err(_) => None,
    }
}

/// Options of [`wait_rollout`].
#[derive(Clone, Debug)]
pub struct WatchOptions {
    /// When pods fail.
    pub thresholds: Thresholds,
    /// Give up after this long.
    pub timeout: Duration,
    /// Log lines fetched for a failing container.
    pub log_lines: i64,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            thresholds: Thresholds::default(),
            timeout: Duration::from_secs(20 * 60),
            log_lines: 30,
        }
    }
}

/// Why a rollout did not finish.
#[derive(Debug)]
pub struct RolloutFailure {
    /// One-line reason.
    pub reason: String,
    /// The problem that ended it, with logs.
    pub problem: Option<Problem>,
    /// Every workload's state at that moment.
    pub statuses: Vec<WorkloadStatus>,
}

impl fmt::Display for RolloutFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)?;
        if let Some(p) = &self.problem {
            write!(f, "\n{p}")?;
        }
        let pending: Vec<_> = self.statuses.iter().filter(|s| !s.done).collect();
        if !pending.is_empty() {
            f.write_str("\nnot rolled out:")?;
            for s in pending {
                write!(f, "\n  {s}")?;
            }
        }
        Ok(())
    }
}

/// Watches the namespace until `action` (helm) has finished and every workload has rolled out,
/// failing at the first problem. Dropping `action` (on failure) stops it.
pub async fn wait_rollout<A>(
    client: &Client,
    ns: &str,
    opts: &WatchOptions,
    display: &mut RolloutDisplay,
    log: &Log,
    action: A,
) -> Result<Vec<WorkloadStatus>, RolloutFailure>
where
    A: Future<Output = Result<(), String>>,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Result<Change, String>>();
    let tasks = vec![
        tokio::spawn(reflect::<Deployment>(
            client.clone(),
            ns.to_string(),
            tx.clone(),
            "Deployment",
            |o| Object::Deployment(Box::new(o)),
        )),
        tokio::spawn(reflect::<StatefulSet>(
            client.clone(),
            ns.to_string(),
            tx.clone(),
            "StatefulSet",
            |o| Object::StatefulSet(Box::new(o)),
        )),
        tokio::spawn(reflect::<DaemonSet>(
            client.clone(),
            ns.to_string(),
            tx.clone(),
            "DaemonSet",
            |o| Object::DaemonSet(Box::new(o)),
        )),
        tokio::spawn(reflect::<Job>(
            client.clone(),
            ns.to_string(),
            tx.clone(),
            "Job",
            |o| Object::Job(Box::new(o)),
        )),
        tokio::spawn(reflect::<Pod>(
            client.clone(),
            ns.to_string(),
            tx.clone(),
            "Pod",
            |o| Object::Pod(Box::new(o)),
        )),
    ];
    drop(tx);
    let _abort = AbortOnDrop(tasks);

    let mut snapshot = Snapshot::default();
    let mut synced = std::collections::BTreeSet::new();
    let start = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tokio::pin!(action);
    let mut action_done = false;
    let mut last_error = String::new();
    loop {
        tokio::select! {
            r = &mut action, if !action_done => {
                action_done = true;
                if let Err(e) = r {
                    return Err(RolloutFailure { reason: e, problem: None, statuses: snapshot.statuses() });
                }
                // What helm created may not have reached the watches yet: list everything once
                // more before judging "all done".
                for change in resync(client, ns).await {
                    match change {
                        Ok(c) => snapshot.apply(c),
                        Err(e) => last_error = e,
                    }
                }
            }
            ev = rx.recv() => match ev {
                Some(Ok(change)) => {
                    if let Change::Reset(kind, _) = &change {
                        synced.insert(*kind);
                    }
                    snapshot.apply(change);
                }
                Some(Err(e)) if e != last_error => {
                    log.line(format!("watch: {e}"));
                    last_error = e;
                }
                Some(Err(_)) => {}
                // Every watch task ended (they only end when this loop is gone): keep judging on
                // the tick without spinning on the closed channel.
                None => tokio::time::sleep(Duration::from_millis(200)).await,
            },
            _ = tick.tick() => {}
        }
        let problems = snapshot.problems(&opts.thresholds, Instant::now());
        if let Some(mut p) = problems.into_iter().next() {
            if let (Some(pod), Some(container)) = (&p.pod, &p.container) {
                if p.kind != ProblemKind::ImagePull {
                    let previous = p.kind != ProblemKind::JobFailed;
                    p.logs = container_logs(client, ns, pod, container, opts.log_lines, previous)
                        .await
                        .map(|l| log.redact(&l));
                }
            }
            display.update(&snapshot.statuses());
            return Err(RolloutFailure {
                reason: format!("rollout failed: {} {}", p.object, p.reason),
                problem: Some(p),
                statuses: snapshot.statuses(),
            });
        }
        let statuses = snapshot.statuses();
        display.update(&statuses);
        if action_done && synced.len() == 5 && statuses.iter().all(|s| s.done) {
            return Ok(statuses);
        }
        if start.elapsed() >= opts.timeout {
            let mut reason = format!("rollout not finished after {}s", opts.timeout.as_secs());
            if !action_done {
                reason.push_str(" (helm still running)");
            }
            if !last_error.is_empty() {
                reason.push_str(&format!("; last API error: {last_error}"));
            }
            return Err(RolloutFailure {
                reason,
                problem: None,
                statuses,
            });
        }
    }
}

struct AbortOnDrop(Vec<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// Lists every watched kind once.
async fn resync(client: &Client, ns: &str) -> Vec<Result<Change, String>> {
    vec![
        list_all::<Deployment>(client, ns, "Deployment", |o| {
            Object::Deployment(Box::new(o))
        })
        .await,
        list_all::<StatefulSet>(client, ns, "StatefulSet", |o| {
            Object::StatefulSet(Box::new(o))
        })
        .await,
        list_all::<DaemonSet>(client, ns, "DaemonSet", |o| Object::DaemonSet(Box::new(o))).await,
        list_all::<Job>(client, ns, "Job", |o| Object::Job(Box::new(o))).await,
        list_all::<Pod>(client, ns, "Pod", |o| Object::Pod(Box::new(o))).await,
    ]
}

async fn list_all<K>(
    client: &Client,
    ns: &str,
    kind: &'static str,
    wrap: fn(K) -> Object,
) -> Result<Change, String>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + fmt::Debug,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client.clone(), ns);
    api.list(&ListParams::default())
        .await
        .map(|l| Change::Reset(kind, l.items.into_iter().map(wrap).collect()))
        .map_err(|e| format!("list {kind}: {e}"))
}

/// Keeps one kind current: list, then watch from the list's resource version, re-watching when
/// the server closes the stream and re-listing when the version is too old (410 Gone).
async fn reflect<K>(
    client: Client,
    ns: String,
    tx: mpsc::UnboundedSender<Result<Change, String>>,
    kind: &'static str,
    wrap: fn(K) -> Object,
) where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + fmt::Debug
        + Send
        + 'static,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client, &ns);
    'relist: loop {
        let list = match api.list(&ListParams::default()).await {
            Ok(l) => l,
            Err(e) => {
                if tx.send(Err(format!("list {kind}: {e}"))).is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let mut rv = list.metadata.resource_version.clone().unwrap_or_default();
        if tx
            .send(Ok(Change::Reset(
                kind,
                list.items.into_iter().map(wrap).collect(),
            )))
            .is_err()
        {
            return;
        }
        loop {
            let wp = WatchParams::default().timeout(290);
            let stream = match api.watch(&wp, &rv).await {
                Ok(s) => s,
                Err(e) => {
                    if tx.send(Err(format!("watch {kind}: {e}"))).is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue 'relist;
                }
            };
            let mut stream = stream.boxed();
            loop {
                match stream.try_next().await {
                    Ok(Some(WatchEvent::Added(o))) | Ok(Some(WatchEvent::Modified(o))) => {
                        if let Some(v) = o.meta().resource_version.clone() {
                            rv = v;
                        }
                        if tx.send(Ok(Change::Upsert(wrap(o)))).is_err() {
                            return;
                        }
                    }
                    Ok(Some(WatchEvent::Deleted(o))) => {
                        if let Some(v) = o.meta().resource_version.clone() {
                            rv = v;
                        }
                        let name = o.meta().name.clone().unwrap_or_default();
                        if tx.send(Ok(Change::Delete(kind, name))).is_err() {
                            return;
                        }
                    }
                    Ok(Some(WatchEvent::Bookmark(b))) => rv = b.metadata.resource_version,
                    Ok(Some(WatchEvent::Error(e))) => {
                        if e.code == 410 {
                            continue 'relist;
                        }
                        let _ = tx.send(Err(format!("watch {kind}: {}", e.message)));
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue 'relist;
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let _ = tx.send(Err(format!("watch {kind}: {e}")));
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue 'relist;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(v: serde_json::Value) -> Object {
        Object::Pod(Box::new(serde_json::from_value(v).unwrap()))
    }

    #[test]
    fn crashloop_is_a_problem_with_exit_code() {
        let mut s = Snapshot::default();
        s.apply(Change::Upsert(pod(json!({
            "metadata": {"name": "web-1"},
            "spec": {"containers": [{"name": "web"}]},
            "status": {"containerStatuses": [{
                "name": "web", "ready": false, "restartCount": 2, "image": "i", "imageID": "",
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 20s"}},
                "lastState": {"terminated": {"exitCode": 3, "reason": "Error"}}
            }]}
        }))));
        let p = s.problems(&Thresholds::default(), Instant::now());
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, ProblemKind::CrashLoopBackOff);
        assert_eq!(p[0].message, "last exit code 3 (Error)");
        assert_eq!(p[0].container.as_deref(), Some("web"));
    }

    #[test]
    fn restarts_over_threshold_and_config_error_grace() {
        let mut s = Snapshot::default();
        s.apply(Change::Upsert(pod(json!({
            "metadata": {"name": "a"},
            "status": {"containerStatuses": [
                {"name": "x", "ready": true, "restartCount": 4, "image": "i", "imageID": "", "state": {"running": {}}},
                {"name": "y", "ready": false, "restartCount": 0, "image": "i", "imageID": "",
                 "state": {"waiting": {"reason": "CreateContainerConfigError", "message": "secret \"s\" not found"}}}
            ]}
        }))));
        let th = Thresholds {
            max_restarts: 3,
            config_error_grace: Duration::from_secs(60),
        };
        let t0 = Instant::now();
        let p = s.problems(&th, t0);
        assert_eq!(
            p.iter().map(|p| p.kind).collect::<Vec<_>>(),
            vec![ProblemKind::Restarts]
        );
        let p = s.problems(&th, t0 + Duration::from_secs(61));
        assert!(p.iter().any(|p| p.kind == ProblemKind::ConfigError));
    }

    #[test]
    fn deployment_and_job_progress() {
        let mut s = Snapshot::default();
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "web", "generation": 2},
            "spec": {"replicas": 2, "selector": {}, "template": {}},
            "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 1}
        }))
        .unwrap();
        s.apply(Change::Upsert(Object::Deployment(Box::new(d))));
        let j: Job = serde_json::from_value(json!({
            "metadata": {"name": "migrate"},
            "spec": {"template": {}},
            "status": {"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}
        }))
        .unwrap();
        s.apply(Change::Upsert(Object::Job(Box::new(j))));
        let st = s.statuses();
        assert_eq!(st[0].to_string(), "Deployment/web 1/2 (1 of 2 available)");
        assert!(!s.all_done());
        let p = s.problems(&Thresholds::default(), Instant::now());
        assert_eq!(p[0].kind, ProblemKind::JobFailed);
        assert_eq!(p[0].reason, "BackoffLimitExceeded");
    }
}
