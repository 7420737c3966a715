//! [`FaissVectorStore`]: langchain-rust's `VectorStore` over an [`AsyncFaissStore`].

use std::collections::HashMap;
use std::error::Error;

use async_trait::async_trait;
use ferrofaiss::embeddings::vector_from_f64;
use ferrofaiss::{AsyncFaissStore, Filter, FilterMode, Metadata, SearchOptions};
use langchain_rust::schemas::Document;
use langchain_rust::vectorstore::{VecStoreOptions, VectorStore};
use serde_json::Value;

/// A ferrofaiss store as a langchain-rust vector store.
///
/// - `add_documents`: nothing to add returns no ids; each document is one row (its `page_content` embedded, its
///   metadata kept, keys sorted since a `HashMap` has no order); returns the new ids.
/// - `similarity_search(query, limit, opt)`: the `limit` nearest rows as documents whose
///   `score` is the store's relevance score (LangChain's
///   `similarity_search_with_relevance_scores`: `1 - d/√2` for the default Euclidean
///   strategy; higher is better).
/// - `opt.filters`: a LangChain metadata filter (the JSON of Python's dict filter),
///   evaluated over every row before the `limit` are taken, so the result is the exact
///   nearest `limit` among matching rows (not LangChain's "filter the 20 nearest"; on
///   an IVF store, among the rows of the probed lists, as Faiss does).
///   A filter LangChain would reject is an error. `opt.score_threshold` keeps relevance
///   `>=` it. `opt.embedder`, when set, embeds the documents or the query instead of
///   the store's embedder (its vectors must have the store's width).
/// - `opt.name_space` is an error: a ferrofaiss store has no namespaces (use one store
///   per namespace).
#[derive(Clone, Debug)]
pub struct FaissVectorStore {
    store: AsyncFaissStore,
}

impl FaissVectorStore {
    /// Wraps a store (a cheap clone of the handle: the store stays shared).
    pub fn new(store: AsyncFaissStore) -> Self {
        FaissVectorStore { store }
    }

    /// The wrapped store, for what langchain-rust's trait does not cover (save, load,
    /// delete, MMR, searches with raw scores).
    pub fn store(&self) -> &AsyncFaissStore {
        &self.store
    }
}

/// Refuses a namespace: one store holds one.
fn check_namespace(opt: &VecStoreOptions<Value>) -> Result<(), Box<dyn Error>> {
    match &opt.name_space {
        Some(ns) => Err(format!(
            "ferrofaiss stores have no namespaces (got name_space {ns:?}); use one store per namespace"
        )
        .into()),
        None => Ok(()),
    }
}

/// langchain-rust metadata as ours, keys sorted (a `HashMap` has no order to keep).
fn to_metadata(metadata: &HashMap<String, Value>) -> Metadata {
    let mut pairs: Vec<(&String, &Value)> = metadata.iter().collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    pairs
        .into_iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[async_trait]
impl VectorStore for FaissVectorStore {
    type Options = VecStoreOptions<Value>;

    async fn add_documents(
        &self,
        docs: &[Document],
        opt: &Self::Options,
    ) -> Result<Vec<String>, Box<dyn Error>> {
        check_namespace(opt)?;
        if docs.is_empty() {
            return Ok(Vec::new());
        }
        let texts: Vec<String> = docs.iter().map(|d| d.page_content.clone()).collect();
        let metadatas: Vec<Metadata> = docs.iter().map(|d| to_metadata(&d.metadata)).collect();
        let ids = match &opt.embedder {
            None => self.store.add_texts(texts, Some(metadatas), None).await?,
            Some(embedder) => {
                let vectors = embedder.embed_documents(&texts).await?;
                if vectors.len() != texts.len() {
                    return Err(format!(
                        "the embedder returned {} vectors for {} documents",
                        vectors.len(),
                        texts.len()
                    )
                    .into());
                }
                let pairs = texts
                    .into_iter()
                    .zip(&vectors)
                    .map(|(text, v)| Ok((text, vector_from_f64(v)?)))
                    .collect::<Result<Vec<_>, ferrofaiss::embeddings::EmbeddingError>>()?;
                self.store
                    .add_embeddings(pairs, Some(metadatas), None)
                    .await?
            }
        };
        Ok(ids)
    }

    async fn similarity_search(
        &self,
        query: &str,
        limit: usize,
        opt: &Self::Options,
    ) -> Result<Vec<Document>, Box<dyn Error>> {
        check_namespace(opt)?;
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut opts = SearchOptions::new().k(limit);
        if let Some(filter) = opt.filters.as_ref().map(Filter::from_json_optional) {
            if let Some(filter) = filter? {
                // The filter chooses among all rows, inside the index scan.
                opts = opts.filter(filter).filter_mode(FilterMode::Exact);
            }
        }
        if let Some(threshold) = opt.score_threshold {
            opts = opts.score_threshold(threshold);
        }
        let hits = match &opt.embedder {
            None => {
                self.store
                    .similarity_search_with_relevance_scores(query, opts)
                    .await?
            }
            Some(embedder) => {
                let vector = vector_from_f64(&embedder.embed_query(query).await?)?;
                self.store
                    .similarity_search_with_relevance_scores_by_vector(vector, opts)
                    .await?
            }
        };
        Ok(hits
            .into_iter()
            .map(|(doc, score)| Document {
                page_content: doc.page_content,
                metadata: doc.metadata.into_iter().collect(),
                score: f64::from(score),
            })
            .collect())
    }
}
