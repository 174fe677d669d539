//! Values generation from a schema.
//!
//! [`plan`] walks the schema once and lists, for every path it describes, the *interesting*
//! values: every enum member and `const`, both booleans, numeric bounds and their neighbours,
//! empty, shortest, longest and pattern-built strings, empty and full lists, objects with
//! only their required properties, and "absent" (`null`, which removes the key from the
//! chart's defaults as it does in helm) for optional properties. `oneOf`/`anyOf` branches are
//! each walked. A run applies a few of these [`Mutation`]s on top of the chart's defaults;
//! [`random_value`] builds whole random values for objects and list items.

use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Map, Value as Json};

use super::regexgen::{self, Size};
use super::schema::{count, num, required, types, Schema};

/// A change to the values: set `path` (keys from the root) to `value`; `null` removes it.
pub type Mutation = (Vec<String>, Json);

/// Every path the schema describes with its interesting values.
#[derive(Debug, Default, Clone)]
pub struct Plan {
    /// Paths with at least one value, in schema order.
    pub leaves: Vec<(Vec<String>, Vec<Json>)>,
    /// Paths of object schemas (the root included), for focused runs.
    pub objects: Vec<Vec<String>>,
    /// Boolean paths that look like feature switches (`enabled`, `create`, …).
    pub flags: Vec<Vec<String>>,
}

impl Plan {
    /// Every (path, value) pair, in order.
    pub fn singles(&self) -> Vec<Mutation> {
        self.leaves
            .iter()
            .flat_map(|(p, vs)| vs.iter().map(move |v| (p.clone(), v.clone())))
            .collect()
    }

    fn add(&mut self, path: &[String], values: Vec<Json>) {
        if values.is_empty() {
            return;
        }
        if let Some((_, vs)) = self.leaves.iter_mut().find(|(p, _)| p == path) {
            for v in values {
                if !vs.contains(&v) {
                    vs.push(v);
                }
            }
        } else {
            let mut uniq: Vec<Json> = Vec::new();
            for v in values {
                if !uniq.contains(&v) {
                    uniq.push(v);
                }
            }
            self.leaves.push((path.to_vec(), uniq));
        }
    }
}

/// How deep the schema is walked.
const MAX_DEPTH: usize = 10;

const FLAG_NAMES: &[&str] = &["enabled", "enable", "create", "install", "deploy"];

/// Walks the schema and lists the interesting values of every path. With `removals`,
/// optional properties are also removed (`null`), which finds templates relying on defaults
/// the schema does not require.
pub fn plan<R: Rng>(schema: &Schema, removals: bool, rng: &mut R) -> Plan {
    let mut p = Plan::default();
    walk(schema, schema.root(), &[], true, 0, &mut p, rng);
    if !removals {
        for (_, vs) in &mut p.leaves {
            vs.retain(|v| !v.is_null());
        }
        p.leaves.retain(|(_, vs)| !vs.is_empty());
    }
    p
}

fn walk<R: Rng>(
    schema: &Schema,
    s: &Json,
    path: &[String],
    required_here: bool,
    depth: usize,
    plan: &mut Plan,
    rng: &mut R,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let v = schema.view(s);
    let mut own: Vec<Json> = Vec::new();
    if !required_here && !path.is_empty() {
        own.push(Json::Null);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Json::Array(branches)) = v.get(key) {
            for b in branches {
                walk(schema, b, path, required_here, depth + 1, plan, rng);
            }
        }
    }
    let ts = types(&v);
    if let Some(Json::Array(e)) = v.get("enum") {
        own.extend(e.iter().cloned());
    } else if let Some(c) = v.get("const") {
        own.push(c.clone());
    } else if ts.iter().any(|t| t == "object") && v.get("properties").is_some() {
        plan.objects.push(path.to_vec());
        if !path.is_empty() {
            own.push(minimal_object(schema, &v, rng));
        }
        let req = required(&v);
        if let Some(Json::Object(props)) = v.get("properties") {
            for (k, sub) in props {
                let mut p = path.to_vec();
                p.push(k.clone());
                walk(schema, sub, &p, req.contains(k), depth + 1, plan, rng);
            }
        }
    } else {
        for t in &ts {
            own.extend(interesting(schema, &v, t, rng));
        }
        if ts.iter().any(|t| t == "boolean")
            && path
                .last()
                .is_some_and(|k| FLAG_NAMES.contains(&k.to_ascii_lowercase().as_str()))
        {
            plan.flags.push(path.to_vec());
        }
    }
    if !path.is_empty() {
        plan.add(path, own);
    }
}

