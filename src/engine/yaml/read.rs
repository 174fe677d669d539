//! Reading YAML as helm does: libyaml's scanner and parser (go-yaml v2 is a port of it), a
//! composer that keeps positions, go-yaml v2's decoding into `interface{}`, then
//! sigs.k8s.io/yaml's conversion to JSON types.

use crate::engine::jsonnum::JsonNumber;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use libyaml_safer::{ErrorKind, EventData, Parser};

use super::resolve::{resolve_plain, Resolved};
use super::YamlError;
use crate::engine::format::{format_float, FloatFmt};
use crate::engine::value::{MapRef, MapType, SliceType, Value};

const TAG_STR: &str = "tag:yaml.org,2002:str";
const TAG_BINARY: &str = "tag:yaml.org,2002:binary";
const TAG_INT: &str = "tag:yaml.org,2002:int";
const TAG_FLOAT: &str = "tag:yaml.org,2002:float";
const TAG_BOOL: &str = "tag:yaml.org,2002:bool";
const TAG_NULL: &str = "tag:yaml.org,2002:null";
const TAG_TIMESTAMP: &str = "tag:yaml.org,2002:timestamp";
const TAG_MERGE: &str = "tag:yaml.org,2002:merge";

/// go-yaml's limit on nesting (its scanner's `max_indents` and `max_flow_level`).
const MAX_DEPTH: usize = 10000;

/// How a scalar was written in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    /// Unquoted.
    Plain,
    /// `'…'`
    SingleQuoted,
    /// `"…"`
    DoubleQuoted,
    /// `|`
    Literal,
    /// `>`
    Folded,
}

/// What a [`Node`] is.
#[derive(Clone, Debug)]
pub enum NodeKind {
    /// A scalar, with its text as written (after unescaping and folding).
    Scalar {
        /// The scalar's content.
        value: String,
        /// Its source style.
        style: ScalarStyle,
    },
    /// A sequence.
    Sequence(Vec<Node>),
    /// A mapping, entries in source order (duplicates kept).
    Mapping(Vec<(Node, Node)>),
    /// An alias `*name`. `target` is the anchored node it refers to; `None` when the alias
    /// refers to a node that contains it.
    Alias {
        /// The anchor name.
        name: String,
        /// The node the anchor names.
        target: Option<Arc<Node>>,
    },
}

/// A YAML node with its source position.
#[derive(Clone, Debug)]
pub struct Node {
    /// 1-based line of the node's first character (for a mapping key: the key's line).
    pub line: usize,
    /// 1-based column of the node's first character.
    pub column: usize,
    /// Its explicit tag in full form (`tag:yaml.org,2002:str` for `!!str`), if any.
    pub tag: Option<String>,
    /// Its anchor (`&name`), if any.
    pub anchor: Option<String>,
    /// The node's content.
    pub kind: NodeKind,
}

