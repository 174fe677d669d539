//! `posthog-charttest upgrade-check`: renders the chart at `--from` and the chart given, with
//! the same values, and reports what `helm upgrade` from one to the other would break (see the
//! README's `## upgrade-check` section).

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::Path;

use clap::{Args, ValueEnum};

use super::Outcome;
use crate::chart::objects::KubeVersion;
use crate::chart::{load_chart, locate_chart};
use crate::upgrade::diff::{render_diff, DiffOptions};
use crate::upgrade::render::{render_release, ReleaseLookup, RenderSpec};
use crate::upgrade::report::{self, Finding, Severity};
use crate::upgrade::source::load_old;

/// The chart checked when none is given.
pub const DEFAULT_CHART: &str = "charts/posthog";

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// The resource diff and the findings, coloured on a terminal.
    #[default]
    Human,
    /// A JSON array of findings.
    Json,
    /// JUnit XML.
    Junit,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
}

/// When to colour human output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Color {
    /// When stdout is a terminal and NO_COLOR is unset.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The flags of `upgrade-check`.
#[derive(Args, Debug, Clone)]
pub struct UpgradeCheckArgs {
    /// `[NAME] [CHART]`: the release name (default `release-name`) and the new chart
    /// (default `charts/posthog`).
    #[arg(value_names = ["NAME", "CHART"], num_args = 0..=2)]
    pub args: Vec<String>,
    /// The old chart: a git ref of the repository holding CHART (`origin/main`, a tag, a
    /// commit), a chart directory, or a packaged `.tgz`.
    #[arg(long = "from", value_name = "REF|DIR|TGZ")]
    pub from: String,
    /// Values flags, used for both charts.
    #[command(flatten)]
    pub vals: super::template::ValueFlags,
    /// The release namespace.
    #[arg(short = 'n', long = "namespace", default_value = "default")]
    pub namespace: String,
    /// Kubernetes version for `.Capabilities.KubeVersion`.
    #[arg(long = "kube-version")]
    pub kube_version: Option<String>,
    /// Extra API versions for `.Capabilities.APIVersions`.
    #[arg(short = 'a', long = "api-versions")]
    pub api_versions: Vec<String>,
    /// Skip values.schema.json validation (of both charts).
    #[arg(long = "skip-schema-validation")]
    pub skip_schema_validation: bool,
    /// Which helm to be compatible with: 4 (default) or 3.
    #[arg(long = "helm-compat", default_value = "4", value_parser = clap::value_parser!(u32).range(3..=4))]
    pub helm_compat: u32,
    /// Report format.
    #[arg(long = "output", short = 'o', value_enum, default_value = "human")]
    pub output: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long = "strict")]
    pub strict: bool,
    /// Colour human output.
    #[arg(long = "color", value_enum, default_value = "auto")]
    pub color: Color,
    /// Unchanged lines shown around each change in the diff.
    #[arg(long = "context", default_value = "3")]
    pub context: usize,
    /// Leave the resource diff out of human output.
    #[arg(long = "no-diff")]
    pub no_diff: bool,
    /// Show Secret values in the diff instead of masking them.
    #[arg(long = "show-secrets")]
    pub show_secrets: bool,
}

impl UpgradeCheckArgs {
    /// Arguments for checking `chart` against `from`, with every other flag at its default.
    pub fn new(chart: impl Into<String>, from: impl Into<String>) -> UpgradeCheckArgs {
        UpgradeCheckArgs {
            args: vec![chart.into()],
            from: from.into(),
            vals: Default::default(),
            namespace: "default".into(),
            kube_version: None,
            api_versions: Vec::new(),
            skip_schema_validation: false,
            helm_compat: 4,
            output: Format::Human,
            strict: false,
            color: Color::Never,
            context: 3,
            no_diff: false,
            show_secrets: false,
        }
    }

    fn name_and_chart(&self) -> (String, String) {
        match self.args.as_slice() {
            [name, chart] => (name.clone(), chart.clone()),
            [chart] => ("release-name".into(), chart.clone()),
            _ => ("release-name".into(), DEFAULT_CHART.into()),
        }
    }
}

fn failure(msg: impl AsRef<str>) -> Outcome {
    Outcome {
        exit: 2,
        stdout: String::new(),
        stderr: format!("Error: {}\n", msg.as_ref()),
    }
}

