//! `posthog-charttest cluster`: create, delete, list and reap clusters, and write kubeconfigs.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

use super::Outcome;
use crate::cluster::command::Runner;
use crate::cluster::env::Env;
use crate::cluster::progress::Log;
use crate::cluster::provider::{
    missing_message, Cluster, CreateOptions, Listed, Provider, ProviderKind,
};
use crate::cluster::providers::{provider_for, provider_of};
use crate::cluster::signals::Signals;
use crate::cluster::state::{Entry, StateFile};
use crate::cluster::teardown::{self, AfterWork, Lifecycle};

/// Default state file, relative to the working directory.
pub const DEFAULT_STATE_FILE: &str = ".charttest/clusters.json";

/// `cluster` and its subcommands.
#[derive(Args, Debug)]
pub struct ClusterArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ClusterCommand,
}

/// The `cluster` subcommands.
#[derive(Subcommand, Debug)]
pub enum ClusterCommand {
    /// Create a cluster. With `-- CMD ARGS...`, run CMD with KUBECONFIG set and delete the
    /// cluster afterwards; without, keep it (recorded, deleted by `reap` after its TTL).
    Create(CreateArgs),
    /// Delete a cluster.
    Delete(DeleteArgs),
    /// Write a cluster's kubeconfig to a private file.
    Kubeconfig(KubeconfigArgs),
    /// List recorded clusters and the owned clusters each provider reports.
    List(ListArgs),
    /// Delete owned clusters past their expiry, and clusters whose run was killed.
    Reap(ReapArgs),
}

/// Where the state file is.
#[derive(Args, Debug, Clone)]
pub struct StateArgs {
    /// The state file recording created clusters.
    #[arg(long = "state-file", env = "CHARTTEST_STATE_FILE", default_value = DEFAULT_STATE_FILE)]
    pub state_file: PathBuf,
}

/// Identity of a cluster on a provider.
#[derive(Args, Debug, Clone)]
pub struct TargetArgs {
    /// The provider.
    #[arg(long, value_enum)]
    pub provider: ProviderKind,
    /// Cluster name (default `charttest-<run id>`).
    #[arg(long)]
    pub name: Option<String>,
    /// Region, zone or location (aws, gcp, digitalocean, azure).
    #[arg(long)]
    pub region: Option<String>,
    /// GCP project.
    #[arg(long)]
    pub project: Option<String>,
    /// Azure resource group (default: one created for the cluster and deleted with it).
    #[arg(long = "resource-group")]
    pub resource_group: Option<String>,
    /// kubeconfig path: the file to write, or for `existing` the file to use.
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// kubeconfig context (`existing`).
    #[arg(long)]
    pub context: Option<String>,
}

/// `cluster create`.
#[derive(Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    state: StateArgs,
    /// Kubernetes version (`1.31` for clouds; a full `1.31.4` for kind and k3s).
    #[arg(long = "kube-version")]
    kube_version: Option<String>,
    /// Number of nodes (default 1 locally, 3 in clouds).
    #[arg(long)]
    nodes: Option<u32>,
    /// Machine type, VM size or droplet size.
    #[arg(long = "node-size")]
    node_size: Option<String>,
    /// Node image (kind, k3d).
    #[arg(long)]
    image: Option<String>,
    /// Time to live: `cluster reap` deletes the cluster after it (`90m`, `3h`, `1d`).
    #[arg(long, default_value = "3h")]
    ttl: String,
    /// Run id, recorded in the cluster's labels (default: random).
    #[arg(long = "run-id", env = "CHARTTEST_RUN_ID")]
    run_id: Option<String>,
    /// Never delete the cluster, whatever happens (it stays recorded with its expiry, for
    /// `cluster reap`).
    #[arg(long)]
    keep: bool,
    /// Print the commands instead of running them.
    #[arg(long = "dry-run")]
    dry_run: bool,
    /// Don't wait for nodes to be Ready.
    #[arg(long = "no-wait-nodes")]
    no_wait_nodes: bool,
    /// How long to wait for nodes.
    #[arg(long = "nodes-timeout", default_value = "10m")]
    nodes_timeout: String,
    /// Current time (RFC 3339), for reproducible labels.
    #[arg(long, hide = true)]
    now: Option<String>,
    /// The command to run with the cluster (after `--`).
    #[arg(last = true)]
    command: Vec<String>,
}

