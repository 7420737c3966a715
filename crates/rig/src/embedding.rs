//! Embedders across the boundary: a ferrofaiss [`Embeddings`] as a rig embedding model
//! ([`embedding_model`]), and a rig embedding model as a ferrofaiss [`Embeddings`]
//! ([`RigEmbeddings`]).

use std::sync::Arc;

use ferrofaiss::embeddings::{vector_from_f64, EmbedFuture, EmbeddingError, Embeddings};
use rig_core::driver::{Exchange, Local, Model, Opened, Opening, Step, Transport};
use rig_core::embeddings::{Embedding, EmbeddingResponse};
use rig_core::operation::Embedding as EmbeddingOp;
use rig_core::wire::Capabilities;
use rig_core::{DynModel, ProviderError};

/// The most texts rig sends to a bridged embedder in one call. ferrofaiss embedders
/// batch internally (OpenAI's client splits into its own requests), so this only
/// bounds how much one call holds.
const MAX_DOCUMENTS: usize = 1024;

/// The provider name rig records for a bridged ferrofaiss embedder.
const PROVIDER: &str = "ferrofaiss";

/// The rig runtime of a bridged ferrofaiss embedder: the transport of the local wire
/// [`embedding_model`] builds. Each request is one `aembed_documents` call.
#[derive(Clone)]
pub struct EmbeddingsRuntime {
    embedder: Arc<dyn Embeddings>,
}

impl std::fmt::Debug for EmbeddingsRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddingsRuntime")
            .field("embedder", &self.embedder.name())
            .finish()
    }
}

/// A ferrofaiss embedder as a rig embedding model: a local wire over
/// [`EmbeddingsRuntime`]. It converts into rig's `DynModel<Embedding>`, which is what
/// `EmbeddingsBuilder::new`, `InMemoryVectorStore::index` and agents take.
pub type RigEmbeddingModel = Model<Local<EmbeddingOp>, EmbeddingsRuntime>;

/// Wraps `embedder` as a rig embedding model. Its width is the embedder's
/// [`Embeddings::dimension`] when known (0, rig's "undeclared", otherwise) and its model
/// id the embedder's [`Embeddings::name`].
pub fn embedding_model(embedder: Arc<dyn Embeddings>) -> RigEmbeddingModel {
    let ndims = embedder.dimension().unwrap_or(0);
    let wire = Local::new(PROVIDER)
        .with_id(embedder.name())
        .with_capabilities(Capabilities::embedding(MAX_DOCUMENTS, ndims));
    Model::new(wire, EmbeddingsRuntime { embedder })
}

impl Transport<Local<EmbeddingOp>> for EmbeddingsRuntime {
    fn send(&self, texts: Vec<String>, _exchange: Exchange) -> Opening<Step<EmbeddingOp>> {
        let embedder = Arc::clone(&self.embedder);
        Opening::new(async move {
            let vectors = embedder
                .aembed_documents(&texts)
                .await
                .map_err(|e| ProviderError::Provider(e.to_string()))?;
            if vectors.len() != texts.len() {
                return Err(ProviderError::Response(format!(
                    "{} returned {} vectors for {} texts",
                    embedder.name(),
                    vectors.len(),
                    texts.len()
                )));
            }
            let embeddings = texts
                .into_iter()
                .zip(vectors)
                .map(|(document, vector)| Embedding {
                    document,
                    vec: vector.into_iter().map(f64::from).collect(),
                })
                .collect();
            let reply = Step::End(EmbeddingResponse::new(embeddings));
            Ok(Opened::new(futures::stream::iter([Ok(reply)])))
        })
    }
}

/// A rig embedding model (any provider's, or a local one) as a ferrofaiss
/// [`Embeddings`], so it can embed for a ferrofaiss store.
///
/// rig's models are async; use this embedder through
/// [`AsyncFaissStore`](ferrofaiss::AsyncFaissStore). The sync methods poll rig's
/// future on the calling thread, which a model that needs a tokio reactor (every HTTP
/// provider) cannot do.
#[derive(Clone, Debug)]
pub struct RigEmbeddings {
    model: DynModel<EmbeddingOp>,
}