/// An object with its required properties only.
fn minimal_object<R: Rng>(schema: &Schema, v: &Json, rng: &mut R) -> Json {
    let mut m = Map::new();
    let req = required(v);
    if let Some(Json::Object(props)) = v.get("properties") {
        for k in req {
            if let Some(sub) = props.get(&k) {
                m.insert(k.clone(), random_value(schema, sub, rng, 1, 0.0));
            }
        }
    }
    Json::Object(m)
}

fn int_json(n: f64) -> Json {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// Bounds of a numeric schema as an inclusive range (exclusive bounds moved inwards by
/// `step`), both draft-4 boolean and draft-6 numeric `exclusive*` forms.
fn bounds(v: &Json, step: f64) -> (Option<f64>, Option<f64>) {
    let mut lo = num(v, "minimum");
    let mut hi = num(v, "maximum");
    match v.get("exclusiveMinimum") {
        Some(Json::Bool(true)) => lo = lo.map(|x| x + step),
        Some(Json::Number(n)) => lo = n.as_f64().map(|x| x + step),
        _ => {}
    }
    match v.get("exclusiveMaximum") {
        Some(Json::Bool(true)) => hi = hi.map(|x| x - step),
        Some(Json::Number(n)) => hi = n.as_f64().map(|x| x - step),
        _ => {}
    }
    (lo, hi)
}

fn in_range(x: f64, lo: Option<f64>, hi: Option<f64>, multiple: Option<f64>) -> bool {
    lo.is_none_or(|l| x >= l)
        && hi.is_none_or(|h| x <= h)
        && multiple.is_none_or(|m| m <= 0.0 || (x / m).fract().abs() < 1e-9)
}

/// Well-formed examples for common `format`s.
fn format_example(f: &str) -> Option<&'static str> {
    Some(match f {
        "date-time" => "2024-01-02T03:04:05Z",
        "date" => "2024-01-02",
        "time" => "03:04:05Z",
        "email" => "user@example.com",
        "hostname" | "idn-hostname" => "host.example.com",
        "ipv4" => "10.0.0.1",
        "ipv6" => "fd00::1",
        "uri" | "iri" | "url" => "https://example.com/path",
        "uri-reference" => "/path",
        "uuid" => "123e4567-e89b-12d3-a456-426614174000",
        "duration" => "P1D",
        _ => return None,
    })
}

/// Strings users type that templates often mishandle: words YAML reads as other types,
/// spaces, upper case, punctuation.
const TRICKY: &[&str] = &["true", "0", "1.5", "null", "Hello World", "a:b", "x-y_z.W"];

fn fit_length(s: &str, min: usize, max: Option<usize>) -> String {
    let mut s: String = s.to_string();
    while s.chars().count() < min {
        s.push('a');
    }
    if let Some(m) = max {
        s = s.chars().take(m).collect();
    }
    s
}

