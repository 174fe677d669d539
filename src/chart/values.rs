//! Values: user values from the command line, helm's coalescing with chart defaults (globals,
//! subchart sections), dependency enablement (tags, conditions, aliases) and import-values.
//!
//! Maps are [`MapRef`]s, shared and mutable like Go maps; where helm copies, this code copies.

use std::collections::BTreeMap;

use crate::engine::value::{MapRef, MapType, Value};

use super::load::load_values;
use super::semver::constraint_matches;
use super::strvals::{parse_into, parse_literal_into, Mode};
use super::{Chart, ChartError};

/// The key of global values.
pub const GLOBAL_KEY: &str = "global";

/// User-supplied values, in helm's flag groups. Within a group, order is command-line order;
/// the groups apply in helm's fixed order: `-f`, `--set-json`, `--set`, `--set-string`,
/// `--set-file`, `--set-literal`.
#[derive(Clone, Debug, Default)]
pub struct ValueOptions {
    /// `-f` / `--values`: (name for errors, file contents).
    pub value_files: Vec<(String, String)>,
    /// `--set-json`
    pub json_values: Vec<String>,
    /// `--set`
    pub values: Vec<String>,
    /// `--set-string`
    pub string_values: Vec<String>,
    /// `--set-file`: `key=path` arguments; paths are read with `read_file`.
    pub file_values: Vec<String>,
    /// `--set-literal`
    pub literal_values: Vec<String>,
}

impl ValueOptions {
    /// helm's `Options.MergeValues`: the user values map. `read_file` reads `--set-file` paths
    /// (returning Go's error text, e.g. `open x: no such file or directory`).
    pub fn merge(
        &self,
        read_file: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<MapRef, ChartError> {
        let base = MapRef::default();
        for (name, text) in &self.value_files {
            let m = load_values(text)
                .map_err(|e| ChartError(format!("failed to parse {name}: {e}")))?;
            merge_maps(&base, &m);
        }
        for v in &self.json_values {
            let t = v.trim();
            if t.starts_with('{') {
                let parsed: serde_json::Value = serde_json::from_str(t)
                    .map_err(|_| ChartError(format!("failed parsing --set-json data JSON: {v}")))?;
                match super::strvals::from_json(parsed) {
                    Value::Map(_, m) => merge_maps(&base, &m),
                    _ => {
                        return Err(ChartError(format!(
                            "failed parsing --set-json data JSON: {v}"
                        )))
                    }
                }
            } else {
                parse_into(v, &base, Mode::Json)
                    .map_err(|_| ChartError(format!("failed parsing --set-json data {v}")))?;
            }
        }
        for v in &self.values {
            parse_into(v, &base, Mode::Typed)
                .map_err(|e| ChartError(format!("failed parsing --set data: {e}")))?;
        }
        for v in &self.string_values {
            parse_into(v, &base, Mode::String)
                .map_err(|e| ChartError(format!("failed parsing --set-string data: {e}")))?;
        }
        for v in &self.file_values {
            parse_into(v, &base, Mode::File(read_file))
                .map_err(|e| ChartError(format!("failed parsing --set-file data: {e}")))?;
        }
        for v in &self.literal_values {
            parse_literal_into(v, &base)
                .map_err(|e| ChartError(format!("failed parsing --set-literal data: {e}")))?;
        }
        Ok(base)
    }
}

fn as_table(v: &Value) -> Option<MapRef> {
    match v {
        Value::Map(MapType::Interface | MapType::Values, m) => Some(m.clone()),
        _ => None,
    }
}

fn is_table(v: &Value) -> bool {
    as_table(v).is_some()
}

/// helm's `MergeMaps(a, b)` applied in place to `a`: `b` wins; maps present on both sides merge
/// into a new map.
pub fn merge_maps(a: &MapRef, b: &MapRef) {
    for (k, v) in b.entries() {
        if let (Some(bv), Some(av)) = (as_table(&v), a.get(&k).as_ref().and_then(as_table)) {
            let out = MapRef::new(av.with(|m| m.clone()));
            merge_maps(&out, &bv);
            a.insert(k, Value::Map(MapType::Interface, out));
            continue;
        }
        a.insert(k, v);
    }
}

/// A deep copy of a map (helm's `copystructure.Copy`).
pub fn copy_map(m: &MapRef) -> MapRef {
    match Value::Map(MapType::Interface, m.clone()).deep_copy() {
        Value::Map(_, c) => c,
        _ => MapRef::default(),
    }
}

/// Go's `%t` verb on an arbitrary value, for helm's `type mismatch on X: %t` error.
fn fmt_t(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Nil | Value::Missing => "%!t(<nil>)".into(),
        Value::List(_, items) => {
            let inner: Vec<String> = items.iter().map(fmt_t).collect();
            format!("[{}]", inner.join(" "))
        }
        Value::Map(_, m) => {
            let inner: Vec<String> = m
                .entries()
                .iter()
                .map(|(k, v)| format!("%!t(string={k}):{}", fmt_t(v)))
                .collect();
            format!("map[{}]", inner.join(" "))
        }
        other => format!("%!t({}={})", other.type_name(), other.format_v()),
    }
}

