//! Parsing templates ahead: on another thread, while the main thread prepares values.
//!
//! A template's parse depends only on its name, its text and the helm version, all known once
//! the chart is loaded; which templates render (and under which names) is known only after
//! dependency processing. So every template the chart carries is parsed speculatively, under
//! the name it has when no alias renames its subchart. When the units are known, the main thread
//! helps with whatever is left, then takes each parse whose name and text match a unit's, and
//! parses the rest (aliased subcharts) itself. Parses of dropped subcharts go unused.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::chart::prepare::{template_sources, RenderUnit};
use crate::chart::Chart;
use crate::engine::{Error, Parsed, TemplateSet};

/// Below this much template text a thread costs more than it saves.
const MIN_TEXT: usize = 64 * 1024;

struct Work {
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

impl ParseAhead {
    /// Starts parsing `chart`'s templates on a new thread, when there are enough of them to pay
    /// for one.
    pub fn start(chart: &Chart, helm_major: u32) -> ParseAhead {
        Self::start_above(chart, helm_major, MIN_TEXT)
    }

    fn start_above(chart: &Chart, helm_major: u32, min_text: usize) -> ParseAhead {
        let idle = ParseAhead {
            work: None,
            handle: None,
        };
        if crate::par::cores() < 2 {
            return idle;
        }
        let sources = template_sources(chart);
        if sources.iter().map(|(_, t)| t.len()).sum::<usize>() < min_text {
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
                let index: std::collections::HashMap<&str, usize> = work
                    .sources
                    .iter()
                    .enumerate()
                    .map(|(i, (n, _))| (n.as_str(), i))
                    .collect();
                ready = order
                    .iter()
                    .map(|u| {
                        let i = *index.get(u.name.as_str())?;
                        if *work.sources[i].1 != *u.text {
                            return None;
                        }
                        work.done[i].lock().ok()?.take()
                    })
                    .collect();
            }
        }
        let mut set = TemplateSet::for_helm(helm_major);
        let files: Vec<(&str, &str)> = order
            .iter()
            .map(|u| (u.name.as_str(), u.text.as_ref()))
            .collect();
        set.add_all_parsed(&files, ready)?;
        Ok(set)
    }
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
    use crate::chart::load::load_chart;
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
        let chart = load_chart(dir.path()).unwrap();
        let prepared = prepare(&chart, &RenderOptions::default()).unwrap();
        let order = helm_order(&prepared.units);
        let ahead = ParseAhead::start_above(&chart, 4, 0);
        assert!(ahead.work.is_some() || crate::par::cores() < 2);
        let with_ahead = ahead.finish(&order, 4).unwrap();
        let in_place = parse_units(&order, 4).unwrap();
        assert_eq!(with_ahead.names(), in_place.names());
        let opts = ExecOptions::default();
        let a = execute_units(&with_ahead, &order, &opts).unwrap();
        let b = execute_units(&in_place, &order, &opts).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.get("top/charts/renamed/templates/b.yaml")
                .map(String::as_str),
            Some("b: top top/charts/renamed/templates/b.yaml\n")
        );
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
        let ahead = ParseAhead::start_above(&chart, 4, 0);
        let e1 = ahead.finish(&order, 4).err().unwrap();
        let e2 = parse_units(&order, 4).err().unwrap();
        assert_eq!(e1.to_string(), e2.to_string());
    }
}
