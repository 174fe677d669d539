//! Template functions: Sprig's list functions (`list`, `append`, `first`, `uniq`, `slice`,
//! `chunk`, …).
//!
//! Sprig takes these lists as `interface{}` and walks them by reflection, so any slice type
//! works (`[]string`, `[]int`, `[]interface{}`, `[]byte`) and anything else is refused with
//! the value's reflect kind in the message. The plain forms panic where the `must` forms
//! return an error; text/template reports both the same way, so each pair shares one
//! implementation.

use std::borrow::Cow;
use std::sync::Arc;

use super::flow::is_empty;
use super::math::to_int;
use super::{Func, FuncCtx, FuncError, FuncResult};
use crate::engine::value::{Sig, SliceType, Ty, Value};
use crate::gofunc;

/// A table entry for a variadic Go function (`func(fixed..., rest ...T)`).
macro_rules! vfunc {
    ($name:literal, [$($p:expr),* $(,)?], $v:expr, $imp:expr) => {
        Func {
            name: $name,
            sig: Sig {
                params: &[$($p),*],
                variadic: Some($v),
            },
            imp: $imp,
        }
    };
}

/// This group's functions.
pub const FUNCS: &[Func] = &[
    vfunc!("tuple", [], Ty::Any, |_, a| Ok(Value::list(a))),
    vfunc!("list", [], Ty::Any, |_, a| Ok(Value::list(a))),
    gofunc!("append", [Ty::Any, Ty::Any], push),
    gofunc!("push", [Ty::Any, Ty::Any], push),
    gofunc!("mustAppend", [Ty::Any, Ty::Any], push),
    gofunc!("mustPush", [Ty::Any, Ty::Any], push),
    gofunc!("prepend", [Ty::Any, Ty::Any], prepend),
    gofunc!("mustPrepend", [Ty::Any, Ty::Any], prepend),
    gofunc!("first", [Ty::Any], first),
    gofunc!("mustFirst", [Ty::Any], first),
    gofunc!("rest", [Ty::Any], rest),
    gofunc!("mustRest", [Ty::Any], rest),
    gofunc!("last", [Ty::Any], last),
    gofunc!("mustLast", [Ty::Any], last),
    gofunc!("initial", [Ty::Any], initial),
    gofunc!("mustInitial", [Ty::Any], initial),
    gofunc!("reverse", [Ty::Any], reverse),
    gofunc!("mustReverse", [Ty::Any], reverse),
    gofunc!("uniq", [Ty::Any], uniq),
    gofunc!("mustUniq", [Ty::Any], uniq),
    vfunc!("without", [Ty::Any], Ty::Any, without),
    vfunc!("mustWithout", [Ty::Any], Ty::Any, without),
    gofunc!("has", [Ty::Any, Ty::Any], has),
    gofunc!("mustHas", [Ty::Any, Ty::Any], has),
    vfunc!("slice", [Ty::Any], Ty::Any, slice),
    vfunc!("mustSlice", [Ty::Any], Ty::Any, slice),
    vfunc!("concat", [], Ty::Any, concat),
    gofunc!("chunk", [Ty::Int, Ty::Any], chunk),
    gofunc!("mustChunk", [Ty::Int, Ty::Any], chunk),
    gofunc!("compact", [Ty::Any], compact),
    gofunc!("mustCompact", [Ty::Any], compact),
];

/// What Go reports when code calls `reflect.TypeOf(nil).Kind()`, as Sprig does for a nil list.
pub const NIL_DEREF: &str = "runtime error: invalid memory address or nil pointer dereference";

fn arg(args: &[Value], i: usize) -> &Value {
    static NIL: Value = Value::Nil;
    args.get(i).unwrap_or(&NIL)
}

/// The elements of a slice value, or the error Sprig gives for anything else: a nil value
/// crashes reflection, other values are named by their kind through `refuse`.
pub fn list_items(
    v: &Value,
    refuse: impl FnOnce(&str) -> String,
) -> Result<Cow<'_, [Value]>, FuncError> {
    match v {
        Value::List(_, items) => Ok(Cow::Borrowed(items.as_slice())),
        Value::Bytes(b) => Ok(Cow::Owned(b.iter().map(|&x| Value::Uint8(x)).collect())),
        Value::Missing | Value::Nil => Err(FuncError::msg(NIL_DEREF)),
        // Named slice types with methods (helm's VersionSet) are lists to reflection.
        Value::Object(o) if o.kind_name() == "slice" => match o.to_data() {
            Value::List(_, items) => Ok(Cow::Owned(items.as_ref().clone())),
            _ => Err(FuncError::msg(refuse("slice"))),
        },
        other => Err(FuncError::msg(refuse(&other.kind_name()))),
    }
}

