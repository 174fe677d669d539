//! install, upgrade, checks, diagnostics and uninstall against the in-process fake Kubernetes
//! API. The tests play helm's effects and the controllers: a fake `helm` records its arguments,
//! and a simulator thread writes the objects and status changes a real cluster would show.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use charttest::cli::{Command, Outcome};
use charttest::cluster::progress::Log;
use serde_json::json;
use support::fake_kube::FakeKube;
use support::*;

struct Live {
    fake: FakeKube,
    bin: FakeBin,
    kubeconfig: PathBuf,
    artifacts: PathBuf,
}

const KUBE_TOKEN: &str = "kube-token-planted-7d1e9";

fn live() -> Live {
    let fake = FakeKube::start();
    let bin = FakeBin::new(&["helm"]);
    let kubeconfig = fake.kubeconfig(bin.dir.path(), KUBE_TOKEN);
    let artifacts = bin.dir.path().join("artifacts");
    Live {
        fake,
        bin,
        kubeconfig,
        artifacts,
    }
}

impl Live {
    fn chart(&self) -> PathBuf {
        let dir = self.bin.dir.path().join("chart");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("Chart.yaml"),
            "apiVersion: v2\nname: posthog\nversion: 0.2.0\n",
        )
        .unwrap();
        dir
    }

    fn install(&self, extra: &[&str], env: &[(&str, &str)]) -> (Outcome, Vec<String>) {
        let chart = self.chart();
        let helm = self.bin.dir.path().join("bin/helm");
        let mut args = vec![
            "install",
            chart.to_str().unwrap(),
            "--kubeconfig",
            self.kubeconfig.to_str().unwrap(),
            "--helm-bin",
            helm.to_str().unwrap(),
            "--progress",
            "lines",
            "--artifacts",
            self.artifacts.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let Command::Install(a) = parse(&args) else {
            unreachable!()
        };
        let log = Log::buffer();
        let mut e = vec![("FAKE_SLEEP_ON", "helm "), ("FAKE_SLEEP_SECS", "0.5")];
        e.extend_from_slice(env);
        let out = charttest::cli::install::run_with(a, self.bin.env(&e), log.clone());
        (out, log.captured())
    }

    fn record_path(&self) -> PathBuf {
        self.bin.record_path()
    }
}

/// Waits until the record has `n` lines starting with `prefix`.
fn await_record(record: &Path, prefix: &str, n: usize) {
    assert!(wait_record(record, prefix, n), "no `{prefix}` recorded");
}

fn ms(n: u64) {
    std::thread::sleep(Duration::from_millis(n));
}

