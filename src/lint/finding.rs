//! What lint reports: findings with a rule, a severity and the template line to fix.

use serde::Serialize;

/// How bad a finding is. Errors fail the run; warnings fail it with `--strict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Advice (helm's INFO).
    Info,
    /// Likely a problem (helm's WARNING).
    Warning,
    /// Broken: the chart will not install or will not work.
    Error,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// Parses `error`, `warning` or `info`.
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Some(Severity::Error),
            "warning" | "warn" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }
}

/// One problem, pointing at the template line that produced it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule id (`schema-unknown-field`, `probes`, …).
    pub rule: String,
    /// Its severity.
    pub severity: Severity,
    /// The values scenario it was found in (empty for chart-level rules).
    pub scenario: String,
    /// The file to fix, relative to the chart directory (`templates/deployment.yaml`).
    pub file: String,
    /// 1-based line in that file (0 when the finding is about the file as a whole).
    pub line: usize,
    /// The object's kind (empty for chart-level rules).
    pub kind: String,
    /// The object's name (empty for chart-level rules).
    pub name: String,
    /// What is wrong and, where it helps, what to do.
    pub message: String,
}

impl Finding {
    /// A chart-level finding (no object).
    pub fn chart(
        rule: &str,
        severity: Severity,
        file: &str,
        line: usize,
        message: String,
    ) -> Finding {
        Finding {
            rule: rule.into(),
            severity,
            scenario: String::new(),
            file: file.into(),
            line,
            kind: String::new(),
            name: String::new(),
            message,
        }
    }
}
