//! Local k3s clusters: through k3d (k3s in Docker) when it is installed, else the k3s binary
//! run as a background server on this machine.

use std::path::PathBuf;

use super::{full_version, Cluster, Env, Prerequisite, Provider, ProviderKind};
use crate::cluster::command::{CommandSpec, Plan};
use crate::cluster::provider::{parse_json, str_field, string_map, CreateOptions, Listed};
use crate::cluster::{EXPIRES_LABEL, OWNER_LABEL, RUN_ID_LABEL};

/// k3s through k3d.
pub struct K3d;

/// The k3s image for a version: `1.31.4` becomes `rancher/k3s:v1.31.4-k3s1`.
fn k3s_image(version: &str) -> Result<String, String> {
    let v = full_version(version).ok_or_else(|| {
        format!(
            "k3s needs a full Kubernetes version such as 1.31.4 (image rancher/k3s:v1.31.4-k3s1), not {version:?}"
        )
    })?;
    Ok(if v.contains("-k3s") {
        format!("rancher/k3s:v{v}")
    } else {
        format!("rancher/k3s:v{v}-k3s1")
    })
}

impl Provider for K3d {
    fn kind(&self) -> ProviderKind {
        ProviderKind::K3s
    }

    fn backend(&self) -> Option<&'static str> {
        Some("k3d")
    }

    fn prepare(&self, cluster: &mut Cluster, _env: &Env) -> Result<(), String> {
        cluster.backend = Some("k3d".into());
        cluster.region = None;
        Ok(())
    }

    fn prerequisites(&self, env: &Env) -> Vec<Prerequisite> {
        vec![
            Prerequisite::binary(
                env,
                "k3d",
                "install k3d (https://k3d.io), or the k3s binary to run k3s directly",
            ),
            Prerequisite::binary(env, "docker", "k3d runs k3s in Docker: install Docker"),
        ]
    }

    fn create_plan(&self, cluster: &Cluster, opts: &CreateOptions) -> Result<Plan, String> {
        let mut args: Vec<String> = vec![
            "cluster".into(),
            "create".into(),
            cluster.name.clone(),
            "--servers".into(),
            "1".into(),
            "--agents".into(),
            opts.nodes.saturating_sub(1).to_string(),
        ];
        let image = match (&opts.image, &opts.kube_version) {
            (Some(i), _) => Some(i.clone()),
            (None, Some(v)) => Some(k3s_image(v)?),
            (None, None) => None,
        };
        if let Some(image) = image {
            args.extend(["--image".into(), image]);
        }
        args.extend(
            [
                "--wait",
                "--timeout",
                "300s",
                "--kubeconfig-update-default=false",
                "--kubeconfig-switch-context=false",
            ]
            .map(String::from),
        );
        for (k, v) in cluster.labels() {
            // Runtime labels land on the node containers, where `k3d cluster list -o json`
            // reports them: that is how reap recognises our clusters.
            args.extend(["--runtime-label".into(), format!("{k}={v}@server:0")]);
        }
        Ok(Plan::of(vec![
            CommandSpec::new("k3d", args).purpose("create the k3d cluster")
        ]))
    }

    fn kubeconfig_plan(&self, cluster: &Cluster) -> Plan {
        Plan::of(vec![CommandSpec::new(
            "k3d",
            ["kubeconfig", "get", cluster.name.as_str()],
        )
        .purpose("write the kubeconfig")
        .stdout_to(&cluster.kubeconfig)])
    }

    fn delete_plan(&self, cluster: &Cluster) -> Plan {
        Plan::of(vec![CommandSpec::new(
            "k3d",
            ["cluster", "delete", cluster.name.as_str()],
        )
        .purpose("delete the k3d cluster")])
    }

    fn list_plan(&self, _region: Option<&str>) -> Option<Plan> {
        Some(Plan::of(vec![CommandSpec::new(
            "k3d",
            ["cluster", "list", "-o", "json"],
        )
        .purpose("list k3d clusters")]))
    }

    fn parse_list(&self, stdout: &str) -> Result<Vec<Listed>, String> {
        let v = parse_json("k3d", stdout)?;
        let arr = v
            .as_array()
            .ok_or("k3d cluster list printed something other than a JSON array")?;
        let mut out = Vec::new();
        for c in arr {
            let Some(name) = str_field(c, &["name"]) else {
                continue;
            };
            let mut labels = std::collections::BTreeMap::new();
            for node in c
                .get("nodes")
                .and_then(|n| n.as_array())
                .into_iter()
                .flatten()
            {
                for (k, v) in string_map(node.get("runtimeLabels")) {
                    if [OWNER_LABEL, RUN_ID_LABEL, EXPIRES_LABEL].contains(&k.as_str()) {
                        labels.insert(k, v);
                    }
                }
            }
            out.push(Listed {
                name: name.to_string(),
                labels,
                ..Listed::default()
            });
        }
        Ok(out)
    }
}

/// k3s as a background server process on this machine (one node; needs root).
pub struct K3sBinary;

