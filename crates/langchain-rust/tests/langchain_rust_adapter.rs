//! The langchain-rust adapter through langchain-rust's own types: searches checked
//! against an f64 brute force with its own filter evaluation, options honoured,
//! errors surfaced, the embedder bridges both ways.

use std::collections::HashMap;
use std::sync::Arc;

use ferrofaiss::embeddings::{
    EmbedFuture, EmbeddingError, Embeddings, HashingEmbeddings, HASHING_DEFAULT_DIM,
};
use ferrofaiss::{AsyncFaissStore, FaissStore, StoreConfig};
use ferrofaiss_langchain_rust::{FaissVectorStore, FerrofaissEmbedder, LangchainEmbeddings};
use langchain_rust::embedding::{Embedder, EmbedderError};
use langchain_rust::schemas::{Document, Retriever as _};
use langchain_rust::vectorstore::{Retriever, VecStoreOptions, VectorStore};
use proptest::prelude::*;
use serde_json::{json, Value};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn store_with(embedder: Arc<dyn Embeddings>) -> FaissVectorStore {
    let store =
        FaissStore::with_dimension(embedder, HASHING_DEFAULT_DIM, StoreConfig::new()).unwrap();
    FaissVectorStore::new(AsyncFaissStore::new(store))
}

const WORDS: &[&str] = &[
    "court", "judge", "nation", "justice", "economy", "jobs", "war", "peace", "bridge", "road",
    "vaccine", "school", "tax", "border", "energy", "climate",
];

/// The filters the property test draws, with the test's own evaluation of them.
#[derive(Clone, Debug)]
enum Cond {
    TagIs(&'static str),
    YearAbove(i64),
    YearIn(Vec<i64>),
    Or(Box<Cond>, Box<Cond>),
}

impl Cond {
    fn json(&self) -> Value {
        match self {
            Cond::TagIs(t) => json!({"tag": t}),
            Cond::YearAbove(y) => json!({"year": {"$gt": y}}),
            Cond::YearIn(ys) => json!({"year": {"$in": ys}}),
            Cond::Or(a, b) => json!({"$or": [a.json(), b.json()]}),
        }
    }

