//! The register-tiled many-to-many micro-kernel and its top-k epilogue (layouts in
//! [`crate::tile`]): a tile is `RB` rows by `QB = 2W` queries, two vectors per row.

use super::Lanes;
use crate::tile::{TileBlock, TileSpan};
use crate::topk::{Best, Offers};

/// The `RB`-row x `QB`-query micro-kernel: inner products over coordinates
/// `span.k0..span.k1`, into (or added to) `out`.
#[inline(always)]
pub(crate) fn ip_tile<S: Lanes, const RB: usize, const QB: usize>(
    s: S,
    pack: &[f32],
    rows: &[f32],
    d: usize,
    span: TileSpan,
    out: &mut [f32],
) {
    const { assert!(QB == 2 * S::W) };
    let w = S::W;
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
    let mut acc = [[s.zero(); 2]; RB];
    for k in k0..k1 {
        // SAFETY: k < d and the pack holds d * QB values.
        let (q0, q1) = unsafe { (s.load(pp.add(k * QB)), s.load(pp.add(k * QB + w))) };
        for (acc_r, p) in acc.iter_mut().zip(ptrs) {
            // SAFETY: each pointer starts a row of d values inside `rows`, and k < d.
            let y = s.splat(unsafe { *p.add(k) });
            acc_r[0] = s.fmadd(q0, y, acc_r[0]);
            acc_r[1] = s.fmadd(q1, y, acc_r[1]);
        }
    }
    let po = out.as_mut_ptr();
    for (r, acc_r) in acc.iter_mut().enumerate() {
        if accumulate {
            // SAFETY: r * QB + 2W <= RB * QB <= out.len().
            unsafe {
                acc_r[0] = s.add(acc_r[0], s.load(po.add(r * QB)));
                acc_r[1] = s.add(acc_r[1], s.load(po.add(r * QB + w)));
            }
        }
        // SAFETY: r * QB + 2W <= RB * QB <= out.len().
        unsafe {
            s.store(po.add(r * QB), acc_r[0]);
            s.store(po.add(r * QB + w), acc_r[1]);
        }
    }
}

/// The epilogue: distances for `QB` queries at a time, compared against the results'
/// bars (the heaps' thresholds) with one bit mask per row; only rows that beat a bar
/// reach the results.
/// L2 is Faiss's `(|x|^2 + |y|^2) - 2 x.y` clamped at zero (NaN stays NaN).
// `row_norms` is indexed only on the L2 path (it is empty for inner product).
#[allow(clippy::needless_range_loop)]
#[inline(always)]
pub(crate) fn finish<S: Lanes, const QB: usize, const L2: bool, R: Offers + ?Sized>(
    s: S,
    blk: &TileBlock<'_>,
    results: &mut R,
) {
    let w = S::W;
    let (lanes, [qn0, qn1]) = epilogue_start::<S, QB, L2>(s, blk, results);
    // Lanes that keep nothing get a threshold nothing can beat (NaN never beats
    // anything).
    let never = if L2 { f32::NEG_INFINITY } else { f32::INFINITY };
    let mut thr = [never; QB];
    for (q, t) in thr.iter_mut().enumerate().take(lanes) {
        if let Some(bar) = results.bar(q) {
            *t = bar;
        }
    }
    let [mut t0, mut t1] = pair_at(s, &thr);
    let mut dist = [0.0f32; QB];
    for j in 0..blk.nb {
        let [ip0, ip1] = pair_at(s, &blk.ips[j * QB..]);
        let yn = if L2 { blk.row_norms[j] } else { 0.0 };
        let (d0, d1) = distances::<S, L2>(s, ip0, ip1, qn0, qn1, yn);
        let (m0, m1) = if L2 {
            (s.lt_bits(d0, t0), s.lt_bits(d1, t1))
        } else {
            (s.gt_bits(d0, t0), s.gt_bits(d1, t1))
        };
        let mut mask = m0 | (m1 << w);
        if mask == 0 {
            continue;
        }
        let pd = dist.as_mut_ptr();
        // SAFETY: `dist` holds QB = 2W values.
        unsafe {
            s.store(pd, d0);
            s.store(pd.add(w), d1);
        }
        let label = blk.first_label + j as i64;
        while mask != 0 {
            let q = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            thr[q] = results.take(q, dist[q], label);
        }
        [t0, t1] = pair_at(s, &thr);
    }
}

