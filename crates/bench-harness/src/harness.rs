//! `ferrofaiss bench`: times an index on TEXMEX data (.fvecs / .ivecs) the way
//! `shared/bench/faiss_anchor.py` times native Faiss, and prints a table or, with
//! `--json`, records in that harness's schema so both can be compared side by side.
//!
//! Sections: flat indexes give `flat_add`, `flat_single`, `flat_batch`; `IVF{nlist},Flat`
//! gives `ivf_train`, `ivf_add`, and per nprobe `ivf_search` and `ivf_single`;
//! `--clients` gives `async_clients` instead (see [`crate::clients`]). Every
//! timing is the median of `--reps` repetitions, each run inside a rayon pool of the
//! requested thread count, with the CPU time other processes used meanwhile.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::texmex::{parse_fvecs, parse_ivecs, MalformedVecs, Vecs};
use clap::{Args, ValueEnum};
use ferrofaiss_index::{
    index_factory, Index, IndexError, IvfFlatIndex, MetricType, SearchParams,
    SUPPORTED_FACTORY_STRINGS,
};
use serde_json::{json, Value};

/// Arguments of `ferrofaiss bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Base vectors (.fvecs).
    #[arg(long)]
    pub base: PathBuf,
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

/// CPU time used by other processes while a measurement ran, from `/proc/stat`
/// (all CPUs, busy time) minus this process's own time (`/proc/self/stat`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoadProbe {
    busy: f64,
    own: f64,
    start: Instant,
}

impl LoadProbe {
    fn jiffies_per_s() -> f64 {
        100.0
    }

    fn busy_s() -> f64 {
        let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
            return 0.0;
        };
        let Some(line) = stat.lines().next() else {
            return 0.0;
        };
        let v: Vec<f64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|x| x.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal ...: busy = all - idle - iowait
        let total: f64 = v.iter().take(8).sum();
        let idle = v.get(3).copied().unwrap_or(0.0) + v.get(4).copied().unwrap_or(0.0);
        (total - idle) / Self::jiffies_per_s()
    }

    fn own_s() -> f64 {
        let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
            return 0.0;
        };
        // Fields after the parenthesised command name; utime and stime are 14 and 15.
        let Some(rest) = stat.rfind(')').map(|p| &stat[p + 2..]) else {
            return 0.0;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let get = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
        (get(11) + get(12)) / Self::jiffies_per_s()
    }

    pub(crate) fn start() -> LoadProbe {
        LoadProbe {
            busy: Self::busy_s(),
            own: Self::own_s(),
            start: Instant::now(),
        }
    }

    /// `(foreign cores, own cores)` averaged over the elapsed time.
    pub(crate) fn stop(self) -> (f64, f64) {
        let wall = self.start.elapsed().as_secs_f64().max(1e-9);
        let own = (Self::own_s() - self.own).max(0.0);
        let busy = (Self::busy_s() - self.busy).max(0.0);
        (((busy - own) / wall).max(0.0), own / wall)
    }
}

/// Timings of one measurement: seconds per repetition plus load.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timing {
    pub(crate) times: Vec<f64>,
    foreign: Vec<f64>,
    own: Vec<f64>,
}

pub(crate) fn median(v: &[f64]) -> f64 {
    percentile(v, 50.0)
}

/// Linear-interpolated percentile, as numpy's default.
pub(crate) fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let pos = (s.len() - 1) as f64 * p / 100.0;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
}

impl Timing {
    pub(crate) fn push(&mut self, seconds: f64, load: (f64, f64)) {
        self.times.push(seconds);
        self.foreign.push(load.0);
        self.own.push(load.1);
    }

    pub(crate) fn median(&self) -> f64 {
        median(&self.times)
    }

    fn time_json(&self) -> Value {
        let min = self.times.iter().copied().fold(f64::INFINITY, f64::min);
        let max = self.times.iter().copied().fold(0.0, f64::max);
        json!({"median": self.median(), "min": min, "max": max, "n": self.times.len()})
    }

    fn load_json(&self) -> Value {
        let fmax = self.foreign.iter().copied().fold(0.0, f64::max);
        json!({"foreign_cores_median": median(&self.foreign), "foreign_cores_max": fmax,
               "self_cores_median": median(&self.own)})
    }
}

