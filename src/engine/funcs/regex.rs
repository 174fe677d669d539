//! Template functions: Sprig's regular-expression functions, with Go's RE2 syntax and Go's
//! `regexp` results.
//!
//! Patterns are translated from Go's syntax to the `regex` crate's before compiling. The two
//! dialects mostly agree; where they differ:
//! - Go's `\d`, `\s`, `\w` and `\b` are ASCII-only; Rust's are Unicode-aware, so they are spelled
//!   out as ASCII classes.
//! - Go treats `[` inside a class as a literal and has no class set operations; Rust nests
//!   classes and reads `&&`, `~~` as operators, so those are escaped.
//! - An escaped punctuation character is always itself in Go (`\<` is `<`); Rust gives `\<` and
//!   `\>` a meaning, so such escapes are rewritten as plain literals.
//! - Go reads a `{` that does not start a valid repetition as a literal; Rust rejects it.
//! - Go supports `\Q…\E` quoting; Rust does not, so it is expanded here.
//! - Go caps repetition counts at 1000 and rejects flags other than `imsU`.
//!
//! Go's replacement-template expansion (`$1`, `${1}`, `$name` taking the longest run of word
//! characters, `$$`) differs from Rust's, so it is implemented here.

use regex_automata::meta;
use regex_automata::util::captures::Captures;
use regex_syntax::ast;

use super::{Func, FuncCtx, FuncError, FuncResult};
use crate::engine::value::{SliceType, Ty, Value};
use crate::gofunc;
use std::sync::Arc;

/// This group's functions.
pub const FUNCS: &[Func] = &[
    gofunc!("regexMatch", [Ty::String, Ty::String], regex_match),
    gofunc!("mustRegexMatch", [Ty::String, Ty::String], must_regex_match),
    gofunc!(
        "regexFindAll",
        [Ty::String, Ty::String, Ty::Int],
        regex_find_all
    ),
    gofunc!(
        "mustRegexFindAll",
        [Ty::String, Ty::String, Ty::Int],
        must_regex_find_all
    ),
    gofunc!("regexFind", [Ty::String, Ty::String], regex_find),
    gofunc!("mustRegexFind", [Ty::String, Ty::String], must_regex_find),
    gofunc!(
        "regexReplaceAll",
        [Ty::String, Ty::String, Ty::String],
        regex_replace_all
    ),
    gofunc!(
        "mustRegexReplaceAll",
        [Ty::String, Ty::String, Ty::String],
        must_regex_replace_all
    ),
    gofunc!(
        "regexReplaceAllLiteral",
        [Ty::String, Ty::String, Ty::String],
        regex_replace_literal
    ),
    gofunc!(
        "mustRegexReplaceAllLiteral",
        [Ty::String, Ty::String, Ty::String],
        must_regex_replace_literal
    ),
    gofunc!("regexSplit", [Ty::String, Ty::String, Ty::Int], regex_split),
    gofunc!(
        "mustRegexSplit",
        [Ty::String, Ty::String, Ty::Int],
        must_regex_split
    ),
    gofunc!("regexQuoteMeta", [Ty::String], regex_quote_meta),
];

/// Go's `regexp.Compile` error: `error parsing regexp: CODE: `ARG``.
fn go_err(code: &str, arg: &str) -> String {
    format!("error parsing regexp: {code}: `{arg}`")
}

fn is_punct(c: char) -> bool {
    c.is_ascii() && !c.is_ascii_alphanumeric()
}

