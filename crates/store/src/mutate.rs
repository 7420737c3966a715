//! Delete, get by ids and merge (LangChain §8), all-or-nothing.

use std::collections::{HashMap, HashSet};

use ferrofaiss_docstore::Document;
use ferrofaiss_index::{FlatIndex, IdSelector, Index};

use crate::error::StoreError;
use crate::store::FaissStore;

impl FaissStore {
    /// Deletes documents by id and returns how many went (LangChain `delete`, which
    /// returns `True`). The remaining rows keep their order and are renumbered densely,
    /// e.g. `{0: a, 1: b, 2: c}` minus `b` gives `{0: a, 1: c}`.
    ///
    /// Fails without changing anything on: no ids ([`StoreError::NoIdsToDelete`]), an
    /// id given twice ([`StoreError::DuplicateIds`]; LangChain deletes part and then
    /// raises), an id not in the store ([`StoreError::UnknownIds`]).
    pub fn delete<S: AsRef<str>>(&mut self, ids: &[S]) -> Result<usize, StoreError> {
        if ids.is_empty() {
            return Err(StoreError::NoIdsToDelete);
        }
        let mut doomed = HashSet::with_capacity(ids.len());
        let duplicates: Vec<String> = ids
            .iter()
            .map(AsRef::as_ref)
            .filter(|id| !doomed.insert(*id))
            .map(str::to_owned)
            .collect();
        if !duplicates.is_empty() {
            return Err(StoreError::DuplicateIds(duplicates));
        }
        let unknown: Vec<String> = ids
            .iter()
            .map(AsRef::as_ref)
            .filter(|id| !self.docstore.contains(id))
            .map(str::to_owned)
            .collect();
        if !unknown.is_empty() {
            return Err(StoreError::UnknownIds(unknown));
        }
        let rows: Vec<usize> = self
            .index_to_docstore_id
            .iter()
            .enumerate()
            .filter(|(_, id)| doomed.contains(id.as_str()))
            .map(|(row, _)| row)
            .collect();
        self.remove_rows(&rows)?;
        self.docstore
            .delete(ids.iter().map(AsRef::as_ref))
            .map_err(|e| StoreError::Inconsistent(e.to_string()))?;
        self.index_to_docstore_id
            .retain(|id| !doomed.contains(id.as_str()));
        Ok(rows.len())
    }

    /// Removes index rows so that the survivors keep their order at positions
    /// `0..n`. A flat index shifts its rows itself (as Faiss does); any other index is
    /// rebuilt from its stored vectors on a copy, so a failure changes nothing.
    fn remove_rows(&mut self, rows: &[usize]) -> Result<(), StoreError> {
        // The rows change: the metadata index is rebuilt on its next use.
        self.metadata_index.clear();
        let selector = IdSelector::batch(rows.iter().map(|&r| r as i64));
        if self.index.as_any().is::<FlatIndex>() {
            self.index.remove_ids(&selector)?;
            return Ok(());
        }
        let doomed: HashSet<usize> = rows.iter().copied().collect();
        let mut survivors =
            Vec::with_capacity(self.len().saturating_sub(rows.len()) * self.dimension());
        for row in (0..self.len()).filter(|r| !doomed.contains(r)) {
            survivors.extend(self.vector_at(row)?);
        }
        let mut rebuilt = self.index.clone_box();
        rebuilt.reset();
        let old = std::mem::replace(&mut self.index, rebuilt);
        if let Err(e) = self.add_rows(&survivors) {
            self.index = old;
            return Err(e);
        }
        Ok(())
    }

    /// The stored documents with these ids, in the order asked, skipping unknown ids
    /// and repeating repeated ones (LangChain `get_by_ids`; never fails).
    pub fn get_by_ids<S: AsRef<str>>(&self, ids: &[S]) -> Vec<Document> {
        self.docstore.get_many(ids).into_iter().cloned().collect()
    }

