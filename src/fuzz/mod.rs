//! `fuzz`: values generated from a chart's `values.schema.json` (valid by construction where
//! generation can tell, and checked against the schema before use), rendered in-process, the
//! output checked; every template crash or broken manifest reached through schema-valid
//! values is shrunk to a minimal values file.
//!
//! - [`schema`] reads the schema (`$ref`, `allOf`), [`regexgen`] builds strings for
//!   `pattern`s, [`gen`] plans interesting values and generates random ones;
//! - [`run`] is the loop, [`shrink`] the reducer, [`check`] the manifest checks
//!   ([`check::ManifestCheck`] is where a Kubernetes schema validator plugs in).

pub mod check;
pub mod gen;
pub mod regexgen;
pub mod run;
pub mod schema;
pub mod shrink;

pub use check::{ManifestCheck, StructuralCheck};
pub use run::{Found, Fuzzer, Report};
