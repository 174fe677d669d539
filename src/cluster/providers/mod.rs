//! One [`Provider`] per tool: local k3s (k3d or the k3s binary) and kind, an existing cluster,
//! and the four clouds through their official CLIs.

mod aws;
mod azure;
mod digitalocean;
mod existing;
mod gcp;
mod kind;
mod localk3s;

pub use aws::Aws;
pub use azure::Azure;
pub use digitalocean::DigitalOcean;
pub use existing::Existing;
pub use gcp::Gcp;
pub use kind::Kind;
pub use localk3s::{K3d, K3sBinary};

use super::env::Env;
use super::provider::{Cluster, Prerequisite, Provider, ProviderKind};

/// The provider for `kind`. `k3s` goes through k3d when it is on `PATH`, else the k3s binary.
pub fn provider_for(kind: ProviderKind, env: &Env) -> Box<dyn Provider> {
    match kind {
        ProviderKind::K3s => {
            if env.has("k3d") || !env.has("k3s") {
                Box::new(K3d)
            } else {
                Box::new(K3sBinary)
            }
        }
        ProviderKind::Kind => Box::new(Kind),
        ProviderKind::Existing => Box::new(Existing),
        ProviderKind::Aws => Box::new(Aws),
        ProviderKind::Gcp => Box::new(Gcp),
        ProviderKind::Digitalocean => Box::new(DigitalOcean),
        ProviderKind::Azure => Box::new(Azure),
    }
}

/// The provider that made a recorded cluster (the k3s backend as recorded, not as installed now).
pub fn provider_of(cluster: &Cluster, env: &Env) -> Box<dyn Provider> {
    match (cluster.provider, cluster.backend.as_deref()) {
        (ProviderKind::K3s, Some("k3s")) => Box::new(K3sBinary),
        (ProviderKind::K3s, Some("k3d")) => Box::new(K3d),
        (kind, _) => provider_for(kind, env),
    }
}

/// `key=value,key=value` of the cluster's ownership labels.
fn joined_labels(cluster: &Cluster, sep: &str, pair: &str) -> String {
    cluster
        .labels()
        .into_iter()
        .map(|(k, v)| format!("{k}{pair}{v}"))
        .collect::<Vec<_>>()
        .join(sep)
}

/// A credentials prerequisite that holds when any of the checks does.
fn credentials(what: &str, ok: bool, hint: &str) -> Prerequisite {
    Prerequisite {
        what: what.to_string(),
        ok,
        hint: hint.to_string(),
    }
}

/// The cluster's region, or an error naming the flag and variables that give one.
fn region_or(
    cluster: &Cluster,
    env: &Env,
    vars: &[&str],
    provider: &str,
) -> Result<String, String> {
    if let Some(r) = &cluster.region {
        return Ok(r.clone());
    }
    vars.iter()
        .find_map(|v| env.get(v).map(str::to_string))
        .ok_or_else(|| {
            let mut msg = format!("the {provider} provider needs a region: pass --region");
            if !vars.is_empty() {
                msg.push_str(" or set ");
                msg.push_str(&vars.join(" or "));
            }
            msg
        })
}

/// Whether a version names a full patch release (`1.31.4`, `v1.31.4`).
fn full_version(v: &str) -> Option<String> {
    let v = v.trim_start_matches('v');
    let core = v.split(['-', '+']).next().unwrap_or(v);
    let parts: Vec<&str> = core.split('.').collect();
    (parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())))
    .then(|| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_versions() {
        assert_eq!(full_version("1.31.4").as_deref(), Some("1.31.4"));
        assert_eq!(full_version("v1.31.4-k3s1").as_deref(), Some("1.31.4-k3s1"));
        assert_eq!(full_version("1.31"), None);
    }
}
