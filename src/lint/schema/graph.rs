//! A compiled schema: the JSON-schema subset Kubernetes uses (its OpenAPI definitions and
//! CRD `openAPIV3Schema`s), as a graph of nodes that validation walks without allocating.

use std::collections::HashMap;

use serde_json::Value as Json;

/// Index of a node in a [`Graph`].
pub type NodeId = u32;

/// JSON types, as bits of [`SchemaNode::types`].
pub mod ty {
    /// `object`
    pub const OBJECT: u8 = 1;
    /// `array`
    pub const ARRAY: u8 = 2;
    /// `string`
    pub const STRING: u8 = 4;
    /// `integer`
    pub const INTEGER: u8 = 8;
    /// `number` (integers included)
    pub const NUMBER: u8 = 16;
    /// `boolean`
    pub const BOOLEAN: u8 = 32;
    /// `null`
    pub const NULL: u8 = 64;
}

/// What a mapping may hold besides its declared properties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Additional {
    /// Anything (no `additionalProperties`, or `true`).
    Any,
    /// Nothing: an undeclared key is an unknown field.
    Forbid,
    /// Values validated by this node (maps such as `labels`).
    Schema(NodeId),
}

/// Value formats checked beyond the JSON type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// No format check.
    None,
    /// A 32-bit signed integer.
    Int32,
    /// A 64-bit signed integer.
    Int64,
    /// Standard base64 (`Secret.data`).
    Byte,
    /// RFC 3339 date-time.
    DateTime,
    /// `IntOrString`: an integer or a string.
    IntOrString,
    /// `resource.Quantity`: a number or a quantity string (`500m`, `1Gi`, `1e3`).
    Quantity,
}

/// One schema.
#[derive(Clone, Debug)]
pub struct SchemaNode {
    /// Allowed JSON types as [`ty`] bits; 0 allows every type.
    pub types: u8,
    /// Declared properties, sorted by name.
    pub props: Vec<(Box<str>, NodeId)>,
    /// Undeclared properties.
    pub additional: Additional,
    /// Schema of sequence items.
    pub items: Option<NodeId>,
    /// Required properties.
    pub required: Vec<Box<str>>,
    /// Allowed values.
    pub enumv: Vec<Json>,
    /// Format.
    pub format: Format,
    /// `oneOf` / `anyOf` / `allOf` branches.
    pub one_of: Vec<NodeId>,
    /// `anyOf` branches.
    pub any_of: Vec<NodeId>,
    /// `allOf` branches.
    pub all_of: Vec<NodeId>,
    /// Bounds and patterns (CRDs).
    pub limits: Option<Box<Limits>>,
    /// `x-kubernetes-preserve-unknown-fields: true`: undeclared keys are kept, not unknown.
    pub preserve_unknown: bool,
    /// `x-kubernetes-embedded-resource`: an object with apiVersion, kind and metadata.
    pub embedded_resource: bool,
}

/// Numeric, length and pattern constraints (as CRD schemas use them).
#[derive(Clone, Debug, Default)]
pub struct Limits {
    /// `minimum`
    pub minimum: Option<f64>,
    /// `maximum`
    pub maximum: Option<f64>,
    /// `exclusiveMinimum` (OpenAPI v3.0 boolean form)
    pub exclusive_minimum: bool,
    /// `exclusiveMaximum`
    pub exclusive_maximum: bool,
    /// `minLength`
    pub min_length: Option<u64>,
    /// `maxLength`
    pub max_length: Option<u64>,
    /// `minItems`
    pub min_items: Option<u64>,
    /// `maxItems`
    pub max_items: Option<u64>,
    /// `minProperties`
    pub min_properties: Option<u64>,
    /// `maxProperties`
    pub max_properties: Option<u64>,
    /// `pattern`, compiled.
    pub pattern: Option<regex::Regex>,
}

impl Default for SchemaNode {
    fn default() -> Self {
        SchemaNode {
            types: 0,
            props: Vec::new(),
            additional: Additional::Any,
            items: None,
            required: Vec::new(),
            enumv: Vec::new(),
            format: Format::None,
            one_of: Vec::new(),
            any_of: Vec::new(),
            all_of: Vec::new(),
            limits: None,
            preserve_unknown: false,
            embedded_resource: false,
        }
    }
}

