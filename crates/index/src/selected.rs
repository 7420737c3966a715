//! Exact k-NN among the rows an [`IdSelector`] selects (Faiss's
//! `SearchParameters.sel` on a flat index). Every selected row is compared with the
//! one-to-one kernel, as Faiss's selector scan does, so its distance is the same
//! whatever else is selected: few selected rows are gathered from their listed ids, many
//! are found by walking the rows (split across threads, then merged). Either way
//! candidates reach the top k in ascending label order, so ties break as in Faiss (the
//! earliest row wins).

use flatl2_kernel::{kernels, MetricType, TopK};
use rayon::prelude::*;

use crate::exhaustive::push_in_label_order;
use crate::{IdSelector, IndexError};

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
    rows: &[f32],
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
    let listed = if sparse {
        let mut ids: Vec<i64> = selector.listed_ids().unwrap_or_default();
        ids.retain(|&id| id >= 0 && (id as u64) < n as u64);
        ids.sort_unstable();
        ids.dedup();
        Some(ids)
    } else {
        None
    };
    dist.par_chunks_mut(k)
        .zip(labels.par_chunks_mut(k))
        .zip(queries.par_chunks(d))
        .try_for_each(|((dc, lc), q)| {
            let mut heap = match &listed {
                Some(ids) => gathered(metric, q, rows, d, k, ids)?,
                None => scanned(metric, q, rows, d, k, selector)?,
            };
            heap.drain_sorted_into(dc, lc);
            Ok::<(), IndexError>(())
        })?;
    Ok((dist, labels))
}

/// The top k of the listed rows (ascending, in range), compared one by one.
fn gathered(
    metric: MetricType,
    q: &[f32],
    rows: &[f32],
    d: usize,
    k: usize,
    ids: &[i64],
) -> Result<TopK, IndexError> {
    let kernels = kernels()?;
    let mut heap = TopK::new(metric, k);
    for &id in ids {
        let row = &rows[id as usize * d..(id as usize + 1) * d];
        let distance = match metric {
            MetricType::L2 => kernels.l2_sqr(q, row)?,
            MetricType::InnerProduct => kernels.inner_product(q, row)?,
        };
        heap.push(distance, id);
    }
    Ok(heap)
}

/// The top k of the selected rows, scanning all rows in blocks; split across threads
/// by row ranges when there are many rows, then merged.
fn scanned(
    metric: MetricType,
    q: &[f32],
    rows: &[f32],
    d: usize,
    k: usize,
    selector: &IdSelector,
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
            scan_range(metric, q, rows, d, k, selector, start, end)
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

/// The top k of the selected rows among `start..end`, each selected row compared with
/// the one-to-one kernel as [`gathered`] does (as Faiss's selector scan does), so a
/// row's distance never depends on its neighbours, the split across threads or the
/// selection's density; unselected rows are never read.
#[allow(clippy::too_many_arguments)]
fn scan_range(
    metric: MetricType,
    q: &[f32],
    rows: &[f32],
    d: usize,
    k: usize,
    selector: &IdSelector,
    start: usize,
    end: usize,
) -> Result<TopK, IndexError> {
    let kernels = kernels()?;
    let matcher = selector.matcher();
    let mut heap = TopK::new(metric, k);
    for row in start..end {
        if !matcher.contains(row as i64) {
            continue;
        }
        let v = &rows[row * d..(row + 1) * d];
        let distance = match metric {
            MetricType::L2 => kernels.l2_sqr(q, v)?,
            MetricType::InnerProduct => kernels.inner_product(q, v)?,
        };
        heap.push(distance, row as i64);
    }
    Ok(heap)
}
