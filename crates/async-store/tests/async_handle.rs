//! The async handle answers exactly as the sync store, and clones share one store that
//! stays consistent under concurrent searches and writes.

use std::sync::Arc;

use ferrofaiss_async_store::AsyncFaissStore;
use ferrofaiss_embeddings::TrigramEmbeddings;
use ferrofaiss_store::{FaissStore, SearchOptions, SearchType, StoreConfig};

fn texts(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("document number {i} about topic {}", i % 7))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_answers_equal_sync_answers() {
    let emb = Arc::new(TrigramEmbeddings::new(64, true).unwrap());
    let sync =
        FaissStore::from_texts(&texts(40), emb.clone(), None, None, StoreConfig::new()).unwrap();
    let handle = AsyncFaissStore::new(sync.clone());
    for q in ["topic 3", "document number 12", "nothing alike"] {
        let opts = SearchOptions::new().k(5);
        assert_eq!(
            handle
                .similarity_search_with_score(q, opts.clone())
                .await
                .unwrap(),
            sync.similarity_search_with_score(q, &opts).unwrap()
        );
        assert_eq!(
            handle
                .max_marginal_relevance_search(q, opts.clone())
                .await
                .unwrap(),
            sync.max_marginal_relevance_search(q, &opts).unwrap()
        );
        assert_eq!(
            handle
                .as_retriever(
                    SearchType::SimilarityScoreThreshold,
                    opts.clone().score_threshold(0.1)
                )
                .unwrap()
                .invoke(q)
                .await
                .unwrap(),
            sync.search(
                q,
                SearchType::SimilarityScoreThreshold,
                &opts.clone().score_threshold(0.1)
            )
            .unwrap()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_and_readers_keep_the_store_consistent() {
    let emb = Arc::new(TrigramEmbeddings::new(64, true).unwrap());
    let handle = AsyncFaissStore::from_texts(texts(10), emb, None, None, StoreConfig::new())
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for w in 0..4 {
        let h = handle.clone();
        tasks.push(tokio::spawn(async move {
            for j in 0..5 {
                let id = format!("w{w}-{j}");
                h.add_texts(
                    vec![format!("added by writer {w} step {j}")],
                    None,
                    Some(vec![id.clone()]),
                )
                .await
                .unwrap();
                let hits = h
                    .similarity_search(&format!("writer {w} step {j}"), SearchOptions::new().k(50))
                    .await
                    .unwrap();
                assert!(hits.iter().any(|d| d.id.as_deref() == Some(id.as_str())));
                if j % 2 == 1 {
                    h.delete(vec![id]).await.unwrap();
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let store = handle.snapshot().unwrap();
    // 10 initial + 4 writers * 5 adds - 4 writers * 2 deletes.
    assert_eq!(store.len(), 10 + 20 - 8);
    assert_eq!(store.index().ntotal(), store.len());
    assert_eq!(store.docstore().len(), store.len());
    // Duplicate ids are refused through the handle too, without changing anything.
    let err = handle
        .add_texts(vec!["x".into()], None, Some(vec!["w0-0".into()]))
        .await;
    assert!(err.is_err());
    assert_eq!(handle.snapshot().unwrap().len(), store.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accessors_and_bytes_match_the_sync_store() {
    use ferrofaiss_embeddings::Embeddings;
    use ferrofaiss_store::LoadOptions;
    let emb = Arc::new(TrigramEmbeddings::new(64, true).unwrap());
    let sync =
        FaissStore::from_texts(&texts(12), emb.clone(), None, None, StoreConfig::new()).unwrap();
    let handle = AsyncFaissStore::new(sync.clone());
    assert_eq!(handle.len().await.unwrap(), 12);
    assert!(!handle.is_empty().await.unwrap());
    assert_eq!(handle.embeddings().await.unwrap().name(), emb.name());
    let ids = handle.index_to_docstore_id().await.unwrap();
    assert_eq!(ids, sync.index_to_docstore_id());
    let docs = handle.documents().await.unwrap();
    assert_eq!(docs, sync.get_by_ids(&ids));
    // The async bytes are the sync bytes, and they load back as the same store.
    let bytes = handle.serialize_to_bytes().await.unwrap();
    assert_eq!(bytes, sync.serialize_to_bytes().unwrap());
    let back = AsyncFaissStore::deserialize_from_bytes(bytes, emb, LoadOptions::new())
        .await
        .unwrap();
    assert_eq!(back.documents().await.unwrap(), docs);
    let opts = SearchOptions::new().k(3);
    assert_eq!(
        back.similarity_search_with_score("topic 3", opts.clone())
            .await
            .unwrap(),
        sync.similarity_search_with_score("topic 3", &opts).unwrap()
    );
    // An empty store says so.
    handle.delete(ids).await.unwrap();
    assert!(handle.is_empty().await.unwrap());
    assert!(handle.documents().await.unwrap().is_empty());
}