fn interesting<R: Rng>(schema: &Schema, v: &Json, t: &str, rng: &mut R) -> Vec<Json> {
    match t {
        "boolean" => vec![json!(true), json!(false)],
        "null" => vec![Json::Null],
        "integer" | "number" => {
            let step = if t == "integer" { 1.0 } else { 0.5 };
            let (lo, hi) = bounds(v, if t == "integer" { 1.0 } else { 1e-6 });
            let lo_i = lo.map(|l| if t == "integer" { l.ceil() } else { l });
            let hi_i = hi.map(|h| if t == "integer" { h.floor() } else { h });
            let mult = num(v, "multipleOf");
            let mut cands = vec![0.0, 1.0, -1.0, 2.0];
            if let Some(l) = lo_i {
                cands.extend([l, l + step]);
            }
            if let Some(h) = hi_i {
                cands.extend([h, h - step]);
            }
            if lo_i.is_none() {
                cands.push(-1000.0);
            }
            if hi_i.is_none() {
                cands.push(100.0);
            }
            if let Some(m) = mult {
                cands.extend([m, m * 2.0]);
            }
            if t == "number" {
                cands.push(0.5);
            }
            cands
                .into_iter()
                .filter(|x| in_range(*x, lo_i, hi_i, mult))
                .map(int_json)
                .collect()
        }
        "string" => {
            let min = count(v, "minLength").unwrap_or(0);
            let max = count(v, "maxLength");
            let mut out = Vec::new();
            if let Some(p) = v.get("pattern").and_then(Json::as_str) {
                let cap = max.unwrap_or(64).min(1024);
                for size in [
                    Size::Shortest,
                    Size::Longest(cap),
                    Size::Random,
                    Size::Random,
                ] {
                    if let Some(s) = regexgen::generate(p, size, rng) {
                        out.push(Json::String(s));
                    }
                }
                return out;
            }
            if let Some(f) = v
                .get("format")
                .and_then(Json::as_str)
                .and_then(format_example)
            {
                return vec![Json::String(f.into())];
            }
            out.push(Json::String(fit_length("", min, max)));
            out.push(Json::String(fit_length("value", min, max)));
            if let Some(m) = max.filter(|m| *m <= 1024) {
                out.push(Json::String("x".repeat(m)));
            } else {
                out.push(Json::String(fit_length(&"long".repeat(20), min, max)));
            }
            for w in TRICKY {
                out.push(Json::String(fit_length(w, min, max)));
            }
            out
        }
        "array" => {
            let item = v.get("items").cloned().unwrap_or(Json::Bool(true));
            let min = count(v, "minItems").unwrap_or(0);
            let max = count(v, "maxItems");
            let list = |n: usize, rng: &mut R| -> Json {
                Json::Array(
                    (0..n)
                        .map(|_| random_value(schema, &item, rng, 1, 0.5))
                        .collect(),
                )
            };
            let mut out = vec![list(min, rng)];
            out.push(list(min.max(1), rng));
            out.push(list(min.max(1), rng));
            let big = max.unwrap_or(3).min(min + 3).max(min);
            out.push(list(big, rng));
            out.retain(|l| max.is_none_or(|m| l.as_array().is_some_and(|a| a.len() <= m)));
            out
        }
        "object" => {
            let mut out = vec![json!({})];
            if let Some(addl) = v.get("additionalProperties").filter(|a| a.is_object()) {
                out.push(json!({ "example.com/key": random_value(schema, addl, rng, 1, 0.5) }));
            } else if v.get("additionalProperties") != Some(&Json::Bool(false)) {
                out.push(json!({"key": "value"}));
            }
            out
        }
        _ => Vec::new(),
    }
}

/// Nodes one random value may have beyond what its schema requires, so values of wide,
/// deep schemas stay the size a user writes.
const NODE_BUDGET: usize = 64;

/// A random value valid for `s` (as far as generation can tell: `not`, `if` and formats
/// other than the common ones are left to validation). Optional properties are included
/// with probability `p_optional`, until the value has [`NODE_BUDGET`] nodes.
pub fn random_value<R: Rng>(
    schema: &Schema,
    s: &Json,
    rng: &mut R,
    depth: usize,
    p_optional: f64,
) -> Json {
    let mut budget = NODE_BUDGET;
    random_inner(schema, s, rng, depth, p_optional, &mut budget)
}

