//! Faiss's `ScalarQuantizer` for the two types this crate supports: `QT_8bit` (one byte
//! per coordinate, per-coordinate ranges trained by min/max) and `QT_fp16` (IEEE half
//! precision, no training). Encoding follows Faiss exactly, so codes (and files) are
//! byte-identical; distances are computed on decoded values, in registers.

use flatl2_kernel::{f16, kernels, MetricType, ScanOrder};

use super::int_scan::{Sq8Query, INT_SCAN_MAX_D};
use crate::IndexError;

/// The quantizer types of [`crate::ScalarQuantizerIndex`] (Faiss's
/// `ScalarQuantizer::QuantizerType`; factory strings `SQ8` and `SQfp16`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantizerType {
    /// `QT_8bit`: each coordinate in one byte over its own trained `[min, max]` range.
    Sq8,
    /// `QT_fp16`: each coordinate as an IEEE-754 half (round to nearest even).
    Fp16,
}

impl QuantizerType {
    /// Faiss's `qtype` code, as stored in files (0 for `QT_8bit`, 4 for `QT_fp16`).
    pub fn faiss_code(self) -> i32 {
        match self {
            QuantizerType::Sq8 => 0,
            QuantizerType::Fp16 => 4,
        }
    }

    /// The type of a Faiss `qtype` code, `None` for the types this crate lacks.
    pub fn from_faiss_code(code: i32) -> Option<QuantizerType> {
        match code {
            0 => Some(QuantizerType::Sq8),
            4 => Some(QuantizerType::Fp16),
            _ => None,
        }
    }

    /// Bytes per vector of dimension `d` (`None` on overflow).
    pub fn code_size(self, d: usize) -> Option<usize> {
        match self {
            QuantizerType::Sq8 => Some(d),
            QuantizerType::Fp16 => d.checked_mul(2),
        }
    }

    /// The factory string's name (`SQ8`, `SQfp16`).
    pub fn factory_name(self) -> &'static str {
        match self {
            QuantizerType::Sq8 => "SQ8",
            QuantizerType::Fp16 => "SQfp16",
        }
    }

    /// How many trained floats a quantizer of dimension `d` holds (`2d` for 8-bit,
    /// none for fp16).
    pub(crate) fn trained_len(self, d: usize) -> usize {
        match self {
            QuantizerType::Sq8 => 2 * d,
            QuantizerType::Fp16 => 0,
        }
    }
}

/// The largest dimension of a scalar quantizer: Faiss's file reader's limit (`d` in
/// `[0, 2^20]`), so that every index can be written and read back.
pub(crate) const MAX_SQ_DIMENSION: usize = 1 << 20;

/// Faiss's `RangeStat` `RS_minmax` (the default): the range of a coordinate is the
/// minimum and maximum of the training data.
pub(crate) const RANGESTAT_MINMAX: i32 = 0;

/// A scalar quantizer: its type, dimension, training-time settings and trained ranges.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScalarQuantizer {
    pub(crate) qtype: QuantizerType,
    pub(crate) d: usize,
    /// Faiss's `rangestat` and `rangestat_arg`: kept so a file is written back as read.
    pub(crate) rangestat: i32,
    pub(crate) rangestat_arg: f32,
    /// 8-bit: `[vmin_0 .. vmin_{d-1}, vdiff_0 .. vdiff_{d-1}]`; empty for fp16 or before
    /// training.
    pub(crate) trained: Vec<f32>,
    /// 8-bit, derived from `trained`: code `c` decodes to `offset[j] + c * scale[j]`.
    offset: Vec<f32>,
    scale: Vec<f32>,
}

impl ScalarQuantizer {
    /// An untrained quantizer (fp16 needs no training) with Faiss's default range
    /// statistic.
    pub(crate) fn new(qtype: QuantizerType, d: usize) -> ScalarQuantizer {
        ScalarQuantizer {
            qtype,
            d,
            rangestat: RANGESTAT_MINMAX,
            rangestat_arg: 0.0,
            trained: Vec::new(),
            offset: Vec::new(),
            scale: Vec::new(),
        }
    }

