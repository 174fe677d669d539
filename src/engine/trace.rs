//! An optional record of what an execution did, for tools built on the engine: which template
//! line produced each part of a file's output (lint points findings at it), and which nodes and
//! `if`/`with`/`range` arms ran (test coverage).
//!
//! Recording is off unless [`super::ExecOptions::trace`] is set, so plain rendering pays one
//! branch per node.

use std::collections::HashMap;
use std::sync::Arc;

use super::ast::{Node, Tree};

/// A place in a template file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SrcPos {
    /// The file's template name, e.g. `mychart/templates/deploy.yaml`.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: usize,
    /// 0-based byte column.
    pub col: usize,
}

/// One piece of a file's top-level output and the node that wrote it.
#[derive(Debug, Clone)]
pub struct Emit {
    /// Byte offset in the output where the piece starts.
    pub out: usize,
    /// The file holding the node (a `define` in `_helpers.tpl` for `{{template}}` calls).
    pub file: Arc<str>,
    /// That file's text, to turn `pos` into a line.
    pub text: Arc<str>,
    /// Byte offset of the node in `text`.
    pub pos: usize,
    /// Whether the piece is literal text, whose lines map one to one onto the source.
    pub literal: bool,
}

/// The kinds of branching node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BranchKind {
    /// `{{if}}`
    If,
    /// `{{with}}`
    With,
    /// `{{range}}`
    Range,
}

impl BranchKind {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            BranchKind::If => "if",
            BranchKind::With => "with",
            BranchKind::Range => "range",
        }
    }
}

/// What a recorded hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HitKind {
    /// An action, `template` call or literal text ran.
    Node,
    /// The body of a branching node ran (for `range`: at least one iteration).
    Then(BranchKind),
    /// The `else` side ran, or nothing did (an `if` without `else` whose condition was false,
    /// an empty `range` without `else`).
    Else(BranchKind),
}

/// A node that ran, with how often.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Where the node starts.
    pub at: SrcPos,
    /// The last line the node covers: for literal text, the line of its last non-blank
    /// character; for others, `at.line`.
    pub last_line: usize,
    /// What ran.
    pub kind: HitKind,
    /// How many times.
    pub count: u64,
}

#[derive(Clone)]
struct HitRec {
    file: Arc<str>,
    text: Arc<str>,
    pos: usize,
    len: usize,
    count: u64,
}

/// Everything one execution recorded.
#[derive(Default, Clone)]
pub struct Trace {
    /// The top-level output's pieces, in output order.
    pub emits: Vec<Emit>,
    hits: HashMap<(usize, usize, HitKind), HitRec>,
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trace")
            .field("emits", &self.emits.len())
            .field("hits", &self.hits.len())
            .finish()
    }
}

/// Line (1-based) and byte column (0-based) of `pos` in `text`.
pub fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let before = text.as_bytes().get(..pos).unwrap_or(&[]);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let col = match before.iter().rposition(|&b| b == b'\n') {
        Some(nl) => pos - (nl + 1),
        None => pos,
    };
    (line, col)
}

impl Trace {
    pub(crate) fn emit(&mut self, out: usize, tree: &Tree, pos: usize, literal: bool) {
        self.emits.push(Emit {
            out,
            file: tree.parse_name.clone(),
            text: tree.text.clone(),
            pos,
            literal,
        });
    }

    pub(crate) fn hit(&mut self, tree: &Tree, pos: usize, len: usize, kind: HitKind) {
        let key = (Arc::as_ptr(&tree.text) as *const u8 as usize, pos, kind);
        self.hits
            .entry(key)
            .or_insert_with(|| HitRec {
                file: tree.parse_name.clone(),
                text: tree.text.clone(),
                pos,
                len,
                count: 0,
            })
            .count += 1;
    }

    /// The source position that produced the output byte at `offset` of `output` (the string
    /// this trace was recorded for, before any `<no value>` stripping unless the trace was
    /// stripped with it by [`strip_no_value_traced`]).
    pub fn source_at(&self, output: &str, offset: usize) -> Option<SrcPos> {
        // The last emit starting at or before the offset; among several at the same offset the
        // one that actually wrote there is the last.
        let idx = self.emits.partition_point(|e| e.out <= offset);
        let i = idx.checked_sub(1)?;
        let e = &self.emits[i];
        let (line, col) = line_col(&e.text, e.pos);
        if !e.literal {
            return Some(SrcPos {
                file: e.file.clone(),
                line,
                col,
            });
        }
        let written = output.get(e.out..offset.min(output.len())).unwrap_or("");
        let nl = written.bytes().filter(|&b| b == b'\n').count();
        let col = match written.rfind('\n') {
            Some(p) => written.len() - (p + 1),
            None => col + written.len(),
        };
        Some(SrcPos {
            file: e.file.clone(),
            line: line + nl,
            col,
        })
    }

