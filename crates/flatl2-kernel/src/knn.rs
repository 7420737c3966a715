//! Many-to-many search fused with top-k: the full `nq x n` distance matrix is never
//! materialised. Rows are visited in blocks that stay in L2; for each block, every group
//! of queries gets its inner products from the tier's register-tiled micro-kernel (see
//! [`crate::tile`]), and the epilogue turns them into distances and offers them to the
//! queries' heaps, in increasing row order, before the next block is touched. For
//! `k = 1` there is no heap: each query's best is kept in the output itself.
//!
//! Offering the rows of each query in increasing order, one at a time, to a heap with
//! Faiss's strict replacement rule reproduces Faiss's result and tie order exactly
//! (given the same distances).

use crate::error::KernelError;
use crate::metric::MetricType;
use crate::order::ScanOrder;
use crate::rows::Rows;
use crate::table::{check_out, row_count, run_ny2, Kernels};
use crate::tile::{l2_from_ip, pack_queries, TileBlock, TileSpan};
use crate::topk::{Best, Offers, TopK};

/// Faiss's `distance_compute_blas_threshold`: it takes its BLAS path when
/// `nq * d` reaches this value, and scans query by query below it.
pub const BLOCKED_THRESHOLD: usize = 128_000;

/// Bytes of database rows per block: inside a 1 MiB L2 with the query pack and the
/// block of tiles (128 bytes a row with AVX-512), and large enough that k-means' usual
/// 1024 centroids of 128 floats are one block (each query group's pack is then read,
/// and its epilogue run, once per pass instead of twice).
const BLOCK_BYTES: usize = 512 * 1024;

/// Bytes of database rows per block of the one-to-many path when several queries share
/// it: small enough to stay in L1 while every query scans it (from L2 each query would
/// wait on L2 bandwidth, not on arithmetic).
const DIRECT_SHARED_BLOCK_BYTES: usize = 24 * 1024;

/// Coordinates per micro-kernel pass: the query pack's slice for one pass (`KC x QB`
/// floats, 16 KiB for AVX-512) stays in L1 while every tile of the block uses it.
const KC: usize = 128;

/// Which algorithm [`Kernels::knn_via`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KnnPath {
    /// As Faiss: [`KnnPath::Blocked`] when `nq * d >= 128000` and there are rows,
    /// [`KnnPath::Direct`] otherwise.
    Auto,
    /// One-to-many scans per query (the direct `sum (x - y)^2` formula for L2).
    Direct,
    /// The register-tiled `|x|^2 + |y|^2 - 2 x.y` path (inner products only for IP).
    Blocked,
}

impl KnnPath {
    /// The path this choice takes for `nq` queries against `n` rows of dimension `d`:
    /// [`KnnPath::Auto`] resolved by Faiss's rule ([`KnnPath::Blocked`] when there are
    /// rows and `nq * d >= 128000`, [`KnnPath::Direct`] otherwise), the others as they
    /// are. The one place the rule is written.
    pub fn resolve(self, nq: usize, n: usize, d: usize) -> KnnPath {
        match self {
            KnnPath::Auto if n > 0 && nq.saturating_mul(d) >= BLOCKED_THRESHOLD => KnnPath::Blocked,
            KnnPath::Auto => KnnPath::Direct,
            chosen => chosen,
        }
    }

    /// The most queries of dimension `d` that [`KnnPath::Auto`] still scans one by one
    /// (at least 1): the inverse of [`KnnPath::resolve`]'s rule.
    pub fn max_direct_queries(d: usize) -> usize {
        ((BLOCKED_THRESHOLD - 1) / d.max(1)).max(1)
    }
}

