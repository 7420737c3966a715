//! `ferrofaiss-langchain-rust`: ferrofaiss's LangChain `FAISS` store as a
//! [langchain-rust](https://docs.rs/langchain-rust) vector store.
//!
//! - [`FaissVectorStore`] wraps an [`AsyncFaissStore`](ferrofaiss::AsyncFaissStore) and
//!   implements langchain-rust's [`VectorStore`](langchain_rust::vectorstore::VectorStore)
//!   with its `VecStoreOptions`: `filters` are LangChain's metadata dicts (`{"source":
//!   "a.txt"}`, `{"year": {"$gt": 2020}}`, `$and` / `$or` / `$in` ...), evaluated as Python
//!   LangChain does; `score_threshold` keeps relevance scores `>=` it; `embedder`, when
//!   set, embeds instead of the store's own embedder. It works with langchain-rust's
//!   `Retriever` and its chains.
//! - [`FerrofaissEmbedder`] makes any ferrofaiss embedder a langchain-rust `Embedder`;
//!   [`LangchainEmbeddings`] makes a langchain-rust `Embedder` a ferrofaiss embedder.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use ferrofaiss::embeddings::{HashingEmbeddings, HASHING_DEFAULT_DIM};
//! use ferrofaiss::{AsyncFaissStore, FaissStore, StoreConfig};
//! use ferrofaiss_langchain_rust::FaissVectorStore;
//! use langchain_rust::schemas::Document;
//! use langchain_rust::vectorstore::{VecStoreOptions, VectorStore};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let embedder = Arc::new(HashingEmbeddings::default());
//! let store = FaissVectorStore::new(AsyncFaissStore::new(FaissStore::with_dimension(
//!     embedder,
//!     HASHING_DEFAULT_DIM,
//!     StoreConfig::new(),
//! )?));
//! let options = VecStoreOptions::default();
//! store.add_documents(&[Document::new("foxes jump")], &options).await?;
//! let docs = store.similarity_search("fox", 1, &options).await?;
//! println!("{docs:?}");
//! # Ok(())
//! # }
//! ```

mod embedder;
mod store;

pub use embedder::{FerrofaissEmbedder, LangchainEmbeddings};
pub use store::FaissVectorStore;

/// The crate README's example, compiled as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