/// Runs `setup` (untimed) then `f` (timed): `warmup` times unrecorded, then `reps`
/// times recorded. Returns the timings and the last result.
fn time_reps<T, R>(
    reps: usize,
    warmup: usize,
    mut setup: impl FnMut() -> Result<T, BenchError>,
    mut f: impl FnMut(&mut T) -> Result<R, BenchError>,
) -> Result<(Timing, R), BenchError> {
    let mut last = None;
    for _ in 0..warmup {
        let mut s = setup()?;
        last = Some(f(&mut s)?);
    }
    let mut timing = Timing::default();
    for _ in 0..reps.max(1) {
        let mut s = setup()?;
        drop(last.take());
        let probe = LoadProbe::start();
        let t0 = Instant::now();
        let r = f(&mut s)?;
        let dt = t0.elapsed().as_secs_f64();
        timing.push(dt, probe.stop());
        last = Some(r);
    }
    let last = last.ok_or_else(|| BenchError::BadInput("no repetition ran".into()))?;
    Ok((timing, last))
}

/// recall@k: |returned top-k ∩ true top-k| / k, averaged over the queries.
fn recall_at(labels: &[i64], k: usize, gt: Option<&Vecs<i32>>, nq: usize) -> Option<f64> {
    let gt = gt?;
    let mut hits = 0usize;
    for q in 0..nq {
        let truth = &gt.data[q * gt.d..q * gt.d + k];
        let got = &labels[q * k..(q + 1) * k];
        hits += got
            .iter()
            .filter(|&&l| l >= 0 && truth.contains(&(l as i32)))
            .count();
    }
    Some(hits as f64 / (nq * k) as f64)
}

/// The loaded inputs and options shared by every section.
pub(crate) struct Setup<'a> {
    pub(crate) args: &'a BenchArgs,
    pub(crate) base: Vecs<f32>,
    pub(crate) queries: Vecs<f32>,
    gt: Option<Vecs<i32>>,
    dataset: String,
    pub(crate) metric: MetricType,
    tier: String,
    records: Vec<Value>,
}

impl Setup<'_> {
    pub(crate) fn impl_name(&self, index: &dyn Index) -> String {
        format!(
            "ferrofaiss {} {} ({})",
            index.type_name(),
            env!("CARGO_PKG_VERSION"),
            self.tier
        )
    }

    fn recall_key(&self) -> String {
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

    fn new_index(&self) -> Result<Box<dyn Index>, BenchError> {
        Ok(index_factory(self.base.d, &self.args.index, self.metric)?)
    }

    /// Adds the base vectors (with ids 0..N for id maps).
    fn fill(&self, index: &mut dyn Index) -> Result<(), BenchError> {
        if index.type_name().starts_with("IndexIDMap") {
            let ids: Vec<i64> = (0..self.base.n as i64).collect();
            index.add_with_ids(&self.base.data, &ids)?;
        } else {
            index.add(&self.base.data)?;
        }
        Ok(())
    }
}

/// Searches queries one at a time: per-query latencies and the labels of each.
fn loop_single(
    index: &dyn Index,
    queries: &Vecs<f32>,
    nq: usize,
    k: usize,
    params: Option<&SearchParams>,
) -> Result<(Vec<f64>, Vec<i64>), BenchError> {
    let d = queries.d;
    let mut lat = Vec::with_capacity(nq);
    let mut labels = Vec::with_capacity(nq * k);
    for q in 0..nq {
        let t0 = Instant::now();
        let r = index.search(&queries.data[q * d..(q + 1) * d], k, params)?;
        lat.push(t0.elapsed().as_secs_f64());
        labels.extend_from_slice(&r.labels);
    }
    Ok((lat, labels))
}

/// One-query-at-a-time measurement: `(metrics, timing)` with latency median / p90 /
/// p99 over all repetitions and QPS from the median repetition.
fn single_bench(
    s: &Setup<'_>,
    index: &dyn Index,
    params: Option<&SearchParams>,
) -> Result<(Value, Timing), BenchError> {
    let k = s.args.k;
    let calib = 5.min(s.queries.n);
    let (lat, _) = loop_single(index, &s.queries, calib, k, params)?;
    let per_q = median(&lat).max(1e-7);
    let nq = ((s.args.single_target_s / per_q) as usize).clamp(20.min(s.queries.n), s.queries.n);
    let mut all = Vec::new();
    let mut first_labels = None;
    let (timing, _) = time_reps(
        s.args.reps,
        0,
        || Ok(()),
        |_| {
            let (lat, labels) = loop_single(index, &s.queries, nq, k, params)?;
            all.extend_from_slice(&lat);
            first_labels.get_or_insert(labels);
            Ok(())
        },
    )?;
    let per_rep: Vec<f64> = timing.times.iter().map(|t| t / nq as f64).collect();
    let mut metrics = json!({
        "latency_ms_median": median(&all) * 1e3,
        "latency_ms_p90": percentile(&all, 90.0) * 1e3,
        "latency_ms_p99": percentile(&all, 99.0) * 1e3,
        "qps": 1.0 / median(&per_rep),
        "queries_per_rep": nq,
    });
    if let Some(r) = recall_at(first_labels.as_deref().unwrap_or(&[]), k, s.gt.as_ref(), nq) {
        metrics[s.recall_key()] = json!(r);
    }
    Ok((metrics, timing))
}

