//! The diagnostics bundle written when an install fails: events, a describe-style summary of
//! every object, and the last logs of every failing container, all under one directory.
//!
//! Secrets stay out: Secrets are listed by name and key only, environment values that come
//! from Secrets show their reference, inline values of sensitive-looking variables and URL
//! passwords are masked, and every file passes through the run's redactor, which first learns
//! each Secret value of the namespace.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    ConfigMap, ContainerState, EnvVar, Event, PersistentVolumeClaim, Pod, Secret, Service,
};
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};
use serde::de::DeserializeOwned;

use super::progress::Log;
use super::redact::{is_sensitive_name, REDACTED};
use super::rollout::container_logs;

/// Teaches the log's redactor every Secret value in the namespace (raw and base64), so nothing
/// printed afterwards can carry one.
pub async fn learn_namespace_secrets(client: &Client, ns: &str, log: &Log) {
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    if let Ok(list) = api.list(&ListParams::default()).await {
        log.learn(|r| {
            for s in &list.items {
                for v in s.data.iter().flat_map(|d| d.values()) {
                    r.add(&String::from_utf8_lossy(&v.0));
                    r.add_base64(&base64_encode(&v.0));
                }
                for v in s.string_data.iter().flat_map(|d| d.values()) {
                    r.add(v);
                }
            }
        });
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The bundle's directory.
    pub dir: PathBuf,
    /// Every file in it.
    pub files: Vec<PathBuf>,
}

/// Writes the bundle for namespace `ns` into `dir`, starting with `failure` as the summary.
pub async fn collect(
    client: &Client,
    ns: &str,
    dir: &Path,
    failure: &str,
    log: &Log,
    log_lines: i64,
) -> Result<Bundle, String> {
    learn_namespace_secrets(client, ns, log).await;
    std::fs::create_dir_all(dir.join("logs"))
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    let mut write = |name: &str, text: &str| -> Result<(), String> {
        let path = dir.join(name);
        std::fs::write(&path, log.redact(text))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        files.push(path);
        Ok(())
    };

    let mut summary = format!(
        "namespace: {ns}\ncollected: {}\n\n",
        chrono::Utc::now().to_rfc3339()
    );
    summary.push_str(failure);
    summary.push('\n');
    write("summary.txt", &summary)?;

    let events: Vec<Event> = list(client, ns).await;
    write("events.txt", &format_events(&events))?;

    let pods: Vec<Pod> = list(client, ns).await;
    let mut describe = String::new();
    for d in list::<Deployment>(client, ns).await {
        describe_deployment(&mut describe, &d);
    }
    for s in list::<StatefulSet>(client, ns).await {
        describe_statefulset(&mut describe, &s);
    }
    for d in list::<DaemonSet>(client, ns).await {
        describe_daemonset(&mut describe, &d);
    }
    for j in list::<Job>(client, ns).await {
        describe_job(&mut describe, &j);
    }
    for p in &pods {
        describe_pod(&mut describe, p);
    }
    for s in list::<Service>(client, ns).await {
        describe_service(&mut describe, &s);
    }
    for c in list::<PersistentVolumeClaim>(client, ns).await {
        describe_pvc(&mut describe, &c);
    }
    for s in list::<Secret>(client, ns).await {
        let keys: Vec<&String> = s.data.iter().flat_map(|d| d.keys()).collect();
        let _ = writeln!(
            describe,
            "Secret/{}\n  Type: {}\n  Keys: {} (values not shown)\n",
            s.name_any(),
            s.type_.as_deref().unwrap_or("Opaque"),
            join(keys.iter().map(|k| k.as_str()))
        );
    }
    for c in list::<ConfigMap>(client, ns).await {
        let keys: Vec<&String> = c.data.iter().flat_map(|d| d.keys()).collect();
        let _ = writeln!(
            describe,
            "ConfigMap/{}\n  Keys: {}\n",
            c.name_any(),
            join(keys.iter().map(|k| k.as_str()))
        );
    }
    write("describe.txt", &describe)?;

    for p in &pods {
        for (container, previous) in failing_containers(p) {
            let name = p.name_any();
            if let Some(text) =
                container_logs(client, ns, &name, &container, log_lines, previous).await
            {
                let suffix = if previous { ".previous" } else { "" };
                write(&format!("logs/{name}_{container}{suffix}.log"), &text)?;
            }
        }
    }
    Ok(Bundle {
        dir: dir.to_path_buf(),
        files,
    })
}

async fn list<K>(client: &Client, ns: &str) -> Vec<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client.clone(), ns);
    api.list(&ListParams::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default()
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = items.collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// Containers whose logs explain a failure: not ready, restarted, or waiting/terminated
/// abnormally. `true` asks for the previous run's log (the one that crashed).
pub fn failing_containers(p: &Pod) -> Vec<(String, bool)> {
    let Some(st) = p.status.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let succeeded = st.phase.as_deref() == Some("Succeeded");
    for cs in st
        .init_container_statuses
        .iter()
        .flatten()
        .chain(st.container_statuses.iter().flatten())
    {
        let failed_exit = cs
            .state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .is_some_and(|t| t.exit_code != 0);
        let waiting = cs.state.as_ref().and_then(|s| s.waiting.as_ref()).is_some();
        if cs.restart_count > 0 {
            out.push((cs.name.clone(), true));
        } else if failed_exit || (!cs.ready && !succeeded && !waiting) {
            out.push((cs.name.clone(), false));
        }
    }
    out
}

fn event_time(e: &Event) -> String {
    e.last_timestamp
        .as_ref()
        .map(|t| t.0.to_string())
        .or_else(|| e.event_time.as_ref().map(|t| t.0.to_string()))
        .or_else(|| e.first_timestamp.as_ref().map(|t| t.0.to_string()))
        .or_else(|| {
            e.metadata
                .creation_timestamp
                .as_ref()
                .map(|t| t.0.to_string())
        })
        .unwrap_or_default()
}

/// Events as a table, oldest first.
pub fn format_events(events: &[Event]) -> String {
    let mut rows: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            let obj = format!(
                "{}/{}",
                e.involved_object.kind.as_deref().unwrap_or("?"),
                e.involved_object.name.as_deref().unwrap_or("?")
            );
            let t = event_time(e);
            let count = e.count.map(|c| format!(" (x{c})")).unwrap_or_default();
            (
                t.clone(),
                format!(
                    "{t}  {:<7}  {:<24}  {obj}  {}{count}",
                    e.type_.as_deref().unwrap_or(""),
                    e.reason.as_deref().unwrap_or(""),
                    e.message.as_deref().unwrap_or("").trim()
                ),
            )
        })
        .collect();
    rows.sort();
    let mut out = String::new();
    for (_, r) in rows {
        out.push_str(&r);
        out.push('\n');
    }
    if out.is_empty() {
        out.push_str("(no events)\n");
    }
    out
}

