//! k-means as Faiss's `Clustering` runs it: subsample to `k * max_points_per_centroid`
//! points, start from `k` random training points, `niter` rounds of (assign with an
//! exhaustive k = 1 search, recompute means, split empty clusters, renormalise when
//! spherical), keep the best of `nredo` runs.
//!
//! The random choices (subsample, initial centroids, which cluster an empty one
//! splits) use this crate's seeded SplitMix64, not Faiss's Mersenne Twister, so the
//! centroids are not bit-identical to Faiss's for the same seed; they are deterministic
//! for a seed here.

use flatl2_kernel::kernels;
use rayon::prelude::*;

use crate::rng::{random_prefix, SplitMix64};
use crate::validate::checked_vectors;
use crate::{exhaustive, IndexError, MetricType};

/// Faiss's `ClusteringParameters` (the fields that change the result).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusteringParameters {
    /// k-means iterations (Faiss default 25; an IVF index sets 10).
    pub niter: usize,
    /// Independent runs; the one with the best objective is kept (default 1).
    pub nredo: usize,
    /// Normalise centroids to unit length after each update (default false; an IVF
    /// index with inner product sets it, as Faiss does).
    pub spherical: bool,
    /// Below `k * min_points_per_centroid` training points Faiss warns (default 39).
    pub min_points_per_centroid: usize,
    /// More than `k * max_points_per_centroid` points are subsampled (default 256).
    pub max_points_per_centroid: usize,
    /// Seed of the random choices (default 1234).
    pub seed: u64,
}

impl Default for ClusteringParameters {
    fn default() -> ClusteringParameters {
        ClusteringParameters {
            niter: 25,
            nredo: 1,
            spherical: false,
            min_points_per_centroid: 39,
            max_points_per_centroid: 256,
            seed: 1234,
        }
    }
}

impl ClusteringParameters {
    /// The parameters Faiss's `IndexIVF` trains its coarse quantizer with: 10
    /// iterations, spherical for inner product.
    pub fn for_ivf(metric: MetricType) -> ClusteringParameters {
        ClusteringParameters {
            niter: 10,
            spherical: metric == MetricType::InnerProduct,
            ..ClusteringParameters::default()
        }
    }
}

/// What a k-means run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct KmeansResult {
    /// `k * d` centroids, row-major.
    pub centroids: Vec<f32>,
    /// Objective (sum of assigned distances) after each iteration of the kept run.
    pub objective: Vec<f64>,
    /// Empty clusters split over all iterations of the kept run.
    pub splits: usize,
    /// Training points actually used (after subsampling).
    pub training_points: usize,
}

/// Relative perturbation applied when an empty cluster copies a full one (Faiss's EPS).
const SPLIT_EPS: f32 = 1.0 / 1024.0;

/// Clusters the `n * d` values of `x` into `k` centroids, assigning by `metric`.
pub fn kmeans(
    x: &[f32],
    d: usize,
    k: usize,
    metric: MetricType,
    params: &ClusteringParameters,
) -> Result<KmeansResult, IndexError> {
    let n = checked_vectors(x, d)?;
    if k == 0 {
        return Err(IndexError::InvalidParameter("k-means needs k > 0".into()));
    }
    if n < k {
        return Err(IndexError::TooFewTrainingPoints { got: n, needed: k });
    }
    if params.niter == 0 || params.nredo == 0 {
        return Err(IndexError::InvalidParameter(
            "k-means needs niter > 0 and nredo > 0".into(),
        ));
    }
    if n == k {
        let mut centroids = x.to_vec();
        if params.spherical {
            normalize_rows(&mut centroids, d);
        }
        return Ok(KmeansResult {
            centroids,
            objective: vec![0.0],
            splits: 0,
            training_points: n,
        });
    }
    let max_points = k.saturating_mul(params.max_points_per_centroid.max(1));
    let sample;
    let (x, n) = if n > max_points {
        let picks = random_prefix(n, max_points, params.seed.wrapping_add(1));
        let mut s = Vec::with_capacity(max_points * d);
        for &p in &picks {
            s.extend_from_slice(&x[p * d..(p + 1) * d]);
        }
        sample = s;
        (&sample[..], max_points)
    } else {
        (x, n)
    };

    let mut best: Option<KmeansResult> = None;
    for redo in 0..params.nredo {
        let seed = params
            .seed
            .wrapping_add(1)
            .wrapping_add((redo as u64).wrapping_mul(15_486_557));
        let run = one_run(x, n, d, k, metric, params, seed)?;
        let better = match &best {
            None => true,
            Some(b) => {
                let (o, bo) = (last(&run.objective), last(&b.objective));
                match metric {
                    MetricType::L2 => o < bo,
                    MetricType::InnerProduct => o > bo,
                }
            }
        };
        if better {
            best = Some(run);
        }
    }
    best.ok_or_else(|| IndexError::InvalidParameter("k-means ran no iteration".into()))
}

fn last(v: &[f64]) -> f64 {
    v.last().copied().unwrap_or(0.0)
}

