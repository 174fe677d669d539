//! `load` against the in-process fake capture server: exact accounting under scripted faults,
//! every encoding on every route, dropped iterations, thresholds.

use std::sync::Arc;
use std::time::Duration;

use charttest::load::fake_capture::{FakeCapture, FakeCaptureOptions, Fault, RequestInfo};
use charttest::load::runner::StopReason;
use charttest::load::scenario::parse_plan;
use charttest::load::summary::Summary;
use charttest::load::{execute, RunOptions};
use tokio::sync::watch;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn run(src: &str, run_id: &str) -> Summary {
    let plan = parse_plan("test.yaml", src, Some(run_id)).unwrap_or_else(|e| panic!("{e}"));
    let (tx, _) = watch::channel(StopReason::None);
    let opts = RunOptions {
        run_id: run_id.into(),
        shard: 0,
        shards: 1,
        progress_every: Duration::from_millis(200),
        connect_timeout: Duration::from_secs(2),
    };
    execute(&plan, &opts, tx, |_| {}).await.0
}

/// Faults keyed by the batch (its first sequence number / 5) and how often it was seen, so
/// every fault kind happens and every batch has a known fate.
fn faults(info: &RequestInfo) -> Fault {
    let Some(first) = info.first_seq else {
        // Before reading: refuse one request in 17, whatever it is.
        return if info.number % 17 == 3 {
            Fault::Refuse
        } else {
            Fault::None
        };
    };
    let k = first / 5;
    let seen = info.seen_before;
    if k % 29 == 9 {
        return Fault::Status(503); // never succeeds: retries run out
    }
    if k % 13 == 6 {
        return Fault::Status(400); // not retried
    }
    match (k % 7, seen) {
        (1, 0) => Fault::Status(503),
        (2, 0) => Fault::ResetAfterAccept,
        (3, 0) => Fault::Status(500),
        (3, 1) => Fault::Status(408),
        (4, 0) => Fault::ResetBeforeAccept,
        (5, _) => Fault::Slow(Duration::from_millis(30)),
        _ => Fault::None,
    }
}

