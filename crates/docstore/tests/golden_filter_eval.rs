//! Runs every `filter_eval` op of the recorded LangChain case `unit_filter_eval`: compile
//! the dict filter, evaluate it on each metadata dict and compare with what Python gave
//! (`true`, `false`, or the exception's type and message).

use ferrofaiss_docstore::{Filter, Metadata};
use serde_json::Value;

const CASE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/golden/cases/unit_filter_eval.json"
);

fn expect_error(expected: &Value, got_type: &str, got_message: &str, context: &str) {
    assert_eq!(
        expected["type"].as_str(),
        Some(got_type),
        "{context}: exception type"
    );
    assert_eq!(
        expected["message"].as_str(),
        Some(got_message),
        "{context}: exception message"
    );
}

#[test]
fn every_filter_eval_op_matches_langchain() {
    let text = std::fs::read_to_string(CASE).expect("fixture unit_filter_eval.json");
    let case: Value = serde_json::from_str(&text).expect("valid JSON");
    let ops = case["ops"].as_array().expect("ops");
    let mut checked_ops = 0;
    let mut checked_results = 0;
    for (n, op) in ops.iter().enumerate() {
        if op["op"] != "filter_eval" {
            continue;
        }
        checked_ops += 1;
        let context = format!("op {n} filter {}", op["filter"]);
        let compiled = Filter::from_json(&op["filter"]);
        let expect = &op["expect"];
        if let Some(error) = expect.get("error") {
            let err = compiled.expect_err(&context);
            expect_error(
                error,
                err.python_exception().name(),
                &err.to_string(),
                &context,
            );
            continue;
        }
        let filter = compiled.unwrap_or_else(|e| panic!("{context}: {e}"));
        let metadatas = op["metadatas"].as_array().expect("metadatas");
        let results = expect["results"].as_array().expect("results");
        assert_eq!(metadatas.len(), results.len(), "{context}");
        for (i, (metadata, result)) in metadatas.iter().zip(results).enumerate() {
            let metadata: &Metadata = metadata.as_object().expect("metadata dict");
            let context = format!("{context} metadata #{i} {}", Value::from(metadata.clone()));
            match (filter.matches(metadata), result) {
                (Ok(got), Value::Bool(want)) => assert_eq!(got, *want, "{context}"),
                (Err(err), Value::Object(obj)) => expect_error(
                    &obj["error"],
                    err.python_exception().name(),
                    &err.to_string(),
                    &context,
                ),
                (got, want) => panic!("{context}: got {got:?}, LangChain gave {want}"),
            }
            checked_results += 1;
        }
    }
    // The public case holds 37 ops over 10 metadata dicts; guard against a silent skip.
    assert!(checked_ops >= 37, "only {checked_ops} filter_eval ops");
    assert!(checked_results >= 300, "only {checked_results} results");
}
