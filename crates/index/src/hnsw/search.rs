//! Faiss's HNSW search (`HNSW::search` with a bounded queue): a greedy descent through
//! the upper levels, then a best-first search of level 0 with `ef` candidates and
//! Faiss's stopping rule. Step for step Faiss's, so that on the same graph the same
//! nodes are visited and the same results come back.

use flatl2_kernel::{prefetch, TopK};

use super::distance::NodeDistance;
use super::graph::{HnswGraph, Links};
use super::heaps::MinimaxHeap;
use super::visited::Visited;
use crate::{IdMatcher, MetricType};

/// Faiss's `greedy_update_nearest`: on `level`, moves to the closest neighbour as long
/// as one is strictly closer. Shared by search and build (hence generic over links).
pub(crate) fn greedy_update_nearest<L: Links + ?Sized>(
    graph: &HnswGraph,
    links: &L,
    dist: &NodeDistance<'_>,
    query: &[f32],
    level: usize,
    nearest: &mut usize,
    d_nearest: &mut f32,
) {
    const CHUNK: usize = 32;
    let mut ids = [0i32; CHUNK];
    loop {
        let prev = *nearest;
        let mut range = graph.range(prev, level);
        'list: loop {
            let mut len = 0;
            for j in range.by_ref() {
                let v = links.link(j);
                if v < 0 {
                    break;
                }
                ids[len] = v;
                len += 1;
                if len == CHUNK {
                    break;
                }
            }
            dist.each(query, &ids[..len], *d_nearest, |v, d| {
                *nearest = v as usize;
                *d_nearest = d;
                d
            });
            if len < CHUNK || range.is_empty() {
                break 'list;
            }
        }
        if *nearest == prev {
            return;
        }
    }
}

/// How a walk asks for the list of the node it expands next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ahead {
    /// When expanding a node, by a guess from the queue as it stands (a lone walk:
    /// the list comes while the node's neighbours are scored).
    Peek,
    /// After scoring, exactly, the slot then kept for the pop (walks in turns: the
    /// list comes while the other walks take their turns).
    Settle,
}

/// Where a search puts what it finds: the `k` best (a heap) or all within a radius.
pub(crate) trait Sink {
    /// The distance a node must be strictly below to be kept.
    fn threshold(&self) -> f32;
    /// Keeps a node found below the threshold.
    fn add(&mut self, d: f32, id: i32);
}

/// The `k` best, in Faiss's heap: L2 distances as they are; for inner product the
/// heap holds the similarities themselves (Faiss's `CMin` result heap, whose order of
/// equal values differs from a heap of negated ones).
pub(crate) struct KnnSink {
    pub(crate) heap: TopK,
    pub(crate) negated: bool,
}

impl KnnSink {
    /// A sink for `k` results of a graph with (`negated`) distances.
    pub(crate) fn new(k: usize, negated: bool) -> KnnSink {
        let metric = if negated {
            MetricType::InnerProduct
        } else {
            MetricType::L2
        };
        KnnSink {
            heap: TopK::new(metric, k),
            negated,
        }
    }
}

impl Sink for KnnSink {
    #[inline]
    fn threshold(&self) -> f32 {
        let t = self.heap.threshold();
        if self.negated {
            -t
        } else {
            t
        }
    }
    #[inline]
    fn add(&mut self, d: f32, id: i32) {
        self.heap.push(if self.negated { -d } else { d }, id as i64);
    }
}

/// Every node closer than `radius`, in the order found.
pub(crate) struct RangeSink {
    pub(crate) radius: f32,
    pub(crate) found: Vec<(f32, i64)>,
}

impl Sink for RangeSink {
    #[inline]
    fn threshold(&self) -> f32 {
        self.radius
    }
    #[inline]
    fn add(&mut self, d: f32, id: i32) {
        self.found.push((d, id as i64));
    }
}

/// Scratch space one search thread reuses from query to query, and the state of the
/// walk it is taking.
pub(crate) struct Scratch {
    pub(crate) visited: Visited,
    candidates: MinimaxHeap,
    /// The unvisited neighbours of the node being expanded.
    fresh: Vec<i32>,
    /// Whether Faiss's stopping rule can fire for this walk (see [`Walk::start`]).
    can_stop: bool,
}

