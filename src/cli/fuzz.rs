//! `posthog-charttest fuzz`: renders the chart with values generated from its
//! `values.schema.json` and reports every template crash or broken manifest, each with a
//! shrunk values file that reproduces it (see the README's `## fuzz` section).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::Outcome;
use crate::chart::load::read_user_file;
use crate::chart::objects::ReleaseOptions;
use crate::chart::values::ValueOptions;
use crate::chart::{load_chart, locate_chart};
use crate::fuzz::{Fuzzer, Report, StructuralCheck};

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Text, with each reproducer inline.
    #[default]
    Human,
    /// The report as JSON.
    Json,
}

/// The flags of `fuzz`.
#[derive(Args, Debug, Clone)]
pub struct FuzzArgs {
    /// The chart directory or `.tgz`.
    #[arg(value_name = "CHART", default_value = "charts/posthog")]
    pub chart: String,
    /// Seed of the generator: the same seed, chart and flags give the same runs.
    #[arg(long = "seed", default_value = "0")]
    pub seed: u64,
    /// How many value sets to render (the chart's defaults are the first).
    #[arg(long = "runs", default_value = "1000")]
    pub runs: usize,
    /// Values files every run starts from (generated values go on top).
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<String>,
    /// Release name to render with.
    #[arg(long = "release", default_value = "release-name")]
    pub release: String,
    /// Release namespace to render with.
    #[arg(short = 'n', long = "namespace", default_value = "default")]
    pub namespace: String,
    /// Write each reproducer to `DIR/repro-N.yaml`.
    #[arg(long = "repro-dir", value_name = "DIR")]
    pub repro_dir: Option<PathBuf>,
    /// Report format.
    #[arg(long = "output", short = 'o', value_enum, default_value = "human")]
    pub output: Format,
    /// Also remove optional keys that have defaults (`key: null`): finds templates that rely
    /// on defaults the schema does not require.
    #[arg(long = "remove-optional")]
    pub remove_optional: bool,
    /// Treat the chart's own `fail`/`required` messages as input validation: values they
    /// refuse are counted as rejected, not reported (for charts that check cross-field rules
    /// the schema cannot express).
    #[arg(long = "fail-is-validation")]
    pub fail_is_validation: bool,
}

impl FuzzArgs {
    /// Fuzzing `chart` with the defaults.
    pub fn new(chart: impl Into<String>) -> FuzzArgs {
        FuzzArgs {
            chart: chart.into(),
            seed: 0,
            runs: 1000,
            values: Vec::new(),
            release: "release-name".into(),
            namespace: "default".into(),
            repro_dir: None,
            output: Format::Human,
            remove_optional: false,
            fail_is_validation: false,
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

fn indent(s: &str, by: &str) -> String {
    s.lines().map(|l| format!("{by}{l}\n")).collect::<String>()
}

fn human(r: &Report, args: &FuzzArgs, files: &[Option<PathBuf>]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "fuzz {}: {} runs (seed {}, {} planned values): {} passed, {} rejected as invalid input, {} failed; {} distinct failure(s)",
        args.chart,
        r.runs,
        r.seed,
        r.plan_size,
        r.passed,
        r.rejected,
        r.failed,
        r.failures.len()
    );
    let base: String = args.values.iter().map(|f| format!(" -f {f}")).collect();
    for (i, f) in r.failures.iter().enumerate() {
        let n = i + 1;
        let _ = writeln!(
            out,
            "\nFAIL {n}: {}, first in run {}, hit by {} run(s)",
            f.kind.label(),
            f.first_run,
            f.hits
        );
        out.push_str(&indent(f.message.trim_end(), "  "));
        let name = match &files[i] {
            Some(p) => p.display().to_string(),
            None => format!("repro-{n}.yaml"),
        };
        if f.repro.is_empty() {
            let _ = writeln!(
                out,
                "  reproduced by the chart's default values{}",
                if base.is_empty() { "" } else { " and -f files" }
            );
            let _ = writeln!(
                out,
                "  reproduce: posthog-charttest template {} {}{base} -n {}",
                args.release, args.chart, args.namespace
            );
        } else {
            let _ = writeln!(out, "  shrunk reproducer ({name}):");
            out.push_str(&indent(&f.repro_yaml, "    "));
            let _ = writeln!(
                out,
                "  reproduce: posthog-charttest template {} {}{base} -f {name} -n {}",
                args.release, args.chart, args.namespace
            );
        }
    }
    out
}

/// Runs `fuzz`.
pub fn run(args: &FuzzArgs) -> Outcome {
    let chart = match locate_chart(&args.chart).and_then(|p| load_chart(&p)) {
        Ok(c) => c,
        Err(e) => return failure(e.0),
    };
    let mut value_files = Vec::new();
    for f in &args.values {
        match read_user_file(f) {
            Ok(t) => value_files.push((f.clone(), t)),
            Err(e) => return failure(e),
        }
    }
    let base = match (ValueOptions {
        value_files,
        ..ValueOptions::default()
    })
    .merge(&read_user_file)
    {
        Ok(m) => crate::chart::schema::to_json(&crate::engine::value::Value::Map(
            crate::engine::value::MapType::Interface,
            m,
        )),
        Err(e) => return failure(e.0),
    };
    let release = ReleaseOptions {
        name: args.release.clone(),
        namespace: args.namespace.clone(),
        revision: 1,
        is_upgrade: false,
    };
    let mut fuzzer = match Fuzzer::new(
        &chart,
        base,
        release,
        vec![Box::new(StructuralCheck)],
        args.seed,
        args.remove_optional,
    ) {
        Ok(f) => f,
        Err(e) => return failure(e),
    };
    fuzzer.set_fail_is_validation(args.fail_is_validation);
    let report = fuzzer.run(args.seed, args.runs);
    let mut files = Vec::new();
    for (i, f) in report.failures.iter().enumerate() {
        let Some(dir) = &args.repro_dir else {
            files.push(None);
            continue;
        };
        if let Err(e) = std::fs::create_dir_all(dir) {
            return failure(format!("cannot create {}: {e}", dir.display()));
        }
        let p = dir.join(format!("repro-{}.yaml", i + 1));
        if let Err(e) = std::fs::write(&p, &f.repro_yaml) {
            return failure(format!("cannot write {}: {e}", p.display()));
        }
        files.push(Some(p));
    }
    let stdout = match args.output {
        Format::Human => human(&report, args, &files),
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
    };
    Outcome {
        exit: i32::from(!report.failures.is_empty()),
        stdout,
        stderr: String::new(),
    }
}
