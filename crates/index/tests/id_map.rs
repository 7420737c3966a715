//! IdMap / IdMap2: external ids through search, remove, reconstruct, merge.

mod common;

use common::*;
use ferrofaiss_index::{
    id_map_view, FlatIndex, IdMap, IdMap2, IdSelector, Index, IndexError, MetricType,
};

fn ids_for(n: usize) -> Vec<i64> {
    (0..n as i64).map(|i| 1000 + 7 * i).collect()
}

#[test]
fn search_returns_external_ids() {
    let d = 16;
    let xb = uniform(500, d, 1);
    let xq = uniform(30, d, 2);
    let ids = ids_for(500);
    let mut plain = FlatIndex::new(d, MetricType::L2).unwrap();
    plain.add(&xb).unwrap();
    let mut map = IdMap::new(FlatIndex::new(d, MetricType::L2).unwrap()).unwrap();
    map.add_with_ids(&xb, &ids).unwrap();
    let mut map2 = IdMap2::new(FlatIndex::new(d, MetricType::L2).unwrap()).unwrap();
    map2.add_with_ids(&xb, &ids).unwrap();
    let r0 = plain.search(&xq, 5, None).unwrap();
    for r in [
        map.search(&xq, 5, None).unwrap(),
        map2.search(&xq, 5, None).unwrap(),
    ] {
        assert_eq!(r.distances, r0.distances);
        let expected: Vec<i64> = r0.labels.iter().map(|&l| ids[l as usize]).collect();
        assert_eq!(r.labels, expected);
    }
    // Empty slots stay -1.
    let r = map.search(&xq[..d], 600, None).unwrap();
    assert_eq!(r.labels[500..], vec![-1; 100][..]);
}

#[test]
fn add_without_ids_is_refused() {
    let mut map = IdMap::new(FlatIndex::new(4, MetricType::L2).unwrap()).unwrap();
    assert!(matches!(
        map.add(&[0.0; 4]),
        Err(IndexError::Unsupported(_))
    ));
}

#[test]
fn remove_by_external_id_keeps_the_rest_consistent() {
    let d = 8;
    let xb = uniform(100, d, 3);
    let ids = ids_for(100);
    let mut map2 = IdMap2::new(FlatIndex::new(d, MetricType::L2).unwrap()).unwrap();
    map2.add_with_ids(&xb, &ids).unwrap();
    let gone: Vec<i64> = ids.iter().copied().step_by(3).collect();
    let removed = map2.remove_ids(&IdSelector::Array(gone.clone())).unwrap();
    assert_eq!(removed, gone.len());
    assert_eq!(map2.ntotal(), 100 - gone.len());
    for (i, &id) in ids.iter().enumerate() {
        if gone.contains(&id) {
            assert_eq!(map2.reconstruct(id), Err(IndexError::UnknownId(id)));
        } else {
            assert_eq!(
                map2.reconstruct(id).unwrap(),
                xb[i * d..(i + 1) * d].to_vec()
            );
        }
    }
    // Searching for each removed vector never returns a removed id.
    let r = map2.search(&xb, 10, None).unwrap();
    assert!(r.labels.iter().all(|l| !gone.contains(l)));
    // A kept vector finds itself at distance 0.
    let r = map2.search(&xb[d..2 * d], 1, None).unwrap();
    assert_eq!(r.labels, vec![ids[1]]);
    // Range selector on external ids.
    let mut map = IdMap::new(FlatIndex::new(d, MetricType::L2).unwrap()).unwrap();
    map.add_with_ids(&xb, &ids).unwrap();
    assert_eq!(map.remove_ids(&IdSelector::range(1000, 1070)).unwrap(), 10);
    assert_eq!(map.ids()[0], 1070);
    assert_eq!(map.reconstruct(1070).unwrap(), xb[10 * d..11 * d].to_vec());
}

#[test]
fn idmap2_rejects_duplicates_idmap_allows_them() {
    let d = 2;
    let mut map2 = IdMap2::new(FlatIndex::new(d, MetricType::L2).unwrap()).unwrap();
    map2.add_with_ids(&[0.0, 0.0, 1.0, 1.0], &[5, 6]).unwrap();
    assert_eq!(
        map2.add_with_ids(&[2.0, 2.0], &[6]),
        Err(IndexError::DuplicateId(6))
    );
    assert_eq!(
        map2.add_with_ids(&[2.0, 2.0, 3.0, 3.0], &[7, 7]),
        Err(IndexError::DuplicateId(7))
    );
    assert_eq!(map2.ntotal(), 2);
    assert!(IdMap2::from_parts(
        FlatIndex::from_vectors(d, MetricType::L2, vec![0.0; 4]).unwrap(),
        vec![1, 1]
    )
    .is_err());
    let mut map = IdMap::new(FlatIndex::new(d, MetricType::L2).unwrap()).unwrap();
    map.add_with_ids(&[0.0, 0.0, 1.0, 1.0], &[5, 5]).unwrap();
    let r = map.search(&[0.0, 0.0], 2, None).unwrap();
    assert_eq!(r.labels, vec![5, 5]);
    assert_eq!(map.remove_ids(&IdSelector::batch([5])).unwrap(), 2);
    assert_eq!(map.ntotal(), 0);
}

#[test]
fn merge_appends_ids_and_checks_duplicates() {
    let d = 4;
    let a = uniform(3, d, 4);
    let b = uniform(2, d, 5);
    let mut x = IdMap2::new(FlatIndex::new(d, MetricType::L2).unwrap()).unwrap();
    x.add_with_ids(&a, &[1, 2, 3]).unwrap();
    let mut y = IdMap2::new(FlatIndex::new(d, MetricType::L2).unwrap()).unwrap();
    y.add_with_ids(&b, &[10, 11]).unwrap();
    x.merge_from(&mut y).unwrap();
    assert_eq!(x.ids(), &[1, 2, 3, 10, 11]);
    assert_eq!(y.ntotal(), 0);
    assert_eq!(x.reconstruct(11).unwrap(), b[d..].to_vec());
    let mut z = IdMap2::new(FlatIndex::new(d, MetricType::L2).unwrap()).unwrap();
    z.add_with_ids(&b[..d], &[2]).unwrap();
    assert_eq!(x.merge_from(&mut z), Err(IndexError::DuplicateId(2)));
    let mut plain = FlatIndex::new(d, MetricType::L2).unwrap();
    assert!(matches!(
        x.merge_from(&mut plain),
        Err(IndexError::IncompatibleMerge(_))
    ));
}

#[test]
fn from_parts_and_views() {
    let d = 3;
    let inner = FlatIndex::from_vectors(d, MetricType::InnerProduct, uniform(2, d, 6)).unwrap();
    assert!(IdMap::from_parts(inner.clone(), vec![1]).is_err());
    let map = IdMap2::from_parts(inner, vec![40, 1 << 40]).unwrap();
    let boxed: Box<dyn Index> = Box::new(map);
    let view = id_map_view(boxed.as_ref()).unwrap();
    assert!(view.is_map2);
    assert_eq!(view.ids, &[40, 1 << 40]);
    assert_eq!(view.inner.type_name(), "IndexFlatIP");
    assert_eq!(boxed.metric(), MetricType::InnerProduct);
    let over_box =
        IdMap::<Box<dyn Index>>::new(Box::new(FlatIndex::new(d, MetricType::L2).unwrap())).unwrap();
    let view = id_map_view(&over_box).unwrap();
    assert!(!view.is_map2);
    assert!(id_map_view(&FlatIndex::new(d, MetricType::L2).unwrap()).is_none());
}