/// Reads `{n}`, `{n,}` or `{n,m}` at the start of `s`, returning its byte length and counts.
fn repeat_spec(s: &str) -> Option<(usize, u64, Option<u64>)> {
    let body = s.strip_prefix('{')?;
    let close = body.find('}')?;
    let inner = &body[..close];
    let (lo, hi) = match inner.split_once(',') {
        Some((a, b)) => (a, Some(b)),
        None => (inner, None),
    };
    if lo.is_empty() || !lo.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(h) = hi {
        if !h.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    let lo_n = lo.parse::<u64>().unwrap_or(u64::MAX);
    let hi_n = match hi {
        Some("") => None,
        Some(h) => Some(h.parse::<u64>().unwrap_or(u64::MAX)),
        None => Some(lo_n),
    };
    Some((close + 2, lo_n, hi_n))
}

/// Copies an escape that carries a bracketed or fixed-size argument (`\p{Greek}`, `\pL`,
/// `\x{41}`, `\x41`) starting after the backslash; returns the bytes consumed.
fn copy_arg_escape(rest: &str, out: &mut String) -> usize {
    let mut chars = rest.char_indices();
    let Some((_, c)) = chars.next() else { return 0 };
    out.push('\\');
    out.push(c);
    let after = &rest[c.len_utf8()..];
    if after.starts_with('{') {
        if let Some(end) = after.find('}') {
            out.push_str(&after[..=end]);
            return c.len_utf8() + end + 1;
        }
        return c.len_utf8();
    }
    let take = if c == 'x' { 2 } else { 1 };
    let mut used = c.len_utf8();
    for ch in after.chars().take(take) {
        out.push(ch);
        used += ch.len_utf8();
    }
    used
}

/// Rewrites a Go pattern into the `regex` crate's dialect, or fails with Go's error text for the
/// constructs Go rejects and Rust accepts.
fn translate(p: &str) -> Result<String, String> {
    let mut out = String::with_capacity(p.len() + 16);
    let mut i = 0;
    let mut in_class = false;
    // Where the repetition operator just emitted began: Go rejects stacked operators (`a**`),
    // which Rust accepts.
    let mut last_repeat: Option<usize> = None;
    while i < p.len() {
        let rest = &p[i..];
        let Some(c) = rest.chars().next() else { break };
        let cl = c.len_utf8();
        let prev_repeat = if in_class { None } else { last_repeat.take() };
        let op_len = match c {
            '*' | '+' | '?' if !in_class => Some(1),
            '{' if !in_class => repeat_spec(rest).map(|(len, _, _)| len),
            _ => None,
        };
        if let Some(len) = op_len {
            let end = if p[i + len..].starts_with('?') {
                i + len + 1
            } else {
                i + len
            };
            if let Some(start) = prev_repeat {
                return Err(go_err("invalid nested repetition operator", &p[start..end]));
            }
            if let Some((_, lo, hi)) = repeat_spec(rest) {
                if lo > 1000 || hi.is_some_and(|h| h > 1000 || h < lo) {
                    return Err(go_err("invalid repeat count", &rest[..len]));
                }
            }
            out.push_str(&p[i..end]);
            last_repeat = Some(i);
            i = end;
            continue;
        }
        if c == '\\' {
            let Some(n) = rest[1..].chars().next() else {
                return Err(go_err("trailing backslash at end of expression", ""));
            };
            let nl = n.len_utf8();
            let plain = |s: &str, o: &mut String| o.push_str(s);
            match (n, in_class) {
                ('d', false) => plain("[0-9]", &mut out),
                ('D', false) => plain("[^0-9]", &mut out),
                ('s', false) => plain(r"[\t\n\x0C\r ]", &mut out),
                ('S', false) => plain(r"[^\t\n\x0C\r ]", &mut out),
                ('w', false) => plain("[0-9A-Za-z_]", &mut out),
                ('W', false) => plain("[^0-9A-Za-z_]", &mut out),
                ('b', false) => plain(r"(?-u:\b)", &mut out),
                ('B', false) => plain(r"(?-u:\B)", &mut out),
                ('d', true) => plain("0-9", &mut out),
                ('D', true) => plain("[^0-9]", &mut out),
                ('s', true) => plain(r"\t\n\x0C\r ", &mut out),
                ('S', true) => plain(r"[^\t\n\x0C\r ]", &mut out),
                ('w', true) => plain("0-9A-Za-z_", &mut out),
                ('W', true) => plain("[^0-9A-Za-z_]", &mut out),
                ('Q', false) => {
                    let body = &rest[2..];
                    let (lit, used) = match body.find(r"\E") {
                        Some(e) => (&body[..e], e + 2),
                        None => (body, body.len()),
                    };
                    out.push_str(&regex::escape(lit));
                    i += 2 + used;
                    continue;
                }
                ('p' | 'P' | 'x', _) => {
                    i += 1 + copy_arg_escape(&rest[1..], &mut out);
                    continue;
                }
                (n, _) if is_punct(n) => out.push_str(&regex::escape(&n.to_string())),
                (n, _) => {
                    out.push('\\');
                    out.push(n);
                }
            }
            i += 1 + nl;
            continue;
        }
        if in_class {
            match c {
                ']' => {
                    in_class = false;
                    out.push(']');
                }
                '[' => {
                    let posix = rest
                        .strip_prefix("[:")
                        .and_then(|r| r.find(":]"))
                        .map(|e| e + 4);
                    match posix {
                        Some(len) => {
                            let name = rest[2..len - 2].trim_start_matches('^');
                            const NAMES: &[&str] = &[
                                "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph",
                                "lower", "print", "punct", "space", "upper", "word", "xdigit",
                            ];
                            if !NAMES.contains(&name) {
                                return Err(go_err("invalid character class range", &rest[..len]));
                            }
                            out.push_str(&rest[..len]);
                            i += len;
                            continue;
                        }
                        None => out.push_str(r"\["),
                    }
                }
                '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
            i += cl;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                out.push('[');
                i += 1;
                if p[i..].starts_with('^') {
                    out.push('^');
                    i += 1;
                }
                if p[i..].starts_with(']') {
                    out.push_str(r"\]");
                    i += 1;
                }
                continue;
            }
            '(' if rest.starts_with("(?") => {
                let body = &rest[2..];
                if !(body.starts_with("P<") || body.starts_with('<')) {
                    for (k, f) in body.char_indices() {
                        if f == ')' || f == ':' {
                            break;
                        }
                        if !matches!(f, 'i' | 'm' | 's' | 'U' | '-') {
                            let end = 2 + k + f.len_utf8();
                            return Err(go_err("invalid or unsupported Perl syntax", &rest[..end]));
                        }
                    }
                }
                out.push('(');
            }
            '{' => out.push_str(r"\{"),
            _ => out.push(c),
        }
        i += cl;
    }
    Ok(out)
}

/// Go's message for a pattern the `regex` crate rejected, found from the parser's error kind
/// and position in the original pattern.
fn explain(p: &str, fallback: &str) -> String {
    let err = match ast::parse::Parser::new().parse(p) {
        Err(e) => e,
        Ok(_) => {
            if let Err(regex_syntax::Error::Translate(e)) = regex_syntax::Parser::new().parse(p) {
                let span = e.span();
                let text = p.get(span.start.offset..span.end.offset).unwrap_or("");
                return go_err("invalid character class range", text);
            }
            return format!("error parsing regexp: {fallback}");
        }
    };
    let span = err.span();
    let (s, e) = (span.start.offset.min(p.len()), span.end.offset.min(p.len()));
    let text = p.get(s..e).unwrap_or("");
    use ast::ErrorKind as K;
    match err.kind() {
        K::ClassUnclosed => go_err("missing closing ]", p.get(s..).unwrap_or("")),
        K::GroupUnclosed => go_err("missing closing )", p),
        K::GroupUnopened => go_err("unexpected )", p),
        K::RepetitionMissing => {
            let tail = p.get(s..).unwrap_or("");
            let op_len = match repeat_spec(tail) {
                Some((len, _, _)) => len,
                None => tail.chars().next().map_or(0, char::len_utf8),
            };
            let text = if text.is_empty() {
                &tail[..op_len]
            } else {
                text
            };
            let prev = p.get(..s).and_then(|b| b.chars().last());
            match prev {
                Some(c @ ('*' | '+' | '?')) => {
                    go_err("invalid nested repetition operator", &format!("{c}{text}"))
                }
                _ => go_err("missing argument to repetition operator", text),
            }
        }
        K::RepetitionCountInvalid | K::RepetitionCountUnclosed | K::RepetitionCountDecimalEmpty => {
            go_err("invalid repeat count", text)
        }
        K::EscapeUnexpectedEof => go_err("trailing backslash at end of expression", ""),
        K::EscapeUnrecognized | K::UnsupportedBackreference | K::ClassEscapeInvalid => {
            go_err("invalid escape sequence", text)
        }
        K::EscapeHexEmpty | K::EscapeHexInvalid | K::EscapeHexInvalidDigit => {
            go_err("invalid escape sequence", text)
        }
        K::ClassRangeInvalid | K::ClassRangeLiteral | K::UnicodeClassInvalid => {
            go_err("invalid character class range", text)
        }
        K::GroupNameInvalid | K::GroupNameEmpty | K::GroupNameUnexpectedEof => {
            let open = p.get(..s).and_then(|b| b.rfind("(?")).unwrap_or(0);
            let tail = p.get(open..).unwrap_or("");
            let arg = match tail.find('>') {
                Some(k) => &tail[..=k],
                None => tail,
            };
            go_err("invalid named capture", arg)
        }
        K::GroupNameDuplicate { .. } => go_err("duplicate capture group name", text),
        K::FlagUnrecognized | K::FlagDanglingNegation | K::FlagUnexpectedEof => {
            let open = p.get(..s).and_then(|b| b.rfind("(?")).unwrap_or(0);
            go_err(
                "invalid or unsupported Perl syntax",
                p.get(open..e).unwrap_or(""),
            )
        }
        K::NestLimitExceeded(_) => go_err("expression nests too deeply", p),
        _ => format!("error parsing regexp: {fallback}"),
    }
}

/// A compiled pattern: `regex`'s engine, configured as `regex::Regex` configures it, without
/// the full DFA it builds for small patterns. That DFA is for matching long texts fast; a
/// template matches short strings, and building it was three quarters of a compile (a tenth of
/// some charts' render time).
#[derive(Debug)]
pub struct Regex(meta::Regex);

impl Regex {
    /// `None` when `translated` does not compile (the caller asks `regex` why).
    fn new(translated: &str) -> Option<Regex> {
        meta::Regex::builder()
            .configure(meta::Config::new().dfa(false))
            .syntax(regex_automata::util::syntax::Config::new().nest_limit(250))
            .build(translated)
            .ok()
            .map(Regex)
    }

    /// Whether the pattern matches anywhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }

    /// The leftmost-first match in `text`.
    fn find<'t>(&self, text: &'t str) -> Option<&'t str> {
        self.0.find(text).map(|m| &text[m.range()])
    }

    /// The successive non-overlapping matches, as byte ranges of `text`.
    fn find_iter<'r, 't>(
        &'r self,
        text: &'t str,
    ) -> impl Iterator<Item = std::ops::Range<usize>> + 'r
    where
        't: 'r,
    {
        self.0.find_iter(text).map(|m| m.range())
    }

    fn captures_iter<'r, 't>(&'r self, text: &'t str) -> impl Iterator<Item = Captures> + 'r
    where
        't: 'r,
    {
        self.0.captures_iter(text)
    }
}

