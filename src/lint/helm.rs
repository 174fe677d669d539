//! helm lint's chart-level rules (Chart.yaml, values.yaml, templates/, dependencies, crds/),
//! with helm 4.1.4's messages and levels. Paths are relative to the chart, as helm prints them.

use std::path::Path;

use crate::chart::metadata::Metadata;
use crate::chart::semver::{constraint_matches, Version};
use crate::chart::Chart;
use crate::engine::value::Value;

use super::finding::{Finding, Severity};

fn f(rule: &str, sev: Severity, file: &str, msg: impl Into<String>) -> Finding {
    Finding::chart(rule, sev, file, 0, msg.into())
}

fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Map(..) => "map[string]interface {}",
        Value::List(..) => "[]interface {}",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Nil | Value::Missing => "<nil>",
        _ => "float64",
    }
}

/// govalidator's IsRequestURL: parses as an absolute URL with a scheme.
fn is_request_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| !u.scheme().is_empty())
}

/// govalidator's IsURL, approximately: a URL with a host, scheme optional.
fn is_url(s: &str) -> bool {
    if s.is_empty() || s.len() >= 2083 || s.starts_with('.') || s.contains(' ') {
        return false;
    }
    let with_scheme = if s.contains("://") {
        s.to_string()
    } else {
        format!("http://{s}")
    };
    url::Url::parse(&with_scheme).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

/// govalidator's IsEmail, approximately (its HTML5 pattern).
fn is_email(s: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")
            .expect("static regex")
    })
    .is_match(s)
}

/// Masterminds' StrictNewVersion: exactly MAJOR.MINOR.PATCH with optional pre-release and
/// build metadata, no `v`, no leading zeros.
fn is_strict_semver(s: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
            .expect("static regex")
    })
    .is_match(s)
}

const METADATA_KEYS: &[&str] = &[
    "name",
    "home",
    "sources",
    "version",
    "description",
    "keywords",
    "maintainers",
    "icon",
    "apiVersion",
    "condition",
    "tags",
    "appVersion",
    "deprecated",
    "annotations",
    "kubeVersion",
    "dependencies",
    "type",
];

