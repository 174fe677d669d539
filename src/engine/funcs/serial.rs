//! Template functions: serial. helm's `toYaml`/`fromYaml` family, Sprig's and helm's JSON
//! functions, and helm's TOML pair.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Func, FuncCtx, FuncError, FuncResult};
use crate::engine::json;
use crate::engine::value::{MapRef, MapType, SliceType, Ty, Value};
use crate::engine::yaml;
use crate::gofunc;

/// This group's functions.
pub const FUNCS: &[Func] = &[
    gofunc!("toYaml", [Ty::Any], to_yaml),
    gofunc!("mustToYaml", [Ty::Any], must_to_yaml),
    gofunc!("toYamlPretty", [Ty::Any], to_yaml_pretty),
    gofunc!("fromYaml", [Ty::String], from_yaml),
    gofunc!("fromYamlArray", [Ty::String], from_yaml_array),
    gofunc!("toJson", [Ty::Any], to_json),
    gofunc!("mustToJson", [Ty::Any], must_to_json),
    gofunc!("toPrettyJson", [Ty::Any], to_pretty_json),
    gofunc!("mustToPrettyJson", [Ty::Any], must_to_pretty_json),
    gofunc!("toRawJson", [Ty::Any], to_raw_json),
    gofunc!("mustToRawJson", [Ty::Any], to_raw_json),
    gofunc!("fromJson", [Ty::String], from_json),
    gofunc!("mustFromJson", [Ty::String], must_from_json),
    gofunc!("fromJsonArray", [Ty::String], from_json_array),
    gofunc!("toToml", [Ty::Any], to_toml),
    gofunc!("fromToml", [Ty::String], from_toml),
];

fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or(Value::Nil)
}

fn str_arg(args: &[Value], i: usize) -> String {
    args.get(i)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

fn trim_nl(s: String) -> Value {
    Value::from(s.strip_suffix('\n').unwrap_or(&s).to_string())
}

fn to_yaml(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(trim_nl(yaml::to_yaml(&arg(&args, 0)).unwrap_or_default()))
}

fn must_to_yaml(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    if ctx.helm_major() < 4 {
        // helm 3.18 has no mustToYaml.
        return Err(FuncError::msg("function \"mustToYaml\" not defined"));
    }
    yaml::to_yaml(&arg(&args, 0))
        .map(trim_nl)
        .map_err(FuncError::msg)
}

fn to_yaml_pretty(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(trim_nl(
        yaml::to_yaml_pretty(&arg(&args, 0)).unwrap_or_default(),
    ))
}

fn type_error(v: &Value, target: &str) -> String {
    format!(
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type {target}",
        json::kind_word(v)
    )
}

fn error_map(msg: String) -> Value {
    let mut m = BTreeMap::new();
    m.insert("Error".to_string(), Value::from(msg));
    Value::map(m)
}

fn from_yaml(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(match yaml::parse(&str_arg(&args, 0)) {
        Ok(v @ Value::Map(..)) => v,
        Ok(Value::Nil) => Value::empty_map(),
        Ok(other) => error_map(type_error(&other, "map[string]interface {}")),
        Err(e) => error_map(e.to_string()),
    })
}

fn from_yaml_array(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(match yaml::parse(&str_arg(&args, 0)) {
        Ok(v @ Value::List(..)) => v,
        Ok(Value::Nil) => Value::list(vec![]),
        Ok(other) => Value::list(vec![Value::from(type_error(&other, "[]interface {}"))]),
        Err(e) => Value::list(vec![Value::from(e.to_string())]),
    })
}

fn to_json(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::from(
        json::marshal(&arg(&args, 0), true).unwrap_or_default(),
    ))
}

fn must_to_json(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    json::marshal(&arg(&args, 0), true)
        .map(Value::from)
        .map_err(FuncError::msg)
}

fn to_pretty_json(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::from(
        json::marshal_indent(&arg(&args, 0), "", "  ", true).unwrap_or_default(),
    ))
}

fn must_to_pretty_json(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    json::marshal_indent(&arg(&args, 0), "", "  ", true)
        .map(Value::from)
        .map_err(FuncError::msg)
}

/// Sprig's `toRawJson` panics where `mustToRawJson` returns the error; text/template turns
/// both into the same call error.
fn to_raw_json(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    json::marshal(&arg(&args, 0), false)
        .map(Value::from)
        .map_err(FuncError::msg)
}

