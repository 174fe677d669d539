//! `e2e --provider existing` through every phase against the in-process fake Kubernetes API,
//! with a fake helm on PATH (as the install tests use), the fake capture and a fake ClickHouse
//! that stores what capture accepted. The fake cluster plays the controllers: a simulator
//! applies the release's objects when helm installs, and hooks run what pods would run:
//! the load Job's pods run the real `load` command in-process against capture (the fake
//! resolves the Service names as cluster DNS would), the probe pod answers for the Services it
//! knows, the seed Job completes. Then one fault per phase.

mod common;
mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use charttest::cli::{Command, Outcome};
use charttest::cluster::progress::Log;
use charttest::load::fake_capture::{FakeCapture, FakeCaptureOptions, Fault};
use common::fake_clickhouse::FakeClickHouse;
use serde_json::{json, Value};
use support::fake_kube::FakeKube;
use support::*;

const NS: &str = "ph-e2e";
const KUBE_TOKEN: &str = "kube-token-e2e-planted-5a1c";
const CH_PASSWORD: &str = "clickhouse-password-planted-e2e";

/// How the fake cluster misbehaves.
#[derive(Clone, Copy, Default, PartialEq)]
enum Fail {
    #[default]
    Nothing,
    /// A capture pod stays not Ready after the rollout.
    PodNotReady,
    /// Capture answers 503 to everything.
    Capture503,
    /// ClickHouse lost some events.
    MissingEvents,
}

struct World {
    fake: FakeKube,
    bin: FakeBin,
    kubeconfig: PathBuf,
    dir: PathBuf,
    _rt: tokio::runtime::Runtime,
    capture: FakeCapture,
    ch: FakeClickHouse,
}

fn world(fail: Fail) -> World {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let faults: Option<charttest::load::fake_capture::FaultPlan> =
        (fail == Fail::Capture503).then(|| {
            Arc::new(|_: &charttest::load::fake_capture::RequestInfo| Fault::Status(503)) as _
        });
    let capture = rt
        .block_on(FakeCapture::start(
            "127.0.0.1:0",
            FakeCaptureOptions {
                store: true,
                faults,
                ..FakeCaptureOptions::default()
            },
        ))
        .unwrap();
    let ch = rt.block_on(FakeClickHouse::start(Some(CH_PASSWORD), false));
    *ch.state.feed.lock() = Some(capture.state.clone());
    if fail == Fail::MissingEvents {
        *ch.state.lose.lock() = vec![3, 7, 8];
    }
    let fake = FakeKube::start();
    let bin = FakeBin::new(&["helm"]);
    let kubeconfig = fake.kubeconfig(bin.dir.path(), KUBE_TOKEN);
    fake.apply(
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
    );
    fake.route(NS, "posthog-capture", 3000, &capture.url());
    fake.route(NS, "posthog-clickhouse", 8123, &ch.url);
    // Only for the probe pod: these answer as long as a route exists.
    fake.route(NS, "posthog-web", 8000, &capture.url());
    fake.route(NS, "posthog-kafka", 9092, &capture.url());
    fake.on_create(Arc::new(kubelet));
    let dir = bin.dir.path().to_path_buf();
    std::fs::write(
        dir.join("scenario.yaml"),
        "targets: [http://placeholder:3000]\ntoken: phc_placeholder\nrequest: {route: /batch, encoding: gzip, batchSize: 5, timeout: 5s}\nretries: {max: 1, backoff: 20ms, maxBackoff: 50ms}\nscenarios:\n  s:\n    executor: constant-arrival-rate\n    rate: 20\n    timeUnit: 1s\n    duration: 1s\n    preAllocatedVUs: 4\n    maxVUs: 8\nthresholds:\n  http_req_failed: [\"rate<0.01\"]\n",
    )
    .unwrap();
    let chart = dir.join("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: posthog\nversion: 0.2.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-clickhouse\nstringData:\n  clickhouse-password: {{ .Values.password | quote }}\n",
    )
    .unwrap();
    let (f, record) = (fake.clone(), bin.record_path());
    std::thread::spawn(move || {
        if wait_record(&record, "helm install", 1) {
            install_release(&f, fail);
        }
    });
    World {
        fake,
        bin,
        kubeconfig,
        dir,
        _rt: rt,
        capture,
        ch,
    }
}

