//! `FlatIndex`: exhaustive search over row-major `f32` vectors (Faiss `IndexFlatL2` /
//! `IndexFlatIP`). Ids are row positions; `remove_ids` shifts later rows down.

use std::sync::OnceLock;

use flatl2_kernel::KnnPath;

use crate::exhaustive::distances_to_rows;
use crate::index_trait::same_kind;
use crate::rows::{range_over_rows, remove_rows};
use crate::selected::knn_selected;
use crate::validate::{
    check_k, check_radius, checked_vectors, copy_vector, has_nan, nan_error, vector_count,
};
use crate::{
    exhaustive, IdSelector, Index, IndexError, MetricType, RangeSearchResult, SearchParams,
    SearchResult,
};

/// Exhaustive index over vectors stored contiguously, row after row.
#[derive(Debug, Clone)]
pub struct FlatIndex {
    d: usize,
    metric: MetricType,
    data: Vec<f32>,
    /// Squared norms of the rows, computed on the first large L2 batch search and
    /// dropped whenever the rows change.
    norms: OnceLock<Vec<f32>>,
}

impl FlatIndex {
    /// An empty index of dimension `d` ranking by `metric`.
    pub fn new(d: usize, metric: MetricType) -> Result<FlatIndex, IndexError> {
        FlatIndex::from_vectors(d, metric, Vec::new())
    }

    /// An index holding `data` (row-major, `ntotal * d` values), e.g. parsed from a
    /// Faiss file. NaN values are accepted here (a file may hold them) but never added.
    pub fn from_vectors(
        d: usize,
        metric: MetricType,
        data: Vec<f32>,
    ) -> Result<FlatIndex, IndexError> {
        vector_count(&data, d)?;
        Ok(FlatIndex {
            d,
            metric,
            data,
            norms: OnceLock::new(),
        })
    }

    /// The stored vectors, row-major (`ntotal * d` values).
    pub fn vectors(&self) -> &[f32] {
        &self.data
    }

    /// Takes the stored vectors out, consuming the index.
    pub fn into_vectors(self) -> Vec<f32> {
        self.data
    }

    /// The vector at row `i`, or `None` past the end.
    pub fn row(&self, i: usize) -> Option<&[f32]> {
        self.data.get(i * self.d..(i + 1) * self.d)
    }

    /// Code size in bytes of one stored vector (`4 * d`), as Faiss reports it.
    pub fn code_size(&self) -> usize {
        4 * self.d
    }

    fn changed(&mut self) {
        self.norms = OnceLock::new();
    }

    fn cached_norms(&self) -> Result<&[f32], IndexError> {
        if let Some(norms) = self.norms.get() {
            return Ok(norms);
        }
        let norms = exhaustive::row_norms(&self.data, self.d)?;
        Ok(self.norms.get_or_init(|| norms))
    }

    /// Search for already validated queries (shared with the IVF quantizer).
    pub(crate) fn search_unchecked(
        &self,
        queries: &[f32],
        k: usize,
    ) -> Result<SearchResult, IndexError> {
        let nq = queries.len() / self.d;
        let metric = self.metric;
        let blocked = exhaustive::batch_path(nq, self.ntotal(), self.d) == KnnPath::Blocked;
        let norms = if self.metric == MetricType::L2 && blocked {
            Some(self.cached_norms()?)
        } else {
            None
        };
        let (distances, labels) = exhaustive::knn(metric, queries, &self.data, self.d, norms, k)?;
        Ok(SearchResult {
            nq,
            k,
            distances,
            labels,
        })
    }
}

impl Index for FlatIndex {
    fn dimension(&self) -> usize {
        self.d
    }

    fn ntotal(&self) -> usize {
        self.data.len() / self.d
    }

    fn metric(&self) -> MetricType {
        self.metric
    }

