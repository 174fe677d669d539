//! Reports: live lines and a summary in cargo-nextest's style, failure details with
//! helm-unittest's lines and a coloured diff, and JUnit XML or JSON files.

use std::fmt::Write as _;
use std::time::Duration;

use super::job::{AssertOutcome, TestOutcome};
use super::runner::{RunResult, SuiteRun};
use super::suite::SuiteError;

/// Colours on or off.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    /// Emit ANSI colours.
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    /// Green bold.
    pub fn pass(&self, s: &str) -> String {
        self.paint("1;32", s)
    }
    /// Red bold.
    pub fn fail(&self, s: &str) -> String {
        self.paint("1;31", s)
    }
    /// Yellow bold.
    pub fn skip(&self, s: &str) -> String {
        self.paint("1;33", s)
    }
    /// Bold.
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    /// Dim.
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    fn cyan(&self, s: &str) -> String {
        self.paint("36", s)
    }
}

fn secs(d: Duration) -> String {
    format!("[{:>8.3}s]", d.as_secs_f64())
}

/// The start line.
pub fn start_line(st: &Style, tests: usize, suites: usize, threads: usize) -> String {
    format!(
        "{} {} across {} ({} {})\n",
        st.pass(&format!("{:>12}", "Starting")),
        st.bold(&format!("{tests} tests")),
        st.bold(&format!("{suites} suites")),
        threads,
        if threads == 1 { "thread" } else { "threads" }
    )
}

/// A suite file that could not be read.
pub fn suite_error_line(st: &Style, e: &SuiteError) -> String {
    format!("{} {}\n", st.fail(&format!("{:>12}", "ERROR")), e)
}

/// The line for a finished test, with its failure details.
pub fn test_line(st: &Style, suite: &str, o: &TestOutcome, suite_file: &str) -> String {
    let name = format!("{} {} {}", st.dim(suite), st.dim("›"), st.bold(&o.name));
    let mut s = if o.skipped {
        format!(
            "{} {:>11} {name}\n",
            st.skip(&format!("{:>12}", "SKIP")),
            ""
        )
    } else if o.passed {
        format!(
            "{} {} {name}\n",
            st.pass(&format!("{:>12}", "PASS")),
            secs(o.duration)
        )
    } else {
        format!(
            "{} {} {name}\n",
            st.fail(&format!("{:>12}", "FAIL")),
            secs(o.duration)
        )
    };
    if !o.passed && !o.skipped {
        s.push_str(&failure_details(st, o, suite_file));
    }
    s
}

/// What failed in a test: the render error, then each failed assertion with its lines and,
/// for value comparisons, a coloured diff.
pub fn failure_details(st: &Style, o: &TestOutcome, suite_file: &str) -> String {
    let mut s = String::new();
    let pad = "              ";
    if let Some(e) = &o.exec_error {
        let _ = writeln!(
            s,
            "{pad}{}",
            st.red(&format!(
                "Error: {}",
                e.replace('\n', &format!("\n{pad}  "))
            ))
        );
    }
    for a in o.asserts.iter().filter(|a| !a.passed) {
        s.push_str(&assert_details(st, a, suite_file, pad));
    }
    s
}

fn assert_details(st: &Style, a: &AssertOutcome, suite_file: &str, pad: &str) -> String {
    let mut s = String::new();
    let not = if a.not { " NOT" } else { "" };
    let _ = writeln!(
        s,
        "{pad}{} {}",
        st.fail(&format!("- asserts[{}]{not} `{}` fail", a.index, a.kind)),
        st.dim(&format!("({suite_file}:{})", a.line))
    );
    let mut in_diff = false;
    for l in &a.lines {
        if l == "Diff:" {
            in_diff = true;
        } else if !l.starts_with('\t') {
            in_diff = false;
        }
        let line = l.replace('\t', "  ");
        let shown = if in_diff {
            let t = line.trim_start();
            if t.starts_with("+++") || t.starts_with("---") {
                st.bold(&line)
            } else if t.starts_with('+') {
                st.green(&line)
            } else if t.starts_with('-') {
                st.red(&line)
            } else if t.starts_with("@@") {
                st.cyan(&line)
            } else {
                line
            }
        } else {
            line
        };
        let _ = writeln!(s, "{pad}    {shown}");
    }
    if let Some((e, act)) = &a.diff {
        let _ = writeln!(
            s,
            "{pad}    Diff ({} expected, {} actual):",
            st.red("-"),
            st.green("+")
        );
        let d = similar::TextDiff::from_lines(e.as_str(), act.as_str());
        for change in d.iter_all_changes() {
            let text = change.to_string_lossy();
            let text = text.trim_end_matches('\n');
            let line = match change.tag() {
                similar::ChangeTag::Delete => st.red(&format!("-{text}")),
                similar::ChangeTag::Insert => st.green(&format!("+{text}")),
                similar::ChangeTag::Equal => format!(" {text}"),
            };
            let _ = writeln!(s, "{pad}      {line}");
        }
    }
    s
}

