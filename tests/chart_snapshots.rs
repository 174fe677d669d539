//! Snapshot of the native render of every charts/posthog scenario (`ci/*-values.yaml`), kept
//! under `snapshots/` at the repository root, so that every change to the chart shows its
//! render diff in review. Accept changes with `INSTA_UPDATE=always cargo test --test
//! chart_snapshots` (or `cargo insta review`).
//!
//! The render uses a fixed seed and clock, so the snapshot depends on nothing but the chart.

use std::path::Path;

use charttest::cli::template::{run as run_template, TemplateArgs};

#[test]
fn every_scenario_renders_as_snapshotted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chart = root.join("charts/posthog");
    let mut names: Vec<String> = std::fs::read_dir(chart.join("ci"))
        .expect("charts/posthog/ci exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with("-values.yaml"))
        .collect();
    names.sort();
    assert!(names.len() >= 15, "expected the 15 cloud scenarios");

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root.join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for name in &names {
            let mut args = TemplateArgs::for_chart(chart.display().to_string());
            args.args.insert(0, "posthog".into());
            args.namespace = "posthog".into();
            args.vals.values = vec![chart.join("ci").join(name).display().to_string()];
            args.seed = Some(1);
            args.now = Some("2024-01-01T00:00:00Z".into());
            let out = run_template(&args);
            assert_eq!(out.exit, 0, "{name} does not render:\n{}", out.stderr);
            let scenario = name.trim_end_matches("-values.yaml");
            insta::assert_snapshot!(format!("posthog-chart__{scenario}"), out.stdout);
        }
    });
}
