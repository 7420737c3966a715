//! `GpuFlatIndex`: faiss-gpu's `GpuIndexFlatL2` / `GpuIndexFlatIP`. The vectors live on
//! the device in chunks no larger than one storage binding; a search computes each
//! chunk's distances and a per-segment top-k on the device, and the host merges the
//! segments' short lists in label order, so labels and ties are the CPU flat index's.

use ferrofaiss_index::checks::{checked_vectors, copy_vector, same_kind};
use ferrofaiss_index::{
    FlatIndex, IdSelector, Index, IndexError, MetricType, SearchParams, SearchResult,
};
use flatl2_kernel::TopK;
use rayon::prelude::*;

use crate::device::{gpu, Gpu};
use crate::scan::{kept_per_segment, scan};
use crate::storage::RowStore;
use crate::verbs::check_search;
use crate::GpuError;

/// Exhaustive search on the GPU over vectors stored row after row, ids being positions
/// (as [`FlatIndex`]): the same labels as the CPU index for every query, ties
/// resolved as Faiss's heaps resolve them, distances computed as `sum((q - x)^2)` (or
/// `sum(q * x)`) in `f32`.
///
/// Cloning is cheap: the chunks are shared until one of the clones adds or removes
/// vectors, which copies the chunk it writes to on the device first.
#[derive(Debug, Clone)]
pub struct GpuFlatIndex {
    metric: MetricType,
    store: RowStore,
}

impl GpuFlatIndex {
    /// An empty index of dimension `d` ranking by `metric` on the process's device,
    /// with chunks as large as the device binds.
    pub fn new(d: usize, metric: MetricType) -> Result<GpuFlatIndex, GpuError> {
        GpuFlatIndex::with_chunk_rows(d, metric, usize::MAX)
    }

    /// As [`GpuFlatIndex::new`] with at most `chunk_rows` rows per device buffer (at
    /// least 1): the way to exercise chunk boundaries without filling a device.
    pub fn with_chunk_rows(
        d: usize,
        metric: MetricType,
        chunk_rows: usize,
    ) -> Result<GpuFlatIndex, GpuError> {
        Ok(GpuFlatIndex {
            metric,
            store: RowStore::new(gpu()?, d, chunk_rows)?,
        })
    }

    /// The CPU index's vectors copied to the device (Faiss's `index_cpu_to_gpu`).
    pub fn from_cpu(cpu: &FlatIndex) -> Result<GpuFlatIndex, GpuError> {
        let mut index = GpuFlatIndex::new(cpu.dimension(), cpu.metric())?;
        let gpu = gpu()?;
        let _gate = gpu.gate();
        index.store.append(gpu, &cpu.vectors())?;
        Ok(index)
    }

    /// The vectors copied back into a CPU [`FlatIndex`] (Faiss's `index_gpu_to_cpu`),
    /// which writes the same `.faiss` bytes this index's CPU twin writes.
    pub fn to_cpu(&self) -> Result<FlatIndex, GpuError> {
        let gpu = gpu()?;
        let _gate = gpu.gate();
        let data = self.store.read_all(gpu)?;
        Ok(FlatIndex::from_vectors(
            self.store.dimension(),
            self.metric,
            data,
        )?)
    }

    /// Appends checked rows (the gate held).
    pub(crate) fn append(&mut self, gpu: &Gpu, x: &[f32]) -> Result<(), GpuError> {
        self.store.append(gpu, x)
    }

    /// Most rows held by one device buffer.
    pub fn chunk_rows(&self) -> usize {
        self.store.chunk_rows()
    }

