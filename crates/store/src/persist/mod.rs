//! Saving and loading stores: `save_local` / `load_local` (a folder holding the native
//! Faiss index file and our docstore file) and `serialize_to_bytes` /
//! `deserialize_from_bytes` (the same in one buffer).
//!
//! * `<index_name>.faiss` is written byte-for-byte as `faiss.write_index` writes it, so
//!   Faiss (and LangChain's `FAISS.load_local`, given a docstore) can read it.
//! * `<index_name>.docstore` replaces LangChain's `index.pkl`: no pickle, so loading runs
//!   no code and needs no "dangerous deserialization" flag. It also keeps the distance
//!   strategy, the normalize flag and the embedder's name, which LangChain loses.
//!
//! Saving is atomic, and crash-safe at every step (each step below is followed by an
//! fsync of the folder where the next one depends on it):
//!
//! 1. an exclusive advisory lock on the folder is taken (concurrent saves queue), and
//!    the temporary files of earlier killed saves are removed;
//! 2. a save that an earlier crash interrupted between its renames is finished the
//!    safe way: if the docstore file belongs with `<name>.faiss.previous` rather than
//!    with `<name>.faiss`, the previous index is renamed back;
//! 3. both new files are written to exclusive temporary files beside their targets
//!    and fsynced;
//! 4. the current index file is kept as `<name>.faiss.previous` (a hard link);
//! 5. the new index file is renamed into place, then the new docstore file;
//! 6. the previous index is removed.
//!
//! So at every instant the docstore file belongs with `<name>.faiss` or with
//! `<name>.faiss.previous`: the docstore file records the length and checksum of the
//! index file it belongs with, and `load_local` takes whichever of the two matches.
//! Any other pair is a typed error. Loads read only regular files, and never more
//! bytes than the docstore file records for the index.

mod atomic;
mod container;
mod format;
pub(crate) mod fuzz;
mod langchain;
mod pickle;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrofaiss_docstore::InMemoryDocstore;
use ferrofaiss_embeddings::Embeddings;
use ferrofaiss_index::faiss_io::{read_index_from_bytes, write_index_to_vec};
use ferrofaiss_index::Index;

use crate::error::{PersistError, StoreError};
use crate::relevance::RelevanceScoreFn;
use crate::store::{check_parts, check_stored_vectors, FaissStore, StoreConfig};
use crate::DistanceStrategy;

use atomic::{
    crash_point, read_file, read_file_bounded, regular_file_len, remove_stale_partials, sync_dir,
    FolderLock, StagedFile,
};
use container::{corrupt, decode, encode, fnv1a64};
use format::{SavedDocstore, BYTES_MAGIC, BYTES_VERSION, DOCSTORE_MAGIC, DOCSTORE_VERSION};

/// LangChain's default `index_name`.
pub const DEFAULT_INDEX_NAME: &str = "index";
/// Extension of the native Faiss index file.
pub const FAISS_EXTENSION: &str = "faiss";
/// Extension of our docstore file (LangChain writes `index.pkl` instead).
pub const DOCSTORE_EXTENSION: &str = "docstore";

/// How [`FaissStore::load_local`] and [`FaissStore::deserialize_from_bytes`] rebuild a
/// store. By default everything comes from the saved files; the overrides replace
/// what was saved, as LangChain's `load_local` keyword arguments do.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// File name stem of the two files (default `"index"`).
    pub index_name: String,
    /// Replaces the saved distance strategy.
    pub distance_strategy: Option<DistanceStrategy>,
    /// Replaces the saved normalize flag.
    pub normalize_l2: Option<bool>,
    /// A custom relevance function (functions are never saved).
    pub relevance_score_fn: Option<RelevanceScoreFn>,
    /// Accept an embedder whose [`Embeddings::name`] differs from the one that built
    /// the store (default `false`: a [`PersistError::EmbedderMismatch`]).
    pub allow_other_embedder: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            index_name: DEFAULT_INDEX_NAME.to_string(),
            distance_strategy: None,
            normalize_l2: None,
            relevance_score_fn: None,
            allow_other_embedder: false,
        }
    }
}

impl LoadOptions {
    /// Defaults: files `index.*`, saved settings, same embedder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the file name stem.
    pub fn index_name(mut self, name: impl Into<String>) -> Self {
        self.index_name = name.into();
        self
    }

