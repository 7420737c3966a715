//! Python's `type(value).__name__` for JSON values.

use serde_json::Value;

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
