//! Provider and helm commands: explicit argument vectors, a plan that prints them exactly as
//! they would run (`--dry-run`), and a runner that streams their stderr, captures their stdout
//! and, when the run is cancelled or interrupted, terminates their whole process group.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use super::env::Env;
use super::progress::Log;

/// One command with its arguments, as a provider or helm step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandSpec {
    /// Program name, looked up on `PATH`.
    pub program: String,
    /// Arguments, passed as they are (no shell).
    pub args: Vec<String>,
    /// Extra environment variables for this command.
    pub env: Vec<(String, String)>,
    /// What the step does, printed above it in plans.
    pub purpose: String,
    /// Standard output is written to this file (mode 0600) and never echoed: it is a credential
    /// such as a kubeconfig.
    pub stdout_file: Option<PathBuf>,
    /// Run detached in the background, with its output in this log file (the k3s server).
    pub background_log: Option<PathBuf>,
    /// Skip the step when the program is not installed.
    pub optional: bool,
    /// Indexes into `args` whose values are secrets: shown as `<redacted>`.
    pub secret_args: Vec<usize>,
}

impl CommandSpec {
    /// A command with arguments.
    pub fn new<I, S>(program: &str, args: I) -> CommandSpec
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CommandSpec {
            program: program.to_string(),
            args: args.into_iter().map(Into::into).collect(),
            ..CommandSpec::default()
        }
    }

    /// Sets the purpose line.
    pub fn purpose(mut self, purpose: impl Into<String>) -> CommandSpec {
        self.purpose = purpose.into();
        self
    }

    /// Adds an environment variable.
    pub fn with_env(mut self, key: impl Into<String>, value: impl Into<String>) -> CommandSpec {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Sends standard output to a private file.
    pub fn stdout_to(mut self, path: impl Into<PathBuf>) -> CommandSpec {
        self.stdout_file = Some(path.into());
        self
    }

    /// Marks the step as skipped when the program is missing.
    pub fn optional(mut self) -> CommandSpec {
        self.optional = true;
        self
    }

    /// The command as one shell line, secrets redacted.
    pub fn shell_line(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.env {
            out.push_str(k);
            out.push('=');
            out.push_str(&shell_quote(v));
            out.push(' ');
        }
        out.push_str(&shell_quote(&self.program));
        for (i, a) in self.args.iter().enumerate() {
            out.push(' ');
            if self.secret_args.contains(&i) {
                out.push_str(&shell_quote(&redact_arg(a)));
            } else {
                out.push_str(&shell_quote(a));
            }
        }
        if let Some(f) = &self.stdout_file {
            out.push_str(" > ");
            out.push_str(&shell_quote(&f.display().to_string()));
        }
        if let Some(log) = &self.background_log {
            out.push_str(" > ");
            out.push_str(&shell_quote(&log.display().to_string()));
            out.push_str(" 2>&1 &");
        }
        out
    }
}

/// `KEY=value` arguments keep their key; the value is hidden.
fn redact_arg(arg: &str) -> String {
    match arg.split_once('=') {
        Some((k, _)) => format!("{k}=<redacted>"),
        None => "<redacted>".to_string(),
    }
}

/// Quotes a word for a POSIX shell when it needs quoting.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+^".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A file a plan writes before its commands run (kind's cluster config).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanFile {
    /// Where it is written.
    pub path: PathBuf,
    /// Its content (never a secret).
    pub content: String,
}

/// An ordered list of commands, with the files they need.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Files written first.
    pub files: Vec<PlanFile>,
    /// Commands, run in order; the first failure stops the plan.
    pub steps: Vec<CommandSpec>,
    /// Remarks printed before the steps (what happens that no command shows).
    pub notes: Vec<String>,
}

impl Plan {
    /// A plan of these steps.
    pub fn of(steps: Vec<CommandSpec>) -> Plan {
        Plan {
            files: Vec::new(),
            steps,
            notes: Vec::new(),
        }
    }

