//! Each filter error, where LangChain raises it (compile time or evaluation time), with
//! its Python exception class and message; and the quirks LangChain 0.4.2 shows.
//!
//! Messages not recorded in the golden cases (sub-filters that are numbers, strings or
//! lists holding `$and`, `$and` operands that Python cannot iterate) follow CPython 3.11's
//! wording for the operation LangChain performs on them.

use ferrofaiss_docstore::{Filter, FilterError, FilterEvalError, Metadata, PyException};
use serde_json::{json, Value};

fn meta(value: Value) -> Metadata {
    value.as_object().expect("object").clone()
}

fn compile_err(filter: Value) -> FilterError {
    Filter::from_json(&filter).expect_err("filter should not compile")
}

fn eval(filter: Value, metadata: Value) -> Result<bool, FilterEvalError> {
    Filter::from_json(&filter)
        .expect("filter compiles")
        .matches(&meta(metadata))
}

fn assert_python(err: &FilterError, exception: PyException, message: &str) {
    assert_eq!(err.python_exception(), exception, "{err:?}");
    assert_eq!(err.to_string(), message, "{err:?}");
}

#[test]
fn non_dict_filters_are_value_errors() {
    for (filter, class) in [
        (json!([["page", 0]]), "list"),
        (json!("page"), "str"),
        (json!(3), "int"),
        (json!(2.5), "float"),
        (json!(true), "bool"),
        (json!(null), "NoneType"),
    ] {
        assert_python(
            &compile_err(filter),
            PyException::ValueError,
            &format!("filter must be a dict of metadata or a callable, not <class '{class}'>"),
        );
    }
}

#[test]
fn null_means_no_filter_when_optional() {
    assert!(Filter::from_json_optional(&json!(null)).unwrap().is_none());
    assert!(Filter::from_json_optional(&json!({})).unwrap().is_some());
    assert!(Filter::from_json_optional(&json!([])).is_err());
}

#[test]
fn unsupported_operators_fail_at_compile_time() {
    let cases = [
        (json!({"$foo": 1}), "$foo"),
        (json!({"$unknown": [{"page": 1}]}), "$unknown"),
        (json!({"page": {"$exists": true}}), "$exists"),
        (json!({"page": {"$ne": 1}}), "$ne"),
        (json!({"page": {"$and": [{"page": 1}]}}), "$and"),
        // Any key of an operator dict must be an operator, `$` or not.
        (json!({"page": {"eq": 1}}), "eq"),
        // Nested inside `$and`: the field's operator dict is still checked.
        (
            json!({"$and": [{"page": {"$eq": 1}}, {"page": {"$unknown": 2}}]}),
            "$unknown",
        ),
        // The top-level check runs before anything is compiled.
        (json!({"$and": [{"page": {"$bad": 1}}], "$zzz": 1}), "$zzz"),
        // Compilation stops at the first bad operator, in the order written.
        (json!({"a": {"$x": 1}, "b": {"$y": 1}}), "$x"),
        (json!({"a": {"$eq": 1, "$y": 1, "$x": 2}}), "$y"),
    ];
    for (filter, op) in cases {
        let err = compile_err(filter);
        assert_eq!(err, FilterError::UnsupportedOperator { op: op.to_owned() });
        assert_python(
            &err,
            PyException::ValueError,
            &format!("filter contains unsupported operator: {op}"),
        );
    }
}

#[test]
fn nested_dollar_keys_are_field_names() {
    // [quirk] Only top-level keys are checked: `$foo` nested in `$and` is a field.
    assert_eq!(
        eval(json!({"$and": [{"$foo": 1}]}), json!({"page": 1})),
        Ok(false)
    );
    assert_eq!(
        eval(json!({"$and": [{"$foo": 1}]}), json!({"$foo": 1})),
        Ok(true)
    );
    // [quirk] A comparison operator at the top level compares a field named `$eq`.
    assert_eq!(eval(json!({"$eq": 1}), json!({"page": 1})), Ok(false));
    assert_eq!(eval(json!({"$eq": 1}), json!({"$eq": true})), Ok(true));
}

