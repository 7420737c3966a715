//! Exact k-NN among the rows an [`IdSelector`] selects (Faiss's
//! `SearchParameters.sel` on a flat index). Every selected row is compared with the
//! one-to-one kernel, as Faiss's selector scan does, so its distance is the same
//! whatever else is selected: few selected rows are gathered from their listed ids, many
//! are found by walking the rows (split across threads, then merged). Either way
//! candidates reach the top k in ascending label order, so ties break as in Faiss (the
//! earliest row wins).

use flatl2_kernel::{kernels, MetricType, Rows, TopK};
use rayon::prelude::*;

use crate::exhaustive::push_in_label_order;
use crate::{IdMatcher, IdSelector, IndexError};

/// A selector that lists at most `n / SPARSE_RATIO` of `n` rows is gathered row by row
/// instead of scanned.
const SPARSE_RATIO: usize = 8;

/// Below this many rows one thread scans everything for a query.
const MIN_ROWS_PER_SPLIT: usize = 16384;

/// `nq * k` distances and labels of the `k` nearest selected rows of each query, in
/// Faiss's order (labels are row positions; unfilled slots are `(worst, -1)`).
pub(crate) fn knn_selected(
    metric: MetricType,
    queries: &[f32],
    rows: Rows<'_>,
    d: usize,
    k: usize,
    selector: &IdSelector,
) -> Result<(Vec<f32>, Vec<i64>), IndexError> {
    let nq = queries.len() / d;
    let n = rows.len() / d;
    let mut dist = vec![metric.worst(); nq * k];
    let mut labels = vec![-1i64; nq * k];
    if nq == 0 || k == 0 {
        return Ok((dist, labels));
    }
    let sparse = selector
        .count()
        .is_some_and(|c| c.saturating_mul(SPARSE_RATIO) <= n);
    // Prepared once for all queries: the listed rows, or the membership test.
    let selection = if sparse {
        let mut ids: Vec<i64> = selector.listed_ids().unwrap_or_default();
        ids.retain(|&id| id >= 0 && (id as u64) < n as u64);
        ids.sort_unstable();
        ids.dedup();
        Selection::Listed(ids)
    } else {
        Selection::Matching(selector.matcher())
    };
    dist.par_chunks_mut(k)
        .zip(labels.par_chunks_mut(k))
        .zip(queries.par_chunks(d))
        .try_for_each(|((dc, lc), q)| {
            let mut heap = match &selection {
                Selection::Listed(ids) => {
                    top_k_of(metric, q, rows, d, k, ids.iter().map(|&id| id as usize))?
                }
                Selection::Matching(matcher) => scanned(metric, q, rows, d, k, matcher)?,
            };
            heap.drain_sorted_into(dc, lc);
            Ok::<(), IndexError>(())
        })?;
    Ok((dist, labels))
}

/// How the selected rows are found: listed (few), or by testing every row (many).
enum Selection<'a> {
    Listed(Vec<i64>),
    Matching(IdMatcher<'a>),
}

/// The top k of the selected rows, walking all rows; split across threads by row
/// ranges when there are many rows, then merged.
fn scanned(
    metric: MetricType,
    q: &[f32],
    rows: Rows<'_>,
    d: usize,
    k: usize,
    matcher: &IdMatcher<'_>,
) -> Result<TopK, IndexError> {
    let n = rows.len() / d;
    let threads = rayon::current_num_threads().max(1);
    let parts = threads.min(n / MIN_ROWS_PER_SPLIT).max(1);
    let rows_per_part = n.div_ceil(parts);
    let partials: Vec<TopK> = (0..parts)
        .into_par_iter()
        .map(|p| {
            let start = p * rows_per_part;
            let end = ((p + 1) * rows_per_part).min(n);
            let selected = (start..end).filter(|&row| matcher.contains(row as i64));
            top_k_of(metric, q, rows, d, k, selected)
        })
        .collect::<Result<_, IndexError>>()?;
    if partials.len() == 1 {
        return Ok(partials.into_iter().next().expect("one part"));
    }
    let mut cand: Vec<(i64, f32)> = Vec::with_capacity(parts * k);
    for part in partials {
        let (ds, ls) = part.into_sorted();
        cand.extend(ls.into_iter().zip(ds).filter(|(l, _)| *l >= 0));
    }
    let mut heap = TopK::new(metric, k);
    push_in_label_order(&mut heap, &mut cand);
    Ok(heap)
}

/// The top k of `selected` (ascending rows, in range), each compared with the
/// one-to-one kernel, as Faiss's selector scan does: a row's distance never depends on
/// its neighbours, the split across threads or the selection's density, and rows not
/// selected are never read.
fn top_k_of(
    metric: MetricType,
    q: &[f32],
    rows: Rows<'_>,
    d: usize,
    k: usize,
    selected: impl Iterator<Item = usize>,
) -> Result<TopK, IndexError> {
    let kernels = kernels()?;
    let mut heap = TopK::new(metric, k);
    // Unaligned (mapped) rows are copied one at a time into `buf` for the pair kernel.
    let mut buf = Vec::new();
    for row in selected {
        let v = rows
            .slice(row * d..(row + 1) * d)
            .ok_or(IndexError::UnknownId(row as i64))?
            .as_slice_in(&mut buf);
        let distance = match metric {
            MetricType::L2 => kernels.l2_sqr(q, v)?,
            MetricType::InnerProduct => kernels.inner_product(q, v)?,
        };
        heap.push(distance, row as i64);
    }
    Ok(heap)
}
