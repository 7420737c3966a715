//! Opening and saving the folders `ferrofaiss index` writes, with messages that say
//! which folder or file is wrong.
//!
//! A saved folder records the name of the embedder that built it (the store writes
//! [`Embeddings::name`] into its docstore file). `search` embeds queries with that
//! embedder and refuses another; the commands that never embed open the folder with a
//! [`RecordedEmbedder`] of the saved name, so saving again keeps the name.

use std::path::Path;
use std::sync::Arc;

use ferrofaiss::embeddings::Embeddings;
use ferrofaiss::DEFAULT_INDEX_NAME;
use ferrofaiss::{saved_paths, FaissStore, LoadOptions, PersistError, StoreError};

use crate::embedder::{embedder_for_saved_name, MiniLmArgs, RecordedEmbedder};
use crate::error::{CliError, CliResult};

/// Checks that `dir` is a folder holding a saved store, before anything is read.
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
    for path in [&faiss_path, &docstore_path] {
        if !path.is_file() {
            return Err(CliError::new(format!(
                "{} holds no ferrofaiss index: {} is missing (create one with `ferrofaiss index`)",
                dir.display(),
                path.display()
            )));
        }
    }
    Ok(())
}

/// Whether `dir` already holds a saved store (either of its two files).
pub fn holds_saved_store(dir: &Path) -> bool {
    let (faiss_path, docstore_path) = saved_paths(dir, DEFAULT_INDEX_NAME);
    faiss_path.exists() || docstore_path.exists()
}

/// A name no real embedder has: loading with it always reports the saved name.
const PROBE_NAME: &str = "\u{0}ferrofaiss-cli probe";

fn load(dir: &Path, embedder: Arc<dyn Embeddings>) -> Result<FaissStore, StoreError> {
    FaissStore::load_local(dir, embedder, &LoadOptions::new())
}

fn load_error(dir: &Path, e: StoreError) -> CliError {
    CliError::with_cause(format!("cannot load the index in {}", dir.display()), e)
}

/// The name of the embedder that built the store saved in `dir`: read from the
/// docstore file alone; a folder written by LangChain records none, so it is loaded
/// with a probe name instead.
pub fn saved_embedder_name(dir: &Path) -> CliResult<String> {
    check_saved_folder(dir)?;
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
/// of the embedder that built it.
pub fn open_without_embedder(dir: &Path) -> CliResult<FaissStore> {
    let name = saved_embedder_name(dir)?;
    load(dir, Arc::new(RecordedEmbedder::new(name))).map_err(|e| load_error(dir, e))
}

/// Opens the store in `dir` for searching. With `requested`, that embedder must be the
/// one that built the store; without, the recorded embedder is rebuilt (the default
/// hashing embedder is tried first, so the common case reads the folder once; MiniLM
/// is rebuilt with `minilm`'s settings).
pub fn open_for_search(
    dir: &Path,
    requested: Option<Arc<dyn Embeddings>>,
    minilm: &MiniLmArgs,
) -> CliResult<FaissStore> {
    check_saved_folder(dir)?;
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

/// Saves `store` into `dir` (each file replaced atomically by the store).
pub fn save(store: &FaissStore, dir: &Path) -> CliResult<()> {
    store
        .save_local(dir, DEFAULT_INDEX_NAME)
        .map_err(|e| CliError::with_cause(format!("cannot save the index to {}", dir.display()), e))
}
