//! Validation of rendered YAML against a compiled schema, on the position-keeping node tree so
//! every issue carries the line of the key or value at fault.
//!
//! Values are typed as the Kubernetes client sees them after sigs.k8s.io/yaml's conversion:
//! go-yaml v2 (YAML 1.1) resolution of plain scalars (`yes` is a boolean), quoted and block
//! scalars are strings, and a float with no fractional part is sent as an integer.

use std::fmt::Write as _;

use base64::Engine as _;

use super::graph::{ty, Additional, Format, Graph, NodeId, SchemaNode};
use super::quantity;
use crate::engine::yaml::{resolve_plain, Node, NodeKind, Resolved, ScalarStyle};

/// What kind of problem an [`Issue`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IssueKind {
    /// A key the schema does not declare.
    UnknownField,
    /// A value of the wrong JSON type.
    WrongType,
    /// A required field absent (or null).
    Required,
    /// The same key twice in one mapping.
    DuplicateKey,
    /// A value of the right type that the API server still rejects (format, enum, bounds).
    InvalidValue,
}

/// One validation problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// What is wrong.
    pub kind: IssueKind,
    /// Field path in kubectl's notation: `spec.template.spec.containers[0].image`.
    pub path: String,
    /// 1-based line in the validated text.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// A sentence for people.
    pub message: String,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// A scalar's JSON value as the API server receives it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar<'a> {
    /// `null`
    Null,
    /// `true`/`false`
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A non-integral (or non-finite) number.
    Float(f64),
    /// A string.
    Str(&'a str),
}

const TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// The JSON value of a scalar node.
pub fn scalar_value<'a>(node: &'a Node, text: &'a str, style: ScalarStyle) -> Scalar<'a> {
    if let Some(tag) = node.tag.as_deref() {
        match tag.strip_prefix(TAG_PREFIX) {
            Some("str") | Some("binary") => return Scalar::Str(text),
            Some("null") => return Scalar::Null,
            Some("bool" | "int" | "float") => return resolved(resolve_plain(text), text),
            _ => {}
        }
    }
    if style != ScalarStyle::Plain {
        return Scalar::Str(text);
    }
    resolved(resolve_plain(text), text)
}

fn resolved(r: Resolved, text: &str) -> Scalar<'_> {
    match r {
        Resolved::Null => Scalar::Null,
        Resolved::Bool(b) => Scalar::Bool(b),
        Resolved::Int(i) => Scalar::Int(i as i128),
        Resolved::Uint(u) => Scalar::Int(u as i128),
        Resolved::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
            Scalar::Int(f as i128)
        }
        Resolved::Float(f) => Scalar::Float(f),
        Resolved::Timestamp | Resolved::Str => Scalar::Str(text),
    }
}

/// Follows aliases to the node they name.
pub fn deref(node: &Node) -> &Node {
    let mut n = node;
    for _ in 0..64 {
        match &n.kind {
            NodeKind::Alias {
                target: Some(t), ..
            } => n = t,
            _ => break,
        }
    }
    n
}

/// A mapping's entries with `<<` merge keys expanded (explicit keys win), aliases followed.
pub fn entries(node: &Node) -> Vec<(&Node, &Node)> {
    let NodeKind::Mapping(es) = &deref(node).kind else {
        return Vec::new();
    };
    let has_merge = es.iter().any(|(k, _)| is_merge_key(k));
    if !has_merge {
        return es.iter().map(|(k, v)| (k, deref(v))).collect();
    }
    let mut out: Vec<(&Node, &Node)> = Vec::new();
    for (k, v) in es {
        if is_merge_key(k) {
            let v = deref(v);
            let sources: Vec<&Node> = match &v.kind {
                NodeKind::Sequence(items) => items.iter().map(deref).collect(),
                _ => vec![v],
            };
            for s in sources {
                for (mk, mv) in entries(s) {
                    if !es.iter().any(|(ek, _)| ek.as_scalar() == mk.as_scalar()) {
                        out.push((mk, mv));
                    }
                }
            }
        } else {
            out.push((k, deref(v)));
        }
    }
    out
}

fn is_merge_key(k: &Node) -> bool {
    matches!(&k.kind, NodeKind::Scalar { value, style: ScalarStyle::Plain } if value == "<<")
        && k.tag.is_none()
}

