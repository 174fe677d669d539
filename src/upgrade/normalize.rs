//! Semantic equality as the API server sees it: `apiequality.Semantic.DeepEqual` treats nil
//! and empty lists and maps alike and compares quantities by value, and fields the server
//! defaults are the same whether the chart writes the default or leaves it out. Comparing
//! rendered manifests without this would flag harmless edits (adding `volumeMode:
//! Filesystem`, writing `1Gi` as `1024Mi`) as upgrade failures.

use serde_json::{Map, Value as Json};

/// Drops nulls, empty maps and empty lists, recursively (Go's zero values that
/// `Semantic.DeepEqual` does not tell from absent).
pub fn prune(v: &Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let p = prune(v);
                if !is_empty(&p) {
                    out.insert(k.clone(), p);
                }
            }
            Json::Object(out)
        }
        Json::Array(a) => Json::Array(a.iter().map(prune).collect()),
        other => other.clone(),
    }
}

fn is_empty(v: &Json) -> bool {
    match v {
        Json::Null => true,
        Json::Object(m) => m.is_empty(),
        Json::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Whether two values are semantically equal (after [`prune`], numbers by value).
pub fn same(a: Option<&Json>, b: Option<&Json>) -> bool {
    let null = Json::Null;
    let pa = prune(a.unwrap_or(&null));
    let pb = prune(b.unwrap_or(&null));
    eq(&pa, &pb)
}

fn eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| eq(v, w)))
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| eq(v, w))
        }
        (Json::Null, Json::Object(m)) | (Json::Object(m), Json::Null) => m.is_empty(),
        (Json::Null, Json::Array(l)) | (Json::Array(l), Json::Null) => l.is_empty(),
        _ => a == b,
    }
}

/// A string field, with `""` for absent or null.
pub fn str_or_empty(v: Option<&Json>) -> String {
    match v {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A Kubernetes quantity (`10Gi`, `500M`, `1.5`, `100m`, `1e3`) as a number of base units.
pub fn parse_quantity(v: &Json) -> Option<f64> {
    let s = match v {
        Json::Number(n) => return n.as_f64(),
        Json::String(s) => s.trim(),
        _ => return None,
    };
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult = match suffix {
        "" => 1.0,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        e if e.starts_with(['e', 'E']) => 10f64.powi(e[1..].parse::<i32>().ok()?),
        _ => return None,
    };
    Some(n * mult)
}

/// Rewrites every quantity under `resources.requests` / `resources.limits` of `spec` to its
/// value, so `1Gi` equals `1024Mi`.
fn canonical_resources(spec: &mut Json) {
    if let Some(Json::Object(res)) = spec.get_mut("resources") {
        for key in ["requests", "limits"] {
            if let Some(Json::Object(q)) = res.get_mut(key) {
                for v in q.values_mut() {
                    if let Some(n) = parse_quantity(v) {
                        *v = serde_json::Number::from_f64(n)
                            .map(Json::Number)
                            .unwrap_or(Json::Null);
                    }
                }
            }
        }
    }
}

fn default_str(m: &mut Json, key: &str, value: &str) {
    if let Json::Object(o) = m {
        let absent = match o.get(key) {
            None | Some(Json::Null) => true,
            Some(Json::String(s)) => s.is_empty(),
            _ => false,
        };
        if absent {
            o.insert(key.to_string(), Json::String(value.to_string()));
        }
    }
}

/// A PersistentVolumeClaim spec with the server's defaults and canonical quantities.
pub fn pvc_spec(spec: Option<&Json>) -> Json {
    let mut s = prune(spec.unwrap_or(&Json::Null));
    if !s.is_object() {
        s = Json::Object(Map::new());
    }
    default_str(&mut s, "volumeMode", "Filesystem");
    canonical_resources(&mut s);
    s
}

/// A StatefulSet `volumeClaimTemplates` entry, normalised: `apiVersion`, `kind` and
/// `status` dropped (the server ignores them), the spec defaulted.
pub fn claim_template(t: &Json) -> Json {
    let mut out = Map::new();
    if let Some(md) = t.get("metadata") {
        let md = prune(md);
        if !is_empty(&md) {
            out.insert("metadata".into(), md);
        }
    }
    out.insert("spec".into(), pvc_spec(t.get("spec")));
    Json::Object(out)
}

/// `volumeClaimTemplates`, normalised.
pub fn claim_templates(v: Option<&Json>) -> Vec<Json> {
    match v {
        Some(Json::Array(a)) => a.iter().map(claim_template).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities() {
        assert_eq!(
            parse_quantity(&json!("1Gi")),
            parse_quantity(&json!("1024Mi"))
        );
        assert_eq!(parse_quantity(&json!("100m")), Some(0.1));
        assert_eq!(parse_quantity(&json!("1e3")), Some(1000.0));
        assert_eq!(parse_quantity(&json!(5)), Some(5.0));
        assert_eq!(parse_quantity(&json!("5X")), None);
        assert!(parse_quantity(&json!("20Gi")) > parse_quantity(&json!("10Gi")));
    }

    #[test]
    fn empty_is_absent() {
        assert!(same(Some(&json!({"a": [], "b": null})), None));
        assert!(same(Some(&json!({"a": 1})), Some(&json!({"a": 1.0}))));
        assert!(!same(Some(&json!({"a": ""})), None));
    }

    #[test]
    fn defaults_fill_in() {
        let a = claim_template(&json!({
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
        }));
        let b = claim_template(&json!({
            "metadata": {"name": "data"},
            "spec": {"volumeMode": "Filesystem", "accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": "1024Mi"}}}
        }));
        assert_eq!(a, b);
    }
}
