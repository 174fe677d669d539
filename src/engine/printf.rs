//! Go's `fmt` printing (`Sprint`, `Sprintln`, `Sprintf`) over the engine's [`Value`] model.
//!
//! Templates reach `fmt` through `print`, `printf`, `println`, Sprig's `cat`, `quote` and
//! `squote`, and every error message that embeds a value. The output must match Go byte for
//! byte, including Go's in-band error forms such as `%!d(string=a)` and `%!(EXTRA …)`.

use std::fmt::Write as _;

use super::format::{format_float, shortest_digits, FloatFmt};
use super::value::{SliceType, Value};

const MAX_RUNE: u64 = 0x10FFFF;

/// Go's `fmt.Sprint`: operands printed with `%v`, a space added between two operands only
/// when neither is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut p = Printer::default();
    let mut prev_string = false;
    for (n, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::String(_));
        if n > 0 && !is_string && !prev_string {
            p.buf.push(' ');
        }
        p.print(arg, 'v', 0);
        prev_string = is_string;
    }
    p.buf
}

/// Go's `fmt.Sprintln`: operands printed with `%v`, always space-separated, plus a newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut p = Printer::default();
    for (n, arg) in args.iter().enumerate() {
        if n > 0 {
            p.buf.push(' ');
        }
        p.print(arg, 'v', 0);
    }
    p.buf.push('\n');
    p.buf
}

/// Go's `fmt.Sprintf`, with every verb, flag, width, precision and argument index, and Go's
/// in-band error forms for bad verbs, missing or extra operands.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut p = Printer::default();
    p.do_printf(format, args);
    p.buf
}

/// Go's `strconv.Quote`: a double-quoted Go string literal, with non-printable runes escaped.
pub fn quote(s: &str) -> String {
    quote_bytes(s.as_bytes(), b'"', false)
}

/// Go's `strconv.QuoteToASCII`: like [`quote`], but every non-ASCII rune is escaped too.
pub fn quote_ascii(s: &str) -> String {
    quote_bytes(s.as_bytes(), b'"', true)
}

/// Go's `strconv.FormatFloat(f, fmt, prec, 64)` for the formats `b e E f g G x X`; `prec` -1
/// asks for the fewest digits that round-trip.
pub fn format_float_prec(f: f64, fmt: char, prec: i32) -> String {
    strconv_float(f, fmt, prec)
}

#[derive(Clone, Copy, Default)]
struct Flags {
    wid: usize,
    wid_present: bool,
    prec: usize,
    prec_present: bool,
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
}

#[derive(Default)]
struct Printer {
    buf: String,
    f: Flags,
    reordered: bool,
    good_arg_num: bool,
}

/// Go's `tooLarge`: widths and precisions beyond a million are rejected.
fn too_large(n: i64) -> bool {
    !(-1_000_000..=1_000_000).contains(&n)
}

/// Go's `parsenum` over bytes `s[start..end]`: (number, found, new index).
fn parse_num(s: &[u8], start: usize, end: usize) -> (usize, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let mut num: i64 = 0;
    let mut found = false;
    let mut i = start;
    while i < end && s[i].is_ascii_digit() {
        if too_large(num) {
            return (0, false, end);
        }
        num = num * 10 + i64::from(s[i] - b'0');
        found = true;
        i += 1;
    }
    (num as usize, found, i)
}

/// Go's `parseArgNumber` on the text starting at `[`: (zero-based index, bytes consumed, ok).
fn parse_arg_number(s: &[u8]) -> (i64, usize, bool) {
    if s.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..s.len() {
        if s[i] == b']' {
            let (n, ok, newi) = parse_num(s, 1, i);
            if !ok || newi != i {
                return (0, i + 1, false);
            }
            return (n as i64 - 1, i + 1, true);
        }
    }
    (0, 1, false)
}

/// An integer operand for `*` width or precision, as Go's `intFromArg` accepts it.
fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
    let Some(a) = args.get(arg_num) else {
        return (0, false, arg_num);
    };
    let (mut n, mut ok) = match a {
        Value::Int(i) | Value::Int64(i) => (*i, true),
        Value::Int32(i) => (i64::from(*i), true),
        Value::Uint8(i) => (i64::from(*i), true),
        Value::Uint32(i) => (i64::from(*i), true),
        _ => (0, false),
    };
    if too_large(n) {
        n = 0;
        ok = false;
    }
    (n, ok, arg_num + 1)
}

fn char_at(s: &str, i: usize) -> (char, usize) {
    match s.get(i..).and_then(|t| t.chars().next()) {
        Some(c) => (c, c.len_utf8()),
        None => ('\u{FFFD}', 1),
    }
}

impl Printer {
    fn arg_number(
        &mut self,
        arg_num: usize,
        fmt: &[u8],
        i: usize,
        n_args: usize,
    ) -> (usize, usize, bool) {
        if fmt.len() <= i || fmt[i] != b'[' {
            return (arg_num, i, false);
        }
        self.reordered = true;
        let (index, wid, ok) = parse_arg_number(&fmt[i..]);
        if ok && index >= 0 && (index as usize) < n_args {
            return (index as usize, i + wid, true);
        }
        self.good_arg_num = false;
        (arg_num, i + wid, ok)
    }