impl Node {
    /// The scalar text, when this is a scalar.
    pub fn as_scalar(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// For a mapping: every key whose text repeats an earlier key's, paired with that
    /// earlier key, in source order.
    pub fn duplicate_keys(&self) -> Vec<(&Node, &Node)> {
        let mut out = Vec::new();
        if let NodeKind::Mapping(entries) = &self.kind {
            let mut seen: HashMap<&str, &Node> = HashMap::new();
            for (k, _) in entries {
                if let Some(text) = k.as_scalar() {
                    if let Some(first) = seen.get(text) {
                        out.push((k, *first));
                    } else {
                        seen.insert(text, k);
                    }
                }
            }
        }
        out
    }

    /// The value of the first entry whose key text is `key`, for a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Mapping(entries) => entries
                .iter()
                .find(|(k, _)| k.as_scalar() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    fn implicit_plain(&self) -> bool {
        matches!(
            &self.kind,
            NodeKind::Scalar {
                style: ScalarStyle::Plain,
                ..
            }
        ) && self.tag.is_none()
    }
}

/// go-yaml v2's error placement: scanner errors name the 1-based line of the problem,
/// parser errors the 0-based one (a quirk of its `fail`), and line 0 is never named.
fn convert_error(e: &libyaml_safer::Error) -> YamlError {
    let problem_line = e.problem_mark().map_or(0, |m| m.line as usize);
    let context_line = e.context_mark().map_or(0, |m| m.line as usize);
    let line = if problem_line != 0 {
        if e.kind() == ErrorKind::Scanner {
            problem_line + 1
        } else {
            problem_line
        }
    } else {
        context_line
    };
    let problem = e.problem();
    let problem = if problem.is_empty() {
        "unknown problem parsing YAML content"
    } else {
        problem
    };
    YamlError::yaml(problem.to_string(), (line != 0).then_some(line))
}

struct Composer<'a> {
    parser: Parser<&'a mut &'a [u8]>,
    anchors: HashMap<String, Arc<Node>>,
    in_progress: HashSet<String>,
    /// Set when a newline was appended to the input (see [`with_composer`]): the byte length
    /// of the padded input, so a block scalar that reaches it can drop the added line break.
    padded_len: Option<usize>,
}

enum Frame {
    Seq(Node, Vec<Node>),
    Map(Node, Vec<(Node, Node)>, Option<Node>),
}

impl Composer<'_> {
    fn next(&mut self) -> Result<libyaml_safer::Event, YamlError> {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.parser.parse()));
        match r {
            Ok(Ok(ev)) => Ok(ev),
            Ok(Err(e)) => Err(convert_error(&e)),
            Err(_) => Err(YamlError::yaml(
                "unknown problem parsing YAML content".into(),
                None,
            )),
        }
    }

    /// Reads the next document, or `None` at the end of the stream.
    fn document(&mut self) -> Result<Option<Node>, YamlError> {
        loop {
            let ev = self.next()?;
            match ev.data {
                EventData::StreamStart { .. } => continue,
                EventData::StreamEnd => return Ok(None),
                EventData::DocumentStart { .. } => break,
                _ => {
                    return Err(YamlError::yaml(
                        "did not find expected <document start>".into(),
                        None,
                    ))
                }
            }
        }
        self.anchors.clear();
        self.in_progress.clear();
        let root = self.node()?.unwrap_or_else(|| Node {
            line: 1,
            column: 1,
            tag: None,
            anchor: None,
            kind: NodeKind::Scalar {
                value: String::new(),
                style: ScalarStyle::Plain,
            },
        });
        // DOCUMENT-END
        let ev = self.next()?;
        if !matches!(ev.data, EventData::DocumentEnd { .. }) {
            return Err(YamlError::yaml(
                "did not find expected <document end>".into(),
                None,
            ));
        }
        Ok(Some(root))
    }

    /// Composes one node iteratively, so deep nesting cannot exhaust the stack here.
    fn node(&mut self) -> Result<Option<Node>, YamlError> {
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            let ev = self.next()?;
            let line = ev.start_mark.line as usize + 1;
            let column = ev.start_mark.column as usize + 1;
            let done: Node = match ev.data {
                EventData::Scalar {
                    anchor,
                    tag,
                    mut value,
                    style,
                    ..
                } => {
                    let block = matches!(
                        style,
                        libyaml_safer::ScalarStyle::Literal | libyaml_safer::ScalarStyle::Folded
                    );
                    if block
                        && self
                            .padded_len
                            .is_some_and(|n| ev.end_mark.index as usize >= n)
                        && value.ends_with('\n')
                    {
                        // The line break that ends this scalar is the one we appended.
                        value.pop();
                    }
                    let style = match style {
                        libyaml_safer::ScalarStyle::SingleQuoted => ScalarStyle::SingleQuoted,
                        libyaml_safer::ScalarStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
                        libyaml_safer::ScalarStyle::Literal => ScalarStyle::Literal,
                        libyaml_safer::ScalarStyle::Folded => ScalarStyle::Folded,
                        _ => ScalarStyle::Plain,
                    };
                    let n = Node {
                        line,
                        column,
                        tag: tag.filter(|t| !t.is_empty()),
                        anchor,
                        kind: NodeKind::Scalar { value, style },
                    };
                    self.finish_anchor(&n);
                    n
                }
                EventData::Alias { anchor } => {
                    let target = self.anchors.get(&anchor).cloned();
                    if target.is_none() && !self.in_progress.contains(&anchor) {
                        return Err(YamlError::yaml(
                            format!("unknown anchor '{anchor}' referenced"),
                            None,
                        ));
                    }
                    Node {
                        line,
                        column,
                        tag: None,
                        anchor: None,
                        kind: NodeKind::Alias {
                            name: anchor,
                            target,
                        },
                    }
                }
                EventData::SequenceStart { anchor, tag, .. } => {
                    self.start_anchor(&anchor);
                    let n = Node {
                        line,
                        column,
                        tag: tag.filter(|t| !t.is_empty()),
                        anchor,
                        kind: NodeKind::Sequence(Vec::new()),
                    };
                    stack.push(Frame::Seq(n, Vec::new()));
                    if stack.len() > MAX_DEPTH {
                        return Err(depth_error(line));
                    }
                    continue;
                }
                EventData::MappingStart { anchor, tag, .. } => {
                    self.start_anchor(&anchor);
                    let n = Node {
                        line,
                        column,
                        tag: tag.filter(|t| !t.is_empty()),
                        anchor,
                        kind: NodeKind::Mapping(Vec::new()),
                    };
                    stack.push(Frame::Map(n, Vec::new(), None));
                    if stack.len() > MAX_DEPTH {
                        return Err(depth_error(line));
                    }
                    continue;
                }
                EventData::SequenceEnd => match stack.pop() {
                    Some(Frame::Seq(mut n, items)) => {
                        n.kind = NodeKind::Sequence(items);
                        self.finish_anchor(&n);
                        n
                    }
                    _ => return Err(YamlError::yaml("unexpected sequence end".into(), None)),
                },
                EventData::MappingEnd => match stack.pop() {
                    Some(Frame::Map(mut n, entries, _)) => {
                        n.kind = NodeKind::Mapping(entries);
                        self.finish_anchor(&n);
                        n
                    }
                    _ => return Err(YamlError::yaml("unexpected mapping end".into(), None)),
                },
                EventData::DocumentEnd { .. } | EventData::StreamEnd => {
                    // An empty document: no node at all.
                    if stack.is_empty() {
                        return Ok(None);
                    }
                    return Err(YamlError::yaml(
                        "attempted to go past the end of stream; corrupted value?".into(),
                        None,
                    ));
                }
                _ => continue,
            };
            match stack.last_mut() {
                None => return Ok(Some(done)),
                Some(Frame::Seq(_, items)) => items.push(done),
                Some(Frame::Map(_, entries, pending)) => match pending.take() {
                    None => *pending = Some(done),
                    Some(k) => entries.push((k, done)),
                },
            }
        }
    }

    fn start_anchor(&mut self, anchor: &Option<String>) {
        if let Some(a) = anchor {
            // A redefinition hides the earlier node from aliases inside this one.
            self.anchors.remove(a);
            self.in_progress.insert(a.clone());
        }
    }

    fn finish_anchor(&mut self, n: &Node) {
        if let Some(a) = &n.anchor {
            self.in_progress.remove(a);
            self.anchors.insert(a.clone(), Arc::new(n.clone()));
        }
    }
}

