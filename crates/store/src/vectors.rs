//! Checks and transforms applied to vectors before they reach the index.

use crate::error::StoreError;

/// Checks that every vector has dimension `dim` and only finite values, and flattens
/// them row-major.
pub(crate) fn flatten_checked<V: AsRef<[f32]>>(
    vectors: &[V],
    dim: usize,
) -> Result<Vec<f32>, StoreError> {
    let mut flat = Vec::with_capacity(vectors.len() * dim);
    for (row, v) in vectors.iter().enumerate() {
        let v = v.as_ref();
        check_vector(v, dim, row)?;
        flat.extend_from_slice(v);
    }
    Ok(flat)
}

/// Checks one vector's dimension and values; `row` is reported in errors.
pub(crate) fn check_vector(v: &[f32], dim: usize, row: usize) -> Result<(), StoreError> {
    if v.len() != dim {
        return Err(StoreError::DimensionMismatch {
            expected: dim,
            got: v.len(),
        });
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err(StoreError::NonFiniteVector { row });
    }
    Ok(())
}

/// L2-normalizes each `dim`-long row in place as Faiss's `normalize_L2` does: the
/// squared norm is summed in f32 and each value is multiplied by `1 / sqrt(norm²)`.
/// Zero rows stay zero.
pub(crate) fn normalize_rows(flat: &mut [f32], dim: usize) {
    if dim == 0 {
        return;
    }
    for row in flat.chunks_exact_mut(dim) {
        let nr: f32 = row.iter().map(|x| x * x).sum();
        if nr > 0.0 {
            let inv = 1.0f32 / nr.sqrt();
            for x in row.iter_mut() {
                *x *= inv;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_matches_faiss_rounding() {
        let mut v = vec![1.0f32; 9];
        v.push(0.0);
        normalize_rows(&mut v, 10);
        // Faiss multiplies by 1/sqrt(9) rounded to f32: 0.33333334 each.
        assert!(v[..9].iter().all(|&x| x == 1.0f32 / 3.0f32));
        assert_eq!(v[9], 0.0);
        let mut zero = vec![0.0f32; 4];
        normalize_rows(&mut zero, 4);
        assert_eq!(zero, vec![0.0; 4]);
    }

    #[test]
    fn bad_vectors_are_typed_errors() {
        assert!(matches!(
            flatten_checked(&[vec![1.0, 2.0]], 3),
            Err(StoreError::DimensionMismatch {
                expected: 3,
                got: 2
            })
        ));
        assert!(matches!(
            flatten_checked(&[vec![1.0, 2.0], vec![f32::NAN, 0.0]], 2),
            Err(StoreError::NonFiniteVector { row: 1 })
        ));
        assert!(matches!(
            flatten_checked(&[vec![f32::INFINITY, 0.0]], 2),
            Err(StoreError::NonFiniteVector { row: 0 })
        ));
    }
}
