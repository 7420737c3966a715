//! The squared norms of an IVF index's 8-bit codes, which the integer scan of its lists
//! (`int_scan.rs`) adds to each code's approximate L2 distance: one cell per list,
//! filled the first time a search scans the list in integers, all emptied by every
//! change to the lists or the codec.

use std::sync::OnceLock;

/// The squared norms of each list's codes for the integer L2 scan, one cell per list,
/// filled on first use.
#[derive(Debug, Clone, Default)]
pub(super) struct ListNorms(Vec<OnceLock<Vec<f32>>>);

impl ListNorms {
    /// No norms known, for `nlist` lists.
    pub(super) fn new(nlist: usize) -> ListNorms {
        ListNorms((0..nlist).map(|_| OnceLock::new()).collect())
    }

    /// List `p`'s cell (`None` past the last list).
    pub(super) fn cell(&self, p: usize) -> Option<&OnceLock<Vec<f32>>> {
        self.0.get(p)
    }

    /// Forgets every list's norms (the lists or the codec changed).
    pub(super) fn clear(&mut self) {
        let nlist = self.0.len();
        *self = ListNorms::new(nlist);
    }
}
