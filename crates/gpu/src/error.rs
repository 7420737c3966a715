//! The typed errors of the GPU path: what was looked for and what the device said.

use ferrofaiss_index::IndexError;

/// What can go wrong on the GPU path. Never a panic: wgpu's own errors (validation,
/// out of memory, a lost device) are caught and returned as one of these.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GpuError {
    /// No adapter matched. `wanted` names the backends and adapter name looked for
    /// (from `WGPU_BACKEND` / `WGPU_ADAPTER_NAME` when set); `seen` lists the adapters
    /// that were found but did not match (empty when there were none at all).
    #[error("no GPU adapter found: looked for {wanted}; adapters seen: {}", seen_list(.seen))]
    NoAdapter {
        /// The backends and adapter name looked for.
        wanted: String,
        /// `name (backend)` of each adapter found that did not match.
        seen: Vec<String>,
    },
    /// The adapter refused to open a device.
    #[error("the adapter {adapter} refused a device: {reason}")]
    RequestDevice {
        /// The adapter's name and backend.
        adapter: String,
        /// wgpu's reason.
        reason: String,
    },
    /// The device was lost (driver reset, unplugged, destroyed); every later call
    /// returns this too. Start a new process to get a new device.
    #[error("the GPU device was lost: {0}")]
    DeviceLost(String),
    /// The device ran out of memory; the message says for what.
    #[error("out of GPU memory: {0}")]
    OutOfMemory(String),
    /// The device rejected an operation (a validation or internal error of wgpu).
    #[error("the GPU device rejected the work: {0}")]
    Device(String),
    /// The index's vectors or arguments were refused before anything ran.
    #[error(transparent)]
    Index(#[from] IndexError),
}

fn seen_list(seen: &[String]) -> String {
    if seen.is_empty() {
        "none".to_string()
    } else {
        seen.join(", ")
    }
}

/// A GPU error as the [`IndexError`] the `Index` trait returns: input errors stay what
/// they were, device errors become [`IndexError::Device`] with the same message.
impl From<GpuError> for IndexError {
    fn from(e: GpuError) -> IndexError {
        match e {
            GpuError::Index(inner) => inner,
            other => IndexError::Device(other.to_string()),
        }
    }
}
