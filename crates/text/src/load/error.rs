//! Errors of the document loaders. Each names the file or folder it is about.

use std::io;
use std::path::{Path, PathBuf};

/// What can go wrong when loading documents.
///
/// Messages for a single file start with LangChain's `Error loading <path>` (the text of
/// the `RuntimeError` it raises), followed by the cause.
#[derive(Debug, thiserror::Error)]
pub enum LoaderError {
    /// The file could not be read (missing, a folder, no permission, ...).
    #[error("Error loading {}: {source}", path.display())]
    Io {
        /// The file, as given.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The bytes are not valid in the requested encoding.
    #[error("Error loading {}: invalid {encoding} data at byte offset {offset}: {reason}", path.display())]
    Decode {
        /// The file, as given.
        path: PathBuf,
        /// Python's name of the encoding that failed.
        encoding: &'static str,
        /// Offset of the first byte that could not be decoded.
        offset: usize,
        /// What was wrong at that offset.
        reason: &'static str,
    },
    /// The requested encoding is not one this loader knows (Python's `LookupError`).
    #[error("Error loading {}: unknown encoding: {encoding}", path.display())]
    UnknownEncoding {
        /// The file, as given.
        path: PathBuf,
        /// The encoding name as given.
        encoding: String,
    },
    /// A directory loader was pointed at a folder that does not exist.
    #[error("Directory not found: '{}'", path.display())]
    DirectoryNotFound {
        /// The folder, as given.
        path: PathBuf,
    },
    /// A directory loader was pointed at something that is not a folder.
    #[error("Expected directory, got file: '{}'", path.display())]
    NotADirectory {
        /// The path, as given.
        path: PathBuf,
    },
    /// A glob pattern does not parse.
    #[error("invalid glob pattern {pattern:?}: {message}")]
    InvalidGlob {
        /// The pattern as given.
        pattern: String,
        /// The parser's explanation.
        message: String,
    },
    /// A folder could not be listed while walking a directory tree.
    #[error("Error listing {}: {message}", path.display())]
    Walk {
        /// The folder (or entry) that failed.
        path: PathBuf,
        /// The walker's explanation.
        message: String,
    },
}

impl LoaderError {
    /// The file or folder this error is about (`None` for a bad glob pattern).
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::Io { path, .. }
            | Self::Decode { path, .. }
            | Self::UnknownEncoding { path, .. }
            | Self::DirectoryNotFound { path }
            | Self::NotADirectory { path }
            | Self::Walk { path, .. } => Some(path),
            Self::InvalidGlob { .. } => None,
        }
    }

    /// The Python exception LangChain raises in the same situation.
    pub fn python_type(&self) -> &'static str {
        match self {
            Self::Io { .. } | Self::Decode { .. } | Self::UnknownEncoding { .. } => "RuntimeError",
            Self::DirectoryNotFound { .. } => "FileNotFoundError",
            Self::NotADirectory { .. } | Self::InvalidGlob { .. } => "ValueError",
            Self::Walk { .. } => "OSError",
        }
    }
}
