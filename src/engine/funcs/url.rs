//! Template functions: `urlParse` and `urlJoin`, with Go's `net/url` semantics (as of Go
//! 1.25, which helm 4.1.4 is built with), not the WHATWG rules the `url` crate follows: Go keeps
//! the host's case, accepts relative references, splits `scheme:opaque` forms, and escapes on
//! output with its own per-component rules.
//!
//! Go works on bytes; strings here are handled as bytes too and turned back into text at the
//! end (an escape that decodes to invalid UTF-8 is replaced with U+FFFD, which Go would keep).

use std::collections::BTreeMap;

use super::{Func, FuncCtx, FuncError, FuncResult};
use crate::engine::value::{Ty, Value};
use crate::gofunc;

/// This group's functions.
pub const FUNCS: &[Func] = &[
    gofunc!("urlParse", [Ty::String], url_parse),
    gofunc!("urlJoin", [Ty::Map], url_join),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    Fragment,
}

fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone) && b"!$&'()*+,;=:[]<>\"".contains(&c) {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => {
            return match mode {
                Mode::Path => c == b'?',
                Mode::UserPassword => matches!(c, b'@' | b'/' | b'?' | b':'),
                Mode::Fragment => false,
                Mode::Host | Mode::Zone => true,
            };
        }
        _ => {}
    }
    !(mode == Mode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*'))
}

/// Go's `strconv.Quote` of bytes that may not be valid UTF-8.
fn quote_bytes(b: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out.push('"');
    out
}

fn unhex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

fn unescape(s: &[u8], mode: Mode) -> Result<Vec<u8>, String> {
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                let ok =
                    i + 2 < s.len() && s[i + 1].is_ascii_hexdigit() && s[i + 2].is_ascii_hexdigit();
                if !ok {
                    let end = (i + 3).min(s.len());
                    return Err(format!("invalid URL escape {}", quote_bytes(&s[i..end])));
                }
                let esc = &s[i..i + 3];
                if mode == Mode::Host && unhex(s[i + 1]) < 8 && esc != b"%25" {
                    return Err(format!("invalid URL escape {}", quote_bytes(esc)));
                }
                if mode == Mode::Zone {
                    let v = (unhex(s[i + 1]) << 4) | unhex(s[i + 2]);
                    if esc != b"%25" && v != b' ' && should_escape(v, Mode::Host) {
                        return Err(format!("invalid URL escape {}", quote_bytes(esc)));
                    }
                }
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape(c, mode) {
                    return Err(format!(
                        "invalid character {} in host name",
                        quote_bytes(&s[i..i + 1])
                    ));
                }
                i += 1;
            }
        }
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() {
            out.push((unhex(s[i + 1]) << 4) | unhex(s[i + 2]));
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn escape(s: &[u8], mode: Mode) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        if should_escape(c, mode) {
            out.extend_from_slice(&[b'%', HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]);
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Default)]
struct User {
    name: Vec<u8>,
    password: Option<Vec<u8>>,
}

impl User {
    fn encode(&self) -> Vec<u8> {
        let mut s = escape(&self.name, Mode::UserPassword);
        if let Some(p) = &self.password {
            s.push(b':');
            s.extend(escape(p, Mode::UserPassword));
        }
        s
    }
}

#[derive(Default)]
struct Url {
    scheme: Vec<u8>,
    opaque: Vec<u8>,
    user: Option<User>,
    host: Vec<u8>,
    path: Vec<u8>,
    force_query: bool,
    raw_query: Vec<u8>,
    fragment: Vec<u8>,
}

fn valid_optional_port(port: &[u8]) -> bool {
    match port.split_first() {
        None => true,
        Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    }
}

fn valid_userinfo(s: &[u8]) -> bool {
    // Go checks runes; any non-ASCII byte starts a rune outside the allowed set.
    s.iter()
        .all(|&c| c.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&c))
}