/// Counts over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed.
    pub failed: usize,
    /// Tests skipped by `skip`.
    pub skipped: usize,
    /// Tests that did not run (fail-fast).
    pub not_run: usize,
    /// Tests filtered out.
    pub filtered: usize,
    /// Suites that could not be read, or failed as a whole.
    pub suite_errors: usize,
    /// Snapshot entries written anew.
    pub snapshots_created: usize,
    /// Snapshot entries that did not match.
    pub snapshots_failed: usize,
}

/// Tallies a run.
pub fn counts(r: &RunResult) -> Counts {
    let mut c = Counts::default();
    for ch in &r.charts {
        c.suite_errors += ch.suite_errors.len() + usize::from(ch.error.is_some());
        for s in &ch.suites {
            c.filtered += s.filtered;
            if s.error.is_some() {
                c.suite_errors += 1;
            }
            c.snapshots_created += s.snapshots.created;
            c.snapshots_failed += s.snapshots.failed;
            let ran = s.tests.iter().flatten().count();
            c.not_run += s.tests.len() - ran - s.filtered.min(s.tests.len() - ran);
            for t in s.tests.iter().flatten() {
                if t.skipped {
                    c.skipped += 1;
                } else if t.passed {
                    c.passed += 1;
                } else {
                    c.failed += 1;
                }
            }
        }
    }
    c
}

/// The closing summary: the count line, then every failure again, then suite errors.
pub fn summary(st: &Style, r: &RunResult) -> String {
    let c = counts(r);
    let mut s = String::new();
    let _ = writeln!(s, "{}", st.dim("------------"));
    let run = c.passed + c.failed;
    let mut parts = vec![format!("{} passed", c.passed)];
    if c.failed > 0 {
        parts.push(st.fail(&format!("{} failed", c.failed)));
    }
    parts.push(format!("{} skipped", c.skipped));
    if c.suite_errors > 0 {
        parts.push(st.fail(&format!("{} suite errors", c.suite_errors)));
    }
    if c.filtered > 0 {
        parts.push(format!("{} filtered out", c.filtered));
    }
    if c.not_run > 0 {
        parts.push(format!("{} not run", c.not_run));
    }
    let label = if r.passed() {
        st.pass(&format!("{:>12}", "Summary"))
    } else {
        st.fail(&format!("{:>12}", "Summary"))
    };
    let _ = writeln!(
        s,
        "{label} {} {} tests run: {}",
        secs(r.elapsed),
        run,
        parts.join(", ")
    );
    if c.snapshots_created > 0 || c.snapshots_failed > 0 {
        let _ = writeln!(
            s,
            "{:>12} {} new, {} failed{}",
            "Snapshots",
            c.snapshots_created,
            c.snapshots_failed,
            if c.snapshots_failed > 0 {
                " (check the changes and use -u to update them)"
            } else {
                ""
            }
        );
    }
    for ch in &r.charts {
        if let Some(e) = &ch.error {
            let _ = writeln!(
                s,
                "{} {}: {e}",
                st.fail(&format!("{:>12}", "ERROR")),
                ch.path.display()
            );
        }
        for e in &ch.suite_errors {
            s.push_str(&suite_error_line(st, e));
        }
        for sr in &ch.suites {
            if let Some(e) = &sr.error {
                let _ = writeln!(
                    s,
                    "{} {}: {e}",
                    st.fail(&format!("{:>12}", "ERROR")),
                    sr.display
                );
            }
            for t in sr.tests.iter().flatten() {
                if !t.passed && !t.skipped {
                    let _ = writeln!(
                        s,
                        "{} {} {} {} {}",
                        st.fail(&format!("{:>12}", "FAIL")),
                        secs(t.duration),
                        st.dim(&sr.display),
                        st.dim("›"),
                        st.bold(&t.name)
                    );
                }
            }
        }
    }
    s
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#xA;"),
            '\t' => out.push_str("&#x9;"),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

fn failure_text(t: &TestOutcome) -> String {
    let plain = Style { color: false };
    failure_details(&plain, t, "")
}

/// JUnit XML: a `testsuite` per suite, a `testcase` per test.
pub fn junit(r: &RunResult) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    let mut id = 0;
    for ch in &r.charts {
        for e in &ch.suite_errors {
            let _ = writeln!(
                s,
                "\t<testsuite id=\"{id}\" tests=\"0\" failures=\"0\" errors=\"1\" name=\"{}\" package=\"{}\">\n\t\t<system-err>{}</system-err>\n\t</testsuite>",
                xml_escape(&e.file.display().to_string()),
                xml_escape(&ch.name),
                xml_escape(&e.to_string())
            );
            id += 1;
        }
        for sr in &ch.suites {
            s.push_str(&junit_suite(sr, &ch.name, id));
            id += 1;
        }
    }
    s.push_str("</testsuites>\n");
    s
}

