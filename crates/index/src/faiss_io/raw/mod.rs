//! Faiss index files as plain data ("raw" structs), one reader/writer per fourcc.
//!
//! This layer knows the byte format and nothing of the index types: it decodes a file
//! into [`RawIndex`] and encodes a [`RawIndex`] back into exactly the bytes Faiss writes.
//! The payload arrays are `Cow`s: decoding produces owned vectors (the one copy out of
//! the input), while a writer can borrow an index's storage without copying it.

mod direct_map;
mod flat;
mod header;
mod hnsw;
mod id_map;
mod inverted_lists;
mod ivf_flat;
mod ivf_sq;
mod sq;
mod types;

pub use flat::FlatPayload;
pub use inverted_lists::faiss_writes_full;
pub use types::{
    RawDirectMap, RawFlat, RawHnsw, RawIdMap, RawIndex, RawIvfFlat, RawIvfSq, RawList, RawSq,
    RawSqBlock, MAX_NESTING,
};

use std::io::Write;

use super::byte_reader::ByteReader;
use super::byte_writer::ByteWriter;
use super::error::FaissIoError;

/// Decodes a complete Faiss index from `bytes`; the index must end exactly at the end
/// of the input.
pub fn read_raw_index(bytes: &[u8]) -> Result<RawIndex<'static>, FaissIoError> {
    read_whole(&mut ByteReader::new(bytes))
}

/// Decodes a complete Faiss index from `bytes` as [`read_raw_index`] does, except that
/// inverted lists' codes are checked but not decoded (their lists come back with no
/// codes); also returns where each list's codes start in `bytes`, list after list.
pub fn read_raw_index_leaving_codes(
    bytes: &[u8],
) -> Result<(RawIndex<'static>, Vec<usize>), FaissIoError> {
    let mut r = ByteReader::leaving_codes(bytes);
    let index = read_whole(&mut r)?;
    Ok((index, r.into_code_starts()))
}

/// Reads the one index `r` holds, which must end exactly at the end of the input.
fn read_whole(r: &mut ByteReader<'_>) -> Result<RawIndex<'static>, FaissIoError> {
    let index = read_any(r, 1)?;
    if r.remaining() != 0 {
        return Err(FaissIoError::TrailingBytes {
            end: r.offset() as u64,
            extra: r.remaining() as u64,
        });
    }
    Ok(index)
}

/// Where the vectors lie when `bytes` is exactly one flat index; `Ok(None)` when the
/// file holds another index type (see `flat::locate`).
pub fn locate_flat(bytes: &[u8]) -> Result<Option<FlatPayload>, FaissIoError> {
    flat::locate(bytes)
}

/// Encodes `index` exactly as `faiss.write_index` would. Indexes nested deeper than
/// [`MAX_NESTING`] are refused (this crate could not read them back).
pub fn write_raw_index<W: Write + ?Sized>(
    index: &RawIndex<'_>,
    out: &mut W,
) -> Result<(), FaissIoError> {
    if index.nesting() > MAX_NESTING {
        return Err(FaissIoError::bad(
            "index",
            0,
            format!("indexes nested deeper than {MAX_NESTING} could not be read back"),
        ));
    }
    let mut w = ByteWriter::new(out);
    write_any(index, &mut w)
}

/// Reads one index object (fourcc and body) at nesting level `depth` (1 = top).
fn read_any(r: &mut ByteReader<'_>, depth: usize) -> Result<RawIndex<'static>, FaissIoError> {
    let at = r.offset();
    if depth > MAX_NESTING {
        return Err(FaissIoError::bad(
            "fourcc",
            at,
            format!("index objects nested deeper than {MAX_NESTING}"),
        ));
    }
    let tag = r.fourcc()?;
    match &tag {
        b"IxF2" | b"IxFI" | b"IxFl" => flat::read(r, tag).map(RawIndex::Flat),
        b"IxMp" | b"IxM2" => id_map::read(r, tag == *b"IxM2", depth, read_any).map(RawIndex::IdMap),
        b"IwFl" => ivf_flat::read(r, depth, read_any).map(RawIndex::IvfFlat),
        b"IxSQ" => sq::read(r).map(RawIndex::Sq),
        b"IwSq" | b"IwSQ" => ivf_sq::read(r, depth, read_any, tag == *b"IwSQ").map(RawIndex::IvfSq),
        b"IHNf" => hnsw::read(r, depth, read_any).map(RawIndex::Hnsw),
        b"null" => Err(FaissIoError::bad(
            "fourcc",
            at,
            "\"null\" (absent index) where an index is required",
        )),
        _ if tag.iter().all(u8::is_ascii_alphanumeric) => {
            Err(FaissIoError::UnsupportedFourcc(types::fourcc_text(tag)))
        }
        _ => Err(FaissIoError::BadMagic { found: tag }),
    }
}

/// Writes one index object (fourcc and body).
fn write_any<W: Write + ?Sized>(
    index: &RawIndex<'_>,
    w: &mut ByteWriter<'_, W>,
) -> Result<(), FaissIoError> {
    match index {
        RawIndex::Flat(f) => flat::write(f, w),
        RawIndex::IdMap(m) => id_map::write(m, w, write_any::<W>),
        RawIndex::IvfFlat(v) => ivf_flat::write(v, w),
        RawIndex::Sq(s) => sq::write(s, w),
        RawIndex::IvfSq(v) => ivf_sq::write(v, w),
        RawIndex::Hnsw(h) => hnsw::write(h, w),
    }
}
