//! The template parser: Go's `text/template/parse` grammar, error messages and scoping rules.

use std::sync::Arc;

use super::ast::{Arg, Branch, Command, Items, Node, Number, Path, Pipe, Src, Tree, Var};
use super::error::Error;
use super::lexer::{lex, line_at, Tok, Token};

/// Parses `text`, the file `parse_name`, into its main tree (named `name`) and the trees it
/// `define`s or `block`s, in the order they were completed. `has_func` tells which function
/// names exist, since an unknown function is a parse error in Go.
pub fn parse(
    name: &str,
    parse_name: &str,
    text: &str,
    has_func: &dyn Fn(&str) -> bool,
) -> Result<Vec<Tree>, Error> {
    parse_shared(name, parse_name, Arc::from(text), has_func)
}

/// [`parse`] of text the caller already holds shared, which the trees then share too.
pub fn parse_shared(
    name: &str,
    parse_name: &str,
    text: Arc<str>,
    has_func: &dyn Fn(&str) -> bool,
) -> Result<Vec<Tree>, Error> {
    let parse_name: Arc<str> = Arc::from(parse_name);
    let lexed = lex(&text);
    let mut p = Parser {
        toks: lexed.tokens,
        lex_error: lexed.error,
        idx: 0,
        at: 0,
        parse_name: parse_name.clone(),
        text: text.clone(),
        has_func,
        vars: vec!["$"],
        nodes: Vec::new(),
        cmds: Vec::new(),
        args: Vec::new(),
        range_depth: 0,
        action_at: None,
        trees: Vec::new(),
    };
    let root = p.parse_body()?;
    p.add_tree(Tree {
        name: name.to_string(),
        parse_name,
        text: p.text.clone(),
        root,
    })?;
    Ok(p.trees)
}

/// Go's `strconv.ParseInt(s, 0, 64)` (one implementation serves the parser and Sprig's casts).
pub fn go_parse_int(s: &str) -> Option<i64> {
    super::funcs::math::parse_int_go(s)
}

