//! The kernel table: one set of function pointers per SIMD tier, chosen once.
//!
//! Each tier module provides safe functions with the same signatures as
//! [`crate::scalar`]; the table for a tier is only handed out after the CPU has been
//! checked for it, which is what makes calling a `#[target_feature]` kernel sound.

use half::f16;

use crate::knn::{self, KnnPath};
use crate::tile::{TileKernels, SCALAR_TILE};
use crate::topk::Metric;
use crate::{portable, scalar, tier, KernelError, SimdTier};

/// `fn(a, b) -> distance` for two equal-length vectors.
pub(crate) type PairFn = fn(&[f32], &[f32]) -> f32;
/// `fn(query, rows, out)`: one query against `out.len()` rows of `query.len()` values.
pub(crate) type NyFn = fn(&[f32], &[f32], &mut [f32]);
/// `fn(query, f16 rows, out)`.
pub(crate) type NyF16Fn = fn(&[f32], &[f16], &mut [f32]);

/// The distance kernels of one SIMD tier.
///
/// Obtain one with [`crate::kernels`] (the active tier) or [`crate::kernels_for`] (a
/// named tier, checked against the CPU). Every method validates its arguments and
/// returns a [`KernelError`] instead of panicking.
#[derive(Debug)]
pub struct Kernels {
    pub(crate) tier: SimdTier,
    pub(crate) l2_sqr: PairFn,
    pub(crate) inner_product: PairFn,
    pub(crate) l2_sqr_ny: NyFn,
    pub(crate) inner_product_ny: NyFn,
    pub(crate) l2_sqr_ny_f16: NyF16Fn,
    pub(crate) inner_product_ny_f16: NyF16Fn,
    pub(crate) tile: TileKernels,
}

pub(crate) static SCALAR: Kernels = Kernels {
    tier: SimdTier::Scalar,
    l2_sqr: scalar::l2_sqr,
    inner_product: scalar::inner_product,
    l2_sqr_ny: scalar::l2_sqr_ny,
    inner_product_ny: scalar::inner_product_ny,
    l2_sqr_ny_f16: scalar::l2_sqr_ny_f16,
    inner_product_ny_f16: scalar::inner_product_ny_f16,
    tile: SCALAR_TILE,
};

/// The table for `tier`, if this build has one and the CPU supports it.
pub(crate) fn table_for(tier: SimdTier) -> Result<&'static Kernels, KernelError> {
    if !tier.is_supported() {
        return Err(KernelError::UnsupportedTier(tier));
    }
    let features = tier::cpu_features();
    match tier {
        SimdTier::Scalar => Ok(&SCALAR),
        SimdTier::Portable => Ok(&portable::PORTABLE),
        // The AVX-512 kernels may use the AVX2/FMA/F16C instructions that `avx512f`
        // implies, so all are checked (every AVX-512 CPU has them).
        #[cfg(target_arch = "x86_64")]
        SimdTier::Avx512 if features.avx512f && features.avx2_fma && features.f16c => {
            Ok(&crate::x86::avx512::AVX512)
        }
        #[cfg(target_arch = "x86_64")]
        SimdTier::Avx2 if features.avx2_fma => Ok(if features.f16c {
            &crate::x86::avx2::AVX2
        } else {
            &crate::x86::avx2::AVX2_NO_F16C
        }),
        #[cfg(target_arch = "aarch64")]
        SimdTier::Neon if features.neon => Ok(&crate::aarch64::neon::NEON),
        _ => {
            let _ = features;
            Err(KernelError::UnsupportedTier(tier))
        }
    }
}

/// Checks that `rows` is a whole number of rows of dimension `d` and returns the count.
pub(crate) fn row_count(rows_len: usize, d: usize) -> Result<usize, KernelError> {
    if d == 0 {
        return Err(KernelError::ZeroDimension);
    }
    if !rows_len.is_multiple_of(d) {
        return Err(KernelError::RaggedMatrix {
            len: rows_len,
            dim: d,
        });
    }
    Ok(rows_len / d)
}

fn check_out(expected: usize, got: usize) -> Result<(), KernelError> {
    if expected != got {
        return Err(KernelError::OutputSize { expected, got });
    }
    Ok(())
}

fn check_pair(a: usize, b: usize) -> Result<(), KernelError> {
    if a != b {
        return Err(KernelError::LengthMismatch { left: a, right: b });
    }
    Ok(())
}

impl Kernels {
    /// The tier these kernels were compiled for.
    pub fn tier(&self) -> SimdTier {
        self.tier
    }

    /// Squared L2 distance between two vectors of equal length.
    pub fn l2_sqr(&self, a: &[f32], b: &[f32]) -> Result<f32, KernelError> {
        check_pair(a.len(), b.len())?;
        Ok((self.l2_sqr)(a, b))
    }

    /// Inner product of two vectors of equal length.
    pub fn inner_product(&self, a: &[f32], b: &[f32]) -> Result<f32, KernelError> {
        check_pair(a.len(), b.len())?;
        Ok((self.inner_product)(a, b))
    }

