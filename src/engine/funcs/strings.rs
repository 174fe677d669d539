//! Sprig's string functions, including the string-slice ones (`split splitList splitn join
//! sortAlpha`). Case conversions follow huandu/xstrings v1.5.0 and Masterminds/goutils
//! v1.1.1, quirks included (goutils works on bytes, so `nospace` and `initials` mangle
//! non-ASCII text exactly as helm does).

use std::collections::BTreeMap;

use rand::RngCore;

use super::conv::{strslice, strval};
use super::{Func, FuncCtx, FuncError, FuncResult};
use crate::engine::printf::{quote as go_quote, sprint};
use crate::engine::value::{MapRef, MapType, Ty, Value};
use crate::gofunc;

/// The largest string a function may build: past this, helm would exhaust memory long
/// before producing output, so the call fails instead.
pub const MAX_OUTPUT: usize = 64 << 20;

macro_rules! vfunc {
    ($name:literal, [$($p:expr),* $(,)?], $v:expr, $imp:expr) => {
        Func {
            name: $name,
            sig: crate::engine::value::Sig { params: &[$($p),*], variadic: Some($v) },
            imp: $imp,
        }
    };
}

/// This group's functions.
pub const FUNCS: &[Func] = &[
    gofunc!("hello", [], |_, _| Ok(Value::str("Hello!"))),
    gofunc!("abbrev", [Ty::Int, Ty::String], abbrev),
    gofunc!("abbrevboth", [Ty::Int, Ty::Int, Ty::String], abbrevboth),
    gofunc!("trunc", [Ty::Int, Ty::String], trunc),
    gofunc!("trim", [Ty::String], |_, a| Ok(Value::str(go_trim_space(
        &s(&a, 0)
    )))),
    gofunc!("upper", [Ty::String], |_, a| Ok(Value::str(map_runes(
        &s(&a, 0),
        to_upper
    )))),
    gofunc!("lower", [Ty::String], |_, a| Ok(Value::str(map_runes(
        &s(&a, 0),
        to_lower
    )))),
    gofunc!("title", [Ty::String], |_, a| Ok(Value::str(title(&s(
        &a, 0
    ))))),
    gofunc!("untitle", [Ty::String], |_, a| Ok(Value::str(untitle(&s(
        &a, 0
    ))))),
    gofunc!("substr", [Ty::Int, Ty::Int, Ty::String], substr),
    gofunc!("repeat", [Ty::Int, Ty::String], repeat),
    gofunc!("trimall", [Ty::String, Ty::String], trim_all),
    gofunc!("trimAll", [Ty::String, Ty::String], trim_all),
    gofunc!("trimSuffix", [Ty::String, Ty::String], |_, a| {
        let (suf, v) = (s(&a, 0), s(&a, 1));
        Ok(Value::str(v.strip_suffix(suf.as_str()).unwrap_or(&v)))
    }),
    gofunc!("trimPrefix", [Ty::String, Ty::String], |_, a| {
        let (pre, v) = (s(&a, 0), s(&a, 1));
        Ok(Value::str(v.strip_prefix(pre.as_str()).unwrap_or(&v)))
    }),
    gofunc!("nospace", [Ty::String], |_, a| Ok(Value::str(nospace(&s(
        &a, 0
    ))))),
    gofunc!("initials", [Ty::String], |_, a| Ok(Value::str(initials(
        &s(&a, 0)
    )))),
    gofunc!("randAlphaNum", [Ty::Int], |c, a| rand_string(
        c,
        &a,
        Charset::AlphaNum
    )),
    gofunc!("randAlpha", [Ty::Int], |c, a| rand_string(
        c,
        &a,
        Charset::Alpha
    )),
    gofunc!("randAscii", [Ty::Int], |c, a| rand_string(
        c,
        &a,
        Charset::Ascii
    )),
    gofunc!("randNumeric", [Ty::Int], |c, a| rand_string(
        c,
        &a,
        Charset::Numeric
    )),
    gofunc!("swapcase", [Ty::String], |_, a| Ok(Value::str(swapcase(
        &s(&a, 0)
    )))),
    gofunc!("shuffle", [Ty::String], shuffle),
    gofunc!("snakecase", [Ty::String], |_, a| Ok(Value::str(
        to_lower_case(&s(&a, 0), '_')
    ))),
    gofunc!("camelcase", [Ty::String], |_, a| Ok(Value::str(
        pascal_case(&s(&a, 0))
    ))),
    gofunc!("kebabcase", [Ty::String], |_, a| Ok(Value::str(
        to_lower_case(&s(&a, 0), '-')
    ))),
    gofunc!("wrap", [Ty::Int, Ty::String], |_, a| {
        Ok(Value::str(wrap_custom(&s(&a, 1), int(&a, 0), "", false)))
    }),
    gofunc!("wrapWith", [Ty::Int, Ty::String, Ty::String], |_, a| {
        Ok(Value::str(wrap_custom(
            &s(&a, 2),
            int(&a, 0),
            &s(&a, 1),
            true,
        )))
    }),
    gofunc!("contains", [Ty::String, Ty::String], |_, a| {
        Ok(Value::Bool(s(&a, 1).contains(s(&a, 0).as_str())))
    }),
    gofunc!("hasPrefix", [Ty::String, Ty::String], |_, a| {
        Ok(Value::Bool(s(&a, 1).starts_with(s(&a, 0).as_str())))
    }),
    gofunc!("hasSuffix", [Ty::String, Ty::String], |_, a| {
        Ok(Value::Bool(s(&a, 1).ends_with(s(&a, 0).as_str())))
    }),
    vfunc!("quote", [], Ty::Any, quote),
    vfunc!("squote", [], Ty::Any, squote),
    vfunc!("cat", [], Ty::Any, cat),
    gofunc!("indent", [Ty::Int, Ty::String], |_, a| indent(
        int(&a, 0),
        &s(&a, 1)
    )
    .map(Value::str)),
    gofunc!("nindent", [Ty::Int, Ty::String], |_, a| {
        indent(int(&a, 0), &s(&a, 1)).map(|v| Value::str(format!("\n{v}")))
    }),
    gofunc!("replace", [Ty::String, Ty::String, Ty::String], replace),
    gofunc!("plural", [Ty::String, Ty::String, Ty::Int], |_, a| {
        Ok(Value::str(if int(&a, 2) == 1 {
            s(&a, 0)
        } else {
            s(&a, 1)
        }))
    }),
    gofunc!("split", [Ty::String, Ty::String], |_, a| {
        Ok(parts_map(go_split(&s(&a, 1), &s(&a, 0), -1)))
    }),
    gofunc!("splitn", [Ty::String, Ty::Int, Ty::String], |_, a| {
        Ok(parts_map(go_split(&s(&a, 2), &s(&a, 0), int(&a, 1))))
    }),
    gofunc!("splitList", [Ty::String, Ty::String], |_, a| {
        Ok(Value::str_list(go_split(&s(&a, 1), &s(&a, 0), -1)))
    }),
    gofunc!("join", [Ty::String, Ty::Any], |_, a| {
        let v = a.get(1).cloned().unwrap_or(Value::Nil);
        Ok(Value::str(strslice(&v).join(&s(&a, 0))))
    }),
    gofunc!("sortAlpha", [Ty::Any], sort_alpha),
];

