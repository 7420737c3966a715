//! Exhaustive k-NN over vectors stored as fixed-size codes (Faiss's `IndexFlatCodes`
//! scan): rows in cache-sized blocks, every query of a task against a block before the
//! next block is read, so a batch reads the codes once per task rather than once per
//! query. Few queries split the rows across threads (partial top-k merged per query);
//! many split the queries.
//!
//! A scorer may compute approximate distances with a known error (8-bit codes scanned
//! in integers): the scan then ranks the approximations, keeps every row that could be
//! among the exact k nearest (within twice the error of the running k-th), and rescores
//! those with the exact distance, so the result is the one an exact scan returns, ties
//! and all.

use std::ops::Range;

use flatl2_kernel::{MetricType, ScanOrder, TopK};
use rayon::prelude::*;

use crate::exhaustive::merge_row_parts;
use crate::{IdMatcher, IndexError};

/// Rows per block: 256 codes of a 1536-d 8-bit vector are 384 KiB, of 128-d 32 KiB.
const BLOCK_ROWS: usize = 256;

/// Below this many rows per thread a query's rows are not split.
const MIN_ROWS_PER_SPLIT: usize = 16384;

/// How a scan scores codes: each query is prepared once, then scored block by block.
pub(crate) trait CodeScorer: Sync {
    /// A query made ready for scoring, with any working space it needs.
    type Query: Send;

    /// Prepares query `q` (`d` values).
    fn prepare(&self, q: &[f32]) -> Result<Self::Query, IndexError>;

    /// Distances of `query` to the rows `first .. first + out.len()`, whose whole codes
    /// are `codes`, one slot of `out` each: exact, or approximate within
    /// [`CodeScorer::slack`]. `order` says how a kernel that can walk rows either way
    /// should (it changes no value).
    fn score(
        &self,
        query: &mut Self::Query,
        first: usize,
        codes: &[u8],
        out: &mut [f32],
        order: ScanOrder,
    ) -> Result<(), IndexError>;

    /// `None` when `score` is exact for `query`; otherwise how far its distances near
    /// `at` may be from the exact ones.
    fn slack(&self, query: &Self::Query, at: f32) -> Option<f64>;

    /// The exact distances of `query` to the whole codes `codes` (any rows: a code's
    /// distance does not depend on the rows scored with it), one slot of `out` each.
    fn exact(
        &self,
        query: &mut Self::Query,
        codes: &[u8],
        out: &mut [f32],
    ) -> Result<(), IndexError>;
}

/// Most rows a query keeps for rescoring beyond `4 k`, before it prunes them.
const MAX_EXTRA_CANDIDATES: usize = 4096;

/// The rows an approximate scan of one query keeps for rescoring, in row order.
#[derive(Default)]
struct Candidates {
    rows: Vec<(i64, f32)>,
    /// Too many rows stay within the error of the k-th: the query is rescanned exactly
    /// instead.
    overflow: bool,
}

/// The distance past which a row cannot be among the exact k nearest, for a heap of
/// approximations whose current k-th is `at`: twice the slack beyond it (f64, so that
/// an empty heap's `worst()` does not overflow).
pub(crate) fn keep_limit(metric: MetricType, at: f32, slack: f64) -> f64 {
    match metric {
        MetricType::L2 => f64::from(at) + 2.0 * slack,
        MetricType::InnerProduct => f64::from(at) - 2.0 * slack,
    }
}

/// `limit` as an f32 rounded away from the kept side's inside, so that comparing f32
/// distances with it keeps every row the f64 limit keeps.
pub(crate) fn limit_f32(metric: MetricType, limit: f64) -> f32 {
    let l = limit as f32;
    match metric {
        MetricType::L2 if f64::from(l) < limit => l.next_up(),
        MetricType::InnerProduct if f64::from(l) > limit => l.next_down(),
        _ => l,
    }
}

