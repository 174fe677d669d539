//! One test, from values to verdict, the way helm-unittest runs a test job: merge the values
//! files and `set`s, render only the suite's templates (plus every partial) of a chart with
//! the test's release, capabilities and chart overrides, turn a render error into a `raw`
//! document of the failing template, then run each assertion on the documents it selects.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use regex::Regex;

use crate::chart::objects::{BuildInfo, Capabilities, KubeVersion, ReleaseOptions, VersionSet};
use crate::chart::prepare::{prepare, RenderOptions, RenderUnit};
use crate::chart::Chart;
use crate::engine::funcs::LookupSource;
use crate::engine::value::{MapRef, MapType, SliceType, Value};
use crate::engine::{Error as EngineError, ExecOptions, TemplateSet};
use crate::render::chart::{execute_units, execute_units_traced, parse_units};

use super::jsonpath::Path as JsonPath;
use super::setpath::{build as build_set, merge_tables};
use super::snapshot::{Record, SnapshotFile, TestSnapshots};
use super::suite::{ApiVersions, Assertion, DocSelector, Suite, Test};
use super::validate::{self, Ctx, Doc};
use super::yval::{deep_equal, parse_value, YV};

/// Settings shared by every test of a run.
#[derive(Clone, Debug, Default)]
pub struct RunSettings {
    /// `-u`
    pub update: bool,
    /// `--ci`
    pub ci: bool,
    /// `-q` / `--fail-fast`
    pub fail_fast: bool,
    /// `--all-matches`
    pub all_matches: bool,
    /// `--skip-schema-validation`
    pub skip_schema_validation: bool,
    /// Command-line `-v` values files (absolute), appended to every suite's `values`.
    pub values_files: Vec<PathBuf>,
    /// `--coverage`: record which template lines and branches ran.
    pub coverage: bool,
}

/// One assertion's outcome.
#[derive(Clone, Debug)]
pub struct AssertOutcome {
    /// Position in `asserts`.
    pub index: usize,
    /// The assertion type as written.
    pub kind: String,
    /// `not: true`
    pub not: bool,
    /// Line of the assertion in the suite file.
    pub line: usize,
    /// Verdict.
    pub passed: bool,
    /// Skipped by `documentSelector.skipEmptyTemplates`.
    pub skipped: bool,
    /// helm-unittest's failure lines.
    pub lines: Vec<String>,
    /// Expected and actual YAML for a coloured diff, when the assertion compares values.
    pub diff: Option<(String, String)>,
}

/// One test's outcome.
#[derive(Clone, Debug, Default)]
pub struct TestOutcome {
    /// `it`
    pub name: String,
    /// Line of the test in the suite file.
    pub line: usize,
    /// Verdict.
    pub passed: bool,
    /// Skipped (`skip`, or every assertion skipped).
    pub skipped: bool,
    /// The skip reason.
    pub skip_reason: String,
    /// An error that stopped or disturbed the render (helm-unittest's `ExecError`).
    pub exec_error: Option<String>,
    /// Assertion outcomes, in order.
    pub asserts: Vec<AssertOutcome>,
    /// Wall time.
    pub duration: Duration,
    /// Snapshot comparisons, for the suite's file.
    pub snapshots: Vec<Record>,
    /// The templates that were executed.
    pub executed: Vec<String>,
    /// What ran, for `--coverage`.
    pub hits: Vec<crate::engine::trace::Hit>,
}

/// Parsed template sets, shared by every test: keyed by the list of templates a suite
/// renders, so each distinct selection is parsed once.
#[derive(Default)]
pub struct TemplateCache {
    sets: Mutex<HashMap<String, Arc<Result<TemplateSet, String>>>>,
}

impl TemplateCache {
    fn get(&self, order: &[&RenderUnit]) -> Arc<Result<TemplateSet, String>> {
        let key: String = order
            .iter()
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        if let Some(s) = self.sets.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return s;
        }
        let set = Arc::new(parse_units(order, 3).map_err(|e: EngineError| e.helm_message_for(3)));
        if let Ok(mut m) = self.sets.lock() {
            m.entry(key).or_insert_with(|| set.clone());
        }
        set
    }
}

