//! helm-unittest's snapshot files: `__snapshot__/<suite file>.snap` beside the suite, a YAML
//! map from test name to `{n: snapshot}` where `n` counts the test's snapshot assertions
//! from 1 and each snapshot is the go-yaml v3 text of the asserted value.
//!
//! Tests run in parallel, so comparing never writes: each test records what it saw, and the
//! suite's records are folded into the file afterwards, in test order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::engine::value::{MapRef, MapType, Value};
use crate::engine::yaml::{to_yaml_pretty, NodeKind};

use super::validate::SnapshotComparer;
use super::yval::{from_node, parse_documents, sort_entries, to_yaml, YV};

/// `matchSnapshot.matchRegex.pattern` / `notMatchRegex.pattern`.
#[derive(Clone, Debug, Default)]
pub struct CompareOptions {
    /// Must match the snapshot text.
    pub match_regex: String,
    /// Must not match the snapshot text.
    pub not_match_regex: String,
}

/// The result of one comparison.
#[derive(Clone, Debug, Default)]
pub struct CompareResult {
    /// Whether the assertion passes (before `not`).
    pub passed: bool,
    /// The entry's number within the test.
    pub index: u64,
    /// The new snapshot text.
    pub new: String,
    /// The stored snapshot text (empty when there is none).
    pub cached: String,
    /// The regex failure message, if a pattern decided.
    pub msg: String,
    /// `--ci` failed it because the file has no such entry.
    pub missing: bool,
}

/// A snapshot file as read.
#[derive(Clone, Debug, Default)]
pub struct SnapshotFile {
    /// Where it lives.
    pub path: PathBuf,
    /// Whether it existed.
    pub existed: bool,
    /// test name → entry number → snapshot text.
    pub cached: BTreeMap<String, BTreeMap<u64, String>>,
}

/// The snapshot file of a suite file (`snapshot_id` for helm-rendered suites).
pub fn snapshot_path(suite_file: &Path, snapshot_id: &str) -> PathBuf {
    let dir = suite_file.parent().unwrap_or(Path::new("."));
    let mut base = suite_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !snapshot_id.is_empty() {
        base = format!("{base}_{snapshot_id}");
    }
    dir.join("__snapshot__").join(format!("{base}.snap"))
}

/// Reads a snapshot file; a missing file is an empty one. Errors name the file and line.
pub fn read(path: &Path) -> Result<SnapshotFile, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(SnapshotFile {
                path: path.to_path_buf(),
                ..Default::default()
            })
        }
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let bad = |line: usize, msg: &str| {
        format!(
            "{}:{line}: malformed snapshot file: {msg} (fix it, or delete it and run with -u to record it again)",
            path.display()
        )
    };
    let docs = parse_documents(&text).map_err(|e| bad(e.line, &e.message))?;
    let mut cached = BTreeMap::new();
    if let Some(doc) = docs.first() {
        match &doc.kind {
            NodeKind::Mapping(entries) => {
                for (k, v) in entries {
                    let test = k.as_scalar().unwrap_or_default().to_string();
                    let mut by_idx = BTreeMap::new();
                    match &v.kind {
                        NodeKind::Mapping(items) => {
                            for (ik, iv) in items {
                                let idx = ik
                                    .as_scalar()
                                    .and_then(|s| s.parse::<u64>().ok())
                                    .ok_or_else(|| {
                                        bad(ik.line, "an entry key must be a positive number")
                                    })?;
                                let val = from_node(iv).map_err(|e| bad(e.line, &e.message))?;
                                match val {
                                    YV::Str(s) => {
                                        by_idx.insert(idx, s);
                                    }
                                    // An empty entry is an empty snapshot.
                                    YV::Null => {
                                        by_idx.insert(idx, String::new());
                                    }
                                    _ => return Err(bad(iv.line, "a snapshot must be a string")),
                                }
                            }
                        }
                        NodeKind::Scalar { value, .. } if value.is_empty() => {}
                        _ => return Err(bad(v.line, "a test's entries must be a mapping")),
                    }
                    cached.insert(test, by_idx);
                }
            }
            NodeKind::Scalar { value, .. } if value.is_empty() || value == "{}" => {}
            _ => return Err(bad(doc.line, "expected a mapping of test names")),
        }
    }
    Ok(SnapshotFile {
        path: path.to_path_buf(),
        existed: true,
        cached,
    })
}

/// One comparison as recorded for the file.
#[derive(Clone, Debug)]
pub struct Record {
    /// Entry number.
    pub index: u64,
    /// The text to keep in the file for this entry.
    pub save: String,
    /// The file had this entry.
    pub existed: bool,
    /// The entry existed and differed.
    pub changed: bool,
}

/// The comparer of one test.
pub struct TestSnapshots<'a> {
    file: Option<&'a SnapshotFile>,
    test: String,
    counter: u64,
    updating: bool,
    ci: bool,
    /// What the test compared, in order.
    pub records: Vec<Record>,
}

impl<'a> TestSnapshots<'a> {
    /// A comparer for test `test` against `file`.
    pub fn new(file: Option<&'a SnapshotFile>, test: &str, updating: bool, ci: bool) -> Self {
        TestSnapshots {
            file,
            test: test.to_string(),
            counter: 0,
            updating,
            ci,
            records: Vec::new(),
        }
    }
}

impl SnapshotComparer for TestSnapshots<'_> {
    fn compare(&mut self, content: &YV, opts: &CompareOptions) -> CompareResult {
        self.counter += 1;
        let idx = self.counter;
        let cached = self
            .file
            .and_then(|f| f.cached.get(&self.test))
            .and_then(|m| m.get(&idx))
            .cloned();
        let existed = cached.is_some();
        let cached = cached.unwrap_or_default();
        let new = to_yaml(content);
        let mut ok = true;
        let mut msg = String::new();
        let mut changed = false;
        let (m, n) = (opts.match_regex.trim(), opts.not_match_regex.trim());
        if !m.is_empty() || !n.is_empty() {
            if !m.is_empty() {
                ok = regex::Regex::new(m)
                    .map(|r| r.is_match(&new))
                    .unwrap_or(false);
                if !ok {
                    msg = format!(" pattern '{m}' not found in snapshot");
                }
            }
            if !n.is_empty() && ok {
                let hit = regex::Regex::new(n)
                    .map(|r| r.is_match(&new))
                    .unwrap_or(false);
                if hit {
                    ok = false;
                    msg = format!(" pattern '{n}' should not be in snapshot");
                }
            }
        } else if existed && new != cached {
            ok = false;
            changed = true;
        }
        let missing = self.ci && !self.updating && !existed;
        let save = if self.updating || !existed {
            new.clone()
        } else {
            cached.clone()
        };
        self.records.push(Record {
            index: idx,
            save,
            existed,
            changed,
        });
        CompareResult {
            passed: (self.updating || ok) && !missing,
            index: idx,
            new,
            cached,
            msg,
            missing,
        }
    }
}

/// What folding a suite's records into its file did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileOutcome {
    /// Entries compared.
    pub total: usize,
    /// Entries that differed and were not updated.
    pub failed: usize,
    /// New entries.
    pub created: usize,
    /// Entries in the file that no test produced (`test/n`).
    pub obsolete: Vec<String>,
    /// Whether the file was written.
    pub written: bool,
}

