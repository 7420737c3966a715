//! The rig adapter through rig's own types: rankings and filters checked against rig's
//! `InMemoryVectorStore` (cosine similarity over the same unit vectors, rig's own filter
//! evaluation), documents round-tripped, the embedder bridges both ways.

use std::sync::Arc;

use ferrofaiss::embeddings::{
    EmbedFuture, EmbeddingError, Embeddings, HashingEmbeddings, HASHING_DEFAULT_DIM,
};
use ferrofaiss::{AsyncFaissStore, FaissStore, SaveFormat, StoreConfig};
use ferrofaiss_rig::{embedding_model, FaissVectorIndex, RigEmbeddings};
use proptest::prelude::*;
use rig_core::embeddings::{EmbedError, Embedding, EmbeddingsBuilder, TextEmbedder};
use rig_core::vector_store::in_memory_store::InMemoryVectorStore;
use rig_core::vector_store::request::{Filter, SearchFilter};
use rig_core::vector_store::{InsertDocuments, VectorSearchRequest, VectorStoreIndex};
use rig_core::Embed;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Item {
    text: String,
    year: i64,
    tag: String,
}

impl Embed for Item {
    fn embed(&self, embedder: &mut TextEmbedder) -> Result<(), EmbedError> {
        embedder.embed(self.text.clone());
        Ok(())
    }
}

fn hashing() -> Arc<dyn Embeddings> {
    Arc::new(HashingEmbeddings::default())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn empty_index(embedder: Arc<dyn Embeddings>) -> FaissVectorIndex {
    let store =
        FaissStore::with_dimension(embedder, HASHING_DEFAULT_DIM, StoreConfig::new()).unwrap();
    FaissVectorIndex::new(AsyncFaissStore::new(store))
}

const WORDS: &[&str] = &[
    "court", "judge", "nation", "justice", "economy", "jobs", "war", "peace", "bridge", "road",
    "vaccine", "school", "tax", "border", "energy", "climate",
];

fn item_strategy() -> impl Strategy<Value = Item> {
    (
        prop::collection::vec(prop::sample::select(WORDS), 1..6),
        1990i64..2030,
        prop::sample::select(&["a", "b", "c"][..]),
    )
        .prop_map(|(words, year, tag)| Item {
            text: words.join(" "),
            year,
            tag: tag.to_string(),
        })
}

fn filter_strategy() -> impl Strategy<Value = Option<Filter<Value>>> {
    let leaf = prop_oneof![
        (1990i64..2030).prop_map(|y| Filter::gt("year", json!(y))),
        (1990i64..2030).prop_map(|y| Filter::lt("year", json!(y))),
        prop::sample::select(&["a", "b", "c"][..]).prop_map(|t| Filter::eq("tag", json!(t))),
        Just(Filter::eq("missing", json!(1))),
        // A type mismatch: never matches in rig.
        Just(Filter::gt("tag", json!(3))),
    ];
    let tree = leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| a.and(b)),
            (inner.clone(), inner).prop_map(|(a, b)| a.or(b)),
        ]
    });
    prop::option::of(tree)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Our top_n (exact among the matching rows) ranks as rig's brute-force in-memory
    /// store does over the same vectors with the same filter; scores fall with rank.
    #[test]
    fn top_n_matches_rigs_in_memory_store(
        items in prop::collection::vec(item_strategy(), 1..80),
        query in prop::collection::vec(prop::sample::select(WORDS), 1..4),
        samples in 0u64..12,
        filter in filter_strategy(),
    ) {
        // Distinct texts: equal vectors would tie, and ties may break either way.
        let mut items = items;
        items.sort_by(|a, b| a.text.cmp(&b.text));
        items.dedup_by(|a, b| a.text == b.text);
        let query = query.join(" ");
        runtime().block_on(async {
            let embedder = hashing();
            let embedded = EmbeddingsBuilder::new(embedding_model(embedder.clone()))
                .documents(items.clone())
                .unwrap()
                .build()
                .await
                .unwrap();

            let ours = empty_index(embedder.clone());
            ours.insert_documents(embedded.clone()).await.unwrap();
            let theirs = InMemoryVectorStore::from_documents(embedded)
                .index(embedding_model(embedder));

            let mut builder = VectorSearchRequest::builder().query(query.as_str()).samples(samples);
            if let Some(f) = filter.clone() {
                builder = builder.filter(f);
            }
            let request = builder.build();
            let got = ours.top_n::<Item>(request.clone()).await.unwrap();
            let want = theirs.top_n::<Item>(request.clone()).await.unwrap();
            // Same length, each of ours passes rig's filter, and rank by rank the cosine
            // similarity of our document is rig's score (so ties may break either way).
            // For unit vectors our relevance s = 1 - d/√2 with d = 2 - 2cos.
            prop_assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                let doc = serde_json::to_value(&g.document).unwrap();
                prop_assert!(filter.as_ref().is_none_or(|f| f.satisfies(&doc)));
                let cosine = 1.0 - (1.0 - g.score) * std::f64::consts::SQRT_2 / 2.0;
                prop_assert!((cosine - w.score).abs() < 1e-4, "{} vs {}", cosine, w.score);
            }
            prop_assert!(got.windows(2).all(|w| w[0].score >= w[1].score));

            let ids = ours.top_n_ids(request).await.unwrap();
            let got_ids: Vec<&String> = got.iter().map(|r| &r.id).collect();
            let ids: Vec<&String> = ids.iter().map(|r| &r.id).collect();
            prop_assert_eq!(got_ids, ids);
            Ok(())
        })?;
    }
}

