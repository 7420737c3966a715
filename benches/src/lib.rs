//! ferrofaiss's benchmarks and checks that are never published: criterion benchmarks in
//! `benches/benches/`, the async store's soak test in `src/bin/soak.rs`, and the workspace
//! README's doctests below. The harness `ferrofaiss bench` runs is the published
//! `ferrofaiss-bench-harness` (`crates/bench-harness`).

/// The benchmark binaries' deterministic generator (xorshift64*): no dependency, the
/// same numbers on every run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A uniform float in [0, 1), from the top 24 bits.
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// The workspace README's Rust examples, compiled and run as doctests so they stay true.
/// They live here, in a crate that is never packaged, because `include_str!` of a file
/// outside a crate's folder breaks `cargo package`; the published `ferrofaiss` crate
/// doctests its own README instead.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct WorkspaceReadmeDoctests;
