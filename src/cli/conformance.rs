//! `posthog-charttest conformance`: renders every scenario of a corpus with the native engine
//! and with a helm binary, and reports where they differ.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::template::{run as run_template, Engine, TemplateArgs};
use super::Outcome;
use crate::engine::value::Value;

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// One line per scenario, then a summary.
    #[default]
    Text,
    /// A JSON document with every verdict.
    Json,
}

/// Flags of `conformance`.
#[derive(Args, Debug, Clone)]
pub struct ConformanceArgs {
    /// The helm binary to compare with.
    #[arg(long = "helm", default_value = "helm")]
    pub helm: PathBuf,
    /// The corpus file; charts are looked up in `charts/` beside it.
    #[arg(long = "corpus", default_value = "../shared/conformance/corpus.yaml")]
    pub corpus: PathBuf,
    /// Which helm the native engine imitates (match the binary given with `--helm`).
    #[arg(long = "helm-compat", default_value = "4", value_parser = clap::value_parser!(u32).range(3..=4))]
    pub helm_compat: u32,
    /// Only scenarios whose `chart/name` contains this text.
    #[arg(long = "only")]
    pub only: Option<String>,
    /// Report format.
    #[arg(long = "output", value_enum, default_value = "text")]
    pub output: Format,
}

/// One corpus scenario: `helm template rel charts/<chart> -f … --set …`.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    /// The chart directory name.
    pub chart: String,
    /// The scenario name.
    pub name: String,
    /// Values files, relative to the chart.
    pub values: Vec<String>,
    /// `--set` arguments.
    pub set: Vec<String>,
    /// Whether helm itself fails on it.
    pub expect_error: bool,
}

/// The verdict on one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// `chart/name`.
    pub scenario: String,
    /// `identical`, `different` or `error-mismatch`.
    pub result: &'static str,
    /// For `different`: a unified diff of the first differing document (helm first). For
    /// `error-mismatch`: both sides' exit codes and errors.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// Lines ignored because two helm runs disagree on them (random passwords, certificates).
    pub masked_lines: usize,
}

fn strings(v: Option<Value>) -> Vec<String> {
    match v {
        Some(Value::List(_, items)) => items.iter().map(|i| i.format_v()).collect(),
        _ => Vec::new(),
    }
}

/// Reads a corpus file.
pub fn read_corpus(path: &Path) -> Result<Vec<Scenario>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read corpus {}: {e}", path.display()))?;
    let doc = crate::engine::yaml::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let list = doc
        .as_map()
        .and_then(|m| m.get("scenarios"))
        .and_then(|s| s.as_list().cloned())
        .ok_or_else(|| format!("{}: no `scenarios:` list", path.display()))?;
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let m = s
            .as_map()
            .ok_or_else(|| format!("{}: scenario {} is not a map", path.display(), i + 1))?;
        let field = |k: &str| m.get(k).and_then(|v| v.as_str().map(str::to_string));
        let chart = field("chart")
            .ok_or_else(|| format!("{}: scenario {} has no `chart`", path.display(), i + 1))?;
        out.push(Scenario {
            name: field("name").unwrap_or_else(|| format!("scenario-{}", i + 1)),
            chart,
            values: strings(m.get("values")),
            set: strings(m.get("set")),
            expect_error: matches!(m.get("expect_error"), Some(Value::Bool(true))),
        });
    }
    Ok(out)
}

fn template_args(chart_dir: &Path, sc: &Scenario, compat: u32) -> TemplateArgs {
    let mut a = TemplateArgs::for_chart(chart_dir.display().to_string());
    a.args.insert(0, "rel".into());
    a.vals.values = sc
        .values
        .iter()
        .map(|v| chart_dir.join(v).display().to_string())
        .collect();
    a.vals.set = sc.set.clone();
    a.helm_compat = compat;
    a
}

fn run_helm(helm: &Path, args: &TemplateArgs) -> Outcome {
    let mut a = args.clone();
    a.engine = Some(Engine::Helm);
    a.helm_bin = Some(helm.to_path_buf());
    run_template(&a)
}

/// Compares our output with helm's, ignoring lines on which two helm runs disagree. Returns
/// the number of masked lines, or a diff of the first differing document.
fn compare(helm_a: &str, helm_b: &str, ours: &str) -> Result<usize, String> {
    let (ha, hb, o): (Vec<&str>, Vec<&str>, Vec<&str>) = (
        helm_a.lines().collect(),
        helm_b.lines().collect(),
        ours.lines().collect(),
    );
    let unstable: Vec<bool> = if ha.len() == hb.len() {
        ha.iter().zip(&hb).map(|(x, y)| x != y).collect()
    } else {
        vec![false; ha.len()]
    };
    let masked = unstable.iter().filter(|u| **u).count();
    let same = ha.len() == o.len()
        && ha
            .iter()
            .zip(&o)
            .zip(&unstable)
            .all(|((x, y), u)| *u || x == y);
    if same {
        return Ok(masked);
    }
    // The first line that differs and is not random; everything before it is equal.
    let first = (0..ha.len().min(o.len()))
        .find(|&i| !unstable[i] && ha[i] != o[i])
        .unwrap_or(ha.len().min(o.len()));
    Err(document_diff(&ha, &o, first))
}

