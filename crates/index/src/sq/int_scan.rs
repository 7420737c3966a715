//! The 8-bit scalar quantizer scanned with integer dot products: approximate
//! distances with a known error, from which the scan (`scan.rs`) picks the rows it
//! rescores exactly, so what a search returns is the float kernels' result.
//!
//! A code `c` decodes to `x_j = offset_j + scale_j * c_j`. With `a = q - offset`,
//!
//! - L2: `|q - x|^2 = sum a_j^2 - 2 sum (a_j scale_j) c_j + sum (scale_j c_j)^2`;
//! - inner product: `q . x = sum q_j offset_j + sum (q_j scale_j) c_j`.
//!
//! The middle sums are a dot product of the codes with per-query weights `w_j`, which
//! are rounded to 16-bit integers (`round(w_j * ws)`) so that the kernels compute the
//! dot product exactly in integers (`Kernels::dot_ny_u8_i16`, two to four times fewer
//! operations a code than decoding to floats). The last L2 sum is the code's own
//! squared norm, kept beside the codes. The only approximation is the weights'
//! rounding: each moves a distance by at most `255 * |round(w ws) - w ws| / ws` (times
//! 2 for L2). Summed, that is under a 50th of what one step of every code moves a
//! distance by up to d = 1536 (a 20th at [`INT_SCAN_MAX_D`]), and as random noise a few
//! percent of the 8-bit quantisation's own error; the tests hold every distance to the
//! bound against f64 arithmetic on the decoded codes.

use flatl2_kernel::{kernels, MetricType, U8_DOT_WEIGHT_LIMIT};

use crate::IndexError;

/// Widest dimension scanned with integer weights: past it the weights' share of the
/// `i32` headroom (`U8_DOT_WEIGHT_LIMIT / d`) leaves them under 2,000 steps on average,
/// and the float scan is used instead.
pub(crate) const INT_SCAN_MAX_D: usize = 4096;

/// A query folded into integer weights: its distance to a code `c` is `constant +
/// unit * dot(weights, c)`, plus the code's squared norm for L2.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sq8Query {
    weights: Vec<i16>,
    /// What one step of the integer dot product is worth: `-2 / ws` (L2), `1 / ws` (IP).
    unit: f64,
    constant: f64,
    l2: bool,
    /// The most a distance computed here can differ from the float scan's (see
    /// [`Sq8Query::slack`]): the weights' rounding, in distance units.
    rounding: f64,
    /// What the float scan's own rounding scales with: `sum_j (|a_j| + 255 scale_j)
    /// (|a_j| + |offset_j| + 510 scale_j)` (L2) or `sum_j |q_j| (|offset_j| + 255
    /// scale_j)` (inner product). The float kernels decode `x_j` in f32, off by up to
    /// half an ulp of `|offset_j| + 255 scale_j`; for L2 that moves `(q_j - x_j)^2` by
    /// up to that times `2 |q_j - x_j|`, which grows with the offset, not only with
    /// the distance (an index of values near 10^4 spread over 1).
    magnitude: f64,
    /// Working space for the dot products of a block.
    dots: Vec<i32>,
}

impl Sq8Query {
    /// The query `q` for codes decoding to `offset + scale * c`; `None` where its
    /// weights, constant or error bound are not finite (a query with an infinite
    /// coordinate, ranges near `f32::MAX`), which the float scan handles instead.
    pub(crate) fn new(
        metric: MetricType,
        q: &[f32],
        offset: &[f32],
        scale: &[f32],
    ) -> Option<Sq8Query> {
        let mut query = Sq8Query::default();
        query.fill(metric, q, offset, scale).then_some(query)
    }

