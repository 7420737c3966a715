//! Distance kernels for ferrofaiss: squared L2, inner product and norms of `f32`
//! slices; one-to-many and many-to-many (blocked, fused with top-k); f16 rows.
//!
//! Hand-vectorised tiers (AVX-512F, AVX2+FMA, NEON, portable `wide`, scalar) are chosen
//! at run time, once, and cached; see [`active_tier`]. `FAISS_NO_AVX2` moves off AVX as in
//! Faiss, `FERROFAISS_SIMD` forces a tier.
//!
//! This crate knows slices of numbers: no ids, no documents, no allocation in the hot
//! one-to-many calls. Safe entry points validate lengths and return [`KernelError`].

#[cfg(target_arch = "aarch64")]
mod aarch64;
mod dispatch;
mod dot_f64;
mod error;
mod int_dot;
mod knn;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod lanes;
mod metric;
mod order;
mod portable;
mod rows;
mod scalar;
mod simd_tier;
mod table;
mod tier;
mod tile;
mod topk;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use error::KernelError;
pub use half::f16;
pub use int_dot::U8_DOT_WEIGHT_LIMIT;
pub use knn::{KnnPath, BLOCKED_THRESHOLD};
pub use metric::MetricType;
pub use order::ScanOrder;
pub use rows::Rows;
pub use simd_tier::SimdTier;
pub use table::Kernels;
pub use tier::{active_tier, best_supported_tier, cpu_features, CpuFeatures};
pub use topk::TopK;

/// Implementation details that this crate's integration tests and benches reach into.
/// Not part of the API: no stability promise, may change in any release.
#[doc(hidden)]
pub mod __internal {
    pub use crate::tier::choose_tier;

    /// The scalar tier's functions: the plain-Rust reference the tests compare every
    /// tier with. They do not check lengths (callers guarantee them).
    pub mod scalar {
        pub use crate::scalar::{inner_product, l2_sqr, norm_sqr};
    }
}

/// Hints the CPU to bring every cache line of `data` into L1 ahead of use (for a graph
/// walk that knows which rows it reads next). A hint only: no effect on any result, and
/// nothing at all where the target has no prefetch instruction in stable Rust (only
/// x86-64 has one here).
#[inline]
pub fn prefetch<T>(data: &[T]) {
    #[cfg(target_arch = "x86_64")]
    x86::prefetch::prefetch_lines(data.as_ptr().cast(), std::mem::size_of_val(data));
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

/// Inner product of `a[..n]` and `b[..n]` (`n = min(len)`), accumulated in f64 (see
/// [`Kernels::inner_product_f64`]), on the active tier, or in plain Rust when the tier
/// the environment asks for cannot run here: the same bits either way.
pub fn inner_product_f64(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    match kernels() {
        Ok(k) => (k.inner_product_f64)(a, b),
        Err(_) => dot_f64::dot_f64(a, b),
    }
}

/// The kernels of the active tier (see [`active_tier`]), or why the tier the
/// environment asks for cannot run here: an explicit request (`FERROFAISS_SIMD`) is
/// never silently replaced by another tier, so a benchmark that asked for one runs it
/// or fails.
pub fn kernels() -> Result<&'static Kernels, KernelError> {
    static ACTIVE: std::sync::OnceLock<Result<&'static Kernels, KernelError>> =
        std::sync::OnceLock::new();
    ACTIVE
        .get_or_init(|| active_tier().and_then(dispatch::table_for))
        .clone()
}

/// The kernels of a named tier, or [`KernelError::UnsupportedTier`] when this CPU
/// cannot run it.
pub fn kernels_for(tier: SimdTier) -> Result<&'static Kernels, KernelError> {
    dispatch::table_for(tier)
}

/// Squared L2 distance between two equal-length vectors (active tier).
pub fn l2_sqr(a: &[f32], b: &[f32]) -> Result<f32, KernelError> {
    kernels()?.l2_sqr(a, b)
}

/// Inner product of two equal-length vectors (active tier).
pub fn inner_product(a: &[f32], b: &[f32]) -> Result<f32, KernelError> {
    kernels()?.inner_product(a, b)
}

/// Squared L2 norm (active tier).
pub fn norm_sqr(a: &[f32]) -> Result<f32, KernelError> {
    Ok(kernels()?.norm_sqr(a))
}

/// Squared L2 from `query` to each row of `rows` into `out` (active tier).
pub fn l2_sqr_ny<'r>(
    query: &[f32],
    rows: impl Into<Rows<'r>>,
    out: &mut [f32],
) -> Result<(), KernelError> {
    kernels()?.l2_sqr_ny(query, rows, out)
}

/// Inner product of `query` with each row of `rows` into `out` (active tier).
pub fn inner_product_ny<'r>(
    query: &[f32],
    rows: impl Into<Rows<'r>>,
    out: &mut [f32],
) -> Result<(), KernelError> {
    kernels()?.inner_product_ny(query, rows, out)
}

/// Squared norms of each row of `rows` (dimension `d`) into `out` (active tier).
pub fn norms_sqr<'r>(
    rows: impl Into<Rows<'r>>,
    d: usize,
    out: &mut [f32],
) -> Result<(), KernelError> {
    kernels()?.norms_sqr(rows, d, out)
}

/// Many-to-many k-NN fused with top-k (active tier); see [`Kernels::knn`].
#[allow(clippy::too_many_arguments)]
pub fn knn<'r>(
    metric: MetricType,
    queries: &[f32],
    rows: impl Into<Rows<'r>>,
    d: usize,
    row_norms: Option<&[f32]>,
    k: usize,
    dist_out: &mut [f32],
    labels_out: &mut [i64],
) -> Result<(), KernelError> {
    kernels()?.knn(metric, queries, rows, d, row_norms, k, dist_out, labels_out)
}

/// The crate README's example, compiled and run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
