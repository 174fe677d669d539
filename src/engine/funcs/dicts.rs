//! Template functions: Sprig's dictionary functions (`dict`, `get`, `set`, `merge`, `dig`,
//! `deepCopy`, …).
//!
//! Maps are shared references: `set`, `unset`, `merge` and `mergeOverwrite` change the map
//! they are given, and every holder of it sees the change, as in Go. Go iterates maps in
//! random order; where Sprig exposes that order (`keys`, `values`) the result here is sorted
//! by key, one of the orders Go could produce.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Func, FuncCtx, FuncError, FuncResult};
use crate::engine::value::{MapRef, MapType, Sig, Ty, Value};
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
    vfunc!("dict", [], Ty::Any, dict),
    gofunc!("get", [Ty::Map, Ty::String], get),
    gofunc!("set", [Ty::Map, Ty::String, Ty::Any], set),
    gofunc!("unset", [Ty::Map, Ty::String], unset),
    gofunc!("hasKey", [Ty::Map, Ty::String], |_, a| Ok(Value::Bool(
        map_of(arg(&a, 0)).is_some_and(|m| m.contains_key(str_of(arg(&a, 1))))
    ))),
    vfunc!("pluck", [Ty::String], Ty::Map, pluck),
    vfunc!("keys", [], Ty::Map, keys),
    vfunc!("pick", [Ty::Map], Ty::String, pick),
    vfunc!("omit", [Ty::Map], Ty::String, omit),
    vfunc!("merge", [Ty::Map], Ty::Map, |_, a| Ok(
        merge_all(a, false).unwrap_or_else(|_| Value::str(""))
    )),
    vfunc!("mergeOverwrite", [Ty::Map], Ty::Map, |_, a| Ok(merge_all(
        a, true
    )
    .unwrap_or_else(|_| Value::str("")))),
    vfunc!("mustMerge", [Ty::Map], Ty::Map, |_, a| merge_all(a, false)),
    vfunc!("mustMergeOverwrite", [Ty::Map], Ty::Map, |_, a| merge_all(
        a, true
    )),
    gofunc!("values", [Ty::Map], values),
    vfunc!("dig", [], Ty::Any, dig),
    gofunc!("deepCopy", [Ty::Any], deep_copy),
    gofunc!("mustDeepCopy", [Ty::Any], deep_copy),
];

/// How deep `merge` and `deepCopy` follow nested maps and lists before giving up. Go has no
/// limit and overflows its stack on a map that contains itself; this turns that into an error.
pub const MAX_DEPTH: usize = 1_000;

fn arg(args: &[Value], i: usize) -> &Value {
    static NIL: Value = Value::Nil;
    args.get(i).unwrap_or(&NIL)
}

fn map_of(v: &Value) -> Option<&MapRef> {
    v.as_map()
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// A `map[string]interface{}` sharing `m`, as a function declared to return that type gives
/// back the map it was passed (helm's `Values` type included).
fn as_plain(m: &MapRef) -> Value {
    Value::Map(MapType::Interface, m.clone())
}

/// Sprig's `strval`, which turns `dict` keys into strings: strings as they are, byte slices
/// as text, anything else as `%v` prints it (Stringers through `String()`, nil as `<nil>`).
fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        other => other.format_v(),
    }
}

fn dict(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let mut out = BTreeMap::new();
    for pair in a.chunks(2) {
        let key = strval(&pair[0]);
        let value = pair.get(1).cloned().unwrap_or_else(|| Value::str(""));
        out.insert(key, value);
    }
    Ok(Value::map(out))
}

fn get(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    Ok(map_of(arg(&a, 0))
        .and_then(|m| m.get(str_of(arg(&a, 1))))
        .unwrap_or_else(|| Value::str("")))
}

fn set(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let Some(m) = map_of(arg(&a, 0)) else {
        return Err(FuncError::msg("assignment to entry in nil map"));
    };
    m.insert(str_of(arg(&a, 1)), arg(&a, 2).clone());
    Ok(as_plain(m))
}

// Go returns the nil map it was given for a nil `unset`; without typed nil maps in the value
// model this gives a new empty map, which differs only under `toJson` (`{}` for `null`).
fn unset(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    match map_of(arg(&a, 0)) {
        Some(m) => {
            m.remove(str_of(arg(&a, 1)));
            Ok(as_plain(m))
        }
        None => Ok(Value::empty_map()),
    }
}

