//! The one device a process uses: chosen once (honouring `WGPU_BACKEND` and
//! `WGPU_ADAPTER_NAME`), shared by every GPU index, and watched for loss and for errors
//! wgpu would otherwise panic on.

use std::sync::{Arc, Mutex, OnceLock};

use crate::kernels::Pipelines;
use crate::GpuError;

/// What `ferrofaiss gpu` prints: the adapter in use and the limits the indexes size
/// their buffers by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterReport {
    /// The adapter's name (e.g. `NVIDIA H100`, `llvmpipe (LLVM 15.0.6, 256 bits)`).
    pub name: String,
    /// The backend it runs on: `Vulkan`, `Gl`, `Metal`.
    pub backend: String,
    /// `DiscreteGpu`, `IntegratedGpu`, `Cpu` (a software rasteriser), ...
    pub device_type: String,
    /// Driver name and version, as the driver reports them (may be empty).
    pub driver: String,
    /// Largest storage buffer one shader may bind, in bytes: the size of a chunk of
    /// stored vectors.
    pub max_storage_binding: u64,
    /// Largest buffer the device creates, in bytes.
    pub max_buffer_size: u64,
    /// Most workgroups one dispatch may launch along each dimension.
    pub max_workgroups_per_dimension: u32,
}

/// The shared device: wgpu's device and queue, the compiled kernels, and what the
/// device reported behind our back (a loss, an error outside any scope).
pub(crate) struct Gpu {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    pub(crate) report: AdapterReport,
    pub(crate) pipelines: Pipelines,
    lost: Arc<Mutex<Option<String>>>,
    /// Held by every call that talks to the device, so that calls from many threads
    /// queue here: wgpu's GL backend panics when a thread waits over a second for its
    /// context. Reentrant, because buffers are dropped inside locked calls.
    gate: parking_lot::ReentrantMutex<()>,
}

static GPU: OnceLock<Result<Gpu, GpuError>> = OnceLock::new();

/// The process's device, opened on first use. A failure to open one is kept too: every
/// later call returns the same error (one device per process, as with faiss-gpu's
/// default resources).
pub(crate) fn gpu() -> Result<&'static Gpu, GpuError> {
    GPU.get_or_init(open).as_ref().map_err(Clone::clone)
}

/// The adapter the GPU indexes run on, or why there is none.
pub fn adapter_report() -> Result<AdapterReport, GpuError> {
    Ok(gpu()?.report.clone())
}

fn open() -> Result<Gpu, GpuError> {
    let desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    let backends = desc.backends & !wgpu::Backends::NOOP;
    let instance = wgpu::Instance::new(desc);
    let wanted_name = std::env::var("WGPU_ADAPTER_NAME")
        .ok()
        .map(|n| n.trim().to_lowercase())
        .filter(|n| !n.is_empty());
    let adapters: Vec<wgpu::Adapter> = pollster::block_on(instance.enumerate_adapters(backends))
        .into_iter()
        .filter(|a| a.get_info().backend != wgpu::Backend::Noop)
        .collect();
    let chosen =
        match &wanted_name {
            Some(name) => adapters
                .iter()
                .find(|a| a.get_info().name.to_lowercase().contains(name.as_str()))
                .cloned(),
            None => pollster::block_on(
                instance.request_adapter(&wgpu::RequestAdapterOptions {
                    power_preference: wgpu::PowerPreference::from_env()
                        .unwrap_or(wgpu::PowerPreference::HighPerformance),
                    ..Default::default()
                }),
            )
            .ok()
            .filter(|a| a.get_info().backend != wgpu::Backend::Noop),
        };
    let Some(adapter) = chosen else {
        return Err(GpuError::NoAdapter {
            wanted: wanted(backends, wanted_name.as_deref()),
            seen: adapters
                .iter()
                .map(|a| {
                    let info = a.get_info();
                    format!("{} ({:?})", info.name, info.backend)
                })
                .collect(),
        });
    };
    let info = adapter.get_info();
    let limits = adapter.limits();
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("ferrofaiss"),
        required_limits: limits.clone(),
        ..Default::default()
    }))
    .map_err(|e| GpuError::RequestDevice {
        adapter: format!("{} ({:?})", info.name, info.backend),
        reason: e.to_string(),
    })?;
    let lost = Arc::new(Mutex::new(None));
    let on_lost = Arc::clone(&lost);
    device.set_device_lost_callback(move |reason, message| {
        if let Ok(mut slot) = on_lost.lock() {
            slot.get_or_insert(format!("{reason:?}: {message}"));
        }
    });
    // wgpu's default handler panics on an error raised outside an error scope; every
    // call of ours runs inside scopes, so anything arriving here is only logged.
    device.on_uncaptured_error(Arc::new(|e: wgpu::Error| {
        tracing::error!("ferrofaiss-gpu: uncaptured device error: {e}");
    }));
    let pipelines = Pipelines::new(&device)?;
    Ok(Gpu {
        device,
        queue,
        report: AdapterReport {
            name: info.name.clone(),
            backend: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            driver: format!("{} {}", info.driver, info.driver_info)
                .trim()
                .to_string(),
            max_storage_binding: limits.max_storage_buffer_binding_size,
            max_buffer_size: limits.max_buffer_size,
            max_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
        },
        pipelines,
        lost,
        gate: parking_lot::ReentrantMutex::new(()),
    })
}

