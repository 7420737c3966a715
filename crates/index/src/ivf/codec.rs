//! What an IVF index stores in its lists and how it scores them: raw vectors (IVF-Flat)
//! or scalar-quantizer codes, of the vector or of its residual from the list's centroid
//! (IVF-SQ, Faiss's `IndexIVFScalarQuantizer`). The inverted-file machinery (training,
//! assignment, lists, direct map, removal, merging, every search strategy) is written
//! once over [`ListCodec`].

use std::fmt::Debug;

use flatl2_kernel::{kernels, MetricType, Rows, ScanOrder};

use super::lists::ListUnit;
use crate::exhaustive::{distances_to_rows, distances_to_rows2};
use crate::sq::{QuantizerType, ScalarQuantizer};
use crate::IndexError;

mod sealed {
    /// Only this crate's codecs implement [`super::ListCodec`].
    pub trait Sealed {}
}

/// How the vectors of an IVF index are stored in its lists: implemented by
/// [`FlatCodec`] (raw vectors) and [`SqCodec`] (scalar-quantizer codes) only.
pub trait ListCodec: Clone + Debug + PartialEq + Send + Sync + 'static + sealed::Sealed {
    /// One stored value of a code (`f32` for raw vectors, `u8` for bytes).
    type Unit: ListUnit;

    /// Stored values per vector of dimension `d`.
    fn units(&self, d: usize) -> usize;

    /// Faiss's class name of an IVF index with this codec.
    fn type_name(&self) -> &'static str;

    /// Whether codes can be made (a scalar quantizer needs its ranges).
    fn is_trained(&self) -> bool;

    /// Whether codes hold the vector minus its list's centroid.
    fn by_residual(&self) -> bool;

    /// At most how many training vectors train the codec (Faiss's
    /// `train_encoder_num_vectors`; more are subsampled).
    fn train_limit(&self) -> usize;

    /// Trains the codec on `x` (residuals when [`ListCodec::by_residual`]).
    fn train(&mut self, x: &[f32]) -> Result<(), IndexError>;

    /// Appends the code of vector `x` (in list with centroid `centroid`) to `out`;
    /// `scratch` holds `d` values of working space.
    fn encode(&self, x: &[f32], centroid: &[f32], scratch: &mut [f32], out: &mut Vec<Self::Unit>);

    /// The vector a code stands for, into `out` (`d` values).
    fn decode(&self, code: &[Self::Unit], centroid: &[f32], out: &mut [f32]);

    /// Distances from `query` to every code in `codes` (of the list with centroid
    /// `centroid`), one slot of `out` each, the codes walked in `order` (which changes
    /// no value); `scratch` is working space.
    #[allow(clippy::too_many_arguments)]
    fn distances(
        &self,
        metric: MetricType,
        query: &[f32],
        centroid: &[f32],
        codes: <Self::Unit as ListUnit>::Codes<'_>,
        out: &mut [f32],
        scratch: &mut Vec<f32>,
        order: ScanOrder,
    ) -> Result<(), IndexError>;

    /// [`ListCodec::distances`] for two queries (`queries`) at once, into `outs`: each
    /// value bit for bit what `distances` gives that query. Codecs that can read the
    /// codes once for both do; the others score the queries one after the other.
    fn distances2(
        &self,
        metric: MetricType,
        queries: [&[f32]; 2],
        centroid: &[f32],
        codes: <Self::Unit as ListUnit>::Codes<'_>,
        outs: [&mut [f32]; 2],
        scratch: &mut Vec<f32>,
    ) -> Result<(), IndexError> {
        // The codes are in cache for both (the list's first query read them).
        let [out_a, out_b] = outs;
        let order = ScanOrder::Cached;
        self.distances(metric, queries[0], centroid, codes, out_a, scratch, order)?;
        self.distances(metric, queries[1], centroid, codes, out_b, scratch, order)
    }
}

/// Raw vectors in the lists (IVF-Flat).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FlatCodec;

impl sealed::Sealed for FlatCodec {}

impl ListCodec for FlatCodec {
    type Unit = f32;

    fn units(&self, d: usize) -> usize {
        d
    }

