//! Event templates: the event name, distinct id and properties of a scenario, with tera
//! expressions in any string, rendered straight into the request's JSON.
//!
//! Parts without `{{`/`{%` are serialised once at load time; only template strings are
//! rendered per event. A string that is one whole `{{ … }}` expression whose result reads as a
//! number or `true`/`false` becomes that JSON number or boolean; anything else is a string.
//!
//! Variables: `run_id`, `seq` (the event's sequence number), `scenario`, `vu`, `iter` (the
//! VU's iteration), `index` (position in the batch), `distinct_id` (drawn from the pool).
//! Functions: `random_int(min, max)`, `random_float(min, max)`, `random_choice(items)`,
//! `random_string(len)`, `uuid()`, `uuid7()`, `sequence(name, start)`, `now()`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use rand::Rng;
use serde_json::Value;
use tera::{Context, Tera};

use super::yamlcfg::{ConfigError, Field};
use crate::engine::yaml::{resolve_plain, NodeKind, Resolved, ScalarStyle};

/// Property names every event carries so `verify` can count exactly.
pub const RUN_ID_PROPERTY: &str = "charttest_run_id";
/// The event's sequence number property.
pub const SEQ_PROPERTY: &str = "charttest_seq";

/// A compiled part of an event.
#[derive(Debug, Clone)]
enum Part {
    /// Pre-serialised JSON.
    Static(String),
    /// A string that is just one per-event variable (`{{ distinct_id }}`), written without
    /// tera: the common case stays cheap.
    Var(Var),
    /// A tera template by name; `typed` when the whole text is one expression.
    Text { name: String, typed: bool },
    /// An object with pre-serialised keys (`"key":`).
    Object(Vec<(String, Part)>),
    /// An array.
    Array(Vec<Part>),
}

impl Part {
    fn is_static(&self) -> bool {
        matches!(self, Part::Static(_))
    }

    /// Whether rendering it needs a tera context.
    fn needs_tera(&self) -> bool {
        match self {
            Part::Static(_) | Part::Var(_) => false,
            Part::Text { .. } => true,
            Part::Object(entries) => entries.iter().any(|(_, p)| p.needs_tera()),
            Part::Array(items) => items.iter().any(Part::needs_tera),
        }
    }
}

/// The per-event variables a bare `{{ name }}` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    RunId,
    Seq,
    Scenario,
    Vu,
    Iter,
    Index,
    DistinctId,
}

fn bare_var(text: &str) -> Option<Var> {
    let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    Some(match inner {
        "run_id" => Var::RunId,
        "seq" => Var::Seq,
        "scenario" => Var::Scenario,
        "vu" => Var::Vu,
        "iter" => Var::Iter,
        "index" => Var::Index,
        "distinct_id" => Var::DistinctId,
        _ => return None,
    })
}

/// A property list entry: a pre-serialised run of `"key":value` pairs, or one key whose value
/// is rendered per event.
#[derive(Debug, Clone)]
enum Prop {
    Raw(String),
    Dyn(String, Part),
}

/// The per-event values templates can use.
#[derive(Debug, Clone, Default)]
pub struct EventVars<'a> {
    /// The run id.
    pub run_id: &'a str,
    /// The event's sequence number.
    pub seq: u64,
    /// The scenario name.
    pub scenario: &'a str,
    /// The VU number.
    pub vu: u64,
    /// The VU's iteration.
    pub iter: u64,
    /// The position in the batch.
    pub index: u64,
    /// The distinct id drawn for this event.
    pub distinct_id: &'a str,
}

/// A compiled event template.
pub struct EventTemplate {
    tera: Tera,
    name: Part,
    distinct_id: Part,
    properties: Vec<Prop>,
    dynamic: bool,
    /// The distinct id pool.
    pub pool: Vec<String>,
    /// Whether each event gets a `uuid` (v7, from its timestamp).
    pub uuid: bool,
    /// Whether each event gets a `timestamp` (its build time).
    pub timestamp: bool,
}

impl std::fmt::Debug for EventTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventTemplate")
            .field("name", &self.name)
            .field("pool", &self.pool.len())
            .finish()
    }
}

fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

fn whole_expression(s: &str) -> bool {
    let t = s.trim();
    t.starts_with("{{") && t.ends_with("}}") && t.matches("{{").count() == 1 && !t.contains("{%")
}

struct Compiler<'t> {
    tera: &'t mut Tera,
    count: usize,
}

impl Compiler<'_> {
    fn text(&mut self, f: &Field<'_>, text: &str) -> Result<Part, ConfigError> {
        if !is_template(text) {
            return Ok(Part::Static(
                serde_json::to_string(text).unwrap_or_default(),
            ));
        }
        if let Some(v) = bare_var(text) {
            return Ok(Part::Var(v));
        }
        let name = format!("t{}", self.count);
        self.count += 1;
        self.tera
            .add_raw_template(&name, text)
            .map_err(|e| f.error(format!("bad template: {}", tera_message(&e))))?;
        Ok(Part::Text {
            name,
            typed: whole_expression(text),
        })
    }

    fn node(&mut self, f: &Field<'_>) -> Result<Part, ConfigError> {
        let node = f.node();
        let part = match &node.kind {
            NodeKind::Scalar { value, style } => {
                if *style == ScalarStyle::Plain && node.tag.is_none() {
                    match resolve_plain(value) {
                        Resolved::Null => Part::Static("null".into()),
                        Resolved::Bool(b) => Part::Static(b.to_string()),
                        Resolved::Int(i) => Part::Static(i.to_string()),
                        Resolved::Uint(u) => Part::Static(u.to_string()),
                        Resolved::Float(x) if x.is_finite() => {
                            Part::Static(serde_json::to_string(&x).unwrap_or_default())
                        }
                        Resolved::Float(_) => {
                            return Err(f.error("JSON has no NaN or infinity; quote it"))
                        }
                        Resolved::Timestamp | Resolved::Str => self.text(f, value)?,
                    }
                } else {
                    self.text(f, value)?
                }
            }
            NodeKind::Sequence(_) => {
                let items = f
                    .items()?
                    .iter()
                    .map(|i| self.node(i))
                    .collect::<Result<Vec<_>, _>>()?;
                collapse_array(items)
            }
            NodeKind::Mapping(_) => {
                let mut entries = Vec::new();
                for (k, v) in f.entries(&[])? {
                    entries.push((
                        format!("{}:", serde_json::to_string(&k).unwrap_or_default()),
                        self.node(&v)?,
                    ));
                }
                collapse_object(entries)
            }
            NodeKind::Alias { .. } => return Err(f.error("alias refers to its own ancestor")),
        };
        Ok(part)
    }
}

fn collapse_array(items: Vec<Part>) -> Part {
    if items.iter().all(Part::is_static) {
        let inner: Vec<String> = items
            .into_iter()
            .map(|p| match p {
                Part::Static(s) => s,
                _ => String::new(),
            })
            .collect();
        Part::Static(format!("[{}]", inner.join(",")))
    } else {
        Part::Array(items)
    }
}

fn collapse_object(entries: Vec<(String, Part)>) -> Part {
    if entries.iter().all(|(_, p)| p.is_static()) {
        let inner: Vec<String> = entries
            .into_iter()
            .map(|(k, p)| match p {
                Part::Static(s) => format!("{k}{s}"),
                _ => String::new(),
            })
            .collect();
        Part::Static(format!("{{{}}}", inner.join(",")))
    } else {
        Part::Object(entries)
    }
}

/// The whole chain of a tera error (its top message alone says only "Failed to parse").
pub fn tera_message(e: &tera::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        parts.push(s.to_string());
        src = s.source();
    }
    parts.join(": ").replace('\n', " ")
}