/// Compiles a Go regular expression. The error is Go's `regexp.Compile` error text.
///
/// Charts call `regexMatch` and friends with the same few patterns over and over (once per
/// object, per subchart), and compiling costs far more than matching, so results are cached.
pub fn compile(pattern: &str) -> Result<Arc<Regex>, String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    // Bounded so a template generating patterns cannot grow it without limit.
    const MAX: usize = 512;
    // Shared, not cloned: a clone of a compiled pattern starts with empty search caches, which
    // the lazy DFA then rebuilds state by state on every call.
    type Compiled = Result<Arc<Regex>, String>;
    static CACHE: OnceLock<Mutex<HashMap<String, Compiled>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(pattern).cloned()) {
        return hit;
    }
    let r = compile_uncached(pattern).map(Arc::new);
    if pattern.len() > 4096 {
        return r;
    }
    if let Ok(mut c) = cache.lock() {
        if c.len() >= MAX {
            c.clear();
        }
        c.insert(pattern.to_string(), r.clone());
    }
    r
}

fn compile_uncached(pattern: &str) -> Result<Regex, String> {
    let translated = translate(pattern)?;
    Regex::new(&translated).ok_or_else(|| {
        // Errors are rare: `regex` compiles the pattern again for its own error, which the
        // explanation is written against.
        match regex::Regex::new(&translated) {
            Err(regex::Error::CompiledTooBig(_)) => go_err("expression too large", pattern),
            Err(other) => explain(pattern, &other.to_string()),
            Ok(_) => explain(pattern, "the pattern failed to compile"),
        }
    })
}

