//! Template functions: `semver` and `semverCompare`, with Masterminds semver v3.4.0's version
//! parsing (in its default coercing mode) and constraint semantics.
//!
//! The library parses with regular expressions. `semver_syntax` matches all but one of them by
//! hand (the tests here compare it with the expressions); the range expression is compiled as
//! written (Go's RE2 and Rust's `regex` agree on leftmost-first matching), with Go's ASCII-only
//! `\s` spelled out, since Rust's is Unicode-aware.

use std::any::Any;
use std::cmp::Ordering;
use std::sync::{Arc, OnceLock};

use regex::Regex;

use super::semver_syntax::{self as syntax, build_regex, ConstraintVersion, CV};
use super::{Func, FuncCtx, FuncError, FuncResult};
use crate::engine::value::{Object, Sig, Ty, Value};
use crate::gofunc;

/// This group's functions.
pub const FUNCS: &[Func] = &[
    gofunc!("semver", [Ty::String], semver_fn),
    gofunc!("semverCompare", [Ty::String, Ty::String], semver_compare_fn),
];

const VERSION_TY: &str = "*semver.Version";

/// A parsed semantic version, Go's `*semver.Version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// The major number.
    pub major: u64,
    /// The minor number (0 when absent).
    pub minor: u64,
    /// The patch number (0 when absent).
    pub patch: u64,
    /// The prerelease, without its `-`.
    pub pre: String,
    /// The build metadata, without its `+`.
    pub metadata: String,
    /// The text it was parsed from.
    pub original: String,
}

const NUM: &str = "0123456789";
const ALLOWED: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789";

/// The library's range expression (`1.2 - 1.4`). It is the one expression still compiled, and
/// only for constraints that may hold a range.
fn range_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| build_regex(&format!(r"\s*({CV})\s+-\s+({CV})\s*")))
}

fn parse_u64(s: &str) -> Result<u64, String> {
    s.parse::<u64>().map_err(|_| {
        format!(
            "error parsing version segment: strconv.ParseUint: parsing {s:?}: value out of range"
        )
    })
}

fn only(s: &str, set: &str) -> bool {
    s.chars().all(|c| set.contains(c))
}

fn validate_prerelease(p: &str) -> Result<(), String> {
    for part in p.split('.') {
        if part.is_empty() {
            return Err("invalid prerelease string".into());
        } else if only(part, NUM) {
            if part.len() > 1 && part.starts_with('0') {
                return Err("version segment starts with 0".into());
            }
        } else if !only(part, ALLOWED) {
            return Err("invalid prerelease string".into());
        }
    }
    Ok(())
}

fn validate_metadata(m: &str) -> Result<(), String> {
    for part in m.split('.') {
        if part.is_empty() || !only(part, ALLOWED) {
            return Err("invalid metadata string".into());
        }
    }
    Ok(())
}

impl Version {
    /// Parses `v` as Masterminds' `NewVersion` does by default (coercing: `v1`, `1.2`, `01.2`
    /// are accepted). Errors carry the library's text.
    pub fn parse(v: &str) -> Result<Version, String> {
        let m = syntax::loose_version(v).ok_or_else(|| "invalid semantic version".to_string())?;
        let major = parse_u64(m.major)?;
        let minor = m.minor.map(parse_u64).transpose()?.unwrap_or(0);
        let patch = m.patch.map(parse_u64).transpose()?.unwrap_or(0);
        let pre = m.pre.to_string();
        let metadata = m.metadata.to_string();
        if !pre.is_empty() {
            validate_prerelease(&pre)?;
        }
        if !metadata.is_empty() {
            validate_metadata(&metadata)?;
        }
        Ok(Version {
            major,
            minor,
            patch,
            pre,
            metadata,
            original: v.to_string(),
        })
    }

    /// Semver precedence: build metadata is ignored, a prerelease sorts before its release.
    pub fn compare(&self, o: &Version) -> Ordering {
        self.major
            .cmp(&o.major)
            .then(self.minor.cmp(&o.minor))
            .then(self.patch.cmp(&o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &o.pre),
            })
    }
}

