//! The provider abstraction: what a cluster is, what creating one asks for, and the
//! [`Provider`] trait every cloud or local tool implements as explicit command plans plus parsers
//! of the tool's JSON output.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::command::Plan;
use super::env::Env;
use super::{EXPIRES_LABEL, OWNER_LABEL, OWNER_VALUE, RUN_ID_LABEL};

/// The providers.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Local k3s: through k3d when it is installed, else the k3s binary.
    K3s,
    /// Local kind (Kubernetes in Docker).
    Kind,
    /// A cluster you already have: a kubeconfig and context. Never created or deleted.
    Existing,
    /// Amazon EKS through eksctl.
    Aws,
    /// Google GKE through gcloud.
    Gcp,
    /// DigitalOcean Kubernetes through doctl.
    Digitalocean,
    /// Azure AKS through az.
    Azure,
}

impl ProviderKind {
    /// Every provider, in display order.
    pub const ALL: [ProviderKind; 7] = [
        ProviderKind::K3s,
        ProviderKind::Kind,
        ProviderKind::Existing,
        ProviderKind::Aws,
        ProviderKind::Gcp,
        ProviderKind::Digitalocean,
        ProviderKind::Azure,
    ];

    /// The name used on the command line and in the state file.
    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::K3s => "k3s",
            ProviderKind::Kind => "kind",
            ProviderKind::Existing => "existing",
            ProviderKind::Aws => "aws",
            ProviderKind::Gcp => "gcp",
            ProviderKind::Digitalocean => "digitalocean",
            ProviderKind::Azure => "azure",
        }
    }

    /// Whether clusters run on this machine (one node size, no region).
    pub fn is_local(self) -> bool {
        matches!(self, ProviderKind::K3s | ProviderKind::Kind)
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One cluster: everything needed to reach it and delete it. This is what the state file
/// records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    /// Which provider made it.
    pub provider: ProviderKind,
    /// Cluster name.
    pub name: String,
    /// Region, zone or location (cloud providers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// GCP project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Azure resource group. When we created it for the cluster (the default), it is deleted
    /// with the cluster; a group you named with `--resource-group` is left alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    /// Whether [`Cluster::resource_group`] was created by us.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resource_group_owned: bool,
    /// The run that created it.
    pub run_id: String,
    /// Unix seconds after which `cluster reap` deletes it.
    pub expires_at: i64,
    /// Where its kubeconfig is written (or read, for `existing`).
    pub kubeconfig: PathBuf,
    /// kubeconfig context to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// For `k3s`: `k3d` or `k3s` (the binary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// For the k3s binary: the server's process id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// For the k3s binary: its data directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
}

impl Cluster {
    /// The ownership labels every provider attaches (as labels, tags or node labels).
    pub fn labels(&self) -> Vec<(String, String)> {
        vec![
            (OWNER_LABEL.to_string(), OWNER_VALUE.to_string()),
            (RUN_ID_LABEL.to_string(), self.run_id.clone()),
            (EXPIRES_LABEL.to_string(), self.expires_at.to_string()),
        ]
    }

    /// A stable key for the state file.
    pub fn key(&self) -> String {
        let mut k = format!("{}/{}", self.provider, self.name);
        if let Some(r) = &self.region {
            k.push('@');
            k.push_str(r);
        }
        k
    }
}

/// What to create, beyond the cluster's identity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreateOptions {
    /// Kubernetes version (`1.31` for clouds; a full `1.31.4` for kind and k3s images).
    pub kube_version: Option<String>,
    /// Number of nodes.
    pub nodes: u32,
    /// Machine type / VM size / droplet size.
    pub node_size: Option<String>,
    /// Node image override (kind, k3d).
    pub image: Option<String>,
}

/// A cluster as a provider's list command reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Listed {
    /// Cluster name.
    pub name: String,
    /// Region or location, when the provider reports one.
    pub region: Option<String>,
    /// Azure resource group, GCP project: what deleting it needs besides the name.
    pub resource_group: Option<String>,
    /// GCP project, when the list names one.
    pub project: Option<String>,
    /// Its labels or tags (DigitalOcean's `key:value` tags are split into pairs).
    pub labels: BTreeMap<String, String>,
    /// Set when labels still need a per-cluster describe call (eksctl lists without tags).
    #[serde(skip)]
    pub needs_detail: bool,
}

impl Listed {
    /// Whether we own it: it carries our owner label.
    pub fn owned(&self) -> bool {
        self.labels.get(OWNER_LABEL).map(String::as_str) == Some(OWNER_VALUE)
    }

    /// Its expiry, when labelled.
    pub fn expires_at(&self) -> Option<i64> {
        self.labels.get(EXPIRES_LABEL)?.parse().ok()
    }

    /// Its run id, when labelled.
    pub fn run_id(&self) -> Option<&str> {
        self.labels.get(RUN_ID_LABEL).map(String::as_str)
    }
}

