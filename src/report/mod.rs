//! Test reports shared by the commands that run named steps: a [`Suite`] of [`Case`]s, each
//! passed, failed or skipped with its duration and message, written as JUnit XML
//! ([`junit`]), JSON ([`json`]), a plain-text table ([`table`]) or, on GitHub Actions, a
//! markdown step summary with `::error` annotations ([`github`]).

pub mod github;
pub mod json;
pub mod junit;
pub mod table;

use std::time::Duration;

use serde::Serialize;

/// A case's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It ran and held.
    Passed,
    /// It ran and did not hold (or could not run to its end).
    Failed,
    /// It did not run.
    Skipped,
}

impl Status {
    /// The word used in tables and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One named step and how it went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Case {
    /// Its name (`install`).
    pub name: String,
    /// Its verdict.
    pub status: Status,
    /// How long it took.
    #[serde(rename = "duration_s", serialize_with = "seconds")]
    pub duration: Duration,
    /// One line: what it did, or why it failed or was skipped.
    pub detail: String,
    /// The full failure text (several lines), when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// A run of steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suite {
    /// The suite's name (`posthog-charttest e2e`).
    pub name: String,
    /// Facts about the run shown with it (provider, run id, chart), in order.
    pub properties: Vec<(String, String)>,
    /// The steps, in order.
    pub cases: Vec<Case>,
}

impl Suite {
    /// Whether no case failed.
    pub fn passed(&self) -> bool {
        self.cases.iter().all(|c| c.status != Status::Failed)
    }

    /// The cases that failed.
    pub fn failed(&self) -> impl Iterator<Item = &Case> {
        self.cases.iter().filter(|c| c.status == Status::Failed)
    }

    /// The sum of the cases' durations.
    pub fn duration(&self) -> Duration {
        self.cases.iter().map(|c| c.duration).sum()
    }
}

/// Escapes text for XML attributes and content.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A duration as people read it: `850ms`, `42.1s`, `3m07s`, `1h02m`.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    let s = d.as_secs();
    if ms < 1000 {
        format!("{ms}ms")
    } else if s < 60 {
        format!("{:.1}s", d.as_secs_f64())
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_durations() {
        assert_eq!(
            xml_escape("a<b & \"c\" 'd'\u{1}"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos; "
        );
        assert_eq!(human_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(human_duration(Duration::from_millis(42_149)), "42.1s");
        assert_eq!(human_duration(Duration::from_secs(187)), "3m07s");
        assert_eq!(human_duration(Duration::from_secs(3720)), "1h02m");
    }
}
