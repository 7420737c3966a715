//! Moving indexes between the host and the device, as Faiss's `index_cpu_to_gpu` and
//! `index_gpu_to_cpu` do.

use ferrofaiss_index::{FlatIndex, Index, IndexError};

use crate::{GpuError, GpuFlatIndex};

/// A GPU twin of a CPU index: a [`FlatIndex`] (L2 or inner product, possibly inside a
/// `Box<dyn Index>`) becomes a [`GpuFlatIndex`] holding the same vectors. Any other
/// kind is an [`IndexError::Unsupported`] naming it.
pub fn index_cpu_to_gpu(index: &dyn Index) -> Result<Box<dyn Index>, GpuError> {
    match index.as_any().downcast_ref::<FlatIndex>() {
        Some(flat) => Ok(Box::new(GpuFlatIndex::from_cpu(flat)?)),
        None => Err(IndexError::Unsupported(format!(
            "index_cpu_to_gpu of {}: the GPU path holds flat indexes",
            index.type_name()
        ))
        .into()),
    }
}

/// The CPU twin of a GPU index, which searches alike and writes the same `.faiss`
/// bytes; a CPU index is copied as it is.
pub fn index_gpu_to_cpu(index: &dyn Index) -> Result<Box<dyn Index>, GpuError> {
    match index.as_any().downcast_ref::<GpuFlatIndex>() {
        Some(gpu) => Ok(Box::new(gpu.to_cpu()?)),
        None => Ok(index.clone_box()),
    }
}
