//! The `Index` trait: Faiss's small set of verbs, object-safe so that any index can be
//! held as a `Box<dyn Index>`.

use std::any::Any;
use std::fmt::Debug;

use crate::{IdSelector, IndexError, MetricType, RangeSearchResult, SearchParams, SearchResult};

/// A vector index with Faiss's interface.
///
/// Vectors are passed as row-major `&[f32]` slices whose length is a multiple of
/// [`Index::dimension`]. Labels are 64-bit ids; `-1` marks an empty result slot.
/// Every method validates its input and returns a typed [`IndexError`]; none panics.
pub trait Index: Send + Sync + Debug {
    /// Vector dimension `d`.
    fn dimension(&self) -> usize;

    /// Number of vectors stored.
    fn ntotal(&self) -> usize;

    /// The metric results are ranked by.
    fn metric(&self) -> MetricType;

    /// Whether the index may be filled and searched (always true for flat indexes).
    fn is_trained(&self) -> bool;

    /// Trains the index on `x` (k-means for IVF; a no-op for flat indexes).
    fn train(&mut self, x: &[f32]) -> Result<(), IndexError>;

    /// Adds vectors; their ids are `ntotal, ntotal + 1, ...` where the index assigns
    /// ids itself. [`IndexError::Unsupported`] for an id map (use `add_with_ids`).
    fn add(&mut self, x: &[f32]) -> Result<(), IndexError>;

    /// Adds vectors under the given ids (one per vector).
    /// [`IndexError::Unsupported`] for a flat index, whose ids are positions.
    fn add_with_ids(&mut self, x: &[f32], ids: &[i64]) -> Result<(), IndexError>;

    /// The `k` nearest stored vectors of each query. `params` overrides search
    /// settings for this call only.
    fn search(
        &self,
        queries: &[f32],
        k: usize,
        params: Option<&SearchParams>,
    ) -> Result<SearchResult, IndexError>;

    /// Every stored vector within `radius` of each query (`dist < radius` for L2,
    /// `dist > radius` for inner product).
    fn range_search(
        &self,
        queries: &[f32],
        radius: f32,
        params: Option<&SearchParams>,
    ) -> Result<RangeSearchResult, IndexError>;

    /// Removes the selected ids and returns how many vectors went.
    fn remove_ids(&mut self, sel: &IdSelector) -> Result<usize, IndexError>;

    /// The stored vector with this id.
    fn reconstruct(&self, id: i64) -> Result<Vec<f32>, IndexError>;

    /// Removes every vector (training is kept).
    fn reset(&mut self);

    /// Moves all vectors of `other` (same concrete type, dimension and metric) into
    /// this index; `other` is left empty, as in Faiss.
    fn merge_from(&mut self, other: &mut dyn Index) -> Result<(), IndexError>;

    /// The concrete index, for downcasting (e.g. to write a native Faiss file).
    fn as_any(&self) -> &dyn Any;

    /// The concrete index, mutably, for downcasting.
    fn as_any_mut(&mut self) -> &mut dyn Any;

    /// A deep copy behind a new box.
    fn clone_box(&self) -> Box<dyn Index>;

    /// Faiss's class name for this index (e.g. `"IndexFlatL2"`), for messages.
    fn type_name(&self) -> &'static str;

    /// Calls `visit(label, vector)` once for every stored vector, in storage order;
    /// the label is the one search returns for that vector. Lets a caller check or
    /// copy an index's contents in one pass. [`IndexError::Unsupported`] by default.
    fn for_each_vector(&self, visit: &mut dyn FnMut(i64, &[f32])) -> Result<(), IndexError> {
        let _ = visit;
        Err(IndexError::Unsupported(format!(
            "listing the stored vectors of {}",
            self.type_name()
        )))
    }
}

impl Clone for Box<dyn Index> {
    fn clone(&self) -> Box<dyn Index> {
        (**self).clone_box()
    }
}

/// A boxed index forwards every verb to the index inside; `as_any` reaches the concrete
/// type, so `IdMap<Box<dyn Index>>` can still be inspected through downcasts.
impl Index for Box<dyn Index> {
    fn dimension(&self) -> usize {
        (**self).dimension()
    }
    fn ntotal(&self) -> usize {
        (**self).ntotal()
    }
    fn metric(&self) -> MetricType {
        (**self).metric()
    }
    fn is_trained(&self) -> bool {
        (**self).is_trained()
    }
    fn train(&mut self, x: &[f32]) -> Result<(), IndexError> {
        (**self).train(x)
    }
    fn add(&mut self, x: &[f32]) -> Result<(), IndexError> {
        (**self).add(x)
    }
    fn add_with_ids(&mut self, x: &[f32], ids: &[i64]) -> Result<(), IndexError> {
        (**self).add_with_ids(x, ids)
    }
    fn search(
        &self,
        queries: &[f32],
        k: usize,
        params: Option<&SearchParams>,
    ) -> Result<SearchResult, IndexError> {
        (**self).search(queries, k, params)
    }
    fn range_search(
        &self,
        queries: &[f32],
        radius: f32,
        params: Option<&SearchParams>,
    ) -> Result<RangeSearchResult, IndexError> {
        (**self).range_search(queries, radius, params)
    }
    fn remove_ids(&mut self, sel: &IdSelector) -> Result<usize, IndexError> {
        (**self).remove_ids(sel)
    }
    fn reconstruct(&self, id: i64) -> Result<Vec<f32>, IndexError> {
        (**self).reconstruct(id)
    }
    fn reset(&mut self) {
        (**self).reset()
    }
    fn merge_from(&mut self, other: &mut dyn Index) -> Result<(), IndexError> {
        (**self).merge_from(other)
    }
    fn as_any(&self) -> &dyn Any {
        (**self).as_any()
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        (**self).as_any_mut()
    }
    fn clone_box(&self) -> Box<dyn Index> {
        (**self).clone_box()
    }
    fn type_name(&self) -> &'static str {
        (**self).type_name()
    }
    fn for_each_vector(&self, visit: &mut dyn FnMut(i64, &[f32])) -> Result<(), IndexError> {
        (**self).for_each_vector(visit)
    }
}