impl SchemaNode {
    /// The node of a declared property.
    pub fn prop(&self, name: &str) -> Option<NodeId> {
        self.props
            .binary_search_by(|(k, _)| (**k).cmp(name))
            .ok()
            .map(|i| self.props[i].1)
    }
}

/// Kubernetes definitions whose `oneOf` is a type union with a wire format of its own.
const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

/// A set of compiled schemas.
#[derive(Debug, Default)]
pub struct Graph {
    nodes: Vec<SchemaNode>,
    /// Definition name → node, for `$ref`s.
    named: HashMap<String, NodeId>,
    /// CRD semantics: an object schema without `additionalProperties` prunes (so reports)
    /// undeclared keys unless `x-kubernetes-preserve-unknown-fields` is set.
    crd_mode: bool,
}

/// Where `$ref` targets come from while compiling.
pub trait Definitions {
    /// The JSON schema of definition `name`.
    fn definition(&self, name: &str) -> Option<&Json>;
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Graph {
        Graph::default()
    }

    /// An empty graph for CRD `openAPIV3Schema`s.
    pub fn for_crds() -> Graph {
        Graph {
            crd_mode: true,
            ..Graph::default()
        }
    }

    /// The node with this id.
    #[inline]
    pub fn node(&self, id: NodeId) -> &SchemaNode {
        &self.nodes[id as usize]
    }

    fn push(&mut self, n: SchemaNode) -> NodeId {
        self.nodes.push(n);
        (self.nodes.len() - 1) as NodeId
    }

    /// The node for definition `name`, compiling it (and what it refers to) on first use.
    pub fn named(&mut self, name: &str, defs: &dyn Definitions) -> Result<NodeId, String> {
        if let Some(&id) = self.named.get(name) {
            return Ok(id);
        }
        // Reserve the id first so recursive definitions (JSONSchemaProps) terminate.
        let id = self.push(SchemaNode::default());
        self.named.insert(name.to_string(), id);
        let node = match name {
            INT_OR_STRING => SchemaNode {
                types: ty::STRING | ty::INTEGER | ty::NULL,
                format: Format::IntOrString,
                ..SchemaNode::default()
            },
            QUANTITY => SchemaNode {
                types: ty::STRING | ty::NUMBER | ty::NULL,
                format: Format::Quantity,
                ..SchemaNode::default()
            },
            _ => {
                let json = defs
                    .definition(name)
                    .ok_or_else(|| format!("schema refers to unknown definition {name}"))?;
                self.build(json, defs)?
            }
        };
        self.nodes[id as usize] = node;
        Ok(id)
    }

    /// Compiles a schema (without `$ref`s to definitions unless `defs` has them).
    pub fn compile(&mut self, json: &Json, defs: &dyn Definitions) -> Result<NodeId, String> {
        if let Some(r) = json.get("$ref").and_then(Json::as_str) {
            return self.named(r, defs);
        }
        let n = self.build(json, defs)?;
        Ok(self.push(n))
    }

