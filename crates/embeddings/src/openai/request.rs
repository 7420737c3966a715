//! One `POST /embeddings` request per batch of texts, with retries.

use async_openai::types::embeddings::{CreateEmbeddingRequest, EmbeddingInput};

use super::client::Inner;
use super::errors::{classify, Failure};
use crate::EmbeddingError;

/// Embeds one batch, retrying transient failures as the policy says.
pub(crate) async fn embed_batch(
    inner: &Inner,
    batch: Vec<String>,
) -> Result<Vec<Vec<f32>>, EmbeddingError> {
    let mut attempt = 0u32;
    loop {
        match embed_batch_once(inner, &batch).await {
            Ok(vectors) => return Ok(vectors),
            Err(f) if f.retryable && attempt < inner.retry.max_retries => {
                tokio::time::sleep(inner.retry.delay(attempt)).await;
                attempt += 1;
            }
            Err(f) => return Err(gave_up(f.error, attempt + 1, f.retryable)),
        }
    }
}

/// Says how many attempts were made when a transient failure persisted.
fn gave_up(error: EmbeddingError, attempts: u32, retryable: bool) -> EmbeddingError {
    if !retryable || attempts < 2 {
        return error;
    }
    let note = format!(" (gave up after {attempts} attempts)");
    match error {
        EmbeddingError::Http { status, message } => EmbeddingError::Http {
            status,
            message: message + &note,
        },
        EmbeddingError::Transport(message) => EmbeddingError::Transport(message + &note),
        other => other,
    }
}

/// Sends one request for `batch` and checks the answer: one vector per input, each
/// index exactly once, all of one length.
async fn embed_batch_once(inner: &Inner, batch: &[String]) -> Result<Vec<Vec<f32>>, Failure> {
    let request = CreateEmbeddingRequest {
        model: inner.model.clone(),
        input: EmbeddingInput::StringArray(batch.to_vec()),
        encoding_format: None,
        user: None,
        dimensions: inner.dimensions,
    };
    let url = format!("{}/embeddings", inner.base_url);
    let response = inner
        .client
        .embeddings()
        .create(request)
        .await
        .map_err(|e| classify(e, &url))?;

    let malformed = |msg: String| {
        Failure::permanent(EmbeddingError::MalformedResponse(format!("{url}: {msg}")))
    };
    if response.data.len() != batch.len() {
        return Err(malformed(format!(
            "sent {} inputs, got {} embeddings",
            batch.len(),
            response.data.len()
        )));
    }
    let mut slots: Vec<Option<Vec<f32>>> = vec![None; batch.len()];
    for item in response.data {
        let index = item.index as usize;
        match slots.get_mut(index) {
            Some(slot @ None) => *slot = Some(item.embedding),
            Some(Some(_)) => {
                return Err(malformed(format!("embedding index {index} appears twice")))
            }
            None => {
                return Err(malformed(format!(
                    "embedding index {index} is out of range for {} inputs",
                    batch.len()
                )))
            }
        }
    }
    // Every slot is filled: there are as many items as slots and no index repeats.
    let vectors: Vec<Vec<f32>> = slots.into_iter().flatten().collect();
    if vectors.iter().flatten().any(|x| !x.is_finite()) {
        return Err(malformed(
            "an embedding contains a non-finite number".into(),
        ));
    }
    Ok(vectors)
}
