//! Row-wise numeric kernels of the encoder on plain `f32` buffers, parallel over rows
//! (candle runs element-wise ops on one thread; these use every core).

use rayon::prelude::*;

/// Rows per parallel task: enough work per task to amortise scheduling.
fn rows_per_task(width: usize) -> usize {
    (16_384 / width.max(1)).max(1)
}

/// `x[r] = layer_norm(x[r] + residual[r]) * gamma + beta` for every row of width
/// `gamma.len()`; `residual` may be empty (no residual).
pub fn add_layer_norm(x: &mut [f32], residual: &[f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let width = gamma.len();
    let step = rows_per_task(width) * width;
    let body = |(chunk, res): (&mut [f32], Option<&[f32]>)| {
        pulp::Arch::new().dispatch(AddNorm {
            chunk,
            res,
            gamma,
            beta,
            eps,
        })
    };
    if residual.is_empty() {
        x.par_chunks_mut(step).map(|c| (c, None)).for_each(body);
    } else {
        x.par_chunks_mut(step)
            .zip(residual.par_chunks(step))
            .map(|(c, r)| (c, Some(r)))
            .for_each(body);
    }
}

#[inline(always)]
fn add_norm_body(chunk: &mut [f32], res: Option<&[f32]>, gamma: &[f32], beta: &[f32], eps: f32) {
    let width = gamma.len();
    for (r, row) in chunk.chunks_exact_mut(width).enumerate() {
        if let Some(res) = res {
            for (v, add) in row.iter_mut().zip(&res[r * width..(r + 1) * width]) {
                *v += add;
            }
        }
        norm_row(row, gamma, beta, eps);
    }
}

// Row kernels run through `pulp::Arch::dispatch`, which calls `with_simd` inside a
// function compiled for the best instruction set this CPU has (AVX-512, AVX2+FMA or
// baseline), so the loops vectorise at that width. Everything on the way is
// `#[inline(always)]` so that it is compiled there too (a closure would not be).

/// [`scaled_softmax_rows`] as a dispatchable operation.
struct Softmax<'a> {
    x: &'a mut [f32],
    width: usize,
    scale: f32,
}

impl pulp::WithSimd for Softmax<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        softmax_rows_body(self.x, self.width, self.scale)
    }
}

/// [`add_bias_gelu`] on one chunk of rows, as a dispatchable operation.
struct BiasGelu<'a> {
    chunk: &'a mut [f32],
    bias: &'a [f32],
}

impl pulp::WithSimd for BiasGelu<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        bias_gelu_body(self.chunk, self.bias)
    }
}

/// [`add_layer_norm`] on one chunk of rows, as a dispatchable operation.
struct AddNorm<'a> {
    chunk: &'a mut [f32],
    res: Option<&'a [f32]>,
    gamma: &'a [f32],
    beta: &'a [f32],
    eps: f32,
}

impl pulp::WithSimd for AddNorm<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        add_norm_body(self.chunk, self.res, self.gamma, self.beta, self.eps)
    }
}

/// Sum of `v` in eight interleaved lanes (vectorisable, and more accurate than one
/// running sum).
#[inline(always)]
fn lane_sum(v: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = v.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().map(|&x| f(x)).sum();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += f(x);
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Layer norm of one row (two passes: mean, then variance about the mean).
#[inline(always)]
fn norm_row(row: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let n = row.len() as f32;
    let mean = lane_sum(row, |x| x) / n;
    let var = lane_sum(row, |x| (x - mean) * (x - mean)) / n;
    let inv = 1.0 / (var + eps).sqrt();
    for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
        *v = (*v - mean) * inv * g + b;
    }
}

/// Adds `bias` to every row of `x` (row width `bias.len()`).
pub fn add_bias(x: &mut [f32], bias: &[f32]) {
    let width = bias.len();
    x.par_chunks_mut(rows_per_task(width) * width)
        .for_each(|chunk| {
            for row in chunk.chunks_exact_mut(width) {
                for (v, b) in row.iter_mut().zip(bias) {
                    *v += b;
                }
            }
        });
}

