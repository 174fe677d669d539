//! helm's `strvals` grammar for `--set`, `--set-string`, `--set-file`, `--set-json` and
//! `--set-literal`, writing into a shared values map with helm's exact types and errors.
//!
//! Go panics of the original (type assertions on existing values) surface as helm's
//! `unable to parse key: interface conversion: …` errors.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::value::{MapRef, MapType, SliceType, Value};

/// helm's `MaxIndex`: the largest list index `[N]` accepted.
pub const MAX_INDEX: i64 = 65536;
/// helm's `MaxNestedNameLevel`.
pub const MAX_NESTED: usize = 30;

const EOF: &str = "EOF";

/// How a parser turns the text of a value into a value.
pub enum Mode<'a> {
    /// `--set`: typed (`true`, `null`, int64 …).
    Typed,
    /// `--set-string`: always a string.
    String,
    /// `--set-file`: the value is a path; the reader returns the file's contents.
    File(&'a dyn Fn(&str) -> Result<String, String>),
    /// `--set-json`: the value is a JSON document.
    Json,
}

struct Parser<'a> {
    s: Vec<char>,
    pos: usize,
    mode: Mode<'a>,
}

enum E {
    Eof,
    Msg(String),
}

impl From<String> for E {
    fn from(s: String) -> Self {
        E::Msg(s)
    }
}

fn go_type(v: &Value) -> String {
    match v {
        Value::Nil | Value::Missing => "nil".into(),
        other => other.type_name(),
    }
}

fn panic_conv(v: &Value, want: &str) -> E {
    E::Msg(format!(
        "unable to parse key: interface conversion: interface {{}} is {}, not {want}",
        go_type(v)
    ))
}

fn new_map() -> Value {
    Value::Map(MapType::Interface, MapRef::default())
}

fn set(data: &MapRef, key: &str, v: Value) {
    if !key.is_empty() {
        data.insert(key, v);
    }
}

