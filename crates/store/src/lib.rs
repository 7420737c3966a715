//! `ferrofaiss-store`: LangChain's `FAISS` vector store, synchronous.
//!
//! [`FaissStore`] holds an embedder, a Faiss-style index (flat by default, IVF or an id
//! map on request), the documents and the row-to-id map, with every method of
//! LangChain's `FAISS` (see `docs/langchain-mapping.md`): adds, similarity and MMR
//! searches with filters and score thresholds, deletes, merges, retrievers, and
//! persistence (the native Faiss index file plus our own docstore file, no pickle; a
//! LangChain folder's `index.pkl` is read by a bounded pickle reader, and
//! [`SaveFormat::LangChain`] writes one that Python's `FAISS.load_local` opens).
//!
//! Most users add the `ferrofaiss` crate, which re-exports this one beside the async
//! handle (`ferrofaiss-async-store`) and the crates it composes.
//!
//! LangChain's warnings (`Relevance scores must be between 0 and 1, got ...`,
//! `Normalizing L2 is not applicable for metric type: ...`, `No relevant docs were
//! retrieved using the relevance score threshold ...`) are `tracing` events at `WARN`
//! with LangChain's text, target `ferrofaiss_store::warnings`, and a `category` field
//! (Python `warnings.warn`) or a `logger` field (Python `logging`). No subscriber is
//! installed: an application that wants them installs its own.
//!
//! Where LangChain mutates the store and then raises, or returns a wrong value, this
//! crate validates first and stays consistent (see `docs/compat.md`).

mod add;
pub mod batch;
mod device;
mod distance;
mod error;
mod metadata_index;
mod mmr;
mod mmr_search;
mod multi_search;
mod mutate;
mod options;
mod persist;
mod relevance;
mod retriever;
mod search;
mod store;
mod vectors;
mod warnings;

pub use device::Device;
pub use distance::{DistanceStrategy, UnknownDistanceStrategy};
pub use error::{PersistError, StoreError};
pub use mmr::maximal_marginal_relevance;
pub use multi_search::BatchQuery;
pub use options::{
    FilterMode, QueryKind, SearchOptions, DEFAULT_FETCH_K, DEFAULT_K, DEFAULT_LAMBDA_MULT,
};
pub use persist::{
    saved_paths, LoadOptions, SaveFormat, DEFAULT_INDEX_NAME, DOCSTORE_EXTENSION, FAISS_EXTENSION,
    PICKLE_EXTENSION,
};
pub use relevance::{
    cosine_relevance, euclidean_relevance, max_inner_product_relevance, relevance_fn_for,
    RelevanceScoreFn,
};
pub use retriever::{Retriever, SearchType};
pub use store::{FaissStore, StoreConfig, DEFAULT_INDEX_FACTORY};

/// Entry points of the fuzz targets in the repository's `fuzz/` folder. **Not part of
/// the API**: hidden from the docs, outside semver, and free to change or disappear in
/// any release. They expose private readers (the docstore file, the pickle reader)
/// only so they can be fuzzed.
#[doc(hidden)]
pub mod __fuzz {
    pub use crate::persist::fuzz::{
        frame_docstore_payload, load_docstore_file, pickle_to_json, read_langchain_pickle,
    };
}

/// Seams for other crates' tests. **Not part of the API**: hidden from the docs, outside
/// semver. They break the store's invariants on purpose, the way a writer that panics
/// midway would, so the async handle's poison recovery can be tested.
#[doc(hidden)]
pub mod __test_seams {
    use crate::FaissStore;

    /// Appends an id that no index row or document backs: the state a panic between
    /// an add's steps would leave ([`FaissStore::check_consistent`] then fails).
    pub fn push_unbacked_id(store: &mut FaissStore, id: &str) {
        store.index_to_docstore_id.push(id.to_string());
    }
}

/// The crate README's example, compiled and run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
