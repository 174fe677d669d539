//! Replays the recorded engine table (testdata/engine/recorded.json, recorded from real helm
//! 4.1.4 and 3.18.0 by scripts/record-engine-cases) through the native engine.
//!
//! A case passes when our output equals helm's byte for byte: the raw rendered template on
//! success, or the exit code and the whole stderr on failure. Cases listed in
//! testdata/engine/known-differences.txt are expected to differ (each line says why, and
//! docs/compatibility.md explains); the test fails if one of them starts passing, so the list
//! stays honest.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use charttest::chart::objects::{KubeVersion, ReleaseOptions};
use charttest::chart::prepare::{prepare, RenderOptions};
use charttest::chart::values::ValueOptions;
use charttest::chart::ChartFile;
use charttest::engine::ExecOptions;
use serde_json::Value as Json;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

struct Expect {
    exit: i64,
    stdout: String,
    stderr: String,
}

fn expect(case: &Json, key: &str) -> Option<Expect> {
    let e = case.get(key)?;
    Some(Expect {
        exit: e.get("exit")?.as_i64()?,
        stdout: e.get("stdout")?.as_str()?.to_string(),
        stderr: e.get("stderr")?.as_str()?.to_string(),
    })
}

fn strs(case: &Json, key: &str) -> Vec<String> {
    case.get(key)
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Renders a case natively: Ok(raw text of templates/t.yaml) or Err(stderr as the CLI prints).
fn render(case: &Json, helm_major: u32) -> Result<String, String> {
    let mut files = vec![ChartFile {
        name: "Chart.yaml".into(),
        data: Arc::from(case["chart_yaml"].as_str().unwrap_or("").as_bytes()),
    }];
    if let Some(v) = case.get("values").and_then(Json::as_str) {
        files.push(ChartFile {
            name: "values.yaml".into(),
            data: Arc::from(v.as_bytes()),
        });
    }
    if let Some(extra) = case.get("files").and_then(Json::as_object) {
        for (name, content) in extra {
            files.push(ChartFile {
                name: name.clone(),
                data: Arc::from(content.as_str().unwrap_or("").as_bytes()),
            });
        }
    }
    files.push(ChartFile {
        name: "templates/t.yaml".into(),
        data: Arc::from(case["template"].as_str().unwrap_or("").as_bytes()),
    });
    let err = |m: String| format!("Error: {m}\n");
    let hint = |m: String| format!("Error: {m}\n\nUse --debug flag to render out invalid YAML\n");
    let vopts = ValueOptions {
        values: strs(case, "set"),
        string_values: strs(case, "set_string"),
        json_values: strs(case, "set_json"),
        ..ValueOptions::default()
    };
    let user_values = vopts
        .merge(&|p: &str| Err(format!("open {p}: no such file or directory")))
        .map_err(|e| err(e.0))?;
    let chart = charttest::chart::load::load_files(files).map_err(|e| err(e.0))?;
    let kube_version = match case.get("kube_version").and_then(Json::as_str) {
        Some(k) => Some(
            KubeVersion::parse(k, helm_major)
                .map_err(|e| err(format!("invalid kube version '{k}': {e}")))?,
        ),
        None => None,
    };
    let ropts = RenderOptions {
        helm_major,
        release: ReleaseOptions {
            name: case["release_name"].as_str().unwrap_or("rel").into(),
            namespace: case["namespace"].as_str().unwrap_or("default").into(),
            revision: 1,
            is_upgrade: case["is_upgrade"].as_bool().unwrap_or(false),
        },
        user_values,
        kube_version,
        api_versions: strs(case, "api_versions"),
        skip_schema_validation: false,
    };
    let prepared = prepare(&chart, &ropts).map_err(|e| {
        if e.0.starts_with("chart requires kubeVersion") {
            hint(e.0)
        } else {
            err(e.0)
        }
    })?;
    let eopts = ExecOptions {
        helm_major,
        seed: Some(1),
        ..ExecOptions::default()
    };
    let files = charttest::render::chart::render_prepared(&prepared, &eopts)
        .map_err(|e| hint(e.helm_message()))?;
    Ok(files.get("c/templates/t.yaml").cloned().unwrap_or_default())
}

fn known_differences() -> BTreeSet<String> {
    let path = format!("{ROOT}/testdata/engine/known-differences.txt");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

fn run_table(key: &str, helm_major: u32) {
    let text = std::fs::read_to_string(format!("{ROOT}/testdata/engine/recorded.json"))
        .expect("testdata/engine/recorded.json is part of the repository");
    let cases: Vec<Json> = serde_json::from_str(&text).expect("recorded.json is valid JSON");
    let known = known_differences();
    let mut failed: BTreeMap<String, String> = BTreeMap::new();
    let mut unexpectedly_passing = Vec::new();
    let mut total = 0;
    for case in &cases {
        let Some(want) = expect(case, key) else {
            continue;
        };
        total += 1;
        let name = case["name"].as_str().unwrap_or("?").to_string();
        let got = render(case, helm_major);
        let ok = match (&got, want.exit) {
            (Ok(out), 0) => *out == want.stdout,
            (Err(stderr), exit) if exit != 0 => *stderr == want.stderr,
            _ => false,
        };
        let tag = format!("{key}:{name}");
        if ok {
            if known.contains(&tag) {
                unexpectedly_passing.push(tag);
            }
        } else if !known.contains(&tag) {
            let detail = match got {
                Ok(out) => format!("ours: Ok({out:?})"),
                Err(e) => format!("ours: Err({e:?})"),
            };
            let theirs = if want.exit == 0 {
                format!("helm: Ok({:?})", want.stdout)
            } else {
                format!("helm: Err({:?})", want.stderr)
            };
            failed.insert(tag, format!("{detail}\n    {theirs}"));
        }
    }
    println!(
        "{key}: {total} cases, {} unexpected differences",
        failed.len()
    );
    let mut report = String::new();
    for (name, d) in &failed {
        report.push_str(&format!("  {name}\n    {d}\n"));
    }
    assert!(
        total >= 600,
        "the table must hold at least 600 cases, has {total}"
    );
    assert!(
        failed.is_empty(),
        "{} cases differ from {key}:\n{report}",
        failed.len()
    );
    assert!(
        unexpectedly_passing.is_empty(),
        "these cases now match helm; remove them from known-differences.txt: {unexpectedly_passing:?}"
    );
}

#[test]
fn engine_cases_match_helm4() {
    run_table("helm4", 4);
}

#[test]
fn engine_cases_match_helm3() {
    run_table("helm3", 3);
}