    /// The source line that produced output line `line` (1-based) of `output`.
    pub fn source_of_line(&self, output: &str, line: usize) -> Option<SrcPos> {
        let mut off = 0;
        for _ in 1..line {
            off += output.get(off..)?.find('\n')? + 1;
        }
        // Point at the first non-blank byte of the line, which is what a reader means by it.
        let rest = output.get(off..).unwrap_or("");
        let lead = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        self.source_at(output, off + lead)
    }

    /// Every node that ran, resolved to lines, sorted by file and position.
    pub fn hits(&self) -> Vec<Hit> {
        let mut v: Vec<Hit> = self
            .hits
            .iter()
            .map(|(&(_, _, kind), r)| {
                let (line, col) = line_col(&r.text, r.pos);
                Hit {
                    at: SrcPos {
                        file: r.file.clone(),
                        line,
                        col,
                    },
                    last_line: last_line(&r.text, r.pos, r.len, line),
                    kind,
                    count: r.count,
                }
            })
            .collect();
        v.sort_by(|a, b| (&a.at, a.kind).cmp(&(&b.at, b.kind)));
        v
    }

    /// Adds another execution's hits (emits stay this trace's own).
    pub fn merge_hits(&mut self, other: &Trace) {
        for (k, r) in &other.hits {
            self.hits
                .entry(*k)
                .or_insert_with(|| HitRec {
                    count: 0,
                    ..r.clone()
                })
                .count += r.count;
        }
    }
}

fn last_line(text: &str, pos: usize, len: usize, first: usize) -> usize {
    let piece = text.get(pos..pos + len).unwrap_or("");
    let trimmed = piece.trim_end();
    first + trimmed.bytes().filter(|&b| b == b'\n').count()
}

/// helm's `<no value>` removal, keeping `trace`'s output offsets pointing at the same bytes.
pub fn strip_no_value_traced(s: &str, trace: &mut Trace) -> String {
    const NV: &str = "<no value>";
    if !s.contains(NV) {
        return s.to_string();
    }
    let cuts: Vec<usize> = s.match_indices(NV).map(|(i, _)| i).collect();
    for e in &mut trace.emits {
        let removed_before = cuts.partition_point(|&c| c + NV.len() <= e.out);
        let inside = cuts
            .get(removed_before)
            .is_some_and(|&c| c <= e.out && e.out < c + NV.len());
        let mut out = e.out - removed_before * NV.len();
        if inside {
            out -= e.out - cuts[removed_before];
        }
        e.out = out;
    }
    s.replace(NV, "")
}

/// A line or branch a template could execute, for coverage reports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Point {
    /// Where it starts.
    pub at: SrcPos,
    /// Its last line (see [`Hit::last_line`]).
    pub last_line: usize,
    /// A node ([`HitKind::Node`]) or one arm of a branch.
    pub kind: HitKind,
}

/// Every coverage point of `tree`: each action, `template` call and non-blank literal text, and
/// both arms of every `if`, `with` and `range`.
pub fn points(tree: &Tree) -> Vec<Point> {
    let mut v = Vec::new();
    collect(tree, &tree.root, &mut v);
    v
}

