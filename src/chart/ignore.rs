//! `.helmignore` rules as helm applies them (`pkg/ignore`), with Go's `filepath.Match` as the
//! pattern language.
//!
//! helm's quirks are kept: a negated rule (`!x`) ignores every path it does NOT match, rules are
//! tried in order and the first one that decides wins, `**` is refused, and a rule without `/`
//! is matched against the base name only.

/// The name of the ignore file at the top of a chart directory.
pub const HELM_IGNORE: &str = ".helmignore";

#[derive(Clone, Debug)]
struct Pattern {
    rule: String,
    /// The rule as characters, for matching; `None` when it fails Go's pattern syntax (such a
    /// rule matches nothing).
    chars: Option<Vec<char>>,
    /// No metacharacters: matching is string equality.
    literal: bool,
    negate: bool,
    must_dir: bool,
    kind: MatchKind,
}

#[derive(Clone, Copy, Debug)]
enum MatchKind {
    /// `/x`: matched against the whole path, anchored.
    Rooted,
    /// Contains `/`: matched against the whole path.
    Path,
    /// No `/`: matched against the base name.
    Base,
}

/// A parsed set of ignore rules.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    patterns: Vec<Pattern>,
}

impl Rules {
    /// No rules at all.
    pub fn empty() -> Rules {
        Rules::default()
    }

    /// Parses the text of a `.helmignore` file. Errors carry helm's text
    /// (`double-star (**) syntax is not supported`, `syntax error in pattern`).
    pub fn parse(text: &str) -> Result<Rules, String> {
        let mut r = Rules::empty();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            r.add(line)?;
        }
        Ok(r)
    }

    /// Adds helm's built-in rule `templates/.?*`, which hides dotfiles in `templates/`.
    pub fn add_defaults(&mut self) {
        let _ = self.add("templates/.?*");
    }

    fn add(&mut self, rule: &str) -> Result<(), String> {
        let rule = rule.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err("double-star (**) syntax is not supported".into());
        }
        go_match(rule, "abc")?;
        let mut rest = rule;
        let negate = rest.starts_with('!');
        if negate {
            rest = &rest[1..];
        }
        let must_dir = rest.ends_with('/');
        if must_dir {
            rest = &rest[..rest.len() - 1];
        }
        let (kind, rest) = if let Some(after) = rest.strip_prefix('/') {
            (MatchKind::Rooted, after)
        } else if rest.contains('/') {
            (MatchKind::Path, rest)
        } else {
            (MatchKind::Base, rest)
        };
        self.patterns.push(Pattern {
            rule: rest.to_string(),
            chars: validate(rest).ok().map(|()| rest.chars().collect()),
            literal: !rest.contains(['*', '?', '[', '\\']),
            negate,
            must_dir,
            kind,
        });
        Ok(())
    }

    /// Whether `path` (slash-separated, relative to the chart) is ignored.
    pub fn ignore(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        // Every file of a chart meets every rule: the subject's characters are collected once
        // per path, not once per rule.
        let base = path.rsplit('/').next().unwrap_or(path);
        let (mut path_chars, mut base_chars): (Option<Vec<char>>, Option<Vec<char>>) = (None, None);
        for p in &self.patterns {
            let (subject, chars) = match p.kind {
                MatchKind::Rooted | MatchKind::Path => (path, &mut path_chars),
                MatchKind::Base => (base, &mut base_chars),
            };
            let matched = if p.literal {
                p.rule == subject
            } else {
                match &p.chars {
                    Some(pc) => {
                        match_here(pc, chars.get_or_insert_with(|| subject.chars().collect()))
                    }
                    None => false,
                }
            };
            if p.negate {
                if p.must_dir && !is_dir {
                    return true;
                }
                if !matched {
                    return true;
                }
                continue;
            }
            if p.must_dir && !is_dir {
                continue;
            }
            if matched {
                return true;
            }
        }
        false
    }
}

/// Go's `path/filepath.Match` on `/`-separated names: `*` and `?` do not match `/`, `[...]`
/// classes (negated with `^`), `\` escapes. A malformed pattern is `syntax error in pattern`.
pub fn go_match(pattern: &str, name: &str) -> Result<bool, String> {
    const BAD: &str = "syntax error in pattern";
    validate(pattern).map_err(|_| BAD.to_string())?;
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    Ok(match_here(&p, &n))
}

