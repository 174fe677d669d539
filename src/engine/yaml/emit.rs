//! The YAML writers behind `toYaml` (go-yaml v2 after a JSON round trip, as
//! sigs.k8s.io/yaml does it) and `toYamlPretty` (go-yaml v3's encoder with indent 2).
//!
//! Both emitters are libyaml's block emitter; this follows its state (column, indentation,
//! whitespace flags) closely enough that folding, quoting and block scalars come out
//! byte-identical.

use super::resolve::{is_base60_float, resolve_plain, Resolved};
use crate::engine::format::{format_float, FloatFmt};
use crate::engine::jsonnum::JsonNumber;
use crate::engine::value::Value;

/// A node ready to emit.
enum Y {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Y>),
    Map(Vec<(String, Y)>),
}

/// Nesting beyond this is a cycle (maps are shared references and `set` can make loops) or
/// an absurd input; both fail instead of recursing without bound.
const MAX_NEST: usize = 10000;

/// helm's `toYaml` before trimming: `json.Marshal`, then go-yaml v2's `Marshal` of the JSON
/// decoded as YAML, including the trailing newline.
pub fn to_yaml(v: &Value) -> Result<String, String> {
    let mut path = Vec::new();
    let y = from_json_view(v, &mut path).map_err(|e| format!("error marshaling into JSON: {e}"))?;
    let mut e = Emitter::new(false);
    e.emit_document(&y);
    Ok(e.out)
}

/// helm's `toYamlPretty` before trimming: go-yaml v3's encoder with `SetIndent(2)`,
/// including the trailing newline.
pub fn to_yaml_pretty(v: &Value) -> Result<String, String> {
    let y = from_direct(v, 0)?;
    let mut e = Emitter::new(true);
    e.emit_document(&y);
    Ok(e.out)
}

/// The value as `json.Marshal` sees it, with numbers re-typed as go-yaml reads JSON text.
fn from_json_view(v: &Value, path: &mut Vec<usize>) -> Result<Y, String> {
    Ok(match v {
        Value::Missing | Value::Nil => Y::Null,
        Value::Bool(b) => Y::Bool(*b),
        Value::Int(i) | Value::Int64(i) => Y::Int(*i),
        Value::Int32(i) => Y::Int(*i as i64),
        Value::Uint8(i) => Y::Int(*i as i64),
        Value::Uint32(i) => Y::Int(*i as i64),
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(format!(
                    "json: unsupported value: {}",
                    format_float(*f, FloatFmt::G)
                ));
            }
            match resolve_plain(&format_float(*f, FloatFmt::Json)) {
                Resolved::Int(i) => Y::Int(i),
                Resolved::Uint(u) => Y::Uint(u),
                _ => Y::Float(*f),
            }
        }
        Value::Complex(..) => return Err("json: unsupported type: complex128".into()),
        Value::String(s) => Y::Str(s.to_string()),
        Value::Bytes(b) => {
            use base64::Engine as _;
            Y::Str(base64::engine::general_purpose::STANDARD.encode(b))
        }
        Value::List(_, items) => {
            if path.len() > MAX_NEST {
                return Err("json: unsupported value: nesting too deep".into());
            }
            path.push(0);
            let r = items
                .iter()
                .map(|i| from_json_view(i, path))
                .collect::<Result<Vec<_>, _>>();
            path.pop();
            Y::Seq(r?)
        }
        Value::Map(t, m) => {
            let addr = v.map_addr().unwrap_or(0);
            if path.contains(&addr) || path.len() > MAX_NEST {
                return Err(format!(
                    "json: unsupported value: encountered a cycle via {}",
                    t.go_name()
                ));
            }
            path.push(addr);
            let mut entries = Vec::new();
            for (k, item) in m.entries() {
                match from_json_view(&item, path) {
                    Ok(y) => entries.push((k, y)),
                    Err(e) => {
                        path.pop();
                        return Err(e);
                    }
                }
            }
            path.pop();
            sort_keys(&mut entries, false);
            Y::Map(entries)
        }
        Value::Object(o) => {
            if path.len() > MAX_NEST {
                return Err("json: unsupported value: nesting too deep".into());
            }
            path.push(0);
            let r = from_json_view(&o.to_data(), path);
            path.pop();
            r?
        }
    })
}

