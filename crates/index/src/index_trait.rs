//! The `Index` trait: Faiss's small set of verbs, object-safe so that any index can be
//! held as a `Box<dyn Index>`.
//!
//! As in Faiss's `Index.h`, only the core is required (dimension, size, metric, add,
//! search, plus a name and `reset`); every other verb has a default that refuses with
//! [`IndexError::Unsupported`] (or, for `train` and `is_trained`, Faiss's no-op
//! defaults). Downcasting (`as_any`) and boxed copies (`clone_box`) come from a blanket
//! implementation for every `Clone + 'static` index, so implementors write neither.

use std::any::Any;
use std::fmt::Debug;

use crate::error::IndexError;
use crate::results::{RangeSearchResult, SearchParams, SearchResult};
use crate::selector::IdSelector;
use crate::validate::checked_vectors;
use crate::MetricType;
use crate::RowBuffer;

/// What every `Clone + 'static` index gets for free: the conversions behind the
/// default [`Index::as_any`], [`Index::as_any_mut`] and [`Index::clone_box`]. Not
/// nameable outside this crate; implemented by the blanket impl below only.
pub trait IndexUpcast {
    /// `self` as `&dyn Any`.
    fn upcast_any(&self) -> &dyn Any;
    /// `self` as `&mut dyn Any`.
    fn upcast_any_mut(&mut self) -> &mut dyn Any;
    /// A deep copy of `self` behind a new box.
    fn boxed_clone(&self) -> Box<dyn Index>;
}

impl<T: Index + Clone + 'static> IndexUpcast for T {
    fn upcast_any(&self) -> &dyn Any {
        self
    }

    fn upcast_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn boxed_clone(&self) -> Box<dyn Index> {
        Box::new(self.clone())
    }
}

/// The error of a verb an index does not implement.
fn unsupported<I: Index + ?Sized>(index: &I, verb: &str) -> IndexError {
    IndexError::Unsupported(format!("{verb} on {}", index.type_name()))
}

/// `other` as the concrete index type `T` of a merge into an index named `into`, or
/// [`IndexError::IncompatibleMerge`] naming both.
pub fn same_kind<'a, T: Index + 'static>(
    into: &str,
    other: &'a mut dyn Index,
) -> Result<&'a mut T, IndexError> {
    let other_name = other.type_name();
    other.as_any_mut().downcast_mut::<T>().ok_or_else(|| {
        IndexError::IncompatibleMerge(format!("{into} cannot merge from {other_name}"))
    })
}

/// A vector index with Faiss's interface.
///
/// Vectors are passed as row-major `&[f32]` slices whose length is a multiple of
/// [`Index::dimension`]. Labels are 64-bit ids; `-1` marks an empty result slot.
/// Every method validates its input and returns a typed [`IndexError`]; none panics.
///
/// Required: [`dimension`](Index::dimension), [`ntotal`](Index::ntotal),
/// [`metric`](Index::metric), [`add`](Index::add), [`search`](Index::search),
/// [`reset`](Index::reset) and [`type_name`](Index::type_name). An implementor must be
/// `Clone + 'static` (for `clone_box` and downcasting).
pub trait Index: IndexUpcast + Send + Sync + Debug {
    /// Vector dimension `d`.
    fn dimension(&self) -> usize;

    /// Number of vectors stored.
    fn ntotal(&self) -> usize;

    /// The metric results are ranked by.
    fn metric(&self) -> MetricType;

    /// Adds vectors; their ids are `ntotal, ntotal + 1, ...` where the index assigns
    /// ids itself. [`IndexError::Unsupported`] for an id map (use `add_with_ids`).
    fn add(&mut self, x: &[f32]) -> Result<(), IndexError>;

    /// The `k` nearest stored vectors of each query. `params` overrides search
    /// settings for this call only.
    fn search(
        &self,
        queries: &[f32],
        k: usize,
        params: Option<&SearchParams>,
    ) -> Result<SearchResult, IndexError>;

    /// Removes every vector (training is kept).
    fn reset(&mut self);

    /// Faiss's class name for this index (e.g. `"IndexFlatL2"`), for messages.
    fn type_name(&self) -> &'static str;

    /// Whether the index may be filled and searched. Default: `true` (as Faiss, for
    /// indexes that need no training).
    fn is_trained(&self) -> bool {
        true
    }

    /// Trains the index on `x` (k-means for IVF). Default: checks that `x` is a whole
    /// number of NaN-free vectors and does nothing else (Faiss's default `train`).
    fn train(&mut self, x: &[f32]) -> Result<(), IndexError> {
        checked_vectors(x, self.dimension())?;
        Ok(())
    }