impl Scratch {
    /// Scratch for a graph of the given visited table.
    pub(crate) fn new(visited: Visited) -> Scratch {
        Scratch {
            visited,
            candidates: MinimaxHeap::default(),
            fresh: Vec::new(),
            can_stop: false,
        }
    }
}

/// What every query of one search call shares: Faiss's `HNSW::search` with
/// `ef_search` for `k` results (`1` for a range search): the candidate queue holds
/// `max(ef_search, k)`, the stopping rule counts to `ef_search`. Only selected nodes
/// enter the sink; the walk itself goes through every node, as in Faiss.
///
/// A query's walk is taken in steps ([`Walk::start`], then [`Walk::expand`] and
/// [`Walk::score`] in turn until `expand` says it is over), so that one thread can
/// take several walks in turn ([`Walk::group`]) with the same steps a lone walk takes.
pub(crate) struct Walk<'a, 'd> {
    pub(crate) graph: &'a HnswGraph,
    pub(crate) dist: &'a NodeDistance<'d>,
    pub(crate) ef_search: usize,
    pub(crate) k: usize,
    pub(crate) selector: Option<&'a IdMatcher<'a>>,
}

impl Walk<'_, '_> {
    /// Whether the walk may keep node `id`.
    #[inline]
    fn selected(&self, id: i32) -> bool {
        self.selector.is_none_or(|m| m.contains(id as i64))
    }

    /// One query: fills `sink` with what Faiss's `HNSW::search` finds.
    pub(crate) fn one<S: Sink>(&self, query: &[f32], sink: &mut S, s: &mut Scratch) {
        if !self.start(query, sink, s) {
            return;
        }
        while self.expand(s, Ahead::Peek) {
            self.score(query, sink, s, Ahead::Peek);
        }
    }

    /// Several queries on one thread, each walk as [`Walk::one`] takes it, in turns:
    /// every walk that goes on first expands its next node and asks for the first rows
    /// of its new neighbours, then every such walk scores them and finds the node it
    /// expands next ([`Ahead::Settle`]: the one search of the queue serves that pop
    /// too) and asks for its list. A walk waits on memory for the rows it reaches and
    /// for the lists of the nodes it expands; in turns, one walk's rows and next list
    /// are on their way while the others compute. Each query
    /// visits the nodes it would visit alone, in the same order, with the same results.
    /// A lone query is walked by [`Walk::one`].
    pub(crate) fn group<S: Sink>(&self, queries: &[&[f32]], sinks: &mut [S], s: &mut [Scratch]) {
        if let ([query], [sink], [s, ..]) = (queries, &mut *sinks, &mut *s) {
            return self.one(query, sink, s);
        }
        let mut live: Vec<bool> = queries
            .iter()
            .zip(sinks.iter_mut())
            .zip(s.iter_mut())
            .map(|((q, sink), s)| self.start(q, sink, s))
            .collect();
        loop {
            let mut any = false;
            for (alive, s) in live.iter_mut().zip(s.iter_mut()) {
                if *alive {
                    *alive = self.expand(s, Ahead::Settle);
                    if *alive {
                        // The first rows `score` reads (it asks for the later ones
                        // itself, four ahead); all of them at once would fill the
                        // line buffers with rows needed only later.
                        for &v in s.fresh.iter().take(4) {
                            prefetch(self.dist.row(v as usize));
                        }
                    }
                    any |= *alive;
                }
            }
            if !any {
                return;
            }
            for (((&alive, q), sink), s) in live
                .iter()
                .zip(queries)
                .zip(sinks.iter_mut())
                .zip(s.iter_mut())
            {
                if alive {
                    self.score(q, sink, s, Ahead::Settle);
                }
            }
        }
    }

