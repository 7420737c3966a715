//! The plain data a Faiss index file decodes into, shared by the per-fourcc readers
//! and writers and by the dispatcher in `mod.rs` (which depends on the readers, never
//! the other way round: a container's reader gets the dispatcher as a [`ReadAny`]).

use std::borrow::Cow;

use super::super::byte_reader::ByteReader;
use super::super::byte_writer::ByteWriter;
use super::super::error::FaissIoError;
use crate::{MetricType, QuantizerType};

/// How deep index objects may nest, counting an IVF quantizer (or HNSW storage) as a level (an IDMap
/// around an IVF is depth 3: map, IVF, quantizer). Bounds the recursion a hostile file
/// can cause; the writer refuses indexes that would exceed it.
pub const MAX_NESTING: usize = 8;

/// A flat index (`IxF2`, `IxFI`): every vector stored as `d` floats, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFlat<'a> {
    /// Vector dimension (at least 1).
    pub d: usize,
    /// Distance; selects the tag written (`IxF2` for L2, `IxFI` for inner product).
    pub metric: MetricType,
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

/// One inverted list of an IVF index: raw vectors (`f32`, IVF-Flat) or code bytes
/// (`u8`, IVF-SQ).
#[derive(Debug, Clone, PartialEq)]
pub struct RawList<'a, T: Clone = f32> {
    /// Ids of the vectors in the list, insertion order.
    pub ids: Cow<'a, [i64]>,
    /// The codes, `ids.len()` of them back to back (`d` floats each for IVF-Flat).
    pub codes: Cow<'a, [T]>,
}

/// An IVF-Flat index (`IwFl`) with `ilar` (array) inverted lists.
#[derive(Debug, Clone, PartialEq)]
pub struct RawIvfFlat<'a> {
    /// Vector dimension.
    pub d: usize,
    /// Distance used to compare queries with stored vectors.
    pub metric: MetricType,
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

/// A scalar-quantizer index (`IxSQ`) with the quantizer types this crate has.
#[derive(Debug, Clone, PartialEq)]
pub struct RawSq<'a> {
    /// Vector dimension (at least 1).
    pub d: usize,
    /// Distance.
    pub metric: MetricType,
    /// Header `is_trained`.
    pub is_trained: bool,
    /// Quantizer type.
    pub qtype: QuantizerType,
    /// `rangestat` (training-time setting).
    pub rangestat: i32,
    /// `rangestat_arg` (training-time setting).
    pub rangestat_arg: f32,
    /// Trained values (`2d` for 8-bit once trained, else none).
    pub trained: Cow<'a, [f32]>,
    /// `ntotal * code_size` bytes.
    pub codes: Cow<'a, [u8]>,
}

impl RawSq<'_> {
    /// Number of stored vectors.
    pub fn ntotal(&self) -> usize {
        self.qtype
            .code_size(self.d)
            .and_then(|cs| self.codes.len().checked_div(cs))
            .unwrap_or(0)
    }
}

/// The scalar-quantizer block of `IxSQ` and `IwSq` (spec §8).
#[derive(Debug, Clone, PartialEq)]
pub struct RawSqBlock<'a> {
    /// Quantizer type.
    pub qtype: QuantizerType,
    /// `rangestat` (training-time setting).
    pub rangestat: i32,
    /// `rangestat_arg` (training-time setting).
    pub rangestat_arg: f32,
    /// Trained values (`2d` for 8-bit once trained, else none).
    pub trained: Cow<'a, [f32]>,
}

/// An IVF scalar-quantizer index (`IwSq`) with `ilar` lists of code bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct RawIvfSq<'a> {
    /// Vector dimension.
    pub d: usize,
    /// Distance.
    pub metric: MetricType,
    /// Header `is_trained`.
    pub is_trained: bool,
    /// Number of inverted lists.
    pub nlist: usize,
    /// Lists visited per query (persisted search parameter).
    pub nprobe: usize,
    /// The coarse quantizer.
    pub quantizer: RawFlat<'a>,
    /// Optional id -> slot map.
    pub direct_map: RawDirectMap<'a>,
    /// The scalar quantizer.
    pub sq: RawSqBlock<'a>,
    /// Whether codes are of residuals from the list's centroid.
    pub by_residual: bool,
    /// The `nlist` lists, `code_size` bytes per entry.
    pub lists: Vec<RawList<'a, u8>>,
}

impl RawIvfSq<'_> {
    /// Total vectors across the lists.
    pub fn ntotal(&self) -> usize {
        self.lists.iter().map(|l| l.ids.len()).sum()
    }
}

