//! `FaissStore::search_batch` against the same queries searched alone: every query of a
//! batch, whatever its options (k, fetch_k, filters in either mode, thresholds, nprobe,
//! bad values), gets exactly what its own method returns: the same documents, the same
//! scores to the bit, the same error.

use std::sync::Arc;

use ferrofaiss_docstore::{Document, Filter, Metadata};
use ferrofaiss_embeddings::FakeEmbeddings;
use ferrofaiss_store::{
    BatchQuery, DistanceStrategy, FaissStore, FilterMode, QueryKind, SearchOptions, StoreConfig,
    StoreError,
};
use proptest::prelude::*;
use serde_json::json;

const DIM: usize = 4;

/// A store over `vectors` (rows of `d`), metadata `{"g": i % 4, "v": i % 10}`.
fn store_of(vectors: &[Vec<f32>], strategy: DistanceStrategy, factory: &str) -> FaissStore {
    let pairs = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("t{i}"), v.clone()))
        .collect();
    let metadatas: Vec<Metadata> = (0..vectors.len())
        .map(|i| {
            json!({"g": i % 4, "v": i % 10})
                .as_object()
                .cloned()
                .unwrap()
        })
        .collect();
    FaissStore::from_embeddings(
        pairs,
        Arc::new(FakeEmbeddings::new()),
        Some(metadatas),
        None,
        StoreConfig::new()
            .distance_strategy(strategy)
            .index_factory(factory),
    )
    .unwrap()
}

/// The method a query of `kind` stands for, run alone.
fn alone(
    store: &FaissStore,
    q: &[f32],
    opts: &SearchOptions,
    kind: QueryKind,
) -> Result<Vec<(Document, f32)>, StoreError> {
    match kind {
        QueryKind::Scores => store.similarity_search_with_score_by_vector(q, opts),
        QueryKind::RelevanceScores => {
            store.similarity_search_with_relevance_scores_by_vector(q, opts)
        }
        QueryKind::Mmr => store.max_marginal_relevance_search_with_score_by_vector(q, opts),
    }
}

/// Same documents and the same score bits, or the same error text.
fn assert_same(
    got: &Result<Vec<(Document, f32)>, StoreError>,
    want: &Result<Vec<(Document, f32)>, StoreError>,
    what: &str,
) {
    match (got, want) {
        (Ok(g), Ok(w)) => {
            assert_eq!(g.len(), w.len(), "{what}");
            for ((gd, gs), (wd, ws)) in g.iter().zip(w) {
                assert_eq!(gd, wd, "{what}");
                assert_eq!(gs.to_bits(), ws.to_bits(), "{what}");
            }
        }
        (Err(g), Err(w)) => assert_eq!(g.to_string(), w.to_string(), "{what}"),
        _ => panic!("{what}: batch gave {got:?}, alone {want:?}"),
    }
}

/// Runs `queries` as one batch and one by one, and compares every answer.
fn check_batch(store: &FaissStore, queries: &[(Vec<f32>, SearchOptions, QueryKind)]) {
    let batch: Vec<BatchQuery<'_>> = queries
        .iter()
        .map(|(q, opts, kind)| BatchQuery {
            embedding: q,
            opts,
            kind: *kind,
        })
        .collect();
    let got = store.search_batch(&batch);
    assert_eq!(got.len(), queries.len());
    for (i, ((q, opts, kind), got)) in queries.iter().zip(&got).enumerate() {
        let want = alone(store, q, opts, *kind);
        assert_same(got, &want, &format!("query {i} ({kind:?}, {opts:?})"));
    }
}

fn filter_of(which: usize) -> Option<Filter> {
    let value = match which {
        0 => return None,
        1 => json!({"g": 1}),
        2 => json!({"v": {"$in": [2, 5, 7]}}),
        3 => json!({"$or": [{"g": 0}, {"v": {"$gt": 6}}]}),
        // Never matches: a LangChain-mode search returns nothing.
        _ => json!({"v": {"$lt": -1}}),
    };
    Some(Filter::from_json(&value).unwrap())
}

