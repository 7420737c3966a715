//! Metadata filters, as LangChain's FAISS store accepts them: a dict (given here as
//! JSON) compiled once into a typed [`FilterExpr`], or a Rust closure over the metadata.
//!
//! ```
//! use ferrofaiss_docstore::{Filter, Metadata};
//! use serde_json::json;
//!
//! let filter = Filter::from_json(&json!({"page": {"$gte": 2}, "$or": []})).unwrap();
//! // `$or` swallows the sibling key, as in LangChain: an empty OR matches nothing.
//! let metadata: Metadata = json!({"page": 3}).as_object().unwrap().clone();
//! assert_eq!(filter.matches(&metadata), Ok(false));
//!
//! let filter = Filter::parse(r#"{"page": {"$gte": 2}}"#).unwrap();
//! assert_eq!(filter.matches(&metadata), Ok(true));
//!
//! let closure = Filter::from_fn(|m| m.get("page").is_some());
//! assert_eq!(closure.matches(&metadata), Ok(true));
//! ```

mod compile;
mod error;
mod expr;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde_json::Value;

pub use error::{FilterError, FilterEvalError};
pub use expr::{Comparison, Condition, FilterExpr, ValueSet};

use crate::document::Metadata;

/// A predicate written in Rust over a document's metadata.
type MetadataPredicate = dyn Fn(&Metadata) -> bool + Send + Sync;

/// A metadata filter: a compiled LangChain dict filter or a Rust closure.
///
/// Cheap to clone (a closure is shared behind an `Arc`).
#[derive(Clone)]
pub struct Filter {
    kind: FilterKind,
}

#[derive(Clone)]
enum FilterKind {
    /// A dict filter, with the JSON it was compiled from (`None` when built from an
    /// expression: [`FilterExpr::to_json`] writes one).
    Expr(FilterExpr, Option<Arc<Value>>),
    Predicate(Arc<MetadataPredicate>),
}

impl Filter {
    /// Compiles a LangChain dict filter given as a JSON value.
    ///
    /// Fails with [`FilterError`] exactly where LangChain fails before looking at any
    /// document: a value that is not an object, an unsupported `$`-operator, malformed
    /// `$and/$or/$not` operands, or a long list condition holding a list or a dict.
    pub fn from_json(filter: &Value) -> Result<Self, FilterError> {
        compile::compile_filter(filter).map(|expr| Filter {
            kind: FilterKind::Expr(expr, Some(Arc::new(filter.clone()))),
        })
    }

    /// Like [`Filter::from_json`], but JSON null means "no filter" (`Ok(None)`), as
    /// `filter=None` does in LangChain.
    pub fn from_json_optional(filter: &Value) -> Result<Option<Self>, FilterError> {
        match filter {
            Value::Null => Ok(None),
            other => Self::from_json(other).map(Some),
        }
    }

    /// Parses JSON text and compiles it as [`Filter::from_json`] does.
    pub fn parse(json: &str) -> Result<Self, FilterError> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| FilterError::InvalidJson(e.to_string()))?;
        Self::from_json(&value)
    }

    /// A filter from a Rust closure over the metadata, like a Python callable filter.
    /// The closure returns whether the document is kept.
    pub fn from_fn<F>(predicate: F) -> Self
    where
        F: Fn(&Metadata) -> bool + Send + Sync + 'static,
    {
        Filter {
            kind: FilterKind::Predicate(Arc::new(predicate)),
        }
    }

    /// A filter from an already built expression.
    pub fn from_expr(expr: FilterExpr) -> Self {
        Filter {
            kind: FilterKind::Expr(expr, None),
        }
    }

    /// The dict filter as JSON: the value it was compiled from, or for a filter built
    /// from an expression, [`FilterExpr::to_json`]. `None` for a closure filter.
    pub fn to_json(&self) -> Option<Value> {
        match &self.kind {
            FilterKind::Expr(_, Some(source)) => Some(Value::clone(source)),
            FilterKind::Expr(expr, None) => Some(expr.to_json()),
            FilterKind::Predicate(_) => None,
        }
    }

    /// The compiled expression, or `None` for a closure filter.
    pub fn expr(&self) -> Option<&FilterExpr> {
        match &self.kind {
            FilterKind::Expr(expr, _) => Some(expr),
            FilterKind::Predicate(_) => None,
        }
    }

    /// Whether the filter keeps a document with this metadata.
    ///
    /// A dict filter can fail with Python's `TypeError`s ([`FilterEvalError`]) when a
    /// document's value cannot be compared; a closure filter never fails.
    pub fn matches(&self, metadata: &Metadata) -> Result<bool, FilterEvalError> {
        match &self.kind {
            FilterKind::Expr(expr, _) => expr.matches(metadata),
            FilterKind::Predicate(predicate) => Ok(predicate(metadata)),
        }
    }
}