fn use_color(c: Color) -> bool {
    match c {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

fn human_findings(findings: &[Finding], chart: &str, color: bool, out: &mut String) {
    for f in findings {
        let (label, code) = match f.severity {
            Severity::Error => ("error", "\x1b[1;31m"),
            Severity::Warning => ("warning", "\x1b[1;33m"),
            Severity::Info => ("info", "\x1b[1;36m"),
        };
        let label = if color {
            format!("{code}{label}\x1b[0m")
        } else {
            label.to_string()
        };
        let at = if f.rule.starts_with("deleted/") {
            // The template is gone from the new chart: point into the old one.
            format!("{}:{} of the old chart", f.file, f.line)
        } else if f.line > 0 {
            format!("{}:{}", report::repo_path(chart, &f.file), f.line)
        } else {
            report::repo_path(chart, &f.file)
        };
        let _ = writeln!(
            out,
            "{label}[{}] {} {} ({at})\n    {}",
            f.rule, f.kind, f.name, f.message
        );
    }
}

fn github_annotations(findings: &[Finding], chart: &str) -> String {
    let esc = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let mut out = String::new();
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let _ = writeln!(
            out,
            "::{level} file={},line={},title={}::{} {}: {}",
            esc(&report::repo_path(chart, &f.file)),
            f.line.max(1),
            esc(&f.rule),
            f.kind,
            f.name,
            esc(&f.message)
        );
    }
    out
}

/// Runs `upgrade-check`.
pub fn run(args: &UpgradeCheckArgs) -> Outcome {
    let (name, chart_ref) = args.name_and_chart();
    let kube_version = match &args.kube_version {
        Some(k) => match KubeVersion::parse(k, args.helm_compat) {
            Ok(v) => Some(v),
            Err(e) => return failure(format!("invalid kube version '{k}': {e}")),
        },
        None => None,
    };
    let values = match args.vals.user_values() {
        Ok(v) => v,
        Err(e) => return failure(e),
    };
    let new_path = match locate_chart(&chart_ref) {
        Ok(p) => p,
        Err(e) => return failure(e.0),
    };
    let new_chart = match load_chart(&new_path) {
        Ok(c) => c,
        Err(e) => return failure(e.0),
    };
    let old = match load_old(&args.from, Path::new(&chart_ref)) {
        Ok(o) => o,
        Err(e) => return failure(e),
    };
    let spec = RenderSpec {
        release: name,
        namespace: args.namespace.clone(),
        helm_major: args.helm_compat,
        kube_version,
        api_versions: args.api_versions.clone(),
        user_values: values,
        skip_schema_validation: args.skip_schema_validation,
    };
    let old_rel = match render_release(&old.chart, &spec, 1, false, None) {
        Ok(r) => r,
        Err(e) => {
            return failure(format!(
                "rendering the old chart ({}) failed: {e}",
                old.label
            ))
        }
    };
    let new_rel = match render_release(
        &new_chart,
        &spec,
        2,
        true,
        Some(std::sync::Arc::new(ReleaseLookup::new(&old_rel))),
    ) {
        Ok(r) => r,
        Err(e) => return failure(format!("rendering the new chart ({chart_ref}) failed: {e}")),
    };
    let findings = crate::upgrade::compare(&old_rel, &new_rel);
    let color = args.output == Format::Human && use_color(args.color);
    let mut stdout = match args.output {
        Format::Json => report::json(&findings),
        Format::Junit => report::junit(&findings, &chart_ref, "posthog-charttest upgrade-check"),
        Format::Sarif => report::sarif(&findings, &chart_ref, "posthog-charttest upgrade-check"),
        Format::Human => {
            let dopts = DiffOptions {
                context: args.context,
                show_secrets: args.show_secrets,
                color,
            };
            let (diff, sum) = render_diff(&old_rel, &new_rel, &dopts);
            let mut out = String::new();
            if !args.no_diff {
                out.push_str(&diff);
            }
            human_findings(&findings, &chart_ref, color, &mut out);
            let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
            let _ = writeln!(
                out,
                "upgrade {} ({} {}) -> {chart_ref} ({} {}): {} changed, {} added, {} removed; {} error(s), {} warning(s), {} info",
                old.label,
                old.chart.name(),
                old.chart.metadata.version,
                new_chart.name(),
                new_chart.metadata.version,
                sum.changed,
                sum.added,
                sum.removed,
                count(Severity::Error),
                count(Severity::Warning),
                count(Severity::Info),
            );
            out
        }
    };
    let mut stderr = String::new();
    if std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true") {
        let gh = github_annotations(&findings, &chart_ref);
        if args.output == Format::Human {
            stdout.push_str(&gh);
        } else {
            stderr.push_str(&gh);
        }
    }
    let threshold = if args.strict {
        Severity::Warning
    } else {
        Severity::Error
    };
    let exit = if findings.iter().any(|f| f.severity >= threshold) {
        1
    } else {
        0
    };
    Outcome {
        exit,
        stdout,
        stderr,
    }
}
