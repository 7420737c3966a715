//! The metric a search ranks by, shared by the kernels and the indexes (which
//! re-export it as `ferrofaiss_index::MetricType`), with Faiss's numeric codes.

/// Faiss's `MetricType`, restricted to the two metrics this crate computes. The
/// discriminants are Faiss's codes (`METRIC_INNER_PRODUCT` = 0, `METRIC_L2` = 1), the
/// `metric_type` integer of a Faiss index header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MetricType {
    /// Inner product: larger is better (Faiss `METRIC_INNER_PRODUCT`, code 0).
    InnerProduct = 0,
    /// Squared Euclidean distance: smaller is better (Faiss `METRIC_L2`, code 1).
    #[default]
    L2 = 1,
}

impl MetricType {
    /// The `metric_type` integer Faiss writes in an index header.
    pub fn faiss_code(self) -> i32 {
        self as i32
    }

    /// The metric for a Faiss header code, or `None` for a Faiss metric this crate does
    /// not compute (or no Faiss metric at all).
    pub fn from_faiss_code(code: i32) -> Option<MetricType> {
        match code {
            0 => Some(MetricType::InnerProduct),
            1 => Some(MetricType::L2),
            _ => None,
        }
    }

    /// The distance reported for an empty result slot: `f32::MAX` (L2) or
    /// `-f32::MAX` (inner product).
    #[inline]
    pub fn worst(self) -> f32 {
        match self {
            MetricType::L2 => f32::MAX,
            MetricType::InnerProduct => -f32::MAX,
        }
    }

    /// Whether `a` is strictly better than `b` under this metric.
    #[inline]
    pub fn is_better(self, a: f32, b: f32) -> bool {
        match self {
            MetricType::L2 => a < b,
            MetricType::InnerProduct => a > b,
        }
    }

    /// Whether a distance falls inside a range-search radius, as Faiss decides it:
    /// `dist < radius` for L2, `dist > radius` for inner product (both strict).
    #[inline]
    pub fn within_radius(self, dist: f32, radius: f32) -> bool {
        self.is_better(dist, radius)
    }
}
