//! `ScalarQuantizerIndex`: exhaustive search over vectors stored as scalar-quantizer
//! codes (Faiss's `IndexScalarQuantizer`, factory `SQ8` / `SQfp16`): a quarter (8-bit)
//! or half (fp16) of the bytes of a flat index, distances computed on the values the
//! codes decode to. Ids are row positions, as in a flat index.

mod int_scan;
mod quantizer;
pub(crate) mod scan;

pub use quantizer::QuantizerType;
pub(crate) use quantizer::ScalarQuantizer;

/// A scalar quantizer's dimension must be positive and at most
/// [`quantizer::MAX_SQ_DIMENSION`] (what Faiss's reader accepts).
pub(crate) fn check_sq_dimension(d: usize) -> Result<(), IndexError> {
    if d == 0 {
        return Err(IndexError::ZeroDimension);
    }
    if d > quantizer::MAX_SQ_DIMENSION {
        return Err(IndexError::InvalidParameter(format!(
            "dimension {d} is more than the {} a scalar quantizer may have",
            quantizer::MAX_SQ_DIMENSION
        )));
    }
    Ok(())
}

use flatl2_kernel::ScanOrder;

use crate::index_trait::same_kind;
use crate::rows::{range_over_rows, remove_rows};
use crate::validate::{check_k, check_radius, checked_vectors, vector_count};
use crate::{
    IdSelector, Index, IndexError, MetricType, RangeSearchResult, SearchParams, SearchResult,
};
pub(crate) use int_scan::Sq8Query;
pub(crate) use scan::{keep_limit, limit_f32};
use scan::{knn_codes, CodeRows, CodeScorer};

/// Exhaustive index over scalar-quantized vectors (Faiss `IndexScalarQuantizer`).
///
/// An 8-bit index must be trained (per-coordinate ranges, from the training vectors'
/// minimum and maximum) before vectors are added; an fp16 index needs no training.
#[derive(Debug, Clone)]
pub struct ScalarQuantizerIndex {
    metric: MetricType,
    sq: ScalarQuantizer,
    /// `ntotal * code_size` bytes, vector after vector.
    codes: Vec<u8>,
    /// The squared norm of each code (see `int_scan`) where the L2 scan runs in
    /// integers ([`ScalarQuantizerIndex::keeps_norms`]); empty otherwise.
    norms: Vec<f32>,
}

/// How the index scores its codes: 8-bit codes first with integer weights
/// (`int_scan`, approximate), the rows that may be among the nearest then exactly; the
/// float kernels alone otherwise (fp16, very wide 8-bit codes, a query that is not
/// finite). Results are the float kernels' either way.
struct SqScorer<'a> {
    sq: &'a ScalarQuantizer,
    metric: MetricType,
    norms: &'a [f32],
}

/// A query as [`SqScorer`] prepares it: itself, and its integer weights where the
/// codes are scanned in integers.
struct SqQuery {
    q: Vec<f32>,
    int: Option<Sq8Query>,
}

impl CodeScorer for SqScorer<'_> {
    type Query = SqQuery;

    fn prepare(&self, q: &[f32]) -> Result<SqQuery, IndexError> {
        Ok(SqQuery {
            q: q.to_vec(),
            int: self.sq.int_query(self.metric, q),
        })
    }

    fn score(
        &self,
        query: &mut SqQuery,
        first: usize,
        codes: &[u8],
        out: &mut [f32],
        order: ScanOrder,
    ) -> Result<(), IndexError> {
        match &mut query.int {
            Some(p) => {
                // L2 reads the codes' norms, which the index keeps for every code.
                let norms = self.norms.get(first..first + out.len()).unwrap_or(&[]);
                p.distances(codes, norms, out)
            }
            None => self.sq.distances(self.metric, &query.q, codes, out, order),
        }
    }

    fn slack(&self, query: &SqQuery, at: f32) -> Option<f64> {
        query.int.as_ref().map(|p| p.slack(at))
    }

    fn exact(&self, query: &mut SqQuery, codes: &[u8], out: &mut [f32]) -> Result<(), IndexError> {
        self.sq
            .distances(self.metric, &query.q, codes, out, ScanOrder::Cached)
    }
}

