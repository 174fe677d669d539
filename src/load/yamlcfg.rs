//! A small typed reader over the engine's positioned YAML nodes, for configuration files whose
//! errors must name the file, line, column and field (`scenario.yaml:7:11:
//! scenarios.steady.rate: expected a positive number, found "fast"`).

use std::time::Duration;

use crate::engine::yaml::{resolve_plain, Node, NodeKind, Resolved, ScalarStyle};

/// A configuration error at a position, naming the field by its dotted path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, as given by the user.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// The field, e.g. `scenarios.steady.rate`.
    pub path: String,
    /// What is wrong and, where it helps, what to write instead.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        } else {
            write!(f, "{}: ", self.file)?;
        }
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// A node of a configuration file with the dotted path that leads to it.
#[derive(Clone)]
pub struct Field<'a> {
    file: &'a str,
    node: &'a Node,
    path: String,
}

impl<'a> Field<'a> {
    /// The document root.
    pub fn root(file: &'a str, node: &'a Node) -> Field<'a> {
        Field {
            file,
            node: deref(node),
            path: String::new(),
        }
    }

    /// The node.
    pub fn node(&self) -> &'a Node {
        self.node
    }

    /// The dotted path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// An error at this node.
    pub fn error(&self, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_string(),
            line: self.node.line,
            column: self.node.column,
            path: self.path.clone(),
            message: message.into(),
        }
    }

    fn child(&self, key: &str, node: &'a Node) -> Field<'a> {
        let path = if self.path.is_empty() {
            key.to_string()
        } else if key.starts_with('[') {
            format!("{}{key}", self.path)
        } else {
            format!("{}.{key}", self.path)
        };
        Field {
            file: self.file,
            node: deref(node),
            path,
        }
    }

    /// Whether the node is YAML's null (empty or `~`/`null`).
    pub fn is_null(&self) -> bool {
        matches!(&self.node.kind, NodeKind::Scalar { value, style: ScalarStyle::Plain }
            if matches!(resolve_plain(value), Resolved::Null))
    }

    /// The entries of a mapping, checking every key against `allowed` (with a suggestion for
    /// near misses). A null node is an empty mapping.
    pub fn entries(&self, allowed: &[&str]) -> Result<Vec<(String, Field<'a>)>, ConfigError> {
        if self.is_null() {
            return Ok(Vec::new());
        }
        let NodeKind::Mapping(entries) = &self.node.kind else {
            return Err(self.error(format!("expected a mapping, found {}", describe(self.node))));
        };
        let mut out: Vec<(String, Field<'a>)> = Vec::new();
        for (k, v) in entries {
            let Some(key) = k.as_scalar() else {
                return Err(self.child("?", k).error("keys must be plain strings"));
            };
            let field = self.child(key, v);
            if !allowed.is_empty() && !allowed.contains(&key) {
                let mut at = self.child(key, k);
                at.path = field.path.clone();
                let hint = match suggest(key, allowed) {
                    Some(s) => format!("; did you mean `{s}`?"),
                    None => format!("; known fields: {}", allowed.join(", ")),
                };
                return Err(at.error(format!("unknown field `{key}`{hint}")));
            }
            if out.iter().any(|(k2, _)| k2 == key) {
                let mut at = self.child(key, k);
                at.path = field.path.clone();
                return Err(at.error("field given twice"));
            }
            out.push((key.to_string(), field));
        }
        Ok(out)
    }

    /// The items of a sequence.
    pub fn items(&self) -> Result<Vec<Field<'a>>, ConfigError> {
        let NodeKind::Sequence(items) = &self.node.kind else {
            return Err(self.error(format!("expected a list, found {}", describe(self.node))));
        };
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, n)| self.child(&format!("[{i}]"), n))
            .collect())
    }

    /// A scalar's text (any scalar; numbers keep their source text).
    pub fn string(&self) -> Result<String, ConfigError> {
        match &self.node.kind {
            NodeKind::Scalar { value, .. } => Ok(value.clone()),
            _ => Err(self.error(format!("expected a string, found {}", describe(self.node)))),
        }
    }

    /// A number.
    pub fn number(&self) -> Result<f64, ConfigError> {
        if let NodeKind::Scalar {
            value,
            style: ScalarStyle::Plain,
        } = &self.node.kind
        {
            match resolve_plain(value) {
                Resolved::Int(i) => return Ok(i as f64),
                Resolved::Uint(u) => return Ok(u as f64),
                Resolved::Float(f) if f.is_finite() => return Ok(f),
                _ => {}
            }
        }
        Err(self.error(format!("expected a number, found {}", describe(self.node))))
    }

    /// A number greater than zero.
    pub fn positive(&self) -> Result<f64, ConfigError> {
        let n = self.number()?;
        if n > 0.0 {
            Ok(n)
        } else {
            Err(self.error(format!("expected a number greater than 0, found {n}")))
        }
    }

    /// A whole number, at least `min`.
    pub fn count(&self, min: u64) -> Result<u64, ConfigError> {
        let n = self.number()?;
        if n.fract() != 0.0 || n < min as f64 || n > 1e15 {
            return Err(self.error(format!(
                "expected a whole number of at least {min}, found {n}"
            )));
        }
        Ok(n as u64)
    }

    /// A boolean.
    pub fn boolean(&self) -> Result<bool, ConfigError> {
        if let NodeKind::Scalar {
            value,
            style: ScalarStyle::Plain,
        } = &self.node.kind
        {
            if let Resolved::Bool(b) = resolve_plain(value) {
                return Ok(b);
            }
        }
        Err(self.error(format!(
            "expected true or false, found {}",
            describe(self.node)
        )))
    }

    /// A k6 duration: `500ms`, `30s`, `1m30s`, `2h`, `1.5s`; a bare number is milliseconds.
    pub fn duration(&self) -> Result<Duration, ConfigError> {
        let text = self.string()?;
        parse_duration(&text).ok_or_else(|| {
            self.error(format!(
                "expected a duration like 500ms, 30s, 1m30s or 2h, found {:?}",
                text
            ))
        })
    }
}