impl Parser<'_> {
    fn read(&mut self) -> Option<char> {
        let c = self.s.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Go's `runesUntil`: reads up to a stop rune, `\` escaping the next rune. Returns the text,
    /// the stop rune, or `None` at end of input.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut v = String::new();
        loop {
            match self.read() {
                None => return (v, None),
                Some(r) if stop.contains(&r) => return (v, Some(r)),
                Some('\\') => match self.read() {
                    None => return (v, None),
                    Some(n) => v.push(n),
                },
                Some(r) => v.push(r),
            }
        }
    }

    fn typed(&self, text: &str) -> Result<Value, String> {
        match &self.mode {
            Mode::String => Ok(Value::str(text)),
            Mode::File(reader) => reader(text).map(Value::from),
            _ => Ok(typed_val(text)),
        }
    }

    fn key(&mut self, data: &MapRef, level: usize) -> Result<(), E> {
        let (k, last) = self.until(&['=', '[', ',', '.']);
        match last {
            None => {
                if k.is_empty() {
                    Err(E::Eof)
                } else {
                    Err(format!("key {k:?} has no value").into())
                }
            }
            Some('[') => {
                let i = self.key_index()?;
                let list = match data.get(&k) {
                    None => Vec::new(),
                    Some(Value::List(SliceType::Interface, l)) => l.to_vec(),
                    Some(other) => return Err(panic_conv(&other, "[]interface {}")),
                };
                let (list, res) = self.list_item(list, i, level);
                if let Some(list) = list {
                    set(data, &k, Value::list(list));
                }
                res
            }
            Some('=') => {
                if matches!(self.mode, Mode::Json) {
                    if self.empty_val() {
                        set(data, &k, Value::Nil);
                        return Ok(());
                    }
                    let v = self.json_value()?;
                    set(data, &k, v);
                    self.empty_val();
                    return Ok(());
                }
                match self.val_list() {
                    Ok(vl) => {
                        set(data, &k, Value::list(vl));
                        Ok(())
                    }
                    Err(ListErr::Eof) => {
                        set(data, &k, Value::str(""));
                        Err(E::Eof)
                    }
                    Err(ListErr::NotList) => {
                        let (rs, _) = self.until(&[',']);
                        let v = self.typed(&rs)?;
                        set(data, &k, v);
                        Ok(())
                    }
                    Err(ListErr::Msg(m)) => Err(E::Msg(m)),
                }
            }
            Some(',') => {
                set(data, &k, Value::str(""));
                Err(format!("key {k:?} has no value (cannot end with ,)").into())
            }
            _ => {
                let level = level + 1;
                if level > MAX_NESTED {
                    return Err(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTED}"
                    )
                    .into());
                }
                let (inner, existed) = match data.get(&k) {
                    None => (MapRef::default(), false),
                    Some(Value::Map(MapType::Interface, m)) => (m, true),
                    Some(other) => return Err(panic_conv(&other, "map[string]interface {}")),
                };
                let e = self.key(&inner, level);
                if e.is_ok() && inner.is_empty() {
                    return Err(format!("key map {k:?} has no value").into());
                }
                if !inner.is_empty() && !existed {
                    set(data, &k, Value::Map(MapType::Interface, inner));
                }
                e
            }
        }
    }

    fn key_index(&mut self) -> Result<i64, E> {
        let (v, last) = self.until(&[']']);
        if last.is_none() {
            return Err(format!("error parsing index: {EOF}").into());
        }
        go_atoi(&v).map_err(|e| E::Msg(format!("error parsing index: {e}")))
    }

    /// Returns the list to store (None when Go would not store it) and the outcome.
    fn list_item(
        &mut self,
        mut list: Vec<Value>,
        i: i64,
        level: usize,
    ) -> (Option<Vec<Value>>, Result<(), E>) {
        if i < 0 {
            return (
                Some(list),
                Err(format!("negative {i} index not allowed").into()),
            );
        }
        let (k, last) = self.until(&['[', '.', '=']);
        if !k.is_empty() {
            return (
                Some(list),
                Err(format!("unexpected data at end of array index: {k:?}").into()),
            );
        }
        match last {
            None => (Some(list), Err(E::Eof)),
            Some('=') => {
                let v = if matches!(self.mode, Mode::Json) {
                    if self.empty_val() {
                        Value::Nil
                    } else {
                        match self.json_value() {
                            Ok(v) => {
                                let r = set_index(list, i, v);
                                self.empty_val();
                                return r;
                            }
                            Err(e) => return (Some(list), Err(e)),
                        }
                    }
                } else {
                    match self.val_list() {
                        Ok(vl) => Value::list(vl),
                        Err(ListErr::Eof) => Value::str(""),
                        Err(ListErr::NotList) => {
                            let (rs, _) = self.until(&[',']);
                            match self.typed(&rs) {
                                Ok(v) => v,
                                Err(e) => return (Some(list), Err(E::Msg(e))),
                            }
                        }
                        Err(ListErr::Msg(m)) => return (Some(list), Err(E::Msg(m))),
                    }
                };
                set_index(list, i, v)
            }
            Some('[') => {
                let next = match self.key_index() {
                    Ok(n) => n,
                    Err(e) => return (Some(list), Err(e)),
                };
                let cur = match list.get(i as usize) {
                    None | Some(Value::Nil) => Vec::new(),
                    Some(Value::List(SliceType::Interface, l)) => l.to_vec(),
                    Some(other) => return (None, Err(panic_conv(other, "[]interface {}"))),
                };
                match self.list_item(cur, next, level) {
                    (Some(l2), Ok(())) => set_index(list, i, Value::list(l2)),
                    (_, Err(e)) => (Some(list), Err(e)),
                    (None, Ok(())) => (Some(list), Ok(())),
                }
            }
            _ => {
                let inner = match list.get(i as usize) {
                    Some(Value::Map(MapType::Interface, m)) => m.clone(),
                    Some(_) => {
                        let m = MapRef::default();
                        list[i as usize] = Value::Map(MapType::Interface, m.clone());
                        m
                    }
                    None => MapRef::default(),
                };
                if let Err(e) = self.key(&inner, level) {
                    return (Some(list), Err(e));
                }
                set_index(list, i, Value::Map(MapType::Interface, inner))
            }
        }
    }

    fn empty_val(&mut self) -> bool {
        loop {
            match self.read() {
                None | Some(',') => return true,
                Some(c) if c.is_whitespace() => {}
                Some(_) => {
                    self.pos -= 1;
                    return false;
                }
            }
        }
    }

    fn json_value(&mut self) -> Result<Value, E> {
        let rest: String = self.s[self.pos..].iter().collect();
        let mut it = serde_json::Deserializer::from_str(&rest).into_iter::<serde_json::Value>();
        match it.next() {
            Some(Ok(v)) => {
                let used = rest
                    .get(..it.byte_offset())
                    .map(|s| s.chars().count())
                    .unwrap_or(0);
                self.pos += used;
                Ok(from_json(v))
            }
            Some(Err(e)) => Err(E::Msg(e.to_string())),
            None => Err(E::Eof),
        }
    }

    fn val_list(&mut self) -> Result<Vec<Value>, ListErr> {
        match self.read() {
            None => return Err(ListErr::Eof),
            Some('{') => {}
            Some(_) => {
                self.pos -= 1;
                return Err(ListErr::NotList);
            }
        }
        let mut list = Vec::new();
        loop {
            let (rs, last) = self.until(&[',', '}']);
            match last {
                None => return Err(ListErr::Msg("list must terminate with '}'".into())),
                Some('}') => {
                    if let Some(r) = self.read() {
                        if r != ',' {
                            self.pos -= 1;
                        }
                    }
                    let v = self.typed(&rs).map_err(ListErr::Msg)?;
                    list.push(v);
                    return Ok(list);
                }
                _ => list.push(self.typed(&rs).map_err(ListErr::Msg)?),
            }
        }
    }
}