/// helm's `rules.Chartfile`, each finding placed on the line of the key it is about.
pub fn chartfile(dir: &Path) -> Vec<Finding> {
    let mut out = chartfile_rules(dir);
    let text = std::fs::read_to_string(dir.join("Chart.yaml")).unwrap_or_default();
    let root = crate::engine::yaml::parse_nodes(&text)
        .ok()
        .and_then(|d| d.into_iter().next());
    if let Some(root) = root {
        for f in &mut out {
            let key = [
                ("name", "name "),
                ("name", "chart name"),
                ("apiVersion", "apiVersion"),
                ("version", "version"),
                ("appVersion", "appVersion"),
                ("maintainers", "a maintainer"),
                ("maintainers", "each maintainer"),
                ("maintainers", "invalid email"),
                ("maintainers", "invalid url"),
                ("sources", "invalid source"),
                ("icon", "invalid icon"),
                ("type", "chart type"),
                ("dependencies", "dependencies are"),
            ]
            .iter()
            .find(|(_, prefix)| f.message.starts_with(prefix))
            .map(|(k, _)| *k);
            let key = key.or_else(|| {
                f.message
                    .split("unknown field \"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
            });
            if let Some(k) = key {
                if let Some(l) = super::objects::key_line(&root, k) {
                    f.line = l;
                }
            }
        }
    }
    out
}

fn chartfile_rules(dir: &Path) -> Vec<Finding> {
    let mut out = Vec::new();
    let file = "Chart.yaml";
    let rule = "chart-yaml";
    let path = dir.join(file);
    if path.is_dir() {
        out.push(f(
            rule,
            Severity::Error,
            file,
            "should be a file, not a directory",
        ));
    }
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            let abs = std::fs::canonicalize(dir)
                .unwrap_or_else(|_| dir.to_path_buf())
                .join(file);
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                "no such file or directory".to_string()
            } else {
                e.to_string()
            };
            out.push(f(
                rule,
                Severity::Error,
                file,
                format!("unable to parse YAML\n\topen {}: {why}", abs.display()),
            ));
            return out;
        }
    };
    let v = match crate::engine::yaml::parse(&text) {
        Ok(v) => v,
        Err(e) => {
            out.push(f(
                rule,
                Severity::Error,
                file,
                format!("unable to parse YAML\n\t{e}"),
            ));
            return out;
        }
    };
    let mut md = Metadata::default();
    if let Err(e) = md.decode_onto(&v) {
        out.push(f(
            rule,
            Severity::Error,
            file,
            format!("unable to parse YAML\n\t{e}"),
        ));
        return out;
    }
    let map = match &v {
        Value::Map(_, m) => Some(m.clone()),
        _ => None,
    };
    if let Some(m) = &map {
        for (k, _) in m.entries() {
            if !METADATA_KEYS.contains(&k.as_str()) {
                out.push(f(
                    rule,
                    Severity::Warning,
                    file,
                    format!("failed to strictly parse chart metadata file\n\terror unmarshaling JSON: while decoding JSON: json: unknown field \"{k}\""),
                ));
                break;
            }
        }
    }
    let mut err = |m: String| out.push(f(rule, Severity::Error, file, m));
    if md.name.is_empty() {
        err("name is required".into());
    } else if md.name.contains('/') || md.name == "." || md.name == ".." {
        err(format!("chart name {:?} is invalid", md.name));
    }
    if md.api_version.is_empty() {
        err("apiVersion is required. The value must be either \"v1\" or \"v2\"".into());
    } else if md.api_version != "v1" && md.api_version != "v2" {
        err(format!(
            "apiVersion '{}' is not valid. The value must be either \"v1\" or \"v2\"",
            md.api_version
        ));
    }
    for key in ["version", "appVersion"] {
        if let Some(val) = map.as_ref().and_then(|m| m.get(key)) {
            let t = go_type(&val);
            if t != "string" {
                err(format!(
                    "{key} should be of type string but it's of type {t}"
                ));
            }
        }
    }
    if md.version.is_empty() {
        err("version is required".into());
    } else if Version::parse(&md.version).is_err() {
        err(format!("version '{}' is not a valid SemVer", md.version));
    } else if !constraint_matches(">0.0.0-0", &md.version) {
        err(format!(
            "version {} is less than or equal to 0.0.0-0",
            md.version
        ));
    }
    if let Some(ms) = &md.maintainers {
        for m in ms {
            match m {
                None => {
                    err("a maintainer entry is empty".into());
                    break;
                }
                Some(m) if m.name.is_empty() => {
                    err("each maintainer requires a name".into());
                    break;
                }
                Some(m) if !m.email.is_empty() && !is_email(&m.email) => {
                    err(format!(
                        "invalid email '{}' for maintainer '{}'",
                        m.email, m.name
                    ));
                    break;
                }
                Some(m) if !m.url.is_empty() && !is_url(&m.url) => {
                    err(format!(
                        "invalid url '{}' for maintainer '{}'",
                        m.url, m.name
                    ));
                    break;
                }
                _ => {}
            }
        }
    }
    if let Some(src) = &md.sources {
        if let Some(s) = src.iter().find(|s| s.is_empty() || !is_request_url(s)) {
            err(format!("invalid source URL '{s}'"));
        }
    }
    if md.icon.is_empty() {
        out.push(f(rule, Severity::Info, file, "icon is recommended"));
    } else if !is_request_url(&md.icon) {
        out.push(f(
            rule,
            Severity::Error,
            file,
            format!("invalid icon URL '{}'", md.icon),
        ));
    }
    if !md.chart_type.is_empty() && md.api_version != "v2" {
        out.push(f(
            rule,
            Severity::Error,
            file,
            format!(
                "chart type is not valid in apiVersion '{}'. It is valid in apiVersion 'v2'",
                md.api_version
            ),
        ));
    }
    if md.dependencies.as_ref().is_some_and(|d| !d.is_empty()) && md.api_version != "v2" {
        out.push(f(rule, Severity::Error, file, format!("dependencies are not valid in the Chart file with apiVersion '{}'. They are valid in apiVersion 'v2'", md.api_version)));
    }
    if !is_strict_semver(&md.version) {
        out.push(f(
            rule,
            Severity::Warning,
            file,
            format!("version '{}' is not a valid SemVerV2", md.version),
        ));
    }
    out
}

