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
//!
//! [`SaveFormat::LangChain`] writes LangChain's own layout instead, `<name>.faiss` +
//! `<name>.pkl` (the pickle `FAISS.save_local` writes, see `pickle_write`), which
//! `FAISS.load_local` reads. The pickle cannot record which index file it belongs
//! with, so before the renames the save writes a small journal, `<name>.pkl.pending`
//! (the new pickle's length and checksum), and removes it last: if the pickle in the
//! folder is not the one the journal names, the save was interrupted before the
//! pickle's rename and `<name>.faiss.previous` is the index that belongs with it (the
//! next save puts it back; `load_local` reads it). LangChain itself knows nothing of
//! this, so only a kill in the instant between the two renames can leave Python a
//! mismatched pair (it then fails or answers from the old pickle until the next save).

mod atomic;
mod container;
mod format;
pub(crate) mod fuzz;
mod langchain;
mod pickle;
mod pickle_write;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrofaiss_docstore::InMemoryDocstore;
use ferrofaiss_embeddings::Embeddings;
use ferrofaiss_index::faiss_io::{
    read_index_from_bytes, write_index_to_vec, FaissIoError, MappedFile, ReadOptions,
};

use crate::device::{host_copy, to_device, Device};
use ferrofaiss_index::Index;

use crate::error::{PersistError, StoreError};
use crate::relevance::RelevanceScoreFn;
use crate::store::{check_parts, check_stored_vectors, FaissStore, StoreConfig};
use crate::DistanceStrategy;

use atomic::{
    crash_point, map_file_bounded, read_file, read_file_bounded, regular_file_len,
    remove_stale_partials, sync_dir, FolderLock, StagedFile,
};
use container::{corrupt, decode, encode, fnv1a64, index_checksum};
use format::{SavedDocstore, BYTES_MAGIC, BYTES_VERSION, DOCSTORE_MAGIC, DOCSTORE_VERSION};

/// LangChain's default `index_name`.
pub const DEFAULT_INDEX_NAME: &str = "index";
/// Extension of the native Faiss index file.
pub const FAISS_EXTENSION: &str = "faiss";
/// Extension of our docstore file (LangChain writes `index.pkl` instead).
pub const DOCSTORE_EXTENSION: &str = "docstore";
/// Extension of LangChain's pickle file (`index.pkl`).
pub const PICKLE_EXTENSION: &str = "pkl";

/// Which files [`FaissStore::save_local_with`] writes. Both formats share the native
/// Faiss index file, `<index_name>.faiss`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SaveFormat {
    /// Ours (the default, what [`FaissStore::save_local`] writes):
    /// `<index_name>.docstore` beside the index, no pickle. It keeps the distance
    /// strategy, the normalize flag and the embedder's name, and loading it runs no
    /// code in any language.
    #[default]
    Ferrofaiss,
    /// LangChain's: `<index_name>.pkl`, the pickle of `(InMemoryDocstore,
    /// index_to_docstore_id)` that `FAISS.save_local` writes, so Python's
    /// `FAISS.load_local(folder, embeddings, allow_dangerous_deserialization=True)`
    /// opens the folder. As in LangChain, the distance strategy, normalize flag and
    /// embedder are not saved; pass them again when loading.
    LangChain,
}

impl SaveFormat {
    /// The format of the store saved in `folder` under `index_name`: `Ferrofaiss` when
    /// `<index_name>.docstore` is there (it wins, as in [`FaissStore::load_local`]),
    /// `LangChain` when only `<index_name>.pkl` is, `None` when neither is.
    pub fn of_folder(folder: impl AsRef<Path>, index_name: &str) -> Option<SaveFormat> {
        let (_, docstore_path) = saved_paths(folder.as_ref(), index_name);
        if docstore_path.exists() {
            Some(SaveFormat::Ferrofaiss)
        } else if pickle_path(folder.as_ref(), index_name).exists() {
            Some(SaveFormat::LangChain)
        } else {
            None
        }
    }

    /// The two files a save in this format writes: the Faiss index file and the
    /// docstore file (`.docstore`) or LangChain's pickle (`.pkl`).
    pub fn paths(self, folder: impl AsRef<Path>, index_name: &str) -> (PathBuf, PathBuf) {
        let (faiss_path, docstore_path) = saved_paths(folder.as_ref(), index_name);
        match self {
            SaveFormat::Ferrofaiss => (faiss_path, docstore_path),
            SaveFormat::LangChain => (faiss_path, pickle_path(folder.as_ref(), index_name)),
        }
    }

    /// `"ferrofaiss"` or `"langchain"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SaveFormat::Ferrofaiss => "ferrofaiss",
            SaveFormat::LangChain => "langchain",
        }
    }
}