/// helm's `CoalesceValues(chart, vals)`: a copy of `vals` coalesced with the chart's defaults
/// and, recursively, its subcharts'. Null user values delete default keys.
pub fn coalesce_values(ch: &Chart, vals: &MapRef) -> Result<MapRef, ChartError> {
    let dest = copy_map(vals);
    coalesce(ch, &dest, "", false)?;
    Ok(dest)
}

/// helm's `MergeValues`: like [`coalesce_values`] but nulls are kept.
pub fn merge_values(ch: &Chart, vals: &MapRef) -> Result<MapRef, ChartError> {
    let dest = copy_map(vals);
    coalesce(ch, &dest, "", true)?;
    Ok(dest)
}

/// [`coalesce_values`] for a result that is only read, never rendered or mutated (dependency
/// conditions): `vals` is copied only where coalescing writes, the rest is shared with it.
///
/// Coalescing writes to the top level of the copy and, below it, only to the entries named by
/// the chart's own values, its dependencies and `global`. Copying the whole of `vals` at each
/// level of dependency processing cost a chart with a few subcharts half of its preparation.
fn coalesce_values_to_read(ch: &Chart, vals: &MapRef) -> Result<MapRef, ChartError> {
    let own = ch.values_map();
    let written = |k: &str| {
        k == GLOBAL_KEY || own.contains_key(k) || ch.dependencies.iter().any(|d| d.name() == k)
    };
    let top: Vec<(String, Value)> = vals.entries();
    let dest = MapRef::new(
        top.into_iter()
            .map(|(k, v)| {
                let v = if written(&k) { v.deep_copy() } else { v };
                (k, v)
            })
            .collect(),
    );
    coalesce(ch, &dest, "", false)?;
    Ok(dest)
}

fn coalesce(ch: &Chart, dest: &MapRef, prefix: &str, merge: bool) -> Result<(), ChartError> {
    coalesce_chart_values(ch, dest, merge);
    coalesce_deps(ch, dest, prefix, merge)
}

