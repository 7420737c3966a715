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
//! 3. `convert`: raw structs to and from the index types ([`FlatIndex`](crate::FlatIndex),
//!    [`IvfFlatIndex`](crate::IvfFlatIndex), [`IdMap`](crate::IdMap) /
//!    [`IdMap2`](crate::IdMap2)); `file`: memory-mapped reading and atomic writing.
//!
//! Copies: [`read_index`] maps the file and decodes each vector payload once, straight
//! into the `Vec<f32>` the index owns (a copy is unavoidable because the index owns
//! its storage; decoding little-endian values also makes it independent of alignment).
//! Writing borrows the index's storage and encodes it in small chunks.

mod byte_reader;
mod byte_writer;
mod convert;
mod error;
mod file;
pub(crate) mod raw;

use std::io::Write;
use std::path::Path;

pub use error::FaissIoError;

use crate::Index;

/// Reads a Faiss index file (memory-mapped). The index comes back as its concrete
/// type behind `Box<dyn Index>`: [`FlatIndex`](crate::FlatIndex) for `IxF2`/`IxFI`,
/// [`IvfFlatIndex`](crate::IvfFlatIndex) for `IwFl`,
/// [`ScalarQuantizerIndex`](crate::ScalarQuantizerIndex) for `IxSQ`,
/// [`IvfSqIndex`](crate::IvfSqIndex) for `IwSq`, and for `IxMp`/`IxM2`
/// [`IdMap`](crate::IdMap)/[`IdMap2`](crate::IdMap2) over `FlatIndex` or
/// `IvfFlatIndex` (over `Box<dyn Index>` when id maps nest).
pub fn read_index(path: impl AsRef<Path>) -> Result<Box<dyn Index>, FaissIoError> {
    file::with_mapped_file(path.as_ref(), read_index_from_bytes)
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
