//! Faiss index files as plain data ("raw" structs), one reader/writer per fourcc.
//!
//! This layer knows the byte format and nothing of the index types: it decodes a file
//! into [`RawIndex`] and encodes a [`RawIndex`] back into exactly the bytes Faiss writes.
//! The payload arrays are `Cow`s: decoding produces owned vectors (the one copy out of
//! the input), while a writer can borrow an index's storage without copying it.

mod direct_map;
mod flat;
mod header;
mod id_map;
mod inverted_lists;
mod ivf_flat;

pub use inverted_lists::faiss_writes_full;

use std::borrow::Cow;
use std::io::Write;

use super::byte_reader::ByteReader;
use super::byte_writer::ByteWriter;
use super::error::FaissIoError;

/// How deep index objects may nest, counting an IVF quantizer as a level (an IDMap
/// around an IVF is depth 3: map, IVF, quantizer). Bounds the recursion a hostile file
/// can cause; the writer refuses indexes that would exceed it.
pub const MAX_NESTING: usize = 8;

/// The distance of an index, for the metrics this crate supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawMetric {
    /// Squared Euclidean distance (`METRIC_L2`, code 1); smaller is closer.
    L2,
    /// Inner product (`METRIC_INNER_PRODUCT`, code 0); larger is closer.
    InnerProduct,
}

impl RawMetric {
    /// Faiss's `metric_type` code.
    pub fn code(self) -> i32 {
        match self {
            RawMetric::L2 => header::METRIC_L2,
            RawMetric::InnerProduct => header::METRIC_INNER_PRODUCT,
        }
    }
}

/// A flat index (`IxF2`, `IxFI`): every vector stored as `d` floats, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFlat<'a> {
    /// Vector dimension (at least 1).
    pub d: usize,
    /// Distance; selects the tag written (`IxF2` for L2, `IxFI` for inner product).
    pub metric: RawMetric,
    /// `ntotal * d` floats, vector 0 first.
    pub vectors: Cow<'a, [f32]>,
}

impl RawFlat<'_> {
    /// Number of stored vectors.
    pub fn ntotal(&self) -> usize {
        self.vectors.len().checked_div(self.d).unwrap_or(0)
    }
}

/// An id map (`IxMp` / `IxM2`) around another index.
#[derive(Debug, Clone, PartialEq)]
pub struct RawIdMap<'a> {
    /// `true` for `IxM2` (IndexIDMap2, which keeps a reverse map), `false` for `IxMp`.
    pub two_way: bool,
    /// The wrapped index.
    pub inner: Box<RawIndex<'a>>,
    /// External id of the inner index's vector `i`; as many as the inner index holds.
    pub ids: Cow<'a, [i64]>,
}

/// The direct map of an IVF index (vector id -> `list_no << 32 | offset`).
#[derive(Debug, Clone, PartialEq)]
pub enum RawDirectMap<'a> {
    /// No direct map (type 0).
    None,
    /// Type 1: entry `i` locates vector id `i`.
    Array(Cow<'a, [i64]>),
    /// Type 2: `(id, list_no << 32 | offset)` pairs, in file order.
    Hashtable(Cow<'a, [(i64, i64)]>),
}

/// One inverted list of an IVF-Flat index.
#[derive(Debug, Clone, PartialEq)]
pub struct RawList<'a> {
    /// Ids of the vectors in the list, insertion order.
    pub ids: Cow<'a, [i64]>,
    /// The vectors themselves, `ids.len() * d` floats.
    pub codes: Cow<'a, [f32]>,
}

/// An IVF-Flat index (`IwFl`) with `ilar` (array) inverted lists.
#[derive(Debug, Clone, PartialEq)]
pub struct RawIvfFlat<'a> {
    /// Vector dimension.
    pub d: usize,
    /// Distance used to compare queries with stored vectors.
    pub metric: RawMetric,
    /// Whether the coarse quantizer is trained.
    pub is_trained: bool,
    /// Number of inverted lists.
    pub nlist: usize,
    /// Lists visited per query (persisted search parameter).
    pub nprobe: usize,
    /// The coarse quantizer: `nlist` centroids when trained (may be empty before).
    pub quantizer: RawFlat<'a>,
    /// Optional id -> slot map.
    pub direct_map: RawDirectMap<'a>,
    /// The `nlist` inverted lists.
    pub lists: Vec<RawList<'a>>,
}

