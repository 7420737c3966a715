//! LangChain's `RecursiveCharacterTextSplitter`: try separators in order, cutting pieces
//! that are still too large with the next ones.

use super::error::SplitterError;
use super::language::Language;
use super::length::LengthFunction;
use super::merge::{merge_splits, SplitWarning};
use super::separator::{KeepSeparator, Separator};
use super::settings::ChunkSettings;
use super::splitter::TextSplitter;

/// LangChain's default separators: paragraphs, lines, words, code points.
pub const DEFAULT_SEPARATORS: [&str; 4] = ["\n\n", "\n", " ", ""];

/// Settings of a [`RecursiveCharacterTextSplitter`], with LangChain's defaults.
#[derive(Debug, Clone)]
pub struct RecursiveCharacterTextSplitterOptions {
    /// Separators, most preferred first. Empty means [`DEFAULT_SEPARATORS`] (as in
    /// LangChain, where `separators or [...]` also replaces an empty list).
    pub separators: Vec<String>,
    /// Treat the separators as regular expressions (default `false`).
    pub is_separator_regex: bool,
    /// Largest chunk wanted (default 4000; must be > 0).
    pub chunk_size: i64,
    /// Overlap between consecutive chunks (default 200; 0 ..= `chunk_size`).
    pub chunk_overlap: i64,
    /// How sizes are measured (default: code points).
    pub length_function: LengthFunction,
    /// Keep separators in the pieces. **Default `Start`** (LangChain's `True`) here, unlike
    /// the character splitter.
    pub keep_separator: KeepSeparator,
    /// Record each chunk's start (in code points) as `metadata["start_index"]`.
    pub add_start_index: bool,
    /// Strip whitespace from both ends of every merged chunk (default `true`).
    pub strip_whitespace: bool,
}

impl Default for RecursiveCharacterTextSplitterOptions {
    fn default() -> Self {
        Self {
            separators: Vec::new(),
            is_separator_regex: false,
            chunk_size: 4000,
            chunk_overlap: 200,
            length_function: LengthFunction::code_points(),
            keep_separator: KeepSeparator::Start,
            add_start_index: false,
            strip_whitespace: true,
        }
    }
}

/// One separator of the recursive splitter: its source text and compiled form.
#[derive(Debug, Clone)]
struct Level {
    source: String,
    separator: Separator,
}

/// Splits text with the first separator that occurs in it; pieces still not shorter than
/// `chunk_size` are split again with the following separators; the rest are merged with
/// overlap, exactly as LangChain's `RecursiveCharacterTextSplitter`.
///
/// A piece that is too large when no separator is left is emitted as it is (not stripped).
#[derive(Debug, Clone)]
pub struct RecursiveCharacterTextSplitter {
    levels: Vec<Level>,
    keep_separator: KeepSeparator,
    settings: ChunkSettings,
}

impl RecursiveCharacterTextSplitter {
    /// Validates `options` (LangChain's constructor errors) and compiles the separators.
    pub fn new(options: RecursiveCharacterTextSplitterOptions) -> Result<Self, SplitterError> {
        let settings = ChunkSettings::new(
            options.chunk_size,
            options.chunk_overlap,
            options.length_function,
            options.strip_whitespace,
            options.add_start_index,
        )?;
        let sources = if options.separators.is_empty() {
            DEFAULT_SEPARATORS.iter().map(|s| (*s).to_owned()).collect()
        } else {
            options.separators
        };
        let levels = sources
            .into_iter()
            .map(|source| {
                let separator = Separator::new(&source, options.is_separator_regex)?;
                Ok(Level { source, separator })
            })
            .collect::<Result<Vec<_>, SplitterError>>()?;
        Ok(Self {
            levels,
            keep_separator: options.keep_separator,
            settings,
        })
    }

    /// A splitter with the default separators and the given sizes.
    pub fn with_sizes(chunk_size: i64, chunk_overlap: i64) -> Result<Self, SplitterError> {
        Self::new(RecursiveCharacterTextSplitterOptions {
            chunk_size,
            chunk_overlap,
            ..RecursiveCharacterTextSplitterOptions::default()
        })
    }

