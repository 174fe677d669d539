//! A Go `text/template` engine with helm's configuration and function map.
//!
//! Parse a set of named templates once into a [`TemplateSet`], then execute any of them, as
//! many times as needed and from several threads at once, over different data.

pub mod ast;
pub mod error;
pub mod exec;
pub mod fasthash;
pub mod format;
pub mod funcs;
pub mod json;
pub mod jsonnum;
pub mod lexer;
pub mod parser;
pub mod printf;
pub mod trace;
pub mod value;
pub mod yaml;

pub use error::{Error, ErrorKind, Location};
pub use exec::{strip_no_value, ExecOptions, Limits, Parsed, TemplateSet};
pub use trace::{strip_no_value_traced, Trace};
pub use value::{MapRef, MapType, Object, SliceType, Ty, Value};