fn concat(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

fn coalesce_deps(ch: &Chart, dest: &MapRef, prefix: &str, merge: bool) -> Result<(), ChartError> {
    for sub in &ch.dependencies {
        let name = sub.name();
        let dv = match dest.get(name) {
            None => {
                let m = MapRef::default();
                dest.insert(name, Value::Map(MapType::Interface, m.clone()));
                m
            }
            Some(v) => match as_table(&v) {
                Some(m) => m,
                None => {
                    return Err(ChartError(format!(
                        "type mismatch on {name}: {}",
                        fmt_t(&v)
                    )))
                }
            },
        };
        let sub_prefix = concat(prefix, ch.name());
        coalesce_globals(&dv, dest);
        coalesce(sub, &dv, &sub_prefix, merge)?;
    }
    Ok(())
}

/// Copies the parent's globals (`src`) into a subchart's values (`dest`): parent scalars win,
/// maps merge with the parent's entries winning.
fn coalesce_globals(dest: &MapRef, src: &MapRef) {
    let dg = match dest.get(GLOBAL_KEY) {
        None => MapRef::default(),
        Some(v) => match as_table(&v) {
            Some(m) => m,
            None => return,
        },
    };
    let sg = match src.get(GLOBAL_KEY) {
        None => MapRef::default(),
        Some(v) => match as_table(&v) {
            Some(m) => m,
            None => return,
        },
    };
    for (key, val) in sg.entries() {
        if let Some(vm) = as_table(&val) {
            // A shallow copy, as helm makes: nested maps stay shared with the parent.
            let vv = MapRef::new(vm.with(|m| m.clone()));
            match dg.get(&key) {
                None => {
                    dg.insert(key, Value::Map(MapType::Interface, vv));
                }
                Some(destv) => {
                    if let Some(destvmap) = as_table(&destv) {
                        coalesce_tables(&vv, &destvmap, true);
                        dg.insert(key, Value::Map(MapType::Interface, vv));
                    }
                }
            }
        } else if dg.get(&key).as_ref().is_some_and(is_table) {
            // helm skips a scalar over a table.
        } else {
            dg.insert(key, val);
        }
    }
    dest.insert(GLOBAL_KEY, Value::Map(MapType::Interface, dg));
}

fn coalesce_chart_values(ch: &Chart, v: &MapRef, merge: bool) {
    let vc = copy_map(&ch.values_map());
    for (key, val) in vc.entries() {
        match v.get(&key) {
            Some(value) => {
                if matches!(value, Value::Nil) && !merge {
                    v.remove(&key);
                } else if let Some(dest) = as_table(&value) {
                    if let Some(src) = as_table(&val) {
                        let merge = merge || ch.dependencies.iter().any(|d| d.name() == key);
                        coalesce_tables(&dest, &src, merge);
                    }
                }
            }
            None => {
                v.insert(key, val);
            }
        }
    }
}

/// helm's `coalesceTablesFullKey`: merges `src` into `dst`, `dst` winning. When coalescing
/// (`merge` false), a null in `dst` over a non-null default deletes the key.
pub fn coalesce_tables(dst: &MapRef, src: &MapRef, merge: bool) {
    if dst.ptr_eq(src) {
        return;
    }
    let src_non_nil: std::collections::BTreeSet<String> = src
        .entries()
        .into_iter()
        .filter(|(_, v)| !matches!(v, Value::Nil))
        .map(|(k, _)| k)
        .collect();
    for (key, val) in dst.entries() {
        if matches!(val, Value::Nil) {
            src.insert(key, Value::Nil);
        }
    }
    for (key, val) in src.entries() {
        match dst.get(&key) {
            Some(Value::Nil) if !merge && src_non_nil.contains(&key) => {
                dst.remove(&key);
            }
            None => {
                dst.insert(key, val);
            }
            Some(dv) => {
                if let (Some(s), Some(d)) = (as_table(&val), as_table(&dv)) {
                    coalesce_tables(&d, &s, merge);
                }
            }
        }
    }
}

/// helm's `Values.Table`: the map at a dotted path, or `None`.
pub fn table(v: &MapRef, path: &str) -> Option<MapRef> {
    let mut cur = v.clone();
    for seg in path.split('.') {
        cur = as_table(&cur.get(seg)?)?;
    }
    Some(cur)
}

/// helm's `Values.PathValue`: the non-map value at a dotted path.
pub fn path_value(v: &MapRef, path: &str) -> Option<Value> {
    if path.is_empty() {
        return None;
    }
    let (parent, key) = match path.rsplit_once('.') {
        Some((p, k)) => (table(v, p)?, k),
        None => (v.clone(), path),
    };
    let val = parent.get(key)?;
    (!is_table(&val)).then_some(val)
}

/// helm's `ProcessDependencies`: drops disabled subcharts (tags, then conditions), applies
/// aliases, and imports values from children into parents. `vals` are the user values.
pub fn process_dependencies(c: &mut Chart, vals: &MapRef) -> Result<(), ChartError> {
    process_enabled(c, vals, "")?;
    process_import_values_rec(c)
}

fn alias_dependency(charts: &[Chart], dep: &super::Dependency) -> Option<Chart> {
    let c = charts
        .iter()
        .find(|c| c.name() == dep.name && constraint_matches(&dep.version, &c.metadata.version))?;
    let mut out = c.clone();
    if !dep.alias.is_empty() {
        out.metadata.name = dep.alias.clone();
    }
    Some(out)
}

fn process_enabled(c: &mut Chart, v: &MapRef, path: &str) -> Result<(), ChartError> {
    let Some(reqs) = c.metadata.dependencies.as_mut() else {
        return Ok(());
    };
    let mut deps: Vec<Chart> = c
        .dependencies
        .iter()
        .filter(|existing| {
            !reqs.iter().flatten().any(|r| {
                existing.name() == r.name
                    && constraint_matches(&r.version, &existing.metadata.version)
            })
        })
        .cloned()
        .collect();
    for req in reqs.iter_mut().flatten() {
        if let Some(cd) = alias_dependency(&c.dependencies, req) {
            deps.push(cd);
        }
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
    }
    c.dependencies = deps;
    for r in c.metadata.dependencies.iter_mut().flatten().flatten() {
        r.enabled = true;
    }
    let cvals = coalesce_values_to_read(c, v)?;
    let reqs = c
        .metadata
        .dependencies
        .as_mut()
        .map(|r| r.iter_mut().flatten())
        .into_iter()
        .flatten();
    let tags = table(&cvals, "tags");
    let mut rm = std::collections::BTreeSet::new();
    for r in reqs {
        if let Some(vt) = &tags {
            let (mut has_true, mut has_false) = (false, false);
            for t in &r.tags {
                if let Some(Value::Bool(b)) = vt.get(t) {
                    if b {
                        has_true = true;
                    } else {
                        has_false = true;
                    }
                }
            }
            r.enabled = has_true || !has_false;
        }
        for cond in r.condition.trim().split(',') {
            if cond.is_empty() {
                continue;
            }
            if let Some(Value::Bool(b)) = path_value(&cvals, &format!("{path}{cond}")) {
                r.enabled = b;
                break;
            }
        }
        if !r.enabled {
            rm.insert(r.name.clone());
        }
    }
    c.dependencies.retain(|d| !rm.contains(d.name()));
    for d in c.dependencies.iter_mut() {
        let sub = format!("{path}{}.", d.name());
        process_enabled(d, &cvals, &sub)?;
    }
    let kept: Vec<_> = c
        .metadata
        .dependencies
        .take()
        .into_iter()
        .flatten()
        .filter(|r| r.as_ref().is_some_and(|r| !rm.contains(&r.name)))
        .collect();
    c.metadata.dependencies = (!kept.is_empty()).then_some(kept);
    Ok(())
}

fn process_import_values_rec(c: &mut Chart) -> Result<(), ChartError> {
    for d in c.dependencies.iter_mut() {
        process_import_values_rec(d)?;
    }
    process_import_values(c)
}

fn path_to_map(path: &str, data: MapRef) -> MapRef {
    if path == "." {
        return data;
    }
    let mut cur = data;
    for seg in path.split('.').rev() {
        let mut m = BTreeMap::new();
        m.insert(seg.to_string(), Value::Map(MapType::Interface, cur));
        cur = MapRef::new(m);
    }
    cur
}

fn process_import_values(c: &mut Chart) -> Result<(), ChartError> {
    if c.metadata.dependencies.is_none() {
        return Ok(());
    }
    let cvals = merge_values(c, &MapRef::default())?;
    let b = MapRef::default();
    for r in c.metadata.dependencies.iter_mut().flatten().flatten() {
        let mut out = Vec::new();
        for iv in &r.import_values {
            match iv {
                Value::Map(MapType::Interface, m) => {
                    let fmt = |k: &str| {
                        m.get(k)
                            .map(|v| v.format_v())
                            .unwrap_or_else(|| "<nil>".into())
                    };
                    let (child, parent) = (fmt("child"), fmt("parent"));
                    out.push(string_map(&child, &parent));
                    if let Some(vv) = table(&cvals, &format!("{}.{child}", r.name)) {
                        coalesce_tables(&b, &path_to_map(&parent, vv), true);
                    }
                }
                Value::String(s) => {
                    let child = format!("exports.{s}");
                    out.push(string_map(&child, "."));
                    if let Some(vm) = table(&cvals, &format!("{}.{child}", r.name)) {
                        coalesce_tables(&b, &vm, true);
                    }
                }
                _ => {}
            }
        }
        r.import_values = out;
    }
    // With nothing imported, merging `b` changes nothing, and `cvals` (a fresh map nothing
    // else holds) needs no copy.
    let cvals = if b.is_empty() {
        cvals
    } else {
        let copy = copy_map(&cvals);
        coalesce_tables(&copy, &b, true);
        copy
    };
    c.values = Value::Map(MapType::Interface, cvals);
    Ok(())
}

fn string_map(child: &str, parent: &str) -> Value {
    let mut m = BTreeMap::new();
    m.insert("child".to_string(), Value::str(child));
    m.insert("parent".to_string(), Value::str(parent));
    Value::Map(MapType::String, MapRef::new(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::load::load_files;
    use crate::chart::ChartFile;

    fn chart(files: &[(&str, &str)]) -> Chart {
        load_files(
            files
                .iter()
                .map(|(n, t)| ChartFile {
                    name: n.to_string(),
                    data: t.as_bytes().into(),
                })
                .collect(),
        )
        .unwrap()
    }

    fn user(sets: &[&str]) -> MapRef {
        let o = ValueOptions {
            values: sets.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        o.merge(&|_| Err("no".into())).unwrap()
    }

    fn show(m: &MapRef) -> String {
        Value::Map(MapType::Interface, m.clone()).format_v()
    }

    #[test]
    fn precedence() {
        // Verified: --set-string a=x --set a=y -f (a: file) gives x.
        let o = ValueOptions {
            value_files: vec![("f.yaml".into(), "a: file\nb: [1]\n".into())],
            values: vec!["a=y".into()],
            string_values: vec!["a=x".into()],
            ..Default::default()
        };
        let m = o.merge(&|_| Err("x".into())).unwrap();
        assert_eq!(show(&m), "map[a:x b:[1]]");
        let bad = ValueOptions {
            values: vec!["a".into()],
            ..Default::default()
        };
        assert_eq!(
            bad.merge(&|_| Err("x".into())).unwrap_err().0,
            "failed parsing --set data: key \"a\" has no value"
        );
    }

    #[test]
    fn coalescing() {
        let c = chart(&[
            ("Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n"),
            (
                "values.yaml",
                "m: {a: 1, b: 2}\nl: [1, 2]\ns: x\nd: {k: v}\n",
            ),
        ]);
        let v = coalesce_values(
            &c,
            &user(&["m.a=null", "l={9}", "newnull=null", "d=scalar"]),
        )
        .unwrap();
        assert_eq!(show(&v), "map[d:scalar l:[9] m:map[b:2] newnull:<nil> s:x]");
    }

    fn parent_with_sub(parent_values: &str, extra_md: &str) -> Chart {
        let sub = chart(&[
            ("Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"),
            (
                "values.yaml",
                "own: 1\nglobal: {subonly: s, g: sub}\nexports:\n  data: {exported: e}\n",
            ),
        ]);
        let mut c = chart(&[
            (
                "Chart.yaml",
                &format!("apiVersion: v2\nname: c\nversion: 0.1.0\n{extra_md}"),
            ),
            ("values.yaml", parent_values),
        ]);
        c.dependencies.push(sub);
        c
    }

    #[test]
    fn globals_and_subcharts() {
        let c = parent_with_sub("global: {g: parent}\nsub: {own: 2}\n", "");
        let v = coalesce_values(&c, &MapRef::default()).unwrap();
        assert_eq!(
            show(&v),
            "map[global:map[g:parent] sub:map[exports:map[data:map[exported:e]] global:map[g:parent subonly:s] own:2]]"
        );
        let c = parent_with_sub("x: 1\n", "");
        let v = coalesce_values(&c, &MapRef::default()).unwrap();
        assert!(
            v.get("global").is_none(),
            "root has no global unless defined"
        );
        let err = coalesce_values(&c, &user(&["sub=x"])).unwrap_err();
        assert_eq!(err.0, "type mismatch on sub: %!t(string=x)");
    }

    #[test]
    fn enablement() {
        let md = "dependencies:\n- name: sub\n  version: 0.1.0\n  condition: off.enabled,global.offOn\n  tags: [extra]\n";
        let run = |sets: &[&str]| {
            let mut c = parent_with_sub("x: 1\n", md);
            process_dependencies(&mut c, &user(sets)).unwrap();
            c.dependencies.len()
        };
        assert_eq!(run(&[]), 1);
        assert_eq!(run(&["tags.extra=false"]), 0);
        assert_eq!(run(&["tags.extra=true", "off.enabled=false"]), 0);
        assert_eq!(
            run(&["off.enabled=null", "global.offOn=true", "tags.extra=false"]),
            1
        );
    }

    #[test]
    fn alias_and_imports() {
        let md = "dependencies:\n- name: sub\n  version: '>=0.1.0'\n  alias: subby\n  import-values:\n  - data\n  - child: own\n    parent: imported\n";
        let mut c = parent_with_sub("exported: parent-wins\n", md);
        process_dependencies(&mut c, &MapRef::default()).unwrap();
        assert_eq!(c.dependencies[0].name(), "subby");
        let vals = c.values_map();
        assert_eq!(vals.get("exported").unwrap().format_v(), "parent-wins");
        let d = c.metadata.deps().next().unwrap();
        assert_eq!(d.name, "subby");
        assert_eq!(
            Value::list(d.import_values.clone()).format_v(),
            "[map[child:exports.data parent:.] map[child:own parent:imported]]"
        );
    }
}
