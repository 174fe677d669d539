//! The chart pipeline's only door to YAML. Every YAML read and write of `src/chart/` goes
//! through [`parse_yaml`] and [`to_yaml`], so that switching to the engine's go-yaml-v2
//! compatible reader and emitter (`crate::engine::yaml`) is a change to these two bodies.
//!

use crate::engine::value::Value;

/// Parses one YAML document into a [`Value`] as helm sees it after its YAML → JSON → Go trip:
/// maps are `map[string]interface {}`, lists `[]interface {}`, every number `float64`, null a
/// nil interface. An empty document is `Value::Nil`. Errors carry go-yaml's bare text
/// (`yaml: line N: …`); callers add helm's prefixes.
pub fn parse_yaml(src: &str) -> Result<Value, String> {
    crate::engine::yaml::parse(src).map_err(|e| e.message().to_string())
}

/// go-yaml v2 output with its trailing newline trimmed, as `.Files.AsConfig` and
/// `.Files.AsSecrets` return it.
pub fn to_yaml(v: &Value) -> Result<String, String> {
    crate::engine::yaml::to_yaml(v).map(|s| s.strip_suffix('\n').map(str::to_string).unwrap_or(s))
}