enum ListErr {
    Eof,
    NotList,
    Msg(String),
}

fn set_index(mut list: Vec<Value>, i: i64, v: Value) -> (Option<Vec<Value>>, Result<(), E>) {
    if i < 0 {
        return (
            Some(list),
            Err(format!("negative {i} index not allowed").into()),
        );
    }
    if i > MAX_INDEX {
        return (
            Some(list),
            Err(
                format!("index of {i} is greater than maximum supported index of {MAX_INDEX}")
                    .into(),
            ),
        );
    }
    let i = i as usize;
    if list.len() <= i {
        list.resize(i + 1, Value::Nil);
    }
    list[i] = v;
    (Some(list), Ok(()))
}

/// Go's `strconv.Atoi`, with its error text.
fn go_atoi(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing {s:?}: invalid syntax"));
    }
    s.parse::<i64>()
        .map_err(|_| format!("strconv.Atoi: parsing {s:?}: value out of range"))
}

/// helm's `typedVal` for `--set`: `true`/`false`/`null` in any case, `0`, and integers not
/// starting with `0` become int64; everything else stays a string.
pub fn typed_val(val: &str) -> Value {
    if val.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if val.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if val.eq_ignore_ascii_case("null") {
        return Value::Nil;
    }
    if val == "0" {
        return Value::Int64(0);
    }
    if !val.is_empty() && !val.starts_with('0') {
        let digits = val.strip_prefix(['+', '-']).unwrap_or(val);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(i) = val.parse::<i64>() {
                return Value::Int64(i);
            }
        }
    }
    Value::str(val)
}

/// A JSON value as Go's `encoding/json` decodes it into `interface{}`: numbers are float64.
pub fn from_json(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::from(s),
        serde_json::Value::Array(a) => Value::List(
            SliceType::Interface,
            Arc::new(a.into_iter().map(from_json).collect()),
        ),
        serde_json::Value::Object(o) => {
            let m: BTreeMap<String, Value> =
                o.into_iter().map(|(k, v)| (k, from_json(v))).collect();
            Value::Map(MapType::Interface, MapRef::new(m))
        }
    }
}

/// Parses one `--set`-style argument into `dest` (helm's `ParseInto` and friends). Errors are
/// helm's texts, without the `failed parsing --set data: ` prefix.
pub fn parse_into(s: &str, dest: &MapRef, mode: Mode<'_>) -> Result<(), String> {
    let mut p = Parser {
        s: s.chars().collect(),
        pos: 0,
        mode,
    };
    loop {
        match p.key(dest, 0) {
            Ok(()) => {}
            Err(E::Eof) => return Ok(()),
            Err(E::Msg(m)) => return Err(m),
        }
    }
}

