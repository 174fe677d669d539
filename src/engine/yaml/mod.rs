//! YAML the way helm reads and writes it: go-yaml v2 (YAML 1.1) resolution for reading, and
//! go-yaml v2's and v3's emitters for `toYaml` and `toYamlPretty`.

use super::value::Value;

/// helm's `toYaml` output before trimming. Placeholder until the go-yaml emitter lands.
pub fn to_yaml(v: &Value) -> Result<String, String> {
    Ok(format!("{}\n", v.format_v()))
}

/// Parses one YAML document. Placeholder until the go-yaml reader lands.
pub fn parse(src: &str) -> Result<Value, String> {
    let _ = src;
    Err("YAML reader not built yet".into())
}