// The many-to-many entry points of the table live here, next to the algorithm, so the
// table module does not depend on this one.
impl Kernels {
    /// Many-to-many k-nearest-neighbour search, fused with top-k selection.
    ///
    /// `queries` holds `nq` rows and `rows` holds `n` rows, both of dimension `d`;
    /// `rows` may be unaligned storage ([`Rows`]: the blocked path then copies each
    /// block of rows into aligned scratch, the one-to-many scans read it in place).
    /// `row_norms`, when given, must hold the squared norms of `rows` (used by the L2
    /// blocked path; computed on the fly when `None`, ignored for inner product).
    /// Writes `nq * k` distances and labels (row positions, `-1` with the metric's worst
    /// distance for empty slots) in Faiss's order.
    ///
    /// The path follows Faiss ([`KnnPath::Auto`]): the blocked
    /// `||x||^2 + ||y||^2 - 2 x.y` path when `nq * d >= 128000` (Faiss's
    /// `distance_compute_blas_threshold`), one-to-many scans otherwise. Single-threaded.
    #[allow(clippy::too_many_arguments)]
    pub fn knn<'r>(
        &self,
        metric: MetricType,
        queries: &[f32],
        rows: impl Into<Rows<'r>>,
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
    pub fn knn_via<'r>(
        &self,
        path: KnnPath,
        metric: MetricType,
        queries: &[f32],
        rows: impl Into<Rows<'r>>,
        d: usize,
        row_norms: Option<&[f32]>,
        k: usize,
        dist_out: &mut [f32],
        labels_out: &mut [i64],
    ) -> Result<(), KernelError> {
        let rows = rows.into();
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
        knn(
            self, path, metric, queries, rows, d, row_norms, k, dist_out, labels_out,
        );
        Ok(())
    }
}

/// Rows per block of Faiss's top-1 L2 path (`distance_compute_blas_database_bs`).
const FAISS_TOP1_BLOCK: usize = 1024;

/// The first of the rows Faiss's AVX2 top-1 L2 path scores as leftovers: it takes rows in
/// blocks of 1024 and each block 16 rows at a time by `t = fma(x.y, -2, |y|^2)`; the
/// last `count % 16` rows of a block (only the final block can have any) get
/// `|x|^2 + |y|^2 - 2 x.y` instead, each taken when strictly better.
fn top1_tail(n: usize) -> usize {
    n - n % FAISS_TOP1_BLOCK % 16
}

/// Offers rows `from..blk.nb` of a block of `qb`-query tiles to each query's best, one
/// row at a time by `|x|^2 + |y|^2 - 2 x.y` (clamped at zero), taken when strictly
/// better: Faiss's top-1 leftovers ([`top1_tail`]).
fn offer_tail(blk: &TileBlock<'_>, from: usize, qb: usize, best: &mut Best<'_>) {
    for j in from..blk.nb {
        for q in 0..best.lanes() {
            let dis = l2_from_ip(blk.query_norms[q], blk.row_norms[j], blk.ips[j * qb + q]);
            if best.bar(q).is_some_and(|bar| dis < bar) {
                best.take(q, dis, blk.first_label + j as i64);
            }
        }
    }
}

/// Rows per block for dimension `d`: [`BLOCK_BYTES`] of them rounded up to a multiple of
/// the tile height `rb`.
fn rows_per_block(d: usize, rb: usize) -> usize {
    let rows = BLOCK_BYTES / (4 * d).max(1);
    rows.div_ceil(rb).max(1) * rb
}

/// Arguments already validated by [`Kernels::knn_via`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn knn(
    kernels: &Kernels,
    path: KnnPath,
    metric: MetricType,
    queries: &[f32],
    rows: Rows<'_>,
    d: usize,
    row_norms: Option<&[f32]>,
    k: usize,
    dist_out: &mut [f32],
    labels_out: &mut [i64],
) {
    let nq = queries.len() / d;
    let n = rows.len() / d;
    if nq == 0 || k == 0 {
        return;
    }
    let blocked = |results| knn_blocked(kernels, metric, queries, rows, d, row_norms, results);
    let blocked_path = path.resolve(nq, n, d) == KnnPath::Blocked;
    if blocked_path && k == 1 {
        // One best per query, kept in the output itself (k-means assigns this way).
        let mut best = Best::new(metric, &mut dist_out[..nq], &mut labels_out[..nq]);
        blocked(Results::Best(&mut best));
        return;
    }
    let mut heaps: Vec<TopK> = (0..nq).map(|_| TopK::new(metric, k)).collect();
    if blocked_path {
        blocked(Results::Heaps(&mut heaps));
    } else {
        knn_direct(kernels, metric, queries, rows, d, &mut heaps);
    }
    for ((heap, dist), labels) in heaps
        .iter_mut()
        .zip(dist_out.chunks_exact_mut(k))
        .zip(labels_out.chunks_exact_mut(k))
    {
        heap.drain_sorted_into(dist, labels);
    }
}

