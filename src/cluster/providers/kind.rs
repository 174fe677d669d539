//! kind: Kubernetes in Docker. `kind get clusters` lists names only, so ownership and expiry of
//! kind clusters come from the state file; the node labels carry them for anyone looking from
//! inside the cluster.

use super::{full_version, Cluster, Env, Prerequisite, Provider, ProviderKind};
use crate::cluster::command::{CommandSpec, Plan, PlanFile};
use crate::cluster::provider::{CreateOptions, Listed};

/// kind clusters.
pub struct Kind;

fn config_path(cluster: &Cluster) -> std::path::PathBuf {
    cluster
        .kubeconfig
        .with_file_name(format!("kind-{}.yaml", cluster.name))
}

/// kind's cluster config: one control plane and `nodes - 1` workers, each labelled.
fn config(cluster: &Cluster, nodes: u32) -> String {
    let mut labels = String::from("  labels:\n");
    for (k, v) in cluster.labels() {
        labels.push_str(&format!("    {k}: \"{v}\"\n"));
    }
    let mut out = String::from("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n");
    out.push_str("- role: control-plane\n");
    out.push_str(&labels);
    for _ in 1..nodes.max(1) {
        out.push_str("- role: worker\n");
        out.push_str(&labels);
    }
    out
}

impl Provider for Kind {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Kind
    }

    fn prepare(&self, cluster: &mut Cluster, _env: &Env) -> Result<(), String> {
        cluster.region = None;
        Ok(())
    }

    fn prerequisites(&self, env: &Env) -> Vec<Prerequisite> {
        let runtime = match env.get("KIND_EXPERIMENTAL_PROVIDER") {
            Some("podman") => "podman",
            Some("nerdctl") => "nerdctl",
            _ => "docker",
        };
        vec![
            Prerequisite::binary(env, "kind", "install kind (https://kind.sigs.k8s.io)"),
            Prerequisite::binary(
                env,
                runtime,
                "kind runs nodes as containers: install Docker",
            ),
        ]
    }

    fn create_plan(&self, cluster: &Cluster, opts: &CreateOptions) -> Result<Plan, String> {
        let path = config_path(cluster);
        let mut args: Vec<String> = vec![
            "create".into(),
            "cluster".into(),
            "--name".into(),
            cluster.name.clone(),
            "--config".into(),
            path.display().to_string(),
            "--kubeconfig".into(),
            cluster.kubeconfig.display().to_string(),
            "--wait".into(),
            "300s".into(),
        ];
        let image = match (&opts.image, &opts.kube_version) {
            (Some(i), _) => Some(i.clone()),
            (None, Some(v)) => Some(format!(
                "kindest/node:v{}",
                full_version(v).ok_or_else(|| format!(
                    "kind needs a full Kubernetes version such as 1.31.4 (image kindest/node:v1.31.4), not {v:?}"
                ))?
            )),
            (None, None) => None,
        };
        if let Some(image) = image {
            args.extend(["--image".into(), image]);
        }
        Ok(Plan {
            files: vec![PlanFile {
                path,
                content: config(cluster, opts.nodes),
            }],
            steps: vec![CommandSpec::new("kind", args).purpose("create the kind cluster")],
            notes: Vec::new(),
        })
    }

    fn kubeconfig_plan(&self, cluster: &Cluster) -> Plan {
        Plan::of(vec![CommandSpec::new(
            "kind",
            ["get", "kubeconfig", "--name", cluster.name.as_str()],
        )
        .purpose("write the kubeconfig")
        .stdout_to(&cluster.kubeconfig)])
    }

    fn delete_plan(&self, cluster: &Cluster) -> Plan {
        Plan::of(vec![CommandSpec::new(
            "kind",
            [
                "delete".to_string(),
                "cluster".into(),
                "--name".into(),
                cluster.name.clone(),
                "--kubeconfig".into(),
                cluster.kubeconfig.display().to_string(),
            ],
        )
        .purpose("delete the kind cluster")])
    }

    fn list_plan(&self, _region: Option<&str>) -> Option<Plan> {
        Some(Plan::of(vec![CommandSpec::new(
            "kind",
            ["get", "clusters"],
        )
        .purpose("list kind clusters")]))
    }

    fn parse_list(&self, stdout: &str) -> Result<Vec<Listed>, String> {
        Ok(stdout
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("No kind clusters"))
            .map(|name| Listed {
                name: name.to_string(),
                ..Listed::default()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_labels_every_node() {
        let c = Cluster {
            provider: ProviderKind::Kind,
            name: "n".into(),
            region: None,
            project: None,
            resource_group: None,
            resource_group_owned: false,
            run_id: "r1".into(),
            expires_at: 5,
            kubeconfig: "k".into(),
            context: None,
            backend: None,
            pid: None,
            data_dir: None,
        };
        let text = config(&c, 2);
        assert_eq!(text.matches("posthog-charttest: \"owned\"").count(), 2);
        assert!(text.contains("- role: worker\n"));
    }
}
