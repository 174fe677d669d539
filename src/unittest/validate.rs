//! The validators: one per assertion type, each a port of helm-unittest's, with the same
//! verdicts for every document, path match and `not`, and the same failure lines
//! (`DocumentIndex:`, `Path:`, `Expected to …:`, `Actual:`).

use base64::Engine as _;

use super::jsonpath::Path;
use super::snapshot::{CompareOptions, CompareResult};
use super::suite::{Check, Params};
use super::yval::{deep_equal, to_yaml, YV};

/// A rendered document: the map go-yaml decoded, and the same after the write-and-read-back
/// helm-unittest's path lookups see.
#[derive(Clone, Debug)]
pub struct Doc {
    /// As decoded.
    pub raw: YV,
    /// As path lookups see it ([`YV::normalized`]).
    pub norm: YV,
}

impl Doc {
    /// A document from its decoded map.
    pub fn new(raw: YV) -> Doc {
        let norm = raw.normalized();
        Doc { raw, norm }
    }

    /// A raw-text document (`NOTES.txt`, or a render error): `{raw: text}`.
    pub fn text(text: &str) -> Doc {
        Doc::new(YV::Map(vec![("raw".into(), YV::Str(text.to_string()))]))
    }
}

/// What a snapshot assertion needs from its test.
pub trait SnapshotComparer {
    /// Compares `content` with the next snapshot entry of the test.
    fn compare(&mut self, content: &YV, opts: &CompareOptions) -> CompareResult;
}

/// Everything a validator sees.
pub struct Ctx<'a> {
    /// All documents of the template.
    pub docs: &'a [Doc],
    /// The documents `documentIndex`/`documentSelector` chose.
    pub selected: &'a [Doc],
    /// `not` XOR antonym.
    pub negative: bool,
    /// The test's snapshot comparer.
    pub snapshots: &'a mut dyn SnapshotComparer,
    /// The error of a render that failed before templates ran (values, schema).
    pub render_error: Option<&'a str>,
    /// `-q`: stop at the first failure.
    pub fail_fast: bool,
    /// `--all-matches`: collection assertions see every node a path matches as one list.
    pub all_matches: bool,
}

/// A validator's verdict and failure lines.
pub type Verdict = (bool, Vec<String>);

/// helm-unittest's `setFailFormat`.
fn fail_format(not: bool, path: bool, actual: bool, diff: bool, custom: &str) -> String {
    let not_ann = if not { " NOT" } else { "" };
    let mut r = format!("\nExpected{not_ann}{custom}:\n%s\n");
    if path {
        r = format!("Path:%s{r}");
    }
    if actual {
        r.push_str("Actual:\n%s\n");
    }
    if diff {
        r.push_str("Diff:\n%s\n");
    }
    r
}

const ERROR_FORMAT: &str = "\nError:\n%s\n";

/// helm-unittest's `splitInfof`: fills `%s` with tab-indented replacements and splits lines,
/// prefixed by `DocumentIndex:` and `ValuesIndex:` when those are not -1.
pub fn split_infof(format: &str, manifest: i64, values: i64, reps: &[&str]) -> Vec<String> {
    let f = format.trim_matches(|c| c == '\t' || c == '\n' || c == ' ');
    let mut out = String::new();
    let mut reps = reps.iter();
    let mut rest = f;
    while let Some(i) = rest.find("%s") {
        out.push_str(&rest[..i]);
        match reps.next() {
            Some(r) => {
                let ind = r.replace('\n', "\n\t");
                out.push('\t');
                out.push_str(ind.trim_matches(|c| c == '\t' || c == '\n' || c == ' '));
            }
            None => out.push_str("%!s(MISSING)"),
        }
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    let mut lines: Vec<String> = out.split('\n').map(str::to_string).collect();
    if values >= 0 {
        lines.insert(0, format!("ValuesIndex:\t{values}"));
    }
    if manifest >= 0 {
        lines.insert(0, format!("DocumentIndex:\t{manifest}"));
    }
    lines
}

/// A unified diff of expected and actual text with one line of context.
pub fn diff(expected: &str, actual: &str) -> String {
    let d = similar::TextDiff::from_lines(expected, actual);
    d.unified_diff()
        .context_radius(1)
        .header("Expected", "Actual")
        .to_string()
}

/// helm-unittest's `uniformContent`: `%v`, spaces before line ends removed, CRLF as LF,
/// leading newlines dropped.
pub fn uniform(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(line);
    }
    // `(?m)[ ]+\r?\n` → `\n`
    let mut res = String::with_capacity(out.len());
    let lines: Vec<&str> = out.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let last = i + 1 == lines.len();
        if last {
            res.push_str(line);
        } else {
            let l = line.strip_suffix('\r').map(|l| {
                // `\r` is only dropped as part of `[ ]+\r?\n`.
                if l.ends_with(' ') {
                    l.trim_end_matches(' ')
                } else {
                    line
                }
            });
            let l = match l {
                Some(l) => l,
                None => line.trim_end_matches(' '),
            };
            res.push_str(l);
            res.push('\n');
        }
    }
    res.trim_start_matches('\n').to_string()
}

