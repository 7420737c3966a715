//! Moving indexes between the host and the device, as Faiss's `index_cpu_to_gpu` and
//! `index_gpu_to_cpu` do.

use ferrofaiss_index::{FlatIndex, Index, IndexError, IvfFlatIndex};

use crate::{GpuError, GpuFlatIndex, GpuIvfFlatIndex};

/// A GPU twin of a CPU index (possibly inside a `Box<dyn Index>`): a [`FlatIndex`]
/// becomes a [`GpuFlatIndex`], an [`IvfFlatIndex`] a [`GpuIvfFlatIndex`]. Any other
/// kind is an [`IndexError::Unsupported`] naming it.
pub fn index_cpu_to_gpu(index: &dyn Index) -> Result<Box<dyn Index>, GpuError> {
    let any = index.as_any();
    if let Some(flat) = any.downcast_ref::<FlatIndex>() {
        return Ok(Box::new(GpuFlatIndex::from_cpu(flat)?));
    }
    if let Some(ivf) = any.downcast_ref::<IvfFlatIndex>() {
        return Ok(Box::new(GpuIvfFlatIndex::from_cpu(ivf)?));
    }
    Err(IndexError::Unsupported(format!(
        "index_cpu_to_gpu of {}: the GPU path holds flat and IVF-Flat indexes",
        index.type_name()
    ))
    .into())
}

/// The CPU twin of a GPU index, which searches alike and writes the same `.faiss`
/// bytes; a CPU index is copied as it is.
pub fn index_gpu_to_cpu(index: &dyn Index) -> Result<Box<dyn Index>, GpuError> {
    Ok(host_twin(index)?.unwrap_or_else(|| index.clone_box()))
}

/// The CPU twin of a GPU index, or `None` for an index already on the host (use it as
/// it is: no copy), e.g. to write any index to a `.faiss` file.
pub fn host_twin(index: &dyn Index) -> Result<Option<Box<dyn Index>>, GpuError> {
    let any = index.as_any();
    if let Some(gpu) = any.downcast_ref::<GpuFlatIndex>() {
        return Ok(Some(Box::new(gpu.to_cpu()?)));
    }
    if let Some(gpu) = any.downcast_ref::<GpuIvfFlatIndex>() {
        return Ok(Some(Box::new(gpu.to_cpu())));
    }
    Ok(None)
}

/// Whether `index` is one of this crate's GPU indexes.
pub fn is_gpu_index(index: &dyn Index) -> bool {
    let any = index.as_any();
    any.is::<GpuFlatIndex>() || any.is::<GpuIvfFlatIndex>()
}