fn s(args: &[Value], i: usize) -> String {
    args.get(i)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn int(args: &[Value], i: usize) -> i64 {
    args.get(i).and_then(Value::as_int).unwrap_or(0)
}

fn too_large() -> FuncError {
    FuncError::msg(format!("result is too large (over {MAX_OUTPUT} bytes)"))
}

/// A Go string built from bytes: invalid UTF-8 (from byte slicing) becomes U+FFFD, since the
/// engine's strings are always valid.
fn from_bytes(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn slice_err(msg: String) -> FuncError {
    FuncError::msg(format!("runtime error: slice bounds out of range {msg}"))
}

// ---- Unicode helpers approximating Go's unicode package ----

fn to_upper(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn to_lower(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

fn to_title(c: char) -> char {
    match c as u32 {
        0x1C4..=0x1C6 => '\u{1C5}',
        0x1C7..=0x1C9 => '\u{1C8}',
        0x1CA..=0x1CC => '\u{1CB}',
        0x1F1..=0x1F3 => '\u{1F2}',
        _ => to_upper(c),
    }
}

fn is_title(c: char) -> bool {
    matches!(c as u32, 0x1C5 | 0x1C8 | 0x1CB | 0x1F2 | 0x1F88..=0x1F8F | 0x1F98..=0x1F9F | 0x1FA8..=0x1FAF | 0x1FBC | 0x1FCC | 0x1FFC)
}

fn is_upper(c: char) -> bool {
    c.is_uppercase() && !is_title(c)
}

fn is_lower(c: char) -> bool {
    c.is_lowercase()
}

fn is_space(c: char) -> bool {
    c.is_whitespace()
}

fn is_punct(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation()
            && !matches!(c, '$' | '+' | '<' | '=' | '>' | '^' | '`' | '|' | '~');
    }
    matches!(c as u32,
        0xA1 | 0xA7 | 0xAB | 0xB6 | 0xB7 | 0xBB | 0xBF | 0x2010..=0x2027 | 0x2030..=0x2043
        | 0x2045..=0x2051 | 0x2053..=0x205E | 0x3001..=0x3003 | 0x3008..=0x3011 | 0xFF01..=0xFF0F)
}

fn is_alphabet(c: char) -> bool {
    if !c.is_alphabetic() || c.is_numeric() {
        return false;
    }
    let u = c as u32;
    !((0x4E00..=0x9FCC).contains(&u)
        || (0x3400..=0x4D85).contains(&u)
        || (0x20000..=0x2B81D).contains(&u)
        || (0xF900..=0xFAFF).contains(&u))
}

fn is_number(c: char) -> bool {
    c.is_numeric()
}

fn map_runes(v: &str, f: fn(char) -> char) -> String {
    v.chars().map(f).collect()
}

/// Go's `strings.TrimSpace`.
fn go_trim_space(v: &str) -> String {
    v.trim_matches(is_space).to_string()
}

/// Go's `strings.Title`: the first letter of each word in title case; words are separated by
/// anything but letters, digits, `_` and non-ASCII non-space runes.
fn title(v: &str) -> String {
    let mut prev = ' ';
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        let prev_sep = if prev.is_ascii() {
            !(prev.is_ascii_alphanumeric() || prev == '_')
        } else if prev.is_alphabetic() || prev.is_numeric() {
            false
        } else {
            is_space(prev)
        };
        out.push(if prev_sep { to_title(c) } else { c });
        prev = c;
    }
    out
}

/// goutils' `Uncapitalize`: the first rune of each whitespace-separated word in lower case.
fn untitle(v: &str) -> String {
    let mut next = true;
    v.chars()
        .map(|c| {
            if is_space(c) {
                next = true;
                c
            } else if next {
                next = false;
                to_lower(c)
            } else {
                c
            }
        })
        .collect()
}

/// goutils' `SwapCase`.
fn swapcase(v: &str) -> String {
    let mut whitespace = true;
    v.chars()
        .map(|c| {
            if is_upper(c) || is_title(c) {
                whitespace = false;
                to_lower(c)
            } else if is_lower(c) {
                if whitespace {
                    whitespace = false;
                    to_title(c)
                } else {
                    to_upper(c)
                }
            } else {
                whitespace = is_space(c);
                c
            }
        })
        .collect()
}

/// Whether Go's `unicode.IsSpace` holds for a byte taken as a Latin-1 rune.
fn byte_is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ' | 0x85 | 0xA0)
}

/// goutils' `DeleteWhiteSpace`, which walks bytes and re-encodes each kept byte as a rune.
fn nospace(v: &str) -> String {
    let b = v.as_bytes();
    if !b.iter().any(|&c| byte_is_space(c)) {
        return v.to_string();
    }
    b.iter()
        .filter(|&&c| !byte_is_space(c))
        .map(|&c| char::from(c))
        .collect()
}

/// goutils' `Initials`, byte-wise like `nospace`.
fn initials(v: &str) -> String {
    let mut gap = true;
    let mut out = String::new();
    for &c in v.as_bytes() {
        if byte_is_space(c) {
            gap = true;
        } else if gap {
            out.push(char::from(c));
            gap = false;
        }
    }
    out
}

// ---- abbreviation, truncation, substrings ----

fn abbreviate_full(v: &str, offset: i64, max_width: i64) -> String {
    let b = v.as_bytes();
    let len = b.len() as i64;
    if v.is_empty() || max_width < 4 {
        return String::new();
    }
    if len <= max_width {
        return v.to_string();
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    if offset <= 4 {
        let end = (max_width - 3).clamp(0, len) as usize;
        return format!("{}...", from_bytes(&b[..end]));
    }
    if max_width < 7 {
        return String::new();
    }
    let off = offset.clamp(0, len) as usize;
    if offset + max_width - 3 < len {
        return format!(
            "...{}",
            abbreviate_full(&from_bytes(&b[off..]), 0, max_width - 3)
        );
    }
    let start = (len - (max_width - 3)).clamp(0, len) as usize;
    format!("...{}", from_bytes(&b[start..]))
}

fn abbrev(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let (w, v) = (int(&a, 0), s(&a, 1));
    if w < 4 {
        return Ok(Value::str(v));
    }
    Ok(Value::str(abbreviate_full(&v, 0, w)))
}

fn abbrevboth(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let (left, right, v) = (int(&a, 0), int(&a, 1), s(&a, 2));
    if right < 4 || (left > 0 && right < 7) {
        return Ok(Value::str(v));
    }
    Ok(Value::str(abbreviate_full(&v, left, right)))
}

fn trunc(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let (c, v) = (int(&a, 0), s(&a, 1));
    let b = v.as_bytes();
    let len = b.len() as i64;
    if c < 0 && len + c > 0 {
        return Ok(Value::str(from_bytes(&b[(len + c) as usize..])));
    }
    if c >= 0 && len > c {
        return Ok(Value::str(from_bytes(&b[..c as usize])));
    }
    Ok(Value::str(v))
}

fn substr(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let (start, end, v) = (int(&a, 0), int(&a, 1), s(&a, 2));
    let b = v.as_bytes();
    let len = b.len() as i64;
    if start < 0 {
        if end < 0 {
            return Err(slice_err(format!("[:{end}]")));
        }
        if end > len {
            return Err(slice_err(format!("[:{end}] with length {len}")));
        }
        return Ok(Value::str(from_bytes(&b[..end as usize])));
    }
    if end < 0 || end > len {
        if start > len {
            return Err(slice_err(format!("[{start}:{len}]")));
        }
        return Ok(Value::str(from_bytes(&b[start as usize..])));
    }
    if start > end {
        return Err(slice_err(format!("[{start}:{end}]")));
    }
    Ok(Value::str(from_bytes(&b[start as usize..end as usize])))
}

fn repeat(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let (n, v) = (int(&a, 0), s(&a, 1));
    if n < 0 {
        return Err(FuncError::msg("strings: negative Repeat count"));
    }
    let total = (v.len() as u128) * (n as u128);
    if total > MAX_OUTPUT as u128 {
        return Err(too_large());
    }
    Ok(Value::str(v.repeat(n as usize)))
}

fn trim_all(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let (cutset, v) = (s(&a, 0), s(&a, 1));
    Ok(Value::str(v.trim_matches(|c| cutset.contains(c))))
}

fn replace(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let (old, new, src) = (s(&a, 0), s(&a, 1), s(&a, 2));
    let n = if old.is_empty() {
        src.chars().count() + 1
    } else {
        src.matches(old.as_str()).count()
    };
    let total = src.len() as u128 + (n as u128) * (new.len() as u128);
    if total > MAX_OUTPUT as u128 {
        return Err(too_large());
    }
    if old.is_empty() {
        // Go inserts `new` before every rune and at the end.
        let mut out = String::with_capacity(total as usize);
        for c in src.chars() {
            out.push_str(&new);
            out.push(c);
        }
        out.push_str(&new);
        return Ok(Value::str(out));
    }
    Ok(Value::str(src.replace(old.as_str(), &new)))
}

fn indent(n: i64, v: &str) -> Result<String, FuncError> {
    if n < 0 {
        return Err(FuncError::msg("strings: negative Repeat count"));
    }
    let lines = v.matches('\n').count() as u128 + 1;
    if (n as u128) * lines + v.len() as u128 > MAX_OUTPUT as u128 {
        return Err(too_large());
    }
    let pad = " ".repeat(n as usize);
    Ok(format!("{pad}{}", v.replace('\n', &format!("\n{pad}"))))
}

// ---- quoting and concatenation ----

fn quote(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let out: Vec<String> = a
        .iter()
        .filter(|v| !v.is_nil())
        .map(|v| go_quote(&strval(v)))
        .collect();
    Ok(Value::str(out.join(" ")))
}

fn squote(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let out: Vec<String> = a
        .iter()
        .filter(|v| !v.is_nil())
        .map(|v| format!("'{}'", sprint(std::slice::from_ref(v))))
        .collect();
    Ok(Value::str(out.join(" ")))
}

fn cat(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let out: Vec<String> = a
        .iter()
        .filter(|v| !v.is_nil())
        .map(|v| sprint(std::slice::from_ref(v)))
        .collect();
    Ok(Value::str(out.join(" ")))
}

// ---- splitting ----

/// Go's `strings.SplitN` (`n` < 0: all; 0: none; an empty separator splits into runes).
fn go_split(v: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<char> = v.chars().collect();
        let limit = if n < 0 || n as usize > chars.len() {
            chars.len()
        } else {
            n as usize
        };
        let mut out: Vec<String> = chars
            .iter()
            .take(limit.saturating_sub(1))
            .map(|c| c.to_string())
            .collect();
        if limit > 0 {
            out.push(chars[limit - 1..].iter().collect());
        }
        return out;
    }
    if n < 0 {
        v.split(sep).map(str::to_string).collect()
    } else {
        v.splitn(n as usize, sep).map(str::to_string).collect()
    }
}

fn parts_map(parts: Vec<String>) -> Value {
    let m: BTreeMap<String, Value> = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| (format!("_{i}"), Value::str(p)))
        .collect();
    Value::Map(MapType::String, MapRef::new(m))
}