/// Appends to `cand` the rows (`start ..`) of `out` within `limit` (see
/// [`keep_limit`]) that `selected` accepts, in row order. Most blocks hold none: a
/// branch-free test per chunk (which vectorises) skips chunks whole.
fn keep_candidates(
    metric: MetricType,
    out: &[f32],
    start: usize,
    limit: f64,
    selected: Option<&IdMatcher<'_>>,
    cand: &mut Vec<(i64, f32)>,
) {
    const CHUNK: usize = 16;
    let lim = limit_f32(metric, limit);
    for (c, chunk) in out.chunks(CHUNK).enumerate() {
        let any = match metric {
            MetricType::L2 => chunk.iter().fold(false, |a, &d| a | (d <= lim)),
            MetricType::InnerProduct => chunk.iter().fold(false, |a, &d| a | (d >= lim)),
        };
        if !any {
            continue;
        }
        for (i, &dv) in chunk.iter().enumerate() {
            let label = (start + c * CHUNK + i) as i64;
            let keep = match metric {
                MetricType::L2 => dv <= lim,
                MetricType::InnerProduct => dv >= lim,
            };
            if keep && selected.is_none_or(|m| m.contains(label)) {
                cand.push((label, dv));
            }
        }
    }
}

/// The codes being scanned and how to score them.
pub(crate) struct CodeRows<'a, S> {
    pub(crate) metric: MetricType,
    pub(crate) d: usize,
    pub(crate) codes: &'a [u8],
    pub(crate) code_size: usize,
    pub(crate) scorer: &'a S,
}

