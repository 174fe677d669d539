//! Schema validation throughput (objects per second): every object that `template` renders for
//! the conformance corpus charts, validated against the Kubernetes 1.33 schemas, alone and
//! together with YAML parsing. Run: `cargo bench --bench lint`.

use std::path::Path;

use charttest::cli::template::{render_files, TemplateArgs};
use charttest::engine::yaml::{parse_nodes, Node};
use charttest::lint::objects::str_at;
use charttest::lint::schema::{store, Validator};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Rendered documents of the corpus charts (text per template file).
fn corpus_texts() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/charts");
    let root = if root.is_dir() {
        root
    } else {
        Path::new("/work/shared/conformance/charts").to_path_buf()
    };
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&root) else {
        return out;
    };
    for e in entries.flatten() {
        let mut args = TemplateArgs::for_chart(e.path().display().to_string());
        args.seed = Some(1);
        if let Ok(r) = render_files(&args) {
            out.extend(
                r.files
                    .into_iter()
                    .filter(|(k, _)| k.ends_with(".yaml"))
                    .map(|(_, v)| v),
            );
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let texts = corpus_texts();
    let docs: Vec<Node> = texts
        .iter()
        .flat_map(|t| parse_nodes(t).unwrap_or_default())
        .collect();
    let v = store::version(33).expect("schemas");
    let targets: Vec<(&Node, u32)> = docs
        .iter()
        .filter_map(|d| {
            let id = v.lookup(str_at(d, &["apiVersion"])?, str_at(d, &["kind"])?)?;
            Some((d, id))
        })
        .collect();
    assert!(!targets.is_empty(), "no corpus objects to validate");
    let mut g = c.benchmark_group("schema");
    g.throughput(Throughput::Elements(targets.len() as u64));
    g.bench_function("validate", |b| {
        b.iter(|| {
            let mut n = 0;
            for (d, id) in &targets {
                n += Validator::new(v.graph()).validate(d, *id).len();
            }
            n
        })
    });
    g.throughput(Throughput::Elements(docs.len() as u64));
    g.bench_function("parse_and_validate", |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &texts {
                for d in parse_nodes(t).unwrap_or_default() {
                    let id = str_at(&d, &["apiVersion"])
                        .zip(str_at(&d, &["kind"]))
                        .and_then(|(a, k)| v.lookup(a, k));
                    if let Some(id) = id {
                        n += Validator::new(v.graph()).validate(&d, id).len();
                    }
                }
            }
            n
        })
    });
    g.finish();
    c.bench_function("schema/compile_version", |b| {
        // Compiling a version happens once per process; measure a fresh compile via a version
        // not yet used in this process the first time, then the cached lookup.
        b.iter(|| store::version(30).map(|v| v.minor).unwrap_or(0))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
