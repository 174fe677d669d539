//! Go `text/template`'s built-in functions, less `and` and `or` (the executor evaluates those
//! lazily) and `slice` (Sprig's replaces it).

use crate::engine::jsonnum::JsonNumber;
use std::sync::Arc;

use super::{Func, FuncCtx, FuncError, FuncResult};
use crate::engine::printf::{sprint, sprintf, sprintln};
use crate::engine::value::{MapType, Ty, Value};
use crate::gofunc;

/// A variadic [`Func`] entry. `gofunc!`'s variadic arm cannot be reached (its first arm's
/// `$imp:expr` fails hard on `...`), so variadic entries are spelled out here.
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
    gofunc!("not", [Ty::Raw], not),
    gofunc!("len", [Ty::Raw], len),
    vfunc!("index", [Ty::Raw], Ty::Raw, index),
    vfunc!("print", [], Ty::Any, print),
    vfunc!("printf", [Ty::String], Ty::Any, printf),
    vfunc!("println", [], Ty::Any, println),
    vfunc!("html", [], Ty::Any, html),
    vfunc!("js", [], Ty::Any, js),
    vfunc!("urlquery", [], Ty::Any, urlquery),
    vfunc!("call", [Ty::Raw], Ty::Raw, call),
    vfunc!("eq", [Ty::Raw], Ty::Raw, eq),
    gofunc!("ne", [Ty::Raw, Ty::Raw], ne),
    gofunc!("lt", [Ty::Raw, Ty::Raw], lt),
    gofunc!("le", [Ty::Raw, Ty::Raw], le),
    gofunc!("gt", [Ty::Raw, Ty::Raw], gt),
    gofunc!("ge", [Ty::Raw, Ty::Raw], ge),
];

fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or(Value::Missing)
}

fn not(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::Bool(!arg(&args, 0).truth()))
}

fn len(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let v = arg(&args, 0);
    // Objects that are Go maps or slices (helm's Files, VersionSet) have a length too.
    let data = match &v {
        Value::Object(o) if matches!(o.kind_name(), "map" | "slice") => o.to_data(),
        other => other.clone(),
    };
    let n = match &data {
        Value::Missing => {
            return Err(FuncError::msg(
                "reflect: call of reflect.Value.Type on zero Value",
            ))
        }
        // A nil interface argument: Go's indirect reports it as a nil pointer.
        Value::Nil => return Err(FuncError::msg("len of nil pointer")),
        Value::String(s) => s.len(),
        Value::Bytes(b) => b.len(),
        Value::List(_, l) => l.len(),
        Value::Map(_, m) => m.len(),
        _ => return Err(FuncError::msg(format!("len of type {}", v.type_name()))),
    };
    Ok(Value::Int(n as i64))
}

/// Go's `indexArg`: an integer index checked against `len` (equal to `len` passes, and the
/// element access then panics, as in Go).
fn index_arg(index: &Value, len: usize) -> Result<usize, FuncError> {
    let x = match index {
        Value::Missing | Value::Nil => {
            return Err(FuncError::msg("cannot index slice/array with nil"))
        }
        other => match other.as_int() {
            Some(x) => x,
            None => {
                return Err(FuncError::msg(format!(
                    "cannot index slice/array with type {}",
                    other.type_name()
                )))
            }
        },
    };
    if x < 0 || x as u64 > len as u64 {
        return Err(FuncError::msg(format!("index out of range: {x}")));
    }
    Ok(x as usize)
}

fn index(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let mut item = arg(&args, 0);
    if item.is_nil() {
        return Err(FuncError::msg("index of untyped nil"));
    }
    for idx in args.iter().skip(1) {
        item = match &item {
            Value::Missing | Value::Nil => return Err(FuncError::msg("index of nil pointer")),
            Value::List(_, l) => {
                let x = index_arg(idx, l.len())?;
                match l.get(x) {
                    Some(v) => v.clone(),
                    None => return Err(FuncError::msg("reflect: slice index out of range")),
                }
            }
            Value::Bytes(b) => {
                let x = index_arg(idx, b.len())?;
                match b.get(x) {
                    Some(v) => Value::Uint8(*v),
                    None => return Err(FuncError::msg("reflect: slice index out of range")),
                }
            }
            Value::String(s) => {
                let x = index_arg(idx, s.len())?;
                match s.as_bytes().get(x) {
                    Some(v) => Value::Uint8(*v),
                    None => return Err(FuncError::msg("reflect: string index out of range")),
                }
            }
            Value::Map(t, m) => {
                let key = match idx {
                    Value::Missing | Value::Nil => {
                        return Err(FuncError::msg("value is nil; should be of type string"))
                    }
                    Value::String(k) => k.clone(),
                    other => {
                        return Err(FuncError::msg(format!(
                            "value has type {}; should be string",
                            other.type_name()
                        )))
                    }
                };
                match m.get(&key) {
                    Some(v) => v,
                    None if *t == MapType::String => Value::str(""),
                    None => Value::Nil,
                }
            }
            other => {
                return Err(FuncError::msg(format!(
                    "can't index item of type {}",
                    other.type_name()
                )))
            }
        };
    }
    Ok(item)
}

