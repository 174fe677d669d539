//! `upgrade-check` over the pairs in `testdata/upgrade/`: each directory holds an `old/` and
//! a `new/` chart, optional `values.yaml` given to both, and `expect.yaml` listing exactly the
//! findings (rule, kind, name) the pair must produce; an empty list means a safe upgrade.

use std::path::{Path, PathBuf};

use charttest::cli::upgrade_check::{run, Format, UpgradeCheckArgs};
use charttest::cli::Outcome;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/upgrade")
}

fn expected(dir: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(dir.join("expect.yaml")).unwrap();
    let v = charttest::engine::yaml::parse(&text).unwrap();
    let j = charttest::chart::schema::to_json(&v);
    let mut out: Vec<(String, String, String)> = j["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: findings must be a list", dir.display()))
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["kind"].as_str().unwrap().to_string(),
                f["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn check(dir: &Path, format: Format) -> Outcome {
    let mut args = UpgradeCheckArgs::new(
        dir.join("new").display().to_string(),
        dir.join("old").display().to_string(),
    );
    args.args.insert(0, "rel".into());
    args.output = format;
    if dir.join("values.yaml").exists() {
        args.vals.values = vec![dir.join("values.yaml").display().to_string()];
    }
    run(&args)
}

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expect.yaml").exists())
        .collect();
    v.sort();
    v
}