/// The JSON type bit of a node.
fn type_of(node: &Node) -> (u8, Option<Scalar<'_>>) {
    match &node.kind {
        NodeKind::Mapping(_) => (ty::OBJECT, None),
        NodeKind::Sequence(_) => (ty::ARRAY, None),
        NodeKind::Scalar { value, style } => {
            let s = scalar_value(node, value, *style);
            let t = match s {
                Scalar::Null => ty::NULL,
                Scalar::Bool(_) => ty::BOOLEAN,
                Scalar::Int(_) => ty::INTEGER,
                Scalar::Float(_) => ty::NUMBER,
                Scalar::Str(_) => ty::STRING,
            };
            (t, Some(s))
        }
        NodeKind::Alias { .. } => (ty::NULL, Some(Scalar::Null)),
    }
}

fn type_name(t: u8) -> &'static str {
    match t {
        ty::OBJECT => "object",
        ty::ARRAY => "array",
        ty::STRING => "string",
        ty::INTEGER => "integer",
        ty::NUMBER => "number",
        ty::BOOLEAN => "boolean",
        _ => "null",
    }
}

fn expected_names(types: u8) -> String {
    let mut v = Vec::new();
    for t in [
        ty::OBJECT,
        ty::ARRAY,
        ty::STRING,
        ty::INTEGER,
        ty::NUMBER,
        ty::BOOLEAN,
    ] {
        if types & t != 0 && !(t == ty::INTEGER && types & ty::NUMBER != 0) {
            v.push(type_name(t));
        }
    }
    v.join(" or ")
}

/// Walks a document against a schema.
pub struct Validator<'g> {
    graph: &'g Graph,
    issues: Vec<Issue>,
    /// Keys allowed at the root whatever the schema says (a custom resource's apiVersion, kind
    /// and metadata, which the CRD schema need not declare).
    root_extra: &'static [&'static str],
}

impl<'g> Validator<'g> {
    /// A validator over `graph`.
    pub fn new(graph: &'g Graph) -> Validator<'g> {
        Validator {
            graph,
            issues: Vec::new(),
            root_extra: &[],
        }
    }

    /// Allows these root keys whatever the schema declares.
    pub fn with_root_keys(mut self, keys: &'static [&'static str]) -> Self {
        self.root_extra = keys;
        self
    }

    /// Validates `doc` against node `root` and returns the issues, in document order.
    pub fn validate(mut self, doc: &Node, root: NodeId) -> Vec<Issue> {
        let mut path = Vec::new();
        self.walk(doc, root, &mut path, (doc.line, doc.column), false, true);
        self.issues
    }

    fn push(&mut self, kind: IssueKind, path: &[Seg<'_>], at: (usize, usize), message: String) {
        self.issues.push(Issue {
            kind,
            path: path_string(path),
            line: at.0,
            column: at.1,
            message,
        });
    }

    /// `at` is where to report problems of this value as a whole: its key's position when it
    /// has one, else its own.
    fn walk<'a>(
        &mut self,
        node: &'a Node,
        id: NodeId,
        path: &mut Vec<Seg<'a>>,
        at: (usize, usize),
        in_branch: bool,
        root: bool,
    ) {
        let graph = self.graph;
        let s: &SchemaNode = graph.node(id);
        let node = deref(node);
        let (t, scalar) = type_of(node);
        if t == ty::NULL {
            // The API server treats null as absent (native types) or prunes it (CRDs).
            return;
        }
        for &b in &s.all_of {
            // Branches only constrain values; which keys exist is the main schema's business.
            self.walk(node, b, path, at, true, root);
        }
        if !s.any_of.is_empty() && !self.branches_pass(node, &s.any_of, path, at, false) {
            let p = path_string(path);
            self.push(
                IssueKind::InvalidValue,
                path,
                at,
                format!(
                    "{}: value matches none of the schemas in anyOf",
                    display_path(&p)
                ),
            );
        }
        if !s.one_of.is_empty() && !self.branches_pass(node, &s.one_of, path, at, true) {
            let p = path_string(path);
            self.push(
                IssueKind::InvalidValue,
                path,
                at,
                format!(
                    "{}: value must match exactly one of the schemas in oneOf",
                    display_path(&p)
                ),
            );
        }
        if s.types != 0 {
            let ok = s.types & t != 0 || (t == ty::INTEGER && s.types & ty::NUMBER != 0);
            if !ok {
                let p = path_string(path);
                let shown = match scalar {
                    Some(Scalar::Str(v)) => format!(" {}", quote_short(v)),
                    Some(Scalar::Int(i)) => format!(" {i}"),
                    Some(Scalar::Float(f)) => format!(" {f}"),
                    Some(Scalar::Bool(b)) => format!(" {b}"),
                    _ => String::new(),
                };
                self.push(
                    IssueKind::WrongType,
                    path,
                    at,
                    format!(
                        "{}: expected {}, got {}{shown}",
                        display_path(&p),
                        expected_names(s.types),
                        type_name(t)
                    ),
                );
                return;
            }
        }
        if let Some(sc) = scalar {
            self.check_scalar(s, sc, path, at);
            return;
        }
        match &node.kind {
            NodeKind::Mapping(_) => self.walk_mapping(node, s, path, at, in_branch, root),
            NodeKind::Sequence(items) => {
                if let Some(lim) = &s.limits {
                    let n = items.len() as u64;
                    let p = path_string(path);
                    if lim.min_items.is_some_and(|m| n < m) || lim.max_items.is_some_and(|m| n > m)
                    {
                        self.push(
                            IssueKind::InvalidValue,
                            path,
                            at,
                            format!(
                                "{}: {n} items, allowed {}",
                                display_path(&p),
                                range_text(lim.min_items, lim.max_items)
                            ),
                        );
                    }
                }
                if let Some(item) = s.items {
                    for (i, it) in items.iter().enumerate() {
                        path.push(Seg::Index(i));
                        self.walk(it, item, path, (it.line, it.column), in_branch, false);
                        path.pop();
                    }
                }
            }
            _ => {}
        }
    }

