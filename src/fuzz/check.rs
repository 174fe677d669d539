//! What makes a rendered manifest wrong even though the chart rendered: the checks behind
//! [`ManifestCheck`]. The built-in [`StructuralCheck`] needs no Kubernetes schemas: every
//! document is an object with `apiVersion`, `kind` and a valid `metadata.name`, labels and
//! annotations are maps of strings with valid keys and values, no mapping repeats a key, and
//! no object appears twice. A validator against the Kubernetes OpenAPI schemas (lint's) plugs
//! in through the same trait.

use std::collections::BTreeMap;

use serde_json::Value as Json;

/// One rendered document.
#[derive(Debug, Clone, Copy)]
pub struct Doc<'a> {
    /// The template that produced it (`c/templates/x.yaml`).
    pub template: &'a str,
    /// Its text.
    pub text: &'a str,
    /// Its parsed value.
    pub value: &'a Json,
}

/// A problem with a rendered manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// A stable id (`name-invalid`, `duplicate-object`, …).
    pub check: String,
    /// The template it came from.
    pub template: String,
    /// The object's kind.
    pub kind: String,
    /// What is wrong.
    pub message: String,
}

/// A check over a whole rendered release.
pub trait ManifestCheck: Send + Sync {
    /// Every problem in `docs` (all documents of one render, hooks included).
    fn check(&self, docs: &[Doc<'_>]) -> Vec<Problem>;
}

/// The structural checks described in the module docs.
#[derive(Debug, Default, Clone, Copy)]
pub struct StructuralCheck;

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// A label value or the name part of a qualified name: at most 63 characters,
/// alphanumerics, `-`, `_` and `.`, beginning and ending alphanumeric.
fn is_label_token(s: &str) -> bool {
    s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
}

fn is_qualified_name(s: &str) -> bool {
    match s.rsplit_once('/') {
        Some((prefix, name)) => is_dns_subdomain(prefix) && is_label_token(name),
        None => is_label_token(s),
    }
}

/// Kinds whose names must be DNS labels (no dots, at most 63 characters).
const LABEL_NAMED: &[&str] = &["Service", "Namespace"];

fn problem(doc: &Doc<'_>, check: &str, message: String) -> Problem {
    Problem {
        check: check.into(),
        template: doc.template.into(),
        kind: doc
            .value
            .get("kind")
            .and_then(Json::as_str)
            .unwrap_or("")
            .into(),
        message,
    }
}

fn duplicate_keys(node: &crate::engine::yaml::Node, out: &mut Vec<String>) {
    use crate::engine::yaml::NodeKind;
    match &node.kind {
        NodeKind::Mapping(entries) => {
            for (k, _) in node.duplicate_keys() {
                out.push(format!(
                    "key {:?} appears twice in one mapping (line {})",
                    k.as_scalar().unwrap_or(""),
                    k.line
                ));
            }
            for (_, v) in entries {
                duplicate_keys(v, out);
            }
        }
        NodeKind::Sequence(items) => {
            for i in items {
                duplicate_keys(i, out);
            }
        }
        _ => {}
    }
}

fn check_string_map(doc: &Doc<'_>, field: &str, labels: bool, out: &mut Vec<Problem>) {
    let Some(v) = doc.value.get("metadata").and_then(|m| m.get(field)) else {
        return;
    };
    let m = match v {
        Json::Null => return,
        Json::Object(m) => m,
        other => {
            out.push(problem(
                doc,
                "metadata-not-a-map",
                format!("metadata.{field} must be a map of strings, got {other}"),
            ));
            return;
        }
    };
    for (k, v) in m {
        if !is_qualified_name(k) {
            out.push(problem(
                doc,
                "label-key-invalid",
                format!("metadata.{field} key {k:?} is not a valid qualified name"),
            ));
        }
        match v {
            Json::String(s) if labels && !s.is_empty() && !is_label_token(s) => out.push(problem(
                doc,
                "label-value-invalid",
                format!("label {k} value {s:?} is not a valid label value (at most 63 characters: alphanumerics, '-', '_', '.')"),
            )),
            Json::String(_) => {}
            other => out.push(problem(
                doc,
                "metadata-not-a-string",
                format!("metadata.{field}.{k} must be a string, got {other}"),
            )),
        }
    }
}

impl ManifestCheck for StructuralCheck {
    fn check(&self, docs: &[Doc<'_>]) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut seen: BTreeMap<(String, String, String, String), &str> = BTreeMap::new();
        for doc in docs {
            let Json::Object(m) = doc.value else {
                out.push(problem(
                    doc,
                    "not-an-object",
                    format!("the document is not a mapping: {}", doc.value),
                ));
                continue;
            };
            if let Ok(nodes) = crate::engine::yaml::parse_nodes(doc.text) {
                let mut dups = Vec::new();
                for n in &nodes {
                    duplicate_keys(n, &mut dups);
                }
                for d in dups {
                    out.push(problem(doc, "duplicate-key", d));
                }
            }
            let text = |k: &str| m.get(k).and_then(Json::as_str).unwrap_or("").to_string();
            let (api, kind) = (text("apiVersion"), text("kind"));
            if api.is_empty() || kind.is_empty() {
                out.push(problem(
                    doc,
                    "missing-type",
                    "apiVersion and kind must be non-empty strings".into(),
                ));
                continue;
            }
            let md = m.get("metadata");
            let name = md
                .and_then(|x| x.get("name"))
                .and_then(Json::as_str)
                .unwrap_or("");
            let generate = md
                .and_then(|x| x.get("generateName"))
                .and_then(Json::as_str)
                .is_some();
            if name.is_empty() && !generate {
                out.push(problem(
                    doc,
                    "name-missing",
                    "metadata.name is empty".into(),
                ));
            } else if !name.is_empty() {
                let ok = if LABEL_NAMED.contains(&kind.as_str()) {
                    is_dns_label(name)
                } else {
                    is_dns_subdomain(name)
                };
                if !ok {
                    out.push(problem(
                        doc,
                        "name-invalid",
                        format!(
                            "metadata.name {name:?} is not a valid {} (lower-case alphanumerics and '-'{}, at most {} characters)",
                            if LABEL_NAMED.contains(&kind.as_str()) { "DNS-1035 label" } else { "DNS-1123 subdomain" },
                            if LABEL_NAMED.contains(&kind.as_str()) { "" } else { " and '.'" },
                            if LABEL_NAMED.contains(&kind.as_str()) { 63 } else { 253 },
                        ),
                    ));
                }
            }
            check_string_map(doc, "labels", true, &mut out);
            check_string_map(doc, "annotations", false, &mut out);
            let ns = md
                .and_then(|x| x.get("namespace"))
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string();
            let group = api
                .rsplit_once('/')
                .map(|(g, _)| g)
                .unwrap_or("")
                .to_string();
            if !name.is_empty() {
                let key = (group, kind.clone(), ns, name.to_string());
                if let Some(first) = seen.get(&key) {
                    out.push(problem(
                        doc,
                        "duplicate-object",
                        format!(
                            "{kind} {name:?} is rendered twice (also by {first}); the install fails with \"already exists\""
                        ),
                    ));
                } else {
                    seen.insert(key, doc.template);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(text: &str) -> Vec<String> {
        let v = crate::chart::schema::to_json(&crate::engine::yaml::parse(text).unwrap());
        let d = Doc {
            template: "c/templates/x.yaml",
            text,
            value: &v,
        };
        StructuralCheck
            .check(&[d, d])
            .into_iter()
            .map(|p| p.check)
            .collect()
    }

    #[test]
    fn names_labels_duplicates() {
        assert_eq!(
            run("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n"),
            ["duplicate-object"]
        );
        assert!(
            run("apiVersion: v1\nkind: Service\nmetadata:\n  name: Bad_Name\n")
                .contains(&"name-invalid".to_string())
        );
        assert!(run(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    a: \"x y\"\n"
        )
        .contains(&"label-value-invalid".to_string()));
        assert!(
            run("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: map[a:b]\n")
                .contains(&"metadata-not-a-map".to_string())
        );
        assert!(
            run("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec: {a: 1, a: 2}\n")
                .contains(&"duplicate-key".to_string())
        );
        assert!(is_qualified_name("app.kubernetes.io/name"));
        assert!(!is_qualified_name("-x"));
        let _ = json!(null);
    }
}
