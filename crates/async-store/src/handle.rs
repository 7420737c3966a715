//! [`AsyncFaissStore`]: the handle, its constructors and one async method per
//! method of the sync store.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use ferrofaiss_docstore::{Document, Metadata};
use ferrofaiss_embeddings::Embeddings;

use ferrofaiss_store::batch::{check_embedding_count, prepare_batch, split_documents};
use ferrofaiss_store::{
    FaissStore, FilterMode, LoadOptions, QueryKind, SaveFormat, SearchOptions, SearchType,
    StoreConfig, StoreError,
};

use crate::coalesce::{panic_message, Batching, Coalescer};
use crate::lock::{blocking, read_lock, write_lock};

/// A shared, thread-safe store with async methods. Cloning the handle is cheap and
/// every clone sees the same store.
///
/// ```
/// use std::sync::Arc;
/// use ferrofaiss_async_store::AsyncFaissStore;
/// use ferrofaiss_store::{SearchOptions, StoreConfig};
/// use ferrofaiss_embeddings::FakeEmbeddings;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let store = AsyncFaissStore::from_texts(
///     vec!["foo".into(), "bar".into()],
///     Arc::new(FakeEmbeddings::new()),
///     None,
///     None,
///     StoreConfig::new(),
/// )
/// .await?;
/// let docs = store.similarity_search("foo", SearchOptions::new().k(1)).await?;
/// assert_eq!(docs[0].page_content, "foo");
/// # Ok::<(), ferrofaiss_store::StoreError>(())
/// # }).unwrap();
/// ```
///
/// Searches that arrive while another search is running are answered together in the
/// next pass (see [`Batching`]; each caller still gets exactly the result its own search
/// would give). [`AsyncFaissStore::builder`] sets the batch size and wait.
#[derive(Debug, Clone)]
pub struct AsyncFaissStore {
    inner: Arc<RwLock<FaissStore>>,
    coalescer: Arc<Coalescer>,
}

/// Builds an [`AsyncFaissStore`] with chosen [`Batching`]
/// ([`AsyncFaissStore::builder`]).
#[derive(Debug)]
#[must_use]
pub struct AsyncFaissStoreBuilder {
    store: FaissStore,
    batching: Batching,
}

impl AsyncFaissStoreBuilder {
    /// The most searches one pass answers (default
    /// [`Batching::DEFAULT_MAX_BATCH`]; 1 turns batching off; 0 is refused by
    /// [`AsyncFaissStoreBuilder::build`]).
    pub fn max_batch(mut self, max_batch: usize) -> Self {
        self.batching = self.batching.max_batch(max_batch);
        self
    }

    /// How long a pass that is not full waits for more searches before it starts
    /// (default zero: searches that arrive during a pass form the next one).
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.batching = self.batching.max_wait(max_wait);
        self
    }

    /// The largest store work searched on the calling task (default
    /// [`Batching::DEFAULT_INLINE_LIMIT`]; see [`Batching::inline_limit`]).
    pub fn inline_limit(mut self, floats: usize) -> Self {
        self.batching = self.batching.inline_limit(floats);
        self
    }

    /// All settings at once.
    pub fn batching(mut self, batching: Batching) -> Self {
        self.batching = batching;
        self
    }

    /// The handle. Fails with [`StoreError::InvalidParameter`] when `max_batch` is 0.
    pub fn build(self) -> Result<AsyncFaissStore, StoreError> {
        Ok(AsyncFaissStore::with_coalescer(
            Arc::new(RwLock::new(self.store)),
            self.batching.check()?,
        ))
    }
}

impl From<FaissStore> for AsyncFaissStore {
    fn from(store: FaissStore) -> Self {
        AsyncFaissStore::new(store)
    }
}

impl AsyncFaissStore {
    /// Wraps a store, with the default [`Batching`].
    pub fn new(store: FaissStore) -> Self {
        AsyncFaissStore::with_coalescer(Arc::new(RwLock::new(store)), Batching::new())
    }

