//! `fuzz` over the charts in `testdata/fuzz/`: each has a seeded template bug reachable only
//! through particular schema-valid values (its `expect.yaml` says what kind of failure, where,
//! and which values keys the reproducer must set). Fuzz must find it within 1,000 runs for
//! several seeds, shrink it to a reproducer that `template` fails on too, and be deterministic.

use std::path::{Path, PathBuf};

use charttest::cli::fuzz::{run, Format, FuzzArgs};
use charttest::cli::template::{self, TemplateArgs};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fuzz")
}

fn charts() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expect.yaml").exists())
        .collect();
    v.sort();
    v
}

struct Expect {
    kind: String,
    signature_contains: String,
    repro_keys: Vec<String>,
}

fn expect(dir: &Path) -> Expect {
    let text = std::fs::read_to_string(dir.join("expect.yaml")).unwrap();
    let j = charttest::chart::schema::to_json(&charttest::engine::yaml::parse(&text).unwrap());
    Expect {
        kind: j["kind"].as_str().unwrap().into(),
        signature_contains: j["signature_contains"].as_str().unwrap().into(),
        repro_keys: j["repro_keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect(),
    }
}

fn fuzz_json(dir: &Path, seed: u64) -> (i32, serde_json::Value) {
    let mut args = FuzzArgs::new(dir.display().to_string());
    args.seed = seed;
    args.runs = 1000;
    args.output = Format::Json;
    let out = run(&args);
    assert_ne!(out.exit, 2, "{}: {}", dir.display(), out.stderr);
    (out.exit, serde_json::from_str(&out.stdout).unwrap())
}

#[test]
fn every_seeded_bug_is_found_within_1000_runs_and_shrunk() {
    let charts = charts();
    assert!(charts.len() >= 8, "only {} fuzz charts", charts.len());
    let tmp = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    for dir in &charts {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let want = expect(dir);
        // The bug is not reachable with the chart's defaults.
        let defaults = template::run(&TemplateArgs::for_chart(dir.display().to_string()));
        if defaults.exit != 0 {
            problems.push(format!(
                "{name}: the defaults already fail: {}",
                defaults.stderr
            ));
        }
        for seed in 0..4 {
            let (exit, report) = fuzz_json(dir, seed);
            let found = report["failures"].as_array().unwrap().iter().find(|f| {
                f["kind"] == want.kind.as_str()
                    && f["signature"]
                        .as_str()
                        .unwrap()
                        .contains(&want.signature_contains)
            });
            let Some(f) = found else {
                problems.push(format!("{name} seed {seed}: not found: {report}"));
                continue;
            };
            assert_eq!(exit, 1);
            let first = f["first_run"].as_u64().unwrap();
            assert!(first > 0 && first < 1000, "{name}: first run {first}");
            let repro = f["repro_yaml"].as_str().unwrap();
            for k in &want.repro_keys {
                if !repro.contains(&format!("{k}:")) {
                    problems.push(format!("{name} seed {seed}: reproducer lacks {k}: {repro}"));
                }
            }
            if seed > 0 {
                continue;
            }
            // The shrunk values file reproduces through the template command.
            let file = tmp.path().join(format!("{name}.yaml"));
            std::fs::write(&file, repro).unwrap();
            let mut t = TemplateArgs::for_chart(dir.display().to_string());
            t.vals.values = vec![file.display().to_string()];
            let out = template::run(&t);
            match want.kind.as_str() {
                "template-error" | "yaml-error" => {
                    if out.exit == 0 {
                        problems.push(format!("{name}: reproducer renders fine: {repro}"));
                    }
                }
                _ => {
                    // Renders, but the manifest is broken; the check names the problem.
                    if out.exit != 0 {
                        problems.push(format!(
                            "{name}: reproducer fails to render: {}",
                            out.stderr
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_same_seed_gives_the_same_report() {
    let dir = root().join("ingress-tls-combo");
    let (_, a) = fuzz_json(&dir, 7);
    let (_, b) = fuzz_json(&dir, 7);
    assert_eq!(a, b);
}

#[test]
fn human_output_prints_the_reproducer_and_the_command() {
    let dir = root().join("enum-nil-field");
    let tmp = tempfile::tempdir().unwrap();
    let mut args = FuzzArgs::new(dir.display().to_string());
    args.runs = 200;
    args.repro_dir = Some(tmp.path().to_path_buf());
    let out = run(&args);
    assert_eq!(out.exit, 1);
    assert!(
        out.stdout.contains("FAIL 1: template error"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("    mode: advanced"), "{}", out.stdout);
    assert!(
        out.stdout.contains("reproduce: posthog-charttest template"),
        "{}",
        out.stdout
    );
    let written = std::fs::read_to_string(tmp.path().join("repro-1.yaml")).unwrap();
    assert_eq!(written, "mode: advanced\n");
}

#[test]
fn a_chart_without_schema_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("Chart.yaml"),
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    )
    .unwrap();
    let out = run(&FuzzArgs::new(tmp.path().display().to_string()));
    assert_eq!(out.exit, 2);
    assert!(
        out.stderr.contains("has no values.schema.json"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_clean_chart_passes() {
    // The upgrade test charts have no schema; build a correct one here.
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path();
    std::fs::create_dir(c.join("templates")).unwrap();
    std::fs::write(
        c.join("Chart.yaml"),
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(c.join("values.yaml"), "replicas: 1\nmode: a\n").unwrap();
    std::fs::write(
        c.join("values.schema.json"),
        r#"{"type":"object","properties":{"replicas":{"type":"integer","minimum":0,"maximum":9},"mode":{"enum":["a","b"]},"extra":{"type":"object","additionalProperties":{"type":"string"}}}}"#,
    )
    .unwrap();
    std::fs::write(
        c.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-c\ndata:\n  replicas: {{ .Values.replicas | quote }}\n  mode: {{ .Values.mode | quote }}\n  {{- with .Values.extra }}\n  {{- toYaml . | nindent 2 }}\n  {{- end }}\n",
    )
    .unwrap();
    let mut args = FuzzArgs::new(c.display().to_string());
    args.runs = 300;
    let out = run(&args);
    assert_eq!(out.exit, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("0 distinct failure(s)"),
        "{}",
        out.stdout
    );
}