fn determine(idx: usize, orig: bool, new: bool) -> bool {
    if idx == 0 {
        new
    } else {
        orig && new
    }
}

/// Looks `path` up in a document; `Err` carries the path's parse error.
pub fn lookup(doc: &Doc, path: &str) -> Result<Vec<YV>, String> {
    if path.is_empty() {
        return Ok(vec![doc.raw.clone()]);
    }
    let p = Path::parse(path)?;
    Ok(p.find(&doc.norm).iter().map(|h| h.value()).collect())
}

/// Runs the validator of `check`.
pub fn validate(check: Check, p: &Params, c: &mut Ctx) -> Verdict {
    match check {
        Check::Equal => equal(p, c),
        Check::GreaterOrEqual => operator(p, c, "greater"),
        Check::LessOrEqual => operator(p, c, "less"),
        Check::EqualRaw => equal_raw(p, c),
        Check::Exists => exists(p, c),
        Check::MatchRegex => match_regex(p, c),
        Check::MatchRegexRaw => match_regex_raw(p, c),
        Check::Contains => contains(p, c),
        Check::IsKind => is_field(p, c, "kind", " to be kind"),
        Check::IsApiVersion => is_field(p, c, "apiVersion", " to be apiVersion"),
        Check::HasDocuments => has_documents(p, c),
        Check::IsSubset => is_subset(p, c),
        Check::IsNullOrEmpty => is_null_or_empty(p, c),
        Check::FailedTemplate => failed_template(p, c),
        Check::ContainsDocument => contains_document(p, c),
        Check::LengthEqual => length_equal(p, c),
        Check::IsType => is_type(p, c),
        Check::MatchSnapshot => match_snapshot(p, c),
        Check::MatchSnapshotRaw => match_snapshot_raw(c),
    }
}

/// The common loop over selected documents: a failure in any document fails the assertion;
/// with no documents, the positive form fails with `no_manifest` and the negative passes.
fn over_docs(
    c: &mut Ctx,
    mut each: impl FnMut(&mut Ctx, usize, &Doc) -> Verdict,
    no_manifest: impl FnOnce() -> Vec<String>,
) -> Verdict {
    let selected: Vec<Doc> = c.selected.to_vec();
    let mut ok = false;
    let mut errs = Vec::new();
    for (i, d) in selected.iter().enumerate() {
        let (pass, e) = each(c, i, d);
        errs.extend(e);
        ok = determine(i, ok, pass);
        if !ok && c.fail_fast {
            break;
        }
    }
    if selected.is_empty() {
        if !c.negative {
            errs.extend(no_manifest());
        } else {
            ok = true;
        }
    }
    (ok, errs)
}

/// The common loop over the values a path matches in one document.
fn over_values(
    c: &mut Ctx,
    doc_idx: usize,
    doc: &Doc,
    path: &str,
    unknown: &str,
    mut each: impl FnMut(&mut Ctx, usize, YV) -> Verdict,
) -> Verdict {
    let actuals = match lookup(doc, path) {
        Ok(a) => a,
        Err(e) => return (false, split_infof(ERROR_FORMAT, doc_idx as i64, -1, &[&e])),
    };
    if actuals.is_empty() && !c.negative {
        return (
            false,
            split_infof(ERROR_FORMAT, doc_idx as i64, -1, &[unknown]),
        );
    }
    let mut ok = actuals.is_empty() && c.negative;
    let mut errs = Vec::new();
    for (i, a) in actuals.into_iter().enumerate() {
        let (pass, e) = each(c, i, a);
        errs.extend(e);
        ok = determine(i, ok, pass);
        if !pass && c.fail_fast {
            break;
        }
    }
    (ok, errs)
}

fn decode_b64(s: &str) -> Option<String> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn equal(p: &Params, c: &mut Ctx) -> Verdict {
    let expected = p.value.clone().unwrap_or(YV::Null);
    let fail = |actual: &YV, di: i64, vi: i64, not: bool| -> Vec<String> {
        let e = to_yaml(&expected);
        let a = to_yaml(actual);
        if not {
            split_infof(
                &fail_format(true, true, false, false, " to equal"),
                di,
                vi,
                &[&p.path, &e],
            )
        } else {
            split_infof(
                &fail_format(false, true, true, true, " to equal"),
                di,
                vi,
                &[&p.path, &e, &a, &diff(&e, &a)],
            )
        }
    };
    let unknown = format!("unknown path {}", p.path);
    over_docs(
        c,
        |c, di, doc| {
            over_values(c, di, doc, &p.path, &unknown, |c, vi, actual| {
                let actual = match actual {
                    YV::Str(s) => {
                        let s = if p.decode_base64 {
                            match decode_b64(&s) {
                                Some(d) => d,
                                None => {
                                    return (
                                        false,
                                        split_infof(
                                            ERROR_FORMAT,
                                            di as i64,
                                            vi as i64,
                                            &[&format!(
                                                "unable to decode base64 expected content {s}"
                                            )],
                                        ),
                                    )
                                }
                            }
                        } else {
                            s
                        };
                        YV::Str(uniform(&s))
                    }
                    other => other,
                };
                if deep_equal(&expected, &actual) == c.negative {
                    (false, fail(&actual, di as i64, vi as i64, c.negative))
                } else {
                    (true, Vec::new())
                }
            })
        },
        || fail(&YV::Str("no manifest found".into()), -1, -1, false),
    )
}