fn service(name: &str, component: &str, ports: &[u16], headless: bool) -> Value {
    let ports: Vec<Value> = ports
        .iter()
        .map(|p| json!({"name": format!("p{p}"), "port": p, "protocol": "TCP"}))
        .collect();
    json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": NS, "labels": {"app.kubernetes.io/component": component}},
        "spec": {"clusterIP": if headless { "None" } else { "10.43.0.10" }, "selector": {"app": component}, "ports": ports}})
}

fn endpoints(service: &str) -> Value {
    json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": format!("{service}-x1"), "namespace": NS, "labels": {"kubernetes.io/service-name": service}},
        "addressType": "IPv4", "endpoints": [{"addresses": ["10.42.0.7"], "conditions": {"ready": true}}]})
}

/// What helm's install makes, as the controllers would have it once rolled out.
fn install_release(f: &FakeKube, fail: Fail) {
    f.apply(secret(
        NS,
        "posthog-clickhouse",
        "clickhouse-password",
        CH_PASSWORD,
    ));
    for (name, component, ports, headless) in [
        ("posthog-capture", "capture", &[3000u16][..], false),
        ("posthog-web", "web", &[8000][..], false),
        ("posthog-clickhouse", "clickhouse", &[8123, 9000][..], false),
        (
            "posthog-clickhouse-headless",
            "clickhouse",
            &[8123, 9000, 9009][..],
            true,
        ),
        ("posthog-kafka", "kafka", &[9092][..], false),
    ] {
        f.apply(service(name, component, ports, headless));
        f.apply(endpoints(name));
    }
    f.apply(deployment(NS, "web", 1, 1));
    f.apply(deployment(NS, "capture", 1, 1));
    f.apply(statefulset(NS, "clickhouse", 1, 1));
    f.apply(pod(NS, "web-1", "web"));
    f.apply(pod(NS, "capture-1", "capture"));
    if fail == Fail::PodNotReady {
        let mut p = pod(NS, "capture-2", "capture");
        p["status"]["conditions"] = json!([{"type": "Ready", "status": "False"}]);
        p["status"]["containerStatuses"][0]["ready"] = json!(false);
        f.apply(p);
    }
}

/// The fake kubelet and Job controller: runs what the created pods and Jobs would run.
fn kubelet(f: &FakeKube, obj: &Value) {
    let kind = obj["kind"].as_str().unwrap_or("");
    let labels = &obj["metadata"]["labels"];
    let (f, obj) = (f.clone(), obj.clone());
    match (kind, labels["app.kubernetes.io/component"].as_str()) {
        ("Job", Some("load")) => {
            std::thread::spawn(move || run_load_job(&f, &obj));
        }
        ("Job", Some("seed")) => {
            std::thread::spawn(move || {
                let name = obj["metadata"]["name"].as_str().unwrap();
                f.patch("Job", NS, name, json!({"status": {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}}));
            });
        }
        ("Pod", _) if !labels["posthog-charttest/probe"].is_null() => {
            std::thread::spawn(move || run_probe_pod(&f, &obj));
        }
        _ => {}
    }
}

/// Runs the probe pod's script against the fake's routes.
fn run_probe_pod(f: &FakeKube, pod: &Value) {
    let name = pod["metadata"]["name"].as_str().unwrap();
    let script = pod["spec"]["containers"][0]["command"][2].as_str().unwrap();
    let mut log = String::new();
    for line in script.lines().filter(|l| l.starts_with("probe ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let target = match words[2] {
            "wget" => words[words.len() - 1]
                .trim_start_matches("http://")
                .split('/')
                .next()
                .unwrap()
                .to_string(),
            _ => format!("{}:{}", words[words.len() - 2], words[words.len() - 1]),
        };
        if f.resolve(&target).is_some() {
            log.push_str(&format!("PROBE {} ok\n", words[1]));
        } else {
            log.push_str(&format!("PROBE {} fail bad address '{target}'\n", words[1]));
        }
    }
    f.set_log(NS, name, "probe", false, &log);
    f.patch("Pod", NS, name, json!({"status": {"phase": "Succeeded"}}));
}