    /// Appends copies of another store's vectors and documents after ours, in its row
    /// order (LangChain `merge_from`). `other` is left as it was; LangChain moves the
    /// vectors out of it and leaves it inconsistent. The vectors are added as new rows
    /// (an IVF index assigns them with its own quantizer), so every document of both
    /// stores is found afterwards, for every index kind; Faiss's own `merge_from`
    /// would keep an id map's colliding ids or the other side's list assignment.
    ///
    /// Fails without changing anything when the dimensions, metrics or index types
    /// differ ([`StoreError::IncompatibleMerge`]) or an id of `other` is already here
    /// ([`StoreError::IdsAlreadyExist`]; LangChain merges the vectors first).
    pub fn merge_from(&mut self, other: &FaissStore) -> Result<(), StoreError> {
        // The rows change: the metadata index is rebuilt on its next use.
        self.metadata_index.clear();
        let (mine, theirs) = (&*self.index, &*other.index);
        if mine.dimension() != theirs.dimension() {
            return Err(StoreError::IncompatibleMerge(format!(
                "dimension {} vs {}",
                mine.dimension(),
                theirs.dimension()
            )));
        }
        if mine.type_name() != theirs.type_name() || mine.metric() != theirs.metric() {
            return Err(StoreError::IncompatibleMerge(format!(
                "can only merge indexes of the same type: {} ({:?}) vs {} ({:?})",
                mine.type_name(),
                mine.metric(),
                theirs.type_name(),
                theirs.metric()
            )));
        }
        let existing: Vec<String> = other
            .index_to_docstore_id
            .iter()
            .filter(|id| self.docstore.contains(id))
            .cloned()
            .collect();
        if !existing.is_empty() {
            return Err(StoreError::IdsAlreadyExist(existing));
        }
        let docs: Vec<(String, Document)> = (0..other.len())
            .map(|row| {
                other
                    .doc_at_row(row)
                    .map(|doc| (other.index_to_docstore_id[row].clone(), doc.clone()))
            })
            .collect::<Result<_, _>>()?;
        // The other side's vectors are appended as new rows, whatever the index kind:
        // an id map's own merge would keep the other side's ids (rows `0..m` there,
        // colliding with ours), and an IVF merge would keep vectors in the lists of
        // the other side's centroids, where our quantizer never probes for them.
        let incoming = other.vectors_in_row_order()?;
        let before = self.index_to_docstore_id.len();
        if self.index.is_trained() {
            self.add_rows(&incoming)?;
        } else {
            // An empty IVF store is trained on its first batch, as `add` does.
            let mut trained = self.index.clone_box();
            trained.train(&incoming)?;
            let untrained = std::mem::replace(&mut self.index, trained);
            if let Err(e) = self.add_rows(&incoming) {
                self.index = untrained;
                return Err(e);
            }
        }
        if let Err(e) = self.docstore.add(docs) {
            // Unreachable after the id check above; restore the index to stay whole.
            let total = self.index.ntotal() as i64;
            self.index
                .remove_ids(&IdSelector::range(before as i64, total))?;
            return Err(StoreError::Inconsistent(e.to_string()));
        }
        self.index_to_docstore_id
            .extend(other.index_to_docstore_id.iter().cloned());
        Ok(())
    }

    /// Every stored vector, row after row (`len() * dimension()` values), read in one
    /// pass over the index.
    fn vectors_in_row_order(&self) -> Result<Vec<f32>, StoreError> {
        let d = self.dimension();
        let mut flat = vec![0.0f32; self.len() * d];
        let mut misplaced = None;
        self.index
            .for_each_vector(&mut |label, v| match usize::try_from(label)
                .ok()
                .and_then(|row| flat.get_mut(row * d..(row + 1) * d))
            {
                Some(slot) => slot.copy_from_slice(v),
                None => misplaced = Some(label),
            })?;
        match misplaced {
            Some(label) => Err(StoreError::Inconsistent(format!(
                "index label {label} is not a row of this store"
            ))),
            None => Ok(flat),
        }
    }

    /// Row of each id, for callers that need positions (e.g. tests and tools).
    pub fn rows_by_id(&self) -> HashMap<&str, usize> {
        self.index_to_docstore_id
            .iter()
            .enumerate()
            .map(|(row, id)| (id.as_str(), row))
            .collect()
    }
}