/// Go's `strconv.Quote`.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0C' => out.push_str("\\f"),
            '\x0B' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\x7F' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32))
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32))
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `regexp.MustCompile`'s panic text, which text/template reports as the call's error.
fn must_compile(pattern: &str) -> Result<Arc<Regex>, FuncError> {
    compile(pattern).map_err(|e| {
        let can_backquote = !pattern
            .chars()
            .any(|c| c == '`' || c == '\u{FEFF}' || (c.is_control() && c != '\t'));
        let quoted = if can_backquote {
            format!("`{pattern}`")
        } else {
            go_quote(pattern)
        };
        FuncError::msg(format!("regexp: Compile({quoted}): {e}"))
    })
}

fn s(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

fn n(args: &[Value], i: usize) -> i64 {
    args.get(i).and_then(Value::as_int).unwrap_or(0)
}

fn str_list(items: Vec<String>) -> Value {
    Value::List(
        SliceType::String,
        Arc::new(items.into_iter().map(Value::from).collect()),
    )
}

fn find_all(re: &Regex, text: &str, limit: i64) -> Vec<String> {
    let limit = if limit < 0 {
        usize::MAX
    } else {
        limit as usize
    };
    re.find_iter(text)
        .take(limit)
        .map(|m| text[m].to_string())
        .collect()
}

/// Go's `Regexp.Split`.
fn split(re: &Regex, pattern: &str, text: &str, limit: i64) -> Vec<String> {
    if limit == 0 {
        return Vec::new();
    }
    if !pattern.is_empty() && text.is_empty() {
        return vec![String::new()];
    }
    let take = if limit < 0 {
        usize::MAX
    } else {
        limit as usize
    };
    let mut parts = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for m in re.find_iter(text).take(take) {
        if limit > 0 && parts.len() as i64 == limit - 1 {
            break;
        }
        end = m.start;
        if m.end != 0 {
            parts.push(text[beg..end].to_string());
        }
        beg = m.end;
    }
    if end != text.len() {
        parts.push(text[beg..].to_string());
    }
    parts
}

/// Reads a `$` reference's name at the start of `t` (after the `$`), as Go's `extract` does:
/// returns the name, its group number (when it is a plain decimal without a leading zero) and
/// the remaining template.
fn extract(t: &str) -> Option<(&str, Option<usize>, &str)> {
    let (brace, body) = match t.strip_prefix('{') {
        Some(b) => (true, b),
        None => (false, t),
    };
    let len: usize = body
        .chars()
        .take_while(|c| c.is_alphabetic() || c.is_numeric() || *c == '_')
        .map(char::len_utf8)
        .sum();
    if len == 0 {
        return None;
    }
    let name = &body[..len];
    let mut rest = &body[len..];
    if brace {
        rest = rest.strip_prefix('}')?;
    }
    let num = if name.bytes().all(|b| b.is_ascii_digit())
        && name.len() <= 9
        && !(name.starts_with('0') && name.len() > 1)
    {
        name.parse::<usize>().ok()
    } else {
        None
    };
    Some((name, num, rest))
}

/// Go's `Regexp.ExpandString` for one match.
fn expand(caps: &Captures, text: &str, template: &str, out: &mut String) {
    let mut t = template;
    while let Some(pos) = t.find('$') {
        out.push_str(&t[..pos]);
        t = &t[pos + 1..];
        if let Some(r) = t.strip_prefix('$') {
            out.push('$');
            t = r;
            continue;
        }
        let Some((name, num, rest)) = extract(t) else {
            out.push('$');
            continue;
        };
        t = rest;
        let group = match num {
            Some(k) => caps.get_group(k),
            None => caps.get_group_by_name(name),
        };
        if let Some(g) = group {
            out.push_str(&text[g.range()]);
        }
    }
    out.push_str(t);
}

/// The most output a replacement may build, as for every function that can grow its input.
const MAX_OUTPUT: usize = 64 << 20;

fn replace(re: &Regex, text: &str, repl: &str, literal: bool) -> Result<String, FuncError> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for caps in re.captures_iter(text) {
        let Some(m) = caps.get_match() else { continue };
        if out.len() > MAX_OUTPUT {
            return Err(FuncError::msg(format!(
                "regexReplaceAll: result is too large (over {MAX_OUTPUT} bytes)"
            )));
        }
        out.push_str(&text[last..m.start()]);
        if literal {
            out.push_str(repl);
        } else {
            expand(&caps, text, repl, &mut out);
        }
        last = m.end();
    }
    out.push_str(&text[last..]);
    Ok(out)
}

