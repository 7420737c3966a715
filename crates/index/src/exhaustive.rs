//! Exhaustive k-NN over a row-major matrix with the kernel's `knn`, spread over the
//! rayon pool: by row ranges (with a merge of the partial top-k) on the direct path or
//! when there are few queries, by query chunks on the blocked path; and the
//! one-to-many distances every scan (flat, IVF lists, selected rows) is made of.

use flatl2_kernel::{kernels, KnnPath, MetricType, Rows, ScanOrder, TopK};
use rayon::prelude::*;

use crate::IndexError;

/// Below this many rows a single thread scans everything for a query.
const MIN_ROWS_PER_SPLIT: usize = 8192;

/// Fewest queries per task on the blocked path: each task streams all rows once, so
/// fewer, larger tasks reuse every row block across more queries.
const MIN_BLOCKED_QUERIES_PER_TASK: usize = 128;

/// Most query bytes per task on the blocked path. A task packs its queries into one
/// buffer; k-means assigning 262,144 points had two tasks of 67 MB each, allocated and
/// page-faulted on every iteration (glibc maps allocations this large afresh each time).
/// Capped tasks reuse buffers the allocator keeps; the rows are then streamed once per
/// task, which for any batch this large costs little beside its arithmetic.
const MAX_BLOCKED_TASK_BYTES: usize = 4 << 20;

/// Faiss's choice, made once for the whole batch (not per task): the blocked
/// `|x|^2 + |y|^2 - 2 x.y` path when `nq * d >= 128000`, one-to-many scans below.
pub(crate) fn batch_path(nq: usize, n: usize, d: usize) -> KnnPath {
    KnnPath::Auto.resolve(nq, n, d)
}

/// Whether [`knn`] may share `n` rows between `threads` threads (when it has fewer
/// queries than threads, or is on the direct path).
fn splits_rows(n: usize, threads: usize) -> bool {
    n >= 2 * MIN_ROWS_PER_SPLIT && threads > 1
}

/// Whether [`knn`] scans one query over `n` rows of dimension `d` with the one-to-many
/// kernel, in row order, on the calling thread alone (no row split, no blocked path):
/// then any scan that feeds a heap the kernel's distances in row order gets its result,
/// ties included.
pub(crate) fn lone_query_is_sequential(n: usize, d: usize) -> bool {
    batch_path(1, n, d) == KnnPath::Direct && !splits_rows(n, rayon::current_num_threads())
}

/// The most queries one `search` call may hold for every query's distances to be,
/// bit for bit, those of its own one-query search: Faiss (and this crate, in flat scans
/// and IVF's coarse quantizer) switch to the `|x|^2 + |y|^2 - 2 x.y` path when
/// `nq * d` reaches 128000, whose last bits differ. At least 1.
pub fn max_direct_queries(d: usize) -> usize {
    KnnPath::max_direct_queries(d)
}

