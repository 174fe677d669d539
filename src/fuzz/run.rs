//! The fuzz loop: for each run, values from the plan on top of the chart's defaults, kept only
//! when the chart's schema accepts them, rendered in-process, the output checked; each
//! distinct failure is shrunk to a minimal values file.

use std::collections::HashMap;
use std::sync::Arc;

use jsonschema::JSONSchema;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::Value as Json;

use crate::chart::objects::ReleaseOptions;
use crate::chart::prepare::{prepare, RenderOptions};
use crate::chart::Chart;
use crate::engine::value::{MapRef, Value};
use crate::engine::{ExecOptions, TemplateSet};
use crate::render::chart::{execute_units, helm_order, parse_units};

use super::check::{Doc, ManifestCheck};
use super::gen::{self, Mutation, Plan};
use super::schema::Schema;
use super::shrink;

/// Evaluation steps one template file may take in a fuzz run (real charts need well under
/// a tenth of this).
pub const FUZZ_MAX_STEPS: u64 = 500_000;
/// Bytes one template file may write in a fuzz run.
pub const FUZZ_MAX_OUTPUT: usize = 16 << 20;

/// What kind of failure a run found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// helm would refuse the values before rendering (dependency processing and the like).
    ChartError,
    /// A template failed to execute (nil pointer, wrong type, `fail`, `required`).
    TemplateError,
    /// A template rendered text that is not YAML.
    YamlError,
    /// A document is not a valid Kubernetes object.
    InvalidManifest,
}

impl FailureKind {
    /// A short human label.
    pub fn label(self) -> &'static str {
        match self {
            FailureKind::ChartError => "chart error",
            FailureKind::TemplateError => "template error",
            FailureKind::YamlError => "invalid YAML",
            FailureKind::InvalidManifest => "invalid manifest",
        }
    }
}

/// The result of rendering one set of values.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// The schema rejects the values (they are not a valid input).
    Rejected,
    /// Rendered and passed every check.
    Passed,
    /// A failure on schema-valid values.
    Failed {
        /// Its kind.
        kind: FailureKind,
        /// Identifies the bug regardless of the values that reached it (kind and location).
        signature: String,
        /// The full message.
        message: String,
    },
}

/// A distinct failure and its shrunk reproducer.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    /// Its kind.
    pub kind: FailureKind,
    /// Its signature (kind and place).
    pub signature: String,
    /// The message of the shrunk reproducer.
    pub message: String,
    /// The first run that hit it (0 is the chart's defaults).
    pub first_run: usize,
    /// How many runs hit it.
    pub hits: usize,
    /// The minimal values, as the mutations that make them.
    #[serde(skip)]
    pub repro: Vec<Mutation>,
    /// The minimal values file.
    pub repro_yaml: String,
}

/// Totals of a fuzz session.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// Runs made (the defaults run included).
    pub runs: usize,
    /// Runs whose values the schema accepted and that rendered and passed.
    pub passed: usize,
    /// Runs whose generated values the schema rejected (not counted as tested).
    pub rejected: usize,
    /// Runs that failed.
    pub failed: usize,
    /// Interesting values the plan holds.
    pub plan_size: usize,
    /// The distinct failures, in the order found.
    pub failures: Vec<Found>,
    /// Whether the base values (the chart's defaults and `-f` files) already failed, which
    /// ends the session: every run would hit the same failure first.
    pub base_failed: bool,
}

/// Everything a run needs.
pub struct Fuzzer<'a> {
    chart: &'a Chart,
    schema: Schema,
    compiled: JSONSchema,
    plan: Plan,
    base: Json,
    release: ReleaseOptions,
    checks: Vec<Box<dyn ManifestCheck>>,
    sets: HashMap<String, Arc<TemplateSet>>,
    evaluations: usize,
    fail_is_validation: bool,
}

