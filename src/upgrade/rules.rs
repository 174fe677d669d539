//! The API server's immutable fields: for each kind, which changes between the object a
//! release holds and the one the new chart renders make `helm upgrade` fail.
//!
//! The facts come from Kubernetes' update validation (`ValidateStatefulSetUpdate`,
//! `ValidateDeploymentUpdate`, `ValidateJobSpecUpdate`, `ValidateServiceUpdate`,
//! `ValidatePersistentVolumeClaimUpdate`, `ValidateStorageClassUpdate`, …); README's
//! `## upgrade-check` lists them. Values are compared semantically ([`super::normalize`]).

use serde_json::Value as Json;

use super::normalize::{self, claim_templates, parse_quantity, pvc_spec, same, str_or_empty};
use super::objects::Object;
use super::report::Severity;

/// One rule violation on a matched pair, before it is located in a template.
#[derive(Clone, Debug)]
pub struct Hit {
    /// The rule id.
    pub rule: &'static str,
    /// A severity other than the rule's default, if any.
    pub severity: Option<Severity>,
    /// The field, for locating the template line.
    pub path: Vec<String>,
    /// The message.
    pub message: String,
}

fn hit(rule: &'static str, path: &[&str], message: String) -> Hit {
    Hit {
        rule,
        severity: None,
        path: path.iter().map(|s| s.to_string()).collect(),
        message,
    }
}

/// A short rendering of a value for messages.
pub fn show(v: Option<&Json>) -> String {
    let s = match v {
        None | Some(Json::Null) => return "(unset)".into(),
        Some(Json::String(s)) => format!("{s:?}"),
        Some(v) => v.to_string(),
    };
    if s.chars().count() > 120 {
        let cut: String = s.chars().take(117).collect();
        format!("{cut}...")
    } else {
        s
    }
}

fn changed(old: &Object, new: &Object, path: &[&str]) -> bool {
    !same(old.get(path), new.get(path))
}

fn from_to(old: &Object, new: &Object, path: &[&str]) -> String {
    format!("{} -> {}", show(old.get(path)), show(new.get(path)))
}

const RECREATE: &str = "delete the object (kubectl delete --cascade=orphan keeps its pods) \
before upgrading, or keep the old value";

/// Every immutable-field violation between two versions of one object (same key). Hooks
/// are not checked: helm deletes and recreates them.
pub fn immutable_changes(old: &Object, new: &Object) -> Vec<Hit> {
    let mut out = Vec::new();
    if old.hook || new.hook {
        return out;
    }
    match (old.key.group.as_str(), old.key.kind.as_str()) {
        ("apps", "StatefulSet") => statefulset(old, new, &mut out),
        ("apps", "Deployment") | ("apps", "DaemonSet") | ("apps", "ReplicaSet") => {
            workload_selector(old, new, &mut out)
        }
        ("batch", "Job") => job(old, new, &mut out),
        ("", "Service") => service(old, new, &mut out),
        ("", "PersistentVolumeClaim") => pvc(old, new, &mut out),
        ("", "PersistentVolume") => pv(old, new, &mut out),
        ("", "ConfigMap") => immutable_data(old, new, "immutable/configmap-data", &mut out),
        ("", "Secret") => immutable_data(old, new, "immutable/secret-data", &mut out),
        ("", "Pod") => pod(old, new, &mut out),
        ("storage.k8s.io", "StorageClass") => storage_class(old, new, &mut out),
        ("storage.k8s.io", "CSIDriver") => csi_driver(old, new, &mut out),
        ("storage.k8s.io", "VolumeAttachment") => whole_field(
            old,
            new,
            &mut out,
            "immutable/volumeattachment",
            &["spec"],
            "VolumeAttachment spec is immutable",
        ),
        ("rbac.authorization.k8s.io", "RoleBinding")
        | ("rbac.authorization.k8s.io", "ClusterRoleBinding") => whole_field(
            old,
            new,
            &mut out,
            "immutable/rolebinding-role-ref",
            &["roleRef"],
            "roleRef cannot change; give the binding a new name or delete it first",
        ),
        ("scheduling.k8s.io", "PriorityClass") => priority_class(old, new, &mut out),
        ("networking.k8s.io", "IngressClass") => whole_field(
            old,
            new,
            &mut out,
            "immutable/ingressclass-controller",
            &["spec", "controller"],
            "spec.controller is immutable",
        ),
        // Only templated CRDs: helm never applies changes to those in crds/.
        ("apiextensions.k8s.io", "CustomResourceDefinition")
            if matches!(new.origin, super::objects::Origin::Template { .. }) =>
        {
            whole_field(
                old,
                new,
                &mut out,
                "immutable/crd-scope",
                &["spec", "scope"],
                "spec.scope of an established CRD is immutable",
            )
        }
        _ => {}
    }
    out
}

