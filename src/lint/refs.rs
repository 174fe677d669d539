//! Cross-object checks within one scenario: duplicates, dangling references, Service
//! selectors, Ingress backends, HPA and PDB targets.

use std::collections::HashMap;

use crate::engine::yaml::Node;

use super::config::{matches_any, External};
use super::hit::Hit;
use super::objects::{get, items, path_line, scalar, str_at, Object};
use super::policy::pod_labels;
use super::schema::validate::Scalar;
use super::selector::Selector;

/// Kinds without a namespace.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "StorageClass",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "IngressClass",
    "RuntimeClass",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "FlowSchema",
    "PriorityLevelConfiguration",
    "CertificateSigningRequest",
    "ClusterIssuer",
];

/// Objects every cluster has.
const BUILTIN: &[(&str, &str)] = &[
    ("ServiceAccount", "default"),
    ("ConfigMap", "kube-root-ca.crt"),
    ("PriorityClass", "system-cluster-critical"),
    ("PriorityClass", "system-node-critical"),
];

fn is_true(n: Option<&Node>) -> bool {
    n.and_then(scalar) == Some(Scalar::Bool(true))
}

/// Names (per kind and namespace) an object provides.
fn provided(o: &Object, default_ns: &str) -> Vec<(&'static str, String, String)> {
    let ns = o.ns(default_ns).to_string();
    let mut v = Vec::new();
    let kind: Option<&'static str> = match o.kind.as_str() {
        "ConfigMap" => Some("ConfigMap"),
        "Secret" => Some("Secret"),
        "PersistentVolumeClaim" => Some("PersistentVolumeClaim"),
        "ServiceAccount" => Some("ServiceAccount"),
        "PriorityClass" => Some("PriorityClass"),
        "Service" => Some("Service"),
        // Operators that create Secrets from their own resources.
        "SealedSecret" => Some("Secret"),
        _ => None,
    };
    if let Some(k) = kind {
        v.push((k, ns.clone(), o.name.clone()));
    }
    if o.kind == "Certificate" {
        if let Some(s) = str_at(&o.node, &["spec", "secretName"]) {
            v.push(("Secret", ns.clone(), s.to_string()));
        }
    }
    if o.kind == "ExternalSecret" {
        let name = str_at(&o.node, &["spec", "target", "name"]).unwrap_or(&o.name);
        v.push(("Secret", ns.clone(), name.to_string()));
    }
    if o.kind == "StatefulSet" {
        // Pods of a StatefulSet get PVCs named after its volumeClaimTemplates.
        for t in items(get(&o.node, &["spec", "volumeClaimTemplates"])) {
            if let Some(n) = str_at(t, &["metadata", "name"]) {
                v.push(("PersistentVolumeClaim", ns.clone(), n.to_string()));
            }
        }
    }
    v
}

fn external_for<'a>(ext: &'a External, kind: &str) -> &'a [String] {
    match kind {
        "ConfigMap" => &ext.config_maps,
        "Secret" => &ext.secrets,
        "PersistentVolumeClaim" => &ext.persistent_volume_claims,
        "ServiceAccount" => &ext.service_accounts,
        "PriorityClass" => &ext.priority_classes,
        "Service" => &ext.services,
        _ => &[],
    }
}

/// A reference from a pod spec.
struct Ref {
    kind: &'static str,
    name: String,
    line: usize,
    what: String,
}

