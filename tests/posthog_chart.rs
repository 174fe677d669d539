//! Checks on charts/posthog, over every scenario in `charts/posthog/ci/*-values.yaml`:
//!
//! - the native render equals `helm template` of helm 4.1.4 and of helm 3.18.0 (masked the way
//!   `conformance` masks lines two helm runs disagree on), and so do its errors;
//! - `helm lint --strict` passes with both helm versions;
//! - every container has resources, probes and runAsNonRoot, unless a `# no-…: reason` comment
//!   in its block says why (init containers and Jobs, which cannot or need not be probed);
//! - the helm-unittest suites in `charts/posthog/tests/` pass against both helm versions
//!   (through `posthog-charttest test`).
//!
//! The helm binaries come from scripts/install-tools.sh. Without them these tests print a notice
//! and check only what needs no helm, unless CHARTTEST_REQUIRE_HELM=1 (scripts/test.sh sets
//! it), which turns a missing helm into a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use charttest::cli::conformance::{judge, Scenario};
use charttest::cli::template::{run as run_template, TemplateArgs};
use serde_json::Value as Json;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn chart() -> PathBuf {
    root().join("charts/posthog")
}

/// The scenario values files, by file name, sorted.
fn scenarios() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(chart().join("ci"))
        .expect("charts/posthog/ci exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with("-values.yaml"))
        .collect();
    names.sort();
    names
}

/// The helm binary of `.tools/<dir>`, or None (with a notice) when it is absent and not
/// required.
fn helm(dir: &str) -> Option<PathBuf> {
    let path = root().join(".tools").join(dir).join("helm");
    if path.exists() {
        return Some(path);
    }
    let required = std::env::var("CHARTTEST_REQUIRE_HELM").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{} is missing and CHARTTEST_REQUIRE_HELM=1: run scripts/install-tools.sh",
        path.display()
    );
    println!(
        "notice: {} is missing; skipping (run scripts/install-tools.sh)",
        path.display()
    );
    None
}

#[test]
fn there_is_a_scenario_for_every_cloud_and_profile() {
    let names = scenarios();
    for cloud in ["k3s", "aws", "gcp", "digitalocean", "azure"] {
        for profile in ["minimal", "external", "ha"] {
            let want = format!("{cloud}-{profile}-values.yaml");
            assert!(names.contains(&want), "missing scenario ci/{want}");
        }
    }
}

/// Values that make the render fail: a missing password, contradictions, schema violations.
const FAILING_SETS: &[&str] = &[
    "posthog.secretKey=",
    "kafka.replicaCount=2",
    "kafka.persistence.size=100Mi",
    "clickhouse.keeper.replicaCount=2",
    "minio.replicaCount=3",
    "minio.enabled=false",
    "kafka.enabled=false",
    "pluginServer.jobs.enabled=true",
    "capture.image.tag=latest",
    "web.replicaCont=2",
    "cloud=openstack",
    "postgresql.auth.password=a/b",
];