    fn holds(&self, tag: &str, year: i64) -> bool {
        match self {
            Cond::TagIs(t) => *t == tag,
            Cond::YearAbove(y) => year > *y,
            Cond::YearIn(ys) => ys.contains(&year),
            Cond::Or(a, b) => a.holds(tag, year) || b.holds(tag, year),
        }
    }
}

fn cond_strategy() -> impl Strategy<Value = Cond> {
    let leaf = prop_oneof![
        prop::sample::select(&["a", "b", "c"][..]).prop_map(Cond::TagIs),
        (2000i64..2030).prop_map(Cond::YearAbove),
        prop::collection::vec(2000i64..2030, 1..8).prop_map(Cond::YearIn),
    ];
    leaf.prop_recursive(2, 4, 2, |inner| {
        (inner.clone(), inner).prop_map(|(a, b)| Cond::Or(Box::new(a), Box::new(b)))
    })
}

type Row = (String, &'static str, i64);

fn row_strategy() -> impl Strategy<Value = Row> {
    (
        prop::collection::vec(prop::sample::select(WORDS), 1..6),
        prop::sample::select(&["a", "b", "c"][..]),
        2000i64..2030,
    )
        .prop_map(|(words, tag, year)| (words.join(" "), tag, year))
}

/// Squared L2 distance in f64.
fn distance(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// similarity_search returns, rank by rank, the relevance scores of the exact
    /// nearest `limit` matching rows (f64 brute force, the filter evaluated by the test),
    /// threshold applied; every document returned matches.
    #[test]
    fn search_is_the_exact_filtered_top_k(
        rows in prop::collection::vec(row_strategy(), 1..80),
        query in prop::collection::vec(prop::sample::select(WORDS), 1..4),
        limit in 0usize..12,
        cond in prop::option::of(cond_strategy()),
        threshold in prop::option::of(-0.5f32..0.8),
    ) {
        let query = query.join(" ");
        let embedder: Arc<dyn Embeddings> = Arc::new(HashingEmbeddings::default());
        let docs: Vec<Document> = rows
            .iter()
            .map(|(text, tag, year)| {
                Document::new(text.clone()).with_metadata(HashMap::from([
                    ("tag".to_string(), json!(tag)),
                    ("year".to_string(), json!(year)),
                ]))
            })
            .collect();

        // The truth: relevance 1 - d/√2 of every matching row, best first.
        let q = embedder.embed_query(&query).unwrap();
        let mut want: Vec<f64> = rows
            .iter()
            .filter(|(_, tag, year)| cond.as_ref().is_none_or(|c| c.holds(tag, *year)))
            .map(|(text, _, _)| {
                let v = embedder.embed_query(text).unwrap();
                1.0 - distance(&v, &q) / std::f64::consts::SQRT_2
            })
            .filter(|&s| threshold.is_none_or(|t| s >= f64::from(t)))
            .collect();
        want.sort_by(|a, b| b.partial_cmp(a).unwrap());
        want.truncate(limit);

        let mut options = VecStoreOptions::default();
        if let Some(c) = &cond {
            options = options.with_filters(c.json());
        }
        if let Some(t) = threshold {
            options = options.with_score_threshold(t);
        }
        let got = runtime().block_on(async {
            let store = store_with(embedder.clone());
            store.add_documents(&docs, &VecStoreOptions::default()).await.unwrap();
            store.similarity_search(&query, limit, &options).await.unwrap()
        });
        // A score within float noise of the threshold may fall either side.
        let near = |s: f64| threshold.is_some_and(|t| (s - f64::from(t)).abs() < 1e-5);
        let got_scores: Vec<f64> = got.iter().map(|d| d.score).filter(|&s| !near(s)).collect();
        let want_scores: Vec<f64> = want.into_iter().filter(|&s| !near(s)).collect();
        prop_assert_eq!(got_scores.len(), want_scores.len(), "{:?} vs {:?}", got_scores, want_scores);
        for (g, w) in got_scores.iter().zip(&want_scores) {
            prop_assert!((g - w).abs() < 1e-4, "{} vs {}", g, w);
        }
        for doc in &got {
            let tag = doc.metadata["tag"].as_str().unwrap();
            let year = doc.metadata["year"].as_i64().unwrap();
            prop_assert!(cond.as_ref().is_none_or(|c| c.holds(tag, year)));
        }
    }
}

/// An embedder that always fails.
struct Failing;

impl Embeddings for Failing {
    fn aembed_documents<'a>(&'a self, _texts: &'a [String]) -> EmbedFuture<'a, Vec<Vec<f32>>> {
        Box::pin(async { Err(EmbeddingError::Transport("quota exceeded".into())) })
    }
    fn aembed_query<'a>(&'a self, _text: &'a str) -> EmbedFuture<'a, Vec<f32>> {
        Box::pin(async {
            Err(EmbeddingError::Http {
                status: 429,
                message: "slow down".into(),
            })
        })
    }
    fn name(&self) -> String {
        "failing".into()
    }
}

#[test]
fn options_embedder_replaces_the_stores_and_errors_surface() {
    runtime().block_on(async {
        let store = store_with(Arc::new(Failing));
        let docs = [
            Document::new("the fox jumps"),
            Document::new("the dog sleeps"),
        ];

        // The store's own embedder fails...
        let err = store
            .add_documents(&docs, &VecStoreOptions::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("quota exceeded"), "{err}");

        // ...the one in the options is used instead, for adding and for searching.
        let hashing = FerrofaissEmbedder::new(Arc::new(HashingEmbeddings::default()));
        let options = VecStoreOptions::default().with_embedder(hashing);
        let ids = store.add_documents(&docs, &options).await.unwrap();
        assert_eq!(ids.len(), 2);
        let found = store
            .similarity_search("the dog sleeps", 1, &options)
            .await
            .unwrap();
        assert_eq!(found[0].page_content, "the dog sleeps");
        assert!((found[0].score - 1.0).abs() < 1e-5, "{}", found[0].score);

        // Namespaces and filters LangChain rejects are errors.
        let ns = VecStoreOptions::default().with_name_space("tenant-1");
        assert!(store.similarity_search("x", 1, &ns).await.is_err());
        assert!(store.add_documents(&docs, &ns).await.is_err());
        let bad = VecStoreOptions::default()
            .with_embedder(FerrofaissEmbedder::new(Arc::new(
                HashingEmbeddings::default(),
            )))
            .with_filters(json!({"$bogus": 1}));
        let err = store.similarity_search("x", 1, &bad).await.unwrap_err();
        assert!(err.to_string().contains("unsupported operator"), "{err}");
        // A null filter is no filter, as in LangChain; limit 0 returns nothing.
        let null = options_with_hashing().with_filters(Value::Null);
        assert_eq!(
            store.similarity_search("x", 2, &null).await.unwrap().len(),
            2
        );
        assert!(store
            .similarity_search("x", 0, &null)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(store.store().len().await.unwrap(), 2);
    });
}

fn options_with_hashing() -> VecStoreOptions<Value> {
    VecStoreOptions::default().with_embedder(FerrofaissEmbedder::new(Arc::new(
        HashingEmbeddings::default(),
    )))
}

#[test]
fn retriever_and_metadata_round_trip() {
    runtime().block_on(async {
        let store = store_with(Arc::new(HashingEmbeddings::default()));
        let docs: Vec<Document> = WORDS
            .iter()
            .enumerate()
            .map(|(i, w)| {
                Document::new(format!("a note on {w}")).with_metadata(HashMap::from([
                    ("n".to_string(), json!(i)),
                    ("nested".to_string(), json!({"word": w, "list": [1, 2]})),
                ]))
            })
            .collect();
        store
            .add_documents(&docs, &VecStoreOptions::default())
            .await
            .unwrap();
        let retriever = Retriever::new(store, 3);
        let got = retriever
            .get_relevant_documents("a note on justice")
            .await
            .unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].page_content, "a note on justice");
        assert_eq!(
            got[0].metadata["nested"],
            json!({"word": "justice", "list": [1, 2]})
        );
        assert_eq!(got[0].metadata["n"], json!(3));
    });
}

#[test]
fn embedder_bridges_round_trip() {
    runtime().block_on(async {
        let direct: Arc<dyn Embeddings> = Arc::new(HashingEmbeddings::default());
        let theirs = FerrofaissEmbedder::new(direct.clone());
        let texts = vec!["one text".to_string(), "another".to_string()];
        let wide = theirs.embed_documents(&texts).await.unwrap();
        let narrow = direct.aembed_documents(&texts).await.unwrap();
        for (w, n) in wide.iter().zip(&narrow) {
            assert!(w.iter().zip(n).all(|(&a, &b)| a == f64::from(b)));
        }

        let back = LangchainEmbeddings::new(theirs, "hashing-via-langchain-rust")
            .with_dimension(HASHING_DEFAULT_DIM);
        assert_eq!(back.aembed_documents(&texts).await.unwrap(), narrow);
        assert_eq!(
            back.aembed_query("a query").await.unwrap(),
            direct.aembed_query("a query").await.unwrap()
        );
        assert_eq!(back.name(), "hashing-via-langchain-rust");
        assert_eq!(back.dimension(), Some(HASHING_DEFAULT_DIM));

        // Errors: an HTTP status stays a status; the rest keep their message; both come
        // back to ferrofaiss as Bridged.
        let failing = FerrofaissEmbedder::new(Arc::new(Failing));
        match failing.embed_query("x").await.unwrap_err() {
            EmbedderError::HttpError {
                status_code,
                error_message,
            } => {
                assert_eq!(status_code.as_u16(), 429);
                assert_eq!(error_message, "slow down");
            }
            other => panic!("expected HttpError, got {other}"),
        }
        let err = failing.embed_documents(&texts).await.unwrap_err();
        assert!(
            err.to_string()
                .contains("ferrofaiss failing: embedding service unreachable: quota exceeded"),
            "{err}"
        );
        let round = LangchainEmbeddings::new(failing, "failing");
        let err = round.aembed_documents(&texts).await.unwrap_err();
        assert!(
            matches!(
                err,
                EmbeddingError::Bridged {
                    framework: "langchain-rust",
                    ..
                }
            ),
            "{err}"
        );
    });
}