/// A unified diff of the document holding line `at` (documents start at `---` lines).
fn document_diff(helm: &[&str], ours: &[&str], at: usize) -> String {
    let start = (0..=at.min(helm.len().saturating_sub(1)))
        .rev()
        .find(|&i| helm.get(i) == Some(&"---"))
        .unwrap_or(0);
    let end = |lines: &[&str]| {
        (at + 1..lines.len())
            .find(|&i| lines[i] == "---")
            .unwrap_or(lines.len())
    };
    let h = helm.get(start..end(helm)).unwrap_or(&[]).join("\n");
    let o = ours
        .get(start.min(ours.len())..end(ours))
        .unwrap_or(&[])
        .join("\n");
    similar::TextDiff::from_lines(&format!("{h}\n"), &format!("{o}\n"))
        .unified_diff()
        .context_radius(3)
        .header("helm", "posthog-charttest")
        .to_string()
}

/// Judges one scenario.
pub fn judge(corpus_dir: &Path, sc: &Scenario, helm: &Path, compat: u32) -> Verdict {
    let chart_dir = corpus_dir.join("charts").join(&sc.chart);
    let args = template_args(&chart_dir, sc, compat);
    let scenario = format!("{}/{}", sc.chart, sc.name);
    let helm_a = run_helm(helm, &args);
    let ours = run_template(&args);
    if helm_a.exit != 0 || ours.exit != 0 {
        let same = helm_a.exit == ours.exit && helm_a.stderr == ours.stderr;
        return Verdict {
            scenario,
            result: if same { "identical" } else { "error-mismatch" },
            detail: if same {
                String::new()
            } else {
                format!(
                    "helm exit {}: {}\nposthog-charttest exit {}: {}",
                    helm_a.exit,
                    helm_a.stderr.trim_end(),
                    ours.exit,
                    ours.stderr.trim_end()
                )
            },
            masked_lines: 0,
        };
    }
    let helm_b = run_helm(helm, &args);
    match compare(&helm_a.stdout, &helm_b.stdout, &ours.stdout) {
        Ok(masked) => Verdict {
            scenario,
            result: "identical",
            detail: String::new(),
            masked_lines: masked,
        },
        Err(diff) => Verdict {
            scenario,
            result: "different",
            detail: diff,
            masked_lines: 0,
        },
    }
}

/// Runs `conformance`.
pub fn run(args: &ConformanceArgs) -> Outcome {
    let scenarios = match read_corpus(&args.corpus) {
        Ok(s) => s,
        Err(e) => return Outcome::error(e),
    };
    if Process::new(&args.helm).arg("version").output().is_err() {
        return Outcome::error(format!(
            "cannot run helm binary {} (install helm, or pass --helm PATH; scripts/install-tools.sh puts helm 4.1.4 in .tools/helm-4.1.4/helm)",
            args.helm.display()
        ));
    }
    let dir = args.corpus.parent().unwrap_or(Path::new("."));
    let verdicts: Vec<Verdict> = scenarios
        .iter()
        .filter(|s| {
            args.only
                .as_ref()
                .is_none_or(|o| format!("{}/{}", s.chart, s.name).contains(o.as_str()))
        })
        .map(|s| judge(dir, s, &args.helm, args.helm_compat))
        .collect();
    let identical = verdicts.iter().filter(|v| v.result == "identical").count();
    let total = verdicts.len();
    let stdout = match args.output {
        Format::Json => {
            #[derive(Serialize)]
            struct Report<'a> {
                identical: usize,
                total: usize,
                scenarios: &'a [Verdict],
            }
            let r = Report {
                identical,
                total,
                scenarios: &verdicts,
            };
            format!("{}\n", serde_json::to_string_pretty(&r).unwrap_or_default())
        }
        Format::Text => {
            let mut s = String::new();
            for v in &verdicts {
                s.push_str(&format!("{:<15} {}", v.result, v.scenario));
                if v.masked_lines > 0 {
                    s.push_str(&format!(" ({} random lines masked)", v.masked_lines));
                }
                s.push('\n');
                if !v.detail.is_empty() {
                    for line in v.detail.lines() {
                        s.push_str("    ");
                        s.push_str(line);
                        s.push('\n');
                    }
                }
            }
            s.push_str(&format!(
                "\n{identical} of {total} scenarios identical to {}\n",
                args.helm.display()
            ));
            s
        }
    };
    Outcome {
        exit: i32::from(identical != total),
        stdout,
        stderr: String::new(),
    }
}
