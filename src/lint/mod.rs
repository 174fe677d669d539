//! `posthog-charttest lint`: helm lint's chart rules, strict Kubernetes schema validation per
//! target version, API lifecycle, best-practice policies and cross-object references, over
//! every values scenario of a chart, each finding pointing at the template line to fix.

pub mod config;
pub mod deprecation;
pub mod finding;
pub mod objects;
pub mod rules;
pub mod schema;
pub mod source;

pub use finding::{Finding, Severity};
pub mod helm;
pub mod hit;
pub mod output;
pub mod policy;
pub mod refs;
pub mod run;
pub mod selector;
