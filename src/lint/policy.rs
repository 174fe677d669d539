//! Best-practice policies on workloads (the checks kube-score, Polaris and kube-linter share).

use crate::engine::yaml::Node;

use super::hit::Hit;
use super::objects::{
    get, is_empty, items, key_line, path_line, scalar, str_at, string_map, Object,
};
use super::schema::validate::{to_json, Scalar};
use super::selector::Selector;

const RUNTIME_SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
];

fn is_true(n: Option<&Node>) -> bool {
    n.and_then(scalar) == Some(Scalar::Bool(true))
}

fn is_false(n: Option<&Node>) -> bool {
    n.and_then(scalar) == Some(Scalar::Bool(false))
}

/// Containers of a pod spec: (is init container, node).
fn containers(spec: &Node) -> Vec<(bool, &Node)> {
    let mut v: Vec<(bool, &Node)> = items(get(spec, &["initContainers"]))
        .into_iter()
        .map(|c| (true, c))
        .collect();
    v.extend(
        items(get(spec, &["containers"]))
            .into_iter()
            .map(|c| (false, c)),
    );
    v
}

fn cname(c: &Node) -> String {
    str_at(c, &["name"]).unwrap_or("?").to_string()
}

fn long_running(kind: &str) -> bool {
    matches!(
        kind,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController"
    )
}

/// The replica count of a Deployment or StatefulSet (1 when unset, as Kubernetes defaults).
fn replicas(o: &Object) -> Option<i128> {
    if !matches!(o.kind.as_str(), "Deployment" | "StatefulSet" | "ReplicaSet") {
        return None;
    }
    match get(&o.node, &["spec", "replicas"]).and_then(scalar) {
        Some(Scalar::Int(n)) => Some(n),
        _ => Some(1),
    }
}

/// Pod template labels of a workload.
pub fn pod_labels(o: &Object) -> Option<Vec<(String, String)>> {
    let t = o.pod_template()?;
    Some(string_map(get(t, &["metadata", "labels"])))
}

