//! YAML the way helm reads and writes it: go-yaml v2 (YAML 1.1) resolution for reading, and
//! go-yaml v2's and v3's emitters for `toYaml` and `toYamlPretty`.
//!
//! Reading goes the way of sigs.k8s.io/yaml: go-yaml v2 decodes into `interface{}`, the result
//! is converted to JSON and decoded again by `encoding/json`. So maps are
//! `map[string]interface {}`, sequences `[]interface {}`, every number is a `float64`, and
//! non-string keys become strings.

mod emit;
mod fast;
mod read;
mod resolve;

use std::fmt;

pub use emit::{to_yaml, to_yaml_pretty, v3_key_less};
pub use read::{Node, NodeKind, ScalarStyle};
pub use resolve::{resolve_plain, Resolved};

use super::value::Value;

/// A YAML reading error, with go-yaml's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    message: String,
    line: Option<usize>,
}

impl YamlError {
    /// A go-yaml error: `problem` without the `yaml: ` and `line N: ` prefixes.
    pub(crate) fn yaml(problem: String, line: Option<usize>) -> Self {
        let message = match line {
            Some(l) => format!("yaml: line {l}: {problem}"),
            None => format!("yaml: {problem}"),
        };
        YamlError { message, line }
    }

    /// An error from sigs.k8s.io/yaml's conversion to JSON (`json: unsupported value: NaN`).
    pub(crate) fn convert(message: String) -> Self {
        YamlError {
            message,
            line: None,
        }
    }

    /// go-yaml's text, e.g. `yaml: line 2: mapping values are not allowed in this context`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The 1-based line go-yaml names in the message, when it names one.
    pub fn line(&self) -> Option<usize> {
        self.line
    }
}

impl fmt::Display for YamlError {
    /// The text helm shows: sigs.k8s.io/yaml's prefix before go-yaml's message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error converting YAML to JSON: {}", self.message)
    }
}

impl std::error::Error for YamlError {}

/// Parses the first document of `src` as sigs.k8s.io/yaml's `Unmarshal` into `interface{}`
/// does. An empty document is [`Value::Nil`]; later documents are ignored, unread.
pub fn parse(src: &str) -> Result<Value, YamlError> {
    if let Some(v) = fast::parse(src, false, fast::Keep::All) {
        return Ok(v);
    }
    parse_full(src)
}

/// [`parse`] by the full reader alone (libyaml-safer's events, a node tree, go-yaml's
/// decoding): the reference the fast reader is tested against.
pub fn parse_full(src: &str) -> Result<Value, YamlError> {
    let node = read::parse_first_node(src)?;
    read::node_to_value(node.as_ref())
}

/// What helm's `SortManifests` reads of a document (its `util.SimpleHead`): [`parse`]'s
/// result with, in a top-level mapping, only `kind`, `apiVersion` and `metadata`, and of
/// `metadata` only `name` and `annotations`; a top-level sequence may come back empty. The
/// whole document is still read, so it fails exactly when [`parse`] fails.
pub fn parse_head(src: &str) -> Result<Value, YamlError> {
    const META: fast::Keep =
        fast::Keep::Only(&[("name", fast::Keep::All), ("annotations", fast::Keep::All)]);
    const HEAD: fast::Keep = fast::Keep::Only(&[
        ("kind", fast::Keep::All),
        ("apiVersion", fast::Keep::All),
        ("metadata", META),
    ]);
    if let Some(v) = fast::parse(src, false, HEAD) {
        return Ok(v);
    }
    parse_full(src)
}

/// [`parse`] with `encoding/json`'s `UseNumber`: numbers become `json.Number`, as helm 3's
/// chart loader reads `values.yaml`.
pub fn parse_use_number(src: &str) -> Result<Value, YamlError> {
    if let Some(v) = fast::parse(src, true, fast::Keep::All) {
        return Ok(v);
    }
    let node = read::parse_first_node(src)?;
    read::node_to_value_with(node.as_ref(), true)
}

/// Parses every `---`-separated document of `src`. Empty documents are [`Value::Nil`].
pub fn parse_all(src: &str) -> Result<Vec<Value>, YamlError> {
    read::parse_nodes(src)?
        .iter()
        .map(|n| read::node_to_value(Some(n)))
        .collect()
}

/// Every document of `src` as a node tree with 1-based positions, for lint checks. An empty
/// document is an empty plain scalar (YAML's null).
pub fn parse_nodes(src: &str) -> Result<Vec<Node>, YamlError> {
    read::parse_nodes(src)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fast_tests;

/// A value's exact shape as text: types, float bits, `json.Number` texts, map and slice kinds.
/// Two readers agree on a document when their shapes are equal; the differential tests and the
/// `yaml` fuzz target compare readers with it.
pub fn shape(v: &Value) -> String {
    let mut s = String::new();
    shape_into(v, &mut s);
    s
}

fn shape_into(v: &Value, out: &mut String) {
    match v {
        Value::Nil => out.push('~'),
        Value::Bool(b) => out.push_str(if *b { "T" } else { "F" }),
        Value::Float(f) => out.push_str(&format!("f{:x}", f.to_bits())),
        Value::String(s) => out.push_str(&format!("{s:?}")),
        Value::List(t, items) => {
            out.push_str(&format!("{t:?}["));
            for i in items.iter() {
                shape_into(i, out);
                out.push(',');
            }
            out.push(']');
        }
        Value::Map(t, m) => {
            out.push_str(&format!("{t:?}{{"));
            for (k, v) in m.entries() {
                out.push_str(&format!("{k:?}:"));
                shape_into(&v, out);
                out.push(',');
            }
            out.push('}');
        }
        other => match crate::engine::jsonnum::JsonNumber::text_of(other) {
            Some(t) => out.push_str(&format!("n{t}")),
            None => out.push_str(&format!("?{other:?}")),
        },
    }
}
