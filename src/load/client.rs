//! A lean HTTP/1.1 client: one keep-alive connection per VU and target (as k6's VUs and wrk's
//! connections have), plain TCP or rustls, no pool and no middleware on the hot path.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A base URL requests go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL as given, without a trailing `/`.
    pub url: String,
    /// Whether it is `https`.
    pub tls: bool,
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Path prefix (e.g. `/ingest` behind a proxy), without a trailing `/`.
    pub base_path: String,
    /// The `Host` header.
    pub authority: String,
}

impl Target {
    /// Parses `http://host[:port][/prefix]` or `https://…`.
    pub fn parse(s: &str) -> Result<Target, String> {
        let u = url::Url::parse(s)
            .map_err(|e| format!("{s:?} is not a URL ({e}); write e.g. http://127.0.0.1:3000"))?;
        let tls = match u.scheme() {
            "http" => false,
            "https" => true,
            other => return Err(format!("{s:?}: scheme {other:?} is not http or https")),
        };
        let host = u
            .host_str()
            .ok_or_else(|| format!("{s:?} has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = u
            .port_or_known_default()
            .unwrap_or(if tls { 443 } else { 80 });
        if u.query().is_some() || u.fragment().is_some() {
            return Err(format!("{s:?}: give a base URL without query or fragment"));
        }
        let authority = match u.port() {
            Some(p) if host.contains(':') => format!("[{host}]:{p}"),
            Some(p) => format!("{host}:{p}"),
            None if host.contains(':') => format!("[{host}]"),
            None => host.clone(),
        };
        Ok(Target {
            url: s.trim_end_matches('/').to_string(),
            tls,
            host,
            port,
            base_path: u.path().trim_end_matches('/').to_string(),
            authority,
        })
    }

    /// `host:port` for messages and connecting.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Why an attempt got no HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptError {
    /// `connection_refused`, `timeout`, `dns_error`, `tls_error` or `connection_error`.
    pub reason: &'static str,
    /// Whether the request may have reached the server (so capture may hold its events).
    pub uncertain: bool,
    /// The underlying error, for messages.
    pub detail: String,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Connection = hyper::client::conn::http1::Connection<TokioIo<Box<dyn Io>>, Full<Bytes>>;

/// An open HTTP/1.1 connection. Its connection future is polled by the VU's own task
/// alongside each request, rather than spawned: one task per exchange instead of two saves
/// the cross-task wake-ups that dominate a loopback request's cost.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    conn: std::pin::Pin<Box<Connection>>,
    done: bool,
}

fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map(|b| b.with_root_certificates(roots).with_no_client_auth())
                .unwrap_or_else(|_| {
                    // The ring provider supports the default versions; this is unreachable.
                    rustls::ClientConfig::builder()
                        .with_root_certificates(rustls::RootCertStore::empty())
                        .with_no_client_auth()
                });
            cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
            Arc::new(cfg)
        })
        .clone()
}

fn io_reason(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection_refused",
        std::io::ErrorKind::TimedOut => "timeout",
        _ => "connection_error",
    }
}

/// Opens a connection to `target` within `timeout`.
pub async fn connect(target: &Target, timeout: Duration) -> Result<Conn, AttemptError> {
    let fail = |reason: &'static str, detail: String| AttemptError {
        reason,
        uncertain: false,
        detail: format!("{}: {detail}", target.address()),
    };
    let addr = (target.host.as_str(), target.port);
    let tcp = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => return Err(fail("timeout", "connect timed out".into())),
        Ok(Err(e)) => {
            let reason = if e.kind() == std::io::ErrorKind::Other
                || e.to_string().contains("lookup")
                || e.to_string().contains("resolve")
            {
                "dns_error"
            } else {
                io_reason(&e)
            };
            return Err(fail(reason, e.to_string()));
        }
        Ok(Ok(s)) => s,
    };
    let _ = tcp.set_nodelay(true);
    let io: Box<dyn Io> = if target.tls {
        let name = rustls::pki_types::ServerName::try_from(target.host.clone())
            .map_err(|e| fail("tls_error", e.to_string()))?;
        let tls = tokio_rustls::TlsConnector::from(tls_config());
        match tokio::time::timeout(timeout, tls.connect(name, tcp)).await {
            Err(_) => return Err(fail("timeout", "TLS handshake timed out".into())),
            Ok(Err(e)) => return Err(fail("tls_error", e.to_string())),
            Ok(Ok(s)) => Box::new(s),
        }
    } else {
        Box::new(tcp)
    };
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| fail("connection_error", e.to_string()))?;
    Ok(Conn {
        sender,
        conn: Box::pin(conn),
        done: false,
    })
}

/// The parts of a request that stay the same for a scenario.
#[derive(Debug, Clone)]
pub struct RequestHead {
    /// Path and query.
    pub path_and_query: String,
    /// `Host`.
    pub authority: String,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The parsed forms, made once: parsing a URI and validating header values on every
    /// request is measurable at wrk's rates.
    parsed: Option<(hyper::Uri, hyper::header::HeaderValue)>,
}

impl RequestHead {
    /// A head; `path_and_query` must start with `/`.
    pub fn new(path_and_query: String, authority: String, content_type: &'static str) -> Self {
        let parsed = match (
            path_and_query.parse::<hyper::Uri>(),
            hyper::header::HeaderValue::from_str(&authority),
        ) {
            (Ok(u), Ok(h)) => Some((u, h)),
            _ => None,
        };
        RequestHead {
            path_and_query,
            authority,
            content_type,
            parsed,
        }
    }

