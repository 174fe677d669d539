//! helm's manifest handling after rendering: splitting files into documents, reading each
//! document's head, separating hooks, and the install-order sort.

use std::collections::BTreeMap;

use crate::engine::value::Value;

/// A rendered document, with the head fields helm reads.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The template path that produced it (`c/templates/deploy.yaml`).
    pub path: String,
    /// The document text, trimmed.
    pub content: String,
    /// `kind`, or empty.
    pub kind: String,
    /// `apiVersion`, or empty.
    pub api_version: String,
    /// `metadata.name`, or empty.
    pub name: String,
    /// For hooks: the events (`pre-install`, `test`, …) and the weight.
    pub hook: Option<Hook>,
}

/// A hook's annotations.
#[derive(Clone, Debug)]
pub struct Hook {
    /// The events, lower-cased.
    pub events: Vec<String>,
    /// `helm.sh/hook-weight`, 0 when absent or not a number.
    pub weight: i64,
}

impl Hook {
    /// Whether this is a `helm test` hook.
    pub fn is_test(&self) -> bool {
        self.events.iter().any(|e| e == "test")
    }
}

/// helm's install order of kinds; unknown kinds sort after these, alphabetically.
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

const HOOK_EVENTS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
];

/// helm's `SplitManifests`: the documents of a rendered file, trimmed, empty ones dropped.
///
/// helm splits on the regex `(?:^|\s*\n)---\s*` (`\s` taken as Unicode white space, as this
/// crate always has); this is that split by hand, compiling no regex: a separator is `---` at
/// the start of the text, or a line break followed by `---`, together with the white space run
/// around it.
pub fn split_manifests(big: &str) -> Vec<String> {
    let text = big.trim();
    let mut out = Vec::new();
    let mut push = |doc: &str| {
        if !doc.is_empty() {
            out.push(doc.trim().to_string());
        }
    };
    // `from`: where the current document starts (the end of the last separator).
    let mut from = 0;
    if let Some(rest) = text.strip_prefix("---") {
        from = 3 + white_len(rest);
    }
    while let Some(found) = text[from..].find("\n---") {
        let nl = from + found;
        // The separator takes the white space before its line break (leftmost match).
        let start = from
            + text[from..nl]
                .char_indices()
                .rev()
                .take_while(|(_, c)| c.is_whitespace())
                .last()
                .map_or(nl - from, |(i, _)| i);
        push(&text[from..start]);
        let after = nl + 4;
        from = after + white_len(&text[after..]);
    }
    push(&text[from..]);
    out
}

/// The byte length of the white space that starts `s`.
fn white_len(s: &str) -> usize {
    s.find(|c: char| !c.is_whitespace()).unwrap_or(s.len())
}

/// A string field of a document head. sigs.k8s.io/yaml turns scalars into strings when the
/// target field is a string, so numbers and booleans are accepted as their text.
fn head_str(v: Option<Value>) -> String {
    match v {
        Some(Value::String(s)) => s.to_string(),
        Some(Value::Nil) | Some(Value::Missing) | None => String::new(),
        Some(Value::Float(f)) => {
            crate::engine::format::format_float(f, crate::engine::format::FloatFmt::Json)
        }
        Some(other) => other.format_v(),
    }
}

/// Parses a document's head, with helm's error text for documents that are not objects.
fn parse_head(
    path: &str,
    doc: &str,
) -> Result<(String, String, String, BTreeMap<String, String>), String> {
    // Only the head is built; the rest of the document is still read, so it fails as helm's
    // full unmarshal does.
    let v = crate::engine::yaml::parse_head(doc)
        .map_err(|e| format!("YAML parse error on {path}: {e}"))?;
    let m = match &v {
        Value::Map(_, m) => m.clone(),
        Value::Nil | Value::Missing => return Ok(Default::default()),
        Value::List(..) => {
            return Err(format!(
                "YAML parse error on {path}: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type util.SimpleHead"
            ))
        }
        Value::String(_) => {
            return Err(format!(
                "YAML parse error on {path}: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type util.SimpleHead"
            ))
        }
        Value::Bool(_) => {
            return Err(format!(
                "YAML parse error on {path}: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal bool into Go value of type util.SimpleHead"
            ))
        }
        _ => {
            return Err(format!(
                "YAML parse error on {path}: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go value of type util.SimpleHead"
            ))
        }
    };
    let kind = head_str(m.get("kind"));
    let api = head_str(m.get("apiVersion"));
    let mut name = String::new();
    let mut annotations = BTreeMap::new();
    if let Some(Value::Map(_, meta)) = m.get("metadata") {
        name = head_str(meta.get("name"));
        if let Some(Value::Map(_, ann)) = meta.get("annotations") {
            for (k, v) in ann.entries() {
                annotations.insert(k, head_str(Some(v)));
            }
        }
    }
    Ok((kind, api, name, annotations))
}

