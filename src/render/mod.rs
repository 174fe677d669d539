//! Output assembly: turns a chart's rendered files into exactly what `helm template` prints
//! (or writes with `--output-dir`).

pub mod ahead;
pub mod chart;
pub mod manifest;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use manifest::{sort_manifests, split_manifests, Hook, Manifest};

/// A raw CRD file from a chart's `crds/` directory.
#[derive(Clone, Debug)]
pub struct CrdFile {
    /// Its path as helm prints it (`c/crds/x.yaml`, `c/charts/sub/crds/y.yaml`).
    pub filename: String,
    /// Its contents.
    pub data: String,
}

/// The output switches of `helm template`.
#[derive(Clone, Debug, Default)]
pub struct OutputOptions {
    /// `--include-crds`
    pub include_crds: bool,
    /// `--show-only` patterns.
    pub show_only: Vec<String>,
    /// `--no-hooks`
    pub no_hooks: bool,
    /// `--skip-tests`
    pub skip_tests: bool,
    /// `--output-dir`
    pub output_dir: Option<PathBuf>,
    /// `--release-name`: put files under `output-dir/<release>`.
    pub use_release_name: bool,
    /// The release name, for `--release-name`.
    pub release_name: String,
}

/// What assembly produced: the text for stdout, and with `--output-dir` the `wrote …` lines
/// helm prints.
#[derive(Debug, Default)]
pub struct Assembled {
    /// What goes to stdout.
    pub stdout: String,
    /// The sorted, non-hook documents.
    pub manifests: Vec<Manifest>,
    /// The hooks.
    pub hooks: Vec<Manifest>,
}

/// Why assembly failed. `partial` marks errors helm reports with a release in hand, for which
/// the CLI adds its `--debug` hint.
#[derive(Debug)]
pub struct AssembleError {
    /// helm's message.
    pub message: String,
    /// Whether helm had a (failed) release when it stopped.
    pub partial: bool,
}

/// Removes NOTES.txt files from the rendered set, as helm does after rendering them.
pub fn drop_notes(files: &mut BTreeMap<String, String>) {
    files.retain(|k, _| !k.ends_with("NOTES.txt"));
}

/// Builds `helm template`'s output from the rendered files (NOTES already dropped) and the
/// chart's CRD files (root first, then dependencies).
pub fn assemble(
    files: &BTreeMap<String, String>,
    crds: &[CrdFile],
    opts: &OutputOptions,
) -> Result<Assembled, AssembleError> {
    let (hooks, manifests) = sort_manifests(files).map_err(|message| AssembleError {
        message,
        partial: true,
    })?;
    let out_dir = opts.output_dir.as_ref().map(|d| {
        if opts.use_release_name {
            d.join(&opts.release_name)
        } else {
            d.clone()
        }
    });
    let mut written: BTreeMap<String, bool> = BTreeMap::new();
    let mut wrote_lines = String::new();
    let mut manifest_buf = String::new();
    if opts.include_crds {
        for crd in crds {
            match &out_dir {
                None => push_doc(&mut manifest_buf, &crd.filename, &crd.data),
                Some(d) => {
                    write_file(
                        d,
                        &crd.filename,
                        &crd.data,
                        written.contains_key(&crd.filename),
                        &mut wrote_lines,
                    )?;
                    written.insert(crd.filename.clone(), true);
                }
            }
        }
    }
    for m in &manifests {
        match &out_dir {
            None => push_doc(&mut manifest_buf, &m.path, &m.content),
            Some(d) => {
                write_file(
                    d,
                    &m.path,
                    &m.content,
                    written.contains_key(&m.path),
                    &mut wrote_lines,
                )?;
                written.insert(m.path.clone(), true);
            }
        }
    }
    let mut out = String::new();
    out.push_str(manifest_buf.trim());
    out.push('\n');
    if !opts.no_hooks {
        for h in &hooks {
            if opts.skip_tests && h.hook.as_ref().is_some_and(Hook::is_test) {
                continue;
            }
            match &out_dir {
                None => push_doc(&mut out, &h.path, &h.content),
                Some(d) => {
                    let exists = d.join(&h.path).exists();
                    write_file(
                        d,
                        &h.path,
                        &h.content,
                        exists || written.contains_key(&h.path),
                        &mut wrote_lines,
                    )?;
                    written.insert(h.path.clone(), true);
                }
            }
        }
    }
    let stdout = if out_dir.is_some() {
        wrote_lines
    } else if !opts.show_only.is_empty() {
        show_only(&out, &opts.show_only)?
    } else {
        out
    };
    Ok(Assembled {
        stdout,
        manifests,
        hooks,
    })
}