/// Runs every policy on object `i` of `objs`.
pub fn check(objs: &[Object], i: usize, default_ns: &str, out: &mut Vec<Hit>) {
    let o = &objs[i];
    let api_v = o.api_version.rsplit('/').next().unwrap_or("");
    if api_v.contains("alpha") || api_v.contains("beta") {
        out.push(Hit::new(
            "stable-api",
            i,
            key_line(&o.node, "apiVersion").unwrap_or(o.node.line),
            format!(
                "{} uses the pre-release API {}; prefer a stable version where one exists",
                o.kind, o.api_version
            ),
        ));
    }
    let Some(spec) = o.pod_spec() else { return };
    let spec_line = o
        .pod_template()
        .map(|t| path_line(t, &["spec"]))
        .unwrap_or(o.line());
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if is_true(get(spec, &[key])) {
            out.push(Hit::new(
                "host-namespaces",
                i,
                key_line(spec, key).unwrap_or(spec_line),
                format!("pod sets {key}: true, sharing the node's namespace"),
            ));
        }
    }
    for v in items(get(spec, &["volumes"])) {
        if let Some(p) = str_at(v, &["hostPath", "path"]) {
            if RUNTIME_SOCKETS.contains(&p.trim_end_matches('/')) {
                out.push(Hit::new(
                    "docker-socket",
                    i,
                    path_line(v, &["hostPath", "path"]),
                    format!(
                        "volume {:?} mounts the container runtime socket {p}",
                        str_at(v, &["name"]).unwrap_or("?")
                    ),
                ));
            }
        }
    }
    let pod_sc = get(spec, &["securityContext"]);
    let pod_non_root = is_true(pod_sc.and_then(|s| get(s, &["runAsNonRoot"])))
        || matches!(pod_sc.and_then(|s| get(s, &["runAsUser"])).and_then(scalar), Some(Scalar::Int(u)) if u > 0);
    for (init, c) in containers(spec) {
        let name = cname(c);
        let what = if init { "init container" } else { "container" };
        let cl = c.line;
        let sc = get(c, &["securityContext"]);
        let sc_get = |k: &str| sc.and_then(|s| get(s, &[k]));
        if is_true(sc_get("privileged")) {
            out.push(Hit::new(
                "privileged",
                i,
                path_line(c, &["securityContext", "privileged"]),
                format!("{what} {name:?} runs privileged"),
            ));
        }
        if !is_false(sc_get("allowPrivilegeEscalation")) {
            out.push(Hit::new(
                "privilege-escalation",
                i,
                if sc.is_some() {
                    path_line(c, &["securityContext"])
                } else {
                    cl
                },
                format!(
                    "{what} {name:?} does not set securityContext.allowPrivilegeEscalation: false"
                ),
            ));
        }
        let c_non_root = is_true(sc_get("runAsNonRoot"))
            || matches!(sc_get("runAsUser").and_then(scalar), Some(Scalar::Int(u)) if u > 0);
        let c_root = is_false(sc_get("runAsNonRoot"))
            || matches!(sc_get("runAsUser").and_then(scalar), Some(Scalar::Int(0)));
        if !(c_non_root || pod_non_root && !c_root) {
            out.push(Hit::new(
                "run-as-non-root",
                i,
                if sc.is_some() { path_line(c, &["securityContext"]) } else { cl },
                format!("{what} {name:?} may run as root: set runAsNonRoot: true (pod or container securityContext)"),
            ));
        }
        if !is_true(sc_get("readOnlyRootFilesystem")) {
            out.push(Hit::new(
                "read-only-root-fs",
                i,
                if sc.is_some() {
                    path_line(c, &["securityContext"])
                } else {
                    cl
                },
                format!(
                    "{what} {name:?} does not set securityContext.readOnlyRootFilesystem: true"
                ),
            ));
        }
        if let Some(image) = str_at(c, &["image"]) {
            let last = image.rsplit('/').next().unwrap_or(image);
            let digest = image.contains('@');
            let tag = last.split_once(':').map(|(_, t)| t);
            if !digest && (tag.is_none() || tag == Some("latest") || tag == Some("")) {
                out.push(Hit::new(
                    "image-tag",
                    i,
                    path_line(c, &["image"]),
                    format!("{what} {name:?} uses image {image:?} without a pinned tag"),
                ));
            }
        }
        let res = get(c, &["resources"]);
        let mut missing = Vec::new();
        for (sect, key) in [
            ("requests", "cpu"),
            ("requests", "memory"),
            ("limits", "memory"),
        ] {
            if is_empty(res.and_then(|r| get(r, &[sect, key]))) {
                missing.push(format!("resources.{sect}.{key}"));
            }
        }
        if !missing.is_empty() {
            out.push(Hit::new(
                "resources",
                i,
                if res.is_some() {
                    path_line(c, &["resources"])
                } else {
                    cl
                },
                format!("{what} {name:?} does not set {}", missing.join(", ")),
            ));
        }
        if !init && long_running(&o.kind) {
            let live = get(c, &["livenessProbe"]);
            let ready = get(c, &["readinessProbe"]);
            let mut absent = Vec::new();
            if is_empty(live) {
                absent.push("livenessProbe");
            }
            if is_empty(ready) {
                absent.push("readinessProbe");
            }
            if !absent.is_empty() {
                out.push(Hit::new(
                    "probes",
                    i,
                    cl,
                    format!("container {name:?} has no {}", absent.join(" or ")),
                ));
            } else if let (Some(l), Some(r)) = (live, ready) {
                if to_json(l) == to_json(r) {
                    out.push(Hit::new(
                        "probes-distinct",
                        i,
                        path_line(c, &["readinessProbe"]),
                        format!("container {name:?} has identical liveness and readiness probes: a slow dependency restarts it instead of taking it out of rotation"),
                    ));
                }
            }
        }
    }
    if let Some(n) = replicas(o) {
        if n > 1 {
            let labels = pod_labels(o).unwrap_or_default();
            let ns = o.ns(default_ns);
            let covered = objs.iter().any(|p| {
                p.kind == "PodDisruptionBudget"
                    && p.ns(default_ns) == ns
                    && Selector::label_selector(get(&p.node, &["spec", "selector"]))
                        .is_some_and(|s| !s.is_empty() && s.matches(&labels))
            });
            let line = path_line(&o.node, &["spec", "replicas"]);
            if !covered {
                out.push(Hit::new(
                    "pdb",
                    i,
                    line,
                    format!(
                        "{} runs {n} replicas but no PodDisruptionBudget selects its pods",
                        o.kind
                    ),
                ));
            }
            let anti = get(spec, &["affinity", "podAntiAffinity"]).is_some()
                || !is_empty(get(spec, &["topologySpreadConstraints"]));
            if !anti {
                out.push(Hit::new(
                    "anti-affinity",
                    i,
                    line,
                    format!("{} runs {n} replicas with no podAntiAffinity or topologySpreadConstraints: they may all land on one node", o.kind),
                ));
            }
        }
    }
    if let Some(labels) = pod_labels(o) {
        let ns = o.ns(default_ns);
        let selected = objs.iter().any(|p| {
            p.kind == "NetworkPolicy"
                && p.ns(default_ns) == ns
                && Selector::label_selector(get(&p.node, &["spec", "podSelector"]))
                    .is_some_and(|s| s.matches(&labels))
        });
        if !selected {
            out.push(Hit::new(
                "network-policy",
                i,
                o.line(),
                format!("no NetworkPolicy selects the pods of this {}", o.kind),
            ));
        }
    }
}
