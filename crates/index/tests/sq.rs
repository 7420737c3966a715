//! Scalar-quantizer indexes (`SQ8`, `SQfp16`) against files and results recorded from
//! faiss-cpu (`fixtures/faiss_sq`, see its generator), brute force over the decoded
//! vectors in f64, and the index verbs (selectors, remove, merge, threads, batches).

use std::path::PathBuf;

use ferrofaiss_index::faiss_io::{read_index_from_bytes, write_index_to_vec};
use ferrofaiss_index::{
    index_factory, IdSelector, Index, IndexError, IvfSqIndex, MetricType, QuantizerType,
    ScalarQuantizerIndex, SearchParams,
};
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/faiss_sq");
const D: usize = 37;

fn fixture(file: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(FIXTURES).join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn f32s(file: &str) -> Vec<f32> {
    fixture(file)
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn expected() -> Value {
    serde_json::from_slice(&fixture("expected.json")).unwrap()
}

const CASES: [(&str, QuantizerType, MetricType); 4] = [
    ("sq8_l2", QuantizerType::Sq8, MetricType::L2),
    ("sq8_ip", QuantizerType::Sq8, MetricType::InnerProduct),
    ("sqfp16_l2", QuantizerType::Fp16, MetricType::L2),
    ("sqfp16_ip", QuantizerType::Fp16, MetricType::InnerProduct),
];

fn built(qtype: QuantizerType, metric: MetricType, xb: &[f32]) -> ScalarQuantizerIndex {
    let mut index = ScalarQuantizerIndex::new(D, qtype, metric).unwrap();
    index.train(xb).unwrap();
    index.add(xb).unwrap();
    index
}

/// Distances rank by rank within `rel` of the expected ones; labels equal wherever
/// the expected distance is not tied (within `rel`) with a neighbour's.
fn assert_same_ranking(what: &str, got: (&[f32], &[i64]), want: (&[f64], &[i64]), rel: f64) {
    let close = |a: f64, b: f64| (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-3);
    for (r, (&gd, &wd)) in got.0.iter().zip(want.0).enumerate() {
        assert!(close(f64::from(gd), wd), "{what} rank {r}: {gd} vs {wd}");
        let tied = (r > 0 && close(want.0[r - 1], wd))
            || (r + 1 < want.0.len() && close(want.0[r + 1], wd));
        if !tied {
            assert_eq!(got.1[r], want.1[r], "{what} rank {r}");
        }
    }
}

#[test]
fn indexes_built_here_write_the_bytes_faiss_wrote() {
    let xb = f32s("xb.f32");
    for (name, qtype, metric) in CASES {
        let index = built(qtype, metric, &xb);
        assert_eq!(
            write_index_to_vec(&index).unwrap(),
            fixture(&format!("{name}.faiss")),
            "{name}"
        );
    }
}

#[test]
fn faiss_files_search_as_faiss_did() {
    let xq = f32s("xq.f32");
    let e = expected();
    let k = e["k"].as_u64().unwrap() as usize;
    for (name, qtype, metric) in CASES {
        let index = read_index_from_bytes(&fixture(&format!("{name}.faiss"))).unwrap();
        let sq = index
            .as_any()
            .downcast_ref::<ScalarQuantizerIndex>()
            .expect("ScalarQuantizerIndex");
        assert_eq!((sq.quantizer_type(), sq.metric()), (qtype, metric));
        let result = index.search(&xq, k, None).unwrap();
        let case = &e["cases"][name];
        for q in 0..xq.len() / D {
            let labels: Vec<i64> = case["labels"][q]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            let dists: Vec<f64> = case["distances"][q]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert_same_ranking(
                &format!("{name} query {q}"),
                (
                    result.distances_of(q).unwrap(),
                    result.labels_of(q).unwrap(),
                ),
                (&dists, &labels),
                2e-5,
            );
        }
    }
}

/// The k nearest decoded vectors by an f64 computation, ties to the smaller id (L2)
/// or larger id (IP), as Faiss orders them.
fn brute_force(
    index: &dyn Index,
    q: &[f32],
    k: usize,
    keep: impl Fn(i64) -> bool,
) -> (Vec<f64>, Vec<i64>) {
    let l2 = index.metric() == MetricType::L2;
    let mut all: Vec<(f64, i64)> = Vec::new();
    for id in 0..index.ntotal() as i64 {
        if !keep(id) {
            continue;
        }
        let v = index.reconstruct(id).unwrap();
        let score: f64 = if l2 {
            q.iter()
                .zip(&v)
                .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
                .sum()
        } else {
            q.iter()
                .zip(&v)
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum()
        };
        all.push((score, id));
    }
    all.sort_by(|a, b| {
        // `partial_cmp`, as Faiss's `<`: `-0.0` ties with `0.0`.
        let by = if l2 {
            a.0.partial_cmp(&b.0)
        } else {
            b.0.partial_cmp(&a.0)
        }
        .expect("finite scores");
        by.then(if l2 { a.1.cmp(&b.1) } else { b.1.cmp(&a.1) })
    });
    all.truncate(k);
    all.into_iter().unzip()
}

#[test]
fn search_equals_brute_force_over_the_decoded_vectors() {
    let xb = f32s("xb.f32");
    let xq = f32s("xq.f32");
    for (name, qtype, metric) in CASES {
        let index = built(qtype, metric, &xb);
        let result = index.search(&xq, 25, None).unwrap();
        for (q, query) in xq.chunks_exact(D).enumerate() {
            let want = brute_force(&index, query, 25, |_| true);
            assert_same_ranking(
                &format!("{name} query {q}"),
                (
                    result.distances_of(q).unwrap(),
                    result.labels_of(q).unwrap(),
                ),
                (&want.0, &want.1),
                1e-5,
            );
        }
        // With a selector: only the selected rows, still exact.
        let sel = IdSelector::batch((0..300).filter(|i| i % 7 == 3));
        let params = SearchParams::with_selector(&sel);
        let result = index.search(&xq, 5, Some(&params)).unwrap();
        for (q, query) in xq.chunks_exact(D).enumerate() {
            let want = brute_force(&index, query, 5, |id| id % 7 == 3);
            assert_same_ranking(
                &format!("{name} selected query {q}"),
                (
                    result.distances_of(q).unwrap(),
                    result.labels_of(q).unwrap(),
                ),
                (&want.0, &want.1),
                1e-5,
            );
        }
    }
}

/// Deterministic data: a small xorshift generator.
fn data(n: usize, d: usize, seed: u64) -> Vec<f32> {
    let mut s = seed | 1;
    (0..n * d)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32 * 4.0 - 2.0
        })
        .collect()
}

