//! helm-unittest's suite format, read with positions so every mistake names its line.
//!
//! A suite file may hold several `---`-separated suites. Keys follow helm-unittest: suite
//! `suite`, `values`, `set`, `templates`, `excludeTemplates`, `includeCrds`, `release`,
//! `capabilities`, `chart`, `kubernetesProvider`, `skip`, `snapshotId`, `postRenderer`,
//! `tests`; test `it`, `values`, `set`, `template`, `templates`, `documentIndex`,
//! `documentSelector`, `release`, `capabilities`, `chart`, `kubernetesProvider`, `skip`,
//! `postRenderer`, `asserts`. Unknown keys are ignored unless `--strict`.

use std::path::{Path, PathBuf};

use crate::engine::yaml::{Node, NodeKind, ScalarStyle};

use super::yval::{from_node, parse_documents, YV};

/// A mistake in a suite file, with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuiteError {
    /// The suite file.
    pub file: PathBuf,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for SuiteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
        } else {
            write!(f, "{}: {}", self.file.display(), self.message)
        }
    }
}

/// `release:`
#[derive(Clone, Debug, Default)]
pub struct ReleaseSpec {
    /// `name`
    pub name: String,
    /// `namespace`
    pub namespace: String,
    /// `revision`
    pub revision: i64,
    /// `upgrade`
    pub upgrade: bool,
}

/// `chart:`
#[derive(Clone, Debug, Default)]
pub struct ChartSpec {
    /// `version`
    pub version: String,
    /// `appVersion`
    pub app_version: String,
}

/// `capabilities.apiVersions` as written: absent, `null`, or a list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ApiVersions {
    /// The key is absent.
    #[default]
    Absent,
    /// The key is present with no value: the suite's list is dropped for this test.
    Null,
    /// A list.
    List(Vec<String>),
}

/// `capabilities:`
#[derive(Clone, Debug, Default)]
pub struct CapSpec {
    /// `majorVersion`
    pub major: String,
    /// `minorVersion`
    pub minor: String,
    /// `apiVersions`
    pub api_versions: ApiVersions,
}

/// `documentSelector:`
#[derive(Clone, Debug)]
pub struct DocSelector {
    /// `path`
    pub path: String,
    /// `value` (any document with the path matches when absent)
    pub value: Option<YV>,
    /// `matchMany`
    pub match_many: bool,
    /// `skipEmptyTemplates`
    pub skip_empty_templates: bool,
}

/// One suite.
#[derive(Clone, Debug, Default)]
pub struct Suite {
    /// The file it came from.
    pub file: PathBuf,
    /// The line its document starts on.
    pub line: usize,
    /// `suite`
    pub name: String,
    /// `values` (relative to the suite file), then the command line's `-v` files.
    pub values: Vec<String>,
    /// `set`, in file order.
    pub set: Vec<(String, YV, usize)>,
    /// `templates`
    pub templates: Vec<String>,
    /// `excludeTemplates`
    pub exclude_templates: Vec<String>,
    /// `includeCrds`
    pub include_crds: bool,
    /// `release`
    pub release: ReleaseSpec,
    /// `chart`
    pub chart: ChartSpec,
    /// `capabilities`
    pub capabilities: CapSpec,
    /// `kubernetesProvider.objects`
    pub k8s_objects: Vec<YV>,
    /// `skip.reason`
    pub skip: Option<String>,
    /// `snapshotId`
    pub snapshot_id: String,
    /// `tests`
    pub tests: Vec<Test>,
    /// Which chart of the dependency tree the suite belongs to (`root`, `root/charts/sub`).
    pub chart_route: String,
}

/// One test.
#[derive(Clone, Debug, Default)]
pub struct Test {
    /// Line of the test's first key.
    pub line: usize,
    /// `it`
    pub name: String,
    /// `values`
    pub values: Vec<String>,
    /// `set`
    pub set: Vec<(String, YV, usize)>,
    /// `template`
    pub template: String,
    /// `templates`
    pub templates: Vec<String>,
    /// `documentIndex`
    pub document_index: Option<i64>,
    /// `documentSelector`
    pub document_selector: Option<DocSelector>,
    /// `release`
    pub release: ReleaseSpec,
    /// `chart`
    pub chart: ChartSpec,
    /// `capabilities`
    pub capabilities: CapSpec,
    /// `kubernetesProvider.objects`
    pub k8s_objects: Vec<YV>,
    /// `skip.reason`
    pub skip: Option<String>,
    /// `asserts`
    pub asserts: Vec<Assertion>,
}