/// What a scenario's `event` section says, before compiling.
pub struct EventSpec<'a> {
    /// `name`, default `$pageview`.
    pub name: Option<Field<'a>>,
    /// `distinctId`, default `{{ distinct_id }}`.
    pub distinct_id: Option<Field<'a>>,
    /// `properties`.
    pub properties: Option<Field<'a>>,
    /// `distinctIds.pool`, default 1000.
    pub pool: u64,
    /// `distinctIds.format`, default `charttest-user-{{ i }}`.
    pub pool_format: Option<Field<'a>>,
    /// `uuid`, default true.
    pub uuid: bool,
    /// `timestamp`, default true.
    pub timestamp: bool,
}

impl EventTemplate {
    /// Compiles an event section; `at` is the section (for errors).
    pub fn compile(spec: EventSpec<'_>, at: &Field<'_>, run_id: &str) -> Result<Self, ConfigError> {
        let mut tera = Tera::default();
        register_functions(&mut tera);
        let mut c = Compiler {
            tera: &mut tera,
            count: 0,
        };
        let name = match &spec.name {
            Some(f) => {
                let s = f.string()?;
                c.text(f, &s)?
            }
            None => Part::Static("\"$pageview\"".into()),
        };
        let distinct_id = match &spec.distinct_id {
            Some(f) => {
                let s = f.string()?;
                c.text(f, &s)?
            }
            None => c.text(at, "{{ distinct_id }}")?,
        };
        let mut properties = Vec::new();
        if let Some(p) = &spec.properties {
            for (k, v) in p.entries(&[])? {
                if k == RUN_ID_PROPERTY || k == SEQ_PROPERTY {
                    return Err(v.error(format!(
                        "`{k}` is set by the load generator for verify; choose another name"
                    )));
                }
                properties.push((
                    format!("{}:", serde_json::to_string(&k).unwrap_or_default()),
                    c.node(&v)?,
                ));
            }
        }
        // Adjacent static properties merge into one pre-serialised fragment.
        let mut merged: Vec<Prop> = Vec::new();
        for (k, p) in properties {
            match p {
                Part::Static(v) => {
                    if let Some(Prop::Raw(raw)) = merged.last_mut() {
                        raw.push(',');
                        raw.push_str(&k);
                        raw.push_str(&v);
                    } else {
                        merged.push(Prop::Raw(format!("{k}{v}")));
                    }
                }
                p => merged.push(Prop::Dyn(k, p)),
            }
        }
        let pool_fmt = match &spec.pool_format {
            Some(f) => f.string()?,
            None => "charttest-user-{{ i }}".to_string(),
        };
        let pool_name = "pool";
        let pool_field = spec.pool_format.as_ref().unwrap_or(at);
        tera.add_raw_template(pool_name, &pool_fmt)
            .map_err(|e| pool_field.error(format!("bad template: {}", tera_message(&e))))?;
        let mut pool = Vec::with_capacity(spec.pool as usize);
        let mut ctx = Context::new();
        ctx.insert("run_id", run_id);
        for i in 0..spec.pool {
            ctx.insert("i", &i);
            pool.push(
                tera.render(pool_name, &ctx)
                    .map_err(|e| pool_field.error(tera_message(&e)))?,
            );
        }
        let dynamic = name.needs_tera()
            || distinct_id.needs_tera()
            || merged
                .iter()
                .any(|p| matches!(p, Prop::Dyn(_, part) if part.needs_tera()));
        let t = EventTemplate {
            tera,
            name,
            distinct_id,
            properties: merged,
            dynamic,
            pool,
            uuid: spec.uuid,
            timestamp: spec.timestamp,
        };
        // Render once now, so a template that fails at render time (unknown variable or
        // function) is a scenario error rather than a failure in the middle of the run.
        let mut buf = Vec::new();
        t.render_event(
            &mut buf,
            &EventVars {
                run_id,
                distinct_id: t.pool.first().map(String::as_str).unwrap_or(""),
                ..Default::default()
            },
            None,
            "2000-01-01T00:00:00.000Z",
            None,
        )
        .map_err(|e| at.error(e))?;
        Ok(t)
    }

    /// Whether any part needs rendering per event.
    pub fn is_dynamic(&self) -> bool {
        self.dynamic
    }

