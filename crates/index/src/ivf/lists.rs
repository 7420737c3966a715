//! One inverted list of an IVF index: the ids and codes of the vectors assigned to one
//! centroid, in insertion order (Faiss `ArrayInvertedLists`). IVF-Flat's codes are the
//! raw vectors (`f32`), IVF-SQ's the scalar quantizer's bytes (`u8`).

/// Ids and codes (`codes`, `ids.len() * units` values, entry after entry) of one list;
/// `units` is the number of code values per vector (`d` floats for IVF-Flat, the code
/// size in bytes for IVF-SQ).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InvertedList<T = f32> {
    /// Stored id of each entry.
    pub ids: Vec<i64>,
    /// Codes of the entries, one after the other.
    pub codes: Vec<T>,
}

impl<T: Copy> InvertedList<T> {
    /// A list from its parts.
    pub fn new(ids: Vec<i64>, codes: Vec<T>) -> InvertedList<T> {
        InvertedList { ids, codes }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the list holds nothing.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The code of entry `offset`, `units` values per entry.
    pub fn code(&self, offset: usize, units: usize) -> Option<&[T]> {
        self.codes.get(offset * units..(offset + 1) * units)
    }

    /// Overwrites entry `dst` with entry `src` (Faiss `update_entry`).
    pub(crate) fn copy_entry(&mut self, src: usize, dst: usize, units: usize) {
        self.ids[dst] = self.ids[src];
        self.codes
            .copy_within(src * units..(src + 1) * units, dst * units);
    }

    pub(crate) fn truncate(&mut self, len: usize, units: usize) {
        self.ids.truncate(len);
        self.codes.truncate(len * units);
    }

    pub(crate) fn clear(&mut self) {
        self.ids.clear();
        self.codes.clear();
    }
}

impl InvertedList<f32> {
    /// The codes as little-endian bytes, as a Faiss file stores them
    /// (`len() * 4 * d` bytes).
    pub fn code_bytes(&self) -> Vec<u8> {
        self.codes.iter().flat_map(|v| v.to_le_bytes()).collect()
    }
}