/// Runs each pod of the load Job: the real `load` command, in-process, with the Service names
/// resolved to the local servers.
fn run_load_job(f: &FakeKube, job: &Value) {
    let name = job["metadata"]["name"].as_str().unwrap().to_string();
    let cm = f
        .get("ConfigMap", NS, &name)
        .expect("the scenario ConfigMap");
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("scenario.yaml");
    std::fs::write(&scenario, cm["data"]["scenario.yaml"].as_str().unwrap()).unwrap();
    let mut args: Vec<String> = job["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    for i in 1..args.len() {
        match args[i - 1].as_str() {
            "--scenario" => args[i] = scenario.display().to_string(),
            "--target" => {
                let u = url::Url::parse(&args[i]).unwrap();
                let hp = format!("{}:{}", u.host_str().unwrap(), u.port().unwrap());
                args[i] = f.resolve(&hp).unwrap_or_else(|| format!("http://{hp}"));
            }
            _ => {}
        }
    }
    let pods = job["spec"]["completions"].as_u64().unwrap();
    let (mut ok, mut failed) = (0, 0);
    for i in 0..pods {
        let mut argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let shard = i.to_string();
        argv.extend(["--shard", &shard]);
        let Command::Load(a) = parse(&argv) else {
            panic!("the load Job does not run `load`: {argv:?}")
        };
        let out = charttest::cli::load::run(&a);
        let pod_name = format!("{name}-{i}");
        f.apply(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod_name, "namespace": NS, "labels": {"job-name": name}},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "load", "image": "x"}]},
            "status": {"phase": if out.exit == 0 { "Succeeded" } else { "Failed" }}}));
        f.set_log(
            NS,
            &pod_name,
            "load",
            false,
            &format!("{}{}", out.stdout, out.stderr),
        );
        if out.exit == 0 {
            ok += 1
        } else {
            failed += 1
        }
    }
    f.patch(
        "Job",
        NS,
        &name,
        json!({"status": {"succeeded": ok, "failed": failed}}),
    );
}

impl World {
    fn e2e(&self, extra: &[&str], env: &[(&str, &str)]) -> (Outcome, Vec<String>) {
        let helm = self.bin.dir.path().join("bin/helm");
        let chart = self.dir.join("chart");
        let artifacts = self.dir.join("artifacts");
        let scenario = self.dir.join("scenario.yaml");
        let state = self.dir.join("state/clusters.json");
        let mut args = vec![
            "e2e",
            chart.to_str().unwrap(),
            "--provider",
            "existing",
            "--kubeconfig",
            self.kubeconfig.to_str().unwrap(),
            "--namespace",
            NS,
            "--run-id",
            "e2erun1",
            "--helm-bin",
            helm.to_str().unwrap(),
            "--scenario",
            scenario.to_str().unwrap(),
            "--load-image",
            "example/posthog-charttest:test",
            "--artifacts",
            artifacts.to_str().unwrap(),
            "--state-file",
            state.to_str().unwrap(),
            "--progress",
            "lines",
            "--poll-interval",
            "100ms",
            "--set",
            "password=helm-set-password-planted",
        ];
        args.extend_from_slice(extra);
        let Command::E2e(a) = parse(&args) else {
            unreachable!()
        };
        let log = Log::buffer();
        let mut e = vec![
            ("FAKE_SLEEP_ON", "helm install"),
            ("FAKE_SLEEP_SECS", "0.3"),
        ];
        e.extend_from_slice(env);
        let out = charttest::cli::e2e::run_with(a, self.bin.env(&e), log.clone());
        (out, log.captured())
    }

    fn artifacts(&self) -> PathBuf {
        self.dir.join("artifacts")
    }

