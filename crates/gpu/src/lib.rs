//! faiss-gpu's flat index on `wgpu` compute: pure Rust, Vulkan, GL or Metal, shaders
//! in WGSL. Optional (the `gpu` feature of `ferrofaiss` and `ferrofaiss-cli`), so the
//! default build has no GPU code at all.
//!
//! * [`GpuFlatIndex`] implements [`ferrofaiss_index::Index`]: the vectors live on the
//!   device, chunked by the adapter's storage-binding limit; distances and a
//!   per-segment top-k run on the device, the host merges the short lists. Labels are
//!   the CPU [`ferrofaiss_index::FlatIndex`]'s, ties in Faiss's order (L2: the lower
//!   id first; inner product: the higher, as Faiss 1.15 ranks them); distances agree
//!   to float rounding.
//! * [`GpuIvfFlatIndex`] (faiss-gpu's `GpuIndexIVFFlat`): coarse quantizer and list
//!   scans on the device, a batch grouped by list; the same probes and candidates as
//!   the CPU `IvfFlatIndex`, so the same recall at every `nprobe`. A host twin keeps
//!   ids, direct map, training and a copy of the vectors.
//! * [`index_cpu_to_gpu`] / [`index_gpu_to_cpu`] move an index between host and
//!   device; a GPU index saves through its CPU twin, to the same `.faiss` bytes.
//! * One device per process, opened on first use and shared: `WGPU_BACKEND`
//!   (`vulkan`, `gl`, `metal`) and `WGPU_ADAPTER_NAME` (a substring of the adapter's
//!   name) choose it; [`adapter_report`] says which it is, or why there is none.
//! * Every failure is a [`GpuError`] (no adapter, a lost device, out of device memory,
//!   an operation the device refused), never a panic; through the `Index` trait it is
//!   an [`ferrofaiss_index::IndexError::Device`].
//!
//! Not in faiss-gpu's indexes either: id selectors and range search (both
//! [`ferrofaiss_index::IndexError::Unsupported`]; search the CPU index).

mod buffers;
mod device;
mod error;
mod flat;
mod ivf;
mod kernels;
mod scan;
mod storage;
mod transfer;
mod verbs;

pub use device::{adapter_report, AdapterReport};
pub use error::GpuError;
pub use flat::GpuFlatIndex;
pub use ivf::GpuIvfFlatIndex;
pub use transfer::{host_twin, index_cpu_to_gpu, index_gpu_to_cpu, is_gpu_index};

/// The crate README's example, compiled as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// What this crate's own tests reach into. Not part of the API: no stability promise.
#[doc(hidden)]
pub mod __test_seams {
    /// Destroys the process's device, as a driver reset would lose it: every later
    /// call must then fail with a typed error.
    pub fn lose_device() -> Result<(), crate::GpuError> {
        let gpu = crate::device::gpu()?;
        let _gate = gpu.gate();
        gpu.device.destroy();
        Ok(())
    }
}
