//! The typed errors of the store. Every failing call leaves the store unchanged.

use std::path::PathBuf;

use ferrofaiss_docstore::{FilterError, FilterEvalError};
use ferrofaiss_embeddings::EmbeddingError;
use ferrofaiss_index::faiss_io::FaissIoError;
use ferrofaiss_index::IndexError;

use crate::distance::{DistanceStrategy, UnknownDistanceStrategy};

/// What went wrong in a store operation. No variant is ever produced after the store
/// was modified: a failing call leaves it exactly as it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Nothing to add or build from (LangChain: `IndexError` / "not enough values to
    /// unpack").
    #[error("empty input: {0} must not be empty")]
    EmptyInput(&'static str),
    /// Two parallel lists differ in length (texts vs metadatas, ids or vectors).
    #[error(
        "texts and {what} expected to be equal length but len(texts)={texts} and len({what})={got}"
    )]
    LengthMismatch {
        /// The list compared with the texts: `"metadatas"`, `"ids"` or `"vectors"`.
        what: &'static str,
        /// Number of texts.
        texts: usize,
        /// Length of the other list.
        got: usize,
    },
    /// The same id appears twice in one call.
    #[error("duplicate ids found in the ids list: {0:?}")]
    DuplicateIds(Vec<String>),
    /// Ids of an add or merge are already in the store.
    #[error("tried to add ids that already exist: {0:?}")]
    IdsAlreadyExist(Vec<String>),
    /// Ids of a delete are not in the store.
    #[error("some specified ids do not exist in the current store; ids not found: {0:?}")]
    UnknownIds(Vec<String>),
    /// `delete` was given no ids.
    #[error("no ids provided to delete")]
    NoIdsToDelete,
    /// A vector's length differs from the index dimension.
    #[error("vector of dimension {got} given to a store of dimension {expected}")]
    DimensionMismatch {
        /// The store's dimension.
        expected: usize,
        /// The offending vector's length.
        got: usize,
    },
    /// A vector holds NaN or an infinity.
    #[error("vector {row} contains a non-finite value (NaN or infinity)")]
    NonFiniteVector {
        /// Position of the vector in the call (0 for a query).
        row: usize,
    },
    /// A search parameter is out of range (`k = 0`, `fetch_k = 0`, ...).
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The value given.
        value: String,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// A distance strategy name LangChain does not define.
    #[error(transparent)]
    UnknownDistanceStrategy(#[from] UnknownDistanceStrategy),
    /// Relevance scores were asked of a strategy that has no relevance function.
    #[error("no relevance function for distance strategy {0}: must be cosine, max_inner_product, or euclidean (or pass a custom relevance function)")]
    NoRelevanceFunction(DistanceStrategy),
    /// A search type other than `similarity`, `similarity_score_threshold` or `mmr`.
    #[error("search_type of {0} not allowed; expected 'similarity', 'similarity_score_threshold' or 'mmr'")]
    UnknownSearchType(String),
    /// A `similarity_score_threshold` retriever or search without a threshold.
    #[error("`score_threshold` is required for search type similarity_score_threshold")]
    MissingScoreThreshold,
    /// The embedder returned a different number of vectors than texts.
    #[error("the embedder returned {got} vectors for {expected} texts")]
    EmbeddingCount {
        /// Number of texts embedded.
        expected: usize,
        /// Number of vectors returned.
        got: usize,
    },
    /// The store's parts disagree (index rows vs row-to-id map vs documents).
    #[error("inconsistent store: {0}")]
    Inconsistent(String),
    /// Two stores cannot be merged (dimension, metric or index type differ).
    #[error("cannot merge: {0}")]
    IncompatibleMerge(String),
    /// A background task of the async handle panicked (the caller whose work it was
    /// gets this; the store is checked before the next call uses it).
    #[error("background task failed: {0}")]
    Background(String),
    /// A writer panicked while holding the async handle's store and left its parts
    /// disagreeing: the handle refuses every call from then on.
    #[error("store unusable: {0}")]
    Poisoned(String),
    /// A metadata filter is malformed (found before any document is examined).
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// A metadata filter cannot be evaluated on a document's metadata (Python's
    /// `TypeError`, e.g. ordering a string against a number).
    #[error(transparent)]
    FilterEval(#[from] FilterEvalError),
    /// The embedder failed.
    #[error(transparent)]
    Embedding(#[from] EmbeddingError),
    /// The index rejected an operation.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// Saving or loading failed.
    #[error(transparent)]
    Persist(#[from] PersistError),
}

/// What went wrong while saving or loading a store. Every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PersistError {
    /// The file could not be read, written, synced or renamed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file ends before its declared content.
    #[error("{}: truncated file ({reason})", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// What was missing.
        reason: String,
    },
    /// The file does not start with the expected magic bytes.
    #[error("{}: not a {expected} file (wrong magic bytes)", path.display())]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The kind of file expected.
        expected: &'static str,
    },
    /// The file was written by a newer format version than this library reads.
    #[error("{}: format version {found} is newer than the supported version {supported}", path.display())]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
        /// The newest version this library reads.
        supported: u32,
    },
    /// The path is not a regular file (a FIFO, a device, a directory): nothing is
    /// read from it.
    #[error("{}: not a regular file", path.display())]
    NotRegularFile {
        /// The path.
        path: PathBuf,
    },
    /// The file is larger than its format or the record that names it allows.
    #[error("{}: {size} bytes, more than the {limit} allowed here", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size, or the bytes read before the bound was passed.
        size: u64,
        /// The bound.
        limit: u64,
    },
    /// The file's content is damaged or inconsistent.
    #[error("{}: corrupt file: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The store was saved with another embedder than the one given to load it.
    #[error("{}: saved with embedder {saved:?}, loaded with {given:?} (set LoadOptions::allow_other_embedder to accept)", path.display())]
    EmbedderMismatch {
        /// The docstore file.
        path: PathBuf,
        /// The embedder name recorded in the file.
        saved: String,
        /// The name of the embedder given.
        given: String,
    },
    /// The store holds something the chosen save format cannot represent (e.g.
    /// metadata nested deeper than LangChain's pickle reader here accepts): nothing
    /// was written.
    #[error("{}: cannot be written in this format: {reason}", path.display())]
    Unrepresentable {
        /// The file that would have been written.
        path: PathBuf,
        /// What cannot be represented.
        reason: String,
    },
    /// The native Faiss index file could not be read or written.
    #[error("{}: {source}", path.display())]
    Faiss {
        /// The file.
        path: PathBuf,
        /// The Faiss reader's or writer's error.
        #[source]
        source: FaissIoError,
    },
}

impl PersistError {
    /// The file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            PersistError::Io { path, .. }
            | PersistError::Truncated { path, .. }
            | PersistError::BadMagic { path, .. }
            | PersistError::UnsupportedVersion { path, .. }
            | PersistError::Corrupt { path, .. }
            | PersistError::NotRegularFile { path }
            | PersistError::TooLarge { path, .. }
            | PersistError::EmbedderMismatch { path, .. }
            | PersistError::Unrepresentable { path, .. }
            | PersistError::Faiss { path, .. } => path,
        }
    }
}