/// Where the blocked path puts each query's results.
enum Results<'r, 'a> {
    /// A heap of the `k` best per query.
    Heaps(&'r mut [TopK]),
    /// The single best per query (`k = 1`).
    Best(&'r mut Best<'a>),
}

/// One-to-many scans: for each block of rows, each query's distances to the block (a
/// block that stays in L1 when several queries share it). A row's distance does not
/// depend on the block it falls in, so results do not depend on the block size.
fn knn_direct(
    kernels: &Kernels,
    metric: MetricType,
    queries: &[f32],
    rows: Rows<'_>,
    d: usize,
    heaps: &mut [TopK],
) {
    let n = rows.len() / d;
    let block = if heaps.len() > 1 {
        (DIRECT_SHARED_BLOCK_BYTES / (4 * d).max(1)).max(4)
    } else {
        rows_per_block(d, 1)
    };
    let block = block.min(n.max(1));
    let mut scratch = vec![0.0f32; 2 * block];
    let (ny, ny2) = match metric {
        MetricType::L2 => (kernels.l2_sqr_ny, kernels.l2_sqr_ny2),
        MetricType::InnerProduct => (kernels.inner_product_ny, kernels.inner_product_ny2),
    };
    // Unaligned rows shared by several queries are copied once per block into aligned
    // scratch (every tier then reads a slice); a lone query reads them in place.
    let stage = heaps.len() > 1 && !rows.is_aligned();
    // A lone query reads each row once: the size of the whole matrix says whether the
    // rows come from cache or from DRAM. Several queries share each block while it is
    // in cache.
    let order = match heaps.len() {
        1 => ScanOrder::for_bytes(rows.len().saturating_mul(4)),
        _ => ScanOrder::Cached,
    };
    let mut staged = Vec::new();
    let mut start = 0;
    while start < n {
        let end = (start + block).min(n);
        let Some(mut rows_b) = rows.slice(start * d..end * d) else {
            return;
        };
        if stage {
            rows_b = Rows::from(rows_b.as_slice_in(&mut staged));
        }
        let (out_a, out_b) = scratch.split_at_mut(block);
        let (out_a, out_b) = (&mut out_a[..end - start], &mut out_b[..end - start]);
        // Queries two by two: the block's rows are read once per pair.
        for (qs, hs) in queries.chunks(2 * d).zip(heaps.chunks_mut(2)) {
            match hs {
                [ha, hb] => {
                    run_ny2(ny2, ny, &qs[..d], &qs[d..], rows_b, out_a, out_b);
                    ha.push_run(out_a, start as i64);
                    hb.push_run(out_b, start as i64);
                }
                [ha] => {
                    ny(qs, rows_b, out_a, order);
                    ha.push_run(out_a, start as i64);
                }
                _ => {}
            }
        }
        start = end;
    }
}

/// The blocked path: packed query groups x blocks of rows, register tiles, fused top-k.
fn knn_blocked(
    kernels: &Kernels,
    metric: MetricType,
    queries: &[f32],
    rows: Rows<'_>,
    d: usize,
    row_norms: Option<&[f32]>,
    mut results: Results<'_, '_>,
) {
    let tile = &kernels.tile;
    let (qb, rb) = (tile.queries, tile.rows);
    let nq = queries.len() / d;
    let n = rows.len() / d;
    let groups = nq.div_ceil(qb);

    let block = rows_per_block(d, rb);
    // Query packs, padded to whole groups. Rows in several blocks: every group packed
    // once, its pack read again block after block. Rows in one block (k-means' k
    // centroids): each group packed just before its tiles, into one pack that stays
    // in L1, not into a buffer of the task's size that is written out to memory and
    // read back.
    let pack_len = d * qb;
    let lazy = n <= block;
    let mut packs = vec![0.0f32; if lazy { pack_len } else { groups * pack_len }];
    // The queries of group `g`.
    let group = |g: usize| g * qb..((g + 1) * qb).min(nq);
    let pack_group = |g: usize, pack: &mut [f32]| {
        let lanes = group(g);
        pack_queries(queries, d, lanes.start, lanes.len(), qb, pack);
    };
    if !lazy {
        for (g, pack) in packs.chunks_exact_mut(pack_len).enumerate() {
            pack_group(g, pack);
        }
    }
    let l2 = metric == MetricType::L2;
    let mut query_norms = vec![0.0f32; groups * qb];
    let norms_of = |lanes: std::ops::Range<usize>, out: &mut [f32]| {
        let qs = &queries[lanes.start * d..lanes.end * d];
        for (qn, q) in out.iter_mut().zip(qs.chunks_exact(d)) {
            *qn = (kernels.row_norm)(q);
        }
    };
    // Lazy packs take each group's norms from the points just packed (in L1), not in a
    // pass of their own over every point (from memory).
    if l2 && !lazy {
        norms_of(0..nq, &mut query_norms);
    }
    let (finish, best) = if l2 {
        (tile.l2_finish, tile.l2_best)
    } else {
        (tile.ip_finish, tile.ip_best)
    };

    let mut tiles = vec![0.0f32; block * qb];
    let mut norms_scratch = if l2 && row_norms.is_none() {
        vec![0.0f32; block.min(n)]
    } else {
        Vec::new()
    };
    // Unaligned storage is copied a block at a time into aligned scratch (the tiles
    // read it as a slice); the copy is small beside the block's arithmetic.
    let mut staged = Vec::new();
    let mut start = 0;
    while start < n {
        let nb = block.min(n - start);
        let Some(rows_b) = rows.slice(start * d..(start + nb) * d) else {
            return;
        };
        let rows_b = rows_b.as_slice_in(&mut staged);
        let yn: &[f32] = match (l2, row_norms) {
            (false, _) => &[],
            (true, Some(norms)) => &norms[start..start + nb],
            (true, None) => {
                let out = &mut norms_scratch[..nb];
                for (o, row) in out.iter_mut().zip(rows_b.chunks_exact(d)) {
                    *o = (kernels.row_norm)(row);
                }
                out
            }
        };
        for g in 0..groups {
            let lanes = group(g);
            let pack = if lazy {
                pack_group(g, &mut packs);
                if l2 {
                    norms_of(lanes.clone(), &mut query_norms[lanes.clone()]);
                }
                &packs[..]
            } else {
                &packs[g * pack_len..(g + 1) * pack_len]
            };
            let mut k0 = 0;
            while k0 < d {
                let k1 = (k0 + KC).min(d);
                let mut t = 0;
                while t < nb {
                    let span = TileSpan {
                        first_row: t,
                        nrows: rb.min(nb - t),
                        k0,
                        k1,
                        accumulate: k0 > 0,
                    };
                    (tile.ip)(pack, rows_b, d, span, &mut tiles[t * qb..(t + rb) * qb]);
                    t += rb;
                }
                k0 = k1;
            }
            let qn = &query_norms[g * qb..(g + 1) * qb];
            let blk = TileBlock {
                ips: &tiles,
                nb,
                query_norms: qn,
                row_norms: yn,
                first_label: start as i64,
            };
            match &mut results {
                Results::Heaps(heaps) => finish(&blk, &mut heaps[lanes]),
                Results::Best(all) => {
                    let mut part = all.part(lanes);
                    // Rows from `tail` on are Faiss's top-1 leftovers (fused L2 only).
                    let tail = if l2 && tile.fused_top1 {
                        top1_tail(n)
                    } else {
                        n
                    };
                    let cut = tail.saturating_sub(start).min(nb);
                    best(&TileBlock { nb: cut, ..blk }, &mut part);
                    offer_tail(&TileBlock { nb, ..blk }, cut, qb, &mut part);
                }
            }
        }
        start += nb;
    }
}