    fn build(&mut self, json: &Json, defs: &dyn Definitions) -> Result<SchemaNode, String> {
        let mut n = SchemaNode::default();
        let obj = match json {
            Json::Bool(_) => return Ok(n),
            Json::Object(o) => o,
            _ => return Err(format!("a schema must be an object, found {json}")),
        };
        if let Some(r) = obj.get("$ref").and_then(Json::as_str) {
            let id = self.named(r, defs)?;
            n.all_of.push(id);
        }
        match obj.get("type") {
            Some(Json::String(t)) => n.types = type_bit(t)?,
            Some(Json::Array(ts)) => {
                for t in ts {
                    n.types |= type_bit(t.as_str().unwrap_or(""))?;
                }
            }
            _ => {}
        }
        if obj.get("nullable").and_then(Json::as_bool) == Some(true) && n.types != 0 {
            n.types |= ty::NULL;
        }
        if obj
            .get("x-kubernetes-int-or-string")
            .and_then(Json::as_bool)
            == Some(true)
        {
            n.types = ty::STRING | ty::INTEGER | (n.types & ty::NULL);
            n.format = Format::IntOrString;
        }
        n.preserve_unknown = obj
            .get("x-kubernetes-preserve-unknown-fields")
            .and_then(Json::as_bool)
            == Some(true);
        n.embedded_resource = obj
            .get("x-kubernetes-embedded-resource")
            .and_then(Json::as_bool)
            == Some(true);
        if let Some(Json::Object(props)) = obj.get("properties") {
            let mut v = Vec::with_capacity(props.len());
            for (k, s) in props {
                v.push((k.clone().into_boxed_str(), self.compile(s, defs)?));
            }
            v.sort_by(|a, b| a.0.cmp(&b.0));
            n.props = v;
        }
        n.additional = match obj.get("additionalProperties") {
            Some(Json::Bool(false)) => Additional::Forbid,
            Some(Json::Bool(true)) => Additional::Any,
            None if self.crd_mode
                && !n.preserve_unknown
                && (n.types & ty::OBJECT != 0 || !n.props.is_empty()) =>
            {
                Additional::Forbid
            }
            None => Additional::Any,
            Some(s) => Additional::Schema(self.compile(s, defs)?),
        };
        if let Some(items) = obj.get("items") {
            if !items.is_array() {
                n.items = Some(self.compile(items, defs)?);
            }
        }
        if let Some(Json::Array(req)) = obj.get("required") {
            n.required = req
                .iter()
                .filter_map(Json::as_str)
                .map(|s| s.to_string().into_boxed_str())
                .collect();
        }
        if let Some(Json::Array(e)) = obj.get("enum") {
            n.enumv = e.clone();
        }
        n.format = match (n.format, obj.get("format").and_then(Json::as_str)) {
            (Format::IntOrString, _) => Format::IntOrString,
            (_, Some("int32")) => Format::Int32,
            (_, Some("int64")) => Format::Int64,
            (_, Some("byte")) => Format::Byte,
            (_, Some("date-time")) => Format::DateTime,
            _ => Format::None,
        };
        for (key, dest) in [("oneOf", 0), ("anyOf", 1), ("allOf", 2)] {
            if let Some(Json::Array(branches)) = obj.get(key) {
                for b in branches {
                    let id = self.compile(b, defs)?;
                    match dest {
                        0 => n.one_of.push(id),
                        1 => n.any_of.push(id),
                        _ => n.all_of.push(id),
                    }
                }
            }
        }
        let mut lim = Limits::default();
        let num = |k: &str| obj.get(k).and_then(Json::as_f64);
        let int = |k: &str| obj.get(k).and_then(Json::as_u64);
        lim.minimum = num("minimum");
        lim.maximum = num("maximum");
        lim.exclusive_minimum = obj.get("exclusiveMinimum").and_then(Json::as_bool) == Some(true);
        lim.exclusive_maximum = obj.get("exclusiveMaximum").and_then(Json::as_bool) == Some(true);
        lim.min_length = int("minLength");
        lim.max_length = int("maxLength");
        lim.min_items = int("minItems");
        lim.max_items = int("maxItems");
        lim.min_properties = int("minProperties");
        lim.max_properties = int("maxProperties");
        if let Some(p) = obj.get("pattern").and_then(Json::as_str) {
            // ECMA-262 patterns: the regex crate reads the common subset; an unreadable one
            // is skipped rather than failing the whole schema.
            lim.pattern = regex::Regex::new(p).ok();
        }
        if lim.minimum.is_some()
            || lim.maximum.is_some()
            || lim.min_length.is_some()
            || lim.max_length.is_some()
            || lim.min_items.is_some()
            || lim.max_items.is_some()
            || lim.min_properties.is_some()
            || lim.max_properties.is_some()
            || lim.pattern.is_some()
        {
            n.limits = Some(Box::new(lim));
        }
        Ok(n)
    }
}

fn type_bit(t: &str) -> Result<u8, String> {
    Ok(match t {
        "object" => ty::OBJECT,
        "array" => ty::ARRAY,
        "string" => ty::STRING,
        "integer" => ty::INTEGER,
        "number" => ty::NUMBER,
        "boolean" => ty::BOOLEAN,
        "null" => ty::NULL,
        "" => 0,
        other => return Err(format!("unknown schema type {other:?}")),
    })
}
