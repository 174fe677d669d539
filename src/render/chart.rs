//! helm's `Engine.Render` over a prepared chart: every template parsed into one set in helm's
//! order, then every non-partial file executed in that same order.

use std::collections::BTreeMap;

use crate::chart::prepare::{Prepared, RenderUnit};
use crate::engine::{
    strip_no_value, strip_no_value_traced, Error, ExecOptions, Parsed, TemplateSet, Trace, Value,
};

/// helm's parse and execution order: by number of `/` ascending, then lexicographically, then
/// the whole list reversed, so the deepest files come first and shallow files parse last (their
/// `define`s win).
pub fn helm_order(units: &[RenderUnit]) -> Vec<&RenderUnit> {
    let mut v: Vec<&RenderUnit> = units.iter().collect();
    v.sort_by(|a, b| {
        let (ca, cb) = (a.name.matches('/').count(), b.name.matches('/').count());
        ca.cmp(&cb).then_with(|| a.name.cmp(&b.name))
    });
    v.reverse();
    v
}

/// Parses templates, already in helm's order, into one set.
pub fn parse_units(order: &[&RenderUnit], helm_major: u32) -> Result<TemplateSet, Error> {
    parse_units_with(order, helm_major, Vec::new())
}

/// [`parse_units`] where `ready[i]`, when present and `Some`, is `order[i]`'s parse already
/// made (see [`crate::render::ahead`]).
pub fn parse_units_with(
    order: &[&RenderUnit],
    helm_major: u32,
    ready: Vec<Option<Parsed>>,
) -> Result<TemplateSet, Error> {
    let mut set = TemplateSet::for_helm(helm_major);
    let files: Vec<(&str, &str)> = order
        .iter()
        .map(|u| (u.name.as_str(), u.text.as_ref()))
        .collect();
    set.add_all_parsed(&files, ready)?;
    Ok(set)
}

/// Executes every non-partial template, in helm's order, with the parsed `set`, returning
/// each file's output with `<no value>` removed, as helm's engine returns them (NOTES.txt
/// included).
pub fn execute_units(
    set: &TemplateSet,
    order: &[&RenderUnit],
    opts: &ExecOptions,
) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    for u in order {
        if u.is_partial() {
            continue;
        }
        if let Value::Map(_, m) = &u.context {
            m.insert("Template", u.template.clone());
        }
        let s = set.execute(&u.name, u.context.clone(), opts)?;
        out.insert(u.name.clone(), strip_no_value(&s));
    }
    Ok(out)
}

/// One file's output and the trace that maps it back to template lines.
#[derive(Debug, Clone)]
pub struct TracedFile {
    /// The output, `<no value>` removed.
    pub output: String,
    /// Which node wrote each part of `output` (offsets already adjusted for the removal).
    pub trace: Trace,
}

/// [`execute_units`] with a trace per file. Every file's hits, including those of a file that
/// failed, are also added to `hits`, so coverage counts what ran before an error.
pub fn execute_units_traced(
    set: &TemplateSet,
    order: &[&RenderUnit],
    opts: &ExecOptions,
    hits: &mut Trace,
) -> Result<BTreeMap<String, TracedFile>, Error> {
    let mut out = BTreeMap::new();
    for u in order {
        if u.is_partial() {
            continue;
        }
        if let Value::Map(_, m) = &u.context {
            m.insert("Template", u.template.clone());
        }
        let (r, mut trace) = set.execute_traced(&u.name, u.context.clone(), opts);
        hits.merge_hits(&trace);
        let s = r?;
        let output = strip_no_value_traced(&s, &mut trace);
        out.insert(u.name.clone(), TracedFile { output, trace });
    }
    Ok(out)
}

/// Parses and executes a prepared chart.
pub fn render_prepared(
    prepared: &Prepared,
    opts: &ExecOptions,
) -> Result<BTreeMap<String, String>, Error> {
    // helm parses and executes in the same order, so it is computed once.
    let order = helm_order(&prepared.units);
    let set = parse_units(&order, opts.helm_major)?;
    execute_units(&set, &order, opts)
}
