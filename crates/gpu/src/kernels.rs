//! The compute kernels (WGSL, compiled once per device) and the uniform blocks they
//! read: `distances` fills a (query, row) distance tile; `select` keeps the best of
//! each 1024-row segment.

use crate::GpuError;

/// Rows per segment of the `select` kernel (`SEG` in `select.wgsl`).
pub(crate) const SEGMENT: usize = 1024;
/// Queries and rows per `distances` workgroup (`TILE` in `distances.wgsl`).
pub(crate) const TILE: usize = 16;
/// Row slot of a padding entry in `select`'s output (`NO_ROW`).
pub(crate) const NO_ROW: u32 = u32::MAX;

/// The uniform block of `distances.wgsl`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DistanceParams {
    pub(crate) d: u32,
    pub(crate) n_rows: u32,
    pub(crate) n_queries: u32,
    pub(crate) stride: u32,
    /// 0: squared L2; 1: inner product.
    pub(crate) metric: u32,
}

impl DistanceParams {
    /// The block as the shader lays it out (eight words, the last three padding).
    pub(crate) fn words(&self) -> [u32; 8] {
        [
            self.d,
            self.n_rows,
            self.n_queries,
            self.stride,
            self.metric,
            0,
            0,
            0,
        ]
    }
}

/// The uniform block of `select.wgsl`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SelectParams {
    pub(crate) n_rows: u32,
    pub(crate) stride: u32,
    pub(crate) keep: u32,
    pub(crate) n_segments: u32,
    /// 1: rank by descending value (inner product).
    pub(crate) negate: u32,
}

impl SelectParams {
    /// The block as the shader lays it out (eight words, the last three padding).
    pub(crate) fn words(&self) -> [u32; 8] {
        [
            self.n_rows,
            self.stride,
            self.keep,
            self.n_segments,
            self.negate,
            0,
            0,
            0,
        ]
    }
}

/// Both kernels, compiled for one device.
pub(crate) struct Pipelines {
    pub(crate) distances: wgpu::ComputePipeline,
    pub(crate) select: wgpu::ComputePipeline,
}

impl Pipelines {
    /// Compiles the kernels; a shader the device refuses is a [`GpuError::Device`].
    pub(crate) fn new(device: &wgpu::Device) -> Result<Pipelines, GpuError> {
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let distances = pipeline(device, "distances", include_str!("shaders/distances.wgsl"));
        let select = pipeline(device, "select", include_str!("shaders/select.wgsl"));
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Device(format!("compiling the kernels: {e}")));
        }
        Ok(Pipelines { distances, select })
    }
}

fn pipeline(device: &wgpu::Device, name: &str, source: &str) -> wgpu::ComputePipeline {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(name),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(name),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    })
}
