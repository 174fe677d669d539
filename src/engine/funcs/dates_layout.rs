//! Go's `time` package formatting and parsing by reference layout (`2006-01-02T15:04:05Z07:00`),
//! its `Duration` text forms, and the civil-calendar arithmetic they need.
//!
//! Go's calendar covers a far wider range of years than chrono's, and Go's `Date` normalises
//! out-of-range fields (month 13 is January of the next year); both are reproduced with plain
//! integer day arithmetic. chrono-tz supplies only the zone offsets and abbreviations.

use chrono::{Offset, TimeZone};
use chrono_tz::{OffsetName, Tz};

/// A time zone as Go's `*time.Location` models it.
#[derive(Clone, Debug, PartialEq)]
pub enum Loc {
    /// `time.UTC`, also the location of the zero `Time`.
    Utc,
    /// `time.Local`. This engine's local zone is UTC (as in helm's usual container).
    Local,
    /// `time.FixedZone(name, offset)`, as parsing creates for an offset or abbreviation that the
    /// local zone does not use.
    Fixed(String, i32),
    /// A zone from the tz database, as `time.LoadLocation` returns.
    Tz(Tz),
}

impl Loc {
    /// The name `Location.String()` gives.
    pub fn name(&self) -> String {
        match self {
            Loc::Utc => "UTC".into(),
            Loc::Local => "Local".into(),
            Loc::Fixed(n, _) => n.clone(),
            Loc::Tz(tz) => tz.name().into(),
        }
    }

    /// The offset east of UTC in seconds and the zone abbreviation in effect at `unix` seconds.
    pub fn lookup(&self, unix: i64) -> (i32, String) {
        match self {
            Loc::Utc | Loc::Local => (0, "UTC".into()),
            Loc::Fixed(n, o) => (*o, n.clone()),
            Loc::Tz(tz) => {
                let clamped = unix.clamp(-8_000_000_000_000, 8_000_000_000_000);
                match chrono::DateTime::from_timestamp(clamped, 0) {
                    Some(utc) => {
                        let off = tz.offset_from_utc_datetime(&utc.naive_utc());
                        let secs = off.fix().local_minus_utc();
                        // tzdata spells zones without a letter abbreviation numerically, as
                        // `+04` or `+0530`; chrono-tz reports no abbreviation for them.
                        let abbr = match off.abbreviation() {
                            Some(a) => a.to_string(),
                            None => {
                                let m = secs.abs() / 60;
                                let sign = if secs < 0 { '-' } else { '+' };
                                if m % 60 == 0 {
                                    format!("{sign}{:02}", m / 60)
                                } else {
                                    format!("{sign}{:02}{:02}", m / 60, m % 60)
                                }
                            }
                        };
                        (secs, abbr)
                    }
                    None => (0, "UTC".into()),
                }
            }
        }
    }
}

/// Go's `time.LoadLocation`: `""` and `"UTC"` are UTC, `"Local"` is the local zone, anything
/// else a tz database name.
pub fn load_location(name: &str) -> Option<Loc> {
    match name {
        "" | "UTC" => Some(Loc::Utc),
        "Local" => Some(Loc::Local),
        other => other.parse::<Tz>().ok().map(Loc::Tz),
    }
}

const SECS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date (any year; month 1..=12).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in(month: i64, year: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The broken-down fields of an instant in some zone.
#[derive(Clone, Debug)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month, 1..=12.
    pub month: u32,
    /// Day of month.
    pub day: u32,
    /// Hour.
    pub hour: u32,
    /// Minute.
    pub min: u32,
    /// Second.
    pub sec: u32,
    /// Nanosecond.
    pub nsec: u32,
    /// Day of week, Sunday = 0.
    pub weekday: u32,
    /// Day of year, 1-based.
    pub yday: u32,
    /// Offset east of UTC in seconds.
    pub offset: i32,
    /// Zone abbreviation (may be empty for a nameless fixed zone).
    pub zone: String,
}

