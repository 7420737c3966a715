//! The AVX-512F tier: 512-bit lanes, four accumulators, masked tails, four rows per
//! iteration in the one-to-many kernels, a 12-row x 32-query register tile for
//! many-to-many.
//!
//! Every kernel is a `#[target_feature(enable = "avx512f")]` function; the safe
//! wrappers at the bottom are reachable only through [`AVX512`], which
//! [`crate::dispatch::table_for`] hands out after checking the CPU.

use core::arch::x86_64::*;

use half::f16;

use super::prefetch::prefetch_t0;
use crate::simd_tier::SimdTier;
use crate::table::Kernels;
use crate::tile::{TileKernels, TileSpan};
use crate::topk::TopK;

/// Floats per vector.
const W: usize = 16;
/// Queries per many-to-many tile (two vectors).
const QB: usize = 32;
/// Rows per many-to-many tile.
const RB: usize = 12;
/// Prefetch distance for the one-to-many scan, in floats ahead of the current load.
const PREFETCH_AHEAD: usize = 2048;

/// Mask of the first `r` lanes (`r < 16`).
#[inline(always)]
fn tail_mask(r: usize) -> __mmask16 {
    ((1u32 << r) - 1) as __mmask16
}

/// One step of the sum: `acc + (q - y)^2` (L2) or `acc + q * y` (inner product).
#[inline]
#[target_feature(enable = "avx512f")]
fn term<const L2: bool>(acc: __m512, q: __m512, y: __m512) -> __m512 {
    if L2 {
        let t = _mm512_sub_ps(q, y);
        _mm512_fmadd_ps(t, t, acc)
    } else {
        _mm512_fmadd_ps(q, y, acc)
    }
}

/// The four row sums of the one-to-many loop: each row keeps two accumulators.
#[inline]
#[target_feature(enable = "avx512f")]
fn reduce_rows(acc: &[[__m512; 2]; 4]) -> __m128 {
    reduce4(
        _mm512_add_ps(acc[0][0], acc[0][1]),
        _mm512_add_ps(acc[1][0], acc[1][1]),
        _mm512_add_ps(acc[2][0], acc[2][1]),
        _mm512_add_ps(acc[3][0], acc[3][1]),
    )
}

/// Sums each of four vectors: `[sum(a), sum(b), sum(c), sum(d)]`.
#[inline]
#[target_feature(enable = "avx512f")]
fn reduce4(a: __m512, b: __m512, c: __m512, d: __m512) -> __m128 {
    // Within each 128-bit lane: [a0+a2, b0+b2, a1+a3, b1+b3], same for c, d.
    let ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
    let cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
    // Within each 128-bit lane: [a, b, c, d] partial sums.
    let lo = _mm512_castpd_ps(_mm512_unpacklo_pd(
        _mm512_castps_pd(ab),
        _mm512_castps_pd(cd),
    ));
    let hi = _mm512_castpd_ps(_mm512_unpackhi_pd(
        _mm512_castps_pd(ab),
        _mm512_castps_pd(cd),
    ));
    let abcd = _mm512_add_ps(lo, hi);
    // Add the four 128-bit lanes.
    let swapped = _mm512_shuffle_f32x4::<0b01_00_11_10>(abcd, abcd);
    let half = _mm512_castps512_ps256(_mm512_add_ps(abcd, swapped));
    _mm_add_ps(
        _mm256_castps256_ps128(half),
        _mm256_extractf128_ps::<1>(half),
    )
}

