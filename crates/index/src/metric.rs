//! The distance an index ranks by, with Faiss's numeric codes.

use flatl2_kernel::Metric;

use crate::IndexError;

/// Faiss's `MetricType`, restricted to the two metrics this crate searches with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MetricType {
    /// Inner product: larger is better (Faiss `METRIC_INNER_PRODUCT`, code 0).
    InnerProduct,
    /// Squared Euclidean distance: smaller is better (Faiss `METRIC_L2`, code 1).
    #[default]
    L2,
}

impl MetricType {
    /// The `metric_type` integer Faiss writes in an index header.
    pub fn faiss_code(self) -> i32 {
        match self {
            MetricType::InnerProduct => 0,
            MetricType::L2 => 1,
        }
    }

    /// The metric for a Faiss header code; other Faiss metrics are
    /// [`IndexError::Unsupported`].
    pub fn from_faiss_code(code: i32) -> Result<MetricType, IndexError> {
        match code {
            0 => Ok(MetricType::InnerProduct),
            1 => Ok(MetricType::L2),
            other => Err(IndexError::Unsupported(format!(
                "Faiss metric type {other} (only 0 = inner product and 1 = L2 are supported)"
            ))),
        }
    }

    /// The kernel's ordering for this metric.
    pub fn kernel_metric(self) -> Metric {
        match self {
            MetricType::InnerProduct => Metric::InnerProduct,
            MetricType::L2 => Metric::L2,
        }
    }

    /// The distance reported in an empty result slot: `f32::MAX` (L2) or `-f32::MAX` (IP).
    pub fn worst(self) -> f32 {
        self.kernel_metric().worst()
    }

    /// Whether a distance falls inside a range-search radius, as Faiss decides it:
    /// `dist < radius` for L2, `dist > radius` for inner product (both strict).
    pub fn within_radius(self, dist: f32, radius: f32) -> bool {
        match self {
            MetricType::L2 => dist < radius,
            MetricType::InnerProduct => dist > radius,
        }
    }
}

impl From<MetricType> for Metric {
    fn from(m: MetricType) -> Metric {
        m.kernel_metric()
    }
}
