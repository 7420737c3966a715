//! What several of the store's test files share.

use ferrofaiss_embeddings::{EmbedFuture, Embeddings};

/// The LangChain fixture generator's `CountEmbeddings` (also defined, identically, by the
/// round-trip script in `tests/python/`): `[len, count('a'), count('e'), count(' ')]`.
pub struct CountEmbeddings;

fn count(text: &str) -> Vec<f32> {
    let n = |c: char| text.chars().filter(|&x| x == c).count() as f32;
    vec![text.chars().count() as f32, n('a'), n('e'), n(' ')]
}

impl Embeddings for CountEmbeddings {
    fn aembed_documents<'a>(&'a self, texts: &'a [String]) -> EmbedFuture<'a, Vec<Vec<f32>>> {
        Box::pin(async move { Ok(texts.iter().map(|t| count(t)).collect()) })
    }
    fn aembed_query<'a>(&'a self, text: &'a str) -> EmbedFuture<'a, Vec<f32>> {
        Box::pin(async move { Ok(count(text)) })
    }
    fn name(&self) -> String {
        "count".into()
    }
}
