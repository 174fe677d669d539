//! Chart.yaml: the `Metadata`, `Dependency` and `Maintainer` structs, decoded the way helm's
//! `sigs.k8s.io/yaml` decodes them (YAML → JSON → Go struct, with YAML numbers and booleans
//! coerced to strings for string fields), and helm's validation.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::format::{format_float, FloatFmt};
use crate::engine::value::{MapRef, MapType, SliceType, Value};

use super::semver::Version;

/// A maintainer entry of Chart.yaml.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Maintainer {
    /// `name`
    pub name: String,
    /// `email`
    pub email: String,
    /// `url`
    pub url: String,
}

/// A dependency entry of Chart.yaml (or requirements.yaml for apiVersion v1 charts).
#[derive(Clone, Debug, Default)]
pub struct Dependency {
    /// `name`; replaced by the alias once dependencies are processed, as helm does.
    pub name: String,
    /// `version`: a semver range the subchart's version must satisfy.
    pub version: String,
    /// `repository`
    pub repository: String,
    /// `condition`: comma-separated value paths.
    pub condition: String,
    /// `tags`
    pub tags: Vec<String>,
    /// Set while processing dependencies.
    pub enabled: bool,
    /// `import-values`, as written (strings or `{child, parent}` maps); normalised to
    /// `map[string]string` entries once processed.
    pub import_values: Vec<Value>,
    /// `alias`
    pub alias: String,
}

/// The contents of Chart.yaml.
#[derive(Clone, Debug, Default)]
pub struct Metadata {
    /// `name`
    pub name: String,
    /// `home`
    pub home: String,
    /// `sources`; `None` when absent (Go's nil slice).
    pub sources: Option<Vec<String>>,
    /// `version`
    pub version: String,
    /// `description`
    pub description: String,
    /// `keywords`
    pub keywords: Option<Vec<String>>,
    /// `maintainers`; a `None` entry is a YAML null, which validation rejects.
    pub maintainers: Option<Vec<Option<Maintainer>>>,
    /// `icon`
    pub icon: String,
    /// `apiVersion`; `v1` when empty, as helm assumes.
    pub api_version: String,
    /// `condition`
    pub condition: String,
    /// `tags` (a string in Chart.yaml)
    pub tags: String,
    /// `appVersion`
    pub app_version: String,
    /// `deprecated`
    pub deprecated: bool,
    /// `annotations`; `None` when absent.
    pub annotations: Option<BTreeMap<String, String>>,
    /// `kubeVersion`: a semver constraint on the cluster version.
    pub kube_version: String,
    /// `dependencies`; a `None` entry is a YAML null, which validation rejects.
    pub dependencies: Option<Vec<Option<Dependency>>>,
    /// `type`: `application`, `library` or empty.
    pub chart_type: String,
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Map(..) => "object",
        Value::List(..) => "array",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        _ => "number",
    }
}

fn type_err(v: &Value, field: &str, ty: &str) -> String {
    format!(
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go struct field {field} of type {ty}",
        json_kind(v)
    )
}

/// A YAML scalar decoded into a Go `string` field: sigs.k8s.io/yaml turns numbers and booleans
/// into their text first (floats as `strconv.FormatFloat(f, 'g', -1, 32)`, integers in decimal).
pub fn scalar_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Float(f) => Some(float_as_yaml_string(*f)),
        other => other.as_int().map(|i| i.to_string()),
    }
}

/// How sigs.k8s.io/yaml prints a YAML number for a string target. go-yaml hands integers over
/// as ints; this model only has float64, so integral values are printed as integers.
pub fn float_as_yaml_string(f: f64) -> String {
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f.is_nan() {
        return "NaN".into();
    }
    if f.fract() == 0.0 && f.abs() < 9.2e18 {
        return format!("{}", f as i64);
    }
    // Shortest digits of the float32 value, then Go's %g layout for them.
    let short: f64 = format!("{}", f as f32).parse().unwrap_or(f);
    format_float(short, FloatFmt::G)
}

