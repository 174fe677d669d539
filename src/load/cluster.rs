//! `load --in-cluster N`: the same load run by N pods of a Kubernetes Job (indexed
//! completions, the tool's own image), each pod a shard with its own sequence block, and the
//! pods' summaries, histograms included, merged into one.
//!
//! The Kubernetes side is behind [`JobBackend`]; [`Kubectl`] drives it through `kubectl`, and
//! tests use a fake.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::summary::Summary;

/// The prefix of the line each pod prints with its summary (`--summary-line`).
pub const SUMMARY_LINE_PREFIX: &str = "charttest-summary: ";

/// What to run.
#[derive(Debug, Clone)]
pub struct JobSpec {
    /// Job and ConfigMap name (a DNS label).
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// The posthog-charttest image.
    pub image: String,
    /// Pods (shards).
    pub shards: u64,
    /// The scenario file's text, shipped in a ConfigMap.
    pub scenario: String,
    /// The run id all pods share.
    pub run_id: String,
    /// Tokio worker threads per pod (0: the pod's CPUs).
    pub threads: usize,
    /// More arguments for the pods' `load` command (`--target`, `--token`).
    pub extra_args: Vec<String>,
}

fn yaml_str(s: &str) -> String {
    // JSON strings are valid YAML flow scalars.
    serde_json::to_string(s).unwrap_or_default()
}

fn block(text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The arguments of each pod's `posthog-charttest` (the shard comes from
/// JOB_COMPLETION_INDEX).
pub fn pod_args(spec: &JobSpec) -> Vec<String> {
    let mut args = vec![
        "load".to_string(),
        "--scenario".into(),
        "/etc/charttest/scenario.yaml".into(),
        "--run-id".into(),
        spec.run_id.clone(),
        "--shards".into(),
        spec.shards.to_string(),
        "--summary-line".into(),
        "--progress-every".into(),
        "10s".into(),
    ];
    if spec.threads > 0 {
        args.push("--threads".into());
        args.push(spec.threads.to_string());
    }
    args.extend(spec.extra_args.iter().cloned());
    args
}

/// The ConfigMap and Job manifests (one YAML stream).
pub fn manifests(spec: &JobSpec) -> String {
    let labels = format!(
        "app.kubernetes.io/name: posthog-charttest\n    app.kubernetes.io/component: load\n    charttest/run-id: {}",
        yaml_str(&spec.run_id)
    );
    let args = pod_args(spec);
    let args_yaml = args
        .iter()
        .map(|a| format!("            - {}", yaml_str(a)))
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: {ns}
  labels:
    {labels}
data:
  scenario.yaml: |
{scenario}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
  namespace: {ns}
  labels:
    {labels}
spec:
  completionMode: Indexed
  completions: {n}
  parallelism: {n}
  backoffLimit: 0
  ttlSecondsAfterFinished: 3600
  template:
    metadata:
      labels:
        {pod_labels}
    spec:
      restartPolicy: Never
      containers:
        - name: load
          image: {image}
          # The shard comes from JOB_COMPLETION_INDEX, which the Job controller sets.
          args:
{args}
          volumeMounts:
            - name: scenario
              mountPath: /etc/charttest
              readOnly: true
          securityContext:
            runAsNonRoot: true
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
      volumes:
        - name: scenario
          configMap:
            name: {name}
"#,
        name = spec.name,
        ns = spec.namespace,
        labels = labels,
        pod_labels = labels.replace("\n    ", "\n        "),
        scenario = block(&spec.scenario, 4),
        n = spec.shards,
        image = yaml_str(&spec.image),
        args = args_yaml,
    )
}

/// How a Job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobStatus {
    /// Pods that succeeded.
    pub succeeded: u64,
    /// Pods that failed.
    pub failed: u64,
}

/// The Kubernetes operations `--in-cluster` needs.
pub trait JobBackend {
    /// Creates the objects of a manifest stream.
    fn apply(&self, manifest: &str) -> Result<(), String>;
    /// The Job's pod counts now.
    fn status(&self, namespace: &str, job: &str) -> Result<JobStatus, String>;
    /// Each pod's name and log.
    fn logs(&self, namespace: &str, job: &str) -> Result<Vec<(String, String)>, String>;
    /// Deletes the Job, its pods and the ConfigMap.
    fn delete(&self, namespace: &str, name: &str) -> Result<(), String>;
}

/// [`JobBackend`] through a `kubectl` binary (and its current context).
pub struct Kubectl {
    /// The binary.
    pub bin: String,
    /// `--context`, when given.
    pub context: Option<String>,
}