#[test]
fn logical_keys_swallow_their_siblings() {
    let m = json!({"page": 1});
    assert_eq!(
        eval(json!({"$and": [{"page": 1}], "page": 3}), m.clone()),
        Ok(true)
    );
    assert_eq!(
        eval(json!({"$or": [{"page": 0}], "$and": []}), m.clone()),
        Ok(true)
    );
    assert_eq!(
        eval(json!({"$not": {"page": 0}, "$or": []}), m.clone()),
        Ok(false)
    );
    assert_eq!(eval(json!({"$not": {"page": 0}, "page": 7}), m), Ok(true));
}

#[test]
fn malformed_sub_filters_fail_like_python() {
    let attr = |t: &str| format!("'{t}' object has no attribute 'items'");
    let cases = [
        (
            json!({"$not": [{"page": 1}]}),
            PyException::AttributeError,
            attr("list"),
        ),
        // Iterating a dict gives its keys, which are strings.
        (
            json!({"$and": {"page": 1}}),
            PyException::AttributeError,
            attr("str"),
        ),
        (
            json!({"$or": ["x"]}),
            PyException::AttributeError,
            attr("str"),
        ),
        (
            json!({"$and": "ab"}),
            PyException::AttributeError,
            attr("str"),
        ),
        (
            json!({"$not": "page"}),
            PyException::AttributeError,
            attr("str"),
        ),
        (
            json!({"$not": 5}),
            PyException::TypeError,
            "argument of type 'int' is not iterable".to_owned(),
        ),
        (
            json!({"$and": [null]}),
            PyException::TypeError,
            "argument of type 'NoneType' is not iterable".to_owned(),
        ),
        (
            json!({"$not": "no $or here"}),
            PyException::TypeError,
            "string indices must be integers, not 'str'".to_owned(),
        ),
        (
            json!({"$and": {"$not": 1}}),
            PyException::TypeError,
            "string indices must be integers, not 'str'".to_owned(),
        ),
        (
            json!({"$not": ["$and"]}),
            PyException::TypeError,
            "list indices must be integers or slices, not str".to_owned(),
        ),
        (
            json!({"$and": 5}),
            PyException::TypeError,
            "'int' object is not iterable".to_owned(),
        ),
        (
            json!({"$or": null}),
            PyException::TypeError,
            "'NoneType' object is not iterable".to_owned(),
        ),
        (
            json!({"$and": [{"page": 1}, [1]]}),
            PyException::AttributeError,
            attr("list"),
        ),
    ];
    for (filter, exception, message) in cases {
        let err = compile_err(filter.clone());
        assert_python(&err, exception, &message);
    }
}

#[test]
fn empty_iterables_are_empty_combinators() {
    let m = json!({"page": 1});
    assert_eq!(eval(json!({"$and": ""}), m.clone()), Ok(true));
    assert_eq!(eval(json!({"$and": {}}), m.clone()), Ok(true));
    assert_eq!(eval(json!({"$or": {}}), m.clone()), Ok(false));
    assert_eq!(eval(json!({"$or": []}), m.clone()), Ok(false));
    assert_eq!(eval(json!({"$not": {}}), m), Ok(false));
}

#[test]
fn long_lists_become_sets() {
    let long: Vec<Value> = (0..11).map(Value::from).collect();
    let filter = json!({"page": long});
    assert_eq!(eval(filter.clone(), json!({"page": 4.0})), Ok(true));
    assert_eq!(eval(filter.clone(), json!({"page": true})), Ok(true));
    assert_eq!(eval(filter.clone(), json!({"page": 11})), Ok(false));
    assert_eq!(eval(filter.clone(), json!({})), Ok(false));
    let err = eval(filter.clone(), json!({"page": [1]})).unwrap_err();
    assert_eq!(err.to_string(), "unhashable type: 'list'");
    assert_eq!(err.python_exception(), PyException::TypeError);
    // Ten items stay a list: no hashing, so a list value is simply not found.
    let short: Vec<Value> = (0..10).map(Value::from).collect();
    assert_eq!(
        eval(json!({"page": short}), json!({"page": [1]})),
        Ok(false)
    );
    // An unhashable item in a long list fails when the set is built.
    let mut bad: Vec<Value> = (0..10).map(Value::from).collect();
    bad.push(json!({"k": 1}));
    assert_python(
        &compile_err(json!({"page": bad})),
        PyException::TypeError,
        "unhashable type: 'dict'",
    );
}