fn depth_error(line: usize) -> YamlError {
    YamlError::yaml(format!("exceeded max depth of {MAX_DEPTH}"), Some(line))
}

/// libyaml-safer 0.3 still has a few `panic!("TODO")`s for malformed input (a tag followed by
/// `,` in a flow collection is one). [`Composer::next`] turns them into YAML errors; this keeps
/// the panic hook from printing them, or, under a fuzzer, from aborting. Only panics raised
/// inside libyaml-safer are silenced; every other panic reaches the previous hook unchanged.
fn silence_parser_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_parser = info
                .location()
                .is_some_and(|l| l.file().contains("libyaml-safer"));
            if !in_parser {
                previous(info);
            }
        }));
    });
}

fn with_composer<R>(
    src: &str,
    f: impl FnOnce(&mut Composer<'_>) -> Result<R, YamlError>,
) -> Result<R, YamlError> {
    silence_parser_panics();
    // libyaml-safer panics on a block scalar that ends the input without a line break, where
    // libyaml and go-yaml simply end the scalar. Parse with a line break appended and let the
    // composer take it back off such a scalar.
    let padded;
    let (text, padded_len) = if !src.is_empty() && !src.ends_with('\n') {
        padded = format!("{src}\n");
        (padded.as_str(), Some(padded.len()))
    } else {
        (src, None)
    };
    let mut bytes: &[u8] = text.as_bytes();
    let mut parser = Parser::new();
    parser.set_input_string(&mut bytes);
    let mut c = Composer {
        parser,
        anchors: HashMap::new(),
        in_progress: HashSet::new(),
        padded_len,
    };
    f(&mut c)
}

/// Every document of `src` as a position-keeping node tree.
pub fn parse_nodes(src: &str) -> Result<Vec<Node>, YamlError> {
    with_composer(src, |c| {
        let mut docs = Vec::new();
        while let Some(doc) = c.document()? {
            docs.push(doc);
        }
        Ok(docs)
    })
}

/// The first document of `src` as a node, as go-yaml v2's `Unmarshal` reads it (later
/// documents are not even scanned).
pub fn parse_first_node(src: &str) -> Result<Option<Node>, YamlError> {
    with_composer(src, |c| c.document())
}

/// A value as go-yaml v2 decodes it into `interface{}`.
#[derive(Clone, Debug)]
enum GoVal {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<GoVal>),
    Map(Vec<(GoVal, GoVal)>),
}

