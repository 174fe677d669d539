//! The chart pipeline's only door to YAML. Every YAML read and write of `src/chart/` goes
//! through [`parse_yaml`] and [`to_yaml`], so that switching to the engine's go-yaml-v2
//! compatible reader and emitter (`crate::engine::yaml`) is a change to these two bodies.
//!
//! TEMPORARY: the bodies below are a serde_yaml shim (YAML 1.2 resolution, not go-yaml v2's
//! YAML 1.1). The lead replaces them with `crate::engine::yaml::parse` and
//! `crate::engine::yaml::to_yaml` at merge.

use std::collections::BTreeMap;

use crate::engine::value::{MapType, SliceType, Value};

/// Parses one YAML document into a [`Value`] as helm sees it after its YAML → JSON → Go trip:
/// maps are `map[string]interface {}`, lists `[]interface {}`, every number `float64`, null a
/// nil interface. An empty document is `Value::Nil`. Errors carry go-yaml's text
/// (`yaml: line N: …`).
pub fn parse_yaml(src: &str) -> Result<Value, String> {
    let v: serde_yaml::Value = serde_yaml::from_str(src).map_err(|e| format!("yaml: {e}"))?;
    Ok(convert(v))
}

fn key_string(k: serde_yaml::Value) -> String {
    match k {
        serde_yaml::Value::String(s) => s,
        serde_yaml::Value::Bool(b) => b.to_string(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Null => "null".into(),
        other => serde_yaml::to_string(&other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

fn convert(v: serde_yaml::Value) -> Value {
    match v {
        serde_yaml::Value::Null => Value::Nil,
        serde_yaml::Value::Bool(b) => Value::Bool(b),
        serde_yaml::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        serde_yaml::Value::String(s) => Value::from(s),
        serde_yaml::Value::Sequence(items) => Value::List(
            SliceType::Interface,
            std::sync::Arc::new(items.into_iter().map(convert).collect()),
        ),
        serde_yaml::Value::Mapping(m) => {
            let mut out = BTreeMap::new();
            for (k, v) in m {
                out.insert(key_string(k), convert(v));
            }
            Value::Map(MapType::Interface, crate::engine::value::MapRef::new(out))
        }
        serde_yaml::Value::Tagged(t) => convert(t.value),
    }
}

fn to_serde(v: &Value) -> serde_yaml::Value {
    match v {
        Value::Missing | Value::Nil => serde_yaml::Value::Null,
        Value::Bool(b) => serde_yaml::Value::Bool(*b),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
            serde_yaml::Value::Number((*f as i64).into())
        }
        Value::Float(f) => serde_yaml::Value::Number((*f).into()),
        Value::Map(_, m) => {
            let mut out = serde_yaml::Mapping::new();
            for (k, v) in m.entries() {
                out.insert(serde_yaml::Value::String(k), to_serde(&v));
            }
            serde_yaml::Value::Mapping(out)
        }
        Value::List(_, items) => serde_yaml::Value::Sequence(items.iter().map(to_serde).collect()),
        other => match other.as_int() {
            Some(i) => serde_yaml::Value::Number(i.into()),
            None => serde_yaml::Value::String(other.format_v()),
        },
    }
}

/// helm's `toYaml`: the value as YAML with the final newline trimmed.
pub fn to_yaml(v: &Value) -> Result<String, String> {
    let s = serde_yaml::to_string(&to_serde(v)).map_err(|e| e.to_string())?;
    Ok(s.strip_suffix('\n').unwrap_or(&s).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shim_types() {
        let v = parse_yaml("a: 1\nb: [x, null]\nc: {d: true}\n").unwrap();
        let m = v.as_map().unwrap();
        assert!(matches!(m.get("a"), Some(Value::Float(f)) if f == 1.0));
        assert_eq!(m.get("b").unwrap().format_v(), "[x <nil>]");
        assert_eq!(m.get("c").unwrap().type_name(), "map[string]interface {}");
        assert!(matches!(parse_yaml("").unwrap(), Value::Nil));
        assert!(parse_yaml("a: b: c").is_err());
    }
}