#[test]
fn install_waits_for_every_workload_and_the_migration() {
    let l = live();
    let (fake, record) = (l.fake.clone(), l.record_path());
    let sim = std::thread::spawn(move || {
        await_record(&record, "helm install", 1);
        fake.apply(deployment("ns1", "web", 2, 0));
        fake.apply(statefulset("ns1", "clickhouse", 1, 0));
        fake.apply(job("ns1", "migrate", "running"));
        ms(300);
        fake.apply(job("ns1", "migrate", "complete"));
        ms(300);
        fake.apply(deployment("ns1", "web", 2, 1));
        fake.apply(statefulset("ns1", "clickhouse", 1, 1));
        ms(300);
        fake.apply(deployment("ns1", "web", 2, 2));
    });
    let (out, log) = l.install(&["--namespace", "ns1", "--run-id", "run1"], &[]);
    sim.join().unwrap();
    assert_eq!(out.exit, 0, "{}\n{log:#?}", out.stderr);
    assert!(
        out.stdout
            .starts_with("installed release posthog in namespace ns1\n  install "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("3 workloads rolled out"),
        "{}",
        out.stdout
    );
    for want in [
        "  Deployment/web 0/2 (0 of 2 available)",
        "  Deployment/web 1/2 (1 of 2 available)",
        "  Deployment/web 2/2 done",
        "  Job/migrate 0/1 (running (1 active, 0 failed))",
        "  Job/migrate 1/1 done",
        "  StatefulSet/clickhouse 1/1 done",
    ] {
        assert!(
            log.iter().any(|x| x == want),
            "missing {want:?} in {log:#?}"
        );
    }
    let rec = l.bin.record();
    let chart = l.chart();
    assert_eq!(
        rec[0],
        format!("helm install posthog {} --namespace ns1 --kubeconfig {} --create-namespace --timeout 1200s", chart.display(), l.kubeconfig.display())
    );
    let ns = l
        .fake
        .get("Namespace", "", "ns1")
        .expect("namespace created");
    assert_eq!(ns["metadata"]["labels"]["posthog-charttest"], "owned");
    assert_eq!(ns["metadata"]["labels"]["charttest-run-id"], "run1");
    assert!(!l.artifacts.exists(), "no diagnostics on success");
}

#[test]
fn crashloop_is_reported_within_two_seconds_of_its_watch_event() {
    use charttest::cluster::progress::{ProgressMode, RolloutDisplay};
    use charttest::cluster::rollout::{wait_rollout, ProblemKind, WatchOptions};
    let l = live();
    l.fake.apply(namespace("ns3"));
    l.fake.apply(deployment("ns3", "web", 1, 0));
    l.fake.apply(pod("ns3", "web-1", "web"));
    l.fake.set_log(
        "ns3",
        "web-1",
        "web",
        true,
        "booting\nconnecting to clickhouse:9000\nFATAL: clickhouse unreachable\n",
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let log = Log::buffer();
        let client = charttest::cluster::client::client(Some(&l.kubeconfig), None, &log).await.unwrap();
        let mut display = RolloutDisplay::new(&log, ProgressMode::Lines);
        let opts = WatchOptions::default();
        let watch = wait_rollout(&client, "ns3", &opts, &mut display, &log, async { Ok(()) });
        tokio::pin!(watch);
        // Let the watches start (the pod watch is the one that matters).
        let started = Instant::now();
        loop {
            tokio::select! {
                r = &mut watch => panic!("the rollout ended before the crash: {r:?}"),
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
            if l.fake.requests().iter().any(|r| r.contains("/namespaces/ns3/pods?") && r.contains("watch=true")) {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "no pod watch");
        }
        l.fake.patch("Pod", "ns3", "web-1", crashloop_status("web", 3));
        let result = tokio::time::timeout(Duration::from_secs(2), &mut watch)
            .await
            .expect("CrashLoopBackOff not reported within 2 s of the watch event");
        let failure = result.expect_err("the rollout must fail");
        let p = failure.problem.expect("a problem");
        assert_eq!(p.kind, ProblemKind::CrashLoopBackOff);
        assert_eq!(p.object, "Pod/web-1");
        assert_eq!(p.message, "last exit code 1 (Error)");
        assert!(p.logs.as_deref().unwrap_or("").contains("FATAL: clickhouse unreachable"), "{p:?}");
        let text = format!("{}", charttest::cluster::rollout::RolloutFailure { reason: failure.reason, problem: Some(p), statuses: failure.statuses });
        assert!(text.contains("Pod/web-1 container web: CrashLoopBackOff: last exit code 1 (Error)\n  last log lines:\n    booting"), "{text}");
    });
}

#[test]
fn crashloop_during_install_fails_with_logs_and_diagnostics_and_no_secrets() {
    let l = live();
    let planted_secret = "s3cr3t-db-password-planted";
    let planted_inline = "inline-password-planted-99";
    let planted_notes = "helm-notes-secret-planted-1";
    let planted_set = "set-flag-secret-planted-2";
    let (fake, record) = (l.fake.clone(), l.record_path());
    let sim = std::thread::spawn(move || {
        await_record(&record, "helm install", 1);
        fake.apply(secret("ns4", "posthog", "secret-key", planted_secret));
        fake.apply(deployment("ns4", "web", 1, 0));
        let mut p = pod("ns4", "web-1", "web");
        p["spec"]["containers"][0]["env"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "POSTHOG_DB_PASSWORD", "value": planted_inline}));
        fake.apply(p);
        fake.apply(json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1", "namespace": "ns4"},
            "involvedObject": {"kind": "Pod", "name": "web-1"}, "type": "Warning", "reason": "BackOff",
            "message": "Back-off restarting failed container web", "lastTimestamp": "2025-01-01T00:00:00Z", "count": 4}));
        fake.set_log(
            "ns4",
            "web-1",
            "web",
            true,
            &format!("starting\nconnecting with password {planted_secret}\nTraceback: boom\n"),
        );
        ms(200);
        fake.patch("Pod", "ns4", "web-1", crashloop_status("web", 4));
    });
    let set = format!("postgresql.auth.password={planted_set}");
    let (out, log) = l.install(
        &["--namespace", "ns4", "--set", &set],
        &[("FAKE_HELM_SECRET", planted_notes)],
    );
    sim.join().unwrap();
    assert_eq!(out.exit, 1, "{}", out.stdout);
    assert!(
        out.stderr
            .contains("Pod/web-1 container web: CrashLoopBackOff: last exit code 1 (Error)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("Traceback: boom"), "{}", out.stderr);
    assert!(
        out.stderr.contains("connecting with password <redacted>"),
        "{}",
        out.stderr
    );
    let bundle = l.artifacts.join("ns4");
    assert!(
        out.stderr
            .contains(&format!("diagnostics: {}", bundle.display())),
        "{}",
        out.stderr
    );
    let events = std::fs::read_to_string(bundle.join("events.txt")).unwrap();
    assert!(events.contains("Warning  BackOff                   Pod/web-1  Back-off restarting failed container web (x4)"), "{events}");
    let describe = std::fs::read_to_string(bundle.join("describe.txt")).unwrap();
    assert!(
        describe.contains(
            "State: Waiting (CrashLoopBackOff: back-off 40s restarting failed container=web)"
        ),
        "{describe}"
    );
    assert!(
        describe.contains("SECRET_KEY=<from Secret posthog key secret-key>"),
        "{describe}"
    );
    assert!(
        describe.contains("POSTHOG_DB_PASSWORD=<redacted>"),
        "{describe}"
    );
    assert!(
        describe.contains("Secret/posthog\n  Type: Opaque\n  Keys: secret-key (values not shown)"),
        "{describe}"
    );
    let logs = std::fs::read_to_string(bundle.join("logs/web-1_web.previous.log")).unwrap();
    assert!(logs.contains("Traceback: boom"), "{logs}");
    let summary = std::fs::read_to_string(bundle.join("summary.txt")).unwrap();
    assert!(summary.contains("install of"), "{summary}");

    let everything = format!(
        "{}\n{}\n{}\n{}",
        out.stdout,
        out.stderr,
        log.join("\n"),
        read_tree(&l.artifacts)
    );
    use base64::Engine as _;
    for planted in [
        planted_secret.to_string(),
        base64::engine::general_purpose::STANDARD.encode(planted_secret),
        planted_inline.to_string(),
        planted_notes.to_string(),
        planted_set.to_string(),
        KUBE_TOKEN.to_string(),
    ] {
        assert!(!everything.contains(&planted), "{planted} leaked");
    }
    assert!(
        log.iter()
            .any(|x| x.contains("--set 'postgresql.auth.password=<redacted>'")),
        "{log:#?}"
    );
}

#[test]
fn a_failed_migration_job_fails_fast_with_its_logs() {
    let l = live();
    let (fake, record) = (l.fake.clone(), l.record_path());
    let sim = std::thread::spawn(move || {
        await_record(&record, "helm install", 1);
        fake.apply(job("ns5", "migrate", "running"));
        fake.apply(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "migrate-x7k", "namespace": "ns5", "labels": {"job-name": "migrate"}, "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": "migrate", "uid": "j"}]},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "migrate", "image": "posthog/posthog:1"}]},
            "status": {"phase": "Failed", "containerStatuses": [{"name": "migrate", "ready": false, "restartCount": 0, "image": "i", "imageID": "", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}}));
        fake.set_log(
            "ns5",
            "migrate-x7k",
            "migrate",
            false,
            "Running migrations\ndjango.db.utils.OperationalError: could not connect to server\n",
        );
        ms(200);
        fake.apply(job("ns5", "migrate", "failed"));
    });
    let (out, _) = l.install(&["--namespace", "ns5"], &[]);
    sim.join().unwrap();
    assert_eq!(out.exit, 1);
    assert!(
        out.stderr
            .contains("rollout failed: Job/migrate BackoffLimitExceeded"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("Job/migrate container migrate: BackoffLimitExceeded: Job has reached the specified backoff limit"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("django.db.utils.OperationalError: could not connect to server"),
        "{}",
        out.stderr
    );
    let logs =
        std::fs::read_to_string(l.artifacts.join("ns5/logs/migrate-x7k_migrate.log")).unwrap();
    assert!(logs.contains("OperationalError"), "{logs}");
}

#[test]
fn image_pull_back_off_fails_fast() {
    let l = live();
    let (fake, record) = (l.fake.clone(), l.record_path());
    let sim = std::thread::spawn(move || {
        await_record(&record, "helm install", 1);
        fake.apply(deployment("ns6", "capture", 1, 0));
        let mut p = pod("ns6", "capture-1", "capture");
        p["status"] = json!({"phase": "Pending", "containerStatuses": [{"name": "capture", "ready": false, "restartCount": 0, "image": "ghcr.io/posthog/capture:nope", "imageID": "",
            "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image \"ghcr.io/posthog/capture:nope\""}}}]});
        fake.apply(p);
    });
    let started = Instant::now();
    let (out, _) = l.install(&["--namespace", "ns6"], &[]);
    sim.join().unwrap();
    assert_eq!(out.exit, 1);
    assert!(out.stderr.contains("Pod/capture-1 container capture: ImagePullBackOff: Back-off pulling image \"ghcr.io/posthog/capture:nope\""), "{}", out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "fail fast, not at the 20 min timeout"
    );
}