impl GoVal {
    /// Go map-key equality for the scalar key types go-yaml produces.
    fn same_key(&self, other: &GoVal) -> bool {
        match (self, other) {
            (GoVal::Nil, GoVal::Nil) => true,
            (GoVal::Bool(a), GoVal::Bool(b)) => a == b,
            (GoVal::Int(a), GoVal::Int(b)) => a == b,
            (GoVal::Uint(a), GoVal::Uint(b)) => a == b,
            (GoVal::Float(a), GoVal::Float(b)) => a == b,
            (GoVal::Str(a), GoVal::Str(b)) => a == b,
            _ => false,
        }
    }

    /// Go's `%#v` of the value, for go-yaml's `invalid map key` message.
    fn go_syntax(&self, out: &mut String, top: bool) {
        match self {
            GoVal::Nil => out.push_str("interface {}(nil)"),
            GoVal::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            GoVal::Int(i) => {
                let _ = write!(out, "{i}");
            }
            GoVal::Uint(u) => {
                let _ = write!(out, "0x{u:x}");
            }
            GoVal::Float(f) => out.push_str(&format_float(*f, FloatFmt::G)),
            GoVal::Str(s) => {
                let _ = write!(out, "{s:?}");
            }
            GoVal::Seq(items) => {
                out.push_str("[]interface {}{");
                for (n, i) in items.iter().enumerate() {
                    if n > 0 {
                        out.push_str(", ");
                    }
                    i.go_syntax(out, false);
                }
                out.push('}');
            }
            GoVal::Map(entries) => {
                out.push_str("map[interface {}]interface {}{");
                for (n, (k, v)) in entries.iter().enumerate() {
                    if n > 0 {
                        out.push_str(", ");
                    }
                    k.go_syntax(out, false);
                    out.push(':');
                    v.go_syntax(out, false);
                }
                out.push('}');
            }
        }
        let _ = top;
    }
}

struct Decoder {
    decode_count: usize,
    alias_count: usize,
    alias_depth: usize,
    active_aliases: Vec<*const Node>,
}

fn fail(msg: impl Into<String>) -> YamlError {
    YamlError::yaml(msg.into(), None)
}

fn allowed_alias_ratio(decode_count: usize) -> f64 {
    const LOW: f64 = 400_000.0;
    const HIGH: f64 = 4_000_000.0;
    let d = decode_count as f64;
    if d <= LOW {
        0.99
    } else if d >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((d - LOW) / (HIGH - LOW))
    }
}

