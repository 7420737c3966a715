//! `FilterMode::Exact` against brute force: on random stores (small integer coordinates,
//! so ties are real and must break as Faiss breaks them), after random deletes and a
//! merge, an exact filtered search returns the true top k among the matching documents,
//! whatever `fetch_k` is; MMR's candidates are the `fetch_k` nearest matching rows.

use std::collections::HashMap;
use std::sync::Arc;

use ferrofaiss_docstore::{Filter, Metadata};
use ferrofaiss_embeddings::FakeEmbeddings;
use ferrofaiss_store::{DistanceStrategy, FaissStore, FilterMode, SearchOptions, StoreConfig};
use proptest::prelude::*;

mod common;
use common::faiss_top;
use serde_json::json;

const DIM: usize = 4;

/// One document: its vector and metadata `{"g": group, "v": value}`.
#[derive(Debug, Clone)]
struct Row {
    vector: Vec<f32>,
    g: i64,
    v: i64,
}

fn rows(max: usize) -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(
        (prop::collection::vec(-3i8..4, DIM), 0i64..4, 0i64..10).prop_map(|(v, g, val)| Row {
            vector: v.into_iter().map(f32::from).collect(),
            g,
            v: val,
        }),
        1..max,
    )
}

fn store_of(rows: &[Row], prefix: &str, ip: bool) -> FaissStore {
    let pairs = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("{prefix}{i}"), r.vector.clone()))
        .collect();
    let metadatas: Vec<Metadata> = rows
        .iter()
        .map(|r| json!({"g": r.g, "v": r.v}).as_object().cloned().unwrap())
        .collect();
    let ids = (0..rows.len()).map(|i| format!("{prefix}{i}")).collect();
    let strategy = if ip {
        DistanceStrategy::MaxInnerProduct
    } else {
        DistanceStrategy::EuclideanDistance
    };
    FaissStore::from_embeddings(
        pairs,
        Arc::new(FakeEmbeddings::new()),
        Some(metadatas),
        Some(ids),
        StoreConfig::new().distance_strategy(strategy),
    )
    .unwrap()
}

/// The filters tried: JSON for the store, a predicate on `(g, v)` for the brute force.
#[allow(clippy::type_complexity)]
fn filter_case(which: usize, x: i64) -> (serde_json::Value, Box<dyn Fn(i64, i64) -> bool>) {
    match which {
        0 => (json!({"g": x % 4}), Box::new(move |g, _| g == x % 4)),
        1 => (
            json!({"v": {"$in": [x, x + 3]}}),
            Box::new(move |_, v| v == x || v == x + 3),
        ),
        2 => (
            json!({"$and": [{"g": {"$neq": 0}}, {"v": {"$gt": x}}]}),
            Box::new(move |g, v| g != 0 && v > x),
        ),
        _ => (json!({"v": {"$lt": -1}}), Box::new(|_, _| false)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn exact_mode_is_the_true_top_k_among_matching_documents(
        first in rows(40),
        second in rows(12),
        doomed in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        ip in any::<bool>(),
        q in prop::collection::vec(-3i8..4, DIM),
        which in 0usize..4,
        x in 0i64..10,
        k in 1usize..10,
        fetch_k in 1usize..6,
    ) {
        // A store, some deletes, a merge: rows are then the survivors of `first` in
        // order, then `second`.
        let mut store = store_of(&first, "a", ip);
        let mut doomed: Vec<String> = doomed.iter().map(|i| format!("a{}", i.index(first.len()))).collect();
        doomed.sort();
        doomed.dedup();
        if !doomed.is_empty() {
            store.delete(&doomed).unwrap();
        }
        store.merge_from(&store_of(&second, "b", ip)).unwrap();
        let by_id: HashMap<String, &Row> = first
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("a{i}"), r))
            .chain(second.iter().enumerate().map(|(i, r)| (format!("b{i}"), r)))
            .collect();
        let order: Vec<String> = store.index_to_docstore_id().to_vec();

        let q: Vec<f32> = q.into_iter().map(f32::from).collect();
        let (json_filter, keep) = filter_case(which, x);
        let matching: Vec<(usize, &[f32])> = order
            .iter()
            .enumerate()
            .filter(|(_, id)| keep(by_id[*id].g, by_id[*id].v))
            .map(|(row, id)| (row, by_id[id].vector.as_slice()))
            .collect();
        let opts = SearchOptions::new()
            .k(k)
            .fetch_k(fetch_k)
            .filter(Filter::from_json(&json_filter).unwrap())
            .filter_mode(FilterMode::Exact);

        let got = store.similarity_search_with_score_by_vector(&q, &opts).unwrap();
        let want = faiss_top(&matching, &q, k, ip);
        prop_assert_eq!(got.len(), want.len());
        for ((doc, score), (row, s)) in got.iter().zip(&want) {
            prop_assert_eq!(doc.id.as_deref(), Some(order[*row].as_str()));
            prop_assert!((f64::from(*score) - s).abs() < 1e-4);
        }

        // MMR: every pick matches, and there are min(k, fetch_k, matching) of them.
        let mmr = store.max_marginal_relevance_search_with_score_by_vector(&q, &opts).unwrap();
        prop_assert_eq!(mmr.len(), k.min(fetch_k).min(matching.len()));
        let candidates: Vec<&str> = faiss_top(&matching, &q, fetch_k, ip)
            .iter()
            .map(|(row, _)| order[*row].as_str())
            .collect();
        for (doc, _) in &mmr {
            prop_assert!(candidates.contains(&doc.id.as_deref().unwrap()));
        }

        // LangChain mode is untouched: the same as filtering the fetch_k nearest.
        let lc = store
            .similarity_search_with_score_by_vector(&q, &opts.clone().filter_mode(FilterMode::LangChain))
            .unwrap();
        let all: Vec<(usize, &[f32])> = order
            .iter()
            .enumerate()
            .map(|(row, id)| (row, by_id[id].vector.as_slice()))
            .collect();
        let want_lc: Vec<&str> = faiss_top(&all, &q, fetch_k, ip)
            .into_iter()
            .filter(|(row, _)| keep(by_id[&order[*row]].g, by_id[&order[*row]].v))
            .take(k)
            .map(|(row, _)| order[row].as_str())
            .collect();
        let got_lc: Vec<&str> = lc.iter().map(|(d, _)| d.id.as_deref().unwrap()).collect();
        prop_assert_eq!(got_lc, want_lc);
    }
}

