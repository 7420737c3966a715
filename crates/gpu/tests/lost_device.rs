//! A lost device (here destroyed on purpose, as a driver reset would lose it): every
//! later call is a typed error naming the loss, never a panic or a wrong answer. Its own
//! test binary, because the device is the whole process's.

mod support;

use ferrofaiss_gpu::{GpuError, GpuFlatIndex};
use ferrofaiss_index::{Index, IndexError, MetricType};
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
    ferrofaiss_gpu::__test_seams::lose_device().unwrap();
    let lost = |e: &IndexError| matches!(e, IndexError::Device(m) if m.contains("lost"));
    let err = index.search(&[0.0; 4], 1, None).unwrap_err();
    assert!(lost(&err), "{err:?}");
    let err = index.add(&[1.0; 4]).unwrap_err();
    assert!(lost(&err), "{err:?}");
    let err = index.reconstruct(0).unwrap_err();
    assert!(lost(&err), "{err:?}");
    assert!(matches!(
        GpuFlatIndex::from_cpu(&ferrofaiss_index::FlatIndex::new(4, MetricType::L2).unwrap()),
        Err(GpuError::DeviceLost(_)) | Ok(_)
    ));
    drop(index);
}
