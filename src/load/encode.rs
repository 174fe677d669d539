//! Request body encodings, each as a PostHog SDK sends it and capture decodes it.

use std::io::Write as _;

use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::lzstring;

/// JavaScript's `encodeURIComponent` set: everything but `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// The form content type capture recognises (it compares the whole header value).
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// How the JSON payload travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Encoding {
    /// The JSON as is, `Content-Type: application/json`.
    #[default]
    Json,
    /// gzip of the JSON with `?compression=gzip-js`, as posthog-js sends it (capture also
    /// detects gzip by its magic bytes).
    Gzip,
    /// Standard base64 of the JSON (capture detects a body that looks like base64).
    Base64,
    /// lz-string's base64 form in the form field `data`, with `?compression=lz64`.
    Lz64,
    /// The JSON, URL-encoded, in the form field `data`.
    Form,
}

impl Encoding {
    /// Every encoding, in documentation order.
    pub const ALL: [Encoding; 5] = [
        Encoding::Json,
        Encoding::Gzip,
        Encoding::Base64,
        Encoding::Lz64,
        Encoding::Form,
    ];

    /// The scenario file's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Json => "json",
            Encoding::Gzip => "gzip",
            Encoding::Base64 => "base64",
            Encoding::Lz64 => "lz64",
            Encoding::Form => "form",
        }
    }

    /// Parses a scenario file's name.
    pub fn parse(s: &str) -> Option<Encoding> {
        Encoding::ALL.into_iter().find(|e| e.name() == s)
    }

    /// The query parameters the encoding adds (without `?`), or "".
    pub fn query(self) -> &'static str {
        match self {
            Encoding::Gzip => "compression=gzip-js",
            Encoding::Lz64 => "compression=lz64",
            _ => "",
        }
    }

    /// The `Content-Type` header value.
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Json => "application/json",
            Encoding::Gzip | Encoding::Base64 => "text/plain",
            Encoding::Lz64 | Encoding::Form => FORM_CONTENT_TYPE,
        }
    }

    /// Encodes a JSON payload it owns (no copy for `json`).
    pub fn encode_owned(self, json: Vec<u8>) -> Vec<u8> {
        match self {
            Encoding::Json => json,
            other => other.encode(&json),
        }
    }

    /// Encodes a JSON payload into a request body.
    pub fn encode(self, json: &[u8]) -> Vec<u8> {
        match self {
            Encoding::Json => json.to_vec(),
            Encoding::Gzip => {
                // Level 1: the load generator's CPU matters more than the bytes on loopback.
                let mut e = flate2::write::GzEncoder::new(
                    Vec::with_capacity(json.len() / 2 + 32),
                    flate2::Compression::fast(),
                );
                // Writing into a Vec cannot fail.
                let _ = e.write_all(json);
                e.finish().unwrap_or_default()
            }
            Encoding::Base64 => base64::engine::general_purpose::STANDARD
                .encode(json)
                .into_bytes(),
            Encoding::Lz64 => {
                let text = String::from_utf8_lossy(json);
                let lz = lzstring::compress_to_base64(&text);
                form_data(&lz)
            }
            Encoding::Form => form_data(&String::from_utf8_lossy(json)),
        }
    }
}

fn form_data(value: &str) -> Vec<u8> {
    let mut out = String::with_capacity(value.len() + value.len() / 4 + 5);
    out.push_str("data=");
    out.extend(utf8_percent_encode(value, URI_COMPONENT));
    out.into_bytes()
}