#[test]
fn accepted_count_equals_the_servers_distinct_count_under_faults() {
    rt().block_on(async {
        let server = FakeCapture::start(
            "127.0.0.1:0",
            FakeCaptureOptions {
                faults: Some(Arc::new(faults)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let src = format!(
            "targets: [{}]\ntoken: phc_test\nretries: {{max: 8, backoff: 5ms, maxBackoff: 40ms}}\nrequest: {{route: /batch, batchSize: 5, encoding: gzip, timeout: 5s}}\nscenarios:\n  faults:\n    executor: constant-arrival-rate\n    rate: 300\n    duration: 1500ms\n    preAllocatedVUs: 40\n    maxVUs: 200\n",
            server.url()
        );
        let s = run(&src, "faults-run").await;
        let st = &server.state;
        // 450 iterations of 5 events.
        assert_eq!(s.events.sent, 2250);
        assert_eq!(s.events.dropped, 0);
        assert_eq!(s.events.accepted + s.events.failed, s.events.sent);
        assert_eq!(s.events.accepted, st.distinct("faults-run"), "{s:#?}");
        // Exactly the batches scripted to fail for good failed: k%29==9 (503 until retries run
        // out) and k%13==6 (400), k < 450.
        let doomed: Vec<u64> = (0..450u64).filter(|k| k % 29 == 9 || k % 13 == 6).collect();
        assert_eq!(s.events.failed, doomed.len() as u64 * 5, "{:?}", s.events.failed_by_reason);
        let expected_failed: Vec<u64> = doomed.iter().flat_map(|k| k * 5..k * 5 + 5).collect();
        assert_eq!(s.seqs.failed.iter().collect::<Vec<_>>(), expected_failed);
        // Failures by status were counted per attempt, all kinds present.
        for key in ["400", "408", "500", "503"] {
            assert!(s.http_req_failed_by_status.contains_key(key), "{:?}", s.http_req_failed_by_status);
        }
        assert!(s.http_req_failed_by_status.keys().any(|k| k.starts_with("connection")), "{:?}", s.http_req_failed_by_status);
        // Resets after accepting made the server see duplicates; we counted each event once.
        assert!(st.duplicates("faults-run") > 0);
        // The accepted set is exactly sent minus failed.
        let accepted: Vec<u64> = s.seqs.sent.difference(&s.seqs.failed).iter().collect();
        assert_eq!(accepted, st.seqs("faults-run"));
        assert_eq!(s.http_req_duration.count, s.http_reqs);
    });
}

#[test]
fn every_encoding_on_every_route_is_accepted_by_a_capture_decoder() {
    rt().block_on(async {
        let server = FakeCapture::start(
            "127.0.0.1:0",
            FakeCaptureOptions {
                store: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let mut src = format!(
            "targets: [{}]\ntoken: phc_test\nevent:\n  name: '{{{{ random_choice(items=[\"a\", \"b\"]) }}}}'\n  properties:\n    text: 'ünïcødé + & = ? / {{{{ seq }}}}'\n    n: '{{{{ random_int(min=1, max=9) }}}}'\nscenarios:\n",
            server.url()
        );
        let mut combos = 0;
        for enc in ["json", "gzip", "base64", "lz64", "form"] {
            for route in ["/e", "/i/v0/e", "/batch", "/capture"] {
                for batch in [1, 3] {
                    combos += 1;
                    src.push_str(&format!(
                        "  s{combos}:\n    executor: constant-vus\n    vus: 1\n    duration: 150ms\n    request: {{route: {route}, encoding: {enc}, batchSize: {batch}}}\n"
                    ));
                }
            }
        }
        let s = run(&src, "enc-run").await;
        assert!(s.events.sent >= 40 * 2, "{}", s.events.sent);
        assert_eq!(s.events.failed, 0, "{:?}", s.http_req_failed_by_status);
        assert_eq!(s.events.accepted, server.state.distinct("enc-run"));
        let stored = server.state.stored.lock();
        assert_eq!(stored.len() as u64, s.events.accepted);
        assert!(stored.iter().all(|e| e.event == "a" || e.event == "b"));
        assert!(stored.iter().all(|e| e.timestamp.ends_with('Z')));
    });
}

#[test]
fn busy_vus_drop_iterations_and_the_books_still_balance() {
    rt().block_on(async {
        let server = FakeCapture::start(
            "127.0.0.1:0",
            FakeCaptureOptions {
                faults: Some(Arc::new(|i: &RequestInfo| {
                    if i.first_seq.is_some() {
                        Fault::Slow(Duration::from_millis(100))
                    } else {
                        Fault::None
                    }
                })),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let src = format!(
            "targets: [{}]\ntoken: t\nscenarios:\n  ramp:\n    executor: ramping-arrival-rate\n    startRate: 20\n    timeUnit: 1s\n    preAllocatedVUs: 1\n    maxVUs: 2\n    stages:\n      - {{duration: 500ms, target: 60}}\n      - {{duration: 500ms, target: 60}}\nthresholds:\n  dropped_iterations: ['count<1']\n  http_req_duration: ['p(95)<5000']\n",
            server.url()
        );
        let s = run(&src, "drop-run").await;
        // (20+60)/2 × 0.5 + 60 × 0.5 = 50 iterations scheduled.
        assert_eq!(s.iterations + s.dropped_iterations, 50);
        assert!(s.dropped_iterations > 10, "{}", s.dropped_iterations);
        assert_eq!(s.events.dropped, s.dropped_iterations);
        assert_eq!(s.events.accepted, server.state.distinct("drop-run"));
        assert_eq!(s.vus_max, 2);
        // Latency is measured from the intended start: queueing behind busy VUs is not hidden,
        // so no sample is below the server's 100 ms.
        assert!(s.http_req_duration.min >= 99.0, "{}", s.http_req_duration.min);
        assert!(!s.thresholds[0].ok);
        assert!(s.thresholds[1].ok);
    });
}