/// One prerequisite and whether it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prerequisite {
    /// What is needed (`eksctl on PATH`, `AWS credentials`).
    pub what: String,
    /// Whether it is there.
    pub ok: bool,
    /// How to provide it when it is not.
    pub hint: String,
}

impl Prerequisite {
    /// A program that must be on `PATH`.
    pub fn binary(env: &Env, program: &str, hint: &str) -> Prerequisite {
        Prerequisite {
            what: format!("`{program}` on PATH"),
            ok: env.has(program),
            hint: hint.to_string(),
        }
    }
}

/// Every prerequisite that does not hold, as one message, or `None` when all hold.
pub fn missing_message(provider: ProviderKind, prereqs: &[Prerequisite]) -> Option<String> {
    let missing: Vec<String> = prereqs
        .iter()
        .filter(|p| !p.ok)
        .map(|p| format!("  - {}: {}", p.what, p.hint))
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "the {provider} provider cannot run; missing:\n{}",
            missing.join("\n")
        )
    })
}

/// A provider: every operation is an explicit plan of official CLI commands, plus parsers for
/// what those commands print. Running plans is the [`Runner`](super::command::Runner)'s job, so
/// `--dry-run` prints exactly what would run.
pub trait Provider: Send + Sync {
    /// Which provider this is.
    fn kind(&self) -> ProviderKind;

    /// The local tool actually used (`k3d` or `k3s` for [`ProviderKind::K3s`]).
    fn backend(&self) -> Option<&'static str> {
        None
    }

    /// Fills in provider defaults (region from the environment, resource group name) and
    /// validates the cluster's identity before anything runs.
    fn prepare(&self, cluster: &mut Cluster, env: &Env) -> Result<(), String>;

    /// What must be present to run: binaries and credentials.
    fn prerequisites(&self, env: &Env) -> Vec<Prerequisite>;

    /// Commands that create the cluster.
    fn create_plan(&self, cluster: &Cluster, opts: &CreateOptions) -> Result<Plan, String>;

    /// Commands that write the cluster's kubeconfig to `cluster.kubeconfig`.
    fn kubeconfig_plan(&self, cluster: &Cluster) -> Plan;

    /// Commands that delete the cluster (empty for clusters we never delete).
    fn delete_plan(&self, cluster: &Cluster) -> Plan;

    /// Whether clusters of this provider are ever deleted by us.
    fn deletes(&self) -> bool {
        true
    }

    /// Commands that list clusters, or `None` when the tool cannot list with labels (then only
    /// the state file knows what we own).
    fn list_plan(&self, region: Option<&str>) -> Option<Plan>;

    /// Parses the list command's standard output.
    fn parse_list(&self, stdout: &str) -> Result<Vec<Listed>, String>;

    /// Commands that describe one listed cluster whose labels the list did not include.
    fn detail_plan(&self, _listed: &Listed) -> Option<Plan> {
        None
    }

    /// Reads labels from the describe command's output into `listed`.
    fn parse_detail(&self, _listed: &mut Listed, _stdout: &str) -> Result<(), String> {
        Ok(())
    }

    /// A [`Cluster`] for deleting a listed one.
    fn cluster_from_listed(&self, listed: &Listed, kubeconfig: PathBuf) -> Cluster {
        Cluster {
            provider: self.kind(),
            name: listed.name.clone(),
            region: listed.region.clone(),
            project: listed.project.clone(),
            resource_group: listed.resource_group.clone(),
            resource_group_owned: false,
            run_id: listed.run_id().unwrap_or_default().to_string(),
            expires_at: listed.expires_at().unwrap_or(0),
            kubeconfig,
            context: None,
            backend: self.backend().map(str::to_string),
            pid: None,
            data_dir: None,
        }
    }
}

/// Parses JSON, naming the tool in the error.
pub fn parse_json(tool: &str, stdout: &str) -> Result<serde_json::Value, String> {
    let text = stdout.trim();
    if text.is_empty() || text == "null" {
        return Ok(serde_json::Value::Array(Vec::new()));
    }
    serde_json::from_str(text).map_err(|e| format!("{tool} printed JSON we cannot read: {e}"))
}

/// A string field, trying each name in turn (tools differ in capitalisation).
pub fn str_field<'a>(v: &'a serde_json::Value, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| v.get(*n).and_then(|x| x.as_str()))
}

/// A JSON object of strings as a map (labels, tags).
pub fn string_map(v: Option<&serde_json::Value>) -> BTreeMap<String, String> {
    v.and_then(|m| m.as_object())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Number(n) => n.to_string(),
                        serde_json::Value::Bool(b) => b.to_string(),
                        _ => return None,
                    };
                    Some((k.clone(), v))
                })
                .collect()
        })
        .unwrap_or_default()
}
