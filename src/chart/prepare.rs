//! The entry point of the chart pipeline: from a loaded chart and the user's values to every
//! template file with the context it executes in.
//!
//! `helm template` order, reproduced here: library check, missing-dependency check, release
//! name check, dependency processing (enablement, aliases, import-values), coalescing, schema
//! validation, kubeVersion check. User values are merged by the caller first
//! ([`super::values::ValueOptions::merge`]), since helm parses them before loading the chart.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::value::{MapRef, MapType, Value};

use super::objects::{
    template_value, Capabilities, ChartStruct, Files, KubeVersion, ReleaseOptions,
};
use super::schema::validate_chart;
use super::semver::constraint_matches;
use super::values::{coalesce_values, process_dependencies};
use super::{Chart, ChartError};

/// Everything besides the chart and values that shapes the render.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// 4 for helm 4.1.4 behaviour, 3 for helm 3.18.0.
    pub helm_major: u32,
    /// `.Release` inputs.
    pub release: ReleaseOptions,
    /// The merged user values ([`super::values::ValueOptions::merge`]).
    pub user_values: MapRef,
    /// `--kube-version`, parsed with [`KubeVersion::parse`]; the helm default when `None`.
    pub kube_version: Option<KubeVersion>,
    /// `--api-versions` / `-a` entries (each may be comma-separated).
    pub api_versions: Vec<String>,
    /// `--skip-schema-validation`
    pub skip_schema_validation: bool,
    /// `.Capabilities` as given, replacing `kube_version` and `api_versions` (helm-unittest
    /// hands the engine exactly the API versions a test lists, none by default).
    pub capabilities: Option<Capabilities>,
    /// The checks `helm install` and `helm template` make before rendering and the bare
    /// engine does not: library chart, missing dependencies, release name, `kubeVersion`.
    /// helm-unittest renders through the engine, so it turns them off.
    pub install_checks: bool,
    /// helm-unittest's `chart.version` and `chart.appVersion` overrides, applied to the chart
    /// and its direct dependencies once dependencies are processed (so aliases still resolve
    /// against the real versions). Empty strings leave a field alone.
    pub chart_overrides: (String, String),
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            helm_major: 4,
            release: ReleaseOptions::default(),
            user_values: MapRef::default(),
            kube_version: None,
            api_versions: Vec::new(),
            skip_schema_validation: false,
            capabilities: None,
            install_checks: true,
            chart_overrides: (String::new(), String::new()),
        }
    }
}

/// One template file to parse (and, unless it is a partial, to execute).
#[derive(Clone, Debug)]
pub struct RenderUnit {
    /// The template's name in the set: `c/templates/t.yaml`, or
    /// `c/charts/<name|alias>/templates/x` for subcharts.
    pub name: String,
    /// The file's text.
    pub text: Arc<str>,
    /// The top-level context of the chart the file belongs to: a `map[string]interface {}` with
    /// `Values` (`common.Values`), `Release`, `Chart`, `Capabilities`, `Files` and `Subcharts`.
    /// It is SHARED by all files of that chart (and reachable from the parent's `.Subcharts`),
    /// as in helm: before executing a file, insert [`RenderUnit::template`] under `"Template"`
    /// in this map, exactly as helm mutates its shared map.
    pub context: Value,
    /// `.Template` for this file: `map[BasePath:<chart path>/templates Name:<name>]`.
    pub template: Value,
}

impl RenderUnit {
    /// Whether helm skips executing this file (its base name starts with `_`). Partials are
    /// still parsed.
    pub fn is_partial(&self) -> bool {
        self.name
            .rsplit('/')
            .next()
            .is_some_and(|b| b.starts_with('_'))
    }
}

/// A CRD file of the chart or an enabled subchart, for `--include-crds`.
#[derive(Clone, Debug)]
pub struct CrdFile {
    /// `<chart full path>/crds/<file>`, as in the `# Source:` line.
    pub filename: String,
    /// Raw contents.
    pub data: Arc<[u8]>,
}

/// The result of [`prepare`].
#[derive(Clone, Debug)]
pub struct Prepared {
    /// Every template of the root and of every enabled subchart, in no particular order (the
    /// renderer sorts them into helm's parse order).
    pub units: Vec<RenderUnit>,
    /// CRDs, root chart first, then subcharts depth first.
    pub crds: Vec<CrdFile>,
    /// The chart after dependency processing (disabled subcharts removed, aliases applied).
    pub chart: Chart,
    /// The final root values (`.Values` of the root chart).
    pub values: MapRef,
}

