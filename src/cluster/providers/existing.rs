//! A cluster you already have: we read its kubeconfig and context, check they exist, and never
//! create or delete anything.

use super::{Cluster, Env, Prerequisite, Provider, ProviderKind};
use crate::cluster::command::Plan;
use crate::cluster::provider::{CreateOptions, Listed};

/// An existing cluster.
pub struct Existing;

impl Provider for Existing {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Existing
    }

    fn prepare(&self, cluster: &mut Cluster, _env: &Env) -> Result<(), String> {
        let text = std::fs::read_to_string(&cluster.kubeconfig).map_err(|e| {
            format!(
                "cannot read kubeconfig {}: {e} (pass --kubeconfig PATH)",
                cluster.kubeconfig.display()
            )
        })?;
        let contexts = context_names(&text);
        match &cluster.context {
            Some(ctx) if !contexts.iter().any(|c| c == ctx) => Err(format!(
                "kubeconfig {} has no context {ctx:?} (it has: {})",
                cluster.kubeconfig.display(),
                if contexts.is_empty() {
                    "none".to_string()
                } else {
                    contexts.join(", ")
                }
            )),
            _ => Ok(()),
        }
    }

    fn prerequisites(&self, _env: &Env) -> Vec<Prerequisite> {
        Vec::new()
    }

    fn create_plan(&self, _cluster: &Cluster, _opts: &CreateOptions) -> Result<Plan, String> {
        Ok(Plan::default())
    }

    fn kubeconfig_plan(&self, _cluster: &Cluster) -> Plan {
        Plan::default()
    }

    fn delete_plan(&self, _cluster: &Cluster) -> Plan {
        Plan::default()
    }

    fn deletes(&self) -> bool {
        false
    }

    fn list_plan(&self, _region: Option<&str>) -> Option<Plan> {
        None
    }

    fn parse_list(&self, _stdout: &str) -> Result<Vec<Listed>, String> {
        Ok(Vec::new())
    }
}

/// The context names of a kubeconfig (only the names: nothing else is read, so credentials
/// never pass through here).
pub fn context_names(kubeconfig: &str) -> Vec<String> {
    match kube::config::Kubeconfig::from_yaml(kubeconfig) {
        Ok(k) => k.contexts.into_iter().map(|c| c.name).collect(),
        Err(_) => Vec::new(),
    }
}
