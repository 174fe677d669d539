//! gobwas/glob with `/` as the separator, as `.Files.Glob` compiles patterns: `*` and `?` do not
//! cross `/`, `**` does, `[a-z]` and `[!a-z]` classes, `{a,b}` alternatives (nestable), `\`
//! escapes.

#[derive(Clone, Debug)]
enum Node {
    Lit(char),
    Any,
    Super,
    Single,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    Alt(Vec<Vec<Node>>),
}

/// A compiled pattern.
#[derive(Clone, Debug)]
pub struct Glob(Vec<Node>);

impl Glob {
    /// Compiles `pattern`; `None` when gobwas/glob would reject it.
    pub fn compile(pattern: &str) -> Option<Glob> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pos = 0;
        let nodes = parse_seq(&chars, &mut pos, false)?;
        (pos == chars.len()).then_some(Glob(nodes))
    }

    /// Whether `name` matches the whole pattern.
    pub fn matches(&self, name: &str) -> bool {
        let n: Vec<char> = name.chars().collect();
        match_seq(&self.0, &n, &mut 0)
    }
}

fn parse_seq(c: &[char], pos: &mut usize, in_alt: bool) -> Option<Vec<Node>> {
    let mut out = Vec::new();
    while let Some(&ch) = c.get(*pos) {
        match ch {
            ',' | '}' if in_alt => return Some(out),
            '}' => return None,
            '*' => {
                if c.get(*pos + 1) == Some(&'*') {
                    *pos += 2;
                    out.push(Node::Super);
                } else {
                    *pos += 1;
                    out.push(Node::Any);
                }
            }
            '?' => {
                *pos += 1;
                out.push(Node::Single);
            }
            '\\' => {
                let e = *c.get(*pos + 1)?;
                *pos += 2;
                out.push(Node::Lit(e));
            }
            '[' => {
                *pos += 1;
                let negated = c.get(*pos) == Some(&'!');
                if negated {
                    *pos += 1;
                }
                let mut ranges = Vec::new();
                loop {
                    let x = *c.get(*pos)?;
                    if x == ']' {
                        *pos += 1;
                        break;
                    }
                    *pos += 1;
                    if c.get(*pos) == Some(&'-') && c.get(*pos + 1).is_some_and(|y| *y != ']') {
                        let hi = c[*pos + 1];
                        *pos += 2;
                        if hi < x {
                            return None;
                        }
                        ranges.push((x, hi));
                    } else {
                        ranges.push((x, x));
                    }
                }
                if ranges.is_empty() {
                    return None;
                }
                out.push(Node::Class { negated, ranges });
            }
            '{' => {
                *pos += 1;
                let mut alts = Vec::new();
                loop {
                    alts.push(parse_seq(c, pos, true)?);
                    match c.get(*pos) {
                        Some(',') => *pos += 1,
                        Some('}') => {
                            *pos += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                out.push(Node::Alt(alts));
            }
            _ => {
                *pos += 1;
                out.push(Node::Lit(ch));
            }
        }
    }
    if in_alt {
        return None;
    }
    Some(out)
}

/// Matches `nodes` against `n` entirely. `budget` bounds the work on pathological patterns.
fn match_seq(nodes: &[Node], n: &[char], budget: &mut u64) -> bool {
    *budget += 1;
    if *budget > 5_000_000 {
        return false;
    }
    let Some(first) = nodes.first() else {
        return n.is_empty();
    };
    let rest = &nodes[1..];
    match first {
        Node::Lit(c) => n.first() == Some(c) && match_seq(rest, &n[1..], budget),
        Node::Single => n.first().is_some_and(|c| *c != '/') && match_seq(rest, &n[1..], budget),
        Node::Class { negated, ranges } => match n.first() {
            Some(&c) => {
                let inside = ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi);
                inside != *negated && match_seq(rest, &n[1..], budget)
            }
            None => false,
        },
        Node::Any | Node::Super => {
            for k in 0..=n.len() {
                if k > 0 && matches!(first, Node::Any) && n[k - 1] == '/' {
                    return false;
                }
                if match_seq(rest, &n[k..], budget) {
                    return true;
                }
            }
            false
        }
        Node::Alt(alts) => alts.iter().any(|a| {
            let mut joined = a.clone();
            joined.extend_from_slice(rest);
            match_seq(&joined, n, budget)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, n: &str) -> bool {
        Glob::compile(p).unwrap().matches(n)
    }

    #[test]
    fn semantics() {
        assert!(m("*.txt", "a.txt"));
        assert!(!m("*.txt", "d/a.txt"));
        assert!(m("**.txt", "d/a.txt"));
        assert!(m("files/**", "files/a/b"));
        assert!(m("{a,b}.txt", "b.txt"));
        assert!(m("[!x]y", "ay"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "a/c"));
        assert!(Glob::compile("[").is_none());
        assert!(Glob::compile("{a").is_none());
    }
}