    /// [`Sq8Query::new`] in place, reusing this one's space: `false` (and this query
    /// not to be used) where that gives `None`.
    pub(crate) fn fill(
        &mut self,
        metric: MetricType,
        q: &[f32],
        offset: &[f32],
        scale: &[f32],
    ) -> bool {
        let l2 = metric == MetricType::L2;
        let mut constant = 0.0f64;
        let mut magnitude = 0.0f64;
        let (mut max, mut sum) = (0.0f64, 0.0f64);
        for ((&qj, &o), &s) in q.iter().zip(offset).zip(scale) {
            let (qj, o, s) = (f64::from(qj), f64::from(o), f64::from(s));
            let w = if l2 {
                let a = qj - o;
                constant += a * a;
                let span = a.abs() + 255.0 * s.abs();
                magnitude += span * (span + o.abs() + 255.0 * s.abs());
                a * s
            } else {
                constant += qj * o;
                magnitude += qj.abs() * (o.abs() + 255.0 * s.abs());
                qj * s
            };
            max = max.max(w.abs());
            sum += w.abs();
        }
        if !(constant.is_finite() && sum.is_finite()) {
            return false;
        }
        // Room for each weight's rounding (half a step) below the i32 limit.
        let limit = U8_DOT_WEIGHT_LIMIT as f64 - q.len() as f64;
        let ws = if max > 0.0 {
            (f64::from(i16::MAX) / max).min(limit / sum)
        } else {
            1.0
        };
        // The weights again, rounded to the nearest integer (ties to even: adding and
        // taking away 1.5 * 2^52 leaves no fraction bits, for `|x| < 2^51`), in a
        // loop without a library call: `|w * ws| <= i16::MAX` by the choice of `ws`.
        const ROUND: f64 = 6_755_399_441_055_744.0;
        self.weights.clear();
        let mut steps = 0.0f64;
        for ((&qj, &o), &s) in q.iter().zip(offset).zip(scale) {
            let (qj, o, s) = (f64::from(qj), f64::from(o), f64::from(s));
            let w = if l2 { (qj - o) * s } else { qj * s } * ws;
            let r = (w + ROUND) - ROUND;
            steps += (r - w).abs();
            self.weights.push(r as i16);
        }
        let unit = if l2 { -2.0 / ws } else { 1.0 / ws };
        let rounding = 255.0 * steps * unit.abs();
        // A bound that is not finite would keep no row for rescoring; distances past
        // f32's range (which `magnitude` bounds under both metrics) would turn into
        // infinities, and their sums into NaN, in `distances`' f32 arithmetic.
        if !(rounding.is_finite() && magnitude < f64::from(f32::MAX) / 4.0) {
            return false;
        }
        self.unit = unit;
        self.constant = constant;
        self.l2 = l2;
        self.rounding = rounding;
        self.magnitude = magnitude;
        true
    }

    /// How far a distance near `at` computed here may be from the one the float scan
    /// computes for the same code: the weights' rounding, plus a bound on both sides'
    /// f32 roundings (`2 (d + 8) eps` of the magnitudes involved; generous, as it only
    /// decides which codes are rescored).
    pub(crate) fn slack(&self, at: f32) -> f64 {
        let d = self.weights.len() as f64;
        let eps = f64::from(f32::EPSILON);
        self.rounding + 2.0 * (d + 8.0) * eps * (f64::from(at).abs() + self.magnitude)
    }