    fn walk_mapping<'a>(
        &mut self,
        node: &'a Node,
        s: &SchemaNode,
        path: &mut Vec<Seg<'a>>,
        at: (usize, usize),
        in_branch: bool,
        root: bool,
    ) {
        let es = entries(node);
        for req in &s.required {
            let present = es
                .iter()
                .any(|(k, v)| k.as_scalar() == Some(&**req) && type_of(v).0 != ty::NULL);
            if !present {
                let p = path_string(path);
                let msg = if p.is_empty() {
                    format!("missing required field \"{req}\"")
                } else {
                    format!("{p}: missing required field \"{req}\"")
                };
                self.push(IssueKind::Required, path, at, msg);
            }
        }
        if let Some(lim) = &s.limits {
            let n = es.len() as u64;
            if lim.min_properties.is_some_and(|m| n < m)
                || lim.max_properties.is_some_and(|m| n > m)
            {
                let p = path_string(path);
                self.push(
                    IssueKind::InvalidValue,
                    path,
                    at,
                    format!(
                        "{}: {n} properties, allowed {}",
                        display_path(&p),
                        range_text(lim.min_properties, lim.max_properties)
                    ),
                );
            }
        }
        for (k, v) in es {
            let Some(key) = k.as_scalar() else { continue };
            if root && self.root_extra.contains(&key) {
                continue;
            }
            path.push(Seg::Key(key));
            let kat = (k.line, k.column);
            if let Some(child) = s.prop(key) {
                self.walk(v, child, path, kat, in_branch, false);
            } else {
                match s.additional {
                    Additional::Schema(a) => self.walk(v, a, path, kat, in_branch, false),
                    Additional::Forbid
                        if !(in_branch
                            || s.preserve_unknown
                            || s.embedded_resource
                                && matches!(key, "apiVersion" | "kind" | "metadata")) =>
                    {
                        let p = path_string(path);
                        self.push(
                            IssueKind::UnknownField,
                            path,
                            kat,
                            format!("unknown field \"{p}\""),
                        );
                    }
                    _ => {}
                }
            }
            path.pop();
        }
    }

    fn branches_pass<'a>(
        &mut self,
        node: &'a Node,
        branches: &[NodeId],
        path: &mut Vec<Seg<'a>>,
        at: (usize, usize),
        exactly_one: bool,
    ) -> bool {
        let mut passing = 0;
        for &b in branches {
            let saved = std::mem::take(&mut self.issues);
            self.walk(node, b, path, at, true, false);
            let ok = self.issues.is_empty();
            self.issues = saved;
            if ok {
                passing += 1;
            }
        }
        if exactly_one {
            passing == 1
        } else {
            passing > 0
        }
    }

    fn check_scalar(
        &mut self,
        s: &SchemaNode,
        sc: Scalar<'_>,
        path: &[Seg<'_>],
        at: (usize, usize),
    ) {
        let bad = |what: String| what;
        let p = path_string(path);
        let dp = display_path(&p);
        let problem: Option<String> = match (s.format, sc) {
            (Format::Int32, Scalar::Int(i)) if i < i32::MIN as i128 || i > i32::MAX as i128 => {
                Some(bad(format!("{dp}: {i} does not fit in a 32-bit integer")))
            }
            (Format::Int64, Scalar::Int(i)) if i < i64::MIN as i128 || i > i64::MAX as i128 => {
                Some(format!("{dp}: {i} does not fit in a 64-bit integer"))
            }
            (Format::Byte, Scalar::Str(v)) => {
                let clean: String = v.chars().filter(|c| *c != '\n' && *c != '\r').collect();
                match base64::engine::general_purpose::STANDARD.decode(clean.as_bytes()) {
                    Ok(_) => None,
                    Err(e) => Some(format!("{dp}: not valid base64 ({e})")),
                }
            }
            (Format::DateTime, Scalar::Str(v)) => match chrono::DateTime::parse_from_rfc3339(v) {
                Ok(_) => None,
                Err(_) => Some(format!(
                    "{dp}: {} is not an RFC 3339 date-time (e.g. 2024-01-02T03:04:05Z)",
                    quote_short(v)
                )),
            },
            (Format::Quantity, Scalar::Str(v)) => match quantity::parse(v) {
                Ok(()) => None,
                Err(e) => Some(format!("{dp}: {} is not a quantity: {e}", quote_short(v))),
            },
            (Format::Quantity, Scalar::Float(f)) if !f.is_finite() => {
                Some(format!("{dp}: {f} is not a quantity"))
            }
            (Format::IntOrString, Scalar::Float(f)) => {
                Some(format!("{dp}: {f} must be an integer or a string"))
            }
            _ => None,
        };
        if let Some(m) = problem {
            self.push(IssueKind::InvalidValue, path, at, m);
            return;
        }
        if !s.enumv.is_empty() && !s.enumv.iter().any(|e| scalar_eq(e, sc)) {
            let allowed: Vec<String> = s.enumv.iter().map(|e| e.to_string()).collect();
            self.push(
                IssueKind::InvalidValue,
                path,
                at,
                format!(
                    "{dp}: unsupported value {}; allowed: {}",
                    scalar_text(sc),
                    allowed.join(", ")
                ),
            );
            return;
        }
        if let Some(lim) = &s.limits {
            let msg =
                match sc {
                    Scalar::Int(_) | Scalar::Float(_) => {
                        let x = match sc {
                            Scalar::Int(i) => i as f64,
                            Scalar::Float(f) => f,
                            _ => 0.0,
                        };
                        let low = lim.minimum.is_some_and(|m| {
                            if lim.exclusive_minimum {
                                x <= m
                            } else {
                                x < m
                            }
                        });
                        let high = lim.maximum.is_some_and(|m| {
                            if lim.exclusive_maximum {
                                x >= m
                            } else {
                                x > m
                            }
                        });
                        if low {
                            Some(format!(
                                "{dp}: {} is below the minimum {}",
                                scalar_text(sc),
                                lim.minimum.unwrap_or_default()
                            ))
                        } else if high {
                            Some(format!(
                                "{dp}: {} is above the maximum {}",
                                scalar_text(sc),
                                lim.maximum.unwrap_or_default()
                            ))
                        } else {
                            None
                        }
                    }
                    Scalar::Str(v) => {
                        let n = v.chars().count() as u64;
                        if lim.min_length.is_some_and(|m| n < m)
                            || lim.max_length.is_some_and(|m| n > m)
                        {
                            Some(format!(
                                "{dp}: length {n}, allowed {}",
                                range_text(lim.min_length, lim.max_length)
                            ))
                        } else if lim.pattern.as_ref().is_some_and(|re| !re.is_match(v)) {
                            Some(format!(
                                "{dp}: {} does not match the pattern {}",
                                quote_short(v),
                                lim.pattern.as_ref().map(|r| r.as_str()).unwrap_or("")
                            ))
                        } else {
                            None
                        }
                    }
                    _ => None,
                };
            if let Some(m) = msg {
                self.push(IssueKind::InvalidValue, path, at, m);
            }
        }
    }
}

