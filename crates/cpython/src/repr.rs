//! Python's `repr()` of strings, floats and JSON values.

use serde_json::Value;

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

/// Python's `repr()` of a `float`: the shortest digits that read back as the same
/// double, positional for magnitudes in `[1e-4, 1e16)` (`1.0`, `0.001`), scientific
/// otherwise (`1e-05`, `1.5e+16`); `inf`, `-inf`, `nan`.
pub fn repr_float(x: f64) -> String {
    if !x.is_finite() {
        return non_finite(x.is_nan(), x.is_sign_negative());
    }
    python_float_notation(&format!("{x:e}"))
}

/// The `repr()` numpy 2 gives a `float32` value, without the `np.float32(...)` wrapper:
/// the shortest digits that read back as the same `f32`, in Python's float notation
/// (see [`repr_float`]): `0.29289323`, `-1.1920929e-07`, `1.0`.
pub fn repr_f32(x: f32) -> String {
    if !x.is_finite() {
        return non_finite(x.is_nan(), x.is_sign_negative());
    }
    python_float_notation(&format!("{x:e}"))
}

fn non_finite(nan: bool, negative: bool) -> String {
    match (nan, negative) {
        (true, _) => "nan".to_string(),
        (false, true) => "-inf".to_string(),
        (false, false) => "inf".to_string(),
    }
}

/// Rewrites Rust's shortest scientific form (`-1.25e-7`, `3e0`) in Python's notation.
fn python_float_notation(sci: &str) -> String {
    let (negative, body) = match sci.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, sci),
    };
    let (mantissa, exp) = body.split_once('e').unwrap_or((body, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = if digits.is_empty() {
        "0".to_string()
    } else {
        digits
    };
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    }
    out
}

/// Python's `repr()` of a JSON value read by Python's `json` module: `None`, `True`,
/// `False`, ints, floats ([`repr_float`]), strings ([`repr_str`]), lists `[1, 'a']` and
/// dicts `{'k': 1}` in insertion order.
pub fn repr_value(value: &Value) -> String {
    let mut out = String::new();
    write_repr(value, &mut out);
    out
}

fn write_repr(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() {
                out.push_str(&n.to_string());
            } else {
                out.push_str(&repr_float(n.as_f64().unwrap_or(f64::NAN)));
            }
        }
        Value::String(s) => out.push_str(&repr_str(s)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&repr_str(key));
                out.push_str(": ");
                write_repr(item, out);
            }
            out.push('}');
        }
    }
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

    #[test]
    fn repr_matches_python() {
        assert_eq!(repr_str("a"), "'a'");
        assert_eq!(repr_str("it's"), "\"it's\"");
        assert_eq!(repr_str("'\""), "'\\'\"'");
        assert_eq!(repr_str("a\nb\\"), "'a\\nb\\\\'");
        assert_eq!(repr_str("\u{7}é€"), "'\\x07é€'");
    }

    #[test]
    fn floats_use_python_notation() {
        assert_eq!(repr_float(1.0), "1.0");
        assert_eq!(repr_float(-0.0), "-0.0");
        assert_eq!(repr_float(0.1), "0.1");
        assert_eq!(repr_float(1.5), "1.5");
        assert_eq!(repr_float(123.0), "123.0");
        assert_eq!(repr_float(0.0001), "0.0001");
        assert_eq!(repr_float(0.00001), "1e-05");
        assert_eq!(repr_float(1e16), "1e+16");
        assert_eq!(repr_float(1.5e16), "1.5e+16");
        assert_eq!(repr_float(1e15), "1000000000000000.0");
        assert_eq!(repr_float(f64::NEG_INFINITY), "-inf");
        assert_eq!(repr_f32(0.292_893_23), "0.29289323");
        assert_eq!(repr_f32(-1.828_427_1), "-1.8284271");
        assert_eq!(repr_f32(-1.192_092_9e-7), "-1.1920929e-07");
        assert_eq!(repr_f32(-8.0), "-8.0");
    }

    #[test]
    fn values_repr_as_python_literals() {
        let v = serde_json::json!({"i": 1, "odd": true, "x": null, "f": 2.5, "l": ["a", false], "e": {}});
        assert_eq!(
            repr_value(&v),
            "{'i': 1, 'odd': True, 'x': None, 'f': 2.5, 'l': ['a', False], 'e': {}}"
        );
    }
}
