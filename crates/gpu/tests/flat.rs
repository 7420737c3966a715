//! `GpuFlatIndex` against the CPU `FlatIndex` and an f64 brute force: exact labels and
//! distances (ties included) on integer data, where every sum is exact in `f32`; the
//! top-k property within float rounding on random data; chunk and segment boundaries,
//! k > n, the empty index, d not a multiple of 4; the other verbs; the typed errors.
//!
//! They run on whatever adapter `WGPU_BACKEND` / `WGPU_ADAPTER_NAME` choose (CI: Mesa's
//! software Vulkan, then GL). Without an adapter they are skipped, except under
//! `CI=true`, where that fails.

mod support;

use ferrofaiss_gpu::{index_cpu_to_gpu, index_gpu_to_cpu, GpuFlatIndex};
use ferrofaiss_index::faiss_io::write_index_to_vec;
use ferrofaiss_index::{FlatIndex, IdSelector, Index, IndexError, MetricType, SearchParams};
use proptest::prelude::*;
use support::{device, Rng};

fn cpu(d: usize, metric: MetricType, data: &[f32]) -> FlatIndex {
    FlatIndex::from_vectors(d, metric, data.to_vec()).unwrap()
}

fn gpu_with(d: usize, metric: MetricType, data: &[f32], chunk_rows: usize) -> GpuFlatIndex {
    let mut g = GpuFlatIndex::with_chunk_rows(d, metric, chunk_rows).unwrap();
    g.add(data).unwrap();
    g
}

/// GPU and CPU give the same labels and distances, bit for bit (integer data).
fn assert_same_as_cpu(g: &GpuFlatIndex, c: &FlatIndex, queries: &[f32], k: usize) {
    let want = c.search(queries, k, None).unwrap();
    let got = g.search(queries, k, None).unwrap();
    assert_eq!(got.labels, want.labels, "labels (k = {k})");
    assert_eq!(got.distances, want.distances, "distances (k = {k})");
}

#[test]
fn integer_data_gives_the_cpu_result_exactly_ties_included() {
    if !device() {
        return;
    }
    let mut rng = Rng(7);
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        for d in [1, 3, 7, 16, 33] {
            let n = 2100;
            let data = rng.ints(n * d, 3);
            let queries = rng.ints(9 * d, 3);
            let c = cpu(d, metric, &data);
            let g = gpu_with(d, metric, &data, usize::MAX);
            for k in [1, 5, 64] {
                assert_same_as_cpu(&g, &c, &queries, k);
            }
        }
    }
}

#[test]
fn chunk_and_segment_boundaries_do_not_change_the_result() {
    if !device() {
        return;
    }
    let mut rng = Rng(11);
    let d = 5;
    let n = 2333;
    let data = rng.ints(n * d, 4);
    let queries = rng.ints(6 * d, 4);
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        let c = cpu(d, metric, &data);
        // One chunk; chunks smaller than, equal to and larger than a segment.
        for chunk_rows in [usize::MAX, 100, 1024, 1500] {
            let g = gpu_with(d, metric, &data, chunk_rows);
            assert!(g.chunk_rows() <= chunk_rows);
            for k in [1, 10, 1024, 1500] {
                assert_same_as_cpu(&g, &c, &queries, k);
            }
        }
    }
}

#[test]
fn one_row_per_chunk_still_merges_in_label_order() {
    if !device() {
        return;
    }
    let mut rng = Rng(17);
    let d = 3;
    let data = rng.ints(90 * d, 2);
    let queries = rng.ints(4 * d, 2);
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        let g = gpu_with(d, metric, &data, 1);
        assert_eq!(g.chunk_rows(), 1);
        for k in [1, 7, 90, 100] {
            assert_same_as_cpu(&g, &cpu(d, metric, &data), &queries, k);
        }
    }
}

