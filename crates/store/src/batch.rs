//! Shaping and validating a batch of texts before it is embedded, and checking what the
//! embedder returned: the steps of an add that surround the embedding call. The sync
//! store runs them around `Embeddings::embed_documents`; an async layer (the
//! `ferrofaiss-async-store` handle) runs them around its awaited embedding, so both
//! refuse the same inputs with the same errors before anything changes.

use std::collections::HashSet;

use ferrofaiss_docstore::{Document, Metadata};
use ferrofaiss_embeddings::Embeddings;

use crate::error::StoreError;

/// A fresh lowercase, hyphenated uuid v4, as LangChain generates for missing ids.
fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Checks the lengths of `metadatas` and `ids` against `n` texts, generates missing
/// ids (an empty list counts as missing, as in LangChain) and rejects duplicates.
pub fn prepare_batch(
    n: usize,
    metadatas: Option<Vec<Metadata>>,
    ids: Option<Vec<String>>,
) -> Result<(Vec<String>, Vec<Metadata>), StoreError> {
    if n == 0 {
        return Err(StoreError::EmptyInput("texts"));
    }
    let metadatas = match metadatas {
        Some(m) if m.len() != n => {
            return Err(StoreError::LengthMismatch {
                what: "metadatas",
                texts: n,
                got: m.len(),
            })
        }
        Some(m) => m,
        None => vec![Metadata::new(); n],
    };
    let ids = match ids {
        Some(ids) if !ids.is_empty() => ids,
        _ => (0..n).map(|_| new_id()).collect(),
    };
    if ids.len() != n {
        return Err(StoreError::LengthMismatch {
            what: "ids",
            texts: n,
            got: ids.len(),
        });
    }
    // foldhash, as the docstore's id map: SipHash took a tenth of a 100k-document
    // `from_embeddings`.
    let mut seen = HashSet::with_capacity_and_hasher(n, foldhash::fast::RandomState::default());
    let duplicates: Vec<String> = ids
        .iter()
        .filter(|id| !seen.insert(id.as_str()))
        .cloned()
        .collect();
    if !duplicates.is_empty() {
        return Err(StoreError::DuplicateIds(duplicates));
    }
    Ok((ids, metadatas))
}

/// Embeds a batch in one call and checks that one vector came back per text.
pub(crate) fn embed_batch(
    embedder: &dyn Embeddings,
    texts: &[String],
) -> Result<Vec<Vec<f32>>, StoreError> {
    let vectors = embedder.embed_documents(texts)?;
    check_embedding_count(texts.len(), &vectors)?;
    Ok(vectors)
}

/// Checks that an embedder returned one vector per text.
pub fn check_embedding_count(texts: usize, vectors: &[Vec<f32>]) -> Result<(), StoreError> {
    if vectors.len() != texts {
        return Err(StoreError::EmbeddingCount {
            expected: texts,
            got: vectors.len(),
        });
    }
    Ok(())
}

/// Splits documents into texts, metadatas and the ids to use: `ids` when given,
/// otherwise the documents' own ids if any has one (documents without one get a fresh
/// uuid), otherwise `None` (all generated).
pub fn split_documents(
    documents: Vec<Document>,
    ids: Option<Vec<String>>,
) -> (Vec<String>, Vec<Metadata>, Option<Vec<String>>) {
    let any_own_id = documents
        .iter()
        .any(|d| d.id.as_deref().is_some_and(|id| !id.is_empty()));
    let mut texts = Vec::with_capacity(documents.len());
    let mut metadatas = Vec::with_capacity(documents.len());
    let mut own_ids = Vec::with_capacity(documents.len());
    for doc in documents {
        texts.push(doc.page_content);
        metadatas.push(doc.metadata);
        own_ids.push(doc.id.filter(|id| !id.is_empty()).unwrap_or_else(new_id));
    }
    let ids = match ids {
        Some(ids) => Some(ids),
        None if any_own_id => Some(own_ids),
        None => None,
    };
    (texts, metadatas, ids)
}
