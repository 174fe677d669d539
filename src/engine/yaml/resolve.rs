//! go-yaml v2's implicit typing of plain scalars (YAML 1.1), used both to read values and to
//! decide when the writer must quote a string.

/// What a scalar resolves to, as go-yaml v2's `resolve` reports it.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved {
    /// `!!null`
    Null,
    /// `!!bool`
    Bool(bool),
    /// `!!int` that fits Go's `int`/`int64`.
    Int(i64),
    /// `!!int` only representable as `uint64`.
    Uint(u64),
    /// `!!float`
    Float(f64),
    /// `!!timestamp`: kept as its text when decoded into `interface{}`.
    Timestamp,
    /// `!!str`
    Str,
}

/// go-yaml v2's `resolve("", s)`.
pub fn resolve_plain(s: &str) -> Resolved {
    let first = s.as_bytes().first().copied();
    let hint = match first {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        _ => 0,
    };
    if hint == 0 {
        return Resolved::Str;
    }
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false)
        }
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        _ => {}
    }
    match hint {
        b'.' => {
            if let Some(f) = go_parse_float(s) {
                return Resolved::Float(f);
            }
        }
        b'D' | b'S' => {
            if is_timestamp(s) {
                return Resolved::Timestamp;
            }
            let plain: String = s.chars().filter(|&c| c != '_').collect();
            if let Some(i) = go_parse_int(&plain) {
                return Resolved::Int(i);
            }
            if let Some(u) = go_parse_uint(&plain) {
                return Resolved::Uint(u);
            }
            if yaml_style_float(&plain) {
                if let Some(f) = go_parse_float(&plain) {
                    return Resolved::Float(f);
                }
            }
            if let Some(rest) = plain.strip_prefix("0b") {
                if let Some(i) = parse_digits(rest, 2).and_then(|u| i64::try_from(u).ok()) {
                    return Resolved::Int(i);
                }
                if let Some(u) = parse_digits(rest, 2) {
                    return Resolved::Uint(u);
                }
            } else if let Some(rest) = plain.strip_prefix("-0b") {
                if let Some(u) = parse_digits(rest, 2) {
                    if u <= 1u64 << 63 {
                        return Resolved::Int((u as i64).wrapping_neg());
                    }
                }
            }
        }
        _ => {}
    }
    Resolved::Str
}

/// Go's `regexp ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

fn parse_digits(s: &str, base: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for c in s.chars() {
        let d = c.to_digit(base)?;
        v = v.checked_mul(base as u64)?.checked_add(d as u64)?;
    }
    Some(v)
}

/// Go's `strconv.ParseUint(s, 0, 64)` (underscores already removed).
pub fn go_parse_uint(s: &str) -> Option<u64> {
    let (base, digits) = if let Some(r) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (8, r)
    } else if let Some(r) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (2, r)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    parse_digits(digits, base)
}