    fn report(&self) -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(self.artifacts().join("report.json")).unwrap(),
        )
        .unwrap()
    }

    /// The status of each phase in the JSON report, in order.
    fn statuses(&self) -> Vec<(String, String)> {
        self.report()["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_string(),
                    c["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    fn namespace_gone(&self) -> bool {
        self.fake.get("Namespace", "", NS).is_none()
    }
}

fn expect(phases: &[(&str, &str)]) -> Vec<(String, String)> {
    phases
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Asserts a run failed in `phase` everywhere a user looks: exit code, stderr, the table, the
/// JSON report and the JUnit report.
fn assert_failed_in(w: &World, out: &Outcome, phase: &str, reason: &str) {
    assert_eq!(out.exit, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&format!("Error: {phase} failed: ")) && out.stderr.contains(reason),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with(phase) && l.contains(" failed ")),
        "{}",
        out.stdout
    );
    let report = w.report();
    assert_eq!(report["passed"], false);
    assert_eq!(report["failed"], json!([phase]));
    let junit = std::fs::read_to_string(w.artifacts().join("junit.xml")).unwrap();
    let case_start = junit
        .find(&format!("name=\"{phase}\""))
        .unwrap_or_else(|| panic!("no {phase} case in {junit}"));
    let case = &junit[case_start
        ..junit[case_start..]
            .find("</testcase>")
            .map_or(junit.len(), |e| case_start + e)];
    assert!(case.contains("<failure message="), "{junit}");
}

/// Teardown uninstalled the release and deleted the namespace.
fn assert_torn_down(w: &World) {
    assert!(
        w.bin
            .record()
            .iter()
            .any(|l| l.starts_with("helm uninstall posthog --namespace ph-e2e")),
        "{:?}",
        w.bin.record()
    );
    assert!(w.namespace_gone());
}

fn no_secrets(w: &World, out: &Outcome, log: &[String]) {
    let everything = format!(
        "{}\n{}\n{}\n{}",
        out.stdout,
        out.stderr,
        log.join("\n"),
        read_tree(&w.artifacts())
    );
    for planted in [KUBE_TOKEN, CH_PASSWORD, "helm-set-password-planted"] {
        assert!(!everything.contains(planted), "{planted} leaked");
    }
}

#[test]
fn every_phase_passes_and_the_namespace_is_torn_down() {
    let w = world(Fail::Nothing);
    let report_file = w.dir.join("out/e2e.xml");
    let step_summary = w.dir.join("step-summary.md");
    let (out, log) = w.e2e(
        &[
            "--report",
            "junit",
            "--report-file",
            report_file.to_str().unwrap(),
        ],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", step_summary.to_str().unwrap()),
        ],
    );
    assert_eq!(out.exit, 0, "{}\n{}\n{log:#?}", out.stdout, out.stderr);
    if std::env::var("E2E_SHOW").is_ok() {
        eprintln!("{}\n{}\n{}", log.join("\n"), out.stdout, out.stderr);
    }
    assert_eq!(
        w.statuses(),
        expect(&[
            ("provision", "passed"),
            ("install", "passed"),
            ("checks", "passed"),
            ("load", "passed"),
            ("verify", "passed"),
            ("teardown", "passed"),
        ])
    );
    // The load ran in the Job against capture, and ClickHouse holds every event.
    assert_eq!(w.capture.state.distinct("e2erun1"), 100);
    let r = w.report();
    assert!(
        r["cases"][3]["detail"]
            .as_str()
            .unwrap()
            .starts_with("100 of 100 events accepted (0 failed, 0 dropped)"),
        "{r:#}"
    );
    assert!(
        r["cases"][4]["detail"]
            .as_str()
            .unwrap()
            .starts_with("100 of 100 events in ClickHouse (0 missing, 0 duplicated)"),
        "{r:#}"
    );
    assert!(w
        .ch
        .state
        .last_query
        .lock()
        .contains("JSONExtractString(properties, 'charttest_run_id') = 'e2erun1'"));
    // Verify went through the API server's service proxy.
    assert!(w.fake.requests().iter().any(|r| r.starts_with(
        "POST /api/v1/namespaces/ph-e2e/services/posthog-clickhouse:8123/proxy/?database=posthog"
    )));
    // Teardown uninstalled the release and deleted the namespace.
    assert_torn_down(&w);
    // Live output: each phase started and ended, timed.
    for p in [
        "provision",
        "install",
        "checks",
        "load",
        "verify",
        "teardown",
    ] {
        assert!(
            log.iter()
                .any(|l| l.starts_with(&format!("✔ {p} passed in "))),
            "{p}: {log:#?}"
        );
    }
    // The summary table.
    let table: Vec<&str> = out.stdout.lines().collect();
    assert!(
        table[0].starts_with("PHASE")
            && table[0].contains("STATUS")
            && table[0].contains("DURATION")
            && table[0].contains("DETAIL"),
        "{}",
        out.stdout
    );
    assert!(table[1].starts_with("provision  passed"), "{}", out.stdout);
    assert!(table[6].starts_with("teardown   passed"), "{}", out.stdout);
    // Artifacts.
    let a = w.artifacts();
    for f in [
        "manifests/chart.yaml",
        "checks.json",
        "load-summary.json",
        "load.txt",
        "verify-summary.json",
        "verify.txt",
        "report.json",
        "junit.xml",
        "summary.txt",
    ] {
        assert!(a.join(f).is_file(), "{f} missing");
    }
    let manifests = std::fs::read_to_string(a.join("manifests/chart.yaml")).unwrap();
    assert!(
        manifests.contains("clickhouse-password: \"<redacted>\""),
        "{manifests}"
    );
    let junit = std::fs::read_to_string(&report_file).unwrap();
    assert!(junit.contains("tests=\"6\" failures=\"0\""), "{junit}");
    // GitHub: a step summary, no annotations.
    let md = std::fs::read_to_string(&step_summary).unwrap();
    assert!(
        md.starts_with("### ✅ posthog-charttest e2e: passed"),
        "{md}"
    );
    assert!(!out.stdout.contains("::error"));
    no_secrets(&w, &out, &log);
}

