//! CPython's value semantics for JSON-like metadata values.
//!
//! LangChain evaluates its metadata filters with plain Python operators (`==`, `<`, `in`).
//! This module reproduces what CPython 3.11 does for the values a JSON document can hold:
//! `None`, `bool`, `int`, `float`, `str`, `list` and `dict`.
//!
//! * Numbers compare by value across `bool`, `int` and `float` (`True == 1 == 1.0`), and
//!   exactly: an integer is compared with a float without rounding either of them.
//! * Ordering works between numbers, between strings (code-point order) and between lists
//!   (lexicographically, recursively); any other pairing is a Python `TypeError`,
//!   returned here as [`OrderError`].
//! * `in` against a list is element equality, against a string a substring test (the left
//!   side must be a string), against a dict a key lookup (the left side must be hashable);
//!   anything else is a `TypeError`, returned as [`ContainsError`].
//!
//! Numbers that JSON writes without a fraction or exponent and that fit in 64 bits are
//! Python `int`s; every other number is a `float`, as Python's `json` module reads them.

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value;

/// The Python exception class LangChain raises for an error, so that callers and tests can
/// map a Rust error to the `{type, message}` pairs recorded from LangChain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PyException {
    /// `ValueError`
    ValueError,
    /// `TypeError`
    TypeError,
    /// `AttributeError`
    AttributeError,
    /// `KeyError`
    KeyError,
}

impl PyException {
    /// The class name as Python prints it, e.g. `"ValueError"`.
    pub fn name(self) -> &'static str {
        match self {
            PyException::ValueError => "ValueError",
            PyException::TypeError => "TypeError",
            PyException::AttributeError => "AttributeError",
            PyException::KeyError => "KeyError",
        }
    }
}

impl fmt::Display for PyException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

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

/// The Python type name of a JSON value: `NoneType`, `bool`, `int`, `float`, `str`,
/// `list` or `dict`.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// A number as Python sees it: an exact integer (bools included) or a float.
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i128),
    Float(f64),
}

fn as_num(value: &Value) -> Option<Num> {
    match value {
        Value::Bool(b) => Some(Num::Int(i128::from(*b))),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(Num::Int(i128::from(i)))
            } else if let Some(u) = n.as_u64() {
                Some(Num::Int(i128::from(u)))
            } else {
                n.as_f64().map(Num::Float)
            }
        }
        _ => None,
    }
}

/// Compares an integer with a float exactly, as CPython does (no rounding of either).
/// `None` only when the float is NaN.
fn cmp_int_float(int: i128, float: f64) -> Option<Ordering> {
    if float.is_nan() {
        return None;
    }
    // 2^127 is exactly representable; every i128 lies in [-2^127, 2^127).
    const TWO_POW_127: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;
    if float >= TWO_POW_127 {
        return Some(Ordering::Less);
    }
    if float < -TWO_POW_127 {
        return Some(Ordering::Greater);
    }
    let whole = float.trunc();
    // In range and integral, so the cast is exact.
    let whole_int = whole as i128;
    Some(match int.cmp(&whole_int) {
        Ordering::Equal => {
            if float > whole {
                Ordering::Less
            } else if float < whole {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
        other => other,
    })
}

fn cmp_num(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Int(x), Num::Float(y)) => cmp_int_float(x, y),
        (Num::Float(x), Num::Int(y)) => cmp_int_float(y, x).map(Ordering::reverse),
    }
}

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

/// Whether Python can hash the value (everything but lists and dicts).
pub fn is_hashable(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
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

/// A key under which Python's hash-based containers (`frozenset`) find a hashable value:
/// two hashable JSON values are `==` exactly when their keys are equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum HashKey {
    None,
    Int(i128),
    /// A float that is not an integer (integral floats become `Int`), by bit pattern.
    Float(u64),
    Str(String),
}

/// The hash key of a value, or `None` when Python cannot hash it (lists and dicts).
pub(crate) fn hash_key(value: &Value) -> Option<HashKey> {
    Some(match value {
        Value::Null => HashKey::None,
        Value::String(s) => HashKey::Str(s.clone()),
        Value::Array(_) | Value::Object(_) => return None,
        Value::Bool(_) | Value::Number(_) => match as_num(value)? {
            Num::Int(i) => HashKey::Int(i),
            Num::Float(f) => {
                let whole = f.trunc();
                if whole == f && whole.abs() < 1.7e38 {
                    HashKey::Int(whole as i128)
                } else {
                    HashKey::Float(f.to_bits())
                }
            }
        },
    })
}

/// Python's `repr()` of a string: single quotes unless the text holds a single quote and
/// no double quote; backslash escapes for the quote, the backslash, `\t`, `\n`, `\r` and
/// other control characters.
///
/// Non-printable characters outside the C0/C1 control ranges (which CPython escapes
/// from its Unicode database) are only partly covered: the common format and separator
/// characters are escaped, other rare ones are written as they are.
pub fn repr_str(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !is_printable(c) => {
                let code = u32::from(c);
                if code <= 0xff {
                    out.push_str(&format!("\\x{code:02x}"));
                } else if code <= 0xffff {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// An approximation of `str.isprintable()` for one character (space counts as printable).
fn is_printable(c: char) -> bool {
    let code = u32::from(c);
    !(code < 0x20
        || (0x7f..=0xa0).contains(&code)
        || code == 0xad
        || (0x2000..=0x200f).contains(&code)
        || (0x2028..=0x202f).contains(&code)
        || (0x205f..=0x206f).contains(&code)
        || code == 0x1680
        || code == 0x3000
        || code == 0xfeff
        || (0xd800..=0xdfff).contains(&code)
        || (0xe000..=0xf8ff).contains(&code)
        || (0xfff9..=0xfffb).contains(&code)
        || code >= 0xf0000)
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
    fn containers_compare_structurally() {
        assert!(eq(&json!([1, "a"]), &json!([1.0, "a"])));
        assert!(!eq(&json!([1]), &json!([1, 1])));
        assert!(eq(&json!({"a": 1, "b": 2}), &json!({"b": 2.0, "a": true})));
        assert!(!eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
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

    #[test]
    fn hash_keys_agree_with_equality() {
        assert_eq!(hash_key(&json!(1)), hash_key(&json!(1.0)));
        assert_eq!(hash_key(&json!(true)), hash_key(&json!(1)));
        assert_ne!(hash_key(&json!(1.5)), hash_key(&json!(1)));
        assert_ne!(hash_key(&json!("1")), hash_key(&json!(1)));
        assert_eq!(hash_key(&json!([1])), None);
    }

    #[test]
    fn repr_matches_python() {
        assert_eq!(repr_str("a"), "'a'");
        assert_eq!(repr_str("it's"), "\"it's\"");
        assert_eq!(repr_str("'\""), "'\\'\"'");
        assert_eq!(repr_str("a\nb\\"), "'a\\nb\\\\'");
        assert_eq!(repr_str("\u{7}é€"), "'\\x07é€'");
    }
}
