//! Template errors, kept structured so they can be printed both as Go's `text/template` prints
//! them and as helm rewrites them.

use std::fmt;

use super::funcs::FuncError;

/// Where in a template file something is: the file's parse name, 1-based line and 0-based byte
/// column, as Go reports them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The parse name of the file that holds the text (e.g. `c/templates/t.yaml`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 0-based byte offset within the line.
    pub col: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// What kind of failure an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text is not a valid template.
    Parse,
    /// Execution failed.
    Exec,
    /// An execution budget (steps, output size, nesting depth) ran out.
    Limit,
}

/// The cause of an execution error.
#[derive(Debug)]
pub enum Cause {
    /// A message of the executor's own (`can't evaluate field x in type interface {}`).
    Msg(String),
    /// A function failed: Go prints `error calling NAME: ERR`.
    Call {
        /// The function's name.
        func: String,
        /// Its error.
        err: FuncError,
    },
}

/// A template parse or execution error.
#[derive(Debug)]
pub struct Error {
    /// Parse, execution, or budget.
    pub kind: ErrorKind,
    /// Where it happened. For parse errors only `file` and `line` are meaningful.
    pub location: Location,
    /// The template being executed (`executing "NAME"`); empty for parse errors.
    pub template: String,
    /// The normalised text of the node being evaluated (`at <NODE>`); empty for parse errors.
    pub node: String,
    /// What went wrong.
    pub cause: Cause,
}

impl Error {
    /// A parse error in `file` at `line`.
    pub fn parse(file: &str, line: usize, msg: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Parse,
            location: Location {
                file: file.to_string(),
                line,
                col: 0,
            },
            template: String::new(),
            node: String::new(),
            cause: Cause::Msg(msg.into()),
        }
    }

    /// The innermost message, without any location prefixes.
    pub fn message(&self) -> String {
        match &self.cause {
            Cause::Msg(m) => m.clone(),
            Cause::Call { err, .. } => match err {
                FuncError::Nested(inner) => inner.message(),
                other => other.to_string(),
            },
        }
    }

    /// The error raised by `fail` or `required`, if that is what this is, with the outermost
    /// location: helm reports these as `execution error at (FILE:LINE:COL): MSG`.
    pub fn fail_message(&self) -> Option<&str> {
        match &self.cause {
            Cause::Call { err, .. } => match err {
                FuncError::Fail(m) => Some(m),
                FuncError::Nested(inner) => inner.fail_message(),
                FuncError::Msg(_) => None,
            },
            Cause::Msg(_) => None,
        }
    }
}

impl fmt::Display for Error {
    /// Go's own text for the error.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::Parse => write!(
                f,
                "template: {}:{}: {}",
                self.location.file,
                self.location.line,
                self.message()
            ),
            ErrorKind::Exec | ErrorKind::Limit => {
                write!(
                    f,
                    "template: {}: executing {:?} at <{}>: ",
                    self.location, self.template, self.node
                )?;
                match &self.cause {
                    Cause::Msg(m) => f.write_str(m),
                    Cause::Call { func, err } => write!(f, "error calling {func}: {err}"),
                }
            }
        }
    }
}

impl std::error::Error for Error {}