fn operator(p: &Params, c: &mut Ctx, kind: &str) -> Verdict {
    let expected = p.value.clone().unwrap_or(YV::Null);
    let fail = |msg: &str, di: i64, vi: i64, not: bool| {
        split_infof(
            &fail_format(
                not,
                true,
                false,
                false,
                &format!(" to be {kind} then or equal to, got"),
            ),
            di,
            vi,
            &[&p.path, msg],
        )
    };
    let type_text = |v: &YV| {
        if v.go_type().is_empty() {
            "%!s(<nil>)".to_string()
        } else {
            v.go_type().to_string()
        }
    };
    over_docs(
        c,
        |c, di, doc| {
            let actuals = match lookup(doc, &p.path) {
                Ok(a) => a,
                Err(e) => return (false, split_infof(ERROR_FORMAT, di as i64, -1, &[&e])),
            };
            if actuals.is_empty() && !c.negative {
                let m = format!("unknown path '{}'", p.path);
                return (false, split_infof(ERROR_FORMAT, di as i64, -1, &[&m]));
            }
            let mut ok = actuals.is_empty() && c.negative;
            let mut errs = Vec::new();
            for (vi, actual) in actuals.iter().enumerate() {
                if actual.go_type() != expected.go_type() {
                    // helm-unittest reports the mismatch without counting the value.
                    let m = format!(
                        "actual '{}' and expected '{}' types do not match",
                        type_text(actual),
                        type_text(&expected)
                    );
                    errs.extend(split_infof(ERROR_FORMAT, di as i64, vi as i64, &[&m]));
                    continue;
                }
                let ord = match (&expected, actual) {
                    (YV::Str(e), YV::Str(a)) => Some(a.cmp(e)),
                    (YV::Int(e), YV::Int(a)) => Some(a.cmp(e)),
                    (YV::Float(e), YV::Float(a)) => a.partial_cmp(e),
                    _ => None,
                };
                let pass = match ord {
                    None => {
                        let m = format!("unsupported type '{}'", type_text(&expected));
                        errs.extend(fail(&m, di as i64, vi as i64, c.negative));
                        false
                    }
                    Some(o) => {
                        use std::cmp::Ordering::*;
                        let ge = matches!(o, Greater | Equal);
                        let le = matches!(o, Less | Equal);
                        // helm-unittest passes `!not` down and Go's precedence makes
                        // `(greater && ge) || ((less && le) == !not)`.
                        let neg = !c.negative;
                        let result = (kind == "greater" && ge) || ((kind == "less" && le) == neg);
                        if !result {
                            let m = format!(
                                "the actual '{}' is not {kind} or equal to the expected '{}'",
                                actual.fmt_v(),
                                expected.fmt_v()
                            );
                            errs.extend(fail(&m, di as i64, vi as i64, c.negative));
                        }
                        result
                    }
                };
                ok = determine(vi, ok, pass);
                if !ok && c.fail_fast {
                    break;
                }
            }
            (ok, errs)
        },
        || fail("no manifests found", -1, -1, false),
    )
}

fn raw_text(d: &Doc) -> String {
    match d.raw.get("raw") {
        Some(YV::Str(s)) => uniform(s),
        Some(YV::Null) | None => "<nil>".into(),
        Some(other) => uniform(&other.fmt_v()),
    }
}

fn equal_raw(p: &Params, c: &mut Ctx) -> Verdict {
    let expected = match &p.value {
        Some(YV::Str(s)) => s.clone(),
        Some(YV::Null) | None => String::new(),
        Some(other) => other.scalar_text(),
    };
    let fail = |actual: &str, not: bool| -> Vec<String> {
        let e = to_yaml(&YV::Str(expected.clone()));
        let a = to_yaml(&YV::Str(actual.to_string()));
        if not {
            split_infof(
                &fail_format(true, false, false, false, " to equal"),
                -1,
                -1,
                &[&e],
            )
        } else {
            split_infof(
                &fail_format(false, false, true, true, " to equal"),
                -1,
                -1,
                &[&e, &a, &diff(&e, &a)],
            )
        }
    };
    let selected = c.selected.to_vec();
    let mut ok = false;
    let mut errs = Vec::new();
    for (i, d) in selected.iter().enumerate() {
        let actual = raw_text(d);
        if (expected == actual) == c.negative {
            ok = false;
            errs.extend(fail(&actual, c.negative));
            if c.fail_fast {
                break;
            }
            continue;
        }
        ok = determine(i, ok, true);
    }
    if selected.is_empty() {
        if !c.negative {
            errs.extend(fail("no manifest found", false));
        } else {
            ok = true;
        }
    }
    (ok, errs)
}

