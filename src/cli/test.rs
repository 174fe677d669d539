//! `posthog-charttest test`: helm-unittest suites with helm-unittest's flags, plus CI mode,
//! filtering, fail-fast, JSON output and `--all-matches`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{ArgAction, Args};

use super::Outcome;
use crate::unittest::coverage;
use crate::unittest::job::RunSettings;
use crate::unittest::report::{self, Style};
use crate::unittest::runner::{self, Event, RunOptions};

/// Flags of `posthog-charttest test`.
#[derive(Args, Debug, Clone, Default)]
pub struct TestArgs {
    /// Chart directories (or .tgz archives) whose suites to run.
    #[arg(value_name = "CHART", required = true)]
    pub charts: Vec<PathBuf>,
    /// Glob of suite files relative to the chart (repeatable; default tests/*_test.yaml).
    #[arg(short = 'f', long = "file", value_name = "GLOB")]
    pub files: Vec<String>,
    /// Values file merged into every test, after the suite's own (repeatable).
    #[arg(short = 'v', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Rewrite snapshots that changed, add missing ones and drop obsolete ones.
    #[arg(short = 'u', long = "update-snapshot")]
    pub update_snapshot: bool,
    /// Fail on a missing or obsolete snapshot instead of writing the file. On by default when
    /// the environment has CI=true; --ci=false turns it off.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", action = ArgAction::Set)]
    pub ci: Option<bool>,
    /// Write a report to FILE.
    #[arg(short = 'o', long = "output-file", value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Report format for -o: junit or json.
    #[arg(
        short = 't',
        long = "output-type",
        value_name = "TYPE",
        default_value = "junit"
    )]
    pub output_type: String,
    /// Stop starting tests after the first failure.
    #[arg(short = 'q', long = "failfast", visible_alias = "fail-fast")]
    pub fail_fast: bool,
    /// Reject unknown keys in suite files.
    #[arg(long)]
    pub strict: bool,
    /// Also run the suites of subcharts under charts/ (helm-unittest's default: true).
    #[arg(short = 's', long = "with-subchart", value_name = "BOOL", num_args = 0..=1, default_value_t = true, default_missing_value = "true", action = ArgAction::Set)]
    pub with_subchart: bool,
    /// Run only tests whose name, suite name or suite file contains PATTERN.
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
    /// contains/notContains and lengthEqual treat all nodes a path matches as one list.
    #[arg(long)]
    pub all_matches: bool,
    /// Skip values.schema.json validation.
    #[arg(long)]
    pub skip_schema_validation: bool,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long = "jobs", value_name = "N", default_value_t = 0)]
    pub jobs: usize,
    /// Report which template lines and if/with/range arms the suites executed.
    #[arg(long)]
    pub coverage: bool,
    /// Also write the coverage as an LCOV tracefile to FILE (implies --coverage).
    #[arg(long, value_name = "FILE")]
    pub coverage_lcov: Option<PathBuf>,
    /// Colour: auto (a terminal without NO_COLOR), always or never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: String,
}

fn ci_from_env() -> bool {
    std::env::var("CI")
        .map(|v| v.eq_ignore_ascii_case("true") || v == "1")
        .unwrap_or(false)
}

fn options(args: &TestArgs) -> Result<RunOptions, String> {
    let mut values_files = Vec::new();
    for v in &args.values {
        let abs = if v.is_absolute() {
            v.clone()
        } else {
            std::env::current_dir().map_err(|e| e.to_string())?.join(v)
        };
        if !abs.is_file() {
            return Err(format!("values file {} not found", v.display()));
        }
        values_files.push(abs);
    }
    match args.output_type.to_ascii_lowercase().as_str() {
        "junit" | "json" => {}
        other => {
            return Err(format!(
                "unsupported output type {other:?}: use junit or json"
            ))
        }
    }
    Ok(RunOptions {
        files: args.files.clone(),
        with_subchart: args.with_subchart,
        strict: args.strict,
        filter: args.filter.clone(),
        jobs: args.jobs,
        settings: RunSettings {
            update: args.update_snapshot,
            ci: args.ci.unwrap_or_else(ci_from_env),
            fail_fast: args.fail_fast,
            all_matches: args.all_matches,
            skip_schema_validation: args.skip_schema_validation,
            values_files,
            coverage: args.coverage || args.coverage_lcov.is_some(),
        },
    })
}

