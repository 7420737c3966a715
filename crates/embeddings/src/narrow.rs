//! Vectors from frameworks that embed in f64 (rig, langchain-rust), narrowed to the f32
//! a store holds.

use crate::error::EmbeddingError;

/// `values` as f32, or [`EmbeddingError::MalformedResponse`] naming the first value that
/// is not a finite f32 (NaN, an infinity, or a magnitude beyond `f32::MAX`).
pub fn vector_from_f64(values: &[f64]) -> Result<Vec<f32>, EmbeddingError> {
    values
        .iter()
        .map(|&x| {
            let y = x as f32;
            if y.is_finite() {
                Ok(y)
            } else {
                Err(EmbeddingError::MalformedResponse(format!(
                    "vector value {x} is not a finite f32"
                )))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finite_values_narrow_and_others_fail() {
        assert_eq!(
            vector_from_f64(&[0.5, -2.0, 0.0]).unwrap(),
            vec![0.5f32, -2.0, 0.0]
        );
        assert!(vector_from_f64(&[]).unwrap().is_empty());
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300] {
            let err = vector_from_f64(&[1.0, bad]).unwrap_err();
            assert!(
                matches!(err, EmbeddingError::MalformedResponse(_)),
                "{bad}: {err}"
            );
        }
    }
}
