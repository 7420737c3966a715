//! LangChain's document loaders and text splitters: turn files into documents and
//! documents into chunks.
//!
//! * [`TextLoader`] and [`DirectoryLoader`] read files as LangChain's loaders do
//!   (encodings, universal newlines, `metadata["source"]`).
//! * [`CharacterTextSplitter`] and [`RecursiveCharacterTextSplitter`] cut text into chunks
//!   exactly as `langchain_text_splitters` 1.1.3 does, lengths counted in code points.
//!
//! ```
//! use ferrofaiss_text::{CharacterTextSplitter, TextSplitter};
//! let splitter = CharacterTextSplitter::with_sizes(10, 0).unwrap();
//! let chunks = splitter.split_text("first\n\nsecond\n\nthird part").unwrap();
//! assert_eq!(chunks, ["first", "second", "third part"]);
//! ```

mod load;
mod python_str;
mod split;

pub use ferrofaiss_docstore::{Document, Metadata};
pub use load::{DirectoryLoader, LoaderError, TextEncoding, TextLoader, DEFAULT_DIRECTORY_GLOB};
pub use python_str::{is_python_whitespace, python_strip};
pub use split::{
    CharacterTextSplitter, CharacterTextSplitterOptions, KeepSeparator, Language, LengthFunction,
    RecursiveCharacterTextSplitter, RecursiveCharacterTextSplitterOptions, Split, SplitWarning,
    SplitterError, TextSplitter, UnknownLanguage, DEFAULT_SEPARATORS, MERGE_LOGGER,
};
