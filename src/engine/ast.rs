//! The parse tree. Every node keeps its byte offset in the template text, so errors can name
//! line and column, and prints back as Go's `Node.String()` does, for `at <NODE>` messages.

use std::fmt::{self, Write as _};
use std::ops::Deref;
use std::sync::Arc;

use super::lexer::go_quote;

/// A piece of a template file's text. Nodes share the file's text instead of copying their
/// words out of it: a clone is a reference count, never an allocation.
#[derive(Clone)]
pub struct Src {
    text: Arc<str>,
    start: usize,
    end: usize,
}

impl Src {
    /// The bytes `start..end` of `text`, which must lie on character boundaries (the empty
    /// string otherwise).
    pub fn new(text: &Arc<str>, start: usize, end: usize) -> Src {
        let (start, end) = if text.get(start..end).is_some() {
            (start, end)
        } else {
            (0, 0)
        };
        Src {
            text: text.clone(),
            start,
            end,
        }
    }

    /// The byte offset in the file where the text starts.
    pub fn start(&self) -> usize {
        self.start
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        self.text.get(self.start..self.end).unwrap_or("")
    }
}

impl Deref for Src {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Src {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Src {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A list that is nearly always one item long: a pipeline's commands, a command's words. The
/// single item is stored in place, so the common `{{ .Values.x }}` allocates nothing; it reads
/// as a slice either way.
#[derive(Debug)]
pub enum Items<T> {
    /// Exactly one item.
    One(T),
    /// Any other number.
    Many(Vec<T>),
}

impl<T> Items<T> {
    /// Moves the items of `stack` from `mark` on into a list, allocating only for two or more.
    pub fn take_from(stack: &mut Vec<T>, mark: usize) -> Items<T> {
        if stack.len() == mark + 1 {
            if let Some(one) = stack.pop() {
                return Items::One(one);
            }
        }
        Items::Many(stack.drain(mark.min(stack.len())..).collect())
    }
}

impl<T> Default for Items<T> {
    fn default() -> Self {
        Items::Many(Vec::new())
    }
}

impl<T> Deref for Items<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            Items::One(x) => std::slice::from_ref(x),
            Items::Many(v) => v,
        }
    }
}

impl<'a, T> IntoIterator for &'a Items<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A dotted chain of names as written, `a.b.c`: the field names of `.a.b.c` (without the
/// leading dot), or a variable and its fields, `$x.a.b`. Names never contain a dot, so the
/// chain is kept as one piece of text and split when walked.
#[derive(Clone, Debug)]
pub struct Path(pub Src);

impl Path {
    /// The first name and the rest of the chain (empty when there is one name).
    pub fn split_first(&self) -> (&str, &str) {
        let s = self.0.as_str();
        match s.bytes().position(|b| b == b'.') {
            Some(i) => (&s[..i], &s[i + 1..]),
            None => (s, ""),
        }
    }
}

/// One parsed template: a file's main body or a `define`d block.
#[derive(Debug)]
pub struct Tree {
    /// The template's name (`c/templates/t.yaml`, or the `define` name).
    pub name: String,
    /// The name of the file whose text holds it, for error locations.
    pub parse_name: Arc<str>,
    /// That file's whole text, to turn offsets into line and column.
    pub text: Arc<str>,
    /// The body.
    pub root: Vec<Node>,
}

impl Tree {
    /// Line (1-based) and byte column (0-based) of `offset`, as Go's `ErrorContext` computes.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let before = self.text.get(..offset.min(self.text.len())).unwrap_or("");
        let line = 1 + before.bytes().filter(|&b| b == b'\n').count();
        let col = match before.rfind('\n') {
            Some(nl) => offset - (nl + 1),
            None => offset,
        };
        (line, col)
    }

    /// Whether the tree has nothing but whitespace text, so a later empty definition does not
    /// replace an earlier one (Go's `IsEmptyTree`).
    pub fn is_empty(&self) -> bool {
        is_empty_list(&self.root)
    }
}

fn is_empty_list(nodes: &[Node]) -> bool {
    nodes.iter().all(|n| match n {
        Node::Text(t, _) => t
            .bytes()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0b' | b'\x0c')),
        _ => false,
    })
}

/// A statement-level node.
#[derive(Debug)]
pub enum Node {
    /// Literal text and its byte offset in the file.
    Text(Src, usize),
    /// `{{pipeline}}`
    Action(Pipe),
    /// `{{if}}`
    If(Branch),
    /// `{{range}}`
    Range(Branch),
    /// `{{with}}`
    With(Branch),
    /// `{{template "name" pipeline}}`
    Template {
        /// Offset of the name.
        pos: usize,
        /// The template to run.
        name: String,
        /// Its data, if any.
        pipe: Option<Pipe>,
    },
    /// `{{break}}`
    Break(usize),
    /// `{{continue}}`
    Continue(usize),
}