    fn context(vars: &EventVars<'_>) -> Context {
        let mut ctx = Context::new();
        ctx.insert("run_id", vars.run_id);
        ctx.insert("seq", &vars.seq);
        ctx.insert("scenario", vars.scenario);
        ctx.insert("vu", &vars.vu);
        ctx.insert("iter", &vars.iter);
        ctx.insert("index", &vars.index);
        ctx.insert("distinct_id", vars.distinct_id);
        ctx
    }

    fn write(
        &self,
        out: &mut Vec<u8>,
        part: &Part,
        ctx: &Context,
        vars: &EventVars<'_>,
    ) -> Result<(), String> {
        match part {
            Part::Static(s) => out.extend_from_slice(s.as_bytes()),
            Part::Var(v) => {
                let text = match v {
                    Var::RunId => vars.run_id,
                    Var::Scenario => vars.scenario,
                    Var::DistinctId => vars.distinct_id,
                    Var::Seq => return write_num(out, vars.seq),
                    Var::Vu => return write_num(out, vars.vu),
                    Var::Iter => return write_num(out, vars.iter),
                    Var::Index => return write_num(out, vars.index),
                };
                serde_json::to_writer(&mut *out, text).map_err(|e| e.to_string())?;
            }
            Part::Text { name, typed } => {
                let text = self
                    .tera
                    .render(name, ctx)
                    .map_err(|e| format!("template: {}", tera_message(&e)))?;
                if *typed && looks_typed(&text) {
                    out.extend_from_slice(text.trim().as_bytes());
                } else {
                    serde_json::to_writer(&mut *out, &text).map_err(|e| e.to_string())?;
                }
            }
            Part::Object(entries) => {
                out.push(b'{');
                for (i, (k, p)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(k.as_bytes());
                    self.write(out, p, ctx, vars)?;
                }
                out.push(b'}');
            }
            Part::Array(items) => {
                out.push(b'[');
                for (i, p) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.write(out, p, ctx, vars)?;
                }
                out.push(b']');
            }
        }
        Ok(())
    }

    /// Writes one event object. `token` adds `api_key` (single events and arrays carry their
    /// token; batches carry it once). `timestamp` is the event time in RFC 3339; `uuid` its id.
    pub fn render_event(
        &self,
        out: &mut Vec<u8>,
        vars: &EventVars<'_>,
        token: Option<&str>,
        timestamp: &str,
        uuid: Option<&str>,
    ) -> Result<(), String> {
        let ctx = if self.dynamic {
            Self::context(vars)
        } else {
            Context::new()
        };
        out.extend_from_slice(b"{\"event\":");
        self.write(out, &self.name, &ctx, vars)?;
        out.extend_from_slice(b",\"distinct_id\":");
        self.write(out, &self.distinct_id, &ctx, vars)?;
        if let Some(t) = token {
            out.extend_from_slice(b",\"api_key\":");
            serde_json::to_writer(&mut *out, t).map_err(|e| e.to_string())?;
        }
        out.extend_from_slice(b",\"properties\":{");
        for p in &self.properties {
            match p {
                Prop::Raw(raw) => out.extend_from_slice(raw.as_bytes()),
                Prop::Dyn(k, part) => {
                    out.extend_from_slice(k.as_bytes());
                    self.write(out, part, &ctx, vars)?;
                }
            }
            out.push(b',');
        }
        out.extend_from_slice(b"\"");
        out.extend_from_slice(RUN_ID_PROPERTY.as_bytes());
        out.extend_from_slice(b"\":");
        serde_json::to_writer(&mut *out, vars.run_id).map_err(|e| e.to_string())?;
        out.extend_from_slice(b",\"");
        out.extend_from_slice(SEQ_PROPERTY.as_bytes());
        out.extend_from_slice(b"\":");
        out.extend_from_slice(vars.seq.to_string().as_bytes());
        out.push(b'}');
        if self.timestamp {
            out.extend_from_slice(b",\"timestamp\":\"");
            out.extend_from_slice(timestamp.as_bytes());
            out.push(b'"');
        }
        if let Some(u) = uuid {
            out.extend_from_slice(b",\"uuid\":\"");
            out.extend_from_slice(u.as_bytes());
            out.push(b'"');
        }
        out.push(b'}');
        Ok(())
    }
}

