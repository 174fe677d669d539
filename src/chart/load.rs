//! Loading a chart from a directory or a gzipped tar archive, as helm's `loader.Load` does.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::engine::value::{MapRef, MapType, Value};

use super::ignore::{Rules, HELM_IGNORE};
use super::metadata::Metadata;
use super::yamlio::parse_yaml;
use super::{Chart, ChartError, ChartFile};

/// helm's `MaxDecompressedChartSize`: the total size an archive may expand to.
pub const MAX_CHART_SIZE: u64 = 100 * 1024 * 1024;
/// helm's `MaxDecompressedFileSize`: the size limit of any one file.
pub const MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;
/// Directory nesting followed through symlinks before giving up (helm would loop forever).
const MAX_DEPTH: usize = 64;

const BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

fn strip_bom(mut data: Vec<u8>) -> Vec<u8> {
    if data.starts_with(BOM) {
        data.drain(..3);
    }
    data
}

/// helm's `LocateChart` for a local reference: the path when it exists, otherwise helm's
/// error for that form of name (`path "./x" not found`, `repo x not found`, …).
pub fn locate_chart(name: &str) -> Result<PathBuf, ChartError> {
    let p = Path::new(name);
    if p.exists() {
        return std::path::absolute(p).map_err(|e| ChartError(e.to_string()));
    }
    if p.is_absolute() || name.starts_with('.') {
        return Err(ChartError(format!("path {name:?} not found")));
    }
    match name.split_once('/') {
        Some((repo, _)) => Err(ChartError(format!("repo {repo} not found"))),
        None => Err(ChartError(format!(
            "non-absolute URLs should be in form of repo_name/path_to_chart, got: {name}"
        ))),
    }
}

/// Loads the chart at `path` (a directory or a `.tgz`), as `helm template PATH` does after
/// locating it. Errors carry helm's messages, with absolute file paths where helm has them.
pub fn load_chart(path: &Path) -> Result<Chart, ChartError> {
    load_chart_observed(path, &mut |_| {})
}

/// [`load_chart`], showing `seen` a chart directory's files as soon as they are read, before
/// the chart is built from them (rendering starts parsing templates then). `seen` is not
/// called for archives.
pub fn load_chart_observed(
    path: &Path,
    seen: &mut dyn FnMut(&[ChartFile]),
) -> Result<Chart, ChartError> {
    let abs = std::path::absolute(path).map_err(|e| ChartError(e.to_string()))?;
    let meta = std::fs::metadata(&abs)
        .map_err(|e| ChartError(format!("stat {}: {}", path.display(), go_io_error(&e))))?;
    if meta.is_dir() {
        load_dir(&abs, seen)
    } else {
        let data = read_limited(&abs, MAX_CHART_SIZE)?;
        ensure_archive(&abs.to_string_lossy(), &data)?;
        load_archive(&data).map_err(|e| {
            if e.0.starts_with("gzip: ") {
                ChartError(format!(
                    "file '{}' does not appear to be a valid chart file (details: {})",
                    abs.display(),
                    e.0
                ))
            } else {
                e
            }
        })
    }
}

/// Reads a file as helm reads `-f` and `--set-file` arguments, with Go's error text
/// (`open x: no such file or directory`). `-` reads standard input.
pub fn read_user_file(path: &str) -> Result<String, String> {
    if path.trim() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| e.to_string())?;
        return Ok(s);
    }
    let data = read_limited(Path::new(path), MAX_CHART_SIZE).map_err(|e| e.0)?;
    Ok(String::from_utf8_lossy(&data).into_owned())
}

fn go_io_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn read_limited(p: &Path, limit: u64) -> Result<Vec<u8>, ChartError> {
    let f = std::fs::File::open(p)
        .map_err(|e| ChartError(format!("open {}: {}", p.display(), go_io_error(&e))))?;
    // `take` hides the file's size from `read_to_end`, which would then grow the buffer from 32
    // bytes in a read call per doubling; sizing it up front makes it two calls.
    let size = f.metadata().map(|m| m.len()).unwrap_or(0).min(limit + 1);
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    f.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| ChartError(format!("error reading {}: {e}", p.display())))?;
    Ok(out)
}

