//! values.schema.json validation, with helm's error texts: helm 4 prints santhosh-tekuri
//! jsonschema v6 messages (`- at '/replicas': got number, want string`), helm 3 prints
//! gojsonschema ones (`- replicas: Invalid type. Expected: string, given: integer`).

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::JSONSchema;
use serde_json::Value as Json;

use crate::engine::format::{format_float, FloatFmt};
use crate::engine::value::{MapRef, MapType, Value};

use super::{Chart, ChartError};

/// A template value as JSON, as Go's `encoding/json` sees it (objects are `to_data`).
pub fn to_json(v: &Value) -> Json {
    match v {
        Value::Missing | Value::Nil => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or(Json::Null),
        Value::String(s) => Json::String(s.to_string()),
        Value::List(_, items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(_, m) => Json::Object(
            m.entries()
                .into_iter()
                .map(|(k, v)| (k, to_json(&v)))
                .collect(),
        ),
        Value::Object(o) => to_json(&o.to_data()),
        other => match other.as_int() {
            Some(i) => Json::Number(i.into()),
            None => Json::String(other.format_v()),
        },
    }
}

/// A values map as the schema validators see it: [`to_json`], with integral numbers as integers.
pub(crate) fn normalised_json(v: &Value) -> Json {
    normalise(to_json(v))
}

/// Numbers are handed to the validator as integers when integral, so `type: integer` accepts
/// YAML's float64 `1` as both Go validators do.
fn normalise(j: Json) -> Json {
    match j {
        Json::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 && !n.is_i64() => {
                Json::Number((f as i64).into())
            }
            _ => Json::Number(n),
        },
        Json::Array(a) => Json::Array(a.into_iter().map(normalise).collect()),
        Json::Object(o) => Json::Object(o.into_iter().map(|(k, v)| (k, normalise(v))).collect()),
        other => other,
    }
}

struct Leaf {
    inst: Vec<String>,
    schema: Vec<String>,
    kind: ValidationErrorKind,
    value: Json,
}

/// helm's `ValidateAgainstSchema`: validates `values` against the chart's schema and, for each
/// subchart, its section against the subchart's schema. `Ok(())` when valid; otherwise the
/// full helm error (`values don't meet the specifications …`).
pub fn validate_chart(ch: &Chart, values: &MapRef, helm_major: u32) -> Result<(), ChartError> {
    let mut sb = String::new();
    validate_rec(ch, values, helm_major, &mut sb)?;
    if sb.is_empty() {
        Ok(())
    } else {
        Err(ChartError(format!(
            "values don't meet the specifications of the schema(s) in the following chart(s):\n{sb}"
        )))
    }
}

fn validate_rec(
    ch: &Chart,
    values: &MapRef,
    helm_major: u32,
    sb: &mut String,
) -> Result<(), ChartError> {
    if let Some(schema) = &ch.schema {
        if let Err(e) = validate_single(values, schema, helm_major) {
            sb.push_str(&format!("{}:\n{e}", ch.name()));
        }
    }
    for sub in &ch.dependencies {
        match values.get(sub.name()) {
            None | Some(Value::Nil) => {}
            Some(Value::Map(MapType::Interface | MapType::Values, m)) => {
                validate_rec(sub, &m, helm_major, sb)?
            }
            Some(other) => sb.push_str(&format!(
                "{}:\ninvalid type for values: expected object (map), got {}\n",
                sub.name(),
                other.type_name()
            )),
        }
    }
    Ok(())
}

/// A compiled schema, or why it does not compile.
type Compiled = Result<std::sync::Arc<JSONSchema>, String>;

/// What is kept per schema document: the direct checker (when the schema is within its
/// subset) and the compiled validator, each built at most once.
#[derive(Default)]
struct Entry {
    direct: std::sync::OnceLock<Option<super::schema_direct::Schema>>,
    compiled: std::sync::OnceLock<Compiled>,
}

impl Entry {
    fn direct(&self, schema: &[u8]) -> Option<&super::schema_direct::Schema> {
        self.direct
            .get_or_init(|| super::schema_direct::Schema::new(schema))
            .as_ref()
    }

    fn compiled(&self, schema: &[u8]) -> Compiled {
        self.compiled.get_or_init(|| compile(schema)).clone()
    }
}