fn from_json(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(match json::unmarshal(&str_arg(&args, 0)) {
        Ok(v @ Value::Map(..)) => v,
        Ok(Value::Nil) => Value::empty_map(),
        Ok(other) => error_map(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json::kind_word(&other)
        )),
        Err(e) => error_map(e),
    })
}

fn must_from_json(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    json::unmarshal(&str_arg(&args, 0)).map_err(FuncError::msg)
}

fn from_json_array(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(match json::unmarshal(&str_arg(&args, 0)) {
        Ok(v @ Value::List(..)) => v,
        Ok(Value::Nil) => Value::list(vec![]),
        Ok(other) => Value::list(vec![Value::from(format!(
            "json: cannot unmarshal {} into Go value of type []interface {{}}",
            json::kind_word(&other)
        ))]),
        Err(e) => Value::list(vec![Value::from(e)]),
    })
}

// ---- TOML (BurntSushi/toml's encoder and decoder, as helm uses them) ----

fn to_toml(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let mut enc = TomlEnc::default();
    let v = arg(&args, 0);
    let v = match v {
        Value::Object(o) => o.to_data(),
        other => other,
    };
    let r = match &v {
        Value::Map(_, m) => enc.table(&[], m, 0),
        Value::Nil | Value::Missing => Ok(()),
        _ => Err("toml: top-level values must be Go maps or structs".to_string()),
    };
    Ok(Value::from(match r {
        Ok(()) => enc.out,
        Err(e) => e,
    }))
}

#[derive(Default)]
struct TomlEnc {
    out: String,
    has_written: bool,
    wrote_nl: usize,
}

fn is_table(v: &Value) -> bool {
    match v {
        Value::Map(..) => true,
        Value::Object(o) => is_table(&o.to_data()),
        Value::List(_, items) => {
            !items.is_empty() && items.iter().all(|i| matches!(i, Value::Map(..)))
        }
        _ => false,
    }
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        let mut s = String::from("\"");
        toml_escape(k, &mut s);
        s.push('"');
        s
    }
}

fn toml_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
}

fn toml_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f < 0.0 {
            "-inf".into()
        } else {
            "+inf".into()
        };
    }
    // Rust's `{}` prints the shortest round-trip digits without an exponent, as Go's 'f', -1.
    let s = format!("{f}");
    if s.contains('.') {
        s
    } else {
        s + ".0"
    }
}

impl TomlEnc {
    fn wf(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        self.out.push_str(s);
        self.has_written = true;
        self.wrote_nl = 0;
    }

    fn newline(&mut self, n: usize) {
        if !self.has_written {
            return;
        }
        while self.wrote_nl < n {
            self.out.push('\n');
            self.wrote_nl += 1;
        }
    }

    fn indent(depth: usize) -> String {
        "  ".repeat(depth.saturating_sub(1))
    }

    fn element(&mut self, v: &Value, depth: usize) -> Result<(), String> {
        if depth > 10000 {
            return Err("toml: nesting too deep".into());
        }
        match v {
            Value::Bool(b) => self.wf(if *b { "true" } else { "false" }),
            Value::Int(i) | Value::Int64(i) => self.wf(&i.to_string()),
            Value::Int32(i) => self.wf(&i.to_string()),
            Value::Uint8(i) => self.wf(&i.to_string()),
            Value::Uint32(i) => self.wf(&i.to_string()),
            Value::Float(f) => self.wf(&toml_float(*f)),
            Value::String(s) => {
                let mut q = String::from("\"");
                toml_escape(s, &mut q);
                q.push('"');
                self.wf(&q);
            }
            Value::List(_, items) => {
                self.wf("[");
                for (n, item) in items.iter().enumerate() {
                    if item.is_nil() {
                        return Err("toml: cannot encode array with nil element".into());
                    }
                    self.element(item, depth + 1)?;
                    if n + 1 != items.len() {
                        self.wf(", ");
                    }
                }
                self.wf("]");
            }
            Value::Map(_, m) => {
                self.wf("{");
                let (direct, sub) = split_keys(m);
                let total = direct.len() + sub.len();
                for (n, (k, item)) in direct.iter().chain(sub.iter()).enumerate() {
                    self.wf(&toml_key(k));
                    self.wf(" = ");
                    self.element(item, depth + 1)?;
                    if n + 1 != total {
                        self.wf(", ");
                    }
                }
                self.wf("}");
            }
            Value::Object(o) => self.element(&o.to_data(), depth + 1)?,
            Value::Bytes(b) => {
                let l = Value::list(b.iter().map(|x| Value::Int(*x as i64)).collect());
                self.element(&l, depth + 1)?;
            }
            Value::Complex(..) => return Err("toml: unsupported type: complex128".into()),
            Value::Nil | Value::Missing => {}
        }
        Ok(())
    }

