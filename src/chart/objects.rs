//! The built-in objects templates see: `.Capabilities` (with `KubeVersion`, `APIVersions`,
//! `HelmVersion`), `.Files`, `.Release`, `.Template`, and helm 3's struct-typed `.Chart`.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;

use crate::engine::value::{MapRef, MapType, Object, Sig, SliceType, Ty, Value};

use super::glob::Glob;
use super::metadata::Metadata;
use super::yamlio::to_yaml;
use super::ChartError;

/// `.Capabilities.KubeVersion`.
#[derive(Clone, Debug)]
pub struct KubeVersion {
    /// Full version, `v`-prefixed (`v1.28.3-gke.100`).
    pub version: String,
    /// Without suffixes (`v1.28.3`): what `String()` prints in helm 4 and what kubeVersion
    /// constraints are checked against.
    pub normalized: String,
    /// Major, as a string.
    pub major: String,
    /// Minor, as a string.
    pub minor: String,
    /// 3 or 4: helm 3 prints `Version` and has no normalised form.
    pub helm_major: u32,
}

impl KubeVersion {
    /// The default of `helm template` for a helm major version: v1.35.0 (4.1.4) or v1.33.0
    /// (3.18.0).
    pub fn default_for(helm_major: u32) -> KubeVersion {
        let minor = if helm_major >= 4 { 35 } else { 33 };
        let v = format!("v1.{minor}.0");
        KubeVersion {
            version: v.clone(),
            normalized: v,
            major: "1".into(),
            minor: minor.to_string(),
            helm_major,
        }
    }

    /// `--kube-version` parsing. Helm 4 uses Kubernetes' generic parser (`1.28.3-gke.100` keeps
    /// its suffix in `.Version`); helm 3 uses semver. Error texts are helm's.
    pub fn parse(s: &str, helm_major: u32) -> Result<KubeVersion, String> {
        if helm_major >= 4 {
            let t = s.trim();
            let body = t.strip_prefix('v').unwrap_or(t);
            let end = body
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(body.len());
            let (nums, _) = body.split_at(end);
            let parts: Vec<&str> = nums.split('.').collect();
            let bad = || format!("could not parse {s:?} as version");
            if parts.len() < 2
                || parts
                    .iter()
                    .any(|p| p.is_empty() || p.len() > 1 && p.starts_with('0'))
            {
                return Err(bad());
            }
            let nums: Vec<u64> = parts
                .iter()
                .map(|p| p.parse::<u64>())
                .collect::<Result<_, _>>()
                .map_err(|_| bad())?;
            let version = if s.starts_with('v') {
                s.to_string()
            } else {
                format!("v{s}")
            };
            let normalized = format!(
                "v{}",
                nums.iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(".")
            );
            return Ok(KubeVersion {
                version,
                normalized,
                major: nums[0].to_string(),
                minor: nums[1].to_string(),
                helm_major,
            });
        }
        // helm 3.18 pins semver 3.3, which capitalised this message.
        let v = super::semver::Version::parse(s).map_err(|e| {
            if e == "invalid semantic version" {
                "Invalid Semantic Version".to_string()
            } else {
                e
            }
        })?;
        let mut text = format!("v{}.{}.{}", v.major, v.minor, v.patch);
        if !v.pre.is_empty() {
            text.push('-');
            text.push_str(&v.pre);
        }
        if !v.metadata.is_empty() {
            text.push('+');
            text.push_str(&v.metadata);
        }
        Ok(KubeVersion {
            version: text.clone(),
            normalized: text,
            major: v.major.to_string(),
            minor: v.minor.to_string(),
            helm_major,
        })
    }

    /// `String()`.
    pub fn string(&self) -> &str {
        if self.helm_major >= 4 && !self.normalized.is_empty() {
            &self.normalized
        } else {
            &self.version
        }
    }

    fn struct_fields(&self) -> String {
        if self.helm_major >= 4 {
            format!(
                "{{{} {} {} {}}}",
                self.version, self.normalized, self.major, self.minor
            )
        } else {
            format!("{{{} {} {}}}", self.version, self.major, self.minor)
        }
    }

    fn data(&self) -> Value {
        let mut m = BTreeMap::new();
        m.insert("Version".into(), Value::str(&self.version));
        m.insert("Major".into(), Value::str(&self.major));
        m.insert("Minor".into(), Value::str(&self.minor));
        Value::map(m)
    }
}

