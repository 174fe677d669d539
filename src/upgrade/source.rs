//! `--from`: the old chart, given as a chart directory, a packaged `.tgz`, or a git ref of
//! the repository the new chart lives in (`origin/main`, a release tag, a commit). A ref is
//! read with `git archive REF -- <chart path>` into a temporary directory, so neither the work
//! tree nor the index is touched.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::chart::{load_chart, Chart};

/// The old chart and a label saying where it came from.
#[derive(Debug)]
pub struct OldChart {
    /// The loaded chart.
    pub chart: Chart,
    /// `REF:path`, or the directory or archive as given.
    pub label: String,
    // Keeps the extracted git tree alive until the chart is no longer needed.
    _tmp: Option<tempfile::TempDir>,
}

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| {
            format!("cannot run git: {e} (install git, or pass --from a directory or .tgz)")
        })?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// The repository top level containing `path` and `path` relative to it (`/`-separated,
/// empty for the top level itself).
fn repo_relative(path: &Path) -> Result<(PathBuf, String), String> {
    let abs = std::fs::canonicalize(path).map_err(|e| format!("chart {}: {e}", path.display()))?;
    let dir = if abs.is_dir() {
        abs.clone()
    } else {
        abs.parent().map(Path::to_path_buf).unwrap_or(abs.clone())
    };
    let top = git(&dir, &["rev-parse", "--show-toplevel"]).map_err(|e| {
        format!("{} is not inside a git repository ({e}); pass --from a chart directory or .tgz instead of a git ref", path.display())
    })?;
    let top = PathBuf::from(String::from_utf8_lossy(&top).trim());
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let rel = abs.strip_prefix(&top).map_err(|_| {
        format!(
            "{} is outside the repository {}",
            abs.display(),
            top.display()
        )
    })?;
    let rel = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    Ok((top, rel))
}

/// Loads the old chart for `--from`. `new_chart` is the path of the new chart, used to find
/// the repository and the chart's path inside it.
pub fn load_old(from: &str, new_chart: &Path) -> Result<OldChart, String> {
    let p = Path::new(from);
    if p.exists() {
        let chart = load_chart(p).map_err(|e| format!("--from {from}: {}", e.0))?;
        return Ok(OldChart {
            chart,
            label: from.to_string(),
            _tmp: None,
        });
    }
    let (top, rel) = repo_relative(new_chart)?;
    let commit = format!("{from}^{{commit}}");
    if git(&top, &["rev-parse", "--verify", "--quiet", &commit]).is_err() {
        return Err(format!(
            "--from {from}: not a directory, not a chart archive, and not a commit of the repository at {} (in CI, check out with fetch-depth: 0 or fetch the ref first, e.g. git fetch origin main)",
            top.display()
        ));
    }
    let mut args = vec!["archive", "--format=tar", from];
    if !rel.is_empty() {
        args.push("--");
        args.push(&rel);
    }
    let tar = git(&top, &args).map_err(|e| {
        format!("--from {from}: the chart path {rel:?} does not exist at {from} ({e})")
    })?;
    let tmp = tempfile::Builder::new()
        .prefix("charttest-upgrade-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    tar::Archive::new(tar.as_slice())
        .unpack(tmp.path())
        .map_err(|e| format!("--from {from}: cannot unpack git archive: {e}"))?;
    let dir = if rel.is_empty() {
        tmp.path().to_path_buf()
    } else {
        tmp.path().join(&rel)
    };
    if !dir.join("Chart.yaml").exists() {
        return Err(format!(
            "--from {from}: {rel:?} has no Chart.yaml at {from}"
        ));
    }
    let chart = load_chart(&dir).map_err(|e| format!("--from {from}: {}", e.0))?;
    Ok(OldChart {
        chart,
        label: if rel.is_empty() {
            from.to_string()
        } else {
            format!("{from}:{rel}")
        },
        _tmp: Some(tmp),
    })
}
