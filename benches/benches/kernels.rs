//! Kernel throughput for every SIMD tier this CPU runs (forced one by one):
//! - `ny_l2_cache/<tier>/<order>/d<d>`: one query against a 1 MiB block of rows that
//!   stays in cache, in each `ScanOrder` (GB/s of rows scanned;
//!   `FERROFAISS_BENCH_CACHE_KB` changes the size);
//! - `ny_l2_f16_cache/<tier>/d<d>`: the same against f16 rows (GB/s of f16 scanned);
//! - `ny_l2_dram/<tier>/<order>/d<d>`: one query against a matrix far larger than the
//!   caches, in each `ScanOrder` (`FERROFAISS_BENCH_DRAM_MB`, default 512; `0` skips
//!   it);
//! - `knn_l2/<tier>/d<d>`: 1000 queries x N rows, k = 10, blocked path fused with top-k,
//!   row norms computed on the fly as Faiss does without cached norms (FLOP/s counted
//!   as `2 nq N d`, reported by criterion as elements/s);
//! - `ip_f64/<tier>/d<d>`: one inner product accumulated in f64 (MMR's cosines), two
//!   vectors in L1 (bytes of both inputs per second).
//!
//! `cargo bench -p ferrofaiss-benches --bench kernels` (add `-- ny_l2_cache` etc. to
//! filter). `FERROFAISS_BENCH_KNN_ROWS` overrides N for the SIMD tiers (default 20000;
//! `0` skips many-to-many). `FERROFAISS_BENCH_TIERS=avx512,avx2` measures only the
//! tiers named.
//!
//! On a shared machine, criterion's means absorb every preemption. With
//! `FERROFAISS_BENCH_BEST_OF=1` the run first prints one `best-of` line per case: the
//! throughput of the fastest and of the median repetition out of many (the fastest one is
//! the least disturbed by other processes), before the criterion groups run.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use flatl2_kernel::{f16, kernels_for, Kernels, KnnPath, MetricType, ScanOrder, SimdTier};

const DIMS: [usize; 4] = [128, 384, 768, 1536];
const NQ: usize = 1000;
const K: usize = 10;

fn tiers() -> Vec<&'static Kernels> {
    let only = std::env::var("FERROFAISS_BENCH_TIERS").unwrap_or_default();
    SimdTier::ALL
        .into_iter()
        .filter(|t| only.is_empty() || only.split(',').any(|name| name == t.name()))
        .filter_map(|t| kernels_for(t).ok())
        .collect()
}

/// Deterministic values in [-1, 1).
fn fill(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// Bytes of rows in the cache-resident cases: `FERROFAISS_BENCH_CACHE_KB`, default
/// 1024 (Faiss's anchor uses 2000 x 128 floats, the same size).
fn cache_block_bytes() -> usize {
    env_usize("FERROFAISS_BENCH_CACHE_KB", 1024).max(1) * 1024
}

/// A group for the cache-resident cases: short warm-up and measurement, 20 samples.
fn cache_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20);
    g
}

fn one_to_many_cache(c: &mut Criterion) {
    let mut g = cache_group(c, "ny_l2_cache");
    for k in tiers() {
        for d in DIMS {
            let n = (cache_block_bytes() / (4 * d)).max(1);
            let rows = fill(n * d, 1);
            let q = fill(d, 2);
            let mut out = vec![0.0f32; n];
            g.throughput(Throughput::Bytes((n * d * 4) as u64));
            // Both scan orders: the cached one is what a scan this small gets.
            for order in [ScanOrder::Cached, ScanOrder::Streaming] {
                let id =
                    BenchmarkId::new(format!("{}/{order:?}", k.tier().name()), format!("d{d}"));
                g.bench_function(id, |b| {
                    b.iter(|| {
                        k.l2_sqr_ny_in(black_box(&q), black_box(&rows), &mut out, order)
                            .unwrap()
                    })
                });
            }
        }
    }
    g.finish();

    let mut g = cache_group(c, "ny_l2_f16_cache");
    for k in tiers() {
        for d in DIMS {
            let n = (cache_block_bytes() / (4 * d)).max(1);
            let rows: Vec<f16> = fill(n * d, 3).into_iter().map(f16::from_f32).collect();
            let q = fill(d, 4);
            let mut out = vec![0.0f32; n];
            g.throughput(Throughput::Bytes((n * d * 2) as u64));
            g.bench_function(BenchmarkId::new(k.tier().name(), format!("d{d}")), |b| {
                b.iter(|| {
                    k.l2_sqr_ny_f16(black_box(&q), black_box(&rows), &mut out)
                        .unwrap()
                })
            });
        }
    }
    g.finish();
}

fn inner_product_f64(c: &mut Criterion) {
    let mut g = cache_group(c, "ip_f64");
    for k in tiers() {
        for d in DIMS {
            let (a, b) = (fill(d, 5), fill(d, 6));
            g.throughput(Throughput::Bytes((2 * d * 4) as u64));
            g.bench_function(
                BenchmarkId::new(k.tier().name(), format!("d{d}")),
                |bench| bench.iter(|| k.inner_product_f64(black_box(&a), black_box(&b)).unwrap()),
            );
        }
    }
    g.finish();
}