    /// A builder that wraps `store` with chosen [`Batching`].
    ///
    /// ```
    /// use std::time::Duration;
    /// # use std::sync::Arc;
    /// # use ferrofaiss_async_store::AsyncFaissStore;
    /// # use ferrofaiss_embeddings::FakeEmbeddings;
    /// # use ferrofaiss_store::{FaissStore, StoreConfig};
    /// # let store = FaissStore::from_texts(&["foo"], Arc::new(FakeEmbeddings::new()), None, None, StoreConfig::new())?;
    /// let handle = AsyncFaissStore::builder(store)
    ///     .max_batch(32)
    ///     .max_wait(Duration::from_micros(200))
    ///     .build()?;
    /// assert_eq!(handle.batching().batch_limit(), 32);
    /// # Ok::<(), ferrofaiss_store::StoreError>(())
    /// ```
    pub fn builder(store: FaissStore) -> AsyncFaissStoreBuilder {
        AsyncFaissStoreBuilder {
            store,
            batching: Batching::new(),
        }
    }

    fn with_coalescer(inner: Arc<RwLock<FaissStore>>, batching: Batching) -> Self {
        AsyncFaissStore {
            inner,
            coalescer: Arc::new(Coalescer::new(batching)),
        }
    }

    /// How this handle groups concurrent searches.
    pub fn batching(&self) -> Batching {
        self.coalescer.batching()
    }

    /// How many batched search passes this handle (and its clones) has run: fewer than
    /// the searches made when concurrent searches shared passes. With batching off
    /// (`max_batch(1)`) searches bypass the batcher and this stays 0.
    pub fn search_passes(&self) -> u64 {
        self.coalescer.passes()
    }