/// `cluster delete`.
#[derive(Args, Debug)]
pub struct DeleteArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    state: StateArgs,
    /// Print the commands instead of running them.
    #[arg(long = "dry-run")]
    dry_run: bool,
}

/// `cluster kubeconfig`.
#[derive(Args, Debug)]
pub struct KubeconfigArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    state: StateArgs,
    /// Print the commands instead of running them.
    #[arg(long = "dry-run")]
    dry_run: bool,
}

/// Output format of `list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table.
    Text,
    /// JSON.
    Json,
}

/// `cluster list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    /// Providers to ask (default: every provider whose CLI and credentials are present).
    #[arg(long, value_enum)]
    provider: Vec<ProviderKind>,
    /// Region to list (aws lists all regions otherwise).
    #[arg(long)]
    region: Option<String>,
    #[command(flatten)]
    state: StateArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Current time (RFC 3339).
    #[arg(long, hide = true)]
    now: Option<String>,
}

/// `cluster reap`.
#[derive(Args, Debug)]
pub struct ReapArgs {
    /// Providers to reap (default: every provider whose CLI and credentials are present).
    #[arg(long, value_enum)]
    provider: Vec<ProviderKind>,
    /// Region to list (aws lists all regions otherwise).
    #[arg(long)]
    region: Option<String>,
    #[command(flatten)]
    state: StateArgs,
    /// Print what would be deleted and the commands, without running them.
    #[arg(long = "dry-run")]
    dry_run: bool,
    /// Current time (RFC 3339), to judge expiry.
    #[arg(long, hide = true)]
    now: Option<String>,
}

/// Runs `cluster`.
pub fn run(args: ClusterArgs) -> Outcome {
    run_with_env(args, Env::from_process(), Log::stderr())
}

/// Runs `cluster` with an explicit environment and log (tests).
pub fn run_with_env(args: ClusterArgs, env: Env, log: Log) -> Outcome {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return Outcome::error(format!("cannot start the async runtime: {e}")),
    };
    rt.block_on(async move {
        match args.command {
            ClusterCommand::Create(a) => create(a, env, log).await,
            ClusterCommand::Delete(a) => delete(a, env, log).await,
            ClusterCommand::Kubeconfig(a) => kubeconfig(a, env, log).await,
            ClusterCommand::List(a) => list(a, env, log).await,
            ClusterCommand::Reap(a) => reap(a, env, log).await,
        }
    })
}

/// Parses `90s`, `15m`, `3h`, `1d` (or plain seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (use 90s, 15m, 3h or 1d)"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        _ => {
            return Err(format!(
                "{text:?} is not a duration (use 90s, 15m, 3h or 1d)"
            ))
        }
    };
    Ok(Duration::from_secs(secs))
}

/// `--now` as Unix seconds (the current time when not given).
pub fn now_from(arg: &Option<String>) -> Result<i64, String> {
    match arg {
        Some(t) => chrono::DateTime::parse_from_rfc3339(t)
            .map(|d| d.timestamp())
            .map_err(|e| format!("--now {t:?}: {e}")),
        None => Ok(chrono::Utc::now().timestamp()),
    }
}

/// A fresh run id: 8 lowercase hex digits.
pub fn new_run_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_string()
}

/// Unix seconds as an RFC 3339 UTC time.
pub fn when(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| ts.to_string())
}

