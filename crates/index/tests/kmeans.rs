//! k-means: determinism for a seed, no empty cluster, objective decreases, subsampling.

mod common;

use common::*;
use ferrofaiss_index::{kmeans, ClusteringParameters, FlatIndex, Index, IndexError, MetricType};

fn cluster_sizes(x: &[f32], centroids: &[f32], d: usize) -> Vec<usize> {
    let q = FlatIndex::from_vectors(d, MetricType::L2, centroids.to_vec()).unwrap();
    let r = q.search(x, 1, None).unwrap();
    let mut sizes = vec![0; centroids.len() / d];
    for &l in &r.labels {
        sizes[l as usize] += 1;
    }
    sizes
}

#[test]
fn deterministic_for_a_seed_and_seed_sensitive() {
    let d = 8;
    let x = clustered(3000, d, 20, 1.0, 1);
    let p = ClusteringParameters::default();
    let a = kmeans(&x, d, 20, MetricType::L2, &p).unwrap();
    let b = kmeans(&x, d, 20, MetricType::L2, &p).unwrap();
    assert_eq!(a, b);
    let c = kmeans(
        &x,
        d,
        20,
        MetricType::L2,
        &ClusteringParameters { seed: 7, ..p },
    )
    .unwrap();
    assert_ne!(a.centroids, c.centroids);
    assert_eq!(a.objective.len(), 25);
}

#[test]
fn objective_never_increases_and_beats_random_init() {
    let d = 16;
    let x = clustered(5000, d, 30, 2.0, 2);
    let r = kmeans(&x, d, 30, MetricType::L2, &ClusteringParameters::default()).unwrap();
    for w in r.objective.windows(2) {
        assert!(w[1] <= w[0] * (1.0 + 1e-6), "objective rose: {:?}", w);
    }
    assert!(r.objective.last().unwrap() < &(r.objective[0] * 0.95));
}

#[test]
fn no_empty_cluster_after_splitting() {
    // Many duplicate points: random init picks duplicates, leaving clusters empty that
    // must be split.
    let d = 4;
    let mut x = Vec::new();
    for i in 0..400 {
        let base = (i % 5) as f32 * 10.0;
        x.extend_from_slice(&[base, base, 0.0, (i % 7) as f32 * 0.01]);
    }
    let p = ClusteringParameters::default();
    let r = kmeans(&x, d, 16, MetricType::L2, &p).unwrap();
    assert!(r.splits > 0, "expected some splits");
    let sizes = cluster_sizes(&x, &r.centroids, d);
    // Split centroids are perturbed copies: at least every original group is covered
    // and no centroid is left at the origin by an empty mean.
    let used = sizes.iter().filter(|&&s| s > 0).count();
    assert!(used >= 5, "{sizes:?}");
    assert!(r.centroids.iter().all(|v| v.is_finite()));
}

#[test]
fn well_separated_clusters_are_all_non_empty() {
    let d = 8;
    let x = clustered(4000, d, 16, 0.5, 3);
    let r = kmeans(&x, d, 16, MetricType::L2, &ClusteringParameters::default()).unwrap();
    let sizes = cluster_sizes(&x, &r.centroids, d);
    assert!(sizes.iter().all(|&s| s > 0), "{sizes:?}");
}

#[test]
fn subsamples_to_max_points_per_centroid() {
    let d = 4;
    let x = uniform(10_000, d, 4);
    let p = ClusteringParameters {
        max_points_per_centroid: 100,
        niter: 2,
        ..ClusteringParameters::default()
    };
    let r = kmeans(&x, d, 10, MetricType::L2, &p).unwrap();
    assert_eq!(r.training_points, 1000);
    let r = kmeans(&x[..500 * d], d, 10, MetricType::L2, &p).unwrap();
    assert_eq!(r.training_points, 500);
}

#[test]
fn spherical_centroids_are_unit_and_errors_are_typed() {
    let d = 6;
    let x = clustered(600, d, 6, 1.0, 5);
    let p = ClusteringParameters {
        spherical: true,
        ..ClusteringParameters::default()
    };
    let r = kmeans(&x, d, 6, MetricType::InnerProduct, &p).unwrap();
    for c in r.centroids.chunks_exact(d) {
        let n: f32 = c.iter().map(|v| v * v).sum();
        assert!((n - 1.0).abs() < 1e-4);
    }
    assert_eq!(
        kmeans(&x[..3 * d], d, 6, MetricType::L2, &p),
        Err(IndexError::TooFewTrainingPoints { got: 3, needed: 6 })
    );
    assert!(kmeans(&x, d, 0, MetricType::L2, &p).is_err());
    assert!(kmeans(&x[..d + 1], d, 1, MetricType::L2, &p).is_err());
    let mut nan = x.clone();
    nan[7] = f32::NAN;
    assert_eq!(
        kmeans(&nan, d, 6, MetricType::L2, &p),
        Err(IndexError::NanVector { row: 1 })
    );
    // n == k: the points themselves.
    let r = kmeans(
        &x[..6 * d],
        d,
        6,
        MetricType::L2,
        &ClusteringParameters::default(),
    )
    .unwrap();
    assert_eq!(r.centroids, x[..6 * d].to_vec());
}

#[test]
fn same_centroids_whatever_the_thread_count() {
    let d = 8;
    let x = clustered(20_000, d, 20, 1.0, 6);
    let p = ClusteringParameters::default();
    let one = with_threads(1, || kmeans(&x, d, 20, MetricType::L2, &p).unwrap());
    let three = with_threads(3, || kmeans(&x, d, 20, MetricType::L2, &p).unwrap());
    assert_eq!(one, three);
}

fn fixture_f32(name: &str) -> Vec<f32> {
    let path = format!(
        "{}/../../fixtures/kmeans/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Centroids recorded from Faiss's own `Clustering` (fixtures/kmeans/gen_kmeans.py):
/// same random choices (mt19937 subsample, initial points and split choices) and the
/// same f32 means give the same centroids, bit for bit.
#[test]
fn centroids_equal_faiss_recorded_ones() {
    let blobs = fixture_f32("blobs_x.f32");
    let p = ClusteringParameters {
        niter: 10,
        max_points_per_centroid: 100,
        ..ClusteringParameters::default()
    };
    let r = kmeans(&blobs, 8, 20, MetricType::L2, &p).unwrap();
    assert_eq!(r.training_points, 2000);
    assert_eq!(r.centroids, fixture_f32("blobs_centroids.f32"), "blobs");

    let dupes = fixture_f32("dupes_x.f32");
    let p = ClusteringParameters {
        niter: 5,
        ..ClusteringParameters::default()
    };
    let r = kmeans(&dupes, 4, 16, MetricType::L2, &p).unwrap();
    assert!(r.splits > 0);
    assert_eq!(r.centroids, fixture_f32("dupes_centroids.f32"), "dupes");

    let p = ClusteringParameters {
        niter: 8,
        spherical: true,
        ..ClusteringParameters::default()
    };
    let r = kmeans(&blobs, 8, 12, MetricType::InnerProduct, &p).unwrap();
    let want = fixture_f32("sphere_centroids.f32");
    for (a, b) in r.centroids.iter().zip(&want) {
        assert!((a - b).abs() <= 1e-6, "sphere: {a} vs {b}");
    }
}
