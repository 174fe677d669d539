//! The part of Masterminds semver v3 that helm's chart pipeline uses: `NewVersion` (in its
//! coercing mode) to validate chart versions, and `NewConstraint(..).Check` for kubeVersion and
//! dependency version ranges (`IsCompatibleRange`).
//!
//! The lead may point [`constraint_matches`] at a shared implementation once one exists; every
//! constraint check of this module goes through that single function.

use std::cmp::Ordering;
use std::sync::OnceLock;

use regex::Regex;

/// A parsed semantic version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// Major segment.
    pub major: u64,
    /// Minor segment (0 when absent).
    pub minor: u64,
    /// Patch segment (0 when absent).
    pub patch: u64,
    /// Prerelease, without the `-`.
    pub pre: String,
    /// Build metadata, without the `+`.
    pub metadata: String,
}

const LOOSE: &str = r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

fn re(cell: &'static OnceLock<Regex>, src: impl FnOnce() -> String) -> &'static Regex {
    cell.get_or_init(|| Regex::new(&src()).expect("static regex"))
}

fn loose_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, || format!("^{LOOSE}$"))
}

impl Version {
    /// Masterminds' `NewVersion` with coercion on (its default): leading zeros allowed in
    /// segments, `v` prefix optional, missing minor and patch are 0.
    pub fn parse(s: &str) -> Result<Version, String> {
        let caps = loose_re()
            .captures(s)
            .ok_or_else(|| "invalid semantic version".to_string())?;
        let seg = |i: usize| -> Result<u64, String> {
            match caps.get(i) {
                None => Ok(0),
                Some(m) => m
                    .as_str()
                    .trim_start_matches('.')
                    .parse::<u64>()
                    .map_err(|_| "error parsing version segment".to_string()),
            }
        };
        let pre = caps
            .get(5)
            .map(|m| m.as_str().to_string())
            .unwrap_or_default();
        for part in pre.split('.').filter(|_| !pre.is_empty()) {
            if part.len() > 1 && part.starts_with('0') && part.bytes().all(|b| b.is_ascii_digit()) {
                return Err("version segment starts with 0".into());
            }
        }
        Ok(Version {
            major: seg(1)?,
            minor: seg(2)?,
            patch: seg(3)?,
            pre,
            metadata: caps
                .get(8)
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
        })
    }

    /// Semver precedence; metadata is ignored.
    pub fn compare(&self, o: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(o.major, o.minor, o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_pre(&self.pre, &o.pre),
            })
    }
}

