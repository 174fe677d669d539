//! `cluster create --dry-run` prints the full command plan of every provider; these tests pin
//! each plan, and check prerequisites are reported and enforced before anything runs.

mod support;

use support::{run_cluster, FakeBin};

const ALL_TOOLS: &[&str] = &[
    "eksctl",
    "aws",
    "gcloud",
    "gke-gcloud-auth-plugin",
    "doctl",
    "az",
    "k3d",
    "kind",
    "docker",
];

/// An environment where every provider's binaries and credentials are present.
fn full_env(bin: &FakeBin) -> charttest::cluster::env::Env {
    let creds = bin.dir.path().join("gcp.json");
    std::fs::write(&creds, "{}").unwrap();
    let azure = bin.dir.path().join("azure");
    std::fs::create_dir_all(&azure).unwrap();
    std::fs::write(azure.join("azureProfile.json"), "{}").unwrap();
    std::fs::write(azure.join("msal_token_cache.json"), "{}").unwrap();
    bin.env(&[
        ("AWS_ACCESS_KEY_ID", "AKIAFAKE"),
        ("AWS_SECRET_ACCESS_KEY", "fake"),
        ("GOOGLE_APPLICATION_CREDENTIALS", creds.to_str().unwrap()),
        ("DIGITALOCEAN_ACCESS_TOKEN", "dop_v1_fake"),
        ("AZURE_CONFIG_DIR", azure.to_str().unwrap()),
    ])
}

/// The run id, time and state file every pinned plan uses.
const PLAN_ARGS: [&str; 6] = [
    "--run-id",
    "abc123",
    "--now",
    "2025-01-01T00:00:00Z",
    "--state-file",
    "st/clusters.json",
];