/// Folds the records of every test that ran into the file and writes it when helm-unittest
/// would: something changed and either `-u` is on or entries were added or dropped. In CI
/// mode nothing is written. Entries of tests that did not run (skipped, filtered out) stay.
pub fn finish(
    file: &SnapshotFile,
    ran: &[(String, Vec<Record>)],
    not_run: &[String],
    updating: bool,
    ci: bool,
) -> Result<FileOutcome, String> {
    let mut current: BTreeMap<String, BTreeMap<u64, String>> = BTreeMap::new();
    let mut out = FileOutcome::default();
    let mut updated = 0;
    for (test, records) in ran {
        for r in records {
            out.total += 1;
            if !r.existed {
                out.created += 1;
            }
            if r.changed {
                updated += 1;
            }
            current
                .entry(test.clone())
                .or_default()
                .insert(r.index, r.save.clone());
        }
    }
    if !updating {
        out.failed = updated;
    }
    for t in not_run {
        if let Some(m) = file.cached.get(t) {
            if !current.contains_key(t) {
                current.insert(t.clone(), m.clone());
            }
        }
    }
    for (test, entries) in &file.cached {
        for idx in entries.keys() {
            let present = current.get(test).is_some_and(|m| m.contains_key(idx));
            if !present {
                out.obsolete.push(format!("{test}/{idx}"));
            }
        }
    }
    let changed = updated > 0 || out.created > 0 || !out.obsolete.is_empty();
    if ci && !updating {
        return Ok(out);
    }
    if changed && (updating || out.created > 0 || !out.obsolete.is_empty()) {
        if current.is_empty() && !file.existed {
            return Ok(out);
        }
        let text = render_file(&current);
        if let Some(dir) = file.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&file.path, text).map_err(|e| format!("{}: {e}", file.path.display()))?;
        out.written = true;
    }
    Ok(out)
}

/// The file's text: go-yaml v3's encoding of `map[string]map[uint]string` with indent 2.
pub fn render_file(current: &BTreeMap<String, BTreeMap<u64, String>>) -> String {
    if current.is_empty() {
        return "{}\n".into();
    }
    let names = sort_entries(
        current
            .keys()
            .map(|k| (k.clone(), YV::Null))
            .collect::<Vec<_>>(),
    );
    let mut out = String::new();
    for (name, _) in names {
        let entries = &current[&name];
        if entries.is_empty() {
            let mut m = BTreeMap::new();
            m.insert(
                name.clone(),
                Value::Map(MapType::Interface, MapRef::default()),
            );
            out.push_str(&emit(m));
            continue;
        }
        for (n, (idx, text)) in entries.iter().enumerate() {
            // Emit `name: {xx: text}` with a placeholder key as wide as the number, then put
            // the number in: the writer never wraps, so the layout is the same.
            let ph = "x".repeat(idx.to_string().len());
            let mut inner = BTreeMap::new();
            inner.insert(ph.clone(), Value::String(text.as_str().into()));
            let mut m = BTreeMap::new();
            m.insert(
                name.clone(),
                Value::Map(MapType::Interface, MapRef::new(inner)),
            );
            let doc = emit(m);
            let mut lines = doc.splitn(2, '\n');
            let head = lines.next().unwrap_or_default();
            let body = lines.next().unwrap_or_default();
            if n == 0 {
                out.push_str(head);
                out.push('\n');
            }
            let prefix = format!("  {ph}:");
            match body.strip_prefix(&prefix) {
                Some(rest) => {
                    out.push_str(&format!("  {idx}:"));
                    out.push_str(rest);
                }
                None => out.push_str(body),
            }
        }
    }
    out
}

fn emit(m: BTreeMap<String, Value>) -> String {
    to_yaml_pretty(&Value::Map(MapType::Interface, MapRef::new(m))).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_format_is_helm_unittests() {
        let mut cur = BTreeMap::new();
        let mut a = BTreeMap::new();
        a.insert(1, "a:\n  b: c\n".to_string());
        a.insert(10, "x: \"y\"\n".to_string());
        a.insert(2, "d:\n  e: f\n".to_string());
        cur.insert("cached before".to_string(), a);
        assert_eq!(
            render_file(&cur),
            "cached before:\n  1: |\n    a:\n      b: c\n  2: |\n    d:\n      e: f\n  10: |\n    x: \"y\"\n"
        );
    }

    #[test]
    fn malformed_files_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.snap");
        std::fs::write(&p, "t:\n  1: |\n    a\n  one: b\n").unwrap();
        let e = read(&p).unwrap_err();
        assert!(e.contains("x.snap:4: malformed snapshot file"), "{e}");
    }
}
