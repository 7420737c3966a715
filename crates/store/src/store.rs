//! The synchronous store: a Faiss-style index, the documents, and the map from index
//! rows to document ids, kept consistent by every operation.

use std::fmt;
use std::sync::Arc;

use ferrofaiss_docstore::{Document, InMemoryDocstore, Metadata};
use ferrofaiss_embeddings::Embeddings;
use ferrofaiss_index::{
    index_factory, DirectMapType, Index, IndexError, IvfFlatIndex, IvfSqIndex, MetricType,
};

use crate::device::{moved, to_device, Device};
use crate::distance::DistanceStrategy;
use crate::error::StoreError;
use crate::metadata_index::MetadataIndex;
use crate::relevance::RelevanceScoreFn;

/// The index a store builds when none is given: Faiss's flat (exact) index.
pub const DEFAULT_INDEX_FACTORY: &str = "Flat";

/// How a store scores and indexes vectors: LangChain's constructor keyword arguments
/// (`distance_strategy`, `normalize_L2`, `relevance_score_fn`) plus the index to build.
///
/// ```
/// use ferrofaiss_store::{DistanceStrategy, StoreConfig};
/// let config = StoreConfig::new()
///     .distance_strategy(DistanceStrategy::MaxInnerProduct)
///     .normalize_l2(true)
///     .index_factory("IVF4,Flat");
/// assert_eq!(config.index_factory, "IVF4,Flat");
/// ```
///
/// Serializable (serde): `distance_strategy` by LangChain's name, `normalize_l2`,
/// `index_factory`; missing fields take their defaults. The relevance closure is not
/// serialized and deserializes as `None` (the strategy's built-in function): set it
/// again after loading a config.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct StoreConfig {
    /// The distance strategy (default `EUCLIDEAN_DISTANCE`). `MAX_INNER_PRODUCT` builds
    /// an inner-product index; every other strategy an L2 index.
    pub distance_strategy: DistanceStrategy,
    /// L2-normalize stored vectors and similarity queries (LangChain `normalize_L2`).
    pub normalize_l2: bool,
    /// A custom relevance function replacing the strategy's built-in one. Not
    /// serialized; `None` after deserializing.
    #[serde(skip)]
    pub relevance_score_fn: Option<RelevanceScoreFn>,
    /// The Faiss factory string of the index built by the `from_*` constructors and
    /// [`FaissStore::with_dimension`]: `"Flat"` (default), `"IVF{nlist},Flat"`,
    /// `"IDMap,Flat"`, `"IDMap2,Flat"`. An IVF index is trained on the first batch.
    pub index_factory: String,
    /// Where the index searches: the CPU (default) or the GPU ([`Device::Gpu`], feature
    /// `gpu`; flat and IVF-Flat indexes). Saved folders are the same either way.
    #[serde(default)]
    pub device: Device,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            distance_strategy: DistanceStrategy::default(),
            normalize_l2: false,
            relevance_score_fn: None,
            index_factory: DEFAULT_INDEX_FACTORY.to_string(),
            device: Device::Cpu,
        }
    }
}

impl StoreConfig {
    /// LangChain's defaults and a flat index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the distance strategy.
    pub fn distance_strategy(mut self, strategy: DistanceStrategy) -> Self {
        self.distance_strategy = strategy;
        self
    }

    /// Sets whether vectors are L2-normalized.
    pub fn normalize_l2(mut self, normalize: bool) -> Self {
        self.normalize_l2 = normalize;
        self
    }

    /// Sets a custom relevance function.
    pub fn relevance_score_fn(mut self, f: RelevanceScoreFn) -> Self {
        self.relevance_score_fn = Some(f);
        self
    }

    /// Sets the factory string of the index to build.
    pub fn index_factory(mut self, factory: impl Into<String>) -> Self {
        self.index_factory = factory.into();
        self
    }

    /// Sets the device the index searches on.
    pub fn device(mut self, device: Device) -> Self {
        self.device = device;
        self
    }
}

