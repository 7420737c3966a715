//! The typed errors every public function of this crate returns for bad input.

use flatl2_kernel::KernelError;

/// What can go wrong when an index is built, filled, searched or merged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndexError {
    /// The dimension given to a constructor is zero.
    #[error("dimension must be positive")]
    ZeroDimension,
    /// A slice of vectors is not a whole number of vectors of the index's dimension,
    /// or a single vector has the wrong length.
    #[error("{len} values are not a whole number of vectors of dimension {dimension}")]
    DimensionMismatch {
        /// The index's dimension.
        dimension: usize,
        /// The number of values passed.
        len: usize,
    },
    /// The number of ids differs from the number of vectors.
    #[error("{ids} ids given for {vectors} vectors")]
    IdCountMismatch {
        /// Number of vectors passed.
        vectors: usize,
        /// Number of ids passed.
        ids: usize,
    },
    /// A vector contains a NaN component.
    #[error("vector {row} contains NaN")]
    NanVector {
        /// Position of the offending vector within the slice passed.
        row: usize,
    },
    /// The index must be trained before vectors are added or searched.
    #[error("the index is not trained")]
    NotTrained,
    /// Too few training vectors for the number of clusters.
    #[error(
        "{got} training vectors for {needed} clusters: need at least as many vectors as clusters"
    )]
    TooFewTrainingPoints {
        /// Training vectors passed.
        got: usize,
        /// Clusters requested.
        needed: usize,
    },
    /// No vector is stored under this id.
    #[error("unknown id {0}")]
    UnknownId(i64),
    /// The id is already stored (an index that keeps a reverse id map needs unique ids).
    #[error("duplicate id {0}")]
    DuplicateId(i64),
    /// A negative id where only ids >= 0 are allowed (-1 means "no result").
    #[error("invalid id {0}: ids must be >= 0")]
    NegativeId(i64),
    /// A search parameter is out of range (k = 0, nprobe = 0, ...).
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// Two indexes cannot be merged (different kind, dimension, metric or quantizer).
    #[error("cannot merge: {0}")]
    IncompatibleMerge(String),
    /// Raw parts handed to a `from_parts` constructor are inconsistent.
    #[error("inconsistent index parts: {0}")]
    InvalidParts(String),
    /// The operation is not available for this index type or configuration.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A factory string names no index this crate builds.
    #[error("unknown index factory string {spec:?}; supported: {supported}")]
    UnknownFactory {
        /// The string passed.
        spec: String,
        /// The supported forms.
        supported: &'static str,
    },
    /// A compute device (the `wgpu` path of `ferrofaiss-gpu`) failed: no adapter, a lost
    /// device, out of device memory. The message says which and why.
    #[error("device: {0}")]
    Device(String),
    /// A distance kernel rejected its arguments.
    #[error("kernel: {0}")]
    Kernel(#[from] KernelError),
}
