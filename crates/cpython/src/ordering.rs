//! Python's ordering operators (`<`, `<=`, `>`, `>=`) for JSON values, and the
//! `TypeError` they raise between values that have no order.

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value;

use crate::equality::eq;
use crate::number::{as_num, cmp_num};
use crate::type_name::type_name;

/// A comparison operator whose result depends on an ordering (`<`, `<=`, `>`, `>=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl OrderOp {
    /// The operator as Python writes it (`"<"`, `"<="`, `">"`, `">="`).
    pub fn symbol(self) -> &'static str {
        match self {
            OrderOp::Lt => "<",
            OrderOp::Le => "<=",
            OrderOp::Gt => ">",
            OrderOp::Ge => ">=",
        }
    }

    /// Whether an ordering satisfies the operator.
    pub fn holds(self, ordering: Ordering) -> bool {
        match self {
            OrderOp::Lt => ordering == Ordering::Less,
            OrderOp::Le => ordering != Ordering::Greater,
            OrderOp::Gt => ordering == Ordering::Greater,
            OrderOp::Ge => ordering != Ordering::Less,
        }
    }
}

impl fmt::Display for OrderOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// Python's `TypeError` for an ordering between values that have no order, such as
/// `'>' not supported between instances of 'str' and 'int'`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{op}' not supported between instances of '{left}' and '{right}'")]
pub struct OrderError {
    /// The operator that was applied.
    pub op: OrderOp,
    /// The Python type name of the left operand (for lists: of the first differing items).
    pub left: &'static str,
    /// The Python type name of the right operand (for lists: of the first differing items).
    pub right: &'static str,
}

/// Python's `a <op> b` for an ordering operator.
///
/// Lists compare like CPython's `list` does: at the first position where the items are
/// not equal, the result is that pair's comparison (which may itself fail); when one list
/// is a prefix of the other, the lengths decide.
pub fn compare(a: &Value, op: OrderOp, b: &Value) -> Result<bool, OrderError> {
    if let (Some(x), Some(y)) = (as_num(a), as_num(b)) {
        // NaN cannot come from JSON; Python answers False for every ordering with NaN.
        return Ok(cmp_num(x, y).is_some_and(|o| op.holds(o)));
    }
    match (a, b) {
        // Rust's `str` order is byte order of UTF-8, which is code-point order.
        (Value::String(x), Value::String(y)) => Ok(op.holds(x.as_str().cmp(y.as_str()))),
        (Value::Array(x), Value::Array(y)) => match x.iter().zip(y).find(|(p, q)| !eq(p, q)) {
            Some((p, q)) => compare(p, op, q),
            None => Ok(op.holds(x.len().cmp(&y.len()))),
        },
        _ => Err(OrderError {
            op,
            left: type_name(a),
            right: type_name(b),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn int_float_comparison_is_exact() {
        // 2^53 + 1 is not representable as f64; Python still says the two differ.
        let big = json!(9_007_199_254_740_993_u64);
        let float = json!(9_007_199_254_740_992.0);
        assert!(!eq(&big, &float));
        assert_eq!(compare(&big, OrderOp::Gt, &float), Ok(true));
        assert_eq!(compare(&json!(-3), OrderOp::Lt, &json!(-2.5)), Ok(true));
        assert_eq!(compare(&json!(-2), OrderOp::Gt, &json!(-2.5)), Ok(true));
        assert_eq!(
            compare(&json!(u64::MAX), OrderOp::Lt, &json!(1e300)),
            Ok(true)
        );
    }

    #[test]
    fn list_ordering_follows_the_first_difference() {
        assert_eq!(
            compare(&json!([1, 2]), OrderOp::Gt, &json!([1, 1])),
            Ok(true)
        );
        assert_eq!(compare(&json!([1]), OrderOp::Lt, &json!([1, 0])), Ok(true));
        assert_eq!(
            compare(&json!([1, 2]), OrderOp::Ge, &json!([1, 2])),
            Ok(true)
        );
        assert_eq!(
            compare(&json!([1, "a"]), OrderOp::Gt, &json!([1, 2])),
            Err(OrderError {
                op: OrderOp::Gt,
                left: "str",
                right: "int"
            })
        );
    }

    #[test]
    fn ordering_errors_name_python_types() {
        let err = compare(&json!(null), OrderOp::Le, &json!(1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "'<=' not supported between instances of 'NoneType' and 'int'"
        );
        let err = compare(&json!({"k": 1}), OrderOp::Lt, &json!({"k": 1})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "'<' not supported between instances of 'dict' and 'dict'"
        );
        assert_eq!(compare(&json!("b"), OrderOp::Gt, &json!("a")), Ok(true));
        assert_eq!(compare(&json!(true), OrderOp::Gt, &json!(0.5)), Ok(true));
    }
}
