//! What every section shares: the arguments of `ferrofaiss bench`, its typed errors, the
//! loaded inputs ([`Setup`]) and the records they produce.

use std::path::{Path, PathBuf};

use crate::texmex::{parse_fvecs, parse_ivecs, MalformedVecs, Vecs};
use crate::timing::{median, Timing};
use clap::{Args, ValueEnum};
use ferrofaiss_index::faiss_io::{read_index_with, ReadOptions};
use ferrofaiss_index::{
    index_factory, reverse_index_factory, FlatIndex, Index, IndexError, IvfFlatIndex, MetricType,
    SUPPORTED_FACTORY_STRINGS,
};
use serde_json::{json, Value};

/// Arguments of `ferrofaiss bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Base vectors (.fvecs); not needed with `--load-index`.
    #[arg(long, required_unless_present = "load_index")]
    pub base: Option<PathBuf>,
    /// Search this native Faiss index file (`faiss.write_index`'s, or ours) instead of
    /// building an index: the same search sections, no build sections.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["base", "clients"])]
    pub load_index: Option<PathBuf>,
    /// With `--load-index`: copy the file's vectors or list codes into memory, as
    /// `faiss.read_index` does, instead of searching them in a read-only mapping of
    /// the file (the default, as `read_index`'s).
    #[arg(long, requires = "load_index")]
    pub no_mmap: bool,
    /// Also write the index built here to this path as a native Faiss file.
    #[arg(long, value_name = "PATH")]
    pub save_index: Option<PathBuf>,
    /// Query vectors (.fvecs), same dimension as the base.
    #[arg(long)]
    pub queries: PathBuf,
    /// Ground-truth neighbour ids (.ivecs, at least k per query) for recall.
    #[arg(long)]
    pub gt: Option<PathBuf>,
    /// Factory string of the index (the list comes from `SUPPORTED_FACTORY_STRINGS`).
    #[arg(long, value_name = "FACTORY", default_value = "Flat", help = factory_help())]
    pub index: String,
    /// Lists probed per query (IVF only), comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 4, 16, 64])]
    pub nprobe: Vec<usize>,
    /// Candidates kept while searching an HNSW graph (`HNSW{M}` only), comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = vec![16usize, 64, 256])]
    pub ef_search: Vec<usize>,
    /// Neighbours per query.
    #[arg(short = 'k', long = "k", default_value_t = 10)]
    pub k: usize,
    /// Thread counts to measure with, comma-separated (default: all cores).
    #[arg(long, value_delimiter = ',')]
    pub threads: Vec<usize>,
    /// Print JSON records (shared/bench "Result schema") instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Timed repetitions per measurement (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub reps: usize,
    /// Seconds one repetition of one-query-at-a-time search should take (sets how many
    /// queries are searched one by one, between 20 and all).
    #[arg(long, default_value_t = 0.5)]
    pub single_target_s: f64,
    /// Dataset name for the records (default: the base file's folder name).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Metric of the index.
    #[arg(long, value_enum, default_value_t = MetricArg::L2)]
    pub metric: MetricArg,
    /// Concurrent async callers, comma-separated: runs only the `async_clients` section
    /// (the base vectors in an `AsyncFaissStore`, each caller searching its own queries
    /// one at a time).
    #[arg(long, value_delimiter = ',')]
    pub clients: Vec<usize>,
    /// Searches each caller makes per repetition (`--clients`).
    #[arg(long, default_value_t = 20)]
    pub client_queries: usize,
    /// The most searches the store answers in one pass (`--clients`; 1 turns batching off).
    #[arg(long, default_value_t = ferrofaiss_async_store::Batching::DEFAULT_MAX_BATCH)]
    pub max_batch: usize,
    /// Where the index searches: cpu, or gpu (a build with --features gpu; Flat and
    /// IVF-Flat; every record says which in `params.device`).
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
}

/// The device as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceArg {
    /// Host memory and the CPU kernels.
    Cpu,
    /// The GPU, through ferrofaiss-gpu (wgpu).
    Gpu,
}