impl Kubectl {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        if let Some(ctx) = &self.context {
            c.arg("--context").arg(ctx);
        }
        c.args(args);
        c
    }

    fn output(&self, args: &[&str], input: Option<&str>) -> Result<String, String> {
        let mut c = self.cmd(args);
        c.stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = c
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.bin))?;
        if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
            use std::io::Write as _;
            stdin
                .write_all(text.as_bytes())
                .map_err(|e| format!("kubectl stdin: {e}"))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| format!("kubectl: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "kubectl {}: {}",
                args.first().copied().unwrap_or(""),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl JobBackend for Kubectl {
    fn apply(&self, manifest: &str) -> Result<(), String> {
        self.output(&["apply", "-f", "-"], Some(manifest))
            .map(|_| ())
    }

    fn status(&self, namespace: &str, job: &str) -> Result<JobStatus, String> {
        let out = self.output(
            &[
                "get",
                "job",
                job,
                "-n",
                namespace,
                "-o",
                "jsonpath={.status.succeeded},{.status.failed}",
            ],
            None,
        )?;
        let mut parts = out.trim().split(',');
        let num = |s: Option<&str>| s.and_then(|s| s.trim().parse().ok()).unwrap_or(0);
        Ok(JobStatus {
            succeeded: num(parts.next()),
            failed: num(parts.next()),
        })
    }

    fn logs(&self, namespace: &str, job: &str) -> Result<Vec<(String, String)>, String> {
        let selector = format!("job-name={job}");
        let names = self.output(
            &[
                "get",
                "pods",
                "-n",
                namespace,
                "-l",
                &selector,
                "-o",
                "jsonpath={.items[*].metadata.name}",
            ],
            None,
        )?;
        names
            .split_whitespace()
            .map(|pod| {
                self.output(&["logs", "-n", namespace, pod], None)
                    .map(|log| (pod.to_string(), log))
            })
            .collect()
    }

    fn delete(&self, namespace: &str, name: &str) -> Result<(), String> {
        self.output(
            &[
                "delete",
                "job,configmap",
                name,
                "-n",
                namespace,
                "--ignore-not-found",
                "--cascade=foreground",
                "--wait=false",
            ],
            None,
        )
        .map(|_| ())
    }
}

/// Reads each pod's summary line.
pub fn collect_summaries(logs: &[(String, String)]) -> Result<Vec<Summary>, String> {
    let mut out = Vec::new();
    for (pod, log) in logs {
        let line = log
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix(SUMMARY_LINE_PREFIX))
            .ok_or_else(|| {
                format!(
                    "pod {pod} printed no summary; its log ends with:\n{}",
                    tail(log, 10)
                )
            })?;
        let s: Summary = serde_json::from_str(line)
            .map_err(|e| format!("pod {pod}: summary does not parse: {e}"))?;
        out.push(s);
    }
    Ok(out)
}