/// `nq * k` distances and labels (row positions) of the `k` nearest rows of each query,
/// only rows `selected` accepts when given; Faiss's order and tie rule (candidates reach
/// each heap in ascending row order).
pub(crate) fn knn_codes<S: CodeScorer>(
    rows: &CodeRows<'_, S>,
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
fn scan_range<S: CodeScorer>(
    rows: &CodeRows<'_, S>,
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
    let mut prepared = queries
        .chunks_exact(rows.d)
        .map(|q| rows.scorer.prepare(q))
        .collect::<Result<Vec<_>, IndexError>>()?;
    let mut cands: Vec<Candidates> = heaps.iter().map(|_| Candidates::default()).collect();
    let metric = rows.metric;
    let cap = 4 * k + MAX_EXTRA_CANDIDATES;
    let mut buf = vec![0.0f32; BLOCK_ROWS];
    // The task's first query reads each block from where the codes lie (memory, for a
    // large index); the others find it in cache.
    let first_order = ScanOrder::for_bytes(rows.codes.len());
    let mut start = range.start;
    while start < range.end {
        let end = (start + BLOCK_ROWS).min(range.end);
        let block = &rows.codes[start * cs..end * cs];
        let out = &mut buf[..end - start];
        let lanes = prepared
            .iter_mut()
            .zip(heaps.iter_mut())
            .zip(cands.iter_mut());
        for (lane, ((q, heap), cand)) in lanes.enumerate() {
            let order = if lane == 0 {
                first_order
            } else {
                ScanOrder::Cached
            };
            rows.scorer.score(q, start, block, out, order)?;
            let Some(slack) = rows.scorer.slack(q, heap.threshold()) else {
                push_block(heap, out, start, selected);
                continue;
            };
            // Approximations: the heap ranks them; rows that may be among the exact k
            // nearest are kept for rescoring (the limit only tightens as the heap fills,
            // so the block's first limit keeps a superset).
            let limit = keep_limit(metric, heap.threshold(), slack);
            push_block(heap, out, start, selected);
            if !cand.overflow {
                keep_candidates(metric, out, start, limit, selected, &mut cand.rows);
            }
            if cand.rows.len() > cap {
                let lim = limit_f32(metric, keep_limit(metric, heap.threshold(), slack));
                cand.rows.retain(|&(_, dv)| match metric {
                    MetricType::L2 => dv <= lim,
                    MetricType::InnerProduct => dv >= lim,
                });
                if cand.rows.len() > cap / 2 {
                    cand.overflow = true;
                    cand.rows = Vec::new();
                }
            }
        }
        start = end;
    }
    for ((q, heap), cand) in prepared.iter_mut().zip(heaps.iter_mut()).zip(cands) {
        if rows.scorer.slack(q, heap.threshold()).is_none() {
            continue;
        }
        heap.reset();
        if cand.overflow {
            rescan_exactly(rows, q, range.clone(), heap, selected, &mut buf)?;
            continue;
        }
        let mut one = [0.0f32];
        for (label, _) in cand.rows {
            let row = label as usize;
            rows.scorer
                .exact(q, &rows.codes[row * cs..(row + 1) * cs], &mut one)?;
            heap.push(one[0], label);
        }
    }
    Ok(heaps)
}

/// Offers a block's distances (rows `start ..`) to `heap`, only rows `selected` accepts
/// when given.
fn push_block(heap: &mut TopK, out: &[f32], start: usize, selected: Option<&IdMatcher<'_>>) {
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

/// Scans rows `range` for one query with exact distances into `heap`.
fn rescan_exactly<S: CodeScorer>(
    rows: &CodeRows<'_, S>,
    q: &mut S::Query,
    range: Range<usize>,
    heap: &mut TopK,
    selected: Option<&IdMatcher<'_>>,
    buf: &mut [f32],
) -> Result<(), IndexError> {
    let cs = rows.code_size;
    let mut start = range.start;
    while start < range.end {
        let end = (start + BLOCK_ROWS).min(range.end);
        let out = &mut buf[..end - start];
        rows.scorer
            .exact(q, &rows.codes[start * cs..end * cs], out)?;
        push_block(heap, out, start, selected);
        start = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IdSelector;

    /// A one-byte code `c` is at exact distance `c`; its approximate distance is off
    /// by up to `slack`, in a fixed pattern over the rows.
    struct Noisy {
        slack: f64,
    }

    impl Noisy {
        fn noise(&self, row: usize) -> f32 {
            let unit = ((row * 7919) % 201) as f64 / 100.0 - 1.0;
            (unit * self.slack) as f32
        }
    }

    impl CodeScorer for Noisy {
        type Query = ();

        fn prepare(&self, _q: &[f32]) -> Result<(), IndexError> {
            Ok(())
        }

        fn score(
            &self,
            _query: &mut (),
            first: usize,
            codes: &[u8],
            out: &mut [f32],
            _order: ScanOrder,
        ) -> Result<(), IndexError> {
            for (i, (o, &c)) in out.iter_mut().zip(codes).enumerate() {
                *o = f32::from(c) + self.noise(first + i);
            }
            Ok(())
        }

        fn slack(&self, _query: &(), _at: f32) -> Option<f64> {
            Some(self.slack)
        }

        fn exact(&self, _query: &mut (), codes: &[u8], out: &mut [f32]) -> Result<(), IndexError> {
            for (o, &c) in out.iter_mut().zip(codes) {
                *o = f32::from(c);
            }
            Ok(())
        }
    }

    /// Approximations that reorder the rows (ties everywhere, noise of 3 codes) still
    /// give the exact scan's result, ties resolved as Faiss does; so do rows all alike
    /// (more candidates than are kept: the query is rescanned).
    #[test]
    fn approximate_scores_give_the_exact_result() {
        let mut s = 12345u64;
        let varied: Vec<u8> = (0..3000)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s % 50) as u8
            })
            .collect();
        let alike = vec![9u8; 6000];
        let every_third = IdSelector::batch((0..6000).filter(|i| i % 3 == 0));
        let matcher = every_third.matcher();
        let scorer = Noisy { slack: 3.0 };
        for codes in [&varied, &alike] {
            for metric in [MetricType::L2, MetricType::InnerProduct] {
                let rows = CodeRows {
                    metric,
                    d: 1,
                    codes,
                    code_size: 1,
                    scorer: &scorer,
                };
                for k in [1, 5, 40, codes.len() + 3] {
                    for selected in [None, Some(&matcher)] {
                        let (dist, labels) = knn_codes(&rows, &[0.0, 0.0], k, selected).unwrap();
                        let mut exact = TopK::new(metric, k);
                        for (i, &c) in codes.iter().enumerate() {
                            if selected.is_none_or(|m| m.contains(i as i64)) {
                                exact.push(f32::from(c), i as i64);
                            }
                        }
                        let (want_d, want_l) = exact.into_sorted();
                        let what = format!(
                            "{metric:?} n={} k={k} sel={}",
                            codes.len(),
                            selected.is_some()
                        );
                        assert_eq!(&labels[..k], &want_l[..], "{what}");
                        assert_eq!(&labels[k..], &want_l[..], "{what}");
                        assert_eq!(&dist[..k], &want_d[..], "{what}");
                    }
                }
            }
        }
    }
}
