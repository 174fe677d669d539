//! Finding suites, running their tests in parallel over one loaded chart, and folding the
//! results back in suite order.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::chart::glob::Glob;
use crate::chart::load::load_chart;
use crate::chart::Chart;

use super::job::{run_test, JobInput, RunSettings, TemplateCache, TestOutcome};
use super::snapshot::{self, FileOutcome, SnapshotFile};
use super::suite::{read_suites, ReadOptions, Suite, SuiteError};
use super::yval::{parse_value, YV};

/// What to run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Suite file globs, relative to the chart (`tests/*_test.yaml` when empty).
    pub files: Vec<String>,
    /// Also run the suites of subcharts in `charts/`.
    pub with_subchart: bool,
    /// `--strict`
    pub strict: bool,
    /// Only tests whose suite or test name contains this.
    pub filter: Option<String>,
    /// Worker threads (the number of cores when 0).
    pub jobs: usize,
    /// Shared settings.
    pub settings: RunSettings,
}

/// A suite as run.
#[derive(Debug)]
pub struct SuiteRun {
    /// The suite (tests included).
    pub suite: Suite,
    /// The suite file relative to the chart directory, for display.
    pub display: String,
    /// Outcomes, one per test (`None` when the test did not run: filtered out or fail-fast).
    pub tests: Vec<Option<TestOutcome>>,
    /// Snapshot bookkeeping.
    pub snapshots: FileOutcome,
    /// A suite-level error (snapshot file unreadable, obsolete snapshots in CI mode, a
    /// snapshot file that could not be written).
    pub error: Option<String>,
    /// Tests excluded by `--filter`.
    pub filtered: usize,
}

impl SuiteRun {
    /// Whether every test that ran passed and the suite has no error.
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.tests.iter().flatten().all(|t| t.passed || t.skipped)
    }
}

/// A chart as run.
#[derive(Debug)]
pub struct ChartRun {
    /// The chart argument.
    pub path: PathBuf,
    /// The chart's name.
    pub name: String,
    /// A chart-level error (unloadable chart, bad glob).
    pub error: Option<String>,
    /// Suite files that could not be read, with their errors.
    pub suite_errors: Vec<SuiteError>,
    /// Suites, in discovery order.
    pub suites: Vec<SuiteRun>,
    /// The loaded chart (for coverage).
    pub chart: Option<Chart>,
}

/// The whole run.
#[derive(Debug, Default)]
pub struct RunResult {
    /// One per chart argument.
    pub charts: Vec<ChartRun>,
    /// Wall time.
    pub elapsed: Duration,
    /// Worker threads used.
    pub threads: usize,
}

impl RunResult {
    /// Whether everything passed.
    pub fn passed(&self) -> bool {
        self.charts.iter().all(|c| {
            c.error.is_none() && c.suite_errors.is_empty() && c.suites.iter().all(|s| s.passed())
        })
    }
}

/// Progress events, in order: a run about to start, then one per finished test.
pub enum Event<'a> {
    /// Tests are about to run.
    Start {
        /// Tests to run.
        tests: usize,
        /// Suites.
        suites: usize,
        /// Worker threads.
        threads: usize,
    },
    /// A suite file could not be read.
    SuiteError(&'a SuiteError),
    /// A test finished (delivered in suite and test order).
    Test {
        /// The suite's display name.
        suite: &'a str,
        /// The outcome.
        outcome: &'a TestOutcome,
    },
}

