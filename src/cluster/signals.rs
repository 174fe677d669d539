//! SIGINT and SIGTERM as values: a run races each phase against them, and on one it tears the
//! cluster down and exits with the shell's code for the signal (130, 143).

use std::fmt;

/// The signal that interrupted a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupt {
    /// SIGINT (Ctrl-C).
    Int,
    /// SIGTERM (CI cancellation, `kill`).
    Term,
}

impl Interrupt {
    /// The exit code a shell reports for a process killed by this signal.
    pub fn exit_code(self) -> i32 {
        match self {
            Interrupt::Int => 130,
            Interrupt::Term => 143,
        }
    }
}

impl fmt::Display for Interrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Interrupt::Int => "SIGINT",
            Interrupt::Term => "SIGTERM",
        })
    }
}

/// SIGINT and SIGTERM handlers. Once installed, the signals no longer kill the process: they
/// arrive here (call within a Tokio runtime).
pub struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers.
    pub fn install() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                int: signal(SignalKind::interrupt())?,
                term: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// Waits for the next SIGINT or SIGTERM.
    pub async fn recv(&mut self) -> Interrupt {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.int.recv() => Interrupt::Int,
                _ = self.term.recv() => Interrupt::Term,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Interrupt::Int
        }
    }

    /// Runs `fut` unless a signal arrives first; dropping `fut` then stops whatever it started.
    pub async fn guard<F: std::future::Future>(&mut self, fut: F) -> Result<F::Output, Interrupt> {
        tokio::select! {
            biased;
            s = self.recv() => Err(s),
            r = fut => Ok(r),
        }
    }
}
