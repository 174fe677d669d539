//! `check` and `uninstall` against the in-process fake Kubernetes API. A simulator thread plays
//! the kubelet for the ephemeral probe pod: it reads the pod's script and answers each target.

mod support;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use charttest::cli::{Command, Outcome};
use charttest::cluster::progress::Log;
use serde_json::{json, Value};
use support::fake_kube::FakeKube;
use support::*;

fn service(ns: &str, name: &str, port: i32) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
        "spec": {"selector": {"app": name}, "ports": [{"port": port, "protocol": "TCP"}]}})
}

fn slice(ns: &str, svc: &str, ready: bool) -> Value {
    json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": format!("{svc}-x"), "namespace": ns, "labels": {"kubernetes.io/service-name": svc}},
        "addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": ready}}]})
}

fn pvc(ns: &str, name: &str, class: &str, phase: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": ns},
        "spec": {"storageClassName": class, "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}, "status": {"phase": phase}})
}

fn storage_class(name: &str, provisioner: &str, params: Value) -> Value {
    json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name}, "provisioner": provisioner, "parameters": params})
}

/// A tiny HTTP server answering every request with `code`; returns its URL.
fn http_server(code: u16) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut s = stream;
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    url
}

/// Plays the kubelet for probe pods: every target passes except those in `failing`.
fn probe_kubelet(
    fake: FakeKube,
    ns: &'static str,
    failing: &'static [&'static str],
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            assert!(Instant::now() < deadline, "no probe pod");
            let pods = fake.list("Pod");
            if let Some(p) = pods
                .iter()
                .find(|p| p["metadata"]["labels"]["posthog-charttest/probe"] == "true")
            {
                let name = p["metadata"]["name"].as_str().unwrap().to_string();
                let script = p["spec"]["containers"][0]["command"][2]
                    .as_str()
                    .unwrap()
                    .to_string();
                let mut log = String::new();
                for line in script.lines().filter_map(|l| l.strip_prefix("probe ")) {
                    let target = line.split(' ').next().unwrap();
                    if failing.contains(&target) {
                        log.push_str(&format!(
                            "PROBE {target} fail nc: {} connection refused\n",
                            line.split(' ').nth(3).unwrap_or("")
                        ));
                    } else {
                        log.push_str(&format!("PROBE {target} ok\n"));
                    }
                }
                fake.set_log(ns, &name, "probe", false, &log);
                fake.patch("Pod", ns, &name, json!({"status": {"phase": "Succeeded"}}));
                return script;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    })
}

fn run_check(fake: &FakeKube, dir: &std::path::Path, args: &[&str]) -> Outcome {
    let kc = fake.kubeconfig(dir, "check-token-planted-55");
    let mut argv = vec!["check", "--kubeconfig", kc.to_str().unwrap()];
    argv.extend_from_slice(args);
    let Command::Check(a) = parse(&argv) else {
        unreachable!()
    };
    charttest::cli::check::run_with(a, Log::buffer())
}