/// Reports `rule` when the field at `path` changed, with `what` and the old and new values.
fn whole_field(
    old: &Object,
    new: &Object,
    out: &mut Vec<Hit>,
    rule: &'static str,
    path: &[&str],
    what: &str,
) {
    if changed(old, new, path) {
        out.push(hit(
            rule,
            path,
            format!("{what} ({})", from_to(old, new, path)),
        ));
    }
}

/// StatefulSet fields the API server lets an update change; every other spec field is
/// forbidden (`ValidateStatefulSetUpdate`). `revisionHistoryLimit` became mutable in
/// Kubernetes 1.35.
const STS_MUTABLE: &[&str] = &[
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
    "revisionHistoryLimit",
];

fn statefulset(old: &Object, new: &Object, out: &mut Vec<Hit>) {
    if changed(old, new, &["spec", "selector"]) {
        out.push(hit(
            "immutable/statefulset-selector",
            &["spec", "selector"],
            format!(
                "spec.selector is immutable ({}); pods of the old selector would be orphaned if the StatefulSet were recreated; {RECREATE}",
                from_to(old, new, &["spec", "selector"])
            ),
        ));
    }
    if str_or_empty(old.get(&["spec", "serviceName"]))
        != str_or_empty(new.get(&["spec", "serviceName"]))
    {
        out.push(hit(
            "immutable/statefulset-service-name",
            &["spec", "serviceName"],
            format!(
                "spec.serviceName is immutable ({}); {RECREATE}",
                from_to(old, new, &["spec", "serviceName"])
            ),
        ));
    }
    let policy = |o: &Object| {
        let p = str_or_empty(o.get(&["spec", "podManagementPolicy"]));
        if p.is_empty() {
            "OrderedReady".to_string()
        } else {
            p
        }
    };
    if policy(old) != policy(new) {
        out.push(hit(
            "immutable/statefulset-pod-management-policy",
            &["spec", "podManagementPolicy"],
            format!(
                "spec.podManagementPolicy is immutable ({} -> {}); {RECREATE}",
                policy(old),
                policy(new)
            ),
        ));
    }
    let (ot, nt) = (
        claim_templates(old.get(&["spec", "volumeClaimTemplates"])),
        claim_templates(new.get(&["spec", "volumeClaimTemplates"])),
    );
    if ot != nt {
        out.push(hit(
            "immutable/statefulset-volume-claim-templates",
            &["spec", "volumeClaimTemplates"],
            format!(
                "spec.volumeClaimTemplates is immutable ({}); to resize, patch each PVC by hand, then delete the StatefulSet with --cascade=orphan and upgrade",
                describe_claim_change(&ot, &nt)
            ),
        ));
    }
    let keys = |o: &Object| -> Vec<String> {
        match o.get(&["spec"]) {
            Some(Json::Object(m)) => m.keys().cloned().collect(),
            _ => Vec::new(),
        }
    };
    let mut all = keys(old);
    all.extend(keys(new));
    all.sort();
    all.dedup();
    for k in all {
        if STS_MUTABLE.contains(&k.as_str())
            || matches!(
                k.as_str(),
                "selector" | "serviceName" | "podManagementPolicy" | "volumeClaimTemplates"
            )
        {
            continue;
        }
        if changed(old, new, &["spec", &k]) {
            out.push(hit(
                "immutable/statefulset-spec",
                &["spec", &k],
                format!(
                    "spec.{k} cannot change on a StatefulSet ({}); {RECREATE}",
                    from_to(old, new, &["spec", &k])
                ),
            ));
        }
    }
}

fn claim_name(t: &Json) -> String {
    str_or_empty(normalize_get(t, &["metadata", "name"]))
}

