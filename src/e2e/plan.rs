//! `e2e --dry-run`: the whole run as text, every phase with the provider commands, helm
//! commands and Kubernetes API actions it would take, and nothing done.

use std::fmt::Write as _;

use super::{import_image_cmd, load_job, Options, Phase};
use crate::cluster::command::{shell_quote, Runner};
use crate::cluster::env::Env;
use crate::cluster::helm::Helm;
use crate::cluster::install::namespace_labels;
use crate::cluster::progress::Log;
use crate::cluster::provider::ProviderKind;
use crate::cluster::state::StateFile;
use crate::cluster::teardown::Lifecycle;
use crate::report::human_duration;
use crate::verify::source::{ClickHouse, Transport};

fn section(out: &mut String, opts: &Options, phase: Phase, note: &str) {
    let _ = writeln!(
        out,
        "# === {phase} (limit {}){note} ===",
        human_duration(opts.timeouts.get(phase))
    );
}

/// The plan of a run.
pub fn describe(opts: &Options, env: &Env) -> Result<String, String> {
    let c = &opts.cluster;
    let provider = crate::cluster::providers::provider_of(c, env);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# posthog-charttest e2e --provider {} (dry run: nothing runs)",
        c.provider
    );
    if c.provider == ProviderKind::Existing {
        let _ = writeln!(
            out,
            "# run {}: existing cluster from {}{}; it is never created or deleted",
            c.run_id,
            c.kubeconfig.display(),
            c.context
                .as_ref()
                .map(|x| format!(" (context {x})"))
                .unwrap_or_default()
        );
    } else {
        let _ = writeln!(
            out,
            "# run {}: cluster {} expires {}",
            c.run_id,
            c.name,
            crate::cli::cluster::when(c.expires_at)
        );
    }
    let _ = writeln!(
        out,
        "# release {} of {} in namespace {}; artifacts in {}",
        opts.release,
        opts.chart,
        opts.namespace,
        opts.artifacts.display()
    );

    // provision
    section(&mut out, opts, Phase::Provision, "");
    let life = Lifecycle {
        provider: provider.as_ref(),
        runner: Runner::new(env.clone(), Log::quiet()),
        state: StateFile::new(&opts.state_file),
        keep: opts.keep,
        wait_nodes: None,
        setup_timeout: None,
    };
    let lifeplan = life.describe(c, &opts.create, true)?;
    // The lifecycle's own teardown section is printed under teardown below.
    let (before, teardown_text) = match lifeplan.find("# --- teardown") {
        Some(i) => lifeplan.split_at(i),
        None => (lifeplan.as_str(), ""),
    };
    out.push_str(before);
    if c.provider == ProviderKind::Existing {
        out.push_str(
            "# ask the API server for its version (fail at once when it does not answer)\n",
        );
    }
    out.push_str("# wait until every node is Ready (Kubernetes API)\n");

    // install
    section(&mut out, opts, Phase::Install, "");
    let labels = namespace_labels(&c.run_id, c.expires_at)
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let _ = writeln!(
        out,
        "# create namespace {} labelled {labels} (refused if it exists and is not this tool's)",
        opts.namespace
    );
    let _ = writeln!(
        out,
        "# render {} natively into {}/manifests/ (Secret values redacted)",
        opts.chart,
        opts.artifacts.display()
    );
    let helm = Helm {
        bin: opts.helm_bin.clone(),
        kubeconfig: Some(c.kubeconfig.clone()),
        context: c.context.clone(),
    };
    let limit = opts.timeouts.get(Phase::Install);
    let mut steps: Vec<(bool, String)> = Vec::new();
    if let Some(from) = &opts.upgrade_from {
        let _ = writeln!(
            out,
            "# the previous chart: {from} (a directory, a .tgz, or that git ref of the chart's repository, extracted to a temporary directory)"
        );
        steps.push((false, format!("<previous chart {from}>")));
        steps.push((true, opts.chart.clone()));
    } else {
        steps.push((false, opts.chart.clone()));
    }
    for (upgrade, chart) in steps {
        let cmd = helm.install_cmd(
            upgrade,
            &opts.release,
            &chart,
            &opts.namespace,
            &opts.values,
            limit,
        );
        let _ = writeln!(out, "# {}\n{}", cmd.purpose, cmd.shell_line());
        out.push_str("# watch every Deployment, StatefulSet, DaemonSet, Job and Pod until rolled out; fail at once on CrashLoopBackOff, image pull errors, more than 3 restarts or a failed Job, and write diagnostics/ on failure\n");
    }

    // checks
    section(&mut out, opts, Phase::Checks, "");
    let unencrypted = if c.provider.is_local() || opts.checks.allow_unencrypted_storage {
        "warning"
    } else {
        "failure"
    };
    let mut checks = vec![
        "pods-ready".to_string(),
        "jobs-complete".into(),
        "services-endpoints".into(),
        "pvcs-bound".into(),
        format!("storage-encrypted (unencrypted storage is a {unencrypted})"),
        format!(
            "reach/capture, reach/web, reach/clickhouse, reach/kafka (a probe pod running {})",
            opts.checks.probe_image
        ),
        match &opts.checks.ingress_url {
            Some(u) => format!("ingress (GET {u})"),
            None => "ingress (GET each Ingress's load balancer address)".into(),
        },
    ];
    checks.retain(|name| {
        let n = name.split([' ', ',']).next().unwrap_or("");
        !opts
            .checks
            .skip
            .iter()
            .any(|s| s == n || (s == "reach" && n.starts_with("reach/")))
    });
    for name in checks {
        let _ = writeln!(out, "# {name}");
    }
    if !opts.checks.skip.is_empty() {
        let _ = writeln!(out, "# skipped: {}", opts.checks.skip.join(", "));
    }

    // load
    section(&mut out, opts, Phase::Load, "");
    out.push_str(
        "# find capture's Service (label app.kubernetes.io/component=capture, port 3000)\n",
    );
    if opts.load.import_image {
        match import_image_cmd(c, &opts.load.image) {
            Some(cmd) => {
                let _ = writeln!(out, "# {}\n{}", cmd.purpose, cmd.shell_line());
            }
            None => {
                let _ = writeln!(
                    out,
                    "# --import-image: nothing to do on {}; the nodes pull {}",
                    c.provider, opts.load.image
                );
            }
        }
    }
    if opts.load.seed {
        let _ = writeln!(
            out,
            "# create Job {} from the web Deployment's pod template: `python manage.py shell` makes sure a project has token {}; wait for it",
            super::seed::job_name(&c.run_id),
            opts.load.token
        );
    }
    let spec = load_job(
        opts,
        &format!("http://<capture Service>.{}.svc:3000", opts.namespace),
    );
    let _ = writeln!(
        out,
        "# create ConfigMap and Job {} ({} pod{}, scenario {}), wait for every pod, merge the summaries the pods print; then delete them",
        spec.name,
        spec.shards,
        if spec.shards == 1 { "" } else { "s" },
        opts.load.scenario.0
    );
    let mut args = vec!["posthog-charttest".to_string()];
    args.extend(crate::load::cluster::pod_args(&spec));
    let _ = writeln!(
        out,
        "# each pod ({}): {}",
        spec.image,
        args.iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let thresholds: Vec<String> = opts
        .load
        .thresholds
        .iter()
        .map(|t| format!("{}: {}", t.metric, t.source))
        .collect();
    if !thresholds.is_empty() {
        let _ = writeln!(out, "# thresholds: {}", thresholds.join(", "));
    }

    // verify
    section(&mut out, opts, Phase::Verify, "");
    out.push_str(
        "# find ClickHouse's Service (label app.kubernetes.io/component=clickhouse, port 8123)\n",
    );
    let ch = ClickHouse {
        url: crate::load::client::Target::parse("http://clickhouse:8123")?,
        transport: Transport::Direct,
        database: opts.verify.database.clone(),
        table: opts.verify.table.clone(),
        user: opts.verify.user.clone(),
        password: None,
        stored_at: opts.verify.stored_at.clone(),
        team_id: None,
        timeout: std::time::Duration::from_secs(60),
    };
    let _ = writeln!(
        out,
        "# every {}: POST {}/?database={} through the Kubernetes API service proxy, as user {} with the password from {}",
        human_duration(opts.poll),
        Transport::proxy_prefix(&opts.namespace, "<ClickHouse Service>", 8123),
        opts.verify.database,
        opts.verify.user,
        if opts.verify.password.is_some() {
            "--clickhouse-password".to_string()
        } else {
            "Secret <release fullname>-clickhouse key clickhouse-password".to_string()
        }
    );
    let _ = writeln!(out, "# {}", ch.query(&c.run_id)?);
    let _ = writeln!(
        out,
        "# until every event the load sent and capture accepted is found; thresholds: event_loss rate<={}, ingestion_lag p(99)<{}",
        opts.verify.max_loss,
        human_duration(opts.verify.max_lag_p99)
    );

    // teardown
    section(
        &mut out,
        opts,
        Phase::Teardown,
        if opts.keep {
            ""
        } else {
            "; runs after success, failure, SIGINT or SIGTERM"
        },
    );
    if c.provider == ProviderKind::Existing {
        if opts.keep {
            out.push_str("# none (--keep): the release and namespace stay\n");
        } else {
            let cmd = helm.uninstall_cmd(
                &opts.release,
                &opts.namespace,
                opts.timeouts.get(Phase::Teardown),
            );
            let _ = writeln!(out, "# {}\n{}", cmd.purpose, cmd.shell_line());
            let _ = writeln!(
                out,
                "# delete namespace {} (only when labelled as this tool's), clear the finalizers of objects stuck in deletion past 30s, wait until it is gone",
                opts.namespace
            );
        }
    } else {
        out.push_str(
            teardown_text
                .split_once('\n')
                .map(|(_, rest)| rest)
                .unwrap_or(""),
        );
        if opts.keep {
            out.push_str("# none (--keep): `cluster reap` deletes it after it expires, with the command above\n");
        }
    }
    Ok(out)
}
