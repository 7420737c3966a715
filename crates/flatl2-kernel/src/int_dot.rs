//! Exact integer dot products of one row of 16-bit weights with rows of 8-bit codes:
//! what an 8-bit scalar quantizer's scan reduces to once the query is folded into
//! per-coordinate weights (see `Kernels::dot_ny_u8_i16`).
//!
//! Written once as a plain loop over `i32` sums: NEON compiles it under its
//! `#[target_feature]`s (`simd_tier!`), where it vectorises into widening multiply-adds
//! (`smlal`), and the portable and scalar tables call it as it is; the x86 tiers take
//! `x86/int_dot.rs`, the same sums four rows at a time with `vpmaddwd`. Integer sums
//! are exact, so every tier gives the same values, in any order of evaluation.

/// The largest `sum(|w|)` for which every dot product of `w` with 8-bit codes fits an
/// `i32`: `255 * sum(|w|) <= i32::MAX`.
pub const U8_DOT_WEIGHT_LIMIT: u64 = i32::MAX as u64 / 255;

/// `out[r] = sum_j w[j] * rows[r * d + j]` for each of the `out.len()` rows, `d =
/// w.len() > 0`; the caller keeps `sum(|w|)` within [`U8_DOT_WEIGHT_LIMIT`], so no sum
/// wraps (a wrapping add keeps it defined regardless).
#[inline(always)]
pub(crate) fn dot_ny(w: &[i16], rows: &[u8], out: &mut [i32]) {
    let d = w.len();
    if d == 0 {
        out.fill(0);
        return;
    }
    for (o, row) in out.iter_mut().zip(rows.chunks_exact(d)) {
        *o = dot_from(0, w, row);
    }
}

/// `acc` plus the products of `codes` with their weights `w` (as many as the shorter
/// has), wrapping as the sums of [`dot_ny`] do.
#[inline(always)]
pub(crate) fn dot_from(acc: i32, w: &[i16], codes: &[u8]) -> i32 {
    let mut acc = acc;
    for (&c, &x) in codes.iter().zip(w) {
        acc = acc.wrapping_add(i32::from(c) * i32::from(x));
    }
    acc
}
