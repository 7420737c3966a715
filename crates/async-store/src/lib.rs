//! `ferrofaiss`: LangChain's `FAISS` vector store in pure Rust.
//!
//! The crate users add. [`FaissStore`] is the synchronous store: an embedder, a
//! Faiss-style index (flat by default, IVF on request), the documents and the row-to-id
//! map, with every method of LangChain's `FAISS` (see `docs/langchain-mapping.md`).
//! Persistence writes the native Faiss index file plus our own docstore file (no
//! pickle). The crate also re-exports the crates it composes.
//!
//! [`AsyncFaissStore`] is the async handle: a cheap `Clone` over the shared store whose
//! methods await the embedder and run index work on `tokio::task::spawn_blocking`.
//!
//! Where LangChain mutates the store and then raises, or returns a wrong value, this
//! crate validates first and stays consistent (see `docs/compat.md`).

pub use ferrofaiss_docstore as docstore;
pub use ferrofaiss_embeddings as embeddings;
pub use ferrofaiss_index as index;
pub use ferrofaiss_text as text;
pub use flatl2_kernel as kernel;

mod add;
pub mod async_store;
mod distance;
mod error;
pub mod mmr;
mod mmr_search;
mod mutate;
mod options;
mod persist;
mod relevance;
mod retriever;
mod search;
mod store;
mod vectors;

pub use async_store::{AsyncFaissStore, AsyncRetriever};
pub use distance::DistanceStrategy;
pub use error::{PersistError, StoreError};
pub use ferrofaiss_docstore::{Document, Filter, Metadata};
pub use mmr::maximal_marginal_relevance;
pub use options::{SearchOptions, DEFAULT_FETCH_K, DEFAULT_K, DEFAULT_LAMBDA_MULT};
pub use persist::{
    saved_paths, LoadOptions, DEFAULT_INDEX_NAME, DOCSTORE_EXTENSION, FAISS_EXTENSION,
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

/// The README's Rust examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
