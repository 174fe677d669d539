//! The JSONPath dialect of helm-unittest's paths (its fork of vmware-labs/yaml-jsonpath):
//! `a.b[0].c`, `a["x/y"]`, `a['x.y']`, `a[*]`, `a[1:3]`, `a..b`, `a[?(@.name == "x")].v`,
//! `a.b~` (property names). Lexing, error texts and the order of matches follow that library;
//! map children are visited in go-yaml v3's key order, as the library sees them after
//! helm-unittest re-encodes the manifest.

use super::yval::YV;

/// A compiled path.
#[derive(Clone, Debug)]
pub struct Path {
    steps: Vec<Step>,
}

#[derive(Clone, Debug)]
enum Step {
    Root,
    Child(String),
    AllChildren,
    BracketChild(Vec<String>),
    Subscript(String),
    Filter(Box<Filter>),
    RecursiveFilter(Box<Filter>),
    /// `..name`, `..*` (all), `..` (followed by a bracket: every node).
    Recursive(Option<String>, bool),
    PropertyName(String),
    BracketPropertyName(Vec<String>),
    SubscriptPropertyName,
}

/// A node a path reaches: a value, or a map key (from recursion or `~`).
#[derive(Clone, Copy, Debug)]
pub enum Hit<'a> {
    /// A value node.
    Val(&'a YV),
    /// A mapping key node.
    Key(&'a str),
}

impl Hit<'_> {
    /// The decoded value of the node.
    pub fn value(&self) -> YV {
        match self {
            Hit::Val(v) => (*v).clone(),
            Hit::Key(k) => YV::Str(k.to_string()),
        }
    }
}

impl Path {
    /// Parses `path`; errors are the library's texts.
    pub fn parse(path: &str) -> Result<Path, String> {
        let lexemes = Lexer::new(path).run();
        let mut pos = 0;
        let steps = parse_steps(&lexemes, &mut pos)?;
        Ok(Path { steps })
    }

    /// Every node of `root` the path matches, in the library's order.
    pub fn find<'a>(&self, root: &'a YV) -> Vec<Hit<'a>> {
        self.find_from(Hit::Val(root), root)
    }

    fn find_from<'a>(&self, node: Hit<'a>, root: &'a YV) -> Vec<Hit<'a>> {
        let mut cur = vec![node];
        for step in &self.steps {
            let mut next = Vec::new();
            for n in cur {
                apply(step, n, root, &mut next);
            }
            cur = next;
            if cur.is_empty() {
                break;
            }
        }
        cur
    }

    /// Whether the path is the empty path (the whole document).
    pub fn is_identity(&self) -> bool {
        self.steps.iter().all(|s| matches!(s, Step::Root))
    }
}

fn apply<'a>(step: &Step, node: Hit<'a>, root: &'a YV, out: &mut Vec<Hit<'a>>) {
    match step {
        Step::Root => out.push(node),
        Step::Child(name) => {
            if let Hit::Val(YV::Map(m)) = node {
                if let Some((_, v)) = m.iter().find(|(k, _)| k == name) {
                    out.push(Hit::Val(v));
                }
            }
        }
        Step::AllChildren => all_children(node, out),
        Step::BracketChild(names) => {
            if let Hit::Val(YV::Map(m)) = node {
                for name in names {
                    for (k, v) in m {
                        if k == name {
                            out.push(Hit::Val(v));
                        }
                    }
                }
            }
        }
        Step::Subscript(sub) => match node {
            Hit::Val(YV::Map(m)) if sub == "*" => {
                out.extend(m.iter().map(|(_, v)| Hit::Val(v)));
            }
            Hit::Val(YV::Seq(items)) => {
                if let Ok(idx) = slice(sub, items.len()) {
                    for i in idx {
                        if let Some(v) = items.get(i) {
                            out.push(Hit::Val(v));
                        }
                    }
                }
            }
            _ => {}
        },
        Step::Filter(f) => {
            if let Hit::Val(YV::Seq(items)) = node {
                for c in items {
                    if f.eval(Hit::Val(c), root) {
                        out.push(Hit::Val(c));
                    }
                }
            } else if f.eval(node, root) {
                out.push(node);
            }
        }
        Step::RecursiveFilter(f) => {
            if f.eval(node, root) {
                out.push(node);
            }
        }
        Step::Recursive(name, all) => {
            let mut nodes = Vec::new();
            recurse(node, &mut nodes);
            for n in nodes {
                if *all {
                    all_children(n, out);
                } else if let Some(name) = name {
                    apply(&Step::Child(name.clone()), n, root, out);
                } else {
                    out.push(n);
                }
            }
        }
        Step::PropertyName(name) => {
            if let Hit::Val(YV::Map(m)) = node {
                if let Some((k, _)) = m.iter().find(|(k, _)| k == name) {
                    out.push(Hit::Key(k));
                }
            }
        }
        Step::BracketPropertyName(names) => {
            if let Hit::Val(YV::Map(m)) = node {
                for name in names {
                    for (k, _) in m {
                        if k == name {
                            out.push(Hit::Key(k));
                        }
                    }
                }
            }
        }
        Step::SubscriptPropertyName => {
            if let Hit::Val(YV::Map(m)) = node {
                out.extend(m.iter().map(|(k, _)| Hit::Key(k)));
            }
        }
    }
}

fn all_children<'a>(node: Hit<'a>, out: &mut Vec<Hit<'a>>) {
    match node {
        Hit::Val(YV::Map(m)) => out.extend(m.iter().map(|(_, v)| Hit::Val(v))),
        Hit::Val(YV::Seq(items)) => out.extend(items.iter().map(Hit::Val)),
        _ => {}
    }
}

/// The library's `recurseNode`: every descendant (map keys included) before the node itself.
fn recurse<'a>(node: Hit<'a>, out: &mut Vec<Hit<'a>>) {
    match node {
        Hit::Val(YV::Map(m)) => {
            for (k, v) in m {
                out.push(Hit::Key(k));
                recurse(Hit::Val(v), out);
            }
        }
        Hit::Val(YV::Seq(items)) => {
            for v in items {
                recurse(Hit::Val(v), out);
            }
        }
        _ => {}
    }
    out.push(node);
}

