//! Many-to-many search and top-k selection against brute-force sorts, on both paths of
//! every tier, with Faiss's tie order and empty slots.

mod common;

use common::Rng;
use common::*;
use flatl2_kernel::__internal::scalar;
use flatl2_kernel::{KernelError, Kernels, KnnPath, MetricType, TopK};
use proptest::prelude::*;

const PATHS: [KnnPath; 3] = [KnnPath::Auto, KnnPath::Direct, KnnPath::Blocked];

/// Faiss's documented streaming model (spec section 4.3), written independently of the
/// heap: scan positions in order, keep a set `S` of at most `k`; when full, a candidate
/// replaces the worst member (L2: max by (dist, pos); IP: min by (sim, pos), i.e. the
/// LOWEST position among tied sims is evicted) only when strictly better. Output: L2 by
/// (dist, pos) ascending; IP by sim descending, then DESCENDING position. Missing slots
/// are `(worst, -1)`; NaN and the worst value itself never enter (Faiss's heap starts
/// full of `(worst, -1)` and only admits strictly better values).
fn model(metric: MetricType, dists: &[f32], k: usize) -> (Vec<f32>, Vec<i64>) {
    // Faiss compares with `<` and `>`: `-0.0` ties with `0.0` (`total_cmp` splits them).
    // NaN never enters the set, so the comparison is total here.
    let by = |a: f32, b: f32| a.partial_cmp(&b).expect("no NaN in the set");
    let mut set: Vec<(f32, usize)> = Vec::new();
    for (p, &v) in dists.iter().enumerate() {
        if k == 0 || v.is_nan() || !metric.is_better(v, metric.worst()) {
            continue;
        }
        if set.len() < k {
            set.push((v, p));
            continue;
        }
        let worst_at =
            match metric {
                MetricType::L2 => (0..set.len())
                    .max_by(|&a, &b| by(set[a].0, set[b].0).then(set[a].1.cmp(&set[b].1))),
                MetricType::InnerProduct => (0..set.len())
                    .min_by(|&a, &b| by(set[a].0, set[b].0).then(set[a].1.cmp(&set[b].1))),
            }
            .unwrap();
        if metric.is_better(v, set[worst_at].0) {
            set[worst_at] = (v, p);
        }
    }
    match metric {
        MetricType::L2 => set.sort_by(|a, b| by(a.0, b.0).then(a.1.cmp(&b.1))),
        MetricType::InnerProduct => set.sort_by(|a, b| by(b.0, a.0).then(b.1.cmp(&a.1))),
    }
    let mut d: Vec<f32> = set.iter().map(|e| e.0).collect();
    let mut l: Vec<i64> = set.iter().map(|e| e.1 as i64).collect();
    d.resize(k, metric.worst());
    l.resize(k, -1);
    (d, l)
}

