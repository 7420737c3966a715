//! Where a store's index lives: in host memory (default) or on a GPU through
//! `ferrofaiss-gpu` (feature `gpu`). Saves always write the host twin, so a folder
//! saved from the GPU is the folder the CPU store writes.

use ferrofaiss_index::{Index, IndexError};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// The device a store's index searches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// Host memory and the CPU kernels.
    #[default]
    Cpu,
    /// The process's GPU (wgpu: Vulkan, GL or Metal), for flat and IVF-Flat indexes.
    /// Needs the `gpu` feature.
    Gpu,
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Device::Cpu => "cpu",
            Device::Gpu => "gpu",
        })
    }
}

impl std::str::FromStr for Device {
    type Err = StoreError;

    /// `cpu` or `gpu`, in any case.
    fn from_str(s: &str) -> Result<Device, StoreError> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Ok(Device::Cpu),
            "gpu" => Ok(Device::Gpu),
            _ => Err(StoreError::InvalidParameter {
                name: "device",
                value: s.to_string(),
                reason: "must be cpu or gpu",
            }),
        }
    }
}

/// `index` on `device`: moved to the GPU (Faiss's `index_cpu_to_gpu`) or back to the
/// host (`index_gpu_to_cpu`), or left as it is. A kind the GPU path does not hold, or
/// a build without the `gpu` feature, is an error naming it.
pub(crate) fn to_device(
    index: Box<dyn Index>,
    device: Device,
) -> Result<Box<dyn Index>, StoreError> {
    Ok(moved(&*index, device)?.unwrap_or(index))
}

/// A copy of `index` on `device`, or `None` when it is there already.
pub(crate) fn moved(
    index: &dyn Index,
    device: Device,
) -> Result<Option<Box<dyn Index>>, StoreError> {
    match device {
        Device::Cpu => host_copy(index),
        Device::Gpu => gpu_copy(index),
    }
}

#[cfg(feature = "gpu")]
fn gpu_copy(index: &dyn Index) -> Result<Option<Box<dyn Index>>, StoreError> {
    if ferrofaiss_gpu::is_gpu_index(index) {
        return Ok(None);
    }
    ferrofaiss_gpu::index_cpu_to_gpu(index)
        .map(Some)
        .map_err(|e| StoreError::from(IndexError::from(e)))
}

#[cfg(not(feature = "gpu"))]
fn gpu_copy(index: &dyn Index) -> Result<Option<Box<dyn Index>>, StoreError> {
    Err(StoreError::from(IndexError::Unsupported(format!(
        "a store on the GPU ({}): this build has no GPU path (feature `gpu`)",
        index.type_name()
    ))))
}

/// The host twin of a GPU index, for writing or for moving back (`None` for an index
/// already on the host).
pub(crate) fn host_copy(index: &dyn Index) -> Result<Option<Box<dyn Index>>, StoreError> {
    #[cfg(feature = "gpu")]
    {
        ferrofaiss_gpu::host_twin(index).map_err(|e| StoreError::from(IndexError::from(e)))
    }
    #[cfg(not(feature = "gpu"))]
    {
        let _ = index;
        Ok(None)
    }
}