/// Gives `ch` and its subcharts the default values helm 3's loader reads.
fn use_helm3_values(ch: &mut Chart) {
    ch.values = ch.values_for(3);
    for d in &mut ch.dependencies {
        use_helm3_values(d);
    }
}

/// Runs helm's pre-render pipeline for `chart` and returns the templates to render.
///
/// Errors are helm's texts for `helm template` of the chosen major version, e.g.
/// `library charts are not installable`, `chart dependencies processing failed: type mismatch
/// on sub: %!t(string=x)` (helm 4; helm 3 has no prefix), `values don't meet the
/// specifications …`, `chart requires kubeVersion: <1.20 which is incompatible with Kubernetes
/// v1.35.0`. The CLI adds `Error: ` (and, for the kubeVersion error, which helm raises while
/// rendering, the `--debug` hint).
pub fn prepare(chart: &Chart, opts: &RenderOptions) -> Result<Prepared, ChartError> {
    let v4 = opts.helm_major >= 4;
    let checks = opts.install_checks;
    if checks && chart.metadata.is_library() {
        return Err("library charts are not installable".into());
    }
    let missing: Vec<&str> = chart
        .metadata
        .deps()
        .filter(|r| !chart.dependencies.iter().any(|d| d.name() == r.name))
        .map(|r| r.name.as_str())
        .collect();
    if checks && !missing.is_empty() {
        let lead = if v4 { "an error" } else { "An error" };
        return Err(ChartError(format!(
            "{lead} occurred while checking for chart dependencies. You may need to run `helm dependency build` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: {}",
            missing.join(", ")
        )));
    }
    if let Err(e) = super::objects::validate_release_name(&opts.release.name).or_else(|e| {
        if checks {
            Err(e)
        } else {
            Ok(())
        }
    }) {
        let msg = if v4 {
            e.0
        } else {
            e.0.trim_start_matches("release name check failed: ")
                .to_string()
        };
        return Err(ChartError(msg));
    }
    let mut ch = chart.clone();
    if !v4 {
        use_helm3_values(&mut ch);
    }
    process_dependencies(&mut ch, &opts.user_values).map_err(|e| {
        if v4 {
            ChartError(format!("chart dependencies processing failed: {}", e.0))
        } else {
            e
        }
    })?;
    let (version, app_version) = &opts.chart_overrides;
    if !version.is_empty() || !app_version.is_empty() {
        let apply = |md: &mut super::Metadata| {
            if !version.is_empty() {
                md.version = version.clone();
            }
            if !app_version.is_empty() {
                md.app_version = app_version.clone();
            }
        };
        apply(&mut ch.metadata);
        for d in &mut ch.dependencies {
            apply(&mut d.metadata);
        }
    }
    let caps = match &opts.capabilities {
        Some(c) => c.clone(),
        None => Capabilities::new(
            opts.helm_major,
            opts.kube_version.clone(),
            &opts.api_versions,
        ),
    };
    let values = coalesce_values(&ch, &opts.user_values)?;
    if !opts.skip_schema_validation {
        validate_chart(&ch, &values, opts.helm_major)?;
    }
    if checks
        && !ch.metadata.kube_version.is_empty()
        && !constraint_matches(&ch.metadata.kube_version, caps.kube_version.string())
    {
        return Err(ChartError(format!(
            "chart requires kubeVersion: {} which is incompatible with Kubernetes {}",
            ch.metadata.kube_version, caps.kube_version.version
        )));
    }
    let caps = Value::object(caps);
    let release = opts.release.to_value();
    let mut units = Vec::new();
    let top_values = Value::Map(MapType::Values, values.clone());
    build(
        &ch,
        None,
        &top_values,
        &release,
        &caps,
        ch.name(),
        opts.helm_major,
        &mut units,
    );
    let mut crds = Vec::new();
    collect_crds(&ch, ch.name(), &mut crds);
    Ok(Prepared {
        units,
        crds,
        chart: ch,
        values,
    })
}

