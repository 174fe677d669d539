//! Differential tests of the fast reader ([`super::fast`]) against the full one: whenever the
//! fast reader produces a value, it must be the full reader's, for every YAML file of the
//! repository and the conformance corpus, every document in them, mutations of those, and
//! generated documents. Set `CHARTTEST_YAML_CASES` to run more generated cases,
//! `CHARTTEST_YAML_MUTATIONS` for more mutations of each file's documents (and
//! `CHARTTEST_YAML_SEED` to vary them).

use std::path::{Path, PathBuf};

use super::fast::{self, Keep};
use super::parse_full;
use super::read;
use crate::engine::value::Value;

fn show(v: &Value) -> String {
    super::shape(v)
}

/// The head `parse_head` keeps of a full value, for comparison.
fn head_of(v: &Value) -> String {
    let Value::Map(_, m) = v else {
        return match v {
            Value::List(..) => "list".into(),
            other => show(other),
        };
    };
    let mut out = String::new();
    for key in ["apiVersion", "kind"] {
        if let Some(x) = m.get(key) {
            out.push_str(&format!("{key}={} ", show(&x)));
        }
    }
    if let Some(meta) = m.get("metadata") {
        match &meta {
            Value::Map(_, mm) => {
                out.push_str("meta{");
                for key in ["annotations", "name"] {
                    if let Some(x) = mm.get(key) {
                        out.push_str(&format!("{key}={} ", show(&x)));
                    }
                }
                out.push('}');
            }
            Value::List(..) => out.push_str("meta=list"),
            other => out.push_str(&format!("meta={}", show(other))),
        }
    }
    out
}

const HEAD: Keep = Keep::Only(&[
    ("kind", Keep::All),
    ("apiVersion", Keep::All),
    (
        "metadata",
        Keep::Only(&[("name", Keep::All), ("annotations", Keep::All)]),
    ),
]);

/// Checks every reading of `src` the fast reader accepts; returns whether it accepted the
/// plain one. Panics with the input on a difference.
fn check(src: &str) -> bool {
    let full = read::parse_first_node(src).and_then(|n| read::node_to_value(n.as_ref()));
    let accepted = match fast::parse(src, false, Keep::All) {
        Some(v) => {
            match &full {
                Ok(f) => assert_eq!(show(&v), show(f), "value differs for {src:?}"),
                Err(e) => panic!("fast reader accepted {src:?}; full reader: {e:?}"),
            }
            true
        }
        None => false,
    };
    if let Some(v) = fast::parse(src, true, Keep::All) {
        let f = read::parse_first_node(src)
            .and_then(|n| read::node_to_value_with(n.as_ref(), true))
            .unwrap_or_else(|e| panic!("fast reader accepted {src:?}; full reader: {e:?}"));
        assert_eq!(show(&v), show(&f), "json.Number value differs for {src:?}");
    }
    if let Some(v) = fast::parse(src, false, HEAD) {
        match &full {
            Ok(f) => assert_eq!(head_of(&v), head_of(f), "head differs for {src:?}"),
            Err(e) => panic!("fast head reader accepted {src:?}; full reader: {e:?}"),
        }
    }
    accepted
}

fn yaml_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut dirs = vec![
        root.join("charts"),
        root.join("testdata"),
        root.join("src"),
        root.join("tests"),
        root.join("../shared/conformance"),
    ];
    while let Some(d) = dirs.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p
                .extension()
                .is_some_and(|x| x == "yaml" || x == "yml" || x == "tpl" || x == "txt")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The documents of a file as helm's value loader splits them.
