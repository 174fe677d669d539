//! Rename detection: an object that disappears and one of the same kind that appears with
//! (nearly) the same content is a rename, which helm carries out as a delete and a create.
//!
//! The similarity rule: both objects are flattened into sets of `path=value` leaves, with
//! `metadata.name` left out and, inside every string, the object's own name (and the part of
//! it that differs from the other name, as a whole token) replaced by a placeholder, so that
//! labels and references derived from the name do not count as differences. Similarity is
//! the Jaccard index of the two sets (shared leaves over all leaves). A deleted and a created
//! object of the same API group, kind and namespace are paired when their similarity is at
//! least [`THRESHOLD`], best pairs first, each object in at most one pair.

use std::collections::HashSet;

use serde_json::Value as Json;

use super::objects::{ObjKey, Object};

/// The least similarity that makes a delete and a create a rename.
pub const THRESHOLD: f64 = 0.7;

/// A detected rename.
#[derive(Clone, Debug)]
pub struct Rename {
    /// The object that disappears.
    pub old: ObjKey,
    /// The object that takes its place.
    pub new: ObjKey,
    /// Jaccard similarity of the two, in `[THRESHOLD, 1]`.
    pub similarity: f64,
}

/// The part of `a` that differs from `b` after their common prefix and suffix are removed,
/// widened to whole `-`/`.`-separated tokens.
fn differing_part(a: &str, b: &str) -> String {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let sep = |c: u8| matches!(c, b'-' | b'.' | b'_');
    // A cut at byte p of s falls between tokens.
    let boundary = |s: &[u8], p: usize| p == 0 || p == s.len() || sep(s[p - 1]) || sep(s[p]);
    let mut pre = ab.iter().zip(bb).take_while(|(x, y)| x == y).count();
    while pre > 0 && !(boundary(ab, pre) && boundary(bb, pre)) {
        pre -= 1;
    }
    let max_suf = ab.len().min(bb.len()) - pre;
    let mut suf = ab
        .iter()
        .rev()
        .zip(bb.iter().rev())
        .take(max_suf)
        .take_while(|(x, y)| x == y)
        .count();
    while suf > 0 && !(boundary(ab, ab.len() - suf) && boundary(bb, bb.len() - suf)) {
        suf -= 1;
    }
    a.get(pre..a.len() - suf)
        .unwrap_or("")
        .trim_matches(['-', '.', '_'])
        .to_string()
}

/// Replaces whole-token occurrences of `word` in `s` (tokens end at non-alphanumerics).
fn replace_token(s: &str, word: &str, with: &str) -> String {
    if word.is_empty() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut prev: Option<char> = None;
    while let Some(i) = rest.find(word) {
        let before = rest[..i].chars().last().or(prev);
        let after = rest[i + word.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
        out.push_str(&rest[..i]);
        if boundary(before) && boundary(after) {
            out.push_str(with);
        } else {
            out.push_str(word);
        }
        prev = word.chars().last();
        rest = &rest[i + word.len()..];
    }
    out.push_str(rest);
    out
}

/// Each leaf of `obj` as written and normalised: its own name replaced by a placeholder, and
/// the differing parts of both names (whole tokens of three or more characters) by another.
fn leaves(obj: &Object, other_name: &str) -> Vec<(String, String)> {
    let name = obj.key.name.as_str();
    let tokens: Vec<String> = [
        differing_part(name, other_name),
        differing_part(other_name, name),
    ]
    .into_iter()
    .filter(|t| t.len() >= 3)
    .collect();
    let norm = |s: &str| -> String {
        let mut s = s.replace(name, "\u{1}N");
        for t in &tokens {
            s = replace_token(&s, t, "\u{1}D");
        }
        s
    };
    let mut out = Vec::new();
    fn walk(
        v: &Json,
        path: String,
        norm: &dyn Fn(&str) -> String,
        out: &mut Vec<(String, String)>,
    ) {
        match v {
            Json::Object(m) => {
                for (k, v) in m {
                    // Keys are compared as written: they rarely carry the name, and
                    // rewriting tokens in them would hide real differences.
                    let p = format!("{path}/{k}");
                    if p == "/metadata/name" {
                        continue;
                    }
                    walk(v, p, norm, out);
                }
            }
            Json::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    walk(v, format!("{path}/{i}"), norm, out);
                }
            }
            Json::String(s) => out.push((format!("{path}={s}"), format!("{path}={}", norm(s)))),
            other => {
                let l = format!("{path}={other}");
                out.push((l.clone(), l));
            }
        }
    }
    walk(&obj.doc, String::new(), &norm, &mut out);
    out
}

