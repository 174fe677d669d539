//! Rendered templates as Kubernetes objects: each YAML document with its kind, name and the
//! file it came from, plus helpers to read fields.

use std::sync::Arc;

use crate::engine::yaml::{Node, NodeKind};

use super::schema::validate::{deref, entries, scalar_value, Scalar};
use super::source::source_line;

/// A rendered template file.
#[derive(Debug)]
pub struct RenderedFile {
    /// Path relative to the chart (`templates/x.yaml`, `charts/sub/templates/y.yaml`).
    pub file: String,
    /// The template source.
    pub template: Arc<str>,
    /// Its rendered output.
    pub rendered: String,
    /// Which template node wrote each part of `rendered`, when the render was traced.
    pub trace: Option<crate::engine::Trace>,
    /// The chart's name and a slash, stripped from traced file names.
    pub prefix: String,
}

impl RenderedFile {
    /// The template file (relative to the chart) and 1-based line behind a rendered line: from
    /// the engine's trace when there is one (literal text maps line for line; generated text to
    /// the action that wrote it, a `{{template}}`d `define` to its own file), else by matching
    /// YAML keys.
    pub fn source(&self, rendered_line: usize) -> (String, usize) {
        if let Some(p) = self
            .trace
            .as_ref()
            .and_then(|t| t.source_of_line(&self.rendered, rendered_line))
        {
            let file = p.file.strip_prefix(self.prefix.as_str()).unwrap_or(&p.file);
            return (file.to_string(), p.line);
        }
        (
            self.file.clone(),
            source_line(&self.template, &self.rendered, rendered_line),
        )
    }
}

/// One rendered object.
#[derive(Debug)]
pub struct Object {
    /// Index into the scenario's files.
    pub file: usize,
    /// The document.
    pub node: Node,
    /// `apiVersion`
    pub api_version: String,
    /// `kind`
    pub kind: String,
    /// `metadata.name`
    pub name: String,
    /// `metadata.namespace`, if set.
    pub namespace: Option<String>,
    /// Rule ids named in the `posthog-charttest/ignore` annotation (`all` for every rule).
    pub ignored: Vec<String>,
}

/// The annotation that suppresses rules for one object: a comma-separated list of rule ids.
pub const IGNORE_ANNOTATION: &str = "posthog-charttest/ignore";

impl Object {
    /// Builds an object from a document; `None` for empty documents.
    pub fn from_doc(file: usize, node: Node) -> Option<Object> {
        if !matches!(deref(&node).kind, NodeKind::Mapping(_)) {
            return None;
        }
        let s = |path: &[&str]| str_at(&node, path).unwrap_or_default().to_string();
        let api_version = s(&["apiVersion"]);
        let kind = s(&["kind"]);
        let name = s(&["metadata", "name"]);
        let namespace = str_at(&node, &["metadata", "namespace"]).map(str::to_string);
        let ignored = str_at(&node, &["metadata", "annotations", IGNORE_ANNOTATION])
            .map(|v| {
                v.split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Some(Object {
            file,
            node,
            api_version,
            kind,
            name,
            namespace,
            ignored,
        })
    }

    /// Whether the ignore annotation names `rule`.
    pub fn ignores(&self, rule: &str) -> bool {
        self.ignored.iter().any(|r| r == rule || r == "all")
    }

    /// The rendered line to blame for the object as a whole: its `kind:` key.
    pub fn line(&self) -> usize {
        key_line(&self.node, "kind").unwrap_or(self.node.line)
    }

    /// The namespace, defaulted.
    pub fn ns<'a>(&'a self, default: &'a str) -> &'a str {
        self.namespace.as_deref().unwrap_or(default)
    }

    /// The pod template of a workload (`spec.template`, `spec.jobTemplate.spec.template`),
    /// or the pod's own body for a Pod.
    pub fn pod_template(&self) -> Option<&Node> {
        match self.kind.as_str() {
            "Pod" => Some(&self.node),
            "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "Job"
            | "ReplicationController" => get(&self.node, &["spec", "template"]),
            "CronJob" => get(&self.node, &["spec", "jobTemplate", "spec", "template"]),
            _ => None,
        }
    }

    /// The pod spec of a workload.
    pub fn pod_spec(&self) -> Option<&Node> {
        self.pod_template().and_then(|t| get(t, &["spec"]))
    }
}

/// The node at a key path.
pub fn get<'a>(node: &'a Node, path: &[&str]) -> Option<&'a Node> {
    let mut n = deref(node);
    for k in path {
        n = entries(n)
            .into_iter()
            .find(|(key, _)| key.as_scalar() == Some(k))
            .map(|(_, v)| v)?;
    }
    Some(n)
}

/// The line of key `key` in mapping `node`.
pub fn key_line(node: &Node, key: &str) -> Option<usize> {
    entries(node)
        .into_iter()
        .find(|(k, _)| k.as_scalar() == Some(key))
        .map(|(k, _)| k.line)
}

/// The line of the last key of `path` (falling back to the deepest existing parent key).
pub fn path_line(node: &Node, path: &[&str]) -> usize {
    let mut n = deref(node);
    let mut line = node.line;
    for k in path {
        match entries(n)
            .into_iter()
            .find(|(key, _)| key.as_scalar() == Some(k))
        {
            Some((key, v)) => {
                line = key.line;
                n = v;
            }
            None => break,
        }
    }
    line
}

/// A scalar at a path, as text (strings as they are, numbers and booleans as written).
pub fn str_at<'a>(node: &'a Node, path: &[&str]) -> Option<&'a str> {
    let n = get(node, path)?;
    match &n.kind {
        NodeKind::Scalar { value, style } => match scalar_value(n, value, *style) {
            Scalar::Null => None,
            _ => Some(value.as_str()),
        },
        _ => None,
    }
}

/// A scalar's typed value.
pub fn scalar(node: &Node) -> Option<Scalar<'_>> {
    let n = deref(node);
    match &n.kind {
        NodeKind::Scalar { value, style } => Some(scalar_value(n, value, *style)),
        _ => None,
    }
}

/// Sequence items (empty when not a sequence).
pub fn items(node: Option<&Node>) -> Vec<&Node> {
    match node.map(|n| &deref(n).kind) {
        Some(NodeKind::Sequence(v)) => v.iter().map(deref).collect(),
        _ => Vec::new(),
    }
}

/// A string → string mapping (labels, selectors); non-string values are skipped.
pub fn string_map(node: Option<&Node>) -> Vec<(String, String)> {
    let Some(n) = node else { return Vec::new() };
    entries(n)
        .into_iter()
        .filter_map(|(k, v)| {
            let key = k.as_scalar()?.to_string();
            let val = match &deref(v).kind {
                NodeKind::Scalar { value, .. } => value.clone(),
                _ => return None,
            };
            Some((key, val))
        })
        .collect()
}

/// Whether a mapping node is empty or absent.
pub fn is_empty(node: Option<&Node>) -> bool {
    let Some(n) = node.map(deref) else {
        return true;
    };
    match &n.kind {
        NodeKind::Mapping(e) => e.is_empty(),
        NodeKind::Sequence(e) => e.is_empty(),
        NodeKind::Scalar { .. } => scalar(n) == Some(Scalar::Null),
        NodeKind::Alias { .. } => true,
    }
}