/// One assertion.
#[derive(Clone, Debug)]
pub struct Assertion {
    /// Line of the assertion.
    pub line: usize,
    /// The assertion type as written (`notEqual`, `isNull`, …).
    pub kind: String,
    /// What it checks.
    pub check: Check,
    /// Whether the type is the negated form (`notEqual`).
    pub antonym: bool,
    /// Whether the assertion needs the render to succeed (all but `failedTemplate`).
    pub require_success: bool,
    /// `not`
    pub not: bool,
    /// `template`
    pub template: String,
    /// `documentIndex` (-1 when absent)
    pub document_index: i64,
    /// `documentSelector`
    pub document_selector: Option<DocSelector>,
    /// The compiled JSONPath of `path`, checked when the suite is read.
    pub params: Params,
}

/// The validator an assertion type maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// `equal`, `notEqual`
    Equal,
    /// `greaterOrEqual`, `notGreaterOrEqual`
    GreaterOrEqual,
    /// `lessOrEqual`, `notLessOrEqual`
    LessOrEqual,
    /// `equalRaw`, `notEqualRaw`
    EqualRaw,
    /// `exists`, `notExists`, `isNull`, `isNotNull`
    Exists,
    /// `matchRegex`, `notMatchRegex`
    MatchRegex,
    /// `matchRegexRaw`, `notMatchRegexRaw`
    MatchRegexRaw,
    /// `contains`, `notContains`
    Contains,
    /// `isKind`
    IsKind,
    /// `isAPIVersion`
    IsApiVersion,
    /// `hasDocuments`
    HasDocuments,
    /// `isSubset`, `isNotSubset`
    IsSubset,
    /// `isNullOrEmpty`, `isNotNullOrEmpty`, `isEmpty`, `isNotEmpty`
    IsNullOrEmpty,
    /// `failedTemplate`, `notFailedTemplate`
    FailedTemplate,
    /// `containsDocument`
    ContainsDocument,
    /// `lengthEqual`, `notLengthEqual`
    LengthEqual,
    /// `isType`, `isNotType`
    IsType,
    /// `matchSnapshot`
    MatchSnapshot,
    /// `matchSnapshotRaw`
    MatchSnapshotRaw,
}

/// Every assertion type: (name, check, antonym, needs a successful render).
pub const ASSERT_TYPES: &[(&str, Check, bool, bool)] = &[
    ("matchSnapshot", Check::MatchSnapshot, false, true),
    ("matchSnapshotRaw", Check::MatchSnapshotRaw, false, true),
    ("equal", Check::Equal, false, true),
    ("notEqual", Check::Equal, true, true),
    ("greaterOrEqual", Check::GreaterOrEqual, false, true),
    ("notGreaterOrEqual", Check::GreaterOrEqual, true, true),
    ("lessOrEqual", Check::LessOrEqual, false, true),
    ("notLessOrEqual", Check::LessOrEqual, true, true),
    ("equalRaw", Check::EqualRaw, false, true),
    ("notEqualRaw", Check::EqualRaw, true, true),
    ("exists", Check::Exists, false, true),
    ("notExists", Check::Exists, true, true),
    ("matchRegex", Check::MatchRegex, false, true),
    ("notMatchRegex", Check::MatchRegex, true, true),
    ("matchRegexRaw", Check::MatchRegexRaw, false, true),
    ("notMatchRegexRaw", Check::MatchRegexRaw, true, true),
    ("contains", Check::Contains, false, true),
    ("notContains", Check::Contains, true, true),
    ("isKind", Check::IsKind, false, true),
    ("isAPIVersion", Check::IsApiVersion, false, true),
    ("hasDocuments", Check::HasDocuments, false, true),
    ("isSubset", Check::IsSubset, false, true),
    ("isNotSubset", Check::IsSubset, true, true),
    ("isNullOrEmpty", Check::IsNullOrEmpty, false, true),
    ("isNotNullOrEmpty", Check::IsNullOrEmpty, true, true),
    ("failedTemplate", Check::FailedTemplate, false, false),
    ("notFailedTemplate", Check::FailedTemplate, true, true),
    ("containsDocument", Check::ContainsDocument, false, true),
    ("lengthEqual", Check::LengthEqual, false, true),
    ("notLengthEqual", Check::LengthEqual, true, true),
    ("isNull", Check::Exists, true, true),
    ("isNotNull", Check::Exists, false, true),
    ("isEmpty", Check::IsNullOrEmpty, false, true),
    ("isNotEmpty", Check::IsNullOrEmpty, true, true),
    ("isType", Check::IsType, false, true),
    ("isNotType", Check::IsType, true, true),
];

