//! Template functions: reflect.

use super::Func;

/// This group's functions.
pub const FUNCS: &[Func] = &[];