    /// Descends the upper levels greedily and seeds level 0's candidates with the node
    /// reached; `false` for an empty graph (nothing to walk).
    fn start<S: Sink>(&self, query: &[f32], sink: &mut S, s: &mut Scratch) -> bool {
        let graph = self.graph;
        let Ok(entry) = usize::try_from(graph.entry_point) else {
            return false;
        };
        let links: &[i32] = &graph.neighbors;
        let mut nearest = entry;
        let mut d_nearest = self.dist.to(query, nearest);
        for level in (1..=graph.max_level.max(0) as usize).rev() {
            greedy_update_nearest(
                graph,
                links,
                self.dist,
                query,
                level,
                &mut nearest,
                &mut d_nearest,
            );
        }
        let candidates = &mut s.candidates;
        candidates.reset(self.ef_search.max(self.k), self.dist.negated());
        candidates.push(nearest as i32, d_nearest);
        // Faiss's stopping rule (in `expand`) counts the stored distances below the one
        // just popped. The popped entry stays stored with that distance, not below
        // itself, so at most `capacity - 1` are counted: with a queue of
        // `max(ef_search, k) <= ef_search` slots the rule never fires, and the count is
        // skipped.
        s.can_stop = candidates.capacity() > self.ef_search;
        let mut threshold = sink.threshold();
        for (id, d) in candidates.entries() {
            if self.selected(id) && d < threshold {
                sink.add(d, id);
                threshold = sink.threshold();
            }
            s.visited.insert(id as usize);
        }
        true
    }

    /// Pops the closest candidate and gathers its neighbours not yet visited into
    /// `s.fresh`; `false` when the walk is over (its visited marks then forgotten).
    fn expand(&self, s: &mut Scratch, ahead: Ahead) -> bool {
        let graph = self.graph;
        let links: &[i32] = &graph.neighbors;
        let candidates = &mut s.candidates;
        let popped = if candidates.size() > 0 {
            candidates.pop_min()
        } else {
            None
        };
        let Some((v0, d0)) = popped else {
            s.visited.advance();
            return false;
        };
        if ahead == Ahead::Peek {
            // The node most likely expanded next (scoring may queue a closer one): its
            // list is read from memory meanwhile.
            if let Some(next) = candidates.peek_min() {
                self.prefetch_list(next);
            }
        }
        // Faiss's stopping rule: `ef_search` distances already seen (popped ones
        // included) are below the one just popped.
        if s.can_stop && candidates.count_below(d0) >= self.ef_search {
            s.visited.advance();
            return false;
        }
        // Every neighbour is written, and the count moves past the unvisited ones
        // only: no branch on the visited marks, which a walk cannot predict.
        let list = &links[graph.range(v0 as usize, 0)];
        s.fresh.resize(list.len(), 0);
        let mut fresh = 0;
        for &v1 in list {
            if v1 < 0 {
                break;
            }
            s.fresh[fresh] = v1;
            fresh += usize::from(s.visited.insert(v1 as usize));
        }
        s.fresh.truncate(fresh);
        true
    }

    /// Scores the nodes `expand` gathered: each enters the sink if selected and close
    /// enough, and the candidates if the queue takes it.
    fn score<S: Sink>(&self, query: &[f32], sink: &mut S, s: &mut Scratch, ahead: Ahead) {
        let candidates = &mut s.candidates;
        let mut threshold = sink.threshold();
        // A distance at or above both the sink's threshold and the full queue's
        // farthest entry would change neither.
        let bound =
            |candidates: &MinimaxHeap, threshold: f32| threshold.max(candidates.entry_bound());
        let first = bound(candidates, threshold);
        let offsets: &[u64] = &self.graph.offsets;
        self.dist.each(query, &s.fresh, first, |v1, d| {
            if self.selected(v1) && d < threshold {
                sink.add(d, v1);
                threshold = sink.threshold();
            }
            candidates.push(v1, d);
            // Where its neighbour list starts: read when it is expanded (or peeked
            // at, see `expand`), and meanwhile on its way from memory.
            prefetch(&offsets[v1 as usize..=v1 as usize]);
            bound(candidates, threshold)
        });
        // The node expanded next, found once for this and for the pop: its list is read
        // from memory while the other walks take their turns.
        if ahead == Ahead::Settle {
            if let Some(next) = candidates.settle() {
                self.prefetch_list(next);
            }
        }
    }

    /// Asks for the level-0 neighbour list of `node`, which the walk expands next.
    fn prefetch_list(&self, node: i32) {
        prefetch(&self.graph.neighbors[self.graph.range(node as usize, 0)]);
    }
}
