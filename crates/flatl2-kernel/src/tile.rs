//! The register-tiled many-to-many building blocks, and their plain-Rust versions.
//!
//! Layouts shared by every tier:
//! - a *query pack* holds `QB` queries interleaved by coordinate: `pack[k * QB + lane]`
//!   is coordinate `k` of query `lane` (zero for padding lanes), `d * QB` values;
//! - a *tile* is `RB` database rows by `QB` queries: `tile[r * QB + lane]` is the inner
//!   product of row `first_row + r` with query `lane`. A block of rows is a run of tiles
//!   laid end to end, so row `j` of the block is at `block[j * QB..(j + 1) * QB]`.
//!
//! The micro-kernel broadcasts one coordinate of each of `RB` rows and multiplies it by
//! `QB / lanes` vectors of the query pack, accumulating `RB x QB` products in registers.
//! The rows are read in place (no packing); the query pack stays in L1/L2.

use crate::topk::{Best, Offers, TopK};

/// Which part of a tile one micro-kernel call computes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TileSpan {
    /// First row of the tile in the block.
    pub(crate) first_row: usize,
    /// Rows in the tile (`1..=RB`).
    pub(crate) nrows: usize,
    /// Coordinates `k0..k1` are summed (cache blocking over the dimension).
    pub(crate) k0: usize,
    /// End of the coordinate range (`k0 < k1 <= d`).
    pub(crate) k1: usize,
    /// Add to the values already in the tile (later coordinate ranges) instead of
    /// overwriting them.
    pub(crate) accumulate: bool,
}

/// `fn(query_pack, rows, d, span, tile_out)`: inner products over coordinates
/// `span.k0..span.k1` of rows `span.first_row..span.first_row + span.nrows` of the
/// row-major matrix `rows` with the `QB` packed queries, into (or added to) `tile_out`
/// (`RB * QB` slots; slots of missing rows are unspecified).
pub(crate) type TileFn = fn(&[f32], &[f32], usize, TileSpan, &mut [f32]);

/// A block of tiles ready for an epilogue.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TileBlock<'a> {
    /// `nb` rows of inner products with `QB` queries (`nb * QB` values).
    pub(crate) ips: &'a [f32],
    /// Rows in the block.
    pub(crate) nb: usize,
    /// The queries' squared norms (`QB` values; L2 only).
    pub(crate) query_norms: &'a [f32],
    /// The rows' squared norms (`nb` values; L2 only, empty for inner product).
    pub(crate) row_norms: &'a [f32],
    /// The label of the block's first row.
    pub(crate) first_label: i64,
}

