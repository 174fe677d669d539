//! The command line: one subcommand per layer of testing.

pub mod check;
pub mod cluster;
pub mod conformance;
pub mod e2e;
pub mod fuzz;
pub mod install;
pub mod lint;
pub mod load;
pub mod template;
pub mod test;
pub mod upgrade_check;
pub mod verify;

use clap::{Parser, Subcommand};

/// Tests the PostHog Helm chart from the first template to the last ingested event.
#[derive(Parser, Debug)]
#[command(name = "posthog-charttest", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
// Parsed once per process, so the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Render a chart exactly as `helm template` does.
    #[command(alias = "render")]
    Template(template::TemplateArgs),
    /// Render a corpus of scenarios natively and with helm, and report every difference.
    Conformance(conformance::ConformanceArgs),
    /// Lint a chart: helm lint's rules, Kubernetes schemas, API lifecycle, policies and
    /// references, over every values scenario and target Kubernetes version.
    Lint(lint::LintArgs),
    /// Run helm-unittest suites (tests/*_test.yaml) in parallel, with snapshots and reports.
    Test(test::TestArgs),
    /// Create, delete, list and reap test clusters (k3s, kind, existing, aws, gcp,
    /// digitalocean, azure).
    Cluster(cluster::ClusterArgs),
    /// Install (or upgrade to) the chart in a namespace of its own and wait for every workload.
    Install(install::InstallArgs),
    /// Uninstall a release and its namespace, clearing objects stuck on finalizers.
    Uninstall(install::UninstallArgs),
    /// Run the live checks against an installed release.
    Check(check::CheckArgs),
    /// Send k6-style load to capture and count every event accepted, failed and dropped.
    Load(load::LoadArgs),
    /// Count a load run's events in ClickHouse: missing, duplicated, ingestion lag.
    Verify(verify::VerifyArgs),
    /// End to end: provision a cluster, install, check, load from inside the cluster, verify
    /// in ClickHouse, and tear down whatever happens.
    E2e(e2e::E2eArgs),
    /// Render the chart at --from and the given chart with the same values, and report what
    /// `helm upgrade` from one to the other would break.
    UpgradeCheck(upgrade_check::UpgradeCheckArgs),
    /// Render the chart with values generated from values.schema.json and report template
    /// crashes and broken manifests, each with a shrunk reproducer.
    Fuzz(fuzz::FuzzArgs),
}

/// What a command produced, so commands can run in-process in tests as they do from the CLI.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Process exit code.
    pub exit: i32,
    /// Text for standard output.
    pub stdout: String,
    /// Text for standard error.
    pub stderr: String,
}

impl Outcome {
    /// A failure with helm's `Error: ` prefix.
    pub fn error(msg: impl AsRef<str>) -> Outcome {
        Outcome {
            exit: 1,
            stdout: String::new(),
            stderr: format!("Error: {}\n", msg.as_ref()),
        }
    }
}

impl Cli {
    /// Parses `args` (the program name first) as [`Parser::parse_from`] does.
    ///
    /// `template` is parsed against its own arguments alone: building clap's model of every
    /// subcommand cost a render a twentieth of its time. Whatever does not parse that way
    /// (help, version, any error) is parsed again against the whole command, so output and
    /// exit codes are exactly clap's.
    pub fn parse_args(args: Vec<std::ffi::OsString>) -> Cli {
        use clap::{Args, FromArgMatches};
        if matches!(
            args.get(1).and_then(|a| a.to_str()),
            Some("template" | "render")
        ) {
            let sub = template::TemplateArgs::augment_args(clap::Command::new("template"));
            let cmd = clap::Command::new("posthog-charttest").subcommand(sub.alias("render"));
            if let Ok(m) = cmd.try_get_matches_from(&args) {
                if let Some(Ok(a)) = m
                    .subcommand_matches("template")
                    .map(template::TemplateArgs::from_arg_matches)
                {
                    return Cli {
                        command: Command::Template(a),
                    };
                }
            }
        }
        Cli::parse_from(args)
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Outcome {
    match cli.command {
        Command::Template(mut args) => {
            args.last_in_process = true;
            template::run(&args)
        }
        Command::Conformance(args) => conformance::run(&args),
        Command::Lint(args) => lint::run(&args),
        Command::Test(args) => test::run_live(&args),
        Command::Cluster(args) => cluster::run(args),
        Command::Install(args) => install::run(args),
        Command::Uninstall(args) => install::run_uninstall(args),
        Command::Check(args) => check::run(args),
        Command::Load(args) => load::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::E2e(args) => e2e::run(args),
        Command::UpgradeCheck(args) => upgrade_check::run(&args),
        Command::Fuzz(args) => fuzz::run(&args),
    }
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    fn argv(line: &str) -> Vec<std::ffi::OsString> {
        line.split(' ').map(Into::into).collect()
    }

    /// The `template` fast path reads every command line as the whole command does.
    #[test]
    fn template_parses_as_the_whole_command_does() {
        for line in [
            "posthog-charttest template rel ./chart",
            "posthog-charttest render ./chart",
            "posthog-charttest template rel ./chart -n ns --set a=b,c=d --set-string x=1 -f v.yaml -f w.yaml",
            "posthog-charttest template ./chart --kube-version 1.29 -a v1/x,v2/y --show-only templates/a.yaml",
            "posthog-charttest template rel ./chart --include-crds --no-hooks --skip-tests --is-upgrade --release-name --output-dir out",
            "posthog-charttest template rel ./chart --engine helm --helm-compat 3 --skip-schema-validation",
            "posthog-charttest template -- -rel ./chart",
            "posthog-charttest template rel ./chart --set=a=b -s templates/b.yaml",
        ] {
            let fast = Cli::parse_args(argv(line));
            let full = Cli::try_parse_from(argv(line)).expect(line);
            assert_eq!(format!("{fast:?}"), format!("{full:?}"), "{line}");
            assert!(matches!(fast.command, Command::Template(_)), "{line}");
        }
    }

    /// Lines the fast path rejects go to the whole command, which parses the valid ones.
    #[test]
    fn other_lines_reach_the_whole_command() {
        let cli = Cli::parse_args(argv("posthog-charttest lint charts/posthog"));
        assert!(matches!(cli.command, Command::Lint(_)));
    }
}