/// The similarity of two objects by the rule in the module docs: a leaf is shared when it is
/// equal as written or equal normalised.
pub fn similarity(a: &Object, b: &Object) -> f64 {
    let la = leaves(a, &b.key.name);
    let lb = leaves(b, &a.key.name);
    let raw: HashSet<&str> = lb.iter().map(|(r, _)| r.as_str()).collect();
    let normed: HashSet<&str> = lb.iter().map(|(_, n)| n.as_str()).collect();
    let shared = la
        .iter()
        .filter(|(r, n)| raw.contains(r.as_str()) || normed.contains(n.as_str()))
        .count();
    let union = la.len() + lb.len() - shared;
    if union == 0 {
        return 1.0;
    }
    shared as f64 / union as f64
}

/// Pairs deleted with created objects into renames.
pub fn detect(deleted: &[&Object], created: &[&Object]) -> Vec<Rename> {
    let mut cands = Vec::new();
    for d in deleted {
        for c in created {
            if d.key.group != c.key.group
                || d.key.kind != c.key.kind
                || d.key.namespace != c.key.namespace
            {
                continue;
            }
            let s = similarity(d, c);
            if s >= THRESHOLD {
                cands.push((s, d.key.clone(), c.key.clone()));
            }
        }
    }
    // Best first; ties by key so the result is deterministic.
    cands.sort_by(|a, b| {
        b.0.partial_cmp(&a.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.1.cmp(&b.1))
            .then_with(|| a.2.cmp(&b.2))
    });
    let mut used_old = HashSet::new();
    let mut used_new = HashSet::new();
    let mut out = Vec::new();
    for (s, o, n) in cands {
        if used_old.contains(&o) || used_new.contains(&n) {
            continue;
        }
        used_old.insert(o.clone());
        used_new.insert(n.clone());
        out.push(Rename {
            old: o,
            new: n,
            similarity: s,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upgrade::objects::{parse_object, Origin};

    fn obj(y: &str) -> Object {
        parse_object(
            y,
            Origin::CrdFile {
                path: "x".into(),
                offset: 0,
            },
            "default",
        )
        .unwrap()
        .unwrap()
    }

    #[test]
    fn differing_parts() {
        assert_eq!(differing_part("rel-web", "rel-frontend"), "web");
        assert_eq!(differing_part("rel-web-v1", "rel-web-v2"), "v1");
        assert_eq!(differing_part("a", "a-b"), "");
        assert_eq!(differing_part("rel-app", "rel-app-postgresql"), "");
        assert_eq!(
            differing_part("rel-app-postgresql", "rel-app"),
            "postgresql"
        );
        assert_eq!(differing_part("rel-apps", "rel-app"), "apps");
        assert_eq!(
            replace_token("app-web web webby", "web", "X"),
            "app-X X webby"
        );
    }

    #[test]
    fn renamed_deployment_is_similar() {
        let a = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: rel-web\n  labels: {app: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx:1}]}\n";
        let b = a.replace("web", "frontend");
        let s = similarity(&obj(a), &obj(&b));
        assert!(s > 0.99, "{s}");
        let c = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: other\nspec:\n  replicas: 3\n  template:\n    spec: {containers: [{name: x, image: redis:7}]}\n";
        assert!(similarity(&obj(a), &obj(c)) < THRESHOLD);
    }
}
