//! The engine's value model: Go's types, as far as a template can observe them.
//!
//! Templates see Go values through reflection, so the engine must keep the distinctions a
//! template can detect: a missing value versus a nil interface, `int` versus `int64` versus
//! `float64`, `[]interface{}` versus `[]string`, a plain map versus helm's `Values` type with its
//! methods. Maps are shared and mutable (Go maps are references, and `set` mutates them in place,
//! which other templates can observe); lists are immutable, as no Sprig function mutates one.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use parking_lot::Mutex;

use super::format::{format_float, FloatFmt};

/// The Go element type of a slice value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SliceType {
    /// `[]interface {}`
    Interface,
    /// `[]string`
    String,
    /// `[]int`
    Int,
    /// `[][]interface {}`, from `chunk`.
    ListOfLists,
}

impl SliceType {
    /// Go's spelling of the type, as `%T` prints it.
    pub fn go_name(self) -> &'static str {
        match self {
            SliceType::Interface => "[]interface {}",
            SliceType::String => "[]string",
            SliceType::Int => "[]int",
            SliceType::ListOfLists => "[][]interface {}",
        }
    }
}

/// The Go type of a map value. Every map the engine sees has string keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MapType {
    /// `map[string]interface {}`
    Interface,
    /// `map[string]string`
    String,
    /// helm's `Values` type (`common.Values` in helm 4, `chartutil.Values` in helm 3), a
    /// `map[string]interface{}` with methods, given to templates as `.Values`.
    Values,
}

impl MapType {
    /// Go's spelling of the type, as `%T` prints it.
    pub fn go_name(self) -> &'static str {
        match self {
            MapType::Interface => "map[string]interface {}",
            MapType::String => "map[string]string",
            MapType::Values => "common.Values",
        }
    }
}

/// A shared, mutable Go map with string keys, iterated in sorted key order as Go's template
/// and fmt packages do.
#[derive(Clone, Default)]
pub struct MapRef(Arc<Mutex<BTreeMap<String, Value>>>);

impl MapRef {
    /// A new map holding `entries`.
    pub fn new(entries: BTreeMap<String, Value>) -> Self {
        MapRef(Arc::new(Mutex::new(entries)))
    }

    /// The value at `key`, if present.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.0.lock().get(key).cloned()
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.lock().contains_key(key)
    }

    /// Sets `key` to `value`, returning the previous value.
    pub fn insert(&self, key: impl Into<String>, value: Value) -> Option<Value> {
        self.0.lock().insert(key.into(), value)
    }

    /// Removes `key`, returning its value.
    pub fn remove(&self, key: &str) -> Option<Value> {
        self.0.lock().remove(key)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.lock().len()
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.0.lock().is_empty()
    }

    /// The keys, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.0.lock().keys().cloned().collect()
    }

    /// A copy of the entries, sorted by key. Iterating over a snapshot keeps the lock short, so
    /// a template may mutate the map while ranging over it, as Go allows.
    pub fn entries(&self) -> Vec<(String, Value)> {
        self.0
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Runs `f` with the map locked. `f` must not touch this map again.
    pub fn with<R>(&self, f: impl FnOnce(&mut BTreeMap<String, Value>) -> R) -> R {
        f(&mut self.0.lock())
    }

    /// Whether two references point at the same map.
    pub fn ptr_eq(&self, other: &MapRef) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    fn addr(&self) -> usize {
        Arc::as_ptr(&self.0) as *const u8 as usize
    }
}

impl fmt::Debug for MapRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.entries()).finish()
    }
}

/// The Go types a function or method parameter can declare. Arguments are converted to these as
/// Go's `text/template` does (`evalArg` and `validateType`) before the function runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    /// `interface {}`: anything; a missing value arrives as [`Value::Nil`].
    Any,
    /// `reflect.Value`, as Go's comparison built-ins take: the value exactly as evaluated, a
    /// missing value included.
    Raw,
    /// `string`
    String,
    /// `int`
    Int,
    /// `int64`
    Int64,
    /// `uint32`
    Uint32,
    /// `float64`
    Float64,
    /// `bool`
    Bool,
    /// `[]interface {}`
    List,
    /// `[]string`
    StrList,
    /// `map[string]interface {}`; helm's `Values` type is assignable to it.
    Map,
    /// `[]byte`
    Bytes,
    /// An object type, named as Go names it (`time.Time`, `sprig.certificate`, …). Accepts
    /// [`Value::Object`] values whose [`Object::type_name`] is this name.
    Object(&'static str),
}

