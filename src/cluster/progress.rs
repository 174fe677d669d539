//! Human-facing live output: a log of lines (redacted, to stderr or captured for tests) and the
//! rollout display (indicatif bars on a terminal, one line per change elsewhere, so CI logs show
//! progress too).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use parking_lot::{Mutex, RwLock};

use super::redact::Redactor;
use super::rollout::WorkloadStatus;

enum Sink {
    Stderr,
    Buffer(Mutex<Vec<String>>),
    Quiet,
}

struct Inner {
    sink: Sink,
    redactor: RwLock<Redactor>,
    multi: Mutex<Option<MultiProgress>>,
}

/// Where live lines go. Every line passes through the run's [`Redactor`]. Cheap to clone.
#[derive(Clone)]
pub struct Log {
    inner: Arc<Inner>,
}

impl Log {
    fn with(sink: Sink) -> Log {
        Log {
            inner: Arc::new(Inner {
                sink,
                redactor: RwLock::new(Redactor::new()),
                multi: Mutex::new(None),
            }),
        }
    }

    /// Lines go to standard error.
    pub fn stderr() -> Log {
        Log::with(Sink::Stderr)
    }

    /// Lines are kept in memory (tests read them with [`Log::captured`]).
    pub fn buffer() -> Log {
        Log::with(Sink::Buffer(Mutex::new(Vec::new())))
    }

    /// Lines are dropped.
    pub fn quiet() -> Log {
        Log::with(Sink::Quiet)
    }

    /// Writes one line, secrets redacted.
    pub fn line(&self, line: impl AsRef<str>) {
        let text = self.redact(line.as_ref());
        match &self.inner.sink {
            Sink::Stderr => {
                if let Some(m) = self.inner.multi.lock().as_ref() {
                    let _ = m.println(&text);
                } else {
                    eprintln!("{text}");
                }
            }
            Sink::Buffer(b) => b.lock().push(text),
            Sink::Quiet => {}
        }
    }

    /// The text with the run's known secrets replaced.
    pub fn redact(&self, text: &str) -> String {
        self.inner.redactor.read().redact(text).into_owned()
    }

    /// Teaches the redactor more secrets.
    pub fn learn(&self, f: impl FnOnce(&mut Redactor)) {
        f(&mut self.inner.redactor.write());
    }

    /// A copy of the redactor as it is now.
    pub fn redactor(&self) -> Redactor {
        self.inner.redactor.read().clone()
    }

    /// The captured lines of a [`Log::buffer`] log.
    pub fn captured(&self) -> Vec<String> {
        match &self.inner.sink {
            Sink::Buffer(b) => b.lock().clone(),
            _ => Vec::new(),
        }
    }

    fn is_terminal(&self) -> bool {
        matches!(self.inner.sink, Sink::Stderr) && std::io::stderr().is_terminal()
    }
}

/// How rollout progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ProgressMode {
    /// Bars on a terminal, lines otherwise.
    #[default]
    Auto,
    /// Progress bars (indicatif).
    Bars,
    /// One line whenever a workload's state changes.
    Lines,
    /// Nothing.
    Quiet,
}

/// The live display of every workload's rollout.
pub struct RolloutDisplay {
    log: Log,
    bars: Option<(MultiProgress, BTreeMap<String, ProgressBar>)>,
    last: BTreeMap<String, String>,
    quiet: bool,
}

impl RolloutDisplay {
    /// A display writing to `log` in the given mode.
    pub fn new(log: &Log, mode: ProgressMode) -> RolloutDisplay {
        let bars = match mode {
            ProgressMode::Bars => true,
            ProgressMode::Auto => log.is_terminal(),
            _ => false,
        };
        let bars = bars.then(|| {
            let m = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            *log.inner.multi.lock() = Some(m.clone());
            (m, BTreeMap::new())
        });
        RolloutDisplay {
            log: log.clone(),
            bars,
            last: BTreeMap::new(),
            quiet: mode == ProgressMode::Quiet,
        }
    }

    /// Shows the current state of every workload.
    pub fn update(&mut self, statuses: &[WorkloadStatus]) {
        if self.quiet {
            return;
        }
        for s in statuses {
            let key = s.key();
            let line = s.to_string();
            if self.last.get(&key) == Some(&line) {
                continue;
            }
            self.last.insert(key.clone(), line.clone());
            match &mut self.bars {
                Some((multi, bars)) => {
                    let bar = bars.entry(key.clone()).or_insert_with(|| {
                        let b = multi.add(ProgressBar::new(0));
                        b.set_style(
                            ProgressStyle::with_template(
                                "{spinner} {prefix:<40} [{bar:20}] {pos}/{len} {msg}",
                            )
                            .unwrap_or_else(|_| ProgressStyle::default_bar())
                            .progress_chars("=> "),
                        );
                        b.set_prefix(key.clone());
                        b.enable_steady_tick(Duration::from_millis(200));
                        b
                    });
                    bar.set_length(s.desired.max(0) as u64);
                    bar.set_position(s.ready.max(0) as u64);
                    bar.set_message(s.note.clone());
                    if s.done {
                        bar.finish();
                    }
                }
                None => self.log.line(format!("  {line}")),
            }
        }
    }

    /// Stops the bars; later lines print normally.
    pub fn finish(&mut self) {
        if let Some((multi, bars)) = self.bars.take() {
            for b in bars.values() {
                b.finish();
            }
            drop(multi);
            *self.log.inner.multi.lock() = None;
        }
    }
}

impl Drop for RolloutDisplay {
    fn drop(&mut self) {
        self.finish();
    }
}
