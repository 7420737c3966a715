//! `GpuIvfFlatIndex` against the CPU `IvfFlatIndex`: on integer data (exact sums, the
//! same probes) the same results at every `nprobe`; on random data the same recall
//! against an exact search; the host-twin verbs; files; typed errors.

mod support;

use ferrofaiss_gpu::{index_cpu_to_gpu, index_gpu_to_cpu, GpuIvfFlatIndex};
use ferrofaiss_index::faiss_io::write_index_to_vec;
use ferrofaiss_index::{
    FlatIndex, IdSelector, Index, IndexError, IvfFlatIndex, MetricType, SearchParams,
};
use support::{device, Rng};

/// A trained and filled CPU index over `data` (k-means on the data itself).
fn cpu_ivf(d: usize, nlist: usize, metric: MetricType, data: &[f32]) -> IvfFlatIndex {
    let mut ivf = IvfFlatIndex::new(d, nlist, metric).unwrap();
    ivf.train(data).unwrap();
    ivf.add(data).unwrap();
    ivf
}

#[test]
fn integer_data_gives_the_cpu_result_at_every_nprobe() {
    if !device() {
        return;
    }
    let mut rng = Rng(21);
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        for d in [3, 8] {
            let data = rng.ints(1800 * d, 6);
            let queries = rng.ints(11 * d, 6);
            let cpu = cpu_ivf(d, 12, metric, &data);
            for chunk_rows in [usize::MAX, 37] {
                let gpu = GpuIvfFlatIndex::from_cpu_with_chunk_rows(&cpu, chunk_rows).unwrap();
                for nprobe in [1, 3, 12, 50] {
                    let params = SearchParams::with_nprobe(nprobe);
                    for k in [1, 10, 300] {
                        let want = cpu.search(&queries, k, Some(&params)).unwrap();
                        let got = gpu.search(&queries, k, Some(&params)).unwrap();
                        assert_eq!(
                            got.distances, want.distances,
                            "{metric:?} d={d} np={nprobe} k={k}"
                        );
                        assert_eq!(
                            got.labels, want.labels,
                            "{metric:?} d={d} np={nprobe} k={k}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn random_data_has_the_cpu_recall() {
    if !device() {
        return;
    }
    let mut rng = Rng(23);
    let d = 24;
    let data = rng.floats(3000 * d);
    let queries = rng.floats(40 * d);
    let exact = FlatIndex::from_vectors(d, MetricType::L2, data.clone())
        .unwrap()
        .search(&queries, 10, None)
        .unwrap();
    let cpu = cpu_ivf(d, 16, MetricType::L2, &data);
    let gpu = GpuIvfFlatIndex::from_cpu(&cpu).unwrap();
    let recall = |labels: &[i64]| {
        let mut hits = 0;
        for q in 0..40 {
            let truth = &exact.labels[q * 10..(q + 1) * 10];
            hits += labels[q * 10..(q + 1) * 10]
                .iter()
                .filter(|l| truth.contains(l))
                .count();
        }
        hits as f64 / 400.0
    };
    for nprobe in [1, 4, 16] {
        let params = SearchParams::with_nprobe(nprobe);
        let want = cpu.search(&queries, 10, Some(&params)).unwrap();
        let got = gpu.search(&queries, 10, Some(&params)).unwrap();
        let (rc, rg) = (recall(&want.labels), recall(&got.labels));
        assert!(
            (rc - rg).abs() <= 0.01,
            "nprobe {nprobe}: cpu {rc} gpu {rg}"
        );
        let same = want
            .labels
            .iter()
            .zip(&got.labels)
            .filter(|(a, b)| a == b)
            .count();
        assert!(same >= 396, "nprobe {nprobe}: {same} of 400 labels agree");
    }
}

#[test]
fn host_twin_verbs_keep_the_device_lists_in_step() {
    if !device() {
        return;
    }
    let mut rng = Rng(25);
    let d = 4;
    let data = rng.ints(900 * d, 5);
    let queries = rng.ints(6 * d, 5);
    let params = SearchParams::with_nprobe(4);
    let check = |gpu: &GpuIvfFlatIndex, cpu: &IvfFlatIndex| {
        assert_eq!(gpu.ntotal(), cpu.ntotal());
        assert_eq!(
            gpu.search(&queries, 15, Some(&params)).unwrap(),
            cpu.search(&queries, 15, Some(&params)).unwrap()
        );
    };
    // Trained on the device's host twin, filled through it.
    let mut gpu = GpuIvfFlatIndex::new(d, 8, MetricType::L2).unwrap();
    assert!(!gpu.is_trained());
    assert_eq!(gpu.search(&queries, 3, None), Err(IndexError::NotTrained));
    gpu.train(&data).unwrap();
    gpu.add(&data[..500 * d]).unwrap();
    gpu.add(&data[500 * d..]).unwrap();
    let mut cpu = cpu_ivf(d, 8, MetricType::L2, &data);
    check(&gpu, &cpu);

    let sel = IdSelector::range(100, 400);
    assert_eq!(gpu.remove_ids(&sel).unwrap(), cpu.remove_ids(&sel).unwrap());
    check(&gpu, &cpu);
    let ids: Vec<i64> = (5000..5050).collect();
    gpu.add_with_ids(&data[..50 * d], &ids).unwrap();
    cpu.add_with_ids(&data[..50 * d], &ids).unwrap();
    check(&gpu, &cpu);
    // No direct map: the same typed refusal as the CPU index.
    assert_eq!(gpu.reconstruct(5003), cpu.reconstruct(5003));

    let mut other = GpuIvfFlatIndex::from_cpu(&{
        let mut o = cpu.clone();
        o.reset();
        o.add_with_ids(&data[..20 * d], &(9000..9020).collect::<Vec<_>>())
            .unwrap();
        o
    })
    .unwrap();
    let mut cpu_other = other.to_cpu();
    gpu.merge_from(&mut other).unwrap();
    cpu.merge_from(&mut cpu_other).unwrap();
    assert_eq!(other.ntotal(), 0);
    check(&gpu, &cpu);

    gpu.reset();
    cpu.reset();
    check(&gpu, &cpu);
}

#[test]
fn moving_between_host_and_device_keeps_the_file_bytes() {
    if !device() {
        return;
    }
    let mut rng = Rng(27);
    let d = 5;
    let data = rng.ints(400 * d, 4);
    let cpu = cpu_ivf(d, 6, MetricType::InnerProduct, &data);
    let gpu = index_cpu_to_gpu(&cpu).unwrap();
    assert_eq!(gpu.type_name(), "GpuIndexIVFFlat");
    let back = index_gpu_to_cpu(gpu.as_ref()).unwrap();
    assert_eq!(
        write_index_to_vec(back.as_ref()).unwrap(),
        write_index_to_vec(&cpu).unwrap()
    );
}

#[test]
fn bad_input_is_a_typed_error() {
    if !device() {
        return;
    }
    let mut rng = Rng(29);
    let data = rng.ints(100 * 3, 4);
    let gpu = GpuIvfFlatIndex::from_cpu(&cpu_ivf(3, 4, MetricType::L2, &data)).unwrap();
    assert!(matches!(
        gpu.search(&[1.0; 3], 1, Some(&SearchParams::with_nprobe(0))),
        Err(IndexError::InvalidParameter(_))
    ));
    assert!(matches!(
        gpu.search(&[1.0; 4], 1, None),
        Err(IndexError::DimensionMismatch { .. })
    ));
    let sel = IdSelector::range(0, 3);
    assert!(matches!(
        gpu.search(&[1.0; 3], 1, Some(&SearchParams::with_selector(&sel))),
        Err(IndexError::Unsupported(_))
    ));
    assert!(GpuIvfFlatIndex::from_cpu_with_chunk_rows(&gpu.to_cpu(), 0).is_err());
}
