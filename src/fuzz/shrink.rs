//! Shrinking a failing set of values: delta debugging (ddmin) over the mutations, so that
//! only the ones the failure needs remain, then simplification of each remaining value
//! (dropping object keys and list items one at a time, simplifying nested values) while the
//! same failure (same signature) still happens on schema-valid values.

use serde_json::Value as Json;

use super::gen::Mutation;
use super::run::{Fuzzer, Verdict};

/// Renders spent on shrinking one failure at most.
const BUDGET: usize = 120;

struct Shrinker<'f, 'c> {
    fuzzer: &'f mut Fuzzer<'c>,
    signature: String,
    spent: usize,
    message: String,
}

impl Shrinker<'_, '_> {
    fn fails(&mut self, muts: &[Mutation]) -> bool {
        if self.spent >= BUDGET {
            return false;
        }
        self.spent += 1;
        match self.fuzzer.evaluate(muts) {
            Verdict::Failed {
                signature, message, ..
            } if signature == self.signature => {
                self.message = message;
                true
            }
            _ => false,
        }
    }

    /// Zeller's ddmin: the smallest subset (1-minimal) that still fails.
    fn ddmin(&mut self, mut muts: Vec<Mutation>) -> Vec<Mutation> {
        let mut n = 2usize;
        while muts.len() >= 2 {
            let chunk = muts.len().div_ceil(n);
            let parts: Vec<Vec<Mutation>> = muts.chunks(chunk).map(<[_]>::to_vec).collect();
            let mut reduced = false;
            for (i, part) in parts.iter().enumerate() {
                if self.fails(part) {
                    muts = part.clone();
                    n = 2;
                    reduced = true;
                    break;
                }
                let complement: Vec<Mutation> = parts
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .flat_map(|(_, p)| p.iter().cloned())
                    .collect();
                if parts.len() > 2 && self.fails(&complement) {
                    muts = complement;
                    n = (n - 1).max(2);
                    reduced = true;
                    break;
                }
            }
            if !reduced {
                if n >= muts.len() {
                    break;
                }
                n = (n * 2).min(muts.len());
            }
        }
        if muts.len() == 1 && self.fails(&[]) {
            return Vec::new();
        }
        muts
    }

    /// Smaller versions of a value, simplest first.
    fn candidates(v: &Json) -> Vec<Json> {
        let mut out = Vec::new();
        match v {
            Json::Object(m) => {
                for k in m.keys() {
                    let mut c = m.clone();
                    c.remove(k);
                    out.push(Json::Object(c));
                }
                for (k, sub) in m {
                    for s in Self::candidates(sub) {
                        let mut c = m.clone();
                        c.insert(k.clone(), s);
                        out.push(Json::Object(c));
                    }
                }
            }
            Json::Array(a) => {
                for i in 0..a.len() {
                    let mut c = a.clone();
                    c.remove(i);
                    out.push(Json::Array(c));
                }
                for (i, sub) in a.iter().enumerate() {
                    for s in Self::candidates(sub) {
                        let mut c = a.clone();
                        c[i] = s;
                        out.push(Json::Array(c));
                    }
                }
            }
            _ => {}
        }
        out
    }

    fn simplify(&mut self, mut muts: Vec<Mutation>) -> Vec<Mutation> {
        let mut progress = true;
        while progress && self.spent < BUDGET {
            progress = false;
            for i in 0..muts.len() {
                for c in Self::candidates(&muts[i].1) {
                    let mut trial = muts.clone();
                    trial[i].1 = c;
                    if self.fails(&trial) {
                        muts = trial;
                        progress = true;
                        break;
                    }
                }
                if progress {
                    break;
                }
            }
        }
        muts
    }
}

/// Keeps the last mutation of each path (earlier ones are overwritten anyway).
fn last_per_path(muts: Vec<Mutation>) -> Vec<Mutation> {
    let mut out: Vec<Mutation> = Vec::new();
    for m in muts.into_iter().rev() {
        if !out.iter().any(|(p, _)| *p == m.0) {
            out.push(m);
        }
    }
    out.reverse();
    out
}

/// The minimal mutations that still fail with `signature`, and that failure's message.
/// `None` when the failure does not reproduce (it always should: runs are deterministic).
pub fn shrink(
    fuzzer: &mut Fuzzer<'_>,
    muts: Vec<Mutation>,
    signature: &str,
) -> Option<(Vec<Mutation>, String)> {
    let mut s = Shrinker {
        fuzzer,
        signature: signature.to_string(),
        spent: 0,
        message: String::new(),
    };
    let mut cur = muts;
    if !s.fails(&cur) {
        return None;
    }
    let deduped = last_per_path(cur.clone());
    if deduped.len() < cur.len() && s.fails(&deduped) {
        cur = deduped;
    }
    cur = s.ddmin(cur);
    cur = s.simplify(cur);
    // Leave the message of the final reproducer.
    s.fails(&cur);
    Some((cur, s.message))
}