/// The library's array index parser: a union of `i`, `from:to` or `from:to:step`, or `*`.
fn slice(index: &str, length: usize) -> Result<Vec<usize>, String> {
    let len = length as i64;
    let union: Vec<&str> = index.split(',').collect();
    if union.len() > 1 {
        let mut out = Vec::new();
        for (i, idx) in union.iter().enumerate() {
            if idx.trim() == "*" {
                return Err(format!(
                    "error in union member {i}: wildcard cannot be used in union"
                ));
            }
            out.extend(slice(idx, length).map_err(|e| format!("error in union member {i}: {e}"))?);
        }
        return Ok(out);
    }
    let index = index.trim();
    if index == "*" {
        return Ok(indices(0, len, 1, len));
    }
    let parts: Vec<&str> = index.split(':').collect();
    if parts.len() > 3 {
        return Err("malformed array index, too many colons".into());
    }
    let mut subs: [Option<i64>; 3] = [None, None, None];
    for (i, s) in parts.iter().enumerate() {
        let s = s.trim();
        if !s.is_empty() {
            subs[i] = Some(go_atoi(s).ok_or("non-integer array index")?);
        }
    }
    if parts.len() == 1 {
        let mut from = subs[0].ok_or("array index missing")?;
        if from < 0 {
            from += len;
        }
        return Ok(indices(from, from + 1, 1, len));
    }
    let step = match subs[2] {
        Some(0) => return Err("array index step value must be non-zero".into()),
        Some(s) => s,
        None => 1,
    };
    let from = match subs[0] {
        Some(f) if f < 0 => f + len,
        Some(f) => f,
        None if step > 0 => 0,
        None => len - 1,
    };
    let to = match subs[1] {
        Some(t) if t < 0 => t + len,
        Some(t) => t,
        None if step > 0 => len,
        None => -1,
    };
    Ok(indices(from, to, step, len))
}

fn indices(mut from: i64, mut to: i64, step: i64, len: i64) -> Vec<usize> {
    let mut out = Vec::new();
    if step > 0 {
        from = from.max(0);
        to = to.min(len);
        let mut i = from;
        while i < to {
            if 0 <= i && i < len {
                out.push(i as usize);
            }
            i += step;
        }
    } else if step < 0 {
        from = from.min(len);
        to = to.max(-1);
        let mut i = from;
        while i > to {
            if 0 <= i && i < len {
                out.push(i as usize);
            }
            i += step;
        }
    }
    out
}

/// Go's `strconv.Atoi`.
fn go_atoi(s: &str) -> Option<i64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lx {
    Error,
    Identity,
    Root,
    DotChild,
    UndottedChild,
    BracketChild,
    RecursiveDescent,
    ArraySubscript,
    FilterBegin,
    FilterEnd,
    FilterOpenBracket,
    FilterCloseBracket,
    FilterNot,
    FilterAt,
    FilterAnd,
    FilterOr,
    FilterEquality,
    FilterInequality,
    FilterGreaterThan,
    FilterGreaterThanOrEqual,
    FilterLessThanOrEqual,
    FilterLessThan,
    FilterMatchesRegularExpression,
    FilterIntegerLiteral,
    FilterFloatLiteral,
    FilterStringLiteral,
    FilterBooleanLiteral,
    FilterNullLiteral,
    FilterRegularExpressionLiteral,
    PropertyName,
    BracketPropertyName,
    ArraySubscriptPropertyName,
    RecursiveFilterBegin,
    Eof,
}

#[derive(Clone, Debug)]
struct Lexeme {
    typ: Lx,
    val: String,
}

#[derive(Clone, Copy, Debug)]
enum St {
    Path,
    Root,
    SubPath,
    OptionalArrayIndex,
    FilterExprInitial,
    FilterExpr,
    FilterTerm,
    FilterEnd,
}

struct Lexer<'s> {
    input: &'s str,
    start: usize,
    pos: usize,
    width: usize,
    stack: Vec<St>,
    out: Vec<Lexeme>,
    last_start: usize,
    last_type: Lx,
    done: bool,
}

const ORDERING: [(&str, Lx); 4] = [
    (">=", Lx::FilterGreaterThanOrEqual),
    (">", Lx::FilterGreaterThan),
    ("<=", Lx::FilterLessThanOrEqual),
    ("<", Lx::FilterLessThan),
];

impl<'s> Lexer<'s> {
    fn new(input: &'s str) -> Self {
        Lexer {
            input,
            start: 0,
            pos: 0,
            width: 0,
            stack: Vec::new(),
            out: Vec::new(),
            last_start: 0,
            last_type: Lx::Eof,
            done: false,
        }
    }

    fn run(mut self) -> Vec<Lexeme> {
        let mut state = Some(St::Path);
        // Each state consumes input or emits, so this terminates; the bound guards against a
        // mistake turning into a hang.
        let mut budget = 16 * (self.input.len() + 8);
        while let Some(s) = state {
            if self.done || budget == 0 {
                break;
            }
            budget -= 1;
            state = self.step(s);
        }
        self.out
    }

    fn step(&mut self, s: St) -> Option<St> {
        match s {
            St::Path => self.lex_path(),
            St::Root => self.lex_root(),
            St::SubPath => self.lex_sub_path(),
            St::OptionalArrayIndex => self.lex_optional_array_index(),
            St::FilterExprInitial => self.lex_filter_expr_initial(),
            St::FilterExpr => self.lex_filter_expr(),
            St::FilterTerm => self.lex_filter_term(),
            St::FilterEnd => self.lex_filter_end(),
        }
    }