impl Decoder {
    fn unmarshal(&mut self, n: &Node) -> Result<GoVal, YamlError> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count)
        {
            return Err(fail("document contains excessive aliasing"));
        }
        match &n.kind {
            NodeKind::Alias { name, target } => {
                let Some(t) = target else {
                    return Err(fail(format!("anchor '{name}' value contains itself")));
                };
                let key: *const Node = Arc::as_ptr(t);
                if self.active_aliases.contains(&key) {
                    return Err(fail(format!("anchor '{name}' value contains itself")));
                }
                self.active_aliases.push(key);
                self.alias_depth += 1;
                let r = self.unmarshal(t);
                self.alias_depth -= 1;
                self.active_aliases.pop();
                r
            }
            NodeKind::Scalar { value, style } => self.scalar(n, value, *style),
            NodeKind::Sequence(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.unmarshal(i)?);
                }
                Ok(GoVal::Seq(out))
            }
            NodeKind::Mapping(_) => {
                let mut map = Vec::new();
                self.mapping_into(n, &mut map)?;
                Ok(GoVal::Map(map))
            }
        }
    }

    fn mapping_into(&mut self, n: &Node, map: &mut Vec<(GoVal, GoVal)>) -> Result<(), YamlError> {
        let NodeKind::Mapping(entries) = &n.kind else {
            return Ok(());
        };
        for (k, v) in entries {
            let is_merge = k.as_scalar() == Some("<<")
                && (k.implicit_plain() || k.tag.as_deref() == Some(TAG_MERGE));
            if is_merge {
                self.merge(v, map)?;
                continue;
            }
            let key = self.unmarshal(k)?;
            if matches!(key, GoVal::Map(_) | GoVal::Seq(_)) {
                let mut s = String::from("invalid map key: ");
                key.go_syntax(&mut s, true);
                return Err(fail(s));
            }
            let val = self.unmarshal(v)?;
            set_key(map, key, val);
        }
        Ok(())
    }

    fn merge(&mut self, v: &Node, map: &mut Vec<(GoVal, GoVal)>) -> Result<(), YamlError> {
        let want_map = || fail("map merge requires map or sequence of maps as the value");
        let is_map = |n: &Node| matches!(n.kind, NodeKind::Mapping(_));
        match &v.kind {
            NodeKind::Mapping(_) => self.merge_one(v, map),
            NodeKind::Alias { target, .. } => {
                if let Some(t) = target {
                    if !is_map(t) {
                        return Err(want_map());
                    }
                }
                self.merge_one(v, map)
            }
            NodeKind::Sequence(items) => {
                for item in items.iter().rev() {
                    match &item.kind {
                        NodeKind::Alias { target, .. } => {
                            if let Some(t) = target {
                                if !is_map(t) {
                                    return Err(want_map());
                                }
                            }
                        }
                        NodeKind::Mapping(_) => {}
                        _ => return Err(want_map()),
                    }
                    self.merge_one(item, map)?;
                }
                Ok(())
            }
            NodeKind::Scalar { .. } => Err(want_map()),
        }
    }

    /// Decodes a mapping (or an alias to one) into an existing map, as go-yaml does for merges.
    fn merge_one(&mut self, v: &Node, map: &mut Vec<(GoVal, GoVal)>) -> Result<(), YamlError> {
        match self.unmarshal(v)? {
            GoVal::Map(entries) => {
                for (k, val) in entries {
                    set_key(map, k, val);
                }
                Ok(())
            }
            _ => Err(fail(
                "map merge requires map or sequence of maps as the value",
            )),
        }
    }

    fn scalar(&mut self, n: &Node, value: &str, style: ScalarStyle) -> Result<GoVal, YamlError> {
        let tag = n.tag.as_deref().unwrap_or("");
        if tag.is_empty() && style != ScalarStyle::Plain {
            return Ok(GoVal::Str(value.to_string()));
        }
        if tag == TAG_BINARY {
            let clean: String = value.chars().filter(|c| !c.is_whitespace()).collect();
            return match base64::engine::general_purpose::STANDARD.decode(clean) {
                Ok(b) => Ok(GoVal::Str(String::from_utf8_lossy(&b).into_owned())),
                Err(_) => Err(fail("!!binary value contains invalid base64 data")),
            };
        }
        let resolvable = matches!(
            tag,
            "" | TAG_STR | TAG_BOOL | TAG_INT | TAG_FLOAT | TAG_NULL | TAG_TIMESTAMP
        );
        if !resolvable || tag == TAG_STR {
            return Ok(GoVal::Str(value.to_string()));
        }
        let mut r = resolve_plain(value);
        if r == Resolved::Timestamp && !(tag.is_empty() || tag == TAG_TIMESTAMP) {
            // Explicitly tagged values are not tried as timestamps.
            r = resolve_no_timestamp(value);
        }
        let (rtag, out) = match r {
            Resolved::Null => (TAG_NULL, GoVal::Nil),
            Resolved::Bool(b) => (TAG_BOOL, GoVal::Bool(b)),
            Resolved::Int(i) => (TAG_INT, GoVal::Int(i)),
            Resolved::Uint(u) => (TAG_INT, GoVal::Uint(u)),
            Resolved::Float(f) => (TAG_FLOAT, GoVal::Float(f)),
            Resolved::Timestamp => (TAG_TIMESTAMP, GoVal::Str(value.to_string())),
            Resolved::Str => (TAG_STR, GoVal::Str(value.to_string())),
        };
        if tag.is_empty() || tag == rtag {
            return Ok(out);
        }
        if tag == TAG_FLOAT && rtag == TAG_INT {
            if let GoVal::Int(i) = out {
                return Ok(GoVal::Float(i as f64));
            }
        }
        Err(fail(format!(
            "cannot decode {} `{}` as a {}",
            short_tag(rtag),
            value,
            short_tag(tag)
        )))
    }
}

