//! A decoder for capture's request bodies, written to the rules PostHog's Rust capture service
//! follows for `/e`, `/i/v0/e`, `/batch`, `/capture`, `/track` and `/engage`:
//!
//! 1. The payload is the `data` query parameter when present, else the body (empty: 400).
//! 2. A payload that does not look like a form and looks like base64 (only base64 characters
//!    in its first 128 bytes, length a multiple of 4) is base64-decoded, kept as is on failure.
//! 3. With `Content-Type: application/x-www-form-urlencoded` (the whole value), the payload
//!    must be a form with a `data` field (and an optional `compression`); base64 in `data`
//!    gets back the `+` that URL decoding turned into spaces.
//! 4. The compression hint comes from the query's `compression`, else the form's, else
//!    `Content-Encoding`: `gzip`/`gzip-js`, `lz64`/`lz-string`, `base64`/`b64`.
//! 5. gzip when hinted or when the payload starts with gzip's magic bytes; lz-string's base64
//!    form when hinted; otherwise UTF-8 text.
//! 6. On the legacy routes (`/e`, `/capture`, `/engage`, `/track`), text that still looks like
//!    base64 is decoded once more.
//! 7. The JSON is an array of events, a batch `{"api_key"|"token", "batch": [...]}`, or one
//!    event. A token is required (batch token, else `api_key`, `token` or `$token` of the
//!    events, or `properties.token`), and every event needs a `distinct_id`.
//!
//! The load generator's encodings are tested against this decoder, and the in-process fake
//! capture server answers with it.

use std::io::Read as _;

use base64::Engine as _;
use serde_json::Value;

use super::lzstring;

/// How many leading bytes the base64 and form sniffing looks at (capture's constant).
const SNIFF_LEN: usize = 128;
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// Why capture would refuse a request, with the HTTP status it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// 400 for undecodable payloads, 401 without a token, 413 for too large.
    pub status: u16,
    /// What was wrong.
    pub message: String,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl std::error::Error for DecodeError {}

fn bad(message: impl Into<String>) -> DecodeError {
    DecodeError {
        status: 400,
        message: message.into(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Compression {
    None,
    Gzip,
    Lz,
    Base64,
}

fn compression_named(s: &str) -> Compression {
    match s.to_ascii_lowercase().as_str() {
        "gzip" | "gzip-js" => Compression::Gzip,
        "lz64" | "lz-string" => Compression::Lz,
        "base64" | "b64" => Compression::Base64,
        _ => Compression::None,
    }
}

/// What capture needs from a request besides its body.
#[derive(Debug, Clone, Default)]
pub struct RequestParts<'a> {
    /// The path, e.g. `/batch`.
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// The `Content-Encoding` header.
    pub content_encoding: Option<&'a str>,
}

/// A decoded request: its events and the token that authorised them.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The events, each a JSON object.
    pub events: Vec<Value>,
    /// The project token.
    pub token: String,
}

fn form_fields(s: &[u8]) -> Vec<(String, String)> {
    s.split(|b| *b == b'&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = match kv.iter().position(|b| *b == b'=') {
                Some(i) => (&kv[..i], &kv[i + 1..]),
                None => (kv, &b""[..]),
            };
            (url_decode(k), url_decode(v))
        })
        .collect()
}

fn url_decode(s: &[u8]) -> String {
    let plus: Vec<u8> = s
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    percent_encoding::percent_decode(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

fn likely_form(payload: &[u8]) -> bool {
    let prefix = &payload[..payload.len().min(SNIFF_LEN)];
    [&b"data="[..], b"_=", b"ip=", b"compression="]
        .iter()
        .any(|t| {
            prefix.starts_with(t)
                || prefix
                    .windows(t.len() + 1)
                    .any(|w| w[0] == b'&' && &w[1..] == *t)
        })
}

fn likely_base64(payload: &[u8], allow_spaces: bool) -> bool {
    !payload.is_empty()
        && payload.len() % 4 == 0
        && payload.iter().take(SNIFF_LEN).all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'+' | b'/' | b'=')
                || (allow_spaces && *b == b' ')
        })
}

fn is_legacy(path: &str) -> bool {
    path == "/e"
        || path.starts_with("/e/")
        || path.starts_with("/capture")
        || path.starts_with("/engage")
        || path.starts_with("/track")
}