    fn rest(&self) -> &'s str {
        &self.input[self.pos.min(self.input.len())..]
    }

    fn next(&mut self) -> Option<char> {
        match self.rest().chars().next() {
            Some(c) => {
                self.width = c.len_utf8();
                self.pos += self.width;
                Some(c)
            }
            None => {
                self.width = 0;
                None
            }
        }
    }

    fn backup(&mut self) {
        self.pos -= self.width;
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn has_prefix(&self, p: &str) -> bool {
        self.rest().starts_with(p)
    }

    fn consumed(&mut self, token: &str, except: &[&str]) -> bool {
        if self.has_prefix(token) {
            if except.iter().any(|e| self.has_prefix(e)) {
                return false;
            }
            self.pos += token.len();
            return true;
        }
        false
    }

    fn peeked(&self, token: &str) -> bool {
        self.has_prefix(token)
    }

    fn whitespaced(&self, tokens: &[&str]) -> Option<usize> {
        let mut pos = self.pos;
        for t in tokens {
            loop {
                let c = self.input[pos..].chars().next()?;
                if !c.is_whitespace() {
                    break;
                }
                pos += c.len_utf8();
            }
            if !self.input[pos..].starts_with(t) {
                return None;
            }
            pos += t.len();
        }
        Some(pos)
    }

    fn peeked_whitespaced(&self, tokens: &[&str]) -> bool {
        self.whitespaced(tokens).is_some()
    }

    fn consumed_whitespaced(&mut self, tokens: &[&str]) -> bool {
        match self.whitespaced(tokens) {
            Some(p) => {
                self.pos = p;
                true
            }
            None => false,
        }
    }

    fn consume_whitespace(&mut self) {
        while let Some(c) = self.peek() {
            if !c.is_whitespace() {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    fn strip_whitespace(&mut self) {
        self.consume_whitespace();
        self.start = self.pos;
    }

    fn emit(&mut self, typ: Lx) {
        self.out.push(Lexeme {
            typ,
            val: self.input[self.start..self.pos].to_string(),
        });
        self.last_start = self.start;
        self.start = self.pos;
        self.last_type = typ;
    }

    fn emit_synthetic(&mut self, typ: Lx, val: &str) {
        self.out.push(Lexeme {
            typ,
            val: val.to_string(),
        });
    }

    fn context(&self) -> &'s str {
        &self.input[self.last_start.min(self.pos)..self.pos]
    }

    fn errorf(&mut self, msg: String) -> Option<St> {
        let m = format!(
            "{msg} at position {}, following {}",
            self.pos,
            go_quote(self.context())
        );
        self.raw_errorf(m)
    }

    fn raw_errorf(&mut self, msg: String) -> Option<St> {
        self.out.push(Lexeme {
            typ: Lx::Error,
            val: msg,
        });
        self.done = true;
        None
    }

    fn push(&mut self, s: St) {
        self.stack.push(s);
    }

    fn pop(&mut self) -> Option<St> {
        match self.stack.pop() {
            Some(s) => Some(s),
            None => self.errorf("syntax error".into()),
        }
    }

    fn lex_path(&mut self) -> Option<St> {
        if self.rest().is_empty() {
            self.emit(Lx::Identity);
            self.emit(Lx::Eof);
            return None;
        }
        if self.has_prefix("$") {
            return Some(St::Root);
        }
        self.emit_synthetic(Lx::Root, "$");
        Some(St::SubPath)
    }

    fn lex_root(&mut self) -> Option<St> {
        self.pos += 1;
        self.emit(Lx::Root);
        Some(St::SubPath)
    }

    fn consumed_escaped_string(&mut self, quote: char) -> bool {
        let q = quote.to_string();
        loop {
            if self.peeked(&q) {
                return true;
            }
            if self.consumed(&format!("\\{q}"), &[]) || self.consumed("\\\\", &[]) {
                continue;
            }
            if self.peeked("\\") {
                self.errorf(format!("unsupported escape sequence inside {q}{q}"));
                return false;
            }
            if self.next().is_none() {
                self.errorf(format!("unmatched {}", enquote(quote)));
                return false;
            }
        }
    }

    fn child_name_run(&mut self, stops: &[char]) -> bool {
        let mut any = false;
        loop {
            match self.next() {
                Some(c) if !stops.contains(&c) => any = true,
                Some(_) => {
                    self.backup();
                    break;
                }
                None => break,
            }
        }
        any
    }

    fn lex_sub_path(&mut self) -> Option<St> {
        if self.has_prefix(")") {
            return self.pop();
        }
        if self.rest().is_empty() {
            if !self.stack.is_empty() {
                return self.pop();
            }
            self.emit(Lx::Identity);
            self.emit(Lx::Eof);
            return None;
        }
        if self.consumed("..", &[]) {
            let mut child = false;
            loop {
                match self.next() {
                    Some('.') | Some('[') => {
                        self.backup();
                        break;
                    }
                    None => break,
                    Some(_) => child = true,
                }
            }
            if !child && !self.peeked("[") {
                return self.errorf(
                    "child name or array access or filter missing after recursive descent".into(),
                );
            }
            self.emit(Lx::RecursiveDescent);
            return Some(St::SubPath);
        }
        if self.consumed(".", &[]) {
            let named =
                self.child_name_run(&['.', '[', ')', ' ', '&', '|', '=', '!', '>', '<', '~']);
            if !named {
                return self.errorf("child name missing".into());
            }
            if self.consumed("~", &[]) {
                if self.peek().is_some() {
                    return self.errorf(
                        "property name operator may only be used on last child in path".into(),
                    );
                }
                self.emit(Lx::PropertyName);
                return Some(St::SubPath);
            }
            self.emit(Lx::DotChild);
            return Some(St::OptionalArrayIndex);
        }
        if self.peeked_whitespaced(&["[", "'"]) || self.peeked_whitespaced(&["[", "\""]) {
            self.consumed_whitespaced(&["["]);
            loop {
                self.consume_whitespace();
                let quote = self.next()?;
                if !self.consumed_escaped_string(quote) {
                    return None;
                }
                if !self.consumed(&quote.to_string(), &[]) {
                    return self.errorf(format!("missing {}", enquote(quote)));
                }
                if self.consumed_whitespaced(&[","]) {
                    if !self.peeked_whitespaced(&["'"]) && !self.peeked_whitespaced(&["\""]) {
                        return self.errorf(format!(
                            "missing {} or {}",
                            enquote('\''),
                            enquote('"')
                        ));
                    }
                } else {
                    break;
                }
            }
            if !self.consumed_whitespaced(&["]"]) {
                return self.errorf("missing \"]\" or \",\"".into());
            }
            if self.consumed("~", &[]) {
                self.emit(Lx::BracketPropertyName);
                if self.peek().is_some() {
                    return self.errorf(
                        "property name operator may only be used on last child in path".into(),
                    );
                }
                return Some(St::SubPath);
            }
            self.emit(Lx::BracketChild);
            return Some(St::OptionalArrayIndex);
        }
        if self.consumed("[?(", &[]) {
            if self.last_type == Lx::RecursiveDescent {
                self.emit(Lx::RecursiveFilterBegin);
            } else {
                self.emit(Lx::FilterBegin);
            }
            self.push(St::FilterEnd);
            return Some(St::FilterExprInitial);
        }
        if self.peeked("[") {
            return Some(St::OptionalArrayIndex);
        }
        if self.last_type == Lx::Eof {
            let named =
                self.child_name_run(&['.', '[', ']', ')', ' ', '&', '|', '=', '!', '>', '<', '~']);
            if !named {
                return self.errorf("child name missing".into());
            }
            if self.consumed("~", &[]) {
                if self.peek().is_some() {
                    return self.errorf(
                        "property name operator may only be used on last child in path".into(),
                    );
                }
                self.emit(Lx::PropertyName);
                return Some(St::SubPath);
            }
            self.emit(Lx::UndottedChild);
            return Some(St::OptionalArrayIndex);
        }
        self.errorf("invalid path syntax".into())
    }

    fn lex_optional_array_index(&mut self) -> Option<St> {
        if self.consumed("[", &["['", "[\"", "[?("]) {
            let mut subscript = false;
            while !self.consumed("]", &[]) {
                if self.next().is_none() {
                    return self.errorf("unmatched [".into());
                }
                subscript = true;
            }
            if !subscript {
                return self.raw_errorf(format!(
                    "subscript missing from [] before position {}",
                    self.pos
                ));
            }
            let value = &self.input[self.start..self.pos];
            let index = value
                .strip_prefix('[')
                .unwrap_or(value)
                .strip_suffix(']')
                .unwrap_or(value);
            if let Err(e) = slice(index, 0) {
                return self.raw_errorf(format!(
                    "invalid array index {value} before position {}: {e}",
                    self.pos
                ));
            }
            if self.consumed("~", &[]) {
                if self.peek().is_some() {
                    return self.errorf(
                        "property name operator can only be used on last item in path".into(),
                    );
                }
                let v = &self.input[self.start..self.pos];
                if v.trim_start_matches('[').trim_end_matches("]~") != "*" {
                    return self
                        .errorf("property name operator can only be used on map nodes".into());
                }
                self.emit(Lx::ArraySubscriptPropertyName);
                return Some(St::SubPath);
            }
            self.emit(Lx::ArraySubscript);
        }
        if let Some(c) = self.peek() {
            if matches!(c, ' ' | '&' | '|' | '=' | '!' | '>' | '<') {
                if self.stack.is_empty() {
                    return self.errorf(format!("invalid character {}", go_quote_rune(c)));
                }
                return self.pop();
            }
        }
        Some(St::SubPath)
    }

    fn lex_filter_expr_initial(&mut self) -> Option<St> {
        self.strip_whitespace();
        if let Some(r) = self.lex_numeric_literal() {
            return r;
        }
        if let Some(r) = self.lex_string_literal() {
            return r;
        }
        if let Some(r) = self.lex_word_literal() {
            return r;
        }
        if self.consumed("(", &[]) {
            self.emit(Lx::FilterOpenBracket);
            self.push(St::FilterExpr);
            return Some(St::FilterExprInitial);
        }
        if self.has_prefix("!=") {
            return self.errorf("missing first operand for binary operator !=".into());
        }
        if self.consumed("!", &[]) {
            self.emit(Lx::FilterNot);
            return Some(St::FilterExprInitial);
        }
        if self.consumed("@", &[]) {
            self.emit(Lx::FilterAt);
            if self.peeked_whitespaced(&["="])
                || self.peeked_whitespaced(&["!"])
                || self.peeked_whitespaced(&[">"])
                || self.peeked_whitespaced(&["<"])
            {
                return Some(St::FilterExpr);
            }
            self.push(St::FilterExpr);
            return Some(St::SubPath);
        }
        if self.consumed("$", &[]) {
            self.emit(Lx::Root);
            self.push(St::FilterExpr);
            return Some(St::SubPath);
        }
        for op in ["&&", "||", "=="] {
            if self.has_prefix(op) {
                return self.errorf(format!("missing first operand for binary operator {op}"));
            }
        }
        for (op, _) in ORDERING {
            if self.has_prefix(op) {
                return self.errorf(format!("missing first operand for binary operator {op}"));
            }
        }
        self.pop()
    }

    fn lex_filter_expr(&mut self) -> Option<St> {
        self.strip_whitespace();
        if self.rest().is_empty() {
            return self.errorf("missing end of filter".into());
        }
        if self.has_prefix(")]") {
            return self.pop();
        }
        if self.consumed(")", &[]) {
            self.emit(Lx::FilterCloseBracket);
            return self.pop();
        }
        if self.consumed("&&", &[]) {
            self.emit(Lx::FilterAnd);
            self.strip_whitespace();
            return Some(St::FilterExprInitial);
        }
        if self.consumed("||", &[]) {
            self.emit(Lx::FilterOr);
            self.strip_whitespace();
            return Some(St::FilterExprInitial);
        }
        if self.consumed("==", &[]) {
            self.emit(Lx::FilterEquality);
            self.push(St::FilterExpr);
            return Some(St::FilterTerm);
        }
        if self.consumed("!=", &[]) {
            self.emit(Lx::FilterInequality);
            self.push(St::FilterExpr);
            return Some(St::FilterTerm);
        }
        if self.has_prefix("=~") {
            if matches!(
                self.last_type,
                Lx::FilterStringLiteral | Lx::FilterIntegerLiteral | Lx::FilterFloatLiteral
            ) {
                return self.errorf("literal cannot be matched using =~".into());
            }
            self.pos += 2;
            self.emit(Lx::FilterMatchesRegularExpression);
            self.strip_whitespace();
            return self.lex_regex_literal();
        }
        for (op, typ) in ORDERING {
            if self.has_prefix(op) {
                if self.last_type == Lx::FilterStringLiteral {
                    return self.errorf(format!("strings cannot be compared using {op}"));
                }
                self.pos += op.len();
                self.emit(typ);
                self.strip_whitespace();
                if self.has_prefix("'") {
                    return self.errorf(format!("strings cannot be compared using {op}"));
                }
                self.push(St::FilterExpr);
                return Some(St::FilterTerm);
            }
        }
        self.errorf("invalid filter expression".into())
    }

    fn lex_filter_term(&mut self) -> Option<St> {
        self.strip_whitespace();
        if self.consumed("@", &[]) {
            self.emit(Lx::FilterAt);
            if self.peeked_whitespaced(&["|"])
                || self.peeked_whitespaced(&["&"])
                || self.peeked_whitespaced(&[")"])
            {
                if self.stack.is_empty() {
                    let c = self.peek().unwrap_or(' ');
                    return self.errorf(format!("invalid character {}", go_quote_rune(c)));
                }
                return self.pop();
            }
            return Some(St::SubPath);
        }
        if self.consumed("$", &[]) {
            self.emit(Lx::Root);
            return Some(St::SubPath);
        }
        if let Some(r) = self.lex_numeric_literal() {
            return r;
        }
        if let Some(r) = self.lex_string_literal() {
            return r;
        }
        if let Some(r) = self.lex_word_literal() {
            return r;
        }
        self.errorf("invalid filter term".into())
    }

    fn lex_filter_end(&mut self) -> Option<St> {
        if self.has_prefix(")]") {
            if self.last_type == Lx::FilterBegin {
                return self.errorf("missing filter".into());
            }
            self.pos += 2;
            self.emit(Lx::FilterEnd);
            return Some(St::SubPath);
        }
        self.errorf("invalid filter syntax".into())
    }

    fn lex_numeric_literal(&mut self) -> Option<Option<St>> {
        let n = self.peek()?;
        if !(n == '.' || n == '-' || n.is_ascii_digit()) {
            return None;
        }
        let mut float = n == '.';
        loop {
            self.next();
            match self.peek() {
                Some('.') | Some('e') | Some('E') | Some('-') => float = true,
                Some(c) if c.is_ascii_digit() => {}
                _ => break,
            }
        }
        let text = self.input[self.start..self.pos].to_string();
        if float {
            if text.parse::<f64>().is_err() {
                return Some(self.raw_errorf(format!(
                    "invalid float literal {}: strconv.ParseFloat: parsing {}: invalid syntax before position {}",
                    go_quote(&text),
                    go_quote(&text),
                    self.pos
                )));
            }
            self.emit(Lx::FilterFloatLiteral);
            return Some(Some(St::FilterExpr));
        }
        if go_atoi(&text).is_none() {
            return Some(self.raw_errorf(format!(
                "invalid integer literal {}: strconv.Atoi: parsing {}: invalid syntax before position {}",
                go_quote(&text),
                go_quote(&text),
                self.pos
            )));
        }
        self.emit(Lx::FilterIntegerLiteral);
        Some(Some(St::FilterExpr))
    }

    fn lex_string_literal(&mut self) -> Option<Option<St>> {
        let quote = if self.has_prefix("'") {
            '\''
        } else if self.has_prefix("\"") {
            '"'
        } else {
            return None;
        };
        let pos = self.pos;
        let context = self.context().to_string();
        loop {
            if self.next().is_none() {
                return Some(self.raw_errorf(format!(
                    "unmatched string delimiter {quote} at position {pos}, following {}",
                    go_quote(&context)
                )));
            }
            if self.has_prefix(&quote.to_string()) {
                break;
            }
        }
        self.next();
        self.emit(Lx::FilterStringLiteral);
        Some(Some(St::FilterExpr))
    }

    fn lex_word_literal(&mut self) -> Option<Option<St>> {
        if self.consumed_whitespaced(&["true"]) || self.consumed_whitespaced(&["false"]) {
            self.emit(Lx::FilterBooleanLiteral);
            return Some(Some(St::FilterExpr));
        }
        if self.consumed_whitespaced(&["null"]) {
            self.emit(Lx::FilterNullLiteral);
            return Some(Some(St::FilterExpr));
        }
        None
    }

    fn lex_regex_literal(&mut self) -> Option<St> {
        if !self.has_prefix("/") {
            return self.errorf("regular expression does not start with /".into());
        }
        let pos = self.pos;
        let context = self.context().to_string();
        let mut escape = false;
        loop {
            if self.next().is_none() {
                return self.raw_errorf(format!(
                    "unmatched regular expression delimiter / at position {pos}, following {}",
                    go_quote(&context)
                ));
            }
            if !escape && self.has_prefix("/") {
                break;
            }
            escape = !escape && self.has_prefix("\\");
        }
        self.next();
        let re = sanitise_regex(&self.input[self.start..self.pos]);
        if let Err(e) = regex::Regex::new(&re) {
            return self.raw_errorf(format!(
                "invalid regular expression at position {pos}, following {}: {e}",
                go_quote(&context)
            ));
        }
        self.emit(Lx::FilterRegularExpressionLiteral);
        Some(St::FilterExpr)
    }
}

fn sanitise_regex(re: &str) -> String {
    re[1..re.len() - 1].replace("\\/", "/")
}

fn enquote(q: char) -> &'static str {
    if q == '\'' {
        "\"'\""
    } else {
        "'\"'"
    }
}

/// Go's `%q` for a string.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `%q` for a rune.
fn go_quote_rune(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        '\\' => "'\\\\'".into(),
        c => format!("'{c}'"),
    }
}

