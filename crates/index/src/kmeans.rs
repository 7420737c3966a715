//! k-means as Faiss's `Clustering` runs it: subsample to `k * max_points_per_centroid`
//! points, start from `k` random training points, `niter` rounds of (assign with an
//! exhaustive k = 1 search, recompute means, split empty clusters, renormalise when
//! spherical), keep the best of `nredo` runs.
//!
//! The random choices are Faiss's own: the subsample is `rand_perm(n, seed)`, the
//! initial centroids `rand_perm(n, seed + 1 + redo * 15486557)`, the split choice a
//! fresh `RandomGenerator(1234)` per round, all on `std::mt19937` (see [`crate::rng`]);
//! means are f32 sums in point order scaled by `1 / count`, as Faiss's
//! `compute_centroids`. What can still differ from Faiss is the assignment of points
//! whose two nearest centroids are within rounding of each other (the distances come
//! from a different matrix-product kernel), after which the runs diverge. Results are
//! deterministic for a seed and independent of the thread count.

use flatl2_kernel::kernels;
use rayon::prelude::*;

use crate::rng::{rand_perm_prefix, Mt19937};
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
            normalize_rows(&mut centroids, d)?;
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
        let picks = rand_perm_prefix(n, max_points, params.seed as i64);
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
        let seed = (params.seed as i64)
            .wrapping_add(1)
            .wrapping_add((redo as i64).wrapping_mul(15_486_557));
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
    seed: i64,
) -> Result<KmeansResult, IndexError> {
    let init = rand_perm_prefix(n, k, seed);
    let mut centroids = Vec::with_capacity(k * d);
    for &p in &init {
        centroids.extend_from_slice(&x[p * d..(p + 1) * d]);
    }
    if params.spherical {
        normalize_rows(&mut centroids, d)?;
    }
    let mut objective = Vec::with_capacity(params.niter);
    let mut splits = 0;
    for _ in 0..params.niter {
        let (dist, assign) = assign(x, &centroids, d, metric)?;
        objective.push(dist.iter().map(|&v| v as f64).sum());
        let mut counts = compute_centroids(x, d, k, &assign, &mut centroids);
        splits += split_empty(d, k, n, &mut counts, &mut centroids);
        if params.spherical {
            normalize_rows(&mut centroids, d)?;
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
    let norms = match metric {
        MetricType::L2 => Some(exhaustive::row_norms(centroids, d)?),
        MetricType::InnerProduct => None,
    };
    exhaustive::knn(metric, x, centroids, d, norms.as_deref(), 1)
}

/// Means of the assigned points as Faiss computes them: per centroid, an f32 sum of its
/// points in point order, then a multiply by `1 / count` (f32). Parallel over ranges
/// of centroids, one per thread as Faiss splits them: each task reads all assignments
/// and sums the rows of its own centroids, in point order, so the result does not
/// depend on the thread count. (64 tasks of 16 centroids, each reading all 262,144
/// assignments of an IVF1024 training, took 13% of the training.) Empty clusters are
/// left at zero. Returns the points per cluster.
fn compute_centroids(
    x: &[f32],
    d: usize,
    k: usize,
    assign: &[i64],
    centroids: &mut [f32],
) -> Vec<f32> {
    let per_task = k.div_ceil(rayon::current_num_threads().clamp(1, k.max(1)));
    let counts: Vec<Vec<f32>> = centroids
        .par_chunks_mut(per_task * d)
        .enumerate()
        .map(|(t, out)| {
            let c0 = t * per_task;
            let c1 = c0 + out.len() / d;
            out.fill(0.0);
            let mut counts = vec![0.0f32; c1 - c0];
            for (row, &a) in x.chunks_exact(d).zip(assign) {
                let Ok(c) = usize::try_from(a) else { continue };
                if c < c0 || c >= c1 {
                    continue;
                }
                let local = c - c0;
                for (s, &v) in out[local * d..(local + 1) * d].iter_mut().zip(row) {
                    *s += v;
                }
                counts[local] += 1.0;
            }
            for (local, &cnt) in counts.iter().enumerate() {
                if cnt != 0.0 {
                    let norm = 1.0 / cnt;
                    out[local * d..(local + 1) * d]
                        .iter_mut()
                        .for_each(|v| *v *= norm);
                }
            }
            counts
        })
        .collect();
    let counts: Vec<f32> = counts.concat();
    debug_assert_eq!(counts.len(), k);
    counts
}

/// Faiss's `split_clusters`: each empty cluster copies a cluster chosen with
/// probability proportional to its size minus one (scanning clusters in a ring with a
/// fresh `RandomGenerator(1234)` per call), both are nudged apart by `1 +/- EPS` on
/// alternating components, and the count is shared between them. f32 arithmetic as in
/// Faiss.
fn split_empty(d: usize, k: usize, n: usize, counts: &mut [f32], centroids: &mut [f32]) -> usize {
    let mut rng = Mt19937::new(1234);
    let mut nsplit = 0;
    for ci in 0..k {
        if counts[ci] != 0.0 {
            continue;
        }
        let mut cj = 0;
        loop {
            let p = ((counts[cj] as f64 - 1.0) / (n - k) as f32 as f64) as f32;
            if rng.next_f32() < p {
                break;
            }
            cj = (cj + 1) % k;
        }
        let (up, down) = (1.0 + SPLIT_EPS, 1.0 - SPLIT_EPS);
        for j in 0..d {
            let v = centroids[cj * d + j];
            let (fi, fj) = if j % 2 == 0 { (up, down) } else { (down, up) };
            centroids[ci * d + j] = v * fi;
            centroids[cj * d + j] = v * fj;
        }
        counts[ci] = counts[cj] / 2.0;
        counts[cj] -= counts[ci];
        nsplit += 1;
    }
    nsplit
}

/// Scales every row to unit L2 norm (rows of norm 0 are left as they are).
pub(crate) fn normalize_rows(rows: &mut [f32], d: usize) -> Result<(), IndexError> {
    let kernels = kernels()?;
    for row in rows.chunks_exact_mut(d) {
        let nrm = kernels.norm_sqr(row).sqrt();
        if nrm > 0.0 {
            let inv = 1.0 / nrm;
            row.iter_mut().for_each(|v| *v *= inv);
        }
    }
    Ok(())
}
