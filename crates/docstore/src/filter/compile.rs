//! Compiles LangChain's dict filters (as JSON) into a [`FilterExpr`], failing exactly
//! where LangChain's `FAISS._create_filter_func` fails before any document is seen.
//!
//! The shape of the compiler mirrors LangChain's:
//! 1. only the top-level keys are checked against the operator list;
//! 2. a dict with `$and` compiles to the AND of its items and ignores its other keys;
//!    else `$or` (OR), else `$not` (negation of one sub-filter); else the AND of one
//!    condition per field;
//! 3. a field's condition is an operator dict (every key must be a comparison or
//!    sequence operator), a list (membership) or anything else (equality).
//!
//! Sub-filters that are not dicts fail with the Python errors LangChain produces for
//! them (see [`FilterError`]).

use ferrofaiss_cpython::type_name;
use serde_json::{Map, Value};

use super::error::FilterError;
use super::expr::{Comparison, Condition, FilterExpr, ValueSet};

/// The keys allowed at the top level of a filter.
const TOP_LEVEL_OPERATORS: [&str; 11] = [
    "$eq", "$neq", "$gt", "$lt", "$gte", "$lte", "$in", "$nin", "$and", "$or", "$not",
];

/// The logical keys, in the order LangChain tests for them.
const LOGICAL: [&str; 3] = ["$and", "$or", "$not"];

/// Longest list condition LangChain keeps as a list; longer ones become a `frozenset`.
const SET_CONVERT_THRESHOLD: usize = 10;

/// Compiles a whole filter: it must be a dict whose `$`-keys are known operators.
pub(crate) fn compile_filter(filter: &Value) -> Result<FilterExpr, FilterError> {
    let Value::Object(map) = filter else {
        return Err(FilterError::NotADict {
            type_name: type_name(filter),
        });
    };
    if let Some(op) = map
        .keys()
        .find(|key| key.starts_with('$') && !TOP_LEVEL_OPERATORS.contains(&key.as_str()))
    {
        return Err(FilterError::UnsupportedOperator { op: op.clone() });
    }
    compile_dict(map)
}

/// LangChain's inner `filter_func`, applied to a dict.
fn compile_dict(map: &Map<String, Value>) -> Result<FilterExpr, FilterError> {
    if let Some(operand) = map.get("$and") {
        return Ok(FilterExpr::All(compile_each(operand)?));
    }
    if let Some(operand) = map.get("$or") {
        return Ok(FilterExpr::Any(compile_each(operand)?));
    }
    if let Some(operand) = map.get("$not") {
        return Ok(FilterExpr::Not(Box::new(compile_sub_filter(operand)?)));
    }
    map.iter()
        .map(|(field, condition)| {
            Ok(FilterExpr::Field {
                field: field.clone(),
                condition: compile_condition(condition)?,
            })
        })
        .collect::<Result<_, _>>()
        .map(FilterExpr::All)
}

/// LangChain's inner `filter_func`, applied to any value (an item of `$and`/`$or`, or
/// the operand of `$not`). Only dicts compile; the rest fail as Python fails on them.
fn compile_sub_filter(value: &Value) -> Result<FilterExpr, FilterError> {
    match value {
        Value::Object(map) => compile_dict(map),
        // `"$and" in text` is a substring test; indexing a str with a str then fails.
        Value::String(text) => Err(if LOGICAL.iter().any(|key| text.contains(key)) {
            FilterError::SubFilterIndexedByString { type_name: "str" }
        } else {
            FilterError::SubFilterNotADict { type_name: "str" }
        }),
        // `"$and" in items` is element equality; indexing a list with a str then fails.
        Value::Array(items) => Err(
            if items
                .iter()
                .any(|item| matches!(item, Value::String(s) if LOGICAL.contains(&s.as_str())))
            {
                FilterError::SubFilterIndexedByString { type_name: "list" }
            } else {
                FilterError::SubFilterNotADict { type_name: "list" }
            },
        ),
        other => Err(FilterError::SubFilterNotAContainer {
            type_name: type_name(other),
        }),
    }
}

/// Compiles each item Python's `for sub_filter in operand` would produce: list items,
/// dict keys, or the characters of a string.
fn compile_each(operand: &Value) -> Result<Vec<FilterExpr>, FilterError> {
    match operand {
        Value::Array(items) => items.iter().map(compile_sub_filter).collect(),
        Value::Object(map) => map
            .keys()
            .map(|key| compile_sub_filter(&Value::String(key.clone())))
            .collect(),
        Value::String(text) => text
            .chars()
            .map(|c| compile_sub_filter(&Value::String(c.to_string())))
            .collect(),
        other => Err(FilterError::OperandNotIterable {
            type_name: type_name(other),
        }),
    }
}

/// LangChain's `filter_func_cond`: the condition for one field.
fn compile_condition(condition: &Value) -> Result<Condition, FilterError> {
    match condition {
        Value::Object(ops) => ops
            .iter()
            .map(|(op, operand)| {
                Comparison::from_operator(op, operand.clone())
                    .ok_or_else(|| FilterError::UnsupportedOperator { op: op.clone() })
            })
            .collect::<Result<_, _>>()
            .map(Condition::Operators),
        Value::Array(items) if items.len() > SET_CONVERT_THRESHOLD => ValueSet::new(items.clone())
            .map(Condition::OneOfHashed)
            .map_err(|type_name| FilterError::UnhashableInList { type_name }),
        Value::Array(items) => Ok(Condition::OneOf(items.clone())),
        other => Ok(Condition::Equals(other.clone())),
    }
}
