//! FlatIndex against a naive f64 brute force: ids (with Faiss's tie order), distances,
//! empty slots, remove_ids shifting, reconstruct, range_search, merge.

mod common;

use common::*;
use ferrofaiss_index::{FlatIndex, IdMap, IdSelector, Index, IndexError, MetricType, RowBuffer};

fn check_search(metric: MetricType, n: usize, nq: usize, d: usize, k: usize, seed: u64) {
    let xb = uniform(n, d, seed);
    let xq = uniform(nq, d, seed + 1);
    let mut index = FlatIndex::new(d, metric).unwrap();
    index.add(&xb).unwrap();
    let r = index.search(&xq, k, None).unwrap();
    assert_eq!((r.nq, r.k), (nq, k));
    for q in 0..nq {
        assert_matches_reference(
            metric,
            &xq[q * d..(q + 1) * d],
            &xb,
            d,
            r.distances_of(q).unwrap(),
            r.labels_of(q).unwrap(),
            1e-5,
        );
    }
}

#[test]
fn l2_matches_brute_force_single_and_batch() {
    check_search(MetricType::L2, 3000, 1, 37, 10, 1);
    check_search(MetricType::L2, 3000, 50, 64, 7, 2);
    check_search(MetricType::L2, 1200, 1100, 128, 10, 7);
    for threads in [1, 4] {
        with_threads(threads, || {
            check_search(MetricType::L2, 40_000, 3, 16, 5, 3)
        });
    }
}

#[test]
fn ip_matches_brute_force_single_and_batch() {
    check_search(MetricType::InnerProduct, 3000, 1, 37, 10, 4);
    check_search(MetricType::InnerProduct, 3000, 50, 64, 7, 5);
    check_search(MetricType::InnerProduct, 1200, 1100, 128, 10, 8);
    for threads in [1, 4] {
        with_threads(threads, || {
            check_search(MetricType::InnerProduct, 40_000, 3, 16, 5, 6)
        });
    }
}

/// Integer data: distances are exact, ties are everywhere; ids must follow Faiss's tie
/// rules exactly (L2 lower id first; IP keeps the lower ids, lists them descending).
#[test]
fn ties_follow_faiss_order_exactly() {
    with_threads(4, ties_in_current_pool);
    with_threads(1, ties_in_current_pool);
}

fn ties_in_current_pool() {
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        for (n, nq) in [(500, 1), (500, 40), (30_000, 2), (1000, 25_000)] {
            let d = 6;
            let xb = small_ints(n, d, 3, 10 + n as u64);
            let xq = small_ints(nq, d, 3, 20 + nq as u64);
            let mut index = FlatIndex::new(d, metric).unwrap();
            index.add(&xb).unwrap();
            let k = 9;
            let r = index.search(&xq, k, None).unwrap();
            for q in 0..nq {
                let reference = brute_force(metric, &xq[q * d..(q + 1) * d], &xb, d, k);
                let ids: Vec<i64> = reference.iter().map(|x| x.1).collect();
                let ds: Vec<f32> = reference.iter().map(|x| x.0 as f32).collect();
                assert_eq!(r.labels_of(q).unwrap(), &ids[..], "{metric:?} n={n} q={q}");
                assert_eq!(r.distances_of(q).unwrap(), &ds[..]);
            }
        }
    }
}

#[test]
fn fewer_than_k_fills_minus_one_and_worst() {
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        let d = 4;
        let xb = uniform(3, d, 7);
        let mut index = FlatIndex::new(d, metric).unwrap();
        let r = index.search(&xb[..d], 5, None).unwrap();
        assert_eq!(r.labels, vec![-1; 5]);
        assert_eq!(r.distances, vec![metric_worst(metric); 5]);
        index.add(&xb).unwrap();
        let r = index.search(&xb[..d], 5, None).unwrap();
        assert!(r.labels[..3].iter().all(|&l| l >= 0));
        assert_eq!(&r.labels[3..], &[-1, -1]);
        assert_eq!(&r.distances[3..], &[metric_worst(metric); 2]);
    }
}