fn healthy_release(fake: &FakeKube, ns: &str) {
    fake.apply(namespace(ns));
    for (name, port) in [
        ("ph-capture", 3000),
        ("ph-web", 8000),
        ("ph-clickhouse", 8123),
        ("ph-kafka", 9092),
    ] {
        fake.apply(service(ns, name, port));
        fake.apply(slice(ns, name, true));
    }
    fake.apply(pod(ns, "web-1", "web"));
    fake.apply(job(ns, "migrate", "complete"));
    fake.apply(storage_class(
        "gp3",
        "ebs.csi.aws.com",
        json!({"type": "gp3", "encrypted": "true"}),
    ));
    fake.apply(pvc(ns, "data-clickhouse-0", "gp3", "Bound"));
    fake.apply(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "posthog", "namespace": ns},
        "spec": {"rules": [{"host": "posthog.example.com"}]}, "status": {"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}}}));
}

#[test]
fn every_check_reports_pass_warn_or_fail() {
    let fake = FakeKube::start();
    let dir = tempfile::tempdir().unwrap();
    healthy_release(&fake, "c1");
    // One Service without ready endpoints, Kafka unreachable.
    fake.apply(service("c1", "ph-plugins", 6738));
    fake.apply(slice("c1", "ph-plugins", false));
    let kubelet = probe_kubelet(fake.clone(), "c1", &["kafka"]);
    let url = http_server(200);
    let out = run_check(&fake, dir.path(), &["-n", "c1", "--ingress-url", &url]);
    let script = kubelet.join().unwrap();
    assert_eq!(out.exit, 1, "{}{}", out.stdout, out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let row = |name: &str| {
        lines
            .iter()
            .find(|l| l[6..].starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in {}", out.stdout))
            .to_string()
    };
    assert!(row("pods-ready").starts_with("pass"), "{}", out.stdout);
    assert!(row("jobs-complete").starts_with("pass"));
    assert!(row("services-endpoints").starts_with("fail"));
    assert!(row("services-endpoints").contains("ph-plugins has no ready endpoints"));
    assert!(row("pvcs-bound").starts_with("pass"));
    assert!(row("storage-encrypted").starts_with("pass"));
    assert!(row("storage-encrypted").contains("EBS encrypted: \"true\""));
    assert!(row("reach/capture").starts_with("pass"), "{}", out.stdout);
    assert!(row("reach/capture").contains("http://ph-capture:3000/_readiness answered"));
    assert!(row("reach/web").contains("http://ph-web:8000/_health answered"));
    assert!(row("reach/clickhouse").contains("http://ph-clickhouse:8123/ping answered"));
    assert!(row("reach/kafka").starts_with("fail"), "{}", out.stdout);
    assert!(
        row("reach/kafka").contains("tcp ph-kafka:9092: nc: "),
        "{}",
        row("reach/kafka")
    );
    assert!(row("ingress").starts_with("pass"), "{}", out.stdout);
    assert!(row("ingress").contains("answered HTTP 200"));
    assert_eq!(
        lines.last().unwrap(),
        &"checks: 8 passed, 0 warned, 2 failed"
    );
    assert!(
        script.contains("probe kafka nc -w 5 ph-kafka 9092"),
        "{script}"
    );
    // The probe pod is deleted afterwards.
    assert!(!fake
        .list("Pod")
        .iter()
        .any(|p| p["metadata"]["labels"]["posthog-charttest/probe"] == "true"));
    assert!(!out.stdout.contains("check-token-planted-55"));
}

#[test]
fn unready_pods_restarts_pending_claims_and_storage_knowledge() {
    let fake = FakeKube::start();
    let dir = tempfile::tempdir().unwrap();
    fake.apply(namespace("c2"));
    let mut p = pod("c2", "worker-1", "worker");
    p["status"]["containerStatuses"][0]["restartCount"] = json!(7);
    fake.apply(p);
    fake.apply(pod("c2", "web-1", "web"));
    fake.patch("Pod", "c2", "web-1", crashloop_status("web", 2));
    fake.apply(job("c2", "migrate", "failed"));
    fake.apply(storage_class(
        "local-path",
        "rancher.io/local-path",
        json!({}),
    ));
    fake.apply(storage_class("nfs", "example.com/nfs", json!({})));
    fake.apply(pvc("c2", "a", "local-path", "Bound"));
    fake.apply(pvc("c2", "b", "nfs", "Pending"));
    let out = run_check(
        &fake,
        dir.path(),
        &[
            "-n", "c2", "--skip", "reach", "--skip", "ingress", "--format", "json",
        ],
    );
    assert_eq!(out.exit, 1, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let get = |name: &str| {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(get("pods-ready")["status"], "fail");
    let detail = get("pods-ready")["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("worker-1/worker restarted 7 times (more than 3)"),
        "{detail}"
    );
    assert!(
        detail.contains("web-1 not Ready (CrashLoopBackOff)"),
        "{detail}"
    );
    assert_eq!(
        get("jobs-complete")["detail"],
        "migrate failed (BackoffLimitExceeded)"
    );
    assert_eq!(get("pvcs-bound")["detail"], "b is Pending");
    assert_eq!(get("storage-encrypted")["status"], "fail");
    let detail = get("storage-encrypted")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        detail.contains("local-path (a): fail: node-local disk"),
        "{detail}"
    );
    assert!(
        detail.contains("nfs (b): warn: no knowledge of provisioner \"example.com/nfs\""),
        "{detail}"
    );
    assert!(v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["name"] != "ingress" && !c["name"].as_str().unwrap().starts_with("reach")));
    // Local test clusters may accept unencrypted node disks as a warning.
    let out = run_check(
        &fake,
        dir.path(),
        &[
            "-n",
            "c2",
            "--skip",
            "reach",
            "--skip",
            "ingress",
            "--skip",
            "pods-ready",
            "--allow-unencrypted-storage",
        ],
    );
    assert!(
        out.stdout.contains("warn  storage-encrypted"),
        "{}",
        out.stdout
    );
}

#[test]
fn missing_services_and_a_failing_ingress_fail() {
    let fake = FakeKube::start();
    let dir = tempfile::tempdir().unwrap();
    fake.apply(namespace("c3"));
    fake.apply(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "posthog", "namespace": "c3"}, "spec": {}}));
    let url = http_server(502);
    let out = run_check(
        &fake,
        dir.path(),
        &[
            "-n",
            "c3",
            "--no-default-probes",
            "--probe",
            "capture=tcp://:3000",
            "--ingress-url",
            &url,
        ],
    );
    assert_eq!(out.exit, 1);
    assert!(out.stdout.contains("fail  reach/capture       no Service for capture with port 3000 in namespace c3 (name it with --probe capture=HOST:PORT)"), "{}", out.stdout);
    assert!(out.stdout.contains("answered HTTP 502"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("warn  pods-ready          no pods in the namespace"),
        "{}",
        out.stdout
    );
}

fn run_uninstall(fake: &FakeKube, bin: &FakeBin, args: &[&str]) -> Outcome {
    let kc = fake.kubeconfig(bin.dir.path(), "t");
    let helm = bin.dir.path().join("bin/helm");
    let mut argv = vec![
        "uninstall",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--helm-bin",
        helm.to_str().unwrap(),
    ];
    argv.extend_from_slice(args);
    let Command::Uninstall(a) = parse(&argv) else {
        unreachable!()
    };
    charttest::cli::install::run_uninstall_with(a, bin.env(&[]), Log::buffer())
}

#[test]
fn uninstall_clears_objects_stuck_on_finalizers() {
    let fake = FakeKube::start();
    let bin = FakeBin::new(&["helm"]);
    let mut ns = namespace("u1");
    ns["metadata"]["labels"] = json!({"posthog-charttest": "owned"});
    fake.apply(ns);
    let mut claim = pvc("u1", "data", "gp3", "Bound");
    claim["metadata"]["finalizers"] = json!(["kubernetes.io/pvc-protection"]);
    fake.apply(claim);
    fake.apply(json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "chi", "namespace": "u1", "finalizers": ["example.com/operator-cleanup"]}, "spec": {}}));
    fake.apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "u1"}, "data": {"a": "b"}}));
    let out = run_uninstall(
        &fake,
        &bin,
        &[
            "--release",
            "ph",
            "-n",
            "u1",
            "--finalizer-grace",
            "1s",
            "--timeout",
            "20s",
        ],
    );
    assert_eq!(out.exit, 0, "{}", out.stderr);
    assert_eq!(
        bin.record(),
        vec![
            "helm uninstall ph --namespace u1 --ignore-not-found --timeout 20s --kubeconfig "
                .to_string()
                + bin.dir.path().join("fake.kubeconfig").to_str().unwrap()
        ]
    );
    assert!(
        out.stdout.contains("namespace u1 deleted"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("cleared finalizers of PersistentVolumeClaim/data"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("cleared finalizers of Widget/chi"),
        "{}",
        out.stdout
    );
    assert!(fake.get("Namespace", "", "u1").is_none());
}

#[test]
fn uninstall_leaves_namespaces_we_did_not_create() {
    let fake = FakeKube::start();
    let bin = FakeBin::new(&["helm"]);
    fake.apply(namespace("prod"));
    let out = run_uninstall(&fake, &bin, &["-n", "prod"]);
    assert_eq!(out.exit, 1);
    assert!(
        out.stderr
            .contains("namespace prod was not created by posthog-charttest; not deleting it"),
        "{}",
        out.stderr
    );
    assert!(fake.get("Namespace", "", "prod").is_some());
}