    fn do_printf(&mut self, format: &str, args: &[Value]) {
        let fmt = format.as_bytes();
        let end = fmt.len();
        let mut arg_num = 0usize;
        let mut after_index;
        self.reordered = false;
        let mut i = 0usize;
        'format: while i < end {
            self.good_arg_num = true;
            let lasti = i;
            while i < end && fmt[i] != b'%' {
                i += 1;
            }
            if i > lasti {
                self.buf.push_str(&format[lasti..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.f = Flags::default();
            while i < end {
                match fmt[i] {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = true,
                    b'+' => self.f.plus = true,
                    b'-' => self.f.minus = true,
                    b' ' => self.f.space = true,
                    c => {
                        if c.is_ascii_lowercase() && arg_num < args.len() {
                            if c == b'v' {
                                self.f.sharp_v = self.f.sharp;
                                self.f.sharp = false;
                                self.f.plus_v = self.f.plus;
                                self.f.plus = false;
                            }
                            self.print(&args[arg_num], c as char, 0);
                            arg_num += 1;
                            i += 1;
                            continue 'format;
                        }
                        break;
                    }
                }
                i += 1;
            }

            (arg_num, i, after_index) = self.arg_number(arg_num, fmt, i, args.len());

            if i < end && fmt[i] == b'*' {
                i += 1;
                let (w, ok, next) = int_from_arg(args, arg_num);
                arg_num = next;
                self.f.wid_present = ok;
                if !ok {
                    self.buf.push_str("%!(BADWIDTH)");
                }
                if w < 0 {
                    self.f.minus = true;
                    self.f.zero = false;
                }
                self.f.wid = w.unsigned_abs() as usize;
                after_index = false;
            } else {
                let (w, ok, next) = parse_num(fmt, i, end);
                self.f.wid = w;
                self.f.wid_present = ok;
                i = next;
                if after_index && ok {
                    self.good_arg_num = false;
                }
            }

            if i + 1 < end && fmt[i] == b'.' {
                i += 1;
                if after_index {
                    self.good_arg_num = false;
                }
                (arg_num, i, after_index) = self.arg_number(arg_num, fmt, i, args.len());
                if i < end && fmt[i] == b'*' {
                    i += 1;
                    let (p, ok, next) = int_from_arg(args, arg_num);
                    arg_num = next;
                    self.f.prec_present = ok && p >= 0;
                    self.f.prec = if p < 0 { 0 } else { p as usize };
                    if !self.f.prec_present {
                        self.buf.push_str("%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (p, ok, next) = parse_num(fmt, i, end);
                    i = next;
                    self.f.prec = if ok { p } else { 0 };
                    self.f.prec_present = true;
                }
            }

            if !after_index {
                (arg_num, i, _) = self.arg_number(arg_num, fmt, i, args.len());
            }

            if i >= end {
                self.buf.push_str("%!(NOVERB)");
                break;
            }
            let (verb, size) = char_at(format, i);
            i += size;
            if verb == '%' {
                self.buf.push('%');
            } else if !self.good_arg_num {
                let _ = write!(self.buf, "%!{verb}(BADINDEX)");
            } else if arg_num >= args.len() {
                let _ = write!(self.buf, "%!{verb}(MISSING)");
            } else {
                if verb == 'v' {
                    self.f.sharp_v = self.f.sharp;
                    self.f.sharp = false;
                    self.f.plus_v = self.f.plus;
                    self.f.plus = false;
                }
                self.print(&args[arg_num], verb, 0);
                arg_num += 1;
            }
        }

        if !self.reordered && arg_num < args.len() {
            self.f = Flags::default();
            self.buf.push_str("%!(EXTRA ");
            for (n, arg) in args[arg_num..].iter().enumerate() {
                if n > 0 {
                    self.buf.push_str(", ");
                }
                if arg.is_nil() {
                    self.buf.push_str("<nil>");
                } else {
                    self.buf.push_str(&arg.type_name());
                    self.buf.push('=');
                    self.print(arg, 'v', 0);
                }
            }
            self.buf.push(')');
        }
    }

    // ---- padding ----

    fn write_padding(&mut self, n: usize) {
        let c = if self.f.zero && !self.f.minus {
            '0'
        } else {
            ' '
        };
        self.buf.extend(std::iter::repeat_n(c, n));
    }

    fn pad(&mut self, s: &str) {
        if !self.f.wid_present || self.f.wid == 0 {
            self.buf.push_str(s);
            return;
        }
        let width = self.f.wid.saturating_sub(s.chars().count());
        if !self.f.minus {
            self.write_padding(width);
            self.buf.push_str(s);
        } else {
            self.buf.push_str(s);
            self.write_padding(width);
        }
    }

    // ---- dispatch ----

    /// Go's `printArg` (depth 0) and `printValue` (nested) merged: `depth` > 0 means the value
    /// sits inside a slice or map.
    fn print(&mut self, v: &Value, verb: char, depth: usize) {
        if v.is_nil() {
            if depth > 0 {
                if self.f.sharp_v {
                    self.buf.push_str("interface {}(nil)");
                } else {
                    self.buf.push_str("<nil>");
                }
            } else if verb == 'T' || verb == 'v' {
                self.pad("<nil>");
            } else {
                self.bad_verb(verb, v);
            }
            return;
        }
        if depth == 0 {
            match verb {
                'T' => {
                    let t = v.type_name();
                    self.fmt_s(&t);
                    return;
                }
                'p' => {
                    self.fmt_pointer(v, verb);
                    return;
                }
                _ => {}
            }
        }
        match v {
            Value::Missing | Value::Nil => {}
            Value::Bool(b) => {
                if verb == 't' || verb == 'v' {
                    self.pad(if *b { "true" } else { "false" });
                } else {
                    self.bad_verb(verb, v);
                }
            }
            Value::Int(i) | Value::Int64(i) => self.fmt_integer(*i as u64, true, verb, v),
            Value::Int32(i) => self.fmt_integer(i64::from(*i) as u64, true, verb, v),
            Value::Uint8(i) => self.fmt_integer(u64::from(*i), false, verb, v),
            Value::Uint32(i) => self.fmt_integer(u64::from(*i), false, verb, v),
            Value::Float(x) => self.fmt_float(*x, verb, v),
            Value::Complex(r, im) => self.fmt_complex(*r, *im, verb, v),
            Value::String(s) => self.fmt_string(s, verb, v),
            Value::Bytes(b) => {
                self.fmt_bytes(b, verb, if depth == 0 { "[]byte" } else { "[]uint8" }, v)
            }
            Value::List(t, items) => {
                if self.f.sharp_v {
                    self.buf.push_str(t.go_name());
                    self.buf.push('{');
                    for (n, item) in items.iter().enumerate() {
                        if n > 0 {
                            self.buf.push_str(", ");
                        }
                        self.print_elem(item, *t, verb, depth);
                    }
                    self.buf.push('}');
                } else {
                    self.buf.push('[');
                    for (n, item) in items.iter().enumerate() {
                        if n > 0 {
                            self.buf.push(' ');
                        }
                        self.print_elem(item, *t, verb, depth);
                    }
                    self.buf.push(']');
                }
            }
            Value::Map(t, m) => {
                if self.f.sharp_v {
                    self.buf.push_str(t.go_name());
                    self.buf.push('{');
                } else {
                    self.buf.push_str("map[");
                }
                for (n, (k, val)) in m.entries().iter().enumerate() {
                    if n > 0 {
                        if self.f.sharp_v {
                            self.buf.push_str(", ");
                        } else {
                            self.buf.push(' ');
                        }
                    }
                    self.print(&Value::str(k), verb, depth + 1);
                    self.buf.push(':');
                    self.print(val, verb, depth + 1);
                }
                self.buf.push(if self.f.sharp_v { '}' } else { ']' });
            }
            Value::Object(o) => {
                let text = if depth == 0 {
                    o.format_v()
                } else {
                    o.format_nested()
                };
                match verb {
                    'v' | 's' | 'x' | 'X' | 'q' if !self.f.sharp_v => {
                        self.fmt_string(&text, verb, v)
                    }
                    'v' => self.buf.push_str(&text),
                    _ => self.bad_verb(verb, v),
                }
            }
        }
    }

    fn print_elem(&mut self, item: &Value, t: SliceType, verb: char, depth: usize) {
        if t == SliceType::ListOfLists && item.is_nil() {
            // A nil []interface{} inside [][]interface{}.
            if self.f.sharp_v {
                self.buf.push_str("[]interface {}(nil)");
            } else {
                self.buf.push_str("[]");
            }
            return;
        }
        self.print(item, verb, depth + 1);
    }

    fn bad_verb(&mut self, verb: char, v: &Value) {
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        if v.is_nil() {
            self.buf.push_str("<nil>");
        } else {
            self.buf.push_str(&v.type_name());
            self.buf.push('=');
            self.print(v, 'v', 0);
        }
        self.buf.push(')');
    }

    fn fmt_pointer(&mut self, v: &Value, verb: char) {
        let addr = match v {
            Value::Map(_, _) => v.map_addr().unwrap_or(0),
            Value::List(_, l) => std::sync::Arc::as_ptr(l) as *const u8 as usize,
            Value::Bytes(b) => b.as_ptr() as usize,
            Value::Object(o) => std::sync::Arc::as_ptr(o) as *const u8 as usize,
            _ => {
                self.bad_verb(verb, v);
                return;
            }
        };
        let sharp = self.f.sharp;
        self.f.sharp = !sharp;
        self.integer(addr as u64, 16, false, 'v', false);
        self.f.sharp = sharp;
    }

    // ---- integers ----

    fn fmt_integer(&mut self, u: u64, signed: bool, verb: char, v: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v && !signed {
                    let sharp = self.f.sharp;
                    self.f.sharp = true;
                    self.integer(u, 16, false, 'v', false);
                    self.f.sharp = sharp;
                } else {
                    self.integer(u, 10, signed, verb, false);
                }
            }
            'd' => self.integer(u, 10, signed, verb, false),
            'b' => self.integer(u, 2, signed, verb, false),
            'o' | 'O' => self.integer(u, 8, signed, verb, false),
            'x' => self.integer(u, 16, signed, verb, false),
            'X' => self.integer(u, 16, signed, verb, true),
            'c' => {
                let c = rune_of(u);
                let mut tmp = [0u8; 4];
                let s = c.encode_utf8(&mut tmp).to_string();
                self.pad(&s);
            }
            'q' => {
                let c = rune_of(u);
                let mut tmp = [0u8; 4];
                let s = c.encode_utf8(&mut tmp);
                let q = quote_bytes(s.as_bytes(), b'\'', self.f.plus);
                self.pad(&q);
            }
            'U' => self.fmt_unicode(u),
            _ => self.bad_verb(verb, v),
        }
    }

    fn integer(&mut self, u: u64, base: u64, signed: bool, verb: char, upper: bool) {
        let negative = signed && (u as i64) < 0;
        let mut u = if negative {
            (u as i64).wrapping_neg() as u64
        } else {
            u
        };
        let mut prec = 0usize;
        if self.f.prec_present {
            prec = self.f.prec;
            if prec == 0 && u == 0 {
                let old = self.f.zero;
                self.f.zero = false;
                self.write_padding(self.f.wid);
                self.f.zero = old;
                return;
            }
        } else if self.f.zero && !self.f.minus && self.f.wid_present {
            prec = self.f.wid;
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        let digits: &[u8] = if upper {
            b"0123456789ABCDEFX"
        } else {
            b"0123456789abcdefx"
        };
        let mut out: Vec<u8> = Vec::new();
        loop {
            out.push(digits[(u % base) as usize]);
            u /= base;
            if u == 0 {
                break;
            }
        }
        while out.len() < prec {
            out.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => out.extend_from_slice(b"b0"),
                8 if out.last() != Some(&b'0') => out.push(b'0'),
                16 => {
                    out.push(digits[16]);
                    out.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            out.extend_from_slice(b"o0");
        }
        if negative {
            out.push(b'-');
        } else if self.f.plus {
            out.push(b'+');
        } else if self.f.space {
            out.push(b' ');
        }
        out.reverse();
        let s = String::from_utf8(out).unwrap_or_default();
        let old = self.f.zero;
        self.f.zero = false;
        self.pad(&s);
        self.f.zero = old;
    }

    fn fmt_unicode(&mut self, u: u64) {
        let prec = if self.f.prec_present && self.f.prec > 4 {
            self.f.prec
        } else {
            4
        };
        let hex = format!("{u:X}");
        // Built by hand: Rust's formatter rejects widths above 65535, Go's goes to 1e6.
        let mut s = format!("U+{}{hex}", "0".repeat(prec.saturating_sub(hex.len())));
        if self.f.sharp && u <= MAX_RUNE {
            if let Some(c) = char::from_u32(u as u32) {
                if is_print(c) {
                    s.push_str(" '");
                    s.push(c);
                    s.push('\'');
                }
            }
        }
        let old = self.f.zero;
        self.f.zero = false;
        self.pad(&s);
        self.f.zero = old;
    }

    // ---- floats ----

    fn fmt_float(&mut self, x: f64, verb: char, v: &Value) {
        match verb {
            'v' => self.float(x, 'g', -1),
            'b' | 'g' | 'G' | 'x' | 'X' => self.float(x, verb, -1),
            'f' | 'e' | 'E' => self.float(x, verb, 6),
            'F' => self.float(x, 'f', 6),
            _ => self.bad_verb(verb, v),
        }
    }

    fn fmt_complex(&mut self, r: f64, im: f64, verb: char, v: &Value) {
        match verb {
            'v' | 'b' | 'g' | 'G' | 'x' | 'X' | 'f' | 'F' | 'e' | 'E' => {
                let old_plus = self.f.plus;
                self.buf.push('(');
                self.fmt_float(r, verb, v);
                self.f.plus = true;
                self.fmt_float(im, verb, v);
                self.buf.push_str("i)");
                self.f.plus = old_plus;
            }
            _ => self.bad_verb(verb, v),
        }
    }

    fn float(&mut self, x: f64, verb: char, prec: i32) {
        let prec = if self.f.prec_present {
            self.f.prec.min(i32::MAX as usize) as i32
        } else {
            prec
        };
        let body = strconv_float(x, verb, prec);
        let mut num: Vec<u8> = Vec::with_capacity(body.len() + 1);
        if body.starts_with('-') || body.starts_with('+') {
            num.extend_from_slice(body.as_bytes());
        } else {
            num.push(b'+');
            num.extend_from_slice(body.as_bytes());
        }
        if self.f.space && num[0] == b'+' && !self.f.plus {
            num[0] = b' ';
        }
        if num.get(1) == Some(&b'I') || num.get(1) == Some(&b'N') {
            let old = self.f.zero;
            self.f.zero = false;
            let start = if num[1] == b'N' && !self.f.space && !self.f.plus {
                1
            } else {
                0
            };
            let s = String::from_utf8_lossy(&num[start..]).into_owned();
            self.pad(&s);
            self.f.zero = old;
            return;
        }
        if self.f.sharp && verb != 'b' {
            let mut digits: i64 = 0;
            if matches!(verb, 'v' | 'g' | 'G' | 'x') {
                digits = if prec == -1 { 6 } else { i64::from(prec) };
            }
            let mut tail: Vec<u8> = Vec::new();
            let mut has_point = false;
            let mut saw_nonzero = false;
            let mut i = 1;
            while i < num.len() {
                match num[i] {
                    b'.' => has_point = true,
                    b'p' | b'P' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                        break;
                    }
                    b'e' | b'E' if verb != 'x' && verb != 'X' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                        break;
                    }
                    c => {
                        if c != b'0' {
                            saw_nonzero = true;
                        }
                        if saw_nonzero {
                            digits -= 1;
                        }
                    }
                }
                i += 1;
            }
            if !has_point {
                if num.len() == 2 && num[1] == b'0' {
                    digits -= 1;
                }
                num.push(b'.');
            }
            while digits > 0 {
                num.push(b'0');
                digits -= 1;
            }
            num.extend_from_slice(&tail);
        }
        let s = String::from_utf8_lossy(&num).into_owned();
        if self.f.plus || !s.starts_with('+') {
            if self.f.zero && !self.f.minus && self.f.wid_present && self.f.wid > s.len() {
                self.buf.push_str(&s[..1]);
                self.write_padding(self.f.wid - s.len());
                self.buf.push_str(&s[1..]);
                return;
            }
            self.pad(&s);
            return;
        }
        self.pad(&s[1..]);
    }

    // ---- strings and bytes ----

    fn truncate<'a>(&self, s: &'a str) -> &'a str {
        if self.f.prec_present {
            if let Some((i, _)) = s.char_indices().nth(self.f.prec) {
                return &s[..i];
            }
        }
        s
    }