#[test]
fn remove_ids_shifts_later_rows_down() {
    let d = 3;
    let xb: Vec<f32> = (0..10 * d).map(|v| v as f32).collect();
    let mut index = FlatIndex::from_vectors(d, MetricType::L2, xb.clone()).unwrap();
    assert_eq!(index.remove_ids(&IdSelector::batch([2, 5, 99])).unwrap(), 2);
    assert_eq!(index.ntotal(), 8);
    let kept: Vec<usize> = vec![0, 1, 3, 4, 6, 7, 8, 9];
    for (pos, &orig) in kept.iter().enumerate() {
        assert_eq!(
            index.reconstruct(pos as i64).unwrap(),
            xb[orig * d..(orig + 1) * d].to_vec()
        );
    }
    assert_eq!(index.remove_ids(&IdSelector::range(6, 100)).unwrap(), 2);
    assert_eq!(index.ntotal(), 6);
    assert_eq!(
        index.remove_ids(&IdSelector::Array(vec![0, 0, 1])).unwrap(),
        2
    );
    assert_eq!(index.reconstruct(0).unwrap(), xb[3 * d..4 * d].to_vec());
    // Search sees the shifted rows.
    let r = index.search(&xb[4 * d..5 * d], 1, None).unwrap();
    assert_eq!(r.labels, vec![1]);
    assert_eq!(r.distances, vec![0.0]);
}

#[test]
fn reconstruct_returns_rows_and_rejects_unknown() {
    let d = 5;
    let xb = uniform(4, d, 9);
    let index = FlatIndex::from_vectors(d, MetricType::L2, xb.clone()).unwrap();
    assert_eq!(index.reconstruct(3).unwrap(), xb[3 * d..].to_vec());
    assert!(index.reconstruct(4).is_err());
    assert!(index.reconstruct(-1).is_err());
    // Into a caller's buffer: the same row, and typed errors for a wrong length or id.
    let mut out = vec![0.0; d];
    index.reconstruct_into(1, &mut out).unwrap();
    assert_eq!(out, xb[d..2 * d].to_vec());
    assert_eq!(
        index.reconstruct_into(1, &mut [0.0; 4]),
        Err(IndexError::DimensionMismatch {
            dimension: 5,
            len: 4
        })
    );
    assert_eq!(
        index.reconstruct_into(9, &mut out),
        Err(IndexError::UnknownId(9))
    );
    // Through an id map and IVF as well.
    let mut map = IdMap::new(FlatIndex::new(d, MetricType::L2).unwrap()).unwrap();
    map.add_with_ids(&xb, &[40, 41, 42, 43]).unwrap();
    map.reconstruct_into(42, &mut out).unwrap();
    assert_eq!(out, xb[2 * d..3 * d].to_vec());
    assert_eq!(
        map.reconstruct_into(3, &mut out),
        Err(IndexError::UnknownId(3))
    );
}

#[test]
fn range_search_matches_brute_force() {
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        let d = 8;
        let xb = uniform(2000, d, 11);
        let xq = uniform(5, d, 12);
        let radius = match metric {
            MetricType::L2 => 1.5,
            MetricType::InnerProduct => 1.0,
        };
        let index = FlatIndex::from_vectors(d, metric, xb.clone()).unwrap();
        let r = index.range_search(&xq, radius, None).unwrap();
        assert_eq!(r.lims.len(), 6);
        for q in 0..5 {
            let (ds, ls) = r.query(q).unwrap();
            let query = &xq[q * d..(q + 1) * d];
            let expected: Vec<i64> = xb
                .chunks_exact(d)
                .enumerate()
                .filter(|(_, row)| {
                    let v = dist64(metric, query, row);
                    match metric {
                        MetricType::L2 => v < radius as f64,
                        MetricType::InnerProduct => v > radius as f64,
                    }
                })
                .map(|(i, _)| i as i64)
                .collect();
            // Skip the (unlikely) points within rounding of the radius.
            let borderline = |id: i64| {
                let v = dist64(metric, query, &xb[id as usize * d..(id as usize + 1) * d]);
                close(v, radius as f64, 1e-5)
            };
            let got: Vec<i64> = ls.iter().copied().filter(|&i| !borderline(i)).collect();
            let want: Vec<i64> = expected.into_iter().filter(|&i| !borderline(i)).collect();
            assert_eq!(got, want, "{metric:?} query {q}");
            for (&dv, &id) in ds.iter().zip(ls) {
                let v = dist64(metric, query, &xb[id as usize * d..(id as usize + 1) * d]);
                assert!(close(dv as f64, v, 1e-5));
            }
        }
    }
}

