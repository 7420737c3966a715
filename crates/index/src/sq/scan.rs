//! Exhaustive k-NN over vectors stored as fixed-size codes (Faiss's `IndexFlatCodes`
//! scan): rows in cache-sized blocks, every query of a task against a block before the
//! next block is read, so a batch reads the codes once per task rather than once per
//! query. Few queries split the rows across threads (partial top-k merged per query);
//! many split the queries.

use std::ops::Range;

use flatl2_kernel::{MetricType, TopK};
use rayon::prelude::*;

use crate::exhaustive::merge_row_parts;
use crate::{IdMatcher, IndexError};

/// Rows per block: 256 codes of a 1536-d 8-bit vector are 384 KiB, of 128-d 32 KiB.
const BLOCK_ROWS: usize = 256;

/// Below this many rows per thread a query's rows are not split.
const MIN_ROWS_PER_SPLIT: usize = 16384;

/// The distances of one query to a block of whole codes, one slot each.
pub(crate) type BlockDistances<'a> =
    dyn Fn(&[f32], &[u8], &mut [f32]) -> Result<(), IndexError> + Sync + 'a;

/// The codes being scanned and how to score them.
pub(crate) struct CodeRows<'a> {
    pub(crate) metric: MetricType,
    pub(crate) d: usize,
    pub(crate) codes: &'a [u8],
    pub(crate) code_size: usize,
    pub(crate) distances: &'a BlockDistances<'a>,
}

/// `nq * k` distances and labels (row positions) of the `k` nearest rows of each query,
/// only rows `selected` accepts when given; Faiss's order and tie rule (candidates reach
/// each heap in ascending row order).
pub(crate) fn knn_codes(
    rows: &CodeRows<'_>,
    queries: &[f32],
    k: usize,
    selected: Option<&IdMatcher<'_>>,
) -> Result<(Vec<f32>, Vec<i64>), IndexError> {
    let d = rows.d;
    let nq = queries.len() / d;
    let n = rows.codes.len() / rows.code_size.max(1);
    let mut dist = vec![rows.metric.worst(); nq * k];
    let mut labels = vec![-1i64; nq * k];
    if nq == 0 || k == 0 || n == 0 {
        return Ok((dist, labels));
    }
    let threads = rayon::current_num_threads().max(1);
    if nq >= threads || threads == 1 || n < 2 * MIN_ROWS_PER_SPLIT {
        let per_task = nq.div_ceil(threads).max(1);
        return dist
            .par_chunks_mut(per_task * k)
            .zip(labels.par_chunks_mut(per_task * k))
            .zip(queries.par_chunks(per_task * d))
            .try_for_each(|((dc, lc), qc)| {
                let heaps = scan_range(rows, qc, 0..n, k, selected)?;
                for ((mut heap, dq), lq) in heaps
                    .into_iter()
                    .zip(dc.chunks_mut(k))
                    .zip(lc.chunks_mut(k))
                {
                    heap.drain_sorted_into(dq, lq);
                }
                Ok(())
            })
            .map(|()| (dist, labels));
    }
    // Few queries, many rows: split the rows, then merge per query.
    let parts = threads.min(n / MIN_ROWS_PER_SPLIT).max(1);
    let per_part = n.div_ceil(parts);
    let metric = rows.metric;
    let partials: Vec<(usize, Vec<f32>, Vec<i64>)> = (0..parts)
        .into_par_iter()
        .map(|p| {
            let range = p * per_part..((p + 1) * per_part).min(n);
            let heaps = scan_range(rows, queries, range, k, selected)?;
            // Labels are already row positions: the part's first label is 0.
            let mut pd = vec![metric.worst(); nq * k];
            let mut pl = vec![-1i64; nq * k];
            for ((mut heap, dq), lq) in heaps
                .into_iter()
                .zip(pd.chunks_mut(k))
                .zip(pl.chunks_mut(k))
            {
                heap.drain_sorted_into(dq, lq);
            }
            Ok((0, pd, pl))
        })
        .collect::<Result<_, IndexError>>()?;
    merge_row_parts(metric, k, &partials, &mut dist, &mut labels);
    Ok((dist, labels))
}

/// One heap per query of `queries`, over rows `range`, block by block.
fn scan_range(
    rows: &CodeRows<'_>,
    queries: &[f32],
    range: Range<usize>,
    k: usize,
    selected: Option<&IdMatcher<'_>>,
) -> Result<Vec<TopK>, IndexError> {
    let cs = rows.code_size;
    let mut heaps: Vec<TopK> = queries
        .chunks_exact(rows.d)
        .map(|_| TopK::new(rows.metric, k))
        .collect();
    let mut buf = vec![0.0f32; BLOCK_ROWS];
    let mut start = range.start;
    while start < range.end {
        let end = (start + BLOCK_ROWS).min(range.end);
        let block = &rows.codes[start * cs..end * cs];
        let out = &mut buf[..end - start];
        for (q, heap) in queries.chunks_exact(rows.d).zip(heaps.iter_mut()) {
            (rows.distances)(q, block, out)?;
            match selected {
                None => heap.push_run(out, start as i64),
                Some(m) => {
                    for (i, &dv) in out.iter().enumerate() {
                        let label = (start + i) as i64;
                        if m.contains(label) {
                            heap.push(dv, label);
                        }
                    }
                }
            }
        }
        start = end;
    }
    Ok(heaps)
}