/// The parameters of an assertion (each validator reads the ones it knows; helm-unittest
/// decodes them with mapstructure, matching names case-insensitively).
#[derive(Clone, Debug, Default)]
pub struct Params {
    /// `path`
    pub path: String,
    /// `paths`
    pub paths: Vec<String>,
    /// `value` (`None` when absent, which Go sees as nil)
    pub value: Option<YV>,
    /// `content`
    pub content: Option<YV>,
    /// `count`
    pub count: Option<i64>,
    /// `any`
    pub any: bool,
    /// `pattern`
    pub pattern: String,
    /// `decodeBase64`
    pub decode_base64: bool,
    /// `of`
    pub of: String,
    /// `filterAware`
    pub filter_aware: bool,
    /// `errorMessage`
    pub error_message: String,
    /// `errorPattern`
    pub error_pattern: String,
    /// `kind`
    pub kind: String,
    /// `apiVersion`
    pub api_version: String,
    /// `name`
    pub name: String,
    /// `namespace`
    pub namespace: String,
    /// `type`
    pub type_name: String,
    /// `matchRegex.pattern` (snapshots)
    pub snapshot_match: String,
    /// `notMatchRegex.pattern` (snapshots)
    pub snapshot_not_match: String,
}

/// How strictly to read.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions {
    /// `--strict`: unknown keys are errors.
    pub strict: bool,
}

struct Ctx<'a> {
    file: &'a Path,
    strict: bool,
}

impl Ctx<'_> {
    fn err(&self, line: usize, message: impl Into<String>) -> SuiteError {
        SuiteError {
            file: self.file.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    fn value(&self, n: &Node) -> Result<YV, SuiteError> {
        from_node(n).map_err(|e| self.err(e.line, e.message))
    }

    fn string(&self, n: &Node, what: &str) -> Result<String, SuiteError> {
        match self.value(n)? {
            YV::Null => Ok(String::new()),
            YV::Str(s) => Ok(s),
            // go-yaml writes the scalar's text into a string field.
            v @ (YV::Int(_) | YV::Uint(_) | YV::Float(_) | YV::Bool(_) | YV::Time(_)) => {
                Ok(scalar_text(n).unwrap_or_else(|| v.scalar_text()))
            }
            other => Err(self.err(
                n.line,
                format!("{what}: expected a string, got {}", describe(&other)),
            )),
        }
    }

    fn bool(&self, n: &Node, what: &str) -> Result<bool, SuiteError> {
        match self.value(n)? {
            YV::Null => Ok(false),
            YV::Bool(b) => Ok(b),
            other => Err(self.err(
                n.line,
                format!("{what}: expected true or false, got {}", describe(&other)),
            )),
        }
    }

    fn int(&self, n: &Node, what: &str) -> Result<i64, SuiteError> {
        match self.value(n)? {
            YV::Null => Ok(0),
            YV::Int(i) => Ok(i),
            other => Err(self.err(
                n.line,
                format!("{what}: expected an integer, got {}", describe(&other)),
            )),
        }
    }

    fn strings(&self, n: &Node, what: &str) -> Result<Vec<String>, SuiteError> {
        let n = deref(n);
        match &n.kind {
            NodeKind::Sequence(items) => items.iter().map(|i| self.string(i, what)).collect(),
            NodeKind::Scalar { value, style }
                if value.is_empty() && *style == ScalarStyle::Plain =>
            {
                Ok(Vec::new())
            }
            _ => Err(self.err(n.line, format!("{what}: expected a list of strings"))),
        }
    }

    fn entries<'n>(
        &self,
        n: &'n Node,
        what: &str,
    ) -> Result<Vec<(&'n Node, &'n Node)>, SuiteError> {
        let n = deref(n);
        match &n.kind {
            NodeKind::Mapping(e) => Ok(e.iter().map(|(k, v)| (deref(k), deref(v))).collect()),
            NodeKind::Scalar { value, style }
                if value.is_empty() && *style == ScalarStyle::Plain =>
            {
                Ok(Vec::new())
            }
            _ => Err(self.err(n.line, format!("{what}: expected a mapping"))),
        }
    }

    fn unknown(&self, k: &Node, key: &str, within: &str) -> Result<(), SuiteError> {
        if self.strict {
            return Err(self.err(k.line, format!("field {key} not found in {within}")));
        }
        Ok(())
    }
}

