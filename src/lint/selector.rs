//! Label selectors: `matchLabels` and `matchExpressions`, or a Service's plain map.

use crate::engine::yaml::Node;

use super::objects::{get, items, str_at, string_map};

/// A parsed selector.
#[derive(Clone, Debug, Default)]
pub struct Selector {
    labels: Vec<(String, String)>,
    exprs: Vec<(String, String, Vec<String>)>,
}

impl Selector {
    /// `{matchLabels, matchExpressions}`.
    pub fn label_selector(node: Option<&Node>) -> Option<Selector> {
        let n = node?;
        let labels = string_map(get(n, &["matchLabels"]));
        let mut exprs = Vec::new();
        for e in items(get(n, &["matchExpressions"])) {
            let key = str_at(e, &["key"]).unwrap_or_default().to_string();
            let op = str_at(e, &["operator"]).unwrap_or_default().to_string();
            let values = items(get(e, &["values"]))
                .into_iter()
                .filter_map(|v| v.as_scalar().map(str::to_string))
                .collect();
            exprs.push((key, op, values));
        }
        Some(Selector { labels, exprs })
    }

    /// A plain `key: value` map (Service `spec.selector`).
    pub fn plain(node: Option<&Node>) -> Selector {
        Selector {
            labels: string_map(node),
            exprs: Vec::new(),
        }
    }

    /// Whether the selector has no terms (matches everything).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.exprs.is_empty()
    }

    /// Whether `labels` satisfy the selector.
    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        let val = |k: &str| {
            labels
                .iter()
                .find(|(lk, _)| lk == k)
                .map(|(_, v)| v.as_str())
        };
        self.labels.iter().all(|(k, v)| val(k) == Some(v))
            && self.exprs.iter().all(|(k, op, vs)| match op.as_str() {
                "In" => val(k).is_some_and(|x| vs.iter().any(|v| v == x)),
                "NotIn" => val(k).is_none_or(|x| vs.iter().all(|v| v != x)),
                "Exists" => val(k).is_some(),
                "DoesNotExist" => val(k).is_none(),
                _ => false,
            })
    }

    /// The selector as `k=v,k2 in (a,b)` text.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for (k, op, vs) in &self.exprs {
            parts.push(format!("{k} {op} ({})", vs.join(",")));
        }
        parts.join(",")
    }
}