fn range_text(min: Option<u64>, max: Option<u64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        (Some(a), None) => format!("at least {a}"),
        (None, Some(b)) => format!("at most {b}"),
        (None, None) => "any".into(),
    }
}

fn scalar_eq(e: &serde_json::Value, sc: Scalar<'_>) -> bool {
    match (e, sc) {
        (serde_json::Value::String(a), Scalar::Str(b)) => a == b,
        (serde_json::Value::Bool(a), Scalar::Bool(b)) => *a == b,
        (serde_json::Value::Number(n), Scalar::Int(i)) => n.as_f64() == Some(i as f64),
        (serde_json::Value::Number(n), Scalar::Float(f)) => n.as_f64() == Some(f),
        (serde_json::Value::Null, Scalar::Null) => true,
        _ => false,
    }
}

fn scalar_text(sc: Scalar<'_>) -> String {
    match sc {
        Scalar::Null => "null".into(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => f.to_string(),
        Scalar::Str(s) => quote_short(s),
    }
}

/// A string quoted for a message, cut after 60 characters.
pub fn quote_short(s: &str) -> String {
    let cut: String = s.chars().take(60).collect();
    if cut.len() < s.len() {
        format!("{:?}…", cut)
    } else {
        format!("{cut:?}")
    }
}

fn display_path(p: &str) -> &str {
    if p.is_empty() {
        "(document)"
    } else {
        p
    }
}

fn path_string(path: &[Seg<'_>]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => {
                let _ = write!(s, "[{i}]");
            }
        }
    }
    s
}

