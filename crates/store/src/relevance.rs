//! Relevance scores: LangChain's per-strategy functions that turn a raw Faiss score into
//! a "higher is more relevant" number, computed in f32 as numpy 2 does.

use std::fmt;
use std::sync::Arc;

use crate::distance::DistanceStrategy;
use crate::error::StoreError;

/// A user-supplied relevance function (LangChain's `relevance_score_fn`): raw Faiss
/// score in, relevance out.
#[derive(Clone)]
pub struct RelevanceScoreFn(Arc<dyn Fn(f32) -> f32 + Send + Sync>);

impl RelevanceScoreFn {
    /// Wraps a closure.
    pub fn new<F: Fn(f32) -> f32 + Send + Sync + 'static>(f: F) -> Self {
        RelevanceScoreFn(Arc::new(f))
    }

    /// Applies the function to a raw score.
    pub fn apply(&self, score: f32) -> f32 {
        (self.0)(score)
    }
}

impl fmt::Debug for RelevanceScoreFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RelevanceScoreFn(..)")
    }
}

/// `1 - s / sqrt(2)`, LangChain's `_euclidean_relevance_score_fn`. `s` is a squared L2
/// distance, so the result can be negative.
pub fn euclidean_relevance(score: f32) -> f32 {
    1.0f32 - score / std::f32::consts::SQRT_2
}

/// `1 - s` for `s > 0`, else `-s`: LangChain's `_max_inner_product_relevance_score_fn`.
pub fn max_inner_product_relevance(score: f32) -> f32 {
    if score > 0.0 {
        1.0f32 - score
    } else {
        -score
    }
}

/// `1 - s`: LangChain's `_cosine_relevance_score_fn`, applied to the raw score.
pub fn cosine_relevance(score: f32) -> f32 {
    1.0f32 - score
}

/// The built-in relevance function for a strategy, or
/// [`StoreError::NoRelevanceFunction`] for `DOT_PRODUCT` and `JACCARD`.
pub fn relevance_fn_for(strategy: DistanceStrategy) -> Result<fn(f32) -> f32, StoreError> {
    match strategy {
        DistanceStrategy::EuclideanDistance => Ok(euclidean_relevance),
        DistanceStrategy::MaxInnerProduct => Ok(max_inner_product_relevance),
        DistanceStrategy::Cosine => Ok(cosine_relevance),
        DistanceStrategy::DotProduct | DistanceStrategy::Jaccard => {
            Err(StoreError::NoRelevanceFunction(strategy))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euclidean_matches_the_recorded_float32_values() {
        // Recorded by LangChain (numpy float32): 1 -> 0.29289323, 4 -> -1.8284271.
        assert_eq!(euclidean_relevance(0.0), 1.0);
        assert_eq!(euclidean_relevance(1.0), 0.292_893_23_f32);
        assert_eq!(euclidean_relevance(4.0), -1.828_427_1_f32);
    }

    #[test]
    fn max_inner_product_branches() {
        assert_eq!(max_inner_product_relevance(9.0), -8.0);
        assert_eq!(max_inner_product_relevance(-0.5), 0.5);
        assert_eq!(max_inner_product_relevance(1.000_000_1), -1.192_092_9e-7);
        assert!(max_inner_product_relevance(0.0).is_sign_negative());
    }

    #[test]
    fn dot_and_jaccard_have_no_relevance_function() {
        for d in [DistanceStrategy::DotProduct, DistanceStrategy::Jaccard] {
            assert!(matches!(
                relevance_fn_for(d),
                Err(StoreError::NoRelevanceFunction(s)) if s == d
            ));
        }
        assert_eq!(
            relevance_fn_for(DistanceStrategy::Cosine).unwrap()(4.0),
            -3.0
        );
    }

    #[test]
    fn custom_function_is_applied() {
        let f = RelevanceScoreFn::new(|s| 2.0 * s);
        assert_eq!(f.apply(1.5), 3.0);
    }
}
