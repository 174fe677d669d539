//! Replays the recorded engine table (testdata/engine/recorded.json, recorded from real helm
//! 4.1.4 and 3.18.0 by scripts/record-engine-cases) through the native engine.
//!
//! A case passes when our output equals helm's byte for byte: the raw rendered template on
//! success, or the exit code and the whole stderr on failure. Cases listed in
//! testdata/engine/known-differences.txt are expected to differ (each line says why, and
//! docs/compatibility.md explains); the test fails if one of them starts passing, so the list
//! stays honest.

use std::collections::{BTreeMap, BTreeSet};

use charttest::cli::template::{render_files, TemplateArgs};

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

/// Renders a case natively through the CLI's own pipeline: Ok(raw text of templates/t.yaml)
/// or Err(stderr as the CLI prints it).
fn render(case: &Json, helm_major: u32) -> Result<String, String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let chart = dir.path().join("c");
    let write = |name: &str, content: &str| {
        let p = chart.join(name);
        std::fs::create_dir_all(p.parent().expect("has parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    };
    write("Chart.yaml", case["chart_yaml"].as_str().unwrap_or(""));
    if let Some(v) = case.get("values").and_then(Json::as_str) {
        write("values.yaml", v);
    }
    if let Some(extra) = case.get("files").and_then(Json::as_object) {
        for (name, content) in extra {
            write(name, content.as_str().unwrap_or(""));
        }
    }
    write("templates/t.yaml", case["template"].as_str().unwrap_or(""));
    let mut args = TemplateArgs::for_chart(chart.display().to_string());
    args.args.insert(
        0,
        case["release_name"].as_str().unwrap_or("rel").to_string(),
    );
    args.namespace = case["namespace"].as_str().unwrap_or("default").to_string();
    args.vals.set = strs(case, "set");
    args.vals.set_string = strs(case, "set_string");
    args.vals.set_json = strs(case, "set_json");
    args.api_versions = strs(case, "api_versions");
    args.kube_version = case
        .get("kube_version")
        .and_then(Json::as_str)
        .map(str::to_string);
    args.is_upgrade = case["is_upgrade"].as_bool().unwrap_or(false);
    args.helm_compat = helm_major;
    args.seed = Some(1);
    match render_files(&args) {
        Ok(r) => Ok(r
            .files
            .get("c/templates/t.yaml")
            .cloned()
            .unwrap_or_default()),
        Err(o) => Err(o.stderr),
    }
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
