//! An in-process server that answers like PostHog's capture: `200 {"status":"Ok"}` for a
//! payload it can decode ([`super::capture_decode`]), 400/401/413 otherwise, and scripted
//! faults (refusals, 503/408/500, resets after the events were counted, slow answers). It
//! counts every distinct `(run id, sequence number)` it accepted, so tests can hold the load
//! generator's accounting against it; with `decode` off it is a minimal fixed-answer HTTP
//! server for benchmarks.
//!
//! Written on raw sockets rather than an HTTP server library so that faults can happen at any
//! byte: closing before reading, or resetting in the middle of a response.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::capture_decode::{decode, RequestParts};
use super::template::{RUN_ID_PROPERTY, SEQ_PROPERTY};

/// What the server does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer normally.
    None,
    /// Close the connection without reading the request.
    Refuse,
    /// Answer this status without accepting the events.
    Status(u16),
    /// Accept (count) the events, then reset the connection in the middle of the response.
    ResetAfterAccept,
    /// Reset the connection after reading the request, without accepting.
    ResetBeforeAccept,
    /// Wait this long, then answer normally.
    Slow(Duration),
}

/// What a fault plan sees of a request.
#[derive(Debug, Clone, Copy)]
pub struct RequestInfo {
    /// 0-based number of the request (refusals included) since the server started.
    pub number: u64,
    /// The first event's sequence number, when the request decoded.
    pub first_seq: Option<u64>,
    /// How many times a request with this first sequence number arrived before (its retries).
    pub seen_before: u64,
}

/// Decides the fault for each request. Called before reading the request (`first_seq` is
/// `None`; only [`Fault::Refuse`] applies there) and after decoding it.
pub type FaultPlan = Arc<dyn Fn(&RequestInfo) -> Fault + Send + Sync>;

/// One accepted event, as a ClickHouse fake would store it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Its run id property.
    pub run_id: String,
    /// Its sequence number property.
    pub seq: u64,
    /// Its `timestamp`, as sent.
    pub timestamp: String,
    /// Its name.
    pub event: String,
}

/// What the server counted.
#[derive(Debug, Default)]
pub struct CaptureState {
    /// Requests received (refusals included).
    pub requests: AtomicU64,
    /// Answers by status.
    pub by_status: Mutex<BTreeMap<u16, u64>>,
    /// Accepted sequence numbers by run id, with how often each was accepted.
    pub accepted: Mutex<HashMap<String, HashMap<u64, u32>>>,
    /// Accepted events in arrival order (only when `store` is on).
    pub stored: Mutex<Vec<StoredEvent>>,
    first_seq_seen: Mutex<HashMap<u64, u64>>,
}

impl CaptureState {
    /// Distinct sequence numbers accepted for a run.
    pub fn distinct(&self, run_id: &str) -> u64 {
        self.accepted
            .lock()
            .get(run_id)
            .map_or(0, |m| m.len() as u64)
    }

    /// Events accepted more than once for a run (the extra copies).
    pub fn duplicates(&self, run_id: &str) -> u64 {
        self.accepted.lock().get(run_id).map_or(0, |m| {
            m.values().map(|c| u64::from(c.saturating_sub(1))).sum()
        })
    }

    /// The accepted sequence numbers of a run, sorted.
    pub fn seqs(&self, run_id: &str) -> Vec<u64> {
        let mut v: Vec<u64> = self
            .accepted
            .lock()
            .get(run_id)
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default();
        v.sort_unstable();
        v
    }
}

/// Options of the fake server.
#[derive(Clone)]
pub struct FakeCaptureOptions {
    /// Decode and count payloads; off: answer 200 to everything without reading the body's
    /// contents (a minimal server for benchmarks).
    pub decode: bool,
    /// Keep every accepted event in [`CaptureState::stored`].
    pub store: bool,
    /// The decompressed size limit (capture's is 20 MB for `/batch`).
    pub limit: usize,
    /// Faults.
    pub faults: Option<FaultPlan>,
}

impl Default for FakeCaptureOptions {
    fn default() -> Self {
        FakeCaptureOptions {
            decode: true,
            store: false,
            limit: 20 << 20,
            faults: None,
        }
    }
}

/// A running fake capture server; it stops when dropped.
pub struct FakeCapture {
    /// Where it listens.
    pub addr: SocketAddr,
    /// What it counted.
    pub state: Arc<CaptureState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeCapture {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeCapture {
    /// Starts on `addr` (use port 0 for any free port) in the current Tokio runtime.
    pub async fn start(addr: &str, opts: FakeCaptureOptions) -> std::io::Result<FakeCapture> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(CaptureState::default());
        let st = state.clone();
        let opts = Arc::new(opts);
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                let _ = sock.set_nodelay(true);
                let (st, opts) = (st.clone(), opts.clone());
                tokio::spawn(async move {
                    let _ = serve(sock, &st, &opts).await;
                });
            }
        });
        Ok(FakeCapture { addr, state, task })
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

struct Request {
    path: String,
    query: String,
    content_type: Option<String>,
    content_encoding: Option<String>,
    close: bool,
    body: Vec<u8>,
}

