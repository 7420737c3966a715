//! IvfFlatIndex: exhaustive probing equals flat search, recall on clustered data,
//! per-call nprobe, add_with_ids, remove, direct maps, merge, IP metric.

mod common;

use common::*;
use ferrofaiss_index::{
    ClusteringParameters, DirectMapType, FlatIndex, IdSelector, Index, IndexError, IvfFlatIndex,
    IvfFlatParts, MetricType, SearchParams,
};

fn trained(metric: MetricType, xb: &[f32], d: usize, nlist: usize) -> IvfFlatIndex {
    let mut ivf = IvfFlatIndex::new(d, nlist, metric).unwrap();
    ivf.train(xb).unwrap();
    ivf.add(xb).unwrap();
    ivf
}

#[test]
fn nprobe_nlist_equals_flat_search() {
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        let d = 24;
        let xb = clustered(4000, d, 20, 2.0, 1);
        let xq = uniform(40, d, 2)
            .iter()
            .map(|v| v * 10.0)
            .collect::<Vec<_>>();
        let ivf = trained(metric, &xb, d, 32);
        assert_eq!(ivf.ntotal(), 4000);
        let flat = FlatIndex::from_vectors(d, metric, xb.clone()).unwrap();
        let p = SearchParams::with_nprobe(32);
        for nq in [1, 40] {
            let q = &xq[..nq * d];
            let a = ivf.search(q, 10, Some(&p)).unwrap();
            let b = flat.search(q, 10, None).unwrap();
            assert_same_results(&a.distances, &a.labels, &b.distances, &b.labels, 10, 1e-5);
        }
        // nprobe larger than nlist is clamped.
        let c = ivf
            .search(&xq, 10, Some(&SearchParams::with_nprobe(1000)))
            .unwrap();
        let f = flat.search(&xq, 10, None).unwrap();
        assert_same_results(&c.distances, &c.labels, &f.distances, &f.labels, 10, 1e-5);
    }
}

#[test]
fn recall_grows_with_nprobe_on_clustered_data() {
    let d = 32;
    let xb = clustered(20_000, d, 100, 3.0, 3);
    let xq = clustered(100, d, 100, 3.0, 3 + 1000);
    // Queries come from the same centres only when the generator shares them: use base
    // points perturbed instead.
    let xq: Vec<f32> = xq
        .iter()
        .zip(xb.iter())
        .map(|(n, b)| b + 0.05 * n / 10.0)
        .collect();
    let flat = FlatIndex::from_vectors(d, MetricType::L2, xb.clone()).unwrap();
    let truth_r = flat.search(&xq, 10, None).unwrap();
    let truth: Vec<Vec<i64>> = (0..100)
        .map(|q| truth_r.labels_of(q).unwrap().to_vec())
        .collect();
    let ivf = trained(MetricType::L2, &xb, d, 64);
    let mut last = 0.0;
    for nprobe in [1, 4, 16, 64] {
        let r = ivf
            .search(&xq, 10, Some(&SearchParams::with_nprobe(nprobe)))
            .unwrap();
        let rec = recall(&r.labels, &truth, 10);
        assert!(
            rec >= last,
            "recall fell from {last} to {rec} at nprobe {nprobe}"
        );
        last = rec;
    }
    assert!(last >= 0.99, "exhaustive probing recall {last}");
    let r = ivf
        .search(&xq, 10, Some(&SearchParams::with_nprobe(8)))
        .unwrap();
    assert!(recall(&r.labels, &truth, 10) > 0.8);
    // Per-call parameters do not change the index.
    assert_eq!(ivf.nprobe(), 1);
}