impl DeviceArg {
    /// The name records carry (`params.device`).
    pub fn name(self) -> &'static str {
        match self {
            DeviceArg::Cpu => "cpu",
            DeviceArg::Gpu => "gpu",
        }
    }
}

/// `index` on the GPU (Faiss's `index_cpu_to_gpu`).
#[cfg(feature = "gpu")]
fn to_gpu(index: &dyn Index) -> Result<Box<dyn Index>, BenchError> {
    ferrofaiss_gpu::index_cpu_to_gpu(index).map_err(|e| BenchError::Index(IndexError::from(e)))
}

/// A build without the GPU path cannot move an index there.
#[cfg(not(feature = "gpu"))]
fn to_gpu(index: &dyn Index) -> Result<Box<dyn Index>, BenchError> {
    Err(BenchError::BadInput(format!(
        "--device gpu ({}): this build has no GPU path; build with --features gpu",
        index.type_name()
    )))
}

/// The host twin of a GPU index, for writing (`None`: write the index itself).
#[cfg(feature = "gpu")]
fn host_copy(index: &dyn Index) -> Result<Option<Box<dyn Index>>, BenchError> {
    ferrofaiss_gpu::host_twin(index).map_err(|e| BenchError::Index(IndexError::from(e)))
}

/// Without the GPU path every index is on the host.
#[cfg(not(feature = "gpu"))]
fn host_copy(_index: &dyn Index) -> Result<Option<Box<dyn Index>>, BenchError> {
    Ok(None)
}

/// The help of `--index`: every factory string this build supports, spelt out (clap
/// turns the two characters `{n}` of a help text into a line break, so a doc comment
/// cannot write `IVF{n},Flat`).
fn factory_help() -> String {
    format!(
        "Factory string of the index, one of: {SUPPORTED_FACTORY_STRINGS} \
         (e.g. IVF1024,Flat; IVF indexes are trained on the base vectors)"
    )
}

/// The metric as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MetricArg {
    /// Squared Euclidean distance.
    L2,
    /// Inner product.
    Ip,
}