/// Breaks `unix` seconds plus `nsec` into fields in `loc`.
pub fn civil(unix: i64, nsec: u32, loc: &Loc) -> Civil {
    let (offset, zone) = loc.lookup(unix);
    let local = unix.saturating_add(offset as i64);
    let days = local.div_euclid(SECS_PER_DAY);
    let rem = local.rem_euclid(SECS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let yday = (days - days_from_civil(year, 1, 1) + 1) as u32;
    Civil {
        year,
        month,
        day,
        hour: (rem / 3600) as u32,
        min: ((rem % 3600) / 60) as u32,
        sec: (rem % 60) as u32,
        nsec,
        weekday: (days + 4).rem_euclid(7) as u32,
        yday,
        offset,
        zone,
    }
}

/// Go's `time.Date`: normalises overflowing fields, then finds the instant in `loc`. Returns
/// unix seconds and nanoseconds.
#[allow(clippy::too_many_arguments)]
pub fn date(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    min: i64,
    sec: i64,
    nsec: i64,
    loc: &Loc,
) -> (i64, u32) {
    // Far beyond any year a template could mean; keeps the day arithmetic from overflowing.
    const LIM: i64 = 1 << 40;
    let (year, month, day) = (
        year.clamp(-LIM, LIM),
        month.clamp(-LIM, LIM),
        day.clamp(-LIM, LIM),
    );
    let (hour, min, sec) = (
        hour.clamp(-LIM, LIM),
        min.clamp(-LIM, LIM),
        sec.clamp(-LIM, LIM),
    );
    let m0 = month - 1;
    let year = year + m0.div_euclid(12);
    let month = m0.rem_euclid(12) + 1;
    let sec = sec + nsec.div_euclid(1_000_000_000);
    let nsec = nsec.rem_euclid(1_000_000_000) as u32;
    let days = days_from_civil(year, month, 1) + (day - 1);
    let local = days * SECS_PER_DAY + hour * 3600 + min * 60 + sec;
    // Go looks the offset up at the local time taken as UTC, then once more after adjusting.
    let (off1, _) = loc.lookup(local);
    let unix = local - off1 as i64;
    let (off2, _) = loc.lookup(unix);
    let unix = if off2 != off1 {
        let alt = local - off2 as i64;
        if loc.lookup(alt).0 == off2 {
            alt
        } else {
            unix
        }
    } else {
        unix
    };
    (unix, nsec)
}

pub(crate) const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
pub(crate) const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    Tz,
    Iso8601Tz,
    Iso8601SecondsTz,
    Iso8601ShortTz,
    Iso8601ColonTz,
    Iso8601ColonSecondsTz,
    NumTz,
    NumSecondsTz,
    NumShortTz,
    NumColonTz,
    NumColonSecondsTz,
    /// Fractional seconds: `.000` (fixed width) or `.999` (trailing zeros trimmed), with the
    /// digit count and the separator.
    Frac(bool, usize, u8),
}

fn starts_lower(s: &[u8]) -> bool {
    s.first().is_some_and(u8::is_ascii_lowercase)
}

