//! Custom resource schemas from the CustomResourceDefinitions a chart ships (in `crds/` or
//! rendered from templates).

use std::collections::HashMap;

use serde_json::Value as Json;

use super::graph::{Definitions, Graph, NodeId};

struct NoDefs;

impl Definitions for NoDefs {
    fn definition(&self, _: &str) -> Option<&Json> {
        None
    }
}

/// What a CRD declares for one served version.
#[derive(Clone, Debug)]
pub struct CrdVersion {
    /// `group/version`
    pub api_version: String,
    /// `spec.names.kind`
    pub kind: String,
    /// The compiled `openAPIV3Schema`, when the version has one.
    pub schema: Option<NodeId>,
    /// `deprecated: true` on the version.
    pub deprecated: bool,
}

/// The custom resource kinds of a chart and their compiled schemas.
#[derive(Debug)]
pub struct CrdSet {
    graph: Graph,
    kinds: HashMap<(String, String), CrdVersion>,
    /// Groups and kinds declared, for "is this a custom resource at all".
    kinds_any_version: HashMap<(String, String), Vec<String>>,
}

impl Default for CrdSet {
    fn default() -> Self {
        CrdSet {
            graph: Graph::for_crds(),
            kinds: HashMap::new(),
            kinds_any_version: HashMap::new(),
        }
    }
}

impl CrdSet {
    /// Adds a CRD object (JSON form of `apiextensions.k8s.io/v1` or `v1beta1`). A CRD whose
    /// schema does not compile yields the reason, and its kinds are still known (unvalidated).
    pub fn add(&mut self, crd: &Json) -> Result<(), String> {
        let spec = crd.get("spec").unwrap_or(&Json::Null);
        let group = spec.get("group").and_then(Json::as_str).unwrap_or("");
        let Some(kind) = spec.pointer("/names/kind").and_then(Json::as_str) else {
            return Ok(());
        };
        // v1beta1 had one schema for all versions under spec.validation.
        let shared = spec.pointer("/validation/openAPIV3Schema");
        let mut versions: Vec<(String, Option<&Json>, bool)> = Vec::new();
        if let Some(Json::Array(vs)) = spec.get("versions") {
            for v in vs {
                let Some(name) = v.get("name").and_then(Json::as_str) else {
                    continue;
                };
                let schema = v.pointer("/schema/openAPIV3Schema").or(shared);
                let deprecated = v.get("deprecated").and_then(Json::as_bool) == Some(true);
                versions.push((name.to_string(), schema, deprecated));
            }
        } else if let Some(name) = spec.get("version").and_then(Json::as_str) {
            versions.push((name.to_string(), shared, false));
        }
        let mut first_err = None;
        for (v, schema, deprecated) in versions {
            let api_version = if group.is_empty() {
                v.clone()
            } else {
                format!("{group}/{v}")
            };
            let compiled = match schema {
                Some(s) => match self.graph.compile(s, &NoDefs) {
                    Ok(id) => Some(id),
                    Err(e) => {
                        first_err.get_or_insert(format!("{kind} {api_version}: {e}"));
                        None
                    }
                },
                None => None,
            };
            self.kinds_any_version
                .entry((group.to_string(), kind.to_string()))
                .or_default()
                .push(api_version.clone());
            self.kinds.insert(
                (api_version.clone(), kind.to_string()),
                CrdVersion {
                    api_version,
                    kind: kind.to_string(),
                    schema: compiled,
                    deprecated,
                },
            );
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The declared version of `apiVersion`/`kind`.
    pub fn lookup(&self, api_version: &str, kind: &str) -> Option<&CrdVersion> {
        self.kinds.get(&(api_version.to_string(), kind.to_string()))
    }

    /// The apiVersions a CRD of this chart declares for the group of `api_version` and `kind`.
    pub fn versions_of(&self, api_version: &str, kind: &str) -> Option<&Vec<String>> {
        let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        self.kinds_any_version
            .get(&(group.to_string(), kind.to_string()))
    }

    /// The compiled graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Whether no CRD was added.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }
}