impl Object for KubeVersion {
    fn type_name(&self) -> &str {
        if self.helm_major >= 4 {
            "common.KubeVersion"
        } else {
            "chartutil.KubeVersion"
        }
    }
    fn kind_name(&self) -> &str {
        "struct"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" => Some(Value::str(&self.version)),
            "Major" => Some(Value::str(&self.major)),
            "Minor" => Some(Value::str(&self.minor)),
            _ => None,
        }
    }
    fn method(&self, name: &str) -> Option<Sig> {
        matches!(name, "GitVersion" | "String").then_some(Sig {
            params: &[],
            variadic: None,
        })
    }
    fn call_method(&self, name: &str, _args: Vec<Value>) -> Result<Value, String> {
        match name {
            "GitVersion" => Ok(Value::str(&self.version)),
            "String" => Ok(Value::str(self.string())),
            _ => Err(format!("can't call method {name}")),
        }
    }
    fn format_action(&self) -> String {
        self.string().to_string()
    }
    // String has a pointer receiver, so fmt sees a plain struct.
    fn format_v(&self) -> String {
        self.struct_fields()
    }
    fn format_nested(&self) -> String {
        self.struct_fields()
    }
    fn to_data(&self) -> Value {
        self.data()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `.Capabilities.APIVersions`: a `[]string` with a `Has` method.
#[derive(Clone, Debug)]
pub struct VersionSet {
    /// Group/versions in client-go priority order, then any `--api-versions`.
    pub versions: Vec<String>,
    /// 3 or 4 (type name).
    pub helm_major: u32,
}

/// The 57 group/versions of helm 4.1.4's default set (client-go priority order).
pub const API_VERSIONS_V4: &[&str] = API_V4;
/// The 57 group/versions of helm 3.18.0's default set.
pub const API_VERSIONS_V3: &[&str] = API_V3;

include!("api_versions.rs");

impl VersionSet {
    /// The default set for a helm major version, plus `extra` (`--api-versions`, each entry
    /// possibly comma-separated).
    pub fn with_defaults(helm_major: u32, extra: &[String]) -> VersionSet {
        let base = if helm_major >= 4 {
            API_VERSIONS_V4
        } else {
            API_VERSIONS_V3
        };
        let mut versions: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        for e in extra {
            versions.extend(e.split(',').map(|s| s.to_string()));
        }
        VersionSet {
            versions,
            helm_major,
        }
    }
}

impl Object for VersionSet {
    fn type_name(&self) -> &str {
        if self.helm_major >= 4 {
            "common.VersionSet"
        } else {
            "chartutil.VersionSet"
        }
    }
    fn kind_name(&self) -> &str {
        "slice"
    }
    fn method(&self, name: &str) -> Option<Sig> {
        (name == "Has").then_some(Sig {
            params: &[Ty::String],
            variadic: None,
        })
    }
    fn call_method(&self, name: &str, args: Vec<Value>) -> Result<Value, String> {
        match (name, args.first()) {
            ("Has", Some(Value::String(s))) => {
                Ok(Value::Bool(self.versions.iter().any(|v| **v == **s)))
            }
            _ => Err(format!("can't call method {name}")),
        }
    }
    fn format_v(&self) -> String {
        format!("[{}]", self.versions.join(" "))
    }
    fn to_data(&self) -> Value {
        Value::str_list(self.versions.iter().cloned())
    }
    fn truth(&self) -> bool {
        !self.versions.is_empty()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `.Capabilities.HelmVersion` (`version.BuildInfo`).
#[derive(Clone, Debug)]
pub struct BuildInfo {
    /// `v4.1.4`
    pub version: String,
    /// The commit helm was built from.
    pub git_commit: String,
    /// `clean`
    pub git_tree_state: String,
    /// `go1.25.9`
    pub go_version: String,
    /// helm 4 only: `v1.35`.
    pub kube_client_version: Option<String>,
}

impl BuildInfo {
    /// The build info of helm 4.1.4 or 3.18.0.
    pub fn for_helm(helm_major: u32) -> BuildInfo {
        if helm_major >= 4 {
            BuildInfo {
                version: "v4.1.4".into(),
                git_commit: "05fa37973dc9e42b76e1d2883494c87174b6074f".into(),
                git_tree_state: "clean".into(),
                go_version: "go1.25.9".into(),
                kube_client_version: Some("v1.35".into()),
            }
        } else {
            BuildInfo {
                version: "v3.18.0".into(),
                git_commit: "cc58e3f5a3aa615c6a86275e6f4444b5fdd3cc4e".into(),
                git_tree_state: "clean".into(),
                go_version: "go1.24.3".into(),
                kube_client_version: None,
            }
        }
    }

    fn fields(&self) -> String {
        let mut s = format!(
            "{{{} {} {} {}",
            self.version, self.git_commit, self.git_tree_state, self.go_version
        );
        if let Some(k) = &self.kube_client_version {
            s.push(' ');
            s.push_str(k);
        }
        s.push('}');
        s
    }
}

impl Object for BuildInfo {
    fn type_name(&self) -> &str {
        "version.BuildInfo"
    }
    fn kind_name(&self) -> &str {
        "struct"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" => Some(Value::str(&self.version)),
            "GitCommit" => Some(Value::str(&self.git_commit)),
            "GitTreeState" => Some(Value::str(&self.git_tree_state)),
            "GoVersion" => Some(Value::str(&self.go_version)),
            "KubeClientVersion" => self.kube_client_version.as_ref().map(Value::str),
            _ => None,
        }
    }
    fn format_v(&self) -> String {
        self.fields()
    }
    fn to_data(&self) -> Value {
        let mut m = BTreeMap::new();
        for (k, v) in [
            ("version", &self.version),
            ("git_commit", &self.git_commit),
            ("git_tree_state", &self.git_tree_state),
            ("go_version", &self.go_version),
        ] {
            if !v.is_empty() {
                m.insert(k.to_string(), Value::str(v));
            }
        }
        if let Some(k) = &self.kube_client_version {
            m.insert("kube_client_version".into(), Value::str(k));
        }
        Value::map(m)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `.Capabilities`.
#[derive(Clone, Debug)]
pub struct Capabilities {
    /// `.KubeVersion`
    pub kube_version: KubeVersion,
    /// `.APIVersions`
    pub api_versions: VersionSet,
    /// `.HelmVersion`
    pub helm_version: BuildInfo,
    /// 3 or 4.
    pub helm_major: u32,
}

impl Capabilities {
    /// helm template's capabilities: the default kube version unless `kube_version` is given,
    /// the default API versions plus `api_versions`.
    pub fn new(
        helm_major: u32,
        kube_version: Option<KubeVersion>,
        api_versions: &[String],
    ) -> Capabilities {
        Capabilities {
            kube_version: kube_version.unwrap_or_else(|| KubeVersion::default_for(helm_major)),
            api_versions: VersionSet::with_defaults(helm_major, api_versions),
            helm_version: BuildInfo::for_helm(helm_major),
            helm_major,
        }
    }
}

impl Object for Capabilities {
    fn type_name(&self) -> &str {
        if self.helm_major >= 4 {
            "*common.Capabilities"
        } else {
            "*chartutil.Capabilities"
        }
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "KubeVersion" => Some(Value::object(self.kube_version.clone())),
            "APIVersions" => Some(Value::object(self.api_versions.clone())),
            "HelmVersion" => Some(Value::object(self.helm_version.clone())),
            _ => None,
        }
    }
    fn format_v(&self) -> String {
        format!(
            "{{{} {} {}}}",
            self.kube_version.struct_fields(),
            self.api_versions.format_v(),
            self.helm_version.fields()
        )
    }
    fn format_nested(&self) -> String {
        "0xc000100000".into()
    }
    fn to_data(&self) -> Value {
        let mut m = BTreeMap::new();
        m.insert("KubeVersion".into(), self.kube_version.data());
        m.insert("APIVersions".into(), self.api_versions.to_data());
        m.insert("HelmVersion".into(), self.helm_version.to_data());
        Value::map(m)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `.Files` (helm's `engine.files`, a `map[string][]byte` with methods).
#[derive(Clone, Debug, Default)]
pub struct Files {
    /// Path → contents.
    pub files: Arc<BTreeMap<String, Arc<[u8]>>>,
}

impl Files {
    /// From a chart's files.
    pub fn new(files: &[super::ChartFile]) -> Files {
        Files {
            files: Arc::new(
                files
                    .iter()
                    .map(|f| (f.name.clone(), f.data.clone()))
                    .collect(),
            ),
        }
    }

    fn glob(&self, pattern: &str) -> Files {
        let g = Glob::compile(pattern).or_else(|| Glob::compile("**"));
        let files = self
            .files
            .iter()
            .filter(|(k, _)| g.as_ref().is_some_and(|g| g.matches(k)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Files {
            files: Arc::new(files),
        }
    }

    fn as_yaml(&self, secrets: bool) -> String {
        let m: BTreeMap<String, Value> = self
            .files
            .iter()
            .map(|(k, v)| {
                let base = k.rsplit('/').next().unwrap_or(k).to_string();
                let text = if secrets {
                    base64::engine::general_purpose::STANDARD.encode(v)
                } else {
                    String::from_utf8_lossy(v).into_owned()
                };
                (base, Value::str(text))
            })
            .collect();
        to_yaml(&Value::Map(MapType::String, MapRef::new(m))).unwrap_or_default()
    }
}

impl Object for Files {
    fn type_name(&self) -> &str {
        "engine.files"
    }
    fn kind_name(&self) -> &str {
        "map"
    }
    fn field(&self, name: &str) -> Option<Value> {
        Some(Value::Bytes(
            self.files
                .get(name)
                .cloned()
                .unwrap_or_else(|| Arc::from(&[][..])),
        ))
    }
    fn method(&self, name: &str) -> Option<Sig> {
        const S: &[Ty] = &[Ty::String];
        match name {
            "Get" | "GetBytes" | "Glob" | "Lines" => Some(Sig {
                params: S,
                variadic: None,
            }),
            "AsConfig" | "AsSecrets" => Some(Sig {
                params: &[],
                variadic: None,
            }),
            _ => None,
        }
    }
    fn call_method(&self, name: &str, args: Vec<Value>) -> Result<Value, String> {
        let arg = args
            .first()
            .and_then(|a| a.as_str())
            .unwrap_or("")
            .to_string();
        match name {
            "GetBytes" => Ok(Value::Bytes(
                self.files
                    .get(&arg)
                    .cloned()
                    .unwrap_or_else(|| Arc::from(&[][..])),
            )),
            "Get" => Ok(Value::str(
                self.files
                    .get(&arg)
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default(),
            )),
            "Glob" => Ok(Value::object(self.glob(&arg))),
            "Lines" => {
                let Some(data) = self.files.get(&arg) else {
                    return Ok(Value::List(SliceType::String, Arc::new(Vec::new())));
                };
                let s = String::from_utf8_lossy(data);
                if s.is_empty() {
                    return Err("runtime error: index out of range [-1]".into());
                }
                let s = s.strip_suffix('\n').unwrap_or(&s);
                Ok(Value::str_list(s.split('\n').map(str::to_string)))
            }
            "AsConfig" => Ok(Value::str(self.as_yaml(false))),
            "AsSecrets" => Ok(Value::str(self.as_yaml(true))),
            _ => Err(format!("can't call method {name}")),
        }
    }
    fn format_v(&self) -> String {
        let parts: Vec<String> = self
            .files
            .iter()
            .map(|(k, v)| format!("{k}:{}", Value::Bytes(v.clone()).format_v()))
            .collect();
        format!("map[{}]", parts.join(" "))
    }
    fn to_data(&self) -> Value {
        let m: BTreeMap<String, Value> = self
            .files
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    Value::str(base64::engine::general_purpose::STANDARD.encode(v)),
                )
            })
            .collect();
        Value::map(m)
    }
    fn truth(&self) -> bool {
        !self.files.is_empty()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Release options for `.Release`.
#[derive(Clone, Debug)]
pub struct ReleaseOptions {
    /// Release name (`release-name` by default for `helm template`).
    pub name: String,
    /// Namespace (`default`).
    pub namespace: String,
    /// Revision (1).
    pub revision: i64,
    /// `--is-upgrade`
    pub is_upgrade: bool,
}

impl Default for ReleaseOptions {
    fn default() -> Self {
        ReleaseOptions {
            name: "release-name".into(),
            namespace: "default".into(),
            revision: 1,
            is_upgrade: false,
        }
    }
}

/// helm's release name check: `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
/// and at most 53 characters. The error is helm's full text as `helm template` prints it.
pub fn validate_release_name(name: &str) -> Result<(), ChartError> {
    const RE: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
    if name.is_empty() {
        return Err(ChartError(format!(
            "release name check failed: release name {name:?}: no name provided"
        )));
    }
    let ok = name.len() <= 53
        && regex::Regex::new(RE)
            .map(|r| r.is_match(name))
            .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(ChartError(format!(
            "release name check failed: release name {name:?}: invalid release name, must match regex {RE} and the length must not be longer than 53"
        )))
    }
}

impl ReleaseOptions {
    /// `.Release`: `map[IsInstall IsUpgrade Name Namespace Revision Service]`.
    pub fn to_value(&self) -> Value {
        let mut m = BTreeMap::new();
        m.insert("Name".into(), Value::str(&self.name));
        m.insert("Namespace".into(), Value::str(&self.namespace));
        m.insert("IsUpgrade".into(), Value::Bool(self.is_upgrade));
        m.insert("IsInstall".into(), Value::Bool(!self.is_upgrade));
        m.insert("Revision".into(), Value::Int(self.revision));
        m.insert("Service".into(), Value::str("Helm"));
        Value::map(m)
    }
}

/// `.Template`: `map[BasePath Name]`, helm's `common.Values` type.
pub fn template_value(name: &str, base_path: &str) -> Value {
    let mut m = BTreeMap::new();
    m.insert("Name".into(), Value::str(name));
    m.insert("BasePath".into(), Value::str(base_path));
    Value::Map(MapType::Values, MapRef::new(m))
}

/// helm 3's `.Chart`: `struct { chart.Metadata; IsRoot bool }`, whose unknown fields are
/// errors (unlike helm 4's map).
#[derive(Clone, Debug)]
pub struct ChartStruct {
    /// The chart's metadata.
    pub md: Metadata,
    /// Whether this is the root chart.
    pub is_root: bool,
}

/// A pointer to a struct, as helm 3's `.Chart.Maintainers` and `.Chart.Dependencies` hold.
#[derive(Clone, Debug)]
struct StructPtr {
    type_name: &'static str,
    fields: BTreeMap<String, Value>,
    order: Vec<&'static str>,
    json: BTreeMap<String, Value>,
}

impl Object for StructPtr {
    fn type_name(&self) -> &str {
        self.type_name
    }
    fn field(&self, name: &str) -> Option<Value> {
        self.fields.get(name).cloned()
    }
    fn format_v(&self) -> String {
        let parts: Vec<String> = self
            .order
            .iter()
            .map(|k| {
                self.fields
                    .get(*k)
                    .map(|v| v.format_nested())
                    .unwrap_or_default()
            })
            .collect();
        format!("&{{{}}}", parts.join(" "))
    }
    fn format_nested(&self) -> String {
        "0xc000200000".into()
    }
    fn to_data(&self) -> Value {
        Value::map(self.json.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn put_nonempty(m: &mut BTreeMap<String, Value>, k: &str, v: &str) {
    if !v.is_empty() {
        m.insert(k.into(), Value::str(v));
    }
}

impl ChartStruct {
    fn maintainers(&self) -> Value {
        let items = self.md.maintainers.iter().flatten().flatten().map(|m| {
            let mut f = BTreeMap::new();
            f.insert("Name".into(), Value::str(&m.name));
            f.insert("Email".into(), Value::str(&m.email));
            f.insert("URL".into(), Value::str(&m.url));
            let mut j = BTreeMap::new();
            put_nonempty(&mut j, "name", &m.name);
            put_nonempty(&mut j, "email", &m.email);
            put_nonempty(&mut j, "url", &m.url);
            Value::object(StructPtr {
                type_name: "*chart.Maintainer",
                fields: f,
                order: vec!["Name", "Email", "URL"],
                json: j,
            })
        });
        Value::list(items.collect())
    }

    fn dependencies(&self) -> Value {
        let items = self.md.deps().map(|d| {
            let mut f = BTreeMap::new();
            f.insert("Name".into(), Value::str(&d.name));
            f.insert("Version".into(), Value::str(&d.version));
            f.insert("Repository".into(), Value::str(&d.repository));
            f.insert("Condition".into(), Value::str(&d.condition));
            f.insert("Tags".into(), Value::str_list(d.tags.clone()));
            f.insert("Enabled".into(), Value::Bool(d.enabled));
            f.insert("ImportValues".into(), Value::list(d.import_values.clone()));
            f.insert("Alias".into(), Value::str(&d.alias));
            let mut j = BTreeMap::new();
            j.insert("name".into(), Value::str(&d.name));
            j.insert("repository".into(), Value::str(&d.repository));
            put_nonempty(&mut j, "version", &d.version);
            put_nonempty(&mut j, "condition", &d.condition);
            put_nonempty(&mut j, "alias", &d.alias);
            if !d.tags.is_empty() {
                j.insert("tags".into(), Value::str_list(d.tags.clone()));
            }
            if d.enabled {
                j.insert("enabled".into(), Value::Bool(true));
            }
            if !d.import_values.is_empty() {
                j.insert("import-values".into(), Value::list(d.import_values.clone()));
            }
            Value::object(StructPtr {
                type_name: "*chart.Dependency",
                fields: f,
                order: vec![
                    "Name",
                    "Version",
                    "Repository",
                    "Condition",
                    "Tags",
                    "Enabled",
                    "ImportValues",
                    "Alias",
                ],
                json: j,
            })
        });
        Value::list(items.collect())
    }
}

impl Object for ChartStruct {
    fn type_name(&self) -> &str {
        "struct { chart.Metadata; IsRoot bool }"
    }
    fn kind_name(&self) -> &str {
        "struct"
    }
    fn field(&self, name: &str) -> Option<Value> {
        let md = &self.md;
        Some(match name {
            "Name" => Value::str(&md.name),
            "Home" => Value::str(&md.home),
            "Sources" => Metadata::str_slice(&md.sources),
            "Version" => Value::str(&md.version),
            "Description" => Value::str(&md.description),
            "Keywords" => Metadata::str_slice(&md.keywords),
            "Maintainers" => self.maintainers(),
            "Icon" => Value::str(&md.icon),
            "APIVersion" => Value::str(&md.api_version),
            "Condition" => Value::str(&md.condition),
            "Tags" => Value::str(&md.tags),
            "AppVersion" => Value::str(&md.app_version),
            "Deprecated" => Value::Bool(md.deprecated),
            "Annotations" => md.annotations_value(),
            "KubeVersion" => Value::str(&md.kube_version),
            "Dependencies" => self.dependencies(),
            "Type" => Value::str(&md.chart_type),
            "IsRoot" => Value::Bool(self.is_root),
            _ => return None,
        })
    }
    fn format_v(&self) -> String {
        const ORDER: &[&str] = &[
            "Name",
            "Home",
            "Sources",
            "Version",
            "Description",
            "Keywords",
            "Maintainers",
            "Icon",
            "APIVersion",
            "Condition",
            "Tags",
            "AppVersion",
            "Deprecated",
            "Annotations",
            "KubeVersion",
            "Dependencies",
            "Type",
        ];
        let parts: Vec<String> = ORDER
            .iter()
            .map(|f| self.field(f).map(|v| v.format_nested()).unwrap_or_default())
            .collect();
        format!("{{{{{}}} {}}}", parts.join(" "), self.is_root)
    }
    fn to_data(&self) -> Value {
        let md = &self.md;
        let mut j = BTreeMap::new();
        for (k, v) in [
            ("name", &md.name),
            ("home", &md.home),
            ("version", &md.version),
            ("description", &md.description),
            ("icon", &md.icon),
            ("apiVersion", &md.api_version),
            ("condition", &md.condition),
            ("tags", &md.tags),
            ("appVersion", &md.app_version),
            ("kubeVersion", &md.kube_version),
            ("type", &md.chart_type),
        ] {
            put_nonempty(&mut j, k, v);
        }
        if md.sources.as_ref().is_some_and(|s| !s.is_empty()) {
            j.insert("sources".into(), Metadata::str_slice(&md.sources));
        }
        if md.keywords.as_ref().is_some_and(|s| !s.is_empty()) {
            j.insert("keywords".into(), Metadata::str_slice(&md.keywords));
        }
        if md.maintainers.as_ref().is_some_and(|s| !s.is_empty()) {
            j.insert("maintainers".into(), self.maintainers());
        }
        if md.deprecated {
            j.insert("deprecated".into(), Value::Bool(true));
        }
        if md.annotations.as_ref().is_some_and(|s| !s.is_empty()) {
            j.insert("annotations".into(), md.annotations_value());
        }
        if md.dependencies.as_ref().is_some_and(|s| !s.is_empty()) {
            j.insert("dependencies".into(), self.dependencies());
        }
        j.insert("IsRoot".into(), Value::Bool(self.is_root));
        Value::map(j)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_print() {
        let c = Capabilities::new(4, None, &[]);
        // Templates print the Stringer; fmt (toString, print) sees the struct.
        assert_eq!(c.kube_version.format_action(), "v1.35.0");
        assert_eq!(c.kube_version.format_v(), "{v1.35.0 v1.35.0 1 35}");
        assert_eq!(c.api_versions.versions.len(), 57);
        assert_eq!(
            c.helm_version.format_v(),
            "{v4.1.4 05fa37973dc9e42b76e1d2883494c87174b6074f clean go1.25.9 v1.35}"
        );
        assert!(c
            .format_v()
            .starts_with("{{v1.35.0 v1.35.0 1 35} [v1 admissionregistration.k8s.io/v1 "));
        let c3 = Capabilities::new(3, None, &["x/v1,y/v2".into()]);
        assert!(c3.format_v().starts_with("{{v1.33.0 1 33} [v1 "));
        assert_eq!(c3.api_versions.versions.len(), 59);
        assert_eq!(
            c3.api_versions
                .call_method("Has", vec![Value::str("y/v2")])
                .unwrap()
                .format_v(),
            "true"
        );
        assert_eq!(
            c.api_versions
                .call_method("Has", vec![Value::str("apps/v1/Deployment")])
                .unwrap()
                .format_v(),
            "false"
        );
    }

    #[test]
    fn kube_version_parse() {
        // helm 4.1.4 --kube-version 1.28.3-gke.100: .KubeVersion prints v1.28.3, .Version v1.28.3-gke.100
        let k = KubeVersion::parse("1.28.3-gke.100", 4).unwrap();
        assert_eq!(k.format_action(), "v1.28.3");
        assert_eq!(k.version, "v1.28.3-gke.100");
        assert_eq!((k.major.as_str(), k.minor.as_str()), ("1", "28"));
        assert!(KubeVersion::parse("abc", 4).is_err());
    }

    #[test]
    fn files() {
        let f = Files {
            files: Arc::new(
                [("a.txt", "a\r\nb\n"), ("d/b.txt", "x"), ("empty", "")]
                    .iter()
                    .map(|(k, v)| (k.to_string(), Arc::from(v.as_bytes())))
                    .collect(),
            ),
        };
        assert_eq!(
            f.call_method("Lines", vec![Value::str("a.txt")])
                .unwrap()
                .format_v(),
            "[a\r b]"
        );
        assert_eq!(
            f.call_method("Lines", vec![Value::str("empty")])
                .unwrap_err(),
            "runtime error: index out of range [-1]"
        );
        assert_eq!(
            f.call_method("Get", vec![Value::str("nope")])
                .unwrap()
                .format_v(),
            ""
        );
        let g = f.call_method("Glob", vec![Value::str("*.txt")]).unwrap();
        assert_eq!(g.downcast::<Files>().unwrap().files.len(), 1);
        let g = f.call_method("Glob", vec![Value::str("[")]).unwrap();
        assert_eq!(g.downcast::<Files>().unwrap().files.len(), 3);
        let secrets = f.glob("d/*").call_method("AsSecrets", vec![]).unwrap();
        assert_eq!(secrets.format_v(), "b.txt: eA==");
    }

    #[test]
    fn release() {
        assert_eq!(
            ReleaseOptions {
                name: "myrel".into(),
                namespace: "myns".into(),
                ..Default::default()
            }
            .to_value()
            .format_v(),
            "map[IsInstall:true IsUpgrade:false Name:myrel Namespace:myns Revision:1 Service:Helm]"
        );
        assert!(validate_release_name("ok-name").is_ok());
        assert!(validate_release_name(&"a".repeat(54)).is_err());
        assert!(validate_release_name("Bad").is_err());
    }

    #[test]
    fn chart_struct_v3() {
        let md = Metadata {
            name: "objs".into(),
            version: "0.1.0".into(),
            api_version: "v2".into(),
            ..Default::default()
        };
        // helm 3.18.0: {{ .Chart }} of a minimal chart.
        assert_eq!(
            ChartStruct { md, is_root: true }.format_v(),
            "{{objs  [] 0.1.0  [] []  v2    false map[]  [] } true}"
        );
    }
}
