//! Broken charts and bad flags: `template` must fail exactly as `helm template` does (same exit
//! code, same stderr), checked against the real helm 4.1.4 binary in `.tools/`.

use std::path::{Path, PathBuf};

use charttest::cli::template::{run, Engine, TemplateArgs};

fn helm() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/helm-4.1.4/helm");
    assert!(
        p.exists(),
        "run scripts/install-tools.sh first (scripts/test.sh does)"
    );
    p
}

/// Writes a chart `c` into a temp dir from (path, content) pairs.
fn chart(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, content) in files {
        let p = dir.path().join("c").join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }
    dir
}

const CHART: (&str, &str) = ("Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n");

/// Runs natively and with helm; both must agree on exit code and stderr (and stdout).
fn same_as_helm(dir: &Path, extra: impl Fn(&mut TemplateArgs)) -> i32 {
    let mut args = TemplateArgs::for_chart(dir.join("c").display().to_string());
    args.args.insert(0, "rel".into());
    extra(&mut args);
    let ours = run(&args);
    let mut h = args.clone();
    h.engine = Some(Engine::Helm);
    h.helm_bin = Some(helm());
    let theirs = run(&h);
    assert_eq!(
        ours.exit, theirs.exit,
        "exit codes; helm said {:?}",
        theirs.stderr
    );
    assert_eq!(ours.stderr, theirs.stderr);
    assert_eq!(ours.stdout, theirs.stdout);
    ours.exit
}

#[test]
fn missing_chart() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert_eq!(same_as_helm(dir.path(), |_| {}), 1);
}

#[test]
fn malformed_chart_yaml() {
    let dir = chart(&[("Chart.yaml", "apiVersion: v2\nname: [c\n")]);
    assert_eq!(same_as_helm(dir.path(), |_| {}), 1);
}

#[test]
fn chart_yaml_without_name() {
    let dir = chart(&[("Chart.yaml", "apiVersion: v2\nversion: 0.1.0\n")]);
    assert_eq!(same_as_helm(dir.path(), |_| {}), 1);
}

#[test]
fn malformed_values() {
    let dir = chart(&[CHART, ("values.yaml", "a: b: c\n")]);
    assert_eq!(same_as_helm(dir.path(), |_| {}), 1);
}

#[test]
fn set_syntax_errors() {
    let dir = chart(&[CHART, ("templates/cm.yaml", "a: {{ .Values.a }}\n")]);
    assert_eq!(
        same_as_helm(dir.path(), |a| a.vals.set = vec!["a".into()]),
        1
    );
    assert_eq!(
        same_as_helm(dir.path(), |a| a.vals.set =
            vec!["a=1".into(), "a.b=2".into()]),
        1
    );
}

#[test]
fn schema_violation() {
    let dir = chart(&[
        CHART,
        ("values.yaml", "replicas: 1\n"),
        (
            "values.schema.json",
            r#"{"type":"object","properties":{"replicas":{"type":"string"}}}"#,
        ),
    ]);
    assert_eq!(same_as_helm(dir.path(), |_| {}), 1);
}

#[test]
fn missing_subchart() {
    let dir = chart(&[(
        "Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: 0.1.0\n  repository: https://example.com\n",
    )]);
    assert_eq!(same_as_helm(dir.path(), |_| {}), 1);
}

#[test]
fn library_chart() {
    let dir = chart(&[(
        "Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 0.1.0\ntype: library\n",
    )]);
    assert_eq!(same_as_helm(dir.path(), |_| {}), 1);
}

#[test]
fn files_get_cannot_escape_the_chart() {
    let dir = chart(&[
        CHART,
        (
            "templates/cm.yaml",
            "a: {{ .Files.Get \"../../etc/passwd\" | quote }}\nb: {{ .Files.Get \"../Chart.yaml\" | quote }}\n",
        ),
    ]);
    assert_eq!(same_as_helm(dir.path(), |_| {}), 0);
}

#[test]
fn template_errors() {
    let dir = chart(&[CHART, ("templates/cm.yaml", "a: {{ .Values.x.y.z }}\n")]);
    assert_eq!(same_as_helm(dir.path(), |_| {}), 1);
    let dir = chart(&[CHART, ("templates/cm.yaml", "a: {{ nofunc }}\n")]);
    assert_eq!(same_as_helm(dir.path(), |_| {}), 1);
    let dir = chart(&[CHART, ("templates/cm.yaml", "a: b: c\n")]);
    assert_eq!(same_as_helm(dir.path(), |_| {}), 1);
}

#[test]
fn symlink_out_of_the_chart() {
    let dir = chart(&[
        CHART,
        (
            "templates/cm.yaml",
            "kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: y\n",
        ),
    ]);
    let outside = dir.path().join("outside.yaml");
    std::fs::write(
        &outside,
        "kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: x\n",
    )
    .expect("write");
    std::os::unix::fs::symlink(&outside, dir.path().join("c/templates/link.yaml"))
        .expect("symlink");
    std::os::unix::fs::symlink(
        dir.path().join("nowhere"),
        dir.path().join("c/dangling.txt"),
    )
    .expect("symlink");
    same_as_helm(dir.path(), |_| {});
}