#[test]
fn threshold_keeps_relevance_at_or_above_it() {
    runtime().block_on(async {
        let embedder = hashing();
        let texts: Vec<String> = WORDS.iter().map(|w| format!("the {w} report")).collect();
        let embedded = EmbeddingsBuilder::new(embedding_model(embedder.clone()))
            .documents(texts)
            .unwrap()
            .build()
            .await
            .unwrap();
        let index = empty_index(embedder);
        index.insert_documents(embedded).await.unwrap();
        let all = index
            .top_n_ids(
                VectorSearchRequest::builder()
                    .query("the court report")
                    .samples(100)
                    .build(),
            )
            .await
            .unwrap();
        assert_eq!(all.len(), WORDS.len());
        let threshold = all[3].score;
        let kept = index
            .top_n_ids(
                VectorSearchRequest::builder()
                    .query("the court report")
                    .samples(100)
                    .threshold(threshold)
                    .build(),
            )
            .await
            .unwrap();
        let want: Vec<_> = all
            .iter()
            .filter(|r| r.score >= threshold)
            .cloned()
            .collect();
        assert_eq!(kept, want);
        assert!(kept.len() >= 4);
    });
}

#[test]
fn documents_round_trip_and_multi_embedding_documents_are_rows() {
    runtime().block_on(async {
        let embedder = hashing();
        let index = empty_index(embedder.clone());
        let vector = |text: &str| Embedding {
            document: text.to_string(),
            vec: embedder
                .embed_query(text)
                .unwrap()
                .into_iter()
                .map(f64::from)
                .collect(),
        };
        index
            .insert_documents(vec![
                (
                    json!({"title": "first"}),
                    vec![vector("alpha beta"), vector("gamma delta")],
                ),
                (json!("a plain string"), vec![vector("epsilon zeta")]),
            ])
            .await
            .unwrap();
        assert_eq!(index.store().len().await.unwrap(), 3);

        let hits = index
            .top_n::<Value>(
                VectorSearchRequest::builder()
                    .query("gamma delta")
                    .samples(3)
                    .build(),
            )
            .await
            .unwrap();
        assert_eq!(hits[0].document, json!({"title": "first"}));
        assert!(hits.iter().any(|h| h.document == json!("a plain string")));
        // Each row has its own id.
        let mut ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 3);

        // A document rig cannot deserialize into the asked type is a JSON error.
        let err = index
            .top_n::<u32>(
                VectorSearchRequest::builder()
                    .query("alpha")
                    .samples(1)
                    .build(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, rig_core::vector_store::VectorStoreError::JsonError(_)),
            "{err}"
        );

        // Nothing inserted is a no-op; samples = 0 returns nothing.
        index
            .insert_documents(Vec::<(String, Vec<Embedding>)>::new())
            .await
            .unwrap();
        assert_eq!(index.store().len().await.unwrap(), 3);
        let none = index
            .top_n_ids(
                VectorSearchRequest::builder()
                    .query("alpha")
                    .samples(0)
                    .build(),
            )
            .await
            .unwrap();
        assert!(none.is_empty());

        // A vector of the wrong width is the store's error, reported as rig's.
        let err = index
            .insert_documents(vec![(
                "short".to_string(),
                vec![Embedding {
                    document: "x".into(),
                    vec: vec![1.0, 2.0],
                }],
            )])
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                rig_core::vector_store::VectorStoreError::DatastoreError(_)
            ),
            "{err}"
        );
        // So is a value that is not a finite f32.
        let mut huge = vector("eta");
        huge.vec[0] = 1e300;
        let err = index
            .insert_documents(vec![("huge".to_string(), vec![huge])])
            .await
            .unwrap_err();
        assert!(err.to_string().contains("finite"), "{err}");
        assert_eq!(index.store().len().await.unwrap(), 3);
    });
}