    /// Shared access to the store, blocking the calling thread while a writer holds it
    /// (call it outside async code or inside `spawn_blocking`).
    ///
    /// After a writer panicked while holding the store (its lock is poisoned), the next
    /// access checks the store whole: if every part still agrees the poison is cleared
    /// and work goes on; otherwise every access fails with
    /// [`StoreError::Poisoned`], since the store may hold half a write.
    pub fn read(&self) -> Result<RwLockReadGuard<'_, FaissStore>, StoreError> {
        read_lock(&self.inner)
    }

    /// Exclusive access to the store (same caveats as [`AsyncFaissStore::read`]).
    pub fn write(&self) -> Result<RwLockWriteGuard<'_, FaissStore>, StoreError> {
        write_lock(&self.inner)
    }

    /// A deep copy of the store as it is now.
    pub fn snapshot(&self) -> Result<FaissStore, StoreError> {
        Ok(self.read()?.clone())
    }

    /// The store, if this is the last handle; otherwise the handle back. A store that a
    /// panicking writer left inconsistent is never returned: the handle comes back,
    /// and its calls fail with [`StoreError::Poisoned`].
    pub fn try_into_inner(self) -> Result<FaissStore, AsyncFaissStore> {
        let coalescer = self.coalescer;
        let back = |inner| AsyncFaissStore {
            inner,
            coalescer: Arc::clone(&coalescer),
        };
        match Arc::try_unwrap(self.inner) {
            Ok(lock) => {
                if lock.is_poisoned() && read_lock(&lock).is_err() {
                    return Err(back(Arc::new(lock)));
                }
                lock.clear_poison();
                lock.into_inner()
                    .map_err(|e| back(Arc::new(RwLock::new(e.into_inner()))))
            }
            Err(inner) => Err(back(inner)),
        }
    }

    async fn with_read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&FaissStore) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        blocking(move || f(&*read_lock(&inner)?)).await
    }

    async fn with_write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut FaissStore) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        blocking(move || f(&mut *write_lock(&inner)?)).await
    }

    /// A search by vector: on the calling task when the store is small (see
    /// [`Batching::inline_limit`]), else through the coalescer (sharing a pass with
    /// concurrent searches), or, with batching off, a pass of its own.
    async fn coalesced(
        &self,
        embedding: Vec<f32>,
        opts: SearchOptions,
        kind: QueryKind,
    ) -> Result<Vec<(Document, f32)>, StoreError> {
        if let Some(answer) = self.inline_search(&embedding, &opts, kind) {
            return answer;
        }
        if self.coalescer.batching().batch_limit() > 1 {
            return self
                .coalescer
                .search(&self.inner, embedding, opts, kind)
                .await;
        }
        self.with_read(move |s| s.search_by_kind(&embedding, &opts, kind))
            .await
    }

    /// The search, run here, when the store's work is within the inline limit and its
    /// lock is free at once; `None` sends it to another thread.
    fn inline_search(
        &self,
        embedding: &[f32],
        opts: &SearchOptions,
        kind: QueryKind,
    ) -> Option<Result<Vec<(Document, f32)>, StoreError>> {
        let limit = self.coalescer.batching().inline_floats();
        if limit == 0 || (opts.filter.is_some() && opts.filter_mode == FilterMode::Exact) {
            return None;
        }
        let store = self.inner.try_read().ok()?;
        let index = store.index();
        let work = index.ntotal().saturating_mul(index.dimension().max(64));
        if work > limit {
            return None;
        }
        let run = || store.search_by_kind(embedding, opts, kind);
        Some(
            catch_unwind(AssertUnwindSafe(run))
                .unwrap_or_else(|panic| Err(StoreError::Background(panic_message(panic.as_ref())))),
        )
    }

    async fn embedder(&self) -> Result<Arc<dyn Embeddings>, StoreError> {
        self.with_read(|s| Ok(Arc::clone(s.embeddings()))).await
    }

    async fn embed_query(&self, query: &str) -> Result<Vec<f32>, StoreError> {
        let embedder = self.embedder().await?;
        Ok(embedder.aembed_query(query).await?)
    }

    // ----- constructors ---------------------------------------------------------------

    /// Async [`FaissStore::from_texts`]: awaits `aembed_documents`, builds the index on
    /// the blocking pool.
    #[doc(alias = "afrom_texts")]
    pub async fn from_texts(
        texts: Vec<String>,
        embedder: Arc<dyn Embeddings>,
        metadatas: Option<Vec<Metadata>>,
        ids: Option<Vec<String>>,
        config: StoreConfig,
    ) -> Result<Self, StoreError> {
        let (ids, metadatas) = prepare_batch(texts.len(), metadatas, ids)?;
        let vectors = embedder.aembed_documents(&texts).await?;
        check_embedding_count(texts.len(), &vectors)?;
        let pairs = texts.into_iter().zip(vectors).collect();
        Self::from_embeddings(pairs, embedder, Some(metadatas), Some(ids), config).await
    }

    /// Async [`FaissStore::from_documents`].
    #[doc(alias = "afrom_documents")]
    pub async fn from_documents(
        documents: Vec<Document>,
        embedder: Arc<dyn Embeddings>,
        ids: Option<Vec<String>>,
        config: StoreConfig,
    ) -> Result<Self, StoreError> {
        let (texts, metadatas, ids) = split_documents(documents, ids);
        Self::from_texts(texts, embedder, Some(metadatas), ids, config).await
    }

    /// Async [`FaissStore::from_embeddings`] (nothing to embed; the index is built on
    /// the blocking pool).
    #[doc(alias = "afrom_embeddings")]
    pub async fn from_embeddings(
        text_embeddings: Vec<(String, Vec<f32>)>,
        embedder: Arc<dyn Embeddings>,
        metadatas: Option<Vec<Metadata>>,
        ids: Option<Vec<String>>,
        config: StoreConfig,
    ) -> Result<Self, StoreError> {
        let store = blocking(move || {
            FaissStore::from_embeddings(text_embeddings, embedder, metadatas, ids, config)
        })
        .await?;
        Ok(Self::new(store))
    }

    /// Async [`FaissStore::load_local`] (file reading on the blocking pool).
    pub async fn load_local(
        folder: impl Into<PathBuf>,
        embedder: Arc<dyn Embeddings>,
        opts: LoadOptions,
    ) -> Result<Self, StoreError> {
        let folder = folder.into();
        let store = blocking(move || FaissStore::load_local(folder, embedder, &opts)).await?;
        Ok(Self::new(store))
    }

    /// Async [`FaissStore::save_local`] (under a shared lock: searches go on).
    pub async fn save_local(
        &self,
        folder: impl Into<PathBuf>,
        index_name: &str,
    ) -> Result<(), StoreError> {
        let (folder, name) = (folder.into(), index_name.to_string());
        self.with_read(move |s| s.save_local(folder, &name)).await
    }

    /// Async [`FaissStore::save_local_with`]: ours or LangChain's files (under a shared
    /// lock: searches go on).
    pub async fn save_local_with(
        &self,
        folder: impl Into<PathBuf>,
        index_name: &str,
        format: SaveFormat,
    ) -> Result<(), StoreError> {
        let (folder, name) = (folder.into(), index_name.to_string());
        self.with_read(move |s| s.save_local_with(folder, &name, format))
            .await
    }

    // ----- adding ---------------------------------------------------------------------

    /// Async [`FaissStore::add_texts`]: awaits `aembed_documents`, then adds under an
    /// exclusive lock.
    #[doc(alias = "aadd_texts")]
    pub async fn add_texts(
        &self,
        texts: Vec<String>,
        metadatas: Option<Vec<Metadata>>,
        ids: Option<Vec<String>>,
    ) -> Result<Vec<String>, StoreError> {
        let (ids, metadatas) = prepare_batch(texts.len(), metadatas, ids)?;
        let embedder = self.embedder().await?;
        let vectors = embedder.aembed_documents(&texts).await?;
        check_embedding_count(texts.len(), &vectors)?;
        let pairs: Vec<(String, Vec<f32>)> = texts.into_iter().zip(vectors).collect();
        self.with_write(move |s| s.add_embeddings(pairs, Some(metadatas), Some(ids)))
            .await
    }

    /// Async [`FaissStore::add_documents`].
    #[doc(alias = "aadd_documents")]
    pub async fn add_documents(
        &self,
        documents: Vec<Document>,
        ids: Option<Vec<String>>,
    ) -> Result<Vec<String>, StoreError> {
        let (texts, metadatas, ids) = split_documents(documents, ids);
        self.add_texts(texts, Some(metadatas), ids).await
    }

    /// Async [`FaissStore::add_embeddings`].
    pub async fn add_embeddings(
        &self,
        text_embeddings: Vec<(String, Vec<f32>)>,
        metadatas: Option<Vec<Metadata>>,
        ids: Option<Vec<String>>,
    ) -> Result<Vec<String>, StoreError> {
        self.with_write(move |s| s.add_embeddings(text_embeddings, metadatas, ids))
            .await
    }

    // ----- searching --------------------------------------------------------------------

    /// Async [`FaissStore::similarity_search_with_score_by_vector`].
    #[doc(alias = "asimilarity_search_with_score_by_vector")]
    pub async fn similarity_search_with_score_by_vector(
        &self,
        embedding: Vec<f32>,
        opts: SearchOptions,
    ) -> Result<Vec<(Document, f32)>, StoreError> {
        self.coalesced(embedding, opts, QueryKind::Scores).await
    }

    /// Async [`FaissStore::similarity_search_by_vector`].
    #[doc(alias = "asimilarity_search_by_vector")]
    pub async fn similarity_search_by_vector(
        &self,
        embedding: Vec<f32>,
        opts: SearchOptions,
    ) -> Result<Vec<Document>, StoreError> {
        Ok(strip_scores(
            self.similarity_search_with_score_by_vector(embedding, opts)
                .await?,
        ))
    }

    /// Async [`FaissStore::similarity_search_with_score`]: awaits `aembed_query`.
    #[doc(alias = "asimilarity_search_with_score")]
    pub async fn similarity_search_with_score(
        &self,
        query: &str,
        opts: SearchOptions,
    ) -> Result<Vec<(Document, f32)>, StoreError> {
        let embedding = self.embed_query(query).await?;
        self.similarity_search_with_score_by_vector(embedding, opts)
            .await
    }

    /// Async [`FaissStore::similarity_search`].
    #[doc(alias = "asimilarity_search")]
    pub async fn similarity_search(
        &self,
        query: &str,
        opts: SearchOptions,
    ) -> Result<Vec<Document>, StoreError> {
        Ok(strip_scores(
            self.similarity_search_with_score(query, opts).await?,
        ))
    }

    /// Async [`FaissStore::similarity_search_with_relevance_scores`].
    #[doc(alias = "asimilarity_search_with_relevance_scores")]
    pub async fn similarity_search_with_relevance_scores(
        &self,
        query: &str,
        opts: SearchOptions,
    ) -> Result<Vec<(Document, f32)>, StoreError> {
        let embedding = self.embed_query(query).await?;
        self.similarity_search_with_relevance_scores_by_vector(embedding, opts)
            .await
    }

    /// Async [`FaissStore::similarity_search_with_relevance_scores_by_vector`] (not a
    /// LangChain method: for a query embedded by another embedder).
    pub async fn similarity_search_with_relevance_scores_by_vector(
        &self,
        embedding: Vec<f32>,
        opts: SearchOptions,
    ) -> Result<Vec<(Document, f32)>, StoreError> {
        self.coalesced(embedding, opts, QueryKind::RelevanceScores)
            .await
    }

    /// Async [`FaissStore::max_marginal_relevance_search_with_score_by_vector`].
    #[doc(alias = "amax_marginal_relevance_search_with_score_by_vector")]
    pub async fn max_marginal_relevance_search_with_score_by_vector(
        &self,
        embedding: Vec<f32>,
        opts: SearchOptions,
    ) -> Result<Vec<(Document, f32)>, StoreError> {
        self.coalesced(embedding, opts, QueryKind::Mmr).await
    }

    /// Async [`FaissStore::max_marginal_relevance_search_by_vector`].
    #[doc(alias = "amax_marginal_relevance_search_by_vector")]
    pub async fn max_marginal_relevance_search_by_vector(
        &self,
        embedding: Vec<f32>,
        opts: SearchOptions,
    ) -> Result<Vec<Document>, StoreError> {
        Ok(strip_scores(
            self.max_marginal_relevance_search_with_score_by_vector(embedding, opts)
                .await?,
        ))
    }

    /// Async [`FaissStore::max_marginal_relevance_search`]: awaits `aembed_query`.
    #[doc(alias = "amax_marginal_relevance_search")]
    pub async fn max_marginal_relevance_search(
        &self,
        query: &str,
        opts: SearchOptions,
    ) -> Result<Vec<Document>, StoreError> {
        let embedding = self.embed_query(query).await?;
        self.max_marginal_relevance_search_by_vector(embedding, opts)
            .await
    }

    /// Async [`FaissStore::search`].
    #[doc(alias = "asearch")]
    pub async fn search(
        &self,
        query: &str,
        search_type: SearchType,
        opts: SearchOptions,
    ) -> Result<Vec<Document>, StoreError> {
        match search_type {
            SearchType::Similarity => self.similarity_search(query, opts).await,
            SearchType::SimilarityScoreThreshold => Ok(strip_scores(
                self.similarity_search_with_relevance_scores(query, opts)
                    .await?,
            )),
            SearchType::Mmr => self.max_marginal_relevance_search(query, opts).await,
        }
    }

    // ----- accessors and bytes ---------------------------------------------------------

    /// Number of documents, read under the shared lock on the blocking pool (so the
    /// executor never waits on a writer).
    pub async fn len(&self) -> Result<usize, StoreError> {
        self.with_read(|s| Ok(s.len())).await
    }

    /// Whether the store holds no documents (see [`AsyncFaissStore::len`]).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        self.with_read(|s| Ok(s.is_empty())).await
    }

    /// The store's embedder (a shared handle to it).
    pub async fn embeddings(&self) -> Result<Arc<dyn Embeddings>, StoreError> {
        self.embedder().await
    }

    /// An owned copy of the row-to-id map (LangChain's `index_to_docstore_id`).
    pub async fn index_to_docstore_id(&self) -> Result<Vec<String>, StoreError> {
        self.with_read(|s| Ok(s.index_to_docstore_id().to_vec()))
            .await
    }

    /// An owned copy of every document, in row order.
    pub async fn documents(&self) -> Result<Vec<Document>, StoreError> {
        self.with_read(|s| Ok(s.get_by_ids(s.index_to_docstore_id())))
            .await
    }

    /// Async [`FaissStore::serialize_to_bytes`] (under the shared lock: searches go
    /// on).
    #[doc(alias = "aserialize_to_bytes")]
    pub async fn serialize_to_bytes(&self) -> Result<Vec<u8>, StoreError> {
        self.with_read(|s| s.serialize_to_bytes()).await
    }

    /// Async [`FaissStore::deserialize_from_bytes`] (decoding on the blocking pool).
    #[doc(alias = "adeserialize_from_bytes")]
    pub async fn deserialize_from_bytes(
        bytes: Vec<u8>,
        embedder: Arc<dyn Embeddings>,
        opts: LoadOptions,
    ) -> Result<Self, StoreError> {
        let store =
            blocking(move || FaissStore::deserialize_from_bytes(&bytes, embedder, &opts)).await?;
        Ok(Self::new(store))
    }

    // ----- delete, get, merge -------------------------------------------------------

    /// Async [`FaissStore::delete`].
    #[doc(alias = "adelete")]
    pub async fn delete(&self, ids: Vec<String>) -> Result<usize, StoreError> {
        self.with_write(move |s| s.delete(&ids)).await
    }

    /// Async [`FaissStore::get_by_ids`].
    #[doc(alias = "aget_by_ids")]
    pub async fn get_by_ids(&self, ids: Vec<String>) -> Result<Vec<Document>, StoreError> {
        self.with_read(move |s| Ok(s.get_by_ids(&ids))).await
    }

    /// Async [`FaissStore::merge_from`] (LangChain has no async merge). Merging a
    /// handle into itself is refused by the id check (every id already exists).
    pub async fn merge_from(&self, other: &AsyncFaissStore) -> Result<(), StoreError> {
        let theirs = other.clone();
        let source = theirs.with_read(|s| Ok(s.clone())).await?;
        self.with_write(move |s| s.merge_from(&source)).await
    }
}

