//! A resource diff in the style of helm-diff: one block per added, removed or changed object,
//! headed `namespace, name, Kind (group) has changed:`, with unified-diff lines. Secret values
//! are masked unless asked for.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value as Json;
use similar::{ChangeTag, TextDiff};

use super::objects::{ObjKey, Object, Release};

/// How to print the diff.
#[derive(Clone, Copy, Debug)]
pub struct DiffOptions {
    /// Unchanged lines shown around each change.
    pub context: usize,
    /// Print Secret values instead of masking them.
    pub show_secrets: bool,
    /// ANSI colours.
    pub color: bool,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            context: 3,
            show_secrets: false,
            color: false,
        }
    }
}

/// Counts of what the diff shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiffSummary {
    /// Objects only in the new release.
    pub added: usize,
    /// Objects only in the old release.
    pub removed: usize,
    /// Objects in both whose manifest changed.
    pub changed: usize,
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

fn paint(on: bool, color: &str, s: &str) -> String {
    if on {
        format!("{color}{s}{RESET}")
    } else {
        s.to_string()
    }
}

/// Secret data replaced by markers that show whether each key changed, never its value.
fn masked_secret(obj: &Object, other: Option<&Object>) -> String {
    let mut doc = obj.doc.clone();
    for field in ["data", "stringData"] {
        let other_map = other
            .and_then(|o| o.get(&[field]))
            .and_then(Json::as_object)
            .cloned();
        if let Some(Json::Object(m)) = doc.get_mut(field) {
            for (k, v) in m.iter_mut() {
                let len = v.as_str().map(str::len).unwrap_or(0);
                let same = other_map.as_ref().and_then(|om| om.get(k)) == Some(&*v);
                *v = Json::String(if same || other.is_none() {
                    format!("(redacted, {len} bytes)")
                } else {
                    format!("(redacted, {len} bytes, changed)")
                });
            }
        }
    }
    let value = crate::chart::strvals::from_json(doc);
    crate::chart::yamlio::to_yaml(&value).unwrap_or_default()
}

fn body(obj: &Object, other: Option<&Object>, opts: &DiffOptions) -> String {
    let text = if obj.key.kind == "Secret" && obj.key.group.is_empty() && !opts.show_secrets {
        masked_secret(obj, other)
    } else {
        obj.text.clone()
    };
    format!("# Source: {}\n{}\n", obj.source(), text.trim_end())
}

fn header(key: &ObjKey, what: &str, opts: &DiffOptions) -> String {
    let ns = if key.namespace.is_empty() {
        "(cluster)"
    } else {
        &key.namespace
    };
    paint(
        opts.color,
        YELLOW,
        &format!("{ns}, {}, {} {what}:", key.name, key.kind_group()),
    ) + "\n"
}

fn whole(text: &str, sign: char, color: &str, opts: &DiffOptions, out: &mut String) {
    for line in text.lines() {
        out.push_str(&paint(opts.color, color, &format!("{sign} {line}")));
        out.push('\n');
    }
}

/// The helm-diff-style diff between two releases (hooks left out, as helm-diff does by
/// default).
pub fn render_diff(old: &Release, new: &Release, opts: &DiffOptions) -> (String, DiffSummary) {
    let mut out = String::new();
    let mut sum = DiffSummary::default();
    let keys: BTreeSet<&ObjKey> = old
        .objects
        .iter()
        .chain(new.objects.iter())
        .filter(|(_, o)| !o.hook)
        .map(|(k, _)| k)
        .collect();
    for key in keys {
        match (old.objects.get(key), new.objects.get(key)) {
            (Some(o), Some(n)) => {
                let (a, b) = (body(o, Some(n), opts), body(n, Some(o), opts));
                if a == b {
                    continue;
                }
                sum.changed += 1;
                out.push_str(&header(key, "has changed", opts));
                let diff = TextDiff::from_lines(&a, &b);
                for (i, group) in diff.grouped_ops(opts.context).iter().enumerate() {
                    if i > 0 {
                        out.push_str("...\n");
                    }
                    for op in group {
                        for change in diff.iter_changes(op) {
                            let line = change.value().trim_end_matches('\n');
                            match change.tag() {
                                ChangeTag::Equal => {
                                    let _ = writeln!(out, "  {line}");
                                }
                                ChangeTag::Delete => {
                                    out.push_str(&paint(opts.color, RED, &format!("- {line}")));
                                    out.push('\n');
                                }
                                ChangeTag::Insert => {
                                    out.push_str(&paint(opts.color, GREEN, &format!("+ {line}")));
                                    out.push('\n');
                                }
                            }
                        }
                    }
                }
                out.push('\n');
            }
            (Some(o), None) if !o.hook => {
                sum.removed += 1;
                out.push_str(&header(key, "has been removed", opts));
                whole(&body(o, None, opts), '-', RED, opts, &mut out);
                out.push('\n');
            }
            (None, Some(n)) if !n.hook => {
                sum.added += 1;
                out.push_str(&header(key, "has been added", opts));
                whole(&body(n, None, opts), '+', GREEN, opts, &mut out);
                out.push('\n');
            }
            _ => {}
        }
    }
    (out, sum)
}