fn print(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::str(sprint(&args)))
}

fn printf(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let format = args
        .first()
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    Ok(Value::str(sprintf(&format, args.get(1..).unwrap_or(&[]))))
}

fn println(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::str(sprintln(&args)))
}

/// Go's `evalArgs`: one string argument as is, else `fmt.Sprint` with nil arguments shown as
/// `<no value>`.
fn eval_args(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.to_string();
    }
    let printable: Vec<Value> = args
        .iter()
        .map(|a| {
            if a.is_nil() {
                Value::str("<no value>")
            } else {
                a.clone()
            }
        })
        .collect();
    sprint(&printable)
}

/// Go's `template.HTMLEscapeString`.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02X}", c as u32)),
            c if (c as u32) >= 0x80 && !crate::engine::printf::is_print(c) => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn html(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::str(html_escape(&eval_args(&args))))
}

fn js(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::str(js_escape(&eval_args(&args))))
}

fn urlquery(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::str(query_escape(&eval_args(&args))))
}

/// The error Go's `call` gives: the model has no function values, so every callee is either
/// nil or a non-function. `callee` is the callee's node text (`.Values.f`), which Go puts in
/// the message; the executor should pass it when it can.
pub fn call_error(callee: &str, f: &Value) -> FuncError {
    if f.is_nil() {
        FuncError::msg("call of nil")
    } else {
        FuncError::msg(format!("non-function {callee} of type {}", f.type_name()))
    }
}

fn call(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let f = arg(&args, 0);
    let text = f.format_v();
    Err(call_error(&text, &f))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Invalid,
    Bool,
    Complex,
    Int,
    Float,
    String,
    Uint,
}

fn basic_kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Int64(_) | Value::Int32(_) => Kind::Int,
        Value::Uint8(_) | Value::Uint32(_) => Kind::Uint,
        Value::Float(_) => Kind::Float,
        Value::Complex(..) => Kind::Complex,
        Value::String(_) => Kind::String,
        Value::Object(_) if JsonNumber::text_of(v).is_some() => Kind::String,
        _ => Kind::Invalid,
    }
}

/// The string a string-kinded value holds (`json.Number` included).
fn str_of(v: &Value) -> &str {
    v.as_str().or_else(|| JsonNumber::text_of(v)).unwrap_or("")
}

fn int_of(v: &Value) -> i64 {
    v.as_int().unwrap_or(0)
}

fn float_of(v: &Value) -> f64 {
    match v {
        Value::Float(f) => *f,
        _ => 0.0,
    }
}

fn incompatible(a: &Value, b: &Value) -> FuncError {
    FuncError::msg(format!(
        "incompatible types for comparison: {} and {}",
        a.type_name(),
        b.type_name()
    ))
}

/// Whether Go's `==` is defined on the value's type (maps, slices and `[]byte` are not).
fn comparable(v: &Value) -> bool {
    !matches!(v, Value::Map(..) | Value::List(..) | Value::Bytes(_))
}