fn pod_refs(spec: &Node) -> Vec<Ref> {
    let mut out = Vec::new();
    let mut push = |kind: &'static str, node: &Node, path: &[&str], what: String| {
        if let Some(name) = str_at(node, path) {
            if !name.is_empty() {
                out.push(Ref {
                    kind,
                    name: name.to_string(),
                    line: path_line(node, path),
                    what,
                });
            }
        }
    };
    for v in items(get(spec, &["volumes"])) {
        let vname = str_at(v, &["name"]).unwrap_or("?").to_string();
        if !is_true(get(v, &["configMap", "optional"])) {
            push(
                "ConfigMap",
                v,
                &["configMap", "name"],
                format!("volume {vname:?}"),
            );
        }
        if !is_true(get(v, &["secret", "optional"])) {
            push(
                "Secret",
                v,
                &["secret", "secretName"],
                format!("volume {vname:?}"),
            );
        }
        push(
            "PersistentVolumeClaim",
            v,
            &["persistentVolumeClaim", "claimName"],
            format!("volume {vname:?}"),
        );
        for s in items(get(v, &["projected", "sources"])) {
            if !is_true(get(s, &["configMap", "optional"])) {
                push(
                    "ConfigMap",
                    s,
                    &["configMap", "name"],
                    format!("projected volume {vname:?}"),
                );
            }
            if !is_true(get(s, &["secret", "optional"])) {
                push(
                    "Secret",
                    s,
                    &["secret", "name"],
                    format!("projected volume {vname:?}"),
                );
            }
        }
    }
    let mut cs = items(get(spec, &["initContainers"]));
    cs.extend(items(get(spec, &["containers"])));
    for c in cs {
        let cn = str_at(c, &["name"]).unwrap_or("?").to_string();
        for e in items(get(c, &["env"])) {
            let en = str_at(e, &["name"]).unwrap_or("?");
            if !is_true(get(e, &["valueFrom", "configMapKeyRef", "optional"])) {
                push(
                    "ConfigMap",
                    e,
                    &["valueFrom", "configMapKeyRef", "name"],
                    format!("env {en} of container {cn:?}"),
                );
            }
            if !is_true(get(e, &["valueFrom", "secretKeyRef", "optional"])) {
                push(
                    "Secret",
                    e,
                    &["valueFrom", "secretKeyRef", "name"],
                    format!("env {en} of container {cn:?}"),
                );
            }
        }
        for e in items(get(c, &["envFrom"])) {
            if !is_true(get(e, &["configMapRef", "optional"])) {
                push(
                    "ConfigMap",
                    e,
                    &["configMapRef", "name"],
                    format!("envFrom of container {cn:?}"),
                );
            }
            if !is_true(get(e, &["secretRef", "optional"])) {
                push(
                    "Secret",
                    e,
                    &["secretRef", "name"],
                    format!("envFrom of container {cn:?}"),
                );
            }
        }
    }
    for s in items(get(spec, &["imagePullSecrets"])) {
        push("Secret", s, &["name"], "imagePullSecrets".into());
    }
    push(
        "ServiceAccount",
        spec,
        &["serviceAccountName"],
        "serviceAccountName".into(),
    );
    push(
        "PriorityClass",
        spec,
        &["priorityClassName"],
        "priorityClassName".into(),
    );
    out
}

/// A rendered pod template: object index, namespace, labels.
type PodTemplate = (usize, String, Vec<(String, String)>);