/// helm's `recAllTpls`: builds the chart's context map, recursing into subcharts, and records
/// the chart's templates. Returns the context.
#[allow(clippy::too_many_arguments)]
fn build(
    ch: &Chart,
    parent: Option<&MapRef>,
    root_values: &Value,
    release: &Value,
    caps: &Value,
    full_path: &str,
    helm_major: u32,
    units: &mut Vec<RenderUnit>,
) -> Value {
    let is_root = parent.is_none();
    let chart_value = if helm_major >= 4 {
        ch.metadata.to_chart_map(is_root)
    } else {
        Value::object(ChartStruct {
            md: ch.metadata.clone(),
            is_root,
        })
    };
    let values = match parent {
        None => root_values.clone(),
        Some(p) => {
            let section = p.get("Values").and_then(|v| match v {
                Value::Map(_, m) => m.get(ch.name()),
                _ => None,
            });
            match section {
                Some(Value::Map(MapType::Interface | MapType::Values, m)) => {
                    Value::Map(MapType::Values, m)
                }
                _ => Value::Map(MapType::Values, MapRef::default()),
            }
        }
    };
    let subcharts = MapRef::default();
    let mut next = BTreeMap::new();
    next.insert("Chart".to_string(), chart_value);
    next.insert("Files".to_string(), Value::object(Files::new(&ch.files)));
    next.insert("Release".to_string(), release.clone());
    next.insert("Capabilities".to_string(), caps.clone());
    next.insert("Values".to_string(), values);
    next.insert(
        "Subcharts".to_string(),
        Value::Map(MapType::Interface, subcharts.clone()),
    );
    let next_map = MapRef::new(next);
    for child in &ch.dependencies {
        let child_path = format!("{full_path}/charts/{}", child.name());
        let ctx = build(
            child,
            Some(&next_map),
            root_values,
            release,
            caps,
            &child_path,
            helm_major,
            units,
        );
        // `.Subcharts.<name>` is the plain map; only the template's own dot is typed Values.
        let plain = match ctx {
            Value::Map(_, m) => Value::Map(MapType::Interface, m),
            other => other,
        };
        subcharts.insert(child.name(), plain);
    }
    // helm hands each template a `common.Values`, so `.` has Values' methods too.
    let context = Value::Map(MapType::Values, next_map);
    let base_path = super::load::clean_path(&format!("{full_path}/templates"));
    for t in &ch.templates {
        let Some(name) = unit_name(ch, full_path, t) else {
            continue;
        };
        units.push(RenderUnit {
            template: template_value(&name, &base_path),
            name,
            text: t.text(),
            context: context.clone(),
        });
    }
    context
}

/// A template's name in the set, or `None` for a library chart's non-partial file (never
/// rendered).
fn unit_name(ch: &Chart, full_path: &str, t: &super::ChartFile) -> Option<String> {
    let base = t.name.rsplit('/').next().unwrap_or(&t.name);
    if ch.metadata.is_library() && !base.starts_with('_') {
        return None;
    }
    Some(super::load::clean_path(&format!("{full_path}/{}", t.name)))
}

/// Every template of a loaded chart and of the subcharts it carries, named as [`prepare`] names
/// its units when no alias renames a subchart, with its text. Dependency processing may still
/// drop or rename some: this is what can be parsed before values are known.
pub fn template_sources(ch: &Chart) -> Vec<(String, Arc<str>)> {
    fn rec(ch: &Chart, full_path: &str, out: &mut Vec<(String, Arc<str>)>) {
        for child in &ch.dependencies {
            rec(child, &format!("{full_path}/charts/{}", child.name()), out);
        }
        for t in &ch.templates {
            if let Some(name) = unit_name(ch, full_path, t) {
                out.push((name, t.text()));
            }
        }
    }
    let mut out = Vec::new();
    rec(ch, ch.name(), &mut out);
    out
}

