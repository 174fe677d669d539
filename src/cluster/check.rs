//! Live checks of an installed release, each named and reported pass, warn or fail:
//!
//! | name | passes when |
//! |---|---|
//! | `pods-ready` | every pod is Ready and no container restarted more than the threshold |
//! | `jobs-complete` | every Job completed |
//! | `services-endpoints` | every Service with a selector has a ready endpoint |
//! | `pvcs-bound` | every PersistentVolumeClaim is Bound |
//! | `storage-encrypted` | every StorageClass the claims use encrypts at rest (per-cloud knowledge; unknown is a warning) |
//! | `reach/<target>` | an ephemeral pod in the namespace reaches capture `/_readiness`, web `/_health`, ClickHouse 8123 and Kafka 9092 |
//! | `ingress` | every Ingress answers HTTP below 500 |

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::{Client, ResourceExt};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::progress::Log;

/// A check's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It holds.
    Pass,
    /// It could not be confirmed, or holds with a caveat.
    Warn,
    /// It does not hold.
    Fail,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        })
    }
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// The check's name.
    pub name: String,
    /// Its verdict.
    pub status: Status,
    /// What was found.
    pub detail: String,
}

impl CheckResult {
    fn new(name: impl Into<String>, status: Status, detail: impl Into<String>) -> CheckResult {
        CheckResult {
            name: name.into(),
            status,
            detail: detail.into(),
        }
    }
}

/// How a reachability target is probed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    /// HTTP GET of this path must answer 2xx.
    Http(String),
    /// A TCP connection must open.
    Tcp,
}

/// A service the ephemeral pod must reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeTarget {
    /// Its name (`capture`), also used to find its Service.
    pub name: String,
    /// An explicit host; `None` finds the Service in the namespace.
    pub host: Option<String>,
    /// The port.
    pub port: u16,
    /// HTTP path or TCP.
    pub kind: ProbeKind,
}

impl ProbeTarget {
    /// The PostHog targets: capture `/_readiness` on 3000, web `/_health` on 8000, ClickHouse
    /// `/ping` on 8123, Kafka TCP 9092.
    pub fn posthog_defaults() -> Vec<ProbeTarget> {
        vec![
            ProbeTarget {
                name: "capture".into(),
                host: None,
                port: 3000,
                kind: ProbeKind::Http("/_readiness".into()),
            },
            ProbeTarget {
                name: "web".into(),
                host: None,
                port: 8000,
                kind: ProbeKind::Http("/_health".into()),
            },
            ProbeTarget {
                name: "clickhouse".into(),
                host: None,
                port: 8123,
                kind: ProbeKind::Http("/ping".into()),
            },
            ProbeTarget {
                name: "kafka".into(),
                host: None,
                port: 9092,
                kind: ProbeKind::Tcp,
            },
        ]
    }

    /// Parses `NAME=HOST:PORT[/PATH]` (a path makes it HTTP) or `NAME=tcp://HOST:PORT`.
    pub fn parse(spec: &str) -> Result<ProbeTarget, String> {
        let (name, rest) = spec
            .split_once('=')
            .ok_or_else(|| format!("--probe {spec:?}: expected NAME=HOST:PORT[/PATH]"))?;
        let (tcp, rest) = match rest.strip_prefix("tcp://") {
            Some(r) => (true, r),
            None => (false, rest.strip_prefix("http://").unwrap_or(rest)),
        };
        let (hostport, path) = match rest.find('/') {
            Some(i) => (&rest[..i], Some(&rest[i..])),
            None => (rest, None),
        };
        let (host, port) = hostport
            .rsplit_once(':')
            .ok_or_else(|| format!("--probe {spec:?}: expected HOST:PORT"))?;
        let port: u16 = port
            .parse()
            .map_err(|_| format!("--probe {spec:?}: {port:?} is not a port number"))?;
        Ok(ProbeTarget {
            name: name.to_string(),
            host: (!host.is_empty()).then(|| host.to_string()),
            port,
            kind: match (tcp, path) {
                (false, Some(p)) => ProbeKind::Http(p.to_string()),
                _ => ProbeKind::Tcp,
            },
        })
    }
}