fn one_run(
    x: &[f32],
    n: usize,
    d: usize,
    k: usize,
    metric: MetricType,
    params: &ClusteringParameters,
    seed: u64,
) -> Result<KmeansResult, IndexError> {
    let init = random_prefix(n, k, seed);
    let mut centroids = Vec::with_capacity(k * d);
    for &p in &init {
        centroids.extend_from_slice(&x[p * d..(p + 1) * d]);
    }
    if params.spherical {
        normalize_rows(&mut centroids, d);
    }
    let mut objective = Vec::with_capacity(params.niter);
    let mut splits = 0;
    let mut rng = SplitMix64::new(1234);
    for _ in 0..params.niter {
        let (dist, assign) = assign(x, &centroids, d, metric)?;
        objective.push(dist.iter().map(|&v| v as f64).sum());
        let mut counts = compute_centroids(x, d, k, &assign, &mut centroids);
        splits += split_empty(d, k, n, &mut counts, &mut centroids, &mut rng);
        if params.spherical {
            normalize_rows(&mut centroids, d);
        }
    }
    Ok(KmeansResult {
        centroids,
        objective,
        splits,
        training_points: n,
    })
}

/// Nearest centroid (and its distance) of every point: exhaustive k = 1 search.
pub(crate) fn assign(
    x: &[f32],
    centroids: &[f32],
    d: usize,
    metric: MetricType,
) -> Result<(Vec<f32>, Vec<i64>), IndexError> {
    let norms = (metric == MetricType::L2).then(|| exhaustive::row_norms(centroids, d));
    exhaustive::knn(metric.kernel_metric(), x, centroids, d, norms.as_deref(), 1)
}

/// Points per partial sum in [`compute_centroids`]: fixed, so the f64 sums (and the
/// centroids) do not depend on the number of threads.
const SUM_CHUNK: usize = 8192;

/// Means of the assigned points (f64 sums over fixed chunks, in parallel, reduced in
/// chunk order); empty clusters are left at zero. Returns the points per cluster.
fn compute_centroids(
    x: &[f32],
    d: usize,
    k: usize,
    assign: &[i64],
    centroids: &mut [f32],
) -> Vec<f64> {
    let partials: Vec<(Vec<f64>, Vec<f64>)> = x
        .par_chunks(SUM_CHUNK * d)
        .zip(assign.par_chunks(SUM_CHUNK))
        .map(|(xc, ac)| {
            let mut sums = vec![0.0f64; k * d];
            let mut counts = vec![0.0f64; k];
            for (row, &a) in xc.chunks_exact(d).zip(ac) {
                let Ok(c) = usize::try_from(a) else { continue };
                counts[c] += 1.0;
                for (s, &v) in sums[c * d..(c + 1) * d].iter_mut().zip(row) {
                    *s += v as f64;
                }
            }
            (sums, counts)
        })
        .collect();
    let mut sums = vec![0.0f64; k * d];
    let mut counts = vec![0.0f64; k];
    for (ps, pc) in &partials {
        sums.iter_mut().zip(ps).for_each(|(s, p)| *s += p);
        counts.iter_mut().zip(pc).for_each(|(s, p)| *s += p);
    }
    for c in 0..k {
        let out = &mut centroids[c * d..(c + 1) * d];
        if counts[c] == 0.0 {
            out.fill(0.0);
            continue;
        }
        let inv = 1.0 / counts[c];
        for (o, &s) in out.iter_mut().zip(&sums[c * d..(c + 1) * d]) {
            *o = (s * inv) as f32;
        }
    }
    counts
}

/// Faiss's `split_clusters`: each empty cluster copies a cluster chosen with
/// probability proportional to its size (minus one), both are nudged apart by
/// `1 +/- EPS` on alternating components, and the count is shared between them.
fn split_empty(
    d: usize,
    k: usize,
    n: usize,
    counts: &mut [f64],
    centroids: &mut [f32],
    rng: &mut SplitMix64,
) -> usize {
    let mut nsplit = 0;
    for ci in 0..k {
        if counts[ci] != 0.0 {
            continue;
        }
        let mut cj = 0;
        loop {
            let p = (counts[cj] - 1.0) / (n - k) as f64;
            if (rng.next_f32() as f64) < p {
                break;
            }
            cj = (cj + 1) % k;
        }
        let src: Vec<f32> = centroids[cj * d..(cj + 1) * d].to_vec();
        for j in 0..d {
            let (up, down) = (1.0 + SPLIT_EPS, 1.0 - SPLIT_EPS);
            let (fi, fj) = if j % 2 == 0 { (up, down) } else { (down, up) };
            centroids[ci * d + j] = src[j] * fi;
            centroids[cj * d + j] = src[j] * fj;
        }
        counts[ci] = counts[cj] / 2.0;
        counts[cj] -= counts[ci];
        nsplit += 1;
    }
    nsplit
}

/// Scales every row to unit L2 norm (rows of norm 0 are left as they are).
pub(crate) fn normalize_rows(rows: &mut [f32], d: usize) {
    for row in rows.chunks_exact_mut(d) {
        let nrm = kernels().norm_sqr(row).sqrt();
        if nrm > 0.0 {
            let inv = 1.0 / nrm;
            row.iter_mut().for_each(|v| *v *= inv);
        }
    }
}