/// Adds `bias` to every row of `x`, then applies BERT's GELU (`hidden_act: "gelu"`),
/// `0.5 * v * (1 + erf(v / sqrt 2))`, with [`erf`].
pub fn add_bias_gelu(x: &mut [f32], bias: &[f32]) {
    let width = bias.len();
    x.par_chunks_mut(rows_per_task(width) * width)
        .for_each(|chunk| pulp::Arch::new().dispatch(BiasGelu { chunk, bias }));
}

#[inline(always)]
fn bias_gelu_body(chunk: &mut [f32], bias: &[f32]) {
    for row in chunk.chunks_exact_mut(bias.len()) {
        for (v, b) in row.iter_mut().zip(bias) {
            let t = *v + b;
            *v = 0.5 * t * (1.0 + erf(t * std::f32::consts::FRAC_1_SQRT_2));
        }
    }
}

/// `erf(x)` in f32 to within 5e-7 absolute (a few ulp), without branches so loops over it
/// vectorise: a rational minimax approximation `x·P(x²)/Q(x²)` (odd degree 13 over
/// even degree 8) on `[-4, 4]`, outside which `erf` rounds to ±1 in f32. The same
/// approximation Eigen and XLA use for single-precision `erf`.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    const P: [f32; 7] = [
        -1.609_603_3e-2,
        -2.954_6e-3,
        -7.349_906_3e-4,
        -5.692_506_4e-5,
        -2.101_024e-6,
        2.770_681_4e-8,
        -2.726_142_3e-10,
    ];
    const Q: [f32; 5] = [
        -1.426_473_9e-2,
        -7.373_329e-3,
        -1.682_827e-3,
        -2.133_740_6e-4,
        -1.456_607_2e-5,
    ];
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = P[6];
    for &c in P[..6].iter().rev() {
        p = p * x2 + c;
    }
    let mut q = Q[4];
    for &c in Q[..4].iter().rev() {
        q = q * x2 + c;
    }
    x * p / q
}

/// `softmax(scale * row)` in place for every row of width `width` (`scale > 0`; one
/// thread: called per sequence from parallel tasks).
pub fn scaled_softmax_rows(x: &mut [f32], width: usize, scale: f32) {
    pulp::Arch::new().dispatch(Softmax { x, width, scale })
}

#[inline(always)]
fn softmax_rows_body(x: &mut [f32], width: usize, scale: f32) {
    for row in x.chunks_exact_mut(width) {
        let mut lanes = [f32::NEG_INFINITY; 8];
        let chunks = row.chunks_exact(8);
        let tail = chunks
            .remainder()
            .iter()
            .fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        for c in chunks {
            for (l, &v) in lanes.iter_mut().zip(c) {
                *l = l.max(v);
            }
        }
        let max = lanes.iter().fold(tail, |m, &v| m.max(v)) * scale;
        for v in row.iter_mut() {
            *v = exp_non_positive(*v * scale - max);
        }
        let inv = 1.0 / lane_sum(row, |v| v);
        for v in row.iter_mut() {
            *v *= inv;
        }
    }
}