// ---------------------------------------------------------------------------------------------
// Path parser

fn parse_steps(lx: &[Lexeme], pos: &mut usize) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    loop {
        let Some(l) = lx.get(*pos) else {
            return Ok(steps);
        };
        *pos += 1;
        match l.typ {
            Lx::Error => return Err(l.val.clone()),
            Lx::Identity | Lx::Eof => return Ok(steps),
            Lx::Root => steps.push(Step::Root),
            Lx::RecursiveDescent => {
                let name = l.val.trim_start_matches("..");
                steps.push(match name {
                    "*" => Step::Recursive(None, true),
                    "" => Step::Recursive(None, false),
                    n => Step::Recursive(Some(unescape(n)), false),
                });
            }
            Lx::DotChild | Lx::UndottedChild => {
                let name = l.val.strip_prefix('.').unwrap_or(&l.val);
                let name = if l.typ == Lx::UndottedChild {
                    l.val.as_str()
                } else {
                    name
                };
                if name == "*" {
                    steps.push(Step::AllChildren);
                } else {
                    steps.push(Step::Child(unescape(name)));
                }
            }
            Lx::BracketChild => {
                steps.push(Step::BracketChild(bracket_child_names(bracket_inner(
                    &l.val,
                ))));
            }
            Lx::ArraySubscript => {
                let s = l.val.trim_start_matches('[').trim_end_matches(']');
                steps.push(Step::Subscript(s.to_string()));
            }
            Lx::FilterBegin | Lx::RecursiveFilterBegin => {
                let recursive = l.typ == Lx::RecursiveFilterBegin;
                let mut inner = Vec::new();
                let mut level = 1;
                loop {
                    let Some(f) = lx.get(*pos) else {
                        return Err("missing end of filter".into());
                    };
                    *pos += 1;
                    match f.typ {
                        Lx::FilterBegin => level += 1,
                        Lx::FilterEnd => {
                            level -= 1;
                            if level == 0 {
                                break;
                            }
                        }
                        Lx::Error => return Err(f.val.clone()),
                        Lx::Eof => return Err("missing end of filter".into()),
                        _ => {}
                    }
                    inner.push(f.clone());
                }
                let filter = Box::new(FilterParser::new(&inner).parse());
                steps.push(if recursive {
                    Step::RecursiveFilter(filter)
                } else {
                    Step::Filter(filter)
                });
            }
            Lx::PropertyName => {
                let name = l.val.strip_prefix('.').unwrap_or(&l.val);
                let name = name.strip_suffix('~').unwrap_or(name);
                steps.push(Step::PropertyName(unescape(name)));
            }
            Lx::BracketPropertyName => {
                let v = l.val.trim();
                let v = v.strip_suffix('~').unwrap_or(v);
                steps.push(Step::BracketPropertyName(bracket_child_names(
                    bracket_inner(v),
                )));
            }
            Lx::ArraySubscriptPropertyName => steps.push(Step::SubscriptPropertyName),
            _ => return Err("invalid path syntax".into()),
        }
    }
}