/// The raw parts of a [`ScalarQuantizerIndex`], as a Faiss file's `IxSQ` body holds
/// them.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalarQuantizerParts {
    /// Vector dimension.
    pub d: usize,
    /// Distance.
    pub metric: MetricType,
    /// Quantizer type.
    pub qtype: QuantizerType,
    /// Faiss's `rangestat` (0 = min/max, the only one this crate trains with).
    pub rangestat: i32,
    /// Faiss's `rangestat_arg`.
    pub rangestat_arg: f32,
    /// Trained values: `[vmin; d] ++ [vmax - vmin; d]` for 8-bit, empty for fp16 (or
    /// an untrained 8-bit quantizer).
    pub trained: Vec<f32>,
    /// `ntotal * code_size` bytes.
    pub codes: Vec<u8>,
}

impl ScalarQuantizerIndex {
    /// An empty index of dimension `d` with quantizer `qtype`, ranking by `metric`.
    pub fn new(
        d: usize,
        qtype: QuantizerType,
        metric: MetricType,
    ) -> Result<ScalarQuantizerIndex, IndexError> {
        check_sq_dimension(d)?;
        Ok(ScalarQuantizerIndex {
            metric,
            sq: ScalarQuantizer::new(qtype, d),
            codes: Vec::new(),
            norms: Vec::new(),
        })
    }

    /// Whether the index keeps each code's squared norm: an L2 index whose codes are
    /// scanned in integers.
    fn keeps_norms(&self) -> bool {
        self.metric == MetricType::L2 && self.sq.scans_in_integers()
    }

    /// Appends the norms of `codes` (just appended) where the index keeps them.
    fn add_norms(&mut self, first_byte: usize) -> Result<(), IndexError> {
        if self.keeps_norms() {
            self.sq
                .code_norms_into(&self.codes[first_byte..], &mut self.norms)?;
        }
        Ok(())
    }

    /// The distance of `q` to every code, into `dist`, for a range search of `radius`:
    /// exact in every block of rows that may hold one within the radius; elsewhere the
    /// metric's worst (rows known to be outside it).
    fn range_distances(&self, q: &[f32], radius: f32, dist: &mut [f32]) -> Result<(), IndexError> {
        let scorer = self.scorer();
        let mut query = scorer.prepare(q)?;
        let order = ScanOrder::for_bytes(self.codes.len());
        scorer.score(&mut query, 0, &self.codes, dist, order)?;
        let Some(slack) = scorer.slack(&query, radius) else {
            return Ok(());
        };
        // Outside the radius by more than the slack: outside it exactly too.
        let near = |dv: f32| match self.metric {
            MetricType::L2 => f64::from(dv) <= f64::from(radius) + slack,
            MetricType::InnerProduct => f64::from(dv) >= f64::from(radius) - slack,
        };
        // Blocks holding a row near the radius are rescored whole (one kernel call).
        const BLOCK: usize = 256;
        let cs = self.sq.code_size();
        for (b, block) in dist.chunks_mut(BLOCK).enumerate() {
            if block.iter().any(|&dv| near(dv)) {
                let codes = &self.codes[b * BLOCK * cs..(b * BLOCK + block.len()) * cs];
                scorer.exact(&mut query, codes, block)?;
            } else {
                block.fill(self.metric.worst());
            }
        }
        Ok(())
    }

