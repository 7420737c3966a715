//! The benchmark harness of the workspace (not published). It holds what the `ferrofaiss
//! bench` command runs: [`harness`] times an index on TEXMEX data the way
//! `shared/bench/faiss_anchor.py` times native Faiss and prints records in that script's
//! schema, and [`texmex`] reads the `.fvecs` / `.ivecs` files. Criterion benchmarks live
//! in `benches/benches/`, the async store's soak test in `src/bin/soak.rs`.

pub mod harness;
pub mod texmex;

/// The workspace README's Rust examples, compiled and run as doctests so they stay true.
/// They live here, in a crate that is never packaged, because `include_str!` of a file
/// outside a crate's folder breaks `cargo package`; the published `ferrofaiss` crate
/// doctests its own README instead.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct WorkspaceReadmeDoctests;
