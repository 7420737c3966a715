//! The AVX2 + FMA tier: 256-bit lanes, four accumulators, masked tails, four rows per
//! iteration in the one-to-many kernels, a 6-row x 16-query register tile for
//! many-to-many. The f16 kernels also need F16C and live in a separate table entry.
//!
//! Every kernel is a `#[target_feature]` function; the safe wrappers at the bottom are
//! reachable only through [`AVX2`] / [`AVX2_NO_F16C`], which
//! [`crate::dispatch::table_for`] hands out after checking the CPU.

use core::arch::x86_64::*;

use half::f16;

use super::prefetch::prefetch_t0;
use crate::portable;
use crate::simd_tier::SimdTier;
use crate::table::Kernels;
use crate::tile::{TileKernels, TileSpan};
use crate::topk::TopK;

/// Floats per vector.
const W: usize = 8;
/// Queries per many-to-many tile (two vectors).
const QB: usize = 16;
/// Rows per many-to-many tile.
const RB: usize = 6;
/// Prefetch distance for the one-to-many scan, in floats ahead of the current load.
const PREFETCH_AHEAD: usize = 512;

/// `MASK_SOURCE[8 - r..16 - r]` has its first `r` lanes set.
static MASK_SOURCE: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];

/// Mask of the first `r` lanes (`r <= 8`), as `_mm256_maskload_ps` wants it.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn tail_mask(r: usize) -> __m256i {
    let m = &MASK_SOURCE[8 - r..16 - r];
    // SAFETY: `m` holds exactly 8 i32 values.
    unsafe { _mm256_loadu_si256(m.as_ptr() as *const __m256i) }
}

/// One step of the sum: `acc + (q - y)^2` (L2) or `acc + q * y` (inner product).
#[inline]
#[target_feature(enable = "avx2,fma")]
fn term<const L2: bool>(acc: __m256, q: __m256, y: __m256) -> __m256 {
    if L2 {
        let t = _mm256_sub_ps(q, y);
        _mm256_fmadd_ps(t, t, acc)
    } else {
        _mm256_fmadd_ps(q, y, acc)
    }
}

/// The four row sums of the one-to-many loop: each row keeps two accumulators.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn reduce_rows(acc: &[[__m256; 2]; 4]) -> __m128 {
    reduce4(
        _mm256_add_ps(acc[0][0], acc[0][1]),
        _mm256_add_ps(acc[1][0], acc[1][1]),
        _mm256_add_ps(acc[2][0], acc[2][1]),
        _mm256_add_ps(acc[3][0], acc[3][1]),
    )
}

/// Sums each of four vectors: `[sum(a), sum(b), sum(c), sum(d)]`.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn reduce4(a: __m256, b: __m256, c: __m256, d: __m256) -> __m128 {
    let ab = _mm256_hadd_ps(a, b);
    let cd = _mm256_hadd_ps(c, d);
    let abcd = _mm256_hadd_ps(ab, cd);
    _mm_add_ps(
        _mm256_castps256_ps128(abcd),
        _mm256_extractf128_ps::<1>(abcd),
    )
}

/// Sum of the lanes of one vector.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn reduce1(a: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps::<1>(a));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_shuffle_ps::<0b01>(s, s));
    _mm_cvtss_f32(s)
}

