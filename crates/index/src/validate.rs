//! Input checks shared by every index: shapes, NaN, ids, search parameters.

use rayon::prelude::*;

use crate::IndexError;

/// Number of vectors in `x` for dimension `d`, or a typed error when `x` is ragged.
pub fn vector_count(x: &[f32], d: usize) -> Result<usize, IndexError> {
    if d == 0 {
        return Err(IndexError::ZeroDimension);
    }
    if !x.len().is_multiple_of(d) {
        return Err(IndexError::DimensionMismatch {
            dimension: d,
            len: x.len(),
        });
    }
    Ok(x.len() / d)
}

/// [`vector_count`], then rejects any vector holding a NaN.
pub fn checked_vectors(x: &[f32], d: usize) -> Result<usize, IndexError> {
    let n = vector_count(x, d)?;
    if has_nan(x) {
        return Err(nan_error(x, d, 0));
    }
    Ok(n)
}

/// Whether any value is NaN (a branch-free OR over blocks, which vectorises). From
/// [`PARALLEL_NAN_CHECK_FROM`] values on, the blocks are checked on all threads: a large
/// batch handed over whole is read from memory, which one thread alone leaves half idle.
pub(crate) fn has_nan(x: &[f32]) -> bool {
    const BLOCK: usize = 4096;
    let block_has_nan = |c: &[f32]| c.iter().fold(false, |acc, v| acc | v.is_nan());
    if x.len() >= PARALLEL_NAN_CHECK_FROM {
        x.par_chunks(BLOCK).any(block_has_nan)
    } else {
        x.chunks(BLOCK).any(block_has_nan)
    }
}

/// Inputs of at least this many values are checked for NaN on all threads (4 MiB).
const PARALLEL_NAN_CHECK_FROM: usize = 1 << 20;

/// The error for the first NaN of `x`, whose first value is at flat offset `offset` of
/// the caller's slice.
pub(crate) fn nan_error(x: &[f32], d: usize, offset: usize) -> IndexError {
    let pos = x.iter().position(|v| v.is_nan()).unwrap_or(0);
    IndexError::NanVector {
        row: (offset + pos) / d,
    }
}

/// Checks that there is one id per vector and none is negative.
pub(crate) fn check_ids(n: usize, ids: &[i64]) -> Result<(), IndexError> {
    if ids.len() != n {
        return Err(IndexError::IdCountMismatch {
            vectors: n,
            ids: ids.len(),
        });
    }
    if let Some(&bad) = ids.iter().find(|&&id| id < 0) {
        return Err(IndexError::NegativeId(bad));
    }
    Ok(())
}

/// Faiss requires `k > 0`.
pub fn check_k(k: usize, nq: usize) -> Result<(), IndexError> {
    if k == 0 {
        return Err(IndexError::InvalidParameter("k must be positive".into()));
    }
    if nq
        .checked_mul(k)
        .is_none_or(|slots| slots > MAX_RESULT_SLOTS)
    {
        return Err(IndexError::InvalidParameter(format!(
            "{nq} queries x k = {k} result slots is more than the {MAX_RESULT_SLOTS} one \
             search may return; search in smaller batches or with a smaller k"
        )));
    }
    Ok(())
}

/// The most result slots (queries × k) one search may return: 2^28, i.e. 3 GiB of
/// distances and labels. A larger request is an [`IndexError::InvalidParameter`]
/// before anything is allocated, never an allocation failure.
pub const MAX_RESULT_SLOTS: usize = 1 << 28;

/// Range-search radius must be a number.
pub fn check_radius(radius: f32) -> Result<(), IndexError> {
    if radius.is_nan() {
        return Err(IndexError::InvalidParameter("radius is NaN".into()));
    }
    Ok(())
}

/// Copies a stored vector into a caller's buffer of the same length (the
/// [`crate::Index::reconstruct_into`] of indexes that store vectors as they are).
pub fn copy_vector(stored: &[f32], out: &mut [f32]) -> Result<(), IndexError> {
    if out.len() != stored.len() {
        return Err(IndexError::DimensionMismatch {
            dimension: stored.len(),
            len: out.len(),
        });
    }
    out.copy_from_slice(stored);
    Ok(())
}
