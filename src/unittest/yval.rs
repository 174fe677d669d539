//! YAML values as helm-unittest sees them: go-yaml v3 decoding into `interface{}`.
//!
//! helm-unittest decodes suites, values files, snapshots and rendered manifests with go-yaml
//! v3, which resolves scalars by YAML 1.2's core schema (`yes` stays a string, `0o17` is an
//! int), keeps ints and floats apart, and reads timestamps as `time.Time`. Assertions compare
//! these values with Go's `reflect.DeepEqual`, so an `int` 1 never equals a `float64` 1.

use std::sync::Arc;

use crate::engine::format::{format_float, FloatFmt};
use crate::engine::value::{MapRef, MapType, SliceType, Value};
use crate::engine::yaml::{to_yaml_pretty, v3_key_less, Node, NodeKind, ScalarStyle};

/// A decoded YAML value.
#[derive(Clone, Debug)]
pub enum YV {
    /// `nil`
    Null,
    /// `bool`
    Bool(bool),
    /// `int`
    Int(i64),
    /// `uint64`, for integers above `int`'s range.
    Uint(u64),
    /// `float64`
    Float(f64),
    /// `string`
    Str(String),
    /// `time.Time`, kept as the RFC 3339 text go-yaml writes it back as.
    Time(String),
    /// `[]interface {}`
    Seq(Vec<YV>),
    /// `map[string]interface {}`, entries in go-yaml v3's key order.
    Map(Vec<(String, YV)>),
}

impl YV {
    /// The value under `key`, for a map.
    pub fn get(&self, key: &str) -> Option<&YV> {
        match self {
            YV::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, for a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            YV::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A map from entries, sorted into go-yaml v3's key order.
    pub fn map(entries: Vec<(String, YV)>) -> YV {
        YV::Map(sort_entries(entries))
    }

    /// Go's `reflect.TypeOf(v).String()`, empty for nil.
    pub fn go_type(&self) -> &'static str {
        match self {
            YV::Null => "",
            YV::Bool(_) => "bool",
            YV::Int(_) => "int",
            YV::Uint(_) => "uint64",
            YV::Float(_) => "float64",
            YV::Str(_) => "string",
            YV::Time(_) => "time.Time",
            YV::Seq(_) => "[]interface {}",
            YV::Map(_) => "map[string]interface {}",
        }
    }

    /// The value after go-yaml v3 wrote it and read it back, as helm-unittest's JSONPath
    /// lookups do: a float with an integral value (`3.0`) is written `3` and comes back an int.
    pub fn normalized(&self) -> YV {
        match self {
            YV::Float(f) => match resolve_plain(&float_text(*f)) {
                YV::Int(i) => YV::Int(i),
                YV::Uint(u) => YV::Uint(u),
                _ => YV::Float(*f),
            },
            YV::Seq(items) => YV::Seq(items.iter().map(YV::normalized).collect()),
            YV::Map(m) => YV::Map(m.iter().map(|(k, v)| (k.clone(), v.normalized())).collect()),
            other => other.clone(),
        }
    }

    /// The text of a scalar as go-yaml v3 writes it (a JSONPath filter compares these).
    pub fn scalar_text(&self) -> String {
        match self {
            YV::Null => "null".into(),
            YV::Bool(b) => b.to_string(),
            YV::Int(i) => i.to_string(),
            YV::Uint(u) => u.to_string(),
            YV::Float(f) => float_text(*f),
            YV::Str(s) | YV::Time(s) => s.clone(),
            YV::Seq(_) | YV::Map(_) => String::new(),
        }
    }

    /// Go's `fmt.Sprintf("%v", v)`.
    pub fn fmt_v(&self) -> String {
        match self {
            YV::Null => "<nil>".into(),
            YV::Bool(b) => b.to_string(),
            YV::Int(i) => i.to_string(),
            YV::Uint(u) => u.to_string(),
            YV::Float(f) => format_float(*f, FloatFmt::G),
            YV::Str(s) => s.clone(),
            YV::Time(s) => s.clone(),
            YV::Seq(items) => format!(
                "[{}]",
                items.iter().map(YV::fmt_v).collect::<Vec<_>>().join(" ")
            ),
            YV::Map(m) => {
                let mut keys: Vec<&(String, YV)> = m.iter().collect();
                keys.sort_by(|a, b| a.0.cmp(&b.0));
                format!(
                    "map[{}]",
                    keys.iter()
                        .map(|(k, v)| format!("{k}:{}", v.fmt_v()))
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            }
        }
    }

    /// As the template engine's value, for the YAML writer and for values handed to helm.
    pub fn to_engine(&self) -> Value {
        match self {
            YV::Null => Value::Nil,
            YV::Bool(b) => Value::Bool(*b),
            YV::Int(i) => Value::Int(*i),
            YV::Uint(u) => Value::Float(*u as f64),
            YV::Float(f) => Value::Float(*f),
            YV::Str(s) | YV::Time(s) => Value::String(Arc::from(s.as_str())),
            YV::Seq(items) => Value::List(
                SliceType::Interface,
                Arc::new(items.iter().map(YV::to_engine).collect()),
            ),
            YV::Map(m) => Value::Map(
                MapType::Interface,
                MapRef::new(m.iter().map(|(k, v)| (k.clone(), v.to_engine())).collect()),
            ),
        }
    }
}

/// Go's `reflect.DeepEqual` over decoded values.
pub fn deep_equal(a: &YV, b: &YV) -> bool {
    match (a, b) {
        (YV::Null, YV::Null) => true,
        (YV::Bool(x), YV::Bool(y)) => x == y,
        (YV::Int(x), YV::Int(y)) => x == y,
        (YV::Uint(x), YV::Uint(y)) => x == y,
        // DeepEqual compares floats with ==, so NaN never equals itself.
        (YV::Float(x), YV::Float(y)) => x == y,
        (YV::Str(x), YV::Str(y)) => x == y,
        (YV::Time(x), YV::Time(y)) => x == y,
        (YV::Seq(x), YV::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| deep_equal(p, q))
        }
        (YV::Map(x), YV::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| match b.get(k) {
                    Some(w) => deep_equal(v, w),
                    None => false,
                })
        }
        _ => false,
    }
}