/// Decodes a request as capture does; `limit` caps the decompressed size in bytes.
pub fn decode(parts: &RequestParts<'_>, body: &[u8], limit: usize) -> Result<Decoded, DecodeError> {
    let query = form_fields(parts.query.as_bytes());
    let query_get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let raw: Vec<u8> = match query_get("data").filter(|d| !d.is_empty()) {
        Some(d) => d.as_bytes().to_vec(),
        None if !body.is_empty() => body.to_vec(),
        None => return Err(bad("empty payload")),
    };
    let payload = if !likely_form(&raw) && likely_base64(&raw, false) {
        base64::engine::general_purpose::STANDARD
            .decode(&raw)
            .unwrap_or(raw)
    } else {
        raw
    };
    let mut form_data = None;
    let mut form_compression = None;
    if parts.content_type == Some(super::encode::FORM_CONTENT_TYPE) {
        if !likely_form(&payload) {
            return Err(bad("expected form data in POST request payload"));
        }
        for (k, v) in form_fields(&payload) {
            match k.as_str() {
                "data" => form_data = Some(v),
                "compression" => form_compression = Some(v),
                _ => {}
            }
        }
        if let Some(d) = &form_data {
            if likely_base64(d.as_bytes(), true) {
                form_data = Some(d.replace(' ', "+"));
            }
        }
    }
    let hinted = |c: Option<&str>| c.map(compression_named).filter(|c| *c != Compression::None);
    let compression = hinted(query_get("compression"))
        .or_else(|| hinted(form_compression.as_deref()))
        .or_else(|| hinted(parts.content_encoding))
        .unwrap_or(Compression::None);
    let bytes: Vec<u8> = match form_data {
        Some(d) => d.into_bytes(),
        None => payload,
    };
    let mut text = if compression == Compression::Gzip || bytes.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|_| bad("invalid GZIP data"))?;
        if out.len() > limit {
            return Err(too_big());
        }
        String::from_utf8(out).map_err(|_| bad("invalid gzip data"))?
    } else if compression == Compression::Lz {
        let s = std::str::from_utf8(&bytes).map_err(|_| bad("lz64 payload is not UTF-8"))?;
        match lzstring::decompress_from_base64(s, limit) {
            Ok(t) => t,
            Err(lzstring::Lz64Error::TooLarge) => return Err(too_big()),
            Err(e) => return Err(bad(format!("decompress_lz64: {e}"))),
        }
    } else {
        let s = String::from_utf8(bytes).map_err(|_| bad("invalid UTF8 in request payload"))?;
        if s.len() > limit {
            return Err(too_big());
        }
        s
    };
    if is_legacy(parts.path) && likely_base64(text.as_bytes(), false) {
        if let Ok(d) = base64::engine::general_purpose::STANDARD.decode(text.as_bytes()) {
            if let Ok(s) = String::from_utf8(d) {
                text = s;
            }
        }
    }
    let json: Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("failed to decode JSON: {e}")))?;
    let (events, batch_token) = match json {
        Value::Array(events) => (events, None),
        Value::Object(mut o) if o.contains_key("batch") => {
            let token = o
                .get("token")
                .or_else(|| o.get("api_key"))
                .and_then(Value::as_str)
                .map(str::to_string);
            match o.remove("batch") {
                Some(Value::Array(events)) => (events, token),
                _ => return Err(bad("batch is not an array")),
            }
        }
        one @ Value::Object(_) => (vec![one], None),
        _ => return Err(bad("payload is not an event, an array or a batch")),
    };
    for e in &events {
        if !e.is_object() {
            return Err(bad("an event is not an object"));
        }
        match e.get("distinct_id").or_else(|| e.get("$distinct_id")) {
            Some(Value::Null) | None if e.pointer("/properties/distinct_id").is_none() => {
                return Err(bad("missing distinct_id"));
            }
            Some(Value::String(s)) if s.is_empty() => return Err(bad("empty distinct_id")),
            _ => {}
        }
    }
    let token = match batch_token {
        Some(t) => t,
        None => {
            let mut tokens: Vec<&str> = events.iter().filter_map(event_token).collect();
            tokens.sort_unstable();
            tokens.dedup();
            match tokens.as_slice() {
                [t] => t.to_string(),
                [] => {
                    return Err(DecodeError {
                        status: 401,
                        message: "no token".into(),
                    })
                }
                _ => return Err(bad("multiple tokens in one request")),
            }
        }
    };
    if token.is_empty() {
        return Err(DecodeError {
            status: 401,
            message: "empty token".into(),
        });
    }
    Ok(Decoded { events, token })
}