fn push(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let items = list_items(arg(&a, 0), |k| format!("Cannot push on type {k}"))?;
    let mut out = items.into_owned();
    out.push(arg(&a, 1).clone());
    Ok(Value::list(out))
}

fn prepend(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let items = list_items(arg(&a, 0), |k| format!("Cannot prepend on type {k}"))?;
    let mut out = Vec::with_capacity(items.len() + 1);
    out.push(arg(&a, 1).clone());
    out.extend(items.iter().cloned());
    Ok(Value::list(out))
}

fn first(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let items = list_items(arg(&a, 0), |k| format!("Cannot find first on type {k}"))?;
    Ok(items.first().cloned().unwrap_or(Value::Nil))
}

fn last(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let items = list_items(arg(&a, 0), |k| format!("Cannot find last on type {k}"))?;
    Ok(items.last().cloned().unwrap_or(Value::Nil))
}

// Go returns a nil `[]interface{}` for an empty input to `rest` and `initial` (which `toJson`
// prints as `null`); the value model has no typed nil slice, so these give an empty one.
fn rest(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let items = list_items(arg(&a, 0), |k| format!("Cannot find rest on type {k}"))?;
    Ok(Value::list(items.iter().skip(1).cloned().collect()))
}

fn initial(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let items = list_items(arg(&a, 0), |k| format!("Cannot find initial on type {k}"))?;
    let n = items.len().saturating_sub(1);
    Ok(Value::list(items.iter().take(n).cloned().collect()))
}

fn reverse(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let items = list_items(arg(&a, 0), |k| format!("Cannot find reverse on type {k}"))?;
    Ok(Value::list(items.iter().rev().cloned().collect()))
}

fn contains(haystack: &[Value], needle: &Value) -> bool {
    haystack.iter().any(|h| needle.deep_equal(h))
}

fn uniq(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let items = list_items(arg(&a, 0), |k| format!("Cannot find uniq on type {k}"))?;
    let mut out: Vec<Value> = Vec::new();
    for item in items.iter() {
        if !contains(&out, item) {
            out.push(item.clone());
        }
    }
    Ok(Value::list(out))
}

fn without(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let items = list_items(arg(&a, 0), |k| format!("Cannot find without on type {k}"))?;
    let omit = a.get(1..).unwrap_or(&[]);
    Ok(Value::list(
        items
            .iter()
            .filter(|item| !contains(omit, item))
            .cloned()
            .collect(),
    ))
}

fn has(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let haystack = arg(&a, 1);
    if haystack.is_nil() {
        return Ok(Value::Bool(false));
    }
    let items = list_items(haystack, |k| format!("Cannot find has on type {k}"))?;
    Ok(Value::Bool(contains(&items, arg(&a, 0))))
}

fn compact(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let items = list_items(arg(&a, 0), |k| format!("Cannot compact on type {k}"))?;
    Ok(Value::list(
        items.iter().filter(|v| !is_empty(v)).cloned().collect(),
    ))
}

/// `slice LIST [START [END]]`: reflect's `Slice`, so the result keeps the input's slice type.
fn slice(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let list = arg(&a, 0);
    let items = list_items(list, |k| {
        format!("list should be type of slice or array but {k}")
    })?;
    let len = items.len();
    if len == 0 {
        return Ok(Value::Nil);
    }
    let start = a.get(1).map_or(0, to_int);
    let end = a.get(2).map_or(len as i64, to_int);
    if start < 0 || end < start || end > len as i64 {
        return Err(FuncError::msg(
            "reflect.Value.Slice: slice index out of bounds",
        ));
    }
    let (start, end) = (start as usize, end as usize);
    Ok(match list {
        Value::Bytes(b) => Value::Bytes(Arc::from(b.get(start..end).unwrap_or(&[]))),
        Value::List(t, l) => Value::List(*t, Arc::new(l.get(start..end).unwrap_or(&[]).to_vec())),
        _ => Value::list(items.get(start..end).unwrap_or(&[]).to_vec()),
    })
}

