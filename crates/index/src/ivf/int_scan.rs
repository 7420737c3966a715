//! IVF lists of 8-bit codes scanned with integer dot products (`sq/int_scan.rs`) in a
//! batch scanned list by list: per (query, list), the query (its residual from the
//! list's centroid, for L2 by residual) is folded into integer weights, the list's
//! codes get approximate distances within a known bound of the float scan's, ranked in
//! a heap of `k`, and only the codes within twice that bound of its k-th are scored
//! exactly (with the float kernel, one code at a time): every code whose exact
//! distance is at most the list's exact k-th is among them, so the list's survivors,
//! and the results, are the float scan's, ties included
//! ([`IvfSqIndex::int_candidates`]).
//!
//! Per code, the integer dot product takes fewer operations than decoding to floats,
//! and from cache it runs at about twice its speed from memory. A batch scanned list
//! by list reads each list from memory once, for its first member query, and from
//! cache for the others: there the integers pay. A query scanned list after list
//! waits on memory for every list, and decodes to floats as fast (`docs/benchmarks.md`).
//!
//! L2 needs each code's squared norm (`sum_j (scale_j c_j)^2`); they are computed for a
//! list the first time a search scans it in integers (`norms.rs`) and forgotten by
//! every change to the lists or the codec.

use std::any::Any;

use flatl2_kernel::{MetricType, ScanOrder, TopK};

use super::{emptied, IvfIndex, IvfSqIndex, ListCodec};
use crate::sq::{keep_limit, limit_f32, Sq8Query};
use crate::IndexError;

/// A query folded for one list: what its codes are compared with, what is added to
/// each distance, and the codes' norms (L2).
struct Folded<'a> {
    q: &'a [f32],
    added: Option<f32>,
    norms: &'a [f32],
}

/// The approximation past which a code cannot be among the `k` nearest of a heap of
/// approximations whose k-th is `at`: twice the error bound beyond it (adding `added`
/// rounds once more on both sides).
fn limit(metric: MetricType, approx: &Sq8Query, added: Option<f32>, at: f32) -> f32 {
    let eps = f64::from(f32::EPSILON);
    let shift = added.map_or(0.0, |qc| 4.0 * eps * f64::from(qc.abs() + at.abs()));
    limit_f32(metric, keep_limit(metric, at, approx.slack(at) + shift))
}

/// Working space of [`IvfSqIndex::int_candidates`], kept from list to list; its
/// `dists` and `ids` hold the last list's candidates.
#[derive(Default)]
pub(super) struct Candidates {
    approx: Sq8Query,
    approx_dists: Vec<f32>,
    resid: Vec<f32>,
    heap: Option<TopK>,
    /// The candidates' exact distances, in stored order.
    pub(super) dists: Vec<f32>,
    /// The candidates' ids.
    pub(super) ids: Vec<i64>,
}

impl<C: ListCodec> IvfIndex<C> {
    /// This index as an IVF-SQ index whose lists are scanned in integers (8-bit codes
    /// of at most `INT_SCAN_MAX_D` coordinates; a query whose weights are not finite
    /// still takes the float scan); `None` for any other.
    pub(super) fn int_scanned(&self) -> Option<&IvfSqIndex> {
        (self as &dyn Any)
            .downcast_ref::<IvfSqIndex>()
            .filter(|index| index.codec.sq.scans_in_integers())
    }
}