/// Go's `strconv.ParseUint(s, 0, 64)`: base prefixes, a leading-0 octal, and underscores
/// between digits.
pub fn go_parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    let (base, digits) = if b[0] == b'0' && b.len() >= 2 {
        match b[1] {
            b'x' | b'X' => (16, &s[2..]),
            b'o' | b'O' => (8, &s[2..]),
            b'b' | b'B' => (2, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    if !s.contains('_') {
        // "0x", "0o" and "0b" alone are invalid (a lone "0" took the base-10 branch), and
        // from_str_radix would take a sign Go does not.
        if digits.is_empty() || digits.starts_with(['+', '-']) {
            return None;
        }
        return u64::from_str_radix(digits, base).ok();
    }
    if !underscore_ok(s) {
        return None;
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if clean.is_empty() {
        return None;
    }
    u64::from_str_radix(&clean, base).ok()
}

/// Go's rule for where underscores may appear in a number literal.
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if !b.is_empty() && (b[0] == b'-' || b[0] == b'+') {
        i = 1;
    }
    let mut saw = b'^';
    let mut hex = false;
    if b.len() - i >= 2 && b[i] == b'0' {
        let c = b[i + 1].to_ascii_lowercase();
        if c == b'x' || c == b'o' || c == b'b' {
            hex = c == b'x';
            i += 2;
            saw = b'0';
        }
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go's `strconv.ParseFloat(s, 64)` for the forms the lexer produces.
pub fn go_parse_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match clean.as_bytes().first()? {
        b'-' => (true, &clean[1..]),
        b'+' => (false, &clean[1..]),
        _ => (false, clean.as_str()),
    };
    let v = if body.len() > 2 && (body.starts_with("0x") || body.starts_with("0X")) {
        parse_hex_float(&body[2..])?
    } else {
        if body.is_empty()
            || !body
                .bytes()
                .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.find(['p', 'P']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

/// Builds a number node the way Go's `newNumber` does; `src` is the token's text.
fn new_number(tok: &Token, src: Src) -> Result<Number, String> {
    let text = tok.val;
    let mut n = Number {
        text: src,
        int: None,
        uint: None,
        float: None,
        complex: None,
    };
    match tok.tok {
        Tok::CharConstant => {
            let c = unquote_char(text).ok_or_else(|| "invalid syntax".to_string())?;
            n.int = Some(c as i64);
            n.uint = Some(c as u64);
            n.float = Some(c as u32 as f64);
            return Ok(n);
        }
        Tok::Complex => {
            let (re, im) = parse_complex(text).ok_or_else(|| {
                format!(
                    "strconv.ParseComplex: parsing {}: invalid syntax",
                    super::lexer::go_quote(text)
                )
            })?;
            n.complex = Some((re, im));
            simplify_complex(&mut n);
            return Ok(n);
        }
        _ => {}
    }
    if let Some(body) = text.strip_suffix('i') {
        if let Some(f) = go_parse_float(body) {
            n.complex = Some((0.0, f));
            simplify_complex(&mut n);
            return Ok(n);
        }
    }
    let u = go_parse_uint(text);
    n.uint = u;
    if let Some(i) = go_parse_int(text) {
        n.int = Some(i);
        if i == 0 {
            n.uint = Some(u.unwrap_or(0));
        }
    }
    if let Some(i) = n.int {
        n.float = Some(i as f64);
    } else if let Some(u) = n.uint {
        n.float = Some(u as f64);
    } else if let Some(f) = go_parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!(
                "integer overflow: {}",
                super::lexer::go_quote(text)
            ));
        }
        n.float = Some(f);
        if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
            n.int = Some(f as i64);
        }
        if f.fract() == 0.0 && f >= 0.0 && f < u64::MAX as f64 {
            n.uint = Some(f as u64);
        }
    }
    if n.int.is_none() && n.uint.is_none() && n.float.is_none() {
        return Err(format!(
            "illegal number syntax: {}",
            super::lexer::go_quote(text)
        ));
    }
    Ok(n)
}

fn simplify_complex(n: &mut Number) {
    if let Some((re, im)) = n.complex {
        if im == 0.0 {
            n.float = Some(re);
            if re.fract() == 0.0 && re >= i64::MIN as f64 && re < i64::MAX as f64 {
                n.int = Some(re as i64);
            }
            if re.fract() == 0.0 && re >= 0.0 && re < u64::MAX as f64 {
                n.uint = Some(re as u64);
            }
        }
    }
}

fn parse_complex(s: &str) -> Option<(f64, f64)> {
    // "1+2i": split at the last sign that is not part of an exponent.
    let body = s.strip_suffix('i')?;
    let b = body.as_bytes();
    let mut split = None;
    for i in (1..b.len()).rev() {
        if (b[i] == b'+' || b[i] == b'-') && !matches!(b[i - 1], b'e' | b'E' | b'p' | b'P') {
            split = Some(i);
            break;
        }
    }
    let i = split?;
    Some((go_parse_float(&body[..i])?, go_parse_float(&body[i..])?))
}

/// Unquotes a Go character literal like `'a'` or `'\n'`.
fn unquote_char(s: &str) -> Option<char> {
    let inner = s.strip_prefix('\'')?.strip_suffix('\'')?;
    let (c, rest) = unquote_one(inner, '\'')?;
    if rest.is_empty() {
        Some(c)
    } else {
        None
    }
}

/// Decodes one possibly-escaped character of a Go quoted literal.
fn unquote_one(s: &str, quote: char) -> Option<(char, &str)> {
    let mut chars = s.chars();
    let c = chars.next()?;
    if c != '\\' {
        if c == quote {
            return None;
        }
        return Some((c, chars.as_str()));
    }
    let e = chars.next()?;
    let rest = chars.as_str();
    let simple = match e {
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        'f' => Some('\x0c'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\x0b'),
        '\\' => Some('\\'),
        '\'' if quote == '\'' => Some('\''),
        '"' if quote == '"' => Some('"'),
        _ => None,
    };
    if let Some(c) = simple {
        return Some((c, rest));
    }
    let hex = |n: usize| -> Option<(u32, &str)> {
        let h = rest.get(..n)?;
        Some((u32::from_str_radix(h, 16).ok()?, &rest[n..]))
    };
    match e {
        'x' => {
            let (v, r) = hex(2)?;
            Some((char::from_u32(v)?, r))
        }
        'u' => {
            let (v, r) = hex(4)?;
            Some((char::from_u32(v)?, r))
        }
        'U' => {
            let (v, r) = hex(8)?;
            Some((char::from_u32(v)?, r))
        }
        '0'..='7' => {
            let o = s.get(1..4)?;
            let v = u32::from_str_radix(o, 8).ok()?;
            if v > 255 {
                return None;
            }
            Some((char::from_u32(v)?, &s[4..]))
        }
        _ => None,
    }
}

/// Go's `strconv.Unquote` for double-quoted and back-quoted strings. Byte escapes like `\xff`
/// produce raw bytes in Go; invalid UTF-8 cannot live in a Rust string, so they become U+FFFD.
pub fn unquote_string(s: &str) -> Option<String> {
    if let Some(plain) = unquote_plain(s) {
        return Some(plain.to_string());
    }
    if let Some(inner) = s.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
        return Some(inner.replace('\r', ""));
    }
    let mut rest = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(rest.len());
    let mut bytes: Vec<u8> = Vec::new();
    while !rest.is_empty() {
        let is_byte_escape = rest.starts_with("\\x")
            || rest.as_bytes().first() == Some(&b'\\')
                && rest
                    .as_bytes()
                    .get(1)
                    .is_some_and(|b| (b'0'..=b'7').contains(b));
        let (c, r) = unquote_one(rest, '"')?;
        if is_byte_escape && (c as u32) > 0x7f {
            bytes.push(c as u32 as u8);
        } else {
            if !bytes.is_empty() {
                out.push_str(&String::from_utf8_lossy(&bytes));
                bytes.clear();
            }
            out.push(c);
        }
        rest = r;
    }
    if !bytes.is_empty() {
        out.push_str(&String::from_utf8_lossy(&bytes));
    }
    Some(out)
}

/// [`unquote_string`] into the shared string a value holds. Literals without escapes, nearly
/// all of them, are copied once instead of twice.
fn unquote_shared(s: &str) -> Option<Arc<str>> {
    match unquote_plain(s) {
        Some(plain) => Some(Arc::from(plain)),
        None => unquote_string(s).map(Arc::from),
    }
}

/// The inside of a quoted literal that needs no decoding (no escapes, no carriage returns in
/// a raw string), as it stands in the text; `None` when [`unquote_string`] must do the work.
fn unquote_plain(s: &str) -> Option<&str> {
    if let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return (!inner.contains(['\\', '"'])).then_some(inner);
    }
    let inner = s.strip_prefix('`')?.strip_suffix('`')?;
    (!inner.contains('\r')).then_some(inner)
}

struct Parser<'a> {
    toks: Vec<Token<'a>>,
    /// The message of the error token that ends `toks`, if lexing failed.
    lex_error: String,
    idx: usize,
    /// Where the last token read starts: errors are reported at its line.
    at: usize,
    parse_name: Arc<str>,
    text: Arc<str>,
    has_func: &'a dyn Fn(&str) -> bool,
    vars: Vec<&'a str>,
    // Lists under construction, stacked: a nested list is built on top of its parent's part
    // and moved out into a vector of exactly its size when complete. That is one allocation
    // per list, never a regrowth, and no unused capacity kept in the tree.
    nodes: Vec<Node>,
    cmds: Vec<Command>,
    args: Vec<Arg>,
    range_depth: usize,
    /// Where the action being parsed starts, if inside one.
    action_at: Option<usize>,
    trees: Vec<Tree>,
}