/// The pattern itself when it has no regexp syntax at all, so matching it is finding it as
/// text. Charts test for plain words (`regexFind "SASL" .protocol`) far more often than for
/// patterns; this spares compiling them.
fn plain_literal(pattern: &str) -> Option<&str> {
    let meta = |b: u8| {
        matches!(
            b,
            b'\\'
                | b'.'
                | b'+'
                | b'*'
                | b'?'
                | b'('
                | b')'
                | b'|'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'^'
                | b'$'
        )
    };
    (!pattern.bytes().any(meta)).then_some(pattern)
}

fn regex_match(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    if let Some(lit) = plain_literal(s(&a, 0)) {
        return Ok(Value::Bool(s(&a, 1).contains(lit)));
    }
    Ok(Value::Bool(
        compile(s(&a, 0)).is_ok_and(|re| re.is_match(s(&a, 1))),
    ))
}

fn must_regex_match(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    if let Some(lit) = plain_literal(s(&a, 0)) {
        return Ok(Value::Bool(s(&a, 1).contains(lit)));
    }
    let re = compile(s(&a, 0)).map_err(FuncError::msg)?;
    Ok(Value::Bool(re.is_match(s(&a, 1))))
}

fn regex_find_all(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let re = must_compile(s(&a, 0))?;
    Ok(str_list(find_all(&re, s(&a, 1), n(&a, 2))))
}