fn write_num(out: &mut Vec<u8>, n: u64) -> Result<(), String> {
    out.extend_from_slice(n.to_string().as_bytes());
    Ok(())
}

/// Whether a whole-expression result should be emitted as a JSON number or boolean.
fn looks_typed(text: &str) -> bool {
    let t = text.trim();
    if t == "true" || t == "false" {
        return true;
    }
    // JSON's number grammar: no leading zeros, no leading `+`, no bare `.5`.
    let digits = t.strip_prefix('-').unwrap_or(t);
    let int_part = digits.split(['.', 'e', 'E']).next().unwrap_or("");
    !int_part.is_empty()
        && (int_part == "0" || !int_part.starts_with('0'))
        && serde_json::from_str::<serde_json::Number>(t).is_ok()
}

fn arg_i64(args: &HashMap<String, Value>, k: &str, default: i64) -> tera::Result<i64> {
    match args.get(k) {
        None => Ok(default),
        Some(v) => v
            .as_i64()
            .ok_or_else(|| tera::Error::msg(format!("`{k}` must be an integer, got {v}"))),
    }
}

fn arg_f64(args: &HashMap<String, Value>, k: &str, default: f64) -> tera::Result<f64> {
    match args.get(k) {
        None => Ok(default),
        Some(v) => v
            .as_f64()
            .ok_or_else(|| tera::Error::msg(format!("`{k}` must be a number, got {v}"))),
    }
}

fn register_functions(tera: &mut Tera) {
    tera.register_function("random_int", |args: &HashMap<String, Value>| {
        let min = arg_i64(args, "min", 0)?;
        let max = arg_i64(args, "max", 100)?;
        if max < min {
            return Err(tera::Error::msg("random_int: max is below min"));
        }
        Ok(Value::from(rand::thread_rng().gen_range(min..=max)))
    });
    tera.register_function("random_float", |args: &HashMap<String, Value>| {
        let min = arg_f64(args, "min", 0.0)?;
        let max = arg_f64(args, "max", 1.0)?;
        if max.partial_cmp(&min) != Some(std::cmp::Ordering::Greater) {
            return Err(tera::Error::msg("random_float: max must exceed min"));
        }
        Ok(Value::from(rand::thread_rng().gen_range(min..max)))
    });
    tera.register_function(
        "random_choice",
        |args: &HashMap<String, Value>| match args.get("items") {
            Some(Value::Array(items)) if !items.is_empty() => {
                Ok(items[rand::thread_rng().gen_range(0..items.len())].clone())
            }
            _ => Err(tera::Error::msg(
                "random_choice: give a non-empty list, e.g. random_choice(items=[\"a\", \"b\"])",
            )),
        },
    );
    tera.register_function("random_string", |args: &HashMap<String, Value>| {
        let len = arg_i64(args, "len", 8)?.clamp(0, 1 << 20) as usize;
        let s: String = rand::thread_rng()
            .sample_iter(rand::distributions::Alphanumeric)
            .take(len)
            .map(char::from)
            .collect();
        Ok(Value::from(s))
    });
    tera.register_function("uuid", |_: &HashMap<String, Value>| {
        Ok(Value::from(uuid::Uuid::new_v4().to_string()))
    });
    tera.register_function("uuid7", |_: &HashMap<String, Value>| {
        Ok(Value::from(uuid::Uuid::now_v7().to_string()))
    });
    tera.register_function("now", |_: &HashMap<String, Value>| {
        Ok(Value::from(rfc3339_now()))
    });
    let counters: Arc<Mutex<HashMap<String, Arc<AtomicU64>>>> = Arc::default();
    tera.register_function("sequence", move |args: &HashMap<String, Value>| {
        let name = args
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string();
        let start = arg_i64(args, "start", 0)?.max(0) as u64;
        let counter = counters
            .lock()
            .entry(name)
            .or_insert_with(|| Arc::new(AtomicU64::new(start)))
            .clone();
        Ok(Value::from(counter.fetch_add(1, Ordering::Relaxed)))
    });
}