fn tail(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Creates the Job, waits for every pod to finish (or `timeout`), collects and merges the
/// summaries. The Job is deleted afterwards unless `keep`.
pub fn run_in_cluster(
    backend: &dyn JobBackend,
    spec: &JobSpec,
    timeout: Duration,
    poll: Duration,
    keep: bool,
    mut progress: impl FnMut(&str),
) -> Result<Summary, String> {
    backend.apply(&manifests(spec))?;
    progress(&format!(
        "job {}/{} created: {} pods, run_id {}",
        spec.namespace, spec.name, spec.shards, spec.run_id
    ));
    let started = Instant::now();
    let result = (|| {
        loop {
            let st = backend.status(&spec.namespace, &spec.name)?;
            if st.succeeded + st.failed >= spec.shards {
                break;
            }
            if started.elapsed() > timeout {
                return Err(format!(
                    "job {}/{} not finished after {}: {} of {} pods done",
                    spec.namespace,
                    spec.name,
                    super::yamlcfg::format_duration(timeout),
                    st.succeeded + st.failed,
                    spec.shards
                ));
            }
            progress(&format!(
                "waiting for job {}: {}/{} pods done",
                spec.name,
                st.succeeded + st.failed,
                spec.shards
            ));
            std::thread::sleep(poll);
        }
        let logs = backend.logs(&spec.namespace, &spec.name)?;
        let parts = collect_summaries(&logs)?;
        if parts.len() as u64 != spec.shards {
            return Err(format!(
                "expected {} pod summaries, found {}",
                spec.shards,
                parts.len()
            ));
        }
        Summary::merge(&parts)
    })();
    if !keep {
        if let Err(e) = backend.delete(&spec.namespace, &spec.name) {
            progress(&format!("warning: could not delete job {}: {e}", spec.name));
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::metrics::Metrics;
    use parking_lot::Mutex;

    struct Fake {
        applied: Mutex<Vec<String>>,
        polls: Mutex<u64>,
        logs: Vec<(String, String)>,
        deleted: Mutex<bool>,
    }

    impl JobBackend for Fake {
        fn apply(&self, m: &str) -> Result<(), String> {
            self.applied.lock().push(m.to_string());
            Ok(())
        }
        fn status(&self, _: &str, _: &str) -> Result<JobStatus, String> {
            let mut p = self.polls.lock();
            *p += 1;
            Ok(JobStatus {
                succeeded: (*p).min(2),
                failed: 0,
            })
        }
        fn logs(&self, _: &str, _: &str) -> Result<Vec<(String, String)>, String> {
            Ok(self.logs.clone())
        }
        fn delete(&self, _: &str, _: &str) -> Result<(), String> {
            *self.deleted.lock() = true;
            Ok(())
        }
    }

    fn pod_summary(shard: u64, accepted: u64, ms: u64) -> Summary {
        let m = Metrics::new(1);
        m.events_sent
            .store(accepted, std::sync::atomic::Ordering::Relaxed);
        m.events_accepted
            .store(accepted, std::sync::atomic::Ordering::Relaxed);
        m.req_duration.record(0, Duration::from_millis(ms));
        let base = shard * crate::load::runner::SHARD_SEQ_BLOCK;
        Summary::from_metrics(&m, "run-7", "t", Duration::from_secs(1), base, accepted)
    }

    fn spec() -> JobSpec {
        JobSpec {
            name: "charttest-load-run-7".into(),
            namespace: "ph".into(),
            image: "example/posthog-charttest:1".into(),
            shards: 2,
            scenario: "targets: [http://capture:3000]\ntoken: t\n".into(),
            run_id: "run-7".into(),
            threads: 0,
            extra_args: vec!["--target".into(), "http://capture.ph.svc:3000".into()],
        }
    }

    #[test]
    fn manifests_are_an_indexed_job_with_the_scenario() {
        let text = manifests(&spec());
        let docs = crate::engine::yaml::parse_all(&text).unwrap();
        assert_eq!(docs.len(), 2);
        let to_json = |v| -> serde_json::Value {
            serde_json::from_str(&crate::engine::json::marshal(v, false).unwrap()).unwrap()
        };
        let cm = to_json(&docs[0]);
        assert_eq!(
            cm["data"]["scenario.yaml"],
            "targets: [http://capture:3000]\ntoken: t\n"
        );
        let job = to_json(&docs[1]);
        assert_eq!(job["spec"]["completionMode"], "Indexed");
        assert_eq!(job["spec"]["completions"], 2);
        let args = &job["spec"]["template"]["spec"]["containers"][0]["args"];
        assert_eq!(args[0], "load");
        assert!(args
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "--summary-line"));
        assert!(args
            .as_array()
            .unwrap()
            .windows(2)
            .any(|w| w[0] == "--target" && w[1] == "http://capture.ph.svc:3000"));
    }

    #[test]
    fn runs_waits_collects_and_merges() {
        let line = |s: &Summary| {
            format!(
                "progress…\n{SUMMARY_LINE_PREFIX}{}\n",
                serde_json::to_string(s).unwrap()
            )
        };
        let fake = Fake {
            applied: Mutex::new(Vec::new()),
            polls: Mutex::new(0),
            logs: vec![
                ("p0".into(), line(&pod_summary(0, 100, 5))),
                ("p1".into(), line(&pod_summary(1, 50, 50))),
            ],
            deleted: Mutex::new(false),
        };
        let mut msgs = Vec::new();
        let merged = run_in_cluster(
            &fake,
            &spec(),
            Duration::from_secs(5),
            Duration::from_millis(1),
            false,
            |m| msgs.push(m.to_string()),
        )
        .unwrap();
        assert_eq!(merged.events.accepted, 150);
        assert_eq!(merged.shards, 2);
        assert_eq!(merged.http_req_duration.count, 2);
        assert_eq!(merged.seqs.sent.len(), 150);
        assert_eq!(merged.seqs.sent.ranges().len(), 2);
        assert!(*fake.deleted.lock());
        assert_eq!(fake.applied.lock().len(), 1);
    }

    #[test]
    fn a_pod_without_summary_is_an_error() {
        let fake = Fake {
            applied: Mutex::new(Vec::new()),
            polls: Mutex::new(0),
            logs: vec![
                ("p0".into(), "Error: boom\n".into()),
                ("p1".into(), String::new()),
            ],
            deleted: Mutex::new(false),
        };
        let err = run_in_cluster(
            &fake,
            &spec(),
            Duration::from_secs(5),
            Duration::from_millis(1),
            true,
            |_| {},
        )
        .unwrap_err();
        assert!(
            err.contains("pod p0 printed no summary") && err.contains("Error: boom"),
            "{err}"
        );
        assert!(!*fake.deleted.lock());
    }
}
