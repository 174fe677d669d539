//! Kubernetes clients from kubeconfig files, and waiting for a new cluster's nodes.
//!
//! Everything live goes through `kube::Client`; tests point the same code at an in-process fake
//! API server by writing a kubeconfig whose server is `http://127.0.0.1:PORT`.

use std::path::Path;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use super::progress::Log;

/// A client for a kubeconfig file and context (`None`: the file's current context). With no
/// file, the usual inference applies (`$KUBECONFIG`, `~/.kube/config`, in-cluster). The file's
/// credentials are taught to the log's redactor.
pub async fn client(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
    log: &Log,
) -> Result<Client, String> {
    let opts = KubeConfigOptions {
        context: context.map(str::to_string),
        cluster: None,
        user: None,
    };
    let config = match kubeconfig {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read kubeconfig {}: {e}", path.display()))?;
            log.learn(|r| r.add_kubeconfig(&text));
            let kc = Kubeconfig::from_yaml(&text).map_err(|e| {
                format!(
                    "kubeconfig {}: {}",
                    path.display(),
                    log.redact(&e.to_string())
                )
            })?;
            Config::from_custom_kubeconfig(kc, &opts)
                .await
                .map_err(|e| {
                    format!(
                        "kubeconfig {}: {}",
                        path.display(),
                        log.redact(&e.to_string())
                    )
                })?
        }
        None => {
            if let Ok(p) = std::env::var("KUBECONFIG") {
                for part in std::env::split_paths(&p) {
                    if let Ok(text) = std::fs::read_to_string(part) {
                        log.learn(|r| r.add_kubeconfig(&text));
                    }
                }
            }
            if context.is_some() {
                Config::from_kubeconfig(&opts)
                    .await
                    .map_err(|e| format!("kubeconfig: {}", log.redact(&e.to_string())))?
            } else {
                Config::infer().await.map_err(|e| {
                    format!(
                        "no Kubernetes configuration: {}",
                        log.redact(&e.to_string())
                    )
                })?
            }
        }
    };
    Client::try_from(config)
        .map_err(|e| format!("Kubernetes client: {}", log.redact(&e.to_string())))
}

/// Waits until the cluster has at least one node and every node is Ready.
pub async fn wait_nodes_ready(
    client: &Client,
    timeout: Duration,
    log: &Log,
) -> Result<usize, String> {
    let nodes: Api<Node> = Api::all(client.clone());
    let start = Instant::now();
    let mut last = String::new();
    loop {
        let state = match nodes.list(&ListParams::default()).await {
            Ok(list) => {
                let total = list.items.len();
                let ready = list.items.iter().filter(|n| node_ready(n)).count();
                if total > 0 && ready == total {
                    log.line(format!("nodes: {ready}/{total} Ready"));
                    return Ok(total);
                }
                format!("nodes: {ready}/{total} Ready")
            }
            Err(e) => format!("API not answering yet: {}", log.redact(&e.to_string())),
        };
        if state != last {
            log.line(&state);
            last = state.clone();
        }
        if start.elapsed() >= timeout {
            return Err(format!(
                "nodes not Ready after {}s ({state})",
                timeout.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

fn node_ready(n: &Node) -> bool {
    n.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}