/// A row's distances to the `2W` queries from its inner products: Faiss's
/// `(|x|^2 + |y|^2) - 2 x.y` clamped at zero for L2 (`yn` the row's norm), the inner
/// products themselves otherwise.
#[inline(always)]
fn distances<S: Lanes, const L2: bool>(
    s: S,
    ip0: S::V,
    ip1: S::V,
    qn0: S::V,
    qn1: S::V,
    yn: f32,
) -> (S::V, S::V) {
    if !L2 {
        return (ip0, ip1);
    }
    let (zero, yn) = (s.zero(), s.splat(yn));
    // (xn + yn) - 2 ip, then max(0, dis): `max` returns its second operand when either
    // is NaN, so NaN stays NaN, and -0.0 stays -0.0, as `dis < 0` would.
    let d0 = s.max(zero, s.sub(s.add(qn0, yn), s.add(ip0, ip0)));
    let d1 = s.max(zero, s.sub(s.add(qn1, yn), s.add(ip1, ip1)));
    (d0, d1)
}

/// The epilogue for `k = 1`: for each query lane a running best and its row kept in
/// registers (branch-free), offered once per block, taken when strictly better than the
/// query's best. A row replaces a running best only when strictly better (never NaN),
/// so the first of equal values stays.
///
/// With `FUSED` (the x86 tiers), L2 is computed as Faiss's AVX2 top-1 path computes it
/// (its `exhaustive_L2sqr_blas_cmax`): each row's `t = fma(x.y, -2, |y|^2)`, the query's
/// norm left out, a running minimum of `t` from a bar of `best - |x|^2`, and
/// `max(0, |x|^2 + t)` offered at the end. Otherwise, as Faiss's other builds, each row
/// gets [`finish`]'s `|x|^2 + |y|^2 - 2 x.y`. Inner product keeps the largest.
///
/// Even and odd rows keep separate running bests (two dependency chains instead of
/// one), merged at the end: the better one, or on a tie the lower row.
#[inline(always)]
pub(crate) fn finish_best<S: Lanes, const QB: usize, const L2: bool, const FUSED: bool>(
    s: S,
    blk: &TileBlock<'_>,
    results: &mut Best<'_>,
) {
    let (lanes, qn) = epilogue_start::<S, QB, L2>(s, blk, results);
    let TileBlock {
        ips: block,
        nb,
        row_norms,
        first_label,
        ..
    } = *blk;
    // Rows are tracked as f32 positions in the block: exact below 2^24.
    assert!(nb < 1 << 24);
    let mut bar = [0.0f32; QB];
    for (q, b) in bar.iter_mut().enumerate().take(lanes) {
        *b = results.bar(q).unwrap_or(f32::NAN);
    }
    let mut bar = pair_at(s, &bar);
    if L2 && FUSED {
        bar = [s.sub(bar[0], qn[0]), s.sub(bar[1], qn[1])];
    }
    let yn = |j: usize| if L2 { row_norms[j] } else { 0.0 };
    // Even rows' and odd rows' running bests, and their rows (-1: none yet).
    let (mut even, mut odd) = ((bar, [s.splat(-1.0); 2]), (bar, [s.splat(-1.0); 2]));
    let (mut row_e, mut row_o, two) = (s.zero(), s.splat(1.0), s.splat(2.0));
    let mut j = 0;
    while j + 1 < nb {
        best_step::<S, L2, FUSED>(s, &block[j * QB..], qn, yn(j), row_e, &mut even);
        best_step::<S, L2, FUSED>(s, &block[(j + 1) * QB..], qn, yn(j + 1), row_o, &mut odd);
        row_e = s.add(row_e, two);
        row_o = s.add(row_o, two);
        j += 2;
    }
    if j < nb {
        best_step::<S, L2, FUSED>(s, &block[j * QB..], qn, yn(j), row_e, &mut even);
    }
    let spill = |v: [S::V; 2]| {
        let mut out = [0.0f32; QB];
        // SAFETY: `out` holds QB = 2W values.
        unsafe {
            s.store(out.as_mut_ptr(), v[0]);
            s.store(out.as_mut_ptr().add(S::W), v[1]);
        }
        out
    };
    let (best_e, row_e, best_o, row_o) = (spill(even.0), spill(even.1), spill(odd.0), spill(odd.1));
    for q in 0..lanes {
        let odd_better = better::<L2>(best_o[q], best_e[q]);
        let odd_first =
            best_o[q] == best_e[q] && row_o[q] >= 0.0 && !(row_e[q] >= 0.0 && row_e[q] < row_o[q]);
        let (b, r) = if odd_better || odd_first {
            (best_o[q], row_o[q])
        } else {
            (best_e[q], row_e[q])
        };
        if r < 0.0 {
            continue;
        }
        let dist = if L2 && FUSED {
            crate::tile::top1_l2(b, blk.query_norms[q])
        } else {
            b
        };
        if results.bar(q).is_some_and(|bar| better::<L2>(dist, bar)) {
            results.take(q, dist, first_label + r as i64);
        }
    }
}

