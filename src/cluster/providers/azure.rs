//! Azure AKS through az. By default each cluster gets its own resource group, tagged like the
//! cluster and deleted with it, which also removes everything AKS made beside the cluster. A
//! group you name with `--resource-group` is never deleted: only the cluster in it is.

use super::{credentials, region_or, Cluster, Env, Prerequisite, Provider, ProviderKind};
use crate::cluster::command::{CommandSpec, Plan};
use crate::cluster::provider::{parse_json, str_field, string_map, CreateOptions, Listed};

/// AKS through az.
pub struct Azure;

/// VM size when none is given: 4 vCPU, 16 GiB.
pub const DEFAULT_VM_SIZE: &str = "Standard_D4s_v5";

/// The resource group we create for a cluster.
pub fn default_resource_group(cluster_name: &str) -> String {
    format!("{cluster_name}-rg")
}

fn tag_args(cluster: &Cluster) -> Vec<String> {
    let mut args = vec!["--tags".to_string()];
    args.extend(
        cluster
            .labels()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}")),
    );
    args
}

impl Provider for Azure {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Azure
    }

    fn prepare(&self, cluster: &mut Cluster, env: &Env) -> Result<(), String> {
        cluster.region = Some(region_or(cluster, env, &["AZURE_LOCATION"], "azure")?);
        if cluster.resource_group.is_none() {
            cluster.resource_group = Some(default_resource_group(&cluster.name));
            cluster.resource_group_owned = true;
        }
        Ok(())
    }

    fn prerequisites(&self, env: &Env) -> Vec<Prerequisite> {
        let dir = env
            .get("AZURE_CONFIG_DIR")
            .map(str::to_string)
            .unwrap_or_else(|| "~/.azure".into());
        let ok = env.file_exists(&format!("{dir}/azureProfile.json"))
            && (env.file_exists(&format!("{dir}/msal_token_cache.json"))
                || env.file_exists(&format!("{dir}/msal_token_cache.bin"))
                || env.file_exists(&format!("{dir}/service_principal_entries.json"))
                || env.file_exists(&format!("{dir}/accessTokens.json")));
        vec![
            Prerequisite::binary(env, "az", "install the Azure CLI"),
            credentials(
                "Azure login",
                ok,
                "run `az login` (or `az login --service-principal` / `--federated-token` in CI)",
            ),
        ]
    }

    fn create_plan(&self, cluster: &Cluster, opts: &CreateOptions) -> Result<Plan, String> {
        let location = cluster.region.clone().unwrap_or_default();
        let group = cluster.resource_group.clone().unwrap_or_default();
        let mut steps = Vec::new();
        if cluster.resource_group_owned {
            let mut args: Vec<String> = vec![
                "group".into(),
                "create".into(),
                "--name".into(),
                group.clone(),
                "--location".into(),
                location.clone(),
            ];
            args.extend(tag_args(cluster));
            args.extend(["--output".into(), "json".into()]);
            steps.push(CommandSpec::new("az", args).purpose("create the cluster's resource group"));
        }
        let mut args: Vec<String> = vec![
            "aks".into(),
            "create".into(),
            "--name".into(),
            cluster.name.clone(),
            "--resource-group".into(),
            group,
            "--location".into(),
            location,
        ];
        if let Some(v) = &opts.kube_version {
            args.extend(["--kubernetes-version".into(), v.clone()]);
        }
        args.extend([
            "--node-count".into(),
            opts.nodes.to_string(),
            "--node-vm-size".into(),
            opts.node_size
                .clone()
                .unwrap_or_else(|| DEFAULT_VM_SIZE.into()),
        ]);
        args.extend(tag_args(cluster));
        args.extend([
            "--generate-ssh-keys".into(),
            "--output".into(),
            "json".into(),
        ]);
        steps.push(CommandSpec::new("az", args).purpose("create the AKS cluster"));
        Ok(Plan::of(steps))
    }

    fn kubeconfig_plan(&self, cluster: &Cluster) -> Plan {
        Plan::of(vec![CommandSpec::new(
            "az",
            [
                "aks".to_string(),
                "get-credentials".into(),
                "--name".into(),
                cluster.name.clone(),
                "--resource-group".into(),
                cluster.resource_group.clone().unwrap_or_default(),
                "--file".into(),
                cluster.kubeconfig.display().to_string(),
                "--overwrite-existing".into(),
            ],
        )
        .purpose("write the kubeconfig")])
    }

    fn delete_plan(&self, cluster: &Cluster) -> Plan {
        let group = cluster.resource_group.clone().unwrap_or_default();
        let step = if cluster.resource_group_owned {
            CommandSpec::new("az", ["group", "delete", "--name", group.as_str(), "--yes"])
                .purpose("delete the cluster's resource group, and the cluster with it")
        } else {
            CommandSpec::new(
                "az",
                [
                    "aks",
                    "delete",
                    "--name",
                    cluster.name.as_str(),
                    "--resource-group",
                    group.as_str(),
                    "--yes",
                ],
            )
            .purpose("delete the AKS cluster (the resource group is yours and stays)")
        };
        Plan::of(vec![step])
    }

    fn list_plan(&self, _region: Option<&str>) -> Option<Plan> {
        Some(Plan::of(vec![CommandSpec::new(
            "az",
            ["aks", "list", "--output", "json"],
        )
        .purpose("list AKS clusters")]))
    }

    fn parse_list(&self, stdout: &str) -> Result<Vec<Listed>, String> {
        let v = parse_json("az", stdout)?;
        let arr = v
            .as_array()
            .ok_or("az aks list printed something other than a JSON array")?;
        Ok(arr
            .iter()
            .filter_map(|c| {
                Some(Listed {
                    name: str_field(c, &["name"])?.to_string(),
                    region: str_field(c, &["location"]).map(str::to_string),
                    resource_group: str_field(c, &["resourceGroup"]).map(str::to_string),
                    labels: string_map(c.get("tags")),
                    ..Listed::default()
                })
            })
            .collect())
    }

    fn cluster_from_listed(&self, listed: &Listed, kubeconfig: std::path::PathBuf) -> Cluster {
        let rg = listed.resource_group.clone();
        Cluster {
            provider: ProviderKind::Azure,
            name: listed.name.clone(),
            region: listed.region.clone(),
            project: None,
            // A group named as we name ours was made by us for this cluster (az reports group
            // names in upper case at times, hence the case-insensitive match).
            resource_group_owned: rg
                .as_deref()
                .is_some_and(|g| g.eq_ignore_ascii_case(&default_resource_group(&listed.name))),
            resource_group: rg,
            run_id: listed.run_id().unwrap_or_default().to_string(),
            expires_at: listed.expires_at().unwrap_or(0),
            kubeconfig,
            context: None,
            backend: None,
            pid: None,
            data_dir: None,
        }
    }
}