#[test]
fn add_with_ids_remove_and_reconstruct_with_hashtable() {
    let d = 8;
    let xb = clustered(1000, d, 10, 1.0, 4);
    let ids: Vec<i64> = (0..1000).map(|i| 5_000_000 + 3 * i).collect();
    let mut ivf = IvfFlatIndex::new(d, 16, MetricType::L2).unwrap();
    ivf.train(&xb).unwrap();
    ivf.set_direct_map_type(DirectMapType::Hashtable).unwrap();
    ivf.add_with_ids(&xb, &ids).unwrap();
    assert_eq!(
        ivf.reconstruct(ids[17]).unwrap(),
        xb[17 * d..18 * d].to_vec()
    );
    assert_eq!(
        ivf.add_with_ids(&xb[..d], &[ids[0]]),
        Err(IndexError::DuplicateId(ids[0]))
    );
    let gone: Vec<i64> = ids.iter().copied().step_by(4).collect();
    assert_eq!(
        ivf.remove_ids(&IdSelector::Array(gone.clone())).unwrap(),
        250
    );
    assert_eq!(ivf.ntotal(), 750);
    for (i, &id) in ids.iter().enumerate() {
        match ivf.reconstruct(id) {
            Ok(v) => {
                assert!(!gone.contains(&id));
                assert_eq!(v, xb[i * d..(i + 1) * d].to_vec());
            }
            Err(e) => {
                assert!(gone.contains(&id));
                assert_eq!(e, IndexError::UnknownId(id));
            }
        }
    }
    let r = ivf
        .search(&xb, 5, Some(&SearchParams::with_nprobe(16)))
        .unwrap();
    assert!(r.labels.iter().all(|l| !gone.contains(l)));
    // Range selector through the hashtable.
    let n = ivf
        .remove_ids(&IdSelector::range(5_000_000, 5_000_030))
        .unwrap();
    assert_eq!(n, 10 - 3);
}

#[test]
fn remove_without_direct_map_and_array_map_rules() {
    let d = 6;
    let xb = clustered(600, d, 6, 1.0, 5);
    let mut ivf = trained(MetricType::L2, &xb, d, 8);
    assert!(matches!(
        ivf.reconstruct(0),
        Err(IndexError::Unsupported(_))
    ));
    assert_eq!(ivf.remove_ids(&IdSelector::range(100, 200)).unwrap(), 100);
    let r = ivf
        .search(&xb, 3, Some(&SearchParams::with_nprobe(8)))
        .unwrap();
    assert!(r.labels.iter().all(|&l| !(100..200).contains(&l)));
    let total: usize = ivf.list_sizes().iter().sum();
    assert_eq!(total, 500);

    let mut arr = trained(MetricType::L2, &xb, d, 8);
    arr.set_direct_map_type(DirectMapType::Array).unwrap();
    assert_eq!(arr.reconstruct(599).unwrap(), xb[599 * d..].to_vec());
    assert_eq!(arr.reconstruct(600), Err(IndexError::UnknownId(600)));
    assert!(matches!(
        arr.add_with_ids(&xb[..d], &[9999]),
        Err(IndexError::Unsupported(_))
    ));
    arr.add(&xb[..d]).unwrap();
    assert_eq!(arr.reconstruct(600).unwrap(), xb[..d].to_vec());
    assert!(matches!(
        arr.remove_ids(&IdSelector::batch([1])),
        Err(IndexError::Unsupported(_))
    ));
}

