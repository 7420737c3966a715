//! [`OpenAiEmbeddings`] and the settings its clones share.

use std::sync::Arc;

use async_openai::config::OpenAIConfig;

use super::retry::RetryPolicy;

/// The settings and client shared by clones of one [`OpenAiEmbeddings`].
#[derive(Debug)]
pub(super) struct Inner {
    pub(super) client: async_openai::Client<OpenAIConfig>,
    pub(super) model: String,
    pub(super) dimensions: Option<u32>,
    pub(super) base_url: String,
    pub(super) chunk_size: usize,
    pub(super) max_concurrency: usize,
    pub(super) retry: RetryPolicy,
}

/// Embeddings from `POST <base_url>/embeddings` (LangChain's `OpenAIEmbeddings`).
///
/// * Texts are sent as strings, [`OpenAiEmbeddingsBuilder::chunk_size`](crate::OpenAiEmbeddingsBuilder::chunk_size) per request
///   (default 1000), with up to [`OpenAiEmbeddingsBuilder::max_concurrency`](crate::OpenAiEmbeddingsBuilder::max_concurrency) requests
///   in flight; vectors come back in the order of the texts.
/// * HTTP 408/409/429/5xx, timeouts and connection failures are retried with
///   exponential backoff ([`RetryPolicy`]); other errors are returned at once.
/// * Unlike LangChain's default (`check_embedding_ctx_length=True`), texts are not
///   tokenised with tiktoken and split at the model's context length: a text longer
///   than the model accepts is an HTTP 400 from the server.
///
/// Requests run on a small background tokio runtime owned by this crate, so the
/// async methods can be awaited from any executor and the sync methods work from
/// plain code and from inside a tokio runtime alike (they block the calling thread).
/// Clones share one HTTP client and its connection pool.
///
/// ```no_run
/// use ferrofaiss_embeddings::{Embeddings, OpenAiEmbeddings};
/// # fn main() -> Result<(), ferrofaiss_embeddings::EmbeddingError> {
/// let emb = OpenAiEmbeddings::builder()
///     .model("text-embedding-3-small")
///     .dimensions(256)
///     .build()?; // key from OPENAI_API_KEY, base URL from OPENAI_BASE_URL
/// let vectors = emb.embed_documents(&["hello".to_string(), "world".to_string()])?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct OpenAiEmbeddings {
    pub(super) inner: Arc<Inner>,
}

impl OpenAiEmbeddings {
    /// The model name sent with each request.
    pub fn model(&self) -> &str {
        &self.inner.model
    }

    /// The `dimensions` sent with each request, if any.
    pub fn requested_dimensions(&self) -> Option<u32> {
        self.inner.dimensions
    }

    /// The API base URL (without a trailing slash).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The most texts one request carries.
    pub fn chunk_size(&self) -> usize {
        self.inner.chunk_size
    }

    /// The most requests in flight at once for one call.
    pub fn max_concurrency(&self) -> usize {
        self.inner.max_concurrency
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }
}
