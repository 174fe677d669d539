//! API lifecycle per target Kubernetes version: deprecated, removed, or not served yet.
//!
//! Two sources: the vendored schemas say which versions (1.25–1.37) serve each
//! apiVersion/kind; a table of the Kubernetes deprecation guide covers what was deprecated
//! or removed before 1.25 and the deprecation releases the schemas cannot tell. A beta or
//! alpha version is also deprecated once a stable version of the same kind is served (the
//! Kubernetes deprecation policy).

use super::schema::store;

/// One API's lifecycle, from the Kubernetes deprecation guide.
struct Known {
    api_version: &'static str,
    kind: &'static str,
    deprecated: u32,
    removed: Option<u32>,
    replacement: Option<(&'static str, &'static str)>,
}

const fn k(
    api_version: &'static str,
    kind: &'static str,
    deprecated: u32,
    removed: Option<u32>,
    replacement: Option<(&'static str, &'static str)>,
) -> Known {
    Known {
        api_version,
        kind,
        deprecated,
        removed,
        replacement,
    }
}

/// Minor versions of Kubernetes 1.x.
const TABLE: &[Known] = &[
    k(
        "extensions/v1beta1",
        "Deployment",
        8,
        Some(16),
        Some(("apps/v1", "Deployment")),
    ),
    k(
        "extensions/v1beta1",
        "DaemonSet",
        8,
        Some(16),
        Some(("apps/v1", "DaemonSet")),
    ),
    k(
        "extensions/v1beta1",
        "ReplicaSet",
        8,
        Some(16),
        Some(("apps/v1", "ReplicaSet")),
    ),
    k(
        "extensions/v1beta1",
        "NetworkPolicy",
        9,
        Some(16),
        Some(("networking.k8s.io/v1", "NetworkPolicy")),
    ),
    k(
        "extensions/v1beta1",
        "PodSecurityPolicy",
        11,
        Some(16),
        None,
    ),
    k(
        "extensions/v1beta1",
        "Ingress",
        14,
        Some(22),
        Some(("networking.k8s.io/v1", "Ingress")),
    ),
    k(
        "apps/v1beta1",
        "Deployment",
        9,
        Some(16),
        Some(("apps/v1", "Deployment")),
    ),
    k(
        "apps/v1beta1",
        "StatefulSet",
        9,
        Some(16),
        Some(("apps/v1", "StatefulSet")),
    ),
    k(
        "apps/v1beta1",
        "ControllerRevision",
        9,
        Some(16),
        Some(("apps/v1", "ControllerRevision")),
    ),
    k(
        "apps/v1beta2",
        "Deployment",
        9,
        Some(16),
        Some(("apps/v1", "Deployment")),
    ),
    k(
        "apps/v1beta2",
        "StatefulSet",
        9,
        Some(16),
        Some(("apps/v1", "StatefulSet")),
    ),
    k(
        "apps/v1beta2",
        "DaemonSet",
        9,
        Some(16),
        Some(("apps/v1", "DaemonSet")),
    ),
    k(
        "apps/v1beta2",
        "ReplicaSet",
        9,
        Some(16),
        Some(("apps/v1", "ReplicaSet")),
    ),
    k(
        "apps/v1beta2",
        "ControllerRevision",
        9,
        Some(16),
        Some(("apps/v1", "ControllerRevision")),
    ),
    k(
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
        16,
        Some(22),
        Some((
            "admissionregistration.k8s.io/v1",
            "MutatingWebhookConfiguration",
        )),
    ),
    k(
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
        16,
        Some(22),
        Some((
            "admissionregistration.k8s.io/v1",
            "ValidatingWebhookConfiguration",
        )),
    ),
    k(
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        16,
        Some(22),
        Some(("apiextensions.k8s.io/v1", "CustomResourceDefinition")),
    ),
    k(
        "apiregistration.k8s.io/v1beta1",
        "APIService",
        19,
        Some(22),
        Some(("apiregistration.k8s.io/v1", "APIService")),
    ),
    k(
        "authentication.k8s.io/v1beta1",
        "TokenReview",
        19,
        Some(22),
        Some(("authentication.k8s.io/v1", "TokenReview")),
    ),
    k(
        "authorization.k8s.io/v1beta1",
        "SubjectAccessReview",
        19,
        Some(22),
        Some(("authorization.k8s.io/v1", "SubjectAccessReview")),
    ),
    k(
        "authorization.k8s.io/v1beta1",
        "LocalSubjectAccessReview",
        19,
        Some(22),
        Some(("authorization.k8s.io/v1", "LocalSubjectAccessReview")),
    ),
    k(
        "authorization.k8s.io/v1beta1",
        "SelfSubjectAccessReview",
        19,
        Some(22),
        Some(("authorization.k8s.io/v1", "SelfSubjectAccessReview")),
    ),
    k(
        "certificates.k8s.io/v1beta1",
        "CertificateSigningRequest",
        19,
        Some(22),
        Some(("certificates.k8s.io/v1", "CertificateSigningRequest")),
    ),
    k(
        "coordination.k8s.io/v1beta1",
        "Lease",
        19,
        Some(22),
        Some(("coordination.k8s.io/v1", "Lease")),
    ),
    k(
        "networking.k8s.io/v1beta1",
        "Ingress",
        19,
        Some(22),
        Some(("networking.k8s.io/v1", "Ingress")),
    ),
    k(
        "networking.k8s.io/v1beta1",
        "IngressClass",
        19,
        Some(22),
        Some(("networking.k8s.io/v1", "IngressClass")),
    ),
    k(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRole",
        17,
        Some(22),
        Some(("rbac.authorization.k8s.io/v1", "ClusterRole")),
    ),
    k(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRoleBinding",
        17,
        Some(22),
        Some(("rbac.authorization.k8s.io/v1", "ClusterRoleBinding")),
    ),
    k(
        "rbac.authorization.k8s.io/v1beta1",
        "Role",
        17,
        Some(22),
        Some(("rbac.authorization.k8s.io/v1", "Role")),
    ),
    k(
        "rbac.authorization.k8s.io/v1beta1",
        "RoleBinding",
        17,
        Some(22),
        Some(("rbac.authorization.k8s.io/v1", "RoleBinding")),
    ),
    k(
        "scheduling.k8s.io/v1beta1",
        "PriorityClass",
        14,
        Some(22),
        Some(("scheduling.k8s.io/v1", "PriorityClass")),
    ),
    k(
        "storage.k8s.io/v1beta1",
        "CSIDriver",
        19,
        Some(22),
        Some(("storage.k8s.io/v1", "CSIDriver")),
    ),
    k(
        "storage.k8s.io/v1beta1",
        "CSINode",
        17,
        Some(22),
        Some(("storage.k8s.io/v1", "CSINode")),
    ),
    k(
        "storage.k8s.io/v1beta1",
        "StorageClass",
        19,
        Some(22),
        Some(("storage.k8s.io/v1", "StorageClass")),
    ),
    k(
        "storage.k8s.io/v1beta1",
        "VolumeAttachment",
        19,
        Some(22),
        Some(("storage.k8s.io/v1", "VolumeAttachment")),
    ),
    k(
        "batch/v1beta1",
        "CronJob",
        21,
        Some(25),
        Some(("batch/v1", "CronJob")),
    ),
    k(
        "discovery.k8s.io/v1beta1",
        "EndpointSlice",
        21,
        Some(25),
        Some(("discovery.k8s.io/v1", "EndpointSlice")),
    ),
    k(
        "events.k8s.io/v1beta1",
        "Event",
        19,
        Some(25),
        Some(("events.k8s.io/v1", "Event")),
    ),
    k(
        "autoscaling/v2beta1",
        "HorizontalPodAutoscaler",
        22,
        Some(25),
        Some(("autoscaling/v2", "HorizontalPodAutoscaler")),
    ),
    k(
        "autoscaling/v2beta2",
        "HorizontalPodAutoscaler",
        23,
        Some(26),
        Some(("autoscaling/v2", "HorizontalPodAutoscaler")),
    ),
    k(
        "policy/v1beta1",
        "PodDisruptionBudget",
        21,
        Some(25),
        Some(("policy/v1", "PodDisruptionBudget")),
    ),
    k("policy/v1beta1", "PodSecurityPolicy", 21, Some(25), None),
    k(
        "node.k8s.io/v1beta1",
        "RuntimeClass",
        20,
        Some(25),
        Some(("node.k8s.io/v1", "RuntimeClass")),
    ),
    k(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "FlowSchema",
        23,
        Some(26),
        Some(("flowcontrol.apiserver.k8s.io/v1", "FlowSchema")),
    ),
    k(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
        23,
        Some(26),
        Some((
            "flowcontrol.apiserver.k8s.io/v1",
            "PriorityLevelConfiguration",
        )),
    ),
    k(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "FlowSchema",
        26,
        Some(29),
        Some(("flowcontrol.apiserver.k8s.io/v1", "FlowSchema")),
    ),
    k(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "PriorityLevelConfiguration",
        26,
        Some(29),
        Some((
            "flowcontrol.apiserver.k8s.io/v1",
            "PriorityLevelConfiguration",
        )),
    ),
    k(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "FlowSchema",
        29,
        Some(32),
        Some(("flowcontrol.apiserver.k8s.io/v1", "FlowSchema")),
    ),
    k(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "PriorityLevelConfiguration",
        29,
        Some(32),
        Some((
            "flowcontrol.apiserver.k8s.io/v1",
            "PriorityLevelConfiguration",
        )),
    ),
    k(
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        24,
        Some(27),
        Some(("storage.k8s.io/v1", "CSIStorageCapacity")),
    ),
    k(
        "v1",
        "Endpoints",
        33,
        None,
        Some(("discovery.k8s.io/v1", "EndpointSlice")),
    ),
];

