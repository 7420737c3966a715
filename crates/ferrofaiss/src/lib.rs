//! `ferrofaiss`: LangChain's `FAISS` vector store in pure Rust.
//!
//! The crate users add: a facade over the workspace's crates, re-exports and features
//! only. [`FaissStore`] is the synchronous store: an embedder, a Faiss-style index
//! (flat by default, IVF on request), the documents and the row-to-id map, with every
//! method of LangChain's `FAISS` (see `docs/langchain-mapping.md`). Persistence writes
//! the native Faiss index file plus our own docstore file (no pickle).
//!
//! [`AsyncFaissStore`] is the async handle: a cheap `Clone` over the shared store whose
//! methods await the embedder and run index work on `tokio::task::spawn_blocking`.
//!
//! | module | crate | what it holds |
//! | --- | --- | --- |
//! | the root | `ferrofaiss-store`, `ferrofaiss-async-store` | the store, its options, errors and persistence; the async handle |
//! | [`embeddings`] | `ferrofaiss-embeddings` | embedders: hashing (offline), OpenAI (feature `openai`), MiniLM (feature `minilm`) |
//! | [`docstore`] | `ferrofaiss-docstore` | documents, metadata, filters |
//! | [`text`] | `ferrofaiss-text` | LangChain's loaders and splitters |
//! | [`index`] | `ferrofaiss-index` | Faiss's indexes and `index.faiss` files |
//! | [`kernel`] | `flatl2-kernel` | the SIMD distance kernels |
//!
//! Where LangChain mutates the store and then raises, or returns a wrong value, this
//! crate validates first and stays consistent (see `docs/compat.md`).
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use ferrofaiss_docstore as docstore;
pub use ferrofaiss_embeddings as embeddings;
/// faiss-gpu's flat index on wgpu compute (feature `gpu`).
#[cfg(feature = "gpu")]
#[cfg_attr(docsrs, doc(cfg(feature = "gpu")))]
pub use ferrofaiss_gpu as gpu;
pub use ferrofaiss_index as index;
pub use ferrofaiss_text as text;
pub use flatl2_kernel as kernel;

pub use ferrofaiss_async_store::{AsyncFaissStore, AsyncRetriever};
pub use ferrofaiss_docstore::{Document, Filter, Metadata};
pub use ferrofaiss_store::{
    cosine_relevance, euclidean_relevance, max_inner_product_relevance, maximal_marginal_relevance,
    relevance_fn_for, saved_paths, Device, DistanceStrategy, FaissStore, FilterMode, LoadOptions,
    PersistError, RelevanceScoreFn, Retriever, SaveFormat, SearchOptions, SearchType, StoreConfig,
    StoreError, UnknownDistanceStrategy, DEFAULT_FETCH_K, DEFAULT_INDEX_FACTORY,
    DEFAULT_INDEX_NAME, DEFAULT_K, DEFAULT_LAMBDA_MULT, DOCSTORE_EXTENSION, FAISS_EXTENSION,
    PICKLE_EXTENSION,
};

/// The crate README's example, compiled and run as a doctest so it stays true (the
/// workspace README's examples are doctests of `ferrofaiss-benches`, which is not
/// published: a packaged crate can only include files under its own folder).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
