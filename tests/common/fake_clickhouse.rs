//! A fake of ClickHouse's HTTP interface for `verify`: it answers the query `verify` sends
//! with TabSeparated rows of a run (seq, lag ms), checks X-ClickHouse-User/Key like
//! ClickHouse (516 on a wrong password), and can reveal rows gradually to exercise polling.
//! With `hogql` it answers PostHog's query API instead.
//!
//! Fed from a fake capture ([`ChState::feed`]), it stores what capture accepted, as the
//! ingestion pipeline would, less the sequence numbers a test tells it to lose.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One stored row.
#[derive(Clone, Debug)]
pub struct Stored {
    pub run_id: String,
    pub seq: u64,
    pub lag_ms: u64,
}

#[derive(Default)]
pub struct ChState {
    pub rows: Mutex<Vec<Stored>>,
    /// Poll k sees the first `reveal[k]` rows (last entry repeats); empty: all rows.
    pub reveal: Mutex<Vec<usize>>,
    pub queries: AtomicU64,
    pub last_query: Mutex<String>,
    /// When set, the rows are the events this capture accepted (stored with lag 5 ms).
    pub feed: Mutex<Option<Arc<charttest::load::fake_capture::CaptureState>>>,
    /// Sequence numbers the pipeline "loses" (never stored).
    pub lose: Mutex<Vec<u64>>,
}

pub struct FakeClickHouse {
    pub url: String,
    pub state: Arc<ChState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeClickHouse {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn run_id_in(query: &str) -> Option<String> {
    // ... = 'RUN' in both the SQL and the HogQL form.
    let key = "charttest_run_id";
    let at = query.find(key)?;
    let rest = &query[at..];
    let q1 = rest.find("= '")?;
    let rest = &rest[q1 + 3..];
    let q2 = rest.find('\'')?;
    Some(rest[..q2].to_string())
}

async fn handle(mut sock: TcpStream, st: Arc<ChState>, password: Option<String>, hogql: bool) {
    let mut buf = Vec::new();
    loop {
        let mut chunk = [0u8; 8192];
        let Ok(n) = sock.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        let Ok(httparse::Status::Complete(head)) = req.parse(&buf) else {
            continue;
        };
        let get = |name: &str| {
            req.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(h.value).to_string())
        };
        let len: usize = get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if buf.len() < head + len {
            continue;
        }
        let body = String::from_utf8_lossy(&buf[head..head + len]).to_string();
        let (status, text) = answer(&st, &body, &get, password.as_deref(), hogql);
        let resp = format!(
            "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
            text.len()
        );
        let _ = sock.write_all(resp.as_bytes()).await;
        return;
    }
}

fn answer(
    st: &ChState,
    body: &str,
    get: &dyn Fn(&str) -> Option<String>,
    password: Option<&str>,
    hogql: bool,
) -> (u16, String) {
    let query = if hogql {
        let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        v["query"]["query"].as_str().unwrap_or("").to_string()
    } else {
        body.to_string()
    };
    if hogql {
        if get("authorization").as_deref() != Some(&format!("Bearer {}", password.unwrap_or(""))) {
            return (
                401,
                r#"{"type":"authentication_error","detail":"Invalid personal API key."}"#.into(),
            );
        }
    } else if get("x-clickhouse-key").as_deref() != password {
        let user = get("x-clickhouse-user").unwrap_or_default();
        return (
            516,
            format!("Code: 516. DB::Exception: {user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)\n"),
        );
    }
    *st.last_query.lock() = query.clone();
    let Some(run) = run_id_in(&query) else {
        return (400, "Code: 62. DB::Exception: Syntax error\n".into());
    };
    let k = st.queries.fetch_add(1, Ordering::Relaxed) as usize;
    if let Some(capture) = st.feed.lock().as_ref() {
        let lose = st.lose.lock();
        let fed: Vec<Stored> = capture
            .stored
            .lock()
            .iter()
            .filter(|e| !lose.contains(&e.seq))
            .map(|e| Stored {
                run_id: e.run_id.clone(),
                seq: e.seq,
                lag_ms: 5,
            })
            .collect();
        *st.rows.lock() = fed;
    }
    let rows = st.rows.lock();
    let reveal = st.reveal.lock();
    let visible = if reveal.is_empty() {
        rows.len()
    } else {
        reveal[k.min(reveal.len() - 1)].min(rows.len())
    };
    let of_run: Vec<&Stored> = rows[..visible].iter().filter(|r| r.run_id == run).collect();
    if hogql {
        let limit: usize = query
            .split("LIMIT ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(100);
        let offset: usize = query
            .split("OFFSET ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut sorted = of_run.clone();
        sorted.sort_by_key(|r| r.seq);
        let page: Vec<serde_json::Value> = sorted
            .iter()
            .skip(offset)
            .take(limit)
            .map(|r| serde_json::json!([r.seq, r.lag_ms]))
            .collect();
        return (
            200,
            serde_json::json!({"results": page, "columns": ["seq", "lag_ms"]}).to_string(),
        );
    }
    let mut out = String::new();
    for r in of_run {
        out.push_str(&format!("{}\t{}\n", r.seq, r.lag_ms));
    }
    (200, out)
}

impl FakeClickHouse {
    pub async fn start(password: Option<&str>, hogql: bool) -> FakeClickHouse {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(ChState::default());
        let st = state.clone();
        let password = password.map(str::to_string);
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(handle(sock, st.clone(), password.clone(), hogql));
            }
        });
        FakeClickHouse { url, state, task }
    }
}
