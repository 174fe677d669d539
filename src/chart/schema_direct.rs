//! A direct validity check for the common subset of draft-07 values schemas, used before (and
//! nearly always instead of) compiling the schema with the `jsonschema` crate.
//!
//! Compiling a schema with `jsonschema` 0.18 first validates it against its meta-schema and
//! builds a validator tree; for prometheus's schemas that was a third of a `template` run. Values
//! are nearly always valid, and a valid instance needs no error messages, so this module answers
//! the yes/no question by walking a compact copy of the schema document against the values as
//! the engine holds them (no JSON conversion of the values).
//!
//! It must agree exactly with the compiled validator, so it is deliberately narrow:
//! - [`Schema::new`] accepts a schema only when every keyword in it is one this module
//!   implements, with the shape the draft-07 meta-schema requires (so the compiled path would
//!   not have rejected the schema itself). Anything else — `format`, `patternProperties`,
//!   `$id`, remote references, draft-04 or draft-06 documents — is left to the compiled path.
//! - [`Schema::check`] answers `None` whenever it meets a case it cannot decide exactly (a
//!   regex backtrack limit, a comparison between an integer beyond 2^53 and a fraction), and the
//!   caller then compiles.
//! - Values are seen as `schema::to_json` and its number normalisation present them, and the
//!   semantics follow `jsonschema` 0.18 (which the error messages come from), including its
//!   equality for `enum`, `const` and `uniqueItems` and its regex dialect for `pattern`.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::engine::value::{MapRef, Value};

/// A JSON document as parsed for checking: objects keep document order in a plain vector (no
/// hashing; schema objects are small and read by scanning).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Num(Num),
    Str(Box<str>),
    Arr(Vec<Node>),
    Obj(Vec<(Box<str>, Node)>),
}