/// What `lookup` returns: `kubernetesProvider.objects`.
struct Provider {
    objects: Vec<YV>,
}

impl LookupSource for Provider {
    fn lookup(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        let matching: Vec<&YV> = self
            .objects
            .iter()
            .filter(|o| {
                o.get("apiVersion").and_then(YV::as_str) == Some(api_version)
                    && o.get("kind").and_then(YV::as_str) == Some(kind)
                    && (namespace.is_empty()
                        || o.get("metadata")
                            .and_then(|m| m.get("namespace"))
                            .and_then(YV::as_str)
                            .is_none_or(|ns| ns == namespace))
            })
            .collect();
        if name.is_empty() {
            let mut m = BTreeMap::new();
            m.insert("apiVersion".to_string(), Value::str(api_version));
            m.insert("kind".to_string(), Value::str(format!("{kind}List")));
            let mut md = BTreeMap::new();
            md.insert("continue".to_string(), Value::str(""));
            md.insert("resourceVersion".to_string(), Value::str(""));
            m.insert(
                "metadata".to_string(),
                Value::Map(MapType::Interface, MapRef::new(md)),
            );
            m.insert(
                "items".to_string(),
                Value::List(
                    SliceType::Interface,
                    Arc::new(matching.iter().map(|o| o.to_engine()).collect()),
                ),
            );
            return Some(Value::Map(MapType::Interface, MapRef::new(m)));
        }
        matching
            .into_iter()
            .find(|o| {
                o.get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(YV::as_str)
                    == Some(name)
            })
            .map(YV::to_engine)
    }
}

/// Everything a test needs from its suite and run.
pub struct JobInput<'a> {
    /// The loaded root chart.
    pub chart: &'a Chart,
    /// The suite.
    pub suite: &'a Suite,
    /// The test.
    pub test: &'a Test,
    /// Run settings.
    pub settings: &'a RunSettings,
    /// Parsed template sets.
    pub cache: &'a TemplateCache,
    /// The suite's snapshot file.
    pub snapshots: Option<&'a SnapshotFile>,
}

/// helm-unittest's `getTemplateFileName`: `templates/` is implied unless the name starts with
/// `templates`, `charts`, `crds` or `**`.
pub fn template_file_name(name: &str) -> String {
    if !name.starts_with("templates")
        && !name.starts_with("charts")
        && !name.starts_with("crds")
        && !name.starts_with("**")
    {
        clean_join("templates", name)
    } else {
        name.to_string()
    }
}