/// helm's `SortManifests`: every document of every non-partial file, hooks separated, both
/// lists stable-sorted by install order of kind. Files are visited in sorted path order.
pub fn sort_manifests(
    files: &BTreeMap<String, String>,
) -> Result<(Vec<Manifest>, Vec<Manifest>), String> {
    let mut hooks = Vec::new();
    let mut generic = Vec::new();
    let mut docs: Vec<(&String, String)> = Vec::new();
    for (path, content) in files {
        let base = path.rsplit('/').next().unwrap_or(path);
        if base.starts_with('_') || content.trim().is_empty() {
            continue;
        }
        docs.extend(split_manifests(content).into_iter().map(|d| (path, d)));
    }
    // Reading each document's head is a full YAML parse: the costliest step of assembly.
    let work: usize = docs.iter().map(|(_, d)| d.len()).sum();
    let heads =
        crate::par::map_ordered(&docs, work, 64 * 1024, |(path, doc)| parse_head(path, doc));
    for ((path, doc), head) in docs.into_iter().zip(heads) {
        let (kind, api_version, name, ann) = head?;
        let mut m = Manifest {
            path: path.clone(),
            content: doc,
            kind,
            api_version,
            name,
            hook: None,
        };
        let Some(types) = ann.get("helm.sh/hook") else {
            generic.push(m);
            continue;
        };
        let weight = ann
            .get("helm.sh/hook-weight")
            .and_then(|w| w.parse::<i64>().ok())
            .unwrap_or(0);
        let mut events = Vec::new();
        let mut unknown = false;
        for t in types.split(',') {
            let t = t.trim().to_lowercase();
            if !HOOK_EVENTS.contains(&t.as_str()) {
                unknown = true;
                break;
            }
            events.push(if t == "test-success" {
                "test".to_string()
            } else {
                t
            });
        }
        if unknown {
            // helm drops hooks with an unknown event, silently.
            continue;
        }
        m.hook = Some(Hook { events, weight });
        hooks.push(m);
    }
    sort_by_kind(&mut hooks);
    sort_by_kind(&mut generic);
    Ok((hooks, generic))
}

fn sort_by_kind(list: &mut [Manifest]) {
    let rank = |k: &str| INSTALL_ORDER.iter().position(|o| *o == k);
    list.sort_by(|a, b| match (rank(&a.kind), rank(&b.kind)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.kind.cmp(&b.kind),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_helm() {
        assert_eq!(split_manifests("a: 1\n---\nb: 2\n"), vec!["a: 1", "b: 2"]);
        assert_eq!(split_manifests("---\na: 1"), vec!["a: 1"]);
        // "---\n\n---\n<doc>": the separator consumes the blank line and the next "---"
        // keeps its literal text, as helm's regex does.
        assert_eq!(split_manifests("---\n\n---\nkind: A"), vec!["---\nkind: A"]);
    }

    /// helm's regex split, as this crate did it before the hand-written one.
    fn regex_split(sep: &regex::Regex, big: &str) -> Vec<String> {
        sep.split(big.trim())
            .filter(|d| !d.is_empty())
            .map(|d| d.trim().to_string())
            .collect()
    }

    #[test]
    fn split_matches_the_regex() {
        let pieces = [
            "---", "\n", " ", "\u{a0}", "\u{2028}", "a", "kind: A", "-", "--", "----", "\t",
            "\r\n", "é", "# c",
        ];
        let sep = regex::Regex::new(r"(?:^|\s*\n)---\s*").unwrap();
        let mut seed: u64 = 0x1234_5678_9abc_def1;
        for _ in 0..20_000 {
            let mut doc = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut n = seed;
            for _ in 0..(n % 12) {
                n /= 7;
                doc.push_str(pieces[(n % pieces.len() as u64) as usize]);
                n = n.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17);
            }
            assert_eq!(split_manifests(&doc), regex_split(&sep, &doc), "{doc:?}");
        }
    }
}
