//! The `posthog-charttest` binary.

use std::io::Write;

use clap::Parser;

fn main() {
    let cli = charttest::cli::Cli::parse();
    let outcome = charttest::cli::run(cli);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(outcome.stdout.as_bytes());
    let _ = out.flush();
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(outcome.stderr.as_bytes());
    let _ = err.flush();
    std::process::exit(outcome.exit);
}
