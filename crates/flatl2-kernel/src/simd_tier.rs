//! The SIMD tiers a kernel table can be compiled for: names only. What the CPU
//! supports and which tier runs is decided in `tier`.

use std::fmt;

/// An instruction-set tier a kernel can be compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SimdTier {
    /// Plain Rust, one element at a time: the reference every tier is tested against.
    Scalar,
    /// Portable SIMD through the `wide` crate (SSE2/NEON/WASM depending on target).
    Portable,
    /// x86-64 AVX2 with FMA, 256-bit lanes.
    Avx2,
    /// x86-64 AVX-512F, 512-bit lanes.
    Avx512,
    /// aarch64 NEON, 128-bit lanes.
    Neon,
}

impl SimdTier {
    /// Every tier, in increasing order of preference on its architecture.
    pub const ALL: [SimdTier; 5] = [
        SimdTier::Scalar,
        SimdTier::Portable,
        SimdTier::Neon,
        SimdTier::Avx2,
        SimdTier::Avx512,
    ];

    /// The lowercase name used by `FERROFAISS_SIMD` and printed by the CLI.
    pub fn name(self) -> &'static str {
        match self {
            SimdTier::Scalar => "scalar",
            SimdTier::Portable => "portable",
            SimdTier::Avx2 => "avx2",
            SimdTier::Avx512 => "avx512",
            SimdTier::Neon => "neon",
        }
    }
}

impl fmt::Display for SimdTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
