//! Every bad input gives a typed error and leaves the store exactly as it was.

use std::sync::Arc;

use ferrofaiss_docstore::{Document, Filter, Metadata};
use ferrofaiss_embeddings::FakeEmbeddings;
use ferrofaiss_index::{FlatIndex, MetricType};
use ferrofaiss_store::{
    DistanceStrategy, FaissStore, SearchOptions, SearchType, StoreConfig, StoreError,
};
use serde_json::json;

fn ids(v: &[&str]) -> Option<Vec<String>> {
    Some(v.iter().map(|s| s.to_string()).collect())
}

fn meta(v: serde_json::Value) -> Metadata {
    v.as_object().cloned().unwrap_or_default()
}

/// A store over the fake embedder: `foo`, `bar`, `baz` as `a`, `b`, `c`, pages 0..3.
fn store() -> FaissStore {
    FaissStore::from_texts(
        &["foo", "bar", "baz"],
        Arc::new(FakeEmbeddings::new()),
        Some(vec![
            meta(json!({"page": 0})),
            meta(json!({"page": "1"})),
            meta(json!({"page": 2})),
        ]),
        ids(&["a", "b", "c"]),
        StoreConfig::new(),
    )
    .expect("store")
}

/// What must not change when a call fails.
fn snapshot(s: &FaissStore) -> (usize, Vec<String>, Vec<String>, Vec<Vec<f32>>) {
    (
        s.index().ntotal(),
        s.index_to_docstore_id().to_vec(),
        s.docstore().ids().map(str::to_string).collect(),
        (0..s.len()).map(|r| s.vector_at(r).unwrap()).collect(),
    )
}

/// Runs a failing mutation and checks the store did not change.
fn assert_unchanged<T: std::fmt::Debug>(
    s: &mut FaissStore,
    f: impl FnOnce(&mut FaissStore) -> Result<T, StoreError>,
) -> StoreError {
    let before = snapshot(s);
    let err = f(s).expect_err("the call must fail");
    assert_eq!(
        snapshot(s),
        before,
        "a failing call changed the store ({err})"
    );
    err
}

const Q: [f32; 10] = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0];

#[test]
fn empty_inputs() {
    let emb = Arc::new(FakeEmbeddings::new());
    let none: [&str; 0] = [];
    assert!(matches!(
        FaissStore::from_texts(&none, emb.clone(), None, None, StoreConfig::new()),
        Err(StoreError::EmptyInput(_))
    ));
    assert!(matches!(
        FaissStore::from_embeddings(vec![], emb, None, None, StoreConfig::new()),
        Err(StoreError::EmptyInput(_))
    ));
    let mut s = store();
    let e = assert_unchanged(&mut s, |s| s.add_texts(&none, None, None));
    assert!(matches!(e, StoreError::EmptyInput(_)));
    let e = assert_unchanged(&mut s, |s| s.add_embeddings(vec![], None, None));
    assert!(matches!(e, StoreError::EmptyInput(_)));
    let e = assert_unchanged(&mut s, |s| s.add_documents(vec![], None));
    assert!(matches!(e, StoreError::EmptyInput(_)));
}

#[test]
fn length_mismatches() {
    let mut s = store();
    let e = assert_unchanged(&mut s, |s| {
        s.add_texts(&["x", "y"], Some(vec![Metadata::new()]), None)
    });
    assert!(matches!(
        e,
        StoreError::LengthMismatch {
            what: "metadatas",
            texts: 2,
            got: 1
        }
    ));
    let e = assert_unchanged(&mut s, |s| s.add_texts(&["x", "y"], None, ids(&["only"])));
    assert!(matches!(
        e,
        StoreError::LengthMismatch {
            what: "ids",
            texts: 2,
            got: 1
        }
    ));
}

#[test]
fn duplicate_and_existing_ids_on_add_change_nothing() {
    let mut s = store();
    let e = assert_unchanged(&mut s, |s| s.add_texts(&["x", "y"], None, ids(&["d", "d"])));
    assert!(matches!(e, StoreError::DuplicateIds(ref d) if d == &["d"]));
    // LangChain adds the vector, then raises: here nothing is added.
    let e = assert_unchanged(&mut s, |s| s.add_texts(&["again"], None, ids(&["a"])));
    assert!(matches!(e, StoreError::IdsAlreadyExist(ref d) if d == &["a"]));
    let e = assert_unchanged(&mut s, |s| {
        s.add_documents(vec![Document::new("x").with_id("b")], None)
    });
    assert!(matches!(e, StoreError::IdsAlreadyExist(_)));
    // Searches still answer from a consistent store.
    let hits = s
        .similarity_search("foo", &SearchOptions::new().k(10))
        .unwrap();
    assert_eq!(hits.len(), 3);
}