#[test]
fn every_pair_reports_exactly_the_expected_findings() {
    let mut failures = Vec::new();
    let (mut breaking, mut safe) = (0, 0);
    for dir in cases() {
        let want = expected(&dir);
        if want.is_empty() {
            safe += 1;
        } else {
            breaking += 1;
        }
        let out = check(&dir, Format::Json);
        if out.exit == 2 {
            failures.push(format!("{}: failed to run: {}", dir.display(), out.stderr));
            continue;
        }
        let findings: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let mut got: Vec<(String, String, String)> = findings
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["kind"].as_str().unwrap().to_string(),
                    f["name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        got.sort();
        if got != want {
            failures.push(format!(
                "{}:\n  want {want:?}\n  got  {got:?}\n  {}",
                dir.file_name().unwrap().to_string_lossy(),
                out.stdout.replace('\n', "\n  ")
            ));
            continue;
        }
        let any_error = findings
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["severity"] == "error");
        if out.exit != i32::from(any_error) {
            failures.push(format!(
                "{}: exit {} with findings {got:?}",
                dir.display(),
                out.exit
            ));
        }
        // Every finding points at a template of one of the two charts.
        for f in findings.as_array().unwrap() {
            let file = f["file"].as_str().unwrap();
            if !file.starts_with("templates/") && !file.starts_with("crds/") {
                failures.push(format!(
                    "{}: finding without a template file: {f}",
                    dir.display()
                ));
            }
        }
    }
    assert!(breaking >= 15, "only {breaking} breaking pairs");
    assert!(safe >= 10, "only {safe} safe pairs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn human_output_has_a_diff_and_a_summary() {
    let out = check(&root().join("sts-volume-resize"), Format::Human);
    assert_eq!(out.exit, 1, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("default, rel-app, StatefulSet (apps) has changed:"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("-             storage: 10Gi"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("+             storage: 50Gi"),
        "{}",
        out.stdout
    );
    assert!(out
        .stdout
        .contains("error[immutable/statefulset-volume-claim-templates]"));
    assert!(out.stdout.contains("1 error(s)"));
    // The finding points at the template line of the field.
    assert!(out.stdout.contains("templates/sts.yaml:"), "{}", out.stdout);
}

#[test]
fn secret_values_are_masked_in_the_diff() {
    let out = check(&root().join("safe-mutable-data"), Format::Human);
    assert_eq!(out.exit, 0);
    assert!(!out.stdout.contains("hunter2"), "{}", out.stdout);
    assert!(!out.stdout.contains("correct-horse"), "{}", out.stdout);
    assert!(out.stdout.contains("changed)"), "{}", out.stdout);
}

#[test]
fn findings_point_at_the_template_line() {
    let out = check(&root().join("pvc-storage-class"), Format::Json);
    let f: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let text =
        std::fs::read_to_string(root().join("pvc-storage-class/new/templates/pvc.yaml")).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("storageClassName"))
        .unwrap()
        + 1;
    assert_eq!(f[0]["file"], "templates/pvc.yaml");
    assert_eq!(f[0]["line"], line);
}

#[test]
fn sarif_and_junit_outputs() {
    let dir = root().join("deleted-pvc");
    let s = check(&dir, Format::Sarif);
    let v: serde_json::Value = serde_json::from_str(&s.stdout).unwrap();
    assert_eq!(v["runs"][0]["results"][0]["ruleId"], "deleted/pvc");
    let j = check(&dir, Format::Junit);
    assert!(j.stdout.contains("<failure type=\"error\""), "{}", j.stdout);
    assert_eq!(j.exit, 1);
}

fn git(dir: &Path, args: &[&str]) {
    let st = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(
        st.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&st.stderr)
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

#[test]
fn from_a_git_ref_of_the_repository() {
    if std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("git not installed; skipped");
        return;
    }
    let repo = tempfile::tempdir().unwrap();
    let case = root().join("sts-service-name");
    let chart = repo.path().join("charts/app");
    git(repo.path(), &["init", "-q"]);
    copy_dir(&case.join("old"), &chart);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-qm", "old"]);
    git(repo.path(), &["tag", "app-1.0.0"]);
    std::fs::remove_dir_all(&chart).unwrap();
    copy_dir(&case.join("new"), &chart);
    // The new chart need not be committed: the work tree is compared with the ref.
    let mut args = UpgradeCheckArgs::new(chart.display().to_string(), "app-1.0.0");
    args.args = vec!["rel".into(), chart.display().to_string()];
    args.output = Format::Json;
    let out = run(&args);
    assert_eq!(out.exit, 1, "{}", out.stderr);
    assert!(
        out.stdout.contains("immutable/statefulset-service-name"),
        "{}",
        out.stdout
    );
    // A path relative to a subdirectory of the repository works too.
    let mut args = UpgradeCheckArgs::new("charts/app", "app-1.0.0");
    args.args = vec!["rel".into(), chart.display().to_string()];
    args.from = "HEAD".into();
    args.output = Format::Json;
    assert_eq!(run(&args).exit, 1);
    // A ref that does not exist is a clear error.
    args.from = "no-such-ref".into();
    let bad = run(&args);
    assert_eq!(bad.exit, 2);
    assert!(
        bad.stderr.contains("not a commit of the repository"),
        "{}",
        bad.stderr
    );
}

#[test]
fn from_a_packaged_chart() {
    let case = root().join("pvc-shrink");
    let tmp = tempfile::tempdir().unwrap();
    let tgz = tmp.path().join("app-1.0.0.tgz");
    let f = std::fs::File::create(&tgz).unwrap();
    let gz = flate2::write::GzEncoder::new(f, flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    b.append_dir_all("app", case.join("old")).unwrap();
    b.into_inner().unwrap().finish().unwrap();
    let mut args = UpgradeCheckArgs::new("", tgz.display().to_string());
    args.args = vec!["rel".into(), case.join("new").display().to_string()];
    args.output = Format::Json;
    let out = run(&args);
    assert!(
        out.stdout.contains("immutable/pvc-storage-shrink"),
        "{}{}",
        out.stdout,
        out.stderr
    );
}

#[test]
fn render_failures_are_exit_2_with_the_side_named() {
    let case = root().join("pvc-shrink");
    let mut args = UpgradeCheckArgs::new("", case.join("old").display().to_string());
    args.args = vec!["rel".into(), case.join("new").display().to_string()];
    args.vals.set = vec!["noequals".into()];
    let out = run(&args);
    assert_eq!(out.exit, 2);
    let mut args = UpgradeCheckArgs::new("", "/nonexistent/chart");
    args.args = vec!["rel".into(), case.join("new").display().to_string()];
    let out = run(&args);
    assert_eq!(out.exit, 2);
    assert!(out.stderr.starts_with("Error: "), "{}", out.stderr);
}
