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
    pub cause: Box<Cause>,
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
            cause: Box::new(Cause::Msg(msg.into())),
        }
    }

    /// The innermost message, without any location prefixes.
    pub fn message(&self) -> String {
        match self.cause.as_ref() {
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
        match self.cause.as_ref() {
            Cause::Call { err, .. } => match err {
                FuncError::Fail(m) => Some(m),
                FuncError::Nested(inner) | FuncError::Tpl { inner, .. } => inner.fail_message(),
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
                match self.cause.as_ref() {
                    Cause::Msg(m) => f.write_str(m),
                    Cause::Call { func, err } => write!(f, "error calling {func}: {err}"),
                }
            }
        }
    }
}

impl std::error::Error for Error {}

/// One entry of helm's multi-line error trace.
#[derive(PartialEq, Eq)]
struct TraceEntry {
    location: String,
    message: String,
    executed: String,
}

/// Parses one Go error text the way helm's `parseTemplateExecErrorString` does.
fn parse_trace_entry(s: &str) -> Option<TraceEntry> {
    let rest = s.strip_prefix("template: ")?;
    if rest.starts_with("no template ") {
        return Some(TraceEntry {
            location: String::new(),
            message: s.to_string(),
            executed: String::new(),
        });
    }
    let cut_chain = |m: &str| -> String {
        match m.find(" template:") {
            Some(i) => m[..i].to_string(),
            None => m.to_string(),
        }
    };
    if let Some(idx) = rest.find(": executing ") {
        let location = &rest[..idx];
        let after = &rest[idx + ": executing ".len()..];
        if let Some(quoted) = after.strip_prefix('"') {
            if let Some(end) = quoted.find('"') {
                let func = &quoted[..end];
                if let Some(after_at) = quoted[end + 1..].strip_prefix(" at <") {
                    if let Some(end_loc) = after_at.find(">: ") {
                        return Some(TraceEntry {
                            location: location.to_string(),
                            message: cut_chain(&after_at[end_loc + 3..]),
                            executed: format!(
                                "executing \"{func}\" at <{}>:",
                                &after_at[..end_loc]
                            ),
                        });
                    }
                }
            }
        }
        return None;
    }
    let sep = rest.rfind(": ")?;
    Some(TraceEntry {
        location: rest[..sep].to_string(),
        message: cut_chain(&rest[sep + 2..]),
        executed: String::new(),
    })
}

impl Error {
    /// The Go error texts of this error and everything it wraps, outermost first, as
    /// `errors.Unwrap` would walk them.
    fn chain_texts(&self) -> Vec<String> {
        let mut out = vec![self.to_string()];
        let mut cur = self;
        loop {
            match cur.cause.as_ref() {
                Cause::Msg(_) => return out,
                Cause::Call { err, .. } => match err {
                    FuncError::Nested(inner) => {
                        out.push(inner.to_string());
                        cur = inner;
                    }
                    other => {
                        out.push(other.to_string());
                        return out;
                    }
                },
            }
        }
    }

    /// The message helm prints for this error (without the CLI's `Error: ` prefix): parse
    /// errors shortened to `parse error at (FILE:LINE): MSG`, `fail` and `required` as
    /// `execution error at (FILE:LINE:COL): MSG`, chains of template errors as a multi-line
    /// trace, and anything else as Go's own text.
    pub fn helm_message(&self) -> String {
        self.helm_message_for(4)
    }

    /// [`Error::helm_message`] as helm `major` words it: helm 3.18 prints execution errors as
    /// Go's single line, without helm 4's multi-line trace.
    pub fn helm_message_for(&self, major: u32) -> String {
        let go = self.to_string();
        match self.kind {
            ErrorKind::Parse => {
                let tokens: Vec<&str> = go.split(": ").collect();
                if tokens.len() == 1 {
                    return format!("parse error in ({}): {go}", self.location.file);
                }
                format!(
                    "parse error at ({}): {}",
                    tokens[1],
                    tokens.last().copied().unwrap_or("")
                )
            }
            ErrorKind::Limit => go,
            ErrorKind::Exec => {
                let tokens: Vec<&str> = go.splitn(3, ": ").collect();
                if tokens.len() != 3 {
                    return format!("execution error in ({}): {go}", self.location.file);
                }
                if let Some(m) = self.fail_message() {
                    return format!("execution error at ({}): {m}", tokens[1]);
                }
                if major < 4 {
                    return go;
                }
                let mut entries: Vec<TraceEntry> = Vec::new();
                for text in self.chain_texts() {
                    match parse_trace_entry(&text) {
                        Some(e) => {
                            if entries.last() != Some(&e) {
                                entries.push(e);
                            }
                        }
                        None => return go,
                    }
                }
                let mut s = String::new();
                for e in entries {
                    if !e.location.is_empty() {
                        s.push_str(&e.location);
                        s.push_str("\n  ");
                    }
                    if !e.executed.is_empty() {
                        s.push_str(&e.executed);
                        s.push_str("\n    ");
                    }
                    if !e.message.is_empty() {
                        s.push_str(&e.message);
                        s.push('\n');
                    }
                }
                s.trim().to_string()
            }
        }
    }
}
