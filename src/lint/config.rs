//! `.charttest.yaml`: target versions, disabled rules, severities, suppressions and objects
//! that exist outside the chart. Looked up beside the chart, then in each parent directory up
//! to the repository root (the first directory holding `.git`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::finding::{Finding, Severity};
use super::rules;
use crate::chart::glob::Glob;

/// The file name looked for.
pub const FILE_NAME: &str = ".charttest.yaml";

/// The whole file. Only the `lint` section is read by `lint`; other sections belong to other
/// subcommands and are ignored here.
#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    lint: LintConfig,
}

/// The `lint:` section.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LintConfig {
    /// Target Kubernetes versions (`"1.29"`, `"v1.33.2"`); `--kube-version` overrides.
    #[serde(default)]
    pub kube_versions: Vec<String>,
    /// Scenario directory, relative to the chart (default `ci`); `--values-dir` overrides.
    #[serde(default)]
    pub values_dir: Option<String>,
    /// Release namespace used to render (default `default`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Fail on warnings too (as `--strict`).
    #[serde(default)]
    pub strict: bool,
    /// Rule ids switched off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Rule id → `error`, `warning` or `info`.
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    /// Findings to drop.
    #[serde(default)]
    pub suppress: Vec<Suppression>,
    /// Objects that exist in the cluster without the chart rendering them.
    #[serde(default)]
    pub external: External,
}

/// One suppression: every given field must match (names and files may be globs).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    /// The rule id (required).
    pub rule: String,
    /// Object kind.
    #[serde(default)]
    pub kind: Option<String>,
    /// Object name (glob).
    #[serde(default)]
    pub name: Option<String>,
    /// File, relative to the chart (glob).
    #[serde(default)]
    pub file: Option<String>,
    /// Scenario name.
    #[serde(default)]
    pub scenario: Option<String>,
    /// Why (for reviewers; not used).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Names (globs allowed) of objects provided outside the chart.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct External {
    /// ConfigMaps.
    #[serde(default)]
    pub config_maps: Vec<String>,
    /// Secrets.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// PersistentVolumeClaims.
    #[serde(default)]
    pub persistent_volume_claims: Vec<String>,
    /// ServiceAccounts.
    #[serde(default)]
    pub service_accounts: Vec<String>,
    /// PriorityClasses.
    #[serde(default)]
    pub priority_classes: Vec<String>,
    /// Services (for Ingress backends).
    #[serde(default)]
    pub services: Vec<String>,
}

/// Whether `name` matches any of `patterns` (exact or glob).
pub fn matches_any(patterns: &[String], name: &str) -> bool {
    patterns
        .iter()
        .any(|p| p == name || Glob::compile(p).is_some_and(|g| g.matches(name)))
}

impl LintConfig {
    /// Checks rule ids and severities, so a typo is an error and not a silent no-op.
    pub fn check(&self) -> Result<(), String> {
        let known = |id: &str| -> Result<(), String> {
            if rules::rule(id).is_some() {
                Ok(())
            } else {
                Err(format!(
                    "unknown rule {id:?} (run `posthog-charttest lint --list-rules` for the ids)"
                ))
            }
        };
        for id in &self.disable {
            known(id)?;
        }
        for (id, sev) in &self.severity {
            known(id)?;
            if Severity::parse(sev).is_none() {
                return Err(format!(
                    "severity of {id}: {sev:?} is not one of error, warning, info"
                ));
            }
        }
        for s in &self.suppress {
            known(&s.rule)?;
        }
        Ok(())
    }

    /// Whether the rule is on.
    pub fn enabled(&self, rule: &str) -> bool {
        !self.disable.iter().any(|d| d == rule)
    }

    /// The configured severity of a rule, if overridden.
    pub fn severity_of(&self, rule: &str) -> Option<Severity> {
        self.severity.get(rule).and_then(|s| Severity::parse(s))
    }

    /// Whether a suppression entry drops this finding.
    pub fn suppressed(&self, f: &Finding) -> bool {
        self.suppress.iter().any(|s| {
            s.rule == f.rule
                && s.kind.as_ref().is_none_or(|k| k == &f.kind)
                && s.name
                    .as_ref()
                    .is_none_or(|n| matches_any(std::slice::from_ref(n), &f.name))
                && s.file
                    .as_ref()
                    .is_none_or(|p| matches_any(std::slice::from_ref(p), &f.file))
                && s.scenario.as_ref().is_none_or(|sc| sc == &f.scenario)
        })
    }
}

/// Finds the config for a chart: `explicit` if given, else `.charttest.yaml` beside the chart,
/// else in a parent directory up to the repository root.
pub fn locate(chart_dir: &Path, explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let start = std::fs::canonicalize(chart_dir).unwrap_or_else(|_| chart_dir.to_path_buf());
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if d.join(".git").exists() {
            break;
        }
        dir = d.parent();
    }
    None
}

/// Reads and checks a config file.
pub fn load(path: &Path) -> Result<LintConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses config text.
pub fn parse(text: &str) -> Result<LintConfig, String> {
    let v = crate::engine::yaml::parse(text).map_err(|e| e.message().to_string())?;
    let json = crate::chart::schema::to_json(&v);
    if json.is_null() {
        return Ok(LintConfig::default());
    }
    let f: File = serde_json::from_value(json).map_err(|e| format!("lint: {e}"))?;
    f.lint.check()?;
    Ok(f.lint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let c = parse(
            "lint:\n  kubeVersions: ['1.29']\n  valuesDir: ci\n  namespace: ns\n  strict: true\n  disable: [probes]\n  severity: {image-tag: error}\n  suppress:\n  - rule: resources\n    kind: Job\n    name: 'mig*'\n  external:\n    secrets: [s]\n    configMaps: [c]\n    persistentVolumeClaims: [p]\n    serviceAccounts: [sa]\n    priorityClasses: [pc]\n    services: [svc]\n",
        )
        .unwrap();
        assert_eq!(c.kube_versions, vec!["1.29"]);
        assert!(!c.enabled("probes"));
        assert_eq!(c.severity_of("image-tag"), Some(Severity::Error));
        let mut f = Finding::chart("resources", Severity::Warning, "t", 1, String::new());
        f.kind = "Job".into();
        f.name = "migrate".into();
        assert!(c.suppressed(&f));
        f.kind = "Deployment".into();
        assert!(!c.suppressed(&f));
        assert!(matches_any(&c.external.services, "svc"));
    }

    #[test]
    fn rejects_typos() {
        assert!(parse("lint:\n  disabled: [probes]\n")
            .unwrap_err()
            .contains("unknown field"));
        assert!(parse("lint:\n  disable: [probez]\n")
            .unwrap_err()
            .contains("unknown rule"));
        assert!(parse("lint:\n  severity: {probes: fatal}\n").is_err());
    }
}
