//! Every error path returns a typed error and leaves the index unchanged.

use ferrofaiss_index::{
    index_factory, FlatIndex, IdMap, IdMap2, IdSelector, Index, IndexError, IvfFlatIndex,
    MetricType, SearchParams,
};

fn all_kinds(d: usize) -> Vec<Box<dyn Index>> {
    [
        "Flat",
        "IDMap,Flat",
        "IDMap2,Flat",
        "IVF2,Flat",
        "SQ8",
        "SQfp16",
        "IDMap2,SQ8",
    ]
    .iter()
    .map(|s| index_factory(d, s, MetricType::L2).unwrap())
    .collect()
}

#[test]
fn ragged_and_nan_inputs_are_rejected_everywhere() {
    let d = 3;
    for mut index in all_kinds(d) {
        let name = index.type_name();
        let ragged = [1.0f32; 4];
        let mut nan = [1.0f32; 6];
        nan[4] = f32::NAN;
        let dm = IndexError::DimensionMismatch {
            dimension: 3,
            len: 4,
        };
        assert_eq!(index.train(&ragged), Err(dm.clone()), "{name}");
        assert_eq!(
            index.train(&nan),
            Err(IndexError::NanVector { row: 1 }),
            "{name}"
        );
        assert!(index.add_with_ids(&ragged, &[1]).is_err(), "{name}");
        assert_eq!(index.search(&ragged, 1, None), Err(dm.clone()), "{name}");
        assert_eq!(
            index.search(&nan, 1, None),
            Err(IndexError::NanVector { row: 1 }),
            "{name}"
        );
        assert_eq!(index.range_search(&ragged, 1.0, None), Err(dm), "{name}");
        assert!(matches!(
            index.search(&[0.0; 3], 0, None),
            Err(IndexError::InvalidParameter(_))
        ));
        assert!(matches!(
            index.range_search(&[0.0; 3], f32::NAN, None),
            Err(IndexError::InvalidParameter(_))
        ));
        assert_eq!(index.ntotal(), 0, "{name}");
    }
}

#[test]
fn add_errors() {
    let d = 2;
    let mut flat = FlatIndex::new(d, MetricType::L2).unwrap();
    assert!(matches!(
        flat.add_with_ids(&[0.0; 2], &[1]),
        Err(IndexError::Unsupported(_))
    ));
    assert_eq!(
        flat.add(&[f32::NAN, 0.0]),
        Err(IndexError::NanVector { row: 0 })
    );
    let mut map = IdMap::new(FlatIndex::new(d, MetricType::L2).unwrap()).unwrap();
    assert_eq!(
        map.add_with_ids(&[0.0; 4], &[1]),
        Err(IndexError::IdCountMismatch { vectors: 2, ids: 1 })
    );
    assert_eq!(
        map.add_with_ids(&[0.0; 2], &[-1]),
        Err(IndexError::NegativeId(-1))
    );
    assert_eq!(
        map.add_with_ids(&[0.0, f32::NAN], &[3]),
        Err(IndexError::NanVector { row: 0 })
    );
    assert_eq!(map.ntotal(), 0);
    let mut ivf = IvfFlatIndex::new(d, 2, MetricType::L2).unwrap();
    assert_eq!(ivf.add(&[0.0; 2]), Err(IndexError::NotTrained));
    assert_eq!(ivf.search(&[0.0; 2], 1, None), Err(IndexError::NotTrained));
    assert_eq!(
        ivf.train(&[0.0; 2]),
        Err(IndexError::TooFewTrainingPoints { got: 1, needed: 2 })
    );
    assert!(matches!(
        IvfFlatIndex::new(d, 0, MetricType::L2),
        Err(IndexError::InvalidParameter(_))
    ));
    assert_eq!(
        FlatIndex::new(0, MetricType::L2).err(),
        Some(IndexError::ZeroDimension)
    );
    assert!(FlatIndex::from_vectors(3, MetricType::L2, vec![0.0; 4]).is_err());
}

#[test]
fn search_parameter_errors() {
    let d = 2;
    let mut ivf = IvfFlatIndex::new(d, 2, MetricType::L2).unwrap();
    ivf.train(&[0.0, 0.0, 1.0, 1.0, 2.0, 2.0]).unwrap();
    ivf.add(&[0.0, 0.0]).unwrap();
    assert!(matches!(
        ivf.search(&[0.0; 2], 1, Some(&SearchParams::with_nprobe(0))),
        Err(IndexError::InvalidParameter(_))
    ));
    assert!(ivf.set_nprobe(0).is_err());
    assert!(matches!(
        ivf.add(&[f32::INFINITY, 0.0]),
        Err(IndexError::InvalidParameter(_))
    ));
    assert_eq!(ivf.ntotal(), 1);
    assert_eq!(ivf.nprobe(), 1);
}

#[test]
fn unknown_ids_and_unsupported_operations() {
    let d = 2;
    let mut map2 = IdMap2::new(FlatIndex::new(d, MetricType::L2).unwrap()).unwrap();
    map2.add_with_ids(&[1.0, 2.0], &[42]).unwrap();
    assert_eq!(map2.reconstruct(41), Err(IndexError::UnknownId(41)));
    let map = IdMap::new(FlatIndex::new(d, MetricType::L2).unwrap()).unwrap();
    assert_eq!(map.reconstruct(0), Err(IndexError::UnknownId(0)));
    // An id map over IVF cannot remove (IVF positions do not shift).
    let mut ivf = IvfFlatIndex::new(d, 1, MetricType::L2).unwrap();
    ivf.train(&[0.0, 0.0]).unwrap();
    let mut over_ivf = IdMap::new(ivf).unwrap();
    over_ivf.add_with_ids(&[0.0, 0.0], &[5]).unwrap();
    assert!(matches!(
        over_ivf.remove_ids(&IdSelector::batch([5])),
        Err(IndexError::Unsupported(_))
    ));
    assert_eq!(
        over_ivf.search(&[0.0, 0.0], 1, None).unwrap().labels,
        vec![5]
    );
}

#[test]
fn nan_deep_in_a_large_add_leaves_the_index_unchanged() {
    let d = 7;
    let mut flat = FlatIndex::from_vectors(d, MetricType::L2, vec![1.0; 3 * d]).unwrap();
    let mut x = vec![0.5f32; 5000 * d];
    x[4321 * d + 3] = f32::NAN;
    assert_eq!(flat.add(&x), Err(IndexError::NanVector { row: 4321 }));
    assert_eq!(flat.vectors(), &vec![1.0; 3 * d][..]);
    let mut map = IdMap2::from_parts(flat, vec![-5, -6, -7]).unwrap();
    let ids: Vec<i64> = (0..5000).collect();
    assert_eq!(
        map.add_with_ids(&x, &ids),
        Err(IndexError::NanVector { row: 4321 })
    );
    assert_eq!(map.ntotal(), 3);
    assert_eq!(map.inner().ntotal(), 3);
}