fn deref(node: &Node) -> &Node {
    match &node.kind {
        NodeKind::Alias {
            target: Some(t), ..
        } => deref(t),
        _ => node,
    }
}

fn describe(node: &Node) -> String {
    match &node.kind {
        NodeKind::Scalar { value, .. } => format!("{value:?}"),
        NodeKind::Sequence(_) => "a list".into(),
        NodeKind::Mapping(_) => "a mapping".into(),
        NodeKind::Alias { name, .. } => format!("alias *{name}"),
    }
}

/// The allowed name closest to `key`, when it is close enough to be a typo.
fn suggest<'s>(key: &str, allowed: &[&'s str]) -> Option<&'s str> {
    let lower = key.to_ascii_lowercase().replace(['_', '-'], "");
    allowed
        .iter()
        .map(|a| {
            let al = a.to_ascii_lowercase().replace(['_', '-'], "");
            (
                if al == lower {
                    0
                } else {
                    edit_distance(&lower, &al)
                },
                *a,
            )
        })
        .filter(|(d, a)| *d <= 2.max(a.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Parses a k6 duration (`1h2m3.5s`, `250ms`, `10us`); a bare number is milliseconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(ms) = s.parse::<f64>() {
        return (ms >= 0.0 && ms.is_finite()).then(|| Duration::from_secs_f64(ms / 1000.0));
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += n * scale;
    }
    Some(Duration::from_secs_f64(total))
}

/// Formats a duration as k6 does in its summary (`1m30s`, `500ms`, `2.5s`).
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 {
        return format!("{}ms", (secs * 1000.0).round());
    }
    let h = (secs / 3600.0).floor();
    let m = ((secs - h * 3600.0) / 60.0).floor();
    let s = secs - h * 3600.0 - m * 60.0;
    let mut out = String::new();
    if h > 0.0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0.0 || m > 0.0 {
        out.push_str(&format!("{m}m"));
    }
    let s_text = format!("{:.1}", s);
    out.push_str(s_text.trim_end_matches(".0"));
    out.push('s');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("1500"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration("s"), None);
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_duration(Duration::from_millis(2500)), "2.5s");
        assert_eq!(format_duration(Duration::from_millis(300)), "300ms");
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("maxVus", &["maxVUs", "vus"]), Some("maxVUs"));
        assert_eq!(suggest("rat", &["rate", "stages"]), Some("rate"));
        assert_eq!(suggest("zzzzzz", &["rate"]), None);
    }
}
