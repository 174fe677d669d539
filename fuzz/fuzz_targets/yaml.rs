//! The fast YAML reader against the full one: for any input, `yaml::parse` (fast reader, full
//! reader when it gives up) must give exactly what `yaml::parse_full` gives, value or error,
//! and `yaml::parse_head` must fail exactly when they do and agree on the head fields.
#![no_main]

use charttest::engine::yaml;
use charttest::engine::Value;
use libfuzzer_sys::fuzz_target;

fn show(r: &Result<Value, yaml::YamlError>) -> String {
    match r {
        Ok(v) => yaml::shape(v),
        Err(e) => format!("error {e}"),
    }
}

fn field(m: &Value, key: &str) -> String {
    match m {
        Value::Map(_, m) => show(&Ok(m.get(key).unwrap_or(Value::Missing))),
        _ => String::new(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let full = yaml::parse_full(src);
    assert_eq!(show(&yaml::parse(src)), show(&full), "parse differs for {src:?}");
    let head = yaml::parse_head(src);
    match (&head, &full) {
        (Ok(h @ Value::Map(..)), Ok(f @ Value::Map(..))) => {
            for key in ["kind", "apiVersion"] {
                assert_eq!(field(h, key), field(f, key), "{key} differs for {src:?}");
            }
            let (hm, fm) = (
                h.as_map().and_then(|m| m.get("metadata")).unwrap_or(Value::Missing),
                f.as_map().and_then(|m| m.get("metadata")).unwrap_or(Value::Missing),
            );
            if matches!(fm, Value::Map(..)) {
                for key in ["name", "annotations"] {
                    assert_eq!(field(&hm, key), field(&fm, key), "metadata.{key} differs for {src:?}");
                }
            }
        }
        (Ok(Value::List(..)), Ok(Value::List(..))) => {}
        (h, f) => assert_eq!(show(h), show(f), "head differs for {src:?}"),
    }
});