impl Ty {
    /// Go's spelling of the type, for error messages.
    pub fn go_name(self) -> &'static str {
        match self {
            Ty::Any => "interface {}",
            Ty::Raw => "reflect.Value",
            Ty::String => "string",
            Ty::Int => "int",
            Ty::Int64 => "int64",
            Ty::Uint32 => "uint32",
            Ty::Float64 => "float64",
            Ty::Bool => "bool",
            Ty::List => "[]interface {}",
            Ty::StrList => "[]string",
            Ty::Map => "map[string]interface {}",
            Ty::Bytes => "[]uint8",
            Ty::Object(name) => name,
        }
    }

    /// Whether Go's `canBeNil` holds, so a missing argument becomes the type's zero value.
    pub fn can_be_nil(self) -> bool {
        matches!(
            self,
            Ty::Any | Ty::Raw | Ty::List | Ty::StrList | Ty::Map | Ty::Bytes | Ty::Object(_)
        )
    }
}

/// A method's or function's declared parameters.
#[derive(Clone, Copy, Debug)]
pub struct Sig {
    /// Fixed parameters, in order.
    pub params: &'static [Ty],
    /// The element type of a trailing `...T` parameter.
    pub variadic: Option<Ty>,
}

/// A Go value with methods or fields that is not a plain map or slice: `.Capabilities`,
/// `.Files`, `time.Time`, semver versions, certificates.
pub trait Object: Send + Sync {
    /// The Go type as `%T` and `typeOf` print it, e.g. `*common.Capabilities`.
    fn type_name(&self) -> &str;
    /// The reflect kind as `kindOf` prints it, e.g. `ptr` or `struct`.
    fn kind_name(&self) -> &str {
        "ptr"
    }
    /// A struct field or map entry, looked up after methods.
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    /// The signature of method `name`, when the type has it.
    fn method(&self, _name: &str) -> Option<Sig> {
        None
    }
    /// Calls method `name` with arguments already converted to its signature's types.
    fn call_method(&self, name: &str, _args: Vec<Value>) -> Result<Value, String> {
        Err(format!("can't call method {name}"))
    }
    /// How `fmt`'s `%v` prints the value at the top level (for pointers to structs that is
    /// `&{…}`, for Stringers the result of `String()`).
    fn format_v(&self) -> String;
    /// How a template action prints it. text/template takes the address of an addressable
    /// value to find a `String` method with a pointer receiver, which `fmt` (and so every
    /// function given the value) does not: `{{ .Capabilities.KubeVersion }}` prints `v1.35.0`
    /// while `{{ toString .Capabilities.KubeVersion }}` prints the struct.
    fn format_action(&self) -> String {
        self.format_v()
    }
    /// How `%v` prints it nested inside a slice or map. Pointers print as addresses there,
    /// Stringers still as `String()`.
    fn format_nested(&self) -> String {
        self.format_v()
    }
    /// The value as `encoding/json` would see it (exported fields as a map), for `toJson` and
    /// `toYaml`.
    fn to_data(&self) -> Value {
        Value::Nil
    }
    /// Truthiness as `if` sees it: non-nil pointers and structs are true.
    fn truth(&self) -> bool {
        true
    }
    /// For downcasting to the concrete type.
    fn as_any(&self) -> &dyn Any;
}

/// A value inside a template. Cloning is cheap: strings, lists and objects are reference
/// counted, and maps are shared references, as in Go.
#[derive(Clone, Default)]
pub enum Value {
    /// Go's invalid `reflect.Value`: the result of a pipeline that produced nothing, printed as
    /// `<no value>`.
    #[default]
    Missing,
    /// A nil `interface {}`, as stored in a map or slice, or returned from a missing key.
    Nil,
    /// `bool`
    Bool(bool),
    /// `int`
    Int(i64),
    /// `int64`
    Int64(i64),
    /// `int32`, from a character literal such as `'a'`.
    Int32(i32),
    /// `uint8`, from indexing a string.
    Uint8(u8),
    /// `uint32`
    Uint32(u32),
    /// `float64`: every number that came from YAML or JSON.
    Float(f64),
    /// `complex128`, from an imaginary literal such as `2i`.
    Complex(f64, f64),
    /// `string`
    String(Arc<str>),
    /// `[]byte`
    Bytes(Arc<[u8]>),
    /// A slice.
    List(SliceType, Arc<Vec<Value>>),
    /// A map with string keys.
    Map(MapType, MapRef),
    /// Any other Go type.
    Object(Arc<dyn Object>),
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Missing => f.write_str("Missing"),
            Value::Nil => f.write_str("Nil"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Object(o) => write!(f, "Object({})", o.type_name()),
            other => write!(f, "{}({})", other.type_name(), other.format_nested()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(Arc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(Arc::from(s))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl Value {
    /// A `string` value.
    pub fn str(s: impl AsRef<str>) -> Value {
        Value::String(Arc::from(s.as_ref()))
    }

    /// A `[]interface {}` value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(SliceType::Interface, Arc::new(items))
    }

    /// A `[]string` value.
    pub fn str_list<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::List(
            SliceType::String,
            Arc::new(items.into_iter().map(|s| Value::from(s.into())).collect()),
        )
    }

    /// A new `map[string]interface {}` value.
    pub fn map(entries: BTreeMap<String, Value>) -> Value {
        Value::Map(MapType::Interface, MapRef::new(entries))
    }

    /// A new, empty `map[string]interface {}` value.
    pub fn empty_map() -> Value {
        Value::map(BTreeMap::new())
    }

    /// Wraps an object.
    pub fn object(o: impl Object + 'static) -> Value {
        Value::Object(Arc::new(o))
    }

    /// Whether this is Go's invalid value (nothing at all).
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }

    /// Whether this is missing or a nil interface.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Missing | Value::Nil)
    }

