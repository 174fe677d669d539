//! `verify` against a ClickHouse-HTTP fake (and a PostHog query API fake) fed by a real
//! `load` run through the fake capture server.

mod common;

use std::time::Duration;

use charttest::cli::verify::{run as verify_cli, VerifyArgs};
use charttest::load::fake_capture::{FakeCapture, FakeCaptureOptions};
use charttest::load::runner::StopReason;
use charttest::load::scenario::parse_plan;
use charttest::load::summary::Summary;
use charttest::load::{execute, RunOptions};
use charttest::verify::VerifySummary;
use clap::Parser;
use common::fake_clickhouse::{FakeClickHouse, Stored};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: VerifyArgs,
}

fn verify(args: &[&str]) -> charttest::cli::Outcome {
    let mut argv = vec!["verify"];
    argv.extend_from_slice(args);
    verify_cli(&Cli::parse_from(argv).args)
}

/// A real load run of 200 events; returns its summary and what capture accepted.
fn load_run(rt: &tokio::runtime::Runtime, run_id: &str) -> (Summary, Vec<u64>) {
    rt.block_on(async {
        let server = FakeCapture::start("127.0.0.1:0", FakeCaptureOptions::default())
            .await
            .unwrap();
        let src = format!(
            "targets: [{}]\ntoken: t\nrequest: {{route: /batch, batchSize: 10}}\nscenarios:\n  s:\n    executor: constant-arrival-rate\n    rate: 100\n    duration: 200ms\n    preAllocatedVUs: 5\n",
            server.url()
        );
        let plan = parse_plan("t.yaml", &src, Some(run_id)).unwrap();
        let (tx, _) = tokio::sync::watch::channel(StopReason::None);
        let opts = RunOptions {
            run_id: run_id.into(),
            shard: 0,
            shards: 1,
            progress_every: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(2),
        };
        let (s, _) = execute(&plan, &opts, tx, |_| {}).await;
        (s, server.state.seqs(run_id))
    })
}

#[test]
fn verify_names_exactly_the_missing_sequence_numbers() {
    let rt = rt();
    let (summary, accepted) = load_run(&rt, "vrun-1");
    assert_eq!(accepted.len(), 200);
    let dir = tempfile::tempdir().unwrap();
    let summary_path = dir.path().join("load.json");
    std::fs::write(&summary_path, serde_json::to_string(&summary).unwrap()).unwrap();

    let ch = rt.block_on(FakeClickHouse::start(Some("s3cret-pw"), false));
    // The pipeline "loses" 3 events and stores one twice; lags of 100 ms to 2 s.
    let lost = [7u64, 8, 150];
    {
        let mut rows = ch.state.rows.lock();
        for &s in accepted.iter().filter(|s| !lost.contains(s)) {
            rows.push(Stored {
                run_id: "vrun-1".into(),
                seq: s,
                lag_ms: 100 + s * 10,
            });
        }
        rows.push(Stored {
            run_id: "vrun-1".into(),
            seq: 42,
            lag_ms: 500,
        });
        rows.push(Stored {
            run_id: "other-run".into(),
            seq: 7,
            lag_ms: 1,
        });
    }
    let export = dir.path().join("verify.json");
    let junit = dir.path().join("verify.xml");
    let out = verify(&[
        "--summary",
        summary_path.to_str().unwrap(),
        "--clickhouse-url",
        &ch.url,
        "--clickhouse-password",
        "s3cret-pw",
        "--timeout",
        "300ms",
        "--interval",
        "100ms",
        "--summary-export",
        export.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--quiet",
    ]);
    // 3 of 200 missing is 1.5 %: above the 0.1 % loss threshold.
    assert_eq!(out.exit, 99, "{out:?}");
    let v: VerifySummary =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    assert_eq!(v.missing_seqs.iter().collect::<Vec<_>>(), lost);
    assert_eq!(v.events.delivered, 197);
    assert_eq!(v.events.duplicated, 1);
    assert_eq!(v.duplicated_seqs.iter().collect::<Vec<_>>(), vec![42]);
    assert!(!v.complete);
    assert!(
        (v.ingestion_lag.p99 - (100.0 + 197.0 * 10.0)).abs() < 25.0,
        "{}",
        v.ingestion_lag.p99
    );
    assert!(v
        .thresholds
        .iter()
        .any(|t| t.name.starts_with("event_loss") && !t.ok));
    assert!(v
        .thresholds
        .iter()
        .any(|t| t.name.starts_with("ingestion_lag") && t.ok));
    let x = std::fs::read_to_string(&junit).unwrap();
    assert!(x.contains("<failure") && x.contains("event_loss"), "{x}");
    // The query filtered on the run id property and read the stored-time column.
    let q = ch.state.last_query.lock().clone();
    assert!(
        q.contains("JSONExtractString(properties, 'charttest_run_id') = 'vrun-1'")
            && q.contains("inserted_at"),
        "{q}"
    );
    // The password is never printed.
    assert!(!format!("{out:?}").contains("s3cret-pw"));
    assert!(!std::fs::read_to_string(&export)
        .unwrap()
        .contains("s3cret-pw"));
}