fn sort_alpha(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let v = a.first().cloned().unwrap_or(Value::Nil);
    let mut items = match &v {
        Value::List(..) | Value::Bytes(_) => strslice(&v),
        other => vec![strval(other)],
    };
    items.sort();
    Ok(Value::str_list(items))
}

// ---- random strings ----

#[derive(Clone, Copy)]
enum Charset {
    AlphaNum,
    Alpha,
    Ascii,
    Numeric,
}

const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn rand_below(rng: &mut dyn RngCore, n: u64) -> u64 {
    // Rejection sampling keeps the choice uniform, as Go's crypto/rand.Int does.
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let x = rng.next_u64();
        if x < zone {
            return x % n;
        }
    }
}

/// goutils' `CryptoRandom*`: each character uniform over its set (alphanumerics, letters,
/// digits, or printable ASCII 32..=126). A negative count gives "", as Sprig drops the error.
fn rand_string(ctx: &mut dyn FuncCtx, a: &[Value], set: Charset) -> FuncResult {
    let n = int(a, 0);
    if n <= 0 {
        return Ok(Value::str(""));
    }
    if n as u64 > MAX_OUTPUT as u64 {
        return Err(too_large());
    }
    let rng = ctx.rng();
    let out: String = (0..n)
        .map(|_| match set {
            Charset::AlphaNum => ALNUM[rand_below(rng, 62) as usize] as char,
            Charset::Alpha => ALNUM[10 + rand_below(rng, 52) as usize] as char,
            Charset::Numeric => ALNUM[rand_below(rng, 10) as usize] as char,
            Charset::Ascii => (32 + rand_below(rng, 95) as u8) as char,
        })
        .collect();
    Ok(Value::str(out))
}

