//! The executor: walks parse trees over values with Go's `text/template` semantics (helm's
//! `missingkey=zero` configuration), within step, output and depth budgets.

use super::fasthash::FastMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use rand::{RngCore, SeedableRng};

use super::ast::{Arg, Branch, Command, Node, Pipe, Tree};
use super::error::{Cause, Error, ErrorKind, Location};
use super::funcs::{self, FuncCtx, FuncError, FuncResult, LookupSource};
use super::trace::{BranchKind, HitKind, Point, Trace};
use super::value::{MapType, Sig, SliceType, Ty, Value};

/// Limits that keep a hostile or buggy template from hanging, exhausting memory or
/// overflowing the stack.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Evaluation steps (nodes walked and commands run) per top-level execution.
    pub max_steps: u64,
    /// Bytes of output per top-level execution, nested `include`s included.
    pub max_output: usize,
    /// Nesting of `template`, `include` and `tpl` calls together. Go stops `template`
    /// recursion at 100000 within one execution; this bounds everything else too.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: 50_000_000,
            max_output: 256 << 20,
            max_depth: 110_000,
        }
    }
}

/// How to execute: helm's mode switches, the injectable clock and seed, and the budgets.
#[derive(Clone)]
pub struct ExecOptions {
    /// `helm lint` mode: `required` and `fail` only log.
    pub lint: bool,
    /// `--enable-dns`: `getHostByName` resolves names.
    pub enable_dns: bool,
    /// The helm major version to follow (3 or 4).
    pub helm_major: u32,
    /// The time `now` returns; the real clock when `None`.
    pub now: Option<DateTime<FixedOffset>>,
    /// The seed for random functions; OS randomness when `None`.
    pub seed: Option<u64>,
    /// What `lookup` returns objects from.
    pub lookup: Option<Arc<dyn LookupSource>>,
    /// Budgets.
    pub limits: Limits,
    /// Record a [`Trace`] (see [`TemplateSet::execute_traced`]).
    pub trace: bool,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            lint: false,
            enable_dns: false,
            helm_major: 4,
            now: None,
            seed: None,
            lookup: None,
            limits: Limits::default(),
            trace: false,
        }
    }
}

/// One file's parse: its templates (the file's body and its `define`s), or the parse error.
pub type Parsed = Result<Vec<Tree>, Error>;

/// A set of parsed templates that can be executed many times, from many threads.
#[derive(Clone)]
pub struct TemplateSet {
    trees: FastMap<String, Arc<Tree>>,
    helm_major: u32,
}

impl Default for TemplateSet {
    fn default() -> Self {
        TemplateSet {
            trees: FastMap::default(),
            helm_major: 4,
        }
    }
}

/// Whether `name` is a function templates can call.
pub fn has_function(name: &str) -> bool {
    name == "and" || name == "or" || funcs::lookup(name).is_some()
}

/// Whether `name` is in the function map of helm `major`: helm 3.18 has no `mustToYaml`.
pub fn has_function_in(name: &str, major: u32) -> bool {
    has_function(name) && !(major < 4 && name == "mustToYaml")
}

impl TemplateSet {
    /// An empty set.
    pub fn new() -> Self {
        TemplateSet::default()
    }

    /// An empty set whose function map is helm `major`'s (3 or 4), which decides which
    /// function names parse.
    pub fn for_helm(major: u32) -> Self {
        TemplateSet {
            helm_major: major,
            ..TemplateSet::default()
        }
    }

    /// Parses `text` as the template `name` (also its file name for error messages) and adds
    /// it and its `define`s to the set. A later non-empty definition replaces an earlier one,
    /// as Go's `AddParseTree` does; an empty one never replaces.
    pub fn add(&mut self, name: &str, text: &str) -> Result<(), Error> {
        self.add_all(&[(name, text)])
    }

    /// [`TemplateSet::add`] for many files, parsed on several threads and added in the given
    /// order, so `define` precedence and the first reported error are those of adding them
    /// one by one.
    pub fn add_all(&mut self, files: &[(&str, &str)]) -> Result<(), Error> {
        self.add_all_parsed(files, Vec::new())
    }

    /// [`TemplateSet::add_all`] where some files were parsed already: `ready[i]`, when present
    /// and `Some`, is what [`TemplateSet::parse_file`] returned for `files[i]`.
    pub fn add_all_parsed(
        &mut self,
        files: &[(&str, &str)],
        mut ready: Vec<Option<Parsed>>,
    ) -> Result<(), Error> {
        ready.resize_with(files.len(), || None);
        let major = self.helm_major;
        let missing: Vec<usize> = (0..files.len()).filter(|&i| ready[i].is_none()).collect();
        let total: usize = missing.iter().map(|&i| files[i].1.len()).sum();
        // Below 64 KiB of text a thread costs more than it saves.
        let parsed = crate::par::map_ordered(&missing, total, 64 * 1024, |&i| {
            let (name, text) = files[i];
            super::parser::parse(name, name, text, &|n| has_function_in(n, major))
        });
        for (i, r) in missing.into_iter().zip(parsed) {
            ready[i] = Some(r);
        }
        for r in ready.into_iter().flatten() {
            for t in r? {
                associate(&mut self.trees, t);
            }
        }
        Ok(())
    }

    /// Parses one file as [`TemplateSet::add`] would for helm `major`, without adding it: the
    /// result depends on nothing else, so it may be computed ahead, on any thread.
    pub fn parse_file(name: &str, text: &Arc<str>, major: u32) -> Parsed {
        super::parser::parse_shared(name, name, Arc::clone(text), &|n| has_function_in(n, major))
    }

    /// Whether a template called `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// The names of all templates, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.trees.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// [`TemplateSet::execute`] that also returns what ran and which node wrote each part of
    /// the output (recorded whatever `opts.trace` says). The trace is returned on failure too,
    /// with what ran up to the error.
    pub fn execute_traced(
        &self,
        name: &str,
        data: Value,
        opts: &ExecOptions,
    ) -> (Result<String, Error>, Trace) {
        let mut ex = Exec::new(self, opts);
        ex.trace = Some(Box::default());
        let r = ex.execute_named(name, data);
        let trace = ex.trace.take().map(|t| *t).unwrap_or_default();
        (r.map_err(|e| top_error(name, e)), trace)
    }

    /// Every coverage point of every template parsed from a file (not `tpl` text), sorted.
    pub fn coverage_points(&self) -> Vec<Point> {
        let mut seen = std::collections::HashSet::new();
        let mut v = Vec::new();
        for t in self.trees.values() {
            // A define replaced by a later one is gone from the set; each remaining tree is
            // counted once even when reached under two names.
            if seen.insert(Arc::as_ptr(t)) {
                v.extend(super::trace::points(t));
            }
        }
        v.sort();
        v.dedup();
        v
    }

