//! The typed form of a compiled metadata filter and its evaluation.
//!
//! Evaluation is lazy and short-circuits in the order the filter was written, like
//! LangChain's generated Python closures: an AND stops at its first false part, an OR at
//! its first true part. So whether a Python `TypeError` fires depends on the data and on
//! that order, and the errors reproduce LangChain's.

use std::collections::HashSet;

use ferrofaiss_cpython::{self as python, ContainsError, HashKey, OrderOp};
use serde_json::Value;

use super::error::FilterEvalError;
use crate::document::Metadata;

/// A compiled metadata filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterExpr {
    /// Every part must hold, in order (`$and`, or the field conditions of one dict).
    /// Empty: matches everything.
    All(Vec<FilterExpr>),
    /// At least one part must hold, in order (`$or`). Empty: matches nothing.
    Any(Vec<FilterExpr>),
    /// The part must not hold (`$not`).
    Not(Box<FilterExpr>),
    /// A condition on one metadata field. A missing field reads as `None` (JSON null).
    Field {
        /// The metadata key (any string, `$`-keys included).
        field: String,
        /// What the field's value must satisfy.
        condition: Condition,
    },
}

/// What a field's value must satisfy.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// A bare value: Python `value == x`.
    Equals(Value),
    /// A list of at most ten items: Python `value in [..]` (element equality).
    OneOf(Vec<Value>),
    /// A list of more than ten items, which LangChain turns into a `frozenset`: the same
    /// membership, but a list or dict value is a `TypeError` (unhashable).
    OneOfHashed(ValueSet),
    /// An operator dict: every comparison must hold, in order. Empty: matches everything.
    Operators(Vec<Comparison>),
}

/// One operator of an operator dict, with its operand `x`; `v` is the field's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    /// `$eq`: `v == x`.
    Eq(Value),
    /// `$neq`: `v != x`.
    Neq(Value),
    /// `$gt`: `v > x`.
    Gt(Value),
    /// `$gte`: `v >= x`.
    Gte(Value),
    /// `$lt`: `v < x`.
    Lt(Value),
    /// `$lte`: `v <= x`.
    Lte(Value),
    /// `$in`: `v in x` (x a list, a string or a dict; never turned into a set).
    In(Value),
    /// `$nin`: `v not in x`.
    Nin(Value),
}

/// The hashed set LangChain builds from a list condition longer than ten items.
#[derive(Debug, Clone)]
pub struct ValueSet {
    values: Vec<Value>,
    keys: HashSet<HashKey>,
}

impl PartialEq for ValueSet {
    fn eq(&self, other: &Self) -> bool {
        self.keys == other.keys
    }
}

impl ValueSet {
    /// Builds the set, or returns the Python type name of the first unhashable item
    /// (`list` or `dict`), as `frozenset(items)` would fail on it.
    pub fn new(values: Vec<Value>) -> Result<Self, &'static str> {
        let mut keys = HashSet::with_capacity(values.len());
        for value in &values {
            keys.insert(python::hash_key(value).ok_or_else(|| python::type_name(value))?);
        }
        Ok(ValueSet { values, keys })
    }

    /// The items as written in the filter (duplicates kept).
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Python `value in frozenset(items)`.
    pub fn contains(&self, value: &Value) -> Result<bool, ContainsError> {
        match python::hash_key(value) {
            Some(key) => Ok(self.keys.contains(&key)),
            None => Err(ContainsError::Unhashable {
                left: python::type_name(value),
            }),
        }
    }
}

/// The value of a missing field.
static MISSING: Value = Value::Null;

impl FilterExpr {
    /// Evaluates the expression on one document's metadata.
    pub fn matches(&self, metadata: &Metadata) -> Result<bool, FilterEvalError> {
        match self {
            FilterExpr::All(parts) => {
                for part in parts {
                    if !part.matches(metadata)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            FilterExpr::Any(parts) => {
                for part in parts {
                    if part.matches(metadata)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            FilterExpr::Not(part) => Ok(!part.matches(metadata)?),
            FilterExpr::Field { field, condition } => {
                condition.matches(metadata.get(field).unwrap_or(&MISSING))
            }
        }
    }
}

impl FilterExpr {
    /// A LangChain dict filter (as JSON) that compiles back to an expression with the
    /// same meaning: a dict of field conditions when every part of an AND is a condition
    /// on a distinct, non-`$` field, else `$and`, `$or` and `$not` operands.
    ///
    /// Limits of hand-built expressions (compiled ones never hit them): a
    /// [`Condition::OneOf`] of more than ten items comes back as the hashed
    /// [`Condition::OneOfHashed`], [`Condition::Operators`] keeps the last of repeated
    /// operators, and a field whose name is `$and`, `$or` or `$not` reads back as that
    /// operator.
    pub fn to_json(&self) -> Value {
        let list = |parts: &[FilterExpr]| Value::Array(parts.iter().map(Self::to_json).collect());
        match self {
            FilterExpr::All(parts) => {
                let mut map = serde_json::Map::new();
                for part in parts {
                    match part {
                        FilterExpr::Field { field, condition }
                            if !field.starts_with('$') && !map.contains_key(field) =>
                        {
                            map.insert(field.clone(), condition.to_json());
                        }
                        _ => return serde_json::json!({ "$and": list(parts) }),
                    }
                }
                Value::Object(map)
            }
            FilterExpr::Any(parts) => serde_json::json!({ "$or": list(parts) }),
            FilterExpr::Not(part) => serde_json::json!({ "$not": part.to_json() }),
            FilterExpr::Field { field, condition } => {
                let mut map = serde_json::Map::new();
                map.insert(field.clone(), condition.to_json());
                Value::Object(map)
            }
        }
    }
}

impl Condition {
    /// The condition as LangChain writes it: a bare value (`{"$eq": x}` when the value is
    /// a list or a dict, which would read back as membership or operators), a list, or
    /// an operator dict.
    pub fn to_json(&self) -> Value {
        match self {
            Condition::Equals(x @ (Value::Array(_) | Value::Object(_))) => {
                serde_json::json!({ "$eq": x })
            }
            Condition::Equals(x) => x.clone(),
            Condition::OneOf(items) => Value::Array(items.clone()),
            Condition::OneOfHashed(set) => Value::Array(set.values().to_vec()),
            Condition::Operators(comparisons) => Value::Object(
                comparisons
                    .iter()
                    .map(|c| (c.operator().to_string(), c.operand().clone()))
                    .collect(),
            ),
        }
    }

    /// Evaluates the condition on a field's value (JSON null for a missing field).
    pub fn matches(&self, value: &Value) -> Result<bool, FilterEvalError> {
        match self {
            Condition::Equals(x) => Ok(python::eq(value, x)),
            Condition::OneOf(items) => Ok(items.iter().any(|x| python::eq(x, value))),
            Condition::OneOfHashed(set) => Ok(set.contains(value)?),
            Condition::Operators(comparisons) => {
                for comparison in comparisons {
                    if !comparison.holds(value)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
        }
    }
}

impl Comparison {
    /// The LangChain operator key (`"$eq"`, `"$in"`, ...).
    pub fn operator(&self) -> &'static str {
        match self {
            Comparison::Eq(_) => "$eq",
            Comparison::Neq(_) => "$neq",
            Comparison::Gt(_) => "$gt",
            Comparison::Gte(_) => "$gte",
            Comparison::Lt(_) => "$lt",
            Comparison::Lte(_) => "$lte",
            Comparison::In(_) => "$in",
            Comparison::Nin(_) => "$nin",
        }
    }

    /// The operand `x`.
    pub fn operand(&self) -> &Value {
        match self {
            Comparison::Eq(x)
            | Comparison::Neq(x)
            | Comparison::Gt(x)
            | Comparison::Gte(x)
            | Comparison::Lt(x)
            | Comparison::Lte(x)
            | Comparison::In(x)
            | Comparison::Nin(x) => x,
        }
    }

    /// Builds the comparison for an operator key, or `None` when the key is not one of
    /// the eight comparison/sequence operators.
    pub fn from_operator(op: &str, operand: Value) -> Option<Self> {
        Some(match op {
            "$eq" => Comparison::Eq(operand),
            "$neq" => Comparison::Neq(operand),
            "$gt" => Comparison::Gt(operand),
            "$gte" => Comparison::Gte(operand),
            "$lt" => Comparison::Lt(operand),
            "$lte" => Comparison::Lte(operand),
            "$in" => Comparison::In(operand),
            "$nin" => Comparison::Nin(operand),
            _ => return None,
        })
    }

    /// Evaluates `v <op> x` with Python's semantics, `v` being the field's value.
    pub fn holds(&self, value: &Value) -> Result<bool, FilterEvalError> {
        Ok(match self {
            Comparison::Eq(x) => python::eq(value, x),
            Comparison::Neq(x) => !python::eq(value, x),
            Comparison::Gt(x) => python::compare(value, OrderOp::Gt, x)?,
            Comparison::Gte(x) => python::compare(value, OrderOp::Ge, x)?,
            Comparison::Lt(x) => python::compare(value, OrderOp::Lt, x)?,
            Comparison::Lte(x) => python::compare(value, OrderOp::Le, x)?,
            Comparison::In(x) => python::contains(x, value)?,
            Comparison::Nin(x) => !python::contains(x, value)?,
        })
    }
}
