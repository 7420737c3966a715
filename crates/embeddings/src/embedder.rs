//! The [`Embeddings`] trait every embedder implements (LangChain's `Embeddings`).

use std::future::Future;
use std::pin::Pin;

use crate::error::EmbeddingError;

/// A boxed, sendable future returned by the asynchronous embedding methods.
pub type EmbedFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, EmbeddingError>> + Send + 'a>>;

/// Turns texts into vectors, as LangChain's `Embeddings` interface does.
pub trait Embeddings: Send + Sync {
    /// Embeds a batch of documents (LangChain's `aembed_documents`): one vector per text,
    /// in order.
    fn aembed_documents<'a>(&'a self, texts: &'a [String]) -> EmbedFuture<'a, Vec<Vec<f32>>>;

    /// Embeds a search query (LangChain's `aembed_query`).
    fn aembed_query<'a>(&'a self, text: &'a str) -> EmbedFuture<'a, Vec<f32>>;

    /// Synchronous [`Embeddings::aembed_documents`] (LangChain's `embed_documents`).
    ///
    /// The default polls the future on the calling thread; it suits embedders whose work
    /// is CPU-only. Network embedders override it.
    fn embed_documents(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        futures::executor::block_on(self.aembed_documents(texts))
    }

    /// Synchronous [`Embeddings::aembed_query`] (LangChain's `embed_query`).
    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbeddingError> {
        futures::executor::block_on(self.aembed_query(text))
    }

    /// A short name of the embedder and its model, recorded in saved stores so a
    /// folder is not searched with a different embedder than the one that built it.
    fn name(&self) -> String;

    /// The dimension of the vectors, when known without embedding anything.
    fn dimension(&self) -> Option<usize> {
        None
    }
}