#[test]
fn a_filter_that_fails_on_any_document_fails_an_exact_search() {
    let rows: Vec<Row> = (0..5)
        .map(|i| Row {
            vector: vec![i as f32; DIM],
            g: i,
            v: i,
        })
        .collect();
    let mut store = store_of(&rows, "a", false);
    // A document whose "v" is a string: `$gt` against a number raises in Python.
    let odd = json!({"g": 9, "v": "nine"}).as_object().cloned().unwrap();
    store
        .add_embeddings(
            vec![("odd".into(), vec![100.0; DIM])],
            Some(vec![odd]),
            None,
        )
        .unwrap();
    let filter = Filter::from_json(&json!({"v": {"$gt": 1}})).unwrap();
    let q = vec![0.0; DIM];
    // LangChain mode never examines the far document with fetch_k = 3...
    let lc = SearchOptions::new().k(2).fetch_k(3).filter(filter.clone());
    assert_eq!(
        store
            .similarity_search_with_score_by_vector(&q, &lc)
            .unwrap()
            .len(),
        1
    );
    // ...exact mode examines every document, so it fails as Python would on it.
    let exact = lc.filter_mode(FilterMode::Exact);
    let err = store
        .similarity_search_with_score_by_vector(&q, &exact)
        .unwrap_err();
    assert!(err.to_string().contains("not supported between"), "{err}");
}

#[test]
fn exact_mode_ignores_fetch_k_and_serializes() {
    let opts = SearchOptions::new().filter_mode(FilterMode::Exact);
    let json = serde_json::to_value(&opts).unwrap();
    assert_eq!(json["filter_mode"], "exact");
    let back: SearchOptions = serde_json::from_value(json).unwrap();
    assert_eq!(back.filter_mode, FilterMode::Exact);
    // The default is left out, so LangChain's keyword names are all there is.
    let plain = serde_json::to_value(SearchOptions::new()).unwrap();
    assert!(plain.get("filter_mode").is_none());

    let rows: Vec<Row> = (0..50)
        .map(|i| Row {
            vector: vec![i as f32; DIM],
            g: i % 5,
            v: 0,
        })
        .collect();
    let store = store_of(&rows, "a", false);
    let opts = SearchOptions::new()
        .k(3)
        .fetch_k(1)
        .filter(Filter::from_json(&json!({"g": 4})).unwrap());
    let q = vec![0.0; DIM];
    // LangChain: the one nearest row is not in group 4.
    assert!(store
        .similarity_search_with_score_by_vector(&q, &opts)
        .unwrap()
        .is_empty());
    // Exact: rows 4, 9, 14.
    let got: Vec<String> = store
        .similarity_search_with_score_by_vector(&q, &opts.filter_mode(FilterMode::Exact))
        .unwrap()
        .into_iter()
        .map(|(d, _)| d.id.unwrap())
        .collect();
    assert_eq!(got, ["a4", "a9", "a14"]);
}
