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
    Expr(FilterExpr),
    Predicate(Arc<MetadataPredicate>),
}

impl Filter {
    /// Compiles a LangChain dict filter given as a JSON value.
    ///
    /// Fails with [`FilterError`] exactly where LangChain fails before looking at any
    /// document: a value that is not an object, an unsupported `$`-operator, malformed
    /// `$and/$or/$not` operands, or a long list condition holding a list or a dict.
    pub fn from_json(filter: &Value) -> Result<Self, FilterError> {
        compile::compile_filter(filter).map(Self::from_expr)
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
            kind: FilterKind::Expr(expr),
        }
    }

    /// The compiled expression, or `None` for a closure filter.
    pub fn expr(&self) -> Option<&FilterExpr> {
        match &self.kind {
            FilterKind::Expr(expr) => Some(expr),
            FilterKind::Predicate(_) => None,
        }
    }

    /// Whether the filter keeps a document with this metadata.
    ///
    /// A dict filter can fail with Python's `TypeError`s ([`FilterEvalError`]) when a
    /// document's value cannot be compared; a closure filter never fails.
    pub fn matches(&self, metadata: &Metadata) -> Result<bool, FilterEvalError> {
        match &self.kind {
            FilterKind::Expr(expr) => expr.matches(metadata),
            FilterKind::Predicate(predicate) => Ok(predicate(metadata)),
        }
    }
}

impl fmt::Debug for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            FilterKind::Expr(expr) => f.debug_tuple("Filter").field(expr).finish(),
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
}
