//! Embeddings from OpenAI's API or any OpenAI-compatible server (vLLM, Ollama,
//! LM Studio, ...), through the `async-openai` client.

mod builder;
mod client;
mod errors;
mod request;
mod retry;
mod runtime;

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};

pub use builder::{
    OpenAiEmbeddingsBuilder, OPENAI_DEFAULT_BASE_URL, OPENAI_DEFAULT_CHUNK_SIZE,
    OPENAI_DEFAULT_CONNECT_TIMEOUT, OPENAI_DEFAULT_MAX_CONCURRENCY, OPENAI_DEFAULT_MODEL,
    OPENAI_DEFAULT_REQUEST_TIMEOUT,
};
pub use client::OpenAiEmbeddings;
pub use retry::RetryPolicy;

use client::Inner;

use crate::{EmbedFuture, EmbeddingError, Embeddings};

impl OpenAiEmbeddings {
    /// A builder with LangChain's defaults (model `text-embedding-ada-002`).
    pub fn builder() -> OpenAiEmbeddingsBuilder {
        OpenAiEmbeddingsBuilder::default()
    }

    /// The default embedder, configured from the environment (`OPENAI_API_KEY`,
    /// `OPENAI_BASE_URL`).
    ///
    /// # Errors
    /// [`EmbeddingError::Config`] when `OPENAI_API_KEY` is not set (see
    /// [`OpenAiEmbeddingsBuilder::build`]).
    pub fn from_env() -> Result<Self, EmbeddingError> {
        Self::builder().build()
    }
}

/// Embeds all `texts`: batches of `chunk_size`, at most `max_concurrency` at once,
/// results in input order; stops at the first batch that fails for good.
async fn embed_all(inner: Arc<Inner>, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbeddingError> {
    if texts.is_empty() {
        return Ok(Vec::new());
    }
    let batches: Vec<Vec<String>> = texts
        .chunks(inner.chunk_size)
        .map(<[String]>::to_vec)
        .collect();
    let per_batch: Vec<Vec<Vec<f32>>> = futures::stream::iter(batches)
        .map(|batch| request::embed_batch(&inner, batch))
        .buffered(inner.max_concurrency)
        .try_collect()
        .await?;
    let vectors: Vec<Vec<f32>> = per_batch.into_iter().flatten().collect();
    check_lengths(&inner, &vectors)?;
    Ok(vectors)
}

/// All vectors must have one non-zero length, the requested `dimensions` if any.
fn check_lengths(inner: &Inner, vectors: &[Vec<f32>]) -> Result<(), EmbeddingError> {
    let Some(first) = vectors.first() else {
        return Ok(());
    };
    let want = inner.dimensions.map_or(first.len(), |d| d as usize);
    if want == 0 {
        return Err(EmbeddingError::MalformedResponse(
            "the server returned empty embeddings".into(),
        ));
    }
    if let Some((i, v)) = vectors.iter().enumerate().find(|(_, v)| v.len() != want) {
        return Err(EmbeddingError::MalformedResponse(format!(
            "embedding {i} has length {}, expected {want}{}",
            v.len(),
            if inner.dimensions.is_some() {
                " (the requested dimensions)"
            } else {
                " (the length of the first one)"
            }
        )));
    }
    Ok(())
}

impl Embeddings for OpenAiEmbeddings {
    fn aembed_documents<'a>(&'a self, texts: &'a [String]) -> EmbedFuture<'a, Vec<Vec<f32>>> {
        let work = embed_all(Arc::clone(&self.inner), texts.to_vec());
        Box::pin(runtime::run(work))
    }

    fn aembed_query<'a>(&'a self, text: &'a str) -> EmbedFuture<'a, Vec<f32>> {
        let work = embed_all(Arc::clone(&self.inner), vec![text.to_string()]);
        Box::pin(async move {
            let mut vectors = runtime::run(work).await?;
            vectors.pop().ok_or_else(|| {
                EmbeddingError::MalformedResponse("no embedding for the query".into())
            })
        })
    }

    /// Blocks the calling thread until the background runtime has the answer; works
    /// from plain code and from inside a tokio runtime (no runtime is nested).
    fn embed_documents(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        futures::executor::block_on(self.aembed_documents(texts))
    }

    /// Blocking [`Embeddings::aembed_query`], as [`OpenAiEmbeddings::embed_documents`].
    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbeddingError> {
        futures::executor::block_on(self.aembed_query(text))
    }

    fn name(&self) -> String {
        match self.inner.dimensions {
            Some(d) => format!("openai(model={},dimensions={d})", self.inner.model),
            None => format!("openai(model={})", self.inner.model),
        }
    }

    /// The requested `dimensions`, else the documented size of OpenAI's own models
    /// (`text-embedding-ada-002` and `-3-small`: 1536, `-3-large`: 3072), else unknown.
    fn dimension(&self) -> Option<usize> {
        if let Some(d) = self.inner.dimensions {
            return Some(d as usize);
        }
        match self.inner.model.as_str() {
            "text-embedding-ada-002" | "text-embedding-3-small" => Some(1536),
            "text-embedding-3-large" => Some(3072),
            _ => None,
        }
    }
}
