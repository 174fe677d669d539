//! Amazon EKS through eksctl. Clusters are tagged with our ownership labels; `eksctl get
//! cluster` lists names without tags, so reap describes each cluster to read them.

use super::{
    credentials, joined_labels, region_or, Cluster, Env, Prerequisite, Provider, ProviderKind,
};
use crate::cluster::command::{CommandSpec, Plan};
use crate::cluster::provider::{parse_json, str_field, string_map, CreateOptions, Listed};

/// EKS through eksctl.
pub struct Aws;

/// Node type when none is given: 4 vCPU, 16 GiB.
pub const DEFAULT_NODE_TYPE: &str = "m5.xlarge";

impl Provider for Aws {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Aws
    }

    fn prepare(&self, cluster: &mut Cluster, env: &Env) -> Result<(), String> {
        cluster.region = Some(region_or(
            cluster,
            env,
            &["AWS_REGION", "AWS_DEFAULT_REGION"],
            "aws",
        )?);
        Ok(())
    }

    fn prerequisites(&self, env: &Env) -> Vec<Prerequisite> {
        let ok = (env.get("AWS_ACCESS_KEY_ID").is_some()
            && env.get("AWS_SECRET_ACCESS_KEY").is_some())
            || env.get("AWS_PROFILE").is_some()
            || (env.get("AWS_WEB_IDENTITY_TOKEN_FILE").is_some()
                && env.get("AWS_ROLE_ARN").is_some())
            || env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some()
            || env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
            || env
                .get("AWS_SHARED_CREDENTIALS_FILE")
                .is_some_and(|f| env.file_exists(f))
            || env.file_exists("~/.aws/credentials")
            || env.file_exists("~/.aws/config");
        vec![
            Prerequisite::binary(env, "eksctl", "install eksctl (https://eksctl.io)"),
            Prerequisite::binary(
                env,
                "aws",
                "install the AWS CLI: the kubeconfig eksctl writes gets its tokens from `aws eks get-token`",
            ),
            credentials(
                "AWS credentials",
                ok,
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a web identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN), or run `aws configure`",
            ),
        ]
    }

    fn create_plan(&self, cluster: &Cluster, opts: &CreateOptions) -> Result<Plan, String> {
        let region = cluster.region.clone().unwrap_or_default();
        let nodes = opts.nodes.to_string();
        let mut args: Vec<String> = vec![
            "create".into(),
            "cluster".into(),
            "--name".into(),
            cluster.name.clone(),
            "--region".into(),
            region,
        ];
        if let Some(v) = &opts.kube_version {
            // EKS versions are minor versions: 1.31.4 means 1.31.
            let minor: Vec<&str> = v.trim_start_matches('v').split('.').take(2).collect();
            args.extend(["--version".into(), minor.join(".")]);
        }
        args.extend([
            "--managed".into(),
            "--nodegroup-name".into(),
            "charttest".into(),
            "--node-type".into(),
            opts.node_size
                .clone()
                .unwrap_or_else(|| DEFAULT_NODE_TYPE.into()),
            "--nodes".into(),
            nodes.clone(),
            "--nodes-min".into(),
            nodes.clone(),
            "--nodes-max".into(),
            nodes,
            "--tags".into(),
            joined_labels(cluster, ",", "="),
            "--kubeconfig".into(),
            cluster.kubeconfig.display().to_string(),
            "--set-kubeconfig-context=false".into(),
        ]);
        Ok(Plan::of(vec![
            CommandSpec::new("eksctl", args).purpose("create the EKS cluster")
        ]))
    }

    fn kubeconfig_plan(&self, cluster: &Cluster) -> Plan {
        Plan::of(vec![CommandSpec::new(
            "eksctl",
            [
                "utils".to_string(),
                "write-kubeconfig".into(),
                "--cluster".into(),
                cluster.name.clone(),
                "--region".into(),
                cluster.region.clone().unwrap_or_default(),
                "--kubeconfig".into(),
                cluster.kubeconfig.display().to_string(),
                "--set-kubeconfig-context=false".into(),
            ],
        )
        .purpose("write the kubeconfig")])
    }

    fn delete_plan(&self, cluster: &Cluster) -> Plan {
        Plan::of(vec![CommandSpec::new(
            "eksctl",
            [
                "delete".to_string(),
                "cluster".into(),
                "--name".into(),
                cluster.name.clone(),
                "--region".into(),
                cluster.region.clone().unwrap_or_default(),
                "--wait".into(),
                // Pod disruption budgets would otherwise block the node drain forever.
                "--disable-nodegroup-eviction".into(),
            ],
        )
        .purpose("delete the EKS cluster and its CloudFormation stacks")])
    }

    fn list_plan(&self, region: Option<&str>) -> Option<Plan> {
        let mut args = vec!["get".to_string(), "cluster".into()];
        match region {
            Some(r) => args.extend(["--region".into(), r.to_string()]),
            None => args.push("--all-regions".into()),
        }
        args.extend(["-o".into(), "json".into()]);
        Some(Plan::of(vec![
            CommandSpec::new("eksctl", args).purpose("list EKS clusters")
        ]))
    }

    fn parse_list(&self, stdout: &str) -> Result<Vec<Listed>, String> {
        let v = parse_json("eksctl", stdout)?;
        let arr = v
            .as_array()
            .ok_or("eksctl get cluster printed something other than a JSON array")?;
        Ok(arr
            .iter()
            .filter_map(|c| {
                Some(Listed {
                    name: str_field(c, &["Name", "name"])?.to_string(),
                    region: str_field(c, &["Region", "region"]).map(str::to_string),
                    needs_detail: true,
                    ..Listed::default()
                })
            })
            .collect())
    }

    fn detail_plan(&self, listed: &Listed) -> Option<Plan> {
        let mut args = vec![
            "get".to_string(),
            "cluster".into(),
            "--name".into(),
            listed.name.clone(),
        ];
        if let Some(r) = &listed.region {
            args.extend(["--region".into(), r.clone()]);
        }
        args.extend(["-o".into(), "json".into()]);
        Some(Plan::of(vec![CommandSpec::new("eksctl", args).purpose(
            format!("read the tags of EKS cluster {}", listed.name),
        )]))
    }

    fn parse_detail(&self, listed: &mut Listed, stdout: &str) -> Result<(), String> {
        let v = parse_json("eksctl", stdout)?;
        let c = v.as_array().and_then(|a| a.first()).unwrap_or(&v);
        listed.labels = string_map(c.get("Tags").or_else(|| c.get("tags")));
        listed.needs_detail = false;
        Ok(())
    }
}