#[test]
fn merge_appends_and_empties_the_other() {
    let d = 4;
    let a = uniform(5, d, 13);
    let b = uniform(7, d, 14);
    let mut x = FlatIndex::from_vectors(d, MetricType::L2, a.clone()).unwrap();
    let mut y = FlatIndex::from_vectors(d, MetricType::L2, b.clone()).unwrap();
    x.merge_from(&mut y).unwrap();
    assert_eq!(x.ntotal(), 12);
    assert_eq!(y.ntotal(), 0);
    assert_eq!(&x.vectors()[..5 * d], &a[..]);
    assert_eq!(&x.vectors()[5 * d..], &b[..]);
    let mut ip = FlatIndex::new(d, MetricType::InnerProduct).unwrap();
    assert!(x.merge_from(&mut ip).is_err());
    let mut other_d = FlatIndex::new(d + 1, MetricType::L2).unwrap();
    assert!(x.merge_from(&mut other_d).is_err());
}

#[test]
fn reset_and_clone_box() {
    let d = 3;
    let mut index = FlatIndex::from_vectors(d, MetricType::L2, uniform(4, d, 15)).unwrap();
    let copy = index.clone_box();
    index.reset();
    assert_eq!(index.ntotal(), 0);
    assert_eq!(copy.ntotal(), 4);
    assert!(copy.as_any().downcast_ref::<FlatIndex>().is_some());
    assert_eq!(copy.type_name(), "IndexFlatL2");
}

/// Handing the vectors over (`add_owned`) stores what `add` stores, refuses what it
/// refuses, and appends to a non-empty index as `add` does; through a box too.
#[test]
fn add_owned_equals_add() {
    let d = 6;
    let x = uniform(50, d, 3);
    let mut by_ref = FlatIndex::new(d, MetricType::L2).unwrap();
    by_ref.add(&x).unwrap();
    by_ref.add(&x[..10 * d]).unwrap();
    let mut owned: Box<dyn Index> = Box::new(FlatIndex::new(d, MetricType::L2).unwrap());
    let mut filled = RowBuffer::zeroed(x.len());
    filled.copy_from_slice(&x);
    owned.add_owned(filled).unwrap();
    owned.add_owned(x[..10 * d].to_vec().into()).unwrap();
    assert_eq!(owned.ntotal(), 60);
    let flat = owned.as_any().downcast_ref::<FlatIndex>().unwrap();
    assert_eq!(flat.vectors(), by_ref.vectors());
    let mut empty = FlatIndex::new(d, MetricType::L2).unwrap();
    let mut bad = x.clone();
    bad[7] = f32::NAN;
    assert!(matches!(
        empty.add_owned(bad.into()),
        Err(IndexError::NanVector { row: 1 })
    ));
    assert!(matches!(
        empty.add_owned(vec![0.0; d + 1].into()),
        Err(IndexError::DimensionMismatch { .. })
    ));
    assert_eq!(empty.ntotal(), 0);
    // A batch large enough to be checked on all threads names its first NaN row too.
    let mut large = RowBuffer::zeroed(200_000 * d);
    large[150_001 * d + 2] = f32::NAN;
    large[180_000 * d] = f32::NAN;
    assert!(matches!(
        empty.add_owned(large),
        Err(IndexError::NanVector { row: 150_001 })
    ));
    assert_eq!(empty.ntotal(), 0);
}
