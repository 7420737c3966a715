//! Many-to-many search fused with top-k: the full `nq x n` distance matrix is never
//! materialised; rows are visited in blocks that stay in cache.

use crate::dispatch::Kernels;
use crate::topk::{Metric, TopK};

/// Rows per block: 4096 rows of d = 128 is 2 MiB, inside L2 on current server cores.
const ROW_BLOCK: usize = 4096;

/// Arguments already validated by [`Kernels::knn`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn knn(
    kernels: &Kernels,
    metric: Metric,
    queries: &[f32],
    rows: &[f32],
    d: usize,
    _row_norms: Option<&[f32]>,
    k: usize,
    dist_out: &mut [f32],
    labels_out: &mut [i64],
) {
    let nq = queries.len() / d;
    let n = rows.len() / d;
    let mut heaps: Vec<TopK> = (0..nq).map(|_| TopK::new(metric, k)).collect();
    let mut scratch = vec![0.0f32; ROW_BLOCK.min(n)];
    let ny = match metric {
        Metric::L2 => kernels.l2_sqr_ny,
        Metric::InnerProduct => kernels.inner_product_ny,
    };
    let mut start = 0;
    while start < n {
        let end = (start + ROW_BLOCK).min(n);
        let block = &rows[start * d..end * d];
        let out = &mut scratch[..end - start];
        for (qi, heap) in heaps.iter_mut().enumerate() {
            ny(&queries[qi * d..(qi + 1) * d], block, out);
            heap.push_run(out, start as i64);
        }
        start = end;
    }
    for (qi, heap) in heaps.iter_mut().enumerate() {
        heap.drain_sorted_into(
            &mut dist_out[qi * k..(qi + 1) * k],
            &mut labels_out[qi * k..(qi + 1) * k],
        );
    }
}
