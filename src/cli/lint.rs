//! `posthog-charttest lint`: lints a chart over all its values scenarios and target
//! Kubernetes versions (see the README's `## lint` section).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::Outcome;
use crate::lint::config::{self, LintConfig};
use crate::lint::finding::Severity;
use crate::lint::output;
use crate::lint::rules::RULES;
use crate::lint::run::{self, Request};
use crate::lint::schema::store;

/// The chart linted when none is given.
pub const DEFAULT_CHART: &str = "charts/posthog";

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Coloured, grouped by file, with source excerpts.
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

/// The flags of `lint`.
#[derive(Args, Debug, Clone, Default)]
pub struct LintArgs {
    /// The chart directory.
    #[arg(value_name = "CHART", default_value = DEFAULT_CHART)]
    pub chart: String,
    /// Lint with every .yaml/.yml file of this directory as a scenario (default: the chart's
    /// `ci/*-values.yaml`, or its own values when there are none).
    #[arg(long = "values-dir", value_name = "DIR")]
    pub values_dir: Option<PathBuf>,
    /// Target Kubernetes versions (`1.29`, `v1.33.2`, `1.28-1.31`), comma-separated or
    /// repeated. Default: what Chart.yaml's kubeVersion allows within 1.25–1.37.
    #[arg(long = "kube-version", value_name = "VERSION")]
    pub kube_version: Vec<String>,
    /// Report format.
    #[arg(long = "output", short = 'o', value_enum, default_value = "human")]
    pub output: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long = "strict")]
    pub strict: bool,
    /// Configuration file (default: `.charttest.yaml` beside the chart or up to the repository
    /// root).
    #[arg(long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Release namespace to render with (default `default`, or the config's `namespace`).
    #[arg(short = 'n', long = "namespace")]
    pub namespace: Option<String>,
    /// Colour human output.
    #[arg(long = "color", value_enum, default_value = "auto")]
    pub color: Color,
    /// Print every rule id with its family, severity and summary, and exit.
    #[arg(long = "list-rules")]
    pub list_rules: bool,
}

fn usage(msg: impl AsRef<str>) -> Outcome {
    Outcome {
        exit: 2,
        stdout: String::new(),
        stderr: format!("Error: {}\n", msg.as_ref()),
    }
}

/// Parses `1.29`, `v1.29.3`, or a range `1.25-1.28` into minors.
pub fn parse_versions(specs: &[String]) -> Result<Vec<u32>, String> {
    let minor_of = |s: &str| -> Result<u32, String> {
        let t = s.trim().trim_start_matches('v');
        let mut parts = t.split('.');
        let major = parts.next().unwrap_or("");
        let minor = parts.next().unwrap_or("");
        if major != "1" {
            return Err(format!(
                "invalid kube version {s:?}: expected 1.MINOR, e.g. 1.29"
            ));
        }
        let digits: String = minor.chars().take_while(|c| c.is_ascii_digit()).collect();
        let m: u32 = digits
            .parse()
            .map_err(|_| format!("invalid kube version {s:?}: expected 1.MINOR, e.g. 1.29"))?;
        if !(store::MIN_MINOR..=store::MAX_MINOR).contains(&m) {
            return Err(format!(
                "kube version {s}: schemas are vendored for 1.{}–1.{} only",
                store::MIN_MINOR,
                store::MAX_MINOR
            ));
        }
        Ok(m)
    };
    let mut out = Vec::new();
    for spec in specs {
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once('-').filter(|(a, _)| a.contains('.')) {
                Some((a, b)) if b.contains('.') => {
                    let (lo, hi) = (minor_of(a)?, minor_of(b)?);
                    if lo > hi {
                        return Err(format!("kube version range {part}: start after end"));
                    }
                    out.extend(lo..=hi);
                }
                _ => out.push(minor_of(part)?),
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn rules_table() -> String {
    let mut s = String::new();
    for r in RULES {
        s.push_str(&format!(
            "{:<24} {:<10} {:<8} {}\n",
            r.id,
            r.family,
            r.severity.as_str(),
            r.summary
        ));
    }
    s
}

/// Runs `lint`.
pub fn run(args: &LintArgs) -> Outcome {
    if args.list_rules {
        return Outcome {
            exit: 0,
            stdout: rules_table(),
            stderr: String::new(),
        };
    }
    let chart_dir = Path::new(&args.chart);
    if !chart_dir.is_dir() {
        let hint = if args.chart == DEFAULT_CHART {
            " (run from the repository root, or pass the chart directory: posthog-charttest lint PATH)"
        } else {
            ""
        };
        return usage(format!(
            "chart directory {} does not exist{hint}",
            args.chart
        ));
    }
    let cfg: LintConfig = match config::locate(chart_dir, args.config.as_deref()) {
        Some(p) => match config::load(&p) {
            Ok(c) => c,
            Err(e) => return usage(e),
        },
        None => LintConfig::default(),
    };
    let version_specs = if !args.kube_version.is_empty() {
        args.kube_version.clone()
    } else {
        cfg.kube_versions.clone()
    };
    let minors = if version_specs.is_empty() {
        let constraint = crate::chart::load::load_chart(chart_dir)
            .map(|c| c.metadata.kube_version.clone())
            .unwrap_or_default();
        let m = run::minors_for_constraint(&constraint);
        if m.is_empty() {
            return usage(format!(
                "Chart.yaml kubeVersion {constraint:?} allows no Kubernetes version in 1.{}–1.{}; pass --kube-version",
                store::MIN_MINOR,
                store::MAX_MINOR
            ));
        }
        m
    } else {
        match parse_versions(&version_specs) {
            Ok(m) => m,
            Err(e) => return usage(e),
        }
    };
    let values_dir = args
        .values_dir
        .clone()
        .or_else(|| cfg.values_dir.as_ref().map(|d| chart_dir.join(d)));
    let scenarios = match run::discover_scenarios(chart_dir, values_dir.as_deref()) {
        Ok(s) => s,
        Err(e) => return usage(e),
    };
    let strict = args.strict || cfg.strict;
    let namespace = args
        .namespace
        .clone()
        .or_else(|| cfg.namespace.clone())
        .unwrap_or_else(|| "default".into());
    let req = Request {
        chart_dir: chart_dir.to_path_buf(),
        scenarios,
        minors,
        config: cfg,
        namespace,
        parsed: Default::default(),
    };
    let report = match run::run(&req) {
        Ok(r) => r,
        Err(e) => return usage(e),
    };
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal(),
    };
    let mut stdout = match args.output {
        Format::Human => output::human(&report, &args.chart, color),
        Format::Json => output::json(&report),
        Format::Junit => output::junit(&report, &args.chart),
        Format::Sarif => output::sarif(&report, &args.chart),
    };
    let mut stderr = String::new();
    if std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true") {
        let gh = output::github(&report, &args.chart);
        // Annotations go where they do not corrupt machine-readable output.
        if args.output == Format::Human {
            stdout.push_str(&gh);
        } else {
            stderr.push_str(&gh);
        }
    }
    let threshold = if strict {
        Severity::Warning
    } else {
        Severity::Error
    };
    let exit = if report.render_failed {
        2
    } else if report.findings.iter().any(|f| f.severity >= threshold) {
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