/// Splits `layout` at its first layout element: (literal prefix, element and its text, rest).
fn next_chunk(layout: &str) -> (&str, Option<(Std, &str)>, &str) {
    let b = layout.as_bytes();
    let at = |i: usize, s: &str| b.len() >= i + s.len() && &b[i..i + s.len()] == s.as_bytes();
    let hit = |i: usize, len: usize, std: Std| {
        (
            &layout[..i],
            Some((std, &layout[i..i + len])),
            &layout[i + len..],
        )
    };
    for i in 0..b.len() {
        match b[i] {
            b'J' if at(i, "Jan") => {
                if at(i, "January") {
                    return hit(i, 7, Std::LongMonth);
                }
                if !starts_lower(&b[i + 3..]) {
                    return hit(i, 3, Std::Month);
                }
            }
            b'M' if b.len() >= i + 3 => {
                if at(i, "Mon") {
                    if at(i, "Monday") {
                        return hit(i, 6, Std::LongWeekDay);
                    }
                    if !starts_lower(&b[i + 3..]) {
                        return hit(i, 3, Std::WeekDay);
                    }
                }
                if at(i, "MST") {
                    return hit(i, 3, Std::Tz);
                }
            }
            b'0' => {
                if b.len() >= i + 2 && (b'1'..=b'6').contains(&b[i + 1]) {
                    let std = [
                        Std::ZeroMonth,
                        Std::ZeroDay,
                        Std::ZeroHour12,
                        Std::ZeroMinute,
                        Std::ZeroSecond,
                        Std::Year,
                    ][(b[i + 1] - b'1') as usize];
                    return hit(i, 2, std);
                }
                if at(i, "002") {
                    return hit(i, 3, Std::ZeroYearDay);
                }
            }
            b'1' => {
                if b.len() >= i + 2 && b[i + 1] == b'5' {
                    return hit(i, 2, Std::Hour);
                }
                return hit(i, 1, Std::NumMonth);
            }
            b'2' => {
                if at(i, "2006") {
                    return hit(i, 4, Std::LongYear);
                }
                return hit(i, 1, Std::Day);
            }
            b'_' => {
                if b.len() >= i + 2 && b[i + 1] == b'2' {
                    if at(i + 1, "2006") {
                        return (
                            &layout[..i + 1],
                            Some((Std::LongYear, &layout[i + 1..i + 5])),
                            &layout[i + 5..],
                        );
                    }
                    return hit(i, 2, Std::UnderDay);
                }
                if at(i, "__2") {
                    return hit(i, 3, Std::UnderYearDay);
                }
            }
            b'3' => return hit(i, 1, Std::Hour12),
            b'4' => return hit(i, 1, Std::Minute),
            b'5' => return hit(i, 1, Std::Second),
            b'P' if b.len() >= i + 2 && b[i + 1] == b'M' => return hit(i, 2, Std::PM),
            b'p' if b.len() >= i + 2 && b[i + 1] == b'm' => return hit(i, 2, Std::Pm),
            b'-' => {
                for (s, std) in [
                    ("-070000", Std::NumSecondsTz),
                    ("-07:00:00", Std::NumColonSecondsTz),
                    ("-0700", Std::NumTz),
                    ("-07:00", Std::NumColonTz),
                    ("-07", Std::NumShortTz),
                ] {
                    if at(i, s) {
                        return hit(i, s.len(), std);
                    }
                }
            }
            b'Z' => {
                for (s, std) in [
                    ("Z070000", Std::Iso8601SecondsTz),
                    ("Z07:00:00", Std::Iso8601ColonSecondsTz),
                    ("Z0700", Std::Iso8601Tz),
                    ("Z07:00", Std::Iso8601ColonTz),
                    ("Z07", Std::Iso8601ShortTz),
                ] {
                    if at(i, s) {
                        return hit(i, s.len(), std);
                    }
                }
            }
            c @ (b'.' | b',') if i + 1 < b.len() && (b[i + 1] == b'0' || b[i + 1] == b'9') => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == ch {
                    j += 1;
                }
                if !(j < b.len() && b[j].is_ascii_digit()) {
                    return hit(i, j - i, Std::Frac(ch == b'9', j - (i + 1), c));
                }
            }
            _ => {}
        }
    }
    (layout, None, "")
}

fn push_int(out: &mut String, x: i64, width: usize) {
    if x < 0 {
        out.push('-');
    }
    let s = x.unsigned_abs().to_string();
    for _ in s.len()..width {
        out.push('0');
    }
    out.push_str(&s);
}

fn push_nano(out: &mut String, nsec: u32, trim: bool, n: usize, sep: u8) {
    if trim && (n == 0 || nsec == 0) {
        return;
    }
    let digits = format!("{nsec:09}");
    let mut frac = digits[..n.min(9)].to_string();
    if trim {
        while frac.ends_with('0') {
            frac.pop();
        }
        if frac.is_empty() {
            return;
        }
    }
    out.push(sep as char);
    out.push_str(&frac);
}

