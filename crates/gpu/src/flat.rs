//! `GpuFlatIndex`: faiss-gpu's `GpuIndexFlatL2` / `GpuIndexFlatIP`. The vectors live on
//! the device in chunks no larger than one storage binding; a search computes each
//! chunk's distances and a per-segment top-k on the device, and the host merges the
//! segments' short lists in label order, so labels and ties are the CPU flat index's.

use std::sync::Arc;

use ferrofaiss_index::checks::{check_k, checked_vectors, vector_count};
use ferrofaiss_index::{
    FlatIndex, IdSelector, Index, IndexError, MetricType, SearchParams, SearchResult,
};
use flatl2_kernel::TopK;
use rayon::prelude::*;

use crate::buffers::{self, STORAGE};
use crate::device::{gpu, Gpu};
use crate::kernels::{DistanceParams, SelectParams, NO_ROW, SEGMENT, TILE};
use crate::GpuError;

/// Most bytes of partial results read back in one submission; a search over more
/// chunks reads back in several rounds.
const READBACK_BUDGET: usize = 64 << 20;
/// Fewest rows a new chunk buffer is made for (it grows by doubling up to the chunk size).
const MIN_CAPACITY: usize = 1024;

/// Exhaustive search on the GPU over vectors stored row after row, ids being positions
/// (as [`FlatIndex`]): the same labels as the CPU index for every query, ties
/// resolved as Faiss's heaps resolve them, distances computed as `sum((q - x)^2)` (or
/// `sum(q * x)`) in `f32`.
///
/// Cloning is cheap: the chunks are shared until one of the clones adds or removes
/// vectors, which copies the chunk it writes to on the device first.
#[derive(Debug, Clone)]
pub struct GpuFlatIndex {
    d: usize,
    metric: MetricType,
    chunk_rows: usize,
    /// Every chunk but the last holds `chunk_rows` rows.
    chunks: Vec<Arc<Chunk>>,
}

/// One device buffer of rows.
#[derive(Debug)]
struct Chunk {
    buffer: wgpu::Buffer,
    rows: usize,
    capacity: usize,
}

/// The buffer is freed under the device's gate, like every other device call.
impl Drop for Chunk {
    fn drop(&mut self) {
        if let Ok(gpu) = gpu() {
            let _gate = gpu.gate();
            self.buffer.destroy();
        }
    }
}

impl GpuFlatIndex {
    /// An empty index of dimension `d` ranking by `metric` on the process's device,
    /// with chunks as large as the device binds.
    pub fn new(d: usize, metric: MetricType) -> Result<GpuFlatIndex, GpuError> {
        let gpu = gpu()?;
        let chunk_rows = max_chunk_rows(gpu, d)?;
        Ok(GpuFlatIndex {
            d,
            metric,
            chunk_rows,
            chunks: Vec::new(),
        })
    }

    /// As [`GpuFlatIndex::new`] with at most `chunk_rows` rows per device buffer (at
    /// least 1): the way to exercise chunk boundaries without filling a device.
    pub fn with_chunk_rows(
        d: usize,
        metric: MetricType,
        chunk_rows: usize,
    ) -> Result<GpuFlatIndex, GpuError> {
        if chunk_rows == 0 {
            return Err(IndexError::InvalidParameter("chunk_rows must be positive".into()).into());
        }
        let mut index = GpuFlatIndex::new(d, metric)?;
        index.chunk_rows = index.chunk_rows.min(chunk_rows);
        Ok(index)
    }

    /// The CPU index's vectors copied to the device (Faiss's `index_cpu_to_gpu`).
    pub fn from_cpu(cpu: &FlatIndex) -> Result<GpuFlatIndex, GpuError> {
        let mut index = GpuFlatIndex::new(cpu.dimension(), cpu.metric())?;
        let gpu = gpu()?;
        let _gate = gpu.gate();
        index.append(gpu, cpu.vectors())?;
        Ok(index)
    }

