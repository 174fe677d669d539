//! The phases of an e2e run, in order, and their time limits (`--timeout PHASE=DURATION`).

use std::fmt;
use std::time::Duration;

/// One phase of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Create the cluster (or check an existing one answers) and wait for its nodes.
    Provision,
    /// helm install (or install the previous chart, then upgrade) and watch the rollout.
    Install,
    /// The live checks.
    Checks,
    /// Seed a project token, then load capture from a Job inside the cluster.
    Load,
    /// Count the load's events in ClickHouse.
    Verify,
    /// Delete the cluster, or for `existing` uninstall the release and its namespace.
    Teardown,
}

impl Phase {
    /// Every phase, in run order.
    pub const ALL: [Phase; 6] = [
        Phase::Provision,
        Phase::Install,
        Phase::Checks,
        Phase::Load,
        Phase::Verify,
        Phase::Teardown,
    ];

    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Provision => "provision",
            Phase::Install => "install",
            Phase::Checks => "checks",
            Phase::Load => "load",
            Phase::Verify => "verify",
            Phase::Teardown => "teardown",
        }
    }

    /// Its default time limit.
    pub fn default_timeout(self) -> Duration {
        let m = |n: u64| Duration::from_secs(n * 60);
        match self {
            Phase::Provision => m(30),
            Phase::Install => m(20),
            Phase::Checks => m(5),
            Phase::Load => m(15),
            Phase::Verify => m(10),
            Phase::Teardown => m(20),
        }
    }

    fn index(self) -> usize {
        Phase::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The time limit of every phase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeouts([Duration; 6]);

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts(Phase::ALL.map(Phase::default_timeout))
    }
}

impl Timeouts {
    /// The defaults with each `PHASE=DURATION` applied (`90s`, `15m`, `1h`).
    pub fn parse(specs: &[String]) -> Result<Timeouts, String> {
        let mut t = Timeouts::default();
        for spec in specs {
            let (name, dur) = spec.split_once('=').ok_or_else(|| {
                format!("--timeout {spec:?}: write PHASE=DURATION, e.g. --timeout install=30m")
            })?;
            let phase = Phase::ALL
                .into_iter()
                .find(|p| p.name() == name.trim())
                .ok_or_else(|| {
                    format!(
                        "--timeout {spec:?}: unknown phase {name:?} (phases: {})",
                        Phase::ALL.map(Phase::name).join(", ")
                    )
                })?;
            let d = crate::cli::cluster::parse_duration(dur)
                .map_err(|e| format!("--timeout {spec:?}: {e}"))?;
            if d.is_zero() {
                return Err(format!("--timeout {spec:?}: must be longer than 0s"));
            }
            t.0[phase.index()] = d;
        }
        Ok(t)
    }

    /// A phase's limit.
    pub fn get(&self, phase: Phase) -> Duration {
        self.0[phase.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse() {
        let t = Timeouts::parse(&["install=30m".into(), "verify=90s".into()]).unwrap();
        assert_eq!(t.get(Phase::Install), Duration::from_secs(1800));
        assert_eq!(t.get(Phase::Verify), Duration::from_secs(90));
        assert_eq!(t.get(Phase::Load), Duration::from_secs(900));
        assert!(Timeouts::parse(&["instal=3m".into()])
            .unwrap_err()
            .contains(
            "unknown phase \"instal\" (phases: provision, install, checks, load, verify, teardown)"
        ));
        assert!(Timeouts::parse(&["install".into()])
            .unwrap_err()
            .contains("PHASE=DURATION"));
        assert!(Timeouts::parse(&["install=0s".into()]).is_err());
    }
}