fn random_inner<R: Rng>(
    schema: &Schema,
    s: &Json,
    rng: &mut R,
    depth: usize,
    p_optional: f64,
    budget: &mut usize,
) -> Json {
    *budget = budget.saturating_sub(1);
    let p_optional = if *budget == 0 { 0.0 } else { p_optional };
    let v = schema.view(s);
    if depth > MAX_DEPTH {
        return Json::Null;
    }
    if let Some(Json::Array(e)) = v.get("enum") {
        return e.choose(rng).cloned().unwrap_or(Json::Null);
    }
    if let Some(c) = v.get("const") {
        return c.clone();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Json::Array(branches)) = v.get(key) {
            if let Some(b) = branches.choose(rng) {
                return random_inner(schema, b, rng, depth + 1, p_optional, budget);
            }
        }
    }
    let ts = types(&v);
    let t = ts.choose(rng).cloned().unwrap_or_else(|| "string".into());
    match t.as_str() {
        "object" => {
            let mut m = Map::new();
            let req = required(&v);
            if let Some(Json::Object(props)) = v.get("properties") {
                for (k, sub) in props {
                    if req.contains(k) || rng.gen_bool(p_optional.clamp(0.0, 1.0)) {
                        m.insert(
                            k.clone(),
                            random_inner(schema, sub, rng, depth + 1, p_optional, budget),
                        );
                    }
                }
            }
            if let Some(addl) = v.get("additionalProperties").filter(|a| a.is_object()) {
                if v.get("properties").is_none() && *budget > 0 && rng.gen_bool(0.5) {
                    m.insert(
                        format!("key{}", rng.gen_range(0..10)),
                        random_inner(schema, addl, rng, depth + 1, p_optional, budget),
                    );
                }
            }
            Json::Object(m)
        }
        "array" => {
            let item = v.get("items").cloned().unwrap_or(Json::Bool(true));
            let min = count(&v, "minItems").unwrap_or(0);
            let extra = if *budget == 0 { 0 } else { 3 };
            let max = count(&v, "maxItems")
                .unwrap_or(min + extra)
                .min(min + extra);
            let n = rng.gen_range(min..=max.max(min));
            Json::Array(
                (0..n)
                    .map(|_| random_inner(schema, &item, rng, depth + 1, p_optional, budget))
                    .collect(),
            )
        }
        "boolean" => json!(rng.gen_bool(0.5)),
        "null" => Json::Null,
        "integer" | "number" => {
            let c = interesting(schema, &v, &t, rng);
            c.choose(rng).cloned().unwrap_or(json!(0))
        }
        _ => {
            let c = interesting(schema, &v, "string", rng);
            c.choose(rng).cloned().unwrap_or(json!("value"))
        }
    }
}

/// Sets `path` in `root` to `value`, creating (or replacing non-object) parents.
pub fn set_path(root: &mut Json, path: &[String], value: Json) {
    if path.is_empty() {
        *root = value;
        return;
    }
    if !root.is_object() {
        *root = Json::Object(Map::new());
    }
    let Json::Object(m) = root else {
        return;
    };
    if path.len() == 1 {
        m.insert(path[0].clone(), value);
        return;
    }
    let child = m
        .entry(path[0].clone())
        .or_insert_with(|| Json::Object(Map::new()));
    set_path(child, &path[1..], value);
}

/// The user values a list of mutations amounts to (later mutations win).
pub fn overlay(base: &Json, muts: &[Mutation]) -> Json {
    let mut root = if base.is_object() {
        base.clone()
    } else {
        Json::Object(Map::new())
    };
    for (p, v) in muts {
        set_path(&mut root, p, v.clone());
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn plan_reaches_enums_bounds_and_absence() {
        let s = Schema::new(json!({
            "type": "object",
            "required": ["mode"],
            "properties": {
                "mode": {"enum": ["a", "b", "c"]},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 5},
                "ingress": {"type": "object", "properties": {
                    "enabled": {"type": "boolean"},
                    "hosts": {"type": "array", "items": {"type": "string"}}
                }},
                "name": {"type": "string", "pattern": "^[a-z]{2,4}$"}
            }
        }));
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let p = plan(&s, true, &mut rng);
        let get = |k: &[&str]| {
            p.leaves
                .iter()
                .find(|(path, _)| path.iter().map(String::as_str).eq(k.iter().copied()))
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get(&["mode"]), vec![json!("a"), json!("b"), json!("c")]);
        let r = get(&["replicas"]);
        assert!(r.contains(&json!(1)) && r.contains(&json!(5)) && r.contains(&Json::Null));
        assert!(!r.contains(&json!(0)) && !r.contains(&json!(6)));
        assert!(get(&["ingress", "hosts"]).contains(&json!([])));
        assert!(p
            .flags
            .contains(&vec!["ingress".to_string(), "enabled".to_string()]));
        let re = regex::Regex::new("^[a-z]{2,4}$").unwrap();
        for v in get(&["name"]).iter().filter(|v| !v.is_null()) {
            assert!(re.is_match(v.as_str().unwrap()), "{v}");
        }
    }

    #[test]
    fn overlay_sets_nested_paths() {
        let o = overlay(
            &json!({"a": 1}),
            &[
                (vec!["b".into(), "c".into()], json!(2)),
                (vec!["a".into()], Json::Null),
            ],
        );
        assert_eq!(o, json!({"a": null, "b": {"c": 2}}));
    }
}
