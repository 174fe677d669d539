//! Google GKE through gcloud. Clusters carry our ownership labels as GKE resource labels,
//! which `gcloud container clusters list --format=json` reports.

use super::{
    credentials, joined_labels, region_or, Cluster, Env, Prerequisite, Provider, ProviderKind,
};
use crate::cluster::command::{CommandSpec, Plan};
use crate::cluster::provider::{parse_json, str_field, string_map, CreateOptions, Listed};

/// GKE through gcloud.
pub struct Gcp;

/// Machine type when none is given: 4 vCPU, 16 GiB.
pub const DEFAULT_MACHINE_TYPE: &str = "e2-standard-4";

/// `--zone Z` for a zone (`us-central1-a`), `--region R` for a region (`us-central1`).
fn location_args(location: &str) -> [String; 2] {
    let is_zone = location
        .rsplit_once('-')
        .is_some_and(|(_, last)| last.len() == 1 && last.chars().all(|c| c.is_ascii_lowercase()));
    [
        if is_zone { "--zone" } else { "--region" }.to_string(),
        location.to_string(),
    ]
}

fn project_args(cluster: &Cluster) -> Vec<String> {
    cluster
        .project
        .iter()
        .flat_map(|p| ["--project".to_string(), p.clone()])
        .collect()
}

impl Provider for Gcp {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Gcp
    }

    fn prepare(&self, cluster: &mut Cluster, env: &Env) -> Result<(), String> {
        cluster.region = Some(region_or(
            cluster,
            env,
            &["CLOUDSDK_COMPUTE_ZONE", "CLOUDSDK_COMPUTE_REGION"],
            "gcp",
        )?);
        if cluster.project.is_none() {
            cluster.project = env
                .get("CLOUDSDK_CORE_PROJECT")
                .or_else(|| env.get("GOOGLE_CLOUD_PROJECT"))
                .map(str::to_string);
        }
        // GKE label values and cluster names allow lowercase letters, digits and dashes only.
        for (what, v) in [("run id", &cluster.run_id), ("cluster name", &cluster.name)] {
            if !v
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            {
                return Err(format!(
                    "GKE needs a lowercase {what} (letters, digits, '-', '_'), not {v:?}"
                ));
            }
        }
        Ok(())
    }

    fn prerequisites(&self, env: &Env) -> Vec<Prerequisite> {
        let config_dir = env
            .get("CLOUDSDK_CONFIG")
            .map(str::to_string)
            .unwrap_or_else(|| "~/.config/gcloud".into());
        let ok = env
            .get("GOOGLE_APPLICATION_CREDENTIALS")
            .is_some_and(|f| env.file_exists(f))
            || env.get("CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE").is_some()
            || env.get("CLOUDSDK_AUTH_ACCESS_TOKEN_FILE").is_some()
            || env.file_exists(&format!("{config_dir}/credentials.db"))
            || env.file_exists(&format!(
                "{config_dir}/application_default_credentials.json"
            ));
        vec![
            Prerequisite::binary(env, "gcloud", "install the Google Cloud CLI"),
            Prerequisite::binary(
                env,
                "gke-gcloud-auth-plugin",
                "install it with `gcloud components install gke-gcloud-auth-plugin`: GKE kubeconfigs get their tokens from it",
            ),
            credentials(
                "Google Cloud credentials",
                ok,
                "run `gcloud auth login` (or `gcloud auth activate-service-account`), or set GOOGLE_APPLICATION_CREDENTIALS or CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE",
            ),
        ]
    }

    fn create_plan(&self, cluster: &Cluster, opts: &CreateOptions) -> Result<Plan, String> {
        let mut args: Vec<String> = vec![
            "container".into(),
            "clusters".into(),
            "create".into(),
            cluster.name.clone(),
        ];
        args.extend(location_args(cluster.region.as_deref().unwrap_or_default()));
        args.extend(project_args(cluster));
        if let Some(v) = &opts.kube_version {
            args.extend(["--cluster-version".into(), v.clone()]);
        }
        args.extend([
            "--num-nodes".into(),
            opts.nodes.to_string(),
            "--machine-type".into(),
            opts.node_size
                .clone()
                .unwrap_or_else(|| DEFAULT_MACHINE_TYPE.into()),
            "--labels".into(),
            joined_labels(cluster, ",", "="),
            "--quiet".into(),
            "--format=json".into(),
        ]);
        Ok(Plan::of(vec![
            CommandSpec::new("gcloud", args).purpose("create the GKE cluster")
        ]))
    }

    fn kubeconfig_plan(&self, cluster: &Cluster) -> Plan {
        let mut args: Vec<String> = vec![
            "container".into(),
            "clusters".into(),
            "get-credentials".into(),
            cluster.name.clone(),
        ];
        args.extend(location_args(cluster.region.as_deref().unwrap_or_default()));
        args.extend(project_args(cluster));
        Plan::of(vec![CommandSpec::new("gcloud", args)
            .with_env("KUBECONFIG", cluster.kubeconfig.display().to_string())
            .purpose("write the kubeconfig")])
    }

    fn delete_plan(&self, cluster: &Cluster) -> Plan {
        let mut args: Vec<String> = vec![
            "container".into(),
            "clusters".into(),
            "delete".into(),
            cluster.name.clone(),
        ];
        args.extend(location_args(cluster.region.as_deref().unwrap_or_default()));
        args.extend(project_args(cluster));
        args.push("--quiet".into());
        Plan::of(vec![
            CommandSpec::new("gcloud", args).purpose("delete the GKE cluster")
        ])
    }

    fn list_plan(&self, _region: Option<&str>) -> Option<Plan> {
        Some(Plan::of(vec![CommandSpec::new(
            "gcloud",
            ["container", "clusters", "list", "--format=json"],
        )
        .purpose("list GKE clusters")]))
    }

    fn parse_list(&self, stdout: &str) -> Result<Vec<Listed>, String> {
        let v = parse_json("gcloud", stdout)?;
        let arr = v
            .as_array()
            .ok_or("gcloud container clusters list printed something other than a JSON array")?;
        Ok(arr
            .iter()
            .filter_map(|c| {
                Some(Listed {
                    name: str_field(c, &["name"])?.to_string(),
                    region: str_field(c, &["location", "zone"]).map(str::to_string),
                    project: str_field(c, &["selfLink"]).and_then(project_of_link),
                    labels: string_map(c.get("resourceLabels")),
                    ..Listed::default()
                })
            })
            .collect())
    }
}

/// The project of a GKE self link (`.../projects/P/locations/...`).
fn project_of_link(link: &str) -> Option<String> {
    let mut parts = link.split('/');
    parts.find(|p| *p == "projects")?;
    parts.next().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_and_regions() {
        assert_eq!(location_args("us-central1-a")[0], "--zone");
        assert_eq!(location_args("us-central1")[0], "--region");
        assert_eq!(location_args("europe-west4")[0], "--region");
    }

    #[test]
    fn list_reads_labels_and_project() {
        let json = r#"[{"name":"c1","location":"us-central1-a","selfLink":"https://container.googleapis.com/v1/projects/p1/zones/us-central1-a/clusters/c1","resourceLabels":{"posthog-charttest":"owned","charttest-expires-at":"9"}}]"#;
        let l = Gcp.parse_list(json).unwrap();
        assert!(l[0].owned());
        assert_eq!(l[0].project.as_deref(), Some("p1"));
        assert_eq!(l[0].region.as_deref(), Some("us-central1-a"));
    }
}