fn normalize_get<'a>(v: &'a Json, path: &[&str]) -> Option<&'a Json> {
    super::objects::get_path(v, path)
}

fn describe_claim_change(old: &[Json], new: &[Json]) -> String {
    let mut parts = Vec::new();
    for o in old {
        let name = claim_name(o);
        match new.iter().find(|n| claim_name(n) == name) {
            None => parts.push(format!("claim {name:?} removed")),
            Some(n) if n != o => {
                let so = normalize_get(o, &["spec", "resources", "requests", "storage"]);
                let sn = normalize_get(n, &["spec", "resources", "requests", "storage"]);
                if so != sn {
                    parts.push(format!(
                        "claim {name:?} storage {} -> {}",
                        human_bytes(so),
                        human_bytes(sn)
                    ));
                } else {
                    parts.push(format!("claim {name:?} changed"));
                }
            }
            Some(_) => {}
        }
    }
    for n in new {
        let name = claim_name(n);
        if !old.iter().any(|o| claim_name(o) == name) {
            parts.push(format!("claim {name:?} added"));
        }
    }
    if parts.is_empty() {
        "order changed".into()
    } else {
        parts.join(", ")
    }
}

fn human_bytes(v: Option<&Json>) -> String {
    match v.and_then(parse_quantity) {
        Some(n) if n >= 1024f64.powi(3) && (n / 1024f64.powi(3)).fract() == 0.0 => {
            format!("{}Gi", n / 1024f64.powi(3))
        }
        Some(n) if n >= 1024f64.powi(2) && (n / 1024f64.powi(2)).fract() == 0.0 => {
            format!("{}Mi", n / 1024f64.powi(2))
        }
        Some(n) => format!("{n}"),
        None => show(v),
    }
}

fn workload_selector(old: &Object, new: &Object, out: &mut Vec<Hit>) {
    let rule = match old.key.kind.as_str() {
        "Deployment" => "immutable/deployment-selector",
        "DaemonSet" => "immutable/daemonset-selector",
        _ => "immutable/replicaset-selector",
    };
    if changed(old, new, &["spec", "selector"]) {
        out.push(hit(
            rule,
            &["spec", "selector"],
            format!(
                "spec.selector is immutable in apps/v1 ({}); pods of the old selector would be orphaned if the {} were recreated; {RECREATE}",
                from_to(old, new, &["spec", "selector"]),
                old.key.kind
            ),
        ));
    }
}

fn job(old: &Object, new: &Object, out: &mut Vec<Hit>) {
    const RERUN: &str = "a Job cannot be patched: give it a new name per release (e.g. with .Release.Revision), make it a hook, or delete it before upgrading";
    if changed(old, new, &["spec", "selector"]) {
        out.push(hit(
            "immutable/job-selector",
            &["spec", "selector"],
            format!(
                "spec.selector is immutable ({}); {RERUN}",
                from_to(old, new, &["spec", "selector"])
            ),
        ));
    }
    if changed(old, new, &["spec", "template"]) {
        out.push(hit(
            "immutable/job-template",
            &["spec", "template"],
            format!(
                "spec.template is immutable{}; {RERUN}",
                first_difference(
                    old.get(&["spec", "template"]),
                    new.get(&["spec", "template"]),
                    "spec.template"
                )
            ),
        ));
    }
    let mode = |o: &Object| {
        let m = str_or_empty(o.get(&["spec", "completionMode"]));
        if m.is_empty() {
            "NonIndexed".to_string()
        } else {
            m
        }
    };
    if mode(old) != mode(new) {
        out.push(hit(
            "immutable/job-spec",
            &["spec", "completionMode"],
            format!(
                "spec.completionMode is immutable ({} -> {}); {RERUN}",
                mode(old),
                mode(new)
            ),
        ));
    }
    for field in ["completions", "podFailurePolicy", "backoffLimitPerIndex"] {
        if changed(old, new, &["spec", field]) {
            // Indexed Jobs may scale completions together with parallelism.
            if field == "completions"
                && mode(new) == "Indexed"
                && same(
                    new.get(&["spec", "completions"]),
                    new.get(&["spec", "parallelism"]),
                )
            {
                continue;
            }
            out.push(hit(
                "immutable/job-spec",
                &["spec", field],
                format!(
                    "spec.{field} is immutable ({}); {RERUN}",
                    from_to(old, new, &["spec", field])
                ),
            ));
        }
    }
}

