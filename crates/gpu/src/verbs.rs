//! What the GPU indexes' `Index` verbs share: the checks before a search.

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
