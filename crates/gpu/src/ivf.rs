//! `GpuIvfFlatIndex`: faiss-gpu's `GpuIndexIVFFlat`. The coarse quantizer (the
//! centroids, a [`GpuFlatIndex`]) and the inverted lists live on the device. A batch is
//! grouped by list, so each probed list's rows are read once for all the queries that
//! probe it; the host pushes each query's candidates into Faiss's heap in the order the
//! CPU index scans them (probe rank, then list position).
//!
//! A host twin (the CPU [`IvfFlatIndex`]) keeps the ids, the direct map, the k-means
//! training and a copy of the vectors: `add`, `remove_ids`, `merge_from`, `train` and
//! `reconstruct` are Faiss's own CPU verbs on it, and the device lists follow.

use ferrofaiss_index::checks::same_kind;
use ferrofaiss_index::{
    DirectMap, IdSelector, Index, IndexError, IvfFlatIndex, MetricType, SearchParams, SearchResult,
};
use flatl2_kernel::TopK;
use rayon::prelude::*;

use crate::device::{gpu, Gpu};
use crate::scan::{kept_per_segment, scan};
use crate::storage::RowStore;
use crate::verbs::check_search;
use crate::{GpuError, GpuFlatIndex};

/// Inverted-file search on the GPU: the same probes and, list by list, the same
/// candidates as the CPU [`IvfFlatIndex`], hence the same recall at every `nprobe`.
#[derive(Debug, Clone)]
pub struct GpuIvfFlatIndex {
    host: IvfFlatIndex,
    quantizer: GpuFlatIndex,
    lists: Vec<RowStore>,
    chunk_rows: usize,
    /// False after an add the device could not follow and the host could not undo:
    /// searches then fail instead of missing vectors.
    in_sync: bool,
}

impl GpuIvfFlatIndex {
    /// An untrained index of dimension `d` with `nlist` lists (train it, or build it on
    /// the CPU and move it with [`GpuIvfFlatIndex::from_cpu`]).
    pub fn new(d: usize, nlist: usize, metric: MetricType) -> Result<GpuIvfFlatIndex, GpuError> {
        GpuIvfFlatIndex::from_cpu(&IvfFlatIndex::new(d, nlist, metric)?)
    }

    /// A device copy of a CPU IVF-Flat index, trained or not, filled or not (Faiss's
    /// `index_cpu_to_gpu`).
    pub fn from_cpu(cpu: &IvfFlatIndex) -> Result<GpuIvfFlatIndex, GpuError> {
        GpuIvfFlatIndex::from_cpu_with_chunk_rows(cpu, usize::MAX)
    }

    /// As [`GpuIvfFlatIndex::from_cpu`] with at most `chunk_rows` rows per device
    /// buffer of each list (at least 1).
    pub fn from_cpu_with_chunk_rows(
        cpu: &IvfFlatIndex,
        chunk_rows: usize,
    ) -> Result<GpuIvfFlatIndex, GpuError> {
        let mut index = GpuIvfFlatIndex {
            host: cpu.clone(),
            quantizer: GpuFlatIndex::new(cpu.dimension(), cpu.metric())?,
            lists: Vec::new(),
            chunk_rows,
            in_sync: true,
        };
        let gpu = gpu()?;
        let _gate = gpu.gate();
        index.upload_all(gpu)?;
        Ok(index)
    }

    /// The CPU twin (Faiss's `index_gpu_to_cpu`): it searches alike and writes the same
    /// `.faiss` bytes.
    pub fn to_cpu(&self) -> IvfFlatIndex {
        self.host.clone()
    }

    /// Number of inverted lists.
    pub fn nlist(&self) -> usize {
        self.host.nlist()
    }

    /// Lists visited per query when a search passes no `nprobe`.
    pub fn nprobe(&self) -> usize {
        self.host.nprobe()
    }

    /// Sets the default `nprobe` (must be positive).
    pub fn set_nprobe(&mut self, nprobe: usize) -> Result<(), IndexError> {
        self.host.set_nprobe(nprobe)
    }