fn exists(p: &Params, c: &mut Ctx) -> Verdict {
    let fail = |di: i64, not: bool| {
        let f = format!(
            "Path:%s expected to {}exists",
            if not { "NOT " } else { "" }
        );
        split_infof(&f, di, -1, &[&p.path])
    };
    let selected = c.selected.to_vec();
    let mut ok = false;
    let mut errs = Vec::new();
    for (i, d) in selected.iter().enumerate() {
        match lookup(d, &p.path) {
            Err(e) => {
                ok = false;
                errs.extend(split_infof(ERROR_FORMAT, i as i64, -1, &[&e]));
                if c.fail_fast {
                    break;
                }
                continue;
            }
            Ok(a) => {
                if a.is_empty() != c.negative {
                    ok = false;
                    errs.extend(fail(i as i64, c.negative));
                    continue;
                }
            }
        }
        ok = determine(i, ok, true);
    }
    if selected.is_empty() {
        if !c.negative {
            errs.extend(fail(-1, false));
        } else {
            ok = true;
        }
    }
    (ok, errs)
}

fn match_regex(p: &Params, c: &mut Ctx) -> Verdict {
    if p.pattern.is_empty() {
        return (
            false,
            split_infof(
                ERROR_FORMAT,
                -1,
                -1,
                &["expected field 'pattern' to be filled"],
            ),
        );
    }
    let re = match regex::Regex::new(&p.pattern) {
        Ok(r) => r,
        Err(e) => return (false, split_infof(ERROR_FORMAT, -1, -1, &[&e.to_string()])),
    };
    let fail = |actual: &str, di: i64, vi: i64, not: bool| {
        split_infof(
            &fail_format(not, true, true, false, " to match"),
            di,
            vi,
            &[&p.path, &p.pattern, actual],
        )
    };
    let unknown = format!("unknown path {}", p.path);
    over_docs(
        c,
        |c, di, doc| {
            over_values(c, di, doc, &p.path, &unknown, |c, vi, actual| {
                let YV::Str(s) = actual else {
                    return (
                        false,
                        split_infof(
                            ERROR_FORMAT,
                            di as i64,
                            vi as i64,
                            &[&format!(
                                "expect '{}' to be a string, got:\n{}",
                                p.path,
                                to_yaml(&actual)
                            )],
                        ),
                    );
                };
                let s = if p.decode_base64 {
                    match decode_b64(&s) {
                        Some(d) => d,
                        None => {
                            return (
                                false,
                                split_infof(
                                    ERROR_FORMAT,
                                    di as i64,
                                    vi as i64,
                                    &[&format!("unable to decode base64 expected content {s}")],
                                ),
                            )
                        }
                    }
                } else {
                    s
                };
                if re.is_match(&s) == c.negative {
                    (false, fail(&s, di as i64, vi as i64, c.negative))
                } else {
                    (true, Vec::new())
                }
            })
        },
        || fail("no manifest found", -1, -1, false),
    )
}

fn match_regex_raw(p: &Params, c: &mut Ctx) -> Verdict {
    if p.pattern.is_empty() {
        return (
            false,
            split_infof(
                ERROR_FORMAT,
                -1,
                -1,
                &["expected field 'pattern' to be filled"],
            ),
        );
    }
    let re = match regex::Regex::new(&p.pattern) {
        Ok(r) => r,
        Err(e) => return (false, split_infof(ERROR_FORMAT, -1, -1, &[&e.to_string()])),
    };
    let fail = |actual: &str, not: bool| {
        split_infof(
            &fail_format(not, false, true, false, " to match"),
            -1,
            -1,
            &[&p.pattern, actual],
        )
    };
    let selected = c.selected.to_vec();
    let mut ok = false;
    let mut errs = Vec::new();
    for (i, d) in selected.iter().enumerate() {
        let actual = raw_text(d);
        if re.is_match(&actual) == c.negative {
            ok = false;
            errs.extend(fail(&actual, c.negative));
            if c.fail_fast {
                break;
            }
            continue;
        }
        ok = determine(i, ok, true);
    }
    if selected.is_empty() {
        if !c.negative {
            errs.extend(fail("no manifest found", false));
        } else {
            ok = true;
        }
    }
    (ok, errs)
}

fn is_subset_of(actual: &[(String, YV)], content: &[(String, YV)]) -> bool {
    content.iter().all(|(k, v)| {
        let a = actual
            .iter()
            .find(|(ak, _)| ak == k)
            .map(|(_, av)| av.clone())
            .unwrap_or(YV::Null);
        // A missing key reads as nil in Go, which equals an explicit null.
        deep_equal(&a, v)
    })
}