/// The existence and parse part of helm's values rule (schema validation runs per scenario).
/// `Ok(true)` when values.yaml exists and parses.
pub fn values_file(dir: &Path) -> (bool, Vec<Finding>) {
    let p = dir.join("values.yaml");
    let Ok(text) = std::fs::read_to_string(&p) else {
        return (
            false,
            vec![f(
                "values",
                Severity::Info,
                "values.yaml",
                "file does not exist",
            )],
        );
    };
    match crate::chart::load::load_values(&text) {
        Ok(_) => (true, Vec::new()),
        Err(e) => (
            false,
            vec![f(
                "values",
                Severity::Error,
                "values.yaml",
                format!("unable to parse YAML: {e}"),
            )],
        ),
    }
}

/// The directory checks of helm's templates rule. `false` stops template linting.
pub fn templates_dir(dir: &Path) -> (bool, Vec<Finding>) {
    let p = dir.join("templates");
    if !p.exists() {
        return (
            false,
            vec![f(
                "template-render",
                Severity::Warning,
                "templates/",
                "directory does not exist",
            )],
        );
    }
    if !p.is_dir() {
        return (
            false,
            vec![f(
                "template-render",
                Severity::Error,
                "templates/",
                "not a directory",
            )],
        );
    }
    (true, Vec::new())
}

/// helm's extension check on the root chart's templates.
pub fn extensions(chart: &Chart) -> Vec<Finding> {
    chart
        .templates
        .iter()
        .filter_map(|t| {
            let base = t.name.rsplit('/').next().unwrap_or(&t.name);
            let ext = base.rfind('.').map(|i| &base[i..]).unwrap_or("");
            (!matches!(ext, ".yaml" | ".yml" | ".tpl" | ".txt")).then(|| {
                f(
                    "template-extension",
                    Severity::Error,
                    &t.name,
                    format!("file extension '{ext}' not valid. Valid extensions are .yaml, .yml, .tpl, or .txt"),
                )
            })
        })
        .collect()
}