/// Squared L2 (`L2`) or inner product of `a[..n]` and `b[..n]`, `n = min(len)`.
#[target_feature(enable = "avx2,fma")]
unsafe fn pair<const L2: bool>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc = [_mm256_setzero_ps(); 4];
    let mut i = 0;
    while i + 4 * W <= n {
        for (u, acc_u) in acc.iter_mut().enumerate() {
            // SAFETY: i + 4W <= n, so lanes i + uW .. i + (u + 1)W are in both slices.
            let (x, y) = unsafe {
                (
                    _mm256_loadu_ps(pa.add(i + u * W)),
                    _mm256_loadu_ps(pb.add(i + u * W)),
                )
            };
            *acc_u = term::<L2>(*acc_u, x, y);
        }
        i += 4 * W;
    }
    let mut u = 0;
    while i + W <= n {
        // SAFETY: i + W <= n.
        let (x, y) = unsafe { (_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i))) };
        acc[u] = term::<L2>(acc[u], x, y);
        u += 1;
        i += W;
    }
    if i < n {
        let m = tail_mask(n - i);
        // SAFETY: maskload reads only lanes i .. n, all in bounds; masked-off lanes are
        // not accessed (no fault) and read as zero.
        let (x, y) = unsafe {
            (
                _mm256_maskload_ps(pa.add(i), m),
                _mm256_maskload_ps(pb.add(i), m),
            )
        };
        acc[3] = term::<L2>(acc[3], x, y);
    }
    reduce1(_mm256_add_ps(
        _mm256_add_ps(acc[0], acc[1]),
        _mm256_add_ps(acc[2], acc[3]),
    ))
}

/// One query against `n = min(out.len(), rows.len() / d)` rows, four rows per iteration
/// sharing the query loads, with software prefetch ahead of the scan.
#[target_feature(enable = "avx2,fma")]
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
        let mut acc = [[_mm256_setzero_ps(); 2]; 4];
        let mut i = 0;
        while i + 2 * W <= d {
            // SAFETY: i + 2W <= d = q.len().
            let (q0, q1) = unsafe { (_mm256_loadu_ps(pq.add(i)), _mm256_loadu_ps(pq.add(i + W))) };
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let p = base[r].wrapping_add(i);
                // Prefetch never faults, whatever the address.
                prefetch_t0(p.wrapping_add(PREFETCH_AHEAD));
                // SAFETY: each base[r] starts a whole row of `rows`, and i + 2W <= d.
                let (y0, y1) = unsafe { (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(W))) };
                acc_r[0] = term::<L2>(acc_r[0], q0, y0);
                acc_r[1] = term::<L2>(acc_r[1], q1, y1);
            }
            i += 2 * W;
        }
        if i + W <= d {
            // SAFETY: i + W <= d.
            let q0 = unsafe { _mm256_loadu_ps(pq.add(i)) };
            for (r, acc_r) in acc.iter_mut().enumerate() {
                // SAFETY: base[r] starts a whole row of `rows`, and i + W <= d.
                let y0 = unsafe { _mm256_loadu_ps(base[r].add(i)) };
                acc_r[0] = term::<L2>(acc_r[0], q0, y0);
            }
            i += W;
        }
        if i < d {
            let m = tail_mask(d - i);
            // SAFETY: maskload of lanes i .. d of the query only.
            let q0 = unsafe { _mm256_maskload_ps(pq.add(i), m) };
            for (r, acc_r) in acc.iter_mut().enumerate() {
                // SAFETY: maskload of lanes i .. d of the row at base[r] only.
                let y0 = unsafe { _mm256_maskload_ps(base[r].add(i), m) };
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

/// Loads 8 halves and widens them to f32.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn load_f16(p: *const f16) -> __m256 {
    // SAFETY: the caller guarantees 8 readable halves at `p`.
    _mm256_cvtph_ps(unsafe { _mm_loadu_si128(p as *const __m128i) })
}

/// One f32 query against f16 rows (same contract as [`ny`]): four rows per iteration
/// sharing the query loads, the rows left over one at a time.
#[target_feature(enable = "avx2,fma,f16c")]
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
        let mut acc = [[_mm256_setzero_ps(); 2]; 4];
        let mut i = 0;
        while i < body {
            // SAFETY: i + 2W <= body <= d = q.len().
            let (q0, q1) = unsafe { (_mm256_loadu_ps(pq.add(i)), _mm256_loadu_ps(pq.add(i + W))) };
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
                    _mm256_loadu_ps(qb.as_ptr()),
                    _mm256_loadu_ps(qb.as_ptr().add(W)),
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
#[target_feature(enable = "avx2,fma,f16c")]
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
        let mut acc = [_mm256_setzero_ps(); 2];
        let mut i = 0;
        while i + 2 * W <= d {
            // Prefetch never faults, whatever the address.
            prefetch_t0(pr.wrapping_add(i + 2 * PREFETCH_AHEAD));
            // SAFETY: i + 2W <= d for the query and the row.
            let (q0, q1, y0, y1) = unsafe {
                (
                    _mm256_loadu_ps(pq.add(i)),
                    _mm256_loadu_ps(pq.add(i + W)),
                    load_f16(pr.add(i)),
                    load_f16(pr.add(i + W)),
                )
            };
            acc[0] = term::<L2>(acc[0], q0, y0);
            acc[1] = term::<L2>(acc[1], q1, y1);
            i += 2 * W;
        }
        if i < d {
            // At most 2W - 1 values left: widen them through zero-padded buffers.
            let mut qb = [0.0f32; 2 * W];
            let mut yb = [f16::ZERO; 2 * W];
            qb[..d - i].copy_from_slice(&q[i..]);
            yb[..d - i].copy_from_slice(&row[i..]);
            // SAFETY: both buffers hold 2W values.
            let (q0, q1, y0, y1) = unsafe {
                (
                    _mm256_loadu_ps(qb.as_ptr()),
                    _mm256_loadu_ps(qb.as_ptr().add(W)),
                    load_f16(yb.as_ptr()),
                    load_f16(yb.as_ptr().add(W)),
                )
            };
            acc[0] = term::<L2>(acc[0], q0, y0);
            acc[1] = term::<L2>(acc[1], q1, y1);
        }
        *o = reduce1(_mm256_add_ps(acc[0], acc[1]));
    }
}