    /// Copies `x` in blocks, checking each block for NaN while it is in cache (one pass
    /// over the input); on a NaN the rows already copied are dropped again.
    fn add(&mut self, x: &[f32]) -> Result<(), IndexError> {
        vector_count(x, self.d)?;
        let before = self.data.len();
        self.data.reserve_exact(x.len());
        const BLOCK: usize = 4096;
        for (b, block) in x.chunks(BLOCK).enumerate() {
            if has_nan(block) {
                self.data.truncate(before);
                return Err(nan_error(block, self.d, b * BLOCK));
            }
            self.data.extend_from_slice(block);
        }
        self.changed();
        Ok(())
    }

    /// An empty index keeps the buffer itself (no copy, no second allocation of the
    /// size of the data); otherwise as [`Index::add`].
    fn add_owned(&mut self, x: Vec<f32>) -> Result<(), IndexError> {
        if !self.data.is_empty() {
            return self.add(&x);
        }
        checked_vectors(&x, self.d)?;
        self.data = x;
        self.changed();
        Ok(())
    }

    fn add_with_ids(&mut self, _x: &[f32], _ids: &[i64]) -> Result<(), IndexError> {
        Err(IndexError::Unsupported(
            "add_with_ids on a flat index (ids are row positions); wrap it in IdMap".into(),
        ))
    }

    fn search(
        &self,
        queries: &[f32],
        k: usize,
        params: Option<&SearchParams>,
    ) -> Result<SearchResult, IndexError> {
        check_k(k, queries.len() / self.d)?;
        checked_vectors(queries, self.d)?;
        match params.and_then(|p| p.selector) {
            Some(selector) => {
                let (distances, labels) =
                    knn_selected(self.metric, queries, &self.data, self.d, k, selector)?;
                Ok(SearchResult {
                    nq: queries.len() / self.d,
                    k,
                    distances,
                    labels,
                })
            }
            None => self.search_unchecked(queries, k),
        }
    }

    fn range_search(
        &self,
        queries: &[f32],
        radius: f32,
        params: Option<&SearchParams>,
    ) -> Result<RangeSearchResult, IndexError> {
        check_radius(radius)?;
        checked_vectors(queries, self.d)?;
        range_over_rows(
            self.metric,
            queries,
            self.d,
            self.ntotal(),
            radius,
            params.and_then(|p| p.selector),
            |q, dist| distances_to_rows(self.metric, q, &self.data, dist),
        )
    }

    fn remove_ids(&mut self, sel: &IdSelector) -> Result<usize, IndexError> {
        let removed = remove_rows(&mut self.data, self.d, sel);
        if removed > 0 {
            self.changed();
        }
        Ok(removed)
    }

    fn reconstruct_into(&self, id: i64, out: &mut [f32]) -> Result<(), IndexError> {
        let row = usize::try_from(id)
            .ok()
            .and_then(|i| self.row(i))
            .ok_or(IndexError::UnknownId(id))?;
        copy_vector(row, out)
    }

    fn reset(&mut self) {
        self.data.clear();
        self.changed();
    }

    fn merge_from(&mut self, other: &mut dyn Index) -> Result<(), IndexError> {
        let o = same_kind::<FlatIndex>(self.type_name(), other)?;
        if o.d != self.d || o.metric != self.metric {
            return Err(IndexError::IncompatibleMerge(format!(
                "dimension/metric {}/{:?} vs {}/{:?}",
                self.d, self.metric, o.d, o.metric
            )));
        }
        let moved = std::mem::take(&mut o.data);
        o.changed();
        if self.data.is_empty() {
            self.data = moved;
        } else {
            self.data.extend_from_slice(&moved);
        }
        self.changed();
        Ok(())
    }

    fn type_name(&self) -> &'static str {
        match self.metric {
            MetricType::L2 => "IndexFlatL2",
            MetricType::InnerProduct => "IndexFlatIP",
        }
    }

    fn for_each_vector(&self, visit: &mut dyn FnMut(i64, &[f32])) -> Result<(), IndexError> {
        for (row, v) in self.data.chunks_exact(self.d).enumerate() {
            visit(row as i64, v);
        }
        Ok(())
    }
}
