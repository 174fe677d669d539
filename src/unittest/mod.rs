//! `posthog-charttest test`: helm-unittest suites, unchanged, run natively and in parallel.
//!
//! - [`suite`]: the suite format, read with positions.
//! - [`yval`], [`jsonpath`], [`setpath`]: go-yaml v3 values, helm-unittest's JSONPath dialect
//!   and `set:` paths.
//! - [`job`]: one test from values to verdict; [`validate`]: the assertion types.
//! - [`snapshot`]: `__snapshot__/*.snap` files; [`runner`]: discovery and the parallel run;
//!   [`report`]: console, JUnit and JSON reports; [`coverage`]: template coverage.

pub mod coverage;
pub mod job;
pub mod jsonpath;
pub mod report;
pub mod runner;
pub mod setpath;
pub mod snapshot;
pub mod suite;
pub mod validate;
pub mod yval;
