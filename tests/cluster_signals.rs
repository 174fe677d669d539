//! A run interrupted by SIGINT or SIGTERM in any phase leaves no cluster behind: the real
//! binary runs `cluster create -- CMD` against fake provider CLIs and the fake API, gets the
//! signal while creating, fetching the kubeconfig, waiting for nodes or running the command, and
//! must record a delete for its create, clear the state file and exit 130 or 143.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::fake_kube::FakeKube;
use support::FakeBin;

fn node(ready: bool) -> serde_json::Value {
    serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
        "status": {"conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}})
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn interrupt(phase: &str, signal: i32) {
    let bin = FakeBin::new(&["k3d", "docker"]);
    let fake = FakeKube::start();
    fake.apply(node(phase != "nodes"));
    let state = bin.state_file();
    let sleep_on = match phase {
        "create" => "k3d cluster create",
        "kubeconfig" => "k3d kubeconfig get",
        _ => "",
    };
    let env = bin.env(&[("FAKE_KUBE_SERVER", &fake.url), ("FAKE_SLEEP_ON", sleep_on)]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_posthog-charttest"))
        .args([
            "cluster",
            "create",
            "--provider",
            "k3s",
            "--run-id",
            "sig",
            "--state-file",
            state.to_str().unwrap(),
            "--",
        ])
        .args([
            "sh",
            "-c",
            "echo \"work-started $$\" >> \"$FAKE_RECORD\"; exec sleep 30",
        ])
        .env_clear()
        .envs(env.vars())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    match phase {
        "create" => wait_for("create", || {
            bin.record()
                .iter()
                .any(|l| l.starts_with("k3d cluster create"))
        }),
        "kubeconfig" => wait_for("kubeconfig", || {
            bin.record()
                .iter()
                .any(|l| l.starts_with("k3d kubeconfig get"))
        }),
        "nodes" => wait_for("node wait", || {
            fake.requests()
                .iter()
                .any(|r| r.starts_with("GET /api/v1/nodes"))
        }),
        _ => wait_for("work", || {
            bin.record().iter().any(|l| l.starts_with("work-started"))
        }),
    }
    let sent = Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, signal) };
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(20),
            "{phase}: the run did not end after the signal"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want = if signal == libc::SIGINT { 130 } else { 143 };
    assert_eq!(status.code(), Some(want), "{phase}: {stderr}");
    let rec = bin.record();
    let create = rec
        .iter()
        .position(|l| l.starts_with("k3d cluster create charttest-sig"))
        .expect("create");
    let delete = rec
        .iter()
        .position(|l| l == "k3d cluster delete charttest-sig");
    assert!(
        delete.is_some_and(|d| d > create),
        "{phase}: no delete after the create: {rec:#?}\n{stderr}"
    );
    assert_eq!(
        rec.iter()
            .filter(|l| l.starts_with("k3d cluster create"))
            .count(),
        1
    );
    let state_text = std::fs::read_to_string(&state).unwrap();
    let v: serde_json::Value = serde_json::from_str(&state_text).unwrap();
    assert_eq!(
        v["clusters"],
        serde_json::json!([]),
        "{phase}: state not cleared"
    );
    let name = if signal == libc::SIGINT {
        "SIGINT"
    } else {
        "SIGTERM"
    };
    assert!(
        stderr.contains(&format!("interrupted by {name}")),
        "{stderr}"
    );
    // The interrupted work is stopped too.
    if let Some(pid) = rec.iter().find_map(|l| l.strip_prefix("work-started ")) {
        let pid: i32 = pid.parse().unwrap();
        wait_for("the command to stop", || unsafe { libc::kill(pid, 0) } != 0);
    }
}

#[test]
fn interrupted_while_creating() {
    interrupt("create", libc::SIGINT);
    interrupt("create", libc::SIGTERM);
}

#[test]
fn interrupted_while_fetching_the_kubeconfig() {
    interrupt("kubeconfig", libc::SIGINT);
    interrupt("kubeconfig", libc::SIGTERM);
}

#[test]
fn interrupted_while_waiting_for_nodes() {
    interrupt("nodes", libc::SIGINT);
    interrupt("nodes", libc::SIGTERM);
}

#[test]
fn interrupted_while_the_command_runs() {
    interrupt("work", libc::SIGINT);
    interrupt("work", libc::SIGTERM);
}
