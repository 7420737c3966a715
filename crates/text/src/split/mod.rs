//! LangChain's text splitters: [`CharacterTextSplitter`] and
//! [`RecursiveCharacterTextSplitter`], sharing the [`TextSplitter`] trait.

mod character;
mod error;
mod kwargs;
mod language;
mod length;
mod merge;
mod recursive;
mod separator;
mod settings;
mod splitter;

pub use character::{CharacterTextSplitter, CharacterTextSplitterOptions};
pub use error::SplitterError;
pub use language::{Language, UnknownLanguage};
pub use length::LengthFunction;
pub use merge::{SplitWarning, MERGE_LOGGER};
pub use recursive::{
    RecursiveCharacterTextSplitter, RecursiveCharacterTextSplitterOptions, DEFAULT_SEPARATORS,
};
pub use separator::KeepSeparator;
pub use splitter::{Split, TextSplitter};