    fn fmt_s(&mut self, s: &str) {
        let t = self.truncate(s);
        self.pad(t);
    }

    fn fmt_q(&mut self, s: &str) {
        let t = self.truncate(s);
        let q = if self.f.sharp && can_backquote(t) {
            format!("`{t}`")
        } else if self.f.plus {
            quote_ascii(t)
        } else {
            quote(t)
        };
        self.pad(&q);
    }

    fn fmt_string(&mut self, s: &str, verb: char, v: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v {
                    self.fmt_q(s)
                } else {
                    self.fmt_s(s)
                }
            }
            's' => self.fmt_s(s),
            'x' => self.fmt_sbx(s.as_bytes(), false),
            'X' => self.fmt_sbx(s.as_bytes(), true),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(verb, v),
        }
    }

    fn fmt_sbx(&mut self, b: &[u8], upper: bool) {
        let digits: &[u8] = if upper {
            b"0123456789ABCDEFX"
        } else {
            b"0123456789abcdefx"
        };
        let mut length = b.len();
        if self.f.prec_present && self.f.prec < length {
            length = self.f.prec;
        }
        let mut width = 2 * length;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if self.f.wid_present {
                self.write_padding(self.f.wid);
            }
            return;
        }
        if self.f.wid_present && self.f.wid > width && !self.f.minus {
            self.write_padding(self.f.wid - width);
        }
        if self.f.sharp {
            self.buf.push('0');
            self.buf.push(digits[16] as char);
        }
        for (i, c) in b.iter().take(length).enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(' ');
                if self.f.sharp {
                    self.buf.push('0');
                    self.buf.push(digits[16] as char);
                }
            }
            self.buf.push(digits[(c >> 4) as usize] as char);
            self.buf.push(digits[(c & 0xF) as usize] as char);
        }
        if self.f.wid_present && self.f.wid > width && self.f.minus {
            self.write_padding(self.f.wid - width);
        }
    }

    fn fmt_bytes(&mut self, b: &[u8], verb: char, type_name: &str, v: &Value) {
        match verb {
            'v' | 'd' => {
                if self.f.sharp_v {
                    self.buf.push_str(type_name);
                    self.buf.push('{');
                    for (i, c) in b.iter().enumerate() {
                        if i > 0 {
                            self.buf.push_str(", ");
                        }
                        let sharp = self.f.sharp;
                        self.f.sharp = true;
                        self.integer(u64::from(*c), 16, false, 'v', false);
                        self.f.sharp = sharp;
                    }
                    self.buf.push('}');
                } else {
                    self.buf.push('[');
                    for (i, c) in b.iter().enumerate() {
                        if i > 0 {
                            self.buf.push(' ');
                        }
                        self.integer(u64::from(*c), 10, false, verb, false);
                    }
                    self.buf.push(']');
                }
            }
            's' => {
                let s = String::from_utf8_lossy(b).into_owned();
                self.fmt_s(&s);
            }
            'x' => self.fmt_sbx(b, false),
            'X' => self.fmt_sbx(b, true),
            'q' => {
                let t: &[u8] = if self.f.prec_present {
                    // Truncation counts runes of the (possibly invalid) UTF-8 text.
                    let mut n = self.f.prec;
                    let mut cut = b.len();
                    let s = String::from_utf8_lossy(b);
                    if s.len() == b.len() {
                        for (i, _) in s.char_indices() {
                            if n == 0 {
                                cut = i;
                                break;
                            }
                            n -= 1;
                        }
                    }
                    &b[..cut]
                } else {
                    b
                };
                let q = match std::str::from_utf8(t) {
                    Ok(s) if self.f.sharp && can_backquote(s) => format!("`{s}`"),
                    _ => quote_bytes(t, b'"', self.f.plus),
                };
                self.pad(&q);
            }
            _ => {
                self.buf.push('[');
                for (i, c) in b.iter().enumerate() {
                    if i > 0 {
                        self.buf.push(' ');
                    }
                    self.fmt_integer(u64::from(*c), false, verb, &Value::Uint8(*c));
                }
                self.buf.push(']');
                let _ = v;
            }
        }
    }
}

