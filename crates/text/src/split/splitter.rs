//! The [`TextSplitter`] trait, what LangChain's `TextSplitter` base class offers, with
//! LangChain's `create_documents` / `split_documents` behind its default methods: chunks
//! become documents that carry a copy of their source metadata and, optionally, their
//! start position.

use ferrofaiss_cpython::CodePointOffsets;
use ferrofaiss_docstore::{Document, Metadata};
use serde_json::Value;

use super::error::SplitterError;
use super::merge::SplitWarning;

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
/// Warnings LangChain logs are `tracing` events at `WARN` on every method (see
/// [`SplitWarning`]), never printed by the crate; besides, the `*_reporting` methods
/// append them to a list and the `*_with_warnings` methods return them.
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

    /// LangChain's `split_text`: the chunks of `text`, warnings only emitted as `tracing` events.
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
        create_documents(self, texts, metadatas, warnings)
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
        split_documents(self, documents, warnings)
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

/// The metadata key `add_start_index` writes.
const START_INDEX_KEY: &str = "start_index";

fn create_documents<T: TextSplitter + ?Sized, S: AsRef<str>>(
    splitter: &T,
    texts: &[S],
    metadatas: Option<&[Metadata]>,
    warnings: &mut Vec<SplitWarning>,
) -> Result<Vec<Document>, SplitterError> {
    // LangChain: `metadatas or [{}] * len(texts)`, so an empty list means "none".
    let metadatas = metadatas.filter(|m| !m.is_empty());
    if let Some(m) = metadatas {
        if m.len() != texts.len() {
            return Err(SplitterError::MetadataLengthMismatch {
                texts: texts.len(),
                metadatas: m.len(),
            });
        }
    }
    let empty = Metadata::new();
    let mut documents = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let text = text.as_ref();
        let metadata = metadatas.map_or(&empty, |m| &m[i]);
        let chunks = splitter.split_text_reporting(text, warnings)?;
        let mut locator = splitter
            .add_start_index()
            .then(|| StartLocator::new(text, splitter.chunk_overlap()));
        for chunk in chunks {
            let mut chunk_metadata = metadata.clone();
            if let Some(locator) = locator.as_mut() {
                let index = locator.locate(&chunk);
                chunk_metadata.insert(START_INDEX_KEY.to_owned(), Value::from(index));
            }
            documents.push(Document {
                id: None,
                page_content: chunk,
                metadata: chunk_metadata,
            });
        }
    }
    Ok(documents)
}

fn split_documents<T: TextSplitter + ?Sized>(
    splitter: &T,
    documents: &[Document],
    warnings: &mut Vec<SplitWarning>,
) -> Result<Vec<Document>, SplitterError> {
    let texts: Vec<&str> = documents.iter().map(|d| d.page_content.as_str()).collect();
    let metadatas: Vec<Metadata> = documents.iter().map(|d| d.metadata.clone()).collect();
    create_documents(splitter, &texts, Some(&metadatas), warnings)
}

/// LangChain's start-index search: `text.find(chunk, max(0, index + prev_len - overlap))`.
struct StartLocator<'t> {
    text: &'t str,
    offsets: CodePointOffsets,
    overlap: i64,
    index: i64,
    previous_len: i64,
}

impl<'t> StartLocator<'t> {
    fn new(text: &'t str, overlap: usize) -> Self {
        Self {
            text,
            offsets: CodePointOffsets::new(text),
            overlap: i64::try_from(overlap).unwrap_or(i64::MAX),
            index: 0,
            previous_len: 0,
        }
    }

    /// The code-point index of `chunk` (or -1), advancing past it.
    fn locate(&mut self, chunk: &str) -> i64 {
        let offset = self
            .index
            .saturating_add(self.previous_len)
            .saturating_sub(self.overlap);
        self.index = self.offsets.find(self.text, chunk, offset.max(0));
        // `len(chunk)`: code points, whatever the splitter's length function.
        self.previous_len = i64::try_from(chunk.chars().count()).unwrap_or(i64::MAX);
        self.index
    }
}