/// ` (first difference at PATH: A -> B)`, for messages about large subtrees.
fn first_difference(a: Option<&Json>, b: Option<&Json>, at: &str) -> String {
    fn walk(a: &Json, b: &Json, at: String) -> Option<(String, String, String)> {
        match (a, b) {
            (Json::Object(x), Json::Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    let (va, vb) = (x.get(k), y.get(k));
                    if !same(va, vb) {
                        let p = format!("{at}.{k}");
                        return match (va, vb) {
                            (Some(va), Some(vb)) => walk(va, vb, p),
                            _ => Some((p, show(va), show(vb))),
                        };
                    }
                }
                None
            }
            (Json::Array(x), Json::Array(y)) if x.len() == y.len() => {
                for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                    if !same(Some(va), Some(vb)) {
                        return walk(va, vb, format!("{at}[{i}]"));
                    }
                }
                None
            }
            _ => Some((at, show(Some(a)), show(Some(b)))),
        }
    }
    let null = Json::Null;
    let pa = normalize::prune(a.unwrap_or(&null));
    let pb = normalize::prune(b.unwrap_or(&null));
    match walk(&pa, &pb, at.to_string()) {
        Some((p, x, y)) => format!(" (first difference at {p}: {x} -> {y})"),
        None => String::new(),
    }
}

fn service(old: &Object, new: &Object, out: &mut Vec<Hit>) {
    let ty = |o: &Object| {
        let t = str_or_empty(o.get(&["spec", "type"]));
        if t.is_empty() {
            "ClusterIP".to_string()
        } else {
            t
        }
    };
    let (ot, nt) = (ty(old), ty(new));
    if (ot == "ExternalName") != (nt == "ExternalName") {
        out.push(hit(
            "immutable/service-external-name",
            &["spec", "type"],
            format!(
                "type {ot} -> {nt}: an ExternalName Service has no cluster IP, so the switch drops or allocates one and clients see a CNAME instead of an address (or the reverse); API servers before 1.20 reject the update. Create a Service with a new name instead"
            ),
        ));
        return;
    }
    if ot == "ExternalName" {
        return;
    }
    let ip = |o: &Object| {
        let a = str_or_empty(o.get(&["spec", "clusterIP"]));
        if !a.is_empty() {
            return a;
        }
        match o.get(&["spec", "clusterIPs", "0"]) {
            Some(Json::String(s)) => s.clone(),
            _ => String::new(),
        }
    };
    let (oi, ni) = (ip(old), ip(new));
    if oi != ni {
        let what = |s: &str| {
            if s.is_empty() {
                "(allocated)".to_string()
            } else {
                format!("{s:?}")
            }
        };
        out.push(hit(
            "immutable/service-cluster-ip",
            &["spec", "clusterIP"],
            format!(
                "spec.clusterIP is immutable ({} -> {}); switching a Service between headless and normal needs a new Service name, or delete it before upgrading",
                what(&oi),
                what(&ni)
            ),
        ));
    }
    let fam = |o: &Object| str_or_empty(o.get(&["spec", "ipFamilies", "0"]));
    let (of, nf) = (fam(old), fam(new));
    if !of.is_empty() && !nf.is_empty() && of != nf {
        out.push(hit(
            "immutable/service-ip-family",
            &["spec", "ipFamilies"],
            format!("the primary IP family is immutable ({of} -> {nf})"),
        ));
    }
}