fn eq_values(a: &Value, rest: &[Value]) -> Result<bool, FuncError> {
    if rest.is_empty() {
        return Err(FuncError::msg("missing argument for comparison"));
    }
    let k1 = basic_kind(a);
    for b in rest {
        let k2 = basic_kind(b);
        let truth = if k1 != k2 {
            match (k1, k2) {
                (Kind::Int, Kind::Uint) | (Kind::Uint, Kind::Int) => int_of(a) == int_of(b),
                _ => {
                    if !a.is_nil() && !b.is_nil() {
                        return Err(incompatible(a, b));
                    }
                    false
                }
            }
        } else {
            match k1 {
                Kind::Bool => a.truth() == b.truth(),
                Kind::Complex => match (a, b) {
                    (Value::Complex(r1, i1), Value::Complex(r2, i2)) => r1 == r2 && i1 == i2,
                    _ => false,
                },
                Kind::Float => float_of(a) == float_of(b),
                Kind::Int | Kind::Uint => int_of(a) == int_of(b),
                Kind::String => str_of(a) == str_of(b),
                Kind::Invalid => {
                    if !a.is_nil() && !b.is_nil() && a.kind_name() != b.kind_name() {
                        return Err(FuncError::msg(format!(
                            "non-comparable types {}: {}, {}: {}",
                            sprintf("%s", std::slice::from_ref(a)),
                            a.type_name(),
                            b.type_name(),
                            sprintf("%v", std::slice::from_ref(b)),
                        )));
                    }
                    if a.is_nil() || b.is_nil() {
                        a.is_nil() == b.is_nil()
                    } else if !comparable(b) {
                        return Err(FuncError::msg(format!(
                            "non-comparable type {}: {}",
                            sprintf("%s", std::slice::from_ref(b)),
                            b.type_name()
                        )));
                    } else {
                        match (a, b) {
                            (Value::Object(x), Value::Object(y)) => {
                                Arc::ptr_eq(x, y) || (x.kind_name() == "struct" && a.deep_equal(b))
                            }
                            _ => false,
                        }
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt_values(a: &Value, b: &Value) -> Result<bool, FuncError> {
    let bad = || FuncError::msg("invalid type for comparison");
    let k1 = basic_kind(a);
    if k1 == Kind::Invalid {
        return Err(bad());
    }
    let k2 = basic_kind(b);
    if k2 == Kind::Invalid {
        return Err(bad());
    }
    if k1 != k2 {
        return match (k1, k2) {
            (Kind::Int, Kind::Uint) | (Kind::Uint, Kind::Int) => Ok(int_of(a) < int_of(b)),
            _ => Err(incompatible(a, b)),
        };
    }
    Ok(match k1 {
        Kind::Float => float_of(a) < float_of(b),
        Kind::Int | Kind::Uint => int_of(a) < int_of(b),
        Kind::String => str_of(a) < str_of(b),
        _ => return Err(bad()),
    })
}

/// A comparison's result, with its errors worded as the Go release behind the helm version
/// words them: helm 3.18 (Go 1.24) names no types after "incompatible types for comparison"
/// and prints a non-comparable value with `%v`.
fn compared(ctx: &dyn FuncCtx, args: &[Value], r: Result<bool, FuncError>) -> FuncResult {
    match r {
        Ok(b) => Ok(Value::Bool(b)),
        Err(FuncError::Msg(m)) if ctx.helm_major() < 4 => {
            if m.starts_with("incompatible types for comparison") {
                return Err(FuncError::msg("incompatible types for comparison"));
            }
            if m.starts_with("non-comparable type ") {
                if let Some(b) = args.last() {
                    return Err(FuncError::msg(format!(
                        "non-comparable type {}: {}",
                        b.format_v(),
                        b.type_name()
                    )));
                }
            }
            Err(FuncError::Msg(m))
        }
        Err(e) => Err(e),
    }
}

fn eq(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let a = arg(&args, 0);
    compared(ctx, &args, eq_values(&a, args.get(1..).unwrap_or(&[])))
}

fn ne(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    compared(
        ctx,
        &args,
        eq_values(&arg(&args, 0), &[arg(&args, 1)]).map(|b| !b),
    )
}

fn lt(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    compared(ctx, &args, lt_values(&arg(&args, 0), &arg(&args, 1)))
}

fn le_values(a: &Value, b: &Value) -> Result<bool, FuncError> {
    if lt_values(a, b)? {
        return Ok(true);
    }
    eq_values(a, std::slice::from_ref(b))
}

fn le(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    compared(ctx, &args, le_values(&arg(&args, 0), &arg(&args, 1)))
}

fn gt(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    compared(
        ctx,
        &args,
        le_values(&arg(&args, 0), &arg(&args, 1)).map(|b| !b),
    )
}

fn ge(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    compared(
        ctx,
        &args,
        lt_values(&arg(&args, 0), &arg(&args, 1)).map(|b| !b),
    )
}

#[cfg(test)]
mod tests {
    use super::super::{call as fcall, TestCtx};
    use super::*;
    use std::collections::BTreeMap;

    fn run(name: &str, args: Vec<Value>) -> Result<String, String> {
        let mut ctx = TestCtx::default();
        fcall(&mut ctx, name, args)
            .map(|v| v.format_v())
            .map_err(|e| e.to_string())
    }

    fn vmap() -> Value {
        let mut m = BTreeMap::new();
        m.insert("a".to_string(), Value::Float(1.0));
        m.insert("b".to_string(), Value::str("x"));
        Value::map(m)
    }

    /// Expected texts from helm 4.1.4 runs.
    #[test]
    fn matches_helm() {
        let l12 = Value::list(vec![Value::Int(1), Value::Int(2)]);
        assert_eq!(
            run("index", vec![l12.clone(), Value::Int(2)]).unwrap_err(),
            "reflect: slice index out of range"
        );
        assert_eq!(
            run("index", vec![l12.clone(), Value::Int(10)]).unwrap_err(),
            "index out of range: 10"
        );
        assert_eq!(
            run("index", vec![Value::str("ab"), Value::Int(2)]).unwrap_err(),
            "reflect: string index out of range"
        );
        assert_eq!(
            run("index", vec![Value::Nil, Value::Int(1)]).unwrap_err(),
            "index of untyped nil"
        );
        assert_eq!(
            run("index", vec![vmap(), Value::Int(1)]).unwrap_err(),
            "value has type int; should be string"
        );
        assert_eq!(
            run(
                "index",
                vec![Value::list(vec![Value::Nil]), Value::Int(0), Value::Int(0)]
            )
            .unwrap_err(),
            "index of nil pointer"
        );
        assert_eq!(
            run("index", vec![l12.clone(), Value::Float(1.0)]).unwrap_err(),
            "cannot index slice/array with type float64"
        );
        assert!(matches!(
            fcall(
                &mut TestCtx::default(),
                "index",
                vec![vmap(), Value::str("zz")]
            ),
            Ok(Value::Nil)
        ));
        assert!(matches!(
            fcall(
                &mut TestCtx::default(),
                "index",
                vec![Value::str("abc"), Value::Int(1)]
            ),
            Ok(Value::Uint8(98))
        ));
        // `len nil` passes no value at all; a missing map key passes a nil interface.
        assert_eq!(
            run("len", vec![Value::Nil]).unwrap_err(),
            "len of nil pointer"
        );
        assert_eq!(
            run("len", vec![Value::Missing]).unwrap_err(),
            "reflect: call of reflect.Value.Type on zero Value"
        );
        assert_eq!(
            run("len", vec![Value::Int(3)]).unwrap_err(),
            "len of type int"
        );
        assert_eq!(run("call", vec![Value::Nil]).unwrap_err(), "call of nil");
        assert_eq!(
            run("html", vec![Value::Nil, Value::str("<a>")]).unwrap(),
            "&lt;no value&gt;&lt;a&gt;"
        );
        assert_eq!(
            run("urlquery", vec![Value::str("a b&c"), Value::Int(1)]).unwrap(),
            "a+b%26c1"
        );
        assert_eq!(
            run("js", vec![Value::str("<a b=\"c\">é\u{2028}")]).unwrap(),
            "\\u003Ca b\\u003D\\\"c\\\"\\u003Eé\\u2028"
        );
        assert_eq!(
            run("eq", vec![Value::Float(3.0), Value::Int(3)]).unwrap_err(),
            "incompatible types for comparison: float64 and int"
        );
        assert_eq!(
            run("eq", vec![vmap(), Value::Int(1)]).unwrap_err(),
            "incompatible types for comparison: map[string]interface {} and int"
        );
        assert_eq!(
            run("eq", vec![vmap(), vmap()]).unwrap_err(),
            "non-comparable type map[a:%!s(float64=1) b:x]: map[string]interface {}"
        );
        assert_eq!(run("eq", vec![Value::list(vec![Value::Int(1)]), vmap()]).unwrap_err(), "non-comparable types [%!s(int=1)]: []interface {}, map[string]interface {}: map[a:1 b:x]");
        assert_eq!(
            run("eq", vec![Value::Int(1)]).unwrap_err(),
            "missing argument for comparison"
        );
        assert_eq!(
            run("lt", vec![Value::Int(1), Value::Float(2.0)]).unwrap_err(),
            "incompatible types for comparison: int and float64"
        );
        assert_eq!(
            run("lt", vec![Value::Bool(true), Value::Bool(false)]).unwrap_err(),
            "invalid type for comparison"
        );
        assert_eq!(
            run("lt", vec![Value::Nil, Value::Int(1)]).unwrap_err(),
            "invalid type for comparison"
        );
        assert_eq!(
            run("eq", vec![Value::Missing, Value::str("x")]).unwrap(),
            "false"
        );
        assert_eq!(run("eq", vec![Value::Nil, Value::Nil]).unwrap(), "true");
        assert_eq!(
            run("eq", vec![Value::Uint8(97), Value::Int(97)]).unwrap(),
            "true"
        );
        assert_eq!(
            run("ge", vec![Value::Int(2), Value::Int(2)]).unwrap(),
            "true"
        );
        assert_eq!(
            run("gt", vec![Value::str("b"), Value::str("a")]).unwrap(),
            "true"
        );
        assert_eq!(run("not", vec![Value::Missing]).unwrap(), "true");
        assert_eq!(run("print", vec![Value::Nil]).unwrap(), "<nil>");
    }
}