/// The cluster a `TargetArgs` names, looked up in the state file first.
pub fn target_cluster(
    t: &TargetArgs,
    state: &StateFile,
    env: &Env,
    provider: &dyn Provider,
    run_id: &str,
    expires_at: i64,
) -> Result<Cluster, String> {
    let name = t
        .name
        .clone()
        .unwrap_or_else(|| format!("charttest-{run_id}"));
    let kubeconfig = match (&t.kubeconfig, t.provider) {
        (Some(k), _) => k.clone(),
        (None, ProviderKind::Existing) => env
            .get("KUBECONFIG")
            .and_then(|k| std::env::split_paths(k).next())
            .or_else(|| env.home().map(|h| h.join(".kube/config")))
            .ok_or("the existing provider needs --kubeconfig")?,
        (None, _) => state.dir().join(format!("{name}.kubeconfig")),
    };
    let mut cluster = Cluster {
        provider: t.provider,
        name,
        region: t.region.clone(),
        project: t.project.clone(),
        resource_group: t.resource_group.clone(),
        resource_group_owned: false,
        run_id: run_id.to_string(),
        expires_at,
        kubeconfig,
        context: t.context.clone(),
        backend: None,
        pid: None,
        data_dir: None,
    };
    provider.prepare(&mut cluster, env)?;
    // A recorded cluster of the same identity wins: it knows its pid, resource group, files.
    if let Ok(entries) = state.entries() {
        if let Some(e) = entries
            .into_iter()
            .find(|e| e.cluster.key() == cluster.key())
        {
            return Ok(e.cluster);
        }
    }
    Ok(cluster)
}

