//! Links the `posthog-charttest` executable as a position-dependent (non-PIE) binary on Linux.
//!
//! A PIE binary of this size carries ~58,000 relative relocations that the dynamic loader
//! applies at every start, copying about 1.5 MB of `.data.rel.ro` into private pages. That
//! was 1.5–2 ms and 1.5 MB of resident memory on each `template` run. Linking at a fixed
//! address resolves them at link time. Only this package's binaries are affected: build
//! scripts, proc-macros and test harnesses keep the platform default.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
