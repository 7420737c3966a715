//! The scalar tier: one element at a time, in plain Rust. The reference every other
//! tier is tested against, and the fallback on any CPU.

use half::f16;

use crate::order::ScanOrder;
use crate::rows::Rows;
use crate::table::staged_ny;

/// Squared L2 distance. Callers guarantee `a.len() == b.len()`.
pub fn l2_sqr(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = 0.0f32;
    for (x, y) in a.iter().zip(b) {
        let t = x - y;
        acc += t * t;
    }
    acc
}

/// Inner product. Callers guarantee `a.len() == b.len()`.
pub fn inner_product(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = 0.0f32;
    for (x, y) in a.iter().zip(b) {
        acc += x * y;
    }
    acc
}

/// Squared L2 norm.
pub fn norm_sqr(a: &[f32]) -> f32 {
    inner_product(a, a)
}

/// Sums `v` (a power-of-two length) by halves, in place: `v[i] += v[i + len/2]` for
/// the first half, then again on that half, down to `v[0]`, which holds the sum.
pub(crate) fn halving_sum(v: &mut [f32]) {
    let mut width = v.len();
    while width > 1 {
        width /= 2;
        let (lo, hi) = v[..2 * width].split_at_mut(width);
        for (a, &b) in lo.iter_mut().zip(hi.iter()) {
            *a += b;
        }
    }
}

/// A squared norm in `W` lanes (`W` a power of two), in plain Rust: each lane sums
/// every `W`-th square (multiply, then add), the lanes are summed by halves, then the
/// tail is added one square at a time. The portable tier's row norm: the order of a
/// compiler-vectorized loop at that width on a target without fused multiply-add.
pub(crate) fn norm_in_lanes<const W: usize>(a: &[f32]) -> f32 {
    let body = a.len() - a.len() % W;
    let mut lanes = [0.0f32; W];
    for chunk in a[..body].chunks_exact(W) {
        for (l, &x) in lanes.iter_mut().zip(chunk) {
            *l += x * x;
        }
    }
    halving_sum(&mut lanes);
    a[body..].iter().fold(lanes[0], |r, &x| r + x * x)
}

/// Squared L2 from `query` to each row of `rows` (row-major, `out.len()` rows of
/// `query.len()` values).
pub(crate) fn l2_sqr_ny(query: &[f32], rows: Rows<'_>, out: &mut [f32], _: ScanOrder) {
    staged_ny(query, rows, out, |q, rows, out| {
        let d = q.len();
        for (i, o) in out.iter_mut().enumerate() {
            *o = l2_sqr(q, &rows[i * d..(i + 1) * d]);
        }
    })
}

/// Inner product of `query` with each row of `rows`.
pub(crate) fn inner_product_ny(query: &[f32], rows: Rows<'_>, out: &mut [f32], _: ScanOrder) {
    staged_ny(query, rows, out, |q, rows, out| {
        let d = q.len();
        for (i, o) in out.iter_mut().enumerate() {
            *o = inner_product(q, &rows[i * d..(i + 1) * d]);
        }
    })
}

/// Squared L2 from an f32 query to each f16 row.
pub(crate) fn l2_sqr_ny_f16(query: &[f32], rows: &[f16], out: &mut [f32], _: ScanOrder) {
    let d = query.len();
    for (i, o) in out.iter_mut().enumerate() {
        let row = &rows[i * d..(i + 1) * d];
        let mut acc = 0.0f32;
        for (x, y) in query.iter().zip(row) {
            let t = x - y.to_f32();
            acc += t * t;
        }
        *o = acc;
    }
}

/// Inner product of an f32 query with each f16 row.
pub(crate) fn inner_product_ny_f16(query: &[f32], rows: &[f16], out: &mut [f32], _: ScanOrder) {
    let d = query.len();
    for (i, o) in out.iter_mut().enumerate() {
        let row = &rows[i * d..(i + 1) * d];
        let mut acc = 0.0f32;
        for (x, y) in query.iter().zip(row) {
            acc += x * y.to_f32();
        }
        *o = acc;
    }
}

/// Squared L2 from an f32 query to each row of 8-bit codes (`offset[j] + c * scale[j]`).
pub(crate) fn l2_sqr_ny_u8(
    query: &[f32],
    rows: &[u8],
    offset: &[f32],
    scale: &[f32],
    out: &mut [f32],
) {
    ny_u8::<true>(query, rows, offset, scale, out)
}

/// Inner product of an f32 query with each row of 8-bit codes.
pub(crate) fn inner_product_ny_u8(
    query: &[f32],
    rows: &[u8],
    offset: &[f32],
    scale: &[f32],
    out: &mut [f32],
) {
    ny_u8::<false>(query, rows, offset, scale, out)
}

fn ny_u8<const L2: bool>(
    query: &[f32],
    rows: &[u8],
    offset: &[f32],
    scale: &[f32],
    out: &mut [f32],
) {
    let d = query.len();
    for (i, o) in out.iter_mut().enumerate() {
        let row = &rows[i * d..(i + 1) * d];
        let mut acc = 0.0f32;
        for j in 0..d {
            let y = f32::from(row[j]).mul_add(scale[j], offset[j]);
            if L2 {
                let t = query[j] - y;
                acc += t * t;
            } else {
                acc += query[j] * y;
            }
        }
        *o = acc;
    }
}