fn ensure_archive(name: &str, data: &[u8]) -> Result<(), ChartError> {
    if data.starts_with(&[0x1f, 0x8b, 0x08]) {
        return Ok(());
    }
    if name.ends_with(".yml") || name.ends_with(".yaml") {
        return Err(ChartError(format!(
            "file '{name}' seems to be a YAML file, but expected a gzipped archive"
        )));
    }
    let ct = if data.is_empty() || std::str::from_utf8(&data[..data.len().min(512)]).is_ok() {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    };
    Err(ChartError(format!(
        "file '{name}' does not appear to be a gzipped archive; got '{ct}'"
    )))
}

/// Loads a chart directory: walks it in lexical order, following symlinks as helm does,
/// skipping `.helmignore`d paths (plus the default `templates/.?*`).
pub fn load_dir(dir: &Path, seen: &mut dyn FnMut(&[ChartFile])) -> Result<Chart, ChartError> {
    let chart_yaml = dir.join("Chart.yaml");
    let raw = std::fs::read(&chart_yaml).map_err(|e| {
        ChartError(format!(
            "unable to detect chart at {}: open {}: {}",
            chart_yaml.display(),
            chart_yaml.display(),
            go_io_error(&e)
        ))
    })?;
    check_api_version(&raw)?;
    let mut rules = Rules::empty();
    let ifile = dir.join(HELM_IGNORE);
    if ifile.exists() {
        let text = std::fs::read(&ifile).map_err(|e| ChartError(e.to_string()))?;
        rules = Rules::parse(&utf8_text(&text)).map_err(ChartError)?;
    }
    rules.add_defaults();
    let files = walk(dir, &rules)?;
    seen(&files);
    load_files(files)
}

/// helm's top-level loader reads Chart.yaml's apiVersion first to choose a chart format.
fn check_api_version(raw: &[u8]) -> Result<(), ChartError> {
    let v = parse_yaml(&utf8_text(raw)).map_err(|e| {
        ChartError(format!(
            "cannot load Chart.yaml: error converting YAML to JSON: {e}"
        ))
    })?;
    if let Value::Map(_, m) = &v {
        if let Some(api) = m.get("apiVersion") {
            let s = super::metadata::scalar_to_string(&api).unwrap_or_default();
            if !matches!(s.as_str(), "v1" | "v2" | "" | "v3") {
                return Err(ChartError("unsupported chart version".into()));
            }
        }
    }
    Ok(())
}

/// A file the walk found: read after the walk, so reads can share threads.
enum Found {
    File {
        full: std::path::PathBuf,
        /// The path in the chart.
        name: String,
    },
    /// The walk stopped here; files found before it are still read first, so an error among
    /// them is reported first, as a walk that reads as it goes would.
    Error(ChartError),
}

/// helm's `sympath.Walk` over `dir`, then each file read.
fn walk(dir: &Path, rules: &Rules) -> Result<Vec<ChartFile>, ChartError> {
    let mut found = Vec::new();
    if let Err(e) = find(dir, "", rules, &mut found, 0) {
        found.push(Found::Error(e));
    }
    // Reading is syscall-bound (open, fstat, read, close): a second thread halves it once
    // there are enough files to pay for the thread.
    let read = crate::par::map_ordered(&found, found.len(), 48, |f| match f {
        Found::File { full, name } => read_chart_file(full, name).map(Some),
        Found::Error(e) => Err(ChartError(e.0.clone())),
    });
    read.into_iter().filter_map(Result::transpose).collect()
}

