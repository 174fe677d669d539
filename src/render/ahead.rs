//! Parsing templates ahead: on another thread, while the main thread loads values and prepares
//! the render.
//!
//! A template's parse depends only on its text and the helm version; its name only labels the
//! trees. Which templates render, and under which names, is known only after dependency
//! processing. So every template file is parsed as soon as it is read, under a provisional
//! name, and matched to its unit later by its text (the unit's text is the same allocation the
//! file was read into), the trees then taking the unit's name. The main thread helps with what
//! is left once the units are known, and parses what found no match (templates of archived
//! subcharts, units whose text was not valid UTF-8) itself. Parses of dropped subcharts go
//! unused.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::chart::prepare::{template_sources, RenderUnit};
use crate::chart::{Chart, ChartFile};
use crate::engine::{Error, Parsed, TemplateSet};

/// Below this much template text a thread costs more than it saves.
const MIN_TEXT: usize = 64 * 1024;

struct Work {
    /// Provisional names and texts.
    sources: Vec<(String, Arc<str>)>,
    helm_major: u32,
    /// The next source to parse; past the end once all are taken (or the work is abandoned).
    next: AtomicUsize,
    done: Vec<Mutex<Option<Parsed>>>,
}

impl Work {
    /// Parses sources until none is left.
    fn run(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some((name, text)) = self.sources.get(i) else {
                return;
            };
            let parsed = TemplateSet::parse_file(name, text, self.helm_major);
            if let Ok(mut slot) = self.done[i].lock() {
                *slot = Some(parsed);
            }
        }
    }
}

/// Templates being parsed on another thread.
pub struct ParseAhead {
    work: Option<Arc<Work>>,
    handle: Option<JoinHandle<()>>,
}

/// Whether a chart file's path (from the chart root) is a template of the chart or of a
/// subchart directory: `templates/…`, `charts/<name>/templates/…`, and so on down.
fn is_template_path(mut path: &str) -> bool {
    loop {
        if let Some(rest) = path.strip_prefix("templates/") {
            return !rest.is_empty();
        }
        let Some(rest) = path.strip_prefix("charts/") else {
            return false;
        };
        let Some((_, rest)) = rest.split_once('/') else {
            return false;
        };
        path = rest;
    }
}

impl ParseAhead {
    /// Starts parsing the templates among a chart's files, as read from its directory (before
    /// the chart is built from them), on a new thread.
    pub fn start_files(files: &[ChartFile], helm_major: u32) -> ParseAhead {
        let sources = files
            .iter()
            .filter(|f| is_template_path(&f.name))
            .map(|f| (f.name.clone(), f.text()))
            .collect();
        Self::start_sources(sources, helm_major, MIN_TEXT)
    }

    /// Starts parsing a loaded chart's templates on a new thread.
    pub fn start(chart: &Chart, helm_major: u32) -> ParseAhead {
        Self::start_sources(template_sources(chart), helm_major, MIN_TEXT)
    }

    fn start_sources(
        sources: Vec<(String, Arc<str>)>,
        helm_major: u32,
        min_text: usize,
    ) -> ParseAhead {
        let idle = ParseAhead {
            work: None,
            handle: None,
        };
        if crate::par::cores() < 2 || sources.iter().map(|(_, t)| t.len()).sum::<usize>() < min_text
        {
            return idle;
        }
        let work = Arc::new(Work {
            done: sources.iter().map(|_| Mutex::new(None)).collect(),
            sources,
            helm_major,
            next: AtomicUsize::new(0),
        });
        let w = Arc::clone(&work);
        let handle = std::thread::Builder::new()
            .name("parse-ahead".into())
            .spawn(move || w.run())
            .ok();
        ParseAhead {
            work: handle.is_some().then_some(work),
            handle,
        }
    }

    /// The template set for `order` (units in helm's order), as
    /// [`crate::render::chart::parse_units`] builds it, using what was parsed ahead.
    pub fn finish(mut self, order: &[&RenderUnit], helm_major: u32) -> Result<TemplateSet, Error> {
        let mut ready: Vec<Option<Parsed>> = Vec::new();
        if let (Some(work), Some(handle)) = (self.work.take(), self.handle.take()) {
            if work.helm_major == helm_major {
                work.run();
                // The worker is at most one parse behind; a panic there leaves its slot
                // empty, and that file is parsed again below.
                let _ = handle.join();
                let by_text: HashMap<(*const u8, usize), usize> = work
                    .sources
                    .iter()
                    .enumerate()
                    .map(|(i, (_, t))| ((t.as_ptr(), t.len()), i))
                    .collect();
                ready = order
                    .iter()
                    .map(|u| {
                        let i = *by_text.get(&(u.text.as_ptr(), u.text.len()))?;
                        let trees = work.done[i].lock().ok()?.take()?.ok()?;
                        renamed(trees, &work.sources[i].0, &u.name).map(Ok)
                    })
                    .collect();
            }
        }
        crate::render::chart::parse_units_with(order, helm_major, ready)
    }
}

/// The trees of a file parsed as `provisional`, relabelled as the file `name`: the main tree
/// (parsed last) takes the name, every tree the file name. `None` when a `define` in the file
/// bears either name, where the parse itself may depend on the name.
fn renamed(
    mut trees: Vec<crate::engine::ast::Tree>,
    provisional: &str,
    name: &str,
) -> Option<Vec<crate::engine::ast::Tree>> {
    if provisional == name {
        return Some(trees);
    }
    let (main, defines) = trees.split_last_mut()?;
    if main.name != provisional
        || defines
            .iter()
            .any(|t| t.name == provisional || t.name == name)
    {
        return None;
    }
    let file: Arc<str> = Arc::from(name);
    main.name = name.to_string();
    for t in trees.iter_mut() {
        t.parse_name = Arc::clone(&file);
    }
    Some(trees)
}

