//! `HnswFlatIndex`: Faiss's `IndexHNSWFlat`, a hierarchical navigable small-world
//! graph over vectors stored as they are.
//!
//! The graph is built and searched with Faiss's algorithms, step for step (level
//! draws, insertion order, neighbour heuristic, queues and their tie order, stopping
//! rule), so a graph built here from the same data is Faiss's graph (exactly, when
//! built on one thread) and a graph read from a Faiss file returns Faiss's results.

mod build;
mod distance;
mod graph;
mod heaps;
mod search;
mod visited;

use rayon::prelude::*;

use crate::validate::{check_k, check_radius, checked_vectors};
use crate::{
    FlatIndex, Index, IndexError, MetricType, RangeSearchResult, SearchParams, SearchResult,
};
use distance::NodeDistance;
use graph::HnswGraph;
use search::{KnnSink, RangeSink, Scratch, Walk};
use visited::VisitedPool;

/// The largest graph: node numbers are Faiss's 32-bit `storage_idx_t`.
const MAX_NODES: usize = i32::MAX as usize;

/// Queries one search thread takes at a time in a batch.
const QUERIES_PER_TASK: usize = 16;

/// Walks one thread takes in turns in a batch k-nearest search (see [`Walk::group`]).
/// Four gained on an AMD Zen 4 host (`docs/benchmarks.md`, "Batch walks taken in
/// turns"); once each walk also asked ahead for its candidates' list offsets, four
/// were 6-10% slower than one or two on an Intel Xeon, at 100k and 1M nodes, where two
/// matched one.
const WALKS_PER_THREAD: usize = 2;

/// An HNSW graph over a flat store of the vectors (Faiss `IndexHNSWFlat`).
#[derive(Debug, Clone)]
pub struct HnswFlatIndex {
    storage: FlatIndex,
    graph: HnswGraph,
    pool: VisitedPool,
}

/// The parts of an HNSW index as Faiss's file holds them (`IHNf`, spec §7), for
/// [`HnswFlatIndex::from_parts`].
#[derive(Debug, Clone)]
pub struct HnswParts {
    /// The vectors (Faiss's `storage`, an `IndexFlat` of the same metric).
    pub storage: FlatIndex,
    /// Probability of a new node's top level being `l`.
    pub assign_probas: Vec<f64>,
    /// Prefix sums of neighbour slots per level (`[0, 2M, 3M, ...]`).
    pub cum_neighbors: Vec<i32>,
    /// Per node: the number of levels it is on.
    pub levels: Vec<i32>,
    /// Per node: where its slots start in `neighbors` (`ntotal + 1` entries).
    pub offsets: Vec<u64>,
    /// Every node's slots, `-1` for unused ones.
    pub neighbors: Vec<i32>,
    /// The node searches start from (`-1` when empty).
    pub entry_point: i32,
    /// The graph's top level (`-1` when empty).
    pub max_level: i32,
    /// Candidates kept while linking a new node.
    pub ef_construction: usize,
    /// Candidates kept while searching (the default of [`SearchParams::ef_search`]).
    pub ef_search: usize,
}

impl HnswFlatIndex {
    /// An empty index of dimension `d` with `m` links per node (`2m` on level 0), as
    /// Faiss's `IndexHNSWFlat(d, M, metric)`: `efConstruction` 40, `efSearch` 16.
    pub fn new(d: usize, m: usize, metric: MetricType) -> Result<HnswFlatIndex, IndexError> {
        // A walk reads rows scattered over the whole store: a flat store keeps large
        // vectors in huge pages (see `huge_pages`).
        Ok(HnswFlatIndex {
            storage: FlatIndex::new(d, metric)?,
            graph: HnswGraph::new(m)?,
            pool: VisitedPool::default(),
        })
    }

    /// An index from a file's parts, checked so that no search or insertion can step
    /// outside the graph ([`IndexError::InvalidParts`] otherwise). Large neighbour
    /// slots are copied into memory advised for huge pages (see `huge_pages`; a flat
    /// store's owned vectors already lie in such memory): both copies are held for a
    /// moment.
    pub fn from_parts(parts: HnswParts) -> Result<HnswFlatIndex, IndexError> {
        let graph = HnswGraph::from_parts(
            parts.assign_probas,
            parts.cum_neighbors,
            parts.levels,
            parts.offsets,
            parts.neighbors,
            parts.entry_point,
            parts.max_level,
            parts.ef_construction,
            parts.ef_search,
        )?;
        if graph.ntotal() != parts.storage.ntotal() {
            return Err(IndexError::InvalidParts(format!(
                "HNSW graph of {} nodes over {} stored vectors",
                graph.ntotal(),
                parts.storage.ntotal()
            )));
        }
        Ok(HnswFlatIndex {
            storage: parts.storage,
            graph,
            pool: VisitedPool::default(),
        })
    }