fn concat(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let mut out = Vec::new();
    for list in &a {
        let items = list_items(list, |k| format!("Cannot concat type {k} as list"))?;
        out.extend(items.iter().cloned());
    }
    // Go returns a nil `[]interface{}` when nothing was collected; see `rest`.
    Ok(Value::list(out))
}

/// Go converting a float to `int` on amd64: out-of-range values and NaN become `MinInt64`.
fn f64_to_int(f: f64) -> i64 {
    super::math::go_f64_to_i64(f)
}

const MAKESLICE: &str = "runtime error: makeslice: len out of range";

/// `chunk SIZE LIST`, with Sprig's float arithmetic for the chunk count, which is what makes
/// a zero or negative size fail as it does in Go.
fn chunk(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let size = arg(&a, 0).as_int().unwrap_or(0);
    let items = list_items(arg(&a, 1), |k| format!("Cannot chunk type {k}"))?;
    let l = items.len() as i64;
    let cs = f64_to_int(((l - 1) as f64 / size as f64).floor() + 1.0);
    if cs < 0 {
        return Err(FuncError::msg(MAKESLICE));
    }
    let mut out = Vec::new();
    for i in 0..cs {
        let mut clen = size;
        if i == cs - 1 {
            clen = f64_to_int((l as f64 % size as f64).floor());
            if clen == 0 {
                clen = size;
            }
        }
        if clen < 0 {
            return Err(FuncError::msg(MAKESLICE));
        }
        let mut part = Vec::new();
        for j in 0..clen {
            let ix = i.wrapping_mul(size).wrapping_add(j);
            let item = usize::try_from(ix)
                .ok()
                .and_then(|ix| items.get(ix))
                .ok_or_else(|| FuncError::msg("reflect: slice index out of range"))?;
            part.push(item.clone());
        }
        out.push(Value::list(part));
    }
    Ok(Value::List(SliceType::ListOfLists, Arc::new(out)))
}

#[cfg(test)]
mod tests {
    use super::super::{call, TestCtx};
    use super::*;

    fn out(name: &str, args: Vec<Value>) -> String {
        match call(&mut TestCtx::default(), name, args) {
            Ok(v) => format!("{}:{}", v.type_name(), v.format_v()),
            Err(e) => format!("ERR {e}"),
        }
    }

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    fn floats(v: &[f64]) -> Value {
        Value::list(v.iter().map(|&f| Value::Float(f)).collect())
    }

    fn ints(v: &[i64]) -> Value {
        Value::list(v.iter().map(|&f| Value::Int(f)).collect())
    }

    // Every expected value below comes from helm 4.1.4 with `.Values.list` = [1, 2, 3]
    // (float64s) and `.Values.slist` = ["a", "b"].

    #[test]
    fn refusals() {
        assert_eq!(
            out("first", vec![s("abc")]),
            "ERR Cannot find first on type string"
        );
        assert_eq!(out("first", vec![Value::Nil]), format!("ERR {NIL_DEREF}"));
        assert_eq!(
            out("mustFirst", vec![Value::Nil]),
            format!("ERR {NIL_DEREF}")
        );
        assert_eq!(
            out("reverse", vec![s("x")]),
            "ERR Cannot find reverse on type string"
        );
        assert_eq!(
            out("mustPush", vec![s("x"), Value::Int(1)]),
            "ERR Cannot push on type string"
        );
        assert_eq!(
            out("has", vec![Value::Int(1), s("abc")]),
            "ERR Cannot find has on type string"
        );
        assert_eq!(
            out("slice", vec![s("abc")]),
            "ERR list should be type of slice or array but string"
        );
        assert_eq!(
            out("concat", vec![floats(&[1.0]), s("x")]),
            "ERR Cannot concat type string as list"
        );
        assert_eq!(
            out("concat", vec![floats(&[1.0]), Value::Nil]),
            format!("ERR {NIL_DEREF}")
        );
        assert_eq!(
            out("first", vec![Value::empty_map()]),
            "ERR Cannot find first on type map"
        );
    }