fn deref(n: &Node) -> &Node {
    match &n.kind {
        NodeKind::Alias {
            target: Some(t), ..
        } => deref(t),
        _ => n,
    }
}

fn scalar_text(n: &Node) -> Option<String> {
    match &deref(n).kind {
        NodeKind::Scalar { value, .. } => Some(value.clone()),
        _ => None,
    }
}

fn key_text(k: &Node) -> String {
    scalar_text(k).unwrap_or_default()
}

fn describe(v: &YV) -> String {
    match v {
        YV::Seq(_) => "a list".into(),
        YV::Map(_) => "a mapping".into(),
        other => format!("{} {:?}", other.go_type(), other.fmt_v()),
    }
}

/// Reads every suite of a suite file.
pub fn read_suites(
    file: &Path,
    text: &str,
    chart_route: &str,
    opts: ReadOptions,
) -> Result<Vec<Suite>, SuiteError> {
    let ctx = Ctx {
        file,
        strict: opts.strict,
    };
    let docs = parse_documents(text).map_err(|e| ctx.err(e.line, e.message))?;
    let mut out = Vec::new();
    for doc in &docs {
        let doc = deref(doc);
        if let NodeKind::Scalar { value, .. } = &doc.kind {
            if value.is_empty() {
                continue;
            }
        }
        let mut suite = read_suite(&ctx, doc)?;
        suite.chart_route = chart_route.to_string();
        out.push(suite);
    }
    Ok(out)
}

fn read_suite(ctx: &Ctx, doc: &Node) -> Result<Suite, SuiteError> {
    let mut s = Suite {
        file: ctx.file.to_path_buf(),
        line: doc.line,
        ..Suite::default()
    };
    let mut tests_node = None;
    for (k, v) in ctx.entries(doc, "suite")? {
        let key = key_text(k);
        match key.as_str() {
            "suite" => s.name = ctx.string(v, "suite")?,
            "values" => s.values = ctx.strings(v, "values")?,
            "set" => s.set = read_set(ctx, v)?,
            "templates" => s.templates = ctx.strings(v, "templates")?,
            "excludeTemplates" => s.exclude_templates = ctx.strings(v, "excludeTemplates")?,
            "includeCrds" => s.include_crds = ctx.bool(v, "includeCrds")?,
            "release" => s.release = read_release(ctx, v)?,
            "chart" => s.chart = read_chart(ctx, v)?,
            "capabilities" => s.capabilities = read_caps(ctx, v)?,
            "kubernetesProvider" => s.k8s_objects = read_provider(ctx, v)?,
            "skip" => {
                let (reason, min) = read_skip(ctx, v)?;
                s.skip = reason;
                if let Some(min) = min {
                    if s.skip.is_none() && !plugin_version_meets(&min) {
                        s.skip = Some(format!(
                            "Test suite requires minimum unittest plugin version {min}, but current version is {PLUGIN_VERSION}"
                        ));
                    }
                }
            }
            "snapshotId" => s.snapshot_id = ctx.string(v, "snapshotId")?,
            "postRenderer" => {
                return Err(ctx.err(
                    k.line,
                    "postRenderer is not supported by posthog-charttest (it runs an external command); remove it or run this suite with helm-unittest",
                ))
            }
            "tests" => tests_node = Some(v),
            _ => ctx.unknown(k, &key, "the suite")?,
        }
    }
    let Some(tests) = tests_node else {
        return Err(ctx.err(doc.line, "no tests found"));
    };
    let tests = deref(tests);
    let items = match &tests.kind {
        NodeKind::Sequence(items) => items,
        NodeKind::Scalar { value, .. } if value.is_empty() => {
            return Err(ctx.err(tests.line, "no tests found"))
        }
        _ => return Err(ctx.err(tests.line, "tests: expected a list of tests")),
    };
    if items.is_empty() {
        return Err(ctx.err(tests.line, "no tests found"));
    }
    for t in items {
        s.tests.push(read_test(ctx, deref(t))?);
    }
    Ok(s)
}

