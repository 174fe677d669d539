//! `posthog-charttest load` from the command line: bad scenario files, unreachable targets,
//! thresholds and exit codes, summary and JUnit files, and Ctrl-C.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use charttest::cli::load::{run as load_cli, LoadArgs};
use charttest::load::fake_capture::{FakeCapture, FakeCaptureOptions};
use charttest::load::summary::Summary;
use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: LoadArgs,
}

fn load(args: &[&str]) -> charttest::cli::Outcome {
    let mut argv = vec!["load"];
    argv.extend_from_slice(args);
    load_cli(&Cli::parse_from(argv).args)
}

fn scenario(dir: &tempfile::TempDir, text: &str) -> String {
    let p = dir.path().join("scenario.yaml");
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn bad_scenarios_name_the_field_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let head = "targets: [http://127.0.0.1:9]\ntoken: t\n";
    let cases: &[(&str, &str)] = &[
        (
            "scenarios:\n  s:\n    executor: constant-arrival-rate\n    rate: fast\n    duration: 1s\n    preAllocatedVUs: 1\n",
            "scenario.yaml:6:11: scenarios.s.rate: expected a number, found \"fast\"",
        ),
        (
            "scenarios:\n  s:\n    executor: constant-vus\n    vus: 1\n    duraton: 1s\n",
            "scenario.yaml:7:5: scenarios.s.duraton: unknown field `duraton`; did you mean `duration`?",
        ),
        (
            "scenarios:\n  s:\n    executor: constant-arrival-rate\n    rate: 1\n    duration: 1s\n    preAllocatedVUs: 5\n    maxVUs: 2\n",
            "scenario.yaml:9:13: scenarios.s.maxVUs: must be at least preAllocatedVUs (5)",
        ),
        (
            "scenarios:\n  s:\n    executor: ramping-vus\n",
            "scenario.yaml:5:15: scenarios.s.executor: k6's ramping-vus is not supported",
        ),
        (
            "request: {route: /track}\nscenarios:\n  s: {executor: constant-vus, duration: 1s}\n",
            "scenario.yaml:3:18: request.route: unknown capture route \"/track\"",
        ),
        (
            "request: {encoding: brotli}\nscenarios:\n  s: {executor: constant-vus, duration: 1s}\n",
            "request.encoding: unknown encoding \"brotli\"",
        ),
        (
            "scenarios:\n  s: {executor: constant-vus, duration: 10x}\n",
            "scenario.yaml:4:41: scenarios.s.duration: expected a duration like 500ms, 30s, 1m30s or 2h, found \"10x\"",
        ),
        (
            "scenarios:\n  s: {executor: constant-vus, duration: 1s}\nthresholds:\n  http_req_duration: ['p(95)<fast']\n",
            "scenario.yaml:6:23: thresholds.http_req_duration[0]: \"p(95)<fast\": \"fast\" is not a number",
        ),
        (
            "event:\n  properties:\n    x: '{{ nope( }}'\nscenarios:\n  s: {executor: constant-vus, duration: 1s}\n",
            "scenario.yaml:5:8: event.properties.x: bad template",
        ),
        ("scenarios: {}\n", "scenario.yaml:3:12: scenarios: name at least one scenario"),
        ("scenarios: [\n", "yaml: line"),
    ];
    for (body, expected) in cases {
        let path = scenario(&dir, &format!("{head}{body}"));
        let out = load(&["--scenario", &path, "-q"]);
        assert_eq!(out.exit, 104, "{body}\n{out:?}");
        let msg = out
            .stderr
            .replace(dir.path().to_str().unwrap(), "")
            .replace("/scenario.yaml", "scenario.yaml");
        assert!(
            msg.contains(expected),
            "{body}\nwanted: {expected}\ngot:    {msg}"
        );
    }
    let out = load(&["--scenario", "/nonexistent/s.yaml"]);
    assert_eq!(out.exit, 104);
    assert!(
        out.stderr
            .contains("cannot read scenario /nonexistent/s.yaml"),
        "{}",
        out.stderr
    );
    let path = scenario(
        &dir,
        "token: t\nscenarios:\n  s: {executor: constant-vus, duration: 1s}\n",
    );
    assert!(load(&["--scenario", &path])
        .stderr
        .contains("missing `targets`"));
}