    /// A quantizer from its stored parts (a file's SQ block).
    pub(crate) fn from_parts(
        qtype: QuantizerType,
        d: usize,
        rangestat: i32,
        rangestat_arg: f32,
        trained: Vec<f32>,
    ) -> Result<ScalarQuantizer, IndexError> {
        if !trained.is_empty() && trained.len() != qtype.trained_len(d) {
            return Err(IndexError::InvalidParameter(format!(
                "{} trained values for a {} quantizer of dimension {d} (want {})",
                trained.len(),
                qtype.factory_name(),
                qtype.trained_len(d)
            )));
        }
        let mut sq = ScalarQuantizer {
            rangestat,
            rangestat_arg,
            ..ScalarQuantizer::new(qtype, d)
        };
        sq.set_trained(trained);
        Ok(sq)
    }

    /// Whether codes can be made and read: fp16 always, 8-bit once trained.
    pub(crate) fn is_trained(&self) -> bool {
        self.trained.len() == self.qtype.trained_len(self.d)
    }

    /// Bytes per vector.
    pub(crate) fn code_size(&self) -> usize {
        // d <= the validated dimension, whose double fits (checked at construction).
        self.qtype.code_size(self.d).unwrap_or(usize::MAX)
    }

    fn set_trained(&mut self, trained: Vec<f32>) {
        self.trained = trained;
        self.offset.clear();
        self.scale.clear();
        if self.qtype == QuantizerType::Sq8 && self.is_trained() {
            let (vmin, vdiff) = self.trained.split_at(self.d);
            // Faiss decodes `vmin + (c + 0.5) / 255 * vdiff`; the kernels fold that into
            // one fused multiply-add from the code (`offset + c * scale`), which may
            // differ from it in the last bit.
            self.scale = vdiff.iter().map(|&v| v / 255.0).collect();
            self.offset = vmin
                .iter()
                .zip(&self.scale)
                .map(|(&m, &s)| m + 0.5 * s)
                .collect();
        }
    }

    /// Trains on `x` (whole, NaN-free vectors) as Faiss's `train_NonUniform` does with
    /// `RS_minmax`: per coordinate the minimum and `max - min`, widened on each side by
    /// `rangestat_arg * (max - min)`. fp16 has nothing to train.
    pub(crate) fn train(&mut self, x: &[f32]) -> Result<(), IndexError> {
        if self.qtype == QuantizerType::Fp16 {
            return Ok(());
        }
        if self.rangestat != RANGESTAT_MINMAX {
            return Err(IndexError::Unsupported(format!(
                "training a scalar quantizer with rangestat {} (only min/max, 0)",
                self.rangestat
            )));
        }
        let d = self.d;
        if x.len() < d {
            return Err(IndexError::TooFewTrainingPoints { got: 0, needed: 1 });
        }
        let mut vmin = x[..d].to_vec();
        let mut vmax = x[..d].to_vec();
        for row in x.chunks_exact(d).skip(1) {
            for ((lo, hi), &v) in vmin.iter_mut().zip(vmax.iter_mut()).zip(row) {
                if v < *lo {
                    *lo = v;
                }
                if v > *hi {
                    *hi = v;
                }
            }
        }
        let mut trained = vmin;
        trained.reserve_exact(d);
        for j in 0..d {
            let vexp = (vmax[j] - trained[j]) * self.rangestat_arg;
            trained[j] -= vexp;
            vmax[j] += vexp;
            let diff = vmax[j] - trained[j];
            trained.push(diff);
        }
        self.set_trained(trained);
        Ok(())
    }

    /// Appends the codes of the whole vectors in `x` to `out` (trained quantizer).
    pub(crate) fn encode_into(&self, x: &[f32], out: &mut Vec<u8>) {
        let d = self.d;
        match self.qtype {
            QuantizerType::Sq8 => {
                let (vmin, vdiff) = self.trained.split_at(d);
                for row in x.chunks_exact(d) {
                    out.extend(row.iter().zip(vmin).zip(vdiff).map(|((&v, &lo), &diff)| {
                        // Faiss's `encode_component`: (int)(255 * clamp((x - vmin) /
                        // vdiff, 0, 1)), and 0 where the range is empty.
                        // NaN (from infinite ranges) casts to 0, as Faiss's int cast
                        // gives on x86.
                        let t = if diff != 0.0 {
                            ((v - lo) / diff).clamp(0.0, 1.0)
                        } else {
                            0.0
                        };
                        (255.0 * t) as u8
                    }));
                }
            }
            QuantizerType::Fp16 => {
                out.extend(x.iter().flat_map(|&v| encode_fp16(v).to_le_bytes()));
            }
        }
    }