/// The shared shape of `if`, `range` and `with`.
#[derive(Debug)]
pub struct Branch {
    /// Offset of the pipeline.
    pub pos: usize,
    /// The condition or collection.
    pub pipe: Pipe,
    /// The body.
    pub list: Vec<Node>,
    /// The `else` body.
    pub else_list: Option<Vec<Node>>,
}

/// A pipeline, with optional variable declarations.
#[derive(Debug)]
pub struct Pipe {
    /// Offset of its first token.
    pub pos: usize,
    /// Whether the variables are assigned (`=`) rather than declared (`:=`).
    pub is_assign: bool,
    /// The declared or assigned variables.
    pub decl: Vec<Var>,
    /// The commands, joined by `|`.
    pub cmds: Items<Command>,
}

/// A variable in a declaration.
#[derive(Debug)]
pub struct Var {
    /// Offset.
    pub pos: usize,
    /// The name, with its `$`.
    pub name: Src,
}

/// One command of a pipeline: a function or method with its arguments, or an operand.
#[derive(Debug)]
pub struct Command {
    /// Offset of its first word.
    pub pos: usize,
    /// The words.
    pub args: Items<Arg>,
}

/// A parsed number literal with every interpretation Go computes for it.
#[derive(Debug, Clone)]
pub struct Number {
    /// The original text.
    pub text: Src,
    /// Whether it fits an int64, and its value.
    pub int: Option<i64>,
    /// Whether it fits a uint64, and its value.
    pub uint: Option<u64>,
    /// Whether it is a float, and its value.
    pub float: Option<f64>,
    /// Whether it is complex, and its parts.
    pub complex: Option<(f64, f64)>,
}

/// An operand.
#[derive(Debug)]
pub enum Arg {
    /// `.a.b`
    Field {
        /// Offset (of the second field when chained, as Go records it).
        pos: usize,
        /// The field names, `a.b`.
        idents: Path,
    },
    /// `(pipe).a.b` or `$x` etc. followed by fields.
    Chain {
        /// Offset of the first field.
        pos: usize,
        /// The operand the fields apply to.
        node: Box<Arg>,
        /// The field names, `a.b`.
        fields: Path,
    },
    /// A function name.
    Identifier {
        /// Offset.
        pos: usize,
        /// The name.
        name: Src,
    },
    /// `$x.a.b`
    Variable {
        /// Offset.
        pos: usize,
        /// The variable name, then field names: `$x.a.b`.
        idents: Path,
    },
    /// `.`
    Dot(usize),
    /// `nil`
    Nil(usize),
    /// `true` / `false`
    Bool(usize, bool),
    /// A number (boxed: it is the largest operand and a rare one).
    Number(usize, Box<Number>),
    /// A string literal.
    String {
        /// Offset.
        pos: usize,
        /// The literal as written, with quotes.
        quoted: Src,
        /// Its value.
        text: Arc<str>,
    },
    /// `(pipeline)`
    Pipe(Box<Pipe>),
}

impl Arg {
    /// The offset Go reports for this node.
    pub fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Identifier { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::String { pos, .. } => *pos,
            Arg::Dot(p) | Arg::Nil(p) | Arg::Bool(p, _) | Arg::Number(p, _) => *p,
            Arg::Pipe(p) => p.pos,
        }
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Field { idents, .. } => write!(f, ".{}", idents.0),
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe(_) = **node {
                    write!(f, "({node})")?;
                } else {
                    write!(f, "{node}")?;
                }
                write!(f, ".{}", fields.0)
            }
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Variable { idents, .. } => f.write_str(&idents.0),
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Number(_, n) => f.write_str(&n.text),
            Arg::String { quoted, .. } => f.write_str(quoted),
            Arg::Pipe(p) => write!(f, "{p}"),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            if let Arg::Pipe(_) = a {
                write!(f, "({a})")?;
            } else {
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, v) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(&v.name)?;
            }
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// Writes a list of nodes as Go prints them.
pub fn write_list(f: &mut fmt::Formatter<'_>, nodes: &[Node]) -> fmt::Result {
    for n in nodes {
        write!(f, "{n}")?;
    }
    Ok(())
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text(t, _) => f.write_str(t),
            Node::Action(p) => write!(f, "{{{{{p}}}}}"),
            Node::If(b) => write_branch(f, "if", b),
            Node::Range(b) => write_branch(f, "range", b),
            Node::With(b) => write_branch(f, "with", b),
            Node::Template { name, pipe, .. } => match pipe {
                Some(p) => write!(f, "{{{{template {} {p}}}}}", go_quote(name)),
                None => write!(f, "{{{{template {}}}}}", go_quote(name)),
            },
            Node::Break(_) => f.write_str("{{break}}"),
            Node::Continue(_) => f.write_str("{{continue}}"),
        }
    }
}

fn write_branch(f: &mut fmt::Formatter<'_>, name: &str, b: &Branch) -> fmt::Result {
    write!(f, "{{{{{name} {}}}}}", b.pipe)?;
    write_list(f, &b.list)?;
    if let Some(e) = &b.else_list {
        f.write_str("{{else}}")?;
        write_list(f, e)?;
    }
    f.write_str("{{end}}")
}