/// The documents of `(document, score)` pairs, in order.
fn strip_scores(pairs: Vec<(Document, f32)>) -> Vec<Document> {
    pairs.into_iter().map(|(doc, _)| doc).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrofaiss_embeddings::FakeEmbeddings;

    fn handle() -> AsyncFaissStore {
        let texts = ["alpha", "beta", "gamma"];
        let store = FaissStore::from_texts(
            &texts,
            Arc::new(FakeEmbeddings::new()),
            None,
            None,
            StoreConfig::new(),
        )
        .unwrap();
        AsyncFaissStore::new(store)
    }

    /// Panics while holding the write lock after `mutate` ran on the store.
    fn panic_inside_write(handle: &AsyncFaissStore, mutate: fn(&mut FaissStore)) {
        let h = handle.clone();
        let joined = std::thread::spawn(move || {
            let mut guard = h.write().unwrap();
            mutate(&mut guard);
            panic!("a writer fails midway");
        })
        .join();
        assert!(joined.is_err());
        assert!(handle.inner.is_poisoned());
    }

    #[test]
    fn a_panic_that_leaves_the_store_whole_does_not_poison_it_for_good() {
        let handle = handle();
        panic_inside_write(&handle, |_| {});
        assert_eq!(handle.read().unwrap().len(), 3);
        assert!(!handle.inner.is_poisoned());
        panic_inside_write(&handle, |_| {});
        let first = handle.read_ids().remove(0);
        handle.write().unwrap().delete(&[first]).unwrap();
        panic_inside_write(&handle, |_| {});
        let store = handle.try_into_inner().expect("a whole store comes back");
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn a_panic_that_leaves_half_a_write_is_refused_from_then_on() {
        let handle = handle();
        panic_inside_write(&handle, |store| {
            ferrofaiss_store::__test_seams::push_unbacked_id(store, "half-added");
        });
        for _ in 0..2 {
            assert!(matches!(handle.read(), Err(StoreError::Poisoned(_))));
            assert!(matches!(handle.write(), Err(StoreError::Poisoned(_))));
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = rt
            .block_on(handle.similarity_search_by_vector(vec![0.0; 10], SearchOptions::new()))
            .unwrap_err();
        assert!(matches!(err, StoreError::Poisoned(_)), "{err}");
        let back = handle
            .try_into_inner()
            .expect_err("half a write is never handed out");
        assert!(matches!(back.read(), Err(StoreError::Poisoned(_))));
    }

    impl AsyncFaissStore {
        fn read_ids(&self) -> Vec<String> {
            self.read().unwrap().index_to_docstore_id().to_vec()
        }
    }
}