/// `e^x` for `x <= 0` to within 3e-7 relative, branch-free so loops vectorise: `x` is
/// split into `n ln 2 + r` with `|r| <= ln 2 / 2`, `e^r` is its degree-6 Taylor
/// polynomial, and `2^n` is put into the exponent bits. Below -87 (where `e^x` nears
/// f32's smallest normal number) it returns `e^-87`, which is 0 for the softmax.
#[inline(always)]
pub fn exp_non_positive(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // Adding then subtracting 1.5 * 2^23 rounds to the nearest integer without a call.
    const ROUNDER: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 0.0);
    let n = (x * std::f32::consts::LOG2_E + ROUNDER) - ROUNDER;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // n is in [-126, 0], so n + 127 is a valid biased exponent of a normal number.
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    p * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_norm_matches_definition() {
        let mut x = vec![1.0f32, 2.0, 3.0, 4.0, -1.0, 0.0, 1.0, 2.0];
        let res = vec![0.5f32; 8];
        let gamma = [1.0f32, 2.0, 1.0, 0.5];
        let beta = [0.0f32, 0.1, 0.0, -0.1];
        let expect: Vec<f32> = x
            .chunks(4)
            .zip(res.chunks(4))
            .flat_map(|(row, r)| {
                let v: Vec<f64> = row.iter().zip(r).map(|(a, b)| f64::from(a + b)).collect();
                let mean = v.iter().sum::<f64>() / 4.0;
                let var = v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / 4.0;
                v.into_iter()
                    .enumerate()
                    .map(|(i, a)| {
                        ((a - mean) / (var + 1e-12).sqrt() * f64::from(gamma[i])
                            + f64::from(beta[i])) as f32
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        add_layer_norm(&mut x, &res, &gamma, &beta, 1e-12);
        for (a, b) in x.iter().zip(&expect) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    /// erf by its Maclaurin series in f64 (exact to ~1e-12 on [-4.5, 4.5]).
    fn erf_series(x: f64) -> f64 {
        let (mut term, mut sum) = (x, x);
        for n in 1..400 {
            term *= -x * x / f64::from(n);
            sum += term / f64::from(2 * n + 1);
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn erf_is_within_5e_7_everywhere() {
        let mut worst = 0.0f64;
        for i in -45_000..=45_000 {
            let x = i as f32 / 10_000.0;
            let err = (f64::from(erf(x)) - erf_series(f64::from(x))).abs();
            worst = worst.max(err);
        }
        assert!(worst < 5e-7, "max |error| {worst:e}");
        for x in [5.0f32, 10.0, 1e30, f32::INFINITY] {
            assert!((erf(x) - 1.0).abs() <= 5e-7);
            assert_eq!(erf(-x), -erf(x));
        }
        assert_eq!(erf(0.0), 0.0);
    }

    #[test]
    fn exp_is_within_3e_7_relative_on_the_softmax_range() {
        let mut worst = 0.0f64;
        for i in 0..=870_000 {
            let x = -(i as f32) / 10_000.0;
            let want = f64::from(x).exp();
            let rel = (f64::from(exp_non_positive(x)) - want).abs() / want;
            worst = worst.max(rel);
        }
        assert!(worst < 3e-7, "max relative error {worst:e}");
        assert_eq!(exp_non_positive(0.0), 1.0);
        assert!(exp_non_positive(-1e4) < 1e-37);
        assert!(exp_non_positive(f32::NEG_INFINITY) < 1e-37);
    }

    #[test]
    fn gelu_and_softmax_match_definitions() {
        // erf(1/sqrt 2) = 0.6826894921370859 (the one-sigma probability).
        let mut x = vec![1.0f32, -1.0, 0.0];
        add_bias_gelu(&mut x, &[0.0, 0.0, 0.0]);
        let g1 = 0.5 * (1.0 + 0.682_689_492_137_085_9_f64);
        assert!((f64::from(x[0]) - g1).abs() < 1e-6);
        assert!((f64::from(x[1]) + (1.0 - g1)).abs() < 1e-6);
        assert_eq!(x[2], 0.0);

        let mut s = vec![1.0f32, 2.0, 3.0, 0.0, 0.0, 0.0];
        scaled_softmax_rows(&mut s, 3, 0.5);
        let e: Vec<f64> = [0.5f64, 1.0, 1.5].iter().map(|v| v.exp()).collect();
        let z: f64 = e.iter().sum();
        for i in 0..3 {
            assert!((f64::from(s[i]) - e[i] / z).abs() < 1e-6);
            assert!((f64::from(s[3 + i]) - 1.0 / 3.0).abs() < 1e-6);
        }
    }
}