/// The cache entry for `schema`, kept per process by content: test runners and lint render one
/// chart many times. One entry per schema lets a background [`warm`] and the renderer share the
/// work: whoever comes second waits for the first instead of doing it again.
fn entry(schema: &[u8]) -> std::sync::Arc<Entry> {
    use std::collections::HashMap;
    use std::hash::{Hash, Hasher};
    use std::sync::{Arc, Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<u64, Arc<Entry>>>> = OnceLock::new();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    schema.hash(&mut h);
    let key = h.finish();
    let Ok(mut c) = CACHE.get_or_init(Default::default).lock() else {
        return Arc::default();
    };
    // A handful of charts per process; the bound only guards against pathological use.
    if c.len() >= 64 && !c.contains_key(&key) {
        c.clear();
    }
    c.entry(key).or_default().clone()
}

fn compile(schema: &[u8]) -> Compiled {
    let json: Json = serde_json::from_slice(schema).map_err(|e| e.to_string())?;
    Ok(std::sync::Arc::new(
        JSONSchema::compile(&json).map_err(|e| e.to_string())?,
    ))
}

/// Prepares the values schemas of `chart` and its subcharts on a background thread, so a later
/// [`validate_chart`] finds them ready while the caller goes on loading values and parsing
/// templates. Schemas the direct checker covers only need parsing; the others are compiled,
/// which checks them against their meta-schema and is the costliest step of rendering a chart.
pub fn warm(chart: &Chart) {
    fn collect(ch: &Chart, out: &mut Vec<std::sync::Arc<[u8]>>) {
        out.extend(ch.schema.iter().cloned());
        for d in &ch.dependencies {
            collect(d, out);
        }
    }
    let mut schemas = Vec::new();
    collect(chart, &mut schemas);
    if schemas.is_empty() {
        return;
    }
    // Detached: if rendering fails first, the process may exit before this ends.
    let _ = std::thread::Builder::new()
        .name("schema-warm".into())
        .spawn(move || {
            for s in schemas {
                let e = entry(&s);
                if e.direct(&s).is_none() {
                    let _ = e.compiled(&s);
                }
            }
        });
}

/// Validates one values map against one schema; the error is the list of `- …` lines, each
/// ending in a newline.
pub fn validate_single(values: &MapRef, schema: &[u8], helm_major: u32) -> Result<(), String> {
    let e = entry(schema);
    let values = Value::Map(MapType::Interface, values.clone());
    // Values are nearly always valid, and a valid instance needs no messages: the direct check
    // answers without compiling, and the compiled boolean check without building error paths.
    if let Some(d) = e.direct(schema) {
        if d.check(&values) == Some(true) {
            return Ok(());
        }
    }
    let instance = normalised_json(&values);
    let compiled = e.compiled(schema)?;
    if compiled.is_valid(&instance) {
        return Ok(());
    }
    let leaves: Vec<Leaf> = match compiled.validate(&instance) {
        Ok(()) => return Ok(()),
        Err(errs) => errs
            .map(|e| Leaf {
                inst: e.instance_path.clone().into_vec(),
                schema: e.schema_path.clone().into_vec(),
                value: e.instance.clone().into_owned(),
                kind: e.kind,
            })
            .collect(),
    };
    let mut out = String::new();
    if helm_major >= 4 {
        let refs: Vec<&Leaf> = leaves.iter().collect();
        render_group(&refs, 0, 0, 0, &mut out);
    } else {
        for l in &leaves {
            for line in v3_messages(l) {
                out.push_str(&format!("- {line}\n"));
            }
        }
    }
    Err(out)
}

fn pointer(segs: &[String]) -> String {
    segs.iter()
        .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// How many schema and instance segments the applicator at `s[i]` consumes, when it descends
/// into a child instance.
fn descend(s: &[String], i: usize) -> Option<(usize, usize)> {
    match s.get(i)?.as_str() {
        "properties" | "patternProperties" => (s.len() > i + 2).then_some((2, 1)),
        "additionalProperties" => (s.len() > i + 1).then_some((1, 1)),
        "items" | "prefixItems" => {
            let idx = s
                .get(i + 1)
                .is_some_and(|x| x.bytes().all(|b| b.is_ascii_digit()));
            let n = if idx { 2 } else { 1 };
            (s.len() > i + n).then_some((n, 1))
        }
        _ => None,
    }
}

/// A child of a group: its key, its errors, and how far it descends (for subgroups).
type Child<'a> = (String, Vec<&'a Leaf>, Option<(usize, usize)>);

fn render_group(leaves: &[&Leaf], sdepth: usize, idepth: usize, indent: usize, out: &mut String) {
    // Children in first-seen order: either direct keyword failures or subgroups.
    let mut order: Vec<Child> = Vec::new();
    for l in leaves {
        let (key, step) = match descend(&l.schema, sdepth) {
            Some(step) => {
                let k = format!(
                    "{}|{}",
                    l.schema[sdepth..sdepth + step.0].join("/"),
                    l.inst[idepth..(idepth + step.1).min(l.inst.len())].join("/")
                );
                (k, Some(step))
            }
            None => {
                let kw = l.schema.get(sdepth).cloned().unwrap_or_default();
                (
                    format!(
                        "leaf:{kw}:{}",
                        if kw == "required" {
                            String::new()
                        } else {
                            l.schema.join("/")
                        }
                    ),
                    None,
                )
            }
        };
        match order.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, v, _)) => v.push(l),
            None => order.push((key, vec![l], step)),
        }
    }
    let pad = " ".repeat(indent);
    for (_, group, step) in order {
        match step {
            None => {
                let first = group[0];
                let msg = if let ValidationErrorKind::Required { .. } = first.kind {
                    let names: Vec<String> = group
                        .iter()
                        .filter_map(|l| match &l.kind {
                            ValidationErrorKind::Required { property } => {
                                Some(quote(&json_str(property)))
                            }
                            _ => None,
                        })
                        .collect();
                    if names.len() == 1 {
                        format!("missing property {}", names[0])
                    } else {
                        format!("missing properties {}", names.join(", "))
                    }
                } else {
                    v4_message(first)
                };
                out.push_str(&format!("{pad}- at '{}': {msg}\n", pointer(&first.inst)));
            }
            Some((ds, di)) => {
                if count_lines(&group, sdepth + ds, idepth + di) == 1 {
                    render_group(&group, sdepth + ds, idepth + di, indent, out);
                } else {
                    let inst = &group[0].inst;
                    let at = pointer(&inst[..(idepth + di).min(inst.len())]);
                    out.push_str(&format!("{pad}- at '{at}': validation failed\n"));
                    render_group(&group, sdepth + ds, idepth + di, indent + 2, out);
                }
            }
        }
    }
}

