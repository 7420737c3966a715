//! `ferrofaiss bench`: times an index on TEXMEX data (.fvecs / .ivecs) the way
//! `shared/bench/faiss_anchor.py` times native Faiss, and prints a table or, with
//! `--json`, records in that harness's schema so both can be compared side by side.
//!
//! Sections: flat indexes give `flat_add`, `flat_single`, `flat_batch`; `IVF{nlist},Flat`
//! (and `IVF{nlist},SQ8` / `IVF{nlist},SQfp16`) gives `ivf_train`, `ivf_add`, and per
//! nprobe `ivf_search` and `ivf_single`; `SQ8` /
//! `SQfp16` give `sq_train`, `sq_add`, `sq_single`, `sq_batch` (see [`crate::sq`]);
//! `HNSW{M}` gives `hnsw_build`, and per `--ef-search` `hnsw_search` and `hnsw_single`
//! (see [`crate::hnsw`]);
//! `--clients` gives `async_clients` instead (see [`crate::clients`]). Every
//! timing is the median of `--reps` repetitions, each run inside a rayon pool of the
//! requested thread count, with the CPU time other processes used meanwhile.

use crate::measure::{recall_at, single_and_batch, single_bench};
use crate::setup::{load, Setup};
use crate::timing::time_reps;
use ferrofaiss_index::{
    HnswFlatIndex, Index, IvfFlatIndex, IvfIndex, IvfSqIndex, ListCodec, ScalarQuantizerIndex,
    SearchParams, SUPPORTED_FACTORY_STRINGS,
};
use serde_json::json;

pub use crate::setup::{read_fvecs, read_ivecs, BenchArgs, BenchError, MetricArg};

fn flat_sections(s: &mut Setup<'_>, threads: usize, with_io: bool) -> Result<(), BenchError> {
    let loaded = s.loaded.take();
    let result = flat_search_sections(s, threads, with_io, loaded.as_deref());
    s.loaded = loaded;
    result
}

