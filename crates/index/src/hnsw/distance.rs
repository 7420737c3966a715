//! Distances between a query and stored nodes, in the form the graph ranks them:
//! squared L2, or the negated inner product (Faiss's `NegativeDistanceComputer`), so
//! that smaller is always closer.

use flatl2_kernel::{kernels, Kernels};

use crate::{IndexError, MetricType};

/// The stored vectors and the kernel that compares them.
#[derive(Clone, Copy)]
pub(crate) struct NodeDistance<'a> {
    kernels: &'static Kernels,
    vectors: &'a [f32],
    d: usize,
    negate: bool,
}

impl<'a> NodeDistance<'a> {
    /// Distances over `vectors` (row-major, dimension `d`) for `metric`.
    pub(crate) fn new(
        vectors: &'a [f32],
        d: usize,
        metric: MetricType,
    ) -> Result<NodeDistance<'a>, IndexError> {
        Ok(NodeDistance {
            kernels: kernels()?,
            vectors,
            d,
            negate: metric == MetricType::InnerProduct,
        })
    }

    /// Node `i`'s vector.
    #[inline]
    pub(crate) fn row(&self, i: usize) -> &'a [f32] {
        &self.vectors[i * self.d..(i + 1) * self.d]
    }

    /// The ranking distance between two vectors of dimension `d`.
    #[inline]
    pub(crate) fn between(&self, a: &[f32], b: &[f32]) -> f32 {
        if self.negate {
            -self
                .kernels
                .inner_product(a, b)
                .unwrap_or(f32::NEG_INFINITY)
        } else {
            self.kernels.l2_sqr(a, b).unwrap_or(f32::INFINITY)
        }
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

    /// Whether distances are negated inner products.
    pub(crate) fn negated(&self) -> bool {
        self.negate
    }
}