    /// The vectors copied back into a CPU [`FlatIndex`] (Faiss's `index_gpu_to_cpu`),
    /// which writes the same `.faiss` bytes this index's CPU twin writes.
    pub fn to_cpu(&self) -> Result<FlatIndex, GpuError> {
        let gpu = gpu()?;
        let _gate = gpu.gate();
        let data = self.read_all(gpu)?;
        Ok(FlatIndex::from_vectors(self.d, self.metric, data)?)
    }

    /// Most rows held by one device buffer.
    pub fn chunk_rows(&self) -> usize {
        self.chunk_rows
    }

    /// Rows per chunk but the last, then the last's rows.
    fn ntotal_rows(&self) -> usize {
        match self.chunks.last() {
            Some(last) => (self.chunks.len() - 1) * self.chunk_rows + last.rows,
            None => 0,
        }
    }

    /// Appends rows (already checked) to the device, filling the last chunk, then new
    /// ones. All or nothing: on an error the index holds what it held before.
    fn append(&mut self, gpu: &Gpu, x: &[f32]) -> Result<(), GpuError> {
        let chunks_before = self.chunks.len();
        let last_rows_before = self.chunks.last().map(|c| c.rows);
        let out = gpu.scoped("adding vectors", || self.append_rows(gpu, x));
        if out.is_err() {
            self.chunks.truncate(chunks_before);
            if let (Some(last), Some(rows)) = (self.chunks.last_mut(), last_rows_before) {
                if let Some(chunk) = Arc::get_mut(last) {
                    chunk.rows = rows;
                }
            }
        }
        out
    }

    fn append_rows(&mut self, gpu: &Gpu, x: &[f32]) -> Result<(), GpuError> {
        let d = self.d;
        let mut rest = x;
        while !rest.is_empty() {
            let wanted = rest.len() / d;
            let chunk = self.writable_last(gpu, wanted)?;
            let take = wanted.min(chunk.capacity - chunk.rows);
            let offset = (chunk.rows * d * 4) as u64;
            gpu.queue.write_buffer(
                &chunk.buffer,
                offset,
                bytemuck::cast_slice(&rest[..take * d]),
            );
            chunk.rows += take;
            rest = &rest[take * d..];
        }
        gpu.queue.submit([]);
        Ok(())
    }

    /// The chunk the next rows go to, with room for at least one of `wanted` rows and
    /// owned by this index alone (a chunk shared with a clone is copied first).
    fn writable_last(&mut self, gpu: &Gpu, wanted: usize) -> Result<&mut Chunk, GpuError> {
        let (chunk_rows, row_bytes) = (self.chunk_rows, self.d * 4);
        let full = self.chunks.last().is_none_or(|c| c.rows == chunk_rows);
        if full {
            let capacity = chunk_rows.min(wanted.max(MIN_CAPACITY));
            let buffer = buffers::create(gpu, "vectors", (capacity * row_bytes) as u64, STORAGE)?;
            self.chunks.push(Arc::new(Chunk {
                buffer,
                rows: 0,
                capacity,
            }));
        }
        let Some(last) = self.chunks.last_mut() else {
            return Err(GpuError::Device("no chunk to add to".into()));
        };
        let grow = last.rows == last.capacity;
        if grow || Arc::strong_count(last) > 1 {
            let capacity = if grow {
                chunk_rows.min((2 * last.capacity).max(last.rows + wanted))
            } else {
                last.capacity
            };
            *last = Arc::new(copy_chunk(gpu, last, capacity, row_bytes)?);
        }
        Arc::get_mut(last).ok_or_else(|| GpuError::Device("a chunk is still shared".into()))
    }

    /// Every stored vector, read back chunk by chunk.
    fn read_all(&self, gpu: &Gpu) -> Result<Vec<f32>, GpuError> {
        let mut out = Vec::with_capacity(self.ntotal_rows() * self.d);
        for chunk in &self.chunks {
            out.extend(read_rows(gpu, chunk, 0, chunk.rows, self.d)?);
        }
        Ok(out)
    }

