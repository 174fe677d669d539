//! Shared helpers of the cluster tests: a PATH of fake provider CLIs that record their
//! arguments, the fake Kubernetes API, and builders for the objects tests script.

#![allow(dead_code)]

pub mod fake_kube;

use std::path::{Path, PathBuf};

use charttest::cli::{Cli, Command, Outcome};
use charttest::cluster::env::Env;
use charttest::cluster::progress::Log;
use clap::Parser;
use serde_json::{json, Value};

/// The fake CLI script every tool links to.
pub fn fake_cli() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fake-bin/fake-cli")
}

/// A directory holding fake versions of `tools`, and the record file they append to.
pub struct FakeBin {
    /// Temporary directory (bin/, record, data files).
    pub dir: tempfile::TempDir,
}

impl FakeBin {
    /// Fake `tools` on a fresh PATH directory.
    pub fn new(tools: &[&str]) -> FakeBin {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        for t in tools {
            std::os::unix::fs::symlink(fake_cli(), dir.path().join("bin").join(t)).unwrap();
        }
        FakeBin { dir }
    }

    /// The record file.
    pub fn record_path(&self) -> PathBuf {
        self.dir.path().join("record")
    }

    /// Every recorded command line.
    pub fn record(&self) -> Vec<String> {
        std::fs::read_to_string(self.record_path())
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Writes a canned output file the fake CLIs print (`k3d-list.json`, ...).
    pub fn data(&self, name: &str, content: &str) {
        std::fs::write(self.dir.path().join(name), content).unwrap();
    }

    /// The state file path.
    pub fn state_file(&self) -> PathBuf {
        self.dir.path().join("state/clusters.json")
    }

    /// An environment with the fakes first on PATH, the record, and `extra` variables.
    pub fn env(&self, extra: &[(&str, &str)]) -> Env {
        let mut env = Env::from_vars([
            (
                "PATH",
                format!("{}:/usr/bin:/bin", self.dir.path().join("bin").display()),
            ),
            ("HOME", self.dir.path().display().to_string()),
            ("FAKE_RECORD", self.record_path().display().to_string()),
            ("FAKE_DIR", self.dir.path().display().to_string()),
        ]);
        for (k, v) in extra {
            env.set(*k, *v);
        }
        env
    }
}

/// Waits until the record has `n` lines starting with `prefix`; false after 30 s.
pub fn wait_record(record: &Path, prefix: &str, n: usize) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        let count = std::fs::read_to_string(record)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with(prefix))
            .count();
        if count >= n {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    false
}

/// Parses a command line of ours.
pub fn parse(args: &[&str]) -> Command {
    let mut argv = vec!["posthog-charttest"];
    argv.extend_from_slice(args);
    Cli::try_parse_from(argv)
        .unwrap_or_else(|e| panic!("{e}"))
        .command
}

/// Runs `cluster ...` in-process with an environment; returns the outcome and the live log.
pub fn run_cluster(args: &[&str], env: Env) -> (Outcome, Vec<String>) {
    let Command::Cluster(a) = parse(args) else {
        panic!("not a cluster command")
    };
    let log = Log::buffer();
    let out = charttest::cli::cluster::run_with_env(a, env, log.clone());
    (out, log.captured())
}

/// A namespace object.
pub fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}, "status": {"phase": "Active"}})
}

/// A Deployment with `ready` of `replicas` available.
pub fn deployment(ns: &str, name: &str, replicas: i32, ready: i32) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "generation": 1, "labels": {"app.kubernetes.io/component": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": name, "image": format!("posthog/{name}:1")}]}}},
        "status": {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": ready, "availableReplicas": ready}
    })
}

/// A StatefulSet with `ready` of `replicas` ready.
pub fn statefulset(ns: &str, name: &str, replicas: i32, ready: i32) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": ns, "generation": 1},
        "spec": {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": name, "image": format!("{name}:1")}]}}},
        "status": {"observedGeneration": 1, "replicas": replicas, "readyReplicas": ready, "currentRevision": "r1", "updateRevision": "r1", "updatedReplicas": replicas}
    })
}

/// A Job; `state` is "running", "complete" or "failed".
pub fn job(ns: &str, name: &str, state: &str) -> Value {
    let (status, conditions) = match state {
        "complete" => (
            json!({"succeeded": 1}),
            json!([{"type": "Complete", "status": "True"}]),
        ),
        "failed" => (
            json!({"failed": 3}),
            json!([{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]),
        ),
        _ => (json!({"active": 1}), json!([])),
    };
    let mut status = status;
    status["conditions"] = conditions;
    json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": ns, "labels": {"app.kubernetes.io/component": "migrate"}},
        "spec": {"backoffLimit": 2, "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "migrate", "image": "posthog/posthog:1"}]}}},
        "status": status
    })
}

/// A running, Ready pod with one container.
pub fn pod(ns: &str, name: &str, container: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u"}]},
        "spec": {"containers": [{"name": container, "image": "posthog/posthog:1",
            "env": [
                {"name": "SITE_URL", "value": "http://localhost"},
                {"name": "SECRET_KEY", "valueFrom": {"secretKeyRef": {"name": "posthog", "key": "secret-key"}}}
            ]}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": container, "ready": true, "restartCount": 0, "image": "posthog/posthog:1", "imageID": "", "state": {"running": {"startedAt": "2025-01-01T00:00:00Z"}}}]}
    })
}

/// The status patch that puts a pod's container in CrashLoopBackOff.
pub fn crashloop_status(container: &str, restarts: i32) -> Value {
    json!({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
        "containerStatuses": [{"name": container, "ready": false, "restartCount": restarts, "image": "posthog/posthog:1", "imageID": "",
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": format!("back-off 40s restarting failed container={container}")}},
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}})
}

/// A Secret holding `value` under `key` (base64-encoded, as the API stores it).
pub fn secret(ns: &str, name: &str, key: &str, value: &str) -> Value {
    use base64::Engine as _;
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns}, "type": "Opaque",
        "data": {key: base64::engine::general_purpose::STANDARD.encode(value)}})
}

/// Every file under `dir`, concatenated (to grep artifacts for secrets).
pub fn read_tree(dir: &Path) -> String {
    let mut out = String::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.push_str(&read_tree(&p));
            } else if let Ok(t) = std::fs::read_to_string(&p) {
                out.push_str(&t);
            }
        }
    }
    out
}
