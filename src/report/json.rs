//! The JSON report: the suite's properties, whether it passed, and every case with its status,
//! duration in seconds, detail and failure text.

use super::Suite;

/// The suite as pretty-printed JSON.
pub fn write(suite: &Suite) -> String {
    let properties: serde_json::Map<String, serde_json::Value> = suite
        .properties
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let v = serde_json::json!({
        "name": suite.name,
        "passed": suite.passed(),
        "failed": suite.failed().map(|c| c.name.clone()).collect::<Vec<_>>(),
        "duration_s": (suite.duration().as_secs_f64() * 1000.0).round() / 1000.0,
        "properties": properties,
        "cases": suite.cases,
    });
    serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{}".into()) + "\n"
}