fn pvc(old: &Object, new: &Object, out: &mut Vec<Hit>) {
    let (os, ns) = (pvc_spec(old.get(&["spec"])), pvc_spec(new.get(&["spec"])));
    let g = |s: &Json, k: &str| s.get(k).cloned();
    if g(&os, "storageClassName") != g(&ns, "storageClassName") {
        out.push(hit(
            "immutable/pvc-storage-class",
            &["spec", "storageClassName"],
            format!(
                "spec.storageClassName is immutable ({}); unset means the cluster's default class, which the API server has already written into the claim",
                from_to(old, new, &["spec", "storageClassName"])
            ),
        ));
    }
    if !same(os.get("accessModes"), ns.get("accessModes")) {
        out.push(hit(
            "immutable/pvc-access-modes",
            &["spec", "accessModes"],
            format!(
                "spec.accessModes is immutable ({})",
                from_to(old, new, &["spec", "accessModes"])
            ),
        ));
    }
    fn storage(o: &Object) -> Option<&Json> {
        o.get(&["spec", "resources", "requests", "storage"])
    }
    match (
        storage(old).and_then(parse_quantity),
        storage(new).and_then(parse_quantity),
    ) {
        (Some(a), Some(b)) if b < a => out.push(hit(
            "immutable/pvc-storage-shrink",
            &["spec", "resources", "requests", "storage"],
            format!(
                "the storage request cannot shrink ({} -> {}); volumes only grow",
                human_bytes(storage(old)),
                human_bytes(storage(new))
            ),
        )),
        (Some(a), Some(b)) if b > a => out.push(hit(
            "pvc/storage-expansion",
            &["spec", "resources", "requests", "storage"],
            format!(
                "the storage request grows ({} -> {}): the upgrade fails unless the claim's StorageClass has allowVolumeExpansion: true",
                human_bytes(storage(old)),
                human_bytes(storage(new))
            ),
        )),
        _ => {}
    }
    for field in [
        "volumeMode",
        "volumeName",
        "dataSource",
        "dataSourceRef",
        "selector",
    ] {
        if !same(os.get(field), ns.get(field)) {
            out.push(hit(
                "immutable/pvc-spec",
                &["spec", field],
                format!(
                    "spec.{field} of a claim is immutable ({})",
                    from_to(old, new, &["spec", field])
                ),
            ));
        }
    }
    let limits = |s: &Json| s.get("resources").and_then(|r| r.get("limits")).cloned();
    if limits(&os) != limits(&ns) {
        out.push(hit(
            "immutable/pvc-spec",
            &["spec", "resources", "limits"],
            "spec.resources.limits of a claim is immutable".into(),
        ));
    }
}

/// PersistentVolume spec fields that are not the volume source.
const PV_OTHER: &[&str] = &[
    "capacity",
    "accessModes",
    "claimRef",
    "persistentVolumeReclaimPolicy",
    "storageClassName",
    "mountOptions",
    "volumeAttributesClassName",
    "nodeAffinity",
    "volumeMode",
];

fn pv(old: &Object, new: &Object, out: &mut Vec<Hit>) {
    let source = |o: &Object| -> Json {
        let mut m = serde_json::Map::new();
        if let Some(Json::Object(s)) = o.get(&["spec"]) {
            for (k, v) in s {
                if !PV_OTHER.contains(&k.as_str()) {
                    m.insert(k.clone(), v.clone());
                }
            }
        }
        Json::Object(m)
    };
    if !same(Some(&source(old)), Some(&source(new))) {
        out.push(hit(
            "immutable/pv-spec",
            &["spec"],
            "the volume source of a PersistentVolume is immutable after creation".into(),
        ));
    }
    let mode = |o: &Object| {
        let m = str_or_empty(o.get(&["spec", "volumeMode"]));
        if m.is_empty() {
            "Filesystem".into()
        } else {
            m
        }
    };
    if mode(old) != mode(new) {
        out.push(hit(
            "immutable/pv-spec",
            &["spec", "volumeMode"],
            format!(
                "spec.volumeMode is immutable ({} -> {})",
                mode(old),
                mode(new)
            ),
        ));
    }
    if old.get(&["spec", "nodeAffinity"]).is_some() && changed(old, new, &["spec", "nodeAffinity"])
    {
        out.push(hit(
            "immutable/pv-spec",
            &["spec", "nodeAffinity"],
            "spec.nodeAffinity is immutable once set".into(),
        ));
    }
}

