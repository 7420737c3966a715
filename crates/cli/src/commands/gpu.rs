//! `ferrofaiss gpu`: the adapter the GPU path runs on, or why there is none; and the
//! `--device` option of `index` and `search`.

use ferrofaiss::Device;

use crate::error::{CliError, CliResult};

/// `--device`: where the index searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceArg {
    /// Host memory and the CPU kernels.
    Cpu,
    /// The GPU (a build with `--features gpu`; flat and IVF-Flat indexes).
    Gpu,
}

impl DeviceArg {
    /// The store's device.
    pub fn device(self) -> Device {
        match self {
            DeviceArg::Cpu => Device::Cpu,
            DeviceArg::Gpu => Device::Gpu,
        }
    }
}

/// Runs `ferrofaiss gpu`.
#[cfg(feature = "gpu")]
pub fn run() -> CliResult<()> {
    use ferrofaiss::gpu::adapter_report;
    let report = adapter_report().map_err(|e| CliError::new(e.to_string()))?;
    println!("adapter: {}", report.name);
    println!("backend: {}", report.backend);
    println!("device type: {}", report.device_type);
    println!("driver: {}", report.driver);
    println!(
        "limits: max_storage_binding={} max_buffer_size={} max_workgroups_per_dimension={}",
        report.max_storage_binding, report.max_buffer_size, report.max_workgroups_per_dimension
    );
    println!(
        "environment: WGPU_BACKEND={} WGPU_ADAPTER_NAME={}",
        std::env::var("WGPU_BACKEND").unwrap_or_else(|_| "(unset)".into()),
        std::env::var("WGPU_ADAPTER_NAME").unwrap_or_else(|_| "(unset)".into())
    );
    Ok(())
}

/// Runs `ferrofaiss gpu` in a build without the GPU path.
#[cfg(not(feature = "gpu"))]
pub fn run() -> CliResult<()> {
    Err(CliError::new(
        "this ferrofaiss was built without the GPU path; rebuild with `--features gpu`",
    ))
}