/// Finds suite files: each pattern joined to the chart path as helm-unittest does (so
/// `../x/*.yaml` works, also for a packaged chart), absolute ones as they are; sorted per
/// pattern, without repeats.
pub fn find_files(chart_path: &Path, patterns: &[String]) -> Result<Vec<PathBuf>, String> {
    let defaults = ["tests/*_test.yaml".to_string()];
    let patterns: &[String] = if patterns.is_empty() {
        &defaults
    } else {
        patterns
    };
    let mut all = Vec::new();
    for p in patterns {
        let full = if Path::new(p).is_absolute() {
            super::job::clean_join("", p)
        } else {
            super::job::clean_join(&chart_path.to_string_lossy(), p)
        };
        let parts: Vec<&str> = full.split('/').collect();
        let first_meta = parts
            .iter()
            .position(|c| c.contains(['*', '?', '[', '{']))
            .unwrap_or(parts.len());
        if first_meta == parts.len() {
            let f = PathBuf::from(&full);
            if f.is_file() && !all.contains(&f) {
                all.push(f);
            }
            continue;
        }
        let base = parts[..first_meta].join("/");
        let base = if base.is_empty() && full.starts_with('/') {
            "/".to_string()
        } else if base.is_empty() {
            ".".to_string()
        } else {
            base
        };
        let rest = parts[first_meta..].join("/");
        let glob = Glob::compile(&rest).ok_or_else(|| format!("bad suite file pattern {p:?}"))?;
        let base = PathBuf::from(base);
        let mut found: Vec<PathBuf> = walk(&base)
            .iter()
            .filter(|f| glob.matches(f))
            .map(|f| base.join(f))
            .collect();
        found.sort();
        for f in found {
            if !all.contains(&f) {
                all.push(f);
            }
        }
    }
    Ok(all)
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, rel)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let r = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if name == ".git" || name == "target" || name == "node_modules" {
                    continue;
                }
                stack.push((e.path(), r));
            } else {
                out.push(r);
            }
        }
    }
    out.sort();
    out
}

/// helm-unittest's subchart enablement for `--with-subchart`: `condition` (a path to a bool,
/// enabled unless it is `false`), else `tags` (any true), else enabled.
fn subchart_enabled(parent: &Chart, sub: &Chart, values: &YV) -> bool {
    let dep = parent.metadata.deps().find(|d| {
        let n = if d.alias.is_empty() {
            &d.name
        } else {
            &d.alias
        };
        *n == sub.metadata.name
    });
    let Some(dep) = dep else { return true };
    if !dep.condition.is_empty() {
        let mut cur = values;
        let parts: Vec<&str> = dep.condition.split('.').collect();
        for (i, p) in parts.iter().enumerate() {
            let Some(next) = cur.get(p) else { return true };
            if i + 1 == parts.len() {
                return !matches!(next, YV::Bool(false));
            }
            if !matches!(next, YV::Map(_)) {
                return true;
            }
            cur = next;
        }
        return true;
    }
    if !dep.tags.is_empty() {
        let Some(tags @ YV::Map(_)) = values.get("tags") else {
            return true;
        };
        return dep
            .tags
            .iter()
            .any(|t| matches!(tags.get(t), Some(YV::Bool(true))));
    }
    true
}

fn chart_values(chart: &Chart, extra: &[PathBuf]) -> YV {
    let mut base = match crate::engine::yaml::to_yaml(&chart.values) {
        Ok(t) => parse_value(&t).unwrap_or(YV::Null),
        Err(_) => YV::Null,
    };
    for f in extra {
        if let Ok(t) = std::fs::read_to_string(f) {
            if let Ok(v @ YV::Map(_)) = parse_value(&t) {
                base = super::setpath::merge_tables(v, &base);
            }
        }
    }
    base
}

