//! Template functions: Sprig's arithmetic (`add`, `addf`, `max`, `round`, …) and integer
//! sequences (`until`, `untilStep`, `seq`).
//!
//! Sprig converts every operand with spf13/cast (`ToInt64`, `ToFloat64`), which never fails:
//! anything it cannot convert becomes 0. Those conversions are public here so other groups can
//! share the exact semantics. The `*f` functions go through shopspring/decimal, so `addf 0.1
//! 0.2` is exactly `0.3`; a small arbitrary-precision decimal reproduces that.

use crate::engine::jsonnum::JsonNumber;
use rand::Rng;

use super::{Func, FuncCtx, FuncError, FuncResult};
use crate::engine::format::shortest_digits;
use crate::engine::value::{Sig, SliceType, Ty, Value};
use crate::gofunc;

use std::sync::Arc;

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
    gofunc!("add1", [Ty::Any], |_, a| Ok(Value::Int64(
        to_int64(arg(&a, 0)).wrapping_add(1)
    ))),
    vfunc!("add", [], Ty::Any, |_, a| Ok(Value::Int64(
        a.iter().fold(0i64, |acc, v| acc.wrapping_add(to_int64(v)))
    ))),
    gofunc!("sub", [Ty::Any, Ty::Any], |_, a| Ok(Value::Int64(
        to_int64(arg(&a, 0)).wrapping_sub(to_int64(arg(&a, 1)))
    ))),
    gofunc!("div", [Ty::Any, Ty::Any], div),
    gofunc!("mod", [Ty::Any, Ty::Any], modulo),
    vfunc!("mul", [Ty::Any], Ty::Any, |_, a| Ok(Value::Int64(
        a.iter()
            .skip(1)
            .fold(to_int64(arg(&a, 0)), |acc, v| acc.wrapping_mul(to_int64(v)))
    ))),
    gofunc!("randInt", [Ty::Int, Ty::Int], rand_int),
    gofunc!("add1f", [Ty::Any], |_, a| decimal_op(
        arg(&a, 0),
        &[Value::Int(1)],
        Dec::add
    )),
    vfunc!("addf", [], Ty::Any, |_, a| decimal_op(
        &Value::Float(0.0),
        &a,
        Dec::add
    )),
    vfunc!("subf", [Ty::Any], Ty::Any, |_, a| decimal_op(
        arg(&a, 0),
        rest(&a),
        Dec::sub
    )),
    vfunc!("divf", [Ty::Any], Ty::Any, |_, a| decimal_op(
        arg(&a, 0),
        rest(&a),
        Dec::div
    )),
    vfunc!("mulf", [Ty::Any], Ty::Any, |_, a| decimal_op(
        arg(&a, 0),
        rest(&a),
        Dec::mul
    )),
    vfunc!("biggest", [Ty::Any], Ty::Any, max_int),
    vfunc!("max", [Ty::Any], Ty::Any, max_int),
    vfunc!("min", [Ty::Any], Ty::Any, min_int),
    vfunc!("maxf", [Ty::Any], Ty::Any, |_, a| Ok(Value::Float(
        rest(&a)
            .iter()
            .fold(to_float64(arg(&a, 0)), |acc, v| go_max(acc, to_float64(v)))
    ))),
    vfunc!("minf", [Ty::Any], Ty::Any, |_, a| Ok(Value::Float(
        rest(&a)
            .iter()
            .fold(to_float64(arg(&a, 0)), |acc, v| go_min(acc, to_float64(v)))
    ))),
    gofunc!("ceil", [Ty::Any], |_, a| Ok(Value::Float(
        to_float64(arg(&a, 0)).ceil()
    ))),
    gofunc!("floor", [Ty::Any], |_, a| Ok(Value::Float(
        to_float64(arg(&a, 0)).floor()
    ))),
    vfunc!("round", [Ty::Any, Ty::Int], Ty::Float64, round),
    gofunc!("until", [Ty::Int], until),
    gofunc!("untilStep", [Ty::Int, Ty::Int, Ty::Int], until_step),
    vfunc!("seq", [], Ty::Int, seq),
];

/// The most elements `until`, `untilStep` and `seq` will produce: 8 Mi ints are 64 MiB in Go.
pub const MAX_SEQ_LEN: i128 = 8 * 1024 * 1024;

fn arg(args: &[Value], i: usize) -> &Value {
    static NIL: Value = Value::Nil;
    args.get(i).unwrap_or(&NIL)
}

fn rest(args: &[Value]) -> &[Value] {
    args.get(1..).unwrap_or(&[])
}