impl RigEmbeddings {
    /// Wraps a rig embedding model.
    pub fn new(model: impl Into<DynModel<EmbeddingOp>>) -> Self {
        RigEmbeddings {
            model: model.into(),
        }
    }

    /// Embeds `texts` in calls of at most the model's `max_documents` (rig's
    /// `Model::call` does not split a batch; only its `EmbeddingsBuilder` does).
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let per_call = self.model.capabilities().max_documents.max(1);
        let mut vectors = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(per_call) {
            let response = self.model.call(chunk.to_vec()).await.map_err(bridged)?;
            if response.embeddings.len() != chunk.len() {
                return Err(EmbeddingError::MalformedResponse(format!(
                    "rig model {} returned {} vectors for {} texts",
                    self.name(),
                    response.embeddings.len(),
                    chunk.len()
                )));
            }
            for embedding in response.embeddings {
                vectors.push(vector_from_f64(&embedding.vec)?);
            }
        }
        Ok(vectors)
    }
}

/// A rig error as a ferrofaiss embedding error.
fn bridged(error: ProviderError) -> EmbeddingError {
    EmbeddingError::Bridged {
        framework: "rig",
        source: Box::new(error),
    }
}

impl Embeddings for RigEmbeddings {
    fn aembed_documents<'a>(&'a self, texts: &'a [String]) -> EmbedFuture<'a, Vec<Vec<f32>>> {
        Box::pin(self.embed(texts.to_vec()))
    }

    fn aembed_query<'a>(&'a self, text: &'a str) -> EmbedFuture<'a, Vec<f32>> {
        Box::pin(async move {
            let mut vectors = self.embed(vec![text.to_string()]).await?;
            vectors.pop().ok_or_else(|| {
                EmbeddingError::MalformedResponse("rig model returned no vector".to_string())
            })
        })
    }

    fn name(&self) -> String {
        match self.model.id() {
            Some(id) => format!("rig:{}:{id}", self.model.name()),
            None => format!("rig:{}", self.model.name()),
        }
    }

    fn dimension(&self) -> Option<usize> {
        Some(self.model.capabilities().ndims).filter(|&n| n > 0)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Embeds text `i` as `[i]` (its number) and counts its calls.
    struct Numbered(AtomicUsize);

    impl Embeddings for Numbered {
        fn aembed_documents<'a>(&'a self, texts: &'a [String]) -> EmbedFuture<'a, Vec<Vec<f32>>> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                Ok(texts
                    .iter()
                    .map(|t| vec![t.parse::<f32>().unwrap()])
                    .collect())
            })
        }
        fn aembed_query<'a>(&'a self, text: &'a str) -> EmbedFuture<'a, Vec<f32>> {
            Box::pin(async move { Ok(vec![text.parse::<f32>().unwrap()]) })
        }
        fn name(&self) -> String {
            "numbered".into()
        }
    }

    #[test]
    fn batches_follow_the_models_limit_and_keep_order() {
        let inner = Arc::new(Numbered(AtomicUsize::new(0)));
        let wire = Local::new(PROVIDER).with_capabilities(Capabilities::embedding(3, 1));
        let model = Model::new(
            wire,
            EmbeddingsRuntime {
                embedder: inner.clone(),
            },
        );
        let bridged = RigEmbeddings::new(model);
        let texts: Vec<String> = (0..7).map(|i| i.to_string()).collect();
        let vectors = futures::executor::block_on(bridged.aembed_documents(&texts)).unwrap();
        assert_eq!(vectors, (0..7).map(|i| vec![i as f32]).collect::<Vec<_>>());
        assert_eq!(inner.0.load(Ordering::SeqCst), 3);
    }
}
