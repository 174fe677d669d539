//! Link settings for the `posthog-charttest` executable on x86_64 Linux (glibc). Only this
//! package's binaries are affected: build scripts, proc-macros and test harnesses keep the
//! platform defaults.
//!
//! - Position-dependent (non-PIE): a PIE binary of this size carries ~58,000 relative
//!   relocations that the dynamic loader applies at every start, copying about 1.5 MB of
//!   `.data.rel.ro` into private pages (1.5–2 ms and 1.5 MB per `template` run).
//! - Release builds only: the functions in `linker/symbol-order.txt` (written by
//!   `scripts/symbol-order.sh`) are placed together at the front of `.text` with lld's
//!   `--symbol-ordering-file`. The kernel maps code 64 KiB around every page that faults in,
//!   so scattered hot code kept ~8 MB of the binary resident; packed, about 2 MB. lld is the
//!   linker rustc ships (`gcc-ld/ld.lld` in the sysroot); when it is missing, or the user
//!   chose a linker, the list is skipped and only the layout differs.
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=linker/symbol-order.txt");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "linux" || var("CARGO_CFG_TARGET_ENV") != "gnu" {
        return;
    }
    println!("cargo:rustc-link-arg-bins=-no-pie");

    if var("PROFILE") != "release" || var("CARGO_CFG_TARGET_ARCH") != "x86_64" {
        return;
    }
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    if flags.contains("linker")
        || flags.contains("fuse-ld")
        || std::env::var_os("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_some()
    {
        return;
    }
    let order = Path::new(&var("CARGO_MANIFEST_DIR")).join("linker/symbol-order.txt");
    let (Some(gcc_ld), true) = (rust_lld_dir(), order.is_file()) else {
        return;
    };
    println!("cargo:rustc-link-arg-bins=-B{}", gcc_ld.display());
    println!("cargo:rustc-link-arg-bins=-fuse-ld=lld");
    println!(
        "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
        order.display()
    );
    println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
}

/// The sysroot directory holding rustc's `ld.lld` wrapper for the host, if installed.
fn rust_lld_dir() -> Option<PathBuf> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = std::process::Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()?;
    let sysroot = String::from_utf8(out.stdout).ok()?;
    let host = std::env::var("HOST").ok()?;
    let dir = Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(host)
        .join("bin/gcc-ld");
    dir.join("ld.lld").is_file().then_some(dir)
}