    /// Bytes of the request line and headers as written, for `data_sent`.
    pub fn wire_len(&self, body_len: usize) -> u64 {
        // "POST {p} HTTP/1.1\r\n" + "host: …\r\n" + "content-type: …\r\n" + "user-agent: …\r\n"
        // + "content-length: N\r\n" + "\r\n"
        let digits = body_len.max(1).ilog10() as usize + 1;
        (5 + self.path_and_query.len()
            + 11
            + 6
            + self.authority.len()
            + 2
            + 14
            + self.content_type.len()
            + 2
            + 12
            + USER_AGENT.len()
            + 2
            + 16
            + digits
            + 2
            + 2) as u64
    }
}

/// The `User-Agent` the load generator sends.
pub const USER_AGENT: &str = concat!("posthog-charttest/", env!("CARGO_PKG_VERSION"));

impl Conn {
    /// Whether the connection can take another request (the peer may have closed it).
    pub async fn ready(&mut self) -> bool {
        if self.done || self.sender.is_closed() {
            return false;
        }
        tokio::select! {
            biased;
            r = self.sender.ready() => r.is_ok(),
            _ = self.conn.as_mut() => {
                self.done = true;
                false
            }
        }
    }

    /// Sends a request and reads the whole response, driving the connection meanwhile.
    async fn exchange(
        &mut self,
        req: hyper::Request<Full<Bytes>>,
    ) -> Result<(u16, Bytes), hyper::Error> {
        let sender = &mut self.sender;
        let exchange = async move {
            let resp = sender.send_request(req).await?;
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, body))
        };
        tokio::pin!(exchange);
        loop {
            tokio::select! {
                biased;
                r = &mut exchange => return r,
                // When the connection ends (the peer closed it), the exchange resolves next:
                // with the response it already read, or with an error.
                _ = self.conn.as_mut(), if !self.done => self.done = true,
            }
        }
    }

    /// Sends one POST and reads the whole response; gives the status and response bytes.
    pub async fn post(
        &mut self,
        head: &RequestHead,
        body: Bytes,
        timeout: Duration,
    ) -> Result<(u16, u64), AttemptError> {
        let builder = match &head.parsed {
            Some((uri, host)) => {
                hyper::Request::post(uri.clone()).header(hyper::header::HOST, host.clone())
            }
            None => hyper::Request::post(head.path_and_query.as_str())
                .header(hyper::header::HOST, head.authority.as_str()),
        };
        let req = builder
            .header(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static(head.content_type),
            )
            .header(
                hyper::header::USER_AGENT,
                hyper::header::HeaderValue::from_static(USER_AGENT),
            )
            .body(Full::new(body))
            .map_err(|e| AttemptError {
                reason: "request_error",
                uncertain: false,
                detail: e.to_string(),
            })?;
        let exchange = async {
            let (status, body) = self.exchange(req).await?;
            Ok::<_, hyper::Error>((status, body.len() as u64))
        };
        match tokio::time::timeout(timeout, exchange).await {
            Err(_) => Err(AttemptError {
                reason: "timeout",
                uncertain: true,
                detail: format!(
                    "no response within {}",
                    super::yamlcfg::format_duration(timeout)
                ),
            }),
            Ok(Err(e)) => {
                let io = std::error::Error::source(&e)
                    .and_then(|s| s.downcast_ref::<std::io::Error>())
                    .map(io_reason);
                Err(AttemptError {
                    reason: io.unwrap_or("connection_error"),
                    // A request canceled before it was written never reached the server.
                    uncertain: !e.is_canceled(),
                    detail: e.to_string(),
                })
            }
            Ok(Ok(r)) => Ok(r),
        }
    }
}

/// One request on a fresh connection (for queries, not load): gives the status and body.
/// Errors name the address and never include header values (they may hold credentials).
pub async fn request_once(
    target: &Target,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    timeout: Duration,
) -> Result<(u16, Bytes), String> {
    let mut conn = connect(target, timeout)
        .await
        .map_err(|e| format!("cannot connect to {}: {}", target.url, e.detail))?;
    let mut b = hyper::Request::builder()
        .method(method)
        .uri(path_and_query)
        .header(hyper::header::HOST, target.authority.as_str())
        .header(hyper::header::USER_AGENT, USER_AGENT);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = b
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("bad request to {}: {e}", target.url))?;
    if !conn.ready().await {
        return Err(format!(
            "{}: the connection closed before the request",
            target.url
        ));
    }
    match tokio::time::timeout(timeout, conn.exchange(req)).await {
        Err(_) => Err(format!(
            "{} did not answer within {}",
            target.url,
            super::yamlcfg::format_duration(timeout)
        )),
        Ok(Err(e)) => Err(format!("{}: {e}", target.url)),
        Ok(Ok(r)) => Ok(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        let t = Target::parse("http://127.0.0.1:3000/").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.base_path.as_str()),
            ("127.0.0.1", 3000, "")
        );
        assert_eq!(t.authority, "127.0.0.1:3000");
        let t = Target::parse("https://ph.example.com/ingest").unwrap();
        assert!(t.tls);
        assert_eq!(
            (t.port, t.base_path.as_str(), t.authority.as_str()),
            (443, "/ingest", "ph.example.com")
        );
        assert!(Target::parse("ftp://x").unwrap_err().contains("not http"));
        assert!(Target::parse("localhost:3000").is_err());
        assert!(Target::parse("not a url").is_err());
    }
}
