//! Index benchmarks on synthetic clustered data (deterministic):
//! - `flat_add`: adding N vectors to an empty `FlatIndex` (vectors/s);
//! - `flat_search/single` and `flat_search/batch1000`: k = 10 over N x d;
//! - `ivf_train`: k-means of the IVF quantizer (Faiss's IVF defaults);
//! - `ivf_add`: coarse assignment and list appends;
//! - `ivf_search/nprobe<p>`: batch of 1000 queries, k = 10.
//!
//! `cargo bench -p ferrofaiss-benches --bench index`. `FERROFAISS_BENCH_INDEX_N` sets N
//! (default 100000), d is 128, nlist 256 (as the Faiss anchor for 100k vectors). For the
//! figures compared with native Faiss use `ferrofaiss bench` on shared/bench's data.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ferrofaiss_index::{FlatIndex, Index, IvfFlatIndex, MetricType, SearchParams};

const D: usize = 128;
const NQ: usize = 1000;
const K: usize = 10;
const NLIST: usize = 256;

fn n_rows() -> usize {
    std::env::var("FERROFAISS_BENCH_INDEX_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// Deterministic values in [-1, 1).
fn uniform(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

/// `n` points around 1000 centres (so IVF lists are meaningful).
fn clustered(n: usize, seed: u64) -> Vec<f32> {
    let centres = uniform(1000 * D, seed);
    let noise = uniform(n * D, seed + 1);
    let mut out = Vec::with_capacity(n * D);
    for i in 0..n {
        let c = (i * 7919) % 1000;
        for j in 0..D {
            out.push(centres[c * D + j] * 4.0 + noise[i * D + j]);
        }
    }
    out
}

fn bench_flat(c: &mut Criterion) {
    let n = n_rows();
    let xb = clustered(n, 1);
    let xq = clustered(NQ, 2);
    let mut g = c.benchmark_group("flat");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("flat_add", |b| {
        b.iter(|| {
            let mut idx = FlatIndex::new(D, MetricType::L2).unwrap();
            idx.add(black_box(&xb)).unwrap();
            idx
        })
    });
    let idx = FlatIndex::from_vectors(D, MetricType::L2, xb.clone()).unwrap();
    g.throughput(Throughput::Elements(1));
    g.bench_function("flat_search/single", |b| {
        b.iter(|| idx.search(black_box(&xq[..D]), K, None).unwrap())
    });
    g.throughput(Throughput::Elements(NQ as u64));
    g.bench_function("flat_search/batch1000", |b| {
        b.iter(|| idx.search(black_box(&xq), K, None).unwrap())
    });
    g.finish();
}

fn bench_ivf(c: &mut Criterion) {
    let n = n_rows();
    let xb = clustered(n, 3);
    let xq = clustered(NQ, 4);
    let mut g = c.benchmark_group("ivf");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.bench_function("ivf_train", |b| {
        b.iter(|| {
            let mut ivf = IvfFlatIndex::new(D, NLIST, MetricType::L2).unwrap();
            ivf.train(black_box(&xb)).unwrap();
            ivf
        })
    });
    let mut trained = IvfFlatIndex::new(D, NLIST, MetricType::L2).unwrap();
    trained.train(&xb).unwrap();
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("ivf_add", |b| {
        b.iter(|| {
            let mut ivf = trained.clone();
            ivf.add(black_box(&xb)).unwrap();
            ivf
        })
    });
    let mut ivf = trained.clone();
    ivf.add(&xb).unwrap();
    g.throughput(Throughput::Elements(NQ as u64));
    for nprobe in [1usize, 4, 16, 64] {
        let p = SearchParams::with_nprobe(nprobe);
        g.bench_with_input(BenchmarkId::new("ivf_search", nprobe), &p, |b, p| {
            b.iter(|| ivf.search(black_box(&xq), K, Some(p)).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench_flat, bench_ivf);
criterion_main!(benches);