/// helm's dependencies rule.
pub fn dependencies(dir: &Path, chart: &Chart) -> Vec<Finding> {
    let mut out = Vec::new();
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let _ = abs;
    let declared: Vec<&crate::chart::Dependency> = chart.metadata.deps().collect();
    let present: Vec<&str> = chart.dependencies.iter().map(|c| c.name()).collect();
    let missing_meta: Vec<&str> = present
        .iter()
        .copied()
        .filter(|p| !declared.iter().any(|d| d.name == *p))
        .collect();
    if !missing_meta.is_empty() {
        out.push(f(
            "dependencies",
            Severity::Error,
            "Chart.yaml",
            format!(
                "chart metadata is missing these dependencies: {}",
                missing_meta.join(",")
            ),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    let mut shadow = Vec::new();
    for d in &declared {
        let key = if d.alias.is_empty() {
            &d.name
        } else {
            &d.alias
        };
        if !seen.insert(key.clone()) {
            shadow.push(key.clone());
        }
    }
    if !shadow.is_empty() {
        out.push(f(
            "dependencies",
            Severity::Error,
            "Chart.yaml",
            format!(
                "multiple dependencies with name or alias: {}",
                shadow.join(",")
            ),
        ));
    }
    let missing_dir: Vec<&str> = declared
        .iter()
        .filter(|d| !present.contains(&d.name.as_str()))
        .map(|d| d.name.as_str())
        .collect();
    if !missing_dir.is_empty() {
        out.push(f(
            "dependencies",
            Severity::Warning,
            "Chart.yaml",
            format!(
                "chart directory is missing these dependencies: {}",
                missing_dir.join(",")
            ),
        ));
    }
    out
}

/// helm's crds rule: every document in crds/ is an apiextensions.k8s.io
/// CustomResourceDefinition.
pub fn crds(dir: &Path, chart: &Chart) -> Vec<Finding> {
    let p = dir.join("crds");
    if !p.exists() {
        return Vec::new();
    }
    if !p.is_dir() {
        return vec![f("crds", Severity::Error, "crds/", "not a directory")];
    }
    let mut out = Vec::new();
    for file in chart.files.iter().filter(|f| f.name.starts_with("crds/")) {
        let text = String::from_utf8_lossy(&file.data);
        let docs = match crate::engine::yaml::parse_nodes(&text) {
            Ok(d) => d,
            Err(e) => {
                out.push(f(
                    "crds",
                    Severity::Error,
                    &file.name,
                    format!("unable to parse YAML: {e}"),
                ));
                return out;
            }
        };
        for d in docs {
            let Some(o) = super::objects::Object::from_doc(0, d) else {
                continue;
            };
            let line = o.line();
            if !o.api_version.starts_with("apiextensions.k8s.io") {
                out.push(Finding::chart(
                    "crds",
                    Severity::Error,
                    &file.name,
                    line,
                    "apiVersion is not in 'apiextensions.k8s.io'".into(),
                ));
            }
            if o.kind != "CustomResourceDefinition" {
                out.push(Finding::chart(
                    "crds",
                    Severity::Error,
                    &file.name,
                    line,
                    "object kind is not 'CustomResourceDefinition'".into(),
                ));
            }
        }
    }
    out
}

/// helm's top-indent check on a rendered file: the offending first line, if any.
pub fn top_indent(rendered: &str) -> Option<(usize, String)> {
    for (i, line) in rendered.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            return Some((
                i + 1,
                format!(
                    "document starts with an illegal indent: {}, which may cause parsing problems",
                    crate::engine::printf::quote(line)
                ),
            ));
        }
        return None;
    }
    None
}

fn dns1123_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    let re = regex::Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").expect("static regex");
    if !re.is_match(s) {
        errs.push("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')".into());
    }
    errs
}

fn dns1123_subdomain(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push("must be no more than 253 characters".to_string());
    }
    let re =
        regex::Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
            .expect("static regex");
    if !re.is_match(s) {
        errs.push("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".into());
    }
    errs
}

fn dns1035_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    let re = regex::Regex::new(r"^[a-z]([-a-z0-9]*[a-z0-9])?$").expect("static regex");
    if !re.is_match(s) {
        errs.push("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')".into());
    }
    errs
}

fn path_segment(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s == "." || s == ".." {
        errs.push(format!("may not be '{s}'"));
    }
    for bad in ["/", "%"] {
        if s.contains(bad) {
            errs.push(format!("may not contain '{bad}'"));
        }
    }
    errs
}

/// helm's object name check: the message when `name` does not suit `kind`.
pub fn object_name(kind: &str, name: &str) -> Option<String> {
    let errs = match kind.to_ascii_lowercase().as_str() {
        "service" => dns1035_label(name),
        "namespace" => dns1123_label(name),
        "certificatesigningrequest" => Vec::new(),
        "role" | "clusterrole" | "rolebinding" | "clusterrolebinding" => path_segment(name),
        _ => dns1123_subdomain(name),
    };
    if errs.is_empty() {
        return None;
    }
    let q = crate::engine::printf::quote(name);
    let list: Vec<String> = errs
        .iter()
        .map(|e| format!("metadata.name: Invalid value: {q}: {e}"))
        .collect();
    let agg = if list.len() == 1 {
        list[0].clone()
    } else {
        format!("[{}]", list.join(", "))
    };
    Some(format!(
        "object name does not conform to Kubernetes naming requirements: {q}: {agg}"
    ))
}