fn count_lines(leaves: &[&Leaf], sdepth: usize, idepth: usize) -> usize {
    let mut s = String::new();
    render_group(leaves, sdepth, idepth, 0, &mut s);
    s.lines().filter(|l| l.starts_with("- ")).count()
}

fn json_str(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// santhosh-tekuri's `quote`: Go `%q` with single quotes outside.
fn quote(s: &str) -> String {
    let q = format!("{s:?}");
    let inner = &q[1..q.len() - 1];
    format!("'{}'", inner.replace("\\\"", "\"").replace('\'', "\\'"))
}

fn go_num(v: &Json) -> String {
    match v {
        Json::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => format_float(n.as_f64().unwrap_or(0.0), FloatFmt::G),
        },
        other => other.to_string(),
    }
}

fn display(v: &Json) -> String {
    match v {
        Json::String(s) => quote(s),
        Json::Array(_) | Json::Object(_) => "value".into(),
        Json::Null => "<nil>".into(),
        other => go_num(other),
    }
}

fn json_type(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn type_names(kind: &TypeKind) -> Vec<String> {
    match kind {
        TypeKind::Single(t) => vec![t.to_string()],
        TypeKind::Multiple(set) => set.into_iter().map(|t| t.to_string()).collect(),
    }
}

fn count(v: &Json) -> usize {
    match v {
        Json::String(s) => s.chars().count(),
        Json::Array(a) => a.len(),
        Json::Object(o) => o.len(),
        _ => 0,
    }
}

fn v4_message(l: &Leaf) -> String {
    use ValidationErrorKind as K;
    let v = &l.value;
    match &l.kind {
        K::Type { kind } => {
            let mut want = type_names(kind);
            want.sort();
            format!("got {}, want {}", json_type(v), want.join(" or "))
        }
        K::Required { property } => format!("missing property {}", quote(&json_str(property))),
        K::AdditionalProperties { unexpected } | K::UnevaluatedProperties { unexpected } => {
            format!(
                "additional properties {} not allowed",
                unexpected
                    .iter()
                    .map(|s| quote(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        K::Enum { options } => {
            let opts: Vec<Json> = options.as_array().cloned().unwrap_or_default();
            if opts.iter().any(|o| o.is_array() || o.is_object()) {
                "enum failed".into()
            } else if opts.len() == 1 {
                format!("value must be {}", display(&opts[0]))
            } else {
                format!(
                    "value must be one of {}",
                    opts.iter().map(display).collect::<Vec<_>>().join(", ")
                )
            }
        }
        K::Constant { expected_value } => match expected_value {
            Json::Array(_) | Json::Object(_) => "const failed".into(),
            w => format!("value must be {}", display(w)),
        },
        K::Minimum { limit } => format!("minimum: got {}, want {}", go_num(v), go_num(limit)),
        K::Maximum { limit } => format!("maximum: got {}, want {}", go_num(v), go_num(limit)),
        K::ExclusiveMinimum { limit } => format!(
            "exclusiveMinimum: got {}, want {}",
            go_num(v),
            go_num(limit)
        ),
        K::ExclusiveMaximum { limit } => format!(
            "exclusiveMaximum: got {}, want {}",
            go_num(v),
            go_num(limit)
        ),
        K::MultipleOf { multiple_of } => {
            format!(
                "multipleOf: got {}, want {}",
                go_num(v),
                format_float(*multiple_of, FloatFmt::G)
            )
        }
        K::MinLength { limit } => format!("minLength: got {}, want {limit}", count(v)),
        K::MaxLength { limit } => format!("maxLength: got {}, want {limit}", count(v)),
        K::MinItems { limit } => format!("minItems: got {}, want {limit}", count(v)),
        K::MaxItems { limit } => format!("maxItems: got {}, want {limit}", count(v)),
        K::MinProperties { limit } => format!("minProperties: got {}, want {limit}", count(v)),
        K::MaxProperties { limit } => format!("maxProperties: got {}, want {limit}", count(v)),
        K::Pattern { pattern } => format!(
            "{} does not match pattern {}",
            quote(&json_str(v)),
            quote(pattern)
        ),
        K::Format { format } => format!("{} is not valid {format}", display(v)),
        K::Not { .. } => "not failed".into(),
        K::AnyOf => "anyOf failed".into(),
        K::OneOfNotValid => "oneOf failed, none matched".into(),
        K::OneOfMultipleValid => "oneOf failed, subschemas 0, 1 matched".into(),
        K::FalseSchema => "false schema".into(),
        K::Contains => "no items match contains schema".into(),
        K::UniqueItems => {
            let items = v.as_array().cloned().unwrap_or_default();
            let mut pair = (0, 1);
            'outer: for i in 0..items.len() {
                for j in i + 1..items.len() {
                    if items[i] == items[j] {
                        pair = (i, j);
                        break 'outer;
                    }
                }
            }
            format!("items at {} and {} are equal", pair.0, pair.1)
        }
        K::AdditionalItems { limit } => format!(
            "last {} additionalItem(s) not allowed",
            count(v).saturating_sub(*limit)
        ),
        other => format!("{other:?}"),
    }
}

fn v3_type(v: &Json) -> &'static str {
    match v {
        Json::Number(n)
            if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0) =>
        {
            "integer"
        }
        other => json_type(other),
    }
}

fn v3_messages(l: &Leaf) -> Vec<String> {
    use ValidationErrorKind as K;
    let field = if l.inst.is_empty() {
        "(root)".to_string()
    } else {
        l.inst.join(".")
    };
    let last = l.inst.last().cloned().unwrap_or_else(|| "(root)".into());
    let v = &l.value;
    let msg = match &l.kind {
        K::Type { kind } => {
            let want = type_names(kind);
            let exp = if want.len() == 1 {
                want[0].clone()
            } else {
                format!("[{}]", want.join(","))
            };
            format!("Invalid type. Expected: {exp}, given: {}", v3_type(v))
        }
        K::Required { property } => format!("{} is required", json_str(property)),
        K::AdditionalProperties { unexpected } => {
            return unexpected
                .iter()
                .map(|p| format!("{field}: Additional property {p} is not allowed"))
                .collect()
        }
        K::Enum { options } => format!(
            "{last} must be one of the following: {}",
            options
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|o| o.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        K::Constant { expected_value } => format!("{last} does not match: {expected_value}"),
        K::Minimum { limit } => format!("Must be greater than or equal to {}", go_num(limit)),
        K::Maximum { limit } => format!("Must be less than or equal to {}", go_num(limit)),
        K::ExclusiveMinimum { limit } => format!("Must be greater than {}", go_num(limit)),
        K::ExclusiveMaximum { limit } => format!("Must be less than {}", go_num(limit)),
        K::MultipleOf { multiple_of } => format!(
            "Must be a multiple of {}",
            format_float(*multiple_of, FloatFmt::G)
        ),
        K::MinLength { limit } => format!("String length must be greater than or equal to {limit}"),
        K::MaxLength { limit } => format!("String length must be less than or equal to {limit}"),
        K::MinItems { limit } => format!("Array must have at least {limit} items"),
        K::MaxItems { limit } => format!("Array must have at most {limit} items"),
        K::MinProperties { limit } => format!("Must have at least {limit} properties"),
        K::MaxProperties { limit } => format!("Must have at most {limit} properties"),
        K::Pattern { pattern } => format!("Does not match pattern '{pattern}'"),
        K::Format { format } => format!("Does not match format '{format}'"),
        K::UniqueItems => "array items must be unique".into(),
        K::AnyOf => "Must validate at least one schema (anyOf)".into(),
        K::OneOfNotValid | K::OneOfMultipleValid => {
            "Must validate one and only one schema (oneOf)".into()
        }
        K::Not { .. } => "Must not validate the schema (not)".into(),
        K::FalseSchema => "False always fails validation".into(),
        other => format!("{other:?}"),
    };
    vec![format!("{field}: {msg}")]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::strvals::{parse_into, Mode};

    fn check(schema: &str, sets: &[&str], major: u32) -> String {
        let m = MapRef::default();
        for s in sets {
            parse_into(s, &m, Mode::Typed).unwrap();
        }
        validate_single(&m, schema.as_bytes(), major)
            .err()
            .unwrap_or_default()
    }

    const S: &str = r#"{"properties":{"replicas":{"type":"string"},"b":{"type":"integer"},
        "o":{"type":"object","required":["a","b"],"properties":{"z":{"type":"boolean"}}}}}"#;

    #[test]
    fn helm4_format() {
        // helm 4.1.4 (order of lines is not deterministic in helm):
        // - at '/replicas': got number, want string
        // - at '/o': validation failed
        //   - at '/o': missing properties 'a', 'b'
        //   - at '/o/z': got number, want boolean
        let out = check(S, &["replicas=1", "o.z=1"], 4);
        assert!(
            out.contains("- at '/replicas': got number, want string\n"),
            "{out}"
        );
        assert!(out.contains("- at '/o': validation failed\n  - at '/o': missing properties 'a', 'b'\n  - at '/o/z': got number, want boolean\n"), "{out}");
        assert_eq!(check(S, &["b=2"], 4), "");
        let e = check(
            r#"{"properties":{"e":{"enum":["a","b"]},"s":{"minLength":3}},"required":["name"]}"#,
            &["e=c", "s=ab", "name=x"],
            4,
        );
        assert!(
            e.contains("- at '/e': value must be one of 'a', 'b'\n"),
            "{e}"
        );
        assert!(e.contains("- at '/s': minLength: got 2, want 3\n"), "{e}");
        assert_eq!(
            check(r#"{"required":["name"]}"#, &[], 4),
            "- at '': missing property 'name'\n"
        );
    }

    #[test]
    fn helm3_format() {
        // helm 3.18.0: - replicas: Invalid type. Expected: string, given: integer / - o: a is required
        let out = check(S, &["replicas=1", "o.z=1"], 3);
        assert!(
            out.contains("- replicas: Invalid type. Expected: string, given: integer\n"),
            "{out}"
        );
        assert!(
            out.contains("- o: a is required\n- o: b is required\n"),
            "{out}"
        );
        assert!(
            out.contains("- o.z: Invalid type. Expected: boolean, given: integer\n"),
            "{out}"
        );
    }
}