fn junit_suite(sr: &SuiteRun, chart: &str, id: usize) -> String {
    let tests: Vec<&TestOutcome> = sr.tests.iter().flatten().collect();
    let failures = tests.iter().filter(|t| !t.passed && !t.skipped).count();
    let time: f64 = tests.iter().map(|t| t.duration.as_secs_f64()).sum();
    let name = if sr.suite.name.is_empty() {
        sr.display.clone()
    } else {
        sr.suite.name.clone()
    };
    let mut s = format!(
        "\t<testsuite id=\"{id}\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\" package=\"{}\" time=\"{time:.3}\" name=\"{}\">\n",
        tests.len(),
        usize::from(sr.error.is_some()),
        xml_escape(chart),
        xml_escape(&name)
    );
    for t in tests {
        let _ = write!(
            s,
            "\t\t<testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            xml_escape(&sr.display),
            xml_escape(&t.name),
            t.duration.as_secs_f64()
        );
        if t.skipped {
            let _ = writeln!(
                s,
                ">\n\t\t\t<skipped message=\"{}\"></skipped>\n\t\t</testcase>",
                xml_escape(&t.skip_reason)
            );
        } else if !t.passed {
            let _ = writeln!(
                s,
                ">\n\t\t\t<failure message=\"Failed\" type=\"\">{}</failure>\n\t\t</testcase>",
                xml_escape(&failure_text(t))
            );
        } else {
            s.push_str("></testcase>\n");
        }
    }
    if let Some(e) = &sr.error {
        let _ = writeln!(s, "\t\t<system-err>{}</system-err>", xml_escape(e));
    }
    s.push_str("\t</testsuite>\n");
    s
}

/// A JSON report of every suite, test and failed assertion.
pub fn json(r: &RunResult) -> String {
    use serde_json::{json, Value};
    let c = counts(r);
    let charts: Vec<Value> = r
        .charts
        .iter()
        .map(|ch| {
            json!({
                "chart": ch.name,
                "path": ch.path.display().to_string(),
                "error": ch.error,
                "suiteErrors": ch.suite_errors.iter().map(|e| json!({
                    "file": e.file.display().to_string(), "line": e.line, "message": e.message,
                })).collect::<Vec<_>>(),
                "suites": ch.suites.iter().map(|s| json!({
                    "file": s.display,
                    "name": s.suite.name,
                    "passed": s.passed(),
                    "error": s.error,
                    "snapshots": {
                        "total": s.snapshots.total, "created": s.snapshots.created,
                        "failed": s.snapshots.failed, "obsolete": s.snapshots.obsolete,
                        "written": s.snapshots.written,
                    },
                    "tests": s.suite.tests.iter().zip(&s.tests).map(|(t, o)| match o {
                        None => json!({"name": t.name, "line": t.line, "status": "not run"}),
                        Some(o) => json!({
                            "name": o.name,
                            "line": o.line,
                            "status": if o.skipped { "skipped" } else if o.passed { "passed" } else { "failed" },
                            "skipReason": if o.skipped { Some(&o.skip_reason) } else { None },
                            "durationSeconds": o.duration.as_secs_f64(),
                            "error": o.exec_error,
                            "failedAsserts": o.asserts.iter().filter(|a| !a.passed).map(|a| json!({
                                "index": a.index, "type": a.kind, "not": a.not, "line": a.line,
                                "message": a.lines,
                            })).collect::<Vec<_>>(),
                        }),
                    }).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let v = json!({
        "passed": r.passed(),
        "counts": {
            "passed": c.passed, "failed": c.failed, "skipped": c.skipped,
            "notRun": c.not_run, "filtered": c.filtered, "suiteErrors": c.suite_errors,
        },
        "elapsedSeconds": r.elapsed.as_secs_f64(),
        "charts": charts,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}
