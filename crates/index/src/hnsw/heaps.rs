//! The two queues of Faiss's HNSW, reproduced to the order of equal elements, so that a
//! graph built or searched here visits nodes in Faiss's order:
//!
//! - [`StdHeap`]: `std::priority_queue<NodeDistCloser>` / `<NodeDistFarther>` as
//!   libstdc++ implements them (`push_heap`, `pop_heap` with its hole descent), used
//!   while building;
//! - [`MinimaxHeap`]: Faiss's bounded candidate queue of the search, a max-heap on
//!   `(distance, id)` whose minimum is popped by marking it `-1` in place.

/// A node and its distance to the query (or to the node being linked).
pub(crate) type Node = (f32, i32);

/// `std::priority_queue` over [`Node`]s compared on the distance only. With
/// `FARTHEST_ON_TOP` it is `priority_queue<NodeDistCloser>` (top = largest distance);
/// without, `priority_queue<NodeDistFarther>` (top = smallest).
#[derive(Debug, Clone, Default)]
pub(crate) struct StdHeap<const FARTHEST_ON_TOP: bool> {
    items: Vec<Node>,
}

/// Top = farthest: the kept results of a build-time search, the links of a node.
pub(crate) type FarthestFirst = StdHeap<true>;
/// Top = closest: the candidates still to expand.
pub(crate) type ClosestFirst = StdHeap<false>;

impl<const FARTHEST_ON_TOP: bool> StdHeap<FARTHEST_ON_TOP> {
    /// `comp(a, b)` of the container: `a` sits below `b`.
    #[inline]
    fn less(a: &Node, b: &Node) -> bool {
        if FARTHEST_ON_TOP {
            a.0 < b.0
        } else {
            a.0 > b.0
        }
    }

    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// The top element.
    pub(crate) fn top(&self) -> Option<Node> {
        self.items.first().copied()
    }

    /// Empties the queue, keeping its buffer.
    pub(crate) fn clear(&mut self) {
        self.items.clear();
    }

    /// `push`: appends and sifts up (libstdc++ `__push_heap`).
    pub(crate) fn push(&mut self, node: Node) {
        self.items.push(node);
        let hole = self.items.len() - 1;
        self.sift_up(hole, 0, node);
    }

    fn sift_up(&mut self, mut hole: usize, top: usize, value: Node) {
        while hole > top {
            let parent = (hole - 1) / 2;
            if !Self::less(&self.items[parent], &value) {
                break;
            }
            self.items[hole] = self.items[parent];
            hole = parent;
        }
        self.items[hole] = value;
    }

    /// `pop`: moves the last element into the root's hole descent (libstdc++
    /// `__pop_heap` / `__adjust_heap`) and returns the old top.
    pub(crate) fn pop(&mut self) -> Option<Node> {
        let len = self.items.len();
        if len <= 1 {
            return self.items.pop();
        }
        let top = self.items[0];
        let value = self.items[len - 1];
        self.items[len - 1] = top;
        let len = len - 1;
        let mut hole = 0;
        let mut child = 0;
        while child < (len - 1) / 2 {
            child = 2 * (child + 1);
            if Self::less(&self.items[child], &self.items[child - 1]) {
                child -= 1;
            }
            self.items[hole] = self.items[child];
            hole = child;
        }
        if len.is_multiple_of(2) && child == (len - 2) / 2 {
            child = 2 * (child + 1);
            self.items[hole] = self.items[child - 1];
            hole = child - 1;
        }
        self.sift_up(hole, 0, value);
        self.items.pop()
    }
}

/// Lanes of [`MinimaxHeap::min_slot`]'s pass (two SSE registers, one AVX one).
const MIN_LANES: usize = 8;

/// A lane of [`MinimaxHeap::min_slot`] that has seen no live, comparable entry. Slots
/// fit `u32`: the queue holds distinct nodes of a graph, whose ids are `i32`.
const NO_SLOT: u32 = u32::MAX;

