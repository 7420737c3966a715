//! LangChain's unit-test `FakeEmbeddings`: constant vectors that only depend on a
//! text's position in the call, so store behaviour can be tested without any model.

use crate::{EmbedFuture, Embeddings};

/// The dimension of [`FakeEmbeddings`] vectors.
pub const FAKE_EMBEDDINGS_DIM: usize = 10;

/// LangChain's unit-test `FakeEmbeddings` (dimension 10).
///
/// * `embed_documents(texts)`: the i-th text **of that call** (0-based) becomes
///   `[1.0; 9] ++ [i]`. The index restarts at 0 on every call, whatever was embedded
///   before.
/// * `embed_query(text)`: always `[1.0; 9] ++ [0.0]`.
///
/// The text itself is ignored. This is a test embedder, not a model: use it to check
/// store mechanics (ids, filters, ordering, persistence) against LangChain's recorded
/// results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FakeEmbeddings;

impl FakeEmbeddings {
    /// A new fake embedder.
    pub fn new() -> Self {
        Self
    }

    /// The vector LangChain's FakeEmbeddings gives the text at `position` in an
    /// `embed_documents` call.
    pub fn vector_at(position: usize) -> Vec<f32> {
        let mut v = vec![1.0f32; FAKE_EMBEDDINGS_DIM];
        // Python computes float(i); as f32 this is exact for every position a batch can
        // realistically have (below 2^24) and rounds to nearest beyond.
        v[FAKE_EMBEDDINGS_DIM - 1] = position as f32;
        v
    }
}

impl Embeddings for FakeEmbeddings {
    fn aembed_documents<'a>(&'a self, texts: &'a [String]) -> EmbedFuture<'a, Vec<Vec<f32>>> {
        let vectors = (0..texts.len()).map(Self::vector_at).collect();
        Box::pin(async move { Ok(vectors) })
    }

    fn aembed_query<'a>(&'a self, _text: &'a str) -> EmbedFuture<'a, Vec<f32>> {
        Box::pin(async move { Ok(Self::vector_at(0)) })
    }

    fn name(&self) -> String {
        "fake".to_string()
    }

    fn dimension(&self) -> Option<usize> {
        Some(FAKE_EMBEDDINGS_DIM)
    }
}
