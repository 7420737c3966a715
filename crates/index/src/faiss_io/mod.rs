//! Native Faiss index files (`faiss.write_index` / `faiss.read_index`), read and written
//! byte-identically for the types this crate implements.
//!
//! Supported tags: `IxF2` / `IxFI` (flat L2 / inner product; `IxFl` is read when its
//! metric is L2 or IP), `IxMp` / `IxM2` (id maps around any supported index) and `IwFl`
//! (IVF-Flat) with `ilar` inverted lists in the `full` or `sprs` encoding and its
//! direct map. Every other tag (`IHNf`, `IxSQ`, `IwSq`, ...) and every other metric
//! gives a typed error naming it.
//!
//! Layers, bottom up:
//! 1. `byte_reader` / `byte_writer`: bounds-checked little-endian fields; every count is
//!    checked against the bytes that remain before anything is allocated.
//! 2. [`raw`]: one reader/writer per fourcc, into plain structs ([`raw::RawIndex`]).
//! 3. conversion between [`raw::RawIndex`] and the index types, and the file
//!    functions (memory-mapped reading, atomic writing).

mod byte_reader;
mod byte_writer;
mod error;
pub mod raw;

pub use error::FaissIoError;