/// LangChain's `FAISS` vector store, synchronous.
///
/// Holds an embedder, a vector index (flat by default; any [`Index`]), an
/// [`InMemoryDocstore`] and the row-to-id map (`index_to_docstore_id`). After every
/// call, successful or not, the index has exactly one row per document and the map's
/// positions are `0..len()`: unlike LangChain, a failing call changes nothing.
///
/// ```
/// use std::sync::Arc;
/// use ferrofaiss_store::{FaissStore, SearchOptions, StoreConfig};
/// use ferrofaiss_embeddings::FakeEmbeddings;
///
/// let store = FaissStore::from_texts(
///     &["foo", "bar", "baz"],
///     Arc::new(FakeEmbeddings::new()),
///     None,
///     Some(vec!["a".into(), "b".into(), "c".into()]),
///     StoreConfig::new(),
/// )?;
/// let hits = store.similarity_search_with_score("foo", &SearchOptions::new().k(2))?;
/// assert_eq!(hits[0].0.id.as_deref(), Some("a"));
/// assert_eq!(hits[1].1, 1.0);
/// # Ok::<(), ferrofaiss_store::StoreError>(())
/// ```
pub struct FaissStore {
    pub(crate) embedder: Arc<dyn Embeddings>,
    pub(crate) index: Box<dyn Index>,
    pub(crate) docstore: InMemoryDocstore,
    pub(crate) index_to_docstore_id: Vec<String>,
    pub(crate) distance_strategy: DistanceStrategy,
    pub(crate) normalize_l2: bool,
    pub(crate) relevance_score_fn: Option<RelevanceScoreFn>,
    pub(crate) index_factory: String,
    pub(crate) device: Device,
    /// Rows by metadata value, for exact filtered search (built lazily, dropped when
    /// the rows change).
    pub(crate) metadata_index: MetadataIndex,
}

impl fmt::Debug for FaissStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaissStore")
            .field("embedder", &self.embedder.name())
            .field("index", &self.index.type_name())
            .field("dimension", &self.index.dimension())
            .field("len", &self.index_to_docstore_id.len())
            .field("distance_strategy", &self.distance_strategy)
            .field("normalize_l2", &self.normalize_l2)
            .field("relevance_score_fn", &self.relevance_score_fn)
            .finish()
    }
}

impl Clone for FaissStore {
    /// A deep copy: index, documents and map are copied, the embedder is shared.
    fn clone(&self) -> Self {
        FaissStore {
            embedder: Arc::clone(&self.embedder),
            index: self.index.clone_box(),
            docstore: self.docstore.clone(),
            index_to_docstore_id: self.index_to_docstore_id.clone(),
            distance_strategy: self.distance_strategy,
            normalize_l2: self.normalize_l2,
            relevance_score_fn: self.relevance_score_fn.clone(),
            index_factory: self.index_factory.clone(),
            device: self.device,
            metadata_index: MetadataIndex::default(),
        }
    }
}

impl FaissStore {
    /// An empty store over an empty `index` (LangChain's `FAISS(embedding, index,
    /// InMemoryDocstore(), {})`). A non-empty index is refused: its rows would have no
    /// documents.
    pub fn new(
        embedder: Arc<dyn Embeddings>,
        index: Box<dyn Index>,
        config: StoreConfig,
    ) -> Result<Self, StoreError> {
        if index.ntotal() != 0 {
            return Err(StoreError::Inconsistent(format!(
                "a new store needs an empty index; this one holds {} vectors without documents",
                index.ntotal()
            )));
        }
        let index = to_device(index, config.device)?;
        Ok(Self::from_checked_parts(
            embedder,
            index,
            InMemoryDocstore::new(),
            Vec::new(),
            config,
        ))
    }

    /// An empty store of dimension `dim` whose index is built from the config's
    /// factory string and strategy.
    pub fn with_dimension(
        embedder: Arc<dyn Embeddings>,
        dim: usize,
        config: StoreConfig,
    ) -> Result<Self, StoreError> {
        let index = build_index(dim, &config)?;
        Self::new(embedder, index, config)
    }

    /// Assembles a store from parts and checks that they agree: one row per map entry,
    /// one document per id, no duplicate ids, no stray documents, index labels that are
    /// exactly the rows `0..n`, and no stored vector holding a NaN.
    pub fn from_parts(
        embedder: Arc<dyn Embeddings>,
        index: Box<dyn Index>,
        docstore: InMemoryDocstore,
        index_to_docstore_id: Vec<String>,
        config: StoreConfig,
    ) -> Result<Self, StoreError> {
        check_stored_vectors(&*index)?;
        check_parts(&*index, &docstore, &index_to_docstore_id)?;
        Ok(Self::from_checked_parts(
            embedder,
            index,
            docstore,
            index_to_docstore_id,
            config,
        ))
    }