/// `filepath.ToSlash(filepath.Join(a, b))`.
pub fn clean_join(a: &str, b: &str) -> String {
    let joined = if a.is_empty() {
        b.to_string()
    } else if b.is_empty() {
        a.to_string()
    } else {
        format!("{a}/{b}")
    };
    let abs = joined.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !abs {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let s = parts.join("/");
    if abs {
        format!("/{s}")
    } else if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

/// helm-unittest's `getTemplateFileNamePattern`: a glob turned into an (unanchored) regex.
pub fn template_pattern(name: &str) -> Option<Regex> {
    let mut p = name.replace('.', "\\.");
    p = p.replace('+', "\\+");
    p = p.replace('[', "\\[");
    p = p.replace(']', "\\]");
    p = p.replace("**", "[0-9a-zA-Z_\\-/\\.]+");
    p = p.replace('*', "[0-9a-zA-Z_\\-_/\\.]*");
    for (from, to) in [
        ("?", "\\?"),
        ("(", "\\("),
        (")", "\\)"),
        ("|", "\\|"),
        ("{", "\\{"),
        ("}", "\\}"),
        ("^", "\\^"),
        ("$", "\\$"),
    ] {
        p = p.replace(from, to);
    }
    Regex::new(&p).ok()
}

/// The chart names on a route: `a/charts/b` → `[a, b]`.
fn route_names(route: &str) -> Vec<&str> {
    route.split('/').step_by(2).collect()
}

/// helm-unittest's `scopeValuesWithRoutes`: values of a subchart's suite nest under the
/// subchart's name, `global` staying at the top too.
fn scope(routes: &[&str], values: YV) -> YV {
    if routes.len() <= 1 {
        return values;
    }
    let mut m = Vec::new();
    if let Some(g) = values.get("global") {
        m.push(("global".to_string(), g.clone()));
    }
    m.push((routes[routes.len() - 1].to_string(), values));
    scope(&routes[..routes.len() - 1], YV::Map(m))
}

/// The merged user values of a test, as helm-unittest builds them.
fn user_values(inp: &JobInput) -> Result<YV, String> {
    let suite = inp.suite;
    let test = inp.test;
    let routes = route_names(&suite.chart_route);
    let dir = suite.file.parent().unwrap_or(Path::new("."));
    let mut base = YV::Map(Vec::new());
    let mut files: Vec<PathBuf> = suite.values.iter().map(|v| dir.join(v)).collect();
    files.extend(inp.settings.values_files.iter().cloned());
    files.extend(test.values.iter().map(|v| dir.join(v)));
    for (f, shown) in files.iter().zip(
        suite
            .values
            .iter()
            .cloned()
            .chain(
                inp.settings
                    .values_files
                    .iter()
                    .map(|p| p.display().to_string()),
            )
            .chain(test.values.iter().cloned()),
    ) {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let v = parse_value(&text)
            .map_err(|e| format!("failed to parse {shown}: line {}: {}", e.line, e.message))?;
        let v = match v {
            YV::Null => YV::Map(Vec::new()),
            m @ YV::Map(_) => m,
            other => {
                return Err(format!(
                    "failed to parse {shown}: cannot unmarshal {} into map[string]interface {{}}",
                    other.go_type()
                ))
            }
        };
        base = merge_tables(scope(&routes, v), &base);
    }
    for (path, value, _) in suite.set.iter().chain(test.set.iter()) {
        let m = build_set(value, path)?;
        base = merge_tables(scope(&routes, m), &base);
    }
    Ok(base)
}

/// User values as helm reads them after helm-unittest's JSON round trip: every number a
/// `float64`, timestamps as RFC 3339 strings.
fn json_values(v: &YV) -> Result<Value, String> {
    Ok(match v {
        YV::Null => Value::Nil,
        YV::Bool(b) => Value::Bool(*b),
        YV::Int(i) => Value::Float(*i as f64),
        YV::Uint(u) => Value::Float(*u as f64),
        YV::Float(f) => {
            if !f.is_finite() {
                return Err(format!(
                    "json: unsupported value: {}",
                    crate::engine::format::format_float(*f, crate::engine::format::FloatFmt::G)
                ));
            }
            Value::Float(*f)
        }
        YV::Str(s) | YV::Time(s) => Value::str(s),
        YV::Seq(items) => Value::List(
            SliceType::Interface,
            Arc::new(items.iter().map(json_values).collect::<Result<_, _>>()?),
        ),
        YV::Map(m) => {
            let mut out = BTreeMap::new();
            for (k, v) in m {
                out.insert(k.clone(), json_values(v)?);
            }
            Value::Map(MapType::Interface, MapRef::new(out))
        }
    })
}

fn capabilities(suite: &Suite, test: &Test) -> Capabilities {
    let or = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_string()
        } else {
            a.to_string()
        }
    };
    let major = or(
        &or(&test.capabilities.major, &suite.capabilities.major),
        "1",
    );
    let minor = or(
        &or(&test.capabilities.minor, &suite.capabilities.minor),
        "20",
    );
    let suite_list = match &suite.capabilities.api_versions {
        ApiVersions::List(l) => l.clone(),
        _ => Vec::new(),
    };
    let versions = match &test.capabilities.api_versions {
        ApiVersions::Absent => suite_list,
        ApiVersions::Null => Vec::new(),
        ApiVersions::List(l) => l.iter().cloned().chain(suite_list).collect(),
    };
    let v = format!("v{major}.{minor}.0");
    Capabilities {
        kube_version: KubeVersion {
            version: v.clone(),
            normalized: v,
            major,
            minor,
            helm_major: 3,
        },
        api_versions: VersionSet {
            versions,
            helm_major: 3,
        },
        helm_version: BuildInfo::for_helm(3),
        helm_major: 3,
    }
}