/// Builds (timing `flat_add`) or takes the loaded index, then the search sections.
fn flat_search_sections(
    s: &mut Setup<'_>,
    threads: usize,
    with_io: bool,
    loaded: Option<&dyn Index>,
) -> Result<(), BenchError> {
    let (n, d, nq) = (s.base.n, s.base.d, s.queries.n);
    let built;
    let moved;
    let index: &dyn Index = match loaded {
        Some(index) => {
            moved = s.on_device(index)?;
            moved.as_deref().unwrap_or(index)
        }
        None => {
            let (add_t, index) = time_reps(
                s.args.reps,
                1,
                || s.new_index_on_device(),
                |idx| {
                    s.fill(idx.as_mut())?;
                    Ok(())
                },
            )
            .and_then(|(t, _)| {
                let mut idx = s.new_index_on_device()?;
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
            if with_io {
                s.save(index.as_ref())?;
            }
            built = index;
            built.as_ref()
        }
    };
    let name = s.impl_name(index);
    let flops = 2.0 * (nq * n * d) as f64;
    single_and_batch(
        s,
        index,
        (&name, threads),
        "flat",
        (n * d * 4) as f64,
        Some(("effective_GFLOPs", flops)),
    )?;
    // The file sections time host files: the CPU's (a GPU index writes its host twin).
    if with_io && s.args.device == crate::setup::DeviceArg::Cpu {
        crate::io::io_sections(s, threads, index)?;
    }
    Ok(())
}

/// The IVF sections of an index whose lists hold what `C` stores (IVF-Flat, IVF-SQ).
fn ivf_sections<C: ListCodec>(
    s: &mut Setup<'_>,
    threads: usize,
    with_io: bool,
) -> Result<(), BenchError> {
    s.loaded_or_built(
        threads,
        with_io,
        ivf_build_sections::<C>,
        ivf_search_sections::<C>,
    )
}

/// `ivf_train` and `ivf_add`: the index built from the base vectors.
fn ivf_build_sections<C: ListCodec>(
    s: &mut Setup<'_>,
    threads: usize,
) -> Result<IvfIndex<C>, BenchError> {
    let (n, d) = (s.base.n, s.base.d);
    let fresh = || s.new_as::<IvfIndex<C>>("an IVF index");
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
        // Training and adding run on the host (the GPU index trains with the CPU's
        // k-means too), whatever --device says.
        json!({"nlist": nlist, "niter": cp.niter, "max_points_per_centroid": cp.max_points_per_centroid,
               "train_points": n.min(nlist * cp.max_points_per_centroid), "N": n, "d": d,
               "device": "cpu"}),
        json!({"train_s": train_t.median()}),
        &train_t,
    );
    let trained = ivf.clone();
    let (add_t, filled) = time_reps(
        s.args.reps,
        0,
        || Ok::<_, BenchError>(trained.clone()),
        |idx| {
            idx.add(&s.base.data)?;
            Ok(std::mem::replace(idx, trained.clone()))
        },
    )?;
    ivf = filled;
    let sizes = ivf.list_sizes();
    let mean = n as f64 / nlist as f64;
    let max = sizes.iter().copied().max().unwrap_or(0) as f64;
    s.record(
        "ivf_add",
        &name,
        threads,
        json!({"nlist": nlist, "N": n, "d": d, "device": "cpu"}),
        json!({"vectors_per_s": n as f64 / add_t.median(), "add_s": add_t.median(),
               "list_size_max_over_mean": max / mean}),
        &add_t,
    );
    Ok(ivf)
}

/// `ivf_search` and `ivf_single` per nprobe, then the file sections.
fn ivf_search_sections<C: ListCodec>(
    s: &mut Setup<'_>,
    threads: usize,
    with_io: bool,
    ivf: &IvfIndex<C>,
) -> Result<(), BenchError> {
    let (n, d, k, nq) = (s.base.n, s.base.d, s.args.k, s.queries.n);
    let nlist = ivf.nlist();
    // Built (trained with the host's k-means) on the CPU; searched on the --device.
    let moved = s.on_device(ivf)?;
    let index: &dyn Index = moved.as_deref().unwrap_or(ivf);
    let name = s.impl_name(index);
    for &nprobe in &s.args.nprobe {
        let p = SearchParams::with_nprobe(nprobe);
        let (t, r) = time_reps(
            s.args.reps,
            1,
            || Ok::<(), BenchError>(()),
            |_| Ok(index.search(&s.queries.data, k, Some(&p))?),
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
        let (m, t) = single_bench(s, index, Some(&p))?;
        s.record(
            "ivf_single",
            &name,
            threads,
            json!({"nlist": nlist, "nprobe": nprobe, "k": k, "N": n, "d": d}),
            m,
            &t,
        );
    }
    if with_io && s.args.device == crate::setup::DeviceArg::Cpu {
        crate::io::io_sections(s, threads, ivf)?;
    }
    Ok(())
}

/// Runs the benchmark and prints a table (or JSON records with `--json`).
pub fn run(args: &BenchArgs) -> Result<(), BenchError> {
    let mut s = load(args)?;
    let threads = if args.threads.is_empty() {
        vec![std::thread::available_parallelism().map_or(1, |n| n.get())]
    } else {
        args.threads.clone()
    };
    let probe = match s.loaded.take() {
        Some(index) => index,
        None => s.new_index()?,
    };
    let is_ivf = probe.as_any().is::<IvfFlatIndex>();
    let is_ivf_sq = probe.as_any().is::<IvfSqIndex>();
    let is_sq = probe.as_any().is::<ScalarQuantizerIndex>();
    let is_hnsw = probe.as_any().is::<HnswFlatIndex>();
    if args.load_index.is_some() {
        s.loaded = Some(probe);
    }
    if !args.json {
        println!(
            "{}: base {} x {}, {} queries, index {:?}, simd {} (supported: {})",
            s.dataset,
            s.base.n,
            s.base.d,
            s.queries.n,
            s.index_label,
            s.tier,
            SUPPORTED_FACTORY_STRINGS
        );
    }
    if !args.clients.is_empty() {
        crate::clients::clients_sections(&mut s)?;
    }
    // The file sections run once, with the first thread count (reading and writing a
    // file uses one thread).
    for (i, &t) in threads
        .iter()
        .enumerate()
        .filter(|_| args.clients.is_empty())
    {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .map_err(|e| BenchError::BadInput(format!("thread pool of {t}: {e}")))?;
        pool.install(|| {
            if is_ivf {
                ivf_sections::<ferrofaiss_index::FlatCodec>(&mut s, t, i == 0)
            } else if is_ivf_sq {
                ivf_sections::<ferrofaiss_index::SqCodec>(&mut s, t, i == 0)
            } else if is_sq {
                crate::sq::sq_sections(&mut s, t, i == 0)
            } else if is_hnsw {
                crate::hnsw::hnsw_sections(&mut s, t, i == 0)
            } else {
                flat_sections(&mut s, t, i == 0)
            }
        })?;
    }
    if args.json {
        let out = json!({
            "meta": {"tool": "ferrofaiss bench", "version": env!("CARGO_PKG_VERSION"),
                     "simd": s.tier, "index": s.index_label, "k": args.k, "reps": args.reps},
            "machine": {"cpus": std::thread::available_parallelism().map_or(1, |n| n.get())},
            "records": s.records,
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    }
    Ok(())
}