impl std::fmt::Display for SaveFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// LangChain's pickle file of a saved store.
fn pickle_path(folder: &Path, index_name: &str) -> PathBuf {
    folder.join(format!("{index_name}.{PICKLE_EXTENSION}"))
}

/// The journal of a LangChain-format save in progress (see the module docs).
fn journal_path(pickle_path: &Path) -> PathBuf {
    let mut name = pickle_path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".pending");
    pickle_path.with_file_name(name)
}

/// Whether the pickle in the folder is the one the journal of an interrupted
/// LangChain-format save names (`None`: no readable journal).
fn pickle_matches_journal(pickle_path: &Path, journal: &Path) -> Option<bool> {
    let record = read_file_bounded(journal, 16).ok()?;
    let record: [u8; 16] = record.try_into().ok()?;
    let len = u64::from_le_bytes(record[..8].try_into().ok()?);
    let sum = u64::from_le_bytes(record[8..].try_into().ok()?);
    Some(
        regular_file_len(pickle_path) == Some(len)
            && read_file_bounded(pickle_path, len).is_ok_and(|b| fnv1a64(&b) == sum),
    )
}

/// The index file that belongs with the pickle in a LangChain folder: `<name>.faiss`,
/// or the previous index when a save was interrupted before its pickle's rename.
fn langchain_index_path(faiss_path: &Path, pickle_path: &Path) -> PathBuf {
    let previous = previous_path(faiss_path);
    let journal = journal_path(pickle_path);
    if regular_file_len(&previous).is_some()
        && pickle_matches_journal(pickle_path, &journal) == Some(false)
    {
        return previous;
    }
    faiss_path.to_path_buf()
}

/// Step 2 of a LangChain-format save: an earlier save interrupted before its pickle's
/// rename gets its previous index back; one interrupted after it loses its previous
/// index (the new pair is whole); the journal goes.
fn finish_interrupted_langchain_save(
    faiss_path: &Path,
    pickle_path: &Path,
) -> Result<(), PersistError> {
    let journal = journal_path(pickle_path);
    if fs::symlink_metadata(&journal).is_err() {
        return Ok(());
    }
    let previous = previous_path(faiss_path);
    if langchain_index_path(faiss_path, pickle_path) == previous {
        fs::rename(&previous, faiss_path).map_err(|source| PersistError::Io {
            path: faiss_path.to_path_buf(),
            source,
        })?;
        crash_point("lc-recovered-previous");
    } else {
        remove_if_present(&previous)?;
    }
    remove_if_present(&journal)?;
    sync_dir(parent_of(faiss_path))
}

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
    /// Where the loaded index searches (default the CPU; [`Device::Gpu`] moves it to
    /// the GPU after it is read and checked).
    pub device: Device,
    /// Search a flat index's vectors, or an IVF index's list codes, in place in a
    /// read-only memory map of its `.faiss` file instead of copying them (default
    /// `true` on Unix, `false` on Windows, where a mapped file cannot be saved over;
    /// see [`ReadOptions::mmap`](ferrofaiss_index::faiss_io::ReadOptions) for what
    /// happens if another program changes the file in place meanwhile). Other index
    /// types are copied either way; the first change to the store copies the vectors
    /// out.
    pub mmap: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            index_name: DEFAULT_INDEX_NAME.to_string(),
            distance_strategy: None,
            normalize_l2: None,
            relevance_score_fn: None,
            allow_other_embedder: false,
            device: Device::Cpu,
            mmap: ReadOptions::default().mmap,
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

    /// Maps the index file (`true`, the default on Unix) or copies it (`false`).
    pub fn mmap(mut self, mmap: bool) -> Self {
        self.mmap = mmap;
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
    saved.faiss_len == faiss_bytes.len() as u64
        && saved.faiss_checksum == index_checksum(saved.version, faiss_bytes)
}

/// Decodes a docstore file (magic, version, checksum, then the record).
fn decode_docstore(path: &Path, bytes: &[u8]) -> Result<SavedDocstore, PersistError> {
    let (version, payload) = decode(
        path,
        bytes,
        DOCSTORE_MAGIC,
        "ferrofaiss docstore",
        DOCSTORE_VERSION,
    )?;
    let saved: SavedDocstore = rmp_serde::from_slice(payload)
        .map_err(|e| corrupt(path, &format!("cannot decode the docstore: {e}")))?;
    Ok(SavedDocstore { version, ..saved })
}

