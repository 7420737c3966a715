//! The typed error of Faiss file reading and writing.

use std::path::PathBuf;

use crate::IndexError;

/// Everything that can go wrong while reading or writing a Faiss index file.
///
/// Reading never panics and never allocates more than the input can back: a truncated,
/// corrupted or hostile file always ends in one of these variants.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaissIoError {
    /// The operating system refused an operation on a file (open, map, write, sync,
    /// rename).
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file (or the temporary file beside it) the operation was on.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// Writing to a caller-supplied [`std::io::Write`] failed.
    #[error("write error: {0}")]
    Write(#[source] std::io::Error),
    /// The input ended before a field it announces: `needed` bytes were required at
    /// `offset` but only `available` remain.
    #[error(
        "truncated Faiss data: {needed} bytes needed at offset {offset}, {available} available"
    )]
    Truncated {
        /// Byte offset where the field starts.
        offset: u64,
        /// Bytes the field needs.
        needed: u64,
        /// Bytes left in the input from `offset`.
        available: u64,
    },
    /// The first four bytes are not a Faiss type tag at all (not ASCII letters or
    /// digits): this is not a Faiss index file.
    #[error("not a Faiss index: leading bytes {found:02x?} are no Faiss type tag")]
    BadMagic {
        /// The four bytes found.
        found: [u8; 4],
    },
    /// A Faiss type tag (fourcc) this crate does not read or write, such as `IHNf`
    /// (HNSW), `IxSQ` (scalar quantizer), `IwSq` (IVF-SQ), `ilod` (on-disk lists).
    #[error("unsupported Faiss index type {0:?}")]
    UnsupportedFourcc(String),
    /// A flat or IVF index with a metric other than L2 or inner product.
    #[error(
        "unsupported metric {name} (metric_type {metric_type}) in Faiss index type {fourcc:?}"
    )]
    UnsupportedMetric {
        /// The tag of the index that carries the metric.
        fourcc: String,
        /// The raw `metric_type` value.
        metric_type: i32,
        /// Faiss's name for the metric (`L1`, `Linf`, ...).
        name: &'static str,
    },
    /// A field holds a value that is impossible or inconsistent with another field.
    #[error("bad value in field {field} at offset {offset}: {detail}")]
    BadValue {
        /// The field, named as in the format spec.
        field: &'static str,
        /// Byte offset of the field (0 when the problem is found while writing).
        offset: u64,
        /// What is wrong with it.
        detail: String,
    },
    /// The index ends before the end of the input.
    #[error("{extra} trailing bytes after the index, which ends at offset {end}")]
    TrailingBytes {
        /// Offset where the index ends.
        end: u64,
        /// Bytes left over.
        extra: u64,
    },
    /// The index given to a writer is of a type that has no Faiss file form here.
    #[error("index type {0} cannot be written as a Faiss file")]
    UnsupportedIndex(&'static str),
    /// The index types refused the decoded parts (for example duplicate ids in an
    /// `IxM2` file).
    #[error("index rejected the decoded data: {0}")]
    Index(#[from] IndexError),
}

impl FaissIoError {
    /// Shorthand for [`FaissIoError::BadValue`].
    pub(crate) fn bad(field: &'static str, offset: usize, detail: impl Into<String>) -> Self {
        FaissIoError::BadValue {
            field,
            offset: offset as u64,
            detail: detail.into(),
        }
    }
}
