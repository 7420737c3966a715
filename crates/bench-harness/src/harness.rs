//! `ferrofaiss bench`: times an index on TEXMEX data (.fvecs / .ivecs) the way
//! `shared/bench/faiss_anchor.py` times native Faiss, and prints a table or, with
//! `--json`, records in that harness's schema so both can be compared side by side.
//!
//! Sections: flat indexes give `flat_add`, `flat_single`, `flat_batch`; `IVF{nlist},Flat`
//! (and `IVF{nlist},SQ8` / `IVF{nlist},SQfp16`) gives `ivf_train`, `ivf_add`, and per
//! nprobe `ivf_search` and `ivf_single`; `SQ8` /
//! `SQfp16` give `sq_train`, `sq_add`, `sq_single`, `sq_batch` (see [`crate::sq`]);
//! `--clients` gives `async_clients` instead (see [`crate::clients`]). Every
//! timing is the median of `--reps` repetitions, each run inside a rayon pool of the
//! requested thread count, with the CPU time other processes used meanwhile.

use std::time::Instant;

use crate::setup::{load, Setup};
use crate::texmex::Vecs;
use crate::timing::{median, percentile, time_reps, Timing};
use ferrofaiss_index::{
    Index, IvfFlatIndex, IvfIndex, IvfSqIndex, ListCodec, ScalarQuantizerIndex, SearchParams,
    SUPPORTED_FACTORY_STRINGS,
};
use serde_json::{json, Value};

pub use crate::setup::{read_fvecs, read_ivecs, BenchArgs, BenchError, MetricArg};

/// recall@k: |returned top-k ∩ true top-k| / k, averaged over the queries.
pub(crate) fn recall_at(
    labels: &[i64],
    k: usize,
    gt: Option<&Vecs<i32>>,
    nq: usize,
) -> Option<f64> {
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
pub(crate) fn single_bench(
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
        || Ok::<(), BenchError>(()),
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
    let (n, d, k, nq) = (s.base.n, s.base.d, s.args.k, s.queries.n);
    let built;
    let index: &dyn Index = match loaded {
        Some(index) => index,
        None => {
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
            if with_io {
                s.save(index.as_ref())?;
            }
            built = index;
            built.as_ref()
        }
    };
    let name = s.impl_name(index);
    let (mut m, t) = single_bench(s, index, None)?;
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
        || Ok::<(), BenchError>(()),
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
    if with_io {
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
    let loaded = s.loaded.take();
    let result = match loaded
        .as_deref()
        .and_then(|i| i.as_any().downcast_ref::<IvfIndex<C>>())
    {
        Some(ivf) => ivf_search_sections(s, threads, with_io, ivf),
        None => ivf_build_sections::<C>(s, threads).and_then(|ivf| {
            if with_io {
                s.save(&ivf)?;
            }
            ivf_search_sections(s, threads, with_io, &ivf)
        }),
    };
    s.loaded = loaded;
    result
}

/// `ivf_train` and `ivf_add`: the index built from the base vectors.
fn ivf_build_sections<C: ListCodec>(
    s: &mut Setup<'_>,
    threads: usize,
) -> Result<IvfIndex<C>, BenchError> {
    let (n, d) = (s.base.n, s.base.d);
    let fresh = || -> Result<IvfIndex<C>, BenchError> {
        let idx = s.new_index()?;
        idx.as_any()
            .downcast_ref::<IvfIndex<C>>()
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
        || Ok::<_, BenchError>(trained.clone()),
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
    let name = s.impl_name(ivf);
    for &nprobe in &s.args.nprobe {
        let p = SearchParams::with_nprobe(nprobe);
        let (t, r) = time_reps(
            s.args.reps,
            1,
            || Ok::<(), BenchError>(()),
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
        let (m, t) = single_bench(s, ivf, Some(&p))?;
        s.record(
            "ivf_single",
            &name,
            threads,
            json!({"nlist": nlist, "nprobe": nprobe, "k": k, "N": n, "d": d}),
            m,
            &t,
        );
    }
    if with_io {
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
