//! A finding before it is placed: which object, which rendered line, which rule.

use super::finding::Severity;

/// A rule hit on a rendered object.
#[derive(Clone, Debug)]
pub struct Hit {
    /// The rule id.
    pub rule: &'static str,
    /// helm's level for chart rules; `None` takes the rule's severity.
    pub severity: Option<Severity>,
    /// Index of the object in the scenario.
    pub obj: usize,
    /// 1-based line in the rendered file.
    pub line: usize,
    /// The message.
    pub message: String,
}

impl Hit {
    /// A hit at the rule's default severity.
    pub fn new(rule: &'static str, obj: usize, line: usize, message: String) -> Hit {
        Hit {
            rule,
            severity: None,
            obj,
            line,
            message,
        }
    }
}