/// The value as go-yaml v3 sees the Go value itself.
fn from_direct(v: &Value, depth: usize) -> Result<Y, String> {
    if depth > MAX_NEST {
        return Err("yaml: nesting too deep".into());
    }
    Ok(match v {
        Value::Missing | Value::Nil => Y::Null,
        Value::Bool(b) => Y::Bool(*b),
        Value::Int(i) | Value::Int64(i) => Y::Int(*i),
        Value::Int32(i) => Y::Int(*i as i64),
        Value::Uint8(i) => Y::Int(*i as i64),
        Value::Uint32(i) => Y::Int(*i as i64),
        Value::Float(f) => Y::Float(*f),
        Value::Complex(..) => return Err("yaml: cannot marshal type: complex128".into()),
        Value::String(s) => Y::Str(s.to_string()),
        Value::Bytes(b) => Y::Seq(b.iter().map(|x| Y::Int(*x as i64)).collect()),
        Value::List(_, items) => Y::Seq(
            items
                .iter()
                .map(|i| from_direct(i, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(_, m) => {
            let mut entries = Vec::new();
            for (k, item) in m.entries() {
                entries.push((k, from_direct(&item, depth + 1)?));
            }
            sort_keys(&mut entries, true);
            Y::Map(entries)
        }
        // go-yaml v3 knows no json.Number: it is a string to it.
        Value::Object(_) if JsonNumber::text_of(v).is_some() => {
            Y::Str(JsonNumber::text_of(v).unwrap_or_default().to_string())
        }
        Value::Object(o) => from_direct(&o.to_data(), depth + 1)?,
    })
}

/// go-yaml v3's map key order ("natural" order: runs of digits compare as numbers), the
/// order `toYamlPretty` and helm-unittest's snapshots write keys in.
pub fn v3_key_less(a: &str, b: &str) -> bool {
    key_less(a, b, true)
}

/// go-yaml's `keyList.Less` for string keys ("natural" order). `v3` adds its rule for a
/// letter following a run of digits.
fn key_less(a: &str, b: &str, v3: bool) -> bool {
    let (mut abuf, mut bbuf) = (Chars::new(), Chars::new());
    let (ar, br) = (abuf.of(a), bbuf.of(b));
    let mut digits = false;
    let n = ar.len().min(br.len());
    for i in 0..n {
        if ar[i] == br[i] {
            digits = ar[i].is_numeric();
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return if v3 && digits { al } else { bl };
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && ar[j - 1].is_numeric() {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_numeric() {
            an = an
                .wrapping_mul(10)
                .wrapping_add(ar[ai].to_digit(10).unwrap_or(0) as i64);
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_numeric() {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(br[bi].to_digit(10).unwrap_or(0) as i64);
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// The characters of a string, for indexing; on the stack when the string is short, as most keys
/// and scalars are. Collecting them into a `Vec` cost an allocation per key comparison and per
/// scalar written, a third of `toYaml`'s time.
struct Chars {
    stack: [char; 128],
    heap: Vec<char>,
}

impl Chars {
    fn new() -> Self {
        Chars {
            stack: ['\0'; 128],
            heap: Vec::new(),
        }
    }

    fn of(&mut self, s: &str) -> &[char] {
        // A string's byte length bounds its character count.
        if s.len() <= self.stack.len() {
            let mut n = 0;
            for c in s.chars() {
                self.stack[n] = c;
                n += 1;
            }
            &self.stack[..n]
        } else {
            self.heap.clear();
            self.heap.extend(s.chars());
            &self.heap
        }
    }
}

/// A stable merge sort on `key_less`; it never panics, even if the order is not total. It
/// sorts positions with one scratch buffer, making the same comparisons in the same order as
/// a merge sort of the entries themselves.
fn sort_keys(entries: &mut Vec<(String, Y)>, v3: bool) {
    if entries.len() <= 1 {
        return;
    }
    let mut order: Vec<usize> = (0..entries.len()).collect();
    let mut scratch = Vec::with_capacity(entries.len());
    merge_sort(&mut order, &mut scratch, &|x, y| {
        key_less(&entries[x].0, &entries[y].0, v3)
    });
    let mut slots: Vec<Option<(String, Y)>> =
        std::mem::take(entries).into_iter().map(Some).collect();
    *entries = order.iter().filter_map(|&i| slots[i].take()).collect();
}

fn merge_sort(v: &mut [usize], scratch: &mut Vec<usize>, less: &dyn Fn(usize, usize) -> bool) {
    if v.len() <= 1 {
        return;
    }
    let mid = v.len() / 2;
    merge_sort(&mut v[..mid], scratch, less);
    merge_sort(&mut v[mid..], scratch, less);
    let (left, right) = v.split_at(mid);
    scratch.clear();
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if less(right[j], left[i]) {
            scratch.push(right[j]);
            j += 1;
        } else {
            scratch.push(left[i]);
            i += 1;
        }
    }
    scratch.extend_from_slice(&left[i..]);
    scratch.extend_from_slice(&right[j..]);
    v.copy_from_slice(scratch);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Parent {
    Document,
    SeqItem,
    MapKey,
    MapValue,
}

struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    flow_plain_allowed: bool,
    single_allowed: bool,
    block_allowed: bool,
}

fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: Option<char>) -> bool {
    matches!(c, Some(' ' | '\t'))
}

fn analyze(value: &str, v3: bool) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain_allowed: false,
            block_plain_allowed: true,
            single_allowed: true,
            block_allowed: false,
        };
    }
    let mut buf = Chars::new();
    let chars = buf.of(value);
    let n = chars.len();
    let mut block_ind = false;
    let mut flow_ind = false;
    if value.starts_with("---") || value.starts_with("...") {
        block_ind = true;
        flow_ind = true;
    }
    let (mut line_breaks, mut special, mut tabs) = (false, false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_by_ws = true;
    for i in 0..n {
        let c = chars[i];
        let followed_by_ws = i + 1 >= n || is_blank(chars.get(i + 1).copied());
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => {
                    flow_ind = true;
                    block_ind = true;
                }
                '?' | ':' => {
                    flow_ind = true;
                    if followed_by_ws {
                        block_ind = true;
                    }
                }
                '-' if followed_by_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        } else {
            match c {
                ',' | '?' | '[' | ']' | '{' | '}' => flow_ind = true,
                ':' => {
                    flow_ind = true;
                    if followed_by_ws {
                        block_ind = true;
                    }
                }
                '#' if preceded_by_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        }
        if v3 && c == '\t' {
            tabs = true;
        } else if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == n {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == n {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = c == ' ' || c == '\t' || is_break(c) || c == '\0';
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain_allowed: true,
        block_plain_allowed: true,
        single_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_allowed = false;
    }
    if space_break || tabs || special {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_allowed = false;
    }
    if space_break || special {
        a.block_allowed = false;
    }
    if line_breaks {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if flow_ind {
        a.flow_plain_allowed = false;
    }
    if block_ind {
        a.block_plain_allowed = false;
    }
    a
}

struct Emitter {
    out: String,
    v3: bool,
    column: usize,
    whitespace: bool,
    indention: bool,
    indent: i64,
    indents: Vec<i64>,
    flow_level: usize,
    best_indent: i64,
    best_width: usize,
    simple_key_context: bool,
    mapping_context: bool,
}

impl Emitter {
    fn new(v3: bool) -> Self {
        Emitter {
            out: String::new(),
            v3,
            column: 0,
            whitespace: true,
            indention: true,
            indent: -1,
            indents: Vec::new(),
            flow_level: 0,
            best_indent: 2,
            best_width: if v3 { usize::MAX } else { 80 },
            simple_key_context: false,
            mapping_context: false,
        }
    }

    fn emit_document(&mut self, y: &Y) {
        self.node(y, Parent::Document, false, false, false);
        self.write_indent();
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
        if self.v3 {
            self.indention = true;
        }
    }

    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool, parent: Parent) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { self.best_indent } else { 0 };
        } else if !indentless {
            if self.v3 {
                if parent == Parent::SeqItem {
                    self.indent += 2;
                } else {
                    self.indent =
                        self.best_indent * ((self.indent + self.best_indent) / self.best_indent);
                }
            } else {
                self.indent += self.best_indent;
            }
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        if !self.v3 {
            self.indention = true;
        }
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        for c in ind.chars() {
            self.put(c);
        }
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    /// `parent` is the state the emitter returns to after this node (the top of libyaml's
    /// state stack), which v3's indentation rule looks at.
    fn node(&mut self, y: &Y, parent: Parent, sequence: bool, mapping: bool, simple_key: bool) {
        let _ = sequence;
        self.mapping_context = mapping;
        self.simple_key_context = simple_key;
        match y {
            Y::Null => self.scalar("null", Style::Plain, parent),
            Y::Bool(b) => self.scalar(if *b { "true" } else { "false" }, Style::Plain, parent),
            Y::Int(i) => self.scalar(&i.to_string(), Style::Plain, parent),
            Y::Uint(u) => self.scalar(&u.to_string(), Style::Plain, parent),
            Y::Float(f) => {
                let s = match format_float(*f, FloatFmt::G).as_str() {
                    "+Inf" => ".inf".to_string(),
                    "-Inf" => "-.inf".to_string(),
                    "NaN" => ".nan".to_string(),
                    s => s.to_string(),
                };
                self.scalar(&s, Style::Plain, parent)
            }
            Y::Str(s) => {
                let can_plain = resolve_plain(s) == Resolved::Str
                    && !is_base60_float(s)
                    && !(self.v3 && is_old_bool(s));
                let style = if s.contains('\n') {
                    Style::Literal
                } else if can_plain {
                    Style::Plain
                } else {
                    Style::Double
                };
                self.scalar(s, style, parent)
            }
            Y::Seq(items) => {
                if items.is_empty() || self.flow_level > 0 {
                    self.write_indicator("[", true, true, false);
                    self.increase_indent(true, false, parent);
                    self.flow_level += 1;
                    self.flow_level -= 1;
                    self.pop_indent();
                    self.write_indicator("]", false, false, false);
                    return;
                }
                let indentless = !self.v3 && self.mapping_context && !self.indention;
                self.increase_indent(false, indentless, parent);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(item, Parent::SeqItem, true, false, false);
                }
                self.pop_indent();
            }
            Y::Map(entries) => {
                if entries.is_empty() || self.flow_level > 0 {
                    self.write_indicator("{", true, true, false);
                    self.increase_indent(true, false, parent);
                    self.flow_level += 1;
                    self.flow_level -= 1;
                    self.pop_indent();
                    self.write_indicator("}", false, false, false);
                    return;
                }
                self.increase_indent(false, false, parent);
                for (k, v) in entries {
                    self.write_indent();
                    let key = Y::Str(k.clone());
                    let simple = {
                        let a = analyze(k, self.v3);
                        !a.multiline && k.len() <= 128
                    };
                    if simple {
                        self.node(&key, Parent::MapValue, false, true, true);
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.node(&key, Parent::MapValue, false, true, false);
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.node(v, Parent::MapKey, false, true, false);
                }
                self.pop_indent();
            }
        }
    }

    fn scalar(&mut self, value: &str, requested: Style, parent: Parent) {
        let a = analyze(value, self.v3);
        let mut style = requested;
        if self.simple_key_context && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain {
            let plain_ok = if self.flow_level > 0 {
                a.flow_plain_allowed
            } else {
                a.block_plain_allowed
            };
            if !plain_ok {
                style = Style::Single;
            }
            if value.is_empty() && (self.flow_level > 0 || self.simple_key_context) {
                style = Style::Single;
            }
        }
        if style == Style::Single && !a.single_allowed {
            style = Style::Double;
        }
        if style == Style::Literal
            && (!a.block_allowed || self.flow_level > 0 || self.simple_key_context)
        {
            style = Style::Double;
        }
        self.increase_indent(true, false, parent);
        let allow_breaks = !self.simple_key_context;
        match style {
            Style::Plain => self.write_plain(value, allow_breaks),
            Style::Single => self.write_single(value, allow_breaks),
            Style::Double => self.write_double(value, allow_breaks),
            Style::Literal => self.write_literal(value),
        }
        self.pop_indent();
    }

    fn write_plain(&mut self, value: &str, allow_breaks: bool) {
        if !self.whitespace && (!self.v3 || !value.is_empty()) {
            self.put(' ');
        }
        let mut buf = Chars::new();
        let chars = buf.of(value);
        let (mut spaces, mut breaks) = (false, false);
        for i in 0..chars.len() {
            let c = chars[i];
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && chars.get(i + 1) != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        if !self.v3 || !value.is_empty() {
            self.whitespace = false;
        }
        self.indention = false;
    }

    fn write_single(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let mut buf = Chars::new();
        let chars = buf.of(value);
        let n = chars.len();
        let (mut spaces, mut breaks) = (false, false);
        for i in 0..n {
            let c = chars[i];
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i > 0
                    && i + 1 < n
                    && chars.get(i + 1) != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, value: &str, allow_breaks: bool) {
        let mut spaces = false;
        self.write_indicator("\"", true, false, false);
        let mut buf = Chars::new();
        let chars = buf.of(value);
        let n = chars.len();
        for i in 0..n {
            let c = chars[i];
            if !is_printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                let u = c as u32;
                match u {
                    0x00 => self.put('0'),
                    0x07 => self.put('a'),
                    0x08 => self.put('b'),
                    0x09 => self.put('t'),
                    0x0A => self.put('n'),
                    0x0B => self.put('v'),
                    0x0C => self.put('f'),
                    0x0D => self.put('r'),
                    0x1B => self.put('e'),
                    0x22 => self.put('"'),
                    0x5C => self.put('\\'),
                    0x85 => self.put('N'),
                    0xA0 => self.put('_'),
                    0x2028 => self.put('L'),
                    0x2029 => self.put('P'),
                    _ => {
                        let (letter, width) = if u <= 0xFF {
                            ('x', 2)
                        } else if u <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(letter);
                        for k in (0..width).rev() {
                            let d = (u >> (k * 4)) & 0xF;
                            self.put(char::from_digit(d, 16).unwrap_or('0').to_ascii_uppercase());
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > self.best_width && i > 0 && i + 1 < n {
                    self.write_indent();
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn block_hints(&mut self, value: &str) {
        let first = value.chars().next();
        if first == Some(' ') || first.is_some_and(is_break) {
            let hint = char::from_digit(self.best_indent as u32, 10).unwrap_or('2');
            self.write_indicator(&hint.to_string(), false, false, false);
        }
        let mut rev = value.chars().rev();
        let chomp = match rev.next() {
            None => Some('-'),
            Some(last) if !is_break(last) => Some('-'),
            Some(_) => match rev.next() {
                None => Some('+'),
                Some(prev) if is_break(prev) => Some('+'),
                Some(_) => None,
            },
        };
        if let Some(c) = chomp {
            self.write_indicator(&c.to_string(), false, false, false);
        }
    }

    fn write_literal(&mut self, value: &str) {
        self.write_indicator("|", true, false, false);
        self.block_hints(value);
        // helm's go-yaml v3 breaks the line here too (verified with a leading newline).
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in value.chars() {
            if is_break(c) {
                self.write_break(c);
                if !self.v3 {
                    self.indention = true;
                }
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}