/// Runs the cross-object checks over a scenario's objects.
pub fn check(objs: &[Object], default_ns: &str, ext: &External, out: &mut Vec<Hit>) {
    // Duplicates.
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    for (i, o) in objs.iter().enumerate() {
        if o.kind.is_empty() || o.name.is_empty() {
            continue;
        }
        let ns = if CLUSTER_SCOPED.contains(&o.kind.as_str()) {
            String::new()
        } else {
            o.ns(default_ns).to_string()
        };
        let group = o.api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        let key = (format!("{group}/{}", o.kind), ns.clone(), o.name.clone());
        if let Some(&first) = seen.get(&key) {
            let where_ = if ns.is_empty() {
                o.name.clone()
            } else {
                format!("{ns}/{}", o.name)
            };
            out.push(Hit::new(
                "duplicate-object",
                i,
                path_line(&o.node, &["metadata", "name"]),
                format!(
                    "{} {where_} is rendered twice (also by {}); the second silently replaces the first",
                    o.kind,
                    "#FIRST#".to_string() + &first.to_string()
                ),
            ));
        } else {
            seen.insert(key, i);
        }
    }
    // What exists.
    let mut have: Vec<(&'static str, String, String)> = Vec::new();
    for o in objs {
        have.extend(provided(o, default_ns));
    }
    let exists = |kind: &str, ns: &str, name: &str| {
        BUILTIN.iter().any(|(k, n)| *k == kind && *n == name)
            || matches_any(external_for(ext, kind), name)
            || have.iter().any(|(k, hns, hn)| {
                *k == kind && hn == name && (kind == "PriorityClass" || hns == ns)
            })
    };
    // Pod templates by namespace.
    let pods: Vec<PodTemplate> = objs
        .iter()
        .enumerate()
        .filter_map(|(i, o)| Some((i, o.ns(default_ns).to_string(), pod_labels(o)?)))
        .collect();
    for (i, o) in objs.iter().enumerate() {
        let ns = o.ns(default_ns);
        if let Some(spec) = o.pod_spec() {
            for r in pod_refs(spec) {
                if !exists(r.kind, ns, &r.name) {
                    out.push(Hit::new(
                        "dangling-reference",
                        i,
                        r.line,
                        format!(
                            "{} uses {} {:?}, which the chart does not render; render it or declare it under lint.external in .charttest.yaml",
                            r.what, r.kind, r.name
                        ),
                    ));
                }
            }
        }
        match o.kind.as_str() {
            "Service" => {
                let sel_node = get(&o.node, &["spec", "selector"]);
                let sel = Selector::plain(sel_node);
                let external = str_at(&o.node, &["spec", "type"]) == Some("ExternalName");
                if !sel.is_empty()
                    && !external
                    && !pods.iter().any(|(_, pns, l)| pns == ns && sel.matches(l))
                {
                    out.push(Hit::new(
                        "service-selector",
                        i,
                        path_line(&o.node, &["spec", "selector"]),
                        format!(
                            "Service selector {} matches no pod template rendered in namespace {ns}",
                            sel.describe()
                        ),
                    ));
                }
            }
            "PodDisruptionBudget" => {
                if let Some(sel) = Selector::label_selector(get(&o.node, &["spec", "selector"])) {
                    if !pods.iter().any(|(_, pns, l)| pns == ns && sel.matches(l)) {
                        out.push(Hit::new(
                            "pdb-target",
                            i,
                            path_line(&o.node, &["spec", "selector"]),
                            format!(
                                "PodDisruptionBudget selector {} matches no pod template rendered in namespace {ns}",
                                sel.describe()
                            ),
                        ));
                    }
                }
            }
            "HorizontalPodAutoscaler" => {
                let kind = str_at(&o.node, &["spec", "scaleTargetRef", "kind"]).unwrap_or("");
                let name = str_at(&o.node, &["spec", "scaleTargetRef", "name"]).unwrap_or("");
                let found = objs
                    .iter()
                    .any(|t| t.kind == kind && t.name == name && t.ns(default_ns) == ns);
                if !found {
                    out.push(Hit::new(
                        "hpa-target",
                        i,
                        path_line(&o.node, &["spec", "scaleTargetRef", "name"]),
                        format!("HorizontalPodAutoscaler targets {kind} {name:?}, which is not rendered in namespace {ns}"),
                    ));
                }
            }
            "Ingress" => check_ingress(objs, i, ns, default_ns, ext, out),
            _ => {}
        }
    }
}

fn check_ingress(
    objs: &[Object],
    i: usize,
    ns: &str,
    default_ns: &str,
    ext: &External,
    out: &mut Vec<Hit>,
) {
    let o = &objs[i];
    let mut backends: Vec<&Node> = Vec::new();
    for key in ["defaultBackend", "backend"] {
        if let Some(b) = get(&o.node, &["spec", key]) {
            backends.push(b);
        }
    }
    for r in items(get(&o.node, &["spec", "rules"])) {
        for p in items(get(r, &["http", "paths"])) {
            if let Some(b) = get(p, &["backend"]) {
                backends.push(b);
            }
        }
    }
    for b in backends {
        // networking.k8s.io/v1: service.{name, port.{number|name}}; v1beta1: serviceName/servicePort.
        let (name, name_path, port): (Option<&str>, &[&str], Option<&Node>) =
            if get(b, &["service"]).is_some() {
                (
                    str_at(b, &["service", "name"]),
                    &["service", "name"],
                    get(b, &["service", "port"])
                        .and_then(|p| get(p, &["number"]).or_else(|| get(p, &["name"]))),
                )
            } else {
                (
                    str_at(b, &["serviceName"]),
                    &["serviceName"],
                    get(b, &["servicePort"]),
                )
            };
        let Some(name) = name else { continue };
        let line = path_line(b, name_path);
        if matches_any(&ext.services, name) {
            continue;
        }
        let svc = objs
            .iter()
            .find(|s| s.kind == "Service" && s.name == name && s.ns(default_ns) == ns);
        let Some(svc) = svc else {
            out.push(Hit::new(
                "ingress-backend",
                i,
                line,
                format!("Ingress backend names Service {name:?}, which is not rendered in namespace {ns}"),
            ));
            continue;
        };
        let Some(port) = port.and_then(scalar) else {
            continue;
        };
        let ports = items(get(&svc.node, &["spec", "ports"]));
        let ok = match port {
            Scalar::Int(n) => ports
                .iter()
                .any(|p| get(p, &["port"]).and_then(scalar) == Some(Scalar::Int(n))),
            Scalar::Str(s) => ports.iter().any(|p| str_at(p, &["name"]) == Some(s)),
            _ => true,
        };
        if !ok {
            let shown = match port {
                Scalar::Int(n) => n.to_string(),
                Scalar::Str(s) => format!("{s:?}"),
                _ => String::new(),
            };
            out.push(Hit::new(
                "ingress-backend",
                i,
                line,
                format!("Ingress backend port {shown} is not a port of Service {name:?}"),
            ));
        }
    }
}