fn pluck(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let key = str_of(arg(&a, 0));
    let found = a
        .get(1..)
        .unwrap_or(&[])
        .iter()
        .filter_map(|d| map_of(d).and_then(|m| m.get(key)))
        .collect();
    Ok(Value::list(found))
}

fn keys(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let all: Vec<String> = a.iter().filter_map(map_of).flat_map(|m| m.keys()).collect();
    Ok(Value::str_list(all))
}

fn pick(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let mut out = BTreeMap::new();
    if let Some(m) = map_of(arg(&a, 0)) {
        for k in a.get(1..).unwrap_or(&[]) {
            let k = str_of(k);
            if let Some(v) = m.get(k) {
                out.insert(k.to_string(), v);
            }
        }
    }
    Ok(Value::map(out))
}

fn omit(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let drop: Vec<&str> = a.get(1..).unwrap_or(&[]).iter().map(str_of).collect();
    let out = map_of(arg(&a, 0))
        .map(|m| {
            m.entries()
                .into_iter()
                .filter(|(k, _)| !drop.contains(&k.as_str()))
                .collect()
        })
        .unwrap_or_default();
    Ok(Value::map(out))
}

fn values(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let vals = map_of(arg(&a, 0))
        .map(|m| m.entries().into_iter().map(|(_, v)| v).collect())
        .unwrap_or_default();
    Ok(Value::list(vals))
}

// ---------------------------------------------------------------------------------------------
// merge and mergeOverwrite: dario.cat/mergo v1.0.1 on map[string]interface{}

/// Merges each source into the first map in turn. A nil destination with a non-nil source
/// becomes a new map, as mergo allocates one through the pointer Sprig passes.
fn merge_all(a: Vec<Value>, overwrite: bool) -> FuncResult {
    let mut dst = map_of(arg(&a, 0)).cloned();
    for src in a.iter().skip(1) {
        let Some(src) = map_of(src) else { continue };
        let d = dst.get_or_insert_with(MapRef::default);
        merge_map(d, MapType::Interface, src, MapType::Interface, overwrite, 0)
            .map_err(FuncError::msg)?;
    }
    // A nil destination merged with only nil sources stays a nil map, printed `map[]`.
    Ok(as_plain(&dst.unwrap_or_default()))
}

/// mergo's `isEmptyValue`, looking through interfaces: nil, zero numbers, false, and
/// zero-length strings, slices and maps. Complex numbers and structs never count as empty.
fn mergo_empty(v: &Value) -> bool {
    match v {
        Value::Complex(..) => false,
        Value::Object(o) => matches!(o.kind_name(), "map" | "slice" | "string") && !o.truth(),
        other => !other.truth(),
    }
}

fn is_slice(v: &Value) -> bool {
    matches!(v, Value::List(..) | Value::Bytes(_))
}

/// Stores `v` (taken from a map of type `src_ty`) under `key` in `dst` (of type `dst_ty`),
/// failing where reflect's `SetMapIndex` would panic on an unassignable element type.
fn store(
    dst: &MapRef,
    dst_ty: MapType,
    key: &str,
    v: Value,
    src_ty: MapType,
) -> Result<(), String> {
    if dst_ty == MapType::String {
        let ok = src_ty == MapType::String && matches!(v, Value::String(_));
        if !ok {
            let from = if src_ty == MapType::String {
                v.type_name()
            } else {
                "interface {}".to_string()
            };
            return Err(format!(
                "reflect.Value.SetMapIndex: value of type {from} is not assignable to type string"
            ));
        }
    }
    dst.insert(key, v);
    Ok(())
}