    /// Copies the centroids and every list of the host twin to the device.
    fn upload_all(&mut self, gpu: &Gpu) -> Result<(), GpuError> {
        let d = self.host.dimension();
        let mut quantizer = GpuFlatIndex::new(d, self.host.metric())?;
        quantizer.append(gpu, &self.host.centroids())?;
        let mut lists = Vec::with_capacity(self.host.nlist());
        for l in 0..self.host.nlist() {
            let mut store = RowStore::new(gpu, d, self.chunk_rows)?;
            store.append(gpu, &self.host.list_codes(l).to_cow())?;
            lists.push(store);
        }
        self.quantizer = quantizer;
        self.lists = lists;
        self.in_sync = true;
        Ok(())
    }

    /// Runs an add on the host twin, then appends each list's new tail on the device.
    /// If the device fails, the host add is undone (its ids are the new ones) and the
    /// device lists are rebuilt from the host.
    fn add_through_host(
        &mut self,
        add: impl FnOnce(&mut IvfFlatIndex) -> Result<(), IndexError>,
    ) -> Result<(), IndexError> {
        let gpu = gpu()?;
        let _gate = gpu.gate();
        let before = self.host.list_sizes();
        add(&mut self.host)?;
        let d = self.host.dimension();
        let mut outcome = Ok(());
        for (l, store) in self.lists.iter_mut().enumerate() {
            if self.host.list_ids(l).len() > before[l] {
                let codes = self.host.list_codes(l).to_cow();
                outcome = store.append(gpu, &codes[before[l] * d..]);
                if outcome.is_err() {
                    break;
                }
            }
        }
        let Err(e) = outcome else {
            return Ok(());
        };
        // Undo: cut every list back to its old length (by position, not by id: ids
        // may repeat), then rebuild the device lists from the host.
        let undone = self.truncate_host(&before);
        if undone.is_err() || self.upload_all(gpu).is_err() {
            self.in_sync = false;
        }
        Err(e.into())
    }

    /// Cuts each list of the host twin back to `lens[l]` entries and rebuilds its direct
    /// map from the lists: the host as it was before an add.
    fn truncate_host(&mut self, lens: &[usize]) -> Result<(), IndexError> {
        let d = self.host.dimension();
        let cp = *self.host.clustering_params();
        let placeholder = IvfFlatIndex::new(d, 1, self.host.metric())?;
        let mut parts = std::mem::replace(&mut self.host, placeholder).into_parts();
        for (list, &len) in parts.lists.iter_mut().zip(lens) {
            list.ids.truncate(len);
            list.codes.truncate(len * d);
        }
        parts.direct_map = DirectMap::build(parts.direct_map.kind(), &parts.lists)?;
        let mut host = IvfFlatIndex::from_parts(parts)?;
        host.set_clustering_params(cp);
        self.host = host;
        Ok(())
    }

    /// The `k` best entries of each query over its `nprobe` nearest lists.
    fn search_on_device(
        &self,
        gpu: &Gpu,
        queries: &[f32],
        k: usize,
        nprobe: usize,
    ) -> Result<SearchResult, GpuError> {
        let d = self.host.dimension();
        let metric = self.host.metric();
        let nq = queries.len() / d;
        let mut result = SearchResult::empty(nq, k, metric.worst());
        if nq == 0 || self.host.ntotal() == 0 {
            return Ok(result);
        }
        let probes = self
            .quantizer
            .search_on_device(gpu, queries, nprobe)?
            .labels;
        // Which queries probe each list, and at which rank.
        let mut probing: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.lists.len()];
        for (slot, &list) in probes.iter().enumerate() {
            if let Ok(list) = usize::try_from(list) {
                probing[list].push((slot / nprobe, slot % nprobe));
            }
        }
        // Per query: (probe rank, position in the list, distance).
        let mut found: Vec<Vec<(usize, usize, f32)>> = vec![Vec::new(); nq];
        let keep = kept_per_segment(metric, k, false);
        let mut gathered = Vec::new();
        let mut cand = Vec::new();
        for (store, askers) in self.lists.iter().zip(&probing) {
            if askers.is_empty() || store.len() == 0 {
                continue;
            }
            gathered.clear();
            for &(q, _) in askers {
                gathered.extend_from_slice(&queries[q * d..(q + 1) * d]);
            }
            scan(gpu, store, metric, &gathered, keep, |first, nb, round| {
                for i in 0..nb {
                    let (q, rank) = askers[first + i];
                    round.candidates(i, &mut cand);
                    found[q].extend(cand.iter().map(|&(row, dist)| (rank, row, dist)));
                }
            })?;
        }
        let host = &self.host;
        result
            .distances
            .par_chunks_mut(k)
            .zip(result.labels.par_chunks_mut(k))
            .zip(found.par_iter_mut())
            .enumerate()
            .for_each(|(q, ((dc, lc), cands))| {
                cands.sort_unstable_by_key(|c| (c.0, c.1));
                let mut heap = TopK::new(metric, k);
                for &(rank, row, dist) in cands.iter() {
                    let list = probes[q * nprobe + rank] as usize;
                    heap.push(dist, host.list_ids(list)[row]);
                }
                heap.drain_sorted_into(dc, lc);
            });
        Ok(result)
    }
}

