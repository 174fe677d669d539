//! The vendored Kubernetes schemas (`schemas/kubernetes.json.gz`, built by
//! `scripts/vendor-schemas.py` from the `kubernetes-validate` wheel), embedded in the binary
//! and compiled per Kubernetes minor version on first use.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value as Json;

use super::graph::{Definitions, Graph, NodeId};

static ARTIFACT: &[u8] = include_bytes!("../../../schemas/kubernetes.json.gz");

/// The lowest Kubernetes minor version with vendored schemas.
pub const MIN_MINOR: u32 = 25;
/// The highest Kubernetes minor version with vendored schemas.
pub const MAX_MINOR: u32 = 37;

#[derive(Deserialize)]
struct Artifact {
    source: String,
    pool: Vec<Json>,
    versions: BTreeMap<String, HashMap<String, usize>>,
}

struct Vendored {
    source: String,
    pool: Vec<Json>,
    versions: BTreeMap<u32, HashMap<String, usize>>,
    /// `apiVersion/Kind` → the minor versions serving it.
    presence: HashMap<String, Vec<u32>>,
}

fn vendored() -> Result<&'static Vendored, String> {
    static V: OnceLock<Result<Vendored, String>> = OnceLock::new();
    V.get_or_init(|| {
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(ARTIFACT)
            .read_to_end(&mut raw)
            .map_err(|e| format!("embedded schemas are corrupt: {e}"))?;
        let a: Artifact = serde_json::from_slice(&raw)
            .map_err(|e| format!("embedded schemas are corrupt: {e}"))?;
        let mut versions = BTreeMap::new();
        for (k, v) in a.versions {
            let minor = k
                .strip_prefix("1.")
                .and_then(|m| m.parse::<u32>().ok())
                .ok_or_else(|| format!("embedded schemas: bad version key {k}"))?;
            versions.insert(minor, v);
        }
        let mut presence: HashMap<String, Vec<u32>> = HashMap::new();
        for (&minor, table) in &versions {
            for &i in table.values() {
                let Some(Json::Array(g)) = a.pool.get(i).and_then(|d| d.get("gvk")) else {
                    continue;
                };
                if g.len() > 3 {
                    continue;
                }
                for key in g.iter().filter_map(Json::as_str) {
                    let e = presence.entry(key.to_string()).or_default();
                    if e.last() != Some(&minor) {
                        e.push(minor);
                    }
                }
            }
        }
        Ok(Vendored {
            source: a.source,
            pool: a.pool,
            versions,
            presence,
        })
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// Where the embedded schemas come from (`kubernetes-validate 1.37.0`).
pub fn source() -> String {
    vendored().map(|v| v.source.clone()).unwrap_or_else(|e| e)
}

/// The compiled schemas of one Kubernetes minor version.
pub struct VersionSchemas {
    /// The minor version (`1.<minor>`).
    pub minor: u32,
    graph: Graph,
    by_gvk: HashMap<(String, String), NodeId>,
}

struct Defs<'a> {
    v: &'a Vendored,
    table: &'a HashMap<String, usize>,
}

impl Definitions for Defs<'_> {
    fn definition(&self, name: &str) -> Option<&Json> {
        self.table.get(name).and_then(|&i| self.v.pool.get(i))
    }
}

/// `group/version/Kind` (or `version/Kind` for the core group) → (apiVersion, kind).
fn split_gvk(s: &str) -> Option<(String, String)> {
    let (gv, kind) = s.rsplit_once('/')?;
    Some((gv.to_string(), kind.to_string()))
}

impl VersionSchemas {
    fn build(minor: u32) -> Result<VersionSchemas, String> {
        let v = vendored()?;
        let table = v
            .versions
            .get(&minor)
            .ok_or_else(|| format!("no schemas for Kubernetes 1.{minor}"))?;
        let defs = Defs { v, table };
        let mut graph = Graph::new();
        let mut by_gvk = HashMap::new();
        let mut names: Vec<&String> = table.keys().collect();
        names.sort();
        for name in names {
            let Some(Json::Array(gvks)) = defs.definition(name).and_then(|d| d.get("gvk")) else {
                continue;
            };
            // Meta types such as DeleteOptions claim every group; they are no resources.
            if gvks.len() > 3 {
                continue;
            }
            let id = graph.named(name, &defs)?;
            for g in gvks {
                if let Some(key) = g.as_str().and_then(split_gvk) {
                    by_gvk.entry(key).or_insert(id);
                }
            }
        }
        Ok(VersionSchemas {
            minor,
            graph,
            by_gvk,
        })
    }

    /// The compiled graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The schema of `apiVersion`/`kind`, if this version serves it.
    pub fn lookup(&self, api_version: &str, kind: &str) -> Option<NodeId> {
        self.by_gvk
            .get(&(api_version.to_string(), kind.to_string()))
            .copied()
    }

    /// Whether this version serves `apiVersion`/`kind`.
    pub fn serves(&self, api_version: &str, kind: &str) -> bool {
        self.lookup(api_version, kind).is_some()
    }

    /// Every served (apiVersion, kind).
    pub fn served(&self) -> impl Iterator<Item = &(String, String)> {
        self.by_gvk.keys()
    }
}

/// The schemas of Kubernetes `1.<minor>`, compiled once per process.
pub fn version(minor: u32) -> Result<&'static VersionSchemas, String> {
    static CACHE: OnceLock<Vec<OnceLock<Result<VersionSchemas, String>>>> = OnceLock::new();
    if !(MIN_MINOR..=MAX_MINOR).contains(&minor) {
        return Err(format!(
            "no schemas for Kubernetes 1.{minor} (vendored: 1.{MIN_MINOR}–1.{MAX_MINOR})"
        ));
    }
    let cache = CACHE.get_or_init(|| (MIN_MINOR..=MAX_MINOR).map(|_| OnceLock::new()).collect());
    cache[(minor - MIN_MINOR) as usize]
        .get_or_init(|| VersionSchemas::build(minor))
        .as_ref()
        .map_err(Clone::clone)
}

/// The minor versions (within the vendored range) that serve `apiVersion`/`kind`, ascending.
pub fn served_in(api_version: &str, kind: &str) -> Vec<u32> {
    vendored()
        .ok()
        .and_then(|v| v.presence.get(&format!("{api_version}/{kind}")))
        .cloned()
        .unwrap_or_default()
}

/// Every `apiVersion/Kind` some vendored version serves.
pub fn all_served() -> Vec<String> {
    vendored()
        .map(|v| v.presence.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_version_compiles_and_serves_core_kinds() {
        for minor in MIN_MINOR..=MAX_MINOR {
            let v = version(minor).unwrap();
            assert!(v.serves("apps/v1", "Deployment"), "1.{minor}");
            assert!(v.serves("v1", "ConfigMap"), "1.{minor}");
            assert!(
                !v.serves("policy/v1beta1", "PodDisruptionBudget"),
                "1.{minor}"
            );
        }
        assert!(version(24).is_err());
    }

    #[test]
    fn presence_across_versions() {
        assert_eq!(
            served_in("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"),
            (26..=31).collect::<Vec<_>>()
        );
        assert!(served_in("extensions/v1beta1", "Ingress").is_empty());
    }
}
