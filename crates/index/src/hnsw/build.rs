//! Faiss's HNSW build as faiss-cpu runs it by default since 1.15
//! (`hnsw_add_vertices_deterministic`, after ParlayANN): levels drawn as Faiss draws
//! them, nodes inserted from the top level down in Faiss's shuffled order, in batches
//! that double in size up to 2% of the index. Each batch runs in two phases:
//!
//! - **forward links**: every node of the batch searches the graph as it stood before
//!   the batch (no node of the batch is reachable yet, so the threads read a frozen
//!   graph) and writes its own lists, the neighbours Faiss's heuristic keeps;
//! - **reverse links**: every node that gained incoming links merges them into its
//!   lists, re-running the heuristic (with Faiss's prune headroom) when they overflow.
//!   Each node is merged by one thread, its incoming links in id order.
//!
//! Nothing depends on which thread does what or when, so the graph is the same on any
//! number of threads, and it is Faiss's graph wherever the distances are Faiss's to the
//! bit (on integer vectors, byte for byte: `crates/index/tests/hnsw.rs`).

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;

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

/// Faiss runs a batch's phases on several threads only past this many nodes (or
/// links); the graph is the same either way.
const PARALLEL_ABOVE: usize = 100;

/// Whether a phase over `len` nodes or links runs on the pool's threads.
fn in_parallel(len: usize) -> bool {
    len > PARALLEL_ABOVE && rayon::current_num_threads() > 1
}

/// The largest batch, as a share of the index (ParlayANN's `theta`, Faiss's 2%).
const MAX_BATCH_SHARE: f64 = 0.02;

/// Faiss's `prune_headroom` (0.2 since 1.15): a list that overflows is pruned to 80% of
/// its slots, so that the next links find room instead of re-running the heuristic.
const PRUNE_HEADROOM: f32 = 0.2;

/// A link found in the forward phase, to be merged into `dest`'s list on `level`.
/// Ordered by destination, then level, then source: the merge order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ReverseLink {
    dest: i32,
    level: i32,
    src: i32,
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
    let max_batch = ((MAX_BATCH_SHARE * ntotal as f64) as usize).max(1);
    // The phases write links from several threads, so they see the graph's slots as
    // atomics (an atomic has its integer's size and bit validity): in place, in the
    // graph's own memory (huge pages when large), no copy.
    let mut slots = std::mem::take(&mut graph.neighbors);
    let links: &mut [AtomicI32] = zerocopy::transmute_mut!(slots.as_mut_slice());
    let links: &[AtomicI32] = links;
    let (mut entry, mut max_level) = (graph.entry_point, graph.max_level);
    let pool = ScratchPool::default();
    let mut reverse: Vec<ReverseLink> = Vec::new();
    let mut shuffle = Mt19937::new(ORDER_SEED);
    let mut i1 = n;
    for pt_level in (0..hist.len()).rev() {
        let i0 = i1 - hist[pt_level];
        if i0 == i1 {
            continue;
        }
        // Faiss's shuffle of the level's nodes, against dataset-order bias.
        for j in i0..i1 {
            let r = shuffle.below((i1 - j) as u32) as usize;
            order.swap(j, j + r);
        }
        // An empty graph starts at the bucket's first node (alone in the first batch,
        // it links to nothing); a higher level than the graph's becomes the entry once
        // its first node is in.
        let mut raise_entry = false;
        if entry == -1 {
            entry = order[i0] as i32;
            max_level = pt_level as i32;
        } else if pt_level as i32 > max_level {
            raise_entry = true;
        }
        let mut s = i0;
        while s < i1 {
            let grow = if s == i0 { 1 } else { (s - i0).min(max_batch) };
            let e = i1.min(s + grow);
            let builder = Builder {
                graph,
                links,
                dist,
                entry: entry as usize,
                max_level,
                ntotal,
            };
            builder.forward_links(&order[s..e], pt_level, &pool, &mut reverse);
            builder.merge_reverse_links(&mut reverse, &pool);
            s = e;
            if raise_entry {
                entry = order[i0] as i32;
                max_level = pt_level as i32;
                raise_entry = false;
            }
        }
        i1 = i0;
    }
    graph.neighbors = slots;
    graph.entry_point = entry;
    graph.max_level = max_level;
}

