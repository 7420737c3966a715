//! Which embedder a command uses: the offline hashing embedder (default) or OpenAI, and
//! how the embedder recorded in a saved folder is rebuilt for `search`.

use std::sync::Arc;

use clap::ValueEnum;
use ferrofaiss::embeddings::{
    EmbedFuture, EmbeddingError, Embeddings, HashingEmbeddings, OpenAiEmbeddings,
};

use crate::error::{CliError, CliResult};

/// The embedders the CLI can build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EmbedderKind {
    /// Offline lexical feature hashing (no network, no model files).
    Hashing,
    /// OpenAI's embeddings API (`OPENAI_API_KEY`, `OPENAI_BASE_URL`).
    Openai,
}

/// Builds an embedder of `kind`; `openai_model` replaces OpenAI's default model.
pub fn build_embedder(
    kind: EmbedderKind,
    openai_model: Option<&str>,
) -> CliResult<Arc<dyn Embeddings>> {
    match kind {
        EmbedderKind::Hashing => Ok(Arc::new(HashingEmbeddings::default())),
        EmbedderKind::Openai => build_openai(openai_model, None),
    }
}

fn build_openai(model: Option<&str>, dimensions: Option<u32>) -> CliResult<Arc<dyn Embeddings>> {
    let mut builder = OpenAiEmbeddings::builder();
    if let Some(model) = model {
        builder = builder.model(model);
    }
    if let Some(d) = dimensions {
        builder = builder.dimensions(d);
    }
    let embedder = builder
        .build()
        .map_err(|e| CliError::with_cause("cannot set up the OpenAI embedder", e))?;
    Ok(Arc::new(embedder))
}

/// Rebuilds the embedder whose [`Embeddings::name`] is `saved` (the name a saved folder
/// records): the default hashing embedder, or OpenAI with the recorded model and
/// dimensions.
pub fn embedder_for_saved_name(saved: &str) -> CliResult<Arc<dyn Embeddings>> {
    let hashing = HashingEmbeddings::default();
    if saved == hashing.name() {
        return Ok(Arc::new(hashing));
    }
    if let Some((model, dimensions)) = parse_openai_name(saved) {
        return build_openai(Some(&model), dimensions);
    }
    Err(CliError::new(format!(
        "the index was built with embedder {saved}, which this program cannot rebuild \
         (it knows the default hashing embedder and OpenAI)"
    )))
}

/// Parses `openai(model=M)` or `openai(model=M,dimensions=D)`.
fn parse_openai_name(name: &str) -> Option<(String, Option<u32>)> {
    let inner = name.strip_prefix("openai(")?.strip_suffix(')')?;
    let mut model = None;
    let mut dimensions = None;
    for part in inner.split(',') {
        let (key, value) = part.split_once('=')?;
        match key {
            "model" => model = Some(value.to_string()),
            "dimensions" => dimensions = Some(value.parse().ok()?),
            _ => return None,
        }
    }
    Some((model?, dimensions))
}

/// An embedder that only carries a name: used to open a saved store for commands that
/// never embed (`info`, `delete`, `merge`), so the store keeps, and saves again, the
/// name of the embedder that built it. Embedding with it is an error.
#[derive(Debug, Clone)]
pub struct RecordedEmbedder {
    name: String,
}

impl RecordedEmbedder {
    /// A stand-in named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        RecordedEmbedder { name: name.into() }
    }

    fn refuse(&self) -> EmbeddingError {
        EmbeddingError::Config(format!(
            "this store was opened without its embedder ({}); nothing can be embedded",
            self.name
        ))
    }
}

impl Embeddings for RecordedEmbedder {
    fn aembed_documents<'a>(&'a self, _texts: &'a [String]) -> EmbedFuture<'a, Vec<Vec<f32>>> {
        Box::pin(async move { Err(self.refuse()) })
    }

    fn aembed_query<'a>(&'a self, _text: &'a str) -> EmbedFuture<'a, Vec<f32>> {
        Box::pin(async move { Err(self.refuse()) })
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_openai_names() {
        assert_eq!(
            parse_openai_name("openai(model=text-embedding-3-small)"),
            Some(("text-embedding-3-small".to_string(), None))
        );
        assert_eq!(
            parse_openai_name("openai(model=m,dimensions=256)"),
            Some(("m".to_string(), Some(256)))
        );
        assert_eq!(parse_openai_name("openai(dimensions=256)"), None);
        assert_eq!(parse_openai_name("hashing-v1(dim=1024)"), None);
    }

    #[test]
    fn rebuilds_the_default_hashing_embedder() {
        let name = HashingEmbeddings::default().name();
        let rebuilt = embedder_for_saved_name(&name).unwrap();
        assert_eq!(rebuilt.name(), name);
        assert!(embedder_for_saved_name("something-else").is_err());
    }

    #[test]
    fn recorded_embedder_refuses_to_embed() {
        let e = RecordedEmbedder::new("x");
        assert_eq!(e.name(), "x");
        assert!(e.embed_query("q").is_err());
    }
}
