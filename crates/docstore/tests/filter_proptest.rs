//! Random metadata and random filters of the common subset (bare values, short lists,
//! comparison and `$in/$nin` operator dicts, `$and/$or/$not`): the compiled filter agrees
//! with an independent evaluator that walks the JSON filter directly, written from
//! Python's rules with numbers as f64 (exact for the small values generated), including
//! the exact `TypeError` messages.

use std::cmp::Ordering;

use ferrofaiss_docstore::{Filter, Metadata};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const KEYS: [&str; 3] = ["a", "b", "c"];

/// A Python value as the reference evaluator sees it.
#[derive(Debug, Clone)]
enum Py {
    None,
    /// The value and its Python type name (`bool`, `int` or `float`).
    Num(f64, &'static str),
    Str(String),
    List(Vec<Py>),
}

fn py(value: &Value) -> Py {
    match value {
        Value::Null => Py::None,
        Value::Bool(b) => Py::Num(if *b { 1.0 } else { 0.0 }, "bool"),
        Value::Number(n) if n.is_f64() => Py::Num(n.as_f64().unwrap(), "float"),
        Value::Number(n) => Py::Num(n.as_f64().unwrap(), "int"),
        Value::String(s) => Py::Str(s.clone()),
        Value::Array(items) => Py::List(items.iter().map(py).collect()),
        Value::Object(_) => unreachable!("no dict values are generated"),
    }
}

fn type_of(v: &Py) -> &'static str {
    match v {
        Py::None => "NoneType",
        Py::Num(_, t) => t,
        Py::Str(_) => "str",
        Py::List(_) => "list",
    }
}

fn py_eq(a: &Py, b: &Py) -> bool {
    match (a, b) {
        (Py::None, Py::None) => true,
        (Py::Num(x, _), Py::Num(y, _)) => x == y,
        (Py::Str(x), Py::Str(y)) => x == y,
        (Py::List(x), Py::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        _ => false,
    }
}

fn py_order(a: &Py, b: &Py, op: &str) -> Result<bool, String> {
    let ordering = match (a, b) {
        (Py::Num(x, _), Py::Num(y, _)) => x.partial_cmp(y).unwrap(),
        (Py::Str(x), Py::Str(y)) => x.chars().cmp(y.chars()),
        (Py::List(x), Py::List(y)) => {
            for (p, q) in x.iter().zip(y) {
                if !py_eq(p, q) {
                    return py_order(p, q, op);
                }
            }
            x.len().cmp(&y.len())
        }
        _ => {
            return Err(format!(
                "'{op}' not supported between instances of '{}' and '{}'",
                type_of(a),
                type_of(b)
            ))
        }
    };
    Ok(match op {
        "<" => ordering == Ordering::Less,
        "<=" => ordering != Ordering::Greater,
        ">" => ordering == Ordering::Greater,
        ">=" => ordering != Ordering::Less,
        _ => unreachable!(),
    })
}

fn py_in(item: &Py, container: &Py) -> Result<bool, String> {
    match container {
        Py::List(items) => Ok(items.iter().any(|x| py_eq(x, item))),
        Py::Str(text) => match item {
            Py::Str(needle) => Ok(text.contains(needle.as_str())),
            other => Err(format!(
                "'in <string>' requires string as left operand, not {}",
                type_of(other)
            )),
        },
        other => Err(format!(
            "argument of type '{}' is not iterable",
            type_of(other)
        )),
    }
}

fn reference_condition(value: &Py, condition: &Value) -> Result<bool, String> {
    match condition {
        Value::Object(ops) => {
            for (op, operand) in ops {
                let x = py(operand);
                let holds = match op.as_str() {
                    "$eq" => py_eq(value, &x),
                    "$neq" => !py_eq(value, &x),
                    "$gt" => py_order(value, &x, ">")?,
                    "$gte" => py_order(value, &x, ">=")?,
                    "$lt" => py_order(value, &x, "<")?,
                    "$lte" => py_order(value, &x, "<=")?,
                    "$in" => py_in(value, &x)?,
                    "$nin" => !py_in(value, &x)?,
                    _ => unreachable!(),
                };
                if !holds {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Value::Array(items) => Ok(items.iter().any(|x| py_eq(&py(x), value))),
        other => Ok(py_eq(value, &py(other))),
    }
}

fn reference(filter: &Value, metadata: &Metadata) -> Result<bool, String> {
    let filter = filter.as_object().unwrap();
    if let Some(parts) = filter.get("$and") {
        for part in parts.as_array().unwrap() {
            if !reference(part, metadata)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let Some(parts) = filter.get("$or") {
        for part in parts.as_array().unwrap() {
            if reference(part, metadata)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if let Some(part) = filter.get("$not") {
        return Ok(!reference(part, metadata)?);
    }
    for (field, condition) in filter {
        let value = metadata.get(field).map(py).unwrap_or(Py::None);
        if !reference_condition(&value, condition)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-3i64..=3).prop_map(Value::from),
        (-6i32..=6).prop_map(|h| json!(f64::from(h) / 2.0)),
        prop::sample::select(vec!["", "a", "b", "ab", "ba"]).prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        5 => scalar(),
        1 => prop::collection::vec(scalar(), 0..3).prop_map(Value::Array),
    ]
}

fn metadata() -> impl Strategy<Value = Metadata> {
    prop::collection::vec((prop::sample::select(KEYS.to_vec()), value()), 0..4).prop_map(
        |entries| {
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect()
        },
    )
}

fn condition() -> impl Strategy<Value = Value> {
    let op = prop::sample::select(vec![
        "$eq", "$neq", "$gt", "$gte", "$lt", "$lte", "$in", "$nin",
    ]);
    prop_oneof![
        // A bare value: equality for scalars, membership for (short) lists.
        value(),
        prop::collection::vec(scalar(), 0..5).prop_map(Value::Array),
        prop::collection::vec((op, value()), 0..3).prop_map(|ops| {
            Value::Object(ops.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
        }),
    ]
}

fn fields() -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(KEYS.to_vec()), condition()), 0..3).prop_map(
        |conds| {
            Value::Object(
                conds
                    .into_iter()
                    .map(|(k, c)| (k.to_owned(), c))
                    .collect::<Map<_, _>>(),
            )
        },
    )
}

fn filter() -> impl Strategy<Value = Value> {
    fields().prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(|parts| json!({"$and": parts})),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|parts| json!({"$or": parts})),
            inner.clone().prop_map(|part| json!({"$not": part})),
            // A logical key with sibling field keys, which it swallows.
            (inner, fields()).prop_map(|(part, extra)| {
                let mut map = extra.as_object().unwrap().clone();
                map.insert("$not".to_owned(), part);
                Value::Object(map)
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn compiled_filters_agree_with_the_reference(
        filter_json in filter(),
        metadatas in prop::collection::vec(metadata(), 1..6),
    ) {
        let filter = Filter::from_json(&filter_json).expect("generated filters compile");
        let reparsed = Filter::parse(&filter_json.to_string()).expect("text form compiles");
        for metadata in &metadatas {
            let got = filter.matches(metadata).map_err(|e| e.to_string());
            prop_assert_eq!(&got, &reference(&filter_json, metadata), "metadata {:?}", metadata);
            prop_assert_eq!(reparsed.matches(metadata).map_err(|e| e.to_string()), got);
        }
    }
}