/// Options of [`run_checks`].
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// The release namespace.
    pub namespace: String,
    /// Restarts above this fail `pods-ready`.
    pub max_restarts: i32,
    /// Checks to skip (by name or prefix: `reach` skips every `reach/...`).
    pub skip: Vec<String>,
    /// Image of the ephemeral probe pod (needs `sh`, `wget`, `nc`).
    pub probe_image: String,
    /// Targets of the probe pod.
    pub targets: Vec<ProbeTarget>,
    /// How long the probe pod may take.
    pub probe_timeout: Duration,
    /// Probe the ingress at this URL instead of its load balancer address.
    pub ingress_url: Option<String>,
    /// How long to wait for an Ingress address.
    pub ingress_timeout: Duration,
    /// Verdict for storage known not to be encrypted (fail, or warn for local test clusters).
    pub unencrypted_storage: Status,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            namespace: "default".into(),
            max_restarts: 3,
            skip: Vec::new(),
            probe_image: "busybox:1.36".into(),
            targets: ProbeTarget::posthog_defaults(),
            probe_timeout: Duration::from_secs(120),
            ingress_url: None,
            ingress_timeout: Duration::from_secs(120),
            unencrypted_storage: Status::Fail,
        }
    }
}

impl CheckOptions {
    fn skipped(&self, name: &str) -> bool {
        self.skip
            .iter()
            .any(|s| s == name || name.starts_with(&format!("{s}/")))
    }
}

/// Runs every check not skipped, in table order.
pub async fn run_checks(client: &Client, opts: &CheckOptions, log: &Log) -> Vec<CheckResult> {
    let ns = opts.namespace.as_str();
    let mut out = Vec::new();
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let pod_list = pods.list(&ListParams::default()).await;
    if !opts.skipped("pods-ready") {
        out.push(match &pod_list {
            Ok(l) => pods_ready(&l.items, opts.max_restarts),
            Err(e) => {
                CheckResult::new("pods-ready", Status::Fail, format!("cannot list pods: {e}"))
            }
        });
    }
    if !opts.skipped("jobs-complete") {
        out.push(jobs_complete(client, ns).await);
    }
    if !opts.skipped("services-endpoints") {
        out.push(services_endpoints(client, ns).await);
    }
    let pvcs: Result<Vec<PersistentVolumeClaim>, String> =
        Api::<PersistentVolumeClaim>::namespaced(client.clone(), ns)
            .list(&ListParams::default())
            .await
            .map(|l| l.items)
            .map_err(|e| e.to_string());
    if !opts.skipped("pvcs-bound") {
        out.push(match &pvcs {
            Ok(items) => pvcs_bound(items),
            Err(e) => {
                CheckResult::new("pvcs-bound", Status::Fail, format!("cannot list PVCs: {e}"))
            }
        });
    }
    if !opts.skipped("storage-encrypted") {
        out.push(match &pvcs {
            Ok(items) => storage_encrypted(client, items, opts.unencrypted_storage).await,
            Err(e) => CheckResult::new(
                "storage-encrypted",
                Status::Fail,
                format!("cannot list PVCs: {e}"),
            ),
        });
    }
    if !opts.skipped("reach") {
        let targets: Vec<&ProbeTarget> = opts
            .targets
            .iter()
            .filter(|t| !opts.skipped(&format!("reach/{}", t.name)))
            .collect();
        if !targets.is_empty() {
            out.extend(reachability(client, opts, &targets, log).await);
        }
    }
    if !opts.skipped("ingress") {
        out.push(ingress(client, opts).await);
    }
    out
}

fn is_ready(p: &Pod) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// `pods-ready` over a pod list.
pub fn pods_ready(pods: &[Pod], max_restarts: i32) -> CheckResult {
    let mut bad = Vec::new();
    let mut counted = 0;
    for p in pods {
        let st = p.status.clone().unwrap_or_default();
        if p.metadata.deletion_timestamp.is_some() || st.phase.as_deref() == Some("Succeeded") {
            continue;
        }
        counted += 1;
        let name = p.name_any();
        for cs in st.container_statuses.iter().flatten() {
            if cs.restart_count > max_restarts {
                bad.push(format!(
                    "{name}/{} restarted {} times (more than {max_restarts})",
                    cs.name, cs.restart_count
                ));
            }
        }
        if !is_ready(p) {
            let why = st
                .container_statuses
                .iter()
                .flatten()
                .find_map(|cs| cs.state.as_ref()?.waiting.as_ref()?.reason.clone())
                .unwrap_or_else(|| st.phase.clone().unwrap_or_else(|| "Pending".into()));
            bad.push(format!("{name} not Ready ({why})"));
        }
    }
    match (counted, bad.is_empty()) {
        (0, _) => CheckResult::new("pods-ready", Status::Warn, "no pods in the namespace"),
        (n, true) => CheckResult::new(
            "pods-ready",
            Status::Pass,
            format!("{n} pods Ready, restarts at most {max_restarts}"),
        ),
        (_, false) => CheckResult::new("pods-ready", Status::Fail, bad.join("; ")),
    }
}