/// Go's `Time.Format(layout)` for the given fields.
pub fn format(c: &Civil, layout: &str) -> String {
    let mut out = String::new();
    let mut rest = layout;
    loop {
        let (prefix, std, suffix) = next_chunk(rest);
        out.push_str(prefix);
        let Some((std, _)) = std else { break };
        rest = suffix;
        match std {
            Std::Year => push_int(&mut out, c.year % 100, 2),
            Std::LongYear => push_int(&mut out, c.year, 4),
            Std::Month => out.push_str(&LONG_MONTHS[(c.month - 1) as usize][..3]),
            Std::LongMonth => out.push_str(LONG_MONTHS[(c.month - 1) as usize]),
            Std::NumMonth => push_int(&mut out, c.month as i64, 0),
            Std::ZeroMonth => push_int(&mut out, c.month as i64, 2),
            Std::WeekDay => out.push_str(&LONG_DAYS[c.weekday as usize][..3]),
            Std::LongWeekDay => out.push_str(LONG_DAYS[c.weekday as usize]),
            Std::Day => push_int(&mut out, c.day as i64, 0),
            Std::UnderDay => {
                if c.day < 10 {
                    out.push(' ');
                }
                push_int(&mut out, c.day as i64, 0);
            }
            Std::ZeroDay => push_int(&mut out, c.day as i64, 2),
            Std::UnderYearDay => {
                if c.yday < 100 {
                    out.push(' ');
                    if c.yday < 10 {
                        out.push(' ');
                    }
                }
                push_int(&mut out, c.yday as i64, 0);
            }
            Std::ZeroYearDay => push_int(&mut out, c.yday as i64, 3),
            Std::Hour => push_int(&mut out, c.hour as i64, 2),
            Std::Hour12 | Std::ZeroHour12 => {
                let h = match c.hour % 12 {
                    0 => 12,
                    h => h,
                };
                push_int(&mut out, h as i64, if std == Std::Hour12 { 0 } else { 2 });
            }
            Std::Minute => push_int(&mut out, c.min as i64, 0),
            Std::ZeroMinute => push_int(&mut out, c.min as i64, 2),
            Std::Second => push_int(&mut out, c.sec as i64, 0),
            Std::ZeroSecond => push_int(&mut out, c.sec as i64, 2),
            Std::PM => out.push_str(if c.hour >= 12 { "PM" } else { "AM" }),
            Std::Pm => out.push_str(if c.hour >= 12 { "pm" } else { "am" }),
            Std::Tz => {
                if !c.zone.is_empty() {
                    out.push_str(&c.zone);
                } else {
                    let zone = c.offset / 60;
                    out.push(if zone < 0 { '-' } else { '+' });
                    let zone = zone.abs();
                    push_int(&mut out, (zone / 60) as i64, 2);
                    push_int(&mut out, (zone % 60) as i64, 2);
                }
            }
            Std::Frac(trim, n, sep) => push_nano(&mut out, c.nsec, trim, n, sep),
            tz => {
                let iso = matches!(
                    tz,
                    Std::Iso8601Tz
                        | Std::Iso8601SecondsTz
                        | Std::Iso8601ShortTz
                        | Std::Iso8601ColonTz
                        | Std::Iso8601ColonSecondsTz
                );
                if iso && c.offset == 0 {
                    out.push('Z');
                    continue;
                }
                let mut zone = c.offset / 60;
                let mut abs = c.offset;
                if zone < 0 {
                    out.push('-');
                    zone = -zone;
                    abs = -abs;
                } else {
                    out.push('+');
                }
                push_int(&mut out, (zone / 60) as i64, 2);
                let colon = matches!(
                    tz,
                    Std::Iso8601ColonTz
                        | Std::NumColonTz
                        | Std::Iso8601ColonSecondsTz
                        | Std::NumColonSecondsTz
                );
                if colon {
                    out.push(':');
                }
                if !matches!(tz, Std::NumShortTz | Std::Iso8601ShortTz) {
                    push_int(&mut out, (zone % 60) as i64, 2);
                }
                if matches!(
                    tz,
                    Std::Iso8601SecondsTz
                        | Std::NumSecondsTz
                        | Std::NumColonSecondsTz
                        | Std::Iso8601ColonSecondsTz
                ) {
                    if matches!(tz, Std::NumColonSecondsTz | Std::Iso8601ColonSecondsTz) {
                        out.push(':');
                    }
                    push_int(&mut out, (abs % 60) as i64, 2);
                }
            }
        }
    }
    out
}

/// The `time` package's own quoting for error messages: ASCII printable kept, anything else as
/// `\x` escapes of its bytes.
pub fn tquote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if !c.is_ascii() || c < ' ' {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{byte:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

fn is_digit(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(u8::is_ascii_digit)
}

/// Go's `getnum`: one or two digits (exactly two when `fixed`).
fn getnum(s: &str, fixed: bool) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    if !is_digit(b, 0) {
        return None;
    }
    if !is_digit(b, 1) {
        if fixed {
            return None;
        }
        return Some(((b[0] - b'0') as i64, &s[1..]));
    }
    Some((((b[0] - b'0') * 10 + (b[1] - b'0')) as i64, &s[2..]))
}

fn getnum3(s: &str, fixed: bool) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    let mut n = 0;
    let mut i = 0;
    while i < 3 && is_digit(b, i) {
        n = n * 10 + (b[i] - b'0') as i64;
        i += 1;
    }
    if i == 0 || (fixed && i != 3) {
        return None;
    }
    Some((n, &s[i..]))
}

fn cutspace(s: &str) -> &str {
    s.trim_start_matches(' ')
}

fn skip<'a>(value: &'a str, prefix: &str) -> Result<&'a str, ()> {
    let mut v = value;
    let mut p = prefix;
    while let Some(pc) = p.chars().next() {
        if pc == ' ' {
            if !v.is_empty() && !v.starts_with(' ') {
                return Err(());
            }
            p = cutspace(p);
            v = cutspace(v);
            continue;
        }
        if !v.starts_with(pc) {
            return Err(());
        }
        p = &p[pc.len_utf8()..];
        v = &v[pc.len_utf8()..];
    }
    Ok(v)
}

