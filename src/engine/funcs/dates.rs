//! Template functions: Sprig's date functions, and Go's `time.Time` and `time.Duration` as
//! template objects.
//!
//! The clock is [`FuncCtx::now`]. The local zone (`time.Local`) is UTC: helm usually runs in a
//! container without a zone configured, and output must not depend on the host.

use std::any::Any;
use std::sync::Arc;

use super::{Func, FuncCtx, FuncError, FuncResult};
use crate::engine::value::{Object, Sig, Ty, Value};
use crate::gofunc;

#[path = "dates_layout.rs"]
pub mod layout;

use layout::{civil, format, load_location, parse, Civil, Loc};

/// This group's functions.
pub const FUNCS: &[Func] = &[
    gofunc!("ago", [Ty::Any], ago),
    gofunc!("date", [Ty::String, Ty::Any], date_fn),
    gofunc!(
        "date_in_zone",
        [Ty::String, Ty::Any, Ty::String],
        date_in_zone
    ),
    gofunc!(
        "dateInZone",
        [Ty::String, Ty::Any, Ty::String],
        date_in_zone
    ),
    gofunc!("date_modify", [Ty::String, Ty::Object(TIME)], date_modify),
    gofunc!("dateModify", [Ty::String, Ty::Object(TIME)], date_modify),
    gofunc!(
        "must_date_modify",
        [Ty::String, Ty::Object(TIME)],
        must_date_modify
    ),
    gofunc!(
        "mustDateModify",
        [Ty::String, Ty::Object(TIME)],
        must_date_modify
    ),
    gofunc!("duration", [Ty::Any], duration_fn),
    gofunc!("durationRound", [Ty::Any], duration_round_fn),
    gofunc!("htmlDate", [Ty::Any], html_date),
    gofunc!("htmlDateInZone", [Ty::Any, Ty::String], html_date_in_zone),
    gofunc!("mustToDate", [Ty::String, Ty::String], must_to_date),
    gofunc!("now", [], now_fn),
    gofunc!("toDate", [Ty::String, Ty::String], to_date),
    gofunc!("unixEpoch", [Ty::Object(TIME)], unix_epoch),
];

/// Go's name for the time type.
pub const TIME: &str = "time.Time";
const DURATION: &str = "time.Duration";

/// Go's `time.Time`: an instant (unix seconds and nanoseconds) and a location.
#[derive(Clone, Debug, PartialEq)]
pub struct GoTime {
    /// Seconds since the Unix epoch.
    pub unix: i64,
    /// Nanoseconds within the second, 0..1e9.
    pub nsec: u32,
    /// The location it is displayed in.
    pub loc: Loc,
    /// Go's monotonic clock reading in nanoseconds, which only `now` sets and `String()` prints
    /// as ` m=+0.000000000`. The engine has no process clock, so `now` reads 0.
    pub mono: Option<i64>,
}

/// The zero `time.Time` (January 1, year 1, 00:00:00 UTC).
pub const ZERO_UNIX: i64 = -62_135_596_800;

const RFC3339_NANO: &str = "2006-01-02T15:04:05.999999999Z07:00";
const STRING_LAYOUT: &str = "2006-01-02 15:04:05.999999999 -0700 MST";

impl GoTime {
    /// The zero time.
    pub fn zero() -> GoTime {
        GoTime {
            unix: ZERO_UNIX,
            nsec: 0,
            loc: Loc::Utc,
            mono: None,
        }
    }

    /// The time `unix` seconds after the epoch, in the local zone (`time.Unix`).
    pub fn from_unix(unix: i64) -> GoTime {
        GoTime {
            unix,
            nsec: 0,
            loc: Loc::Local,
            mono: None,
        }
    }

    /// The clock's current time. An offset of zero is the local zone; another offset becomes a
    /// nameless fixed zone.
    pub fn now(ctx: &dyn FuncCtx) -> GoTime {
        let n = ctx.now();
        let off = n.offset().local_minus_utc();
        GoTime {
            unix: n.timestamp(),
            nsec: n.timestamp_subsec_nanos().min(999_999_999),
            loc: if off == 0 {
                Loc::Local
            } else {
                Loc::Fixed(String::new(), off)
            },
            mono: Some(0),
        }
    }

    fn civil(&self) -> Civil {
        civil(self.unix, self.nsec, &self.loc)
    }

