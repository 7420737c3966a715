//! The harness behind `ferrofaiss bench`: [`harness`] times a ferrofaiss index on TEXMEX
//! data (`.fvecs` / `.ivecs`, as SIFT1M ships) the way `shared/bench/faiss_anchor.py` times
//! native Faiss, and prints records in that script's schema; [`texmex`] reads the files.
//!
//! A crate of its own so the `ferrofaiss-cli` program can be published: criterion
//! benchmarks and the soak test stay in the unpublished `ferrofaiss-benches`.

mod clients;
pub mod harness;
mod hnsw;
mod io;
mod measure;
mod setup;
mod sq;
pub mod texmex;
mod timing;

/// The crate README's example, compiled and run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