fn event_token(e: &Value) -> Option<&str> {
    ["token", "$token", "api_key"]
        .iter()
        .find_map(|k| e.get(*k).and_then(Value::as_str))
        .or_else(|| e.pointer("/properties/token").and_then(Value::as_str))
}

fn too_big() -> DecodeError {
    DecodeError {
        status: 413,
        message: "payload too large".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::encode::Encoding;
    use super::*;

    fn parts<'a>(path: &'a str, e: Encoding) -> RequestParts<'a> {
        RequestParts {
            path,
            query: e.query(),
            content_type: Some(e.content_type()),
            content_encoding: None,
        }
    }

    #[test]
    fn every_encoding_round_trips_on_every_route() {
        let batch = r#"{"api_key":"phc_t","batch":[{"event":"a","distinct_id":"u1","properties":{"charttest_seq":1,"text":"é + / = & ?"}},{"event":"b","distinct_id":"u2","properties":{}}]}"#;
        let array =
            r#"[{"event":"a","distinct_id":"u1","api_key":"phc_t","properties":{"s":"x y"}}]"#;
        for e in Encoding::ALL {
            for (path, body) in [
                ("/batch", batch),
                ("/e", array),
                ("/i/v0/e", array),
                ("/capture", array),
            ] {
                let d = decode(&parts(path, e), &e.encode(body.as_bytes()), 1 << 20)
                    .unwrap_or_else(|err| panic!("{} on {path}: {err}", e.name()));
                let expected: Value = serde_json::from_str(body).unwrap();
                let expected_events = expected.get("batch").cloned().unwrap_or(expected.clone());
                assert_eq!(
                    Value::Array(d.events),
                    expected_events,
                    "{} {path}",
                    e.name()
                );
                assert_eq!(d.token, "phc_t");
            }
        }
    }

    #[test]
    fn refusals_match_capture() {
        let p = RequestParts {
            path: "/e",
            ..Default::default()
        };
        assert_eq!(decode(&p, b"", 100).unwrap_err().status, 400);
        assert_eq!(decode(&p, b"{not json", 100).unwrap_err().status, 400);
        assert_eq!(
            decode(&p, br#"{"event":"a","distinct_id":"x"}"#, 100)
                .unwrap_err()
                .status,
            401
        );
        assert_eq!(
            decode(&p, br#"{"event":"a","api_key":"t"}"#, 100)
                .unwrap_err()
                .status,
            400
        );
        let big = format!(
            r#"{{"event":"a","distinct_id":"x","api_key":"t","p":"{}"}}"#,
            "x".repeat(200)
        );
        assert_eq!(decode(&p, big.as_bytes(), 100).unwrap_err().status, 413);
        // Form content type without a form.
        let f = RequestParts {
            path: "/e",
            content_type: Some(super::super::encode::FORM_CONTENT_TYPE),
            ..Default::default()
        };
        assert_eq!(decode(&f, br#"{"a":1}"#, 100).unwrap_err().status, 400);
        // Declared lz64 that is not.
        let lz = RequestParts {
            path: "/e",
            query: "compression=lz64",
            ..Default::default()
        };
        assert_eq!(decode(&lz, b"!!!!", 100).unwrap_err().status, 400);
    }

    #[test]
    fn gzip_detected_by_magic_without_hint() {
        let body = Encoding::Gzip.encode(br#"{"event":"a","distinct_id":"x","token":"t"}"#);
        let p = RequestParts {
            path: "/i/v0/e",
            ..Default::default()
        };
        assert_eq!(decode(&p, &body, 1000).unwrap().events.len(), 1);
    }

    #[test]
    fn data_query_parameter_and_legacy_base64_form() {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD
            .encode(r#"{"event":"a","distinct_id":"x","token":"t"}"#);
        // GET /e?data=<base64>
        let q = format!("data={}", b64.replace('+', "%2B"));
        let p = RequestParts {
            path: "/e",
            query: &q,
            ..Default::default()
        };
        assert_eq!(decode(&p, b"", 1000).unwrap().token, "t");
        // A form whose data is base64 JSON decodes on the legacy route only.
        let body = format!("data={}", b64);
        let form = |path| RequestParts {
            path,
            content_type: Some(super::super::encode::FORM_CONTENT_TYPE),
            ..Default::default()
        };
        assert!(decode(&form("/e"), body.as_bytes(), 1000).is_ok());
        assert_eq!(
            decode(&form("/batch"), body.as_bytes(), 1000)
                .unwrap_err()
                .status,
            400
        );
    }
}