/// Every repeated key in every mapping of `doc` (merge keys excepted), as issues at the
/// repeated key.
pub fn duplicate_keys(doc: &Node) -> Vec<Issue> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    dup_walk(doc, &mut path, &mut out);
    out
}

fn dup_walk<'a>(node: &'a Node, path: &mut Vec<Seg<'a>>, out: &mut Vec<Issue>) {
    match &node.kind {
        NodeKind::Mapping(es) => {
            for (k, first) in node.duplicate_keys() {
                if is_merge_key(k) {
                    continue;
                }
                let key = k.as_scalar().unwrap_or("");
                path.push(Seg::Key(key));
                let p = path_string(path);
                path.pop();
                out.push(Issue {
                    kind: IssueKind::DuplicateKey,
                    path: p.clone(),
                    line: k.line,
                    column: k.column,
                    message: format!(
                        "duplicate key \"{p}\" (first set on line {}); only the last value is used",
                        first.line
                    ),
                });
            }
            for (k, v) in es {
                path.push(Seg::Key(k.as_scalar().unwrap_or("")));
                dup_walk(v, path, out);
                path.pop();
            }
        }
        NodeKind::Sequence(items) => {
            for (i, it) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                dup_walk(it, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// A node as the JSON the API server receives (aliases and merge keys resolved).
pub fn to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    let node = deref(node);
    match &node.kind {
        NodeKind::Mapping(_) => {
            let mut m = serde_json::Map::new();
            for (k, v) in entries(node) {
                let key = match &k.kind {
                    NodeKind::Scalar { value, .. } => value.clone(),
                    _ => continue,
                };
                m.insert(key, to_json(v));
            }
            J::Object(m)
        }
        NodeKind::Sequence(items) => J::Array(items.iter().map(to_json).collect()),
        NodeKind::Scalar { value, style } => match scalar_value(node, value, *style) {
            Scalar::Null => J::Null,
            Scalar::Bool(b) => J::Bool(b),
            Scalar::Int(i) => i64::try_from(i)
                .map(J::from)
                .or_else(|_| u64::try_from(i).map(J::from))
                .unwrap_or(J::Null),
            Scalar::Float(f) => serde_json::Number::from_f64(f)
                .map(J::Number)
                .unwrap_or(J::Null),
            Scalar::Str(s) => J::String(s.to_string()),
        },
        NodeKind::Alias { .. } => J::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::yaml::parse_nodes;

    #[test]
    fn duplicate_keys_point_at_the_repeat() {
        let d = &parse_nodes("data:\n  a: \"1\"\n  b: \"2\"\n  a: \"3\"\n").unwrap()[0];
        let issues = duplicate_keys(d);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].line, 4, "{issues:?}");
        assert!(issues[0].message.contains("line 2"));
    }
}

/// Where this validator and the `kubernetes-validate` reference (1.37.0, `--strict`) disagree,
/// the API server sides with us. Each case records what kubernetes-validate printed for the
/// same document (checked with `kubernetes-validate --strict -k 1.33.0`) and why the API server
/// rejects it.
#[cfg(test)]
mod reference_disagreements {
    use super::*;
    use crate::engine::yaml::parse_nodes;
    use crate::lint::schema::store;

    fn issues(doc: &str) -> Vec<Issue> {
        let d = &parse_nodes(doc).unwrap()[0];
        let v = store::version(33).unwrap();
        let api = crate::lint::objects::str_at(d, &["apiVersion"]).unwrap();
        let kind = crate::lint::objects::str_at(d, &["kind"]).unwrap();
        let root = v.lookup(api, kind).unwrap();
        Validator::new(v.graph()).validate(d, root)
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\nspec:\n  selector:\n    matchLabels: {app: a}\n  template:\n    metadata:\n      labels: {app: a}\n    spec:\n      containers:\n        - name: a\n          image: a:1\n";

    #[test]
    fn quantity_strings_must_parse() {
        // kubernetes-validate: "passed" (Quantity is any string). The API server decodes
        // quantities with resource.ParseQuantity, which rejects "64MB" ("quantities must match
        // the regular expression").
        let doc = format!(
            "{DEPLOY}          resources:\n            requests:\n              memory: 64MB\n"
        );
        let is = issues(&doc);
        assert_eq!(is.len(), 1, "{is:?}");
        assert_eq!(is[0].kind, IssueKind::InvalidValue);
        assert_eq!(is[0].line, 17);
        let ok = format!("{DEPLOY}          resources:\n            requests:\n              memory: 64M\n              cpu: 0.5\n");
        assert!(issues(&ok).is_empty());
    }

    #[test]
    fn int32_fields_are_range_checked() {
        // kubernetes-validate: "passed" (format int32 is not asserted). The API server cannot
        // decode 3000000000 into the int32 `replicas`.
        let doc = DEPLOY.replace(
            "spec:\n  selector",
            "spec:\n  replicas: 3000000000\n  selector",
        );
        let is = issues(&doc);
        assert_eq!(is.len(), 1, "{is:?}");
        assert_eq!(is[0].kind, IssueKind::InvalidValue);
        assert!(issues(&DEPLOY.replace(
            "spec:\n  selector",
            "spec:\n  replicas: 2147483647\n  selector"
        ))
        .is_empty());
    }

    #[test]
    fn secret_data_must_be_base64() {
        // kubernetes-validate: "passed" (format byte is not asserted). Secret.data is []byte,
        // which encoding/json decodes from standard base64, so "hunter2!" is rejected.
        let is = issues(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: hunter2!\n",
        );
        assert_eq!(is.len(), 1, "{is:?}");
        assert_eq!(is[0].kind, IssueKind::InvalidValue);
        assert!(issues(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: aHVudGVyMg==\n"
        )
        .is_empty());
    }

    #[test]
    fn times_must_be_rfc3339() {
        // kubernetes-validate: "passed" (format date-time is not asserted). metav1.Time
        // unmarshals with time.Parse(RFC3339).
        let is = issues("apiVersion: v1\nkind: Event\nmetadata:\n  name: e\ninvolvedObject: {kind: Pod, name: p}\nfirstTimestamp: yesterday\n");
        assert_eq!(is.len(), 1, "{is:?}");
        assert_eq!(is[0].kind, IssueKind::InvalidValue);
    }

    #[test]
    fn null_is_absent_not_a_type_error() {
        // kubernetes-validate: "spec.template.spec.containers: None is not of type 'array'".
        // The API server decodes null as an absent field, so the real problem is the missing
        // required `containers`, which is what we report (on the pod spec).
        let doc = DEPLOY.replace(
            "      containers:\n        - name: a\n          image: a:1\n",
            "      containers: null\n",
        );
        let is = issues(&doc);
        assert_eq!(is.len(), 1, "{is:?}");
        assert_eq!(is[0].kind, IssueKind::Required);
        // And null for an optional field is fine.
        assert!(issues(
            &DEPLOY.replace("spec:\n  selector", "spec:\n  replicas: null\n  selector")
        )
        .is_empty());
    }

    #[test]
    fn agreements() {
        // Both reject: YAML 1.1 `yes` is a boolean where a string is required
        // (kubernetes-validate: "data.enabled: True is not of type 'string', 'null'").
        let is = issues(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  enabled: yes\n",
        );
        assert_eq!(is[0].kind, IssueKind::WrongType);
        // Both accept int-or-string ports either way, and reject floats there.
        let svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n    - port: 80\n      targetPort: ";
        assert!(issues(&format!("{svc}http\n")).is_empty());
        assert!(issues(&format!("{svc}8080\n")).is_empty());
        assert_eq!(
            issues(&format!("{svc}80.5\n"))[0].kind,
            IssueKind::WrongType
        );
        // Unknown fields, strictly.
        assert_eq!(
            issues(&format!("{DEPLOY}          imagePullPolcy: Always\n"))[0].kind,
            IssueKind::UnknownField
        );
    }
}
