//! Vectors that stay in a read-only memory map of a `.faiss` file, searched in place
//! (issue 9's zero-copy open): opening a 512 MB flat file then costs the mapping and
//! a header parse, not a copy; an IVF file, the parse and a copy of the ids.
//!
//! The floats of a flat file start at byte 45, and an IVF file's lists wherever the
//! header before them ends, so floats are carried as [`flatl2_kernel::Rows`] (storage
//! at any address), never as a `&[f32]`.
//!
//! What happens if the file changes while it is mapped: this crate's own writers never
//! modify an index file in place (they write a new file and rename it over the old
//! one), so saving over a mapped index leaves the mapping reading the old, whole file.
//! Another program that truncates or rewrites the file in place can make later reads
//! of the mapping see changed bytes or, past a truncation, fault (SIGBUS); the
//! operating system gives no way to turn that into an error. Whoever shares index
//! files with such programs opens them with a copy (`ReadOptions { mmap: false }`).

use std::sync::Arc;

use flatl2_kernel::Rows;

/// `floats` little-endian `f32`s at byte `start` of a shared read-only mapping.
#[derive(Clone)]
pub(crate) struct MappedVectors {
    map: Arc<memmap2::Mmap>,
    start: usize,
    floats: usize,
}

impl std::fmt::Debug for MappedVectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedVectors")
            .field("start", &self.start)
            .field("floats", &self.floats)
            .finish()
    }
}

impl MappedVectors {
    /// The floats at bytes `start..start + 4 * floats` of `map`, or `None` when that
    /// range is not inside the mapping or the target cannot read little-endian floats
    /// in place (big-endian).
    pub(crate) fn new(map: Arc<memmap2::Mmap>, start: usize, floats: usize) -> Option<Self> {
        let end = floats.checked_mul(4)?.checked_add(start)?;
        let mapped = MappedVectors { map, start, floats };
        (end <= mapped.map.len() && Rows::from_le_bytes(&mapped.map[start..end]).is_ok())
            .then_some(mapped)
    }

    /// The mapped floats.
    pub(crate) fn rows(&self) -> Rows<'_> {
        let bytes = &self.map[self.start..self.start + 4 * self.floats];
        // Checked in `new`: the range is inside the mapping, a multiple of 4 bytes, and
        // the target little-endian; the fallback is never taken.
        Rows::from_le_bytes(bytes).unwrap_or(Rows::from(&[] as &[f32]))
    }

    /// Number of floats.
    pub(crate) fn len(&self) -> usize {
        self.floats
    }
}

/// The codes of every list of an IVF index where they lie in a shared read-only
/// mapping of its file: list `l`'s codes are the bytes from `starts[l]` on (as many as
/// the list's length times the code size; the index keeps the lengths).
#[derive(Clone)]
pub(crate) struct MappedLists {
    map: Arc<memmap2::Mmap>,
    starts: Vec<usize>,
}

impl std::fmt::Debug for MappedLists {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedLists")
            .field("lists", &self.starts.len())
            .finish()
    }
}

impl MappedLists {
    /// The codes of list `l` start at byte `starts[l]` of `map`.
    pub(crate) fn new(map: Arc<memmap2::Mmap>, starts: Vec<usize>) -> Self {
        MappedLists { map, starts }
    }

    /// Number of lists.
    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }

    /// The `bytes` bytes of list `l`, or `None` when they are not inside the mapping.
    pub(crate) fn list(&self, l: usize, bytes: usize) -> Option<&[u8]> {
        let start = *self.starts.get(l)?;
        self.map.get(start..start.checked_add(bytes)?)
    }
}
