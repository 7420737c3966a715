//! Embedders across the boundary: a ferrofaiss [`Embeddings`] as a langchain-rust
//! [`Embedder`] ([`FerrofaissEmbedder`]), and a langchain-rust [`Embedder`] as a
//! ferrofaiss [`Embeddings`] ([`LangchainEmbeddings`]).

use std::sync::Arc;

use async_trait::async_trait;
use ferrofaiss::embeddings::{vector_from_f64, EmbedFuture, EmbeddingError, Embeddings};
use langchain_rust::embedding::{Embedder, EmbedderError};

/// A ferrofaiss embedder (offline hashing, MiniLM, OpenAI) as a langchain-rust
/// [`Embedder`]; vectors are widened to f64 exactly.
///
/// langchain-rust's `EmbedderError` has no variant for an embedder of another
/// library: an HTTP error status becomes its `HttpError`; every other error becomes its
/// one plain-message variant, `FastEmbedError`, with a message that starts `ferrofaiss`
/// and the embedder's name (so it reads "FastEmbed error: ferrofaiss hashing-...: ...").
#[derive(Clone)]
pub struct FerrofaissEmbedder {
    embedder: Arc<dyn Embeddings>,
}

impl FerrofaissEmbedder {
    /// Wraps a ferrofaiss embedder.
    pub fn new(embedder: Arc<dyn Embeddings>) -> Self {
        FerrofaissEmbedder { embedder }
    }
}

impl std::fmt::Debug for FerrofaissEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FerrofaissEmbedder")
            .field("embedder", &self.embedder.name())
            .finish()
    }
}

/// A ferrofaiss embedding error of the embedder named `name` as langchain-rust's.
fn to_embedder_error(name: &str, error: EmbeddingError) -> EmbedderError {
    if let EmbeddingError::Http { status, message } = &error {
        if let Ok(status_code) = http::StatusCode::from_u16(*status) {
            return EmbedderError::HttpError {
                status_code,
                error_message: message.clone(),
            };
        }
    }
    EmbedderError::FastEmbedError(format!("ferrofaiss {name}: {error}"))
}

fn widen(vector: Vec<f32>) -> Vec<f64> {
    vector.into_iter().map(f64::from).collect()
}

#[async_trait]
impl Embedder for FerrofaissEmbedder {
    async fn embed_documents(&self, documents: &[String]) -> Result<Vec<Vec<f64>>, EmbedderError> {
        let vectors = self
            .embedder
            .aembed_documents(documents)
            .await
            .map_err(|e| to_embedder_error(&self.embedder.name(), e))?;
        Ok(vectors.into_iter().map(widen).collect())
    }

    async fn embed_query(&self, text: &str) -> Result<Vec<f64>, EmbedderError> {
        let vector = self
            .embedder
            .aembed_query(text)
            .await
            .map_err(|e| to_embedder_error(&self.embedder.name(), e))?;
        Ok(widen(vector))
    }
}

/// A langchain-rust [`Embedder`] (OpenAI, Ollama, FastEmbed, ...) as a ferrofaiss
/// [`Embeddings`]. Vectors are narrowed to f32; a value that is not a finite f32 is an
/// error.
///
/// langchain-rust's embedders are async; use this embedder through
/// [`AsyncFaissStore`](ferrofaiss::AsyncFaissStore). The sync methods poll the future
/// on the calling thread, which an HTTP embedder (it needs a tokio reactor) cannot do.
#[derive(Clone)]
pub struct LangchainEmbeddings {
    embedder: Arc<dyn Embedder>,
    name: String,
    dimension: Option<usize>,
}

impl LangchainEmbeddings {
    /// Wraps `embedder`. `name` names it in saved stores (a store is not searched with
    /// another embedder than the one that built it), e.g. `"ollama:nomic-embed-text"`.
    pub fn new(embedder: impl Embedder + 'static, name: impl Into<String>) -> Self {
        LangchainEmbeddings {
            embedder: Arc::new(embedder),
            name: name.into(),
            dimension: None,
        }
    }

    /// Declares the width of the vectors, when known in advance.
    pub fn with_dimension(mut self, dimension: usize) -> Self {
        self.dimension = Some(dimension);
        self
    }
}

impl std::fmt::Debug for LangchainEmbeddings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LangchainEmbeddings")
            .field("name", &self.name)
            .field("dimension", &self.dimension)
            .finish()
    }
}

/// A langchain-rust error as a ferrofaiss embedding error.
fn bridged(error: EmbedderError) -> EmbeddingError {
    EmbeddingError::Bridged {
        framework: "langchain-rust",
        source: Box::new(error),
    }
}

impl Embeddings for LangchainEmbeddings {
    fn aembed_documents<'a>(&'a self, texts: &'a [String]) -> EmbedFuture<'a, Vec<Vec<f32>>> {
        Box::pin(async move {
            let vectors = self
                .embedder
                .embed_documents(texts)
                .await
                .map_err(bridged)?;
            vectors.iter().map(|v| vector_from_f64(v)).collect()
        })
    }

    fn aembed_query<'a>(&'a self, text: &'a str) -> EmbedFuture<'a, Vec<f32>> {
        Box::pin(async move {
            let vector = self.embedder.embed_query(text).await.map_err(bridged)?;
            vector_from_f64(&vector)
        })
    }

    fn name(&self) -> String {
        self.name.clone()
    }

    fn dimension(&self) -> Option<usize> {
        self.dimension
    }
}