/// helm-unittest's `TrustedMarshalYAML`: leading newlines of every string removed, then
/// go-yaml v3's encoder with indent 2. Ends with a newline.
pub fn to_yaml(v: &YV) -> String {
    let trimmed = trim_leading_newlines(v);
    to_yaml_pretty(&trimmed.to_engine()).unwrap_or_else(|e| format!("{e}\n"))
}

fn trim_leading_newlines(v: &YV) -> YV {
    match v {
        YV::Str(s) => YV::Str(s.trim_start_matches('\n').to_string()),
        YV::Seq(items) => YV::Seq(items.iter().map(trim_leading_newlines).collect()),
        YV::Map(m) => YV::Map(
            m.iter()
                .map(|(k, v)| (k.clone(), trim_leading_newlines(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Sorts map entries into go-yaml v3's order (a stable merge sort, total or not).
pub fn sort_entries(v: Vec<(String, YV)>) -> Vec<(String, YV)> {
    if v.len() <= 1 {
        return v;
    }
    let mut left = v;
    let right = left.split_off(left.len() / 2);
    let left = sort_entries(left);
    let right = sort_entries(right);
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut l = left.into_iter().peekable();
    let mut r = right.into_iter().peekable();
    loop {
        match (l.peek(), r.peek()) {
            (Some(a), Some(b)) => {
                if v3_key_less(&b.0, &a.0) {
                    out.extend(r.next());
                } else {
                    out.extend(l.next());
                }
            }
            (Some(_), None) => out.extend(l.next()),
            (None, Some(_)) => out.extend(r.next()),
            (None, None) => break,
        }
    }
    out
}

fn float_text(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        }
    } else {
        format_float(f, FloatFmt::G)
    }
}

/// An error decoding a node, with the 1-based line it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Decodes a node as go-yaml v3 decodes into `interface{}`.
pub fn from_node(node: &Node) -> Result<YV, DecodeError> {
    from_node_depth(node, 0)
}

fn from_node_depth(node: &Node, depth: usize) -> Result<YV, DecodeError> {
    if depth > 10_000 {
        return Err(DecodeError {
            line: node.line,
            message: "document nested too deeply".into(),
        });
    }
    match &node.kind {
        NodeKind::Scalar { value, style } => Ok(scalar(value, *style, node.tag.as_deref())),
        NodeKind::Sequence(items) => Ok(YV::Seq(
            items
                .iter()
                .map(|n| from_node_depth(n, depth + 1))
                .collect::<Result<_, _>>()?,
        )),
        NodeKind::Mapping(entries) => {
            let mut out: Vec<(String, YV)> = Vec::with_capacity(entries.len());
            let mut lines: Vec<usize> = Vec::with_capacity(entries.len());
            let mut merges: Vec<&Node> = Vec::new();
            for (k, v) in entries {
                let key = match &k.kind {
                    NodeKind::Scalar { value, style } => {
                        if *style == ScalarStyle::Plain && k.tag.is_none() && value == "<<" {
                            merges.push(v);
                            continue;
                        }
                        value.clone()
                    }
                    NodeKind::Alias {
                        target: Some(t), ..
                    } => from_node_depth(t, depth + 1)?.scalar_text(),
                    _ => {
                        return Err(DecodeError {
                            line: k.line,
                            message: "a mapping key must be a scalar".into(),
                        })
                    }
                };
                if let Some(i) = out.iter().position(|(e, _)| *e == key) {
                    return Err(DecodeError {
                        line: k.line,
                        message: format!(
                            "mapping key {key:?} already defined at line {}",
                            lines[i]
                        ),
                    });
                }
                out.push((key, from_node_depth(v, depth + 1)?));
                lines.push(k.line);
            }
            for m in merges {
                merge_into(&mut out, m, depth)?;
            }
            Ok(YV::map(out))
        }
        NodeKind::Alias { target, name } => match target {
            Some(t) => from_node_depth(t, depth + 1),
            None => Err(DecodeError {
                line: node.line,
                message: format!("anchor '{name}' value contains itself"),
            }),
        },
    }
}

/// `<<` merge keys: entries of the merged map(s) that the mapping does not set itself.
fn merge_into(out: &mut Vec<(String, YV)>, m: &Node, depth: usize) -> Result<(), DecodeError> {
    let v = from_node_depth(m, depth + 1)?;
    let maps = match v {
        YV::Map(_) => vec![v],
        YV::Seq(items) => items,
        _ => {
            return Err(DecodeError {
                line: m.line,
                message: "map merge requires map or sequence of maps as the value".into(),
            })
        }
    };
    for mv in maps {
        match mv {
            YV::Map(entries) => {
                for (k, v) in entries {
                    if !out.iter().any(|(e, _)| *e == k) {
                        out.push((k, v));
                    }
                }
            }
            _ => {
                return Err(DecodeError {
                    line: m.line,
                    message: "map merge requires map or sequence of maps as the value".into(),
                })
            }
        }
    }
    Ok(())
}

fn scalar(value: &str, style: ScalarStyle, tag: Option<&str>) -> YV {
    let short = tag.map(|t| t.strip_prefix("tag:yaml.org,2002:").unwrap_or(t));
    if style != ScalarStyle::Plain && short.is_none() {
        return YV::Str(value.to_string());
    }
    match short {
        None => resolve_plain(value),
        Some("str") => YV::Str(value.to_string()),
        Some("binary") => {
            use base64::Engine as _;
            let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
            match base64::engine::general_purpose::STANDARD.decode(compact) {
                Ok(b) => YV::Str(String::from_utf8_lossy(&b).into_owned()),
                Err(_) => YV::Str(value.to_string()),
            }
        }
        Some("float") => match resolve_plain(value) {
            YV::Int(i) => YV::Float(i as f64),
            YV::Uint(u) => YV::Float(u as f64),
            other => other,
        },
        Some("int" | "bool" | "null" | "timestamp") => resolve_plain(value),
        // An unknown tag: go-yaml hands the text back as it is.
        Some(_) => YV::Str(value.to_string()),
    }
}

/// go-yaml v3's resolution of a plain scalar.
pub fn resolve_plain(s: &str) -> YV {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return YV::Null,
        "true" | "True" | "TRUE" => return YV::Bool(true),
        "false" | "False" | "FALSE" => return YV::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return YV::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return YV::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return YV::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let first = s.as_bytes()[0];
    match first {
        b'.' => {
            if let Some(f) = go_parse_float(s) {
                return YV::Float(f);
            }
        }
        b'0'..=b'9' | b'+' | b'-' => {
            if let Some(t) = parse_timestamp(s) {
                return YV::Time(t);
            }
            let plain: String = s.chars().filter(|c| *c != '_').collect();
            if let Some(i) = go_parse_int_base0(&plain) {
                return YV::Int(i);
            }
            if let Some(u) = go_parse_uint_base0(&plain) {
                return YV::Uint(u);
            }
            if yaml_style_float(&plain) {
                if let Some(f) = go_parse_float(&plain) {
                    return YV::Float(f);
                }
            }
            for (prefix, radix, neg) in [
                ("0b", 2, false),
                ("-0b", 2, true),
                ("0o", 8, false),
                ("-0o", 8, true),
            ] {
                if let Some(digits) = plain.strip_prefix(prefix) {
                    if let Ok(v) = i64::from_str_radix(digits, radix) {
                        return YV::Int(if neg { -v } else { v });
                    }
                    if !neg {
                        if let Ok(v) = u64::from_str_radix(digits, radix) {
                            return YV::Uint(v);
                        }
                    }
                }
            }
        }
        _ => {}
    }
    YV::Str(s.to_string())
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseFloat(s, 64)` for the forms YAML produces (no hex floats, no
/// underscores).
fn go_parse_float(s: &str) -> Option<f64> {
    let t = s.strip_prefix('+').unwrap_or(s);
    let lower = t.to_ascii_lowercase();
    let body = lower.strip_prefix('-').unwrap_or(&lower);
    if matches!(body, "inf" | "infinity" | "nan") {
        return match body {
            "nan" => Some(f64::NAN),
            _ if lower.starts_with('-') => Some(f64::NEG_INFINITY),
            _ => Some(f64::INFINITY),
        };
    }
    if !t
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'-' | b'+'))
    {
        return None;
    }
    t.parse::<f64>().ok()
}

/// `strconv.ParseInt(s, 0, 64)`: sign, then `0x`, `0o`, `0b` or a leading `0` (octal).
fn go_parse_int_base0(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let u = go_parse_uint_base0(body)?;
    if neg {
        if u <= i64::MAX as u64 + 1 {
            Some((-(u as i128)) as i64)
        } else {
            None
        }
    } else if u <= i64::MAX as u64 {
        Some(u as i64)
    } else {
        None
    }
}

/// `strconv.ParseUint(s, 0, 64)`.
fn go_parse_uint_base0(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    let (digits, radix) = if let Some(d) = lower.strip_prefix("0x") {
        (d.to_string(), 16)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (d.to_string(), 8)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (d.to_string(), 2)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (lower[1..].to_string(), 8)
    } else {
        (lower.clone(), 10)
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    u64::from_str_radix(&digits, radix).ok()
}

/// go-yaml v3's timestamp forms, returned as Go's `time.RFC3339Nano` text.
fn parse_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i != 4 || i == b.len() || b[i] != b'-' {
        return None;
    }
    let year: i32 = s[..4].parse().ok()?;
    let mut p = 5;
    let num = |p: &mut usize, max: usize| -> Option<u32> {
        let start = *p;
        while *p < b.len() && b[*p].is_ascii_digit() && *p - start < max {
            *p += 1;
        }
        if *p == start {
            return None;
        }
        s[start..*p].parse().ok()
    };
    let month = num(&mut p, 2)?;
    if p >= b.len() || b[p] != b'-' {
        return None;
    }
    p += 1;
    let day = num(&mut p, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if p == b.len() {
        return Some(format!("{date}T00:00:00Z"));
    }
    let sep = b[p];
    if !matches!(sep, b'T' | b't' | b' ') {
        return None;
    }
    p += 1;
    let hour = num(&mut p, 2)?;
    if p >= b.len() || b[p] != b':' {
        return None;
    }
    p += 1;
    let minute = num(&mut p, 2)?;
    if p >= b.len() || b[p] != b':' {
        return None;
    }
    p += 1;
    let second = num(&mut p, 2)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut frac = String::new();
    if p < b.len() && b[p] == b'.' {
        let start = p + 1;
        p += 1;
        while p < b.len() && b[p].is_ascii_digit() {
            p += 1;
        }
        if p == start {
            return None;
        }
        frac = s[start..p.min(start + 9)].trim_end_matches('0').to_string();
    }
    let zone = if sep == b' ' {
        if p != b.len() {
            return None;
        }
        "Z".to_string()
    } else {
        let rest = &s[p..];
        if rest == "Z" {
            "Z".to_string()
        } else {
            let rb = rest.as_bytes();
            if rb.len() != 6
                || !matches!(rb[0], b'+' | b'-')
                || rb[3] != b':'
                || !rb[1..3].iter().all(u8::is_ascii_digit)
                || !rb[4..6].iter().all(u8::is_ascii_digit)
            {
                return None;
            }
            if &rest[1..] == "00:00" {
                "Z".to_string()
            } else {
                rest.to_string()
            }
        }
    };
    let frac = if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    };
    Some(format!(
        "{date}T{hour:02}:{minute:02}:{second:02}{frac}{zone}"
    ))
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 => {
            if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 {
                29
            } else {
                28
            }
        }
        _ => 31,
    }
}

/// Parses every `---`-separated document of `src` into node trees (go-yaml's scanner).
pub fn parse_documents(src: &str) -> Result<Vec<Node>, DecodeError> {
    crate::engine::yaml::parse_nodes(src).map_err(|e| DecodeError {
        line: e.line().unwrap_or(0),
        message: e
            .message()
            .trim_start_matches("yaml: ")
            .trim_start_matches(&format!("line {}: ", e.line().unwrap_or(0)))
            .to_string(),
    })
}

/// Parses the first document of `src` into a value (nil for an empty document).
pub fn parse_value(src: &str) -> Result<YV, DecodeError> {
    let docs = parse_documents(src)?;
    match docs.first() {
        Some(n) => from_node(n),
        None => Ok(YV::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_yaml_v3() {
        assert!(matches!(resolve_plain("yes"), YV::Str(_)));
        assert!(matches!(resolve_plain("0o17"), YV::Int(15)));
        assert!(matches!(resolve_plain("017"), YV::Int(15)));
        assert!(matches!(resolve_plain("1_000"), YV::Int(1000)));
        assert!(matches!(resolve_plain("1.5"), YV::Float(f) if f == 1.5));
        assert!(matches!(resolve_plain("1e3"), YV::Float(f) if f == 1000.0));
        assert!(matches!(resolve_plain("0x1F"), YV::Int(31)));
        assert!(matches!(resolve_plain("~"), YV::Null));
        assert!(matches!(resolve_plain("-"), YV::Str(_)));
        assert!(matches!(resolve_plain("1.2.3"), YV::Str(_)));
        assert!(matches!(resolve_plain("18446744073709551615"), YV::Uint(_)));
    }

    #[test]
    fn timestamps_become_rfc3339() {
        match resolve_plain("2001-12-14") {
            YV::Time(t) => assert_eq!(t, "2001-12-14T00:00:00Z"),
            other => panic!("{other:?}"),
        }
        match resolve_plain("2001-12-14t21:59:43.10-05:00") {
            YV::Time(t) => assert_eq!(t, "2001-12-14T21:59:43.1-05:00"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(resolve_plain("2001-13-14"), YV::Str(_)));
    }

    #[test]
    fn ints_and_floats_differ() {
        assert!(!deep_equal(&YV::Int(1), &YV::Float(1.0)));
        assert!(deep_equal(&YV::Float(3.0).normalized(), &YV::Int(3)));
    }

    #[test]
    fn decodes_documents_with_merges_and_duplicates() {
        let v = parse_value("a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\n").unwrap();
        assert_eq!(
            v.get("c").unwrap().get("b").map(YV::fmt_v),
            Some("1".into())
        );
        let e = parse_value("a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(
            e.message.contains("already defined at line 1"),
            "{}",
            e.message
        );
    }

    #[test]
    fn writes_like_helm_unittest() {
        let v = parse_value("b: [1, x]\na: \"\\nline\\n\"\n").unwrap();
        assert_eq!(to_yaml(&v), "a: |\n  line\nb:\n  - 1\n  - x\n");
    }
}
