//! Uninstall: helm uninstall, then the run's namespace, then whatever is stuck. Objects that sit
//! in deletion past a grace period because of finalizers nobody will remove (an operator already
//! uninstalled, a PVC protection left over) get their finalizers cleared, so namespaces never
//! hang in Terminating.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::discovery::{verbs, Discovery, Scope};
use kube::{Client, ResourceExt};

use super::command::Runner;
use super::helm::Helm;
use super::{OWNER_LABEL, OWNER_VALUE};

/// What to uninstall.
#[derive(Clone, Debug)]
pub struct UninstallOptions {
    /// Release name.
    pub release: String,
    /// Namespace.
    pub namespace: String,
    /// Delete the namespace too (only one labelled as ours, unless `force_namespace`).
    pub delete_namespace: bool,
    /// Delete the namespace even when it is not labelled as ours.
    pub force_namespace: bool,
    /// How long objects may stay in deletion before their finalizers are cleared.
    pub finalizer_grace: Duration,
    /// Give up after this long.
    pub timeout: Duration,
}

/// What uninstall did.
#[derive(Clone, Debug, Default)]
pub struct UninstallReport {
    /// helm's failure, if it failed (the rest still ran).
    pub helm_error: Option<String>,
    /// Objects whose finalizers were cleared (`kind/name`).
    pub cleared: Vec<String>,
    /// Whether the namespace is gone.
    pub namespace_deleted: bool,
}

/// Uninstalls the release and cleans up after it.
pub async fn uninstall(
    client: &Client,
    helm: &Helm,
    runner: &Runner,
    opts: &UninstallOptions,
) -> Result<UninstallReport, String> {
    let log = runner.log();
    let mut report = UninstallReport::default();
    if let Err(e) = runner
        .run(&helm.uninstall_cmd(&opts.release, &opts.namespace, opts.timeout))
        .await
    {
        log.line(format!(
            "helm uninstall failed: {e}; cleaning up through the API"
        ));
        report.helm_error = Some(e.to_string());
    }
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns = namespaces
        .get_opt(&opts.namespace)
        .await
        .map_err(|e| format!("reading namespace {}: {e}", opts.namespace))?;
    let Some(ns) = ns else {
        report.namespace_deleted = true;
        return Ok(report);
    };
    if opts.delete_namespace {
        let ours = ns.labels().get(OWNER_LABEL).map(String::as_str) == Some(OWNER_VALUE);
        if !ours && !opts.force_namespace {
            return Err(format!(
                "namespace {} was not created by posthog-charttest; not deleting it (pass --force-namespace)",
                opts.namespace
            ));
        }
        if ns.metadata.deletion_timestamp.is_none() {
            namespaces
                .delete(&opts.namespace, &DeleteParams::default())
                .await
                .map_err(|e| format!("deleting namespace {}: {e}", opts.namespace))?;
        }
    }
    let resources = namespaced_resources(client).await?;
    let start = Instant::now();
    loop {
        let gone = namespaces
            .get_opt(&opts.namespace)
            .await
            .map_err(|e| format!("reading namespace {}: {e}", opts.namespace))?
            .is_none();
        if gone {
            report.namespace_deleted = true;
            return Ok(report);
        }
        let clear = start.elapsed() >= opts.finalizer_grace;
        let scan = scan(client, &opts.namespace, &resources, clear).await?;
        for c in &scan.cleared {
            log.line(format!("cleared finalizers of {c} (stuck in deletion)"));
        }
        report.cleared.extend(scan.cleared);
        if !opts.delete_namespace && scan.deleting.is_empty() {
            return Ok(report);
        }
        if start.elapsed() >= opts.timeout {
            let what = if opts.delete_namespace {
                format!("namespace {} still exists", opts.namespace)
            } else {
                format!("objects still being deleted in {}", opts.namespace)
            };
            return Err(format!(
                "{what} after {}s{}",
                opts.timeout.as_secs(),
                if scan.remaining.is_empty() {
                    String::new()
                } else {
                    format!("; still there: {}", scan.remaining.join(", "))
                }
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Every namespaced resource type the server lets us list and patch.
pub async fn namespaced_resources(client: &Client) -> Result<Vec<ApiResource>, String> {
    let discovery = Discovery::new(client.clone())
        .run()
        .await
        .map_err(|e| format!("API discovery: {e}"))?;
    let mut out = Vec::new();
    for group in discovery.groups() {
        for (ar, caps) in group.recommended_resources() {
            if caps.scope == Scope::Namespaced
                && caps.supports_operation(verbs::LIST)
                && caps.supports_operation(verbs::PATCH)
            {
                out.push(ar);
            }
        }
    }
    Ok(out)
}

/// What a scan of the namespace found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Objects being deleted (`kind/name`).
    pub deleting: Vec<String>,
    /// Objects whose finalizers were cleared.
    pub cleared: Vec<String>,
    /// Every object still present (events excepted).
    pub remaining: Vec<String>,
}

/// Lists every object of the namespace; with `clear`, removes the finalizers of those stuck in
/// deletion.
pub async fn scan(
    client: &Client,
    ns: &str,
    resources: &[ApiResource],
    clear: bool,
) -> Result<Scan, String> {
    let mut out = Scan::default();
    for ar in resources {
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, ar);
        let Ok(list) = api.list(&ListParams::default()).await else {
            continue;
        };
        for obj in list.items {
            let name = obj.name_any();
            let id = format!("{}/{name}", ar.kind);
            let deleting = obj.metadata.deletion_timestamp.is_some();
            let finalized = obj
                .metadata
                .finalizers
                .as_ref()
                .is_some_and(|f| !f.is_empty());
            if deleting && finalized && clear {
                let patch = serde_json::json!({"metadata": {"finalizers": null}});
                api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .map_err(|e| format!("clearing finalizers of {id}: {e}"))?;
                out.cleared.push(id);
                continue;
            }
            if deleting {
                out.deleting.push(id.clone());
            }
            if ar.kind != "Event" {
                out.remaining.push(id);
            }
        }
    }
    Ok(out)
}
