//! The `posthog-charttest` binary.

use std::io::Write;

use clap::Parser;

// Rendering allocates many small strings and maps; mimalloc cuts the time spent in the
// allocator by about half compared with glibc's (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