    /// The scorer of this index's codes.
    fn scorer(&self) -> SqScorer<'_> {
        SqScorer {
            sq: &self.sq,
            metric: self.metric,
            norms: &self.norms,
        }
    }

    /// An index from its raw parts (e.g. parsed from a Faiss file). Codes are checked
    /// for whole vectors and, when there are any, for a trained quantizer.
    pub fn from_parts(parts: ScalarQuantizerParts) -> Result<ScalarQuantizerIndex, IndexError> {
        let mut index = ScalarQuantizerIndex::new(parts.d, parts.qtype, parts.metric)?;
        index.sq = ScalarQuantizer::from_parts(
            parts.qtype,
            parts.d,
            parts.rangestat,
            parts.rangestat_arg,
            parts.trained,
        )?;
        let cs = index.sq.code_size();
        if !parts.codes.len().is_multiple_of(cs) {
            return Err(IndexError::InvalidParameter(format!(
                "{} code bytes are not whole codes of {cs} bytes",
                parts.codes.len()
            )));
        }
        if !parts.codes.is_empty() && !index.sq.is_trained() {
            return Err(IndexError::NotTrained);
        }
        index.codes = parts.codes;
        index.add_norms(0)?;
        Ok(index)
    }

    /// The quantizer type.
    pub fn quantizer_type(&self) -> QuantizerType {
        self.sq.qtype
    }

    /// Bytes per stored vector (`d` for 8-bit, `2d` for fp16).
    pub fn code_size(&self) -> usize {
        self.sq.code_size()
    }

    /// The stored codes, vector after vector.
    pub fn codes(&self) -> &[u8] {
        &self.codes
    }

    /// Faiss's `rangestat` and `rangestat_arg` (training-time settings, kept for files).
    pub fn range_stat(&self) -> (i32, f32) {
        (self.sq.rangestat, self.sq.rangestat_arg)
    }

    /// The trained values (`[vmin; d] ++ [vdiff; d]` for 8-bit; empty for fp16 or
    /// before training).
    pub fn trained(&self) -> &[f32] {
        &self.sq.trained
    }

    /// k-NN of validated queries, only rows `selector` picks when given.
    fn knn(
        &self,
        queries: &[f32],
        k: usize,
        selector: Option<&IdSelector>,
    ) -> Result<SearchResult, IndexError> {
        let scorer = self.scorer();
        let rows = CodeRows {
            metric: self.metric,
            d: self.sq.d,
            codes: &self.codes,
            code_size: self.sq.code_size(),
            scorer: &scorer,
        };
        let matcher = selector.map(IdSelector::matcher);
        let (distances, labels) = knn_codes(&rows, queries, k, matcher.as_ref())?;
        Ok(SearchResult {
            nq: queries.len() / self.sq.d,
            k,
            distances,
            labels,
        })
    }

    fn ensure_trained(&self) -> Result<(), IndexError> {
        if self.sq.is_trained() {
            Ok(())
        } else {
            Err(IndexError::NotTrained)
        }
    }
}

impl Index for ScalarQuantizerIndex {
    fn dimension(&self) -> usize {
        self.sq.d
    }

    fn ntotal(&self) -> usize {
        self.codes.len() / self.sq.code_size()
    }

    fn metric(&self) -> MetricType {
        self.metric
    }

    fn is_trained(&self) -> bool {
        self.sq.is_trained()
    }

    /// Faiss's `ScalarQuantizer::train` (min/max ranges for 8-bit; nothing for fp16).
    /// Retraining an index that holds codes is refused: they would decode wrongly.
    fn train(&mut self, x: &[f32]) -> Result<(), IndexError> {
        let n = checked_vectors(x, self.sq.d)?;
        if !self.codes.is_empty() {
            return Err(IndexError::InvalidParameter(
                "training a scalar quantizer that already holds codes".into(),
            ));
        }
        if n == 0 && self.sq.qtype == QuantizerType::Sq8 {
            return Err(IndexError::TooFewTrainingPoints { got: 0, needed: 1 });
        }
        self.sq.train(x)
    }

    /// Encodes `x` (whole, NaN-free vectors) and appends the codes; values outside an
    /// 8-bit range are clamped to it, as in Faiss.
    fn add(&mut self, x: &[f32]) -> Result<(), IndexError> {
        vector_count(x, self.sq.d)?;
        self.ensure_trained()?;
        checked_vectors(x, self.sq.d)?;
        let add_bytes = (x.len() / self.sq.d) * self.sq.code_size();
        self.codes.reserve_exact(add_bytes);
        let first_byte = self.codes.len();
        self.sq.encode_into(x, &mut self.codes);
        let norms_before = self.norms.len();
        self.add_norms(first_byte).inspect_err(|_| {
            // Nothing added unless all of it is.
            self.codes.truncate(first_byte);
            self.norms.truncate(norms_before);
        })
    }

