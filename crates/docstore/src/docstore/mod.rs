//! LangChain's `InMemoryDocstore`: documents by id, in insertion order.
//!
//! Every changing operation validates its whole batch first and then applies it, so a
//! refused add or delete changes nothing. The `check_*` methods run that validation
//! alone, so that a store composing the docstore with an index can validate both before
//! changing either.
//!
//! ```
//! use ferrofaiss_docstore::{Document, InMemoryDocstore};
//!
//! let mut store = InMemoryDocstore::new();
//! store.add([("a".to_string(), Document::new("first").with_id("a"))]).unwrap();
//! assert_eq!(store.search("a").unwrap().page_content, "first");
//! assert_eq!(store.search("b").unwrap_err().to_string(), "ID b not found.");
//!
//! // Validate first, then apply: a store can check its index the same way in between.
//! store.check_delete(["a"]).unwrap();
//! let removed = store.delete(["a"]).unwrap();
//! assert_eq!(removed[0].page_content, "first");
//! assert!(store.is_empty());
//! ```

mod error;

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

pub use error::DocstoreError;

use crate::document::Document;

/// Batches up to this size are removed one by one; longer ones in one pass.
const SMALL_DELETE: usize = 8;

/// The hasher of the id map and of every set of ids: foldhash, seeded per process
/// (search hits look documents up by id, and SipHash, the standard one, cost more than
/// the rest of a lookup).
type IdHasher = foldhash::fast::RandomState;

/// Documents by id, in insertion order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InMemoryDocstore {
    docs: IndexMap<String, Document, IdHasher>,
}

impl InMemoryDocstore {
    /// An empty docstore.
    pub fn new() -> Self {
        Self::default()
    }

    /// A docstore holding these `(id, document)` pairs, in order. Fails like
    /// [`InMemoryDocstore::add`] on a repeated id.
    pub fn from_pairs<I>(pairs: I) -> Result<Self, DocstoreError>
    where
        I: IntoIterator<Item = (String, Document)>,
    {
        // Into an empty map, a repeated id is the only way to fail: one hash per id (a
        // million-document load spent a tenth of its time on `add`'s separate checks).
        let pairs = pairs.into_iter();
        let mut docs = IndexMap::with_capacity_and_hasher(pairs.size_hint().0, IdHasher::default());
        for (id, doc) in pairs {
            match docs.entry(id) {
                indexmap::map::Entry::Occupied(taken) => {
                    return Err(DocstoreError::DuplicateInBatch {
                        id: taken.key().clone(),
                    })
                }
                indexmap::map::Entry::Vacant(slot) => {
                    slot.insert(doc);
                }
            }
        }
        Ok(InMemoryDocstore { docs })
    }

    /// How many documents it holds.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether it holds no document.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Whether a document is stored under this id.
    pub fn contains(&self, id: &str) -> bool {
        self.docs.contains_key(id)
    }

