//! JUnit XML: one `testsuite`, one `testcase` per [`Case`](super::Case); a failed case carries a
//! `failure` element with its message, a skipped one a `skipped` element. The layout is the
//! one CI test-report viewers (GitHub's test reporters, GitLab, Jenkins) read.

use std::fmt::Write as _;

use super::{xml_escape, Status, Suite};

/// The suite as a JUnit XML document.
pub fn write(suite: &Suite) -> String {
    let failures = suite.failed().count();
    let skipped = suite
        .cases
        .iter()
        .filter(|c| c.status == Status::Skipped)
        .count();
    let time = suite.duration().as_secs_f64();
    let name = xml_escape(&suite.name);
    let tests = suite.cases.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{time:.3}\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{time:.3}\">"
    );
    if !suite.properties.is_empty() {
        out.push_str("    <properties>\n");
        for (k, v) in &suite.properties {
            let _ = writeln!(
                out,
                "      <property name=\"{}\" value=\"{}\"/>",
                xml_escape(k),
                xml_escape(v)
            );
        }
        out.push_str("    </properties>\n");
    }
    for c in &suite.cases {
        let _ = write!(
            out,
            "    <testcase classname=\"{name}\" name=\"{}\" time=\"{:.3}\"",
            xml_escape(&c.name),
            c.duration.as_secs_f64()
        );
        match c.status {
            Status::Passed => out.push_str("/>\n"),
            Status::Skipped => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    xml_escape(&c.detail)
                );
            }
            Status::Failed => {
                let body = c.failure.as_deref().unwrap_or(&c.detail);
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                    xml_escape(&c.detail),
                    xml_escape(&c.name),
                    xml_escape(body)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::Case;
    use super::*;
    use std::time::Duration;

    #[test]
    fn cases_failures_and_skips() {
        let suite = Suite {
            name: "e2e".into(),
            properties: vec![("provider".into(), "k3s".into())],
            cases: vec![
                Case {
                    name: "install".into(),
                    status: Status::Passed,
                    duration: Duration::from_millis(1500),
                    detail: "ok".into(),
                    failure: None,
                },
                Case {
                    name: "load".into(),
                    status: Status::Failed,
                    duration: Duration::from_secs(2),
                    detail: "threshold <crossed>".into(),
                    failure: Some("line 1\nline 2".into()),
                },
                Case {
                    name: "verify".into(),
                    status: Status::Skipped,
                    duration: Duration::ZERO,
                    detail: "load failed".into(),
                    failure: None,
                },
            ],
        };
        let x = write(&suite);
        assert!(
            x.contains("tests=\"3\" failures=\"1\" skipped=\"1\" time=\"3.500\""),
            "{x}"
        );
        assert!(
            x.contains("<property name=\"provider\" value=\"k3s\"/>"),
            "{x}"
        );
        assert!(
            x.contains("<testcase classname=\"e2e\" name=\"install\" time=\"1.500\"/>"),
            "{x}"
        );
        assert!(
            x.contains("<failure message=\"threshold &lt;crossed&gt;\" type=\"load\">line 1\nline 2</failure>"),
            "{x}"
        );
        assert!(x.contains("<skipped message=\"load failed\"/>"), "{x}");
    }
}