/// Brute force with the scalar kernels: the per-query distances.
fn naive(metric: MetricType, q: &[f32], rows: &[f32], d: usize) -> Vec<f32> {
    rows.chunks_exact(d)
        .map(|r| match metric {
            MetricType::L2 => scalar::l2_sqr(q, r),
            MetricType::InnerProduct => scalar::inner_product(q, r),
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn run(
    k: &Kernels,
    path: KnnPath,
    metric: MetricType,
    queries: &[f32],
    rows: &[f32],
    d: usize,
    norms: Option<&[f32]>,
    kk: usize,
) -> (Vec<f32>, Vec<i64>) {
    let nq = queries.len() / d;
    let mut dist = vec![0.0f32; nq * kk];
    let mut labels = vec![7i64; nq * kk];
    k.knn_via(
        path,
        metric,
        queries,
        rows,
        d,
        norms,
        kk,
        &mut dist,
        &mut labels,
    )
    .unwrap();
    (dist, labels)
}

/// Integer data: every distance is exact in f32 on every path, so results must match
/// the model exactly, ties included. Duplicate rows make plenty of ties.
#[test]
fn exact_data_matches_brute_force_on_every_path() {
    let mut rng = Rng::new(21);
    let shapes: [(usize, usize, usize); 10] = [
        (1, 1, 1),
        (3, 5, 7),
        (8, 33, 13),
        (16, 40, 50),
        (5, 2, 300),
        (24, 1, 97),
        (64, 20, 2600), // more rows than one block at d = 64 (2048), two query groups
        (3, 70, 29),
        (128, 3, 40),
        (300, 34, 30), // several coordinate passes (128 + 128 + 44), two query groups
    ];
    for k in tiers() {
        for &(d, nq, n) in &shapes {
            let base = rng.ints(n.div_ceil(3) * d, 3);
            // Every row appears about three times: ties in every query.
            let mut rows = Vec::with_capacity(n * d);
            for i in 0..n {
                let src = (i * 7) % n.div_ceil(3);
                rows.extend_from_slice(&base[src * d..(src + 1) * d]);
            }
            let queries = rng.ints(nq * d, 3);
            let norms: Vec<f32> = rows.chunks_exact(d).map(scalar::norm_sqr).collect();
            for metric in [MetricType::L2, MetricType::InnerProduct] {
                for kk in [1usize, 3, 10, n + 5] {
                    for path in PATHS {
                        for given in [None, Some(norms.as_slice())] {
                            let (dist, labels) =
                                run(k, path, metric, &queries, &rows, d, given, kk);
                            for (qi, q) in queries.chunks_exact(d).enumerate() {
                                let (wd, wl) = model(metric, &naive(metric, q, &rows, d), kk);
                                let what = format!(
                                    "{} {path:?} {metric:?} d={d} nq={nq} n={n} k={kk} q={qi}",
                                    k.tier()
                                );
                                assert_eq!(&labels[qi * kk..(qi + 1) * kk], &wl[..], "{what}");
                                assert_eq!(&dist[qi * kk..(qi + 1) * kk], &wd[..], "{what}");
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Float data: distances within the error bound of the f64 reference, and every
/// returned row genuinely among the k nearest (up to that bound).
#[test]
fn float_data_is_within_bound_on_every_path() {
    let mut rng = Rng::new(22);
    for k in tiers() {
        for &(d, nq, n) in &[(7usize, 5usize, 100usize), (128, 35, 500), (384, 3, 64)] {
            let rows = rng.vec(n * d);
            let queries = rng.vec(nq * d);
            for metric in [MetricType::L2, MetricType::InnerProduct] {
                let kk = 10;
                for path in PATHS {
                    let (dist, labels) = run(k, path, metric, &queries, &rows, d, None, kk);
                    for (qi, q) in queries.chunks_exact(d).enumerate() {
                        let wq = widen(q);
                        let refs: Vec<(f64, f64)> = rows
                            .chunks_exact(d)
                            .map(|r| match metric {
                                MetricType::L2 => l2_ref(&wq, &widen(r)),
                                // |x|^2 + |y|^2 - 2x.y: error relative to the norms.
                                MetricType::InnerProduct => ip_ref(&wq, &widen(r)),
                            })
                            .collect();
                        // Norm-expansion error scale for L2: |x|^2 + |y|^2 + 2|x.y|.
                        let scale = |j: usize| -> f64 {
                            let r = widen(&rows[j * d..(j + 1) * d]);
                            ip_ref(&wq, &wq).1 + ip_ref(&r, &r).1 + 2.0 * ip_ref(&wq, &r).1
                        };
                        let mut sorted: Vec<f64> = refs.iter().map(|r| r.0).collect();
                        match metric {
                            MetricType::L2 => sorted.sort_by(|a, b| a.total_cmp(b)),
                            MetricType::InnerProduct => sorted.sort_by(|a, b| b.total_cmp(a)),
                        }
                        let kth = sorted[kk - 1];
                        let what = format!("{} {path:?} {metric:?} d={d} q={qi}", k.tier());
                        for s in 0..kk {
                            let j = labels[qi * kk + s];
                            assert!(j >= 0, "{what}");
                            let j = j as usize;
                            let got = dist[qi * kk + s];
                            let tol = bound(d, scale(j));
                            assert!(
                                (got as f64 - refs[j].0).abs() <= tol,
                                "{what}: {got} vs {}",
                                refs[j].0
                            );
                            match metric {
                                MetricType::L2 => assert!(refs[j].0 <= kth + 2.0 * tol, "{what}"),
                                MetricType::InnerProduct => {
                                    assert!(refs[j].0 >= kth - 2.0 * tol, "{what}")
                                }
                            }
                            if s > 0 {
                                let prev = dist[qi * kk + s - 1];
                                assert!(!metric.is_better(got, prev), "{what}: order");
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn faiss_tie_order_examples() {
    for k in tiers() {
        for path in PATHS {
            // IP sims [1, 1, 1, 2], k = 2 -> labels [3, 1].
            let rows = [1.0f32, 1.0, 1.0, 2.0];
            let (d, l) = run(k, path, MetricType::InnerProduct, &[1.0], &rows, 1, None, 2);
            assert_eq!(l, vec![3, 1], "{} {path:?}", k.tier());
            assert_eq!(d, vec![2.0, 1.0]);
            // IP, all tied: the lowest positions are kept, listed in descending order.
            let (_, l) = run(
                k,
                path,
                MetricType::InnerProduct,
                &[1.0],
                &[5.0; 6],
                1,
                None,
                3,
            );
            assert_eq!(l, vec![2, 1, 0], "{} {path:?}", k.tier());
            // L2 ties: ascending positions.
            let rows = [3.0f32, 1.0, 1.0, 3.0, 1.0];
            let (d, l) = run(k, path, MetricType::L2, &[2.0], &rows, 1, None, 4);
            assert_eq!(l, vec![0, 1, 2, 3], "{} {path:?}", k.tier());
            assert_eq!(d, vec![1.0; 4]);
        }
    }
}

#[test]
fn empty_slots_k_zero_and_no_queries() {
    for k in tiers() {
        for path in PATHS {
            let t = k.tier();
            // k > n: -1 with the metric's worst distance.
            let (d, l) = run(
                k,
                path,
                MetricType::L2,
                &[0.0, 0.0],
                &[1.0, 1.0],
                2,
                None,
                3,
            );
            assert_eq!(l, vec![0, -1, -1], "{t} {path:?}");
            assert_eq!(d, vec![2.0, f32::MAX, f32::MAX]);
            let (d, l) = run(
                k,
                path,
                MetricType::InnerProduct,
                &[1.0, 1.0],
                &[1.0, 1.0],
                2,
                None,
                2,
            );
            assert_eq!(l, vec![0, -1], "{t} {path:?}");
            assert_eq!(d, vec![2.0, -f32::MAX]);
            // No rows at all.
            let (d, l) = run(k, path, MetricType::L2, &[0.0, 0.0], &[], 2, None, 2);
            assert_eq!((d, l), (vec![f32::MAX; 2], vec![-1; 2]), "{t} {path:?}");
            // k = 0 and nq = 0: nothing to write, no error.
            let (d, l) = run(
                k,
                path,
                MetricType::L2,
                &[0.0, 0.0],
                &[1.0, 1.0],
                2,
                None,
                0,
            );
            assert!(d.is_empty() && l.is_empty());
            let (d, l) = run(
                k,
                path,
                MetricType::InnerProduct,
                &[],
                &[1.0, 1.0],
                2,
                None,
                4,
            );
            assert!(d.is_empty() && l.is_empty());
        }
    }
}

#[test]
fn nan_rows_never_enter_and_negative_round_off_is_clamped() {
    for k in tiers() {
        for path in PATHS {
            let rows = [f32::NAN, 1.0, 2.0, f32::NAN, 0.0, 0.5];
            let (_, l) = run(k, path, MetricType::L2, &[0.0, 0.0], &rows, 2, None, 3);
            assert_eq!(l, vec![2, -1, -1], "{} {path:?}", k.tier());
        }
        // A query equal to a row: the blocked path gives (|x|^2 + |y|^2) - 2 x.y, which
        // can round below zero; Faiss clamps that to 0, and so do we.
        let mut rng = Rng::new(23);
        let d = 96;
        let rows = rng.vec(50 * d);
        let queries: Vec<f32> = rows[..20 * d].to_vec();
        let (dist, labels) = run(
            k,
            KnnPath::Blocked,
            MetricType::L2,
            &queries,
            &rows,
            d,
            None,
            1,
        );
        for (qi, (&dd, &l)) in dist.iter().zip(&labels).enumerate() {
            assert!(dd >= 0.0, "{} q={qi}: {dd}", k.tier());
            assert!(
                dd as f64 <= bound(d, 4.0 * d as f64),
                "{} q={qi}: {dd}",
                k.tier()
            );
            assert_eq!(l, qi as i64);
        }
    }
}

/// The blocked path keeps one best per query for k = 1 without a heap, scored as
/// Faiss's top-1 path scores it (`tests/faiss_top1.rs` checks the bits against Faiss).
/// On float data with duplicate rows, NaN rows, several row blocks and several query
/// groups it must pick the heap's k = 2 best: the same label, the lowest among ties
/// (for inner product the heap lists tied similarities by descending label, so that
/// is its second column then), at the heap's distance up to round-off.
#[test]
fn blocked_k1_is_the_heaps_best() {
    let mut rng = Rng::new(31);
    for k in tiers() {
        for &(d, nq, n) in &[(128usize, 70usize, 3000usize), (7, 33, 40), (300, 5, 400)] {
            let mut rows = rng.vec(n * d);
            // Rows 11.. repeat rows 0..11 (ties, between even and odd rows); row 5 is
            // NaN in one coordinate.
            for i in 11..n.min(22) {
                rows.copy_within((i - 11) * d..(i - 10) * d, i * d);
            }
            rows[5 * d + d / 2] = f32::NAN;
            let mut queries = rng.vec(nq * d);
            // Query 0 equals row 3 (and so row 14): a clamped zero, tied.
            queries[..d].copy_from_slice(&rows[3 * d..4 * d]);
            let norms: Vec<f32> = rows.chunks_exact(d).map(scalar::norm_sqr).collect();
            for metric in [MetricType::L2, MetricType::InnerProduct] {
                for given in [None, Some(norms.as_slice())] {
                    let one = run(k, KnnPath::Blocked, metric, &queries, &rows, d, given, 1);
                    let two = run(k, KnnPath::Blocked, metric, &queries, &rows, d, given, 2);
                    let what = format!("{} {metric:?} d={d} nq={nq} n={n}", k.tier());
                    let first_l: Vec<i64> = (two.0.chunks_exact(2).zip(two.1.chunks_exact(2)))
                        .map(|(dd, ll)| {
                            if dd[0] == dd[1] {
                                ll[0].min(ll[1])
                            } else {
                                ll[0]
                            }
                        })
                        .collect();
                    assert_eq!(one.1, first_l, "{what}");
                    for (qi, (&a, b)) in one.0.iter().zip(two.0.chunks_exact(2)).enumerate() {
                        match metric {
                            // Inner product: the same arithmetic, the same bits.
                            MetricType::InnerProduct => assert_eq!(a.to_bits(), b[0].to_bits()),
                            // L2: Faiss's top-1 formula, within round-off of the heap's.
                            MetricType::L2 => {
                                let tol = bound(d, 4.0 * d as f64) as f32;
                                assert!((a - b[0]).abs() <= tol, "{what} q={qi}: {a} vs {}", b[0]);
                            }
                        }
                    }
                    assert!(!one.1.contains(&5), "{what}: the NaN row entered");
                }
            }
            let (_, l) = run(
                k,
                KnnPath::Blocked,
                MetricType::L2,
                &queries,
                &rows,
                d,
                None,
                1,
            );
            assert_eq!(l[0], 3, "{} d={d}: the first of tied rows", k.tier());
        }
    }
}

#[test]
fn bad_input_is_typed_errors() {
    let k = flatl2_kernel::kernels().unwrap();
    let mut d2 = vec![0.0f32; 2];
    let mut l2 = vec![0i64; 2];
    let q = [1.0f32, 2.0];
    let rows = [1.0f32, 2.0, 3.0, 4.0];
    assert_eq!(
        k.knn(MetricType::L2, &q, &rows, 0, None, 1, &mut d2, &mut l2),
        Err(KernelError::ZeroDimension)
    );
    assert_eq!(
        k.knn(MetricType::L2, &q, &rows[..3], 2, None, 2, &mut d2, &mut l2),
        Err(KernelError::RaggedMatrix { len: 3, dim: 2 })
    );
    assert_eq!(
        k.knn(MetricType::L2, &q[..1], &rows, 2, None, 2, &mut d2, &mut l2),
        Err(KernelError::RaggedMatrix { len: 1, dim: 2 })
    );
    assert_eq!(
        k.knn(MetricType::L2, &q, &rows, 2, None, 3, &mut d2, &mut l2),
        Err(KernelError::OutputSize {
            expected: 3,
            got: 2
        })
    );
    assert_eq!(
        k.knn(MetricType::L2, &q, &rows, 2, None, 2, &mut d2, &mut l2[..1]),
        Err(KernelError::OutputSize {
            expected: 2,
            got: 1
        })
    );
    assert_eq!(
        k.knn(
            MetricType::L2,
            &q,
            &rows,
            2,
            Some(&[1.0]),
            2,
            &mut d2,
            &mut l2
        ),
        Err(KernelError::OutputSize {
            expected: 2,
            got: 1
        })
    );
    assert_eq!(
        k.knn(
            MetricType::L2,
            &q,
            &rows,
            1,
            None,
            usize::MAX,
            &mut d2,
            &mut l2
        ),
        Err(KernelError::SizeOverflow {
            rows: 2,
            dim: usize::MAX
        })
    );
    assert_eq!(
        flatl2_kernel::knn(
            MetricType::InnerProduct,
            &q,
            &rows,
            2,
            None,
            2,
            &mut d2,
            &mut l2
        ),
        Ok(())
    );
}

#[test]
fn topk_direct_use_matches_model() {
    // push, push_run, push_labeled, threshold, reset, k(), metric().
    let mut h = TopK::new(MetricType::InnerProduct, 2);
    assert_eq!((h.k(), h.metric()), (2, MetricType::InnerProduct));
    assert_eq!(h.threshold(), -f32::MAX);
    h.push_run(&[1.0, 1.0, 1.0, 2.0], 0);
    assert_eq!(h.threshold(), 1.0);
    let (d, l) = h.clone().into_sorted();
    assert_eq!((d, l), (vec![2.0, 1.0], vec![3, 1]));
    h.reset();
    h.push_labeled(&[4.0, 4.0], &[10, 5]);
    let (mut d, mut l) = (vec![0.0; 2], vec![0; 2]);
    h.drain_sorted_into(&mut d, &mut l);
    assert_eq!((d, l), (vec![4.0, 4.0], vec![10, 5]));
    assert_eq!(h.threshold(), -f32::MAX, "drain resets");
    let mut z = TopK::new(MetricType::L2, 0);
    z.push(1.0, 1);
    assert_eq!(z.into_sorted(), (vec![], vec![]));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// TopK against the sort model, with heavy ties and NaN.
    #[test]
    fn topk_matches_sort_model(
        vals in prop::collection::vec(prop_oneof![8 => 0i32..6, 1 => Just(-1)], 0..80),
        k in 0usize..12,
        ip in any::<bool>(),
    ) {
        let metric = if ip { MetricType::InnerProduct } else { MetricType::L2 };
        let dists: Vec<f32> = vals.iter().map(|&v| if v < 0 { f32::NAN } else { v as f32 }).collect();
        let mut h = TopK::new(metric, k);
        for (i, &d) in dists.iter().enumerate() {
            h.push(d, i as i64);
        }
        prop_assert_eq!(h.into_sorted(), model(metric, &dists, k));
    }

    /// The slice pushes skip whole chunks that cannot enter; they keep what pushing one
    /// by one keeps, ties (resolved by label) and NaN included, over many chunks.
    #[test]
    fn slice_pushes_equal_one_by_one(
        vals in prop::collection::vec(prop_oneof![8 => 0i32..6, 1 => Just(-1)], 0..200),
        k in 0usize..12,
        ip in any::<bool>(),
        first in -5i64..5,
        seed in any::<u64>(),
    ) {
        let metric = if ip { MetricType::InnerProduct } else { MetricType::L2 };
        let dists: Vec<f32> = vals.iter().map(|&v| if v < 0 { f32::NAN } else { v as f32 }).collect();
        // Labels in no order, as an IVF list's ids.
        let mut rng = Rng::new(seed);
        let labels: Vec<i64> = dists.iter().map(|_| rng.below(1000) as i64).collect();
        let mut one = TopK::new(metric, k);
        let mut run = TopK::new(metric, k);
        for (i, &d) in dists.iter().enumerate() {
            one.push(d, labels[i]);
            run.push(d, first + i as i64);
        }
        let mut labeled = TopK::new(metric, k);
        labeled.push_labeled(&dists, &labels);
        prop_assert_eq!(labeled.into_sorted(), one.into_sorted());
        let mut slice = TopK::new(metric, k);
        slice.push_run(&dists, first);
        prop_assert_eq!(slice.into_sorted(), run.into_sorted());
    }

    /// Random integer shapes: every tier and path agrees exactly with the model.
    #[test]
    fn knn_random_integer_shapes(
        d in 1usize..40,
        nq in 0usize..40,
        n in 0usize..60,
        kk in 0usize..8,
        ip in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let metric = if ip { MetricType::InnerProduct } else { MetricType::L2 };
        let mut rng = Rng::new(seed);
        let rows = rng.ints(n * d, 2);
        let queries = rng.ints(nq * d, 2);
        for k in tiers() {
            for path in PATHS {
                let (dist, labels) = run(k, path, metric, &queries, &rows, d, None, kk);
                for (qi, q) in queries.chunks_exact(d).enumerate() {
                    let (wd, wl) = model(metric, &naive(metric, q, &rows, d), kk);
                    prop_assert_eq!(&labels[qi * kk..(qi + 1) * kk], &wl[..]);
                    prop_assert_eq!(&dist[qi * kk..(qi + 1) * kk], &wd[..]);
                }
            }
        }
    }
}
