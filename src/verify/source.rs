//! Where `verify` reads events from: ClickHouse's HTTP interface, or PostHog's query API
//! (HogQL). Both give one row per stored event of the run: its sequence number and its
//! ingestion lag (stored time minus event `timestamp`) in milliseconds.
//!
//! Requests go straight to the URL, or through the Kubernetes API server's service proxy
//! ([`Transport::KubeProxy`]): `e2e` reaches a release's ClickHouse that way, with the
//! kubeconfig's credentials and TLS, and the same query and parsing code runs either way.

use std::time::Duration;

use serde_json::Value;

use crate::load::client::{request_once, Target};
use crate::load::template::{RUN_ID_PROPERTY, SEQ_PROPERTY};

/// One stored event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    /// Its sequence number.
    pub seq: u64,
    /// Stored time minus event time, ms (`None` when the stored-time column is null).
    pub lag_ms: Option<f64>,
}

/// How requests reach a source.
#[derive(Clone, Default)]
pub enum Transport {
    /// Straight to the source's URL.
    #[default]
    Direct,
    /// Through the Kubernetes API server's service proxy: `prefix` is
    /// `/api/v1/namespaces/NS/services/NAME:PORT/proxy`, and the request's path follows it.
    KubeProxy {
        /// A client with the cluster's credentials.
        client: kube::Client,
        /// The service proxy path.
        prefix: String,
    },
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Direct => f.write_str("Direct"),
            Transport::KubeProxy { prefix, .. } => write!(f, "KubeProxy({prefix})"),
        }
    }
}

impl Transport {
    /// The service proxy path of a Service's port.
    pub fn proxy_prefix(namespace: &str, service: &str, port: u16) -> String {
        format!("/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy")
    }

    /// Sends one request and returns the status and body.
    pub async fn send(
        &self,
        target: &Target,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<(u16, bytes::Bytes), String> {
        match self {
            Transport::Direct => {
                request_once(target, method, path_and_query, headers, body, timeout).await
            }
            Transport::KubeProxy { client, prefix } => {
                let uri = format!("{prefix}{path_and_query}");
                let mut req = http::Request::builder().method(method).uri(&uri);
                for (k, v) in headers {
                    req = req.header(*k, *v);
                }
                let req = req
                    .body(kube::client::Body::from(body))
                    .map_err(|e| format!("bad request for {uri}: {e}"))?;
                let go = async {
                    let resp = client
                        .send(req)
                        .await
                        .map_err(|e| format!("service proxy {prefix}: {e}"))?;
                    let status = resp.status().as_u16();
                    let bytes = resp
                        .into_body()
                        .collect_bytes()
                        .await
                        .map_err(|e| format!("service proxy {prefix}: {e}"))?;
                    Ok((status, bytes))
                };
                tokio::time::timeout(timeout, go).await.map_err(|_| {
                    format!(
                        "service proxy {prefix}: no answer within {}s",
                        timeout.as_secs()
                    )
                })?
            }
        }
    }
}

/// ClickHouse over HTTP.
#[derive(Debug, Clone)]
pub struct ClickHouse {
    /// Base URL, e.g. `http://127.0.0.1:8123` (with a service proxy: the Service's in-cluster
    /// URL, for messages).
    pub url: Target,
    /// How requests reach it.
    pub transport: Transport,
    /// Database (`posthog` in the chart).
    pub database: String,
    /// Table (`events`; a distributed table on sharded installs).
    pub table: String,
    /// User.
    pub user: String,
    /// Password (sent in `X-ClickHouse-Key`, never printed).
    pub password: Option<String>,
    /// The column holding when ClickHouse stored the event (`inserted_at`, or `_timestamp`,
    /// the Kafka time, on schemas without it).
    pub stored_at: String,
    /// Only this team's events.
    pub team_id: Option<u64>,
    /// Per-query timeout.
    pub timeout: Duration,
}

/// PostHog's query API (`POST /api/projects/:id/query/` with a HogQL query).
#[derive(Debug, Clone)]
pub struct HogQl {
    /// PostHog's base URL.
    pub url: Target,
    /// The project id.
    pub project: u64,
    /// A personal API key (sent as a bearer token, never printed).
    pub api_key: String,
    /// The stored-time field (`created_at` by default: when ingestion wrote the event).
    pub stored_at: String,
    /// Rows per page.
    pub page: u64,
    /// Per-query timeout.
    pub timeout: Duration,
}

/// An event source.
#[derive(Debug, Clone)]
pub enum Source {
    /// ClickHouse HTTP.
    ClickHouse(ClickHouse),
    /// PostHog's query API.
    HogQl(HogQl),
}

fn ident(s: &str) -> Result<&str, String> {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        Ok(s)
    } else {
        Err(format!("{s:?} is not a plain column or table name"))
    }
}

