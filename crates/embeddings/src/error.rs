//! Errors an embedder can return.

/// What went wrong while embedding.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmbeddingError {
    /// The embedder was configured wrongly (bad dimension, missing key, ...).
    #[error("embedder configuration: {0}")]
    Config(String),
    /// The input cannot be embedded (for example an empty batch where one is required).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A remote service answered with an error status.
    #[error("embedding service returned HTTP {status}: {message}")]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The remote service could not be reached or timed out.
    #[error("embedding service unreachable: {0}")]
    Transport(String),
    /// The service's answer could not be understood.
    #[error("malformed response from embedding service: {0}")]
    MalformedResponse(String),
    /// A model file is missing or corrupt.
    #[error("model: {0}")]
    Model(String),
    /// An embedder of another framework (rig, langchain-rust), used through a bridge,
    /// failed.
    #[error("{framework} embedder: {source}")]
    Bridged {
        /// The framework whose embedder failed (`"rig"`, `"langchain-rust"`).
        framework: &'static str,
        /// Its error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