/// `nq * k` distances and labels (row positions) of the `k` nearest rows of each query,
/// in Faiss's order and tie rules. `row_norms` (squared norms of `rows`, L2 only) lets
/// the kernel use its blocked `|x|^2 + |y|^2 - 2 x.y` path.
pub(crate) fn knn<'r>(
    metric: MetricType,
    queries: &[f32],
    rows: impl Into<Rows<'r>>,
    d: usize,
    row_norms: Option<&[f32]>,
    k: usize,
) -> Result<(Vec<f32>, Vec<i64>), IndexError> {
    let rows = rows.into();
    let nq = queries.len() / d;
    let n = rows.len() / d;
    let threads = rayon::current_num_threads().max(1);
    let mut dist = vec![metric.worst(); nq * k];
    let mut labels = vec![-1i64; nq * k];
    if nq == 0 {
        return Ok((dist, labels));
    }
    let path = batch_path(nq, n, d);
    // The direct path splits rows whenever there are enough: each thread then reads its
    // rows once for every query (a query split would have each thread read all rows).
    let split_queries = match path {
        KnnPath::Direct => false,
        _ => nq >= threads,
    };
    if split_queries || !splits_rows(n, threads) {
        // Two tasks per thread balance a shared machine (one thread has nothing to
        // balance: a second task would only stream every row once more); blocked tasks
        // stay large, up to MAX_BLOCKED_TASK_BYTES of queries.
        let tasks = if threads == 1 { 1 } else { 2 * threads };
        let mut per_task = nq.div_ceil(tasks).max(1);
        if path == KnnPath::Blocked {
            let most = (MAX_BLOCKED_TASK_BYTES / (4 * d)).max(MIN_BLOCKED_QUERIES_PER_TASK);
            per_task = per_task.clamp(MIN_BLOCKED_QUERIES_PER_TASK, most);
        }
        dist.par_chunks_mut(per_task * k)
            .zip(labels.par_chunks_mut(per_task * k))
            .zip(queries.par_chunks(per_task * d))
            .try_for_each(|((dc, lc), qc)| {
                kernels()?.knn_via(path, metric, qc, rows, d, row_norms, k, dc, lc)
            })?;
        return Ok((dist, labels));
    }
    // Few queries, many rows: split the rows, then merge per query.
    let parts = threads.min(n / MIN_ROWS_PER_SPLIT).max(1);
    let rows_per_part = n.div_ceil(parts);
    let partials: Vec<(usize, Vec<f32>, Vec<i64>)> = (0..parts)
        .into_par_iter()
        .map(|p| {
            let start = p * rows_per_part;
            let end = ((p + 1) * rows_per_part).min(n);
            let mut pd = vec![metric.worst(); nq * k];
            let mut pl = vec![-1i64; nq * k];
            let norms = row_norms.map(|nr| &nr[start..end]);
            let part = rows.slice(start * d..end * d).unwrap_or(rows);
            kernels()?.knn_via(path, metric, queries, part, d, norms, k, &mut pd, &mut pl)?;
            Ok((start, pd, pl))
        })
        .collect::<Result<_, IndexError>>()?;
    merge_row_parts(metric, k, &partials, &mut dist, &mut labels);
    Ok((dist, labels))
}

/// Merges the top-k lists that scans of disjoint row ranges found, into `dist` /
/// `labels` (`k` slots per query): each part is `(first_label, dists, labels)` with `k`
/// slots per query and labels counted from its `first_label`. Candidates reach each
/// query's heap in ascending label order, so the result is one sequential scan's, ties
/// included.
pub(crate) fn merge_row_parts(
    metric: MetricType,
    k: usize,
    partials: &[(usize, Vec<f32>, Vec<i64>)],
    dist: &mut [f32],
    labels: &mut [i64],
) {
    let nq = dist.len().checked_div(k).unwrap_or(0);
    let mut heap = TopK::new(metric, k);
    let mut cand: Vec<(i64, f32)> = Vec::with_capacity(partials.len() * k);
    for q in 0..nq {
        cand.clear();
        for (start, pd, pl) in partials {
            for j in q * k..(q + 1) * k {
                if pl[j] >= 0 {
                    cand.push((pl[j] + *start as i64, pd[j]));
                }
            }
        }
        push_in_label_order(&mut heap, &mut cand);
        heap.drain_sorted_into(
            &mut dist[q * k..(q + 1) * k],
            &mut labels[q * k..(q + 1) * k],
        );
    }
}

/// Pushes candidates into `heap` in ascending label order, which gives the same result
/// as one sequential scan of all rows (Faiss's tie rule keeps the earliest of equals).
pub(crate) fn push_in_label_order(heap: &mut TopK, cand: &mut [(i64, f32)]) {
    cand.sort_unstable_by_key(|c| c.0);
    for &(l, d) in cand.iter() {
        heap.push(d, l);
    }
}