fn read_set(ctx: &Ctx, v: &Node) -> Result<Vec<(String, YV, usize)>, SuiteError> {
    ctx.entries(v, "set")?
        .into_iter()
        .map(|(k, v)| Ok((key_text(k), ctx.value(v)?, k.line)))
        .collect()
}

fn read_release(ctx: &Ctx, v: &Node) -> Result<ReleaseSpec, SuiteError> {
    let mut r = ReleaseSpec::default();
    for (k, v) in ctx.entries(v, "release")? {
        let key = key_text(k);
        match key.as_str() {
            "name" => r.name = ctx.string(v, "release.name")?,
            "namespace" => r.namespace = ctx.string(v, "release.namespace")?,
            "revision" => r.revision = ctx.int(v, "release.revision")?,
            "upgrade" => r.upgrade = ctx.bool(v, "release.upgrade")?,
            _ => ctx.unknown(k, &key, "release")?,
        }
    }
    Ok(r)
}

fn read_chart(ctx: &Ctx, v: &Node) -> Result<ChartSpec, SuiteError> {
    let mut c = ChartSpec::default();
    for (k, v) in ctx.entries(v, "chart")? {
        let key = key_text(k);
        match key.as_str() {
            "version" => c.version = ctx.string(v, "chart.version")?,
            "appVersion" => c.app_version = ctx.string(v, "chart.appVersion")?,
            _ => ctx.unknown(k, &key, "chart")?,
        }
    }
    Ok(c)
}

fn read_caps(ctx: &Ctx, v: &Node) -> Result<CapSpec, SuiteError> {
    let mut c = CapSpec::default();
    for (k, v) in ctx.entries(v, "capabilities")? {
        let key = key_text(k);
        match key.as_str() {
            // helm-unittest keeps ints and strings, anything else becomes "".
            "majorVersion" | "minorVersion" => {
                let text = match ctx.value(v)? {
                    YV::Str(s) => s,
                    YV::Int(i) => i.to_string(),
                    _ => String::new(),
                };
                if key == "majorVersion" {
                    c.major = text;
                } else {
                    c.minor = text;
                }
            }
            "apiVersions" => {
                c.api_versions = match ctx.value(v)? {
                    YV::Null => ApiVersions::Null,
                    YV::Seq(items) => ApiVersions::List(
                        items
                            .into_iter()
                            .filter_map(|i| match i {
                                YV::Str(s) => Some(s),
                                _ => None,
                            })
                            .collect(),
                    ),
                    _ => ApiVersions::Null,
                }
            }
            _ => ctx.unknown(k, &key, "capabilities")?,
        }
    }
    Ok(c)
}

fn read_provider(ctx: &Ctx, v: &Node) -> Result<Vec<YV>, SuiteError> {
    let mut objects = Vec::new();
    for (k, v) in ctx.entries(v, "kubernetesProvider")? {
        let key = key_text(k);
        match key.as_str() {
            "objects" => match ctx.value(v)? {
                YV::Seq(items) => {
                    for (i, o) in items.into_iter().enumerate() {
                        if !matches!(o, YV::Map(_)) {
                            return Err(ctx.err(
                                v.line,
                                format!("kubernetesProvider.objects[{i}]: expected a mapping"),
                            ));
                        }
                        objects.push(o);
                    }
                }
                YV::Null => {}
                _ => return Err(ctx.err(v.line, "kubernetesProvider.objects: expected a list")),
            },
            // The fake client's scheme only routes requests; lookups here answer from the
            // objects directly.
            "scheme" => {}
            _ => ctx.unknown(k, &key, "kubernetesProvider")?,
        }
    }
    Ok(objects)
}

fn read_skip(ctx: &Ctx, v: &Node) -> Result<(Option<String>, Option<String>), SuiteError> {
    let mut reason = None;
    let mut min = None;
    for (k, v) in ctx.entries(v, "skip")? {
        let key = key_text(k);
        match key.as_str() {
            "reason" => {
                let r = ctx.string(v, "skip.reason")?;
                if !r.is_empty() {
                    reason = Some(r);
                }
            }
            "minimumVersion" => {
                let m = ctx.string(v, "skip.minimumVersion")?;
                if !m.is_empty() {
                    min = Some(m);
                }
            }
            _ => ctx.unknown(k, &key, "skip")?,
        }
    }
    Ok((reason, min))
}