fn flat_sections(s: &mut Setup<'_>, threads: usize) -> Result<(), BenchError> {
    let (n, d, k, nq) = (s.base.n, s.base.d, s.args.k, s.queries.n);
    let (add_t, index) = time_reps(
        s.args.reps,
        1,
        || s.new_index(),
        |idx| {
            s.fill(idx.as_mut())?;
            Ok(())
        },
    )
    .and_then(|(t, _)| {
        let mut idx = s.new_index()?;
        s.fill(idx.as_mut())?;
        Ok((t, idx))
    })?;
    let name = s.impl_name(index.as_ref());
    let med = add_t.median();
    s.record(
        "flat_add",
        &name,
        threads,
        json!({"N": n, "d": d}),
        json!({"vectors_per_s": n as f64 / med, "GBps": (n * d * 4) as f64 / med / 1e9}),
        &add_t,
    );
    let (mut m, t) = single_bench(s, index.as_ref(), None)?;
    m["GBps_scanned"] =
        json!((n * d * 4) as f64 / (m["latency_ms_median"].as_f64().unwrap_or(1.0) * 1e-3) / 1e9);
    s.record(
        "flat_single",
        &name,
        threads,
        json!({"k": k, "N": n, "d": d}),
        m,
        &t,
    );
    let (t, r) = time_reps(
        s.args.reps,
        1,
        || Ok(()),
        |_| Ok(index.search(&s.queries.data, k, None)?),
    )?;
    let med = t.median();
    let mut m = json!({"qps": nq as f64 / med, "ms_per_batch": med * 1e3,
                       "effective_GFLOPs": 2.0 * (nq * n * d) as f64 / med / 1e9});
    if let Some(rec) = recall_at(&r.labels, k, s.gt.as_ref(), nq) {
        m[s.recall_key()] = json!(rec);
    }
    s.record(
        "flat_batch",
        &name,
        threads,
        json!({"k": k, "nq": nq, "N": n, "d": d}),
        m,
        &t,
    );
    Ok(())
}

fn ivf_sections(s: &mut Setup<'_>, threads: usize) -> Result<(), BenchError> {
    let (n, d, k, nq) = (s.base.n, s.base.d, s.args.k, s.queries.n);
    let fresh = || -> Result<IvfFlatIndex, BenchError> {
        let idx = s.new_index()?;
        idx.as_any()
            .downcast_ref::<IvfFlatIndex>()
            .cloned()
            .ok_or_else(|| BenchError::BadInput("expected an IVF index".into()))
    };
    let (train_t, mut ivf) = time_reps(s.args.reps.min(3), 0, fresh, |idx| {
        idx.train(&s.base.data)?;
        Ok(idx.clone())
    })?;
    let nlist = ivf.nlist();
    let cp = *ivf.clustering_params();
    let name = s.impl_name(&ivf);
    s.record(
        "ivf_train",
        &name,
        threads,
        json!({"nlist": nlist, "niter": cp.niter, "max_points_per_centroid": cp.max_points_per_centroid,
               "train_points": n.min(nlist * cp.max_points_per_centroid), "N": n, "d": d}),
        json!({"train_s": train_t.median()}),
        &train_t,
    );
    let trained = ivf.clone();
    let (add_t, filled) = time_reps(
        s.args.reps,
        0,
        || Ok(trained.clone()),
        |idx| {
            idx.add(&s.base.data)?;
            Ok(std::mem::replace(idx, trained.clone()))
        },
    )?;
    ivf = filled;
    let sizes: Vec<usize> = ivf.lists().iter().map(|l| l.len()).collect();
    let mean = n as f64 / nlist as f64;
    let max = sizes.iter().copied().max().unwrap_or(0) as f64;
    s.record(
        "ivf_add",
        &name,
        threads,
        json!({"nlist": nlist, "N": n, "d": d}),
        json!({"vectors_per_s": n as f64 / add_t.median(), "add_s": add_t.median(),
               "list_size_max_over_mean": max / mean}),
        &add_t,
    );
    for &nprobe in &s.args.nprobe {
        let p = SearchParams::with_nprobe(nprobe);
        let (t, r) = time_reps(
            s.args.reps,
            1,
            || Ok(()),
            |_| Ok(ivf.search(&s.queries.data, k, Some(&p))?),
        )?;
        let mut m = json!({"qps": nq as f64 / t.median(),
                           "vectors_scanned_per_query": nprobe.min(nlist) as f64 / nlist as f64 * n as f64});
        if let Some(rec) = recall_at(&r.labels, k, s.gt.as_ref(), nq) {
            m[s.recall_key()] = json!(rec);
        }
        s.record(
            "ivf_search",
            &name,
            threads,
            json!({"nlist": nlist, "nprobe": nprobe, "nq": nq, "N": n, "d": d}),
            m,
            &t,
        );
        let (m, t) = single_bench(s, &ivf, Some(&p))?;
        s.record(
            "ivf_single",
            &name,
            threads,
            json!({"nlist": nlist, "nprobe": nprobe, "k": k, "N": n, "d": d}),
            m,
            &t,
        );
    }
    Ok(())
}

