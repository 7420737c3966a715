//! Faiss's HNSW insertion (`hnsw_add_vertices`, `HNSW::add_with_locks`): levels drawn
//! as Faiss draws them, nodes inserted from the top level down in Faiss's shuffled
//! order, each linked to the neighbours Faiss's heuristic keeps.
//!
//! Inserts of one level run on all threads, as Faiss's OpenMP loop does: the links
//! are atomics (so concurrent reads are defined) and each node's list is written under
//! that node's lock. With one thread the graph is Faiss's single-threaded graph.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard};

use flatl2_kernel::prefetch;
use rayon::prelude::*;

use super::distance::NodeDistance;
use super::graph::{HnswGraph, Links};
use super::heaps::{ClosestFirst, FarthestFirst, Node};
use super::search::greedy_update_nearest;
use super::visited::Visited;
use crate::rng::Mt19937;

/// Faiss's seed of the insertion-order shuffle (`RandomGenerator rng2(789)`).
const ORDER_SEED: i64 = 789;

/// Faiss inserts a level's nodes in parallel only when there are more than this many.
const PARALLEL_ABOVE: usize = 100;

/// Locks a mutex that guards no data (a poisoned one is as good).
fn lock(m: &Mutex<()>) -> MutexGuard<'_, ()> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Adds nodes `n0 .. n0 + n` (whose vectors `dist` already holds) to the graph.
pub(crate) fn add_vertices(graph: &mut HnswGraph, dist: &NodeDistance<'_>, n0: usize, n: usize) {
    if n == 0 {
        return;
    }
    let top = graph.prepare_levels(n);
    // Bucket the new nodes by level, ascending ids within a level.
    let mut hist = vec![0usize; top + 1];
    for i in 0..n {
        hist[graph.levels[n0 + i] as usize - 1] += 1;
    }
    let mut starts = vec![0usize; hist.len()];
    for l in 1..hist.len() {
        starts[l] = starts[l - 1] + hist[l - 1];
    }
    let mut order = vec![0usize; n];
    for i in 0..n {
        let l = graph.levels[n0 + i] as usize - 1;
        order[starts[l]] = n0 + i;
        starts[l] += 1;
    }

    let ntotal = n0 + n;
    // The inserts write links concurrently, so they see the graph's slots as atomics
    // (an atomic has its integer's size and bit validity): in place, in the graph's
    // own memory (huge pages when large), no copy.
    let mut slots = std::mem::take(&mut graph.neighbors);
    let links: &mut [AtomicI32] = zerocopy::transmute_mut!(slots.as_mut_slice());
    let links: &[AtomicI32] = links;
    let locks: Vec<Mutex<()>> = (0..ntotal).map(|_| Mutex::new(())).collect();
    let entry = Mutex::new((graph.entry_point, graph.max_level));
    let mut shuffle = Mt19937::new(ORDER_SEED);
    {
        let builder = Builder {
            graph,
            links,
            locks: &locks,
            entry: &entry,
            dist,
        };
        let mut i1 = n;
        for pt_level in (0..hist.len()).rev() {
            let i0 = i1 - hist[pt_level];
            // Faiss's shuffle of the level's nodes, against dataset-order bias.
            for j in i0..i1 {
                let r = shuffle.below((i1 - j) as u32) as usize;
                order.swap(j, j + r);
            }
            let bucket = &order[i0..i1];
            let threads = rayon::current_num_threads();
            if bucket.len() > PARALLEL_ABOVE && threads > 1 {
                let chunk = (bucket.len() / (threads * 8)).max(16);
                bucket.par_chunks(chunk).for_each(|nodes| {
                    let mut s = BuildScratch::new(ntotal);
                    for &pt in nodes {
                        builder.insert(pt, pt_level, &mut s);
                    }
                });
            } else {
                let mut s = BuildScratch::new(ntotal);
                for &pt in bucket {
                    builder.insert(pt, pt_level, &mut s);
                }
            }
            i1 = i0;
        }
    }
    graph.neighbors = slots;
    let (ep, max_level) = entry.into_inner().unwrap_or_else(|e| e.into_inner());
    graph.entry_point = ep;
    graph.max_level = max_level;
}

