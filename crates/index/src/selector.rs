//! Which ids `remove_ids` removes: Faiss's `IDSelectorRange`, `IDSelectorArray` and
//! `IDSelectorBatch`.

use std::collections::HashSet;

/// A set of ids, as Faiss's id selectors describe one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdSelector {
    /// Ids in `min <= id < max` (Faiss `IDSelectorRange`).
    Range {
        /// Smallest id selected.
        min: i64,
        /// One past the largest id selected.
        max: i64,
    },
    /// The ids listed (Faiss `IDSelectorArray`; duplicates are harmless).
    Array(Vec<i64>),
    /// The ids in a hash set (Faiss `IDSelectorBatch`).
    Batch(HashSet<i64>),
}

impl IdSelector {
    /// A `Batch` selector of the given ids.
    pub fn batch<I: IntoIterator<Item = i64>>(ids: I) -> IdSelector {
        IdSelector::Batch(ids.into_iter().collect())
    }

    /// A set of ids: the same as [`IdSelector::batch`] (Faiss's `IDSelectorBatch`).
    pub fn set<I: IntoIterator<Item = i64>>(ids: I) -> IdSelector {
        IdSelector::batch(ids)
    }

    /// A `Range` selector of `min <= id < max`.
    pub fn range(min: i64, max: i64) -> IdSelector {
        IdSelector::Range { min, max }
    }

    /// A membership test that is O(1) per id for every variant (an `Array` is hashed
    /// once here).
    pub fn matcher(&self) -> IdMatcher<'_> {
        match self {
            IdSelector::Range { min, max } => IdMatcher::Range(*min, *max),
            IdSelector::Array(ids) => IdMatcher::Owned(ids.iter().copied().collect()),
            IdSelector::Batch(set) => IdMatcher::Borrowed(set),
        }
    }

    /// Whether `id` is selected (O(n) for `Array`; use [`IdSelector::matcher`] in loops).
    pub fn is_member(&self, id: i64) -> bool {
        match self {
            IdSelector::Range { min, max } => *min <= id && id < *max,
            IdSelector::Array(ids) => ids.contains(&id),
            IdSelector::Batch(set) => set.contains(&id),
        }
    }

    /// The selected ids when the selector lists them (`Array`, `Batch`); `None` for a
    /// range.
    pub fn listed_ids(&self) -> Option<Vec<i64>> {
        match self {
            IdSelector::Range { .. } => None,
            IdSelector::Array(ids) => Some(ids.clone()),
            IdSelector::Batch(set) => Some(set.iter().copied().collect()),
        }
    }
}

/// A prepared membership test, see [`IdSelector::matcher`].
#[derive(Debug)]
pub enum IdMatcher<'a> {
    /// `min <= id < max`.
    Range(i64, i64),
    /// Ids hashed from an `Array` selector.
    Owned(HashSet<i64>),
    /// The set of a `Batch` selector.
    Borrowed(&'a HashSet<i64>),
}

impl IdMatcher<'_> {
    /// Whether `id` is selected.
    #[inline]
    pub fn contains(&self, id: i64) -> bool {
        match self {
            IdMatcher::Range(min, max) => *min <= id && id < *max,
            IdMatcher::Owned(set) => set.contains(&id),
            IdMatcher::Borrowed(set) => set.contains(&id),
        }
    }
}