fn rune_of(u: u64) -> char {
    if u > MAX_RUNE {
        return '\u{FFFD}';
    }
    char::from_u32(u as u32).unwrap_or('\u{FFFD}')
}

/// Go's `strconv.CanBackquote`.
fn can_backquote(s: &str) -> bool {
    s.chars().all(|c| {
        c != '`' && c != '\u{FEFF}' && (c == '\t' || !((c as u32) < 0x20 || c == '\u{7F}'))
    })
}

/// An approximation of Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols
/// and the ASCII space. Rust's standard library has no general-category table, so format
/// characters and other spaces are listed here; unassigned code points count as printable.
pub fn is_print(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return (0x20..0x7F).contains(&u);
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(u,
        0xAD
        | 0x600..=0x605
        | 0x61C
        | 0x6DD
        | 0x70F
        | 0x890..=0x891
        | 0x8E2
        | 0x180E
        | 0x200B..=0x200F
        | 0x2028..=0x202E
        | 0x2060..=0x2064
        | 0x2066..=0x206F
        | 0xD800..=0xF8FF
        | 0xFDD0..=0xFDEF
        | 0xFEFF
        | 0xFFF0..=0xFFFB
        | 0xFFFE..=0xFFFF
        | 0x110BD
        | 0x110CD
        | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF
        | 0xF0000..=0x10FFFF
    ) && (u & 0xFFFE) != 0xFFFE
}

