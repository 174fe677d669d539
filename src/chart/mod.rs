//! helm's chart model and values pipeline: everything that happens before template execution.
//!
//! - [`load`]: a chart directory or `.tgz` into a [`Chart`] (with `.helmignore`, subcharts,
//!   Chart.yaml validation).
//! - [`strvals`] and [`values`]: user values (`-f`, `--set*`), coalescing with chart defaults,
//!   dependency enablement, import-values, schema validation.
//! - [`objects`]: the built-in template objects (`.Capabilities`, `.Files`, `.Chart`, …).
//! - [`prepare`]: the entry point the renderer calls, yielding every template with its context.

pub mod glob;
pub mod ignore;
pub mod load;
pub mod metadata;
pub mod objects;
pub mod prepare;
pub mod schema;
mod schema_direct;
pub mod semver;
pub mod strvals;
pub mod values;
pub mod yamlio;

use std::sync::Arc;

use crate::engine::value::Value;

pub use load::{load_chart, locate_chart};
pub use metadata::{Dependency, Maintainer, Metadata};
pub use prepare::{prepare, RenderOptions, RenderUnit};

/// An error of the chart pipeline, carrying helm's exact message (without the `Error: `
/// prefix the CLI adds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartError(pub String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ChartError {}

impl From<String> for ChartError {
    fn from(s: String) -> Self {
        ChartError(s)
    }
}

impl From<&str> for ChartError {
    fn from(s: &str) -> Self {
        ChartError(s.to_string())
    }
}

/// A file of a chart, with its path relative to the chart root (`/`-separated).
#[derive(Clone, Debug)]
pub struct ChartFile {
    /// Path inside the chart, e.g. `templates/cm.yaml` or `files/a.txt`.
    pub name: String,
    /// Raw contents (a UTF-8 BOM already removed, as helm does).
    pub data: Arc<[u8]>,
}

impl ChartFile {
    /// The contents as text, sharing their allocation when they are valid UTF-8 (as they nearly
    /// always are); invalid sequences become U+FFFD in a copy.
    pub fn text(&self) -> Arc<str> {
        match std::str::from_utf8(&self.data) {
            // SAFETY: the bytes were just checked to be UTF-8, and `str` has the layout of
            // `[u8]`; the pointer comes from `Arc::into_raw` of the same element type's size.
            Ok(_) => unsafe { Arc::from_raw(Arc::into_raw(Arc::clone(&self.data)) as *const str) },
            Err(_) => Arc::from(String::from_utf8_lossy(&self.data).as_ref()),
        }
    }
}

/// A loaded chart: helm's `chart.Chart`.
#[derive(Clone, Debug, Default)]
pub struct Chart {
    /// Chart.yaml (with requirements.yaml's dependencies for v1 charts). After
    /// [`values::process_dependencies`], `name` is the alias for aliased subcharts.
    pub metadata: Metadata,
    /// Files under `templates/`, in load order.
    pub templates: Vec<ChartFile>,
    /// Files visible to `.Files`: everything but Chart.yaml, values.yaml, values.schema.json,
    /// Chart.lock, requirements.lock, templates/ and charts/ (except `charts/*.prov`).
    pub files: Vec<ChartFile>,
    /// values.yaml, a `map[string]interface {}` (empty when absent), as helm 4 reads it.
    pub values: Value,
    /// values.yaml's text, for helm 3, which reads only its first document and keeps numbers
    /// as `json.Number` ([`Chart::values_for`]).
    pub values_text: Option<Arc<str>>,
    /// helm 3's reading of `values_text`, parsed on first use and shared by clones: `test`
    /// prepares the chart once per test case.
    pub values3: Arc<std::sync::OnceLock<Option<Value>>>,
    /// values.schema.json, raw.
    pub schema: Option<Arc<[u8]>>,
    /// Subcharts, from `charts/`, sorted by directory or archive name.
    pub dependencies: Vec<Chart>,
}

impl Chart {
    /// The chart's name (Chart.yaml `name`, or the alias once dependencies are processed).
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// The default values as helm `major` reads them. helm 3 decodes only the first document,
    /// with numbers as `json.Number`; where that fails, helm 4's reading stands.
    pub fn values_for(&self, major: u32) -> Value {
        if major < 4 {
            let parsed = self.values3.get_or_init(|| {
                let text = self.values_text.as_ref()?;
                match crate::engine::yaml::parse_use_number(text) {
                    Ok(v @ Value::Map(..)) => Some(v),
                    _ => None,
                }
            });
            // Shared like `values` below: coalescing copies a chart's values before merging.
            if let Some(v) = parsed {
                return v.clone();
            }
        }
        self.values.clone()
    }

    /// The default values as a map.
    pub fn values_map(&self) -> crate::engine::value::MapRef {
        match &self.values {
            Value::Map(_, m) => m.clone(),
            _ => crate::engine::value::MapRef::default(),
        }
    }
}
