//! What the exhaustive indexes that store one fixed-size row per vector (flat,
//! scalar quantizer) do alike: range search over all rows, and removal by compaction.
//! Labels are row positions.

use rayon::prelude::*;

use crate::{IdSelector, IndexError, MetricType, RangeSearchResult};

/// Every row within `radius` of each query (`d` values each), from `distances`, which
/// fills one query's distances to all `n` rows; then only the rows `selector` picks.
pub(crate) fn range_over_rows(
    metric: MetricType,
    queries: &[f32],
    d: usize,
    n: usize,
    radius: f32,
    selector: Option<&IdSelector>,
    distances: impl Fn(&[f32], &mut [f32]) -> Result<(), IndexError> + Sync,
) -> Result<RangeSearchResult, IndexError> {
    let per_query = queries
        .par_chunks(d)
        .map(|q| {
            let mut dist = vec![0.0f32; n];
            if n > 0 {
                distances(q, &mut dist)?;
            }
            let mut ds = Vec::new();
            let mut ls = Vec::new();
            for (i, &dv) in dist.iter().enumerate() {
                if metric.within_radius(dv, radius) {
                    ds.push(dv);
                    ls.push(i as i64);
                }
            }
            Ok((ds, ls))
        })
        .collect::<Result<Vec<_>, IndexError>>()?;
    let result = RangeSearchResult::from_per_query(per_query);
    Ok(match selector {
        Some(selector) => result.retain_selected(selector),
        None => result,
    })
}

/// Removes the rows `sel` selects from `data` (rows of `unit` values), moving later
/// rows down; returns the values kept (the caller truncates to them) and how many
/// rows went.
pub(crate) fn remove_rows<T: Copy>(
    data: &mut [T],
    unit: usize,
    sel: &IdSelector,
) -> (usize, usize) {
    let m = sel.matcher();
    let n = data.len() / unit.max(1);
    let mut kept = 0usize;
    for i in 0..n {
        if m.contains(i as i64) {
            continue;
        }
        if kept != i {
            data.copy_within(i * unit..(i + 1) * unit, kept * unit);
        }
        kept += 1;
    }
    (kept * unit, n - kept)
}
