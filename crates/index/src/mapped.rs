//! Vectors that stay in a read-only memory map of a `.faiss` file, searched in place
//! (issue 9's zero-copy open): opening a 512 MB flat file then costs the mapping and
//! a header parse, not a copy; an IVF file, the parse and a copy of the ids. IVF lists
//! read with a copy, or made from parts, are searched the same way from one array of
//! this process's memory they are packed into ([`MappedLists::packed`]).
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

/// The codes of every list of an IVF index where they lie in one shared read-only run
/// of bytes: a mapping of its file, or memory they were packed into
/// ([`MappedLists::packed`]). List `l`'s codes are the bytes from `starts[l]` on (as
/// many as the list's length times the code size; the index keeps the lengths).
#[derive(Clone)]
pub(crate) struct MappedLists {
    bytes: Arc<dyn AsRef<[u8]> + Send + Sync>,
    starts: Vec<usize>,
    /// Whether `bytes` is a file's mapping (else memory of this process).
    in_file: bool,
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
        MappedLists {
            bytes: map,
            starts,
            in_file: true,
        }
    }

    /// The codes of `lists` moved, list after list, into one array in memory advised
    /// for transparent huge pages (see [`crate::huge_pages`]), the lists left holding
    /// their ids only; `None` (nothing moved) where the codes are under
    /// [`crate::huge_pages::HUGE_FROM`] bytes in all, or the target is big-endian (the
    /// codes are read back as little-endian bytes), or not Linux (no huge pages asked
    /// for).
    ///
    /// Why: a lone query streams its probed lists, and with 4 KiB pages each 4 KiB of
    /// codes first misses the TLB. On an Intel Xeon host, 16 lists of 512 KB were read
    /// at 14.0 GB/s from 4 KiB pages and at 16.7 GB/s from huge pages (2026-12-08). One
    /// list's `Vec` (512 KB here) can never be a 2 MiB page.
    pub(crate) fn packed<T: bytemuck::Pod>(
        lists: &mut [crate::ivf::InvertedList<T>],
    ) -> Option<MappedLists> {
        if cfg!(target_endian = "big") || cfg!(not(target_os = "linux")) {
            return None;
        }
        let total = lists.iter().try_fold(0usize, |sum, l| {
            sum.checked_add(std::mem::size_of_val(l.codes.as_slice()))
        })?;
        if total < crate::huge_pages::HUGE_FROM {
            return None;
        }
        let mut bytes = crate::huge_pages::PageVec::<u8>::new();
        bytes.use_huge_pages();
        bytes.reserve(total);
        let mut starts = Vec::with_capacity(lists.len());
        for list in lists.iter_mut() {
            starts.push(bytes.len());
            bytes.extend_from_slice(bytemuck::cast_slice(&list.codes));
            // Freed list by list: the codes are held twice one list at a time.
            list.codes = Vec::new();
        }
        Some(MappedLists {
            bytes: Arc::new(bytes),
            starts,
            in_file: false,
        })
    }

    /// Whether the codes lie in a file's mapping (not packed in memory).
    pub(crate) fn in_file(&self) -> bool {
        self.in_file
    }

    /// Number of lists.
    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }

    /// The `bytes` bytes of list `l`, or `None` when they are not inside the mapping.
    pub(crate) fn list(&self, l: usize, bytes: usize) -> Option<&[u8]> {
        let start = *self.starts.get(l)?;
        (*self.bytes).as_ref().get(start..start.checked_add(bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ivf::InvertedList;

    /// Lists of `sizes` entries of `units` floats each, every value distinct.
    fn lists(sizes: &[usize], units: usize) -> Vec<InvertedList<f32>> {
        let mut next = 0.0f32;
        sizes
            .iter()
            .map(|&n| {
                let codes = (0..n * units)
                    .map(|_| {
                        next += 1.0;
                        next
                    })
                    .collect();
                InvertedList::new((0..n as i64).collect(), codes)
            })
            .collect()
    }

    #[test]
    fn packed_lists_read_back_their_codes_and_keep_their_ids() {
        // 67 floats per entry: lists start at every 4-byte offset; an empty list too.
        let sizes = [9000, 0, 1, 6000, 777];
        let kept = lists(&sizes, 67);
        let mut moved = kept.clone();
        let packed = MappedLists::packed(&mut moved);
        if cfg!(any(target_endian = "big", not(target_os = "linux"))) {
            assert!(packed.is_none());
            return;
        }
        let packed = packed.expect("over HUGE_FROM bytes of codes");
        assert!(!packed.in_file());
        assert_eq!(packed.len(), sizes.len());
        for (l, (a, b)) in kept.iter().zip(&moved).enumerate() {
            assert_eq!(a.ids, b.ids, "list {l}");
            assert!(b.codes.is_empty(), "list {l}");
            let bytes = packed.list(l, 4 * a.codes.len()).expect("inside");
            let back: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            assert_eq!(back, a.codes, "list {l}");
        }
        // Past the last list's codes: nothing.
        let last = sizes.len() - 1;
        assert!(packed.list(last, 4 * 67 * sizes[last] + 1).is_none());
    }

    #[test]
    fn small_lists_stay_where_they_are() {
        let kept = lists(&[100, 200], 16);
        let mut moved = kept.clone();
        assert!(MappedLists::packed(&mut moved).is_none());
        assert_eq!(moved, kept);
    }
}