/// What one thread reuses from node to node.
struct BuildScratch {
    visited: Visited,
    results: FarthestFirst,
    candidates: ClosestFirst,
    kept: Vec<Node>,
    /// The unvisited neighbours of the node being expanded.
    fresh: Vec<i32>,
    /// The reverse links this scratch's nodes produced in the current batch.
    reverse: Vec<ReverseLink>,
    /// A list being merged, then its nodes with their distances.
    merged: Vec<i32>,
    ranked: Vec<Node>,
}

impl BuildScratch {
    fn new(ntotal: usize) -> BuildScratch {
        BuildScratch {
            visited: Visited::new(ntotal),
            results: FarthestFirst::default(),
            candidates: ClosestFirst::default(),
            kept: Vec::new(),
            fresh: Vec::new(),
            reverse: Vec::new(),
            merged: Vec::new(),
            ranked: Vec::new(),
        }
    }
}

/// Scratches kept across the batches: a task takes one and gives it back, so a
/// visited table of `ntotal` bytes is allocated once per thread, not per batch.
#[derive(Default)]
struct ScratchPool {
    free: Mutex<Vec<BuildScratch>>,
}

impl ScratchPool {
    fn take(&self, ntotal: usize) -> BuildScratch {
        let free = self.free.lock().unwrap_or_else(|e| e.into_inner()).pop();
        free.unwrap_or_else(|| BuildScratch::new(ntotal))
    }

    fn give(&self, s: BuildScratch) {
        self.free.lock().unwrap_or_else(|e| e.into_inner()).push(s);
    }

    /// Every scratch's reverse links, moved into `all`.
    fn drain_reverse(&self, all: &mut Vec<ReverseLink>) {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        for s in free.iter_mut() {
            all.append(&mut s.reverse);
        }
    }
}

/// The state a batch's threads share, all of it read-only but the links each writes
/// for its own nodes.
struct Builder<'a, 'd> {
    graph: &'a HnswGraph,
    links: &'a [AtomicI32],
    dist: &'a NodeDistance<'d>,
    entry: usize,
    max_level: i32,
    ntotal: usize,
}

impl Builder<'_, '_> {
    /// Phase one: the forward links of `nodes` (all on `pt_level`), their reverse links
    /// left in `reverse`.
    fn forward_links(
        &self,
        nodes: &[usize],
        pt_level: usize,
        pool: &ScratchPool,
        reverse: &mut Vec<ReverseLink>,
    ) {
        let run = |nodes: &[usize]| {
            let mut s = pool.take(self.ntotal);
            for &pt in nodes {
                self.link_node(pt, pt_level, &mut s);
            }
            pool.give(s);
        };
        if in_parallel(nodes.len()) {
            let chunk = (nodes.len() / (rayon::current_num_threads() * 8)).max(16);
            nodes.par_chunks(chunk).for_each(run);
        } else {
            run(nodes);
        }
        reverse.clear();
        pool.drain_reverse(reverse);
    }

    /// Faiss's `compute_forward_links_deterministic`: greedy descent to the node's top
    /// level, then on each level from there down (every level from the node the
    /// descent ended at) the `ef_construction` closest nodes, of which the node links
    /// to those the heuristic keeps.
    fn link_node(&self, pt: usize, pt_level: usize, s: &mut BuildScratch) {
        let query = self.dist.row(pt);
        let mut nearest = self.entry;
        let mut d_nearest = self.dist.to(query, nearest);
        let mut level = self.max_level as isize;
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
            let l = level as usize;
            s.results.clear();
            self.candidates_on_level(query, nearest, d_nearest, l, s);
            shrink_neighbor_list(
                self.dist,
                &mut s.results,
                self.graph.slots(l),
                &mut s.candidates,
                &mut s.kept,
            );
            // The node's slots are fresh (all -1): filled farthest first, as Faiss
            // pops its queue.
            let mut slot = self.graph.range(pt, l).start;
            while let Some((_, other)) = s.results.pop() {
                // The entry point finds itself when it is the one being linked.
                if other as usize == pt {
                    continue;
                }
                self.links[slot].store(other, Ordering::Relaxed);
                slot += 1;
                s.reverse.push(ReverseLink {
                    dest: other,
                    level: l as i32,
                    src: pt as i32,
                });
            }
            level -= 1;
        }
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