async fn jobs_complete(client: &Client, ns: &str) -> CheckResult {
    let jobs = match Api::<Job>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await
    {
        Ok(l) => l.items,
        Err(e) => {
            return CheckResult::new(
                "jobs-complete",
                Status::Fail,
                format!("cannot list Jobs: {e}"),
            )
        }
    };
    let mut bad = Vec::new();
    for j in &jobs {
        let conds = j
            .status
            .as_ref()
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default();
        let has = |t: &str| conds.iter().find(|c| c.type_ == t && c.status == "True");
        if has("Complete").is_some() {
            continue;
        }
        match has("Failed") {
            Some(c) => bad.push(format!(
                "{} failed ({})",
                j.name_any(),
                c.reason.clone().unwrap_or_default()
            )),
            None => bad.push(format!("{} not complete", j.name_any())),
        }
    }
    if bad.is_empty() {
        CheckResult::new(
            "jobs-complete",
            Status::Pass,
            format!("{} Jobs complete", jobs.len()),
        )
    } else {
        CheckResult::new("jobs-complete", Status::Fail, bad.join("; "))
    }
}

async fn services_endpoints(client: &Client, ns: &str) -> CheckResult {
    let services = match Api::<Service>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await
    {
        Ok(l) => l.items,
        Err(e) => {
            return CheckResult::new(
                "services-endpoints",
                Status::Fail,
                format!("cannot list Services: {e}"),
            )
        }
    };
    let slices = match Api::<EndpointSlice>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await
    {
        Ok(l) => l.items,
        Err(e) => {
            return CheckResult::new(
                "services-endpoints",
                Status::Fail,
                format!("cannot list EndpointSlices: {e}"),
            )
        }
    };
    let mut ready_by_service: BTreeMap<String, usize> = BTreeMap::new();
    for s in &slices {
        let Some(svc) = s.labels().get("kubernetes.io/service-name").cloned() else {
            continue;
        };
        let ready = s
            .endpoints
            .iter()
            .filter(|e| e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true))
            .count();
        *ready_by_service.entry(svc).or_default() += ready;
    }
    let mut checked = 0;
    let mut bad = Vec::new();
    for s in &services {
        let spec = s.spec.clone().unwrap_or_default();
        if spec.type_.as_deref() == Some("ExternalName")
            || spec.selector.as_ref().is_none_or(|m| m.is_empty())
        {
            continue;
        }
        checked += 1;
        if ready_by_service.get(&s.name_any()).copied().unwrap_or(0) == 0 {
            bad.push(format!("{} has no ready endpoints", s.name_any()));
        }
    }
    if bad.is_empty() {
        CheckResult::new(
            "services-endpoints",
            Status::Pass,
            format!("{checked} Services have ready endpoints"),
        )
    } else {
        CheckResult::new("services-endpoints", Status::Fail, bad.join("; "))
    }
}

/// `pvcs-bound` over a claim list.
pub fn pvcs_bound(pvcs: &[PersistentVolumeClaim]) -> CheckResult {
    let bad: Vec<String> = pvcs
        .iter()
        .filter_map(|c| {
            let phase = c
                .status
                .as_ref()
                .and_then(|s| s.phase.clone())
                .unwrap_or_else(|| "Pending".into());
            (phase != "Bound").then(|| format!("{} is {phase}", c.name_any()))
        })
        .collect();
    if bad.is_empty() {
        CheckResult::new(
            "pvcs-bound",
            Status::Pass,
            format!("{} PVCs Bound", pvcs.len()),
        )
    } else {
        CheckResult::new("pvcs-bound", Status::Fail, bad.join("; "))
    }
}

/// What we know about a StorageClass's encryption at rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Encryption {
    /// Encrypted, and why we know.
    Encrypted(String),
    /// Not encrypted, and why.
    NotEncrypted(String),
    /// Cannot tell from the cluster.
    Unknown(String),
}

