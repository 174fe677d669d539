//! DigitalOcean Kubernetes through doctl. DigitalOcean tags are plain words, so the ownership
//! labels become tags `posthog-charttest`, `charttest-run-id:ID` and `charttest-expires-at:T`.

use super::{credentials, region_or, Cluster, Env, Prerequisite, Provider, ProviderKind};
use crate::cluster::command::{CommandSpec, Plan};
use crate::cluster::provider::{parse_json, str_field, CreateOptions, Listed};
use crate::cluster::{OWNER_LABEL, OWNER_VALUE};

/// DOKS through doctl.
pub struct DigitalOcean;

/// Droplet size when none is given: 4 vCPU, 8 GiB.
pub const DEFAULT_SIZE: &str = "s-4vcpu-8gb";

/// The ownership labels as DigitalOcean tags.
fn tags(cluster: &Cluster) -> String {
    cluster
        .labels()
        .into_iter()
        .map(|(k, v)| {
            if k == OWNER_LABEL {
                k
            } else {
                format!("{k}:{v}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

impl Provider for DigitalOcean {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Digitalocean
    }

    fn prepare(&self, cluster: &mut Cluster, env: &Env) -> Result<(), String> {
        cluster.region = Some(region_or(
            cluster,
            env,
            &["DIGITALOCEAN_REGION"],
            "digitalocean",
        )?);
        Ok(())
    }

    fn prerequisites(&self, env: &Env) -> Vec<Prerequisite> {
        let config = env
            .get("XDG_CONFIG_HOME")
            .map(|d| format!("{d}/doctl/config.yaml"))
            .unwrap_or_else(|| "~/.config/doctl/config.yaml".into());
        let configured = std::fs::read_to_string(env.expand(&config))
            .map(|t| {
                t.lines().any(|l| {
                    l.trim_start()
                        .strip_prefix("access-token:")
                        .is_some_and(|v| !v.trim().trim_matches('"').is_empty())
                })
            })
            .unwrap_or(false);
        vec![
            Prerequisite::binary(
                env,
                "doctl",
                "install doctl (https://docs.digitalocean.com/reference/doctl/)",
            ),
            credentials(
                "DigitalOcean credentials",
                env.get("DIGITALOCEAN_ACCESS_TOKEN").is_some() || configured,
                "set DIGITALOCEAN_ACCESS_TOKEN or run `doctl auth init`",
            ),
        ]
    }

    fn create_plan(&self, cluster: &Cluster, opts: &CreateOptions) -> Result<Plan, String> {
        let mut args: Vec<String> = vec![
            "kubernetes".into(),
            "cluster".into(),
            "create".into(),
            cluster.name.clone(),
            "--region".into(),
            cluster.region.clone().unwrap_or_default(),
        ];
        if let Some(v) = &opts.kube_version {
            args.extend(["--version".into(), v.clone()]);
        }
        args.extend([
            "--node-pool".into(),
            format!(
                "name={}-pool;size={};count={}",
                cluster.name,
                opts.node_size.as_deref().unwrap_or(DEFAULT_SIZE),
                opts.nodes
            ),
            "--tag".into(),
            tags(cluster),
            "--wait".into(),
            "--update-kubeconfig=false".into(),
            "--set-current-context=false".into(),
            "--output".into(),
            "json".into(),
        ]);
        Ok(Plan::of(vec![
            CommandSpec::new("doctl", args).purpose("create the DigitalOcean Kubernetes cluster")
        ]))
    }

    fn kubeconfig_plan(&self, cluster: &Cluster) -> Plan {
        Plan::of(vec![CommandSpec::new(
            "doctl",
            [
                "kubernetes",
                "cluster",
                "kubeconfig",
                "show",
                cluster.name.as_str(),
            ],
        )
        .purpose(
            "write the kubeconfig (it holds a token: written to a private file, never printed)",
        )
        .stdout_to(&cluster.kubeconfig)])
    }

    fn delete_plan(&self, cluster: &Cluster) -> Plan {
        Plan::of(vec![CommandSpec::new(
            "doctl",
            [
                "kubernetes",
                "cluster",
                "delete",
                cluster.name.as_str(),
                "--force",
                // Also deletes the load balancers and volumes the cluster made, which would
                // otherwise outlive it and keep billing.
                "--dangerous",
            ],
        )
        .purpose("delete the cluster with its load balancers and volumes")])
    }

    fn list_plan(&self, _region: Option<&str>) -> Option<Plan> {
        Some(Plan::of(vec![CommandSpec::new(
            "doctl",
            ["kubernetes", "cluster", "list", "--output", "json"],
        )
        .purpose("list DigitalOcean Kubernetes clusters")]))
    }

    fn parse_list(&self, stdout: &str) -> Result<Vec<Listed>, String> {
        let v = parse_json("doctl", stdout)?;
        let arr = v
            .as_array()
            .ok_or("doctl kubernetes cluster list printed something other than a JSON array")?;
        Ok(arr
            .iter()
            .filter_map(|c| {
                let mut labels = std::collections::BTreeMap::new();
                for t in c
                    .get("tags")
                    .and_then(|t| t.as_array())
                    .into_iter()
                    .flatten()
                {
                    let Some(t) = t.as_str() else { continue };
                    if t == OWNER_LABEL {
                        labels.insert(OWNER_LABEL.to_string(), OWNER_VALUE.to_string());
                    } else if let Some((k, v)) = t.split_once(':') {
                        labels.insert(k.to_string(), v.to_string());
                    }
                }
                Some(Listed {
                    name: str_field(c, &["name"])?.to_string(),
                    region: str_field(c, &["region", "region_slug"]).map(str::to_string),
                    labels,
                    ..Listed::default()
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_become_labels() {
        let json = r#"[{"id":"x","name":"c","region":"nyc1","tags":["k8s","k8s:abc","posthog-charttest","charttest-expires-at:42","charttest-run-id:r9"]}]"#;
        let l = DigitalOcean.parse_list(json).unwrap();
        assert!(l[0].owned());
        assert_eq!(l[0].expires_at(), Some(42));
        assert_eq!(l[0].run_id(), Some("r9"));
    }
}
