//! Native Faiss index files (`faiss.write_index` / `faiss.read_index`), read and written
//! byte-identically for the index types of this crate.
//!
//! Supported tags: `IxF2` / `IxFI` (flat L2 / inner product; `IxFl` is also read when
//! its metric is L2 or IP), `IxMp` / `IxM2` (id maps around any supported index) and
//! `IwFl` (IVF-Flat) with `ilar` inverted lists in the `full` or `sprs` encoding (the
//! writer picks as Faiss does: `full` when more than `nlist / 2` lists are non-empty)
//! and its direct map, `IxSQ` (scalar quantizer, `QT_8bit` and `QT_fp16`; other
//! quantizer types are a typed error) and `IwSq` / legacy `IwSQ` (IVF with
//! scalar-quantizer codes in `ilar` lists). Every other tag (`IHNf`, `ilod`, ...) gives
//! [`FaissIoError::UnsupportedFourcc`] naming it; a flat or IVF index with another
//! metric gives [`FaissIoError::UnsupportedMetric`].
//!
//! Layers, bottom up:
//! 1. `byte_reader` / `byte_writer`: bounds-checked little-endian fields; every count
//!    is checked (overflow-checked) against the bytes that remain before anything is
//!    allocated, so damaged or hostile input ends in a typed error.
//! 2. `raw`: one reader/writer per fourcc, into plain structs (`raw::RawIndex`).
//! 3. `convert`: raw structs to and from the index types ([`FlatIndex`],
//!    [`IvfFlatIndex`](crate::IvfFlatIndex), [`IdMap`](crate::IdMap) /
//!    [`IdMap2`](crate::IdMap2)); `file`: memory-mapped reading and atomic writing.
//!
//! Copies: [`read_index`] maps the file. A file that is one flat index (`IxF2`, `IxFI`,
//! `IxFl`: what LangChain's `save_local` writes) is searched in place in the mapping,
//! nothing copied; a file that is one IVF index (`IwFl`, `IwSq`) keeps its lists'
//! codes in the mapping and copies only the ids, the centroids and the direct map
//! ([`ReadOptions::mmap`], on by default on Unix; the first change to the index copies
//! its vectors or codes out). Every other index type, and any file read with `mmap`
//! off, has each vector payload decoded once, straight into the vectors the index
//! owns.
//! Writing borrows the index's storage and encodes it in small chunks.
//!
//! A mapped file changed in place by another program while the index is open can make
//! a search see changed bytes or, past a truncation, fault: see [`ReadOptions`].

mod byte_reader;
mod byte_writer;
mod convert;
mod error;
mod file;
pub(crate) mod raw;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

pub use error::FaissIoError;

use crate::mapped::MappedVectors;
use crate::{FlatIndex, Index};

/// How [`read_index_with`] opens a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Search a flat index's vectors, or an IVF index's list codes, where they lie in a
    /// read-only memory map of the file instead of copying them (as Faiss's
    /// `IO_FLAG_MMAP_IFC`): opening costs the mapping and a parse of the rest (for
    /// IVF, a copy of the ids: 8 bytes a vector), and search speed is the same once
    /// the pages are in memory. On by default on Unix (see below for Windows). Other
    /// index types are copied either way, as are float payloads on big-endian targets.
    ///
    /// The file must not be changed in place while the index is open: this crate's
    /// writers never do (they rename a new file over the old one, and the mapping keeps
    /// the old one), but another program truncating it would make the next search
    /// fault (SIGBUS), which no error can catch. Set `mmap: false` to copy when index
    /// files are shared with such programs. On Windows a mapped file cannot be
    /// replaced (saving over it would fail, with a typed error, until the index is
    /// dropped), so there the default is `false`.
    pub mmap: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { mmap: cfg!(unix) }
    }
}

/// Reads a Faiss index file with [`ReadOptions::default`] (a flat index's vectors and
/// an IVF index's list codes are searched in place in the file's mapping). The index
/// comes back as its concrete type behind `Box<dyn Index>`:
/// [`FlatIndex`] for `IxF2`/`IxFI`,
/// [`IvfFlatIndex`](crate::IvfFlatIndex) for `IwFl`,
/// [`ScalarQuantizerIndex`](crate::ScalarQuantizerIndex) for `IxSQ`,
/// [`IvfSqIndex`](crate::IvfSqIndex) for `IwSq`, and for `IxMp`/`IxM2`
/// [`IdMap`](crate::IdMap)/[`IdMap2`](crate::IdMap2) over `FlatIndex` or
/// `IvfFlatIndex` (over `Box<dyn Index>` when id maps nest).
pub fn read_index(path: impl AsRef<Path>) -> Result<Box<dyn Index>, FaissIoError> {
    read_index_with(path, ReadOptions::default())
}