fn lookup_name<'a>(names: &[&str], val: &'a str, short: bool) -> Option<(usize, &'a str)> {
    for (i, full) in names.iter().enumerate() {
        let name = if short { &full[..3] } else { full };
        if val.len() >= name.len()
            && val.is_char_boundary(name.len())
            && val[..name.len()].eq_ignore_ascii_case(name)
        {
            return Some((i, &val[name.len()..]));
        }
    }
    None
}

fn parse_nanos(value: &str, nbytes: usize) -> Result<(i64, Option<&'static str>), ()> {
    let b = value.as_bytes();
    if !matches!(b.first(), Some(b'.' | b',')) {
        return Err(());
    }
    let nbytes = nbytes.min(10);
    let digits = value.get(1..nbytes).ok_or(())?;
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(());
    }
    let mut ns: i64 = digits.parse().map_err(|_| ())?;
    for _ in 0..(10 - nbytes) {
        ns *= 10;
    }
    Ok((ns, None))
}

fn parse_signed_offset(value: &str) -> usize {
    let b = value.as_bytes();
    if !matches!(b.first(), Some(b'+' | b'-')) {
        return 0;
    }
    let digits = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return 0;
    }
    match value[1..1 + digits].parse::<i64>() {
        Ok(x) if x <= 23 => 1 + digits,
        _ => 0,
    }
}

fn parse_time_zone(value: &str) -> Option<usize> {
    let b = value.as_bytes();
    if b.len() < 3 {
        return None;
    }
    if b.len() >= 4 && (&b[..4] == b"ChST" || &b[..4] == b"MeST") {
        return Some(4);
    }
    if &b[..3] == b"GMT" {
        return Some(3 + parse_signed_offset(&value[3..]));
    }
    if b[0] == b'+' || b[0] == b'-' {
        let n = parse_signed_offset(value);
        return (n > 0).then_some(n);
    }
    let upper = b
        .iter()
        .take(6)
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    match upper {
        3 => Some(3),
        4 if b[3] == b'T' || &b[..4] == b"WITA" => Some(4),
        5 if b[4] == b'T' => Some(5),
        _ => None,
    }
}

/// The result of parsing: unix seconds, nanoseconds and location.
pub type Parsed = (i64, u32, Loc);