fn contains(p: &Params, c: &mut Ctx) -> Verdict {
    let content = p.content.clone().unwrap_or(YV::Null);
    let fail = |actual: &YV, di: i64, vi: i64, not: bool| {
        split_infof(
            &fail_format(not, true, true, false, " to contain"),
            di,
            vi,
            &[
                &p.path,
                &to_yaml(&YV::Seq(vec![content.clone()])),
                &to_yaml(actual),
            ],
        )
    };
    let check_list = |c: &mut Ctx, items: &[YV], di: usize, vi: usize| -> Verdict {
        let mut found = false;
        let mut n = 0i64;
        for ele in items {
            let mut is_array = false;
            if p.any {
                match (ele, &content) {
                    (YV::Map(e), YV::Map(cm)) => {
                        if is_subset_of(e, cm) {
                            found = true;
                            n += 1;
                        }
                    }
                    _ => is_array = true,
                }
            }
            if (!p.any || is_array) && deep_equal(ele, &content) {
                found = true;
                n += 1;
            }
        }
        let list = YV::Seq(items.to_vec());
        match p.count {
            None => {
                if found == c.negative {
                    return (false, fail(&list, di as i64, vi as i64, c.negative));
                }
            }
            Some(count) => {
                if (found && count == n) == c.negative {
                    let e = if !found {
                        fail(&list, di as i64, vi as i64, c.negative)
                    } else {
                        split_infof(
                            ERROR_FORMAT,
                            di as i64,
                            vi as i64,
                            &[&format!(
                                "expect count {count} in '{}' to be in array, got {n}:\n{}",
                                p.path,
                                to_yaml(&list)
                            )],
                        )
                    };
                    return (false, e);
                }
            }
        }
        (true, Vec::new())
    };
    let unknown = format!("unknown path {}", p.path);
    over_docs(
        c,
        |c, di, doc| {
            if c.all_matches {
                // Several matches form the list to search (helm-unittest PR #228).
                if let Ok(vals) = lookup(doc, &p.path) {
                    if vals.len() > 1 || vals.first().is_some_and(|v| !matches!(v, YV::Seq(_))) {
                        return check_list(c, &vals, di, 0);
                    }
                }
            }
            over_values(
                c,
                di,
                doc,
                &p.path,
                &unknown,
                |c, vi, actual| match &actual {
                    YV::Seq(items) => check_list(c, items, di, vi),
                    other => (
                        false,
                        split_infof(
                            ERROR_FORMAT,
                            di as i64,
                            vi as i64,
                            &[&format!(
                                "expect '{}' to be an array, got:\n{}",
                                p.path,
                                to_yaml(other)
                            )],
                        ),
                    ),
                },
            )
        },
        || fail(&YV::Str("no manifest found".into()), 0, -1, false),
    )
}

fn is_field(p: &Params, c: &mut Ctx, field: &str, custom: &str) -> Verdict {
    let fail = |actual: &YV, di: i64, not: bool| {
        if not {
            split_infof(
                &fail_format(true, false, false, false, custom),
                di,
                -1,
                &[&p.of],
            )
        } else {
            split_infof(
                &fail_format(false, false, true, false, custom),
                di,
                -1,
                &[&p.of, &to_yaml(actual)],
            )
        }
    };
    let selected = c.selected.to_vec();
    let mut ok = false;
    let mut errs = Vec::new();
    for (i, d) in selected.iter().enumerate() {
        let v = d.raw.get(field);
        let is = matches!(v, Some(YV::Str(s)) if *s == p.of);
        if is == c.negative {
            ok = false;
            errs.extend(fail(v.unwrap_or(&YV::Null), i as i64, c.negative));
            if c.fail_fast {
                break;
            }
            continue;
        }
        ok = determine(i, ok, true);
    }
    if selected.is_empty() {
        if !c.negative {
            errs.extend(fail(&YV::Str("no manifest found".into()), -1, false));
        } else {
            ok = true;
        }
    }
    (ok, errs)
}

fn has_documents(p: &Params, c: &mut Ctx) -> Verdict {
    let n = if p.filter_aware {
        c.selected.len()
    } else {
        c.docs.len()
    } as i64;
    let count = p.count.unwrap_or(0);
    if (n == count) != c.negative {
        return (true, Vec::new());
    }
    let e = count.to_string();
    if c.negative {
        (
            false,
            split_infof(
                &fail_format(true, false, false, false, " documents count to be"),
                -1,
                -1,
                &[&e],
            ),
        )
    } else {
        (
            false,
            split_infof(
                &fail_format(false, false, true, false, " documents count to be"),
                -1,
                -1,
                &[&e, &n.to_string()],
            ),
        )
    }
}

fn is_subset(p: &Params, c: &mut Ctx) -> Verdict {
    let content = p.content.clone().unwrap_or(YV::Null);
    let fail = |actual: &YV, di: i64, vi: i64, not: bool| {
        split_infof(
            &fail_format(not, true, true, false, " to contain"),
            di,
            vi,
            &[&p.path, &to_yaml(&content), &to_yaml(actual)],
        )
    };
    let unknown = format!("unknown path {}", p.path);
    over_docs(
        c,
        |c, di, doc| {
            over_values(c, di, doc, &p.path, &unknown, |c, vi, actual| {
                match (&actual, &content) {
                    (YV::Map(a), YV::Map(cm)) => {
                        let found = is_subset_of(a, cm);
                        if found == c.negative {
                            (false, fail(&actual, di as i64, vi as i64, c.negative))
                        } else {
                            (true, Vec::new())
                        }
                    }
                    _ => (
                        false,
                        split_infof(
                            ERROR_FORMAT,
                            di as i64,
                            vi as i64,
                            &[&format!(
                                "expect '{}' to be an object, got:\n{}",
                                p.path,
                                to_yaml(&actual)
                            )],
                        ),
                    ),
                }
            })
        },
        || fail(&YV::Str("no manifest found".into()), -1, -1, false),
    )
}