#[test]
fn provision_fault_unreachable_or_invalid_kubeconfig() {
    let w = world(Fail::Nothing);
    // A kubeconfig whose server does not answer.
    std::fs::write(
        &w.kubeconfig,
        std::fs::read_to_string(&w.kubeconfig)
            .unwrap()
            .replace(&w.fake.url, "http://127.0.0.1:1"),
    )
    .unwrap();
    let (out, _) = w.e2e(&[], &[("GITHUB_ACTIONS", "true")]);
    assert_failed_in(&w, &out, "provision", "does not answer");
    assert_eq!(
        w.statuses(),
        expect(&[
            ("provision", "failed"),
            ("install", "skipped"),
            ("checks", "skipped"),
            ("load", "skipped"),
            ("verify", "skipped"),
            ("teardown", "passed"),
        ])
    );
    assert!(
        out.stdout
            .contains("::error title=posthog-charttest e2e%3A provision::provision failed: "),
        "{}",
        out.stdout
    );
    assert!(w.bin.record().is_empty(), "helm must not run");

    // A kubeconfig that is not one.
    std::fs::write(&w.kubeconfig, "clusters: [not, a, kubeconfig\n").unwrap();
    let (out, _) = w.e2e(&[], &[]);
    assert_failed_in(&w, &out, "provision", "kubeconfig");
    assert_eq!(w.report()["cases"][5]["status"], "passed");
}

#[test]
fn install_fault_helm_fails_and_teardown_runs() {
    let w = world(Fail::Nothing);
    let (out, log) = w.e2e(&[], &[("FAKE_FAIL_ON", "helm install")]);
    assert_failed_in(&w, &out, "install", "helm install failed");
    assert_eq!(
        w.statuses(),
        expect(&[
            ("provision", "passed"),
            ("install", "failed"),
            ("checks", "skipped"),
            ("load", "skipped"),
            ("verify", "skipped"),
            ("teardown", "passed"),
        ])
    );
    assert_torn_down(&w);
    no_secrets(&w, &out, &log);
}

#[test]
fn checks_fault_a_pod_not_ready() {
    let w = world(Fail::PodNotReady);
    let (out, _) = w.e2e(&[], &[]);
    assert_failed_in(&w, &out, "checks", "capture-2 not Ready");
    assert_eq!(w.statuses()[2], ("checks".into(), "failed".into()));
    assert_eq!(w.statuses()[3], ("load".into(), "skipped".into()));
    assert_eq!(w.statuses()[5], ("teardown".into(), "passed".into()));
    assert_torn_down(&w);
    let checks: Value =
        serde_json::from_str(&std::fs::read_to_string(w.artifacts().join("checks.json")).unwrap())
            .unwrap();
    assert!(checks
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "pods-ready" && c["status"] == "fail"));
}

