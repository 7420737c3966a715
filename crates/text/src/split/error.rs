//! Errors of the text splitters.

/// What can go wrong when building or running a text splitter.
///
/// The first three variants carry LangChain's `ValueError` messages verbatim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitterError {
    /// `chunk_size` was zero or negative.
    #[error("chunk_size must be > 0, got {0}")]
    ChunkSizeNotPositive(i64),
    /// `chunk_overlap` was negative.
    #[error("chunk_overlap must be >= 0, got {0}")]
    NegativeChunkOverlap(i64),
    /// `chunk_overlap` was larger than `chunk_size`.
    #[error(
        "Got a larger chunk overlap ({chunk_overlap}) than chunk size ({chunk_size}), should be smaller."
    )]
    OverlapLargerThanChunkSize {
        /// The requested overlap.
        chunk_overlap: i64,
        /// The requested chunk size.
        chunk_size: i64,
    },
    /// A size does not fit in this platform's `usize`.
    #[error("{name} = {value} does not fit in this platform's address space")]
    SizeOutOfRange {
        /// `chunk_size` or `chunk_overlap`.
        name: &'static str,
        /// The requested value.
        value: i64,
    },
    /// A separator marked as a regular expression does not compile.
    #[error("invalid separator regex {pattern:?}: {message}")]
    InvalidSeparatorRegex {
        /// The separator as given.
        pattern: String,
        /// The regex engine's explanation.
        message: String,
    },
    /// A separator regex gave up while matching (backtracking limit).
    #[error("separator regex {pattern:?} failed while matching: {message}")]
    RegexMatchFailed {
        /// The separator as given.
        pattern: String,
        /// The regex engine's explanation.
        message: String,
    },
    /// `create_documents` got a metadata list whose length differs from the text list.
    #[error(
        "texts and metadatas expected to be equal length but len(texts)={texts} and len(metadatas)={metadatas}"
    )]
    MetadataLengthMismatch {
        /// Number of texts.
        texts: usize,
        /// Number of metadata entries.
        metadatas: usize,
    },
    /// `from_language` for a language LangChain names but has no separators for.
    #[error("Language Language.{0} is not implemented yet!")]
    LanguageNotImplemented(String),
    /// Splitter settings given as JSON (LangChain keyword arguments) were malformed.
    #[error("invalid splitter option {key:?}: {message}")]
    InvalidOption {
        /// The offending keyword.
        key: String,
        /// What was wrong with it.
        message: String,
    },
}

impl SplitterError {
    /// The Python exception type LangChain raises in the same situation, for comparing with
    /// recorded LangChain behaviour (`"ValueError"`, `"re.error"`, `"IndexError"`, ...).
    pub fn python_type(&self) -> &'static str {
        match self {
            Self::ChunkSizeNotPositive(_)
            | Self::NegativeChunkOverlap(_)
            | Self::OverlapLargerThanChunkSize { .. }
            | Self::MetadataLengthMismatch { .. }
            | Self::LanguageNotImplemented(_) => "ValueError",
            Self::InvalidSeparatorRegex { .. } | Self::RegexMatchFailed { .. } => "re.error",
            Self::SizeOutOfRange { .. } => "OverflowError",
            Self::InvalidOption { .. } => "TypeError",
        }
    }
}
