//! The HNSW graph as Faiss stores it (`faiss::HNSW`): per-level neighbour slots in one
//! flat array, a level per node, the entry point, and the two `ef` settings. The
//! layout is the file's, so a graph is read and written without conversion.

use std::sync::atomic::{AtomicI32, Ordering};

use crate::huge_pages::PageVec;
use crate::rng::Mt19937;
use crate::IndexError;

/// Faiss's seed of the level generator (`HNSW::HNSW(int M) : rng(12345)`). The state
/// is not saved: a graph read from a file draws levels from a fresh generator.
const LEVEL_SEED: i64 = 12345;

/// Levels whose probability falls below this are dropped (Faiss's `1e-9`).
const MIN_LEVEL_PROBABILITY: f32 = 1e-9;

/// Read access to the neighbour slots: plain while searching, atomic while a build
/// writes links from several threads. The algorithms are written once over this.
pub(crate) trait Links {
    /// Slot `j` (`-1` for an unused slot).
    fn link(&self, j: usize) -> i32;
}

impl Links for [i32] {
    #[inline]
    fn link(&self, j: usize) -> i32 {
        self[j]
    }
}

impl Links for [AtomicI32] {
    #[inline]
    fn link(&self, j: usize) -> i32 {
        self[j].load(Ordering::Relaxed)
    }
}

/// `v` as an array that moves into huge pages when large.
fn huge(v: Vec<i32>) -> PageVec<i32> {
    let mut p = PageVec::from_vec(v);
    p.use_huge_pages();
    p
}

/// Faiss's `HNSW` struct.
#[derive(Debug, Clone)]
pub(crate) struct HnswGraph {
    /// Probability of a new node's top level being `l`.
    pub(crate) assign_probas: Vec<f64>,
    /// Prefix sums of neighbour slots per level: `[0, 2M, 3M, ...]`.
    pub(crate) cum_neighbors: Vec<i32>,
    /// Per node: number of levels it is on (top level + 1).
    pub(crate) levels: Vec<i32>,
    /// Per node: start of its slots in `neighbors` (`ntotal + 1` entries).
    pub(crate) offsets: Vec<u64>,
    /// All slots; layer `l` of node `i` is `offsets[i] + cum[l] .. offsets[i] + cum[l+1]`.
    /// Walks read them scattered, so they ask for huge pages (see `huge_pages`).
    pub(crate) neighbors: PageVec<i32>,
    /// Node the searches start from (`-1` when empty).
    pub(crate) entry_point: i32,
    /// Top level of the graph (`-1` when empty).
    pub(crate) max_level: i32,
    /// Size of the candidate list while linking a new node.
    pub(crate) ef_construction: usize,
    /// Size of the candidate list while searching (persisted default).
    pub(crate) ef_search: usize,
    /// Draws the level of each new node.
    pub(crate) level_rng: Mt19937,
}

impl HnswGraph {
    /// An empty graph with `m` links per node on the upper levels (`2m` on level 0),
    /// Faiss's level probabilities for `m` and its default `ef`s (40 and 16).
    pub(crate) fn new(m: usize) -> Result<HnswGraph, IndexError> {
        if !(2..=MAX_M).contains(&m) {
            return Err(IndexError::InvalidParameter(format!(
                "HNSW M = {m}: it must be in 2..={MAX_M}"
            )));
        }
        // Faiss's `set_default_probas(M, 1 / log(M))`, in its mixed arithmetic:
        // `levelMult` and the exponents are floats, `exp` is taken in double, and each
        // probability is rounded to float (checked against Faiss's files for M = 8, 16).
        let level_mult = (1.0 / (m as f64).ln()) as f32;
        let decay = 1.0 - f64::from(-1.0f32 / level_mult).exp();
        let mut assign_probas = Vec::new();
        let mut cum_neighbors = vec![0i32];
        let mut nn = 0i32;
        for level in 0..MAX_LEVELS {
            let proba = (f64::from(-(level as f32) / level_mult).exp() * decay) as f32;
            if proba < MIN_LEVEL_PROBABILITY {
                break;
            }
            assign_probas.push(proba as f64);
            nn += if level == 0 { 2 * m as i32 } else { m as i32 };
            cum_neighbors.push(nn);
        }
        Ok(HnswGraph {
            assign_probas,
            cum_neighbors,
            levels: Vec::new(),
            offsets: vec![0],
            neighbors: huge(Vec::new()),
            entry_point: -1,
            max_level: -1,
            ef_construction: 40,
            ef_search: 16,
            level_rng: Mt19937::new(LEVEL_SEED),
        })
    }

