//! LangChain's text splitters: [`CharacterTextSplitter`] and
//! [`RecursiveCharacterTextSplitter`], sharing the [`TextSplitter`] trait.

mod character;
mod documents;
mod error;
mod kwargs;
mod language;
mod length;
mod merge;
mod recursive;
mod separator;
mod settings;

pub use character::{CharacterTextSplitter, CharacterTextSplitterOptions};
pub use error::SplitterError;
pub use language::{Language, UnknownLanguage};
pub use length::LengthFunction;
pub use merge::{SplitWarning, MERGE_LOGGER};
pub use recursive::{
    RecursiveCharacterTextSplitter, RecursiveCharacterTextSplitterOptions, DEFAULT_SEPARATORS,
};
pub use separator::KeepSeparator;

use ferrofaiss_docstore::{Document, Metadata};

/// Chunks together with the warnings LangChain would have logged while making them.
#[derive(Debug, Clone, PartialEq)]
pub struct Split<T> {
    /// The chunks (strings or documents), in order.
    pub chunks: Vec<T>,
    /// `Created a chunk of size ...` warnings, in the order they arose.
    pub warnings: Vec<SplitWarning>,
}

/// What LangChain's `TextSplitter` base class offers: split strings, and turn texts or
/// documents into chunk documents.
///
/// Warnings LangChain logs are never printed: the `*_reporting` methods append them to a
/// list, the `*_with_warnings` methods return them, the plain methods drop them.
pub trait TextSplitter {
    /// Splits `text` into chunks, appending any warnings to `warnings`.
    fn split_text_reporting(
        &self,
        text: &str,
        warnings: &mut Vec<SplitWarning>,
    ) -> Result<Vec<String>, SplitterError>;

    /// The configured `chunk_overlap` (used to locate `start_index`).
    fn chunk_overlap(&self) -> usize;

    /// Whether created documents get `metadata["start_index"]`.
    fn add_start_index(&self) -> bool;

    /// LangChain's `split_text`: the chunks of `text`, warnings dropped.
    fn split_text(&self, text: &str) -> Result<Vec<String>, SplitterError> {
        self.split_text_reporting(text, &mut Vec::new())
    }

    /// The chunks of `text` and the warnings made on the way.
    fn split_text_with_warnings(&self, text: &str) -> Result<Split<String>, SplitterError> {
        let mut warnings = Vec::new();
        let chunks = self.split_text_reporting(text, &mut warnings)?;
        Ok(Split { chunks, warnings })
    }

    /// LangChain's `create_documents(texts, metadatas)`: one document per chunk, each with
    /// its own copy of the text's metadata, `id = None`, and `start_index` (code points,
    /// -1 when LangChain's `str.find` would not find the chunk) if configured.
    ///
    /// `metadatas` of `None` or empty gives every document empty metadata, as in LangChain;
    /// otherwise it must have one entry per text (LangChain raises `IndexError` for a
    /// shorter list and ignores extra entries; both are an error here).
    fn create_documents_reporting<S: AsRef<str>>(
        &self,
        texts: &[S],
        metadatas: Option<&[Metadata]>,
        warnings: &mut Vec<SplitWarning>,
    ) -> Result<Vec<Document>, SplitterError>
    where
        Self: Sized,
    {
        documents::create_documents(self, texts, metadatas, warnings)
    }

    /// [`TextSplitter::create_documents_reporting`] without the warnings.
    fn create_documents<S: AsRef<str>>(
        &self,
        texts: &[S],
        metadatas: Option<&[Metadata]>,
    ) -> Result<Vec<Document>, SplitterError>
    where
        Self: Sized,
    {
        self.create_documents_reporting(texts, metadatas, &mut Vec::new())
    }

    /// LangChain's `split_documents`: splits each document's `page_content`, copying its
    /// metadata into every chunk. Chunk ids are `None`.
    fn split_documents_reporting(
        &self,
        documents: &[Document],
        warnings: &mut Vec<SplitWarning>,
    ) -> Result<Vec<Document>, SplitterError> {
        documents::split_documents(self, documents, warnings)
    }

    /// [`TextSplitter::split_documents_reporting`] without the warnings.
    fn split_documents(&self, documents: &[Document]) -> Result<Vec<Document>, SplitterError> {
        self.split_documents_reporting(documents, &mut Vec::new())
    }

    /// The chunk documents of `documents` and the warnings made on the way.
    fn split_documents_with_warnings(
        &self,
        documents: &[Document],
    ) -> Result<Split<Document>, SplitterError> {
        let mut warnings = Vec::new();
        let chunks = self.split_documents_reporting(documents, &mut warnings)?;
        Ok(Split { chunks, warnings })
    }
}
