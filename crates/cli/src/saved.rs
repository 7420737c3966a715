//! Opening and saving the folders `ferrofaiss index` writes, and folders LangChain's
//! `FAISS.save_local` wrote, with messages that say which folder or file is wrong.
//!
//! A folder in our format records the name of the embedder that built it (the store
//! writes [`Embeddings::name`] into its docstore file). `search` embeds queries with that
//! embedder and refuses another; the commands that never embed open the folder with a
//! [`RecordedEmbedder`] of the saved name, so saving again keeps the name.
//!
//! A LangChain folder (`index.faiss` + `index.pkl`) records no embedder: `search` needs
//! `--embedder`, and the other commands open it with a stand-in named
//! [`UNRECORDED_EMBEDDER`].

use std::path::Path;
use std::sync::Arc;

use clap::ValueEnum;
use ferrofaiss::embeddings::Embeddings;
use ferrofaiss::index::MetricType;
use ferrofaiss::DEFAULT_INDEX_NAME;
use ferrofaiss::{
    saved_paths, DistanceStrategy, FaissStore, LoadOptions, PersistError, SaveFormat, StoreError,
};

use crate::embedder::{embedder_for_saved_name, MiniLmArgs, RecordedEmbedder};
use crate::error::{CliError, CliResult};

/// The embedder name a LangChain folder is opened with (it records none).
pub const UNRECORDED_EMBEDDER: &str = "unrecorded (LangChain folder)";

/// `--format`: which files a command that saves writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// index.faiss + index.docstore (ours: keeps the distance, normalize flag and
    /// embedder; loads without pickle).
    Ferrofaiss,
    /// index.faiss + index.pkl, as LangChain's `FAISS.save_local` writes them (Python's
    /// `FAISS.load_local` opens the folder).
    Langchain,
}

impl From<FormatArg> for SaveFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Ferrofaiss => SaveFormat::Ferrofaiss,
            FormatArg::Langchain => SaveFormat::LangChain,
        }
    }
}

/// The format of the store saved in `dir` (checked by [`check_saved_folder`]).
pub fn folder_format(dir: &Path) -> SaveFormat {
    SaveFormat::of_folder(dir, DEFAULT_INDEX_NAME).unwrap_or_default()
}

/// The format a command that rewrites `dir` saves in: `--format` when given, else
/// the one the folder has.
pub fn format_for(dir: &Path, requested: Option<FormatArg>) -> SaveFormat {
    requested.map_or_else(|| folder_format(dir), SaveFormat::from)
}

/// Checks that `dir` is a folder holding a saved store (ours or LangChain's), before
/// anything is read.
pub fn check_saved_folder(dir: &Path) -> CliResult<()> {
    if !dir.exists() {
        return Err(CliError::new(format!(
            "no index at {}: the folder does not exist",
            dir.display()
        )));
    }
    if !dir.is_dir() {
        return Err(CliError::new(format!(
            "no index at {}: not a folder",
            dir.display()
        )));
    }
    let (faiss_path, docstore_path) = saved_paths(dir, DEFAULT_INDEX_NAME);
    let (_, pickle_path) = SaveFormat::LangChain.paths(dir, DEFAULT_INDEX_NAME);
    if !faiss_path.is_file() {
        return Err(CliError::new(format!(
            "{} holds no ferrofaiss index: {} is missing (create one with `ferrofaiss index`)",
            dir.display(),
            faiss_path.display()
        )));
    }
    if !docstore_path.is_file() && !pickle_path.is_file() {
        return Err(CliError::new(format!(
            "{} holds no ferrofaiss index: {} is missing, and so is LangChain's {} \
             (create one with `ferrofaiss index`)",
            dir.display(),
            docstore_path.display(),
            pickle_path.display()
        )));
    }
    Ok(())
}

/// Whether `dir` already holds a saved store (any of its files).
pub fn holds_saved_store(dir: &Path) -> bool {
    let (faiss_path, docstore_path) = saved_paths(dir, DEFAULT_INDEX_NAME);
    let (_, pickle_path) = SaveFormat::LangChain.paths(dir, DEFAULT_INDEX_NAME);
    faiss_path.exists() || docstore_path.exists() || pickle_path.exists()
}

/// A name no real embedder has: loading with it always reports the saved name.
const PROBE_NAME: &str = "\u{0}ferrofaiss-cli probe";