fn find(
    dir: &Path,
    rel: &str,
    rules: &Rules,
    out: &mut Vec<Found>,
    depth: usize,
) -> Result<(), ChartError> {
    if depth > MAX_DEPTH {
        return Err(ChartError(format!(
            "error reading {}: too many levels of symbolic links",
            dir.display()
        )));
    }
    let mut entries: Vec<(String, Option<std::fs::FileType>)> = std::fs::read_dir(dir)
        .map_err(|e| ChartError(format!("open {}: {}", dir.display(), go_io_error(&e))))?
        .filter_map(|e| e.ok())
        // The type comes with the directory entry on most file systems: no stat per file.
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.file_type().ok(),
            )
        })
        .collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (name, ftype) in entries {
        let full = dir.join(&name);
        let n = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let ftype = match ftype {
            Some(t) if !t.is_symlink() => t,
            Some(_) => std::fs::metadata(&full)
                .map_err(|e| {
                    let target = std::fs::read_link(&full)
                        .map(|t| dir.join(t))
                        .unwrap_or(full.clone());
                    ChartError(format!(
                        "error evaluating symlink {}: lstat {}: {}",
                        full.display(),
                        target.display(),
                        go_io_error(&e)
                    ))
                })?
                .file_type(),
            None => std::fs::symlink_metadata(&full)
                .map_err(|e| ChartError(e.to_string()))?
                .file_type(),
        };
        if ftype.is_dir() {
            if rules.ignore(&n, true) {
                continue;
            }
            find(&full, &n, rules, out, depth + 1)?;
            continue;
        }
        if rules.ignore(&n, false) {
            continue;
        }
        if !ftype.is_file() {
            return Err(ChartError(format!(
                "cannot load irregular file {} as it has file mode type bits set",
                full.display()
            )));
        }
        out.push(Found::File { full, name: n });
    }
    Ok(())
}

/// Reads one chart file found by [`find`], whose path in the chart is `name`.
fn read_chart_file(full: &Path, name: &str) -> Result<ChartFile, ChartError> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let too_big = || {
        ChartError(format!(
            "chart file {base:?} is larger than the maximum file size {MAX_FILE_SIZE}"
        ))
    };
    let mut f = std::fs::File::open(full).map_err(|e| {
        ChartError(format!(
            "error reading {name}: open {}: {}",
            full.display(),
            go_io_error(&e)
        ))
    })?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE_SIZE {
        return Err(too_big());
    }
    let read_err = |e: std::io::Error| {
        ChartError(format!(
            "error reading {name}: error reading {}: {e}",
            full.display()
        ))
    };
    if size == 0 {
        // A file that reports no size (procfs) is read to its end.
        let data = read_limited(full, MAX_FILE_SIZE)
            .map_err(|e| ChartError(format!("error reading {name}: {e}")))?;
        if data.len() as u64 > MAX_FILE_SIZE {
            return Err(too_big());
        }
        return Ok(ChartFile {
            name: name.to_string(),
            data: Arc::from(strip_bom(data)),
        });
    }
    // Read straight into the shared buffer the chart keeps (one allocation, one copy from the
    // kernel): chart files are most of the memory a render touches.
    let mut data: Arc<[u8]> = std::iter::repeat_n(0u8, size as usize).collect();
    let mut got = 0;
    if let Some(buf) = Arc::get_mut(&mut data) {
        // The size from fstat is the file as read: reading up to it saves the call that
        // would confirm the end.
        while got < buf.len() {
            match f.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_err(e)),
            }
        }
    }
    if got < data.len() || data.starts_with(BOM) {
        let kept = &data[..got];
        data = Arc::from(kept.strip_prefix(BOM).unwrap_or(kept));
    }
    Ok(ChartFile {
        name: name.to_string(),
        data,
    })
}

