//! LangChain's `create_documents` / `split_documents`: chunks become documents that carry
//! a copy of their source metadata and, optionally, their start position.

use ferrofaiss_cpython::CodePointOffsets;
use ferrofaiss_docstore::{Document, Metadata};
use serde_json::Value;

use super::{SplitWarning, SplitterError, TextSplitter};

/// The metadata key `add_start_index` writes.
const START_INDEX_KEY: &str = "start_index";

pub(crate) fn create_documents<T: TextSplitter + ?Sized, S: AsRef<str>>(
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

pub(crate) fn split_documents<T: TextSplitter + ?Sized>(
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