/// Go's `strconv.ParseInt(s, 0, 64)` (underscores already removed).
pub fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = go_parse_uint(body)?;
    if neg {
        if u <= 1u64 << 63 {
            Some((u as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(u).ok()
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the inputs go-yaml hands it: decimal forms, and the
/// special words Go also accepts. Out-of-range values fail, as Go reports them as errors.
pub fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(if s.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if lower == "nan" {
        return if body.len() == s.len() {
            Some(f64::NAN)
        } else {
            None
        };
    }
    if lower.starts_with("0x") {
        return None;
    }
    if !body
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    if f.is_infinite() {
        return None;
    }
    Some(f)
}

/// go-yaml v2's `parseTimestamp`: the formats it tries through Go's `time.Parse`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i != 4 || i == b.len() || b[i] != b'-' {
        return false;
    }
    // date: YYYY-M-D (one or two digits each)
    let mut p = 5;
    let num = |p: &mut usize, max: usize| -> Option<u32> {
        let start = *p;
        while *p < b.len() && b[*p].is_ascii_digit() && *p - start < max {
            *p += 1;
        }
        if *p == start {
            return None;
        }
        std::str::from_utf8(&b[start..*p]).ok()?.parse().ok()
    };
    let Some(month) = num(&mut p, 2) else {
        return false;
    };
    if b.get(p) != Some(&b'-') {
        return false;
    }
    p += 1;
    let Some(day) = num(&mut p, 2) else {
        return false;
    };
    let year: u32 = s[..4].parse().unwrap_or(0);
    if !(1..=12).contains(&month) || day < 1 || day > days_in(year, month) {
        return false;
    }
    if p == b.len() {
        return true;
    }
    let sep = b[p];
    let zone_required = match sep {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    p += 1;
    let Some(h) = num(&mut p, 2) else {
        return false;
    };
    if b.get(p) != Some(&b':') {
        return false;
    }
    p += 1;
    let Some(mi) = num(&mut p, 2) else {
        return false;
    };
    if b.get(p) != Some(&b':') {
        return false;
    }
    p += 1;
    let Some(sec) = num(&mut p, 2) else {
        return false;
    };
    if h > 23 || mi > 59 || sec > 59 {
        return false;
    }
    if b.get(p) == Some(&b'.') {
        p += 1;
        let start = p;
        while p < b.len() && b[p].is_ascii_digit() {
            p += 1;
        }
        if p == start {
            return false;
        }
    }
    if !zone_required {
        return p == b.len();
    }
    match b.get(p) {
        Some(b'Z') => p + 1 == b.len(),
        Some(b'+' | b'-') => {
            let z = &b[p + 1..];
            z.len() == 5
                && z[0].is_ascii_digit()
                && z[1].is_ascii_digit()
                && z[2] == b':'
                && z[3].is_ascii_digit()
                && z[4].is_ascii_digit()
                && (z[0] - b'0') * 10 + (z[1] - b'0') < 24
                && (z[3] - b'0') * 10 + (z[4] - b'0') < 60
        }
        _ => false,
    }
}

fn days_in(year: u32, month: u32) -> u32 {
    match month {
        2 => {
            if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 {
                29
            } else {
                28
            }
        }
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// go-yaml's `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
pub fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // [0-5]?[0-9]: one or two digits, a two-digit group starting with 0-5.
        let d1 = b.get(i).copied();
        let d2 = b.get(i + 1).copied();
        match (d1, d2) {
            (Some(a @ b'0'..=b'5'), Some(b'0'..=b'9')) if a.is_ascii_digit() => i += 2,
            (Some(b'0'..=b'9'), _) => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution() {
        assert_eq!(resolve_plain("yes"), Resolved::Bool(true));
        assert_eq!(resolve_plain("Off"), Resolved::Bool(false));
        assert_eq!(resolve_plain("oN"), Resolved::Str);
        assert_eq!(resolve_plain("0777"), Resolved::Int(511));
        assert_eq!(resolve_plain("0x1F"), Resolved::Int(31));
        assert_eq!(resolve_plain("1_000"), Resolved::Int(1000));
        assert_eq!(resolve_plain("08"), Resolved::Float(8.0));
        assert_eq!(resolve_plain("1e3"), Resolved::Float(1000.0));
        assert_eq!(resolve_plain(".5"), Resolved::Float(0.5));
        assert_eq!(resolve_plain("1e400"), Resolved::Str);
        assert_eq!(
            resolve_plain("12345678901234567890"),
            Resolved::Uint(12345678901234567890)
        );
        assert_eq!(resolve_plain("2021-01-01"), Resolved::Timestamp);
        assert_eq!(resolve_plain("2021-13-01"), Resolved::Str);
        assert_eq!(resolve_plain("0b101"), Resolved::Int(5));
        assert_eq!(resolve_plain("~"), Resolved::Null);
        assert_eq!(resolve_plain("1.2.3"), Resolved::Str);
        assert_eq!(resolve_plain("+1"), Resolved::Int(1));
        assert_eq!(resolve_plain("0o17"), Resolved::Int(15));
    }

    #[test]
    fn base60() {
        assert!(is_base60_float("1:20"));
        assert!(is_base60_float("12:30"));
        assert!(!is_base60_float("1:2a"));
        assert!(is_base60_float("190:20:30.15"));
        assert!(!is_base60_float("a:1"));
    }
}
