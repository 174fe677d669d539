//! A lean HTTP/1.1 client: one keep-alive connection per VU and target (as k6's VUs and wrk's
//! connections have), plain TCP or rustls, no pool and no middleware on the hot path.
//!
//! Requests are written with one `write` (head and body in one buffer) and responses parsed
//! in place with httparse (Content-Length, chunked, or until close). A general-purpose client
//! (hyper's) measured at about half of wrk's rate on loopback, its per-request channels and
//! header maps costing more than the system calls; this one is what reaches wrk's rate.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
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

/// An open HTTP/1.1 connection.
pub struct Conn {
    io: Box<dyn Io>,
    /// Bytes read and not yet consumed.
    buf: Vec<u8>,
    /// Reusable request buffer.
    out: Vec<u8>,
    /// The peer asked to close, or the connection broke.
    closed: bool,
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
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => "connection_reset",
        std::io::ErrorKind::UnexpectedEof => "connection_closed",
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
    Ok(Conn {
        io,
        buf: Vec::with_capacity(4096),
        out: Vec::with_capacity(4096),
        closed: false,
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
    /// The request line and fixed headers, up to `Content-Length: `, made once.
    prefix: Vec<u8>,
}

impl RequestHead {
    /// A head; `path_and_query` must start with `/`.
    pub fn new(path_and_query: String, authority: String, content_type: &'static str) -> Self {
        let prefix = format!(
            "POST {path_and_query} HTTP/1.1\r\nhost: {authority}\r\ncontent-type: {content_type}\r\nuser-agent: {USER_AGENT}\r\ncontent-length: "
        )
        .into_bytes();
        RequestHead {
            path_and_query,
            authority,
            content_type,
            prefix,
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

fn bad_response(what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("bad HTTP response: {what}"),
    )
}

impl Conn {
    /// Whether the connection can take another request: not closed, and the peer has not
    /// closed it meanwhile (checked without waiting).
    pub async fn ready(&mut self) -> bool {
        if self.closed || !self.buf.is_empty() {
            return false;
        }
        let io = &mut self.io;
        std::future::poll_fn(|cx| {
            let mut byte = [0u8; 1];
            let mut rb = tokio::io::ReadBuf::new(&mut byte);
            // Pending (nothing to read) means idle and open; end of stream, stray bytes or
            // an error mean not reusable.
            std::task::Poll::Ready(
                std::pin::Pin::new(&mut **io)
                    .poll_read(cx, &mut rb)
                    .is_pending(),
            )
        })
        .await
    }

    async fn fill(&mut self) -> std::io::Result<usize> {
        if self.buf.capacity() - self.buf.len() < 2048 {
            self.buf.reserve(8192);
        }
        let n = self.io.read_buf(&mut self.buf).await?;
        Ok(n)
    }

    /// Writes `request` (one buffer) and reads the response; gives the status and the body
    /// (kept only when `keep_body`) and the body's length.
    async fn exchange(
        &mut self,
        request: &[u8],
        keep_body: bool,
    ) -> std::io::Result<(u16, Vec<u8>, u64)> {
        self.io.write_all(request).await?;
        self.io.flush().await?;
        loop {
            let (status, head_len, length, chunked, close) = loop {
                let mut headers = [httparse::EMPTY_HEADER; 48];
                let mut resp = httparse::Response::new(&mut headers);
                match resp.parse(&self.buf) {
                    Ok(httparse::Status::Complete(n)) => {
                        let mut length = None;
                        let mut chunked = false;
                        let mut close = resp.version == Some(0);
                        for h in resp.headers.iter() {
                            if h.name.eq_ignore_ascii_case("content-length") {
                                let v = std::str::from_utf8(h.value)
                                    .map_err(|_| bad_response("content-length"))?;
                                length = Some(
                                    v.trim()
                                        .parse::<usize>()
                                        .map_err(|_| bad_response("content-length"))?,
                                );
                            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                                chunked = h.value.to_ascii_lowercase().ends_with(b"chunked");
                            } else if h.name.eq_ignore_ascii_case("connection") {
                                close = h.value.eq_ignore_ascii_case(b"close");
                            }
                        }
                        break (resp.code.unwrap_or(0), n, length, chunked, close);
                    }
                    Ok(httparse::Status::Partial) => {
                        if self.fill().await? == 0 {
                            self.closed = true;
                            return Err(std::io::ErrorKind::UnexpectedEof.into());
                        }
                    }
                    Err(e) => return Err(bad_response(&e.to_string())),
                }
            };
            self.buf.drain(..head_len);
            if (100..200).contains(&status) {
                continue;
            }
            let mut body = Vec::new();
            let body_len: u64;
            if status == 204 || status == 304 {
                body_len = 0;
            } else if chunked {
                body_len = self.read_chunked(keep_body, &mut body).await?;
            } else if let Some(n) = length {
                while self.buf.len() < n {
                    if self.fill().await? == 0 {
                        self.closed = true;
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                }
                if keep_body {
                    body.extend_from_slice(&self.buf[..n]);
                }
                self.buf.drain(..n);
                body_len = n as u64;
            } else {
                // No length: the body runs to the end of the connection.
                while self.fill().await? > 0 {}
                body_len = self.buf.len() as u64;
                if keep_body {
                    body = std::mem::take(&mut self.buf);
                }
                self.buf.clear();
                self.closed = true;
            }
            if close {
                self.closed = true;
            }
            return Ok((status, body, body_len));
        }
    }

    async fn read_line(&mut self) -> std::io::Result<Vec<u8>> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = self.buf[..i].to_vec();
                self.buf.drain(..i + 2);
                return Ok(line);
            }
            if self.fill().await? == 0 {
                self.closed = true;
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
    }

    async fn read_chunked(&mut self, keep: bool, body: &mut Vec<u8>) -> std::io::Result<u64> {
        let mut total = 0u64;
        loop {
            let line = self.read_line().await?;
            let size_text = String::from_utf8_lossy(&line);
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad_response("chunk size"))?;
            if size == 0 {
                // Trailers, then the empty line.
                while !self.read_line().await?.is_empty() {}
                return Ok(total);
            }
            while self.buf.len() < size + 2 {
                if self.fill().await? == 0 {
                    self.closed = true;
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
            }
            if keep {
                body.extend_from_slice(&self.buf[..size]);
            }
            self.buf.drain(..size + 2);
            total += size as u64;
        }
    }

    /// Sends one POST and reads the whole response; gives the status and response bytes.
    pub async fn post(
        &mut self,
        head: &RequestHead,
        body: Bytes,
        timeout: Duration,
    ) -> Result<(u16, u64), AttemptError> {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        out.extend_from_slice(&head.prefix);
        out.extend_from_slice(body.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(&body);
        let r = tokio::time::timeout(timeout, self.exchange(&out, false)).await;
        self.out = out;
        match r {
            Err(_) => Err(AttemptError {
                reason: "timeout",
                uncertain: true,
                detail: format!(
                    "no response within {}",
                    super::yamlcfg::format_duration(timeout)
                ),
            }),
            Ok(Err(e)) => Err(AttemptError {
                reason: io_reason(&e),
                // The request was written or being written: the server may have it.
                uncertain: true,
                detail: e.to_string(),
            }),
            Ok(Ok((status, _, n))) => Ok((status, n)),
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
    let mut req = format!(
        "{method} {path_and_query} HTTP/1.1\r\nhost: {}\r\nuser-agent: {USER_AGENT}\r\nconnection: close\r\ncontent-length: {}\r\n",
        target.authority,
        body.len()
    );
    for (k, v) in headers {
        if k.contains(['\r', '\n']) || v.contains(['\r', '\n']) {
            return Err(format!("header {k} has a line break"));
        }
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(&body);
    match tokio::time::timeout(timeout, conn.exchange(&bytes, true)).await {
        Err(_) => Err(format!(
            "{} did not answer within {}",
            target.url,
            super::yamlcfg::format_duration(timeout)
        )),
        Ok(Err(e)) => Err(format!("{}: {e}", target.url)),
        Ok(Ok((status, body, _))) => Ok((status, Bytes::from(body))),
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

    async fn serve_once(answer: &'static [u8]) -> Target {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            s.write_all(answer).await.unwrap();
        });
        Target::parse(&format!("http://{addr}")).unwrap()
    }

    #[test]
    fn reads_chunked_close_delimited_and_informational_responses() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let t = Duration::from_secs(2);
            let chunked = serve_once(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n").await;
            let (status, body) = request_once(&chunked, "POST", "/", &[], b"q".to_vec(), t).await.unwrap();
            assert_eq!((status, &body[..]), (200, &b"Wikipedia"[..]));
            let until_close = serve_once(b"HTTP/1.0 503 Service Unavailable\r\n\r\nbusy").await;
            let (status, body) = request_once(&until_close, "GET", "/", &[], vec![], t).await.unwrap();
            assert_eq!((status, &body[..]), (503, &b"busy"[..]));
            let informational = serve_once(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n").await;
            assert_eq!(request_once(&informational, "POST", "/", &[], vec![], t).await.unwrap().0, 204);
            let garbage = serve_once(b"nonsense\r\n\r\n").await;
            assert!(request_once(&garbage, "GET", "/", &[], vec![], t).await.unwrap_err().contains("bad HTTP response"));
            let truncated = serve_once(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc").await;
            assert!(request_once(&truncated, "GET", "/", &[], vec![], t).await.is_err());
        });
    }
}