/// xstrings' `Shuffle`: a Fisher-Yates shuffle of the runes.
fn shuffle(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let mut runes: Vec<char> = s(&a, 0).chars().collect();
    let rng = ctx.rng();
    for i in (1..runes.len()).rev() {
        let j = rand_below(rng, i as u64 + 1) as usize;
        runes.swap(i, j);
    }
    Ok(Value::str(runes.into_iter().collect::<String>()))
}

// ---- wrapping ----

/// goutils' `WrapCustom`, byte-based like the original.
fn wrap_custom(v: &str, width: i64, newline: &str, wrap_long: bool) -> String {
    if v.is_empty() {
        return String::new();
    }
    let newline = if newline.is_empty() { "\n" } else { newline };
    let width = width.max(1) as usize;
    let b = v.as_bytes();
    let len = b.len();
    let mut offset = 0usize;
    let mut out: Vec<u8> = Vec::with_capacity(len + len / width * newline.len());
    while len - offset > width {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = width + offset + 1;
        let space = b[offset..end].iter().rposition(|&c| c == b' ');
        if let Some(sp) = space {
            out.extend_from_slice(&b[offset..offset + sp]);
            out.extend_from_slice(newline.as_bytes());
            offset += sp + 1;
        } else if wrap_long {
            out.extend_from_slice(&b[offset..width + offset]);
            out.extend_from_slice(newline.as_bytes());
            offset += width;
        } else {
            let end = width + offset;
            match b[end..].iter().position(|&c| c == b' ') {
                None => {
                    out.extend_from_slice(&b[offset..]);
                    offset = len;
                }
                Some(i) => {
                    out.extend_from_slice(&b[offset..end + i]);
                    out.extend_from_slice(newline.as_bytes());
                    offset = end + i + 1;
                }
            }
        }
    }
    out.extend_from_slice(&b[offset..]);
    from_bytes(&out)
}