fn must_regex_find_all(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let re = compile(s(&a, 0)).map_err(FuncError::msg)?;
    Ok(str_list(find_all(&re, s(&a, 1), n(&a, 2))))
}

fn find_first(re: &Regex, text: &str) -> Value {
    Value::str(re.find(text).unwrap_or(""))
}

/// `FindString` of a [`plain_literal`] pattern: the literal where it occurs, else "".
fn find_literal(lit: &str, text: &str) -> Value {
    Value::str(if text.contains(lit) { lit } else { "" })
}

fn regex_find(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    if let Some(lit) = plain_literal(s(&a, 0)) {
        return Ok(find_literal(lit, s(&a, 1)));
    }
    Ok(find_first(&*must_compile(s(&a, 0))?, s(&a, 1)))
}

fn must_regex_find(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    if let Some(lit) = plain_literal(s(&a, 0)) {
        return Ok(find_literal(lit, s(&a, 1)));
    }
    let re = compile(s(&a, 0)).map_err(FuncError::msg)?;
    Ok(find_first(&re, s(&a, 1)))
}

fn regex_replace_all(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let re = must_compile(s(&a, 0))?;
    Ok(Value::from(replace(&re, s(&a, 1), s(&a, 2), false)?))
}

fn must_regex_replace_all(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let re = compile(s(&a, 0)).map_err(FuncError::msg)?;
    Ok(Value::from(replace(&re, s(&a, 1), s(&a, 2), false)?))
}

fn regex_replace_literal(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let re = must_compile(s(&a, 0))?;
    Ok(Value::from(replace(&re, s(&a, 1), s(&a, 2), true)?))
}

fn must_regex_replace_literal(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let re = compile(s(&a, 0)).map_err(FuncError::msg)?;
    Ok(Value::from(replace(&re, s(&a, 1), s(&a, 2), true)?))
}

fn regex_split(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let re = must_compile(s(&a, 0))?;
    Ok(str_list(split(&re, s(&a, 0), s(&a, 1), n(&a, 2))))
}

fn must_regex_split(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let re = compile(s(&a, 0)).map_err(FuncError::msg)?;
    Ok(str_list(split(&re, s(&a, 0), s(&a, 1), n(&a, 2))))
}

/// Go's `regexp.QuoteMeta`.
fn regex_quote_meta(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let mut out = String::new();
    for c in s(&a, 0).chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(Value::from(out))
}

#[cfg(test)]
#[path = "regex_cases.rs"]
mod cases;

#[cfg(test)]
mod tests {
    use super::super::{call, TestCtx};
    use super::*;

    fn strings(v: &Value) -> Vec<String> {
        v.as_list()
            .map(|l| l.iter().map(Value::format_v).collect())
            .unwrap_or_default()
    }