    fn type_name(&self) -> &'static str {
        "IndexIVFFlat"
    }

    fn is_trained(&self) -> bool {
        true
    }

    fn by_residual(&self) -> bool {
        false
    }

    fn train_limit(&self) -> usize {
        0
    }

    fn train(&mut self, _x: &[f32]) -> Result<(), IndexError> {
        Ok(())
    }

    fn encode(&self, x: &[f32], _centroid: &[f32], _scratch: &mut [f32], out: &mut Vec<f32>) {
        out.extend_from_slice(x);
    }

    fn decode(&self, code: &[f32], _centroid: &[f32], out: &mut [f32]) {
        out.copy_from_slice(code);
    }

    fn distances(
        &self,
        metric: MetricType,
        query: &[f32],
        _centroid: &[f32],
        codes: Rows<'_>,
        out: &mut [f32],
        _scratch: &mut Vec<f32>,
        order: ScanOrder,
    ) -> Result<(), IndexError> {
        distances_to_rows(metric, query, codes, out, order)
    }

    fn distances2(
        &self,
        metric: MetricType,
        queries: [&[f32]; 2],
        _centroid: &[f32],
        codes: Rows<'_>,
        outs: [&mut [f32]; 2],
        _scratch: &mut Vec<f32>,
    ) -> Result<(), IndexError> {
        distances_to_rows2(metric, queries, codes, outs)
    }
}

/// Faiss's `train_encoder_num_vectors` of `IndexIVFScalarQuantizer`.
const SQ_TRAIN_LIMIT: usize = 100_000;

/// Scalar-quantizer codes in the lists (IVF-SQ), of the residual from the list's
/// centroid when `by_residual` (Faiss's default) or of the vector itself.
#[derive(Debug, Clone, PartialEq)]
pub struct SqCodec {
    pub(crate) sq: ScalarQuantizer,
    pub(crate) by_residual: bool,
}

impl SqCodec {
    /// An untrained codec of `qtype` for dimension `d`, by residual as Faiss's default.
    pub(crate) fn new(qtype: QuantizerType, d: usize) -> SqCodec {
        SqCodec {
            sq: ScalarQuantizer::new(qtype, d),
            by_residual: true,
        }
    }

    /// What the codes of the list with centroid `centroid` are compared with for
    /// `query`, and what is then added to each distance: the query itself where codes
    /// are of the vectors; by residual, for L2 the query's residual (into `scratch`:
    /// `|q - (c + r)|^2 = |(q - c) - r|^2`), for the inner product the query, plus
    /// `q.c` (`q.(c + r) = q.c + q.r`, as Faiss adds the coarse distance to the
    /// code's).
    pub(crate) fn compared_query<'a>(
        &self,
        metric: MetricType,
        query: &'a [f32],
        centroid: &[f32],
        scratch: &'a mut Vec<f32>,
    ) -> Result<(&'a [f32], Option<f32>), IndexError> {
        Ok(match (metric, self.by_residual) {
            (_, false) => (query, None),
            (MetricType::L2, true) => {
                scratch.clear();
                scratch.extend(query.iter().zip(centroid).map(|(&q, &c)| q - c));
                (scratch, None)
            }
            (MetricType::InnerProduct, true) => {
                (query, Some(kernels()?.inner_product(query, centroid)?))
            }
        })
    }
}

impl sealed::Sealed for SqCodec {}

impl ListCodec for SqCodec {
    type Unit = u8;

    fn units(&self, _d: usize) -> usize {
        self.sq.code_size()
    }

    fn type_name(&self) -> &'static str {
        "IndexIVFScalarQuantizer"
    }

    fn is_trained(&self) -> bool {
        self.sq.is_trained()
    }

    fn by_residual(&self) -> bool {
        self.by_residual
    }

    fn train_limit(&self) -> usize {
        SQ_TRAIN_LIMIT
    }

    fn train(&mut self, x: &[f32]) -> Result<(), IndexError> {
        self.sq.train(x)
    }

    fn encode(&self, x: &[f32], centroid: &[f32], scratch: &mut [f32], out: &mut Vec<u8>) {
        if self.by_residual {
            for ((r, &v), &c) in scratch.iter_mut().zip(x).zip(centroid) {
                *r = v - c;
            }
            self.sq.encode_into(scratch, out);
        } else {
            self.sq.encode_into(x, out);
        }
    }

    fn decode(&self, code: &[u8], centroid: &[f32], out: &mut [f32]) {
        self.sq.decode_into(code, out);
        if self.by_residual {
            for (o, &c) in out.iter_mut().zip(centroid) {
                *o += c;
            }
        }
    }

    fn distances(
        &self,
        metric: MetricType,
        query: &[f32],
        centroid: &[f32],
        codes: &[u8],
        out: &mut [f32],
        scratch: &mut Vec<f32>,
        order: ScanOrder,
    ) -> Result<(), IndexError> {
        let (q, added) = self.compared_query(metric, query, centroid, scratch)?;
        self.sq.distances(metric, q, codes, out, order)?;
        if let Some(qc) = added {
            for o in out.iter_mut() {
                *o += qc;
            }
        }
        Ok(())
    }
}