fn collect_crds(ch: &Chart, full_path: &str, out: &mut Vec<CrdFile>) {
    for f in &ch.files {
        let ext = f
            .name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        if f.name.starts_with("crds/") && matches!(ext.as_str(), "yaml" | "yml" | "json") {
            out.push(CrdFile {
                filename: format!("{full_path}/{}", f.name),
                data: f.data.clone(),
            });
        }
    }
    for d in &ch.dependencies {
        collect_crds(d, &format!("{full_path}/charts/{}", d.name()), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::load::load_files;
    use crate::chart::strvals::{parse_into, Mode};
    use crate::chart::ChartFile;

    fn chart(files: &[(&str, &str)]) -> Chart {
        load_files(
            files
                .iter()
                .map(|(n, t)| ChartFile {
                    name: n.to_string(),
                    data: t.as_bytes().into(),
                })
                .collect(),
        )
        .unwrap()
    }

    fn parent() -> Chart {
        chart(&[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: 0.1.0\n  alias: subby\n  condition: subby.enabled\n",
            ),
            ("values.yaml", "top: 1\nsubby: {x: 2}\n"),
            ("templates/t.yaml", "a"),
            ("templates/_h.tpl", "b"),
            ("crds/c.yaml", "kind: CRD"),
            ("charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"),
            ("charts/sub/values.yaml", "x: 1\nyy: 1\n"),
            ("charts/sub/templates/s.yaml", "s"),
            ("charts/sub/crds/d.yaml", "kind: CRD"),
        ])
    }

    #[test]
    fn units_and_contexts() {
        let p = prepare(&parent(), &RenderOptions::default()).unwrap();
        let mut names: Vec<_> = p.units.iter().map(|u| u.name.as_str()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "c/charts/subby/templates/s.yaml",
                "c/templates/_h.tpl",
                "c/templates/t.yaml"
            ]
        );
        let s = p.units.iter().find(|u| u.name.ends_with("s.yaml")).unwrap();
        let ctx = s.context.as_map().unwrap();
        assert_eq!(
            ctx.get("Values").unwrap().format_v(),
            "map[global:map[] x:2 yy:1]"
        );
        assert_eq!(ctx.get("Values").unwrap().type_name(), "common.Values");
        assert_eq!(
            s.template.format_v(),
            "map[BasePath:c/charts/subby/templates Name:c/charts/subby/templates/s.yaml]"
        );
        let chart_name = ctx
            .get("Chart")
            .unwrap()
            .as_map()
            .unwrap()
            .get("Name")
            .unwrap();
        assert_eq!(chart_name.format_v(), "subby");
        let t = p.units.iter().find(|u| u.name.ends_with("t.yaml")).unwrap();
        let root = t.context.as_map().unwrap();
        // .Values.subby and the subchart's .Values are the same map.
        let sub_vals = root
            .get("Values")
            .unwrap()
            .as_map()
            .unwrap()
            .get("subby")
            .unwrap();
        assert!(sub_vals
            .as_map()
            .unwrap()
            .ptr_eq(ctx.get("Values").unwrap().as_map().unwrap()));
        assert!(root
            .get("Subcharts")
            .unwrap()
            .as_map()
            .unwrap()
            .get("subby")
            .is_some());
        let crds: Vec<_> = p.crds.iter().map(|c| c.filename.as_str()).collect();
        assert_eq!(crds, ["c/crds/c.yaml", "c/charts/subby/crds/d.yaml"]);
        assert!(p.units.iter().any(|u| u.is_partial()));
    }

    #[test]
    fn disabled_and_errors() {
        let o = RenderOptions::default();
        parse_into("subby.enabled=false", &o.user_values, Mode::Typed).unwrap();
        let p = prepare(&parent(), &o).unwrap();
        assert_eq!(p.units.len(), 2);
        let mut o = RenderOptions::default();
        parse_into("subby=x", &o.user_values, Mode::Typed).unwrap();
        assert_eq!(
            prepare(&parent(), &o).unwrap_err().0,
            "chart dependencies processing failed: type mismatch on subby: %!t(string=x)"
        );
        o.helm_major = 3;
        assert_eq!(
            prepare(&parent(), &o).unwrap_err().0,
            "type mismatch on subby: %!t(string=x)"
        );
        let mut c = parent();
        c.metadata.kube_version = "<1.20".into();
        assert_eq!(
            prepare(&c, &RenderOptions::default()).unwrap_err().0,
            "chart requires kubeVersion: <1.20 which is incompatible with Kubernetes v1.35.0"
        );
        let mut c = parent();
        c.metadata.chart_type = "library".into();
        assert_eq!(
            prepare(&c, &RenderOptions::default()).unwrap_err().0,
            "library charts are not installable"
        );
        let mut c = parent();
        c.dependencies.clear();
        assert!(prepare(&c, &RenderOptions::default())
            .unwrap_err()
            .0
            .ends_with("missing in charts/ directory: sub"));
        let o = RenderOptions {
            release: ReleaseOptions {
                name: "Bad".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(prepare(&parent(), &o)
            .unwrap_err()
            .0
            .starts_with("release name check failed: release name \"Bad\": invalid release name"));
    }

    /// The `g` toy chart, checked against helm 4.1.4 (`y` renamed `yy`: YAML 1.1 makes `y` a
    /// boolean key, which the temporary YAML shim does not do).
    #[test]
    fn matches_helm_globals_imports_aliases() {
        let c = chart(&[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: g\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: \">=0.1.0\"\n  alias: subby\n  condition: off.enabled,global.offOn\n  tags: [extra]\n  import-values:\n  - data\n  - child: own\n    parent: imported\n  - child: tbl\n    parent: a.b\n",
            ),
            ("values.yaml", "exported: parent-wins\nglobal: {g: parent, gm: {p: 1}}\nsubby: {x: 2}\nm: {a: 1, b: 2}\n"),
            ("templates/t.yaml", ""),
            ("charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"),
            (
                "charts/sub/values.yaml",
                "own: 1\ntbl: {t: 1}\nx: 1\nyy: 1\nglobal: {subonly: s, g: sub, gm: {s: 2}}\nexports:\n  data: {exported: e, other: o}\n",
            ),
            ("charts/sub/templates/s.yaml", ""),
        ]);
        let o = RenderOptions::default();
        parse_into("m.a=null,newnull=null", &o.user_values, Mode::Typed).unwrap();
        let p = prepare(&c, &o).unwrap();
        let ctx = |suffix: &str| {
            p.units
                .iter()
                .find(|u| u.name.ends_with(suffix))
                .unwrap()
                .context
                .as_map()
                .unwrap()
                .clone()
        };
        let sub = "map[exports:map[data:map[exported:e other:o]] global:map[g:parent gm:map[p:1 s:2] subonly:s] own:1 tbl:map[t:1] x:2 yy:1]";
        assert_eq!(ctx("s.yaml").get("Values").unwrap().format_v(), sub);
        assert_eq!(
            ctx("t.yaml").get("Values").unwrap().format_v(),
            format!("map[a:map[b:map[t:1]] exported:parent-wins global:map[g:parent gm:map[p:1]] m:map[b:2] newnull:<nil> other:o subby:{sub}]")
        );
        let chart = ctx("t.yaml").get("Chart").unwrap();
        assert_eq!(
            chart.as_map().unwrap().get("Dependencies").unwrap().format_v(),
            "[map[Alias:subby Condition:off.enabled,global.offOn Enabled:true ImportValues:[map[child:exports.data parent:.] map[child:own parent:imported] map[child:tbl parent:a.b]] Name:subby Repository: Tags:[extra] Version:>=0.1.0]]"
        );
    }

    /// apiVersion v1: dependencies come from requirements.yaml, which stays visible in `.Files`
    /// (checked against helm 4.1.4).
    #[test]
    fn v1_requirements() {
        let c = chart(&[
            ("Chart.yaml", "apiVersion: v1\nname: v1\nversion: 0.1.0\n"),
            (
                "requirements.yaml",
                "dependencies:\n- name: sub\n  version: 0.1.0\n  condition: sub.on\n",
            ),
            ("templates/t.yaml", ""),
            (
                "charts/sub/Chart.yaml",
                "apiVersion: v1\nname: sub\nversion: 0.1.0\n",
            ),
        ]);
        let p = prepare(&c, &RenderOptions::default()).unwrap();
        let ctx = p.units[0].context.as_map().unwrap().clone();
        let deps = ctx
            .get("Chart")
            .unwrap()
            .as_map()
            .unwrap()
            .get("Dependencies")
            .unwrap();
        assert_eq!(
            deps.format_v(),
            "[map[Alias: Condition:sub.on Enabled:true ImportValues:[] Name:sub Repository: Tags:[] Version:0.1.0]]"
        );
        assert_eq!(ctx.get("Files").unwrap().format_v(), "map[requirements.yaml:[100 101 112 101 110 100 101 110 99 105 101 115 58 10 45 32 110 97 109 101 58 32 115 117 98 10 32 32 118 101 114 115 105 111 110 58 32 48 46 49 46 48 10 32 32 99 111 110 100 105 116 105 111 110 58 32 115 117 98 46 111 110 10]]");
        let o = RenderOptions::default();
        parse_into("sub.on=false", &o.user_values, Mode::Typed).unwrap();
        let p = prepare(&c, &o).unwrap();
        let deps = p.units[0]
            .context
            .as_map()
            .unwrap()
            .get("Chart")
            .unwrap()
            .as_map()
            .unwrap()
            .get("Dependencies")
            .unwrap();
        assert_eq!(deps.format_v(), "[]");
    }
}