/// Faiss's `HNSW::MinimaxHeap`: at most `capacity` candidates in a heap whose top is
/// the worst `(distance, id)` (Faiss's `cmp2`). `pop_min` marks the closest entry `-1`
/// without moving it, so popped entries still count in [`MinimaxHeap::count_below`],
/// the search's stopping rule.
///
/// Distances here are always "smaller is closer" (inner products negated). Faiss
/// ranks inner products as similarities (`CMin`), which orders equal values by id the
/// other way round: `low_ids_on_top` reproduces that.
#[derive(Debug, Clone, Default)]
pub(crate) struct MinimaxHeap {
    capacity: usize,
    low_ids_on_top: bool,
    ids: Vec<i32>,
    dis: Vec<f32>,
    valid: usize,
    /// The slot `pop_min` takes next, where [`MinimaxHeap::settle`] found it and
    /// nothing changed since.
    next: Option<usize>,
}

impl MinimaxHeap {
    /// `cmp2` of the heap: `(a, ia)` sits above `(b, ib)`.
    #[inline]
    fn above(&self, a: f32, ia: i32, b: f32, ib: i32) -> bool {
        a > b
            || (a == b
                && if self.low_ids_on_top {
                    ia < ib
                } else {
                    ia > ib
                })
    }

    /// An empty queue of `capacity` slots (at least one); `similarity` for a graph of
    /// negated inner products.
    pub(crate) fn reset(&mut self, capacity: usize, similarity: bool) {
        self.low_ids_on_top = similarity;
        self.capacity = capacity.max(1);
        self.ids.clear();
        self.dis.clear();
        self.valid = 0;
        self.next = None;
    }

    /// The most entries the queue holds.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Candidates not yet popped.
    pub(crate) fn size(&self) -> usize {
        self.valid
    }

