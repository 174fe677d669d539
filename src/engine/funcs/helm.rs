//! helm's own template functions: `include`, `tpl`, `required`, `fail`, `lookup` and
//! `getHostByName`. (helm's serialisation functions live in `serial`.)

use std::net::ToSocketAddrs;

use rand::Rng;

use super::{Func, FuncCtx, FuncError, FuncResult};
use crate::engine::value::{Ty, Value};
use crate::gofunc;

/// This group's functions.
pub const FUNCS: &[Func] = &[
    gofunc!("include", [Ty::String, Ty::Any], include),
    gofunc!("tpl", [Ty::String, Ty::Any], tpl),
    gofunc!("required", [Ty::String, Ty::Any], required),
    gofunc!("fail", [Ty::String], fail),
    gofunc!(
        "lookup",
        [Ty::String, Ty::String, Ty::String, Ty::String],
        lookup
    ),
    gofunc!("getHostByName", [Ty::String], get_host_by_name),
];

fn str_arg(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

fn include(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let data = args.get(1).cloned().unwrap_or(Value::Nil);
    ctx.include(str_arg(&args, 0), data)
}

fn tpl(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let data = args.get(1).cloned().unwrap_or(Value::Nil);
    ctx.tpl(str_arg(&args, 0), data)
}

fn required(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let val = args.get(1).cloned().unwrap_or(Value::Nil);
    let missing = match &val {
        Value::Nil | Value::Missing => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    };
    if !missing {
        return Ok(val);
    }
    if ctx.lint_mode() {
        return Ok(Value::str(""));
    }
    Err(FuncError::Fail(str_arg(&args, 0).to_string()))
}

fn fail(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    if ctx.lint_mode() {
        return Ok(Value::str(""));
    }
    Err(FuncError::Fail(str_arg(&args, 0).to_string()))
}

fn lookup(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let found = ctx.lookup_source().and_then(|src| {
        src.lookup(
            str_arg(&args, 0),
            str_arg(&args, 1),
            str_arg(&args, 2),
            str_arg(&args, 3),
        )
    });
    Ok(found.unwrap_or_else(Value::empty_map))
}

fn get_host_by_name(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    if !ctx.dns_enabled() {
        return Ok(Value::str(""));
    }
    let name = str_arg(&args, 0);
    let addrs: Vec<String> = (name, 0)
        .to_socket_addrs()
        .map(|it| it.map(|a| a.ip().to_string()).collect())
        .unwrap_or_default();
    if addrs.is_empty() {
        // Sprig indexes a random element of an empty list, which panics in Go.
        return Err(FuncError::msg(
            "runtime error: index out of range [0] with length 0",
        ));
    }
    let i = ctx.rng().gen_range(0..addrs.len());
    Ok(Value::str(&addrs[i]))
}

#[cfg(test)]
mod tests {
    use super::super::{call, TestCtx};
    use super::*;

    #[test]
    fn required_passes_zero_and_false() {
        let mut ctx = TestCtx::default();
        let r = call(&mut ctx, "required", vec![Value::str("m"), Value::Int(0)]).unwrap();
        assert!(r.deep_equal(&Value::Int(0)));
        assert!(call(
            &mut ctx,
            "required",
            vec![Value::str("m"), Value::Bool(false)]
        )
        .is_ok());
        match call(&mut ctx, "required", vec![Value::str("m"), Value::str("")]) {
            Err(FuncError::Fail(m)) => assert_eq!(m, "m"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lookup_is_empty_map_and_dns_off() {
        let mut ctx = TestCtx::default();
        let args = vec![
            Value::str("v1"),
            Value::str("Secret"),
            Value::str("ns"),
            Value::str("x"),
        ];
        assert_eq!(call(&mut ctx, "lookup", args).unwrap().format_v(), "map[]");
        let r = call(&mut ctx, "getHostByName", vec![Value::str("localhost")]).unwrap();
        assert_eq!(r.format_v(), "");
    }
}
