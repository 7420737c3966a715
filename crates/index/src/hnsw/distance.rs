//! Distances between a query and stored nodes, in the form the graph ranks them:
//! squared L2, or the negated inner product (Faiss's `NegativeDistanceComputer`), so
//! that smaller is always closer.

use flatl2_kernel::{kernels, prefetch, Kernels};

use super::heaps::Node;
use crate::{IndexError, MetricType};

/// Squared L2 distances of vectors this long or longer are summed in two halves.
const SPLIT_FROM: usize = 64;

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
            // Squared L2 sums only grow, so only they may stop at a head.
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
    /// vectors is summed in two halves, `head + tail`, so that a lone distance can be
    /// abandoned after its head (see [`NodeDistance::each`]); every L2 distance of the
    /// graph, four-row ones included, is summed this way, so all of them agree.
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

    /// Whether node `a` is closer than `bound` to any node of `others` (Faiss's
    /// `symmetric_dis(other, a) < bound` for some other). Four nodes are compared at a
    /// time; the distances are symmetric to the bit (`(x - y)^2` and `x * y` are), so
    /// the answer is Faiss's whatever the order of the pair.
    #[inline]
    pub(crate) fn any_closer_than(&self, a: usize, others: &[Node], bound: f32) -> bool {
        let row = self.row(a);
        let mut groups = others.chunks_exact(4);
        for g in groups.by_ref() {
            let ids = [g[0].1, g[1].1, g[2].1, g[3].1].map(|v| v as usize);
            if self.four(row, ids).iter().any(|&d| d < bound) {
                return true;
            }
        }
        groups
            .remainder()
            .iter()
            .any(|o| self.below(row, o.1 as usize, bound).is_some())
    }

    /// `visit(node, distance)` for every node of `nodes`, in order, with the distances
    /// from node `a` (Faiss's `symmetric_dis(a, node)`), four nodes at a time.
    #[inline]
    pub(crate) fn node_to_each(&self, a: usize, nodes: &[i32], mut visit: impl FnMut(i32, f32)) {
        let row = self.row(a);
        let mut groups = nodes.chunks_exact(4);
        for g in groups.by_ref() {
            let ids = [g[0], g[1], g[2], g[3]];
            let ds = self.four(row, ids.map(|v| v as usize));
            for (v, d) in ids.into_iter().zip(ds) {
                visit(v, d);
            }
        }
        for &v in groups.remainder() {
            visit(v, self.to(row, v as usize));
        }
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

    /// The ranking distances from `query` to four nodes, each bit for bit
    /// [`NodeDistance::to`]'s, their rows read together.
    #[inline]
    fn four(&self, query: &[f32], nodes: [usize; 4]) -> [f32; 4] {
        let rows = nodes.map(|i| self.row(i));
        let k = self.kernels;
        if self.negate {
            let ip = k.inner_product_x4(query, rows);
            // As `between`: a kernel error (never, rows have the query's length) ranks
            // last.
            return ip.map_or([f32::INFINITY; 4], |ip| ip.map(|x| -x));
        }
        let l2 = |q: &[f32], r: [&[f32]; 4]| k.l2_sqr_x4(q, r).unwrap_or([f32::INFINITY; 4]);
        match self.head {
            0 => l2(query, rows),
            h => {
                let head = l2(&query[..h], rows.map(|r| &r[..h]));
                let tail = l2(&query[h..], rows.map(|r| &r[h..]));
                [0, 1, 2, 3].map(|j| head[j] + tail[j])
            }
        }
    }

    /// For each node of `nodes`, in order, whose distance is below the current bound:
    /// `visit(node, distance)`, which returns the bound for the next node (a distance at
    /// or above it changes nothing for the caller). Distances are computed four nodes
    /// at a time (Faiss's `distances_batch_4`): a graph walk reads rows scattered over
    /// the whole store, and four rows' loads in flight together wait on memory once;
    /// the next four rows are prefetched meanwhile. The last nodes (fewer than four)
    /// are compared one by one, a long L2 sum abandoned after its head where that
    /// decides it.
    #[inline]
    pub(crate) fn each(
        &self,
        query: &[f32],
        nodes: &[i32],
        mut bound: f32,
        mut visit: impl FnMut(i32, f32) -> f32,
    ) {
        let mut groups = nodes.chunks_exact(4);
        for (g, group) in groups.by_ref().enumerate() {
            for &v in nodes.iter().skip(4 * (g + 1)).take(4) {
                prefetch(self.row(v as usize));
            }
            let ids = [group[0], group[1], group[2], group[3]];
            let ds = self.four(query, ids.map(|v| v as usize));
            for (v, d) in ids.into_iter().zip(ds) {
                if d < bound {
                    bound = visit(v, d);
                }
            }
        }
        for &v in groups.remainder() {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `each` visits what a node-by-node walk with [`NodeDistance::to`] visits, with the
    /// same distance bits, whatever the number of nodes and however the bound moves.
    #[test]
    fn each_is_the_node_by_node_walk() {
        let n = 40;
        let mut x = 0x2545_f491u32;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x % 2001) as f32 / 1000.0 - 1.0
        };
        for (d, metric) in [
            (16, MetricType::L2),
            (100, MetricType::L2),
            (130, MetricType::InnerProduct),
        ] {
            let vectors: Vec<f32> = (0..n * d).map(|_| next()).collect();
            let query: Vec<f32> = (0..d).map(|_| next()).collect();
            let dist = NodeDistance::new(&vectors, d, metric).unwrap();
            for len in 0..=11usize {
                let nodes: Vec<i32> = (0..len).map(|i| ((i * 7 + len) % n) as i32).collect();
                let all: Vec<f32> = nodes.iter().map(|&v| dist.to(&query, v as usize)).collect();
                // A bound that tightens to the middle of what has been seen.
                let start = all.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let tighten = |seen: &mut Vec<f32>, d: f32| {
                    seen.push(d);
                    let mut s = seen.clone();
                    s.sort_by(f32::total_cmp);
                    s[s.len() / 2]
                };
                let mut want = Vec::new();
                let (mut bound, mut seen) = (start, Vec::new());
                for (&v, &d) in nodes.iter().zip(&all) {
                    if d < bound {
                        want.push((v, d.to_bits()));
                        bound = tighten(&mut seen, d);
                    }
                }
                let mut got = Vec::new();
                let mut seen = Vec::new();
                dist.each(&query, &nodes, start, |v, d| {
                    got.push((v, d.to_bits()));
                    tighten(&mut seen, d)
                });
                assert_eq!(got, want, "d={d} {metric:?} len={len}");
            }
        }
    }
}