#[test]
fn dimension_mismatch_and_nan() {
    let mut s = store();
    let e = assert_unchanged(&mut s, |s| {
        s.add_embeddings(vec![("short".into(), vec![1.0, 2.0])], None, None)
    });
    assert!(matches!(
        e,
        StoreError::DimensionMismatch {
            expected: 10,
            got: 2
        }
    ));
    let mut bad = Q.to_vec();
    bad[3] = f32::NAN;
    let e = assert_unchanged(&mut s, |s| {
        s.add_embeddings(vec![("nan".into(), bad.clone())], None, None)
    });
    assert!(matches!(e, StoreError::NonFiniteVector { row: 0 }));
    let opts = SearchOptions::new();
    assert!(matches!(
        s.similarity_search_by_vector(&[1.0, 2.0], &opts),
        Err(StoreError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        s.similarity_search_by_vector(&bad, &opts),
        Err(StoreError::NonFiniteVector { .. })
    ));
    assert!(matches!(
        s.max_marginal_relevance_search_by_vector(&bad, &opts),
        Err(StoreError::NonFiniteVector { .. })
    ));
}

#[test]
fn k_and_fetch_k_zero() {
    let s = store();
    let invalid = |r: Result<Vec<Document>, StoreError>, name: &str| {
        assert!(
            matches!(r, Err(StoreError::InvalidParameter { name: n, .. }) if n == name),
            "{name}"
        );
    };
    invalid(s.similarity_search("foo", &SearchOptions::new().k(0)), "k");
    let filter = Filter::parse(r#"{"page": 0}"#).unwrap();
    invalid(
        s.similarity_search("foo", &SearchOptions::new().filter(filter).fetch_k(0)),
        "fetch_k",
    );
    // Without a filter fetch_k is ignored, as in LangChain.
    assert_eq!(
        s.similarity_search("foo", &SearchOptions::new().fetch_k(0))
            .unwrap()
            .len(),
        3
    );
    invalid(
        s.max_marginal_relevance_search("foo", &SearchOptions::new().fetch_k(0)),
        "fetch_k",
    );
    // MMR with k = 0 is an empty answer, as in LangChain.
    assert!(s
        .max_marginal_relevance_search("foo", &SearchOptions::new().k(0))
        .unwrap()
        .is_empty());
}

#[test]
fn filters_of_the_wrong_shape_and_type_errors() {
    let s = store();
    assert!(Filter::from_json(&json!([["page", 0]])).is_err());
    assert!(Filter::from_json(&json!({"$foo": 1})).is_err());
    // Ordering a string against a number is Python's TypeError, typed here.
    let f = Filter::from_json(&json!({"page": {"$gt": 0}})).unwrap();
    let r = s.similarity_search("foo", &SearchOptions::new().k(10).filter(f));
    assert!(matches!(r, Err(StoreError::FilterEval(_))), "{r:?}");
    assert!(r
        .unwrap_err()
        .to_string()
        .contains("'>' not supported between instances of 'str' and 'int'"));
}

#[test]
fn unknown_ids_on_delete_and_repeated_ids() {
    let mut s = store();
    let e = assert_unchanged(&mut s, |s| s.delete(&["c", "zz", "yy"]));
    assert!(matches!(e, StoreError::UnknownIds(ref u) if u == &["zz", "yy"]));
    // LangChain removes the rows, then raises KeyError: here nothing is removed.
    let e = assert_unchanged(&mut s, |s| s.delete(&["c", "c"]));
    assert!(matches!(e, StoreError::DuplicateIds(_)));
    let none: [&str; 0] = [];
    let e = assert_unchanged(&mut s, |s| s.delete(&none));
    assert!(matches!(e, StoreError::NoIdsToDelete));
    assert_eq!(s.delete(&["b"]).unwrap(), 1);
    assert_eq!(s.index_to_docstore_id(), ["a", "c"]);
}

#[test]
fn merge_errors_change_neither_store() {
    let emb = Arc::new(FakeEmbeddings::new());
    let mut a = store();
    let dup =
        FaissStore::from_texts(&["x"], emb.clone(), None, ids(&["a"]), StoreConfig::new()).unwrap();
    let dup_before = snapshot(&dup);
    let e = assert_unchanged(&mut a, |a| a.merge_from(&dup));
    assert!(matches!(e, StoreError::IdsAlreadyExist(_)));
    assert_eq!(snapshot(&dup), dup_before);
    let ip = FaissStore::from_texts(
        &["x"],
        emb.clone(),
        None,
        ids(&["z"]),
        StoreConfig::new().distance_strategy(DistanceStrategy::MaxInnerProduct),
    )
    .unwrap();
    let e = assert_unchanged(&mut a, |a| a.merge_from(&ip));
    assert!(matches!(e, StoreError::IncompatibleMerge(_)));
    let d3 = FaissStore::from_embeddings(
        vec![("v".into(), vec![1.0, 2.0, 3.0])],
        emb,
        None,
        None,
        StoreConfig::new(),
    )
    .unwrap();
    let e = assert_unchanged(&mut a, |a| a.merge_from(&d3));
    assert!(matches!(e, StoreError::IncompatibleMerge(_)));
}

#[test]
fn merge_keeps_the_source_whole() {
    let emb = Arc::new(FakeEmbeddings::new());
    let mut a = store();
    let b = FaissStore::from_texts(
        &["x0", "x1"],
        emb,
        None,
        ids(&["b0", "b1"]),
        StoreConfig::new(),
    )
    .unwrap();
    let before = snapshot(&b);
    a.merge_from(&b).unwrap();
    assert_eq!(a.index_to_docstore_id(), ["a", "b", "c", "b0", "b1"]);
    assert_eq!(
        snapshot(&b),
        before,
        "LangChain empties the source index; we do not"
    );
    assert_eq!(
        b.similarity_search("q", &SearchOptions::new())
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn relevance_and_search_type_errors() {
    let s = FaissStore::from_texts(
        &["x"],
        Arc::new(FakeEmbeddings::new()),
        None,
        None,
        StoreConfig::new().distance_strategy(DistanceStrategy::Jaccard),
    )
    .unwrap();
    assert!(matches!(
        s.similarity_search_with_relevance_scores("x", &SearchOptions::new()),
        Err(StoreError::NoRelevanceFunction(DistanceStrategy::Jaccard))
    ));
    assert!(matches!(
        "bogus".parse::<SearchType>(),
        Err(StoreError::UnknownSearchType(_))
    ));
    assert!(matches!(
        s.as_retriever(SearchType::SimilarityScoreThreshold, SearchOptions::new()),
        Err(StoreError::MissingScoreThreshold)
    ));
    assert!(matches!(
        "fake".parse::<DistanceStrategy>().map_err(StoreError::from),
        Err(StoreError::UnknownDistanceStrategy(_))
    ));
}

#[test]
fn non_empty_index_and_bad_factory_are_refused() {
    use ferrofaiss_index::Index;
    let mut index = FlatIndex::new(10, MetricType::L2).unwrap();
    index.add(&Q).unwrap();
    assert!(matches!(
        FaissStore::new(
            Arc::new(FakeEmbeddings::new()),
            Box::new(index),
            StoreConfig::new()
        ),
        Err(StoreError::Inconsistent(_))
    ));
    assert!(matches!(
        FaissStore::with_dimension(
            Arc::new(FakeEmbeddings::new()),
            10,
            StoreConfig::new().index_factory("PQ8")
        ),
        Err(StoreError::Index(_))
    ));
}

#[test]
fn documents_without_ids_get_fresh_uuids() {
    let mut s = store();
    let got = s
        .add_documents(
            vec![Document::new("g").with_id("DG"), Document::new("h")],
            None,
        )
        .unwrap();
    assert_eq!(got[0], "DG");
    assert_eq!(got[1].len(), 36, "a uuid v4: {}", got[1]);
    assert_eq!(s.get_by_ids(&[got[1].as_str()])[0].page_content, "h");
}
