//! `FlatIndex`: exhaustive search over row-major `f32` vectors (Faiss `IndexFlatL2` /
//! `IndexFlatIP`). Ids are row positions; `remove_ids` shifts later rows down.
//!
//! The vectors are owned, or (read from a file with `mmap`) searched in place in the
//! file's mapping until the first change, which copies them out.

use std::borrow::Cow;
use std::sync::OnceLock;

use flatl2_kernel::{KnnPath, Rows, ScanOrder};

use crate::exhaustive::distances_to_rows;
use crate::huge_pages::PageVec;
use crate::index_trait::same_kind;
use crate::mapped::MappedVectors;
use crate::rows::{range_over_rows, remove_rows};
use crate::selected::knn_selected;
use crate::validate::{
    check_k, check_radius, checked_vectors, copy_vector, has_nan, nan_error, vector_count,
};
use crate::{
    exhaustive, IdSelector, Index, IndexError, MetricType, RangeSearchResult, RowBuffer,
    SearchParams, SearchResult,
};

/// `data`, kept in memory advised for transparent huge pages once it is large (see
/// [`crate::huge_pages`]). A search streams every row, and with 4 KiB pages each 4 KiB
/// of rows first misses the TLB: on an Intel Xeon host a one-query scan of 512 MB ran
/// at 12 GB/s from such pages and at 16 GB/s from huge pages (2026-12-08). A graph
/// walk (HNSW), which reads rows scattered over the whole store, gains more.
fn streamed(mut data: PageVec<f32>) -> PageVec<f32> {
    data.use_huge_pages();
    data
}