    /// Where the document under this id sits in insertion order (`0..len`), if any.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.docs.get_index_of(id)
    }

    /// The document under this id, if any.
    pub fn get(&self, id: &str) -> Option<&Document> {
        self.docs.get(id)
    }

    /// LangChain's `search(id)`: the document, or [`DocstoreError::NotFound`]
    /// (`ID {id} not found.`).
    pub fn search(&self, id: &str) -> Result<&Document, DocstoreError> {
        self.docs
            .get(id)
            .ok_or_else(|| DocstoreError::NotFound { id: id.to_owned() })
    }

    /// The documents under these ids, in the order asked, skipping missing ids and
    /// repeating repeated ones (LangChain's `get_by_ids`).
    pub fn get_many<I, S>(&self, ids: I) -> Vec<&Document>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        ids.into_iter()
            .filter_map(|id| self.docs.get(id.as_ref()))
            .collect()
    }

    /// The ids, in insertion order.
    pub fn ids(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.docs.keys().map(String::as_str)
    }

    /// `(id, document)` pairs, in insertion order.
    pub fn iter(&self) -> Iter<'_> {
        self.into_iter()
    }

    /// Checks that [`InMemoryDocstore::add`] would accept these ids, without changing
    /// anything: no id repeated within the batch ([`DocstoreError::DuplicateInBatch`]),
    /// none already stored ([`DocstoreError::AlreadyExist`]).
    pub fn check_add<I, S>(&self, ids: I) -> Result<(), DocstoreError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let ids: Vec<S> = ids.into_iter().collect();
        let ids: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
        let mut seen = HashSet::with_capacity_and_hasher(ids.len(), IdHasher::default());
        if let Some(id) = ids.iter().find(|id| !seen.insert(**id)) {
            return Err(DocstoreError::DuplicateInBatch {
                id: (*id).to_owned(),
            });
        }
        let existing: Vec<String> = ids
            .iter()
            .copied()
            .filter(|id| self.contains(id))
            .map(str::to_owned)
            .collect();
        if existing.is_empty() {
            Ok(())
        } else {
            Err(DocstoreError::AlreadyExist { ids: existing })
        }
    }

    /// Adds `(id, document)` pairs at the end, in order; all or none (see
    /// [`InMemoryDocstore::check_add`]). The document's own `id` field is kept as given.
    pub fn add<I>(&mut self, docs: I) -> Result<(), DocstoreError>
    where
        I: IntoIterator<Item = (String, Document)>,
    {
        if self.docs.is_empty() {
            // Into an empty docstore, one hash per id as `from_pairs` does (no batch
            // gathered first); a refused batch leaves it empty.
            *self = Self::from_pairs(docs)?;
            return Ok(());
        }
        let docs: Vec<(String, Document)> = docs.into_iter().collect();
        self.check_add(docs.iter().map(|(id, _)| id))?;
        self.docs.reserve(docs.len());
        self.docs.extend(docs);
        Ok(())
    }

    /// Checks that [`InMemoryDocstore::delete`] would accept these ids, without changing
    /// anything: at least one of them is stored ([`DocstoreError::NoneExist`]), and each
    /// is stored and named once ([`DocstoreError::CannotDelete`] names the first that is
    /// not).
    pub fn check_delete<I, S>(&self, ids: I) -> Result<(), DocstoreError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let ids: Vec<S> = ids.into_iter().collect();
        if !ids.iter().any(|id| self.contains(id.as_ref())) {
            return Err(DocstoreError::NoneExist {
                ids: ids.iter().map(|id| id.as_ref().to_owned()).collect(),
            });
        }
        let mut seen = HashSet::with_capacity_and_hasher(ids.len(), IdHasher::default());
        match ids
            .iter()
            .map(AsRef::as_ref)
            .find(|id| !self.contains(id) || !seen.insert(*id))
        {
            Some(id) => Err(DocstoreError::CannotDelete { id: id.to_owned() }),
            None => Ok(()),
        }
    }

    /// Removes the documents under these ids and returns them in the order asked; all or
    /// none (see [`InMemoryDocstore::check_delete`]). The others keep their order.
    pub fn delete<I, S>(&mut self, ids: I) -> Result<Vec<Document>, DocstoreError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let ids: Vec<S> = ids.into_iter().collect();
        self.check_delete(ids.iter().map(AsRef::as_ref))?;
        if ids.len() <= SMALL_DELETE {
            return Ok(ids
                .iter()
                .filter_map(|id| self.docs.shift_remove(id.as_ref()))
                .collect());
        }
        let doomed: HashSet<&str, IdHasher> = ids.iter().map(AsRef::as_ref).collect();
        let mut removed = HashMap::with_capacity_and_hasher(ids.len(), IdHasher::default());
        let old = std::mem::take(&mut self.docs);
        self.docs.reserve(old.len() - ids.len());
        for (id, doc) in old {
            if doomed.contains(id.as_str()) {
                removed.insert(id, doc);
            } else {
                self.docs.insert(id, doc);
            }
        }
        Ok(ids
            .iter()
            .filter_map(|id| removed.remove(id.as_ref()))
            .collect())
    }
}

impl<'a> IntoIterator for &'a InMemoryDocstore {
    type Item = (&'a str, &'a Document);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        Iter {
            inner: self.docs.iter(),
        }
    }
}

impl IntoIterator for InMemoryDocstore {
    type Item = (String, Document);
    type IntoIter = IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        IntoIter {
            inner: self.docs.into_iter(),
        }
    }
}

/// Borrowing iterator over `(id, document)` pairs in insertion order.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    inner: indexmap::map::Iter<'a, String, Document>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a Document);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|(id, doc)| (id.as_str(), doc))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// Owning iterator over `(id, document)` pairs in insertion order.
#[derive(Debug)]
pub struct IntoIter {
    inner: indexmap::map::IntoIter<String, Document>,
}

impl Iterator for IntoIter {
    type Item = (String, Document);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for IntoIter {}