/// Maps the index file that `saved` belongs with: `faiss_path`, or the previous
/// index kept by a save that was killed between its two renames. Neither file is
/// mapped unless it is a regular file of the recorded length.
fn read_matching_index(
    saved: &SavedDocstore,
    faiss_path: &Path,
    docstore_path: &Path,
) -> Result<MappedFile, PersistError> {
    let current_len = regular_file_len(faiss_path);
    if current_len == Some(saved.faiss_len) {
        let mapped = map_file_bounded(faiss_path, saved.faiss_len)?;
        if belongs_with(saved, mapped.bytes()) {
            return Ok(mapped);
        }
    }
    let previous = previous_path(faiss_path);
    if regular_file_len(&previous) == Some(saved.faiss_len) {
        let mapped = map_file_bounded(&previous, saved.faiss_len)?;
        if belongs_with(saved, mapped.bytes()) {
            return Ok(mapped);
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
        let pickle_path = pickle_path(folder.as_ref(), index_name);
        if !docstore_path.exists() && pickle_path.exists() {
            return Ok(None);
        }
        let saved = decode_docstore(&docstore_path, &read_file(&docstore_path)?)?;
        Ok(Some(saved.embedder))
    }

    /// Saves the store into `folder` (created if missing) as
    /// `<index_name>.faiss` (native Faiss format) and `<index_name>.docstore`
    /// (LangChain `save_local`; `index_name` is `"index"` there by default): the same
    /// as [`FaissStore::save_local_with`] with [`SaveFormat::Ferrofaiss`].
    pub fn save_local(&self, folder: impl AsRef<Path>, index_name: &str) -> Result<(), StoreError> {
        self.save_local_with(folder, index_name, SaveFormat::Ferrofaiss)
    }

    /// Saves the store into `folder` (created if missing) in `format`: ours
    /// (`<index_name>.faiss` + `<index_name>.docstore`) or LangChain's
    /// (`<index_name>.faiss` + `<index_name>.pkl`, byte for byte what
    /// `FAISS.save_local` writes for the same store where Python's output is
    /// deterministic; see `docs/compat.md`). Either way the save is atomic: a failed
    /// or killed save leaves the previous files whole. The other format's docstore
    /// file, left by an earlier save, is removed once the new pair is in place, since
    /// it no longer belongs with the index.
    ///
    /// Errors: [`PersistError::Io`] naming the file, [`PersistError::Faiss`] for an
    /// index Faiss cannot write, [`PersistError::Unrepresentable`] when LangChain's
    /// format cannot hold the metadata (nested deeper than 64 levels).
    pub fn save_local_with(
        &self,
        folder: impl AsRef<Path>,
        index_name: &str,
        format: SaveFormat,
    ) -> Result<(), StoreError> {
        match format {
            SaveFormat::Ferrofaiss => self.save_ferrofaiss(folder.as_ref(), index_name),
            SaveFormat::LangChain => self.save_langchain(folder.as_ref(), index_name),
        }
    }

    /// What both formats' saves do before taking the folder's lock: create the folder
    /// and encode the index (whose bytes Faiss's writer may refuse, naming `faiss_path`).
    fn prepare_save(&self, folder: &Path, faiss_path: &Path) -> Result<Vec<u8>, StoreError> {
        std::fs::create_dir_all(folder).map_err(|source| PersistError::Io {
            path: folder.to_path_buf(),
            source,
        })?;
        let host = host_copy(&*self.index)?;
        let index = host.as_deref().unwrap_or(&*self.index);
        Ok(
            write_index_to_vec(index).map_err(|source| PersistError::Faiss {
                path: faiss_path.to_path_buf(),
                source,
            })?,
        )
    }

    /// The LangChain-format save: the ferrofaiss save's steps, with the journal in
    /// place of the docstore's record of its index.
    fn save_langchain(&self, folder: &Path, index_name: &str) -> Result<(), StoreError> {
        let (faiss_path, docstore_path) = saved_paths(folder, index_name);
        let pickle_path = pickle_path(folder, index_name);
        let journal = journal_path(&pickle_path);
        let faiss_bytes = self.prepare_save(folder, &faiss_path)?;
        let pickle_bytes =
            pickle_write::write_langchain_pickle(&self.docstore, &self.index_to_docstore_id)
                .map_err(|e| PersistError::Unrepresentable {
                    path: pickle_path.clone(),
                    reason: e.0,
                })?;
        let mut record = (pickle_bytes.len() as u64).to_le_bytes().to_vec();
        record.extend_from_slice(&fnv1a64(&pickle_bytes).to_le_bytes());
        let _lock = FolderLock::acquire(folder)?;
        remove_stale_partials(folder, &[&faiss_path, &pickle_path, &journal]);
        finish_interrupted_langchain_save(&faiss_path, &pickle_path)?;
        let faiss_file = StagedFile::write(&faiss_path, &faiss_bytes)?;
        let pickle_file = StagedFile::write(&pickle_path, &pickle_bytes)?;
        // The previous index first, then the journal: while a journal is in the
        // folder, `previous` is the index that belongs with the old pickle.
        let previous = previous_path(&faiss_path);
        let has_previous = keep_previous(&faiss_path, &previous)?;
        StagedFile::write(&journal, &record)?.commit()?;
        sync_dir(folder)?;
        crash_point("lc-journal");
        faiss_file.commit()?;
        sync_dir(folder)?;
        crash_point("lc-renamed-index");
        if let Err(e) = pickle_file.commit() {
            if has_previous {
                let _ = fs::rename(&previous, &faiss_path);
            }
            let _ = remove_if_present(&journal);
            let _ = sync_dir(folder);
            return Err(e.into());
        }
        sync_dir(folder)?;
        crash_point("lc-renamed-pickle");
        // The folder is LangChain's now: our docstore file of an earlier save no
        // longer belongs with the index.
        remove_if_present(&docstore_path)?;
        if has_previous {
            remove_if_present(&previous)?;
        }
        remove_if_present(&journal)?;
        sync_dir(folder)?;
        Ok(())
    }

    /// The ferrofaiss-format save (the module docs list its steps).
    fn save_ferrofaiss(&self, folder: &Path, index_name: &str) -> Result<(), StoreError> {
        let (faiss_path, docstore_path) = saved_paths(folder, index_name);
        let faiss_bytes = self.prepare_save(folder, &faiss_path)?;
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
        // A LangChain pickle of an earlier save no longer belongs with the index.
        let pickle_path = pickle_path(folder, index_name);
        remove_if_present(&journal_path(&pickle_path))?;
        remove_if_present(&pickle_path)?;
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
        let pickle_path = pickle_path(folder.as_ref(), &opts.index_name);
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
        let mapped = read_matching_index(&saved, &faiss_path, &docstore_path)?;
        Self::assemble(
            saved,
            mapped.read_index(ReadOptions { mmap: opts.mmap }),
            &faiss_path,
            &docstore_path,
            embedder,
            opts,
        )
    }

    /// The whole store in one buffer (LangChain `serialize_to_bytes`, without pickle).
    pub fn serialize_to_bytes(&self) -> Result<Vec<u8>, StoreError> {
        let host = host_copy(&*self.index)?;
        let index = host.as_deref().unwrap_or(&*self.index);
        let faiss_bytes = write_index_to_vec(index).map_err(|source| PersistError::Faiss {
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
        let index = read_index_from_bytes(faiss_bytes);
        Self::assemble(saved, index, name, name, embedder, opts)
    }

    /// Loads a folder written by LangChain's `save_local` (`.faiss` + `.pkl`).
    fn load_langchain_folder(
        faiss_path: &Path,
        pickle_path: &Path,
        embedder: Arc<dyn Embeddings>,
        opts: &LoadOptions,
    ) -> Result<FaissStore, StoreError> {
        let index_path = langchain_index_path(faiss_path, pickle_path);
        let mapped = map_file_bounded(&index_path, isize::MAX as u64)?;
        let index = mapped
            .read_index(ReadOptions { mmap: opts.mmap })
            .map_err(|source| PersistError::Faiss {
                path: index_path.clone(),
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
            device: opts.device,
        };
        let index = to_device(index, opts.device)?;
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
            faiss_checksum: index_checksum(DOCSTORE_VERSION, faiss_bytes),
            index_to_docstore_id: self.index_to_docstore_id.clone(),
            documents: self.docstore.iter().map(|(_, doc)| doc.clone()).collect(),
            version: DOCSTORE_VERSION,
        };
        let payload = rmp_serde::to_vec_named(&saved)
            .map_err(|e| corrupt(path, &format!("cannot encode the docstore: {e}")))?;
        Ok(encode(DOCSTORE_MAGIC, DOCSTORE_VERSION, &payload))
    }

    /// Builds the store from a decoded docstore record and the index read from the
    /// bytes that belong with it.
    fn assemble(
        saved: SavedDocstore,
        index: Result<Box<dyn Index>, FaissIoError>,
        faiss_path: &Path,
        docstore_path: &Path,
        embedder: Arc<dyn Embeddings>,
        opts: &LoadOptions,
    ) -> Result<FaissStore, StoreError> {
        let index = index.map_err(|source| PersistError::Faiss {
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
            device: opts.device,
        };
        let index = to_device(index, opts.device)?;
        Ok(FaissStore::from_checked_parts(
            embedder,
            index,
            docstore,
            saved.index_to_docstore_id,
            config,
        ))
    }
}