    fn table(&mut self, key: &[String], m: &MapRef, depth: usize) -> Result<(), String> {
        if depth > 10000 {
            return Err("toml: nesting too deep".into());
        }
        let (direct, sub) = split_keys(m);
        for (k, v) in direct.iter().chain(sub.iter()) {
            let mut path = key.to_vec();
            path.push(k.clone());
            self.encode(&path, v, depth + 1)?;
        }
        Ok(())
    }

    fn encode(&mut self, key: &[String], v: &Value, depth: usize) -> Result<(), String> {
        match v {
            Value::Nil | Value::Missing => return Ok(()),
            Value::Object(o) => return self.encode(key, &o.to_data(), depth),
            Value::Map(_, m) => {
                if key.len() == 1 {
                    self.newline(2);
                }
                let name: Vec<String> = key.iter().map(|k| toml_key(k)).collect();
                let line = format!("{}[{}]", Self::indent(key.len()), name.join("."));
                self.wf(&line);
                self.newline(1);
                self.table(key, m, depth)?;
            }
            Value::List(_, items) if is_table(v) => {
                let name: Vec<String> = key.iter().map(|k| toml_key(k)).collect();
                for item in items.iter() {
                    if let Value::Map(_, m) = item {
                        self.newline(2);
                        let line = format!("{}[[{}]]", Self::indent(key.len()), name.join("."));
                        self.wf(&line);
                        self.newline(1);
                        self.table(key, m, depth)?;
                    }
                }
            }
            _ => {
                let last = key.last().cloned().unwrap_or_default();
                let line = format!("{}{} = ", Self::indent(key.len()), toml_key(&last));
                self.wf(&line);
                self.element(v, depth)?;
            }
        }
        self.newline(1);
        Ok(())
    }
}

type Entries = Vec<(String, Value)>;

fn split_keys(m: &MapRef) -> (Entries, Entries) {
    let mut direct = Vec::new();
    let mut sub = Vec::new();
    for (k, v) in m.entries() {
        if v.is_nil() {
            continue;
        }
        if is_table(&v) {
            sub.push((k, v));
        } else {
            direct.push((k, v));
        }
    }
    (direct, sub)
}

fn from_toml(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let src = str_arg(&args, 0);
    Ok(match src.parse::<toml::Table>() {
        Ok(t) => toml_table(&t),
        Err(e) => {
            let msg = e.message().to_string();
            error_map(format!("toml: {msg}"))
        }
    })
}

fn toml_table(t: &toml::Table) -> Value {
    let mut m = BTreeMap::new();
    for (k, v) in t {
        m.insert(k.clone(), toml_value(v));
    }
    Value::Map(MapType::Interface, MapRef::new(m))
}

