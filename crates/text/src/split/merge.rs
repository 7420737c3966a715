//! LangChain's `_merge_splits`: greedy packing of pieces into chunks with overlap.

use std::fmt;

use ferrofaiss_cpython::python_strip;

use super::settings::ChunkSettings;

/// The logger LangChain's merge warnings go to.
pub const MERGE_LOGGER: &str = "langchain_text_splitters.base";

/// A warning LangChain logs (at `WARNING` level) while splitting. Every splitting method
/// emits it as a `tracing` event at `WARN` (field `logger` = [`MERGE_LOGGER`], message =
/// this value's `Display`, LangChain's text); the `*_with_warnings` methods also return
/// the values to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitWarning {
    /// A chunk longer than `chunk_size` was made (a single piece that did not fit). Like
    /// LangChain, this is only reported when another piece follows the oversized one.
    OversizedChunk {
        /// The size of the chunk, separators included, before stripping.
        size: usize,
        /// The configured `chunk_size`.
        chunk_size: usize,
    },
}

impl SplitWarning {
    /// The Python logger LangChain writes this warning to.
    pub fn logger(&self) -> &'static str {
        MERGE_LOGGER
    }
}

impl fmt::Display for SplitWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OversizedChunk { size, chunk_size } => write!(
                f,
                "Created a chunk of size {size}, which is longer than the specified {chunk_size}"
            ),
        }
    }
}

/// Packs `pieces` into chunks no longer than `chunk_size` where possible, joining them with
/// `separator` and carrying up to `chunk_overlap` of the previous chunk's tail into the next
/// one. Appends the chunks to `chunks` and any warnings to `warnings`.
pub(crate) fn merge_splits(
    pieces: &[&str],
    separator: &str,
    settings: &ChunkSettings,
    chunks: &mut Vec<String>,
    warnings: &mut Vec<SplitWarning>,
) {
    let measure = |s: &str| settings.length_function.measure(s);
    let sep_len = measure(separator);
    let lengths: Vec<usize> = pieces.iter().map(|p| measure(p)).collect();
    let (size, overlap) = (settings.chunk_size, settings.chunk_overlap);
    // The current chunk is always the window pieces[start..i] of consecutive pieces.
    let mut start = 0;
    let mut total = 0usize;
    for (i, &len) in lengths.iter().enumerate() {
        // The size of the current chunk with piece `i` appended. Saturating: a custom
        // length function may return anything.
        let grown = |start: usize, total: usize| {
            total
                .saturating_add(len)
                .saturating_add(if i > start { sep_len } else { 0 })
        };
        if grown(start, total) > size {
            if total > size {
                let warning = SplitWarning::OversizedChunk {
                    size: total,
                    chunk_size: size,
                };
                tracing::warn!(logger = MERGE_LOGGER, "{warning}");
                warnings.push(warning);
            }
            if i > start {
                emit(&pieces[start..i], separator, settings, chunks);
                while start < i && (total > overlap || (grown(start, total) > size && total > 0)) {
                    let sep_after_first = if i - start > 1 { sep_len } else { 0 };
                    total = total.saturating_sub(lengths[start].saturating_add(sep_after_first));
                    start += 1;
                }
            }
        }
        total = grown(start, total);
    }
    emit(&pieces[start..], separator, settings, chunks);
}

/// LangChain's `_join_docs`: join, strip if configured, keep only non-empty chunks.
fn emit(window: &[&str], separator: &str, settings: &ChunkSettings, chunks: &mut Vec<String>) {
    let joined = window.join(separator);
    let chunk = if settings.strip_whitespace {
        python_strip(&joined)
    } else {
        joined.as_str()
    };
    if !chunk.is_empty() {
        chunks.push(chunk.to_owned());
    }
}
