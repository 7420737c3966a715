//! The NEON tier (aarch64): 128-bit lanes, four accumulators, four rows per iteration in
//! the one-to-many kernels, an 8-row x 8-query register tile for many-to-many.
//!
//! The f16 kernels come from the portable tier: widening f16 vectors in hardware needs
//! the `float16x4_t` intrinsics, which are not stable Rust yet.
//!
//! Every kernel is a `#[target_feature(enable = "neon")]` function; the safe wrappers at
//! the bottom are reachable only through [`NEON`], which
//! [`crate::dispatch::table_for`] hands out after checking the CPU.

use core::arch::aarch64::*;

use crate::portable;
use crate::simd_tier::SimdTier;
use crate::table::Kernels;
use crate::tile::{finish_generic, TileKernels, TileSpan};
use crate::topk::TopK;

/// Floats per vector.
const W: usize = 4;
/// Queries per many-to-many tile (two vectors).
const QB: usize = 8;
/// Rows per many-to-many tile.
const RB: usize = 8;

/// One step of the sum: `acc + (q - y)^2` (L2) or `acc + q * y` (inner product).
#[inline]
#[target_feature(enable = "neon")]
fn term<const L2: bool>(acc: float32x4_t, q: float32x4_t, y: float32x4_t) -> float32x4_t {
    if L2 {
        let t = vsubq_f32(q, y);
        vfmaq_f32(acc, t, t)
    } else {
        vfmaq_f32(acc, q, y)
    }
}

/// Squared L2 (`L2`) or inner product of `a[..n]` and `b[..n]`, `n = min(len)`.
#[target_feature(enable = "neon")]
unsafe fn pair<const L2: bool>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc = [vdupq_n_f32(0.0); 4];
    let mut i = 0;
    while i + 4 * W <= n {
        for (u, acc_u) in acc.iter_mut().enumerate() {
            // SAFETY: i + 4W <= n, so lanes i + uW .. i + (u + 1)W are in both slices.
            let (x, y) = unsafe { (vld1q_f32(pa.add(i + u * W)), vld1q_f32(pb.add(i + u * W))) };
            *acc_u = term::<L2>(*acc_u, x, y);
        }
        i += 4 * W;
    }
    while i + W <= n {
        // SAFETY: i + W <= n.
        let (x, y) = unsafe { (vld1q_f32(pa.add(i)), vld1q_f32(pb.add(i))) };
        acc[0] = term::<L2>(acc[0], x, y);
        i += W;
    }
    let mut tail = 0.0f32;
    for (x, y) in a[i..n].iter().zip(&b[i..n]) {
        if L2 {
            let t = x - y;
            tail += t * t;
        } else {
            tail += x * y;
        }
    }
    let s = vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3]));
    vaddvq_f32(s) + tail
}

/// One query against `n = min(out.len(), rows.len() / d)` rows, four rows per iteration
/// sharing the query loads.
#[target_feature(enable = "neon")]
unsafe fn ny<const L2: bool>(q: &[f32], rows: &[f32], out: &mut [f32]) {
    let d = q.len();
    if d == 0 {
        out.fill(0.0);
        return;
    }
    let n = out.len().min(rows.len() / d);
    let pq = q.as_ptr();
    let mut j = 0;
    while j < n {
        // Up to four rows per iteration; rows past the last are the last row again
        // (computed, then dropped), so every row's distance comes from the same
        // arithmetic wherever it sits in the call.
        let live = (n - j).min(4);
        let row = |r: usize| rows[(j + r.min(live - 1)) * d..].as_ptr();
        let base = [row(0), row(1), row(2), row(3)];
        let mut acc = [[vdupq_n_f32(0.0); 2]; 4];
        let mut i = 0;
        while i + 2 * W <= d {
            // SAFETY: i + 2W <= d = q.len().
            let (q0, q1) = unsafe { (vld1q_f32(pq.add(i)), vld1q_f32(pq.add(i + W))) };
            for (r, acc_r) in acc.iter_mut().enumerate() {
                // SAFETY: each base[r] starts a whole row of `rows`, and i + 2W <= d.
                let (y0, y1) =
                    unsafe { (vld1q_f32(base[r].add(i)), vld1q_f32(base[r].add(i + W))) };
                acc_r[0] = term::<L2>(acc_r[0], q0, y0);
                acc_r[1] = term::<L2>(acc_r[1], q1, y1);
            }
            i += 2 * W;
        }
        let mut sums = [0.0f32; 4];
        for (r, s) in sums.iter_mut().enumerate() {
            let mut tail = 0.0f32;
            let first = (j + r.min(live - 1)) * d;
            let row = &rows[first..first + d];
            for (x, y) in q[i..].iter().zip(&row[i..]) {
                if L2 {
                    let t = x - y;
                    tail += t * t;
                } else {
                    tail += x * y;
                }
            }
            *s = vaddvq_f32(vaddq_f32(acc[r][0], acc[r][1])) + tail;
        }
        out[j..j + live].copy_from_slice(&sums[..live]);
        j += live;
    }
}