    /// Whether there is nothing to run.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.steps.is_empty() && self.notes.is_empty()
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for file in &self.files {
            writeln!(
                f,
                "cat > {} <<'EOF'",
                shell_quote(&file.path.display().to_string())
            )?;
            f.write_str(&file.content)?;
            if !file.content.ends_with('\n') {
                writeln!(f)?;
            }
            writeln!(f, "EOF")?;
        }
        for note in &self.notes {
            writeln!(f, "# {note}")?;
        }
        for step in &self.steps {
            if !step.purpose.is_empty() {
                write!(f, "# {}", step.purpose)?;
                if step.optional {
                    write!(f, " (skipped when {} is not installed)", step.program)?;
                }
                writeln!(f)?;
            }
            writeln!(f, "{}", step.shell_line())?;
        }
        Ok(())
    }
}

/// Why a command did not succeed.
#[derive(Debug)]
pub enum CmdError {
    /// The program is not on `PATH`.
    NotFound(String),
    /// It could not be started or read.
    Io(String, std::io::Error),
    /// It exited unsuccessfully; the last lines of its stderr are kept.
    Failed {
        /// The command line (secrets redacted).
        command: String,
        /// Exit code, or `None` when killed by a signal.
        code: Option<i32>,
        /// Last lines of its standard error.
        stderr_tail: String,
    },
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CmdError::NotFound(p) => write!(f, "{p}: not found on PATH"),
            CmdError::Io(p, e) => write!(f, "{p}: {e}"),
            CmdError::Failed {
                command,
                code,
                stderr_tail,
            } => {
                match code {
                    Some(c) => write!(f, "`{command}` exited with status {c}")?,
                    None => write!(f, "`{command}` was killed by a signal")?,
                }
                if !stderr_tail.trim().is_empty() {
                    write!(f, ":\n{}", stderr_tail.trim_end())?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for CmdError {}

/// What a successful command printed.
#[derive(Debug, Default, Clone)]
pub struct CmdOutput {
    /// Its standard output (empty when sent to [`CommandSpec::stdout_file`]).
    pub stdout: String,
    /// Process id, for background commands.
    pub pid: Option<u32>,
}

/// Runs commands in their own process group with a given environment; stderr lines go to the
/// log, prefixed with the program name.
#[derive(Clone)]
pub struct Runner {
    env: Env,
    log: Log,
}

impl Runner {
    /// A runner over this environment, logging to `log`.
    pub fn new(env: Env, log: Log) -> Runner {
        Runner { env, log }
    }

    /// The environment commands run in.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// The log stderr goes to.
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// Writes the plan's files, then runs each step in order.
    pub async fn run_plan(&self, plan: &Plan) -> Result<Vec<CmdOutput>, CmdError> {
        for file in &plan.files {
            write_private(&file.path, file.content.as_bytes())
                .map_err(|e| CmdError::Io(file.path.display().to_string(), e))?;
        }
        let mut outs = Vec::new();
        for step in &plan.steps {
            outs.push(self.run(step).await?);
        }
        Ok(outs)
    }

    /// Runs one command to completion (or starts it, for background commands). Dropping the
    /// returned future terminates the command's process group.
    pub async fn run(&self, spec: &CommandSpec) -> Result<CmdOutput, CmdError> {
        let Some(program) = self.env.which(&spec.program) else {
            if spec.optional {
                self.log
                    .line(format!("skipping `{}`: not installed", spec.shell_line()));
                return Ok(CmdOutput::default());
            }
            return Err(CmdError::NotFound(spec.program.clone()));
        };
        self.log.line(format!("$ {}", spec.shell_line()));
        let mut cmd = tokio::process::Command::new(&program);
        cmd.args(&spec.args)
            .env_clear()
            .envs(self.env.vars())
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        #[cfg(unix)]
        cmd.process_group(0);
        let io_err = |e| CmdError::Io(spec.program.clone(), e);
        if let Some(log_path) = &spec.background_log {
            let file = std::fs::File::create(log_path).map_err(io_err)?;
            let file2 = file.try_clone().map_err(io_err)?;
            cmd.stdout(file).stderr(file2);
            let child = cmd.spawn().map_err(io_err)?;
            let pid = child.id();
            // tokio reaps a dropped child only while some runtime still runs; a thread that
            // waits for it keeps a stopped server from lingering as a zombie (which `kill -0`
            // still sees) for the rest of this process.
            #[cfg(unix)]
            if let Some(p) = pid {
                let _ = std::thread::Builder::new()
                    .name("reap-background".into())
                    .spawn(move || {
                        let mut status = 0;
                        unsafe { libc::waitpid(p as libc::pid_t, &mut status, 0) };
                    });
            }
            drop(child);
            return Ok(CmdOutput {
                stdout: String::new(),
                pid,
            });
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(io_err)?;
        let mut guard = GroupGuard(child.id());
        let mut stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let name = spec.program.clone();
        let log = self.log.clone();
        let read_out = async {
            let mut buf = Vec::new();
            stdout.read_to_end(&mut buf).await.map(|_| buf)
        };
        let read_err = async move {
            let mut lines = BufReader::new(stderr).lines();
            let mut tail: Vec<String> = Vec::new();
            while let Ok(Some(line)) = lines.next_line().await {
                log.line(format!("  [{name}] {line}"));
                tail.push(line);
                if tail.len() > 20 {
                    tail.remove(0);
                }
            }
            tail.join("\n")
        };
        let (out, tail, status) = tokio::join!(read_out, read_err, child.wait());
        guard.0 = None;
        let status = status.map_err(io_err)?;
        let out = out.map_err(io_err)?;
        if !status.success() {
            return Err(CmdError::Failed {
                command: spec.shell_line(),
                code: status.code(),
                stderr_tail: self.log.redact(&tail),
            });
        }
        if let Some(path) = &spec.stdout_file {
            write_private(path, &out).map_err(|e| CmdError::Io(path.display().to_string(), e))?;
            return Ok(CmdOutput::default());
        }
        Ok(CmdOutput {
            stdout: String::from_utf8_lossy(&out).into_owned(),
            pid: None,
        })
    }
}

impl Runner {
    /// Runs a command with inherited standard input and output (the user's command under
    /// `cluster create -- CMD`), returning its exit code. Dropping the future terminates the
    /// command's process group.
    pub async fn run_inherited(
        &self,
        program: &str,
        args: &[String],
        extra_env: &[(String, String)],
    ) -> Result<i32, CmdError> {
        let path = self
            .env
            .which(program)
            .ok_or_else(|| CmdError::NotFound(program.to_string()))?;
        let mut cmd = tokio::process::Command::new(path);
        cmd.args(args)
            .env_clear()
            .envs(self.env.vars())
            .envs(extra_env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        #[cfg(unix)]
        cmd.process_group(0);
        let mut child = cmd
            .spawn()
            .map_err(|e| CmdError::Io(program.to_string(), e))?;
        let mut guard = GroupGuard(child.id());
        let status = child
            .wait()
            .await
            .map_err(|e| CmdError::Io(program.to_string(), e))?;
        guard.0 = None;
        Ok(status.code().unwrap_or(128))
    }
}

/// Terminates a child's process group when dropped before the child finished, so an
/// interrupted step leaves nothing running (a provider CLI and everything it started).
struct GroupGuard(Option<u32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            terminate_group(pid);
        }
    }
}

/// Sends SIGTERM to a process group.
pub fn terminate_group(pid: u32) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals the process group; it touches no memory.
        unsafe {
            libc::kill(-pid, libc::SIGTERM);
        }
    }
}

/// Writes a file readable by its owner only, replacing it atomically.
pub fn write_private(path: &Path, content: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(content)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_redaction() {
        let mut c = CommandSpec::new("helm", ["install", "a b", "--set", "pw=hunter22", "it's"])
            .with_env("KUBECONFIG", "/tmp/k c");
        c.secret_args.push(3);
        assert_eq!(
            c.shell_line(),
            r"KUBECONFIG='/tmp/k c' helm install 'a b' --set 'pw=<redacted>' 'it'\''s'"
        );
    }

    #[test]
    fn plan_display_shows_files_purposes_and_redirections() {
        let mut plan = Plan::of(vec![
            CommandSpec::new("kind", ["get", "kubeconfig"])
                .purpose("write the kubeconfig")
                .stdout_to("out/k"),
            CommandSpec::new("k3s-killall.sh", Vec::<String>::new())
                .purpose("stop k3s")
                .optional(),
        ]);
        plan.files.push(PlanFile {
            path: "cfg.yaml".into(),
            content: "kind: Cluster".into(),
        });
        assert_eq!(
            plan.to_string(),
            "cat > cfg.yaml <<'EOF'\nkind: Cluster\nEOF\n# write the kubeconfig\nkind get kubeconfig > out/k\n# stop k3s (skipped when k3s-killall.sh is not installed)\nk3s-killall.sh\n"
        );
    }
}