    /// Distances to the whole codes `codes`, one slot of `out` each; `norms` holds
    /// their squared norms (read for L2 only).
    pub(crate) fn distances(
        &mut self,
        codes: &[u8],
        norms: &[f32],
        out: &mut [f32],
    ) -> Result<(), IndexError> {
        self.dots.clear();
        self.dots.resize(out.len(), 0);
        kernels()?.dot_ny_u8_i16(&self.weights, codes, &mut self.dots)?;
        // In f32: the roundings are within `slack`'s magnitude term.
        let (constant, unit) = (self.constant as f32, self.unit as f32);
        if self.l2 {
            for ((o, &dot), &norm) in out.iter_mut().zip(&self.dots).zip(norms) {
                // Never below zero, as a sum of squares.
                *o = (dot as f32 * unit + (constant + norm)).max(0.0);
            }
        } else {
            for (o, &dot) in out.iter_mut().zip(&self.dots) {
                *o = dot as f32 * unit + constant;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sum_j (scale_j c_j)^2`, in f64.
    fn code_norm(scale: &[f32], code: &[u8]) -> f32 {
        code.iter()
            .zip(scale)
            .map(|(&c, &s)| (f64::from(s) * f64::from(c)).powi(2))
            .sum::<f64>() as f32
    }

    /// xorshift64*, deterministic.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn unit(&mut self) -> f32 {
            (self.next() >> 40) as f32 / (1u64 << 24) as f32
        }
    }

    /// The exact weights `w_j` and the distance to `code` in f64 on the decoded values.
    fn exact(metric: MetricType, q: &[f32], off: &[f32], sc: &[f32], code: &[u8]) -> f64 {
        let x = |j: usize| f64::from(off[j]) + f64::from(sc[j]) * f64::from(code[j]);
        (0..q.len())
            .map(|j| match metric {
                MetricType::L2 => (f64::from(q[j]) - x(j)).powi(2),
                MetricType::InnerProduct => f64::from(q[j]) * x(j),
            })
            .sum()
    }

    /// The most a distance of `p` may differ from the exact one: each weight's
    /// rounding times 255, in distance units, plus the f32 roundings of the norm and
    /// the result.
    fn bound(p: &Sq8Query, metric: MetricType, q: &[f32], off: &[f32], sc: &[f32]) -> f64 {
        let ws = p.unit.abs().recip() * if p.l2 { 2.0 } else { 1.0 };
        let rounding: f64 = (0..q.len())
            .map(|j| {
                let (qj, o, s) = (f64::from(q[j]), f64::from(off[j]), f64::from(sc[j]));
                let w = match metric {
                    MetricType::L2 => (qj - o) * s,
                    MetricType::InnerProduct => qj * s,
                };
                255.0 * (f64::from(p.weights[j]) - w * ws).abs()
            })
            .sum();
        rounding * p.unit.abs()
    }

    #[test]
    fn distances_stay_within_the_rounding_bound_of_f64() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let dims: Vec<usize> = (1..=67)
            .chain([128, 384, 768, 1536, INT_SCAN_MAX_D])
            .collect();
        for &d in &dims {
            for metric in [MetricType::L2, MetricType::InnerProduct] {
                // Ranges like a trained quantizer's; queries inside and outside them.
                let off: Vec<f32> = (0..d).map(|_| rng.unit() * 4.0 - 2.0).collect();
                let sc: Vec<f32> = (0..d).map(|_| (rng.unit() * 3.0 + 0.01) / 255.0).collect();
                let n = 9;
                let codes: Vec<u8> = (0..n * d).map(|_| (rng.next() >> 56) as u8).collect();
                let norms: Vec<f32> = codes.chunks(d).map(|c| code_norm(&sc, c)).collect();
                for spread in [1.0f32, 30.0] {
                    let q: Vec<f32> = (0..d).map(|_| (rng.unit() * 6.0 - 3.0) * spread).collect();
                    let mut p = Sq8Query::new(metric, &q, &off, &sc).expect("finite");
                    let mut out = vec![f32::NAN; n];
                    p.distances(&codes, &norms, &mut out).unwrap();
                    let b = bound(&p, metric, &q, &off, &sc);
                    for (r, code) in codes.chunks(d).enumerate() {
                        let want = exact(metric, &q, &off, &sc, code);
                        let slack = 4.0
                            * f64::from(f32::EPSILON)
                            * (want.abs() + p.constant.abs() + f64::from(norms[r]));
                        let got = f64::from(out[r]);
                        assert!(
                            (got - want).abs() <= b + slack,
                            "d={d} {metric:?} spread={spread} row {r}: {got} vs {want} (bound {b}, slack {slack})"
                        );
                    }
                    // The weights' rounding is small beside what one step of every code
                    // moves the distance by: under a 50th of it up to d = 1536, where
                    // the weights keep 12 bits or more, and a 20th at the widest.
                    let step: f64 = (0..d)
                        .map(|j| match metric {
                            MetricType::L2 => {
                                2.0 * (f64::from(q[j]) - f64::from(off[j])).abs() * f64::from(sc[j])
                            }
                            MetricType::InnerProduct => f64::from(q[j]).abs() * f64::from(sc[j]),
                        })
                        .sum();
                    let share = if d <= 1536 { 50.0 } else { 20.0 };
                    assert!(
                        b <= step / share + 1e-12,
                        "d={d} {metric:?}: bound {b} vs step {step}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_query_that_is_not_finite_goes_to_the_float_scan() {
        let (off, sc) = (vec![0.0f32; 4], vec![1.0f32 / 255.0; 4]);
        for bad in [f32::INFINITY, f32::NEG_INFINITY, f32::NAN] {
            let q = [1.0, bad, 0.0, 2.0];
            for metric in [MetricType::L2, MetricType::InnerProduct] {
                assert!(Sq8Query::new(metric, &q, &off, &sc).is_none());
            }
        }
        // An all-zero query has all-zero weights: distances are the constant (and norms).
        let mut p = Sq8Query::new(MetricType::L2, &[0.0; 4], &off, &sc).unwrap();
        let codes = [255u8, 0, 0, 0];
        let norms = [code_norm(&sc, &codes)];
        let mut out = [0.0f32];
        p.distances(&codes, &norms, &mut out).unwrap();
        assert_eq!(out[0], norms[0]);
    }

    /// Every tier's float kernel, not only f64 arithmetic, stays within `slack` of the
    /// approximations, on values near zero and far from it: the scalar and portable
    /// tiers decode `offset + scale * c` in f32 before subtracting it from the query,
    /// a rounding that grows with the offset (up to 190 times the bound before the
    /// bound took the offsets in).
    #[test]
    fn every_tier_stays_within_the_slack_far_from_zero() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let tiers: Vec<_> = flatl2_kernel::SimdTier::ALL
            .into_iter()
            .filter(|t| t.is_supported())
            .map(|t| flatl2_kernel::kernels_for(t).unwrap())
            .collect();
        for d in [1usize, 8, 24, 128] {
            for base in [0.0f32, 100.0, 1e4, 1e6] {
                let off: Vec<f32> = (0..d).map(|_| base + rng.unit() * 0.1).collect();
                let sc: Vec<f32> = (0..d).map(|_| (rng.unit() + 0.01) / 255.0).collect();
                let n = 300;
                let codes: Vec<u8> = (0..n * d).map(|_| (rng.next() >> 56) as u8).collect();
                for k in &tiers {
                    let mut norms = vec![0.0f32; n];
                    k.l2_sqr_ny_u8(&off, &codes, &off, &sc, &mut norms).unwrap();
                    for metric in [MetricType::L2, MetricType::InnerProduct] {
                        for _ in 0..5 {
                            let q: Vec<f32> = (0..d).map(|_| base + rng.unit()).collect();
                            let mut p = Sq8Query::new(metric, &q, &off, &sc).unwrap();
                            let mut approx = vec![0.0f32; n];
                            p.distances(&codes, &norms, &mut approx).unwrap();
                            let mut float = vec![0.0f32; n];
                            match metric {
                                MetricType::L2 => k.l2_sqr_ny_u8(&q, &codes, &off, &sc, &mut float),
                                MetricType::InnerProduct => {
                                    k.inner_product_ny_u8(&q, &codes, &off, &sc, &mut float)
                                }
                            }
                            .unwrap();
                            for (&a, &f) in approx.iter().zip(&float) {
                                let err = (f64::from(a) - f64::from(f)).abs();
                                assert!(
                                    err <= p.slack(a),
                                    "{} d={d} base={base} {metric:?}: {a} vs {f}, slack {}",
                                    k.tier(),
                                    p.slack(a)
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