    fn json_strings(v: &serde_json::Value) -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Plain-word patterns skip compiling; what they find and match is what the compiled
    /// pattern would give.
    #[test]
    fn plain_literals_agree_with_compiled() {
        use rand::{Rng, SeedableRng};
        assert_eq!(plain_literal("SASL"), Some("SASL"));
        assert_eq!(plain_literal("SCRAM-SHA-512"), Some("SCRAM-SHA-512"));
        for p in [
            "a.b", "a+", "^a", "a$", "(a)", "a|b", "[a]", "a{2}", "a\\d", "a?", "a*",
        ] {
            assert_eq!(plain_literal(p), None, "{p}");
        }
        let pieces = [
            "", "a", "b", "é", "-", " ", "SSL", "SASL_SSL", ":", "/", "\n", "0",
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..2000 {
            let mut word = |n: usize| -> String {
                (0..rng.gen_range(0..n))
                    .map(|_| pieces[rng.gen_range(0..pieces.len())])
                    .collect()
            };
            let (p, text) = (word(3), word(6));
            let re = compile(&p).unwrap();
            let args = || vec![v(&p), v(&text)];
            let mut ctx = TestCtx::default();
            assert_eq!(
                regex_find(&mut ctx, args()).unwrap().format_v(),
                find_first(&re, &text).format_v(),
                "{p:?} in {text:?}"
            );
            assert_eq!(
                regex_match(&mut ctx, args()).unwrap().format_v(),
                re.is_match(&text).to_string(),
                "{p:?} in {text:?}"
            );
            assert_eq!(
                must_regex_find(&mut ctx, args()).unwrap().format_v(),
                find_first(&re, &text).format_v()
            );
            assert_eq!(
                must_regex_match(&mut ctx, args()).unwrap().format_v(),
                re.is_match(&text).to_string()
            );
        }
    }

    /// Random patterns built from tricky pieces compile or fail cleanly, never panic.
    #[test]
    fn compile_never_panics() {
        use rand::{Rng, SeedableRng};
        let pieces = [
            "[", "]", "(", ")", "(?", "P<", ">", "\\", "\\Q", "\\E", "{", "}", "1", ",", "*", "+",
            "?", "é", "[:", ":]", "\\p", "\\x", "a", "-", "^", "$", "|", "&&", "~~",
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for _ in 0..3000 {
            let p: String = (0..rng.gen_range(1..7))
                .map(|_| pieces[rng.gen_range(0..pieces.len())])
                .collect();
            if let Ok(re) = compile(&p) {
                let _ = replace(&re, "aé[1]", "$1${x}$", false);
            }
        }
    }

    #[test]
    fn grid_matches_helm() {
        let cases: Vec<serde_json::Value> = serde_json::from_str(super::cases::CASES).unwrap();
        assert!(cases.len() > 100);
        for c in cases {
            let (p, i, want) = (c[0].as_str().unwrap(), c[1].as_str().unwrap(), &c[2]);
            let go = |name: &str, extra: Vec<Value>| {
                let mut args = vec![v(p), v(i)];
                args.extend(extra);
                call(&mut TestCtx::default(), name, args).unwrap()
            };
            let ctx = format!("{p:?} on {i:?}");
            assert_eq!(
                strings(&go("regexFindAll", vec![Value::Int(-1)])),
                json_strings(&want[0]),
                "{ctx}"
            );
            assert_eq!(
                go("regexReplaceAll", vec![v("<$1|${name}|$2x>")]).format_v(),
                want[1].as_str().unwrap(),
                "{ctx}"
            );
            assert_eq!(
                strings(&go("regexSplit", vec![Value::Int(-1)])),
                json_strings(&want[2]),
                "{ctx}"
            );
            assert_eq!(
                go("regexFind", vec![]).format_v(),
                want[3].as_str().unwrap(),
                "{ctx}"
            );
            assert_eq!(
                go("regexMatch", vec![]).format_v(),
                want[4].to_string(),
                "{ctx}"
            );
        }
    }

    fn run(name: &str, args: &[Value]) -> Result<String, String> {
        call(&mut TestCtx::default(), name, args.to_vec())
            .map(|v| v.format_v())
            .map_err(|e| e.to_string())
    }

    fn v(x: &str) -> Value {
        Value::str(x)
    }

    // Every expected value below comes from helm 4.1.4.
    #[test]
    fn errors_match_go() {
        let cases = [
            ("[a", "error parsing regexp: missing closing ]: `[a`"),
            ("a(b", "error parsing regexp: missing closing ): `a(b`"),
            ("ab)c", "error parsing regexp: unexpected ): `ab)c`"),
            ("x[a-", "error parsing regexp: missing closing ]: `[a-`"),
            (
                "*a",
                "error parsing regexp: missing argument to repetition operator: `*`",
            ),
            (
                "a**",
                "error parsing regexp: invalid nested repetition operator: `**`",
            ),
            (
                "[z-a]",
                "error parsing regexp: invalid character class range: `z-a`",
            ),
            (
                "a{2,1}",
                "error parsing regexp: invalid repeat count: `{2,1}`",
            ),
            (
                "a{1001}",
                "error parsing regexp: invalid repeat count: `{1001}`",
            ),
            (
                "(?x)a",
                "error parsing regexp: invalid or unsupported Perl syntax: `(?x`",
            ),
            (
                "(?P<n",
                "error parsing regexp: invalid named capture: `(?P<n`",
            ),
            (
                r"\pX",
                "error parsing regexp: invalid character class range: `\\pX`",
            ),
            (
                "a\\",
                "error parsing regexp: trailing backslash at end of expression: ``",
            ),
            (
                "[[:foo:]]",
                "error parsing regexp: invalid character class range: `[:foo:]`",
            ),
        ];
        for (p, want) in cases {
            assert_eq!(
                run("mustRegexFind", &[v(p), v("x")]).unwrap_err(),
                want,
                "{p}"
            );
        }
        assert_eq!(
            run("regexFind", &[v("[a"), v("x")]).unwrap_err(),
            "regexp: Compile(`[a`): error parsing regexp: missing closing ]: `[a`"
        );
        assert_eq!(
            run("regexFind", &[v("`a("), v("x")]).unwrap_err(),
            "regexp: Compile(\"`a(\"): error parsing regexp: missing closing ): ``a(`"
        );
        assert_eq!(run("regexMatch", &[v("[a"), v("x")]).unwrap(), "false");
    }

    #[test]
    fn results_match_go() {
        let all = run("regexFindAll", &[v("a*"), v("baaac"), Value::Int(-1)]).unwrap();
        assert_eq!(all, "[ aaa ]");
        assert_eq!(
            run("regexReplaceAll", &[v("a*"), v("baaac"), v("-")]).unwrap(),
            "-b-c-"
        );
        assert_eq!(
            run("regexSplit", &[v("a*"), v("baaac"), Value::Int(-1)]).unwrap(),
            "[b c]"
        );
        assert_eq!(
            run("regexSplit", &[v(","), v("a,b,c"), Value::Int(2)]).unwrap(),
            "[a b,c]"
        );
        assert_eq!(
            run("regexSplit", &[v(","), v(""), Value::Int(-1)]).unwrap(),
            "[]"
        );
        let none = call(
            &mut TestCtx::default(),
            "regexFindAll",
            vec![v("a"), v("aaa"), Value::Int(0)],
        );
        assert_eq!(none.unwrap().type_name(), "[]string");
        assert_eq!(
            run(
                "regexReplaceAll",
                &[
                    v("(a)(?P<x>b)"),
                    v("ab"),
                    v("[$1x][${1}x][$x][$2][$$][$][$10][$ x][${x]")
                ]
            )
            .unwrap(),
            "[][ax][b][b][$][$][][$ x][${x]"
        );
        assert_eq!(
            run(
                "regexReplaceAll",
                &[v("a(x*)b"), v("-ab-axxb-"), v("${1}W")]
            )
            .unwrap(),
            "-W-xxW-"
        );
        assert_eq!(run("regexFind", &[v("[[]"), v("a[b")]).unwrap(), "[");
        assert_eq!(run("regexFind", &[v(r"\d+"), v("a١23")]).unwrap(), "23");
        assert_eq!(run("regexFind", &[v("[a&&b]"), v("&")]).unwrap(), "&");
        assert_eq!(run("mustRegexFind", &[v(r"a\<"), v("x")]).unwrap(), "");
        assert_eq!(
            run("regexQuoteMeta", &[v(r"a.b*c[d]$^{}|\+?()")]).unwrap(),
            r"a\.b\*c\[d\]\$\^\{\}\|\\\+\?\(\)"
        );
        assert_eq!(
            run("regexReplaceAllLiteral", &[v("b"), v("abc"), v("$1")]).unwrap(),
            "a$1c"
        );
    }
}
