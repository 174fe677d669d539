//! Go's `encoding/json`, as `toJson` and `fromJson` observe it.
//!
//! Marshalling follows `json.Marshal` over the engine's values: maps with sorted keys, `[]byte`
//! as base64, objects through [`Object::to_data`](super::value::Object::to_data), floats in
//! Go's JSON form. Unmarshalling follows `json.Unmarshal` into `interface{}`: every number is a
//! `float64`, and syntax errors carry Go's exact text.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine as _;

use super::format::{format_float, FloatFmt};
use super::value::{MapType, SliceType, Value};

/// Go's `json.Marshal(v)`, or with `escape_html` false the output of an `Encoder` with
/// `SetEscapeHTML(false)` (without its trailing newline).
pub fn marshal(v: &Value, escape_html: bool) -> Result<String, String> {
    let mut out = String::new();
    let mut path = Vec::new();
    write_value(v, escape_html, &mut out, &mut path)?;
    Ok(out)
}

/// Go's `json.MarshalIndent(v, prefix, indent)`.
pub fn marshal_indent(
    v: &Value,
    prefix: &str,
    indent: &str,
    escape_html: bool,
) -> Result<String, String> {
    let compact = marshal(v, escape_html)?;
    Ok(indent_json(&compact, prefix, indent))
}

/// Re-indents compact, valid JSON as Go's `json.Indent` does: empty objects and arrays stay
/// `{}` and `[]`, and `prefix` starts every line after the first.
fn indent_json(src: &str, prefix: &str, indent: &str) -> String {
    let mut out = String::with_capacity(src.len() * 2);
    let mut depth = 0usize;
    let mut need_indent = false;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(prefix);
        for _ in 0..depth {
            out.push_str(indent);
        }
    };
    for c in src.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        if need_indent && c != ']' && c != '}' {
            need_indent = false;
            depth += 1;
            newline(&mut out, depth);
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                need_indent = true;
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => {
                out.push(c);
                out.push(' ');
            }
            '}' | ']' => {
                if need_indent {
                    need_indent = false;
                } else {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn write_value(
    v: &Value,
    html: bool,
    out: &mut String,
    path: &mut Vec<usize>,
) -> Result<(), String> {
    match v {
        Value::Missing | Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Int32(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Uint8(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Uint32(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(format!(
                    "json: unsupported value: {}",
                    format_float(*f, FloatFmt::G)
                ));
            }
            out.push_str(&format_float(*f, FloatFmt::Json));
        }
        Value::Complex(..) => return Err("json: unsupported type: complex128".into()),
        Value::String(s) => write_string(s, html, out),
        Value::Bytes(b) => {
            out.push('"');
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(b));
            out.push('"');
        }
        Value::List(_, items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_value(item, html, out, path)?;
            }
            out.push(']');
        }
        Value::Map(t, m) => {
            let addr = v.map_addr().unwrap_or(0);
            if path.contains(&addr) {
                return Err(format!(
                    "json: unsupported value: encountered a cycle via {}",
                    t.go_name()
                ));
            }
            path.push(addr);
            out.push('{');
            for (n, (k, item)) in m.entries().iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_string(k, html, out);
                out.push(':');
                write_value(item, html, out, path)?;
            }
            out.push('}');
            path.pop();
        }
        Value::Object(o) => {
            let data = o.to_data();
            write_value(&data, html, out, path)?;
        }
    }
    Ok(())
}

/// Writes `s` as a JSON string literal the way Go's encoder escapes it.
pub fn write_string(s: &str, html: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' if html => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's `json.Unmarshal` into an `interface{}`: objects become `map[string]interface {}`,
/// arrays `[]interface {}`, numbers `float64`.
pub fn unmarshal(text: &str) -> Result<Value, String> {
    let bytes = text.as_bytes();
    // Go validates the whole input before decoding anything, so a syntax error anywhere
    // wins over a conversion error earlier in the text.
    check_valid(bytes)?;
    let mut p = Decoder { b: bytes, i: 0 };
    p.skip_ws();
    p.value()
}

/// The JSON value kind Go names in `cannot unmarshal KIND into Go value of type T`.
pub fn kind_word(v: &Value) -> &'static str {
    match v {
        Value::Map(..) => "object",
        Value::List(..) => "array",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Nil | Value::Missing => "null",
        _ => "number",
    }
}

const MAX_DEPTH: usize = 10000;

/// Go's `quoteChar`: how the scanner names an offending byte.
fn quote_char(c: u8) -> String {
    if c == b'\'' {
        return "'\\''".into();
    }
    if c == b'"' {
        return "'\"'".into();
    }
    let ch = c as char;
    let mut s = String::from("'");
    match ch {
        '\u{7}' => s.push_str("\\a"),
        '\u{8}' => s.push_str("\\b"),
        '\u{c}' => s.push_str("\\f"),
        '\n' => s.push_str("\\n"),
        '\r' => s.push_str("\\r"),
        '\t' => s.push_str("\\t"),
        '\u{b}' => s.push_str("\\v"),
        '\\' => s.push_str("\\\\"),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => {
            let _ = write!(s, "\\x{:02x}", c as u32);
        }
        c if (c as u32) >= 0x80 && (c as u32) <= 0xa0 || c as u32 == 0xad => {
            let _ = write!(s, "\\u{:04x}", c as u32);
        }
        c => s.push(c),
    }
    s.push('\'');
    s
}

fn syntax(c: u8, ctx: &str) -> String {
    format!("invalid character {} {}", quote_char(c), ctx)
}

/// A validating pass with Go's scanner error messages.
fn check_valid(b: &[u8]) -> Result<(), String> {
    let mut v = Validator { b, i: 0, depth: 0 };
    v.ws();
    if v.i >= b.len() {
        return Err("unexpected end of JSON input".into());
    }
    v.value()?;
    v.ws();
    if let Some(&c) = b.get(v.i) {
        return Err(syntax(c, "after top-level value"));
    }
    Ok(())
}

struct Validator<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
}