/// The 6-row x 16-query micro-kernel (see [`crate::tile`] for the layouts).
#[target_feature(enable = "avx2,fma")]
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
    let mut acc = [[_mm256_setzero_ps(); 2]; RB];
    for k in k0..k1 {
        // SAFETY: k < d and the pack holds d * QB values.
        let (q0, q1) = unsafe {
            (
                _mm256_loadu_ps(pp.add(k * QB)),
                _mm256_loadu_ps(pp.add(k * QB + W)),
            )
        };
        for (acc_r, p) in acc.iter_mut().zip(ptrs) {
            // SAFETY: each pointer starts a row of d values inside `rows`, and k < d.
            let y = _mm256_set1_ps(unsafe { *p.add(k) });
            acc_r[0] = _mm256_fmadd_ps(q0, y, acc_r[0]);
            acc_r[1] = _mm256_fmadd_ps(q1, y, acc_r[1]);
        }
    }
    let po = out.as_mut_ptr();
    for (r, acc_r) in acc.iter_mut().enumerate() {
        if accumulate {
            // SAFETY: r * QB + 2W <= RB * QB <= out.len().
            unsafe {
                acc_r[0] = _mm256_add_ps(acc_r[0], _mm256_loadu_ps(po.add(r * QB)));
                acc_r[1] = _mm256_add_ps(acc_r[1], _mm256_loadu_ps(po.add(r * QB + W)));
            }
        }
        // SAFETY: r * QB + 2W <= RB * QB <= out.len().
        unsafe {
            _mm256_storeu_ps(po.add(r * QB), acc_r[0]);
            _mm256_storeu_ps(po.add(r * QB + W), acc_r[1]);
        }
    }
}