/// What one inserting thread reuses from node to node.
struct BuildScratch {
    visited: Visited,
    results: FarthestFirst,
    /// A full list and its new link, while `add_link` re-selects (apart from
    /// `results`, which holds the targets being linked).
    link_set: FarthestFirst,
    candidates: ClosestFirst,
    kept: Vec<Node>,
    targets: Vec<i32>,
    /// The links of a full list, while `add_link` re-selects.
    linked: Vec<i32>,
    /// The unvisited neighbours of the node being expanded.
    fresh: Vec<i32>,
}

impl BuildScratch {
    fn new(ntotal: usize) -> BuildScratch {
        BuildScratch {
            visited: Visited::new(ntotal),
            results: FarthestFirst::default(),
            link_set: FarthestFirst::default(),
            candidates: ClosestFirst::default(),
            kept: Vec::new(),
            targets: Vec::new(),
            linked: Vec::new(),
            fresh: Vec::new(),
        }
    }
}

/// The state the inserting threads share.
struct Builder<'a, 'd> {
    graph: &'a HnswGraph,
    links: &'a [AtomicI32],
    locks: &'a [Mutex<()>],
    /// `(entry_point, max_level)`, Faiss's `#pragma omp critical` section.
    entry: &'a Mutex<(i32, i32)>,
    dist: &'a NodeDistance<'d>,
}

impl<'a> Builder<'a, '_> {
    /// Faiss's `add_with_locks`: greedy descent to the node's top level, then links on
    /// each level from there down.
    fn insert(&self, pt: usize, pt_level: usize, s: &mut BuildScratch) {
        let query = self.dist.row(pt);
        let (entry, max_level) = {
            let mut e = self.entry.lock().unwrap_or_else(|e| e.into_inner());
            if e.0 == -1 {
                *e = (pt as i32, pt_level as i32);
                return;
            }
            *e
        };
        let mut guard = Some(lock(&self.locks[pt]));
        let mut nearest = entry as usize;
        let mut d_nearest = self.dist.to(query, nearest);
        let mut level = max_level as isize;
        while level > pt_level as isize {
            greedy_update_nearest(
                self.graph,
                self.links,
                self.dist,
                query,
                level as usize,
                &mut nearest,
                &mut d_nearest,
            );
            level -= 1;
        }
        while level >= 0 {
            // Every level starts from the node the descent ended at (Faiss passes
            // `nearest` by value).
            self.link_level(pt, query, nearest, d_nearest, level as usize, &mut guard, s);
            level -= 1;
        }
        drop(guard);
        let mut e = self.entry.lock().unwrap_or_else(|e| e.into_inner());
        if pt_level as i32 > e.1 {
            *e = (pt as i32, pt_level as i32);
        }
    }

    /// Faiss's `add_links_starting_from`: finds `ef_construction` candidates on
    /// `level`, keeps those the heuristic allows, links `pt` to them (under its lock)
    /// and each of them back to `pt` (under theirs, `pt`'s released meanwhile).
    #[allow(clippy::too_many_arguments)]
    fn link_level(
        &self,
        pt: usize,
        query: &[f32],
        nearest: usize,
        d_nearest: f32,
        level: usize,
        guard: &mut Option<MutexGuard<'a, ()>>,
        s: &mut BuildScratch,
    ) {
        s.results.clear();
        self.candidates_on_level(query, nearest, d_nearest, level, s);
        shrink_neighbor_list(
            self.dist,
            &mut s.results,
            self.graph.slots(level),
            &mut s.candidates,
            &mut s.kept,
        );
        s.targets.clear();
        while let Some((_, other)) = s.results.pop() {
            self.add_link(pt, other as usize, level, s);
            s.targets.push(other);
        }
        *guard = None;
        for t in 0..s.targets.len() {
            let other = s.targets[t] as usize;
            let _g = lock(&self.locks[other]);
            self.add_link(other, pt, level, s);
        }
        *guard = Some(lock(&self.locks[pt]));
    }

    /// Faiss's `search_neighbors_to_add`: best-first search on `level` keeping the
    /// `ef_construction` closest nodes in `s.results`.
    fn candidates_on_level(
        &self,
        query: &[f32],
        entry: usize,
        d_entry: f32,
        level: usize,
        s: &mut BuildScratch,
    ) {
        let ef = self.graph.ef_construction;
        let (results, candidates, vt, fresh) = (
            &mut s.results,
            &mut s.candidates,
            &mut s.visited,
            &mut s.fresh,
        );
        candidates.clear();
        candidates.push((d_entry, entry as i32));
        results.push((d_entry, entry as i32));
        vt.insert(entry);
        while let Some((d_curr, curr)) = candidates.top() {
            if results.top().is_some_and(|(d_far, _)| d_curr > d_far) {
                break;
            }
            candidates.pop();
            // The node most likely expanded next: its list is read from memory meanwhile.
            if let Some((_, next)) = candidates.top() {
                prefetch(&self.links[self.graph.range(next as usize, level)]);
            }
            fresh.clear();
            for j in self.graph.range(curr as usize, level) {
                let node = self.links.link(j);
                if node < 0 {
                    break;
                }
                if vt.insert(node as usize) {
                    fresh.push(node);
                }
            }
            // Once `ef` results are kept, only a node closer than the farthest enters.
            let bound = |results: &FarthestFirst| match results.top() {
                Some((d_far, _)) if results.len() >= ef => d_far,
                _ => f32::INFINITY,
            };
            let first = bound(results);
            self.dist.each(query, fresh, first, |node, d| {
                results.push((d, node));
                candidates.push((d, node));
                if results.len() > ef {
                    results.pop();
                }
                bound(results)
            });
        }
        vt.advance();
    }

    /// Faiss's `add_link`: puts `dest` in `src`'s list on `level`, into a free slot or,
    /// when full, by re-running the heuristic over the list and `dest`, keeping at most
    /// [`pruned_size`] of them.
    fn add_link(&self, src: usize, dest: usize, level: usize, s: &mut BuildScratch) {
        let r = self.graph.range(src, level);
        let store = |j: usize, v: i32| self.links[j].store(v, Ordering::Relaxed);
        if self.links.link(r.end - 1) == -1 {
            let mut i = r.end;
            while i > r.start && self.links.link(i - 1) == -1 {
                i -= 1;
            }
            store(i, dest as i32);
            return;
        }
        let set = &mut s.link_set;
        set.clear();
        set.push((self.dist.nodes(src, dest), dest as i32));
        // A full list has no holes in a graph built here or by Faiss; a hole in a
        // loaded file is skipped rather than read as a node.
        let linked = &mut s.linked;
        linked.clear();
        linked.extend(r.clone().map(|j| self.links.link(j)).filter(|&n| n >= 0));
        self.dist.node_to_each(src, linked, |n, d| set.push((d, n)));
        shrink_neighbor_list(
            self.dist,
            set,
            pruned_size(r.len()),
            &mut s.candidates,
            &mut s.kept,
        );
        let mut i = r.start;
        while let Some((_, n)) = set.pop() {
            store(i, n);
            i += 1;
        }
        while i < r.end {
            store(i, -1);
            i += 1;
        }
    }
}