fn documents(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.split_inclusive('\n') {
        if line.starts_with("---") {
            docs.push(String::new());
        } else if let Some(d) = docs.last_mut() {
            d.push_str(line);
        }
    }
    docs
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const ATOMS: &[&str] = &[
    "a",
    "b",
    "key",
    "x y",
    "1",
    "0x1F",
    "1.5",
    "-2",
    "1e3",
    "~",
    "null",
    "yes",
    "no",
    "true",
    "on",
    ".5",
    ".inf",
    ".nan",
    "2001-12-14",
    "<<",
    "-",
    "?",
    ":",
    "a:b",
    "a #b",
    "a#b",
    "http://x",
    "é",
    "日本",
    "''",
    "'it''s'",
    "\"q\"",
    "\"a\\tb\"",
    "\"\\x41\\u00e9\"",
    "\"\\q\"",
    "\"a\\\n  b\"",
    "'a\n  b'",
    "\"a\n\n  b\"",
    "[]",
    "{}",
    "[ ]",
    "[a]",
    "{a: 1}",
    "|",
    "|-",
    "|+",
    ">",
    ">-",
    "|2",
    ">1-",
    "|0",
    "&a x",
    "*a",
    "!!str 1",
    "@x",
    "`x",
    "%x",
    ",",
    "]",
    "[",
    "'",
    "\"",
    " ",
    "  ",
    "\t",
    "\r",
    "# c",
    "_",
    "1_000",
    "0b101",
    "+1",
    "012",
    "a: b",
    "- x",
    "---",
    "...",
    "\u{85}",
    "\u{feff}",
];

const INDENTS: &[&str] = &["", "", " ", "  ", "  ", "    ", "      ", "   "];

/// A random document of block-style lines: keys, entries, scalars, block scalars, comments.
fn generate(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..1 + rng.below(10) {
        s.push_str(rng.pick(INDENTS));
        match rng.below(9) {
            0 | 1 => {
                s.push_str(rng.pick(ATOMS));
                s.push_str(": ");
                s.push_str(rng.pick(ATOMS));
            }
            2 => {
                s.push_str(rng.pick(ATOMS));
                s.push(':');
            }
            3 => {
                s.push_str("- ");
                s.push_str(rng.pick(ATOMS));
            }
            4 => {
                s.push_str("- ");
                s.push_str(rng.pick(ATOMS));
                s.push_str(": ");
                s.push_str(rng.pick(ATOMS));
            }
            5 => {
                s.push_str(rng.pick(ATOMS));
                s.push_str(": ");
                s.push_str(rng.pick(&["|", ">", "|-", ">+", "|2", "|1-", "| # c"]));
            }
            6 => s.push_str(rng.pick(ATOMS)),
            7 => s.push_str(rng.pick(&["# comment", "", "---", "- ", "-"])),
            _ => {
                s.push_str(rng.pick(ATOMS));
                s.push(' ');
                s.push_str(rng.pick(ATOMS));
            }
        }
        if rng.below(8) != 0 {
            s.push('\n');
        }
    }
    s
}

const KEYS: &[&str] = &[
    "a", "name", "x y", "'q k'", "\"d k\"", "1", "true", "1.5", "k-8", "a.b/c", "é", "-k", ":k",
    "k:v", "~", "<<", "? k", "k #c", "&a k", "*a", "[k]", "''", "\"\"",
];

const SCALARS: &[&str] = &[
    "v",
    "1",
    "-1.5e3",
    "0o17",
    "yes",
    "~",
    "",
    "x y  z",
    "a: b",
    "a:b",
    "a #c",
    "a#b",
    "'s'",
    "'it''s'",
    "\"e\\n\\t\\u00e9\\x41\"",
    "\"\\/\\ \\_\"",
    "[]",
    "{}",
    "[a, 'b']",
    "{a: 1, b: [c]}",
    "&a v",
    "*a",
    "!t v",
    "- v",
    "? v",
    ": v",
    "|",
    ">-",
    "日本",
    ".inf",
    "2001-12-14t21:59:43.10-05:00",
    "0x_1F",
    "+12",
    "1_0",
    "null",
    "\"unterminated",
    "'x",
];

/// A random document shaped like real values files and manifests: nested block mappings and
/// sequences (indentless ones too), inline and next-line values, multi-line plain and quoted
/// scalars, block scalars with blank and more-indented lines, flow collections, comments.
fn generate_tree(rng: &mut Rng) -> String {
    let mut out = String::new();
    if rng.below(10) == 0 {
        out.push_str("---\n");
    }
    tree_node(rng, &mut out, 0, 0, true);
    if rng.below(4) == 0 {
        out.pop();
    }
    out
}

fn pad(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn tree_scalar(rng: &mut Rng, out: &mut String, indent: usize) {
    match rng.below(12) {
        0 => {
            // A plain scalar over several lines, with its continuation indented anywhere.
            out.push_str(rng.pick(SCALARS));
            for _ in 0..1 + rng.below(2) {
                out.push('\n');
                if rng.below(3) == 0 {
                    out.push('\n');
                }
                pad(out, indent + rng.below(3));
                out.push_str(rng.pick(&["more", "x: y", "# c", "- z", "w  ", "'q'"]));
            }
            out.push('\n');
        }
        1 => {
            let q = if rng.below(2) == 0 { '\'' } else { '"' };
            out.push(q);
            out.push_str(rng.pick(&["a", "b c", "", "x\\", "it''s"]));
            for _ in 0..rng.below(3) {
                out.push_str(rng.pick(&["\n", "\n\n", " \n", "\\\n"]));
                pad(out, rng.below(indent + 3));
                out.push_str(rng.pick(&["d", " e", "f  ", "---", "#g"]));
            }
            out.push(q);
            out.push_str(rng.pick(&["\n", " # c\n", " x\n", "\n"]));
        }
        2 | 3 => {
            out.push_str(rng.pick(&["|", ">", "|-", "|+", ">-", ">+", "|1", "|2-", ">1+"]));
            out.push_str(rng.pick(&["\n", " # c\n", "\n", " x\n"]));
            let base = indent + 1 + rng.below(3);
            for _ in 0..rng.below(5) {
                match rng.below(6) {
                    0 => out.push('\n'),
                    1 => {
                        pad(out, base + 1 + rng.below(3));
                        out.push_str("deeper\n");
                    }
                    2 => {
                        pad(out, base + rng.below(3));
                        out.push('\n');
                    }
                    _ => {
                        pad(out, base);
                        out.push_str(rng.pick(&["line", "two words", "x: y", "# not a comment"]));
                        out.push('\n');
                    }
                }
            }
        }
        _ => {
            out.push_str(rng.pick(SCALARS));
            out.push_str(rng.pick(&["\n", "\n", " # c\n", "  \n"]));
        }
    }
}

/// A node at column `indent`, the line's indentation already written when `fresh` is false.
fn tree_node(rng: &mut Rng, out: &mut String, indent: usize, depth: usize, fresh: bool) {
    let kind = if depth > 3 { 2 } else { rng.below(3) };
    let step = 1 + rng.below(3);
    match kind {
        0 => {
            for n in 0..1 + rng.below(4) {
                if fresh || n > 0 {
                    if rng.below(6) == 0 {
                        out.push_str(rng.pick(&["\n", "# c\n", "   # c\n"]));
                    }
                    pad(out, indent + usize::from(rng.below(25) == 0));
                }
                out.push_str(rng.pick(KEYS));
                match rng.below(5) {
                    0 | 1 => {
                        out.push_str(": ");
                        tree_scalar(rng, out, indent);
                    }
                    2 => {
                        out.push_str(rng.pick(&[":\n", ": # c\n", ":\n\n"]));
                        let child = if rng.below(4) == 0 {
                            indent
                        } else {
                            indent + step
                        };
                        tree_node(rng, out, child, depth + 1, true);
                    }
                    3 => out.push_str(":\n"),
                    _ => {
                        out.push_str(":\n");
                        pad(out, indent + step);
                        tree_scalar(rng, out, indent + step);
                    }
                }
            }
        }
        1 => {
            for n in 0..1 + rng.below(4) {
                if fresh || n > 0 {
                    pad(out, indent);
                }
                out.push('-');
                match rng.below(5) {
                    0 => {
                        out.push(' ');
                        tree_scalar(rng, out, indent);
                    }
                    1 => {
                        out.push(' ');
                        tree_node(rng, out, indent + 2, depth + 1, false);
                    }
                    2 => {
                        out.push('\n');
                        tree_node(rng, out, indent + step, depth + 1, true);
                    }
                    3 => out.push('\n'),
                    _ => {
                        out.push_str("   ");
                        tree_node(rng, out, indent + 4, depth + 1, false);
                    }
                }
            }
        }
        _ => {
            if fresh {
                pad(out, indent);
            }
            tree_scalar(rng, out, indent);
        }
    }
}

/// `text` with a few random edits: characters inserted, deleted or replaced.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    const ALPHABET: &[char] = &[
        ' ', ' ', '\n', '-', ':', '#', '\'', '"', '|', '>', '[', ']', '{', '}', ',', '&', '*', '!',
        '?', 'a', '1', '.', '\\', '\t',
    ];
    for _ in 0..1 + rng.below(3) {
        let at = if chars.is_empty() {
            0
        } else {
            rng.below(chars.len() + 1)
        };
        match rng.below(3) {
            0 => chars.insert(at, ALPHABET[rng.below(ALPHABET.len())]),
            1 if at < chars.len() => {
                chars.remove(at);
            }
            _ if at < chars.len() => chars[at] = ALPHABET[rng.below(ALPHABET.len())],
            _ => {}
        }
    }
    chars.into_iter().collect()
}