fn is_empty(v: &YV) -> bool {
    match v {
        YV::Null => true,
        YV::Seq(s) => s.is_empty(),
        YV::Map(m) => m.is_empty(),
        YV::Bool(b) => !b,
        YV::Int(i) => *i == 0,
        YV::Uint(u) => *u == 0,
        YV::Float(f) => *f == 0.0,
        YV::Str(s) => s.is_empty(),
        YV::Time(t) => t == "0001-01-01T00:00:00Z",
    }
}

fn is_null_or_empty(p: &Params, c: &mut Ctx) -> Verdict {
    let fail = |actual: &YV, di: i64, vi: i64, not: bool| {
        split_infof(
            &fail_format(not, true, false, false, " to be null or empty, got"),
            di,
            vi,
            &[&p.path, &to_yaml(actual)],
        )
    };
    let unknown = format!("unknown path {}", p.path);
    over_docs(
        c,
        |c, di, doc| {
            over_values(c, di, doc, &p.path, &unknown, |c, vi, actual| {
                if is_empty(&actual) == c.negative {
                    (false, fail(&actual, di as i64, vi as i64, c.negative))
                } else {
                    (true, Vec::new())
                }
            })
        },
        || fail(&YV::Str("no manifest found".into()), -1, -1, false),
    )
}

fn failed_template(p: &Params, c: &mut Ctx) -> Verdict {
    if !p.error_message.is_empty() && !p.error_pattern.is_empty() {
        return (
            false,
            split_infof(
                ERROR_FORMAT,
                -1,
                -1,
                &["single attribute 'errorMessage' or 'errorPattern' supported at the same time"],
            ),
        );
    }
    let custom = if p.error_pattern.is_empty() {
        " to equal"
    } else {
        " to match"
    };
    let message = if p.error_message.is_empty() {
        &p.error_pattern
    } else {
        &p.error_message
    };
    let fail = |actual: &str, not: bool| {
        if not {
            split_infof(
                &fail_format(true, false, false, false, custom),
                -1,
                -1,
                &[message],
            )
        } else {
            split_infof(
                &fail_format(false, false, true, false, custom),
                -1,
                -1,
                &[message, actual],
            )
        }
    };
    let check_pattern = |actual: Option<&str>, negative: bool| -> Verdict {
        let re = regex::Regex::new(&p.error_pattern)
            .or_else(|_| regex::Regex::new(&regex::escape(&p.error_pattern)));
        let re = match re {
            Ok(r) => r,
            Err(e) => return (false, split_infof(ERROR_FORMAT, -1, -1, &[&e.to_string()])),
        };
        if let Some(a) = actual {
            if re.is_match(a) == negative {
                // A pattern with regex metacharacters gets a second chance as plain text.
                let meta = p
                    .error_pattern
                    .chars()
                    .any(|ch| "\\.+*?()|[]{}^$".contains(ch));
                if meta {
                    let lit = regex::Regex::new(&regex::escape(&p.error_pattern));
                    return match lit {
                        Ok(l) if l.is_match(a) != negative => (true, Vec::new()),
                        Ok(_) => (false, fail(a, negative)),
                        Err(e) => (false, split_infof(ERROR_FORMAT, -1, -1, &[&e.to_string()])),
                    };
                }
                return (false, fail(a, negative));
            }
        }
        (true, Vec::new())
    };
    let check_message = |actual: Option<&str>, negative: bool| -> Verdict {
        if (actual == Some(p.error_message.as_str())) == negative {
            return (false, fail(actual.unwrap_or("<nil>"), negative));
        }
        (true, Vec::new())
    };
    if let Some(err) = c.render_error {
        if !p.error_pattern.is_empty() {
            return check_pattern(Some(err), c.negative);
        } else if !p.error_message.is_empty() {
            return check_message(Some(err), c.negative);
        }
        return (true, Vec::new());
    }
    let selected = c.selected.to_vec();
    let mut ok = true;
    let mut errs = Vec::new();
    let empty = p.error_message.is_empty() && p.error_pattern.is_empty();
    for (i, d) in selected.iter().enumerate() {
        if empty && !c.negative {
            continue;
        }
        let actual = match d.raw.get("raw") {
            Some(YV::Str(s)) => Some(s.as_str()),
            _ => None,
        };
        let (pass, e) = if !p.error_pattern.is_empty() {
            check_pattern(actual, c.negative)
        } else if !p.error_message.is_empty() {
            check_message(actual, c.negative)
        } else {
            (true, Vec::new())
        };
        errs.extend(e);
        ok = determine(i, ok, pass);
        if !ok && c.fail_fast {
            break;
        }
    }
    if selected.is_empty() && !c.negative {
        ok = false;
        errs.extend(fail("No failed document", false));
    }
    (ok, errs)
}

