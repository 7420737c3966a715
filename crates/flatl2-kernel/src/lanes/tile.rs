//! The register-tiled many-to-many micro-kernel and its top-k epilogue (layouts in
//! [`crate::tile`]): a tile is `RB` rows by `QB = 2W` queries, two vectors per row.

use super::Lanes;
use crate::tile::TileSpan;
use crate::topk::Offers;

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
/// bars with one bit mask per row; only rows that beat a bar reach the results (a heap
/// per query, or one best per query).
/// L2 is Faiss's `(|x|^2 + |y|^2) - 2 x.y` clamped at zero (NaN stays NaN).
// `row_norms` is indexed only on the L2 path (it is empty for inner product).
#[allow(clippy::needless_range_loop)]
#[inline(always)]
pub(crate) fn finish<S: Lanes, const QB: usize, const L2: bool, R: Offers + ?Sized>(
    s: S,
    block: &[f32],
    nb: usize,
    query_norms: &[f32],
    row_norms: &[f32],
    first_label: i64,
    results: &mut R,
) {
    const { assert!(QB == 2 * S::W) };
    let w = S::W;
    assert!(block.len() >= nb * QB && results.lanes() <= QB);
    assert!(!L2 || (query_norms.len() >= QB && row_norms.len() >= nb));
    // Lanes that keep nothing get a threshold nothing can beat (NaN never beats
    // anything).
    let never = if L2 { f32::NEG_INFINITY } else { f32::INFINITY };
    let mut thr = [never; QB];
    for (q, t) in thr.iter_mut().enumerate().take(results.lanes()) {
        if let Some(bar) = results.bar(q) {
            *t = bar;
        }
    }
    let pt = thr.as_ptr();
    // SAFETY: `thr` holds QB = 2W values.
    let (mut t0, mut t1) = unsafe { (s.load(pt), s.load(pt.add(w))) };
    let (qn0, qn1) = if L2 {
        let pn = query_norms.as_ptr();
        // SAFETY: query_norms holds at least QB values (asserted).
        unsafe { (s.load(pn), s.load(pn.add(w))) }
    } else {
        (s.zero(), s.zero())
    };
    let zero = s.zero();
    let pb = block.as_ptr();
    let mut dist = [0.0f32; QB];
    for j in 0..nb {
        // SAFETY: j < nb and the block holds nb * QB values.
        let (ip0, ip1) = unsafe { (s.load(pb.add(j * QB)), s.load(pb.add(j * QB + w))) };
        let (d0, d1, m0, m1) = if L2 {
            let yn = s.splat(row_norms[j]);
            // (xn + yn) - 2 ip, then max(0, dis): `max` returns its second operand when
            // either is NaN, so NaN stays NaN, and -0.0 stays -0.0, as `dis < 0` would.
            let d0 = s.max(zero, s.sub(s.add(qn0, yn), s.add(ip0, ip0)));
            let d1 = s.max(zero, s.sub(s.add(qn1, yn), s.add(ip1, ip1)));
            (d0, d1, s.lt_bits(d0, t0), s.lt_bits(d1, t1))
        } else {
            (ip0, ip1, s.gt_bits(ip0, t0), s.gt_bits(ip1, t1))
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
        let label = first_label + j as i64;
        while mask != 0 {
            let q = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            thr[q] = results.take(q, dist[q], label);
        }
        // SAFETY: `thr` holds QB = 2W values.
        unsafe {
            t0 = s.load(pt);
            t1 = s.load(pt.add(w));
        }
    }
}
