//! Sprig's hash and encoding functions: `sha1sum sha256sum sha512sum adler32sum b64enc b64dec
//! b32enc b32dec`. The decoders return Go's error text as the value, as Sprig does, so they
//! follow Go's decoders to report the same byte offsets.

use base64::Engine as _;
use sha1::Digest as _;

use super::{Func, FuncCtx, FuncResult};
use crate::engine::value::{Ty, Value};
use crate::gofunc;

/// This group's functions.
pub const FUNCS: &[Func] = &[
    gofunc!("sha1sum", [Ty::String], sha1sum),
    gofunc!("sha256sum", [Ty::String], sha256sum),
    gofunc!("sha512sum", [Ty::String], sha512sum),
    gofunc!("adler32sum", [Ty::String], adler32sum),
    gofunc!("b64enc", [Ty::String], b64enc),
    gofunc!("b64dec", [Ty::String], b64dec),
    gofunc!("b32enc", [Ty::String], b32enc),
    gofunc!("b32dec", [Ty::String], b32dec),
];

fn s0(args: &[Value]) -> &str {
    args.first().and_then(Value::as_str).unwrap_or("")
}

fn sha1sum(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::str(hex::encode(sha1::Sha1::digest(
        s0(&args).as_bytes(),
    ))))
}

fn sha256sum(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::str(hex::encode(sha2::Sha256::digest(
        s0(&args).as_bytes(),
    ))))
}

fn sha512sum(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::str(hex::encode(sha2::Sha512::digest(
        s0(&args).as_bytes(),
    ))))
}

fn adler32sum(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    let mut a = adler::Adler32::new();
    a.write_slice(s0(&args).as_bytes());
    Ok(Value::str(a.checksum().to_string()))
}

fn b64enc(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::str(
        base64::engine::general_purpose::STANDARD.encode(s0(&args)),
    ))
}

fn b32enc(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(Value::str(
        data_encoding::BASE32.encode(s0(&args).as_bytes()),
    ))
}

fn bytes_to_value(b: Vec<u8>) -> Value {
    // Go strings may hold invalid UTF-8; ours cannot, so such bytes become U+FFFD.
    match String::from_utf8(b) {
        Ok(s) => Value::str(s),
        Err(e) => Value::str(String::from_utf8_lossy(e.as_bytes())),
    }
}

fn b64dec(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(match go_base64_decode(s0(&args).as_bytes()) {
        Ok(b) => bytes_to_value(b),
        Err(at) => Value::str(format!("illegal base64 data at input byte {at}")),
    })
}

fn b32dec(_: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Ok(match go_base32_decode(s0(&args).as_bytes()) {
        Ok(b) => bytes_to_value(b),
        Err(at) => Value::str(format!("illegal base32 data at input byte {at}")),
    })
}

fn b64_val(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Go's `base64.StdEncoding.DecodeString`: `\r` and `\n` are skipped, padding is required,
/// and an error is the offset Go reports.
fn go_base64_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0usize;
    loop {
        let mut dbuf = [0u32; 4];
        let mut dlen = 4;
        let mut j = 0usize;
        let mut done = false;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if let Some(v) = b64_val(c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if c != b'=' {
                return Err(si - 1);
            }
            // Padding.
            match j {
                0 | 1 => return Err(si - 1),
                2 => {
                    while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(src.len());
                    }
                    if src[si] != b'=' {
                        return Err(si - 1);
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < src.len() {
                return Err(si);
            }
            dlen = j;
            done = true;
            break;
        }
        let val = (dbuf[0] << 18) | (dbuf[1] << 12) | (dbuf[2] << 6) | dbuf[3];
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        match dlen {
            4 => out.extend_from_slice(&bytes),
            3 => out.extend_from_slice(&bytes[..2]),
            2 => out.push(bytes[0]),
            _ => {}
        }
        if done {
            return Ok(out);
        }
    }
}

fn b32_val(c: u8) -> Option<u64> {
    match c {
        b'A'..=b'Z' => Some(u64::from(c - b'A')),
        b'2'..=b'7' => Some(u64::from(c - b'2') + 26),
        _ => None,
    }
}

/// Go's `base32.StdEncoding.DecodeString`: newlines are removed first, padding is required.
fn go_base32_decode(input: &[u8]) -> Result<Vec<u8>, usize> {
    let src: Vec<u8> = input
        .iter()
        .copied()
        .filter(|&c| c != b'\n' && c != b'\r')
        .collect();
    let olen = src.len();
    let mut rest: &[u8] = &src;
    let mut out = Vec::with_capacity(olen / 8 * 5);
    let mut end = false;
    while !rest.is_empty() && !end {
        let mut dbuf = [0u64; 8];
        let mut dlen = 8;
        let mut j = 0usize;
        while j < 8 {
            let Some((&c, tail)) = rest.split_first() else {
                return Err(olen - j);
            };
            rest = tail;
            if c == b'=' && j >= 2 && rest.len() < 8 {
                if rest.len() + j < 7 {
                    return Err(olen);
                }
                for k in 0..(7 - j) {
                    if rest.len() > k && rest[k] != b'=' {
                        return Err(olen - rest.len() + k - 1);
                    }
                }
                dlen = j;
                end = true;
                if matches!(dlen, 1 | 3 | 6) {
                    return Err(olen - rest.len() - 1);
                }
                break;
            }
            match b32_val(c) {
                Some(v) => dbuf[j] = v,
                None => return Err(olen - rest.len() - 1),
            }
            j += 1;
        }
        let val = dbuf.iter().fold(0u64, |acc, &v| (acc << 5) | v);
        let bytes = val.to_be_bytes();
        let n = match dlen {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            2 => 1,
            _ => 0,
        };
        out.extend_from_slice(&bytes[3..3 + n]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::{call, TestCtx};
    use super::*;

    fn run(name: &str, s: &str) -> String {
        let mut ctx = TestCtx::default();
        call(&mut ctx, name, vec![Value::str(s)])
            .map(|v| v.format_v())
            .unwrap_or_default()
    }

    /// Expected values from helm 4.1.4 runs.
    #[test]
    fn matches_helm() {
        let cases = [
            ("b64dec", "YWJj", "abc"),
            ("b64dec", "YWJ", "illegal base64 data at input byte 0"),
            ("b64dec", "Y!Jj", "illegal base64 data at input byte 1"),
            ("b64dec", "YQ==", "a"),
            ("b64dec", "YQ=", "illegal base64 data at input byte 3"),
            ("b64dec", "YQ==x", "illegal base64 data at input byte 4"),
            ("b64dec", "YW\nJj", "abc"),
            ("b64dec", "Y", "illegal base64 data at input byte 0"),
            ("b64dec", "YWJj\r\n", "abc"),
            ("b64dec", "YQ=\n=", "a"),
            ("b32dec", "MFRGG===", "abc"),
            ("b32dec", "MFRGG", "illegal base32 data at input byte 0"),
            ("b32dec", "MFRG!===", "illegal base32 data at input byte 4"),
            ("b32dec", "MFRGG=x=", "illegal base32 data at input byte 5"),
            ("b32dec", "M=======", "illegal base32 data at input byte 1"),
            ("adler32sum", "abc", "38600999"),
            ("b32enc", "abc", "MFRGG==="),
            ("b64enc", "abc", "YWJj"),
            ("sha1sum", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
            (
                "sha256sum",
                "abc",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
        ];
        for (f, input, want) in cases {
            assert_eq!(run(f, input), want, "{f} {input:?}");
        }
        assert!(run("sha512sum", "abc").starts_with("ddaf35a193617aba"));
    }
}