/// An API's status in one target version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Served and not deprecated (or unknown to both sources: a custom resource).
    Fine,
    /// Deprecated; the message is helm's wording.
    Deprecated(String),
    /// No longer served.
    Removed(String),
    /// Not served yet.
    NotYetAvailable(String),
}

fn helm_message(
    api_version: &str,
    kind: &str,
    dep: u32,
    removed: Option<u32>,
    repl: Option<(&str, &str)>,
) -> String {
    // k8s.io/apiserver's deprecation.WarningMessage, which helm lint prints.
    let mut m = format!("{api_version} {kind} is deprecated in v1.{dep}+");
    if let Some(r) = removed {
        m.push_str(&format!(", unavailable in v1.{r}+"));
    }
    if let Some((a, k)) = repl {
        m.push_str(&format!("; use {a} {k}"));
    }
    m
}

fn stability(api_version: &str) -> u8 {
    let v = api_version.rsplit('/').next().unwrap_or("");
    if v.contains("alpha") {
        0
    } else if v.contains("beta") {
        1
    } else {
        2
    }
}

/// The lifecycle status of `apiVersion`/`kind` in Kubernetes `1.<minor>`.
pub fn status(api_version: &str, kind: &str, minor: u32) -> Status {
    if let Some(e) = TABLE
        .iter()
        .find(|e| e.api_version == api_version && e.kind == kind)
    {
        if e.removed.is_some_and(|r| minor >= r) {
            return Status::Removed(helm_message(
                api_version,
                kind,
                e.deprecated,
                e.removed,
                e.replacement,
            ));
        }
        if minor >= e.deprecated {
            return Status::Deprecated(helm_message(
                api_version,
                kind,
                e.deprecated,
                e.removed,
                e.replacement,
            ));
        }
        return Status::Fine;
    }
    let served = store::served_in(api_version, kind);
    if served.is_empty() {
        return Status::Fine;
    }
    if !served.contains(&minor) {
        let first = served[0];
        let last = served[served.len() - 1];
        if minor < first {
            return Status::NotYetAvailable(format!(
                "{api_version} {kind} is not served before Kubernetes v1.{first}"
            ));
        }
        if minor > last {
            return Status::Removed(format!(
                "{api_version} {kind} is unavailable in v1.{}+{}",
                last + 1,
                stable_hint(api_version, kind, minor)
            ));
        }
        return Status::Fine;
    }
    // A pre-release version with a stable sibling served by the target is deprecated.
    if stability(api_version) < 2 {
        let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        let mut stable: Option<(String, u32)> = None;
        for key in store::all_served() {
            let Some((gv, k)) = key.rsplit_once('/') else {
                continue;
            };
            if k != kind || stability(gv) < 2 {
                continue;
            }
            let g = gv.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
            if g != group {
                continue;
            }
            let s = store::served_in(gv, kind);
            if s.contains(&minor) {
                stable = Some((gv.to_string(), s[0]));
                break;
            }
        }
        if let Some((gv, since)) = stable {
            let last = served[served.len() - 1];
            let removed = (last < store::MAX_MINOR).then_some(last + 1);
            return Status::Deprecated(helm_message(
                api_version,
                kind,
                since,
                removed,
                Some((gv.as_str(), kind)),
            ));
        }
    }
    Status::Fine
}

