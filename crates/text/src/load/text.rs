//! LangChain's `TextLoader`: a whole file as one document.

use std::path::{Path, PathBuf};

use ferrofaiss_docstore::{Document, Metadata};
use serde_json::Value;

use super::encoding::{universal_newlines, TextEncoding};
use super::error::LoaderError;

/// The metadata key holding the path a document was loaded from.
pub(crate) const SOURCE_KEY: &str = "source";

/// Loads one text file as one [`Document`], as LangChain's
/// `TextLoader(file_path, encoding=None, autodetect_encoding=False)` does:
///
/// * `page_content` is the whole file, decoded with `encoding` (UTF-8 when `None`), with
///   Python's universal newlines (`\r\n` and lone `\r` become `\n`). A UTF-8 byte-order
///   mark is kept as U+FEFF unless the encoding is `utf-8-sig`.
/// * `metadata` is `{"source": <the path exactly as given>}`; the id is `None`.
/// * With `autodetect_encoding`, a file the encoding cannot decode is retried with the
///   encodings a byte-order mark announces, then UTF-8, Windows-1252 and Latin-1.
///   (LangChain asks the `chardet` package instead, and returns empty content when every
///   guess fails; Latin-1 never fails, so this loader always returns the text.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLoader {
    path: PathBuf,
    encoding: Option<String>,
    autodetect_encoding: bool,
}

impl TextLoader {
    /// A loader for `path`, UTF-8, no autodetection.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            encoding: None,
            autodetect_encoding: false,
        }
    }

    /// Decodes with this Python codec name (`"utf-8-sig"`, `"latin-1"`, ...). An unknown
    /// name fails at [`TextLoader::load`], like Python's `LookupError`.
    pub fn with_encoding(mut self, encoding: impl Into<String>) -> Self {
        self.encoding = Some(encoding.into());
        self
    }

    /// Sets `autodetect_encoding`.
    pub fn with_autodetect_encoding(mut self, autodetect: bool) -> Self {
        self.autodetect_encoding = autodetect;
        self
    }

    /// The path, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// LangChain's `load()`: a list holding the single document.
    pub fn load(&self) -> Result<Vec<Document>, LoaderError> {
        Ok(vec![self.load_document()?])
    }

    /// The single document of the file.
    pub fn load_document(&self) -> Result<Document, LoaderError> {
        let text = self.read_text()?;
        let mut metadata = Metadata::new();
        metadata.insert(
            SOURCE_KEY.to_owned(),
            Value::String(self.path.to_string_lossy().into_owned()),
        );
        Ok(Document {
            id: None,
            page_content: text,
            metadata,
        })
    }

    /// The decoded, newline-translated text of the file.
    pub fn read_text(&self) -> Result<String, LoaderError> {
        let encoding = match &self.encoding {
            None => TextEncoding::Utf8,
            Some(name) => TextEncoding::from_python_name(name).ok_or_else(|| {
                LoaderError::UnknownEncoding {
                    path: self.path.clone(),
                    encoding: name.clone(),
                }
            })?,
        };
        let bytes = std::fs::read(&self.path).map_err(|source| LoaderError::Io {
            path: self.path.clone(),
            source,
        })?;
        let decoded = match encoding.decode(&bytes) {
            Ok(text) => text,
            Err(failure) => {
                let fallback = self
                    .autodetect_encoding
                    .then(|| {
                        TextEncoding::autodetect_candidates(&bytes)
                            .into_iter()
                            .find_map(|candidate| candidate.decode(&bytes).ok())
                    })
                    .flatten();
                fallback.ok_or_else(|| LoaderError::Decode {
                    path: self.path.clone(),
                    encoding: encoding.python_name(),
                    offset: failure.offset,
                    reason: failure.reason,
                })?
            }
        };
        Ok(universal_newlines(decoded))
    }
}