/// Per-cloud knowledge of encryption at rest, from a StorageClass's provisioner and parameters.
pub fn storage_encryption(provisioner: &str, params: &BTreeMap<String, String>) -> Encryption {
    let p = |k: &str| params.get(k).map(String::as_str);
    match provisioner {
        "ebs.csi.aws.com" | "kubernetes.io/aws-ebs" => match p("encrypted") {
            Some("true") => Encryption::Encrypted(match p("kmsKeyId") {
                Some(_) => "EBS encrypted: \"true\" with a customer KMS key".into(),
                None => "EBS encrypted: \"true\"".into(),
            }),
            Some(v) => Encryption::NotEncrypted(format!("EBS encrypted: {v:?}; set parameters.encrypted: \"true\"")),
            None => Encryption::Unknown(
                "EBS without parameters.encrypted: \"true\" is encrypted only if the account turns on EBS encryption by default".into(),
            ),
        },
        "efs.csi.aws.com" => Encryption::Unknown("EFS encryption is a property of the file system, not visible here".into()),
        "pd.csi.storage.gke.io" | "kubernetes.io/gce-pd" => Encryption::Encrypted(match p("disk-encryption-kms-key") {
            Some(_) => "Persistent Disk with a customer-managed key".into(),
            None => "Persistent Disk encrypts at rest with Google-managed keys".into(),
        }),
        "disk.csi.azure.com" | "kubernetes.io/azure-disk" | "file.csi.azure.com" | "kubernetes.io/azure-file" => {
            Encryption::Encrypted(match p("diskEncryptionSetID") {
                Some(_) => "Azure storage with a customer-managed disk encryption set".into(),
                None => "Azure Storage Service Encryption (platform-managed keys)".into(),
            })
        }
        "dobs.csi.digitalocean.com" => Encryption::Encrypted("DigitalOcean Volumes are encrypted at rest".into()),
        "rancher.io/local-path" | "kubernetes.io/host-path" | "k8s.io/minikube-hostpath" | "kubernetes.io/no-provisioner" | "openebs.io/local" => {
            Encryption::NotEncrypted("node-local disk: not encrypted by the storage layer".into())
        }
        other => Encryption::Unknown(format!("no knowledge of provisioner {other:?}")),
    }
}

async fn storage_encrypted(
    client: &Client,
    pvcs: &[PersistentVolumeClaim],
    unencrypted: Status,
) -> CheckResult {
    const NAME: &str = "storage-encrypted";
    if pvcs.is_empty() {
        return CheckResult::new(NAME, Status::Pass, "no PVCs");
    }
    let classes = match Api::<StorageClass>::all(client.clone())
        .list(&ListParams::default())
        .await
    {
        Ok(l) => l.items,
        Err(e) => {
            return CheckResult::new(
                NAME,
                Status::Warn,
                format!("cannot list StorageClasses: {e}"),
            )
        }
    };
    let default = classes
        .iter()
        .find(|c| {
            c.annotations()
                .get("storageclass.kubernetes.io/is-default-class")
                .map(String::as_str)
                == Some("true")
        })
        .map(|c| c.name_any());
    let mut used: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in pvcs {
        let class = c
            .spec
            .as_ref()
            .and_then(|s| s.storage_class_name.clone())
            .or_else(|| default.clone());
        used.entry(class.unwrap_or_default())
            .or_default()
            .push(c.name_any());
    }
    let mut worst = Status::Pass;
    let mut details = Vec::new();
    for (class, claims) in used {
        let (status, why) = if class.is_empty() {
            (
                Status::Warn,
                "no StorageClass and no default class".to_string(),
            )
        } else {
            match classes.iter().find(|c| c.name_any() == class) {
                None => (Status::Warn, format!("StorageClass {class} not found")),
                Some(sc) => {
                    let params = sc.parameters.clone().unwrap_or_default();
                    match storage_encryption(&sc.provisioner, &params) {
                        Encryption::Encrypted(w) => (Status::Pass, w),
                        Encryption::NotEncrypted(w) => (unencrypted, w),
                        Encryption::Unknown(w) => (Status::Warn, w),
                    }
                }
            }
        };
        worst = worst.max(status);
        details.push(format!("{class} ({}): {status}: {why}", claims.join(", ")));
    }
    CheckResult::new(NAME, worst, details.join("; "))
}