    /// The search itself, queries checked: batches of queries as large as one
    /// distance buffer allows, each scanned over every chunk.
    fn search_on_device(
        &self,
        gpu: &Gpu,
        queries: &[f32],
        k: usize,
    ) -> Result<SearchResult, GpuError> {
        let d = self.d;
        let nq = queries.len() / d;
        let mut result = SearchResult::empty(nq, k, self.metric.worst());
        if nq == 0 || self.chunks.is_empty() {
            return Ok(result);
        }
        let binding = usize::try_from(gpu.report.max_storage_binding).unwrap_or(usize::MAX);
        let max_stride = self
            .chunks
            .iter()
            .map(|c| stride(c.rows))
            .max()
            .unwrap_or(SEGMENT);
        let per_batch = (binding / (4 * max_stride))
            .min(binding / (4 * d))
            .min(gpu.report.max_workgroups_per_dimension as usize)
            .max(1);
        for (b, batch) in queries.chunks(per_batch * d).enumerate() {
            let nb = batch.len() / d;
            let mut heaps: Vec<TopK> = (0..nb).map(|_| TopK::new(self.metric, k)).collect();
            self.scan(gpu, batch, max_stride, &mut heaps)?;
            let first = b * per_batch * k;
            let dist = &mut result.distances[first..first + nb * k];
            let labels = &mut result.labels[first..first + nb * k];
            for ((heap, dc), lc) in heaps
                .iter_mut()
                .zip(dist.chunks_mut(k))
                .zip(labels.chunks_mut(k))
            {
                heap.drain_sorted_into(dc, lc);
            }
        }
        Ok(result)
    }

    /// Scans every chunk for one batch of queries, in rounds of chunks whose partial
    /// results fit the read-back budget, pushing each round's candidates into `heaps`.
    fn scan(
        &self,
        gpu: &Gpu,
        batch: &[f32],
        max_stride: usize,
        heaps: &mut [TopK],
    ) -> Result<(), GpuError> {
        let nb = heaps.len();
        let k = heaps.first().map_or(1, TopK::k);
        let keep = self.kept_per_segment(k);
        let query_buf = buffers::upload(gpu, "queries", bytemuck::cast_slice(batch), STORAGE)?;
        let dist_buf = buffers::create(
            gpu,
            "distances",
            (nb * max_stride * 4) as u64,
            wgpu::BufferUsages::STORAGE,
        )?;
        let partial_bytes = |c: &Chunk| nb * (stride(c.rows) / SEGMENT) * keep * 8;
        let mut first = 0;
        while first < self.chunks.len() {
            let mut end = first;
            let mut round_bytes = 0;
            while end < self.chunks.len() {
                let bytes = partial_bytes(&self.chunks[end]);
                if end > first && round_bytes + bytes > READBACK_BUDGET {
                    break;
                }
                round_bytes += bytes;
                end += 1;
            }
            let words = gpu.scoped("searching", || {
                self.run_round(
                    gpu,
                    first..end,
                    &query_buf,
                    &dist_buf,
                    nb,
                    keep,
                    round_bytes,
                )
            })?;
            self.merge_round(first..end, &words, keep, heaps);
            first = end;
        }
        Ok(())
    }

