//! The `Index` trait's defaults: an index that implements only the required core gets
//! Faiss's no-op training, `Unsupported` for every other verb, and working
//! `as_any` / `clone_box`; `labels_are_external_ids` tells the id maps apart.

use ferrofaiss_index::{
    FlatIndex, IdMap, IdMap2, IdSelector, Index, IndexError, IvfFlatIndex, MetricType,
    SearchParams, SearchResult,
};

/// Counts vectors and finds nothing: only the required methods.
#[derive(Debug, Clone)]
struct Minimal {
    d: usize,
    n: usize,
}

impl Index for Minimal {
    fn dimension(&self) -> usize {
        self.d
    }
    fn ntotal(&self) -> usize {
        self.n
    }
    fn metric(&self) -> MetricType {
        MetricType::L2
    }
    fn add(&mut self, x: &[f32]) -> Result<(), IndexError> {
        self.n += x.len() / self.d;
        Ok(())
    }
    fn search(
        &self,
        queries: &[f32],
        k: usize,
        _params: Option<&SearchParams>,
    ) -> Result<SearchResult, IndexError> {
        Ok(SearchResult::empty(queries.len() / self.d, k, f32::MAX))
    }
    fn reset(&mut self) {
        self.n = 0;
    }
    fn type_name(&self) -> &'static str {
        "Minimal"
    }
}

fn unsupported_naming(r: Result<impl std::fmt::Debug, IndexError>, verb: &str) {
    match r {
        Err(IndexError::Unsupported(msg)) => {
            assert!(msg.contains(verb) && msg.contains("Minimal"), "{msg}")
        }
        other => panic!("{verb}: expected Unsupported, got {other:?}"),
    }
}

#[test]
fn defaults_refuse_with_unsupported() {
    let mut m = Minimal { d: 2, n: 0 };
    assert!(m.is_trained());
    assert!(!m.labels_are_external_ids());
    m.train(&[1.0, 2.0]).unwrap();
    assert!(matches!(
        m.train(&[1.0, 2.0, 3.0]),
        Err(IndexError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        m.train(&[f32::NAN, 0.0]),
        Err(IndexError::NanVector { row: 0 })
    ));
    unsupported_naming(m.add_with_ids(&[0.0, 0.0], &[7]), "add_with_ids");
    unsupported_naming(m.range_search(&[0.0, 0.0], 1.0, None), "range_search");
    unsupported_naming(m.remove_ids(&IdSelector::range(0, 1)), "remove_ids");
    unsupported_naming(m.reconstruct(0), "reconstruct");
    let mut other = Minimal { d: 2, n: 0 };
    unsupported_naming(m.merge_from(&mut other), "merge_from");
    assert!(matches!(
        m.for_each_vector(&mut |_, _| {}),
        Err(IndexError::Unsupported(_))
    ));
}

#[test]
fn downcast_and_clone_come_for_free() {
    let mut m = Minimal { d: 2, n: 0 };
    m.add(&[0.0; 6]).unwrap();
    let boxed: Box<dyn Index> = m.clone_box();
    assert_eq!(boxed.ntotal(), 3);
    assert!(boxed.as_any().downcast_ref::<Minimal>().is_some());
    let mut copy = boxed.clone();
    copy.reset();
    assert_eq!((copy.ntotal(), boxed.ntotal()), (0, 3));
    assert!(copy.as_any_mut().downcast_mut::<Minimal>().is_some());
}

#[test]
fn only_id_maps_label_with_external_ids() {
    let flat = || FlatIndex::new(2, MetricType::L2).unwrap();
    assert!(!flat().labels_are_external_ids());
    assert!(!IvfFlatIndex::new(2, 1, MetricType::L2)
        .unwrap()
        .labels_are_external_ids());
    assert!(IdMap::new(flat()).unwrap().labels_are_external_ids());
    assert!(IdMap2::new(flat()).unwrap().labels_are_external_ids());
    let boxed: Box<dyn Index> = Box::new(IdMap2::new(flat()).unwrap());
    assert!(boxed.labels_are_external_ids());
    let nested = IdMap::<Box<dyn Index>>::new(Box::new(flat())).unwrap();
    assert!(nested.labels_are_external_ids());
    assert!(!nested.inner().labels_are_external_ids());
}