/// The helm-unittest version whose format this runner implements, for `skip.minimumVersion`.
pub const PLUGIN_VERSION: &str = "1.1.0";

fn plugin_version_meets(min: &str) -> bool {
    let parse = |s: &str| -> Option<(u64, u64, u64)> {
        let s = s.trim().trim_start_matches('v');
        let core = s.split(['-', '+']).next()?;
        let mut it = core.split('.').map(|p| p.parse::<u64>());
        let a = it.next()?.ok()?;
        let b = it.next().unwrap_or(Ok(0)).ok()?;
        let c = it.next().unwrap_or(Ok(0)).ok()?;
        Some((a, b, c))
    };
    match (parse(PLUGIN_VERSION), parse(min)) {
        (Some(cur), Some(m)) => cur >= m,
        _ => false,
    }
}

fn read_selector(ctx: &Ctx, v: &Node) -> Result<DocSelector, SuiteError> {
    let mut sel = DocSelector {
        path: String::new(),
        value: None,
        match_many: false,
        skip_empty_templates: false,
    };
    let mut has_path = false;
    for (k, v) in ctx.entries(v, "documentSelector")? {
        match key_text(k).as_str() {
            "path" => {
                if let YV::Str(p) = ctx.value(v)? {
                    sel.path = p;
                    has_path = true;
                }
            }
            "value" => {
                let val = ctx.value(v)?;
                sel.value = if matches!(val, YV::Null) {
                    None
                } else {
                    Some(val)
                };
            }
            "matchMany" => sel.match_many = matches!(ctx.value(v)?, YV::Bool(true)),
            "skipEmptyTemplates" => {
                sel.skip_empty_templates = matches!(ctx.value(v)?, YV::Bool(true))
            }
            other => ctx.unknown(k, other, "documentSelector")?,
        }
    }
    if !has_path {
        return Err(ctx.err(v.line, "empty 'documentSelector.path' not supported"));
    }
    check_path(ctx, v.line, &sel.path)?;
    Ok(sel)
}

fn check_path(ctx: &Ctx, line: usize, path: &str) -> Result<(), SuiteError> {
    super::jsonpath::Path::parse(path)
        .map(|_| ())
        .map_err(|e| ctx.err(line, format!("bad JSONPath {path:?}: {e}")))
}

fn read_test(ctx: &Ctx, n: &Node) -> Result<Test, SuiteError> {
    let mut t = Test {
        line: n.line,
        ..Test::default()
    };
    let mut asserts = None;
    for (k, v) in ctx.entries(n, "test")? {
        let key = key_text(k);
        match key.as_str() {
            "it" => t.name = ctx.string(v, "it")?,
            "values" => t.values = ctx.strings(v, "values")?,
            "set" => t.set = read_set(ctx, v)?,
            "template" => t.template = ctx.string(v, "template")?,
            "templates" => t.templates = ctx.strings(v, "templates")?,
            "documentIndex" => {
                if !matches!(ctx.value(v)?, YV::Null) {
                    t.document_index = Some(ctx.int(v, "documentIndex")?);
                }
            }
            "documentSelector" => {
                if !matches!(ctx.value(v)?, YV::Null) {
                    t.document_selector = Some(read_selector(ctx, v)?);
                }
            }
            "release" => t.release = read_release(ctx, v)?,
            "chart" => t.chart = read_chart(ctx, v)?,
            "capabilities" => t.capabilities = read_caps(ctx, v)?,
            "kubernetesProvider" => t.k8s_objects = read_provider(ctx, v)?,
            "skip" => t.skip = read_skip(ctx, v)?.0,
            "postRenderer" => {
                return Err(ctx.err(
                    k.line,
                    "postRenderer is not supported by posthog-charttest (it runs an external command); remove it or run this suite with helm-unittest",
                ))
            }
            "asserts" => asserts = Some(v),
            _ => ctx.unknown(k, &key, "the test")?,
        }
    }
    let list: &[Node] = match asserts.map(|a| &a.kind) {
        Some(NodeKind::Sequence(items)) => items,
        Some(NodeKind::Scalar { value, .. }) if value.is_empty() => &[],
        None => &[],
        Some(_) => {
            return Err(ctx.err(
                asserts.map(|a| a.line).unwrap_or(n.line),
                "asserts: expected a list of assertions",
            ))
        }
    };
    if list.is_empty() {
        return Err(ctx.err(n.line, format!("no asserts found in test {:?}", t.name)));
    }
    for a in list {
        t.asserts.push(read_assertion(ctx, deref(a))?);
    }
    Ok(t)
}

