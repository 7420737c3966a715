//! The settings every LangChain `TextSplitter` shares, validated as its `__init__` does.

use super::error::SplitterError;
use super::length::LengthFunction;

/// Validated chunking settings shared by all splitters.
#[derive(Debug, Clone)]
pub(crate) struct ChunkSettings {
    /// Largest chunk size wanted (checked > 0).
    pub(crate) chunk_size: usize,
    /// Overlap between consecutive chunks (checked <= `chunk_size`).
    pub(crate) chunk_overlap: usize,
    /// How sizes are measured.
    pub(crate) length_function: LengthFunction,
    /// Strip Python whitespace from both ends of every chunk.
    pub(crate) strip_whitespace: bool,
    /// Record `start_index` in the metadata of created documents.
    pub(crate) add_start_index: bool,
}

impl ChunkSettings {
    /// Checks sizes in LangChain's order and with its messages.
    pub(crate) fn new(
        chunk_size: i64,
        chunk_overlap: i64,
        length_function: LengthFunction,
        strip_whitespace: bool,
        add_start_index: bool,
    ) -> Result<Self, SplitterError> {
        if chunk_size <= 0 {
            return Err(SplitterError::ChunkSizeNotPositive(chunk_size));
        }
        if chunk_overlap < 0 {
            return Err(SplitterError::NegativeChunkOverlap(chunk_overlap));
        }
        if chunk_overlap > chunk_size {
            return Err(SplitterError::OverlapLargerThanChunkSize {
                chunk_overlap,
                chunk_size,
            });
        }
        let to_usize = |name: &'static str, value: i64| {
            usize::try_from(value).map_err(|_| SplitterError::SizeOutOfRange { name, value })
        };
        Ok(Self {
            chunk_size: to_usize("chunk_size", chunk_size)?,
            chunk_overlap: to_usize("chunk_overlap", chunk_overlap)?,
            length_function,
            strip_whitespace,
            add_start_index,
        })
    }
}
