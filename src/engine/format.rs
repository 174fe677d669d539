//! Go's number formatting: `strconv.FormatFloat` in the forms `fmt` and `encoding/json` use.
//!
//! Rust and Go both find the shortest digit string that round-trips; they differ in where they
//! switch to exponent form and how they spell the exponent, which templates observe
//! (`1000000` prints `1e+06` in Go).

/// Which of Go's float formats to produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatFmt {
    /// `strconv.FormatFloat(f, 'g', -1, 64)`, which `%v` uses: exponent form when the decimal
    /// exponent is below -4 or at least 6 (Go's rule for the shortest precision).
    G,
    /// `encoding/json`'s form: `f` when 1e-6 <= |x| < 1e21, else `e` with a short exponent.
    Json,
}

/// The shortest round-trip digits of a finite, non-negative float and its decimal point
/// position: the value is `0.DIGITS × 10^dp`.
pub(crate) fn shortest_digits(f: f64) -> (Vec<u8>, i32) {
    if f == 0.0 {
        return (vec![b'0'], 1);
    }
    // Rust's `{:e}` prints the shortest round-trip digits as `d.ddde±x`.
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mant.bytes().filter(|b| b.is_ascii_digit()).collect();
    (digits, exp + 1)
}

fn fmt_e(neg: bool, digits: &[u8], dp: i32, prec: usize, out: &mut String) {
    if neg {
        out.push('-');
    }
    out.push(digits[0] as char);
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(*digits.get(i).unwrap_or(&b'0') as char);
        }
    }
    out.push('e');
    let exp = if digits == [b'0'] { 0 } else { dp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs();
    if e < 10 {
        out.push('0');
    }
    out.push_str(&e.to_string());
}

fn fmt_f(neg: bool, digits: &[u8], dp: i32, prec: usize, out: &mut String) {
    if neg {
        out.push('-');
    }
    if dp > 0 {
        for i in 0..dp as usize {
            out.push(*digits.get(i).unwrap_or(&b'0') as char);
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 1..=prec as i32 {
            let idx = dp + i - 1;
            let d = if idx >= 0 {
                *digits.get(idx as usize).unwrap_or(&b'0')
            } else {
                b'0'
            };
            out.push(d as char);
        }
    }
}

/// Formats `f` as Go does in the given form.
pub fn format_float(f: f64, form: FloatFmt) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let neg = f.is_sign_negative();
    let (digits, dp) = shortest_digits(f);
    let nd = digits.len();
    let mut out = String::new();
    match form {
        FloatFmt::G => {
            let exp = dp - 1;
            if exp < -4 || exp >= 6 {
                fmt_e(neg, &digits, dp, nd - 1, &mut out);
            } else {
                fmt_f(neg, &digits, dp, (nd as i32 - dp).max(0) as usize, &mut out);
            }
        }
        FloatFmt::Json => {
            let abs = f.abs();
            if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
                fmt_e(neg, &digits, dp, nd - 1, &mut out);
                // encoding/json shortens `e-09` to `e-9`.
                let b = out.as_bytes();
                let n = b.len();
                if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
                    out.remove(n - 2);
                }
            } else {
                fmt_f(neg, &digits, dp, (nd as i32 - dp).max(0) as usize, &mut out);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_g_thresholds() {
        let cases = [
            (3.0, "3"),
            (123456.0, "123456"),
            (1000000.0, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (12345678901234567890.0, "1.2345678901234567e+19"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (0.0, "0"),
            (1e20, "1e+20"),
            (1e100, "1e+100"),
        ];
        for (f, want) in cases {
            assert_eq!(format_float(f, FloatFmt::G), want, "{f}");
        }
    }

    #[test]
    fn json_thresholds() {
        let cases = [
            (3.0, "3"),
            (1000000.0, "1000000"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (0.000001, "0.000001"),
            (0.0000001, "1e-7"),
            (1.5, "1.5"),
            (12345678901234567890.0, "12345678901234567000"),
        ];
        for (f, want) in cases {
            assert_eq!(format_float(f, FloatFmt::Json), want, "{f}");
        }
    }
}