/// The Service for a target: component label, exact name, or `-NAME` suffix, with the port.
pub fn find_service(target: &ProbeTarget, services: &[Service]) -> Option<String> {
    let has_port = |s: &Service| {
        s.spec
            .as_ref()
            .and_then(|sp| sp.ports.as_ref())
            .is_some_and(|ps| ps.iter().any(|p| p.port == i32::from(target.port)))
    };
    let by = |pred: &dyn Fn(&Service) -> bool| {
        services
            .iter()
            .find(|s| has_port(s) && pred(s))
            .map(|s| s.name_any())
    };
    by(&|s| s.labels().get("app.kubernetes.io/component") == Some(&target.name))
        .or_else(|| by(&|s| s.name_any() == target.name))
        .or_else(|| by(&|s| s.name_any().ends_with(&format!("-{}", target.name))))
}

/// The probe pod's script: one `PROBE name ok|fail detail` line per target, three tries each.
pub fn probe_script(targets: &[(String, String, u16, ProbeKind)]) -> String {
    let mut s = String::from(
        "probe() { name=$1; shift; i=0; while [ $i -lt 3 ]; do if out=$(\"$@\" 2>&1 </dev/null); then echo \"PROBE $name ok\"; return; fi; i=$((i+1)); sleep 2; done; echo \"PROBE $name fail $(echo \"$out\" | tr '\\n' ' ' | cut -c1-200)\"; }\n",
    );
    for (name, host, port, kind) in targets {
        match kind {
            ProbeKind::Http(path) => s.push_str(&format!(
                "probe {name} wget -q -T 5 -O /dev/null http://{host}:{port}{path}\n"
            )),
            ProbeKind::Tcp => s.push_str(&format!("probe {name} nc -w 5 {host} {port}\n")),
        }
    }
    s
}

/// Reads `PROBE name ok|fail detail` lines.
pub fn parse_probe_output(text: &str) -> BTreeMap<String, (bool, String)> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("PROBE ") else {
            continue;
        };
        let mut parts = rest.splitn(3, ' ');
        let (Some(name), Some(verdict)) = (parts.next(), parts.next()) else {
            continue;
        };
        out.insert(
            name.to_string(),
            (
                verdict == "ok",
                parts.next().unwrap_or("").trim().to_string(),
            ),
        );
    }
    out
}

async fn reachability(
    client: &Client,
    opts: &CheckOptions,
    targets: &[&ProbeTarget],
    log: &Log,
) -> Vec<CheckResult> {
    let ns = opts.namespace.as_str();
    let services = Api::<Service>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default();
    let mut results = Vec::new();
    let mut probes = Vec::new();
    for t in targets {
        let name = format!("reach/{}", t.name);
        let host = t.host.clone().or_else(|| find_service(t, &services));
        match host {
            Some(h) => probes.push((t.name.clone(), h, t.port, t.kind.clone())),
            None => results.push(CheckResult::new(
                name,
                Status::Fail,
                format!("no Service for {} with port {} in namespace {ns} (name it with --probe {}=HOST:PORT)", t.name, t.port, t.name),
            )),
        }
    }
    if probes.is_empty() {
        return results;
    }
    let describe = |p: &(String, String, u16, ProbeKind)| match &p.3 {
        ProbeKind::Http(path) => format!("http://{}:{}{path}", p.1, p.2),
        ProbeKind::Tcp => format!("tcp {}:{}", p.1, p.2),
    };
    match run_probe_pod(client, opts, &probe_script(&probes), log).await {
        Ok(output) => {
            let verdicts = parse_probe_output(&output);
            for p in &probes {
                let name = format!("reach/{}", p.0);
                match verdicts.get(&p.0) {
                    Some((true, _)) => results.push(CheckResult::new(
                        name,
                        Status::Pass,
                        format!("{} answered", describe(p)),
                    )),
                    Some((false, why)) => results.push(CheckResult::new(
                        name,
                        Status::Fail,
                        format!("{}: {}", describe(p), log.redact(why)),
                    )),
                    None => results.push(CheckResult::new(
                        name,
                        Status::Fail,
                        format!("{}: the probe pod reported nothing", describe(p)),
                    )),
                }
            }
        }
        Err(e) => {
            for p in &probes {
                results.push(CheckResult::new(
                    format!("reach/{}", p.0),
                    Status::Fail,
                    format!("{}: {e}", describe(p)),
                ));
            }
        }
    }
    results
}

