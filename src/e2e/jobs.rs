//! [`JobBackend`] over the Kubernetes API (the kube client `e2e` already holds), so the load Job
//! runs without kubectl and against whatever API server the kubeconfig names, the tests' fake
//! included.
//!
//! The backend is synchronous, as [`run_in_cluster`](crate::load::cluster::run_in_cluster)
//! wants; each call blocks on the runtime's handle, so it must run on a blocking thread
//! (`tokio::task::spawn_blocking`). Setting [`KubeJobs::cancel`] makes the next status poll fail,
//! which ends the wait when the phase is abandoned (a timeout or a signal).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, DeleteParams, ListParams, LogParams, PostParams, PropagationPolicy};
use kube::{Client, ResourceExt};

use crate::load::cluster::{JobBackend, JobStatus};

/// Jobs through the Kubernetes API.
pub struct KubeJobs {
    /// The client.
    pub client: Client,
    /// The runtime the client lives on.
    pub handle: tokio::runtime::Handle,
    /// Set to stop waiting.
    pub cancel: Arc<AtomicBool>,
}

/// The manifests of a stream as JSON objects.
pub fn manifest_objects(manifest: &str) -> Result<Vec<serde_json::Value>, String> {
    let docs = crate::engine::yaml::parse_all(manifest).map_err(|e| e.to_string())?;
    docs.iter()
        .map(|d| {
            let json = crate::engine::json::marshal(d, false).map_err(|e| e.to_string())?;
            serde_json::from_str(&json).map_err(|e| e.to_string())
        })
        .collect()
}

impl JobBackend for KubeJobs {
    fn apply(&self, manifest: &str) -> Result<(), String> {
        self.handle.block_on(async {
            for obj in manifest_objects(manifest)? {
                let kind = obj["kind"].as_str().unwrap_or("").to_string();
                let ns = obj["metadata"]["namespace"].as_str().unwrap_or("default");
                let pp = PostParams::default();
                let r = match kind.as_str() {
                    "ConfigMap" => {
                        let cm: ConfigMap =
                            serde_json::from_value(obj.clone()).map_err(|e| e.to_string())?;
                        Api::<ConfigMap>::namespaced(self.client.clone(), ns)
                            .create(&pp, &cm)
                            .await
                            .map(|_| ())
                    }
                    "Job" => {
                        let job: Job =
                            serde_json::from_value(obj.clone()).map_err(|e| e.to_string())?;
                        Api::<Job>::namespaced(self.client.clone(), ns)
                            .create(&pp, &job)
                            .await
                            .map(|_| ())
                    }
                    other => return Err(format!("the load manifests hold a {other}")),
                };
                r.map_err(|e| format!("creating the load {kind}: {e}"))?;
            }
            Ok(())
        })
    }

    fn status(&self, namespace: &str, job: &str) -> Result<JobStatus, String> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err("the load phase was stopped".into());
        }
        self.handle.block_on(async {
            let j = Api::<Job>::namespaced(self.client.clone(), namespace)
                .get(job)
                .await
                .map_err(|e| format!("reading job {namespace}/{job}: {e}"))?;
            let st = j.status.unwrap_or_default();
            Ok(JobStatus {
                succeeded: st.succeeded.unwrap_or(0).max(0) as u64,
                failed: st.failed.unwrap_or(0).max(0) as u64,
            })
        })
    }

    fn logs(&self, namespace: &str, job: &str) -> Result<Vec<(String, String)>, String> {
        self.handle.block_on(async {
            let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
            let list = pods
                .list(&ListParams::default().labels(&format!("job-name={job}")))
                .await
                .map_err(|e| format!("listing the pods of job {job}: {e}"))?;
            let mut out = Vec::new();
            for p in list.items {
                let name = p.name_any();
                let lp = LogParams {
                    container: Some("load".into()),
                    ..LogParams::default()
                };
                let text = pods
                    .logs(&name, &lp)
                    .await
                    .map_err(|e| format!("logs of pod {name}: {e}"))?;
                out.push((name, text));
            }
            out.sort();
            Ok(out)
        })
    }

    fn delete(&self, namespace: &str, name: &str) -> Result<(), String> {
        self.handle.block_on(async {
            let dp = DeleteParams {
                propagation_policy: Some(PropagationPolicy::Background),
                ..DeleteParams::default()
            };
            let gone = |e: &kube::Error| matches!(e, kube::Error::Api(s) if s.code == 404);
            if let Err(e) = Api::<Job>::namespaced(self.client.clone(), namespace)
                .delete(name, &dp)
                .await
            {
                if !gone(&e) {
                    return Err(format!("deleting job {name}: {e}"));
                }
            }
            if let Err(e) = Api::<ConfigMap>::namespaced(self.client.clone(), namespace)
                .delete(name, &DeleteParams::default())
                .await
            {
                if !gone(&e) {
                    return Err(format!("deleting configmap {name}: {e}"));
                }
            }
            Ok(())
        })
    }
}