fn read_assertion(ctx: &Ctx, n: &Node) -> Result<Assertion, SuiteError> {
    let entries = ctx.entries(n, "assertion")?;
    let mut a = Assertion {
        line: n.line,
        kind: String::new(),
        check: Check::Equal,
        antonym: false,
        require_success: true,
        not: false,
        template: String::new(),
        document_index: -1,
        document_selector: None,
        params: Params::default(),
    };
    let mut found: Option<(&Node, &Node)> = None;
    for (k, v) in &entries {
        let key = key_text(k);
        match key.as_str() {
            "not" => {
                if let YV::Bool(b) = ctx.value(v)? {
                    a.not = b;
                }
            }
            "template" => {
                if let YV::Str(s) = ctx.value(v)? {
                    a.template = s;
                }
            }
            "documentIndex" => {
                if let YV::Int(i) = ctx.value(v)? {
                    a.document_index = i;
                }
            }
            "documentSelector" => {
                if matches!(ctx.value(v)?, YV::Map(_)) {
                    a.document_selector = Some(read_selector(ctx, v)?);
                }
            }
            _ => {
                if let Some((name, check, antonym, req)) =
                    ASSERT_TYPES.iter().find(|(name, ..)| *name == key)
                {
                    if found.is_some() {
                        return Err(ctx.err(
                            k.line,
                            format!(
                                "assertion type `{}` and `{}` is declared duplicately",
                                a.kind, name
                            ),
                        ));
                    }
                    a.kind = name.to_string();
                    a.check = *check;
                    a.antonym = *antonym;
                    a.require_success = *req;
                    found = Some((k, v));
                }
            }
        }
    }
    let Some((k, v)) = found else {
        for (k, _) in &entries {
            let key = key_text(k);
            if !matches!(
                key.as_str(),
                "template" | "documentIndex" | "not" | "documentSelector"
            ) {
                let hint = suggest(&key)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(ctx.err(k.line, format!("Assertion type `{key}` is invalid{hint}")));
            }
        }
        return Err(ctx.err(n.line, "no assertion type defined"));
    };
    a.params = read_params(ctx, k, v, &a.kind)?;
    if !a.params.path.is_empty() {
        check_path(ctx, v.line, &a.params.path)?;
    }
    for p in &a.params.paths {
        check_path(ctx, v.line, p)?;
    }
    for pat in [
        &a.params.pattern,
        &a.params.snapshot_match,
        &a.params.snapshot_not_match,
    ] {
        if !pat.is_empty() {
            if let Err(e) = regex::Regex::new(pat) {
                return Err(ctx.err(v.line, format!("bad regular expression {pat:?}: {e}")));
            }
        }
    }
    Ok(a)
}