fn collect(tree: &Tree, nodes: &[Node], v: &mut Vec<Point>) {
    let at = |pos: usize| {
        let (line, col) = line_col(&tree.text, pos);
        SrcPos {
            file: tree.parse_name.clone(),
            line,
            col,
        }
    };
    for n in nodes {
        match n {
            Node::Text(t, pos) => {
                if !t.trim().is_empty() {
                    let a = at(*pos);
                    let last = last_line(&tree.text, *pos, t.len(), a.line);
                    v.push(Point {
                        at: a,
                        last_line: last,
                        kind: HitKind::Node,
                    });
                }
            }
            Node::Action(p) => {
                let a = at(p.pos);
                v.push(Point {
                    last_line: a.line,
                    at: a,
                    kind: HitKind::Node,
                });
            }
            Node::Template { pos, .. } => {
                let a = at(*pos);
                v.push(Point {
                    last_line: a.line,
                    at: a,
                    kind: HitKind::Node,
                });
            }
            Node::If(b) | Node::With(b) | Node::Range(b) => {
                let k = match n {
                    Node::If(_) => BranchKind::If,
                    Node::With(_) => BranchKind::With,
                    _ => BranchKind::Range,
                };
                let a = at(b.pipe.pos);
                for kind in [HitKind::Node, HitKind::Then(k), HitKind::Else(k)] {
                    v.push(Point {
                        at: a.clone(),
                        last_line: a.line,
                        kind,
                    });
                }
                collect(tree, &b.list, v);
                if let Some(e) = &b.else_list {
                    collect(tree, e, v);
                }
            }
            Node::Break(_) | Node::Continue(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{ExecOptions, TemplateSet};

    fn run(files: &[(&str, &str)], name: &str, data: &str) -> (String, Trace, TemplateSet) {
        let mut set = TemplateSet::new();
        for (n, t) in files {
            set.add(n, t).unwrap();
        }
        let data = crate::engine::json::unmarshal(data).unwrap();
        let (r, t) = set.execute_traced(name, data, &ExecOptions::default());
        (r.unwrap(), t, set)
    }

    #[test]
    fn output_lines_map_to_template_lines() {
        let tpl = "a: 1\n{{- if .on }}\nb: {{ .b }}\n{{- end }}\nc:\n  {{- include \"x\" . | nindent 2 }}\n{{ template \"y\" }}";
        let helpers =
            "{{- define \"x\" }}k: v\nk2: v2{{ end }}\n{{ define \"y\" }}from: y{{ end }}";
        let (out, t, _) = run(
            &[("t.yaml", tpl), ("_h.tpl", helpers)],
            "t.yaml",
            r#"{"on": true, "b": "x"}"#,
        );
        assert_eq!(out, "a: 1\nb: x\nc:\n  k: v\n  k2: v2\nfrom: y");
        let at = |l| {
            t.source_of_line(&out, l)
                .map(|p| (p.file.to_string(), p.line))
        };
        assert_eq!(at(1), Some(("t.yaml".into(), 1)));
        assert_eq!(at(2), Some(("t.yaml".into(), 3)));
        // Output of an include belongs to the action that wrote it.
        assert_eq!(at(4), Some(("t.yaml".into(), 6)));
        assert_eq!(at(5), Some(("t.yaml".into(), 6)));
        // Text written by `template` is the define's own text.
        assert_eq!(at(6), Some(("_h.tpl".into(), 3)));
    }

    #[test]
    fn branches_and_coverage_points() {
        let tpl = "{{ if .a }}A{{ else }}B{{ end }}\n{{ range .l }}{{ . }}{{ end }}\n{{ with .w }}W{{ end }}";
        let (out, t, set) = run(&[("t", tpl)], "t", r#"{"a": false, "l": [1, 2]}"#);
        assert_eq!(out, "B\n12\n");
        let hits = t.hits();
        let has = |k: HitKind, line: usize| hits.iter().any(|h| h.kind == k && h.at.line == line);
        assert!(has(HitKind::Else(BranchKind::If), 1));
        assert!(!has(HitKind::Then(BranchKind::If), 1));
        let range = hits
            .iter()
            .find(|h| h.kind == HitKind::Then(BranchKind::Range))
            .unwrap();
        assert_eq!((range.at.line, range.count), (2, 2));
        assert!(has(HitKind::Else(BranchKind::With), 3));
        let points = set.coverage_points();
        let arms = points
            .iter()
            .filter(|p| matches!(p.kind, HitKind::Then(_) | HitKind::Else(_)))
            .count();
        assert_eq!(arms, 6);
        // The `A` text never ran; `B` did.
        let a_pos = tpl.find('A').unwrap();
        assert!(points.iter().any(|p| p.at.col == a_pos));
        assert!(!hits.iter().any(|h| h.at.col == a_pos && h.at.line == 1));
    }

    #[test]
    fn no_value_stripping_keeps_offsets() {
        let tpl = "x: {{ .missing }}\ny: {{ .y }}\n";
        let (out, mut t, _) = run(&[("t", tpl)], "t", r#"{"y": 1}"#);
        assert_eq!(out, "x: <no value>\ny: 1\n");
        let stripped = strip_no_value_traced(&out, &mut t);
        assert_eq!(stripped, "x: \ny: 1\n");
        let p = t.source_at(&stripped, stripped.find('1').unwrap()).unwrap();
        assert_eq!((p.line, p.col), (2, 6));
    }
}
