//! Hand-written matchers for the regular expressions Masterminds semver v3 parses versions and
//! constraints with. Compiling those expressions cost every render ~4 M instructions (most
//! charts validate a version or call `semverCompare`), while matching them by hand costs
//! almost nothing.
//!
//! Each function here answers exactly what its expression would, groups included. The
//! expressions are simple enough for that to hold by construction: every optional part opens
//! with a character that cannot continue the part before it, so a greedy scan finds the only
//! match there is. [`oracle`] keeps the expressions; `semver.rs`'s tests compare the two on every
//! short string over the characters that matter, and the `semver` fuzz target on any input.

use regex::Regex;

/// Go's `\s` is ASCII `[\t\n\f\r ]`; Rust's is Unicode, so it is written out.
const WS: &str = r"[\t\n\f\r ]";

/// The library's constraint version expression.
pub const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

/// Compiles one of the library's expressions, spelling out Go's `\s`.
pub fn build_regex(p: &str) -> Regex {
    Regex::new(&p.replace(r"\s", WS)).expect("static semver regex")
}

/// The parts of a version matched by the loose version expression
/// `^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-(PRE))?(\+(META))?$`, each without its separator.
#[derive(Debug, PartialEq, Eq)]
pub struct LooseVersion<'a> {
    /// Group 1.
    pub major: &'a str,
    /// Group 2 after its `.`; `None` when the group did not take part.
    pub minor: Option<&'a str>,
    /// Group 3 after its `.`.
    pub patch: Option<&'a str>,
    /// Group 5: the prerelease, or empty.
    pub pre: &'a str,
    /// Group 8: the build metadata, or empty.
    pub metadata: &'a str,
}

/// One version term of a constraint, `v?([0-9|x|X|\*]+)(\.…)?(\.…)?(-(PRE))?(\+(META))?`
/// (the class holds `|` because the library's author wrote one).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct ConstraintVersion<'a> {
    /// The whole match, `v` and metadata included.
    pub whole: &'a str,
    /// The major part.
    pub major: &'a str,
    /// The minor part with its leading `.`, or empty.
    pub minor: &'a str,
    /// The patch part with its leading `.`, or empty.
    pub patch: &'a str,
    /// The prerelease with its leading `-`, or empty.
    pub pre: &'a str,
}

/// Go's `\s`: ASCII only, and without `\v`.
pub fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn is_wild_digit(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b'|' | b'x' | b'X' | b'*')
}

/// The end of the longest run from `i` of bytes in `class`.
fn run(s: &[u8], i: usize, class: fn(u8) -> bool) -> usize {
    i + s[i..].iter().take_while(|&&b| class(b)).count()
}

/// `(SEP[class]+)?` at `i`: the end of the group, or `i` when it does not match.
fn part(s: &[u8], i: usize, sep: u8, class: fn(u8) -> bool) -> usize {
    if s.get(i) == Some(&sep) && s.get(i + 1).copied().is_some_and(class) {
        run(s, i + 1, class)
    } else {
        i
    }
}

/// `(SEP(ID(\.ID)*))?` at `i`, ID being `[0-9A-Za-z\-]+`: the end of the group, or `i`.
fn dotted(s: &[u8], i: usize, sep: u8) -> usize {
    let mut end = part(s, i, sep, is_ident);
    if end == i {
        return i;
    }
    loop {
        let next = part(s, end, b'.', is_ident);
        if next == end {
            return end;
        }
        end = next;
    }
}

/// Matches the loose version expression against all of `v`.
pub fn loose_version(v: &str) -> Option<LooseVersion<'_>> {
    let s = v.as_bytes();
    let start = usize::from(s.first() == Some(&b'v'));
    let major_end = run(s, start, |b| b.is_ascii_digit());
    if major_end == start {
        return None;
    }
    let minor_end = part(s, major_end, b'.', |b| b.is_ascii_digit());
    let patch_end = part(s, minor_end, b'.', |b| b.is_ascii_digit());
    let pre_end = dotted(s, patch_end, b'-');
    let meta_end = dotted(s, pre_end, b'+');
    if meta_end != s.len() {
        return None;
    }
    let opt = |a: usize, b: usize| (b > a).then(|| &v[a + 1..b]);
    Some(LooseVersion {
        major: &v[start..major_end],
        minor: opt(major_end, minor_end),
        patch: opt(minor_end, patch_end),
        pre: opt(patch_end, pre_end).unwrap_or(""),
        metadata: opt(pre_end, meta_end).unwrap_or(""),
    })
}

/// The constraint version expression matched at `i` (greedily, as the library's leftmost-first
/// expressions do), and the end of the match.
fn constraint_version(v: &str, i: usize) -> Option<(ConstraintVersion<'_>, usize)> {
    let s = v.as_bytes();
    let start = if s.get(i) == Some(&b'v') { i + 1 } else { i };
    let major_end = run(s, start, is_wild_digit);
    if major_end == start {
        return None;
    }
    let minor_end = part(s, major_end, b'.', is_wild_digit);
    let patch_end = part(s, minor_end, b'.', is_wild_digit);
    let pre_end = dotted(s, patch_end, b'-');
    let end = dotted(s, pre_end, b'+');
    Some((
        ConstraintVersion {
            whole: &v[i..end],
            major: &v[start..major_end],
            minor: &v[major_end..minor_end],
            patch: &v[minor_end..patch_end],
            pre: &v[patch_end..pre_end],
        },
        end,
    ))
}

