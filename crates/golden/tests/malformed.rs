//! Malformed cases fail with the case, the op and the field named; nothing panics.

use std::path::Path;

use ferrofaiss_golden::{
    run_case, Case, CaseCtx, CaseRunner, Deviation, GenIds, Harness, Op, Owner, Status,
};
use serde_json::{json, Value};

const HARNESS: Harness = Harness {
    owner: Owner::Store,
    deviations: &[Deviation {
        case: "bad",
        op: 7,
        reason: "a listed deviation",
    }],
    warning_deviations: &[],
    deferred_ops: &[],
    ignored_fields: &[],
};

/// A runner that reads a few fields the way real runners do and records what it saw.
#[derive(Default)]
struct Probe {
    seen: Vec<Value>,
}

impl CaseRunner for Probe {
    fn run_op(&mut self, ctx: &mut CaseCtx<'_>, op: &Op) -> Result<Status, String> {
        let f = op.fields();
        match op.kind.as_str() {
            "create" => {
                f.str("store")?;
                let ids = f.opt_strings("ids")?.unwrap_or_default();
                for (i, id) in ids.iter().enumerate() {
                    ctx.gen.matches(id, &json!(format!("$gen:{i}")))?;
                }
            }
            "call" => {
                let args = f.field("args")?;
                args.opt_usize("k")?;
                self.seen.push(args.value().clone());
            }
            "state" => {
                op.expect()?.field("state")?.u64("ntotal")?;
            }
            other => return Err(format!("unknown op kind {other:?}")),
        }
        Ok(Status::Pass)
    }
}

fn run(text: &str) -> (Result<Case, String>, Vec<String>, Probe) {
    let mut probe = Probe::default();
    let case = Case::parse("bad", text);
    let failures = match &case {
        Ok(c) => run_case(&HARNESS, c, Path::new("/nonexistent"), &mut probe).failures,
        Err(_) => Vec::new(),
    };
    (case, failures, probe)
}

#[test]
fn a_file_that_is_not_a_case_is_refused_with_its_name() {
    for (text, want) in [
        ("not json", "case bad: invalid JSON"),
        ("[]", "case bad: expected an object holding name, got []"),
        (r#"{"name": "bad"}"#, "case bad: missing field ops"),
        (
            r#"{"name": "bad", "ops": {}}"#,
            "case bad: ops: expected a list",
        ),
        (
            r#"{"name": 3, "ops": []}"#,
            "case bad: name: expected a string, got 3",
        ),
        (
            r#"{"name": "bad", "ops": [{"op": "state"}, 4]}"#,
            "case bad: ops[1]: expected an object holding op, got 4",
        ),
        (
            r#"{"name": "bad", "ops": [{"store": "s"}]}"#,
            "case bad: missing field op",
        ),
    ] {
        let err = Case::parse("bad", text).expect_err(text);
        assert!(err.starts_with(want), "{text}: {err}");
    }
}

#[test]
fn an_unknown_op_kind_names_the_case_and_the_op() {
    let case = Case::parse(
        "bad",
        r#"{"name": "bad", "ops": [{"op": "create"}, {"op": "frobnicate"}]}"#,
    )
    .expect("parses");
    let err = case.owner().expect_err("unknown op kind");
    assert!(
        err.starts_with("case bad: op 1 has an unknown op kind \"frobnicate\""),
        "{err}"
    );
}

#[test]
fn ops_of_two_leaf_runners_have_no_owner_and_store_ops_win() {
    let mixed = Case::parse(
        "bad",
        r#"{"name": "bad", "ops": [{"op": "split_text"}, {"op": "filter_eval"}]}"#,
    )
    .expect("parses");
    let err = mixed.owner().expect_err("no owner");
    assert!(err.contains("no runner owns it"), "{err}");
    let with_store = Case::parse(
        "bad",
        r#"{"name": "bad", "ops": [{"op": "split_text"}, {"op": "create"}]}"#,
    )
    .expect("parses");
    assert_eq!(with_store.owner(), Ok(Owner::Store));
}

#[test]
fn a_field_of_the_wrong_shape_fails_the_op_by_name() {
    let (_, failures, _) = run(r#"{"name": "bad", "ops": [
            {"op": "create", "store": 1},
            {"op": "call", "args": {"k": "three"}},
            {"op": "call", "args": [1]},
            {"op": "state", "expect": {"state": {"ntotal": null}}},
            {"op": "state", "expect": 5},
            {"op": "frobnicate"}
        ]}"#);
    let want = [
        "bad op 0 (create ): store: expected a string, got 1",
        "bad op 1 (call ): args.k: expected a count, got \"three\"",
        "bad op 2 (call ): args: expected an object, got [1]",
        "bad op 3 (state ): missing field expect.state.ntotal",
        "bad op 4 (state ): expect: expected an object, got 5",
        "bad op 5 (frobnicate ): unknown op kind \"frobnicate\"",
        "bad op 7: listed deviation never reached (a listed deviation)",
    ];
    assert_eq!(failures, want);
}

#[test]
fn generated_ids_are_substituted_in_arguments_at_any_depth() {
    let id0 = "0b9e7c52-4a0f-4c56-9d3e-2f6f1d1c8a10";
    let id1 = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f";
    let text = json!({"name": "bad", "ops": [
        {"op": "create", "store": "s", "ids": [id0, id1]},
        {"op": "call", "args": {"ids": ["$gen:1", "lit"], "nested": {"deep": [["$gen:0"]]}},
         "expect": {"ids": ["$gen:5"]}},
        {"op": "call", "args": {"ids": ["$gen:9"]}}
    ]})
    .to_string();
    let (_, failures, probe) = run(&text);
    assert_eq!(
        probe.seen,
        [json!({"ids": [id1, "lit"], "nested": {"deep": [[id0]]}})]
    );
    assert_eq!(
        failures[0],
        "bad op 2 (call ): args.ids[0]: $gen:9 is used before this case generated it"
    );
}

#[test]
fn generated_ids_bind_once_and_must_be_uuid4() {
    let mut gen = GenIds::default();
    let id = "0b9e7c52-4a0f-4c56-9d3e-2f6f1d1c8a10";
    assert_eq!(gen.matches(id, &json!("$gen:0")), Ok(()));
    assert_eq!(gen.matches(id, &json!("$gen:0")), Ok(()));
    assert!(gen.matches(id, &json!("$gen:1")).is_err(), "bound twice");
    assert!(gen.matches("x", &json!("$gen:2")).is_err(), "not a uuid");
    assert!(gen.matches("x", &json!(3)).is_err());
    assert!(gen.matches("x", &Value::Null).is_err(), "null never bound");
    assert_eq!(gen.matches("lit", &json!("lit")), Ok(()));
}