    /// Squared L2 norm of a vector.
    pub fn norm_sqr(&self, a: &[f32]) -> f32 {
        (self.inner_product)(a, a)
    }

    /// Squared L2 from `query` to each row of the row-major matrix `rows`, into `out`
    /// (one slot per row). The dimension is `query.len()`.
    pub fn l2_sqr_ny(
        &self,
        query: &[f32],
        rows: &[f32],
        out: &mut [f32],
    ) -> Result<(), KernelError> {
        let n = row_count(rows.len(), query.len())?;
        check_out(n, out.len())?;
        (self.l2_sqr_ny)(query, rows, out);
        Ok(())
    }

    /// Inner product of `query` with each row of `rows`, into `out`.
    pub fn inner_product_ny(
        &self,
        query: &[f32],
        rows: &[f32],
        out: &mut [f32],
    ) -> Result<(), KernelError> {
        let n = row_count(rows.len(), query.len())?;
        check_out(n, out.len())?;
        (self.inner_product_ny)(query, rows, out);
        Ok(())
    }

    /// Squared L2 norm of each row of `rows` (dimension `d`), into `out`.
    pub fn norms_sqr(&self, rows: &[f32], d: usize, out: &mut [f32]) -> Result<(), KernelError> {
        let n = row_count(rows.len(), d)?;
        check_out(n, out.len())?;
        for (o, row) in out.iter_mut().zip(rows.chunks_exact(d)) {
            *o = (self.inner_product)(row, row);
        }
        Ok(())
    }

    /// Squared L2 from an f32 query to each f16 row.
    pub fn l2_sqr_ny_f16(
        &self,
        query: &[f32],
        rows: &[f16],
        out: &mut [f32],
    ) -> Result<(), KernelError> {
        let n = row_count(rows.len(), query.len())?;
        check_out(n, out.len())?;
        (self.l2_sqr_ny_f16)(query, rows, out);
        Ok(())
    }

    /// Inner product of an f32 query with each f16 row.
    pub fn inner_product_ny_f16(
        &self,
        query: &[f32],
        rows: &[f16],
        out: &mut [f32],
    ) -> Result<(), KernelError> {
        let n = row_count(rows.len(), query.len())?;
        check_out(n, out.len())?;
        (self.inner_product_ny_f16)(query, rows, out);
        Ok(())
    }

    /// Many-to-many k-nearest-neighbour search, fused with top-k selection.
    ///
    /// `queries` holds `nq` rows and `rows` holds `n` rows, both of dimension `d`.
    /// `row_norms`, when given, must hold the squared norms of `rows` (used by the L2
    /// blocked path; computed on the fly when `None`, ignored for inner product).
    /// Writes `nq * k` distances and labels (row positions, `-1` with the metric's worst
    /// distance for empty slots) in Faiss's order.
    ///
    /// The path follows Faiss ([`KnnPath::Auto`]): the blocked
    /// `||x||^2 + ||y||^2 - 2 x.y` path when `nq * d >= 128000` (Faiss's
    /// `distance_compute_blas_threshold`), one-to-many scans otherwise. Single-threaded.
    #[allow(clippy::too_many_arguments)]
    pub fn knn(
        &self,
        metric: Metric,
        queries: &[f32],
        rows: &[f32],
        d: usize,
        row_norms: Option<&[f32]>,
        k: usize,
        dist_out: &mut [f32],
        labels_out: &mut [i64],
    ) -> Result<(), KernelError> {
        self.knn_via(
            KnnPath::Auto,
            metric,
            queries,
            rows,
            d,
            row_norms,
            k,
            dist_out,
            labels_out,
        )
    }

    /// [`Kernels::knn`] with the path chosen by the caller.
    ///
    /// [`KnnPath::Blocked`] computes inner products with a register-tiled micro-kernel
    /// over blocks of rows that stay in cache, and (L2) turns them into
    /// `(|x|^2 + |y|^2) - 2 x.y`, clamping negative round-off to 0 as Faiss's BLAS path
    /// does; distances may differ from the direct formula in the last bits.
    /// [`KnnPath::Direct`] uses the one-to-many kernels (the direct formula).
    #[allow(clippy::too_many_arguments)]
    pub fn knn_via(
        &self,
        path: KnnPath,
        metric: Metric,
        queries: &[f32],
        rows: &[f32],
        d: usize,
        row_norms: Option<&[f32]>,
        k: usize,
        dist_out: &mut [f32],
        labels_out: &mut [i64],
    ) -> Result<(), KernelError> {
        let nq = row_count(queries.len(), d)?;
        let n = row_count(rows.len(), d)?;
        let slots = nq
            .checked_mul(k)
            .ok_or(KernelError::SizeOverflow { rows: nq, dim: k })?;
        check_out(slots, dist_out.len())?;
        check_out(slots, labels_out.len())?;
        if let Some(norms) = row_norms {
            check_out(n, norms.len())?;
        }
        knn::knn(
            self, path, metric, queries, rows, d, row_norms, k, dist_out, labels_out,
        );
        Ok(())
    }
}
