//! Device buffers: allocation inside an out-of-memory scope, uploads, and reads back to
//! the host.

use std::sync::mpsc;

use crate::device::Gpu;
use crate::GpuError;

/// Usage of every buffer that holds vectors or results: bound to shaders, filled by
/// the queue, copied from and to.
pub(crate) const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

/// An uninitialised (zeroed, per WebGPU) buffer of `bytes` bytes.
pub(crate) fn create(
    gpu: &Gpu,
    label: &str,
    bytes: u64,
    usage: wgpu::BufferUsages,
) -> Result<wgpu::Buffer, GpuError> {
    check_size(gpu, label, bytes)?;
    gpu.scoped(&format!("{label} ({bytes} bytes)"), || {
        Ok(gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes,
            usage,
            mapped_at_creation: false,
        }))
    })
}

/// A buffer holding `contents`: created empty, then filled by the queue (not mapped at
/// creation: wgpu panics when such a mapping fails, on a lost device for one).
pub(crate) fn upload(
    gpu: &Gpu,
    label: &str,
    contents: &[u8],
    usage: wgpu::BufferUsages,
) -> Result<wgpu::Buffer, GpuError> {
    let buffer = create(
        gpu,
        label,
        contents.len() as u64,
        usage | wgpu::BufferUsages::COPY_DST,
    )?;
    gpu.scoped(&format!("filling {label}"), || {
        gpu.queue.write_buffer(&buffer, 0, contents);
        Ok(())
    })?;
    Ok(buffer)
}

/// A uniform block for one dispatch.
pub(crate) fn uniform(gpu: &Gpu, label: &str, words: &[u32; 8]) -> Result<wgpu::Buffer, GpuError> {
    upload(
        gpu,
        label,
        bytemuck::cast_slice(words),
        wgpu::BufferUsages::UNIFORM,
    )
}

/// Refuses a buffer the device cannot hold before asking it (a typed error, not a
/// validation failure), and an empty one (WebGPU binds none).
fn check_size(gpu: &Gpu, label: &str, bytes: u64) -> Result<(), GpuError> {
    if bytes > gpu.report.max_buffer_size {
        return Err(GpuError::OutOfMemory(format!(
            "{label}: {bytes} bytes is more than the device's largest buffer ({} bytes)",
            gpu.report.max_buffer_size
        )));
    }
    Ok(())
}

/// Copies `bytes` bytes (a multiple of 4) of `source` from `offset` to the host, as
/// 32-bit words: a staging buffer, one submission, a map.
pub(crate) fn read_back(
    gpu: &Gpu,
    source: &wgpu::Buffer,
    offset: u64,
    bytes: u64,
) -> Result<Vec<u32>, GpuError> {
    let staging = create(
        gpu,
        "read-back staging",
        bytes,
        wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
    )?;
    let mut encoder = gpu
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("read back"),
        });
    encoder.copy_buffer_to_buffer(source, offset, &staging, 0, bytes);
    gpu.scoped("reading back from the device", || {
        gpu.queue.submit([encoder.finish()]);
        Ok(())
    })?;
    map_read(gpu, &staging)
}

/// Maps a `MAP_READ` buffer whose copies have been submitted and returns its contents
/// as 32-bit words (floats and row slots alike).
pub(crate) fn map_read(gpu: &Gpu, staging: &wgpu::Buffer) -> Result<Vec<u32>, GpuError> {
    let (tx, rx) = mpsc::channel();
    staging.map_async(wgpu::MapMode::Read, .., move |r| {
        let _ = tx.send(r);
    });
    gpu.wait()?;
    match rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(GpuError::Device(format!("mapping a result buffer: {e}"))),
        Err(_) => {
            gpu.check_alive()?;
            return Err(GpuError::Device(
                "a result buffer was never mapped".to_string(),
            ));
        }
    }
    let bytes = {
        let view = staging
            .get_mapped_range(..)
            .map_err(|e| GpuError::Device(format!("reading a mapped buffer: {e}")))?;
        bytemuck::pod_collect_to_vec::<u8, u32>(&view)
    };
    staging.unmap();
    Ok(bytes)
}
