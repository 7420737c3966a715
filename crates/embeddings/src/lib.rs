//! Text embedders: OpenAI (through `async-openai`, feature `openai`), offline embedders
//! (all-MiniLM-L6-v2 with feature `minilm`) and the deterministic test embedders
//! LangChain's tests use. Without features the crate is pure Rust.
//!
//! This crate turns text into vectors; it does not store them.
//!
//! | embedder | what it is for |
//! | --- | --- |
//! | [`HashingEmbeddings`] | the offline default: lexical feature hashing, no model files |
//! | `OpenAiEmbeddings` (feature `openai`) | OpenAI's API or any OpenAI-compatible server (vLLM, Ollama, LM Studio) |
//! | [`FakeEmbeddings`] | LangChain's unit-test embedder (vectors depend on position only) |
//! | [`TrigramEmbeddings`] | the golden cases' byte-trigram embedder, reproduced exactly |
//!
//! Every embedder implements [`Embeddings`]: the asynchronous methods
//! (`aembed_documents`, `aembed_query`, as LangChain names them) are the required
//! ones; the synchronous `embed_documents` / `embed_query` drive them to completion on
//! the calling thread without needing (or nesting) a tokio runtime. Embedders whose
//! futures need a runtime (network clients) override the synchronous methods.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod embedder;
mod error;
mod fake;
mod fnv;
mod hashing;
#[cfg(feature = "minilm")]
mod minilm;
mod narrow;
#[cfg(feature = "openai")]
mod openai;
mod trigram;

pub use embedder::{EmbedFuture, Embeddings};
pub use error::EmbeddingError;
pub use fake::{FakeEmbeddings, FAKE_EMBEDDINGS_DIM};
pub use fnv::{fnv1a64, fnv1a64_continue};
pub use hashing::{HashingConfig, HashingEmbeddings, HASHING_DEFAULT_DIM, HASHING_MAX_TEXT_BYTES};
#[cfg(feature = "minilm")]
pub use minilm::{
    BertConfig, MiniLmEmbeddings, MiniLmError, MiniLmOptions, ModelLocator,
    MINILM_DEFAULT_BATCH_SIZE, MINILM_DEFAULT_MAX_SEQ_LENGTH, MINILM_HF_REPO, MINILM_MODEL_DIR_ENV,
};
pub use narrow::vector_from_f64;
#[cfg(feature = "openai")]
pub use openai::{
    OpenAiEmbeddings, OpenAiEmbeddingsBuilder, RetryPolicy, OPENAI_DEFAULT_BASE_URL,
    OPENAI_DEFAULT_CHUNK_SIZE, OPENAI_DEFAULT_CONNECT_TIMEOUT, OPENAI_DEFAULT_MAX_CONCURRENCY,
    OPENAI_DEFAULT_MODEL, OPENAI_DEFAULT_REQUEST_TIMEOUT,
};
pub use trigram::{TrigramEmbeddings, TRIGRAM_DEFAULT_DIM};

/// The crate README's example, compiled and run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