impl IvfSqIndex {
    /// `query` folded for list `p` into `approx`, compared with the codes as
    /// `SqCodec::distances` compares it (`SqCodec::compared_query`, its residual into
    /// `resid` where compared by residual). `None` where the float scan must be used.
    fn fold<'a>(
        &'a self,
        query: &'a [f32],
        p: usize,
        resid: &'a mut Vec<f32>,
        approx: &mut Sq8Query,
    ) -> Result<Option<Folded<'a>>, IndexError> {
        let sq = &self.codec.sq;
        if !sq.scans_in_integers() {
            return Ok(None);
        }
        let metric = self.metric;
        let (q, added) = self
            .codec
            .compared_query(metric, query, &self.centroid(p), resid)?;
        if added.is_some_and(|qc| !qc.is_finite()) || !sq.int_query_into(metric, q, approx) {
            return Ok(None);
        }
        let norms: &[f32] = match metric {
            MetricType::L2 => match self.list_norms(p)? {
                // One norm per code, or the float scan (a guard: every change to the
                // lists forgets their norms).
                Some(norms) if norms.len() == self.list_ids(p).len() => norms,
                _ => return Ok(None),
            },
            MetricType::InnerProduct => &[],
        };
        Ok(Some(Folded { q, added, norms }))
    }

    /// The exact distance of `code`, folded as `f`: `SqCodec::distances` of this one
    /// code, to the bit.
    fn exact(&self, f: &Folded<'_>, code: &[u8]) -> Result<f32, IndexError> {
        let mut one = [0.0f32];
        self.codec
            .sq
            .distances(self.metric, f.q, code, &mut one, ScanOrder::Cached)?;
        Ok(f.added.map_or(one[0], |qc| one[0] + qc))
    }

    /// List `p`'s candidates to be among the `k` nearest of `query` within the list,
    /// with their exact distances, in stored order, into `ws.dists` / `ws.ids`:
    /// the list's approximations ranked in a heap of `k`, and the codes within twice
    /// the error bound of its k-th scored exactly. Every code whose exact distance is
    /// at most the list's exact k-th is among them (at least `k` codes are exactly
    /// within one bound of the approximate k-th), so the k nearest of the candidates,
    /// and those tied with or better than their k-th, are the list's. `Ok(false)`
    /// where the query takes the float scan.
    pub(super) fn int_candidates(
        &self,
        query: &[f32],
        p: usize,
        k: usize,
        ws: &mut Candidates,
    ) -> Result<bool, IndexError> {
        let metric = self.metric;
        let Candidates {
            approx,
            approx_dists,
            resid,
            heap,
            dists,
            ids: kept_ids,
        } = ws;
        let Some(f) = self.fold(query, p, resid, approx)? else {
            return Ok(false);
        };
        let cs = self.codec.sq.code_size();
        let (codes, ids) = (self.list_codes(p), self.list_ids(p));
        approx_dists.resize(ids.len(), 0.0);
        approx.distances(codes, f.norms, approx_dists)?;
        if let Some(qc) = f.added {
            approx_dists.iter_mut().for_each(|o| *o += qc);
        }
        let heap = emptied(heap, metric, k);
        heap.push_run(approx_dists, 0);
        let lim = limit(metric, approx, f.added, heap.threshold());
        dists.clear();
        kept_ids.clear();
        for ((&dv, &id), code) in approx_dists.iter().zip(ids).zip(codes.chunks_exact(cs)) {
            let within = match metric {
                MetricType::L2 => dv <= lim,
                MetricType::InnerProduct => dv >= lim,
            };
            if within {
                dists.push(self.exact(&f, code)?);
                kept_ids.push(id);
            }
        }
        Ok(true)
    }

    /// The squared norms of list `p`'s codes, computed on first use (`None` for a list
    /// the index does not have).
    fn list_norms(&self, p: usize) -> Result<Option<&[f32]>, IndexError> {
        let Some(cell) = self.code_norms.cell(p) else {
            return Ok(None);
        };
        if let Some(norms) = cell.get() {
            return Ok(Some(norms));
        }
        let mut norms = Vec::with_capacity(self.list_ids(p).len());
        self.codec
            .sq
            .code_norms_into(self.list_codes(p), &mut norms)?;
        Ok(Some(cell.get_or_init(|| norms)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sq::QuantizerType;
    use crate::{IdSelector, Index, SearchParams};

    /// The kinds of values a test index holds.
    #[derive(Clone, Copy, Debug)]
    enum Values {
        /// Uniform in [0, 1).
        Uniform,
        /// Small integers: many ties.
        Ints,
        /// Uniform in [10^4, 10^4 + 1): the float kernels' decode rounds by an ulp of
        /// 10^4, which the error bound must cover (codes of the vectors, not residuals).
        Far,
    }

    /// Deterministic values of a kind.
    fn data(n: usize, d: usize, seed: u64, kind: Values) -> Vec<f32> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n * d)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let u = (x >> 40) as f32 / (1u64 << 24) as f32;
                match kind {
                    Values::Uniform => u,
                    Values::Ints => (u * 5.0).floor(),
                    Values::Far => 10_000.0 + u,
                }
            })
            .collect()
    }

    /// The entries of `(dists, ids)` tied with or better than their k-th, in order.
    fn survivors(metric: MetricType, k: usize, dists: &[f32], ids: &[i64]) -> Vec<(f32, i64)> {
        let mut heap = TopK::new(metric, k);
        heap.push_run(dists, 0);
        let kth = heap.threshold();
        dists
            .iter()
            .zip(ids)
            .filter(|(&dv, _)| !metric.is_better(kth, dv))
            .map(|(&dv, &id)| (dv, id))
            .collect()
    }

    /// Each list's candidates for every query hold the float scan's survivors
    /// exactly, and a batch (scanned list by list, through the candidates) returns
    /// what each query alone returns (scanned list after list with the float kernel),
    /// bit for bit.
    fn check(index: &IvfSqIndex, queries: &[f32], what: &str) {
        let (d, nlist, metric) = (index.d, index.nlist(), index.metric);
        let mut ws = Candidates::default();
        let mut resid = Vec::new();
        for (i, q) in queries.chunks_exact(d).enumerate() {
            for k in [1, 10, 60] {
                for p in 0..nlist {
                    let ids = index.list_ids(p);
                    let mut dists = vec![0.0f32; ids.len()];
                    index.list_distances(q, p, &mut dists, &mut resid).unwrap();
                    assert!(index.int_candidates(q, p, k, &mut ws).unwrap());
                    let want = survivors(metric, k, &dists, ids);
                    let got = survivors(metric, k, &ws.dists, &ws.ids);
                    let tag = format!("{what} q{i} k{k} list {p}");
                    assert_eq!(got.len(), want.len(), "{tag}");
                    for (g, w) in got.iter().zip(&want) {
                        assert_eq!((g.0.to_bits(), g.1), (w.0.to_bits(), w.1), "{tag}");
                    }
                }
            }
        }
        let nq = queries.len() / d;
        assert!(nq >= 32, "a batch scanned list by list");
        for (nprobe, k) in [(1, 10), (3, 10), (4, 60)] {
            let params = SearchParams::with_nprobe(nprobe);
            let batch = index.search(queries, k, Some(&params)).unwrap();
            for (i, q) in queries.chunks_exact(d).enumerate() {
                let lone = index.search(q, k, Some(&params)).unwrap();
                let tag = format!("{what} q{i} nprobe {nprobe} k {k}");
                assert_eq!(lone.labels, batch.labels[i * k..(i + 1) * k], "{tag}");
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&lone.distances),
                    bits(&batch.distances[i * k..(i + 1) * k])
                );
            }
        }
    }

    /// The integer candidates hold the float scan's survivors under both metrics, with
    /// codes of residuals and of the vectors, on uniform values and on a coarse grid
    /// (ties), and again after every change to the lists (their code norms are
    /// recomputed).
    #[test]
    fn integer_candidates_hold_the_float_survivors_through_changes() {
        for metric in [MetricType::L2, MetricType::InnerProduct] {
            for by_residual in [true, false] {
                for kind in [Values::Uniform, Values::Ints, Values::Far] {
                    let d = if matches!(kind, Values::Uniform) {
                        37
                    } else {
                        8
                    };
                    let what = format!("{metric:?} residual {by_residual} {kind:?}");
                    let mut index = IvfSqIndex::new(d, 4, QuantizerType::Sq8, metric).unwrap();
                    index.codec.by_residual = by_residual;
                    let xb = data(1500, d, 1, kind);
                    index.train(&xb).unwrap();
                    index.add(&xb).unwrap();
                    let xq = data(40, d, 2, kind);
                    assert!(index.int_scanned().is_some());
                    check(&index, &xq, &format!("{what} built"));
                    index.add(&data(700, d, 3, kind)).unwrap();
                    check(&index, &xq, &format!("{what} added"));
                    let removed = index.remove_ids(&IdSelector::range(100, 900)).unwrap();
                    assert_eq!(removed, 800);
                    check(&index, &xq, &format!("{what} removed"));
                    let mut other = index.clone();
                    other.reset();
                    other.add(&data(900, d, 4, kind)).unwrap();
                    // Compute the other's norms, which the merge must not carry over.
                    check(&other, &xq, &format!("{what} other"));
                    index.merge_from_with_offset(&mut other, 5000).unwrap();
                    check(&index, &xq, &format!("{what} merged"));
                    index.reset();
                    index.add(&data(500, d, 5, kind)).unwrap();
                    check(&index, &xq, &format!("{what} reset"));
                }
            }
        }
    }
}