#[test]
fn examples() {
    let cases = [
        "",
        "# only a comment\n",
        "---\n",
        "--- # c\na: 1\n",
        "a: 1\nb:\n  c: [x]\n",
        "a: b\n  c\n",
        "a:\n- x\n- y\nb: 2",
        "- a: 1\n  b: 2\n- c",
        "a: |\n  x\n  y",
        "a: >-\n  x\n  y\n\n  z\n",
        "a: |+\n  x\n\n",
        "a: |2\n    x\n",
        "'a': \"b\\n\"\n",
        "a: 'x\n\n  y'\n",
        "a: \"x\\\n   y\"\n",
        "1: a\n1.5: b\ntrue: c\n",
        "a: .nan\n",
        "~: a\n",
        "a: 1\na: 2\n",
        "a: 1\n b: 2\n",
        "a: b: c\n",
        "a:\n  - b\n  -\n  - c: d\n    e: f\n",
        "key: value # comment\nother: \"q\" # c\n",
        "a: []\nb: {}\nc: [ ]\n",
        "a: [x, 'y', \"z\", [1, {b: c}],]\n",
        "a: [x: y]\n",
        "a: [a:b, a :b, -x, -]\n",
        "a: {x: 1, \"y\": [2], z: {}}\n",
        "a: {x:1}\n",
        "a: [x #c\n  ]\n",
        "a: [x]: y\n",
        "a: [x,,y]\n",
        "a: [x:,]\n",
        "[a, b]\n",
        "a: &x 1\nb: *x\n",
        "a: &x [1, {c: d}]\nb: *x\nc: *x\n",
        "a: *x\n",
        "a: &x\n  b: 1\nc: *x\n",
        "&a k: v\n",
        "a: &x 1\n*x : 2\n",
        "a: &x 1\nb: [*x]\n",
        "a: &x 1\na2: &x 2\nb: *x\n",
        "- &x 'q'\n- *x\n- *x#c\n",
        "a: &x |\n  t\nb: *x",
    ];
    for c in cases {
        check(c);
    }
    // go-yaml's excessive-aliasing check counts every node decoded through an alias.
    let big: Vec<String> = (0..5000).map(|i| i.to_string()).collect();
    let mut doc = format!("- &x [{}]\n", big.join(", "));
    for _ in 0..100 {
        doc.push_str("- *x\n");
    }
    assert!(!check(&doc));
    assert_eq!(
        parse_full(&doc).map(|_| ()).map_err(|e| e.to_string()),
        Err("error converting YAML to JSON: yaml: document contains excessive aliasing".into())
    );
    // What the fast reader must take on, or it is no faster.
    for c in [
        "a: 1\nb:\n  c: x\n",
        "a: |\n  x\n",
        "- a\n- b: 'c'\n",
        "a: 'b' # c\n",
        "a: [\"x\", y]\n",
        "a: {b: 1, c: [d]}\n",
        "a: &x 1\nb: *x # c\n",
    ] {
        assert!(check(c), "fast reader gave up on {c:?}");
    }
}