fn one_to_many_dram(c: &mut Criterion) {
    let mb = env_usize("FERROFAISS_BENCH_DRAM_MB", 512);
    if mb == 0 {
        return;
    }
    let values = mb * (1 << 20) / 4;
    let matrix = fill(values, 5);
    let mut g = c.benchmark_group("ny_l2_dram");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat);
    // Both scan orders: the streaming one is what a scan this large gets
    // (`ScanOrder::for_bytes`), the cached one is there to compare.
    for k in tiers() {
        for d in DIMS {
            let n = values / d;
            let rows = &matrix[..n * d];
            let q = fill(d, 6);
            let mut out = vec![0.0f32; n];
            g.throughput(Throughput::Bytes((n * d * 4) as u64));
            for order in [ScanOrder::Streaming, ScanOrder::Cached] {
                let id =
                    BenchmarkId::new(format!("{}/{order:?}", k.tier().name()), format!("d{d}"));
                g.bench_function(id, |b| {
                    b.iter(|| {
                        k.l2_sqr_ny_in(black_box(&q), black_box(rows), &mut out, order)
                            .unwrap()
                    })
                });
            }
        }
    }
    g.finish();
}

fn many_to_many(c: &mut Criterion) {
    let simd_rows = env_usize("FERROFAISS_BENCH_KNN_ROWS", 20_000);
    if simd_rows == 0 {
        return;
    }
    let mut g = c.benchmark_group("knn_l2");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat);
    for k in tiers() {
        // The reference tiers are an order of magnitude slower: fewer rows.
        let n = match k.tier() {
            SimdTier::Scalar | SimdTier::Portable => 2_000,
            _ => simd_rows,
        };
        for d in DIMS {
            let rows = fill(n * d, 7);
            let queries = fill(NQ * d, 8);
            let mut dist = vec![0.0f32; NQ * K];
            let mut labels = vec![0i64; NQ * K];
            g.throughput(Throughput::Elements((2 * NQ * n * d) as u64));
            g.bench_function(
                BenchmarkId::new(k.tier().name(), format!("d{d}_n{n}")),
                |b| {
                    b.iter(|| {
                        k.knn_via(
                            KnnPath::Blocked,
                            MetricType::L2,
                            black_box(&queries),
                            black_box(&rows),
                            d,
                            None,
                            K,
                            &mut dist,
                            &mut labels,
                        )
                        .unwrap()
                    })
                },
            );
        }
    }
    g.finish();
}

/// Times `reps` calls of `f`; returns (fastest, median) seconds per call.
fn best_and_median(reps: usize, mut f: impl FnMut()) -> (f64, f64) {
    f();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    (t[0], t[t.len() / 2])
}

fn print_best(case: &str, amount: f64, unit: &str, (best, median): (f64, f64)) {
    println!(
        "best-of {case:<34} best {:>8.1} {unit}  median {:>8.1} {unit}",
        amount / best / 1e9,
        amount / median / 1e9
    );
}

/// The `FERROFAISS_BENCH_BEST_OF=1` report (see the module documentation).
fn best_of_report(_: &mut Criterion) {
    if env_usize("FERROFAISS_BENCH_BEST_OF", 0) == 0 {
        return;
    }
    for k in tiers() {
        let t = k.tier().name();
        for d in DIMS {
            let n = (cache_block_bytes() / (4 * d)).max(1);
            let rows = fill(n * d, 1);
            let q = fill(d, 2);
            let mut out = vec![0.0f32; n];
            let r = best_and_median(2000, || k.l2_sqr_ny(&q, &rows, &mut out).unwrap());
            print_best(
                &format!("ny_l2_cache/{t}/d{d}"),
                (n * d * 4) as f64,
                "GB/s",
                r,
            );
        }
    }
    let mb = env_usize("FERROFAISS_BENCH_DRAM_MB", 512);
    if mb > 0 {
        let matrix = fill(mb * (1 << 20) / 4, 5);
        for k in tiers() {
            let t = k.tier().name();
            for d in DIMS {
                let n = matrix.len() / d;
                let q = fill(d, 6);
                let mut out = vec![0.0f32; n];
                let rows = &matrix[..n * d];
                let r = best_and_median(9, || k.l2_sqr_ny(&q, rows, &mut out).unwrap());
                print_best(
                    &format!("ny_l2_dram/{t}/d{d}"),
                    (n * d * 4) as f64,
                    "GB/s",
                    r,
                );
            }
        }
    }
    let simd_rows = env_usize("FERROFAISS_BENCH_KNN_ROWS", 20_000);
    if simd_rows == 0 {
        return;
    }
    for k in tiers() {
        if matches!(k.tier(), SimdTier::Scalar | SimdTier::Portable) {
            continue;
        }
        let t = k.tier().name();
        for d in DIMS {
            let n = simd_rows;
            let rows = fill(n * d, 7);
            let queries = fill(NQ * d, 8);
            let mut dist = vec![0.0f32; NQ * K];
            let mut labels = vec![0i64; NQ * K];
            let r = best_and_median(5, || {
                k.knn_via(
                    KnnPath::Blocked,
                    MetricType::L2,
                    &queries,
                    &rows,
                    d,
                    None,
                    K,
                    &mut dist,
                    &mut labels,
                )
                .unwrap()
            });
            let flop = (2 * NQ * n * d) as f64;
            print_best(&format!("knn_l2/{t}/d{d}_n{n}"), flop, "GFLOP/s", r);
        }
    }
}

criterion_group!(
    benches,
    best_of_report,
    one_to_many_cache,
    inner_product_f64,
    one_to_many_dram,
    many_to_many
);
criterion_main!(benches);