fn suggest(key: &str) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase();
    ASSERT_TYPES
        .iter()
        .map(|(n, ..)| *n)
        .find(|n| n.to_ascii_lowercase() == lower)
        .or_else(|| {
            ASSERT_TYPES
                .iter()
                .map(|(n, ..)| *n)
                .filter(|n| edit_distance(&n.to_ascii_lowercase(), &lower) <= 2)
                .min_by_key(|n| edit_distance(&n.to_ascii_lowercase(), &lower))
        })
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn read_params(ctx: &Ctx, k: &Node, v: &Node, kind: &str) -> Result<Params, SuiteError> {
    let mut p = Params::default();
    let v = deref(v);
    let entries = match &v.kind {
        NodeKind::Mapping(_) => ctx.entries(v, kind)?,
        NodeKind::Scalar { value, style } if value.is_empty() && *style == ScalarStyle::Plain => {
            Vec::new()
        }
        _ => {
            return Err(ctx.err(
                k.line,
                format!("{kind}: expected a mapping of parameters ('{kind}: {{}}' for none)"),
            ))
        }
    };
    let mism =
        |n: &Node, field: &str, want: &str, got: &YV| {
            ctx.err(
                n.line,
                format!(
                "{kind}.{field}: expected type '{want}', got unconvertible type '{}', value: '{}'",
                if got.go_type().is_empty() { "<nil>" } else { got.go_type() },
                got.fmt_v()
            ),
            )
        };
    for (pk, pv) in entries {
        let name = key_text(pk);
        let val = ctx.value(pv)?;
        let s = |field: &str| -> Result<String, SuiteError> {
            match &val {
                YV::Str(s) => Ok(s.clone()),
                YV::Null => Ok(String::new()),
                other => Err(mism(pv, field, "string", other)),
            }
        };
        let b = |field: &str| -> Result<bool, SuiteError> {
            match &val {
                YV::Bool(b) => Ok(*b),
                YV::Null => Ok(false),
                other => Err(mism(pv, field, "bool", other)),
            }
        };
        match name.to_ascii_lowercase().as_str() {
            "path" => p.path = s("path")?,
            "paths" => {
                p.paths = match &val {
                    YV::Seq(items) => items
                        .iter()
                        .map(|i| match i {
                            YV::Str(s) => Ok(s.clone()),
                            other => Err(mism(pv, "paths", "string", other)),
                        })
                        .collect::<Result<_, _>>()?,
                    YV::Null => Vec::new(),
                    other => return Err(mism(pv, "paths", "[]string", other)),
                }
            }
            "value" => p.value = Some(val.clone()),
            "content" => p.content = Some(val.clone()),
            "count" => {
                p.count = match &val {
                    YV::Int(i) => Some(*i),
                    YV::Null => None,
                    other => return Err(mism(pv, "count", "int", other)),
                }
            }
            "any" => p.any = b("any")?,
            "pattern" => p.pattern = s("pattern")?,
            "decodebase64" => p.decode_base64 = b("decodeBase64")?,
            "of" => p.of = s("of")?,
            "filteraware" => p.filter_aware = b("filterAware")?,
            "errormessage" => p.error_message = s("errorMessage")?,
            "errorpattern" => p.error_pattern = s("errorPattern")?,
            "kind" => p.kind = s("kind")?,
            "apiversion" => p.api_version = s("apiVersion")?,
            "name" => p.name = s("name")?,
            "namespace" => p.namespace = s("namespace")?,
            "type" => p.type_name = s("type")?,
            "matchregex" | "notmatchregex" => {
                let pat = match &val {
                    YV::Map(_) => match val.get("pattern").or_else(|| val.get("Pattern")) {
                        Some(YV::Str(s)) => s.trim().to_string(),
                        Some(YV::Null) | None => String::new(),
                        Some(other) => return Err(mism(pv, &name, "string", other)),
                    },
                    YV::Null => String::new(),
                    other => return Err(mism(pv, &name, "map", other)),
                };
                if name.eq_ignore_ascii_case("matchregex") {
                    p.snapshot_match = pat;
                } else {
                    p.snapshot_not_match = pat;
                }
            }
            // mapstructure ignores keys the validator has no field for.
            _ => {
                if ctx.strict {
                    return Err(ctx.err(pk.line, format!("{kind}: unknown parameter `{name}`")));
                }
            }
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Suite>, SuiteError> {
        read_suites(Path::new("t_test.yaml"), text, "c", ReadOptions::default())
    }

    #[test]
    fn reads_a_suite() {
        let s = read(
            "suite: s\ntemplates: [a.yaml]\nset:\n  image.tag: x\ntests:\n  - it: works\n    documentIndex: 1\n    asserts:\n      - equal: {path: a.b, value: 1}\n        not: true\n",
        )
        .unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].tests[0].asserts[0].kind, "equal");
        assert!(s[0].tests[0].asserts[0].not);
        assert_eq!(s[0].tests[0].document_index, Some(1));
        assert_eq!(s[0].set[0].0, "image.tag");
    }

    #[test]
    fn names_the_line_of_mistakes() {
        let e = read("suite: s\ntests:\n  - it: x\n    asserts:\n      - equals: {path: a}\n")
            .unwrap_err();
        assert_eq!(e.line, 5);
        assert!(
            e.message.contains("Assertion type `equals` is invalid"),
            "{e}"
        );
        assert!(e.message.contains("did you mean `equal`"), "{e}");
        let e = read("tests:\n  - it: x\n    asserts:\n      - equal: {path: 'a[?(@.x'}\n")
            .unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.starts_with("bad JSONPath"), "{e}");
        let e = read("suite: s\n").unwrap_err();
        assert_eq!(e.message, "no tests found");
    }
}