    /// Go's `Time.Format`.
    pub fn format(&self, layout: &str) -> String {
        format(&self.civil(), layout)
    }

    /// The same instant in another location (`Time.In`).
    pub fn in_loc(&self, loc: Loc) -> GoTime {
        GoTime {
            loc,
            mono: None,
            ..self.clone()
        }
    }

    /// The same time without its monotonic reading, as `Round(0)` and zone changes give.
    fn strip_mono(&self) -> GoTime {
        GoTime {
            mono: None,
            ..self.clone()
        }
    }

    /// Nanoseconds since the epoch, saturating as Go's `Sub` does.
    fn nanos(&self) -> i128 {
        self.unix as i128 * 1_000_000_000 + self.nsec as i128
    }

    /// `t.Add(d)`.
    pub fn add(&self, d: i64) -> GoTime {
        let total = self.nanos() + d as i128;
        let unix = total.div_euclid(1_000_000_000);
        GoTime {
            unix: unix.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
            nsec: total.rem_euclid(1_000_000_000) as u32,
            loc: self.loc.clone(),
            mono: self.mono.map(|m| m.saturating_add(d)),
        }
    }

    /// `t.Sub(u)`, saturating at the duration limits.
    pub fn sub(&self, u: &GoTime) -> i64 {
        (self.nanos() - u.nanos()).clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }
}

fn time_val(t: GoTime) -> Value {
    Value::Object(Arc::new(t))
}

fn dur_val(d: i64) -> Value {
    Value::Object(Arc::new(GoDuration(d)))
}

const fn sig(params: &'static [Ty]) -> Sig {
    Sig {
        params,
        variadic: None,
    }
}

