//! Faiss's `VisitedTable`: one byte per node holding the number of the search that
//! last visited it, so that starting a new search costs nothing (a full clear every
//! 250 searches).

use std::sync::Mutex;

/// Which nodes the current search has visited.
#[derive(Debug, Clone, Default)]
pub(crate) struct Visited {
    marks: Vec<u8>,
    epoch: u8,
}

impl Visited {
    /// A table for `n` nodes, ready for a search.
    pub(crate) fn new(n: usize) -> Visited {
        Visited {
            marks: vec![0; n],
            epoch: 1,
        }
    }

    /// Marks `i` visited; `true` when it was not yet.
    #[inline]
    pub(crate) fn insert(&mut self, i: usize) -> bool {
        let m = &mut self.marks[i];
        let new = *m != self.epoch;
        *m = self.epoch;
        new
    }

    /// Forgets every visit (Faiss's `advance`).
    pub(crate) fn advance(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 250 || self.epoch == 0 {
            self.marks.fill(0);
            self.epoch = 1;
        }
    }

    /// Ready for a search over `n` nodes: grown (and cleared) when the graph grew.
    pub(crate) fn fit(&mut self, n: usize) {
        if self.marks.len() != n {
            *self = Visited::new(n);
        }
    }
}

/// Tables kept between searches: a search takes one and gives it back, so a single
/// query does not pay for a table of `ntotal` bytes (Faiss allocates one per call).
#[derive(Debug, Default)]
pub(crate) struct VisitedPool {
    free: Mutex<Vec<Visited>>,
}

/// The most tables kept: a batch search's task takes one per walk it takes in turns
/// (up to two), so two per thread is the useful number.
const MAX_POOLED: usize = 256;

impl VisitedPool {
    /// A table for a graph of `n` nodes.
    pub(crate) fn take(&self, n: usize) -> Visited {
        let pooled = self.free.lock().map(|mut f| f.pop()).unwrap_or(None);
        let mut v = pooled.unwrap_or_default();
        v.fit(n);
        v
    }

    /// Returns a table for reuse.
    pub(crate) fn give(&self, mut v: Visited) {
        v.advance();
        if let Ok(mut f) = self.free.lock() {
            if f.len() < MAX_POOLED {
                f.push(v);
            }
        }
    }

    /// Drops every table (the graph changed size, or memory is wanted back).
    pub(crate) fn clear(&self) {
        if let Ok(mut f) = self.free.lock() {
            f.clear();
        }
    }
}

impl Clone for VisitedPool {
    /// A copy starts with no tables.
    fn clone(&self) -> VisitedPool {
        VisitedPool::default()
    }
}