/// Go's `strconv.Quote`/`QuoteRune` family over possibly invalid UTF-8.
fn quote_bytes(b: &[u8], q: u8, ascii_only: bool) -> String {
    let mut out = String::with_capacity(b.len() + 2);
    out.push(q as char);
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            escape_rune(&mut out, c, q, ascii_only);
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out.push(q as char);
    out
}

fn escape_rune(out: &mut String, c: char, q: u8, ascii_only: bool) {
    if c as u32 == u32::from(q) || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if ascii_only {
        if (c as u32) < 0x80 && is_print(c) {
            out.push(c);
            return;
        }
    } else if is_print(c) {
        out.push(c);
        return;
    }
    match c {
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{C}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{B}' => out.push_str("\\v"),
        _ => {
            let u = c as u32;
            if u < 0x20 || u == 0x7F {
                let _ = write!(out, "\\x{u:02x}");
            } else if u < 0x10000 {
                let _ = write!(out, "\\u{u:04x}");
            } else {
                let _ = write!(out, "\\U{u:08x}");
            }
        }
    }
}

// ---- strconv.FormatFloat ----

/// Rust's formatter panics on precisions above 65535; Go allows up to 1e6. A double's exact
/// decimal expansion ends within 1100 places, so beyond that only zeros follow.
const EXACT_PLACES: usize = 1100;

/// `format!("{:.prec$}", f)` for any `prec`.
fn fixed_prec(f: f64, prec: usize) -> String {
    let mut s = format!("{:.*}", prec.min(EXACT_PLACES), f);
    s.extend(std::iter::repeat_n('0', prec.saturating_sub(EXACT_PLACES)));
    s
}

/// `format!("{:.prec$e}", f)` for any `prec`.
fn exp_prec(f: f64, prec: usize) -> String {
    let s = format!("{:.*e}", prec.min(EXACT_PLACES), f);
    if prec <= EXACT_PLACES {
        return s;
    }
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let zeros = "0".repeat(prec - EXACT_PLACES);
    format!("{mant}{zeros}e{exp}")
}

