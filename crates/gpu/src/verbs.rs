//! What the GPU indexes' `Index` verbs share: the checks before a search, and the
//! other index of a merge.

use ferrofaiss_index::checks::{check_k, checked_vectors};
use ferrofaiss_index::{Index, IndexError, SearchParams};

/// The checks a search makes before it touches the device: `k`, the queries' shape
/// and NaNs (the CPU indexes' own checks), and no id selector, which the GPU indexes
/// do not take (as in faiss-gpu).
pub(crate) fn check_search(
    index: &dyn Index,
    queries: &[f32],
    k: usize,
    params: Option<&SearchParams>,
) -> Result<(), IndexError> {
    let d = index.dimension();
    check_k(k, queries.len() / d)?;
    checked_vectors(queries, d)?;
    if params.and_then(|p| p.selector).is_some() {
        return Err(IndexError::Unsupported(format!(
            "an id selector on {} (as in faiss-gpu); search the CPU index",
            index.type_name()
        )));
    }
    Ok(())
}

/// `other` as the concrete GPU index `T` a merge into `into` needs, or
/// [`IndexError::IncompatibleMerge`] naming both.
pub(crate) fn merge_source<'a, T: Index + 'static>(
    into: &str,
    other: &'a mut dyn Index,
) -> Result<&'a mut T, IndexError> {
    let other_name = other.type_name();
    other.as_any_mut().downcast_mut::<T>().ok_or_else(|| {
        IndexError::IncompatibleMerge(format!("{into} cannot merge from {other_name}"))
    })
}