fn compare_pre(a: &str, b: &str) -> Ordering {
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for i in 0..pa.len().max(pb.len()) {
        let (s, o) = (
            pa.get(i).copied().unwrap_or(""),
            pb.get(i).copied().unwrap_or(""),
        );
        if s == o {
            continue;
        }
        if s.is_empty() {
            return Ordering::Less;
        }
        if o.is_empty() {
            return Ordering::Greater;
        }
        return match (s.parse::<u64>(), o.parse::<u64>()) {
            (Err(_), Err(_)) => s.cmp(o),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Ok(x), Ok(y)) => {
                if x > y {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
        };
    }
    Ordering::Equal
}

struct Constraint {
    op: String,
    con: Version,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

fn parse_constraint(s: &str) -> Option<Constraint> {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = re(&R, || format!(r"^\s*({OPS})\s*({CV})\s*$"));
    let m = r.captures(s)?;
    let g = |i: usize| m.get(i).map(|x| x.as_str()).unwrap_or("");
    let (m3, m4, m5, m6) = (g(3), g(4), g(5), g(6));
    let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
    let ver = if is_x(m3) || m3.is_empty() {
        dirty = true;
        format!("0.0.0{m6}")
    } else if is_x(m4.trim_start_matches('.')) || m4.is_empty() {
        dirty = true;
        minor_dirty = true;
        format!("{m3}.0.0{m6}")
    } else if is_x(m5.trim_start_matches('.')) || m5.is_empty() {
        dirty = true;
        patch_dirty = true;
        format!("{m3}{m4}.0{m6}")
    } else {
        g(2).to_string()
    };
    Some(Constraint {
        op: g(1).to_string(),
        con: Version::parse(&ver).ok()?,
        dirty,
        minor_dirty,
        patch_dirty,
    })
}

impl Constraint {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.con;
        let cmp = v.compare(c);
        match self.op.as_str() {
            "" | "=" => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    cmp == Ordering::Equal
                }
            }
            "!=" => {
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
                            return compare_pre(&v.pre, &c.pre) != Ordering::Equal;
                        }
                        return false;
                    }
                }
                cmp != Ordering::Equal
            }
            ">" => {
                if !self.dirty {
                    return cmp == Ordering::Greater;
                }
                if v.major != c.major {
                    return v.major > c.major;
                }
                if self.minor_dirty {
                    return false;
                }
                if self.patch_dirty {
                    return v.minor > c.minor;
                }
                cmp == Ordering::Greater
            }
            "<" => cmp == Ordering::Less,
            ">=" | "=>" => cmp != Ordering::Less,
            "<=" | "=<" => {
                if !self.dirty {
                    return cmp != Ordering::Greater;
                }
                !(v.major > c.major
                    || (v.major == c.major && v.minor > c.minor && !self.minor_dirty))
            }
            "~" | "~>" => self.tilde(v),
            "^" => {
                if cmp == Ordering::Less {
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
            _ => false,
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

/// Masterminds' `NewConstraint(constraint)` then `Check(NewVersion(version))`, as helm's
/// `IsCompatibleRange` does: an unparsable constraint or version is `false`.
///
/// This is the single constraint check of the chart pipeline (kubeVersion and dependency
/// version ranges).
pub fn constraint_matches(constraint: &str, version: &str) -> bool {
    let Ok(v) = Version::parse(version) else {
        return false;
    };
    let Some(groups) = parse_constraints(constraint) else {
        return false;
    };
    groups
        .iter()
        .any(|(cs, has_pre)| cs.iter().all(|c| c.check(&v, *has_pre)))
}

fn parse_constraints(text: &str) -> Option<Vec<(Vec<Constraint>, bool)>> {
    static RANGE: OnceLock<Regex> = OnceLock::new();
    static VALID: OnceLock<Regex> = OnceLock::new();
    static FIND: OnceLock<Regex> = OnceLock::new();
    let range = re(&RANGE, || format!(r"\s*({CV})\s+-\s+({CV})\s*"));
    let valid = re(&VALID, || {
        format!(r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$")
    });
    let find = re(&FIND, || format!(r"({OPS})\s*({CV})"));
    let mut rewritten = text.to_string();
    for m in range.captures_iter(text) {
        let whole = m.get(0)?.as_str();
        let t = format!(">= {}, <= {} ", m.get(1)?.as_str(), m.get(11)?.as_str());
        rewritten = rewritten.replacen(whole, &t, 1);
    }
    let mut out = Vec::new();
    for or in rewritten.split("||") {
        if !valid.is_match(or) {
            return None;
        }
        let mut cs = Vec::new();
        let mut has_pre = false;
        for m in find.find_iter(or) {
            let c = parse_constraint(m.as_str())?;
            has_pre |= !c.con.pre.is_empty();
            cs.push(c);
        }
        out.push((cs, has_pre));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(Version::parse("1.2").is_ok());
        assert!(Version::parse("v1").is_ok());
        assert!(Version::parse("01.2.3").is_ok());
        assert!(Version::parse("1.2.3-01").is_err());
        assert!(Version::parse("1.2.x").is_err());
        assert!(Version::parse("").is_err());
    }

    #[test]
    fn constraints() {
        assert!(!constraint_matches("<1.20", "v1.35.0"));
        assert!(constraint_matches(">=1.20", "v1.35.0"));
        assert!(constraint_matches(">=1.20.0-0", "v1.28.3-gke.100"));
        assert!(!constraint_matches(">=1.20", "v1.28.3-gke.100"));
        assert!(constraint_matches("~1.2", "1.2.9"));
        assert!(!constraint_matches("~1.2", "1.3.0"));
        assert!(constraint_matches("^0.1.0", "0.1.5"));
        assert!(!constraint_matches("^0.1.0", "0.2.0"));
        assert!(constraint_matches("1.x", "1.9.0"));
        assert!(constraint_matches("1.0 - 2.0", "1.5.0"));
        assert!(constraint_matches("<1 || >=2", "2.1.0"));
        assert!(constraint_matches(">1.0, <3", "2.0.0"));
        assert!(!constraint_matches("", "1.0.0"));
        assert!(constraint_matches("*", "1.0.0"));
        assert!(constraint_matches("0.1.0", "0.1.0"));
    }
}
