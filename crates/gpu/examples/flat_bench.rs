//! Times batch search on the GPU beside the CPU path, on a `shared/bench` data folder
//! (`base.fvecs`, `query.fvecs`, `gt.ivecs`): flat, then IVF-Flat (`NLIST` lists,
//! k-means on the CPU over the first 256 x NLIST vectors) at nprobe 1, 16 and 64. One
//! JSON record per (index, device, nprobe): queries per second (median of the rounds,
//! after one warm-up search), recall@10 against the ground truth, and how many labels
//! differ from the CPU's.
//!
//! ```text
//! cargo run --release -p ferrofaiss-gpu --example flat_bench -- DATA_DIR [NQ] [ROUNDS] [NLIST]
//! ```
//!
//! `scripts/bench-gpu.sh` runs it beside faiss-gpu on a machine with a GPU.

use std::path::Path;
use std::time::Instant;

use ferrofaiss_bench_harness::texmex::{parse_fvecs, parse_ivecs};
use ferrofaiss_gpu::{adapter_report, GpuFlatIndex, GpuIvfFlatIndex};
use ferrofaiss_index::{FlatIndex, Index, IvfFlatIndex, MetricType, SearchParams, SearchResult};

const K: usize = 10;

fn main() {
    if let Err(e) = run() {
        eprintln!("flat_bench: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = Path::new(
        args.first()
            .ok_or("usage: flat_bench DATA_DIR [NQ] [ROUNDS]")?,
    );
    let nq_wanted: usize = args
        .get(1)
        .map_or(Ok(1000), |s| s.parse())
        .map_err(|e| format!("NQ: {e}"))?;
    let rounds: usize = args
        .get(2)
        .map_or(Ok(3), |s| s.parse())
        .map_err(|e| format!("ROUNDS: {e}"))?;
    let nlist: usize = args
        .get(3)
        .map_or(Ok(1024), |s| s.parse())
        .map_err(|e| format!("NLIST: {e}"))?;
    let read = |name: &str| std::fs::read(dir.join(name)).map_err(|e| format!("{name}: {e}"));
    let base = parse_fvecs(&read("base.fvecs")?).map_err(|e| e.to_string())?;
    let query = parse_fvecs(&read("query.fvecs")?).map_err(|e| e.to_string())?;
    let gt = parse_ivecs(&read("gt.ivecs")?).map_err(|e| e.to_string())?;
    let d = base.d;
    let nq = nq_wanted.min(query.n);
    let queries = &query.data[..nq * d];
    let report = adapter_report().map_err(|e| e.to_string())?;
    eprintln!("adapter: {} ({})", report.name, report.backend);

    let cpu =
        FlatIndex::from_vectors(d, MetricType::L2, base.data.clone()).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let gpu = GpuFlatIndex::from_cpu(&cpu).map_err(|e| e.to_string())?;
    let upload_s = t.elapsed().as_secs_f64();

    let (cpu_qps, cpu_result) = time(&cpu, queries, rounds, None)?;
    let (gpu_qps, gpu_result) = time(&gpu, queries, rounds, None)?;
    let record = |index: &str,
                  device: &str,
                  nprobe: usize,
                  qps: f64,
                  result: &SearchResult,
                  cpu: &SearchResult| {
        let differing = result
            .labels
            .iter()
            .zip(&cpu.labels)
            .filter(|(a, b)| a != b)
            .count();
        println!(
            "{{\"section\":\"batch\",\"device\":\"{device}\",\"qps\":{qps:.1},\
             \"recall@10\":{:.4},\"labels_differing_from_cpu\":{differing},\"upload_s\":{upload_s:.3},\
             \"params\":{{\"device\":\"{device}\",\"index\":\"{index}\",\"nprobe\":{nprobe},\"n\":{},\"d\":{d},\
             \"nq\":{nq},\"k\":{K},\"adapter\":\"{}\",\"backend\":\"{}\"}}}}",
            recall(result, &gt.data, gt.d, nq),
            base.n,
            report.name.replace('"', "'"),
            report.backend,
        );
    };
    record("Flat", "cpu", 0, cpu_qps, &cpu_result, &cpu_result);
    record("Flat", "gpu", 0, gpu_qps, &gpu_result, &cpu_result);
    drop(gpu);

    let mut ivf = IvfFlatIndex::new(d, nlist, MetricType::L2).map_err(|e| e.to_string())?;
    let train_rows = (256 * nlist).min(base.n);
    ivf.train(&base.data[..train_rows * d])
        .map_err(|e| e.to_string())?;
    ivf.add(&base.data).map_err(|e| e.to_string())?;
    let gpu_ivf = GpuIvfFlatIndex::from_cpu(&ivf).map_err(|e| e.to_string())?;
    let index = format!("IVF{nlist},Flat");
    for nprobe in [1, 16, 64] {
        let params = SearchParams::with_nprobe(nprobe);
        let (cq, cr) = time(&ivf, queries, rounds, Some(&params))?;
        let (gq, gr) = time(&gpu_ivf, queries, rounds, Some(&params))?;
        record(&index, "cpu", nprobe, cq, &cr, &cr);
        record(&index, "gpu", nprobe, gq, &gr, &cr);
    }
    Ok(())
}

/// Median queries per second over `rounds` searches after a warm-up, and the result.
fn time(
    index: &dyn Index,
    queries: &[f32],
    rounds: usize,
    params: Option<&SearchParams>,
) -> Result<(f64, SearchResult), String> {
    let nq = queries.len() / index.dimension();
    let mut result = index
        .search(queries, K, params)
        .map_err(|e| e.to_string())?;
    let mut qps = Vec::new();
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        result = index
            .search(queries, K, params)
            .map_err(|e| e.to_string())?;
        qps.push(nq as f64 / t.elapsed().as_secs_f64());
    }
    qps.sort_by(f64::total_cmp);
    Ok((qps[qps.len() / 2], result))
}

/// Share of each query's ground-truth ten found in its ten results.
fn recall(result: &SearchResult, gt: &[i32], gt_d: usize, nq: usize) -> f64 {
    let mut hits = 0usize;
    for q in 0..nq {
        let truth = &gt[q * gt_d..q * gt_d + K.min(gt_d)];
        let got = &result.labels[q * K..(q + 1) * K];
        hits += got.iter().filter(|l| truth.contains(&(**l as i32))).count();
    }
    hits as f64 / (nq * K.min(gt_d)) as f64
}
