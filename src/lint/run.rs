//! Runs every rule over every scenario of a chart, in parallel, and places each finding on
//! its template line.
//!
//! Rendering: each scenario renders once with `.Capabilities.KubeVersion` set to the highest
//! target version, unless a template mentions `KubeVersion`, in which case it renders once per
//! target version so that version-dependent branches are checked against the version they
//! are written for.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::chart::objects::{KubeVersion, ReleaseOptions};
use crate::chart::prepare::{prepare, RenderOptions};
use crate::chart::values::ValueOptions;
use crate::chart::Chart;
use crate::engine::ExecOptions;

use super::config::LintConfig;
use super::deprecation::{self, Status};
use super::finding::{Finding, Severity};
use super::helm;
use super::hit::Hit;
use super::objects::{Object, RenderedFile};
use super::rules;
use super::schema::crd::CrdSet;
use super::schema::store;
use super::schema::validate::{duplicate_keys, to_json, IssueKind, Validator};
use super::{policy, refs};

/// A values scenario: a name and the values files merged in order.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Its name (`default`, or a `ci/<name>-values.yaml` stem).
    pub name: String,
    /// `(path as given, contents)` of each values file.
    pub values: Vec<(String, String)>,
}

/// What to lint.
#[derive(Clone)]
pub struct Request {
    /// The chart directory.
    pub chart_dir: PathBuf,
    /// Scenarios; empty means one `default` scenario with the chart's own values.
    pub scenarios: Vec<Scenario>,
    /// Target Kubernetes minor versions (`1.<minor>`), ascending, within the vendored range.
    pub minors: Vec<u32>,
    /// Configuration.
    pub config: LintConfig,
    /// Release namespace.
    pub namespace: String,
    /// Parsed template sets, by the names of their files in helm's order.
    pub parsed: ParsedCache,
}

/// Template sets parsed so far, shared by the scenarios of a run.
pub type ParsedCache = std::sync::Arc<
    parking_lot::Mutex<HashMap<Vec<String>, std::sync::Arc<crate::engine::TemplateSet>>>,
>;

/// The result of a run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Findings, sorted by file, line, rule, scenario.
    pub findings: Vec<Finding>,
    /// Scenario names.
    pub scenarios: Vec<String>,
    /// Target minors.
    pub minors: Vec<u32>,
    /// Whether some scenario failed to render.
    pub render_failed: bool,
    /// Objects checked (summed over scenarios).
    pub objects: usize,
}

/// Finds the scenarios of a chart: every `<dir>/*-values.yaml` (ct's convention) when `dir` is
/// `ci` by default, or every `.yaml`/`.yml` file of an explicit directory.
pub fn discover_scenarios(
    chart_dir: &Path,
    values_dir: Option<&Path>,
) -> Result<Vec<Scenario>, String> {
    let (dir, any_yaml) = match values_dir {
        Some(d) => (d.to_path_buf(), true),
        None => (chart_dir.join("ci"), false),
    };
    if !dir.is_dir() {
        if values_dir.is_some() {
            return Err(format!("--values-dir {}: not a directory", dir.display()));
        }
        return Ok(Vec::new());
    }
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            p.is_file()
                && if any_yaml {
                    n.ends_with(".yaml") || n.ends_with(".yml")
                } else {
                    n.ends_with("-values.yaml")
                }
        })
        .collect();
    names.sort();
    let mut out = Vec::new();
    for p in names {
        let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let file = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let name = file
            .trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .trim_end_matches("-values")
            .to_string();
        out.push(Scenario {
            name,
            values: vec![(p.display().to_string(), text)],
        });
    }
    Ok(out)
}

/// The target minors a chart's `kubeVersion` constraint allows within the vendored range.
pub fn minors_for_constraint(constraint: &str) -> Vec<u32> {
    (store::MIN_MINOR..=store::MAX_MINOR)
        .filter(|m| {
            constraint.trim().is_empty()
                || [0, 99].iter().any(|p| {
                    crate::chart::semver::constraint_matches(constraint, &format!("1.{m}.{p}"))
                })
        })
        .collect()
}

/// One scenario's outcome before placement.
struct ScenarioResult {
    findings: Vec<Finding>,
    render_failed: bool,
    objects: usize,
}

