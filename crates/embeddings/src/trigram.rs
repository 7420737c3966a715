//! The golden "trigram" embedder: byte-trigram feature hashing with FNV-1a 64.
//!
//! Defined byte for byte in the golden cases (`fixtures/golden/cases/embedder_vectors.json`)
//! so a store built in Python with the same embedder can be checked exactly.

use crate::fnv::fnv1a64;
use crate::{EmbedFuture, EmbeddingError, Embeddings};

/// The default dimension of [`TrigramEmbeddings`].
pub const TRIGRAM_DEFAULT_DIM: usize = 64;

/// Byte-trigram feature hashing (the golden cases' `"trigram"` embedder).
///
/// `embed(text)`:
/// 1. ASCII-lowercase (`A`..`Z` only; non-ASCII is left as is);
/// 2. take the UTF-8 bytes and pad one space (0x20) on each side;
/// 3. for every window of 3 consecutive bytes `t`, add 1.0 to bucket
///    `fnv1a64(t) % dim` (the empty text has no window and gives the zero vector);
/// 4. if `normalize`, divide by the Euclidean norm (computed in f64) when it is not 0;
/// 5. cast each f64 component to f32 (round to nearest even).
///
/// It is a lexical fingerprint for tests, not a retrieval model: use
/// [`crate::HashingEmbeddings`] for offline retrieval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrigramEmbeddings {
    dim: usize,
    normalize: bool,
}

impl Default for TrigramEmbeddings {
    /// Dimension 64, normalised: the golden cases' default.
    fn default() -> Self {
        Self {
            dim: TRIGRAM_DEFAULT_DIM,
            normalize: true,
        }
    }
}

impl TrigramEmbeddings {
    /// A trigram embedder with `dim` buckets, L2-normalising its vectors when
    /// `normalize` is true.
    ///
    /// # Errors
    /// [`EmbeddingError::Config`] when `dim` is 0.
    pub fn new(dim: usize, normalize: bool) -> Result<Self, EmbeddingError> {
        if dim == 0 {
            return Err(EmbeddingError::Config(
                "trigram embedder dimension must be at least 1, got 0".to_string(),
            ));
        }
        Ok(Self { dim, normalize })
    }

    /// The number of buckets (the vector dimension).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Whether vectors are L2-normalised.
    pub fn normalize(&self) -> bool {
        self.normalize
    }

    /// The embedding of `text` in f64, before the final cast to f32 (steps 1-4).
    pub fn embed_f64(&self, text: &str) -> Vec<f64> {
        let mut padded = Vec::with_capacity(text.len() + 2);
        padded.push(b' ');
        padded.extend(text.bytes().map(|b| b.to_ascii_lowercase()));
        padded.push(b' ');

        let mut v = vec![0.0f64; self.dim];
        let dim = self.dim as u64;
        for window in padded.windows(3) {
            // `h % dim` is below `dim`, which is a usize, so the cast is lossless.
            let bucket = (fnv1a64(window) % dim) as usize;
            v[bucket] += 1.0;
        }
        if self.normalize {
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|x| *x /= norm);
            }
        }
        v
    }

    /// The embedding of `text` as f32 (what the store holds).
    pub fn embed(&self, text: &str) -> Vec<f32> {
        self.embed_f64(text).into_iter().map(|x| x as f32).collect()
    }
}

impl Embeddings for TrigramEmbeddings {
    fn aembed_documents<'a>(&'a self, texts: &'a [String]) -> EmbedFuture<'a, Vec<Vec<f32>>> {
        Box::pin(async move { Ok(texts.iter().map(|t| self.embed(t)).collect()) })
    }

    fn aembed_query<'a>(&'a self, text: &'a str) -> EmbedFuture<'a, Vec<f32>> {
        Box::pin(async move { Ok(self.embed(text)) })
    }

    fn name(&self) -> String {
        format!("trigram(dim={},normalize={})", self.dim, self.normalize)
    }

    fn dimension(&self) -> Option<usize> {
        Some(self.dim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_dimension_is_rejected() {
        assert!(matches!(
            TrigramEmbeddings::new(0, true),
            Err(EmbeddingError::Config(_))
        ));
    }

    #[test]
    fn only_ascii_letters_are_case_folded() {
        let e = TrigramEmbeddings::default();
        assert_eq!(e.embed("Hello"), e.embed("hello"));
        assert_ne!(e.embed("Ä"), e.embed("ä"));
    }
}