/// A rayon pool of `threads` threads.
fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

#[test]
fn threads_and_batches_do_not_change_any_bit() {
    let d = 24;
    let xb = data(40_000, d, 7);
    let xq = data(9, d, 8);
    for (qtype, metric) in [
        (QuantizerType::Sq8, MetricType::L2),
        (QuantizerType::Fp16, MetricType::InnerProduct),
    ] {
        let mut index = ScalarQuantizerIndex::new(d, qtype, metric).unwrap();
        index.train(&xb).unwrap();
        index.add(&xb).unwrap();
        let one = pool(1);
        let four = pool(4);
        let batch_1 = one.install(|| index.search(&xq, 10, None)).unwrap();
        let batch_4 = four.install(|| index.search(&xq, 10, None)).unwrap();
        assert_eq!(batch_1.labels, batch_4.labels);
        assert_eq!(batch_1.distances, batch_4.distances);
        for (q, query) in xq.chunks_exact(d).enumerate() {
            // One query on four threads splits the rows; the merge keeps every bit.
            let alone = four.install(|| index.search(query, 10, None)).unwrap();
            assert_eq!(
                alone.labels_of(0),
                batch_1.labels_of(q),
                "{qtype:?} query {q}"
            );
            assert_eq!(alone.distances_of(0), batch_1.distances_of(q));
        }
    }
}