    /// Runs template `name` over `data` and returns its output. `<no value>` is left in; helm
    /// strips it per file (see [`strip_no_value`]).
    pub fn execute(&self, name: &str, data: Value, opts: &ExecOptions) -> Result<String, Error> {
        let mut ex = Exec::new(self, opts);
        ex.execute_named(name, data).map_err(|e| top_error(name, e))
    }
}

/// A top-level execution's failure as an [`Error`].
fn top_error(name: &str, e: FuncError) -> Error {
    match e {
        FuncError::Nested(e) => *e,
        other => Error {
            kind: ErrorKind::Exec,
            location: Location {
                file: name.to_string(),
                line: 0,
                col: 0,
            },
            template: name.to_string(),
            node: String::new(),
            cause: Box::new(Cause::Msg(other.to_string())),
        },
    }
}

/// helm's post-processing of every rendered file and `tpl` result.
pub fn strip_no_value(s: &str) -> String {
    if s.contains("<no value>") {
        s.replace("<no value>", "")
    } else {
        s.to_string()
    }
}

fn associate(trees: &mut FastMap<String, Arc<Tree>>, t: Tree) {
    if let Some(old) = trees.get(&t.name) {
        if t.is_empty() && !old.root.is_empty() {
            return;
        }
    }
    trees.insert(t.name.clone(), Arc::new(t));
}

/// Control flow out of a walk: an error, or `break`/`continue` unwinding to the range.
enum Flow {
    Err(Box<Error>),
    Break,
    Continue,
}

impl From<Box<Error>> for Flow {
    fn from(e: Box<Error>) -> Self {
        Flow::Err(e)
    }
}

type EResult<T> = Result<T, Box<Error>>;