#[test]
fn repository_and_corpus_files() {
    let mut docs = 0;
    let mut accepted = 0;
    let mut values_docs = 0;
    let mut values_accepted = 0;
    let mut rng = Rng(std::env::var("CHARTTEST_YAML_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15));
    let mutations: usize = std::env::var("CHARTTEST_YAML_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    for path in yaml_files() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        check(&text);
        let is_values = path.file_name().is_some_and(|n| n == "values.yaml");
        for doc in documents(&text) {
            docs += 1;
            let ok = check(&doc);
            accepted += ok as usize;
            if is_values {
                values_docs += 1;
                values_accepted += ok as usize;
            }
            if doc.len() < 20_000 {
                for _ in 0..mutations {
                    check(&mutate(&mut rng, &doc));
                }
            }
        }
    }
    eprintln!(
        "fast reader: {accepted}/{docs} documents, {values_accepted}/{values_docs} of values.yaml"
    );
    assert!(docs > 100, "too few YAML files found: {docs}");
    // The corpus's values files are what the fast reader exists for.
    assert!(
        values_accepted * 10 >= values_docs * 9,
        "fast reader took only {values_accepted} of {values_docs} values.yaml documents"
    );
}

#[test]
fn generated_documents() {
    let cases: usize = std::env::var("CHARTTEST_YAML_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut accepted = 0;
    let mut shaped = 0;
    for _ in 0..cases {
        let doc = generate(&mut rng);
        accepted += check(&doc) as usize;
        check(&mutate(&mut rng, &doc));
        let doc = generate_tree(&mut rng);
        shaped += check(&doc) as usize;
        check(&mutate(&mut rng, &doc));
    }
    eprintln!("fast reader: {accepted}/{cases} generated lines, {shaped}/{cases} generated trees");
    assert!(
        accepted * 20 >= cases,
        "generator too rarely makes valid documents"
    );
    assert!(
        shaped * 5 >= cases,
        "tree generator too rarely makes valid documents"
    );
}

/// Where the fast reader gives up on each document of the files named in
/// `CHARTTEST_YAML_EXPLAIN` (colon-separated): `cargo test --lib fast_tests::explain --
/// --ignored --nocapture`.
#[test]
#[ignore]
fn explain() {
    let paths = std::env::var("CHARTTEST_YAML_EXPLAIN").unwrap_or_default();
    for path in paths.split(':').filter(|p| !p.is_empty()) {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for (n, doc) in documents(&text).iter().enumerate() {
            match fast::parse_or_stop(doc, false, Keep::All) {
                Ok(_) => eprintln!("{path} #{n}: read"),
                Err(at) => {
                    let line = doc[..at.min(doc.len())].matches('\n').count() + 1;
                    let from = doc[..at.min(doc.len())].rfind('\n').map_or(0, |i| i + 1);
                    let to = doc[from..].find('\n').map_or(doc.len(), |i| from + i);
                    eprintln!("{path} #{n}: gave up at line {line}: {:?}", &doc[from..to]);
                }
            }
        }
    }
}

#[test]
fn rendered_manifests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut charts = vec![root.join("charts/posthog")];
    if let Ok(rd) = std::fs::read_dir(root.join("../shared/conformance/charts")) {
        charts.extend(rd.flatten().map(|e| e.path()));
    }
    charts.sort();
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    let (mut docs, mut accepted) = (0, 0);
    for chart in charts {
        let args = crate::cli::template::TemplateArgs::for_chart(chart.display().to_string());
        let Ok(rendered) = crate::cli::template::render_files(&args) else {
            continue;
        };
        for (path, text) in &rendered.files {
            if path.ends_with("NOTES.txt") {
                continue;
            }
            for doc in crate::render::split_manifests(text) {
                docs += 1;
                let ok = check(&doc);
                accepted += ok as usize;
                if !ok && std::env::var_os("CHARTTEST_YAML_EXPLAIN").is_some() {
                    if let Err(at) = fast::parse_or_stop(&doc, false, Keep::All) {
                        let from = doc[..at.min(doc.len())].rfind('\n').map_or(0, |i| i + 1);
                        let to = doc[from..].find('\n').map_or(doc.len(), |i| from + i);
                        eprintln!("gave up at {:?}", &doc[from..to]);
                    }
                }
                check(&mutate(&mut rng, &doc));
            }
        }
    }
    eprintln!("fast reader: {accepted}/{docs} rendered documents");
    assert!(docs > 100, "too few rendered documents: {docs}");
    assert!(
        accepted * 20 >= docs * 19,
        "fast reader took only {accepted} of {docs} rendered documents"
    );
}

#[test]
fn prescan_sees_every_excluded_byte() {
    // Every byte value at every offset of an 8-byte chunk, after an accepted prefix.
    for b in 0u8..=255 {
        for at in 0..17 {
            let mut bytes = b"k: vvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\n".to_vec();
            bytes[3 + at] = b;
            let Ok(src) = std::str::from_utf8(&bytes) else {
                continue;
            };
            let refused = fast::parse_or_stop(src, false, Keep::All).is_err();
            let printable = (0x20..0x7f).contains(&b) || b == b'\n';
            if !printable {
                assert!(refused, "byte {b:#x} at {at} got through");
            }
            check(src);
        }
    }
    for ch in [
        '\u{85}', '\u{2028}', '\u{2029}', '\u{feff}', '\u{7eff}', '\u{fffe}', '\u{9f}',
    ] {
        for pad in 0..9 {
            let src = format!("k: {}{ch}x\n", "v".repeat(pad));
            assert!(
                fast::parse_or_stop(&src, false, Keep::All).is_err(),
                "{src:?}"
            );
        }
    }
    assert!(fast::parse_or_stop("k: é日本\n", false, Keep::All).is_ok());
}
