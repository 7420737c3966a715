//! [`FaissVectorIndex`]: rig's `VectorStoreIndex` and `InsertDocuments` over an
//! [`AsyncFaissStore`].

// rig's traits fix the error type: its `VectorStoreError` is large, and boxing it is not
// ours to choose.
#![allow(clippy::result_large_err)]

use ferrofaiss::embeddings::vector_from_f64;
use ferrofaiss::{AsyncFaissStore, Document, FilterMode, SearchOptions, StoreError};
use rig_core::embeddings::Embedding;
use rig_core::vector_store::request::Filter;
use rig_core::vector_store::{
    flatten_embedded, InsertDocuments, VectorSearchIdResult, VectorSearchRequest,
    VectorSearchResult, VectorStoreError, VectorStoreIndex,
};
use rig_core::wasm_compat::WasmCompatSend;
use rig_core::Embed;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::filter::to_store_filter;
use crate::payload::{from_row, to_metadata};

/// A ferrofaiss store as a rig vector index.
///
/// - **Search** (`top_n`, `top_n_ids`): the query is embedded by the store's own
///   embedder; scores are the store's relevance scores (LangChain's
///   `similarity_search_with_relevance_scores`: `1 - d/√2` for the default Euclidean
///   strategy, higher is better), and `threshold` keeps scores `>=` it. A rig
///   [`Filter`] chooses among all rows before the top `samples` are taken, as rig's
///   own stores do ([`FilterMode::Exact`]; on an IVF store, among the rows of the
///   probed lists, as Faiss does), not LangChain's "filter the `fetch_k` nearest".
///   `samples = 0` returns nothing. A store whose distance strategy has no relevance
///   function (`DOT_PRODUCT`, `JACCARD` without a custom one) fails every search.
/// - **Documents**: `top_n::<T>` deserializes `T` from a row's metadata (what
///   [`InsertDocuments`] stored, see the crate docs); a row with no metadata, as in a
///   LangChain store of plain texts, is its text, so `top_n::<String>` reads those.
///   `id` is the row's docstore id.
/// - **Insert**: one row per embedding (a document with several embeddings is several
///   rows sharing its metadata), under fresh uuid ids. The vectors are used as given:
///   they must come from the same embedder as the store's queries.
#[derive(Clone, Debug)]
pub struct FaissVectorIndex {
    store: AsyncFaissStore,
}

impl FaissVectorIndex {
    /// Wraps a store (a cheap clone of the handle: the store stays shared).
    pub fn new(store: AsyncFaissStore) -> Self {
        FaissVectorIndex { store }
    }

    /// The wrapped store, for everything rig's traits do not cover (save, delete,
    /// MMR, LangChain-style searches).
    pub fn store(&self) -> &AsyncFaissStore {
        &self.store
    }

    /// The rows for `req`, best first, with their relevance scores.
    async fn search(
        &self,
        req: &VectorSearchRequest<Filter<Value>>,
    ) -> Result<Vec<(Document, f32)>, VectorStoreError> {
        let k =
            usize::try_from(req.samples()).map_err(|_| VectorStoreError::SamplesOutOfRange {
                requested: req.samples(),
                max: usize::MAX as u64,
            })?;
        if k == 0 {
            return Ok(Vec::new());
        }
        let mut opts = SearchOptions::new().k(k);
        if let Some(filter) = req.filter() {
            // The filter chooses among all rows, inside the index scan.
            opts = opts
                .filter(to_store_filter(filter))
                .filter_mode(FilterMode::Exact);
        }
        let hits = self
            .store
            .similarity_search_with_relevance_scores(req.query(), opts)
            .await
            .map_err(datastore)?;
        // rig's threshold is an f64 minimum, compared as such (not rounded to f32).
        Ok(match req.threshold() {
            Some(threshold) => hits
                .into_iter()
                .filter(|(_, score)| f64::from(*score) >= threshold)
                .collect(),
            None => hits,
        })
    }
}

/// A store error as rig's datastore error.
fn datastore(error: StoreError) -> VectorStoreError {
    VectorStoreError::datastore(error)
}

/// The id rig reports for a row (rows always have one in a consistent store).
fn row_id(doc: &Document) -> String {
    doc.id.clone().unwrap_or_default()
}

impl VectorStoreIndex for FaissVectorIndex {
    type Filter = Filter<Value>;

    async fn top_n<T: DeserializeOwned + WasmCompatSend>(
        &self,
        req: VectorSearchRequest<Self::Filter>,
    ) -> Result<Vec<VectorSearchResult<T>>, VectorStoreError> {
        self.search(&req)
            .await?
            .into_iter()
            .map(|(doc, score)| {
                Ok(VectorSearchResult {
                    score: f64::from(score),
                    id: row_id(&doc),
                    document: serde_json::from_value(from_row(&doc))?,
                })
            })
            .collect()
    }

    async fn top_n_ids(
        &self,
        req: VectorSearchRequest<Self::Filter>,
    ) -> Result<Vec<VectorSearchIdResult>, VectorStoreError> {
        Ok(self
            .search(&req)
            .await?
            .into_iter()
            .map(|(doc, score)| VectorSearchIdResult {
                score: f64::from(score),
                id: row_id(&doc),
            })
            .collect())
    }
}

impl InsertDocuments for FaissVectorIndex {
    async fn insert_documents<Doc: Serialize + Embed + WasmCompatSend>(
        &self,
        documents: Vec<(Doc, Vec<Embedding>)>,
    ) -> Result<(), VectorStoreError> {
        let rows = flatten_embedded(documents, |json, embedding| {
            let vector = vector_from_f64(&embedding.vec).map_err(VectorStoreError::datastore)?;
            Ok(((embedding.document, vector), to_metadata(json.clone())))
        })?;
        if rows.is_empty() {
            return Ok(());
        }
        let (pairs, metadatas): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
        self.store
            .add_embeddings(pairs, Some(metadatas), None)
            .await
            .map_err(datastore)?;
        Ok(())
    }
}