fn load(dir: &Path, embedder: Arc<dyn Embeddings>) -> Result<FaissStore, StoreError> {
    FaissStore::load_local(dir, embedder, &LoadOptions::new())
}

fn load_error(dir: &Path, e: StoreError) -> CliError {
    CliError::with_cause(format!("cannot load the index in {}", dir.display()), e)
}

/// Loads a LangChain folder with `embedder`. LangChain records no distance strategy;
/// an inner-product index is searched as `MAX_INNER_PRODUCT`, any other as
/// LangChain's default, `EUCLIDEAN_DISTANCE`.
fn load_langchain(dir: &Path, embedder: Arc<dyn Embeddings>) -> CliResult<FaissStore> {
    let store = load(dir, Arc::clone(&embedder)).map_err(|e| load_error(dir, e))?;
    if store.index().metric() != MetricType::InnerProduct {
        return Ok(store);
    }
    let opts = LoadOptions::new().distance_strategy(DistanceStrategy::MaxInnerProduct);
    FaissStore::load_local(dir, embedder, &opts).map_err(|e| load_error(dir, e))
}

/// The name of the embedder that built the store saved in `dir` (in our format: read
/// from the docstore file alone).
fn saved_embedder_name(dir: &Path) -> CliResult<String> {
    if let Some(name) =
        FaissStore::saved_embedder_name(dir, DEFAULT_INDEX_NAME).map_err(|e| load_error(dir, e))?
    {
        return Ok(name);
    }
    match load(dir, Arc::new(RecordedEmbedder::new(PROBE_NAME))) {
        Err(StoreError::Persist(PersistError::EmbedderMismatch { saved, .. })) => Ok(saved),
        Err(e) => Err(load_error(dir, e)),
        Ok(store) => Ok(store.embeddings().name()),
    }
}

/// Opens the store in `dir` for commands that never embed: the store keeps the name
/// of the embedder that built it ([`UNRECORDED_EMBEDDER`] for a LangChain folder).
pub fn open_without_embedder(dir: &Path) -> CliResult<FaissStore> {
    check_saved_folder(dir)?;
    if folder_format(dir) == SaveFormat::LangChain {
        return load_langchain(dir, Arc::new(RecordedEmbedder::new(UNRECORDED_EMBEDDER)));
    }
    let name = saved_embedder_name(dir)?;
    load(dir, Arc::new(RecordedEmbedder::new(name))).map_err(|e| load_error(dir, e))
}

/// Opens the store in `dir` for searching. With `requested`, that embedder must be the
/// one that built the store; without, the recorded embedder is rebuilt (the default
/// hashing embedder is tried first, so the common case reads the folder once; MiniLM
/// is rebuilt with `minilm`'s settings). A LangChain folder records no embedder, so it
/// needs `requested`.
pub fn open_for_search(
    dir: &Path,
    requested: Option<Arc<dyn Embeddings>>,
    minilm: &MiniLmArgs,
) -> CliResult<FaissStore> {
    check_saved_folder(dir)?;
    if folder_format(dir) == SaveFormat::LangChain {
        let Some(embedder) = requested else {
            return Err(CliError::new(format!(
                "{} was saved in LangChain's format, which records no embedder: pass \
                 --embedder (the one that built it)",
                dir.display()
            )));
        };
        return load_langchain(dir, embedder);
    }
    let explicit = requested.is_some();
    let first = match requested {
        Some(embedder) => embedder,
        None => Arc::new(ferrofaiss::embeddings::HashingEmbeddings::default()),
    };
    match load(dir, first) {
        Ok(store) => Ok(store),
        Err(StoreError::Persist(PersistError::EmbedderMismatch { saved, given, .. })) => {
            if explicit {
                return Err(CliError::new(format!(
                    "{} was indexed with embedder {saved}, but this search embeds with {given}; \
                     search with the embedder that built the index (leave out --embedder)",
                    dir.display()
                )));
            }
            let embedder = embedder_for_saved_name(&saved, minilm)?;
            load(dir, embedder).map_err(|e| load_error(dir, e))
        }
        Err(e) => Err(load_error(dir, e)),
    }
}

/// Saves `store` into `dir` in `format` (the files replaced atomically by the store).
pub fn save(store: &FaissStore, dir: &Path, format: SaveFormat) -> CliResult<()> {
    store
        .save_local_with(dir, DEFAULT_INDEX_NAME, format)
        .map_err(|e| CliError::with_cause(format!("cannot save the index to {}", dir.display()), e))
}
