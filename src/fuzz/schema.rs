//! Read access to a chart's `values.schema.json` for generation: `$ref`s resolved within the
//! document, `allOf` merged into one view, type lists read.

use serde_json::{Map, Value as Json};

/// A JSON schema document, with its root for resolving local `$ref`s.
#[derive(Debug, Clone)]
pub struct Schema {
    root: Json,
}

/// How deep `$ref` chains and `allOf` merges are followed before giving up (cycles).
const MAX_REF_DEPTH: usize = 32;

impl Schema {
    /// Wraps a parsed schema.
    pub fn new(root: Json) -> Schema {
        Schema { root }
    }

    /// The root schema.
    pub fn root(&self) -> &Json {
        &self.root
    }

    /// Follows `$ref` (`#`, `#/definitions/x`, `#/$defs/x`, any local JSON pointer) until a
    /// schema without one. Remote refs resolve to `true` (anything).
    pub fn resolve<'a>(&'a self, mut s: &'a Json) -> &'a Json {
        static ANY: Json = Json::Bool(true);
        for _ in 0..MAX_REF_DEPTH {
            let Some(r) = s.get("$ref").and_then(Json::as_str) else {
                return s;
            };
            let Some(ptr) = r.strip_prefix('#') else {
                return &ANY;
            };
            let ptr = percent_decode(ptr);
            match self.root.pointer(&ptr) {
                Some(t) => s = t,
                None => return &ANY,
            }
        }
        s
    }

    /// The schema with `$ref`s resolved and `allOf` members merged in (properties, required,
    /// type, bounds; the first value of a keyword wins, except properties and required, which
    /// are united).
    pub fn view(&self, s: &Json) -> Json {
        self.view_depth(s, 0)
    }

    fn view_depth(&self, s: &Json, depth: usize) -> Json {
        let s = self.resolve(s);
        let Json::Object(m) = s else {
            return s.clone();
        };
        let mut out: Map<String, Json> = m.clone();
        out.remove("$ref");
        let Some(Json::Array(all)) = out.remove("allOf") else {
            return Json::Object(out);
        };
        if depth > MAX_REF_DEPTH {
            return Json::Object(out);
        }
        for member in all {
            let Json::Object(mv) = self.view_depth(&member, depth + 1) else {
                continue;
            };
            for (k, v) in mv {
                match (k.as_str(), out.get_mut(&k)) {
                    ("properties", Some(Json::Object(p))) => {
                        if let Json::Object(vp) = v {
                            for (pk, pv) in vp {
                                p.entry(pk).or_insert(pv);
                            }
                        }
                    }
                    ("required", Some(Json::Array(r))) => {
                        if let Json::Array(vr) = v {
                            for x in vr {
                                if !r.contains(&x) {
                                    r.push(x);
                                }
                            }
                        }
                    }
                    (_, Some(_)) => {}
                    (_, None) => {
                        out.insert(k, v);
                    }
                }
            }
        }
        Json::Object(out)
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The types a schema allows (`type` as a string or list); empty when unconstrained. An
/// `integer` schema also lists nothing else; a missing `type` with `properties` is `object`.
pub fn types(s: &Json) -> Vec<String> {
    match s.get("type") {
        Some(Json::String(t)) => vec![t.clone()],
        Some(Json::Array(a)) => a
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_string)
            .collect(),
        _ if s.get("properties").is_some() || s.get("additionalProperties").is_some() => {
            vec!["object".into()]
        }
        _ if s.get("items").is_some() => vec!["array".into()],
        _ => Vec::new(),
    }
}

/// The `required` property names of an object schema.
pub fn required(s: &Json) -> Vec<String> {
    match s.get("required") {
        Some(Json::Array(a)) => a
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// A numeric keyword.
pub fn num(s: &Json, key: &str) -> Option<f64> {
    s.get(key).and_then(Json::as_f64)
}

/// An unsigned keyword (`minLength`, `maxItems`, …).
pub fn count(s: &Json, key: &str) -> Option<usize> {
    s.get(key).and_then(Json::as_u64).map(|n| n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refs_and_all_of() {
        let s = Schema::new(json!({
            "definitions": {"port": {"type": "integer", "minimum": 1}},
            "properties": {
                "p": {"$ref": "#/definitions/port"},
                "q": {"allOf": [{"properties": {"a": {"type": "string"}}, "required": ["a"]},
                                  {"properties": {"b": {"type": "boolean"}}}]}
            }
        }));
        let p = s.resolve(&s.root()["properties"]["p"]);
        assert_eq!(p["minimum"], 1);
        let q = s.view(&s.root()["properties"]["q"]);
        assert!(q["properties"].get("a").is_some() && q["properties"].get("b").is_some());
        assert_eq!(required(&q), ["a"]);
        assert_eq!(types(&q), ["object"]);
    }

    #[test]
    fn cyclic_refs_end() {
        let s = Schema::new(json!({"$ref": "#"}));
        let _ = s.resolve(s.root());
        let _ = s.view(s.root());
    }
}