    /// Overrides the distance strategy.
    pub fn distance_strategy(mut self, strategy: DistanceStrategy) -> Self {
        self.distance_strategy = Some(strategy);
        self
    }

    /// Overrides the normalize flag.
    pub fn normalize_l2(mut self, normalize: bool) -> Self {
        self.normalize_l2 = Some(normalize);
        self
    }

    /// Sets a custom relevance function.
    pub fn relevance_score_fn(mut self, f: RelevanceScoreFn) -> Self {
        self.relevance_score_fn = Some(f);
        self
    }

    /// Accepts an embedder with another name than the saved one.
    pub fn allow_other_embedder(mut self, allow: bool) -> Self {
        self.allow_other_embedder = allow;
        self
    }
}

/// The two file paths of a saved store.
pub fn saved_paths(folder: &Path, index_name: &str) -> (PathBuf, PathBuf) {
    (
        folder.join(format!("{index_name}.{FAISS_EXTENSION}")),
        folder.join(format!("{index_name}.{DOCSTORE_EXTENSION}")),
    )
}

/// Where a save keeps the previous index file until its docstore file is in place.
fn previous_path(faiss_path: &Path) -> PathBuf {
    let mut name = faiss_path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".previous");
    faiss_path.with_file_name(name)
}

/// Whether `faiss_bytes` are the index file this saved docstore belongs with.
fn belongs_with(saved: &SavedDocstore, faiss_bytes: &[u8]) -> bool {
    saved.faiss_len == faiss_bytes.len() as u64 && saved.faiss_checksum == fnv1a64(faiss_bytes)
}

/// Decodes a docstore file (magic, version, checksum, then the record).
fn decode_docstore(path: &Path, bytes: &[u8]) -> Result<SavedDocstore, PersistError> {
    let (_, payload) = decode(
        path,
        bytes,
        DOCSTORE_MAGIC,
        "ferrofaiss docstore",
        DOCSTORE_VERSION,
    )?;
    rmp_serde::from_slice(payload)
        .map_err(|e| corrupt(path, &format!("cannot decode the docstore: {e}")))
}

/// Reads the index file that `saved` belongs with: `faiss_path`, or the previous
/// index kept by a save that was killed between its two renames. Neither file is read
/// unless it is a regular file of the recorded length.
fn read_matching_index(
    saved: &SavedDocstore,
    faiss_path: &Path,
    docstore_path: &Path,
) -> Result<Vec<u8>, PersistError> {
    let current_len = regular_file_len(faiss_path);
    if current_len == Some(saved.faiss_len) {
        let bytes = read_file_bounded(faiss_path, saved.faiss_len)?;
        if belongs_with(saved, &bytes) {
            return Ok(bytes);
        }
    }
    let previous = previous_path(faiss_path);
    if regular_file_len(&previous) == Some(saved.faiss_len) {
        let bytes = read_file_bounded(&previous, saved.faiss_len)?;
        if belongs_with(saved, &bytes) {
            return Ok(bytes);
        }
    }
    if current_len.is_none() {
        // Missing, or not a regular file: that error names the file.
        read_file_bounded(faiss_path, 0)?;
    }
    Err(mismatched_pair(faiss_path, docstore_path))
}

/// The error for an index file that the docstore file does not record.
fn mismatched_pair(faiss_path: &Path, docstore_path: &Path) -> PersistError {
    corrupt(
        faiss_path,
        &format!(
            "does not belong with {} (the two files come from different saves)",
            docstore_path.display()
        ),
    )
}

/// Step 2 of a save: if a crash interrupted an earlier save between its renames (the
/// docstore file belongs with the previous index, not the current one), puts the
/// previous index back, so the folder holds one matching pair before anything is
/// replaced. A previous index that belongs with nothing is a leftover and goes.
fn finish_interrupted_save(faiss_path: &Path, docstore_path: &Path) -> Result<(), PersistError> {
    let previous = previous_path(faiss_path);
    if fs::symlink_metadata(&previous).is_err() {
        return Ok(());
    }
    // read_file refuses anything but a regular file itself.
    let saved = read_file(docstore_path)
        .ok()
        .and_then(|bytes| decode_docstore(docstore_path, &bytes).ok());
    let Some(saved) = saved else {
        // No readable docstore: nothing to match against; the save replaces both.
        return Ok(());
    };
    let matches = |path: &Path| {
        regular_file_len(path) == Some(saved.faiss_len)
            && read_file_bounded(path, saved.faiss_len).is_ok_and(|b| belongs_with(&saved, &b))
    };
    if !matches(faiss_path) && matches(&previous) {
        fs::rename(&previous, faiss_path).map_err(|source| PersistError::Io {
            path: faiss_path.to_path_buf(),
            source,
        })?;
        crash_point("recovered-previous");
        sync_dir(parent_of(faiss_path))?;
    } else {
        remove_if_present(&previous)?;
    }
    Ok(())
}

