//! Template functions: Sprig's defaults and flow helpers (`default`, `empty`, `coalesce`, `all`,
//! `any`, `ternary`). `fail` and `required` are helm's and live with its functions.

use super::{Func, FuncResult};
use crate::engine::value::{Sig, Ty, Value};
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
    vfunc!("default", [Ty::Any], Ty::Any, |_, a| Ok(dfault(a))),
    gofunc!("empty", [Ty::Any], |_, a| Ok(Value::Bool(
        a.first().is_none_or(is_empty)
    ))),
    vfunc!("coalesce", [], Ty::Any, |_, a| Ok(a
        .into_iter()
        .find(|v| !is_empty(v))
        .unwrap_or(Value::Nil))),
    vfunc!("all", [], Ty::Any, |_, a| Ok(Value::Bool(
        a.iter().all(|v| !is_empty(v))
    ))),
    vfunc!("any", [], Ty::Any, |_, a| Ok(Value::Bool(
        a.iter().any(|v| !is_empty(v))
    ))),
    gofunc!("ternary", [Ty::Any, Ty::Any, Ty::Bool], ternary),
];

/// Sprig's `empty`: nil, false, zero numbers (complex included) and zero-length strings,
/// slices and maps are empty; structs and non-nil pointers never are.
pub fn is_empty(v: &Value) -> bool {
    // Sprig adapted `empty` from text/template's `isTrue`, and the two still agree on every
    // kind the engine has (objects included: they apply the same rules through `truth`).
    !v.truth()
}

fn dfault(mut a: Vec<Value>) -> Value {
    // `given` is everything after the default; only its first element is looked at.
    if a.len() >= 2 && !is_empty(&a[1]) {
        a.swap_remove(1)
    } else if a.is_empty() {
        Value::Nil
    } else {
        a.swap_remove(0)
    }
}

fn ternary(_: &mut dyn super::FuncCtx, mut a: Vec<Value>) -> FuncResult {
    let cond = matches!(a.get(2), Some(Value::Bool(true)));
    let pick = if cond { 0 } else { 1 };
    if pick < a.len() {
        Ok(a.swap_remove(pick))
    } else {
        Ok(Value::Nil)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{call, TestCtx};
    use super::*;
    use std::collections::BTreeMap;

    fn out(name: &str, args: Vec<Value>) -> String {
        match call(&mut TestCtx::default(), name, args) {
            Ok(v) => format!("{}:{}", v.type_name(), v.format_v()),
            Err(e) => format!("ERR {e}"),
        }
    }

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    #[test]
    fn default_uses_empty() {
        // helm 4.1.4: `default "d"` gives d for nil "" 0 false (list) (dict) 0.0 and with no
        // second argument; `default "d" "x" "y"` gives x.
        for given in [
            Value::Nil,
            s(""),
            Value::Int(0),
            Value::Bool(false),
            Value::list(vec![]),
            Value::empty_map(),
            Value::Float(0.0),
        ] {
            assert_eq!(out("default", vec![s("d"), given]), "string:d");
        }
        assert_eq!(out("default", vec![s("d")]), "string:d");
        assert_eq!(out("default", vec![s("d"), s("x"), s("y")]), "string:x");
        assert_eq!(out("default", vec![s("d"), Value::Int(3)]), "int:3");
    }

    #[test]
    fn empty_rules() {
        // helm 4.1.4: `empty 2i` false, `empty 0i` true, `empty .Values.missing` true.
        assert_eq!(out("empty", vec![Value::Complex(0.0, 2.0)]), "bool:false");
        assert_eq!(out("empty", vec![Value::Complex(0.0, 0.0)]), "bool:true");
        assert_eq!(out("empty", vec![Value::Nil]), "bool:true");
        let mut m = BTreeMap::new();
        m.insert("a".to_string(), Value::Nil);
        assert_eq!(out("empty", vec![Value::map(m)]), "bool:false");
        assert_eq!(out("empty", vec![Value::Uint8(0)]), "bool:true");
    }

    #[test]
    fn coalesce_all_any() {
        // helm 4.1.4: `coalesce 0 "" nil` prints nothing and is <nil>; `coalesce 0 "a" "b"` a;
        // `all` true, `any` false, `all 1 ""` false, `any 0 "a"` true.
        assert_eq!(
            out("coalesce", vec![Value::Int(0), s(""), Value::Nil]),
            "<nil>:<nil>"
        );
        assert_eq!(out("coalesce", vec![]), "<nil>:<nil>");
        assert_eq!(
            out("coalesce", vec![Value::Int(0), s("a"), s("b")]),
            "string:a"
        );
        assert_eq!(out("all", vec![]), "bool:true");
        assert_eq!(out("any", vec![]), "bool:false");
        assert_eq!(out("all", vec![Value::Int(1), s("a")]), "bool:true");
        assert_eq!(out("all", vec![Value::Int(1), s("")]), "bool:false");
        assert_eq!(
            out("any", vec![Value::Int(0), s(""), Value::Nil]),
            "bool:false"
        );
        assert_eq!(out("any", vec![Value::Int(0), s("a")]), "bool:true");
    }

    #[test]
    fn ternary_picks() {
        let args = |b| vec![Value::Int(1), Value::Int(2), Value::Bool(b)];
        assert_eq!(out("ternary", args(true)), "int:1");
        assert_eq!(out("ternary", args(false)), "int:2");
    }
}