/// Squared L2 (`L2`) or inner product of `a[..n]` and `b[..n]`, `n = min(len)`.
#[target_feature(enable = "avx512f")]
unsafe fn pair<const L2: bool>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc = [_mm512_setzero_ps(); 4];
    let mut i = 0;
    while i + 4 * W <= n {
        for (u, acc_u) in acc.iter_mut().enumerate() {
            // SAFETY: i + 4 * W <= n, so lanes i + u * W .. i + (u + 1) * W are in both
            // slices; unaligned loads are allowed.
            let (x, y) = unsafe {
                (
                    _mm512_loadu_ps(pa.add(i + u * W)),
                    _mm512_loadu_ps(pb.add(i + u * W)),
                )
            };
            *acc_u = term::<L2>(*acc_u, x, y);
        }
        i += 4 * W;
    }
    let mut u = 0;
    while i + W <= n {
        // SAFETY: i + W <= n.
        let (x, y) = unsafe { (_mm512_loadu_ps(pa.add(i)), _mm512_loadu_ps(pb.add(i))) };
        acc[u] = term::<L2>(acc[u], x, y);
        u += 1;
        i += W;
    }
    if i < n {
        let m = tail_mask(n - i);
        // SAFETY: the masked load touches only lanes i .. n, all in bounds; masked-off
        // lanes are neither read nor faulted on, and are zero (contributing 0).
        let (x, y) = unsafe {
            (
                _mm512_maskz_loadu_ps(m, pa.add(i)),
                _mm512_maskz_loadu_ps(m, pb.add(i)),
            )
        };
        acc[3] = term::<L2>(acc[3], x, y);
    }
    let s = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
    _mm512_reduce_add_ps(s)
}

/// One query against `n = min(out.len(), rows.len() / d)` rows, four rows per iteration
/// sharing the query loads, with software prefetch ahead of the scan.
#[target_feature(enable = "avx512f")]
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
        let mut acc = [[_mm512_setzero_ps(); 2]; 4];
        let mut i = 0;
        while i + 2 * W <= d {
            // SAFETY: i + 2W <= d = q.len().
            let (q0, q1) = unsafe { (_mm512_loadu_ps(pq.add(i)), _mm512_loadu_ps(pq.add(i + W))) };
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let p = base[r].wrapping_add(i);
                // Prefetch never faults, whatever the address.
                prefetch_t0(p.wrapping_add(PREFETCH_AHEAD));
                // SAFETY: each base[r] starts a whole row of `rows`, and i + 2W <= d.
                let (y0, y1) = unsafe { (_mm512_loadu_ps(p), _mm512_loadu_ps(p.add(W))) };
                acc_r[0] = term::<L2>(acc_r[0], q0, y0);
                acc_r[1] = term::<L2>(acc_r[1], q1, y1);
            }
            i += 2 * W;
        }
        if i + W <= d {
            // SAFETY: i + W <= d.
            let q0 = unsafe { _mm512_loadu_ps(pq.add(i)) };
            for (r, acc_r) in acc.iter_mut().enumerate() {
                // SAFETY: base[r] starts a whole row of `rows`, and i + W <= d.
                let y0 = unsafe { _mm512_loadu_ps(base[r].add(i)) };
                acc_r[0] = term::<L2>(acc_r[0], q0, y0);
            }
            i += W;
        }
        if i < d {
            let m = tail_mask(d - i);
            // SAFETY: masked load of lanes i .. d of the query only.
            let q0 = unsafe { _mm512_maskz_loadu_ps(m, pq.add(i)) };
            for (r, acc_r) in acc.iter_mut().enumerate() {
                // SAFETY: masked load of lanes i .. d of the row at base[r] only.
                let y0 = unsafe { _mm512_maskz_loadu_ps(m, base[r].add(i)) };
                acc_r[1] = term::<L2>(acc_r[1], q0, y0);
            }
        }
        let sums = reduce_rows(&acc);
        let mut four = [0.0f32; 4];
        // SAFETY: `four` holds 4 floats.
        unsafe { _mm_storeu_ps(four.as_mut_ptr(), sums) };
        out[j..j + live].copy_from_slice(&four[..live]);
        j += live;
    }
}