/// netip.ParseAddr's verdict on a bracketed host: `Ok(true)` for an IPv4 address.
fn parse_addr(text: &[u8]) -> Result<bool, String> {
    let s = String::from_utf8_lossy(text);
    let fail = |why: &str| format!("ParseAddr({}): {why}", quote_bytes(text));
    if !s.contains(':') {
        if s.contains('.') {
            return s
                .parse::<std::net::Ipv4Addr>()
                .map(|_| true)
                .map_err(|_| fail("unable to parse IP"));
        }
        return Err(fail("unable to parse IP"));
    }
    let (addr, zone) = match s.split_once('%') {
        Some((a, z)) => (a, Some(z)),
        None => (s.as_ref(), None),
    };
    if zone == Some("") {
        return Err(fail("zone must be a non-empty string"));
    }
    addr.parse::<std::net::Ipv6Addr>()
        .map(|_| false)
        .map_err(|_| fail("unable to parse IP"))
}

/// Go 1.24.8 and 1.25.2 began rejecting malformed bracketed hosts (helm 4.1.4 is built with Go
/// 1.25, helm 3.18.0 with Go 1.24.3, which accepts them).
fn parse_host(host: &[u8], strict: bool) -> Result<Vec<u8>, String> {
    let invalid_port = |p: &[u8]| format!("invalid port {} after host", quote_bytes(p));
    match host.iter().rposition(|&b| b == b'[') {
        Some(i) if i > 0 && strict => return Err("invalid IP-literal".into()),
        Some(i) if i > 0 => {}
        Some(_) => {
            let Some(close) = host.iter().rposition(|&b| b == b']') else {
                return Err("missing ']' in host".into());
            };
            let colon_port = &host[close + 1..];
            if !valid_optional_port(colon_port) {
                return Err(invalid_port(colon_port));
            }
            let inner = &host[1..close];
            let unescaped = match find(inner, b"%25") {
                Some(z) => {
                    let mut h = unescape(&inner[..z], Mode::Host)?;
                    h.extend(unescape(&inner[z..], Mode::Zone)?);
                    h
                }
                None => unescape(inner, Mode::Host)?,
            };
            if strict {
                match parse_addr(&unescaped) {
                    Err(e) => return Err(format!("invalid host: {e}")),
                    Ok(true) => return Err("invalid IP-literal".into()),
                    Ok(false) => {}
                }
            }
            let mut out = vec![b'['];
            out.extend(unescaped);
            out.push(b']');
            out.extend_from_slice(colon_port);
            return Ok(out);
        }
        None => {}
    }
    if let Some(i) = host.iter().rposition(|&b| b == b':') {
        if !valid_optional_port(&host[i..]) {
            return Err(invalid_port(&host[i..]));
        }
    }
    unescape(host, Mode::Host)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn parse_authority(auth: &[u8], strict: bool) -> Result<(Option<User>, Vec<u8>), String> {
    let at = auth.iter().rposition(|&b| b == b'@');
    let host = parse_host(
        match at {
            Some(i) => &auth[i + 1..],
            None => auth,
        },
        strict,
    )?;
    let Some(i) = at else { return Ok((None, host)) };
    let info = &auth[..i];
    if !valid_userinfo(info) {
        return Err("net/url: invalid userinfo".into());
    }
    let user = match info.iter().position(|&b| b == b':') {
        None => User {
            name: unescape(info, Mode::UserPassword)?,
            password: None,
        },
        Some(c) => User {
            name: unescape(&info[..c], Mode::UserPassword)?,
            password: Some(unescape(&info[c + 1..], Mode::UserPassword)?),
        },
    };
    Ok((Some(user), host))
}

fn get_scheme(raw: &[u8]) -> Result<(&[u8], &[u8]), String> {
    for (i, &c) in raw.iter().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme".into()),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok((&[], raw)),
        }
    }
    Ok((&[], raw))
}