    /// Phase two: every list that gained links merges them, one list per task.
    /// `reverse` is left empty.
    fn merge_reverse_links(&self, reverse: &mut Vec<ReverseLink>, pool: &ScratchPool) {
        let parallel = in_parallel(reverse.len());
        if parallel {
            reverse.par_sort_unstable();
        } else {
            reverse.sort_unstable();
        }
        let groups = reverse.chunk_by(|a, b| (a.dest, a.level) == (b.dest, b.level));
        let merge = |s: &mut BuildScratch, group: &[ReverseLink]| {
            let (dest, level) = (group[0].dest as usize, group[0].level as usize);
            self.merge_list(dest, level, group.iter().map(|r| r.src), s);
        };
        if parallel {
            let groups: Vec<&[ReverseLink]> = groups.collect();
            groups.par_chunks(64).for_each(|chunk| {
                let mut s = pool.take(self.ntotal);
                for group in chunk {
                    merge(&mut s, group);
                }
                pool.give(s);
            });
        } else {
            let mut s = pool.take(self.ntotal);
            for group in groups {
                merge(&mut s, group);
            }
            pool.give(s);
        }
        reverse.clear();
    }

    /// Faiss's `merge_reverse_links_deterministic`: appends the new links (ascending,
    /// those not there yet) to `node`'s list on `level`; when they do not fit, ranks
    /// the whole list by distance to `node` (ties by id) and keeps, closest first, each
    /// node closer to `node` than to every node kept before it, up to the pruned size.
    fn merge_list(
        &self,
        node: usize,
        level: usize,
        incoming: impl Iterator<Item = i32>,
        s: &mut BuildScratch,
    ) {
        let r = self.graph.range(node, level);
        let slots = r.len();
        let list = &mut s.merged;
        list.clear();
        list.extend(
            r.clone()
                .map(|j| self.links.link(j))
                .take_while(|&v| v >= 0),
        );
        let existing = list.len();
        let mut last = -1;
        for v in incoming {
            // `incoming` is ascending; a repeat, the node itself or a node already
            // linked adds nothing.
            if v == last || v as usize == node || list[..existing].contains(&v) {
                continue;
            }
            last = v;
            list.push(v);
        }
        if list.len() <= slots {
            return self.write_list(r, list.iter().copied());
        }
        let ranked = &mut s.ranked;
        ranked.clear();
        self.dist
            .node_to_each(node, list, |v, d| ranked.push((d, v)));
        // Closest first; equal distances (`==`, so -0 and 0 too) by id. A total order
        // (NaN, from infinite values, after +inf), so the sort is well defined.
        let key = |d: f32| if d == 0.0 { 0.0 } else { d };
        ranked.sort_unstable_by(|a, b| key(a.0).total_cmp(&key(b.0)).then(a.1.cmp(&b.1)));
        let kept = &mut s.kept;
        keep_diverse(
            self.dist,
            ranked.iter().copied(),
            pruned_size(slots).max(1),
            kept,
        );
        self.write_list(r, kept.iter().map(|&(_, v)| v));
    }

    /// Rewrites the list in `slots` from its first slot, the unused ones -1 (past a
    /// hole, as a file may hold one, nothing is kept: Faiss reads a list up to its
    /// first -1).
    fn write_list(&self, slots: std::ops::Range<usize>, mut ids: impl Iterator<Item = i32>) {
        for j in slots {
            self.links[j].store(ids.next().unwrap_or(-1), Ordering::Relaxed);
        }
    }
}

/// The size an overflowing list of `slots` is pruned to, in Faiss's float arithmetic.
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
    let closest_first = std::iter::from_fn(|| by_closeness.pop());
    keep_diverse(dist, closest_first, max_size, kept);
    for &n in kept.iter() {
        set.push(n);
    }
}

/// Faiss's neighbour heuristic, shared by the forward links and the merges: of
/// `candidates` (closest to their list's owner first, each with that distance), keeps
/// in `kept` each one that is closer to the owner than to every node kept before it,
/// up to `max_size`.
fn keep_diverse(
    dist: &NodeDistance<'_>,
    candidates: impl Iterator<Item = Node>,
    max_size: usize,
    kept: &mut Vec<Node>,
) {
    kept.clear();
    for cand in candidates {
        if !dist.any_closer_than(cand.1 as usize, kept, cand.0) {
            kept.push(cand);
            if kept.len() >= max_size {
                break;
            }
        }
    }
}