    /// Decodes one vector's code into `out` (`d` values), as Faiss's `reconstruct`.
    pub(crate) fn decode_into(&self, code: &[u8], out: &mut [f32]) {
        match self.qtype {
            QuantizerType::Sq8 => {
                // Faiss's `decode_component` and `reconstruct`, to the bit.
                let (vmin, vdiff) = self.trained.split_at(self.d);
                for (((o, &c), &lo), &diff) in out.iter_mut().zip(code).zip(vmin).zip(vdiff) {
                    *o = lo + ((f32::from(c) + 0.5) / 255.0) * diff;
                }
            }
            QuantizerType::Fp16 => {
                for (o, h) in out.iter_mut().zip(code.chunks_exact(2)) {
                    *o = f16::from_le_bytes([h[0], h[1]]).to_f32();
                }
            }
        }
    }

    /// Whether this quantizer's codes are scanned with integer weights (8-bit codes of
    /// at most [`INT_SCAN_MAX_D`] coordinates, trained).
    pub(crate) fn scans_in_integers(&self) -> bool {
        self.qtype == QuantizerType::Sq8 && self.d <= INT_SCAN_MAX_D && self.is_trained()
    }

    /// `q` folded into integer weights for the codes of this (8-bit) quantizer; `None`
    /// where the float scan must be used (see [`Sq8Query::new`]).
    pub(crate) fn int_query(&self, metric: MetricType, q: &[f32]) -> Option<Sq8Query> {
        if !self.scans_in_integers() {
            return None;
        }
        Sq8Query::new(metric, q, &self.offset, &self.scale)
    }

    /// [`ScalarQuantizer::int_query`] into `slot`, reusing its space: `false` (and
    /// `slot` not to be used) where that gives `None`.
    pub(crate) fn int_query_into(
        &self,
        metric: MetricType,
        q: &[f32],
        slot: &mut Sq8Query,
    ) -> bool {
        self.scans_in_integers() && slot.fill(metric, q, &self.offset, &self.scale)
    }

    /// The squared norm of each (8-bit) code in `codes` without its offset, `sum_j
    /// (scale_j c_j)^2` (what the integer L2 scan adds per code), appended to `out`:
    /// the L2 kernel's distance from `offset` to the decoded code.
    pub(crate) fn code_norms_into(
        &self,
        codes: &[u8],
        out: &mut Vec<f32>,
    ) -> Result<(), IndexError> {
        let first = out.len();
        out.resize(first + codes.len() / self.code_size().max(1), 0.0);
        let (off, sc) = (&self.offset[..], &self.scale[..]);
        kernels()?.l2_sqr_ny_u8(off, codes, off, sc, &mut out[first..])?;
        Ok(())
    }

    /// Distances from `q` to each vector whose codes are `codes` (whole codes, one slot
    /// of `out` each), decoded in registers by the active kernel tier; f16 codes are
    /// walked in `order` (which changes no value), 8-bit codes always interleaved.
    pub(crate) fn distances(
        &self,
        metric: MetricType,
        q: &[f32],
        codes: &[u8],
        out: &mut [f32],
        order: ScanOrder,
    ) -> Result<(), IndexError> {
        let k = kernels()?;
        match self.qtype {
            QuantizerType::Sq8 => {
                let (off, sc) = (&self.offset[..], &self.scale[..]);
                match metric {
                    MetricType::L2 => k.l2_sqr_ny_u8(q, codes, off, sc, out)?,
                    MetricType::InnerProduct => k.inner_product_ny_u8(q, codes, off, sc, out)?,
                }
            }
            QuantizerType::Fp16 => {
                let halves = halves_of(codes);
                match metric {
                    MetricType::L2 => k.l2_sqr_ny_f16_in(q, &halves, out, order)?,
                    MetricType::InnerProduct => {
                        k.inner_product_ny_f16_in(q, &halves, out, order)?
                    }
                }
            }
        }
        Ok(())
    }
}