/// Unpacks a gzipped tar archive into chart files, with helm's path and size checks.
pub fn archive_files(data: &[u8]) -> Result<Vec<ChartFile>, ChartError> {
    let gz = flate2::read::GzDecoder::new(data);
    if gz.header().is_none() {
        return Err(ChartError("gzip: invalid header".into()));
    }
    let mut ar = tar::Archive::new(gz);
    let entries = ar.entries().map_err(|e| ChartError(e.to_string()))?;
    let mut remaining = MAX_CHART_SIZE;
    let mut files = Vec::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| ChartError(e.to_string()))?;
        let ty = entry.header().entry_type();
        if ty.is_dir() || ty.is_pax_global_extensions() || ty.is_pax_local_extensions() {
            continue;
        }
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let delim = if raw_name.contains('\\') { '\\' } else { '/' };
        let parts: Vec<&str> = raw_name.split(delim).collect();
        let n = parts[1..].join("/");
        if n.starts_with('/') {
            return Err("chart illegally contains absolute paths".into());
        }
        let n = clean_path(&n);
        if n == "." {
            return Err(ChartError(format!(
                "chart illegally contains content outside the base directory: {raw_name:?}"
            )));
        }
        if n.starts_with("..") {
            return Err("chart illegally references parent directory".into());
        }
        let b = n.as_bytes();
        if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/' {
            return Err("chart contains illegally named files".into());
        }
        if parts.first() == Some(&"Chart.yaml") {
            return Err("chart yaml not in base directory".into());
        }
        let size = entry.header().size().unwrap_or(0);
        if size > remaining {
            return Err(ChartError(format!(
                "decompressed chart is larger than the maximum size {MAX_CHART_SIZE}"
            )));
        }
        if size > MAX_FILE_SIZE {
            return Err(ChartError(format!(
                "decompressed chart file {raw_name:?} is larger than the maximum file size {MAX_FILE_SIZE}"
            )));
        }
        let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        let read = (&mut entry)
            .take(remaining)
            .read_to_end(&mut buf)
            .map_err(|e| ChartError(e.to_string()))? as u64;
        remaining = remaining.saturating_sub(read);
        if read < size || remaining == 0 {
            return Err(ChartError(format!(
                "decompressed chart is larger than the maximum size {MAX_CHART_SIZE}"
            )));
        }
        files.push(ChartFile {
            name: n,
            data: Arc::from(strip_bom(buf)),
        });
    }
    if files.is_empty() {
        return Err("no files in chart archive".into());
    }
    Ok(files)
}

/// Go's `path.Clean`.
pub fn clean_path(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|s| *s != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Loads a chart from the bytes of a gzipped tar archive.
pub fn load_archive(data: &[u8]) -> Result<Chart, ChartError> {
    let files = archive_files(data)?;
    if let Some(f) = files.iter().find(|f| f.name == "Chart.yaml") {
        check_api_version(&f.data)?;
    }
    load_files(files)
}

/// Parses a values file the way helm's `LoadValues` does: documents separated by `---` lines
/// are each parsed and merged, later ones winning.
pub fn load_values(text: &str) -> Result<MapRef, String> {
    // The first document's map is fresh and unshared: it becomes the base as it is.
    let mut base: Option<MapRef> = None;
    for doc in split_documents(text)? {
        let v = parse_yaml(doc).map_err(|e| {
            format!("cannot unmarshal yaml document: error converting YAML to JSON: {e}")
        })?;
        match v {
            Value::Nil => {}
            Value::Map(_, m) => match &base {
                None => base = Some(m),
                Some(b) => super::values::merge_maps(b, &m),
            },
            other => {
                let kind = match other {
                    Value::List(..) => "array",
                    Value::String(_) => "string",
                    Value::Bool(_) => "bool",
                    _ => "number",
                };
                return Err(format!(
                    "cannot unmarshal yaml document: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
                ));
            }
        }
    }
    Ok(base.unwrap_or_default())
}

/// k8s.io's YAMLReader: a line starting with `---` ends a document; anything but a comment
/// after the dashes is an error. Documents are the text between separator lines, borrowed.
fn split_documents(text: &str) -> Result<Vec<&str>, String> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let next = at + line.len();
        if let Some(rest) = line.strip_prefix("---") {
            let t = rest.trim();
            if !t.is_empty() && !t.starts_with('#') {
                return Err(format!(
                    "error reading yaml document: invalid Yaml document separator: {t}"
                ));
            }
            if at > start {
                docs.push(&text[start..at]);
            }
            start = next;
        }
        at = next;
    }
    if at > start {
        docs.push(&text[start..at]);
    }
    Ok(docs)
}