/// Squared norms of every row, computed in parallel.
pub(crate) fn row_norms<'r>(rows: impl Into<Rows<'r>>, d: usize) -> Result<Vec<f32>, IndexError> {
    let rows = rows.into();
    let kernels = kernels()?;
    let n = rows.len() / d;
    let mut out = vec![0.0f32; n];
    const CHUNK: usize = 4096;
    out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, o)| {
        let first = c * CHUNK;
        // Lengths agree by construction; the kernel cannot fail here.
        if let Some(r) = rows.slice(first * d..(first + o.len()) * d) {
            let _ = kernels.norms_sqr(r, d, o);
        }
    });
    Ok(out)
}

/// Distances from `query` to every row of `rows` with the metric's one-to-many kernel,
/// walking them in `order` (which changes no value).
pub(crate) fn distances_to_rows<'r>(
    metric: MetricType,
    query: &[f32],
    rows: impl Into<Rows<'r>>,
    out: &mut [f32],
    order: ScanOrder,
) -> Result<(), IndexError> {
    match metric {
        MetricType::L2 => kernels()?.l2_sqr_ny_in(query, rows, out, order)?,
        MetricType::InnerProduct => kernels()?.inner_product_ny_in(query, rows, out, order)?,
    }
    Ok(())
}

/// [`distances_to_rows`] for two queries, reading the rows once for both: each value
/// bit for bit the one-query distance.
pub(crate) fn distances_to_rows2<'r>(
    metric: MetricType,
    queries: [&[f32]; 2],
    rows: impl Into<Rows<'r>>,
    outs: [&mut [f32]; 2],
) -> Result<(), IndexError> {
    let ([qa, qb], [out_a, out_b]) = (queries, outs);
    match metric {
        MetricType::L2 => kernels()?.l2_sqr_ny2(qa, qb, rows, out_a, out_b)?,
        MetricType::InnerProduct => kernels()?.inner_product_ny2(qa, qb, rows, out_a, out_b)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flatl2_kernel::BLOCKED_THRESHOLD;

    #[test]
    fn max_direct_queries_is_the_largest_batch_on_the_direct_path() {
        for d in [1, 3, 128, 384, 768, 1536, 127_999, 128_000, 200_000] {
            let q = max_direct_queries(d);
            assert!(q >= 1);
            if d < BLOCKED_THRESHOLD {
                assert_eq!(batch_path(q, 10, d), KnnPath::Direct, "d = {d}");
                assert_eq!(batch_path(q + 1, 10, d), KnnPath::Blocked, "d = {d}");
            } else {
                assert_eq!(q, 1);
            }
        }
    }

    /// A blocked batch large enough to be cut into capped tasks returns, bit for bit,
    /// what the same queries return in small batches of one task each.
    #[test]
    fn capped_blocked_tasks_change_no_bit() {
        let d = 2048;
        let most = MAX_BLOCKED_TASK_BYTES / (4 * d);
        let nq = 3 * most + 17;
        let n = 70;
        let mut rng = crate::rng::Mt19937::new(7);
        let rows: Vec<f32> = (0..n * d).map(|_| rng.next_f32() - 0.5).collect();
        let queries: Vec<f32> = (0..nq * d).map(|_| rng.next_f32() - 0.5).collect();
        let norms = row_norms(&rows, d).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let small = MIN_BLOCKED_QUERIES_PER_TASK;
        assert_eq!(batch_path(small, n, d), KnnPath::Blocked);
        for metric in [MetricType::L2, MetricType::InnerProduct] {
            let norms = (metric == MetricType::L2).then_some(&norms[..]);
            let (dist, labels) =
                pool.install(|| knn(metric, &queries, &rows, d, norms, 5).unwrap());
            for (c, chunk) in queries.chunks(small * d).enumerate() {
                if chunk.len() < BLOCKED_THRESHOLD {
                    continue;
                }
                let (dc, lc) = pool.install(|| knn(metric, chunk, &rows, d, norms, 5).unwrap());
                let at = c * small * 5..c * small * 5 + dc.len();
                assert_eq!(lc, labels[at.clone()], "{metric:?} chunk {c}");
                assert_eq!(dc, dist[at], "{metric:?} chunk {c}");
            }
        }
    }
}
