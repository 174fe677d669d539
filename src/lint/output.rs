//! Report formats: human (coloured, grouped by file, with a source excerpt), JSON, JUnit,
//! SARIF 2.1.0 and GitHub Actions annotations.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::finding::{Finding, Severity};
use super::rules::RULES;
use super::run::{minor_ranges, Report};

/// `chart` joined with a chart-relative file, `/`-separated, without a leading `./`.
fn repo_path(chart: &str, file: &str) -> String {
    let c = chart.trim_end_matches('/');
    let c = c.strip_prefix("./").unwrap_or(c);
    if c.is_empty() || c == "." {
        file.to_string()
    } else {
        format!("{c}/{file}")
    }
}

struct Paint(bool);

impl Paint {
    fn p(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn sev(&self, s: Severity) -> String {
        match s {
            Severity::Error => self.p("1;31", "error"),
            Severity::Warning => self.p("1;33", "warning"),
            Severity::Info => self.p("36", "info"),
        }
    }
}

/// Findings grouped across scenarios: (file, line, rule, kind, name, message) → (severity,
/// scenarios).
type Groups = BTreeMap<(String, usize, String, String, String, String), (Severity, Vec<String>)>;

/// Human-readable report. Identical findings of several scenarios are shown once, listing
/// the scenarios.
pub fn human(report: &Report, chart: &str, color: bool) -> String {
    let paint = Paint(color);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "==> Linting {chart} ({} scenario{}: {}; Kubernetes {})",
        report.scenarios.len(),
        if report.scenarios.len() == 1 { "" } else { "s" },
        report.scenarios.join(", "),
        minor_ranges(&report.minors)
    );
    // Group identical findings across scenarios.
    let mut groups: Groups = BTreeMap::new();
    for f in &report.findings {
        let e = groups
            .entry((
                f.file.clone(),
                f.line,
                f.rule.clone(),
                f.kind.clone(),
                f.name.clone(),
                f.message.clone(),
            ))
            .or_insert((f.severity, Vec::new()));
        if !f.scenario.is_empty() {
            e.1.push(f.scenario.clone());
        }
    }
    let mut current_file = String::new();
    let mut file_lines: Vec<String> = Vec::new();
    for ((file, line, rule, kind, name, message), (sev, scenarios)) in &groups {
        if *file != current_file {
            current_file = file.clone();
            let _ = writeln!(out, "\n{}", paint.p("1", &repo_path(chart, file)));
            file_lines = std::fs::read_to_string(Path::new(chart).join(file))
                .map(|t| t.lines().map(str::to_string).collect())
                .unwrap_or_default();
        }
        let obj = if kind.is_empty() {
            String::new()
        } else {
            format!("{kind}/{name}: ")
        };
        let scen = if scenarios.is_empty()
            || scenarios.len() == report.scenarios.len() && report.scenarios.len() > 1
        {
            if scenarios.is_empty() {
                String::new()
            } else {
                " [all scenarios]".to_string()
            }
        } else {
            format!(" [{}]", scenarios.join(", "))
        };
        let loc = if *line > 0 {
            format!("{line:>4}")
        } else {
            "   -".to_string()
        };
        let mut msg_lines = message.lines();
        let first = msg_lines.next().unwrap_or("");
        let _ = writeln!(
            out,
            "  {loc}  {:<7}  {}  {obj}{first}{}",
            paint.sev(*sev),
            paint.p("2", rule),
            paint.p("2", &scen)
        );
        for more in msg_lines {
            let _ = writeln!(out, "                 {}", more.trim_start());
        }
        if *line > 0 {
            if let Some(src) = file_lines.get(line - 1) {
                let _ = writeln!(out, "        {} {}", paint.p("2", "|"), src);
            }
        }
    }
    let count = |s: Severity| groups.values().filter(|(sev, _)| *sev == s).count();
    let _ = writeln!(
        out,
        "\n{} error(s), {} warning(s), {} info; {} object(s) checked",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
        report.objects
    );
    out
}

/// `--output json`: an array of findings.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(&report.findings).unwrap_or_else(|_| "[]".into()) + "\n"
}

use crate::report::xml_escape as xml;

