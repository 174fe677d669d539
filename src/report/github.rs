//! GitHub Actions output: a markdown step summary (appended to `$GITHUB_STEP_SUMMARY`) and
//! `::error` workflow commands that annotate the run with each failed case.

use super::{human_duration, Status, Suite};

/// Whether we run inside GitHub Actions (`GITHUB_ACTIONS=true`).
pub fn active(env: &crate::cluster::env::Env) -> bool {
    env.get("GITHUB_ACTIONS") == Some("true")
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The markdown step summary: a heading with the verdict, the run's properties and a table.
pub fn step_summary(suite: &Suite) -> String {
    let mut out = format!(
        "### {} {}: {}\n\n",
        if suite.passed() { "✅" } else { "❌" },
        cell(&suite.name),
        if suite.passed() {
            "passed".to_string()
        } else {
            format!(
                "failed in {}",
                suite
                    .failed()
                    .map(|c| format!("`{}`", c.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    for (k, v) in &suite.properties {
        out.push_str(&format!("- **{}**: {}\n", cell(k), cell(v)));
    }
    if !suite.properties.is_empty() {
        out.push('\n');
    }
    out.push_str("| phase | status | duration | detail |\n|---|---|---:|---|\n");
    for c in &suite.cases {
        let mark = match c.status {
            Status::Passed => "✅ passed",
            Status::Failed => "❌ failed",
            Status::Skipped => "⏭️ skipped",
        };
        out.push_str(&format!(
            "| {} | {mark} | {} | {} |\n",
            cell(&c.name),
            human_duration(c.duration),
            cell(c.detail.lines().next().unwrap_or(""))
        ));
    }
    for c in suite.failed() {
        if let Some(f) = &c.failure {
            out.push_str(&format!(
                "\n<details><summary>{} failure</summary>\n\n```\n{}\n```\n</details>\n",
                cell(&c.name),
                f.trim_end().replace("```", "'''")
            ));
        }
    }
    out
}

/// Escapes a workflow command's data (`%`, CR, LF).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property (data escapes plus `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error` line per failed case, titled with the suite and the case's name.
pub fn annotations(suite: &Suite) -> String {
    suite
        .failed()
        .map(|c| {
            format!(
                "::error title={}::{} failed: {}\n",
                escape_property(&format!("{}: {}", suite.name, c.name)),
                c.name,
                escape_data(c.failure.as_deref().unwrap_or(&c.detail).trim_end())
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::Case;
    use super::*;
    use std::time::Duration;

    #[test]
    fn annotations_escape_and_name_the_case() {
        let suite = Suite {
            name: "e2e".into(),
            properties: vec![],
            cases: vec![Case {
                name: "verify".into(),
                status: Status::Failed,
                duration: Duration::from_secs(1),
                detail: "3 of 10 events missing".into(),
                failure: Some("missing 100%\nseq 1-3".into()),
            }],
        };
        assert_eq!(
            annotations(&suite),
            "::error title=e2e%3A verify::verify failed: missing 100%25%0Aseq 1-3\n"
        );
        let md = step_summary(&suite);
        assert!(md.starts_with("### ❌ e2e: failed in `verify`"), "{md}");
        assert!(
            md.contains("| verify | ❌ failed | 1.0s | 3 of 10 events missing |"),
            "{md}"
        );
    }
}
