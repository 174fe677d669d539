//! Selector and label changes that leave running pods unselected: a Service (or
//! PodDisruptionBudget, NetworkPolicy) that selected a workload's pods before the upgrade and
//! selects none of them after it, and a workload whose new pod labels no longer match its own
//! selector.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::normalize::same;
use super::objects::{get_path, ObjKey, Object, Release};
use super::report::Severity;
use super::rules::{show, Hit};

/// The pod labels a workload's pods carry, for the kinds that make pods.
pub fn pod_labels(o: &Object) -> Option<BTreeMap<String, String>> {
    let path: &[&str] = match (o.key.group.as_str(), o.key.kind.as_str()) {
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("", "ReplicationController")
        | ("batch", "Job") => &["spec", "template", "metadata", "labels"],
        ("batch", "CronJob") => &[
            "spec",
            "jobTemplate",
            "spec",
            "template",
            "metadata",
            "labels",
        ],
        ("", "Pod") => &["metadata", "labels"],
        _ => return None,
    };
    Some(string_map(o.get(path)))
}

fn string_map(v: Option<&Json>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(Json::Object(m)) = v {
        for (k, v) in m {
            let s = match v {
                Json::String(s) => s.clone(),
                Json::Null => String::new(),
                other => other.to_string(),
            };
            out.insert(k.clone(), s);
        }
    }
    out
}

/// A label selector: a plain map (Service) or a `LabelSelector` (matchLabels and
/// matchExpressions).
#[derive(Clone, Debug, PartialEq)]
pub enum Selector {
    /// Equality on every entry; an empty map selects nothing (a Service without a selector
    /// has its endpoints managed by hand).
    Map(BTreeMap<String, String>),
    /// A `LabelSelector`; an empty one selects everything.
    Label(Json),
}

impl Selector {
    /// Whether pods with `labels` are selected.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Selector::Map(m) => !m.is_empty() && m.iter().all(|(k, v)| labels.get(k) == Some(v)),
            Selector::Label(sel) => label_selector_matches(sel, labels),
        }
    }
}