fn toml_value(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::from(s.clone()),
        toml::Value::Integer(i) => Value::Int64(*i),
        toml::Value::Float(f) => Value::Float(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::from(d.to_string()),
        toml::Value::Array(a) => Value::List(
            SliceType::Interface,
            Arc::new(a.iter().map(toml_value).collect()),
        ),
        toml::Value::Table(t) => toml_table(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::funcs::{call, TestCtx};

    fn run(name: &str, args: Vec<Value>) -> Value {
        call(&mut TestCtx::default(), name, args).unwrap()
    }

    fn vals(src: &str) -> Value {
        yaml::parse(src).unwrap()
    }

    #[test]
    fn from_yaml_errors() {
        assert_eq!(
            run("fromYaml", vec![Value::str("a: b: c")]).format_v(),
            "map[Error:error converting YAML to JSON: yaml: mapping values are not allowed in this context]"
        );
        assert_eq!(
            run("fromYaml", vec![Value::str("a: 1\nb: : c")]).format_v(),
            "map[Error:error converting YAML to JSON: yaml: line 2: mapping values are not allowed in this context]"
        );
        assert_eq!(
            run("fromYaml", vec![Value::str("a:\n  - 1\n - 2")]).format_v(),
            "map[Error:error converting YAML to JSON: yaml: line 2: did not find expected key]"
        );
        assert_eq!(
            run("fromYaml", vec![Value::str("a: *x")]).format_v(),
            "map[Error:error converting YAML to JSON: yaml: unknown anchor 'x' referenced]"
        );
        assert_eq!(
            run("fromYaml", vec![Value::str("[1,2]")]).format_v(),
            "map[Error:error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}]"
        );
        assert_eq!(
            run("fromYamlArray", vec![Value::str("a: 1")]).format_v(),
            "[error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go value of type []interface {}]"
        );
        assert_eq!(
            run("fromYaml", vec![Value::str("x: 1\ny: {z: 1\n")]).format_v(),
            "map[Error:error converting YAML to JSON: yaml: line 2: did not find expected ',' or '}']"
        );
    }

    #[test]
    fn to_yaml_values() {
        let v = vals("a: [1, 2, {x: 1, y: [3]}]\nb: {c: 1.5, d: 1000000, e: yes, f: \"yes\"}\ng: []\nh: {}\ni: \"l1\\nl2\\n\"\n");
        assert_eq!(
            run("toYaml", vec![v.clone()]).as_str().unwrap(),
            "a:\n- 1\n- 2\n- \"true\":\n  - 3\n  x: 1\nb:\n  c: 1.5\n  d: 1000000\n  e: true\n  f: \"yes\"\ng: []\nh: {}\ni: |\n  l1\n  l2"
        );
        assert_eq!(
            run("toYamlPretty", vec![v]).as_str().unwrap(),
            "a:\n  - 1\n  - 2\n  - \"true\":\n      - 3\n    x: 1\nb:\n  c: 1.5\n  d: 1e+06\n  e: true\n  f: \"yes\"\ng: []\nh: {}\ni: |\n  l1\n  l2"
        );
        assert_eq!(
            run("toYaml", vec![Value::str("hello")]).as_str(),
            Some("hello")
        );
        assert_eq!(
            run("toYaml", vec![Value::str("a\n\n")]).as_str(),
            Some("|+\n  a\n")
        );
        assert_eq!(
            run("toYamlPretty", vec![Value::str("a\n\n")]).as_str(),
            Some("|+\n  a\n")
        );
    }

    #[test]
    fn json_funcs() {
        let v = vals("a: [1, 2.5]\nb: \"<x>\"");
        assert_eq!(
            run("toJson", vec![v.clone()]).as_str(),
            Some(r#"{"a":[1,2.5],"b":"\u003cx\u003e"}"#)
        );
        assert_eq!(
            run("toRawJson", vec![v.clone()]).as_str(),
            Some(r#"{"a":[1,2.5],"b":"<x>"}"#)
        );
        assert_eq!(
            run("toPrettyJson", vec![v]).as_str(),
            Some("{\n  \"a\": [\n    1,\n    2.5\n  ],\n  \"b\": \"\\u003cx\\u003e\"\n}")
        );
        assert_eq!(
            run("fromJson", vec![Value::str("[1]")]).format_v(),
            "map[Error:json: cannot unmarshal array into Go value of type map[string]interface {}]"
        );
        assert_eq!(
            run("fromJson", vec![Value::str("{x")]).format_v(),
            "map[Error:invalid character 'x' looking for beginning of object key string]"
        );
        assert_eq!(
            run("fromJsonArray", vec![Value::str("[1, \"a\"]")]).format_v(),
            "[1 a]"
        );
    }

    #[test]
    fn toml_funcs() {
        let v = vals("b: 1\na: x\nt: {k: 2.5, n: {z: true}}\nl: [1, 2]\n");
        assert_eq!(
            run("toToml", vec![v]).as_str(),
            Some(
                "a = \"x\"\nb = 1.0\nl = [1.0, 2.0]\n\n[t]\n  k = 2.5\n  [t.false]\n    z = true\n"
            )
        );
        let v = run(
            "fromToml",
            vec![Value::str("a = 1\nb = 1.5\n[t]\nx = \"y\"\n")],
        );
        assert_eq!(v.format_v(), "map[a:1 b:1.5 t:map[x:y]]");
        let a = v.as_map().unwrap().get("a").unwrap();
        assert_eq!(a.type_name(), "int64");
    }
}