prop_compose! {
    /// One query: a vector (sometimes of the wrong dimension), its options, its kind.
    fn query()(
        v in prop::collection::vec(-3i8..4, DIM),
        wrong_dim in prop::bool::weighted(0.05),
        k in 0usize..7,
        fetch_k in 0usize..9,
        which in 0usize..5,
        exact in any::<bool>(),
        threshold in prop::option::weighted(0.2, -2.0f32..20.0),
        nprobe in prop::option::of(1usize..4),
        kind in prop::sample::select(vec![QueryKind::Scores, QueryKind::RelevanceScores, QueryKind::Mmr]),
    ) -> (Vec<f32>, SearchOptions, QueryKind) {
        let mut q: Vec<f32> = v.into_iter().map(f32::from).collect();
        if wrong_dim {
            q.push(1.0);
        }
        let mut opts = SearchOptions::new().k(k).fetch_k(fetch_k).filter_mode(if exact {
            FilterMode::Exact
        } else {
            FilterMode::LangChain
        });
        opts.filter = filter_of(which);
        opts.score_threshold = threshold;
        opts.nprobe = nprobe;
        (q, opts, kind)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_query_of_a_batch_gets_what_it_gets_alone(
        rows in prop::collection::vec(prop::collection::vec(-3i8..4, DIM), 4..60),
        ip in any::<bool>(),
        ivf in any::<bool>(),
        doomed in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        queries in prop::collection::vec(query(), 1..40),
    ) {
        let vectors: Vec<Vec<f32>> = rows
            .into_iter()
            .map(|r| r.into_iter().map(f32::from).collect())
            .collect();
        let strategy = if ip {
            DistanceStrategy::MaxInnerProduct
        } else {
            DistanceStrategy::EuclideanDistance
        };
        let mut store = store_of(&vectors, strategy, if ivf { "IVF2,Flat" } else { "Flat" });
        let mut doomed: Vec<String> = doomed
            .iter()
            .map(|i| store.index_to_docstore_id()[i.index(vectors.len())].clone())
            .collect();
        doomed.sort();
        doomed.dedup();
        if doomed.len() < vectors.len() && !doomed.is_empty() {
            store.delete(&doomed).unwrap();
        }
        check_batch(&store, &queries);
    }
}

/// At the widths of real embeddings a batch is cut into passes below Faiss's BLAS
/// threshold: 200 queries of 1536 floats with the same k take three passes, and every distance is
/// still the one-query distance (the `|x|^2 + |y|^2 - 2 x.y` path would change the
/// last bits of many of them).
#[test]
fn wide_batches_keep_one_query_distances() {
    let d = 1536;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let vectors: Vec<Vec<f32>> = (0..300).map(|_| (0..d).map(|_| next()).collect()).collect();
    let store = store_of(&vectors, DistanceStrategy::EuclideanDistance, "Flat");
    let queries: Vec<(Vec<f32>, SearchOptions, QueryKind)> = (0..200)
        .map(|_| {
            let q = (0..d).map(|_| next()).collect();
            (q, SearchOptions::new().k(5), QueryKind::Scores)
        })
        .collect();
    check_batch(&store, &queries);
}

/// A batch large enough for IVF's list-by-list scan, on integer vectors (many equal
/// distances): every query still gets what it gets alone, ties included.
#[test]
fn large_ivf_batches_break_ties_as_lone_searches() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 5) as f32 - 2.0
    };
    let vectors: Vec<Vec<f32>> = (0..3000)
        .map(|_| (0..DIM).map(|_| next()).collect())
        .collect();
    for strategy in [
        DistanceStrategy::EuclideanDistance,
        DistanceStrategy::MaxInnerProduct,
    ] {
        let store = store_of(&vectors, strategy, "IVF8,Flat");
        let mut opts = SearchOptions::new().k(6);
        opts.nprobe = Some(3);
        let queries: Vec<(Vec<f32>, SearchOptions, QueryKind)> = (0..48)
            .map(|_| {
                let q = (0..DIM).map(|_| next()).collect();
                (q, opts.clone(), QueryKind::Scores)
            })
            .collect();
        check_batch(&store, &queries);
    }
}