    fn add_with_ids(&mut self, _x: &[f32], _ids: &[i64]) -> Result<(), IndexError> {
        Err(IndexError::Unsupported(
            "add_with_ids on a scalar-quantizer index (ids are row positions); wrap it in IdMap"
                .into(),
        ))
    }

    fn search(
        &self,
        queries: &[f32],
        k: usize,
        params: Option<&SearchParams>,
    ) -> Result<SearchResult, IndexError> {
        check_k(k, queries.len() / self.sq.d)?;
        checked_vectors(queries, self.sq.d)?;
        if self.codes.is_empty() {
            return Ok(SearchResult::empty(
                queries.len() / self.sq.d,
                k,
                self.metric.worst(),
            ));
        }
        self.knn(queries, k, params.and_then(|p| p.selector))
    }

    fn range_search(
        &self,
        queries: &[f32],
        radius: f32,
        params: Option<&SearchParams>,
    ) -> Result<RangeSearchResult, IndexError> {
        check_radius(radius)?;
        checked_vectors(queries, self.sq.d)?;
        range_over_rows(
            self.metric,
            queries,
            self.sq.d,
            self.ntotal(),
            radius,
            params.and_then(|p| p.selector),
            |q, dist| self.range_distances(q, radius, dist),
        )
    }

    fn remove_ids(&mut self, sel: &IdSelector) -> Result<usize, IndexError> {
        if self.keeps_norms() {
            let (kept, _) = remove_rows(&mut self.norms, 1, sel);
            self.norms.truncate(kept);
        }
        let (kept, removed) = remove_rows(&mut self.codes, self.sq.code_size(), sel);
        self.codes.truncate(kept);
        Ok(removed)
    }

    /// The decoded vector (what search compares with), not the vector added.
    fn reconstruct_into(&self, id: i64, out: &mut [f32]) -> Result<(), IndexError> {
        let cs = self.sq.code_size();
        let code = usize::try_from(id)
            .ok()
            .and_then(|i| self.codes.get(i.checked_mul(cs)?..(i + 1).checked_mul(cs)?))
            .ok_or(IndexError::UnknownId(id))?;
        if out.len() != self.sq.d {
            return Err(IndexError::DimensionMismatch {
                dimension: self.sq.d,
                len: out.len(),
            });
        }
        self.sq.decode_into(code, out);
        Ok(())
    }

    fn reset(&mut self) {
        self.codes.clear();
        self.norms.clear();
    }

    fn merge_from(&mut self, other: &mut dyn Index) -> Result<(), IndexError> {
        let o = same_kind::<ScalarQuantizerIndex>(self.type_name(), other)?;
        if o.metric != self.metric || o.sq != self.sq {
            return Err(IndexError::IncompatibleMerge(
                "scalar quantizers differ (dimension, metric, type or trained ranges)".into(),
            ));
        }
        let (moved, moved_norms) = (std::mem::take(&mut o.codes), std::mem::take(&mut o.norms));
        if self.codes.is_empty() {
            (self.codes, self.norms) = (moved, moved_norms);
        } else {
            self.codes.extend_from_slice(&moved);
            self.norms.extend_from_slice(&moved_norms);
        }
        Ok(())
    }

    fn type_name(&self) -> &'static str {
        "IndexScalarQuantizer"
    }

    /// Visits the decoded vectors.
    fn for_each_vector(&self, visit: &mut dyn FnMut(i64, &[f32])) -> Result<(), IndexError> {
        let mut buf = vec![0.0f32; self.sq.d];
        for (row, code) in self.codes.chunks_exact(self.sq.code_size()).enumerate() {
            self.sq.decode_into(code, &mut buf);
            visit(row as i64, &buf);
        }
        Ok(())
    }
}