fn load(args: &BenchArgs) -> Result<Setup<'_>, BenchError> {
    if args.k == 0 {
        return Err(BenchError::BadInput("-k must be positive".into()));
    }
    if args.nprobe.contains(&0) {
        return Err(BenchError::BadInput(
            "--nprobe values must be positive".into(),
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
    let base = read_fvecs(&args.base)?;
    let queries = read_fvecs(&args.queries)?;
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
    // Validate the factory string before any timing.
    index_factory(base.d, &args.index, MetricType::L2)?;
    let dataset = args.dataset.clone().unwrap_or_else(|| {
        args.base
            .parent()
            .and_then(|p| p.file_name())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "unnamed".into())
    });
    Ok(Setup {
        args,
        base,
        queries,
        gt,
        dataset,
        metric: match args.metric {
            MetricArg::L2 => MetricType::L2,
            MetricArg::Ip => MetricType::InnerProduct,
        },
        tier: flatl2_kernel::active_tier()
            .map_err(|e| BenchError::BadInput(e.to_string()))?
            .to_string(),
        records: Vec::new(),
    })
}

/// Runs the benchmark and prints a table (or JSON records with `--json`).
pub fn run(args: &BenchArgs) -> Result<(), BenchError> {
    let mut s = load(args)?;
    let threads = if args.threads.is_empty() {
        vec![std::thread::available_parallelism().map_or(1, |n| n.get())]
    } else {
        args.threads.clone()
    };
    let is_ivf = s.new_index()?.as_any().is::<IvfFlatIndex>();
    if !args.json {
        println!(
            "{}: base {} x {}, {} queries, index {:?}, simd {} (supported: {})",
            s.dataset,
            s.base.n,
            s.base.d,
            s.queries.n,
            args.index,
            s.tier,
            SUPPORTED_FACTORY_STRINGS
        );
    }
    if !args.clients.is_empty() {
        crate::clients::clients_sections(&mut s)?;
    }
    for &t in threads.iter().filter(|_| args.clients.is_empty()) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .map_err(|e| BenchError::BadInput(format!("thread pool of {t}: {e}")))?;
        pool.install(|| {
            if is_ivf {
                ivf_sections(&mut s, t)
            } else {
                flat_sections(&mut s, t)
            }
        })?;
    }
    if args.json {
        let out = json!({
            "meta": {"tool": "ferrofaiss bench", "version": env!("CARGO_PKG_VERSION"),
                     "simd": s.tier, "index": args.index, "k": args.k, "reps": args.reps},
            "machine": {"cpus": std::thread::available_parallelism().map_or(1, |n| n.get())},
            "records": s.records,
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_recall() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(percentile(&[0.0, 10.0], 90.0), 9.0);
        let gt = Vecs {
            d: 3,
            n: 2,
            data: vec![1, 2, 3, 4, 5, 6],
        };
        assert_eq!(recall_at(&[2, 1, 9, 9], 2, Some(&gt), 2), Some(0.5));
    }
}