    /// One submission: for each chunk of `range`, the distance kernel then the
    /// segment top-k, whose output is copied to one staging buffer read back at the end.
    #[allow(clippy::too_many_arguments)]
    fn run_round(
        &self,
        gpu: &Gpu,
        range: std::ops::Range<usize>,
        query_buf: &wgpu::Buffer,
        dist_buf: &wgpu::Buffer,
        nb: usize,
        keep: usize,
        round_bytes: usize,
    ) -> Result<Vec<u32>, GpuError> {
        let staging = buffers::create(
            gpu,
            "search results staging",
            round_bytes as u64,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        )?;
        let pipes = &gpu.pipelines;
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("search"),
            });
        let mut offset = 0u64;
        // Kept alive until the submission.
        let mut keep_alive = Vec::new();
        for chunk in &self.chunks[range] {
            let stride = stride(chunk.rows);
            let segments = stride / SEGMENT;
            let bytes = (nb * segments * keep * 8) as u64;
            let dist_params = buffers::uniform(
                gpu,
                "distance params",
                &DistanceParams {
                    d: self.d as u32,
                    n_rows: chunk.rows as u32,
                    n_queries: nb as u32,
                    stride: stride as u32,
                    metric: self.metric_code(),
                }
                .words(),
            )?;
            let select_params = buffers::uniform(
                gpu,
                "select params",
                &SelectParams {
                    n_rows: chunk.rows as u32,
                    stride: stride as u32,
                    keep: keep as u32,
                    n_segments: segments as u32,
                    negate: self.metric_code(),
                }
                .words(),
            )?;
            let partial = buffers::create(gpu, "segment top-k", bytes, STORAGE)?;
            let dist_group = bind_group(
                gpu,
                &pipes.distances,
                &[&dist_params, query_buf, &chunk.buffer, dist_buf],
            );
            let select_group =
                bind_group(gpu, &pipes.select, &[&select_params, dist_buf, &partial]);
            {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("distances and top-k"),
                    timestamp_writes: None,
                });
                pass.set_pipeline(&pipes.distances);
                pass.set_bind_group(0, &dist_group, &[]);
                pass.dispatch_workgroups(
                    chunk.rows.div_ceil(TILE) as u32,
                    nb.div_ceil(TILE) as u32,
                    1,
                );
                pass.set_pipeline(&pipes.select);
                pass.set_bind_group(0, &select_group, &[]);
                pass.dispatch_workgroups(segments as u32, nb as u32, 1);
            }
            encoder.copy_buffer_to_buffer(&partial, 0, &staging, offset, bytes);
            offset += bytes;
            keep_alive.push((dist_params, select_params, partial));
        }
        gpu.queue.submit([encoder.finish()]);
        let words = buffers::map_read(gpu, &staging)?;
        drop(keep_alive);
        Ok(words)
    }

    /// Pushes one round's candidates into each query's heap in ascending label order,
    /// which gives the result of one sequential scan, ties included.
    fn merge_round(
        &self,
        range: std::ops::Range<usize>,
        words: &[u32],
        keep: usize,
        heaps: &mut [TopK],
    ) {
        let nb = heaps.len();
        let negate = self.metric == MetricType::InnerProduct;
        let chunk_rows = self.chunk_rows;
        let chunks = &self.chunks;
        heaps.par_iter_mut().enumerate().for_each(|(q, heap)| {
            let mut candidates: Vec<(i64, f32)> = Vec::new();
            let mut offset = 0;
            for c in range.clone() {
                let per_query = stride(chunks[c].rows) / SEGMENT * keep;
                let first_label = (c * chunk_rows) as i64;
                let start = 2 * (offset + q * per_query);
                for pair in words[start..start + 2 * per_query].chunks_exact(2) {
                    if pair[1] != NO_ROW {
                        let key = f32::from_bits(pair[0]);
                        let dist = if negate { -key } else { key };
                        candidates.push((first_label + i64::from(pair[1]), dist));
                    }
                }
                offset += nb * per_query;
            }
            candidates.sort_unstable_by_key(|c| c.0);
            for (label, dist) in candidates {
                heap.push(dist, label);
            }
        });
    }

    /// Entries each segment hands to the host: enough that the host's heap, fed the
    /// segments' lists in label order, ends as it would after every row.
    ///
    /// L2: Faiss's heap keeps the `k` least `(distance, label)` pairs, so a segment's
    /// best `k` suffice. Inner product is subtler: of the rows tied at the k-th value,
    /// the heap keeps the last to enter among those that entered, and a tie enters
    /// only while fewer than `k` rows at least as good came before it. A segment must
    /// then offer all its rows strictly better (fewer than `k`) and its first `k`
    /// ties: its best `2k` by (value, label) hold both.
    fn kept_per_segment(&self, k: usize) -> usize {
        let wanted = match self.metric {
            MetricType::L2 => k,
            MetricType::InnerProduct => k.saturating_mul(2),
        };
        wanted.min(SEGMENT)
    }

    /// The metric as the kernels' uniform blocks code it.
    fn metric_code(&self) -> u32 {
        match self.metric {
            MetricType::L2 => 0,
            MetricType::InnerProduct => 1,
        }
    }
}