/// Two queries against the same rows: [`ny`]'s loop with the row loads shared, so each
/// row is read once for both. Every `(query, row)` pair goes through exactly the
/// operations [`ny`] applies to it (the same accumulators, in the same order, the same
/// reduction), so each distance is bit for bit the one-query distance. No prefetch: the
/// caller hands blocks that are already in cache.
#[target_feature(enable = "avx512f")]
unsafe fn ny2<const L2: bool>(
    qa: &[f32],
    qb: &[f32],
    rows: &[f32],
    out_a: &mut [f32],
    out_b: &mut [f32],
) {
    let d = qa.len().min(qb.len());
    if d == 0 {
        out_a.fill(0.0);
        out_b.fill(0.0);
        return;
    }
    let n = out_a.len().min(out_b.len()).min(rows.len() / d);
    let (pa, pb) = (qa.as_ptr(), qb.as_ptr());
    let mut j = 0;
    while j < n {
        // As in `ny`: up to four rows, the last row standing in for missing ones.
        let live = (n - j).min(4);
        let row = |r: usize| rows[(j + r.min(live - 1)) * d..].as_ptr();
        let base = [row(0), row(1), row(2), row(3)];
        let mut acc_a = [[_mm512_setzero_ps(); 2]; 4];
        let mut acc_b = [[_mm512_setzero_ps(); 2]; 4];
        let mut i = 0;
        while i + 2 * W <= d {
            // SAFETY: i + 2W <= d, the length of both queries.
            let (a0, a1, b0, b1) = unsafe {
                (
                    _mm512_loadu_ps(pa.add(i)),
                    _mm512_loadu_ps(pa.add(i + W)),
                    _mm512_loadu_ps(pb.add(i)),
                    _mm512_loadu_ps(pb.add(i + W)),
                )
            };
            for r in 0..4 {
                // SAFETY: each base[r] starts a whole row of `rows`, and i + 2W <= d.
                let (y0, y1) = unsafe {
                    (
                        _mm512_loadu_ps(base[r].add(i)),
                        _mm512_loadu_ps(base[r].add(i + W)),
                    )
                };
                acc_a[r][0] = term::<L2>(acc_a[r][0], a0, y0);
                acc_a[r][1] = term::<L2>(acc_a[r][1], a1, y1);
                acc_b[r][0] = term::<L2>(acc_b[r][0], b0, y0);
                acc_b[r][1] = term::<L2>(acc_b[r][1], b1, y1);
            }
            i += 2 * W;
        }
        if i + W <= d {
            // SAFETY: i + W <= d.
            let (a0, b0) = unsafe { (_mm512_loadu_ps(pa.add(i)), _mm512_loadu_ps(pb.add(i))) };
            for r in 0..4 {
                // SAFETY: base[r] starts a whole row of `rows`, and i + W <= d.
                let y0 = unsafe { _mm512_loadu_ps(base[r].add(i)) };
                acc_a[r][0] = term::<L2>(acc_a[r][0], a0, y0);
                acc_b[r][0] = term::<L2>(acc_b[r][0], b0, y0);
            }
            i += W;
        }
        if i < d {
            let m = tail_mask(d - i);
            // SAFETY: masked loads of lanes i .. d of the queries only.
            let (a0, b0) = unsafe {
                (
                    _mm512_maskz_loadu_ps(m, pa.add(i)),
                    _mm512_maskz_loadu_ps(m, pb.add(i)),
                )
            };
            for r in 0..4 {
                // SAFETY: masked load of lanes i .. d of the row at base[r] only.
                let y0 = unsafe { _mm512_maskz_loadu_ps(m, base[r].add(i)) };
                acc_a[r][1] = term::<L2>(acc_a[r][1], a0, y0);
                acc_b[r][1] = term::<L2>(acc_b[r][1], b0, y0);
            }
        }
        let mut four = [[0.0f32; 4]; 2];
        // SAFETY: each of `four`'s arrays holds 4 floats.
        unsafe {
            _mm_storeu_ps(four[0].as_mut_ptr(), reduce_rows(&acc_a));
            _mm_storeu_ps(four[1].as_mut_ptr(), reduce_rows(&acc_b));
        }
        out_a[j..j + live].copy_from_slice(&four[0][..live]);
        out_b[j..j + live].copy_from_slice(&four[1][..live]);
        j += live;
    }
}

/// Loads 16 halves and widens them to f32.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn load_f16(p: *const f16) -> __m512 {
    // SAFETY: the caller guarantees 16 readable halves at `p`.
    _mm512_cvtph_ps(unsafe { _mm256_loadu_si256(p as *const __m256i) })
}