impl std::fmt::Display for Version {
    /// The canonical form, without any `v` prefix the original had.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let sa: Vec<&str> = a.split('.').collect();
    let sb: Vec<&str> = b.split('.').collect();
    for i in 0..sa.len().max(sb.len()) {
        let x = sa.get(i).copied().unwrap_or("");
        let y = sb.get(i).copied().unwrap_or("");
        let d = compare_pre_part(x, y);
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
}

fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    match (s.parse::<u64>(), o.parse::<u64>()) {
        (Err(_), Err(_)) => {
            if s > o {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        // A number always sorts before an alphanumeric identifier.
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Ok(a), Ok(b)) => {
            if a > b {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

impl Object for Version {
    fn type_name(&self) -> &str {
        VERSION_TY
    }
    fn method(&self, name: &str) -> Option<Sig> {
        const NONE: Sig = Sig {
            params: &[],
            variadic: None,
        };
        const ONE: Sig = Sig {
            params: &[Ty::Object(VERSION_TY)],
            variadic: None,
        };
        match name {
            "Major" | "Minor" | "Patch" | "Prerelease" | "Metadata" | "Original" | "String" => {
                Some(NONE)
            }
            "LessThan" | "LessThanEqual" | "GreaterThan" | "GreaterThanEqual" | "Equal"
            | "Compare" => Some(ONE),
            _ => None,
        }
    }
    fn call_method(&self, name: &str, args: Vec<Value>) -> Result<Value, String> {
        // Go's uint64 has no value of its own here; int64 compares and prints the same.
        let other = || -> Result<&Version, String> {
            args.first()
                .and_then(|a| a.downcast::<Version>())
                .ok_or_else(|| {
                    "runtime error: invalid memory address or nil pointer dereference".to_string()
                })
        };
        Ok(match name {
            "Major" => Value::Int64(self.major as i64),
            "Minor" => Value::Int64(self.minor as i64),
            "Patch" => Value::Int64(self.patch as i64),
            "Prerelease" => Value::str(&self.pre),
            "Metadata" => Value::str(&self.metadata),
            "Original" => Value::str(&self.original),
            "String" => Value::str(self.to_string()),
            "LessThan" => Value::Bool(self.compare(other()?) == Ordering::Less),
            "LessThanEqual" => Value::Bool(self.compare(other()?) != Ordering::Greater),
            "GreaterThan" => Value::Bool(self.compare(other()?) == Ordering::Greater),
            "GreaterThanEqual" => Value::Bool(self.compare(other()?) != Ordering::Less),
            "Equal" => Value::Bool(self.compare(other()?) == Ordering::Equal),
            "Compare" => Value::Int(match self.compare(other()?) {
                Ordering::Less => -1,
                Ordering::Equal => 0,
                Ordering::Greater => 1,
            }),
            _ => return Err(format!("can't call method {name}")),
        })
    }
    fn format_v(&self) -> String {
        self.to_string()
    }
    fn to_data(&self) -> Value {
        Value::str(self.to_string())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

#[derive(Debug)]
struct Constraint {
    con: Version,
    op: Op,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

/// A parsed constraint: alternatives (`||`) of conjunctions.
#[derive(Debug)]
pub struct Constraints {
    groups: Vec<(Vec<Constraint>, bool)>,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "*" | "X")
}

fn rewrite_range(input: &str) -> String {
    if !syntax::may_hold_range(input) {
        return input.to_string();
    }
    let mut out = input.to_string();
    for caps in range_regex().captures_iter(input) {
        let whole = caps.get(0).map(|m| m.as_str()).unwrap_or("");
        let a = caps.get(1).map(|m| m.as_str()).unwrap_or("");
        let b = caps.get(11).map(|m| m.as_str()).unwrap_or("");
        out = out.replacen(whole, &format!(">= {a}, <= {b} "), 1);
    }
    out
}

/// The library's `parseConstraint`, given the operator and version its expression matched.
fn parse_constraint(op: &str, v: ConstraintVersion<'_>) -> Result<Constraint, String> {
    let op = match op {
        "" | "=" => Op::TildeOrEqual,
        "!=" => Op::NotEqual,
        ">" => Op::Greater,
        "<" => Op::Less,
        ">=" | "=>" => Op::GreaterEqual,
        "<=" | "=<" => Op::LessEqual,
        "~" | "~>" => Op::Tilde,
        _ => Op::Caret,
    };
    let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
    let ver = if is_x(v.major) {
        dirty = true;
        format!("0.0.0{}", v.pre)
    } else if is_x(v.minor.trim_start_matches('.')) || v.minor.is_empty() {
        minor_dirty = true;
        dirty = true;
        format!("{}.0.0{}", v.major, v.pre)
    } else if is_x(v.patch.trim_start_matches('.')) || v.patch.is_empty() {
        dirty = true;
        patch_dirty = true;
        format!("{}{}.0{}", v.major, v.minor, v.pre)
    } else {
        v.whole.to_string()
    };
    let con = Version::parse(&ver).map_err(|_| "constraint parser error".to_string())?;
    Ok(Constraint {
        con,
        op,
        minor_dirty,
        patch_dirty,
        dirty,
    })
}

impl Constraints {
    /// Parses a constraint string as `semver.NewConstraint` does.
    pub fn parse(c: &str) -> Result<Constraints, String> {
        let c = rewrite_range(c);
        let mut groups = Vec::new();
        for part in c.split("||") {
            let terms = syntax::constraint_terms(part)
                .ok_or_else(|| format!("improper constraint: {part}"))?;
            let mut cs = Vec::with_capacity(terms.len());
            let mut has_pre = false;
            for (op, v) in terms {
                let pc = parse_constraint(op, v)?;
                has_pre |= !pc.con.pre.is_empty();
                cs.push(pc);
            }
            groups.push((cs, has_pre));
        }
        Ok(Constraints { groups })
    }

    /// Whether `v` satisfies any alternative.
    pub fn check(&self, v: &Version) -> bool {
        self.groups
            .iter()
            .any(|(cs, pre)| cs.iter().all(|c| c.check(v, *pre)))
    }
}

impl Constraint {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.con;
        match self.op {
            Op::TildeOrEqual => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v.compare(c) == Ordering::Equal
                }
            }
            Op::NotEqual => {
                if self.dirty {
                    if c.major != v.major {
                        return true;
                    }
                    if c.minor != v.minor && !self.minor_dirty {
                        return true;
                    } else if self.minor_dirty {
                        return false;
                    } else if c.patch != v.patch && !self.patch_dirty {
                        return true;
                    } else if self.patch_dirty {
                        if !v.pre.is_empty() || !c.pre.is_empty() {
                            return compare_prerelease(&v.pre, &c.pre) != Ordering::Equal;
                        }
                        return false;
                    }
                }
                v.compare(c) != Ordering::Equal
            }
            Op::Greater => {
                if !self.dirty {
                    return v.compare(c) == Ordering::Greater;
                }
                if v.major > c.major {
                    true
                } else if v.major < c.major || self.minor_dirty {
                    false
                } else if self.patch_dirty {
                    v.minor > c.minor
                } else {
                    v.compare(c) == Ordering::Greater
                }
            }
            Op::Less => v.compare(c) == Ordering::Less,
            Op::GreaterEqual => v.compare(c) != Ordering::Less,
            Op::LessEqual => {
                if !self.dirty {
                    return v.compare(c) != Ordering::Greater;
                }
                !(v.major > c.major
                    || (v.major == c.major && v.minor > c.minor && !self.minor_dirty))
            }
            Op::Tilde => self.tilde(v),
            Op::Caret => {
                if v.compare(c) == Ordering::Less {
                    return false;
                }
                if c.major > 0 || self.minor_dirty {
                    return v.major == c.major;
                }
                if v.major > 0 {
                    return false;
                }
                if c.minor > 0 || self.patch_dirty {
                    return v.minor == c.minor;
                }
                if v.minor > 0 {
                    return false;
                }
                c.patch == v.patch
            }
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        v.minor == c.minor || self.minor_dirty
    }
}

/// Whether `version` satisfies `constraint`, with Masterminds semver v3 semantics (as helm's
/// `kubeVersion` check and `semverCompare` use). Errors carry the library's text:
/// `improper constraint: …` or `invalid semantic version`.
pub fn constraint_matches(constraint: &str, version: &str) -> Result<bool, String> {
    let c = Constraints::parse(constraint)?;
    let v = Version::parse(version)?;
    Ok(c.check(&v))
}

fn str_arg(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

/// semver 3.3 (helm 3.18) capitalised this message; 3.4 (helm 4.1) does not.
fn semver_error(ctx: &dyn FuncCtx, e: String) -> FuncError {
    if ctx.helm_major() < 4 && e == "invalid semantic version" {
        return FuncError::msg("Invalid Semantic Version");
    }
    FuncError::Msg(e)
}

fn semver_fn(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    Version::parse(str_arg(&args, 0))
        .map(|v| Value::Object(Arc::new(v)))
        .map_err(|e| semver_error(ctx, e))
}

fn semver_compare_fn(ctx: &mut dyn FuncCtx, args: Vec<Value>) -> FuncResult {
    constraint_matches(str_arg(&args, 0), str_arg(&args, 1))
        .map(Value::Bool)
        .map_err(|e| semver_error(ctx, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string of up to four characters over an alphabet that reaches every branch of the
    /// expressions, plus random longer ones: the hand matchers must answer as the expressions.
    #[test]
    fn hand_matchers_agree_with_the_library_expressions() {
        const ALPHABET: &[char] = &[
            '1', '0', '.', '-', '+', 'v', 'x', '*', '|', 'a', ' ', ',', '=', '>', '<', '~', '^',
            '!', '\t', '\u{b}', 'é',
        ];
        let mut checked = 0usize;
        let mut check = |s: &str| {
            assert_eq!(
                syntax::oracle::by_hand(s),
                syntax::oracle::by_regex(s),
                "{s:?}"
            );
            assert!(
                syntax::may_hold_range(s) || !range_regex().is_match(s),
                "{s:?}: a range the prefilter missed"
            );
            checked += 1;
        };
        let mut cur: Vec<String> = vec![String::new()];
        for len in 0..=4 {
            cur.iter().for_each(|s| check(s));
            if len < 4 {
                cur = cur
                    .iter()
                    .flat_map(|s| ALPHABET.iter().map(move |c| format!("{s}{c}")))
                    .collect();
            }
        }
        // Longer strings from a fixed-seed generator, built of plausible pieces.
        const PIECES: &[&str] = &[
            "1", "12", "0", ".", ".2", "-", "-0", "-rc.1", "+b", "v", "x", "X", "*", " ", "  ",
            ",", ", ", ">=", "<=", "=>", "=<", "!=", ">", "<", "~", "~>", "^", "=", "||", " - ",
            "a", "-a-", "..", "\n",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            let mut s = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for _ in 0..(state % 9) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                s.push_str(PIECES[(state % PIECES.len() as u64) as usize]);
            }
            check(&s);
        }
        assert!(checked > 390_000, "{checked}");
    }

    fn m(c: &str, v: &str) -> bool {
        constraint_matches(c, v).unwrap_or_else(|e| panic!("{c} {v}: {e}"))
    }

    #[test]
    fn versions() {
        let v = Version::parse("1.2.3-beta.1+b5").unwrap();
        assert_eq!(v.to_string(), "1.2.3-beta.1+b5");
        let v = Version::parse("v1.2").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (1, 2, 0));
        assert_eq!(v.original, "v1.2");
        assert_eq!(Version::parse("x").unwrap_err(), "invalid semantic version");
        assert_eq!(
            Version::parse("bar").unwrap_err(),
            "invalid semantic version"
        );
        assert_eq!(
            Version::parse("1.2.3-01").unwrap_err(),
            "version segment starts with 0"
        );
        assert_eq!(
            Version::parse("99999999999999999999").unwrap_err(),
            "error parsing version segment: strconv.ParseUint: parsing \"99999999999999999999\": value out of range"
        );
    }

    #[test]
    fn constraints() {
        // Verified against helm 4.1.4: `semverCompare ">= 1.2, < 3" "2.0.0"` is true.
        assert!(m(">= 1.2, < 3", "2.0.0"));
        assert!(!m(">= 1.2, < 3", "3.0.0"));
        assert!(m("~1.2.3", "1.2.9"));
        assert!(!m("~1.2.3", "1.3.0"));
        assert!(m("^1.2.3", "1.9.0"));
        assert!(!m("^0.2.3", "0.3.0"));
        assert!(m("1.2.x", "1.2.7"));
        assert!(m("1.2 - 1.4", "1.3.0"));
        assert!(m("<1 || >=2", "2.1.0"));
        assert!(!m(">=1.0.0", "1.5.0-beta.1"));
        assert!(m(">=1.0.0-0", "1.5.0-beta.1"));
        assert!(m(">=1.20.0-0", "1.28.3-gke.100"));
        assert!(!m("<1.20", "1.35.0"));
        // helm 4.1.4: an empty constraint is `improper constraint: ` (with the trailing space).
        assert_eq!(
            constraint_matches("", "1.0.0").unwrap_err(),
            "improper constraint: "
        );
        assert!(m("*", "1.0.0"));
        assert!(m("!=1.2.x", "1.3.0"));
        assert!(!m("!=1.2.x", "1.2.5"));
        assert!(!m(">11", "11.1.0"));
        assert!(m("<=1.2", "1.2.9"));
        assert_eq!(
            constraint_matches("foo", "2.0.0").unwrap_err(),
            "improper constraint: foo"
        );
        assert_eq!(
            constraint_matches(">1", "bar").unwrap_err(),
            "invalid semantic version"
        );
    }

    #[test]
    fn object() {
        let v = Version::parse("v1.2").unwrap();
        assert_eq!(v.call_method("Major", vec![]).unwrap().format_v(), "1");
        assert_eq!(
            v.call_method("Original", vec![]).unwrap().format_v(),
            "v1.2"
        );
        assert_eq!(v.format_v(), "1.2.0");
        assert_eq!(v.type_name(), "*semver.Version");
    }

    /// Every constraint against every version, as helm 4.1.4's `semverCompare` answered
    /// (1 = true), in the order of `VERSIONS`.
    #[test]
    fn table_matches_helm() {
        const VERSIONS: &[&str] = &[
            "1.2.3",
            "1.2.4",
            "1.3.0",
            "2.0.0",
            "0.2.5",
            "0.3.0",
            "0.0.3",
            "0.0.4",
            "1.2.3-beta",
            "1.2.3-beta.3",
            "1.2.4-alpha",
            "3.1.0",
            "1.0.0",
            "0.0.0",
            "1.4.5",
            "1.4.6",
            "v2",
            "2.0.0-rc.1",
            "1.2.3+build",
        ];
        const TABLE: &[(&str, &str)] = &[
            (">= 1.2, < 3", "1111000000000011101"),
            ("~1.2.3", "1100000000000000001"),
            ("^1.2.3", "1110000000000011001"),
            ("^0.2.3", "0000100000000000000"),
            ("^0.0.3", "0000001000000000000"),
            ("^0", "0000111100000100000"),
            ("^0.0", "0000001100000100000"),
            ("~0", "0000111100000100000"),
            ("~1", "1110000000001011001"),
            ("~1.x", "1110000000001011001"),
            ("1.2.x", "1100000000000000001"),
            ("1.x", "1110000000001011001"),
            ("*", "1111111100011111101"),
            ("x", "1111111100011111101"),
            ("!=1.2.3", "0111111100011111100"),
            ("!=1.x", "0001111100010100100"),
            ("!=1.2.x", "0011111100011111100"),
            (">1.2", "0011000000010011100"),
            (">1", "0001000000010000100"),
            ("<1.2", "0000111100001100000"),
            ("<=1.2", "1100111100001100001"),
            ("<=1", "1110111100001111001"),
            (">=1.2.3-beta", "1111000011110011111"),
            ("<2.0.0-0", "1110111111101111001"),
            ("1.2 - 1.4.5", "1110000000000010001"),
            ("1 - 2", "1111000000001011101"),
            (">=1.2.3 <2 || >=3", "1110000000010011001"),
            ("=1.2.3", "1000000000000000001"),
            ("1.2.3", "1000000000000000001"),
            ("v1.2.3", "1000000000000000001"),
            ("~> 1.2", "1100000000000000001"),
            ("=>1.2", "1111000000010011101"),
            ("=<1.2", "1100111100001100001"),
            (">= 1.2.3-alpha.1", "1111000011110011111"),
            ("^1.2.3-beta.2", "1110000001100011001"),
            ("~1.2.3-beta.2", "1100000001100000001"),
            (">1.2.3-beta", "1111000001110011111"),
            ("!=1.2.3-beta", "1111111101111111111"),
            ("1.2.3-beta.x", "0000000000000000000"),
        ];
        for (c, bits) in TABLE {
            for (v, bit) in VERSIONS.iter().zip(bits.chars()) {
                assert_eq!(m(c, v), bit == '1', "{c} {v}");
            }
        }
    }
}