/// `fn(block, results)`: turns a block of tiles into distances and offers them to the
/// queries' heaps (one per valid query lane, at most `QB`), row by row in increasing
/// label order.
pub(crate) type FinishFn = fn(&TileBlock<'_>, &mut [TopK]);

/// [`FinishFn`] for `k = 1`: the same distances, offered to each query's [`Best`].
pub(crate) type BestFn = fn(&TileBlock<'_>, &mut Best<'_>);

/// The many-to-many kernels of one tier.
#[derive(Debug)]
pub(crate) struct TileKernels {
    /// Queries per tile (`QB`).
    pub(crate) queries: usize,
    /// Rows per tile (`RB`).
    pub(crate) rows: usize,
    /// The micro-kernel.
    pub(crate) ip: TileFn,
    /// L2 epilogue: `(|x|^2 + |y|^2) - 2 x.y`, negatives clamped to 0 as Faiss does.
    pub(crate) l2_finish: FinishFn,
    /// Inner-product epilogue.
    pub(crate) ip_finish: FinishFn,
    /// [`TileKernels::l2_finish`] into one best result per query.
    pub(crate) l2_best: BestFn,
    /// [`TileKernels::ip_finish`] into one best result per query.
    pub(crate) ip_best: BestFn,
    /// `l2_best` computes Faiss's AVX2 top-1 L2 (`t = fma(x.y, -2, |y|^2)`, see
    /// `lanes::tile::finish_best`), whose last rows Faiss scores the other way (see
    /// `knn::top1_tail`); otherwise it uses [`TileKernels::l2_finish`]'s distances, as
    /// Faiss's builds without AVX2 do.
    pub(crate) fused_top1: bool,
}

/// Faiss's BLAS-path L2 from a dot product: `(xn + yn) - 2 ip`, negative results (round
/// off for near-identical vectors) clamped to zero. NaN stays NaN.
#[inline(always)]
pub(crate) fn l2_from_ip(xn: f32, yn: f32, ip: f32) -> f32 {
    let dis = (xn + yn) - (ip + ip);
    if dis < 0.0 {
        0.0
    } else {
        dis
    }
}

/// Faiss's top-1 L2 distance from a row's `t = fma(x.y, -2, |y|^2)` and the query's
/// norm: `|x|^2 + t`, negative round-off clamped to zero (NaN stays NaN).
#[inline(always)]
pub(crate) fn top1_l2(t: f32, xn: f32) -> f32 {
    let dis = xn + t;
    if dis < 0.0 {
        0.0
    } else {
        dis
    }
}

/// Packs `queries[first..first + count]` (dimension `d`, `count <= qb`) into `pack`
/// (`d * qb` values), zero-filling missing lanes.
pub(crate) fn pack_queries(
    queries: &[f32],
    d: usize,
    first: usize,
    count: usize,
    qb: usize,
    pack: &mut [f32],
) {
    // Only a short group has lanes that no query fills. The copy runs without index
    // checks: k-means packs every point on every iteration and uses it against only
    // its k centroids, so packing costs it several percent of its assignment.
    if count < qb {
        pack.fill(0.0);
    }
    let qs = &queries[first * d..(first + count) * d];
    for (lane, q) in qs.chunks_exact(d).enumerate() {
        for (slot, &v) in pack[lane..].iter_mut().step_by(qb).zip(q) {
            *slot = v;
        }
    }
}

/// Plain-Rust micro-kernel for any `QB x RB` (the scalar tier, and the reference for the
/// hand-written ones).
pub(crate) fn ip_tile_generic<const QB: usize, const RB: usize>(
    pack: &[f32],
    rows: &[f32],
    d: usize,
    span: TileSpan,
    out: &mut [f32],
) {
    let nrows = span.nrows.min(RB);
    let mut acc = [[0.0f32; QB]; RB];
    for (r, acc_r) in acc.iter_mut().enumerate().take(nrows) {
        if span.accumulate {
            acc_r.copy_from_slice(&out[r * QB..(r + 1) * QB]);
        }
        let row = &rows[(span.first_row + r) * d..(span.first_row + r + 1) * d];
        for k in span.k0..span.k1 {
            let y = row[k];
            let q = &pack[k * QB..(k + 1) * QB];
            for (a, &x) in acc_r.iter_mut().zip(q) {
                *a += x * y;
            }
        }
    }
    for (r, acc_r) in acc.iter().enumerate().take(nrows) {
        out[r * QB..(r + 1) * QB].copy_from_slice(acc_r);
    }
}

/// Plain-Rust epilogue for any `QB`: L2 when `L2`, inner product otherwise.
pub(crate) fn finish_generic<const QB: usize, const L2: bool, R: Offers + ?Sized>(
    blk: &TileBlock<'_>,
    results: &mut R,
) {
    let lanes = results.lanes().min(QB);
    let mut thr = [None; QB];
    for (q, t) in thr.iter_mut().enumerate().take(lanes) {
        *t = results.bar(q);
    }
    for j in 0..blk.nb {
        let ips = &blk.ips[j * QB..(j + 1) * QB];
        for q in 0..lanes {
            let Some(bar) = thr[q] else { continue };
            let dis = if L2 {
                l2_from_ip(blk.query_norms[q], blk.row_norms[j], ips[q])
            } else {
                ips[q]
            };
            let better = if L2 { dis < bar } else { dis > bar };
            if better {
                thr[q] = Some(results.take(q, dis, blk.first_label + j as i64));
            }
        }
    }
}

/// The scalar tier's tile kernels.
pub(crate) const SCALAR_TILE: TileKernels = TileKernels {
    queries: 8,
    rows: 4,
    ip: ip_tile_generic::<8, 4>,
    l2_finish: scalar_finish::<true>,
    ip_finish: scalar_finish::<false>,
    l2_best: scalar_best::<true>,
    ip_best: scalar_best::<false>,
    fused_top1: false,
};

/// The scalar tier's [`FinishFn`]s.
fn scalar_finish<const L2: bool>(blk: &TileBlock<'_>, h: &mut [TopK]) {
    finish_generic::<8, L2, _>(blk, h)
}

/// The scalar tier's [`BestFn`]s: [`finish_generic`]'s distances, one best per query.
fn scalar_best<const L2: bool>(blk: &TileBlock<'_>, h: &mut Best<'_>) {
    finish_generic::<8, L2, _>(blk, h)
}
