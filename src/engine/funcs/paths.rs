//! Template functions: Go's `path` (`base`, `dir`, `clean`, `ext`, `isAbs`) and, as on Linux,
//! `path/filepath` (`osBase`, `osClean`, `osDir`, `osExt`, `osIsAbs`), which there behave the
//! same way: purely lexical, `/`-separated.

use super::Func;
use crate::engine::value::{Ty, Value};
use crate::gofunc;

/// This group's functions.
pub const FUNCS: &[Func] = &[
    gofunc!("base", [Ty::String], |_, a| Ok(Value::str(base(s0(&a))))),
    gofunc!("dir", [Ty::String], |_, a| Ok(Value::str(dir(s0(&a))))),
    gofunc!("clean", [Ty::String], |_, a| Ok(Value::str(clean(s0(&a))))),
    gofunc!("ext", [Ty::String], |_, a| Ok(Value::str(ext(s0(&a))))),
    gofunc!("isAbs", [Ty::String], |_, a| Ok(Value::Bool(
        s0(&a).starts_with('/')
    ))),
    gofunc!("osBase", [Ty::String], |_, a| Ok(Value::str(base(s0(&a))))),
    gofunc!("osClean", [Ty::String], |_, a| Ok(Value::str(clean(s0(
        &a
    ))))),
    gofunc!("osDir", [Ty::String], |_, a| Ok(Value::str(dir(s0(&a))))),
    gofunc!("osExt", [Ty::String], |_, a| Ok(Value::str(ext(s0(&a))))),
    gofunc!("osIsAbs", [Ty::String], |_, a| Ok(Value::Bool(
        s0(&a).starts_with('/')
    ))),
];

fn s0(a: &[Value]) -> &str {
    a.first().and_then(Value::as_str).unwrap_or("")
}

/// Go's `path.Clean`: the shortest equivalent path, by purely lexical processing.
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let p = path.as_bytes();
    let rooted = p[0] == b'/';
    let n = p.len();
    let mut out: Vec<u8> = Vec::with_capacity(n);
    let (mut r, mut dotdot) = (0, 0);
    if rooted {
        out.push(b'/');
        r = 1;
        dotdot = 1;
    }
    while r < n {
        let at = |i: usize| p.get(i).copied();
        if p[r] == b'/' || (p[r] == b'.' && matches!(at(r + 1), None | Some(b'/'))) {
            r += 1;
        } else if p[r] == b'.' && at(r + 1) == Some(b'.') && matches!(at(r + 2), None | Some(b'/'))
        {
            r += 2;
            if out.len() > dotdot {
                // Drop the last element and the slash before it.
                let mut popped = out.pop();
                while out.len() > dotdot && popped != Some(b'/') {
                    popped = out.pop();
                }
            } else if !rooted {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(b"..");
                dotdot = out.len();
            }
        } else {
            if (rooted && out.len() != 1) || (!rooted && !out.is_empty()) {
                out.push(b'/');
            }
            while r < n && p[r] != b'/' {
                out.push(p[r]);
                r += 1;
            }
        }
    }
    if out.is_empty() {
        return ".".into();
    }
    // Only whole runs between slashes were copied, so the bytes are still valid UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Go's `path.Base`: the last element, ignoring trailing slashes; `.` for "" and `/` for
/// all-slash paths.
pub fn base(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let trimmed = path.trim_end_matches('/');
    let last = match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    };
    if last.is_empty() {
        "/".into()
    } else {
        last.into()
    }
}

/// Go's `path.Dir`: everything up to the last slash, cleaned.
pub fn dir(path: &str) -> String {
    let head = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "",
    };
    clean(head)
}

/// Go's `path.Ext`: the suffix from the last dot in the final element, or "".
pub fn ext(path: &str) -> String {
    for (i, c) in path.bytes().enumerate().rev() {
        match c {
            b'/' => break,
            b'.' => return path[i..].to_string(),
            _ => {}
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::super::{call, TestCtx};
    use super::*;

    fn out(name: &str, arg: &str) -> String {
        match call(&mut TestCtx::default(), name, vec![Value::str(arg)]) {
            Ok(v) => v.format_v(),
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn against_helm() {
        // (function, input, helm 4.1.4's output)
        let cases: &[(&str, &str, &str)] = &[
            ("base", "", "."),
            ("base", "/", "/"),
            ("base", "///", "/"),
            ("base", "a/b/", "b"),
            ("base", "a/b.tar.gz", "b.tar.gz"),
            ("base", "héllo/wörld", "wörld"),
            ("dir", "", "."),
            ("dir", "/", "/"),
            ("dir", "a", "."),
            ("dir", "a/b/c", "a/b"),
            ("dir", "/a/../b/", "/b"),
            ("dir", "a//b", "a"),
            ("clean", "", "."),
            ("clean", "a/../../b", "../b"),
            ("clean", "/../a/./b//c/", "/a/b/c"),
            ("clean", "./", "."),
            ("clean", "a/b/../..", "."),
            ("clean", "../../x/..", "../.."),
            ("clean", "...", "..."),
            ("ext", "a/b.tar.gz", ".gz"),
            ("ext", "a.b/c", ""),
            ("ext", "a.", "."),
            ("ext", "", ""),
            ("isAbs", "/a", "true"),
            ("isAbs", "a", "false"),
            ("isAbs", "", "false"),
            ("osBase", "a/b/", "b"),
            ("osDir", "a/b/c", "a/b"),
            ("osClean", "a//b/./c/..", "a/b"),
            ("osExt", "x.yaml", ".yaml"),
            ("osIsAbs", "/x", "true"),
        ];
        for (f, input, want) in cases {
            assert_eq!(out(f, input), *want, "{f} {input:?}");
        }
    }
}