    #[test]
    fn access() {
        let l = floats(&[1.0, 2.0, 3.0]);
        assert_eq!(out("first", vec![Value::list(vec![])]), "<nil>:<nil>");
        assert_eq!(out("last", vec![l.clone()]), "float64:3");
        assert_eq!(out("rest", vec![l.clone()]), "[]interface {}:[2 3]");
        assert_eq!(out("initial", vec![l.clone()]), "[]interface {}:[1 2]");
        assert_eq!(out("reverse", vec![l.clone()]), "[]interface {}:[3 2 1]");
        let sl = Value::str_list(["a", "b"]);
        assert_eq!(
            out("append", vec![sl.clone(), s("c")]),
            "[]interface {}:[a b c]"
        );
        assert_eq!(out("prepend", vec![sl, s("c")]), "[]interface {}:[c a b]");
        assert_eq!(
            out("list", vec![Value::Int(1), s("a")]),
            "[]interface {}:[1 a]"
        );
        assert_eq!(out("tuple", vec![]), "[]interface {}:[]");
    }

    #[test]
    fn membership() {
        let l = floats(&[1.0, 2.0, 3.0]);
        assert_eq!(out("has", vec![Value::Int(1), l.clone()]), "bool:false");
        assert_eq!(out("has", vec![Value::Float(1.0), l.clone()]), "bool:true");
        assert_eq!(out("has", vec![Value::Int(1), Value::Nil]), "bool:false");
        assert_eq!(
            out("without", vec![l, Value::Float(1.0), Value::Float(3.0)]),
            "[]interface {}:[2]"
        );
        let mixed = Value::list(vec![
            Value::Int(1),
            Value::Int(1),
            s("a"),
            s("a"),
            Value::Float(1.0),
        ]);
        assert_eq!(out("uniq", vec![mixed]), "[]interface {}:[1 a 1]");
        let c = Value::list(vec![
            Value::Int(0),
            s(""),
            Value::Nil,
            Value::Bool(false),
            Value::Int(1),
            s("a"),
            Value::list(vec![]),
            Value::empty_map(),
        ]);
        assert_eq!(out("compact", vec![c]), "[]interface {}:[1 a]");
    }

    #[test]
    fn slicing() {
        let l = floats(&[1.0, 2.0, 3.0]);
        assert_eq!(
            out("slice", vec![l.clone(), Value::Int(1)]),
            "[]interface {}:[2 3]"
        );
        let strs = Value::str_list(["a", "b", "c"]);
        assert_eq!(out("slice", vec![strs, Value::Int(1)]), "[]string:[b c]");
        assert_eq!(
            out("slice", vec![l.clone(), Value::Int(1), Value::Int(5)]),
            "ERR reflect.Value.Slice: slice index out of bounds"
        );
        assert_eq!(
            out("mustSlice", vec![l.clone(), Value::Int(2), Value::Int(1)]),
            "ERR reflect.Value.Slice: slice index out of bounds"
        );
        assert_eq!(out("slice", vec![Value::list(vec![])]), "<nil>:<nil>");
        assert_eq!(
            out("slice", vec![l.clone(), s("1"), Value::Float(2.7)]),
            "[]interface {}:[2]"
        );
        assert_eq!(
            out("concat", vec![l, Value::str_list(["x"])]),
            "[]interface {}:[1 2 3 x]"
        );
    }

    #[test]
    fn chunking() {
        let l = floats(&[1.0, 2.0, 3.0]);
        assert_eq!(
            out("chunk", vec![Value::Int(2), l.clone()]),
            "[][]interface {}:[[1 2] [3]]"
        );
        assert_eq!(
            out("chunk", vec![Value::Int(0), l]),
            "ERR runtime error: makeslice: len out of range"
        );
        assert_eq!(
            out("chunk", vec![Value::Int(-1), ints(&[1])]),
            "ERR runtime error: makeslice: len out of range"
        );
        assert_eq!(
            out("chunk", vec![Value::Int(-5), ints(&[1])]),
            "[][]interface {}:[[1]]"
        );
        assert_eq!(
            out("chunk", vec![Value::Int(2), Value::list(vec![])]),
            "[][]interface {}:[]"
        );
        assert_eq!(
            out("chunk", vec![Value::Int(2), ints(&[1, 2, 3, 4])]),
            "[][]interface {}:[[1 2] [3 4]]"
        );
    }
}
