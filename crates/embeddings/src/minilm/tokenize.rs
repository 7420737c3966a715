//! Tokenising as sentence-transformers does for this model: the Hugging Face tokenizer
//! from `tokenizer.json`, texts stripped of surrounding whitespace, `[CLS] … [SEP]`
//! added, truncated to `max_seq_length` tokens (256 for all-MiniLM-L6-v2, not the 128
//! stored in `tokenizer.json`), no padding (the encoder packs sequences instead).

use std::path::Path;

use tokenizers::{PostProcessor, Tokenizer, TruncationParams};

use super::error::MiniLmError;

/// The model's tokenizer with sentence-transformers' truncation.
pub struct TextTokenizer {
    inner: Tokenizer,
}

impl TextTokenizer {
    /// Reads `path` and truncates to `max_len` tokens, special tokens included.
    ///
    /// # Errors
    /// [`MiniLmError::MissingFile`]; [`MiniLmError::CorruptFile`] when the file is not
    /// a tokenizer; [`MiniLmError::InvalidSetting`] when `max_len` leaves no room for a
    /// token besides the special ones.
    pub fn read(path: &Path, max_len: usize) -> Result<Self, MiniLmError> {
        if !path.is_file() {
            return Err(MiniLmError::MissingFile {
                path: path.to_path_buf(),
            });
        }
        let mut inner = Tokenizer::from_file(path).map_err(|e| MiniLmError::CorruptFile {
            path: path.to_path_buf(),
            reason: format!("not a Hugging Face tokenizer: {e}"),
        })?;
        let special = inner
            .get_post_processor()
            .map_or(0, |p| p.added_tokens(false));
        if max_len <= special {
            return Err(MiniLmError::InvalidSetting(format!(
                "max_seq_length {max_len} leaves no room for text besides the {special} special tokens"
            )));
        }
        inner
            .with_truncation(Some(TruncationParams {
                max_length: max_len,
                ..TruncationParams::default()
            }))
            .map_err(|e| MiniLmError::InvalidSetting(e.to_string()))?;
        inner.with_padding(None);
        Ok(Self { inner })
    }

    /// Token ids of each text, special tokens included.
    ///
    /// # Errors
    /// [`MiniLmError::Tokenize`] when the tokenizer fails.
    pub fn encode<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<u32>>, MiniLmError> {
        // sentence-transformers strips each text before tokenising.
        let inputs: Vec<&str> = texts.iter().map(|t| t.as_ref().trim()).collect();
        let encodings = self
            .inner
            .encode_batch_fast(inputs, true)
            .map_err(|e| MiniLmError::Tokenize(e.to_string()))?;
        Ok(encodings.iter().map(|e| e.get_ids().to_vec()).collect())
    }
}
