//! Input checks shared by every index: shapes, NaN, ids, search parameters.

use crate::IndexError;

/// Number of vectors in `x` for dimension `d`, or a typed error when `x` is ragged.
pub(crate) fn vector_count(x: &[f32], d: usize) -> Result<usize, IndexError> {
    if d == 0 {
        return Err(IndexError::ZeroDimension);
    }
    if x.len() % d != 0 {
        return Err(IndexError::DimensionMismatch {
            dimension: d,
            len: x.len(),
        });
    }
    Ok(x.len() / d)
}

/// [`vector_count`], then rejects any vector holding a NaN.
pub(crate) fn checked_vectors(x: &[f32], d: usize) -> Result<usize, IndexError> {
    let n = vector_count(x, d)?;
    // Branch-free OR over blocks vectorises; the position is only sought on failure.
    let has_nan = x
        .chunks(4096)
        .any(|c| c.iter().fold(false, |acc, v| acc | v.is_nan()));
    if has_nan {
        let pos = x.iter().position(|v| v.is_nan()).unwrap_or(0);
        return Err(IndexError::NanVector { row: pos / d });
    }
    Ok(n)
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
pub(crate) fn check_k(k: usize) -> Result<(), IndexError> {
    if k == 0 {
        return Err(IndexError::InvalidParameter("k must be positive".into()));
    }
    Ok(())
}

/// Range-search radius must be a number.
pub(crate) fn check_radius(radius: f32) -> Result<(), IndexError> {
    if radius.is_nan() {
        return Err(IndexError::InvalidParameter("radius is NaN".into()));
    }
    Ok(())
}