#[allow(clippy::too_many_arguments)]
fn discover(
    dir: &Path,
    route: &str,
    chart: &Chart,
    values: &YV,
    opts: &RunOptions,
    suites: &mut Vec<(Suite, String)>,
    errors: &mut Vec<SuiteError>,
    root_dir: &Path,
) -> Result<(), String> {
    let files = find_files(dir, &opts.files)?;
    for f in files {
        let root = if root_dir.is_dir() {
            root_dir
        } else {
            root_dir.parent().unwrap_or(Path::new("."))
        };
        let display = f.strip_prefix(root).unwrap_or(&f).display().to_string();
        let text = match std::fs::read_to_string(&f) {
            Ok(t) => t,
            Err(e) => {
                errors.push(SuiteError {
                    file: f.clone(),
                    line: 0,
                    message: e.to_string(),
                });
                continue;
            }
        };
        match read_suites(
            &f,
            &text,
            route,
            ReadOptions {
                strict: opts.strict,
            },
        ) {
            Ok(list) => {
                let n = list.len();
                for (i, s) in list.into_iter().enumerate() {
                    let d = if n > 1 {
                        format!("{display}#{}", i + 1)
                    } else {
                        display.clone()
                    };
                    suites.push((s, d));
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if !opts.with_subchart {
        return Ok(());
    }
    for sub in &chart.dependencies {
        if !subchart_enabled(chart, sub, values) {
            continue;
        }
        let sub_dir = dir.join("charts").join(&sub.metadata.name);
        if !sub_dir.is_dir() {
            continue;
        }
        let sub_route = format!("{route}/charts/{}", sub.metadata.name);
        discover(
            &sub_dir, &sub_route, sub, values, opts, suites, errors, root_dir,
        )?;
    }
    Ok(())
}

/// Runs every suite of every chart. `progress` sees events in a deterministic order.
pub fn run(charts: &[PathBuf], opts: &RunOptions, progress: &mut dyn FnMut(Event)) -> RunResult {
    let start = Instant::now();
    let threads = if opts.jobs > 0 {
        opts.jobs
    } else {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    };
    let mut result = RunResult {
        threads,
        ..Default::default()
    };
    for path in charts {
        let chart = match load_chart(path) {
            Ok(c) => c,
            Err(e) => {
                result.charts.push(ChartRun {
                    path: path.clone(),
                    name: String::new(),
                    error: Some(e.0),
                    suite_errors: Vec::new(),
                    suites: Vec::new(),
                    chart: None,
                });
                continue;
            }
        };
        let dir = path.clone();
        let values = chart_values(&chart, &opts.settings.values_files);
        let mut found = Vec::new();
        let mut errors = Vec::new();
        let name = chart.name().to_string();
        if let Err(e) = discover(
            &dir,
            &name,
            &chart,
            &values,
            opts,
            &mut found,
            &mut errors,
            &dir,
        ) {
            result.charts.push(ChartRun {
                path: path.clone(),
                name,
                error: Some(e),
                suite_errors: errors,
                suites: Vec::new(),
                chart: Some(chart),
            });
            continue;
        }
        for e in &errors {
            progress(Event::SuiteError(e));
        }
        let suites = run_suites(&chart, found, opts, threads, progress);
        result.charts.push(ChartRun {
            path: path.clone(),
            name,
            error: None,
            suite_errors: errors,
            suites,
            chart: Some(chart),
        });
    }
    result.elapsed = start.elapsed();
    result
}

fn matches_filter(filter: &Option<String>, suite: &Suite, display: &str, test: &str) -> bool {
    match filter {
        None => true,
        Some(f) => {
            test.contains(f.as_str())
                || suite.name.contains(f.as_str())
                || display.contains(f.as_str())
        }
    }
}

fn run_suites(
    chart: &Chart,
    found: Vec<(Suite, String)>,
    opts: &RunOptions,
    threads: usize,
    progress: &mut dyn FnMut(Event),
) -> Vec<SuiteRun> {
    let settings = &opts.settings;
    // Snapshot files, read once per suite before any test runs.
    let mut snaps: Vec<Result<SnapshotFile, String>> = Vec::new();
    for (s, _) in &found {
        snaps.push(snapshot::read(&snapshot::snapshot_path(
            &s.file,
            &s.snapshot_id,
        )));
    }
    let mut jobs: Vec<(usize, usize)> = Vec::new();
    let mut filtered = vec![0usize; found.len()];
    for (si, (s, display)) in found.iter().enumerate() {
        if snaps[si].is_err() {
            continue;
        }
        for (ti, t) in s.tests.iter().enumerate() {
            if matches_filter(&opts.filter, s, display, &t.name) {
                jobs.push((si, ti));
            } else {
                filtered[si] += 1;
            }
        }
    }
    progress(Event::Start {
        tests: jobs.len(),
        suites: found.len(),
        threads,
    });
    let cache = TemplateCache::default();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let mut slots: Vec<Option<TestOutcome>> = (0..jobs.len()).map(|_| None).collect();
    let (tx, rx) = mpsc::channel::<(usize, TestOutcome)>();
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1).min(jobs.len().max(1)) {
            let tx = tx.clone();
            let (jobs, found, snaps, cache, next, stop) =
                (&jobs, &found, &snaps, &cache, &next, &stop);
            scope.spawn(move || loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(si, ti)) = jobs.get(i) else { break };
                let (suite, _) = &found[si];
                let input = JobInput {
                    chart,
                    suite,
                    test: &suite.tests[ti],
                    settings,
                    cache,
                    snapshots: snaps[si].as_ref().ok(),
                };
                let outcome = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run_test(&input)
                })) {
                    Ok(o) => o,
                    Err(_) => TestOutcome {
                        name: suite.tests[ti].name.clone(),
                        line: suite.tests[ti].line,
                        exec_error: Some(
                            "internal error: the runner panicked on this test (please report it)"
                                .into(),
                        ),
                        ..Default::default()
                    },
                };
                if settings.fail_fast && !outcome.passed && !outcome.skipped {
                    stop.store(true, Ordering::Relaxed);
                }
                if tx.send((i, outcome)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        // Deliver in job order: hold back results until everything before them is in.
        let mut shown = 0;
        for (i, o) in rx {
            slots[i] = Some(o);
            while shown < slots.len() {
                let Some(o) = &slots[shown] else { break };
                let (si, _) = jobs[shown];
                progress(Event::Test {
                    suite: &found[si].1,
                    outcome: o,
                });
                shown += 1;
            }
        }
    });
    let mut runs: Vec<SuiteRun> = Vec::new();
    let mut per_suite: Vec<Vec<Option<TestOutcome>>> = found
        .iter()
        .map(|(s, _)| vec![None; s.tests.len()])
        .collect();
    for (i, o) in slots.into_iter().enumerate() {
        let (si, ti) = jobs[i];
        per_suite[si][ti] = o;
    }
    for (si, ((suite, display), tests)) in found.into_iter().zip(per_suite).enumerate() {
        let mut run = SuiteRun {
            display,
            tests,
            snapshots: FileOutcome::default(),
            error: None,
            filtered: filtered[si],
            suite,
        };
        match &snaps[si] {
            Err(e) => run.error = Some(e.clone()),
            Ok(file) => {
                let mut ran = Vec::new();
                let mut not_run = Vec::new();
                for (t, o) in run.suite.tests.iter().zip(&run.tests) {
                    match o {
                        Some(o) if !o.skipped => ran.push((t.name.clone(), o.snapshots.clone())),
                        _ => not_run.push(t.name.clone()),
                    }
                }
                // A test name that ran once keeps its entries even if another test with the
                // same name was skipped.
                not_run.retain(|n| !ran.iter().any(|(r, _)| r == n));
                match snapshot::finish(file, &ran, &not_run, settings.update, settings.ci) {
                    Ok(o) => {
                        if settings.ci && !settings.update && !o.obsolete.is_empty() {
                            run.error = Some(format!(
                                "obsolete snapshots in {} (no test produces them; --ci does not remove them, run with -u): {}",
                                file.path.display(),
                                o.obsolete.join(", ")
                            ));
                        }
                        run.snapshots = o;
                    }
                    Err(e) => run.error = Some(format!("cannot write snapshot file: {e}")),
                }
            }
        }
        runs.push(run);
    }
    runs
}