/// Faiss's `encode_fp16` (Fabian Giesen's float-to-half, `faiss/utils/fp16-inl.h`):
/// nearest, with ties rounded away from zero (not to even, as IEEE conversion and
/// `half::f16::from_f32` do), values past the half range to infinity, NaN to a quiet
/// NaN; f16 subnormals through an f32 multiply as Faiss computes them. Byte-identical
/// files need Faiss's rounding.
pub(crate) fn encode_fp16(x: f32) -> u16 {
    const F32_INFINITY: u32 = 255 << 23;
    const ROUND_MASK: u32 = !0xfff;
    const MAGIC: u32 = 15 << 23;
    let bits = x.to_bits();
    let sign = bits & 0x8000_0000;
    let magnitude = bits ^ sign;
    let mut out: u32 = if magnitude > F32_INFINITY {
        0x7e00
    } else {
        0x7c00
    };
    if magnitude < F32_INFINITY {
        let scaled = f32::from_bits(magnitude & ROUND_MASK) * f32::from_bits(MAGIC);
        let scaled = scaled.min(f32::from_bits((31 << 23) - 0x1000));
        out = scaled.to_bits().wrapping_sub(ROUND_MASK) >> 13;
    }
    (out | (sign >> 16)) as u16
}

/// fp16 codes as halves: borrowed in place where the bytes are aligned for `f16` (the
/// usual case, a `Vec<u8>`'s buffer) on a little-endian target, copied otherwise.
fn halves_of(codes: &[u8]) -> std::borrow::Cow<'_, [f16]> {
    #[cfg(target_endian = "little")]
    if let Ok(halves) = bytemuck::try_cast_slice::<u8, f16>(codes) {
        return std::borrow::Cow::Borrowed(halves);
    }
    std::borrow::Cow::Owned(
        codes
            .chunks_exact(2)
            .map(|h| f16::from_le_bytes([h[0], h[1]]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `x` lies exactly halfway between two neighbouring halves.
    fn is_tie(x: f32) -> bool {
        let h = f16::from_f32(x);
        let lo = h.to_f32();
        let step = if lo.abs() < x.abs() {
            f16::from_bits(h.to_bits() + 1).to_f32() - lo
        } else {
            lo - f16::from_bits(h.to_bits().wrapping_sub(1)).to_f32()
        };
        ((x - lo).abs() * 2.0 - step.abs()).abs() == 0.0
    }

    #[test]
    fn fp16_encoding_is_nearest_with_ties_away_from_zero() {
        // Values faiss-cpu 1.15.1 encoded (fixtures/faiss_sq): ties rounded away from 0.
        assert_eq!(encode_fp16(f32::from_bits(3_180_023_808)), 0xac5b);
        assert_eq!(encode_fp16(f32::from_bits(3_132_002_304)), 0x9575);
        assert_eq!(encode_fp16(f32::from_bits(969_101_312)), 0x0e1b);
        assert_eq!(encode_fp16(0.5), 0x3800);
        assert_eq!(encode_fp16(-0.0), 0x8000);
        assert_eq!(encode_fp16(f32::INFINITY), 0x7c00);
        assert_eq!(encode_fp16(f32::NEG_INFINITY), 0xfc00);
        assert_eq!(encode_fp16(1e9), 0x7c00);
        assert_eq!(encode_fp16(f32::NAN) & 0x7e00, 0x7e00);
        // Everywhere else IEEE's nearest (half's conversion), over a sweep of bit
        // patterns across the normal, subnormal and overflow ranges.
        let mut ties = 0;
        for i in 0..2_000_000u32 {
            let x = f32::from_bits(i.wrapping_mul(2_654_435_761) % 0x4780_0000);
            let ours = encode_fp16(x);
            let ieee = f16::from_f32(x).to_bits();
            if ours != ieee {
                assert!(is_tie(x), "{x:e}: {ours:#x} vs {ieee:#x}");
                assert_eq!(ours, ieee + 1, "{x:e} rounds away from zero");
                ties += 1;
            }
        }
        assert!(ties > 0);
    }
}
