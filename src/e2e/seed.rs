//! Seeding: PostHog's ingestion drops events whose token belongs to no project, and a fresh
//! install has none. Before the load, a Job made from the web Deployment's own pod template
//! (same image, environment and Secrets) runs PostHog's Django shell to create an organization
//! and a project whose API token is the load's token, unless one already has it.

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, LogParams, PostParams};
use kube::{Client, ResourceExt};

/// The Django shell script that makes sure a project has `token`.
pub fn script(token: &str) -> String {
    // The token is checked to be plain (letters, digits, `_`, `-`) before it gets here.
    format!(
        "from posthog.models import Organization, Team\n\
         token = '{token}'\n\
         if not Team.objects.filter(api_token=token).exists():\n\
         \x20   org, _ = Organization.objects.get_or_create(name='posthog-charttest')\n\
         \x20   Team.objects.create_with_data(initiating_user=None, organization=org, name='posthog-charttest e2e', api_token=token)\n\
         print('charttest-seed: project ready')\n"
    )
}

/// Whether a token is plain enough to put in the script.
pub fn valid_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 128
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The seed Job's name.
pub fn job_name(run_id: &str) -> String {
    format!(
        "charttest-seed-{}",
        run_id.to_ascii_lowercase().replace('_', "-")
    )
}

/// The seed Job: the web pod template with its first container running the script.
pub fn job(web: &Deployment, name: &str, token: &str) -> Result<Job, String> {
    let mut template = web
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .ok_or_else(|| format!("Deployment {} has no pod template", web.name_any()))?;
    let spec = template
        .spec
        .as_mut()
        .ok_or_else(|| format!("Deployment {} has no pod spec", web.name_any()))?;
    spec.restart_policy = Some("Never".into());
    // Its dependencies are up: the install finished. Waiting init containers are not needed.
    spec.init_containers = None;
    let mut c = spec
        .containers
        .first()
        .cloned()
        .ok_or_else(|| format!("Deployment {} has no container", web.name_any()))?;
    c.name = "seed".into();
    c.command = Some(vec![
        "python".into(),
        "manage.py".into(),
        "shell".into(),
        "-c".into(),
        script(token),
    ]);
    c.args = None;
    c.ports = None;
    c.liveness_probe = None;
    c.readiness_probe = None;
    c.startup_probe = None;
    c.lifecycle = None;
    spec.containers = vec![c];
    let mut meta = template.metadata.take().unwrap_or_default();
    let labels = meta.labels.get_or_insert_with(Default::default);
    // The web Service must not send traffic to the seed pod.
    labels.clear();
    labels.insert("app.kubernetes.io/name".into(), "posthog-charttest".into());
    labels.insert("app.kubernetes.io/component".into(), "seed".into());
    template.metadata = Some(meta);
    serde_json::from_value(serde_json::json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/name": "posthog-charttest", "app.kubernetes.io/component": "seed"}},
        "spec": {"backoffLimit": 2, "ttlSecondsAfterFinished": 3600, "template": template}
    }))
    .map_err(|e| format!("building the seed Job: {e}"))
}

/// Finds the web Deployment, runs the seed Job and waits for it.
pub async fn run(
    client: &Client,
    namespace: &str,
    run_id: &str,
    token: &str,
    timeout: Duration,
    poll: Duration,
) -> Result<String, String> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let web = deployments
        .list(&ListParams::default().labels("app.kubernetes.io/component=web"))
        .await
        .map_err(|e| format!("listing Deployments: {e}"))?
        .items
        .into_iter()
        .next()
        .ok_or_else(|| {
            format!("no web Deployment (app.kubernetes.io/component=web) in {namespace} to seed the project token from; pass --no-seed when the token already belongs to a project")
        })?;
    let name = job_name(run_id);
    let jobs: Api<Job> = Api::namespaced(client.clone(), namespace);
    jobs.create(&PostParams::default(), &job(&web, &name, token)?)
        .await
        .map_err(|e| format!("creating Job {name}: {e}"))?;
    let start = Instant::now();
    loop {
        let j = jobs
            .get(&name)
            .await
            .map_err(|e| format!("reading Job {name}: {e}"))?;
        let conds = j
            .status
            .as_ref()
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default();
        let has = |t: &str| conds.iter().any(|c| c.type_ == t && c.status == "True");
        if has("Complete") {
            return Ok(format!(
                "project token seeded by Job {name} from Deployment {}",
                web.name_any()
            ));
        }
        if has("Failed") {
            return Err(format!(
                "seed Job {name} failed{}",
                last_log(client, namespace, &name).await
            ));
        }
        if start.elapsed() > timeout {
            return Err(format!(
                "seed Job {name} not complete after {}s{}",
                timeout.as_secs(),
                last_log(client, namespace, &name).await
            ));
        }
        tokio::time::sleep(poll).await;
    }
}

async fn last_log(client: &Client, namespace: &str, job: &str) -> String {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let Ok(list) = pods
        .list(&ListParams::default().labels(&format!("job-name={job}")))
        .await
    else {
        return String::new();
    };
    let Some(p) = list.items.last() else {
        return String::new();
    };
    let lp = LogParams {
        container: Some("seed".into()),
        tail_lines: Some(20),
        ..LogParams::default()
    };
    match pods.logs(&p.name_any(), &lp).await {
        Ok(text) if !text.trim().is_empty() => {
            format!("; pod {} ends with:\n{}", p.name_any(), text.trim_end())
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_runs_the_web_image_with_its_environment() {
        let web: Deployment = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "ph-web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"initContainers": [{"name": "wait", "image": "busybox"}],
                    "containers": [{"name": "web", "image": "posthog/posthog:1", "args": ["./bin/docker-server"],
                    "envFrom": [{"secretRef": {"name": "ph"}}], "readinessProbe": {"httpGet": {"path": "/_readyz", "port": 8000}}}]}}}
        }))
        .unwrap();
        let j = job(&web, "charttest-seed-r1", "phc_abc").unwrap();
        let v = serde_json::to_value(&j).unwrap();
        let pod = &v["spec"]["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Never");
        assert!(pod["initContainers"].is_null());
        let c = &pod["containers"][0];
        assert_eq!(c["image"], "posthog/posthog:1");
        assert_eq!(c["envFrom"][0]["secretRef"]["name"], "ph");
        assert!(c["args"].is_null() && c["readinessProbe"].is_null());
        assert!(c["command"][4]
            .as_str()
            .unwrap()
            .contains("api_token=token"));
        assert!(c["command"][4]
            .as_str()
            .unwrap()
            .contains("token = 'phc_abc'"));
        assert_eq!(
            v["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"],
            "seed"
        );
        assert!(valid_token("phc_abc-1") && !valid_token("a'b") && !valid_token(""));
    }
}