#[test]
fn merge_requires_equal_quantizers_and_keeps_ids() {
    let d = 8;
    let xb = clustered(800, d, 8, 1.0, 6);
    let mut a = IvfFlatIndex::new(d, 8, MetricType::L2).unwrap();
    a.train(&xb).unwrap();
    let mut b = a.clone();
    a.add(&xb[..400 * d]).unwrap();
    b.add_with_ids(&xb[400 * d..], &(400..800).collect::<Vec<i64>>())
        .unwrap();
    let mut whole = a.clone();
    whole.add(&xb[400 * d..]).unwrap();
    a.merge_from(&mut b).unwrap();
    assert_eq!(a.ntotal(), 800);
    assert_eq!(b.ntotal(), 0);
    let p = SearchParams::with_nprobe(3);
    assert_eq!(
        a.search(&xb, 4, Some(&p)).unwrap().labels,
        whole.search(&xb, 4, Some(&p)).unwrap().labels
    );
    // Offset variant shifts ids.
    let mut c = IvfFlatIndex::new(d, 8, MetricType::L2).unwrap();
    c.train_with_centroids(&a.centroids()).unwrap();
    c.add(&xb[..d]).unwrap();
    let mut e = c.clone();
    e.reset();
    e.merge_from_with_offset(&mut c, 1000).unwrap();
    assert_eq!(e.search(&xb[..d], 1, None).unwrap().labels, vec![1000]);
    // Different centroids: refused.
    let mut other = IvfFlatIndex::new(d, 8, MetricType::L2).unwrap();
    other.train(&clustered(800, d, 8, 1.0, 99)).unwrap();
    assert!(matches!(
        a.merge_from(&mut other),
        Err(IndexError::IncompatibleMerge(_))
    ));
    let mut flat = FlatIndex::new(d, MetricType::L2).unwrap();
    assert!(matches!(
        a.merge_from(&mut flat),
        Err(IndexError::IncompatibleMerge(_))
    ));
}

#[test]
fn range_search_visits_probed_lists() {
    let d = 8;
    let xb = clustered(2000, d, 10, 1.0, 7);
    let ivf = trained(MetricType::L2, &xb, d, 16);
    let flat = FlatIndex::from_vectors(d, MetricType::L2, xb.clone()).unwrap();
    let q = &xb[..3 * d];
    let a = ivf
        .range_search(q, 0.5, Some(&SearchParams::with_nprobe(16)))
        .unwrap();
    let b = flat.range_search(q, 0.5, None).unwrap();
    for i in 0..3 {
        let mut x = a.query(i).unwrap().1.to_vec();
        x.sort();
        assert_eq!(x, b.query(i).unwrap().1.to_vec());
    }
}

#[test]
fn ip_ivf_trains_spherical_and_searches() {
    let d = 16;
    let xb = clustered(3000, d, 12, 1.0, 8);
    let ivf = trained(MetricType::InnerProduct, &xb, d, 16);
    assert!(ivf.clustering_params().spherical);
    for c in ivf.centroids().chunks_exact(d) {
        let n: f32 = c.iter().map(|v| v * v).sum();
        assert!((n - 1.0).abs() < 1e-4, "centroid norm^2 {n}");
    }
    let flat = FlatIndex::from_vectors(d, MetricType::InnerProduct, xb.clone()).unwrap();
    let q = &xb[..20 * d];
    let a = ivf
        .search(q, 5, Some(&SearchParams::with_nprobe(16)))
        .unwrap();
    let f = flat.search(q, 5, None).unwrap();
    assert_same_results(&a.distances, &a.labels, &f.distances, &f.labels, 5, 1e-5);
}

#[test]
fn from_parts_round_trips_and_validates() {
    let d = 4;
    let xb = clustered(200, d, 4, 1.0, 9);
    let mut ivf = trained(MetricType::L2, &xb, d, 4);
    ivf.set_nprobe(3).unwrap();
    ivf.set_direct_map_type(DirectMapType::Array).unwrap();
    let parts = ivf.clone().into_parts();
    let back = IvfFlatIndex::from_parts(parts.clone()).unwrap();
    assert_eq!(back.nprobe(), 3);
    assert_eq!(back.clone().into_parts().lists, parts.lists);
    assert_eq!(back.direct_map(), ivf.direct_map());
    assert_eq!(back.ntotal(), 200);
    let mut bad = parts.clone();
    bad.lists[0].codes.pop();
    assert!(matches!(
        IvfFlatIndex::from_parts(bad),
        Err(IndexError::InvalidParts(_))
    ));
    let mut bad = parts.clone();
    bad.lists.pop();
    assert!(IvfFlatIndex::from_parts(bad).is_err());
    let untrained = IvfFlatParts {
        metric: MetricType::L2,
        quantizer: FlatIndex::new(d, MetricType::L2).unwrap(),
        lists: vec![Default::default(); 4],
        direct_map: Default::default(),
        nprobe: 1,
        is_trained: false,
    };
    let u = IvfFlatIndex::from_parts(untrained).unwrap();
    assert!(!u.is_trained());
    assert_eq!(u.search(&xb[..d], 1, None), Err(IndexError::NotTrained));
}