const EOF: &str = "unexpected end of JSON input";

impl Validator<'_> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn next(&mut self) -> Result<u8, String> {
        let c = *self.b.get(self.i).ok_or_else(|| EOF.to_string())?;
        self.i += 1;
        Ok(c)
    }

    fn value(&mut self) -> Result<(), String> {
        let c = self.next()?;
        match c {
            b'{' => {
                self.push(c)?;
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                loop {
                    let c = self.next()?;
                    if c != b'"' {
                        return Err(syntax(c, "looking for beginning of object key string"));
                    }
                    self.string()?;
                    self.ws();
                    let c = self.next()?;
                    if c != b':' {
                        return Err(syntax(c, "after object key"));
                    }
                    self.ws();
                    self.value()?;
                    self.ws();
                    match self.next()? {
                        b',' => self.ws(),
                        b'}' => break,
                        c => return Err(syntax(c, "after object key:value pair")),
                    }
                }
                self.depth -= 1;
                Ok(())
            }
            b'[' => {
                self.push(c)?;
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                loop {
                    self.value()?;
                    self.ws();
                    match self.next()? {
                        b',' => self.ws(),
                        b']' => break,
                        c => return Err(syntax(c, "after array element")),
                    }
                }
                self.depth -= 1;
                Ok(())
            }
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => self.number(c),
            b't' => self.literal(b"rue", "true"),
            b'f' => self.literal(b"alse", "false"),
            b'n' => self.literal(b"ull", "null"),
            c => Err(syntax(c, "looking for beginning of value")),
        }
    }

    fn push(&mut self, c: u8) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(syntax(c, "exceeded max depth"));
        }
        Ok(())
    }

    fn literal(&mut self, rest: &[u8], name: &str) -> Result<(), String> {
        for &want in rest {
            let c = self.next()?;
            if c != want {
                return Err(syntax(
                    c,
                    &format!("in literal {name} (expecting {})", quote_char(want)),
                ));
            }
        }
        Ok(())
    }

    fn string(&mut self) -> Result<(), String> {
        loop {
            let c = self.next()?;
            match c {
                b'"' => return Ok(()),
                b'\\' => {
                    let e = self.next()?;
                    match e {
                        b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => {}
                        b'u' => {
                            for _ in 0..4 {
                                let h = self.next()?;
                                if !h.is_ascii_hexdigit() {
                                    return Err(syntax(h, "in \\u hexadecimal character escape"));
                                }
                            }
                        }
                        _ => return Err(syntax(e, "in string escape code")),
                    }
                }
                c if c < 0x20 => return Err(syntax(c, "in string literal")),
                _ => {}
            }
        }
    }

    fn number(&mut self, first: u8) -> Result<(), String> {
        let mut c = first;
        if c == b'-' {
            c = self.next()?;
            if !c.is_ascii_digit() {
                return Err(syntax(c, "in numeric literal"));
            }
        }
        if c != b'0' {
            while matches!(self.b.get(self.i), Some(b'0'..=b'9')) {
                self.i += 1;
            }
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            let c = self.next()?;
            if !c.is_ascii_digit() {
                return Err(syntax(c, "after decimal point in numeric literal"));
            }
            while matches!(self.b.get(self.i), Some(b'0'..=b'9')) {
                self.i += 1;
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            let mut c = self.next()?;
            if c == b'+' || c == b'-' {
                c = self.next()?;
            }
            if !c.is_ascii_digit() {
                return Err(syntax(c, "in exponent of numeric literal"));
            }
            while matches!(self.b.get(self.i), Some(b'0'..=b'9')) {
                self.i += 1;
            }
        }
        Ok(())
    }
}