/// mergo's `deepMerge` for a map destination and map source. Nested maps merge in place
/// (the destination's own nested map is kept and changed); everything else follows mergo's
/// rule: without `overwrite` a source value only fills a missing or empty destination value,
/// with it every source value replaces the destination's unless both are non-empty maps.
fn merge_map(
    dst: &MapRef,
    dst_ty: MapType,
    src: &MapRef,
    src_ty: MapType,
    overwrite: bool,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "merge: maps nested more than {MAX_DEPTH} deep (does a map contain itself?)"
        ));
    }
    for (key, s) in src.entries() {
        let d = dst.get(&key);
        if s.is_nil() {
            if overwrite {
                store(dst, dst_ty, &key, Value::Nil, src_ty)?;
            }
            continue;
        }
        match (&s, &d) {
            (Value::Map(sty, sm), Some(Value::Map(dty, dm))) => {
                merge_map(dm, *dty, sm, *sty, overwrite, depth + 1)?;
            }
            (Value::Map(..), Some(Value::Object(o))) if o.kind_name() == "ptr" && !overwrite => {
                return Err("src and dst must be of same type".into());
            }
            _ => {}
        }
        if is_slice(&s) {
            // mergo writes the destination's slice back (or an empty one of the source's
            // type where there was none) before deciding below whether to replace it.
            let keep = match &d {
                Some(v) if !v.is_nil() => v.clone(),
                _ => empty_like(&s),
            };
            let replaced = overwrite || dst.is_empty();
            store(
                dst,
                dst_ty,
                &key,
                if replaced { s.clone() } else { keep },
                src_ty,
            )?;
        }
        // `d` shares any nested map with `dst`, so this sees what the recursion merged in.
        if let Some(dv) = &d {
            if !mergo_empty(dv) && (is_slice(&s) || (s.as_map().is_some() && dv.as_map().is_some()))
            {
                continue;
            }
        }
        if overwrite || d.as_ref().is_none_or(mergo_empty) {
            store(dst, dst_ty, &key, s, src_ty)?;
        }
    }
    Ok(())
}

fn empty_like(v: &Value) -> Value {
    match v {
        Value::Bytes(_) => Value::Bytes(Arc::from(&[][..])),
        Value::List(t, _) => Value::List(*t, Arc::new(Vec::new())),
        _ => Value::list(Vec::new()),
    }
}

// ---------------------------------------------------------------------------------------------
// dig and deepCopy

/// Go's message for a failed type assertion `x.(T)` on an `interface{}`.
fn conversion_error(v: &Value, want: &str) -> FuncError {
    let got = if v.is_nil() {
        "nil".to_string()
    } else {
        v.type_name()
    };
    FuncError::msg(format!(
        "interface conversion: interface {{}} is {got}, not {want}"
    ))
}

/// `dig KEY... DEFAULT MAP`: walks nested `map[string]interface{}` values. The map must be
/// exactly that type (helm's `.Values` is not), and so must every intermediate value.
fn dig(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    if a.len() < 3 {
        return Err(FuncError::msg("dig needs at least three arguments"));
    }
    let plain_map = |v: &Value| match v {
        Value::Map(MapType::Interface, m) => Ok(m.clone()),
        other => Err(conversion_error(other, "map[string]interface {}")),
    };
    let n = a.len();
    let mut dict = plain_map(&a[n - 1])?;
    let default = &a[n - 2];
    let mut path = Vec::with_capacity(n - 2);
    for k in &a[..n - 2] {
        match k {
            Value::String(s) => path.push(s.clone()),
            other => return Err(conversion_error(other, "string")),
        }
    }
    let mut remaining = path.iter().peekable();
    while let Some(k) = remaining.next() {
        let Some(step) = dict.get(k) else {
            return Ok(default.clone());
        };
        if remaining.peek().is_none() {
            return Ok(step);
        }
        dict = plain_map(&step)?;
    }
    Ok(default.clone())
}

/// copystructure's `Copy`: maps and slices are copied all the way down, keeping their types.
fn deep_copy(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let v = arg(&a, 0);
    if v.is_nil() {
        return Err(FuncError::msg(
            "reflect: call of reflect.Value.Type on zero Value",
        ));
    }
    copy_value(v, 0).map_err(FuncError::msg)
}

