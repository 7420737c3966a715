//! Python's `in` operator for JSON values, and the `TypeError`s it raises.

use serde_json::Value;

use crate::equality::eq;
use crate::hash::is_hashable;
use crate::type_name::type_name;

/// Python's `TypeError` for an `in` test that Python refuses to evaluate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContainsError {
    /// `x in "text"` where `x` is not a string.
    #[error("'in <string>' requires string as left operand, not {left}")]
    StringNeedsString {
        /// The Python type name of the left operand.
        left: &'static str,
    },
    /// `x in container` where the container hashes its items (a dict, or a set built
    /// from a long list) and `x` is a list or a dict.
    #[error("unhashable type: '{left}'")]
    Unhashable {
        /// The Python type name of the left operand (`list` or `dict`).
        left: &'static str,
    },
    /// `x in 5`: the right operand is a number, a bool or `None`.
    #[error("argument of type '{right}' is not iterable")]
    NotIterable {
        /// The Python type name of the right operand.
        right: &'static str,
    },
}

/// Python's `item in container` for JSON values.
pub fn contains(container: &Value, item: &Value) -> Result<bool, ContainsError> {
    match container {
        Value::Array(items) => Ok(items.iter().any(|x| eq(x, item))),
        Value::String(text) => match item {
            Value::String(needle) => Ok(text.contains(needle.as_str())),
            other => Err(ContainsError::StringNeedsString {
                left: type_name(other),
            }),
        },
        Value::Object(map) => match item {
            Value::String(key) => Ok(map.contains_key(key)),
            other if !is_hashable(other) => Err(ContainsError::Unhashable {
                left: type_name(other),
            }),
            // Keys are strings; no number, bool or None equals a string.
            _ => Ok(false),
        },
        other => Err(ContainsError::NotIterable {
            right: type_name(other),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn membership_follows_python() {
        assert_eq!(contains(&json!([1, "1"]), &json!(true)), Ok(true));
        assert_eq!(contains(&json!("abc"), &json!("bc")), Ok(true));
        assert_eq!(
            contains(&json!("abc"), &json!(1)).unwrap_err().to_string(),
            "'in <string>' requires string as left operand, not int"
        );
        assert_eq!(contains(&json!({"a": 1}), &json!("a")), Ok(true));
        assert_eq!(contains(&json!({"a": 1}), &json!(1)), Ok(false));
        assert_eq!(
            contains(&json!({"a": 1}), &json!([1]))
                .unwrap_err()
                .to_string(),
            "unhashable type: 'list'"
        );
        assert_eq!(
            contains(&json!(5), &json!(5)).unwrap_err().to_string(),
            "argument of type 'int' is not iterable"
        );
    }
}