fn release(suite: &Suite, test: &Test) -> (ReleaseOptions, bool) {
    let name = if !test.release.name.is_empty() {
        test.release.name.clone()
    } else {
        suite.release.name.clone()
    };
    let ns = if !test.release.namespace.is_empty() {
        test.release.namespace.clone()
    } else {
        suite.release.namespace.clone()
    };
    let given = !name.is_empty();
    (
        ReleaseOptions {
            name: if given { name } else { "RELEASE-NAME".into() },
            namespace: if ns.is_empty() {
                "NAMESPACE".into()
            } else {
                ns
            },
            revision: if test.release.revision != 0 {
                test.release.revision
            } else {
                suite.release.revision
            },
            is_upgrade: test.release.upgrade || suite.release.upgrade,
        },
        given,
    )
}

/// helm-unittest's `chart.version`/`chart.appVersion` overrides (test first, then suite).
fn chart_overrides(inp: &JobInput) -> (String, String) {
    let or = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_string()
        } else {
            a.to_string()
        }
    };
    (
        or(&inp.test.chart.version, &inp.suite.chart.version),
        or(&inp.test.chart.app_version, &inp.suite.chart.app_version),
    )
}

/// The templates a suite renders: those matching `templates` (all when empty) but not
/// `excludeTemplates`, plus every partial.
fn select_units<'u>(units: &'u [RenderUnit], suite: &Suite) -> Vec<&'u RenderUnit> {
    let route = &suite.chart_route;
    let wanted: Vec<String> = if suite.templates.is_empty() {
        vec!["**".into()]
    } else {
        suite.templates.clone()
    };
    let pats: Vec<Regex> = wanted
        .iter()
        .filter_map(|t| template_pattern(&clean_join(route, &template_file_name(t))))
        .collect();
    let skip: Vec<Regex> = suite
        .exclude_templates
        .iter()
        .filter_map(|t| template_pattern(&clean_join(route, &template_file_name(t))))
        .collect();
    let mut out: Vec<&RenderUnit> = Vec::new();
    for p in &pats {
        for u in units {
            if p.is_match(&u.name) && !skip.iter().any(|s| s.is_match(&u.name)) {
                out.push(u);
            }
        }
    }
    for u in units {
        if u.is_partial() {
            out.push(u);
        }
    }
    // helm's order: by depth, then name, reversed; duplicates collapse as in Go's map.
    out.sort_by(|a, b| {
        let (ca, cb) = (a.name.matches('/').count(), b.name.matches('/').count());
        ca.cmp(&cb).then_with(|| a.name.cmp(&b.name))
    });
    out.dedup_by(|a, b| a.name == b.name);
    out.reverse();
    out
}

/// helm-unittest's render error pattern: the failing file and the message.
fn parse_render_error(msg: &str) -> (String, String) {
    static RE: std::sync::OnceLock<Option<Regex>> = std::sync::OnceLock::new();
    let re = RE
        .get_or_init(|| Regex::new(r"(?msU)^(?:.+: |.+ \()(?:(.+):\d+:\d+).+(?:.+>)*: (.+)$").ok());
    let Some(re) = re else {
        return (String::new(), String::new());
    };
    match re.captures(msg) {
        Some(c) => {
            let file = c.get(1).map(|m| m.as_str().to_string()).unwrap_or_default();
            let raw = match msg.split_once('\n') {
                Some((_, rest)) => rest.to_string(),
                None => c.get(2).map(|m| m.as_str().to_string()).unwrap_or_default(),
            };
            (file, raw)
        }
        None => (String::new(), String::new()),
    }
}