/// The node an error is reported at.
#[derive(Clone, Copy)]
enum At<'t> {
    Node(&'t Node),
    Pipe(&'t Pipe),
    Cmd(&'t Command),
    Arg(&'t Arg),
    Range(&'t Branch),
}

impl At<'_> {
    fn pos(&self) -> usize {
        match self {
            At::Node(n) => match n {
                Node::Action(p) => p.pos,
                Node::If(b) | Node::Range(b) | Node::With(b) => b.pos,
                Node::Template { pos, .. } => *pos,
                Node::Break(p) | Node::Continue(p) => *p,
                Node::Text(_, p) => *p,
            },
            At::Pipe(p) => p.pos,
            At::Cmd(c) => c.pos,
            At::Arg(a) => a.pos(),
            At::Range(b) => b.pos,
        }
    }

    fn text(&self) -> String {
        match self {
            At::Node(n) => n.to_string(),
            At::Pipe(p) => p.to_string(),
            At::Cmd(c) => c.to_string(),
            At::Arg(a) => a.to_string(),
            At::Range(b) => {
                let mut s = format!("{{{{range {}}}}}", b.pipe);
                for n in &b.list {
                    s.push_str(&n.to_string());
                }
                if let Some(e) = &b.else_list {
                    s.push_str("{{else}}");
                    for n in e {
                        s.push_str(&n.to_string());
                    }
                }
                s.push_str("{{end}}");
                s
            }
        }
    }
}

/// One template invocation's state (Go's `state`): the tree, the variables and the node being
/// evaluated.
struct Frame<'t> {
    tree: &'t Tree,
    name: &'t str,
    /// Go's `state.depth`: `template` nesting within one `ExecuteTemplate`.
    tdepth: usize,
    /// Names borrow from the tree (or are `$`), so declaring one allocates nothing.
    vars: Vec<(&'t str, Value)>,
    at: Option<At<'t>>,
}

/// A value being evaluated, with whether its static Go type is `interface {}` (it came out of
/// a map or slice of interfaces): Go names that type in some error messages.
#[derive(Clone)]
struct Dot {
    v: Value,
    iface: bool,
}

impl Dot {
    fn concrete(v: Value) -> Dot {
        Dot { v, iface: false }
    }
    fn static_type(&self) -> String {
        if self.iface || self.v.is_nil() {
            "interface {}".into()
        } else {
            self.v.type_name()
        }
    }
}

/// Shared state of one top-level execution: budgets, the include counter, the random source,
/// and the templates `tpl` defined.
struct Exec<'s> {
    set: &'s TemplateSet,
    overlays: Vec<FastMap<String, Arc<Tree>>>,
    opts: &'s ExecOptions,
    /// Made on first use: seeding from the OS was a syscall per file, and few files draw.
    rng: Option<rand_chacha::ChaCha8Rng>,
    /// Read on first use, as reading the local zone costs file system calls.
    now: std::cell::OnceCell<DateTime<FixedOffset>>,
    included: FastMap<String, usize>,
    steps: u64,
    output: usize,
    depth: usize,
    /// How many output buffers deep we are: 1 is the file's own output.
    nest: usize,
    trace: Option<Box<Trace>>,
    /// Output buffers of finished `include`s, kept for the next one: their text is copied into
    /// the result value anyway, and a warm buffer does not regrow from empty each time.
    spare: Vec<String>,
}

/// `include` buffers larger than this are freed rather than kept in [`Exec::spare`].
const SPARE_MAX: usize = 1 << 20;

/// Go's `maxExecDepth` on 64-bit platforms.
const GO_MAX_EXEC_DEPTH: usize = 100_000;

const STACK_RED_ZONE: usize = 128 * 1024;
const STACK_GROW: usize = 2 * 1024 * 1024;

impl<'s> Exec<'s> {
    fn new(set: &'s TemplateSet, opts: &'s ExecOptions) -> Self {
        Exec {
            set,
            overlays: Vec::new(),
            opts,
            rng: None,
            now: std::cell::OnceCell::new(),
            included: FastMap::default(),
            steps: 0,
            output: 0,
            depth: 0,
            nest: 0,
            trace: opts.trace.then(Box::default),
            spare: Vec::new(),
        }
    }

    fn find(&self, name: &str) -> Option<Arc<Tree>> {
        for o in self.overlays.iter().rev() {
            if let Some(t) = o.get(name) {
                return Some(t.clone());
            }
        }
        self.set.trees.get(name).cloned()
    }

    /// Go's `ExecuteTemplate`: a fresh state, `$` and dot set to `data`.
    fn execute_named(&mut self, name: &str, data: Value) -> Result<String, FuncError> {
        let mut out = String::new();
        self.execute_named_into(name, data, &mut out)?;
        Ok(out)
    }

    /// [`Exec::execute_named`] writing into `out`, which must be empty.
    fn execute_named_into(
        &mut self,
        name: &str,
        data: Value,
        out: &mut String,
    ) -> Result<(), FuncError> {
        let Some(tree) = self.find(name) else {
            return Err(FuncError::Msg(format!(
                "template: no template {} associated with template \"gotpl\"",
                super::lexer::go_quote(name)
            )));
        };
        self.nest += 1;
        let r = self.run_tree(&tree, name, Dot::concrete(data), out, 0);
        self.nest -= 1;
        r.map_err(FuncError::Nested)
    }

    fn run_tree(
        &mut self,
        tree: &Tree,
        name: &str,
        dot: Dot,
        out: &mut String,
        tdepth: usize,
    ) -> EResult<()> {
        if self.depth >= self.opts.limits.max_depth {
            return Err(Box::new(Error {
                kind: ErrorKind::Limit,
                location: Location {
                    file: tree.parse_name.to_string(),
                    line: 1,
                    col: 0,
                },
                template: name.to_string(),
                node: String::new(),
                cause: Box::new(Cause::Msg(format!(
                    "exceeded maximum template depth ({})",
                    self.opts.limits.max_depth
                ))),
            }));
        }
        self.depth += 1;
        let mut frame = Frame {
            tree,
            name,
            tdepth,
            vars: vec![("$", dot.v.clone())],
            at: None,
        };
        let r = self.walk_list(&mut frame, &dot, &tree.root, out);
        self.depth -= 1;
        match r {
            Ok(()) => Ok(()),
            Err(Flow::Err(e)) => Err(e),
            // The parser rejects break and continue outside range.
            Err(Flow::Break | Flow::Continue) => Ok(()),
        }
    }

    /// The trace to record into for nodes of `tree`, when tracing; `tpl` text is no file's, so
    /// it is not recorded.
    fn tracing(&mut self, tree: &Tree) -> Option<&mut Trace> {
        if &*tree.parse_name == "gotpl" {
            return None;
        }
        self.trace.as_deref_mut()
    }

    fn error(&self, f: &Frame<'_>, cause: Cause) -> Box<Error> {
        let cause = Box::new(cause);
        let (pos, node) = match f.at {
            Some(at) => (at.pos(), at.text()),
            None => (0, String::new()),
        };
        let (line, col) = f.tree.line_col(pos);
        Box::new(Error {
            kind: ErrorKind::Exec,
            location: Location {
                file: f.tree.parse_name.to_string(),
                line,
                col,
            },
            template: f.name.to_string(),
            node,
            cause,
        })
    }

    fn errorf(&self, f: &Frame<'_>, msg: impl Into<String>) -> Box<Error> {
        self.error(f, Cause::Msg(msg.into()))
    }

    fn limit(&self, f: &Frame<'_>, msg: String) -> Box<Error> {
        let mut e = self.errorf(f, msg);
        e.kind = ErrorKind::Limit;
        e
    }

    fn step(&mut self, f: &Frame<'_>) -> EResult<()> {
        self.steps += 1;
        if self.steps > self.opts.limits.max_steps {
            return Err(self.limit(
                f,
                format!(
                    "execution stopped after {} steps: the template runs too long or loops for ever",
                    self.opts.limits.max_steps
                ),
            ));
        }
        Ok(())
    }

    fn write(&mut self, f: &Frame<'_>, out: &mut String, s: &str) -> EResult<()> {
        self.output += s.len();
        if self.output > self.opts.limits.max_output {
            return Err(self.limit(
                f,
                format!(
                    "output exceeds {} bytes: the template produces too much text",
                    self.opts.limits.max_output
                ),
            ));
        }
        out.push_str(s);
        Ok(())
    }

    fn walk_list<'t>(
        &mut self,
        f: &mut Frame<'t>,
        dot: &Dot,
        nodes: &'t [Node],
        out: &mut String,
    ) -> Result<(), Flow> {
        for n in nodes {
            self.walk(f, dot, n, out)?;
        }
        Ok(())
    }

    fn walk<'t>(
        &mut self,
        f: &mut Frame<'t>,
        dot: &Dot,
        node: &'t Node,
        out: &mut String,
    ) -> Result<(), Flow> {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROW, || {
            self.step(f)?;
            f.at = Some(At::Node(node));
            match node {
                Node::Text(t, pos) => {
                    let root = self.nest == 1;
                    if let Some(tr) = self.tracing(f.tree) {
                        tr.hit(f.tree, *pos, t.len(), HitKind::Node);
                        if root && !t.is_empty() {
                            tr.emit(out.len(), f.tree, *pos, true);
                        }
                    }
                    self.write(f, out, t).map_err(Flow::Err)
                }
                Node::Action(pipe) => {
                    if let Some(tr) = self.tracing(f.tree) {
                        tr.hit(f.tree, pipe.pos, 0, HitKind::Node);
                    }
                    let v = self.eval_pipeline(f, dot, pipe)?;
                    if pipe.decl.is_empty() {
                        f.at = Some(At::Node(node));
                        // Most actions yield a string (an include, a toYaml): write it as it is
                        // rather than through a formatted copy.
                        let s = match &v {
                            Value::String(s) => std::borrow::Cow::Borrowed(&**s),
                            other => std::borrow::Cow::Owned(other.to_output()),
                        };
                        if self.nest == 1 && !s.is_empty() {
                            if let Some(tr) = self.tracing(f.tree) {
                                tr.emit(out.len(), f.tree, pipe.pos, false);
                            }
                        }
                        self.write(f, out, &s)?;
                    }
                    Ok(())
                }
                Node::If(b) => self.walk_if_with(f, dot, b, false, out),
                Node::With(b) => self.walk_if_with(f, dot, b, true, out),
                Node::Range(b) => self.walk_range(f, dot, b, out),
                Node::Break(_) => Err(Flow::Break),
                Node::Continue(_) => Err(Flow::Continue),
                Node::Template { name, pipe, pos } => {
                    if let Some(tr) = self.tracing(f.tree) {
                        tr.hit(f.tree, *pos, 0, HitKind::Node);
                    }
                    let Some(tree) = self.find(name) else {
                        return Err(Flow::Err(self.errorf(
                            f,
                            format!("template {} not defined", super::lexer::go_quote(name)),
                        )));
                    };
                    if f.tdepth >= GO_MAX_EXEC_DEPTH {
                        return Err(Flow::Err(self.errorf(
                            f,
                            format!("exceeded maximum template depth ({GO_MAX_EXEC_DEPTH})"),
                        )));
                    }
                    let data = match pipe {
                        Some(p) => self.eval_pipeline(f, dot, p)?,
                        None => Value::Missing,
                    };
                    self.run_tree(&tree, name, Dot::concrete(data), out, f.tdepth + 1)
                        .map_err(Flow::Err)
                }
            }
        })
    }

    fn walk_if_with<'t>(
        &mut self,
        f: &mut Frame<'t>,
        dot: &Dot,
        b: &'t Branch,
        with: bool,
        out: &mut String,
    ) -> Result<(), Flow> {
        let mark = f.vars.len();
        let kind = if with {
            BranchKind::With
        } else {
            BranchKind::If
        };
        let r = (|| {
            let v = self.eval_pipeline(f, dot, &b.pipe)?;
            if let Some(tr) = self.tracing(f.tree) {
                tr.hit(f.tree, b.pipe.pos, 0, HitKind::Node);
                let arm = if v.truth() {
                    HitKind::Then(kind)
                } else {
                    HitKind::Else(kind)
                };
                tr.hit(f.tree, b.pipe.pos, 0, arm);
            }
            if v.truth() {
                if with {
                    self.walk_list(f, &Dot::concrete(v), &b.list, out)
                } else {
                    self.walk_list(f, dot, &b.list, out)
                }
            } else if let Some(e) = &b.else_list {
                self.walk_list(f, dot, e, out)
            } else {
                Ok(())
            }
        })();
        f.vars.truncate(mark);
        r
    }

    fn walk_range<'t>(
        &mut self,
        f: &mut Frame<'t>,
        dot: &Dot,
        b: &'t Branch,
        out: &mut String,
    ) -> Result<(), Flow> {
        f.at = Some(At::Range(b));
        if let Some(tr) = self.tracing(f.tree) {
            tr.hit(f.tree, b.pipe.pos, 0, HitKind::Node);
        }
        let mark = f.vars.len();
        let r = self.walk_range_inner(f, dot, b, out);
        f.vars.truncate(mark);
        match r {
            Err(Flow::Break) => Ok(()),
            other => other,
        }
    }

    fn walk_range_inner<'t>(
        &mut self,
        f: &mut Frame<'t>,
        dot: &Dot,
        b: &'t Branch,
        out: &mut String,
    ) -> Result<(), Flow> {
        let val = self.eval_pipeline(f, dot, &b.pipe)?;
        let body_mark = f.vars.len();
        let ndecl = b.pipe.decl.len();
        let mut one =
            |ex: &mut Self, f: &mut Frame<'t>, index: Value, elem: Dot| -> Result<(), Flow> {
                if let Some(tr) = ex.tracing(f.tree) {
                    tr.hit(f.tree, b.pipe.pos, 0, HitKind::Then(BranchKind::Range));
                }
                if ndecl > 0 {
                    if b.pipe.is_assign {
                        let target = if ndecl > 1 {
                            index.clone()
                        } else {
                            elem.v.clone()
                        };
                        ex.set_var(f, &b.pipe.decl[0].name, target)?;
                    } else {
                        let top = f.vars.len();
                        if top >= 1 {
                            f.vars[top - 1].1 = elem.v.clone();
                        }
                    }
                }
                if ndecl > 1 {
                    if b.pipe.is_assign {
                        ex.set_var(f, &b.pipe.decl[1].name, elem.v.clone())?;
                    } else {
                        let top = f.vars.len();
                        if top >= 2 {
                            f.vars[top - 2].1 = index;
                        }
                    }
                }
                let r = ex.walk_list(f, &elem, &b.list, out);
                f.vars.truncate(body_mark);
                match r {
                    Err(Flow::Continue) => Ok(()),
                    other => other,
                }
            };
        let mut ran = false;
        match &val {
            Value::List(t, items) => {
                let iface = *t == SliceType::Interface;
                for (i, item) in items.iter().enumerate() {
                    ran = true;
                    self.step(f)?;
                    one(
                        self,
                        f,
                        Value::Int(i as i64),
                        Dot {
                            v: item.clone(),
                            iface,
                        },
                    )?;
                }
            }
            Value::Bytes(bytes) => {
                for (i, byte) in bytes.iter().enumerate() {
                    ran = true;
                    self.step(f)?;
                    one(
                        self,
                        f,
                        Value::Int(i as i64),
                        Dot::concrete(Value::Uint8(*byte)),
                    )?;
                }
            }
            Value::Map(t, m) => {
                let iface = *t != MapType::String;
                for key in m.keys() {
                    ran = true;
                    self.step(f)?;
                    // Go reads each value as it reaches its key, so mutations during the
                    // loop are seen.
                    let v = m.get(&key).unwrap_or(Value::Nil);
                    one(self, f, Value::str(&key), Dot { v, iface })?;
                }
            }
            Value::Int(n) | Value::Int64(n) => {
                if ndecl > 1 {
                    return Err(Flow::Err(self.errorf(
                        f,
                        format!(
                            "can't use {} to iterate over more than one variable",
                            val.format_v()
                        ),
                    )));
                }
                let int64 = matches!(val, Value::Int64(_));
                for i in 0..(*n).max(0) {
                    ran = true;
                    self.step(f)?;
                    let v = if int64 {
                        Value::Int64(i)
                    } else {
                        Value::Int(i)
                    };
                    one(self, f, v.clone(), Dot::concrete(v))?;
                }
            }
            Value::Missing | Value::Nil => {}
            Value::Object(o) if o.kind_name() == "slice" => {
                if let Value::List(_, items) = o.to_data() {
                    for (i, item) in items.iter().enumerate() {
                        ran = true;
                        self.step(f)?;
                        one(self, f, Value::Int(i as i64), Dot::concrete(item.clone()))?;
                    }
                }
            }
            Value::Object(o) if o.kind_name() == "map" => {
                // Map-like objects (helm's Files) range over their entries.
                if let Value::Map(_, m) = o.to_data() {
                    for (k, v) in m.entries() {
                        ran = true;
                        self.step(f)?;
                        one(self, f, Value::str(&k), Dot::concrete(v))?;
                    }
                }
            }
            other => {
                return Err(Flow::Err(self.errorf(
                    f,
                    format!("range can't iterate over {}", other.format_v()),
                )));
            }
        }
        if !ran {
            if let Some(tr) = self.tracing(f.tree) {
                tr.hit(f.tree, b.pipe.pos, 0, HitKind::Else(BranchKind::Range));
            }
            if let Some(e) = &b.else_list {
                return self.walk_list(f, dot, e, out);
            }
        }
        Ok(())
    }

    fn set_var(&self, f: &mut Frame<'_>, name: &str, v: Value) -> EResult<()> {
        for slot in f.vars.iter_mut().rev() {
            if slot.0 == name {
                slot.1 = v;
                return Ok(());
            }
        }
        Err(self.errorf(f, format!("undefined variable: {name}")))
    }

    fn var_value(&self, f: &Frame<'_>, name: &str) -> EResult<Value> {
        for slot in f.vars.iter().rev() {
            if slot.0 == name {
                return Ok(slot.1.clone());
            }
        }
        Err(self.errorf(f, format!("undefined variable: {name}")))
    }

    fn eval_pipeline<'t>(
        &mut self,
        f: &mut Frame<'t>,
        dot: &Dot,
        pipe: &'t Pipe,
    ) -> EResult<Value> {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROW, || {
            f.at = Some(At::Pipe(pipe));
            let mut value: Option<Value> = None;
            for cmd in &pipe.cmds {
                self.step(f)?;
                let v = self.eval_command(f, dot, cmd, value.take())?;
                // A nil interface result becomes "no value", as Go unwraps interfaces here.
                value = Some(if matches!(v, Value::Nil) {
                    Value::Missing
                } else {
                    v
                });
            }
            let value = value.unwrap_or(Value::Missing);
            for var in &pipe.decl {
                if pipe.is_assign {
                    self.set_var(f, &var.name, value.clone())?;
                } else {
                    f.vars.push((var.name.as_str(), value.clone()));
                }
            }
            Ok(value)
        })
    }

    fn not_a_function(&self, f: &Frame<'_>, args: &[Arg], fin: &Option<Value>) -> EResult<()> {
        if args.len() > 1 || fin.is_some() {
            if let Some(first) = args.first() {
                return Err(self.errorf(f, format!("can't give argument to non-function {first}")));
            }
        }
        Ok(())
    }

    fn eval_command<'t>(
        &mut self,
        f: &mut Frame<'t>,
        dot: &Dot,
        cmd: &'t Command,
        fin: Option<Value>,
    ) -> EResult<Value> {
        let Some(first) = cmd.args.first() else {
            return Err(self.errorf(f, "empty command"));
        };
        match first {
            Arg::Field { idents, .. } => {
                f.at = Some(At::Arg(first));
                return self.eval_field_chain(
                    f,
                    dot,
                    dot.clone(),
                    first,
                    &idents.0,
                    &cmd.args,
                    fin,
                );
            }
            Arg::Chain { node, fields, .. } => {
                f.at = Some(At::Arg(first));
                if let Arg::Nil(_) = **node {
                    return Err(
                        self.errorf(f, format!("indirection through explicit nil in {first}"))
                    );
                }
                let recv = self.eval_arg(f, dot, None, node)?;
                return self.eval_field_chain(
                    f,
                    dot,
                    Dot::concrete(recv),
                    first,
                    &fields.0,
                    &cmd.args,
                    fin,
                );
            }
            Arg::Identifier { name, .. } => {
                f.at = Some(At::Arg(first));
                return self.eval_function(f, dot, name, At::Cmd(cmd), &cmd.args[1..], fin);
            }
            Arg::Pipe(p) => {
                self.not_a_function(f, &cmd.args, &fin)?;
                return self.eval_pipeline(f, dot, p);
            }
            Arg::Variable { idents, .. } => {
                f.at = Some(At::Arg(first));
                let (var, fields) = idents.split_first();
                let v = self.var_value(f, var)?;
                if fields.is_empty() {
                    self.not_a_function(f, &cmd.args, &fin)?;
                    return Ok(v);
                }
                return self.eval_field_chain(
                    f,
                    dot,
                    Dot::concrete(v),
                    first,
                    fields,
                    &cmd.args,
                    fin,
                );
            }
            _ => {}
        }
        f.at = Some(At::Arg(first));
        self.not_a_function(f, &cmd.args, &fin)?;
        match first {
            Arg::Bool(_, b) => Ok(Value::Bool(*b)),
            Arg::Dot(_) => Ok(dot.v.clone()),
            Arg::Nil(_) => Err(self.errorf(f, "nil is not a command")),
            Arg::Number(_, n) => self.ideal_constant(f, n),
            Arg::String { text, .. } => Ok(Value::String(text.clone())),
            _ => Err(self.errorf(
                f,
                format!(
                    "can't evaluate command {}",
                    super::lexer::go_quote(&first.to_string())
                ),
            )),
        }
    }

    fn ideal_constant(&self, f: &Frame<'_>, n: &super::ast::Number) -> EResult<Value> {
        if let Some((re, im)) = n.complex {
            return Ok(Value::Complex(re, im));
        }
        let t = &n.text;
        let is_hex_int =
            t.len() > 2 && (t.starts_with("0x") || t.starts_with("0X")) && !t.contains(['p', 'P']);
        let is_rune = t.starts_with('\'');
        if n.float.is_some() && !is_hex_int && !is_rune && t.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Value::Float(n.float.unwrap_or(0.0)));
        }
        if let Some(i) = n.int {
            return Ok(Value::Int(i));
        }
        if n.uint.is_some() {
            return Err(self.errorf(f, format!("{t} overflows int")));
        }
        Ok(Value::Missing)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field_chain<'t>(
        &mut self,
        f: &mut Frame<'t>,
        dot: &Dot,
        mut recv: Dot,
        node: &'t Arg,
        idents: &str,
        args: &'t [Arg],
        fin: Option<Value>,
    ) -> EResult<Value> {
        // `idents` is the chain as written, `a.b.c`; only the last name gets the arguments.
        // Names are short, so a plain byte scan beats a general string search here.
        if idents.is_empty() {
            return Ok(recv.v);
        }
        let mut rest = idents;
        while let Some(dot_at) = rest.bytes().position(|b| b == b'.') {
            recv = self.eval_field(f, dot, &rest[..dot_at], node, &[], None, recv)?;
            rest = &rest[dot_at + 1..];
        }
        Ok(self.eval_field(f, dot, rest, node, args, fin, recv)?.v)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field<'t>(
        &mut self,
        f: &mut Frame<'t>,
        dot: &Dot,
        name: &str,
        node: &'t Arg,
        args: &'t [Arg],
        fin: Option<Value>,
        recv: Dot,
    ) -> EResult<Dot> {
        if recv.v.is_missing() {
            return Ok(Dot::concrete(Value::Missing));
        }
        if recv.v.is_nil() {
            return Err(self.errorf(f, format!("nil pointer evaluating interface {{}}.{name}")));
        }
        let has_args = args.len() > 1 || fin.is_some();
        // Methods come before map keys and struct fields.
        match &recv.v {
            Value::Map(MapType::Values, m) => {
                if let Some(sig) = values_method(name) {
                    let call_args = if args.is_empty() { &[][..] } else { &args[1..] };
                    let argv = self.eval_call_args(f, dot, name, sig, call_args, fin)?;
                    let r = values_call(m, name, argv);
                    return match r {
                        Ok(v) => Ok(Dot::concrete(v)),
                        Err(e) => {
                            f.at = Some(At::Arg(node));
                            Err(self.error(
                                f,
                                Cause::Call {
                                    func: name.to_string(),
                                    err: FuncError::Msg(e),
                                },
                            ))
                        }
                    };
                }
            }
            Value::Object(o) => {
                if let Some(sig) = o.method(name) {
                    let call_args = if args.is_empty() { &[][..] } else { &args[1..] };
                    let argv = self.eval_call_args(f, dot, name, sig, call_args, fin)?;
                    return match o.call_method(name, argv) {
                        Ok(v) => Ok(Dot::concrete(v)),
                        Err(e) => {
                            f.at = Some(At::Arg(node));
                            Err(self.error(
                                f,
                                Cause::Call {
                                    func: name.to_string(),
                                    err: FuncError::Msg(e),
                                },
                            ))
                        }
                    };
                }
                if let Some(v) = o.field(name) {
                    if has_args {
                        return Err(self.errorf(
                            f,
                            format!("{name} has arguments but cannot be invoked as function"),
                        ));
                    }
                    return Ok(Dot::concrete(v));
                }
            }
            _ => {}
        }
        match &recv.v {
            Value::Map(t, m) => {
                if has_args {
                    return Err(self.errorf(f, format!("{name} is not a method but has arguments")));
                }
                let v = match m.get(name) {
                    Some(v) => v,
                    None if *t == MapType::String => Value::str(""),
                    None => Value::Nil,
                };
                Ok(Dot {
                    v,
                    iface: *t != MapType::String,
                })
            }
            _ => Err(self.errorf(
                f,
                format!("can't evaluate field {name} in type {}", recv.static_type()),
            )),
        }
    }

    fn eval_function<'t>(
        &mut self,
        f: &mut Frame<'t>,
        dot: &Dot,
        name: &str,
        err_at: At<'t>,
        args: &'t [Arg],
        fin: Option<Value>,
    ) -> EResult<Value> {
        if name == "and" || name == "or" {
            return self.eval_and_or(f, dot, name == "or", args, fin);
        }
        let Some(func) = funcs::lookup(name) else {
            return Err(self.errorf(
                f,
                format!("{} is not a defined function", super::lexer::go_quote(name)),
            ));
        };
        let argv = self.eval_call_args(f, dot, name, func.sig, args, fin)?;
        match (func.imp)(self, argv) {
            Ok(Value::String(s)) if s.len() > self.opts.limits.max_output => {
                f.at = Some(err_at);
                Err(self.limit(
                    f,
                    format!(
                        "{name} returned {} bytes, over the {}-byte output budget: the template builds a runaway string",
                        s.len(),
                        self.opts.limits.max_output
                    ),
                ))
            }
            Ok(v) => Ok(v),
            Err(err) => {
                f.at = Some(err_at);
                Err(self.error(
                    f,
                    Cause::Call {
                        func: name.to_string(),
                        err,
                    },
                ))
            }
        }
    }

    fn eval_and_or<'t>(
        &mut self,
        f: &mut Frame<'t>,
        dot: &Dot,
        is_or: bool,
        args: &'t [Arg],
        fin: Option<Value>,
    ) -> EResult<Value> {
        let name = if is_or { "or" } else { "and" };
        let n = args.len() + usize::from(fin.is_some());
        if n < 1 {
            return Err(self.errorf(
                f,
                format!("wrong number of args for {name}: want at least 1 got 0"),
            ));
        }
        let mut v = Value::Missing;
        for a in args {
            v = self.eval_arg(f, dot, Some(Ty::Raw), a)?;
            if v.truth() == is_or {
                return Ok(v);
            }
        }
        if let Some(fv) = fin {
            v = fv;
        }
        Ok(v)
    }

    /// Evaluates and converts a call's arguments (Go's `evalCall` up to the call itself).
    fn eval_call_args<'t>(
        &mut self,
        f: &mut Frame<'t>,
        dot: &Dot,
        name: &str,
        sig: Sig,
        args: &'t [Arg],
        fin: Option<Value>,
    ) -> EResult<Vec<Value>> {
        let nfixed_params = sig.params.len();
        let num_in = args.len() + usize::from(fin.is_some());
        if sig.variadic.is_some() {
            if num_in < nfixed_params {
                return Err(self.errorf(
                    f,
                    format!(
                        "wrong number of args for {name}: want at least {nfixed_params} got {}",
                        args.len()
                    ),
                ));
            }
        } else if num_in != nfixed_params {
            return Err(self.errorf(
                f,
                format!("wrong number of args for {name}: want {nfixed_params} got {num_in}"),
            ));
        }
        let mut argv = Vec::with_capacity(num_in);
        for (i, a) in args.iter().enumerate() {
            let ty = if i < nfixed_params {
                sig.params[i]
            } else {
                sig.variadic.unwrap_or(Ty::Any)
            };
            argv.push(self.eval_arg(f, dot, Some(ty), a)?);
        }
        if let Some(fv) = fin {
            let i = argv.len();
            let ty = if i < nfixed_params {
                sig.params[i]
            } else {
                sig.variadic.unwrap_or(Ty::Any)
            };
            argv.push(self.validate_type(f, fv, Some(ty))?);
        }
        Ok(argv)
    }

    fn eval_arg<'t>(
        &mut self,
        f: &mut Frame<'t>,
        dot: &Dot,
        ty: Option<Ty>,
        a: &'t Arg,
    ) -> EResult<Value> {
        f.at = Some(At::Arg(a));
        match a {
            Arg::Dot(_) => return self.validate_type(f, dot.v.clone(), ty),
            Arg::Nil(_) => {
                return match ty {
                    Some(Ty::Raw) => Ok(Value::Missing),
                    Some(t) if t.can_be_nil() => Ok(Value::Nil),
                    None => Ok(Value::Nil),
                    Some(t) => Err(self.errorf(f, format!("cannot assign nil to {}", t.go_name()))),
                };
            }
            Arg::Field { idents, .. } => {
                let v = self.eval_field_chain(f, dot, dot.clone(), a, &idents.0, &[], None)?;
                return self.validate_type(f, v, ty);
            }
            Arg::Variable { idents, .. } => {
                let (var, fields) = idents.split_first();
                let v = self.var_value(f, var)?;
                let v = if !fields.is_empty() {
                    self.eval_field_chain(f, dot, Dot::concrete(v), a, fields, &[], None)?
                } else {
                    v
                };
                return self.validate_type(f, v, ty);
            }
            Arg::Pipe(p) => {
                // Go reports a type mismatch at the last node the pipeline evaluated.
                let v = self.eval_pipeline(f, dot, p)?;
                return self.validate_type(f, v, ty);
            }
            Arg::Identifier { name, .. } => {
                let v = self.eval_function(f, dot, name, At::Arg(a), &[], None)?;
                return self.validate_type(f, v, ty);
            }
            Arg::Chain { node, fields, .. } => {
                if let Arg::Nil(_) = **node {
                    return Err(self.errorf(f, format!("indirection through explicit nil in {a}")));
                }
                let recv = self.eval_arg(f, dot, None, node)?;
                // Like Go, field errors here report the last node the operand evaluated.
                let v =
                    self.eval_field_chain(f, dot, Dot::concrete(recv), a, &fields.0, &[], None)?;
                return self.validate_type(f, v, ty);
            }
            _ => {}
        }
        let ty = ty.unwrap_or(Ty::Any);
        match ty {
            Ty::Bool => match a {
                Arg::Bool(_, b) => Ok(Value::Bool(*b)),
                _ => Err(self.errorf(f, format!("expected bool; found {a}"))),
            },
            Ty::Float64 => match a {
                Arg::Number(_, n) if n.float.is_some() => Ok(Value::Float(n.float.unwrap_or(0.0))),
                _ => Err(self.errorf(f, format!("expected float; found {a}"))),
            },
            Ty::Int | Ty::Int64 => match a {
                Arg::Number(_, n) if n.int.is_some() => {
                    let i = n.int.unwrap_or(0);
                    Ok(if ty == Ty::Int {
                        Value::Int(i)
                    } else {
                        Value::Int64(i)
                    })
                }
                _ => Err(self.errorf(f, format!("expected integer; found {a}"))),
            },
            Ty::Uint32 => match a {
                Arg::Number(_, n) if n.uint.is_some_and(|u| u <= u32::MAX as u64) => {
                    Ok(Value::Uint32(n.uint.unwrap_or(0) as u32))
                }
                Arg::Number(_, n) if n.uint.is_some() => {
                    Err(self.errorf(f, format!("overflow: {}", n.text)))
                }
                _ => Err(self.errorf(f, format!("expected unsigned integer; found {a}"))),
            },
            Ty::String => match a {
                Arg::String { text, .. } => Ok(Value::String(text.clone())),
                _ => Err(self.errorf(f, format!("expected string; found {a}"))),
            },
            Ty::Any | Ty::Raw => match a {
                Arg::Bool(_, b) => Ok(Value::Bool(*b)),
                Arg::Number(_, n) => self.ideal_constant(f, n),
                Arg::String { text, .. } => Ok(Value::String(text.clone())),
                _ => Err(self.errorf(
                    f,
                    format!("can't handle {a} for arg of type {}", ty.go_name()),
                )),
            },
            other => Err(self.errorf(
                f,
                format!("can't handle {a} for arg of type {}", other.go_name()),
            )),
        }
    }

    /// Go's `validateType`: checks a dynamic value against a parameter type.
    fn validate_type(&self, f: &Frame<'_>, v: Value, ty: Option<Ty>) -> EResult<Value> {
        let Some(ty) = ty else {
            return Ok(v);
        };
        match ty {
            Ty::Raw => return Ok(v),
            Ty::Any => {
                return Ok(if v.is_missing() { Value::Nil } else { v });
            }
            _ => {}
        }
        if v.is_missing() {
            if ty.can_be_nil() {
                return Ok(Value::Nil);
            }
            return Err(self.errorf(f, format!("invalid value; expected {}", ty.go_name())));
        }
        let ok = match (ty, &v) {
            (Ty::String, Value::String(_))
            | (Ty::Int, Value::Int(_))
            | (Ty::Int64, Value::Int64(_))
            | (Ty::Uint32, Value::Uint32(_))
            | (Ty::Float64, Value::Float(_))
            | (Ty::Bool, Value::Bool(_))
            | (Ty::Bytes, Value::Bytes(_))
            | (Ty::List, Value::List(SliceType::Interface, _))
            | (Ty::StrList, Value::List(SliceType::String, _))
            | (Ty::Map, Value::Map(MapType::Interface | MapType::Values, _)) => true,
            (Ty::Object(name), Value::Object(o)) => o.type_name() == name,
            _ => false,
        };
        if ok {
            return Ok(v);
        }
        let got = if v.is_nil() {
            "interface {}".to_string()
        } else {
            v.type_name()
        };
        Err(self.errorf(
            f,
            format!("wrong type for value; expected {}; got {got}", ty.go_name()),
        ))
    }
}