#[test]
fn a_slow_rollout_is_waited_for_and_a_stuck_one_times_out() {
    let l = live();
    let (fake, record) = (l.fake.clone(), l.record_path());
    let sim = std::thread::spawn(move || {
        await_record(&record, "helm install", 1);
        fake.apply(deployment("ns7", "web", 1, 0));
        ms(1500);
        fake.apply(deployment("ns7", "web", 1, 1));
    });
    let (out, log) = l.install(&["--namespace", "ns7"], &[]);
    sim.join().unwrap();
    assert_eq!(out.exit, 0, "{}", out.stderr);
    let waiting = log
        .iter()
        .position(|x| x == "  Deployment/web 0/1 (0 of 1 available)")
        .expect("progress shown");
    let done = log
        .iter()
        .position(|x| x == "  Deployment/web 1/1 done")
        .expect("done shown");
    assert!(waiting < done);

    let l = live();
    let (fake, record) = (l.fake.clone(), l.record_path());
    let sim = std::thread::spawn(move || {
        await_record(&record, "helm install", 1);
        fake.apply(deployment("ns8", "web", 1, 0));
    });
    let (out, _) = l.install(&["--namespace", "ns8", "--timeout", "2s"], &[]);
    sim.join().unwrap();
    assert_eq!(out.exit, 1);
    assert!(out.stderr.contains("rollout not finished after 2s\nnot rolled out:\n  Deployment/web 0/1 (0 of 1 available)"), "{}", out.stderr);
    assert!(l.artifacts.join("ns8/describe.txt").is_file());
}