impl Drop for ParseAhead {
    /// An unfinished render (an error before parsing) stops the worker after its current file.
    fn drop(&mut self) {
        if let Some(work) = &self.work {
            work.next.store(work.sources.len(), Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::load::{load_chart, load_chart_observed};
    use crate::chart::prepare::{prepare, RenderOptions};
    use crate::engine::ExecOptions;
    use crate::render::chart::{execute_units, helm_order, parse_units};

    fn write(dir: &std::path::Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
    }

    /// An aliased subchart (its units are renamed after loading), a disabled one (parsed ahead,
    /// never used), a parse error in the disabled one, and `define` precedence across charts:
    /// the set built with parses made ahead renders as the one parsed in place.
    #[test]
    fn parses_made_ahead_give_the_same_set() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                (
                    "Chart.yaml",
                    "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n- name: sub\n  version: 0.1.0\n  alias: renamed\n- name: extra\n  version: 0.1.0\n  condition: extra.enabled\n",
                ),
                ("values.yaml", "extra:\n  enabled: false\n"),
                ("templates/_h.tpl", "{{ define \"who\" }}top{{ end }}"),
                ("templates/a.yaml", "a: {{ include \"who\" . }} {{ .Chart.Name }}\n"),
                ("charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"),
                ("charts/sub/templates/_h.tpl", "{{ define \"who\" }}sub{{ end }}"),
                (
                    "charts/sub/templates/b.yaml",
                    "b: {{ include \"who\" . }} {{ .Template.Name }}\n",
                ),
                ("charts/extra/Chart.yaml", "apiVersion: v2\nname: extra\nversion: 0.1.0\n"),
                ("charts/extra/templates/c.yaml", "c: {{ if }}\n"),
            ],
        );
        // Parsed from the files as read (provisional names), and from the loaded chart.
        let mut files = Vec::new();
        let chart = load_chart_observed(dir.path(), &mut |f| files = f.to_vec()).unwrap();
        let prepared = prepare(&chart, &RenderOptions::default()).unwrap();
        let order = helm_order(&prepared.units);
        let in_place = parse_units(&order, 4).unwrap();
        let opts = ExecOptions::default();
        let expected = execute_units(&in_place, &order, &opts).unwrap();
        assert_eq!(
            expected
                .get("top/charts/renamed/templates/b.yaml")
                .map(String::as_str),
            Some("b: top top/charts/renamed/templates/b.yaml\n")
        );
        let sources_of_files: Vec<(String, Arc<str>)> = files
            .iter()
            .filter(|f| is_template_path(&f.name))
            .map(|f| (f.name.clone(), f.text()))
            .collect();
        assert_eq!(sources_of_files.len(), 5);
        for sources in [sources_of_files, template_sources(&chart)] {
            let ahead = ParseAhead::start_sources(sources, 4, 0);
            assert!(ahead.work.is_some() || crate::par::cores() < 2);
            let with_ahead = ahead.finish(&order, 4).unwrap();
            assert_eq!(with_ahead.names(), in_place.names());
            assert_eq!(execute_units(&with_ahead, &order, &opts).unwrap(), expected);
        }
    }

    #[test]
    fn template_paths() {
        assert!(is_template_path("templates/a.yaml"));
        assert!(is_template_path("charts/x/templates/_h.tpl"));
        assert!(is_template_path("charts/x/charts/y/templates/sub/c.yaml"));
        assert!(!is_template_path("templates/"));
        assert!(!is_template_path("values.yaml"));
        assert!(!is_template_path("files/templates/a"));
        assert!(!is_template_path("charts/x.tgz"));
        assert!(!is_template_path("charts/x/values.yaml"));
    }

    /// A file that defines a template under its own final name is parsed again under that
    /// name, so the clash is judged as without parsing ahead.
    #[test]
    fn a_define_named_like_its_file_is_parsed_again() {
        let text: Arc<str> = Arc::from("{{ define \"top/templates/a.yaml\" }}x{{ end }}y");
        let trees = TemplateSet::parse_file("templates/a.yaml", &text, 4).unwrap();
        assert!(renamed(trees, "templates/a.yaml", "top/templates/a.yaml").is_none());
        let trees = TemplateSet::parse_file("templates/a.yaml", &text, 4).unwrap();
        let ok = renamed(trees, "templates/a.yaml", "top/templates/b.yaml").unwrap();
        assert_eq!(ok.last().unwrap().name, "top/templates/b.yaml");
        assert!(ok.iter().all(|t| &*t.parse_name == "top/templates/b.yaml"));
    }

    /// A parse error in a rendered file is reported as without parsing ahead.
    #[test]
    fn parse_errors_are_the_same() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("Chart.yaml", "apiVersion: v2\nname: top\nversion: 1.0.0\n"),
                ("templates/a.yaml", "a: {{ end }}\n"),
                ("templates/b.yaml", "b: {{ if }}\n"),
            ],
        );
        let chart = load_chart(dir.path()).unwrap();
        let prepared = prepare(&chart, &RenderOptions::default()).unwrap();
        let order = helm_order(&prepared.units);
        let ahead = ParseAhead::start_sources(template_sources(&chart), 4, 0);
        let e1 = ahead.finish(&order, 4).err().unwrap();
        let e2 = parse_units(&order, 4).err().unwrap();
        assert_eq!(e1.to_string(), e2.to_string());
    }
}
