//! The artifacts directory of a run:
//!
//! ```text
//! ARTIFACTS/
//!   manifests/CHART.yaml         the chart rendered natively with the run's values (Secrets redacted)
//!   manifests/previous.yaml      with --upgrade-from: the previous chart, rendered the same way
//!   diagnostics/NAMESPACE/       the bundle written when install fails (events, describe, logs)
//!   checks.json                  every live check's verdict
//!   load-summary.json, load.txt  the merged load summary (k6's JSON and text)
//!   verify-summary.json, verify.txt
//!   report.json, junit.xml       the phase report
//!   summary.txt                  the summary table
//! ```
//!
//! Everything written passes through the run's redactor, which has learnt the kubeconfig's
//! credentials, the Secret values of the rendered manifests and the values of `--set` keys
//! that name secrets.

use std::path::{Path, PathBuf};

use crate::cli::template::TemplateArgs;
use crate::cluster::helm::HelmValues;
use crate::cluster::progress::Log;
use crate::cluster::redact::is_sensitive_name;

/// The artifacts directory.
#[derive(Clone, Debug)]
pub struct Artifacts {
    /// Its path.
    pub dir: PathBuf,
}

impl Artifacts {
    /// A path inside it.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// Writes a file (redacted), creating directories; failures are logged, not fatal: a run
    /// is never failed by its artifacts.
    pub fn write(&self, rel: &str, text: &str, log: &Log) {
        let path = self.path(rel);
        let write = || -> std::io::Result<()> {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, log.redact(text))
        };
        if let Err(e) = write() {
            log.line(format!("warning: cannot write {}: {e}", path.display()));
        }
    }
}

/// Teaches the redactor the values of `--set`/`--set-string`/`--set-json` keys that name
/// secrets (`postgresql.auth.password=...`).
pub fn learn_set_secrets(values: &HelmValues, log: &Log) {
    for arg in values
        .set
        .iter()
        .chain(&values.set_string)
        .chain(&values.set_json)
    {
        for kv in arg.split(',') {
            if let Some((k, v)) = kv.split_once('=') {
                if is_sensitive_name(k.rsplit('.').next().unwrap_or(k)) {
                    log.learn(|r| r.add(v.trim_matches('"')));
                }
            }
        }
    }
}

/// Teaches the redactor every Secret value of a manifest stream.
pub fn learn_manifest_secrets(manifests: &str, log: &Log) {
    let Ok(objects) = super::jobs::manifest_objects(manifests) else {
        return;
    };
    for o in objects {
        if o["kind"] != "Secret" {
            continue;
        }
        for (field, base64) in [("data", true), ("stringData", false)] {
            if let Some(m) = o[field].as_object() {
                for v in m.values().filter_map(|v| v.as_str()) {
                    log.learn(|r| if base64 { r.add_base64(v) } else { r.add(v) });
                }
            }
        }
    }
}

/// Renders `chart` natively as `helm template` would with the run's release, namespace and
/// values, and writes it to `manifests/NAME.yaml` with its Secrets redacted.
pub fn render_manifests(
    artifacts: &Artifacts,
    name: &str,
    chart: &str,
    opts: &super::Options,
    log: &Log,
) {
    let (release, namespace, values) = (&opts.release, &opts.namespace, &opts.values);
    let kube_version = opts.create.kube_version.as_deref();
    let mut args = TemplateArgs::for_chart(chart);
    args.args = vec![release.to_string(), chart.to_string()];
    args.namespace = namespace.to_string();
    args.vals.values = values.files.clone();
    args.vals.set = values.set.clone();
    args.vals.set_string = values.set_string.clone();
    args.vals.set_file = values.set_file.clone();
    args.vals.set_json = values.set_json.clone();
    args.kube_version = kube_version.map(str::to_string);
    let out = crate::cli::template::run(&args);
    if out.exit == 0 {
        learn_manifest_secrets(&out.stdout, log);
        artifacts.write(&format!("manifests/{name}.yaml"), &out.stdout, log);
    } else {
        log.line(format!(
            "warning: rendering {chart} for the artifacts failed: {}",
            out.stderr.trim()
        ));
        artifacts.write(&format!("manifests/{name}.error.txt"), &out.stderr, log);
    }
}

/// The default artifacts directory of a run.
pub fn default_dir(run_id: &str) -> PathBuf {
    Path::new("target/e2e").join(run_id)
}
