//! Property tests over random shapes: flat search equals the brute force; after
//! deletions no search returns a deleted id; IVF with every list probed equals flat.

mod common;

use common::*;
use ferrofaiss_index::{
    FlatIndex, IdMap2, IdSelector, Index, IvfFlatIndex, MetricType, SearchParams,
};
use proptest::prelude::*;

fn metric_of(ip: bool) -> MetricType {
    if ip {
        MetricType::InnerProduct
    } else {
        MetricType::L2
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn flat_search_equals_brute_force(
        n in 0usize..300, nq in 1usize..30, d in 1usize..40, k in 1usize..20,
        ip in any::<bool>(), seed in any::<u64>(),
    ) {
        let metric = metric_of(ip);
        let xb = uniform(n, d, seed);
        let xq = uniform(nq, d, seed ^ 0xABCD);
        let index = FlatIndex::from_vectors(d, metric, xb.clone()).unwrap();
        let r = index.search(&xq, k, None).unwrap();
        for q in 0..nq {
            assert_matches_reference(metric, &xq[q * d..(q + 1) * d], &xb, d,
                r.distances_of(q).unwrap(), r.labels_of(q).unwrap(), 1e-4);
        }
    }

    #[test]
    fn deleted_ids_never_come_back(
        n in 1usize..200, d in 1usize..16, seed in any::<u64>(),
        mask in proptest::collection::vec(any::<bool>(), 200),
    ) {
        let xb = uniform(n, d, seed);
        let ids: Vec<i64> = (0..n as i64).map(|i| i * 11 + 3).collect();
        let gone: Vec<i64> = ids.iter().zip(&mask).filter(|(_, &m)| m).map(|(&i, _)| i).collect();
        let mut map2 = IdMap2::new(FlatIndex::new(d, MetricType::L2).unwrap()).unwrap();
        map2.add_with_ids(&xb, &ids).unwrap();
        let removed = map2.remove_ids(&IdSelector::batch(gone.iter().copied())).unwrap();
        prop_assert_eq!(removed, gone.len());
        prop_assert_eq!(map2.ntotal(), n - gone.len());
        let r = map2.search(&xb, n.min(10), None).unwrap();
        prop_assert!(r.labels.iter().all(|l| !gone.contains(l)));
        // Plain flat: positions shift, the survivors keep their order.
        let mut flat = FlatIndex::from_vectors(d, MetricType::L2, xb.clone()).unwrap();
        let gone_pos: Vec<i64> = (0..n as i64).filter(|&i| mask[i as usize]).collect();
        flat.remove_ids(&IdSelector::Array(gone_pos)).unwrap();
        let survivors: Vec<f32> = xb.chunks_exact(d).zip(&mask).filter(|(_, &m)| !m)
            .flat_map(|(r, _)| r.iter().copied()).collect();
        prop_assert_eq!(flat.vectors(), &survivors[..]);
        // IVF: remove then search.
        if n >= 4 {
            let mut ivf = IvfFlatIndex::new(d, 4, MetricType::L2).unwrap();
            ivf.train(&xb).unwrap();
            ivf.add_with_ids(&xb, &ids).unwrap();
            ivf.remove_ids(&IdSelector::batch(gone.iter().copied())).unwrap();
            let r = ivf.search(&xb, 5, Some(&SearchParams::with_nprobe(4))).unwrap();
            prop_assert!(r.labels.iter().all(|l| !gone.contains(l)));
            prop_assert_eq!(ivf.ntotal(), n - gone.len());
        }
    }
}