/// The folder a saved file lives in.
fn parent_of(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new("."))
}

/// Removes a file (or a link, never what it points to) if it is there.
fn remove_if_present(path: &Path) -> Result<(), PersistError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(PersistError::Io {
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Step 4 of a save: keeps the current index file as `previous` (a hard link; a copy
/// where the file system has none). Returns whether there is one.
fn keep_previous(faiss_path: &Path, previous: &Path) -> Result<bool, PersistError> {
    remove_if_present(previous)?;
    crash_point("removed-previous");
    if fs::symlink_metadata(faiss_path).is_err() {
        return Ok(false);
    }
    if fs::hard_link(faiss_path, previous).is_err() {
        let bytes = read_file(faiss_path)?;
        StagedFile::write(previous, &bytes)?.commit()?;
    }
    sync_dir(parent_of(faiss_path))?;
    crash_point("kept-previous");
    Ok(true)
}

impl FaissStore {
    /// The name of the embedder that built the store saved in `folder` under
    /// `index_name`, read from the docstore file alone (the index is not read).
    /// `None` for a folder written by LangChain (`<index_name>.pkl`, no docstore file),
    /// which records no embedder. Errors as [`FaissStore::load_local`] gives them for
    /// the docstore file.
    pub fn saved_embedder_name(
        folder: impl AsRef<Path>,
        index_name: &str,
    ) -> Result<Option<String>, StoreError> {
        let (_, docstore_path) = saved_paths(folder.as_ref(), index_name);
        let pickle_path = folder.as_ref().join(format!("{index_name}.pkl"));
        if !docstore_path.exists() && pickle_path.exists() {
            return Ok(None);
        }
        let saved = decode_docstore(&docstore_path, &read_file(&docstore_path)?)?;
        Ok(Some(saved.embedder))
    }

    /// Saves the store into `folder` (created if missing) as
    /// `<index_name>.faiss` (native Faiss format) and `<index_name>.docstore`
    /// (LangChain `save_local`; `index_name` is `"index"` there by default).
    pub fn save_local(&self, folder: impl AsRef<Path>, index_name: &str) -> Result<(), StoreError> {
        let folder = folder.as_ref();
        let (faiss_path, docstore_path) = saved_paths(folder, index_name);
        std::fs::create_dir_all(folder).map_err(|source| PersistError::Io {
            path: folder.to_path_buf(),
            source,
        })?;
        let faiss_bytes =
            write_index_to_vec(&*self.index).map_err(|source| PersistError::Faiss {
                path: faiss_path.clone(),
                source,
            })?;
        let docstore_bytes = self.encode_docstore(&faiss_bytes, &docstore_path)?;
        let _lock = FolderLock::acquire(folder)?;
        remove_stale_partials(folder, &[&faiss_path, &docstore_path]);
        finish_interrupted_save(&faiss_path, &docstore_path)?;
        let faiss_file = StagedFile::write(&faiss_path, &faiss_bytes)?;
        crash_point("staged-index");
        let docstore_file = StagedFile::write(&docstore_path, &docstore_bytes)?;
        crash_point("staged-docstore");
        // Keep the current index under a second name until the new docstore is in
        // place: a failed second rename is rolled back, and a kill between the
        // renames leaves (previous index, current docstore), a pair that loads.
        let previous = previous_path(&faiss_path);
        let has_previous = keep_previous(&faiss_path, &previous)?;
        faiss_file.commit()?;
        sync_dir(folder)?;
        crash_point("renamed-index");
        if let Err(e) = docstore_file.commit() {
            if has_previous {
                let _ = fs::rename(&previous, &faiss_path);
                let _ = sync_dir(folder);
            }
            return Err(e.into());
        }
        sync_dir(folder)?;
        crash_point("renamed-docstore");
        if has_previous {
            remove_if_present(&previous)?;
        }
        Ok(())
    }

    /// Loads a store saved by [`FaissStore::save_local`] (LangChain `load_local`).
    ///
    /// A folder written by LangChain itself (`<name>.faiss` + `<name>.pkl`, no
    /// `<name>.docstore`) is read too, with a safe pickle reader that never runs code;
    /// as in LangChain, its distance strategy and normalize flag come from `opts`
    /// (default Euclidean, not normalized), since the pickle does not hold them.
    ///
    /// A missing, truncated or corrupt file, a file from a newer format version, a
    /// Faiss file that does not belong with the docstore file, or parts that disagree
    /// give a typed [`PersistError`] naming the file.
    pub fn load_local(
        folder: impl AsRef<Path>,
        embedder: Arc<dyn Embeddings>,
        opts: &LoadOptions,
    ) -> Result<FaissStore, StoreError> {
        let (faiss_path, docstore_path) = saved_paths(folder.as_ref(), &opts.index_name);
        let pickle_path = folder.as_ref().join(format!("{}.pkl", opts.index_name));
        if !docstore_path.exists() && pickle_path.exists() {
            return Self::load_langchain_folder(&faiss_path, &pickle_path, embedder, opts);
        }
        if fs::symlink_metadata(&faiss_path).is_err()
            && fs::symlink_metadata(&docstore_path).is_err()
        {
            // Nothing saved here: the error names the index file, as Faiss's would.
            read_file(&faiss_path)?;
        }
        let saved = decode_docstore(&docstore_path, &read_file(&docstore_path)?)?;
        let faiss_bytes = read_matching_index(&saved, &faiss_path, &docstore_path)?;
        Self::assemble(
            saved,
            &faiss_bytes,
            &faiss_path,
            &docstore_path,
            embedder,
            opts,
        )
    }

    /// The whole store in one buffer (LangChain `serialize_to_bytes`, without pickle).
    pub fn serialize_to_bytes(&self) -> Result<Vec<u8>, StoreError> {
        let faiss_bytes =
            write_index_to_vec(&*self.index).map_err(|source| PersistError::Faiss {
                path: PathBuf::from("<bytes>"),
                source,
            })?;
        let docstore_bytes = self.encode_docstore(&faiss_bytes, Path::new("<bytes>"))?;
        let mut payload = Vec::with_capacity(8 + faiss_bytes.len() + docstore_bytes.len());
        payload.extend_from_slice(&(faiss_bytes.len() as u64).to_le_bytes());
        payload.extend_from_slice(&faiss_bytes);
        payload.extend_from_slice(&docstore_bytes);
        Ok(encode(BYTES_MAGIC, BYTES_VERSION, &payload))
    }

    /// Rebuilds a store from [`FaissStore::serialize_to_bytes`] (LangChain
    /// `deserialize_from_bytes`). Errors name the buffer `<bytes>`.
    pub fn deserialize_from_bytes(
        bytes: &[u8],
        embedder: Arc<dyn Embeddings>,
        opts: &LoadOptions,
    ) -> Result<FaissStore, StoreError> {
        let name = Path::new("<bytes>");
        let (_, payload) = decode(name, bytes, BYTES_MAGIC, "ferrofaiss store", BYTES_VERSION)?;
        let len_bytes: [u8; 8] = payload
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| corrupt(name, "missing the index length"))?;
        let faiss_len = usize::try_from(u64::from_le_bytes(len_bytes))
            .map_err(|_| corrupt(name, "index length out of range"))?;
        let rest = &payload[8..];
        if rest.len() < faiss_len {
            return Err(corrupt(name, "index length beyond the buffer").into());
        }
        let (faiss_bytes, docstore_bytes) = rest.split_at(faiss_len);
        let saved = decode_docstore(name, docstore_bytes)?;
        if !belongs_with(&saved, faiss_bytes) {
            return Err(mismatched_pair(name, name).into());
        }
        Self::assemble(saved, faiss_bytes, name, name, embedder, opts)
    }

    /// Loads a folder written by LangChain's `save_local` (`.faiss` + `.pkl`).
    fn load_langchain_folder(
        faiss_path: &Path,
        pickle_path: &Path,
        embedder: Arc<dyn Embeddings>,
        opts: &LoadOptions,
    ) -> Result<FaissStore, StoreError> {
        let faiss_bytes = read_file(faiss_path)?;
        let index = read_index_from_bytes(&faiss_bytes).map_err(|source| PersistError::Faiss {
            path: faiss_path.to_path_buf(),
            source,
        })?;
        check_stored_vectors(&*index).map_err(|e| corrupt(faiss_path, &e.to_string()))?;
        let pickle_bytes = read_file(pickle_path)?;
        let (docstore, map) = langchain::read_langchain_pickle(pickle_path, &pickle_bytes)?;
        check_parts(&*index, &docstore, &map).map_err(|e| corrupt(pickle_path, &e.to_string()))?;
        let config = StoreConfig {
            distance_strategy: opts.distance_strategy.unwrap_or_default(),
            normalize_l2: opts.normalize_l2.unwrap_or(false),
            relevance_score_fn: opts.relevance_score_fn.clone(),
            index_factory: crate::store::DEFAULT_INDEX_FACTORY.to_string(),
        };
        Ok(FaissStore::from_checked_parts(
            embedder, index, docstore, map, config,
        ))
    }

    fn encode_docstore(&self, faiss_bytes: &[u8], path: &Path) -> Result<Vec<u8>, StoreError> {
        let saved = SavedDocstore {
            distance_strategy: self.distance_strategy.as_str().to_string(),
            normalize_l2: self.normalize_l2,
            embedder: self.embedder.name(),
            index_factory: self.index_factory.clone(),
            faiss_len: faiss_bytes.len() as u64,
            faiss_checksum: fnv1a64(faiss_bytes),
            index_to_docstore_id: self.index_to_docstore_id.clone(),
            documents: self.docstore.iter().map(|(_, doc)| doc.clone()).collect(),
        };
        let payload = rmp_serde::to_vec_named(&saved)
            .map_err(|e| corrupt(path, &format!("cannot encode the docstore: {e}")))?;
        Ok(encode(DOCSTORE_MAGIC, DOCSTORE_VERSION, &payload))
    }

    /// Builds the store from a decoded docstore record and the index bytes that
    /// belong with it.
    fn assemble(
        saved: SavedDocstore,
        faiss_bytes: &[u8],
        faiss_path: &Path,
        docstore_path: &Path,
        embedder: Arc<dyn Embeddings>,
        opts: &LoadOptions,
    ) -> Result<FaissStore, StoreError> {
        let index = read_index_from_bytes(faiss_bytes).map_err(|source| PersistError::Faiss {
            path: faiss_path.to_path_buf(),
            source,
        })?;
        check_stored_vectors(&*index).map_err(|e| corrupt(faiss_path, &e.to_string()))?;
        Self::from_saved(saved, index, docstore_path, embedder, opts)
    }

    /// Builds a store from a decoded docstore file and the index that belongs with it
    /// (already checked by [`check_stored_vectors`]): the checks `load_local` makes
    /// after both files are read.
    fn from_saved(
        saved: SavedDocstore,
        index: Box<dyn Index>,
        docstore_path: &Path,
        embedder: Arc<dyn Embeddings>,
        opts: &LoadOptions,
    ) -> Result<FaissStore, StoreError> {
        if !opts.allow_other_embedder && saved.embedder != embedder.name() {
            return Err(PersistError::EmbedderMismatch {
                path: docstore_path.to_path_buf(),
                saved: saved.embedder,
                given: embedder.name(),
            }
            .into());
        }
        let distance_strategy = match opts.distance_strategy {
            Some(d) => d,
            None => saved
                .distance_strategy
                .parse()
                .map_err(|_| corrupt(docstore_path, "unknown distance strategy"))?,
        };
        let docstore = InMemoryDocstore::from_pairs(
            saved
                .documents
                .into_iter()
                .map(|doc| (doc.id.clone().unwrap_or_default(), doc)),
        )
        .map_err(|e| corrupt(docstore_path, &e.to_string()))?;
        check_parts(&*index, &docstore, &saved.index_to_docstore_id)
            .map_err(|e| corrupt(docstore_path, &e.to_string()))?;
        let config = StoreConfig {
            distance_strategy,
            normalize_l2: opts.normalize_l2.unwrap_or(saved.normalize_l2),
            relevance_score_fn: opts.relevance_score_fn.clone(),
            index_factory: saved.index_factory,
        };
        Ok(FaissStore::from_checked_parts(
            embedder,
            index,
            docstore,
            saved.index_to_docstore_id,
            config,
        ))
    }
}
