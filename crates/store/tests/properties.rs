//! Property tests on random stores: filtered search equals a brute-force scan; deleted
//! ids never come back; save/load round trips answer identically.

use std::collections::HashSet;
use std::sync::Arc;

use ferrofaiss_docstore::{Filter, Metadata};
use ferrofaiss_embeddings::FakeEmbeddings;
use ferrofaiss_store::{DistanceStrategy, FaissStore, LoadOptions, SearchOptions, StoreConfig};
use proptest::prelude::*;

mod common;
use common::faiss_top;
use serde_json::json;

const DIM: usize = 4;

/// A random store: small integer coordinates (distances are exact in f32, so ties are
/// real ties) and metadata `{"g": 0..3, "v": 0..10}`.
#[derive(Debug, Clone)]
struct Spec {
    vectors: Vec<Vec<f32>>,
    groups: Vec<i64>,
    values: Vec<i64>,
    ip: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (1usize..25, any::<bool>()).prop_flat_map(|(n, ip)| {
        (
            prop::collection::vec(prop::collection::vec(-3i8..4, DIM), n),
            prop::collection::vec(0i64..3, n),
            prop::collection::vec(0i64..10, n),
        )
            .prop_map(move |(v, groups, values)| Spec {
                vectors: v
                    .into_iter()
                    .map(|r| r.into_iter().map(f32::from).collect())
                    .collect(),
                groups,
                values,
                ip,
            })
    })
}