/// Lints a chart. `Err` when the chart cannot be loaded at all.
pub fn run(req: &Request) -> Result<Report, String> {
    let dir = &req.chart_dir;
    let mut findings = Vec::new();
    findings.extend(helm::chartfile(dir));
    let (values_ok, vf) = helm::values_file(dir);
    findings.extend(vf);
    let chart = match crate::chart::load::load_chart(dir) {
        Ok(c) => c,
        Err(e) if dir.join("Chart.yaml").is_file() => {
            // helm lint reports a chart that does not load under templates/ and goes on.
            findings.push(Finding::chart(
                "template-render",
                Severity::Error,
                "templates/",
                0,
                e.0,
            ));
            findings.sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
            return Ok(Report {
                findings,
                scenarios: req.scenarios.iter().map(|s| s.name.clone()).collect(),
                minors: req.minors.clone(),
                render_failed: true,
                objects: 0,
            });
        }
        Err(e) => return Err(e.0),
    };
    let (templates_ok, tf) = helm::templates_dir(dir);
    findings.extend(tf);
    findings.extend(helm::extensions(&chart));
    findings.extend(helm::dependencies(dir, &chart));
    findings.extend(helm::crds(dir, &chart));

    let scenarios = if req.scenarios.is_empty() {
        vec![Scenario {
            name: "default".into(),
            values: Vec::new(),
        }]
    } else {
        req.scenarios.clone()
    };
    let minors = if req.minors.is_empty() {
        vec![store::MAX_MINOR]
    } else {
        req.minors.clone()
    };
    let per_version = chart_mentions_kube_version(&chart);
    let next = AtomicUsize::new(0);
    let results: parking_lot::Mutex<Vec<(usize, ScenarioResult)>> =
        parking_lot::Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(scenarios.len())
        .max(1);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= scenarios.len() {
                    break;
                }
                let r = lint_scenario(
                    req,
                    &chart,
                    &scenarios[i],
                    &minors,
                    per_version,
                    values_ok,
                    templates_ok,
                );
                results.lock().push((i, r));
            });
        }
    });
    let mut results = results.into_inner();
    results.sort_by_key(|(i, _)| *i);
    let mut render_failed = false;
    let mut objects = 0;
    for (_, r) in results {
        render_failed |= r.render_failed;
        objects += r.objects;
        findings.extend(r.findings);
    }
    // Say "no schema" once per apiVersion/kind for the whole run.
    let mut said = HashSet::new();
    findings.retain(|f| f.rule != "schema-unavailable" || said.insert(f.message.clone()));
    let cfg = &req.config;
    findings.retain(|f| cfg.enabled(&f.rule) && !cfg.suppressed(f));
    for f in &mut findings {
        if let Some(s) = cfg.severity_of(&f.rule) {
            f.severity = s;
        }
    }
    findings.sort_by(|a, b| {
        (
            a.file.as_str(),
            a.line,
            a.rule.as_str(),
            a.scenario.as_str(),
            a.message.as_str(),
        )
            .cmp(&(
                b.file.as_str(),
                b.line,
                b.rule.as_str(),
                b.scenario.as_str(),
                b.message.as_str(),
            ))
    });
    findings.dedup();
    Ok(Report {
        findings,
        scenarios: scenarios.iter().map(|s| s.name.clone()).collect(),
        minors,
        render_failed,
        objects,
    })
}

fn chart_mentions_kube_version(c: &Chart) -> bool {
    c.templates
        .iter()
        .any(|t| String::from_utf8_lossy(&t.data).contains("KubeVersion"))
        || c.dependencies.iter().any(chart_mentions_kube_version)
}

fn render_error(scenario: &str, msg: String) -> Finding {
    let mut f = Finding::chart("template-render", Severity::Error, "templates/", 0, msg);
    f.scenario = scenario.into();
    f
}

/// One render of a scenario: its files and objects.
struct Render {
    files: Vec<RenderedFile>,
    objects: Vec<Object>,
    crds: CrdSet,
    crd_errors: Vec<(usize, String)>,
    /// (file, rendered line, helm's message) of files that are not valid YAML.
    yaml_errors: Vec<(usize, usize, String)>,
}