/// Splits a rendered file into documents as helm-unittest does: `---` lines become document
/// breaks, empty documents are dropped, every document must be a mapping.
pub fn parse_manifests(rendered: &str) -> Result<Vec<Doc>, String> {
    static RE: std::sync::OnceLock<Option<Regex>> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?:^|\s*\n)---\s*").ok());
    let text = match re {
        Some(re) => re.replace_all(rendered, "\n---\n").into_owned(),
        None => rendered.to_string(),
    };
    let nodes = super::yval::parse_documents(&text)
        .map_err(|e| format!("yaml: line {}: {}", e.line, e.message))?;
    let mut docs = Vec::new();
    for n in &nodes {
        let v = super::yval::from_node(n)
            .map_err(|e| format!("yaml: unmarshal errors:\n  line {}: {}", e.line, e.message))?;
        match v {
            YV::Null => {}
            YV::Map(m) if m.is_empty() => {}
            m @ YV::Map(_) => docs.push(Doc::new(m)),
            other => {
                return Err(format!(
                    "yaml: unmarshal errors:\n  line {}: cannot unmarshal {} `{}` into map[string]interface {{}}",
                    n.line,
                    yaml_tag(&other),
                    other.scalar_text()
                ))
            }
        }
    }
    Ok(docs)
}

fn yaml_tag(v: &YV) -> &'static str {
    match v {
        YV::Seq(_) => "!!seq",
        YV::Bool(_) => "!!bool",
        YV::Int(_) | YV::Uint(_) => "!!int",
        YV::Float(_) => "!!float",
        YV::Time(_) => "!!timestamp",
        _ => "!!str",
    }
}

/// The render's result as assertions see it.
struct Rendered {
    /// template key (`chart/templates/x.yaml`) → documents.
    files: BTreeMap<String, Vec<Doc>>,
    /// Keys of every rendered template (including ones with unknown extensions).
    keys: Vec<String>,
    succeeded: bool,
    error: Option<String>,
}

/// Runs one test.
pub fn run_test(inp: &JobInput) -> TestOutcome {
    let start = Instant::now();
    let suite = inp.suite;
    let test = inp.test;
    let mut out = TestOutcome {
        name: test.name.clone(),
        line: test.line,
        ..Default::default()
    };
    let skip = suite.skip.clone().or_else(|| test.skip.clone());
    if let Some(reason) = skip {
        out.skipped = true;
        out.skip_reason = reason;
        out.duration = start.elapsed();
        return out;
    }
    let require_success = test.asserts.iter().all(|a| a.require_success);
    let rendered = match render(inp, require_success, &mut out) {
        Ok(r) => r,
        Err(e) => {
            out.exec_error = Some(e);
            out.duration = start.elapsed();
            return out;
        }
    };
    if let Some(e) = &rendered.error {
        out.exec_error = Some(e.clone());
    }
    let mut snaps = TestSnapshots::new(
        inp.snapshots,
        &test.name,
        inp.settings.update,
        inp.settings.ci,
    );
    let skip_empty = test
        .document_selector
        .as_ref()
        .is_some_and(|s| s.skip_empty_templates);
    let mut passed = false;
    for (idx, a) in test.asserts.iter().enumerate() {
        let r = assert_one(inp, a, idx, &rendered, skip_empty, &mut snaps);
        if r.skipped {
            passed = true;
        }
        if idx == 0 {
            passed = r.passed;
        }
        passed = passed && r.passed;
        out.asserts.push(r);
        if !passed && inp.settings.fail_fast {
            break;
        }
    }
    // A test whose assertions were all skipped passes, as helm-unittest counts it.
    out.passed = passed;
    out.snapshots = snaps.records;
    out.duration = start.elapsed();
    out
}

