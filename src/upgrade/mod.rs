//! `upgrade-check`: renders the old and the new chart with the same values, matches objects
//! as helm does on upgrade, and reports what would make `helm upgrade` fail or lose data.
//!
//! - [`render`] renders one side into a [`objects::Release`];
//! - [`rules`] knows the API server's immutable fields, [`normalize`] its notion of equal;
//! - [`rename`] pairs deletes with creates, [`orphan`] follows selectors;
//! - [`diff`] prints a helm-diff-style resource diff, [`report`] the findings;
//! - [`source`] turns `--from` (git ref, directory, `.tgz`) into a chart.

pub mod diff;
pub mod normalize;
pub mod objects;
pub mod orphan;
pub mod rename;
pub mod render;
pub mod report;
pub mod rules;
pub mod source;

use std::collections::BTreeMap;

use objects::{ObjKey, Object, Origin, Release};
use report::{rule_info, Finding, Severity};
use rules::Hit;

fn finding(rel: &Release, obj: &Object, hit: Hit) -> Finding {
    let path: Vec<&str> = hit.path.iter().map(String::as_str).collect();
    let (file, line) = rel.locate(obj, &path);
    let severity = hit.severity.unwrap_or_else(|| {
        rule_info(hit.rule)
            .map(|r| r.severity)
            .unwrap_or(Severity::Error)
    });
    Finding {
        rule: hit.rule.to_string(),
        severity,
        scenario: String::new(),
        file,
        line,
        kind: obj.key.kind.clone(),
        name: obj.key.display_name(),
        message: hit.message,
    }
}

fn simple(rule: &'static str, severity: Option<Severity>, path: &[&str], message: String) -> Hit {
    Hit {
        rule,
        severity,
        path: path.iter().map(|s| s.to_string()).collect(),
        message,
    }
}

fn is_crd(o: &Object) -> bool {
    o.key.group == "apiextensions.k8s.io" && o.key.kind == "CustomResourceDefinition"
}

/// Kinds whose deletion or renaming is routine and harmless.
fn is_disposable(k: &ObjKey) -> bool {
    matches!(
        (k.group.as_str(), k.kind.as_str()),
        ("batch", "Job") | ("", "Pod") | ("", "ConfigMap")
    )
}

fn keeps(o: &Object) -> bool {
    o.annotation("helm.sh/resource-policy") == Some("keep")
}

/// Every upgrade hazard between the `old` and the `new` release, most severe first.
pub fn compare(old: &Release, new: &Release) -> Vec<Finding> {
    let mut out = Vec::new();
    // Matched objects: immutable fields, CRD versions.
    for (key, o) in &old.objects {
        let Some(n) = new.objects.get(key) else {
            continue;
        };
        for h in rules::immutable_changes(o, n) {
            out.push(finding(new, n, h));
        }
        if is_crd(o) {
            crd_changes(old, o, new, n, &mut out);
        }
    }
    // Deletes and creates. Hooks are recreated every time and CRDs of crds/ are never
    // deleted by helm, so neither counts; nor do Jobs, bare Pods and ConfigMaps, which hold
    // no state and are routinely named per revision or per content hash.
    let counts = |o: &Object| {
        !o.hook && !matches!(o.origin, Origin::CrdFile { .. }) && !is_disposable(&o.key)
    };
    let deleted: Vec<&Object> = old
        .objects
        .values()
        .filter(|o| counts(o) && !new.objects.contains_key(&o.key))
        .collect();
    let created: Vec<&Object> = new
        .objects
        .values()
        .filter(|o| counts(o) && !old.objects.contains_key(&o.key))
        .collect();
    let renames = rename::detect(&deleted, &created);
    let mut renamed: BTreeMap<ObjKey, ObjKey> = BTreeMap::new();
    for r in &renames {
        renamed.insert(r.old.clone(), r.new.clone());
        let (Some(o), Some(n)) = (old.objects.get(&r.old), new.objects.get(&r.new)) else {
            continue;
        };
        out.push(finding(new, n, rename_hit(o, n, r.similarity)));
    }
    for o in deleted {
        if renamed.contains_key(&o.key) {
            continue;
        }
        out.push(finding(old, o, delete_hit(o)));
    }
    for (key, h) in orphan::check(old, new, &renamed) {
        if let Some(n) = new.objects.get(&key) {
            out.push(finding(new, n, h));
        }
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.line.cmp(&b.line))
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.name.cmp(&b.name))
    });
    out.dedup();
    out
}