/// One f32 query against f16 rows (same contract as [`ny`]): four rows per iteration
/// sharing the query loads, the rows left over one at a time.
#[target_feature(enable = "avx512f")]
unsafe fn ny_f16<const L2: bool>(q: &[f32], rows: &[f16], out: &mut [f32]) {
    let d = q.len();
    if d == 0 {
        out.fill(0.0);
        return;
    }
    let n = out.len().min(rows.len() / d);
    let pq = q.as_ptr();
    // Coordinates handled by whole vector pairs; the rest (< 2W) go through buffers.
    let body = d - d % (2 * W);
    let mut j = 0;
    while j + 4 <= n {
        let base = rows[j * d..].as_ptr();
        let mut acc = [[_mm512_setzero_ps(); 2]; 4];
        let mut i = 0;
        while i < body {
            // SAFETY: i + 2W <= body <= d = q.len().
            let (q0, q1) = unsafe { (_mm512_loadu_ps(pq.add(i)), _mm512_loadu_ps(pq.add(i + W))) };
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let p = base.wrapping_add(r * d + i);
                // Prefetch never faults, whatever the address.
                prefetch_t0(p.wrapping_add(PREFETCH_AHEAD));
                // SAFETY: rows j + r < n are in `rows`, and i + 2W <= d.
                let (y0, y1) = unsafe { (load_f16(p), load_f16(p.add(W))) };
                acc_r[0] = term::<L2>(acc_r[0], q0, y0);
                acc_r[1] = term::<L2>(acc_r[1], q1, y1);
            }
            i += 2 * W;
        }
        if body < d {
            let mut qb = [0.0f32; 2 * W];
            qb[..d - body].copy_from_slice(&q[body..]);
            // SAFETY: `qb` holds 2W values.
            let (q0, q1) = unsafe {
                (
                    _mm512_loadu_ps(qb.as_ptr()),
                    _mm512_loadu_ps(qb.as_ptr().add(W)),
                )
            };
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let mut yb = [f16::ZERO; 2 * W];
                yb[..d - body].copy_from_slice(&rows[(j + r) * d + body..(j + r + 1) * d]);
                // SAFETY: `yb` holds 2W halves.
                let (y0, y1) = unsafe { (load_f16(yb.as_ptr()), load_f16(yb.as_ptr().add(W))) };
                acc_r[0] = term::<L2>(acc_r[0], q0, y0);
                acc_r[1] = term::<L2>(acc_r[1], q1, y1);
            }
        }
        let sums = reduce_rows(&acc);
        // SAFETY: j + 4 <= n <= out.len().
        unsafe { _mm_storeu_ps(out.as_mut_ptr().add(j), sums) };
        j += 4;
    }
    // SAFETY: same features as this function.
    unsafe { ny_f16_single::<L2>(q, &rows[j * d..], &mut out[j..n]) };
}

/// One f32 query against f16 rows, one row at a time (same contract as [`ny`]).
#[target_feature(enable = "avx512f")]
unsafe fn ny_f16_single<const L2: bool>(q: &[f32], rows: &[f16], out: &mut [f32]) {
    let d = q.len();
    if d == 0 {
        out.fill(0.0);
        return;
    }
    let n = out.len().min(rows.len() / d);
    let pq = q.as_ptr();
    for (j, o) in out.iter_mut().enumerate().take(n) {
        let row = &rows[j * d..(j + 1) * d];
        let pr = row.as_ptr();
        let mut acc = [_mm512_setzero_ps(); 2];
        let mut i = 0;
        while i + 2 * W <= d {
            // Prefetch never faults, whatever the address.
            prefetch_t0(pr.wrapping_add(i + 2 * PREFETCH_AHEAD));
            // SAFETY: i + 2W <= d for the query and the row.
            let (q0, q1, y0, y1) = unsafe {
                (
                    _mm512_loadu_ps(pq.add(i)),
                    _mm512_loadu_ps(pq.add(i + W)),
                    load_f16(pr.add(i)),
                    load_f16(pr.add(i + W)),
                )
            };
            acc[0] = term::<L2>(acc[0], q0, y0);
            acc[1] = term::<L2>(acc[1], q1, y1);
            i += 2 * W;
        }
        if i + W <= d {
            // SAFETY: i + W <= d.
            let (q0, y0) = unsafe { (_mm512_loadu_ps(pq.add(i)), load_f16(pr.add(i))) };
            acc[0] = term::<L2>(acc[0], q0, y0);
            i += W;
        }
        if i < d {
            let mut buf = [f16::ZERO; W];
            buf[..d - i].copy_from_slice(&row[i..]);
            let m = tail_mask(d - i);
            // SAFETY: masked query load of lanes i .. d; `buf` holds 16 halves.
            let (q0, y0) = unsafe { (_mm512_maskz_loadu_ps(m, pq.add(i)), load_f16(buf.as_ptr())) };
            acc[1] = term::<L2>(acc[1], q0, y0);
        }
        *o = _mm512_reduce_add_ps(_mm512_add_ps(acc[0], acc[1]));
    }
}