fn push_doc(buf: &mut String, path: &str, content: &str) {
    buf.push_str("---\n# Source: ");
    buf.push_str(path);
    buf.push('\n');
    buf.push_str(content);
    buf.push('\n');
}

fn write_file(
    dir: &Path,
    name: &str,
    data: &str,
    append: bool,
    wrote: &mut String,
) -> Result<(), AssembleError> {
    use std::io::Write;
    let path = dir.join(name);
    let err = |e: std::io::Error| AssembleError {
        message: format!("{}: {e}", path.display()),
        partial: false,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(err)?;
    }
    let mut f = if append {
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(err)?
    } else {
        std::fs::File::create(&path).map_err(err)?
    };
    write!(f, "---\n# Source: {name}\n{data}\n").map_err(err)?;
    wrote.push_str(&format!("wrote {}/{}\n", dir.display(), name));
    Ok(())
}

/// `--show-only`: the documents whose source path (after the chart name) matches a pattern
/// with Go's `filepath.Match`, in pattern order.
fn show_only(all: &str, patterns: &[String]) -> Result<String, AssembleError> {
    let docs = split_manifests(all);
    let mut out = String::new();
    for pat in patterns {
        let mut found = false;
        for d in &docs {
            let Some(rest) = d.find("# Source: ").map(|i| &d[i + "# Source: ".len()..]) else {
                continue;
            };
            let line = rest.lines().next().unwrap_or("");
            let Some((_, path)) = line.split_once('/') else {
                continue;
            };
            if go_match(pat, path) {
                out.push_str("---\n");
                out.push_str(d);
                out.push('\n');
                found = true;
            }
        }
        if !found {
            return Err(AssembleError {
                message: format!("could not find template {pat} in chart"),
                partial: false,
            });
        }
    }
    Ok(out)
}

/// Go's `path/filepath.Match` on `/`-separated paths: `*` and `?` do not cross `/`, and
/// `[...]` classes with ranges and `^` negation. A malformed pattern matches nothing.
pub fn go_match(pattern: &str, name: &str) -> bool {
    fn rec(p: &[char], n: &[char]) -> Option<bool> {
        if p.is_empty() {
            return Some(n.is_empty());
        }
        match p[0] {
            '*' => {
                let rest = &p[1..];
                for i in 0..=n.len() {
                    if i > 0 && n[i - 1] == '/' {
                        break;
                    }
                    if rec(rest, &n[i..])? {
                        return Some(true);
                    }
                }
                Some(false)
            }
            '?' => {
                if n.is_empty() || n[0] == '/' {
                    return Some(false);
                }
                rec(&p[1..], &n[1..])
            }
            '[' => {
                let close = p.iter().skip(1).position(|&c| c == ']')? + 1;
                let class = &p[1..close];
                if n.is_empty() || n[0] == '/' {
                    return Some(false);
                }
                let (neg, class) = match class.first() {
                    Some('^') => (true, &class[1..]),
                    _ => (false, class),
                };
                let c = n[0];
                let mut hit = false;
                let mut i = 0;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == '-' {
                        if class[i] <= c && c <= class[i + 2] {
                            hit = true;
                        }
                        i += 3;
                    } else {
                        if class[i] == c {
                            hit = true;
                        }
                        i += 1;
                    }
                }
                if hit == neg {
                    return Some(false);
                }
                rec(&p[close + 1..], &n[1..])
            }
            '\\' => {
                let c = *p.get(1)?;
                if n.first() != Some(&c) {
                    return Some(false);
                }
                rec(&p[2..], &n[1..])
            }
            c => {
                if n.first() != Some(&c) {
                    return Some(false);
                }
                rec(&p[1..], &n[1..])
            }
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    rec(&p, &n).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_filepath_match() {
        assert!(go_match("templates/*.yaml", "templates/a.yaml"));
        assert!(!go_match("templates/*", "templates/x/a.yaml"));
        assert!(go_match("templates/[a-c].yaml", "templates/b.yaml"));
        assert!(!go_match("templates/[^a-c].yaml", "templates/b.yaml"));
    }
}