/// Distance-row length for a chunk of `rows` rows: whole segments.
fn stride(rows: usize) -> usize {
    rows.div_ceil(SEGMENT).max(1) * SEGMENT
}

/// Most rows of dimension `d` one chunk may hold on this device: one storage binding,
/// one buffer, and one dispatch's workgroups; a multiple of the segment when larger.
fn max_chunk_rows(gpu: &Gpu, d: usize) -> Result<usize, GpuError> {
    if d == 0 {
        return Err(IndexError::ZeroDimension.into());
    }
    let row_bytes = 4 * d as u64;
    let rows = (gpu.report.max_storage_binding / row_bytes)
        .min(gpu.report.max_buffer_size / row_bytes)
        .min(u64::from(gpu.report.max_workgroups_per_dimension) * TILE as u64)
        // The distance buffer holds at least one segment-aligned row per query.
        .min(gpu.report.max_storage_binding / 4 / SEGMENT as u64 * SEGMENT as u64);
    let rows = usize::try_from(rows).unwrap_or(usize::MAX);
    if rows == 0 {
        return Err(IndexError::InvalidParameter(format!(
            "dimension {d} needs {row_bytes} bytes per vector, more than the device \
             binds at once ({} bytes)",
            gpu.report.max_storage_binding
        ))
        .into());
    }
    Ok(if rows >= SEGMENT {
        rows / SEGMENT * SEGMENT
    } else {
        rows
    })
}

/// A copy of `chunk` with room for `capacity` rows.
fn copy_chunk(
    gpu: &Gpu,
    chunk: &Chunk,
    capacity: usize,
    row_bytes: usize,
) -> Result<Chunk, GpuError> {
    let buffer = buffers::create(gpu, "vectors", (capacity * row_bytes) as u64, STORAGE)?;
    if chunk.rows > 0 {
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("copy vectors"),
            });
        encoder.copy_buffer_to_buffer(
            &chunk.buffer,
            0,
            &buffer,
            0,
            (chunk.rows * row_bytes) as u64,
        );
        gpu.queue.submit([encoder.finish()]);
    }
    Ok(Chunk {
        buffer,
        rows: chunk.rows,
        capacity,
    })
}

/// Rows `first..first + count` of a chunk, read back.
fn read_rows(
    gpu: &Gpu,
    chunk: &Chunk,
    first: usize,
    count: usize,
    d: usize,
) -> Result<Vec<f32>, GpuError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let words = buffers::read_back(
        gpu,
        &chunk.buffer,
        (first * d * 4) as u64,
        (count * d * 4) as u64,
    )?;
    Ok(words.into_iter().map(f32::from_bits).collect())
}

/// A bind group of `buffers` at bindings 0, 1, ... of the pipeline's group 0.
fn bind_group(
    gpu: &Gpu,
    pipeline: &wgpu::ComputePipeline,
    buffers: &[&wgpu::Buffer],
) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> = buffers
        .iter()
        .enumerate()
        .map(|(i, b)| wgpu::BindGroupEntry {
            binding: i as u32,
            resource: b.as_entire_binding(),
        })
        .collect();
    gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    })
}

impl Index for GpuFlatIndex {
    fn dimension(&self) -> usize {
        self.d
    }

    fn ntotal(&self) -> usize {
        self.ntotal_rows()
    }

    fn metric(&self) -> MetricType {
        self.metric
    }