fn dec_string(v: &Value, field: &str) -> Result<Option<String>, String> {
    match v {
        Value::Nil => Ok(None),
        Value::List(..) | Value::Map(..) => Err(type_err(v, field, "string")),
        other => Ok(scalar_to_string(other)),
    }
}

fn dec_bool(v: &Value, field: &str) -> Result<Option<bool>, String> {
    match v {
        Value::Nil => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        other => Err(type_err(other, field, "bool")),
    }
}

fn dec_str_list(v: &Value, field: &str) -> Result<Option<Vec<String>>, String> {
    match v {
        Value::Nil => Ok(None),
        Value::List(_, items) => {
            let mut out = Vec::with_capacity(items.len());
            for it in items.iter() {
                out.push(dec_string(it, field)?.unwrap_or_default());
            }
            Ok(Some(out))
        }
        other => Err(type_err(other, field, "[]string")),
    }
}

fn fields(v: &Value, ty: &str) -> Result<Vec<(String, Value)>, String> {
    match v {
        Value::Map(_, m) => Ok(m.entries()),
        Value::Nil => Ok(Vec::new()),
        other => Err(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type {ty}",
            json_kind(other)
        )),
    }
}

/// Matches a JSON key to one of the struct's field names the way encoding/json does: exact
/// first, then case-insensitively.
fn field_name<'a>(key: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .find(|n| **n == key)
        .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(key)))
        .copied()
}

impl Maintainer {
    fn decode(v: &Value) -> Result<Option<Maintainer>, String> {
        if matches!(v, Value::Nil) {
            return Ok(None);
        }
        let entries = match v {
            Value::Map(_, m) => m.entries(),
            other => return Err(type_err(other, "Metadata.maintainers", "chart.Maintainer")),
        };
        let mut m = Maintainer::default();
        for (k, val) in entries {
            let slot = match field_name(&k, &["name", "email", "url"]) {
                Some("name") => &mut m.name,
                Some("email") => &mut m.email,
                Some("url") => &mut m.url,
                _ => continue,
            };
            if let Some(s) = dec_string(&val, &format!("Metadata.maintainers.{k}"))? {
                *slot = s;
            }
        }
        Ok(Some(m))
    }
}

impl Dependency {
    fn decode(v: &Value) -> Result<Option<Dependency>, String> {
        if matches!(v, Value::Nil) {
            return Ok(None);
        }
        let entries = match v {
            Value::Map(_, m) => m.entries(),
            other => return Err(type_err(other, "Metadata.dependencies", "chart.Dependency")),
        };
        let mut d = Dependency::default();
        const NAMES: &[&str] = &[
            "name",
            "version",
            "repository",
            "condition",
            "tags",
            "enabled",
            "import-values",
            "alias",
        ];
        for (k, val) in entries {
            let Some(f) = field_name(&k, NAMES) else {
                continue;
            };
            let path = format!("Metadata.dependencies.{f}");
            match f {
                "tags" => d.tags = dec_str_list(&val, &path)?.unwrap_or_default(),
                "enabled" => d.enabled = dec_bool(&val, &path)?.unwrap_or(d.enabled),
                "import-values" => match &val {
                    Value::Nil => {}
                    Value::List(_, items) => d.import_values = items.to_vec(),
                    other => return Err(type_err(other, &path, "[]interface {}")),
                },
                _ => {
                    if let Some(s) = dec_string(&val, &path)? {
                        match f {
                            "name" => d.name = s,
                            "version" => d.version = s,
                            "repository" => d.repository = s,
                            "condition" => d.condition = s,
                            _ => d.alias = s,
                        }
                    }
                }
            }
        }
        Ok(Some(d))
    }

