//! A set of ids, as Faiss's id selectors describe one: which ids `remove_ids` removes,
//! and which ids a search may return (`SearchParams::selector`, Faiss's
//! `SearchParameters.sel`). `IDSelectorRange`, `IDSelectorArray`, `IDSelectorBatch` and
//! `IDSelectorBitmap`.

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
    /// Id `i` is selected when bit `i % 64` of word `i / 64` is set (Faiss
    /// `IDSelectorBitmap`, with 64-bit words); ids past the end are not selected.
    Bitmap(Vec<u64>),
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

    /// A `Bitmap` selector of the ids `i` with `selected[i]`.
    pub fn bitmap(selected: &[bool]) -> IdSelector {
        let mut words = vec![0u64; selected.len().div_ceil(64)];
        for (i, _) in selected.iter().enumerate().filter(|(_, &s)| s) {
            words[i / 64] |= 1 << (i % 64);
        }
        IdSelector::Bitmap(words)
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
            IdSelector::Bitmap(words) => IdMatcher::Bitmap(words),
        }
    }

    /// Whether `id` is selected (O(n) for `Array`; use [`IdSelector::matcher`] in loops).
    pub fn is_member(&self, id: i64) -> bool {
        match self {
            IdSelector::Range { min, max } => *min <= id && id < *max,
            IdSelector::Array(ids) => ids.contains(&id),
            IdSelector::Batch(set) => set.contains(&id),
            IdSelector::Bitmap(words) => bit(words, id),
        }
    }

    /// How many ids are selected, when the selector can say without a bound on the id
    /// space (`None` for `Range`).
    pub fn count(&self) -> Option<usize> {
        match self {
            IdSelector::Range { .. } => None,
            IdSelector::Array(ids) => Some(ids.iter().collect::<HashSet<_>>().len()),
            IdSelector::Batch(set) => Some(set.len()),
            IdSelector::Bitmap(words) => Some(words.iter().map(|w| w.count_ones() as usize).sum()),
        }
    }

    /// The selected ids when the selector lists them (`Array`, `Batch`, `Bitmap`, in
    /// ascending order for a bitmap); `None` for a range.
    pub fn listed_ids(&self) -> Option<Vec<i64>> {
        match self {
            IdSelector::Range { .. } => None,
            IdSelector::Array(ids) => Some(ids.clone()),
            IdSelector::Batch(set) => Some(set.iter().copied().collect()),
            IdSelector::Bitmap(words) => {
                let mut ids = Vec::new();
                for (w, &word) in words.iter().enumerate() {
                    let mut rest = word;
                    while rest != 0 {
                        ids.push(w as i64 * 64 + i64::from(rest.trailing_zeros()));
                        rest &= rest - 1;
                    }
                }
                Some(ids)
            }
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
    /// The words of a `Bitmap` selector.
    Bitmap(&'a [u64]),
}

/// Bit `id` of `words` (false for negative ids and ids past the end).
#[inline]
fn bit(words: &[u64], id: i64) -> bool {
    usize::try_from(id)
        .ok()
        .and_then(|i| words.get(i / 64).map(|w| (w >> (i % 64)) & 1 == 1))
        .unwrap_or(false)
}

impl IdMatcher<'_> {
    /// Whether `id` is selected.
    #[inline]
    pub fn contains(&self, id: i64) -> bool {
        match self {
            IdMatcher::Range(min, max) => *min <= id && id < *max,
            IdMatcher::Owned(set) => set.contains(&id),
            IdMatcher::Borrowed(set) => set.contains(&id),
            IdMatcher::Bitmap(words) => bit(words, id),
        }
    }
}
