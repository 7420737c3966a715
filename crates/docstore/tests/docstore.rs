//! `InMemoryDocstore` against LangChain's semantics and messages (spec §1, §8, §12), and
//! against a plain vector model under random add/delete sequences.

use ferrofaiss_docstore::{DocstoreError, Document, InMemoryDocstore, PyException};
use proptest::prelude::*;

fn doc(text: &str) -> Document {
    Document::new(text).with_id(text)
}

fn store(ids: &[&str]) -> InMemoryDocstore {
    InMemoryDocstore::from_pairs(ids.iter().map(|id| (id.to_string(), doc(id)))).unwrap()
}

fn ids(store: &InMemoryDocstore) -> Vec<&str> {
    store.ids().collect()
}

#[test]
fn search_finds_or_reports_not_found() {
    let s = store(&["a", "b"]);
    assert_eq!(s.search("a").unwrap().page_content, "a");
    let err = s.search("c").unwrap_err();
    assert_eq!(err.to_string(), "ID c not found.");
    assert_eq!(err, DocstoreError::NotFound { id: "c".into() });
    assert!(s.get("c").is_none());
    assert!(s.contains("b") && !s.contains("c"));
}

#[test]
fn add_keeps_insertion_order_and_rejects_existing_ids_atomically() {
    let mut s = store(&["b", "a"]);
    s.add([("c".to_string(), doc("c"))]).unwrap();
    assert_eq!(ids(&s), ["b", "a", "c"]);
    assert_eq!(s.len(), 3);

    let err = s
        .add([
            ("new".to_string(), doc("new")),
            ("a".to_string(), doc("a2")),
        ])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Tried to add ids that already exist: {'a'}"
    );
    assert_eq!(err.python_exception(), PyException::ValueError);
    assert_eq!(ids(&s), ["b", "a", "c"], "nothing added");
    assert_eq!(s.search("a").unwrap().page_content, "a");

    let err = s.check_add(["c", "x", "b"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Tried to add ids that already exist: {'c', 'b'}"
    );
    assert_eq!(
        s.check_add(["it's"]).map_err(|e| e.to_string()),
        Ok(()),
        "new ids pass"
    );
}

#[test]
fn add_rejects_an_id_repeated_in_the_batch() {
    let mut s = store(&["a"]);
    let err = s
        .add([("x".to_string(), doc("x")), ("x".to_string(), doc("y"))])
        .unwrap_err();
    assert_eq!(err, DocstoreError::DuplicateInBatch { id: "x".into() });
    assert_eq!(err.to_string(), "Duplicate ids found in the ids list.");
    assert_eq!(ids(&s), ["a"]);

    // An empty docstore (filled in one pass) refuses the same way, naming the first
    // repeated id, and stays empty; a good batch then goes in, in order.
    let mut empty = InMemoryDocstore::new();
    let batch = |names: &[&str]| -> Vec<(String, Document)> {
        names.iter().map(|n| (n.to_string(), doc(n))).collect()
    };
    let err = empty.add(batch(&["p", "y", "q", "y", "p"])).unwrap_err();
    assert_eq!(err, DocstoreError::DuplicateInBatch { id: "y".into() });
    assert!(empty.is_empty());
    empty.add(batch(&["p", "y", "q"])).unwrap();
    assert_eq!(ids(&empty), ["p", "y", "q"]);
    assert_eq!(
        empty.search("y").unwrap().page_content,
        doc("y").page_content
    );
}

#[test]
fn delete_messages_match_langchain() {
    let mut s = store(&["a", "b", "c"]);
    let empty: [&str; 0] = [];
    let err = s.delete(empty).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Tried to delete ids that does not  exist: []"
    );
    let err = s.delete(["zz", "yy"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Tried to delete ids that does not  exist: ['zz', 'yy']"
    );
    assert_eq!(err.python_exception(), PyException::ValueError);

    // LangChain pops "a" and then raises KeyError('zz'); here nothing changes.
    let err = s.delete(["a", "zz"]).unwrap_err();
    assert_eq!(err, DocstoreError::CannotDelete { id: "zz".into() });
    assert_eq!(err.python_exception(), PyException::KeyError);
    assert_eq!(err.python_message(), "'zz'");
    let err = s.delete(["c", "c"]).unwrap_err();
    assert_eq!(err.python_message(), "'c'");
    assert_eq!(ids(&s), ["a", "b", "c"], "refused deletes change nothing");
}

#[test]
fn delete_removes_in_place_and_returns_documents_in_asked_order() {
    let mut s = store(&["a", "b", "c", "d"]);
    s.check_delete(["d", "b"]).unwrap();
    assert_eq!(s.len(), 4, "check_delete changes nothing");
    let removed = s.delete(["d", "b"]).unwrap();
    assert_eq!(
        removed
            .iter()
            .map(|d| d.page_content.as_str())
            .collect::<Vec<_>>(),
        ["d", "b"]
    );
    assert_eq!(ids(&s), ["a", "c"]);
    s.add([("b".to_string(), doc("b"))]).unwrap();
    assert_eq!(ids(&s), ["a", "c", "b"], "a re-added id goes to the end");
}