fn lint_scenario(
    req: &Request,
    chart: &Chart,
    sc: &Scenario,
    minors: &[u32],
    per_version: bool,
    values_ok: bool,
    templates_ok: bool,
) -> ScenarioResult {
    let mut out = ScenarioResult {
        findings: Vec::new(),
        render_failed: false,
        objects: 0,
    };
    let vopts = ValueOptions {
        value_files: sc.values.clone(),
        ..ValueOptions::default()
    };
    let user = match vopts.merge(&crate::chart::load::read_user_file) {
        Ok(v) => v,
        Err(e) => {
            out.findings.push(render_error(&sc.name, e.0));
            out.render_failed = true;
            return out;
        }
    };
    // helm's values rule: the chart's values under the scenario's, against values.schema.json.
    if values_ok {
        if let Some(schema) = &chart.schema {
            if !schema.is_empty() {
                let merged = crate::chart::values::copy_map(&user);
                // coalesce_tables writes nulls into its source, as helm does: give it a copy.
                let defaults = crate::chart::values::copy_map(&chart.values_map());
                crate::chart::values::coalesce_tables(&merged, &defaults, false);
                if let Err(e) = crate::chart::schema::validate_single(&merged, schema, 4) {
                    let mut f = Finding::chart(
                        "values",
                        Severity::Error,
                        "values.yaml",
                        0,
                        e.trim_end().to_string(),
                    );
                    f.scenario = sc.name.clone();
                    out.findings.push(f);
                }
            }
        }
    }
    if !templates_ok {
        return out;
    }
    // Render at the highest target; when templates read KubeVersion, also at the lowest, and
    // at every target only when those two differ. Targets with identical output share checks.
    let max = *minors.last().unwrap_or(&store::MAX_MINOR);
    let min = *minors.first().unwrap_or(&max);
    let mut renders: Vec<(Vec<u32>, Render)> = Vec::new();
    let render_at = |m: u32, renders: &mut Vec<(Vec<u32>, Render)>| -> Result<(), String> {
        let r = render(req, chart, &user, m)?;
        match renders.iter_mut().find(|(_, x)| same_output(x, &r)) {
            Some((ms, _)) => ms.push(m),
            None => renders.push((vec![m], r)),
        }
        Ok(())
    };
    let mut plan: Vec<u32> = vec![max];
    if per_version && min != max {
        plan.push(min);
    }
    for m in plan {
        if let Err(msg) = render_at(m, &mut renders) {
            out.findings.push(render_error(&sc.name, msg));
            out.render_failed = true;
            return out;
        }
    }
    if renders.len() > 1 {
        for &m in minors.iter().filter(|m| **m != min && **m != max) {
            if let Err(msg) = render_at(m, &mut renders) {
                out.findings.push(render_error(&sc.name, msg));
                out.render_failed = true;
                return out;
            }
        }
    } else if let Some((ms, _)) = renders.first_mut() {
        *ms = minors.to_vec();
    }
    for (ms, _) in renders.iter_mut() {
        ms.sort_unstable();
    }
    let mut hits_by_render: Vec<Vec<(Hit, Vec<u32>)>> = Vec::new();
    for (ri, (covered, r)) in renders.iter().enumerate() {
        let my_minors: Vec<u32> = covered.clone();
        let mut hits: Vec<(Hit, Vec<u32>)> = Vec::new();
        // helm's per-file template checks.
        for (fi, file) in r.files.iter().enumerate() {
            if let Some((line, msg)) = helm::top_indent(&file.rendered) {
                out.findings.push(place_file(
                    file,
                    &sc.name,
                    "template-indent",
                    Severity::Warning,
                    line,
                    msg,
                ));
            }
            let _ = fi;
        }
        {
            let _ = ri;
            for (fi, line, msg) in &r.yaml_errors {
                out.findings.push(place_file(
                    &r.files[*fi],
                    &sc.name,
                    "template-yaml",
                    Severity::Error,
                    *line,
                    msg.clone(),
                ));
            }
        }
        for (i, msg) in &r.crd_errors {
            hits.push((
                Hit::new(
                    "schema-invalid-value",
                    *i,
                    r.objects[*i].line(),
                    format!("CRD schema does not compile: {msg}"),
                ),
                Vec::new(),
            ));
        }
        for (i, o) in r.objects.iter().enumerate() {
            object_helm_rules(o, i, &mut hits);
            for issue in duplicate_keys(&o.node) {
                hits.push((
                    Hit::new("schema-duplicate-key", i, issue.line, issue.message),
                    Vec::new(),
                ));
            }
            let mut per_minor: HashMap<(&'static str, usize, String), Vec<u32>> = HashMap::new();
            let mut order: Vec<(&'static str, usize, String)> = Vec::new();
            let mut add = |rule: &'static str, line: usize, msg: String, m: u32| {
                let key = (rule, line, msg);
                let e = per_minor.entry(key.clone()).or_default();
                if e.is_empty() {
                    order.push(key);
                }
                e.push(m);
            };
            for &m in &my_minors {
                for (rule, line, msg) in check_object(o, &r.crds, m) {
                    add(rule, line, msg, m);
                }
            }
            for key in order {
                let ms = per_minor.remove(&key).unwrap_or_default();
                let (rule, line, msg) = key;
                hits.push((Hit::new(rule, i, line, msg), ms));
            }
        }
        {
            let mut plain = Vec::new();
            for i in 0..r.objects.len() {
                policy::check(&r.objects, i, &req.namespace, &mut plain);
            }
            refs::check(&r.objects, &req.namespace, &req.config.external, &mut plain);
            hits.extend(plain.into_iter().map(|h| (h, Vec::new())));
        }
        hits_by_render.push(hits);
    }
    for ((_, r), hits) in renders.iter().zip(hits_by_render) {
        out.objects += r.objects.len();
        for (h, ms) in hits {
            let o = &r.objects[h.obj];
            if o.ignores(h.rule) {
                continue;
            }
            let file = &r.files[o.file];
            let mut message = h.message.clone();
            if let Some(first) = message.find("#FIRST#") {
                let idx: usize = message[first + 7..]
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                let fo = &r.objects[idx.min(r.objects.len() - 1)];
                let ff = &r.files[fo.file];
                let (lf, ll) =
                    ff.source(super::objects::path_line(&fo.node, &["metadata", "name"]));
                let loc = format!("{lf}:{ll}");
                message = message.replace(&format!("#FIRST#{idx}"), &loc);
            }
            if !ms.is_empty() && ms.len() < minors.len() {
                message.push_str(&format!(" [Kubernetes {}]", minor_ranges(&ms)));
            }
            let severity = h
                .severity
                .or_else(|| rules::rule(h.rule).map(|r| r.severity))
                .unwrap_or(Severity::Error);
            let (src_file, src_line) = file.source(h.line);
            out.findings.push(Finding {
                rule: h.rule.to_string(),
                severity,
                scenario: sc.name.clone(),
                file: src_file,
                line: src_line,
                kind: o.kind.clone(),
                name: o.name.clone(),
                message,
            });
        }
    }
    out
}

/// `1.25–1.28, 1.30`.
pub fn minor_ranges(ms: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < ms.len() {
        let start = ms[i];
        let mut end = start;
        while i + 1 < ms.len() && ms[i + 1] == end + 1 {
            i += 1;
            end = ms[i];
        }
        parts.push(if start == end {
            format!("1.{start}")
        } else {
            format!("1.{start}–1.{end}")
        });
        i += 1;
    }
    parts.join(", ")
}

fn place_file(
    file: &RenderedFile,
    scenario: &str,
    rule: &str,
    sev: Severity,
    rendered_line: usize,
    msg: String,
) -> Finding {
    let (src_file, src_line) = file.source(rendered_line);
    Finding {
        rule: rule.into(),
        severity: sev,
        scenario: scenario.into(),
        file: src_file,
        line: src_line,
        kind: String::new(),
        name: String::new(),
        message: msg,
    }
}

/// helm's per-object template rules (deprecations are the `api-*` rules instead).
fn object_helm_rules(o: &Object, i: usize, hits: &mut Vec<(Hit, Vec<u32>)>) {
    if let Some(msg) = helm::object_name(&o.kind, &o.name) {
        let line = super::objects::path_line(&o.node, &["metadata", "name"]);
        hits.push((Hit::new("object-name", i, line, msg), Vec::new()));
    }
    if matches!(
        o.kind.as_str(),
        "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet"
    ) {
        let sel = super::objects::get(&o.node, &["spec", "selector"]);
        let has = sel.is_some_and(|s| {
            super::objects::get(s, &["matchLabels"]).is_some()
                || super::objects::get(s, &["matchExpressions"]).is_some()
        });
        if !has {
            let line = super::objects::path_line(&o.node, &["spec", "selector"]);
            hits.push((
                Hit::new(
                    "workload-selector",
                    i,
                    line,
                    format!(
                        "a {} must contain matchLabels or matchExpressions, and {:?} does not",
                        o.kind, o.name
                    ),
                ),
                Vec::new(),
            ));
        }
    }
    if o.kind == "List" {
        for it in super::objects::items(super::objects::get(&o.node, &["items"])) {
            if super::objects::get(it, &["metadata", "annotations", "helm.sh/resource-policy"])
                .is_some()
            {
                hits.push((
                    Hit::new(
                        "list-annotations",
                        i,
                        it.line,
                        "annotation 'helm.sh/resource-policy' within List objects are ignored"
                            .into(),
                    ),
                    Vec::new(),
                ));
                break;
            }
        }
    }
}

/// Schema and lifecycle checks of one object for one target minor.
fn check_object(o: &Object, crds: &CrdSet, minor: u32) -> Vec<(&'static str, usize, String)> {
    let mut out = Vec::new();
    if o.api_version.is_empty() || o.kind.is_empty() {
        let mut v = Vec::new();
        if o.api_version.is_empty() {
            v.push("apiVersion");
        }
        if o.kind.is_empty() {
            v.push("kind");
        }
        out.push((
            "schema-required",
            o.node.line,
            format!("missing required field \"{}\"", v.join("\" and \"")),
        ));
        return out;
    }
    let line = super::objects::key_line(&o.node, "apiVersion").unwrap_or(o.node.line);
    if o.kind == "List" && o.api_version == "v1" {
        // A client-side list: each item is an object of its own.
        for it in super::objects::items(super::objects::get(&o.node, &["items"])) {
            if let Some(item) = Object::from_doc(o.file, it.clone()) {
                out.extend(check_object(&item, crds, minor));
            }
        }
        return out;
    }
    let crd = crds.lookup(&o.api_version, &o.kind);
    if crd.is_none() {
        match deprecation::status(&o.api_version, &o.kind, minor) {
            Status::Fine => {}
            Status::Deprecated(m) => out.push(("api-deprecated", line, m)),
            Status::Removed(m) => {
                out.push(("api-removed", line, m));
                return out;
            }
            Status::NotYetAvailable(m) => {
                out.push(("api-not-yet-available", line, m));
                return out;
            }
        }
    }
    let Ok(vs) = store::version(minor) else {
        return out;
    };
    let issues = if let Some(root) = vs.lookup(&o.api_version, &o.kind) {
        Validator::new(vs.graph()).validate(&o.node, root)
    } else if let Some(c) = crd {
        match c.schema {
            Some(root) => Validator::new(crds.graph())
                .with_root_keys(&["apiVersion", "kind", "metadata"])
                .validate(&o.node, root),
            None => Vec::new(),
        }
    } else {
        if let Some(vs_list) = crds.versions_of(&o.api_version, &o.kind) {
            out.push((
                "schema-invalid-value",
                line,
                format!(
                    "the chart's CRD for {} does not serve {} (it serves {})",
                    o.kind,
                    o.api_version,
                    vs_list.join(", ")
                ),
            ));
        } else if store::served_in(&o.api_version, &o.kind).is_empty() {
            out.push((
                "schema-unavailable",
                line,
                format!("no schema for {} {}: neither Kubernetes nor a CRD in the chart defines it, so it is not validated (declare the CRD in crds/ to validate it)", o.api_version, o.kind),
            ));
        }
        Vec::new()
    };
    for is in issues {
        let rule = match is.kind {
            IssueKind::UnknownField => "schema-unknown-field",
            IssueKind::WrongType => "schema-wrong-type",
            IssueKind::Required => "schema-required",
            IssueKind::DuplicateKey => "schema-duplicate-key",
            IssueKind::InvalidValue => "schema-invalid-value",
        };
        out.push((rule, is.line, is.message));
    }
    out
}

fn same_output(a: &Render, b: &Render) -> bool {
    a.files.len() == b.files.len()
        && a.files
            .iter()
            .zip(&b.files)
            .all(|(x, y)| x.file == y.file && x.rendered == y.rendered)
}

fn render(
    req: &Request,
    chart: &Chart,
    user: &crate::engine::value::MapRef,
    minor: u32,
) -> Result<Render, String> {
    let kv = KubeVersion::parse(&format!("v1.{minor}.0"), 4)?;
    let ropts = RenderOptions {
        helm_major: 4,
        release: ReleaseOptions {
            name: "test-release".into(),
            namespace: req.namespace.clone(),
            revision: 1,
            is_upgrade: false,
        },
        user_values: crate::chart::values::copy_map(user),
        kube_version: Some(kv),
        api_versions: Vec::new(),
        skip_schema_validation: false,
        ..RenderOptions::default()
    };
    let prepared = prepare(chart, &ropts).map_err(|e| e.0)?;
    // One seed and one clock for every render, so generated passwords and certificates do
    // not make renders of different target versions differ.
    static NOW: std::sync::OnceLock<chrono::DateTime<chrono::FixedOffset>> =
        std::sync::OnceLock::new();
    let now = *NOW.get_or_init(|| chrono::Utc::now().fixed_offset());
    let eopts = ExecOptions {
        lint: true,
        helm_major: 4,
        seed: Some(0x6c696e74),
        now: Some(now),
        ..ExecOptions::default()
    };
    // Templates are parsed once per distinct set of files (scenarios that enable the same
    // subcharts share it) and executed per scenario and version.
    let order = crate::render::chart::helm_order(&prepared.units);
    let key: Vec<String> = order.iter().map(|u| u.name.clone()).collect();
    let cached = req.parsed.lock().get(&key).cloned();
    let set = match cached {
        Some(s) => s,
        None => {
            let s = std::sync::Arc::new(
                crate::render::chart::parse_units(&order, 4).map_err(|e| e.helm_message_for(4))?,
            );
            req.parsed.lock().insert(key, s.clone());
            s
        }
    };
    // Traced, so each finding can name the template line that wrote its object.
    let mut ran = crate::engine::Trace::default();
    let rendered = crate::render::chart::execute_units_traced(&set, &order, &eopts, &mut ran)
        .map_err(|e| e.helm_message_for(4))?;
    let sources: BTreeMap<&str, &std::sync::Arc<str>> = prepared
        .units
        .iter()
        .map(|u| (u.name.as_str(), &u.text))
        .collect();
    let prefix = format!("{}/", chart.name());
    let mut files = Vec::new();
    let mut objects = Vec::new();
    let mut crds = CrdSet::default();
    let mut crd_errors = Vec::new();
    let mut yaml_errors = Vec::new();
    // CRDs shipped in crds/ first.
    for c in &prepared.crds {
        let text = String::from_utf8_lossy(&c.data);
        if let Ok(docs) = crate::engine::yaml::parse_nodes(&text) {
            for d in docs {
                let _ = crds.add(&to_json(&d));
            }
        }
    }
    for (name, traced) in rendered {
        let text = &traced.output;
        let lower = name.to_ascii_lowercase();
        if !(lower.ends_with(".yaml") || lower.ends_with(".yml")) || text.trim().is_empty() {
            continue;
        }
        let rel = name.strip_prefix(&prefix).unwrap_or(&name).to_string();
        let template = sources
            .get(name.as_str())
            .map(|s| (*s).clone())
            .unwrap_or_else(|| "".into());
        let file = RenderedFile {
            file: rel,
            template,
            rendered: text.clone(),
            trace: Some(traced.trace),
            prefix: prefix.clone(),
        };
        let fi = files.len();
        match crate::engine::yaml::parse_nodes(text) {
            Ok(docs) => {
                for d in docs {
                    if let Some(o) = Object::from_doc(fi, d) {
                        if o.kind == "CustomResourceDefinition" {
                            if let Err(e) = crds.add(&to_json(&o.node)) {
                                crd_errors.push((objects.len(), e));
                            }
                        }
                        objects.push(o);
                    }
                }
            }
            Err(_) => {
                let (line, msg) = yaml_error(text);
                yaml_errors.push((fi, line, format!("unable to parse YAML: {msg}")));
            }
        }
        files.push(file);
    }
    Ok(Render {
        files,
        objects,
        crds,
        crd_errors,
        yaml_errors,
    })
}

/// helm's YAML error for a rendered file: the decoder reads one `---` chunk at a time, so the
/// line in its message is relative to the chunk. Returns (absolute line, helm's text).
fn yaml_error(text: &str) -> (usize, String) {
    let mut start = 0usize;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut chunk = String::new();
    let mut chunks: Vec<(usize, String)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("---") {
            chunks.push((start, std::mem::take(&mut chunk)));
            start = i + 1;
        } else {
            chunk.push_str(l);
        }
    }
    chunks.push((start, chunk));
    for (s, c) in chunks {
        if let Err(e) = crate::engine::yaml::parse(&c) {
            let abs = s + e.line().unwrap_or(1);
            return (abs, e.to_string());
        }
    }
    (1, "invalid YAML".into())
}