fn int_arg(args: &[Value], i: usize) -> i64 {
    arg(args, i).as_int().unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// spf13/cast conversions

/// spf13/cast `ToInt64`: integers as they are, floats truncated, strings parsed as Go integer
/// literals (`"010"` is octal, `"0x1F"` hex, `"1.0"` is 1 but `"1.5"` fails), booleans as
/// 0/1; anything unconvertible, including nil, is 0.
pub fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Int32(i) => i64::from(*i),
        Value::Uint8(i) => i64::from(*i),
        Value::Uint32(i) => i64::from(*i),
        Value::Float(f) => go_f64_to_i64(*f),
        Value::String(s) => parse_int_go(trim_zero_decimal(s)).unwrap_or(0),
        Value::Bool(b) => i64::from(*b),
        Value::Object(_) => match JsonNumber::text_of(v) {
            Some(t) => parse_int_go(trim_zero_decimal(t)).unwrap_or(0),
            None => 0,
        },
        _ => 0,
    }
}

/// spf13/cast `ToInt`: the same as [`to_int64`] on a 64-bit platform.
pub fn to_int(v: &Value) -> i64 {
    to_int64(v)
}

/// spf13/cast `ToFloat64`: numbers converted, strings parsed with Go's `strconv.ParseFloat`,
/// booleans as 0/1; anything unconvertible, including nil and out-of-range strings, is 0.
pub fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Int32(i) => f64::from(*i),
        Value::Uint8(i) => f64::from(*i),
        Value::Uint32(i) => f64::from(*i),
        Value::Float(f) => *f,
        Value::String(s) => parse_float_go(s).unwrap_or(0.0),
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Object(_) => JsonNumber::text_of(v)
            .and_then(parse_float_go)
            .unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Go's `int64(f)` as amd64 computes it: truncation, and the "integer indefinite" value
/// (`math.MinInt64`) for NaN and anything out of range.
pub fn go_f64_to_i64(f: f64) -> i64 {
    // 2^63 is exactly representable; anything at or past it does not fit.
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
        i64::MIN
    } else {
        f.trunc() as i64
    }
}