fn build(spec: &Spec) -> FaissStore {
    let pairs = spec
        .vectors
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("t{i}"), v.clone()))
        .collect();
    let metadatas: Vec<Metadata> = spec
        .groups
        .iter()
        .zip(&spec.values)
        .map(|(g, v)| json!({"g": g, "v": v}).as_object().cloned().unwrap())
        .collect();
    let ids = (0..spec.vectors.len()).map(|i| format!("id{i}")).collect();
    let strategy = if spec.ip {
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

/// The filters tried, as JSON for the store and as a plain Rust predicate on
/// `(group, value)` for the brute force.
#[allow(clippy::type_complexity)]
fn filter_case(which: usize, x: i64) -> (serde_json::Value, Box<dyn Fn(i64, i64) -> bool>) {
    match which {
        0 => (json!({"g": x % 3}), Box::new(move |g, _| g == x % 3)),
        1 => (json!({"v": {"$gte": x}}), Box::new(move |_, v| v >= x)),
        2 => (
            json!({"$or": [{"g": 0}, {"v": {"$lt": x}}]}),
            Box::new(move |g, v| g == 0 || v < x),
        ),
        3 => (
            json!({"g": [1, 2], "v": {"$neq": x}}),
            Box::new(move |g, v| (g == 1 || g == 2) && v != x),
        ),
        _ => (
            json!({"$not": {"v": {"$in": [x, x + 1]}}}),
            Box::new(move |_, v| v != x && v != x + 1),
        ),
    }
}

/// [`faiss_top`] over every row of `spec`.
fn spec_top(spec: &Spec, q: &[f32], n: usize) -> Vec<(usize, f64)> {
    let rows: Vec<(usize, &[f32])> = spec.vectors.iter().map(Vec::as_slice).enumerate().collect();
    faiss_top(&rows, q, n, spec.ip)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn filtered_search_equals_brute_force(
        spec in spec(),
        q in prop::collection::vec(-3i8..4, DIM),
        which in 0usize..5,
        x in 0i64..10,
        k in 1usize..8,
        fetch_k in 1usize..30,
    ) {
        let store = build(&spec);
        let q: Vec<f32> = q.into_iter().map(f32::from).collect();
        let (json_filter, keep) = filter_case(which, x);
        let opts = SearchOptions::new()
            .k(k)
            .fetch_k(fetch_k)
            .filter(Filter::from_json(&json_filter).unwrap());
        let got: Vec<(String, f32)> = store
            .similarity_search_with_score_by_vector(&q, &opts)
            .unwrap()
            .into_iter()
            .map(|(d, s)| (d.id.unwrap(), s))
            .collect();
        // LangChain: examine the fetch_k nearest, keep those passing, cut to k.
        let want: Vec<(String, f64)> = spec_top(&spec, &q, fetch_k)
            .into_iter()
            .filter(|(row, _)| keep(spec.groups[*row], spec.values[*row]))
            .take(k)
            .map(|(row, s)| (format!("id{row}"), s))
            .collect();
        prop_assert_eq!(got.len(), want.len());
        for ((gid, gs), (wid, ws)) in got.iter().zip(&want) {
            prop_assert_eq!(gid, wid);
            prop_assert!((f64::from(*gs) - ws).abs() < 1e-4);
        }
    }

    #[test]
    fn deleted_ids_never_come_back(
        spec in spec(),
        doomed in prop::collection::vec(any::<prop::sample::Index>(), 1..10),
        q in prop::collection::vec(-3i8..4, DIM),
    ) {
        let mut store = build(&spec);
        let n = spec.vectors.len();
        let doomed: HashSet<String> = doomed.iter().map(|i| format!("id{}", i.index(n))).collect();
        let doomed_list: Vec<&str> = doomed.iter().map(String::as_str).collect();
        prop_assert_eq!(store.delete(&doomed_list).unwrap(), doomed.len());
        prop_assert_eq!(store.len(), n - doomed.len());
        prop_assert_eq!(store.index().ntotal(), n - doomed.len());
        let q: Vec<f32> = q.into_iter().map(f32::from).collect();
        let all = store
            .similarity_search_by_vector(&q, &SearchOptions::new().k(n))
            .unwrap();
        prop_assert_eq!(all.len(), n - doomed.len());
        for doc in &all {
            prop_assert!(!doomed.contains(doc.id.as_deref().unwrap()));
        }
        // Survivors keep their order, renumbered densely, each row with its own vector.
        let survivors: Vec<String> = (0..n).map(|i| format!("id{i}")).filter(|id| !doomed.contains(id)).collect();
        prop_assert_eq!(store.index_to_docstore_id(), survivors.as_slice());
        for (row, id) in survivors.iter().enumerate() {
            let original: usize = id[2..].parse().unwrap();
            prop_assert_eq!(store.vector_at(row).unwrap(), spec.vectors[original].clone());
        }
        if !store.is_empty() {
            let mmr = store
                .max_marginal_relevance_search_by_vector(&q, &SearchOptions::new().k(n).fetch_k(n))
                .unwrap();
            for doc in &mmr {
                prop_assert!(!doomed.contains(doc.id.as_deref().unwrap()));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn save_load_round_trip_answers_identically(
        spec in spec(),
        queries in prop::collection::vec(prop::collection::vec(-3i8..4, DIM), 1..4),
    ) {
        let store = build(&spec);
        let dir = tempfile::tempdir().unwrap();
        store.save_local(dir.path(), "index").unwrap();
        let embedder = Arc::new(FakeEmbeddings::new());
        let from_files = FaissStore::load_local(dir.path(), embedder.clone(), &LoadOptions::new()).unwrap();
        let from_bytes = FaissStore::deserialize_from_bytes(
            &store.serialize_to_bytes().unwrap(),
            embedder,
            &LoadOptions::new(),
        )
        .unwrap();
        let n = spec.vectors.len();
        for q in queries {
            let q: Vec<f32> = q.into_iter().map(f32::from).collect();
            let opts = SearchOptions::new().k(n);
            let want = store.similarity_search_with_score_by_vector(&q, &opts).unwrap();
            prop_assert_eq!(&from_files.similarity_search_with_score_by_vector(&q, &opts).unwrap(), &want);
            prop_assert_eq!(&from_bytes.similarity_search_with_score_by_vector(&q, &opts).unwrap(), &want);
            let mmr = store.max_marginal_relevance_search_with_score_by_vector(&q, &opts).unwrap();
            prop_assert_eq!(&from_files.max_marginal_relevance_search_with_score_by_vector(&q, &opts).unwrap(), &mmr);
        }
    }
}