#[test]
fn inner_product_ties_keep_the_rows_faiss_heap_keeps() {
    if !device() {
        return;
    }
    // Scores are the values (query 1). Faiss's min-heap evicts the lowest label of the
    // worst ties, so which tie survives depends on rows before and after it: [5, 5, 6]
    // with k = 2 keeps rows 1 and 2, not 0.
    let cases: [&[f32]; 4] = [
        &[5.0, 5.0, 6.0],
        &[5.0, 5.0, 5.0, 6.0],
        &[5.0, 4.0, 5.0, 5.0, 6.0, 5.0, 7.0],
        &[1.0, 5.0, 5.0, 5.0, 5.0, 6.0, 6.0, 5.0],
    ];
    for values in cases {
        let c = cpu(1, MetricType::InnerProduct, values);
        for chunk_rows in [1, 2, 3, usize::MAX] {
            let g = gpu_with(1, MetricType::InnerProduct, values, chunk_rows);
            for k in 1..=values.len() {
                assert_same_as_cpu(&g, &c, &[1.0], k);
            }
        }
    }
}

#[test]
fn random_data_is_a_true_top_k_within_float_rounding() {
    if !device() {
        return;
    }
    let mut rng = Rng(3);
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        for d in [1, 6, 128, 130] {
            let n = 1500;
            let data = rng.floats(n * d);
            let queries = rng.floats(7 * d);
            let g = gpu_with(d, metric, &data, 700);
            let k = 20;
            let got = g.search(&queries, k, None).unwrap();
            for q in 0..7 {
                let query = &queries[q * d..(q + 1) * d];
                // Exact f64 value of every row, best first.
                let exact: Vec<f64> = data
                    .chunks_exact(d)
                    .map(|row| exact_distance(metric, query, row))
                    .collect();
                let mut sorted = exact.clone();
                sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
                if metric == MetricType::InnerProduct {
                    sorted.reverse();
                }
                let labels = got.labels_of(q).unwrap();
                let dists = got.distances_of(q).unwrap();
                for (slot, (&l, &dist)) in labels.iter().zip(dists).enumerate() {
                    let truth = exact[l as usize];
                    let tol = 1e-5 * truth.abs().max(1.0);
                    assert!(
                        (f64::from(dist) - truth).abs() <= tol,
                        "{metric:?} d={d} q={q}"
                    );
                    // The slot's value is the slot-th best value, within rounding.
                    assert!(
                        (truth - sorted[slot]).abs() <= 2.0 * tol,
                        "{metric:?} d={d}"
                    );
                }
                let mut unique = labels.to_vec();
                unique.sort_unstable();
                unique.dedup();
                assert_eq!(unique.len(), k);
            }
        }
    }
}

fn exact_distance(metric: MetricType, a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let (x, y) = (f64::from(x), f64::from(y));
            match metric {
                MetricType::L2 => (x - y) * (x - y),
                MetricType::InnerProduct => x * y,
            }
        })
        .sum()
}

#[test]
fn k_beyond_n_and_the_empty_index_fill_empty_slots_as_faiss() {
    if !device() {
        return;
    }
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        let mut g = GpuFlatIndex::new(3, metric).unwrap();
        let q = [1.0, 2.0, 3.0, 0.0, 0.0, 1.0];
        let empty = g.search(&q, 4, None).unwrap();
        assert_eq!(empty.labels, vec![-1; 8]);
        assert_eq!(empty.distances, vec![metric.worst(); 8]);
        let data = [1.0, 2.0, 3.0, 3.0, 2.0, 1.0];
        g.add(&data).unwrap();
        assert_same_as_cpu(&g, &cpu(3, metric, &data), &q, 5);
        let r = g.search(&q, 5, None).unwrap();
        assert_eq!(&r.labels[2..5], &[-1, -1, -1]);
        // No queries: an empty result.
        assert_eq!(g.search(&[], 3, None).unwrap().labels, Vec::<i64>::new());
    }
}