/// A file's text, borrowed when it is valid UTF-8 (as it nearly always is).
fn text(f: &ChartFile) -> std::borrow::Cow<'_, str> {
    utf8_text(&f.data)
}

/// `bytes` as text, invalid sequences replaced by U+FFFD as Go's string conversion prints them.
/// Valid input is checked by `str::from_utf8`, which scans ASCII a word at a time; the lossy
/// scan goes byte by byte and cost a render of a large chart 2 M instructions.
pub fn utf8_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Builds a chart from its files (helm's `LoadFiles`), subcharts included.
pub fn load_files(files: Vec<ChartFile>) -> Result<Chart, ChartError> {
    let mut c = Chart {
        values: Value::Map(MapType::Interface, MapRef::default()),
        ..Chart::default()
    };
    let mut have_md = false;
    for f in files.iter().filter(|f| f.name == "Chart.yaml") {
        have_md = true;
        let v = parse_yaml(&text(f)).map_err(|e| {
            ChartError(format!(
                "cannot load Chart.yaml: error converting YAML to JSON: {e}"
            ))
        })?;
        c.metadata
            .decode_onto(&v)
            .map_err(|e| ChartError(format!("cannot load Chart.yaml: {e}")))?;
        if c.metadata.api_version.is_empty() {
            c.metadata.api_version = "v1".into();
        }
    }
    let mut subs: std::collections::BTreeMap<String, Vec<ChartFile>> = Default::default();
    for f in files {
        let name = f.name.clone();
        match name.as_str() {
            "Chart.yaml" => {}
            "Chart.lock" | "requirements.lock" => {
                let what = name.clone();
                parse_yaml(&text(&f)).map_err(|e| {
                    ChartError(format!(
                        "cannot load {what}: error converting YAML to JSON: {e}"
                    ))
                })?;
                if what == "requirements.lock" && c.metadata.api_version == "v1" {
                    c.files.push(f);
                }
            }
            "values.yaml" => {
                let t = text(&f);
                let m = load_values(&t)
                    .map_err(|e| ChartError(format!("cannot load values.yaml: {e}")))?;
                c.values = Value::Map(MapType::Interface, m);
                c.values_text = Some(Arc::from(&*t));
            }
            "values.schema.json" => c.schema = Some(f.data.clone()),
            "requirements.yaml" => {
                have_md = true;
                let v = parse_yaml(&text(&f)).map_err(|e| {
                    ChartError(format!(
                        "cannot load requirements.yaml: error converting YAML to JSON: {e}"
                    ))
                })?;
                c.metadata
                    .decode_onto(&v)
                    .map_err(|e| ChartError(format!("cannot load requirements.yaml: {e}")))?;
                if c.metadata.api_version == "v1" {
                    c.files.push(f);
                }
            }
            _ if name.starts_with("templates/") => c.templates.push(f),
            _ if name.starts_with("charts/") => {
                if name.ends_with(".prov") {
                    c.files.push(f);
                    continue;
                }
                let rest = &name["charts/".len()..];
                let cname = rest.split('/').next().unwrap_or("").to_string();
                subs.entry(cname).or_default().push(ChartFile {
                    name: rest.to_string(),
                    data: f.data,
                });
            }
            _ => c.files.push(f),
        }
    }
    if !have_md {
        return Err("Chart.yaml file is missing".into());
    }
    c.metadata.validate().map_err(ChartError)?;
    let subs: Vec<(String, Vec<ChartFile>)> = subs
        .into_iter()
        .filter(|(n, _)| !(n.starts_with('_') || n.starts_with('.')))
        .collect();
    // Subcharts are independent until dependency processing; their values files are most of
    // the YAML a chart holds, so they load on several threads.
    let work: usize = subs
        .iter()
        .flat_map(|(_, fs)| fs.iter().map(|f| f.data.len()))
        .sum();
    let loaded =
        crate::par::map_ordered(&subs, work, 32 * 1024, |(n, files)| load_subchart(n, files));
    for ((n, _), sc) in subs.iter().zip(loaded) {
        match sc {
            Ok(Some(sc)) => c.dependencies.push(sc),
            Ok(None) => {}
            Err(SubchartError::ArchiveName(got)) => {
                return Err(ChartError(format!(
                    "error unpacking subchart tar in {}: expected {n}, got {got}",
                    c.metadata.name
                )))
            }
            Err(SubchartError::Load(e)) => {
                return Err(ChartError(format!(
                    "error unpacking subchart {n} in {}: {}",
                    c.metadata.name, e.0
                )))
            }
        }
    }
    Ok(c)
}

/// Why a `charts/` entry failed to load.
enum SubchartError {
    /// A `.tgz` whose single entry is not named after it: the name found.
    ArchiveName(String),
    /// The chart itself failed.
    Load(ChartError),
}

/// One entry of `charts/`: an archive, or a directory's files (names relative to `charts/`).
/// `Ok(None)` when there is nothing to load.
fn load_subchart(n: &str, files: &[ChartFile]) -> Result<Option<Chart>, SubchartError> {
    if n.ends_with(".tgz") {
        let Some(file) = files.first() else {
            return Ok(None);
        };
        if file.name != n {
            return Err(SubchartError::ArchiveName(file.name.clone()));
        }
        return load_archive(&file.data)
            .map(Some)
            .map_err(SubchartError::Load);
    }
    let buff: Vec<ChartFile> = files
        .iter()
        .filter_map(|f| {
            let (_, rest) = f.name.split_once('/')?;
            Some(ChartFile {
                name: rest.to_string(),
                data: f.data.clone(),
            })
        })
        .collect();
    load_files(buff).map(Some).map_err(SubchartError::Load)
}

/// Metadata for tests and callers that build charts in memory.
pub fn chart_from_metadata(md: Metadata) -> Chart {
    Chart {
        metadata: md,
        values: Value::empty_map(),
        ..Chart::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(root: &Path, files: &[(&str, &str)]) {
        for (p, t) in files {
            let full = root.join(p);
            fs::create_dir_all(full.parent().unwrap()).unwrap();
            fs::write(full, t).unwrap();
        }
    }

    const CY: &str = "apiVersion: v2\nname: c\nversion: 0.1.0\n";

    #[test]
    fn directory_layout() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            &[
                ("Chart.yaml", CY),
                ("values.yaml", "a: 1\n---\nb: 2\n"),
                ("values.schema.json", "{}"),
                ("Chart.lock", "x: 1\n"),
                ("templates/t.yaml", "x"),
                ("templates/.hidden", "x"),
                ("files/a.txt", "\u{feff}hello"),
                (".helmignore", "*.bak\n"),
                ("skip.bak", "x"),
                (
                    "charts/sub/Chart.yaml",
                    "apiVersion: v2\nname: sub\nversion: 0.2.0\n",
                ),
                ("charts/sub/templates/s.yaml", "y"),
                ("charts/_ignored/Chart.yaml", "bad"),
            ],
        );
        let c = load_chart(d.path()).unwrap();
        assert_eq!(c.metadata.name, "c");
        let tpls: Vec<_> = c.templates.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(tpls, ["templates/t.yaml"]);
        let files: Vec<_> = c.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(files, [".helmignore", "files/a.txt"]);
        assert_eq!(&*c.files[1].data, b"hello");
        assert_eq!(c.values.format_v(), "map[a:1 b:2]");
        assert!(c.schema.is_some());
        assert_eq!(c.dependencies.len(), 1);
        assert_eq!(c.dependencies[0].metadata.name, "sub");
    }

    #[test]
    fn helm_errors() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            &[("Chart.yaml", "apiVersion: v2\nversion: 0.1.0\n")],
        );
        assert_eq!(
            load_chart(d.path()).unwrap_err().0,
            "validation: chart.metadata.name is required"
        );
        write(d.path(), &[("Chart.yaml", CY), ("charts/foo.txt", "hi")]);
        // helm 4.1.4: Error: error unpacking subchart foo.txt in lc: Chart.yaml file is missing
        assert_eq!(
            load_chart(d.path()).unwrap_err().0,
            "error unpacking subchart foo.txt in c: Chart.yaml file is missing"
        );
        fs::remove_file(d.path().join("charts/foo.txt")).unwrap();
        write(d.path(), &[("values.yaml", "a: 1\n--- x\n")]);
        assert_eq!(
            load_chart(d.path()).unwrap_err().0,
            "cannot load values.yaml: error reading yaml document: invalid Yaml document separator: x"
        );
        write(d.path(), &[("values.yaml", "a: 1\n---\n- x\n")]);
        assert_eq!(
            load_chart(d.path()).unwrap_err().0,
            "cannot load values.yaml: cannot unmarshal yaml document: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}"
        );
        assert_eq!(
            locate_chart("./nope-x").unwrap_err().0,
            "path \"./nope-x\" not found"
        );
        assert_eq!(
            locate_chart("nope-x").unwrap_err().0,
            "non-absolute URLs should be in form of repo_name/path_to_chart, got: nope-x"
        );
        let e = tempfile::tempdir().unwrap();
        let msg = load_chart(e.path()).unwrap_err().0;
        assert!(
            msg.starts_with("unable to detect chart at ")
                && msg.ends_with("/Chart.yaml: no such file or directory"),
            "{msg}"
        );
    }

    fn tgz(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for (p, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, p, *data).unwrap();
        }
        b.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn archives() {
        let sub = tgz(&[(
            "sub/Chart.yaml",
            b"apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        )]);
        let data = tgz(&[
            ("c/Chart.yaml", CY.as_bytes()),
            ("c/templates/t.yaml", b"x"),
            ("c/charts/sub-0.1.0.tgz", &sub),
        ]);
        let c = load_archive(&data).unwrap();
        assert_eq!(c.templates.len(), 1);
        assert_eq!(c.dependencies[0].metadata.name, "sub");
        assert_eq!(
            archive_files(b"nope").unwrap_err().0,
            "gzip: invalid header"
        );
        let bad = tgz(&[("Chart.yaml", CY.as_bytes())]);
        assert_eq!(
            load_archive(&bad).unwrap_err().0,
            "chart illegally contains content outside the base directory: \"Chart.yaml\""
        );
    }

    #[test]
    fn clean() {
        assert_eq!(clean_path("a/../../b"), "../b");
        assert_eq!(clean_path("a/./b/"), "a/b");
        assert_eq!(clean_path(""), ".");
    }

    #[test]
    fn symlinks_and_user_files() {
        // helm follows symlinks, also out of the chart; a dangling one is an error.
        let out = tempfile::tempdir().unwrap();
        fs::write(out.path().join("f.txt"), "secret\n").unwrap();
        let d = tempfile::tempdir().unwrap();
        write(d.path(), &[("Chart.yaml", CY)]);
        std::os::unix::fs::symlink(out.path().join("f.txt"), d.path().join("link.txt")).unwrap();
        let c = load_chart(d.path()).unwrap();
        assert_eq!(&*c.files[0].data, b"secret\n");
        std::os::unix::fs::symlink("/nonexistent-target", d.path().join("dangling")).unwrap();
        let e = load_chart(d.path()).unwrap_err().0;
        assert!(
            e.starts_with("error evaluating symlink ")
                && e.ends_with("/dangling: lstat /nonexistent-target: no such file or directory"),
            "{e}"
        );
        assert_eq!(
            read_user_file("/nope-x.yaml").unwrap_err(),
            "open /nope-x.yaml: no such file or directory"
        );
    }
}
