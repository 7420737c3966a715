//! Top-k selection with exactly Faiss's heap semantics and tie order.
//!
//! Faiss keeps a max-heap (L2) or min-heap (inner product) of `(distance, label)`
//! pairs ordered on the distance first and the label second. A candidate enters only
//! when it is strictly better than the heap's worst entry. The result is:
//! - L2: ascending distance, ties by ascending label (the lowest labels survive);
//! - IP: descending similarity, ties by *descending* label, although the lowest labels
//!   are the ones kept (`[1, 1, 1, 2]`, k = 2 gives labels `[3, 1]`).
//!
//! Slots that stay empty come back as label `-1` with distance `f32::MAX` (L2) or
//! `-f32::MAX` (IP).

use crate::metric::MetricType;

/// A bounded heap of the `k` best `(distance, label)` pairs seen so far.
///
/// Reusable: [`TopK::reset`] empties it without freeing, so a search loop allocates
/// once per thread, not once per query.
#[derive(Debug, Clone)]
pub struct TopK {
    metric: MetricType,
    k: usize,
    dist: Vec<f32>,
    labels: Vec<i64>,
    /// The entries being sorted by [`TopK::drain_sorted_into`], kept for the next drain.
    sorted: Vec<(f32, i64)>,
}

impl TopK {
    /// An empty heap for `k` results.
    pub fn new(metric: MetricType, k: usize) -> TopK {
        let mut t = TopK {
            metric,
            k,
            dist: Vec::with_capacity(k),
            labels: Vec::with_capacity(k),
            sorted: Vec::new(),
        };
        t.reset();
        t
    }

    /// The metric this heap orders by.
    pub fn metric(&self) -> MetricType {
        self.metric
    }

    /// How many results it keeps.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Empties the heap (all slots become `(worst, -1)`).
    pub fn reset(&mut self) {
        self.dist.clear();
        self.labels.clear();
        self.dist.resize(self.k, self.metric.worst());
        self.labels.resize(self.k, -1);
    }

    /// The distance a candidate must strictly beat to enter.
    #[inline]
    pub fn threshold(&self) -> f32 {
        self.dist.first().copied().unwrap_or(self.metric.worst())
    }

    /// `(a_dist, a_label)` ranks above `(b_dist, b_label)` in the heap (closer to the
    /// top, i.e. worse), as Faiss's `cmp2`.
    #[inline]
    fn above(&self, ad: f32, al: i64, bd: f32, bl: i64) -> bool {
        match self.metric {
            MetricType::L2 => ad > bd || (ad == bd && al > bl),
            MetricType::InnerProduct => ad < bd || (ad == bd && al < bl),
        }
    }

    /// Offers one candidate; it enters when strictly better than the current worst.
    #[inline]
    pub fn push(&mut self, dist: f32, label: i64) {
        if self.k == 0 || !self.metric.is_better(dist, self.dist[0]) {
            return;
        }
        self.replace_top(dist, label);
    }

    /// Offers `dists[i]` with label `first_label + i` for every `i`.
    #[inline]
    pub fn push_run(&mut self, dists: &[f32], first_label: i64) {
        self.push_each(dists, |i| first_label + i as i64);
    }

    /// Offers `dists[i]` with label `labels[i]` for every `i` (up to the shorter).
    #[inline]
    pub fn push_labeled(&mut self, dists: &[f32], labels: &[i64]) {
        let n = dists.len().min(labels.len());
        self.push_each(&dists[..n], |i| labels[i]);
    }

    /// Offers `dists[i]` with label `label(i)` for every `i`, in order.
    #[inline]
    fn push_each(&mut self, dists: &[f32], label: impl Fn(usize) -> i64) {
        if self.k == 0 {
            return;
        }
        // Most runs hold nothing better than the threshold once the heap has filled:
        // a branch-free test per chunk (which vectorizes) skips those chunks whole.
        const CHUNK: usize = 16;
        let mut thr = self.dist[0];
        for (c, chunk) in dists.chunks(CHUNK).enumerate() {
            let any = match self.metric {
                MetricType::L2 => chunk.iter().fold(false, |a, &d| a | (d < thr)),
                MetricType::InnerProduct => chunk.iter().fold(false, |a, &d| a | (d > thr)),
            };
            if !any {
                continue;
            }
            for (i, &d) in chunk.iter().enumerate() {
                if self.metric.is_better(d, thr) {
                    self.replace_top(d, label(c * CHUNK + i));
                    thr = self.dist[0];
                }
            }
        }
    }

    fn replace_top(&mut self, dist: f32, label: i64) {
        let k = self.k;
        let mut i = 0usize;
        loop {
            let l = 2 * i + 1;
            if l >= k {
                break;
            }
            let r = l + 1;
            let child = if r < k
                && self.above(self.dist[r], self.labels[r], self.dist[l], self.labels[l])
            {
                r
            } else {
                l
            };
            if self.above(dist, label, self.dist[child], self.labels[child]) {
                break;
            }
            self.dist[i] = self.dist[child];
            self.labels[i] = self.labels[child];
            i = child;
        }
        self.dist[i] = dist;
        self.labels[i] = label;
    }

    /// Writes the results in Faiss's output order into `dist_out` and `labels_out`
    /// (each of length `k`), empty slots last, and resets the heap. Allocates on a
    /// heap's first drain only.
    pub fn drain_sorted_into(&mut self, dist_out: &mut [f32], labels_out: &mut [i64]) {
        let pairs = &mut self.sorted;
        pairs.clear();
        pairs.extend(
            self.dist
                .iter()
                .zip(&self.labels)
                .filter(|(_, &l)| l != -1)
                .map(|(&d, &l)| (d, l)),
        );
        // Best first: for L2 ascending (dist, label); for IP descending (dist, label).
        // The order is total (`total_cmp` tells apart every bit pattern), and pairs
        // that compare equal are the same bits, so the unstable sort (which does not
        // allocate) gives the only possible order.
        match self.metric {
            MetricType::L2 => {
                pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            }
            MetricType::InnerProduct => {
                pairs.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)))
            }
        }
        let worst = self.metric.worst();
        for (i, (d, l)) in dist_out.iter_mut().zip(labels_out.iter_mut()).enumerate() {
            match pairs.get(i) {
                Some(&(pd, pl)) => {
                    *d = pd;
                    *l = pl;
                }
                None => {
                    *d = worst;
                    *l = -1;
                }
            }
        }
        self.reset();
    }

    /// The results in Faiss's output order, as owned vectors of length `k`.
    pub fn into_sorted(mut self) -> (Vec<f32>, Vec<i64>) {
        let mut d = vec![0.0; self.k];
        let mut l = vec![0; self.k];
        self.drain_sorted_into(&mut d, &mut l);
        (d, l)
    }
}

/// What a many-to-many epilogue offers a block's distances to: per query lane, a bar a
/// candidate must strictly beat, and a place to put one that does.
pub(crate) trait Offers {
    /// How many query lanes this holds results for.
    fn lanes(&self) -> usize;
    /// The distance a candidate for lane `q` must strictly beat, or `None` when lane
    /// `q` keeps nothing (`k == 0`).
    fn bar(&self, q: usize) -> Option<f32>;
    /// Takes a candidate for lane `q` that beats its bar; returns the new bar.
    fn take(&mut self, q: usize, dist: f32, label: i64) -> f32;
}

impl Offers for [TopK] {
    #[inline(always)]
    fn lanes(&self) -> usize {
        self.len()
    }

    #[inline(always)]
    fn bar(&self, q: usize) -> Option<f32> {
        (self[q].k > 0).then(|| self[q].threshold())
    }

    #[inline(always)]
    fn take(&mut self, q: usize, dist: f32, label: i64) -> f32 {
        self[q].push(dist, label);
        self[q].threshold()
    }
}

/// The single best result of each query (`k = 1`), kept in the output slices
/// themselves: no heap to make, fill or drain.
///
/// It keeps what a one-slot [`TopK`] keeps: a candidate enters when strictly better
/// than the one held, so among equal distances the first offered stays, and the slots
/// start as `(worst, -1)`, the heap's empty slot and its output for it.
pub(crate) struct Best<'a> {
    dist: &'a mut [f32],
    labels: &'a mut [i64],
}

impl<'a> Best<'a> {
    /// Empties `dist` and `labels` (one slot per query, the shorter length counts) to
    /// `(metric.worst(), -1)` and holds them.
    pub(crate) fn new(metric: MetricType, dist: &'a mut [f32], labels: &'a mut [i64]) -> Best<'a> {
        let n = dist.len().min(labels.len());
        let (dist, labels) = (&mut dist[..n], &mut labels[..n]);
        dist.fill(metric.worst());
        labels.fill(-1);
        Best { dist, labels }
    }

    /// The slots of queries `range`.
    pub(crate) fn part(&mut self, range: core::ops::Range<usize>) -> Best<'_> {
        Best {
            dist: &mut self.dist[range.clone()],
            labels: &mut self.labels[range],
        }
    }
}

impl Offers for Best<'_> {
    #[inline(always)]
    fn lanes(&self) -> usize {
        self.dist.len()
    }

    #[inline(always)]
    fn bar(&self, q: usize) -> Option<f32> {
        Some(self.dist[q])
    }

    #[inline(always)]
    fn take(&mut self, q: usize, dist: f32, label: i64) -> f32 {
        self.dist[q] = dist;
        self.labels[q] = label;
        dist
    }
}