/// The search, in words, for a [`GpuError::NoAdapter`].
fn wanted(backends: wgpu::Backends, name: Option<&str>) -> String {
    let mut s = format!("backends {backends:?}");
    match std::env::var("WGPU_BACKEND") {
        Ok(v) => s.push_str(&format!(" (WGPU_BACKEND={v})")),
        Err(_) => s.push_str(" (WGPU_BACKEND unset)"),
    }
    match name {
        Some(n) => s.push_str(&format!(
            ", an adapter whose name contains {n:?} (WGPU_ADAPTER_NAME)"
        )),
        None => s.push_str(", any adapter (WGPU_ADAPTER_NAME unset)"),
    }
    s
}

impl Gpu {
    /// Exclusive use of the device for this thread until the guard drops.
    pub(crate) fn gate(&self) -> parking_lot::ReentrantMutexGuard<'_, ()> {
        self.gate.lock()
    }

    /// [`GpuError::DeviceLost`] once the device has gone.
    pub(crate) fn check_alive(&self) -> Result<(), GpuError> {
        match self.lost.lock().ok().and_then(|slot| slot.clone()) {
            Some(reason) => Err(GpuError::DeviceLost(reason)),
            None => Ok(()),
        }
    }

    /// Runs `work` inside error scopes for out-of-memory, validation and internal
    /// errors, so that whatever the device reports becomes a typed error of this call
    /// instead of a panic. The first error reported wins over `work`'s own result.
    pub(crate) fn scoped<T>(
        &self,
        what: &str,
        work: impl FnOnce() -> Result<T, GpuError>,
    ) -> Result<T, GpuError> {
        let _gate = self.gate();
        self.check_alive()?;
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let internal = self.device.push_error_scope(wgpu::ErrorFilter::Internal);
        let out = work();
        let internal = pollster::block_on(internal.pop());
        let validation = pollster::block_on(validation.pop());
        let oom = pollster::block_on(oom.pop());
        if oom.is_some() || validation.is_some() || internal.is_some() {
            // A loss is reported through the device's callbacks, which run when the
            // device is polled: let the device finish what it can (an error is rare,
            // and a lost device returns at once), so the error says what happened.
            let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
        }
        self.check_alive()?;
        if oom.is_some() {
            return Err(GpuError::OutOfMemory(what.to_string()));
        }
        if let Some(e) = validation.or(internal) {
            return Err(GpuError::Device(format!("{what}: {e}")));
        }
        out
    }

    /// Blocks until the device has finished everything submitted so far.
    pub(crate) fn wait(&self) -> Result<(), GpuError> {
        let _gate = self.gate();
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| match self.check_alive() {
                Err(lost) => lost,
                Ok(()) => GpuError::Device(format!("waiting for the device: {e}")),
            })
    }
}