fn immutable_data(old: &Object, new: &Object, rule: &'static str, out: &mut Vec<Hit>) {
    let kind = old.key.kind.as_str();
    if kind == "Secret" {
        let ty = |o: &Object| {
            let t = str_or_empty(o.get(&["type"]));
            if t.is_empty() {
                "Opaque".to_string()
            } else {
                t
            }
        };
        if ty(old) != ty(new) {
            out.push(hit(
                rule,
                &["type"],
                format!(
                    "the type of a Secret is immutable ({} -> {})",
                    ty(old),
                    ty(new)
                ),
            ));
        }
    }
    if old.get(&["immutable"]) != Some(&Json::Bool(true)) {
        return;
    }
    if new.get(&["immutable"]) != Some(&Json::Bool(true)) {
        out.push(hit(
            rule,
            &["immutable"],
            format!(
                "a {kind} marked immutable: true cannot be made mutable again; give it a new name"
            ),
        ));
    }
    for field in ["data", "binaryData", "stringData"] {
        if changed(old, new, &[field]) {
            // Never print secret values: name the keys only.
            let keys = changed_keys(old.get(&[field]), new.get(&[field]));
            out.push(hit(
                rule,
                &[field],
                format!(
                    "{field} of a {kind} marked immutable: true cannot change (keys: {}); give it a new name (e.g. with a content hash) instead",
                    keys.join(", ")
                ),
            ));
        }
    }
}