fn contains_document(p: &Params, c: &mut Ctx) -> Verdict {
    let mut desc = format!("Kind = {}, apiVersion = {}", p.kind, p.api_version);
    if !p.name.is_empty() {
        desc.push_str(&format!(", Name = {}", p.name));
    }
    if !p.namespace.is_empty() {
        desc.push_str(&format!(", Namespace = {}", p.namespace));
    }
    let fail = |di: i64, not: bool| {
        split_infof(
            &fail_format(not, false, false, false, " to contain document"),
            di,
            -1,
            &[&desc],
        )
    };
    let first = |d: &Doc, path: &str| lookup(d, path).ok().and_then(|v| v.into_iter().next());
    let matches = |d: &Doc| -> bool {
        if let Some(YV::Str(k)) = d.raw.get("kind") {
            if *k != p.kind {
                return false;
            }
        }
        if let Some(YV::Str(a)) = d.raw.get("apiVersion") {
            if *a != p.api_version {
                return false;
            }
        }
        if !p.name.is_empty()
            && !matches!(first(d, "metadata.name"), Some(YV::Str(n)) if n == p.name)
        {
            return false;
        }
        if !p.namespace.is_empty()
            && !matches!(first(d, "metadata.namespace"), Some(YV::Str(n)) if n == p.namespace)
        {
            return false;
        }
        true
    };
    let selected = c.selected.to_vec();
    let mut ok = false;
    let mut errs = Vec::new();
    for (i, d) in selected.iter().enumerate() {
        let mut success = matches(d);
        if success == c.negative {
            success = false;
            errs.extend(fail(i as i64, c.negative));
            if c.fail_fast {
                ok = false;
                break;
            }
        } else {
            success = true;
            if p.any != c.negative {
                ok = true;
                errs.clear();
                break;
            }
        }
        ok = determine(i, ok, success);
    }
    if selected.is_empty() {
        if !c.negative {
            errs.extend(fail(0, false));
        } else {
            ok = true;
        }
    }
    (ok, errs)
}

fn length_equal(p: &Params, c: &mut Ctx) -> Verdict {
    if !p.path.is_empty() && p.count.is_none_or(|n| n < 0) {
        return (
            false,
            split_infof(
                ERROR_FORMAT,
                -1,
                -1,
                &["'count' field must be set if 'path' is used"],
            ),
        );
    }
    if !p.path.is_empty() && !p.paths.is_empty() {
        return (
            false,
            split_infof(
                ERROR_FORMAT,
                -1,
                -1,
                &["'paths' couldn't be used with 'path'"],
            ),
        );
    }
    let fail = |path: &str, count: &str, actual: &str, di: i64, not: bool| {
        split_infof(
            &fail_format(not, true, true, false, " to match count"),
            di,
            -1,
            &[path, count, actual],
        )
    };
    let single = |c: &mut Ctx, doc: &Doc, path: &str, di: usize| -> (bool, Vec<String>, i64) {
        let actuals = match lookup(doc, path) {
            Ok(a) => a,
            Err(e) => return (false, split_infof(ERROR_FORMAT, di as i64, -1, &[&e]), 0),
        };
        if c.all_matches && actuals.len() > 1 && p.count.is_some() {
            let n = actuals.len() as i64;
            let count = p.count.unwrap_or(0);
            return if (n == count) == c.negative {
                (
                    false,
                    fail(
                        path,
                        &count.to_string(),
                        &n.to_string(),
                        di as i64,
                        c.negative,
                    ),
                    n,
                )
            } else {
                (true, Vec::new(), n)
            };
        }
        let mut ok = actuals.is_empty() && c.negative;
        let mut errs = Vec::new();
        let mut len = 0i64;
        for (vi, a) in actuals.iter().enumerate() {
            let arr = match a {
                YV::Seq(items) => Some(items.len() as i64),
                _ => None,
            };
            if arr.is_none() && p.count.is_none() {
                errs.extend(split_infof(
                    ERROR_FORMAT,
                    di as i64,
                    vi as i64,
                    &[&format!("{path} is not array")],
                ));
                continue;
            }
            len = arr.unwrap_or(0);
            let pass = match p.count {
                Some(count) if (len == count) == c.negative => {
                    errs.extend(fail(
                        path,
                        &count.to_string(),
                        &len.to_string(),
                        di as i64,
                        c.negative,
                    ));
                    false
                }
                _ => true,
            };
            ok = determine(vi, ok, pass);
            if !ok && c.fail_fast {
                break;
            }
        }
        (ok, errs, len)
    };
    let selected = c.selected.to_vec();
    let mut ok = false;
    let mut errs = Vec::new();
    for (i, d) in selected.iter().enumerate() {
        let (pass, e) = if !p.path.is_empty() {
            let (pass, e, _) = single(c, d, &p.path, i);
            (pass, e)
        } else {
            let mut counts: Vec<(String, i64)> = Vec::new();
            let mut all_ok = true;
            let mut merrs = Vec::new();
            for path in &p.paths {
                let (pass, e, n) = single(c, d, path, i);
                counts.retain(|(k, _)| k != path);
                counts.push((path.clone(), n));
                if !pass {
                    merrs.extend(e);
                    all_ok = false;
                }
            }
            if !all_ok {
                (false, merrs)
            } else {
                counts.sort_by(|a, b| a.0.cmp(&b.0));
                let mut first: Option<i64> = None;
                let mut pass = true;
                for (path, n) in &counts {
                    match first {
                        None => first = Some(*n),
                        Some(f) => {
                            if (f == *n) == c.negative {
                                merrs.extend(fail(
                                    path,
                                    "-1",
                                    &n.to_string(),
                                    i as i64,
                                    c.negative,
                                ));
                                pass = false;
                                break;
                            }
                        }
                    }
                }
                (pass, merrs)
            }
        };
        errs.extend(e);
        ok = determine(i, ok, pass);
        if !ok && c.fail_fast {
            break;
        }
    }
    if selected.is_empty() {
        if !c.negative {
            errs.extend(fail("", "", "no manifest found", -1, false));
        } else {
            ok = true;
        }
    }
    (ok, errs)
}