    /// Helm's `Dependency.Validate`: sanitises strings, checks the alias.
    fn validate(&mut self) -> Result<(), String> {
        self.name = sanitize(&self.name);
        self.version = sanitize(&self.version);
        self.repository = sanitize(&self.repository);
        self.condition = sanitize(&self.condition);
        for t in &mut self.tags {
            *t = sanitize(t);
        }
        if !self.alias.is_empty()
            && !self
                .alias
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(format!(
                "validation: dependency {:?} has disallowed characters in the alias",
                self.name
            ));
        }
        Ok(())
    }

    /// The dependency as helm 4's `.Chart.Dependencies` entries show it.
    pub fn to_map(&self) -> Value {
        let mut m = BTreeMap::new();
        m.insert("Name".into(), Value::str(&self.name));
        m.insert("Version".into(), Value::str(&self.version));
        m.insert("Repository".into(), Value::str(&self.repository));
        m.insert("Condition".into(), Value::str(&self.condition));
        m.insert(
            "Tags".into(),
            Value::list(self.tags.iter().map(Value::str).collect()),
        );
        m.insert("Enabled".into(), Value::Bool(self.enabled));
        m.insert(
            "ImportValues".into(),
            Value::list(self.import_values.clone()),
        );
        m.insert("Alias".into(), Value::str(&self.alias));
        Value::map(m)
    }
}

