//! `posthog-charttest test` on testdata/unittest: every assertion type passing and failing,
//! with our messages and exit codes, and bad suites reported with file:line while the other
//! suites still run.

use std::path::PathBuf;

use charttest::cli::test::{run, TestArgs};

fn chart() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/unittest/chart")
}

fn args(files: &str) -> TestArgs {
    TestArgs {
        charts: vec![chart()],
        files: vec![files.to_string()],
        // CI mode: snapshot files are never written, a missing entry fails.
        ci: Some(true),
        output_type: "junit".into(),
        color: "never".into(),
        with_subchart: true,
        ..Default::default()
    }
}

#[test]
fn every_assertion_type_passes() {
    let o = run(&args("tests/*_test.yaml"));
    assert_eq!(o.exit, 0, "{}", o.stdout);
    assert!(
        o.stdout.contains("11 tests run: 11 passed, 1 skipped"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("SKIP"), "{}", o.stdout);
    assert!(!o.stdout.contains("FAIL"), "{}", o.stdout);
}

/// (test name, text its failure must show)
const FAILURES: &[(&str, &str)] = &[
    ("equal", "Expected to equal:\n                    3\n                  Actual:\n                    2"),
    ("int is not float", "Expected to equal:\n                    2.5"),
    ("notEqual", "Expected NOT to equal:\n                    2"),
    ("exists", "Path:  spec.nope expected to exists"),
    ("notExists", "Path:  spec.replicas expected to NOT exists"),
    ("matchRegex", "Expected to match:\n                    ^prod-\n                  Actual:\n                    RELEASE-NAME-demo"),
    ("contains", "-- containerPort: 80\n"),
    ("isSubset", "Expected to contain:\n                    chart: other"),
    ("lengthEqual", "Expected to match count:\n                    3\n                  Actual:\n                    1"),
    ("isKind", "Expected to be kind:\n                    StatefulSet\n                  Actual:\n                    Deployment"),
    ("isAPIVersion", "Expected to be apiVersion:\n                    v1"),
    ("hasDocuments", "Expected documents count to be:\n                    2\n                  Actual:\n                    1"),
    ("isNullOrEmpty", "Expected to be null or empty, got:\n                    2"),
    ("isType", "Expected to be of type:\n                    string\n                  Actual:\n                    int"),
    ("greaterOrEqual", "the actual '2' is not greater or equal to the expected '10'"),
    ("containsDocument", "Expected to contain document:\n                    Kind = Service, apiVersion = v1"),
    ("equalRaw", "Expected to equal:\n                    something else"),
    ("matchRegexRaw", "Expected to match:\n                    goodbye"),
    ("failedTemplate when the render succeeds", "Error: Invalid rendering"),
    ("failedTemplate with another message", "Expected to equal:\n                    something else\n                  Actual:\n                    secret name is required"),
    ("notFailedTemplate", "Error: execution error at (demo/templates/secret.yaml:4:11): secret name is required"),
    ("snapshot differs", "Expected to match snapshot 1:"),
    ("missing template", "template \"demo/templates/nothere.yaml\" not exists or not selected in test suite"),
];

#[test]
fn every_assertion_type_fails_with_its_message() {
    let o = run(&args("tests_failed/*_test.yaml"));
    assert_eq!(o.exit, 1, "{}", o.stdout);
    assert!(
        o.stdout.contains(&format!(
            "{n} tests run: 0 passed, {n} failed",
            n = FAILURES.len()
        )),
        "{}",
        o.stdout
    );
    for (name, text) in FAILURES {
        let block = failure_block(&o.stdout, name)
            .unwrap_or_else(|| panic!("no FAIL line for {name}:\n{}", o.stdout));
        assert!(
            block.contains(text),
            "{name}: expected {text:?} in\n{block}"
        );
    }
}

/// The FAIL line of test `name` and the indented detail lines under it.
fn failure_block(out: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = out.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.trim_start().starts_with("FAIL [") && l.ends_with(&format!("› {name}")))?;
    let mut block = String::new();
    for l in &lines[i + 1..] {
        if !l.starts_with("              ") {
            break;
        }
        block.push_str(l);
        block.push('\n');
    }
    Some(block)
}