/// The 12-row x 32-query micro-kernel (see [`crate::tile`] for the layouts).
#[target_feature(enable = "avx512f")]
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
    let mut acc = [[_mm512_setzero_ps(); 2]; RB];
    for k in k0..k1 {
        // SAFETY: k < d and the pack holds d * QB values.
        let (q0, q1) = unsafe {
            (
                _mm512_loadu_ps(pp.add(k * QB)),
                _mm512_loadu_ps(pp.add(k * QB + W)),
            )
        };
        for (acc_r, p) in acc.iter_mut().zip(ptrs) {
            // SAFETY: each pointer starts a row of d values inside `rows`, and k < d.
            let y = _mm512_set1_ps(unsafe { *p.add(k) });
            acc_r[0] = _mm512_fmadd_ps(q0, y, acc_r[0]);
            acc_r[1] = _mm512_fmadd_ps(q1, y, acc_r[1]);
        }
    }
    let po = out.as_mut_ptr();
    for (r, acc_r) in acc.iter_mut().enumerate() {
        if accumulate {
            // SAFETY: r * QB + 2W <= RB * QB <= out.len().
            unsafe {
                acc_r[0] = _mm512_add_ps(acc_r[0], _mm512_loadu_ps(po.add(r * QB)));
                acc_r[1] = _mm512_add_ps(acc_r[1], _mm512_loadu_ps(po.add(r * QB + W)));
            }
        }
        // SAFETY: r * QB + 2W <= RB * QB <= out.len().
        unsafe {
            _mm512_storeu_ps(po.add(r * QB), acc_r[0]);
            _mm512_storeu_ps(po.add(r * QB + W), acc_r[1]);
        }
    }
}

/// The epilogue: distances for 32 queries at a time, compared against the heaps'
/// thresholds with one mask per row; only rows that beat a threshold reach a heap.
// `row_norms` is indexed only on the L2 path (it is empty for inner product).
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx512f")]
unsafe fn finish<const L2: bool>(
    block: &[f32],
    nb: usize,
    query_norms: &[f32],
    row_norms: &[f32],
    first_label: i64,
    heaps: &mut [TopK],
) {
    assert!(block.len() >= nb * QB && heaps.len() <= QB);
    assert!(!L2 || (query_norms.len() >= QB && row_norms.len() >= nb));
    // Lanes without a heap get a threshold nothing can beat (NaN never beats anything).
    let never = if L2 { f32::NEG_INFINITY } else { f32::INFINITY };
    let mut thr = [never; QB];
    for (t, h) in thr.iter_mut().zip(heaps.iter()) {
        if h.k() > 0 {
            *t = h.threshold();
        }
    }
    let pt = thr.as_ptr();
    // SAFETY: `thr` holds QB = 2W values.
    let (mut t0, mut t1) = unsafe { (_mm512_loadu_ps(pt), _mm512_loadu_ps(pt.add(W))) };
    let (qn0, qn1) = if L2 {
        // SAFETY: query_norms holds at least QB values (asserted).
        unsafe {
            (
                _mm512_loadu_ps(query_norms.as_ptr()),
                _mm512_loadu_ps(query_norms.as_ptr().add(W)),
            )
        }
    } else {
        (_mm512_setzero_ps(), _mm512_setzero_ps())
    };
    let zero = _mm512_setzero_ps();
    let pb = block.as_ptr();
    let mut dist = [0.0f32; QB];
    for j in 0..nb {
        // SAFETY: j < nb and the block holds nb * QB values.
        let (ip0, ip1) = unsafe {
            (
                _mm512_loadu_ps(pb.add(j * QB)),
                _mm512_loadu_ps(pb.add(j * QB + W)),
            )
        };
        let (d0, d1, m0, m1) = if L2 {
            let yn = _mm512_set1_ps(row_norms[j]);
            // (xn + yn) - 2 ip, then max(0, dis): maxps returns its second operand when
            // either is NaN, so NaN stays NaN, and -0.0 stays -0.0, as `dis < 0` would.
            let d0 = _mm512_sub_ps(_mm512_add_ps(qn0, yn), _mm512_add_ps(ip0, ip0));
            let d1 = _mm512_sub_ps(_mm512_add_ps(qn1, yn), _mm512_add_ps(ip1, ip1));
            let d0 = _mm512_max_ps(zero, d0);
            let d1 = _mm512_max_ps(zero, d1);
            (
                d0,
                d1,
                _mm512_cmp_ps_mask::<_CMP_LT_OQ>(d0, t0),
                _mm512_cmp_ps_mask::<_CMP_LT_OQ>(d1, t1),
            )
        } else {
            (
                ip0,
                ip1,
                _mm512_cmp_ps_mask::<_CMP_GT_OQ>(ip0, t0),
                _mm512_cmp_ps_mask::<_CMP_GT_OQ>(ip1, t1),
            )
        };
        let mut mask = (m0 as u32) | ((m1 as u32) << W);
        if mask == 0 {
            continue;
        }
        let pd = dist.as_mut_ptr();
        // SAFETY: `dist` holds QB = 2W values.
        unsafe {
            _mm512_storeu_ps(pd, d0);
            _mm512_storeu_ps(pd.add(W), d1);
        }
        let label = first_label + j as i64;
        while mask != 0 {
            let q = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            heaps[q].push(dist[q], label);
            thr[q] = heaps[q].threshold();
        }
        // SAFETY: `thr` holds QB = 2W values.
        unsafe {
            t0 = _mm512_loadu_ps(pt);
            t1 = _mm512_loadu_ps(pt.add(W));
        }
    }
}

