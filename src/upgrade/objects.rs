//! A rendered release as a set of Kubernetes objects keyed as helm matches them on upgrade
//! (API group, kind, namespace, name), each able to say which template line produced one of
//! its fields.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value as Json;

use crate::engine::Trace;

/// How helm's `isMatchingInfo` tells objects apart: group and kind (not version), namespace
/// and name. Cluster-scoped objects have an empty namespace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjKey {
    /// API group (`apps`, empty for the core group).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace (empty for cluster-scoped kinds).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl ObjKey {
    /// `namespace/name`, or `name` for cluster-scoped objects.
    pub fn display_name(&self) -> String {
        if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.namespace, self.name)
        }
    }

    /// `Kind (group)` as helm-diff prints it.
    pub fn kind_group(&self) -> String {
        if self.group.is_empty() {
            format!("{} (v1)", self.kind)
        } else {
            format!("{} ({})", self.kind, self.group)
        }
    }
}

/// Where an object came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A document of a rendered template.
    Template {
        /// The template path as in `# Source:` (`c/templates/sts.yaml`).
        path: String,
        /// Byte offset of the document in the template's output.
        offset: usize,
    },
    /// A file of a chart's `crds/` directory, which helm installs but never upgrades.
    CrdFile {
        /// Its path as in `# Source:` (`c/crds/x.yaml`).
        path: String,
        /// Byte offset of the document in the file.
        offset: usize,
    },
}

/// One rendered object.
#[derive(Clone, Debug)]
pub struct Object {
    /// How it is matched.
    pub key: ObjKey,
    /// `apiVersion` as written.
    pub api_version: String,
    /// The parsed document.
    pub doc: Json,
    /// The document's text, for the diff.
    pub text: String,
    /// Where it came from.
    pub origin: Origin,
    /// Whether it is a hook (helm recreates hooks instead of patching them).
    pub hook: bool,
}

impl Object {
    /// The source path (`c/templates/x.yaml`).
    pub fn source(&self) -> &str {
        match &self.origin {
            Origin::Template { path, .. } | Origin::CrdFile { path, .. } => path,
        }
    }

    /// The value at a field path (`["spec", "selector"]`).
    pub fn get(&self, path: &[&str]) -> Option<&Json> {
        get_path(&self.doc, path)
    }

    /// An annotation's value.
    pub fn annotation(&self, name: &str) -> Option<&str> {
        self.get(&["metadata", "annotations", name])
            .and_then(Json::as_str)
    }
}

/// The value at `path` in `doc`; numeric segments index lists.
pub fn get_path<'a>(doc: &'a Json, path: &[&str]) -> Option<&'a Json> {
    let mut cur = doc;
    for seg in path {
        cur = match cur {
            Json::Object(m) => m.get(*seg)?,
            Json::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// A rendered release: its objects, and what maps fields back to template lines.
#[derive(Debug, Default)]
pub struct Release {
    /// The chart's name (template paths start with it).
    pub chart_name: String,
    /// Every object, hooks included, by key. When a key repeats, the last document wins, as
    /// it would on the API server.
    pub objects: BTreeMap<ObjKey, Object>,
    /// Each template's output and trace.
    pub files: BTreeMap<String, (String, Option<Trace>)>,
}

/// Kinds that are not namespaced, so their key has no namespace.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CSIDriver",
    "CSINode",
    "CertificateSigningRequest",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// Whether `kind` is cluster-scoped (for the built-in kinds and common operator kinds).
pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}

fn separator() -> &'static Regex {
    static SEP: OnceLock<Regex> = OnceLock::new();
    // helm's SplitManifests separator.
    SEP.get_or_init(|| Regex::new(r"(?:^|\s*\n)---\s*").expect("valid regex"))
}

/// helm's document split, keeping each document's byte offset in `text`.
pub fn split_with_offsets(text: &str) -> Vec<(usize, &str)> {
    let trimmed = text.trim();
    let base = text.len() - text.trim_start().len();
    separator()
        .split(trimmed)
        .filter(|d| !d.is_empty())
        .map(|d| {
            let lead = d.len() - d.trim_start().len();
            let off = d.as_ptr() as usize - trimmed.as_ptr() as usize;
            (base + off + lead, d.trim())
        })
        .collect()
}

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

