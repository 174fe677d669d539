//! The command line: one subcommand per layer of testing.

pub mod conformance;
pub mod fuzz;
pub mod template;
pub mod upgrade_check;

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

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Outcome {
    match cli.command {
        Command::Template(args) => template::run(&args),
        Command::Conformance(args) => conformance::run(&args),
        Command::UpgradeCheck(args) => upgrade_check::run(&args),
        Command::Fuzz(args) => fuzz::run(&args),
    }
}