/// `--output junit`: one test suite per scenario, one test case per finding (warnings and
/// errors fail, info is skipped), and a passing case for a clean scenario.
pub fn junit(report: &Report, chart: &str) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let fails = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .count();
    let _ = writeln!(
        out,
        "<testsuites name=\"posthog-charttest lint\" tests=\"{}\" failures=\"{fails}\">",
        report.findings.len().max(1)
    );
    let mut names: Vec<String> = vec![String::new()];
    names.extend(report.scenarios.iter().cloned());
    for sc in names {
        let fs: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.scenario == sc)
            .collect();
        if sc.is_empty() && fs.is_empty() {
            continue;
        }
        let suite = if sc.is_empty() {
            "chart".to_string()
        } else {
            sc.clone()
        };
        let failures = fs
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">",
            xml(&suite),
            fs.len().max(1)
        );
        if fs.is_empty() {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"lint\"/>",
                xml(&suite)
            );
        }
        for f in fs {
            let name = format!("{}:{} {}", repo_path(chart, &f.file), f.line, f.rule);
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\">",
                xml(&suite),
                xml(&name)
            );
            let body = if f.kind.is_empty() {
                f.message.clone()
            } else {
                format!("{}/{}: {}", f.kind, f.name, f.message)
            };
            match f.severity {
                Severity::Info => {
                    let _ = write!(out, "<skipped message=\"{}\"/>", xml(&body));
                }
                s => {
                    let _ = write!(
                        out,
                        "<failure type=\"{}\" message=\"{}\">{}</failure>",
                        s.as_str(),
                        xml(&body),
                        xml(&body)
                    );
                }
            }
            out.push_str("</testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// `--output sarif`: SARIF 2.1.0 for GitHub code scanning.
pub fn sarif(report: &Report, chart: &str) -> String {
    let level = |s: Severity| match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    };
    let rules: Vec<serde_json::Value> = RULES
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": {"text": r.summary},
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {"family": r.family}
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut text = if f.kind.is_empty() {
                f.message.clone()
            } else {
                format!("{}/{}: {}", f.kind, f.name, f.message)
            };
            if !f.scenario.is_empty() {
                text.push_str(&format!(" (scenario {})", f.scenario));
            }
            let mut loc = serde_json::json!({
                "physicalLocation": {
                    "artifactLocation": {"uri": repo_path(chart, &f.file)},
                }
            });
            if f.line > 0 {
                loc["physicalLocation"]["region"] = serde_json::json!({"startLine": f.line});
            }
            serde_json::json!({
                "ruleId": f.rule,
                "ruleIndex": RULES.iter().position(|r| r.id == f.rule).unwrap_or(0),
                "level": level(f.severity),
                "message": {"text": text},
                "locations": [loc],
                "properties": {"scenario": f.scenario, "kind": f.kind, "name": f.name}
            })
        })
        .collect();
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "posthog-charttest",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules
            }},
            "results": results
        }]
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn gh_escape(s: &str, prop: bool) -> String {
    let mut r = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if prop {
        r = r.replace(':', "%3A").replace(',', "%2C");
    }
    r
}

/// GitHub Actions workflow commands (`::error file=…,line=…,title=…::message`).
pub fn github(report: &Report, chart: &str) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let cmd = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = format!("file={}", gh_escape(&repo_path(chart, &f.file), true));
        if f.line > 0 {
            props.push_str(&format!(",line={}", f.line));
        }
        props.push_str(&format!(",title={}", gh_escape(&f.rule, true)));
        let mut msg = if f.kind.is_empty() {
            f.message.clone()
        } else {
            format!("{}/{}: {}", f.kind, f.name, f.message)
        };
        if !f.scenario.is_empty() {
            msg.push_str(&format!(" (scenario {})", f.scenario));
        }
        let _ = writeln!(out, "::{cmd} {props}::{}", gh_escape(&msg, false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_annotations() {
        let mut f = Finding::chart(
            "probes",
            Severity::Warning,
            "templates/d.yaml",
            7,
            "no probe,\nat all: 100%".into(),
        );
        f.kind = "Deployment".into();
        f.name = "web".into();
        f.scenario = "ha".into();
        let r = Report {
            findings: vec![f],
            ..Report::default()
        };
        assert_eq!(
            github(&r, "./charts/x"),
            "::warning file=charts/x/templates/d.yaml,line=7,title=probes::Deployment/web: no probe,%0Aat all: 100%25 (scenario ha)\n"
        );
    }
}