#[test]
fn adds_in_pieces_across_chunks_equal_one_add_and_clones_are_independent() {
    if !device() {
        return;
    }
    let mut rng = Rng(5);
    let d = 4;
    let data = rng.ints(2500 * d, 5);
    let queries = rng.ints(4 * d, 5);
    let mut g = GpuFlatIndex::with_chunk_rows(d, MetricType::L2, 600).unwrap();
    for piece in [1, 599, 1, 700, 1199] {
        let start = g.ntotal() * d;
        g.add(&data[start..start + piece * d]).unwrap();
    }
    assert_eq!(g.ntotal(), 2500);
    assert_same_as_cpu(&g, &cpu(d, MetricType::L2, &data), &queries, 30);
    // A clone shares the chunks until one side writes.
    let before = g.clone();
    g.add(&data[..40 * d]).unwrap();
    assert_eq!(before.ntotal(), 2500);
    assert_eq!(g.ntotal(), 2540);
    assert_same_as_cpu(&before, &cpu(d, MetricType::L2, &data), &queries, 30);
    let mut longer = data.clone();
    longer.extend_from_slice(&data[..40 * d]);
    assert_same_as_cpu(&g, &cpu(d, MetricType::L2, &longer), &queries, 30);
}

#[test]
fn remove_reconstruct_list_merge_and_reset_match_the_cpu_index() {
    if !device() {
        return;
    }
    let mut rng = Rng(9);
    let d = 6;
    let data = rng.ints(1300 * d, 4);
    let queries = rng.ints(5 * d, 4);
    let mut c = cpu(d, MetricType::L2, &data);
    let mut g = gpu_with(d, MetricType::L2, &data, 512);
    for sel in [
        IdSelector::range(100, 700),
        IdSelector::batch([0, 5, 511, 512, 599, 10_000]),
    ] {
        assert_eq!(g.remove_ids(&sel).unwrap(), c.remove_ids(&sel).unwrap());
        assert_eq!(g.ntotal(), c.ntotal());
        assert_same_as_cpu(&g, &c, &queries, 12);
    }
    for id in [0, 1, 511, 512, (c.ntotal() - 1) as i64] {
        assert_eq!(g.reconstruct(id).unwrap(), c.reconstruct(id).unwrap());
    }
    assert_eq!(g.reconstruct(-1), Err(IndexError::UnknownId(-1)));
    assert_eq!(
        g.reconstruct(c.ntotal() as i64),
        Err(IndexError::UnknownId(c.ntotal() as i64))
    );
    let mut listed = Vec::new();
    g.for_each_vector(&mut |label, v| {
        assert_eq!(label as usize, listed.len() / d);
        listed.extend_from_slice(v);
    })
    .unwrap();
    assert_eq!(listed, *c.vectors());

    let extra = rng.ints(700 * d, 4);
    let mut other = gpu_with(d, MetricType::L2, &extra, 300);
    g.merge_from(&mut other).unwrap();
    assert_eq!(other.ntotal(), 0);
    c.add(&extra).unwrap();
    assert_same_as_cpu(&g, &c, &queries, 12);
    let mut wrong = GpuFlatIndex::new(d, MetricType::InnerProduct).unwrap();
    assert!(matches!(
        g.merge_from(&mut wrong),
        Err(IndexError::IncompatibleMerge(_))
    ));
    assert!(matches!(
        g.merge_from(&mut c.clone()),
        Err(IndexError::IncompatibleMerge(_))
    ));

    g.reset();
    assert_eq!(g.ntotal(), 0);
    assert_eq!(g.search(&queries, 2, None).unwrap().labels, vec![-1; 10]);
}