impl RawIvfFlat<'_> {
    /// Total vectors across the lists.
    pub fn ntotal(&self) -> usize {
        self.lists.iter().map(|l| l.ids.len()).sum()
    }
}

/// A decoded Faiss index of one of the supported types.
#[derive(Debug, Clone, PartialEq)]
pub enum RawIndex<'a> {
    /// `IxF2` / `IxFI` (and `IxFl` with an L2/IP metric on read).
    Flat(RawFlat<'a>),
    /// `IxMp` / `IxM2`.
    IdMap(RawIdMap<'a>),
    /// `IwFl` with `ilar` lists.
    IvfFlat(RawIvfFlat<'a>),
}

impl RawIndex<'_> {
    /// Vector dimension.
    pub fn d(&self) -> usize {
        match self {
            RawIndex::Flat(f) => f.d,
            RawIndex::IdMap(m) => m.inner.d(),
            RawIndex::IvfFlat(v) => v.d,
        }
    }

    /// Number of stored vectors.
    pub fn ntotal(&self) -> usize {
        match self {
            RawIndex::Flat(f) => f.ntotal(),
            RawIndex::IdMap(m) => m.inner.ntotal(),
            RawIndex::IvfFlat(v) => v.ntotal(),
        }
    }

    /// Distance of the index.
    pub fn metric(&self) -> RawMetric {
        match self {
            RawIndex::Flat(f) => f.metric,
            RawIndex::IdMap(m) => m.inner.metric(),
            RawIndex::IvfFlat(v) => v.metric,
        }
    }

    /// Nesting depth as [`MAX_NESTING`] counts it: a flat index is 1, an IVF index 2
    /// (its quantizer is a level), an id map one more than its inner index.
    pub fn nesting(&self) -> usize {
        match self {
            RawIndex::Flat(_) => 1,
            RawIndex::IvfFlat(_) => 2,
            RawIndex::IdMap(m) => 1 + m.inner.nesting(),
        }
    }

    /// Whether the index is trained (flat indexes always are).
    pub fn is_trained(&self) -> bool {
        match self {
            RawIndex::Flat(_) => true,
            RawIndex::IdMap(m) => m.inner.is_trained(),
            RawIndex::IvfFlat(v) => v.is_trained,
        }
    }
}

/// Decodes a complete Faiss index from `bytes`; the index must end exactly at the end
/// of the input.
pub fn read_raw_index(bytes: &[u8]) -> Result<RawIndex<'static>, FaissIoError> {
    let mut r = ByteReader::new(bytes);
    let index = read_any(&mut r, 1)?;
    if r.remaining() != 0 {
        return Err(FaissIoError::TrailingBytes {
            end: r.offset() as u64,
            extra: r.remaining() as u64,
        });
    }
    Ok(index)
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

/// The fourcc as text for error messages (non-printable bytes escaped).
pub(crate) fn fourcc_text(tag: [u8; 4]) -> String {
    tag.iter()
        .flat_map(|&b| std::ascii::escape_default(b))
        .map(char::from)
        .collect()
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
        b"IxMp" | b"IxM2" => id_map::read(r, tag == *b"IxM2", depth).map(RawIndex::IdMap),
        b"IwFl" => ivf_flat::read(r, depth).map(RawIndex::IvfFlat),
        b"null" => Err(FaissIoError::bad(
            "fourcc",
            at,
            "\"null\" (absent index) where an index is required",
        )),
        _ if tag.iter().all(u8::is_ascii_alphanumeric) => {
            Err(FaissIoError::UnsupportedFourcc(fourcc_text(tag)))
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
        RawIndex::IdMap(m) => id_map::write(m, w),
        RawIndex::IvfFlat(v) => ivf_flat::write(v, w),
    }
}