#[test]
fn an_unreachable_target_fails_fast_with_its_address() {
    let dir = tempfile::tempdir().unwrap();
    // Port 9 (discard) is closed on loopback.
    let path = scenario(
        &dir,
        "targets: [http://127.0.0.1:9]\ntoken: t\nscenarios:\n  s: {executor: constant-vus, duration: 30s}\n",
    );
    let start = Instant::now();
    let out = load(&["--scenario", &path, "-q"]);
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(out.exit, 1);
    assert!(
        out.stderr
            .contains("cannot reach capture at http://127.0.0.1:9 (127.0.0.1:9)"),
        "{}",
        out.stderr
    );
}

#[test]
fn thresholds_set_the_exit_code_and_files_are_written() {
    let rt = rt();
    let server = rt
        .block_on(FakeCapture::start(
            "127.0.0.1:0",
            FakeCaptureOptions::default(),
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(
        &dir,
        &format!(
            "runId: cli-run\ntargets: [{}]\ntoken: t\nscenarios:\n  s:\n    executor: constant-arrival-rate\n    rate: 50\n    duration: 300ms\n    preAllocatedVUs: 2\nthresholds:\n  http_req_failed: ['rate<0.01']\n  http_reqs: ['count>1000']\n",
            server.url()
        ),
    );
    let export = dir.path().join("s.json");
    let junit = dir.path().join("j.xml");
    let out = load(&[
        "--scenario",
        &path,
        "--summary-export",
        export.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(out.exit, 99, "{out:?}");
    assert!(out.stdout.contains("✓ http_req_failed"), "{}", out.stdout);
    assert!(out.stdout.contains("✗ http_reqs"), "{}", out.stdout);
    let s: Summary = serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    assert_eq!(s.run_id, "cli-run");
    assert_eq!(s.events.sent, 15);
    assert_eq!(s.events.accepted, server.state.distinct("cli-run"));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    for k in ["p50", "p90", "p95", "p99", "max"] {
        assert!(v["http_req_duration"][k].is_number(), "{k}");
    }
    for k in ["sent", "accepted", "failed", "dropped"] {
        assert!(v["events"][k].is_u64(), "{k}");
    }
    assert!(v["http_reqs"].is_u64() && v["http_req_failed_by_status"].is_object());
    let x = std::fs::read_to_string(&junit).unwrap();
    assert!(x.contains("tests=\"2\" failures=\"1\""), "{x}");
    // --run-id wins over the file's runId.
    let out = load(&[
        "--scenario",
        &path,
        "--run-id",
        "other-id",
        "-q",
        "--summary-export",
        "-",
    ]);
    assert_eq!(out.exit, 99);
    assert_eq!(server.state.distinct("other-id"), 15);
}

#[test]
fn ctrl_c_stops_the_run_and_still_writes_the_summary() {
    let rt = rt();
    let server = rt
        .block_on(FakeCapture::start(
            "127.0.0.1:0",
            FakeCaptureOptions::default(),
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(
        &dir,
        &format!(
            "targets: [{}]\ntoken: t\nscenarios:\n  s:\n    executor: constant-arrival-rate\n    rate: 200\n    duration: 1m\n    preAllocatedVUs: 5\n",
            server.url()
        ),
    );
    let export = dir.path().join("s.json");
    let child = Command::new(env!("CARGO_BIN_EXE_posthog-charttest"))
        .args([
            "load",
            "--scenario",
            &path,
            "--run-id",
            "sigint-run",
            "--summary-export",
        ])
        .arg(&export)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until events flow, then interrupt.
    let start = Instant::now();
    while server.state.distinct("sigint-run") < 50 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no events arrived"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let t = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(t.elapsed() < Duration::from_secs(10));
    assert_eq!(
        out.status.code(),
        Some(105),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("stopped early: interrupted"), "{stdout}");
    let s: Summary = serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    assert_eq!(s.stopped.as_deref(), Some("interrupted"));
    assert!(
        s.events.sent >= 50 && s.events.sent < 12_000,
        "{}",
        s.events.sent
    );
    assert_eq!(s.events.accepted + s.events.failed, s.events.sent);
    assert_eq!(s.events.accepted, server.state.distinct("sigint-run"));
    let _ = std::io::stderr().flush();
}

#[test]
fn the_example_scenarios_parse() {
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/load")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().and_then(|e| e.to_str()) == Some("yaml") {
            let text = std::fs::read_to_string(&p).unwrap();
            let plan = charttest::load::scenario::parse_plan(p.to_str().unwrap(), &text, Some("x"))
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(!plan.scenarios.is_empty());
        }
    }
}
