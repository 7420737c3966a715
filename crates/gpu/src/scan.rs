//! One scan of stored rows for a set of queries: distances and each 1024-row
//! segment's best on the device, then, per query, the candidates a heap must see.

use ferrofaiss_index::MetricType;

use crate::buffers::{self, STORAGE};
use crate::device::Gpu;
use crate::kernels::{DistanceParams, SelectParams, NO_ROW, SEGMENT, TILE};
use crate::storage::{Chunk, RowStore};
use crate::GpuError;

/// Most bytes of partial results read back in one submission; a scan over more
/// chunks reads back in several rounds.
const READBACK_BUDGET: usize = 64 << 20;

/// Entries each segment hands to the host: enough that Faiss's heap, fed the
/// segments' lists in row order, ends as it would after every row.
///
/// The heap takes a row only when it is strictly better than its worst entry, and
/// evicts the worst by (value, label). So of the rows tied at the k-th value, those
/// that enter are the ones among the first `k` rows at least as good; which of them
/// stay depends on their labels. When labels are the row positions (a flat index)
/// under L2, that is simply the `k` least (distance, row): a segment's best `k`
/// suffice. Otherwise (inner product, or an IVF list whose labels are in any order) a
/// segment must offer all its rows strictly better (fewer than `k`) and its first `k`
/// ties: its best `2k` by (value, row) hold both.
pub(crate) fn kept_per_segment(metric: MetricType, k: usize, labels_are_rows: bool) -> usize {
    let wanted = match metric {
        MetricType::L2 if labels_are_rows => k,
        _ => k.saturating_mul(2),
    };
    wanted.min(SEGMENT)
}

/// What one submission brought back: for each chunk of the round, `keep` (key, row)
/// pairs per query and segment.
pub(crate) struct Round {
    words: Vec<u32>,
    /// Per chunk: its first row, its entries per query, its first word pair.
    parts: Vec<(usize, usize, usize)>,
    negate: bool,
}

impl Round {
    /// The candidates of query `q` of the batch, `(row, distance)`, written into `out`
    /// segment by segment (each segment best first): the caller orders them as its
    /// heap must see them.
    pub(crate) fn candidates(&self, q: usize, out: &mut Vec<(usize, f32)>) {
        out.clear();
        for &(first_row, per_query, first_pair) in &self.parts {
            let start = 2 * (first_pair + q * per_query);
            for pair in self.words[start..start + 2 * per_query].chunks_exact(2) {
                if pair[1] != NO_ROW {
                    let key = f32::from_bits(pair[0]);
                    let dist = if self.negate { -key } else { key };
                    out.push((first_row + pair[1] as usize, dist));
                }
            }
        }
    }
}

/// Scans every row of `store` for every query of `queries` (already checked), keeping
/// `keep` entries per segment: in batches of queries as large as one distance buffer
/// allows, each in rounds of chunks whose results fit the read-back budget. Calls
/// `on_round(first_query_of_batch, batch_size, &round)` for every round, rows ascending
/// from round to round.
pub(crate) fn scan(
    gpu: &Gpu,
    store: &RowStore,
    metric: MetricType,
    queries: &[f32],
    keep: usize,
    mut on_round: impl FnMut(usize, usize, &Round),
) -> Result<(), GpuError> {
    let d = store.dimension();
    let chunks = store.chunks();
    if queries.is_empty() || chunks.is_empty() {
        return Ok(());
    }
    let binding = usize::try_from(gpu.report.max_storage_binding).unwrap_or(usize::MAX);
    let max_stride = chunks
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
        let query_buf = buffers::upload(gpu, "queries", bytemuck::cast_slice(batch), STORAGE)?;
        let dist_buf = buffers::create(
            gpu,
            "distances",
            (nb * max_stride * 4) as u64,
            wgpu::BufferUsages::STORAGE,
        )?;
        let pass = Pass {
            gpu,
            d,
            metric,
            query_buf: &query_buf,
            dist_buf: &dist_buf,
            nb,
            keep,
        };
        let mut first = 0;
        while first < chunks.len() {
            let mut end = first;
            let mut bytes = 0;
            while end < chunks.len() {
                let more = pass.partial_bytes(&chunks[end]);
                if end > first && bytes + more > READBACK_BUDGET {
                    break;
                }
                bytes += more;
                end += 1;
            }
            let first_row = first * store.chunk_rows();
            let round = gpu.scoped("searching", || {
                pass.run(&chunks[first..end], first_row, store.chunk_rows(), bytes)
            })?;
            on_round(b * per_batch, nb, &round);
            first = end;
        }
    }
    Ok(())
}

/// Distance-row length for a chunk of `rows` rows: whole segments.
fn stride(rows: usize) -> usize {
    rows.div_ceil(SEGMENT).max(1) * SEGMENT
}

/// One batch of queries on the device.
struct Pass<'a> {
    gpu: &'a Gpu,
    d: usize,
    metric: MetricType,
    query_buf: &'a wgpu::Buffer,
    dist_buf: &'a wgpu::Buffer,
    nb: usize,
    keep: usize,
}

impl Pass<'_> {
    /// Bytes of segment results a chunk gives for the batch.
    fn partial_bytes(&self, chunk: &Chunk) -> usize {
        self.nb * (stride(chunk.rows) / SEGMENT) * self.keep * 8
    }

    /// One submission: for each chunk, the distance kernel then the segment top-k,
    /// whose output is copied into one staging buffer, read back at the end.
    fn run(
        &self,
        chunks: &[std::sync::Arc<Chunk>],
        first_row: usize,
        chunk_rows: usize,
        bytes: usize,
    ) -> Result<Round, GpuError> {
        let gpu = self.gpu;
        let (nb, keep) = (self.nb, self.keep);
        let metric = match self.metric {
            MetricType::L2 => 0,
            MetricType::InnerProduct => 1,
        };
        let staging = buffers::create(
            gpu,
            "search results staging",
            bytes as u64,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        )?;
        let pipes = &gpu.pipelines;
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("search"),
            });
        let mut parts = Vec::with_capacity(chunks.len());
        let mut offset = 0usize;
        // Kept alive until the submission.
        let mut keep_alive = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            let stride = stride(chunk.rows);
            let segments = stride / SEGMENT;
            let part_bytes = self.partial_bytes(chunk);
            let dist_params = buffers::uniform(
                gpu,
                "distance params",
                &DistanceParams {
                    d: self.d as u32,
                    n_rows: chunk.rows as u32,
                    n_queries: nb as u32,
                    stride: stride as u32,
                    metric,
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
                    negate: metric,
                }
                .words(),
            )?;
            let partial = buffers::create(gpu, "segment top-k", part_bytes as u64, STORAGE)?;
            let dist_group = bind_group(
                gpu,
                &pipes.distances,
                &[&dist_params, self.query_buf, &chunk.buffer, self.dist_buf],
            );
            let select_group = bind_group(
                gpu,
                &pipes.select,
                &[&select_params, self.dist_buf, &partial],
            );
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
            encoder.copy_buffer_to_buffer(&partial, 0, &staging, offset as u64, part_bytes as u64);
            parts.push((first_row + i * chunk_rows, segments * keep, offset / 8));
            offset += part_bytes;
            keep_alive.push((dist_params, select_params, partial));
        }
        gpu.queue.submit([encoder.finish()]);
        let words = buffers::map_read(gpu, &staging)?;
        drop(keep_alive);
        Ok(Round {
            words,
            parts,
            negate: self.metric == MetricType::InnerProduct,
        })
    }
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
