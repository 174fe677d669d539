//! The function map helm gives templates: Go's built-ins, Sprig v3.3.0 (less `env` and
//! `expandenv`) and helm's own functions.
//!
//! Every function declares its Go signature ([`Sig`]). The executor converts arguments to
//! those types exactly as Go's `text/template` does, so an implementation receives values of
//! the declared types: a `Ty::String` parameter is always a [`Value::String`], a `Ty::Int` a
//! [`Value::Int`], a `Ty::Map` a [`Value::Map`] (or [`Value::Nil`] for a nil map), and so on.
//! Implementations return Go's result types and Go's error text.

use super::fasthash::FastMap;
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset};
use rand::RngCore;

use super::value::{Sig, Value};

pub mod builtins;
pub mod conv;
pub mod crypto;
pub mod dates;
pub mod dicts;
pub mod encoding;
pub mod flow;
pub mod helm;
pub mod lists;
pub mod math;
pub mod paths;
pub mod reflect;
pub mod regex;
pub mod semver;
pub mod semver_syntax;
pub mod serial;
pub mod strings;
pub mod url;

/// Why a function call failed.
#[derive(Debug)]
pub enum FuncError {
    /// A Go error returned by the function, or a recovered panic; reported as
    /// `error calling NAME: MSG`.
    Msg(String),
    /// helm's `fail`, or `required` on a missing value: surfaced by helm as
    /// `execution error at (FILE:LINE:COL): MSG`.
    Fail(String),
    /// An error inside a template run by `include`, kept whole for helm's multi-line trace.
    Nested(Box<super::Error>),
    /// An error executing the text given to `tpl`: Go prints
    /// `error during tpl function execution for "TEXT": ERR`.
    Tpl {
        /// The template text.
        text: String,
        /// The error inside it.
        inner: Box<super::Error>,
    },
}

impl FuncError {
    /// An ordinary error with Go's message text.
    pub fn msg(m: impl Into<String>) -> Self {
        FuncError::Msg(m.into())
    }
}

impl std::fmt::Display for FuncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FuncError::Msg(m) | FuncError::Fail(m) => f.write_str(m),
            FuncError::Nested(e) => write!(f, "{e}"),
            FuncError::Tpl { text, inner } => write!(
                f,
                "error during tpl function execution for {}: {inner}",
                super::lexer::go_quote(text)
            ),
        }
    }
}

/// What a function returns.
pub type FuncResult = Result<Value, FuncError>;

