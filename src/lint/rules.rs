//! Every rule lint knows: id, family, default severity and what it checks. The ids are what
//! `.charttest.yaml` disables and what the `posthog-charttest/ignore` annotation names.

use super::finding::Severity;

/// A rule's description.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    /// Its id.
    pub id: &'static str,
    /// Its family: `chart`, `schema`, `api`, `policy` or `reference`.
    pub family: &'static str,
    /// Its severity unless configured otherwise (helm's rules carry helm's level per message).
    pub severity: Severity,
    /// One line on what it checks.
    pub summary: &'static str,
}

use Severity::{Error as E, Info as I, Warning as W};

/// All rules, by family.
pub const RULES: &[Rule] = &[
    // helm lint's checks, with helm's messages and levels.
    Rule { id: "chart-yaml", family: "chart", severity: E, summary: "Chart.yaml parses strictly and has a valid name, apiVersion, SemVer version (a string), maintainers, URLs, type and dependencies (helm lint)" },
    Rule { id: "values", family: "chart", severity: E, summary: "values.yaml exists, parses, and the values meet values.schema.json (helm lint)" },
    Rule { id: "template-render", family: "chart", severity: E, summary: "every template renders (helm lint)" },
    Rule { id: "template-extension", family: "chart", severity: E, summary: "template files end in .yaml, .yml, .tpl or .txt (helm lint)" },
    Rule { id: "template-indent", family: "chart", severity: W, summary: "rendered documents do not start indented (helm lint)" },
    Rule { id: "template-yaml", family: "chart", severity: E, summary: "rendered templates are valid YAML (helm lint)" },
    Rule { id: "object-name", family: "chart", severity: W, summary: "object names meet Kubernetes naming rules for their kind (helm lint)" },
    Rule { id: "workload-selector", family: "chart", severity: E, summary: "Deployments, ReplicaSets, DaemonSets and StatefulSets have matchLabels or matchExpressions (helm lint)" },
    Rule { id: "list-annotations", family: "chart", severity: E, summary: "no helm.sh/resource-policy annotation inside a List (helm lint)" },
    Rule { id: "dependencies", family: "chart", severity: E, summary: "Chart.yaml dependencies and charts/ agree and are unique (helm lint)" },
    Rule { id: "crds", family: "chart", severity: E, summary: "files in crds/ are CustomResourceDefinitions of apiextensions.k8s.io (helm lint)" },
    // Kubernetes schema validation per target version.
    Rule { id: "schema-unknown-field", family: "schema", severity: E, summary: "no field the API schema (or CRD schema) does not declare" },
    Rule { id: "schema-wrong-type", family: "schema", severity: E, summary: "every value has the type the schema declares" },
    Rule { id: "schema-required", family: "schema", severity: E, summary: "required fields are present (null counts as absent)" },
    Rule { id: "schema-duplicate-key", family: "schema", severity: E, summary: "no key appears twice in one mapping" },
    Rule { id: "schema-invalid-value", family: "schema", severity: E, summary: "formats the API server enforces: int32/int64 range, base64, RFC 3339 times, quantities, enums, CRD bounds and patterns" },
    Rule { id: "schema-unavailable", family: "schema", severity: I, summary: "an apiVersion/kind with no schema (neither Kubernetes nor a chart CRD): said once, not validated" },
    // API lifecycle per target version.
    Rule { id: "api-deprecated", family: "api", severity: W, summary: "the apiVersion is deprecated in the target version" },
    Rule { id: "api-removed", family: "api", severity: E, summary: "the apiVersion is no longer served by the target version" },
    Rule { id: "api-not-yet-available", family: "api", severity: E, summary: "the apiVersion is not served yet by the target version" },
    // Best-practice policies.
    Rule { id: "resources", family: "policy", severity: W, summary: "containers set CPU and memory requests and a memory limit" },
    Rule { id: "probes", family: "policy", severity: W, summary: "long-running containers have liveness and readiness probes" },
    Rule { id: "probes-distinct", family: "policy", severity: W, summary: "liveness and readiness probes differ" },
    Rule { id: "image-tag", family: "policy", severity: W, summary: "images are pinned to a tag other than latest (or a digest)" },
    Rule { id: "run-as-non-root", family: "policy", severity: W, summary: "containers run with runAsNonRoot: true (pod or container level)" },
    Rule { id: "read-only-root-fs", family: "policy", severity: W, summary: "containers set readOnlyRootFilesystem: true" },
    Rule { id: "privileged", family: "policy", severity: W, summary: "no privileged containers" },
    Rule { id: "privilege-escalation", family: "policy", severity: W, summary: "containers set allowPrivilegeEscalation: false" },
    Rule { id: "host-namespaces", family: "policy", severity: W, summary: "no hostNetwork, hostPID or hostIPC" },
    Rule { id: "docker-socket", family: "policy", severity: W, summary: "no hostPath mount of the container runtime socket" },
    Rule { id: "pdb", family: "policy", severity: W, summary: "workloads with more than one replica have a PodDisruptionBudget" },
    Rule { id: "anti-affinity", family: "policy", severity: W, summary: "workloads with more than one replica spread with pod anti-affinity or topologySpreadConstraints" },
    Rule { id: "network-policy", family: "policy", severity: I, summary: "pods are selected by a NetworkPolicy" },
    Rule { id: "stable-api", family: "policy", severity: I, summary: "objects use a stable (non-alpha, non-beta) apiVersion" },
    // Cross-object references within one scenario.
    Rule { id: "duplicate-object", family: "reference", severity: E, summary: "no two objects with the same kind, namespace and name" },
    Rule { id: "dangling-reference", family: "reference", severity: E, summary: "every ConfigMap, Secret, PVC, ServiceAccount and PriorityClass used is rendered or declared external" },
    Rule { id: "service-selector", family: "reference", severity: E, summary: "every Service selector matches a rendered pod template" },
    Rule { id: "ingress-backend", family: "reference", severity: E, summary: "every Ingress backend names a rendered Service and one of its ports" },
    Rule { id: "hpa-target", family: "reference", severity: E, summary: "every HorizontalPodAutoscaler targets a rendered workload" },
    Rule { id: "pdb-target", family: "reference", severity: W, summary: "every PodDisruptionBudget selects a rendered pod template" },
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}