fn text_of(v: Option<&Json>) -> String {
    match v {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Parses one document into an object. `Ok(None)` for an empty document; an error names the
/// template and says what is wrong.
pub fn parse_object(
    doc_text: &str,
    origin: Origin,
    release_namespace: &str,
) -> Result<Option<Object>, String> {
    let v = crate::engine::yaml::parse(doc_text).map_err(|e| {
        let path = match &origin {
            Origin::Template { path, .. } | Origin::CrdFile { path, .. } => path.clone(),
        };
        format!("YAML parse error on {path}: {e}")
    })?;
    let doc = crate::chart::schema::to_json(&v);
    let Json::Object(m) = &doc else {
        return Ok(None);
    };
    if m.is_empty() {
        return Ok(None);
    }
    let api_version = text_of(m.get("apiVersion"));
    let kind = text_of(m.get("kind"));
    let name = text_of(get_path(&doc, &["metadata", "name"]));
    let ns = text_of(get_path(&doc, &["metadata", "namespace"]));
    let namespace = if is_cluster_scoped(&kind) {
        String::new()
    } else if ns.is_empty() {
        release_namespace.to_string()
    } else {
        ns
    };
    let group = match api_version.rsplit_once('/') {
        Some((g, _)) => g.to_string(),
        None => String::new(),
    };
    let hook = matches!(&origin, Origin::Template { .. })
        && get_path(&doc, &["metadata", "annotations", "helm.sh/hook"])
            .and_then(Json::as_str)
            .is_some_and(|h| {
                h.split(',')
                    .all(|e| HOOK_EVENTS.contains(&e.trim().to_lowercase().as_str()))
            });
    Ok(Some(Object {
        key: ObjKey {
            group,
            kind,
            namespace,
            name,
        },
        api_version,
        doc,
        text: doc_text.to_string(),
        origin,
        hook,
    }))
}

impl Release {
    /// Adds every document of a rendered template (partials and NOTES.txt are skipped).
    pub fn add_file(
        &mut self,
        path: &str,
        output: String,
        trace: Option<Trace>,
        namespace: &str,
    ) -> Result<(), String> {
        let base = path.rsplit('/').next().unwrap_or(path);
        if base.starts_with('_') || base == "NOTES.txt" {
            return Ok(());
        }
        for (offset, doc) in split_with_offsets(&output) {
            let origin = Origin::Template {
                path: path.to_string(),
                offset,
            };
            if let Some(o) = parse_object(doc, origin, namespace)? {
                self.objects.insert(o.key.clone(), o);
            }
        }
        self.files.insert(path.to_string(), (output, trace));
        Ok(())
    }

    /// Adds the documents of a `crds/` file.
    pub fn add_crd_file(&mut self, path: &str, text: &str) -> Result<(), String> {
        for (offset, doc) in split_with_offsets(text) {
            let origin = Origin::CrdFile {
                path: path.to_string(),
                offset,
            };
            if let Some(o) = parse_object(doc, origin, "")? {
                self.objects.insert(o.key.clone(), o);
            }
        }
        self.files
            .insert(path.to_string(), (text.to_string(), None));
        Ok(())
    }

    /// The chart-relative file and 1-based line that produced the field at `path` of `obj`
    /// (the closest existing ancestor when the field itself is absent). Falls back to the
    /// object's first line, then to line 0.
    pub fn locate(&self, obj: &Object, path: &[&str]) -> (String, usize) {
        let strip = |p: &str| -> String {
            p.strip_prefix(&format!("{}/", self.chart_name))
                .unwrap_or(p)
                .to_string()
        };
        let (tpath, offset) = match &obj.origin {
            Origin::CrdFile { path, offset } | Origin::Template { path, offset } => (path, *offset),
        };
        let Some((output, trace)) = self.files.get(tpath) else {
            return (strip(tpath), 0);
        };
        let doc_line = field_line(&obj.text, path).unwrap_or(1);
        let first_line = 1 + output
            .get(..offset)
            .unwrap_or("")
            .bytes()
            .filter(|&b| b == b'\n')
            .count();
        let out_line = first_line + doc_line - 1;
        match trace {
            // A file that is not a template (crds/) is its own source.
            None => (strip(tpath), out_line),
            Some(t) => match t.source_of_line(output, out_line) {
                Some(pos) => (strip(&pos.file), pos.line),
                None => (strip(tpath), 0),
            },
        }
    }
}

/// The 1-based line, within a document, of the deepest existing node on `path`.
fn field_line(doc: &str, path: &[&str]) -> Option<usize> {
    use crate::engine::yaml::NodeKind;
    let nodes = crate::engine::yaml::parse_nodes(doc).ok()?;
    let mut cur = nodes.first()?;
    let mut line = cur.line;
    for seg in path {
        let next = match &cur.kind {
            NodeKind::Mapping(entries) => entries
                .iter()
                .find(|(k, _)| k.as_scalar() == Some(seg))
                .map(|(k, v)| (k.line, v)),
            NodeKind::Sequence(items) => seg
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i))
                .map(|v| (v.line, v)),
            _ => None,
        };
        match next {
            Some((l, n)) => {
                line = l;
                cur = n;
            }
            None => break,
        }
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_offsets() {
        let t = "\n---\na: 1\n---\nb: 2\n";
        let docs = split_with_offsets(t);
        assert_eq!(docs.len(), 2);
        for (off, d) in docs {
            assert!(t[off..].starts_with(d), "{off} {d}");
        }
    }

    #[test]
    fn keys_follow_helm_matching() {
        let o = parse_object(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
            Origin::CrdFile {
                path: "x".into(),
                offset: 0,
            },
            "prod",
        )
        .unwrap()
        .unwrap();
        assert_eq!(o.key.group, "apps");
        assert_eq!(o.key.namespace, "prod");
        let c = parse_object(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n",
            Origin::CrdFile {
                path: "x".into(),
                offset: 0,
            },
            "prod",
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.key.namespace, "");
        assert_eq!(c.key.group, "");
    }

    #[test]
    fn field_lines() {
        let d =
            "kind: StatefulSet\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      a: b\n";
        assert_eq!(field_line(d, &["spec", "selector"]), Some(4));
        assert_eq!(
            field_line(d, &["spec", "selector", "matchLabels", "a"]),
            Some(6)
        );
        assert_eq!(field_line(d, &["spec", "missing"]), Some(2));
    }
}