/// What can stop a benchmark before it runs.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A .fvecs/.ivecs file is malformed.
    #[error("{path}: {problem}")]
    BadVecs {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// Inputs that do not fit together (dimensions, counts, options).
    #[error("{0}")]
    BadInput(String),
    /// The index rejected an operation.
    #[error("index: {0}")]
    Index(#[from] IndexError),
    /// Writing or reading a native index file failed.
    #[error("index file: {0}")]
    IndexFile(#[from] ferrofaiss_index::faiss_io::FaissIoError),
}

fn read_vecs<T>(
    path: &Path,
    parse: fn(&[u8]) -> Result<Vecs<T>, MalformedVecs>,
) -> Result<Vecs<T>, BenchError> {
    let bytes = std::fs::read(path).map_err(|source| BenchError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&bytes).map_err(|MalformedVecs(problem)| BenchError::BadVecs {
        path: path.to_path_buf(),
        problem,
    })
}

/// Reads a .fvecs file.
pub fn read_fvecs(path: &Path) -> Result<Vecs<f32>, BenchError> {
    read_vecs(path, parse_fvecs)
}

/// Reads an .ivecs file.
pub fn read_ivecs(path: &Path) -> Result<Vecs<i32>, BenchError> {
    read_vecs(path, parse_ivecs)
}

/// The loaded inputs and options shared by every section.
pub(crate) struct Setup<'a> {
    pub(crate) args: &'a BenchArgs,
    /// The index read with `--load-index`, until a section takes it.
    pub(crate) loaded: Option<Box<dyn Index>>,
    /// The factory string of the index measured (`params.index` of every record).
    pub(crate) index_label: String,
    pub(crate) base: Vecs<f32>,
    pub(crate) queries: Vecs<f32>,
    pub(crate) gt: Option<Vecs<i32>>,
    pub(crate) dataset: String,
    pub(crate) metric: MetricType,
    pub(crate) tier: String,
    pub(crate) records: Vec<Value>,
}

impl<'a> Setup<'a> {
    pub(crate) fn impl_name(&self, index: &dyn Index) -> String {
        format!(
            "ferrofaiss {} {} ({})",
            index.type_name(),
            env!("CARGO_PKG_VERSION"),
            self.tier
        )
    }

    pub(crate) fn recall_key(&self) -> String {
        format!("recall@{}", self.args.k)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record(
        &mut self,
        section: &str,
        impl_name: &str,
        threads: usize,
        params: Value,
        metrics: Value,
        timing: &Timing,
    ) {
        // Every record names the index it measured by its factory string.
        let mut params = params;
        if let Some(p) = params.as_object_mut() {
            p.entry("index").or_insert_with(|| json!(self.index_label));
            p.entry("device")
                .or_insert_with(|| json!(self.args.device.name()));
        }
        let rec = json!({
            "section": section, "dataset": self.dataset, "impl": impl_name,
            "threads": threads, "params": params, "metrics": metrics,
            "time_s": timing.time_json(), "load": timing.load_json(),
        });
        if !self.args.json {
            let m = metrics
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| match v.as_f64() {
                            Some(x) => format!("{k}={x:.4}"),
                            None => format!("{k}={v}"),
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            println!(
                "{section:12} t={threads} {params} -> {m} (foreign cores {:.2})",
                median(&timing.foreign)
            );
        }
        self.records.push(rec);
    }

    /// A new empty index of the factory string (on the host).
    pub(crate) fn new_index(&self) -> Result<Box<dyn Index>, BenchError> {
        Ok(index_factory(self.base.d, &self.args.index, self.metric)?)
    }

    /// [`Setup::new_index`] on the `--device`.
    pub(crate) fn new_index_on_device(&self) -> Result<Box<dyn Index>, BenchError> {
        let index = self.new_index()?;
        Ok(self.on_device(index.as_ref())?.unwrap_or(index))
    }

    /// A copy of a host index on the `--device` (`None`: the CPU, search `index`).
    pub(crate) fn on_device(
        &self,
        index: &dyn Index,
    ) -> Result<Option<Box<dyn Index>>, BenchError> {
        match self.args.device {
            DeviceArg::Cpu => Ok(None),
            DeviceArg::Gpu => to_gpu(index).map(Some),
        }
    }

    /// A new empty index of the factory string, as the concrete type `T` a section
    /// works on (`what` names it in the error when the string builds another kind).
    pub(crate) fn new_as<T: Index + Clone + 'static>(&self, what: &str) -> Result<T, BenchError> {
        self.new_index()?
            .as_any()
            .downcast_ref::<T>()
            .cloned()
            .ok_or_else(|| BenchError::BadInput(format!("expected {what}")))
    }

    /// The search sections (`search`) on the `--load-index` index when it is a `T`,
    /// else on one `build` makes from the base vectors (written to `--save-index` on
    /// the first pass, `with_io`).
    pub(crate) fn loaded_or_built<T: Index + 'static>(
        &mut self,
        threads: usize,
        with_io: bool,
        build: fn(&mut Setup<'a>, usize) -> Result<T, BenchError>,
        search: fn(&mut Setup<'a>, usize, bool, &T) -> Result<(), BenchError>,
    ) -> Result<(), BenchError> {
        let loaded = self.loaded.take();
        let result = match loaded
            .as_deref()
            .and_then(|i| i.as_any().downcast_ref::<T>())
        {
            Some(index) => search(self, threads, with_io, index),
            None => build(self, threads).and_then(|index| {
                if with_io {
                    self.save(&index)?;
                }
                search(self, threads, with_io, &index)
            }),
        };
        self.loaded = loaded;
        result
    }

    /// Writes `index` to `--save-index`, if given.
    pub(crate) fn save(&self, index: &dyn Index) -> Result<(), BenchError> {
        if let Some(path) = &self.args.save_index {
            let host = host_copy(index)?;
            ferrofaiss_index::faiss_io::write_index(host.as_deref().unwrap_or(index), path)?;
        }
        Ok(())
    }

    /// Adds the base vectors (with ids 0..N for id maps).
    pub(crate) fn fill(&self, index: &mut dyn Index) -> Result<(), BenchError> {
        if index.type_name().starts_with("IndexIDMap") {
            let ids: Vec<i64> = (0..self.base.n as i64).collect();
            index.add_with_ids(&self.base.data, &ids)?;
        } else {
            index.add(&self.base.data)?;
        }
        Ok(())
    }
}

pub(crate) fn load(args: &BenchArgs) -> Result<Setup<'_>, BenchError> {
    if args.k == 0 {
        return Err(BenchError::BadInput("-k must be positive".into()));
    }
    if args.nprobe.contains(&0) {
        return Err(BenchError::BadInput(
            "--nprobe values must be positive".into(),
        ));
    }
    if args.ef_search.contains(&0) {
        return Err(BenchError::BadInput(
            "--ef-search values must be positive".into(),
        ));
    }
    if args.threads.contains(&0) {
        return Err(BenchError::BadInput(
            "--threads values must be positive".into(),
        ));
    }
    if args.clients.contains(&0) || args.client_queries == 0 || args.max_batch == 0 {
        return Err(BenchError::BadInput(
            "--clients values, --client-queries and --max-batch must be positive".into(),
        ));
    }
    let queries = read_fvecs(&args.queries)?;
    let (base, loaded) = match (&args.load_index, &args.base) {
        (Some(path), _) => {
            let index = read_index_with(
                path,
                ReadOptions {
                    mmap: !args.no_mmap,
                },
            )?;
            // The base is the file's: its size and dimension, no vectors needed.
            let base = Vecs {
                d: index.dimension(),
                n: index.ntotal(),
                data: Vec::new(),
            };
            (base, Some(index))
        }
        (None, Some(path)) => (read_fvecs(path)?, None),
        (None, None) => {
            return Err(BenchError::BadInput(
                "--base or --load-index is required".into(),
            ))
        }
    };
    if queries.d != base.d {
        return Err(BenchError::BadInput(format!(
            "queries have dimension {}, base {}",
            queries.d, base.d
        )));
    }
    let gt = match &args.gt {
        Some(p) => {
            let gt = read_ivecs(p)?;
            if gt.n < queries.n || gt.d < args.k {
                return Err(BenchError::BadInput(format!(
                    "ground truth has {} rows of {} ids; need {} rows of at least k = {}",
                    gt.n, gt.d, queries.n, args.k
                )));
            }
            Some(gt)
        }
        None => None,
    };
    let index_label = match &loaded {
        Some(index) => {
            reverse_index_factory(index.as_ref()).unwrap_or_else(|| index.type_name().to_string())
        }
        None => {
            // Validate the factory string before any timing.
            index_factory(base.d, &args.index, MetricType::L2)?;
            args.index.clone()
        }
    };
    if args.device == DeviceArg::Gpu {
        let probe = match &loaded {
            Some(index) => index.clone_box(),
            None => index_factory(base.d, &args.index, MetricType::L2)?,
        };
        let any = probe.as_any();
        if !any.is::<FlatIndex>() && !any.is::<IvfFlatIndex>() {
            return Err(BenchError::BadInput(format!(
                "--device gpu times Flat and IVF-Flat indexes, not {index_label:?}"
            )));
        }
    }
    if args.device == DeviceArg::Gpu && !args.clients.is_empty() {
        return Err(BenchError::BadInput(
            "--device gpu does not run the --clients section".into(),
        ));
    }
    let metric = match (&loaded, args.metric) {
        (Some(index), _) => index.metric(),
        (None, MetricArg::L2) => MetricType::L2,
        (None, MetricArg::Ip) => MetricType::InnerProduct,
    };
    let source = args.base.as_ref().or(args.load_index.as_ref());
    let dataset = args.dataset.clone().unwrap_or_else(|| {
        source
            .and_then(|p| p.parent())
            .and_then(|p| p.file_name())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "unnamed".into())
    });
    Ok(Setup {
        args,
        loaded,
        index_label,
        base,
        queries,
        gt,
        dataset,
        metric,
        tier: flatl2_kernel::active_tier()
            .map_err(|e| BenchError::BadInput(e.to_string()))?
            .to_string(),
        records: Vec::new(),
    })
}