/// helm's `ParseLiteralInto` for `--set-literal`: no escapes, no lists, no types; the value is
/// the rest of the argument, commas included.
pub fn parse_literal_into(s: &str, dest: &MapRef) -> Result<(), String> {
    let chars: Vec<char> = s.chars().collect();
    let mut pos = 0usize;
    loop {
        match literal_key(&chars, &mut pos, dest, 0) {
            Ok(()) => {}
            Err(E::Eof) => return Ok(()),
            Err(E::Msg(m)) => return Err(m),
        }
    }
}

fn lit_until(c: &[char], pos: &mut usize, stop: &[char]) -> (String, Option<char>) {
    let mut v = String::new();
    while let Some(&r) = c.get(*pos) {
        *pos += 1;
        if stop.contains(&r) {
            return (v, Some(r));
        }
        v.push(r);
    }
    (v, None)
}

fn literal_key(c: &[char], pos: &mut usize, data: &MapRef, level: usize) -> Result<(), E> {
    let (k, last) = lit_until(c, pos, &['=', '[', '.']);
    match last {
        None => {
            if k.is_empty() {
                Err(E::Eof)
            } else {
                Err(format!("key {k:?} has no value").into())
            }
        }
        Some('=') => {
            let (v, _) = lit_until(c, pos, &[]);
            set(data, &k, Value::str(v));
            Ok(())
        }
        Some('.') => {
            let level = level + 1;
            if level > MAX_NESTED {
                return Err(format!(
                    "value name nested level is greater than maximum supported nested level of {MAX_NESTED}"
                )
                .into());
            }
            let (inner, existed) = match data.get(&k) {
                None => (MapRef::default(), false),
                Some(Value::Map(MapType::Interface, m)) => (m, true),
                Some(other) => return Err(panic_conv(&other, "map[string]interface {}")),
            };
            let e = literal_key(c, pos, &inner, level);
            if e.is_ok() && inner.is_empty() {
                return Err(format!("key map {k:?} has no value").into());
            }
            if !inner.is_empty() && !existed {
                set(data, &k, Value::Map(MapType::Interface, inner));
            }
            e
        }
        _ => {
            let (iv, l) = lit_until(c, pos, &[']']);
            if l.is_none() {
                return Err(format!("error parsing index: {EOF}").into());
            }
            let i = go_atoi(&iv).map_err(|e| E::Msg(format!("error parsing index: {e}")))?;
            let list = match data.get(&k) {
                None => Vec::new(),
                Some(Value::List(SliceType::Interface, l)) => l.to_vec(),
                Some(other) => return Err(panic_conv(&other, "[]interface {}")),
            };
            let (list, res) = literal_list_item(c, pos, list, i, level);
            if let Some(list) = list {
                set(data, &k, Value::list(list));
            }
            res
        }
    }
}

fn literal_list_item(
    c: &[char],
    pos: &mut usize,
    mut list: Vec<Value>,
    i: i64,
    level: usize,
) -> (Option<Vec<Value>>, Result<(), E>) {
    if i < 0 {
        return (
            Some(list),
            Err(format!("negative {i} index not allowed").into()),
        );
    }
    let (k, last) = lit_until(c, pos, &['[', '.', '=']);
    if !k.is_empty() {
        return (
            Some(list),
            Err(format!("unexpected data at end of array index: {k:?}").into()),
        );
    }
    match last {
        None => (Some(list), Err(E::Eof)),
        Some('=') => {
            let (v, _) = lit_until(c, pos, &[]);
            set_index(list, i, Value::str(v))
        }
        Some('.') => {
            let inner = match list.get(i as usize) {
                Some(Value::Map(MapType::Interface, m)) => m.clone(),
                Some(_) => {
                    let m = MapRef::default();
                    list[i as usize] = Value::Map(MapType::Interface, m.clone());
                    m
                }
                None => MapRef::default(),
            };
            if let Err(e) = literal_key(c, pos, &inner, level) {
                return (Some(list), Err(e));
            }
            set_index(list, i, Value::Map(MapType::Interface, inner))
        }
        _ => {
            let (iv, l) = lit_until(c, pos, &[']']);
            if l.is_none() {
                return (
                    Some(list),
                    Err(format!("error parsing index: {EOF}").into()),
                );
            }
            let next = match go_atoi(&iv) {
                Ok(n) => n,
                Err(e) => return (Some(list), Err(format!("error parsing index: {e}").into())),
            };
            let cur = match list.get(i as usize) {
                None | Some(Value::Nil) => Vec::new(),
                Some(Value::List(SliceType::Interface, l)) => l.to_vec(),
                Some(other) => return (None, Err(panic_conv(other, "[]interface {}"))),
            };
            match literal_list_item(c, pos, cur, next, level) {
                (Some(l2), Ok(())) => set_index(list, i, Value::list(l2)),
                (_, Err(e)) => (Some(list), Err(e)),
                (None, Ok(())) => (Some(list), Ok(())),
            }
        }
    }
}

