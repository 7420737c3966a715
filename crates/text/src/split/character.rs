//! LangChain's `CharacterTextSplitter`: split on one separator, then merge.

use super::error::SplitterError;
use super::length::LengthFunction;
use super::merge::{merge_splits, SplitWarning};
use super::separator::{KeepSeparator, Separator};
use super::settings::ChunkSettings;
use super::splitter::TextSplitter;

/// The prefixes LangChain treats as a zero-width lookaround separator, which is never
/// re-inserted between merged pieces.
const LOOKAROUND_PREFIXES: [&str; 4] = ["(?=", "(?<!", "(?<=", "(?!"];

/// Settings of a [`CharacterTextSplitter`], with LangChain's defaults.
#[derive(Debug, Clone)]
pub struct CharacterTextSplitterOptions {
    /// Where to cut (default `"\n\n"`).
    pub separator: String,
    /// Treat `separator` as a regular expression (default `false`).
    pub is_separator_regex: bool,
    /// Largest chunk wanted, measured by `length_function` (default 4000; must be > 0).
    pub chunk_size: i64,
    /// Overlap between consecutive chunks (default 200; 0 ..= `chunk_size`).
    pub chunk_overlap: i64,
    /// How sizes are measured (default: code points, Python's `len`).
    pub length_function: LengthFunction,
    /// Keep separators in the pieces (default: drop them).
    pub keep_separator: KeepSeparator,
    /// Record each chunk's start (in code points) as `metadata["start_index"]`.
    pub add_start_index: bool,
    /// Strip whitespace from both ends of every chunk (default `true`).
    pub strip_whitespace: bool,
}

impl Default for CharacterTextSplitterOptions {
    fn default() -> Self {
        Self {
            separator: "\n\n".to_owned(),
            is_separator_regex: false,
            chunk_size: 4000,
            chunk_overlap: 200,
            length_function: LengthFunction::code_points(),
            keep_separator: KeepSeparator::Drop,
            add_start_index: false,
            strip_whitespace: true,
        }
    }
}

/// Splits text on one separator (literal or regex) and merges the pieces into chunks of at
/// most `chunk_size` with `chunk_overlap`, exactly as LangChain's `CharacterTextSplitter`.
///
/// A single piece longer than `chunk_size` becomes an oversized chunk of its own; use
/// [`crate::RecursiveCharacterTextSplitter`] to cut such pieces further.
#[derive(Debug, Clone)]
pub struct CharacterTextSplitter {
    separator: Separator,
    /// The text re-inserted between merged pieces.
    join_separator: String,
    keep_separator: KeepSeparator,
    settings: ChunkSettings,
}

impl CharacterTextSplitter {
    /// Validates `options` (LangChain's constructor errors) and compiles the separator.
    pub fn new(options: CharacterTextSplitterOptions) -> Result<Self, SplitterError> {
        let settings = ChunkSettings::new(
            options.chunk_size,
            options.chunk_overlap,
            options.length_function,
            options.strip_whitespace,
            options.add_start_index,
        )?;
        let separator = Separator::new(&options.separator, options.is_separator_regex)?;
        let lookaround = options.is_separator_regex
            && LOOKAROUND_PREFIXES
                .iter()
                .any(|p| options.separator.starts_with(p));
        // Quirk kept from LangChain: a regex separator is joined back as its source text.
        let join_separator = if options.keep_separator.keeps() || lookaround {
            String::new()
        } else {
            options.separator
        };
        Ok(Self {
            separator,
            join_separator,
            keep_separator: options.keep_separator,
            settings,
        })
    }

    /// A splitter on `"\n\n"` with the given sizes and LangChain's other defaults
    /// (LangChain's FAISS guide uses `chunk_size=1000, chunk_overlap=0`).
    pub fn with_sizes(chunk_size: i64, chunk_overlap: i64) -> Result<Self, SplitterError> {
        Self::new(CharacterTextSplitterOptions {
            chunk_size,
            chunk_overlap,
            ..CharacterTextSplitterOptions::default()
        })
    }
}

impl TextSplitter for CharacterTextSplitter {
    fn split_text_reporting(
        &self,
        text: &str,
        warnings: &mut Vec<SplitWarning>,
    ) -> Result<Vec<String>, SplitterError> {
        let pieces = self.separator.split(text, self.keep_separator)?;
        let mut chunks = Vec::new();
        merge_splits(
            &pieces,
            &self.join_separator,
            &self.settings,
            &mut chunks,
            warnings,
        );
        Ok(chunks)
    }

    fn chunk_overlap(&self) -> usize {
        self.settings.chunk_overlap
    }

    fn add_start_index(&self) -> bool {
        self.settings.add_start_index
    }
}
