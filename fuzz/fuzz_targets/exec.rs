//! Parses and executes arbitrary templates over a fixed, varied value tree with tight budgets:
//! every input must finish with output or an error, never a panic, hang or stack overflow.
#![no_main]

use std::collections::BTreeMap;

use charttest::engine::{ExecOptions, Limits, TemplateSet, Value};
use libfuzzer_sys::fuzz_target;

fn data() -> Value {
    let list = Value::list(vec![
        Value::Float(1.0),
        Value::str("two"),
        Value::Nil,
        Value::Bool(true),
        Value::list(vec![Value::Float(3.5)]),
    ]);
    let inner = Value::map(BTreeMap::from([
        ("a".to_string(), Value::Float(1.0)),
        ("s".to_string(), Value::str("x y")),
        ("l".to_string(), list.clone()),
    ]));
    let values = Value::map(BTreeMap::from([
        ("num".to_string(), Value::Float(3.0)),
        ("big".to_string(), Value::Float(1234567.0)),
        ("str".to_string(), Value::str("hello")),
        ("empty".to_string(), Value::str("")),
        ("nul".to_string(), Value::Nil),
        ("list".to_string(), list),
        ("map".to_string(), inner),
        ("yes".to_string(), Value::Bool(true)),
    ]));
    Value::map(BTreeMap::from([("Values".to_string(), values)]))
}

/// Functions that are slow by design (key generation, bcrypt, scrypt). They would cut the
/// fuzzer's speed a hundredfold; their unit tests cover them.
const SLOW: &[&str] = &["bcrypt", "htpasswd", "gen", "derivePassword", "buildCustomCert"];

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    if SLOW.iter().any(|s| text.contains(s)) {
        return;
    }
    let mut set = TemplateSet::new();
    if set.add("t", &text).is_err() {
        return;
    }
    let opts = ExecOptions {
        seed: Some(1),
        now: Some(chrono::DateTime::parse_from_rfc3339("2024-01-02T03:04:05Z").expect("time")),
        limits: Limits {
            max_steps: 2_000,
            max_output: 64 << 10,
            max_depth: 100,
        },
        ..ExecOptions::default()
    };
    if let Err(e) = set.execute("t", data(), &opts) {
        let _ = e.helm_message();
    }
});