    /// The string, when this is a Go `string`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The map, when this is any map type.
    pub fn as_map(&self) -> Option<&MapRef> {
        match self {
            Value::Map(_, m) => Some(m),
            _ => None,
        }
    }

    /// The items, when this is any slice type.
    pub fn as_list(&self) -> Option<&Arc<Vec<Value>>> {
        match self {
            Value::List(_, l) => Some(l),
            _ => None,
        }
    }

    /// The object, downcast to `T`.
    pub fn downcast<T: 'static>(&self) -> Option<&T> {
        match self {
            Value::Object(o) => o.as_any().downcast_ref::<T>(),
            _ => None,
        }
    }

    /// Go's `%T`: the dynamic type's name. A nil interface prints `<nil>`.
    pub fn type_name(&self) -> String {
        match self {
            Value::Missing | Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Int64(_) => "int64".into(),
            Value::Int32(_) => "int32".into(),
            Value::Uint8(_) => "uint8".into(),
            Value::Uint32(_) => "uint32".into(),
            Value::Float(_) => "float64".into(),
            Value::Complex(..) => "complex128".into(),
            Value::String(_) => "string".into(),
            Value::Bytes(_) => "[]uint8".into(),
            Value::List(t, _) => t.go_name().into(),
            Value::Map(t, _) => t.go_name().into(),
            Value::Object(o) => o.type_name().into(),
        }
    }

    /// reflect's `Kind().String()`, as `kindOf` prints it. A nil interface is `invalid`.
    pub fn kind_name(&self) -> String {
        match self {
            Value::Missing | Value::Nil => "invalid".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Int64(_) => "int64".into(),
            Value::Int32(_) => "int32".into(),
            Value::Uint8(_) => "uint8".into(),
            Value::Uint32(_) => "uint32".into(),
            Value::Float(_) => "float64".into(),
            Value::Complex(..) => "complex128".into(),
            Value::String(_) => "string".into(),
            Value::Bytes(_) | Value::List(..) => "slice".into(),
            Value::Map(..) => "map".into(),
            Value::Object(o) => o.kind_name().into(),
        }
    }

    /// Truthiness as `if`, `with`, `and`, `or` and `not` see it (Go's `IsTrue`).
    pub fn truth(&self) -> bool {
        match self {
            Value::Missing | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Int32(i) => *i != 0,
            Value::Uint8(i) => *i != 0,
            Value::Uint32(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Complex(r, i) => *r != 0.0 || *i != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::List(_, l) => !l.is_empty(),
            Value::Map(_, m) => !m.is_empty(),
            Value::Object(o) => o.truth(),
        }
    }

    /// The integer, for any signed or unsigned integer type.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) | Value::Int64(i) => Some(*i),
            Value::Int32(i) => Some(*i as i64),
            Value::Uint8(i) => Some(*i as i64),
            Value::Uint32(i) => Some(*i as i64),
            _ => None,
        }
    }

    /// How a template action prints the final value of a pipeline (text/template's
    /// `printValue`): a missing value is `<no value>`; anything else is `%v`.
    pub fn to_output(&self) -> String {
        match self {
            Value::Missing | Value::Nil => "<no value>".into(),
            Value::Object(o) => o.format_action(),
            other => other.format_v(),
        }
    }

    /// Go's `fmt.Sprint(v)` (`%v`) at the top level. A nil interface prints `<nil>`.
    pub fn format_v(&self) -> String {
        let mut out = String::new();
        self.write_v(&mut out, 0);
        out
    }

    /// `%v` as used for an element nested in a slice or map.
    pub fn format_nested(&self) -> String {
        let mut out = String::new();
        self.write_v(&mut out, 1);
        out
    }

    fn write_v(&self, out: &mut String, depth: usize) {
        match self {
            Value::Missing | Value::Nil => out.push_str("<nil>"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) | Value::Int64(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Int32(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Uint8(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Uint32(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => out.push_str(&format_float(*f, FloatFmt::G)),
            Value::Complex(r, i) => {
                out.push('(');
                out.push_str(&format_float(*r, FloatFmt::G));
                let im = format_float(*i, FloatFmt::G);
                if !im.starts_with('-') && !im.starts_with('+') {
                    out.push('+');
                }
                out.push_str(&im);
                out.push_str("i)");
            }
            Value::String(s) => out.push_str(s),
            Value::Bytes(b) => {
                out.push('[');
                for (n, byte) in b.iter().enumerate() {
                    if n > 0 {
                        out.push(' ');
                    }
                    let _ = write!(out, "{byte}");
                }
                out.push(']');
            }
            Value::List(_, items) => {
                out.push('[');
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        out.push(' ');
                    }
                    item.write_v(out, depth + 1);
                }
                out.push(']');
            }
            Value::Map(_, m) => {
                out.push_str("map[");
                for (n, (k, v)) in m.entries().iter().enumerate() {
                    if n > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    v.write_v(out, depth + 1);
                }
                out.push(']');
            }
            Value::Object(o) => {
                if depth == 0 {
                    out.push_str(&o.format_v())
                } else {
                    out.push_str(&o.format_nested())
                }
            }
        }
    }

    /// Go's `reflect.DeepEqual`, as Sprig's `has`, `without`, `uniq` and `deepEqual` use it.
    /// Types must match exactly: `int` 1 is not `float64` 1.
    pub fn deep_equal(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Missing | Value::Nil, Value::Missing | Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) | (Value::Int64(a), Value::Int64(b)) => a == b,
            (Value::Int32(a), Value::Int32(b)) => a == b,
            (Value::Uint8(a), Value::Uint8(b)) => a == b,
            (Value::Uint32(a), Value::Uint32(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Complex(a, b), Value::Complex(c, d)) => a == c && b == d,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::List(ta, a), Value::List(tb, b)) => {
                ta == tb
                    && a.len() == b.len()
                    && a.iter().zip(b.iter()).all(|(x, y)| x.deep_equal(y))
            }
            (Value::Map(ta, a), Value::Map(tb, b)) => {
                if ta != tb {
                    return false;
                }
                if a.ptr_eq(b) {
                    return true;
                }
                let (ea, eb) = (a.entries(), b.entries());
                ea.len() == eb.len()
                    && ea
                        .iter()
                        .zip(eb.iter())
                        .all(|((ka, va), (kb, vb))| ka == kb && va.deep_equal(vb))
            }
            (Value::Object(a), Value::Object(b)) => {
                a.type_name() == b.type_name() && a.format_v() == b.format_v()
            }
            _ => false,
        }
    }

    /// A deep copy: maps are copied recursively, so the copy shares no map with the original.
    pub fn deep_copy(&self) -> Value {
        match self {
            // Lists are immutable, so one holding no map can be shared as it is.
            Value::List(t, items) if items.iter().any(Value::holds_map) => {
                Value::List(*t, Arc::new(items.iter().map(Value::deep_copy).collect()))
            }
            Value::Map(t, m) => {
                // Cloning the tree keeps its shape (no re-sorting), and the lock is released
                // before nested maps are copied, so a map that holds itself cannot deadlock.
                let mut copy = m.with(|b| b.clone());
                for v in copy.values_mut() {
                    if v.holds_map() {
                        *v = v.deep_copy();
                    }
                }
                Value::Map(*t, MapRef::new(copy))
            }
            other => other.clone(),
        }
    }

    /// Whether a map is reachable from this value (so a deep copy must copy it).
    fn holds_map(&self) -> bool {
        match self {
            Value::Map(..) => true,
            Value::List(_, items) => items.iter().any(Value::holds_map),
            _ => false,
        }
    }

    /// An identity for cycle detection and for printing pointer-like values.
    pub fn map_addr(&self) -> Option<usize> {
        match self {
            Value::Map(_, m) => Some(m.addr()),
            _ => None,
        }
    }
}