/// A plan without its prerequisite lines, which depend on the machine (e.g. being root for
/// the k3s binary).
fn without_prerequisites(stdout: &str) -> String {
    stdout
        .lines()
        .filter(|l| !l.starts_with("#   "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The dry-run plan of a provider, with the prerequisite lines checked and removed.
fn plan(bin: &FakeBin, extra: &[&str]) -> String {
    let mut args = vec!["cluster", "create", "--dry-run"];
    args.extend_from_slice(&PLAN_ARGS);
    args.extend_from_slice(extra);
    let (out, _) = run_cluster(&args, full_env(bin));
    assert_eq!(out.exit, 0, "{}", out.stderr);
    assert!(
        !std::path::Path::new("st").exists(),
        "a dry run wrote files"
    );
    without_prerequisites(&out.stdout)
}

#[test]
fn k3d_plan() {
    let bin = FakeBin::new(ALL_TOOLS);
    insta::assert_snapshot!(plan(
        &bin,
        &[
            "--provider",
            "k3s",
            "--kube-version",
            "1.31.4",
            "--nodes",
            "3"
        ]
    ));
}

#[test]
fn k3s_binary_plan_when_k3d_is_missing() {
    let bin = FakeBin::new(&["k3s"]);
    insta::assert_snapshot!(plan(&bin, &["--provider", "k3s"]));
}

#[test]
fn kind_plan() {
    let bin = FakeBin::new(ALL_TOOLS);
    insta::assert_snapshot!(plan(
        &bin,
        &[
            "--provider",
            "kind",
            "--kube-version",
            "1.31.4",
            "--nodes",
            "2"
        ]
    ));
}

#[test]
fn existing_plan() {
    let bin = FakeBin::new(ALL_TOOLS);
    let kc = bin.dir.path().join("kc.yaml");
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\ncontexts:\n- name: ci\n  context: {cluster: c, user: u}\n",
    )
    .unwrap();
    insta::assert_snapshot!(plan(
        &bin,
        &[
            "--provider",
            "existing",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--context",
            "ci"
        ]
    ));
    let (out, _) = run_cluster(
        &[
            "cluster",
            "create",
            "--provider",
            "existing",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--context",
            "nope",
            "--dry-run",
        ],
        full_env(&bin),
    );
    assert_eq!(out.exit, 1);
    assert!(
        out.stderr.contains("has no context \"nope\" (it has: ci)"),
        "{}",
        out.stderr
    );
}

#[test]
fn aws_plan() {
    let bin = FakeBin::new(ALL_TOOLS);
    insta::assert_snapshot!(plan(
        &bin,
        &[
            "--provider",
            "aws",
            "--region",
            "eu-west-1",
            "--kube-version",
            "1.31"
        ]
    ));
}

#[test]
fn gcp_plan() {
    let bin = FakeBin::new(ALL_TOOLS);
    insta::assert_snapshot!(plan(
        &bin,
        &[
            "--provider",
            "gcp",
            "--region",
            "us-central1-a",
            "--project",
            "ph-ci",
            "--kube-version",
            "1.31"
        ]
    ));
}

#[test]
fn digitalocean_plan() {
    let bin = FakeBin::new(ALL_TOOLS);
    insta::assert_snapshot!(plan(
        &bin,
        &[
            "--provider",
            "digitalocean",
            "--region",
            "nyc1",
            "--kube-version",
            "1.31.1-do.5",
            "--node-size",
            "s-8vcpu-16gb"
        ]
    ));
}

#[test]
fn azure_plan() {
    let bin = FakeBin::new(ALL_TOOLS);
    insta::assert_snapshot!(plan(
        &bin,
        &[
            "--provider",
            "azure",
            "--region",
            "westeurope",
            "--kube-version",
            "1.31"
        ]
    ));
}

#[test]
fn azure_plan_in_your_resource_group_deletes_only_the_cluster() {
    let bin = FakeBin::new(ALL_TOOLS);
    let p = plan(
        &bin,
        &[
            "--provider",
            "azure",
            "--region",
            "westeurope",
            "--resource-group",
            "mine",
        ],
    );
    assert!(!p.contains("az group create"), "{p}");
    assert!(
        p.contains("az aks delete --name charttest-abc123 --resource-group mine --yes"),
        "{p}"
    );
    assert!(!p.contains("az group delete"), "{p}");
}

#[test]
fn plan_with_command_and_keep() {
    let bin = FakeBin::new(ALL_TOOLS);
    let p = plan(
        &bin,
        &[
            "--provider",
            "kind",
            "--",
            "posthog-charttest",
            "install",
            "charts/posthog",
        ],
    );
    assert!(
        p.contains("# --- teardown: after the command, and on failure, SIGINT or SIGTERM ---"),
        "{p}"
    );
    assert!(p.contains("# --- work: run with KUBECONFIG=st/charttest-abc123.kubeconfig ---\nposthog-charttest install charts/posthog\n"), "{p}");
    let p = plan(&bin, &["--provider", "kind", "--keep", "--", "true"]);
    assert!(p.contains("# --- teardown: none (--keep)"), "{p}");
}

#[test]
fn prerequisites_are_listed_and_enforced() {
    let bin = FakeBin::new(&["eksctl"]);
    let env = bin.env(&[]);
    let (out, _) = run_cluster(
        &[
            "cluster",
            "create",
            "--provider",
            "aws",
            "--region",
            "us-east-1",
            "--dry-run",
            "--state-file",
            "st/c.json",
        ],
        env.clone(),
    );
    assert_eq!(out.exit, 0);
    assert!(
        out.stdout.contains("#   ok       `eksctl` on PATH"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("#   MISSING  `aws` on PATH"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("#   MISSING  AWS credentials: set AWS_ACCESS_KEY_ID"),
        "{}",
        out.stdout
    );

    let state = bin.state_file();
    let (out, _) = run_cluster(
        &[
            "cluster",
            "create",
            "--provider",
            "aws",
            "--region",
            "us-east-1",
            "--state-file",
            state.to_str().unwrap(),
        ],
        env,
    );
    assert_eq!(out.exit, 1);
    assert!(
        out.stderr.contains("the aws provider cannot run; missing:"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("`aws` on PATH: install the AWS CLI"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("AWS credentials"), "{}", out.stderr);
    assert!(
        bin.record().is_empty(),
        "nothing may run: {:?}",
        bin.record()
    );
    assert!(!state.exists());
}

#[test]
fn cloud_providers_need_a_region_and_local_ones_a_full_version() {
    let bin = FakeBin::new(ALL_TOOLS);
    let (out, _) = run_cluster(
        &["cluster", "create", "--provider", "gcp", "--dry-run"],
        full_env(&bin),
    );
    assert_eq!(out.exit, 1);
    assert!(
        out.stderr.contains(
            "the gcp provider needs a region: pass --region or set CLOUDSDK_COMPUTE_ZONE"
        ),
        "{}",
        out.stderr
    );
    let (out, _) = run_cluster(
        &[
            "cluster",
            "create",
            "--provider",
            "kind",
            "--kube-version",
            "1.31",
            "--dry-run",
        ],
        full_env(&bin),
    );
    assert_eq!(out.exit, 1);
    assert!(
        out.stderr
            .contains("kind needs a full Kubernetes version such as 1.31.4"),
        "{}",
        out.stderr
    );
    let (out, _) = run_cluster(
        &[
            "cluster",
            "create",
            "--provider",
            "gcp",
            "--region",
            "x1",
            "--run-id",
            "ABC",
            "--dry-run",
        ],
        full_env(&bin),
    );
    assert!(
        out.stderr.contains("GKE needs a lowercase run id"),
        "{}",
        out.stderr
    );
}

/// The dry-run plan of `e2e` for a provider, prerequisite lines removed as in [`plan`].
fn e2e_plan(bin: &FakeBin, extra: &[&str]) -> String {
    use charttest::cli::Command;
    let mut args = vec![
        "e2e",
        "charts/posthog",
        "--load-image",
        "ghcr.io/example/posthog-charttest:1.0.0",
        "--dry-run",
    ];
    args.extend_from_slice(&PLAN_ARGS);
    args.extend_from_slice(extra);
    let Command::E2e(a) = support::parse(&args) else {
        unreachable!()
    };
    let log = charttest::cluster::progress::Log::buffer();
    let out = charttest::cli::e2e::run_with(a, full_env(bin), log);
    assert_eq!(out.exit, 0, "{}", out.stderr);
    assert!(
        !std::path::Path::new("st").exists() && !std::path::Path::new("target/e2e/abc123").exists(),
        "a dry run wrote files"
    );
    without_prerequisites(&out.stdout)
}

#[test]
fn e2e_k3s_plan() {
    let bin = FakeBin::new(ALL_TOOLS);
    insta::assert_snapshot!(e2e_plan(
        &bin,
        &[
            "--provider",
            "k3s",
            "--kube-version",
            "1.33.5",
            "-f",
            "charts/posthog/ci/k3s-minimal-values.yaml",
            "--upgrade-from",
            "main",
            "--import-image",
            "--timeout",
            "install=30m",
        ]
    ));
}

#[test]
fn e2e_kind_plan() {
    let bin = FakeBin::new(ALL_TOOLS);
    insta::assert_snapshot!(e2e_plan(
        &bin,
        &[
            "--provider",
            "kind",
            "--kube-version",
            "1.31.4",
            "--import-image",
            "--load-pods",
            "2"
        ]
    ));
}

#[test]
fn e2e_aws_plan() {
    let bin = FakeBin::new(ALL_TOOLS);
    insta::assert_snapshot!(e2e_plan(
        &bin,
        &[
            "--provider",
            "aws",
            "--region",
            "eu-west-1",
            "--kube-version",
            "1.33",
            "-f",
            "charts/posthog/ci/aws-minimal-values.yaml",
            "--set",
            "clickhouse.auth.password=not-shown-in-plans",
        ]
    ));
}

#[test]
fn e2e_gcp_plan() {
    let bin = FakeBin::new(ALL_TOOLS);
    insta::assert_snapshot!(e2e_plan(
        &bin,
        &[
            "--provider",
            "gcp",
            "--region",
            "us-central1-a",
            "--project",
            "ph-ci",
            "--kube-version",
            "1.33",
            "-f",
            "charts/posthog/ci/gcp-minimal-values.yaml",
        ]
    ));
}

#[test]
fn e2e_digitalocean_plan() {
    let bin = FakeBin::new(ALL_TOOLS);
    insta::assert_snapshot!(e2e_plan(
        &bin,
        &[
            "--provider",
            "digitalocean",
            "--region",
            "nyc1",
            "--kube-version",
            "1.33.1-do.0",
            "-f",
            "charts/posthog/ci/digitalocean-minimal-values.yaml",
            "--keep",
        ]
    ));
}

#[test]
fn e2e_azure_plan() {
    let bin = FakeBin::new(ALL_TOOLS);
    insta::assert_snapshot!(e2e_plan(
        &bin,
        &[
            "--provider",
            "azure",
            "--region",
            "westeurope",
            "--kube-version",
            "1.33",
            "-f",
            "charts/posthog/ci/azure-minimal-values.yaml",
            "--skip-check",
            "ingress",
        ]
    ));
}

#[test]
fn e2e_existing_plan() {
    let bin = FakeBin::new(ALL_TOOLS);
    let kc = bin.dir.path().join("kc.yaml");
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\ncontexts:\n- name: ci\n  context: {cluster: c, user: u}\n",
    )
    .unwrap();
    let p = e2e_plan(
        &bin,
        &[
            "--provider",
            "existing",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--context",
            "ci",
            "--namespace",
            "ph-e2e",
            "--no-seed",
        ],
    );
    let p = p.replace(kc.to_str().unwrap(), "KUBECONFIG");
    insta::assert_snapshot!(p);
}