fn crd_changes(_old: &Release, o: &Object, new: &Release, n: &Object, out: &mut Vec<Finding>) {
    let nv = rules::crd_versions(n);
    let removed: Vec<String> = rules::crd_versions(o)
        .into_iter()
        .filter(|v| !nv.contains(v))
        .collect();
    let from_dir = matches!(n.origin, Origin::CrdFile { .. });
    if !removed.is_empty() {
        let mut msg = format!(
            "version(s) {} removed: the API server refuses the update while any object is stored at a removed version (status.storedVersions), and clients using it break; keep it with served: false and migrate stored objects first",
            removed.join(", ")
        );
        if from_dir {
            msg.push_str(" (this CRD is in crds/, which helm never upgrades: the change only takes effect when applied by hand)");
        }
        out.push(finding(
            new,
            n,
            simple("crd/version-removed", None, &["spec", "versions"], msg),
        ));
    }
    if from_dir && !normalize::same(Some(&o.doc), Some(&n.doc)) {
        out.push(finding(
            new,
            n,
            simple(
                "crd/not-upgraded",
                None,
                &[],
                format!(
                    "helm installs CRDs from crds/ but never upgrades them, so this change does not reach existing clusters; apply it yourself (kubectl apply --server-side -f {}) or move the CRD to templates/",
                    n.source()
                ),
            ),
        ));
    }
}

fn rename_hit(o: &Object, n: &Object, similarity: f64) -> Hit {
    let base = format!(
        "renamed from {} to {} ({:.0}% similar): helm deletes the old object and creates the new one",
        o.key.name,
        n.key.name,
        similarity * 100.0
    );
    match (n.key.group.as_str(), n.key.kind.as_str()) {
        ("apps", "StatefulSet") => simple(
            "renamed/statefulset",
            None,
            &["metadata", "name"],
            format!("{base}; volumeClaimTemplates claims are named after the StatefulSet, so the new pods start on new, empty volumes and the old claims are left behind"),
        ),
        ("", "PersistentVolumeClaim") => simple(
            "renamed/pvc",
            None,
            &["metadata", "name"],
            format!("{base}; the old claim is deleted (and its volume with it under reclaimPolicy Delete), the new one starts empty"),
        ),
        ("", "Secret") => simple(
            "renamed/object",
            None,
            &["metadata", "name"],
            format!("{base}; values generated at install (random passwords, keys) are generated anew, and whatever was set up with the old ones stops working"),
        ),
        ("", "Service") => simple(
            "renamed/object",
            None,
            &["metadata", "name"],
            format!("{base}; its DNS name changes, so clients configured with the old name lose it"),
        ),
        _ => simple("renamed/object", None, &["metadata", "name"], base),
    }
}

fn delete_hit(o: &Object) -> Hit {
    if keeps(o) {
        return simple(
            "deleted/object",
            Some(Severity::Info),
            &["metadata", "name"],
            "removed from the chart; helm.sh/resource-policy: keep leaves it in the cluster, no longer managed by the release".into(),
        );
    }
    match (o.key.group.as_str(), o.key.kind.as_str()) {
        ("apps", "StatefulSet") => {
            let policy = o
                .get(&["spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted"])
                .and_then(|v| v.as_str())
                .unwrap_or("Retain");
            let vols = if policy == "Delete" {
                "its claims are deleted with it (persistentVolumeClaimRetentionPolicy.whenDeleted: Delete): the data is lost"
            } else {
                "its pods go and its claims are left behind, unused"
            };
            simple(
                "deleted/statefulset",
                None,
                &["metadata", "name"],
                format!("removed from the chart: helm deletes it on upgrade; {vols}. Add helm.sh/resource-policy: keep before removing it, or migrate the data first"),
            )
        }
        ("", "PersistentVolumeClaim") => simple(
            "deleted/pvc",
            None,
            &["metadata", "name"],
            "removed from the chart: helm deletes the claim on upgrade, and its volume with it under reclaimPolicy Delete. Add helm.sh/resource-policy: keep, or migrate the data first".into(),
        ),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => simple(
            "deleted/object",
            Some(Severity::Error),
            &["metadata", "name"],
            "removed from the chart: deleting a CRD deletes every custom resource of that type".into(),
        ),
        _ => simple(
            "deleted/object",
            None,
            &["metadata", "name"],
            "removed from the chart: helm deletes it on upgrade".into(),
        ),
    }
}