    /// [`FaissStore::from_parts`] for parts that [`check_stored_vectors`] and
    /// [`check_parts`] have already passed (the load paths check them first, to name
    /// the file in the error).
    pub(crate) fn from_checked_parts(
        embedder: Arc<dyn Embeddings>,
        index: Box<dyn Index>,
        docstore: InMemoryDocstore,
        index_to_docstore_id: Vec<String>,
        config: StoreConfig,
    ) -> Self {
        if config.normalize_l2 && config.distance_strategy != DistanceStrategy::EuclideanDistance {
            crate::warnings::normalize_not_applicable(config.distance_strategy);
        }
        FaissStore {
            embedder,
            index,
            docstore,
            index_to_docstore_id,
            distance_strategy: config.distance_strategy,
            normalize_l2: config.normalize_l2,
            relevance_score_fn: config.relevance_score_fn,
            index_factory: config.index_factory,
            device: config.device,
            metadata_index: MetadataIndex::default(),
        }
    }

    /// Embeds `texts` in one call and builds a store from them (LangChain
    /// `FAISS.from_texts`). `ids` default to fresh uuid v4 strings (an empty list counts
    /// as none); `metadatas` default to empty maps.
    pub fn from_texts<S: AsRef<str>>(
        texts: &[S],
        embedder: Arc<dyn Embeddings>,
        metadatas: Option<Vec<Metadata>>,
        ids: Option<Vec<String>>,
        config: StoreConfig,
    ) -> Result<Self, StoreError> {
        let texts: Vec<String> = texts.iter().map(|t| t.as_ref().to_string()).collect();
        let (ids, metadatas) = crate::batch::prepare_batch(texts.len(), metadatas, ids)?;
        let vectors = crate::batch::embed_batch(&*embedder, &texts)?;
        Self::build(texts, vectors, metadatas, ids, embedder, config)
    }

    /// Builds a store from documents (LangChain `FAISS.from_documents`). `ids`, when
    /// given, win over the documents' own ids; otherwise each document keeps its id and
    /// documents without one get a fresh uuid (LangChain would store them under `None`).
    pub fn from_documents(
        documents: Vec<Document>,
        embedder: Arc<dyn Embeddings>,
        ids: Option<Vec<String>>,
        config: StoreConfig,
    ) -> Result<Self, StoreError> {
        let (texts, metadatas, ids) = crate::batch::split_documents(documents, ids);
        Self::from_texts(&texts, embedder, Some(metadatas), ids, config)
    }

    /// Builds a store from `(text, vector)` pairs without embedding anything (LangChain
    /// `FAISS.from_embeddings`).
    pub fn from_embeddings(
        text_embeddings: Vec<(String, Vec<f32>)>,
        embedder: Arc<dyn Embeddings>,
        metadatas: Option<Vec<Metadata>>,
        ids: Option<Vec<String>>,
        config: StoreConfig,
    ) -> Result<Self, StoreError> {
        let (texts, vectors): (Vec<String>, Vec<Vec<f32>>) = text_embeddings.into_iter().unzip();
        let (ids, metadatas) = crate::batch::prepare_batch(texts.len(), metadatas, ids)?;
        Self::build(texts, vectors, metadatas, ids, embedder, config)
    }

    /// The shared tail of the `from_*` constructors: index from the first vector's
    /// dimension, trained on the batch when it needs training, then filled.
    fn build(
        texts: Vec<String>,
        vectors: Vec<Vec<f32>>,
        metadatas: Vec<Metadata>,
        ids: Vec<String>,
        embedder: Arc<dyn Embeddings>,
        config: StoreConfig,
    ) -> Result<Self, StoreError> {
        let dim = vectors
            .first()
            .map(Vec::len)
            .ok_or(StoreError::EmptyInput("texts"))?;
        let mut store = Self::with_dimension(embedder, dim, config)?;
        store.insert(texts, vectors, metadatas, ids)?;
        Ok(store)
    }

    /// The embedder (LangChain's `embeddings` property).
    pub fn embeddings(&self) -> &Arc<dyn Embeddings> {
        &self.embedder
    }

    /// The vector index.
    pub fn index(&self) -> &dyn Index {
        &*self.index
    }

    /// The documents, in insertion order.
    pub fn docstore(&self) -> &InMemoryDocstore {
        &self.docstore
    }

    /// The document id of each index row (LangChain's `index_to_docstore_id`, whose
    /// keys are always `0..len()`).
    pub fn index_to_docstore_id(&self) -> &[String] {
        &self.index_to_docstore_id
    }

    /// The distance strategy.
    pub fn distance_strategy(&self) -> DistanceStrategy {
        self.distance_strategy
    }

    /// Whether vectors are L2-normalized.
    pub fn normalize_l2(&self) -> bool {
        self.normalize_l2
    }

    /// The custom relevance function, if one was given.
    pub fn relevance_score_fn(&self) -> Option<&RelevanceScoreFn> {
        self.relevance_score_fn.as_ref()
    }