    /// A graph from a file's parts, checked so that no search or insertion can step
    /// outside a node's slots; see [`HnswGraph::check`].
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_parts(
        assign_probas: Vec<f64>,
        cum_neighbors: Vec<i32>,
        levels: Vec<i32>,
        offsets: Vec<u64>,
        neighbors: Vec<i32>,
        entry_point: i32,
        max_level: i32,
        ef_construction: usize,
        ef_search: usize,
    ) -> Result<HnswGraph, IndexError> {
        let g = HnswGraph {
            assign_probas,
            cum_neighbors,
            levels,
            offsets,
            neighbors: huge(neighbors),
            entry_point,
            max_level,
            ef_construction,
            ef_search,
            level_rng: Mt19937::new(LEVEL_SEED),
        };
        g.check()?;
        Ok(g)
    }

    /// Nodes in the graph.
    pub(crate) fn ntotal(&self) -> usize {
        self.levels.len()
    }

    /// Links per node on level 1 and up (Faiss's `nb_neighbors(1)`, the `M` of
    /// `HNSW{M}`), or half the level-0 links for a one-level graph.
    pub(crate) fn m(&self) -> usize {
        let cum = &self.cum_neighbors;
        match cum.len() {
            0 | 1 => 0,
            2 => (cum[1] / 2) as usize,
            _ => (cum[2] - cum[1]) as usize,
        }
    }

    /// The slot range of node `node` on level `level` (the caller guarantees the node
    /// is on that level).
    #[inline]
    pub(crate) fn range(&self, node: usize, level: usize) -> std::ops::Range<usize> {
        let o = self.offsets[node] as usize;
        o + self.cum_neighbors[level] as usize..o + self.cum_neighbors[level + 1] as usize
    }

    /// Number of slots of node `node` on level `level`.
    pub(crate) fn slots(&self, level: usize) -> usize {
        (self.cum_neighbors[level + 1] - self.cum_neighbors[level]) as usize
    }

    /// Empties the graph, keeping its settings (Faiss's `HNSW::reset`).
    pub(crate) fn reset(&mut self) {
        self.levels.clear();
        self.offsets.clear();
        self.offsets.push(0);
        self.neighbors.release();
        self.entry_point = -1;
        self.max_level = -1;
    }

    /// Faiss's `random_level`: the level the next node tops out at.
    fn random_level(&mut self) -> usize {
        let mut f = self.level_rng.next_f32() as f64;
        for (level, &p) in self.assign_probas.iter().enumerate() {
            if f < p {
                return level;
            }
            f -= p;
        }
        self.assign_probas.len() - 1
    }

    /// Faiss's `prepare_level_tab`: draws the levels of `n` new nodes, gives each its
    /// (empty) slots, and returns the highest level drawn.
    pub(crate) fn prepare_levels(&mut self, n: usize) -> usize {
        let mut top = 0;
        for _ in 0..n {
            let level = self.random_level();
            top = top.max(level);
            self.levels.push(level as i32 + 1);
            let last = *self.offsets.last().unwrap_or(&0);
            self.offsets
                .push(last + self.cum_neighbors[level + 1] as u64);
        }
        let total = *self.offsets.last().unwrap_or(&0) as usize;
        self.neighbors.resize(total, -1);
        top
    }

