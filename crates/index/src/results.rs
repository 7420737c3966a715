//! What a search takes besides the queries, and what it returns.

use crate::IdSelector;

/// Per-call search parameters (Faiss's `SearchParameters`); `None` fields fall back to
/// the index's own setting, and the index is never mutated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SearchParams<'a> {
    /// Inverted lists to visit per query (IVF indexes only; clamped to `nlist`).
    pub nprobe: Option<usize>,
    /// Only these labels may be returned (Faiss's `sel`): the search runs among them
    /// (for IVF, among those in the probed lists), it does not filter the unfiltered
    /// top k. Indexes that cannot honour it fail with `IndexError::Unsupported` rather
    /// than ignore it.
    pub selector: Option<&'a IdSelector>,
    /// Candidates kept while searching an HNSW graph (Faiss's `efSearch`; HNSW
    /// indexes only, at least 1).
    pub ef_search: Option<usize>,
}

impl SearchParams<'_> {
    /// Parameters with only `nprobe` set.
    pub fn with_nprobe(nprobe: usize) -> SearchParams<'static> {
        SearchParams {
            nprobe: Some(nprobe),
            ..SearchParams::default()
        }
    }

    /// Parameters with only `ef_search` set.
    pub fn with_ef_search(ef_search: usize) -> SearchParams<'static> {
        SearchParams {
            ef_search: Some(ef_search),
            ..SearchParams::default()
        }
    }
}

impl<'a> SearchParams<'a> {
    /// Parameters with only `selector` set.
    pub fn with_selector(selector: &'a IdSelector) -> SearchParams<'a> {
        SearchParams {
            selector: Some(selector),
            ..SearchParams::default()
        }
    }
}

/// The `k` nearest neighbours of each of `nq` queries, row-major (`nq * k` slots), in
/// Faiss's order: L2 ascending, inner product descending. Slots beyond the reachable
/// vectors hold label `-1` and distance `f32::MAX` (L2) or `-f32::MAX` (IP).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchResult {
    /// Number of queries.
    pub nq: usize,
    /// Results per query.
    pub k: usize,
    /// `nq * k` distances (squared L2 or inner products).
    pub distances: Vec<f32>,
    /// `nq * k` labels (ids), `-1` for an empty slot.
    pub labels: Vec<i64>,
}

impl SearchResult {
    /// An all-empty result for `nq` queries and `k` slots each.
    pub fn empty(nq: usize, k: usize, worst: f32) -> SearchResult {
        SearchResult {
            nq,
            k,
            distances: vec![worst; nq * k],
            labels: vec![-1; nq * k],
        }
    }

    /// The distances of query `q`, or `None` when `q >= nq`.
    pub fn distances_of(&self, q: usize) -> Option<&[f32]> {
        (q < self.nq).then(|| &self.distances[q * self.k..(q + 1) * self.k])
    }

    /// The labels of query `q`, or `None` when `q >= nq`.
    pub fn labels_of(&self, q: usize) -> Option<&[i64]> {
        (q < self.nq).then(|| &self.labels[q * self.k..(q + 1) * self.k])
    }
}

/// Every stored vector within a radius of each query, as Faiss's `RangeSearchResult`:
/// the results of query `q` are `distances[lims[q]..lims[q + 1]]` and the same range
/// of `labels`, in the order the index visited them (not sorted).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RangeSearchResult {
    /// Number of queries.
    pub nq: usize,
    /// `nq + 1` offsets into `distances` / `labels`.
    pub lims: Vec<usize>,
    /// Distances of all results, query after query.
    pub distances: Vec<f32>,
    /// Labels (ids) of all results, query after query.
    pub labels: Vec<i64>,
}

impl RangeSearchResult {
    /// Keeps only the results whose label `selector` selects (how a range search
    /// honours `SearchParams::selector`: every result within the radius is found, so
    /// dropping the unselected ones is exact).
    pub(crate) fn retain_selected(self, selector: &IdSelector) -> RangeSearchResult {
        let matcher = selector.matcher();
        let per_query = (0..self.nq)
            .map(|q| {
                let range = self.lims[q]..self.lims[q + 1];
                self.distances[range.clone()]
                    .iter()
                    .zip(&self.labels[range])
                    .filter(|(_, &l)| matcher.contains(l))
                    .map(|(&d, &l)| (d, l))
                    .unzip()
            })
            .collect();
        RangeSearchResult::from_per_query(per_query)
    }

    /// Assembles a result from per-query `(distances, labels)` lists.
    pub fn from_per_query(per_query: Vec<(Vec<f32>, Vec<i64>)>) -> RangeSearchResult {
        let nq = per_query.len();
        let mut lims = Vec::with_capacity(nq + 1);
        lims.push(0);
        let total: usize = per_query.iter().map(|(d, _)| d.len()).sum();
        let mut distances = Vec::with_capacity(total);
        let mut labels = Vec::with_capacity(total);
        for (d, l) in per_query {
            distances.extend_from_slice(&d);
            labels.extend_from_slice(&l);
            lims.push(distances.len());
        }
        RangeSearchResult {
            nq,
            lims,
            distances,
            labels,
        }
    }

    /// The `(distances, labels)` of query `q`, or `None` when `q >= nq`.
    pub fn query(&self, q: usize) -> Option<(&[f32], &[i64])> {
        if q >= self.nq {
            return None;
        }
        let (a, b) = (self.lims[q], self.lims[q + 1]);
        Some((&self.distances[a..b], &self.labels[a..b]))
    }
}