/// An object `lookup` can return: the cluster, as the caller supplies it.
pub trait LookupSource: Send + Sync {
    /// The object `name` of `kind` in `apiVersion` and `namespace`, or with an empty `name` a
    /// `...List` map of all of them. `None` when there is nothing: `lookup` returns an empty
    /// map then.
    fn lookup(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Option<Value>;
}

/// The execution state functions may reach: the template set for `include` and `tpl`, and the
/// injectable clock and randomness.
pub trait FuncCtx {
    /// Runs the named template with `data` and returns its output (`include`).
    fn include(&mut self, name: &str, data: Value) -> FuncResult;
    /// Parses `text` as a template in a copy of the current set and runs it (`tpl`).
    fn tpl(&mut self, text: &str, data: Value) -> FuncResult;
    /// The current time, for `now` and `ago`. Injectable so output can be deterministic.
    fn now(&self) -> DateTime<FixedOffset>;
    /// The random source for `rand*`, `uuidv4`, `shuffle` and key generation. Seedable.
    fn rng(&mut self) -> &mut dyn RngCore;
    /// Whether this is a `helm lint` render, where `required` and `fail` only log.
    fn lint_mode(&self) -> bool {
        false
    }
    /// Whether `getHostByName` may resolve names (`--enable-dns`).
    fn dns_enabled(&self) -> bool {
        false
    }
    /// The helm major version whose behaviour to follow (3 or 4).
    fn helm_major(&self) -> u32 {
        4
    }
    /// The source of `lookup` results, if the caller supplied one.
    fn lookup_source(&self) -> Option<&dyn LookupSource> {
        None
    }
}

/// A function's implementation.
pub type FuncImpl = fn(&mut dyn FuncCtx, Vec<Value>) -> FuncResult;

/// One entry of the function map.
#[derive(Clone, Copy)]
pub struct Func {
    /// The name templates call it by.
    pub name: &'static str,
    /// Its Go parameters.
    pub sig: Sig,
    /// The implementation, given arguments already converted to `sig`.
    pub imp: FuncImpl,
}

/// Shorthand for a [`Func`] table entry. The variadic arm comes first: an `expr` fragment
/// cannot back out of `...T`, so the fixed arm would swallow it.
#[macro_export]
#[doc(hidden)]
macro_rules! gofunc {
    ($name:literal, [$($p:expr),* $(,)?], ...$v:expr, $imp:expr) => {
        $crate::engine::funcs::Func {
            name: $name,
            sig: $crate::engine::value::Sig { params: &[$($p),*], variadic: Some($v) },
            imp: $imp,
        }
    };
    ($name:literal, [$($p:expr),* $(,)?], $imp:expr) => {
        $crate::engine::funcs::Func {
            name: $name,
            sig: $crate::engine::value::Sig { params: &[$($p),*], variadic: None },
            imp: $imp,
        }
    };
}

/// Every group's table, in the order later entries override earlier ones (helm's additions
/// replace Sprig's, as in helm's `funcMap`).
fn groups() -> [&'static [Func]; 17] {
    [
        builtins::FUNCS,
        strings::FUNCS,
        conv::FUNCS,
        math::FUNCS,
        lists::FUNCS,
        dicts::FUNCS,
        flow::FUNCS,
        encoding::FUNCS,
        reflect::FUNCS,
        paths::FUNCS,
        dates::FUNCS,
        crypto::FUNCS,
        semver::FUNCS,
        regex::FUNCS,
        url::FUNCS,
        serial::FUNCS,
        helm::FUNCS,
    ]
}

fn table() -> &'static FastMap<&'static str, Func> {
    static TABLE: OnceLock<FastMap<&'static str, Func>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = FastMap::default();
        for group in groups() {
            for f in group {
                map.insert(f.name, *f);
            }
        }
        map
    })
}

/// The function called `name`, if helm's function map has it.
pub fn lookup(name: &str) -> Option<&'static Func> {
    table().get(name)
}

/// Every function name, sorted.
pub fn names() -> Vec<&'static str> {
    let mut v: Vec<_> = table().keys().copied().collect();
    v.sort_unstable();
    v
}

/// A [`FuncCtx`] for unit tests of single functions: a fixed clock, a seeded random source,
/// and no template set.
pub struct TestCtx {
    /// The time `now` returns.
    pub now: DateTime<FixedOffset>,
    /// The random source.
    pub rng: rand_chacha::ChaCha8Rng,
}

impl Default for TestCtx {
    fn default() -> Self {
        use rand::SeedableRng;
        TestCtx {
            now: DateTime::parse_from_rfc3339("2024-01-02T03:04:05Z").expect("valid time"),
            rng: rand_chacha::ChaCha8Rng::seed_from_u64(1),
        }
    }
}

impl FuncCtx for TestCtx {
    fn include(&mut self, name: &str, _data: Value) -> FuncResult {
        Err(FuncError::msg(format!(
            "template: no template {name:?} associated with template \"gotpl\""
        )))
    }
    fn tpl(&mut self, _text: &str, _data: Value) -> FuncResult {
        Err(FuncError::msg("tpl is not available in TestCtx"))
    }
    fn now(&self) -> DateTime<FixedOffset> {
        self.now
    }
    fn rng(&mut self) -> &mut dyn RngCore {
        &mut self.rng
    }
}