#[test]
fn membership_operators_raise_python_type_errors() {
    let in_str = json!({"tag": {"$nin": "abc"}});
    assert_eq!(eval(in_str.clone(), json!({"tag": "d"})), Ok(true));
    assert_eq!(
        eval(in_str, json!({"tag": 1})).unwrap_err().to_string(),
        "'in <string>' requires string as left operand, not int"
    );
    let in_dict = json!({"tag": {"$in": {"a": 1}}});
    assert_eq!(eval(in_dict.clone(), json!({"tag": "a"})), Ok(true));
    assert_eq!(eval(in_dict.clone(), json!({"tag": 1})), Ok(false));
    assert_eq!(
        eval(in_dict, json!({"tag": {"a": 1}}))
            .unwrap_err()
            .to_string(),
        "unhashable type: 'dict'"
    );
    assert_eq!(
        eval(json!({"tag": {"$in": 3}}), json!({"tag": 3}))
            .unwrap_err()
            .to_string(),
        "argument of type 'int' is not iterable"
    );
    // `$in` never turns a long list into a set: a list value is just not found.
    let long: Vec<Value> = (0..20).map(Value::from).collect();
    assert_eq!(
        eval(json!({"p": {"$in": long}}), json!({"p": [1]})),
        Ok(false)
    );
}

#[test]
fn evaluation_short_circuits_in_written_order() {
    let filter = json!({"page": {"$eq": 0}, "missing": {"$gt": 1}});
    assert_eq!(eval(filter.clone(), json!({"page": 1})), Ok(false));
    assert_eq!(
        eval(filter, json!({"page": 0})).unwrap_err().to_string(),
        "'>' not supported between instances of 'NoneType' and 'int'"
    );
    let any = json!({"$or": [{"page": 1}, {"x": {"$lt": 1}}]});
    assert_eq!(eval(any.clone(), json!({"page": 1})), Ok(true));
    assert!(eval(any, json!({"page": 2})).is_err());
    let ops = json!({"p": {"$neq": "s", "$lte": 3}});
    assert_eq!(eval(ops.clone(), json!({"p": "s"})), Ok(false));
    assert!(eval(ops, json!({"p": "t"})).is_err());
}

#[test]
fn list_conditions_mean_one_of_not_contains() {
    assert_eq!(
        eval(json!({"tags": ["rust"]}), json!({"tags": ["rust"]})),
        Ok(false)
    );
    assert_eq!(
        eval(json!({"tags": [["rust"]]}), json!({"tags": ["rust"]})),
        Ok(true)
    );
    assert_eq!(eval(json!({"page": ["1"]}), json!({"page": 1})), Ok(false));
}

#[test]
fn parse_reads_json_text() {
    let filter: Filter = r#"{"page": {"$in": [1, 2]}}"#.parse().unwrap();
    assert_eq!(filter.matches(&meta(json!({"page": 2.0}))), Ok(true));
    let err = Filter::parse("{\"page\": ").unwrap_err();
    assert!(matches!(err, FilterError::InvalidJson(_)));
    assert_eq!(err.python_exception(), PyException::ValueError);
    assert_python(
        &Filter::parse(r#"{"$x": 1}"#).unwrap_err(),
        PyException::ValueError,
        "filter contains unsupported operator: $x",
    );
}

#[test]
fn closures_filter_without_errors() {
    let filter = Filter::from_fn(|m| m.get("page").and_then(Value::as_i64) == Some(1));
    assert!(filter.expr().is_none());
    assert_eq!(filter.matches(&meta(json!({"page": 1}))), Ok(true));
    assert_eq!(filter.matches(&meta(json!({"page": "1"}))), Ok(false));
    let shared = filter.clone();
    assert_eq!(shared.matches(&meta(json!({}))), Ok(false));
    assert_eq!(format!("{filter:?}"), "Filter(<closure>)");
}