    /// [`Index::add`] of vectors the caller hands over: an index that stores them as
    /// they are (flat) may keep the buffer instead of copying it. Default: `add(&x)`.
    fn add_owned(&mut self, x: RowBuffer) -> Result<(), IndexError> {
        self.add(&x)
    }

    /// Adds vectors under the given ids (one per vector).
    /// Default: [`IndexError::Unsupported`] (e.g. a flat index, whose ids are positions).
    fn add_with_ids(&mut self, x: &[f32], ids: &[i64]) -> Result<(), IndexError> {
        let _ = (x, ids);
        Err(unsupported(self, "add_with_ids"))
    }

    /// Every stored vector within `radius` of each query (`dist < radius` for L2,
    /// `dist > radius` for inner product). Default: [`IndexError::Unsupported`].
    fn range_search(
        &self,
        queries: &[f32],
        radius: f32,
        params: Option<&SearchParams>,
    ) -> Result<RangeSearchResult, IndexError> {
        let _ = (queries, radius, params);
        Err(unsupported(self, "range_search"))
    }

    /// Removes the selected ids and returns how many vectors went.
    /// Default: [`IndexError::Unsupported`].
    fn remove_ids(&mut self, sel: &IdSelector) -> Result<usize, IndexError> {
        let _ = sel;
        Err(unsupported(self, "remove_ids"))
    }

    /// Writes the stored vector with this id into `out`, which must hold
    /// [`Index::dimension`] values (Faiss's `reconstruct(key, recons)`): no allocation.
    /// Default: [`IndexError::Unsupported`].
    fn reconstruct_into(&self, id: i64, out: &mut [f32]) -> Result<(), IndexError> {
        let _ = (id, out);
        Err(unsupported(self, "reconstruct"))
    }

    /// The stored vector with this id, in a new vector ([`Index::reconstruct_into`]).
    fn reconstruct(&self, id: i64) -> Result<Vec<f32>, IndexError> {
        let mut out = vec![0.0; self.dimension()];
        self.reconstruct_into(id, &mut out)?;
        Ok(out)
    }

    /// Moves all vectors of `other` (same concrete type, dimension and metric) into
    /// this index; `other` is left empty, as in Faiss. Default:
    /// [`IndexError::Unsupported`].
    fn merge_from(&mut self, other: &mut dyn Index) -> Result<(), IndexError> {
        let _ = other;
        Err(unsupported(self, "merge_from"))
    }

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

    /// Whether the labels of this index are ids its caller gives at add time: `true`
    /// for the id maps, which refuse `add` and need `add_with_ids`; `false` (the
    /// default) for an index that numbers its vectors itself when `add` is used.
    fn labels_are_external_ids(&self) -> bool {
        false
    }

    /// The concrete index, for downcasting (e.g. to write a native Faiss file).
    fn as_any(&self) -> &dyn Any {
        self.upcast_any()
    }

    /// The concrete index, mutably, for downcasting.
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self.upcast_any_mut()
    }

    /// A deep copy behind a new box.
    fn clone_box(&self) -> Box<dyn Index> {
        self.boxed_clone()
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
    fn add(&mut self, x: &[f32]) -> Result<(), IndexError> {
        (**self).add(x)
    }
    fn add_owned(&mut self, x: RowBuffer) -> Result<(), IndexError> {
        (**self).add_owned(x)
    }
    fn search(
        &self,
        queries: &[f32],
        k: usize,
        params: Option<&SearchParams>,
    ) -> Result<SearchResult, IndexError> {
        (**self).search(queries, k, params)
    }
    fn reset(&mut self) {
        (**self).reset()
    }
    fn type_name(&self) -> &'static str {
        (**self).type_name()
    }
    fn is_trained(&self) -> bool {
        (**self).is_trained()
    }
    fn train(&mut self, x: &[f32]) -> Result<(), IndexError> {
        (**self).train(x)
    }
    fn add_with_ids(&mut self, x: &[f32], ids: &[i64]) -> Result<(), IndexError> {
        (**self).add_with_ids(x, ids)
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
    fn reconstruct_into(&self, id: i64, out: &mut [f32]) -> Result<(), IndexError> {
        (**self).reconstruct_into(id, out)
    }
    fn reconstruct(&self, id: i64) -> Result<Vec<f32>, IndexError> {
        (**self).reconstruct(id)
    }
    fn merge_from(&mut self, other: &mut dyn Index) -> Result<(), IndexError> {
        (**self).merge_from(other)
    }
    fn for_each_vector(&self, visit: &mut dyn FnMut(i64, &[f32])) -> Result<(), IndexError> {
        (**self).for_each_vector(visit)
    }
    fn labels_are_external_ids(&self) -> bool {
        (**self).labels_are_external_ids()
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
}