/// Digits of `|f|` rounded to `sig` significant digits, trailing zeros removed, with the
/// decimal point position (`0.DIGITS × 10^dp`).
fn rounded_digits(f: f64, sig: usize) -> (Vec<u8>, i32) {
    if f == 0.0 {
        return (vec![b'0'], 1);
    }
    let s = exp_prec(f.abs(), sig.saturating_sub(1));
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    (digits, exp + 1)
}

fn push_exp(out: &mut String, e_char: char, exp: i32) {
    out.push(e_char);
    out.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs();
    if e < 10 {
        out.push('0');
    }
    let _ = write!(out, "{e}");
}

fn fmt_e_digits(neg: bool, digits: &[u8], dp: i32, prec: usize, e_char: char) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push(*digits.first().unwrap_or(&b'0') as char);
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(*digits.get(i).unwrap_or(&b'0') as char);
        }
    }
    let exp = if digits == [b'0'] { 0 } else { dp - 1 };
    push_exp(&mut out, e_char, exp);
    out
}

fn fmt_f_digits(neg: bool, digits: &[u8], dp: i32, prec: usize) -> String {
    let mut out = String::new();
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
        for i in 0..prec as i64 {
            let idx = i64::from(dp) + i;
            let d = if idx >= 0 {
                *digits.get(idx as usize).unwrap_or(&b'0')
            } else {
                b'0'
            };
            out.push(d as char);
        }
    }
    out
}

fn strconv_float(f: f64, fmt: char, prec: i32) -> String {
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
    match fmt {
        'b' => {
            let bits = f.to_bits();
            let mut exp = ((bits >> 52) & 0x7FF) as i64;
            let mut mant = bits & ((1u64 << 52) - 1);
            if exp == 0 {
                exp += 1;
            } else {
                mant |= 1u64 << 52;
            }
            exp += -1023 - 52;
            format!(
                "{}{}p{}{}",
                if neg { "-" } else { "" },
                mant,
                if exp >= 0 { "+" } else { "" },
                exp
            )
        }
        'x' | 'X' => fmt_hex_float(f, fmt, prec),
        'e' | 'E' => {
            if prec < 0 {
                let (d, dp) = shortest_digits(f);
                fmt_e_digits(neg, &d, dp, d.len() - 1, fmt)
            } else {
                let s = exp_prec(f.abs(), prec as usize);
                let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
                let mut out = String::new();
                if neg {
                    out.push('-');
                }
                out.push_str(mant);
                push_exp(&mut out, fmt, exp.parse().unwrap_or(0));
                out
            }
        }
        'f' => {
            if prec < 0 {
                let (d, dp) = shortest_digits(f);
                fmt_f_digits(neg, &d, dp, (d.len() as i32 - dp).max(0) as usize)
            } else {
                let body = fixed_prec(f.abs(), prec as usize);
                if neg {
                    format!("-{body}")
                } else {
                    body
                }
            }
        }
        'g' | 'G' => {
            let e_char = if fmt == 'g' { 'e' } else { 'E' };
            if prec < 0 {
                if fmt == 'g' {
                    return format_float(f, FloatFmt::G);
                }
                let (d, dp) = shortest_digits(f);
                let exp = dp - 1;
                let nd = d.len();
                if !(-4..6).contains(&exp) {
                    return fmt_e_digits(neg, &d, dp, nd - 1, e_char);
                }
                return fmt_f_digits(neg, &d, dp, (nd as i32 - dp).max(0) as usize);
            }
            let p = if prec == 0 { 1 } else { prec as usize };
            let (d, dp) = rounded_digits(f, p);
            let nd = d.len();
            let mut eprec = p;
            if eprec > nd && nd as i32 >= dp {
                eprec = nd;
            }
            let exp = dp - 1;
            if exp < -4 || exp >= eprec as i32 {
                let pp = p.min(nd);
                return fmt_e_digits(neg, &d, dp, pp - 1, e_char);
            }
            let pp = if p as i32 > dp { nd } else { p };
            fmt_f_digits(neg, &d, dp, (pp as i32 - dp).max(0) as usize)
        }
        _ => {
            let mut s = String::from("%");
            s.push(fmt);
            s
        }
    }
}

