//! Template coverage: which lines, and which `if`/`with`/`range` arms, of each template the
//! suites executed, from the engine's execution trace. Reported as a text table and as LCOV.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use crate::chart::prepare::{prepare, RenderOptions};
use crate::chart::Chart;
use crate::engine::trace::{BranchKind, Hit, HitKind, Point};
use crate::render::chart::{helm_order, parse_units};

/// Coverage of one template file.
#[derive(Clone, Debug, Default)]
pub struct FileCoverage {
    /// Template name (`chart/templates/x.yaml`).
    pub name: String,
    /// Executable line → times executed.
    pub lines: BTreeMap<usize, u64>,
    /// Branches: (line, keyword, arm 0 = body / 1 = else) → times taken.
    pub branches: BTreeMap<(usize, usize, &'static str, u8), u64>,
}

impl FileCoverage {
    /// (hit, total) lines.
    pub fn line_counts(&self) -> (usize, usize) {
        (
            self.lines.values().filter(|c| **c > 0).count(),
            self.lines.len(),
        )
    }
    /// (taken, total) branch arms.
    pub fn branch_counts(&self) -> (usize, usize) {
        (
            self.branches.values().filter(|c| **c > 0).count(),
            self.branches.len(),
        )
    }
}

/// Coverage of a chart.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// Per template file, sorted by name.
    pub files: Vec<FileCoverage>,
}

/// Every coverage point of the chart's templates (all of them parsed together, as a render of
/// the whole chart would).
pub fn chart_points(chart: &Chart) -> Vec<Point> {
    let opts = RenderOptions {
        helm_major: 3,
        skip_schema_validation: true,
        install_checks: false,
        ..RenderOptions::default()
    };
    let Ok(prepared) = prepare(chart, &opts) else {
        return Vec::new();
    };
    let order = helm_order(&prepared.units);
    match parse_units(&order, 3) {
        Ok(set) => set.coverage_points(),
        Err(_) => Vec::new(),
    }
}

type Key = (Arc<str>, usize, usize, HitKind);

/// Folds every test's hits onto the chart's points.
pub fn compute(points: &[Point], hits: &[&[Hit]]) -> Coverage {
    let mut counts: HashMap<Key, u64> = HashMap::new();
    for hs in hits {
        for h in hs.iter() {
            *counts
                .entry((h.at.file.clone(), h.at.line, h.at.col, h.kind))
                .or_default() += h.count;
        }
    }
    let mut files: BTreeMap<String, FileCoverage> = BTreeMap::new();
    let mut arms: HashMap<(Arc<str>, usize, usize), usize> = HashMap::new();
    for p in points {
        let f = files
            .entry(p.at.file.to_string())
            .or_insert_with(|| FileCoverage {
                name: p.at.file.to_string(),
                ..Default::default()
            });
        let n = counts
            .get(&(p.at.file.clone(), p.at.line, p.at.col, p.kind))
            .copied()
            .unwrap_or(0);
        match p.kind {
            HitKind::Node => {
                for line in p.at.line..=p.last_line.max(p.at.line) {
                    let e = f.lines.entry(line).or_default();
                    *e = (*e).max(n);
                }
            }
            HitKind::Then(k) | HitKind::Else(k) => {
                let arm = u8::from(matches!(p.kind, HitKind::Else(_)));
                let block = arms.len();
                let block = *arms
                    .entry((p.at.file.clone(), p.at.line, p.at.col))
                    .or_insert(block);
                f.branches.insert((p.at.line, block, keyword(k), arm), n);
            }
        }
    }
    Coverage {
        files: files.into_values().collect(),
    }
}

fn keyword(k: BranchKind) -> &'static str {
    k.keyword()
}

fn pct(hit: usize, total: usize) -> String {
    if total == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * hit as f64 / total as f64)
    }
}

/// Line ranges (`3-5, 9`) of executable lines never run.
fn missed(f: &FileCoverage) -> String {
    let lines: Vec<usize> = f
        .lines
        .iter()
        .filter(|(_, c)| **c == 0)
        .map(|(l, _)| *l)
        .collect();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = lines[i];
        let mut end = start;
        while i + 1 < lines.len() && lines[i + 1] == end + 1 {
            i += 1;
            end = lines[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(", ")
}

/// The text table: per template, lines and branch arms covered, and the lines never run.
pub fn text(c: &Coverage) -> String {
    let mut s = String::new();
    let width = c
        .files
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let _ = writeln!(
        s,
        "{:<width$}  {:>15}  {:>15}  missed lines",
        "template", "lines", "branches"
    );
    let (mut lh, mut lt, mut bh, mut bt) = (0, 0, 0, 0);
    for f in &c.files {
        let (h, t) = f.line_counts();
        let (b, bn) = f.branch_counts();
        lh += h;
        lt += t;
        bh += b;
        bt += bn;
        let _ = writeln!(
            s,
            "{:<width$}  {:>15}  {:>15}  {}",
            f.name,
            format!("{h}/{t} {}", pct(h, t)),
            format!("{b}/{bn} {}", pct(b, bn)),
            missed(f)
        );
        let untaken: Vec<String> = f
            .branches
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|((line, _, kw, arm), _)| {
                format!("{line}:{kw} {}", if *arm == 0 { "body" } else { "else" })
            })
            .collect();
        if !untaken.is_empty() {
            let _ = writeln!(
                s,
                "{:<width$}    arms never taken: {}",
                "",
                untaken.join(", ")
            );
        }
    }
    let _ = writeln!(
        s,
        "{:<width$}  {:>15}  {:>15}",
        "total",
        format!("{lh}/{lt} {}", pct(lh, lt)),
        format!("{bh}/{bt} {}", pct(bh, bt))
    );
    s
}

/// LCOV tracefile. `source` maps a template name to the path to write as `SF:`.
pub fn lcov(c: &Coverage, source: &dyn Fn(&str) -> String) -> String {
    let mut s = String::new();
    for f in &c.files {
        let _ = writeln!(s, "TN:posthog-charttest");
        let _ = writeln!(s, "SF:{}", source(&f.name));
        let mut blocks: BTreeSet<usize> = BTreeSet::new();
        for ((line, block, _, arm), n) in &f.branches {
            blocks.insert(*block);
            let _ = writeln!(s, "BRDA:{line},{block},{arm},{n}");
        }
        let (b, bn) = f.branch_counts();
        let _ = writeln!(s, "BRF:{bn}");
        let _ = writeln!(s, "BRH:{b}");
        for (line, n) in &f.lines {
            let _ = writeln!(s, "DA:{line},{n}");
        }
        let (h, t) = f.line_counts();
        let _ = writeln!(s, "LF:{t}");
        let _ = writeln!(s, "LH:{h}");
        let _ = writeln!(s, "end_of_record");
    }
    s
}