#[test]
fn moving_between_host_and_device_keeps_results_and_file_bytes() {
    if !device() {
        return;
    }
    let mut rng = Rng(13);
    let d = 9;
    let data = rng.ints(800 * d, 6);
    let queries = rng.ints(3 * d, 6);
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        let c = cpu(d, metric, &data);
        let g = index_cpu_to_gpu(&c).unwrap();
        assert_eq!(
            g.type_name(),
            GpuFlatIndex::new(d, metric).unwrap().type_name()
        );
        let want = c.search(&queries, 7, None).unwrap();
        assert_eq!(g.search(&queries, 7, None).unwrap(), want);
        let back = index_gpu_to_cpu(g.as_ref()).unwrap();
        assert_eq!(back.type_name(), c.type_name());
        assert_eq!(
            write_index_to_vec(back.as_ref()).unwrap(),
            write_index_to_vec(&c).unwrap()
        );
        // A boxed CPU index moves too.
        let boxed: Box<dyn Index> = Box::new(c.clone());
        let g2 = index_cpu_to_gpu(&boxed).unwrap();
        assert_eq!(g2.search(&queries, 7, None).unwrap(), want);
    }
    let hnsw = ferrofaiss_index::index_factory(4, "HNSW8", MetricType::L2).unwrap();
    assert!(matches!(
        index_cpu_to_gpu(hnsw.as_ref()).map(|_| ()),
        Err(ferrofaiss_gpu::GpuError::Index(IndexError::Unsupported(_)))
    ));
}

#[test]
fn bad_input_is_a_typed_error() {
    if !device() {
        return;
    }
    assert!(matches!(
        GpuFlatIndex::new(0, MetricType::L2).map(|_| ()),
        Err(ferrofaiss_gpu::GpuError::Index(IndexError::ZeroDimension))
    ));
    assert!(GpuFlatIndex::with_chunk_rows(4, MetricType::L2, 0).is_err());
    let mut g = GpuFlatIndex::new(4, MetricType::L2).unwrap();
    assert!(matches!(
        g.add(&[1.0, 2.0, 3.0]),
        Err(IndexError::DimensionMismatch { .. })
    ));
    assert_eq!(
        g.add(&[1.0, 2.0, 3.0, 4.0, f32::NAN, 0.0, 0.0, 0.0]),
        Err(IndexError::NanVector { row: 1 })
    );
    assert_eq!(g.ntotal(), 0, "a refused add adds nothing");
    g.add(&[1.0; 8]).unwrap();
    assert!(matches!(
        g.search(&[1.0; 4], 0, None),
        Err(IndexError::InvalidParameter(_))
    ));
    assert_eq!(
        g.search(&[0.0, f32::NAN, 0.0, 0.0], 1, None),
        Err(IndexError::NanVector { row: 0 })
    );
    let sel = IdSelector::range(0, 1);
    assert!(matches!(
        g.search(&[1.0; 4], 1, Some(&SearchParams::with_selector(&sel))),
        Err(IndexError::Unsupported(_))
    ));
    assert!(matches!(
        g.range_search(&[1.0; 4], 1.0, None),
        Err(IndexError::Unsupported(_))
    ));
    assert!(matches!(
        g.add_with_ids(&[1.0; 4], &[3]),
        Err(IndexError::Unsupported(_))
    ));
    let mut out = [0.0; 3];
    assert!(matches!(
        g.reconstruct_into(0, &mut out),
        Err(IndexError::DimensionMismatch { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any shape, any chunk size, any k: the CPU index's result, bit for bit.
    #[test]
    fn any_shape_matches_the_cpu_index(
        d in 1usize..12,
        n in 0usize..1200,
        nq in 1usize..5,
        k in 1usize..40,
        chunk_rows in 1usize..1300,
        ip in any::<bool>(),
        seed in 1u64..u64::MAX,
    ) {
        if !device() {
            return Ok(());
        }
        let metric = if ip { MetricType::InnerProduct } else { MetricType::L2 };
        let mut rng = Rng(seed);
        let data = rng.ints(n * d, 3);
        let queries = rng.ints(nq * d, 3);
        let g = gpu_with(d, metric, &data, chunk_rows);
        let c = cpu(d, metric, &data);
        let want = c.search(&queries, k, None).unwrap();
        let got = g.search(&queries, k, None).unwrap();
        prop_assert_eq!(got.labels, want.labels);
        prop_assert_eq!(got.distances, want.distances);
    }
}
