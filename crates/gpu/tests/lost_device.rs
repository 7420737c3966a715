//! A lost device (here destroyed on purpose, as a driver reset would lose it): every
//! later call is a typed error naming the loss, never a panic or a wrong answer. Its own
//! test binary, because the device is the whole process's.

mod support;

use ferrofaiss_gpu::{GpuError, GpuFlatIndex, GpuIvfFlatIndex};
use ferrofaiss_index::{Index, IndexError, IvfFlatIndex, MetricType};
use support::device;

#[test]
fn calls_after_a_lost_device_are_typed_errors() {
    if !device() {
        return;
    }
    let mut index = GpuFlatIndex::new(4, MetricType::L2).unwrap();
    index
        .add(&[1.0, 2.0, 3.0, 4.0, 0.0, 0.0, 0.0, 0.0])
        .unwrap();
    assert_eq!(index.search(&[0.0; 4], 1, None).unwrap().labels, vec![1]);
    let data: Vec<f32> = (0..64).map(|i| (i % 7) as f32).collect();
    let mut cpu_ivf = IvfFlatIndex::new(4, 2, MetricType::L2).unwrap();
    cpu_ivf.train(&data).unwrap();
    cpu_ivf.add_with_ids(&data[..16], &[5, 5, 6, 7]).unwrap();
    let mut ivf = GpuIvfFlatIndex::from_cpu(&cpu_ivf).unwrap();
    ferrofaiss_gpu::__test_seams::lose_device().unwrap();
    let lost = |e: &IndexError| matches!(e, IndexError::Device(m) if m.contains("lost"));
    let err = index.search(&[0.0; 4], 1, None).unwrap_err();
    assert!(lost(&err), "{err:?}");
    let err = index.add(&[1.0; 4]).unwrap_err();
    assert!(lost(&err), "{err:?}");
    let err = index.reconstruct(0).unwrap_err();
    assert!(lost(&err), "{err:?}");
    // An IVF add the device cannot follow leaves the host twin as it was (repeated ids
    // included: the undo cuts lists by position).
    let err = ivf.add_with_ids(&data[16..24], &[5, 6]).unwrap_err();
    assert!(lost(&err), "{err:?}");
    assert_eq!(ivf.ntotal(), 4);
    let host = ivf.to_cpu();
    assert_eq!(host.nlist(), cpu_ivf.nlist());
    for l in 0..host.nlist() {
        assert_eq!(host.list_ids(l), cpu_ivf.list_ids(l));
        assert_eq!(host.list_codes(l).to_vec(), cpu_ivf.list_codes(l).to_vec());
    }
    assert!(matches!(
        GpuFlatIndex::from_cpu(&ferrofaiss_index::FlatIndex::new(4, MetricType::L2).unwrap()),
        Err(GpuError::DeviceLost(_)) | Ok(_)
    ));
    drop(index);
}
