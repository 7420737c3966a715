//! Faiss-style vector indexes: flat L2/IP, IVF-Flat with k-means, scalar quantizers
//! (8-bit and fp16), HNSW graphs, id maps, factory strings, and native Faiss
//! `index.faiss` files read and written byte-identically.
//!
//! This crate knows vectors and 64-bit ids (Faiss's world). It knows nothing of
//! documents or text; distance arithmetic comes from `flatl2-kernel`.
//!
//! # Contract for file IO and other users
//!
//! * Any index is a `Box<dyn Index>` ([`Index`] is object-safe; `Box<dyn Index>` itself
//!   implements [`Index`] and `Clone`). Downcast with `index.as_any().downcast_ref::<T>()`
//!   to one of the concrete types: [`FlatIndex`], [`IvfFlatIndex`], [`HnswFlatIndex`],
//!   [`IdMap<I>`] / [`IdMap2<I>`] (with `I` one of `FlatIndex`, `IvfFlatIndex`,
//!   `HnswFlatIndex`, `Box<dyn Index>`);
//!   [`id_map_view`] does the id-map downcasts for you.
//! * Raw parts in and out, so a Faiss file can be rebuilt byte for byte:
//!   - `IxF2`/`IxFI`: [`FlatIndex::from_vectors`]`(d, metric, data)`,
//!     [`FlatIndex::vectors`]; header `is_trained` is always true, metric code via
//!     [`MetricType::faiss_code`] / [`MetricType::from_faiss_code`].
//!   - `IxMp`/`IxM2`: [`IdMap::from_parts`]`(inner, ids)` / [`IdMap2::from_parts`],
//!     [`IdMap::ids`], [`IdMap::inner`] (header fields mirror the inner index).
//!   - `IxSQ`: [`ScalarQuantizerIndex::from_parts`]`(`[`ScalarQuantizerParts`]`)`,
//!     [`ScalarQuantizerIndex::codes`], [`ScalarQuantizerIndex::trained`],
//!     [`ScalarQuantizerIndex::range_stat`], [`QuantizerType::faiss_code`].
//!   - `IwSq`: [`IvfSqIndex::from_parts`]`(`[`IvfSqParts`]`)`, with the same accessors
//!     as IVF-Flat plus [`IvfSqIndex::sq_trained`], [`IvfSqIndex::by_residual`]; lists
//!     are [`InvertedList`]`<u8>` of `code_size` bytes per entry.
//!   - `IHNf`: [`HnswFlatIndex::from_parts`]`(`[`HnswParts`]`)` and the accessors
//!     [`HnswFlatIndex::levels`], [`HnswFlatIndex::neighbors`] and so on (the file's
//!     `HNSW` struct), with [`HnswFlatIndex::storage`] the nested `IxF2` / `IxFI`.
//!   - `IwFl`: [`IvfFlatIndex::from_parts`]`(`[`IvfFlatParts`]` { metric, quantizer,
//!     lists, direct_map, nprobe, is_trained })`, [`IvfFlatIndex::list_ids`] /
//!     [`IvfFlatIndex::list_codes`] (or [`IvfFlatIndex::into_parts`]'s
//!     [`InvertedList`]` { ids, codes }`), [`IvfFlatIndex::quantizer`],
//!     [`IvfFlatIndex::nprobe`], [`IvfFlatIndex::direct_map`] ([`DirectMap::kind`],
//!     [`DirectMap::array`], [`DirectMap::hashtable_entries`] in stored order,
//!     [`DirectMap::from_array`], [`DirectMap::from_hashtable`]); `nlist` = lists,
//!     `ntotal` = sum of list lengths, `code_size` = `4 * d`.
//! * Errors are [`IndexError`]; search results are [`SearchResult`] (`-1` labels and
//!   `+/-f32::MAX` distances in empty slots) and [`RangeSearchResult`].

mod error;
mod exhaustive;
mod factory;
pub mod faiss_io;
mod flat;
mod hnsw;
mod huge_pages;
mod id_map;
mod index_trait;
mod ivf;
mod kmeans;
mod line_vec;
mod mapped;
mod results;
mod rng;
mod row_buffer;
mod rows;
mod selected;
mod selector;
mod sq;
mod validate;

pub use error::IndexError;
pub use exhaustive::max_direct_queries;
pub use factory::{index_factory, reverse_index_factory, SUPPORTED_FACTORY_STRINGS};
pub use flat::FlatIndex;
pub use flatl2_kernel::{MetricType, Rows};
pub use hnsw::{HnswFlatIndex, HnswParts};
pub use id_map::{id_map_view, IdMap, IdMap2, IdMapView};
pub use index_trait::Index;
pub use ivf::{
    DirectMap, DirectMapType, FlatCodec, InvertedList, IvfFlatIndex, IvfFlatParts, IvfIndex,
    IvfSqIndex, IvfSqParts, ListCodec, ListUnit, SqCodec, DEFAULT_NPROBE, MAX_NLIST,
};
pub use kmeans::{kmeans, ClusteringParameters, KmeansResult};
pub use results::{RangeSearchResult, SearchParams, SearchResult};
pub use row_buffer::RowBuffer;
pub use selector::{IdMatcher, IdSelector};
pub use sq::{QuantizerType, ScalarQuantizerIndex, ScalarQuantizerParts};
pub use validate::MAX_RESULT_SLOTS;

/// The input checks every index of this crate runs before it touches its storage, for
/// [`Index`] implementations kept elsewhere (the GPU indexes): the same shapes, NaN,
/// `k`, output-buffer and merge-partner rules give the same typed errors whichever
/// index is called.
pub mod checks {
    pub use crate::index_trait::same_kind;
    pub use crate::validate::{check_k, check_radius, checked_vectors, copy_vector, vector_count};
}

/// Implementation details that this crate's integration tests reach into. Not part of
/// the API: no stability promise, may change in any release.
#[doc(hidden)]
pub mod __internal {
    /// The raw layer of Faiss index files: plain structs, one reader/writer per fourcc.
    pub mod raw {
        pub use crate::faiss_io::raw::{
            faiss_writes_full, read_raw_index, read_raw_index_leaving_codes, write_raw_index,
            RawDirectMap, RawFlat, RawHnsw, RawIdMap, RawIndex, RawIvfFlat, RawIvfSq, RawList,
            RawSq, MAX_NESTING,
        };
    }
}

/// The crate README's example, compiled and run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