/// `metav1.LabelSelector` semantics. A malformed selector matches nothing.
pub fn label_selector_matches(sel: &Json, labels: &BTreeMap<String, String>) -> bool {
    let ml = string_map(sel.get("matchLabels"));
    if ml.iter().any(|(k, v)| labels.get(k) != Some(v)) {
        return false;
    }
    let exprs = match sel.get("matchExpressions") {
        Some(Json::Array(a)) => a.as_slice(),
        None | Some(Json::Null) => &[],
        _ => return false,
    };
    for e in exprs {
        let key = e.get("key").and_then(Json::as_str).unwrap_or("");
        let op = e.get("operator").and_then(Json::as_str).unwrap_or("");
        let values: Vec<&str> = match e.get("values") {
            Some(Json::Array(a)) => a.iter().filter_map(Json::as_str).collect(),
            _ => Vec::new(),
        };
        let have = labels.get(key);
        let ok = match op {
            "In" => have.is_some_and(|h| values.contains(&h.as_str())),
            "NotIn" => have.is_none_or(|h| !values.contains(&h.as_str())),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// The selector of an object that selects pods by label, with its field path.
fn pod_selector(o: &Object) -> Option<(Selector, &'static [&'static str])> {
    match (o.key.group.as_str(), o.key.kind.as_str()) {
        ("", "Service") => {
            let m = string_map(o.get(&["spec", "selector"]));
            if m.is_empty() {
                None
            } else {
                Some((Selector::Map(m), &["spec", "selector"]))
            }
        }
        ("policy", "PodDisruptionBudget") => Some((
            Selector::Label(o.get(&["spec", "selector"]).cloned().unwrap_or(Json::Null)),
            &["spec", "selector"],
        )),
        ("networking.k8s.io", "NetworkPolicy") => Some((
            Selector::Label(
                o.get(&["spec", "podSelector"])
                    .cloned()
                    .unwrap_or(Json::Null),
            ),
            &["spec", "podSelector"],
        )),
        _ => None,
    }
}

fn workloads_in<'a>(rel: &'a Release, ns: &str) -> Vec<(&'a Object, BTreeMap<String, String>)> {
    rel.objects
        .values()
        .filter(|o| !o.hook && o.key.namespace == ns)
        .filter_map(|o| pod_labels(o).map(|l| (o, l)))
        .collect()
}

fn show_map(m: &BTreeMap<String, String>) -> String {
    let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", parts.join(", "))
}

/// Orphaning hits, each with the object it is reported on (in the new release).
pub fn check(
    old: &Release,
    new: &Release,
    renamed: &BTreeMap<ObjKey, ObjKey>,
) -> Vec<(ObjKey, Hit)> {
    let mut out = Vec::new();
    // Selecting objects that stop selecting a workload they selected.
    for (key, so) in &old.objects {
        let Some(sn) = new.objects.get(key) else {
            continue;
        };
        if so.hook || sn.hook {
            continue;
        }
        let (Some((sel_old, _)), Some((sel_new, path))) = (pod_selector(so), pod_selector(sn))
        else {
            continue;
        };
        let new_workloads = workloads_in(new, &key.namespace);
        for (w, labels) in workloads_in(old, &key.namespace) {
            if !sel_old.matches(&labels) {
                continue;
            }
            let nkey = renamed.get(&w.key).unwrap_or(&w.key);
            let Some((wn, nlabels)) = new_workloads.iter().find(|(o, _)| &o.key == nkey) else {
                continue;
            };
            if sel_new.matches(nlabels) {
                continue;
            }
            let severity = if key.kind == "Service" {
                Severity::Error
            } else {
                Severity::Warning
            };
            let effect = match key.kind.as_str() {
                "Service" => "traffic to them stops",
                "PodDisruptionBudget" => "they lose their disruption budget",
                _ => "the network policy no longer applies to them",
            };
            let sel_text = match &sel_new {
                Selector::Map(m) => show_map(m),
                Selector::Label(j) => show(Some(j)),
            };
            out.push((
                key.clone(),
                Hit {
                    rule: "orphaned/selector",
                    severity: Some(severity),
                    path: path.iter().map(|s| s.to_string()).collect(),
                    message: format!(
                        "selected the pods of {} {} before the upgrade and selects none of them after it ({effect}): selector {sel_text}, pod labels {}",
                        wn.key.kind,
                        wn.key.display_name(),
                        show_map(nlabels)
                    ),
                },
            ));
        }
    }
    // Workloads whose new pod labels leave their own (unchanged) selector.
    for (key, wo) in &old.objects {
        let Some(wn) = new.objects.get(key) else {
            continue;
        };
        if wo.hook || wn.hook || pod_labels(wn).is_none() {
            continue;
        }
        let (Some(sel), Some(labels)) = (wn.get(&["spec", "selector"]), pod_labels(wn)) else {
            continue;
        };
        if !same(wo.get(&["spec", "selector"]), Some(sel)) || key.kind == "Job" {
            continue;
        }
        let old_labels = pod_labels(wo).unwrap_or_default();
        if label_selector_matches(sel, &old_labels) && !label_selector_matches(sel, &labels) {
            out.push((
                key.clone(),
                Hit {
                    rule: "orphaned/selector",
                    severity: None,
                    path: ["spec", "template", "metadata", "labels"]
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                    message: format!(
                        "the new pod labels {} no longer match spec.selector {}: the API server rejects the update, and the running pods, which match, would be left to the old ReplicaSet/controller revision",
                        show_map(&labels),
                        show(get_path(&wn.doc, &["spec", "selector"]))
                    ),
                },
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_selectors() {
        let l: BTreeMap<String, String> = [("app".to_string(), "web".to_string())]
            .into_iter()
            .collect();
        assert!(label_selector_matches(
            &json!({"matchLabels": {"app": "web"}}),
            &l
        ));
        assert!(!label_selector_matches(
            &json!({"matchLabels": {"app": "db"}}),
            &l
        ));
        assert!(label_selector_matches(&json!({}), &l));
        assert!(label_selector_matches(
            &json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "x"]}]}),
            &l
        ));
        assert!(!label_selector_matches(
            &json!({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}),
            &l
        ));
        assert!(!Selector::Map(BTreeMap::new()).matches(&l));
    }
}