impl Metadata {
    /// Decodes Chart.yaml's parsed YAML onto `self`, as `yaml.Unmarshal(data, &metadata)`
    /// does: only the keys present change fields. Errors carry Go's encoding/json text.
    pub fn decode_onto(&mut self, v: &Value) -> Result<(), String> {
        const NAMES: &[&str] = &[
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
        for (k, val) in fields(v, "chart.Metadata")? {
            let Some(f) = field_name(&k, NAMES) else {
                continue;
            };
            let path = format!("Metadata.{f}");
            match f {
                "sources" => self.sources = dec_str_list(&val, &path)?,
                "keywords" => self.keywords = dec_str_list(&val, &path)?,
                "deprecated" => self.deprecated = dec_bool(&val, &path)?.unwrap_or(self.deprecated),
                "maintainers" => match &val {
                    Value::Nil => self.maintainers = None,
                    Value::List(_, items) => {
                        let mut out = Vec::new();
                        for it in items.iter() {
                            out.push(Maintainer::decode(it)?);
                        }
                        self.maintainers = Some(out);
                    }
                    other => return Err(type_err(other, &path, "[]*chart.Maintainer")),
                },
                "dependencies" => match &val {
                    Value::Nil => self.dependencies = None,
                    Value::List(_, items) => {
                        let mut out = Vec::new();
                        for it in items.iter() {
                            out.push(Dependency::decode(it)?);
                        }
                        self.dependencies = Some(out);
                    }
                    other => return Err(type_err(other, &path, "[]*chart.Dependency")),
                },
                "annotations" => match &val {
                    Value::Nil => self.annotations = None,
                    Value::Map(_, m) => {
                        let mut out = BTreeMap::new();
                        for (ak, av) in m.entries() {
                            let s = dec_string(&av, &path)?.unwrap_or_default();
                            out.insert(ak, s);
                        }
                        self.annotations = Some(out);
                    }
                    other => return Err(type_err(other, &path, "map[string]string")),
                },
                _ => {
                    let Some(s) = dec_string(&val, &path)? else {
                        continue;
                    };
                    match f {
                        "name" => self.name = s,
                        "home" => self.home = s,
                        "version" => self.version = s,
                        "description" => self.description = s,
                        "icon" => self.icon = s,
                        "apiVersion" => self.api_version = s,
                        "condition" => self.condition = s,
                        "tags" => self.tags = s,
                        "appVersion" => self.app_version = s,
                        "kubeVersion" => self.kube_version = s,
                        _ => self.chart_type = s,
                    }
                }
            }
        }
        Ok(())
    }

    /// helm's `Metadata.Validate`: sanitises strings and checks the required fields. Errors are
    /// helm's `validation: …` texts.
    pub fn validate(&mut self) -> Result<(), String> {
        for s in [
            &mut self.name,
            &mut self.description,
            &mut self.home,
            &mut self.icon,
            &mut self.condition,
            &mut self.tags,
            &mut self.app_version,
            &mut self.kube_version,
        ] {
            *s = sanitize(s);
        }
        for list in [&mut self.sources, &mut self.keywords]
            .into_iter()
            .flatten()
        {
            for s in list.iter_mut() {
                *s = sanitize(s);
            }
        }
        if self.api_version.is_empty() {
            return Err("validation: chart.metadata.apiVersion is required".into());
        }
        if self.name.is_empty() {
            return Err("validation: chart.metadata.name is required".into());
        }
        if self.name == "." || self.name == ".." {
            return Err(format!(
                "validation: chart.metadata.name {:?} is not allowed",
                self.name
            ));
        }
        if self.name.contains('/') {
            return Err(format!(
                "validation: chart.metadata.name {:?} is invalid",
                self.name
            ));
        }
        if self.version.is_empty() {
            return Err("validation: chart.metadata.version is required".into());
        }
        if Version::parse(&self.version).is_err() {
            return Err(format!(
                "validation: chart.metadata.version {:?} is invalid",
                self.version
            ));
        }
        if !matches!(self.chart_type.as_str(), "" | "application" | "library") {
            return Err("validation: chart.metadata.type must be application or library".into());
        }
        for m in self.maintainers.iter_mut().flatten() {
            match m {
                None => {
                    return Err(
                        "validation: maintainers must not contain empty or null nodes".into(),
                    )
                }
                Some(m) => {
                    m.name = sanitize(&m.name);
                    m.email = sanitize(&m.email);
                    m.url = sanitize(&m.url);
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for d in self.dependencies.iter_mut().flatten() {
            let Some(d) = d else {
                return Err("validation: dependencies must not contain empty or null nodes".into());
            };
            d.validate()?;
            let key = if d.alias.is_empty() {
                d.name.clone()
            } else {
                d.alias.clone()
            };
            if !seen.insert(key.clone()) {
                return Err(format!(
                    "validation: more than one dependency with name or alias {key:?}"
                ));
            }
        }
        Ok(())
    }

    /// Whether `type: library` (case-insensitive, as helm compares it).
    pub fn is_library(&self) -> bool {
        self.chart_type.eq_ignore_ascii_case("library")
    }

    /// The declared dependencies, null entries skipped.
    pub fn deps(&self) -> impl Iterator<Item = &Dependency> {
        self.dependencies.iter().flatten().flatten()
    }

    /// helm 4's `.Chart`: `structToMap(metadata)` plus `IsRoot`. Slices become
    /// `[]interface {}` (nil ones empty), annotations stay `map[string]string`.
    pub fn to_chart_map(&self, is_root: bool) -> Value {
        let strs = |l: &Option<Vec<String>>| {
            Value::list(l.iter().flatten().map(Value::str).collect::<Vec<_>>())
        };
        let mut m = BTreeMap::new();
        m.insert("Name".into(), Value::str(&self.name));
        m.insert("Home".into(), Value::str(&self.home));
        m.insert("Sources".into(), strs(&self.sources));
        m.insert("Version".into(), Value::str(&self.version));
        m.insert("Description".into(), Value::str(&self.description));
        m.insert("Keywords".into(), strs(&self.keywords));
        let maint = self
            .maintainers
            .iter()
            .flatten()
            .map(|mt| match mt {
                None => Value::Nil,
                Some(mt) => {
                    let mut e = BTreeMap::new();
                    e.insert("Name".into(), Value::str(&mt.name));
                    e.insert("Email".into(), Value::str(&mt.email));
                    e.insert("URL".into(), Value::str(&mt.url));
                    Value::map(e)
                }
            })
            .collect();
        m.insert("Maintainers".into(), Value::list(maint));
        m.insert("Icon".into(), Value::str(&self.icon));
        m.insert("APIVersion".into(), Value::str(&self.api_version));
        m.insert("Condition".into(), Value::str(&self.condition));
        m.insert("Tags".into(), Value::str(&self.tags));
        m.insert("AppVersion".into(), Value::str(&self.app_version));
        m.insert("Deprecated".into(), Value::Bool(self.deprecated));
        m.insert("Annotations".into(), self.annotations_value());
        m.insert("KubeVersion".into(), Value::str(&self.kube_version));
        let deps = self
            .dependencies
            .iter()
            .flatten()
            .map(|d| d.as_ref().map(Dependency::to_map).unwrap_or(Value::Nil))
            .collect();
        m.insert("Dependencies".into(), Value::list(deps));
        m.insert("Type".into(), Value::str(&self.chart_type));
        m.insert("IsRoot".into(), Value::Bool(is_root));
        Value::map(m)
    }

    /// `map[string]string` of the annotations (empty when absent).
    pub fn annotations_value(&self) -> Value {
        let ann: BTreeMap<String, Value> = self
            .annotations
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), Value::str(v)))
            .collect();
        Value::Map(MapType::String, MapRef::new(ann))
    }

    /// `[]string` of an optional list, as a Go nil slice prints (`[]`) when absent.
    pub fn str_slice(l: &Option<Vec<String>>) -> Value {
        Value::List(
            SliceType::String,
            Arc::new(l.iter().flatten().map(Value::str).collect()),
        )
    }
}

/// helm's `sanitizeString`: whitespace becomes a space, non-printable characters are dropped.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if c.is_control()
                || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
                    | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{e000}'..='\u{f8ff}')
            {
                None
            } else {
                Some(c)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::yamlio::parse_yaml;

    fn md(src: &str) -> Result<Metadata, String> {
        let mut m = Metadata::default();
        m.decode_onto(&parse_yaml(src).unwrap())?;
        Ok(m)
    }

    #[test]
    fn coercions() {
        // Verified with helm 4.1.4: appVersion 1.10 → "1.1", version 1.0 → "1".
        let m = md("name: c\nversion: 1.0\nappVersion: 1.10\nkeywords: [true]\n").unwrap();
        assert_eq!(m.app_version, "1.1");
        assert_eq!(m.version, "1");
        assert_eq!(m.keywords, Some(vec!["true".to_string()]));
        assert_eq!(float_as_yaml_string(1.23456789), "1.2345679");
    }

    #[test]
    fn errors() {
        // helm: cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: json:
        // cannot unmarshal array into Go struct field Metadata.name of type string
        assert_eq!(
            md("name: [x]\n").unwrap_err(),
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field Metadata.name of type string"
        );
        let mut m = md("apiVersion: v2\nversion: 0.1.0\n").unwrap();
        assert_eq!(
            m.validate().unwrap_err(),
            "validation: chart.metadata.name is required"
        );
        let mut m = md("apiVersion: v2\nname: c\nversion: x\n").unwrap();
        assert_eq!(
            m.validate().unwrap_err(),
            "validation: chart.metadata.version \"x\" is invalid"
        );
        let mut m =
            md("apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n- name: a\n  alias: b.c\n")
                .unwrap();
        assert_eq!(
            m.validate().unwrap_err(),
            "validation: dependency \"a\" has disallowed characters in the alias"
        );
    }

    #[test]
    fn chart_map() {
        let m = md("apiVersion: v2\nname: objs\nversion: 0.1.0\n").unwrap();
        // helm 4.1.4: {{ .Chart }} of a minimal chart.
        assert_eq!(
            m.to_chart_map(true).format_v(),
            "map[APIVersion:v2 Annotations:map[] AppVersion: Condition: Dependencies:[] Deprecated:false Description: Home: Icon: IsRoot:true Keywords:[] KubeVersion: Maintainers:[] Name:objs Sources:[] Tags: Type: Version:0.1.0]"
        );
    }
}