/// An HNSW index over flat storage (`IHNf`): Faiss's `HNSW` struct and the vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct RawHnsw<'a> {
    /// Header `is_trained`.
    pub is_trained: bool,
    /// Level probabilities.
    pub assign_probas: Cow<'a, [f64]>,
    /// Prefix sums of neighbour slots per level.
    pub cum_neighbors: Cow<'a, [i32]>,
    /// Levels per node (`ntotal` entries).
    pub levels: Cow<'a, [i32]>,
    /// Start of each node's slots (`ntotal + 1` entries).
    pub offsets: Cow<'a, [u64]>,
    /// All neighbour slots.
    pub neighbors: Cow<'a, [i32]>,
    /// Entry point (`-1` when empty).
    pub entry_point: i32,
    /// Top level (`-1` when empty).
    pub max_level: i32,
    /// `efConstruction`.
    pub ef_construction: usize,
    /// `efSearch` (persisted search parameter).
    pub ef_search: usize,
    /// The vectors (`IxF2` / `IxFI`); gives the dimension, count and metric.
    pub storage: RawFlat<'a>,
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
    /// `IxSQ`.
    Sq(RawSq<'a>),
    /// `IwSq`.
    IvfSq(RawIvfSq<'a>),
    /// `IHNf`.
    Hnsw(RawHnsw<'a>),
}

impl RawIndex<'_> {
    /// Vector dimension.
    pub fn d(&self) -> usize {
        match self {
            RawIndex::Flat(f) => f.d,
            RawIndex::IdMap(m) => m.inner.d(),
            RawIndex::IvfFlat(v) => v.d,
            RawIndex::Sq(s) => s.d,
            RawIndex::IvfSq(v) => v.d,
            RawIndex::Hnsw(h) => h.storage.d,
        }
    }

    /// Number of stored vectors.
    pub fn ntotal(&self) -> usize {
        match self {
            RawIndex::Flat(f) => f.ntotal(),
            RawIndex::IdMap(m) => m.inner.ntotal(),
            RawIndex::IvfFlat(v) => v.ntotal(),
            RawIndex::Sq(s) => s.ntotal(),
            RawIndex::IvfSq(v) => v.ntotal(),
            RawIndex::Hnsw(h) => h.storage.ntotal(),
        }
    }

    /// Distance of the index.
    pub fn metric(&self) -> MetricType {
        match self {
            RawIndex::Flat(f) => f.metric,
            RawIndex::IdMap(m) => m.inner.metric(),
            RawIndex::IvfFlat(v) => v.metric,
            RawIndex::Sq(s) => s.metric,
            RawIndex::IvfSq(v) => v.metric,
            RawIndex::Hnsw(h) => h.storage.metric,
        }
    }

    /// Nesting depth as [`MAX_NESTING`] counts it: a flat index is 1, an IVF index 2
    /// (its quantizer is a level), an id map one more than its inner index.
    pub fn nesting(&self) -> usize {
        match self {
            RawIndex::Flat(_) | RawIndex::Sq(_) => 1,
            RawIndex::IvfFlat(_) | RawIndex::IvfSq(_) | RawIndex::Hnsw(_) => 2,
            RawIndex::IdMap(m) => 1 + m.inner.nesting(),
        }
    }

    /// Whether the index is trained (flat indexes always are).
    pub fn is_trained(&self) -> bool {
        match self {
            RawIndex::Flat(_) => true,
            RawIndex::IdMap(m) => m.inner.is_trained(),
            RawIndex::IvfFlat(v) => v.is_trained,
            RawIndex::Sq(s) => s.is_trained,
            RawIndex::IvfSq(v) => v.is_trained,
            RawIndex::Hnsw(h) => h.is_trained,
        }
    }
}

/// The fourcc as text for error messages (non-printable bytes escaped).
pub(crate) fn fourcc_text(tag: [u8; 4]) -> String {
    tag.iter()
        .flat_map(|&b| std::ascii::escape_default(b))
        .map(char::from)
        .collect()
}

/// The reader of one whole index object (fourcc and body) at a nesting depth, handed to
/// the readers of objects that contain another (id maps, IVF quantizers).
pub(super) type ReadAny = fn(&mut ByteReader<'_>, usize) -> Result<RawIndex<'static>, FaissIoError>;

/// The writer of one whole index object, handed to the writers of containers.
pub(super) type WriteAny<W> = fn(&RawIndex<'_>, &mut ByteWriter<'_, W>) -> Result<(), FaissIoError>;