#[test]
fn bad_suites_name_file_and_line_and_the_rest_still_run() {
    let o = run(&args("tests_bad/*_test.yaml"));
    assert_eq!(o.exit, 1, "{}", o.stdout);
    for text in [
        "tests_bad/unknown_assertion_test.yaml:7: Assertion type `equals` is invalid (did you mean `equal`?)",
        "tests_bad/bad_jsonpath_test.yaml:7: bad JSONPath",
        "tests_bad/__snapshot__/snapshot_test.yaml.snap:4: malformed snapshot file",
        "(tests_bad/missing_template_test.yaml:6)",
        "template \"demo/templates/nothere.yaml\" not exists or not selected in test suite",
    ] {
        assert!(o.stdout.contains(text), "missing {text:?} in\n{}", o.stdout);
    }
    assert!(o.stdout.contains("PASS ["), "{}", o.stdout);
    assert!(
        o.stdout.contains("tests_bad/good_test.yaml › passes"),
        "{}",
        o.stdout
    );
}

#[test]
fn json_and_junit_reports() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let mut a = args("tests_failed/*_test.yaml");
    a.output_type = "json".into();
    a.output_file = Some(json.clone());
    assert_eq!(run(&a).exit, 1);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["counts"]["failed"], FAILURES.len());
    assert_eq!(v["passed"], false);

    let xml = dir.path().join("r.xml");
    let mut a = args("tests/*_test.yaml");
    a.output_file = Some(xml.clone());
    assert_eq!(run(&a).exit, 0);
    let text = std::fs::read_to_string(&xml).unwrap();
    assert_eq!(text.matches("<testcase ").count(), 12, "{text}");
    assert!(text.contains("<skipped message=\"not ready\">"), "{text}");
}

#[test]
fn ci_mode_fails_on_a_missing_snapshot_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("snap_test.yaml");
    std::fs::write(
        &suite,
        "templates: [deployment.yaml]\ntests:\n  - it: new snapshot\n    asserts:\n      - matchSnapshot: {path: spec.replicas}\n",
    )
    .unwrap();
    let mut a = args(suite.to_str().unwrap());
    let o = run(&a);
    assert_eq!(o.exit, 1, "{}", o.stdout);
    assert!(
        o.stdout.contains("--ci does not write new snapshots"),
        "{}",
        o.stdout
    );
    assert!(!dir.path().join("__snapshot__").exists());
    a.ci = Some(false);
    assert_eq!(run(&a).exit, 0);
    let snap = dir.path().join("__snapshot__/snap_test.yaml.snap");
    assert_eq!(
        std::fs::read_to_string(&snap).unwrap(),
        "new snapshot:\n  1: |\n    2\n"
    );
    a.ci = Some(true);
    assert_eq!(run(&a).exit, 0);
}

#[test]
fn coverage_reports_lines_and_branches() {
    let dir = tempfile::tempdir().unwrap();
    let lcov = dir.path().join("cov.info");
    let mut a = args("tests/*_test.yaml");
    a.coverage_lcov = Some(lcov.clone());
    let o = run(&a);
    assert_eq!(o.exit, 0, "{}", o.stdout);
    assert!(
        o.stdout.contains("demo/templates/deployment.yaml"),
        "{}",
        o.stdout
    );
    let text = std::fs::read_to_string(&lcov).unwrap();
    assert!(text.contains("templates/monitor.yaml"), "{text}");
    // monitor.yaml's `if` ran both ways across the suites.
    let monitor = text
        .split("end_of_record")
        .find(|r| r.contains("monitor.yaml"))
        .unwrap();
    assert!(
        monitor.contains("BRDA:1,") && monitor.contains("BRH:2"),
        "{monitor}"
    );
}