/// Reads a Faiss index file as [`read_index`] does, opened as `options` say.
pub fn read_index_with(
    path: impl AsRef<Path>,
    options: ReadOptions,
) -> Result<Box<dyn Index>, FaissIoError> {
    MappedFile::open(path)?.read_index(options)
}

/// A file mapped read-only, whose bytes a caller can check (a length, a checksum)
/// before reading the index in it: the index then shares the mapping (with `mmap`),
/// so the file is neither read twice nor copied.
#[derive(Clone)]
pub struct MappedFile {
    /// `None` for an empty file.
    map: Option<Arc<memmap2::Mmap>>,
}

impl std::fmt::Debug for MappedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedFile")
            .field("len", &self.bytes().len())
            .finish()
    }
}

impl MappedFile {
    /// Maps `path` read-only (see [`ReadOptions::mmap`] for what happens if another
    /// program changes the file in place while it is mapped).
    pub fn open(path: impl AsRef<Path>) -> Result<MappedFile, FaissIoError> {
        Ok(MappedFile {
            map: file::map_file(path.as_ref())?.map(Arc::new),
        })
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().map_or(&[], |m| &m[..])
    }

    /// The index in the file, as [`read_index_with`] reads it: a flat index searched in
    /// this mapping when `options.mmap` (else copied out of it in one pass), anything
    /// else decoded into owned storage.
    pub fn read_index(&self, options: ReadOptions) -> Result<Box<dyn Index>, FaissIoError> {
        if let Some(map) = &self.map {
            if let Some(flat) = raw::locate_flat(map)? {
                if let Some(vectors) = MappedVectors::new(map.clone(), flat.start, flat.floats) {
                    let mut index = FlatIndex::from_mapped(flat.d, flat.metric, vectors)?;
                    if !options.mmap {
                        // One copy of the file's floats into the index's own memory
                        // (decoding them into a vector first, then moving that into
                        // huge pages, copied them twice).
                        index.copy_out();
                    }
                    return Ok(Box::new(index));
                }
            }
        }
        if let (true, Some(map)) = (options.mmap, &self.map) {
            if is_ivf(map) {
                let (raw, code_starts) = raw::read_raw_index_leaving_codes(map)?;
                if let Some(index) = convert::mapped_ivf_from_raw(raw, map.clone(), code_starts)? {
                    return Ok(index);
                }
            }
        }
        read_index_from_bytes(self.bytes())
    }
}

/// Whether `bytes` start with an IVF index whose lists can stay in the mapping
/// (IVF-Flat's floats only where the target reads little-endian floats in place).
fn is_ivf(bytes: &[u8]) -> bool {
    let floats_in_place = cfg!(target_endian = "little");
    matches!(bytes.get(..4), Some(b"IwSq" | b"IwSQ"))
        || (floats_in_place && bytes.get(..4) == Some(b"IwFl"))
}

/// Reads a Faiss index from the bytes of a whole file. The index must end exactly at
/// the end of `bytes` ([`FaissIoError::TrailingBytes`] otherwise).
pub fn read_index_from_bytes(bytes: &[u8]) -> Result<Box<dyn Index>, FaissIoError> {
    convert::index_from_raw(raw::read_raw_index(bytes)?)
}

/// Writes `index` to `path` as Faiss would, atomically: into a temporary file in the
/// same folder, fsynced, then renamed over `path`. On failure an existing file at
/// `path` is untouched and the temporary file removed.
pub fn write_index(index: &dyn Index, path: impl AsRef<Path>) -> Result<(), FaissIoError> {
    let raw = convert::raw_from_index(index)?;
    file::write_atomically(path.as_ref(), |out| raw::write_raw_index(&raw, out))
}

/// The bytes `faiss.write_index` would write for `index`.
pub fn write_index_to_vec(index: &dyn Index) -> Result<Vec<u8>, FaissIoError> {
    let mut out = Vec::new();
    write_index_to(index, &mut out)?;
    Ok(out)
}

/// Writes the bytes `faiss.write_index` would write for `index` to `out`. Nothing is
/// written when the index has no Faiss form ([`FaissIoError::UnsupportedIndex`]).
pub fn write_index_to<W: Write + ?Sized>(
    index: &dyn Index,
    out: &mut W,
) -> Result<(), FaissIoError> {
    let raw = convert::raw_from_index(index)?;
    raw::write_raw_index(&raw, out)
}