/// The methods of helm's `Values` type.
fn values_method(name: &str) -> Option<Sig> {
    match name {
        "YAML" | "AsMap" => Some(Sig {
            params: &[],
            variadic: None,
        }),
        "Table" | "PathValue" => Some(Sig {
            params: &[Ty::String],
            variadic: None,
        }),
        "Encode" => Some(Sig {
            params: &[Ty::Object("io.Writer")],
            variadic: None,
        }),
        _ => None,
    }
}

fn values_call(m: &super::value::MapRef, name: &str, args: Vec<Value>) -> Result<Value, String> {
    let arg = || {
        args.first()
            .and_then(|a| a.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    match name {
        "YAML" => super::yaml::to_yaml(&Value::Map(MapType::Values, m.clone())).map(Value::from),
        "AsMap" => Ok(Value::Map(MapType::Interface, m.clone())),
        "Table" => {
            let mut table = m.clone();
            for part in arg().split('.') {
                match table.get(part) {
                    Some(Value::Map(MapType::Interface | MapType::Values, sub)) => table = sub,
                    _ => return Err(format!("{} is not a table", super::lexer::go_quote(part))),
                }
            }
            Ok(Value::Map(MapType::Values, table))
        }
        "PathValue" => {
            let path = arg();
            if path.is_empty() {
                return Err("YAML path cannot be empty".into());
            }
            let parts: Vec<&str> = path.split('.').collect();
            let (key, tables) = parts.split_last().ok_or("YAML path cannot be empty")?;
            let mut table = m.clone();
            for part in tables {
                match table.get(part) {
                    Some(Value::Map(MapType::Interface | MapType::Values, sub)) => table = sub,
                    _ => return Err(format!("{} is not a value", super::lexer::go_quote(key))),
                }
            }
            match table.get(key) {
                Some(Value::Map(MapType::Interface, _)) | None => {
                    Err(format!("{} is not a value", super::lexer::go_quote(key)))
                }
                Some(v) => Ok(v),
            }
        }
        _ => Err(format!("can't call method {name}")),
    }
}

impl FuncCtx for Exec<'_> {
    fn include(&mut self, name: &str, data: Value) -> FuncResult {
        // Charts include the same few helpers over and over: only a new name is copied.
        let count = match self.included.get_mut(name) {
            Some(c) => c,
            None => self.included.entry(name.to_string()).or_insert(0),
        };
        if *count > 1000 {
            return Err(FuncError::Msg(format!(
                "rendering template has a nested reference name: {name}: unable to execute template"
            )));
        }
        *count += 1;
        let mut out = self.spare.pop().unwrap_or_default();
        out.clear();
        let r = self.execute_named_into(name, data, &mut out);
        if let Some(c) = self.included.get_mut(name) {
            *c = c.saturating_sub(1);
        }
        let r = r.map(|()| Value::from(out.as_str()));
        if out.capacity() <= SPARE_MAX {
            self.spare.push(out);
        }
        r
    }

    fn tpl(&mut self, text: &str, data: Value) -> FuncResult {
        let major = self.opts.helm_major;
        let trees = super::parser::parse("gotpl", "gotpl", text, &|n| has_function_in(n, major))
            .map_err(|e| {
                FuncError::Msg(format!(
                    "cannot parse template {}: {e}",
                    super::lexer::go_quote(text)
                ))
            })?;
        let mut overlay = FastMap::default();
        for t in trees {
            associate(&mut overlay, t);
        }
        self.overlays.push(overlay);
        let r = self.execute_named("gotpl", data);
        self.overlays.pop();
        match r {
            Ok(s) => Ok(Value::from(strip_no_value(&s))),
            Err(FuncError::Nested(e)) => Err(FuncError::Tpl {
                text: text.to_string(),
                inner: e,
            }),
            Err(other) => Err(other),
        }
    }

    fn now(&self) -> DateTime<FixedOffset> {
        *self.now.get_or_init(|| {
            self.opts
                .now
                .unwrap_or_else(|| chrono::Local::now().fixed_offset())
        })
    }

    fn rng(&mut self) -> &mut dyn RngCore {
        let seed = self.opts.seed;
        self.rng.get_or_insert_with(|| match seed {
            Some(s) => rand_chacha::ChaCha8Rng::seed_from_u64(s),
            None => rand_chacha::ChaCha8Rng::from_entropy(),
        })
    }

    fn lint_mode(&self) -> bool {
        self.opts.lint
    }

    fn dns_enabled(&self) -> bool {
        self.opts.enable_dns
    }

    fn helm_major(&self) -> u32 {
        self.opts.helm_major
    }

    fn lookup_source(&self) -> Option<&dyn LookupSource> {
        self.opts.lookup.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn run(files: &[(&str, &str)], data: Value) -> Result<String, String> {
        let mut set = TemplateSet::new();
        for (n, t) in files {
            set.add(n, t).map_err(|e| e.helm_message())?;
        }
        set.execute(files[files.len() - 1].0, data, &ExecOptions::default())
            .map(|s| strip_no_value(&s))
            .map_err(|e| e.helm_message())
    }

    fn one(t: &str) -> String {
        run(&[("t", t)], Value::empty_map()).unwrap_or_else(|e| format!("ERR: {e}"))
    }

    #[test]
    fn scoping() {
        assert_eq!(
            one(r#"{{$x := "outer"}}{{if true}}{{$x := "inner"}}{{$x}}{{end}} {{$x}}"#),
            "inner outer"
        );
        assert_eq!(one(r#"{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}"#), "2");
    }

    #[test]
    fn ranges() {
        assert_eq!(one("{{range 3}}{{.}}{{end}}"), "012");
        assert!(one("{{range $i, $e := 3}}{{end}}")
            .contains("can't use 3 to iterate over more than one variable"));
        assert_eq!(
            one("{{range 4}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}}"),
            "01"
        );
        assert_eq!(
            one("{{range 4}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}"),
            "023"
        );
        assert_eq!(one("{{range .nothing}}x{{else}}empty{{end}}"), "empty");
        assert_eq!(
            one("{{range 3.5}}{{end}}"),
            "ERR: t:1:8\n  executing \"t\" at <3.5>:\n    range can't iterate over 3.5"
        );
        let mut m = BTreeMap::new();
        m.insert("b".to_string(), Value::Float(2.0));
        m.insert("a".to_string(), Value::Float(1.0));
        let data = Value::map(BTreeMap::from([("m".to_string(), Value::map(m))]));
        assert_eq!(
            run(
                &[("t", "{{range $k, $v := .m}}{{$k}}={{$v}};{{end}}")],
                data
            )
            .unwrap(),
            "a=1;b=2;"
        );
    }

    #[test]
    fn missing_values_and_nil_chains() {
        assert_eq!(one("a{{.missing}}b"), "ab");
        assert_eq!(
            one("{{.nothing.a}}"),
            "ERR: t:1:10\n  executing \"t\" at <.nothing.a>:\n    nil pointer evaluating interface {}.a"
        );
        assert_eq!(
            one("{{ 1000000.0 }} {{ 'a' }} {{ 2i }} {{ 0x10 }}"),
            "1e+06 97 (0+2i) 16"
        );
    }

    #[test]
    fn include_trace_and_fail() {
        let t = "{{- define \"a\" }}{{ .x.y }}{{ end }}{{- define \"b\" }}{{ include \"a\" . }}{{ end }}\n{{ include \"b\" .Values }}";
        let data = Value::map(BTreeMap::from([(
            "Values".to_string(),
            Value::map(BTreeMap::from([("x".to_string(), Value::str("s"))])),
        )]));
        let err = run(&[("c/templates/t.yaml", t)], data).unwrap_err();
        assert_eq!(
            err,
            "c/templates/t.yaml:2:3\n  executing \"c/templates/t.yaml\" at <include \"b\" .Values>:\n    error calling include:\nc/templates/t.yaml:1:56\n  executing \"b\" at <include \"a\" .>:\n    error calling include:\nc/templates/t.yaml:1:22\n  executing \"a\" at <.x.y>:\n    can't evaluate field y in type interface {}"
        );
        let err = run(
            &[(
                "t",
                "{{define \"f\"}}{{fail \"boom\"}}{{end}}\n  {{include \"f\" .}}",
            )],
            Value::Nil,
        )
        .unwrap_err();
        assert_eq!(err, "execution error at (t:2:4): boom");
        let err = run(&[("t", "{{ include \"nope\" . }}")], Value::Nil).unwrap_err();
        assert_eq!(err, "t:1:3\n  executing \"t\" at <include \"nope\" .>:\n    error calling include:\ntemplate: no template \"nope\" associated with template \"gotpl\"");
    }

    #[test]
    fn tpl_and_budgets() {
        assert_eq!(
            one(r#"{{ tpl "{{define \"x\"}}X{{end}}{{include \"x\" .}}-{{.q}}" . }}"#),
            "X-"
        );
        let err = one(r#"{{ tpl "{{ .x.y }}" .missing }}"#);
        assert!(err.contains("error calling tpl: error during tpl function execution for \"{{ .x.y }}\": template: gotpl:1:5: executing \"gotpl\" at <.x.y>: nil pointer evaluating interface {}.x"), "{err}");
        let err = one(r#"{{define "r"}}{{include "r" .}}{{end}}{{include "r" .}}"#);
        assert!(
            err.contains(
                "rendering template has a nested reference name: r: unable to execute template"
            ),
            "{}",
            &err[err.len().saturating_sub(200)..]
        );
        let opts = ExecOptions {
            limits: Limits {
                max_steps: 10_000,
                ..Limits::default()
            },
            ..ExecOptions::default()
        };
        let mut set = TemplateSet::new();
        set.add("t", "{{range 100000}}x{{end}}").unwrap();
        let err = set.execute("t", Value::Nil, &opts).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Limit);
    }
}