async fn create(a: CreateArgs, env: Env, log: Log) -> Outcome {
    let inner = async {
        let now = now_from(&a.now)?;
        let ttl = parse_duration(&a.ttl)?;
        let nodes_timeout = parse_duration(&a.nodes_timeout)?;
        let run_id = a.run_id.clone().unwrap_or_else(new_run_id);
        let state = StateFile::new(&a.state.state_file);
        let provider = provider_for(a.target.provider, &env);
        let cluster = target_cluster(
            &a.target,
            &state,
            &env,
            provider.as_ref(),
            &run_id,
            now + ttl.as_secs() as i64,
        )?;
        let opts = CreateOptions {
            kube_version: a.kube_version.clone(),
            nodes: a
                .nodes
                .unwrap_or(if a.target.provider.is_local() { 1 } else { 3 }),
            node_size: a.node_size.clone(),
            image: a.image.clone(),
        };
        let life = Lifecycle {
            provider: provider.as_ref(),
            runner: Runner::new(env.clone(), log.clone()),
            state: state.clone(),
            keep: a.keep,
            wait_nodes: (!a.no_wait_nodes).then_some(nodes_timeout),
            setup_timeout: None,
        };
        if a.dry_run {
            let mut out = format!(
                "# posthog-charttest cluster create --provider {} (dry run: nothing runs)\n# cluster {} run {} expires {}\n",
                cluster.provider,
                cluster.name,
                cluster.run_id,
                when(cluster.expires_at)
            );
            if let Some(b) = provider.backend() {
                out.push_str(&format!("# backend: {b}\n"));
            }
            out.push_str(&life.describe(&cluster, &opts, !a.command.is_empty())?);
            if !a.command.is_empty() {
                out.push_str(&format!(
                    "# --- work: run with KUBECONFIG={} ---\n{}\n",
                    cluster.kubeconfig.display(),
                    a.command
                        .iter()
                        .map(|w| crate::cluster::command::shell_quote(w))
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
            }
            return Ok(Outcome {
                exit: 0,
                stdout: out,
                stderr: String::new(),
            });
        }
        let mut signals = Signals::install().map_err(|e| format!("cannot handle signals: {e}"))?;
        let command = a.command.clone();
        let runner = life.runner.clone();
        let outcome = life
            .run(cluster, &opts, &mut signals, |c: Cluster| async move {
                if command.is_empty() {
                    return Ok((0, AfterWork::HandOver));
                }
                let extra = vec![
                    ("KUBECONFIG".to_string(), c.kubeconfig.display().to_string()),
                    ("CHARTTEST_CLUSTER".to_string(), c.name.clone()),
                    ("CHARTTEST_RUN_ID".to_string(), c.run_id.clone()),
                ];
                let code = runner
                    .run_inherited(&command[0], &command[1..], &extra)
                    .await
                    .map_err(|e| e.to_string())?;
                if code == 0 {
                    Ok((0, AfterWork::Delete))
                } else {
                    Err(format!("`{}` exited with status {code}", command.join(" ")))
                }
            })
            .await;
        let c = &outcome.cluster;
        let mut stdout = String::new();
        if outcome.result.is_ok() && !outcome.deleted {
            stdout.push_str(&format!(
                "cluster: {}/{}\nkubeconfig: {}\nexpires: {}\n",
                c.provider,
                c.name,
                c.kubeconfig.display(),
                when(c.expires_at)
            ));
        }
        let mut stderr = String::new();
        if let Err(e) = &outcome.result {
            stderr.push_str(&format!("Error: {}\n", log.redact(e)));
        }
        if let Some(e) = &outcome.delete_error {
            stderr.push_str(&format!("Error: {}\n", log.redact(e)));
        }
        Ok::<Outcome, String>(Outcome {
            exit: outcome.exit_code(),
            stdout,
            stderr,
        })
    };
    inner
        .await
        .unwrap_or_else(|e| Outcome::error(log.redact(&e)))
}

async fn delete(a: DeleteArgs, env: Env, log: Log) -> Outcome {
    let inner = async {
        let state = StateFile::new(&a.state.state_file);
        let provider = provider_for(a.target.provider, &env);
        let run_id = "unknown".to_string();
        let name_given = a.target.name.is_some();
        if !name_given {
            return Err("cluster delete needs --name".to_string());
        }
        let cluster = target_cluster(&a.target, &state, &env, provider.as_ref(), &run_id, 0)?;
        let provider = provider_of(&cluster, &env);
        if a.dry_run {
            return Ok(Outcome {
                exit: 0,
                stdout: provider.delete_plan(&cluster).to_string(),
                stderr: String::new(),
            });
        }
        if let Some(msg) = missing_message(cluster.provider, &provider.prerequisites(&env)) {
            return Err(msg);
        }
        let runner = Runner::new(env.clone(), log.clone());
        teardown::delete(provider.as_ref(), &runner, &state, &cluster).await?;
        Ok(Outcome {
            exit: 0,
            stdout: format!("deleted {}/{}\n", cluster.provider, cluster.name),
            stderr: String::new(),
        })
    };
    inner
        .await
        .unwrap_or_else(|e: String| Outcome::error(log.redact(&e)))
}

async fn kubeconfig(a: KubeconfigArgs, env: Env, log: Log) -> Outcome {
    let inner = async {
        let state = StateFile::new(&a.state.state_file);
        let provider = provider_for(a.target.provider, &env);
        if a.target.name.is_none() {
            return Err("cluster kubeconfig needs --name".to_string());
        }
        let mut cluster = target_cluster(&a.target, &state, &env, provider.as_ref(), "unknown", 0)?;
        if let Some(k) = &a.target.kubeconfig {
            cluster.kubeconfig = k.clone();
        }
        let provider = provider_of(&cluster, &env);
        let plan = provider.kubeconfig_plan(&cluster);
        if a.dry_run {
            return Ok(Outcome {
                exit: 0,
                stdout: plan.to_string(),
                stderr: String::new(),
            });
        }
        if let Some(msg) = missing_message(cluster.provider, &provider.prerequisites(&env)) {
            return Err(msg);
        }
        Runner::new(env.clone(), log.clone())
            .run_plan(&plan)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Outcome {
            exit: 0,
            stdout: format!("{}\n", cluster.kubeconfig.display()),
            stderr: String::new(),
        })
    };
    inner
        .await
        .unwrap_or_else(|e: String| Outcome::error(log.redact(&e)))
}

/// Providers to ask: the ones named, else every listing provider whose prerequisites hold.
fn providers_to_ask(named: &[ProviderKind], env: &Env) -> Vec<Box<dyn Provider>> {
    let kinds: Vec<ProviderKind> = if named.is_empty() {
        ProviderKind::ALL.to_vec()
    } else {
        named.to_vec()
    };
    kinds
        .into_iter()
        .map(|k| provider_for(k, env))
        .filter(|p| p.list_plan(None).is_some())
        .filter(|p| !named.is_empty() || p.prerequisites(env).iter().all(|r| r.ok))
        .collect()
}

/// One provider's listed clusters, with details fetched where the list lacks labels.
async fn list_provider(
    p: &dyn Provider,
    runner: &Runner,
    region: Option<&str>,
) -> Result<Vec<Listed>, String> {
    let Some(plan) = p.list_plan(region) else {
        return Ok(Vec::new());
    };
    let outs = runner.run_plan(&plan).await.map_err(|e| e.to_string())?;
    let stdout = outs.last().map(|o| o.stdout.as_str()).unwrap_or("");
    let mut listed = p.parse_list(stdout)?;
    for l in &mut listed {
        if l.needs_detail {
            if let Some(plan) = p.detail_plan(l) {
                let outs = runner.run_plan(&plan).await.map_err(|e| e.to_string())?;
                p.parse_detail(l, outs.last().map(|o| o.stdout.as_str()).unwrap_or(""))?;
            }
        }
    }
    Ok(listed)
}

async fn list(a: ListArgs, env: Env, log: Log) -> Outcome {
    let inner = async {
        let now = now_from(&a.now)?;
        let state = StateFile::new(&a.state.state_file);
        let runner = Runner::new(env.clone(), log.clone());
        let mut rows: Vec<serde_json::Value> = Vec::new();
        let entries = state.entries()?;
        for e in &entries {
            rows.push(serde_json::json!({
                "provider": e.cluster.provider.name(),
                "name": e.cluster.name,
                "region": e.cluster.region,
                "run_id": e.cluster.run_id,
                "expires_at": e.cluster.expires_at,
                "source": "state",
                "phase": e.phase,
                "status": entry_status(e, now),
            }));
        }
        let mut errors = Vec::new();
        let mut unowned = 0;
        for p in providers_to_ask(&a.provider, &env) {
            match list_provider(p.as_ref(), &runner, a.region.as_deref()).await {
                Ok(listed) => {
                    for l in listed {
                        let recorded = entries
                            .iter()
                            .any(|e| e.cluster.provider == p.kind() && e.cluster.name == l.name);
                        if recorded {
                            continue;
                        }
                        if !l.owned() {
                            unowned += 1;
                            continue;
                        }
                        let status = match l.expires_at() {
                            Some(t) if t <= now => "expired",
                            Some(_) => "live",
                            None => "no expiry label",
                        };
                        rows.push(serde_json::json!({
                            "provider": p.kind().name(),
                            "name": l.name,
                            "region": l.region,
                            "run_id": l.run_id(),
                            "expires_at": l.expires_at(),
                            "source": "provider",
                            "status": status,
                        }));
                    }
                }
                Err(e) => errors.push(format!("{}: {e}", p.kind())),
            }
        }
        let stdout =
            match a.format {
                Format::Json => serde_json::to_string_pretty(
                    &serde_json::json!({"clusters": rows, "unowned": unowned, "errors": errors}),
                )
                .map_err(|e| e.to_string())?
                    + "\n",
                Format::Text => {
                    let mut out = String::new();
                    for r in &rows {
                        out.push_str(&format!(
                            "{:<13} {:<30} {:<10} {:<21} {}\n",
                            r["provider"].as_str().unwrap_or(""),
                            r["name"].as_str().unwrap_or(""),
                            r["source"].as_str().unwrap_or(""),
                            r["expires_at"]
                                .as_i64()
                                .map(when)
                                .unwrap_or_else(|| "-".into()),
                            r["status"].as_str().unwrap_or("")
                        ));
                    }
                    if rows.is_empty() {
                        out.push_str("no owned clusters\n");
                    }
                    if unowned > 0 {
                        out.push_str(&format!(
                            "({unowned} clusters not created by posthog-charttest not shown)\n"
                        ));
                    }
                    out
                }
            };
        let stderr: String = errors.iter().map(|e| format!("Error: {e}\n")).collect();
        Ok(Outcome {
            exit: i32::from(!errors.is_empty()),
            stdout,
            stderr,
        })
    };
    inner
        .await
        .unwrap_or_else(|e: String| Outcome::error(log.redact(&e)))
}

fn entry_status(e: &Entry, now: i64) -> &'static str {
    if e.orphaned() {
        "orphaned (its run died)"
    } else if e.cluster.expires_at <= now {
        "expired"
    } else if e.owner_pid.is_some() {
        "in use"
    } else {
        "live"
    }
}