    /// Links per node on the upper levels (the `M` of `HNSW{M}`).
    pub fn m(&self) -> usize {
        self.graph.m()
    }

    /// Candidates kept while linking a new node (Faiss's `efConstruction`).
    pub fn ef_construction(&self) -> usize {
        self.graph.ef_construction
    }

    /// Sets `efConstruction` for the vectors added from now on (at least 1).
    pub fn set_ef_construction(&mut self, ef: usize) -> Result<(), IndexError> {
        self.graph.ef_construction = check_ef("efConstruction", ef)?;
        Ok(())
    }

    /// Candidates kept while searching (Faiss's `efSearch`, saved in the file).
    pub fn ef_search(&self) -> usize {
        self.graph.ef_search
    }

    /// Sets the default `efSearch` (at least 1); [`SearchParams::ef_search`]
    /// overrides it per call.
    pub fn set_ef_search(&mut self, ef: usize) -> Result<(), IndexError> {
        self.graph.ef_search = check_ef("efSearch", ef)?;
        Ok(())
    }

    /// The stored vectors (Faiss's `storage`).
    pub fn storage(&self) -> &FlatIndex {
        &self.storage
    }

    /// Level probabilities (`assign_probas`).
    pub fn assign_probas(&self) -> &[f64] {
        &self.graph.assign_probas
    }

    /// Prefix sums of neighbour slots per level (`cum_nneighbor_per_level`).
    pub fn cum_neighbors(&self) -> &[i32] {
        &self.graph.cum_neighbors
    }

    /// Levels per node.
    pub fn levels(&self) -> &[i32] {
        &self.graph.levels
    }

    /// Start of each node's slots (`ntotal + 1` entries).
    pub fn offsets(&self) -> &[u64] {
        &self.graph.offsets
    }

    /// All neighbour slots.
    pub fn neighbors(&self) -> &[i32] {
        &self.graph.neighbors
    }

    /// The entry point (`-1` when empty).
    pub fn entry_point(&self) -> i32 {
        self.graph.entry_point
    }

    /// The top level (`-1` when empty).
    pub fn max_level(&self) -> i32 {
        self.graph.max_level
    }

    /// `efSearch` for one call: the parameter's, else the index's.
    fn ef_for(&self, params: Option<&SearchParams>) -> Result<usize, IndexError> {
        match params.and_then(|p| p.ef_search) {
            Some(ef) => check_ef("efSearch", ef),
            None => Ok(self.graph.ef_search),
        }
    }

    /// Runs `run(queries, scratches, slots)` over every query: a lone query on the
    /// calling thread, a batch over all threads in tasks of [`QUERIES_PER_TASK`], each
    /// task in groups of up to `group` queries (`per_query` slots each) with as many
    /// visited tables from the pool.
    fn for_each_group<T: Send>(
        &self,
        queries: &[f32],
        out: &mut [T],
        per_query: usize,
        group: usize,
        run: impl Fn(&[f32], &mut [Scratch], &mut [T]) + Sync,
    ) {
        let d = self.storage.dimension();
        let n = self.graph.ntotal();
        let per_query = per_query.max(1);
        let task = |qs: &[f32], os: &mut [T]| {
            let group = group.clamp(1, (qs.len() / d).max(1));
            let mut s: Vec<Scratch> = (0..group)
                .map(|_| Scratch::new(self.pool.take(n)))
                .collect();
            for (q, o) in qs.chunks(d * group).zip(os.chunks_mut(per_query * group)) {
                run(q, &mut s, o);
            }
            for s in s {
                self.pool.give(s.visited);
            }
        };
        if queries.len() / d <= 1 {
            return task(queries, out);
        }
        queries
            .par_chunks(d * QUERIES_PER_TASK)
            .zip(out.par_chunks_mut(per_query * QUERIES_PER_TASK))
            .for_each(|(qs, os)| task(qs, os));
    }
}

/// `ef` must be at least 1 (Faiss accepts 0 and then stops at the entry point).
fn check_ef(name: &str, ef: usize) -> Result<usize, IndexError> {
    if ef == 0 || ef > i32::MAX as usize {
        return Err(IndexError::InvalidParameter(format!(
            "{name} = {ef}: it must be in 1..={}",
            i32::MAX
        )));
    }
    Ok(ef)
}

impl Index for HnswFlatIndex {
    fn dimension(&self) -> usize {
        self.storage.dimension()
    }

    fn ntotal(&self) -> usize {
        self.storage.ntotal()
    }

    fn metric(&self) -> MetricType {
        self.storage.metric()
    }