/// Reads one request; `None` at a clean end of the connection.
async fn read_request(sock: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Option<Request>> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(buf) {
            Ok(httparse::Status::Complete(head_len)) => {
                let target = req.path.unwrap_or("/").to_string();
                let mut content_length = 0usize;
                let mut content_type = None;
                let mut content_encoding = None;
                let mut close = req.version == Some(0);
                for h in req.headers.iter() {
                    let v = String::from_utf8_lossy(h.value).trim().to_string();
                    match h.name.to_ascii_lowercase().as_str() {
                        "content-length" => content_length = v.parse().unwrap_or(0),
                        "content-type" => content_type = Some(v),
                        "content-encoding" => content_encoding = Some(v),
                        "connection" => close = v.eq_ignore_ascii_case("close"),
                        _ => {}
                    }
                }
                while buf.len() < head_len + content_length {
                    let mut chunk = [0u8; 16384];
                    let n = sock.read(&mut chunk).await?;
                    if n == 0 {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let body = buf[head_len..head_len + content_length].to_vec();
                buf.drain(..head_len + content_length);
                let (path, query) = match target.split_once('?') {
                    Some((p, q)) => (p.to_string(), q.to_string()),
                    None => (target, String::new()),
                };
                return Ok(Some(Request {
                    path,
                    query,
                    content_type,
                    content_encoding,
                    close,
                    body,
                }));
            }
            Ok(httparse::Status::Partial) => {
                let mut chunk = [0u8; 16384];
                let n = sock.read(&mut chunk).await?;
                if n == 0 {
                    return if buf.is_empty() {
                        Ok(None)
                    } else {
                        Err(std::io::ErrorKind::UnexpectedEof.into())
                    };
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            Err(_) => return Err(std::io::ErrorKind::InvalidData.into()),
        }
    }
}

fn response(status: u16, body: &str) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn reset(sock: TcpStream) {
    // SO_LINGER 0 turns the close into a TCP reset.
    let _ = sock.set_zero_linger();
    drop(sock);
}

async fn serve(
    mut sock: TcpStream,
    st: &CaptureState,
    opts: &FakeCaptureOptions,
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(16384);
    loop {
        if buf.is_empty() {
            if let Some(plan) = &opts.faults {
                // Peek whether a request is coming before deciding to refuse it, so an idle
                // keep-alive connection is not counted as a request.
                let mut one = [0u8; 1];
                if sock.peek(&mut one).await? == 0 {
                    return Ok(());
                }
                let number = st.requests.load(Ordering::Relaxed);
                if plan(&RequestInfo {
                    number,
                    first_seq: None,
                    seen_before: 0,
                }) == Fault::Refuse
                {
                    st.requests.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
            }
        }
        let Some(req) = read_request(&mut sock, &mut buf).await? else {
            return Ok(());
        };
        let number = st.requests.fetch_add(1, Ordering::Relaxed);
        if !opts.decode {
            sock.write_all(&response(200, r#"{"status":"Ok"}"#)).await?;
            if req.close {
                return Ok(());
            }
            continue;
        }
        let parts = RequestParts {
            path: &req.path,
            query: &req.query,
            content_type: req.content_type.as_deref(),
            content_encoding: req.content_encoding.as_deref(),
        };
        let decoded = decode(&parts, &req.body, opts.limit);
        let (status, body) = match &decoded {
            Err(e) => (
                e.status,
                format!(r#"{{"type":"validation_error","detail":{:?}}}"#, e.message),
            ),
            Ok(_) => (200, r#"{"status":"Ok"}"#.to_string()),
        };
        let mut fault = Fault::None;
        if let (Ok(d), Some(plan)) = (&decoded, &opts.faults) {
            let first_seq = d
                .events
                .first()
                .and_then(|e| e.pointer(&format!("/properties/{SEQ_PROPERTY}")))
                .and_then(|v| v.as_u64());
            let seen_before = match first_seq {
                Some(s) => {
                    let mut seen = st.first_seq_seen.lock();
                    let c = seen.entry(s).or_insert(0);
                    *c += 1;
                    *c - 1
                }
                None => 0,
            };
            fault = plan(&RequestInfo {
                number,
                first_seq,
                seen_before,
            });
        }
        let accept = |d: &super::capture_decode::Decoded| {
            let mut acc = st.accepted.lock();
            let mut stored = st.stored.lock();
            for e in &d.events {
                let run = e
                    .pointer(&format!("/properties/{RUN_ID_PROPERTY}"))
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string();
                let Some(seq) = e
                    .pointer(&format!("/properties/{SEQ_PROPERTY}"))
                    .and_then(|v| v.as_u64())
                else {
                    continue;
                };
                *acc.entry(run.clone()).or_default().entry(seq).or_insert(0) += 1;
                if opts.store {
                    stored.push(StoredEvent {
                        run_id: run,
                        seq,
                        timestamp: e
                            .get("timestamp")
                            .and_then(|v| v.as_str())
                            .unwrap_or("")
                            .to_string(),
                        event: e
                            .get("event")
                            .and_then(|v| v.as_str())
                            .unwrap_or("")
                            .to_string(),
                    });
                }
            }
        };
        let count = |status: u16| *st.by_status.lock().entry(status).or_insert(0) += 1;
        match (fault, &decoded) {
            (Fault::Status(s), Ok(_)) => {
                count(s);
                sock.write_all(&response(s, r#"{"type":"server_error"}"#))
                    .await?;
            }
            (Fault::ResetAfterAccept, Ok(d)) => {
                accept(d);
                count(200);
                let full = response(200, r#"{"status":"Ok"}"#);
                sock.write_all(&full[..full.len() / 2]).await?;
                reset(sock);
                return Ok(());
            }
            (Fault::ResetBeforeAccept, Ok(_)) => {
                reset(sock);
                return Ok(());
            }
            (f, r) => {
                if let Fault::Slow(d) = f {
                    tokio::time::sleep(d).await;
                }
                if let Ok(d) = r {
                    accept(d);
                }
                count(status);
                sock.write_all(&response(status, &body)).await?;
            }
        }
        if req.close {
            return Ok(());
        }
    }
}