/// Calls function `name` directly with already-typed arguments (for unit tests).
pub fn call(ctx: &mut dyn FuncCtx, name: &str, args: Vec<Value>) -> FuncResult {
    match lookup(name) {
        Some(f) => (f.imp)(ctx, args),
        None => Err(FuncError::msg(format!("function {name:?} not defined"))),
    }
}

#[cfg(test)]
mod tests {
    /// Every name in helm's function map (helm-engine-notes.md section 2: Sprig v3.3.0 without
    /// env and expandenv, plus helm's additions) and Go's built-ins.
    const HELM_FUNCS: &str = "
        abbrev abbrevboth trunc trim upper lower title untitle substr repeat trimall trimAll
        trimSuffix trimPrefix nospace initials randAlphaNum randAlpha randAscii randNumeric
        swapcase shuffle snakecase camelcase kebabcase wrap wrapWith contains hasPrefix hasSuffix
        quote squote cat indent nindent replace plural toString hello
        sha1sum sha256sum sha512sum adler32sum b64enc b64dec b32enc b32dec
        atoi int int64 float64 seq toDecimal add add1 sub div mod mul randInt add1f addf subf
        divf mulf biggest max min maxf minf ceil floor round until untilStep
        split splitList splitn toStrings join sortAlpha tuple list append push mustAppend
        mustPush prepend mustPrepend first mustFirst rest mustRest last mustLast initial
        mustInitial reverse mustReverse uniq mustUniq without mustWithout has mustHas slice
        mustSlice concat chunk mustChunk compact mustCompact
        dict get set unset hasKey pluck keys pick omit merge mergeOverwrite mustMerge
        mustMergeOverwrite values dig deepCopy mustDeepCopy
        default empty coalesce all any ternary fail
        fromJson toJson toPrettyJson toRawJson mustFromJson mustToJson mustToPrettyJson
        mustToRawJson
        typeOf typeIs typeIsLike kindOf kindIs deepEqual
        base dir clean ext isAbs osBase osClean osDir osExt osIsAbs
        ago date date_in_zone date_modify dateInZone dateModify duration durationRound htmlDate
        htmlDateInZone must_date_modify mustDateModify mustToDate now toDate unixEpoch
        bcrypt htpasswd genPrivateKey derivePassword buildCustomCert genCA genCAWithKey
        genSelfSignedCert genSelfSignedCertWithKey genSignedCert genSignedCertWithKey
        encryptAES decryptAES randBytes uuidv4
        semver semverCompare
        regexMatch regexFind regexFindAll regexReplaceAll regexReplaceAllLiteral regexSplit
        mustRegexMatch mustRegexFind mustRegexFindAll mustRegexReplaceAll
        mustRegexReplaceAllLiteral mustRegexSplit regexQuoteMeta
        urlParse urlJoin getHostByName
        toYaml mustToYaml toYamlPretty fromYaml fromYamlArray fromJsonArray toToml fromToml
        include tpl required lookup
    ";
    const GO_BUILTINS: &str =
        "call html index js len not print printf println urlquery eq ne lt le gt ge";

    #[test]
    fn every_helm_function_resolves() {
        let names: Vec<&str> = HELM_FUNCS.split_whitespace().collect();
        let missing: Vec<&&str> = names
            .iter()
            .filter(|n| super::lookup(n).is_none())
            .collect();
        assert!(missing.is_empty(), "not in the function map: {missing:?}");
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        // 209 Sprig names without env/expandenv, plus helm's 12 additions.
        assert_eq!(unique.len(), 221);
        for b in GO_BUILTINS.split_whitespace() {
            assert!(super::lookup(b).is_some(), "built-in {b} missing");
        }
        // `and` and `or` short-circuit, so the executor owns them.
        assert!(
            crate::engine::exec::has_function("and") && crate::engine::exec::has_function("or")
        );
        // helm removes these two from Sprig's map.
        assert!(super::lookup("env").is_none() && super::lookup("expandenv").is_none());
    }
}
