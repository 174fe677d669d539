//! What `upgrade-check` reports: findings with a stable rule id and a severity, and their
//! machine-readable forms (JSON, JUnit XML, SARIF 2.1.0).
//!
//! The field names follow `lint`'s JSON (`rule`, `severity`, `scenario`, `file`, `line`,
//! `kind`, `name`, `message`), so one consumer reads both.

use std::fmt::Write as _;

use serde::Serialize;

/// How bad a finding is. Errors fail the run; warnings fail it with `--strict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, harmless.
    Info,
    /// Likely a problem, or one under conditions the chart cannot see.
    Warning,
    /// `helm upgrade` fails, or data is lost.
    Error,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    fn sarif_level(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        }
    }
}

/// One upgrade hazard, pointing at the template line that produced the field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule id (`immutable/statefulset-selector`, `deleted/pvc`, …).
    pub rule: String,
    /// Its severity.
    pub severity: Severity,
    /// The values scenario (empty: the values given on the command line).
    pub scenario: String,
    /// The template to look at, relative to its chart (`templates/sts.yaml`): the new
    /// chart's, or the old chart's for an object that is gone.
    pub file: String,
    /// 1-based line in that file (0 when unknown).
    pub line: usize,
    /// The object's kind.
    pub kind: String,
    /// The object's name (`namespace/name` for namespaced objects).
    pub name: String,
    /// What breaks and what to do.
    pub message: String,
}

/// A rule's id, default severity and one-line summary, for `--list-rules` and SARIF.
#[derive(Clone, Copy, Debug)]
pub struct RuleInfo {
    /// The stable id.
    pub id: &'static str,
    /// The severity it reports with (some findings of a rule are lowered, e.g. for objects
    /// helm keeps).
    pub severity: Severity,
    /// What it detects.
    pub summary: &'static str,
}

const fn rule(id: &'static str, severity: Severity, summary: &'static str) -> RuleInfo {
    RuleInfo {
        id,
        severity,
        summary,
    }
}

use Severity::{Error as E, Warning as W};

/// Every rule `upgrade-check` reports.
pub const RULES: &[RuleInfo] = &[
    rule(
        "immutable/statefulset-selector",
        E,
        "StatefulSet spec.selector changed",
    ),
    rule(
        "immutable/statefulset-service-name",
        E,
        "StatefulSet spec.serviceName changed",
    ),
    rule(
        "immutable/statefulset-volume-claim-templates",
        E,
        "StatefulSet spec.volumeClaimTemplates changed",
    ),
    rule(
        "immutable/statefulset-pod-management-policy",
        E,
        "StatefulSet spec.podManagementPolicy changed",
    ),
    rule(
        "immutable/statefulset-spec",
        E,
        "another forbidden StatefulSet spec field changed",
    ),
    rule(
        "immutable/deployment-selector",
        E,
        "Deployment spec.selector changed",
    ),
    rule(
        "immutable/daemonset-selector",
        E,
        "DaemonSet spec.selector changed",
    ),
    rule(
        "immutable/replicaset-selector",
        E,
        "ReplicaSet spec.selector changed",
    ),
    rule("immutable/job-selector", E, "Job spec.selector changed"),
    rule("immutable/job-template", E, "Job spec.template changed"),
    rule(
        "immutable/job-spec",
        E,
        "Job completions, completionMode, podFailurePolicy or backoffLimitPerIndex changed",
    ),
    rule(
        "immutable/service-cluster-ip",
        E,
        "Service spec.clusterIP / clusterIPs changed",
    ),
    rule(
        "immutable/service-external-name",
        E,
        "Service type changed to or from ExternalName",
    ),
    rule(
        "immutable/service-ip-family",
        E,
        "Service primary IP family changed",
    ),
    rule(
        "immutable/pvc-storage-class",
        E,
        "PersistentVolumeClaim spec.storageClassName changed",
    ),
    rule(
        "immutable/pvc-access-modes",
        E,
        "PersistentVolumeClaim spec.accessModes changed",
    ),
    rule(
        "immutable/pvc-storage-shrink",
        E,
        "PersistentVolumeClaim storage request shrunk",
    ),
    rule(
        "immutable/pvc-spec",
        E,
        "another immutable PersistentVolumeClaim spec field changed",
    ),
    rule(
        "pvc/storage-expansion",
        W,
        "PersistentVolumeClaim storage request grew: needs allowVolumeExpansion",
    ),
    rule(
        "immutable/pv-spec",
        E,
        "PersistentVolume volume source, volumeMode or nodeAffinity changed",
    ),
    rule(
        "immutable/configmap-data",
        E,
        "data of an immutable ConfigMap changed",
    ),
    rule(
        "immutable/secret-data",
        E,
        "data of an immutable Secret changed",
    ),
    rule(
        "immutable/storageclass",
        E,
        "StorageClass provisioner, parameters, reclaimPolicy or volumeBindingMode changed",
    ),
    rule(
        "immutable/rolebinding-role-ref",
        E,
        "RoleBinding / ClusterRoleBinding roleRef changed",
    ),
    rule(
        "immutable/pod-spec",
        E,
        "bare Pod spec changed beyond images, tolerations and deadlines",
    ),
    rule(
        "immutable/priorityclass",
        E,
        "PriorityClass value or preemptionPolicy changed",
    ),
    rule(
        "immutable/ingressclass-controller",
        E,
        "IngressClass spec.controller changed",
    ),
    rule(
        "immutable/csidriver",
        E,
        "CSIDriver attachRequired or volumeLifecycleModes changed",
    ),
    rule(
        "immutable/volumeattachment",
        E,
        "VolumeAttachment spec changed",
    ),
    rule(
        "immutable/crd-scope",
        E,
        "CustomResourceDefinition spec.scope changed",
    ),
    rule(
        "deleted/statefulset",
        E,
        "StatefulSet removed: its volumes are orphaned or lost",
    ),
    rule(
        "deleted/pvc",
        E,
        "PersistentVolumeClaim removed: its data is deleted",
    ),
    rule("deleted/object", W, "object removed from the release"),
    rule(
        "renamed/statefulset",
        E,
        "StatefulSet renamed: new, empty volumes",
    ),
    rule(
        "renamed/pvc",
        E,
        "PersistentVolumeClaim renamed: new, empty volume",
    ),
    rule(
        "renamed/object",
        W,
        "object renamed (deleted and recreated)",
    ),
    rule(
        "orphaned/selector",
        E,
        "selector or label change leaves running pods unselected",
    ),
    rule(
        "crd/version-removed",
        E,
        "CustomResourceDefinition version removed",
    ),
    rule(
        "crd/not-upgraded",
        W,
        "CRD in crds/ changed: helm never upgrades those",
    ),
];