#[test]
fn long_deletes_keep_survivors_in_order() {
    let names: Vec<String> = (0..15).map(|i| format!("d{i}")).collect();
    let all: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut s = store(&all);
    let doomed = [
        "d14", "d0", "d3", "d7", "d8", "d9", "d1", "d12", "d5", "d10",
    ];
    let removed = s.delete(doomed).unwrap();
    let removed: Vec<&str> = removed.iter().map(|d| d.page_content.as_str()).collect();
    assert_eq!(removed, doomed);
    assert_eq!(ids(&s), ["d2", "d4", "d6", "d11", "d13"]);
}

#[test]
fn get_many_skips_missing_and_repeats_duplicates() {
    let s = store(&["a", "b"]);
    let got: Vec<&str> = s
        .get_many(["b", "zz", "a", "b"])
        .into_iter()
        .map(|d| d.page_content.as_str())
        .collect();
    assert_eq!(got, ["b", "a", "b"]);
}

#[test]
fn iteration_follows_insertion_order() {
    let s = store(&["z", "m", "a"]);
    let borrowed: Vec<&str> = (&s).into_iter().map(|(id, _)| id).collect();
    assert_eq!(borrowed, ["z", "m", "a"]);
    assert_eq!(s.iter().len(), 3);
    let owned: Vec<String> = s.into_iter().map(|(id, _)| id).collect();
    assert_eq!(owned, ["z", "m", "a"]);
}

#[derive(Debug, Clone)]
enum Op {
    Add(Vec<u8>),
    Delete(Vec<u8>),
}

fn op() -> impl Strategy<Value = Op> {
    let batch = prop::collection::vec(0u8..24, 0..14);
    prop_oneof![batch.clone().prop_map(Op::Add), batch.prop_map(Op::Delete)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The docstore behaves like a vector of `(id, doc)` pairs: an add succeeds exactly
    /// when its ids are distinct and new, a delete exactly when every id is present and
    /// named once; a refused operation changes nothing; order is insertion order.
    #[test]
    fn matches_a_vector_model(ops in prop::collection::vec(op(), 1..30)) {
        let mut store = InMemoryDocstore::new();
        let mut model: Vec<(String, Document)> = Vec::new();
        for (step, op) in ops.into_iter().enumerate() {
            match op {
                Op::Add(keys) => {
                    let batch: Vec<(String, Document)> = keys
                        .iter()
                        .map(|k| (format!("id{k}"), Document::new(format!("{step}:{k}"))))
                        .collect();
                    let distinct = (0..batch.len())
                        .all(|i| batch[..i].iter().all(|(id, _)| *id != batch[i].0));
                    let fresh = batch.iter().all(|(id, _)| model.iter().all(|(m, _)| m != id));
                    let result = store.add(batch.clone());
                    prop_assert_eq!(result.is_ok(), distinct && fresh);
                    if distinct && fresh {
                        model.extend(batch);
                    }
                }
                Op::Delete(keys) => {
                    let ids: Vec<String> = keys.iter().map(|k| format!("id{k}")).collect();
                    let present = |id: &String| model.iter().any(|(m, _)| m == id);
                    let distinct = (0..ids.len()).all(|i| !ids[..i].contains(&ids[i]));
                    let ok = distinct && !ids.is_empty() && ids.iter().all(present);
                    match store.delete(&ids) {
                        Ok(removed) => {
                            prop_assert!(ok);
                            for (id, removed_doc) in ids.iter().zip(&removed) {
                                let pos = model.iter().position(|(m, _)| m == id).unwrap();
                                let (_, expected) = model.remove(pos);
                                prop_assert_eq!(removed_doc, &expected);
                            }
                            prop_assert_eq!(removed.len(), ids.len());
                        }
                        Err(err) => {
                            prop_assert!(!ok);
                            let none_present = !ids.iter().any(present);
                            prop_assert_eq!(
                                matches!(err, DocstoreError::NoneExist { .. }),
                                none_present
                            );
                        }
                    }
                }
            }
            let got: Vec<(&str, &Document)> = store.iter().collect();
            let want: Vec<(&str, &Document)> =
                model.iter().map(|(id, d)| (id.as_str(), d)).collect();
            prop_assert_eq!(got, want);
        }
    }
}

/// `from_pairs` refuses a repeated id as `add` does, naming the first id seen twice.
#[test]
fn from_pairs_refuses_a_repeated_id_like_add() {
    let pairs = |ids: &[&str]| -> Vec<(String, Document)> {
        ids.iter().map(|id| (id.to_string(), doc(id))).collect()
    };
    for ids in [&["a", "b", "a"][..], &["x", "y", "y", "x"][..]] {
        let built = InMemoryDocstore::from_pairs(pairs(ids)).unwrap_err();
        let added = InMemoryDocstore::new().add(pairs(ids)).unwrap_err();
        assert_eq!(built, added, "{ids:?}");
    }
    let store = InMemoryDocstore::from_pairs(pairs(&["c", "a", "b"])).unwrap();
    assert_eq!(store.ids().collect::<Vec<_>>(), ["c", "a", "b"]);
    assert_eq!(store.position("a"), Some(1));
    assert_eq!(store.position("z"), None);
}
