//! The kernel table type: one set of function pointers per SIMD tier.
//!
//! The tier modules fill in a [`Kernels`] each; `dispatch` hands out the one the CPU
//! can run. The table and its checked entry points live here, apart from both, so the
//! tiers depend on this module and `dispatch` depends on the tiers, never back.

use half::f16;

use crate::error::KernelError;
use crate::order::ScanOrder;
use crate::rows::Rows;
use crate::simd_tier::SimdTier;
use crate::tile::TileKernels;

/// `fn(a, b) -> distance` for two equal-length vectors.
pub(crate) type PairFn = fn(&[f32], &[f32]) -> f32;
/// `fn(a, b) -> f64` for two equal-length vectors (accumulated in f64).
pub(crate) type PairF64Fn = fn(&[f32], &[f32]) -> f64;
/// `fn(a) -> |a|^2`.
pub(crate) type NormFn = fn(&[f32]) -> f32;
/// `fn(query, [row; 4]) -> [distance; 4]`: one query against four rows of its length,
/// each value bit for bit the [`PairFn`]'s.
pub(crate) type Pair4Fn = fn(&[f32], [&[f32]; 4]) -> [f32; 4];
/// `fn(query, rows, out, order)`: one query against `out.len()` rows of `query.len()`
/// values, walked in `order` (the same values in either order).
pub(crate) type NyFn = fn(&[f32], Rows<'_>, &mut [f32], ScanOrder);
/// `fn(query_a, query_b, rows, out_a, out_b)`: two queries of the same dimension against
/// the same rows in one pass over them, each distance bit for bit the [`NyFn`]'s.
pub(crate) type Ny2Fn = fn(&[f32], &[f32], Rows<'_>, &mut [f32], &mut [f32]);
/// `fn(query, f16 rows, out)`.
pub(crate) type NyF16Fn = fn(&[f32], &[f16], &mut [f32], ScanOrder);
/// `fn(query, code rows, offset, scale, out)`: code `c` in coordinate `j` stands for
/// `offset[j] + c * scale[j]`.
pub(crate) type NyU8Fn = fn(&[f32], &[u8], &[f32], &[f32], &mut [f32]);
/// `fn(weights, code rows, out)`: the exact dot product of the weights with each row.
pub(crate) type DotU8Fn = fn(&[i16], &[u8], &mut [i32]);

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
    pub(crate) inner_product_f64: PairF64Fn,
    /// Squared norm in the order of Faiss's `fvec_norms_L2sqr` at the tier's width
    /// (see `lanes::pair::norm`): the blocked path's norms.
    pub(crate) row_norm: NormFn,
    /// Four-row pair kernels, where the tier has them (others call the pair kernel four
    /// times).
    pub(crate) l2_sqr_x4: Option<Pair4Fn>,
    pub(crate) inner_product_x4: Option<Pair4Fn>,
    pub(crate) l2_sqr_ny: NyFn,
    pub(crate) inner_product_ny: NyFn,
    /// Two-query scans, where the tier has them (others run the one-query scan twice).
    pub(crate) l2_sqr_ny2: Option<Ny2Fn>,
    pub(crate) inner_product_ny2: Option<Ny2Fn>,
    pub(crate) l2_sqr_ny_f16: NyF16Fn,
    pub(crate) inner_product_ny_f16: NyF16Fn,
    pub(crate) l2_sqr_ny_u8: NyU8Fn,
    pub(crate) inner_product_ny_u8: NyU8Fn,
    pub(crate) dot_ny_u8: DotU8Fn,
    pub(crate) tile: TileKernels,
}

/// Rows copied at a time where unaligned storage is staged for a kernel that needs a
/// slice (norms, the scalar and portable scans).
const STAGE_ROWS: usize = 256;

/// [`NyFn`] for a tier whose scan takes a slice: the storage itself when aligned, copies
/// of a few rows at a time otherwise.
pub(crate) fn staged_ny(
    query: &[f32],
    rows: Rows<'_>,
    out: &mut [f32],
    ny: fn(&[f32], &[f32], &mut [f32]),
) {
    let d = query.len();
    if let Some(all) = rows.as_slice() {
        return ny(query, all, out);
    }
    let mut scratch = Vec::new();
    rows.for_each_block(d, STAGE_ROWS, &mut scratch, |first, block| {
        // `out` may hold fewer slots than there are rows (`NyFn`'s contract).
        let end = (first + block.len() / d.max(1)).min(out.len());
        if first < end {
            ny(query, &block[..(end - first) * d], &mut out[first..end]);
        }
    });
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

/// Checks that `rows` is a whole number of rows of dimension `d`, with a slot of `out`
/// for each: what every one-row-per-slot entry point checks.
fn check_rows_out(rows_len: usize, d: usize, out_len: usize) -> Result<(), KernelError> {
    check_out(row_count(rows_len, d)?, out_len)
}

pub(crate) fn check_out(expected: usize, got: usize) -> Result<(), KernelError> {
    if expected != got {
        return Err(KernelError::OutputSize { expected, got });
    }
    Ok(())
}

/// Checks four rows against `query`'s length and runs the four-row kernel, or the
/// pair kernel per row where the tier has none.
#[inline]
fn x4_checked(
    four: Option<Pair4Fn>,
    one: PairFn,
    query: &[f32],
    rows: [&[f32]; 4],
) -> Result<[f32; 4], KernelError> {
    for row in rows {
        check_pair(query.len(), row.len())?;
    }
    Ok(match four {
        Some(f) => f(query, rows),
        None => rows.map(|row| one(query, row)),
    })
}

pub(crate) fn check_pair(a: usize, b: usize) -> Result<(), KernelError> {
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

    /// Inner product of two vectors of equal length, accumulated in f64 (each product
    /// exact, eight running sums added pairwise): for callers that need more than f32's
    /// resolution. Every tier returns the same bits.
    pub fn inner_product_f64(&self, a: &[f32], b: &[f32]) -> Result<f64, KernelError> {
        check_pair(a.len(), b.len())?;
        Ok((self.inner_product_f64)(a, b))
    }

    /// Squared L2 from `query` to each of four rows of its length, each value bit for
    /// bit [`Kernels::l2_sqr`]'s. The four sums advance together, so the rows' loads
    /// are in flight at once: the call for rows scattered in memory (a graph walk's
    /// neighbours), as Faiss's `fvec_L2sqr_batch_4`.
    pub fn l2_sqr_x4(&self, query: &[f32], rows: [&[f32]; 4]) -> Result<[f32; 4], KernelError> {
        x4_checked(self.l2_sqr_x4, self.l2_sqr, query, rows)
    }

    /// Inner products of `query` with each of four rows of its length, each value bit
    /// for bit [`Kernels::inner_product`]'s (see [`Kernels::l2_sqr_x4`]).
    pub fn inner_product_x4(
        &self,
        query: &[f32],
        rows: [&[f32]; 4],
    ) -> Result<[f32; 4], KernelError> {
        x4_checked(self.inner_product_x4, self.inner_product, query, rows)
    }

    /// Squared L2 norm of a vector (the inner product kernel's order, as Faiss's
    /// `fvec_renorm_L2` sums it on x86).
    pub fn norm_sqr(&self, a: &[f32]) -> f32 {
        (self.inner_product)(a, a)
    }

    /// Squared L2 from `query` to each row of the row-major matrix `rows`, into `out`
    /// (one slot per row). The dimension is `query.len()`. `rows` may be unaligned
    /// storage ([`Rows`]). The rows are walked in [`ScanOrder::for_bytes`] of their
    /// size; [`Kernels::l2_sqr_ny_in`] takes the order.
    pub fn l2_sqr_ny<'r>(
        &self,
        query: &[f32],
        rows: impl Into<Rows<'r>>,
        out: &mut [f32],
    ) -> Result<(), KernelError> {
        let rows = rows.into();
        let order = ScanOrder::for_bytes(rows.len().saturating_mul(4));
        self.l2_sqr_ny_in(query, rows, out, order)
    }

    /// [`Kernels::l2_sqr_ny`] walking the rows in `order`: for rows that are part of a
    /// larger matrix, whose size says where they come from. The values do not depend
    /// on the order, bit for bit.
    pub fn l2_sqr_ny_in<'r>(
        &self,
        query: &[f32],
        rows: impl Into<Rows<'r>>,
        out: &mut [f32],
        order: ScanOrder,
    ) -> Result<(), KernelError> {
        ny_checked(self.l2_sqr_ny, query, rows.into(), out, order)
    }

    /// Inner product of `query` with each row of `rows`, into `out` (walked as
    /// [`Kernels::l2_sqr_ny`] walks them).
    pub fn inner_product_ny<'r>(
        &self,
        query: &[f32],
        rows: impl Into<Rows<'r>>,
        out: &mut [f32],
    ) -> Result<(), KernelError> {
        let rows = rows.into();
        let order = ScanOrder::for_bytes(rows.len().saturating_mul(4));
        self.inner_product_ny_in(query, rows, out, order)
    }

    /// [`Kernels::inner_product_ny`] walking the rows in `order` (as
    /// [`Kernels::l2_sqr_ny_in`]).
    pub fn inner_product_ny_in<'r>(
        &self,
        query: &[f32],
        rows: impl Into<Rows<'r>>,
        out: &mut [f32],
        order: ScanOrder,
    ) -> Result<(), KernelError> {
        ny_checked(self.inner_product_ny, query, rows.into(), out, order)
    }

    /// Squared L2 from each of two queries to each row of `rows`, into `out_a` and
    /// `out_b`, reading the rows once for both: every value is, bit for bit, what
    /// [`Kernels::l2_sqr_ny`] gives that query.
    pub fn l2_sqr_ny2<'r>(
        &self,
        query_a: &[f32],
        query_b: &[f32],
        rows: impl Into<Rows<'r>>,
        out_a: &mut [f32],
        out_b: &mut [f32],
    ) -> Result<(), KernelError> {
        self.ny2_checked(
            self.l2_sqr_ny2,
            self.l2_sqr_ny,
            query_a,
            query_b,
            rows.into(),
            out_a,
            out_b,
        )
    }

    /// Inner products of each of two queries with each row of `rows` (as
    /// [`Kernels::l2_sqr_ny2`]; each value is [`Kernels::inner_product_ny`]'s).
    pub fn inner_product_ny2<'r>(
        &self,
        query_a: &[f32],
        query_b: &[f32],
        rows: impl Into<Rows<'r>>,
        out_a: &mut [f32],
        out_b: &mut [f32],
    ) -> Result<(), KernelError> {
        self.ny2_checked(
            self.inner_product_ny2,
            self.inner_product_ny,
            query_a,
            query_b,
            rows.into(),
            out_a,
            out_b,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn ny2_checked(
        &self,
        two: Option<Ny2Fn>,
        one: NyFn,
        query_a: &[f32],
        query_b: &[f32],
        rows: Rows<'_>,
        out_a: &mut [f32],
        out_b: &mut [f32],
    ) -> Result<(), KernelError> {
        check_pair(query_a.len(), query_b.len())?;
        let n = row_count(rows.len(), query_a.len())?;
        check_out(n, out_a.len())?;
        check_out(n, out_b.len())?;
        run_ny2(two, one, query_a, query_b, rows, out_a, out_b);
        Ok(())
    }

    /// Squared L2 norm of each row of `rows` (dimension `d`), into `out`, summed in the
    /// order Faiss's `fvec_norms_L2sqr` sums them at this tier's register width (the
    /// scalar tier: one value at a time): the norms of Faiss's BLAS-path distances,
    /// which the blocked path then reproduces bit for bit.
    pub fn norms_sqr<'r>(
        &self,
        rows: impl Into<Rows<'r>>,
        d: usize,
        out: &mut [f32],
    ) -> Result<(), KernelError> {
        let rows = rows.into();
        check_rows_out(rows.len(), d, out.len())?;
        let mut scratch = Vec::new();
        rows.for_each_block(d, STAGE_ROWS, &mut scratch, |first, block| {
            for (o, row) in out[first..].iter_mut().zip(block.chunks_exact(d)) {
                *o = (self.row_norm)(row);
            }
        });
        Ok(())
    }

    /// Squared L2 from an f32 query to each f16 row, walked in the order the rows'
    /// size suggests ([`ScanOrder::for_bytes`]).
    pub fn l2_sqr_ny_f16(
        &self,
        query: &[f32],
        rows: &[f16],
        out: &mut [f32],
    ) -> Result<(), KernelError> {
        let order = ScanOrder::for_bytes(std::mem::size_of_val(rows));
        self.l2_sqr_ny_f16_in(query, rows, out, order)
    }

    /// [`Kernels::l2_sqr_ny_f16`] walking the rows in `order`: for rows that are part of
    /// a larger matrix, whose size says where they come from. The values do not depend
    /// on the order, bit for bit.
    pub fn l2_sqr_ny_f16_in(
        &self,
        query: &[f32],
        rows: &[f16],
        out: &mut [f32],
        order: ScanOrder,
    ) -> Result<(), KernelError> {
        ny_f16_checked(self.l2_sqr_ny_f16, query, rows, out, order)
    }

    /// Inner product of an f32 query with each f16 row, walked in the order the rows'
    /// size suggests.
    pub fn inner_product_ny_f16(
        &self,
        query: &[f32],
        rows: &[f16],
        out: &mut [f32],
    ) -> Result<(), KernelError> {
        let order = ScanOrder::for_bytes(std::mem::size_of_val(rows));
        self.inner_product_ny_f16_in(query, rows, out, order)
    }

    /// [`Kernels::inner_product_ny_f16`] walking the rows in `order` (the same values).
    pub fn inner_product_ny_f16_in(
        &self,
        query: &[f32],
        rows: &[f16],
        out: &mut [f32],
        order: ScanOrder,
    ) -> Result<(), KernelError> {
        ny_f16_checked(self.inner_product_ny_f16, query, rows, out, order)
    }

    /// Squared L2 from an f32 query to each row of 8-bit codes, decoded in registers:
    /// code `c` in coordinate `j` stands for `offset[j] + c * scale[j]` (one fused
    /// multiply-add), the form Faiss's 8-bit scalar quantizer decodes to. `offset` and
    /// `scale` hold one value per coordinate; the dimension is `query.len()`. Rows are
    /// walked four at a time, interleaved, wherever they lie: streamed one by one, each
    /// row would prepare the offset and scale tables again, which cost more than the
    /// order saves (the decode is bound by arithmetic).
    pub fn l2_sqr_ny_u8(
        &self,
        query: &[f32],
        rows: &[u8],
        offset: &[f32],
        scale: &[f32],
        out: &mut [f32],
    ) -> Result<(), KernelError> {
        check_u8_args(query, rows, offset, scale, out)?;
        (self.l2_sqr_ny_u8)(query, rows, offset, scale, out);
        Ok(())
    }

    /// Inner product of an f32 query with each row of 8-bit codes, decoded as in
    /// [`Kernels::l2_sqr_ny_u8`].
    pub fn inner_product_ny_u8(
        &self,
        query: &[f32],
        rows: &[u8],
        offset: &[f32],
        scale: &[f32],
        out: &mut [f32],
    ) -> Result<(), KernelError> {
        check_u8_args(query, rows, offset, scale, out)?;
        (self.inner_product_ny_u8)(query, rows, offset, scale, out);
        Ok(())
    }

    /// The exact dot product of 16-bit `weights` with each row of 8-bit codes (`d =
    /// weights.len()` codes a row, one `out` slot per row): an 8-bit scalar quantizer's
    /// scan with the query folded into integer weights, two to four times fewer
    /// operations a code than decoding to floats. Every tier gives the same values.
    /// Weights whose magnitudes sum past [`crate::U8_DOT_WEIGHT_LIMIT`] are refused
    /// (a sum could overflow `i32`).
    pub fn dot_ny_u8_i16(
        &self,
        weights: &[i16],
        rows: &[u8],
        out: &mut [i32],
    ) -> Result<(), KernelError> {
        check_rows_out(rows.len(), weights.len(), out.len())?;
        let sum: u64 = weights.iter().map(|&w| u64::from(w.unsigned_abs())).sum();
        if sum > crate::U8_DOT_WEIGHT_LIMIT {
            return Err(KernelError::WeightsTooLarge {
                sum,
                limit: crate::U8_DOT_WEIGHT_LIMIT,
            });
        }
        (self.dot_ny_u8)(weights, rows, out);
        Ok(())
    }
}

