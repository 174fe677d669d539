//! Renders one side of an upgrade (the old or the new chart) with the library, as `helm
//! upgrade` would: same release name, namespace and values; revision 1 as an install for the
//! old chart, revision 2 as an upgrade for the new one.

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

/// Renders `chart` into a [`Release`]. Random functions get a fixed seed and `now` a fixed
/// time, so templates that did not change render the same on both sides.
pub fn render_release(
    chart: &Chart,
    spec: &RenderSpec,
    revision: i64,
    is_upgrade: bool,
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
    };
    let prepared = prepare(chart, &ropts).map_err(|e| e.0)?;
    let eopts = ExecOptions {
        helm_major: spec.helm_major,
        seed: Some(1),
        now: chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").ok(),
        trace: true,
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