#[test]
fn custom_clustering_params_are_used() {
    let d = 4;
    let xb = clustered(500, d, 5, 1.0, 10);
    let mut ivf = IvfFlatIndex::new(d, 5, MetricType::L2).unwrap();
    ivf.set_clustering_params(ClusteringParameters {
        niter: 3,
        ..ClusteringParameters::for_ivf(MetricType::L2)
    });
    ivf.train(&xb).unwrap();
    assert_eq!(ivf.clustering_params().niter, 3);
    assert_eq!(ivf.centroids().len(), 5 * d);
}

/// One query whose probed lists are long is split across threads; the merged result
/// must equal the flat search. (24,000 x 16 = 384,000 coordinates probed: above the
/// split threshold of 2^18.)
#[test]
fn single_query_split_across_threads_equals_flat() {
    let d = 16;
    let xb = clustered(24_000, d, 8, 2.0, 11);
    let ivf = trained(MetricType::L2, &xb, d, 8);
    let flat = FlatIndex::from_vectors(d, MetricType::L2, xb.clone()).unwrap();
    let p = SearchParams::with_nprobe(8);
    for threads in [1, 3] {
        with_threads(threads, || {
            for q in 0..3 {
                let query = &xb[q * 997 * d..(q * 997 + 1) * d];
                let a = ivf.search(query, 20, Some(&p)).unwrap();
                let b = flat.search(query, 20, None).unwrap();
                assert_same_results(&a.distances, &a.labels, &b.distances, &b.labels, 20, 1e-5);
            }
        });
    }
}

/// A lone query split across threads, its scan cut into stretches that begin and end
/// inside lists, gives the one-thread result bit for bit, ties included: 40 distinct
/// vectors repeated 600 times each, so the k-th place is a tie the scan order settles.
#[test]
fn split_lone_query_keeps_the_sequential_ties() {
    let d = 16;
    let distinct = clustered(40, d, 8, 2.0, 31);
    let mut rng = Lcg::new(32);
    let xb: Vec<f32> = (0..24_000)
        .flat_map(|_| {
            let w = rng.below(40) as usize;
            distinct[w * d..(w + 1) * d].to_vec()
        })
        .collect();
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        let ivf = trained(metric, &xb, d, 8);
        for nprobe in [6, 8] {
            let p = SearchParams::with_nprobe(nprobe);
            for q in 0..3 {
                let query = &distinct[q * 7 * d..(q * 7 + 1) * d];
                let want = with_threads(1, || ivf.search(query, 50, Some(&p)).unwrap());
                for threads in [2, 3, 4] {
                    let got = with_threads(threads, || ivf.search(query, 50, Some(&p)).unwrap());
                    assert_eq!(
                        got.labels, want.labels,
                        "{metric:?} nprobe {nprobe} threads {threads}"
                    );
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&got.distances), bits(&want.distances));
                }
            }
        }
    }
}

/// The three batch strategies (list by list for large batches, query by query for
/// middling ones, one query at a time) give the same results.
#[test]
fn search_strategies_agree() {
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        let d = 16;
        let xb = clustered(5000, d, 25, 2.0, 12);
        let mut ivf = trained(metric, &xb, d, 25);
        ivf.set_nprobe(5).unwrap();
        let xq = &xb[..64 * d];
        let k = 7;
        let whole = ivf.search(xq, k, None).unwrap();
        for chunk in [1usize, 10] {
            with_threads(2, || {
                for (c, q) in xq.chunks(chunk * d).enumerate() {
                    let r = ivf.search(q, k, None).unwrap();
                    let range = c * chunk * k..(c * chunk * k + r.labels.len());
                    assert_same_results(
                        &r.distances,
                        &r.labels,
                        &whole.distances[range.clone()],
                        &whole.labels[range],
                        k,
                        1e-5,
                    );
                }
            });
        }
    }
}