async fn reap(a: ReapArgs, env: Env, log: Log) -> Outcome {
    let inner = async {
        let now = now_from(&a.now)?;
        let state = StateFile::new(&a.state.state_file);
        let runner = Runner::new(env.clone(), log.clone());
        let mut report = String::new();
        let mut errors = Vec::new();
        let mut done: Vec<(ProviderKind, String)> = Vec::new();

        // 1. What the state file records: orphaned by a killed run, or expired.
        for e in state.entries()? {
            if !a.provider.is_empty() && !a.provider.contains(&e.cluster.provider) {
                continue;
            }
            let c = &e.cluster;
            if !e.reapable(now) {
                report.push_str(&format!(
                    "kept     {}/{} ({}; expires {})\n",
                    c.provider,
                    c.name,
                    entry_status(&e, now),
                    when(c.expires_at)
                ));
                continue;
            }
            let why = if e.orphaned() {
                "its run died"
            } else {
                "expired"
            };
            let p = provider_of(c, &env);
            done.push((c.provider, c.name.clone()));
            if a.dry_run {
                report.push_str(&format!(
                    "# would delete {}/{} ({why})\n{}",
                    c.provider,
                    c.name,
                    p.delete_plan(c)
                ));
                continue;
            }
            match teardown::delete(p.as_ref(), &runner, &state, c).await {
                Ok(()) => report.push_str(&format!("deleted  {}/{} ({why})\n", c.provider, c.name)),
                Err(err) => errors.push(format!("{}/{}: {err}", c.provider, c.name)),
            }
        }

        // 2. What providers report as ours and expired.
        let mut unowned = 0;
        for p in providers_to_ask(&a.provider, &env) {
            let listed = match list_provider(p.as_ref(), &runner, a.region.as_deref()).await {
                Ok(l) => l,
                Err(e) => {
                    errors.push(format!("{}: {e}", p.kind()));
                    continue;
                }
            };
            for l in listed {
                if done.iter().any(|(k, n)| *k == p.kind() && *n == l.name) {
                    continue;
                }
                if !l.owned() {
                    unowned += 1;
                    continue;
                }
                let Some(expires) = l.expires_at() else {
                    report.push_str(&format!(
                        "skipped  {}/{} (owned but without an expiry label)\n",
                        p.kind(),
                        l.name
                    ));
                    continue;
                };
                if expires > now {
                    report.push_str(&format!(
                        "kept     {}/{} (expires {})\n",
                        p.kind(),
                        l.name,
                        when(expires)
                    ));
                    continue;
                }
                let kubeconfig = state.dir().join(format!("{}.kubeconfig", l.name));
                let c = p.cluster_from_listed(&l, kubeconfig);
                if a.dry_run {
                    report.push_str(&format!(
                        "# would delete {}/{} (expired {})\n{}",
                        p.kind(),
                        l.name,
                        when(expires),
                        p.delete_plan(&c)
                    ));
                    continue;
                }
                match teardown::delete(p.as_ref(), &runner, &state, &c).await {
                    Ok(()) => report.push_str(&format!(
                        "deleted  {}/{} (expired {})\n",
                        p.kind(),
                        l.name,
                        when(expires)
                    )),
                    Err(err) => errors.push(format!("{}/{}: {err}", p.kind(), l.name)),
                }
            }
        }
        if unowned > 0 {
            report.push_str(&format!(
                "left alone {unowned} clusters not created by posthog-charttest\n"
            ));
        }
        if report.is_empty() {
            report.push_str("nothing to reap\n");
        }
        let stderr: String = errors
            .iter()
            .map(|e| format!("Error: {}\n", log.redact(e)))
            .collect();
        Ok(Outcome {
            exit: i32::from(!errors.is_empty()),
            stdout: report,
            stderr,
        })
    };
    inner
        .await
        .unwrap_or_else(|e: String| Outcome::error(log.redact(&e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("3h").unwrap(), Duration::from_secs(10800));
        assert_eq!(parse_duration("1d").unwrap(), Duration::from_secs(86400));
        assert!(parse_duration("3 hours").is_err());
        assert!(parse_duration("").is_err());
    }
}
