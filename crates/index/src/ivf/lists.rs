//! One inverted list of an IVF-Flat index: the ids and raw vectors of the vectors
//! assigned to one centroid, in insertion order (Faiss `ArrayInvertedLists`).

/// Ids and vectors (`codes`, row-major, `ids.len() * d` floats) of one list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InvertedList {
    /// Stored id of each entry.
    pub ids: Vec<i64>,
    /// Raw vectors of the entries, row-major.
    pub codes: Vec<f32>,
}

impl InvertedList {
    /// A list from its parts.
    pub fn new(ids: Vec<i64>, codes: Vec<f32>) -> InvertedList {
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

    /// The vector of entry `offset` for dimension `d`.
    pub fn code(&self, offset: usize, d: usize) -> Option<&[f32]> {
        self.codes.get(offset * d..(offset + 1) * d)
    }

    /// The codes as little-endian bytes, as a Faiss file stores them
    /// (`len() * 4 * d` bytes).
    pub fn code_bytes(&self) -> Vec<u8> {
        self.codes.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    pub(crate) fn push(&mut self, id: i64, code: &[f32]) {
        self.ids.push(id);
        self.codes.extend_from_slice(code);
    }

    /// Overwrites entry `dst` with entry `src` (Faiss `update_entry`).
    pub(crate) fn copy_entry(&mut self, src: usize, dst: usize, d: usize) {
        self.ids[dst] = self.ids[src];
        self.codes.copy_within(src * d..(src + 1) * d, dst * d);
    }

    pub(crate) fn truncate(&mut self, len: usize, d: usize) {
        self.ids.truncate(len);
        self.codes.truncate(len * d);
    }

    pub(crate) fn clear(&mut self) {
        self.ids.clear();
        self.codes.clear();
    }
}