fn changed_keys(a: Option<&Json>, b: Option<&Json>) -> Vec<String> {
    let empty = serde_json::Map::new();
    let ma = a.and_then(Json::as_object).unwrap_or(&empty);
    let mb = b.and_then(Json::as_object).unwrap_or(&empty);
    let mut keys: Vec<String> = ma
        .keys()
        .chain(mb.keys())
        .filter(|k| ma.get(*k) != mb.get(*k))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn pod(old: &Object, new: &Object, out: &mut Vec<Hit>) {
    // ValidatePodUpdate: only images, activeDeadlineSeconds, terminationGracePeriodSeconds,
    // added tolerations and removed scheduling gates may change.
    let strip = |o: &Object| -> Json {
        let mut s = o.get(&["spec"]).cloned().unwrap_or(Json::Null);
        if let Json::Object(m) = &mut s {
            for k in [
                "activeDeadlineSeconds",
                "terminationGracePeriodSeconds",
                "tolerations",
                "schedulingGates",
            ] {
                m.remove(k);
            }
            for list in ["containers", "initContainers", "ephemeralContainers"] {
                if let Some(Json::Array(cs)) = m.get_mut(list) {
                    for c in cs {
                        if let Json::Object(c) = c {
                            c.remove("image");
                        }
                    }
                }
            }
        }
        s
    };
    let (a, b) = (strip(old), strip(new));
    if !same(Some(&a), Some(&b)) {
        out.push(hit(
            "immutable/pod-spec",
            &["spec"],
            format!(
                "a Pod's spec is immutable beyond images, tolerations and deadlines{}; use a Deployment, or a Pod name that changes with its spec",
                first_difference(Some(&a), Some(&b), "spec")
            ),
        ));
        return;
    }
    let tol = |o: &Object| match o.get(&["spec", "tolerations"]) {
        Some(Json::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let nt = tol(new);
    if tol(old).iter().any(|t| !nt.contains(t)) {
        out.push(hit(
            "immutable/pod-spec",
            &["spec", "tolerations"],
            "a Pod's tolerations can only be added to, not removed or changed".into(),
        ));
    }
}

fn storage_class(old: &Object, new: &Object, out: &mut Vec<Hit>) {
    let defaults = [
        ("provisioner", ""),
        ("parameters", ""),
        ("reclaimPolicy", "Delete"),
        ("volumeBindingMode", "Immediate"),
    ];
    for (field, default) in defaults {
        let norm = |o: &Object| -> Json {
            match o.get(&[field]) {
                None | Some(Json::Null) if !default.is_empty() => Json::String(default.into()),
                Some(v) => v.clone(),
                None => Json::Null,
            }
        };
        if !same(Some(&norm(old)), Some(&norm(new))) {
            out.push(hit(
                "immutable/storageclass",
                &[field],
                format!(
                    "{field} of a StorageClass is immutable ({}); create a class with a new name",
                    from_to(old, new, &[field])
                ),
            ));
        }
    }
}

fn csi_driver(old: &Object, new: &Object, out: &mut Vec<Hit>) {
    let attach = |o: &Object| {
        o.get(&["spec", "attachRequired"])
            .cloned()
            .unwrap_or(Json::Bool(true))
    };
    if attach(old) != attach(new) {
        out.push(hit(
            "immutable/csidriver",
            &["spec", "attachRequired"],
            format!(
                "spec.attachRequired is immutable ({})",
                from_to(old, new, &["spec", "attachRequired"])
            ),
        ));
    }
    let modes = |o: &Object| {
        o.get(&["spec", "volumeLifecycleModes"])
            .cloned()
            .unwrap_or_else(|| serde_json::json!(["Persistent"]))
    };
    if modes(old) != modes(new) {
        out.push(hit(
            "immutable/csidriver",
            &["spec", "volumeLifecycleModes"],
            "spec.volumeLifecycleModes is immutable".into(),
        ));
    }
}

fn priority_class(old: &Object, new: &Object, out: &mut Vec<Hit>) {
    if changed(old, new, &["value"]) {
        out.push(hit(
            "immutable/priorityclass",
            &["value"],
            format!(
                "value of a PriorityClass is immutable ({})",
                from_to(old, new, &["value"])
            ),
        ));
    }
    let pol = |o: &Object| {
        let p = str_or_empty(o.get(&["preemptionPolicy"]));
        if p.is_empty() {
            "PreemptLowerPriority".to_string()
        } else {
            p
        }
    };
    if pol(old) != pol(new) {
        out.push(hit(
            "immutable/priorityclass",
            &["preemptionPolicy"],
            format!(
                "preemptionPolicy of a PriorityClass is immutable ({} -> {})",
                pol(old),
                pol(new)
            ),
        ));
    }
}

/// The served version names of a CRD (`spec.versions[].name`, or v1beta1's `spec.version`).
pub fn crd_versions(o: &Object) -> Vec<String> {
    let mut v: Vec<String> = match o.get(&["spec", "versions"]) {
        Some(Json::Array(a)) => a
            .iter()
            .filter_map(|x| x.get("name").and_then(Json::as_str).map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    if let Some(Json::String(s)) = o.get(&["spec", "version"]) {
        if !v.contains(s) {
            v.push(s.clone());
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upgrade::objects::{parse_object, Origin};

    fn obj(y: &str) -> Object {
        parse_object(
            y,
            Origin::Template {
                path: "c/templates/x.yaml".into(),
                offset: 0,
            },
            "default",
        )
        .unwrap()
        .unwrap()
    }

    fn rules(a: &str, b: &str) -> Vec<&'static str> {
        immutable_changes(&obj(a), &obj(b))
            .into_iter()
            .map(|h| h.rule)
            .collect()
    }

    #[test]
    fn statefulset_fields() {
        let base = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n  replicas: 1\n";
        assert!(rules(base, &base.replace("replicas: 1", "replicas: 3")).is_empty());
        assert_eq!(
            rules(base, &base.replace("serviceName: db", "serviceName: db-h")),
            ["immutable/statefulset-service-name"]
        );
        assert_eq!(
            rules(
                base,
                &format!("{base}  podManagementPolicy: OrderedReady\n")
            ),
            Vec::<&str>::new()
        );
        assert_eq!(
            rules(base, &format!("{base}  podManagementPolicy: Parallel\n")),
            ["immutable/statefulset-pod-management-policy"]
        );
    }

    #[test]
    fn hooks_are_recreated_not_patched() {
        let a = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: m\n  annotations: {helm.sh/hook: pre-upgrade}\nspec:\n  template: {spec: {containers: [{name: a, image: x:1}]}}\n";
        assert!(rules(a, &a.replace("x:1", "x:2")).is_empty());
        let b = a.replace("  annotations: {helm.sh/hook: pre-upgrade}\n", "");
        assert_eq!(
            rules(&b, &b.replace("x:1", "x:2")),
            ["immutable/job-template"]
        );
    }

    #[test]
    fn pvc_growth_and_shrink() {
        let a = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: d}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 10Gi}}\n";
        assert_eq!(
            rules(a, &a.replace("10Gi", "5Gi")),
            ["immutable/pvc-storage-shrink"]
        );
        assert_eq!(
            rules(a, &a.replace("10Gi", "20Gi")),
            ["pvc/storage-expansion"]
        );
        assert!(rules(a, &a.replace("10Gi", "10240Mi")).is_empty());
    }

    #[test]
    fn pod_images_may_change() {
        let a = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: x:1}]\n";
        assert!(rules(a, &a.replace("x:1", "x:2")).is_empty());
        assert_eq!(
            rules(a, &a.replace("name: a", "name: b")),
            ["immutable/pod-spec"]
        );
    }
}
