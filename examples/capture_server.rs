//! A capture-compatible HTTP server on loopback, for benchmarks and for trying scenarios
//! without a cluster: `cargo run --release --example capture_server -- [ADDR] [--minimal]
//! [--threads N]`. It answers `200 {"status":"Ok"}`; with `--minimal` it does not decode
//! bodies (a fixed-answer server, what `scripts/bench-load.sh` points wrk and `load` at).
//! Every 10 s it prints how many requests and distinct events it counted.

use std::time::Duration;

use charttest::load::fake_capture::{FakeCapture, FakeCaptureOptions};

fn main() {
    let mut addr = "127.0.0.1:8089".to_string();
    let mut minimal = false;
    let mut threads = 1usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--minimal" => minimal = true,
            "--threads" => threads = args.next().and_then(|t| t.parse().ok()).unwrap_or(1),
            other => addr = other.to_string(),
        }
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: {e}");
            std::process::exit(1);
        }
    };
    rt.block_on(async {
        let server = match FakeCapture::start(
            &addr,
            FakeCaptureOptions {
                decode: !minimal,
                ..Default::default()
            },
        )
        .await
        {
            Ok(s) => s,
            Err(e) => {
                eprintln!("Error: cannot listen on {addr}: {e}");
                std::process::exit(1);
            }
        };
        eprintln!(
            "capture server on {} ({})",
            server.url(),
            if minimal { "minimal" } else { "decoding" }
        );
        loop {
            tokio::time::sleep(Duration::from_secs(10)).await;
            let runs = server.state.accepted.lock().len();
            eprintln!(
                "requests={} runs={runs}",
                server
                    .state
                    .requests
                    .load(std::sync::atomic::Ordering::Relaxed)
            );
        }
    });
}