#[test]
fn remove_merge_reconstruct_and_reset_behave_as_faiss() {
    let xb = f32s("xb.f32");
    let mut a = built(QuantizerType::Sq8, MetricType::L2, &xb);
    let v5 = a.reconstruct(5).unwrap();
    let v10 = a.reconstruct(10).unwrap();
    // Decoded values stay within half a step of the originals (clamping aside).
    let trained = a.trained().to_vec();
    for (j, (&x, &y)) in xb[5 * D..6 * D].iter().zip(&v5).enumerate() {
        let step = trained[D + j] / 255.0;
        assert!((x - y).abs() <= step * 1.0001 + 1e-6, "dim {j}: {x} vs {y}");
    }
    assert_eq!(a.remove_ids(&IdSelector::range(0, 5)).unwrap(), 5);
    assert_eq!(a.ntotal(), 295);
    assert_eq!(a.reconstruct(0).unwrap(), v5);
    assert!(matches!(
        a.reconstruct(295),
        Err(IndexError::UnknownId(295))
    ));

    let mut b = ScalarQuantizerIndex::from_parts(ferrofaiss_index::ScalarQuantizerParts {
        d: D,
        metric: MetricType::L2,
        qtype: QuantizerType::Sq8,
        rangestat: 0,
        rangestat_arg: 0.0,
        trained: trained.clone(),
        codes: Vec::new(),
    })
    .unwrap();
    b.add(&xb[10 * D..12 * D]).unwrap();
    a.merge_from(&mut b).unwrap();
    assert_eq!((a.ntotal(), b.ntotal()), (297, 0));
    assert_eq!(a.reconstruct(295).unwrap(), v10);

    // Another quantizer (other ranges) cannot be merged.
    let mut other = built(QuantizerType::Sq8, MetricType::L2, &xb[..50 * D]);
    assert!(matches!(
        a.merge_from(&mut other),
        Err(IndexError::IncompatibleMerge(_))
    ));
    a.reset();
    assert_eq!(a.ntotal(), 0);
    assert_eq!(a.search(&xb[..D], 3, None).unwrap().labels, vec![-1; 3]);
}