fn parse_inner(raw: &[u8], strict: bool) -> Result<Url, String> {
    if raw.iter().any(|&b| b < b' ' || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    let mut u = Url::default();
    if raw == b"*" {
        u.path = b"*".to_vec();
        return Ok(u);
    }
    let (scheme, rest) = get_scheme(raw)?;
    u.scheme = scheme.to_ascii_lowercase();
    let mut rest = rest;
    let q_count = rest.iter().filter(|&&b| b == b'?').count();
    if rest.ends_with(b"?") && q_count == 1 {
        u.force_query = true;
        rest = &rest[..rest.len() - 1];
    } else if let Some(q) = rest.iter().position(|&b| b == b'?') {
        u.raw_query = rest[q + 1..].to_vec();
        rest = &rest[..q];
    }
    if !rest.starts_with(b"/") {
        if !u.scheme.is_empty() {
            u.opaque = rest.to_vec();
            return Ok(u);
        }
        let segment = rest.split(|&b| b == b'/').next().unwrap_or(&[]);
        if segment.contains(&b':') {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    if (!u.scheme.is_empty() || !rest.starts_with(b"///")) && rest.starts_with(b"//") {
        let auth_all = &rest[2..];
        let (auth, path) = match auth_all.iter().position(|&b| b == b'/') {
            Some(i) => (&auth_all[..i], &auth_all[i..]),
            None => (auth_all, &[][..]),
        };
        let (user, host) = parse_authority(auth, strict)?;
        u.user = user;
        u.host = host;
        rest = path;
    }
    u.path = unescape(rest, Mode::Path)?;
    Ok(u)
}

/// Go's `url.Parse`, with its `parse "URL": …` error text. `strict` selects Go 1.25's checks of
/// bracketed hosts.
fn parse(raw: &str, strict: bool) -> Result<Url, String> {
    let bytes = raw.as_bytes();
    let (u, frag) = match bytes.iter().position(|&b| b == b'#') {
        Some(i) => (&bytes[..i], Some(&bytes[i + 1..])),
        None => (bytes, None),
    };
    let wrap = |text: &[u8], e: String| format!("parse {}: {e}", quote_bytes(text));
    let mut url = parse_inner(u, strict).map_err(|e| wrap(u, e))?;
    if let Some(f) = frag {
        if !f.is_empty() {
            url.fragment = unescape(f, Mode::Fragment).map_err(|e| wrap(bytes, e))?;
        }
    }
    Ok(url)
}

impl Url {
    fn hostname(&self) -> Vec<u8> {
        let mut host: &[u8] = &self.host;
        if let Some(c) = host.iter().rposition(|&b| b == b':') {
            if valid_optional_port(&host[c..]) {
                host = &host[..c];
            }
        }
        if host.starts_with(b"[") && host.ends_with(b"]") && host.len() >= 2 {
            host = &host[1..host.len() - 1];
        }
        host.to_vec()
    }

    /// `URL.String()` for a URL built from fields (no raw-path or raw-fragment hints, no
    /// omitted host), as `urlJoin` builds it.
    fn to_text(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        if !self.scheme.is_empty() {
            buf.extend_from_slice(&self.scheme);
            buf.push(b':');
        }
        if !self.opaque.is_empty() {
            buf.extend_from_slice(&self.opaque);
        } else {
            if !self.scheme.is_empty() || !self.host.is_empty() || self.user.is_some() {
                if !self.host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                    buf.extend_from_slice(b"//");
                }
                if let Some(user) = &self.user {
                    buf.extend(user.encode());
                    buf.push(b'@');
                }
                if !self.host.is_empty() {
                    buf.extend(escape(&self.host, Mode::Host));
                }
            }
            let path = if self.path == b"*" {
                b"*".to_vec()
            } else {
                escape(&self.path, Mode::Path)
            };
            if !path.is_empty() && path[0] != b'/' && !self.host.is_empty() {
                buf.push(b'/');
            }
            if buf.is_empty() {
                let segment = path.split(|&b| b == b'/').next().unwrap_or(&[]);
                if segment.contains(&b':') {
                    buf.extend_from_slice(b"./");
                }
            }
            buf.extend(path);
        }
        if self.force_query || !self.raw_query.is_empty() {
            buf.push(b'?');
            buf.extend_from_slice(&self.raw_query);
        }
        if !self.fragment.is_empty() {
            buf.push(b'#');
            buf.extend(escape(&self.fragment, Mode::Fragment));
        }
        buf
    }
}

fn text(b: &[u8]) -> Value {
    Value::from(String::from_utf8_lossy(b).into_owned())
}

fn url_parse(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let raw = args.first().and_then(Value::as_str).unwrap_or("");
    let u = parse(raw, ctx.helm_major() >= 4)
        .map_err(|e| FuncError::msg(format!("unable to parse url: {e}")))?;
    let mut m = BTreeMap::new();
    m.insert("scheme".to_string(), text(&u.scheme));
    m.insert("host".to_string(), text(&u.host));
    m.insert("hostname".to_string(), text(&u.hostname()));
    m.insert("path".to_string(), text(&u.path));
    m.insert("query".to_string(), text(&u.raw_query));
    m.insert("opaque".to_string(), text(&u.opaque));
    m.insert("fragment".to_string(), text(&u.fragment));
    let userinfo = u.user.as_ref().map(User::encode).unwrap_or_default();
    m.insert("userinfo".to_string(), text(&userinfo));
    Ok(Value::map(m))
}

/// Sprig's `dictGetOrEmpty`: the string at `key`, "" when absent, a panic for other types.
fn dict_str(d: &Value, key: &str) -> Result<String, FuncError> {
    let Some(v) = d.as_map().and_then(|m| m.get(key)) else {
        return Ok(String::new());
    };
    match v {
        Value::String(s) => Ok(s.to_string()),
        Value::Nil | Value::Missing => Err(FuncError::msg(
            "runtime error: invalid memory address or nil pointer dereference",
        )),
        other => Err(FuncError::msg(format!(
            "unable to parse {key} key, must be of type string, but {} found",
            other.kind_name()
        ))),
    }
}

fn url_join(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let d = args.first().cloned().unwrap_or(Value::Nil);
    let mut u = Url {
        scheme: dict_str(&d, "scheme")?.into_bytes(),
        host: dict_str(&d, "host")?.into_bytes(),
        path: dict_str(&d, "path")?.into_bytes(),
        raw_query: dict_str(&d, "query")?.into_bytes(),
        opaque: dict_str(&d, "opaque")?.into_bytes(),
        fragment: dict_str(&d, "fragment")?.into_bytes(),
        ..Url::default()
    };
    let userinfo = dict_str(&d, "userinfo")?;
    if !userinfo.is_empty() {
        let temp = parse(&format!("proto://{userinfo}@host"), ctx.helm_major() >= 4)
            .map_err(|e| FuncError::msg(format!("unable to parse userinfo in dict: {e}")))?;
        u.user = temp.user;
    }
    Ok(text(&u.to_text()))
}

#[cfg(test)]
mod tests {
    use super::super::{call, FuncCtx, FuncResult, TestCtx};
    use super::*;

    fn parsed(raw: &str) -> Result<String, String> {
        call(&mut TestCtx::default(), "urlParse", vec![Value::str(raw)])
            .map(|v| v.format_v())
            .map_err(|e| e.to_string())
    }

    fn joined(pairs: &[(&str, &str)]) -> Result<String, String> {
        let m: BTreeMap<String, Value> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::str(v)))
            .collect();
        call(&mut TestCtx::default(), "urlJoin", vec![Value::map(m)])
            .map(|v| v.format_v())
            .map_err(|e| e.to_string())
    }

    // Expected values come from helm 4.1.4.
    #[test]
    fn parse_matches_go() {
        assert_eq!(
            parsed("https://u:p@host:80/p/a?q=1#f").unwrap(),
            "map[fragment:f host:host:80 hostname:host opaque: path:/p/a query:q=1 scheme:https userinfo:u:p]"
        );
        assert_eq!(
            parsed("http://u%20x:p%3a@h/a%2fb%20c?q#f%20g").unwrap(),
            "map[fragment:f g host:h hostname:h opaque: path:/a/b c query:q scheme:http userinfo:u%20x:p%3A]"
        );
        assert_eq!(
            parsed("http://[fe80::1%25en0]:8/").unwrap(),
            "map[fragment: host:[fe80::1%en0]:8 hostname:fe80::1%en0 opaque: path:/ query: scheme:http userinfo:]"
        );
        assert_eq!(
            parsed("mailto:joe@x.com?s=1").unwrap(),
            "map[fragment: host: hostname: opaque:joe@x.com path: query:s=1 scheme:mailto userinfo:]"
        );
        let errors = [
            ("http://[zz]/p", "unable to parse url: parse \"http://[zz]/p\": invalid host: ParseAddr(\"zz\"): unable to parse IP"),
            ("http://[::1/p", "unable to parse url: parse \"http://[::1/p\": missing ']' in host"),
            ("http://h:x/p", "unable to parse url: parse \"http://h:x/p\": invalid port \":x\" after host"),
            ("http://a b/p", "unable to parse url: parse \"http://a b/p\": invalid character \" \" in host name"),
            ("http://h/%zz", "unable to parse url: parse \"http://h/%zz\": invalid URL escape \"%zz\""),
            ("1a:b/c", "unable to parse url: parse \"1a:b/c\": first path segment in URL cannot contain colon"),
            (":x", "unable to parse url: parse \":x\": missing protocol scheme"),
            ("http://u^x@h/", "unable to parse url: parse \"http://u^x@h/\": net/url: invalid userinfo"),
            ("http://[1.2.3.4]/", "unable to parse url: parse \"http://[1.2.3.4]/\": invalid IP-literal"),
            ("http://[::1]x/", "unable to parse url: parse \"http://[::1]x/\": invalid port \"x\" after host"),
        ];
        for (raw, want) in errors {
            assert_eq!(parsed(raw).unwrap_err(), want, "{raw}");
        }
    }

    #[test]
    fn helm3_accepts_what_go_1_24_accepted() {
        struct Helm3(TestCtx);
        impl FuncCtx for Helm3 {
            fn include(&mut self, n: &str, d: Value) -> FuncResult {
                self.0.include(n, d)
            }
            fn tpl(&mut self, t: &str, d: Value) -> FuncResult {
                self.0.tpl(t, d)
            }
            fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
                self.0.now()
            }
            fn rng(&mut self) -> &mut dyn rand::RngCore {
                self.0.rng()
            }
            fn helm_major(&self) -> u32 {
                3
            }
        }
        let mut ctx = Helm3(TestCtx::default());
        // helm 3.18.0's output.
        let got = call(&mut ctx, "urlParse", vec![Value::str("http://[zz]/p")]).unwrap();
        assert_eq!(
            got.format_v(),
            "map[fragment: host:[zz] hostname:zz opaque: path:/p query: scheme:http userinfo:]"
        );
        let got = call(&mut ctx, "urlParse", vec![Value::str("http://a[b/p")]).unwrap();
        assert_eq!(
            got.format_v(),
            "map[fragment: host:a[b hostname:a[b opaque: path:/p query: scheme:http userinfo:]"
        );
    }

    #[test]
    fn parse_never_panics() {
        use rand::{Rng, SeedableRng};
        let pieces = [
            "http", ":", "//", "/", "[", "]", "@", "%", "%2", "%25", "é", "?", "#", "::1", "a",
            "8", " ", "\x7f",
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for _ in 0..3000 {
            let raw: String = (0..rng.gen_range(1..8))
                .map(|_| pieces[rng.gen_range(0..pieces.len())])
                .collect();
            let _ = parsed(&raw);
        }
    }

    #[test]
    fn join_matches_go() {
        assert_eq!(
            joined(&[
                ("scheme", "http"),
                ("host", "h"),
                ("path", "/a b"),
                ("query", "x=1")
            ])
            .unwrap(),
            "http://h/a%20b?x=1"
        );
        assert_eq!(joined(&[("host", "h"), ("path", "p")]).unwrap(), "//h/p");
        assert_eq!(joined(&[("path", "a:b/c")]).unwrap(), "./a:b/c");
        assert_eq!(
            joined(&[
                ("scheme", "mailto"),
                ("opaque", "x@y"),
                ("fragment", "a b!")
            ])
            .unwrap(),
            "mailto:x@y#a%20b!"
        );
        assert_eq!(
            joined(&[("scheme", "http"), ("userinfo", "a")]).unwrap(),
            "http://a@"
        );
        assert_eq!(joined(&[("host", "ü h")]).unwrap(), "//%C3%BC%20h");
        assert_eq!(joined(&[("userinfo", "a/b@c")]).unwrap(), "");
        assert_eq!(
            joined(&[("scheme", "http"), ("userinfo", "a:b c")]).unwrap_err(),
            "unable to parse userinfo in dict: parse \"proto://a:b c@host\": net/url: invalid userinfo"
        );
        let m: BTreeMap<String, Value> = [("host".to_string(), Value::Int(1))].into();
        let err = call(&mut TestCtx::default(), "urlJoin", vec![Value::map(m)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unable to parse host key, must be of type string, but int found"
        );
        assert_eq!(
            joined(&[("scheme", "http"), ("path", "/x/y")]).unwrap(),
            "http:///x/y"
        );
    }
}
