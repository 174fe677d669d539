//! Cluster lifecycles through the fake provider CLIs: create with a command and delete after,
//! delete on failure, hand-over and reap, reap across providers (never touching unowned
//! clusters), the k3s binary backend, and kubeconfig credentials kept out of output.

mod support;

use support::{run_cluster, FakeBin};

fn state_entries(path: &std::path::Path) -> Vec<serde_json::Value> {
    match std::fs::read_to_string(path) {
        Ok(t) => serde_json::from_str::<serde_json::Value>(&t).unwrap()["clusters"]
            .as_array()
            .unwrap()
            .clone(),
        Err(_) => Vec::new(),
    }
}

fn pos(record: &[String], prefix: &str) -> usize {
    record
        .iter()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` in {record:#?}"))
}

#[test]
fn create_runs_the_command_then_deletes() {
    let bin = FakeBin::new(&["k3d", "docker"]);
    let state = bin.state_file();
    let marker = bin.dir.path().join("ran");
    let script = format!(
        "test -s \"$KUBECONFIG\" && echo \"$CHARTTEST_CLUSTER\" > {}",
        marker.display()
    );
    let (out, _) = run_cluster(
        &[
            "cluster",
            "create",
            "--provider",
            "k3s",
            "--run-id",
            "r1",
            "--no-wait-nodes",
            "--state-file",
            state.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            &script,
        ],
        bin.env(&[]),
    );
    assert_eq!(out.exit, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap().trim(),
        "charttest-r1"
    );
    let rec = bin.record();
    assert!(
        pos(&rec, "k3d cluster create charttest-r1") < pos(&rec, "k3d kubeconfig get charttest-r1")
    );
    assert!(pos(&rec, "k3d kubeconfig get") < pos(&rec, "k3d cluster delete charttest-r1"));
    assert!(state_entries(&state).is_empty(), "state must be cleared");
    assert!(
        !state.with_file_name("charttest-r1.kubeconfig").exists(),
        "kubeconfig removed with the cluster"
    );
}

#[test]
fn failures_delete_what_was_created() {
    for (fail_on, want_exit) in [("cluster create", 1), ("kubeconfig get", 1)] {
        let bin = FakeBin::new(&["k3d", "docker"]);
        let state = bin.state_file();
        let (out, log) = run_cluster(
            &[
                "cluster",
                "create",
                "--provider",
                "k3s",
                "--run-id",
                "r2",
                "--no-wait-nodes",
                "--state-file",
                state.to_str().unwrap(),
                "--",
                "true",
            ],
            bin.env(&[("FAKE_FAIL_ON", fail_on)]),
        );
        assert_eq!(out.exit, want_exit, "{fail_on}: {}", out.stderr);
        assert!(
            out.stderr.contains("exited with status 1"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("k3d: simulated failure"),
            "{}",
            out.stderr
        );
        let rec = bin.record();
        assert_eq!(
            rec.last().unwrap(),
            "k3d cluster delete charttest-r2",
            "{fail_on}: {rec:#?}"
        );
        assert!(state_entries(&state).is_empty());
        assert!(
            log.iter().any(|l| l == "deleted cluster charttest-r2"),
            "{log:#?}"
        );
    }
}

#[test]
fn a_failing_command_still_deletes_and_fails() {
    let bin = FakeBin::new(&["kind", "docker"]);
    let state = bin.state_file();
    let (out, _) = run_cluster(
        &[
            "cluster",
            "create",
            "--provider",
            "kind",
            "--run-id",
            "r3",
            "--no-wait-nodes",
            "--state-file",
            state.to_str().unwrap(),
            "--",
            "false",
        ],
        bin.env(&[]),
    );
    assert_eq!(out.exit, 1);
    assert!(
        out.stderr.contains("`false` exited with status 1"),
        "{}",
        out.stderr
    );
    let rec = bin.record();
    assert!(
        rec[0].starts_with("kind create cluster --name charttest-r3 --config "),
        "{rec:#?}"
    );
    assert!(
        rec.last()
            .unwrap()
            .starts_with("kind delete cluster --name charttest-r3"),
        "{rec:#?}"
    );
    assert!(state_entries(&state).is_empty());
}

#[test]
fn keep_never_deletes() {
    let bin = FakeBin::new(&["kind", "docker"]);
    let state = bin.state_file();
    let (out, _) = run_cluster(
        &[
            "cluster",
            "create",
            "--provider",
            "kind",
            "--run-id",
            "r4",
            "--keep",
            "--no-wait-nodes",
            "--state-file",
            state.to_str().unwrap(),
            "--",
            "false",
        ],
        bin.env(&[]),
    );
    assert_eq!(out.exit, 1);
    assert!(!bin.record().iter().any(|l| l.starts_with("kind delete")));
    let entries = state_entries(&state);
    assert_eq!(entries.len(), 1);
    assert!(entries[0]["owner_pid"].is_null(), "handed over to reap");
}

#[test]
fn plain_create_hands_over_and_reap_deletes_after_expiry() {
    let bin = FakeBin::new(&["doctl"]);
    let state = bin.state_file();
    let env = bin.env(&[
        ("DIGITALOCEAN_ACCESS_TOKEN", "dop_v1_env_token_value"),
        ("FAKE_TOKEN", "doks-kube-token-planted-4242"),
    ]);
    let (out, log) = run_cluster(
        &[
            "cluster",
            "create",
            "--provider",
            "digitalocean",
            "--region",
            "nyc1",
            "--run-id",
            "r5",
            "--ttl",
            "1h",
            "--now",
            "2025-01-01T00:00:00Z",
            "--no-wait-nodes",
            "--state-file",
            state.to_str().unwrap(),
        ],
        env.clone(),
    );
    assert_eq!(out.exit, 0, "{}", out.stderr);
    let kubeconfig = state.with_file_name("charttest-r5.kubeconfig");
    assert!(
        out.stdout
            .contains(&format!("kubeconfig: {}", kubeconfig.display())),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("expires: 2025-01-01T01:00:00Z"),
        "{}",
        out.stdout
    );
    // The kubeconfig holds the token; it is private and never printed.
    let text = std::fs::read_to_string(&kubeconfig).unwrap();
    assert!(text.contains("doks-kube-token-planted-4242"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&kubeconfig).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let everything = format!("{}{}{}", out.stdout, out.stderr, log.join("\n"));
    assert!(
        !everything.contains("doks-kube-token-planted-4242"),
        "token leaked"
    );
    assert!(!everything.contains("dop_v1_env_token_value"));
    assert!(!bin.record().iter().any(|l| l.contains("cluster delete")));
    assert_eq!(state_entries(&state).len(), 1);

    // Before expiry reap keeps it; after expiry it deletes it.
    let s = state.to_str().unwrap();
    let (out, _) = run_cluster(
        &[
            "cluster",
            "reap",
            "--provider",
            "digitalocean",
            "--state-file",
            s,
            "--now",
            "2025-01-01T00:30:00Z",
        ],
        env.clone(),
    );
    assert_eq!(out.exit, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("kept     digitalocean/charttest-r5"),
        "{}",
        out.stdout
    );
    assert!(!bin.record().iter().any(|l| l.contains("cluster delete")));
    let (out, _) = run_cluster(
        &[
            "cluster",
            "reap",
            "--provider",
            "digitalocean",
            "--state-file",
            s,
            "--now",
            "2025-01-01T01:00:01Z",
        ],
        env,
    );
    assert_eq!(out.exit, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("deleted  digitalocean/charttest-r5 (expired)"),
        "{}",
        out.stdout
    );
    let deletes: Vec<String> = bin
        .record()
        .into_iter()
        .filter(|l| l.contains("cluster delete"))
        .collect();
    assert_eq!(
        deletes,
        vec!["doctl kubernetes cluster delete charttest-r5 --force --dangerous"]
    );
    assert!(state_entries(&state).is_empty());
    assert!(!kubeconfig.exists());
}

#[test]
fn reap_deletes_expired_owned_clusters_of_every_provider_and_nothing_else() {
    let bin = FakeBin::new(&[
        "k3d",
        "docker",
        "eksctl",
        "aws",
        "gcloud",
        "gke-gcloud-auth-plugin",
        "doctl",
        "az",
    ]);
    let now = 1_735_700_000i64;
    let (old, young) = (now - 10, now + 3600);
    bin.data(
        "k3d-list.json",
        &format!(
            r#"[{{"name":"k-old","nodes":[{{"runtimeLabels":{{"posthog-charttest":"owned","charttest-expires-at":"{old}"}}}}]}},
               {{"name":"k-young","nodes":[{{"runtimeLabels":{{"posthog-charttest":"owned","charttest-expires-at":"{young}"}}}}]}},
               {{"name":"k-theirs","nodes":[{{"runtimeLabels":{{"app":"k3d"}}}}]}}]"#
        ),
    );
    bin.data(
        "eksctl-list.json",
        r#"[{"Name":"e-old","Region":"us-east-1"},{"Name":"e-theirs","Region":"us-east-1"}]"#,
    );
    bin.data("eksctl-get-e-old.json", &format!(r#"[{{"Name":"e-old","Tags":{{"posthog-charttest":"owned","charttest-expires-at":"{old}"}}}}]"#));
    bin.data(
        "eksctl-get-e-theirs.json",
        r#"[{"Name":"e-theirs","Tags":{"team":"data"}}]"#,
    );
    bin.data(
        "gcloud-list.json",
        &format!(
            r#"[{{"name":"g-old","location":"us-central1-a","selfLink":"https://x/v1/projects/p9/zones/us-central1-a/clusters/g-old","resourceLabels":{{"posthog-charttest":"owned","charttest-expires-at":"{old}"}}}},
               {{"name":"g-nolabel","location":"us-central1","resourceLabels":{{"posthog-charttest":"owned"}}}},
               {{"name":"g-theirs","location":"us-central1"}}]"#
        ),
    );
    bin.data(
        "doctl-list.json",
        &format!(r#"[{{"name":"d-old","region":"nyc1","tags":["k8s","posthog-charttest","charttest-expires-at:{old}"]}},{{"name":"d-theirs","region":"nyc1","tags":["k8s","charttest-expires-at:{old}"]}}]"#),
    );
    bin.data(
        "az-list.json",
        &format!(
            r#"[{{"name":"a-old","location":"westeurope","resourceGroup":"a-old-rg","tags":{{"posthog-charttest":"owned","charttest-expires-at":"{old}"}}}},
               {{"name":"a-shared","location":"westeurope","resourceGroup":"platform","tags":{{"posthog-charttest":"owned","charttest-expires-at":"{old}"}}}},
               {{"name":"a-theirs","location":"westeurope","resourceGroup":"platform","tags":null}}]"#
        ),
    );
    let state = bin.state_file();
    let now_text = chrono::DateTime::from_timestamp(now, 0)
        .unwrap()
        .to_rfc3339();
    let (out, _) = run_cluster(
        &[
            "cluster",
            "reap",
            "--provider",
            "k3s",
            "--provider",
            "aws",
            "--provider",
            "gcp",
            "--provider",
            "digitalocean",
            "--provider",
            "azure",
            "--state-file",
            state.to_str().unwrap(),
            "--now",
            &now_text,
        ],
        bin.env(&[]),
    );
    assert_eq!(out.exit, 0, "{}\n{}", out.stdout, out.stderr);
    let deletes: Vec<String> = bin
        .record()
        .into_iter()
        .filter(|l| l.contains(" delete"))
        .collect();
    assert_eq!(
        deletes,
        vec![
            "k3d cluster delete k-old",
            "eksctl delete cluster --name e-old --region us-east-1 --wait --disable-nodegroup-eviction",
            "gcloud container clusters delete g-old --zone us-central1-a --project p9 --quiet",
            "doctl kubernetes cluster delete d-old --force --dangerous",
            "az group delete --name a-old-rg --yes",
            "az aks delete --name a-shared --resource-group platform --yes",
        ]
    );
    assert!(
        out.stdout.contains("kept     k3s/k-young"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("skipped  gcp/g-nolabel (owned but without an expiry label)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("left alone 5 clusters not created by posthog-charttest"),
        "{}",
        out.stdout
    );
    // A dry run names the same deletions and runs none.
    let before = bin.record().len();
    let (out, _) = run_cluster(
        &[
            "cluster",
            "reap",
            "--provider",
            "k3s",
            "--state-file",
            state.to_str().unwrap(),
            "--now",
            &now_text,
            "--dry-run",
        ],
        bin.env(&[]),
    );
    assert!(
        out.stdout.contains("# would delete k3s/k-old"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("k3d cluster delete k-old\n"),
        "{}",
        out.stdout
    );
    assert!(!bin.record()[before..].iter().any(|l| l.contains(" delete")));
}

#[test]
fn reap_finishes_the_teardown_of_a_killed_run() {
    let bin = FakeBin::new(&["kind", "docker"]);
    let state = bin.state_file();
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    // A run that died mid-create (its pid is gone) and a run still alive (this test process).
    let entry = |name: &str, pid: u32| {
        serde_json::json!({"cluster": {"provider": "kind", "name": name, "run_id": "x", "expires_at": 4_102_444_800i64, "kubeconfig": "k"},
            "phase": "creating", "owner_pid": pid, "created_at": 1})
    };
    let text = serde_json::json!({"version": 1, "clusters": [entry("dead-run", u32::MAX - 1), entry("live-run", std::process::id())]});
    std::fs::write(&state, text.to_string()).unwrap();
    let (out, _) = run_cluster(
        &[
            "cluster",
            "reap",
            "--provider",
            "kind",
            "--state-file",
            state.to_str().unwrap(),
        ],
        bin.env(&[]),
    );
    assert_eq!(out.exit, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("deleted  kind/dead-run (its run died)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("kept     kind/live-run (in use"),
        "{}",
        out.stdout
    );
    let deletes: Vec<String> = bin
        .record()
        .into_iter()
        .filter(|l| l.starts_with("kind delete"))
        .collect();
    assert_eq!(
        deletes,
        vec!["kind delete cluster --name dead-run --kubeconfig k"]
    );
    let left = state_entries(&state);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["cluster"]["name"], "live-run");
}

#[test]
fn k3s_binary_backend_starts_and_stops_a_server() {
    let bin = FakeBin::new(&["k3s"]);
    let state = bin.state_file();
    let (out, _) = run_cluster(
        &[
            "cluster",
            "create",
            "--provider",
            "k3s",
            "--run-id",
            "r6",
            "--no-wait-nodes",
            "--state-file",
            state.to_str().unwrap(),
            "--",
            "true",
        ],
        bin.env(&[]),
    );
    assert_eq!(out.exit, 0, "{}", out.stderr);
    let rec = bin.record();
    assert!(rec[0].starts_with("k3s server --data-dir "), "{rec:#?}");
    // The fake server sleeps until killed: the teardown must have stopped it.
    let data_dir = state.with_file_name("k3s-charttest-r6");
    assert!(!data_dir.exists(), "data dir removed");
    let pid: i32 = rec
        .iter()
        .find_map(|l| l.strip_prefix("k3s-server-pid "))
        .unwrap_or_else(|| panic!("no server pid in {rec:#?}"))
        .parse()
        .unwrap();
    // The fake server sleeps until killed; once killed and reaped it is gone.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while unsafe { libc::kill(pid, 0) } == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_ne!(
        unsafe { libc::kill(pid, 0) },
        0,
        "k3s server {pid} still running"
    );
    assert!(state_entries(&state).is_empty());
}

#[test]
fn existing_clusters_are_never_deleted() {
    let bin = FakeBin::new(&[]);
    let kc = bin.dir.path().join("kc.yaml");
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\ncontexts:\n- name: ci\n  context: {cluster: c, user: u}\n",
    )
    .unwrap();
    let state = bin.state_file();
    let (out, _) = run_cluster(
        &[
            "cluster",
            "create",
            "--provider",
            "existing",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--no-wait-nodes",
            "--state-file",
            state.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            "test \"$KUBECONFIG\" = \"$0\"",
            kc.to_str().unwrap(),
        ],
        bin.env(&[]),
    );
    assert_eq!(out.exit, 0, "{}", out.stderr);
    assert!(kc.exists());
    assert!(!state.exists(), "existing clusters are not recorded");
}

#[test]
fn list_shows_recorded_and_owned_clusters() {
    let bin = FakeBin::new(&["k3d", "docker"]);
    bin.data("k3d-list.json", r#"[{"name":"k-owned","nodes":[{"runtimeLabels":{"posthog-charttest":"owned","charttest-expires-at":"1","charttest-run-id":"zz"}}]},{"name":"k-theirs","nodes":[]}]"#);
    let state = bin.state_file();
    let (out, _) = run_cluster(
        &[
            "cluster",
            "list",
            "--provider",
            "k3s",
            "--state-file",
            state.to_str().unwrap(),
            "--format",
            "json",
        ],
        bin.env(&[]),
    );
    assert_eq!(out.exit, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["clusters"].as_array().unwrap().len(), 1);
    assert_eq!(v["clusters"][0]["name"], "k-owned");
    assert_eq!(v["clusters"][0]["status"], "expired");
    assert_eq!(v["clusters"][0]["run_id"], "zz");
    assert_eq!(v["unowned"], 1);
}