/// The operators in the library's alternation. Its other alternatives are the empty operator
/// and `=`; as a version cannot begin with an operator character, the operator a match uses is
/// always the whole run of operator characters before it.
const OPS: &[&str] = &[
    "", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^",
];

fn is_op(b: u8) -> bool {
    matches!(b, b'=' | b'!' | b'>' | b'<' | b'~' | b'^')
}

fn skip_space(s: &[u8], i: usize) -> usize {
    run(s, i, is_space)
}

/// `OPS\s*CV` at `i`: the operator, the version and the end of the match.
fn term(c: &str, i: usize) -> Option<(&str, ConstraintVersion<'_>, usize)> {
    let s = c.as_bytes();
    let op_end = run(s, i, is_op);
    let op = &c[i..op_end];
    if !OPS.contains(&op) {
        return None;
    }
    let (ver, end) = constraint_version(c, skip_space(s, op_end))?;
    Some((op, ver, end))
}

/// One `||` alternative of a constraint, as the library reads it: `None` when its validation
/// expression `^(\s*(OPS)\s*(CV)\s*)((?:\s+|,\s*)(OPS)\s*(CV)\s*)*$` rejects `part`, else every
/// operator and version its `(OPS)\s*(CV)` expression finds.
pub fn constraint_terms(part: &str) -> Option<Vec<(&str, ConstraintVersion<'_>)>> {
    let s = part.as_bytes();
    let mut out = Vec::new();
    let mut i = skip_space(s, 0);
    loop {
        let (op, ver, end) = term(part, i)?;
        out.push((op, ver));
        let after = skip_space(s, end);
        if after == s.len() {
            return Some(out);
        }
        i = if s[after] == b',' {
            skip_space(s, after + 1)
        } else if after > end {
            after
        } else {
            return None;
        };
    }
}

/// Whether the range expression `\s*(CV)\s+-\s+(CV)\s*` can match anywhere in `c`: it needs a
/// `-` with white space on both sides. Most constraints have none, and need no expression.
pub fn may_hold_range(c: &str) -> bool {
    c.as_bytes()
        .windows(3)
        .any(|w| w[1] == b'-' && is_space(w[0]) && is_space(w[2]))
}

/// The library's expressions, which this module matches by hand: the oracle the unit tests
/// and the `semver` fuzz target compare it with.
#[doc(hidden)]
pub mod oracle {
    use super::{build_regex, ConstraintVersion, CV};
    use regex::Regex;
    use std::sync::OnceLock;

    const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

    /// The expressions, compiled.
    pub struct Regexes {
        /// `NewVersion`'s loose version expression.
        pub loose: Regex,
        /// `parseConstraint`'s expression for one constraint.
        pub constraint: Regex,
        /// `NewConstraint`'s expression finding each constraint of an alternative.
        pub find: Regex,
        /// `NewConstraint`'s validation of an alternative.
        pub valid: Regex,
    }

    /// The expressions, compiled once.
    pub fn get() -> &'static Regexes {
        static R: OnceLock<Regexes> = OnceLock::new();
        R.get_or_init(|| Regexes {
            loose: build_regex(
                r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$",
            ),
            constraint: build_regex(&format!(r"^\s*({OPS})\s*({CV})\s*$")),
            find: build_regex(&format!(r"({OPS})\s*({CV})")),
            valid: build_regex(&format!(
                r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$"
            )),
        })
    }

    /// What the expressions say of `s`, in the shape `semver_syntax` answers in.
    pub fn by_regex(s: &str) -> (Option<String>, Option<Vec<String>>) {
        let r = get();
        let g = |c: &regex::Captures<'_>, i: usize| c.get(i).map(|m| m.as_str().to_string());
        let loose = r.loose.captures(s).map(|c| {
            format!(
                "{:?} {:?} {:?} {:?} {:?}",
                g(&c, 1).unwrap_or_default(),
                g(&c, 2).map(|m| m[1..].to_string()),
                g(&c, 3).map(|m| m[1..].to_string()),
                g(&c, 5).unwrap_or_default(),
                g(&c, 8).unwrap_or_default()
            )
        });
        let cv = |c: &regex::Captures<'_>, base: usize| {
            format!(
                "{:?} {:?} {:?} {:?} {:?} {:?}",
                g(c, base - 1).unwrap_or_default(),
                g(c, base).unwrap_or_default(),
                g(c, base + 1).unwrap_or_default(),
                g(c, base + 2).unwrap_or_default(),
                g(c, base + 3).unwrap_or_default(),
                g(c, base + 4).unwrap_or_default()
            )
        };
        let terms = r.valid.is_match(s).then(|| {
            r.find
                .find_iter(s)
                .map(|m| {
                    let caps = r
                        .constraint
                        .captures(m.as_str())
                        .expect("a found term parses");
                    cv(&caps, 2)
                })
                .collect()
        });
        (loose, terms)
    }

    /// What the hand matchers say of `s`, in the same shape as [`by_regex`].
    pub fn by_hand(s: &str) -> (Option<String>, Option<Vec<String>>) {
        let loose = super::loose_version(s).map(|v| {
            format!(
                "{:?} {:?} {:?} {:?} {:?}",
                v.major, v.minor, v.patch, v.pre, v.metadata
            )
        });
        let cv = |op: &str, v: ConstraintVersion<'_>| {
            format!(
                "{:?} {:?} {:?} {:?} {:?} {:?}",
                op, v.whole, v.major, v.minor, v.patch, v.pre
            )
        };
        let terms =
            super::constraint_terms(s).map(|ts| ts.into_iter().map(|(op, v)| cv(op, v)).collect());
        (loose, terms)
    }
}