/// The current time as RFC 3339 with milliseconds, UTC (`2026-11-23T10:00:00.123Z`).
pub fn rfc3339_now() -> String {
    use chrono::{Datelike as _, Timelike as _};
    let t = chrono::Utc::now();
    // Formatted by hand: chrono's strftime parses its pattern on every call, and this runs
    // once per request.
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.timestamp_subsec_millis().min(999)
    )
}

/// A UUIDv7 for now, its random bits from the thread's generator (no system call per id).
pub fn uuid7_now() -> uuid::Uuid {
    let ms = chrono::Utc::now().timestamp_millis().max(0) as u64;
    let bytes: [u8; 10] = rand::thread_rng().gen();
    uuid::Builder::from_unix_timestamp_millis(ms, &bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::yaml::parse_nodes;

    fn compile(src: &str) -> Result<EventTemplate, ConfigError> {
        let docs = parse_nodes(src).unwrap();
        let root = Field::root("s.yaml", &docs[0]);
        let entries = root.entries(&[]).unwrap();
        let get = |k: &str| {
            entries
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, f)| Field::root("s.yaml", f.node()))
        };
        EventTemplate::compile(
            EventSpec {
                name: get("name"),
                distinct_id: None,
                properties: get("properties"),
                pool: 3,
                pool_format: None,
                uuid: false,
                timestamp: false,
            },
            &root,
            "run1",
        )
    }

    fn render(t: &EventTemplate, seq: u64) -> Value {
        let mut out = Vec::new();
        t.render_event(
            &mut out,
            &EventVars {
                run_id: "run1",
                seq,
                distinct_id: &t.pool[1],
                ..Default::default()
            },
            Some("tok"),
            "",
            None,
        )
        .unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn static_and_dynamic_parts() {
        let t = compile(
            "name: '{{ random_choice(items=[\"a\",\"b\"]) }}'\nproperties:\n  plan: pro\n  n: 3\n  price: '{{ random_int(min=5, max=5) }}'\n  label: 'x{{ seq }}'\n  nested: {a: [1, '{{ seq * 2 }}']}\n  id: '{{ uuid() }}'\n",
        )
        .unwrap();
        assert!(t.is_dynamic());
        let e = render(&t, 21);
        assert!(e["event"] == "a" || e["event"] == "b");
        assert_eq!(e["distinct_id"], "charttest-user-1");
        assert_eq!(e["api_key"], "tok");
        let p = &e["properties"];
        assert_eq!(p["plan"], "pro");
        assert_eq!(p["n"], 3);
        assert_eq!(p["price"], 5);
        assert_eq!(p["label"], "x21");
        assert_eq!(p["nested"]["a"][1], 42);
        assert_eq!(p["id"].as_str().unwrap().len(), 36);
        assert_eq!(p[RUN_ID_PROPERTY], "run1");
        assert_eq!(p[SEQ_PROPERTY], 21);
    }

    #[test]
    fn sequence_helper_counts() {
        let t = compile("properties:\n  k: '{{ sequence(name=\"a\", start=10) }}'\n").unwrap();
        // compile renders once.
        assert_eq!(render(&t, 0)["properties"]["k"], 11);
        assert_eq!(render(&t, 0)["properties"]["k"], 12);
    }

    #[test]
    fn errors_name_the_field() {
        let e = compile("properties:\n  a: '{{ oops( }}'\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 6));
        assert!(e.to_string().contains("bad template"), "{e}");
        let e = compile("properties:\n  charttest_seq: 1\n").unwrap_err();
        assert!(e.to_string().contains("set by the load generator"), "{e}");
        let e = compile("properties:\n  a: '{{ nope }}'\n").unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
    }

    #[test]
    fn typed_results() {
        assert!(looks_typed("42"));
        assert!(looks_typed("-1.5e3"));
        assert!(looks_typed("true"));
        assert!(!looks_typed("007"));
        assert!(!looks_typed("1.2.3"));
        assert!(!looks_typed("abc"));
    }
}