fn stable_hint(api_version: &str, kind: &str, minor: u32) -> String {
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    for key in store::all_served() {
        let Some((gv, k)) = key.rsplit_once('/') else {
            continue;
        };
        let g = gv.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        if k == kind
            && g == group
            && gv != api_version
            && store::served_in(gv, kind).contains(&minor)
        {
            return format!("; use {gv} {kind}");
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_schemas_agree_with_the_guide() {
        assert_eq!(
            status("policy/v1beta1", "PodDisruptionBudget", 24),
            Status::Deprecated("policy/v1beta1 PodDisruptionBudget is deprecated in v1.21+, unavailable in v1.25+; use policy/v1 PodDisruptionBudget".into())
        );
        assert!(matches!(
            status("policy/v1beta1", "PodDisruptionBudget", 25),
            Status::Removed(_)
        ));
        assert_eq!(status("apps/v1", "Deployment", 30), Status::Fine);
        assert!(matches!(
            status("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", 30),
            Status::Deprecated(_)
        ));
        assert!(matches!(
            status("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", 33),
            Status::Removed(_)
        ));
        assert!(matches!(
            status("resource.k8s.io/v1", "DeviceClass", 30),
            Status::NotYetAvailable(_)
        ));
        // Derived from the schemas: v1beta1 ServiceCIDR is deprecated once v1 is served.
        assert!(matches!(
            status("networking.k8s.io/v1beta1", "ServiceCIDR", 33),
            Status::Deprecated(_)
        ));
        assert!(matches!(
            status("networking.k8s.io/v1beta1", "ServiceCIDR", 37),
            Status::Removed(_)
        ));
        assert_eq!(status("example.com/v1", "Widget", 30), Status::Fine);
    }
}