fn style(args: &TestArgs, tty: bool) -> Style {
    let color = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    Style { color }
}

/// Runs the suites, writing the report to `out` as tests finish. Returns the exit code and
/// any error text for standard error.
pub fn run_to(args: &TestArgs, out: &mut dyn Write, st: Style) -> (i32, String) {
    let opts = match options(args) {
        Ok(o) => o,
        Err(e) => return (2, format!("Error: {e}\n")),
    };
    let file_of: std::collections::HashMap<String, String> = Default::default();
    let _ = file_of;
    let result = runner::run(&args.charts, &opts, &mut |ev| {
        let text = match ev {
            Event::Start {
                tests,
                suites,
                threads,
            } => report::start_line(&st, tests, suites, threads),
            Event::SuiteError(e) => report::suite_error_line(&st, e),
            Event::Test { suite, outcome } => {
                let file = suite.split('#').next().unwrap_or(suite);
                report::test_line(&st, suite, outcome, file)
            }
        };
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    });
    let _ = out.write_all(report::summary(&st, &result).as_bytes());
    let mut err = String::new();
    if opts.settings.coverage {
        let mut lcov = String::new();
        for ch in &result.charts {
            let Some(chart) = &ch.chart else { continue };
            let points = coverage::chart_points(chart);
            let hits: Vec<&[crate::engine::trace::Hit]> = ch
                .suites
                .iter()
                .flat_map(|s| s.tests.iter().flatten())
                .map(|t| t.hits.as_slice())
                .collect();
            let cov = coverage::compute(&points, &hits);
            let _ = writeln!(out, "\n{} {}", st.bold("Coverage of"), ch.path.display());
            let _ = out.write_all(coverage::text(&cov).as_bytes());
            let name = ch.name.clone();
            let dir = ch.path.clone();
            lcov.push_str(&coverage::lcov(&cov, &|t: &str| {
                let rel = t.strip_prefix(&format!("{name}/")).unwrap_or(t);
                dir.join(rel).display().to_string()
            }));
        }
        if let Some(path) = &args.coverage_lcov {
            if let Err(e) = std::fs::write(path, lcov) {
                err.push_str(&format!("Error: cannot write {}: {e}\n", path.display()));
                return (1, err);
            }
        }
    }
    if let Some(path) = &args.output_file {
        let text = if args.output_type.eq_ignore_ascii_case("json") {
            report::json(&result)
        } else {
            report::junit(&result)
        };
        if let Err(e) = std::fs::write(path, text) {
            err.push_str(&format!("Error: cannot write {}: {e}\n", path.display()));
            return (1, err);
        }
    }
    (if result.passed() { 0 } else { 1 }, err)
}

/// Runs the suites and returns the whole report (for tests and embedding).
pub fn run(args: &TestArgs) -> Outcome {
    let mut buf = Vec::new();
    let (exit, stderr) = run_to(args, &mut buf, style(args, false));
    Outcome {
        exit,
        stdout: String::from_utf8_lossy(&buf).into_owned(),
        stderr,
    }
}

/// Runs the suites, streaming the report to standard output.
pub fn run_live(args: &TestArgs) -> Outcome {
    let stdout = std::io::stdout();
    let tty = stdout.is_terminal();
    let mut lock = stdout.lock();
    let (exit, stderr) = run_to(args, &mut lock, style(args, tty));
    Outcome {
        exit,
        stdout: String::new(),
        stderr,
    }
}