    /// The vector dimension.
    pub fn dimension(&self) -> usize {
        self.index.dimension()
    }

    /// Number of documents (= index rows).
    pub fn len(&self) -> usize {
        self.index_to_docstore_id.len()
    }

    /// Whether the store holds no documents.
    pub fn is_empty(&self) -> bool {
        self.index_to_docstore_id.is_empty()
    }

    /// The settings of this store as a config (used to rebuild or copy it).
    pub fn config(&self) -> StoreConfig {
        StoreConfig {
            distance_strategy: self.distance_strategy,
            normalize_l2: self.normalize_l2,
            relevance_score_fn: self.relevance_score_fn.clone(),
            index_factory: self.index_factory.clone(),
            device: self.device,
        }
    }

    /// Moves the index to `device` (the GPU needs the `gpu` feature and a flat or
    /// IVF-Flat index). On an error the store is unchanged.
    pub fn set_device(&mut self, device: Device) -> Result<(), StoreError> {
        if let Some(index) = moved(&*self.index, device)? {
            self.index = index;
        }
        self.device = device;
        Ok(())
    }

    /// Changes the distance strategy (LangChain takes it again at every `load_local`).
    /// The index metric stays as it is, as in LangChain; only thresholds and relevance
    /// follow the new strategy.
    pub fn set_distance_strategy(&mut self, strategy: DistanceStrategy) {
        self.distance_strategy = strategy;
    }

    /// Replaces (or with `None` removes) the custom relevance function.
    pub fn set_relevance_score_fn(&mut self, f: Option<RelevanceScoreFn>) {
        self.relevance_score_fn = f;
    }

    /// The stored vector of index row `row` (normalized if the store normalizes).
    pub fn vector_at(&self, row: usize) -> Result<Vec<f32>, StoreError> {
        let mut out = vec![0.0; self.index.dimension()];
        self.vector_into(row, &mut out)?;
        Ok(out)
    }

    /// Writes the stored vector of index row `row` into `out` (the index's dimension).
    pub(crate) fn vector_into(&self, row: usize, out: &mut [f32]) -> Result<(), StoreError> {
        let label = i64::try_from(row).map_err(|_| IndexError::UnknownId(i64::MAX))?;
        Ok(self.index.reconstruct_into(label, out)?)
    }

    /// Checks every invariant the store keeps (the checks of
    /// [`FaissStore::from_parts`]), e.g. after a panic inside a write.
    pub fn check_consistent(&self) -> Result<(), StoreError> {
        check_stored_vectors(&*self.index)?;
        check_parts(&*self.index, &self.docstore, &self.index_to_docstore_id)
    }

    /// The document of index row `row`.
    pub(crate) fn doc_at_row(&self, row: usize) -> Result<&Document, StoreError> {
        let id = self.index_to_docstore_id.get(row).ok_or_else(|| {
            StoreError::Inconsistent(format!("index row {row} has no entry in the id map"))
        })?;
        self.docstore
            .get(id)
            .ok_or_else(|| StoreError::Inconsistent(format!("no document for id {id} (row {row})")))
    }
}

/// Builds the empty index a config asks for.
///
/// An IVF index gets a hashtable direct map, so that MMR can reconstruct its vectors
/// and delete can remove them.
pub(crate) fn build_index(dim: usize, config: &StoreConfig) -> Result<Box<dyn Index>, StoreError> {
    let metric: MetricType = config.distance_strategy.metric();
    let mut index = index_factory(dim, &config.index_factory, metric)?;
    if let Some(ivf) = index.as_any_mut().downcast_mut::<IvfFlatIndex>() {
        ivf.set_direct_map_type(DirectMapType::Hashtable)?;
    }
    if let Some(ivf) = index.as_any_mut().downcast_mut::<IvfSqIndex>() {
        ivf.set_direct_map_type(DirectMapType::Hashtable)?;
    }
    to_device(index, config.device)
}

/// Checks that an index, a docstore and a row-to-id map describe one consistent store.
pub(crate) fn check_parts(
    index: &dyn Index,
    docstore: &InMemoryDocstore,
    map: &[String],
) -> Result<(), StoreError> {
    if index.ntotal() != map.len() {
        return Err(StoreError::Inconsistent(format!(
            "the index holds {} vectors but the id map has {} entries",
            index.ntotal(),
            map.len()
        )));
    }
    if docstore.len() != map.len() {
        return Err(StoreError::Inconsistent(format!(
            "the docstore holds {} documents but the id map has {} entries",
            docstore.len(),
            map.len()
        )));
    }
    // One lookup per row: each id's place in the docstore, marked once (the docstore
    // holds as many documents as there are rows, so the places cover `0..len`).
    let mut seen = vec![false; docstore.len()];
    for (row, id) in map.iter().enumerate() {
        let Some(place) = docstore.position(id) else {
            return Err(StoreError::Inconsistent(format!(
                "row {row} maps to id {id}, which has no document"
            )));
        };
        if std::mem::replace(&mut seen[place], true) {
            return Err(StoreError::Inconsistent(format!(
                "id {id} is mapped from two rows (second at row {row})"
            )));
        }
    }
    Ok(())
}