#[test]
fn bad_input_is_a_typed_error() {
    let xb = f32s("xb.f32");
    let mut sq8 = ScalarQuantizerIndex::new(D, QuantizerType::Sq8, MetricType::L2).unwrap();
    assert!(!sq8.is_trained());
    assert_eq!(sq8.add(&xb[..D]), Err(IndexError::NotTrained));
    assert!(matches!(
        sq8.train(&xb[..D + 1]),
        Err(IndexError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        sq8.train(&[]),
        Err(IndexError::TooFewTrainingPoints { .. })
    ));
    let mut nan = xb[..D].to_vec();
    nan[3] = f32::NAN;
    assert!(matches!(sq8.train(&nan), Err(IndexError::NanVector { .. })));
    sq8.train(&xb).unwrap();
    assert!(matches!(sq8.add(&nan), Err(IndexError::NanVector { .. })));
    assert_eq!(sq8.ntotal(), 0);
    sq8.add(&xb).unwrap();
    assert!(matches!(
        sq8.train(&xb),
        Err(IndexError::InvalidParameter(_))
    ));
    assert!(sq8.search(&xb[..D], 0, None).is_err());
    assert!(matches!(
        sq8.reconstruct_into(0, &mut [0.0; 3]),
        Err(IndexError::DimensionMismatch { .. })
    ));
    assert_eq!(
        ScalarQuantizerIndex::new(0, QuantizerType::Fp16, MetricType::L2).unwrap_err(),
        IndexError::ZeroDimension
    );
    // fp16 needs no training.
    let mut fp16 = ScalarQuantizerIndex::new(D, QuantizerType::Fp16, MetricType::L2).unwrap();
    assert!(fp16.is_trained());
    fp16.add(&xb).unwrap();
    assert_eq!(fp16.ntotal(), 300);
}

#[test]
fn factory_strings_build_scalar_quantizers_and_id_maps_over_them() {
    let xb = f32s("xb.f32");
    for (spec, qtype) in [("SQ8", QuantizerType::Sq8), ("SQfp16", QuantizerType::Fp16)] {
        let index = index_factory(D, spec, MetricType::L2).unwrap();
        let sq = index
            .as_any()
            .downcast_ref::<ScalarQuantizerIndex>()
            .unwrap();
        assert_eq!(sq.quantizer_type(), qtype);
    }
    for spec in ["IDMap,SQ8", "IDMap2,SQfp16"] {
        let mut index = index_factory(D, spec, MetricType::InnerProduct).unwrap();
        index.train(&xb).unwrap();
        let ids: Vec<i64> = (0..300).map(|i| 1000 + 3 * i).collect();
        index.add_with_ids(&xb, &ids).unwrap();
        let q = &xb[7 * D..8 * D];
        let before = index.search(q, 4, None).unwrap();
        assert!(before.labels.iter().all(|l| ids.contains(l)), "{spec}");
        // Through a Faiss file and back: same bytes, same answers.
        let bytes = write_index_to_vec(index.as_ref()).unwrap();
        let back = read_index_from_bytes(&bytes).unwrap();
        assert_eq!(write_index_to_vec(back.as_ref()).unwrap(), bytes, "{spec}");
        let after = back.search(q, 4, None).unwrap();
        assert_eq!(before.labels, after.labels, "{spec}");
        assert_eq!(before.distances, after.distances, "{spec}");
    }
    for bad in ["SQ4", "SQ8,Flat", "IDMap,SQ"] {
        assert!(
            matches!(
                index_factory(D, bad, MetricType::L2),
                Err(IndexError::UnknownFactory { .. })
            ),
            "{bad}"
        );
    }
}

const D2: usize = 24;

const IVF_CASES: [(&str, &str, MetricType); 3] = [
    ("ivf16_sq8_l2", "IVF16,SQ8", MetricType::L2),
    ("ivf16_sq8_ip", "IVF16,SQ8", MetricType::InnerProduct),
    ("ivf16_sqfp16_l2", "IVF16,SQfp16", MetricType::L2),
];

fn ivf_built(factory: &str, metric: MetricType, xb: &[f32]) -> Box<dyn Index> {
    let mut index = index_factory(D2, factory, metric).unwrap();
    index.train(xb).unwrap();
    index.add(xb).unwrap();
    index
        .as_any_mut()
        .downcast_mut::<IvfSqIndex>()
        .unwrap()
        .set_nprobe(4)
        .unwrap();
    index
}

/// Whether this run's kernels sum as faiss-cpu's x86-64 build does (which wrote the
/// fixtures): the AVX2 and AVX-512 tiers. Elsewhere (NEON, portable, scalar) the last
/// bits of a sum differ, as Faiss's own builds for those CPUs differ from its x86 one.
fn sums_as_faiss_x86() -> bool {
    use flatl2_kernel::SimdTier;
    matches!(
        flatl2_kernel::active_tier(),
        Ok(SimdTier::Avx2 | SimdTier::Avx512)
    )
}

#[test]
fn ivf_sq_indexes_built_here_write_the_bytes_faiss_wrote() {
    // Faiss's k-means, its encoder training on residuals and its encoding, bit for bit.
    let xb = f32s("xb2.f32");
    for (name, factory, metric) in IVF_CASES {
        let index = ivf_built(factory, metric, &xb);
        let ours = write_index_to_vec(index.as_ref()).unwrap();
        let faiss = fixture(&format!("{name}.faiss"));
        // L2 k-means compares distances only, which every tier orders alike here; the
        // inner-product one normalizes centroids by a norm whose last bit depends on
        // the summation order.
        if metric == MetricType::L2 || sums_as_faiss_x86() {
            assert_eq!(ours, faiss, "{name}");
            continue;
        }
        let (ours, faiss) = (
            read_index_from_bytes(&ours).unwrap(),
            read_index_from_bytes(&faiss).unwrap(),
        );
        let ivf = |i: &dyn Index| i.as_any().downcast_ref::<IvfSqIndex>().unwrap().clone();
        let (ours, faiss) = (ivf(ours.as_ref()), ivf(faiss.as_ref()));
        for (a, b) in ours.centroids().iter().zip(faiss.centroids().iter()) {
            assert!(
                (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                "{name}: {a} vs {b}"
            );
        }
        for (a, b) in ours.sq_trained().iter().zip(faiss.sq_trained()) {
            assert!(
                (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                "{name}: {a} vs {b}"
            );
        }
        assert_eq!(ours.ntotal(), faiss.ntotal());
    }
}

#[test]
fn ivf_sq_faiss_files_search_as_faiss_did() {
    let xq = f32s("xq2.f32");
    let e = expected();
    let k = e["k"].as_u64().unwrap() as usize;
    for (name, factory, metric) in IVF_CASES {
        let index = read_index_from_bytes(&fixture(&format!("{name}.faiss"))).unwrap();
        let ivf = index
            .as_any()
            .downcast_ref::<IvfSqIndex>()
            .expect("IvfSqIndex");
        assert_eq!(
            (ivf.metric(), ivf.nprobe(), ivf.by_residual()),
            (metric, 4, true)
        );
        assert_eq!(
            ferrofaiss_index::reverse_index_factory(index.as_ref()).as_deref(),
            Some(factory)
        );
        let result = index.search(&xq, k, None).unwrap();
        let case = &e["ivf"]["cases"][name];
        for q in 0..xq.len() / D2 {
            let labels: Vec<i64> = case["labels"][q]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            let dists: Vec<f64> = case["distances"][q]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert_same_ranking(
                &format!("{name} query {q}"),
                (
                    result.distances_of(q).unwrap(),
                    result.labels_of(q).unwrap(),
                ),
                (&dists, &labels),
                5e-5,
            );
        }
    }
}

#[test]
fn ivf_sq_probing_every_list_is_brute_force_over_the_decoded_vectors() {
    let xb = f32s("xb2.f32");
    let xq = f32s("xq2.f32");
    for (name, factory, metric) in IVF_CASES {
        let mut index = ivf_built(factory, metric, &xb);
        let ivf = index.as_any_mut().downcast_mut::<IvfSqIndex>().unwrap();
        ivf.set_nprobe(16).unwrap();
        ivf.set_direct_map_type(ferrofaiss_index::DirectMapType::Array)
            .unwrap();
        let result = index.search(&xq, 10, None).unwrap();
        for (q, query) in xq.chunks_exact(D2).enumerate() {
            let want = brute_force(index.as_ref(), query, 10, |_| true);
            assert_same_ranking(
                &format!("{name} query {q}"),
                (
                    result.distances_of(q).unwrap(),
                    result.labels_of(q).unwrap(),
                ),
                (&want.0, &want.1),
                1e-5,
            );
        }
        // A batch equals the queries searched one by one, bit for bit.
        let many: Vec<f32> = (0..40)
            .flat_map(|i| xb[i * 7 * D2..(i * 7 + 1) * D2].to_vec())
            .collect();
        let batch = index.search(&many, 5, None).unwrap();
        for (q, query) in many.chunks_exact(D2).enumerate() {
            let alone = index.search(query, 5, None).unwrap();
            assert_eq!(alone.labels_of(0), batch.labels_of(q), "{name} {q}");
            assert_eq!(alone.distances_of(0), batch.distances_of(q), "{name} {q}");
        }
    }
}

#[test]
fn ivf_sq_verbs_and_errors() {
    let xb = f32s("xb2.f32");
    let mut a = IvfSqIndex::new(D2, 16, QuantizerType::Sq8, MetricType::L2).unwrap();
    assert!(!a.is_trained());
    assert_eq!(a.add(&xb[..D2]), Err(IndexError::NotTrained));
    a.set_direct_map_type(ferrofaiss_index::DirectMapType::Hashtable)
        .unwrap();
    a.train(&xb).unwrap();
    assert!(a.is_trained());
    let ids: Vec<i64> = (0..3000).map(|i| 10 * i).collect();
    a.add_with_ids(&xb, &ids).unwrap();
    let v = a.reconstruct(70).unwrap();
    // The decoded vector is within a quantization step of what was added.
    let step = a.sq_trained()[D2..].iter().fold(0.0f32, |m, &s| m.max(s)) / 255.0;
    for (x, y) in xb[7 * D2..8 * D2].iter().zip(&v) {
        assert!((x - y).abs() <= step * 1.001, "{x} vs {y}");
    }
    assert_eq!(a.remove_ids(&IdSelector::batch([70, 80, 5])).unwrap(), 2);
    assert_eq!(a.ntotal(), 2998);
    assert!(matches!(a.reconstruct(70), Err(IndexError::UnknownId(70))));
    // Merging needs the same centroids and the same quantizer.
    let mut b = a.clone();
    b.reset();
    b.set_direct_map_type(ferrofaiss_index::DirectMapType::NoMap)
        .unwrap();
    b.add_with_ids(&xb[..2 * D2], &[1, 2]).unwrap();
    let mut c = IvfSqIndex::new(D2, 16, QuantizerType::Sq8, MetricType::L2).unwrap();
    c.train(&xb[..1000 * D2]).unwrap();
    assert!(matches!(
        b.merge_from(&mut c),
        Err(IndexError::IncompatibleMerge(_))
    ));
    assert_eq!(a.type_name(), "IndexIVFScalarQuantizer");
}

#[test]
fn reconstruct_is_faiss_reconstruct_to_the_bit() {
    let e = expected();
    for (name, _, _) in CASES {
        let index = read_index_from_bytes(&fixture(&format!("{name}.faiss"))).unwrap();
        let want = &e["cases"][name]["reconstruct_0_3"];
        for id in 0..3 {
            let got = index.reconstruct(id).unwrap();
            let want: Vec<f32> = want[id as usize]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            assert_eq!(got, want, "{name} vector {id}");
        }
    }
}

#[test]
fn parts_and_dimensions_that_would_break_later_are_refused() {
    use ferrofaiss_index::{DirectMap, FlatIndex, InvertedList, IvfSqParts};
    // A direct map pointing where the lists hold nothing (removal would underflow).
    let quantizer = FlatIndex::from_vectors(2, MetricType::L2, vec![0.0; 4]).unwrap();
    let parts = IvfSqParts {
        metric: MetricType::L2,
        quantizer,
        qtype: QuantizerType::Fp16,
        rangestat: 0,
        rangestat_arg: 0.0,
        trained: Vec::new(),
        by_residual: true,
        lists: vec![InvertedList::<u8>::default(); 2],
        direct_map: DirectMap::from_hashtable(vec![(7, 3)]).unwrap(),
        nprobe: 1,
        is_trained: true,
    };
    assert!(matches!(
        IvfSqIndex::from_parts(parts),
        Err(IndexError::InvalidParts(_))
    ));
    // Dimensions past what a Faiss file may hold (2^20), or whose ranges overflow.
    for d in [(1usize << 20) + 1, usize::MAX / 2 + 1] {
        assert!(matches!(
            ScalarQuantizerIndex::new(d, QuantizerType::Sq8, MetricType::L2),
            Err(IndexError::InvalidParameter(_))
        ));
        assert!(matches!(
            IvfSqIndex::new(d, 4, QuantizerType::Sq8, MetricType::L2),
            Err(IndexError::InvalidParameter(_))
        ));
    }
    // Centroids given by hand survive a file round trip before the codes are trained.
    let mut ivf = IvfSqIndex::new(2, 2, QuantizerType::Sq8, MetricType::L2).unwrap();
    ivf.train_with_centroids(&[0.0, 0.0, 1.0, 1.0]).unwrap();
    assert!(!ivf.is_trained() && ivf.is_quantizer_trained());
    let back = read_index_from_bytes(&write_index_to_vec(&ivf).unwrap()).unwrap();
    let back = back.as_any().downcast_ref::<IvfSqIndex>().unwrap();
    assert!(back.is_quantizer_trained());
    assert_eq!(back.centroids(), ivf.centroids());
}

/// What the float kernels' exhaustive scan of an 8-bit index returns for `q`: every
/// row's distance decoded in registers (`offset + c * scale`, as the quantizer derives
/// them from its trained ranges), the `k` best in Faiss's heap order, only rows `keep`
/// accepts. The index scans in integers first; it must return exactly this.
fn float_scan(
    index: &ScalarQuantizerIndex,
    q: &[f32],
    k: usize,
    keep: impl Fn(i64) -> bool,
) -> (Vec<f32>, Vec<i64>) {
    let d = index.dimension();
    let (vmin, vdiff) = index.trained().split_at(d);
    let scale: Vec<f32> = vdiff.iter().map(|&v| v / 255.0).collect();
    let offset: Vec<f32> = vmin
        .iter()
        .zip(&scale)
        .map(|(&m, &s)| m + 0.5 * s)
        .collect();
    let mut out = vec![0.0f32; index.ntotal()];
    let kernels = flatl2_kernel::kernels().unwrap();
    match index.metric() {
        MetricType::L2 => kernels.l2_sqr_ny_u8(q, index.codes(), &offset, &scale, &mut out),
        MetricType::InnerProduct => {
            kernels.inner_product_ny_u8(q, index.codes(), &offset, &scale, &mut out)
        }
    }
    .unwrap();
    let mut heap = flatl2_kernel::TopK::new(index.metric(), k);
    for (i, &dv) in out.iter().enumerate() {
        if keep(i as i64) {
            heap.push(dv, i as i64);
        }
    }
    heap.into_sorted()
}

/// Checks every query of `xq` against [`float_scan`], bit for bit, for several k,
/// with and without a selector, and a range search at the 10th distance.
fn assert_float_scan(index: &ScalarQuantizerIndex, xq: &[f32], what: &str) {
    let d = index.dimension();
    let n = index.ntotal();
    let sel = IdSelector::range(100, 2500);
    for k in [1, 10, 100, n + 3] {
        for selector in [None, Some(&sel)] {
            let params = selector.map(SearchParams::with_selector);
            let result = index.search(xq, k, params.as_ref()).unwrap();
            for (q, query) in xq.chunks_exact(d).enumerate() {
                let keep = |id: i64| selector.is_none() || (100..2500).contains(&id);
                let (dist, labels) = float_scan(index, query, k, keep);
                let what = format!("{what} k={k} sel={} query {q}", selector.is_some());
                assert_eq!(result.labels_of(q).unwrap(), &labels[..], "{what}");
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(result.distances_of(q).unwrap()), bits(&dist), "{what}");
            }
        }
    }
    for (q, query) in xq.chunks_exact(d).enumerate() {
        let (dist, _) = float_scan(index, query, 10.min(n), |_| true);
        let radius = dist[dist.len() - 1];
        let got = index.range_search(query, radius, None).unwrap();
        let (all_d, all_l) = float_scan(index, query, n, |_| true);
        let mut want: Vec<(i64, u32)> = all_l
            .iter()
            .zip(&all_d)
            .filter(|&(_, &dv)| index.metric().within_radius(dv, radius))
            .map(|(&l, &dv)| (l, dv.to_bits()))
            .collect();
        want.sort_unstable();
        let (got_d, got_l) = got.query(0).unwrap();
        let mut have: Vec<(i64, u32)> = got_l
            .iter()
            .zip(got_d)
            .map(|(&l, &dv)| (l, dv.to_bits()))
            .collect();
        have.sort_unstable();
        assert_eq!(have, want, "{what} range query {q}");
    }
}

/// The 8-bit scan runs in integers and rescores the rows that may be among the
/// nearest: results are the float kernels' to the bit, on plain data, on data full of
/// exact ties, on rows all alike (more candidates than it keeps: the query is rescanned
/// exactly), after removal and merging, and with the rows split across threads.
#[test]
fn sq8_search_is_the_float_scan_bit_for_bit() {
    let d = 24;
    let plain = data(3000, d, 31);
    let distinct = data(40, d, 32);
    let repeated: Vec<f32> = (0..6000)
        .flat_map(|i| distinct[(i % 40) * d..(i % 40 + 1) * d].to_vec())
        .collect();
    let alike: Vec<f32> = (0..6000).flat_map(|_| distinct[..d].to_vec()).collect();
    let mut xq = data(4, d, 33);
    xq.extend_from_slice(&distinct[..d]);
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        for (name, xb) in [
            ("plain", &plain),
            ("repeated", &repeated),
            ("alike", &alike),
        ] {
            let mut index = ScalarQuantizerIndex::new(d, QuantizerType::Sq8, metric).unwrap();
            // Trained on plain data, so that the alike rows still span several codes.
            index.train(&plain).unwrap();
            index.add(xb).unwrap();
            assert_float_scan(&index, &xq, &format!("{metric:?} {name}"));
        }
        let mut index = ScalarQuantizerIndex::new(d, QuantizerType::Sq8, metric).unwrap();
        index.train(&plain).unwrap();
        index.add(&plain).unwrap();
        index.remove_ids(&IdSelector::range(50, 400)).unwrap();
        let mut other = index.clone();
        other.reset();
        other.add(&repeated[..500 * d]).unwrap();
        index.merge_from(&mut other).unwrap();
        index.add(&plain[..30 * d]).unwrap();
        assert_float_scan(&index, &xq, &format!("{metric:?} after remove and merge"));
        // Values near 10^4 spread over about 1: the float kernels decode each
        // coordinate to within an ulp of 10^4, a rounding far larger than the spread of
        // the distances would suggest, which the error bound must cover.
        let far: Vec<f32> = plain.iter().map(|v| v + 10_000.0).collect();
        let far_q: Vec<f32> = xq.iter().map(|v| v + 10_000.0).collect();
        let mut index = ScalarQuantizerIndex::new(d, QuantizerType::Sq8, metric).unwrap();
        index.train(&far).unwrap();
        index.add(&far).unwrap();
        assert_float_scan(&index, &far_q, &format!("{metric:?} far from zero"));
        // Wide rows keep fewer bits per weight: the approximate order differs from the
        // exact one near the k-th, which the rescoring must absorb.
        let wide_d = 2048;
        let mut index = ScalarQuantizerIndex::new(wide_d, QuantizerType::Sq8, metric).unwrap();
        let rows = data(3000, wide_d, 36);
        index.train(&rows).unwrap();
        index.add(&rows).unwrap();
        assert_float_scan(
            &index,
            &data(3, wide_d, 37),
            &format!("{metric:?} d={wide_d}"),
        );
        // One query over 40,000 rows on four threads: the rows are split and merged.
        let wide = data(40_000, 8, 34);
        let mut big = ScalarQuantizerIndex::new(8, QuantizerType::Sq8, metric).unwrap();
        big.train(&wide).unwrap();
        big.add(&wide).unwrap();
        let four = pool(4);
        for query in data(3, 8, 35).chunks_exact(8) {
            let got = four.install(|| big.search(query, 10, None)).unwrap();
            let (dist, labels) = float_scan(&big, query, 10, |_| true);
            assert_eq!(got.labels, labels, "{metric:?} split");
            assert_eq!(got.distances, dist, "{metric:?} split");
        }
    }
}