/// `KEY=value` for describe output, with secret sources shown as references and sensitive
/// inline values masked.
pub fn env_line(e: &EnvVar) -> String {
    if let Some(from) = &e.value_from {
        if let Some(s) = &from.secret_key_ref {
            return format!("{}=<from Secret {} key {}>", e.name, s.name, s.key);
        }
        if let Some(c) = &from.config_map_key_ref {
            return format!("{}=<from ConfigMap {} key {}>", e.name, c.name, c.key);
        }
        if let Some(f) = &from.field_ref {
            return format!("{}=<field {}>", e.name, f.field_path);
        }
        if let Some(r) = &from.resource_field_ref {
            return format!("{}=<resource {}>", e.name, r.resource);
        }
    }
    let value = e.value.as_deref().unwrap_or("");
    if is_sensitive_name(&e.name) && !value.is_empty() {
        return format!("{}={REDACTED}", e.name);
    }
    format!("{}={}", e.name, mask_url_password(value))
}

/// Masks the password of `scheme://user:password@host` URLs.
pub fn mask_url_password(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail.find(['/', ' ', '?', '#']).unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) if authority[..at].contains(':') => {
                let user = authority[..at].split(':').next().unwrap_or("");
                out.push_str(user);
                out.push(':');
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn state_text(s: Option<&ContainerState>) -> String {
    let Some(s) = s else {
        return "unknown".into();
    };
    if let Some(w) = &s.waiting {
        return format!(
            "Waiting ({}{})",
            w.reason.as_deref().unwrap_or(""),
            w.message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        );
    }
    if let Some(t) = &s.terminated {
        return format!(
            "Terminated (exit {}{})",
            t.exit_code,
            t.reason
                .as_deref()
                .map(|r| format!(", {r}"))
                .unwrap_or_default()
        );
    }
    if s.running.is_some() {
        return "Running".into();
    }
    "unknown".into()
}

fn describe_pod(out: &mut String, p: &Pod) {
    let st = p.status.clone().unwrap_or_default();
    let _ = writeln!(out, "Pod/{}", p.name_any());
    let _ = writeln!(out, "  Phase: {}", st.phase.as_deref().unwrap_or("Unknown"));
    if let Some(n) = p.spec.as_ref().and_then(|s| s.node_name.as_ref()) {
        let _ = writeln!(out, "  Node: {n}");
    }
    if let Some(r) = &st.reason {
        let _ = writeln!(out, "  Reason: {r} {}", st.message.as_deref().unwrap_or(""));
    }
    let conds: Vec<String> = st
        .conditions
        .iter()
        .flatten()
        .map(|c| format!("{}={}", c.type_, c.status))
        .collect();
    let _ = writeln!(
        out,
        "  Conditions: {}",
        join(conds.iter().map(String::as_str))
    );
    let statuses: Vec<_> = st
        .init_container_statuses
        .iter()
        .flatten()
        .chain(st.container_statuses.iter().flatten())
        .collect();
    let spec = p.spec.clone().unwrap_or_default();
    for (init, c) in spec
        .init_containers
        .iter()
        .flatten()
        .map(|c| (true, c))
        .chain(spec.containers.iter().map(|c| (false, c)))
    {
        let _ = writeln!(
            out,
            "  {}container {} (image {})",
            if init { "init " } else { "" },
            c.name,
            c.image.as_deref().unwrap_or("?")
        );
        if let Some(cs) = statuses.iter().find(|s| s.name == c.name) {
            let _ = writeln!(out, "    State: {}", state_text(cs.state.as_ref()));
            if cs
                .last_state
                .as_ref()
                .is_some_and(|l| l.terminated.is_some())
            {
                let _ = writeln!(
                    out,
                    "    Last state: {}",
                    state_text(cs.last_state.as_ref())
                );
            }
            let _ = writeln!(
                out,
                "    Ready: {}  Restarts: {}",
                cs.ready, cs.restart_count
            );
        }
        if let Some(env) = &c.env {
            let _ = writeln!(out, "    Env:");
            for e in env {
                let _ = writeln!(out, "      {}", env_line(e));
            }
        }
        for ef in c.env_from.iter().flatten() {
            if let Some(s) = &ef.secret_ref {
                let _ = writeln!(out, "    EnvFrom: Secret {}", s.name);
            }
            if let Some(m) = &ef.config_map_ref {
                let _ = writeln!(out, "    EnvFrom: ConfigMap {}", m.name);
            }
        }
    }
    out.push('\n');
}

fn describe_deployment(out: &mut String, d: &Deployment) {
    let st = d.status.clone().unwrap_or_default();
    let _ = writeln!(
        out,
        "Deployment/{}\n  Replicas: {} desired, {} updated, {} available, {} unavailable",
        d.name_any(),
        d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        st.updated_replicas.unwrap_or(0),
        st.available_replicas.unwrap_or(0),
        st.unavailable_replicas.unwrap_or(0)
    );
    for c in st.conditions.iter().flatten() {
        let _ = writeln!(
            out,
            "  Condition {}={} {} {}",
            c.type_,
            c.status,
            c.reason.as_deref().unwrap_or(""),
            c.message.as_deref().unwrap_or("")
        );
    }
    out.push('\n');
}

fn describe_statefulset(out: &mut String, s: &StatefulSet) {
    let st = s.status.clone().unwrap_or_default();
    let _ = writeln!(
        out,
        "StatefulSet/{}\n  Replicas: {} desired, {} ready, {} updated\n  Revisions: current {} update {}\n",
        s.name_any(),
        s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        st.ready_replicas.unwrap_or(0),
        st.updated_replicas.unwrap_or(0),
        st.current_revision.as_deref().unwrap_or("-"),
        st.update_revision.as_deref().unwrap_or("-")
    );
}

fn describe_daemonset(out: &mut String, d: &DaemonSet) {
    let st = d.status.clone().unwrap_or_default();
    let _ = writeln!(
        out,
        "DaemonSet/{}\n  Scheduled: {} desired, {} updated, {} available\n",
        d.name_any(),
        st.desired_number_scheduled,
        st.updated_number_scheduled.unwrap_or(0),
        st.number_available.unwrap_or(0)
    );
}

fn describe_job(out: &mut String, j: &Job) {
    let st = j.status.clone().unwrap_or_default();
    let _ = writeln!(
        out,
        "Job/{}\n  Pods: {} active, {} succeeded, {} failed",
        j.name_any(),
        st.active.unwrap_or(0),
        st.succeeded.unwrap_or(0),
        st.failed.unwrap_or(0)
    );
    for c in st.conditions.iter().flatten() {
        let _ = writeln!(
            out,
            "  Condition {}={} {} {}",
            c.type_,
            c.status,
            c.reason.as_deref().unwrap_or(""),
            c.message.as_deref().unwrap_or("")
        );
    }
    out.push('\n');
}

fn describe_service(out: &mut String, s: &Service) {
    let spec = s.spec.clone().unwrap_or_default();
    let ports: Vec<String> = spec
        .ports
        .iter()
        .flatten()
        .map(|p| format!("{}/{}", p.port, p.protocol.as_deref().unwrap_or("TCP")))
        .collect();
    let selector: Vec<String> = spec
        .selector
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let _ = writeln!(
        out,
        "Service/{}\n  Type: {}  ClusterIP: {}\n  Ports: {}\n  Selector: {}\n",
        s.name_any(),
        spec.type_.as_deref().unwrap_or("ClusterIP"),
        spec.cluster_ip.as_deref().unwrap_or("-"),
        join(ports.iter().map(String::as_str)),
        join(selector.iter().map(String::as_str))
    );
}

fn describe_pvc(out: &mut String, c: &PersistentVolumeClaim) {
    let _ = writeln!(
        out,
        "PersistentVolumeClaim/{}\n  Phase: {}  StorageClass: {}  Volume: {}\n",
        c.name_any(),
        c.status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .unwrap_or("Pending"),
        c.spec
            .as_ref()
            .and_then(|s| s.storage_class_name.as_deref())
            .unwrap_or("(default)"),
        c.spec
            .as_ref()
            .and_then(|s| s.volume_name.as_deref())
            .unwrap_or("-")
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn env_lines_hide_secrets() {
        let e: EnvVar = serde_json::from_value(
            json!({"name": "SECRET_KEY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}),
        )
        .unwrap();
        assert_eq!(env_line(&e), "SECRET_KEY=<from Secret s key k>");
        let e: EnvVar = serde_json::from_value(
            json!({"name": "POSTHOG_DB_PASSWORD", "value": "hunter2hunter2"}),
        )
        .unwrap();
        assert_eq!(env_line(&e), "POSTHOG_DB_PASSWORD=<redacted>");
        let e: EnvVar = serde_json::from_value(
            json!({"name": "DATABASE_URL", "value": "postgres://u:pw123@db:5432/x"}),
        )
        .unwrap();
        assert_eq!(
            env_line(&e),
            "DATABASE_URL=postgres://u:<redacted>@db:5432/x"
        );
        let e: EnvVar =
            serde_json::from_value(json!({"name": "SITE_URL", "value": "http://a/b"})).unwrap();
        assert_eq!(env_line(&e), "SITE_URL=http://a/b");
    }
}
