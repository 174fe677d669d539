//! No false error on the public charts of ../shared/conformance: each is linted with its own
//! values and its `ci/*-values.yaml` scenarios, for the target versions its Chart.yaml
//! allows, and must report no error-level finding (warnings are policy advice).

use std::path::Path;

use charttest::cli::lint::{Color, Format, LintArgs};

#[test]
fn corpus_charts_have_no_errors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/charts");
    let root = if root.is_dir() {
        root
    } else {
        Path::new("/work/shared/conformance/charts").to_path_buf()
    };
    let Ok(entries) = std::fs::read_dir(&root) else {
        eprintln!("skipped: no conformance corpus at {}", root.display());
        return;
    };
    let mut charts: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    charts.sort();
    let mut bad = Vec::new();
    for c in &charts {
        let args = LintArgs {
            chart: c.display().to_string(),
            output: Format::Json,
            color: Color::Never,
            ..LintArgs::default()
        };
        let out = charttest::cli::lint::run(&args);
        let findings: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_default();
        let errors: Vec<_> = findings
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|f| f["severity"] == "error")
            .collect();
        if out.exit != 0 || !errors.is_empty() {
            bad.push(format!(
                "{}: exit {} {errors:#?} {}",
                c.display(),
                out.exit,
                out.stderr
            ));
        }
    }
    assert!(charts.len() >= 10, "corpus has {} charts", charts.len());
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