fn is_type(p: &Params, c: &mut Ctx) -> Verdict {
    let fail = |actual: &str, di: i64, vi: i64, not: bool| {
        split_infof(
            &fail_format(not, true, true, false, " to be of type"),
            di,
            vi,
            &[&p.path, &p.type_name, actual],
        )
    };
    let unknown = format!("unknown path {}", p.path);
    over_docs(
        c,
        |c, di, doc| {
            over_values(c, di, doc, &p.path, &unknown, |c, vi, actual| {
                let t = actual.go_type();
                if (t == p.type_name) == c.negative {
                    (false, fail(t, di as i64, vi as i64, c.negative))
                } else {
                    (true, Vec::new())
                }
            })
        },
        || fail("no manifest found", -1, -1, false),
    )
}

fn snapshot_fail(
    path: Option<&str>,
    r: &CompareResult,
    di: i64,
    vi: i64,
    not: bool,
) -> Vec<String> {
    if !r.msg.is_empty() {
        return split_infof(
            &fail_format(not, false, false, false, &r.msg),
            di,
            vi,
            &[&r.cached],
        );
    }
    let custom = format!(" to match snapshot {}", r.index);
    let info = if not {
        r.cached.clone()
    } else if r.missing {
        format!(
            "no snapshot {} for this test in the snapshot file (--ci does not write new snapshots; run with -u to record it)",
            r.index
        )
    } else {
        diff(&r.cached, &r.new)
    };
    match path {
        Some(path) => split_infof(
            &fail_format(not, true, false, false, &custom),
            di,
            vi,
            &[path, &info],
        ),
        None => split_infof(
            &fail_format(not, false, false, false, &custom),
            -1,
            -1,
            &[&info],
        ),
    }
}

fn match_snapshot(p: &Params, c: &mut Ctx) -> Verdict {
    let opts = CompareOptions {
        match_regex: p.snapshot_match.clone(),
        not_match_regex: p.snapshot_not_match.clone(),
    };
    let selected = c.selected.to_vec();
    let mut ok = selected.is_empty() && !c.negative;
    let mut errs = Vec::new();
    let unknown = format!("unknown path {}", p.path);
    for (di, doc) in selected.iter().enumerate() {
        let (pass, e) = over_values(c, di, doc, &p.path, &unknown, |c, vi, actual| {
            let r = c.snapshots.compare(&actual, &opts);
            if r.passed == c.negative {
                (
                    false,
                    snapshot_fail(Some(&p.path), &r, di as i64, vi as i64, c.negative),
                )
            } else {
                (true, Vec::new())
            }
        });
        errs.extend(e);
        ok = determine(di, ok, pass);
        if !ok && c.fail_fast {
            break;
        }
    }
    (ok, errs)
}

fn match_snapshot_raw(c: &mut Ctx) -> Verdict {
    let selected = c.selected.to_vec();
    let mut ok = selected.is_empty() && !c.negative;
    let mut errs = Vec::new();
    for (i, d) in selected.iter().enumerate() {
        let actual = YV::Str(raw_text(d));
        let r = c.snapshots.compare(&actual, &CompareOptions::default());
        let pass = r.passed != c.negative;
        if !pass {
            errs.extend(snapshot_fail(None, &r, -1, -1, c.negative));
        }
        ok = determine(i, ok, pass);
        if !ok && c.fail_fast {
            break;
        }
    }
    (ok, errs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_lines_match_helm_unittest() {
        let lines = split_infof(
            &fail_format(false, true, true, false, " to match"),
            0,
            0,
            &["metadata.name", "^.*-foobar$", "RELEASE-NAME-basic"],
        );
        assert_eq!(
            lines,
            vec![
                "DocumentIndex:\t0",
                "ValuesIndex:\t0",
                "Path:\tmetadata.name",
                "Expected to match:",
                "\t^.*-foobar$",
                "Actual:",
                "\tRELEASE-NAME-basic"
            ]
        );
    }

    #[test]
    fn uniform_content() {
        assert_eq!(uniform("\n\na  \nb \r\nc"), "a\nb\nc");
    }
}