fn resolve_no_timestamp(value: &str) -> Resolved {
    let plain: String = value.chars().filter(|&c| c != '_').collect();
    if let Some(i) = super::resolve::go_parse_int(&plain) {
        return Resolved::Int(i);
    }
    if let Some(u) = super::resolve::go_parse_uint(&plain) {
        return Resolved::Uint(u);
    }
    Resolved::Str
}

fn short_tag(t: &str) -> String {
    match t.strip_prefix("tag:yaml.org,2002:") {
        Some(rest) => format!("!!{rest}"),
        None => t.to_string(),
    }
}

fn set_key(map: &mut Vec<(GoVal, GoVal)>, key: GoVal, val: GoVal) {
    if let Some(slot) = map.iter_mut().find(|(k, _)| k.same_key(&key)) {
        slot.1 = val;
    } else {
        map.push((key, val));
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`, as sigs.k8s.io/yaml names float keys.
pub(super) fn format_float32_g(f: f64) -> String {
    let f32v = f as f32;
    if f32v.is_nan() {
        return ".nan".into();
    }
    if f32v.is_infinite() {
        return if f32v > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    if f32v == 0.0 {
        return if f32v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let s = format!("{:e}", f32v.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let neg = if f32v < 0.0 { "-" } else { "" };
    // Shortest 'g' formatting switches to exponent form outside [1e-4, 1e6).
    if !(-4..6).contains(&exp) {
        let mut out = String::from(neg);
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
        out
    } else {
        let mut out = String::from(neg);
        let dp = exp + 1;
        if dp <= 0 {
            out.push_str("0.");
            for _ in 0..(-dp) {
                out.push('0');
            }
            out.push_str(&digits);
        } else if dp as usize >= digits.len() {
            out.push_str(&digits);
            for _ in 0..(dp as usize - digits.len()) {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..dp as usize]);
            out.push('.');
            out.push_str(&digits[dp as usize..]);
        }
        out
    }
}

/// sigs.k8s.io/yaml's conversion to JSON-compatible data, then `encoding/json` into
/// `interface{}`.
/// With `use_number`, numbers come back as `json.Number` (`Decoder.UseNumber`) holding the
/// text encoding/json wrote for them.
fn to_json_value(v: GoVal, use_number: bool, err: &mut Option<String>) -> Value {
    match v {
        GoVal::Nil => Value::Nil,
        GoVal::Bool(b) => Value::Bool(b),
        GoVal::Int(i) if use_number => JsonNumber::value(i.to_string()),
        GoVal::Uint(u) if use_number => JsonNumber::value(u.to_string()),
        GoVal::Int(i) => Value::Float(i as f64),
        GoVal::Uint(u) => Value::Float(u as f64),
        GoVal::Float(f) => {
            if !f.is_finite() && err.is_none() {
                *err = Some(format!(
                    "json: unsupported value: {}",
                    format_float(f, FloatFmt::G)
                ));
            }
            if use_number && f.is_finite() {
                JsonNumber::value(format_float(f, FloatFmt::Json))
            } else {
                Value::Float(f)
            }
        }
        GoVal::Str(s) => Value::from(s),
        GoVal::Seq(items) => Value::List(
            SliceType::Interface,
            Arc::new(
                items
                    .into_iter()
                    .map(|i| to_json_value(i, use_number, err))
                    .collect(),
            ),
        ),
        GoVal::Map(entries) => {
            let mut map = BTreeMap::new();
            for (k, v) in entries {
                let key = match &k {
                    GoVal::Str(s) => s.clone(),
                    GoVal::Int(i) => i.to_string(),
                    GoVal::Uint(u) => u.to_string(),
                    GoVal::Float(f) => format_float32_g(*f),
                    GoVal::Bool(b) => b.to_string(),
                    _ => {
                        if err.is_none() {
                            let mut val = String::new();
                            v.go_syntax(&mut val, true);
                            *err = Some(format!(
                                "unsupported map key of type: %!s(<nil>), key: <nil>, value: {val}"
                            ));
                        }
                        continue;
                    }
                };
                let val = to_json_value(v, use_number, err);
                map.insert(key, val);
            }
            Value::Map(MapType::Interface, MapRef::new(map))
        }
    }
}

/// A resolved plain number as sigs.k8s.io/yaml converts it (`json.Number` with
/// `use_number`); `None` for what has no JSON form (NaN, infinities) and for non-numbers.
pub(super) fn scalar_number(r: Resolved, use_number: bool) -> Option<Value> {
    let go = match r {
        Resolved::Int(i) => GoVal::Int(i),
        Resolved::Uint(u) => GoVal::Uint(u),
        Resolved::Float(f) => GoVal::Float(f),
        _ => return None,
    };
    let mut err = None;
    let v = to_json_value(go, use_number, &mut err);
    err.is_none().then_some(v)
}

/// Decodes a composed document into helm's value types.
pub fn node_to_value(node: Option<&Node>) -> Result<Value, YamlError> {
    node_to_value_with(node, false)
}

/// [`node_to_value`], with numbers as `json.Number` when `use_number` is set.
pub fn node_to_value_with(node: Option<&Node>, use_number: bool) -> Result<Value, YamlError> {
    let Some(node) = node else {
        return Ok(Value::Nil);
    };
    let mut d = Decoder {
        decode_count: 0,
        alias_count: 0,
        alias_depth: 0,
        active_aliases: Vec::new(),
    };
    let go = d.unmarshal(node)?;
    let mut err = None;
    let v = to_json_value(go, use_number, &mut err);
    match err {
        Some(e) => Err(YamlError::convert(e)),
        None => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_panics_become_errors() {
        // libyaml-safer panics on a tag directly followed by `,` in a flow collection.
        assert!(crate::engine::yaml::parse("a: [!x,]").is_err());
        assert!(crate::engine::yaml::parse("a: [[!t,,]]\nb: 2").is_err());
    }

    #[test]
    fn float32_keys() {
        assert_eq!(format_float32_g(1.5), "1.5");
        assert_eq!(format_float32_g(0.1), "0.1");
        assert_eq!(format_float32_g(1.123456789), "1.1234568");
        assert_eq!(format_float32_g(1e20), "1e+20");
        assert_eq!(format_float32_g(1234567.0), "1.234567e+06");
        assert_eq!(format_float32_g(100.0), "100");
    }
}