/// `a` strictly better than `b`: smaller for L2, larger for inner product (never NaN).
#[inline(always)]
fn better<const L2: bool>(a: f32, b: f32) -> bool {
    if L2 {
        a < b
    } else {
        a > b
    }
}

/// The checks and set-up both epilogues start with: the number of query lanes with
/// results, and (L2) the query norms as two vectors.
#[inline(always)]
fn epilogue_start<S: Lanes, const QB: usize, const L2: bool>(
    s: S,
    blk: &TileBlock<'_>,
    results: &(impl Offers + ?Sized),
) -> (usize, [S::V; 2]) {
    const { assert!(QB == 2 * S::W) };
    let lanes = results.lanes();
    assert!(blk.ips.len() >= blk.nb * QB && lanes <= QB);
    assert!(!L2 || (blk.query_norms.len() >= QB && blk.row_norms.len() >= blk.nb));
    let qn = if L2 {
        pair_at(s, blk.query_norms)
    } else {
        [s.zero(); 2]
    };
    (lanes, qn)
}

/// The two vectors at the start of `v` (which holds at least `2W` values).
#[inline(always)]
fn pair_at<S: Lanes>(s: S, v: &[f32]) -> [S::V; 2] {
    assert!(v.len() >= 2 * S::W);
    let p = v.as_ptr();
    // SAFETY: `v` holds at least 2W values (asserted).
    unsafe { [s.load(p), s.load(p.add(S::W))] }
}

/// One row into one set of running bests of [`finish_best`]: `ips` starts with the
/// row's `2W` inner products, `row` is its position (in every lane), `qn` the query
/// norms and `yn` the row's norm (L2; fused running bests hold
/// `t = fma(x.y, -2, |y|^2)`).
#[inline(always)]
fn best_step<S: Lanes, const L2: bool, const FUSED: bool>(
    s: S,
    ips: &[f32],
    qn: [S::V; 2],
    yn: f32,
    row: S::V,
    (best, rows): &mut ([S::V; 2], [S::V; 2]),
) {
    let [ip0, ip1] = pair_at(s, ips);
    let (d0, d1) = if L2 && FUSED {
        let (m2, yn) = (s.splat(-2.0), s.splat(yn));
        (s.fmadd(ip0, m2, yn), s.fmadd(ip1, m2, yn))
    } else {
        distances::<S, L2>(s, ip0, ip1, qn[0], qn[1], yn)
    };
    for (h, d) in [(0, d0), (1, d1)] {
        // Better is `d < best` for L2, `best < d` for inner product; NaN never is.
        let (x, y) = if L2 { (d, best[h]) } else { (best[h], d) };
        rows[h] = s.blend_lt(x, y, row, rows[h]);
        best[h] = s.blend_lt(x, y, d, best[h]);
    }
}