/// Exhaustive index over vectors stored contiguously, row after row.
#[derive(Debug, Clone)]
pub struct FlatIndex {
    d: usize,
    metric: MetricType,
    /// The vectors, when they are owned (empty while `mapped` holds them).
    data: PageVec<f32>,
    /// The vectors in a read-only mapping of the file they were read from, until the
    /// first change copies them into `data`.
    mapped: Option<MappedVectors>,
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
            data: streamed(PageVec::from_vec(data)),
            mapped: None,
            norms: OnceLock::new(),
        })
    }

    /// An index searching `vectors` where they lie in a file's mapping.
    pub(crate) fn from_mapped(
        d: usize,
        metric: MetricType,
        vectors: MappedVectors,
    ) -> Result<FlatIndex, IndexError> {
        if d == 0 || !vectors.len().is_multiple_of(d) {
            return Err(IndexError::DimensionMismatch {
                dimension: d,
                len: vectors.len(),
            });
        }
        Ok(FlatIndex {
            d,
            metric,
            data: streamed(PageVec::new()),
            mapped: Some(vectors),
            norms: OnceLock::new(),
        })
    }

    /// The stored vectors, row-major (`ntotal * d` values), wherever they lie (the
    /// kernels take [`Rows`] as they take a slice).
    pub fn rows(&self) -> Rows<'_> {
        match &self.mapped {
            Some(m) => m.rows(),
            None => Rows::from(self.data.as_slice()),
        }
    }

    /// Whether the vectors are read in place from a file's memory map (see
    /// [`crate::faiss_io::ReadOptions`]); the first change copies them out.
    pub fn is_mapped(&self) -> bool {
        self.mapped.is_some()
    }

    /// The stored vectors, row-major (`ntotal * d` values): borrowed when they are
    /// owned, copied when they lie in a file's mapping (where no `&[f32]` may point).
    pub fn vectors(&self) -> Cow<'_, [f32]> {
        self.rows().to_cow()
    }

    /// Takes the stored vectors out, consuming the index.
    pub fn into_vectors(self) -> Vec<f32> {
        match self.mapped {
            Some(m) => m.rows().to_vec(),
            None => self.data.into_vec(),
        }
    }

    /// The vector at row `i` (borrowed, or copied out of a mapping), or `None` past
    /// the end.
    pub fn row(&self, i: usize) -> Option<Cow<'_, [f32]>> {
        Some(self.rows().slice(i * self.d..(i + 1) * self.d)?.to_cow())
    }

    /// The owned vectors, copied out of the mapping first if they are mapped.
    fn owned(&mut self) -> &mut PageVec<f32> {
        if let Some(m) = self.mapped.take() {
            // One copy, byte for byte (a file's floats may lie out of line), straight
            // into fresh memory advised for huge pages when it is large.
            let rows = m.rows();
            let mut data = PageVec::zeroed(rows.len());
            // The lengths agree by construction.
            let _ = rows.copy_to(data.as_mut_slice());
            debug_assert_eq!(self.data.len(), 0);
            self.data.replace(data);
        }
        &mut self.data
    }

    /// Copies mapped vectors into memory of the index's own, as the first change
    /// would (nothing to do for owned ones); the mapping is let go.
    pub(crate) fn copy_out(&mut self) {
        self.owned();
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
        let norms = exhaustive::row_norms(self.rows(), self.d)?;
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
        let (distances, labels) = exhaustive::knn(metric, queries, self.rows(), self.d, norms, k)?;
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
        self.rows().len() / self.d
    }

    fn metric(&self) -> MetricType {
        self.metric
    }

    /// Copies `x` in blocks, checking each block for NaN while it is in cache (one pass
    /// over the input); on a NaN the rows already copied are dropped again.
    fn add(&mut self, x: &[f32]) -> Result<(), IndexError> {
        vector_count(x, self.d)?;
        let d = self.d;
        let data = self.owned();
        let before = data.len();
        data.reserve(x.len());
        const BLOCK: usize = 4096;
        for (b, block) in x.chunks(BLOCK).enumerate() {
            if has_nan(block) {
                data.truncate(before);
                return Err(nan_error(block, d, b * BLOCK));
            }
            data.extend_from_slice(block);
        }
        self.changed();
        Ok(())
    }

    /// An empty index keeps the buffer itself (no second allocation of the size of the
    /// data; a [`RowBuffer`] starts at a 64-byte boundary, so the kernels'
    /// whole-register loads never straddle two cache lines), unless it keeps its
    /// vectors in huge pages (an HNSW index's storage, and clones of it), which copies
    /// a large buffer there; otherwise as [`Index::add`].
    fn add_owned(&mut self, x: RowBuffer) -> Result<(), IndexError> {
        if !self.rows().is_empty() {
            return self.add(&x);
        }
        checked_vectors(&x, self.d)?;
        self.mapped = None;
        self.data.replace(x.into_page_vec());
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
                    knn_selected(self.metric, queries, self.rows(), self.d, k, selector)?;
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
        let order = ScanOrder::for_bytes(self.rows().len().saturating_mul(4));
        range_over_rows(
            self.metric,
            queries,
            self.d,
            self.ntotal(),
            radius,
            params.and_then(|p| p.selector),
            |q, dist| distances_to_rows(self.metric, q, self.rows(), dist, order),
        )
    }

    fn remove_ids(&mut self, sel: &IdSelector) -> Result<usize, IndexError> {
        let d = self.d;
        let data = self.owned();
        let (kept, removed) = remove_rows(data, d, sel);
        data.truncate(kept);
        if removed > 0 {
            self.changed();
        }
        Ok(removed)
    }

    fn reconstruct_into(&self, id: i64, out: &mut [f32]) -> Result<(), IndexError> {
        let d = self.d;
        let row = usize::try_from(id)
            .ok()
            .and_then(|i| {
                self.rows()
                    .slice(i.checked_mul(d)?..i.checked_add(1)?.checked_mul(d)?)
            })
            .ok_or(IndexError::UnknownId(id))?;
        match row.as_slice() {
            Some(row) => copy_vector(row, out),
            None => row.copy_to(out).map_err(|_| IndexError::DimensionMismatch {
                dimension: d,
                len: out.len(),
            }),
        }
    }

    fn reset(&mut self) {
        self.mapped = None;
        self.data.release();
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
        let (moved, moved_map) = (o.data.take(), o.mapped.take());
        o.changed();
        if self.rows().is_empty() {
            // Take the other's storage as it is, mapped or owned (in huge pages if
            // this index asks for them).
            self.data.replace(moved);
            self.mapped = moved_map;
        } else if let Some(m) = moved_map {
            let data = self.owned();
            let at = data.len();
            data.resize(at + m.len(), 0.0);
            // The lengths agree by construction.
            let _ = m.rows().copy_to(&mut data[at..]);
        } else {
            self.owned().extend_from_slice(&moved);
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
        let d = self.d;
        let rows = self.rows();
        let mut buf = Vec::new();
        for row in 0..rows.len() / d {
            if let Some(v) = rows.slice(row * d..(row + 1) * d) {
                visit(row as i64, v.as_slice_in(&mut buf));
            }
        }
        Ok(())
    }
}