/// Looks a rule up by id.
pub fn rule_info(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

/// `--list-rules`: one line per rule.
pub fn rules_table() -> String {
    let mut s = String::new();
    for r in RULES {
        let _ = writeln!(s, "{:<45} {:<8} {}", r.id, r.severity.as_str(), r.summary);
    }
    s
}

/// `--output json`: the findings as a JSON array.
pub fn json(findings: &[Finding]) -> String {
    serde_json::to_string_pretty(findings).unwrap_or_else(|_| "[]".into()) + "\n"
}

pub use crate::report::xml_escape;

/// Joins a chart path and a file inside it, as a repository-relative path for annotations.
pub fn repo_path(chart: &str, file: &str) -> String {
    let c = chart.trim_end_matches('/');
    if c.is_empty() || c == "." {
        file.to_string()
    } else {
        format!("{c}/{file}")
    }
}

fn subject(f: &Finding) -> String {
    if f.kind.is_empty() {
        f.message.clone()
    } else {
        format!("{} {}: {}", f.kind, f.name, f.message)
    }
}

/// `--output junit`: one test suite, one failing test case per warning or error (info is
/// skipped), and one passing case when there is nothing to report.
pub fn junit(findings: &[Finding], chart: &str, suite: &str) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let fails = findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .count();
    let tests = findings.len().max(1);
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{fails}\">",
        xml_escape(suite)
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{fails}\">",
        xml_escape(suite)
    );
    if findings.is_empty() {
        let _ = writeln!(
            out,
            "    <testcase classname=\"{}\" name=\"no findings\"/>",
            xml_escape(suite)
        );
    }
    for f in findings {
        let name = format!(
            "{}:{} {} {} {}",
            repo_path(chart, &f.file),
            f.line,
            f.rule,
            f.kind,
            f.name
        );
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\">",
            xml_escape(&f.rule),
            xml_escape(&name)
        );
        match f.severity {
            Severity::Info => {
                let _ = write!(out, "<skipped message=\"{}\"/>", xml_escape(&subject(f)));
            }
            s => {
                let _ = write!(
                    out,
                    "<failure type=\"{}\" message=\"{}\">{}</failure>",
                    s.as_str(),
                    xml_escape(&subject(f)),
                    xml_escape(&f.message)
                );
            }
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// `--output sarif`: SARIF 2.1.0 for GitHub code scanning, with every rule described.
pub fn sarif(findings: &[Finding], chart: &str, tool: &str) -> String {
    let rules: Vec<serde_json::Value> = RULES
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": {"text": r.summary},
                "defaultConfiguration": {"level": r.severity.sarif_level()},
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let mut loc = serde_json::json!({
                "physicalLocation": {
                    "artifactLocation": {"uri": repo_path(chart, &f.file)},
                }
            });
            if f.line > 0 {
                loc["physicalLocation"]["region"] = serde_json::json!({"startLine": f.line});
            }
            serde_json::json!({
                "ruleId": f.rule,
                "ruleIndex": RULES.iter().position(|r| r.id == f.rule).unwrap_or(0),
                "level": f.severity.sarif_level(),
                "message": {"text": subject(f)},
                "locations": [loc],
            })
        })
        .collect();
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": tool,
                "informationUri": "https://github.com/PostHog/charts",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(rule: &str, sev: Severity) -> Finding {
        Finding {
            rule: rule.into(),
            severity: sev,
            scenario: String::new(),
            file: "templates/a.yaml".into(),
            line: 3,
            kind: "StatefulSet".into(),
            name: "default/db".into(),
            message: "x <y> & \"z\"".into(),
        }
    }

    #[test]
    fn every_rule_id_is_unique() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    #[test]
    fn junit_escapes_and_counts() {
        let x = junit(
            &[
                f("deleted/pvc", Severity::Error),
                f("deleted/object", Severity::Info),
            ],
            "charts/c",
            "upgrade-check",
        );
        assert!(x.contains("failures=\"1\""));
        assert!(x.contains("x &lt;y&gt; &amp; &quot;z&quot;"));
        assert!(x.contains("<skipped"));
        assert!(x.contains("charts/c/templates/a.yaml:3"));
    }

    #[test]
    fn sarif_has_rules_and_locations() {
        let s = sarif(
            &[f("deleted/pvc", Severity::Error)],
            ".",
            "posthog-charttest",
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let r = &v["runs"][0]["results"][0];
        assert_eq!(r["ruleId"], "deleted/pvc");
        assert_eq!(r["level"], "error");
        assert_eq!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            3
        );
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            v["runs"][0]["tool"]["driver"]["rules"][idx]["id"],
            "deleted/pvc"
        );
    }
}