/// The epilogue: distances for 16 queries at a time, compared against the heaps'
/// thresholds with one mask per row; only rows that beat a threshold reach a heap.
// `row_norms` is indexed only on the L2 path (it is empty for inner product).
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx2,fma")]
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
    let (mut t0, mut t1) = unsafe { (_mm256_loadu_ps(pt), _mm256_loadu_ps(pt.add(W))) };
    let (qn0, qn1) = if L2 {
        // SAFETY: query_norms holds at least QB values (asserted).
        unsafe {
            (
                _mm256_loadu_ps(query_norms.as_ptr()),
                _mm256_loadu_ps(query_norms.as_ptr().add(W)),
            )
        }
    } else {
        (_mm256_setzero_ps(), _mm256_setzero_ps())
    };
    let zero = _mm256_setzero_ps();
    let pb = block.as_ptr();
    let mut dist = [0.0f32; QB];
    for j in 0..nb {
        // SAFETY: j < nb and the block holds nb * QB values.
        let (ip0, ip1) = unsafe {
            (
                _mm256_loadu_ps(pb.add(j * QB)),
                _mm256_loadu_ps(pb.add(j * QB + W)),
            )
        };
        let (d0, d1, c0, c1) = if L2 {
            let yn = _mm256_set1_ps(row_norms[j]);
            // (xn + yn) - 2 ip, then max(0, dis): maxps returns its second operand when
            // either is NaN, so NaN stays NaN, and -0.0 stays -0.0, as `dis < 0` would.
            let d0 = _mm256_sub_ps(_mm256_add_ps(qn0, yn), _mm256_add_ps(ip0, ip0));
            let d1 = _mm256_sub_ps(_mm256_add_ps(qn1, yn), _mm256_add_ps(ip1, ip1));
            let d0 = _mm256_max_ps(zero, d0);
            let d1 = _mm256_max_ps(zero, d1);
            (
                d0,
                d1,
                _mm256_cmp_ps::<_CMP_LT_OQ>(d0, t0),
                _mm256_cmp_ps::<_CMP_LT_OQ>(d1, t1),
            )
        } else {
            (
                ip0,
                ip1,
                _mm256_cmp_ps::<_CMP_GT_OQ>(ip0, t0),
                _mm256_cmp_ps::<_CMP_GT_OQ>(ip1, t1),
            )
        };
        let mut mask = (_mm256_movemask_ps(c0) as u32) | ((_mm256_movemask_ps(c1) as u32) << W);
        if mask == 0 {
            continue;
        }
        let pd = dist.as_mut_ptr();
        // SAFETY: `dist` holds QB = 2W values.
        unsafe {
            _mm256_storeu_ps(pd, d0);
            _mm256_storeu_ps(pd.add(W), d1);
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
            t0 = _mm256_loadu_ps(pt);
            t1 = _mm256_loadu_ps(pt.add(W));
        }
    }
}

// ---- Safe wrappers: only reachable through the tables below. ----

fn l2_sqr(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: this function is only reachable through `AVX2` / `AVX2_NO_F16C`, which
    // `table_for` hands out after checking that the CPU supports AVX2 and FMA.
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

fn l2_sqr_ny_f16(q: &[f32], rows: &[f16], out: &mut [f32]) {
    // SAFETY: only reachable through `AVX2`, which `table_for` hands out after checking
    // AVX2, FMA and F16C.
    unsafe { ny_f16::<true>(q, rows, out) }
}

fn inner_product_ny_f16(q: &[f32], rows: &[f16], out: &mut [f32]) {
    // SAFETY: see `l2_sqr_ny_f16`.
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

const TILE: TileKernels = TileKernels {
    queries: QB,
    rows: RB,
    ip: tile_ip,
    l2_finish: tile_l2_finish,
    ip_finish: tile_ip_finish,
};

/// The AVX2 + FMA + F16C kernel table (checked by [`crate::dispatch::table_for`]).
pub(crate) static AVX2: Kernels = Kernels {
    tier: SimdTier::Avx2,
    l2_sqr,
    inner_product,
    l2_sqr_ny,
    inner_product_ny,
    l2_sqr_ny2: None,
    inner_product_ny2: None,
    l2_sqr_ny_f16,
    inner_product_ny_f16,
    tile: TILE,
};

/// The AVX2 + FMA table for CPUs without F16C: the f16 kernels come from the portable
/// tier.
pub(crate) static AVX2_NO_F16C: Kernels = Kernels {
    tier: SimdTier::Avx2,
    l2_sqr,
    inner_product,
    l2_sqr_ny,
    inner_product_ny,
    l2_sqr_ny2: None,
    inner_product_ny2: None,
    l2_sqr_ny_f16: portable::l2_sqr_ny_f16,
    inner_product_ny_f16: portable::inner_product_ny_f16,
    tile: TILE,
};