/// Numbers that are whole become integers, so `type: integer` accepts YAML's float64s.
fn normalise(j: Json) -> Json {
    match j {
        Json::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 && !n.is_i64() => {
                Json::Number((f as i64).into())
            }
            _ => Json::Number(n),
        },
        Json::Array(a) => Json::Array(a.into_iter().map(normalise).collect()),
        Json::Object(o) => Json::Object(o.into_iter().map(|(k, v)| (k, normalise(v))).collect()),
        other => other,
    }
}

fn location(msg: &str) -> Option<String> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"([\w./-]+\.(?:ya?ml|tpl|txt|json)):(\d+)(?::(\d+))?").expect("regex")
    });
    re.captures(msg).map(|c| c[0].to_string())
}

impl<'a> Fuzzer<'a> {
    /// Prepares a fuzzer for `chart`: parses its schema (required), plans the values.
    /// `base` is user values every run starts from (`-f` files), `seed` shapes the plan,
    /// `removals` adds removing optional keys (`null`) to it.
    pub fn new(
        chart: &'a Chart,
        base: Json,
        release: ReleaseOptions,
        checks: Vec<Box<dyn ManifestCheck>>,
        seed: u64,
        removals: bool,
    ) -> Result<Fuzzer<'a>, String> {
        let raw = chart.schema.as_ref().ok_or_else(|| {
            format!(
                "chart {} has no values.schema.json: fuzz generates values from it",
                chart.name()
            )
        })?;
        let root: Json = serde_json::from_slice(raw)
            .map_err(|e| format!("{}/values.schema.json: {e}", chart.name()))?;
        let compiled = JSONSchema::compile(&root)
            .map_err(|e| format!("{}/values.schema.json: {e}", chart.name()))?;
        let schema = Schema::new(root);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let plan = gen::plan(&schema, removals, &mut rng);
        Ok(Fuzzer {
            chart,
            schema,
            compiled,
            plan,
            base,
            release,
            checks,
            sets: HashMap::new(),
            evaluations: 0,
            fail_is_validation: false,
        })
    }

    /// Treats the chart's own `fail`/`required` messages as input validation: values they
    /// refuse count as rejected, like values the schema refuses, instead of as failures.
    pub fn set_fail_is_validation(&mut self, on: bool) {
        self.fail_is_validation = on;
    }

    /// The plan (for reporting).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// How many renders have run.
    pub fn evaluations(&self) -> usize {
        self.evaluations
    }

    /// Renders the chart with `muts` on top of the base values and judges the result.
    pub fn evaluate(&mut self, muts: &[Mutation]) -> Verdict {
        self.evaluations += 1;
        let overlay = gen::overlay(&self.base, muts);
        let user = match crate::chart::strvals::from_json(overlay) {
            Value::Map(_, m) => m,
            _ => MapRef::default(),
        };
        let ropts = RenderOptions {
            helm_major: 4,
            release: self.release.clone(),
            user_values: user,
            kube_version: None,
            api_versions: Vec::new(),
            skip_schema_validation: true,
            ..RenderOptions::default()
        };
        let prepared = match prepare(self.chart, &ropts) {
            Ok(p) => p,
            Err(e) => {
                return Verdict::Failed {
                    kind: FailureKind::ChartError,
                    signature: format!("chart-error {}", e.0.lines().next().unwrap_or("")),
                    message: e.0,
                }
            }
        };
        let values = normalise(crate::chart::schema::to_json(&Value::Map(
            crate::engine::value::MapType::Interface,
            prepared.values.clone(),
        )));
        if !self.compiled.is_valid(&values) {
            return Verdict::Rejected;
        }
        let order = helm_order(&prepared.units);
        let key: String = order
            .iter()
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let set = match self.sets.get(&key) {
            Some(s) => s.clone(),
            None => match parse_units(&order, 4) {
                Ok(s) => {
                    let s = Arc::new(s);
                    self.sets.insert(key, s.clone());
                    s
                }
                Err(e) => {
                    let message = e.helm_message_for(4);
                    return Verdict::Failed {
                        kind: FailureKind::TemplateError,
                        signature: format!("parse {}", location(&message).unwrap_or_default()),
                        message,
                    };
                }
            },
        };
        let eopts = ExecOptions {
            helm_major: 4,
            seed: Some(1),
            now: chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").ok(),
            // Boundary values (2147483647 replicas) can make loops run away; a template that
            // needs more than this for one file is itself a finding.
            limits: crate::engine::Limits {
                max_steps: FUZZ_MAX_STEPS,
                max_output: FUZZ_MAX_OUTPUT,
                ..crate::engine::Limits::default()
            },
            ..ExecOptions::default()
        };
        let mut files = match execute_units(&set, &order, &eopts) {
            Ok(f) => f,
            Err(e) => {
                let message = e.helm_message_for(4);
                // `fail` and `required` report as "execution error at (file:line:col): msg".
                if self.fail_is_validation && message.starts_with("execution error at (") {
                    return Verdict::Rejected;
                }
                return Verdict::Failed {
                    kind: FailureKind::TemplateError,
                    signature: format!(
                        "template-error {}",
                        location(&message).unwrap_or_else(|| message.clone())
                    ),
                    message,
                };
            }
        };
        crate::render::drop_notes(&mut files);
        let (hooks, manifests) = match crate::render::sort_manifests(&files) {
            Ok(x) => x,
            Err(message) => {
                let file = message
                    .strip_prefix("YAML parse error on ")
                    .and_then(|r| r.split(':').next())
                    .unwrap_or("")
                    .to_string();
                return Verdict::Failed {
                    kind: FailureKind::YamlError,
                    signature: format!("yaml-error {file}"),
                    message,
                };
            }
        };
        let mut parsed = Vec::new();
        for m in manifests.iter().chain(hooks.iter()) {
            match crate::engine::yaml::parse(&m.content) {
                Ok(v) => parsed.push((m, crate::chart::schema::to_json(&v))),
                Err(e) => {
                    return Verdict::Failed {
                        kind: FailureKind::YamlError,
                        signature: format!("yaml-error {}", m.path),
                        message: format!("YAML parse error on {}: {e}", m.path),
                    }
                }
            }
        }
        let docs: Vec<Doc<'_>> = parsed
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(m, v)| Doc {
                template: &m.path,
                text: &m.content,
                value: v,
            })
            .collect();
        for c in &self.checks {
            if let Some(p) = c.check(&docs).into_iter().next() {
                return Verdict::Failed {
                    kind: FailureKind::InvalidManifest,
                    signature: format!("invalid-manifest {} {} {}", p.check, p.template, p.kind),
                    message: format!("{} ({}): {}", p.template, p.kind, p.message),
                };
            }
        }
        Verdict::Passed
    }

    /// The mutations of run `i` (run 0 is the defaults alone; the first half of the runs
    /// apply each interesting value alone, in a seeded order; the rest combine several).
    pub fn mutations_for(
        &self,
        seed: u64,
        i: usize,
        runs: usize,
        singles: &[Mutation],
    ) -> Vec<Mutation> {
        if i == 0 {
            return Vec::new();
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(i as u64);
        let systematic = (runs / 2).min(singles.len());
        if i <= systematic {
            return vec![singles[i - 1].clone()];
        }
        let mut muts: Vec<Mutation> = Vec::new();
        if rng.gen_bool(0.5) && !self.plan.objects.is_empty() {
            // Focus on one object: a random whole value, then a few of its leaves.
            let focus = self
                .plan
                .objects
                .choose(&mut rng)
                .cloned()
                .unwrap_or_default();
            if !focus.is_empty() && rng.gen_bool(0.5) {
                if let Some(s) = self.schema_at(&focus) {
                    let v = gen::random_value(&self.schema, &s, &mut rng, 1, 0.5);
                    muts.push((focus.clone(), v));
                }
            }
            let under: Vec<&(Vec<String>, Vec<Json>)> = self
                .plan
                .leaves
                .iter()
                .filter(|(p, _)| p.starts_with(&focus) && p.len() > focus.len())
                .collect();
            let k = rng.gen_range(1..=4usize);
            for _ in 0..k {
                if let Some((p, vs)) = under.choose(&mut rng) {
                    if let Some(v) = vs.choose(&mut rng) {
                        muts.push((p.clone(), v.clone()));
                    }
                }
            }
        } else {
            let k = rng.gen_range(1..=4usize);
            for _ in 0..k {
                if let Some(m) = singles.choose(&mut rng) {
                    muts.push(m.clone());
                }
            }
        }
        // Switch on the features that gate what was changed.
        let touched: Vec<Vec<String>> = muts.iter().map(|(p, _)| p.clone()).collect();
        let mut flags = Vec::new();
        for f in &self.plan.flags {
            let parent = &f[..f.len() - 1];
            if touched.iter().any(|t| t.starts_with(parent) && t != f) && rng.gen_bool(0.8) {
                flags.push((f.clone(), Json::Bool(true)));
            }
        }
        flags.extend(muts);
        flags
    }

    /// The schema of the object at `path`, following `properties`.
    fn schema_at(&self, path: &[String]) -> Option<Json> {
        let mut cur = self.schema.view(self.schema.root());
        for k in path {
            let next = cur.get("properties").and_then(|p| p.get(k))?.clone();
            cur = self.schema.view(&next);
        }
        Some(cur)
    }

    /// Runs `runs` runs from `seed`, shrinking each distinct failure.
    pub fn run(&mut self, seed: u64, runs: usize) -> Report {
        let mut singles = self.plan.singles();
        let mut order_rng = ChaCha8Rng::seed_from_u64(seed);
        singles.shuffle(&mut order_rng);
        let mut report = Report {
            seed,
            plan_size: singles.len(),
            ..Report::default()
        };
        let mut index: HashMap<String, usize> = HashMap::new();
        for i in 0..runs.max(1) {
            let muts = self.mutations_for(seed, i, runs, &singles);
            report.runs += 1;
            let started = std::time::Instant::now();
            if trace_runs() {
                eprintln!("run {i} starts: {}", gen::overlay(&Json::Null, &muts));
            }
            let verdict = self.evaluate(&muts);
            if trace_runs() {
                let paths: Vec<String> = muts.iter().map(|(p, _)| p.join(".")).collect();
                eprintln!(
                    "run {i}: {:?} in {} ms: {}",
                    std::mem::discriminant(&verdict),
                    started.elapsed().as_millis(),
                    paths.join(", ")
                );
            }
            match verdict {
                Verdict::Rejected => report.rejected += 1,
                Verdict::Passed => report.passed += 1,
                Verdict::Failed {
                    kind,
                    signature,
                    message,
                } => {
                    report.failed += 1;
                    if let Some(&j) = index.get(&signature) {
                        report.failures[j].hits += 1;
                        continue;
                    }
                    if i == 0 {
                        report.base_failed = true;
                        report.failures.push(Found {
                            kind,
                            signature,
                            message,
                            first_run: 0,
                            hits: 1,
                            repro: Vec::new(),
                            repro_yaml: "{}\n".into(),
                        });
                        break;
                    }
                    let (repro, message) =
                        shrink::shrink(self, muts, &signature).unwrap_or((Vec::new(), message));
                    let repro_yaml = repro_yaml(&repro);
                    index.insert(signature.clone(), report.failures.len());
                    report.failures.push(Found {
                        kind,
                        signature,
                        message,
                        first_run: i,
                        hits: 1,
                        repro,
                        repro_yaml,
                    });
                }
            }
        }
        report
    }
}

/// Whether `CHARTTEST_FUZZ_TRACE` asks for one line per run on stderr (run, verdict, time,
/// changed paths), for finding slow or surprising runs.
fn trace_runs() -> bool {
    std::env::var_os("CHARTTEST_FUZZ_TRACE").is_some()
}

/// The values file of a reproducer.
pub fn repro_yaml(muts: &[Mutation]) -> String {
    let o = gen::overlay(&Json::Object(serde_json::Map::new()), muts);
    if o.as_object().is_some_and(|m| m.is_empty()) {
        return "{}\n".into();
    }
    let v = crate::chart::strvals::from_json(o);
    let mut s = crate::engine::yaml::to_yaml(&v).unwrap_or_default();
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}
