//! LangChain's document loaders and text splitters: turn files into documents and
//! documents into chunks.
//!
//! * [`TextLoader`] and [`DirectoryLoader`] read files as LangChain's loaders do
//!   (encodings, universal newlines, `metadata["source"]`).
//! * [`CharacterTextSplitter`] and [`RecursiveCharacterTextSplitter`] cut text into chunks
//!   exactly as `langchain_text_splitters` 1.1.3 does, lengths counted in code points.
//!
//! # Where this differs from LangChain, on purpose
//!
//! * LangChain logs `Created a chunk of size ...` warnings; here they are returned
//!   ([`TextSplitter::split_text_with_warnings`], the `*_reporting` methods), never printed.
//! * Separator regexes are compiled when the splitter is built, so a bad pattern is a
//!   constructor error ([`SplitterError::InvalidSeparatorRegex`]) rather than an error on
//!   first use. The engine is `fancy-regex` (lookaround included); `\s`, `\S` and `\Z` are
//!   rewritten to Python's meaning, other Python-only syntax may differ. Capture groups
//!   inside a separator are not spliced into the pieces as Python's `re.split` would.
//! * `create_documents` with a metadata list of the wrong length is an error
//!   ([`SplitterError::MetadataLengthMismatch`]); LangChain raises `IndexError` for a short
//!   list and ignores extra entries.
//! * `autodetect_encoding` tries a fixed list (byte-order mark, UTF-8, Windows-1252,
//!   Latin-1) instead of the `chardet` package.
//!
//! ```
//! use ferrofaiss_text::{CharacterTextSplitter, TextSplitter};
//! let splitter = CharacterTextSplitter::with_sizes(10, 0).unwrap();
//! let chunks = splitter.split_text("first\n\nsecond\n\nthird part").unwrap();
//! assert_eq!(chunks, ["first", "second", "third part"]);
//! ```

mod load;
mod split;

pub use ferrofaiss_docstore::{Document, Metadata};
pub use load::{DirectoryLoader, LoaderError, TextEncoding, TextLoader, DEFAULT_DIRECTORY_GLOB};
pub use split::{
    CharacterTextSplitter, CharacterTextSplitterOptions, KeepSeparator, Language, LengthFunction,
    RecursiveCharacterTextSplitter, RecursiveCharacterTextSplitterOptions, Split, SplitWarning,
    SplitterError, TextSplitter, UnknownLanguage, DEFAULT_SEPARATORS, MERGE_LOGGER,
};

/// The crate README's example, compiled and run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