    /// Checks the invariants a file must meet (spec §7 and what keeps every access in
    /// bounds): level tables of equal length and sane, offsets matching the levels, every
    /// link a node on that level, entry point on the top level.
    pub(crate) fn check(&self) -> Result<(), IndexError> {
        let bad = |what: String| Err(IndexError::InvalidParts(format!("HNSW graph: {what}")));
        let cum = &self.cum_neighbors;
        if self.assign_probas.is_empty() || cum.len() != self.assign_probas.len() + 1 {
            return bad(format!(
                "{} level probabilities with {} neighbour-count prefix sums",
                self.assign_probas.len(),
                cum.len()
            ));
        }
        if self
            .assign_probas
            .iter()
            .any(|p| !(p.is_finite() && (0.0..=1.0).contains(p)))
        {
            return bad("a level probability outside [0, 1]".into());
        }
        if cum[0] != 0 || cum.windows(2).any(|w| w[1] <= w[0]) {
            return bad("neighbour-count prefix sums that do not start at 0 and grow".into());
        }
        let n = self.levels.len();
        if n > i32::MAX as usize || self.offsets.len() != n + 1 || self.offsets[0] != 0 {
            return bad(format!("{} offsets for {n} nodes", self.offsets.len()));
        }
        let n_levels = cum.len() - 1;
        for (i, &l) in self.levels.iter().enumerate() {
            if l < 1 || l as usize > n_levels {
                return bad(format!("node {i} on {l} levels (1..={n_levels} allowed)"));
            }
            let span = self.offsets[i + 1].checked_sub(self.offsets[i]);
            if span != Some(cum[l as usize] as u64) {
                return bad(format!("node {i}'s slots do not match its {l} levels"));
            }
        }
        if self.offsets[n] != self.neighbors.len() as u64 {
            return bad(format!(
                "offsets end at {} but there are {} slots",
                self.offsets[n],
                self.neighbors.len()
            ));
        }
        if n == 0 {
            if self.entry_point != -1 || self.max_level != -1 {
                return bad("an entry point in an empty graph".into());
            }
            return Ok(());
        }
        let ep = usize::try_from(self.entry_point).ok().filter(|&e| e < n);
        let top = usize::try_from(self.max_level).ok();
        match (ep, top) {
            (Some(e), Some(t)) if (self.levels[e] as usize) > t => {}
            _ => {
                return bad(format!(
                    "entry point {} with top level {} is not a node on that level",
                    self.entry_point, self.max_level
                ))
            }
        }
        for i in 0..n {
            for level in 0..self.levels[i] as usize {
                for &v in &self.neighbors[self.range(i, level)] {
                    if v == -1 {
                        continue;
                    }
                    let ok = usize::try_from(v)
                        .ok()
                        .and_then(|v| self.levels.get(v))
                        .is_some_and(|&lv| lv as usize > level);
                    if !ok {
                        return bad(format!(
                            "node {i} links to {v} on level {level}, which is no node there"
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Bounds the level loop (M = 2 stops after 30 levels).
const MAX_LEVELS: usize = 64;

/// The largest `M` accepted (Faiss has no limit; 1024 keeps a node's slots bounded).
pub(crate) const MAX_M: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_probas_match_faiss_m8() {
        // The spec's hexdump of `hnsw_flat.faiss` (M = 8).
        let g = HnswGraph::new(8).unwrap();
        assert_eq!(g.assign_probas.len(), 10);
        assert_eq!(g.assign_probas[0], 0.875);
        assert_eq!(g.assign_probas[1], 0.109375);
        assert_eq!(g.assign_probas[2], 0.013671875);
        assert_eq!(&g.cum_neighbors[..4], &[0, 16, 24, 32]);
        assert_eq!(*g.cum_neighbors.last().unwrap(), 88);
        assert_eq!(g.m(), 8);
    }
}