impl ClickHouse {
    /// The SQL for a run's rows (TabSeparated: seq, lag ms).
    pub fn query(&self, run_id: &str) -> Result<String, String> {
        let stored = ident(&self.stored_at)?;
        let table = ident(&self.table)?;
        let team = self
            .team_id
            .map(|t| format!(" AND team_id = {t}"))
            .unwrap_or_default();
        Ok(format!(
            "SELECT JSONExtractUInt(properties, '{SEQ_PROPERTY}') AS seq, \
             toUnixTimestamp64Milli(toDateTime64({stored}, 3)) - toUnixTimestamp64Milli(toDateTime64(timestamp, 3)) AS lag_ms \
             FROM {table} WHERE JSONExtractString(properties, '{RUN_ID_PROPERTY}') = '{run_id}'{team} \
             FORMAT TabSeparated"
        ))
    }

    async fn fetch(&self, run_id: &str) -> Result<Vec<Row>, String> {
        let sql = self.query(run_id)?;
        let path = format!(
            "{}/?database={}",
            self.url.base_path,
            percent_encoding::utf8_percent_encode(
                &self.database,
                percent_encoding::NON_ALPHANUMERIC
            )
        );
        let mut headers = vec![("X-ClickHouse-User", self.user.as_str())];
        if let Some(p) = &self.password {
            headers.push(("X-ClickHouse-Key", p.as_str()));
        }
        let (status, body) = self
            .transport
            .send(
                &self.url,
                "POST",
                &path,
                &headers,
                sql.into_bytes(),
                self.timeout,
            )
            .await?;
        let text = String::from_utf8_lossy(&body);
        if status != 200 {
            let first = text.lines().next().unwrap_or("").trim();
            return Err(format!(
                "ClickHouse at {} answered {status}: {first}",
                self.url.url
            ));
        }
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.is_empty() {
                continue;
            }
            let mut cols = line.split('\t');
            let seq = cols
                .next()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| {
                    format!("ClickHouse row {}: bad sequence number in {line:?}", i + 1)
                })?;
            let lag_ms = cols.next().and_then(|s| s.parse::<f64>().ok());
            rows.push(Row { seq, lag_ms });
        }
        Ok(rows)
    }
}

impl HogQl {
    /// The HogQL for one page of a run's rows.
    pub fn query(&self, run_id: &str, offset: u64) -> Result<String, String> {
        let stored = ident(&self.stored_at)?;
        Ok(format!(
            "SELECT toInt(properties.{SEQ_PROPERTY}) AS seq, dateDiff('millisecond', timestamp, {stored}) AS lag_ms \
             FROM events WHERE properties.{RUN_ID_PROPERTY} = '{run_id}' \
             ORDER BY seq LIMIT {} OFFSET {offset}",
            self.page
        ))
    }

    async fn fetch(&self, run_id: &str) -> Result<Vec<Row>, String> {
        let path = format!(
            "{}/api/projects/{}/query/",
            self.url.base_path, self.project
        );
        let auth = format!("Bearer {}", self.api_key);
        let mut rows = Vec::new();
        loop {
            let body = serde_json::json!({
                "query": {"kind": "HogQLQuery", "query": self.query(run_id, rows.len() as u64)?}
            });
            let (status, resp) = request_once(
                &self.url,
                "POST",
                &path,
                &[
                    ("Authorization", auth.as_str()),
                    ("Content-Type", "application/json"),
                ],
                body.to_string().into_bytes(),
                self.timeout,
            )
            .await?;
            if status != 200 {
                let text = String::from_utf8_lossy(&resp);
                let detail: String = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v.get("detail").and_then(Value::as_str).map(str::to_string))
                    .unwrap_or_else(|| text.chars().take(200).collect());
                return Err(format!(
                    "PostHog at {} answered {status}: {detail}",
                    self.url.url
                ));
            }
            let v: Value = serde_json::from_slice(&resp)
                .map_err(|e| format!("PostHog's query answer is not JSON: {e}"))?;
            let results = v
                .get("results")
                .and_then(Value::as_array)
                .ok_or_else(|| "PostHog's query answer has no `results`".to_string())?;
            let n = results.len() as u64;
            for r in results {
                let seq = r
                    .get(0)
                    .and_then(|x| {
                        x.as_u64()
                            .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
                    })
                    .ok_or_else(|| format!("bad row in PostHog's answer: {r}"))?;
                rows.push(Row {
                    seq,
                    lag_ms: r.get(1).and_then(Value::as_f64),
                });
            }
            if n < self.page {
                return Ok(rows);
            }
        }
    }
}

impl Source {
    /// Every stored event of the run.
    pub async fn fetch(&self, run_id: &str) -> Result<Vec<Row>, String> {
        match self {
            Source::ClickHouse(c) => c.fetch(run_id).await,
            Source::HogQl(h) => h.fetch(run_id).await,
        }
    }

    /// A description without credentials.
    pub fn describe(&self) -> String {
        match self {
            Source::ClickHouse(c) => format!("clickhouse {} {}.{}", c.url.url, c.database, c.table),
            Source::HogQl(h) => format!("posthog {} project {}", h.url.url, h.project),
        }
    }
}
