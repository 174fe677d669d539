//! Kubernetes schema validation: the vendored per-version schemas, CRD schemas, and a
//! validator over position-keeping YAML.

pub mod crd;
pub mod graph;
pub mod quantity;
pub mod store;
pub mod validate;

pub use graph::{Graph, NodeId};
pub use validate::{duplicate_keys, Issue, IssueKind, Validator};