/// A store of rows written through rig, saved in LangChain's format and loaded back,
/// answers rig's queries the same; a LangChain store of plain texts reads as strings.
#[test]
fn saved_langchain_folder_answers_the_same() {
    runtime().block_on(async {
        let embedder = hashing();
        let texts: Vec<String> = WORDS.iter().map(|w| format!("a note on {w}")).collect();
        let embedded = EmbeddingsBuilder::new(embedding_model(embedder.clone()))
            .documents(texts.clone())
            .unwrap()
            .build()
            .await
            .unwrap();
        let index = empty_index(embedder.clone());
        index.insert_documents(embedded).await.unwrap();
        let request = VectorSearchRequest::builder()
            .query("a note on justice")
            .samples(5)
            .build();
        let before = index.top_n::<String>(request.clone()).await.unwrap();
        assert_eq!(before[0].document, "a note on justice");

        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        index
            .store()
            .save_local_with(dir.clone(), "index", SaveFormat::LangChain)
            .await
            .unwrap();
        let loaded = AsyncFaissStore::load_local(dir.clone(), embedder.clone(), Default::default())
            .await
            .unwrap();
        let after = FaissVectorIndex::new(loaded)
            .top_n::<String>(request.clone())
            .await
            .unwrap();
        assert_eq!(before, after);

        let plain = AsyncFaissStore::from_texts(texts, embedder, None, None, StoreConfig::new())
            .await
            .unwrap();
        let hits = FaissVectorIndex::new(plain)
            .top_n::<String>(request)
            .await
            .unwrap();
        assert_eq!(hits[0].document, "a note on justice");
    });
}

/// The bridges: ours → rig → ours gives the same vectors; errors cross as errors.
#[test]
fn embedder_bridges_round_trip() {
    runtime().block_on(async {
        let direct = hashing();
        let round = RigEmbeddings::new(embedding_model(direct.clone()));
        let texts = vec!["one text".to_string(), "another text".to_string()];
        assert_eq!(
            round.aembed_documents(&texts).await.unwrap(),
            direct.aembed_documents(&texts).await.unwrap()
        );
        assert_eq!(
            round.aembed_query("a query").await.unwrap(),
            direct.aembed_query("a query").await.unwrap()
        );
        assert_eq!(round.dimension(), Some(HASHING_DEFAULT_DIM));
        assert!(
            round.name().starts_with("rig:ferrofaiss:"),
            "{}",
            round.name()
        );

        // A store whose embedder is a rig model.
        let store = AsyncFaissStore::from_texts(
            texts.clone(),
            Arc::new(round),
            None,
            None,
            StoreConfig::new(),
        )
        .await
        .unwrap();
        let docs = store
            .similarity_search("another text", ferrofaiss::SearchOptions::new().k(1))
            .await
            .unwrap();
        assert_eq!(docs[0].page_content, "another text");

        let failing = RigEmbeddings::new(embedding_model(Arc::new(Failing)));
        let err = failing.aembed_query("x").await.unwrap_err();
        assert!(
            matches!(
                err,
                EmbeddingError::Bridged {
                    framework: "rig",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("quota"), "{err}");
    });
}

/// An embedder that always fails.
struct Failing;

impl Embeddings for Failing {
    fn aembed_documents<'a>(&'a self, _texts: &'a [String]) -> EmbedFuture<'a, Vec<Vec<f32>>> {
        Box::pin(async { Err(EmbeddingError::Transport("quota exceeded".into())) })
    }
    fn aembed_query<'a>(&'a self, _text: &'a str) -> EmbedFuture<'a, Vec<f32>> {
        Box::pin(async { Err(EmbeddingError::Transport("quota exceeded".into())) })
    }
    fn name(&self) -> String {
        "failing".into()
    }
}