fn validate(p: &str) -> Result<(), ()> {
    let c: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '\\' => {
                if i + 1 >= c.len() {
                    return Err(());
                }
                i += 2;
            }
            '[' => {
                i = class_end(&c, i + 1).ok_or(())?;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Index after the `]` closing a class whose body starts at `i`, if well formed.
fn class_end(c: &[char], mut i: usize) -> Option<usize> {
    if c.get(i) == Some(&'^') {
        i += 1;
    }
    let mut first = true;
    loop {
        let ch = *c.get(i)?;
        if ch == ']' && !first {
            return Some(i + 1);
        }
        first = false;
        let lo = class_char(c, &mut i)?;
        if c.get(i) == Some(&'-') {
            i += 1;
            let hi = class_char(c, &mut i)?;
            if hi < lo {
                return None;
            }
        }
    }
}

fn class_char(c: &[char], i: &mut usize) -> Option<char> {
    let ch = *c.get(*i)?;
    match ch {
        '-' | ']' => None,
        '\\' => {
            let e = *c.get(*i + 1)?;
            *i += 2;
            Some(e)
        }
        _ => {
            *i += 1;
            Some(ch)
        }
    }
}

fn class_matches(c: &[char], start: usize, ch: char) -> (bool, usize) {
    let mut i = start;
    let negated = c.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while let Some(&x) = c.get(i) {
        if x == ']' && !first {
            i += 1;
            break;
        }
        first = false;
        let Some(lo) = class_char(c, &mut i) else {
            break;
        };
        let mut hi = lo;
        if c.get(i) == Some(&'-') {
            i += 1;
            if let Some(h) = class_char(c, &mut i) {
                hi = h;
            }
        }
        if lo <= ch && ch <= hi {
            matched = true;
        }
    }
    (matched != negated, i)
}

fn match_here(p: &[char], n: &[char]) -> bool {
    let Some(&first) = p.first() else {
        return n.is_empty();
    };
    match first {
        '*' => {
            let rest = &p[1..];
            for k in 0..=n.len() {
                if k > 0 && n[k - 1] == '/' {
                    return false;
                }
                if match_here(rest, &n[k..]) {
                    return true;
                }
            }
            false
        }
        '?' => match n.first() {
            Some(&c) if c != '/' => match_here(&p[1..], &n[1..]),
            _ => false,
        },
        '[' => match n.first() {
            Some(&c) if c != '/' => {
                let (ok, next) = class_matches(p, 1, c);
                ok && match_here(&p[next..], &n[1..])
            }
            _ => false,
        },
        '\\' => match (p.get(1), n.first()) {
            (Some(a), Some(b)) if a == b => match_here(&p[2..], &n[1..]),
            _ => false,
        },
        c => n.first() == Some(&c) && match_here(&p[1..], &n[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_match_basics() {
        assert!(go_match("*.txt", "a.txt").unwrap());
        assert!(!go_match("*.txt", "d/a.txt").unwrap());
        assert!(go_match("d/*.txt", "d/a.txt").unwrap());
        assert!(go_match("[a-c]x", "bx").unwrap());
        assert!(!go_match("[^a-c]x", "bx").unwrap());
        assert!(go_match("a?c", "abc").unwrap());
        assert!(go_match("[", "abc").is_err());
        assert!(go_match("a\\", "abc").is_err());
    }

    #[test]
    fn rules() {
        let mut r = Rules::parse("# c\n*.bak\n/top.txt\nsecret/\n").unwrap();
        r.add_defaults();
        assert!(r.ignore("x/y.bak", false));
        assert!(r.ignore("top.txt", false));
        assert!(!r.ignore("d/top.txt", false));
        assert!(r.ignore("secret", true));
        assert!(!r.ignore("secret", false));
        assert!(r.ignore("templates/.hidden", false));
        assert!(!r.ignore("templates/a.yaml", false));
        assert!(!r.ignore("files/.env", false));
        assert_eq!(
            Rules::parse("a/**").unwrap_err(),
            "double-star (**) syntax is not supported"
        );
        // A negated rule ignores every path it does not match.
        let n = Rules::parse("!keep.txt").unwrap();
        assert!(n.ignore("other.txt", false));
        assert!(!n.ignore("keep.txt", false));
    }
}