/// Go's `time.ParseInLocation(layout, value, loc)`, with Go's error text.
pub fn parse(layout: &str, value: &str, default_loc: &Loc) -> Result<Parsed, String> {
    let cannot = |lelem: &str, velem: &str| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            tquote(value),
            tquote(layout),
            tquote(velem),
            tquote(lelem)
        )
    };
    let with_msg = |msg: &str| format!("parsing time {}{msg}", tquote(value));

    let mut lay = layout;
    let mut val = value;
    let (mut year, mut month, mut day, mut yday) = (0i64, -1i64, -1i64, -1i64);
    let (mut hour, mut min, mut sec, mut nsec) = (0i64, 0i64, 0i64, 0i64);
    let (mut pm_set, mut am_set) = (false, false);
    let mut utc = false;
    let mut zone_offset: Option<i64> = None;
    let mut zone_name = String::new();

    loop {
        let (prefix, std, suffix) = next_chunk(lay);
        let stdstr = std.map(|(_, s)| s).unwrap_or("");
        val = skip(val, prefix).map_err(|_| cannot(prefix, val))?;
        let Some((std, _)) = std else {
            if !val.is_empty() {
                return Err(with_msg(&format!(": extra text: {}", tquote(val))));
            }
            break;
        };
        lay = suffix;
        let hold = val;
        let mut range_err: Option<&str> = None;
        let bad = || cannot(stdstr, hold);
        match std {
            Std::Year => {
                let p = val
                    .get(..2)
                    .filter(|p| p.bytes().all(|c| c.is_ascii_digit()));
                let p = p.ok_or_else(bad)?;
                let n: i64 = p.parse().map_err(|_| bad())?;
                year = if n >= 69 { n + 1900 } else { n + 2000 };
                val = &val[2..];
            }
            Std::LongYear => {
                let p = val
                    .get(..4)
                    .filter(|p| p.bytes().all(|c| c.is_ascii_digit()));
                let p = p.ok_or_else(bad)?;
                year = p.parse().map_err(|_| bad())?;
                val = &val[4..];
            }
            Std::Month | Std::LongMonth => {
                let (m, rest) =
                    lookup_name(&LONG_MONTHS, val, std == Std::Month).ok_or_else(bad)?;
                month = m as i64 + 1;
                val = rest;
            }
            Std::NumMonth | Std::ZeroMonth => {
                let (m, rest) = getnum(val, std == Std::ZeroMonth).ok_or_else(bad)?;
                month = m;
                val = rest;
                if month <= 0 || month > 12 {
                    range_err = Some("month");
                }
            }
            Std::WeekDay | Std::LongWeekDay => {
                let (_, rest) =
                    lookup_name(&LONG_DAYS, val, std == Std::WeekDay).ok_or_else(bad)?;
                val = rest;
            }
            Std::Day | Std::UnderDay | Std::ZeroDay => {
                if std == Std::UnderDay && val.starts_with(' ') {
                    val = &val[1..];
                }
                let (d, rest) = getnum(val, std == Std::ZeroDay).ok_or_else(bad)?;
                day = d;
                val = rest;
            }
            Std::UnderYearDay | Std::ZeroYearDay => {
                for _ in 0..2 {
                    if std == Std::UnderYearDay && val.starts_with(' ') {
                        val = &val[1..];
                    }
                }
                let (d, rest) = getnum3(val, std == Std::ZeroYearDay).ok_or_else(bad)?;
                yday = d;
                val = rest;
            }
            Std::Hour => {
                let (h, rest) = getnum(val, false).ok_or_else(bad)?;
                hour = h;
                val = rest;
                if hour >= 24 {
                    range_err = Some("hour");
                }
            }
            Std::Hour12 | Std::ZeroHour12 => {
                let (h, rest) = getnum(val, std == Std::ZeroHour12).ok_or_else(bad)?;
                hour = h;
                val = rest;
                if hour > 12 {
                    range_err = Some("hour");
                }
            }
            Std::Minute | Std::ZeroMinute => {
                let (m, rest) = getnum(val, std == Std::ZeroMinute).ok_or_else(bad)?;
                min = m;
                val = rest;
                if min >= 60 {
                    range_err = Some("minute");
                }
            }
            Std::Second | Std::ZeroSecond => {
                let (s, rest) = getnum(val, std == Std::ZeroSecond).ok_or_else(bad)?;
                sec = s;
                val = rest;
                if sec >= 60 {
                    range_err = Some("second");
                } else {
                    let b = val.as_bytes();
                    if b.len() >= 2 && matches!(b[0], b'.' | b',') && b[1].is_ascii_digit() {
                        let (_, next, _) = next_chunk(lay);
                        if !matches!(next, Some((Std::Frac(..), _))) {
                            let mut n = 2;
                            while is_digit(b, n) {
                                n += 1;
                            }
                            let (ns, _) = parse_nanos(val, n).map_err(|_| bad())?;
                            nsec = ns;
                            val = &val[n..];
                        }
                    }
                }
            }
            Std::PM | Std::Pm => {
                let p = val.get(..2).ok_or_else(bad)?;
                let (hi, lo) = if std == Std::PM {
                    ("PM", "AM")
                } else {
                    ("pm", "am")
                };
                if p == hi {
                    pm_set = true;
                } else if p == lo {
                    am_set = true;
                } else {
                    return Err(bad());
                }
                val = &val[2..];
            }
            Std::Tz => {
                if val.starts_with("UTC") {
                    utc = true;
                    val = &val[3..];
                } else {
                    let n = parse_time_zone(val).ok_or_else(bad)?;
                    zone_name = val[..n].to_string();
                    val = &val[n..];
                }
            }
            Std::Frac(false, n, _) => {
                let ndigit = 1 + n;
                if val.len() < ndigit {
                    return Err(bad());
                }
                let (ns, _) = parse_nanos(val, ndigit).map_err(|_| bad())?;
                nsec = ns;
                val = val.get(ndigit..).ok_or_else(bad)?;
            }
            Std::Frac(true, _, _) => {
                let b = val.as_bytes();
                if b.len() >= 2 && matches!(b[0], b'.' | b',') && b[1].is_ascii_digit() {
                    let mut i = 0;
                    while is_digit(b, i + 1) {
                        i += 1;
                    }
                    let (ns, _) = parse_nanos(val, 1 + i).map_err(|_| bad())?;
                    nsec = ns;
                    val = &val[1 + i..];
                }
            }
            tz => {
                let iso = matches!(
                    tz,
                    Std::Iso8601Tz
                        | Std::Iso8601SecondsTz
                        | Std::Iso8601ShortTz
                        | Std::Iso8601ColonTz
                        | Std::Iso8601ColonSecondsTz
                );
                if iso && val.starts_with('Z') {
                    val = &val[1..];
                    utc = true;
                } else {
                    let b = val.as_bytes();
                    // The fields are cut at fixed byte offsets; non-ASCII there cannot parse.
                    if !b.iter().take(9).all(u8::is_ascii) {
                        let need = match tz {
                            Std::Iso8601ColonSecondsTz | Std::NumColonSecondsTz => 9,
                            Std::Iso8601SecondsTz | Std::NumSecondsTz => 7,
                            Std::Iso8601ColonTz | Std::NumColonTz => 6,
                            Std::NumShortTz | Std::Iso8601ShortTz => 3,
                            _ => 5,
                        };
                        if !b.iter().take(need).all(u8::is_ascii) {
                            return Err(bad());
                        }
                    }
                    let (sign, hh, mm, ss, used) = match tz {
                        Std::Iso8601ColonTz | Std::NumColonTz => {
                            if b.len() < 6 || b[3] != b':' {
                                return Err(bad());
                            }
                            (b[0], &val[1..3], &val[4..6], "00", 6)
                        }
                        Std::NumShortTz | Std::Iso8601ShortTz => {
                            if b.len() < 3 {
                                return Err(bad());
                            }
                            (b[0], &val[1..3], "00", "00", 3)
                        }
                        Std::Iso8601ColonSecondsTz | Std::NumColonSecondsTz => {
                            if b.len() < 9 || b[3] != b':' || b[6] != b':' {
                                return Err(bad());
                            }
                            (b[0], &val[1..3], &val[4..6], &val[7..9], 9)
                        }
                        Std::Iso8601SecondsTz | Std::NumSecondsTz => {
                            if b.len() < 7 {
                                return Err(bad());
                            }
                            (b[0], &val[1..3], &val[3..5], &val[5..7], 7)
                        }
                        _ => {
                            if b.len() < 5 {
                                return Err(bad());
                            }
                            (b[0], &val[1..3], &val[3..5], "00", 5)
                        }
                    };
                    let num = |s: &str| getnum(s, true).map(|(n, _)| n);
                    // Go computes the fields until one fails, and reports a range error
                    // before a parse error.
                    let hr_r = num(hh);
                    let mi_r = hr_r.and_then(|_| num(mm));
                    let se_r = mi_r.and_then(|_| num(ss));
                    let (hr, mi, se) = (hr_r.unwrap_or(0), mi_r.unwrap_or(0), se_r.unwrap_or(0));
                    if hr > 24 {
                        range_err = Some("time zone offset hour");
                    }
                    if mi > 60 {
                        range_err = Some("time zone offset minute");
                    }
                    if se > 60 {
                        range_err = Some("time zone offset second");
                    }
                    if let Some(what) = range_err {
                        return Err(with_msg(&format!(": {what} out of range")));
                    }
                    if se_r.is_none() {
                        return Err(bad());
                    }
                    let off = (hr * 60 + mi) * 60 + se;
                    zone_offset = Some(match sign {
                        b'+' => off,
                        b'-' => -off,
                        _ => return Err(bad()),
                    });
                    val = val.get(used..).ok_or_else(bad)?;
                }
            }
        }
        if let Some(what) = range_err {
            return Err(with_msg(&format!(": {what} out of range")));
        }
    }

    if pm_set && hour < 12 {
        hour += 12;
    } else if am_set && hour == 12 {
        hour = 0;
    }

    if yday >= 0 {
        let mut d = 0;
        let mut m = 0;
        if is_leap(year) {
            if yday == 31 + 29 {
                m = 2;
                d = 29;
            } else if yday > 31 + 29 {
                yday -= 1;
            }
        }
        if !(1..=365).contains(&yday) {
            return Err(with_msg(": day-of-year out of range"));
        }
        if m == 0 {
            const BEFORE: [i64; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
            m = (yday - 1) / 31 + 1;
            if BEFORE[m as usize] < yday {
                m += 1;
            }
            d = yday - BEFORE[(m - 1) as usize];
        }
        if month >= 0 && month != m {
            return Err(with_msg(": day-of-year does not match month"));
        }
        month = m;
        if day >= 0 && day != d {
            return Err(with_msg(": day-of-year does not match day"));
        }
        day = d;
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }
    if day < 1 || day > days_in(month, year) {
        return Err(with_msg(": day out of range"));
    }

    if utc {
        let (s, n) = date(year, month, day, hour, min, sec, nsec, &Loc::Utc);
        return Ok((s, n, Loc::Utc));
    }
    if let Some(off) = zone_offset {
        let (s, n) = date(year, month, day, hour, min, sec, nsec, &Loc::Utc);
        let s = s - off;
        // The local zone (UTC) is used when it has this offset (and name, if one was given).
        let (loff, lname) = Loc::Local.lookup(s);
        if loff as i64 == off && (zone_name.is_empty() || lname == zone_name) {
            return Ok((s, n, Loc::Local));
        }
        return Ok((s, n, Loc::Fixed(zone_name, off as i32)));
    }
    if !zone_name.is_empty() {
        let (s, n) = date(year, month, day, hour, min, sec, nsec, &Loc::Utc);
        let mut offset = 0;
        if zone_name.len() > 3 && zone_name.starts_with("GMT") {
            offset = zone_name[3..].parse::<i32>().unwrap_or(0) * 3600;
        }
        return Ok((s, n, Loc::Fixed(zone_name, offset)));
    }
    let (s, n) = date(year, month, day, hour, min, sec, nsec, default_loc);
    Ok((s, n, default_loc.clone()))
}