fn bracket_inner(v: &str) -> &str {
    let v = v.trim();
    let v = v.strip_prefix('[').unwrap_or(v);
    let v = v.strip_suffix(']').unwrap_or(v);
    v.trim()
}

fn bracket_child_names(names: &str) -> Vec<String> {
    let mut children: Vec<String> = Vec::new();
    let mut accum = String::new();
    for c in names.split(',') {
        if balanced(c, '\'') && balanced(c, '"') {
            if !accum.is_empty() {
                accum.push(',');
                accum.push_str(c);
            } else {
                children.push(c.to_string());
                accum.clear();
            }
        } else if accum.is_empty() {
            accum = c.to_string();
        } else {
            accum.push(',');
            accum.push_str(c);
            children.push(std::mem::take(&mut accum));
        }
    }
    if !accum.is_empty() {
        children.push(accum);
    }
    children
        .into_iter()
        .map(|c| {
            let c = c.trim();
            let c = if let Some(rest) = c.strip_prefix('\'') {
                rest.strip_suffix('\'').unwrap_or(rest)
            } else {
                let c = c.strip_prefix('"').unwrap_or(c);
                c.strip_suffix('"').unwrap_or(c)
            };
            unescape(c)
        })
        .collect()
}

fn balanced(c: &str, q: char) -> bool {
    let mut bal = true;
    let mut prev: Option<char> = None;
    for r in c.chars() {
        if r == q {
            if prev == Some('\\') {
                prev = Some(r);
                continue;
            }
            bal = !bal;
        }
        prev = Some(r);
    }
    bal
}