fn render(
    inp: &JobInput,
    require_success: bool,
    out: &mut TestOutcome,
) -> Result<Rendered, String> {
    let suite = inp.suite;
    let test = inp.test;
    let values = user_values(inp)?;
    let user = match json_values(&values)? {
        Value::Map(_, m) => m,
        _ => MapRef::default(),
    };
    let failed = |e: String| Rendered {
        files: BTreeMap::new(),
        keys: Vec::new(),
        succeeded: false,
        error: Some(e),
    };
    let (rel, named) = release(suite, test);
    if named {
        if let Err(e) = crate::chart::objects::validate_release_name(&rel.name) {
            let msg = e.0;
            let msg = msg
                .split_once(": invalid release name")
                .map(|(_, r)| format!("invalid release name{r}"))
                .unwrap_or(msg);
            return Ok(failed(msg));
        }
    }
    let opts = RenderOptions {
        helm_major: 3,
        release: rel,
        user_values: user,
        kube_version: None,
        api_versions: Vec::new(),
        skip_schema_validation: inp.settings.skip_schema_validation,
        capabilities: Some(capabilities(suite, test)),
        install_checks: false,
        chart_overrides: chart_overrides(inp),
    };
    let prepared = match prepare(inp.chart, &opts) {
        Ok(p) => p,
        Err(e) => return Ok(failed(e.0)),
    };
    let order = select_units(&prepared.units, suite);
    out.executed = order
        .iter()
        .filter(|u| !u.is_partial())
        .map(|u| u.name.clone())
        .collect();
    let set = inp.cache.get(&order);
    let objects: Vec<YV> = test
        .k8s_objects
        .iter()
        .chain(suite.k8s_objects.iter())
        .cloned()
        .collect();
    let exec = ExecOptions {
        helm_major: 3,
        lookup: if objects.is_empty() {
            None
        } else {
            Some(Arc::new(Provider { objects }) as Arc<dyn LookupSource>)
        },
        ..ExecOptions::default()
    };
    let result = match set.as_ref() {
        Ok(set) if inp.settings.coverage => {
            let mut trace = crate::engine::Trace::default();
            let r = execute_units_traced(set, &order, &exec, &mut trace);
            out.hits = trace.hits();
            r.map(|m| m.into_iter().map(|(k, f)| (k, f.output)).collect())
                .map_err(|e| e.helm_message_for(3))
        }
        Ok(set) => execute_units(set, &order, &exec).map_err(|e| e.helm_message_for(3)),
        Err(e) => Err(e.clone()),
    };
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let succeeded;
    match result {
        Ok(m) => {
            files = m;
            succeeded = true;
        }
        Err(msg) => {
            if require_success {
                return Ok(failed(msg));
            }
            let (file, raw) = parse_render_error(&msg);
            if file.is_empty() && raw.is_empty() {
                return Ok(failed(msg));
            }
            let base = file.rsplit('/').next().unwrap_or(&file);
            if base.starts_with('_') {
                let wanted: Vec<String> = if suite.templates.is_empty() {
                    vec!["**".into()]
                } else {
                    suite.templates.clone()
                };
                for t in wanted {
                    files.insert(
                        clean_join(&suite.chart_route, &template_file_name(&t)),
                        raw.clone(),
                    );
                }
            } else {
                files.insert(file, raw);
            }
            succeeded = false;
        }
    }
    let chart_name = prepared.chart.name().to_string();
    let mut parsed = BTreeMap::new();
    let mut keys = Vec::new();
    if suite.include_crds {
        for crd in &prepared.crds {
            let docs = parse_manifests(&String::from_utf8_lossy(&crd.data))?;
            parsed.insert(crd.filename.clone(), docs);
            keys.push(crd.filename.clone());
        }
    }
    for (file, text) in files {
        let key = if file.starts_with(&chart_name) {
            file
        } else {
            clean_join(&chart_name, &file)
        };
        keys.push(key.clone());
        if !succeeded {
            parsed.insert(key, vec![Doc::text(text.trim_start_matches('\n'))]);
            continue;
        }
        let ext = key.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        match ext {
            "yaml" | "yml" | "tpl" => {
                parsed.insert(key, parse_manifests(&text)?);
            }
            "txt" => {
                parsed.insert(key, vec![Doc::text(&text)]);
            }
            _ => {}
        }
    }
    Ok(Rendered {
        files: parsed,
        keys,
        succeeded,
        error: None,
    })
}

/// The templates an assertion looks at: its own `template`, the test's `templates` or
/// `template`, or the suite's (every rendered file when a suite template has a wildcard).
fn templates_for(inp: &JobInput, a: &Assertion, rendered: &Rendered) -> Vec<String> {
    let route = &inp.suite.chart_route;
    let prefix = |ts: Vec<String>| -> Vec<String> {
        ts.iter()
            .map(|t| clean_join(route, &template_file_name(t)))
            .collect()
    };
    if !a.template.is_empty() {
        return prefix(vec![a.template.clone()]);
    }
    if !inp.test.templates.is_empty() {
        return prefix(inp.test.templates.clone());
    }
    if !inp.test.template.is_empty() {
        return prefix(vec![inp.test.template.clone()]);
    }
    let defaults: Vec<String> = if inp.suite.templates.is_empty() {
        vec!["**".into()]
    } else {
        inp.suite.templates.clone()
    };
    if defaults.iter().any(|t| t.contains('*')) {
        let mut keys = rendered.keys.clone();
        keys.sort();
        keys.dedup();
        return keys;
    }
    prefix(defaults)
}