/// Go's `Duration.String()`.
pub fn duration_string(d: i64) -> String {
    let neg = d < 0;
    let mut u = d.unsigned_abs();
    let mut out = String::new();
    // Digits after the decimal point of u / 10^prec, without trailing zeros.
    let frac = |u: u64, prec: u32| -> (String, u64) {
        let p = 10u64.pow(prec);
        let f = u % p;
        if f == 0 {
            return (String::new(), u / p);
        }
        let s = format!("{:0width$}", f, width = prec as usize);
        (format!(".{}", s.trim_end_matches('0')), u / p)
    };
    if u < 1_000_000_000 {
        let (prec, unit) = match u {
            0 => return "0s".into(),
            1..=999 => (0, "ns"),
            1_000..=999_999 => (3, "µs"),
            _ => (6, "ms"),
        };
        let (f, int) = frac(u, prec);
        out.push_str(&int.to_string());
        out.push_str(&f);
        out.push_str(unit);
    } else {
        let (f, secs) = frac(u, 9);
        u = secs;
        let s = format!("{}{}s", u % 60, f);
        u /= 60;
        if u > 0 {
            let m = u % 60;
            u /= 60;
            if u > 0 {
                out.push_str(&format!("{u}h"));
            }
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&s);
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// Go's `time.ParseDuration`, with its error text.
pub fn parse_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", tquote(orig));
    let mut s = orig;
    let mut neg = false;
    if let Some(c) = s.chars().next() {
        if c == '-' || c == '+' {
            neg = c == '-';
            s = &s[1..];
        }
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut d: u64 = 0;
    const LIMIT: u64 = 1 << 63;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // Integer part.
        let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let mut v: u64 = 0;
        for &c in &b[..n] {
            if v > (LIMIT - 1) / 10 {
                return Err(invalid());
            }
            v = v * 10 + (c - b'0') as u64;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        let pre = n > 0;
        s = &s[n..];
        // Fraction.
        let (mut f, mut scale, mut post) = (0u64, 1f64, false);
        if s.starts_with('.') {
            s = &s[1..];
            let m = s.bytes().take_while(|c| c.is_ascii_digit()).count();
            let mut overflow = false;
            for c in s[..m].bytes() {
                if overflow {
                    continue;
                }
                if f > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let y = f * 10 + (c - b'0') as u64;
                if y > LIMIT {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10.0;
            }
            post = m > 0;
            s = &s[m..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        let ulen = s
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(s.len(), |(i, _)| i);
        if ulen == 0 {
            return Err(format!("time: missing unit in duration {}", tquote(orig)));
        }
        let u = &s[..ulen];
        s = &s[ulen..];
        let unit: u64 = match u {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    tquote(u),
                    tquote(orig)
                ))
            }
        };
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        d = d.checked_add(v).ok_or_else(invalid)?;
        if d > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((d as i64).wrapping_neg());
    }
    if d > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(d as i64)
}

/// Go's `Duration.Round(m)`.
pub fn duration_round(d: i64, m: i64) -> i64 {
    if m <= 0 {
        return d;
    }
    let half = |x: i64| (x as u64).wrapping_add(x as u64) < m as u64;
    let mut r = d % m;
    if d < 0 {
        r = -r;
        if half(r) {
            return d + r;
        }
        return match d.checked_sub(m).map(|x| x + r) {
            Some(d1) if d1 < d => d1,
            _ => i64::MIN,
        };
    }
    if half(r) {
        return d - r;
    }
    match d.checked_add(m - r) {
        Some(d1) if d1 > d => d1,
        _ => i64::MAX,
    }
}