// ---- Safe wrappers: only reachable through the `AVX512` table below. ----

fn l2_sqr(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: this function is only reachable through `AVX512`, which `table_for` hands
    // out after checking that the CPU supports AVX-512F.
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

fn l2_sqr_ny2(qa: &[f32], qb: &[f32], rows: &[f32], oa: &mut [f32], ob: &mut [f32]) {
    // SAFETY: see `l2_sqr`.
    unsafe { ny2::<true>(qa, qb, rows, oa, ob) }
}

fn inner_product_ny2(qa: &[f32], qb: &[f32], rows: &[f32], oa: &mut [f32], ob: &mut [f32]) {
    // SAFETY: see `l2_sqr`.
    unsafe { ny2::<false>(qa, qb, rows, oa, ob) }
}

fn l2_sqr_ny_f16(q: &[f32], rows: &[f16], out: &mut [f32]) {
    // SAFETY: see `l2_sqr`.
    unsafe { ny_f16::<true>(q, rows, out) }
}

fn inner_product_ny_f16(q: &[f32], rows: &[f16], out: &mut [f32]) {
    // SAFETY: see `l2_sqr`.
    unsafe { ny_f16::<false>(q, rows, out) }
}

fn tile_ip(pack: &[f32], rows: &[f32], d: usize, span: TileSpan, out: &mut [f32]) {
    // SAFETY: see `l2_sqr`.
    unsafe { ip_tile(pack, rows, d, span, out) }
}

fn tile_l2_finish(b: &[f32], nb: usize, qn: &[f32], yn: &[f32], l: i64, h: &mut [TopK]) {
    // SAFETY: see `l2_sqr`.
    unsafe { finish::<true>(b, nb, qn, yn, l, h) }
}

fn tile_ip_finish(b: &[f32], nb: usize, qn: &[f32], yn: &[f32], l: i64, h: &mut [TopK]) {
    // SAFETY: see `l2_sqr`.
    unsafe { finish::<false>(b, nb, qn, yn, l, h) }
}

/// The AVX-512F kernel table. Only [`crate::dispatch::table_for`] may hand it out, and
/// only after checking the CPU.
pub(crate) static AVX512: Kernels = Kernels {
    tier: SimdTier::Avx512,
    l2_sqr,
    inner_product,
    l2_sqr_ny,
    inner_product_ny,
    l2_sqr_ny2: Some(l2_sqr_ny2),
    inner_product_ny2: Some(inner_product_ny2),
    l2_sqr_ny_f16,
    inner_product_ny_f16,
    tile: TileKernels {
        queries: QB,
        rows: RB,
        ip: tile_ip,
        l2_finish: tile_l2_finish,
        ip_finish: tile_ip_finish,
    },
};