fn select_by_selector(
    sel: &DocSelector,
    docs: &BTreeMap<String, Option<Vec<Doc>>>,
) -> Result<BTreeMap<String, Vec<Doc>>, String> {
    let path = JsonPath::parse(&sel.path).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    let mut total = 0;
    for (t, manifests) in docs {
        let mut chosen = Vec::new();
        for d in manifests.iter().flatten() {
            let hits = if sel.path.is_empty() {
                vec![d.raw.clone()]
            } else {
                path.find(&d.norm).iter().map(|h| h.value()).collect()
            };
            let m = hits.iter().any(|h| match &sel.value {
                None => true,
                Some(v) => deep_equal(v, h),
            });
            if m {
                if !sel.match_many && !chosen.is_empty() {
                    return Err("multiple indexes found".into());
                }
                chosen.push(d.clone());
            }
        }
        if !sel.skip_empty_templates && chosen.is_empty() {
            return Err("document not found".into());
        }
        total += chosen.len();
        if !sel.match_many && total > 1 {
            return Err("multiple indexes found".into());
        }
        if !chosen.is_empty() || !sel.skip_empty_templates {
            out.insert(t.clone(), chosen);
        }
    }
    Ok(out)
}

fn assert_one(
    inp: &JobInput,
    a: &Assertion,
    idx: usize,
    rendered: &Rendered,
    skip_empty: bool,
    snaps: &mut TestSnapshots,
) -> AssertOutcome {
    let mut r = AssertOutcome {
        index: idx,
        kind: a.kind.clone(),
        not: a.not,
        line: a.line,
        passed: false,
        skipped: false,
        lines: Vec::new(),
        diff: None,
    };
    let doc_index = inp.test.document_index.unwrap_or(a.document_index);
    let selector = a
        .document_selector
        .as_ref()
        .or(inp.test.document_selector.as_ref());
    let templates = templates_for(inp, a, rendered);
    let by_template: BTreeMap<String, Option<Vec<Doc>>> = templates
        .iter()
        .map(|t| (t.clone(), rendered.files.get(t).cloned()))
        .collect();
    let selected: Result<BTreeMap<String, Vec<Doc>>, String> = match selector {
        Some(s) if !s.path.is_empty() => select_by_selector(s, &by_template),
        _ if doc_index != -1 => {
            let mut m = BTreeMap::new();
            let mut err = None;
            for (t, docs) in &by_template {
                let docs = docs.as_deref().unwrap_or(&[]);
                if doc_index < 0 || doc_index as usize >= docs.len() {
                    err = Some(format!("document index {doc_index} is out of range"));
                    break;
                }
                m.insert(t.clone(), vec![docs[doc_index as usize].clone()]);
            }
            match err {
                Some(e) => Err(e),
                None => Ok(m),
            }
        }
        _ => Ok(by_template
            .iter()
            .map(|(t, d)| (t.clone(), d.clone().unwrap_or_default()))
            .collect()),
    };
    let selected = match selected {
        Ok(s) => s,
        Err(e) => {
            r.lines = vec!["Error:".into(), e];
            return r;
        }
    };
    if skip_empty && selected.is_empty() {
        r.skipped = true;
        r.passed = true;
        r.lines = vec![
            "skipped as 'documentSelector.skipEmptyTemplates: true' and 'selectedTemplates: empty'"
                .into(),
        ];
        return r;
    }
    let negative = a.not != a.antonym;
    let render_error = rendered.error.as_deref();
    let run = |docs: &[Doc], sel: &[Doc], snaps: &mut TestSnapshots| {
        let mut c = Ctx {
            docs,
            selected: sel,
            negative,
            snapshots: snaps,
            render_error,
            fail_fast: inp.settings.fail_fast,
            all_matches: inp.settings.all_matches,
        };
        validate::validate(a.check, &a.params, &mut c)
    };
    if selected.is_empty() {
        if a.require_success != rendered.succeeded {
            r.lines = vec!["Error: rendered manifest is empty".into()];
            return r;
        }
        let (ok, lines) = run(&[], &[], snaps);
        r.passed = ok;
        r.lines = lines;
        return r;
    }
    let mut passed = false;
    for (i, (t, sel)) in selected.iter().enumerate() {
        let docs = rendered.files.get(t);
        let (add_template, ok, lines) = if docs.is_none() && a.require_success {
            (
                false,
                false,
                vec![
                    "Error:".to_string(),
                    format!("\ttemplate \"{t}\" not exists or not selected in test suite"),
                ],
            )
        } else if a.require_success != rendered.succeeded {
            let l = match docs.and_then(|d| d.first()) {
                Some(d) => format!(
                    "Error: Invalid rendering: {}",
                    d.raw
                        .get("raw")
                        .map(YV::fmt_v)
                        .unwrap_or_else(|| "<nil>".into())
                ),
                None => "Error: rendered manifest is empty".into(),
            };
            (true, false, vec![l])
        } else {
            let all = docs.cloned().unwrap_or_default();
            let (ok, lines) = run(&all, sel, snaps);
            (true, ok, lines)
        };
        if !ok {
            if add_template {
                r.lines.push(format!("Template:\t{t}"));
            }
            r.lines.extend(lines);
        }
        if i == 0 {
            passed = ok;
        }
        passed = passed && ok;
    }
    r.passed = passed;
    let plain_mismatch =
        r.lines.iter().any(|l| l == "Actual:") && !r.lines.iter().any(|l| l == "Error:");
    if !r.passed && plain_mismatch {
        r.diff = expected_actual(a, &selected);
    }
    r
}