#[test]
fn verify_polls_until_complete_and_passes() {
    let rt = rt();
    let ch = rt.block_on(FakeClickHouse::start(None, false));
    {
        let mut rows = ch.state.rows.lock();
        for s in 0..50u64 {
            rows.push(Stored {
                run_id: "vrun-2".into(),
                seq: s,
                lag_ms: 20,
            });
        }
        // Three polls: 10 rows, 30 rows, then all.
        *ch.state.reveal.lock() = vec![10, 30, 50];
    }
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("v.json");
    let out = verify(&[
        "--run-id",
        "vrun-2",
        "--expected",
        "50",
        "--clickhouse-url",
        &ch.url,
        "--interval",
        "50ms",
        "--timeout",
        "10s",
        "--max-lag-p99",
        "1s",
        "--threshold",
        "events_duplicated: count<1",
        "--summary-export",
        export.to_str().unwrap(),
    ]);
    assert_eq!(out.exit, 0, "{out:?}");
    assert!(out.stdout.contains("complete"), "{}", out.stdout);
    let v: VerifySummary =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    assert!(v.complete);
    assert_eq!(
        ch.state.queries.load(std::sync::atomic::Ordering::Relaxed),
        3
    );
    assert_eq!(v.thresholds.len(), 3);
}

#[test]
fn verify_reports_clickhouse_errors_without_credentials() {
    let rt = rt();
    let ch = rt.block_on(FakeClickHouse::start(Some("right"), false));
    let out = verify(&[
        "--run-id",
        "r",
        "--expected",
        "1",
        "--clickhouse-url",
        &ch.url,
        "--clickhouse-password",
        "wrong-pw-123",
        "--timeout",
        "100ms",
        "--interval",
        "50ms",
        "--quiet",
    ]);
    assert_eq!(out.exit, 1, "{out:?}");
    assert!(
        out.stderr.contains("516") && out.stderr.contains("Authentication failed"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("wrong-pw-123"));
    let out = verify(&["--expected", "1", "--clickhouse-url", &ch.url]);
    assert_eq!(out.exit, 104);
    assert!(out.stderr.contains("--run-id"), "{}", out.stderr);
    let out = verify(&["--run-id", "r"]);
    assert_eq!(out.exit, 104);
    assert!(out.stderr.contains("--clickhouse-url"), "{}", out.stderr);
}

#[test]
fn verify_through_posthogs_query_api_pages_results() {
    let rt = rt();
    let ph = rt.block_on(FakeClickHouse::start(Some("phx_key"), true));
    {
        let mut rows = ph.state.rows.lock();
        for s in (0..120u64).filter(|s| *s != 77) {
            rows.push(Stored {
                run_id: "vrun-3".into(),
                seq: s,
                lag_ms: 5,
            });
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("v.json");
    let out = verify(&[
        "--run-id",
        "vrun-3",
        "--expected",
        "120",
        "--posthog-url",
        &ph.url,
        "--project",
        "1",
        "--api-key",
        "phx_key",
        "--hogql-page",
        "50",
        "--timeout",
        "100ms",
        "--interval",
        "50ms",
        "--max-loss",
        "0.01",
        "--summary-export",
        export.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(out.exit, 0, "{out:?}");
    let v: VerifySummary =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    assert_eq!(v.missing_seqs.iter().collect::<Vec<_>>(), vec![77]);
    assert_eq!(v.events.rows, 119);
    // 119 rows in pages of 50: three queries per poll.
    assert!(ph.state.queries.load(std::sync::atomic::Ordering::Relaxed) >= 3);
    let q = ph.state.last_query.lock().clone();
    assert!(
        q.contains("properties.charttest_run_id = 'vrun-3'") && q.contains("created_at"),
        "{q}"
    );
}