/// Checks what the store assumes of its index: search labels are rows, so the labels
/// must be exactly `0..ntotal`, each once (an id map whose ids are all 0 would answer
/// with one document for every row); and no stored vector may hold a NaN, which `add`
/// refuses and which would silently drop that row from every search.
pub(crate) fn check_stored_vectors(index: &dyn Index) -> Result<(), StoreError> {
    let n = index.ntotal();
    let mut seen = vec![false; n];
    let mut visited = 0usize;
    let mut problem: Option<String> = None;
    index.for_each_vector(&mut |label, v| {
        visited += 1;
        if problem.is_some() {
            return;
        }
        match usize::try_from(label).ok().filter(|&row| row < n) {
            None => problem = Some(format!("label {label} is not a row of the {n} stored")),
            Some(row) if seen[row] => problem = Some(format!("label {label} is stored twice")),
            Some(row) => {
                seen[row] = true;
                if let Some(j) = v.iter().position(|x| x.is_nan()) {
                    problem = Some(format!("the vector of row {row} holds NaN at position {j}"));
                }
            }
        }
    })?;
    if let Some(problem) = problem {
        return Err(StoreError::Inconsistent(problem));
    }
    if visited != n {
        return Err(StoreError::Inconsistent(format!(
            "the index reports {n} vectors but stores {visited}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_config_round_trips_without_the_relevance_closure() {
        let config = StoreConfig::new()
            .distance_strategy(DistanceStrategy::MaxInnerProduct)
            .normalize_l2(true)
            .index_factory("IVF4,Flat")
            .device(Device::Gpu)
            .relevance_score_fn(RelevanceScoreFn::new(|s| s * 2.0));
        let json = serde_json::to_value(&config).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"distance_strategy": "MAX_INNER_PRODUCT", "normalize_l2": true,
                "index_factory": "IVF4,Flat", "device": "gpu"})
        );
        let back: StoreConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back.distance_strategy, DistanceStrategy::MaxInnerProduct);
        assert!(back.normalize_l2);
        assert_eq!(back.index_factory, "IVF4,Flat");
        assert_eq!(back.device, Device::Gpu);
        assert!(back.relevance_score_fn.is_none());
        // A config saved before devices existed reads as the CPU.
        let old: StoreConfig =
            serde_json::from_value(serde_json::json!({"distance_strategy": "COSINE",
                "normalize_l2": false, "index_factory": "Flat"}))
            .unwrap();
        assert_eq!(old.device, Device::Cpu);
        let defaults: StoreConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(defaults.index_factory, DEFAULT_INDEX_FACTORY);
        assert_eq!(
            defaults.distance_strategy,
            DistanceStrategy::EuclideanDistance
        );
        assert!(serde_json::from_str::<StoreConfig>(r#"{"distance_strategy": "fake"}"#).is_err());
    }

    /// The id map must be a bijection between rows and documents: an id mapped twice or
    /// an id without a document is refused, whatever the order.
    #[test]
    fn check_parts_refuses_repeated_and_unknown_ids() {
        let mut index = ferrofaiss_index::FlatIndex::new(2, MetricType::L2).unwrap();
        index.add(&[0.0; 6]).unwrap();
        let ids = ["a", "b", "c"];
        let docstore = InMemoryDocstore::from_pairs(
            ids.iter()
                .map(|id| (id.to_string(), Document::new(format!("doc {id}")))),
        )
        .unwrap();
        let check = |map: &[&str]| {
            let map: Vec<String> = map.iter().map(|s| s.to_string()).collect();
            check_parts(&index, &docstore, &map).map_err(|e| e.to_string())
        };
        assert!(check(&["c", "a", "b"]).is_ok());
        let twice = check(&["a", "b", "a"]).unwrap_err();
        assert!(
            twice.contains("id a is mapped from two rows (second at row 2)"),
            "{twice}"
        );
        let unknown = check(&["a", "z", "b"]).unwrap_err();
        assert!(
            unknown.contains("row 1 maps to id z, which has no document"),
            "{unknown}"
        );
        assert!(check(&["a", "b"]).is_err());
    }
}