    fn add(&mut self, x: &[f32]) -> Result<(), IndexError> {
        checked_vectors(x, self.d)?;
        let gpu = gpu()?;
        let _gate = gpu.gate();
        Ok(self.append(gpu, x)?)
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
        if params.and_then(|p| p.selector).is_some() {
            return Err(IndexError::Unsupported(format!(
                "an id selector on {} (as in faiss-gpu); search the CPU index",
                self.type_name()
            )));
        }
        let gpu = gpu()?;
        let _gate = gpu.gate();
        Ok(self.search_on_device(gpu, queries, k)?)
    }

    fn reset(&mut self) {
        // Each chunk frees its buffer under the gate.
        self.chunks.clear();
    }

    fn type_name(&self) -> &'static str {
        match self.metric {
            MetricType::L2 => "GpuIndexFlatL2",
            MetricType::InnerProduct => "GpuIndexFlatIP",
        }
    }

    /// Reads the vectors back, keeps the unselected ones in order (later ids shift
    /// down, as in the CPU flat index) and writes them to fresh chunks; the index is
    /// unchanged if that fails.
    fn remove_ids(&mut self, sel: &IdSelector) -> Result<usize, IndexError> {
        let gpu = gpu()?;
        let _gate = gpu.gate();
        let all = self.read_all(gpu)?;
        let matcher = sel.matcher();
        let mut kept = Vec::with_capacity(all.len());
        let mut removed = 0;
        for (i, row) in all.chunks_exact(self.d).enumerate() {
            if matcher.contains(i as i64) {
                removed += 1;
            } else {
                kept.extend_from_slice(row);
            }
        }
        if removed > 0 {
            let mut fresh = GpuFlatIndex {
                chunks: Vec::new(),
                ..self.clone()
            };
            fresh.append(gpu, &kept)?;
            self.chunks = fresh.chunks;
        }
        Ok(removed)
    }

    fn reconstruct_into(&self, id: i64, out: &mut [f32]) -> Result<(), IndexError> {
        if out.len() != self.d {
            return Err(IndexError::DimensionMismatch {
                dimension: self.d,
                len: out.len(),
            });
        }
        let row = usize::try_from(id)
            .ok()
            .filter(|&r| r < self.ntotal_rows())
            .ok_or(IndexError::UnknownId(id))?;
        let chunk = &self.chunks[row / self.chunk_rows];
        let gpu = gpu()?;
        let _gate = gpu.gate();
        let v = read_rows(gpu, chunk, row % self.chunk_rows, 1, self.d)?;
        out.copy_from_slice(&v);
        Ok(())
    }

    /// Moves the other GPU flat index's vectors after this one's (through the host).
    fn merge_from(&mut self, other: &mut dyn Index) -> Result<(), IndexError> {
        let into = self.type_name();
        let other_name = other.type_name();
        let o = other
            .as_any_mut()
            .downcast_mut::<GpuFlatIndex>()
            .ok_or_else(|| {
                IndexError::IncompatibleMerge(format!("{into} cannot merge from {other_name}"))
            })?;
        if o.d != self.d || o.metric != self.metric {
            return Err(IndexError::IncompatibleMerge(format!(
                "dimension/metric {}/{:?} vs {}/{:?}",
                self.d, self.metric, o.d, o.metric
            )));
        }
        let gpu = gpu()?;
        let _gate = gpu.gate();
        let moved = o.read_all(gpu)?;
        vector_count(&moved, self.d)?;
        self.append(gpu, &moved)?;
        o.reset();
        Ok(())
    }

    fn for_each_vector(&self, visit: &mut dyn FnMut(i64, &[f32])) -> Result<(), IndexError> {
        let gpu = gpu()?;
        let _gate = gpu.gate();
        let mut label = 0i64;
        for chunk in &self.chunks {
            let rows = read_rows(gpu, chunk, 0, chunk.rows, self.d)?;
            for v in rows.chunks_exact(self.d) {
                visit(label, v);
                label += 1;
            }
        }
        Ok(())
    }
}