fn unescape(raw: &str) -> String {
    let mut out = String::new();
    let mut escaped = false;
    for r in raw.chars() {
        if r == '\\' {
            if escaped {
                out.push(r);
            }
            escaped = !escaped;
            continue;
        }
        escaped = false;
        out.push(r);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Filters

#[derive(Clone, Debug)]
enum Filter {
    Never,
    Exists(Box<Term>),
    Compare(Lx, Box<Term>, Box<Term>),
    Match(Box<Term>, Box<Term>),
    Not(Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Bool(bool),
}

#[derive(Clone, Debug)]
enum Term {
    /// `@…` (true) or `$…` (false); `None` when the subpath does not compile.
    Path(bool, Option<Path>),
    Literal(Typed),
    Empty,
}

#[derive(Clone, Debug, PartialEq, Eq, Copy)]
enum VT {
    Unknown,
    Str,
    Int,
    Float,
    Bool,
    Null,
    Regex,
}

#[derive(Clone, Debug)]
struct Typed {
    typ: VT,
    val: String,
}

impl VT {
    fn numeric(self) -> bool {
        matches!(self, VT::Int | VT::Float)
    }
    fn compatible(self, o: VT) -> bool {
        (self.numeric() && o.numeric()) || self == o || (self == VT::Str && o == VT::Regex)
    }
}

fn typed_of(h: &Hit) -> Typed {
    match h {
        Hit::Key(k) => Typed {
            typ: VT::Str,
            val: k.to_string(),
        },
        Hit::Val(v) => {
            let typ = match v {
                YV::Null => VT::Null,
                YV::Bool(_) => VT::Bool,
                YV::Str(_) => VT::Str,
                YV::Int(_) | YV::Uint(_) => VT::Int,
                YV::Float(_) => VT::Float,
                _ => VT::Unknown,
            };
            Typed {
                typ,
                val: v.scalar_text(),
            }
        }
    }
}

impl Filter {
    fn eval(&self, node: Hit, root: &YV) -> bool {
        match self {
            Filter::Never => false,
            Filter::Bool(b) => *b,
            Filter::Exists(t) => !t.scan(node, root).is_empty(),
            Filter::Not(f) => !f.eval(node, root),
            Filter::Or(a, b) => a.eval(node, root) || b.eval(node, root),
            Filter::And(a, b) => a.eval(node, root) && b.eval(node, root),
            Filter::Compare(op, l, r) => set_compare(l, r, node, root, |a, b| {
                let cmp = |eq: bool| comparator(*op, if eq { Cmp::Eq } else { Cmp::Incomparable });
                if !a.typ.compatible(b.typ) {
                    return cmp(false);
                }
                match a.typ {
                    VT::Bool => cmp(a.val.eq_ignore_ascii_case(&b.val)),
                    VT::Null => cmp(true),
                    _ => comparator(*op, compare_values(a, b)),
                }
            }),
            Filter::Match(l, r) => set_compare(l, r, node, root, |a, b| {
                if a.typ != VT::Str || b.typ != VT::Regex {
                    return false;
                }
                regex::Regex::new(&b.val)
                    .map(|re| re.is_match(&a.val))
                    .unwrap_or(false)
            }),
        }
    }
}

fn set_compare(
    l: &Term,
    r: &Term,
    node: Hit,
    root: &YV,
    accept: impl Fn(&Typed, &Typed) -> bool,
) -> bool {
    let ls = l.scan(node, root);
    let rs = r.scan(node, root);
    let mut matched = false;
    for a in &ls {
        for b in &rs {
            if !accept(a, b) {
                return false;
            }
            matched = true;
        }
    }
    matched
}

impl Term {
    fn scan(&self, node: Hit, root: &YV) -> Vec<Typed> {
        match self {
            Term::Empty | Term::Path(_, None) => Vec::new(),
            Term::Literal(t) => vec![t.clone()],
            Term::Path(at, Some(p)) => {
                let hits = if *at {
                    p.find_from(node, root)
                } else {
                    p.find(root)
                };
                hits.iter().map(typed_of).collect()
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Less,
    Eq,
    Greater,
    Incomparable,
}

fn comparator(op: Lx, c: Cmp) -> bool {
    match op {
        Lx::FilterEquality => c == Cmp::Eq,
        Lx::FilterInequality => c != Cmp::Eq,
        Lx::FilterGreaterThan => c == Cmp::Greater,
        Lx::FilterGreaterThanOrEqual => c == Cmp::Greater || c == Cmp::Eq,
        Lx::FilterLessThan => c == Cmp::Less,
        Lx::FilterLessThanOrEqual => c == Cmp::Less || c == Cmp::Eq,
        _ => false,
    }
}

fn compare_values(a: &Typed, b: &Typed) -> Cmp {
    if a.typ.numeric() && b.typ.numeric() {
        let (x, y) = (
            a.val.parse::<f64>().unwrap_or(f64::NAN),
            b.val.parse::<f64>().unwrap_or(f64::NAN),
        );
        return if x < y {
            Cmp::Less
        } else if x > y {
            Cmp::Greater
        } else {
            Cmp::Eq
        };
    }
    if (a.typ != VT::Str && !a.typ.numeric()) || (b.typ != VT::Str && !b.typ.numeric()) {
        return Cmp::Incomparable;
    }
    match a.val.cmp(&b.val) {
        std::cmp::Ordering::Less => Cmp::Less,
        std::cmp::Ordering::Greater => Cmp::Greater,
        std::cmp::Ordering::Equal => Cmp::Eq,
    }
}

struct FilterParser<'a> {
    input: &'a [Lexeme],
    pos: usize,
}

/// A parse-tree node before it becomes a [`Filter`]: the library's `filterNode`.
enum PNode {
    Term(Lexeme, Vec<Lexeme>),
    Op(Lexeme, Vec<PNode>),
}

impl<'a> FilterParser<'a> {
    fn new(input: &'a [Lexeme]) -> Self {
        FilterParser { input, pos: 0 }
    }

    fn peek(&self) -> Lx {
        self.input.get(self.pos).map(|l| l.typ).unwrap_or(Lx::Eof)
    }

    fn parse(&mut self) -> Filter {
        if self.peek() == Lx::Eof {
            return Filter::Never;
        }
        match self.expression() {
            Some(n) => to_filter(&n),
            None => Filter::Never,
        }
    }

    fn expression(&mut self) -> Option<PNode> {
        let mut tree = self.conjunction();
        while self.peek() == Lx::FilterOr {
            let op = self.input[self.pos].clone();
            self.pos += 1;
            let right = self.conjunction();
            tree = Some(PNode::Op(op, vec![opt(tree), opt(right)]));
        }
        tree
    }

    fn conjunction(&mut self) -> Option<PNode> {
        let mut tree = self.basic();
        while self.peek() == Lx::FilterAnd {
            let op = self.input[self.pos].clone();
            self.pos += 1;
            let right = self.basic();
            tree = Some(PNode::Op(op, vec![opt(tree), opt(right)]));
        }
        tree
    }

    fn basic(&mut self) -> Option<PNode> {
        match self.peek() {
            Lx::FilterNot => {
                let op = self.input[self.pos].clone();
                self.pos += 1;
                let inner = self.basic();
                return Some(PNode::Op(op, vec![opt(inner)]));
            }
            Lx::FilterOpenBracket => {
                self.pos += 1;
                let e = self.expression();
                if self.peek() == Lx::FilterCloseBracket {
                    self.pos += 1;
                }
                return e;
            }
            _ => {}
        }
        let term = self.term();
        let t = self.peek();
        if matches!(
            t,
            Lx::FilterEquality
                | Lx::FilterInequality
                | Lx::FilterGreaterThan
                | Lx::FilterGreaterThanOrEqual
                | Lx::FilterLessThan
                | Lx::FilterLessThanOrEqual
                | Lx::FilterMatchesRegularExpression
        ) {
            let op = self.input[self.pos].clone();
            self.pos += 1;
            let right = self.term();
            return Some(PNode::Op(op, vec![opt(term), opt(right)]));
        }
        term
    }

    fn term(&mut self) -> Option<PNode> {
        let n = self.input.get(self.pos)?.clone();
        match n.typ {
            Lx::FilterAt | Lx::Root => {
                self.pos += 1;
                let mut sub = Vec::new();
                let mut level = 1;
                while let Some(s) = self.input.get(self.pos) {
                    match s.typ {
                        Lx::Identity
                        | Lx::DotChild
                        | Lx::BracketChild
                        | Lx::RecursiveDescent
                        | Lx::ArraySubscript => {}
                        Lx::FilterBegin => level += 1,
                        Lx::FilterEnd => {
                            level -= 1;
                            if level == 0 {
                                break;
                            }
                        }
                        Lx::Eof => break,
                        _ => {
                            if level == 1 {
                                break;
                            }
                        }
                    }
                    sub.push(s.clone());
                    self.pos += 1;
                }
                Some(PNode::Term(n, sub))
            }
            Lx::FilterIntegerLiteral
            | Lx::FilterFloatLiteral
            | Lx::FilterStringLiteral
            | Lx::FilterBooleanLiteral
            | Lx::FilterNullLiteral
            | Lx::FilterRegularExpressionLiteral => {
                self.pos += 1;
                Some(PNode::Term(n, Vec::new()))
            }
            _ => None,
        }
    }
}

/// A missing operand: the library's nil node, which never matches.
fn opt(n: Option<PNode>) -> PNode {
    n.unwrap_or(PNode::Term(
        Lexeme {
            typ: Lx::Eof,
            val: String::new(),
        },
        Vec::new(),
    ))
}

fn to_term(n: &PNode) -> Term {
    match n {
        PNode::Term(l, sub) => match l.typ {
            Lx::FilterAt | Lx::Root => {
                let text: String = sub.iter().map(|s| s.val.as_str()).collect();
                Term::Path(l.typ == Lx::FilterAt, Path::parse(&text).ok())
            }
            Lx::FilterIntegerLiteral => Term::Literal(Typed {
                typ: VT::Int,
                val: l.val.clone(),
            }),
            Lx::FilterFloatLiteral => Term::Literal(Typed {
                typ: VT::Float,
                val: l.val.clone(),
            }),
            Lx::FilterStringLiteral => Term::Literal(Typed {
                typ: VT::Str,
                val: l.val[1..l.val.len() - 1].to_string(),
            }),
            Lx::FilterBooleanLiteral => Term::Literal(Typed {
                typ: VT::Bool,
                val: l.val.clone(),
            }),
            Lx::FilterNullLiteral => Term::Literal(Typed {
                typ: VT::Null,
                val: l.val.clone(),
            }),
            Lx::FilterRegularExpressionLiteral => Term::Literal(Typed {
                typ: VT::Regex,
                val: sanitise_regex(&l.val),
            }),
            _ => Term::Empty,
        },
        PNode::Op(..) => Term::Empty,
    }
}

fn to_filter(n: &PNode) -> Filter {
    match n {
        PNode::Term(l, _) => match l.typ {
            Lx::FilterAt | Lx::Root => Filter::Exists(Box::new(to_term(n))),
            Lx::FilterBooleanLiteral => Filter::Bool(l.val.trim() == "true"),
            _ => Filter::Never,
        },
        PNode::Op(l, kids) => match l.typ {
            Lx::FilterNot => Filter::Not(Box::new(to_filter(&kids[0]))),
            Lx::FilterOr => {
                Filter::Or(Box::new(to_filter(&kids[0])), Box::new(to_filter(&kids[1])))
            }
            Lx::FilterAnd => {
                Filter::And(Box::new(to_filter(&kids[0])), Box::new(to_filter(&kids[1])))
            }
            Lx::FilterMatchesRegularExpression => {
                Filter::Match(Box::new(to_term(&kids[0])), Box::new(to_term(&kids[1])))
            }
            op => Filter::Compare(op, Box::new(to_term(&kids[0])), Box::new(to_term(&kids[1]))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unittest::yval::parse_value;

    fn find(doc: &str, path: &str) -> Vec<String> {
        let v = parse_value(doc).unwrap();
        Path::parse(path)
            .unwrap()
            .find(&v)
            .iter()
            .map(|h| h.value().fmt_v())
            .collect()
    }

    const DOC: &str = "a:\n  b: [_, {c: 'yes'}]\n  d: no\n  e.f: 'false'\n  g: {h: '\"quotes\"'}\n  i: [{i1: '1'}, {i2: '2'}]\n";

    #[test]
    fn library_examples() {
        assert_eq!(find(DOC, "a.b[1].c"), vec!["yes"]);
        assert_eq!(find(DOC, "a.b[0]"), vec!["_"]);
        assert_eq!(find(DOC, "a['d']"), vec!["no"]);
        assert_eq!(find(DOC, "a[\"e.f\"]"), vec!["false"]);
        assert_eq!(find(DOC, "a.g.h"), vec!["\"quotes\""]);
        assert_eq!(find(DOC, "a.i[?(@.i1 == \"1\")]"), vec!["map[i1:1]"]);
        assert_eq!(find(DOC, "a.i[*].i2"), vec!["2"]);
        assert_eq!(find(DOC, "a.nope"), Vec::<String>::new());
        assert_eq!(find(DOC, "a.b[-1].c"), vec!["yes"]);
        assert_eq!(find(DOC, "a..c"), vec!["yes"]);
        assert_eq!(find(DOC, "a.g~"), vec!["g"]);
    }

    #[test]
    fn library_errors() {
        let e = |p: &str| Path::parse(p).unwrap_err();
        assert_eq!(
            e("a[null]"),
            "invalid array index [null] before position 7: non-integer array index"
        );
        assert_eq!(
            e("a.b[0[]]"),
            "invalid array index [0[] before position 7: non-integer array index"
        );
        assert_eq!(
            e("a.[c[0]]"),
            "child name missing at position 2, following \"a.\""
        );
    }

    #[test]
    fn filters_compare_numbers_and_regexes() {
        let doc = "env: [{name: OTEL_A, value: 1}, {name: OTEL_B, value: 2}, {name: X, value: 3}]";
        assert_eq!(find(doc, "env[?(@.value > 1)].name"), vec!["OTEL_B", "X"]);
        assert_eq!(
            find(doc, "env[?(@['name']=~/OTEL_.+/)].value"),
            vec!["1", "2"]
        );
        assert_eq!(
            find(doc, "env[?(@.name == 'X' || @.value == 1)].value"),
            vec!["1", "3"]
        );
    }
}