/// The 8-row x 8-query micro-kernel (see [`crate::tile`] for the layouts).
#[target_feature(enable = "neon")]
unsafe fn ip_tile(pack: &[f32], rows: &[f32], d: usize, span: TileSpan, out: &mut [f32]) {
    let TileSpan {
        first_row,
        nrows,
        k0,
        k1,
        accumulate,
    } = span;
    assert!((1..=RB).contains(&nrows) && k0 < k1 && k1 <= d);
    assert!(pack.len() >= d * QB && out.len() >= RB * QB);
    assert!(rows.len() >= (first_row + nrows) * d);
    // Missing rows of a partial tile repeat the last row; their results are ignored.
    let ptrs: [*const f32; RB] =
        core::array::from_fn(|r| rows[(first_row + r.min(nrows - 1)) * d..].as_ptr());
    let pp = pack.as_ptr();
    let mut acc = [[vdupq_n_f32(0.0); 2]; RB];
    for k in k0..k1 {
        // SAFETY: k < d and the pack holds d * QB values.
        let (q0, q1) = unsafe { (vld1q_f32(pp.add(k * QB)), vld1q_f32(pp.add(k * QB + W))) };
        for (acc_r, p) in acc.iter_mut().zip(ptrs) {
            // SAFETY: each pointer starts a row of d values inside `rows`, and k < d.
            let y = unsafe { *p.add(k) };
            acc_r[0] = vfmaq_n_f32(acc_r[0], q0, y);
            acc_r[1] = vfmaq_n_f32(acc_r[1], q1, y);
        }
    }
    let po = out.as_mut_ptr();
    for (r, acc_r) in acc.iter_mut().enumerate() {
        if accumulate {
            // SAFETY: r * QB + 2W <= RB * QB <= out.len().
            unsafe {
                acc_r[0] = vaddq_f32(acc_r[0], vld1q_f32(po.add(r * QB)));
                acc_r[1] = vaddq_f32(acc_r[1], vld1q_f32(po.add(r * QB + W)));
            }
        }
        // SAFETY: r * QB + 2W <= RB * QB <= out.len().
        unsafe {
            vst1q_f32(po.add(r * QB), acc_r[0]);
            vst1q_f32(po.add(r * QB + W), acc_r[1]);
        }
    }
}

// ---- Safe wrappers: only reachable through the `NEON` table below. ----

fn l2_sqr(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: this function is only reachable through `NEON`, which `table_for` hands
    // out after checking that the CPU supports NEON.
    unsafe { pair::<true>(a, b) }
}

fn inner_product(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: see `l2_sqr`.
    unsafe { pair::<false>(a, b) }
}

fn l2_sqr_ny(q: &[f32], rows: &[f32], out: &mut [f32]) {
    // SAFETY: see `l2_sqr`.
    unsafe { ny::<true>(q, rows, out) }
}

fn inner_product_ny(q: &[f32], rows: &[f32], out: &mut [f32]) {
    // SAFETY: see `l2_sqr`.
    unsafe { ny::<false>(q, rows, out) }
}

fn tile_ip(pack: &[f32], rows: &[f32], d: usize, span: TileSpan, out: &mut [f32]) {
    // SAFETY: see `l2_sqr`.
    unsafe { ip_tile(pack, rows, d, span, out) }
}

fn tile_l2_finish(b: &[f32], nb: usize, qn: &[f32], yn: &[f32], l: i64, h: &mut [TopK]) {
    finish_generic::<QB, true>(b, nb, qn, yn, l, h)
}

fn tile_ip_finish(b: &[f32], nb: usize, qn: &[f32], yn: &[f32], l: i64, h: &mut [TopK]) {
    finish_generic::<QB, false>(b, nb, qn, yn, l, h)
}

/// The NEON kernel table (checked by [`crate::dispatch::table_for`]).
pub(crate) static NEON: Kernels = Kernels {
    tier: SimdTier::Neon,
    l2_sqr,
    inner_product,
    l2_sqr_ny,
    inner_product_ny,
    l2_sqr_ny2: None,
    inner_product_ny2: None,
    l2_sqr_ny_f16: portable::l2_sqr_ny_f16,
    inner_product_ny_f16: portable::inner_product_ny_f16,
    tile: TileKernels {
        queries: QB,
        rows: RB,
        ip: tile_ip,
        l2_finish: tile_l2_finish,
        ip_finish: tile_ip_finish,
    },
};
