//! Go's `encoding/json.Number`, the type helm 3 gives every number of a chart's own
//! `values.yaml`: its loader decodes values with `UseNumber`, so `0` there is the string-kinded
//! `json.Number("0")`, which is true in `if`, prints its text, and compares only with strings.
//! helm 4 and user-supplied values use `float64` instead.

use std::any::Any;
use std::sync::Arc;

use super::value::{Object, Sig, Value};

/// A number kept as its JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonNumber(pub Arc<str>);

impl JsonNumber {
    /// The number as a template value.
    pub fn value(text: impl Into<Arc<str>>) -> Value {
        Value::Object(Arc::new(JsonNumber(text.into())))
    }

    /// The text of `v` when it is a `json.Number`.
    pub fn text_of(v: &Value) -> Option<&str> {
        v.downcast::<JsonNumber>().map(|n| &*n.0)
    }

    fn int64(&self) -> Result<i64, String> {
        self.0.parse::<i64>().map_err(|_| {
            format!(
                "strconv.ParseInt: parsing {}: invalid syntax",
                super::lexer::go_quote(&self.0)
            )
        })
    }

    fn float64(&self) -> Result<f64, String> {
        super::funcs::math::parse_float_go(&self.0).ok_or_else(|| {
            format!(
                "strconv.ParseFloat: parsing {}: invalid syntax",
                super::lexer::go_quote(&self.0)
            )
        })
    }
}

const NO_ARGS: Sig = Sig {
    params: &[],
    variadic: None,
};

impl Object for JsonNumber {
    fn type_name(&self) -> &str {
        "json.Number"
    }
    fn kind_name(&self) -> &str {
        "string"
    }
    fn method(&self, name: &str) -> Option<Sig> {
        matches!(name, "String" | "Int64" | "Float64").then_some(NO_ARGS)
    }
    fn call_method(&self, name: &str, _args: Vec<Value>) -> Result<Value, String> {
        match name {
            "String" => Ok(Value::from(&*self.0)),
            "Int64" => self.int64().map(Value::Int64),
            "Float64" => self.float64().map(Value::Float),
            _ => Err(format!("can't call method {name}")),
        }
    }
    fn format_v(&self) -> String {
        self.0.to_string()
    }
    /// encoding/json writes the text as it is; go-yaml v2 writes an `int64` when the text is
    /// one, else a `float64`.
    fn to_data(&self) -> Value {
        if let Ok(i) = self.int64() {
            Value::Int64(i)
        } else if let Ok(f) = self.float64() {
            Value::Float(f)
        } else {
            Value::from(&*self.0)
        }
    }
    fn truth(&self) -> bool {
        !self.0.is_empty()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