/// A JSON number as `serde_json` reports it: an integer when it fits 64 bits, else a float.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Num {
    Int(i128),
    Float(f64),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Obj(m) => m.iter().find(|(k, _)| &**k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `serde_json::Number::as_u64`.
    fn as_u64(&self) -> Option<u64> {
        match self {
            Node::Num(Num::Int(i)) => u64::try_from(*i).ok(),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Node, E> {
        Ok(Node::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Node, E> {
        Ok(Node::Num(Num::Int(i.into())))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Node, E> {
        Ok(Node::Num(Num::Int(u.into())))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Node, E> {
        Ok(Node::Num(Num::Float(f)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Node, E> {
        Ok(Node::Str(s.into()))
    }
    fn visit_string<E>(self, s: String) -> Result<Node, E> {
        Ok(Node::Str(s.into_boxed_str()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(n) = seq.next_element()? {
            out.push(n);
        }
        Ok(Node::Arr(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut out: Vec<(Box<str>, Node)> = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Node>()? {
            // serde_json's map (an IndexMap here) keeps a repeated key at its first place with
            // the last value.
            match out.iter_mut().find(|(ek, _)| **ek == *k) {
                Some(slot) => slot.1 = v,
                None => out.push((k.into_boxed_str(), v)),
            }
        }
        Ok(Node::Obj(out))
    }
}

/// A schema document accepted for direct checking.
pub(crate) struct Schema {
    root: Node,
    /// Compiled `pattern`s, by source; compiled on first use, since most never meet a string.
    regexes: Mutex<HashMap<String, Arc<fancy_regex::Regex>>>,
}

/// The `$schema` values the compiled path reads as draft 7 (the default draft), and so the only
/// ones accepted here.
const DRAFT7_URIS: &[&str] = &[
    "http://json-schema.org/draft-07/schema#",
    "http://json-schema.org/draft-07/schema",
    "http://json-schema.org/schema#",
    "http://json-schema.org/schema",
];

const SIMPLE_TYPES: &[&str] = &[
    "array", "boolean", "integer", "null", "number", "object", "string",
];

/// A value as the validators see it after `schema::to_json` and number normalisation.
enum View<'a> {
    Null,
    Bool(bool),
    Num(Num),
    Str(&'a str),
    OwnedStr(String),
    List(&'a [Value]),
    Map(&'a MapRef),
    /// A Go object, seen through its data form.
    Data(Value),
}

fn view(v: &Value) -> View<'_> {
    match v {
        Value::Missing | Value::Nil => View::Null,
        Value::Bool(b) => View::Bool(*b),
        Value::Float(f) if !f.is_finite() => View::Null,
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => View::Num(Num::Int(*f as i128)),
        Value::Float(f) => View::Num(Num::Float(*f)),
        Value::String(s) => View::Str(s),
        Value::List(_, items) => View::List(items),
        Value::Map(_, m) => View::Map(m),
        Value::Object(o) => View::Data(o.to_data()),
        other => match other.as_int() {
            Some(i) => View::Num(Num::Int(i.into())),
            None => View::OwnedStr(other.format_v()),
        },
    }
}

/// The JSON form of a value, for equality checks.
fn to_node(v: &Value) -> Node {
    match view(v) {
        View::Null => Node::Null,
        View::Bool(b) => Node::Bool(b),
        View::Num(n) => Node::Num(n),
        View::Str(s) => Node::Str(s.into()),
        View::OwnedStr(s) => Node::Str(s.into_boxed_str()),
        View::List(items) => Node::Arr(items.iter().map(to_node).collect()),
        View::Map(m) => m.with(|m| {
            Node::Obj(
                m.iter()
                    .map(|(k, v)| (k.as_str().into(), to_node(v)))
                    .collect(),
            )
        }),
        View::Data(d) => to_node(&d),
    }
}

impl Schema {
    /// `Some` when `doc` parses and every part of it can be checked directly.
    pub(crate) fn new(doc: &[u8]) -> Option<Schema> {
        let root: Node = serde_json::from_slice(doc).ok()?;
        let mut seen_refs = Vec::new();
        supported(&root, &root, &mut seen_refs).then(|| Schema {
            root,
            regexes: Mutex::new(HashMap::new()),
        })
    }

    /// Whether `values` are valid; `None` when that cannot be decided here.
    pub(crate) fn check(&self, values: &Value) -> Option<bool> {
        self.valid(&self.root, values, 0)
    }

    fn valid(&self, schema: &Node, inst: &Value, depth: usize) -> Option<bool> {
        // Reference cycles that never consume instance depth would recurse forever; the compiled
        // path has its own answer for those, so hand them over.
        if depth > 256 {
            return None;
        }
        let obj = match schema {
            Node::Bool(b) => return Some(*b),
            Node::Obj(o) => o,
            _ => return None,
        };
        // Draft 7: `$ref` stands alone; its siblings are annotations.
        if let Some(Node::Str(r)) = schema.get("$ref") {
            let target = resolve(&self.root, r)?;
            return self.valid(target, inst, depth + 1);
        }
        let v = view(inst);
        if let View::Data(d) = &v {
            return self.valid(schema, d, depth + 1);
        }
        for (kw, k) in obj {
            let ok = match &**kw {
                "type" => type_ok(k, &v),
                "enum" => match k {
                    Node::Arr(items) => {
                        let me = to_node(inst);
                        let mut any = false;
                        for it in items {
                            if equal(it, &me)? {
                                any = true;
                                break;
                            }
                        }
                        any
                    }
                    _ => return None,
                },
                "const" => equal(k, &to_node(inst))?,
                "properties" => match (k, &v) {
                    (Node::Obj(props), View::Map(m)) => {
                        let r = m.with(|m| -> Option<bool> {
                            for (name, sub) in props {
                                if let Some(iv) = m.get(&**name) {
                                    if !self.valid(sub, iv, depth + 1)? {
                                        return Some(false);
                                    }
                                }
                            }
                            Some(true)
                        });
                        r?
                    }
                    _ => true,
                },
                "additionalProperties" => match &v {
                    View::Map(m) => {
                        let props = schema.get("properties");
                        let r = m.with(|m| -> Option<bool> {
                            for (name, iv) in m.iter() {
                                if props.is_some_and(|p| p.get(name).is_some()) {
                                    continue;
                                }
                                if !self.valid(k, iv, depth + 1)? {
                                    return Some(false);
                                }
                            }
                            Some(true)
                        });
                        r?
                    }
                    _ => true,
                },
                "required" => match (k, &v) {
                    (Node::Arr(names), View::Map(m)) => m.with(|m| {
                        names
                            .iter()
                            .all(|n| n.as_str().is_some_and(|n| m.contains_key(n)))
                    }),
                    _ => true,
                },
                "minProperties" | "maxProperties" => match &v {
                    View::Map(m) => bound(kw, k, m.len())?,
                    _ => true,
                },
                "items" => match &v {
                    View::List(arr) => match k {
                        Node::Arr(tuple) => {
                            for (sub, iv) in tuple.iter().zip(arr.iter()) {
                                if !self.valid(sub, iv, depth + 1)? {
                                    return Some(false);
                                }
                            }
                            true
                        }
                        sub => {
                            for iv in arr.iter() {
                                if !self.valid(sub, iv, depth + 1)? {
                                    return Some(false);
                                }
                            }
                            true
                        }
                    },
                    _ => true,
                },
                "additionalItems" => match (schema.get("items"), &v) {
                    (Some(Node::Arr(tuple)), View::List(arr)) => {
                        for iv in arr.iter().skip(tuple.len()) {
                            if !self.valid(k, iv, depth + 1)? {
                                return Some(false);
                            }
                        }
                        true
                    }
                    _ => true,
                },
                "minItems" | "maxItems" => match &v {
                    View::List(arr) => bound(kw, k, arr.len())?,
                    _ => true,
                },
                "uniqueItems" => match (k, &v) {
                    (Node::Bool(true), View::List(arr)) => {
                        let nodes: Vec<Node> = arr.iter().map(to_node).collect();
                        for (i, a) in nodes.iter().enumerate() {
                            for b in &nodes[i + 1..] {
                                if equal(a, b)? {
                                    return Some(false);
                                }
                            }
                        }
                        true
                    }
                    _ => true,
                },
                "minLength" | "maxLength" => match &v {
                    View::Str(s) => bound(kw, k, s.chars().count())?,
                    View::OwnedStr(s) => bound(kw, k, s.chars().count())?,
                    _ => true,
                },
                "pattern" => {
                    let s = match &v {
                        View::Str(s) => Some(*s),
                        View::OwnedStr(s) => Some(s.as_str()),
                        _ => None,
                    };
                    match (k, s) {
                        (Node::Str(p), Some(s)) => self.regex(p)?.is_match(s).ok()?,
                        _ => true,
                    }
                }
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => match (k, &v) {
                    (Node::Num(limit), View::Num(n)) => {
                        let ord = num_cmp(*n, *limit)?;
                        match &**kw {
                            "minimum" => ord != Ordering::Less,
                            "maximum" => ord != Ordering::Greater,
                            "exclusiveMinimum" => ord == Ordering::Greater,
                            _ => ord == Ordering::Less,
                        }
                    }
                    _ => true,
                },
                "allOf" => {
                    let Node::Arr(subs) = k else { return None };
                    for sub in subs {
                        if !self.valid(sub, inst, depth + 1)? {
                            return Some(false);
                        }
                    }
                    true
                }
                "anyOf" => {
                    let Node::Arr(subs) = k else { return None };
                    let mut any = false;
                    for sub in subs {
                        if self.valid(sub, inst, depth + 1)? {
                            any = true;
                            break;
                        }
                    }
                    any
                }
                "oneOf" => {
                    let Node::Arr(subs) = k else { return None };
                    let mut n = 0;
                    for sub in subs {
                        if self.valid(sub, inst, depth + 1)? {
                            n += 1;
                        }
                    }
                    n == 1
                }
                "not" => !self.valid(k, inst, depth + 1)?,
                "if" => {
                    let branch = if self.valid(k, inst, depth + 1)? {
                        schema.get("then")
                    } else {
                        schema.get("else")
                    };
                    match branch {
                        Some(b) => self.valid(b, inst, depth + 1)?,
                        None => true,
                    }
                }
                // Annotations, `then`/`else` (read with `if`), `definitions` (reached through
                // `$ref`), and keywords draft 7 does not define.
                _ => true,
            };
            if !ok {
                return Some(false);
            }
        }
        Some(true)
    }

    fn regex(&self, pattern: &str) -> Option<Arc<fancy_regex::Regex>> {
        let mut cache = self.regexes.lock().ok()?;
        if let Some(r) = cache.get(pattern) {
            return Some(r.clone());
        }
        let r = Arc::new(fancy_regex::Regex::new(&ecma_pattern(pattern)?).ok()?);
        cache.insert(pattern.to_string(), r.clone());
        Some(r)
    }
}

/// `pattern` in the dialect `jsonschema` 0.18 compiles: `\d`, `\w`, `\s` and their negations
/// become explicit classes. Patterns with a control escape (`\cX`), which it rewrites too, are
/// left to the compiled path.
fn ecma_pattern(pattern: &str) -> Option<String> {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('w') => out.push_str("[A-Za-z0-9_]"),
            Some('W') => out.push_str("[^A-Za-z0-9_]"),
            Some('s') => out.push_str("[ \t\n\r\u{000b}\u{000c}\u{2003}\u{feff}\u{2029}\u{00a0}]"),
            Some('S') => out.push_str("[^ \t\n\r\u{000b}\u{000c}\u{2003}\u{feff}\u{2029}\u{00a0}]"),
            Some('c') => return None,
            Some(n) => {
                out.push('\\');
                out.push(n);
            }
            None => out.push('\\'),
        }
    }
    Some(out)
}

/// Whether `pattern` compiles in the compiled path's dialect, decided without building the
/// matcher (most patterns never meet a string): it must parse both as fancy-regex and as a
/// plain regex. Patterns only fancy-regex accepts (look-around, backreferences) are left to the
/// compiled path; a plain pattern that parses but still fails to build (a size limit) makes
/// [`Schema::check`] answer `None`.
fn pattern_supported(pattern: &str) -> bool {
    let Some(p) = ecma_pattern(pattern) else {
        return false;
    };
    fancy_regex::Expr::parse_tree(&p).is_ok() && regex_syntax::Parser::new().parse(&p).is_ok()
}

/// Whether `schema` (found at some position of `root`) and everything under it is a draft-07
/// schema this module checks exactly.
fn supported<'a>(root: &'a Node, schema: &'a Node, seen_refs: &mut Vec<&'a str>) -> bool {
    match schema {
        Node::Bool(_) => true,
        Node::Obj(o) => o
            .iter()
            .all(|(kw, v)| keyword_supported(root, kw, v, seen_refs)),
        _ => false,
    }
}

fn keyword_supported<'a>(
    root: &'a Node,
    kw: &str,
    v: &'a Node,
    seen_refs: &mut Vec<&'a str>,
) -> bool {
    let schema_map = |v: &'a Node, seen: &mut Vec<&'a str>| match v {
        Node::Obj(m) => m.iter().all(|(_, s)| supported(root, s, seen)),
        _ => false,
    };
    let schema_array = |v: &'a Node, seen: &mut Vec<&'a str>| match v {
        Node::Arr(a) => !a.is_empty() && a.iter().all(|s| supported(root, s, seen)),
        _ => false,
    };
    match kw {
        "$schema" => v.as_str().is_some_and(|s| DRAFT7_URIS.contains(&s)),
        "$ref" => {
            let Some(r) = v.as_str() else { return false };
            if seen_refs.contains(&r) {
                return true;
            }
            seen_refs.push(r);
            // The target may sit where the meta-schema does not look (not under
            // `definitions`), so it is checked as a schema in its own right.
            plain_fragment(r) && resolve(root, r).is_some_and(|t| supported(root, t, seen_refs))
        }
        "$comment" | "title" | "description" => matches!(v, Node::Str(_)),
        "readOnly" | "writeOnly" | "uniqueItems" => matches!(v, Node::Bool(_)),
        "examples" | "enum" => matches!(v, Node::Arr(_)),
        "default" | "const" => true,
        "type" => match v {
            Node::Str(t) => SIMPLE_TYPES.contains(&&**t),
            Node::Arr(ts) => {
                !ts.is_empty()
                    && ts.iter().enumerate().all(|(i, t)| {
                        t.as_str().is_some_and(|t| SIMPLE_TYPES.contains(&t))
                            && !ts[..i].contains(t)
                    })
            }
            _ => false,
        },
        "properties" | "definitions" => schema_map(v, seen_refs),
        "additionalProperties" | "additionalItems" | "not" | "if" | "then" | "else" => {
            supported(root, v, seen_refs)
        }
        "items" => match v {
            Node::Arr(_) => schema_array(v, seen_refs),
            other => supported(root, other, seen_refs),
        },
        "allOf" | "anyOf" | "oneOf" => schema_array(v, seen_refs),
        "required" => match v {
            Node::Arr(names) => names
                .iter()
                .enumerate()
                .all(|(i, n)| matches!(n, Node::Str(_)) && !names[..i].contains(n)),
            _ => false,
        },
        "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
            matches!(v, Node::Num(_))
        }
        "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties" | "maxProperties" => {
            v.as_u64().is_some()
        }
        "pattern" => v.as_str().is_some_and(pattern_supported),
        // Draft-07 keywords not implemented here: the compiled path handles them.
        "$id" | "multipleOf" | "contains" | "patternProperties" | "dependencies"
        | "propertyNames" | "format" | "contentMediaType" | "contentEncoding" => false,
        // Not a draft-07 keyword: ignored by the meta-schema and by validation alike.
        _ => true,
    }
}

/// A same-document JSON pointer reference (`#` or `#/a/b`), without percent-escapes or
/// characters a `uri-reference` rejects.
fn plain_fragment(r: &str) -> bool {
    let Some(frag) = r.strip_prefix('#') else {
        return false;
    };
    (frag.is_empty() || frag.starts_with('/'))
        && !frag
            .chars()
            .any(|c| c == '%' || c == '\\' || c == '#' || c.is_whitespace())
}

/// The schema a `#/…` reference points at inside `root`.
fn resolve<'a>(root: &'a Node, r: &str) -> Option<&'a Node> {
    let frag = r.strip_prefix('#')?;
    if frag.is_empty() {
        return Some(root);
    }
    let mut cur = root;
    for seg in frag.strip_prefix('/')?.split('/') {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        cur = match cur {
            Node::Obj(_) => cur.get(&seg)?,
            Node::Arr(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn type_ok(t: &Node, inst: &View) -> bool {
    let one = |name: &str| match name {
        "null" => matches!(inst, View::Null),
        "boolean" => matches!(inst, View::Bool(_)),
        "string" => matches!(inst, View::Str(_) | View::OwnedStr(_)),
        "array" => matches!(inst, View::List(_)),
        "object" => matches!(inst, View::Map(_)),
        "number" => matches!(inst, View::Num(_)),
        "integer" => match inst {
            View::Num(Num::Int(_)) => true,
            View::Num(Num::Float(f)) => f.fract() == 0.0,
            _ => false,
        },
        _ => false,
    };
    match t {
        Node::Str(s) => one(s),
        Node::Arr(ts) => ts.iter().any(|t| t.as_str().is_some_and(one)),
        _ => false,
    }
}

/// `minLength`, `maxItems` and the like: the limit was checked to be a `u64` by [`Schema::new`].
fn bound(kw: &str, limit: &Node, len: usize) -> Option<bool> {
    let limit = limit.as_u64()?;
    let len = len as u64;
    Some(if kw.starts_with("min") {
        len >= limit
    } else {
        len <= limit
    })
}

/// Exact numeric order. `None` for an integer beyond 2^53 against a fraction, where `f64` would
/// round.
fn num_cmp(a: Num, b: Num) -> Option<Ordering> {
    const EXACT: i128 = 1 << 53;
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Int(i), Num::Float(f)) => {
            (i.abs() <= EXACT).then_some(())?;
            (i as f64).partial_cmp(&f)
        }
        (Num::Float(f), Num::Int(i)) => {
            (i.abs() <= EXACT).then_some(())?;
            f.partial_cmp(&(i as f64))
        }
    }
}

/// `jsonschema` 0.18's equality: numbers by value across representations; objects pairwise in
/// stored order (document order for schema objects, key order for values).
fn equal(a: &Node, b: &Node) -> Option<bool> {
    Some(match (a, b) {
        (Node::Str(x), Node::Str(y)) => x == y,
        (Node::Bool(x), Node::Bool(y)) => x == y,
        (Node::Null, Node::Null) => true,
        (Node::Num(x), Node::Num(y)) => num_cmp(*x, *y)? == Ordering::Equal,
        (Node::Arr(x), Node::Arr(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            for (p, q) in x.iter().zip(y) {
                if !equal(p, q)? {
                    return Some(false);
                }
            }
            true
        }
        (Node::Obj(x), Node::Obj(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            for ((ka, va), (kb, vb)) in x.iter().zip(y) {
                if ka != kb || !equal(va, vb)? {
                    return Some(false);
                }
            }
            true
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    //! The direct check must agree with the compiled validator wherever it answers. These tests
    //! compare the two over every values schema in the repository and the shared corpus, on
    //! each chart's own values and on many single-point mutations of them.

    use super::*;
    use crate::engine::value::{MapType, SliceType};
    use serde_json::{Map, Value as Json};

    fn schema_files() -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        let roots = ["charts", "testdata", "../shared/conformance/charts"];
        for r in roots {
            let mut stack = vec![std::path::PathBuf::from(r)];
            while let Some(d) = stack.pop() {
                let Ok(rd) = std::fs::read_dir(&d) else {
                    continue;
                };
                for e in rd.flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.file_name().is_some_and(|n| n == "values.schema.json") {
                        out.push(p);
                    }
                }
            }
        }
        out.sort();
        out
    }

    /// The engine value for `j`, numbers as float64 as YAML gives them, except that strings
    /// `int64:N` become Go `int64`s as `--set` gives them.
    fn to_value(j: &Json) -> Value {
        match j {
            Json::String(s) if s.starts_with("int64:") => Value::Int64(s[6..].parse().unwrap()),
            Json::Array(a) => Value::List(
                SliceType::Interface,
                Arc::new(a.iter().map(to_value).collect()),
            ),
            Json::Object(o) => Value::Map(
                MapType::Interface,
                MapRef::new(o.iter().map(|(k, v)| (k.clone(), to_value(v))).collect()),
            ),
            other => crate::chart::strvals::from_json(other.clone()),
        }
    }

    /// Values to plant at a path: each JSON type, boundaries, and the shapes keywords test.
    fn probes() -> Vec<Json> {
        serde_json::from_str(
            r#"[null, true, false, 0, -1, 1, 3, 1.5, -2.5, 65536, 1152921504606846976, "", "x",
                "a-b.c", "ABC_123", "0", "10Gi", "http://x", "sha256:00", "  ", "é",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                [], [1], [1, 1], ["a", "b"], [{}], {}, {"a": 1}, {"name": "x", "value": "y"},
                "int64:5", "int64:-1", "int64:70000", "int64:0"]"#,
        )
        .unwrap()
    }

    /// Every path to a value inside `v`, in document order.
    fn paths(v: &Json, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(at.clone());
        match v {
            Json::Object(m) => {
                for (k, c) in m {
                    at.push(k.clone());
                    paths(c, at, out);
                    at.pop();
                }
            }
            Json::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    at.push(i.to_string());
                    paths(c, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }

    fn at_mut<'a>(v: &'a mut Json, path: &[String]) -> Option<&'a mut Json> {
        let mut cur = v;
        for seg in path {
            cur = match cur {
                Json::Object(m) => m.get_mut(seg)?,
                Json::Array(a) => a.get_mut(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    fn values_json(schema_path: &std::path::Path) -> Json {
        let text =
            std::fs::read_to_string(schema_path.with_file_name("values.yaml")).unwrap_or_default();
        match crate::engine::yaml::parse(&text) {
            Ok(Value::Map(_, m)) => {
                crate::chart::schema::normalised_json(&Value::Map(MapType::Interface, m))
            }
            _ => Json::Object(Map::new()),
        }
    }

    #[test]
    fn agrees_with_the_compiled_validator() {
        let files = schema_files();
        assert!(
            files.len() >= 10,
            "expected the repository's schemas, got {files:?}"
        );
        let probes = probes();
        let (mut direct_schemas, mut answered, mut invalid) = (0, 0, 0);
        for f in &files {
            let text = std::fs::read(f).unwrap();
            let Ok(doc) = serde_json::from_slice::<Json>(&text) else {
                continue;
            };
            let Some(direct) = Schema::new(&text) else {
                continue;
            };
            direct_schemas += 1;
            let compiled = jsonschema::JSONSchema::compile(&doc).unwrap_or_else(|e| {
                panic!(
                    "{}: accepted directly but does not compile: {e}",
                    f.display()
                )
            });
            let base = values_json(f);
            let mut all = Vec::new();
            paths(&base, &mut Vec::new(), &mut all);
            // Spread over the document so big values files stay quick in debug builds.
            let step = (all.len() / 80).max(1);
            let mut instances = vec![base.clone()];
            for p in all.iter().step_by(step) {
                for probe in &probes {
                    let mut v = base.clone();
                    if let Some(slot) = at_mut(&mut v, p) {
                        *slot = probe.clone();
                        instances.push(v);
                    }
                }
                // Drop the key (required) and add a stranger beside it (additionalProperties).
                if let Some((last, parent)) = p.split_last() {
                    let mut v = base.clone();
                    if let Some(Json::Object(m)) = at_mut(&mut v, parent) {
                        m.shift_remove(last);
                        m.insert("zzUnknownKey".into(), Json::from(1));
                        instances.push(v);
                    }
                }
            }
            for inst in &instances {
                let value = to_value(inst);
                let want = compiled.is_valid(&crate::chart::schema::normalised_json(&value));
                if let Some(got) = direct.check(&value) {
                    answered += 1;
                    invalid += usize::from(!want);
                    assert_eq!(
                        got,
                        want,
                        "{}: direct check says {got}, compiled says {want} for\n{}",
                        f.display(),
                        serde_json::to_string(inst).unwrap()
                    );
                }
            }
        }
        eprintln!(
            "{direct_schemas} schemas checked directly; {answered} answers, {invalid} invalid"
        );
        assert!(
            direct_schemas >= 5,
            "only {direct_schemas} schemas were checked directly"
        );
        assert!(
            invalid > 100,
            "the mutations should break the schemas often ({invalid})"
        );
        assert!(answered > 1000, "{answered}");
    }

    fn check(schema: &str, inst: &str) -> Option<bool> {
        let inst: Json = serde_json::from_str(inst).unwrap();
        Schema::new(schema.as_bytes())?.check(&to_value(&inst))
    }

    #[test]
    fn keywords_outside_the_subset_go_to_the_compiled_path() {
        for s in [
            r#"{"format": "email"}"#,
            r#"{"patternProperties": {"^a": {}}}"#,
            r#"{"$id": "http://x/y"}"#,
            r#"{"$schema": "http://json-schema.org/draft-04/schema#"}"#,
            r##"{"$ref": "other.json#/a"}"##,
            r##"{"$ref": "#/definitions/a%20b", "definitions": {"a b": {}}}"##,
            r#"{"properties": {"a": {"multipleOf": 2}}}"#,
            r#"{"type": "strng"}"#,
            r#"{"required": ["a", "a"]}"#,
            r#"{"minLength": -1}"#,
            r#"{"pattern": "("}"#,
            r#"{"allOf": []}"#,
            r#"{"properties": {"a": 3}}"#,
        ] {
            assert!(
                Schema::new(s.as_bytes()).is_none(),
                "{s} should not be checked directly"
            );
        }
    }

    #[test]
    fn decides_the_subset() {
        let s = r##"{"definitions": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}},
            "type": "object", "required": ["port"], "additionalProperties": false,
            "properties": {"port": {"$ref": "#/definitions/port"},
                           "name": {"type": ["string", "null"], "pattern": "^\\w+$", "maxLength": 3},
                           "mode": {"enum": ["a", 1]},
                           "list": {"type": "array", "uniqueItems": true, "items": {"type": "number"}},
                           "either": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}}"##;
        assert_eq!(check(s, r#"{"port": 80}"#), Some(true));
        assert_eq!(check(s, r#"{"port": 80.0}"#), Some(true));
        assert_eq!(check(s, r#"{"port": 0}"#), Some(false));
        assert_eq!(check(s, r#"{}"#), Some(false));
        assert_eq!(check(s, r#"{"port": 1, "x": 1}"#), Some(false));
        assert_eq!(check(s, r#"{"port": 1, "name": "ab_"}"#), Some(true));
        assert_eq!(check(s, r#"{"port": 1, "name": "a-b"}"#), Some(false));
        assert_eq!(check(s, r#"{"port": 1, "name": "abcd"}"#), Some(false));
        assert_eq!(check(s, r#"{"port": 1, "name": null}"#), Some(true));
        assert_eq!(check(s, r#"{"port": 1, "mode": 1.0}"#), Some(true));
        assert_eq!(check(s, r#"{"port": 1, "mode": "b"}"#), Some(false));
        assert_eq!(check(s, r#"{"port": 1, "list": [1, 1.0]}"#), Some(false));
        assert_eq!(check(s, r#"{"port": 1, "list": [1, 2]}"#), Some(true));
        assert_eq!(check(s, r#"{"port": 1, "either": 1.5}"#), Some(false));
        assert_eq!(check(s, r#"{"port": 1, "either": 2}"#), Some(true));
        assert_eq!(check(s, r#"{"port": "int64:443"}"#), Some(true));
        assert_eq!(check(s, r#"{"port": "int64:70000"}"#), Some(false));
        // An integer past 2^53 against a fractional bound is left undecided.
        assert_eq!(
            check(r#"{"minimum": 0.5}"#, r#""int64:9007199254740993""#),
            None
        );
    }
}