impl Index for GpuIvfFlatIndex {
    fn dimension(&self) -> usize {
        self.host.dimension()
    }

    fn ntotal(&self) -> usize {
        self.host.ntotal()
    }

    fn metric(&self) -> MetricType {
        self.host.metric()
    }

    fn is_trained(&self) -> bool {
        self.host.is_trained()
    }

    /// k-means on the host twin (the CPU code, whose centroids are Faiss's bit for
    /// bit), then the centroids go to the device.
    fn train(&mut self, x: &[f32]) -> Result<(), IndexError> {
        self.host.train(x)?;
        let gpu = gpu()?;
        let _gate = gpu.gate();
        Ok(self.upload_all(gpu)?)
    }

    fn add(&mut self, x: &[f32]) -> Result<(), IndexError> {
        self.add_through_host(|host| host.add(x))
    }

    fn add_with_ids(&mut self, x: &[f32], ids: &[i64]) -> Result<(), IndexError> {
        self.add_through_host(|host| host.add_with_ids(x, ids))
    }

    fn search(
        &self,
        queries: &[f32],
        k: usize,
        params: Option<&SearchParams>,
    ) -> Result<SearchResult, IndexError> {
        check_search(self, queries, k, params)?;
        let nprobe = params.and_then(|p| p.nprobe).unwrap_or(self.host.nprobe());
        if nprobe == 0 {
            return Err(IndexError::InvalidParameter(
                "nprobe must be positive".into(),
            ));
        }
        if !self.is_trained() {
            return Err(IndexError::NotTrained);
        }
        if !self.in_sync {
            return Err(IndexError::Device(
                "the device lists are incomplete after an add that failed on the device; \
                 rebuild the index"
                    .into(),
            ));
        }
        let gpu = gpu()?;
        let _gate = gpu.gate();
        Ok(self.search_on_device(gpu, queries, k, nprobe.min(self.nlist()))?)
    }

    fn reset(&mut self) {
        self.host.reset();
        for list in &mut self.lists {
            list.clear();
        }
    }

    fn type_name(&self) -> &'static str {
        "GpuIndexIVFFlat"
    }

    /// Removes on the host twin, then rebuilds the device lists from it.
    fn remove_ids(&mut self, sel: &IdSelector) -> Result<usize, IndexError> {
        let removed = self.host.remove_ids(sel)?;
        if removed > 0 {
            let gpu = gpu()?;
            let _gate = gpu.gate();
            if let Err(e) = self.upload_all(gpu) {
                self.in_sync = false;
                return Err(e.into());
            }
        }
        Ok(removed)
    }

    fn reconstruct_into(&self, id: i64, out: &mut [f32]) -> Result<(), IndexError> {
        self.host.reconstruct_into(id, out)
    }

    /// Faiss's IVF merge on the host twins, then both device copies follow.
    fn merge_from(&mut self, other: &mut dyn Index) -> Result<(), IndexError> {
        let o = same_kind::<GpuIvfFlatIndex>(self.type_name(), other)?;
        self.host.merge_from(&mut o.host)?;
        o.reset();
        let gpu = gpu()?;
        let _gate = gpu.gate();
        if let Err(e) = self.upload_all(gpu) {
            self.in_sync = false;
            return Err(e.into());
        }
        Ok(())
    }

    fn for_each_vector(&self, visit: &mut dyn FnMut(i64, &[f32])) -> Result<(), IndexError> {
        self.host.for_each_vector(visit)
    }
}
