//! The `posthog-charttest` binary.

use std::io::Write;

fn main() {
    tune_allocator();
    let cli = charttest::cli::Cli::parse_args(std::env::args_os().collect());
    let outcome = charttest::cli::run(cli);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(outcome.stdout.as_bytes());
    let _ = out.flush();
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(outcome.stderr.as_bytes());
    let _ = err.flush();
    std::process::exit(outcome.exit);
}

/// glibc grows a thread's heap a few pages at a time, one `brk` or `mprotect` call each; a
/// `template` run made ~300 of them, a fifth of its CPU time. Asking for 8 MiB of headroom per
/// growth makes it a dozen. The headroom is address space, not memory: pages count only once
/// touched.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tuning parameter; it is called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, 8 << 20);
    }
}
