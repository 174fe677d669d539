//! The environment the cluster layer reads: variables, `PATH` lookups and the home directory.
//!
//! Captured once so tests can hand in their own `PATH` (fake provider CLIs) and credentials
//! without touching the process environment, which tests running in parallel share.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A snapshot of environment variables.
#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The current process environment.
    pub fn from_process() -> Env {
        Env {
            vars: std::env::vars().collect(),
        }
    }

    /// An environment made of exactly these variables.
    pub fn from_vars<I, K, V>(vars: I) -> Env
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Env {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// A variable's value, when set and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Sets a variable (tests and callers that add to the environment).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }

    /// Every variable, for handing to a child process.
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }

    /// The home directory (`$HOME`).
    pub fn home(&self) -> Option<PathBuf> {
        self.get("HOME").map(PathBuf::from)
    }

    /// The first executable file called `program` on `PATH`, or the path itself when it contains
    /// a slash.
    pub fn which(&self, program: &str) -> Option<PathBuf> {
        if program.contains('/') {
            let p = PathBuf::from(program);
            return is_executable(&p).then_some(p);
        }
        let path = self.get("PATH")?;
        std::env::split_paths(path)
            .map(|dir| dir.join(program))
            .find(|candidate| is_executable(candidate))
    }

    /// Whether `program` is on `PATH`.
    pub fn has(&self, program: &str) -> bool {
        self.which(program).is_some()
    }

    /// Whether a file exists at this path (`~/` expanded against `$HOME`).
    pub fn file_exists(&self, path: &str) -> bool {
        self.expand(path).is_file()
    }

    /// Expands a leading `~/` against `$HOME`.
    pub fn expand(&self, path: &str) -> PathBuf {
        match (path.strip_prefix("~/"), self.home()) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(path),
        }
    }
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_finds_executables_only() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("tool");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let env = Env::from_vars([("PATH", dir.path().to_str().unwrap())]);
        assert_eq!(env.which("tool"), Some(exe));
        assert_eq!(env.which("plain"), None);
        assert_eq!(env.which("absent"), None);
    }

    #[test]
    fn empty_values_count_as_unset() {
        let env = Env::from_vars([("A", ""), ("B", "x")]);
        assert_eq!(env.get("A"), None);
        assert_eq!(env.get("B"), Some("x"));
    }
}
