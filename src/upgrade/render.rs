//! Renders one side of an upgrade (the old or the new chart) with the library, as `helm
//! upgrade` would: same release name, namespace and values; revision 1 as an install for the
//! old chart, revision 2 as an upgrade for the new one. While the new chart renders, `lookup`
//! sees the old release's objects, as it would see them in the cluster: charts that keep
//! generated passwords across upgrades (and refuse to upgrade without them) work unchanged.

use std::sync::Arc;

use base64::Engine as _;
use serde_json::Value as Json;

use crate::engine::funcs::LookupSource;
use crate::engine::Value;

use crate::chart::objects::{KubeVersion, ReleaseOptions};
use crate::chart::prepare::{prepare, RenderOptions};
use crate::chart::Chart;
use crate::engine::value::MapRef;
use crate::engine::ExecOptions;
use crate::render::chart::{execute_units_traced, helm_order, parse_units};

use super::objects::Release;

/// What both sides are rendered with.
#[derive(Clone, Debug)]
pub struct RenderSpec {
    /// Release name.
    pub release: String,
    /// Release namespace.
    pub namespace: String,
    /// 4 or 3.
    pub helm_major: u32,
    /// `--kube-version`.
    pub kube_version: Option<KubeVersion>,
    /// `--api-versions`.
    pub api_versions: Vec<String>,
    /// The merged user values.
    pub user_values: MapRef,
    /// Skip values.schema.json validation.
    pub skip_schema_validation: bool,
}

impl Default for RenderSpec {
    fn default() -> Self {
        RenderSpec {
            release: "release-name".into(),
            namespace: "default".into(),
            helm_major: 4,
            kube_version: None,
            api_versions: Vec::new(),
            user_values: MapRef::default(),
            skip_schema_validation: false,
        }
    }
}

/// `lookup` over a rendered release: what the cluster holds after installing it.
#[derive(Debug, Default)]
pub struct ReleaseLookup {
    objects: Vec<(String, String, String, Json)>,
}

impl ReleaseLookup {
    /// The objects of `rel` as the API server would return them: namespaces filled in, a
    /// Secret's `stringData` folded into base64 `data`. Hooks are left out unless they
    /// stay (`helm.sh/hook-delete-policy` without `before-hook-creation` or
    /// `hook-succeeded`), which the chart cannot know; they are left out either way.
    pub fn new(rel: &Release) -> ReleaseLookup {
        let mut objects = Vec::new();
        for o in rel.objects.values().filter(|o| !o.hook) {
            let mut doc = o.doc.clone();
            if !o.key.namespace.is_empty() {
                if let Some(Json::Object(md)) = doc.get_mut("metadata") {
                    md.insert("namespace".into(), Json::String(o.key.namespace.clone()));
                }
            }
            if o.key.kind == "Secret" && o.key.group.is_empty() {
                fold_string_data(&mut doc);
            }
            objects.push((
                o.api_version.clone(),
                o.key.kind.clone(),
                o.key.namespace.clone(),
                doc,
            ));
        }
        ReleaseLookup { objects }
    }
}

fn fold_string_data(doc: &mut Json) {
    let Some(Json::Object(sd)) = doc.as_object_mut().and_then(|m| m.remove("stringData")) else {
        return;
    };
    let Some(m) = doc.as_object_mut() else {
        return;
    };
    let data = m
        .entry("data")
        .or_insert_with(|| Json::Object(serde_json::Map::new()));
    if let Json::Object(d) = data {
        for (k, v) in sd {
            let text = match v {
                Json::String(s) => s,
                other => other.to_string(),
            };
            d.insert(
                k,
                Json::String(base64::engine::general_purpose::STANDARD.encode(text)),
            );
        }
    }
}

impl LookupSource for ReleaseLookup {
    fn lookup(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        let matches = |(av, k, ns, _): &&(String, String, String, Json)| {
            av == api_version && k == kind && (namespace.is_empty() || ns == namespace)
        };
        if name.is_empty() {
            let items: Vec<Json> = self
                .objects
                .iter()
                .filter(matches)
                .map(|(_, _, _, d)| d.clone())
                .collect();
            if items.is_empty() {
                return None;
            }
            let list = serde_json::json!({
                "apiVersion": api_version,
                "kind": format!("{kind}List"),
                "items": items,
            });
            return Some(crate::chart::strvals::from_json(list));
        }
        self.objects
            .iter()
            .filter(matches)
            .find(|(_, _, _, d)| {
                d.get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(Json::as_str)
                    == Some(name)
            })
            .map(|(_, _, _, d)| crate::chart::strvals::from_json(d.clone()))
    }
}

/// Renders `chart` into a [`Release`]. Random functions get a fixed seed and `now` a fixed
/// time, so templates that did not change render the same on both sides.
///
/// `cluster` is what `lookup` sees (the old release when rendering the new chart); with
/// `None` it finds nothing, as on a fresh install.
pub fn render_release(
    chart: &Chart,
    spec: &RenderSpec,
    revision: i64,
    is_upgrade: bool,
    cluster: Option<Arc<ReleaseLookup>>,
) -> Result<Release, String> {
    let ropts = RenderOptions {
        helm_major: spec.helm_major,
        release: ReleaseOptions {
            name: spec.release.clone(),
            namespace: spec.namespace.clone(),
            revision,
            is_upgrade,
        },
        // prepare coalesces into this map, so each side gets its own copy.
        user_values: crate::chart::values::copy_map(&spec.user_values),
        kube_version: spec.kube_version.clone(),
        api_versions: spec.api_versions.clone(),
        skip_schema_validation: spec.skip_schema_validation,
        ..RenderOptions::default()
    };
    let prepared = prepare(chart, &ropts).map_err(|e| e.0)?;
    let eopts = ExecOptions {
        helm_major: spec.helm_major,
        seed: Some(1),
        now: chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").ok(),
        trace: true,
        lookup: cluster.map(|c| c as Arc<dyn LookupSource>),
        ..ExecOptions::default()
    };
    let order = helm_order(&prepared.units);
    let set = parse_units(&order, spec.helm_major).map_err(|e| e.helm_message_for(4))?;
    let mut hits = crate::engine::Trace::default();
    let files = execute_units_traced(&set, &order, &eopts, &mut hits)
        .map_err(|e| e.helm_message_for(spec.helm_major))?;
    let mut rel = Release {
        chart_name: chart.name().to_string(),
        ..Release::default()
    };
    for (path, f) in files {
        rel.add_file(&path, f.output, Some(f.trace), &spec.namespace)?;
    }
    for crd in &prepared.crds {
        rel.add_crd_file(&crd.filename, &String::from_utf8_lossy(&crd.data))?;
    }
    Ok(rel)
}
