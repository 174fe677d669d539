//! Strings that match a schema `pattern`: the pattern is parsed with `regex-syntax` and walked,
//! choosing a branch, a repetition count and a character at each step. ASCII characters are
//! preferred so the values look like what users type; anchors are satisfied by construction.

use rand::Rng;
use regex_syntax::hir::{Class, Hir, HirKind};

/// How repetitions are sized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// The fewest repetitions allowed.
    Shortest,
    /// The most, unbounded repetitions capped at the given length (a schema's `maxLength`,
    /// else 64).
    Longest(usize),
    /// Random, up to eight more than the least.
    Random,
}

/// A string matching `pattern`, or `None` when the pattern cannot be parsed here (ECMA
/// syntax that Rust's regex does not share) or is too large to generate.
pub fn generate<R: Rng>(pattern: &str, size: Size, rng: &mut R) -> Option<String> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(true)
        .build()
        .parse(pattern)
        .ok()?;
    let mut out = String::new();
    let mut budget = 4096usize;
    gen(&hir, size, rng, &mut out, &mut budget)?;
    Some(out)
}

fn gen<R: Rng>(
    h: &Hir,
    size: Size,
    rng: &mut R,
    out: &mut String,
    budget: &mut usize,
) -> Option<()> {
    *budget = budget.checked_sub(1)?;
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(l) => out.push_str(std::str::from_utf8(&l.0).ok()?),
        HirKind::Class(Class::Unicode(c)) => {
            let ranges = c.ranges();
            if ranges.is_empty() {
                return None;
            }
            // Printable ASCII first, when the class has any.
            let ascii: Vec<(u32, u32)> = ranges
                .iter()
                .filter_map(|r| {
                    let (a, b) = (r.start() as u32, r.end() as u32);
                    let (a, b) = (a.max(0x21), b.min(0x7e));
                    (a <= b).then_some((a, b))
                })
                .collect();
            let (a, b) = if !ascii.is_empty() {
                ascii[rng.gen_range(0..ascii.len())]
            } else {
                let r = ranges[rng.gen_range(0..ranges.len())];
                (r.start() as u32, r.end() as u32)
            };
            let c = char::from_u32(rng.gen_range(a..=b)).unwrap_or('a');
            out.push(c);
        }
        HirKind::Class(Class::Bytes(c)) => {
            let ranges = c.ranges();
            let r = ranges.get(rng.gen_range(0..ranges.len().max(1)))?;
            let (a, b) = (r.start().max(0x21), r.end().min(0x7e));
            if a > b {
                return None;
            }
            out.push(char::from(rng.gen_range(a..=b)));
        }
        HirKind::Repetition(rep) => {
            let min = rep.min as usize;
            let max = rep.max.map(|m| m as usize);
            let n = match size {
                Size::Shortest => min,
                Size::Longest(cap) => max.unwrap_or(cap.max(min)).min(cap.max(min)),
                Size::Random => {
                    let hi = max.unwrap_or(min + 8).min(min + 8);
                    rng.gen_range(min..=hi.max(min))
                }
            };
            for _ in 0..n {
                gen(&rep.sub, size, rng, out, budget)?;
            }
        }
        HirKind::Capture(c) => gen(&c.sub, size, rng, out, budget)?,
        HirKind::Concat(parts) => {
            for p in parts {
                gen(p, size, rng, out, budget)?;
            }
        }
        HirKind::Alternation(alts) => {
            let i = match size {
                Size::Shortest => 0,
                _ => rng.gen_range(0..alts.len()),
            };
            gen(&alts[i], size, rng, out, budget)?;
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn generated_strings_match() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for p in [
            "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
            r"^\d+(Mi|Gi)$",
            "^(http|https)://[a-z]+\\.example\\.com$",
            "[A-Z]{3,5}",
            "^v?[0-9]+\\.[0-9]+$",
        ] {
            let re = regex::Regex::new(p).unwrap();
            for size in [Size::Shortest, Size::Longest(64), Size::Random] {
                let s = generate(p, size, &mut rng).unwrap();
                assert!(re.is_match(&s), "{p} {size:?} {s:?}");
            }
        }
    }
}
