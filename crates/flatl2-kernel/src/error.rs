//! Typed errors returned by the safe entry points of this crate.

use crate::simd_tier::SimdTier;

/// What can go wrong when a kernel is called through a safe entry point.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KernelError {
    /// Two vectors that must have the same length do not.
    #[error("length mismatch: {left} vs {right}")]
    LengthMismatch {
        /// Length of the first operand.
        left: usize,
        /// Length of the second operand.
        right: usize,
    },
    /// The vector dimension is zero where a positive one is required.
    #[error("dimension must be positive")]
    ZeroDimension,
    /// A matrix's length is not a multiple of its dimension.
    #[error("matrix of {len} values is not a whole number of rows of dimension {dim}")]
    RaggedMatrix {
        /// Number of values in the matrix slice.
        len: usize,
        /// The row dimension.
        dim: usize,
    },
    /// `rows * dim` (or another size computation) overflows `usize`.
    #[error("size overflow: {rows} x {dim}")]
    SizeOverflow {
        /// Number of rows.
        rows: usize,
        /// Row dimension.
        dim: usize,
    },
    /// The caller's output slice has the wrong length.
    #[error("output slice has {got} slots, {expected} needed")]
    OutputSize {
        /// Slots required.
        expected: usize,
        /// Slots provided.
        got: usize,
    },
    /// A SIMD tier was requested that this CPU (or build) does not support.
    #[error("SIMD tier {0} is not supported on this CPU")]
    UnsupportedTier(SimdTier),
    /// Weights whose dot products with 8-bit codes could overflow an `i32`.
    #[error("weights sum to {sum} in magnitude, more than the {limit} an exact i32 dot product with 8-bit codes allows")]
    WeightsTooLarge {
        /// `sum(|w|)` of the weights given.
        sum: u64,
        /// [`crate::U8_DOT_WEIGHT_LIMIT`].
        limit: u64,
    },
    /// Little-endian bytes were offered as floats on a big-endian target.
    #[error("little-endian floats cannot be read in place on a big-endian target")]
    BigEndianBytes,
    /// `FERROFAISS_SIMD` names no known tier.
    #[error("unknown SIMD tier {0:?} (expected scalar, portable, avx2, avx512 or neon)")]
    UnknownTier(String),
}
