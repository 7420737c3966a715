//! Adding texts, documents and precomputed vectors. Every input is validated before
//! the store changes, so a failing add leaves it untouched (LangChain adds the vectors
//! and then fails on an existing id).

use ferrofaiss_docstore::{Document, Metadata};
use ferrofaiss_index::{Index, RowBuffer};

use crate::batch::{embed_batch, prepare_batch, split_documents};
use crate::error::StoreError;
use crate::store::FaissStore;
use crate::vectors::{flatten_checked, normalize_rows, release_rows};

impl FaissStore {
    /// Embeds `texts` in one call and adds them (LangChain `add_texts`). Returns the
    /// ids, generated (uuid v4) where `ids` is `None` or empty.
    ///
    /// Fails without changing the store on: no texts, `metadatas`/`ids` of another
    /// length, duplicate ids in the call, ids already stored, vectors of the wrong
    /// dimension or with NaN.
    pub fn add_texts<S: AsRef<str>>(
        &mut self,
        texts: &[S],
        metadatas: Option<Vec<Metadata>>,
        ids: Option<Vec<String>>,
    ) -> Result<Vec<String>, StoreError> {
        let texts: Vec<String> = texts.iter().map(|t| t.as_ref().to_string()).collect();
        let (ids, metadatas) = prepare_batch(texts.len(), metadatas, ids)?;
        self.check_new_ids(&ids)?;
        let vectors = embed_batch(&*self.embedder, &texts)?;
        self.insert(texts, vectors, metadatas, ids)
    }

    /// Adds documents (LangChain `add_documents`): `ids`, when given, win over the
    /// documents' own ids; documents without an id get a uuid v4.
    pub fn add_documents(
        &mut self,
        documents: Vec<Document>,
        ids: Option<Vec<String>>,
    ) -> Result<Vec<String>, StoreError> {
        let (texts, metadatas, ids) = split_documents(documents, ids);
        self.add_texts(&texts, Some(metadatas), ids)
    }

    /// Adds `(text, vector)` pairs without embedding (LangChain `add_embeddings`).
    pub fn add_embeddings(
        &mut self,
        text_embeddings: Vec<(String, Vec<f32>)>,
        metadatas: Option<Vec<Metadata>>,
        ids: Option<Vec<String>>,
    ) -> Result<Vec<String>, StoreError> {
        let (texts, vectors): (Vec<String>, Vec<Vec<f32>>) = text_embeddings.into_iter().unzip();
        let (ids, metadatas) = prepare_batch(texts.len(), metadatas, ids)?;
        self.insert(texts, vectors, metadatas, ids)
    }

    /// Fails with [`StoreError::IdsAlreadyExist`] if any id is already stored.
    pub(crate) fn check_new_ids(&self, ids: &[String]) -> Result<(), StoreError> {
        let existing: Vec<String> = ids
            .iter()
            .filter(|id| self.docstore.contains(id))
            .cloned()
            .collect();
        if existing.is_empty() {
            Ok(())
        } else {
            Err(StoreError::IdsAlreadyExist(existing))
        }
    }

    /// The core of every add (LangChain's `__add`), all checks first: ids and
    /// metadatas were prepared by [`prepare_batch`]; here the vectors are checked,
    /// normalized if asked, and index, docstore and map are extended together.
    pub(crate) fn insert(
        &mut self,
        texts: Vec<String>,
        vectors: Vec<Vec<f32>>,
        metadatas: Vec<Metadata>,
        ids: Vec<String>,
    ) -> Result<Vec<String>, StoreError> {
        let n = texts.len();
        if vectors.len() != n {
            return Err(StoreError::LengthMismatch {
                what: "vectors",
                texts: n,
                got: vectors.len(),
            });
        }
        self.check_new_ids(&ids)?;
        let dim = self.index.dimension();
        let mut flat = flatten_checked(&vectors, dim)?;
        release_rows(vectors, dim);
        if self.normalize_l2 {
            normalize_rows(&mut flat, dim);
        }
        if !self.index.is_trained() {
            self.index.train(&flat)?;
        }
        self.add_rows_owned(flat)?;
        let docs = ids
            .iter()
            .zip(texts)
            .zip(metadatas)
            .map(|((id, text), metadata)| {
                (
                    id.clone(),
                    Document {
                        id: Some(id.clone()),
                        page_content: text,
                        metadata,
                    },
                )
            });
        if let Err(e) = self.docstore.add(docs) {
            // Unreachable after check_new_ids; undo the rows so the store stays whole.
            self.truncate_rows(self.index_to_docstore_id.len())?;
            return Err(StoreError::Inconsistent(e.to_string()));
        }
        self.index_to_docstore_id.extend(ids.iter().cloned());
        Ok(ids)
    }

    /// Appends rows to the index; their labels are their row positions. Index kinds
    /// that only take explicit ids (id maps) get the row positions as ids.
    pub(crate) fn add_rows(&mut self, flat: &[f32]) -> Result<(), StoreError> {
        // The rows change: the metadata index is rebuilt on its next use.
        self.metadata_index.clear();
        if self.index.labels_are_external_ids() {
            let start = self.index.ntotal() as i64;
            let n = flat.len().checked_div(self.index.dimension()).unwrap_or(0) as i64;
            let labels: Vec<i64> = (start..start + n).collect();
            Ok(self.index.add_with_ids(flat, &labels)?)
        } else {
            Ok(self.index.add(flat)?)
        }
    }

    /// [`FaissStore::add_rows`] of a buffer the store is done with: a flat index keeps it
    /// rather than copying it.
    fn add_rows_owned(&mut self, flat: RowBuffer) -> Result<(), StoreError> {
        if self.index.labels_are_external_ids() {
            return self.add_rows(&flat);
        }
        self.metadata_index.clear();
        Ok(self.index.add_owned(flat)?)
    }

    /// Removes the index rows from `keep` on (used only to undo a failed add).
    fn truncate_rows(&mut self, keep: usize) -> Result<(), StoreError> {
        // The rows change: the metadata index is rebuilt on its next use.
        self.metadata_index.clear();
        let total = self.index.ntotal();
        if total > keep {
            let sel = ferrofaiss_index::IdSelector::range(keep as i64, total as i64);
            self.index.remove_ids(&sel)?;
        }
        Ok(())
    }
}