/// Faiss's `prune_headroom` (0.2 since 1.15): a full list is pruned to 80% of its
/// slots, so that the next links find room instead of re-running the heuristic each
/// time (fewer distance computations and lock waits while building).
const PRUNE_HEADROOM: f32 = 0.2;

/// The size a full list of `slots` is pruned to, in Faiss's float arithmetic.
fn pruned_size(slots: usize) -> usize {
    let s = slots as f32;
    (s - s * PRUNE_HEADROOM) as usize
}

/// Faiss's `shrink_neighbor_list`: when `set` holds `max_size` or more nodes, keeps,
/// closest first, each node that is closer to the query than to every node kept
/// before it, up to `max_size`.
fn shrink_neighbor_list(
    dist: &NodeDistance<'_>,
    set: &mut FarthestFirst,
    max_size: usize,
    by_closeness: &mut ClosestFirst,
    kept: &mut Vec<Node>,
) {
    if set.len() < max_size {
        return;
    }
    by_closeness.clear();
    while let Some(n) = set.pop() {
        by_closeness.push(n);
    }
    kept.clear();
    while let Some(v1) = by_closeness.pop() {
        if !dist.any_closer_than(v1.1 as usize, kept, v1.0) {
            kept.push(v1);
            if kept.len() >= max_size {
                break;
            }
        }
    }
    for &n in kept.iter() {
        set.push(n);
    }
}
