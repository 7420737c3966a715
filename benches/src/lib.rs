//! Criterion benchmarks for the workspace live in `benches/benches/`; this library holds
//! the helpers they share (data generation).