#[test]
fn fewer_vectors_than_k_pad_with_minus_one_on_every_path() {
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        let d = 4;
        let xb = clustered(20, d, 4, 1.0, 13);
        let ivf = trained(metric, &xb, d, 4);
        let worst = metric_worst(metric);
        for nq in [1usize, 8, 40] {
            let xq: Vec<f32> = xb.iter().cycle().take(nq * d).copied().collect();
            let r = ivf
                .search(&xq, 30, Some(&SearchParams::with_nprobe(4)))
                .unwrap();
            for q in 0..nq {
                let l = r.labels_of(q).unwrap();
                assert!(l[..20].iter().all(|&x| x >= 0), "{metric:?} nq={nq}");
                assert!(l[20..].iter().all(|&x| x == -1));
                assert!(r.distances_of(q).unwrap()[20..].iter().all(|&x| x == worst));
            }
        }
    }
}

/// Ties, as a sequential scan breaks them: on integer data (many equal distances) with
/// shuffled ids (label order is not scan order), every strategy (list by list for a
/// large batch, query by query, a lone query split across threads) returns exactly what
/// one scan of each query's probed lists, in probe order, offering every entry to a
/// Faiss heap, returns.
#[test]
fn every_strategy_breaks_ties_as_one_sequential_scan() {
    let d = 4;
    // Enough that a lone query probing all four lists crosses the split threshold
    // (2^18 coordinates) and is shared between threads.
    let n = 70_000;
    let mut r = 0x1234_5678_9abc_def1u64;
    let mut next = move |m: u64| {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        r % m
    };
    let xb: Vec<f32> = (0..n * d).map(|_| next(5) as f32 - 2.0).collect();
    let mut ids: Vec<i64> = (0..n as i64).collect();
    for i in (1..n).rev() {
        ids.swap(i, next(i as u64 + 1) as usize);
    }
    let xq: Vec<f32> = (0..40 * d).map(|_| next(5) as f32 - 2.0).collect();
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        let mut ivf = IvfFlatIndex::new(d, 4, metric).unwrap();
        ivf.train(&xb).unwrap();
        ivf.add_with_ids(&xb, &ids).unwrap();
        for (k, nprobe) in [(5, 4), (17, 2)] {
            let p = SearchParams::with_nprobe(nprobe);
            // The model: one sequential scan per query.
            let mut want_d = Vec::new();
            let mut want_l = Vec::new();
            for q in xq.chunks(d) {
                let probes = ivf.quantizer().search(q, nprobe, None).unwrap().labels;
                let mut heap = flatl2_kernel::TopK::new(metric, k);
                for &l in &probes {
                    let codes = ivf.list_codes(l as usize).to_vec();
                    for (code, &id) in codes.chunks(d).zip(ivf.list_ids(l as usize)) {
                        let dist: f64 = match metric {
                            MetricType::L2 => code
                                .iter()
                                .zip(q)
                                .map(|(a, b)| f64::from(a - b).powi(2))
                                .sum(),
                            MetricType::InnerProduct => {
                                code.iter().zip(q).map(|(a, b)| f64::from(a * b)).sum()
                            }
                        };
                        heap.push(dist as f32, id);
                    }
                }
                let (dd, ll) = heap.into_sorted();
                want_d.extend(dd);
                want_l.extend(ll);
            }
            for (threads, chunk) in [(2, 40), (2, 10), (3, 1), (1, 40)] {
                with_threads(threads, || {
                    for (c, q) in xq.chunks(chunk * d).enumerate() {
                        let got = ivf.search(q, k, Some(&p)).unwrap();
                        let range = c * chunk * k..(c + 1) * chunk * k;
                        assert_eq!(
                            got.labels,
                            want_l[range.clone()],
                            "{metric:?} k={k} nprobe={nprobe} threads={threads} chunk={chunk}"
                        );
                        assert_eq!(got.distances, want_d[range]);
                    }
                });
            }
        }
    }
}
