//! Sprig's type conversion functions: `atoi int int64 float64 toDecimal toString toStrings`,
//! with spf13/cast v1.7.1's rules, and Sprig's `strval`/`strslice` that many string functions
//! share.

use super::{Func, FuncCtx, FuncResult};
use crate::engine::printf::sprint;
use crate::engine::value::{Ty, Value};
use crate::gofunc;

/// This group's functions.
pub const FUNCS: &[Func] = &[
    gofunc!("atoi", [Ty::String], atoi),
    gofunc!("int", [Ty::Any], to_int),
    gofunc!("int64", [Ty::Any], to_int64),
    gofunc!("float64", [Ty::Any], to_float64),
    gofunc!("toDecimal", [Ty::Any], to_decimal),
    gofunc!("toString", [Ty::Any], to_string),
    gofunc!("toStrings", [Ty::Any], to_strings),
];

/// Sprig's `strval`: strings as they are, `[]byte` as text, Stringers through `String()`,
/// anything else with `%v` (nil is `<nil>`).
pub fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Object(o) => o.format_v(),
        other => other.format_v(),
    }
}

/// Sprig's `strslice`: a `[]string` as is; the elements of any other slice through
/// [`strval`], nil elements dropped; nil as an empty list; anything else as a one-element
/// list.
pub fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(_, items) => items.iter().filter(|x| !x.is_nil()).map(strval).collect(),
        Value::Bytes(b) => b.iter().map(|x| x.to_string()).collect(),
        Value::Missing | Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

/// Go's `strconv.ParseInt(s, base, 64)` for base 0 (prefixes `0x`, `0o`, `0b`, a leading
/// `0` for octal, and `_` separators) or an explicit base 2..=36.
pub fn parse_int(s: &str, base: u32) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits, base0) = if base == 0 {
        let lower = body.to_ascii_lowercase();
        if lower.starts_with("0x") {
            (16, &body[2..], true)
        } else if lower.starts_with("0o") {
            (8, &body[2..], true)
        } else if lower.starts_with("0b") {
            (2, &body[2..], true)
        } else if body.starts_with('0') && body.len() > 1 {
            (8, &body[1..], true)
        } else {
            (10, body, true)
        }
    } else {
        (base, body, false)
    };
    if base0 && digits.contains('_') && !underscore_ok(body) {
        return None;
    }
    let clean: String = if base0 {
        digits.chars().filter(|&c| c != '_').collect()
    } else {
        digits.to_string()
    };
    if clean.is_empty() {
        return None;
    }
    let mag = u64::from_str_radix(&clean, radix).ok()?;
    if neg {
        if mag > 1u64 << 63 {
            return None;
        }
        Some((mag as i64).wrapping_neg())
    } else {
        i64::try_from(mag).ok()
    }
}

/// Go's `underscoreOK`: `_` only between digits or after a base prefix.
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut saw = '^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' {
        let c = b[1].to_ascii_lowercase();
        if c == b'x' || c == b'o' || c == b'b' {
            hex = c == b'x';
            i = 2;
            saw = '0';
        }
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = '0';
        } else if c == b'_' {
            if saw != '0' {
                return false;
            }
            saw = '_';
        } else {
            if saw == '_' {
                return false;
            }
            saw = '!';
        }
        i += 1;
    }
    saw != '_'
}

/// cast's `ToInt64E`, errors mapped to 0 as Sprig ignores them (one implementation, in
/// `math`, serves every function).
pub fn cast_int64(v: &Value) -> i64 {
    super::math::to_int64(v)
}

/// cast's `ToFloat64E`, errors mapped to 0.
pub fn cast_float64(v: &Value) -> f64 {
    super::math::to_float64(v)
}

fn arg0(args: &[Value]) -> Value {
    args.first().cloned().unwrap_or(Value::Nil)
}

fn atoi(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let s = args.first().and_then(Value::as_str).unwrap_or("");
    let valid = {
        let t = s.strip_prefix(['+', '-']).unwrap_or(s);
        !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit())
    };
    let n = if valid {
        parse_int(s, 10).unwrap_or(0)
    } else {
        0
    };
    Ok(Value::Int(n))
}

fn to_int(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::Int(cast_int64(&arg0(&args))))
}

fn to_int64(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::Int64(cast_int64(&arg0(&args))))
}

fn to_float64(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::Float(cast_float64(&arg0(&args))))
}

fn to_decimal(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let text = sprint(&[arg0(&args)]);
    Ok(Value::Int64(parse_int(&text, 8).unwrap_or(0)))
}

fn to_string(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::str(strval(&arg0(&args))))
}

fn to_strings(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let v = arg0(&args);
    if let Value::List(crate::engine::value::SliceType::String, _) = v {
        return Ok(v);
    }
    Ok(Value::str_list(strslice(&v)))
}

#[cfg(test)]
mod tests {
    use super::super::{call, TestCtx};
    use super::*;

    fn run(name: &str, v: Value) -> Value {
        let mut ctx = TestCtx::default();
        call(&mut ctx, name, vec![v]).unwrap_or(Value::Missing)
    }

    /// Expected values from the notes and helm 4.1.4 runs.
    #[test]
    fn matches_helm() {
        let s = Value::str;
        let cases: Vec<(&str, Value, &str, &str)> = vec![
            ("int", s("010"), "int", "8"),
            ("int", s("0x1F"), "int", "31"),
            ("int", s("1.5"), "int", "0"),
            ("int", s("5.00"), "int", "5"),
            ("int", s("1_000"), "int", "1000"),
            ("int", Value::Float(2.9), "int", "2"),
            ("int", Value::Nil, "int", "0"),
            ("int", Value::Bool(true), "int", "1"),
            ("atoi", s("010"), "int", "10"),
            ("atoi", s("x"), "int", "0"),
            ("atoi", s("-7"), "int", "-7"),
            ("int64", s("12"), "int64", "12"),
            ("float64", s("1.5"), "float64", "1.5"),
            ("float64", s("abc"), "float64", "0"),
            ("float64", Value::Int(3), "float64", "3"),
            ("toDecimal", s("0777"), "int64", "511"),
            ("toDecimal", Value::Float(777.0), "int64", "511"),
            ("toDecimal", s("8"), "int64", "0"),
            ("toString", Value::Nil, "string", "<nil>"),
            ("toString", Value::Float(1e6), "string", "1e+06"),
            (
                "toString",
                Value::Bytes(b"hi".to_vec().into()),
                "string",
                "hi",
            ),
        ];
        for (f, input, ty, want) in cases {
            let got = run(f, input.clone());
            assert_eq!(
                (got.type_name(), got.format_v()),
                (ty.to_string(), want.to_string()),
                "{f} {input:?}"
            );
        }
        let l = Value::list(vec![Value::Int(1), Value::Nil, Value::str("a")]);
        let got = run("toStrings", l);
        assert_eq!(
            (got.type_name(), got.format_v()),
            ("[]string".to_string(), "[1 a]".to_string())
        );
        assert_eq!(run("toStrings", Value::Nil).format_v(), "[]");
    }
}