type PResult<T> = Result<T, Error>;

impl<'a> Parser<'a> {
    fn err<T>(&self, msg: impl Into<String>) -> PResult<T> {
        Err(Error::parse(
            &self.parse_name,
            line_at(&self.text, self.at),
            msg,
        ))
    }

    /// The part `start..end` of the text, shared.
    fn src(&self, start: usize, end: usize) -> Src {
        Src::new(&self.text, start, end)
    }

    /// A token's text, shared.
    fn tok_src(&self, t: &Token) -> Src {
        self.src(t.pos, t.pos + t.val.len())
    }

    fn eof_token(&self) -> Token<'a> {
        let pos = self.toks.last().map(|t| t.pos).unwrap_or(0);
        Token {
            tok: Tok::Eof,
            val: "",
            pos,
        }
    }

    fn next(&mut self) -> Token<'a> {
        let t = self
            .toks
            .get(self.idx)
            .copied()
            .unwrap_or_else(|| self.eof_token());
        if self.idx < self.toks.len() {
            self.idx += 1;
        }
        self.at = t.pos;
        t
    }

    fn backup(&mut self) {
        self.idx = self.idx.saturating_sub(1);
    }

    fn peek(&mut self) -> Token<'a> {
        let t = self
            .toks
            .get(self.idx)
            .copied()
            .unwrap_or_else(|| self.eof_token());
        self.at = t.pos;
        t
    }

    fn next_non_space(&mut self) -> Token<'a> {
        loop {
            let t = self.next();
            if t.tok != Tok::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Token<'a> {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn expect(&mut self, tok: Tok, context: &str) -> PResult<Token<'a>> {
        let t = self.next_non_space();
        if t.tok != tok {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    fn unexpected<T>(&mut self, t: &Token, context: &str) -> PResult<T> {
        if t.tok == Tok::Error {
            let mut extra = String::new();
            let action_line = self.action_at.map(|at| line_at(&self.text, at));
            if let Some(action_line) = action_line.filter(|&l| l != line_at(&self.text, t.pos)) {
                extra = format!(" in action started at {}:{action_line}", self.parse_name);
                if self.lex_error.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.err(format!("{}{extra}", self.lex_error));
        }
        self.err(format!("unexpected {t} in {context}"))
    }

    fn add_tree(&mut self, tree: Tree) -> PResult<()> {
        if let Some(existing) = self.trees.iter_mut().find(|t| t.name == tree.name) {
            if existing.is_empty() {
                *existing = tree;
                return Ok(());
            }
            if !tree.is_empty() {
                return self.err(format!(
                    "template: multiple definition of template {}",
                    super::lexer::go_quote(&tree.name)
                ));
            }
            return Ok(());
        }
        self.trees.push(tree);
        Ok(())
    }

    /// The top level of a file: text, actions and `define`s.
    fn parse_body(&mut self) -> PResult<Vec<Node>> {
        let mark = self.nodes.len();
        loop {
            let t = self.peek();
            if t.tok == Tok::Eof {
                break;
            }
            if t.tok == Tok::LeftDelim {
                let save = self.idx;
                self.next();
                if self.next_non_space().tok == Tok::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.idx = save;
            }
            match self.text_or_action()? {
                Item::Node(n) => self.nodes.push(n),
                Item::End => return self.err("unexpected {{end}}"),
                Item::Else(_) => return self.err("unexpected {{else}}"),
            }
        }
        Ok(self.nodes.drain(mark..).collect())
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let t = self.next_non_space();
        if t.tok != Tok::String && t.tok != Tok::RawString {
            return self.unexpected(&t, context);
        }
        let Some(name) = unquote_string(t.val) else {
            return self.err("invalid syntax");
        };
        self.expect(Tok::RightDelim, context)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$"]);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        if let Item::Else(_) = end {
            return self.err(format!("unexpected {{{{else}}}} in {context}"));
        }
        self.add_tree(Tree {
            name,
            parse_name: self.parse_name.clone(),
            text: self.text.clone(),
            root: list,
        })
    }

    /// Nodes up to the next `{{end}}` or `{{else}}`, which is returned too.
    fn item_list(&mut self) -> PResult<(Vec<Node>, Item)> {
        let mark = self.nodes.len();
        while self.peek_non_space().tok != Tok::Eof {
            match self.text_or_action()? {
                Item::Node(n) => self.nodes.push(n),
                other => return Ok((self.nodes.drain(mark..).collect(), other)),
            }
        }
        self.err("unexpected EOF")
    }

    fn text_or_action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.tok {
            Tok::Text => Ok(Item::Node(Node::Text(self.tok_src(&t), t.pos))),
            Tok::LeftDelim => {
                let saved = self.action_at;
                self.action_at = Some(t.pos);
                let r = self.action();
                self.action_at = saved;
                r
            }
            _ => self.unexpected(&t, "input"),
        }
    }

    fn action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.tok {
            Tok::Block => return self.block_control().map(Item::Node),
            Tok::Break => return self.break_control(t.pos, true).map(Item::Node),
            Tok::Continue => return self.break_control(t.pos, false).map(Item::Node),
            Tok::Else => return self.else_control(),
            Tok::End => {
                self.expect(Tok::RightDelim, "end")?;
                return Ok(Item::End);
            }
            Tok::If => return self.control("if").map(Item::Node),
            Tok::Range => return self.control("range").map(Item::Node),
            Tok::Template => return self.template_control().map(Item::Node),
            Tok::With => return self.control("with").map(Item::Node),
            _ => {}
        }
        self.backup();
        let pipe = self.pipeline("command", Tok::RightDelim)?;
        Ok(Item::Node(Node::Action(pipe)))
    }

    fn break_control(&mut self, pos: usize, is_break: bool) -> PResult<Node> {
        let word = if is_break { "break" } else { "continue" };
        let t = self.next_non_space();
        if t.tok != Tok::RightDelim {
            return self.unexpected(&t, &format!("{{{{{word}}}}}"));
        }
        if self.range_depth == 0 {
            return self.err(format!("{{{{{word}}}}} outside {{{{range}}}}"));
        }
        Ok(if is_break {
            Node::Break(pos)
        } else {
            Node::Continue(pos)
        })
    }

    fn else_control(&mut self) -> PResult<Item> {
        let p = self.peek_non_space();
        if p.tok == Tok::If || p.tok == Tok::With {
            return Ok(Item::Else(ElseKind::Chained));
        }
        self.expect(Tok::RightDelim, "else")?;
        Ok(Item::Else(ElseKind::Plain))
    }

    fn control(&mut self, context: &str) -> PResult<Node> {
        let mark = self.vars.len();
        let r = self.control_inner(context);
        self.vars.truncate(mark);
        let b = r?;
        Ok(match context {
            "if" => Node::If(b),
            "range" => Node::Range(b),
            _ => Node::With(b),
        })
    }

    fn control_inner(&mut self, context: &str) -> PResult<Branch> {
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let r = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, next) = r?;
        let mut else_list = None;
        match next {
            Item::End => {}
            Item::Else(kind) => {
                let chained = kind == ElseKind::Chained;
                let p = self.peek_non_space();
                if chained && context == "if" && p.tok == Tok::If {
                    self.next_non_space();
                    else_list = Some(vec![self.control("if")?]);
                } else if chained && context == "with" && p.tok == Tok::With {
                    self.next_non_space();
                    else_list = Some(vec![self.control("with")?]);
                } else {
                    if chained {
                        // "{{else if}}" inside range or "{{else with}}" inside if: Go reads
                        // the else as ending at the keyword, which then fails.
                        let t = self.next_non_space();
                        return self.unexpected(&t, "else");
                    }
                    let (l, end) = self.item_list()?;
                    if !matches!(end, Item::End) {
                        return self.err("expected end; found {{else}}");
                    }
                    else_list = Some(l);
                }
            }
            // item_list only stops at an end or an else.
            Item::Node(_) => {}
        }
        Ok(Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })
    }

    fn template_name(&mut self, t: &Token, context: &str) -> PResult<String> {
        match t.tok {
            Tok::String | Tok::RawString => match unquote_string(t.val) {
                Some(s) => Ok(s),
                None => self.err("invalid syntax"),
            },
            _ => self.unexpected(t, context),
        }
    }

    fn template_control(&mut self) -> PResult<Node> {
        let context = "template clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, context)?;
        let pipe = if self.next_non_space().tok != Tok::RightDelim {
            self.backup();
            Some(self.pipeline(context, Tok::RightDelim)?)
        } else {
            None
        };
        Ok(Node::Template {
            pos: t.pos,
            name,
            pipe,
        })
    }

    fn block_control(&mut self) -> PResult<Node> {
        let context = "block clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, context)?;
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$"]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let r = self.item_list();
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        let (list, end) = r?;
        if let Item::Else(_) = end {
            return self.err(format!("unexpected {{{{else}}}} in {context}"));
        }
        self.add_tree(Tree {
            name: name.clone(),
            parse_name: self.parse_name.clone(),
            text: self.text.clone(),
            root: list,
        })?;
        Ok(Node::Template {
            pos: t.pos,
            name,
            pipe: Some(pipe),
        })
    }

    fn pipeline(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        let start = self.peek_non_space();
        let mut pipe = Pipe {
            pos: start.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Items::default(),
        };
        // Declarations: "$x :=", "$x =", or in range "$i, $v :=".
        loop {
            let v = self.peek_non_space();
            if v.tok != Tok::Variable {
                break;
            }
            let save = self.idx;
            self.next_non_space();
            let after = self.peek();
            let next = self.peek_non_space();
            match next.tok {
                Tok::Assign | Tok::Declare => {
                    pipe.is_assign = next.tok == Tok::Assign;
                    self.next_non_space();
                    pipe.decl.push(Var {
                        pos: v.pos,
                        name: self.tok_src(&v),
                    });
                    self.vars.push(v.val);
                    break;
                }
                Tok::Char if next.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(Var {
                        pos: v.pos,
                        name: self.tok_src(&v),
                    });
                    self.vars.push(v.val);
                    if context == "range" && pipe.decl.len() < 2 {
                        let p = self.peek_non_space();
                        match p.tok {
                            Tok::Variable | Tok::RightDelim | Tok::RightParen => continue,
                            _ => return self.err("range can only initialize variables"),
                        }
                    }
                    return self.err(format!("too many declarations in {context}"));
                }
                _ => {
                    let _ = after;
                    self.idx = save;
                    break;
                }
            }
        }
        let mark = self.cmds.len();
        loop {
            let t = self.next_non_space();
            if t.tok == end {
                pipe.cmds = Items::take_from(&mut self.cmds, mark);
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match t.tok {
                Tok::Bool
                | Tok::CharConstant
                | Tok::Complex
                | Tok::Dot
                | Tok::Field
                | Tok::Identifier
                | Tok::Number
                | Tok::Nil
                | Tok::RawString
                | Tok::String
                | Tok::Variable
                | Tok::LeftParen => {
                    self.backup();
                    let c = self.command()?;
                    self.cmds.push(c);
                }
                _ => return self.unexpected(&t, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.err(format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(
                    Arg::Bool(..)
                        | Arg::Dot(_)
                        | Arg::Nil(_)
                        | Arg::Number(..)
                        | Arg::String { .. }
                )
            ) {
                return self.err(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                ));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let start = self.peek_non_space();
        let mark = self.args.len();
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                self.args.push(op);
            }
            let t = self.next();
            match t.tok {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                _ => return self.unexpected(&t, "operand"),
            }
            break;
        }
        if self.args.len() == mark {
            return self.err("empty command");
        }
        Ok(Command {
            pos: start.pos,
            args: Items::take_from(&mut self.args, mark),
        })
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().tok != Tok::Field {
            return Ok(Some(node));
        }
        // The fields follow the term and each other with nothing between, so the whole chain
        // is one piece of text.
        let chain_pos = self.peek().pos;
        let mut end = chain_pos;
        while self.peek().tok == Tok::Field {
            let f = self.next();
            end = f.pos + f.val.len();
        }
        Ok(Some(match node {
            Arg::Field { idents, .. } => Arg::Field {
                pos: chain_pos,
                idents: Path(self.src(idents.0.start(), end)),
            },
            Arg::Variable { idents, .. } => Arg::Variable {
                pos: chain_pos,
                idents: Path(self.src(idents.0.start(), end)),
            },
            Arg::Bool(..) | Arg::String { .. } | Arg::Number(..) | Arg::Nil(_) | Arg::Dot(_) => {
                return self.err(format!(
                    "unexpected . after term {}",
                    super::lexer::go_quote(&node.to_string())
                ));
            }
            other => Arg::Chain {
                pos: chain_pos,
                node: Box::new(other),
                fields: Path(self.src(chain_pos + 1, end)),
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        Ok(Some(match t.tok {
            Tok::Identifier => {
                if !(self.has_func)(t.val) {
                    return self.err(format!(
                        "function {} not defined",
                        super::lexer::go_quote(t.val)
                    ));
                }
                Arg::Identifier {
                    pos: t.pos,
                    name: self.tok_src(&t),
                }
            }
            Tok::Dot => Arg::Dot(t.pos),
            Tok::Nil => Arg::Nil(t.pos),
            Tok::Variable => {
                if !self.vars.contains(&t.val) {
                    return self.err(format!(
                        "undefined variable {}",
                        super::lexer::go_quote(t.val)
                    ));
                }
                Arg::Variable {
                    pos: t.pos,
                    idents: Path(self.tok_src(&t)),
                }
            }
            Tok::Field => Arg::Field {
                pos: t.pos,
                idents: Path(self.src(t.pos + 1, t.pos + t.val.len())),
            },
            Tok::Bool => Arg::Bool(t.pos, t.val == "true"),
            Tok::CharConstant | Tok::Complex | Tok::Number => {
                match new_number(&t, self.tok_src(&t)) {
                    Ok(n) => Arg::Number(t.pos, Box::new(n)),
                    Err(e) => return self.err(e),
                }
            }
            Tok::LeftParen => {
                let p = self.pipeline("parenthesized pipeline", Tok::RightParen)?;
                Arg::Pipe(Box::new(p))
            }
            Tok::String | Tok::RawString => match unquote_shared(t.val) {
                Some(text) => Arg::String {
                    pos: t.pos,
                    quoted: self.tok_src(&t),
                    text,
                },
                None => return self.err("invalid syntax"),
            },
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ElseKind {
    Plain,
    Chained,
}

enum Item {
    Node(Node),
    End,
    Else(ElseKind),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Vec<Tree>, String> {
        parse("t", "t", s, &|n| n != "nofunc").map_err(|e| e.to_string())
    }

    fn round(s: &str) -> String {
        let trees = p(s).unwrap();
        let t = trees.iter().find(|t| t.name == "t").unwrap();
        t.root.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn round_trips() {
        assert_eq!(round("a{{.x.y}}b"), "a{{.x.y}}b");
        assert_eq!(
            round("{{if .a}}x{{else if .b}}y{{end}}"),
            "{{if .a}}x{{else}}{{if .b}}y{{end}}{{end}}"
        );
        assert_eq!(
            round("{{range $i, $v := .l}}{{$v}}{{end}}"),
            "{{range $i, $v := .l}}{{$v}}{{end}}"
        );
        assert_eq!(
            round("{{   eq   .Values.three    3.5  \"abc\"  }}"),
            "{{eq .Values.three 3.5 \"abc\"}}"
        );
        assert_eq!(round("{{ (len .x).y }}"), "{{(len .x).y}}");
    }

    #[test]
    fn errors() {
        assert_eq!(
            p("{{nofunc}}").unwrap_err(),
            "template: t:1: function \"nofunc\" not defined"
        );
        assert_eq!(
            p("{{$y}}").unwrap_err(),
            "template: t:1: undefined variable \"$y\""
        );
        assert_eq!(
            p("{{break}}").unwrap_err(),
            "template: t:1: {{break}} outside {{range}}"
        );
        assert_eq!(
            p("{{if true}}").unwrap_err(),
            "template: t:1: unexpected EOF"
        );
        assert_eq!(
            p("{{end}}").unwrap_err(),
            "template: t:1: unexpected {{end}}"
        );
        assert_eq!(
            p("{{if true}}{{$y := 1}}{{end}}{{$y}}").unwrap_err(),
            "template: t:1: undefined variable \"$y\""
        );
    }

    #[test]
    fn error_lines() {
        // Lines come from the offending token; a lexical error on another line than its
        // action's start names where the action started (as helm prints them).
        for (text, want) in [
            (
                "a: {{ .x\n \"abc }}",
                "template: t:2: unterminated quoted string in action started at t:1",
            ),
            (
                "a: {{ .x\n\n",
                "template: t:3: unclosed action started at t:1",
            ),
            ("x\n{{/* c\n", "template: t:2: unclosed comment"),
            (
                "y {{ .a\n | @ }}",
                "template: t:2: unexpected \"@\" in command",
            ),
            (
                "\n\n{{ .a \"b }}",
                "template: t:3: unterminated quoted string",
            ),
            (
                "{{if .a}}\n{{else}}\n{{else}}{{end}}",
                "template: t:3: expected end; found {{else}}",
            ),
        ] {
            assert_eq!(p(text).unwrap_err(), want, "{text:?}");
        }
    }

    #[test]
    fn string_literals() {
        for (lit, want) in [
            (r#""plain""#, Some("plain")),
            (r#""a\tb""#, Some("a\tb")),
            (r#""\x41\u00e9""#, Some("Aé")),
            ("`raw\\n`", Some("raw\\n")),
            ("`a\r\nb`", Some("a\nb")),
            (r#""a"b""#, None),
            (r#"""#, None),
            ("`", None),
        ] {
            assert_eq!(unquote_string(lit).as_deref(), want, "{lit}");
            assert_eq!(unquote_shared(lit).as_deref(), want, "{lit}");
        }
    }

    #[test]
    fn defines() {
        let trees = p("{{define \"a\"}}x{{end}}{{define \"b\"}}y{{end}}").unwrap();
        let names: Vec<_> = trees.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "t"]);
        assert!(p("{{define \"a\"}}x{{end}}{{define \"a\"}}y{{end}}").is_err());
    }

    #[test]
    fn numbers() {
        for (s, int) in [
            ("0x10", 16),
            ("0o17", 15),
            ("017", 15),
            ("1_000", 1000),
            ("'a'", 97),
            ("-3", -3),
        ] {
            let trees = p(&format!("{{{{{s}}}}}")).unwrap();
            let Node::Action(pipe) = &trees[0].root[0] else {
                panic!()
            };
            let Arg::Number(_, n) = &pipe.cmds[0].args[0] else {
                panic!()
            };
            assert_eq!(n.int, Some(int), "{s}");
        }
    }
}

#[cfg(test)]
mod parse_int_go_rules {
    #[test]
    fn base_prefixes_and_underscores() {
        let inputs = [
            "0",
            "-0",
            "+5",
            "12",
            "-12",
            "010",
            "0x1F",
            "0X1f",
            "0o17",
            "0b101",
            "1_000",
            "0x_1F",
            "_1",
            "1_",
            "1__0",
            "0x",
            "0o",
            "09",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "",
            "-",
            "1.5",
            "1e3",
            " 1",
            "0_7",
        ];
        for s in inputs {
            // ParseUint agrees with ParseInt on every non-negative input.
            if !s.starts_with('-') && !s.starts_with('+') {
                if let Some(i) = super::go_parse_int(s) {
                    assert_eq!(super::go_parse_uint(s), Some(i as u64), "{s:?}");
                }
            }
        }
        assert_eq!(super::go_parse_uint("0o"), None);
        // Go's ParseUint takes no sign at all.
        assert_eq!(super::go_parse_uint("+5"), None);
        assert_eq!(super::go_parse_uint("-5"), None);
        assert_eq!(super::go_parse_uint("0x+5"), None);
        assert_eq!(super::go_parse_uint("1_000"), Some(1000));
        assert_eq!(super::go_parse_uint("0x"), None);
        assert_eq!(super::go_parse_int("0x_1F"), Some(31));
        assert_eq!(super::go_parse_int("1__0"), None);
    }
}
