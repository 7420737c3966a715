//! `ferrofaiss-rig`: ferrofaiss's LangChain `FAISS` store as a [rig](https://docs.rs/rig-core)
//! vector store.
//!
//! - [`FaissVectorIndex`] wraps an [`AsyncFaissStore`](ferrofaiss::AsyncFaissStore) and
//!   implements rig's [`VectorStoreIndex`](rig_core::vector_store::VectorStoreIndex)
//!   (`top_n`, `top_n_ids`, rig's canonical [`Filter`](rig_core::vector_store::request::Filter))
//!   and [`InsertDocuments`](rig_core::vector_store::InsertDocuments). Being a
//!   `VectorStoreIndex`, it is also a rig tool and a dynamic context for agents.
//! - [`embedding_model`] turns any ferrofaiss [`Embeddings`](ferrofaiss::embeddings::Embeddings)
//!   (the offline hashing embedder, MiniLM, OpenAI) into a rig embedding model, for
//!   `EmbeddingsBuilder` and everything else in rig that takes one;
//!   [`RigEmbeddings`] goes the other way, so a rig provider's model can embed for a
//!   ferrofaiss store.
//!
//! How rows map ([`FaissVectorIndex`] has the details): each embedding of an inserted
//! document is one row of the store, its `page_content` the embedded text and its
//! metadata the document serialized as a JSON object (so rig filters see the
//! document's fields, as in rig's own in-memory store); `top_n` deserializes the
//! document back from that metadata. Scores are the store's relevance scores (higher is
//! better), and a request's `threshold` keeps relevance `>=` it.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use ferrofaiss::embeddings::HashingEmbeddings;
//! use ferrofaiss::{AsyncFaissStore, FaissStore, StoreConfig};
//! use ferrofaiss_rig::{embedding_model, FaissVectorIndex};
//! use rig_core::embeddings::EmbeddingsBuilder;
//! use rig_core::vector_store::{InsertDocuments, VectorSearchRequest, VectorStoreIndex};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let embedder = Arc::new(HashingEmbeddings::default());
//! let index = FaissVectorIndex::new(AsyncFaissStore::new(FaissStore::with_dimension(
//!     embedder.clone(),
//!     ferrofaiss::embeddings::HASHING_DEFAULT_DIM,
//!     StoreConfig::new(),
//! )?));
//! let documents = EmbeddingsBuilder::new(embedding_model(embedder))
//!     .documents(vec!["foxes jump".to_string(), "dogs sleep".to_string()])?
//!     .build()
//!     .await?;
//! index.insert_documents(documents).await?;
//! let hits = index
//!     .top_n::<String>(VectorSearchRequest::builder().query("fox").samples(1).build())
//!     .await?;
//! println!("{hits:?}");
//! # Ok(())
//! # }
//! ```

mod embedding;
mod filter;
mod index;
mod payload;

pub use embedding::{embedding_model, EmbeddingsRuntime, RigEmbeddingModel, RigEmbeddings};
pub use index::FaissVectorIndex;
pub use payload::DOCUMENT_KEY;

/// The crate README's example, compiled as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