/// cast's `trimZeroDecimal`: `"1.0"` and `"1.00"` lose their all-zero fraction so they parse
/// as integers; `"1.50"`, `"1."` and `".0"`-style inputs are left to fail (`".0"` becomes "").
fn trim_zero_decimal(s: &str) -> &str {
    let b = s.as_bytes();
    let mut found_zero = false;
    for i in (1..=b.len()).rev() {
        match b[i - 1] {
            b'.' => {
                if found_zero {
                    return &s[..i - 1];
                }
            }
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// Go's `underscoreOK`: underscores only between digits, or between a base prefix and a digit.
fn underscore_ok(s: &str) -> bool {
    let mut b = s.as_bytes();
    if let Some(b'+' | b'-') = b.first() {
        b = &b[1..];
    }
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go's `strconv.ParseInt(s, 0, 64)`: an optional sign, then a Go integer literal (`0x`, `0o`,
/// `0b` prefixes, a leading `0` for octal, underscores between digits). `None` on a syntax or
/// range error.
pub fn parse_int_go(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let b = body.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (base, digits): (u64, &[u8]) = if b[0] == b'0' {
        match b.get(1).map(u8::to_ascii_lowercase) {
            Some(b'b') if b.len() >= 3 => (2, &b[2..]),
            Some(b'o') if b.len() >= 3 => (8, &b[2..]),
            Some(b'x') if b.len() >= 3 => (16, &b[2..]),
            _ => (8, &b[1..]),
        }
    } else {
        (10, b)
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    let mut overflow = false;
    for &c in digits {
        let d = match c {
            b'_' => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => u64::from(c - b'0'),
            b'a'..=b'z' | b'A'..=b'Z' => u64::from(c.to_ascii_lowercase() - b'a') + 10,
            _ => return None,
        };
        if d >= base {
            return None;
        }
        match n.checked_mul(base).and_then(|m| m.checked_add(d)) {
            Some(m) => n = m,
            None => overflow = true,
        }
    }
    if underscores && !underscore_ok(body) {
        return None;
    }
    if overflow {
        return None;
    }
    const CUTOFF: u64 = 1 << 63;
    if neg {
        if n > CUTOFF {
            None
        } else {
            Some((n as i64).wrapping_neg())
        }
    } else if n >= CUTOFF {
        None
    } else {
        Some(n as i64)
    }
}

/// Go's `strconv.ParseFloat(s, 64)`: decimal and hexadecimal float literals with optional
/// underscores, and `inf`/`infinity`/`nan` in any case. `None` on a syntax error, and on
/// overflow (where Go returns ±Inf with an error, which cast turns into 0).
pub fn parse_float_go(s: &str) -> Option<f64> {
    if let Some(f) = special_float(s) {
        return Some(f);
    }
    let b = s.as_bytes();
    let mut i = 0;
    let mut neg = false;
    match b.first()? {
        b'+' => i += 1,
        b'-' => {
            neg = true;
            i += 1
        }
        _ => {}
    }
    let hex = i + 2 < b.len() && b[i] == b'0' && b[i + 1].eq_ignore_ascii_case(&b'x');
    if hex {
        i += 2;
    }
    let mut underscores = false;
    let mut sawdot = false;
    let mut sawdigits = false;
    // Hex mantissa state, as Go's readFloat keeps it.
    let mut mant: u64 = 0;
    let mut nd: i64 = 0;
    let mut nd_mant: i64 = 0;
    let mut dp: i64 = 0;
    let mut trunc = false;
    while i < b.len() {
        let c = b[i];
        if c == b'_' {
            underscores = true;
        } else if c == b'.' {
            if sawdot {
                break;
            }
            sawdot = true;
            dp = nd;
        } else if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            sawdigits = true;
            let d = u64::from(if c.is_ascii_digit() {
                c - b'0'
            } else {
                c.to_ascii_lowercase() - b'a' + 10
            });
            if d == 0 && nd == 0 {
                dp -= 1;
            } else {
                nd += 1;
                if nd_mant < 16 {
                    mant = mant * 16 + d;
                    nd_mant += 1;
                } else if d != 0 {
                    trunc = true;
                }
            }
        } else {
            break;
        }
        i += 1;
    }
    if !sawdigits {
        return None;
    }
    if !sawdot {
        dp = nd;
    }
    if hex {
        dp *= 4;
        nd_mant *= 4;
    }
    let exp_char = if hex { b'p' } else { b'e' };
    if i < b.len() && b[i].to_ascii_lowercase() == exp_char {
        i += 1;
        let mut esign = 1;
        match b.get(i) {
            Some(b'+') => i += 1,
            Some(b'-') => {
                i += 1;
                esign = -1
            }
            _ => {}
        }
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let mut e: i64 = 0;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            if b[i] == b'_' {
                underscores = true;
            } else if e < 10000 {
                e = e * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        dp += e * esign;
    } else if hex {
        return None;
    }
    if i != b.len() {
        return None;
    }
    if underscores && !underscore_ok(s) {
        return None;
    }
    if hex {
        let exp = if mant != 0 { dp - nd_mant } else { 0 };
        return hex_float(mant, exp, neg, trunc);
    }
    let cleaned: String = s.chars().filter(|&c| c != '_').collect();
    let f: f64 = cleaned.parse().ok()?;
    if f.is_infinite() {
        return None;
    }
    Some(f)
}

fn special_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let (sign, body) = match lower.as_bytes().first()? {
        b'+' => (1.0, &lower[1..]),
        b'-' => (-1.0, &lower[1..]),
        _ => (1.0, lower.as_str()),
    };
    if body == "inf" || body == "infinity" {
        return Some(sign * f64::INFINITY);
    }
    if lower == "nan" {
        return Some(f64::NAN);
    }
    None
}

/// Go's `atofHex` for float64: `mant × 2^exp`, rounded to nearest even; `None` on overflow.
fn hex_float(mut mant: u64, exp: i64, neg: bool, trunc: bool) -> Option<f64> {
    const MANTBITS: u32 = 52;
    const BIAS: i64 = -1023;
    let max_exp = (1i64 << 11) + BIAS - 2;
    let min_exp = BIAS + 1;
    let mut exp = exp + i64::from(MANTBITS);
    while mant != 0 && mant >> (MANTBITS + 2) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if trunc {
        mant |= 1;
    }
    while mant >> (1 + MANTBITS + 2) != 0 {
        mant = (mant >> 1) | (mant & 1);
        exp += 1;
    }
    while mant > 1 && exp < min_exp - 2 {
        mant = (mant >> 1) | (mant & 1);
        exp += 1;
    }
    let mut round = mant & 3;
    mant >>= 2;
    round |= mant & 1;
    exp += 2;
    if round == 3 {
        mant += 1;
        if mant == 1 << (1 + MANTBITS) {
            mant >>= 1;
            exp += 1;
        }
    }
    if mant >> MANTBITS == 0 {
        exp = BIAS;
    }
    if exp > max_exp {
        return None;
    }
    let mut bits = mant & ((1u64 << MANTBITS) - 1);
    bits |= (((exp - BIAS) & ((1 << 11) - 1)) as u64) << MANTBITS;
    if neg {
        bits |= 1 << 63;
    }
    Some(f64::from_bits(bits))
}

// ---------------------------------------------------------------------------------------------
// Integer arithmetic

const DIVIDE_BY_ZERO: &str = "runtime error: integer divide by zero";

fn div(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let (x, y) = (to_int64(arg(&a, 0)), to_int64(arg(&a, 1)));
    if y == 0 {
        return Err(FuncError::msg(DIVIDE_BY_ZERO));
    }
    Ok(Value::Int64(x.wrapping_div(y)))
}

fn modulo(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let (x, y) = (to_int64(arg(&a, 0)), to_int64(arg(&a, 1)));
    if y == 0 {
        return Err(FuncError::msg(DIVIDE_BY_ZERO));
    }
    Ok(Value::Int64(x.wrapping_rem(y)))
}

fn rand_int(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let (lo, hi) = (int_arg(&a, 0), int_arg(&a, 1));
    let n = hi.wrapping_sub(lo);
    if n <= 0 {
        return Err(FuncError::msg("invalid argument to Intn"));
    }
    let r = ctx.rng().gen_range(0..n);
    Ok(Value::Int(r.wrapping_add(lo)))
}

fn max_int(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let first = to_int64(arg(&a, 0));
    Ok(Value::Int64(
        rest(&a).iter().map(to_int64).fold(first, i64::max),
    ))
}

fn min_int(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let first = to_int64(arg(&a, 0));
    Ok(Value::Int64(
        rest(&a).iter().map(to_int64).fold(first, i64::min),
    ))
}

/// Go's `math.Max`: +Inf beats NaN, NaN beats numbers, +0 beats -0.
fn go_max(x: f64, y: f64) -> f64 {
    if x == f64::INFINITY || y == f64::INFINITY {
        f64::INFINITY
    } else if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x == 0.0 && x == y {
        if x.is_sign_negative() {
            y
        } else {
            x
        }
    } else if x > y {
        x
    } else {
        y
    }
}

/// Go's `math.Min`: -Inf beats NaN, NaN beats numbers, -0 beats +0.
fn go_min(x: f64, y: f64) -> f64 {
    if x == f64::NEG_INFINITY || y == f64::NEG_INFINITY {
        f64::NEG_INFINITY
    } else if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x == 0.0 && x == y {
        if x.is_sign_negative() {
            x
        } else {
            y
        }
    } else if x < y {
        x
    } else {
        y
    }
}

// ---------------------------------------------------------------------------------------------
// round

fn round(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let round_on = match a.get(2) {
        Some(Value::Float(f)) => *f,
        _ => 0.5,
    };
    let val = to_float64(arg(&a, 0));
    let places = int_arg(&a, 1) as f64;
    let pow = go_pow(10.0, places);
    let digit = pow * val;
    // Go's Modf: the fraction keeps the sign of its argument (NaN for infinities).
    let frac = if digit.is_infinite() {
        f64::NAN
    } else {
        digit - digit.trunc()
    };
    let r = if frac >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    Ok(Value::Float(r / pow))
}

/// Go's `math.Pow` for the cases `round` reaches: base 10 and an integral exponent. The result
/// must match Go's bit for bit, so this follows its repeated-squaring scheme rather than libm.
fn go_pow(x: f64, y: f64) -> f64 {
    if y == 0.0 || x == 1.0 {
        return 1.0;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if y.is_infinite() {
        return if (x.abs() < 1.0) == (y > 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if (-128.0..=127.0).contains(&y) && y.fract() == 0.0 {
        let neg = y < 0.0;
        let mut n = y.abs() as u32;
        let mut r = 1.0f64;
        while n > 1 {
            let mut tmp = x;
            let mut c = 1;
            while c <= n / 2 {
                tmp *= tmp;
                c *= 2;
            }
            n -= c;
            r *= tmp;
        }
        for _ in 0..n {
            r *= x;
        }
        return if neg { 1.0 / r } else { r };
    }
    // General integral exponent: successive squaring on the frexp'd base, exponents apart.
    let yi = y.abs().trunc();
    if yi >= 9_223_372_036_854_775_808.0 {
        return if (x.abs() < 1.0) == (y > 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let mut a1 = 1.0f64;
    let mut ae: i64 = 0;
    let (mut x1, mut xe) = frexp(x);
    let mut i = yi as i64;
    while i != 0 {
        if !(-(1 << 12)..=(1 << 12)).contains(&xe) {
            ae += xe;
            break;
        }
        if i & 1 == 1 {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe <<= 1;
        if x1 < 0.5 {
            x1 += x1;
            xe -= 1;
        }
        i >>= 1;
    }
    if y < 0.0 {
        a1 = 1.0 / a1;
        ae = -ae;
    }
    ldexp(a1, ae)
}

/// Go's `math.Frexp` for finite non-zero values: `x = frac × 2^exp`, `0.5 <= |frac| < 1`.
fn frexp(x: f64) -> (f64, i64) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let (mut x, mut e) = (x, 0i64);
    if x.abs() < f64::MIN_POSITIVE {
        x *= (1u64 << 52) as f64;
        e = -52;
    }
    let bits = x.to_bits();
    e += ((bits >> 52) & 0x7ff) as i64 - 1022;
    let bits = (bits & !(0x7ffu64 << 52)) | (1022u64 << 52);
    (f64::from_bits(bits), e)
}

/// Go's `math.Ldexp`: `frac × 2^exp`, with Go's handling of overflow and denormals.
fn ldexp(frac: f64, exp: i64) -> f64 {
    if frac == 0.0 || !frac.is_finite() {
        return frac;
    }
    let (frac, e) = frexp(frac);
    let mut exp = exp + e;
    let bits = frac.to_bits();
    exp += ((bits >> 52) & 0x7ff) as i64 - 1023;
    if exp < -1075 {
        return 0.0f64.copysign(frac);
    }
    if exp > 1023 {
        return if frac < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let mut m = 1.0;
    if exp < -1022 {
        exp += 53;
        m = 1.0 / (1u64 << 53) as f64;
    }
    let bits = (bits & !(0x7ffu64 << 52)) | (((exp + 1023) as u64) << 52);
    m * f64::from_bits(bits)
}

// ---------------------------------------------------------------------------------------------
// Sequences

/// Sprig's `untilStep`, with Go's loop semantics, refusing absurd lengths.
fn until_step_vec(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, FuncError> {
    let count: i128 = if stop < start {
        if step >= 0 {
            0
        } else {
            let span = i128::from(start) - i128::from(stop);
            let step = -i128::from(step);
            (span + step - 1) / step
        }
    } else if step <= 0 {
        0
    } else {
        let span = i128::from(stop) - i128::from(start);
        let step = i128::from(step);
        (span + step - 1) / step
    };
    if count > MAX_SEQ_LEN {
        return Err(FuncError::msg(format!(
            "result is too large: {count} elements (the limit is {MAX_SEQ_LEN})"
        )));
    }
    let mut v = Vec::with_capacity(count as usize);
    let mut i = start;
    for _ in 0..count {
        v.push(i);
        i = i.wrapping_add(step);
    }
    Ok(v)
}

fn int_list(v: Vec<i64>) -> Value {
    Value::List(
        SliceType::Int,
        Arc::new(v.into_iter().map(Value::Int).collect()),
    )
}

fn until(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let count = int_arg(&a, 0);
    let step = if count < 0 { -1 } else { 1 };
    Ok(int_list(until_step_vec(0, count, step)?))
}

fn until_step(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    Ok(int_list(until_step_vec(
        int_arg(&a, 0),
        int_arg(&a, 1),
        int_arg(&a, 2),
    )?))
}

fn seq(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let p: Vec<i64> = a.iter().map(|v| v.as_int().unwrap_or(0)).collect();
    let v = match p.as_slice() {
        [end] => {
            let inc = if *end < 1 { -1 } else { 1 };
            until_step_vec(1, end.wrapping_add(inc), inc)?
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_step_vec(*start, end.wrapping_add(step), step)?
        }
        [start, step, end] => {
            let mut inc = 1;
            if end < start {
                inc = -1;
                if *step > 0 {
                    return Ok(Value::str(""));
                }
            }
            until_step_vec(*start, end.wrapping_add(inc), *step)?
        }
        _ => Vec::new(),
    };
    let strs: Vec<String> = v.iter().map(i64::to_string).collect();
    Ok(Value::str(strs.join(" ")))
}

// ---------------------------------------------------------------------------------------------
// shopspring/decimal arithmetic for the *f functions

fn decimal_op(
    first: &Value,
    others: &[Value],
    op: fn(Dec, Dec) -> Result<Dec, FuncError>,
) -> FuncResult {
    let mut acc = Dec::from_f64(to_float64(first))?;
    for v in others {
        acc = op(acc, Dec::from_f64(to_float64(v))?)?;
    }
    Ok(Value::Float(acc.to_f64()))
}

/// An exact decimal `(-1)^neg × mag × 10^exp`, as shopspring/decimal keeps one. `mag` holds
/// decimal digits, least significant first, without leading zeros (empty for zero).
#[derive(Clone, Debug)]
struct Dec {
    neg: bool,
    mag: Vec<u8>,
    exp: i64,
}

/// The number of digits past the point `Div` keeps (shopspring's `DivisionPrecision`).
const DIVISION_PRECISION: i64 = 16;

impl Dec {
    /// `decimal.NewFromFloat`: the shortest decimal that round-trips to `f`.
    fn from_f64(f: f64) -> Result<Dec, FuncError> {
        if f.is_nan() {
            return Err(FuncError::msg("Cannot create a Decimal from NaN"));
        }
        if f.is_infinite() {
            let s = if f > 0.0 { "+Inf" } else { "-Inf" };
            return Err(FuncError::msg(format!("Cannot create a Decimal from {s}")));
        }
        if f == 0.0 {
            return Ok(Dec {
                neg: false,
                mag: Vec::new(),
                exp: 0,
            });
        }
        let (digits, dp) = shortest_digits(f);
        let mut mag: Vec<u8> = digits.iter().rev().map(|d| d - b'0').collect();
        trim(&mut mag);
        Ok(Dec {
            neg: f < 0.0,
            exp: i64::from(dp) - digits.len() as i64,
            mag,
        })
    }

    /// `Decimal.Float64`: the nearest float64 (ties to even), +0 for zero.
    fn to_f64(&self) -> f64 {
        if self.mag.is_empty() {
            return 0.0;
        }
        let digits: String = self.mag.iter().rev().map(|d| (d + b'0') as char).collect();
        let f: f64 = format!("{digits}e{}", self.exp).parse().unwrap_or(0.0);
        if self.neg {
            -f
        } else {
            f
        }
    }

    /// The magnitude scaled to exponent `exp` (which must not exceed `self.exp`).
    fn mag_at(&self, exp: i64) -> Vec<u8> {
        let shift = (self.exp - exp).max(0) as usize;
        shl10(&self.mag, shift)
    }

    fn add(a: Dec, b: Dec) -> Result<Dec, FuncError> {
        let exp = a.exp.min(b.exp);
        let (ma, mb) = (a.mag_at(exp), b.mag_at(exp));
        let (neg, mag) = if a.neg == b.neg {
            (a.neg, add_mag(&ma, &mb))
        } else if cmp_mag(&ma, &mb) != std::cmp::Ordering::Less {
            (a.neg, sub_mag(&ma, &mb))
        } else {
            (b.neg, sub_mag(&mb, &ma))
        };
        Ok(Dec { neg, mag, exp })
    }

    fn sub(a: Dec, mut b: Dec) -> Result<Dec, FuncError> {
        b.neg = !b.neg;
        Dec::add(a, b)
    }

    fn mul(a: Dec, b: Dec) -> Result<Dec, FuncError> {
        Ok(Dec {
            neg: a.neg != b.neg,
            mag: mul_mag(&a.mag, &b.mag),
            exp: a.exp + b.exp,
        })
    }

    /// `Decimal.Div`: the quotient rounded half away from zero at 16 places.
    fn div(a: Dec, b: Dec) -> Result<Dec, FuncError> {
        if b.mag.is_empty() {
            return Err(FuncError::msg("decimal division by 0"));
        }
        let e = a.exp - b.exp + DIVISION_PRECISION;
        let (num, den) = if e < 0 {
            (a.mag.clone(), shl10(&b.mag, (-e) as usize))
        } else {
            (shl10(&a.mag, e as usize), b.mag.clone())
        };
        let (mut q, r) = divmod_mag(&num, &den);
        let twice_r = add_mag(&r, &r);
        if cmp_mag(&twice_r, &den) != std::cmp::Ordering::Less {
            q = add_mag(&q, &[1]);
        }
        Ok(Dec {
            neg: a.neg != b.neg,
            mag: q,
            exp: -DIVISION_PRECISION,
        })
    }
}

fn trim(v: &mut Vec<u8>) {
    while v.last() == Some(&0) {
        v.pop();
    }
}

fn shl10(v: &[u8], n: usize) -> Vec<u8> {
    if v.is_empty() {
        return Vec::new();
    }
    let mut out = vec![0u8; n];
    out.extend_from_slice(v);
    out
}

fn cmp_mag(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.iter().rev().cmp(b.iter().rev()))
}

fn add_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len().max(b.len()) + 1);
    let mut carry = 0u8;
    for i in 0..a.len().max(b.len()) {
        let s = a.get(i).copied().unwrap_or(0) + b.get(i).copied().unwrap_or(0) + carry;
        out.push(s % 10);
        carry = s / 10;
    }
    if carry > 0 {
        out.push(carry);
    }
    trim(&mut out);
    out
}

/// `a - b` for `a >= b`.
fn sub_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len());
    let mut borrow = 0i8;
    for (i, &da) in a.iter().enumerate() {
        let mut d = da as i8 - b.get(i).copied().unwrap_or(0) as i8 - borrow;
        if d < 0 {
            d += 10;
            borrow = 1;
        } else {
            borrow = 0;
        }
        out.push(d as u8);
    }
    trim(&mut out);
    out
}

fn mul_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    let mut acc = vec![0u32; a.len() + b.len()];
    for (i, &da) in a.iter().enumerate() {
        for (j, &db) in b.iter().enumerate() {
            acc[i + j] += u32::from(da) * u32::from(db);
        }
        // Normalise as we go so the u32 accumulators cannot overflow.
        let mut carry = 0;
        for slot in acc.iter_mut() {
            let s = *slot + carry;
            *slot = s % 10;
            carry = s / 10;
        }
    }
    let mut out: Vec<u8> = acc.into_iter().map(|d| d as u8).collect();
    trim(&mut out);
    out
}

/// Truncating division of magnitudes: `(a / b, a % b)`, `b` non-zero.
fn divmod_mag(a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut q = vec![0u8; a.len()];
    let mut r: Vec<u8> = Vec::new();
    for (i, &d) in a.iter().enumerate().rev() {
        // r = r * 10 + d
        r.insert(0, d);
        trim(&mut r);
        let mut digit = 0u8;
        while cmp_mag(&r, b) != std::cmp::Ordering::Less {
            r = sub_mag(&r, b);
            digit += 1;
        }
        q[i] = digit;
    }
    trim(&mut q);
    (q, r)
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

    #[test]
    fn cast_int64() {
        // Expected values from helm 4.1.4: `add "010" "0x1F" "1.0" ... ` sums to 1048.
        let cases: &[(&str, i64)] = &[
            ("010", 8),
            ("0x1F", 31),
            ("1.0", 1),
            ("1.5", 0),
            ("0b11", 3),
            ("0o7", 7),
            ("1_000", 1000),
            ("-5", -5),
            ("+2", 2),
            (" 3", 0),
            ("1.00", 1),
            ("10.0", 10),
            ("1.", 0),
            (".0", 0),
            ("1e3", 0),
            ("0X1f", 31),
            ("-0x10", -16),
            ("0_10", 8),
            ("9223372036854775808", 0),
            ("-9223372036854775808", i64::MIN),
            ("0", 0),
            ("0x", 0),
            ("", 0),
            ("1__0", 0),
        ];
        for (input, want) in cases {
            assert_eq!(to_int64(&s(input)), *want, "{input}");
        }
        assert_eq!(to_int64(&Value::Bool(true)), 1);
        assert_eq!(to_int64(&Value::Nil), 0);
        assert_eq!(to_int64(&Value::Float(2.9)), 2);
        assert_eq!(to_int64(&Value::Float(1e300)), i64::MIN);
        assert_eq!(to_int64(&Value::Float(-1e300)), i64::MIN);
        assert_eq!(to_int64(&Value::list(vec![])), 0);
    }

    #[test]
    fn cast_float64() {
        // Expected values from helm 4.1.4 via `maxf "<s>"`.
        let cases: &[(&str, f64)] = &[
            ("1_000", 1000.0),
            ("0x1F", 0.0),
            ("0x1p4", 16.0),
            ("0x1.8p1", 3.0),
            ("1e400", 0.0),
            ("1e-400", 0.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e", 0.0),
            ("_1", 0.0),
            ("1__0", 0.0),
            (" 1", 0.0),
            ("0x_1p0", 1.0),
            ("1_.5", 0.0),
            ("01.5", 1.5),
            ("1E+2", 100.0),
            ("+nan", 0.0),
        ];
        for (input, want) in cases {
            assert_eq!(to_float64(&s(input)), *want, "{input}");
        }
        assert_eq!(to_float64(&s("+Inf")), f64::INFINITY);
        assert_eq!(to_float64(&s("infinity")), f64::INFINITY);
        assert!(to_float64(&s("nan")).is_nan());
    }

    #[test]
    fn integer_maths() {
        assert_eq!(
            out("add", vec![Value::Int(1), Value::Float(2.9), s("3")]),
            "int64:6"
        );
        assert_eq!(out("add", vec![]), "int64:0");
        assert_eq!(
            out("add", vec![Value::Int(i64::MAX), Value::Int(1)]),
            format!("int64:{}", i64::MIN)
        );
        assert_eq!(out("div", vec![Value::Int(-7), Value::Int(2)]), "int64:-3");
        assert_eq!(out("mod", vec![Value::Int(-7), Value::Int(2)]), "int64:-1");
        assert_eq!(out("mod", vec![Value::Int(7), Value::Int(-2)]), "int64:1");
        assert_eq!(out("sub", vec![Value::Int(1), s("2")]), "int64:-1");
        assert_eq!(
            out("mul", vec![Value::Int(2), Value::Int(3), Value::Int(4)]),
            "int64:24"
        );
        assert_eq!(out("add1", vec![s("x")]), "int64:1");
        assert_eq!(
            out("div", vec![Value::Int(1), Value::Int(0)]),
            "ERR runtime error: integer divide by zero"
        );
        assert_eq!(
            out("mod", vec![Value::Int(1), Value::Int(0)]),
            "ERR runtime error: integer divide by zero"
        );
        assert_eq!(
            out("div", vec![Value::Int(i64::MIN), Value::Int(-1)]),
            format!("int64:{}", i64::MIN)
        );
        assert_eq!(
            out("max", vec![Value::Int(1), s("5"), Value::Float(3.9)]),
            "int64:5"
        );
        assert_eq!(out("min", vec![Value::Int(1), Value::Int(-2)]), "int64:-2");
        assert_eq!(out("biggest", vec![Value::Int(4)]), "int64:4");
    }

    #[test]
    fn decimal_maths() {
        // Expected values from helm 4.1.4.
        let f = Value::Float;
        assert_eq!(out("addf", vec![f(0.1), f(0.2)]), "float64:0.3");
        assert_eq!(out("addf", vec![]), "float64:0");
        assert_eq!(out("subf", vec![Value::Int(1), f(0.9)]), "float64:0.1");
        assert_eq!(out("mulf", vec![f(1.1), f(1.1)]), "float64:1.21");
        assert_eq!(
            out("divf", vec![Value::Int(1), Value::Int(3)]),
            "float64:0.3333333333333333"
        );
        assert_eq!(
            out("divf", vec![Value::Int(2), Value::Int(3)]),
            "float64:0.6666666666666667"
        );
        assert_eq!(
            out("divf", vec![Value::Int(-2), Value::Int(3)]),
            "float64:-0.6666666666666667"
        );
        assert_eq!(
            out("divf", vec![Value::Int(10), Value::Int(4)]),
            "float64:2.5"
        );
        assert_eq!(out("add1f", vec![f(0.1)]), "float64:1.1");
        assert_eq!(
            out("mulf", vec![Value::Int(-1), Value::Int(0)]),
            "float64:0"
        );
        assert_eq!(out("divf", vec![f(1e-20), Value::Int(3)]), "float64:0");
        assert_eq!(
            out("divf", vec![f(1e20), Value::Int(3)]),
            "float64:3.333333333333333e+19"
        );
        assert_eq!(out("addf", vec![f(1e300), f(1e-300)]), "float64:1e+300");
        assert_eq!(out("subf", vec![Value::Int(5)]), "float64:5");
        assert_eq!(
            out("addf", vec![s("1.5"), Value::Bool(true), s("x")]),
            "float64:2.5"
        );
        assert_eq!(
            out("divf", vec![Value::Int(1), Value::Int(0)]),
            "ERR decimal division by 0"
        );
        assert_eq!(
            out("addf", vec![s("inf")]),
            "ERR Cannot create a Decimal from +Inf"
        );
        assert_eq!(
            out("addf", vec![s("NaN")]),
            "ERR Cannot create a Decimal from NaN"
        );
    }

    #[test]
    fn float_functions() {
        // Expected values from helm 4.1.4.
        let f = Value::Float;
        assert_eq!(out("maxf", vec![Value::Int(1), s("5.5")]), "float64:5.5");
        assert_eq!(out("minf", vec![Value::Int(1), f(-2.5)]), "float64:-2.5");
        assert_eq!(out("maxf", vec![Value::Int(1), s("nan")]), "float64:NaN");
        assert_eq!(out("minf", vec![s("-inf"), Value::Int(1)]), "float64:-Inf");
        assert_eq!(out("maxf", vec![f(-0.0), Value::Int(0)]), "float64:0");
        assert_eq!(out("ceil", vec![f(1.2)]), "float64:2");
        assert_eq!(out("floor", vec![f(-1.2)]), "float64:-2");
        assert_eq!(out("ceil", vec![s("2.5")]), "float64:3");
        let r = |x: Value, p: i64| out("round", vec![x, Value::Int(p)]);
        assert_eq!(r(f(1.2345), 2), "float64:1.23");
        assert_eq!(r(f(1.235), 2), "float64:1.24");
        assert_eq!(r(f(-1.5), 0), "float64:-2");
        assert_eq!(r(f(2.5), 0), "float64:3");
        assert_eq!(r(f(123.456), -1), "float64:120");
        assert_eq!(r(f(1.5), 200), "float64:1.5");
        assert_eq!(r(f(1.5), -200), "float64:0");
        assert_eq!(r(f(1.005), 2), "float64:1");
        assert_eq!(r(f(5.5555), 3), "float64:5.556");
        assert_eq!(
            out("round", vec![f(1.25), Value::Int(1), f(0.3)]),
            "float64:1.3"
        );
    }

    #[test]
    fn random() {
        assert_eq!(
            out("randInt", vec![Value::Int(5), Value::Int(5)]),
            "ERR invalid argument to Intn"
        );
        for _ in 0..20 {
            assert_eq!(out("randInt", vec![Value::Int(1), Value::Int(2)]), "int:1");
        }
    }

    #[test]
    fn sequences() {
        // Expected values from helm 4.1.4.
        let i = Value::Int;
        assert_eq!(out("until", vec![i(5)]), "[]int:[0 1 2 3 4]");
        assert_eq!(out("until", vec![i(-3)]), "[]int:[0 -1 -2]");
        assert_eq!(out("untilStep", vec![i(0), i(10), i(3)]), "[]int:[0 3 6 9]");
        assert_eq!(
            out("untilStep", vec![i(10), i(0), i(-3)]),
            "[]int:[10 7 4 1]"
        );
        assert_eq!(out("untilStep", vec![i(0), i(10), i(0)]), "[]int:[]");
        assert_eq!(out("seq", vec![i(5)]), "string:1 2 3 4 5");
        assert_eq!(out("seq", vec![i(-3)]), "string:1 0 -1 -2 -3");
        assert_eq!(out("seq", vec![i(0)]), "string:1 0");
        assert_eq!(out("seq", vec![i(1), i(3)]), "string:1 2 3");
        assert_eq!(out("seq", vec![i(1), i(2), i(10)]), "string:1 3 5 7 9");
        assert_eq!(out("seq", vec![i(10), i(-2), i(1)]), "string:10 8 6 4 2");
        assert_eq!(out("seq", vec![i(10), i(2), i(1)]), "string:");
        assert_eq!(out("seq", vec![]), "string:");
        assert_eq!(out("seq", vec![i(1), i(2), i(3), i(4)]), "string:");
        assert!(out("until", vec![i(1_000_000_000)]).starts_with("ERR result is too large"));
        assert!(out("untilStep", vec![i(i64::MIN), i(i64::MAX), i(1)])
            .starts_with("ERR result is too large"));
    }
}
