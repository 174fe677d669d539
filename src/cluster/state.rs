//! The state file: every cluster this machine created and has not yet deleted.
//!
//! An entry is written *before* the provider's create command starts, so a job killed at any
//! moment (even with SIGKILL, when no handler runs) leaves a record that `cluster reap` can
//! finish. Writers take an exclusive lock on a sibling `.lock` file and replace the file
//! atomically, so concurrent runs on one machine never lose each other's entries.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::command::write_private;
use super::provider::Cluster;

/// Where a recorded cluster is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// The create command is running (or was, when its run died).
    Creating,
    /// Created and in use.
    Ready,
    /// Deletion started.
    Deleting,
}

/// One recorded cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The cluster.
    pub cluster: Cluster,
    /// Where it is in its life.
    pub phase: Phase,
    /// The process that owns its teardown; `None` once a run handed the cluster over (a plain
    /// `cluster create`, or `--keep`), leaving its expiry to decide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_pid: Option<u32>,
    /// Unix seconds when it was recorded.
    pub created_at: i64,
}

impl Entry {
    /// Whether its owning process is gone, so nothing will tear it down unless reap does.
    pub fn orphaned(&self) -> bool {
        match self.owner_pid {
            Some(pid) => !process_alive(pid),
            None => false,
        }
    }

    /// Whether reap should delete it now: orphaned by a dead run, or past its expiry.
    pub fn reapable(&self, now: i64) -> bool {
        self.orphaned() || self.cluster.expires_at <= now
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct FileFormat {
    version: u32,
    clusters: Vec<Entry>,
}

/// The state file at a path.
#[derive(Clone, Debug)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// The state file at `path` (created on first write).
    pub fn new(path: impl Into<PathBuf>) -> StateFile {
        StateFile { path: path.into() }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory kubeconfigs and provider files go to (beside the state file).
    pub fn dir(&self) -> PathBuf {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// Every recorded cluster.
    pub fn entries(&self) -> Result<Vec<Entry>, String> {
        if !self.path.exists() {
            // Reading never creates anything (dry runs write nothing).
            return Ok(Vec::new());
        }
        let _lock = self.lock()?;
        self.read()
    }

    /// Records or replaces the entry for `entry.cluster`.
    pub fn upsert(&self, entry: Entry) -> Result<(), String> {
        self.update(|entries| {
            let key = entry.cluster.key();
            entries.retain(|e| e.cluster.key() != key);
            entries.push(entry);
        })
    }

    /// Changes the entry of a cluster, if recorded.
    pub fn modify(&self, key: &str, f: impl FnOnce(&mut Entry)) -> Result<(), String> {
        self.update(|entries| {
            if let Some(e) = entries.iter_mut().find(|e| e.cluster.key() == key) {
                f(e);
            }
        })
    }

    /// Forgets a cluster (after it was deleted).
    pub fn remove(&self, key: &str) -> Result<(), String> {
        self.update(|entries| entries.retain(|e| e.cluster.key() != key))
    }

    fn update(&self, f: impl FnOnce(&mut Vec<Entry>)) -> Result<(), String> {
        let _lock = self.lock()?;
        let mut entries = self.read()?;
        f(&mut entries);
        let text = serde_json::to_string_pretty(&FileFormat {
            version: 1,
            clusters: entries,
        })
        .map_err(|e| e.to_string())?;
        write_private(&self.path, text.as_bytes())
            .map_err(|e| format!("cannot write state file {}: {e}", self.path.display()))
    }

    fn read(&self) -> Result<Vec<Entry>, String> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) if text.trim().is_empty() => Ok(Vec::new()),
            Ok(text) => serde_json::from_str::<FileFormat>(&text)
                .map(|f| f.clusters)
                .map_err(|e| {
                    format!(
                        "state file {}:{}:{}: {e}; fix or remove it (it lists clusters that may still exist)",
                        self.path.display(),
                        e.line(),
                        e.column()
                    )
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(format!("cannot read state file {}: {e}", self.path.display())),
        }
    }

    fn lock(&self) -> Result<Lock, String> {
        let lock_path = self.path.with_extension("lock");
        if let Some(dir) = lock_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: flock on a descriptor we own; released when the file closes.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
                return Err(format!(
                    "cannot lock {}: {}",
                    lock_path.display(),
                    std::io::Error::last_os_error()
                ));
            }
        }
        Ok(Lock(file))
    }
}

/// Holds the lock file open (and so locked) until dropped.
struct Lock(#[allow(dead_code)] std::fs::File);

/// Whether a process with this id exists.
pub fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = i32::try_from(pid) else {
            return false;
        };
        // SAFETY: kill with signal 0 only checks for existence and permission.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::provider::ProviderKind;

    fn cluster(name: &str, expires_at: i64) -> Cluster {
        Cluster {
            provider: ProviderKind::Kind,
            name: name.into(),
            region: None,
            project: None,
            resource_group: None,
            resource_group_owned: false,
            run_id: "r".into(),
            expires_at,
            kubeconfig: "k".into(),
            context: None,
            backend: None,
            pid: None,
            data_dir: None,
        }
    }

    #[test]
    fn upsert_modify_remove() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateFile::new(dir.path().join("s/clusters.json"));
        assert!(state.entries().unwrap().is_empty());
        let e = Entry {
            cluster: cluster("a", 10),
            phase: Phase::Creating,
            owner_pid: Some(std::process::id()),
            created_at: 1,
        };
        state.upsert(e.clone()).unwrap();
        state.upsert(e.clone()).unwrap();
        assert_eq!(state.entries().unwrap().len(), 1);
        state.modify("kind/a", |e| e.phase = Phase::Ready).unwrap();
        assert_eq!(state.entries().unwrap()[0].phase, Phase::Ready);
        state.remove("kind/a").unwrap();
        assert!(state.entries().unwrap().is_empty());
    }

    #[test]
    fn reapable_when_expired_or_orphaned() {
        let mut e = Entry {
            cluster: cluster("a", 100),
            phase: Phase::Ready,
            owner_pid: None,
            created_at: 1,
        };
        assert!(!e.reapable(50));
        assert!(e.reapable(100));
        e.owner_pid = Some(std::process::id());
        assert!(!e.reapable(50));
        // A pid far above any pid_max is never alive.
        e.owner_pid = Some(u32::MAX - 1);
        assert!(e.reapable(50));
    }

    #[test]
    fn corrupt_file_names_position() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.json");
        std::fs::write(&p, "{\"version\": 1,\n \"clusters\": [x]}").unwrap();
        let err = StateFile::new(&p).entries().unwrap_err();
        assert!(err.contains("c.json:2:"), "{err}");
    }
}
