//! Python's `==` for JSON values.

use std::cmp::Ordering;

use serde_json::Value;

use crate::number::{as_num, cmp_num};

/// Python's `a == b` for JSON values.
///
/// Numbers compare by value across `bool`/`int`/`float`; strings never equal numbers;
/// `None` equals only `None`; lists and dicts compare structurally (dicts ignore key
/// order).
pub fn eq(a: &Value, b: &Value) -> bool {
    if let (Some(x), Some(y)) = (as_num(a), as_num(b)) {
        return cmp_num(x, y) == Some(Ordering::Equal);
    }
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, p)| y.get(key).is_some_and(|q| eq(p, q)))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_equal_across_bool_int_float() {
        assert!(eq(&json!(1), &json!(1.0)));
        assert!(eq(&json!(true), &json!(1)));
        assert!(eq(&json!(false), &json!(0.0)));
        assert!(!eq(&json!(true), &json!(2)));
        assert!(!eq(&json!("1"), &json!(1)));
        assert!(!eq(&json!(null), &json!(0)));
        assert!(eq(&json!(null), &json!(null)));
    }

    #[test]
    fn containers_compare_structurally() {
        assert!(eq(&json!([1, "a"]), &json!([1.0, "a"])));
        assert!(!eq(&json!([1]), &json!([1, 1])));
        assert!(eq(&json!({"a": 1, "b": 2}), &json!({"b": 2.0, "a": true})));
        assert!(!eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    }
}
