//! `lint`'s report formats, exit codes and usage errors, in-process.

use std::path::Path;

use charttest::cli::lint::{run, Color, Format, LintArgs};

fn case(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/lint")
        .join(name)
        .display()
        .to_string()
}

fn args(chart: String, output: Format) -> LintArgs {
    LintArgs {
        chart,
        output,
        color: Color::Never,
        ..LintArgs::default()
    }
}

#[test]
fn sarif_is_2_1_0_with_rules_and_locations() {
    let out = run(&args(case("schema-unknown-field"), Format::Sarif));
    assert_eq!(out.exit, 1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run0 = &v["runs"][0];
    assert!(run0["tool"]["driver"]["rules"].as_array().unwrap().len() >= 30);
    let r = &run0["results"][0];
    assert_eq!(r["ruleId"], "schema-unknown-field");
    assert_eq!(r["level"], "error");
    let loc = &r["locations"][0]["physicalLocation"];
    assert!(loc["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .ends_with("schema-unknown-field/templates/deployment.yaml"));
    assert!(loc["region"]["startLine"].as_u64().unwrap() > 0);
    let idx = r["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(
        run0["tool"]["driver"]["rules"][idx]["id"],
        "schema-unknown-field"
    );
}

#[test]
fn junit_has_a_failure_per_finding_and_a_pass_for_clean_scenarios() {
    let out = run(&args(case("policy-image-tag"), Format::Junit));
    assert!(out.stdout.starts_with("<?xml"));
    assert!(out.stdout.contains("<failure type=\"warning\""));
    assert!(out.stdout.contains("&quot;nginx:latest&quot;"));
    let clean = run(&args(case("clean-workload"), Format::Junit));
    assert!(clean
        .stdout
        .contains("<testcase classname=\"default\" name=\"lint\"/>"));
    assert!(!clean.stdout.contains("<failure"));
}

#[test]
fn human_output_shows_the_source_line() {
    let out = run(&args(case("schema-unknown-field"), Format::Human));
    assert!(out.stdout.contains("schema-unknown-field"));
    assert!(out.stdout.contains("|           imagePullPolcy: Always"));
    assert!(!out.stdout.contains('\x1b'), "no colour with --color never");
    assert!(out.stdout.contains("1 error(s)"));
}

#[test]
fn exit_codes() {
    // Clean: 0; warnings only: 0, 1 with --strict; render failure: 2; missing chart: 2.
    assert_eq!(run(&args(case("clean-workload"), Format::Json)).exit, 0);
    assert_eq!(run(&args(case("policy-image-tag"), Format::Json)).exit, 0);
    let mut strict = args(case("policy-image-tag"), Format::Json);
    strict.strict = true;
    assert_eq!(run(&strict).exit, 1);
    assert_eq!(run(&args(case("template-render"), Format::Json)).exit, 2);
    let missing = run(&args("no/such/chart".into(), Format::Json));
    assert_eq!(missing.exit, 2);
    assert!(missing.stderr.contains("no/such/chart"));
}

#[test]
fn usage_errors_exit_2() {
    let mut a = args(case("clean-workload"), Format::Json);
    a.kube_version = vec!["1.12".into()];
    let out = run(&a);
    assert_eq!(out.exit, 2);
    assert!(out.stderr.contains("1.25–1.37"), "{}", out.stderr);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.yaml");
    std::fs::write(&cfg, "lint:\n  disable: [no-such-rule]\n").unwrap();
    let mut a = args(case("clean-workload"), Format::Json);
    a.config = Some(cfg);
    let out = run(&a);
    assert_eq!(out.exit, 2);
    assert!(
        out.stderr.contains("unknown rule \"no-such-rule\""),
        "{}",
        out.stderr
    );
}

#[test]
fn kube_version_ranges() {
    use charttest::cli::lint::parse_versions;
    assert_eq!(
        parse_versions(&["1.28-1.30,v1.33.2".into()]).unwrap(),
        vec![28, 29, 30, 33]
    );
    assert!(parse_versions(&["2.1".into()]).is_err());
    assert!(parse_versions(&["1.30-1.28".into()]).is_err());
}
