//! ferrofaiss's benchmarks and checks that are never published: criterion benchmarks in
//! `benches/benches/`, the async store's soak test in `src/bin/soak.rs`, and the workspace
//! README's doctests below. The harness `ferrofaiss bench` runs is the published
//! `ferrofaiss-bench-harness` (`crates/bench-harness`).

/// The workspace README's Rust examples, compiled and run as doctests so they stay true.
/// They live here, in a crate that is never packaged, because `include_str!` of a file
/// outside a crate's folder breaks `cargo package`; the published `ferrofaiss` crate
/// doctests its own README instead.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct WorkspaceReadmeDoctests;
