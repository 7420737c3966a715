//! Distances between a query and stored nodes, in the form the graph ranks them:
//! squared L2, or the negated inner product (Faiss's `NegativeDistanceComputer`), so
//! that smaller is always closer.

use flatl2_kernel::{kernels, prefetch, Kernels};

use crate::{IndexError, MetricType};

/// Squared L2 distances of vectors this long or longer are summed in two halves.
const SPLIT_FROM: usize = 64;

/// How many rows ahead [`NodeDistance::each`] prefetches.
const PREFETCH_AHEAD: usize = 2;

/// The stored vectors and the kernel that compares them.
#[derive(Clone, Copy)]
pub(crate) struct NodeDistance<'a> {
    kernels: &'static Kernels,
    vectors: &'a [f32],
    d: usize,
    negate: bool,
    /// Length of the head of a split L2 sum (0: not split).
    head: usize,
}

impl<'a> NodeDistance<'a> {
    /// Distances over `vectors` (row-major, dimension `d`) for `metric`.
    pub(crate) fn new(
        vectors: &'a [f32],
        d: usize,
        metric: MetricType,
    ) -> Result<NodeDistance<'a>, IndexError> {
        let negate = metric == MetricType::InnerProduct;
        Ok(NodeDistance {
            kernels: kernels()?,
            vectors,
            d,
            negate,
            // Only squared L2 sums only grow, so only they may stop at a head.
            head: if !negate && d >= SPLIT_FROM {
                (d / 2) & !15
            } else {
                0
            },
        })
    }

    /// Node `i`'s vector.
    #[inline]
    pub(crate) fn row(&self, i: usize) -> &'a [f32] {
        &self.vectors[i * self.d..(i + 1) * self.d]
    }

    /// The ranking distance between two vectors of dimension `d`. Squared L2 of long
    /// vectors is summed in two halves, `head + tail`, so that a distance can be
    /// abandoned after its head (see [`NodeDistance::each`]); every L2 distance of the
    /// graph is summed this way, so all of them agree.
    #[inline]
    pub(crate) fn between(&self, a: &[f32], b: &[f32]) -> f32 {
        if self.negate {
            return -self
                .kernels
                .inner_product(a, b)
                .unwrap_or(f32::NEG_INFINITY);
        }
        match self.head {
            0 => self.l2(a, b),
            h => self.l2(&a[..h], &b[..h]) + self.l2(&a[h..], &b[h..]),
        }
    }

    #[inline]
    fn l2(&self, a: &[f32], b: &[f32]) -> f32 {
        self.kernels.l2_sqr(a, b).unwrap_or(f32::INFINITY)
    }

    /// Whether nodes `a` and `b` are closer than `bound` to each other (Faiss's
    /// `symmetric_dis(a, b) < bound`), deciding from the head of a split sum where it
    /// can.
    #[inline]
    pub(crate) fn nodes_closer_than(&self, a: usize, b: usize, bound: f32) -> bool {
        self.below(self.row(a), b, bound).is_some()
    }

    /// The distance from `query` to node `i` if it is below `bound`; `None` when it is
    /// not (decided, for long L2 vectors, from the head alone: squares only add).
    #[inline]
    fn below(&self, query: &[f32], i: usize, bound: f32) -> Option<f32> {
        let row = self.row(i);
        let d = match self.head {
            0 => self.between(query, row),
            h => {
                let head = self.l2(&query[..h], &row[..h]);
                if head >= bound {
                    return None;
                }
                head + self.l2(&query[h..], &row[h..])
            }
        };
        (d < bound).then_some(d)
    }

    /// The ranking distance from `query` to node `i`.
    #[inline]
    pub(crate) fn to(&self, query: &[f32], i: usize) -> f32 {
        self.between(query, self.row(i))
    }

    /// The ranking distance between nodes `a` and `b` (Faiss's `symmetric_dis(a, b)`).
    #[inline]
    pub(crate) fn nodes(&self, a: usize, b: usize) -> f32 {
        self.between(self.row(a), self.row(b))
    }

    /// For each node of `nodes`, in order, whose distance is below the current bound:
    /// `visit(node, distance)`, which returns the bound for the next node (a distance at
    /// or above it changes nothing for the caller, so it may be abandoned early). The
    /// rows a few nodes ahead are prefetched: a graph walk reads rows scattered over the
    /// whole store, and without this each distance waits on memory (Faiss computes four
    /// at a time for the same reason).
    #[inline]
    pub(crate) fn each(
        &self,
        query: &[f32],
        nodes: &[i32],
        mut bound: f32,
        mut visit: impl FnMut(i32, f32) -> f32,
    ) {
        for &v in nodes.iter().take(PREFETCH_AHEAD) {
            prefetch(self.row(v as usize));
        }
        for (i, &v) in nodes.iter().enumerate() {
            if let Some(&next) = nodes.get(i + PREFETCH_AHEAD) {
                prefetch(self.row(next as usize));
            }
            if let Some(d) = self.below(query, v as usize, bound) {
                bound = visit(v, d);
            }
        }
    }

    /// Whether distances are negated inner products.
    pub(crate) fn negated(&self) -> bool {
        self.negate
    }
}