fn data_dir(cluster: &Cluster) -> PathBuf {
    cluster.data_dir.clone().unwrap_or_else(|| {
        cluster
            .kubeconfig
            .parent()
            .map(|p| p.join(format!("k3s-{}", cluster.name)))
            .unwrap_or_else(|| PathBuf::from(format!("k3s-{}", cluster.name)))
    })
}

impl Provider for K3sBinary {
    fn kind(&self) -> ProviderKind {
        ProviderKind::K3s
    }

    fn backend(&self) -> Option<&'static str> {
        Some("k3s")
    }

    fn prepare(&self, cluster: &mut Cluster, _env: &Env) -> Result<(), String> {
        cluster.backend = Some("k3s".into());
        cluster.region = None;
        cluster.data_dir = Some(data_dir(cluster));
        Ok(())
    }

    fn prerequisites(&self, env: &Env) -> Vec<Prerequisite> {
        #[cfg(unix)]
        // SAFETY: geteuid has no preconditions and touches no memory.
        let root = unsafe { libc::geteuid() } == 0;
        #[cfg(not(unix))]
        let root = false;
        vec![
            Prerequisite::binary(env, "k3s", "install k3s (https://k3s.io) or k3d"),
            Prerequisite {
                what: "root".into(),
                ok: root,
                hint: "the k3s server runs as root; run as root or install k3d".into(),
            },
        ]
    }

    fn create_plan(&self, cluster: &Cluster, opts: &CreateOptions) -> Result<Plan, String> {
        if opts.nodes > 1 {
            return Err(format!(
                "the k3s binary runs a single node, not {}: install k3d for more nodes",
                opts.nodes
            ));
        }
        if opts.kube_version.is_some() || opts.image.is_some() {
            return Err(
                "the k3s binary runs its own Kubernetes version: install k3d to choose one".into(),
            );
        }
        let dir = data_dir(cluster);
        let mut args: Vec<String> = vec![
            "server".into(),
            "--data-dir".into(),
            dir.display().to_string(),
            "--write-kubeconfig".into(),
            cluster.kubeconfig.display().to_string(),
            "--write-kubeconfig-mode".into(),
            "0600".into(),
        ];
        for (k, v) in cluster.labels() {
            args.extend(["--node-label".into(), format!("{k}={v}")]);
        }
        let mut server =
            CommandSpec::new("k3s", args).purpose("start the k3s server in the background");
        server.background_log = Some(dir.with_extension("log"));
        Ok(Plan::of(vec![
            CommandSpec::new("mkdir", ["-p".to_string(), dir.display().to_string()])
                .purpose("make the k3s data directory"),
            server,
        ]))
    }

    fn kubeconfig_plan(&self, _cluster: &Cluster) -> Plan {
        // The server writes the kubeconfig itself (--write-kubeconfig).
        Plan::default()
    }

    fn delete_plan(&self, cluster: &Cluster) -> Plan {
        let mut steps = Vec::new();
        let mut notes = Vec::new();
        match cluster.pid {
            Some(pid) => steps.push(
                CommandSpec::new("kill", ["-TERM".to_string(), pid.to_string()])
                    .purpose("stop the k3s server"),
            ),
            None => notes.push(
                "stop the k3s server: kill -TERM <its pid, recorded in the state file when it starts>".to_string(),
            ),
        }
        steps.push(
            CommandSpec::new("k3s-killall.sh", Vec::<String>::new())
                .purpose("stop the containers k3s started")
                .optional(),
        );
        steps.push(
            CommandSpec::new(
                "rm",
                ["-rf".to_string(), data_dir(cluster).display().to_string()],
            )
            .purpose("remove the k3s data directory"),
        );
        let mut plan = Plan::of(steps);
        plan.notes = notes;
        plan
    }

    fn list_plan(&self, _region: Option<&str>) -> Option<Plan> {
        None
    }

    fn parse_list(&self, _stdout: &str) -> Result<Vec<Listed>, String> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k3s_images() {
        assert_eq!(k3s_image("1.31.4").unwrap(), "rancher/k3s:v1.31.4-k3s1");
        assert_eq!(
            k3s_image("v1.30.2-k3s2").unwrap(),
            "rancher/k3s:v1.30.2-k3s2"
        );
        assert!(k3s_image("1.31")
            .unwrap_err()
            .contains("full Kubernetes version"));
    }

    #[test]
    fn k3d_list_reads_runtime_labels() {
        let json = r#"[{"name":"a","nodes":[{"name":"k3d-a-server-0","runtimeLabels":{"posthog-charttest":"owned","charttest-expires-at":"100","app":"k3d"}}]},{"name":"b","nodes":[]}]"#;
        let l = K3d.parse_list(json).unwrap();
        assert_eq!(l.len(), 2);
        assert!(l[0].owned());
        assert_eq!(l[0].expires_at(), Some(100));
        assert!(!l[0].labels.contains_key("app"));
        assert!(!l[1].owned());
    }
}
