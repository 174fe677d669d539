//! Every chart under testdata/lint/ is linted; it must report exactly the findings its
//! expect.yaml lists (rule, file, line, and scenario when given), nothing else, and exit with
//! the expected code.

use std::path::Path;

use charttest::cli::lint::{Color, Format, LintArgs};
use clap::Parser;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Key {
    rule: String,
    file: String,
    line: u64,
    scenario: Option<String>,
}

#[derive(clap::Parser)]
struct Wrapper {
    #[command(flatten)]
    args: LintArgs,
}

fn run_case(dir: &Path) -> Result<(), String> {
    let expect_text =
        std::fs::read_to_string(dir.join("expect.yaml")).map_err(|e| e.to_string())?;
    let v = charttest::engine::yaml::parse(&expect_text).map_err(|e| e.to_string())?;
    let expect = charttest::chart::schema::to_json(&v);
    let mut argv: Vec<String> = vec!["lint".into(), dir.display().to_string()];
    if let Some(a) = expect.get("args").and_then(|a| a.as_array()) {
        argv.extend(a.iter().filter_map(|x| x.as_str().map(str::to_string)));
    }
    let mut args = Wrapper::try_parse_from(&argv)
        .map_err(|e| e.to_string())?
        .args;
    args.output = Format::Json;
    args.color = Color::Never;
    let out = charttest::cli::lint::run(&args);
    let got: serde_json::Value = serde_json::from_str(&out.stdout)
        .map_err(|e| format!("bad JSON ({e}): {}\n{}", out.stdout, out.stderr))?;
    let mut want: Vec<Key> = expect["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| Key {
            rule: f["rule"].as_str().unwrap_or("").into(),
            file: f["file"].as_str().unwrap_or("").into(),
            line: f["line"].as_f64().unwrap_or(0.0) as u64,
            scenario: f
                .get("scenario")
                .and_then(|s| s.as_str())
                .map(str::to_string),
        })
        .collect();
    let any_scenario = want.iter().all(|k| k.scenario.is_none());
    let mut have: Vec<Key> = got
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| Key {
            rule: f["rule"].as_str().unwrap_or("").into(),
            file: f["file"].as_str().unwrap_or("").into(),
            line: f["line"].as_f64().unwrap_or(0.0) as u64,
            scenario: if any_scenario {
                None
            } else {
                f["scenario"].as_str().map(str::to_string)
            },
        })
        .collect();
    want.sort();
    have.sort();
    if want != have {
        return Err(format!(
            "want {want:#?}\nhave {have:#?}\nfull output: {}",
            out.stdout
        ));
    }
    let want_exit = expect
        .get("exit")
        .and_then(|e| e.as_f64())
        .map(|e| e as i64)
        .unwrap_or_else(|| {
            let errors = got
                .as_array()
                .map(|a| a.iter().any(|f| f["severity"] == "error"))
                .unwrap_or(false);
            i64::from(errors)
        });
    if i64::from(out.exit) != want_exit {
        return Err(format!(
            "exit {} (want {want_exit}); stderr: {}",
            out.exit, out.stderr
        ));
    }
    // Every finding carries the JSON fields the README documents.
    for f in got.as_array().cloned().unwrap_or_default() {
        for key in [
            "rule", "severity", "scenario", "file", "line", "kind", "name", "message",
        ] {
            if f.get(key).is_none() {
                return Err(format!("finding without {key}: {f}"));
            }
        }
    }
    Ok(())
}

#[test]
fn lint_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/lint");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("testdata/lint")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expect.yaml").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 40, "only {} cases", dirs.len());
    let mut failures = Vec::new();
    for d in &dirs {
        if let Err(e) = run_case(d) {
            failures.push(format!(
                "{}: {e}",
                d.file_name().unwrap_or_default().to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}