fn fmt_hex_float(f: f64, fmt: char, prec: i32) -> String {
    let bits = f.to_bits();
    let neg = bits >> 63 != 0;
    let mut exp = ((bits >> 52) & 0x7FF) as i64;
    let mut mant = bits & ((1u64 << 52) - 1);
    if exp == 0 {
        exp += 1;
    } else {
        mant |= 1u64 << 52;
    }
    exp -= 1023;
    if mant == 0 {
        exp = 0;
    }
    mant <<= 60 - 52;
    while mant != 0 && mant & (1u64 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if (0..15).contains(&prec) {
        let shift = (prec * 4) as u32;
        let extra = (mant << shift) & ((1u64 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1u64 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1u64 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let hex: &[u8] = if fmt == 'X' {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push('0');
    out.push(fmt);
    out.push((b'0' + ((mant >> 60) & 1) as u8) as char);
    mant <<= 4;
    if prec < 0 && mant != 0 {
        out.push('.');
        while mant != 0 {
            out.push(hex[((mant >> 60) & 15) as usize] as char);
            mant <<= 4;
        }
    } else if prec > 0 {
        out.push('.');
        for _ in 0..prec {
            out.push(hex[((mant >> 60) & 15) as usize] as char);
            mant <<= 4;
        }
    }
    out.push(if fmt == 'X' { 'P' } else { 'p' });
    out.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs();
    if e < 10 {
        out.push('0');
    }
    let _ = write!(out, "{e}");
    out
}

#[cfg(test)]
#[allow(clippy::approx_constant)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn s(v: &str) -> Value {
        Value::str(v)
    }

    #[test]
    fn sprint_spacing() {
        assert_eq!(sprint(&[Value::Int(1), Value::Int(2)]), "1 2");
        assert_eq!(sprint(&[s("a"), Value::Int(1), s("b")]), "a1b");
        assert_eq!(sprintln(&[s("a"), Value::Int(1)]), "a 1\n");
    }

    fn i(n: i64) -> Value {
        Value::Int(n)
    }
    fn f(x: f64) -> Value {
        Value::Float(x)
    }
    fn vmap() -> Value {
        let mut m = BTreeMap::new();
        m.insert("a".to_string(), f(1.0));
        m.insert("b".to_string(), s("x"));
        Value::map(m)
    }
    fn vlist() -> Value {
        Value::list(vec![f(1.0), s("x"), Value::Nil, f(1.5)])
    }

    /// Expected outputs from `helm install --dry-run` (helm 4.1.4) of the same printf calls.
    #[test]
    fn printf_matches_helm() {
        let u8a = Value::Uint8(b'a');
        let strs = Value::str_list(["a", "b"]);
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("%d", vec![f(3.0)], "%!d(float64=3)"),
            ("%s", vec![Value::Nil], "%!s(<nil>)"),
            ("%d", vec![i(1), f(3.0)], "1%!(EXTRA float64=3)"),
            ("%d %d", vec![i(1)], "1 %!d(MISSING)"),
            ("%", vec![i(1)], "%!(NOVERB)%!(EXTRA int=1)"),
            ("%*d", vec![s("x"), i(1)], "%!(BADWIDTH)1"),
            ("%.*d", vec![s("x"), i(1)], "%!(BADPREC)1"),
            ("%[3]d", vec![i(1), i(2)], "%!d(BADINDEX)"),
            ("%[2]d %[1]d", vec![i(1), i(2)], "2 1"),
            (
                "%d",
                vec![vlist()],
                "[%!d(float64=1) %!d(string=x) <nil> %!d(float64=1.5)]",
            ),
            ("%s", vec![vmap()], "map[a:%!s(float64=1) b:x]"),
            (
                "%#v",
                vec![vmap()],
                "map[string]interface {}{\"a\":1, \"b\":\"x\"}",
            ),
            (
                "%#v",
                vec![vlist()],
                "[]interface {}{1, \"x\", interface {}(nil), 1.5}",
            ),
            (
                "%+v|%T|%T",
                vec![vmap(), vmap(), Value::Nil],
                "map[a:1 b:x]|map[string]interface {}|<nil>",
            ),
            (
                "%x|%X|% x|%#x|% #x",
                vec![s("hé"), s("hé"), s("abc"), s("abc"), s("abc")],
                "68c3a9|68C3A9|61 62 63|0x616263|0x61 0x62 0x63",
            ),
            (
                "%q|%+q|%#q|%q",
                vec![s("héllo\n"), s("héllo"), s("a`b"), i(65)],
                "\"héllo\\n\"|\"h\\u00e9llo\"|\"a`b\"|'A'",
            ),
            (
                "%U|%#U|%c|%q",
                vec![i(0x1F600), i(65), i(9731), Value::Int32(120)],
                "U+1F600|U+0041 'A'|☃|'x'",
            ),
            (
                "%e|%E|%f|%F|%g|%G",
                vec![
                    f(1234.5678),
                    f(1234.5678),
                    f(1234.5678),
                    f(1234.5678),
                    f(1234.5678),
                    f(1e-7),
                ],
                "1.234568e+03|1.234568E+03|1234.567800|1234.567800|1234.5678|1E-07",
            ),
            (
                "%.2e|%.0f|%.3g|%10.3f|%-10.3f|%+.2f|% .2f|%010.3f",
                vec![
                    f(1234.5678),
                    f(2.5),
                    f(1234.5678),
                    f(3.14159),
                    f(3.14159),
                    f(3.0),
                    f(3.0),
                    f(-3.14159),
                ],
                "1.23e+03|2|1.23e+03|     3.142|3.142     |+3.00| 3.00|-00003.142",
            ),
            (
                "%b|%o|%O|%#o|%#b|%x|%#X",
                vec![i(5), i(8), i(8), i(8), i(5), i(255), i(255)],
                "101|10|0o10|010|0b101|ff|0XFF",
            ),
            (
                "%08.3d|%-8d|%+d|% d|%x",
                vec![i(42), i(42), i(42), i(42), i(-255)],
                "     042|42      |+42| 42|-ff",
            ),
            (
                "%t|%v|%d",
                vec![Value::Bool(true), Value::Bool(false), Value::Bool(true)],
                "true|false|%!d(bool=true)",
            ),
            (
                "%5s|%-5s|%.2s|%5.1s",
                vec![s("abc"), s("abc"), s("abc"), s("abc")],
                "  abc|abc  |ab|    a",
            ),
            (
                "%v|%d|%s",
                vec![f(1e6), f(1e6), f(1e6)],
                "1e+06|%!d(float64=1e+06)|%!s(float64=1e+06)",
            ),
            (
                "%#g|%#.3g|%#e|%#f|%#.0f",
                vec![f(1.0), f(1.0), f(1.0), f(1.0), f(3.0)],
                "1.00000|1.00|1.000000e+00|1.000000|3.",
            ),
            (
                "%x|%X|%.2x|%b",
                vec![f(1.5), f(-3.75), f(1.0), f(1.0)],
                "0x1.8p+00|-0X1.EP+01|0x1.00p+00|4503599627370496p-52",
            ),
            (
                "%v|%.2f|%+v",
                vec![
                    Value::Complex(0.0, 2.0),
                    Value::Complex(0.0, 2.0),
                    Value::Complex(0.0, 2.0),
                ],
                "(0+2i)|(0.00+2.00i)|(0+2i)",
            ),
            (
                "%d|%x|%s",
                vec![
                    Value::list(vec![i(1), i(2), s("a")]),
                    Value::list(vec![i(10), s("z")]),
                    Value::list(vec![i(1), s("a"), Value::Nil]),
                ],
                "[1 2 %!d(string=a)]|[a 7a]|[%!s(int=1) a <nil>]",
            ),
            ("%v|%s", vec![strs.clone(), strs.clone()], "[a b]|[a b]"),
            (
                "%#v|%q",
                vec![strs.clone(), strs.clone()],
                "[]string{\"a\", \"b\"}|[\"a\" \"b\"]",
            ),
            (
                "%#v|%x|%c|%q|%U",
                vec![
                    u8a.clone(),
                    u8a.clone(),
                    u8a.clone(),
                    u8a.clone(),
                    u8a.clone(),
                ],
                "0x61|61|a|'a'|U+0061",
            ),
            (
                "%5t|%-6v|%06d|%06s|%-06d|",
                vec![
                    Value::Bool(true),
                    Value::Bool(false),
                    i(-42),
                    s("ab"),
                    i(42),
                ],
                " true|false |-00042|0000ab|42    |",
            ),
            ("%.0d|%5.0d|%.d", vec![i(0), i(0), i(0)], "|     |"),
            ("%!|%z", vec![i(1)], "%!!(int=1)|%!z(MISSING)"),
            (
                "%[0]d|%[x]d|%[1]*d",
                vec![i(1), i(2), i(3)],
                "%!d(BADINDEX)|%!d(BADINDEX)|2",
            ),
            ("%[2]*[1]d|%.[2]d", vec![i(12), i(5)], "   12|5"),
            ("%-*d|%*d", vec![i(5), i(1), i(-5), i(2)], "1    |2    "),
            (
                "%.*f|%.*f",
                vec![i(2), f(3.14159), i(-1), f(3.14159)],
                "3.14|%!(BADPREC)3.141590",
            ),
            (
                "%6.2f|%-8.3e|%08.3f|%+08.2f|%08.2f",
                vec![f(3.14159), f(1234.5), f(-3.5), f(3.5), f(3.5)],
                "  3.14|1.234e+03|-003.500|+0003.50|00003.50",
            ),
            (
                "%v|%v|%v",
                vec![f(100000.0), f(1e21), f(0.000001)],
                "100000|1e+21|1e-06",
            ),
            (
                "%g|%g|%.3g|%.10g|%.1g",
                vec![f(100000.0), f(1e21), f(123456.0), f(123456.0), f(0.95)],
                "100000|1e+21|1.23e+05|123456|0.9",
            ),
            (
                "%s|%v|%d",
                vec![Value::Nil, Value::Nil, Value::Nil],
                "%!s(<nil>)|<nil>|%!d(<nil>)",
            ),
            (
                "%5d|%-5x|%05x",
                vec![
                    Value::list(vec![i(1), i(2)]),
                    Value::list(vec![i(10), i(11)]),
                    Value::list(vec![i(10), i(11)]),
                ],
                "[    1     2]|[a     b    ]|[0000a 0000b]",
            ),
            (
                "%q|%q|%q",
                vec![
                    s("\x00\x7f\u{a0}\u{200b}"),
                    s("\u{1F600}\u{2028}"),
                    s("\\\""),
                ],
                "\"\\x00\\x7f\\u00a0\\u200b\"|\"😀\\u2028\"|\"\\\\\\\"\"",
            ),
            (
                "%+q|%x|% X",
                vec![s("\u{1F600}é"), s(""), s("ab")],
                "\"\\U0001f600\\u00e9\"||61 62",
            ),
            (
                "%8.3x|%-8x|%08x|%.1x",
                vec![s("abc"), s("ab"), s("ab"), s("abc")],
                "  616263|6162    |00006162|61",
            ),
            (
                "%.3v|%.1q|%10q",
                vec![s("abcdef"), s("héllo"), s("x")],
                "abc|\"h\"|       \"x\"",
            ),
            (
                "%e|%.3e|%g|%e",
                vec![f(0.0), f(-0.0), f(-0.0), f(1e-300)],
                "0.000000e+00|-0.000e+00|-0|1.000000e-300",
            ),
            (
                "%v %v",
                vec![f(12345678.0), f(0.00001234)],
                "1.2345678e+07 1.234e-05",
            ),
            (
                "%.3f|%.2f|%.1f|%.0f|%.0f",
                vec![f(1.0005), f(1.005), f(0.25), f(0.5), f(1.5)],
                "1.000|1.00|0.2|0|2",
            ),
            (
                "%x|%X|%o|%b|%c",
                vec![i(-1), i(-255), i(-8), i(-5), i(-1)],
                "-1|-FF|-10|-101|\u{FFFD}",
            ),
            (
                "%#v|%#v|%#v|%#v|%#v",
                vec![i(1), f(1.5), s("a"), Value::Bool(true), Value::Nil],
                "1|1.5|\"a\"|true|<nil>",
            ),
            (
                "%08v|%-8v|%8v",
                vec![f(1.5), s("x"), Value::list(vec![i(1), s("ab")])],
                "000001.5|x       |[       1       ab]",
            ),
            (
                "%s",
                vec![Value::list(vec![i(1), f(2.5), Value::Bool(true)])],
                "[%!s(int=1) %!s(float64=2.5) %!s(bool=true)]",
            ),
        ];
        for (fmt, args, want) in cases {
            assert_eq!(sprintf(fmt, &args), want, "format {fmt:?}");
        }
        let nested = Value::list(vec![Value::list(vec![i(1)]), {
            let mut m = BTreeMap::new();
            m.insert("a".to_string(), Value::Nil);
            Value::map(m)
        }]);
        assert_eq!(
            sprintf("%v|%#v", &[nested.clone(), nested]),
            "[[1] map[a:<nil>]]|[]interface {}{[]interface {}{1}, map[string]interface {}{\"a\":interface {}(nil)}}"
        );
        assert_eq!(
            sprint(&[i(1), i(2), s("a"), i(3), Value::Nil, i(4), Value::Nil]),
            "1 2a3 <nil> 4 <nil>"
        );
        assert_eq!(sprintln(&[i(1), s("a"), Value::Nil]), "1 a <nil>\n");
    }
}