/// The checks of the 8-bit code kernels: whole rows, one slot per row, and one offset
/// and one scale per coordinate.
fn check_u8_args(
    query: &[f32],
    rows: &[u8],
    offset: &[f32],
    scale: &[f32],
    out: &[f32],
) -> Result<(), KernelError> {
    let n = row_count(rows.len(), query.len())?;
    check_pair(query.len(), offset.len())?;
    check_pair(query.len(), scale.len())?;
    check_out(n, out.len())
}

/// One query against `rows` with the tier's one-to-many scan `ny`, after the checks
/// every one-to-many entry point makes (a whole number of rows, a slot for each).
fn ny_checked(
    ny: NyFn,
    query: &[f32],
    rows: Rows<'_>,
    out: &mut [f32],
    order: ScanOrder,
) -> Result<(), KernelError> {
    check_rows_out(rows.len(), query.len(), out.len())?;
    ny(query, rows, out, order);
    Ok(())
}

/// [`ny_checked`] for f16 rows.
fn ny_f16_checked(
    f: NyF16Fn,
    query: &[f32],
    rows: &[f16],
    out: &mut [f32],
    order: ScanOrder,
) -> Result<(), KernelError> {
    check_rows_out(rows.len(), query.len(), out.len())?;
    f(query, rows, out, order);
    Ok(())
}

/// Two queries against the same rows with the tier's two-query scan, or its one-query
/// scan twice (arguments already checked).
pub(crate) fn run_ny2(
    two: Option<Ny2Fn>,
    one: NyFn,
    query_a: &[f32],
    query_b: &[f32],
    rows: Rows<'_>,
    out_a: &mut [f32],
    out_b: &mut [f32],
) {
    match two {
        Some(two) => two(query_a, query_b, rows, out_a, out_b),
        None => {
            // The second pass finds the rows in cache.
            one(query_a, rows, out_a, ScanOrder::Cached);
            one(query_b, rows, out_b, ScanOrder::Cached);
        }
    }
}