#[test]
fn load_fault_capture_answers_503() {
    let w = world(Fail::Capture503);
    let (out, _) = w.e2e(&[], &[]);
    assert_failed_in(
        &w,
        &out,
        "load",
        "thresholds crossed: http_req_failed: rate<0.01",
    );
    assert_eq!(w.statuses()[4], ("verify".into(), "skipped".into()));
    assert_eq!(w.statuses()[5], ("teardown".into(), "passed".into()));
    assert_torn_down(&w);
    assert!(
        w.capture
            .state
            .requests
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );
}

#[test]
fn verify_fault_clickhouse_misses_events() {
    let w = world(Fail::MissingEvents);
    let (out, _) = w.e2e(&["--timeout", "verify=2s"], &[]);
    assert_failed_in(
        &w,
        &out,
        "verify",
        "3 events missing from ClickHouse (seq 3, 7-8)",
    );
    assert_eq!(w.statuses()[3], ("load".into(), "passed".into()));
    assert_eq!(w.statuses()[5], ("teardown".into(), "passed".into()));
    assert_torn_down(&w);
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(w.artifacts().join("verify-summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(v["events"]["missing"], 3);
}

#[test]
fn teardown_fault_uninstall_fails() {
    let w = world(Fail::Nothing);
    let (out, _) = w.e2e(&[], &[("FAKE_FAIL_ON", "helm uninstall")]);
    assert_failed_in(&w, &out, "teardown", "helm uninstall failed");
    assert_eq!(
        w.statuses()[..5],
        expect(&[
            ("provision", "passed"),
            ("install", "passed"),
            ("checks", "passed"),
            ("load", "passed"),
            ("verify", "passed"),
        ])[..]
    );
}

#[test]
fn keep_leaves_the_release_and_says_how_to_tear_it_down() {
    let w = world(Fail::Nothing);
    let (out, _) = w.e2e(&["--keep"], &[]);
    assert_eq!(out.exit, 0, "{}", out.stderr);
    assert_eq!(w.statuses()[5], ("teardown".into(), "skipped".into()));
    assert!(!w.namespace_gone());
    assert!(
        out.stdout.contains(&format!(
            "kept; tear down later with:\n  posthog-charttest uninstall --release posthog -n ph-e2e --kubeconfig {}",
            w.kubeconfig.display()
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn usage_errors_exit_2() {
    let w = world(Fail::Nothing);
    let (out, _) = w.e2e(&["--timeout", "instal=3m"], &[]);
    assert_eq!(out.exit, 2);
    assert!(
        out.stderr.contains("unknown phase \"instal\""),
        "{}",
        out.stderr
    );
    assert!(w.bin.record().is_empty());
}

#[test]
fn sigint_during_install_still_tears_down() {
    let w = world(Fail::Nothing);
    let helm = w.bin.dir.path().join("bin/helm");
    let chart = w.dir.join("chart");
    let artifacts = w.artifacts();
    let env = w
        .bin
        .env(&[("FAKE_SLEEP_ON", "helm install"), ("FAKE_SLEEP_SECS", "30")]);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_posthog-charttest"))
        .args([
            "e2e",
            chart.to_str().unwrap(),
            "--provider",
            "existing",
            "--kubeconfig",
            w.kubeconfig.to_str().unwrap(),
            "--namespace",
            NS,
            "--run-id",
            "sig1",
            "--helm-bin",
            helm.to_str().unwrap(),
            "--artifacts",
            artifacts.to_str().unwrap(),
            "--progress",
            "lines",
        ])
        .env_clear()
        .envs(env.vars())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(wait_record(&w.bin.record_path(), "helm install", 1));
    std::thread::sleep(Duration::from_millis(200));
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("Error: install failed: interrupted by SIGINT"),
        "{stderr}"
    );
    assert_torn_down(&w);
    assert_eq!(
        w.statuses(),
        expect(&[
            ("provision", "passed"),
            ("install", "failed"),
            ("checks", "skipped"),
            ("load", "skipped"),
            ("verify", "skipped"),
            ("teardown", "passed"),
        ])
    );
}