impl Object for GoTime {
    fn type_name(&self) -> &str {
        TIME
    }
    fn kind_name(&self) -> &str {
        "struct"
    }
    fn method(&self, name: &str) -> Option<Sig> {
        Some(match name {
            "String" | "Unix" | "UnixNano" | "UnixMilli" | "UnixMicro" | "Year" | "Month"
            | "Day" | "Hour" | "Minute" | "Second" | "Nanosecond" | "YearDay" | "Weekday"
            | "UTC" | "Local" | "Location" | "IsZero" => sig(&[]),
            "Format" => sig(&[Ty::String]),
            // Go's parameter is time.Duration; an int64 is the closest type the engine has.
            "Add" | "Truncate" | "Round" => sig(&[Ty::Int64]),
            "AddDate" => sig(&[Ty::Int, Ty::Int, Ty::Int]),
            "Sub" | "Before" | "After" | "Equal" | "Compare" => sig(&[Ty::Object(TIME)]),
            _ => return None,
        })
    }
    fn call_method(&self, name: &str, args: Vec<Value>) -> Result<Value, String> {
        let c = self.civil();
        let other = || -> Result<GoTime, String> {
            args.first()
                .and_then(|a| a.downcast::<GoTime>())
                .cloned()
                .ok_or_else(|| "wrong argument type".to_string())
        };
        let int = |i: usize| args.get(i).and_then(Value::as_int).unwrap_or(0);
        Ok(match name {
            "String" => Value::from(self.format_v()),
            "Format" => {
                Value::from(self.format(args.first().and_then(Value::as_str).unwrap_or("")))
            }
            "Unix" => Value::Int64(self.unix),
            "UnixMilli" => Value::Int64((self.nanos() / 1_000_000) as i64),
            "UnixMicro" => Value::Int64((self.nanos() / 1_000) as i64),
            "UnixNano" => Value::Int64(self.nanos() as i64),
            "Year" => Value::Int(c.year),
            "Month" => Value::object(Named::month(c.month)),
            "Day" => Value::Int(c.day as i64),
            "Hour" => Value::Int(c.hour as i64),
            "Minute" => Value::Int(c.min as i64),
            "Second" => Value::Int(c.sec as i64),
            "Nanosecond" => Value::Int(c.nsec as i64),
            "YearDay" => Value::Int(c.yday as i64),
            "Weekday" => Value::object(Named::weekday(c.weekday)),
            "UTC" => time_val(self.in_loc(Loc::Utc)),
            "Local" => time_val(self.in_loc(Loc::Local)),
            "Location" => Value::object(Named::location(self.loc.name())),
            "IsZero" => Value::Bool(self.unix == ZERO_UNIX && self.nsec == 0),
            "Add" => time_val(self.add(int(0))),
            "AddDate" => {
                let (s, n) = layout::date(
                    c.year.saturating_add(int(0)),
                    (c.month as i64).saturating_add(int(1)),
                    (c.day as i64).saturating_add(int(2)),
                    c.hour as i64,
                    c.min as i64,
                    c.sec as i64,
                    c.nsec as i64,
                    &self.loc,
                );
                time_val(GoTime {
                    unix: s,
                    nsec: n,
                    loc: self.loc.clone(),
                    mono: None,
                })
            }
            "Truncate" | "Round" => {
                let d = int(0);
                if d <= 0 {
                    return Ok(time_val(self.strip_mono()));
                }
                // Go measures from the zero time; so does this.
                let since = self.nanos() - GoTime::zero().nanos();
                let r = since.rem_euclid(d as i128) as i64;
                let back = if name == "Round" && layout_round_up(r, d) {
                    -(d - r)
                } else {
                    r
                };
                time_val(self.add(-back).strip_mono())
            }
            "Sub" => dur_val(self.sub(&other()?)),
            "Before" => Value::Bool(self.nanos() < other()?.nanos()),
            "After" => Value::Bool(self.nanos() > other()?.nanos()),
            "Equal" => Value::Bool(self.nanos() == other()?.nanos()),
            "Compare" => Value::Int(match self.nanos().cmp(&other()?.nanos()) {
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
                std::cmp::Ordering::Greater => 1,
            }),
            _ => return Err(format!("can't call method {name}")),
        })
    }
    fn format_v(&self) -> String {
        let mut out = self.format(STRING_LAYOUT);
        if let Some(m) = self.mono {
            let sign = if m < 0 { '-' } else { '+' };
            let m = m.unsigned_abs();
            let (secs, frac) = (m / 1_000_000_000, m % 1_000_000_000);
            out.push_str(&format!(" m={sign}{secs}.{frac:09}"));
        }
        out
    }
    fn to_data(&self) -> Value {
        Value::from(self.format(RFC3339_NANO))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn layout_round_up(r: i64, d: i64) -> bool {
    (r as u64).wrapping_add(r as u64) >= d as u64
}

/// Go's `time.Duration`: nanoseconds, printed as `1h2m3s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GoDuration(pub i64);

impl Object for GoDuration {
    fn type_name(&self) -> &str {
        DURATION
    }
    fn kind_name(&self) -> &str {
        "int64"
    }
    fn method(&self, name: &str) -> Option<Sig> {
        Some(match name {
            "String" | "Hours" | "Minutes" | "Seconds" | "Milliseconds" | "Microseconds"
            | "Nanoseconds" | "Abs" => sig(&[]),
            "Round" | "Truncate" => sig(&[Ty::Int64]),
            _ => return None,
        })
    }
    fn call_method(&self, name: &str, args: Vec<Value>) -> Result<Value, String> {
        let d = self.0;
        let m = args.first().and_then(Value::as_int).unwrap_or(0);
        let split = |unit: i64| (d / unit) as f64 + (d % unit) as f64 / unit as f64;
        Ok(match name {
            "String" => Value::from(layout::duration_string(d)),
            "Hours" => Value::Float(split(3_600_000_000_000)),
            "Minutes" => Value::Float(split(60_000_000_000)),
            "Seconds" => Value::Float(split(1_000_000_000)),
            "Milliseconds" => Value::Int64(d / 1_000_000),
            "Microseconds" => Value::Int64(d / 1_000),
            "Nanoseconds" => Value::Int64(d),
            "Abs" => dur_val(if d == i64::MIN { i64::MAX } else { d.abs() }),
            "Round" => dur_val(layout::duration_round(d, m)),
            "Truncate" => dur_val(if m <= 0 { d } else { d - d % m }),
            _ => return Err(format!("can't call method {name}")),
        })
    }
    fn format_v(&self) -> String {
        layout::duration_string(self.0)
    }
    fn to_data(&self) -> Value {
        Value::Int64(self.0)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A small Go value that prints as a name: `time.Month`, `time.Weekday`, `*time.Location`.
#[derive(Clone, Debug)]
pub struct Named {
    ty: &'static str,
    kind: &'static str,
    name: String,
    num: i64,
}

impl Named {
    fn month(m: u32) -> Named {
        Named {
            ty: "time.Month",
            kind: "int",
            name: layout::LONG_MONTHS[(m.clamp(1, 12) - 1) as usize].to_string(),
            num: m as i64,
        }
    }
    fn weekday(w: u32) -> Named {
        Named {
            ty: "time.Weekday",
            kind: "int",
            name: layout::LONG_DAYS[(w % 7) as usize].to_string(),
            num: w as i64,
        }
    }
    fn location(name: String) -> Named {
        Named {
            ty: "*time.Location",
            kind: "ptr",
            name,
            num: 0,
        }
    }
}

impl Object for Named {
    fn type_name(&self) -> &str {
        self.ty
    }
    fn kind_name(&self) -> &str {
        self.kind
    }
    fn method(&self, name: &str) -> Option<Sig> {
        (name == "String").then_some(sig(&[]))
    }
    fn call_method(&self, name: &str, _args: Vec<Value>) -> Result<Value, String> {
        match name {
            "String" => Ok(Value::str(&self.name)),
            _ => Err(format!("can't call method {name}")),
        }
    }
    fn format_v(&self) -> String {
        self.name.clone()
    }
    fn to_data(&self) -> Value {
        if self.kind == "int" {
            Value::Int(self.num)
        } else {
            Value::from(self.name.clone())
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or(Value::Nil)
}

fn s(args: &[Value], i: usize) -> String {
    args.get(i)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn time_arg(args: &[Value], i: usize) -> GoTime {
    args.get(i)
        .and_then(|v| v.downcast::<GoTime>())
        .cloned()
        .unwrap_or_else(GoTime::zero)
}

/// Sprig's `dateInZone`: the accepted date types, else now; an unknown zone means UTC.
fn date_in_zone_impl(ctx: &dyn FuncCtx, fmt: &str, date: &Value, zone: &str) -> String {
    let t = match date {
        Value::Object(_) => match date.downcast::<GoTime>() {
            Some(t) => t.clone(),
            None => GoTime::now(ctx),
        },
        Value::Int64(n) | Value::Int(n) => GoTime::from_unix(*n),
        Value::Int32(n) => GoTime::from_unix(*n as i64),
        _ => GoTime::now(ctx),
    };
    let loc = load_location(zone).unwrap_or(Loc::Utc);
    t.in_loc(loc).format(fmt)
}

fn date_fn(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    Ok(Value::from(date_in_zone_impl(
        ctx,
        &s(&a, 0),
        &arg(&a, 1),
        "Local",
    )))
}

fn date_in_zone(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    Ok(Value::from(date_in_zone_impl(
        ctx,
        &s(&a, 0),
        &arg(&a, 1),
        &s(&a, 2),
    )))
}

fn html_date(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    Ok(Value::from(date_in_zone_impl(
        ctx,
        "2006-01-02",
        &arg(&a, 0),
        "Local",
    )))
}

fn html_date_in_zone(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    Ok(Value::from(date_in_zone_impl(
        ctx,
        "2006-01-02",
        &arg(&a, 0),
        &s(&a, 1),
    )))
}

fn date_modify(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let t = time_arg(&a, 1);
    Ok(time_val(match layout::parse_duration(&s(&a, 0)) {
        Ok(d) => t.add(d),
        Err(_) => t,
    }))
}

fn must_date_modify(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let d = layout::parse_duration(&s(&a, 0)).map_err(FuncError::msg)?;
    Ok(time_val(time_arg(&a, 1).add(d)))
}

fn ago(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let now = GoTime::now(ctx);
    let date = arg(&a, 0);
    let t = match &date {
        Value::Object(_) => date.downcast::<GoTime>().cloned().unwrap_or(now.clone()),
        Value::Int64(n) | Value::Int(n) => GoTime::from_unix(*n),
        _ => now.clone(),
    };
    let d = layout::duration_round(now.sub(&t), 1_000_000_000);
    Ok(Value::from(layout::duration_string(d)))
}

fn duration_fn(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let n = match arg(&a, 0) {
        Value::String(v) => v.parse::<i64>().unwrap_or(0),
        Value::Int64(v) => v,
        _ => 0,
    };
    Ok(Value::from(layout::duration_string(
        n.wrapping_mul(1_000_000_000),
    )))
}

fn duration_round_fn(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let v = arg(&a, 0);
    let d = match &v {
        Value::String(x) => layout::parse_duration(x).unwrap_or(0),
        Value::Int64(x) => *x,
        Value::Object(_) => match v.downcast::<GoTime>() {
            Some(t) => GoTime::now(ctx).sub(t),
            None => 0,
        },
        _ => 0,
    };
    let u = d.unsigned_abs();
    const SEC: u64 = 1_000_000_000;
    let units: [(u64, &str); 6] = [
        (SEC * 3600 * 24 * 365, "y"),
        (SEC * 3600 * 24 * 30, "mo"),
        (SEC * 3600 * 24, "d"),
        (SEC * 3600, "h"),
        (SEC * 60, "m"),
        (SEC, "s"),
    ];
    for (unit, suffix) in units {
        if u > unit {
            return Ok(Value::from(format!("{}{suffix}", u / unit)));
        }
    }
    Ok(Value::from("0s"))
}

fn to_date(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    Ok(time_val(match parse(&s(&a, 0), &s(&a, 1), &Loc::Local) {
        Ok((unix, nsec, loc)) => GoTime {
            unix,
            nsec,
            loc,
            mono: None,
        },
        Err(_) => GoTime::zero(),
    }))
}

fn must_to_date(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let (unix, nsec, loc) = parse(&s(&a, 0), &s(&a, 1), &Loc::Local).map_err(FuncError::msg)?;
    Ok(time_val(GoTime {
        unix,
        nsec,
        loc,
        mono: None,
    }))
}

fn now_fn(ctx: &mut dyn FuncCtx, _: Vec<Value>) -> FuncResult {
    Ok(time_val(GoTime::now(ctx)))
}

fn unix_epoch(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    Ok(Value::from(time_arg(&a, 0).unix.to_string()))
}

#[cfg(test)]
mod tests {
    use super::super::{call, TestCtx};
    use super::*;

    fn run(name: &str, args: Vec<Value>) -> Result<Value, String> {
        call(&mut TestCtx::default(), name, args).map_err(|e| e.to_string())
    }
    fn v(x: &str) -> Value {
        Value::str(x)
    }
    fn to_date(layout: &str, value: &str) -> Value {
        run("toDate", vec![v(layout), v(value)]).unwrap()
    }
    fn method(t: &Value, name: &str, args: Vec<Value>) -> String {
        match t {
            Value::Object(o) => o.call_method(name, args).unwrap().format_v(),
            _ => panic!("not an object"),
        }
    }

    // Every expected value here was produced by helm 4.1.4.
    #[test]
    fn to_date_and_methods() {
        let t = to_date(
            "2006-01-02T15:04:05Z07:00",
            "2024-03-05T07:08:09.123456789+02:00",
        );
        assert_eq!(t.format_v(), "2024-03-05 07:08:09.123456789 +0200 +0200");
        assert_eq!(t.type_name(), "time.Time");
        assert_eq!(t.kind_name(), "struct");
        let Value::Object(o) = &t else { panic!() };
        assert_eq!(
            o.to_data().format_v(),
            "2024-03-05T07:08:09.123456789+02:00"
        );
        assert_eq!(method(&t, "Unix", vec![]), "1709615289");
        assert_eq!(method(&t, "Month", vec![]), "March");
        assert_eq!(method(&t, "Year", vec![]), "2024");
        assert_eq!(method(&t, "Day", vec![]), "5");
        assert_eq!(method(&t, "Hour", vec![]), "7");
        assert_eq!(
            method(&t, "UTC", vec![]),
            "2024-03-05 05:08:09.123456789 +0000 UTC"
        );
        assert_eq!(method(&t, "Weekday", vec![]), "Tuesday");
        assert_eq!(
            method(
                &t,
                "Format",
                vec![v("Mon Jan _2 3:4:5 PM 2006 .000 .999 MST -07 Z0700")]
            ),
            "Tue Mar  5 7:8:9 AM 2024 .123 .123 +0200 +02 +0200"
        );
        let d = to_date("2006-01-02", "2024-03-05");
        assert_eq!(method(&d, "Location", vec![]), "Local");
        assert_eq!(method(&d, "YearDay", vec![]), "65");
        assert_eq!(method(&d, "UnixNano", vec![]), "1709596800000000000");
        assert_eq!(
            method(
                &d,
                "AddDate",
                vec![Value::Int(0), Value::Int(1), Value::Int(0)]
            ),
            "2024-04-05 00:00:00 +0000 UTC"
        );
        assert_eq!(
            method(&d, "Add", vec![Value::Int64(1_500_000_000)]),
            "2024-03-05 00:00:01.5 +0000 UTC"
        );
        let prev = to_date("2006-01-02", "2024-03-04");
        assert_eq!(method(&d, "Sub", vec![prev]), "24h0m0s");
    }

    #[test]
    fn parsing() {
        assert_eq!(
            to_date("2006-01-02 15:04 MST", "2024-03-05 07:08 PST").format_v(),
            "2024-03-05 07:08:00 +0000 PST"
        );
        assert_eq!(
            to_date("2006-01-02 15:04 -0700", "2024-03-05 07:08 +0000").format_v(),
            "2024-03-05 07:08:00 +0000 UTC"
        );
        assert_eq!(
            to_date("02/01/06 3PM", "05/03/24 7PM").format_v(),
            "2024-03-05 19:00:00 +0000 UTC"
        );
        assert_eq!(
            to_date("2006-01-02", "x").format_v(),
            "0001-01-01 00:00:00 +0000 UTC"
        );
        assert_eq!(
            to_date("2006-01-02T15:04:05", "2024-03-05T07:08:09.5").format_v(),
            "2024-03-05 07:08:09.5 +0000 UTC"
        );
        assert_eq!(
            to_date("2006-002", "2024-060").format_v(),
            "2024-02-29 00:00:00 +0000 UTC"
        );
        assert_eq!(
            to_date("Monday, 02-Jan-06", "tuesday, 05-mar-24").format_v(),
            "2024-03-05 00:00:00 +0000 UTC"
        );
        let errs = [
            ("2006-01-02", "2024-02-30", "parsing time \"2024-02-30\": day out of range"),
            ("2006-01-02", "2024-02-03x", "parsing time \"2024-02-03x\": extra text: \"x\""),
            ("2006-01-02", "2024-13-03", "parsing time \"2024-13-03\": month out of range"),
            (
                "Jan 2 2006",
                "Foo 2 2024",
                "parsing time \"Foo 2 2024\" as \"Jan 2 2006\": cannot parse \"Foo 2 2024\" as \"Jan\"",
            ),
            (
                "2006-01-02",
                "2024-3-05",
                "parsing time \"2024-3-05\" as \"2006-01-02\": cannot parse \"3-05\" as \"01\"",
            ),
        ];
        for (l, val, want) in errs {
            assert_eq!(run("mustToDate", vec![v(l), v(val)]).unwrap_err(), want);
        }
    }

    #[test]
    fn formatting_functions() {
        let july = to_date("2006-01-02", "2024-07-05");
        let r = |name: &str, args: Vec<Value>| run(name, args).unwrap().format_v();
        assert_eq!(
            r(
                "dateInZone",
                vec![
                    v("2006-01-02 15:04:05 MST -07:00"),
                    july.clone(),
                    v("America/New_York")
                ]
            ),
            "2024-07-04 20:00:00 EDT -04:00"
        );
        assert_eq!(
            r(
                "dateInZone",
                vec![v("15:04 MST"), july.clone(), v("Asia/Dubai")]
            ),
            "04:00 +04"
        );
        assert_eq!(
            r(
                "dateInZone",
                vec![v("15:04 MST"), july.clone(), v("Nope/X")]
            ),
            "00:00 UTC"
        );
        assert_eq!(r("date", vec![v("2006"), Value::Int(0)]), "1970");
        assert_eq!(
            r(
                "date",
                vec![v("2006-01-02 15:04:05"), Value::Int(1_700_000_000)]
            ),
            "2023-11-14 22:13:20"
        );
        let mar = to_date("2006-01-02", "2024-03-05");
        assert_eq!(r("date", vec![v("Jan 2"), mar.clone()]), "Mar 5");
        assert_eq!(r("unixEpoch", vec![mar.clone()]), "1709596800");
        assert_eq!(
            r("dateModify", vec![v("1.5h"), mar.clone()]),
            "2024-03-05 01:30:00 +0000 UTC"
        );
        assert_eq!(
            r("dateModify", vec![v("bad"), mar.clone()]),
            "2024-03-05 00:00:00 +0000 UTC"
        );
        assert_eq!(
            run("mustDateModify", vec![v("bad"), mar.clone()]).unwrap_err(),
            "time: invalid duration \"bad\""
        );
        assert_eq!(r("htmlDate", vec![mar.clone()]), "2024-03-05");
        assert_eq!(
            r("htmlDateInZone", vec![mar, v("Asia/Tokyo")]),
            "2024-03-05"
        );
    }

    #[test]
    fn durations() {
        let r = |name: &str, a: Value| run(name, vec![a]).unwrap().format_v();
        assert_eq!(r("durationRound", v("2h10m")), "2h");
        assert_eq!(r("durationRound", v("61s")), "1m");
        assert_eq!(r("durationRound", v("60s")), "60s");
        assert_eq!(r("durationRound", v("-400h")), "16d");
        assert_eq!(r("durationRound", Value::Int64(3_600_000_000_001)), "1h");
        assert_eq!(r("durationRound", Value::Int(5)), "0s");
        assert_eq!(r("duration", Value::Int64(90061)), "25h1m1s");
        assert_eq!(r("duration", v("-1")), "-1s");
        assert_eq!(r("duration", v("x")), "0s");
        assert_eq!(r("duration", Value::Int(95)), "0s");
        assert_eq!(r("duration", v("95")), "1m35s");
        assert_eq!(r("duration", v("3725")), "1h2m5s");
        assert_eq!(layout::duration_string(1_500_000_000), "1.5s");
        assert_eq!(layout::duration_string(1_500), "1.5µs");
        assert_eq!(layout::duration_string(0), "0s");
        assert_eq!(layout::parse_duration("1h2m3.5s"), Ok(3_723_500_000_000));
        assert_eq!(
            layout::parse_duration("3x").unwrap_err(),
            "time: unknown unit \"x\" in duration \"3x\""
        );
        assert_eq!(
            layout::parse_duration("3").unwrap_err(),
            "time: missing unit in duration \"3\""
        );
    }

    #[test]
    fn more_layouts_match_helm() {
        let t = to_date(
            "2006-01-02T15:04:05.999999999Z07:00",
            "2009-11-08T09:07:06.0123-03:30",
        );
        assert_eq!(
            method(
                &t,
                "Format",
                vec![v("Monday January 2 06 15 3 03 4 04 5 05 pm PM .000000 ,999 .9 Z07:00:00 -07:00:00 -070000 Z07 002 __2 _2 Jan")]
            ),
            "Sunday November 8 09 09 9 09 7 07 6 06 am AM .012300 ,012  -03:30:00 -03:30:00 -033000 -03 312 312  8 Nov"
        );
        let t = to_date("2006-01-02", "2009-01-05");
        assert_eq!(
            method(
                &t,
                "Format",
                vec![v("__2|002|_2|2|.0|.9|Z07:00|MST|Mondays|Janx|Jan2|January")]
            ),
            "  5|005| 5|5|.0||Z|UTC|Mondays|Janx|Jan5|January"
        );
        assert_eq!(method(&t, "Format", vec![v("")]), "");
        let cases = [
            ("3:04PM", "11:30AM", "0000-01-01 11:30:00 +0000 UTC"),
            (
                "Jan _2 15:04:05",
                "Feb  3 10:00:00",
                "0000-02-03 10:00:00 +0000 UTC",
            ),
            (
                "2006-01-02 MST",
                "2024-03-05 GMT+3",
                "2024-03-05 03:00:00 +0300 GMT+3",
            ),
            (
                "2006-01-02 MST",
                "2024-03-05 CEST",
                "2024-03-05 00:00:00 +0000 CEST",
            ),
            (
                "2006-01-02 -07",
                "2024-03-05 +05",
                "2024-03-05 00:00:00 +0500 +0500",
            ),
            (
                "2006-01-02Z07:00",
                "2024-03-05Z",
                "2024-03-05 00:00:00 +0000 UTC",
            ),
            (
                "2006-01-02 15:04:05.000",
                "2024-03-05 10:00:00.1234",
                "0001-01-01 00:00:00 +0000 UTC",
            ),
        ];
        for (l, val, want) in cases {
            assert_eq!(to_date(l, val).format_v(), want, "{l} {val}");
        }
        let errs = [
            (
                "15:04",
                "25:00",
                "parsing time \"25:00\": hour out of range",
            ),
            (
                "2006-01-02 -0700",
                "2024-03-05 +25:00",
                "parsing time \"2024-03-05 +25:00\": time zone offset hour out of range",
            ),
            (
                "2006-002",
                "2023-366",
                "parsing time \"2023-366\": day-of-year out of range",
            ),
            (
                "2006-002 01",
                "2024-060 03",
                "parsing time \"2024-060 03\": day-of-year does not match month",
            ),
            (
                "2006-01-02",
                "2024-01",
                "parsing time \"2024-01\" as \"2006-01-02\": cannot parse \"\" as \"-\"",
            ),
        ];
        for (l, val, want) in errs {
            assert_eq!(run("mustToDate", vec![v(l), v(val)]).unwrap_err(), want);
        }
        let mar = to_date("2006-01-02", "2024-03-05");
        let modify = |d: &str| {
            run("dateModify", vec![v(d), mar.clone()])
                .unwrap()
                .format_v()
        };
        assert_eq!(modify("-1.5h"), "2024-03-04 22:30:00 +0000 UTC");
        assert_eq!(modify("1h30m0.5s"), "2024-03-05 01:30:00.5 +0000 UTC");
        assert_eq!(modify("2us"), "2024-03-05 00:00:00.000002 +0000 UTC");
        let bad = [
            ("1", "time: missing unit in duration \"1\""),
            ("1y", "time: unknown unit \"y\" in duration \"1y\""),
            ("", "time: invalid duration \"\""),
            (".h", "time: invalid duration \".h\""),
            ("9999999999h", "time: invalid duration \"9999999999h\""),
        ];
        for (d, want) in bad {
            assert_eq!(
                run("mustDateModify", vec![v(d), mar.clone()]).unwrap_err(),
                want
            );
        }
        let early = to_date("2006-01-02T15:04:05.000", "2024-03-05T01:02:03.004");
        assert_eq!(method(&mar, "Sub", vec![early]), "-1h2m3.004s");
        let zero = to_date("2006-01-02T15:04:05.000", "2024-03-05T00:00:00.0015");
        assert_eq!(method(&zero, "Sub", vec![mar]), "-2562047h47m16.854775808s");
    }

    /// Odd layouts and values (multi-byte text where digits or offsets belong) never panic.
    #[test]
    fn parse_never_panics() {
        use rand::{Rng, SeedableRng};
        let pieces = [
            "2006", "01", "02", "15", "04", "05", ".000", ".999", "Z07:00", "-0700", "-07", "MST",
            "Jan", "Monday", "PM", "002", "__2", "_2", " ", "-", ":", "é", "ü1", "+", "9", "GMT",
            "+05:3é", "Z",
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..3000 {
            let mut pick = |n: usize| -> String {
                (0..n)
                    .map(|_| pieces[rng.gen_range(0..pieces.len())])
                    .collect()
            };
            let (layout, value) = (pick(3), pick(3));
            let _ = layout::parse(&layout, &value, &Loc::Local);
            let _ = layout::parse_duration(&value);
        }
    }

    #[test]
    fn now_uses_the_clock() {
        let t = run("now", vec![]).unwrap();
        // helm prints `now` with its monotonic reading (`m=+0.080906287`); ours reads 0.
        assert_eq!(t.format_v(), "2024-01-02 03:04:05 +0000 UTC m=+0.000000000");
        assert_eq!(method(&t, "UTC", vec![]), "2024-01-02 03:04:05 +0000 UTC");
        assert_eq!(
            run("dateModify", vec![v("1h"), t.clone()])
                .unwrap()
                .format_v(),
            "2024-01-02 04:04:05 +0000 UTC m=+3600.000000000"
        );
        let Value::Object(o) = &t else { panic!() };
        assert_eq!(o.to_data().format_v(), "2024-01-02T03:04:05Z");
        assert_eq!(run("ago", vec![t]).unwrap().format_v(), "0s");
        // helm: `ago 0` measured from its clock; here from the test clock.
        assert_eq!(
            run("ago", vec![Value::Int(0)]).unwrap().format_v(),
            "473379h4m5s"
        );
        assert_eq!(run("ago", vec![v("x")]).unwrap().format_v(), "0s");
    }
}