    /// The `k` best rows of each query (queries checked, gate held): the segments'
    /// candidates pushed into Faiss's heap in row order, query by query in parallel.
    pub(crate) fn search_on_device(
        &self,
        gpu: &Gpu,
        queries: &[f32],
        k: usize,
    ) -> Result<SearchResult, GpuError> {
        let d = self.store.dimension();
        let nq = queries.len() / d;
        let mut result = SearchResult::empty(nq, k, self.metric.worst());
        let mut heaps: Vec<TopK> = (0..nq).map(|_| TopK::new(self.metric, k)).collect();
        let keep = kept_per_segment(self.metric, k, true);
        scan(
            gpu,
            &self.store,
            self.metric,
            queries,
            keep,
            |first, nb, round| {
                heaps[first..first + nb]
                    .par_iter_mut()
                    .enumerate()
                    .for_each_init(Vec::new, |cand, (q, heap)| {
                        round.candidates(q, cand);
                        cand.sort_unstable_by_key(|c| c.0);
                        for &(row, dist) in cand.iter() {
                            heap.push(dist, row as i64);
                        }
                    });
            },
        )?;
        let slots = result
            .distances
            .chunks_mut(k)
            .zip(result.labels.chunks_mut(k));
        for (heap, (dc, lc)) in heaps.iter_mut().zip(slots) {
            heap.drain_sorted_into(dc, lc);
        }
        Ok(result)
    }
}

impl Index for GpuFlatIndex {
    fn dimension(&self) -> usize {
        self.store.dimension()
    }

    fn ntotal(&self) -> usize {
        self.store.len()
    }

    fn metric(&self) -> MetricType {
        self.metric
    }

    fn add(&mut self, x: &[f32]) -> Result<(), IndexError> {
        checked_vectors(x, self.dimension())?;
        let gpu = gpu()?;
        let _gate = gpu.gate();
        Ok(self.store.append(gpu, x)?)
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
        check_search(self, queries, k, params)?;
        let gpu = gpu()?;
        let _gate = gpu.gate();
        Ok(self.search_on_device(gpu, queries, k)?)
    }

    fn reset(&mut self) {
        // Each chunk frees its buffer under the gate.
        self.store.clear();
    }

    fn type_name(&self) -> &'static str {
        match self.metric {
            MetricType::L2 => "GpuIndexFlatL2",
            MetricType::InnerProduct => "GpuIndexFlatIP",
        }
    }

    /// Reads the vectors back into the CPU flat index, which removes them as Faiss
    /// does (later ids shift down), and writes what is left to fresh chunks; the index
    /// is unchanged if that fails.
    fn remove_ids(&mut self, sel: &IdSelector) -> Result<usize, IndexError> {
        let gpu = gpu()?;
        let _gate = gpu.gate();
        let mut host =
            FlatIndex::from_vectors(self.dimension(), self.metric, self.store.read_all(gpu)?)?;
        let removed = host.remove_ids(sel)?;
        if removed > 0 {
            let mut fresh = self.store.clone();
            fresh.clear();
            fresh.append(gpu, &host.vectors())?;
            self.store = fresh;
        }
        Ok(removed)
    }

    fn reconstruct_into(&self, id: i64, out: &mut [f32]) -> Result<(), IndexError> {
        let row = usize::try_from(id)
            .ok()
            .filter(|&r| r < self.store.len())
            .ok_or(IndexError::UnknownId(id))?;
        let gpu = gpu()?;
        let _gate = gpu.gate();
        copy_vector(&self.store.read_row(gpu, row)?, out)
    }

    /// Moves the other GPU flat index's vectors after this one's (through the host).
    fn merge_from(&mut self, other: &mut dyn Index) -> Result<(), IndexError> {
        let o = same_kind::<GpuFlatIndex>(self.type_name(), other)?;
        let (d, od) = (self.dimension(), o.dimension());
        if od != d || o.metric != self.metric {
            return Err(IndexError::IncompatibleMerge(format!(
                "dimension/metric {d}/{:?} vs {od}/{:?}",
                self.metric, o.metric
            )));
        }
        let gpu = gpu()?;
        let _gate = gpu.gate();
        let moved = o.store.read_all(gpu)?;
        self.store.append(gpu, &moved)?;
        o.reset();
        Ok(())
    }

    fn for_each_vector(&self, visit: &mut dyn FnMut(i64, &[f32])) -> Result<(), IndexError> {
        let gpu = gpu()?;
        let _gate = gpu.gate();
        let all = self.store.read_all(gpu)?;
        for (label, v) in all.chunks_exact(self.dimension()).enumerate() {
            visit(label as i64, v);
        }
        Ok(())
    }
}