/// Decodes input already known to be valid.
struct Decoder<'a> {
    b: &'a [u8],
    i: usize,
}

impl Decoder<'_> {
    fn skip_ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_ws();
        let c = *self.b.get(self.i).ok_or_else(|| EOF.to_string())?;
        match c {
            b'{' => {
                self.i += 1;
                let mut map = BTreeMap::new();
                loop {
                    self.skip_ws();
                    match self.b.get(self.i) {
                        Some(b'}') => {
                            self.i += 1;
                            break;
                        }
                        Some(b',') => {
                            self.i += 1;
                            continue;
                        }
                        _ => {}
                    }
                    let k = self.string();
                    self.skip_ws();
                    self.i += 1; // ':'
                    let v = self.value()?;
                    map.insert(k, v);
                }
                Ok(Value::Map(
                    MapType::Interface,
                    super::value::MapRef::new(map),
                ))
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    match self.b.get(self.i) {
                        Some(b']') => {
                            self.i += 1;
                            break;
                        }
                        Some(b',') => {
                            self.i += 1;
                            continue;
                        }
                        _ => {}
                    }
                    items.push(self.value()?);
                }
                Ok(Value::List(
                    SliceType::Interface,
                    std::sync::Arc::new(items),
                ))
            }
            b'"' => Ok(Value::str(self.string())),
            b't' => {
                self.i += 4;
                Ok(Value::Bool(true))
            }
            b'f' => {
                self.i += 5;
                Ok(Value::Bool(false))
            }
            b'n' => {
                self.i += 4;
                Ok(Value::Nil)
            }
            _ => {
                let start = self.i;
                while matches!(
                    self.b.get(self.i),
                    Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                ) {
                    self.i += 1;
                }
                let lit = std::str::from_utf8(self.b.get(start..self.i).unwrap_or_default())
                    .unwrap_or_default();
                match lit.parse::<f64>() {
                    Ok(f) if f.is_finite() => Ok(Value::Float(f)),
                    _ => Err(format!(
                        "json: cannot unmarshal number {lit} into Go value of type float64"
                    )),
                }
            }
        }
    }

    /// Reads a string literal starting at the opening quote.
    fn string(&mut self) -> String {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        while let Some(&c) = self.b.get(self.i) {
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.b.get(self.i).copied().unwrap_or(b'\\');
                    self.i += 1;
                    match e {
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut r = self.hex4();
                            if (0xD800..0xDC00).contains(&r)
                                && self.b.get(self.i) == Some(&b'\\')
                                && self.b.get(self.i + 1) == Some(&b'u')
                            {
                                let save = self.i;
                                self.i += 2;
                                let r2 = self.hex4();
                                if (0xDC00..0xE000).contains(&r2) {
                                    r = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
                                } else {
                                    self.i = save;
                                    r = 0xFFFD;
                                }
                            }
                            let ch = char::from_u32(r).unwrap_or('\u{FFFD}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                c => out.push(c),
            }
        }
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    fn hex4(&mut self) -> u32 {
        let mut r = 0u32;
        for _ in 0..4 {
            let d = self
                .b
                .get(self.i)
                .and_then(|c| (*c as char).to_digit(16))
                .unwrap_or(0);
            r = r * 16 + d;
            self.i += 1;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, Value)]) -> Value {
        Value::map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn marshal_basics() {
        let v = m(&[
            ("b", Value::Float(1e21)),
            ("a", Value::str("<&>")),
            (
                "c",
                Value::list(vec![Value::Nil, Value::Bool(true), Value::Float(1.5)]),
            ),
        ]);
        assert_eq!(
            marshal(&v, true).unwrap(),
            r#"{"a":"\u003c\u0026\u003e","b":1e+21,"c":[null,true,1.5]}"#
        );
        assert_eq!(
            marshal(&v, false).unwrap(),
            r#"{"a":"<&>","b":1e+21,"c":[null,true,1.5]}"#
        );
        assert_eq!(
            marshal(&Value::Float(f64::NAN), true).unwrap_err(),
            "json: unsupported value: NaN"
        );
        assert_eq!(marshal(&Value::Float(3.0), true).unwrap(), "3");
        assert_eq!(marshal(&Value::Float(1e-7), true).unwrap(), "1e-7");
    }

    #[test]
    fn indent() {
        let v = m(&[
            ("a", Value::list(vec![])),
            ("b", Value::empty_map()),
            ("c", Value::list(vec![Value::Float(1.0), Value::str("x")])),
        ]);
        assert_eq!(
            marshal_indent(&v, "", "  ", true).unwrap(),
            "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    \"x\"\n  ]\n}"
        );
    }

    #[test]
    fn unmarshal_errors() {
        assert_eq!(unmarshal("").unwrap_err(), "unexpected end of JSON input");
        assert_eq!(
            unmarshal("x").unwrap_err(),
            "invalid character 'x' looking for beginning of value"
        );
        assert_eq!(
            unmarshal("{\"a\":1").unwrap_err(),
            "unexpected end of JSON input"
        );
        assert_eq!(
            unmarshal("{\"a\" 1}").unwrap_err(),
            "invalid character '1' after object key"
        );
        assert_eq!(
            unmarshal("[1 2]").unwrap_err(),
            "invalid character '2' after array element"
        );
        assert_eq!(
            unmarshal("{a:1}").unwrap_err(),
            "invalid character 'a' looking for beginning of object key string"
        );
        assert_eq!(
            unmarshal("1 2").unwrap_err(),
            "invalid character '2' after top-level value"
        );
        assert_eq!(
            unmarshal("tru").unwrap_err(),
            "unexpected end of JSON input"
        );
        assert_eq!(
            unmarshal("trux").unwrap_err(),
            "invalid character 'x' in literal true (expecting 'e')"
        );
    }

    #[test]
    fn unmarshal_values() {
        let v =
            unmarshal(r#" {"a": [1, 2.5, "x\u00e9\ud83d\ude00", null, true], "a": {"b": {}}} "#);
        let v = v.unwrap();
        assert_eq!(v.format_v(), "map[a:map[b:map[]]]");
        let v = unmarshal(r#"[1, 2.5, "x\u00e9\ud83d\ude00", null, true]"#).unwrap();
        assert_eq!(v.format_v(), "[1 2.5 xé😀 <nil> true]");
        assert_eq!(kind_word(&v), "array");
    }
}