// ---- xstrings case conversion ----

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || is_space(c)
}

/// xstrings v1.5.0 `ToPascalCase` (Sprig's `camelcase`): connectors removed and the next rune
/// upper-cased; within a word that starts upper case, following upper-case runes are lowered.
fn pascal_case(v: &str) -> String {
    let mut chars = v.chars();
    let mut out = String::with_capacity(v.len());
    let mut first_upper = false;
    let mut r0 = '\0';
    let mut got = false;
    for c in chars.by_ref() {
        if !is_connector(c) {
            first_upper = is_upper(c);
            r0 = to_upper(c);
            got = true;
            break;
        }
        out.push(c);
    }
    if !got {
        return out;
    }
    let rest: Vec<char> = chars.collect();
    if rest.is_empty() {
        out.push(r0);
        return out;
    }
    for &c in &rest {
        let r1 = r0;
        r0 = c;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            first_upper = is_upper(r0);
            r0 = to_upper(r0);
        } else {
            if first_upper {
                if is_upper(r0) {
                    r0 = to_lower(r0);
                } else {
                    first_upper = false;
                }
            }
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Word {
    Invalid,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

/// xstrings' `nextWord`: the type and text of the next word, and the rest.
fn next_word(v: &str) -> (Word, &str, &str) {
    let mut it = v.char_indices().peekable();
    let Some((_, c)) = it.next() else {
        return (Word::Invalid, "", "");
    };
    let mut end = c.len_utf8();
    let take_while = |end: &mut usize, pred: &dyn Fn(char) -> bool| {
        for (i, ch) in v[*end..].char_indices() {
            if !pred(ch) {
                *end += i;
                return;
            }
        }
        *end = v.len();
    };
    let wt = if is_connector(c) {
        take_while(&mut end, &is_connector);
        Word::Connector
    } else if is_punct(c) {
        take_while(&mut end, &is_punct);
        Word::Punct
    } else if is_upper(c) {
        if let Some(n) = v[end..].chars().next() {
            if is_upper(n) {
                // An abbreviation: the run of capitals, less the last one when a lower-case
                // letter follows ("HTTPServer" is "HTTP" + "Server").
                let start = end;
                take_while(&mut end, &is_upper);
                if let Some(after) = v[end..].chars().next() {
                    if is_alphabet(after) {
                        let last = v[start..end].chars().last().map_or(0, char::len_utf8);
                        end -= last;
                    }
                }
            } else if is_alphabet(n) {
                take_while(&mut end, &|ch| is_alphabet(ch) && !is_upper(ch));
            }
        }
        Word::Upper
    } else if is_alphabet(c) {
        take_while(&mut end, &|ch| is_alphabet(ch) && !is_upper(ch));
        Word::Alphabet
    } else if is_number(c) {
        take_while(&mut end, &is_number);
        Word::Number
    } else {
        take_while(&mut end, &|ch| {
            !(is_connector(ch) || is_alphabet(ch) || is_number(ch) || is_punct(ch))
        });
        Word::Other
    };
    (wt, &v[..end], &v[end..])
}

fn push_lower(out: &mut String, wt: Word, word: &str, connector: char) {
    if wt != Word::Upper && wt != Word::Connector {
        out.push_str(word);
        return;
    }
    for c in word.chars() {
        if is_connector(c) {
            out.push(connector);
        } else if is_upper(c) {
            out.push(to_lower(c));
        } else {
            out.push(c);
        }
    }
}

/// xstrings' `camelCaseToLowerCase` (`snakecase` with `_`, `kebabcase` with `-`).
fn to_lower_case(v: &str, connector: char) -> String {
    if v.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(v.len() + 8);
    let (mut wt, mut word, mut rest) = next_word(v);
    while !rest.is_empty() {
        if wt != Word::Connector {
            push_lower(&mut out, wt, word, connector);
        }
        let prev = wt;
        let last = word;
        (wt, word, rest) = next_word(rest);
        match prev {
            Word::Number => {
                while wt == Word::Alphabet || wt == Word::Number {
                    push_lower(&mut out, wt, word, connector);
                    (wt, word, rest) = next_word(rest);
                }
                if wt != Word::Invalid && wt != Word::Punct && wt != Word::Connector {
                    out.push(connector);
                }
            }
            Word::Connector => push_lower(&mut out, prev, last, connector),
            Word::Punct => {}
            _ => {
                if wt != Word::Number {
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                if rest.is_empty() {
                    continue;
                }
                let last = word;
                (wt, word, rest) = next_word(rest);
                if wt != Word::Alphabet {
                    push_lower(&mut out, Word::Number, last, connector);
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                out.push(connector);
                push_lower(&mut out, Word::Number, last, connector);
                while wt == Word::Alphabet || wt == Word::Number {
                    push_lower(&mut out, wt, word, connector);
                    (wt, word, rest) = next_word(rest);
                }
                if wt != Word::Invalid && wt != Word::Connector && wt != Word::Punct {
                    out.push(connector);
                }
            }
        }
    }
    push_lower(&mut out, wt, word, connector);
    out
}

#[cfg(test)]
mod tests {
    use super::super::{call, TestCtx};
    use super::*;

    fn run(name: &str, args: Vec<Value>) -> String {
        let mut ctx = TestCtx::default();
        match call(&mut ctx, name, args) {
            Ok(v) => v.format_v(),
            Err(e) => format!("ERR {e}"),
        }
    }

    fn st(v: &str) -> Value {
        Value::str(v)
    }

    /// Expected values from helm 4.1.4 runs.
    #[test]
    fn matches_helm() {
        let i = Value::Int;
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("camelcase", vec![st("HTTPServer")], "Httpserver"),
            ("camelcase", vec![st("http_server")], "HttpServer"),
            ("camelcase", vec![st("some-words here")], "SomeWordsHere"),
            ("camelcase", vec![st("_a__b_")], "_A_B_"),
            ("camelcase", vec![st("ABC_DEF")], "AbcDef"),
            ("camelcase", vec![st("fooBar")], "FooBar"),
            ("snakecase", vec![st("HTTPServer")], "http_server"),
            ("snakecase", vec![st("http2xx")], "http_2xx"),
            ("snakecase", vec![st("Bld4Floor3rd")], "bld4_floor_3rd"),
            ("kebabcase", vec![st("FirstName Last")], "first-name-last"),
            ("snakecase", vec![st("a.b-c d")], "a.b_c_d"),
            ("swapcase", vec![st("Hello World ǅ")], "hELLO wORLD ǆ"),
            ("title", vec![st("hello wORLD-x_y")], "Hello WORLD-X_y"),
            ("untitle", vec![st("Hello World")], "hello world"),
            ("initials", vec![st("héllo world")], "hw"),
            ("nospace", vec![st("a b\tç à")], "abÃ§Ã"),
            (
                "wrap",
                vec![i(5), st("aaa bbbbbbbb cc")],
                "aaa\nbbbbbbbb\ncc",
            ),
            (
                "wrapWith",
                vec![i(5), st("#"), st("aaa bbbbbbbb cc")],
                "aaa#bbbbb#bbb#cc",
            ),
            ("abbrev", vec![i(5), st("hello world")], "he..."),
            (
                "abbrevboth",
                vec![i(5), i(10), st("1234567890abcdefg")],
                "...6789...",
            ),
            ("upper", vec![st("straße")], "STRAßE"),
            ("quote", vec![st("a"), Value::Nil, i(1)], "\"a\" \"1\""),
            ("quote", vec![Value::Nil], ""),
            ("quote", vec![Value::Float(1234567.0)], "\"1.234567e+06\""),
            ("split", vec![st(","), st("a,b")], "map[_0:a _1:b]"),
            ("hello", vec![], "Hello!"),
        ];
        for (f, args, want) in cases {
            assert_eq!(run(f, args.clone()), want, "{f} {args:?}");
        }
    }

    #[test]
    fn guards_and_panics() {
        assert!(run("repeat", vec![Value::Int(1_000_000_000), st("x")])
            .starts_with("ERR result is too large"));
        assert_eq!(
            run("repeat", vec![Value::Int(-1), st("x")]),
            "ERR strings: negative Repeat count"
        );
        assert_eq!(run("randAlpha", vec![Value::Int(8)]).len(), 8);
        assert_eq!(run("randAlpha", vec![Value::Int(-1)]), "");
        let i = Value::Int;
        let sub = |a: i64, b: i64| run("substr", vec![i(a), i(b), st("abc")]);
        assert_eq!(sub(0, 5), "abc");
        assert_eq!(
            sub(-1, 5),
            "ERR runtime error: slice bounds out of range [:5] with length 3"
        );
        assert_eq!(
            sub(-1, -2),
            "ERR runtime error: slice bounds out of range [:-2]"
        );
        assert_eq!(
            sub(5, -1),
            "ERR runtime error: slice bounds out of range [5:3]"
        );
        assert_eq!(
            sub(2, 1),
            "ERR runtime error: slice bounds out of range [2:1]"
        );
        assert_eq!(sub(1, -1), "bc");
        assert_eq!(run("trunc", vec![i(-2), st("abcd")]), "cd");
        assert_eq!(
            run("indent", vec![i(-1), st("x")]),
            "ERR strings: negative Repeat count"
        );
        let l = Value::list(vec![st("b"), i(1), Value::Nil, st("a")]);
        assert_eq!(run("sortAlpha", vec![l.clone()]), "[1 a b]");
        assert_eq!(run("join", vec![st(","), l]), "b,1,a");
        assert_eq!(
            run("splitn", vec![st(","), i(2), st("a,b,c")]),
            "map[_0:a _1:b,c]"
        );
        assert_eq!(
            run("squote", vec![st("a"), Value::Nil, Value::Float(1.5)]),
            "'a' '1.5'"
        );
        let l12 = Value::list(vec![i(1), i(2)]);
        assert_eq!(
            run("cat", vec![st("a"), Value::Nil, i(1), l12]),
            "a 1 [1 2]"
        );
        assert_eq!(run("replace", vec![st(""), st("-"), st("ab")]), "-a-b-");
        assert_eq!(
            run("abbrevboth", vec![i(0), i(6), st("abcdefghij")]),
            "abc..."
        );
        assert_eq!(run("title", vec![st("ǆx hello")]), "ǅx Hello");
    }
}
