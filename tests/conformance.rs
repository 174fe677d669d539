//! Renders every scenario of ../shared/conformance/corpus.yaml natively and with the real helm
//! binaries (installed by scripts/install-tools.sh) and checks how many are identical after
//! masking what two helm runs already disagree on. Without ../shared (a user's clone) the test
//! prints a notice and checks nothing.

use std::path::{Path, PathBuf};

use charttest::cli::conformance::{judge, read_corpus};

fn setup(helm_dir: &str) -> Option<(PathBuf, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../shared/conformance/corpus.yaml");
    if !corpus.exists() {
        println!("notice: ../shared/conformance is absent; skipping the corpus conformance check");
        return None;
    }
    let helm = root.join(".tools").join(helm_dir).join("helm");
    assert!(
        helm.exists(),
        "{} is missing: run scripts/install-tools.sh (scripts/test.sh does)",
        helm.display()
    );
    Some((corpus, helm))
}

fn run(helm_dir: &str, compat: u32) -> (usize, usize, Vec<String>) {
    let Some((corpus, helm)) = setup(helm_dir) else {
        return (0, 0, Vec::new());
    };
    let scenarios = read_corpus(&corpus).expect("corpus parses");
    assert_eq!(scenarios.len(), 67, "the corpus lists 67 scenarios");
    let dir = corpus.parent().expect("corpus has a folder");
    let mut identical = 0;
    let mut differing = Vec::new();
    for sc in &scenarios {
        let v = judge(dir, sc, &helm, compat);
        if v.result == "identical" {
            identical += 1;
        } else {
            differing.push(format!("{} {}\n{}", v.result, v.scenario, v.detail));
        }
    }
    println!("helm {helm_dir}: {identical}/{} identical", scenarios.len());
    (identical, scenarios.len(), differing)
}

#[test]
fn corpus_matches_helm4() {
    let (identical, total, differing) = run("helm-4.1.4", 4);
    // Acceptance: at least 98% identical to helm 4.1.4.
    assert!(
        identical * 100 >= total * 98,
        "{identical}/{total} identical; differences:\n{}",
        differing.join("\n")
    );
}

#[test]
fn corpus_matches_helm3() {
    let (identical, total, differing) = run("helm-3.18.0", 3);
    // Acceptance: at least 95% identical to helm 3.18.0.
    assert!(
        identical * 100 >= total * 95,
        "{identical}/{total} identical; differences:\n{}",
        differing.join("\n")
    );
}