/// `new_map` for callers building a fresh values map.
pub fn empty_values() -> Value {
    new_map()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_(s: &str) -> Result<String, String> {
        let m = MapRef::default();
        parse_into(s, &m, Mode::Typed)?;
        Ok(Value::Map(MapType::Interface, m).format_v())
    }

    #[test]
    fn typed() {
        assert_eq!(
            set_("a=1,b=true,c=NULL,d=007,e=1.5,f=,g=0").unwrap(),
            "map[a:1 b:true c:<nil> d:007 e:1.5 f: g:0]"
        );
        let m = MapRef::default();
        parse_into("a=1000000", &m, Mode::Typed).unwrap();
        assert_eq!(m.get("a").unwrap().type_name(), "int64");
        assert_eq!(set_("x.y=1,x.z=2").unwrap(), "map[x:map[y:1 z:2]]");
        assert_eq!(set_("l[2]=x").unwrap(), "map[l:[<nil> <nil> x]]");
        assert_eq!(set_("l={a,b}").unwrap(), "map[l:[a b]]");
        assert_eq!(set_("l={}").unwrap(), "map[l:[]]");
        assert_eq!(set_(r"a\,b=1,k\.dot=2").unwrap(), "map[a,b:1 k.dot:2]");
        assert_eq!(set_("l[0].a=1,l[0].b=2").unwrap(), "map[l:[map[a:1 b:2]]]");
        assert_eq!(set_("l[0][1]=x").unwrap(), "map[l:[[<nil> x]]]");
    }

    #[test]
    fn errors() {
        assert_eq!(set_("a").unwrap_err(), "key \"a\" has no value");
        assert_eq!(
            set_("a,b=1").unwrap_err(),
            "key \"a\" has no value (cannot end with ,)"
        );
        let m = MapRef::default();
        parse_into("a=1", &m, Mode::Typed).unwrap();
        assert_eq!(
            parse_into("a.b=2", &m, Mode::Typed).unwrap_err(),
            "unable to parse key: interface conversion: interface {} is int64, not map[string]interface {}"
        );
        assert_eq!(
            set_("l[x]=1").unwrap_err(),
            "error parsing index: strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            set_("l[70000]=1").unwrap_err(),
            "index of 70000 is greater than maximum supported index of 65536"
        );
        assert_eq!(set_("l={a,b").unwrap_err(), "list must terminate with '}'");
        assert_eq!(set_("a.=1").unwrap_err(), "key map \"a\" has no value");
    }

    #[test]
    fn modes() {
        let m = MapRef::default();
        parse_into("a=1,b=true", &m, Mode::String).unwrap();
        assert_eq!(m.get("a").unwrap().type_name(), "string");
        let m = MapRef::default();
        parse_into(r#"a={"x":1},b=[1,"y"],c=null"#, &m, Mode::Json).unwrap();
        assert_eq!(
            Value::Map(MapType::Interface, m.clone()).format_v(),
            "map[a:map[x:1] b:[1 y] c:<nil>]"
        );
        assert_eq!(
            m.get("b").unwrap().as_list().unwrap()[0].type_name(),
            "float64"
        );
        let m = MapRef::default();
        parse_literal_into("a.b=x,y=z{}", &m).unwrap();
        assert_eq!(
            Value::Map(MapType::Interface, m).format_v(),
            "map[a:map[b:x,y=z{}]]"
        );
        let reader = |p: &str| -> Result<String, String> { Ok(format!("content of {p}")) };
        let m = MapRef::default();
        parse_into("f=path.txt", &m, Mode::File(&reader)).unwrap();
        assert_eq!(m.get("f").unwrap().format_v(), "content of path.txt");
    }
}