/// For a failed value comparison, the expected and the first actual value as YAML, so the
/// report can show a coloured diff.
fn expected_actual(
    a: &Assertion,
    selected: &BTreeMap<String, Vec<Doc>>,
) -> Option<(String, String)> {
    use super::suite::Check;
    let expected = match a.check {
        Check::IsSubset => a.params.content.clone()?,
        Check::Contains => YV::Seq(vec![a.params.content.clone()?]),
        _ => return None,
    };
    if a.not != a.antonym {
        return None;
    }
    let doc = selected.values().flatten().next()?;
    let actual = validate::lookup(doc, &a.params.path)
        .ok()?
        .into_iter()
        .next()?;
    let actual = match actual {
        YV::Str(s) => YV::Str(validate::uniform(&s)),
        o => o,
    };
    Some((
        super::yval::to_yaml(&expected),
        super::yval::to_yaml(&actual),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_errors_split_like_helm_unittest() {
        let (f, raw) = parse_render_error(
            "execution error at (basic/templates/deployment.yaml:5:7): Value required",
        );
        assert_eq!(f, "basic/templates/deployment.yaml");
        assert_eq!(raw, "Value required");
        let (f, raw) = parse_render_error("template: c/templates/x.yaml:3:4: executing \"c/templates/x.yaml\" at <.Values.a.b>: nil pointer evaluating interface {}.b");
        assert_eq!(f, "c/templates/x.yaml");
        assert_eq!(raw, "nil pointer evaluating interface {}.b");
    }

    #[test]
    fn template_patterns() {
        let p = template_pattern(&clean_join("c", &template_file_name("*.yaml"))).unwrap();
        assert!(p.is_match("c/templates/a.yaml"));
        assert!(!p.is_match("c/charts/s/templates/a.yaml"));
        assert_eq!(
            template_file_name("deployment.yaml"),
            "templates/deployment.yaml"
        );
        assert_eq!(
            template_file_name("charts/x/templates/a.yaml"),
            "charts/x/templates/a.yaml"
        );
    }

    #[test]
    fn manifests_split_and_skip_empty_documents() {
        let d = parse_manifests("# c\n---\na: 1\n---\n\n---\nb: 2\n---\n{}\n").unwrap();
        assert_eq!(d.len(), 2);
        assert!(parse_manifests("just text").is_err());
    }
}