#[test]
fn helm_failure_is_reported_with_its_error() {
    let l = live();
    let (out, _) = l.install(
        &["--namespace", "ns10"],
        &[("FAKE_FAIL_ON", "helm install")],
    );
    assert_eq!(out.exit, 1);
    assert!(
        out.stderr.contains("helm install failed: `"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("helm: simulated failure"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_namespace_we_did_not_create_is_refused() {
    let l = live();
    l.fake.apply(namespace("prod"));
    let (out, _) = l.install(&["--namespace", "prod"], &[]);
    assert_eq!(out.exit, 1);
    assert!(
        out.stderr
            .contains("namespace prod exists and was not created by posthog-charttest"),
        "{}",
        out.stderr
    );
    assert!(l.bin.record().is_empty(), "helm must not run");
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn upgrade_from_a_git_ref_installs_the_old_chart_then_upgrades() {
    let l = live();
    let repo = l.bin.dir.path().join("repo");
    let chart = repo.join("charts/posthog");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: posthog\nversion: 0.1.0\n",
    )
    .unwrap();
    git(&repo, &["init", "-q"]);
    git(
        &repo,
        &["-c", "user.email=t@t", "-c", "user.name=t", "add", "."],
    );
    git(
        &repo,
        &[
            "-c",
            "user.email=t@t",
            "-c",
            "user.name=t",
            "commit",
            "-qm",
            "v1",
        ],
    );
    git(&repo, &["tag", "v1"]);
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: posthog\nversion: 0.2.0\n",
    )
    .unwrap();

    let (fake, record) = (l.fake.clone(), l.record_path());
    let seen_version = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let seen = seen_version.clone();
    let sim = std::thread::spawn(move || {
        await_record(&record, "helm install", 1);
        // The previous chart must exist while helm installs it.
        let line = std::fs::read_to_string(&record)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string();
        let path = line.split(' ').nth(3).unwrap().to_string();
        *seen.lock().unwrap() =
            std::fs::read_to_string(Path::new(&path).join("Chart.yaml")).unwrap_or_default();
        fake.apply(deployment("ns11", "web", 1, 1));
        await_record(&record, "helm upgrade", 1);
        let mut d = deployment("ns11", "web", 1, 1);
        d["metadata"]["generation"] = json!(2);
        d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("posthog/web:2");
        fake.apply(d.clone());
        ms(800);
        d["status"]["observedGeneration"] = json!(2);
        fake.apply(d);
    });
    let helm = l.bin.dir.path().join("bin/helm");
    let Command::Install(a) = parse(&[
        "install",
        chart.to_str().unwrap(),
        "--namespace",
        "ns11",
        "--upgrade-from",
        "v1",
        "--kubeconfig",
        l.kubeconfig.to_str().unwrap(),
        "--helm-bin",
        helm.to_str().unwrap(),
        "--progress",
        "lines",
        "--artifacts",
        l.artifacts.to_str().unwrap(),
    ]) else {
        unreachable!()
    };
    let log = Log::buffer();
    let out = charttest::cli::install::run_with(
        a,
        l.bin
            .env(&[("FAKE_SLEEP_ON", "helm "), ("FAKE_SLEEP_SECS", "0.5")]),
        log.clone(),
    );
    sim.join().unwrap();
    assert_eq!(out.exit, 0, "{}\n{:#?}", out.stderr, log.captured());
    assert!(
        seen_version.lock().unwrap().contains("version: 0.1.0"),
        "installed the old chart: {:?}",
        seen_version.lock().unwrap()
    );
    let rec = l.bin.record();
    assert!(
        rec[0].starts_with("helm install posthog ") && rec[0].contains("charttest-previous-"),
        "{rec:#?}"
    );
    assert!(
        rec[1].starts_with(&format!(
            "helm upgrade posthog {} --namespace ns11",
            chart.display()
        )),
        "{rec:#?}"
    );
    assert!(!rec[1].contains("--create-namespace"));
    let previous = rec[0].split(' ').nth(3).unwrap();
    assert!(
        !Path::new(previous).exists(),
        "the extracted previous chart is removed"
    );
    assert!(out.stdout.contains("  install "), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(&format!("  upgrade {}", chart.display())),
        "{}",
        out.stdout
    );
    assert!(
        log.captured()
            .iter()
            .any(|x| x == "  Deployment/web 1/1 (waiting for the controller)"),
        "{:#?}",
        log.captured()
    );

    // A ref that does not exist is a clear error.
    let Command::Install(a) = parse(&[
        "install",
        chart.to_str().unwrap(),
        "--upgrade-from",
        "no-such-ref",
        "--namespace",
        "ns12",
        "--kubeconfig",
        l.kubeconfig.to_str().unwrap(),
    ]) else {
        unreachable!()
    };
    let out = charttest::cli::install::run_with(a, l.bin.env(&[]), Log::buffer());
    assert_eq!(out.exit, 1);
    assert!(
        out.stderr
            .contains("--upgrade-from no-such-ref: not a file, a directory, or a git ref"),
        "{}",
        out.stderr
    );
}

#[test]
fn upgrade_from_a_packaged_chart_passes_it_to_helm() {
    let l = live();
    let tgz = l.bin.dir.path().join("posthog-0.1.0.tgz");
    std::fs::write(&tgz, b"not inspected by us").unwrap();
    let (fake, record) = (l.fake.clone(), l.record_path());
    let sim = std::thread::spawn(move || {
        await_record(&record, "helm install", 1);
        fake.apply(deployment("ns13", "web", 1, 1));
    });
    let (out, _) = l.install(
        &[
            "--namespace",
            "ns13",
            "--upgrade-from",
            tgz.to_str().unwrap(),
        ],
        &[],
    );
    sim.join().unwrap();
    assert_eq!(out.exit, 0, "{}", out.stderr);
    let rec = l.bin.record();
    assert!(
        rec[0].starts_with(&format!("helm install posthog {} ", tgz.display())),
        "{rec:#?}"
    );
    assert!(rec[1].starts_with("helm upgrade posthog "), "{rec:#?}");
}