fn copy_value(v: &Value, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "deepCopy: values nested more than {MAX_DEPTH} deep (does a map contain itself?)"
        ));
    }
    Ok(match v {
        Value::List(t, items) => {
            let copied: Result<Vec<Value>, String> =
                items.iter().map(|x| copy_value(x, depth + 1)).collect();
            Value::List(*t, Arc::new(copied?))
        }
        Value::Map(t, m) => {
            let mut out = BTreeMap::new();
            for (k, x) in m.entries() {
                out.insert(k, copy_value(&x, depth + 1)?);
            }
            Value::Map(*t, MapRef::new(out))
        }
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::{call, TestCtx};
    use super::*;

    fn run(name: &str, args: Vec<Value>) -> FuncResult {
        call(&mut TestCtx::default(), name, args)
    }

    fn out(name: &str, args: Vec<Value>) -> String {
        match run(name, args) {
            Ok(v) => format!("{}:{}", v.type_name(), v.format_v()),
            Err(e) => format!("ERR {e}"),
        }
    }

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    fn d(pairs: Vec<(&str, Value)>) -> Value {
        Value::map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn f(x: f64) -> Value {
        Value::Float(x)
    }

    /// `.Values.m` of the test chart: {a: 1, b: {c: 2}}.
    fn m() -> Value {
        d(vec![("a", f(1.0)), ("b", d(vec![("c", f(2.0))]))])
    }

    // Expected values below come from helm 4.1.4.

    #[test]
    fn building() {
        assert_eq!(out("dict", vec![s("a")]), "map[string]interface {}:map[a:]");
        assert_eq!(
            out(
                "dict",
                vec![Value::Int(1), Value::Int(2), Value::Nil, Value::Int(3)]
            ),
            "map[string]interface {}:map[1:2 <nil>:3]"
        );
        assert_eq!(out("get", vec![m(), s("zz")]), "string:");
        assert_eq!(out("get", vec![Value::Nil, s("a")]), "string:");
        assert_eq!(out("get", vec![m(), s("a")]), "float64:1");
        assert_eq!(out("hasKey", vec![m(), s("a")]), "bool:true");
        assert_eq!(out("hasKey", vec![Value::Nil, s("a")]), "bool:false");
    }

    #[test]
    fn set_mutates_in_place() {
        let values = Value::Map(MapType::Values, MapRef::default());
        let r = run("set", vec![values.clone(), s("x"), Value::Int(1)]).unwrap();
        assert_eq!(r.type_name(), "map[string]interface {}");
        assert_eq!(values.format_v(), "map[x:1]");
        assert_eq!(
            out("set", vec![Value::Nil, s("a"), Value::Int(1)]),
            "ERR assignment to entry in nil map"
        );
        run("unset", vec![values.clone(), s("x")]).unwrap();
        assert_eq!(values.format_v(), "map[]");
        assert_eq!(
            out("unset", vec![Value::Nil, s("a")]),
            "map[string]interface {}:map[]"
        );
    }

    #[test]
    fn selecting() {
        assert_eq!(
            out(
                "pluck",
                vec![s("a"), m(), d(vec![("a", Value::Int(2))]), d(vec![])]
            ),
            "[]interface {}:[1 2]"
        );
        assert_eq!(
            out(
                "keys",
                vec![m(), d(vec![("z", Value::Int(1)), ("a", Value::Int(2))])]
            ),
            "[]string:[a b a z]"
        );
        assert_eq!(out("keys", vec![Value::Nil]), "[]string:[]");
        assert_eq!(
            out("pick", vec![m(), s("a"), s("q")]),
            "map[string]interface {}:map[a:1]"
        );
        assert_eq!(
            out("omit", vec![m(), s("a")]),
            "map[string]interface {}:map[b:map[c:2]]"
        );
        assert_eq!(out("values", vec![m()]), "[]interface {}:[1 map[c:2]]");
        assert_eq!(out("values", vec![Value::Nil]), "[]interface {}:[]");
        assert_eq!(
            out("pick", vec![Value::Nil, s("a")]),
            "map[string]interface {}:map[]"
        );
    }

    #[test]
    fn digging() {
        assert_eq!(out("dig", vec![s("b"), s("c"), s("def"), m()]), "float64:2");
        assert_eq!(
            out("dig", vec![s("zz"), s("c"), s("def"), m()]),
            "string:def"
        );
        assert_eq!(
            out("dig", vec![s("a"), s("c"), s("def"), m()]),
            "ERR interface conversion: interface {} is float64, not map[string]interface {}"
        );
        let values = Value::Map(MapType::Values, MapRef::default());
        assert_eq!(
            out("dig", vec![s("m"), s("def"), values]),
            "ERR interface conversion: interface {} is common.Values, not map[string]interface {}"
        );
        assert_eq!(
            out("dig", vec![s("a"), m()]),
            "ERR dig needs at least three arguments"
        );
        assert_eq!(
            out("dig", vec![Value::Int(1), s("d"), m()]),
            "ERR interface conversion: interface {} is int, not string"
        );
        assert_eq!(
            out("dig", vec![s("a"), s("d"), Value::Nil]),
            "ERR interface conversion: interface {} is nil, not map[string]interface {}"
        );
    }

    #[test]
    fn deep_copies() {
        let msg = "ERR reflect: call of reflect.Value.Type on zero Value";
        assert_eq!(out("deepCopy", vec![Value::Nil]), msg);
        assert_eq!(out("mustDeepCopy", vec![Value::Nil]), msg);
        let values = Value::Map(MapType::Values, MapRef::default());
        let c = run("deepCopy", vec![values.clone()]).unwrap();
        assert_eq!(c.type_name(), "common.Values");
        let orig = m();
        let c = run("deepCopy", vec![orig.clone()]).unwrap();
        run("set", vec![c.clone(), s("a"), Value::Int(9)]).unwrap();
        assert_eq!(orig.format_v(), "map[a:1 b:map[c:2]]");
        // A map that contains itself fails cleanly instead of overflowing the stack.
        let selfish = Value::empty_map();
        run("set", vec![selfish.clone(), s("me"), selfish.clone()]).unwrap();
        assert!(out("deepCopy", vec![selfish.clone()]).starts_with("ERR deepCopy: values nested"));
        // Break the cycle so the test does not leak it.
        run("unset", vec![selfish, s("me")]).unwrap();
    }

    fn json(v: &Value) -> String {
        // A tiny stand-in for toJson, enough to compare merge results.
        match v {
            Value::Map(_, m) => {
                let parts: Vec<String> = m
                    .entries()
                    .iter()
                    .map(|(k, v)| format!("{k:?}:{}", json(v)))
                    .collect();
                format!("{{{}}}", parts.join(","))
            }
            Value::List(_, l) => {
                let parts: Vec<String> = l.iter().map(json).collect();
                format!("[{}]", parts.join(","))
            }
            Value::String(s) => format!("{s:?}"),
            Value::Nil => "null".into(),
            other => other.format_v(),
        }
    }

    fn merged(name: &str, args: Vec<Value>) -> String {
        json(&run(name, args).unwrap())
    }

    #[test]
    fn merge_fills_empty_values() {
        let dst = d(vec![
            ("a", s("")),
            ("b", Value::Int(0)),
            ("c", Value::Bool(false)),
            ("d", Value::list(vec![])),
            ("e", Value::Nil),
            ("f", s("keep")),
        ]);
        let src = d(vec![
            ("a", Value::Int(1)),
            ("b", Value::Int(2)),
            ("c", Value::Bool(true)),
            ("d", Value::list(vec![Value::Int(1)])),
            ("e", Value::Int(5)),
            ("f", s("no")),
            ("g", s("new")),
        ]);
        assert_eq!(
            merged("merge", vec![dst, src]),
            r#"{"a":1,"b":2,"c":true,"d":[1],"e":5,"f":"keep","g":"new"}"#
        );
    }

    #[test]
    fn merge_overwrite_takes_empty_values() {
        let dst = d(vec![
            ("a", s("x")),
            ("b", Value::Int(1)),
            ("c", Value::Bool(true)),
            ("d", Value::list(vec![Value::Int(1)])),
            ("f", s("keep")),
            ("n", d(vec![("q", Value::Int(1))])),
        ]);
        let src = d(vec![
            ("a", s("")),
            ("b", Value::Int(0)),
            ("c", Value::Bool(false)),
            ("d", Value::list(vec![])),
            ("f", Value::Nil),
            ("n", s("s")),
        ]);
        assert_eq!(
            merged("mergeOverwrite", vec![dst, src]),
            r#"{"a":"","b":0,"c":false,"d":[],"f":null,"n":"s"}"#
        );
    }

    #[test]
    fn merge_nested() {
        let dst = d(vec![(
            "n",
            d(vec![
                ("a", Value::Int(1)),
                ("b", d(vec![("x", Value::Int(1))])),
            ]),
        )]);
        let src = d(vec![(
            "n",
            d(vec![
                ("a", Value::Int(2)),
                ("c", Value::Int(3)),
                ("b", d(vec![("y", Value::Int(2))])),
            ]),
        )]);
        run("merge", vec![dst.clone(), src]).unwrap();
        assert_eq!(json(&dst), r#"{"n":{"a":1,"b":{"x":1,"y":2},"c":3}}"#);

        let dst = d(vec![("n", d(vec![("a", Value::Int(1))]))]);
        let src = d(vec![(
            "n",
            d(vec![("a", Value::Int(2)), ("c", Value::Int(3))]),
        )]);
        run("mergeOverwrite", vec![dst.clone(), src]).unwrap();
        assert_eq!(json(&dst), r#"{"n":{"a":2,"c":3}}"#);

        // The destination keeps its own (empty) nested map rather than sharing the source's.
        let src = d(vec![("n", d(vec![("a", Value::Int(2))]))]);
        let r = run(
            "mergeOverwrite",
            vec![d(vec![("n", d(vec![]))]), src.clone()],
        )
        .unwrap();
        let inner = r.as_map().unwrap().get("n").unwrap();
        run("set", vec![inner, s("z"), Value::Int(1)]).unwrap();
        assert_eq!(json(&src), r#"{"n":{"a":2}}"#);
    }

    #[test]
    fn merge_mismatched_kinds() {
        let map_x = || d(vec![("x", Value::Int(1))]);
        let cases = [
            (
                "merge",
                d(vec![("a", map_x())]),
                d(vec![("a", s("str"))]),
                r#"{"a":{"x":1}}"#,
            ),
            (
                "mergeOverwrite",
                d(vec![("a", map_x())]),
                d(vec![("a", s("str"))]),
                r#"{"a":"str"}"#,
            ),
            (
                "merge",
                d(vec![("a", s("str"))]),
                d(vec![("a", map_x())]),
                r#"{"a":"str"}"#,
            ),
            (
                "mergeOverwrite",
                d(vec![("a", s("str"))]),
                d(vec![("a", map_x())]),
                r#"{"a":{"x":1}}"#,
            ),
            (
                "merge",
                d(vec![("a", Value::list(vec![]))]),
                d(vec![("a", Value::list(vec![Value::Int(1)]))]),
                r#"{"a":[1]}"#,
            ),
            (
                "merge",
                d(vec![("a", s("x"))]),
                d(vec![("a", Value::list(vec![Value::Int(1)]))]),
                r#"{"a":"x"}"#,
            ),
        ];
        for (name, dst, src, want) in cases {
            assert_eq!(merged(name, vec![dst, src]), want, "{name}");
        }
    }

    #[test]
    fn merge_nil_destination_and_types() {
        assert_eq!(
            merged("merge", vec![Value::Nil, d(vec![("a", Value::Int(1))])]),
            r#"{"a":1}"#
        );
        assert_eq!(merged("merge", vec![Value::Nil, Value::Nil]), "{}");
        let values = Value::Map(MapType::Values, MapRef::default());
        let r = run(
            "merge",
            vec![values.clone(), d(vec![("zz", Value::Int(1))])],
        )
        .unwrap();
        assert_eq!(r.type_name(), "map[string]interface {}");
        assert_eq!(values.format_v(), "map[zz:1]");
    }
    struct Ptr;
    impl crate::engine::value::Object for Ptr {
        fn type_name(&self) -> &str {
            "*common.Capabilities"
        }
        fn format_v(&self) -> String {
            "&{}".into()
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    #[test]
    fn merge_pointer_into_map_and_back() {
        // helm 4.1.4 with .Capabilities as the pointer.
        let ptr = || Value::object(Ptr);
        let map_x = || d(vec![("x", Value::Int(1))]);
        assert_eq!(
            merged(
                "mustMerge",
                vec![d(vec![("a", map_x())]), d(vec![("a", ptr())])]
            ),
            r#"{"a":{"x":1}}"#
        );
        assert_eq!(
            out(
                "mustMerge",
                vec![d(vec![("a", ptr())]), d(vec![("a", map_x())])]
            ),
            "ERR src and dst must be of same type"
        );
        assert_eq!(
            out(
                "merge",
                vec![d(vec![("a", ptr())]), d(vec![("a", map_x())])]
            ),
            "string:"
        );
        assert_eq!(
            merged(
                "mergeOverwrite",
                vec![d(vec![("a", ptr())]), d(vec![("a", map_x())])]
            ),
            r#"{"a":{"x":1}}"#
        );
    }
}
