//! The lane abstraction: each kernel algorithm is written once here, over [`Lanes`], and
//! every SIMD tier (AVX-512, AVX2, NEON) instantiates it with its own vector type.
//!
//! A tier is a zero-sized *token* type implementing [`Lanes`] with its intrinsics.
//! Holding a token is the proof that the CPU has the tier's instructions (tokens are
//! made only by [`Lanes::assume`], inside the tier's `#[target_feature]` functions that
//! the checked kernel table reaches), so arithmetic on lanes is safe; only memory
//! accesses through raw pointers are `unsafe`.
//!
//! The algorithms and the token methods are `#[inline(always)]`: [`simd_tier!`] makes a
//! tier's token, its [`Lanes`] impl from the tier's intrinsics, and its kernel table,
//! each entry an algorithm instantiated inside a `#[target_feature]` function, into which
//! the whole body, intrinsics included, is inlined and compiled for the tier. The tier
//! files say only what differs: their intrinsics, vector width and tile shape.

pub(crate) mod coded_scan;
mod lane;
pub(crate) mod pair;
pub(crate) mod scan;
mod table;
pub(crate) mod tile;

// Only the x86 tiers widen f16 in registers.
#[cfg(target_arch = "x86_64")]
pub(crate) use lane::HalfLanes;
pub(crate) use lane::{prefetch_stream, rows_to_scan, sum_rows, term, Lanes, MAX_W};
pub(crate) use table::simd_tier;
