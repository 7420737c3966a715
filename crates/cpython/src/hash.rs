//! Python's hashing of JSON values: which values are hashable, and keys under which
//! hash-based containers (`frozenset`) find them.

use serde_json::Value;

use crate::number::{as_num, Num};

/// Whether Python can hash the value (everything but lists and dicts).
pub fn is_hashable(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// A key under which Python's hash-based containers (`frozenset`) find a hashable value:
/// two hashable JSON values are `==` exactly when their keys are equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HashKey(Key);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    None,
    Int(i128),
    /// A float that is not an integer (integral floats become `Int`), by bit pattern.
    Float(u64),
    Str(String),
}

/// The hash key of a value, or `None` when Python cannot hash it (lists and dicts).
pub fn hash_key(value: &Value) -> Option<HashKey> {
    Some(HashKey(match value {
        Value::Null => Key::None,
        Value::String(s) => Key::Str(s.clone()),
        Value::Array(_) | Value::Object(_) => return None,
        Value::Bool(_) | Value::Number(_) => match as_num(value)? {
            Num::Int(i) => Key::Int(i),
            Num::Float(f) => {
                let whole = f.trunc();
                if whole == f && whole.abs() < 1.7e38 {
                    Key::Int(whole as i128)
                } else {
                    Key::Float(f.to_bits())
                }
            }
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hash_keys_agree_with_equality() {
        assert_eq!(hash_key(&json!(1)), hash_key(&json!(1.0)));
        assert_eq!(hash_key(&json!(true)), hash_key(&json!(1)));
        assert_ne!(hash_key(&json!(1.5)), hash_key(&json!(1)));
        assert_ne!(hash_key(&json!("1")), hash_key(&json!(1)));
        assert_eq!(hash_key(&json!([1])), None);
    }
}