fn native_matches(helm_dir: &str, compat: u32) {
    let Some(helm) = helm(helm_dir) else { return };
    let mut failures = Vec::new();
    let mut cases: Vec<Scenario> = scenarios()
        .into_iter()
        .map(|name| Scenario {
            chart: "posthog".into(),
            name: name.clone(),
            values: vec![format!("ci/{name}")],
            set: Vec::new(),
            expect_error: false,
        })
        .collect();
    // Failures must match too: helm's exit code and error text, byte for byte.
    cases.extend(FAILING_SETS.iter().map(|set| Scenario {
        chart: "posthog".into(),
        name: format!("base + {set}"),
        values: vec!["tests/values/base.yaml".into()],
        set: vec![set.to_string()],
        expect_error: true,
    }));
    for sc in &cases {
        let verdict = judge(root(), sc, &helm, compat);
        if verdict.result != "identical" {
            failures.push(format!(
                "{} {}\n{}",
                verdict.result, sc.name, verdict.detail
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "native render differs from {helm_dir}:\n{}",
        failures.join("\n")
    );
}

#[test]
fn native_render_equals_helm4_for_every_scenario() {
    native_matches("helm-4.1.4", 4);
}

#[test]
fn native_render_equals_helm3_for_every_scenario() {
    native_matches("helm-3.18.0", 3);
}

fn lint_strict(helm_dir: &str) {
    let Some(helm) = helm(helm_dir) else { return };
    let mut failures = Vec::new();
    for name in scenarios() {
        let out = Command::new(&helm)
            .args(["lint", "--strict"])
            .arg(chart())
            .arg("-f")
            .arg(chart().join("ci").join(&name))
            .output()
            .expect("helm runs");
        if !out.status.success() {
            failures.push(format!(
                "{name}:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "helm lint --strict ({helm_dir}) failed:\n{}",
        failures.join("\n")
    );
}

#[test]
fn helm4_lint_strict_passes_for_every_scenario() {
    lint_strict("helm-4.1.4");
}

#[test]
fn helm3_lint_strict_passes_for_every_scenario() {
    lint_strict("helm-3.18.0");
}

/// Renders a scenario natively (helm 4 behaviour) and returns helm's stdout.
fn render(name: &str) -> String {
    let mut args = TemplateArgs::for_chart(chart().display().to_string());
    args.args.insert(0, "posthog".into());
    args.namespace = "posthog".into();
    args.vals.values = vec![chart().join("ci").join(name).display().to_string()];
    let out = run_template(&args);
    assert_eq!(out.exit, 0, "{name} does not render:\n{}", out.stderr);
    out.stdout
}

/// The documents of a rendered stream, as text and as JSON.
fn documents(stream: &str) -> Vec<(String, Json)> {
    stream
        .split("\n---\n")
        .filter(|d| !d.trim().is_empty() && d.trim() != "---")
        .map(|text| {
            let value = charttest::engine::yaml::parse(text).expect("rendered YAML parses");
            let json = charttest::engine::json::marshal(&value, false).expect("to JSON");
            (
                text.to_string(),
                serde_json::from_str(&json).expect("JSON parses"),
            )
        })
        .collect()
}

/// The pod spec of a workload document.
fn pod_spec(doc: &Json) -> Option<&Json> {
    match doc["kind"].as_str()? {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            doc.pointer("/spec/template/spec")
        }
        "CronJob" => doc.pointer("/spec/jobTemplate/spec/template/spec"),
        "Pod" => doc.get("spec"),
        _ => None,
    }
}

/// The lines of a container's block in the document text: from its `- name: NAME` line (the
/// one followed by an `image:` line) to the next line indented no deeper than its dash.
fn container_block<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() != format!("- name: {name}") {
            continue;
        }
        let dash = line.len() - line.trim_start().len();
        let block: Vec<&str> = lines[i + 1..]
            .iter()
            .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > dash)
            .copied()
            .collect();
        if block.iter().any(|l| {
            l.trim_start().starts_with("image:") && l.len() - l.trim_start().len() == dash + 2
        }) {
            return block;
        }
    }
    Vec::new()
}

/// Whether the block carries `# <marker>: <reason>` with a non-empty reason.
fn excused(block: &[&str], marker: &str) -> bool {
    block.iter().any(|l| {
        l.trim_start()
            .strip_prefix('#')
            .map(str::trim_start)
            .and_then(|c| c.strip_prefix(marker))
            .and_then(|c| c.strip_prefix(':'))
            .is_some_and(|reason| reason.trim().len() > 3)
    })
}

fn has_quantity(c: &Json, kind: &str, resource: &str) -> bool {
    c.pointer(&format!("/resources/{kind}/{resource}"))
        .is_some_and(|v| !v.is_null())
}

/// Problems of one container, as text.
fn container_problems(text: &str, pod: &Json, c: &Json, init: bool) -> Vec<String> {
    let name = c["name"].as_str().unwrap_or("?");
    let block = container_block(text, name);
    let mut problems = Vec::new();
    let resources = ["requests", "limits"]
        .iter()
        .all(|k| has_quantity(c, k, "cpu") && has_quantity(c, k, "memory"));
    if !resources && !excused(&block, "no-resources") {
        problems.push(format!("{name}: no cpu and memory requests and limits"));
    }
    let probes = ["livenessProbe", "readinessProbe", "startupProbe"]
        .iter()
        .all(|p| c.get(*p).is_some_and(|v| v.is_object()));
    if !probes && !excused(&block, "no-probes") {
        let what = if init { "init container" } else { "container" };
        problems.push(format!(
            "{name}: {what} without liveness, readiness and startup probes, and no '# no-probes: why' comment"
        ));
    }
    let container_says = c
        .pointer("/securityContext/runAsNonRoot")
        .and_then(Json::as_bool);
    let pod_says = pod
        .pointer("/securityContext/runAsNonRoot")
        .and_then(Json::as_bool);
    let non_root = container_says.or(pod_says) == Some(true);
    if !non_root && !excused(&block, "no-runAsNonRoot") {
        problems.push(format!("{name}: not runAsNonRoot"));
    }
    problems
}

#[test]
fn every_container_has_resources_probes_and_runs_as_non_root() {
    let mut problems = Vec::new();
    let mut containers = 0;
    for name in scenarios() {
        for (text, doc) in documents(&render(&name)) {
            let Some(pod) = pod_spec(&doc) else { continue };
            let object = format!(
                "{name} {}/{}",
                doc["kind"].as_str().unwrap_or("?"),
                doc.pointer("/metadata/name")
                    .and_then(Json::as_str)
                    .unwrap_or("?")
            );
            for (key, init) in [("containers", false), ("initContainers", true)] {
                for c in pod.get(key).and_then(Json::as_array).into_iter().flatten() {
                    containers += 1;
                    for p in container_problems(&text, pod, c, init) {
                        problems.push(format!("{object}: {p}"));
                    }
                }
            }
        }
    }
    assert!(containers > 200, "only {containers} containers inspected");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_container_check_catches_what_it_should() {
    // A container without resources, probes or runAsNonRoot, and one excused by comments.
    let text = "\
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: bare
          image: busybox:1.36
        - name: excused
          # no-probes: it runs to completion
          # no-resources: sized by a LimitRange
          # no-runAsNonRoot: the image needs root to bind port 80
          image: nginx:1.27
";
    let doc = documents(text).remove(0).1;
    let pod = pod_spec(&doc).expect("a pod spec");
    let containers = pod["containers"].as_array().expect("containers");
    assert_eq!(
        container_problems(text, pod, &containers[0], false).len(),
        3
    );
    assert!(container_problems(text, pod, &containers[1], false).is_empty());
}

/// The chart's helm-unittest suites, run by `posthog-charttest test` as a user runs them.
#[test]
fn unittest_suites_pass_with_posthog_charttest() {
    let out = Command::new(env!("CARGO_BIN_EXE_posthog-charttest"))
        .args(["test", "--ci", "--color", "never"])
        .arg(chart())
        .output()
        .expect("posthog-charttest runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "chart suites failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = stdout
        .lines()
        .find(|l| l.contains("Summary"))
        .expect("a summary line");
    let passed: usize = summary
        .split("run: ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("N passed in the summary");
    assert!(passed >= 150, "only {passed} suite cases passed: {summary}");
}