/// Runs the probe pod to completion and returns its log.
async fn run_probe_pod(
    client: &Client,
    opts: &CheckOptions,
    script: &str,
    log: &Log,
) -> Result<String, String> {
    let ns = opts.namespace.as_str();
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let name = format!(
        "charttest-probe-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let pod: Pod = serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/name": "charttest-probe", "posthog-charttest/probe": "true"}},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": false,
            "securityContext": {"runAsNonRoot": true, "runAsUser": 65534, "runAsGroup": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "probe",
                "image": opts.probe_image,
                "command": ["sh", "-c", script],
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
                "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}
            }]
        }
    }))
    .map_err(|e| e.to_string())?;
    pods.create(&PostParams::default(), &pod)
        .await
        .map_err(|e| format!("cannot create probe pod: {e}"))?;
    log.line(format!("probe pod {name} started ({})", opts.probe_image));
    let result = async {
        let start = Instant::now();
        loop {
            let p = pods
                .get(&name)
                .await
                .map_err(|e| format!("probe pod: {e}"))?;
            let st = p.status.clone().unwrap_or_default();
            match st.phase.as_deref() {
                Some("Succeeded") | Some("Failed") => break,
                _ => {}
            }
            if let Some(w) = st
                .container_statuses
                .iter()
                .flatten()
                .find_map(|c| c.state.as_ref()?.waiting.clone())
                .filter(|w| {
                    matches!(
                        w.reason.as_deref(),
                        Some("ImagePullBackOff" | "ErrImagePull" | "InvalidImageName")
                    )
                })
            {
                return Err(format!(
                    "probe pod cannot pull {}: {}",
                    opts.probe_image,
                    w.reason.unwrap_or_default()
                ));
            }
            if start.elapsed() > opts.probe_timeout {
                return Err(format!(
                    "probe pod did not finish within {}s",
                    opts.probe_timeout.as_secs()
                ));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let lp = kube::api::LogParams {
            container: Some("probe".into()),
            ..Default::default()
        };
        pods.logs(&name, &lp)
            .await
            .map_err(|e| format!("probe pod logs: {e}"))
    }
    .await;
    let _ = pods
        .delete(&name, &DeleteParams::default().grace_period(0))
        .await;
    result
}

async fn ingress(client: &Client, opts: &CheckOptions) -> CheckResult {
    const NAME: &str = "ingress";
    let api: Api<Ingress> = Api::namespaced(client.clone(), &opts.namespace);
    let mut list = match api.list(&ListParams::default()).await {
        Ok(l) => l.items,
        Err(e) => {
            return CheckResult::new(NAME, Status::Fail, format!("cannot list Ingresses: {e}"))
        }
    };
    if let Some(url) = &opts.ingress_url {
        let host = list.iter().find_map(first_host);
        return match http_status(url, host.as_deref(), Duration::from_secs(10)).await {
            Ok(code) if code < 500 => {
                CheckResult::new(NAME, Status::Pass, format!("{url} answered HTTP {code}"))
            }
            Ok(code) => CheckResult::new(NAME, Status::Fail, format!("{url} answered HTTP {code}")),
            Err(e) => CheckResult::new(NAME, Status::Fail, format!("{url}: {e}")),
        };
    }
    if list.is_empty() {
        return CheckResult::new(NAME, Status::Warn, "no Ingress in the namespace");
    }
    let start = Instant::now();
    while list.iter().any(|i| address(i).is_none()) && start.elapsed() < opts.ingress_timeout {
        tokio::time::sleep(Duration::from_secs(2)).await;
        if let Ok(l) = api.list(&ListParams::default()).await {
            list = l.items;
        }
    }
    let mut worst = Status::Pass;
    let mut details = Vec::new();
    for i in &list {
        let (status, detail) = match address(i) {
            None => (
                Status::Fail,
                format!(
                    "{}: no load balancer address after {}s",
                    i.name_any(),
                    opts.ingress_timeout.as_secs()
                ),
            ),
            Some(addr) => {
                let url = format!("http://{addr}/");
                match http_status(&url, first_host(i).as_deref(), Duration::from_secs(10)).await {
                    Ok(code) if code < 500 => (
                        Status::Pass,
                        format!("{} ({url}) answered HTTP {code}", i.name_any()),
                    ),
                    Ok(code) => (
                        Status::Fail,
                        format!("{} ({url}) answered HTTP {code}", i.name_any()),
                    ),
                    Err(e) => (Status::Fail, format!("{} ({url}): {e}", i.name_any())),
                }
            }
        };
        worst = worst.max(status);
        details.push(detail);
    }
    CheckResult::new(NAME, worst, details.join("; "))
}

fn address(i: &Ingress) -> Option<String> {
    let lb = i
        .status
        .as_ref()?
        .load_balancer
        .as_ref()?
        .ingress
        .as_ref()?
        .first()?;
    lb.ip.clone().or_else(|| lb.hostname.clone())
}

fn first_host(i: &Ingress) -> Option<String> {
    i.spec
        .as_ref()?
        .rules
        .as_ref()?
        .iter()
        .find_map(|r| r.host.clone())
}

/// The HTTP status of a GET (plain HTTP/1.1, no redirects followed).
pub async fn http_status(
    url: &str,
    host_header: Option<&str>,
    timeout: Duration,
) -> Result<u16, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("bad URL: {e}"))?;
    if parsed.scheme() != "http" {
        return Err(format!(
            "only http:// URLs are probed, not {}://",
            parsed.scheme()
        ));
    }
    let host = parsed.host_str().ok_or("URL without a host")?.to_string();
    let port = parsed.port().unwrap_or(80);
    let mut path = parsed.path().to_string();
    if let Some(q) = parsed.query() {
        path.push('?');
        path.push_str(q);
    }
    let header_host = host_header
        .map(str::to_string)
        .unwrap_or_else(|| match parsed.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        });
    let fut = async {
        let mut s = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        let req = format!("GET {path} HTTP/1.1\r\nHost: {header_host}\r\nUser-Agent: posthog-charttest\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; 1024];
        let mut got = 0;
        while got < buf.len() {
            let n = s.read(&mut buf[got..]).await.map_err(|e| e.to_string())?;
            if n == 0 || buf[..got + n].contains(&b'\n') {
                got += n;
                break;
            }
            got += n;
        }
        let head = String::from_utf8_lossy(&buf[..got]);
        let line = head.lines().next().unwrap_or("");
        line.split_whitespace()
            .nth(1)
            .and_then(|c| c.parse::<u16>().ok())
            .filter(|_| line.starts_with("HTTP/"))
            .ok_or_else(|| format!("not an HTTP answer: {line:?}"))
    };
    tokio::time::timeout(timeout, fut)
        .await
        .map_err(|_| format!("no answer within {}s", timeout.as_secs()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_targets_parse() {
        assert_eq!(
            ProbeTarget::parse("capture=ph-capture:3000/_readiness").unwrap(),
            ProbeTarget {
                name: "capture".into(),
                host: Some("ph-capture".into()),
                port: 3000,
                kind: ProbeKind::Http("/_readiness".into())
            }
        );
        assert_eq!(
            ProbeTarget::parse("kafka=tcp://k:9092").unwrap().kind,
            ProbeKind::Tcp
        );
        assert!(ProbeTarget::parse("x=host")
            .unwrap_err()
            .contains("HOST:PORT"));
        assert!(ProbeTarget::parse("x=h:99999")
            .unwrap_err()
            .contains("port"));
    }

    #[test]
    fn encryption_knowledge() {
        let m = |kv: &[(&str, &str)]| {
            kv.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        assert!(matches!(
            storage_encryption(
                "ebs.csi.aws.com",
                &m(&[("type", "gp3"), ("encrypted", "true")])
            ),
            Encryption::Encrypted(_)
        ));
        assert!(matches!(
            storage_encryption("kubernetes.io/aws-ebs", &m(&[("type", "gp2")])),
            Encryption::Unknown(_)
        ));
        assert!(matches!(
            storage_encryption("ebs.csi.aws.com", &m(&[("encrypted", "false")])),
            Encryption::NotEncrypted(_)
        ));
        assert!(matches!(
            storage_encryption("pd.csi.storage.gke.io", &m(&[])),
            Encryption::Encrypted(_)
        ));
        assert!(matches!(
            storage_encryption("rancher.io/local-path", &m(&[])),
            Encryption::NotEncrypted(_)
        ));
        assert!(matches!(
            storage_encryption("example.com/nfs", &m(&[])),
            Encryption::Unknown(_)
        ));
    }

    #[test]
    fn probe_output_parses() {
        let v = parse_probe_output("noise\nPROBE capture ok\nPROBE kafka fail nc: timeout \n");
        assert_eq!(v["capture"], (true, String::new()));
        assert_eq!(v["kafka"], (false, "nc: timeout".into()));
    }
}