    /// Stores the vectors and links them into the graph on all threads.
    fn add(&mut self, x: &[f32]) -> Result<(), IndexError> {
        let n = checked_vectors(x, self.dimension())?;
        let n0 = self.ntotal();
        if n0 + n > MAX_NODES {
            return Err(IndexError::InvalidParameter(format!(
                "{} vectors: an HNSW graph holds at most {MAX_NODES}",
                n0 + n
            )));
        }
        self.storage.add(x)?;
        self.pool.clear();
        let d = self.dimension();
        let vectors = self.storage.vectors();
        let dist = NodeDistance::new(&vectors, d, self.metric())?;
        build::add_vertices(&mut self.graph, &dist, n0, n);
        Ok(())
    }

    fn add_with_ids(&mut self, _x: &[f32], _ids: &[i64]) -> Result<(), IndexError> {
        Err(IndexError::Unsupported(
            "add_with_ids on an HNSW index (ids are insertion positions); wrap it in IdMap".into(),
        ))
    }

    fn search(
        &self,
        queries: &[f32],
        k: usize,
        params: Option<&SearchParams>,
    ) -> Result<SearchResult, IndexError> {
        let d = self.dimension();
        check_k(k, queries.len() / d)?;
        let nq = checked_vectors(queries, d)?;
        let ef = self.ef_for(params)?;
        let metric = self.metric();
        let mut result = SearchResult::empty(nq, k, metric.worst());
        if self.ntotal() == 0 {
            return Ok(result);
        }
        let vectors = self.storage.vectors();
        let dist = NodeDistance::new(&vectors, d, metric)?;
        let matcher = params.and_then(|p| p.selector).map(|s| s.matcher());
        let mut slots: Vec<(f32, i64)> = vec![(0.0, -1); nq * k];
        let walk = Walk {
            graph: &self.graph,
            dist: &dist,
            ef_search: ef,
            k,
            selector: matcher.as_ref(),
        };
        self.for_each_group(queries, &mut slots, k, WALKS_PER_THREAD, |qs, s, out| {
            let qs: Vec<&[f32]> = qs.chunks_exact(d).collect();
            let mut sinks: Vec<KnnSink> =
                qs.iter().map(|_| KnnSink::new(k, dist.negated())).collect();
            walk.group(&qs, &mut sinks, &mut s[..qs.len()]);
            for (sink, out) in sinks.into_iter().zip(out.chunks_mut(k)) {
                let (dd, ll) = sink.heap.into_sorted();
                for ((o, dv), lv) in out.iter_mut().zip(dd).zip(ll) {
                    *o = (dv, lv);
                }
            }
        });
        for (i, (dv, lv)) in slots.into_iter().enumerate() {
            result.labels[i] = lv;
            result.distances[i] = dv;
        }
        Ok(result)
    }

    /// Faiss's HNSW range search: the graph walk of a 1-nearest search with `efSearch`
    /// candidates, keeping every node it meets within the radius (approximate, as in
    /// Faiss: a node the walk never reaches is not found).
    fn range_search(
        &self,
        queries: &[f32],
        radius: f32,
        params: Option<&SearchParams>,
    ) -> Result<RangeSearchResult, IndexError> {
        check_radius(radius)?;
        let d = self.dimension();
        let nq = checked_vectors(queries, d)?;
        let ef = self.ef_for(params)?;
        let metric = self.metric();
        if self.ntotal() == 0 {
            return Ok(RangeSearchResult::from_per_query(vec![
                (
                    Vec::new(),
                    Vec::new()
                );
                nq
            ]));
        }
        let vectors = self.storage.vectors();
        let dist = NodeDistance::new(&vectors, d, metric)?;
        let matcher = params.and_then(|p| p.selector).map(|s| s.matcher());
        let graph_radius = if dist.negated() { -radius } else { radius };
        let mut per_query: Vec<(Vec<f32>, Vec<i64>)> = vec![(Vec::new(), Vec::new()); nq];
        let walk = Walk {
            graph: &self.graph,
            dist: &dist,
            ef_search: ef,
            k: 1,
            selector: matcher.as_ref(),
        };
        self.for_each_group(queries, &mut per_query, 1, 1, |q, s, out| {
            let mut sink = RangeSink {
                radius: graph_radius,
                found: Vec::new(),
            };
            walk.one(q, &mut sink, &mut s[0]);
            out[0] = sink
                .found
                .into_iter()
                .map(|(dv, l)| (if dist.negated() { -dv } else { dv }, l))
                .unzip();
        });
        Ok(RangeSearchResult::from_per_query(per_query))
    }

    fn reconstruct_into(&self, id: i64, out: &mut [f32]) -> Result<(), IndexError> {
        self.storage.reconstruct_into(id, out)
    }

    fn reset(&mut self) {
        self.storage.reset();
        self.graph.reset();
        self.pool.clear();
    }

    fn type_name(&self) -> &'static str {
        "IndexHNSWFlat"
    }

    fn for_each_vector(&self, visit: &mut dyn FnMut(i64, &[f32])) -> Result<(), IndexError> {
        self.storage.for_each_vector(visit)
    }
}
