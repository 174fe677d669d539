//! Template functions: Sprig's reflection helpers (`typeOf`, `typeIs`, `typeIsLike`, `kindOf`,
//! `kindIs`, `deepEqual`), answering with Go's type and kind names.

use super::Func;
use crate::engine::value::{Ty, Value};
use crate::gofunc;

/// This group's functions.
pub const FUNCS: &[Func] = &[
    gofunc!("typeOf", [Ty::Any], |_, a| Ok(Value::str(type_of(&a, 0)))),
    gofunc!("typeIs", [Ty::String, Ty::Any], |_, a| Ok(Value::Bool(
        target(&a) == type_of(&a, 1)
    ))),
    gofunc!("typeIsLike", [Ty::String, Ty::Any], |_, a| {
        let (want, got) = (target(&a), type_of(&a, 1));
        Ok(Value::Bool(
            want == got || got.strip_prefix('*') == Some(want),
        ))
    }),
    gofunc!("kindOf", [Ty::Any], |_, a| Ok(Value::str(kind_of(&a, 0)))),
    gofunc!("kindIs", [Ty::String, Ty::Any], |_, a| Ok(Value::Bool(
        target(&a) == kind_of(&a, 1)
    ))),
    gofunc!("deepEqual", [Ty::Any, Ty::Any], |_, a| {
        let nil = Value::Nil;
        let x = a.first().unwrap_or(&nil);
        let y = a.get(1).unwrap_or(&nil);
        Ok(Value::Bool(x.deep_equal(y)))
    }),
];

fn target(a: &[Value]) -> &str {
    a.first().and_then(Value::as_str).unwrap_or("")
}

/// `%T` of argument `i`: `<nil>` for nil.
fn type_of(a: &[Value], i: usize) -> String {
    a.get(i)
        .map_or_else(|| "<nil>".to_string(), Value::type_name)
}

/// `reflect.ValueOf(x).Kind().String()` of argument `i`: `invalid` for nil.
fn kind_of(a: &[Value], i: usize) -> String {
    a.get(i)
        .map_or_else(|| "invalid".to_string(), Value::kind_name)
}

#[cfg(test)]
mod tests {
    use super::super::{call, TestCtx};
    use super::*;
    use crate::engine::value::{MapRef, MapType};

    fn out(name: &str, args: Vec<Value>) -> String {
        match call(&mut TestCtx::default(), name, args) {
            Ok(v) => v.format_v(),
            Err(e) => format!("ERR {e}"),
        }
    }

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    // Expected values from helm 4.1.4.

    #[test]
    fn names() {
        let values = Value::Map(MapType::Values, MapRef::default());
        assert_eq!(out("typeOf", vec![Value::Nil]), "<nil>");
        assert_eq!(out("kindOf", vec![Value::Nil]), "invalid");
        assert_eq!(out("typeOf", vec![values.clone()]), "common.Values");
        assert_eq!(out("kindOf", vec![values.clone()]), "map");
        assert_eq!(out("typeOf", vec![Value::list(vec![])]), "[]interface {}");
        assert_eq!(out("kindOf", vec![Value::str_list(["a"])]), "slice");
        assert_eq!(out("typeIs", vec![s("int"), Value::Int(1)]), "true");
        assert_eq!(out("typeIs", vec![s("int"), Value::Int64(1)]), "false");
        assert_eq!(out("typeIsLike", vec![s("int"), Value::Int(1)]), "true");
        assert_eq!(out("kindIs", vec![s("map"), values]), "true");
        assert_eq!(out("kindIs", vec![s("invalid"), Value::Nil]), "true");
    }

    #[test]
    fn deep_equal() {
        let one_list = || Value::list(vec![Value::Int(1)]);
        assert_eq!(
            out("deepEqual", vec![Value::Int(1), Value::Float(1.0)]),
            "false"
        );
        assert_eq!(out("deepEqual", vec![one_list(), one_list()]), "true");
        assert_eq!(out("deepEqual", vec![Value::Nil, Value::Nil]), "true");
        let values = Value::Map(MapType::Values, MapRef::default());
        assert_eq!(out("deepEqual", vec![values, Value::empty_map()]), "false");
    }
}