impl fmt::Debug for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            FilterKind::Expr(expr, _) => f.debug_tuple("Filter").field(expr).finish(),
            FilterKind::Predicate(_) => f.write_str("Filter(<closure>)"),
        }
    }
}

impl From<FilterExpr> for Filter {
    fn from(expr: FilterExpr) -> Self {
        Self::from_expr(expr)
    }
}

impl TryFrom<&Value> for Filter {
    type Error = FilterError;

    fn try_from(filter: &Value) -> Result<Self, Self::Error> {
        Self::from_json(filter)
    }
}

impl TryFrom<Value> for Filter {
    type Error = FilterError;

    fn try_from(filter: Value) -> Result<Self, Self::Error> {
        Self::from_json(&filter)
    }
}

impl FromStr for Filter {
    type Err = FilterError;

    fn from_str(json: &str) -> Result<Self, Self::Err> {
        Self::parse(json)
    }
}

/// A dict filter serializes as the JSON it was compiled from ([`Filter::to_json`]); a
/// closure filter cannot be serialized and fails with a serializer error.
impl serde::Serialize for Filter {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.to_json() {
            Some(json) => json.serialize(serializer),
            None => Err(serde::ser::Error::custom(
                "a closure filter (Filter::from_fn) cannot be serialized",
            )),
        }
    }
}

/// Deserializes a LangChain dict filter written as JSON and compiles it
/// ([`Filter::from_json`]); a filter LangChain would refuse is a deserializer error.
impl<'de> serde::Deserialize<'de> for Filter {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = Value::deserialize(deserializer)?;
        Filter::from_json(&json).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_can_cross_threads() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Filter>();
        assert_send_sync::<FilterError>();
        assert_send_sync::<FilterEvalError>();
    }

    #[test]
    fn dict_filters_serialize_as_their_json_and_closures_refuse() {
        let json = serde_json::json!({"page": {"$gte": 2}, "$or": [{"a": [1, 2]}]});
        let filter = Filter::from_json(&json).unwrap();
        assert_eq!(serde_json::to_value(&filter).unwrap(), json);
        let back: Filter = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back.expr(), filter.expr());
        assert!(serde_json::to_value(Filter::from_fn(|_| true)).is_err());
        assert!(serde_json::from_value::<Filter>(serde_json::json!({"$bad": 1})).is_err());
    }

    #[test]
    fn built_expressions_serialize_to_equivalent_json() {
        let cases = [
            serde_json::json!({"a": 1, "b": [1, 2], "c": {"$lt": 3, "$in": [1, 2]}}),
            serde_json::json!({"$and": [{"a": 1}, {"a": 2}]}),
            serde_json::json!({"$not": {"$or": [{"a": [[1]]}, {"b": null}]}}),
        ];
        let metas: Vec<Metadata> = [
            serde_json::json!({"a": 1, "b": 2, "c": 1}),
            serde_json::json!({"a": 2}),
            serde_json::json!({"a": [1]}),
            serde_json::json!({}),
        ]
        .iter()
        .map(|m| m.as_object().cloned().unwrap_or_default())
        .collect();
        for json in cases {
            let expr = Filter::from_json(&json).unwrap().expr().unwrap().clone();
            let rebuilt = Filter::from_expr(expr.clone());
            let written = serde_json::to_value(&rebuilt).unwrap();
            let back = Filter::from_json(&written).unwrap();
            for m in &metas {
                assert_eq!(
                    back.matches(m),
                    expr.matches(m),
                    "{json} as {written} on {m:?}"
                );
            }
        }
    }
}