    /// The stored entries, popped ones with id `-1`.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (i32, f32)> + '_ {
        self.ids.iter().copied().zip(self.dis.iter().copied())
    }

    /// The distance a candidate must be below to enter: the farthest entry's when
    /// full, else infinity.
    pub(crate) fn entry_bound(&self) -> f32 {
        if self.ids.len() == self.capacity {
            self.dis[0]
        } else {
            f32::INFINITY
        }
    }

    /// Adds a candidate; when full, it replaces the farthest entry if closer.
    pub(crate) fn push(&mut self, id: i32, dis: f32) {
        self.next = None;
        if self.ids.len() == self.capacity {
            if dis >= self.dis[0] {
                return;
            }
            if self.ids[0] != -1 {
                self.valid -= 1;
            }
            self.pop_max();
        }
        // Faiss's `heap_push`: sift the new entry up from the end.
        self.ids.push(id);
        self.dis.push(dis);
        let mut i = self.ids.len();
        while i > 1 {
            let parent = i >> 1;
            if !self.above(dis, id, self.dis[parent - 1], self.ids[parent - 1]) {
                break;
            }
            self.dis[i - 1] = self.dis[parent - 1];
            self.ids[i - 1] = self.ids[parent - 1];
            i = parent;
        }
        self.dis[i - 1] = dis;
        self.ids[i - 1] = id;
        self.valid += 1;
    }

    /// Faiss's `heap_pop`: removes the root, the last entry descending into its place.
    fn pop_max(&mut self) {
        let k = self.ids.len();
        let (val, id) = (self.dis[k - 1], self.ids[k - 1]);
        let mut i = 1;
        loop {
            let (i1, i2) = (2 * i, 2 * i + 1);
            if i1 > k {
                break;
            }
            let child = if i2 == k + 1
                || self.above(
                    self.dis[i1 - 1],
                    self.ids[i1 - 1],
                    self.dis[i2 - 1],
                    self.ids[i2 - 1],
                ) {
                i1
            } else {
                i2
            };
            if self.above(val, id, self.dis[child - 1], self.ids[child - 1]) {
                break;
            }
            self.dis[i - 1] = self.dis[child - 1];
            self.ids[i - 1] = self.ids[child - 1];
            i = child;
        }
        self.dis[i - 1] = self.dis[k - 1];
        self.ids[i - 1] = self.ids[k - 1];
        self.ids.pop();
        self.dis.pop();
    }

    /// The slot of the closest candidate not yet popped (the last slot among equal
    /// distances, as Faiss's scan from the end finds it). One branch-free pass the
    /// compiler vectorises: each of [`MIN_LANES`] lanes keeps its smallest live
    /// distance and, with `<=`, the last slot holding it; the lanes then agree on the
    /// smallest value and the last slot of it.
    fn min_slot(&self) -> Option<usize> {
        let mut best = [f32::INFINITY; MIN_LANES];
        let mut slot = [NO_SLOT; MIN_LANES];
        let mut ids = self.ids.chunks_exact(MIN_LANES);
        let mut dis = self.dis.chunks_exact(MIN_LANES);
        let mut base = 0u32;
        for (ic, dc) in ids.by_ref().zip(dis.by_ref()) {
            for j in 0..MIN_LANES {
                let take = (ic[j] != -1) & (dc[j] <= best[j]);
                best[j] = if take { dc[j] } else { best[j] };
                slot[j] = if take { base + j as u32 } else { slot[j] };
            }
            base += MIN_LANES as u32;
        }
        // The tail's slots come after every slot above, so `<=` still keeps the last.
        for (j, (&id, &d)) in ids.remainder().iter().zip(dis.remainder()).enumerate() {
            if id != -1 && d <= best[j] {
                best[j] = d;
                slot[j] = base + j as u32;
            }
        }
        let min = best.iter().copied().fold(f32::INFINITY, f32::min);
        let found = (0..MIN_LANES)
            .filter(|&j| slot[j] != NO_SLOT && best[j] == min)
            .map(|j| slot[j])
            .max();
        match found {
            Some(s) => Some(s as usize),
            // Every live distance is NaN (or none is live): Faiss's strict scan then
            // keeps the last live slot.
            None => (0..self.ids.len()).rev().find(|&i| self.ids[i] != -1),
        }
    }

    /// Removes and returns the closest candidate not yet popped.
    pub(crate) fn pop_min(&mut self) -> Option<(i32, f32)> {
        let b = match self.next.take() {
            Some(b) => b,
            None => self.min_slot()?,
        };
        let out = (self.ids[b], self.dis[b]);
        self.ids[b] = -1;
        self.valid -= 1;
        Some(out)
    }

    /// The candidate `pop_min` would return next, without removing it.
    pub(crate) fn peek_min(&self) -> Option<i32> {
        self.min_slot().map(|i| self.ids[i])
    }

    /// The candidate `pop_min` will return next, without removing it: found now and
    /// kept for `pop_min` unless the queue changes first.
    pub(crate) fn settle(&mut self) -> Option<i32> {
        self.next = self.min_slot();
        self.next.map(|i| self.ids[i])
    }

    /// How many stored entries, popped ones included, are closer than `threshold`.
    pub(crate) fn count_below(&self, threshold: f32) -> usize {
        self.dis.iter().map(|&d| usize::from(d < threshold)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Mt19937;

    /// A reference of `std::priority_queue`'s observable behaviour on distinct keys:
    /// pops in order.
    #[test]
    fn std_heap_pops_in_order() {
        let mut h = FarthestFirst::default();
        let mut c = ClosestFirst::default();
        let vals = [5.0f32, 1.0, 9.0, 3.0, 7.0, 2.0, 8.0, 6.0, 4.0, 0.5];
        for (i, &v) in vals.iter().enumerate() {
            h.push((v, i as i32));
            c.push((v, i as i32));
        }
        let mut sorted = vals.to_vec();
        sorted.sort_by(f32::total_cmp);
        let down: Vec<f32> = std::iter::from_fn(|| h.pop().map(|n| n.0)).collect();
        let up: Vec<f32> = std::iter::from_fn(|| c.pop().map(|n| n.0)).collect();
        assert_eq!(up, sorted);
        sorted.reverse();
        assert_eq!(down, sorted);
    }

    /// Equal keys come out in libstdc++'s order: recorded from `std::priority_queue<
    /// NodeDistCloser>` (g++ 12) for pushes of (1,0) (1,1) (2,2) (1,3) (2,4) (1,5).
    #[test]
    fn std_heap_tie_order_is_libstdcxx() {
        let mut h = FarthestFirst::default();
        for (d, i) in [(1.0, 0), (1.0, 1), (2.0, 2), (1.0, 3), (2.0, 4), (1.0, 5)] {
            h.push((d, i));
        }
        let ids: Vec<i32> = std::iter::from_fn(|| h.pop().map(|n| n.1)).collect();
        assert_eq!(ids, LIBSTDCXX_TIE_ORDER);
    }

    const LIBSTDCXX_TIE_ORDER: [i32; 6] = [2, 4, 0, 5, 1, 3];

    /// A slot found by `settle` is what `pop_min` takes when nothing changed since,
    /// and is found again after a push: the same pops, in the same order, as a queue
    /// never settled.
    #[test]
    fn settled_pops_are_the_pops() {
        let mut rng = Mt19937::new(7);
        for round in 0..300 {
            let (mut a, mut b) = (MinimaxHeap::default(), MinimaxHeap::default());
            a.reset(1 + round % 20, false);
            b.reset(1 + round % 20, false);
            for step in 0..60 {
                match rng.below(4) {
                    0 | 1 => {
                        // Few distinct distances: ties everywhere.
                        let (id, d) = (step, rng.below(6) as f32);
                        a.push(id, d);
                        b.push(id, d);
                    }
                    2 => {
                        let want = a.settle();
                        assert_eq!(want, a.peek_min());
                        assert_eq!(want, b.peek_min());
                    }
                    _ => assert_eq!(a.pop_min(), b.pop_min(), "round {round} step {step}"),
                }
            }
        }
    }

    /// `min_slot` is its definition, checked on queues of every length up to 40 with
    /// ties, infinities, NaN and popped entries: the last live slot holding the
    /// smallest comparable distance, else the last live slot.
    #[test]
    fn min_slot_is_the_last_live_minimum() {
        let mut rng = Mt19937::new(11);
        for round in 0..2000 {
            let n = round % 41;
            let mut h = MinimaxHeap::default();
            h.reset(n.max(1), false);
            for i in 0..n {
                let d = match rng.below(10) {
                    0 => f32::INFINITY,
                    1 => f32::NAN,
                    r => (r % 4) as f32,
                };
                h.ids.push(if rng.below(3) == 0 { -1 } else { i as i32 });
                h.dis.push(d);
            }
            let live = |i: &usize| h.ids[*i] != -1;
            let min = (0..n)
                .filter(live)
                .map(|i| h.dis[i])
                .fold(f32::INFINITY, f32::min);
            let want = (0..n)
                .rfind(|i| live(i) && h.dis[*i] == min)
                .or_else(|| (0..n).rfind(live));
            assert_eq!(h.min_slot(), want, "round {round}: {:?} {:?}", h.ids, h.dis);
        }
    }

    #[test]
    fn minimax_pops_closest_and_counts_popped() {
        let mut h = MinimaxHeap::default();
        h.reset(3, false);
        h.push(10, 3.0);
        h.push(11, 1.0);
        h.push(12, 2.0);
        // Full: a farther candidate is refused, a closer one evicts the farthest.
        h.push(13, 5.0);
        h.push(14, 0.5);
        assert_eq!(h.size(), 3);
        assert_eq!(h.pop_min(), Some((14, 0.5)));
        assert_eq!(h.size(), 2);
        // The popped entry still counts below a threshold.
        assert_eq!(h.count_below(1.5), 2);
        assert_eq!(h.pop_min(), Some((11, 1.0)));
        assert_eq!(h.pop_min(), Some((12, 2.0)));
        assert_eq!(h.pop_min(), None);
        // Equal distances: the last slot goes first, as Faiss's scan from the end.
        h.reset(4, false);
        for (id, d) in [(1, 1.0), (2, 1.0), (3, 1.0)] {
            h.push(id, d);
        }
        let last = h.entries().filter(|e| e.0 != -1).last().unwrap().0;
        assert_eq!(h.pop_min().map(|p| p.0), Some(last));
    }
}