    /// LangChain's `from_language`: `options` with the language's separators, which are
    /// regular expressions (`separators` and `is_separator_regex` of `options` are
    /// replaced).
    pub fn from_language(
        language: Language,
        options: RecursiveCharacterTextSplitterOptions,
    ) -> Result<Self, SplitterError> {
        let separators = language.separators().ok_or_else(|| {
            SplitterError::LanguageNotImplemented(language.name().to_ascii_uppercase())
        })?;
        Self::new(RecursiveCharacterTextSplitterOptions {
            separators: separators.iter().map(|s| (*s).to_owned()).collect(),
            is_separator_regex: true,
            ..options
        })
    }

    /// The separators in the order they are tried.
    pub fn separators(&self) -> impl Iterator<Item = &str> {
        self.levels.iter().map(|l| l.source.as_str())
    }

    /// Starts LangChain's `_split_text(text, separators)` on `self.levels[from..]`: picks
    /// the first separator that occurs in `text` and cuts `text` with it.
    fn start_level<'t>(&self, text: &'t str, from: usize) -> Result<Frame<'t, '_>, SplitterError> {
        let levels = &self.levels[from.min(self.levels.len())..];
        // The separator to use, and where the remaining (finer) separators start.
        let mut chosen = levels.last();
        let mut next = self.levels.len();
        for (i, level) in levels.iter().enumerate() {
            if level.source.is_empty() {
                chosen = Some(level);
                break;
            }
            if level.separator.occurs_in(text)? {
                chosen = Some(level);
                next = from + i + 1;
                break;
            }
        }
        let (pieces, join) = match chosen {
            Some(level) => (
                level.separator.split(text, self.keep_separator)?,
                if self.keep_separator.keeps() {
                    ""
                } else {
                    level.source.as_str()
                },
            ),
            None => (Vec::new(), ""),
        };
        Ok(Frame {
            pieces: pieces.into_iter(),
            join,
            next,
            good: Vec::new(),
        })
    }
}

/// One `_split_text` call in progress. The recursion is run on an explicit stack of these,
/// so a long separator list cannot overflow the thread's stack.
struct Frame<'t, 's> {
    /// Pieces not looked at yet.
    pieces: std::vec::IntoIter<&'t str>,
    /// What merged pieces are joined with.
    join: &'s str,
    /// The level oversized pieces are cut with next (`levels.len()`: none left).
    next: usize,
    /// Consecutive small pieces waiting to be merged.
    good: Vec<&'t str>,
}

impl TextSplitter for RecursiveCharacterTextSplitter {
    fn split_text_reporting(
        &self,
        text: &str,
        warnings: &mut Vec<SplitWarning>,
    ) -> Result<Vec<String>, SplitterError> {
        let settings = &self.settings;
        let mut chunks = Vec::new();
        let mut stack = vec![self.start_level(text, 0)?];
        while let Some(top) = stack.last_mut() {
            let Some(piece) = top.pieces.next() else {
                if !top.good.is_empty() {
                    merge_splits(&top.good, top.join, settings, &mut chunks, warnings);
                }
                stack.pop();
                continue;
            };
            if settings.length_function.measure(piece) < settings.chunk_size {
                top.good.push(piece);
                continue;
            }
            if !top.good.is_empty() {
                merge_splits(&top.good, top.join, settings, &mut chunks, warnings);
                top.good.clear();
            }
            if top.next >= self.levels.len() {
                chunks.push(piece.to_owned());
            } else {
                let next = top.next;
                stack.push(self.start_level(piece, next)?);
            }
        }
        Ok(chunks)
    }

    fn chunk_overlap(&self) -> usize {
        self.settings.chunk_overlap
    }

    fn add_start_index(&self) -> bool {
        self.settings.add_start_index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each level's separator cuts off one tag, leaving the rest too large: the levels
    /// nest 2000 deep. Kept separators, no overlap, no stripping: the chunks rebuild the
    /// text.
    #[test]
    fn deeply_nested_levels_run_without_recursion() {
        let levels = 2000;
        let separators: Vec<String> = (0..levels).map(|i| format!("<{i}>")).collect();
        let text: String = separators.concat() + "end";
        let splitter = RecursiveCharacterTextSplitter::new(RecursiveCharacterTextSplitterOptions {
            separators,
            chunk_size: 8,
            chunk_overlap: 0,
            strip_whitespace: false,
            ..RecursiveCharacterTextSplitterOptions::default()
        })
        .unwrap();
        let chunks = splitter.split_text(&text).unwrap();
        assert_eq!(chunks.concat(), text);
        assert!(chunks.len() > levels / 2);
    }
}
