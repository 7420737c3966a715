//! Rows of vectors on the device, in chunks of at most one storage binding: appended
//! in place, read back, shared between clones until one of them writes.

use std::sync::Arc;

use ferrofaiss_index::IndexError;

use crate::buffers::{self, STORAGE};
use crate::device::{gpu, Gpu};
use crate::kernels::{SEGMENT, TILE};
use crate::GpuError;

/// Fewest rows a new chunk buffer is made for (it grows by doubling up to the chunk size).
const MIN_CAPACITY: usize = 1024;

/// One device buffer of rows.
#[derive(Debug)]
pub(crate) struct Chunk {
    pub(crate) buffer: wgpu::Buffer,
    pub(crate) rows: usize,
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

/// Rows of dimension `d`, row `i` in chunk `i / chunk_rows`. Every chunk but the last
/// is full. Cloning shares the chunks; a write copies a shared chunk first.
#[derive(Debug, Clone)]
pub(crate) struct RowStore {
    d: usize,
    chunk_rows: usize,
    chunks: Vec<Arc<Chunk>>,
}

impl RowStore {
    /// An empty store with chunks as large as the device binds, and at most
    /// `chunk_rows` (which must be positive).
    pub(crate) fn new(gpu: &Gpu, d: usize, chunk_rows: usize) -> Result<RowStore, GpuError> {
        if chunk_rows == 0 {
            return Err(IndexError::InvalidParameter("chunk_rows must be positive".into()).into());
        }
        Ok(RowStore {
            d,
            chunk_rows: max_chunk_rows(gpu, d)?.min(chunk_rows),
            chunks: Vec::new(),
        })
    }

    /// Row dimension.
    pub(crate) fn dimension(&self) -> usize {
        self.d
    }

    /// Most rows per chunk.
    pub(crate) fn chunk_rows(&self) -> usize {
        self.chunk_rows
    }

    /// The chunks, in row order.
    pub(crate) fn chunks(&self) -> &[Arc<Chunk>] {
        &self.chunks
    }

    /// Number of rows.
    pub(crate) fn len(&self) -> usize {
        match self.chunks.last() {
            Some(last) => (self.chunks.len() - 1) * self.chunk_rows + last.rows,
            None => 0,
        }
    }

    /// Drops every row (and frees the chunks no clone shares).
    pub(crate) fn clear(&mut self) {
        self.chunks.clear();
    }

    /// Appends rows (already checked) to the device, filling the last chunk, then new
    /// ones. All or nothing: on an error the store holds what it held before.
    pub(crate) fn append(&mut self, gpu: &Gpu, x: &[f32]) -> Result<(), GpuError> {
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
    /// owned by this store alone (a chunk shared with a clone is copied first).
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

    /// Every row, read back chunk by chunk.
    pub(crate) fn read_all(&self, gpu: &Gpu) -> Result<Vec<f32>, GpuError> {
        let mut out = Vec::with_capacity(self.len() * self.d);
        for chunk in &self.chunks {
            out.extend(read_rows(gpu, chunk, 0, chunk.rows, self.d)?);
        }
        Ok(out)
    }

    /// Row `row` (which must exist), read back.
    pub(crate) fn read_row(&self, gpu: &Gpu, row: usize) -> Result<Vec<f32>, GpuError> {
        let chunk = &self.chunks[row / self.chunk_rows];
        read_rows(gpu, chunk, row % self.chunk_rows, 1, self.d)
    }
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
